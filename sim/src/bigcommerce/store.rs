//! The simulated store's own truth (catalog variants, orders, shipments) and how V2/V3 render
//! it: V2 money as four-decimal text, V2 times as RFC 2822, sub-resources linked by URL.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde_json::{Value, json};

use crate::SimStats;

/// BigCommerce's fixed order status ids and their names.
pub const STATUS_NAMES: [&str; 15] = [
    "Incomplete",
    "Pending",
    "Shipped",
    "Partially Shipped",
    "Refunded",
    "Cancelled",
    "Declined",
    "Awaiting Payment",
    "Awaiting Pickup",
    "Awaiting Shipment",
    "Completed",
    "Awaiting Fulfillment",
    "Manual Verification Required",
    "Disputed",
    "Partially Refunded",
];

/// A catalog variant (every product has at least its base variant).
#[derive(Debug, Clone)]
pub struct Variant {
    pub id: u64,
    pub product_id: u64,
    pub sku: String,
    pub name: String,
    pub price_cents: i64,
    pub inventory_level: i64,
}

#[derive(Debug, Clone)]
pub struct OrderProduct {
    pub id: u64,
    pub product_id: u64,
    pub variant_id: u64,
    pub name: String,
    pub sku: String,
    pub price_cents: i64,
    pub quantity: u32,
    pub quantity_shipped: u32,
}

#[derive(Debug, Clone)]
pub struct SimShipment {
    pub id: u64,
    pub order_address_id: u64,
    pub tracking_number: String,
    pub shipping_provider: String,
    pub tracking_carrier: String,
    pub comments: String,
    pub items: Vec<(u64, u32)>,
    pub created: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct SimOrder {
    pub id: u64,
    pub status_id: u64,
    pub payment_status: String,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub email: String,
    pub address_id: u64,
    pub lines: Vec<OrderProduct>,
    pub shipments: Vec<SimShipment>,
    /// `staff_notes`, as the last `PUT` set them.
    pub staff_notes: String,
    /// Every `status_id` change an API `PUT` made, (from, to), in order (the store's own
    /// record, which tests count).
    pub status_changes: Vec<(u64, u64)>,
    pub refunds: Vec<SimRefund>,
}

/// A refund made through the payment actions (`POST …/payment_actions/refunds`).
#[derive(Debug, Clone)]
pub struct SimRefund {
    pub id: u64,
    pub created: DateTime<Utc>,
    /// (order product id, units, cents, reason).
    pub items: Vec<(u64, u32, i64, String)>,
    /// (provider id, cents, offline).
    pub payments: Vec<(String, i64, bool)>,
}

impl SimRefund {
    pub fn total_cents(&self) -> i64 {
        self.items.iter().map(|(_, _, c, _)| c).sum()
    }
}

impl SimOrder {
    pub fn refunded_cents(&self) -> i64 {
        self.refunds.iter().map(SimRefund::total_cents).sum()
    }

    /// Units of an order product refunded so far.
    pub fn refunded_units(&self, product_line: u64) -> u32 {
        self.refunds
            .iter()
            .flat_map(|r| r.items.iter())
            .filter(|(l, ..)| *l == product_line)
            .map(|(_, q, ..)| *q)
            .sum()
    }

    pub fn total_cents(&self) -> i64 {
        self.lines
            .iter()
            .map(|l| l.price_cents * i64::from(l.quantity))
            .sum()
    }

    fn items(&self) -> (u32, u32) {
        self.lines
            .iter()
            .fold((0, 0), |(t, s), l| (t + l.quantity, s + l.quantity_shipped))
    }
}

#[derive(Debug, Default)]
pub struct Store {
    /// Only appended to (through [`Store::add_variant`]), so the indexes below stay valid.
    pub variants: Vec<Variant>,
    by_sku: std::collections::HashMap<String, usize>,
    by_id: std::collections::HashMap<u64, usize>,
    /// (SKU, level) written since the lock was taken, for the journal.
    pub written: Vec<(String, i64)>,
    pub orders: Vec<SimOrder>,
    pub stats: SimStats,
    next_id: u64,
    pub next_event: u64,
    pub webhook_log: Vec<super::webhooks::SentWebhook>,
}

impl Store {
    /// Ids from one counter: unique across every kind of record, like real ids look.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        100 + self.next_id
    }

