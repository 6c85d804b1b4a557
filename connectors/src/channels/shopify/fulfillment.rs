//! Writing a shipment back: `fulfillmentCreate` over the order's fulfillment orders, with
//! tracking. Idempotent by tracking number: a fulfillment that already carries it means the
//! write happened (perhaps before a crash), so nothing is created twice.

use serde_json::{Value, json};
use switchyard_core::model::Shipment;
use switchyard_core::ports::ChannelError;

use super::graphql::GraphqlClient;
use super::ids::{numeric_id, to_gid};

/// Fulfillment orders and lines read per order: 1 + 2 + 5 × (1 + 2 + 50 × 2) + 2 = 520 points.
const STATE_QUERY: &str = "query SwitchyardFulfillmentState($id: ID!) { order(id: $id) { \
   fulfillments(first: 50) { trackingInfo(first: 10) { number } } \
   fulfillmentOrders(first: 5) { nodes { id status \
     lineItems(first: 50) { nodes { id remainingQuantity lineItem { id } } } } } } }";
const STATE_COST: u32 = 520;

const CREATE: &str = "mutation SwitchyardFulfill($fulfillment: FulfillmentInput!) { \
   fulfillmentCreate(fulfillment: $fulfillment) { fulfillment { id } userErrors { field message } } }";
const CREATE_COST: u32 = 10;

/// One fulfillment order line that still has units to ship.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenLine {
    pub fulfillment_order_id: String,
    pub id: String,
    pub line_item_id: String,
    pub remaining: u32,
}

