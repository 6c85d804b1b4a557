//! Notification API `getPublicKey(kid)`: the PEM key eBay signs deliveries with. The simulator
//! holds no private key: a test registers its own public key and signs messages itself.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Shared;
use super::errors::ebay_error;

pub async fn public_key(State(shared): State<Arc<Shared>>, Path(kid): Path<String>) -> Response {
    match shared.with_store(|s| s.public_keys.get(&kid).cloned()) {
        Some(pem) => {
            Json(json!({"key": pem, "algorithm": "ECDSA", "digest": "SHA1"})).into_response()
        }
        None => ebay_error(
            404,
            195001,
            "API_NOTIFICATION",
            "The specified public key id was not found.",
        ),
    }
}

/// A Notification API message about an order, pretty-printed as a delivery may be.
pub fn order_message(topic: &str, notification_id: &str, order_id: &str) -> Value {
    json!({
        "metadata": {"topic": topic, "schemaVersion": "1.0", "deprecated": false},
        "notification": {
            "notificationId": notification_id,
            "eventDate": super::store::ebay_time(chrono::Utc::now()),
            "publishDate": super::store::ebay_time(chrono::Utc::now()),
            "publishAttemptCount": 1,
            "data": {"orderId": order_id},
        },
    })
}
