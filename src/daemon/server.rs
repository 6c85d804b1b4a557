//! HTTP: webhooks, health and metrics. A webhook is answered 200 only after its raw body is
//! committed to the inbox; anything refused (4xx) is stored and processed nowhere. While the
//! store cannot write, webhooks are answered 503 at once. Timeouts and the connection limit
//! live in `http.rs`; `/metrics` and `/readyz`'s details need the operator token when one is
//! configured.

use super::metrics::{CONTENT_TYPE, ChannelReason, Scrape};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use subtle::ConstantTimeEq;
use switchyard_core::ports::{Delivery, IngestError, WebhookRequest};
use tokio::sync::watch;

use super::App;
use super::http::{Limits, TimedBody};

pub fn router(app: Arc<App>) -> Router {
    let limit = app.config.server.max_body_bytes;
    Router::new()
        .route(
            "/webhooks/{channel_id}",
            post(webhook).get(endpoint_challenge),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(app)
}

pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    mut stopped: watch::Receiver<bool>,
) {
    let mut limits = Limits::from_config(&app.config.server);
    if let Some(room) = super::http::connection_room()
        && room < limits.max_connections
    {
        tracing::warn!(
            configured = limits.max_connections,
            allowed = room,
            "server.max_connections is above what the open-file limit allows; serving fewer"
        );
        limits.max_connections = room;
    }
    if *stopped.borrow_and_update() {
        return;
    }
    super::http::serve(listener, router(app.clone()), limits, app, stopped).await;
}

