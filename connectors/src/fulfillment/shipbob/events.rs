//! ShipBob orders and shipments read into [`TargetEvent`]s (pure). A poll sees
//! `Orders.OrderViewModel`s, a webhook one `Orders.ShipmentViewModel`; both go through
//! [`shipment_events`], so the same fact gets the same dedup id whichever way it came:
//!
//! | ShipBob | event | dedup id |
//! |---|---|---|
//! | order `Processing`/`Fulfilled`/`PartiallyFulfilled` | `Accepted` (order lines) | `shipbob:order:{id}:accepted` |
//! | shipment `Completed`/`LabeledCreated` with a tracking number | `Shipped` | `shipbob:shipment:{id}:shipped:{tracking}` |
//! | shipment `Exception`/`OnHold` | `Rejected` (lines named by `status_details[].inventory_id`, else the whole order) | `shipbob:shipment:{id}:{status}:{detail ids}` |
//! | order or shipment `Cancelled` | `Cancelled` | `shipbob:order:{id}:cancelled` |

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::Value;
use switchyard_core::fulfillment::{EventKind, LineQuantity, TargetEvent};

/// Why a ShipBob payload could not be read, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct ReadError {
    pub field: String,
    pub problem: String,
}

fn err(field: impl Into<String>, problem: impl Into<String>) -> ReadError {
    ReadError {
        field: field.into(),
        problem: problem.into(),
    }
}

/// Maps ShipBob's product reference ids back to the merchant's SKUs.
#[derive(Debug, Clone, Default)]
pub struct SkuNames {
    /// partner reference id → merchant SKU, for SKUs configured under another name.
    pub from_partner: BTreeMap<String, String>,
}

impl SkuNames {
    fn merchant_sku(&self, partner: &str) -> String {
        self.from_partner
            .get(partner)
            .cloned()
            .unwrap_or_else(|| partner.to_string())
    }
}

fn id_text(value: Option<&Value>, field: &str) -> Result<String, ReadError> {
    match value {
        Some(Value::Number(n)) if n.is_u64() => Ok(n.to_string()),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Some(Value::Null) | None => Err(err(field, "missing")),
        Some(other) => Err(err(field, format!("expected an id, found {other}"))),
    }
}

fn opt_text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// ShipBob writes ISO 8601 with an offset (`…43.7807166+00:00`); a bare time is UTC.
pub fn parse_time(text: &str, field: &str) -> Result<DateTime<FixedOffset>, ReadError> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .map(|n| n.and_utc().fixed_offset())
        })
        .map_err(|_| err(field, format!("`{text}` is not an ISO 8601 time")))
}

fn opt_time(
    value: &Value,
    key: &str,
    field: &str,
) -> Result<Option<DateTime<FixedOffset>>, ReadError> {
    match opt_text(value, key) {
        Some(text) => parse_time(text, &format!("{field}.{key}")).map(Some),
        None => Ok(None),
    }
}

fn count(value: Option<&Value>, field: &str) -> Result<u32, ReadError> {
    value
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| err(field, "expected a non-negative whole number"))
}

/// Adds `quantity` of `sku`, keeping one entry per SKU in first-seen order.
fn add(lines: &mut Vec<LineQuantity>, sku: String, quantity: u32) {
    match lines.iter_mut().find(|l| l.sku == sku) {
        Some(l) => l.quantity = l.quantity.saturating_add(quantity),
        None => lines.push(LineQuantity { sku, quantity }),
    }
}

