//! Sending through the configured SMTP relay with `lettre`, and what its errors mean for the
//! caller: 4xx replies and broken connections are worth retrying, 5xx are refusals.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use switchyard_core::config::{EmailAdapterConfig, SmtpSecurity};
use switchyard_core::fulfillment::TargetError;

pub type Transport = AsyncSmtpTransport<Tokio1Executor>;

pub fn transport(config: &EmailAdapterConfig) -> Result<Transport, String> {
    let host = config.smtp_host.trim();
    let builder = match config.security {
        SmtpSecurity::Tls => Transport::relay(host),
        SmtpSecurity::Starttls => Transport::starttls_relay(host),
        SmtpSecurity::None => Ok(Transport::builder_dangerous(host)),
    }
    .map_err(|e| format!("email.smtp_host `{host}`: {e}"))?;
    let mut builder = builder
        .port(config.port())
        .timeout(Some(Duration::from_secs(30)));
    if let (Some(user), Some(password)) = (&config.username, &config.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

pub async fn send(transport: &Transport, message: Message) -> Result<(), TargetError> {
    transport.send(message).await.map(|_| ()).map_err(classify)
}

fn classify(err: lettre::transport::smtp::Error) -> TargetError {
    let code = err.status().map(|c| c.to_string());
    let text = err.to_string();
    if err.is_permanent() {
        match code.as_deref() {
            Some("530" | "534" | "535" | "538") => TargetError::Auth(text),
            _ => TargetError::Rejected(format!("SMTP server refused the message: {text}")),
        }
    } else {
        TargetError::Transport(format!("SMTP: {text}"))
    }
}
