//! The Admin GraphQL client: `POST /admin/api/{version}/graphql.json` with
//! `X-Shopify-Access-Token`, paced by cost points, kept in step with Shopify's own bucket
//! through `extensions.cost.throttleStatus`, and retried on `THROTTLED`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use switchyard_core::ports::ChannelError;

use crate::http::{RateLimiter, RetryPolicy, check_status, client, transport, with_retry};

/// Shopify's bucket as last reported, and when.
#[derive(Debug, Clone, Copy)]
struct Budget {
    available: f64,
    maximum: f64,
    restore_rate: f64,
    at: Instant,
}

impl Budget {
    fn available_now(&self) -> f64 {
        (self.available + self.at.elapsed().as_secs_f64() * self.restore_rate).min(self.maximum)
    }
}

pub struct GraphqlClient {
    http: reqwest::Client,
    endpoint: String,
    token: String,
    limiter: RateLimiter,
    budget: Mutex<Option<Budget>>,
    retry: RetryPolicy,
}

/// How long until `requested` points are back, given a throttle status.
fn wait_for(requested: f64, status: &Value) -> Option<Duration> {
    let available = status.get("currentlyAvailable")?.as_f64()?;
    let rate = status.get("restoreRate")?.as_f64()?;
    if !(rate.is_finite() && rate > 0.0) {
        return None;
    }
    let secs = ((requested - available) / rate).max(0.05);
    secs.is_finite().then(|| Duration::from_secs_f64(secs))
}

impl GraphqlClient {
    pub fn new(
        base_url: &str,
        api_version: &str,
        token: &str,
        per_second: f64,
        burst: u32,
    ) -> Self {
        Self {
            http: client(),
            endpoint: format!(
                "{}/admin/api/{}/graphql.json",
                base_url.trim_end_matches('/'),
                api_version
            ),
            token: token.to_string(),
            limiter: RateLimiter::new(per_second, burst),
            budget: Mutex::new(None),
            retry: RetryPolicy::default(),
        }
    }

    #[cfg(test)]
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Runs a query or mutation and returns its `data`. `cost` is the requested cost the
    /// query is known to have; it paces the call.
    pub async fn run(
        &self,
        what: &str,
        query: &str,
        variables: Value,
        cost: u32,
    ) -> Result<Value, ChannelError> {
        with_retry(&self.retry, what, || self.attempt(query, &variables, cost)).await
    }

