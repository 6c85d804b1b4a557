//! The admin API's operations routes: exceptions (list, acknowledge, resolve) and the health
//! of channels and partners as the running daemon sees it. Merged into the main router and
//! document by `mod.rs`.

#![allow(dead_code)] // the *Doc shapes exist for the OpenAPI document only

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde::Deserialize;
use switchyard_core::config::AdminRole;
use switchyard_core::exceptions::{ExceptionKind, ExceptionState};
use switchyard_core::store::ExceptionFilter;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::docs::ErrorBody;
use super::{
    ApiResult, ApiState, bad, limit, ok, parse_i64, parse_id, path_rejected, query_rejected,
};

/// Something a person must look at, raised and cleared by the workers.
#[derive(ToSchema)]
pub struct ExceptionDoc {
    pub id: i64,
    /// order_held, unknown_sku, payload_quarantined, dead_letter, partner_event_failed,
    /// partner_overdue, ship_late, channel_auth_failing, channel_not_polled, push_lag,
    /// audit_violation, drift_found.
    #[schema(
        pattern = "^(order_held|unknown_sku|payload_quarantined|dead_letter|partner_event_failed|partner_overdue|ship_late|channel_auth_failing|channel_not_polled|push_lag|audit_violation|drift_found)$"
    )]
    pub kind: String,
    /// What it is about: `order:12`, `channel:shop`, `location:acme`, `sku:MUG`,
    /// `dead_letter:3`, `delivery:40`, `partner_event:9`, `stock`.
    pub subject: String,
    /// open, acknowledged, resolved.
    #[schema(pattern = "^(open|acknowledged|resolved)$")]
    pub state: String,
    /// When it (last) opened, Unix ms.
    pub first_at: i64,
    /// When it was last raised, Unix ms.
    pub last_at: i64,
    /// Times raised since it opened.
    pub count: i64,
    pub message: String,
    pub acknowledged_by: Option<String>,
    /// An operator (`api:<token>`, `cli:<login>`) or `switchyard` when its cause went away.
    pub resolved_by: Option<String>,
    pub resolved_at: Option<i64>,
}

/// A channel with what the daemon last saw of it.
#[derive(ToSchema)]
pub struct ChannelHealthDoc {
    pub id: String,
    /// shopify, woocommerce, amazon, ebay, walmart, etsy, bigcommerce.
    pub kind: String,
    pub poll_interval_secs: i64,
    /// Last poll that answered, Unix ms.
    pub last_poll_ok_ms: Option<i64>,
    /// Last stock push the channel accepted, Unix ms.
    pub last_push_ok_ms: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_ms: Option<i64>,
    /// The channel refused Switchyard's credentials on its last answer.
    pub auth_failing: bool,
    /// The channel asked to wait until then, Unix ms.
    pub throttled_until_ms: Option<i64>,
    /// SKUs waiting for a stock push.
    pub push_queue: i64,
    /// Age of the oldest stock change not yet pushed, seconds.
    pub push_lag_secs: Option<i64>,
    /// Calls made to its API since the daemon started, and how many it throttled.
    pub api_calls: Option<i64>,
    pub api_throttled: Option<i64>,
    /// Exceptions about this channel not yet resolved.
    pub open_exceptions: i64,
}

