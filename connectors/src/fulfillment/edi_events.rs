//! Partner EDI documents → [`TargetEvent`]s, pure. Dedup ids come from the facts (PO number,
//! SKU, status, tracking number, report reference), never from control numbers, so a document
//! read twice or re-sent by the partner yields the same ids.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use switchyard_core::fulfillment::{EventKind, LineQuantity, TargetEvent};
use switchyard_edi::docs::ItemIds;
use switchyard_edi::docs::ack855::{AckType, LineStatus, PoAcknowledgement};
use switchyard_edi::docs::advice945::ShippingAdvice;
use switchyard_edi::docs::asn856::{ShipNotice, ShippedItem};
use switchyard_edi::docs::inventory846::InventoryAdvice;
use switchyard_edi::{AckCode, FunctionalAck};

use super::exchange::SentRecord;

/// Names items in partner documents as merchant SKUs.
#[derive(Debug, Clone, Default)]
pub struct SkuResolver {
    /// Partner part number → SKU (the inverse of the adapter's `sku_map`).
    from_partner: BTreeMap<String, String>,
}

impl SkuResolver {
    pub fn new(sku_map: &BTreeMap<String, String>) -> Self {
        SkuResolver {
            from_partner: sku_map
                .iter()
                .map(|(sku, part)| (part.trim().to_string(), sku.trim().to_string()))
                .collect(),
        }
    }

    /// `BP` (our SKU, echoed) first, then `SK`, then the partner's `VN` mapped back through
    /// the order's lines or the `sku_map`, else the `VN` itself.
    pub fn sku(&self, ids: &ItemIds, record: Option<&SentRecord>) -> Option<String> {
        if let Some(sku) = ids.buyer_part.as_ref().or(ids.sku.as_ref()) {
            return Some(sku.clone());
        }
        let part = ids.vendor_part.as_ref().or(ids.upc.as_ref())?;
        if let Some(line) = record.and_then(|r| r.lines.iter().find(|l| &l.partner_item == part)) {
            return Some(line.sku.clone());
        }
        Some(self.from_partner.get(part).unwrap_or(part).clone())
    }
}

/// Counts in documents are decimals; units are whole.
fn units(quantity: Decimal) -> u32 {
    quantity.trunc().to_u32().unwrap_or(0)
}

fn at_midnight(date: NaiveDate) -> DateTime<FixedOffset> {
    date.and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
        .fixed_offset()
}

fn event(
    dedup_id: String,
    record: Option<&SentRecord>,
    po: &str,
    occurred_at: Option<DateTime<Utc>>,
    kind: EventKind,
) -> TargetEvent {
    TargetEvent {
        dedup_id,
        // Without a sent-log record the PO number is the best reference: it is the key itself
        // whenever the key is short and plain.
        order_reference: Some(
            record
                .map(|r| r.key.clone())
                .unwrap_or_else(|| po.to_string()),
        ),
        partner_order_id: Some(po.to_string()),
        occurred_at,
        kind,
    }
}

