//! Tracking write-back: `POST /v3/orders/{purchaseOrderId}/shipping` with, per order line, a
//! `Shipped` status, its quantity and `trackingInfo`, and the `sellerOrderId` the spec requires
//! on every shipping line (the order's `customerOrderId`, the number the buyer knows, else the
//! purchase order id). `methodCode` is the order's own `shippingInfo.methodCode` (Standard,
//! Express, OneDay, …), read from the order fetched below; the carrier goes through Walmart's
//! carrier table (`switchyard_core::carriers`), and a carrier Walmart has no code for is
//! refused with its name, since `otherCarrier` needs a tracking URL we do not have.
//!
//! Walmart has no idempotency key, so the write is made idempotent by reading first: the order
//! is fetched, lines that already carry a `Shipped` status with this tracking number are
//! skipped, and when nothing is left the call succeeds without writing. Read, check and write
//! are retried together, so a retry after a lost response finds its own earlier write. Lines
//! still `Created` are acknowledged first, as Walmart requires before shipping.

use reqwest::Method;
use serde_json::{Value, json};
use switchyard_core::model::Shipment;
use switchyard_core::ports::ChannelError;

use switchyard_core::carriers::{CarrierCode, CarrierMap};

use super::client::{WalmartClient, encode};
use super::normalize::unwrap_order;
use super::poll::acknowledge;
use super::throttle::Api;
use crate::http::with_retry;

pub async fn write_back(
    client: &WalmartClient,
    carriers: &CarrierMap,
    shipment: &Shipment,
    _idempotency_key: &str,
) -> Result<(), ChannelError> {
    let carrier = carrier_name(carriers, &shipment.carrier)?;
    with_retry(client.retry_policy(), "walmart shipping", || {
        write_once(client, &carrier, shipment)
    })
    .await
}

/// What the order itself says the shipping line must carry.
#[derive(Debug, Clone, PartialEq)]
struct OrderFacts {
    seller_order_id: String,
    method_code: String,
}

/// `sellerOrderId` (≤ 30 characters) and the order's shipping method.
fn order_facts(order: &Value, po: &str) -> Result<OrderFacts, ChannelError> {
    let seller_order_id: String = order
        .get("customerOrderId")
        .and_then(|v| match v {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| po.to_string())
        .chars()
        .take(30)
        .collect();
    let method_code = order
        .pointer("/shippingInfo/methodCode")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| ChannelError::Decode(format!("order {po} has no shippingInfo.methodCode")))?
        .to_string();
    Ok(OrderFacts {
        seller_order_id,
        method_code,
    })
}

/// What an order line holds now, as far as shipping it goes.
#[derive(Debug)]
struct LineNow {
    number: String,
    unit: String,
    created: u32,
    acknowledged: u32,
    shipped_with_tracking: bool,
}

async fn write_once(
    client: &WalmartClient,
    carrier: &Value,
    shipment: &Shipment,
) -> Result<(), ChannelError> {
    let id = &shipment.order_external_id;
    let path = format!("/v3/orders/{}", encode(id));
    let body = client
        .call_once(Api::OneOrder, Method::GET, &path, None)
        .await?;
    let order = unwrap_order(&body);
    let facts = order_facts(order, id)?;
    let lines = read_lines(order, &shipment.tracking_number)?;
    let todo = to_ship(&lines, shipment)?;
    if todo.is_empty() {
        return Ok(());
    }
    if todo.iter().any(|(line, _)| line.created > 0) {
        acknowledge(client, id).await?;
    }
    let request = shipping_body(shipment, carrier, &facts, &todo);
    client
        .call_once(
            Api::Shipping,
            Method::POST,
            &format!("/v3/orders/{}/shipping", encode(id)),
            Some(&request),
        )
        .await
        .map(|_| ())
}

