//! A dropship supplier that takes purchase orders by e-mail (the `email` adapter kind).
//!
//! `submit` sends the PO (readable text plus a CSV of the lines) through SMTP; `cancel` sends a
//! cancellation threaded under it. SMTP cannot be made idempotent: the daemon sends again only
//! after a crash between sending and committing, and then the resend carries the same
//! `Message-ID` (derived from the idempotency key) and PO number, so the supplier can see it is
//! the same order. The supplier's answers (confirmation, tracking) come back to a person, who
//! records them with the `switchyard` CLI: this adapter neither polls a mailbox nor takes webhooks.

mod message;
pub(crate) mod smtp;

pub use message::{CSV_COLUMNS, message_id};

use std::collections::BTreeMap;

use async_trait::async_trait;
use lettre::message::Mailbox;
use switchyard_core::config::{AdapterConfig, AdapterKind};
use switchyard_core::fulfillment::{
    CancelOutcome, EventPage, FulfillmentLine, FulfillmentOrder, FulfillmentTarget, OrderRef,
    Receipt, TargetError,
};
use switchyard_core::ports::PollCursor;

pub struct EmailTarget {
    id: String,
    transport: smtp::Transport,
    envelope: message::Envelope,
    to_supplier: BTreeMap<String, String>,
}

fn mailbox(field: &str, text: &str) -> Result<Mailbox, String> {
    text.trim()
        .parse()
        .map_err(|e| format!("email.{field} `{text}`: {e}"))
}

impl EmailTarget {
    pub fn new(location_id: &str, config: &AdapterConfig) -> Result<Self, String> {
        if config.kind != AdapterKind::Email {
            return Err(format!(
                "adapter kind {} is not email",
                config.kind.as_str()
            ));
        }
        let email = config
            .email
            .as_ref()
            .ok_or("the email block is required for an email adapter")?;
        if email.to.is_empty() {
            return Err("email.to needs at least one address".into());
        }
        let envelope = message::Envelope {
            from: mailbox("from", &email.from)?,
            to: email
                .to
                .iter()
                .map(|t| mailbox("to", t))
                .collect::<Result<_, _>>()?,
            cc: email
                .cc
                .iter()
                .map(|t| mailbox("cc", t))
                .collect::<Result<_, _>>()?,
            subject: email.subject.clone(),
            cancel_subject: email.cancel_subject.clone(),
        };
        Ok(Self {
            id: location_id.to_string(),
            transport: smtp::transport(email)?,
            envelope,
            to_supplier: config.sku_map.clone(),
        })
    }

    fn part(&self, line: &FulfillmentLine) -> String {
        line.partner_sku
            .clone()
            .or_else(|| self.to_supplier.get(&line.sku).cloned())
            .unwrap_or_else(|| line.sku.clone())
    }
}

#[async_trait]
impl FulfillmentTarget for EmailTarget {
    fn id(&self) -> &str {
        &self.id
    }

    /// The PO number is the idempotency key; acceptance comes later from a person (`accepted`
    /// is false).
    async fn submit(
        &self,
        order: &FulfillmentOrder,
        idempotency_key: &str,
    ) -> Result<Receipt, TargetError> {
        let message =
            message::purchase_order(&self.envelope, order, idempotency_key, &|l| self.part(l))
                .map_err(TargetError::Rejected)?;
        smtp::send(&self.transport, message).await?;
        Ok(Receipt {
            partner_order_id: idempotency_key.to_string(),
            accepted: false,
            already_existed: false,
        })
    }

    /// A request only: the supplier's answer reaches a person, not Switchyard.
    async fn cancel(
        &self,
        order: &OrderRef,
        idempotency_key: &str,
    ) -> Result<CancelOutcome, TargetError> {
        let message = message::cancellation(&self.envelope, &order.reference, idempotency_key)
            .map_err(TargetError::Rejected)?;
        smtp::send(&self.transport, message).await?;
        Ok(CancelOutcome::Requested)
    }

    async fn poll_events(&self, _cursor: &PollCursor) -> Result<EventPage, TargetError> {
        Err(TargetError::Unsupported(format!(
            "location `{}` takes orders by e-mail; its answers are recorded with the CLI",
            self.id
        )))
    }
}
