//! The `email:` and `http_json:` blocks of a dropship supplier's adapter: how purchase orders
//! reach a supplier that takes them by e-mail, or by a signed JSON POST.

use serde::{Deserialize, Serialize};

use super::ConfigIssue;

/// How the SMTP connection is secured.
#[derive(
    Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// TLS from the first byte (port 465).
    Tls,
    /// Plain connection upgraded with STARTTLS, refused if the server cannot (port 587).
    #[default]
    Starttls,
    /// No encryption: only for a relay on the same host or a test server.
    None,
}

/// Purchase orders sent as e-mail through an SMTP relay.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailAdapterConfig {
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
    /// The supplier's order desk (one or more mailboxes).
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    /// `{po}` and `{order_number}` are replaced.
    #[serde(default = "default_subject")]
    pub subject: String,
    #[serde(default = "default_cancel_subject")]
    pub cancel_subject: String,
}

fn default_subject() -> String {
    "Purchase order {po}".into()
}

fn default_cancel_subject() -> String {
    "CANCEL purchase order {po}".into()
}

impl EmailAdapterConfig {
    pub fn new(smtp_host: &str, from: &str, to: &[&str]) -> Self {
        Self {
            smtp_host: smtp_host.into(),
            smtp_port: None,
            security: SmtpSecurity::default(),
            username: None,
            password: None,
            from: from.into(),
            to: to.iter().map(|s| s.to_string()).collect(),
            cc: Vec::new(),
            subject: default_subject(),
            cancel_subject: default_cancel_subject(),
        }
    }

    pub fn port(&self) -> u16 {
        self.smtp_port.unwrap_or(match self.security {
            SmtpSecurity::Tls => 465,
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::None => 25,
        })
    }
}

/// Purchase orders POSTed as JSON, signed with a shared secret; the supplier signs its webhooks
/// with the same secret.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpJsonAdapterConfig {
    /// Where new orders are POSTed.
    pub order_url: String,
    /// Where cancellations are POSTed; `{po}` is replaced by the PO number.
    pub cancel_url: String,
    /// `GET ?since=` list of the supplier's events, when it offers one (the polling net).
    #[serde(default)]
    pub events_url: Option<String>,
    /// The shared HMAC-SHA256 key.
    pub secret: String,
    /// Webhooks older or newer than this many seconds are refused as replays.
    #[serde(default = "default_tolerance")]
    pub tolerance_secs: u64,
}

fn default_tolerance() -> u64 {
    300
}

impl HttpJsonAdapterConfig {
    pub fn new(order_url: &str, cancel_url: &str, secret: &str) -> Self {
        Self {
            order_url: order_url.into(),
            cancel_url: cancel_url.into(),
            events_url: None,
            secret: secret.into(),
            tolerance_secs: default_tolerance(),
        }
    }
}

fn is_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

pub(super) fn email_issues(block: Option<&EmailAdapterConfig>) -> Vec<(String, String)> {
    let Some(email) = block else {
        return vec![("email".into(), "required for adapter kind email".into())];
    };
    let mut issues = Vec::new();
    let mut issue = |field: &str, message: &str| {
        issues.push((format!("email.{field}"), message.to_string()));
    };
    if email.smtp_host.trim().is_empty() {
        issue("smtp_host", "must not be empty");
    }
    if email.username.is_some() != email.password.is_some() {
        issue("password", "username and password go together");
    }
    if !email.from.contains('@') {
        issue("from", "must be an e-mail address");
    }
    if email.to.is_empty() {
        issue("to", "at least one address is required");
    }
    for (i, to) in email.to.iter().chain(&email.cc).enumerate() {
        if !to.contains('@') {
            issue(
                if i < email.to.len() { "to" } else { "cc" },
                &format!("`{to}` is not an e-mail address"),
            );
        }
    }
    if !email.subject.contains("{po}") {
        issue(
            "subject",
            "must contain {po} so the supplier can tell orders apart",
        );
    }
    if !email.cancel_subject.contains("{po}") {
        issue("cancel_subject", "must contain {po}");
    }
    issues
}

pub(super) fn http_json_issues(block: Option<&HttpJsonAdapterConfig>) -> Vec<(String, String)> {
    let Some(http) = block else {
        return vec![(
            "http_json".into(),
            "required for adapter kind http_json".into(),
        )];
    };
    let mut issues = Vec::new();
    let mut issue = |field: &str, message: &str| {
        issues.push((format!("http_json.{field}"), message.to_string()));
    };
    if !is_url(&http.order_url) {
        issue("order_url", "must start with http:// or https://");
    }
    if !is_url(&http.cancel_url) {
        issue("cancel_url", "must start with http:// or https://");
    }
    if let Some(url) = &http.events_url
        && !is_url(url)
    {
        issue("events_url", "must start with http:// or https://");
    }
    if http.secret.len() < 16 {
        issue("secret", "must be at least 16 characters");
    }
    if http.tolerance_secs == 0 {
        issue("tolerance_secs", "must be at least 1");
    }
    issues
}

/// Turns `(field, message)` pairs under the adapter into issues at `path.adapter.field`.
pub(super) fn at(path: &str, found: Vec<(String, String)>) -> Vec<ConfigIssue> {
    found
        .into_iter()
        .map(|(field, message)| ConfigIssue {
            path: format!("{path}.adapter.{field}"),
            message,
        })
        .collect()
}
