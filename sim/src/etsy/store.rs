//! The simulated shop's own truth (receipts with transactions and shipments, listings with
//! products and offerings) and how Etsy renders it.

use std::collections::HashMap;

use serde_json::{Value, json};

/// Etsy's user id of the simulated seller; access tokens are prefixed with it, as Etsy's are.
pub const SELLER_USER_ID: u64 = 5_550_001;
const BUYER_USER_ID: u64 = 7_770_001;
/// Every simulated listing's processing time, in days.
const MIN_PROCESSING_DAYS: i64 = 1;
const MAX_PROCESSING_DAYS: i64 = 3;

#[derive(Debug, Clone)]
pub struct Receipt {
    pub id: u64,
    pub buyer_email: String,
    pub status: String,
    pub is_paid: bool,
    pub is_shipped: bool,
    pub created: i64,
    pub updated: i64,
    pub transactions: Vec<Transaction>,
    pub shipments: Vec<ShipmentRecord>,
}

#[derive(Debug, Clone)]
pub struct Transaction {
    pub id: u64,
    pub listing_id: u64,
    pub product_id: u64,
    pub sku: String,
    pub title: String,
    pub quantity: u32,
    /// Minor units (divisor 100).
    pub price: i64,
}

#[derive(Debug, Clone)]
pub struct ShipmentRecord {
    pub id: u64,
    pub carrier_name: String,
    pub tracking_code: String,
    pub at: i64,
}

#[derive(Debug, Clone)]
pub struct SimListing {
    pub id: u64,
    pub title: String,
    pub state: String,
    pub products: Vec<Product>,
    pub price_on_property: Vec<Value>,
    pub quantity_on_property: Vec<Value>,
    pub sku_on_property: Vec<Value>,
    pub updated: i64,
}

#[derive(Debug, Clone)]
pub struct Product {
    pub id: u64,
    pub sku: String,
    /// Stored as Etsy renders them (`property_id`, `property_name`, `scale_id`, `value_ids`,
    /// `values`).
    pub property_values: Vec<Value>,
    pub offerings: Vec<Offering>,
}

#[derive(Debug, Clone)]
pub struct Offering {
    pub id: u64,
    /// Minor units (divisor 100).
    pub price: i64,
    pub quantity: i64,
    pub is_enabled: bool,
}

#[derive(Default)]
pub struct Store {
    pub receipts: Vec<Receipt>,
    /// Only appended to (through [`Store::add_listing`]), so the indexes below stay valid.
    pub listings: Vec<SimListing>,
    by_id: HashMap<u64, usize>,
    /// SKU → listing index; checked on use, since an inventory PUT can move a SKU elsewhere.
    by_sku: HashMap<String, usize>,
    next_id: u64,
}

impl Store {
    /// Etsy ids are large and never reused; one counter serves every kind.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        1_000_000_000 + self.next_id
    }

    pub fn receipt(&self, id: u64) -> Option<&Receipt> {
        self.receipts.iter().find(|r| r.id == id)
    }

    pub fn receipt_mut(&mut self, id: u64) -> Option<&mut Receipt> {
        self.receipts.iter_mut().find(|r| r.id == id)
    }

    pub fn add_listing(&mut self, listing: SimListing) {
        self.by_id.insert(listing.id, self.listings.len());
        self.listings.push(listing);
        self.index_skus(self.listings.len() - 1);
    }

    /// Notes which SKUs a listing carries (after it is added or its inventory replaced).
    pub fn index_skus(&mut self, index: usize) {
        if let Some(l) = self.listings.get(index) {
            for p in &l.products {
                self.by_sku.insert(p.sku.clone(), index);
            }
        }
    }

    pub fn listing_index(&self, id: u64) -> Option<usize> {
        self.by_id.get(&id).copied()
    }

    pub fn listing(&self, id: u64) -> Option<&SimListing> {
        self.listing_index(id).and_then(|i| self.listings.get(i))
    }

    /// Index of the listing carrying `sku`: the index if it still holds, else a scan.
    fn listing_index_of_sku(&self, sku: &str) -> Option<usize> {
        let holds = |i: &usize| {
            self.listings
                .get(*i)
                .is_some_and(|l| l.products.iter().any(|p| p.sku == sku))
        };
        match self.by_sku.get(sku).copied().filter(holds) {
            Some(i) => Some(i),
            None => (0..self.listings.len()).find(holds),
        }
    }

    /// `(listing, product)` carrying `sku`.
    pub fn product_by_sku(&self, sku: &str) -> Option<(&SimListing, &Product)> {
        let l = self.listings.get(self.listing_index_of_sku(sku)?)?;
        l.products.iter().find(|p| p.sku == sku).map(|p| (l, p))
    }

    pub fn product_by_sku_mut(&mut self, sku: &str) -> Option<&mut Product> {
        let i = self.listing_index_of_sku(sku)?;
        self.listings
            .get_mut(i)?
            .products
            .iter_mut()
            .find(|p| p.sku == sku)
    }
}

pub fn money(amount: i64, currency: &str) -> Value {
    json!({"amount": amount, "divisor": 100, "currency_code": currency})
}

