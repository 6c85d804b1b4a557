//! Reading orders: `searchOrders`/`getOrder` of Orders API 2026-01-01, or for accounts not yet
//! migrated the v0 trio `getOrders`/`getOrder` + `getOrderItems` + `getOrderAddress`, stored as
//! the composite `{"Order", "OrderItems", "ShippingAddress"}` that the normalizer reads. The v0
//! address is read with a Restricted Data Token (Tokens API), the only way v0 gives the ship-to
//! name, street and phone.

use chrono::{DateTime, Duration as Span, Utc};
use serde_json::{Value, json};
use switchyard_core::ports::{ChannelError, PollCursor, PollPage, RawOrder};

use super::client::Call;
use super::dedup::{dedup_key, order_id};
use super::normalize::version_of;
use super::operations::Operation;
use super::{Account, ApiVersion};

/// Largest page either API returns.
pub const PAGE_SIZE: usize = 100;
/// `RawOrder::format` of each stored shape.
pub const FORMAT_2026: &str = "orders-2026-01-01";
pub const FORMAT_V0: &str = "orders-v0-composite";
/// A first sweep (no cursor yet) reaches back this far; Amazon keeps two years at most.
const FIRST_SWEEP: i64 = 30;
/// What `getOrder` and `searchOrders` should include: everything the normalizer reads.
const INCLUDED_DATA: &str = "BUYER,RECIPIENT,PROCEEDS,FULFILLMENT";

pub async fn poll(account: &Account, cursor: &PollCursor) -> Result<PollPage, ChannelError> {
    match account.version {
        ApiVersion::V2026 => poll_2026(account, cursor).await,
        ApiVersion::V0 => poll_v0(account, cursor).await,
    }
}

pub async fn fetch(account: &Account, id: &str) -> Result<Option<RawOrder>, ChannelError> {
    let found = match account.version {
        ApiVersion::V2026 => get_order_2026(account, id, INCLUDED_DATA).await?,
        ApiVersion::V0 => match get_order_v0(account, id).await? {
            Some(order) => Some(composite(account, order).await?),
            None => None,
        },
    };
    Ok(found.map(|value| raw(account.version, &value, "fetch")))
}

/// 2026 `getOrder` with the given datasets; the bare order object, `None` when unknown.
pub async fn get_order_2026(
    account: &Account,
    id: &str,
    included: &str,
) -> Result<Option<Value>, ChannelError> {
    let call = Call::get(
        Operation::GetOrder,
        format!("/orders/2026-01-01/orders/{}", path_segment(id)?),
        vec![("includedData", included.to_string())],
    );
    match account.api.send(&call).await {
        Ok(body) => Ok(Some(body.get("order").cloned().ok_or_else(|| {
            ChannelError::Decode("getOrder response has no `order`".into())
        })?)),
        Err(ChannelError::Http { status: 404, .. }) => Ok(None),
        Err(err) => Err(err),
    }
}

async fn poll_2026(account: &Account, cursor: &PollCursor) -> Result<PollPage, ChannelError> {
    let mut query = vec![
        ("marketplaceIds", account.marketplace_id.clone()),
        ("lastUpdatedAfter", since(cursor)),
        ("maxResultsPerPage", PAGE_SIZE.to_string()),
        ("includedData", INCLUDED_DATA.to_string()),
    ];
    if let Some(token) = &cursor.page {
        query.push(("paginationToken", token.clone()));
    }
    let call = Call::get(
        Operation::SearchOrders,
        "/orders/2026-01-01/orders".into(),
        query,
    );
    let body = account.api.send(&call).await?;
    let orders = list(&body, "orders")?;
    let next = body
        .pointer("/pagination/nextToken")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    Ok(page(ApiVersion::V2026, orders.to_vec(), next))
}

async fn poll_v0(account: &Account, cursor: &PollCursor) -> Result<PollPage, ChannelError> {
    // With a NextToken, Amazon ignores every other filter but the marketplace.
    let mut query = vec![("MarketplaceIds", account.marketplace_id.clone())];
    match &cursor.page {
        Some(token) => query.push(("NextToken", token.clone())),
        None => {
            query.push(("LastUpdatedAfter", since(cursor)));
            query.push(("MaxResultsPerPage", PAGE_SIZE.to_string()));
        }
    }
    let call = Call::get(Operation::GetOrders, "/orders/v0/orders".into(), query);
    let body = account.api.send(&call).await?;
    let payload = body.get("payload").unwrap_or(&Value::Null);
    let mut orders = Vec::new();
    for order in list(payload, "Orders")? {
        orders.push(composite(account, order.clone()).await?);
    }
    let next = payload
        .get("NextToken")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    Ok(page(ApiVersion::V0, orders, next))
}

