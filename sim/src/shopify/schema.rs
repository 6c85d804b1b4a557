//! The slice of Shopify's Admin GraphQL schema the simulator serves: each object type, its
//! fields and their arguments. Resolution yields values; `exec` projects them onto the query.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::store::{
    AddressRec, FoLine, FoRec, FulfillmentRec, LineRec, OrderRec, ReturnLineRec, ReturnRec, Variant,
};

/// A resolved field value, before projection onto a selection set.
#[derive(Debug, Clone)]
pub(crate) enum Out {
    Null,
    Scalar(Value),
    Obj(Box<Obj>),
    List(Vec<Out>),
    /// An empty list of objects of a known type: projects to `[]`, but the selection is still
    /// checked against the type, as Shopify validates a query before running it.
    EmptyOf(Box<Obj>),
}

impl Out {
    pub fn obj(o: Obj) -> Out {
        Out::Obj(Box::new(o))
    }
    pub fn s(v: impl Into<Value>) -> Out {
        Out::Scalar(v.into())
    }
    fn opt_s(v: Option<impl Into<Value>>) -> Out {
        v.map_or(Out::Null, Out::s)
    }
}

/// Objects of the schema. `Record` covers types whose fields take no arguments.
#[derive(Debug, Clone)]
pub(crate) enum Obj {
    Record {
        ty: &'static str,
        fields: Vec<(&'static str, Out)>,
    },
    Connection {
        ty: String,
        items: Vec<(String, Obj)>,
        has_next: bool,
        has_prev: bool,
    },
    Order(OrderRec),
    LineItem(LineRec, String),
    Address(AddressRec),
    Fulfillment(FulfillmentRec),
    FulfillmentOrder(FoRec, OrderRec),
    FoLineItem(FoLine, LineRec, String),
    Variant(Variant, u64),
    InventoryItem(Variant, u64),
    InventoryLevel(Variant, u64),
    Return(ReturnRec, OrderRec),
    ReturnLine(ReturnLineRec, OrderRec),
}

pub(crate) fn gid(kind: &str, id: u64) -> String {
    format!("gid://shopify/{kind}/{id}")
}

/// Reads the numeric id out of `gid://shopify/{kind}/{id}` (or a bare number).
pub(crate) fn parse_gid(kind: &str, value: &str) -> Option<u64> {
    let prefix = format!("gid://shopify/{kind}/");
    let rest = value.strip_prefix(&prefix).unwrap_or(value);
    let rest = rest.split('?').next().unwrap_or(rest);
    rest.parse().ok()
}

pub(crate) fn gql_time(t: &DateTime<FixedOffset>) -> String {
    t.with_timezone(&Utc)
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn money(amount: Decimal, currency: &str) -> Obj {
    let v2 = Obj::Record {
        ty: "MoneyV2",
        fields: vec![
            ("amount", Out::s(format!("{amount:.2}"))),
            ("currencyCode", Out::s(currency)),
        ],
    };
    Obj::Record {
        ty: "MoneyBag",
        fields: vec![
            ("shopMoney", Out::obj(v2.clone())),
            ("presentmentMoney", Out::obj(v2)),
        ],
    }
}

/// A refund as `Order.refunds` and `refundCreate` show it.
pub(crate) fn refund_obj(r: &super::store::RefundRec, currency: &str) -> Obj {
    Obj::Record {
        ty: "Refund",
        fields: vec![
            ("id", Out::s(gid("Refund", r.id))),
            ("legacyResourceId", Out::s(r.id.to_string())),
            ("note", Out::opt_s(r.note.clone())),
            ("createdAt", Out::s(gql_time(&r.created_at))),
            ("totalRefundedSet", Out::obj(money(r.amount, currency))),
        ],
    }
}

/// An opaque cursor over (sort value, id), like Shopify's base64 JSON cursors.
pub(crate) fn cursor(id: u64, last_value: &str) -> String {
    STANDARD.encode(json!({"last_id": id, "last_value": last_value}).to_string())
}

pub(crate) fn decode_cursor(cursor: &str) -> Option<(u64, String)> {
    let bytes = STANDARD.decode(cursor).ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    let id = v.get("last_id")?.as_u64()?;
    let value = v.get("last_value")?.as_str()?.to_string();
    Some((id, value))
}

/// Shopify refuses a connection without `first`/`last`, and more than 250 a page.
pub(crate) fn page_size(args: &Map<String, Value>) -> Result<usize, String> {
    let n = match (args.get("first"), args.get("last")) {
        (Some(v), _) if !v.is_null() => v,
        (_, Some(v)) if !v.is_null() => v,
        _ => return Err("you must provide one of first or last".into()),
    };
    match n.as_u64() {
        Some(n) if n <= 250 => Ok(n as usize),
        _ => Err(format!(
            "The value of first/last must be between 0 and 250, got {n}"
        )),
    }
}

/// Slices `items` (already in order, each with its cursor) after `after`, `first` of them.
pub(crate) fn connection(
    ty: &str,
    items: Vec<(String, Obj)>,
    args: &Map<String, Value>,
) -> Result<Out, String> {
    let first = page_size(args)?;
    let start = match args.get("after").and_then(Value::as_str) {
        Some(after) => match items.iter().position(|(c, _)| c == after) {
            Some(i) => i + 1,
            None => {
                return Err(format!(
                    "Invalid cursor for current pagination sort: {after}"
                ));
            }
        },
        None => 0,
    };
    let has_prev = start > 0;
    let rest: Vec<(String, Obj)> = items.into_iter().skip(start).collect();
    let has_next = rest.len() > first;
    let page = rest.into_iter().take(first).collect();
    Ok(Out::obj(Obj::Connection {
        ty: ty.to_string(),
        items: page,
        has_next,
        has_prev,
    }))
}

fn arg_u64(args: &Map<String, Value>, name: &str) -> Option<u64> {
    args.get(name).and_then(Value::as_u64)
}

fn unknown(field: &str, ty: &str) -> String {
    format!("Field '{field}' doesn't exist on type '{ty}'")
}

impl Obj {
    pub fn type_name(&self) -> String {
        match self {
            Obj::Record { ty, .. } => (*ty).to_string(),
            Obj::Connection { ty, .. } => format!("{ty}Connection"),
            Obj::Order(_) => "Order".into(),
            Obj::LineItem(..) => "LineItem".into(),
            Obj::Address(_) => "MailingAddress".into(),
            Obj::Fulfillment(_) => "Fulfillment".into(),
            Obj::FulfillmentOrder(..) => "FulfillmentOrder".into(),
            Obj::FoLineItem(..) => "FulfillmentOrderLineItem".into(),
            Obj::Variant(..) => "ProductVariant".into(),
            Obj::InventoryItem(..) => "InventoryItem".into(),
            Obj::InventoryLevel(..) => "InventoryLevel".into(),
            Obj::Return(..) => "Return".into(),
            Obj::ReturnLine(..) => "ReturnLineItem".into(),
        }
    }

    /// Points this object adds to the actual query cost (connections 2, objects 1).
    pub fn actual_cost(&self) -> u64 {
        match self {
            Obj::Connection { .. } => 2,
            Obj::Record { ty, .. } if *ty == "PageInfo" || ty.ends_with("Edge") => 0,
            _ => 1,
        }
    }

    /// Resolves one field. `Err` is a GraphQL error message.
    pub fn field(&self, name: &str, args: &Map<String, Value>) -> Result<Out, String> {
        let ty = self.type_name();
        match self {
            Obj::Record { fields, .. } => fields
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| unknown(name, &ty)),
            Obj::Connection {
                ty: base,
                items,
                has_next,
                has_prev,
            } => match name {
                "nodes" if items.is_empty() => Ok(
                    prototype(base).map_or(Out::List(Vec::new()), |p| Out::EmptyOf(Box::new(p)))
                ),
                "edges" if items.is_empty() => {
                    Ok(prototype(base).map_or(Out::List(Vec::new()), |p| {
                        Out::EmptyOf(Box::new(Obj::Record {
                            ty: edge_type(base),
                            fields: vec![("cursor", Out::s("")), ("node", Out::obj(p))],
                        }))
                    }))
                }
                "nodes" => Ok(Out::List(
                    items.iter().map(|(_, o)| Out::obj(o.clone())).collect(),
                )),
                "edges" => Ok(Out::List(
                    items
                        .iter()
                        .map(|(c, o)| {
                            Out::obj(Obj::Record {
                                ty: edge_type(base),
                                fields: vec![
                                    ("cursor", Out::s(c.clone())),
                                    ("node", Out::obj(o.clone())),
                                ],
                            })
                        })
                        .collect(),
                )),
                "pageInfo" => Ok(Out::obj(Obj::Record {
                    ty: "PageInfo",
                    fields: vec![
                        ("hasNextPage", Out::s(*has_next)),
                        ("hasPreviousPage", Out::s(*has_prev)),
                        (
                            "startCursor",
                            Out::opt_s(items.first().map(|(c, _)| c.clone())),
                        ),
                        (
                            "endCursor",
                            Out::opt_s(items.last().map(|(c, _)| c.clone())),
                        ),
                    ],
                })),
                _ => Err(unknown(name, &ty)),
            },
            Obj::Order(o) => order_field(o, name, args).ok_or_else(|| unknown(name, &ty))?,
            Obj::LineItem(l, currency) => Ok(match name {
                "id" => Out::s(gid("LineItem", l.id)),
                "sku" => Out::opt_s((!l.sku.is_empty()).then(|| l.sku.clone())),
                "title" | "name" => Out::s(l.title.clone()),
                "quantity" | "currentQuantity" => Out::s(l.quantity),
                "originalUnitPriceSet" | "discountedUnitPriceSet" => {
                    Out::obj(money(l.price, currency))
                }
                "requiresShipping" => Out::s(true),
                _ => return Err(unknown(name, &ty)),
            }),
            Obj::Address(a) => Ok(match name {
                "name" => Out::s(a.name()),
                "firstName" => Out::s(a.first_name.clone()),
                "lastName" => Out::s(a.last_name.clone()),
                "company" => Out::opt_s(a.company.clone()),
                "address1" => Out::s(a.address1.clone()),
                "address2" => Out::opt_s(a.address2.clone()),
                "city" => Out::s(a.city.clone()),
                "province" => Out::s(a.province.clone()),
                "provinceCode" => Out::s(a.province_code.clone()),
                "zip" => Out::s(a.zip.clone()),
                "country" => Out::s(a.country.clone()),
                "countryCodeV2" => Out::s(a.country_code.clone()),
                "phone" => Out::opt_s(a.phone.clone()),
                _ => return Err(unknown(name, &ty)),
            }),
            Obj::Fulfillment(f) => Ok(match name {
                "id" => Out::s(gid("Fulfillment", f.id)),
                "status" => Out::s("SUCCESS"),
                "createdAt" => Out::s(gql_time(&f.created_at)),
                "trackingInfo" => {
                    let limit = arg_u64(args, "first").map_or(usize::MAX, |n| n as usize);
                    Out::List(
                        f.number
                            .iter()
                            .take(limit)
                            .map(|n| {
                                Out::obj(Obj::Record {
                                    ty: "FulfillmentTrackingInfo",
                                    fields: vec![
                                        ("company", Out::opt_s(f.company.clone())),
                                        ("number", Out::s(n.clone())),
                                        ("url", Out::Null),
                                    ],
                                })
                            })
                            .collect(),
                    )
                }
                _ => return Err(unknown(name, &ty)),
            }),
            Obj::FulfillmentOrder(fo, order) => Ok(match name {
                "id" => Out::s(gid("FulfillmentOrder", fo.id)),
                "status" => Out::s(fo.status()),
                "lineItems" => {
                    let items = fo
                        .lines
                        .iter()
                        .filter_map(|l| {
                            let line = order.lines.iter().find(|x| x.id == l.line_item_id)?;
                            Some((
                                cursor(l.id, &l.id.to_string()),
                                Obj::FoLineItem(l.clone(), line.clone(), order.currency.clone()),
                            ))
                        })
                        .collect();
                    return connection("FulfillmentOrderLineItem", items, args);
                }
                _ => return Err(unknown(name, &ty)),
            }),
            Obj::FoLineItem(l, line, currency) => Ok(match name {
                "id" => Out::s(gid("FulfillmentOrderLineItem", l.id)),
                "totalQuantity" => Out::s(l.total),
                "remainingQuantity" => Out::s(l.remaining),
                "sku" => Out::s(line.sku.clone()),
                "lineItem" => Out::obj(Obj::LineItem(line.clone(), currency.clone())),
                _ => return Err(unknown(name, &ty)),
            }),
            Obj::Variant(v, loc) => Ok(match name {
                "id" => Out::s(gid("ProductVariant", v.variant_id)),
                "legacyResourceId" => Out::s(v.variant_id.to_string()),
                "sku" => Out::s(v.sku.clone()),
                "title" | "displayName" => Out::s(v.title.clone()),
                "price" => Out::s(format!("{:.2}", v.price)),
                "inventoryQuantity" => Out::s(v.available),
                "inventoryItem" => Out::obj(Obj::InventoryItem(v.clone(), *loc)),
                _ => return Err(unknown(name, &ty)),
            }),
            Obj::InventoryItem(v, loc) => Ok(match name {
                "id" => Out::s(gid("InventoryItem", v.inventory_item_id)),
                "legacyResourceId" => Out::s(v.inventory_item_id.to_string()),
                "sku" => Out::s(v.sku.clone()),
                "tracked" => Out::s(true),
                "inventoryLevel" => {
                    let wanted = args
                        .get("locationId")
                        .and_then(Value::as_str)
                        .ok_or("Argument 'locationId' on Field 'inventoryLevel' is required")?;
                    match parse_gid("Location", wanted) {
                        Some(id) if id == *loc => Out::obj(Obj::InventoryLevel(v.clone(), *loc)),
                        Some(_) => Out::Null,
                        None => return Err(format!("Invalid global id '{wanted}'")),
                    }
                }
                _ => return Err(unknown(name, &ty)),
            }),
            Obj::Return(r, order) => Ok(match name {
                "id" => Out::s(gid("Return", r.id)),
                "name" => Out::s(format!("{}-R{}", order.name(), r.number)),
                "status" => Out::s(r.status),
                "totalQuantity" => Out::s(r.lines.iter().map(|l| l.quantity).sum::<u32>()),
                "order" => Out::obj(Obj::Order(order.clone())),
                "returnLineItems" => {
                    let items = r
                        .lines
                        .iter()
                        .map(|l| {
                            (
                                cursor(l.id, &l.id.to_string()),
                                Obj::ReturnLine(l.clone(), order.clone()),
                            )
                        })
                        .collect();
                    return connection("ReturnLineItemType", items, args);
                }
                _ => return Err(unknown(name, &ty)),
            }),
            Obj::ReturnLine(l, order) => Ok(match name {
                "id" => Out::s(gid("ReturnLineItem", l.id)),
                "quantity" => Out::s(l.quantity),
                "refundableQuantity" => Out::s(
                    l.quantity
                        .saturating_sub(order.refunded_units(l.line_item_id).min(l.quantity)),
                ),
                "refundedQuantity" => Out::s(order.refunded_units(l.line_item_id).min(l.quantity)),
                // The simulated buyer gives no reason.
                "returnReason" => Out::s("UNKNOWN"),
                "returnReasonNote" => Out::s(""),
                "customerNote" => Out::Null,
                "fulfillmentLineItem" => {
                    let line = order
                        .lines
                        .iter()
                        .find(|x| x.id == l.line_item_id)
                        .ok_or_else(|| unknown(name, &ty))?;
                    Out::obj(Obj::Record {
                        ty: "FulfillmentLineItem",
                        fields: vec![
                            (
                                "id",
                                Out::s(gid("FulfillmentLineItem", l.fulfillment_line_item_id)),
                            ),
                            ("quantity", Out::s(order.line_fulfilled(line.id))),
                            (
                                "lineItem",
                                Out::obj(Obj::LineItem(line.clone(), order.currency.clone())),
                            ),
                        ],
                    })
                }
                _ => return Err(unknown(name, &ty)),
            }),
            Obj::InventoryLevel(v, loc) => Ok(match name {
                "id" => Out::s(format!(
                    "gid://shopify/InventoryLevel/{}?inventory_item_id={}",
                    loc, v.inventory_item_id
                )),
                "quantities" => {
                    let names = args
                        .get("names")
                        .and_then(Value::as_array)
                        .ok_or("Argument 'names' on Field 'quantities' is required")?;
                    let mut out = Vec::new();
                    for n in names {
                        let n = n.as_str().unwrap_or_default();
                        let q = match n {
                            "available" | "on_hand" => v.available,
                            "committed" | "incoming" | "reserved" | "damaged"
                            | "quality_control" | "safety_stock" => 0,
                            other => return Err(format!("Invalid quantity name: {other}")),
                        };
                        out.push(Out::obj(Obj::Record {
                            ty: "InventoryQuantity",
                            fields: vec![("name", Out::s(n)), ("quantity", Out::s(q))],
                        }));
                    }
                    Out::List(out)
                }
                _ => return Err(unknown(name, &ty)),
            }),
        }
    }
}

/// A stand-in object of a connection's node type, used only to validate selections.
fn prototype(base: &str) -> Option<Obj> {
    use super::store::Store;
    let mut store = Store::new();
    store.add_product("SKU", "Item", Decimal::ONE, 0);
    let id = store.create_order(&[("SKU".to_string(), 1)], true, "a@b.c", Utc::now());
    let order = store.orders.get(&id)?.clone();
    let line = order.lines.first()?.clone();
    let fo = order.fulfillment_orders.first()?.clone();
    let fo_line = fo.lines.first()?.clone();
    let variant = store.variants.first()?.clone();
    let ret_line = ReturnLineRec {
        id: 1,
        fulfillment_line_item_id: 1,
        line_item_id: line.id,
        quantity: 1,
    };
    let ret = ReturnRec {
        id: 1,
        number: 1,
        status: "OPEN",
        lines: vec![ret_line.clone()],
    };
    Some(match base {
        "Return" => Obj::Return(ret, order),
        "ReturnLineItemType" => Obj::ReturnLine(ret_line, order),
        "Order" => Obj::Order(order),
        "LineItem" => Obj::LineItem(line, order.currency),
        "FulfillmentOrder" => Obj::FulfillmentOrder(fo, order),
        "FulfillmentOrderLineItem" => Obj::FoLineItem(fo_line, line, order.currency),
        "ProductVariant" => Obj::Variant(variant, store.location_id),
        _ => return None,
    })
}

fn edge_type(base: &str) -> &'static str {
    match base {
        "Order" => "OrderEdge",
        "LineItem" => "LineItemEdge",
        "ProductVariant" => "ProductVariantEdge",
        "FulfillmentOrder" => "FulfillmentOrderEdge",
        "FulfillmentOrderLineItem" => "FulfillmentOrderLineItemEdge",
        "Return" => "ReturnEdge",
        "ReturnLineItemType" => "ReturnLineItemTypeEdge",
        _ => "Edge",
    }
}

