//! Events out: what Switchyard tells the outside world happened, as pure data. The store writes
//! an event in the same transaction as the change it reports (`store/events_sql.rs` and its
//! PostgreSQL twin), so the log can never say something the database does not hold, nor miss
//! something it does; the admin API reads it (`GET /api/v1/events`) and the daemon's webhook
//! worker sends it, signed, to the configured subscribers.
//!
//! Each event has a position (`id`, strictly increasing in commit order), a type, the time it
//! was written and a payload whose shape is versioned ([`PAYLOAD_VERSION`]): a receiver reads
//! `version` before the data and ignores members it does not know.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::{Order, OrderLine, ShippedLine};
use crate::routing::RoutePlan;
use crate::rules::{Kits, Reservation};

/// The shape of `data` this build writes. A change that removes or retypes a member raises
/// it; new optional members do not.
pub const PAYLOAD_VERSION: i64 = 1;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventType {
    /// An order was stored for the first time.
    #[serde(rename = "order.received")]
    OrderReceived,
    /// Every line of an order has a location (by the rules, a re-route or an operator).
    #[serde(rename = "order.routed")]
    OrderRouted,
    /// Some line of an order waits for a person.
    #[serde(rename = "order.held")]
    OrderHeld,
    /// A fulfilment partner took an order (its id for it is in the payload).
    #[serde(rename = "order.submitted")]
    OrderSubmitted,
    /// A parcel of an order left (own warehouse or a partner's ship notice).
    #[serde(rename = "order.shipped")]
    OrderShipped,
    /// The channel cancelled an order.
    #[serde(rename = "order.cancelled")]
    OrderCancelled,
    /// A SKU's available units (on hand − reserved, over every location) changed.
    #[serde(rename = "stock.changed")]
    StockChanged,
}