    async fn attempt(
        &self,
        query: &str,
        variables: &Value,
        cost: u32,
    ) -> Result<Value, ChannelError> {
        // Shopify needs the full requested cost available to start a query, then refunds
        // down to the actual cost: wait on the reported bucket for the first, and let the
        // local limiter mirror only what is really spent.
        self.wait_for_budget(f64::from(cost)).await;
        self.limiter.acquire(1).await;
        let response = self
            .http
            .post(&self.endpoint)
            .header("X-Shopify-Access-Token", &self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .map_err(transport)?;
        let response = check_status(response).await?;
        let body: Value = response.json().await.map_err(transport)?;
        let cost_info = body.pointer("/extensions/cost");
        // A throttled query reports no actual cost and spent nothing; a response without any
        // cost report (a proxy in between) is charged what it asked for.
        let actual = match cost_info {
            Some(c) => c
                .get("actualQueryCost")
                .and_then(Value::as_f64)
                .unwrap_or(0.0),
            None => f64::from(cost),
        };
        if actual > 1.0 {
            self.limiter
                .acquire(actual.min(f64::from(u32::MAX)) as u32 - 1)
                .await;
        }
        if let Some(status) = cost_info.and_then(|c| c.get("throttleStatus")) {
            self.remember(status);
        }
        if let Some(errors) = body.get("errors").filter(|e| !e.is_null()) {
            return Err(classify(errors, cost_info, cost));
        }
        match body.get("data") {
            Some(data) if data.is_object() => Ok(data.clone()),
            _ => Err(ChannelError::Decode("response has no `data`".into())),
        }
    }

    fn remember(&self, status: &Value) {
        let read = |k: &str| status.get(k).and_then(Value::as_f64);
        if let (Some(available), Some(maximum), Some(restore_rate)) = (
            read("currentlyAvailable"),
            read("maximumAvailable"),
            read("restoreRate"),
        ) {
            let mut guard = self.budget.lock().unwrap_or_else(|p| p.into_inner());
            *guard = Some(Budget {
                available,
                maximum,
                restore_rate,
                at: Instant::now(),
            });
        }
    }

    /// Sleeps until Shopify's bucket (as last reported) holds `cost` points again.
    async fn wait_for_budget(&self, cost: f64) {
        let budget = *self.budget.lock().unwrap_or_else(|p| p.into_inner());
        let Some(b) = budget else { return };
        let need = cost.min(b.maximum);
        let have = b.available_now();
        if have < need && b.restore_rate > 0.0 {
            let wait = Duration::from_secs_f64(((need - have) / b.restore_rate).min(60.0));
            tokio::time::sleep(wait).await;
        }
    }
}

/// Maps top-level GraphQL errors onto what the caller should do.
fn classify(errors: &Value, cost: Option<&Value>, estimated: u32) -> ChannelError {
    let list = errors
        .as_array()
        .cloned()
        .unwrap_or_else(|| vec![errors.clone()]);
    let code_of = |e: &Value| {
        e.pointer("/extensions/code")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let message = list
        .iter()
        .map(|e| {
            e.get("message")
                .and_then(Value::as_str)
                .map_or_else(|| e.to_string(), str::to_string)
        })
        .collect::<Vec<_>>()
        .join("; ");
    let codes: Vec<String> = list.iter().filter_map(code_of).collect();
    if codes.iter().any(|c| c == "THROTTLED") {
        let requested = cost
            .and_then(|c| c.get("requestedQueryCost"))
            .and_then(Value::as_f64)
            .unwrap_or(f64::from(estimated));
        let status = cost.and_then(|c| c.get("throttleStatus"));
        if let Some(max) = status
            .and_then(|s| s.get("maximumAvailable"))
            .and_then(Value::as_f64)
            && requested > max
        {
            return ChannelError::Rejected(format!(
                "query cost {requested} can never fit the bucket of {max}"
            ));
        }
        let retry_after = status.and_then(|s| wait_for(requested, s));
        return ChannelError::RateLimited { retry_after };
    }
    if codes
        .iter()
        .any(|c| c == "ACCESS_DENIED" || c == "UNAUTHORIZED")
    {
        return ChannelError::Auth(message);
    }
    if codes.iter().any(|c| c == "INTERNAL_SERVER_ERROR") {
        return ChannelError::Http {
            status: 500,
            body: message,
        };
    }
    ChannelError::Rejected(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttled_waits_for_the_missing_points() {
        let errors = json!([{ "message": "Throttled", "extensions": { "code": "THROTTLED" } }]);
        let cost = json!({ "requestedQueryCost": 302, "actualQueryCost": null,
            "throttleStatus": { "maximumAvailable": 2000.0, "currentlyAvailable": 102, "restoreRate": 100.0 } });
        match classify(&errors, Some(&cost), 10) {
            ChannelError::RateLimited {
                retry_after: Some(d),
            } => {
                assert_eq!(d, Duration::from_secs(2));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn other_errors_are_refusals() {
        let errors = json!([{ "message": "Field 'x' doesn't exist on type 'Order'" }]);
        assert!(
            matches!(classify(&errors, None, 1), ChannelError::Rejected(m) if m.contains("'x'"))
        );
        let denied =
            json!([{ "message": "Access denied", "extensions": { "code": "ACCESS_DENIED" } }]);
        assert!(matches!(classify(&denied, None, 1), ChannelError::Auth(_)));
    }

    #[test]
    fn endpoint_includes_the_version() {
        let c = GraphqlClient::new("https://x.myshopify.com/", "2026-04", "t", 100.0, 2000);
        assert_eq!(
            c.endpoint(),
            "https://x.myshopify.com/admin/api/2026-04/graphql.json"
        );
    }
}
