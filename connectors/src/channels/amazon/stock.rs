//! Setting merchant-fulfilled quantities. A few SKUs go one `patchListingsItem` each (seconds
//! to apply); more go as one `JSON_LISTINGS_FEED` (minutes to process, but one call per
//! thousands of SKUs, where patches would take `n / 5` seconds at the default plan).
//! FBA quantities belong to Amazon and are never sent.

use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, ListingLevel, PushReport};

use super::Account;
use super::client::Call;
use super::feed;
use super::listings::{MERCHANT_CHANNEL, listing_path};
use super::operations::Operation;

/// Up to this many SKUs are patched one by one (4 s at 5 per second); more go by feed.
pub const PATCH_THRESHOLD: usize = 20;
/// Largest batch the hub hands over: well under the feed's 25,000 messages, so a report stays
/// small enough to read in one go.
pub const MAX_BATCH: usize = 10_000;

pub async fn push(account: &Account, batch: &[ListingLevel]) -> Result<PushReport, ChannelError> {
    let mut report = PushReport::default();
    let mut settable = Vec::new();
    for level in batch {
        match channel_code(&level.reference) {
            code if code == MERCHANT_CHANNEL => settable.push(level),
            code => report.rejected.push((
                level.sku.clone(),
                format!("fulfilled by Amazon ({code}): FBA stock is read-only"),
            )),
        }
    }
    if settable.len() <= PATCH_THRESHOLD {
        for level in settable {
            patch_one(account, level, &mut report).await?;
        }
    } else {
        feed::push(account, &settable, &mut report).await?;
    }
    Ok(report)
}

fn channel_code(reference: &Value) -> &str {
    reference
        .get("fulfillment_channel_code")
        .and_then(Value::as_str)
        .unwrap_or(MERCHANT_CHANNEL)
}

/// The JSON Patch that sets one merchant-fulfilled quantity (absolute, so safe to repeat).
pub fn quantity_patch(quantity: i64) -> Value {
    json!([{
        "op": "replace",
        "path": "/attributes/fulfillment_availability",
        "value": [{"fulfillment_channel_code": MERCHANT_CHANNEL, "quantity": quantity.max(0)}]
    }])
}

async fn patch_one(
    account: &Account,
    level: &ListingLevel,
    report: &mut PushReport,
) -> Result<(), ChannelError> {
    let body = json!({"productType": "PRODUCT", "patches": quantity_patch(level.quantity)});
    let call = Call {
        op: Operation::PatchListingsItem,
        method: reqwest::Method::PATCH,
        path: listing_path(account, &level.sku),
        query: vec![("marketplaceIds", account.marketplace_id.clone())],
        body: Some(&body),
    };
    match account.api.send(&call).await {
        Ok(response) => match response.get("status").and_then(Value::as_str) {
            Some("ACCEPTED") => report.applied.push(level.sku.clone()),
            status => report.rejected.push((
                level.sku.clone(),
                format!("{}: {}", status.unwrap_or("no status"), issues(&response)),
            )),
        },
        Err(ChannelError::Rejected(reason)) => report.rejected.push((level.sku.clone(), reason)),
        Err(ChannelError::Http { status: 404, body }) => {
            report.rejected.push((level.sku.clone(), body))
        }
        Err(err) => return Err(err),
    }
    Ok(())
}

/// `code: message` of every ERROR issue in a listings response.
fn issues(response: &Value) -> String {
    response
        .get("issues")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter(|i| i.get("severity").and_then(Value::as_str) == Some("ERROR"))
                .map(|i| {
                    let f = |k: &str| i.get(k).and_then(Value::as_str).unwrap_or("");
                    format!("{}: {}", f("code"), f("message"))
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}
