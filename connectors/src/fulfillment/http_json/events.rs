//! The supplier's events, pushed as webhooks and listed by `GET events_url?since=`: one JSON
//! envelope `{"id", "type", "created_at", "data"}` per fact. Dedup ids come from the fact
//! (PO + tracking number, PO + rejected lines, SKU + stock time), never from the envelope id,
//! so the same shipment reported twice, or once by webhook and once by poll, is kept once.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use serde_json::Value;
use switchyard_core::fulfillment::{EventKind, LineQuantity, TargetEvent};

/// One event as the supplier sends it.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: DateTime<FixedOffset>,
    #[serde(default)]
    pub data: Value,
}

#[derive(Debug, Deserialize)]
struct Line {
    sku: String,
    quantity: u32,
}

#[derive(Debug, Deserialize)]
struct Shipped {
    po_number: String,
    order_id: Option<String>,
    carrier: String,
    tracking_number: String,
    tracking_url: Option<String>,
    shipped_at: DateTime<FixedOffset>,
    lines: Vec<Line>,
}

#[derive(Debug, Deserialize)]
struct Rejected {
    po_number: String,
    order_id: Option<String>,
    reason: String,
    #[serde(default)]
    lines: Vec<Line>,
}

#[derive(Debug, Deserialize)]
struct Cancelled {
    po_number: String,
    order_id: Option<String>,
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Level {
    sku: String,
    available: i64,
}

#[derive(Debug, Deserialize)]
struct Stock {
    as_of: DateTime<FixedOffset>,
    levels: Vec<Level>,
}

/// Supplier part number → merchant SKU, for parts configured under another name.
#[derive(Debug, Clone, Default)]
pub struct PartNames {
    pub from_supplier: BTreeMap<String, String>,
}

impl PartNames {
    fn sku(&self, part: &str) -> String {
        self.from_supplier
            .get(part)
            .cloned()
            .unwrap_or_else(|| part.to_string())
    }

