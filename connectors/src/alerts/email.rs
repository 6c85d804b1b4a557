//! Alerts by e-mail through the configured SMTP relay, with the e-mail supplier's transport
//! (`fulfillment::email::smtp`): plain text, one message per batch, its `Message-ID` derived
//! from the batch so a resend after a crash is recognisable.

use async_trait::async_trait;
use lettre::Message;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use switchyard_core::config::{AlertEmail, EmailAdapterConfig};
use switchyard_core::fulfillment::TargetError;

use super::{AlertError, AlertSink};
use crate::fulfillment::email::{message_id, smtp};

pub struct EmailSink {
    transport: smtp::Transport,
    from: Mailbox,
    to: Vec<Mailbox>,
    subject: String,
}

impl EmailSink {
    pub fn new(config: &AlertEmail) -> Result<Self, String> {
        let relay = EmailAdapterConfig {
            smtp_port: config.smtp_port,
            security: config.security,
            username: config.username.clone(),
            password: config.password.clone(),
            ..EmailAdapterConfig::new(&config.smtp_host, &config.from, &[])
        };
        let transport = smtp::transport(&relay)?;
        let from = config
            .from
            .parse::<Mailbox>()
            .map_err(|e| format!("alerts.email.from `{}`: {e}", config.from))?;
        let to = config
            .to
            .iter()
            .map(|t| {
                t.parse::<Mailbox>()
                    .map_err(|e| format!("alerts.email.to `{t}`: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(EmailSink {
            transport,
            from,
            to,
            subject: config.subject.clone(),
        })
    }
}

#[async_trait]
impl AlertSink for EmailSink {
    fn id(&self) -> String {
        "email".into()
    }

    async fn send(&self, key: &str, text: &str) -> Result<(), AlertError> {
        let first_line = text.lines().next().unwrap_or_default();
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(format!("{}: {first_line}", self.subject))
            .message_id(Some(message_id("alert", key, &self.from)))
            .header(ContentType::TEXT_PLAIN);
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        let mail = builder
            .body(text.to_string())
            .map_err(|e| AlertError::Refused(format!("alert e-mail: {e}")))?;
        smtp::send(&self.transport, mail)
            .await
            .map_err(|e| match e {
                TargetError::Transport(t) => AlertError::Transient(t),
                other => AlertError::Refused(other.to_string()),
            })
    }
}
