//! Absolute stock levels. Walmart allows about 10 bulk inventory feeds an hour, so levels go in
//! as few feeds as possible: `POST /v3/feeds?feedType=inventory` with the whole batch as a JSON
//! feed file (`InventoryHeader.version` 1.4) in the `file` part of a `multipart/form-data` body
//! (the only body the spec's updateBulkInventory takes), then `GET /v3/feeds/{feedId}?includeDetails=true` until the
//! feed is PROCESSED or ERROR, reading each SKU's ingestion status. A batch of at most
//! [`SINGLE_UPDATE_MAX`] SKUs is not worth a feed from that small hourly allowance: it goes
//! through `PUT /v3/inventory?sku=` one SKU at a time (a separate, larger bucket) and is
//! applied at once. Walmart has no compare-and-set, so a level is simply set.
//!
//! Ship nodes: an account with one ship node needs no node named. With `ship_node` configured,
//! every write and read names it (`shipNode=` on single updates and reads, and the bulk feed
//! becomes `feedType=MP_INVENTORY`, version 1.5, each SKU with `shipNodes`). Without it, the
//! account's nodes are read once (`GET /v3/inventories`, the multi-node view) before the first
//! push; more than one node refuses the push with the nodes named, because a level set without
//! a node would land on Walmart's default node and over- or under-state the others.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, ListingLevel, PushReport};
use tokio::time::Instant;

use super::client::{Payload, WalmartClient, encode};
use super::throttle::Api;

/// Items per feed: well inside Walmart's 50,000-item, 5 MB inventory feed limit.
pub const MAX_BATCH: usize = 10_000;
/// Least time between pushes: about 10 feeds an hour (a bucket of 10) would be gone in five
/// seconds of busy selling at one feed per pass; 1.5 s apart they last 15 s, each carrying
/// everything that changed meanwhile, and the level still lands within about 2 s.
pub const MIN_PUSH_INTERVAL: Duration = Duration::from_millis(1500);
/// Batches this small use the single-item update instead of a feed: at one push per
/// [`MIN_PUSH_INTERVAL`], five singles a push stay within that bucket's 200 a minute, so a
/// steady trickle of changes never touches the feed allowance.
pub const SINGLE_UPDATE_MAX: usize = 5;
/// Item statuses per feed-status page (Walmart's maximum).
const DETAILS_PAGE: usize = 1000;

/// How patiently a feed is waited for (Walmart processes inventory feeds within ~30 minutes).
#[derive(Debug, Clone)]
pub struct FeedWait {
    pub first_check: Duration,
    pub longest_interval: Duration,
    pub give_up_after: Duration,
}

impl Default for FeedWait {
    fn default() -> Self {
        Self {
            first_check: Duration::from_millis(250),
            longest_interval: Duration::from_secs(30),
            give_up_after: Duration::from_secs(45 * 60),
        }
    }
}

/// The account's ship nodes as far as inventory goes: the configured one, or a one-time check
/// that the account has no more than one.
#[derive(Debug, Default)]
pub struct ShipNodes {
    configured: Option<String>,
    /// Outcome of the one-time check (kept once it has an answer; a failed read is retried).
    checked: tokio::sync::OnceCell<Result<(), String>>,
}

/// Items per page of `GET /v3/inventories` (Walmart's maximum).
const NODES_PAGE: usize = 50;

impl ShipNodes {
    pub fn new(configured: Option<String>) -> Self {
        Self {
            configured: configured
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty()),
            checked: tokio::sync::OnceCell::new(),
        }
    }

    pub fn configured(&self) -> Option<&str> {
        self.configured.as_deref()
    }

    /// `&shipNode=…` for single-item calls, or nothing.
    pub fn query(&self) -> String {
        self.configured
            .as_deref()
            .map(|n| format!("&shipNode={}", encode(n)))
            .unwrap_or_default()
    }

    /// Ok when levels may be written: a node is configured, or the account has at most one.
    pub async fn ready(&self, client: &WalmartClient) -> Result<(), ChannelError> {
        if self.configured.is_some() {
            return Ok(());
        }
        let verdict = self
            .checked
            .get_or_try_init(|| async {
                let path = format!("/v3/inventories?limit={NODES_PAGE}");
                let body = client
                    .call(Api::Inventory, Method::GET, &path, None)
                    .await?;
                let nodes = node_ids(&body);
                Ok::<_, ChannelError>(if nodes.len() > 1 {
                    Err(format!(
                        "this Walmart account has ship nodes {}: set the channel's `ship_node` \
                         to the node Switchyard's stock is for",
                        nodes.join(", ")
                    ))
                } else {
                    Ok(())
                })
            })
            .await?;
        verdict.clone().map_err(ChannelError::Rejected)
    }
}

/// Distinct ship node ids in a `GET /v3/inventories` page, sorted.
fn node_ids(body: &Value) -> Vec<String> {
    let mut nodes: Vec<String> = body
        .pointer("/elements/inventories")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|item| item.get("nodes").and_then(Value::as_array))
        .flatten()
        .filter_map(|node| node.get("shipNode").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    nodes.sort();
    nodes.dedup();
    nodes
}

