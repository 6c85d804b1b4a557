//! Large stock batches as one `JSON_LISTINGS_FEED`: create a feed document, upload the JSON to
//! its pre-signed URL, create the feed, wait for Amazon to process it, then read the processing
//! report, whose ERROR issues (per `messageId`) reject single SKUs.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, ListingLevel, PushReport};

use super::Account;
use super::client::Call;
use super::operations::Operation;
use super::stock::quantity_patch;
use crate::http::{check_status, transport, with_retry};

const CONTENT_TYPE: &str = "application/json; charset=UTF-8";
const FEED_TYPE: &str = "JSON_LISTINGS_FEED";
/// First wait between `getFeed` polls; doubles up to [`MAX_POLL_WAIT`].
const FIRST_POLL_WAIT: Duration = Duration::from_millis(250);
const MAX_POLL_WAIT: Duration = Duration::from_secs(30);
/// Amazon usually processes a feed within minutes; past this the push is given up and retried.
const PROCESSING_DEADLINE: Duration = Duration::from_secs(60 * 60);

pub async fn push(
    account: &Account,
    levels: &[&ListingLevel],
    report: &mut PushReport,
) -> Result<(), ChannelError> {
    let (document, skus_by_message) = feed_document(&account.seller_id, levels);
    let content = serde_json::to_vec(&document).map_err(|e| ChannelError::Decode(e.to_string()))?;

    let body = json!({"contentType": CONTENT_TYPE});
    let created = account
        .api
        .send(&Call {
            op: Operation::CreateFeedDocument,
            method: Method::POST,
            path: "/feeds/2021-06-30/documents".into(),
            query: Vec::new(),
            body: Some(&body),
        })
        .await?;
    let document_id = field(&created, "feedDocumentId")?;
    let upload_url = field(&created, "url")?;
    upload(account, &upload_url, &content).await?;

    let body = json!({
        "feedType": FEED_TYPE,
        "marketplaceIds": [account.marketplace_id],
        "inputFeedDocumentId": document_id,
    });
    let feed = account
        .api
        .send(&Call {
            op: Operation::CreateFeed,
            method: Method::POST,
            path: "/feeds/2021-06-30/feeds".into(),
            query: Vec::new(),
            body: Some(&body),
        })
        .await?;
    let feed_id = field(&feed, "feedId")?;
    let finished = wait_for(account, &feed_id).await?;
    let status = finished
        .get("processingStatus")
        .and_then(Value::as_str)
        .unwrap_or("");
    let Some(result_id) = finished.get("resultFeedDocumentId").and_then(Value::as_str) else {
        let reason = format!("feed {feed_id} ended {status} without a processing report");
        report.rejected.extend(
            skus_by_message
                .values()
                .map(|sku| (sku.clone(), reason.clone())),
        );
        return Ok(());
    };
    let processing_report = download_report(account, result_id).await?;
    if status == "DONE" {
        apply_report(&processing_report, &skus_by_message, report);
    } else {
        let reason = format!(
            "feed {feed_id} ended {status}: {}",
            summary(&processing_report)
        );
        report.rejected.extend(
            skus_by_message
                .values()
                .map(|sku| (sku.clone(), reason.clone())),
        );
    }
    Ok(())
}

/// The feed (listings feed schema v2, `PATCH` messages) and which SKU each message id carries.
pub fn feed_document(seller_id: &str, levels: &[&ListingLevel]) -> (Value, BTreeMap<u64, String>) {
    let mut skus = BTreeMap::new();
    let messages: Vec<Value> = levels
        .iter()
        .zip(1u64..)
        .map(|(level, message_id)| {
            skus.insert(message_id, level.sku.clone());
            json!({
                "messageId": message_id,
                "sku": level.sku,
                "operationType": "PATCH",
                "productType": "PRODUCT",
                "patches": quantity_patch(level.quantity),
            })
        })
        .collect();
    let document = json!({
        "header": {"sellerId": seller_id, "version": "2.0", "issueLocale": "en_US"},
        "messages": messages,
    });
    (document, skus)
}

/// ERROR issues reject their message's SKU; every other SKU in the feed was applied.
pub fn apply_report(
    processing_report: &Value,
    skus_by_message: &BTreeMap<u64, String>,
    report: &mut PushReport,
) {
    let mut errors: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for issue in processing_report
        .get("issues")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if issue.get("severity").and_then(Value::as_str) != Some("ERROR") {
            continue;
        }
        let Some(message_id) = issue.get("messageId").and_then(Value::as_u64) else {
            continue;
        };
        let text = |k: &str| issue.get(k).and_then(Value::as_str).unwrap_or("");
        errors.entry(message_id).or_default().push(format!(
            "{}: {}",
            text("code"),
            text("message")
        ));
    }
    let mut rejected = BTreeSet::new();
    for (message_id, reasons) in errors {
        if let Some(sku) = skus_by_message.get(&message_id) {
            rejected.insert(message_id);
            report.rejected.push((sku.clone(), reasons.join("; ")));
        }
    }
    report.applied.extend(
        skus_by_message
            .iter()
            .filter(|(id, _)| !rejected.contains(id))
            .map(|(_, sku)| sku.clone()),
    );
}

