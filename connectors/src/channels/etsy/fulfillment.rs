//! Writing tracking back: `POST /v3/application/shops/{shop_id}/receipts/{receipt_id}/tracking`
//! with `tracking_code` and `carrier_name` (createReceiptShipment), sent as
//! `application/x-www-form-urlencoded`, the only body Etsy's spec takes there. Etsy adds a shipment record
//! and e-mails the buyer on every call, and takes no idempotency key, so the receipt is read
//! first: a shipment already carrying this tracking code means the write happened (perhaps
//! before a crash) and nothing is sent again. Etsy ships a receipt as a whole; the shipment's
//! lines are not sent.

use serde_json::Value;
use switchyard_core::model::Shipment;
use switchyard_core::ports::ChannelError;

use crate::http::with_retry;

use switchyard_core::carriers::{CarrierCode, CarrierMap};

use super::client::EtsyClient;

pub async fn write_back(
    client: &EtsyClient,
    shop_id: &str,
    carriers: &CarrierMap,
    shipment: &Shipment,
    idempotency_key: &str,
) -> Result<(), ChannelError> {
    let receipt = shipment.order_external_id.trim();
    if receipt.is_empty() || !receipt.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ChannelError::Rejected(format!(
            "`{receipt}` is not an Etsy receipt id"
        )));
    }
    let tracking = shipment.tracking_number.trim();
    if tracking.is_empty() {
        return Err(ChannelError::Rejected("tracking number is empty".into()));
    }
    let receipt_path = format!("/v3/application/shops/{shop_id}/receipts/{receipt}");
    let tracking_path = format!("{receipt_path}/tracking");
    let form = [
        ("tracking_code", tracking.to_string()),
        ("carrier_name", carrier_name(carriers, &shipment.carrier)),
        ("send_bcc", "false".to_string()),
    ];
    with_retry(client.retry_policy(), &tracking_path, || async {
        let current = match client.get_once(&receipt_path, &[]).await {
            Err(ChannelError::Http { status: 404, .. }) => {
                return Err(ChannelError::Rejected(format!(
                    "Etsy has no receipt {receipt}"
                )));
            }
            other => other?,
        };
        if has_tracking(&current, tracking) {
            tracing::debug!(receipt, idempotency_key, "tracking already on the receipt");
            return Ok(());
        }
        client
            .send_form_once(&tracking_path, &form)
            .await
            .map(|_| ())
    })
    .await
}

/// Etsy's carrier name from its table (`usps`, `ups`, `canada-post`, …); a carrier it does not
/// know goes as written (the field is free text), an empty one as `other`.
fn carrier_name(carriers: &CarrierMap, carrier: &str) -> String {
    match carriers.resolve(carrier) {
        Ok(CarrierCode::Code(code)) => code,
        Ok(CarrierCode::Name(name) | CarrierCode::Other(name)) if !name.is_empty() => name,
        _ => "other".into(),
    }
}

fn has_tracking(receipt: &Value, tracking: &str) -> bool {
    receipt
        .get("shipments")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("tracking_code").and_then(Value::as_str))
        .any(|code| code.trim().eq_ignore_ascii_case(tracking))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_receipt_with_the_code_already_shipped_is_recognised() {
        let receipt = json!({"shipments": [{"carrier_name": "ups", "tracking_code": "1Z999"}]});
        assert!(has_tracking(&receipt, "1z999"));
        assert!(!has_tracking(&receipt, "1Z998"));
        assert!(!has_tracking(&json!({"shipments": null}), "1Z999"));
        let carriers = CarrierMap::new(
            switchyard_core::model::ChannelKind::Etsy,
            &Default::default(),
        );
        assert_eq!(carrier_name(&carriers, " UPS "), "ups");
        assert_eq!(carrier_name(&carriers, "Canada Post"), "canada-post");
        assert_eq!(carrier_name(&carriers, "Bob's Couriers"), "Bob's Couriers");
        assert_eq!(carrier_name(&carriers, ""), "other");
    }
}
