//! Where exception alerts go: Slack-compatible webhooks (`webhook.rs`) and e-mail through an
//! SMTP relay (`email.rs`, the e-mail supplier's `lettre` transport). The daemon's alert
//! worker folds queued alerts into one text per sink and calls [`AlertSink::send`]; a failure
//! is retried from the durable queue.

mod email;
mod webhook;

use std::sync::Arc;

use async_trait::async_trait;
use switchyard_core::config::AlertsConfig;

pub use email::EmailSink;
pub use webhook::WebhookSink;

/// Why a send failed (every failure is retried with backoff).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    /// No answer, a broken connection, a 5xx or 429, an SMTP 4xx.
    #[error("{0}")]
    Transient(String),
    /// The receiver refused it (4xx, SMTP 5xx): likely the configuration.
    #[error("refused: {0}")]
    Refused(String),
}

#[async_trait]
pub trait AlertSink: Send + Sync {
    /// `webhook:<name>` or `email`: the sink's cursor in the alert queue.
    fn id(&self) -> String;
    /// Sends one message; `key` is stable for the same batch of alerts (a resend after a
    /// crash carries it: the e-mail's `Message-ID`).
    async fn send(&self, key: &str, text: &str) -> Result<(), AlertError>;
}

/// Every configured sink.
pub fn build(config: &AlertsConfig) -> Result<Vec<Arc<dyn AlertSink>>, String> {
    let mut sinks: Vec<Arc<dyn AlertSink>> = Vec::new();
    for w in &config.webhooks {
        sinks.push(Arc::new(WebhookSink::new(&w.name, &w.url)?));
    }
    if let Some(e) = &config.email {
        sinks.push(Arc::new(EmailSink::new(e)?));
    }
    Ok(sinks)
}