/// 855: one `Accepted` event for the lines taken, one `Rejected` per line refused (IR, ID) or
/// backordered (IB, reason `backordered`: the supplier cannot ship it now, so the merchant
/// should route it elsewhere); a header-level rejection without lines rejects the order. An
/// 855 of purpose 01 answers a cancellation: `Cancelled`, or `CancelRefused` when rejected.
pub fn from_855(
    ack: &PoAcknowledgement,
    record: Option<&SentRecord>,
    skus: &SkuResolver,
) -> Vec<TargetEvent> {
    let po = ack.po_number.as_str();
    let when = ack.ack_date.map(|d| at_midnight(d).with_timezone(&Utc));
    if ack.purpose == "01" {
        // BAK01 01: the answer to our 850 cancellation. Accepted means the PO will not ship;
        // rejected means it went too far to stop, so its 856 is still to come.
        let refused = matches!(
            ack.ack_type,
            AckType::Rejected | AckType::RejectedWithDetail
        );
        let (what, kind) = if refused {
            (
                "refused",
                EventKind::CancelRefused {
                    reason: format!(
                        "the supplier refused the cancellation ({})",
                        ack.ack_type.code()
                    ),
                },
            )
        } else {
            (
                "confirmed",
                EventKind::Cancelled {
                    reason: Some("cancellation confirmed by the supplier's 855".into()),
                },
            )
        };
        return vec![event(
            format!("855:{po}:cancel:{what}"),
            record,
            po,
            when,
            kind,
        )];
    }
    let mut accepted = Vec::new();
    let mut out = Vec::new();
    for line in &ack.lines {
        let sku = skus
            .sku(&line.line.ids, record)
            .unwrap_or_else(|| line.line.line_number.clone().unwrap_or_default());
        let ordered = units(line.line.quantity);
        for status in &line.acks {
            let quantity = status.quantity.map(units).unwrap_or(ordered);
            let reason = match status.status {
                LineStatus::Rejected => "rejected by the supplier",
                LineStatus::Deleted => "deleted by the supplier",
                LineStatus::Backordered => "backordered",
                _ => {
                    accepted.push(LineQuantity {
                        sku: sku.clone(),
                        quantity,
                    });
                    continue;
                }
            };
            out.push(event(
                format!("855:{po}:{}:{sku}", status.status.code()),
                record,
                po,
                when,
                EventKind::Rejected {
                    lines: vec![LineQuantity {
                        sku: sku.clone(),
                        quantity,
                    }],
                    reason: reason.into(),
                },
            ));
        }
    }
    let whole_rejection = matches!(
        ack.ack_type,
        AckType::Rejected | AckType::RejectedWithDetail
    );
    if whole_rejection && ack.lines.is_empty() {
        out.push(event(
            format!("855:{po}:rejected"),
            record,
            po,
            when,
            EventKind::Rejected {
                lines: Vec::new(),
                reason: format!("purchase order rejected ({})", ack.ack_type.code()),
            },
        ));
    } else if !accepted.is_empty() {
        out.insert(
            0,
            event(
                format!("855:{po}:accepted"),
                record,
                po,
                when,
                EventKind::Accepted { lines: accepted },
            ),
        );
    }
    out
}

fn shipped_lines(
    items: &[&ShippedItem],
    record: Option<&SentRecord>,
    skus: &SkuResolver,
) -> Vec<LineQuantity> {
    let mut lines: Vec<LineQuantity> = Vec::new();
    for item in items {
        let Some(sku) = skus.sku(&item.ids, record) else {
            continue;
        };
        match lines.iter_mut().find(|l| l.sku == sku) {
            Some(l) => l.quantity += units(item.quantity),
            None => lines.push(LineQuantity {
                sku,
                quantity: units(item.quantity),
            }),
        }
    }
    lines
}

/// 856: a `Shipped` event per order (PO) in the notice, tracking from REF*CN (the
/// shipment's, else the order's first package's), carrier from TD5 (SCAC, else routing).
pub fn from_856(
    notice: &ShipNotice,
    lookup: &dyn Fn(&str) -> Option<SentRecord>,
    skus: &SkuResolver,
) -> Vec<TargetEvent> {
    let shipped_at = at_midnight(notice.shipped_on.unwrap_or(notice.date));
    let carrier = notice
        .carrier_scac
        .clone()
        .or_else(|| notice.carrier_routing.clone())
        .unwrap_or_default();
    notice
        .orders
        .iter()
        .map(|order| {
            let record = lookup(&order.po_number);
            let tracking = notice
                .tracking_number
                .clone()
                .or_else(|| {
                    order
                        .packages
                        .iter()
                        .find_map(|p| p.tracking_number.clone())
                })
                .or_else(|| notice.bill_of_lading.clone())
                .unwrap_or_else(|| notice.shipment_id.clone());
            let items: Vec<&ShippedItem> = order
                .items
                .iter()
                .chain(order.packages.iter().flat_map(|p| p.items.iter()))
                .collect();
            event(
                format!("856:{}:{tracking}", order.po_number),
                record.as_ref(),
                &order.po_number,
                Some(shipped_at.with_timezone(&Utc)),
                EventKind::Shipped {
                    lines: shipped_lines(&items, record.as_ref(), skus),
                    carrier: carrier.clone(),
                    tracking_number: tracking,
                    tracking_url: None,
                    shipped_at,
                },
            )
        })
        .collect()
}

