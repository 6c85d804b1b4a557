//! One order in the composed shape the normalizer reads: the V2 order with its products and
//! shipping addresses embedded as arrays. V2 only links them (`{url, resource}`), so it takes
//! three calls; the poller and the thin-webhook fetcher both store this shape.

use serde_json::Value;
use switchyard_core::ports::{ChannelError, RawOrder};

use super::client::{BcClient, list};
use super::dedup::{dedup_key, order_id};

/// `RawOrder::format` of a composed V2 order.
pub const FORMAT: &str = "v2";
/// V2's largest page for sub-resources.
const SUB_LIMIT: usize = 250;

/// `GET /v2/orders/{id}` and its sub-resources; `None` when the store has no such order.
pub async fn fetch(client: &BcClient, id: u64) -> Result<Option<Value>, ChannelError> {
    let Some(order) = client.get(&format!("v2/orders/{id}"), &[]).await? else {
        return Ok(None);
    };
    if !order.is_object() {
        return Err(ChannelError::Decode(format!(
            "order {id} is not a JSON object"
        )));
    }
    compose(client, order).await.map(Some)
}

/// Embeds products and shipping addresses into an order from the list or single-order answer.
pub async fn compose(client: &BcClient, mut order: Value) -> Result<Value, ChannelError> {
    let id = order
        .get("id")
        .and_then(Value::as_u64)
        .ok_or_else(|| ChannelError::Decode("order without a numeric id".into()))?;
    let products = sub_resource(client, id, "products").await?;
    let addresses = sub_resource(client, id, "shipping_addresses").await?;
    if let Some(object) = order.as_object_mut() {
        object.insert("products".into(), Value::Array(products));
        object.insert("shipping_addresses".into(), Value::Array(addresses));
    }
    Ok(order)
}

/// Pages through `/v2/orders/{id}/{what}` (orders rarely have more than one page).
async fn sub_resource(client: &BcClient, id: u64, what: &str) -> Result<Vec<Value>, ChannelError> {
    let path = format!("v2/orders/{id}/{what}");
    let mut out = Vec::new();
    for page in 1.. {
        let query = [("limit", SUB_LIMIT.to_string()), ("page", page.to_string())];
        let body = client.get(&path, &query).await?.unwrap_or(Value::Null);
        let items = list(&body, &path)?;
        out.extend(items.iter().cloned());
        if items.len() < SUB_LIMIT {
            break;
        }
    }
    Ok(out)
}

/// The inbox entry for a composed order.
pub fn raw(order: &Value, topic: &str) -> Result<RawOrder, ChannelError> {
    let body = serde_json::to_vec(order).map_err(|e| ChannelError::Decode(e.to_string()))?;
    Ok(RawOrder {
        format: FORMAT.into(),
        external_id: order_id(order),
        dedup_key: dedup_key(Some(order), &body),
        topic: topic.into(),
        body,
    })
}

/// Order ids are numbers; refusing anything else keeps the URL path clean.
pub fn parse_id(text: &str) -> Result<u64, ChannelError> {
    text.trim()
        .parse()
        .map_err(|_| ChannelError::Rejected(format!("`{text}` is not a BigCommerce order id")))
}