fn summary(processing_report: &Value) -> String {
    processing_report
        .get("summary")
        .map(Value::to_string)
        .unwrap_or_else(|| "no summary".into())
}

async fn upload(account: &Account, url: &str, content: &[u8]) -> Result<(), ChannelError> {
    with_retry(account.api.retry_policy(), "feed upload", || async {
        let response = account
            .api
            .http()
            .put(url)
            .header("content-type", CONTENT_TYPE)
            .body(content.to_vec())
            .send()
            .await
            .map_err(transport)?;
        check_status(response).await.map(drop)
    })
    .await
}

async fn wait_for(account: &Account, feed_id: &str) -> Result<Value, ChannelError> {
    let started = Instant::now();
    let mut wait = FIRST_POLL_WAIT;
    loop {
        tokio::time::sleep(wait).await;
        let feed = account
            .api
            .send(&Call::get(
                Operation::GetFeed,
                format!(
                    "/feeds/2021-06-30/feeds/{}",
                    super::listings::encode_segment(feed_id)
                ),
                Vec::new(),
            ))
            .await?;
        match feed.get("processingStatus").and_then(Value::as_str) {
            Some("DONE" | "FATAL" | "CANCELLED") => return Ok(feed),
            Some("IN_QUEUE" | "IN_PROGRESS") => {}
            other => {
                return Err(ChannelError::Decode(format!(
                    "feed {feed_id} has processing status {other:?}"
                )));
            }
        }
        if started.elapsed() > PROCESSING_DEADLINE {
            return Err(ChannelError::Transport(format!(
                "feed {feed_id} still processing after {PROCESSING_DEADLINE:?}"
            )));
        }
        wait = (wait * 2).min(MAX_POLL_WAIT);
    }
}

async fn download_report(account: &Account, document_id: &str) -> Result<Value, ChannelError> {
    let document = account
        .api
        .send(&Call::get(
            Operation::GetFeedDocument,
            format!(
                "/feeds/2021-06-30/documents/{}",
                super::listings::encode_segment(document_id)
            ),
            Vec::new(),
        ))
        .await?;
    if let Some(algorithm) = document.get("compressionAlgorithm").and_then(Value::as_str) {
        return Err(ChannelError::Decode(format!(
            "processing report compressed with {algorithm}, which this connector does not read"
        )));
    }
    let url = field(&document, "url")?;
    with_retry(account.api.retry_policy(), "processing report", || async {
        let response = account
            .api
            .http()
            .get(&url)
            .send()
            .await
            .map_err(transport)?;
        check_status(response)
            .await?
            .json::<Value>()
            .await
            .map_err(transport)
    })
    .await
}

fn field(body: &Value, key: &str) -> Result<String, ChannelError> {
    match body.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(ChannelError::Decode(format!("response has no `{key}`"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(sku: &str, quantity: i64) -> ListingLevel {
        ListingLevel {
            sku: sku.into(),
            reference: json!({"sku": sku}),
            quantity,
            expected_current: None,
        }
    }

    #[test]
    fn the_feed_numbers_messages_and_patches_absolute_quantities() {
        let (a, b) = (level("A", 3), level("B", -2));
        let (doc, skus) = feed_document("S1", &[&a, &b]);
        assert_eq!(doc["header"]["version"], "2.0");
        assert_eq!(doc["messages"][1]["messageId"], 2);
        assert_eq!(doc["messages"][1]["operationType"], "PATCH");
        assert_eq!(
            doc["messages"][1]["patches"][0]["value"][0]["quantity"], 0,
            "never a negative level"
        );
        assert_eq!(skus.get(&1).map(String::as_str), Some("A"));
    }

    #[test]
    fn error_issues_reject_their_sku_and_warnings_do_not() {
        let skus: BTreeMap<u64, String> = [
            (1, "A".to_string()),
            (2, "B".to_string()),
            (3, "C".to_string()),
        ]
        .into();
        let processing = json!({"issues": [
            {"messageId": 2, "sku": "B", "code": "90220", "severity": "ERROR", "message": "first"},
            {"messageId": 2, "sku": "B", "code": "90221", "severity": "ERROR", "message": "second"},
            {"messageId": 3, "sku": "C", "code": "18448", "severity": "WARNING", "message": "meh"},
            {"messageId": 99, "severity": "ERROR", "message": "not ours"}
        ]});
        let mut report = PushReport::default();
        apply_report(&processing, &skus, &mut report);
        assert_eq!(report.applied, vec!["A".to_string(), "C".to_string()]);
        assert_eq!(report.rejected.len(), 1);
        assert_eq!(report.rejected[0].0, "B");
        assert!(report.rejected[0].1.contains("90220: first; 90221: second"));
    }
}