/// 945: `Shipped` for the depositor order (our PO number), lines from W12 (shipped quantity).
pub fn from_945(
    advice: &ShippingAdvice,
    record: Option<&SentRecord>,
    skus: &SkuResolver,
) -> TargetEvent {
    let po = advice.depositor_order_number.as_str();
    let tracking = advice
        .tracking_numbers
        .first()
        .cloned()
        .or_else(|| advice.shipment_id.clone())
        .unwrap_or_default();
    let carrier = advice
        .carrier
        .as_ref()
        .and_then(|c| c.scac.clone().or_else(|| c.routing.clone()))
        .unwrap_or_default();
    let shipped_at = at_midnight(advice.shipped_on.unwrap_or_else(|| Utc::now().date_naive()));
    let mut lines: Vec<LineQuantity> = Vec::new();
    for line in &advice.lines {
        let Some(sku) = skus.sku(&line.ids, record) else {
            continue;
        };
        let quantity = units(line.quantity_shipped);
        if quantity == 0 {
            continue;
        }
        match lines.iter_mut().find(|l| l.sku == sku) {
            Some(l) => l.quantity += quantity,
            None => lines.push(LineQuantity { sku, quantity }),
        }
    }
    event(
        format!("945:{po}:{tracking}"),
        record,
        po,
        advice
            .shipped_on
            .map(|d| at_midnight(d).with_timezone(&Utc)),
        EventKind::Shipped {
            lines,
            carrier,
            tracking_number: tracking,
            tracking_url: None,
            shipped_at,
        },
    )
}

/// 846: a `StockLevel` per item (QTY*33, available), keyed by the report's BIA03 reference.
pub fn from_846(advice: &InventoryAdvice, skus: &SkuResolver) -> Vec<TargetEvent> {
    let when = Some(at_midnight(advice.date).with_timezone(&Utc));
    advice
        .items
        .iter()
        .filter_map(|item| {
            let sku = skus.sku(&item.ids, None)?;
            Some(TargetEvent {
                dedup_id: format!("846:{}:{sku}", advice.reference),
                order_reference: None,
                partner_order_id: None,
                occurred_at: when,
                kind: EventKind::StockLevel {
                    available: item.available.trunc().to_i64().unwrap_or(0),
                    sku,
                },
            })
        })
        .collect()
}

