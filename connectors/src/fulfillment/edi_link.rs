//! The EDI side shared by the 3PL and supplier adapters: envelopes with our identities,
//! reading an inbound file group by group, and the 997 every received group is owed.

use chrono::Utc;
use switchyard_core::config::{AdapterConfig, EdiConfig};
use switchyard_core::fulfillment::{TargetError, TargetEvent};
use switchyard_edi::{
    FunctionalAck, InterchangeHeader, OutboundTransaction, ReadError, Separators, Transaction,
    Usage, parse_lenient, render_single,
};

use super::exchange::{ControlNumbers, Incoming};

/// Our interchange identities towards one partner.
pub struct EdiLink {
    config: EdiConfig,
}

/// What one inbound file produced.
#[derive(Debug, Default)]
pub struct Inbound {
    pub events: Vec<TargetEvent>,
    /// 997 files to upload: (file name, contents).
    pub acks: Vec<(String, String)>,
}

impl EdiLink {
    pub fn new(kind: &str, config: &AdapterConfig) -> Result<Self, String> {
        let edi = config
            .edi
            .clone()
            .ok_or_else(|| format!("an edi block is required for a {kind} adapter"))?;
        for (name, value) in [
            ("edi.sender_id", &edi.sender_id),
            ("edi.receiver_id", &edi.receiver_id),
        ] {
            if value.trim().is_empty() {
                return Err(format!("{name} is required for a {kind} adapter"));
            }
        }
        Ok(EdiLink { config: edi })
    }

    fn header(&self, control_number: u32) -> InterchangeHeader {
        let now = Utc::now();
        InterchangeHeader {
            sender_qualifier: self.config.sender_qualifier.trim().to_string(),
            sender_id: self.config.sender_id.trim().to_string(),
            receiver_qualifier: self.config.receiver_qualifier.trim().to_string(),
            receiver_id: self.config.receiver_id.trim().to_string(),
            date: now.date_naive(),
            time: now.time(),
            control_number,
            usage: if self.config.test {
                Usage::Test
            } else {
                Usage::Production
            },
            ack_requested: false,
        }
    }

    /// One transaction set in its own interchange; ISA13, GS06 and ST02 all take
    /// `control_number`, so a 997's AK102 names the file it answers.
    pub fn render(
        &self,
        control_number: u32,
        transaction: OutboundTransaction,
    ) -> Result<String, TargetError> {
        render_single(
            &self.header(control_number),
            control_number,
            transaction,
            &Separators::default(),
        )
        .map_err(|e| TargetError::Rejected(format!("cannot render X12: {e}")))
    }

    /// Reads every group of an inbound file. 997s go to `on_ack` (and are not acknowledged
    /// themselves); every other set goes to `read`, and its group is answered with a 997 that
    /// rejects the sets `read` could not understand (AK5 `R` with the segment named).
    pub async fn read_file(
        &self,
        file: &Incoming,
        control: &ControlNumbers,
        mut read: impl FnMut(&Transaction) -> Result<Vec<TargetEvent>, ReadError>,
        mut on_ack: impl FnMut(&FunctionalAck) -> Vec<TargetEvent>,
    ) -> Result<Inbound, TargetError> {
        let parsed = match parse_lenient(&file.bytes) {
            Ok(parsed) => parsed,
            Err(e) => {
                // No envelope to answer; the file is archived with the others for a person.
                tracing::error!(file = %file.name, error = %e, "unreadable X12 file");
                return Ok(Inbound::default());
            }
        };
        let mut out = Inbound::default();
        for interchange in &parsed.document.interchanges {
            if interchange.sender_id.trim() != self.config.receiver_id.trim() {
                tracing::warn!(
                    file = %file.name,
                    sender = %interchange.sender_id.trim(),
                    expected = %self.config.receiver_id.trim(),
                    "interchange from an unexpected sender id"
                );
            }
            for group in &interchange.groups {
                if group.functional_id == "FA" {
                    for tx in &group.transactions {
                        match FunctionalAck::from_transaction(tx) {
                            Ok(ack) => out.events.extend(on_ack(&ack)),
                            Err(e) => {
                                tracing::warn!(file = %file.name, error = %e, "unreadable 997")
                            }
                        }
                    }
                    continue;
                }
                let mut ack = FunctionalAck::for_group(group);
                for tx in &group.transactions {
                    match read(tx) {
                        Ok(events) => out.events.extend(events),
                        Err(e) => {
                            tracing::warn!(
                                file = %file.name,
                                set = %tx.set_id,
                                control = %tx.control_number,
                                error = %e,
                                "transaction set rejected"
                            );
                            ack.reject_unreadable(&tx.control_number, &e);
                        }
                    }
                }
                let n = control.next().await?;
                let body = ack
                    .to_transaction(n)
                    .map_err(|e| TargetError::Rejected(format!("cannot build 997: {e}")))?;
                let name = format!(
                    "997_{}_{}_{}.edi",
                    clean(&interchange.sender_id),
                    clean(&interchange.control_number),
                    clean(&group.control_number)
                );
                out.acks.push((name, self.render(n, body)?));
            }
        }
        Ok(out)
    }
}

fn clean(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}
