//! Conformance: every operation of every connector, driven against its simulator, checked on
//! both sides of the wire against the channel's own published specification in
//! `../shared/specs` (see its SOURCES.md). A deviation fails; a justified exception is an entry
//! in `allow.yaml` beside this file, with its reason and the documentation it rests on (an
//! entry that excuses nothing fails too). The output lists the operations covered per channel.
//!
//! Run: `cargo test -p switchyard-connectors --test conformance -- --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod drive;
mod graphql;
mod openapi;
mod schema;
mod specs;
mod woo;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;
use switchyard_sim::Exchange;
use switchyard_sim::record::Direction;

use openapi::{Issue, OpenApi, media_type, pairs};
use schema::SchemaDoc;

/// One deviation: where, which side, what.
#[derive(Debug, Clone)]
struct Finding {
    channel: &'static str,
    operation: String,
    side: &'static str,
    detail: String,
}

#[derive(Debug, Deserialize)]
struct AllowFile {
    errata: Vec<Erratum>,
    allow: Vec<Allowed>,
}

/// A correction to a published document, applied before checking.
#[derive(Debug, Clone, Deserialize)]
struct Erratum {
    file: String,
    pointer: String,
    value: Value,
    reason: String,
    docs: String,
}

#[derive(Debug, Deserialize)]
struct Allowed {
    channel: String,
    operation: String,
    side: String,
    contains: String,
    reason: String,
    docs: String,
}

/// What each channel is checked against (files under specs/).
struct Checkers {
    openapi: BTreeMap<&'static str, Vec<OpenApi>>,
    shopify: graphql::Shopify,
    woo: woo::Woo,
    order_change: SchemaDoc,
    listings_feed: SchemaDoc,
    listings_report: SchemaDoc,
    bc_webhooks: SchemaDoc,
}

const OPENAPI_FILES: &[(&str, &[&str])] = &[
    (
        "amazon",
        &[
            "amazon/orders_2026-01-01.json",
            "amazon/ordersV0.json",
            "amazon/listingsItems_2021-08-01.json",
            "amazon/feeds_2021-06-30.json",
        ],
    ),
    (
        "ebay",
        &[
            "ebay/sell_fulfillment_v1_oas3.json",
            "ebay/sell_inventory_v1_oas3.json",
        ],
    ),
    (
        "walmart",
        &[
            "walmart/raw_auth.json",
            "walmart/raw_orders.json",
            "walmart/raw_inventory.json",
            "walmart/raw_feeds.json",
        ],
    ),
    ("etsy", &["etsy/openapi.yaml"]),
    (
        "bigcommerce",
        &[
            "bigcommerce/orders.v2.oas2.yml",
            "bigcommerce/orders.v3.yml",
            "bigcommerce/product-variants_catalog.v3.yml",
            "bigcommerce/inventory.v3.yml",
        ],
    ),
    ("shipbob", &["shipbob/openapi-2026-01.json"]),
];

impl Checkers {
    fn load(dir: &Path, errata: &[Erratum]) -> Self {
        let mut openapi = BTreeMap::new();
        for (channel, files) in OPENAPI_FILES {
            let docs = files
                .iter()
                .map(|f| {
                    let mut doc = specs::load(dir, f);
                    for e in errata.iter().filter(|e| e.file == *f) {
                        let slot = doc.pointer_mut(&e.pointer).unwrap_or_else(|| {
                            panic!(
                                "allow.yaml erratum for {f}: {} is not in the document (remove it)",
                                e.pointer
                            )
                        });
                        *slot = e.value.clone();
                    }
                    OpenApi::new(f, doc)
                })
                .collect();
            openapi.insert(*channel, docs);
        }
        for e in errata {
            assert!(
                OPENAPI_FILES
                    .iter()
                    .any(|(_, files)| files.contains(&e.file.as_str())),
                "allow.yaml erratum for {} names a file the test does not read",
                e.file
            );
        }
        let docs: Vec<(&str, String)> = [
            "_orders.md",
            "_products.md",
            "_product-variations.md",
            "_order-notes.md",
        ]
        .iter()
        .map(|f| (*f, specs::text(dir, &format!("woocommerce/{f}"))))
        .collect();
        Self {
            openapi,
            shopify: graphql::Shopify::new(&specs::text(dir, "shopify/admin_2025-04.graphql")),
            woo: woo::Woo::new(&docs),
            order_change: SchemaDoc::new(
                "amazon/OrderChangeNotification.json",
                specs::load(dir, "amazon/OrderChangeNotification.json"),
                false,
            ),
            listings_feed: SchemaDoc::new(
                "amazon/listings-feed-schema-v2.json",
                specs::load(dir, "amazon/listings-feed-schema-v2.json"),
                false,
            ),
            listings_report: SchemaDoc::new(
                "amazon/listings-feed-processing-report-schema-v2.json",
                specs::load(dir, "amazon/listings-feed-processing-report-schema-v2.json"),
                false,
            ),
            bc_webhooks: SchemaDoc::new(
                "bigcommerce/webhooks.v3.yml",
                specs::load(dir, "bigcommerce/webhooks.v3.yml"),
                true,
            ),
        }
    }
}

