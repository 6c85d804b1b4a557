//! The simulated site's own truth: catalog, orders, notes, tracking, counters. Rendering to the
//! v3 JSON shape lives here too, so every route shows the same object the same way.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{Value, json};

use crate::{RecordedShipment, SimStats};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductKind {
    Simple,
    Variable,
    Variation,
}

impl ProductKind {
    pub fn as_str_pub(self) -> &'static str {
        self.as_str()
    }

    fn as_str(self) -> &'static str {
        match self {
            ProductKind::Simple => "simple",
            ProductKind::Variable => "variable",
            ProductKind::Variation => "variation",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Product {
    pub id: u64,
    pub parent_id: u64,
    pub kind: ProductKind,
    pub name: String,
    pub sku: String,
    pub price_cents: i64,
    pub manage_stock: bool,
    pub stock_quantity: Option<i64>,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct LineItem {
    pub id: u64,
    pub product_id: u64,
    pub variation_id: u64,
    pub name: String,
    pub sku: String,
    pub quantity: u32,
    pub price_cents: i64,
}

#[derive(Debug, Clone)]
pub struct Note {
    pub id: u64,
    pub note: String,
    pub customer_note: bool,
    pub created: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Tracking {
    pub tracking_id: String,
    pub tracking_provider: String,
    pub tracking_number: String,
    pub date_shipped: String,
}

#[derive(Debug, Clone)]
pub struct SimOrder {
    pub id: u64,
    pub status: String,
    pub currency: String,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub paid: Option<DateTime<Utc>>,
    pub completed: Option<DateTime<Utc>>,
    pub email: String,
    pub lines: Vec<LineItem>,
    pub notes: Vec<Note>,
    pub trackings: Vec<Tracking>,
    pub refunds: Vec<Refund>,
}

/// A refund of an order (`shop_order_refund`).
#[derive(Debug, Clone)]
pub struct Refund {
    pub id: u64,
    pub created: DateTime<Utc>,
    pub amount_cents: i64,
    pub reason: String,
    pub refunded_payment: bool,
    /// (order line item id, units, cents).
    pub lines: Vec<(u64, u32, i64)>,
}

impl SimOrder {
    /// What the order's line items are worth (the simulator has no tax or shipping).
    pub fn total_cents(&self) -> i64 {
        self.lines
            .iter()
            .map(|l| l.price_cents * i64::from(l.quantity))
            .sum()
    }

    pub fn refunded_cents(&self) -> i64 {
        self.refunds.iter().map(|r| r.amount_cents).sum()
    }
}

/// One webhook delivery attempt, for tests to inspect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRecord {
    pub topic: String,
    pub webhook_id: u64,
    pub delivery_id: u64,
    /// HTTP status of the receiver's answer, or the transport error.
    pub outcome: Result<u16, String>,
}

#[derive(Debug, Default)]
pub struct Store {
    next_post_id: u64,
    next_item_id: u64,
    pub next_delivery_id: u64,
    /// Only appended to (through [`Store::add`]), so the indexes below stay valid.
    pub products: Vec<Product>,
    by_id: HashMap<u64, usize>,
    by_sku: HashMap<String, usize>,
    variations: HashMap<u64, Vec<u64>>,
    pub orders: Vec<SimOrder>,
    pub stats: SimStats,
    /// The 429s among `stats.throttled`, by why.
    pub refusals: super::guard::Refusals,
    pub webhook_log: Vec<WebhookRecord>,
}

impl Store {
    pub fn new() -> Self {
        Self {
            // Orders and products share WordPress post ids.
            next_post_id: 100,
            next_item_id: 1,
            next_delivery_id: 1,
            ..Self::default()
        }
    }

    pub fn post_id(&mut self) -> u64 {
        self.next_post_id += 1;
        self.next_post_id
    }

    pub fn item_id(&mut self) -> u64 {
        self.next_item_id += 1;
        self.next_item_id
    }

    pub fn order(&self, id: u64) -> Option<&SimOrder> {
        self.orders.iter().find(|o| o.id == id)
    }

    pub fn order_mut(&mut self, id: u64) -> Option<&mut SimOrder> {
        self.orders.iter_mut().find(|o| o.id == id)
    }

    /// Adds a product or variation; the first one to carry a SKU keeps it.
    pub fn add(&mut self, product: Product) {
        let index = self.products.len();
        self.by_id.insert(product.id, index);
        if product.kind != ProductKind::Variable && !product.sku.is_empty() {
            self.by_sku.entry(product.sku.clone()).or_insert(index);
        }
        if product.kind == ProductKind::Variation {
            self.variations
                .entry(product.parent_id)
                .or_default()
                .push(product.id);
        }
        self.products.push(product);
    }

    pub fn index_of(&self, id: u64) -> Option<usize> {
        self.by_id.get(&id).copied()
    }

    pub fn product(&self, id: u64) -> Option<&Product> {
        self.index_of(id).and_then(|i| self.products.get(i))
    }

    /// Ids of a variable product's variations, in creation order.
    pub fn variation_ids(&self, parent: u64) -> &[u64] {
        self.variations.get(&parent).map_or(&[], Vec::as_slice)
    }

    pub fn by_sku(&self, sku: &str) -> Option<&Product> {
        self.by_sku.get(sku).and_then(|i| self.products.get(*i))
    }

    pub fn by_sku_mut(&mut self, sku: &str) -> Option<&mut Product> {
        self.by_sku.get(sku).and_then(|i| self.products.get_mut(*i))
    }

    pub fn shipments(&self, id: u64) -> Vec<RecordedShipment> {
        self.order(id)
            .map(|o| {
                o.trackings
                    .iter()
                    .map(|t| RecordedShipment {
                        carrier: t.tracking_provider.clone(),
                        tracking_number: t.tracking_number.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The next modification time of a record: WooCommerce stores whole seconds, and a version must
/// differ from the one before it, so a change within the same second moves on by one second.
pub fn next_modified(previous: DateTime<Utc>) -> DateTime<Utc> {
    let now = truncate(Utc::now());
    if now > previous {
        now
    } else {
        previous + chrono::Duration::seconds(1)
    }
}

pub fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    t - chrono::Duration::nanoseconds(i64::from(t.timestamp_subsec_nanos()))
}

/// `"21.99"` → 2199 (more than two decimals are cut, as WooCommerce rounds to the store's 2).
pub fn parse_cents(price: &str) -> Option<i64> {
    let price = price.trim();
    let (neg, price) = match price.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, price),
    };
    let (whole, frac) = price.split_once('.').unwrap_or((price, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut frac: String = frac.chars().take(2).collect();
    if !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    while frac.len() < 2 {
        frac.push('0');
    }
    let cents = whole
        .checked_mul(100)?
        .checked_add(frac.parse::<i64>().ok()?)?;
    Some(if neg { -cents } else { cents })
}

pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

/// Line item `price` is a JSON number in WooCommerce (a PHP float).
fn money_number(cents: i64) -> Value {
    serde_json::Number::from_f64(cents as f64 / 100.0)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// The site's wall-clock time, without offset, as WooCommerce writes `date_*`.
fn local(t: DateTime<Utc>, offset: FixedOffset) -> String {
    t.with_timezone(&offset)
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

fn gmt(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn dates(
    obj: &mut serde_json::Map<String, Value>,
    name: &str,
    t: Option<DateTime<Utc>>,
    offset: FixedOffset,
) {
    obj.insert(
        name.into(),
        t.map_or(Value::Null, |t| local(t, offset).into()),
    );
    obj.insert(
        format!("{name}_gmt"),
        t.map_or(Value::Null, |t| gmt(t).into()),
    );
}

const ADDRESS: [(&str, &str); 9] = [
    ("first_name", "Sam"),
    ("last_name", "Shopper"),
    ("company", ""),
    ("address_1", "12 Harbour Road"),
    ("address_2", ""),
    ("city", "Portland"),
    ("state", "OR"),
    ("postcode", "97201"),
    ("country", "US"),
];

/// An order as `GET /orders/{id}` and the `order.*` webhooks show it.
pub fn order_json(o: &SimOrder, offset: FixedOffset, site: &str) -> Value {
    let total: i64 = o
        .lines
        .iter()
        .map(|l| l.price_cents * i64::from(l.quantity))
        .sum();
    let mut billing = serde_json::Map::new();
    let mut shipping = serde_json::Map::new();
    for (k, v) in ADDRESS {
        billing.insert(k.into(), v.into());
        shipping.insert(k.into(), v.into());
    }
    billing.insert("email".into(), o.email.clone().into());
    billing.insert("phone".into(), "".into());
    shipping.insert("phone".into(), "".into());
    let line_items: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            let line_total = money(l.price_cents * i64::from(l.quantity));
            json!({
                "id": l.id,
                "name": l.name,
                "product_id": l.product_id,
                "variation_id": l.variation_id,
                "quantity": l.quantity,
                "tax_class": "",
                "subtotal": line_total,
                "subtotal_tax": "0.00",
                "total": line_total,
                "total_tax": "0.00",
                "taxes": [],
                "meta_data": [],
                "sku": l.sku,
                "price": money_number(l.price_cents),
            })
        })
        .collect();
    let mut obj = serde_json::Map::new();
    obj.insert("id".into(), o.id.into());
    obj.insert("parent_id".into(), 0.into());
    obj.insert("number".into(), o.id.to_string().into());
    obj.insert("order_key".into(), format!("wc_order_sim{}", o.id).into());
    obj.insert("created_via".into(), "checkout".into());
    obj.insert("version".into(), "9.8.0".into());
    obj.insert("status".into(), o.status.clone().into());
    obj.insert("currency".into(), o.currency.clone().into());
    dates(&mut obj, "date_created", Some(o.created), offset);
    dates(&mut obj, "date_modified", Some(o.modified), offset);
    for (k, v) in [
        ("discount_total", "0.00"),
        ("discount_tax", "0.00"),
        ("shipping_total", "0.00"),
        ("shipping_tax", "0.00"),
        ("cart_tax", "0.00"),
    ] {
        obj.insert(k.into(), v.into());
    }
    obj.insert("total".into(), money(total).into());
    obj.insert("total_tax".into(), "0.00".into());
    obj.insert("prices_include_tax".into(), false.into());
    obj.insert("customer_id".into(), 0.into());
    obj.insert("customer_note".into(), "".into());
    obj.insert("billing".into(), Value::Object(billing));
    obj.insert("shipping".into(), Value::Object(shipping));
    obj.insert("payment_method".into(), "bacs".into());
    obj.insert("payment_method_title".into(), "Direct bank transfer".into());
    obj.insert("transaction_id".into(), "".into());
    dates(&mut obj, "date_paid", o.paid, offset);
    dates(&mut obj, "date_completed", o.completed, offset);
    obj.insert("cart_hash".into(), "".into());
    let tracking_meta: Vec<Value> = o
        .trackings
        .iter()
        .map(|t| json!({"tracking_id": t.tracking_id, "tracking_provider": t.tracking_provider, "tracking_number": t.tracking_number, "date_shipped": t.date_shipped}))
        .collect();
    let meta = if tracking_meta.is_empty() {
        json!([])
    } else {
        json!([{"id": o.id * 10, "key": "_wc_shipment_tracking_items", "value": tracking_meta}])
    };
    obj.insert("meta_data".into(), meta);
    obj.insert("line_items".into(), Value::Array(line_items));
    for k in ["tax_lines", "shipping_lines", "fee_lines", "coupon_lines"] {
        obj.insert(k.into(), json!([]));
    }
    // Order - Refunds properties: id, reason, total (negative, as the order shows it).
    let refunds: Vec<Value> = o
        .refunds
        .iter()
        .map(|r| json!({"id": r.id, "reason": r.reason, "total": money(-r.amount_cents)}))
        .collect();
    obj.insert("refunds".into(), Value::Array(refunds));
    obj.insert(
        "_links".into(),
        json!({
            "self": [{"href": format!("{site}/wp-json/wc/v3/orders/{}", o.id)}],
            "collection": [{"href": format!("{site}/wp-json/wc/v3/orders")}],
        }),
    );
    Value::Object(obj)
}

/// A product or variation as the products and variations routes show it.
pub fn product_json(p: &Product, variations: &[u64], offset: FixedOffset) -> Value {
    let stock_status = match (p.manage_stock, p.stock_quantity) {
        (true, Some(q)) if q <= 0 => "outofstock",
        _ => "instock",
    };
    let mut obj = serde_json::Map::new();
    obj.insert("id".into(), p.id.into());
    // A variation has no name, slug, type or parent of its own in the documented resource.
    if p.kind != ProductKind::Variation {
        obj.insert("name".into(), p.name.clone().into());
        obj.insert(
            "slug".into(),
            p.name.to_lowercase().replace(' ', "-").into(),
        );
        obj.insert("type".into(), p.kind.as_str().into());
        obj.insert("parent_id".into(), p.parent_id.into());
    }
    obj.insert("status".into(), "publish".into());
    obj.insert("sku".into(), p.sku.clone().into());
    obj.insert("price".into(), money(p.price_cents).into());
    obj.insert("regular_price".into(), money(p.price_cents).into());
    obj.insert("sale_price".into(), "".into());
    dates(&mut obj, "date_created", Some(p.created), offset);
    dates(&mut obj, "date_modified", Some(p.modified), offset);
    obj.insert("manage_stock".into(), p.manage_stock.into());
    obj.insert(
        "stock_quantity".into(),
        if p.manage_stock {
            p.stock_quantity.map_or(Value::Null, Value::from)
        } else {
            Value::Null
        },
    );
    obj.insert("stock_status".into(), stock_status.into());
    if p.kind == ProductKind::Variable {
        obj.insert("variations".into(), json!(variations));
    }
    obj.insert("attributes".into(), json!([]));
    obj.insert("meta_data".into(), json!([]));
    Value::Object(obj)
}

/// A refund as `GET/POST /orders/{id}/refunds` show it (the order refund properties).
pub fn refund_json(r: &Refund, offset: FixedOffset) -> Value {
    let mut obj = serde_json::Map::new();
    obj.insert("id".into(), r.id.into());
    dates(&mut obj, "date_created", Some(r.created), offset);
    obj.insert("amount".into(), money(r.amount_cents).into());
    obj.insert("reason".into(), r.reason.clone().into());
    obj.insert("refunded_by".into(), 1.into());
    obj.insert("refunded_payment".into(), r.refunded_payment.into());
    obj.insert("meta_data".into(), json!([]));
    let lines: Vec<Value> = r
        .lines
        .iter()
        .map(|(id, q, cents)| {
            json!({
                "id": id * 1000 + r.id,
                "quantity": -i64::from(*q),
                "subtotal": money(-cents),
                "subtotal_tax": "0.00",
                "total": money(-cents),
                "total_tax": "0.00",
                "taxes": [],
                "meta_data": [{"id": r.id, "key": "_refunded_item_id", "value": id.to_string()}],
                "refund_total": *cents as f64 / 100.0,
            })
        })
        .collect();
    obj.insert("line_items".into(), Value::Array(lines));
    obj.insert("shipping_lines".into(), json!([]));
    obj.insert("tax_lines".into(), json!([]));
    obj.insert("fee_lines".into(), json!([]));
    Value::Object(obj)
}

pub fn note_json(n: &Note, offset: FixedOffset) -> Value {
    let mut obj = serde_json::Map::new();
    obj.insert("id".into(), n.id.into());
    obj.insert("author".into(), "WooCommerce".into());
    dates(&mut obj, "date_created", Some(n.created), offset);
    obj.insert("note".into(), n.note.clone().into());
    obj.insert("customer_note".into(), n.customer_note.into());
    Value::Object(obj)
}

pub fn tracking_json(t: &Tracking) -> Value {
    json!({
        "tracking_id": t.tracking_id,
        "tracking_provider": t.tracking_provider,
        "tracking_link": "",
        "tracking_number": t.tracking_number,
        "date_shipped": t.date_shipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents_round_trip() {
        assert_eq!(parse_cents("21.99"), Some(2199));
        assert_eq!(parse_cents("5"), Some(500));
        assert_eq!(parse_cents("0.5"), Some(50));
        assert_eq!(parse_cents("abc"), None);
        assert_eq!(money(2199), "21.99");
        assert_eq!(money(-5), "-0.05");
        assert_eq!(money_number(2199).to_string(), "21.99");
    }
}
