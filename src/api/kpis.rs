//! `GET /api/v1/kpis`: the fulfilment KPIs over a window, from the application layer.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use switchyard_core::config::AdminRole;
use utoipa::{IntoParams, ToSchema};

use super::{ApiResult, ApiState, ErrorBody, ok, parse_time, query_rejected};
use crate::app::day_start;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpiQuery {
    /// Start of the window, Unix ms (a date `2026-12-03` or an RFC 3339 time is taken too);
    /// default midnight UTC today.
    #[param(value_type = Option<i64>)]
    from: Option<String>,
    /// End of the window (excluded); default now. A window that ends before it starts is
    /// empty; one longer than 400 days keeps its last 400 days (the answer names the window).
    #[param(value_type = Option<i64>)]
    to: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/kpis", tag = "kpis", params(KpiQuery),
    description = "Fulfilment KPIs over [from, to): order-to-ship time per location and channel \
        (p50, p90), on-time shipment rate per channel (against ship-by), partner acceptance, \
        rejection and fill rates, cancellation rate per channel, shipment to tracking on the \
        channel and stock push lag per channel (p50, p90). Role: viewer.",
    responses((status = 200, body = KpiDoc), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn kpis(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    q: Result<Query<KpiQuery>, QueryRejection>,
) -> ApiResult {
    s.authorize(&headers, AdminRole::Viewer)?;
    let Query(q) = q.map_err(query_rejected)?;
    let now = switchyard_core::store::now_ms();
    let from = parse_time("from", q.from.as_deref())?;
    let to = parse_time("to", q.to.as_deref())?.unwrap_or(now + 1);
    let from = from.unwrap_or_else(|| day_start(now).min(to.saturating_sub(1)));
    // Any pair the document allows is answered: a window that ends before it starts is empty
    // (1 ms at `from`), and one longer than 400 days keeps its last 400 days. The answer's
    // `from_ms` and `to_ms` say which window was used.
    let from = from.min(i64::MAX - 1);
    let to = to.max(from + 1);
    let from = from.max(to.saturating_sub(crate::app::MAX_KPI_WINDOW_MS));
    ok(s.ops.kpis(from, to).await?)
}

/// p50 and p90 of one group's durations, in milliseconds.
#[derive(ToSchema)]
#[allow(dead_code)] // a shape for the OpenAPI document only
pub struct ShipTimeDoc {
    /// A parcel from several own locations reads `a+b`.
    pub location_id: String,
    pub channel_id: String,
    pub count: i64,
    pub p50_ms: i64,
    pub p90_ms: i64,
}

#[derive(ToSchema)]
#[allow(dead_code)] // a shape for the OpenAPI document only
pub struct OnTimeDoc {
    pub channel_id: String,
    /// Orders first shipped in the window that had a ship-by date.
    pub shipped: i64,
    /// Of those, first parcel at or before the ship-by date.
    pub on_time: i64,
    /// on_time / shipped.
    pub rate: Option<f64>,
}

#[derive(ToSchema)]
#[allow(dead_code)] // a shape for the OpenAPI document only
pub struct PartnerKpiDoc {
    pub location_id: String,
    /// Orders handed over in the window.
    pub submitted: i64,
    pub accepted: i64,
    pub rejected: i64,
    pub shipped: i64,
    pub cancelled: i64,
    /// accepted / (accepted + rejected).
    pub acceptance_rate: Option<f64>,
    /// rejected / (accepted + rejected).
    pub rejection_rate: Option<f64>,
    /// shipped / (shipped + rejected + cancelled).
    pub fill_rate: Option<f64>,
}

#[derive(ToSchema)]
#[allow(dead_code)] // a shape for the OpenAPI document only
pub struct CancellationDoc {
    pub channel_id: String,
    /// Orders received in the window.
    pub orders: i64,
    pub cancelled: i64,
    /// cancelled / orders.
    pub rate: Option<f64>,
}

#[derive(ToSchema)]
#[allow(dead_code)] // a shape for the OpenAPI document only
pub struct TrackingDoc {
    pub channel_id: String,
    /// Write-backs done in the window.
    pub count: i64,
    pub p50_ms: i64,
    pub p90_ms: i64,
    /// Write-backs not done yet.
    pub waiting: i64,
}

#[derive(ToSchema)]
#[allow(dead_code)] // a shape for the OpenAPI document only
pub struct PushLagDoc {
    pub channel_id: String,
    pub count: i64,
    pub p50_ms: i64,
    pub p90_ms: i64,
}

/// Every KPI over [from_ms, to_ms).
#[derive(ToSchema)]
#[allow(dead_code)] // a shape for the OpenAPI document only
pub struct KpiDoc {
    pub from_ms: i64,
    pub to_ms: i64,
    pub order_to_ship: Vec<ShipTimeDoc>,
    pub on_time: Vec<OnTimeDoc>,
    pub partners: Vec<PartnerKpiDoc>,
    pub cancellations: Vec<CancellationDoc>,
    pub shipment_to_tracking: Vec<TrackingDoc>,
    pub push_lag: Vec<PushLagDoc>,
}
