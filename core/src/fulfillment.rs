//! What the core asks of a place that ships orders for the merchant: a 3PL (REST or EDI 940/945),
//! a dropship supplier (EDI 850/855/856, CSV, e-mail, HTTP). Pure data and one trait; adapters do
//! the I/O. Partners answer at different speeds (a REST 3PL accepts on the spot, an EDI supplier
//! days later), so every answer after `submit` arrives as a [`TargetEvent`] by webhook or poll.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::Address;
use crate::ports::{ChannelError, IngestError, PollCursor, WebhookRequest};

/// One order as handed to a fulfilment partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FulfillmentOrder {
    /// Switchyard's reference for the order, `<channel>:<external id>`; partners echo the
    /// submit key (usually this same text) in every event about the order.
    pub reference: String,
    /// The number the shopper saw on the channel, for the partner's packing slip.
    pub channel_order_number: String,
    pub placed_at: Option<DateTime<FixedOffset>>,
    pub ship_to: Address,
    pub email: Option<String>,
    pub currency: String,
    pub lines: Vec<FulfillmentLine>,
    pub shipping: RequestedShipping,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FulfillmentLine {
    /// The channel's line id, so events can be mapped back to order lines.
    pub line_id: String,
    pub sku: String,
    /// The partner's own part number when the merchant mapped one (EDI `VN`, a 3PL's item id);
    /// adapters send the SKU otherwise.
    pub partner_sku: Option<String>,
    pub quantity: u32,
    pub unit_price: Decimal,
    pub title: String,
}

impl FulfillmentLine {
    /// What the partner knows this item as.
    pub fn partner_item(&self) -> &str {
        self.partner_sku.as_deref().unwrap_or(&self.sku)
    }
}

/// The service level the shopper paid for, as the channel named it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RequestedShipping {
    /// Free text such as `Standard` or `2-Day`; partners map it to their own options.
    pub method: String,
    /// A carrier the channel insists on (marketplace programmes), when any.
    pub carrier: Option<String>,
}

/// The partner's answer to a submit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The partner's id for the order, needed to cancel it or look it up.
    pub partner_order_id: String,
    /// The partner took the order there and then (REST); `false` when its acceptance arrives
    /// later as an [`EventKind::Accepted`] (EDI 855).
    pub accepted: bool,
    /// The order was already there under this key: an earlier submit succeeded before a crash.
    pub already_existed: bool,
}

/// How a partner order is addressed after submit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRef {
    /// The idempotency key the order was submitted with.
    pub reference: String,
    /// From the [`Receipt`], when it was recorded.
    pub partner_order_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CancelOutcome {
    Cancelled,
    /// Cancelled before this call (by us on an earlier try, or by the partner).
    AlreadyCancelled,
    /// The partner has packed or shipped it; only a return can undo it now.
    TooLate {
        reason: String,
    },
    /// Sent; the partner's answer arrives as an event (EDI partners).
    Requested,
}

/// `(sku, quantity)` of a line the partner reported on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineQuantity {
    pub sku: String,
    pub quantity: u32,
}

/// Something a partner reported. `dedup_id` is stable: the same fact seen by webhook and by poll,
/// or twice by either, carries the same id, so the inbox keeps it once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetEvent {
    pub dedup_id: String,
    /// The key the order was submitted with; `None` for events about stock, not an order.
    pub order_reference: Option<String>,
    pub partner_order_id: Option<String>,
    /// When the partner says it happened.
    pub occurred_at: Option<DateTime<Utc>>,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// The partner will ship these lines.
    Accepted {
        lines: Vec<LineQuantity>,
    },
    /// The partner will not ship these lines; an empty `lines` means the whole order.
    Rejected {
        lines: Vec<LineQuantity>,
        reason: String,
    },
    Shipped {
        lines: Vec<LineQuantity>,
        carrier: String,
        tracking_number: String,
        tracking_url: Option<String>,
        shipped_at: DateTime<FixedOffset>,
    },
    Cancelled {
        reason: Option<String>,
    },
    /// The partner refused a cancellation we asked for (it has packed or shipped the order):
    /// the order stays with it and its ship notice is still expected.
    CancelRefused {
        reason: String,
    },
    /// Units the partner can ship now for a SKU (a stock feed, an 846).
    StockLevel {
        sku: String,
        available: i64,
    },
}

/// One page of events from [`FulfillmentTarget::poll_events`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventPage {
    pub events: Vec<TargetEvent>,
    /// Newest change time seen on this page, for the next sweep's `since`.
    pub max_seen: Option<DateTime<Utc>>,
    /// Position of the next page, `None` when the sweep is complete.
    pub next_page: Option<String>,
}

/// Stock the partner holds for one SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLevel {
    pub sku: String,
    /// Units that can be promised to new orders (on hand less what open orders hold).
    pub available: i64,
    /// Units physically there, when the partner says.
    pub on_hand: Option<i64>,
}

/// Failures talking to a partner, split by what the caller should do next.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TargetError {
    #[error("rate limited by the partner (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    #[error("partner returned HTTP {status}: {body}")]
    Http { status: u16, body: String },
    #[error("network error: {0}")]
    Transport(String),
    #[error("authentication rejected: {0}")]
    Auth(String),
    #[error("unexpected response: {0}")]
    Decode(String),
    /// The partner understood the request and refused it; sending it again will not help.
    #[error("rejected by the partner: {0}")]
    Rejected(String),
    /// The partner has no such order.
    #[error("not found at the partner: {0}")]
    NotFound(String),
    /// This adapter cannot do that (a supplier without a stock feed, a target without webhooks).
    #[error("not supported by this partner: {0}")]
    Unsupported(String),
}

