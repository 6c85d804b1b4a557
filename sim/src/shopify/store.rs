//! The simulated shop's own truth: catalog, inventory at one location, orders, fulfillment
//! orders and fulfillments. Every change to an order moves its `updated_at` forward.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, FixedOffset, Offset, SubsecRound, Utc};
use rust_decimal::Decimal;

/// Shop time zone of the simulated store (orders carry this offset, as Shopify's do).
pub(crate) fn shop_offset() -> FixedOffset {
    FixedOffset::west_opt(5 * 3600).unwrap_or_else(|| Utc.fix())
}

#[derive(Debug, Clone)]
pub(crate) struct Variant {
    pub product_id: u64,
    pub variant_id: u64,
    pub inventory_item_id: u64,
    pub sku: String,
    pub title: String,
    pub price: Decimal,
    /// `available` at the shop's one location.
    pub available: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct LineRec {
    pub id: u64,
    pub variant_id: u64,
    pub product_id: u64,
    pub sku: String,
    pub title: String,
    pub quantity: u32,
    pub price: Decimal,
}

#[derive(Debug, Clone)]
pub(crate) struct AddressRec {
    pub first_name: String,
    pub last_name: String,
    pub company: Option<String>,
    pub address1: String,
    pub address2: Option<String>,
    pub city: String,
    pub province: String,
    pub province_code: String,
    pub zip: String,
    pub country: String,
    pub country_code: String,
    pub phone: Option<String>,
}

impl AddressRec {
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct FulfillmentRec {
    pub id: u64,
    pub company: Option<String>,
    pub number: Option<String>,
    pub created_at: DateTime<FixedOffset>,
    /// (order line item id, quantity)
    pub lines: Vec<(u64, u32)>,
}

#[derive(Debug, Clone)]
pub(crate) struct FoLine {
    pub id: u64,
    pub line_item_id: u64,
    pub total: u32,
    pub remaining: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct FoRec {
    pub id: u64,
    pub order_id: u64,
    pub cancelled: bool,
    pub lines: Vec<FoLine>,
}

impl FoRec {
    /// `FulfillmentOrderStatus` as Shopify derives it from the remaining quantities.
    pub fn status(&self) -> &'static str {
        if self.cancelled {
            return "CANCELLED";
        }
        let remaining: u32 = self.lines.iter().map(|l| l.remaining).sum();
        let total: u32 = self.lines.iter().map(|l| l.total).sum();
        if remaining == 0 {
            "CLOSED"
        } else if remaining < total {
            "IN_PROGRESS"
        } else {
            "OPEN"
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct OrderRec {
    pub id: u64,
    pub number: u64,
    pub email: String,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
    pub cancelled_at: Option<DateTime<FixedOffset>>,
    /// `OrderCancelReason` of the cancellation (`CUSTOMER` for the buyer's own).
    pub cancel_reason: Option<String>,
    /// Reasons of every seller cancellation `orderCancel` accepted, in order (the channel's own
    /// record, which tests count).
    pub seller_cancellations: Vec<String>,
    /// REST `financial_status`: `paid` or `pending`.
    pub financial_status: &'static str,
    pub currency: String,
    pub lines: Vec<LineRec>,
    pub shipping: AddressRec,
    pub fulfillments: Vec<FulfillmentRec>,
    pub fulfillment_orders: Vec<FoRec>,
    /// Shopify's own assessment (`RiskAssessmentResult`: `LOW`, `MEDIUM`, `HIGH`, `NONE`,
    /// `PENDING`), served as `risk.assessments[].riskLevel`.
    pub risk_level: &'static str,
    /// Refunds made with `refundCreate`, oldest first.
    pub refunds: Vec<RefundRec>,
    /// Returns opened on the order (`returnCreate` / a buyer's request), oldest first.
    pub returns: Vec<ReturnRec>,
}

/// A return: its `ReturnStatus` and the fulfilled units it takes back.
#[derive(Debug, Clone)]
pub(crate) struct ReturnRec {
    pub id: u64,
    pub number: u32,
    /// `ReturnStatus`: `REQUESTED` (a buyer's request) or `OPEN` (approved / opened by staff).
    pub status: &'static str,
    pub lines: Vec<ReturnLineRec>,
}

/// A return line item: the fulfillment line item it returns (and its order line), units.
#[derive(Debug, Clone)]
pub(crate) struct ReturnLineRec {
    pub id: u64,
    pub fulfillment_line_item_id: u64,
    pub line_item_id: u64,
    pub quantity: u32,
}

/// A refund of an order: its note, the money returned and the lines it covers.
#[derive(Debug, Clone)]
pub(crate) struct RefundRec {
    pub id: u64,
    pub note: Option<String>,
    pub created_at: DateTime<FixedOffset>,
    pub amount: Decimal,
    /// (line item id, units).
    pub lines: Vec<(u64, u32)>,
}

impl OrderRec {
    /// The id of the order's one payment transaction (a paid order's `SALE`).
    pub fn sale_transaction_id(&self) -> u64 {
        self.id * 10 + 1
    }

    pub fn refunded(&self) -> Decimal {
        self.refunds.iter().map(|r| r.amount).sum()
    }

    /// Units of a line refunded so far.
    pub fn refunded_units(&self, line_id: u64) -> u32 {
        self.refunds
            .iter()
            .flat_map(|r| r.lines.iter())
            .filter(|(l, _)| *l == line_id)
            .map(|(_, q)| *q)
            .sum()
    }
}

impl OrderRec {
    pub fn name(&self) -> String {
        format!("#{}", self.number)
    }

    pub fn total(&self) -> Decimal {
        self.lines
            .iter()
            .map(|l| l.price * Decimal::from(l.quantity))
            .sum()
    }

    fn fulfilled_units(&self) -> (u32, u32) {
        let total: u32 = self.lines.iter().map(|l| l.quantity).sum();
        let shipped: u32 = self
            .fulfillments
            .iter()
            .flat_map(|f| f.lines.iter().map(|(_, q)| *q))
            .sum();
        (shipped, total)
    }

    /// REST `fulfillment_status`: null, `partial` or `fulfilled`.
    pub fn rest_fulfillment_status(&self) -> Option<&'static str> {
        match self.fulfilled_units() {
            (0, _) => None,
            (s, t) if s >= t => Some("fulfilled"),
            _ => Some("partial"),
        }
    }

    /// GraphQL `displayFulfillmentStatus`.
    pub fn display_fulfillment_status(&self) -> &'static str {
        match self.rest_fulfillment_status() {
            None => "UNFULFILLED",
            Some("fulfilled") => "FULFILLED",
            Some(_) => "PARTIALLY_FULFILLED",
        }
    }

