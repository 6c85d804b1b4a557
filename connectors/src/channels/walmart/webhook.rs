//! Walmart `PO_CREATED` webhooks. Walmart lets each subscription choose how it authenticates
//! (basic, HMAC or OAuth), and we have not been able to ground the exact scheme and header
//! names in Walmart's published documentation. Rather than accept unverifiable deliveries,
//! every webhook is refused: orders arrive by polling, which also acknowledges them.

use switchyard_core::ports::{Delivery, IngestError, WebhookRequest};

pub fn verify(_request: &WebhookRequest) -> Result<Delivery, IngestError> {
    Err(IngestError::BadSignature(
        "Walmart webhooks are not accepted: their authentication scheme is not verified; \
         Walmart orders are ingested by polling"
            .into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_webhook_is_refused_with_the_reason() {
        let request = WebhookRequest {
            headers: vec![],
            body: b"{}".to_vec(),
        };
        let err = verify(&request).unwrap_err();
        assert!(err.to_string().contains("polling"), "{err}");
    }
}
