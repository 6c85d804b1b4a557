//! What the supplier holds: purchase orders by Idempotency-Key, the events it has emitted, and
//! its stock.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoStatus {
    Accepted,
    Shipped,
    Cancelled,
}

impl PoStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            PoStatus::Accepted => "accepted",
            PoStatus::Shipped => "shipped",
            PoStatus::Cancelled => "cancelled",
        }
    }
}

/// A purchase order as the supplier stored it.
#[derive(Debug, Clone)]
pub struct PurchaseOrder {
    pub id: String,
    pub idempotency_key: String,
    pub po_number: String,
    /// The body exactly as received.
    pub body: Value,
    pub status: PoStatus,
    pub received_at: DateTime<Utc>,
}

impl PurchaseOrder {
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "po_number": self.po_number,
            "status": self.status.as_str(),
            "received_at": self.received_at.to_rfc3339(),
        })
    }

    /// `(supplier sku, quantity)` of every line.
    pub fn lines(&self) -> Vec<(String, u32)> {
        self.body["lines"]
            .as_array()
            .map(|lines| {
                lines
                    .iter()
                    .map(|l| {
                        (
                            l["sku"].as_str().unwrap_or_default().to_string(),
                            l["quantity"].as_u64().unwrap_or(0) as u32,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[derive(Default)]
pub struct Store {
    /// By Idempotency-Key.
    pub orders: BTreeMap<String, PurchaseOrder>,
    /// Oldest first; each `{"id","type","created_at","data"}`.
    pub events: Vec<Value>,
    pub next_order: u64,
    pub next_event: u64,
}

impl Store {
    pub fn by_po(&mut self, po: &str) -> Option<&mut PurchaseOrder> {
        self.orders.values_mut().find(|o| o.po_number == po)
    }

    pub fn event(&mut self, kind: &str, data: Value) -> Value {
        self.next_event += 1;
        let event = json!({
            "id": format!("evt_{:06}", self.next_event),
            "type": kind,
            "created_at": Utc::now().to_rfc3339(),
            "data": data,
        });
        self.events.push(event.clone());
        event
    }
}
