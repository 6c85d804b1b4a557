//! A dropship supplier with a small HTTP JSON API (the `http_json` adapter kind): purchase
//! orders POSTed as JSON with `Idempotency-Key` (a repeat answers 200 or 409 with the first
//! order, counted as success), cancellations POSTed to a cancel URL, and ship notices, rejections
//! and stock levels sent back as webhooks — all signed both ways with `signature`'s scheme. An
//! optional `GET events_url?since=` is the polling net under the webhooks.

mod client;
pub mod events;
mod order_body;
pub mod signature;

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde_json::{Value, json};
use switchyard_core::config::{AdapterConfig, AdapterKind};
use switchyard_core::fulfillment::{
    CancelOutcome, EventPage, FulfillmentLine, FulfillmentOrder, FulfillmentTarget, OrderRef,
    Receipt, TargetError, TargetEvent,
};
use switchyard_core::ports::{IngestError, PollCursor, WebhookRequest};

use crate::http::RateLimiter;
use client::SupplierClient;
use events::{Envelope, PartNames};

/// Suppliers' own APIs are small; 5 a second with a burst of 10 keeps a catch-up polite.
const DEFAULT_RATE_PER_SECOND: f64 = 5.0;
const DEFAULT_BURST: u32 = 10;

pub struct HttpJsonTarget {
    id: String,
    client: SupplierClient,
    order_url: String,
    cancel_url: String,
    events_url: Option<String>,
    secret: Vec<u8>,
    tolerance_secs: u64,
    to_supplier: BTreeMap<String, String>,
    names: PartNames,
}

impl HttpJsonTarget {
    pub fn new(location_id: &str, config: &AdapterConfig) -> Result<Self, String> {
        if config.kind != AdapterKind::HttpJson {
            return Err(format!(
                "adapter kind {} is not http_json",
                config.kind.as_str()
            ));
        }
        let http = config
            .http_json
            .as_ref()
            .ok_or("the http_json block is required for an http_json adapter")?;
        for (field, url) in [
            ("order_url", Some(&http.order_url)),
            ("cancel_url", Some(&http.cancel_url)),
            ("events_url", http.events_url.as_ref()),
        ] {
            if let Some(url) = url
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                return Err(format!(
                    "http_json.{field} `{url}` must start with http:// or https://"
                ));
            }
        }
        if http.secret.trim().is_empty() {
            return Err("http_json.secret must not be empty".into());
        }
        let limiter = match &config.rate_limit {
            Some(rl) => RateLimiter::new(rl.per_second, rl.burst),
            None => RateLimiter::new(DEFAULT_RATE_PER_SECOND, DEFAULT_BURST),
        };
        Ok(Self {
            id: location_id.to_string(),
            client: SupplierClient::new(&http.secret, limiter),
            order_url: http.order_url.clone(),
            cancel_url: http.cancel_url.clone(),
            events_url: http.events_url.clone(),
            secret: http.secret.as_bytes().to_vec(),
            tolerance_secs: http.tolerance_secs,
            to_supplier: config.sku_map.clone(),
            names: PartNames {
                from_supplier: config
                    .sku_map
                    .iter()
                    .map(|(sku, part)| (part.clone(), sku.clone()))
                    .collect(),
            },
        })
    }

    fn part(&self, line: &FulfillmentLine) -> String {
        line.partner_sku
            .clone()
            .or_else(|| self.to_supplier.get(&line.sku).cloned())
            .unwrap_or_else(|| line.sku.clone())
    }

    /// Events of a verified body: one envelope or an array of them.
    fn read_events(&self, body: &[u8]) -> Result<Vec<TargetEvent>, String> {
        let value: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
        let envelopes = match value {
            Value::Array(list) => list,
            one => vec![one],
        };
        let mut events = Vec::new();
        for (i, envelope) in envelopes.into_iter().enumerate() {
            let envelope: Envelope =
                serde_json::from_value(envelope).map_err(|e| format!("event [{i}]: {e}"))?;
            events.extend(events::read(envelope, &self.names)?);
        }
        Ok(events)
    }
}

/// Percent-encodes a PO number for a URL path segment (`shop:1001` stays readable).
fn path_segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' | b'@' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn text(body: &Value, field: &str) -> Option<String> {
    match body.get(field)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[async_trait]
impl FulfillmentTarget for HttpJsonTarget {
    fn id(&self) -> &str {
        &self.id
    }

