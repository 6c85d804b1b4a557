//! What runs before every API route: the Bearer token (unknown or expired → 401 errorId 1001;
//! an application token on a Sell API → 403), then the API's call quota for the current window
//! (spent → 429 errorId 2001, without `Retry-After`, as eBay does), then the request count.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

use super::Shared;
use super::errors::{ebay_error, invalid_token, quota_exhausted};
use super::store::TokenKind;

/// The API a path belongs to: quotas are counted per API.
pub fn api_of(path: &str) -> &'static str {
    if path.starts_with("/sell/fulfillment/") {
        "sell.fulfillment"
    } else if path.starts_with("/sell/inventory/") {
        "sell.inventory"
    } else if path.starts_with("/post-order/") {
        "post-order"
    } else if path.starts_with("/commerce/notification/") {
        "commerce.notification"
    } else {
        "other"
    }
}

pub async fn guard(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let api = api_of(request.uri().path());
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        // The Post-Order API takes the same OAuth user token as `IAF <token>`.
        .and_then(|v| {
            if api == "post-order" {
                v.strip_prefix("IAF ")
            } else {
                v.strip_prefix("Bearer ")
            }
        })
        .map(|t| t.trim().to_string());
    let Some(token) = token else {
        return ebay_error(401, 1002, "OAuth", "Missing access token");
    };
    let kind = shared.with_store(|s| {
        s.tokens
            .get(&token)
            .filter(|(_, expires)| Instant::now() < *expires)
            .map(|(kind, _)| *kind)
    });
    let Some(kind) = kind else {
        return invalid_token();
    };
    if api == "post-order"
        && request
            .headers()
            .get("x-ebay-c-marketplace-id")
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| v.trim().is_empty())
    {
        return ebay_error(
            400,
            1002,
            "API_POSTORDER",
            "X-EBAY-C-MARKETPLACE-ID is required",
        );
    }
    if (api.starts_with("sell.") || api == "post-order") && kind != TokenKind::User {
        return ebay_error(
            403,
            1100,
            "ACCESS",
            "Access denied: insufficient permissions to fulfill the request.",
        );
    }
    if !shared.take_quota(api) {
        shared.with_store(|s| s.stats.throttled += 1);
        return quota_exhausted();
    }
    shared.with_store(|s| s.stats.requests += 1);
    next.run(request).await
}
