//! Payment-action refunds (`orders.v3.yml`): `POST …/payment_actions/refund_quotes` prices the
//! items and offers refund methods (one here: the test gateway that took the payment), `POST
//! …/payment_actions/refunds` refunds items paid back through `payments` whose amounts must add
//! up to what the items are worth, `GET …/payment_actions/refunds` lists the order's refunds.
//! More units than were bought less those refunded, an unpaid order, or payments that do not
//! match are refused with 422, as the spec's notes describe.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Shared;
use super::guard::v3_error;
use super::store::{SimOrder, SimRefund, now};

const PROVIDER: &str = "testgateway";

/// `12.5` as BigCommerce's `Amount` (a number with two decimals).
pub fn amount(cents: i64) -> Value {
    serde_json::Number::from_f64(cents as f64 / 100.0).map_or(Value::Null, Value::Number)
}

/// `12.50`, as the simulator's record shows a refund's total.
pub fn two_places(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn unprocessable(title: &str, detail: &str) -> Response {
    v3_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        title,
        json!({ "items": detail }),
    )
}

fn not_found() -> Response {
    v3_error(
        StatusCode::NOT_FOUND,
        "The requested resource was not found.",
        json!({}),
    )
}

/// A refunded item: (order product id, units, cents, reason).
type Item = (u64, u32, i64, String);

/// The PRODUCT items of a body as (order product id, units, cents, reason), each checked
/// against what the order has left to refund.
fn items(order: &SimOrder, body: &Value) -> Result<Vec<Item>, Box<Response>> {
    let Some(list) = body.get("items").and_then(Value::as_array) else {
        return Err(Box::new(unprocessable(
            "JSON data is missing or invalid",
            "items is required",
        )));
    };
    let mut out: Vec<Item> = Vec::new();
    for it in list {
        if it.get("item_type").and_then(Value::as_str) != Some("PRODUCT") {
            return Err(Box::new(unprocessable(
                "Refund could not be processed",
                "only PRODUCT items are refunded here",
            )));
        }
        let id = it.get("item_id").and_then(Value::as_u64).unwrap_or(0);
        let qty = it
            .get("quantity")
            .and_then(Value::as_u64)
            .and_then(|q| u32::try_from(q).ok())
            .unwrap_or(0);
        let Some(line) = order.lines.iter().find(|l| l.id == id) else {
            return Err(Box::new(unprocessable(
                "Refund could not be processed",
                &format!("order product {id} is not on order {}", order.id),
            )));
        };
        let asked: u32 = out
            .iter()
            .filter(|(l, ..)| *l == id)
            .map(|(_, q, ..)| *q)
            .sum();
        if qty == 0 || order.refunded_units(id) + asked + qty > line.quantity {
            return Err(Box::new(unprocessable(
                "Refund could not be processed",
                &format!("quantity {qty} of order product {id} exceeds what is refundable"),
            )));
        }
        let reason = it
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        out.push((id, qty, line.price_cents * i64::from(qty), reason));
    }
    if !matches!(
        order.payment_status.as_str(),
        "captured" | "partially refunded"
    ) {
        return Err(Box::new(unprocessable(
            "Refund could not be processed",
            "the order has no captured payment",
        )));
    }
    Ok(out)
}

fn refund_json(order_id: u64, r: &SimRefund) -> Value {
    json!({
        "id": r.id,
        "order_id": order_id,
        "user_id": 0,
        "created": r.created.to_rfc3339(),
        "reason": "",
        "total_amount": amount(r.total_cents()),
        "total_tax": 0,
        "uses_merchant_override_values": false,
        "items": r.items.iter().map(|(id, q, _, reason)| json!({
            "item_type": "PRODUCT",
            "item_id": id,
            "quantity": q,
            "reason": reason,
        })).collect::<Vec<_>>(),
        "payments": r.payments.iter().enumerate().map(|(i, (p, cents, offline))| json!({
            "id": r.id * 10 + i as u64,
            "provider_id": p,
            "amount": amount(*cents),
            "offline": offline,
            "is_declined": false,
            "declined_message": "",
        })).collect::<Vec<_>>(),
    })
}

fn parse(body: &Bytes) -> Result<Value, Box<Response>> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| {
            Box::new(unprocessable(
                "JSON data is missing or invalid",
                "the body is not a JSON object",
            ))
        })
}

pub async fn quote(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<u64>,
    body: Bytes,
) -> Response {
    let body = match parse(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let answer = shared.with_store(|s| {
        let order = s.order(id)?;
        Some(items(order, &body).map(|items| {
            let cents: i64 = items.iter().map(|(_, _, c, _)| c).sum();
            json!({
                "data": {
                    "order_id": id,
                    "total_refund_amount": amount(cents),
                    "total_refund_tax_amount": 0,
                    "rounding": 0,
                    "adjustment": 0,
                    "tax_inclusive": false,
                    "refund_methods": [[{
                        "provider_id": PROVIDER,
                        "provider_description": "Test Payment Gateway",
                        "amount": amount(cents),
                        "offline": false,
                        "offline_provider": false,
                        "offline_reason": "",
                    }]],
                },
                "meta": {},
            })
        }))
    });
    match answer {
        None => not_found(),
        Some(Err(r)) => *r,
        Some(Ok(v)) => (StatusCode::CREATED, Json(v)).into_response(),
    }
}

pub async fn create(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<u64>,
    body: Bytes,
) -> Response {
    let body = match parse(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let answer = shared.with_store(|s| {
        let refund_id = s.next_id();
        let order = s.order_mut(id)?;
        let items = match items(order, &body) {
            Ok(i) => i,
            Err(r) => return Some(Err(r)),
        };
        let mut payments = Vec::new();
        for p in body
            .get("payments")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let provider = p.get("provider_id").and_then(Value::as_str).unwrap_or("");
            let cents = p
                .get("amount")
                .and_then(Value::as_f64)
                .map_or(-1, |a| (a * 100.0).round() as i64);
            let offline = p.get("offline").and_then(Value::as_bool).unwrap_or(false);
            payments.push((provider.to_string(), cents, offline));
        }
        let due: i64 = items.iter().map(|(_, _, c, _)| c).sum();
        let paid: i64 = payments.iter().map(|(_, c, _)| c).sum();
        if payments.is_empty()
            || paid != due
            || payments.iter().any(|(p, c, _)| p != PROVIDER || *c < 0)
        {
            return Some(Err(Box::new(unprocessable(
                "Refund could not be processed",
                "payments must match a refund method of the quote",
            ))));
        }
        let refund = SimRefund {
            id: refund_id,
            created: now(),
            items,
            payments,
        };
        let json = refund_json(id, &refund);
        order.refunds.push(refund);
        if order.refunded_cents() >= order.total_cents() {
            order.payment_status = "refunded".into();
        } else {
            order.payment_status = "partially refunded".into();
        }
        Some(Ok(json!({ "data": json, "meta": {} })))
    });
    match answer {
        None => not_found(),
        Some(Err(r)) => *r,
        Some(Ok(v)) => (StatusCode::CREATED, Json(v)).into_response(),
    }
}

pub async fn list(State(shared): State<Arc<Shared>>, Path(id): Path<u64>) -> Response {
    let answer = shared.with_store(|s| {
        s.order(id).map(|o| {
            o.refunds
                .iter()
                .map(|r| refund_json(id, r))
                .collect::<Vec<_>>()
        })
    });
    match answer {
        None => not_found(),
        Some(data) => Json(json!({ "data": data, "meta": {} })).into_response(),
    }
}
