//! The simulated account's truth: orders (merchant- and Amazon-fulfilled), listings, shipment
//! confirmations, feeds and their documents, issued access tokens, counters. Also how orders
//! look on the wire in both Orders API versions.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde_json::{Value, json};

use super::limits::Buckets;
use crate::SimStats;

#[derive(Debug, Clone)]
pub struct SimItem {
    pub item_id: String,
    pub sku: String,
    pub title: String,
    pub quantity: u32,
    pub unit_cents: i64,
}

/// One package confirmed on an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    pub package_reference_id: String,
    pub carrier_code: String,
    /// `carrierName`, sent with `carrierCode` `Other`.
    pub carrier_name: Option<String>,
    pub tracking_number: String,
    pub ship_date: String,
    /// (order item id, quantity)
    pub items: Vec<(String, u64)>,
}

#[derive(Debug, Clone)]
pub struct SimOrder {
    pub id: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// 2026 `fulfillmentStatus` (`UNSHIPPED`, …); v0 names are derived from it.
    pub status: &'static str,
    pub fulfilled_by_amazon: bool,
    pub items: Vec<SimItem>,
    pub email: String,
    pub confirmations: Vec<Confirmation>,
}

#[derive(Debug, Clone)]
pub struct SimListing {
    pub title: String,
    pub price_cents: i64,
    pub quantity: i64,
    pub fulfilled_by_amazon: bool,
}

#[derive(Debug, Clone)]
pub struct FeedDocument {
    pub content: Option<Vec<u8>>,
}

#[derive(Debug, Clone)]
pub struct Feed {
    pub id: String,
    pub feed_type: String,
    pub input_document_id: String,
    pub created: DateTime<Utc>,
    pub created_at: Instant,
    pub status: &'static str,
    pub result_document_id: Option<String>,
}

/// A notification as it was posted (or attempted): headers, body and the outcome.
#[derive(Debug, Clone)]
pub struct NotificationRecord {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub outcome: Result<u16, String>,
}

#[derive(Debug, Default)]
pub struct Store {
    pub orders: Vec<SimOrder>,
    pub listings: BTreeMap<String, SimListing>,
    pub documents: BTreeMap<String, FeedDocument>,
    pub feeds: Vec<Feed>,
    /// access token → when it stops working.
    pub tokens: BTreeMap<String, Instant>,
    pub tokens_issued: u64,
    /// Restricted Data Tokens: token → when it stops working and the resources it opens.
    pub rdts: BTreeMap<String, (Instant, Vec<super::tokens::Resource>)>,
    pub rdts_issued: u64,
    pub buckets: Buckets,
    pub stats: SimStats,
    pub notifications: Vec<NotificationRecord>,
    pub requests_by_operation: BTreeMap<String, u64>,
    /// (SKU, level, when it took effect) written since the lock was taken, for the journal.
    pub written: Vec<(String, i64, Instant)>,
    /// When the write being applied takes effect (a feed's end of processing), if not now.
    pub effective_at: Option<Instant>,
    counter: u64,
}

impl Store {
    pub fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    pub fn order(&self, id: &str) -> Option<&SimOrder> {
        self.orders.iter().find(|o| o.id == id)
    }

    pub fn order_mut(&mut self, id: &str) -> Option<&mut SimOrder> {
        self.orders.iter_mut().find(|o| o.id == id)
    }

    /// `123-1234567-1234567`, Amazon's order id shape.
    pub fn new_order_id(&mut self) -> String {
        let n = self.next();
        format!(
            "111-{:07}-{:07}",
            4_000_000 + n,
            9_000_000 + n * 7 % 1_000_000
        )
    }
}

/// Now, to the second (Amazon's times carry no fractions in these APIs).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

/// A change's time: now, but always after the previous version, so every version differs.
pub fn next_updated(previous: DateTime<Utc>) -> DateTime<Utc> {
    now().max(previous + Duration::seconds(1))
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

pub fn parse_cents(text: &str) -> Option<i64> {
    let (whole, frac) = text.trim().split_once('.').unwrap_or((text.trim(), "0"));
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<2}").get(..2)?.parse().ok()?;
    Some(whole * 100 + frac)
}

impl SimOrder {
    pub fn total_cents(&self) -> i64 {
        self.items
            .iter()
            .map(|i| i.unit_cents * i64::from(i.quantity))
            .sum()
    }