    /// Adds a variant; the first one to carry a SKU keeps it.
    pub fn add_variant(&mut self, variant: Variant) {
        let index = self.variants.len();
        self.by_sku.entry(variant.sku.clone()).or_insert(index);
        self.by_id.insert(variant.id, index);
        self.variants.push(variant);
    }

    pub fn variant_index_by_sku(&self, sku: &str) -> Option<usize> {
        self.by_sku.get(sku).copied()
    }

    pub fn variant_index_by_id(&self, id: u64) -> Option<usize> {
        self.by_id.get(&id).copied()
    }

    pub fn variant_by_sku(&self, sku: &str) -> Option<&Variant> {
        self.by_sku.get(sku).and_then(|i| self.variants.get(*i))
    }

    pub fn variant_by_sku_mut(&mut self, sku: &str) -> Option<&mut Variant> {
        self.by_sku.get(sku).and_then(|i| self.variants.get_mut(*i))
    }

    pub fn order(&self, id: u64) -> Option<&SimOrder> {
        self.orders.iter().find(|o| o.id == id)
    }

    pub fn order_mut(&mut self, id: u64) -> Option<&mut SimOrder> {
        self.orders.iter_mut().find(|o| o.id == id)
    }
}

/// Whole seconds, as V2 stores them.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

/// A change always moves `date_modified` forward, even within the same second.
pub fn next_modified(previous: DateTime<Utc>) -> DateTime<Utc> {
    now().max(previous + Duration::seconds(1))
}

/// V2's four-decimal money text.
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}{}.{:02}00", cents / 100, cents % 100)
}

/// `"12.50"` → 1250; `None` for anything that is not an amount.
pub fn parse_cents(price: &str) -> Option<i64> {
    let (whole, frac) = price.trim().split_once('.').unwrap_or((price.trim(), "0"));
    let whole: i64 = whole.parse().ok()?;
    let frac = format!("{frac:0<2}");
    let cents: i64 = frac.get(..2)?.parse().ok()?;
    Some(whole * 100 + cents)
}

