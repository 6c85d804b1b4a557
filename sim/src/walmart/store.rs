//! The simulated seller account's own truth: items and their inventory, purchase orders with
//! per-line statuses, inventory feeds, issued tokens, and counters.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::{RecordedShipment, SimStats};

pub struct Item {
    pub title: String,
    pub price_cents: i64,
    /// Ship node → units there; every node of the account has an entry.
    pub levels: BTreeMap<String, i64>,
}

impl Item {
    /// What Walmart sells across the account's nodes.
    pub fn total(&self) -> i64 {
        self.levels.values().sum()
    }
}

#[derive(Debug, Clone)]
pub struct Tracking {
    pub ship_ms: i64,
    /// `carrierName` as sent: `{"carrier": …}` or `{"otherCarrier": …}`.
    pub carrier_name: Value,
    pub method_code: String,
    pub number: String,
}

#[derive(Debug, Clone)]
pub struct LineStatus {
    /// Created, Acknowledged, Shipped, Delivered or Cancelled.
    pub status: String,
    pub units: u32,
    pub tracking: Option<Tracking>,
    /// `cancellationReason` of a `Cancelled` status.
    pub reason: Option<String>,
}

pub struct SimLine {
    pub number: String,
    pub sku: String,
    pub title: String,
    /// Price of the whole line (all its units), as a PRODUCT charge.
    pub amount_cents: i64,
    pub quantity: u32,
    pub statuses: Vec<LineStatus>,
    pub status_date: DateTime<Utc>,
    /// Refunds of the line: (refund id, cents refunded, comments, reason).
    pub refunds: Vec<(String, i64, String, String)>,
}

pub struct SimOrder {
    pub po: String,
    pub customer_order_id: String,
    pub email: String,
    pub order_date: DateTime<Utc>,
    /// Last change of any line: what `lastModifiedStartDate` filters on.
    pub modified: DateTime<Utc>,
    pub lines: Vec<SimLine>,
    pub acknowledged: bool,
    pub shipments: Vec<RecordedShipment>,
    /// `shippingInfo.methodCode`: Standard, Express, OneDay, Freight, WhiteGlove or Value.
    pub method_code: String,
    /// Every line cancellation `cancelOrderLines` accepted: (lineNumber, units, reason), in
    /// order (the marketplace's own record, which tests count).
    pub seller_cancellations: Vec<(String, u32, String)>,
}

impl SimOrder {
    /// Moves the order's clock forward, at least a millisecond past the previous change, so
    /// every change is a distinct version.
    pub fn touch(&mut self, line: usize) -> DateTime<Utc> {
        let now = truncate_ms(Utc::now()).max(self.modified + chrono::Duration::milliseconds(1));
        self.modified = now;
        if let Some(l) = self.lines.get_mut(line) {
            l.status_date = now;
        }
        now
    }

    pub fn units_in(&self, line: usize, status: &str) -> u32 {
        self.lines.get(line).map_or(0, |l| {
            l.statuses
                .iter()
                .filter(|s| s.status == status)
                .map(|s| s.units)
                .sum()
        })
    }

    pub fn has_created_lines(&self) -> bool {
        (0..self.lines.len()).any(|i| self.units_in(i, "Created") > 0)
    }
}

pub struct FeedItem {
    pub sku: String,
    /// The ship node the level is for.
    pub node: String,
    /// The level to set, or why the item was refused.
    pub outcome: Result<i64, String>,
}

pub struct Feed {
    pub id: String,
    pub submitted: Instant,
    pub items: Vec<FeedItem>,
    pub processed: bool,
}

#[derive(Default)]
pub struct Store {
    pub items: HashMap<String, Item>,
    pub orders: Vec<SimOrder>,
    pub feeds: Vec<Feed>,
    /// Access token → when it stops working.
    pub tokens: HashMap<String, Instant>,
    pub token_requests: u64,
    pub stats: SimStats,
    /// (SKU, level, when it took effect) written since the lock was taken, for the journal.
    pub written: Vec<(String, i64, std::time::Instant)>,
    pub next_order: u64,
}

impl Store {
    pub fn order(&self, po: &str) -> Option<&SimOrder> {
        self.orders.iter().find(|o| o.po == po)
    }

    pub fn order_mut(&mut self, po: &str) -> Option<&mut SimOrder> {
        self.orders.iter_mut().find(|o| o.po == po)
    }

