//! Tokens API `createRestrictedDataToken` (`POST /tokens/2021-03-01/restrictedDataToken`): a
//! Restricted Data Token for the listed `restrictedResources` (`method`, `path`, optional
//! `dataElements`), answered as `{restrictedDataToken, expiresIn}`. A path may name one order
//! (`/orders/v0/orders/902-…/address`) or every order with the literal `{orderId}`. Only the
//! Orders v0 operations that return PII are restricted; any other path is `InvalidInput`.
//!
//! The RDT goes in `x-amz-access-token` like an access token, but opens only its resources:
//! [`admit_restricted`] tells a restricted route whether the caller may see PII, and refuses an
//! RDT presented for anything else with Amazon's 403.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};
use std::time::Instant;

use super::Shared;
use super::auth::admit;
use super::errors::{Refused, answer, finish, invalid_input, refuse};
use super::limits::Plan;

/// How long an RDT works (Amazon: one hour).
pub const RDT_LIFETIME: Duration = Duration::from_secs(3600);

/// One restricted resource an RDT opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub method: String,
    pub path: String,
}

/// Restricted Orders v0 paths, `{orderId}` standing for any order id.
const RESTRICTED: [&str; 5] = [
    "/orders/v0/orders",
    "/orders/v0/orders/{orderId}",
    "/orders/v0/orders/{orderId}/address",
    "/orders/v0/orders/{orderId}/buyerInfo",
    "/orders/v0/orders/{orderId}/orderItems",
];

/// Whether `pattern` (with `{orderId}` or a concrete id) covers the concrete `path`.
fn covers(pattern: &str, path: &str) -> bool {
    let (p, q): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
    p.len() == q.len() && p.iter().zip(&q).all(|(a, b)| *a == "{orderId}" || a == b)
}

fn restricted(path: &str) -> bool {
    RESTRICTED.iter().any(|r| covers(r, path))
}

pub async fn create(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let operation = "createRestrictedDataToken";
    finish(
        shared.plan(operation),
        (|| {
            let plan = admit(&shared, &headers, operation)?;
            if !shared.config.pii_role {
                return Err(refuse(
                    403,
                    "Unauthorized",
                    "Access to requested resource is denied.",
                    "The application is not authorized for restricted data (PII role).",
                ));
            }
            let request: Value = serde_json::from_slice(&body)
                .map_err(|_| invalid_input("The request body is not valid JSON."))?;
            let list = request
                .get("restrictedResources")
                .and_then(Value::as_array)
                .filter(|l| !l.is_empty())
                .ok_or_else(|| invalid_input("restrictedResources is required."))?;
            let mut resources = Vec::new();
            for r in list {
                let method = r.get("method").and_then(Value::as_str).unwrap_or("");
                let path = r.get("path").and_then(Value::as_str).unwrap_or("");
                if !matches!(method, "GET" | "PUT" | "POST" | "DELETE") {
                    return Err(invalid_input(&format!("Invalid method {method}.")));
                }
                if !restricted(path) {
                    return Err(invalid_input(&format!(
                        "Application does not have access to one or more requested data elements: {path} is not a restricted resource."
                    )));
                }
                resources.push(Resource {
                    method: method.to_string(),
                    path: path.to_string(),
                });
            }
            let token = shared.with_store(|s| {
                let n = s.next();
                s.rdts_issued += 1;
                let token = format!("Atz.sprdt|sim-rdt-{n}");
                s.rdts
                    .insert(token.clone(), (Instant::now() + RDT_LIFETIME, resources));
                token
            });
            Ok(answer(
                plan,
                200,
                Some(json!({
                    "restrictedDataToken": token,
                    "expiresIn": RDT_LIFETIME.as_secs(),
                })),
            ))
        })(),
    )
}

/// Admits a call to a restricted operation: with an RDT that covers `GET path` → `(plan, true)`
/// (PII may be shown); with a plain access token → `(plan, false)`; an RDT that does not cover
/// the path, or has expired, is refused.
pub fn admit_restricted(
    shared: &Shared,
    headers: &HeaderMap,
    operation: &str,
    path: &str,
) -> Result<(Plan, bool), Refused> {
    let token = headers
        .get("x-amz-access-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some((until, resources)) = shared.with_store(|s| s.rdts.get(token).cloned()) else {
        return admit(shared, headers, operation).map(|plan| (plan, false));
    };
    if Instant::now() >= until {
        return Err(refuse(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
            "The Restricted Data Token you provided has expired.",
        ));
    }
    if !resources
        .iter()
        .any(|r| r.method == "GET" && covers(&r.path, path))
    {
        return Err(refuse(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
            "The Restricted Data Token does not cover this resource.",
        ));
    }
    // The RDT stands in for the access token; take from the bucket as any call does.
    let plan = shared.plan(operation);
    let admitted = shared.with_store(|s| {
        if s.buckets.take(operation, plan) {
            s.stats.requests += 1;
            *s.requests_by_operation
                .entry(operation.to_string())
                .or_default() += 1;
            true
        } else {
            s.stats.throttled += 1;
            false
        }
    });
    if !admitted {
        return Err(refuse(
            429,
            "QuotaExceeded",
            "You exceeded your quota for the requested resource.",
            "",
        ));
    }
    Ok((plan, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_and_concrete_paths_cover_orders() {
        assert!(covers(
            "/orders/v0/orders/{orderId}/address",
            "/orders/v0/orders/902-1-2/address"
        ));
        assert!(covers(
            "/orders/v0/orders/902-1-2/address",
            "/orders/v0/orders/902-1-2/address"
        ));
        assert!(!covers(
            "/orders/v0/orders/902-1-2/address",
            "/orders/v0/orders/902-1-3/address"
        ));
        assert!(!covers(
            "/orders/v0/orders/{orderId}",
            "/orders/v0/orders/1/address"
        ));
        assert!(restricted("/orders/v0/orders/{orderId}/buyerInfo"));
        assert!(!restricted("/feeds/2021-06-30/feeds"));
    }
}