pub async fn push(
    client: &WalmartClient,
    wait: &FeedWait,
    nodes: &ShipNodes,
    batch: &[ListingLevel],
) -> Result<PushReport, ChannelError> {
    nodes.ready(client).await?;
    if batch.len() <= SINGLE_UPDATE_MAX {
        return push_singly(client, nodes, batch).await;
    }
    let mut report = PushReport::default();
    for chunk in batch.chunks(MAX_BATCH) {
        push_feed(client, wait, nodes, chunk, &mut report).await?;
    }
    Ok(report)
}

/// The SKU to address: the reference's, else the level's own.
fn walmart_sku(level: &ListingLevel) -> String {
    level
        .reference
        .get("sku")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(&level.sku)
        .to_string()
}

fn quantity(level: &ListingLevel) -> Value {
    json!({ "unit": "EACH", "amount": level.quantity.max(0) })
}

async fn push_singly(
    client: &WalmartClient,
    nodes: &ShipNodes,
    batch: &[ListingLevel],
) -> Result<PushReport, ChannelError> {
    let mut report = PushReport::default();
    for level in batch {
        let sku = walmart_sku(level);
        let body = json!({ "sku": sku, "quantity": quantity(level) });
        let path = format!("/v3/inventory?sku={}{}", encode(&sku), nodes.query());
        match client
            .call(Api::Inventory, Method::PUT, &path, Some(&body))
            .await
        {
            Ok(_) => report.applied.push(level.sku.clone()),
            Err(ChannelError::Rejected(why)) => report.rejected.push((level.sku.clone(), why)),
            Err(ChannelError::Http { status: 404, body }) => report.rejected.push((
                level.sku.clone(),
                super::errors::walmart_error(&body).unwrap_or_else(|| "SKU not found".into()),
            )),
            Err(err) => return Err(err),
        }
    }
    Ok(report)
}

/// The feed file and its `feedType`: inventory 1.4 for a single-node account, MP_INVENTORY 1.5
/// naming the configured node otherwise.
fn feed_file(nodes: &ShipNodes, chunk: &[ListingLevel]) -> (&'static str, Value) {
    match nodes.configured() {
        None => {
            let items: Vec<Value> = chunk
                .iter()
                .map(|level| json!({ "sku": walmart_sku(level), "quantity": quantity(level) }))
                .collect();
            (
                "inventory",
                json!({ "InventoryHeader": { "version": "1.4" }, "Inventory": items }),
            )
        }
        Some(node) => {
            let items: Vec<Value> = chunk
                .iter()
                .map(|level| {
                    json!({
                        "sku": walmart_sku(level),
                        "shipNodes": [{ "shipNode": node, "quantity": quantity(level) }],
                    })
                })
                .collect();
            (
                "MP_INVENTORY",
                json!({ "inventoryHeader": { "version": "1.5" }, "inventory": items }),
            )
        }
    }
}

async fn push_feed(
    client: &WalmartClient,
    wait: &FeedWait,
    nodes: &ShipNodes,
    chunk: &[ListingLevel],
    report: &mut PushReport,
) -> Result<(), ChannelError> {
    let (feed_type, feed) = feed_file(nodes, chunk);
    let file = serde_json::to_vec(&feed)
        .map_err(|e| ChannelError::Decode(format!("inventory feed: {e}")))?;
    // Absolute levels: a resubmission after a lost response sets the same numbers again.
    let response = client
        .call_with(
            Api::FeedSubmit,
            Method::POST,
            &format!("/v3/feeds?feedType={feed_type}"),
            Payload::File(&file),
        )
        .await?;
    let feed_id = response
        .get("feedId")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ChannelError::Decode("feed submission returned no feedId".into()))?
        .to_string();
    let status = wait_until_done(client, wait, &feed_id).await?;
    if status.get("feedStatus").and_then(Value::as_str) == Some("ERROR") {
        let why = format!(
            "feed {feed_id} failed: {}",
            errors_text(status.get("ingestionErrors"))
        );
        for level in chunk {
            report.rejected.push((level.sku.clone(), why.clone()));
        }
        return Ok(());
    }
    let outcomes = item_outcomes(client, &feed_id, &status).await?;
    for level in chunk {
        match outcomes.get(&walmart_sku(level)) {
            Some(Ok(())) => report.applied.push(level.sku.clone()),
            Some(Err(why)) => report.rejected.push((level.sku.clone(), why.clone())),
            None => report.rejected.push((
                level.sku.clone(),
                format!("missing from the report of feed {feed_id}"),
            )),
        }
    }
    Ok(())
}

fn status_path(feed_id: &str, offset: usize) -> String {
    format!(
        "/v3/feeds/{}?includeDetails=true&offset={offset}&limit={DETAILS_PAGE}",
        encode(feed_id)
    )
}