fn issue(side: &'static str, detail: impl Into<String>) -> Issue {
    Issue {
        side,
        detail: detail.into(),
    }
}

/// OAuth 2.0 token endpoints with no OpenAPI on file (Amazon LWA, eBay, Etsy): RFC 6749
/// §4.4/§6 (form-encoded grant), §5.1 (answer) and §5.2 (error), as each channel documents.
fn check_oauth_token(ex: &Exchange) -> Vec<Issue> {
    let mut issues = Vec::new();
    let media = media_type(ex.request_header("content-type"));
    if media != "application/x-www-form-urlencoded" {
        issues.push(issue(
            "request",
            format!("content type {media:?}: token requests are form-encoded"),
        ));
    }
    let form = pairs(&String::from_utf8_lossy(&ex.request_body));
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    match field("grant_type") {
        Some("refresh_token") => {
            if field("refresh_token").is_none() {
                issues.push(issue(
                    "request",
                    "form refresh_token: required for grant_type=refresh_token",
                ));
            }
        }
        Some("client_credentials") | Some("authorization_code") => {}
        other => issues.push(issue(
            "request",
            format!("form grant_type: {other:?} is not an OAuth grant"),
        )),
    }
    let body: Value = serde_json::from_slice(&ex.response_body).unwrap_or(Value::Null);
    if ex.status == 200 {
        if !body.get("access_token").is_some_and(Value::is_string) {
            issues.push(issue("response", "body /access_token: required string"));
        }
        if !body.get("token_type").is_some_and(Value::is_string) {
            issues.push(issue("response", "body /token_type: required string"));
        }
        if !body.get("expires_in").is_some_and(|v| v.is_u64()) {
            issues.push(issue("response", "body /expires_in: integer seconds"));
        }
    } else if !body.get("error").is_some_and(Value::is_string) {
        issues.push(issue(
            "response",
            format!("status {}: error body needs `error`", ex.status),
        ));
    }
    issues
}

fn check_exchange(
    checkers: &Checkers,
    channel: &'static str,
    ex: &Exchange,
) -> (String, Vec<Issue>) {
    if ex.direction == Direction::Sent {
        return check_webhook(checkers, channel, ex);
    }
    match channel {
        "shopify" => return checkers.shopify.check(ex),
        "woocommerce" => return checkers.woo.check(ex),
        _ => {}
    }
    let path = ex.path.as_str();
    // Endpoints outside the API specs on file, each checked by its own documented rules.
    if matches!(
        path,
        "/auth/o2/token" | "/identity/v1/oauth2/token" | "/v3/public/oauth/token"
    ) {
        return (
            format!("{} {path} (OAuth token)", ex.method),
            check_oauth_token(ex),
        );
    }
    if channel == "amazon" && path == "/tokens/2021-03-01/restrictedDataToken" {
        return (
            format!("{} {path} (createRestrictedDataToken)", ex.method),
            check_rdt_request(ex),
        );
    }
    if channel == "ebay" && path == "/post-order/v2/return/search" {
        return (
            format!("{} {path} (Post-Order return search)", ex.method),
            check_post_order_return_search(ex),
        );
    }
    if channel == "ebay" && path.starts_with("/post-order/v2/cancellation") {
        return (
            format!("{} {path} (Post-Order cancellation)", ex.method),
            check_post_order_cancel(ex),
        );
    }
    if channel == "amazon" && path.starts_with("/sim-s3/") {
        return check_feed_document(checkers, ex);
    }
    let path = match channel {
        // The connector speaks ShipBob 2026-07; the newest published spec is 2026-01 (allow.yaml).
        "shipbob" => path.replacen("/2026-07/", "/2026-01/", 1),
        _ => path.to_string(),
    };
    for spec in &checkers.openapi[channel] {
        if let Some((_, op)) = spec.find(&ex.method, &path) {
            let label = format!(
                "{} {}{} ({})",
                op.method,
                spec.prefix().trim_end_matches('/'),
                op.path,
                op.id
            );
            return (label, spec.check(op, ex));
        }
    }
    let label = format!("{} {}", ex.method, generic_path(&path));
    (label, vec![issue("request", "operation not in the spec")])
}

