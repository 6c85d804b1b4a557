//! The shapes the admin API answers with, for the OpenAPI document only: handlers serialize the
//! application layer's own types, and these mirror them field for field (the schemathesis run
//! in `ci/api-fuzz.sh` checks every answer against the document).

#![allow(dead_code)]

use std::collections::BTreeMap;

use utoipa::ToSchema;

/// Text with something besides spaces in it and no control characters (what the handlers
/// refuse otherwise), in the document's regular-expression dialect.
pub const TEXT: &str = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$";
/// Any text without control characters (may be empty).
pub const NO_CONTROL: &str = r"^[^\x00-\x1f\x7f-\x9f]*$";

/// An error: what kind, what went wrong, and the field to fix when the input is at fault.
#[derive(ToSchema)]
pub struct ErrorBody {
    /// bad_request, unauthorized, forbidden, not_found, conflict, upstream, unavailable, failed.
    pub error: String,
    pub message: String,
    /// The field (query parameter, path segment or body member) at fault, for a 400.
    pub field: Option<String>,
}

/// An order in a list.
#[derive(ToSchema)]
pub struct OrderRow {
    pub id: i64,
    pub channel_id: String,
    pub external_id: String,
    pub number: String,
    /// The channel's order status (open, cancelled, …).
    pub status: String,
    pub payment_status: String,
    /// waiting, to_route, routed, held, rerouting, shipped, closed.
    pub fulfil_state: String,
    pub versions: i64,
    /// When Switchyard first stored it (Unix ms).
    pub created_at: i64,
    pub updated_at: i64,
}

/// A page of orders, newest first.
#[derive(ToSchema)]
pub struct OrderPage {
    pub orders: Vec<OrderRow>,
    /// Pass as `before` for the next page; absent on the last one.
    pub next_before: Option<i64>,
}

#[derive(ToSchema)]
pub struct OrderSummaryDoc {
    pub id: i64,
    pub channel_id: String,
    pub external_id: String,
    pub number: String,
    pub status: String,
    pub payment_status: String,
    pub fulfil_state: String,
    pub versions: i64,
}

#[derive(ToSchema)]
pub struct Reservation {
    pub sku: String,
    /// `null` until the order is routed.
    pub location_id: Option<String>,
    pub quantity: i64,
}

#[derive(ToSchema)]
pub struct Shipment {
    pub id: i64,
    pub location_id: String,
    pub carrier: String,
    pub tracking_number: String,
    pub shipped_at: i64,
}

#[derive(ToSchema)]
pub struct LedgerRow {
    pub id: i64,
    pub at: i64,
    pub sku: String,
    pub quantity: i64,
    pub from_account: String,
    pub to_account: String,
    pub cause: String,
    pub reference: String,
}

#[derive(ToSchema)]
pub struct Timeline {
    pub at: i64,
    pub kind: String,
    pub detail: String,
}

/// One order with everything recorded about it.
#[derive(ToSchema)]
pub struct OrderDetailDoc {
    pub summary: OrderSummaryDoc,
    /// The canonical order as normalized from the channel.
    #[schema(value_type = Object)]
    pub order: serde_json::Value,
    /// The order's lines (part of `order`, repeated for convenience).
    #[schema(value_type = Vec<Object>)]
    pub lines: Vec<serde_json::Value>,
    /// The stored routing decision with its plan; `null` before one is made.
    #[schema(value_type = Option<Object>)]
    pub decision: Option<serde_json::Value>,
    /// The decision's explanation as a person reads it.
    pub explanation: Option<String>,
    pub reservations: Vec<Reservation>,
    pub shipments: Vec<Shipment>,
    /// Stock movements this order caused.
    pub ledger: Vec<LedgerRow>,
    /// Every recorded event, oldest first.
    pub timeline: Vec<Timeline>,
}

#[derive(ToSchema)]
pub struct Hold {
    pub order_id: i64,
    pub channel_id: String,
    pub external_id: String,
    pub number: String,
    pub reason: String,
    pub decided_at: i64,
}

#[derive(ToSchema)]
pub struct DeadLetterDoc {
    pub id: i64,
    pub kind: String,
    pub channel_id: String,
    pub idempotency_key: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub cause: String,
    pub attempts: i64,
    pub last_error: String,
    pub failed_at: i64,
    pub replayed_at: Option<i64>,
}

#[derive(ToSchema)]
pub struct PartnerEvent {
    pub id: i64,
    pub location_id: String,
    pub dedup_id: String,
    /// pending (due or waiting for its retry) or failed (parked).
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<i64>,
    pub received_at: i64,
    #[schema(value_type = Object)]
    pub event: serde_json::Value,
}