pub fn receipt_json(r: &Receipt, currency: &str) -> Value {
    let subtotal: i64 = r
        .transactions
        .iter()
        .map(|t| t.price * i64::from(t.quantity))
        .sum();
    let shipping = 499;
    let shipments: Vec<Value> = r
        .shipments
        .iter()
        .map(|s| {
            json!({
                "receipt_shipping_id": s.id,
                "shipment_notification_timestamp": s.at,
                "carrier_name": s.carrier_name,
                "tracking_code": s.tracking_code,
            })
        })
        .collect();
    let transactions: Vec<Value> = r
        .transactions
        .iter()
        .map(|t| {
            json!({
                "transaction_id": t.id,
                "title": t.title,
                "description": "",
                "seller_user_id": SELLER_USER_ID,
                "buyer_user_id": BUYER_USER_ID,
                "create_timestamp": r.created,
                "created_timestamp": r.created,
                "paid_timestamp": if r.is_paid { json!(r.created) } else { Value::Null },
                "shipped_timestamp": Value::Null,
                "quantity": t.quantity,
                "listing_image_id": Value::Null,
                "receipt_id": r.id,
                "is_digital": false,
                "file_data": "",
                "listing_id": t.listing_id,
                "transaction_type": "listing",
                "product_id": t.product_id,
                "sku": t.sku,
                "price": money(t.price, currency),
                "shipping_cost": money(0, currency),
                "variations": [],
                "product_data": [],
                // The listing's processing time (1-3 days): Etsy's expected ship date is the
                // purchase plus the longest of it.
                "min_processing_days": MIN_PROCESSING_DAYS,
                "max_processing_days": MAX_PROCESSING_DAYS,
                "expected_ship_date": r.created + MAX_PROCESSING_DAYS * 86_400,
            })
        })
        .collect();
    json!({
        "receipt_id": r.id,
        "receipt_type": 0,
        "seller_user_id": SELLER_USER_ID,
        "seller_email": "seller@example.com",
        "buyer_user_id": BUYER_USER_ID,
        "buyer_email": r.buyer_email,
        "name": "Ada Lovelace",
        "first_line": "12 Analytical Row",
        "second_line": "",
        "city": "Brooklyn",
        "state": "NY",
        "zip": "11201",
        "status": r.status,
        "formatted_address": "Ada Lovelace\n12 Analytical Row\nBrooklyn, NY 11201\nUnited States",
        "country_iso": "US",
        "payment_method": "cc",
        "payment_email": "",
        "message_from_seller": null,
        "message_from_buyer": "",
        "message_from_payment": null,
        "is_paid": r.is_paid,
        "is_shipped": r.is_shipped,
        "create_timestamp": r.created,
        "created_timestamp": r.created,
        "update_timestamp": r.updated,
        "updated_timestamp": r.updated,
        "is_gift": false,
        "gift_message": "",
        "gift_sender": "",
        "grandtotal": money(subtotal + shipping, currency),
        "subtotal": money(subtotal, currency),
        "total_price": money(subtotal, currency),
        "total_shipping_cost": money(shipping, currency),
        "total_tax_cost": money(0, currency),
        "total_vat_cost": money(0, currency),
        "discount_amt": money(0, currency),
        "gift_wrap_price": money(0, currency),
        "shipments": shipments,
        "transactions": transactions,
        "refunds": [],
    })
}

pub fn listing_json(l: &SimListing, shop_id: u64, currency: &str) -> Value {
    let quantity: i64 = l
        .products
        .iter()
        .flat_map(|p| &p.offerings)
        .filter(|o| o.is_enabled)
        .map(|o| o.quantity)
        .sum();
    let min_price = l
        .products
        .iter()
        .flat_map(|p| &p.offerings)
        .map(|o| o.price)
        .min()
        .unwrap_or(0);
    json!({
        "listing_id": l.id,
        "user_id": SELLER_USER_ID,
        "shop_id": shop_id,
        "title": l.title,
        "description": "",
        "state": l.state,
        "creation_timestamp": l.updated,
        "created_timestamp": l.updated,
        "last_modified_timestamp": l.updated,
        "updated_timestamp": l.updated,
        "quantity": quantity,
        "url": format!("https://www.etsy.com/listing/{}", l.id),
        "listing_type": "physical",
        "has_variations": l.products.len() > 1,
        "price": money(min_price, currency),
    })
}

pub fn inventory_json(l: &SimListing, currency: &str) -> Value {
    json!({
        "products": l.products.iter().map(|p| json!({
            "product_id": p.id,
            "sku": p.sku,
            "is_deleted": false,
            "offerings": p.offerings.iter().map(|o| json!({
                "offering_id": o.id,
                "quantity": o.quantity,
                "is_enabled": o.is_enabled,
                "is_deleted": false,
                "price": money(o.price, currency),
            })).collect::<Vec<_>>(),
            "property_values": p.property_values,
        })).collect::<Vec<_>>(),
        "price_on_property": l.price_on_property,
        "quantity_on_property": l.quantity_on_property,
        "sku_on_property": l.sku_on_property,
    })
}