/// Polls the feed with a growing interval until PROCESSED or ERROR.
async fn wait_until_done(
    client: &WalmartClient,
    wait: &FeedWait,
    feed_id: &str,
) -> Result<Value, ChannelError> {
    let deadline = Instant::now() + wait.give_up_after;
    let mut interval = wait.first_check;
    loop {
        tokio::time::sleep(interval).await;
        let status = client
            .call(Api::FeedStatus, Method::GET, &status_path(feed_id, 0), None)
            .await?;
        match status.get("feedStatus").and_then(Value::as_str) {
            Some("PROCESSED" | "ERROR") => return Ok(status),
            Some("RECEIVED" | "INPROGRESS") | None => {}
            Some(other) => {
                return Err(ChannelError::Decode(format!(
                    "feed {feed_id} has unknown status `{other}`"
                )));
            }
        }
        if Instant::now() >= deadline {
            // Retryable: the levels are absolute, a later push sets them again.
            return Err(ChannelError::Transport(format!(
                "feed {feed_id} still processing after {:?}",
                wait.give_up_after
            )));
        }
        interval = (interval * 2).min(wait.longest_interval);
    }
}

/// SKU → applied or the reason it was refused, across every page of item details.
async fn item_outcomes(
    client: &WalmartClient,
    feed_id: &str,
    first: &Value,
) -> Result<HashMap<String, Result<(), String>>, ChannelError> {
    let received = first
        .get("itemsReceived")
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0);
    let mut outcomes = HashMap::new();
    let mut page = first.clone();
    let mut offset = 0;
    loop {
        let items = page
            .pointer("/itemDetails/itemIngestionStatus")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for item in &items {
            let Some(sku) = item.get("sku").and_then(Value::as_str) else {
                continue;
            };
            let outcome = match item.get("ingestionStatus").and_then(Value::as_str) {
                Some("SUCCESS") => Ok(()),
                status => Err(format!(
                    "{}: {}",
                    status.unwrap_or("UNKNOWN"),
                    errors_text(item.get("ingestionErrors"))
                )),
            };
            outcomes.insert(sku.to_string(), outcome);
        }
        offset += items.len();
        if items.is_empty() || offset >= received {
            return Ok(outcomes);
        }
        page = client
            .call(
                Api::FeedStatus,
                Method::GET,
                &status_path(feed_id, offset),
                None,
            )
            .await?;
    }
}

/// `{"ingestionError": [{"type", "code", "field", "description"}]}` as one line.
fn errors_text(errors: Option<&Value>) -> String {
    let list = errors
        .and_then(|e| e.get("ingestionError"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let parts: Vec<String> = list
        .iter()
        .map(|e| {
            let f = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("");
            format!("{} {}: {}", f("code"), f("field"), f("description"))
                .trim()
                .to_string()
        })
        .collect();
    if parts.is_empty() {
        "no reason given".into()
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ingestion_errors_read_as_one_line() {
        let errors = json!({"ingestionError": [
            {"type": "DATA_ERROR", "code": "ERR_X", "field": "sku", "description": "unknown SKU"}
        ]});
        assert_eq!(errors_text(Some(&errors)), "ERR_X sku: unknown SKU");
        assert_eq!(errors_text(None), "no reason given");
    }

    #[test]
    fn a_configured_node_makes_the_feed_multi_node() {
        let level = ListingLevel {
            sku: "A".into(),
            reference: json!({"sku": "A"}),
            quantity: 4,
            expected_current: None,
        };
        let (kind, feed) = feed_file(&ShipNodes::new(None), std::slice::from_ref(&level));
        assert_eq!(kind, "inventory");
        assert_eq!(feed["Inventory"][0]["quantity"]["amount"], 4);
        let nodes = ShipNodes::new(Some(" 1000005050 ".into()));
        let (kind, feed) = feed_file(&nodes, &[level]);
        assert_eq!(kind, "MP_INVENTORY");
        assert_eq!(feed["inventoryHeader"]["version"], "1.5");
        assert_eq!(
            feed["inventory"][0]["shipNodes"],
            json!([{"shipNode": "1000005050", "quantity": {"unit": "EACH", "amount": 4}}])
        );
        assert_eq!(nodes.query(), "&shipNode=1000005050");
        let page = json!({"elements": {"inventories": [
            {"sku": "A", "nodes": [{"shipNode": "2"}, {"shipNode": "1"}]},
            {"sku": "B", "nodes": [{"shipNode": "1"}]}
        ]}});
        assert_eq!(node_ids(&page), ["1", "2"]);
    }

    #[test]
    fn the_reference_sku_addresses_the_item() {
        let level = ListingLevel {
            sku: "LOCAL".into(),
            reference: json!({"sku": "WM-1"}),
            quantity: -3,
            expected_current: None,
        };
        assert_eq!(walmart_sku(&level), "WM-1");
        assert_eq!(quantity(&level), json!({"unit": "EACH", "amount": 0}));
    }
}