    fn shipped_of(&self, item_id: &str) -> u64 {
        self.confirmations
            .iter()
            .flat_map(|c| c.items.iter())
            .filter(|(id, _)| id == item_id)
            .map(|(_, q)| *q)
            .sum()
    }

    fn pending(&self) -> bool {
        matches!(self.status, "PENDING" | "PENDING_AVAILABILITY")
    }

    /// Orders API 2026-01-01 order object with the datasets asked for.
    pub fn json_2026(&self, marketplace_id: &str, included: &[&str]) -> Value {
        let has = |d: &str| included.contains(&d);
        let items: Vec<Value> = self
            .items
            .iter()
            .map(|i| {
                let shipped = self.shipped_of(&i.item_id).min(u64::from(i.quantity));
                let mut item = json!({
                    "orderItemId": i.item_id,
                    "quantityOrdered": i.quantity,
                    "product": {
                        "asin": format!("B0SIM{:05}", i.item_id.len() * 7919 % 100_000),
                        "title": i.title,
                        "sellerSku": i.sku,
                        "condition": {"conditionType": "NEW", "conditionSubtype": "NEW"},
                        "price": {"unitPrice": {"amount": money(i.unit_cents), "currencyCode": "USD"}}
                    }
                });
                if has("FULFILLMENT") {
                    item["fulfillment"] = json!({
                        "quantityFulfilled": shipped,
                        "quantityUnfulfilled": u64::from(i.quantity) - shipped,
                    });
                }
                if has("PROCEEDS") && !self.pending() {
                    let line = i.unit_cents * i64::from(i.quantity);
                    item["proceeds"] = json!({"proceedsTotal": {"amount": money(line), "currencyCode": "USD"}});
                }
                item
            })
            .collect();
        let mut order = json!({
            "orderId": self.id,
            "createdTime": rfc3339(self.created),
            "lastUpdatedTime": rfc3339(self.updated),
            "salesChannel": {"channelName": "AMAZON", "marketplaceId": marketplace_id, "marketplaceName": "Amazon.com"},
            "orderItems": items,
        });
        if has("FULFILLMENT") {
            order["fulfillment"] = json!({
                "fulfillmentStatus": self.status,
                "fulfilledBy": if self.fulfilled_by_amazon { "AMAZON" } else { "MERCHANT" },
                "fulfillmentServiceLevel": "STANDARD",
            });
            if let Some((ship, deliver)) = self.promise() {
                order["fulfillment"]["shipByWindow"] = json!({
                    "earliestDateTime": rfc3339(self.created),
                    "latestDateTime": rfc3339(ship),
                });
                order["fulfillment"]["deliverByWindow"] = json!({
                    "earliestDateTime": rfc3339(ship),
                    "latestDateTime": rfc3339(deliver),
                });
            }
        }
        if has("BUYER") {
            order["buyer"] = json!({"buyerName": "Sim Shopper", "buyerEmail": self.email});
        }
        if has("RECIPIENT") {
            order["recipient"] = json!({"deliveryAddress": address_2026()});
        }
        if has("PROCEEDS") && !self.pending() {
            order["proceeds"] =
                json!({"grandTotal": {"amount": money(self.total_cents()), "currencyCode": "USD"}});
        }
        if has("PACKAGES") {
            order["packages"] = self
                .confirmations
                .iter()
                .map(|c| {
                    json!({
                        "packageReferenceId": c.package_reference_id,
                        "carrier": c.carrier_code,
                        "trackingNumber": c.tracking_number,
                        "shipTime": c.ship_date,
                    })
                })
                .collect();
        }
        order
    }