    pub fn line_fulfilled(&self, line_id: u64) -> u32 {
        self.fulfillments
            .iter()
            .flat_map(|f| f.lines.iter())
            .filter(|(id, _)| *id == line_id)
            .map(|(_, q)| *q)
            .sum()
    }

    /// Moves `updated_at` forward by at least a second, so every version of an order has its
    /// own timestamp at the seconds precision Shopify renders.
    pub fn touch(&mut self, now: DateTime<Utc>) {
        let now = now.trunc_subsecs(0).with_timezone(&shop_offset());
        let next = self.updated_at + Duration::seconds(1);
        self.updated_at = if now > next { now } else { next };
    }
}

/// A shipment as written back, kept in call order for `SimulatedChannel::shipments`.
#[derive(Debug, Clone)]
pub(crate) struct ShipmentLog {
    pub order_id: u64,
    pub company: String,
    pub number: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Store {
    next_id: u64,
    next_number: u64,
    pub location_id: u64,
    /// Only ever appended to, so the indexes below stay valid.
    pub variants: Vec<Variant>,
    by_sku: HashMap<String, usize>,
    by_item: HashMap<u64, usize>,
    pub orders: BTreeMap<u64, OrderRec>,
    pub shipments: Vec<ShipmentLog>,
    pub adjustment_groups: u64,
    /// (variant index, level before) of every write since [`Store::begin`], to undo them.
    undo: Vec<(usize, i64)>,
    /// (SKU, level) of every write since [`Store::begin`], for the journal once committed.
    pub written: Vec<(String, i64)>,
}

/// What a mutation request may change besides variant levels, saved before it runs: Shopify
/// validates a whole request before executing it, so a request that fails changes nothing.
pub(crate) struct Checkpoint {
    next_id: u64,
    next_number: u64,
    adjustment_groups: u64,
    orders: BTreeMap<u64, OrderRec>,
    shipments: usize,
}

impl Store {
    pub fn new() -> Self {
        Self {
            next_id: 5_450_000_000_001,
            next_number: 1001,
            location_id: 76_543_210_987,
            variants: Vec::new(),
            by_sku: HashMap::new(),
            by_item: HashMap::new(),
            orders: BTreeMap::new(),
            shipments: Vec::new(),
            adjustment_groups: 0,
            undo: Vec::new(),
            written: Vec::new(),
        }
    }

