//! The admin API, `/api/v1`, on its own listen address (`admin.listen`). It maps HTTP to the
//! application layer ([`crate::app`]) and back, nothing more: bearer tokens from the config
//! (kept as SHA-256 hashes, compared in constant time) with roles viewer < operator < admin;
//! bad input 400 naming the field, no or an unknown token 401, a weak role 403, an unknown id
//! 404, a state that does not allow the action 409, the store unavailable 503, every error a
//! JSON body. The OpenAPI 3.1 document is generated from these handlers (`utoipa`) and served
//! at `/api/v1/openapi.json`.

mod docs;
mod events;
mod kpis;
mod ops;
mod returns;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use switchyard_core::config::{AdminRole, Config};
use switchyard_core::store::OrderFilter;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi};

use crate::app::{Actor, AppError, CancelCommand, MAX_LIMIT, Operations, ShipCommand};
use docs::*;

/// One configured token: its name, hash and role.
struct Token {
    name: String,
    hash: [u8; 32],
    role: AdminRole,
}

pub struct ApiState {
    ops: Arc<Operations>,
    tokens: Vec<Token>,
    /// The OpenAPI document, with this configuration's locations and channels as the values
    /// their fields take.
    doc: String,
}

impl ApiState {
    /// Tokens whose hash does not read as 64 hex digits are skipped (the config check refuses
    /// them before the daemon starts).
    pub fn new(ops: Arc<Operations>, config: &Config) -> Self {
        let doc = openapi_json(Some(config));
        let tokens = config
            .admin
            .tokens
            .iter()
            .filter_map(|t| {
                let bytes = hex::decode(t.sha256.trim()).ok()?;
                let hash: [u8; 32] = bytes.try_into().ok()?;
                Some(Token {
                    name: t.name.clone(),
                    hash,
                    role: t.role,
                })
            })
            .collect();
        ApiState { ops, tokens, doc }
    }

    /// The caller, when its bearer token is known and its role suffices.
    fn authorize(&self, headers: &HeaderMap, need: AdminRole) -> Result<Actor, ApiError> {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| token.trim().to_string())
            })
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthorized("a bearer token is required"))?;
        let hash: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        // Every token is compared, so the time taken says nothing about which one matched.
        let mut found: Option<&Token> = None;
        for t in &self.tokens {
            if bool::from(t.hash.ct_eq(&hash)) {
                found = Some(t);
            }
        }
        let token = found.ok_or(ApiError::Unauthorized("unknown token"))?;
        if token.role < need {
            return Err(ApiError::Forbidden(format!(
                "this needs the {} role; token `{}` has {}",
                need.as_str(),
                token.name,
                token.role.as_str()
            )));
        }
        Ok(Actor::api(&token.name))
    }
}

/// An answer other than success, with its JSON body.
#[derive(Debug)]
pub enum ApiError {
    App(AppError),
    Unauthorized(&'static str),
    Forbidden(String),
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError::App(e)
    }
}

#[derive(Serialize)]
struct ErrorJson<'a> {
    error: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error, message, field) = match self {
            ApiError::Unauthorized(why) => {
                let body = ErrorJson {
                    error: "unauthorized",
                    message: why.to_string(),
                    field: None,
                };
                let mut r = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                return r;
            }
            ApiError::Forbidden(why) => (StatusCode::FORBIDDEN, "forbidden", why, None),
            ApiError::App(e) => match e {
                AppError::BadInput { field, message } => (
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    format!("{field}: {message}"),
                    Some(field),
                ),
                AppError::NotFound(what) => (
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!("not found: {what}"),
                    None,
                ),
                AppError::Conflict(why) => (StatusCode::CONFLICT, "conflict", why, None),
                AppError::Unavailable(why) => {
                    (StatusCode::SERVICE_UNAVAILABLE, "unavailable", why, None)
                }
                AppError::Upstream(why) => (StatusCode::BAD_GATEWAY, "upstream", why, None),
                AppError::Failed(why) => {
                    tracing::warn!(error = %why, "admin API request failed");
                    (StatusCode::INTERNAL_SERVER_ERROR, "failed", why, None)
                }
            },
        };
        (
            status,
            axum::Json(ErrorJson {
                error,
                message,
                field,
            }),
        )
            .into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

