//! `alerts:`: where exceptions are announced (Slack-compatible webhooks, e-mail through an
//! SMTP relay), how often, and the thresholds of the exceptions the daemon measures itself.

use serde::{Deserialize, Serialize};

use super::SmtpSecurity;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// Slack-compatible incoming webhooks (`POST {"text": …}`).
    #[serde(default)]
    pub webhooks: Vec<AlertWebhook>,
    /// E-mail through an SMTP relay.
    #[serde(default)]
    pub email: Option<AlertEmail>,
    /// At most one message per sink in this many seconds; what opens meanwhile is folded
    /// into the next one.
    #[serde(default = "default_min_interval")]
    pub min_interval_secs: u64,
    /// An exception still open (not acknowledged) is announced again after this many seconds
    /// (0: never).
    #[serde(default = "default_reminder")]
    pub reminder_secs: u64,
    /// A channel whose oldest stock change waits longer than this has a `push_lag` exception.
    #[serde(default = "default_push_lag")]
    pub push_lag_secs: u64,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            webhooks: Vec::new(),
            email: None,
            min_interval_secs: default_min_interval(),
            reminder_secs: default_reminder(),
            push_lag_secs: default_push_lag(),
        }
    }
}

fn default_min_interval() -> u64 {
    60
}

fn default_reminder() -> u64 {
    4 * 3600
}

fn default_push_lag() -> u64 {
    900
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertWebhook {
    /// Names the sink (`webhook:<name>`) in the log and the alert queue's cursors.
    pub name: String,
    /// `https://hooks.slack.com/services/…` or any receiver taking `{"text": …}`.
    pub url: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertEmail {
    pub smtp_host: String,
    /// Default by `security`: 465 for `tls`, 587 for `starttls`, 25 for `none`.
    #[serde(default)]
    pub smtp_port: Option<u16>,
    #[serde(default)]
    pub security: SmtpSecurity,
    /// SMTP AUTH credentials; both or neither.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// Sender mailbox, `Name <addr>` or `addr`.
    pub from: String,
    /// Who is told (one or more mailboxes).
    pub to: Vec<String>,
    #[serde(default = "default_subject")]
    pub subject: String,
}

fn default_subject() -> String {
    "Switchyard exceptions".into()
}

impl AlertsConfig {
    /// Problems as (path under `alerts`, message).
    pub fn issues(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut names = std::collections::BTreeSet::new();
        for (i, w) in self.webhooks.iter().enumerate() {
            if w.name.is_empty()
                || w.name.len() > 64
                || !w
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                out.push((
                    format!("webhooks[{i}].name"),
                    format!("`{}` must be 1-64 of [A-Za-z0-9_-]", w.name),
                ));
            }
            if !names.insert(w.name.as_str()) {
                out.push((
                    format!("webhooks[{i}].name"),
                    format!("duplicate webhook name `{}`", w.name),
                ));
            }
            if !(w.url.starts_with("http://") || w.url.starts_with("https://")) {
                out.push((
                    format!("webhooks[{i}].url"),
                    "must start with http:// or https://".into(),
                ));
            }
        }
        if let Some(e) = &self.email {
            if e.smtp_host.trim().is_empty() {
                out.push(("email.smtp_host".into(), "must not be empty".into()));
            }
            if e.to.is_empty() {
                out.push((
                    "email.to".into(),
                    "at least one recipient is required".into(),
                ));
            }
            if e.username.is_some() != e.password.is_some() {
                out.push((
                    "email.username".into(),
                    "username and password go together".into(),
                ));
            }
        }
        if self.min_interval_secs == 0 {
            out.push(("min_interval_secs".into(), "must be at least 1".into()));
        }
        if self.push_lag_secs == 0 {
            out.push(("push_lag_secs".into(), "must be at least 1".into()));
        }
        out
    }
}