    /// Starts a mutation request. Copying the whole store instead would cost a million
    /// variants per call on a large catalog.
    pub fn begin(&mut self) -> Checkpoint {
        self.undo.clear();
        self.written.clear();
        Checkpoint {
            next_id: self.next_id,
            next_number: self.next_number,
            adjustment_groups: self.adjustment_groups,
            orders: self.orders.clone(),
            shipments: self.shipments.len(),
        }
    }

    /// Undoes everything since `checkpoint`.
    pub fn rollback(&mut self, checkpoint: Checkpoint) {
        while let Some((index, before)) = self.undo.pop() {
            if let Some(v) = self.variants.get_mut(index) {
                v.available = before;
            }
        }
        self.written.clear();
        self.next_id = checkpoint.next_id;
        self.next_number = checkpoint.next_number;
        self.adjustment_groups = checkpoint.adjustment_groups;
        self.orders = checkpoint.orders;
        self.shipments.truncate(checkpoint.shipments);
    }

    pub fn variant_index_by_item(&self, item_id: u64) -> Option<usize> {
        self.by_item.get(&item_id).copied()
    }

    /// Sets a variant's `available`, remembering the old level for [`Store::rollback`].
    pub fn set_available(&mut self, index: usize, quantity: i64) {
        if let Some(v) = self.variants.get_mut(index) {
            self.undo.push((index, v.available));
            v.available = quantity;
            self.written.push((v.sku.clone(), quantity));
        }
    }

    /// Ids are unique across every kind of object, like Shopify's.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn variant_by_sku(&self, sku: &str) -> Option<&Variant> {
        self.by_sku.get(sku).and_then(|i| self.variants.get(*i))
    }

    pub fn variant_by_sku_mut(&mut self, sku: &str) -> Option<&mut Variant> {
        self.by_sku.get(sku).and_then(|i| self.variants.get_mut(*i))
    }

    pub fn variant_by_item(&self, item_id: u64) -> Option<&Variant> {
        self.by_item
            .get(&item_id)
            .and_then(|i| self.variants.get(*i))
    }

    pub fn add_product(&mut self, sku: &str, title: &str, price: Decimal, quantity: i64) {
        if let Some(v) = self.variant_by_sku_mut(sku) {
            v.title = title.to_string();
            v.price = price;
            v.available = quantity;
            return;
        }
        let product_id = self.next_id();
        let variant_id = self.next_id();
        let inventory_item_id = self.next_id();
        self.by_sku.insert(sku.to_string(), self.variants.len());
        self.by_item.insert(inventory_item_id, self.variants.len());
        self.variants.push(Variant {
            product_id,
            variant_id,
            inventory_item_id,
            sku: sku.to_string(),
            title: title.to_string(),
            price,
            available: quantity,
        });
    }