fn ok<T: Serialize>(value: T) -> ApiResult {
    Ok((StatusCode::OK, axum::Json(value)).into_response())
}

fn bad(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::App(AppError::bad(field, message))
}

fn query_rejected(e: QueryRejection) -> ApiError {
    bad("query", e.body_text())
}

fn path_rejected(e: PathRejection) -> ApiError {
    bad("path", e.body_text())
}

fn parse_i64(field: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    value
        .map(|v| {
            // Strictly digits: `str::trim` would also take Unicode spaces (U+0085) around them.
            v.parse::<i64>()
                .map_err(|_| bad(field, format!("`{v}` is not an integer")))
        })
        .transpose()
}

fn parse_id(field: &str, value: &str) -> Result<i64, ApiError> {
    match parse_i64(field, Some(value))? {
        Some(id) if id >= 1 => Ok(id),
        _ => Err(bad(field, "must be a positive integer")),
    }
}

fn limit(value: Option<&str>, default: i64) -> Result<i64, ApiError> {
    let limit = parse_i64("limit", value)?.unwrap_or(default);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(bad("limit", format!("must be 1 to {MAX_LIMIT}")));
    }
    Ok(limit)
}

fn parse_bool(field: &str, value: Option<&str>) -> Result<bool, ApiError> {
    match value.map(str::trim) {
        None => Ok(false),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(v) => Err(bad(field, format!("`{v}` is not true or false"))),
    }
}

/// Unix ms, a date (`2026-12-03`, midnight UTC) or an RFC 3339 time, as Unix ms.
fn parse_time(field: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(v) = value.map(str::trim) else {
        return Ok(None);
    };
    if let Ok(ms) = v.parse::<i64>() {
        return Ok(Some(ms));
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return Ok(Some(t.timestamp_millis()));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(Some(t.and_utc().timestamp_millis()));
    }
    Err(bad(
        field,
        format!("`{v}` is neither a date (2026-12-03) nor an RFC 3339 time"),
    ))
}

/// Reads a JSON body, naming the member at fault when it does not fit.
fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return Err(bad("body", "a JSON body is required"));
    }
    // serde would also read a struct from an array of its members; the document says object.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(bad("body", "must be a JSON object"));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let text = e.to_string();
        let field = text
            .split('`')
            .nth(1)
            .filter(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or("body")
            .to_string();
        ApiError::App(AppError::BadInput {
            field,
            message: text,
        })
    })
}

/// A JSON integer, also when written with a zero fraction (`70.0` is the integer 70 to JSON
/// Schema).
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => Ok(f as i64),
        _ => Err(serde::de::Error::custom(format!(
            "`{n}` is not a whole number"
        ))),
    }
}

fn no_text(field: &str, value: &str) -> Result<(), ApiError> {
    if value.chars().any(char::is_control) {
        return Err(bad(field, "must not hold control characters"));
    }
    Ok(())
}

