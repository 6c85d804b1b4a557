//! The simulated seller account's own truth: inventory items and their offers, orders, the
//! shipping fulfillments written back, issued tokens, call counts and notification keys.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde_json::{Value, json};

use crate::{RecordedShipment, SimStats};

#[derive(Debug, Clone)]
pub struct Offer {
    pub offer_id: String,
    pub listing_id: String,
    pub available_quantity: i64,
    pub published: bool,
    /// Quantity revisions today, against eBay's 250 per listing per day.
    pub revisions: u32,
}

#[derive(Debug, Clone)]
pub struct Item {
    pub sku: String,
    pub title: String,
    pub price_cents: i64,
    /// `availability.shipToLocationAvailability.quantity`.
    pub quantity: i64,
    pub offers: Vec<Offer>,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub line_item_id: String,
    pub sku: String,
    pub title: String,
    pub quantity: u32,
    pub unit_cents: i64,
}

#[derive(Debug, Clone)]
pub struct Fulfillment {
    pub fulfillment_id: String,
    pub line_items: Vec<(String, u32)>,
    pub shipped_date: String,
    pub carrier: String,
    pub tracking: String,
}

#[derive(Debug, Clone)]
pub struct SimOrder {
    pub order_id: String,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub paid: bool,
    pub cancelled: bool,
    pub email: String,
    pub lines: Vec<Line>,
    pub fulfillments: Vec<Fulfillment>,
    /// Seller cancellations the Post-Order API accepted: (cancelId, cancelReason), in order
    /// (eBay's own record, which tests count).
    pub seller_cancellations: Vec<(String, String)>,
    /// Refunds issued with `issueRefund`, oldest first.
    pub refunds: Vec<SimRefund>,
    /// Return requests the buyer opened (Post-Order returns), oldest first.
    pub returns: Vec<SimReturn>,
}

/// A buyer's return request for one order line item (Post-Order `ReturnSummaryType`).
#[derive(Debug, Clone)]
pub struct SimReturn {
    pub return_id: String,
    pub line_item_id: String,
    pub quantity: u32,
    pub created: DateTime<Utc>,
    /// `ReturnStateEnum`: `RETURN_REQUESTED` while open, `CLOSED` once done.
    pub state: &'static str,
}

/// A refund issued with `issueRefund`: its id, when, and the money per line item.
#[derive(Debug, Clone)]
pub struct SimRefund {
    pub refund_id: String,
    pub date: DateTime<Utc>,
    pub comment: Option<String>,
    /// (line item id, cents).
    pub lines: Vec<(String, i64)>,
}

impl SimRefund {
    pub fn cents(&self) -> i64 {
        self.lines.iter().map(|(_, c)| c).sum()
    }
}

impl SimOrder {
    /// Cents refunded so far on a line item.
    pub fn refunded_cents(&self, line_item_id: &str) -> i64 {
        self.refunds
            .iter()
            .flat_map(|r| &r.lines)
            .filter(|(l, _)| l == line_item_id)
            .map(|(_, c)| c)
            .sum()
    }

    /// NOT_STARTED until a fulfillment exists, FULFILLED once every unit is covered.
    pub fn fulfillment_status(&self) -> &'static str {
        if self.fulfillments.is_empty() {
            return "NOT_STARTED";
        }
        let all = self.lines.iter().all(|line| {
            let shipped: u32 = self
                .fulfillments
                .iter()
                .flat_map(|f| &f.line_items)
                .filter(|(id, _)| *id == line.line_item_id)
                .map(|(_, q)| q)
                .sum();
            shipped >= line.quantity
        });
        if all { "FULFILLED" } else { "IN_PROGRESS" }
    }
}

/// Which grant a token came from: Sell APIs need a user token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    User,
    Application,
}

