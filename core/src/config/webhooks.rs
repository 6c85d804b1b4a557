//! `webhooks:`: where the daemon sends events (`crate::events`), each subscription signed with
//! its own secret and kept in order by its own cursor in the store.

use serde::{Deserialize, Serialize};

use super::ConfigIssue;
use crate::events::EventType;

/// One subscriber of the event log.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Names the subscription's cursor and dead letters in the store: renaming it starts a new
    /// subscription. 1-64 of `[A-Za-z0-9_-]`.
    pub id: String,
    /// Where each event is POSTed (`http://` or `https://`).
    pub url: String,
    /// The HMAC-SHA256 key of `X-Switchyard-Signature` (at least 16 characters; use `${VAR}`).
    pub secret: String,
    /// Event types to send (`order.received`, `order.routed`, `order.held`, `order.submitted`,
    /// `order.shipped`, `order.cancelled`, `stock.changed`); empty or left out: all of them.
    #[serde(default)]
    pub events: Vec<String>,
    /// Where a new subscription starts: `latest` (events written from now on, the default) or
    /// `beginning` (the whole log).
    #[serde(default)]
    pub start: WebhookStart,
    /// Attempts per event before it becomes a dead letter (default 8).
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// The first retry waits this long, doubling (with jitter) up to `max_backoff_secs`.
    #[serde(default = "default_min_backoff_ms")]
    pub min_backoff_ms: u64,
    #[serde(default = "default_max_backoff_secs")]
    pub max_backoff_secs: u64,
    /// A request not answered within this many seconds has failed (default 10).
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

#[derive(
    Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum WebhookStart {
    #[default]
    Latest,
    Beginning,
}

fn default_max_attempts() -> u32 {
    8
}
fn default_min_backoff_ms() -> u64 {
    1000
}
fn default_max_backoff_secs() -> u64 {
    300
}
fn default_timeout_secs() -> u64 {
    10
}

impl WebhookConfig {
    /// The subscribed types; empty means every type.
    pub fn event_types(&self) -> Vec<EventType> {
        self.events.iter().filter_map(|e| e.parse().ok()).collect()
    }
}

pub(super) fn issues(webhooks: &[WebhookConfig]) -> Vec<ConfigIssue> {
    let mut out = Vec::new();
    let mut issue = |path: String, message: String| out.push(ConfigIssue { path, message });
    let mut ids = std::collections::BTreeSet::new();
    for (i, w) in webhooks.iter().enumerate() {
        if !super::valid_id(&w.id) {
            issue(
                format!("webhooks[{i}].id"),
                format!("`{}` must be 1-64 of [A-Za-z0-9_-]", w.id),
            );
        }
        if !ids.insert(w.id.as_str()) {
            issue(
                format!("webhooks[{i}].id"),
                format!("duplicate webhook id `{}`", w.id),
            );
        }
        if !(w.url.starts_with("http://") || w.url.starts_with("https://"))
            || reqwest_like_host(&w.url).is_none()
        {
            issue(
                format!("webhooks[{i}].url"),
                format!("`{}` must be an http:// or https:// URL", w.url),
            );
        }
        if w.secret.trim().len() < 16 {
            issue(
                format!("webhooks[{i}].secret"),
                "must be at least 16 characters".into(),
            );
        }
        for (j, e) in w.events.iter().enumerate() {
            if let Err(err) = e.parse::<EventType>() {
                issue(format!("webhooks[{i}].events[{j}]"), err.to_string());
            }
        }
        if w.max_attempts == 0 {
            issue(
                format!("webhooks[{i}].max_attempts"),
                "must be at least 1".into(),
            );
        }
        if w.timeout_secs == 0 {
            issue(
                format!("webhooks[{i}].timeout_secs"),
                "must be at least 1".into(),
            );
        }
        if w.max_backoff_secs.saturating_mul(1000) < w.min_backoff_ms {
            issue(
                format!("webhooks[{i}].max_backoff_secs"),
                "must not be below min_backoff_ms".into(),
            );
        }
    }
    out
}

/// The host part of an http(s) URL, when there is one.
fn reqwest_like_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty() && !host.contains(char::is_whitespace)).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook() -> WebhookConfig {
        WebhookConfig {
            id: "erp".into(),
            url: "https://erp.example/hooks".into(),
            secret: "0123456789abcdef".into(),
            events: vec!["order.shipped".into()],
            start: WebhookStart::Latest,
            max_attempts: 8,
            min_backoff_ms: 1000,
            max_backoff_secs: 300,
            timeout_secs: 10,
        }
    }

    #[test]
    fn a_good_subscription_passes_and_each_fault_is_named() {
        assert!(issues(&[hook()]).is_empty());
        let mut bad = hook();
        bad.url = "ftp://x".into();
        bad.secret = "short".into();
        bad.events = vec!["order.updated".into()];
        bad.max_attempts = 0;
        let paths: Vec<String> = issues(&[bad, hook()]).into_iter().map(|i| i.path).collect();
        assert_eq!(
            paths,
            [
                "webhooks[0].url",
                "webhooks[0].secret",
                "webhooks[0].events[0]",
                "webhooks[0].max_attempts",
                "webhooks[1].id"
            ]
        );
        assert_eq!(hook().event_types(), [EventType::OrderShipped]);
    }
}