/// eBay's Post-Order return search, by its published reference
/// (post-order/post-order_v2_return_search__get.html): `Authorization: IAF <token>` and
/// `X-EBAY-C-MARKETPLACE-ID`; documented query parameters only, `return_state` a
/// `ReturnCountFilterEnum` value, dates ISO 8601, `limit`/`offset` integers; the answer
/// `{countSummary, members[], paginationOutput, total}`, each member a `ReturnSummaryType`
/// with `returnId`, `orderId` and `creationInfo.item` {itemId, transactionId, returnQuantity}.
fn check_post_order_return_search(ex: &Exchange) -> Vec<Issue> {
    let mut issues = Vec::new();
    if ex.method != "GET" {
        issues.push(issue("request", "the return search is a GET"));
    }
    if !ex
        .request_header("authorization")
        .is_some_and(|a| a.starts_with("IAF ") || a.starts_with("TOKEN "))
    {
        issues.push(issue(
            "request",
            "Authorization must be `IAF <OAuth token>`",
        ));
    }
    if ex.request_header("x-ebay-c-marketplace-id").is_none() {
        issues.push(issue("request", "X-EBAY-C-MARKETPLACE-ID is required"));
    }
    let query = ex.query.as_deref().unwrap_or("");
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = v.replace("%3A", ":").replace("%2B", "+");
        match k {
            "return_state" => {
                let allowed = [
                    "ALL_OPEN",
                    "ALL_OPEN_REPLACEMENT",
                    "ALL_OPEN_RETURN",
                    "CLOSED",
                    "EBAY_PLUS",
                    "ITEM_DELIVERED",
                    "ITEM_SHIPPED",
                    "REPLACEMENT_CLOSED",
                    "REPLACEMENT_DELIVERED",
                    "REPLACEMENT_SHIPPED",
                    "REPLACEMENT_STARTED",
                    "RETURN_CLOSED",
                    "RETURN_STARTED",
                ];
                if !allowed.contains(&v.as_str()) {
                    issues.push(issue(
                        "request",
                        format!("return_state {v}: not a ReturnCountFilterEnum value"),
                    ));
                }
            }
            "creation_date_range_from" | "creation_date_range_to" => {
                if chrono::DateTime::parse_from_rfc3339(&v).is_err() {
                    issues.push(issue("request", format!("{k} {v}: not ISO 8601")));
                }
            }
            "limit" | "offset" => {
                if v.parse::<u32>().is_err() {
                    issues.push(issue("request", format!("{k} {v}: not an integer")));
                }
            }
            "item_id" | "order_id" | "return_id" | "role" | "sort" | "states"
            | "transaction_id" => {}
            other => issues.push(issue(
                "request",
                format!("query parameter {other}: not documented"),
            )),
        }
    }
    if ex.status == 200 {
        let answer: Value = serde_json::from_slice(&ex.response_body).unwrap_or(Value::Null);
        match answer.as_object() {
            Some(o) => {
                for k in o.keys().filter(|k| {
                    !["countSummary", "members", "paginationOutput", "total"].contains(&k.as_str())
                }) {
                    issues.push(issue(
                        "response",
                        format!("`{k}` is not in the documented type"),
                    ));
                }
            }
            None => issues.push(issue("response", "expected a JSON object")),
        }
        for m in answer
            .get("members")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let item = m.pointer("/creationInfo/item");
            if !m.get("returnId").is_some_and(Value::is_string)
                || !m.get("orderId").is_some_and(Value::is_string)
                || !item
                    .and_then(|i| i.get("itemId"))
                    .is_some_and(Value::is_string)
                || !item
                    .and_then(|i| i.get("transactionId"))
                    .is_some_and(Value::is_string)
                || !item
                    .and_then(|i| i.get("returnQuantity"))
                    .is_some_and(Value::is_u64)
            {
                issues.push(issue(
                    "response",
                    "a member lacks returnId, orderId or creationInfo.item {itemId, transactionId, returnQuantity}",
                ));
            }
        }
    }
    issues
}