    /// Creates an order with one fulfillment order holding every line. Unknown SKUs become
    /// custom lines without a variant, priced at zero.
    pub fn create_order(
        &mut self,
        lines: &[(String, u32)],
        paid: bool,
        email: &str,
        now: DateTime<Utc>,
    ) -> u64 {
        let id = self.next_id();
        let number = self.next_number;
        self.next_number += 1;
        let created = now.trunc_subsecs(0).with_timezone(&shop_offset());
        let mut recs = Vec::new();
        for (sku, qty) in lines {
            let line_id = self.next_id();
            let (variant_id, product_id, title, price) = match self.variant_by_sku(sku) {
                Some(v) => (v.variant_id, v.product_id, v.title.clone(), v.price),
                None => (0, 0, sku.clone(), Decimal::ZERO),
            };
            recs.push(LineRec {
                id: line_id,
                variant_id,
                product_id,
                sku: sku.clone(),
                title,
                quantity: *qty,
                price,
            });
        }
        let fo_id = self.next_id();
        let mut fo_lines = Vec::new();
        for l in &recs {
            fo_lines.push(FoLine {
                id: self.next_id(),
                line_item_id: l.id,
                total: l.quantity,
                remaining: l.quantity,
            });
        }
        let order = OrderRec {
            id,
            number,
            email: email.to_string(),
            created_at: created,
            updated_at: created,
            cancelled_at: None,
            cancel_reason: None,
            seller_cancellations: Vec::new(),
            financial_status: if paid { "paid" } else { "pending" },
            currency: "USD".into(),
            lines: recs,
            shipping: AddressRec {
                first_name: "Ada".into(),
                last_name: "Lovelace".into(),
                company: None,
                address1: "12 Analytical Row".into(),
                address2: Some("Suite 4".into()),
                city: "Springfield".into(),
                province: "Illinois".into(),
                province_code: "IL".into(),
                zip: "62701".into(),
                country: "United States".into(),
                country_code: "US".into(),
                phone: None,
            },
            fulfillments: Vec::new(),
            refunds: Vec::new(),
            returns: Vec::new(),
            risk_level: "LOW",
            fulfillment_orders: vec![FoRec {
                id: fo_id,
                order_id: id,
                cancelled: false,
                lines: fo_lines,
            }],
        };
        self.orders.insert(id, order);
        id
    }

    /// Shopify's fraud analysis finishing with `level` (`RiskAssessmentResult`); the order
    /// changes (a new `updatedAt`), as it does when an assessment is added.
    pub fn set_risk_level(&mut self, id: u64, level: &'static str, now: DateTime<Utc>) -> bool {
        let Some(order) = self.orders.get_mut(&id) else {
            return false;
        };
        order.touch(now);
        order.risk_level = level;
        true
    }

    /// Cancels an order; its open fulfillment orders are cancelled with it.
    pub fn cancel_order(&mut self, id: u64, now: DateTime<Utc>) -> bool {
        let Some(order) = self.orders.get_mut(&id) else {
            return false;
        };
        if order.cancelled_at.is_none() {
            order.touch(now);
            order.cancelled_at = Some(order.updated_at);
            order.cancel_reason = Some("CUSTOMER".into());
            for fo in &mut order.fulfillment_orders {
                if fo.lines.iter().any(|l| l.remaining > 0) {
                    fo.cancelled = true;
                }
            }
        }
        true
    }

    pub fn next_adjustment_group(&mut self) -> u64 {
        self.adjustment_groups += 1;
        self.next_id()
    }

    /// Opens a return of fulfilled units, as `returnCreate` does: each (line item id, units)
    /// must be fulfilled and not already on an open or requested return, else nothing changes
    /// and `None`. The order changes (a new `updatedAt`).
    pub fn open_return(
        &mut self,
        order_id: u64,
        lines: &[(u64, u32)],
        now: DateTime<Utc>,
    ) -> Option<u64> {
        let order = self.orders.get(&order_id)?;
        let mut recs = Vec::new();
        for (line_id, qty) in lines {
            let on_returns: u32 = order
                .returns
                .iter()
                .filter(|r| matches!(r.status, "OPEN" | "REQUESTED"))
                .flat_map(|r| r.lines.iter())
                .filter(|l| l.line_item_id == *line_id)
                .map(|l| l.quantity)
                .sum();
            if *qty == 0 || order.line_fulfilled(*line_id) < on_returns + qty {
                return None;
            }
            // The first fulfillment that shipped this line: its fulfillment line item.
            let f = order
                .fulfillments
                .iter()
                .find(|f| f.lines.iter().any(|(l, _)| l == line_id))?;
            let position = f.lines.iter().position(|(l, _)| l == line_id)?;
            recs.push((f.id * 100 + position as u64 + 1, *line_id, *qty));
        }
        if recs.is_empty() {
            return None;
        }
        let id = self.next_id();
        let mut return_lines = Vec::new();
        for (fli, line_item_id, quantity) in recs {
            return_lines.push(ReturnLineRec {
                id: self.next_id(),
                fulfillment_line_item_id: fli,
                line_item_id,
                quantity,
            });
        }
        let order = self.orders.get_mut(&order_id)?;
        order.touch(now);
        let number = order.returns.len() as u32 + 1;
        order.returns.push(ReturnRec {
            id,
            number,
            status: "OPEN",
            lines: return_lines,
        });
        Some(id)
    }
}
