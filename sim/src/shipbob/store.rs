//! The simulated ShipBob account's own truth (inventory items, orders, their one shipment) and
//! how the API renders it: `Orders.OrderViewModel`, `Orders.ShipmentViewModel` and
//! `Inventory.InventoryQuantityResponse`, times as ISO 8601 with seven fractional digits.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde_json::{Value, json};

use crate::SimStats;

/// A product with its one inventory item (ShipBob keeps them apart; the simulator pairs them).
#[derive(Debug, Clone)]
pub struct Item {
    pub product_id: u64,
    pub inventory_id: u64,
    pub sku: String,
    pub name: String,
    pub on_hand: i64,
}

#[derive(Debug, Clone)]
pub struct OrderLine {
    pub product_id: u64,
    pub inventory_id: u64,
    pub reference_id: String,
    pub name: String,
    pub quantity: u32,
    pub unit_price: Option<f64>,
    pub external_line_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tracking {
    pub carrier: String,
    pub carrier_service: String,
    pub tracking_number: String,
    pub tracking_url: String,
    pub shipping_date: DateTime<Utc>,
}

/// `Orders.StatusDetailViewModel`: why a shipment is in exception or on hold.
#[derive(Debug, Clone)]
pub struct StatusDetail {
    pub id: u64,
    pub name: String,
    pub description: String,
    pub inventory_id: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct Shipment {
    pub id: u64,
    /// `Orders.OrderStatusEnum`: Processing, Completed, Exception, OnHold, Cancelled,
    /// LabeledCreated.
    pub status: String,
    pub status_details: Vec<StatusDetail>,
    pub tracking: Option<Tracking>,
    pub created: DateTime<Utc>,
    pub last_update_at: DateTime<Utc>,
    pub last_tracking_update_at: Option<DateTime<Utc>>,
    pub location: (u64, String),
}

#[derive(Debug, Clone)]
pub struct SimOrder {
    pub id: u64,
    pub channel_id: u64,
    pub reference_id: String,
    pub order_number: Option<String>,
    /// `Orders.OrderStatus`: Processing, Exception, Fulfilled, Cancelled.
    pub status: String,
    pub order_type: String,
    pub shipping_method: String,
    pub recipient: Value,
    pub purchase_date: Option<String>,
    pub total_price: Option<f64>,
    pub tags: Value,
    pub lines: Vec<OrderLine>,
    pub shipment: Shipment,
    pub created: DateTime<Utc>,
    /// What `LastUpdateStartDate` filters on: moves forward on every change.
    pub updated: DateTime<Utc>,
}

impl SimOrder {
    /// Commits stock while the shipment still waits to be packed.
    pub fn holds_stock(&self) -> bool {
        matches!(self.shipment.status.as_str(), "Processing" | "OnHold")
    }

    pub fn is_shipped(&self) -> bool {
        matches!(
            self.shipment.status.as_str(),
            "Completed" | "LabeledCreated"
        )
    }

    /// Records a change, always moving `updated` forward.
    pub fn touch(&mut self) {
        let now = now();
        self.updated = now.max(self.updated + Duration::microseconds(1));
        self.shipment.last_update_at = self.updated;
    }
}

#[derive(Debug, Default)]
pub struct Store {
    pub items: Vec<Item>,
    pub orders: Vec<SimOrder>,
    pub stats: SimStats,
    /// Orders accepted by `POST /order` (a 422 duplicate is not counted).
    pub orders_created: u64,
    next_id: u64,
    pub webhook_log: Vec<super::webhooks::SentWebhook>,
}

impl Store {
    /// Ids from one counter, unique across kinds, shaped like ShipBob's nine-digit ids.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        300_000_000 + self.next_id
    }

    pub fn item_by_sku(&self, sku: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.sku == sku)
    }

    pub fn item_by_sku_mut(&mut self, sku: &str) -> Option<&mut Item> {
        self.items.iter_mut().find(|i| i.sku == sku)
    }

    /// The item for a reference id, created the way ShipBob auto-creates products.
    pub fn item_for(&mut self, sku: &str, name: &str) -> Item {
        if let Some(item) = self.item_by_sku(sku) {
            return item.clone();
        }
        let item = Item {
            product_id: self.next_id(),
            inventory_id: self.next_id(),
            sku: sku.to_string(),
            name: name.to_string(),
            on_hand: 0,
        };
        self.items.push(item.clone());
        item
    }

    pub fn order(&self, id: u64) -> Option<&SimOrder> {
        self.orders.iter().find(|o| o.id == id)
    }

    pub fn order_mut(&mut self, id: u64) -> Option<&mut SimOrder> {
        self.orders.iter_mut().find(|o| o.id == id)
    }

    pub fn by_reference(&self, channel_id: u64, reference_id: &str) -> Option<&SimOrder> {
        self.orders
            .iter()
            .find(|o| o.channel_id == channel_id && o.reference_id == reference_id)
    }

    /// Units open orders hold of an inventory item.
    pub fn committed(&self, inventory_id: u64) -> i64 {
        self.orders
            .iter()
            .filter(|o| o.holds_stock())
            .flat_map(|o| &o.lines)
            .filter(|l| l.inventory_id == inventory_id)
            .map(|l| i64::from(l.quantity))
            .sum()
    }
}

/// The clock at microseconds, so every time renders exactly and compares as rendered.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// `2025-11-19T00:06:43.7807166+00:00`, as ShipBob writes times.
pub fn iso(t: DateTime<Utc>) -> String {
    let ticks = t.timestamp_subsec_nanos() / 100;
    format!("{}.{ticks:07}+00:00", t.format("%Y-%m-%dT%H:%M:%S"))
}