async fn get_order_v0(account: &Account, id: &str) -> Result<Option<Value>, ChannelError> {
    let call = Call::get(
        Operation::GetOrderV0,
        format!("/orders/v0/orders/{}", path_segment(id)?),
        Vec::new(),
    );
    match account.api.send(&call).await {
        Ok(body) => Ok(Some(body.get("payload").cloned().ok_or_else(|| {
            ChannelError::Decode("v0 getOrder response has no `payload`".into())
        })?)),
        Err(ChannelError::Http { status: 404, .. }) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Completes a v0 order with its items (every page) and its shipping address.
async fn composite(account: &Account, order: Value) -> Result<Value, ChannelError> {
    let id = order_id(&json!({ "Order": order }))
        .ok_or_else(|| ChannelError::Decode("v0 order without AmazonOrderId".into()))?;
    let segment = path_segment(&id)?;
    let mut items = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let query = next
            .take()
            .map(|t| vec![("NextToken", t)])
            .unwrap_or_default();
        let call = Call::get(
            Operation::GetOrderItems,
            format!("/orders/v0/orders/{segment}/orderItems"),
            query,
        );
        let body = account.api.send(&call).await?;
        let payload = body.get("payload").unwrap_or(&Value::Null);
        items.extend(list(payload, "OrderItems")?.iter().cloned());
        next = payload
            .get("NextToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    let call = Call::get(
        Operation::GetOrderAddress,
        format!("/orders/v0/orders/{segment}/address"),
        Vec::new(),
    );
    // Name, street and phone come only with a Restricted Data Token. Without one (the app lacks
    // Amazon's PII role) the order still comes in, to hold its stock, with what a plain token
    // shows (city, region, postal code, country).
    let answer = match account.api.send_restricted(&call).await {
        Err(ChannelError::Auth(why)) => {
            tracing::warn!(
                order = %id,
                %why,
                "no Restricted Data Token: the ship-to name, street and phone stay with Amazon"
            );
            account.api.send(&call).await
        }
        other => other,
    };
    let address = match answer {
        Ok(body) => body
            .pointer("/payload/ShippingAddress")
            .cloned()
            .unwrap_or(Value::Null),
        // FBA and cancelled orders may have no address to give.
        Err(ChannelError::Http { status: 404, .. }) => Value::Null,
        Err(err) => return Err(err),
    };
    Ok(json!({"Order": order, "OrderItems": items, "ShippingAddress": address}))
}

fn page(version: ApiVersion, orders: Vec<Value>, next_page: Option<String>) -> PollPage {
    let mut max_updated_at: Option<DateTime<Utc>> = None;
    let orders = orders
        .iter()
        .map(|order| {
            if let Some(at) = version_of(order).and_then(|v| v.updated_at) {
                max_updated_at = max_updated_at.max(Some(at));
            }
            raw(version, order, "poll")
        })
        .collect();
    PollPage {
        orders,
        max_updated_at,
        next_page,
    }
}

fn raw(version: ApiVersion, order: &Value, topic: &str) -> RawOrder {
    let body = serde_json::to_vec(order).unwrap_or_default();
    RawOrder {
        format: match version {
            ApiVersion::V2026 => FORMAT_2026,
            ApiVersion::V0 => FORMAT_V0,
        }
        .into(),
        external_id: order_id(order),
        dedup_key: dedup_key(Some(order), &body),
        topic: topic.into(),
        body,
    }
}

fn since(cursor: &PollCursor) -> String {
    cursor
        .since
        .unwrap_or_else(|| Utc::now() - Span::days(FIRST_SWEEP))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn list<'a>(body: &'a Value, key: &str) -> Result<&'a Vec<Value>, ChannelError> {
    body.get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| ChannelError::Decode(format!("response has no `{key}` list")))
}

/// Amazon ids are `123-1234567-1234567`; anything that could leave the path segment is refused.
pub fn path_segment(id: &str) -> Result<&str, ChannelError> {
    let id = id.trim();
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        Ok(id)
    } else {
        Err(ChannelError::Rejected(format!(
            "`{id}` is not an Amazon order id"
        )))
    }
}