/// A fulfilment partner (a location with an `adapter:`) with what the daemon last saw of it.
#[derive(ToSchema)]
pub struct PartnerHealthDoc {
    pub location_id: String,
    /// shipbob, edi_3pl, edi_supplier, csv_sftp, email, http_json.
    pub adapter: String,
    /// Last event poll that answered, Unix ms.
    pub last_poll_ok_ms: Option<i64>,
    /// Last inventory read that answered, Unix ms.
    pub last_inventory_ok_ms: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_ms: Option<i64>,
    /// Its events waiting to be applied, and those parked as failed.
    pub events_pending: i64,
    pub events_failed: i64,
    pub open_exceptions: i64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExceptionsQuery {
    /// Only exceptions in this state.
    #[param(value_type = Option<String>, pattern = "^(open|acknowledged|resolved)$")]
    state: Option<String>,
    /// Only exceptions of this kind.
    #[param(value_type = Option<String>, pattern = "^(order_held|unknown_sku|payload_quarantined|dead_letter|partner_event_failed|partner_overdue|ship_late|channel_auth_failing|channel_not_polled|push_lag|audit_violation|drift_found)$")]
    kind: Option<String>,
    /// Rows (1-1000, default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
    /// Only ids below this one: the smallest id of the previous page, for the next.
    #[param(value_type = Option<i64>, minimum = 1)]
    before: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/exceptions", tag = "exceptions", params(ExceptionsQuery),
    description = "Exceptions (things a person must look at) newest first, by state and kind. \
        Role: viewer.",
    responses((status = 200, body = Vec<ExceptionDoc>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    q: Result<Query<ExceptionsQuery>, QueryRejection>,
) -> ApiResult {
    s.authorize(&headers, AdminRole::Viewer)?;
    let Query(q) = q.map_err(query_rejected)?;
    let state = q
        .state
        .as_deref()
        .map(|v| {
            v.parse::<ExceptionState>()
                .map_err(|e| bad("state", e.to_string()))
        })
        .transpose()?;
    let kind = q
        .kind
        .as_deref()
        .map(|v| {
            v.parse::<ExceptionKind>()
                .map_err(|e| bad("kind", e.to_string()))
        })
        .transpose()?;
    let before = parse_i64("before", q.before.as_deref())?;
    if before.is_some_and(|b| b < 1) {
        return Err(bad("before", "must be a positive integer"));
    }
    ok(s.ops
        .exceptions(&ExceptionFilter {
            state,
            kind,
            before_id: before,
            limit: limit(q.limit.as_deref(), 100)?,
        })
        .await?)
}

#[utoipa::path(post, path = "/api/v1/exceptions/{id}/acknowledge", tag = "exceptions",
    params(("id" = i64, Path, minimum = 1)),
    description = "Mark an open exception as seen: it stays listed, reminders stop. 409 when it \
        is not open. Role: operator.",
    responses((status = 200, body = ExceptionDoc), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn acknowledge(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let actor = s.authorize(&headers, AdminRole::Operator)?;
    let Path(id) = p.map_err(path_rejected)?;
    let id = parse_id("id", &id)?;
    ok(s.ops.acknowledge_exception(&actor, id).await?)
}

#[utoipa::path(post, path = "/api/v1/exceptions/{id}/resolve", tag = "exceptions",
    params(("id" = i64, Path, minimum = 1)),
    description = "Mark an exception as dealt with; it opens again if its cause comes back. 409 \
        when it is already resolved. Role: operator.",
    responses((status = 200, body = ExceptionDoc), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn resolve(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let actor = s.authorize(&headers, AdminRole::Operator)?;
    let Path(id) = p.map_err(path_rejected)?;
    let id = parse_id("id", &id)?;
    ok(s.ops.resolve_exception(&actor, id).await?)
}

#[utoipa::path(get, path = "/api/v1/channels", tag = "health",
    description = "Every configured channel: last successful poll and push, the last error, \
        whether its credentials fail, throttling, the stock push queue and its lag. Role: viewer.",
    responses((status = 200, body = Vec<ChannelHealthDoc>), (status = 401, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn channels(State(s): State<Arc<ApiState>>, headers: HeaderMap) -> ApiResult {
    s.authorize(&headers, AdminRole::Viewer)?;
    ok(s.ops.channels_health().await?)
}

#[utoipa::path(get, path = "/api/v1/partners", tag = "health",
    description = "Every fulfilment partner: last successful event poll and inventory read, \
        the last error, events waiting and parked. Role: viewer.",
    responses((status = 200, body = Vec<PartnerHealthDoc>), (status = 401, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn partners(State(s): State<Arc<ApiState>>, headers: HeaderMap) -> ApiResult {
    s.authorize(&headers, AdminRole::Viewer)?;
    ok(s.ops.partners_health().await?)
}

#[derive(OpenApi)]
#[openapi(paths(list, acknowledge, resolve, channels, partners))]
pub struct OpsDoc;

pub fn routes() -> Router<Arc<ApiState>> {
    Router::new()
        .route("/api/v1/exceptions", get(list))
        .route("/api/v1/exceptions/{id}/acknowledge", post(acknowledge))
        .route("/api/v1/exceptions/{id}/resolve", post(resolve))
        .route("/api/v1/channels", get(channels))
        .route("/api/v1/partners", get(partners))
}