/// Events an order in a poll stands for: its acceptance or cancellation, and its shipments'.
pub fn order_events(order: &Value, names: &SkuNames) -> Result<Vec<TargetEvent>, ReadError> {
    if !order.is_object() {
        return Err(err("order", "expected a JSON object"));
    }
    let order_id = id_text(order.get("id"), "id")?;
    let reference = opt_text(order, "reference_id").map(str::to_string);
    let status = opt_text(order, "status").ok_or_else(|| err("status", "missing"))?;
    let created = opt_time(order, "created_date", "order")?;
    let mut events = Vec::new();
    let event =
        |dedup_id: String, kind: EventKind, at: Option<DateTime<FixedOffset>>| TargetEvent {
            dedup_id,
            order_reference: reference.clone(),
            partner_order_id: Some(order_id.clone()),
            occurred_at: at.map(|t| t.with_timezone(&Utc)),
            kind,
        };
    match status {
        "Processing" | "Fulfilled" | "PartiallyFulfilled" => {
            let mut lines = Vec::new();
            for (i, p) in order
                .get("products")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                let sku = opt_text(p, "reference_id")
                    .or_else(|| opt_text(p, "sku"))
                    .ok_or_else(|| err(format!("products[{i}].reference_id"), "missing"))?;
                let quantity = count(p.get("quantity"), &format!("products[{i}].quantity"))?;
                add(&mut lines, names.merchant_sku(sku), quantity);
            }
            events.push(event(
                format!("shipbob:order:{order_id}:accepted"),
                EventKind::Accepted { lines },
                created,
            ));
        }
        "Cancelled" => events.push(event(
            format!("shipbob:order:{order_id}:cancelled"),
            EventKind::Cancelled { reason: None },
            None,
        )),
        _ => {}
    }
    for (i, shipment) in order
        .get("shipments")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        for e in shipment_events(shipment, names)
            .map_err(|e| err(format!("shipments[{i}].{}", e.field), e.problem))?
        {
            // An order-level cancellation already said it.
            if !events.iter().any(|known| known.dedup_id == e.dedup_id) {
                events.push(e);
            }
        }
    }
    Ok(events)
}

/// Events one shipment stands for (none while it is still being picked).
pub fn shipment_events(shipment: &Value, names: &SkuNames) -> Result<Vec<TargetEvent>, ReadError> {
    if !shipment.is_object() {
        return Err(err("shipment", "expected a JSON object"));
    }
    let shipment_id = id_text(shipment.get("id"), "id")?;
    let order_id = id_text(shipment.get("order_id"), "order_id")?;
    let reference = opt_text(shipment, "reference_id").map(str::to_string);
    let status = opt_text(shipment, "status").ok_or_else(|| err("status", "missing"))?;
    let updated = opt_time(shipment, "last_update_at", "shipment")?;
    let event =
        |dedup_id: String, kind: EventKind, at: Option<DateTime<FixedOffset>>| TargetEvent {
            dedup_id,
            order_reference: reference.clone(),
            partner_order_id: Some(order_id.clone()),
            occurred_at: at.or(updated).map(|t| t.with_timezone(&Utc)),
            kind,
        };
    // (merchant SKU, quantity, inventory ids) per product in the shipment.
    let mut products: Vec<(String, u32, Vec<u64>)> = Vec::new();
    for (i, p) in shipment
        .get("products")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let sku = opt_text(p, "reference_id")
            .or_else(|| opt_text(p, "sku"))
            .ok_or_else(|| err(format!("products[{i}].reference_id"), "missing"))?;
        let mut quantity = 0u32;
        let mut inventory_ids = Vec::new();
        for (j, item) in p
            .get("inventory_items")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let field = format!("products[{i}].inventory_items[{j}]");
            quantity =
                quantity.saturating_add(count(item.get("quantity"), &format!("{field}.quantity"))?);
            if let Some(id) = item.get("id").and_then(Value::as_u64) {
                inventory_ids.push(id);
            }
        }
        products.push((names.merchant_sku(sku), quantity, inventory_ids));
    }
    let all_lines = || {
        let mut lines = Vec::new();
        for (sku, quantity, _) in &products {
            add(&mut lines, sku.clone(), *quantity);
        }
        lines
    };
    let mut events = Vec::new();
    match status {
        "Completed" | "LabeledCreated" => {
            let Some(tracking) = shipment.get("tracking").filter(|t| t.is_object()) else {
                return Ok(events);
            };
            let Some(number) = opt_text(tracking, "tracking_number") else {
                return Ok(events);
            };
            let carrier = opt_text(tracking, "carrier").ok_or_else(|| {
                err(
                    "tracking.carrier",
                    "missing on a shipment with a tracking number",
                )
            })?;
            let shipped_at = match opt_time(tracking, "shipping_date", "tracking")? {
                Some(t) => t,
                None => opt_time(shipment, "actual_fulfillment_date", "shipment")?
                    .or(updated)
                    .ok_or_else(|| {
                        err(
                            "tracking.shipping_date",
                            "missing, and no other time says when it shipped",
                        )
                    })?,
            };
            events.push(event(
                format!("shipbob:shipment:{shipment_id}:shipped:{number}"),
                EventKind::Shipped {
                    lines: all_lines(),
                    carrier: carrier.to_string(),
                    tracking_number: number.to_string(),
                    tracking_url: opt_text(tracking, "tracking_url").map(str::to_string),
                    shipped_at,
                },
                Some(shipped_at),
            ));
        }
        "Exception" | "OnHold" => {
            let details = shipment
                .get("status_details")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let mut lines = Vec::new();
            let mut reasons = Vec::new();
            let mut detail_ids = Vec::new();
            for d in details {
                if let Some(id) = d.get("id").and_then(Value::as_u64) {
                    detail_ids.push(id.to_string());
                }
                let name = opt_text(d, "name").unwrap_or(status);
                reasons.push(match opt_text(d, "description") {
                    Some(description) => format!("{name}: {description}"),
                    None => name.to_string(),
                });
                let Some(inventory_id) = d.get("inventory_id").and_then(Value::as_u64) else {
                    continue;
                };
                if let Some((sku, quantity, _)) = products
                    .iter()
                    .find(|(_, _, ids)| ids.contains(&inventory_id))
                {
                    add(&mut lines, sku.clone(), *quantity);
                }
            }
            if reasons.is_empty() {
                reasons.push(format!("ShipBob moved the shipment to {status}"));
            }
            events.push(event(
                format!(
                    "shipbob:shipment:{shipment_id}:{}:{}",
                    status.to_ascii_lowercase(),
                    detail_ids.join("-")
                ),
                EventKind::Rejected {
                    lines,
                    reason: reasons.join("; "),
                },
                None,
            ));
        }
        "Cancelled" => events.push(event(
            format!("shipbob:order:{order_id}:cancelled"),
            EventKind::Cancelled {
                reason: Some("ShipBob cancelled the shipment".into()),
            },
            None,
        )),
        _ => {}
    }
    Ok(events)
}