    /// Finishes every feed whose processing time has passed: applies its accepted levels.
    pub fn settle_feeds(&mut self, delay: Duration) {
        let now = Instant::now();
        for feed in self.feeds.iter_mut().filter(|f| !f.processed) {
            if now.duration_since(feed.submitted) < delay {
                continue;
            }
            feed.processed = true;
            // Applied now, when looked at, but in effect since processing ended.
            let effective = (feed.submitted + delay).into_std();
            for item in &feed.items {
                if let (Ok(amount), Some(stock)) = (&item.outcome, self.items.get_mut(&item.sku)) {
                    stock.levels.insert(item.node.clone(), *amount);
                    self.stats.stock_writes += 1;
                    self.written
                        .push((item.sku.clone(), stock.total(), effective));
                }
            }
        }
    }
}

pub fn truncate_ms(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

/// Money as Walmart writes it: a JSON number.
fn money(cents: i64, currency: &str) -> Value {
    json!({ "currency": currency, "amount": cents as f64 / 100.0 })
}

/// A purchase order as the Orders API renders it.
pub fn order_json(order: &SimOrder, currency: &str) -> Value {
    let lines: Vec<Value> = order
        .lines
        .iter()
        .map(|line| {
            let statuses: Vec<Value> = line
                .statuses
                .iter()
                .map(|s| {
                    // Optional fields are left out, never sent as null (the spec has objects
                    // and strings there).
                    let mut status = json!({
                        "status": s.status,
                        "statusQuantity": {"unitOfMeasurement": "EACH", "amount": s.units.to_string()},
                    });
                    if s.status == "Cancelled" {
                        status["cancellationReason"] = json!(
                            s.reason.as_deref().unwrap_or("CUSTOMER_REQUESTED_SELLER_TO_CANCEL")
                        );
                    }
                    if let Some(t) = &s.tracking {
                        status["trackingInfo"] = json!({
                            "shipDateTime": t.ship_ms,
                            "carrierName": t.carrier_name,
                            "methodCode": t.method_code,
                            "trackingNumber": t.number,
                        });
                    }
                    status
                })
                .collect();
            let mut rendered = json!({
                "lineNumber": line.number,
                "item": {"productName": line.title, "sku": line.sku},
                "charges": {"charge": [{
                    "chargeType": "PRODUCT",
                    "chargeName": "ItemPrice",
                    "chargeAmount": money(line.amount_cents, currency)
                }]},
                "orderLineQuantity": {"unitOfMeasurement": "EACH", "amount": line.quantity.to_string()},
                "statusDate": line.status_date.timestamp_millis(),
                "orderLineStatuses": {"orderLineStatus": statuses},
                "fulfillment": {"fulfillmentOption": "S2H", "shipMethod": "STANDARD"}
            });
            // A refunded line carries its refund (RefundType): the latest id, every comment,
            // every charge refunded (negative amounts, as the refund request sends them).
            if let Some((id, ..)) = line.refunds.last() {
                let comments: Vec<&str> = line.refunds.iter().map(|r| r.2.as_str()).collect();
                let charges: Vec<Value> = line
                    .refunds
                    .iter()
                    .map(|(_, cents, _, reason)| {
                        json!({
                            "refundReason": reason,
                            "charge": {
                                "chargeType": "PRODUCT",
                                "chargeName": "Item Price",
                                "chargeAmount": money(-cents, currency),
                            }
                        })
                    })
                    .collect();
                rendered["refund"] = json!({
                    "refundId": id,
                    "refundComments": comments.join("; "),
                    "refundCharges": {"refundCharge": charges},
                });
            }
            rendered
        })
        .collect();
    json!({
        "purchaseOrderId": order.po,
        "customerOrderId": order.customer_order_id,
        "customerEmailId": order.email,
        "orderDate": order.order_date.timestamp_millis(),
        "shippingInfo": {
            "phone": "2065550123",
            "estimatedDeliveryDate": (order.order_date + chrono::Duration::days(5)).timestamp_millis(),
            "estimatedShipDate": (order.order_date + chrono::Duration::days(1)).timestamp_millis(),
            "methodCode": order.method_code,
            "postalAddress": {
                "name": "Simulated Shopper",
                "address1": "1 Simulation Way",
                "city": "Bentonville",
                "state": "AR",
                "postalCode": "72716",
                "country": "USA",
                "addressType": "RESIDENTIAL"
            }
        },
        "orderLines": {"orderLine": lines},
        "shipNode": {"type": "SellerFulfilled"}
    })
}
