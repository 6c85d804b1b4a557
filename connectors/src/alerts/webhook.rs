//! A Slack-compatible incoming webhook: `POST {"text": …}` as JSON; any 2xx is delivered.

use std::time::Duration;

use async_trait::async_trait;

use super::{AlertError, AlertSink};

pub struct WebhookSink {
    name: String,
    url: String,
    client: reqwest::Client,
}

impl WebhookSink {
    pub fn new(name: &str, url: &str) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .user_agent("switchyard-alerts")
            .build()
            .map_err(|e| format!("alerts webhook `{name}`: {e}"))?;
        Ok(WebhookSink {
            name: name.to_string(),
            url: url.to_string(),
            client,
        })
    }
}

#[async_trait]
impl AlertSink for WebhookSink {
    fn id(&self) -> String {
        format!("webhook:{}", self.name)
    }

    async fn send(&self, _key: &str, text: &str) -> Result<(), AlertError> {
        let answer = self
            .client
            .post(&self.url)
            .json(&serde_json::json!({ "text": text }))
            .send()
            .await
            .map_err(|e| AlertError::Transient(format!("webhook `{}`: {e}", self.name)))?;
        let status = answer.status();
        if status.is_success() {
            return Ok(());
        }
        let why = format!("webhook `{}` answered {status}", self.name);
        if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
            Err(AlertError::Transient(why))
        } else {
            Err(AlertError::Refused(why))
        }
    }
}
