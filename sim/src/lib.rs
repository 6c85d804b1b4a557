//! Wire-faithful simulators of the channels Switchyard talks to. Each one keeps the channel's
//! own truth (its orders, its stock levels, what was written back to it), speaks the channel's
//! real paths, payloads, auth, pagination, errors and rate limits, and counts requests, so tests,
//! benchmarks and `switchyard demo` can check what actually reached the channel.

pub mod amazon;
pub mod bigcommerce;
pub mod ebay;
pub mod edi_3pl;
pub mod edi_files;
pub mod etsy;
pub mod journal;
pub mod record;
pub mod shipbob;
pub mod shopify;
pub mod supplier;
pub mod supplier_http;
pub mod walmart;
pub mod woocommerce;

use async_trait::async_trait;

pub use journal::Journal;
pub use record::{Exchange, Recorder};

/// What happens to the webhook a simulated event would send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WebhookFate {
    /// Sent once, as the channel normally does.
    #[default]
    Deliver,
    /// Never sent: only polling can find the change.
    Lose,
    /// Sent twice with the same delivery id, as channels do on retries.
    Duplicate,
}

/// An order a test or the demo places on a simulated channel.
#[derive(Debug, Clone)]
pub struct OrderSpec {
    /// (SKU, quantity) per line; every SKU must exist in the simulated catalog.
    pub lines: Vec<(String, u32)>,
    /// Paid at once (Shopify `financial_status: paid`, WooCommerce `processing`) or awaiting
    /// payment (Shopify `pending`, WooCommerce `pending`).
    pub paid: bool,
    pub email: String,
    pub fate: WebhookFate,
}

/// Request and throttling counters, for assertions and the demo's summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Authenticated API requests served (webhooks sent are not counted).
    pub requests: u64,
    /// Requests answered with a rate-limit error.
    pub throttled: u64,
    /// Stock writes applied, counted per SKU.
    pub stock_writes: u64,
    /// API calls that carried stock levels (one batch of 250 SKUs is one call), served and not
    /// throttled; compare with `stock_writes` to see how well pushes were batched.
    pub stock_calls: u64,
    pub webhooks_sent: u64,
}

/// A shipment as the channel recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedShipment {
    pub carrier: String,
    pub tracking_number: String,
}

/// A refund as the channel's own record of the order shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRefund {
    /// The channel's refund id.
    pub id: String,
    /// Decimal text in the order's currency.
    pub amount: String,
    /// (the channel's line id, units) refunded.
    pub lines: Vec<(String, u32)>,
    /// The note or reason written on the refund.
    pub note: String,
}

/// The common face of every simulated channel.
#[async_trait]
pub trait SimulatedChannel: Send + Sync {
    fn kind(&self) -> &'static str;
    /// Base URL to put in the channel's `base_url` config.
    fn base_url(&self) -> String;
    /// Where webhooks go from now on (for example `http://127.0.0.1:8080/webhooks/shop`).
    fn set_webhook_target(&self, url: &str);
    /// Adds a product with one SKU, its price (decimal text) and the channel's stock level.
    fn add_product(&self, sku: &str, title: &str, price: &str, quantity: i64);
    /// Places an order as a shopper would (the channel's own stock is not decremented: the hub
    /// pushes the level) and sends its webhook according to `spec.fate`. Returns the order id.
    async fn place_order(&self, spec: OrderSpec) -> String;
    /// Cancels an order as the merchant would in the channel's admin.
    async fn cancel_order(&self, order_id: &str, fate: WebhookFate);
    /// The channel's stock level for a SKU.
    fn stock(&self, sku: &str) -> Option<i64>;
    /// Sets a level behind the hub's back, as a person in the channel's admin would.
    fn set_stock(&self, sku: &str, quantity: i64);
    /// Every shipment written back to an order, in order (a duplicate write-back shows twice).
    fn shipments(&self, order_id: &str) -> Vec<RecordedShipment>;
    fn stats(&self) -> SimStats;
    /// Timestamped stock writes and acknowledged webhooks, once recording is switched on.
    fn journal(&self) -> &Journal;
    /// Every request served and webhook sent, once [`Recorder::start`] is called.
    fn recorder(&self) -> &Recorder;
    /// Whether placing an order sends a webhook; if not, only polling finds new orders.
    fn sends_order_webhooks(&self) -> bool;
    /// The listing reference Switchyard's connector stores for `sku` when its catalog discovery
    /// finds it, so a benchmark can seed listings without paying the channel's read limits.
    fn listing_reference(&self, sku: &str) -> Option<serde_json::Value>;
    /// The seller cancellations the channel itself recorded for an order, in order, each as
    /// the channel keeps it (its reason code; with the line and units where it cancels lines).
    /// Empty where the channel has no seller cancellation API.
    fn seller_cancellation_record(&self, _order_id: &str) -> Vec<String> {
        Vec::new()
    }
    /// Every refund the channel holds for an order (a duplicate refund shows twice); empty
    /// where the simulator has no refunds.
    fn refunds(&self, order_id: &str) -> Vec<RecordedRefund> {
        let _ = order_id;
        Vec::new()
    }
    /// Opens a return of these (line id, units) as the buyer would, where the channel reports
    /// returns through its API; its return id, or `None` where it reports none.
    async fn open_return(&self, order_id: &str, lines: &[(String, u32)]) -> Option<String> {
        let _ = (order_id, lines);
        None
    }
}