fn already_tracked(order: &Value, number: &str) -> bool {
    order
        .get("fulfillments")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|f| {
            f.get("trackingInfo")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(|t| t.get("number").and_then(Value::as_str))
        .any(|n| n.trim().eq_ignore_ascii_case(number.trim()))
}

/// Lines of fulfillment orders that can still be fulfilled.
pub fn open_lines(order: &Value) -> Vec<OpenLine> {
    let mut out = Vec::new();
    let fos = order
        .pointer("/fulfillmentOrders/nodes")
        .and_then(Value::as_array);
    for fo in fos.into_iter().flatten() {
        let status = fo.get("status").and_then(Value::as_str).unwrap_or_default();
        if !matches!(status, "OPEN" | "IN_PROGRESS") {
            continue;
        }
        let Some(fo_id) = fo.get("id").and_then(Value::as_str) else {
            continue;
        };
        let lines = fo.pointer("/lineItems/nodes").and_then(Value::as_array);
        for l in lines.into_iter().flatten() {
            let remaining = l
                .get("remainingQuantity")
                .and_then(Value::as_u64)
                .and_then(|r| u32::try_from(r).ok())
                .unwrap_or(0);
            let id = l.get("id").and_then(Value::as_str);
            let item = l
                .pointer("/lineItem/id")
                .and_then(Value::as_str)
                .and_then(numeric_id);
            if let (Some(id), Some(item)) = (id, item)
                && remaining > 0
            {
                out.push(OpenLine {
                    fulfillment_order_id: fo_id.to_string(),
                    id: id.to_string(),
                    line_item_id: item.to_string(),
                    remaining,
                });
            }
        }
    }
    out
}

/// Spreads the shipment's lines over open fulfillment order lines: `(fo line, quantity)`.
/// An empty shipment ships everything remaining.
pub fn allocate(
    shipment: &Shipment,
    open: &[OpenLine],
) -> Result<Vec<(OpenLine, u32)>, ChannelError> {
    if shipment.lines.is_empty() {
        return Ok(open.iter().map(|l| (l.clone(), l.remaining)).collect());
    }
    let mut out: Vec<(OpenLine, u32)> = Vec::new();
    for line in &shipment.lines {
        let mut left = line.quantity;
        for candidate in open.iter().filter(|o| o.line_item_id == line.line_id) {
            if left == 0 {
                break;
            }
            let taken: u32 = out
                .iter()
                .filter(|(o, _)| o.id == candidate.id)
                .map(|(_, q)| *q)
                .sum();
            let take = left.min(candidate.remaining.saturating_sub(taken));
            if take > 0 {
                out.push((candidate.clone(), take));
                left -= take;
            }
        }
        if left > 0 {
            tracing::warn!(
                line_id = %line.line_id,
                missing = left,
                "shopify: fewer units left to fulfil than the shipment carries"
            );
        }
    }
    if out.is_empty() {
        return Err(ChannelError::Rejected(format!(
            "order {}: none of the shipped lines has units left to fulfil",
            shipment.order_external_id
        )));
    }
    Ok(out)
}

/// `lineItemsByFulfillmentOrder`, grouped by fulfillment order in first-seen order.
fn by_fulfillment_order(alloc: &[(OpenLine, u32)]) -> Vec<Value> {
    let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
    for (line, qty) in alloc {
        let item = json!({ "id": line.id, "quantity": qty });
        match groups
            .iter_mut()
            .find(|(id, _)| *id == line.fulfillment_order_id)
        {
            Some((_, items)) => items.push(item),
            None => groups.push((line.fulfillment_order_id.clone(), vec![item])),
        }
    }
    groups
        .into_iter()
        .map(|(id, items)| json!({ "fulfillmentOrderId": id, "fulfillmentOrderLineItems": items }))
        .collect()
}

pub async fn write_back(client: &GraphqlClient, shipment: &Shipment) -> Result<(), ChannelError> {
    let order_gid = to_gid("Order", &shipment.order_external_id).ok_or_else(|| {
        ChannelError::Rejected(format!(
            "`{}` is not a Shopify order id",
            shipment.order_external_id
        ))
    })?;
    let data = client
        .run(
            "shopify fulfillment state",
            STATE_QUERY,
            json!({ "id": order_gid }),
            STATE_COST,
        )
        .await?;
    let order = data
        .get("order")
        .filter(|o| o.is_object())
        .ok_or_else(|| ChannelError::Rejected(format!("order {order_gid} not found")))?;
    if already_tracked(order, &shipment.tracking_number) {
        tracing::info!(order = %order_gid, "shopify: tracking already recorded; nothing to do");
        return Ok(());
    }
    let alloc = allocate(shipment, &open_lines(order))?;
    let vars = json!({ "fulfillment": {
        "lineItemsByFulfillmentOrder": by_fulfillment_order(&alloc),
        "trackingInfo": { "company": shipment.carrier, "number": shipment.tracking_number },
        "notifyCustomer": true,
    }});
    let data = client
        .run("shopify fulfillment create", CREATE, vars, CREATE_COST)
        .await?;
    let errors = data
        .pointer("/fulfillmentCreate/userErrors")
        .and_then(Value::as_array)
        .ok_or_else(|| ChannelError::Decode("no `fulfillmentCreate.userErrors`".into()))?;
    if !errors.is_empty() {
        let messages: Vec<&str> = errors
            .iter()
            .filter_map(|e| e.get("message").and_then(Value::as_str))
            .collect();
        return Err(ChannelError::Rejected(messages.join("; ")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use switchyard_core::model::ShippedLine;

    fn order() -> Value {
        json!({
            "fulfillments": [{ "trackingInfo": [{ "number": "1Z999" }] }],
            "fulfillmentOrders": { "nodes": [
                { "id": "gid://shopify/FulfillmentOrder/1", "status": "IN_PROGRESS",
                  "lineItems": { "nodes": [
                    { "id": "gid://shopify/FulfillmentOrderLineItem/11", "remainingQuantity": 2,
                      "lineItem": { "id": "gid://shopify/LineItem/101" } },
                    { "id": "gid://shopify/FulfillmentOrderLineItem/12", "remainingQuantity": 0,
                      "lineItem": { "id": "gid://shopify/LineItem/102" } } ] } },
                { "id": "gid://shopify/FulfillmentOrder/2", "status": "CLOSED",
                  "lineItems": { "nodes": [] } } ] }
        })
    }

    fn shipment(lines: Vec<ShippedLine>) -> Shipment {
        Shipment {
            order_external_id: "5".into(),
            carrier: "UPS".into(),
            tracking_number: "1Z1000".into(),
            shipped_at: DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap(),
            lines,
        }
    }

    #[test]
    fn tracking_already_present_is_detected() {
        assert!(already_tracked(&order(), " 1z999 "));
        assert!(!already_tracked(&order(), "1Z1000"));
    }

    #[test]
    fn allocates_by_line_item_id_and_ships_all_when_empty() {
        let open = open_lines(&order());
        assert_eq!(open.len(), 1);
        let all = allocate(&shipment(vec![]), &open).unwrap();
        assert_eq!(all[0].1, 2);
        let one = allocate(
            &shipment(vec![ShippedLine {
                line_id: "101".into(),
                quantity: 1,
            }]),
            &open,
        )
        .unwrap();
        assert_eq!(
            (one[0].0.id.as_str(), one[0].1),
            ("gid://shopify/FulfillmentOrderLineItem/11", 1)
        );
        let groups = by_fulfillment_order(&one);
        assert_eq!(
            groups[0]["fulfillmentOrderId"],
            "gid://shopify/FulfillmentOrder/1"
        );
        let none = allocate(
            &shipment(vec![ShippedLine {
                line_id: "102".into(),
                quantity: 1,
            }]),
            &open,
        );
        assert!(matches!(none, Err(ChannelError::Rejected(_))));
    }
}