/// The lines and quantities still to mark shipped with this tracking number. An empty
/// shipment line list means every line with units left.
fn to_ship<'a>(
    lines: &'a [LineNow],
    shipment: &Shipment,
) -> Result<Vec<(&'a LineNow, u32)>, ChannelError> {
    let open = |l: &LineNow| l.created + l.acknowledged;
    let mut todo = Vec::new();
    if shipment.lines.is_empty() {
        for line in lines
            .iter()
            .filter(|l| !l.shipped_with_tracking && open(l) > 0)
        {
            todo.push((line, open(line)));
        }
        return Ok(todo);
    }
    for wanted in &shipment.lines {
        let line = lines
            .iter()
            .find(|l| l.number == wanted.line_id)
            .ok_or_else(|| {
                ChannelError::Rejected(format!(
                    "order {} has no line {}",
                    shipment.order_external_id, wanted.line_id
                ))
            })?;
        if line.shipped_with_tracking {
            continue;
        }
        let quantity = wanted.quantity.min(open(line));
        if quantity == 0 {
            tracing::warn!(
                order = %shipment.order_external_id,
                line = %line.number,
                "walmart line has nothing left to ship; skipped"
            );
            continue;
        }
        todo.push((line, quantity));
    }
    Ok(todo)
}

fn read_lines(order: &Value, tracking: &str) -> Result<Vec<LineNow>, ChannelError> {
    let lines = order
        .pointer("/orderLines/orderLine")
        .and_then(Value::as_array)
        .ok_or_else(|| ChannelError::Decode("order has no orderLines.orderLine".into()))?;
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let number = match line.get("lineNumber") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(ChannelError::Decode("order line without lineNumber".into())),
        };
        let mut now = LineNow {
            number,
            unit: line
                .pointer("/orderLineQuantity/unitOfMeasurement")
                .and_then(Value::as_str)
                .unwrap_or("EACH")
                .to_string(),
            created: 0,
            acknowledged: 0,
            shipped_with_tracking: false,
        };
        let statuses = line
            .pointer("/orderLineStatuses/orderLineStatus")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for status in &statuses {
            let units = status
                .pointer("/statusQuantity/amount")
                .and_then(|a| {
                    a.as_str()
                        .and_then(|s| s.trim().parse().ok())
                        .or(a.as_u64())
                })
                .and_then(|u| u32::try_from(u).ok())
                .unwrap_or(0);
            match status.get("status").and_then(Value::as_str) {
                Some("Created") => now.created += units,
                Some("Acknowledged") => now.acknowledged += units,
                Some("Shipped" | "Delivered")
                    if status
                        .pointer("/trackingInfo/trackingNumber")
                        .and_then(Value::as_str)
                        == Some(tracking) =>
                {
                    now.shipped_with_tracking = true;
                }
                _ => {}
            }
        }
        out.push(now);
    }
    Ok(out)
}

/// `carrierName` as Walmart's enum has it.
fn carrier_name(carriers: &CarrierMap, carrier: &str) -> Result<Value, ChannelError> {
    match carriers.resolve(carrier) {
        Ok(CarrierCode::Code(code)) => Ok(json!({ "carrier": code })),
        Ok(other) => Err(ChannelError::Rejected(format!(
            "walmart carrier `{carrier}` resolved to {other:?}, not a carrier code"
        ))),
        Err(unknown) => Err(ChannelError::Rejected(unknown.to_string())),
    }
}