async fn webhook(
    State(app): State<Arc<App>>,
    Path(channel_id): Path<String>,
    headers: HeaderMap,
    TimedBody(body): TimedBody,
) -> impl IntoResponse {
    if !app.health.writable() {
        // Nothing could be committed: say so at once, the channel retries later.
        return (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response();
    }
    let Some(channel) = app.channels.get(&channel_id) else {
        if let Some(target) = app.targets.get(&channel_id) {
            return partner_webhook(&app, &channel_id, target.as_ref(), &headers, &body).await;
        }
        return (StatusCode::NOT_FOUND, "unknown channel").into_response();
    };
    let request = WebhookRequest {
        headers: headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect(),
        body: body.to_vec(),
    };
    let delivery = match channel.verify_webhook(&request).await {
        Ok(d) => d,
        Err(IngestError::BadSignature(why)) => {
            app.metrics
                .webhooks_rejected
                .get_or_create(&ChannelReason::new(&channel_id, "signature"))
                .inc();
            tracing::warn!(channel = %channel_id, %why, "webhook refused: bad signature");
            return (StatusCode::UNAUTHORIZED, "invalid signature").into_response();
        }
        Err(IngestError::Unreadable(why)) => {
            app.metrics
                .webhooks_rejected
                .get_or_create(&ChannelReason::new(&channel_id, "unreadable"))
                .inc();
            tracing::warn!(channel = %channel_id, %why, "webhook refused: unreadable body");
            return (StatusCode::BAD_REQUEST, "unreadable body").into_response();
        }
    };
    match delivery {
        Delivery::Acknowledge { reason } => {
            tracing::debug!(channel = %channel_id, %reason, "webhook acknowledged, nothing to store");
            (StatusCode::OK, "ok").into_response()
        }
        // Committed together with whatever other webhooks arrived meanwhile (inbox_writer.rs).
        Delivery::Order(raw) => {
            match app.inbox.store(&channel_id, raw).await {
                Ok(()) => (StatusCode::OK, "ok").into_response(),
                Err(e) => {
                    // Not committed: the channel must retry, so say so with a 5xx.
                    super::faults::repeated!(app.repeats, error, format!("webhook\0{e}"), channel = %channel_id, error = %e, "webhook not stored");
                    (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response()
                }
            }
        }
    }
}

/// eBay's endpoint check: `GET /webhooks/{channel}?challenge_code=…` is answered with
/// `{"challengeResponse": hex(SHA-256(challengeCode + verificationToken + endpoint))}`, the token
/// being the channel's `webhook_secret` and the endpoint its `endpoint_url`. Any other channel,
/// or an eBay channel without both, has no such route (404).
async fn endpoint_challenge(
    State(app): State<Arc<App>>,
    Path(channel_id): Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> axum::response::Response {
    let Some(code) = query.get("challenge_code") else {
        return (StatusCode::BAD_REQUEST, "challenge_code is required").into_response();
    };
    match challenge_answer(&app.config, &channel_id, code) {
        Some(answer) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({ "challengeResponse": answer })),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "no endpoint challenge for this channel",
        )
            .into_response(),
    }
}

/// The challenge response for an eBay channel configured with its verification token and
/// endpoint URL; `None` for anything else.
fn challenge_answer(
    config: &switchyard_core::config::Config,
    channel_id: &str,
    code: &str,
) -> Option<String> {
    let channel = config
        .channels
        .iter()
        .find(|c| c.id == channel_id && c.kind == switchyard_core::model::ChannelKind::Ebay)?;
    let token = channel
        .webhook_secret
        .as_deref()
        .filter(|t| !t.is_empty())?;
    let endpoint = channel.endpoint_url.as_deref().filter(|e| !e.is_empty())?;
    Some(switchyard_connectors::channels::ebay::challenge_response(
        code, token, endpoint,
    ))
}

/// A fulfilment partner's webhook: verified, its events stored once, 200 only after commit.
async fn partner_webhook(
    app: &App,
    location_id: &str,
    target: &dyn switchyard_core::fulfillment::FulfillmentTarget,
    headers: &HeaderMap,
    body: &Bytes,
) -> axum::response::Response {
    let request = WebhookRequest {
        headers: headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect(),
        body: body.to_vec(),
    };
    let events = match target.verify_webhook(&request).await {
        Ok(events) => events,
        Err(IngestError::BadSignature(why)) => {
            tracing::warn!(location = %location_id, %why, "partner webhook refused: bad signature");
            return (StatusCode::UNAUTHORIZED, "invalid signature").into_response();
        }
        Err(IngestError::Unreadable(why)) => {
            tracing::warn!(location = %location_id, %why, "partner webhook refused: unreadable body");
            return (StatusCode::BAD_REQUEST, "unreadable body").into_response();
        }
    };
    match app
        .store
        .insert_target_events(location_id, &events, None)
        .await
    {
        Ok(done) => {
            if done.inserted > 0 {
                app.wake.fulfil.notify_one();
            }
            (StatusCode::OK, "ok").into_response()
        }
        Err(e) => {
            app.store_failed("storing a partner webhook", &e);
            (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response()
        }
    }
}

/// True when no operator token is configured, or the request carries it as
/// `Authorization: Bearer <token>` (compared in constant time).
fn operator(app: &App, headers: &HeaderMap) -> bool {
    let Some(token) = app.config.server.operator_token.as_deref() else {
        return true;
    };
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    bool::from(given.trim().as_bytes().ct_eq(token.as_bytes()))
}

/// 200 while the store takes writes, 503 while it does not. The body (the pipeline's counts
/// and the store's state) only for the operator when a token is configured.
async fn readyz(State(app): State<Arc<App>>, headers: HeaderMap) -> impl IntoResponse {
    let store = app.health.status();
    let status = if store.writable {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    if !operator(&app, &headers) {
        let text = if store.writable {
            "ready"
        } else {
            "not ready: the store cannot write"
        };
        return (status, text).into_response();
    }
    // This replica and the work leases it holds (several replicas on one PostgreSQL store).
    let replica = serde_json::json!({
        "id": app.replica.id,
        "leases": app.replica.held(),
    });
    if !store.writable {
        // Answer from the health state alone: counting would wait for a store that is gone,
        // and a readiness probe must be quick (Kubernetes gives it 1 s by default).
        let body = serde_json::json!({ "store": store, "replica": replica });
        return (status, axum::Json(body)).into_response();
    }
    match app.store.counts().await {
        Ok(c) => {
            let mut body = serde_json::to_value(c).unwrap_or_default();
            if let (Some(map), Ok(store)) = (body.as_object_mut(), serde_json::to_value(&store)) {
                map.insert("store".into(), store);
                map.insert("replica".into(), replica);
            }
            (status, axum::Json(body)).into_response()
        }
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

async fn metrics(State(app): State<Arc<App>>, headers: HeaderMap) -> impl IntoResponse {
    if !operator(&app, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "operator token required",
        )
            .into_response();
    }
    let counts = app.store.counts().await.ok();
    let depths = app
        .store
        .dirty_depth(switchyard_core::store::now_ms())
        .await
        .map(|ds| {
            ds.into_iter()
                .map(|d| (d.channel_id, d.pending, d.oldest_ms))
                .collect()
        })
        .unwrap_or_default();
    let api = app
        .channels
        .iter()
        .filter_map(|(id, c)| c.api_stats().map(|s| (id.clone(), s.calls, s.throttled)))
        .collect();
    let now = switchyard_core::store::now_ms();
    if app.metrics.kpi.due(now) {
        let window = super::kpi_metrics::WINDOW_MS;
        match app.kpis.kpis(now - window, now + 1).await {
            Ok(f) => app
                .metrics
                .kpi
                .set(now, &crate::app::KpiReport::new(now - window, now + 1, f)),
            Err(e) => tracing::debug!(error = %e, "KPI metrics not read"),
        }
    }
    app.metrics.refresh(&Scrape {
        counts,
        depths,
        api,
        writable: app.health.writable(),
    });
    let text = app.metrics.render();
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_core::config::{ChannelConfig, Config};
    use switchyard_core::model::ChannelKind;

    const EXPECTED: &str = "828068134293e51bf8946aef7cb515903e39b3ec66308fd8e43ed1085f00a107";

    fn config_with(channel: ChannelConfig) -> Config {
        let mut config: Config =
            serde_saphyr::from_str("channels: []\nlocations:\n  - id: main\n    kind: self\n")
                .expect("minimal config");
        config.channels.push(channel);
        config
    }

    /// eBay's published algorithm (Marketplace Account Deletion / notification endpoint
    /// validation): hex SHA-256 over challengeCode + verificationToken + endpoint. The expected
    /// value was computed outside this code base:
    /// `printf '%s' 'a8628072-3d33-45ee-9004-bee86830a22d71f2b6e1-5b3c-4c9a-a1f2-0123456789abhttps://switchyard.example.com/webhooks/ebay' | sha256sum`.
    #[test]
    fn the_challenge_is_answered_with_ebays_hash() {
        let channel = ChannelConfig {
            webhook_secret: Some("71f2b6e1-5b3c-4c9a-a1f2-0123456789ab".into()),
            endpoint_url: Some("https://switchyard.example.com/webhooks/ebay".into()),
            ..ChannelConfig::new("ebay", ChannelKind::Ebay, "https://api.ebay.com")
        };
        let config = config_with(channel.clone());
        assert_eq!(
            challenge_answer(&config, "ebay", "a8628072-3d33-45ee-9004-bee86830a22d").as_deref(),
            Some(EXPECTED)
        );
        assert_eq!(challenge_answer(&config, "other", "x"), None);
        // A Shopify channel with the same fields has no such check.
        let shopify = config_with(ChannelConfig {
            kind: ChannelKind::Shopify,
            ..channel.clone()
        });
        assert_eq!(challenge_answer(&shopify, "ebay", "x"), None);
        let without_endpoint = config_with(ChannelConfig {
            endpoint_url: None,
            ..channel
        });
        assert_eq!(challenge_answer(&without_endpoint, "ebay", "x"), None);
    }
}