    fn lines(&self, lines: Vec<Line>) -> Vec<LineQuantity> {
        lines
            .into_iter()
            .map(|l| LineQuantity {
                sku: self.sku(&l.sku),
                quantity: l.quantity,
            })
            .collect()
    }
}

fn data<T: for<'de> Deserialize<'de>>(envelope: &Envelope) -> Result<T, String> {
    serde_json::from_value(envelope.data.clone())
        .map_err(|e| format!("event {} ({}): data: {e}", envelope.id, envelope.kind))
}

/// The events in one envelope: none for a type Switchyard does not act on.
pub fn read(envelope: Envelope, names: &PartNames) -> Result<Vec<TargetEvent>, String> {
    let at = Some(envelope.created_at.with_timezone(&Utc));
    let event = |dedup_id: String, po: Option<String>, order: Option<String>, kind| TargetEvent {
        dedup_id,
        order_reference: po,
        partner_order_id: order,
        occurred_at: at,
        kind,
    };
    Ok(match envelope.kind.as_str() {
        "order.shipped" => {
            let s: Shipped = data(&envelope)?;
            vec![event(
                format!("http_json:{}:shipped:{}", s.po_number, s.tracking_number),
                Some(s.po_number),
                s.order_id,
                EventKind::Shipped {
                    lines: names.lines(s.lines),
                    carrier: s.carrier,
                    tracking_number: s.tracking_number,
                    tracking_url: s.tracking_url,
                    shipped_at: s.shipped_at,
                },
            )]
        }
        "order.rejected" => {
            let r: Rejected = data(&envelope)?;
            let lines = names.lines(r.lines);
            let mut which: Vec<String> = lines
                .iter()
                .map(|l| format!("{}x{}", l.sku, l.quantity))
                .collect();
            which.sort();
            let which = if which.is_empty() {
                "all".to_string()
            } else {
                which.join(",")
            };
            vec![event(
                format!("http_json:{}:rejected:{which}", r.po_number),
                Some(r.po_number),
                r.order_id,
                EventKind::Rejected {
                    lines,
                    reason: r.reason,
                },
            )]
        }
        "order.cancelled" => {
            let c: Cancelled = data(&envelope)?;
            vec![event(
                format!("http_json:{}:cancelled", c.po_number),
                Some(c.po_number),
                c.order_id,
                EventKind::Cancelled { reason: c.reason },
            )]
        }
        "stock.level" => {
            let s: Stock = data(&envelope)?;
            let as_of = s.as_of.with_timezone(&Utc);
            s.levels
                .into_iter()
                .map(|l| {
                    let sku = names.sku(&l.sku);
                    TargetEvent {
                        dedup_id: format!("http_json:stock:{sku}@{}", as_of.to_rfc3339()),
                        order_reference: None,
                        partner_order_id: None,
                        occurred_at: Some(as_of),
                        kind: EventKind::StockLevel {
                            sku,
                            available: l.available,
                        },
                    }
                })
                .collect()
        }
        other => {
            tracing::debug!(event = %envelope.id, kind = other, "supplier event not acted on");
            Vec::new()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn envelope(value: Value) -> Envelope {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn each_type_reads_with_ids_from_the_fact() {
        let names = PartNames {
            from_supplier: [("ACME-77".to_string(), "MUG".to_string())].into(),
        };
        let shipped = |id: &str| {
            envelope(
                json!({"id": id, "type": "order.shipped", "created_at": "2026-11-23T10:00:00Z",
                "data": {"po_number": "shop:1", "order_id": "SO-1", "carrier": "UPS",
                "tracking_number": "1Z9", "tracking_url": null, "shipped_at": "2026-11-23T09:00:00-05:00",
                "lines": [{"sku": "ACME-77", "quantity": 2}]}}),
            )
        };
        let first = read(shipped("evt_1"), &names).unwrap();
        let again = read(shipped("evt_2"), &names).unwrap();
        assert_eq!(
            first, again,
            "a resent event with a new envelope id is the same fact"
        );
        let EventKind::Shipped { lines, .. } = &first[0].kind else {
            panic!("shipped expected");
        };
        assert_eq!(lines[0].sku, "MUG");
        assert_eq!(first[0].order_reference.as_deref(), Some("shop:1"));

        let rejected = read(
            envelope(json!({"id": "e", "type": "order.rejected", "created_at": "2026-11-23T10:00:00Z",
                "data": {"po_number": "shop:1", "reason": "discontinued", "lines": [{"sku": "B", "quantity": 1}, {"sku": "A", "quantity": 3}]}})),
            &names,
        )
        .unwrap();
        assert_eq!(rejected[0].dedup_id, "http_json:shop:1:rejected:Ax3,Bx1");

        let stock = read(
            envelope(json!({"id": "e", "type": "stock.level", "created_at": "2026-11-23T10:00:00Z",
                "data": {"as_of": "2026-11-23T10:00:00Z", "levels": [{"sku": "ACME-77", "available": 5}, {"sku": "PEN", "available": 0}]}})),
            &names,
        )
        .unwrap();
        assert_eq!(stock.len(), 2);
        assert_eq!(
            stock[0].kind,
            EventKind::StockLevel {
                sku: "MUG".into(),
                available: 5
            }
        );
        assert_eq!(
            stock[0].dedup_id,
            "http_json:stock:MUG@2026-11-23T10:00:00+00:00"
        );

        let other = read(
            envelope(
                json!({"id": "e", "type": "invoice.created", "created_at": "2026-11-23T10:00:00Z"}),
            ),
            &names,
        );
        assert_eq!(other, Ok(Vec::new()));
        let broken = read(
            envelope(
                json!({"id": "e9", "type": "order.shipped", "created_at": "2026-11-23T10:00:00Z",
                "data": {"po_number": "shop:1"}}),
            ),
            &names,
        )
        .unwrap_err();
        assert!(
            broken.contains("e9") && broken.contains("carrier"),
            "{broken}"
        );
    }
}