#[derive(ToSchema)]
pub struct Quarantined {
    pub inbox_id: i64,
    pub channel_id: String,
    pub source: String,
    pub topic: String,
    pub external_id: Option<String>,
    pub received_at: i64,
    pub reason: String,
}

#[derive(ToSchema)]
pub struct StockLevel {
    pub sku: String,
    pub location_id: String,
    pub on_hand: i64,
    pub reserved: i64,
}

#[derive(ToSchema)]
pub struct Listing {
    pub channel_id: String,
    pub sku: String,
    pub source: String,
    pub channel_quantity: Option<i64>,
    pub dirty: bool,
}

#[derive(ToSchema)]
pub struct StockDoc {
    pub levels: Vec<StockLevel>,
    pub listings: Vec<Listing>,
}

#[derive(ToSchema)]
pub struct Released {
    pub order_id: i64,
    pub location_id: String,
    pub lines: Vec<String>,
}

#[derive(ToSchema)]
pub struct Shipped {
    pub order_id: i64,
    pub shipment_id: i64,
    /// The write-back's key (`ship:<channel>:<order>:<tracking>`).
    pub idempotency_key: String,
    pub from: Vec<String>,
}

#[derive(ToSchema)]
pub struct CancelAsked {
    pub order_id: i64,
    pub location_id: String,
    pub submission_key: String,
}

#[derive(ToSchema)]
pub struct Done {
    /// What was done.
    pub message: String,
    /// How many items it touched.
    pub count: i64,
}

#[derive(ToSchema)]
pub struct DriftDoc {
    pub channel_id: String,
    pub sku: String,
    pub expected: i64,
    pub found: i64,
}

#[derive(ToSchema)]
pub struct AuditDoc {
    #[schema(value_type = Vec<Object>)]
    pub violations: Vec<serde_json::Value>,
    pub exposure: BTreeMap<String, i64>,
    pub listings_checked: i64,
    pub skipped: Option<Vec<String>>,
}

#[derive(ToSchema)]
pub struct Action {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// ok, refused or failed.
    pub outcome: String,
    pub message: String,
}

/// Body of `POST /orders/{order}/ship`.
#[derive(ToSchema)]
pub struct ShipBody {
    #[schema(pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")]
    pub carrier: String,
    #[schema(pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")]
    pub tracking: String,
    /// Ship the units reserved here; default every own warehouse.
    pub location: Option<String>,
}

/// Body naming a location (release, cancel at partner).
#[derive(ToSchema)]
pub struct LocationBody {
    pub location: String,
}

#[derive(ToSchema)]
pub struct StockSetBody {
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub quantity: i64,
    /// Default: the first own warehouse.
    pub location: Option<String>,
}

#[derive(ToSchema)]
pub struct CountRow {
    #[schema(pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")]
    pub sku: String,
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub quantity: i64,
}

#[derive(ToSchema)]
pub struct StockImportBody {
    pub rows: Vec<CountRow>,
    pub location: Option<String>,
    /// What the ledger names as the source (default `api import`).
    #[schema(pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub reference: Option<String>,
}

#[derive(ToSchema)]
pub struct DriftBody {
    /// Only this channel.
    pub channel: Option<String>,
}

/// One line's units to cancel.
#[derive(ToSchema)]
pub struct CancelLineDoc {
    #[schema(pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")]
    pub line_id: String,
    #[schema(minimum = 1, maximum = 4294967295_i64)]
    pub quantity: i64,
}

/// Body of `POST /orders/{order}/cancel`.
#[derive(ToSchema)]
pub struct CancelBody {
    /// out_of_stock, customer_request, fraud, address_undeliverable, pricing_error, other.
    #[schema(
        pattern = r"^(out_of_stock|customer_request|fraud|address_undeliverable|pricing_error|other)$"
    )]
    pub reason: String,
    /// Only these lines (where the channel cancels lines), at least one; absent: the whole
    /// order.
    #[schema(min_items = 1)]
    pub lines: Option<Vec<CancelLineDoc>>,
}

/// A seller cancellation on the channel as recorded.
#[derive(ToSchema)]
pub struct Cancellation {
    pub id: i64,
    pub order_id: i64,
    pub channel_id: String,
    pub external_id: String,
    pub number: String,
    /// The canonical reason.
    pub reason: String,
    /// The channel's own code for it.
    pub reason_code: String,
    pub whole: bool,
    pub lines: Vec<CancelLineDoc>,
    /// awaiting_partner, queued, done, needs_person, failed.
    pub state: String,
    /// Partner submissions that cancel first.
    pub waits_for: Vec<String>,
    pub idempotency_key: Option<String>,
    pub requested_by: String,
    pub detail: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}