impl TargetError {
    pub fn is_retryable(&self) -> bool {
        match self {
            TargetError::RateLimited { .. } | TargetError::Transport(_) => true,
            TargetError::Http { status, .. } => *status >= 500 || *status == 408,
            TargetError::Auth(_)
            | TargetError::Decode(_)
            | TargetError::Rejected(_)
            | TargetError::NotFound(_)
            | TargetError::Unsupported(_) => false,
        }
    }
}

/// Adapters share the channels' HTTP plumbing, whose errors carry the same meaning.
impl From<ChannelError> for TargetError {
    fn from(err: ChannelError) -> Self {
        match err {
            ChannelError::RateLimited { retry_after } => TargetError::RateLimited { retry_after },
            ChannelError::Http { status: 404, body } => TargetError::NotFound(body),
            ChannelError::Http { status, body } => TargetError::Http { status, body },
            ChannelError::Transport(m) => TargetError::Transport(m),
            ChannelError::Auth(m) => TargetError::Auth(m),
            ChannelError::Decode(m) => TargetError::Decode(m),
            ChannelError::Rejected(m) => TargetError::Rejected(m),
        }
    }
}

/// One fulfilment partner serving one location.
#[async_trait]
pub trait FulfillmentTarget: Send + Sync {
    /// The location id this partner serves.
    fn id(&self) -> &str;

    /// Hands an order over. Safe to call again with the same `idempotency_key` after a crash:
    /// the partner ends up with one order and the second call returns its id
    /// (`already_existed`). The key is what the partner stores as its order reference.
    async fn submit(
        &self,
        order: &FulfillmentOrder,
        idempotency_key: &str,
    ) -> Result<Receipt, TargetError>;

    /// Asks the partner not to ship. Safe to repeat.
    async fn cancel(
        &self,
        order: &OrderRef,
        idempotency_key: &str,
    ) -> Result<CancelOutcome, TargetError>;

    /// Events changed at or after `cursor.since`: the safety net under webhooks, and the only
    /// channel for partners without them (SFTP, e-mail).
    async fn poll_events(&self, cursor: &PollCursor) -> Result<EventPage, TargetError>;

    /// Checks a webhook's authenticity and reads its events (none for topics Switchyard does
    /// not act on). Partners without webhooks keep the default, which refuses.
    async fn verify_webhook(
        &self,
        _request: &WebhookRequest,
    ) -> Result<Vec<TargetEvent>, IngestError> {
        Err(IngestError::BadSignature(format!(
            "fulfilment partner `{}` does not send webhooks",
            self.id()
        )))
    }

    /// Every SKU's stock at the partner (all pages).
    async fn inventory(&self) -> Result<Vec<StockLevel>, TargetError> {
        Err(TargetError::Unsupported(format!(
            "fulfilment partner `{}` reports stock only through events",
            self.id()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Silent;

    #[async_trait]
    impl FulfillmentTarget for Silent {
        fn id(&self) -> &str {
            "edi-supplier"
        }
        async fn submit(&self, _: &FulfillmentOrder, key: &str) -> Result<Receipt, TargetError> {
            Ok(Receipt {
                partner_order_id: key.to_string(),
                accepted: false,
                already_existed: false,
            })
        }
        async fn cancel(&self, _: &OrderRef, _: &str) -> Result<CancelOutcome, TargetError> {
            Ok(CancelOutcome::Requested)
        }
        async fn poll_events(&self, _: &PollCursor) -> Result<EventPage, TargetError> {
            Ok(EventPage::default())
        }
    }

    #[tokio::test]
    async fn defaults_refuse_webhooks_and_inventory_naming_the_partner() {
        let target = Silent;
        let request = WebhookRequest {
            headers: Vec::new(),
            body: b"{}".to_vec(),
        };
        let Err(IngestError::BadSignature(why)) = target.verify_webhook(&request).await else {
            panic!("webhooks must be refused by default");
        };
        assert!(why.contains("edi-supplier"), "{why}");
        let err = target.inventory().await.unwrap_err();
        assert!(matches!(err, TargetError::Unsupported(_)));
        assert!(!err.is_retryable());
    }

    #[test]
    fn channel_errors_keep_their_meaning() {
        let cases = [
            (
                ChannelError::RateLimited {
                    retry_after: Some(Duration::from_secs(3)),
                },
                true,
            ),
            (ChannelError::Transport("reset".into()), true),
            (
                ChannelError::Http {
                    status: 503,
                    body: String::new(),
                },
                true,
            ),
            (ChannelError::Auth("expired".into()), false),
            (ChannelError::Rejected("bad sku".into()), false),
        ];
        for (err, retryable) in cases {
            assert_eq!(
                TargetError::from(err.clone()).is_retryable(),
                retryable,
                "{err}"
            );
        }
        let missing = TargetError::from(ChannelError::Http {
            status: 404,
            body: "no order".into(),
        });
        assert_eq!(missing, TargetError::NotFound("no order".into()));
    }

    #[test]
    fn events_serialize_with_a_type_tag_and_partner_item_falls_back_to_sku() {
        let event = TargetEvent {
            dedup_id: "x".into(),
            order_reference: Some("shop:1".into()),
            partner_order_id: Some("9".into()),
            occurred_at: None,
            kind: EventKind::Rejected {
                lines: vec![],
                reason: "address".into(),
            },
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["kind"]["type"], "rejected");
        let back: TargetEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
        let line = FulfillmentLine {
            line_id: "1".into(),
            sku: "MUG".into(),
            partner_sku: None,
            quantity: 1,
            unit_price: Decimal::ONE,
            title: "Mug".into(),
        };
        assert_eq!(line.partner_item(), "MUG");
    }
}
