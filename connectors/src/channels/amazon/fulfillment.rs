//! Tracking back to Amazon with v0 `confirmShipment` (the 2026 Orders API has no write).
//!
//! Idempotent three ways: the package reference id is derived from the idempotency key, so a
//! repeat names the same package; on 2026 accounts the order's packages are read first and a
//! package already carrying this tracking number ends the job; and Amazon's refusal of a package
//! reference it already holds counts as done.

use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use switchyard_core::model::Shipment;
use switchyard_core::ports::ChannelError;

use switchyard_core::carriers::CarrierCode;

use super::client::Call;
use super::operations::Operation;
use super::orders::{get_order_2026, path_segment};
use super::{Account, ApiVersion};
use crate::http::with_retry;

/// Amazon wants a positive number (sent as a string); 12 digits keep collisions negligible.
pub fn package_reference_id(idempotency_key: &str) -> String {
    let digest = Sha256::digest(idempotency_key.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % 999_999_999_999 + 1).to_string()
}

pub async fn write_back(
    account: &Account,
    shipment: &Shipment,
    key: &str,
) -> Result<(), ChannelError> {
    let id = path_segment(&shipment.order_external_id)?.to_string();
    let package_reference = package_reference_id(key);
    let carrier = carrier_fields(account, &shipment.carrier);
    with_retry(account.api.retry_policy(), "confirmShipment", || async {
        let mut known_items = None;
        if account.version == ApiVersion::V2026 {
            let order = get_order_2026(account, &id, "FULFILLMENT,PACKAGES")
                .await?
                .ok_or_else(|| ChannelError::Rejected(format!("order {id} not found")))?;
            if order
                .pointer("/fulfillment/fulfilledBy")
                .and_then(Value::as_str)
                == Some("AMAZON")
            {
                return Err(ChannelError::Rejected(format!(
                    "order {id} is fulfilled by Amazon; it takes no tracking"
                )));
            }
            if carries_tracking(&order, &shipment.tracking_number) {
                return Ok(());
            }
            known_items = Some(items_2026(&order));
        }
        let items = if !shipment.lines.is_empty() {
            shipment
                .lines
                .iter()
                .map(|l| json!({"orderItemId": l.line_id, "quantity": l.quantity}))
                .collect()
        } else {
            match known_items {
                Some(items) => items,
                None => items_v0(account, &id).await?,
            }
        };
        let mut detail = json!({
            "packageReferenceId": package_reference,
            "trackingNumber": shipment.tracking_number,
            "shipDate": shipment.shipped_at.to_rfc3339(),
            "orderItems": items,
        });
        for (field, value) in &carrier {
            detail[*field] = json!(value);
        }
        let body = json!({
            "marketplaceId": account.marketplace_id,
            "packageDetail": detail,
        });
        let call = Call {
            op: Operation::ConfirmShipment,
            method: Method::POST,
            path: format!("/orders/v0/orders/{id}/shipmentConfirmation"),
            query: Vec::new(),
            body: Some(&body),
        };
        match account.api.send_once(&call).await {
            Ok(_) => Ok(()),
            Err(ChannelError::Rejected(reason)) if already_confirmed(&reason) => Ok(()),
            Err(err) => Err(err),
        }
    })
    .await
}

/// `carrierCode` from Amazon's carrier codes, or `Other` with `carrierName`.
fn carrier_fields(account: &Account, carrier: &str) -> Vec<(&'static str, String)> {
    match account.carriers.resolve(carrier) {
        Ok(CarrierCode::Code(code)) => vec![("carrierCode", code)],
        Ok(CarrierCode::Other(name) | CarrierCode::Name(name)) if !name.is_empty() => {
            vec![("carrierCode", "Other".into()), ("carrierName", name)]
        }
        // No carrier at all: `Other` with the empty name Amazon will refuse, by name.
        _ => vec![
            ("carrierCode", "Other".into()),
            ("carrierName", carrier.trim().to_string()),
        ],
    }
}

/// Amazon's answer to a package reference id the order already has.
fn already_confirmed(reason: &str) -> bool {
    reason.to_ascii_lowercase().contains("already")
}

fn carries_tracking(order: &Value, tracking_number: &str) -> bool {
    order
        .get("packages")
        .and_then(Value::as_array)
        .is_some_and(|packages| {
            packages
                .iter()
                .any(|p| p.get("trackingNumber").and_then(Value::as_str) == Some(tracking_number))
        })
}

/// Every line in full, for a shipment that names no lines.
fn items_2026(order: &Value) -> Vec<Value> {
    order
        .get("orderItems")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|item| {
            Some(json!({
                "orderItemId": item.get("orderItemId")?.as_str()?,
                "quantity": item.get("quantityOrdered")?.as_u64()?,
            }))
        })
        .collect()
}

async fn items_v0(account: &Account, id: &str) -> Result<Vec<Value>, ChannelError> {
    let body = account
        .api
        .send(&Call::get(
            Operation::GetOrderItems,
            format!("/orders/v0/orders/{id}/orderItems"),
            Vec::new(),
        ))
        .await?;
    Ok(body
        .pointer("/payload/OrderItems")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|item| {
            Some(json!({
                "orderItemId": item.get("OrderItemId")?.as_str()?,
                "quantity": item.get("QuantityOrdered")?.as_u64()?,
            }))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_references_are_stable_positive_numbers() {
        let a = package_reference_id("shipment-1");
        assert_eq!(a, package_reference_id("shipment-1"));
        assert_ne!(a, package_reference_id("shipment-2"));
        let n: u64 = a.parse().expect("numeric");
        assert!((1..=999_999_999_999).contains(&n));
    }

    #[test]
    fn a_package_with_the_tracking_number_means_done() {
        let order = json!({"packages": [{"trackingNumber": "1Z1"}]});
        assert!(carries_tracking(&order, "1Z1"));
        assert!(!carries_tracking(&order, "1Z2"));
        assert!(!carries_tracking(&json!({}), "1Z1"));
    }
}