fn tracking_json(t: &Tracking) -> Value {
    json!({
        "bol": null,
        "carrier": t.carrier,
        "carrier_service": t.carrier_service,
        "pro_number": null,
        "scac": null,
        "shipping_date": iso(t.shipping_date),
        "tracking_number": t.tracking_number,
        "tracking_url": t.tracking_url,
    })
}

/// `Orders.ShipmentViewModel`, which is also the body of the shipment webhooks.
pub fn shipment_json(o: &SimOrder, items: &[Item]) -> Value {
    let s = &o.shipment;
    let products: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            let name = items
                .iter()
                .find(|i| i.inventory_id == l.inventory_id)
                .map_or(l.name.as_str(), |i| i.name.as_str());
            json!({
                "id": l.product_id,
                "reference_id": l.reference_id,
                "sku": l.reference_id,
                "name": name,
                "inventory_items": [{
                    "id": l.inventory_id,
                    "name": name,
                    "quantity": l.quantity,
                    "quantity_committed": if o.holds_stock() || o.is_shipped() { l.quantity } else { 0 },
                    "lot": null,
                    "expiration_date": null,
                    "serial_numbers": [],
                    "is_dangerous_goods": false,
                }],
            })
        })
        .collect();
    let details: Vec<Value> = s
        .status_details
        .iter()
        .map(|d| {
            json!({
                "id": d.id,
                "name": d.name,
                "description": d.description,
                "inventory_id": d.inventory_id,
                "exception_fulfillment_center_id": null,
                "extra_information": {"validation_messages": []},
            })
        })
        .collect();
    let mut shipment = json!({
        "id": s.id,
        "order_id": o.id,
        "reference_id": o.reference_id,
        "recipient": {
            "name": o.recipient.get("name").cloned().unwrap_or(Value::Null),
            "full_name": o.recipient.get("name").cloned().unwrap_or(Value::Null),
            "address": o.recipient.get("address").cloned().unwrap_or(Value::Null),
            "email": o.recipient.get("email").cloned().unwrap_or(Value::Null),
            "phone_number": o.recipient.get("phone_number").cloned().unwrap_or(Value::Null),
        },
        "created_date": iso(s.created),
        "last_update_at": iso(s.last_update_at),
        "last_tracking_update_at": s.last_tracking_update_at.map(iso),
        "actual_fulfillment_date": s.tracking.as_ref().map(|t| iso(t.shipping_date)),
        "estimated_fulfillment_date": iso(s.created + Duration::days(2)),
        "estimated_fulfillment_date_status": if o.is_shipped() { "FulfilledOnTime" } else { "PendingOnTime" },
        "delivery_date": null,
        "status": s.status,
        "status_details": details,
        "location": {"id": s.location.0, "name": s.location.1},
        "invoice_amount": null,
        "invoice_currency_code": null,
        "insurance_value": null,
        "is_tracking_uploaded": false,
        "require_signature": false,
        "gift_message": null,
        "ship_option": o.shipping_method,
        "package_material_type": "Box",
        "measurements": {"depth_in": 4, "length_in": 10, "total_weight_oz": 16, "width_in": 8},
        "parent_cartons": [],
        "products": products,
    });
    // `tracking` is an object in the spec: absent until the shipment has a label.
    if let (Some(t), Some(map)) = (s.tracking.as_ref(), shipment.as_object_mut()) {
        map.insert("tracking".into(), tracking_json(t));
    }
    shipment
}

/// `Orders.OrderViewModel`.
pub fn order_json(o: &SimOrder, items: &[Item], channel_name: &str) -> Value {
    let products: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            json!({
                "id": l.product_id,
                "reference_id": l.reference_id,
                "sku": l.reference_id,
                "quantity": l.quantity,
                "unit_price": l.unit_price,
                "external_line_id": l.external_line_id,
                "gtin": null,
                "upc": null,
                "quantity_unit_of_measure_code": null,
            })
        })
        .collect();
    json!({
        "id": o.id,
        "created_date": iso(o.created),
        "purchase_date": o.purchase_date,
        "reference_id": o.reference_id,
        "order_number": o.order_number.clone().unwrap_or_else(|| o.reference_id.clone()),
        "status": o.status,
        "type": o.order_type,
        "channel": {"id": o.channel_id, "name": channel_name},
        "shipping_method": o.shipping_method,
        "recipient": o.recipient,
        "products": products,
        "tags": o.tags,
        "financials": {"total_price": o.total_price},
        "gift_message": null,
        // `retailer_program_data` and `shipping_terms` are objects in the spec, absent on DTC
        // orders (never an explicit null).
        "shipments": [shipment_json(o, items)],
    })
}

/// `Inventory.InventoryQuantityResponse`: committed units come from open orders.
pub fn inventory_level_json(item: &Item, committed: i64) -> Value {
    let fulfillable = (item.on_hand - committed).max(0);
    json!({
        "inventory_id": item.inventory_id,
        "name": item.name,
        "sku": item.sku,
        "total_on_hand_quantity": item.on_hand,
        "total_committed_quantity": committed,
        "total_fulfillable_quantity": fulfillable,
        "total_sellable_quantity": fulfillable,
        "total_awaiting_quantity": 0,
        "total_backordered_quantity": (committed - item.on_hand).max(0),
        "total_exception_quantity": 0,
        "total_internal_transfer_quantity": 0,
    })
}