impl EventType {
    pub const ALL: [EventType; 7] = [
        EventType::OrderReceived,
        EventType::OrderRouted,
        EventType::OrderHeld,
        EventType::OrderSubmitted,
        EventType::OrderShipped,
        EventType::OrderCancelled,
        EventType::StockChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::OrderReceived => "order.received",
            EventType::OrderRouted => "order.routed",
            EventType::OrderHeld => "order.held",
            EventType::OrderSubmitted => "order.submitted",
            EventType::OrderShipped => "order.shipped",
            EventType::OrderCancelled => "order.cancelled",
            EventType::StockChanged => "stock.changed",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event type name that is none of [`EventType::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown event type `{0}` (known: order.received, order.routed, order.held, order.submitted, order.shipped, order.cancelled, stock.changed)"
)]
pub struct UnknownEventType(pub String);

impl FromStr for EventType {
    type Err = UnknownEventType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownEventType(s.to_string()))
    }
}

/// One event as readers and subscribers receive it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Its position in the log: strictly increasing in commit order, so `after=<last id seen>`
    /// never skips one. Also the idempotency key a receiver deduplicates on.
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: EventType,
    /// The shape of `data` ([`PAYLOAD_VERSION`] when written by this build).
    pub version: i64,
    /// When it was written (Unix ms).
    pub at: i64,
    /// [`OrderEvent`] for `order.*`, [`StockEvent`] for `stock.changed`.
    pub data: serde_json::Value,
}

/// An order line as an event reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventLine {
    pub line_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    pub quantity: u32,
    /// Where its units are reserved or were sent, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Why it waits for a person (`order.held`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<String>,
}

/// The data of every `order.*` event; members that do not apply to a type are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    /// Switchyard's id for the order (`/api/v1/orders/{id}`).
    pub order_id: i64,
    /// The configured channel id.
    pub channel: String,
    /// The channel's own order id.
    pub external_id: String,
    pub number: String,
    /// The channel's status (open, cancelled, …).
    pub status: String,
    pub payment_status: String,
    /// For `order.shipped`, the lines this parcel carries and the units of each.
    pub lines: Vec<EventLine>,
    /// The location taking most units (`order.routed`), the partner (`order.submitted`), where
    /// the parcel left from (`order.shipped`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Why it is held (`order.held`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The rules (or `operator`) that placed the lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// The partner's id for the order (`order.submitted`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_order_id: Option<String>,
    /// The key the order was submitted with, also the partner's reference for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submission_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    /// This parcel leaves nothing of the order to ship (`order.shipped`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completes_order: Option<bool>,
}

/// The data of `stock.changed`: the SKU's units over every location after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockEvent {
    pub sku: String,
    pub on_hand: i64,
    /// Units held for open orders, routed or not.
    pub reserved: i64,
    /// `on_hand − reserved` (negative when oversold).
    pub available: i64,
    /// The available level the previous `stock.changed` of this SKU reported; absent for the
    /// first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_available: Option<i64>,
}

/// What a store loaded about an order, for building its events.
#[derive(Debug, Clone)]
pub struct OrderHead<'a> {
    pub order_id: i64,
    pub channel: &'a str,
    pub order: &'a Order,
}

impl OrderHead<'_> {
    fn event(&self, lines: Vec<EventLine>) -> OrderEvent {
        OrderEvent {
            order_id: self.order_id,
            channel: self.channel.to_string(),
            external_id: self.order.external_id.clone(),
            number: self.order.number.clone(),
            status: self.order.status.as_str().to_string(),
            payment_status: self.order.payment_status.as_str().to_string(),
            lines,
            location: None,
            reason: None,
            decided_by: None,
            partner_order_id: None,
            submission_key: None,
            carrier: None,
            tracking_number: None,
            completes_order: None,
        }
    }

    fn plain_lines(&self) -> Vec<EventLine> {
        self.order.lines.iter().map(|l| line(l, None)).collect()
    }
}

fn line(l: &OrderLine, location: Option<String>) -> EventLine {
    EventLine {
        line_id: l.line_id.clone(),
        sku: l.sku.clone(),
        quantity: l.quantity,
        location,
        held: None,
    }
}

/// Where a line's units are reserved: its SKU's reservation, or for a kit its first
/// component's (a kit's components go together).
fn reserved_at(l: &OrderLine, reserved: &[Reservation], kits: &Kits) -> Option<String> {
    let sku = l.sku.as_deref()?;
    let at = |s: &str| {
        reserved
            .iter()
            .find(|r| r.sku == s)
            .and_then(|r| r.location.clone())
    };
    at(sku).or_else(|| {
        kits.get(sku)
            .and_then(|parts| parts.iter().find_map(|(part, _)| at(part.as_str())))
    })
}

/// `order.received`: a new order, its lines as the channel sent them.
pub fn received(head: &OrderHead<'_>) -> (EventType, OrderEvent) {
    (EventType::OrderReceived, head.event(head.plain_lines()))
}

/// `order.cancelled`: the channel cancelled it.
pub fn cancelled(head: &OrderHead<'_>) -> (EventType, OrderEvent) {
    (EventType::OrderCancelled, head.event(head.plain_lines()))
}

/// Whether a new version of an order reports a cancellation: the channel now says cancelled
/// and the stored version did not (`None`: the order is new).
pub fn becomes_cancelled(previous_status: Option<&str>, order: &Order) -> bool {
    order.status == crate::model::OrderStatus::Cancelled
        && previous_status != Some(crate::model::OrderStatus::Cancelled.as_str())
}

/// `order.routed` or `order.held` for a stored plan; `by` names the operator of a release.
pub fn placed(head: &OrderHead<'_>, plan: &RoutePlan) -> (EventType, OrderEvent) {
    let lines = plan
        .lines
        .iter()
        .map(|l| EventLine {
            line_id: l.line_id.clone(),
            sku: l.sku.clone(),
            quantity: l.quantity,
            location: l.location.clone(),
            held: l.held.clone(),
        })
        .collect();
    let mut event = head.event(lines);
    event.decided_by = Some(plan.rule_summary());
    if plan.is_held() {
        event.reason = plan.held_reason();
        (EventType::OrderHeld, event)
    } else {
        event.location = plan.primary_location();
        (EventType::OrderRouted, event)
    }
}

/// `order.submitted`: the partner at `location` took the order's lines reserved there.
pub fn submitted(
    head: &OrderHead<'_>,
    location: &str,
    partner_order_id: &str,
    key: &str,
    reserved: &[Reservation],
    kits: &Kits,
) -> (EventType, OrderEvent) {
    let lines = head
        .order
        .lines
        .iter()
        .filter_map(|l| {
            let at = reserved_at(l, reserved, kits)?;
            (at == location).then(|| line(l, Some(at)))
        })
        .collect();
    let mut event = head.event(lines);
    event.location = Some(location.to_string());
    event.partner_order_id = Some(partner_order_id.to_string());
    event.submission_key = Some(key.to_string());
    (EventType::OrderSubmitted, event)
}

/// A parcel as `order.shipped` reports it.
#[derive(Debug, Clone)]
pub struct ParcelFacts<'a> {
    pub location: &'a str,
    pub carrier: &'a str,
    pub tracking_number: &'a str,
    pub lines: &'a [ShippedLine],
    pub completes_order: bool,
}

/// `order.shipped`: one parcel, with the units of each line it carries.
pub fn shipped(head: &OrderHead<'_>, parcel: &ParcelFacts<'_>) -> (EventType, OrderEvent) {
    let lines = parcel
        .lines
        .iter()
        .map(|s| {
            let sku = head
                .order
                .lines
                .iter()
                .find(|l| l.line_id == s.line_id)
                .and_then(|l| l.sku.clone());
            EventLine {
                line_id: s.line_id.clone(),
                sku,
                quantity: s.quantity,
                location: Some(parcel.location.to_string()),
                held: None,
            }
        })
        .collect();
    let mut event = head.event(lines);
    event.location = Some(parcel.location.to_string());
    event.carrier = Some(parcel.carrier.to_string());
    event.tracking_number = Some(parcel.tracking_number.to_string());
    event.completes_order = Some(parcel.completes_order);
    (EventType::OrderShipped, event)
}

/// `stock.changed` when the SKU's available level differs from the last one reported
/// (`previous`, `None` before the first); `None` when nothing changed.
pub fn stock_changed(
    sku: &str,
    on_hand: i64,
    reserved: i64,
    previous: Option<i64>,
) -> Option<StockEvent> {
    let available = on_hand.saturating_sub(reserved);
    (previous != Some(available)).then(|| StockEvent {
        sku: sku.to_string(),
        on_hand,
        reserved,
        available,
        previous_available: previous,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChannelKind, OrderStatus, PaymentStatus};
    use crate::routing::PlannedLine;

    fn order(status: OrderStatus) -> Order {
        let t = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z").unwrap();
        Order {
            channel_kind: ChannelKind::Shopify,
            external_id: "1001".into(),
            number: "#1001".into(),
            placed_at: t,
            updated_at: t,
            status,
            payment_status: PaymentStatus::Paid,
            currency: "USD".into(),
            total: rust_decimal::Decimal::new(2000, 2),
            lines: vec![
                OrderLine {
                    line_id: "1".into(),
                    sku: Some("MUG".into()),
                    quantity: 2,
                    unit_price: rust_decimal::Decimal::new(500, 2),
                    title: "Mug".into(),
                    channel_sku: None,
                },
                OrderLine {
                    line_id: "2".into(),
                    sku: Some("GIFT".into()),
                    quantity: 1,
                    unit_price: rust_decimal::Decimal::new(1000, 2),
                    title: "Gift set".into(),
                    channel_sku: None,
                },
            ],
            ship_to: None,
            customer_email: None,
            fulfilled_by_channel: false,
            tags: vec![],
            customer_tags: vec![],
            ship_by: None,
            deliver_by: None,
            risk_level: None,
        }
    }

    #[test]
    fn type_names_round_trip_and_unknown_ones_are_refused() {
        for t in EventType::ALL {
            assert_eq!(t.as_str().parse::<EventType>().unwrap(), t);
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
        }
        assert!("order.updated".parse::<EventType>().is_err());
    }

    #[test]
    fn a_cancellation_is_reported_once() {
        let cancelled = order(OrderStatus::Cancelled);
        assert!(becomes_cancelled(Some("open"), &cancelled));
        assert!(becomes_cancelled(None, &cancelled));
        assert!(!becomes_cancelled(Some("cancelled"), &cancelled));
        assert!(!becomes_cancelled(Some("open"), &order(OrderStatus::Open)));
    }

    #[test]
    fn a_plan_with_a_held_line_is_held_with_its_reason() {
        let o = order(OrderStatus::Open);
        let head = OrderHead {
            order_id: 7,
            channel: "shop",
            order: &o,
        };
        let plan = |held: bool| RoutePlan {
            lines: vec![
                PlannedLine {
                    line_id: "1".into(),
                    sku: Some("MUG".into()),
                    quantity: 2,
                    location: Some("main".into()),
                    held: None,
                    decided_by: "rule 1".into(),
                },
                PlannedLine {
                    line_id: "2".into(),
                    sku: Some("GIFT".into()),
                    quantity: 1,
                    location: (!held).then(|| "main".into()),
                    held: held.then(|| "unknown SKU `GIFT`".into()),
                    decided_by: "rule 1".into(),
                },
            ],
            explanation: Default::default(),
        };
        let (t, e) = placed(&head, &plan(true));
        assert_eq!(t, EventType::OrderHeld);
        assert_eq!(e.reason.as_deref(), Some("unknown SKU `GIFT`"));
        assert_eq!(e.location, None);
        assert_eq!(e.lines[1].held.as_deref(), Some("unknown SKU `GIFT`"));
        let (t, e) = placed(&head, &plan(false));
        assert_eq!(t, EventType::OrderRouted);
        assert_eq!(e.location.as_deref(), Some("main"));
        assert_eq!(e.reason, None);
    }

    #[test]
    fn a_submission_names_only_the_lines_reserved_at_the_partner() {
        let o = order(OrderStatus::Open);
        let head = OrderHead {
            order_id: 7,
            channel: "shop",
            order: &o,
        };
        let mut kits = Kits::new();
        kits.insert("GIFT".into(), vec![("MUG".into(), 1), ("TEA".into(), 2)]);
        let reserved = vec![
            Reservation::new("MUG", Some("main"), 3),
            Reservation::new("TEA", Some("bob"), 2),
        ];
        let (t, e) = submitted(&head, "main", "P-1", "ff:main:shop:1001", &reserved, &kits);
        assert_eq!(t, EventType::OrderSubmitted);
        // The kit follows its first component, MUG, reserved at main.
        let ids: Vec<&str> = e.lines.iter().map(|l| l.line_id.as_str()).collect();
        assert_eq!(ids, ["1", "2"]);
        let (_, e) = submitted(&head, "bob", "P-2", "ff:bob:shop:1001", &reserved, &kits);
        assert!(e.lines.is_empty());
        assert_eq!(e.partner_order_id.as_deref(), Some("P-2"));
    }

    #[test]
    fn a_parcel_reports_the_units_it_carries() {
        let o = order(OrderStatus::Open);
        let head = OrderHead {
            order_id: 7,
            channel: "shop",
            order: &o,
        };
        let lines = vec![ShippedLine {
            line_id: "1".into(),
            quantity: 1,
        }];
        let (t, e) = shipped(
            &head,
            &ParcelFacts {
                location: "main",
                carrier: "UPS",
                tracking_number: "1Z",
                lines: &lines,
                completes_order: false,
            },
        );
        assert_eq!(t, EventType::OrderShipped);
        assert_eq!(e.lines.len(), 1);
        assert_eq!(e.lines[0].sku.as_deref(), Some("MUG"));
        assert_eq!(e.lines[0].quantity, 1);
        assert_eq!(e.completes_order, Some(false));
        let json = serde_json::to_value(&e).unwrap();
        assert!(json.get("reason").is_none(), "absent members are left out");
    }

    #[test]
    fn stock_changes_only_when_available_moves() {
        assert_eq!(stock_changed("MUG", 10, 3, Some(7)), None);
        let e = stock_changed("MUG", 10, 4, Some(7)).unwrap();
        assert_eq!((e.available, e.previous_available), (6, Some(7)));
        let first = stock_changed("MUG", 0, 0, None).unwrap();
        assert_eq!(first.available, 0);
        assert_eq!(stock_changed("MUG", 1, 3, None).unwrap().available, -2);
    }
}