#[derive(Debug, Default)]
pub struct Store {
    pub items: BTreeMap<String, Item>,
    pub orders: Vec<SimOrder>,
    pub tokens: HashMap<String, (TokenKind, Instant)>,
    /// Calls per API in the current quota window: (window index, count).
    pub calls: HashMap<&'static str, (u64, u64)>,
    pub public_keys: HashMap<String, String>,
    pub stats: SimStats,
    /// (SKU, level) written since the lock was taken, for the journal.
    pub written: Vec<(String, i64)>,
    pub token_grants: u64,
    next_id: u64,
}

impl Store {
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn order(&self, id: &str) -> Option<&SimOrder> {
        self.orders.iter().find(|o| o.order_id == id)
    }

    pub fn order_mut(&mut self, id: &str) -> Option<&mut SimOrder> {
        self.orders.iter_mut().find(|o| o.order_id == id)
    }

    pub fn shipments(&self, id: &str) -> Vec<RecordedShipment> {
        self.order(id)
            .map(|o| {
                o.fulfillments
                    .iter()
                    .map(|f| RecordedShipment {
                        carrier: f.carrier.clone(),
                        tracking_number: f.tracking.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// eBay times: UTC with milliseconds.
pub fn ebay_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Every change moves `lastModifiedDate` forward by at least a millisecond.
pub fn next_modified(previous: DateTime<Utc>) -> DateTime<Utc> {
    let now = Utc::now().trunc_subsecs(3);
    if now > previous {
        now
    } else {
        previous + Duration::milliseconds(1)
    }
}

pub fn parse_cents(price: &str) -> Option<i64> {
    let (whole, frac) = price.trim().split_once('.').unwrap_or((price.trim(), "0"));
    let frac = format!("{frac:0<2}");
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = frac.get(..2)?.parse().ok()?;
    Some(whole * 100 + frac)
}

pub fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// The Fulfillment API `Order` shape, with the fields a seller integration reads.
pub fn order_json(o: &SimOrder, currency: &str) -> Value {
    let amount = |cents: i64| json!({"value": money(cents), "currency": currency});
    let subtotal: i64 = o
        .lines
        .iter()
        .map(|l| l.unit_cents * i64::from(l.quantity))
        .sum();
    let status = o.fulfillment_status();
    let line_items: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            let cost = l.unit_cents * i64::from(l.quantity);
            // Line-item refunds are listed on their line (`lineItems.refunds`).
            let refunds: Vec<Value> = o
                .refunds
                .iter()
                .flat_map(|r| {
                    r.lines
                        .iter()
                        .filter(|(id, _)| *id == l.line_item_id)
                        .map(|(_, c)| {
                            json!({
                                "refundId": r.refund_id,
                                "amount": amount(*c),
                                "refundDate": ebay_time(r.date),
                            })
                        })
                })
                .collect();
            json!({
                "lineItemId": l.line_item_id,
                "refunds": refunds,
                "legacyItemId": format!("1100{}", l.line_item_id),
                "sku": l.sku,
                "title": l.title,
                "lineItemCost": amount(cost),
                "quantity": l.quantity,
                "total": amount(cost),
                "lineItemFulfillmentStatus": status,
                // eBay sets these from the purchase and the seller's stated handling time
                // (3 business days here) and the shipping service's transit time.
                "lineItemFulfillmentInstructions": {
                    "guaranteedDelivery": false,
                    "shipByDate": ebay_time(o.created + chrono::Duration::days(3)),
                    "minEstimatedDeliveryDate": ebay_time(o.created + chrono::Duration::days(5)),
                    "maxEstimatedDeliveryDate": ebay_time(o.created + chrono::Duration::days(8)),
                },
            })
        })
        .collect();
    let fulfillment_hrefs: Vec<String> = o
        .fulfillments
        .iter()
        .map(|f| {
            format!(
                "/sell/fulfillment/v1/order/{}/shipping_fulfillment/{}",
                o.order_id, f.fulfillment_id
            )
        })
        .collect();
    json!({
        "orderId": o.order_id,
        "legacyOrderId": format!("{}-0", o.order_id.replace('-', "")),
        "creationDate": ebay_time(o.created),
        "lastModifiedDate": ebay_time(o.modified),
        "orderFulfillmentStatus": status,
        "orderPaymentStatus": if o.paid { "PAID" } else { "PENDING" },
        "sellerId": "switchyard_sim_seller",
        "buyer": {
            "username": "sim_buyer",
            "buyerRegistrationAddress": {"fullName": "Sim Buyer", "email": o.email},
        },
        "pricingSummary": {"priceSubtotal": amount(subtotal), "total": amount(subtotal)},
        // Every refund issued (processed at once here, asynchronously on eBay).
        "paymentSummary": {
            "payments": if o.paid {
                vec![json!({
                    "paymentMethod": "CREDIT_CARD",
                    "paymentStatus": "PAID",
                    "paymentDate": ebay_time(o.created),
                    "amount": amount(subtotal),
                })]
            } else {
                Vec::new()
            },
            "refunds": o.refunds.iter().map(|r| json!({
                "refundId": r.refund_id,
                "refundStatus": "REFUNDED",
                "refundDate": ebay_time(r.date),
                "amount": amount(r.cents()),
            })).collect::<Vec<_>>(),
            "totalDueSeller": amount(subtotal - o.refunds.iter().map(SimRefund::cents).sum::<i64>()),
        },
        "cancelStatus": {
            "cancelState": if o.cancelled { "CANCELED" } else { "NONE_REQUESTED" },
            "cancelRequests": [],
        },
        "fulfillmentHrefs": fulfillment_hrefs,
        "fulfillmentStartInstructions": [{
            "fulfillmentInstructionsType": "SHIP_TO",
            "ebaySupportedFulfillment": false,
            "shippingStep": {
                "shipTo": {
                    "fullName": "Sim Buyer",
                    "contactAddress": {
                        "addressLine1": "1 Simulated Way",
                        "city": "San Jose",
                        "stateOrProvince": "CA",
                        "postalCode": "95125",
                        "countryCode": "US",
                    },
                    "primaryPhone": {"phoneNumber": "4085550100"},
                    "email": o.email,
                },
                "shippingCarrierCode": "USPS",
                "shippingServiceCode": "USPSPriority",
            },
        }],
        "lineItems": line_items,
    })
}

pub fn fulfillment_json(f: &Fulfillment) -> Value {
    json!({
        "fulfillmentId": f.fulfillment_id,
        "lineItems": f.line_items.iter().map(|(id, q)| json!({"lineItemId": id, "quantity": q})).collect::<Vec<_>>(),
        "shipmentTrackingNumber": f.tracking,
        "shippingCarrierCode": f.carrier,
        "shippedDate": f.shipped_date,
    })
}

pub fn item_json(item: &Item) -> Value {
    json!({
        "sku": item.sku,
        "locale": "en_US",
        "product": {"title": item.title},
        "condition": "NEW",
        "availability": {"shipToLocationAvailability": {"quantity": item.quantity}},
    })
}

pub fn offer_json(item: &Item, offer: &Offer, currency: &str) -> Value {
    json!({
        "offerId": offer.offer_id,
        "sku": item.sku,
        "marketplaceId": "EBAY_US",
        "format": "FIXED_PRICE",
        "availableQuantity": offer.available_quantity,
        "pricingSummary": {"price": {"value": money(item.price_cents), "currency": currency}},
        "listing": {"listingId": offer.listing_id},
        "status": if offer.published { "PUBLISHED" } else { "UNPUBLISHED" },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents_round_trip() {
        assert_eq!(parse_cents("19.99"), Some(1999));
        assert_eq!(parse_cents("5"), Some(500));
        assert_eq!(parse_cents("5.5"), Some(550));
        assert_eq!(parse_cents("x"), None);
        assert_eq!(money(1999), "19.99");
    }
}