fn shipping_body(
    shipment: &Shipment,
    carrier: &Value,
    facts: &OrderFacts,
    todo: &[(&LineNow, u32)],
) -> Value {
    let lines: Vec<Value> = todo
        .iter()
        .map(|(line, quantity)| {
            json!({
                "lineNumber": line.number,
                "sellerOrderId": facts.seller_order_id,
                "orderLineStatuses": { "orderLineStatus": [{
                    "status": "Shipped",
                    "statusQuantity": { "unitOfMeasurement": line.unit, "amount": quantity.to_string() },
                    "trackingInfo": {
                        "shipDateTime": shipment.shipped_at.timestamp_millis(),
                        "carrierName": carrier,
                        "methodCode": facts.method_code,
                        "trackingNumber": shipment.tracking_number,
                    }
                }]}
            })
        })
        .collect();
    json!({ "orderShipment": { "orderLines": { "orderLine": lines } } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use switchyard_core::model::ShippedLine;

    fn shipment(lines: Vec<ShippedLine>) -> Shipment {
        Shipment {
            order_external_id: "4810000000117".into(),
            carrier: "fedex".into(),
            tracking_number: "TRK-1".into(),
            shipped_at: DateTime::parse_from_rfc3339("2026-04-11T09:00:00Z").unwrap(),
            lines,
        }
    }

    fn order() -> Value {
        json!({"orderLines": {"orderLine": [
            {"lineNumber": "1", "orderLineQuantity": {"unitOfMeasurement": "EACH", "amount": "2"},
             "orderLineStatuses": {"orderLineStatus": [
                {"status": "Shipped", "statusQuantity": {"amount": "2"},
                 "trackingInfo": {"trackingNumber": "TRK-1"}}]}},
            {"lineNumber": "2", "orderLineQuantity": {"unitOfMeasurement": "EACH", "amount": "1"},
             "orderLineStatuses": {"orderLineStatus": [
                {"status": "Created", "statusQuantity": {"amount": "1"}}]}}
        ]}})
    }

    #[test]
    fn lines_already_shipped_with_this_tracking_are_skipped() {
        let lines = read_lines(&order(), "TRK-1").unwrap();
        let all = shipment(vec![]);
        let todo = to_ship(&lines, &all).unwrap();
        assert_eq!(todo.len(), 1);
        assert_eq!((todo[0].0.number.as_str(), todo[0].1), ("2", 1));
        let only_first = shipment(vec![ShippedLine {
            line_id: "1".into(),
            quantity: 2,
        }]);
        assert!(to_ship(&lines, &only_first).unwrap().is_empty());
        let unknown = shipment(vec![ShippedLine {
            line_id: "9".into(),
            quantity: 1,
        }]);
        assert!(matches!(
            to_ship(&lines, &unknown),
            Err(ChannelError::Rejected(_))
        ));
    }

    #[test]
    fn the_body_names_known_carriers_and_others() {
        let lines = read_lines(&order(), "TRK-1").unwrap();
        let s = shipment(vec![]);
        let carriers = CarrierMap::new(
            switchyard_core::model::ChannelKind::Walmart,
            &Default::default(),
        );
        let facts = OrderFacts {
            seller_order_id: "5200000000001".into(),
            method_code: "Express".into(),
        };
        let carrier = carrier_name(&carriers, &s.carrier).unwrap();
        let body = shipping_body(&s, &carrier, &facts, &[(&lines[1], 1)]);
        let line = &body["orderShipment"]["orderLines"]["orderLine"][0];
        assert_eq!(line["sellerOrderId"], "5200000000001");
        assert_eq!(
            line["orderLineStatuses"]["orderLineStatus"][0]["trackingInfo"]["methodCode"],
            "Express"
        );
        let status = &body["orderShipment"]["orderLines"]["orderLine"][0]["orderLineStatuses"]["orderLineStatus"]
            [0];
        assert_eq!(status["status"], "Shipped");
        assert_eq!(status["statusQuantity"]["amount"], "1");
        assert_eq!(
            status["trackingInfo"]["carrierName"],
            json!({"carrier": "FedEx"})
        );
        assert_eq!(status["trackingInfo"]["shipDateTime"], 1775898000000_i64);
        let err = carrier_name(&carriers, "Bob's Couriers").unwrap_err();
        assert!(err.to_string().contains("Bob's Couriers"), "{err}");
    }

    #[test]
    fn seller_order_id_and_method_come_from_the_order() {
        let order = json!({"customerOrderId": "5200000000001",
            "shippingInfo": {"methodCode": "OneDay"}});
        assert_eq!(
            order_facts(&order, "PO-1").unwrap(),
            OrderFacts {
                seller_order_id: "5200000000001".into(),
                method_code: "OneDay".into()
            }
        );
        let bare = json!({"shippingInfo": {"methodCode": "Value"}});
        assert_eq!(order_facts(&bare, "PO-1").unwrap().seller_order_id, "PO-1");
        assert!(order_facts(&json!({}), "PO-1").is_err());
    }
}