/// eBay's Post-Order API (not among the specs on file), by its published reference:
/// `Authorization: IAF <token>` and `X-EBAY-C-MARKETPLACE-ID` on every call
/// (post-order/concepts/MakingACall.html); `POST /post-order/v2/cancellation` takes
/// `CreateCancelRequest` {legacyOrderId (required), cancelReason (a `CancelReasonEnum` value a
/// seller may give), buyerPaid, buyerPaidDate} and answers `CreateCancelResponse` {cancelId,
/// orderEligibilityResult {eligible, failureReason[], eligibleCancelReason[],
/// itemEligibilityResult[]}, warnings[]}; `GET /post-order/v2/cancellation/search` takes
/// `legacy_order_id` (and paging/date/state filters) and answers {cancellations[],
/// paginationOutput, total}.
fn check_post_order_cancel(ex: &Exchange) -> Vec<Issue> {
    let mut issues = Vec::new();
    if !ex
        .request_header("authorization")
        .is_some_and(|a| a.starts_with("IAF ") || a.starts_with("TOKEN "))
    {
        issues.push(issue(
            "request",
            "Authorization must be `IAF <OAuth token>`",
        ));
    }
    if ex.request_header("x-ebay-c-marketplace-id").is_none() {
        issues.push(issue("request", "X-EBAY-C-MARKETPLACE-ID is required"));
    }
    let answer: Value = serde_json::from_slice(&ex.response_body).unwrap_or(Value::Null);
    let only = |v: &Value, side: &'static str, allowed: &[&str], issues: &mut Vec<Issue>| {
        if let Some(o) = v.as_object() {
            for k in o.keys().filter(|k| !allowed.contains(&k.as_str())) {
                issues.push(issue(side, format!("`{k}` is not in the documented type")));
            }
        } else {
            issues.push(issue(side, "expected a JSON object"));
        }
    };
    match (ex.method.as_str(), ex.path.as_str()) {
        ("POST", "/post-order/v2/cancellation") => {
            let body: Value = serde_json::from_slice(&ex.request_body).unwrap_or(Value::Null);
            only(
                &body,
                "request",
                &[
                    "legacyOrderId",
                    "cancelReason",
                    "buyerPaid",
                    "buyerPaidDate",
                ],
                &mut issues,
            );
            if !body.get("legacyOrderId").is_some_and(Value::is_string) {
                issues.push(issue("request", "legacyOrderId (string) is required"));
            }
            let seller = [
                "ADDRESS_ISSUES",
                "BUYER_ASKED_CANCEL",
                "OUT_OF_STOCK_OR_CANNOT_FULFILL",
            ];
            if !body
                .get("cancelReason")
                .and_then(Value::as_str)
                .is_some_and(|r| seller.contains(&r))
            {
                issues.push(issue(
                    "request",
                    "cancelReason is not a seller CancelReasonEnum value",
                ));
            }
            if ex.status == 200 {
                only(
                    &answer,
                    "response",
                    &["cancelId", "orderEligibilityResult", "warnings"],
                    &mut issues,
                );
                if let Some(r) = answer.get("orderEligibilityResult") {
                    only(
                        r,
                        "response",
                        &[
                            "eligible",
                            "eligibleCancelReason",
                            "failureReason",
                            "itemEligibilityResult",
                        ],
                        &mut issues,
                    );
                }
            }
        }
        ("GET", "/post-order/v2/cancellation/search") => {
            let query = ex.query.as_deref().unwrap_or("");
            for k in query
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| p.split('=').next().unwrap_or(""))
            {
                let documented = [
                    "buyer_login_name",
                    "cancel_id",
                    "creation_date_range_from",
                    "creation_date_range_to",
                    "edit_date_range_from",
                    "edit_date_range_to",
                    "item_id",
                    "legacy_order_id",
                    "limit",
                    "offset",
                    "sort",
                    "transaction_id",
                ];
                if !documented.contains(&k) {
                    issues.push(issue(
                        "request",
                        format!("query parameter {k}: not documented"),
                    ));
                }
            }
            if ex.status == 200 {
                only(
                    &answer,
                    "response",
                    &["cancellations", "paginationOutput", "total"],
                    &mut issues,
                );
                for c in answer
                    .get("cancellations")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if !c.get("cancelId").is_some_and(Value::is_string)
                        || !c.get("legacyOrderId").is_some_and(Value::is_string)
                    {
                        issues.push(issue(
                            "response",
                            "a cancellation lacks cancelId or legacyOrderId",
                        ));
                    }
                }
            }
        }
        (method, path) => issues.push(issue(
            "request",
            format!("{method} {path}: not a documented Post-Order cancellation call"),
        )),
    }
    issues
}