    /// 201 is a new order; 200 or 409 answer a key the supplier already has (a resend after a
    /// crash), which is the same order, not a failure.
    async fn submit(
        &self,
        order: &FulfillmentOrder,
        idempotency_key: &str,
    ) -> Result<Receipt, TargetError> {
        let body = order_body::order_body(order, idempotency_key, &|l| self.part(l));
        let answer = self
            .client
            .post(&self.order_url, &body, idempotency_key, &[409])
            .await?;
        let partner_order_id = text(&answer.body, "id").ok_or_else(|| {
            TargetError::Decode(format!(
                "supplier answered HTTP {} without an order `id`",
                answer.status
            ))
        })?;
        Ok(Receipt {
            partner_order_id,
            accepted: true,
            already_existed: answer.status != 201,
        })
    }

    async fn cancel(
        &self,
        order: &OrderRef,
        idempotency_key: &str,
    ) -> Result<CancelOutcome, TargetError> {
        let url = self
            .cancel_url
            .replace("{po}", &path_segment(&order.reference));
        let body = json!({"po_number": order.reference, "order_id": order.partner_order_id});
        let answer = self
            .client
            .post(&url, &body, idempotency_key, &[409])
            .await?;
        let status = answer.body.get("status").and_then(Value::as_str);
        Ok(match (answer.status, status) {
            (409, Some(status)) => CancelOutcome::TooLate {
                reason: format!(
                    "the supplier has the order {status}: {}",
                    client::error_message(&answer.body)
                ),
            },
            (409, None) => {
                return Err(TargetError::Decode(format!(
                    "cancel answered 409 without a status: {}",
                    answer.body
                )));
            }
            _ if answer
                .body
                .get("already_cancelled")
                .and_then(Value::as_bool)
                == Some(true) =>
            {
                CancelOutcome::AlreadyCancelled
            }
            (_, Some("cancelled")) => CancelOutcome::Cancelled,
            (_, other) => {
                return Err(TargetError::Decode(format!(
                    "cancel answered status {other:?}, expected \"cancelled\""
                )));
            }
        })
    }

    /// `GET events_url?since=<RFC 3339>&after=<event id>`, answered
    /// `{"data": [events oldest first], "has_more": bool}`.
    async fn poll_events(&self, cursor: &PollCursor) -> Result<EventPage, TargetError> {
        let Some(url) = &self.events_url else {
            return Err(TargetError::Unsupported(format!(
                "location `{}` has no http_json.events_url: events arrive only as webhooks",
                self.id
            )));
        };
        let mut query = Vec::new();
        if let Some(since) = cursor.since {
            query.push(("since", since.to_rfc3339_opts(SecondsFormat::Millis, true)));
        }
        if let Some(after) = &cursor.page {
            query.push(("after", after.clone()));
        }
        let answer = self.client.get(url, &query).await?;
        let list = answer
            .body
            .get("data")
            .and_then(Value::as_array)
            .ok_or_else(|| TargetError::Decode("events answer has no `data` array".into()))?;
        let mut page = EventPage::default();
        let mut last_id = None;
        for (i, raw) in list.iter().enumerate() {
            let envelope: Envelope = serde_json::from_value(raw.clone())
                .map_err(|e| TargetError::Decode(format!("data[{i}]: {e}")))?;
            let at: DateTime<FixedOffset> = envelope.created_at;
            let at = at.with_timezone(&Utc);
            page.max_seen = Some(page.max_seen.map_or(at, |m: DateTime<Utc>| m.max(at)));
            last_id = Some(envelope.id.clone());
            page.events
                .extend(events::read(envelope, &self.names).map_err(TargetError::Decode)?);
        }
        if answer.body.get("has_more").and_then(Value::as_bool) == Some(true) {
            page.next_page = last_id;
        }
        Ok(page)
    }

    async fn verify_webhook(
        &self,
        request: &WebhookRequest,
    ) -> Result<Vec<TargetEvent>, IngestError> {
        signature::verify(
            &self.secret,
            request.header(signature::HEADER),
            &request.body,
            Utc::now(),
            self.tolerance_secs,
        )
        .map_err(|e| IngestError::BadSignature(e.to_string()))?;
        self.read_events(&request.body)
            .map_err(IngestError::Unreadable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn po_numbers_are_safe_in_a_path() {
        assert_eq!(path_segment("shop:1001"), "shop:1001");
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
    }
}