    pub fn v0_status(&self) -> &'static str {
        match self.status {
            "PENDING_AVAILABILITY" => "PendingAvailability",
            "PENDING" => "Pending",
            "UNSHIPPED" => "Unshipped",
            "PARTIALLY_SHIPPED" => "PartiallyShipped",
            "SHIPPED" => "Shipped",
            "CANCELLED" => "Canceled",
            _ => "Unfulfillable",
        }
    }

    /// Orders API v0 `Order` (as `getOrders` lists it and `getOrder` returns it).
    pub fn json_v0(&self, marketplace_id: &str) -> Value {
        let unshipped: u64 = self
            .items
            .iter()
            .map(|i| u64::from(i.quantity).saturating_sub(self.shipped_of(&i.item_id)))
            .sum();
        let shipped: u64 = self.items.iter().map(|i| self.shipped_of(&i.item_id)).sum();
        let mut order = json!({
            "AmazonOrderId": self.id,
            "PurchaseDate": rfc3339(self.created),
            "LastUpdateDate": rfc3339(self.updated),
            "OrderStatus": self.v0_status(),
            "FulfillmentChannel": if self.fulfilled_by_amazon { "AFN" } else { "MFN" },
            "SalesChannel": "Amazon.com",
            "ShipServiceLevel": "Std US D2D Dom",
            "NumberOfItemsShipped": shipped,
            "NumberOfItemsUnshipped": unshipped,
            "PaymentMethod": "Other",
            "MarketplaceId": marketplace_id,
            "ShipmentServiceLevelCategory": "Standard",
            "OrderType": "StandardOrder",
            "IsBusinessOrder": false,
            "IsPrime": false,
            "IsPremiumOrder": false,
            "IsReplacementOrder": false,
            "BuyerInfo": {"BuyerEmail": self.email},
        });
        if !self.pending() {
            order["OrderTotal"] =
                json!({"CurrencyCode": "USD", "Amount": money(self.total_cents())});
        }
        if let Some((ship, deliver)) = self.promise() {
            // "Only returned for seller-fulfilled orders"; the delivery date not while the
            // order is pending or cancelled.
            order["EarliestShipDate"] = json!(rfc3339(self.created));
            order["LatestShipDate"] = json!(rfc3339(ship));
            if !self.pending() && self.status != "CANCELLED" {
                order["EarliestDeliveryDate"] = json!(rfc3339(ship));
                order["LatestDeliveryDate"] = json!(rfc3339(deliver));
            }
        }
        order
    }

    /// The seller-fulfilled promise: ship within two days of purchase, delivered within
    /// seven (`shipByWindow`/`deliverByWindow`, v0 `LatestShipDate`/`LatestDeliveryDate`).
    /// Amazon's own orders (FBA) carry none.
    pub fn promise(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        (!self.fulfilled_by_amazon).then(|| {
            (
                self.created + Duration::days(2),
                self.created + Duration::days(7),
            )
        })
    }

    /// v0 `getOrderItems` elements; `ItemPrice` is the whole line's price.
    pub fn items_v0(&self) -> Vec<Value> {
        self.items
            .iter()
            .map(|i| {
                let mut item = json!({
                    "ASIN": format!("B0SIM{:05}", i.item_id.len() * 7919 % 100_000),
                    "OrderItemId": i.item_id,
                    "SellerSKU": i.sku,
                    "Title": i.title,
                    "QuantityOrdered": i.quantity,
                    "QuantityShipped": self.shipped_of(&i.item_id),
                    "IsGift": "false",
                    "ConditionId": "New",
                });
                if !self.pending() {
                    item["ItemPrice"] = json!({"CurrencyCode": "USD", "Amount": money(i.unit_cents * i64::from(i.quantity))});
                    item["ItemTax"] = json!({"CurrencyCode": "USD", "Amount": "0.00"});
                }
                item
            })
            .collect()
    }

    /// Marks items shipped after a confirmation and moves the status on.
    pub fn after_confirmation(&mut self) {
        let all = self
            .items
            .iter()
            .all(|i| self.shipped_of(&i.item_id) >= u64::from(i.quantity));
        self.status = if all { "SHIPPED" } else { "PARTIALLY_SHIPPED" };
        self.updated = next_updated(self.updated);
    }
}

fn address_2026() -> Value {
    json!({
        "name": "Sim Shopper",
        "addressLine1": "1 Simulation Way",
        "addressLine2": "",
        "city": "Seattle",
        "stateOrRegion": "WA",
        "postalCode": "98109",
        "countryCode": "US",
        "phone": "",
        "addressType": "RESIDENTIAL"
    })
}

pub fn address_v0() -> Value {
    json!({
        "Name": "Sim Shopper",
        "AddressLine1": "1 Simulation Way",
        "City": "Seattle",
        "StateOrRegion": "WA",
        "PostalCode": "98109",
        "CountryCode": "US",
        "AddressType": "Residential"
    })
}