/// Tokens API `createRestrictedDataToken` (its model is not among the specs on file): the
/// documented request `{restrictedResources: [{method, path, dataElements?}]}` and answer
/// `{restrictedDataToken, expiresIn}`.
fn check_rdt_request(ex: &Exchange) -> Vec<Issue> {
    let mut issues = Vec::new();
    let body: Value = serde_json::from_slice(&ex.request_body).unwrap_or(Value::Null);
    let resources = body.get("restrictedResources").and_then(Value::as_array);
    match resources {
        Some(list) if !list.is_empty() => {
            for (i, r) in list.iter().enumerate() {
                if !(r.get("method").is_some_and(Value::is_string)
                    && r.get("path").is_some_and(Value::is_string))
                {
                    issues.push(issue(
                        "request",
                        format!("body /restrictedResources/{i}: method and path required"),
                    ));
                }
            }
        }
        _ => issues.push(issue(
            "request",
            "body /restrictedResources: required, non-empty",
        )),
    }
    if ex.status == 200 {
        let answer: Value = serde_json::from_slice(&ex.response_body).unwrap_or(Value::Null);
        if !answer
            .get("restrictedDataToken")
            .is_some_and(Value::is_string)
            || !answer.get("expiresIn").is_some_and(Value::is_u64)
        {
            issues.push(issue(
                "response",
                "body: restrictedDataToken and expiresIn required",
            ));
        }
    }
    issues
}

/// Orders v0 returns buyer and address PII only to a Restricted Data Token (ordersV0.json:
/// "Use the Restricted Data Token (RDT) ... to access the restricted data in
/// `ShippingAddress`"): an answer holding a name, street or phone must have been asked for
/// with a token `createRestrictedDataToken` issued in this run.
fn check_restricted_data(exchanges: &[Exchange]) -> Vec<(usize, Issue)> {
    let tokens: Vec<String> = exchanges
        .iter()
        .filter(|e| e.path == "/tokens/2021-03-01/restrictedDataToken" && e.status == 200)
        .filter_map(|e| {
            let body: Value = serde_json::from_slice(&e.response_body).ok()?;
            body.get("restrictedDataToken")?
                .as_str()
                .map(str::to_string)
        })
        .collect();
    let mut out = Vec::new();
    for (i, ex) in exchanges.iter().enumerate() {
        if ex.direction != Direction::Served
            || !ex.path.starts_with("/orders/v0/orders/")
            || ex.status != 200
        {
            continue;
        }
        let body: Value = serde_json::from_slice(&ex.response_body).unwrap_or(Value::Null);
        let address = body.pointer("/payload/ShippingAddress");
        let pii: Vec<&str> = ["Name", "AddressLine1", "AddressLine2", "Phone"]
            .into_iter()
            .filter(|k| {
                address
                    .and_then(|a| a.get(*k))
                    .is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty()))
            })
            .collect();
        let token = ex.request_header("x-amz-access-token").unwrap_or("");
        if !pii.is_empty() && !tokens.iter().any(|t| t == token) {
            out.push((
                i,
                issue(
                    "response",
                    format!("body /payload/ShippingAddress {pii:?}: restricted data served to a plain access token (needs a Restricted Data Token)"),
                ),
            ));
        }
    }
    out
}

