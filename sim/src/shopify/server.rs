//! The HTTP face: `POST /admin/api/{version}/graphql.json` behind `X-Shopify-Access-Token`.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::ShopifySimConfig;
use super::cost::Bucket;
use super::exec::{Ctx, run};
use super::store::Store;
use crate::SimStats;

/// Everything the simulated shop holds, behind one lock.
pub(crate) struct SimState {
    pub store: Store,
    pub bucket: Bucket,
    pub stats: SimStats,
    pub webhook_target: Option<String>,
    pub webhook_failures: u64,
}

pub(crate) struct Shared {
    pub config: ShopifySimConfig,
    pub journal: crate::Journal,
    pub recorder: Arc<crate::Recorder>,
    pub state: Mutex<SimState>,
    pub http: reqwest::Client,
}

impl Shared {
    /// Locks the state; a panic elsewhere while holding it does not take the simulator down.
    pub fn lock(&self) -> std::sync::MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/admin/api/{version}/graphql.json", post(graphql))
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                axum::Json(json!({ "errors": "Not Found" })),
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared.recorder),
            crate::record::layer,
        ))
        .with_state(shared)
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

async fn graphql(
    State(shared): State<Arc<Shared>>,
    Path(version): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let token = headers
        .get("x-shopify-access-token")
        .and_then(|v| v.to_str().ok());
    if token != Some(shared.config.access_token.as_str()) {
        return json_response(
            StatusCode::UNAUTHORIZED,
            json!({ "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)" }),
        );
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return json_response(
                StatusCode::BAD_REQUEST,
                json!({ "errors": { "query": "Required parameter missing or invalid" } }),
            );
        }
    };
    let Some(query) = request.get("query").and_then(Value::as_str) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({ "errors": { "query": "Required parameter missing or invalid" } }),
        );
    };
    let vars: Map<String, Value> = request
        .get("variables")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let op = request.get("operationName").and_then(Value::as_str);
    let mut guard = shared.lock();
    let state = &mut *guard;
    state.stats.requests += 1;
    let mut ctx = Ctx {
        store: &mut state.store,
        bucket: &mut state.bucket,
        api_version: &version,
        max_query_cost: shared.config.max_query_cost,
        now: Utc::now(),
    };
    let (body, outcome) = run(query, &vars, op, &mut ctx);
    if outcome.throttled {
        state.stats.throttled += 1;
    }
    state.stats.stock_writes += outcome.stock_writes;
    if outcome.stock_call {
        state.stats.stock_calls += 1;
    }
    for (sku, level) in &outcome.written {
        shared.journal.stock_written(sku, *level);
    }
    drop(guard);
    json_response(StatusCode::OK, body)
}
