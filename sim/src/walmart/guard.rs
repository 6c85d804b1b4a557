//! What runs before every API route: Walmart's required headers, the access token
//! (`WM_SEC.ACCESS_TOKEN`, refused once expired), then the API's token bucket; the bucket's
//! state goes back on every response as `x-current-token-count` / `x-next-replenish-time`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tokio::time::Instant;

use super::Shared;
use super::buckets::{Api, Reading};
use super::errors::{unauthorized, walmart_error};

/// Which bucket a request draws from, by method and path.
pub fn classify(method: &Method, path: &str) -> Option<Api> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    Some(match (method, parts.as_slice()) {
        (&Method::POST, ["v3", "token"]) => Api::Token,
        (&Method::GET, ["v3", "orders"]) => Api::AllOrders,
        (&Method::GET, ["v3", "orders", "released"]) => Api::ReleasedOrders,
        (&Method::GET, ["v3", "orders", _]) => Api::OneOrder,
        (&Method::POST, ["v3", "orders", _, "acknowledge"]) => Api::Acknowledge,
        (&Method::POST, ["v3", "orders", _, "shipping"]) => Api::Shipping,
        (&Method::POST, ["v3", "orders", _, "cancel"]) => Api::Cancel,
        // Refunds are order writes too; they draw from the same bucket as shipping updates.
        (&Method::POST, ["v3", "orders", _, "refund"]) => Api::Shipping,
        (_, ["v3", "inventory"]) => Api::Inventory,
        (&Method::GET, ["v3", "inventories"]) => Api::Inventory,
        (_, ["v3", "inventories", _]) => Api::Inventory,
        (&Method::POST, ["v3", "feeds"]) => Api::FeedSubmit,
        (&Method::GET, ["v3", "feeds", _]) => Api::FeedStatus,
        _ => return None,
    })
}

/// Walmart's gateway refuses a call without its service name or correlation id.
pub fn missing_required_header(headers: &HeaderMap) -> Option<Response> {
    for name in ["wm_svc.name", "wm_qos.correlation_id"] {
        let present = headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| !v.trim().is_empty());
        if !present {
            return Some(walmart_error(
                400,
                "INVALID_REQUEST_HEADER.GMP_GATEWAY_API",
                name,
                &format!("Missing required header {}", name.to_uppercase()),
            ));
        }
    }
    None
}

/// Draws one call from `api`'s bucket, counting refusals.
pub fn draw(shared: &Shared, api: Api) -> Reading {
    let mut buckets = shared.buckets.lock().unwrap_or_else(|e| e.into_inner());
    let reading = buckets
        .entry(api)
        .or_insert_with(|| super::buckets::Bucket::new(shared.config.buckets.spec(api)))
        .take();
    drop(buckets);
    if !reading.allowed {
        shared.with_store(|s| s.stats.throttled += 1);
    }
    reading
}

pub fn with_bucket_headers(mut response: Response, reading: Reading) -> Response {
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&reading.remaining.to_string()) {
        headers.insert("x-current-token-count", v);
    }
    if let Ok(v) = HeaderValue::from_str(&reading.next_replenish_ms.to_string()) {
        headers.insert("x-next-replenish-time", v);
    }
    response
}

pub fn throttled(reading: Reading) -> Response {
    with_bucket_headers(
        walmart_error(
            429,
            "REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API",
            "REQUEST_THRESHOLD_VIOLATED",
            "Too many requests",
        ),
        reading,
    )
}

pub async fn guard(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let Some(api) = classify(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    if api == Api::Token {
        // The token endpoint checks its own (Basic) credentials.
        return next.run(request).await;
    }
    if let Some(refused) = missing_required_header(request.headers()) {
        return refused;
    }
    let token = request
        .headers()
        .get("wm_sec.access_token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let valid = shared.with_store(|s| {
        s.tokens
            .get(&token)
            .is_some_and(|expires| *expires > Instant::now())
    });
    if !valid {
        return unauthorized("Unauthorized token or token is expired");
    }
    let reading = draw(&shared, api);
    if !reading.allowed {
        return throttled(reading);
    }
    shared.with_store(|s| s.stats.requests += 1);
    let response = next.run(request).await;
    with_bucket_headers(response, reading)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_their_buckets() {
        assert_eq!(classify(&Method::GET, "/v3/orders"), Some(Api::AllOrders));
        assert_eq!(
            classify(&Method::GET, "/v3/orders/released"),
            Some(Api::ReleasedOrders)
        );
        assert_eq!(
            classify(&Method::GET, "/v3/orders/123"),
            Some(Api::OneOrder)
        );
        assert_eq!(
            classify(&Method::POST, "/v3/orders/123/shipping"),
            Some(Api::Shipping)
        );
        assert_eq!(
            classify(&Method::PUT, "/v3/inventory"),
            Some(Api::Inventory)
        );
        assert_eq!(
            classify(&Method::GET, "/v3/feeds/a@b"),
            Some(Api::FeedStatus)
        );
        assert_eq!(classify(&Method::GET, "/v3/nothing"), None);
    }
}