// --- orders --------------------------------------------------------------------------------

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrdersQuery {
    /// Only this channel's orders.
    channel: Option<String>,
    /// Only orders in this fulfilment state.
    #[param(value_type = Option<String>, pattern = "^(waiting|to_route|routed|held|rerouting|shipped|closed)$")]
    state: Option<String>,
    /// Only orders with units reserved, submitted or shipped at this location.
    location: Option<String>,
    /// Received at or after, Unix ms (a date `2026-12-03` or an RFC 3339 time is taken too).
    #[param(value_type = Option<i64>)]
    from: Option<String>,
    /// Received before, Unix ms (or a date or an RFC 3339 time).
    #[param(value_type = Option<i64>)]
    to: Option<String>,
    /// Orders per page (1-1000, default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
    /// The next page: `next_before` of the previous one.
    #[param(value_type = Option<i64>, minimum = 1)]
    before: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", params(OrdersQuery),
    description = "Orders newest first, filtered and paged. Role: viewer.",
    responses((status = 200, body = OrderPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_orders(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    q: Result<Query<OrdersQuery>, QueryRejection>,
) -> ApiResult {
    s.authorize(&headers, AdminRole::Viewer)?;
    let Query(q) = q.map_err(query_rejected)?;
    let before = parse_i64("before", q.before.as_deref())?;
    if before.is_some_and(|b| b < 1) {
        return Err(bad("before", "must be a positive integer"));
    }
    let filter = OrderFilter {
        channel_id: q.channel.filter(|c| !c.is_empty()),
        state: q.state,
        location_id: q.location.filter(|c| !c.is_empty()),
        from_ms: parse_time("from", q.from.as_deref())?,
        to_ms: parse_time("to", q.to.as_deref())?,
        before_id: before,
        limit: limit(q.limit.as_deref(), 50)?,
    };
    let rows = s.ops.orders(&filter).await?;
    let next_before = (rows.len() as i64 == filter.limit)
        .then(|| rows.last().map(|r| r.summary.id))
        .flatten();
    #[derive(Serialize)]
    struct Page<T> {
        orders: Vec<T>,
        #[serde(skip_serializing_if = "Option::is_none")]
        next_before: Option<i64>,
    }
    ok(Page {
        orders: rows,
        next_before,
    })
}

#[utoipa::path(get, path = "/api/v1/orders/{order}", tag = "orders",
    params(("order" = String, Path, description = "Order id, CHANNEL:EXTERNAL_ID or order number")),
    description = "One order: lines, routing decision and its explanation, reservations, \
        shipments, ledger movements and a timeline. Role: viewer.",
    responses((status = 200, body = OrderDetailDoc), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the reference names several orders"),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn order_detail(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
) -> ApiResult {
    s.authorize(&headers, AdminRole::Viewer)?;
    let Path(order) = p.map_err(path_rejected)?;
    let view = s.ops.order(&order).await?;
    let d = view.detail;
    let reservations: Vec<serde_json::Value> = d
        .reservations
        .iter()
        .map(|(sku, loc, q)| serde_json::json!({"sku": sku, "location_id": loc, "quantity": q}))
        .collect();
    let lines: Vec<serde_json::Value> = d
        .order
        .lines
        .iter()
        .map(|l| serde_json::to_value(l).unwrap_or_default())
        .collect();
    ok(serde_json::json!({
        "summary": d.summary,
        "order": d.order,
        "lines": lines,
        "explanation": d.decision.as_ref().map(|x| x.describe()),
        "decision": d.decision,
        "reservations": reservations,
        "shipments": d.shipments,
        "ledger": view.ledger,
        "timeline": view.timeline,
    }))
}

#[utoipa::path(post, path = "/api/v1/orders/{order}/ship", tag = "orders",
    params(("order" = String, Path, description = "Order id, CHANNEL:EXTERNAL_ID or order number")),
    request_body = ShipBody,
    description = "Record a parcel leaving the own warehouse(s) (or the location named): \
        consumes the reserved units and queues the tracking write-back. Role: operator.",
    responses((status = 200, body = Shipped), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn ship(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
    bytes: Bytes,
) -> ApiResult {
    let actor = s.authorize(&headers, AdminRole::Operator)?;
    let Path(order) = p.map_err(path_rejected)?;
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct B {
        carrier: String,
        tracking: String,
        #[serde(default)]
        location: Option<String>,
    }
    let b: B = body(&bytes)?;
    no_text("carrier", &b.carrier)?;
    no_text("tracking", &b.tracking)?;
    let cmd = ShipCommand {
        order,
        carrier: b.carrier,
        tracking: b.tracking,
        location: b.location,
    };
    ok(s.ops.ship(&actor, cmd).await?)
}

#[utoipa::path(post, path = "/api/v1/orders/{order}/cancel-at-partner", tag = "orders",
    params(("order" = String, Path, description = "Order id, CHANNEL:EXTERNAL_ID or order number")),
    request_body = LocationBody,
    description = "Ask the partner at `location` to cancel the order it holds; the lines are \
        re-routed once it confirms. Role: operator.",
    responses((status = 200, body = CancelAsked), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn cancel_at_partner(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
    bytes: Bytes,
) -> ApiResult {
    let actor = s.authorize(&headers, AdminRole::Operator)?;
    let Path(order) = p.map_err(path_rejected)?;
    let b: LocationJson = body(&bytes)?;
    ok(s.ops.cancel_at_partner(&actor, &order, &b.location).await?)
}

#[utoipa::path(post, path = "/api/v1/orders/{order}/cancel", tag = "orders",
    params(("order" = String, Path, description = "Order id, CHANNEL:EXTERNAL_ID or order number")),
    request_body = CancelBody,
    description = "Cancel the order (or lines, where the channel cancels lines) on its sales \
        channel as the seller, with a reason mapped to the channel's own code. Partners holding \
        it cancel first; the channel call is an outbox item. 409 when units already shipped, \
        the order is closed, or the channel cancels only whole orders. Channels without a \
        cancellation API (Etsy, Amazon) record it as `needs_person`. Role: operator.",
    responses((status = 200, body = Cancellation), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn cancel_on_channel(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
    bytes: Bytes,
) -> ApiResult {
    let actor = s.authorize(&headers, AdminRole::Operator)?;
    let Path(order) = p.map_err(path_rejected)?;
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct L {
        line_id: String,
        // JSON's integers include `2.0`; the document says integer, so both are taken.
        #[serde(deserialize_with = "whole_number")]
        quantity: i64,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct B {
        reason: String,
        #[serde(default)]
        lines: Option<Vec<L>>,
    }
    let b: B = body(&bytes)?;
    let lines = match b.lines {
        None => None,
        Some(lines) => {
            let mut out = Vec::with_capacity(lines.len());
            for (i, l) in lines.into_iter().enumerate() {
                no_text(&format!("lines[{i}].line_id"), &l.line_id)?;
                let quantity = u32::try_from(l.quantity)
                    .map_err(|_| bad(&format!("lines[{i}].quantity"), "must be 1 to 4294967295"))?;
                out.push(switchyard_core::cancellation::CancelLine {
                    line_id: l.line_id,
                    quantity,
                });
            }
            Some(out)
        }
    };
    let cmd = CancelCommand {
        order,
        reason: b.reason,
        lines,
    };
    ok(s.ops.cancel_on_channel(&actor, cmd).await?)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CancellationsQuery {
    /// Only cancellations in this state.
    #[param(value_type = Option<String>, pattern = "^(awaiting_partner|queued|done|needs_person|failed)$")]
    state: Option<String>,
    /// Only this order's (id, CHANNEL:EXTERNAL_ID or order number).
    order: Option<String>,
    /// Rows (1-1000, default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/cancellations", tag = "orders", params(CancellationsQuery),
    description = "Seller cancellations on the channels, newest first. `state=needs_person` \
        lists what a person must cancel in a channel's admin (a channel without a \
        cancellation API). Role: viewer.",
    responses((status = 200, body = Vec<Cancellation>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn cancellations(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    q: Result<Query<CancellationsQuery>, QueryRejection>,
) -> ApiResult {
    s.authorize(&headers, AdminRole::Viewer)?;
    let Query(q) = q.map_err(query_rejected)?;
    let rows = limit(q.limit.as_deref(), 100)?;
    ok(s.ops
        .cancellations(q.state.as_deref(), q.order.as_deref(), rows)
        .await?)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LocationJson {
    location: String,
}

// --- holds, dead letters, partner events, quarantine ---------------------------------------

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitQuery {
    /// Rows (1-1000, default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/holds", tag = "holds", params(LimitQuery),
    description = "Orders waiting for a person, oldest first, with why. Role: viewer.",
    responses((status = 200, body = Vec<Hold>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn holds(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    q: Result<Query<LimitQuery>, QueryRejection>,
) -> ApiResult {
    s.authorize(&headers, AdminRole::Viewer)?;
    let Query(q) = q.map_err(query_rejected)?;
    ok(s.ops.holds(limit(q.limit.as_deref(), 100)?).await?)
}

#[utoipa::path(post, path = "/api/v1/holds/{order}/release", tag = "holds",
    params(("order" = String, Path, description = "Order id, CHANNEL:EXTERNAL_ID or order number")),
    request_body = LocationBody,
    description = "Send a held order's held lines to `location` as this operator's decision. \
        409 when the order is not held. Role: operator.",
    responses((status = 200, body = Released), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn release(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
    bytes: Bytes,
) -> ApiResult {
    let actor = s.authorize(&headers, AdminRole::Operator)?;
    let Path(order) = p.map_err(path_rejected)?;
    let b: LocationJson = body(&bytes)?;
    ok(s.ops.release(&actor, &order, &b.location).await?)
}

#[utoipa::path(get, path = "/api/v1/dead-letters", tag = "dead letters", params(LimitQuery),
    description = "Side effects that ran out of attempts, newest first. Role: viewer.",
    responses((status = 200, body = Vec<DeadLetterDoc>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn dead_letters(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    q: Result<Query<LimitQuery>, QueryRejection>,
) -> ApiResult {
    s.authorize(&headers, AdminRole::Viewer)?;
    let Query(q) = q.map_err(query_rejected)?;
    ok(s.ops.dead_letters(limit(q.limit.as_deref(), 100)?).await?)
}

#[utoipa::path(post, path = "/api/v1/dead-letters/{id}/replay", tag = "dead letters",
    params(("id" = i64, Path, minimum = 1)),
    description = "Put a dead letter back to work with its original idempotency key. 409 when \
        it was already replayed. Role: operator.",
    responses((status = 200, body = Done), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn replay(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let actor = s.authorize(&headers, AdminRole::Operator)?;
    let Path(id) = p.map_err(path_rejected)?;
    let id = parse_id("id", &id)?;
    s.ops.replay_dead_letter(&actor, id).await?;
    ok(serde_json::json!({"message": format!("dead letter {id} queued again"), "count": 1}))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only events parked after their last attempt.
    #[param(value_type = Option<bool>)]
    failed: Option<String>,
    /// Rows (1-1000, default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/partner-events", tag = "partner events", params(EventsQuery),
    description = "Partner events not applied yet (waiting, retrying or parked), oldest first. \
        Role: viewer.",
    responses((status = 200, body = Vec<PartnerEvent>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn partner_events(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    q: Result<Query<EventsQuery>, QueryRejection>,
) -> ApiResult {
    s.authorize(&headers, AdminRole::Viewer)?;
    let Query(q) = q.map_err(query_rejected)?;
    let failed = parse_bool("failed", q.failed.as_deref())?;
    ok(s.ops
        .partner_events(failed, limit(q.limit.as_deref(), 100)?)
        .await?)
}

#[utoipa::path(post, path = "/api/v1/partner-events/{id}/retry", tag = "partner events",
    params(("id" = i64, Path, minimum = 1)),
    description = "Put a parked partner event back in the queue. 404 unless it is parked. \
        Role: operator.",
    responses((status = 200, body = Done), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn retry_event(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let actor = s.authorize(&headers, AdminRole::Operator)?;
    let Path(id) = p.map_err(path_rejected)?;
    let id = parse_id("id", &id)?;
    let n = s.ops.retry_partner_events(&actor, Some(id)).await?;
    ok(serde_json::json!({"message": format!("{n} partner event(s) queued again"), "count": n}))
}

#[utoipa::path(get, path = "/api/v1/quarantine", tag = "quarantine", params(LimitQuery),
    description = "Deliveries that could not be read, newest first, with why. Role: viewer.",
    responses((status = 200, body = Vec<Quarantined>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn quarantine(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    q: Result<Query<LimitQuery>, QueryRejection>,
) -> ApiResult {
    s.authorize(&headers, AdminRole::Viewer)?;
    let Query(q) = q.map_err(query_rejected)?;
    ok(s.ops.quarantine(limit(q.limit.as_deref(), 100)?).await?)
}

#[utoipa::path(post, path = "/api/v1/quarantine/{id}/reprocess", tag = "quarantine",
    params(("id" = i64, Path, minimum = 1)),
    description = "Normalize a quarantined delivery again (after a fix or a changed intake \
        rule). 409 when it is not quarantined. Role: operator.",
    responses((status = 200, body = Done), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn reprocess(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let actor = s.authorize(&headers, AdminRole::Operator)?;
    let Path(id) = p.map_err(path_rejected)?;
    let id = parse_id("id", &id)?;
    s.ops.reprocess_quarantined(&actor, id).await?;
    ok(
        serde_json::json!({"message": format!("delivery {id} queued to be normalized again"), "count": 1}),
    )
}

// --- stock ---------------------------------------------------------------------------------

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StockQuery {
    /// Only this SKU.
    sku: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/stock", tag = "stock", params(StockQuery),
    description = "On-hand and reserved units per SKU and location, and each channel's \
        listing. Role: viewer.",
    responses((status = 200, body = StockDoc), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn stock(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    q: Result<Query<StockQuery>, QueryRejection>,
) -> ApiResult {
    s.authorize(&headers, AdminRole::Viewer)?;
    let Query(q) = q.map_err(query_rejected)?;
    ok(s.ops
        .stock(q.sku.as_deref().filter(|v| !v.is_empty()))
        .await?)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// Rows, oldest first (1-1000, default 1000).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/stock/{sku}/ledger", tag = "stock",
    params(("sku" = String, Path), LedgerQuery),
    description = "Every ledger movement of a SKU, oldest first. Role: viewer.",
    responses((status = 200, body = Vec<LedgerRow>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn ledger(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
    q: Result<Query<LedgerQuery>, QueryRejection>,
) -> ApiResult {
    s.authorize(&headers, AdminRole::Viewer)?;
    let Path(sku) = p.map_err(path_rejected)?;
    let Query(q) = q.map_err(query_rejected)?;
    ok(s.ops.ledger(&sku, limit(q.limit.as_deref(), 1000)?).await?)
}

#[utoipa::path(put, path = "/api/v1/stock/{sku}", tag = "stock",
    params(("sku" = String, Path)), request_body = StockSetBody,
    description = "Set a SKU's on-hand count at a location (a person counted); the difference \
        is booked in the ledger. Role: admin.",
    responses((status = 200, body = Done), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn stock_set(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
    bytes: Bytes,
) -> ApiResult {
    let actor = s.authorize(&headers, AdminRole::Admin)?;
    let Path(sku) = p.map_err(path_rejected)?;
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct B {
        #[serde(deserialize_with = "whole_number")]
        quantity: i64,
        #[serde(default)]
        location: Option<String>,
    }
    let b: B = body(&bytes)?;
    let loc = s
        .ops
        .stock_set(&actor, &sku, b.quantity, b.location.as_deref())
        .await?;
    ok(serde_json::json!({"message": format!("{sku} at {loc}: {}", b.quantity), "count": 1}))
}

#[utoipa::path(post, path = "/api/v1/stock-imports", tag = "stock", request_body = StockImportBody,
    description = "Set many on-hand counts at one location. Role: admin.",
    responses((status = 200, body = Done), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn stock_import(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let actor = s.authorize(&headers, AdminRole::Admin)?;
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Row {
        sku: String,
        #[serde(deserialize_with = "whole_number")]
        quantity: i64,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct B {
        rows: Vec<Row>,
        #[serde(default)]
        location: Option<String>,
        #[serde(default)]
        reference: Option<String>,
    }
    let b: B = body(&bytes)?;
    let reference = b.reference.unwrap_or_else(|| "api import".into());
    no_text("reference", &reference)?;
    let rows: Vec<(String, i64)> = b.rows.into_iter().map(|r| (r.sku, r.quantity)).collect();
    let loc = s
        .ops
        .stock_import(&actor, &rows, b.location.as_deref(), &reference)
        .await?;
    ok(
        serde_json::json!({"message": format!("{} SKU(s) set at {loc}", rows.len()), "count": rows.len()}),
    )
}

#[utoipa::path(post, path = "/api/v1/audit", tag = "stock",
    description = "Audit the stock record now (on-hand = ledger, reserved = open order lines, no \
        listing above what its channel may sell) and store the result. Role: operator.",
    responses((status = 200, body = AuditDoc), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn audit(State(s): State<Arc<ApiState>>, headers: HeaderMap) -> ApiResult {
    let actor = s.authorize(&headers, AdminRole::Operator)?;
    ok(s.ops.audit_now(&actor).await?)
}

#[utoipa::path(post, path = "/api/v1/drift", tag = "stock", request_body(content = DriftBody, description = "optional"),
    description = "Read levels back from the channels (or one) and queue a repair of each that \
        was changed in the channel's own admin. Role: admin.",
    responses((status = 200, body = Vec<DriftDoc>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 502, body = ErrorBody, description = "a channel did not answer"),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn drift(State(s): State<Arc<ApiState>>, headers: HeaderMap, bytes: Bytes) -> ApiResult {
    let actor = s.authorize(&headers, AdminRole::Admin)?;
    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct B {
        #[serde(default)]
        channel: Option<String>,
    }
    let b: B = if bytes.is_empty() {
        B::default()
    } else {
        body(&bytes)?
    };
    ok(s.ops.drift_now(&actor, b.channel.as_deref()).await?)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionsQuery {
    /// Only actions on this target (`order:7`, `dead_letter:3`, `sku:MUG`).
    target: Option<String>,
    /// Rows (1-1000, default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/actions", tag = "audit", params(ActionsQuery),
    description = "The operator action log, newest first: every command given through the CLI \
        or this API, who gave it and what came of it. Role: admin.",
    responses((status = 200, body = Vec<Action>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn actions(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    q: Result<Query<ActionsQuery>, QueryRejection>,
) -> ApiResult {
    s.authorize(&headers, AdminRole::Admin)?;
    let Query(q) = q.map_err(query_rejected)?;
    ok(s.ops
        .actions(
            q.target.as_deref().filter(|v| !v.is_empty()),
            limit(q.limit.as_deref(), 100)?,
        )
        .await?)
}

// --- the document ----------------------------------------------------------------------------

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A token from `admin.tokens` (the config keeps its SHA-256)",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Switchyard admin API", version = "1",
        description = "Orders, holds, dead letters, partner events, quarantine and stock, and \
            the operator actions on them. Roles: viewer reads; operator also ships, releases, \
            replays, retries, cancels at partners, re-processes and audits; admin also sets \
            stock, runs drift checks and reads the action log."),
    paths(list_orders, order_detail, ship, cancel_at_partner, cancel_on_channel, cancellations, holds, release, dead_letters,
        replay, partner_events, retry_event, quarantine, reprocess, stock, ledger, stock_set,
        stock_import, audit, drift, actions, kpis::kpis, returns::list_returns,
        returns::return_detail, returns::receive, returns::refund, returns::refunded,
        returns::cancel),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The document as served: with a configuration, the location and channel fields list the
/// ids it configures (anything else is refused), and SKUs in paths are non-blank text.
pub fn openapi_json(config: Option<&Config>) -> String {
    let mut api = ApiDoc::openapi();
    api.merge(ops::OpsDoc::openapi());
    api.merge(events::EventsDoc::openapi());
    let mut doc = match serde_json::to_value(api) {
        Ok(doc) => doc,
        Err(e) => return format!("{{\"error\": \"{e}\"}}"),
    };
    if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for op in paths.values_mut().filter_map(|p| p.as_object_mut()) {
            for method in op.values_mut() {
                let Some(params) = method.get_mut("parameters").and_then(|p| p.as_array_mut())
                else {
                    continue;
                };
                for p in params {
                    if p["name"] == "sku" && p["in"] == "path" {
                        p["schema"]["pattern"] = TEXT.into();
                    }
                }
            }
        }
    }
    // Bodies are read strictly: a member the document does not name is refused.
    if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
        for (name, schema) in schemas.iter_mut() {
            if name.ends_with("Body") || name == "CountRow" || name == "CancelLineDoc" {
                schema["additionalProperties"] = false.into();
            }
        }
    }
    // A drift check for every channel needs no body.
    if doc["paths"]["/api/v1/drift"]["post"]["requestBody"].is_object() {
        doc["paths"]["/api/v1/drift"]["post"]["requestBody"]["required"] = false.into();
    }
    if let Some(config) = config {
        let locations: Vec<serde_json::Value> = config
            .locations
            .iter()
            .map(|l| l.id.clone().into())
            .collect();
        let channels: Vec<serde_json::Value> = config
            .channels
            .iter()
            .map(|c| c.id.clone().into())
            .collect();
        let schemas = &mut doc["components"]["schemas"];
        let mut one_of =
            |schema: &str, field: &str, values: &[serde_json::Value], nullable: bool| {
                let prop = &mut schemas[schema]["properties"][field];
                if !prop.is_object() {
                    return;
                }
                let mut values = values.to_vec();
                let kind: serde_json::Value = if nullable {
                    values.push(serde_json::Value::Null);
                    serde_json::json!(["string", "null"])
                } else {
                    "string".into()
                };
                let description = prop.get("description").cloned();
                *prop = serde_json::json!({"type": kind, "enum": values});
                if let Some(d) = description {
                    prop["description"] = d;
                }
            };
        one_of("LocationBody", "location", &locations, false);
        one_of("ShipBody", "location", &locations, true);
        one_of("StockSetBody", "location", &locations, true);
        one_of("StockImportBody", "location", &locations, true);
        one_of("DriftBody", "channel", &channels, true);
    }
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

pub fn router(state: Arc<ApiState>) -> Router {
    let doc = state.doc.clone();
    Router::new()
        .route(
            "/api/v1/openapi.json",
            get(move || async move { ([(header::CONTENT_TYPE, "application/json")], doc.clone()) }),
        )
        .route("/api/v1/orders", get(list_orders))
        .route("/api/v1/orders/{order}", get(order_detail))
        .route("/api/v1/orders/{order}/ship", post(ship))
        .route(
            "/api/v1/orders/{order}/cancel-at-partner",
            post(cancel_at_partner),
        )
        .route("/api/v1/orders/{order}/cancel", post(cancel_on_channel))
        .route("/api/v1/cancellations", get(cancellations))
        .route("/api/v1/holds", get(holds))
        .route("/api/v1/holds/{order}/release", post(release))
        .route("/api/v1/dead-letters", get(dead_letters))
        .route("/api/v1/dead-letters/{id}/replay", post(replay))
        .route("/api/v1/partner-events", get(partner_events))
        .route("/api/v1/partner-events/{id}/retry", post(retry_event))
        .route("/api/v1/quarantine", get(quarantine))
        .route("/api/v1/quarantine/{id}/reprocess", post(reprocess))
        .route("/api/v1/stock", get(stock))
        .route("/api/v1/stock/{sku}", put(stock_set))
        .route("/api/v1/stock/{sku}/ledger", get(ledger))
        .route("/api/v1/stock-imports", post(stock_import))
        .route("/api/v1/audit", post(audit))
        .route("/api/v1/drift", post(drift))
        .route("/api/v1/actions", get(actions))
        .merge(ops::routes())
        .route("/api/v1/events", get(events::list_events))
        .route("/api/v1/webhooks", get(events::webhooks))
        .route(
            "/api/v1/webhooks/dead-letters",
            get(events::webhook_dead_letters),
        )
        .route(
            "/api/v1/webhooks/dead-letters/{id}/replay",
            post(events::replay_webhook),
        )
        .route("/api/v1/kpis", get(kpis::kpis))
        .route("/api/v1/returns", get(returns::list_returns))
        .route("/api/v1/returns/{id}", get(returns::return_detail))
        .route("/api/v1/returns/{id}/receive", post(returns::receive))
        .route("/api/v1/returns/{id}/refund", post(returns::refund))
        .route("/api/v1/returns/{id}/refunded", post(returns::refunded))
        .route("/api/v1/returns/{id}/cancel", post(returns::cancel))
        .fallback(|| async {
            ApiError::App(AppError::NotFound("no such route".into())).into_response()
        })
        .layer(DefaultBodyLimit::max(4 * 1024 * 1024))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_with_every_route_and_bearer_auth() {
        let doc: serde_json::Value = serde_json::from_str(&openapi_json(None)).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{doc}");
        let paths = doc["paths"].as_object().unwrap();
        for p in [
            "/api/v1/orders",
            "/api/v1/orders/{order}",
            "/api/v1/holds/{order}/release",
            "/api/v1/dead-letters/{id}/replay",
            "/api/v1/partner-events/{id}/retry",
            "/api/v1/quarantine/{id}/reprocess",
            "/api/v1/stock/{sku}/ledger",
            "/api/v1/kpis",
            "/api/v1/returns",
            "/api/v1/returns/{id}/receive",
            "/api/v1/returns/{id}/refund",
        ] {
            assert!(paths.contains_key(p), "{p} missing");
        }
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
    }

    #[test]
    fn body_errors_name_the_member() {
        let e = body::<LocationJson>(&Bytes::from_static(b"{}")).unwrap_err();
        match e {
            ApiError::App(AppError::BadInput { field, .. }) => assert_eq!(field, "location"),
            other => panic!("{other:?}"),
        }
    }
}
