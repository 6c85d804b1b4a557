//! `/api/v1/returns`: returns (RMAs) listed, received (restock or dispose), refunded on the
//! channel, a person's refund confirmed, an expected return cancelled; HTTP ↔ `src/app` only.

#![allow(dead_code)] // the `*Doc` shapes exist for the document only

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use switchyard_core::config::AdminRole;
use switchyard_core::rules::rma::Disposition;
use switchyard_core::store::{ReceiveReceipt, RmaRow};
use utoipa::{IntoParams, ToSchema};

use super::docs::ErrorBody;
use super::{
    ApiResult, ApiState, bad, body, limit, ok, parse_i64, parse_id, path_rejected, query_rejected,
};
use crate::app::ReturnsQuery;

/// One line of a return.
#[derive(ToSchema)]
pub struct RmaLineDoc {
    pub line_id: String,
    pub quantity: i64,
}

/// A return (RMA).
#[derive(ToSchema)]
pub struct RmaDoc {
    pub id: i64,
    pub order_id: i64,
    pub channel_id: String,
    pub order_external_id: String,
    /// The channel's return id, when the channel reported the return.
    pub external_id: Option<String>,
    /// expected, received, refunding, refunded, refund_by_person, cancelled.
    #[schema(pattern = "^(expected|received|refunding|refunded|refund_by_person|cancelled)$")]
    pub state: String,
    /// restock or dispose, once received.
    #[schema(pattern = "^(restock|dispose)$")]
    pub disposition: Option<String>,
    pub lines: Vec<RmaLineDoc>,
    pub reason: Option<String>,
    /// Decimal text in `currency`, once a refund was asked.
    pub refund_amount: Option<String>,
    pub currency: String,
    /// The channel's refund id once it holds the refund.
    pub refund_id: Option<String>,
    /// Why a person refunds, or who confirmed they did.
    pub note: Option<String>,
    pub created_at: i64,
    pub received_at: Option<i64>,
    pub refund_asked_at: Option<i64>,
    pub refunded_at: Option<i64>,
    pub updated_at: i64,
}

/// A page of returns, newest first.
#[derive(ToSchema)]
pub struct RmaPage {
    pub returns: Vec<RmaDoc>,
    /// Pass as `before` for the next page; absent on the last one.
    pub next_before: Option<i64>,
}

#[derive(ToSchema, Serialize)]
pub struct RestockedDoc {
    pub sku: String,
    pub quantity: i64,
}

/// What receiving did.
#[derive(ToSchema)]
pub struct ReceivedDoc {
    pub rma: RmaDoc,
    /// Units back on hand per SKU (kits as their components); empty when disposed.
    pub restocked: Vec<RestockedDoc>,
    pub location_id: Option<String>,
    /// The refund's outbox key (`refund:<channel>:<rma>`) when one was queued.
    pub refund_key: Option<String>,
}

