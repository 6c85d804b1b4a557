//! Mutations: `inventorySetQuantities` (compare-and-set, all or nothing) and
//! `fulfillmentCreate` (from fulfillment orders, with tracking).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::schema::{Obj, Out, gid, parse_gid};
use rust_decimal::Decimal;

use super::store::{FulfillmentRec, RefundRec, ShipmentLog, Store};

/// Shopify's cap on every input array.
pub(crate) const MAX_INPUT_ARRAY: usize = 250;

/// Returns the payload and how many stock levels were written.
pub(crate) fn resolve(
    name: &str,
    args: &Map<String, Value>,
    store: &mut Store,
    api_version: &str,
    now: DateTime<Utc>,
) -> Result<(Out, u64), String> {
    match name {
        "inventorySetQuantities" => set_quantities(args, store, api_version, now),
        "fulfillmentCreate" => fulfillment_create(args, store, now).map(|o| (o, 0)),
        "orderCancel" => order_cancel(args, store, now).map(|o| (o, 0)),
        "refundCreate" => refund_create(args, store, now).map(|o| (o, 0)),
        other => Err(format!("Field '{other}' doesn't exist on type 'Mutation'")),
    }
}

fn user_error(field: Vec<String>, message: &str, code: Option<&str>) -> Out {
    let mut fields = vec![
        ("field", Out::s(json!(field))),
        ("message", Out::s(message)),
    ];
    if let Some(code) = code {
        fields.push(("code", Out::s(code)));
    }
    Out::obj(Obj::Record {
        ty: if code.is_some() {
            "InventorySetQuantitiesUserError"
        } else {
            "UserError"
        },
        fields,
    })
}

/// From 2026-04 every quantity must say `changeFromQuantity` (an explicit null opts out).
fn requires_change_from(api_version: &str) -> bool {
    api_version == "unstable" || api_version >= "2026-04"
}