/// A 997 for one of our groups: `Accepted`/`Rejected` for a 940 (the 3PL's only answer
/// before it ships); for an 850 only a rejection matters (the 855 is the acceptance).
pub fn from_997(ack: &FunctionalAck, record: Option<&SentRecord>) -> Option<TargetEvent> {
    let record = record?;
    let po = record.po_number.as_str();
    let rejected = ack.code == AckCode::Rejected;
    let kind = if rejected {
        let why: Vec<String> = ack
            .group_errors
            .iter()
            .map(|e| format!("AK9 {}", e.code()))
            .chain(ack.transactions.iter().flat_map(|t| {
                t.errors
                    .iter()
                    .map(move |e| format!("{} {}: AK5 {}", t.set_id, t.control_number, e.code()))
            }))
            .collect();
        EventKind::Rejected {
            lines: Vec::new(),
            reason: format!(
                "functional acknowledgement rejected {} group {}{}",
                ack.functional_id,
                ack.group_control_number,
                if why.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", why.join(", "))
                }
            ),
        }
    } else if record.document == "940" {
        EventKind::Accepted {
            lines: record
                .lines
                .iter()
                .map(|l| LineQuantity {
                    sku: l.sku.clone(),
                    quantity: l.quantity,
                })
                .collect(),
        }
    } else {
        return None;
    };
    Some(event(
        format!(
            "997:{}:{}:{}",
            ack.functional_id,
            ack.group_control_number,
            ack.code.code()
        ),
        Some(record),
        po,
        None,
        kind,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fulfillment::exchange::SentLine;
    use switchyard_edi::docs::ack855::{AckLine, LineAck};
    use switchyard_edi::docs::po850::PoLine;
    use switchyard_edi::{AckCode, SetAck, SetError};

    fn record() -> SentRecord {
        SentRecord {
            key: "shop:9".into(),
            reference: "shop:9".into(),
            document: "850".into(),
            po_number: "shop-9".into(),
            control_number: 42,
            file: "850_shop-9_x.edi".into(),
            lines: vec![SentLine {
                line_id: "1".into(),
                sku: "MUG".into(),
                partner_item: "P-1".into(),
                quantity: 4,
            }],
        }
    }

    #[test]
    fn items_resolve_by_echoed_sku_then_the_order_then_the_map() {
        let skus = SkuResolver::new(&BTreeMap::from([("TEE".into(), "P-2".into())]));
        let vn = |v: &str| ItemIds {
            vendor_part: Some(v.into()),
            ..ItemIds::default()
        };
        assert_eq!(
            skus.sku(&vn("P-1"), Some(&record())).as_deref(),
            Some("MUG")
        );
        assert_eq!(skus.sku(&vn("P-2"), None).as_deref(), Some("TEE"));
        assert_eq!(skus.sku(&vn("P-3"), None).as_deref(), Some("P-3"));
        let bp = ItemIds {
            buyer_part: Some("HAT".into()),
            ..vn("P-1")
        };
        assert_eq!(skus.sku(&bp, Some(&record())).as_deref(), Some("HAT"));
        assert_eq!(skus.sku(&ItemIds::default(), None), None);
    }

    #[test]
    fn an_855_rejecting_the_whole_po_and_a_partial_quantity_are_read() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let mut ack = PoAcknowledgement {
            purpose: "00".into(),
            ack_type: AckType::Rejected,
            po_number: "shop-9".into(),
            po_date: date,
            seller_order_number: None,
            ack_date: Some(date),
            lines: Vec::new(),
        };
        let skus = SkuResolver::default();
        let events = from_855(&ack, Some(&record()), &skus);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].dedup_id, "855:shop-9:rejected");
        assert!(matches!(&events[0].kind, EventKind::Rejected { lines, .. } if lines.is_empty()));

        ack.ack_type = AckType::AcceptedWithChanges;
        ack.lines = vec![AckLine {
            line: PoLine {
                line_number: Some("1".into()),
                quantity: Decimal::from(4),
                unit: "EA".into(),
                unit_price: None,
                ids: ItemIds {
                    vendor_part: Some("P-1".into()),
                    ..ItemIds::default()
                },
                description: None,
            },
            acks: vec![
                LineAck {
                    status: LineStatus::QuantityChanged,
                    quantity: Some(Decimal::from(3)),
                    unit: None,
                    date: None,
                },
                LineAck {
                    status: LineStatus::Backordered,
                    quantity: Some(Decimal::ONE),
                    unit: None,
                    date: None,
                },
            ],
        }];
        let events = from_855(&ack, Some(&record()), &skus);
        let kinds: Vec<&EventKind> = events.iter().map(|e| &e.kind).collect();
        assert_eq!(
            kinds,
            vec![
                &EventKind::Accepted {
                    lines: vec![LineQuantity {
                        sku: "MUG".into(),
                        quantity: 3
                    }]
                },
                &EventKind::Rejected {
                    lines: vec![LineQuantity {
                        sku: "MUG".into(),
                        quantity: 1
                    }],
                    reason: "backordered".into()
                },
            ]
        );
        assert_eq!(events[1].dedup_id, "855:shop-9:IB:MUG");
    }

    #[test]
    fn an_855_answering_a_cancellation_confirms_or_refuses_it() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let mut ack = PoAcknowledgement {
            purpose: "01".into(),
            ack_type: AckType::Accepted,
            po_number: "shop-9".into(),
            po_date: date,
            seller_order_number: None,
            ack_date: Some(date),
            lines: Vec::new(),
        };
        let skus = SkuResolver::default();
        let events = from_855(&ack, Some(&record()), &skus);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].dedup_id, "855:shop-9:cancel:confirmed");
        assert!(matches!(&events[0].kind, EventKind::Cancelled { .. }));
        ack.ack_type = AckType::Rejected;
        let events = from_855(&ack, Some(&record()), &skus);
        assert_eq!(events[0].dedup_id, "855:shop-9:cancel:refused");
        assert!(
            matches!(&events[0].kind, EventKind::CancelRefused { reason } if reason.contains("RJ")),
            "{:?}",
            events[0].kind
        );
    }

    #[test]
    fn a_997_rejection_names_the_errors_and_an_accepted_850_says_nothing() {
        let mut ack = FunctionalAck {
            functional_id: "PO".into(),
            group_control_number: "42".into(),
            transactions: vec![SetAck {
                set_id: "850".into(),
                control_number: "42".into(),
                code: AckCode::Rejected,
                errors: vec![SetError::SegmentsInError],
                notes: Vec::new(),
            }],
            code: AckCode::Rejected,
            included: 1,
            received: 1,
            accepted: 0,
            group_errors: Vec::new(),
        };
        let event = from_997(&ack, Some(&record())).expect("a rejection");
        assert_eq!(event.order_reference.as_deref(), Some("shop:9"));
        let EventKind::Rejected { reason, lines } = &event.kind else {
            panic!("{event:?}")
        };
        assert!(lines.is_empty());
        assert!(reason.contains("850 42: AK5 5"), "{reason}");
        ack.code = AckCode::Accepted;
        assert_eq!(from_997(&ack, Some(&record())), None);
        assert_eq!(from_997(&ack, None), None);
    }
}