/// How to receive a return.
#[derive(ToSchema)]
pub struct ReceiveBody {
    /// `restock` (back on hand where the line shipped from) or `dispose`.
    #[schema(pattern = "^(restock|dispose)$")]
    pub disposition: String,
    /// Queue the refund too (default false).
    pub refund: Option<bool>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReturnsListQuery {
    /// Only returns in this state.
    #[param(value_type = Option<String>, pattern = "^(expected|received|refunding|refunded|refund_by_person|cancelled)$")]
    state: Option<String>,
    /// Only this channel's returns.
    channel: Option<String>,
    /// Only this order's (id, CHANNEL:EXTERNAL_ID or number).
    order: Option<String>,
    /// Returns per page (1-1000, default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
    /// The next page: `next_before` of the previous one.
    #[param(value_type = Option<i64>, minimum = 1)]
    before: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/returns", tag = "returns", params(ReturnsListQuery),
    description = "Returns (RMAs) newest first: those the channels reported (expected) and \
        those recorded here, with their refunds. Role: viewer.",
    responses((status = 200, body = RmaPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn list_returns(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    q: Result<Query<ReturnsListQuery>, QueryRejection>,
) -> ApiResult {
    s.authorize(&headers, AdminRole::Viewer)?;
    let Query(q) = q.map_err(query_rejected)?;
    let before = parse_i64("before", q.before.as_deref())?;
    if before.is_some_and(|b| b < 1) {
        return Err(bad("before", "must be a positive integer"));
    }
    let query = ReturnsQuery {
        state: q.state,
        channel_id: q.channel.filter(|c| !c.is_empty()),
        order: q.order.filter(|c| !c.is_empty()),
        before_id: before,
        limit: limit(q.limit.as_deref(), 50)?,
    };
    let rows = s.ops.returns_list(&query).await?;
    let next_before = (rows.len() as i64 == query.limit)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    #[derive(Serialize)]
    struct Page {
        returns: Vec<RmaRow>,
        #[serde(skip_serializing_if = "Option::is_none")]
        next_before: Option<i64>,
    }
    ok(Page {
        returns: rows,
        next_before,
    })
}

#[utoipa::path(get, path = "/api/v1/returns/{id}", tag = "returns",
    params(("id" = i64, Path, minimum = 1)),
    description = "One return. Role: viewer.",
    responses((status = 200, body = RmaDoc), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn return_detail(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
) -> ApiResult {
    s.authorize(&headers, AdminRole::Viewer)?;
    let Path(id) = p.map_err(path_rejected)?;
    ok(s.ops.return_detail(parse_id("id", &id)?).await?)
}

fn received(r: ReceiveReceipt) -> serde_json::Value {
    let restocked: Vec<RestockedDoc> = r
        .restocked
        .into_iter()
        .map(|(sku, quantity)| RestockedDoc { sku, quantity })
        .collect();
    serde_json::json!({
        "rma": r.rma,
        "restocked": restocked,
        "location_id": r.location_id,
        "refund_key": r.refund_key,
    })
}

#[utoipa::path(post, path = "/api/v1/returns/{id}/receive", tag = "returns",
    params(("id" = i64, Path, minimum = 1)), request_body = ReceiveBody,
    description = "Receive an expected return's units: restocked where the lines shipped from \
        (ledger, stock pushed) or disposed; with `refund` the refund is queued in the same \
        transaction. 409 unless the return is expected or when more units come back than \
        shipped. Role: operator.",
    responses((status = 200, body = ReceivedDoc), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn receive(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
    bytes: Bytes,
) -> ApiResult {
    let actor = s.authorize(&headers, AdminRole::Operator)?;
    let Path(id) = p.map_err(path_rejected)?;
    let id = parse_id("id", &id)?;
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct B {
        disposition: String,
        #[serde(default)]
        refund: Option<bool>,
    }
    let b: B = body(&bytes)?;
    let disposition = Disposition::parse(&b.disposition)
        .ok_or_else(|| bad("disposition", "must be `restock` or `dispose`"))?;
    let r = s
        .ops
        .receive_return(&actor, id, disposition, b.refund.unwrap_or(false))
        .await?;
    ok(received(r))
}

#[utoipa::path(post, path = "/api/v1/returns/{id}/refund", tag = "returns",
    params(("id" = i64, Path, minimum = 1)),
    description = "Refund a received return's lines (unit price × units) on its channel, once \
        whatever retries (outbox key `refund:<channel>:<rma>`); a channel without a refund API \
        leaves it `refund_by_person`. 409 unless received, or when the order's refunds would \
        exceed its total. Role: operator.",
    responses((status = 200, body = RmaDoc), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn refund(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let actor = s.authorize(&headers, AdminRole::Operator)?;
    let Path(id) = p.map_err(path_rejected)?;
    ok(s.ops.refund_return(&actor, parse_id("id", &id)?).await?)
}

#[utoipa::path(post, path = "/api/v1/returns/{id}/refunded", tag = "returns",
    params(("id" = i64, Path, minimum = 1)),
    description = "Confirm a person refunded in the channel's admin (a return left \
        `refund_by_person`). Role: operator.",
    responses((status = 200, body = RmaDoc), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn refunded(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let actor = s.authorize(&headers, AdminRole::Operator)?;
    let Path(id) = p.map_err(path_rejected)?;
    ok(s.ops.confirm_refund(&actor, parse_id("id", &id)?).await?)
}

#[utoipa::path(post, path = "/api/v1/returns/{id}/cancel", tag = "returns",
    params(("id" = i64, Path, minimum = 1)),
    description = "Cancel an expected return (it will not come). 409 unless expected. \
        Role: operator.",
    responses((status = 200, body = RmaDoc), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn cancel(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let actor = s.authorize(&headers, AdminRole::Operator)?;
    let Path(id) = p.map_err(path_rejected)?;
    ok(s.ops.cancel_return(&actor, parse_id("id", &id)?).await?)
}