/// Numbers in a path replaced by `{n}`, so unknown operations group together.
fn generic_path(path: &str) -> String {
    path.split('/')
        .map(|s| {
            if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
                "{n}"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The pre-signed S3 side of `JSON_LISTINGS_FEED`: the uploaded document against the listings
/// feed schema, the processing report against its schema.
fn check_feed_document(checkers: &Checkers, ex: &Exchange) -> (String, Vec<Issue>) {
    let mut issues = Vec::new();
    let (label, doc, body) = if ex.method == "PUT" {
        (
            "PUT feed document (listings-feed-schema-v2)",
            &checkers.listings_feed,
            &ex.request_body,
        )
    } else {
        (
            "GET processing report (listings-feed-processing-report-schema-v2)",
            &checkers.listings_report,
            &ex.response_body,
        )
    };
    let side = if ex.method == "PUT" {
        "request"
    } else {
        "response"
    };
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => {
            for p in doc.check("", &value) {
                issues.push(issue(side, format!("body {p}")));
            }
        }
        Err(e) => issues.push(issue(side, format!("body: not JSON ({e})"))),
    }
    (label.to_string(), issues)
}

fn check_webhook(
    checkers: &Checkers,
    channel: &'static str,
    ex: &Exchange,
) -> (String, Vec<Issue>) {
    let mut issues = Vec::new();
    let body: Value = match serde_json::from_slice(&ex.request_body) {
        Ok(v) => v,
        Err(_) if channel == "woocommerce" => return checkers.woo.check_webhook(ex),
        Err(e) => {
            return (
                "webhook".into(),
                vec![issue("request", format!("body: not JSON ({e})"))],
            );
        }
    };
    let headers = |names: &[&str], issues: &mut Vec<Issue>| {
        for name in names {
            if ex.request_header(name).is_none() {
                issues.push(issue("request", format!("header {name}: missing")));
            }
        }
    };
    match channel {
        "woocommerce" => checkers.woo.check_webhook(ex),
        "amazon" => {
            // EventBridge delivers the SP-API notification as the event's `detail`.
            let detail = body.get("detail").cloned().unwrap_or(Value::Null);
            for p in checkers.order_change.check("", &detail) {
                issues.push(issue("request", format!("body /detail{p}")));
            }
            if body.get("detail-type") != Some(&Value::String("ORDER_CHANGE".into())) {
                issues.push(issue("request", "body /detail-type: ORDER_CHANGE expected"));
            }
            (
                "ORDER_CHANGE notification (OrderChangeNotification.json)".into(),
                issues,
            )
        }
        "bigcommerce" => {
            headers(
                &["webhook-id", "webhook-timestamp", "webhook-signature"],
                &mut issues,
            );
            let scope = body
                .get("scope")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string();
            let pointer = format!("/components/schemas/{}", scope.replace('/', "_"));
            if checkers.bc_webhooks.at(&pointer).is_none() {
                issues.push(issue(
                    "request",
                    format!("body /scope: {scope} has no payload schema"),
                ));
            } else {
                for p in checkers.bc_webhooks.check(&pointer, &body) {
                    issues.push(issue("request", format!("body {p}")));
                }
            }
            (format!("webhook {scope} (webhooks.v3.yml)"), issues)
        }
        "shopify" => {
            headers(
                &[
                    "X-Shopify-Topic",
                    "X-Shopify-Hmac-Sha256",
                    "X-Shopify-Shop-Domain",
                    "X-Shopify-API-Version",
                    "X-Shopify-Webhook-Id",
                ],
                &mut issues,
            );
            let topic = ex.request_header("x-shopify-topic").unwrap_or("?");
            if !body.get("id").is_some_and(Value::is_u64) {
                issues.push(issue(
                    "request",
                    "body /id: an order webhook carries the order's numeric id",
                ));
            }
            (
                format!("webhook {topic} (headers; no payload schema on file)"),
                issues,
            )
        }
        "shipbob" => {
            headers(
                &["webhook-id", "webhook-timestamp", "webhook-signature"],
                &mut issues,
            );
            (
                "webhook shipment (headers; no payload schema on file)".into(),
                issues,
            )
        }
        _ => (
            "webhook".into(),
            vec![issue("request", "this channel sends no webhooks")],
        ),
    }
}

/// Operations each channel's run must have exercised (by label prefix).
const REQUIRED: &[(&str, &[&str])] = &[
    (
        "shopify",
        &[
            "query orders",
            "query productVariants",
            "mutation inventorySetQuantities",
            "query order",
            "mutation fulfillmentCreate",
            "webhook orders/create",
            "webhook orders/cancelled",
        ],
    ),
    (
        "woocommerce",
        &[
            "GET /wp-json/wc/v3/orders",
            "GET /wp-json/wc/v3/orders/<id>",
            "GET /wp-json/wc/v3/products",
            "POST /wp-json/wc/v3/products/batch",
            "POST /wp-json/wc/v3/products/<product_id>/variations/batch",
            "shipment-trackings",
            "webhook order.created",
            "webhook ping",
        ],
    ),
    (
        "amazon",
        &[
            "POST /auth/o2/token",
            "POST /tokens/2021-03-01/restrictedDataToken",
            "GET /orders/2026-01-01/orders (searchOrders)",
            "GET /orders/2026-01-01/orders/{orderId} (getOrder)",
            "GET /orders/v0/orders (getOrders)",
            "GET /orders/v0/orders/{orderId} (getOrder)",
            "GET /orders/v0/orders/{orderId}/orderItems (getOrderItems)",
            "POST /orders/v0/orders/{orderId}/shipmentConfirmation (confirmShipment)",
            "GET /listings/2021-08-01/items/{sellerId}/{sku} (getListingsItem)",
            "PATCH /listings/2021-08-01/items/{sellerId}/{sku} (patchListingsItem)",
            "POST /feeds/2021-06-30/documents (createFeedDocument)",
            "POST /feeds/2021-06-30/feeds (createFeed)",
            "GET /feeds/2021-06-30/feeds/{feedId} (getFeed)",
            "GET /feeds/2021-06-30/documents/{feedDocumentId} (getFeedDocument)",
            "PUT feed document",
            "GET processing report",
            "ORDER_CHANGE notification",
        ],
    ),
    (
        "ebay",
        &[
            "POST /identity/v1/oauth2/token",
            "GET /sell/fulfillment/v1/order (getOrders)",
            "GET /sell/fulfillment/v1/order/{orderId} (getOrder)",
            "POST /sell/fulfillment/v1/order/{orderId}/shipping_fulfillment (createShippingFulfillment)",
            "GET /sell/inventory/v1/offer (getOffers)",
            "POST /sell/inventory/v1/bulk_update_price_quantity (bulkUpdatePriceQuantity)",
        ],
    ),
    (
        "walmart",
        &[
            "POST /v3/token",
            "GET /v3/orders",
            "GET /v3/orders/{purchaseOrderId}",
            "POST /v3/orders/{purchaseOrderId}/acknowledge",
            "POST /v3/orders/{purchaseOrderId}/shipping",
            "GET /v3/inventory",
            "GET /v3/inventories",
            "PUT /v3/inventory",
            "POST /v3/feeds",
            "GET /v3/feeds/{feedId}",
        ],
    ),
    (
        "etsy",
        &[
            "POST /v3/public/oauth/token",
            "GET /v3/application/shops/{shop_id}/receipts (getShopReceipts)",
            "GET /v3/application/shops/{shop_id}/receipts/{receipt_id} (getShopReceipt)",
            "POST /v3/application/shops/{shop_id}/receipts/{receipt_id}/tracking (createReceiptShipment)",
            "GET /v3/application/shops/{shop_id}/listings (getListingsByShop)",
            "PUT /v3/application/listings/{listing_id}/inventory (updateListingInventory)",
        ],
    ),
    (
        "bigcommerce",
        &[
            "GET /stores/{store_hash}/v2/orders ",
            "GET /stores/{store_hash}/v2/orders/{order_id} ",
            "GET /stores/{store_hash}/v2/orders/{order_id}/products ",
            "GET /stores/{store_hash}/v2/orders/{order_id}/shipping_addresses ",
            "POST /stores/{store_hash}/v2/orders/{order_id}/shipments ",
            "GET /stores/{store_hash}/v3/catalog/variants ",
            "PUT /stores/{store_hash}/v3/inventory/adjustments/absolute ",
            "webhook store/order/created",
        ],
    ),
    (
        "shipbob",
        &[
            "POST /2026-01/order ",
            "GET /2026-01/order ",
            "GET /2026-01/order/{orderId} ",
            "GET /2026-01/inventory-level ",
            "webhook shipment",
        ],
    ),
];

fn allow_file() -> AllowFile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/allow.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file: AllowFile =
        serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reasons = file
        .allow
        .iter()
        .map(|a| (format!("{} {}", a.channel, a.operation), &a.reason, &a.docs))
        .chain(
            file.errata
                .iter()
                .map(|e| (format!("{} {}", e.file, e.pointer), &e.reason, &e.docs)),
        );
    for (what, reason, docs) in reasons {
        assert!(
            !reason.trim().is_empty() && !docs.trim().is_empty(),
            "allow.yaml: every entry needs a reason and the documentation it rests on ({what})"
        );
    }
    file
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_operation_of_every_connector_speaks_the_published_spec() {
    let dir = specs::require();
    let started = std::time::Instant::now();
    let allowed = allow_file();
    // Deeply nested published documents need more stack than a test thread has.
    let loader_dir = dir.clone();
    let errata = allowed.errata.clone();
    let loader = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || Checkers::load(&loader_dir, &errata))
        .expect("loader thread");
    let (shopify, woocommerce, amazon, ebay, walmart, etsy, bigcommerce, shipbob) = tokio::join!(
        drive::shopify(),
        drive::woocommerce(),
        drive::amazon(),
        drive::ebay(),
        drive::walmart(),
        drive::etsy(),
        drive::bigcommerce(),
        drive::shipbob(),
    );
    let driven = started.elapsed();
    let checkers = loader.join().expect("specs load");
    let loaded = started.elapsed();
    let runs: Vec<(&'static str, Vec<Exchange>)> = vec![
        ("shopify", shopify),
        ("woocommerce", woocommerce),
        ("amazon", amazon),
        ("ebay", ebay),
        ("walmart", walmart),
        ("etsy", etsy),
        ("bigcommerce", bigcommerce),
        ("shipbob", shipbob),
    ];
    let (findings, coverage) = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || check_all(&checkers, &runs))
        .expect("checker thread")
        .join()
        .expect("checks run");
    let checked = started.elapsed();
    report(
        &dir,
        &allowed.allow,
        findings,
        coverage,
        driven,
        loaded,
        checked,
    );
}