fn financial(o: &OrderRec) -> &'static str {
    if o.financial_status == "paid" && !o.refunds.is_empty() {
        return if o.refunded() >= o.total() {
            "REFUNDED"
        } else {
            "PARTIALLY_REFUNDED"
        };
    }
    match o.financial_status {
        "paid" => "PAID",
        "authorized" => "AUTHORIZED",
        "refunded" => "REFUNDED",
        "voided" => "VOIDED",
        _ => "PENDING",
    }
}

/// `None` when `Order` has no such field.
fn order_field(o: &OrderRec, name: &str, args: &Map<String, Value>) -> Option<Result<Out, String>> {
    let out = match name {
        "id" => Out::s(gid("Order", o.id)),
        "legacyResourceId" => Out::s(o.id.to_string()),
        "name" => Out::s(o.name()),
        "email" => Out::s(o.email.clone()),
        "createdAt" | "processedAt" => Out::s(gql_time(&o.created_at)),
        "updatedAt" => Out::s(gql_time(&o.updated_at)),
        "cancelledAt" => Out::opt_s(o.cancelled_at.as_ref().map(gql_time)),
        "cancelReason" => Out::opt_s(o.cancel_reason.clone()),
        "closed" => Out::s(false),
        "test" => Out::s(false),
        "currencyCode" => Out::s(o.currency.clone()),
        "displayFinancialStatus" => Out::s(financial(o)),
        "displayFulfillmentStatus" => Out::s(o.display_fulfillment_status()),
        "totalPriceSet" | "subtotalPriceSet" | "currentTotalPriceSet" => {
            Out::obj(money(o.total(), &o.currency))
        }
        "shippingAddress" | "billingAddress" => Out::obj(Obj::Address(o.shipping.clone())),
        // The simulator's orders and buyers carry no tags, as a new shop's do not.
        "tags" => Out::List(Vec::new()),
        "customer" => Out::obj(Obj::Record {
            ty: "Customer",
            fields: vec![
                ("id", Out::s(gid("Customer", o.id + 7))),
                ("firstName", Out::s(o.shipping.first_name.clone())),
                ("lastName", Out::s(o.shipping.last_name.clone())),
                ("tags", Out::List(Vec::new())),
            ],
        }),
        // Shopify's own assessment only (no app providers), with its recommendation.
        "risk" => Out::obj(Obj::Record {
            ty: "OrderRiskSummary",
            fields: vec![
                (
                    "assessments",
                    Out::List(vec![Out::obj(Obj::Record {
                        ty: "OrderRiskAssessment",
                        fields: vec![("riskLevel", Out::s(o.risk_level))],
                    })]),
                ),
                (
                    "recommendation",
                    Out::s(match o.risk_level {
                        "HIGH" => "CANCEL",
                        "MEDIUM" => "INVESTIGATE",
                        "PENDING" => "NONE",
                        _ => "ACCEPT",
                    }),
                ),
            ],
        }),
        "lineItems" => {
            let items = o
                .lines
                .iter()
                .map(|l| {
                    (
                        cursor(l.id, &l.id.to_string()),
                        Obj::LineItem(l.clone(), o.currency.clone()),
                    )
                })
                .collect();
            return Some(connection("LineItem", items, args));
        }
        "fulfillments" => {
            let limit = arg_u64(args, "first").map_or(usize::MAX, |n| n as usize);
            Out::List(
                o.fulfillments
                    .iter()
                    .take(limit)
                    .map(|f| Out::obj(Obj::Fulfillment(f.clone())))
                    .collect(),
            )
        }
        "refunds" => {
            let limit = arg_u64(args, "first").map_or(usize::MAX, |n| n as usize);
            Out::List(
                o.refunds
                    .iter()
                    .take(limit)
                    .map(|r| Out::obj(refund_obj(r, &o.currency)))
                    .collect(),
            )
        }
        // A paid order has one successful sale through the simulator's test gateway.
        "transactions" => {
            let limit = arg_u64(args, "first").map_or(usize::MAX, |n| n as usize);
            let sale = (o.financial_status == "paid").then(|| {
                Out::obj(Obj::Record {
                    ty: "OrderTransaction",
                    fields: vec![
                        (
                            "id",
                            Out::s(gid("OrderTransaction", o.sale_transaction_id())),
                        ),
                        ("kind", Out::s("SALE")),
                        ("status", Out::s("SUCCESS")),
                        ("gateway", Out::s("bogus")),
                        ("amountSet", Out::obj(money(o.total(), &o.currency))),
                    ],
                })
            });
            Out::List(sale.into_iter().take(limit).collect())
        }
        // `query` filters on `status` terms (`status:OPEN OR status:REQUESTED`); the other
        // filter (`id`) is not needed by any client and is refused rather than ignored.
        "returns" => {
            let wanted: Option<Vec<String>> = match args.get("query").and_then(Value::as_str) {
                None => None,
                Some(q) => {
                    let mut statuses = Vec::new();
                    for term in q.split_whitespace() {
                        if term.eq_ignore_ascii_case("OR") {
                            continue;
                        }
                        match term.split_once(':') {
                            Some(("status", v)) => {
                                statuses.push(v.trim_matches('\'').to_ascii_uppercase())
                            }
                            _ => return Some(Err(format!("Unsupported returns filter: {term}"))),
                        }
                    }
                    Some(statuses)
                }
            };
            let items = o
                .returns
                .iter()
                .filter(|r| {
                    wanted
                        .as_ref()
                        .is_none_or(|w| w.iter().any(|s| s == r.status))
                })
                .map(|r| {
                    (
                        cursor(r.id, &r.id.to_string()),
                        Obj::Return(r.clone(), o.clone()),
                    )
                })
                .collect();
            return Some(connection("Return", items, args));
        }
        "fulfillmentOrders" => {
            let items = o
                .fulfillment_orders
                .iter()
                .map(|fo| {
                    (
                        cursor(fo.id, &fo.id.to_string()),
                        Obj::FulfillmentOrder(fo.clone(), o.clone()),
                    )
                })
                .collect();
            return Some(connection("FulfillmentOrder", items, args));
        }
        _ => return None,
    };
    Some(Ok(out))
}
