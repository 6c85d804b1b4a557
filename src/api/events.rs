//! Events out in the admin API: the event log in pages (`GET /api/v1/events`), the webhook
//! subscriptions, their dead letters and replaying one. Merged into the OpenAPI document by
//! [`super::openapi_json`].

#![allow(dead_code)] // the `*Doc` shapes exist for the document only

use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use switchyard_core::config::AdminRole;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::{ApiResult, ApiState, ErrorBody, limit, ok, parse_bool, parse_i64, parse_id};
use super::{path_rejected, query_rejected};

/// Event types, comma-separated (empty: all).
const TYPES: &str = r"^((order\.(received|routed|held|submitted|shipped|cancelled)|stock\.changed)(,(order\.(received|routed|held|submitted|shipped|cancelled)|stock\.changed))*)?$";

/// One event of the log.
#[derive(ToSchema, serde::Serialize)]
pub struct EventDoc {
    /// Position in the log: strictly increasing in commit order; pass the last one seen as
    /// `after`. Also the idempotency key of its webhook deliveries.
    pub id: i64,
    /// order.received, order.routed, order.held, order.submitted, order.shipped,
    /// order.cancelled or stock.changed.
    #[serde(rename = "type")]
    pub kind: String,
    /// The shape of `data` (1).
    pub version: i64,
    /// When it was written (Unix ms).
    pub at: i64,
    /// Order events: order_id, channel, external_id, number, status, payment_status, lines
    /// [{line_id, sku, quantity, location, held}], and as the type has them location, reason,
    /// decided_by, partner_order_id, submission_key, carrier, tracking_number,
    /// completes_order. stock.changed: sku, on_hand, reserved, available, previous_available.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// A page of events, oldest first.
#[derive(ToSchema)]
pub struct EventPageDoc {
    pub events: Vec<EventDoc>,
    /// Pass as `after` for the next page (the last id, or `after` itself when empty).
    pub next_after: i64,
}

#[derive(ToSchema)]
pub struct WebhookCursorDoc {
    pub subscription: String,
    /// The last event delivered or dead-lettered.
    pub position: i64,
    /// Failed attempts at the next event.
    pub attempts: i64,
    /// Not before (Unix ms).
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub delivered: i64,
    pub updated_at: i64,
}

#[derive(ToSchema)]
pub struct WebhookStatusDoc {
    pub id: String,
    pub url: String,
    /// Subscribed types; empty: all.
    pub events: Vec<String>,
    /// Absent until the daemon started the subscription.
    pub cursor: Option<WebhookCursorDoc>,
    /// Events in the log after the cursor.
    pub behind: i64,
    /// Dead letters waiting for an operator.
    pub dead_letters: i64,
}

#[derive(ToSchema)]
pub struct WebhookDeadLetterDoc {
    pub id: i64,
    pub subscription: String,
    pub event_id: i64,
    pub event_type: String,
    /// dead, replaying or delivered.
    pub state: String,
    pub attempts: i64,
    pub last_error: String,
    pub failed_at: i64,
    pub replayed_at: Option<i64>,
    pub delivered_at: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventLogQuery {
    /// Events after this id (default 0: from the start).
    #[param(value_type = Option<i64>, minimum = 0)]
    after: Option<String>,
    /// Events per page (1-1000, default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
    /// Only these types, comma-separated (`order.shipped,stock.changed`).
    #[serde(rename = "type")]
    #[param(value_type = Option<String>, pattern = r"^((order\.(received|routed|held|submitted|shipped|cancelled)|stock\.changed)(,(order\.(received|routed|held|submitted|shipped|cancelled)|stock\.changed))*)?$")]
    kind: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventLogQuery),
    description = "The event log after `after`, oldest first: orders received, routed, held, \
        submitted to a partner, shipped and cancelled, and stock levels changed. Ids grow in \
        commit order, so a reader passing the last id it saw never misses an event. Role: viewer.",
    responses((status = 200, body = EventPageDoc), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn list_events(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    q: Result<Query<EventLogQuery>, QueryRejection>,
) -> ApiResult {
    s.authorize(&headers, AdminRole::Viewer)?;
    let Query(q) = q.map_err(query_rejected)?;
    let after = parse_i64("after", q.after.as_deref())?.unwrap_or(0);
    let limit = limit(q.limit.as_deref(), 100)?;
    let types: Vec<String> = q.kind.into_iter().collect();
    ok(s.ops.events(after, limit, &types).await?)
}

#[utoipa::path(get, path = "/api/v1/webhooks", tag = "events",
    description = "Each webhook subscription with its cursor, how far behind it is and its \
        dead letters. Role: viewer.",
    responses((status = 200, body = Vec<WebhookStatusDoc>), (status = 401, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn webhooks(State(s): State<Arc<ApiState>>, headers: HeaderMap) -> ApiResult {
    s.authorize(&headers, AdminRole::Viewer)?;
    ok(s.ops.webhooks().await?)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WebhookDeadQuery {
    /// Only this subscription's (any text; an unknown one has none).
    subscription: Option<String>,
    /// Also replays already delivered.
    #[param(value_type = Option<bool>)]
    all: Option<String>,
    /// Rows (1-1000, default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/webhooks/dead-letters", tag = "events",
    params(WebhookDeadQuery),
    description = "Events a subscriber did not take after the last attempt, newest first. \
        Role: viewer.",
    responses((status = 200, body = Vec<WebhookDeadLetterDoc>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn webhook_dead_letters(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    q: Result<Query<WebhookDeadQuery>, QueryRejection>,
) -> ApiResult {
    s.authorize(&headers, AdminRole::Viewer)?;
    let Query(q) = q.map_err(query_rejected)?;
    let all = parse_bool("all", q.all.as_deref())?;
    let limit = limit(q.limit.as_deref(), 100)?;
    ok(s.ops
        .webhook_dead_letters(q.subscription.as_deref(), all, limit)
        .await?)
}

#[utoipa::path(post, path = "/api/v1/webhooks/dead-letters/{id}/replay", tag = "events",
    params(("id" = i64, Path, minimum = 1)),
    description = "Send a webhook dead letter again, same event id, with fresh attempts. 409 \
        unless it is dead. Role: operator.",
    responses((status = 200, body = WebhookDeadLetterDoc), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(super) async fn replay_webhook(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    p: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let actor = s.authorize(&headers, AdminRole::Operator)?;
    let Path(id) = p.map_err(path_rejected)?;
    let id = parse_id("id", &id)?;
    ok(s.ops.replay_webhook_dead_letter(&actor, id).await?)
}

#[derive(OpenApi)]
#[openapi(paths(list_events, webhooks, webhook_dead_letters, replay_webhook))]
pub struct EventsDoc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_pattern_takes_every_type_and_lists_of_them_and_nothing_else() {
        let schema = serde_json::json!({"type": "string", "pattern": TYPES});
        let v = jsonschema::validator_for(&schema).unwrap();
        for t in switchyard_core::events::EventType::ALL {
            assert!(v.is_valid(&t.as_str().into()), "{t}");
        }
        assert!(v.is_valid(&"order.shipped,stock.changed".into()));
        assert!(v.is_valid(&"".into()));
        assert!(!v.is_valid(&"order.updated".into()));
        assert!(!v.is_valid(&"order.shipped,".into()));
        assert!(!v.is_valid(&"xorder.shipped".into()));
        // The document carries the same pattern.
        let doc = EventsDoc::openapi();
        let json = serde_json::to_value(&doc).unwrap();
        let params = json["paths"]["/api/v1/events"]["get"]["parameters"]
            .as_array()
            .unwrap();
        let kind = params.iter().find(|p| p["name"] == "type").unwrap();
        assert_eq!(kind["schema"]["pattern"], TYPES);
    }

    #[test]
    fn the_served_document_has_the_event_routes_and_their_shapes() {
        let doc: serde_json::Value =
            serde_json::from_str(&super::super::openapi_json(None)).unwrap();
        for p in [
            "/api/v1/events",
            "/api/v1/webhooks",
            "/api/v1/webhooks/dead-letters",
            "/api/v1/webhooks/dead-letters/{id}/replay",
        ] {
            assert!(doc["paths"][p].is_object(), "{p} missing");
        }
        let event = &doc["components"]["schemas"]["EventDoc"];
        assert!(event["properties"]["type"].is_object(), "{event}");
        assert!(event["properties"].get("kind").is_none(), "{event}");
        assert!(doc["components"]["schemas"]["WebhookDeadLetterDoc"].is_object());
    }
}