type Coverage = BTreeMap<&'static str, BTreeMap<String, usize>>;

fn check_all(
    checkers: &Checkers,
    runs: &[(&'static str, Vec<Exchange>)],
) -> (Vec<Finding>, Coverage) {
    let mut findings: Vec<Finding> = Vec::new();
    let mut coverage: Coverage = BTreeMap::new();
    for (channel, exchanges) in runs {
        assert!(!exchanges.is_empty(), "{channel}: nothing was recorded");
        let restricted = if *channel == "amazon" {
            check_restricted_data(exchanges)
        } else {
            Vec::new()
        };
        for (n, ex) in exchanges.iter().enumerate() {
            let (operation, mut issues) = check_exchange(checkers, channel, ex);
            issues.extend(
                restricted
                    .iter()
                    .filter(|(i, _)| *i == n)
                    .map(|(_, issue)| issue.clone()),
            );
            *coverage
                .entry(channel)
                .or_default()
                .entry(operation.clone())
                .or_default() += 1;
            for i in issues {
                findings.push(Finding {
                    channel,
                    operation: operation.clone(),
                    side: i.side,
                    detail: i.detail,
                });
            }
        }
    }
    (findings, coverage)
}

fn report(
    dir: &Path,
    allowed: &[Allowed],
    findings: Vec<Finding>,
    coverage: Coverage,
    driven: std::time::Duration,
    loaded: std::time::Duration,
    checked: std::time::Duration,
) {
    println!(
        "\nconformance: operations covered (exchanges checked), specs from {}",
        dir.display()
    );
    for (channel, ops) in &coverage {
        let total: usize = ops.values().sum();
        println!("  {channel}: {} operations, {total} exchanges", ops.len());
        for (op, n) in ops {
            println!("    {n:>5}  {op}");
        }
    }
    println!(
        "conformance: connectors driven in {:.1?} (specs loaded alongside, ready at {:.1?}), checked in {:.1?}",
        driven,
        loaded,
        checked - loaded
    );

    let mut problems = Vec::new();
    for (channel, required) in REQUIRED {
        for op in *required {
            let seen = coverage
                .get(channel)
                .is_some_and(|ops| ops.keys().any(|k| k.starts_with(op)));
            if !seen {
                problems.push(format!("{channel}: operation {op:?} was not exercised"));
            }
        }
    }

    let mut used = vec![0usize; allowed.len()];
    let mut failing: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for f in &findings {
        let excused = allowed.iter().position(|a| {
            a.channel == f.channel
                && f.operation.starts_with(&a.operation)
                && a.side == f.side
                && f.detail.contains(&a.contains)
        });
        match excused {
            Some(i) => used[i] += 1,
            None => {
                // Array positions folded, so one fault repeated over a list reads once.
                let detail: Vec<&str> = f
                    .detail
                    .split('/')
                    .map(|seg| {
                        if !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit()) {
                            "*"
                        } else {
                            seg
                        }
                    })
                    .collect();
                let key = format!(
                    "{} | {} | {} {}",
                    f.channel,
                    f.operation,
                    f.side,
                    detail.join("/")
                );
                failing.entry(key).or_insert((0, String::new())).0 += 1;
            }
        }
    }
    for (i, a) in allowed.iter().enumerate() {
        if used[i] > 0 {
            println!(
                "conformance: allowed {}× {} {} {:?}: {}",
                used[i], a.channel, a.operation, a.contains, a.reason
            );
        } else {
            problems.push(format!(
                "allow.yaml entry excuses nothing (remove it): {} {} {} {:?}",
                a.channel, a.operation, a.side, a.contains
            ));
        }
    }
    for (key, (n, _)) in &failing {
        problems.push(format!("deviation ({n}×): {key}"));
    }
    if !problems.is_empty() {
        panic!(
            "conformance: {} problem(s) against the published specs:\n  {}",
            problems.len(),
            problems.join("\n  ")
        );
    }
}