pub fn rfc2822(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

fn link(api: &str, id: u64, what: &str) -> Value {
    json!({"url": format!("{api}/v2/orders/{id}/{what}"), "resource": format!("/orders/{id}/{what}")})
}

/// `GET /v2/orders/{id}` as V2 renders it. `api` is `{base}/stores/{hash}`.
pub fn order_json(o: &SimOrder, api: &str, currency: &str) -> Value {
    let total = money(o.total_cents());
    let (items_total, items_shipped) = o.items();
    let status = STATUS_NAMES
        .get(o.status_id as usize)
        .copied()
        .unwrap_or("Unknown");
    json!({
        "id": o.id,
        "customer_id": 0,
        "date_created": rfc2822(o.created),
        "date_modified": rfc2822(o.modified),
        "date_shipped": o.shipments.last().map(|s| rfc2822(s.created)).unwrap_or_default(),
        "status_id": o.status_id,
        "status": status,
        "staff_notes": o.staff_notes,
        "subtotal_ex_tax": total,
        "subtotal_inc_tax": total,
        "subtotal_tax": money(0),
        "base_shipping_cost": money(0),
        "shipping_cost_ex_tax": money(0),
        "shipping_cost_inc_tax": money(0),
        "total_ex_tax": total,
        "total_inc_tax": total,
        "total_tax": money(0),
        "items_total": items_total,
        "items_shipped": items_shipped,
        "payment_method": "Credit Card",
        "payment_provider_id": "",
        "payment_status": o.payment_status,
        "refunded_amount": money(0),
        "order_is_digital": false,
        "currency_code": currency,
        "default_currency_code": currency,
        "discount_amount": money(0),
        "shipping_address_count": 1,
        "billing_address": address_json(o, true),
        "products": link(api, o.id, "products"),
        "shipping_addresses": link(api, o.id, "shipping_addresses"),
        "coupons": link(api, o.id, "coupons"),
        "order_source": "www",
        "channel_id": 1,
        "external_id": null,
    })
}

/// The simulator's one address per order: billing and shipping are the same shopper.
fn address_json(o: &SimOrder, billing: bool) -> Value {
    let mut a = json!({
        "first_name": "Sam",
        "last_name": "Shopper",
        "company": "",
        "street_1": "18 Harbour Road",
        "street_2": "",
        "city": "Portland",
        "state": "Oregon",
        "zip": "97201",
        "country": "United States",
        "country_iso2": "US",
        "phone": "",
        "email": o.email,
    });
    if !billing {
        let (items_total, items_shipped) = o.items();
        a["id"] = json!(o.address_id);
        a["order_id"] = json!(o.id);
        a["items_total"] = json!(items_total);
        a["items_shipped"] = json!(items_shipped);
        a["shipping_method"] = json!("Flat Rate");
        a["base_cost"] = json!(money(0));
    }
    a
}

pub fn shipping_address_json(o: &SimOrder) -> Value {
    address_json(o, false)
}

pub fn product_json(o: &SimOrder, p: &OrderProduct) -> Value {
    let price = money(p.price_cents);
    let line_total = money(p.price_cents * i64::from(p.quantity));
    json!({
        "id": p.id,
        "order_id": o.id,
        "product_id": p.product_id,
        "variant_id": p.variant_id,
        "order_address_id": o.address_id,
        "name": p.name,
        "sku": p.sku,
        "type": "physical",
        "base_price": price,
        "price_ex_tax": price,
        "price_inc_tax": price,
        "price_tax": money(0),
        "base_total": line_total,
        "total_ex_tax": line_total,
        "total_inc_tax": line_total,
        "total_tax": money(0),
        "quantity": p.quantity,
        "quantity_shipped": p.quantity_shipped,
        "is_refunded": false,
        "quantity_refunded": 0,
        "parent_order_product_id": null,
        "is_bundled_product": false,
        "applied_discounts": [],
        "product_options": [],
    })
}

pub fn shipment_json(o: &SimOrder, s: &SimShipment) -> Value {
    json!({
        "id": s.id,
        "order_id": o.id,
        "customer_id": 0,
        "order_address_id": s.order_address_id,
        "date_created": rfc2822(s.created),
        "tracking_number": s.tracking_number,
        "merchant_shipping_cost": money(0),
        "shipping_method": "Flat Rate",
        "comments": s.comments,
        "shipping_provider": s.shipping_provider,
        "tracking_carrier": s.tracking_carrier,
        "tracking_link": "",
        "billing_address": address_json(o, true),
        "shipping_address": address_json(o, true),
        "items": s.items.iter().map(|(line, q)| {
            let product_id = o.lines.iter().find(|l| l.id == *line).map_or(0, |l| l.product_id);
            json!({"order_product_id": line, "product_id": product_id, "quantity": q})
        }).collect::<Vec<_>>(),
    })
}

pub fn variant_json(v: &Variant) -> Value {
    let price = format!("{}.{:02}", v.price_cents / 100, v.price_cents % 100);
    json!({
        "id": v.id,
        "product_id": v.product_id,
        "sku": v.sku,
        "sku_id": v.id,
        "price": price.parse::<f64>().unwrap_or(0.0),
        "calculated_price": price.parse::<f64>().unwrap_or(0.0),
        "inventory_level": v.inventory_level,
        "inventory_warning_level": 0,
        "purchasing_disabled": false,
        "option_values": [],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_four_decimal_text() {
        assert_eq!(money(1250), "12.5000");
        assert_eq!(money(5), "0.0500");
        assert_eq!(parse_cents("12.5"), Some(1250));
        assert_eq!(parse_cents("3"), Some(300));
        assert_eq!(parse_cents("x"), None);
    }
}