fn set_quantities(
    args: &Map<String, Value>,
    store: &mut Store,
    api_version: &str,
    now: DateTime<Utc>,
) -> Result<(Out, u64), String> {
    let input = args
        .get("input")
        .and_then(Value::as_object)
        .ok_or("Argument 'input' on Field 'inventorySetQuantities' is required")?;
    let quantities = input
        .get("quantities")
        .and_then(Value::as_array)
        .ok_or("InventorySetQuantitiesInput.quantities is required")?;
    if quantities.len() > MAX_INPUT_ARRAY {
        return Err(format!(
            "The input array size of {} is greater than the maximum allowed of {MAX_INPUT_ARRAY}.",
            quantities.len()
        ));
    }
    let name = input
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let reason = input
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut errors = Vec::new();
    if !matches!(name, "available" | "on_hand") {
        errors.push(user_error(
            vec!["input".into(), "name".into()],
            "The quantity name must be either 'available' or 'on_hand'.",
            Some("INVALID_NAME"),
        ));
    }
    if reason.is_empty() {
        errors.push(user_error(
            vec!["input".into(), "reason".into()],
            "The reason is required.",
            Some("INVALID_REASON"),
        ));
    }
    let mut plan = Vec::new();
    for (i, q) in quantities.iter().enumerate() {
        let path = |leaf: &str| {
            vec![
                "input".into(),
                "quantities".into(),
                i.to_string(),
                leaf.into(),
            ]
        };
        let item = q
            .get("inventoryItemId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let loc = q
            .get("locationId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(quantity) = q.get("quantity").and_then(Value::as_i64) else {
            return Err(format!(
                "InventoryQuantityInput.quantity is required (quantities[{i}])"
            ));
        };
        if requires_change_from(api_version) && q.get("changeFromQuantity").is_none() {
            return Err(format!(
                "InventoryQuantityInput.changeFromQuantity is required (quantities[{i}]); pass null to opt out of the check"
            ));
        }
        let change_from = q.get("changeFromQuantity").and_then(Value::as_i64);
        if parse_gid("Location", loc) != Some(store.location_id) {
            errors.push(user_error(
                path("locationId"),
                "The specified location could not be found.",
                Some("INVALID_LOCATION"),
            ));
            continue;
        }
        let Some(variant) =
            parse_gid("InventoryItem", item).and_then(|id| store.variant_by_item(id))
        else {
            errors.push(user_error(
                path("inventoryItemId"),
                "The specified inventory item could not be found.",
                Some("INVALID_INVENTORY_ITEM"),
            ));
            continue;
        };
        if let Some(expected) = change_from
            && expected != variant.available
        {
            errors.push(user_error(
                path("changeFromQuantity"),
                "The specified compare quantity does not match the current quantity.",
                Some("CHANGE_FROM_QUANTITY_STALE"),
            ));
            continue;
        }
        plan.push((variant.inventory_item_id, variant.available, quantity));
    }
    if !errors.is_empty() {
        let payload = Obj::Record {
            ty: "InventorySetQuantitiesPayload",
            fields: vec![
                ("inventoryAdjustmentGroup", Out::Null),
                ("userErrors", Out::List(errors)),
            ],
        };
        return Ok((Out::obj(payload), 0));
    }
    let mut changes = Vec::new();
    for (item, before, after) in &plan {
        if let Some(index) = store.variant_index_by_item(*item) {
            store.set_available(index, *after);
        }
        changes.push(Out::obj(Obj::Record {
            ty: "InventoryChange",
            fields: vec![
                ("name", Out::s(name)),
                ("delta", Out::s(after - before)),
                ("quantityAfterChange", Out::s(*after)),
            ],
        }));
    }
    let group = store.next_adjustment_group();
    let payload = Obj::Record {
        ty: "InventorySetQuantitiesPayload",
        fields: vec![
            (
                "inventoryAdjustmentGroup",
                Out::obj(Obj::Record {
                    ty: "InventoryAdjustmentGroup",
                    fields: vec![
                        ("id", Out::s(gid("InventoryAdjustmentGroup", group))),
                        (
                            "createdAt",
                            Out::s(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                        ),
                        ("reason", Out::s(reason)),
                        (
                            "referenceDocumentUri",
                            Out::s(
                                input
                                    .get("referenceDocumentUri")
                                    .cloned()
                                    .unwrap_or(Value::Null),
                            ),
                        ),
                        ("changes", Out::List(changes)),
                    ],
                }),
            ),
            ("userErrors", Out::List(Vec::new())),
        ],
    };
    Ok((Out::obj(payload), plan.len() as u64))
}

fn fulfillment_payload(fulfillment: Out, errors: Vec<Out>) -> Out {
    Out::obj(Obj::Record {
        ty: "FulfillmentCreatePayload",
        fields: vec![
            ("fulfillment", fulfillment),
            ("userErrors", Out::List(errors)),
        ],
    })
}

fn fulfillment_create(
    args: &Map<String, Value>,
    store: &mut Store,
    now: DateTime<Utc>,
) -> Result<Out, String> {
    let input = args
        .get("fulfillment")
        .and_then(Value::as_object)
        .ok_or("Argument 'fulfillment' on Field 'fulfillmentCreate' is required")?;
    let groups = input
        .get("lineItemsByFulfillmentOrder")
        .and_then(Value::as_array)
        .ok_or("FulfillmentInput.lineItemsByFulfillmentOrder is required")?;
    let fail = |msg: &str| {
        Ok(fulfillment_payload(
            Out::Null,
            vec![user_error(vec!["fulfillment".into()], msg, None)],
        ))
    };
    if groups.is_empty() {
        return fail("Line items by fulfillment order must not be empty.");
    }
    // (order id, fulfillment order id, fo line id, quantity)
    let mut plan: Vec<(u64, u64, u64, u32)> = Vec::new();
    for g in groups {
        let fo_gid = g
            .get("fulfillmentOrderId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(fo_id) = parse_gid("FulfillmentOrder", fo_gid) else {
            return fail("Invalid fulfillment order id.");
        };
        let Some(fo) = store
            .orders
            .values()
            .flat_map(|o| o.fulfillment_orders.iter())
            .find(|fo| fo.id == fo_id)
        else {
            return fail("Fulfillment order does not exist.");
        };
        let status = fo.status();
        if matches!(status, "CLOSED" | "CANCELLED") {
            return fail(&format!(
                "Fulfillment order {fo_gid} has an unfulfillable status= {}.",
                status.to_lowercase()
            ));
        }
        let wanted = g.get("fulfillmentOrderLineItems").and_then(Value::as_array);
        match wanted {
            Some(items) if !items.is_empty() => {
                for it in items {
                    let id = it
                        .get("id")
                        .and_then(Value::as_str)
                        .and_then(|s| parse_gid("FulfillmentOrderLineItem", s));
                    let qty = it.get("quantity").and_then(Value::as_u64).unwrap_or(0);
                    let Some(line) = id.and_then(|id| fo.lines.iter().find(|l| l.id == id)) else {
                        return fail(
                            "Fulfillment order line item does not exist on this fulfillment order.",
                        );
                    };
                    if qty == 0 || qty > u64::from(line.remaining) {
                        return fail("Invalid fulfillment order line item quantity requested.");
                    }
                    plan.push((fo.order_id, fo.id, line.id, qty as u32));
                }
            }
            _ => {
                for l in fo.lines.iter().filter(|l| l.remaining > 0) {
                    plan.push((fo.order_id, fo.id, l.id, l.remaining));
                }
            }
        }
    }
    let Some(order_id) = plan.first().map(|p| p.0) else {
        return fail("There are no line items left to fulfill.");
    };
    if plan.iter().any(|p| p.0 != order_id) {
        return fail("All fulfillment orders must belong to the same order.");
    }
    let tracking = input.get("trackingInfo").and_then(Value::as_object);
    let company = tracking
        .and_then(|t| t.get("company"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let number = tracking
        .and_then(|t| t.get("number"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let fulfillment_id = store.next_id();
    let Some(order) = store.orders.get_mut(&order_id) else {
        return fail("Order does not exist.");
    };
    let mut lines = Vec::new();
    for (_, fo_id, line_id, qty) in &plan {
        if let Some(l) = order
            .fulfillment_orders
            .iter_mut()
            .filter(|f| f.id == *fo_id)
            .flat_map(|f| f.lines.iter_mut())
            .find(|l| l.id == *line_id)
        {
            l.remaining -= qty;
            lines.push((l.line_item_id, *qty));
        }
    }
    order.touch(now);
    let rec = FulfillmentRec {
        id: fulfillment_id,
        company: company.clone(),
        number: number.clone(),
        created_at: order.updated_at,
        lines,
    };
    order.fulfillments.push(rec.clone());
    store.shipments.push(ShipmentLog {
        order_id,
        company: company.unwrap_or_default(),
        number: number.unwrap_or_default(),
    });
    Ok(fulfillment_payload(
        Out::obj(Obj::Fulfillment(rec)),
        Vec::new(),
    ))
}

/// `OrderCancelReason` (admin_2025-04.graphql).
const CANCEL_REASONS: [&str; 6] = [
    "CUSTOMER",
    "DECLINED",
    "FRAUD",
    "INVENTORY",
    "OTHER",
    "STAFF",
];

fn cancel_payload(job: Out, errors: Vec<Out>) -> Out {
    Out::obj(Obj::Record {
        ty: "OrderCancelPayload",
        fields: vec![
            ("job", job),
            ("orderCancelUserErrors", Out::List(errors.clone())),
            ("userErrors", Out::List(errors)),
        ],
    })
}

fn cancel_error(field: &str, message: &str, code: &str) -> Out {
    Out::obj(Obj::Record {
        ty: "OrderCancelUserError",
        fields: vec![
            ("field", Out::s(json!([field]))),
            ("message", Out::s(message)),
            ("code", Out::s(code)),
        ],
    })
}

/// `orderCancel(orderId, reason, refund, restock, notifyCustomer, staffNote)`: cancels the
/// whole order (Shopify has no line cancellation) and answers with the job that does it
/// (done at once here). Refused: an unknown order (`NOT_FOUND`), an order already cancelled or
/// with fulfillments (`INVALID`: what shipped is refunded, not cancelled).
fn order_cancel(
    args: &Map<String, Value>,
    store: &mut Store,
    now: DateTime<Utc>,
) -> Result<Out, String> {
    let order_gid = args
        .get("orderId")
        .and_then(Value::as_str)
        .ok_or("Argument 'orderId' on Field 'orderCancel' is required")?;
    let reason = args
        .get("reason")
        .and_then(Value::as_str)
        .ok_or("Argument 'reason' on Field 'orderCancel' is required")?;
    if !CANCEL_REASONS.contains(&reason) {
        return Err(format!(
            "Argument 'reason' on Field 'orderCancel' has an invalid value ({reason})"
        ));
    }
    for required in ["refund", "restock"] {
        if !args.get(required).is_some_and(Value::is_boolean) {
            return Err(format!(
                "Argument '{required}' on Field 'orderCancel' is required"
            ));
        }
    }
    let fail = |field: &str, message: &str, code: &str| {
        Ok(cancel_payload(
            Out::Null,
            vec![cancel_error(field, message, code)],
        ))
    };
    let Some(id) = parse_gid("Order", order_gid) else {
        return fail("orderId", "Order does not exist", "NOT_FOUND");
    };
    let job_id = store.next_id();
    let Some(order) = store.orders.get_mut(&id) else {
        return fail("orderId", "Order does not exist", "NOT_FOUND");
    };
    if order.cancelled_at.is_some() {
        return fail("orderId", "Order has already been cancelled", "INVALID");
    }
    if !order.fulfillments.is_empty() {
        return fail(
            "orderId",
            "Cannot cancel an order that has fulfillments",
            "INVALID",
        );
    }
    order.touch(now);
    order.cancelled_at = Some(order.updated_at);
    order.cancel_reason = Some(reason.to_string());
    order.seller_cancellations.push(reason.to_string());
    for fo in &mut order.fulfillment_orders {
        fo.cancelled = true;
    }
    let job = Out::obj(Obj::Record {
        ty: "Job",
        fields: vec![("id", Out::s(gid("Job", job_id))), ("done", Out::s(true))],
    });
    Ok(cancel_payload(job, Vec::new()))
}

fn refund_payload(refund: Out, order: Out, errors: Vec<Out>) -> Out {
    Out::obj(Obj::Record {
        ty: "RefundCreatePayload",
        fields: vec![
            ("refund", refund),
            ("order", order),
            ("userErrors", Out::List(errors)),
        ],
    })
}

/// `refundCreate`: refund line items (never more units than were bought less those refunded)
/// and money through transactions (`kind: REFUND`, the parent a successful sale of the order,
/// never more than was paid less what was refunded). Refusals are `userErrors`.
fn refund_create(
    args: &Map<String, Value>,
    store: &mut Store,
    now: DateTime<Utc>,
) -> Result<Out, String> {
    let input = args
        .get("input")
        .and_then(Value::as_object)
        .ok_or("Argument 'input' on Field 'refundCreate' is required")?;
    let fail = |field: &str, msg: &str| {
        Ok(refund_payload(
            Out::Null,
            Out::Null,
            vec![user_error(vec![field.into()], msg, None)],
        ))
    };
    let order_gid = input
        .get("orderId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(order_id) = parse_gid("Order", order_gid) else {
        return fail("orderId", "Order does not exist");
    };
    let refund_id = store.next_id();
    let Some(order) = store.orders.get_mut(&order_id) else {
        return fail("orderId", "Order does not exist");
    };
    let mut lines: Vec<(u64, u32)> = Vec::new();
    let items = input
        .get("refundLineItems")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if items.len() > MAX_INPUT_ARRAY {
        return fail("refundLineItems", "Too many line items");
    }
    for it in &items {
        let id = it
            .get("lineItemId")
            .and_then(Value::as_str)
            .and_then(|s| parse_gid("LineItem", s));
        let qty = it
            .get("quantity")
            .and_then(Value::as_u64)
            .and_then(|q| u32::try_from(q).ok())
            .unwrap_or(0);
        let Some(line) = id.and_then(|id| order.lines.iter().find(|l| l.id == id)) else {
            return fail("refundLineItems", "Line item does not exist");
        };
        let already = order.refunded_units(line.id)
            + lines
                .iter()
                .filter(|(l, _)| *l == line.id)
                .map(|(_, q)| *q)
                .sum::<u32>();
        if qty == 0 || already + qty > line.quantity {
            return fail(
                "refundLineItems",
                "Quantity cannot refund more items than were purchased",
            );
        }
        lines.push((line.id, qty));
    }
    let mut amount = Decimal::ZERO;
    let transactions = input
        .get("transactions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for t in &transactions {
        if t.get("kind").and_then(Value::as_str) != Some("REFUND") {
            return fail("transactions", "Transaction kind must be REFUND");
        }
        let parent = t
            .get("parentId")
            .and_then(Value::as_str)
            .and_then(|s| parse_gid("OrderTransaction", s));
        if order.financial_status != "paid" || parent != Some(order.sale_transaction_id()) {
            return fail("transactions", "Parent transaction does not exist");
        }
        let Some(a) = t
            .get("amount")
            .and_then(|v| {
                v.as_str()
                    .map(str::to_string)
                    .or_else(|| v.as_f64().map(|f| f.to_string()))
            })
            .and_then(|a| a.parse::<Decimal>().ok())
            .filter(|a| *a > Decimal::ZERO)
        else {
            return fail("transactions", "Amount must be greater than 0");
        };
        amount += a;
    }
    if order.refunded() + amount > order.total() {
        return fail(
            "transactions",
            "Refund amount exceeds the amount that can be refunded",
        );
    }
    if lines.is_empty() && amount == Decimal::ZERO {
        return fail("refundLineItems", "Nothing to refund");
    }
    order.touch(now);
    let rec = RefundRec {
        id: refund_id,
        note: input
            .get("note")
            .and_then(Value::as_str)
            .map(str::to_string),
        created_at: order.updated_at,
        amount,
        lines,
    };
    order.refunds.push(rec.clone());
    let currency = order.currency.clone();
    Ok(refund_payload(
        Out::obj(super::schema::refund_obj(&rec, &currency)),
        Out::obj(Obj::Order(order.clone())),
        Vec::new(),
    ))
}