/// Newest change time an order in a poll carries (its shipments' `last_update_at`, else when
/// it was created).
pub fn order_changed_at(order: &Value) -> Option<DateTime<Utc>> {
    let shipments = order
        .get("shipments")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    shipments
        .iter()
        .filter_map(|s| opt_text(s, "last_update_at"))
        .chain(opt_text(order, "created_date"))
        .filter_map(|t| parse_time(t, "").ok())
        .map(|t| t.with_timezone(&Utc))
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shipment(status: &str) -> Value {
        json!({
            "id": 501, "order_id": 77, "reference_id": "shop:1001", "status": status,
            "last_update_at": "2026-03-02T10:00:00.1234567+00:00",
            "status_details": [],
            "tracking": null,
            "products": [
                {"id": 1, "reference_id": "SB-MUG", "sku": "SB-MUG",
                 "inventory_items": [{"id": 9001, "quantity": 2}]},
                {"id": 2, "reference_id": "TEE", "sku": "TEE",
                 "inventory_items": [{"id": 9002, "quantity": 1}]},
            ],
        })
    }

    fn names() -> SkuNames {
        SkuNames {
            from_partner: [("SB-MUG".to_string(), "MUG".to_string())].into(),
        }
    }

    #[test]
    fn a_labelled_shipment_is_shipped_with_its_lines_and_tracking() {
        let mut s = shipment("Completed");
        s["tracking"] = json!({"carrier": "USPS", "tracking_number": "9400", "tracking_url": "https://t/9400",
                               "shipping_date": "2026-03-02T09:00:00.0000000+00:00"});
        let events = shipment_events(&s, &names()).unwrap();
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(e.dedup_id, "shipbob:shipment:501:shipped:9400");
        assert_eq!(e.order_reference.as_deref(), Some("shop:1001"));
        assert_eq!(e.partner_order_id.as_deref(), Some("77"));
        let EventKind::Shipped {
            lines,
            carrier,
            shipped_at,
            ..
        } = &e.kind
        else {
            panic!("shipped expected");
        };
        assert_eq!(carrier, "USPS");
        assert_eq!(shipped_at.to_rfc3339(), "2026-03-02T09:00:00+00:00");
        assert_eq!(
            lines,
            &[
                LineQuantity {
                    sku: "MUG".into(),
                    quantity: 2
                },
                LineQuantity {
                    sku: "TEE".into(),
                    quantity: 1
                }
            ]
        );
        // Without a tracking number it has not shipped yet, whatever the status says.
        assert!(
            shipment_events(&shipment("LabeledCreated"), &names())
                .unwrap()
                .is_empty()
        );
        assert!(
            shipment_events(&shipment("Processing"), &names())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn exceptions_reject_the_named_lines_or_the_whole_order() {
        let mut s = shipment("Exception");
        s["status_details"] = json!([{"id": 2, "name": "OutOfStock", "description": "No stock", "inventory_id": 9002}]);
        let e = &shipment_events(&s, &names()).unwrap()[0];
        assert_eq!(e.dedup_id, "shipbob:shipment:501:exception:2");
        assert_eq!(
            e.kind,
            EventKind::Rejected {
                lines: vec![LineQuantity {
                    sku: "TEE".into(),
                    quantity: 1
                }],
                reason: "OutOfStock: No stock".into()
            }
        );
        let e = &shipment_events(&shipment("OnHold"), &names()).unwrap()[0];
        let EventKind::Rejected { lines, reason } = &e.kind else {
            panic!("rejected expected");
        };
        assert!(lines.is_empty());
        assert!(reason.contains("OnHold"));
    }

    #[test]
    fn an_order_carries_acceptance_cancellation_and_its_shipments() {
        let order = json!({
            "id": 77, "reference_id": "shop:1001", "status": "Processing",
            "created_date": "2026-03-01T10:00:00+00:00",
            "products": [{"reference_id": "SB-MUG", "quantity": 2}, {"reference_id": "SB-MUG", "quantity": 1}],
            "shipments": [shipment("Processing")],
        });
        let events = order_events(&order, &names()).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(
            events[0].kind,
            EventKind::Accepted {
                lines: vec![LineQuantity {
                    sku: "MUG".into(),
                    quantity: 3
                }]
            }
        );
        assert_eq!(
            order_changed_at(&order).unwrap().to_rfc3339(),
            "2026-03-02T10:00:00.123456700+00:00"
        );
        let mut cancelled = order.clone();
        cancelled["status"] = json!("Cancelled");
        cancelled["shipments"][0]["status"] = json!("Cancelled");
        let events = order_events(&cancelled, &names()).unwrap();
        assert_eq!(
            events.len(),
            1,
            "order and shipment cancellation are one fact"
        );
        assert_eq!(events[0].dedup_id, "shipbob:order:77:cancelled");
    }

    #[test]
    fn unreadable_payloads_name_the_field() {
        let mut s = shipment("Completed");
        s["tracking"] = json!({"tracking_number": "9400"});
        let e = shipment_events(&s, &names()).unwrap_err();
        assert_eq!(e.field, "tracking.carrier");
        let mut s = shipment("Completed");
        s["products"][0]["inventory_items"][0]["quantity"] = json!(-1);
        assert_eq!(
            shipment_events(&s, &names()).unwrap_err().field,
            "products[0].inventory_items[0].quantity"
        );
        let order = json!({"id": 77, "status": "Processing", "shipments": [{"id": 1, "status": "Completed"}]});
        assert_eq!(
            order_events(&order, &names()).unwrap_err().field,
            "shipments[0].order_id"
        );
        assert_eq!(
            order_events(&json!([1]), &names()).unwrap_err().field,
            "order"
        );
    }
}
