//! Writing a shipment back: `POST /v2/orders/{id}/shipments` with `order_address_id`,
//! `tracking_number`, `shipping_provider`, `tracking_carrier` and
//! `items: [{order_product_id, quantity}]`. BigCommerce then moves the order to Shipped or
//! Partially Shipped itself.
//!
//! V2 has no idempotency keys, so the write is "list the order's shipments, create if this
//! tracking number is not there yet", and that pair is what gets retried: a create whose
//! response was lost is found on the next look.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};
use switchyard_core::model::Shipment;
use switchyard_core::ports::ChannelError;

use switchyard_core::carriers::{CarrierCode, CarrierMap};

use crate::http::with_retry;

use super::client::{BcClient, list};
use super::orders::parse_id;

pub async fn write_back(
    client: &BcClient,
    carriers: &CarrierMap,
    shipment: &Shipment,
    key: &str,
) -> Result<(), ChannelError> {
    let id = parse_id(&shipment.order_external_id)?;
    let codes = carrier_codes(carriers, &shipment.carrier);
    with_retry(client.retry_policy(), "write back shipment", || {
        write_once(client, id, &codes, shipment, key)
    })
    .await
}

async fn write_once(
    client: &BcClient,
    id: u64,
    (provider, carrier): &(&'static str, String),
    shipment: &Shipment,
    key: &str,
) -> Result<(), ChannelError> {
    let path = format!("v2/orders/{id}/shipments");
    let existing = client
        .get_once(&path, &[("limit", "250".to_string())])
        .await?
        .ok_or_else(|| ChannelError::Rejected(format!("order {id} does not exist")))?;
    let done: Vec<u64> = list(&existing, "shipments")?
        .iter()
        .filter(|s| {
            s.get("tracking_number").and_then(Value::as_str)
                == Some(shipment.tracking_number.as_str())
        })
        .filter_map(|s| s.get("order_address_id").and_then(Value::as_u64))
        .collect();
    let products = client
        .get_once(
            &format!("v2/orders/{id}/products"),
            &[("limit", "250".to_string())],
        )
        .await?
        .unwrap_or(Value::Null);
    let per_address = items_by_address(list(&products, "order products")?, shipment)?;
    for (address, items) in per_address {
        if done.contains(&address) {
            continue;
        }
        let body = json!({
            "order_address_id": address,
            "tracking_number": shipment.tracking_number,
            "shipping_provider": provider,
            "tracking_carrier": carrier,
            "comments": format!("Shipped by Switchyard (ref {key})"),
            "items": items,
        });
        client.send_once(Method::POST, &path, &body).await?;
    }
    Ok(())
}

/// Shipment items grouped by the order address they ship to (one V2 shipment per address).
/// No lines named means everything not shipped yet.
fn items_by_address(
    products: &[Value],
    shipment: &Shipment,
) -> Result<BTreeMap<u64, Vec<Value>>, ChannelError> {
    let number = |p: &Value, f: &str| p.get(f).and_then(Value::as_u64);
    let mut out: BTreeMap<u64, Vec<Value>> = BTreeMap::new();
    let mut add = |product: &Value, quantity: u64| -> Result<(), ChannelError> {
        let (Some(line), Some(address)) =
            (number(product, "id"), number(product, "order_address_id"))
        else {
            return Err(ChannelError::Decode(
                "order product without id or order_address_id".into(),
            ));
        };
        out.entry(address)
            .or_default()
            .push(json!({"order_product_id": line, "quantity": quantity}));
        Ok(())
    };
    if shipment.lines.is_empty() {
        for product in products {
            let left = number(product, "quantity")
                .unwrap_or(0)
                .saturating_sub(number(product, "quantity_shipped").unwrap_or(0));
            if left > 0 {
                add(product, left)?;
            }
        }
    } else {
        for line in &shipment.lines {
            let product = products
                .iter()
                .find(|p| {
                    number(p, "id").map(|i| i.to_string()).as_deref() == Some(line.line_id.trim())
                })
                .ok_or_else(|| {
                    ChannelError::Rejected(format!("order has no product line `{}`", line.line_id))
                })?;
            add(product, u64::from(line.quantity))?;
        }
    }
    if out.is_empty() {
        return Err(ChannelError::Rejected(
            "nothing left to ship on this order".into(),
        ));
    }
    Ok(out)
}

/// `(shipping_provider, tracking_carrier)`: `tracking_carrier` is the carrier table's courier
/// slug (the spec takes an empty string or a tracking-carrier slug), `shipping_provider` the
/// V2 provider enum value for that slug where there is one, else empty. A carrier without a
/// slug goes with both empty: the tracking number is still recorded.
fn carrier_codes(carriers: &CarrierMap, carrier: &str) -> (&'static str, String) {
    let slug = match carriers.resolve(carrier) {
        Ok(CarrierCode::Code(slug)) => slug,
        _ => String::new(),
    };
    let provider = match slug.as_str() {
        "usps" => "usps",
        "ups" => "ups",
        "fedex" => "fedex",
        "australia-post" => "auspost",
        "canada-post" => "canadapost",
        "royal-mail" => "royalmail",
        _ => "",
    };
    (provider, slug)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use switchyard_core::model::ShippedLine;

    fn shipment(lines: &[(&str, u32)]) -> Shipment {
        Shipment {
            order_external_id: "12".into(),
            carrier: "FedEx".into(),
            tracking_number: "TRK1".into(),
            shipped_at: DateTime::parse_from_rfc3339("2026-01-02T03:04:05-05:00").unwrap(),
            lines: lines
                .iter()
                .map(|(id, q)| ShippedLine {
                    line_id: (*id).into(),
                    quantity: *q,
                })
                .collect(),
        }
    }

    fn products() -> Vec<Value> {
        vec![
            json!({"id": 1, "order_address_id": 10, "quantity": 2, "quantity_shipped": 1}),
            json!({"id": 2, "order_address_id": 11, "quantity": 1, "quantity_shipped": 0}),
        ]
    }

    #[test]
    fn items_are_grouped_by_address() {
        let all = items_by_address(&products(), &shipment(&[])).unwrap();
        assert_eq!(
            all[&10],
            vec![json!({"order_product_id": 1, "quantity": 1})]
        );
        assert_eq!(
            all[&11],
            vec![json!({"order_product_id": 2, "quantity": 1})]
        );
        let named = items_by_address(&products(), &shipment(&[("2", 1)])).unwrap();
        assert_eq!(named.len(), 1);
        assert!(matches!(
            items_by_address(&products(), &shipment(&[("9", 1)])),
            Err(ChannelError::Rejected(_))
        ));
    }

    #[test]
    fn carriers_map_to_v2_codes() {
        let carriers = CarrierMap::new(
            switchyard_core::model::ChannelKind::Bigcommerce,
            &Default::default(),
        );
        let codes = |c: &str| carrier_codes(&carriers, c);
        assert_eq!(codes("FedEx"), ("fedex", "fedex".to_string()));
        assert_eq!(codes("Royal Mail"), ("royalmail", "royal-mail".to_string()));
        assert_eq!(codes("DHL Express"), ("", "dhl".to_string()));
        assert_eq!(codes("Bob's Couriers"), ("", String::new()));
    }
}
