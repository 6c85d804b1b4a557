//! WooCommerce publishes no machine-readable spec, only its REST API docs (Markdown, in
//! `specs/woocommerce`). These hand-written rules read the docs' own tables and check:
//! - the request is a documented endpoint (the `<h6>` path under its method label);
//! - every query parameter is in the endpoint's "Available parameters" table, typed as it says,
//!   and one of its `Options:` when it lists them;
//! - request and response bodies use only documented properties of the resource (orders,
//!   products, variations, order notes, with their nested "See [...]" tables), typed as the
//!   table says (`integer`, `string`, `boolean`, `array`, `object`, `date-time`);
//! - batch bodies (`create`/`update`/`delete`) hold resources of the endpoint, and never
//!   `manage_stock` (stock tracking is the merchant's per-product setting, `_products.md`
//!   "Stock management at product level"; a push sets `stock_quantity` only);
//! - webhook deliveries carry the headers `_webhooks.md` lists and an order body.
//!
//! The Shipment Tracking extension is not in these docs; its endpoint is checked against the
//! fields its own documentation lists (woocommerce.com/document/shipment-tracking/, "REST API").
//! Nor are order refunds: their endpoints and property tables are transcribed below from the
//! published REST API reference (developer.woocommerce.com/docs/apis/rest-api/v3/order-refunds)
//! and checked like the rest.

use std::collections::HashMap;

use serde_json::Value;
use switchyard_sim::Exchange;

use crate::openapi::{Issue, media_type, pairs};

struct Param {
    ty: String,
    options: Vec<String>,
}

struct Endpoint {
    method: String,
    template: Vec<String>,
    /// The property table of the resource this endpoint reads and writes.
    resource: Option<String>,
    params: HashMap<String, Param>,
    title: String,
}

/// A property table: name → (type, the table a "See [...]" link points to).
type Table = HashMap<String, (String, Option<String>)>;

pub struct Woo {
    endpoints: Vec<Endpoint>,
    tables: HashMap<String, Table>,
}

fn anchor(heading: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in heading.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
            dash = false;
        } else if !dash && !out.is_empty() {
            out.push('-');
            dash = true;
        }
    }
    out.trim_end_matches('-').to_string()
}

fn cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(|c| c.trim().to_string())
        .collect()
}

fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_string())
        .collect()
}

fn issue(side: &'static str, detail: impl Into<String>) -> Issue {
    Issue {
        side,
        detail: detail.into(),
    }
}

const TRACKING_FIELDS: &[(&str, &str)] = &[
    ("tracking_id", "string"),
    ("tracking_provider", "string"),
    ("custom_tracking_provider", "string"),
    ("custom_tracking_link", "string"),
    ("tracking_link", "string"),
    ("tracking_number", "string"),
    ("date_shipped", "string"),
];

/// Order refunds, from the published reference (not in `specs/woocommerce`): the endpoints,
/// and (table, property, type, the table it links to).
const REFUND_ENDPOINTS: &[(&str, &str, &str)] = &[
    (
        "GET",
        "/wp-json/wc/v3/orders/<id>/refunds",
        "List all refunds",
    ),
    (
        "POST",
        "/wp-json/wc/v3/orders/<id>/refunds",
        "Create a refund",
    ),
];
const REFUND_TABLES: &[(&str, &str, &str, Option<&str>)] = &[
    ("order-refund-properties", "id", "integer", None),
    ("order-refund-properties", "date_created", "date-time", None),
    (
        "order-refund-properties",
        "date_created_gmt",
        "date-time",
        None,
    ),
    ("order-refund-properties", "amount", "string", None),
    ("order-refund-properties", "reason", "string", None),
    ("order-refund-properties", "refunded_by", "integer", None),
    (
        "order-refund-properties",
        "refunded_payment",
        "boolean",
        None,
    ),
    (
        "order-refund-properties",
        "meta_data",
        "array",
        Some("order-refund-meta-data-properties"),
    ),
    (
        "order-refund-properties",
        "line_items",
        "array",
        Some("order-refund-line-items-properties"),
    ),
    ("order-refund-properties", "tax_lines", "array", None),
    ("order-refund-properties", "shipping_lines", "array", None),
    ("order-refund-properties", "fee_lines", "array", None),
    ("order-refund-properties", "api_refund", "boolean", None),
    ("order-refund-properties", "api_restock", "boolean", None),
    ("order-refund-meta-data-properties", "id", "integer", None),
    ("order-refund-meta-data-properties", "key", "string", None),
    ("order-refund-meta-data-properties", "value", "string", None),
    ("order-refund-line-items-properties", "id", "integer", None),
    ("order-refund-line-items-properties", "name", "string", None),
    (
        "order-refund-line-items-properties",
        "product_id",
        "integer",
        None,
    ),
    (
        "order-refund-line-items-properties",
        "variation_id",
        "integer",
        None,
    ),
    (
        "order-refund-line-items-properties",
        "quantity",
        "integer",
        None,
    ),
    (
        "order-refund-line-items-properties",
        "tax_class",
        "string",
        None,
    ),
    (
        "order-refund-line-items-properties",
        "subtotal",
        "string",
        None,
    ),
    (
        "order-refund-line-items-properties",
        "subtotal_tax",
        "string",
        None,
    ),
    (
        "order-refund-line-items-properties",
        "total",
        "string",
        None,
    ),
    (
        "order-refund-line-items-properties",
        "total_tax",
        "string",
        None,
    ),
    ("order-refund-line-items-properties", "taxes", "array", None),
    (
        "order-refund-line-items-properties",
        "meta_data",
        "array",
        Some("order-refund-meta-data-properties"),
    ),
    ("order-refund-line-items-properties", "sku", "string", None),
    (
        "order-refund-line-items-properties",
        "price",
        "string",
        None,
    ),
    (
        "order-refund-line-items-properties",
        "refund_total",
        "number",
        None,
    ),
];

impl Woo {
    /// Reads the docs (`_orders.md`, `_products.md`, ...): resource tables and endpoints.
    pub fn new(docs: &[(&str, String)]) -> Self {
        let mut endpoints = Vec::new();
        let mut tables: HashMap<String, Table> = HashMap::new();
        for (file, text) in docs {
            // The resource of this file: its first "## X properties ##" table.
            let mut resource: Option<String> = None;
            let mut heading = String::new();
            let mut in_params = false;
            let mut current: Option<usize> = None;
            let lines = text.lines();
            let mut pending_method: Option<String> = None;
            for line in lines {
                let trimmed = line.trim();
                if trimmed.starts_with('#') {
                    let title = trimmed.trim_matches('#').trim().to_string();
                    in_params = title == "Available parameters";
                    if !in_params {
                        heading = title.clone();
                        if trimmed.starts_with("## ") && !title.ends_with("properties") {
                            current = None;
                        }
                    }
                    if title.ends_with("properties")
                        && resource.is_none()
                        && trimmed.starts_with("## ")
                    {
                        resource = Some(anchor(&title));
                    }
                    continue;
                }
                if let Some(rest) = trimmed.strip_prefix("<i class=\"label label-") {
                    pending_method = rest.split('"').next().map(str::to_uppercase);
                    continue;
                }
                if let Some(rest) = trimmed.strip_prefix("<h6>")
                    && let Some(method) = pending_method.take()
                {
                    let path = rest
                        .trim_end_matches("</h6>")
                        .replace("&lt;", "<")
                        .replace("&gt;", ">");
                    endpoints.push(Endpoint {
                        method,
                        template: path
                            .split('/')
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect(),
                        resource: resource.clone(),
                        params: HashMap::new(),
                        title: format!("{} ({file})", heading),
                    });
                    current = Some(endpoints.len() - 1);
                    continue;
                }
                if !trimmed.starts_with("| `") {
                    continue;
                }
                let row = cells(trimmed);
                if row.len() < 3 {
                    continue;
                }
                let name = row[0].trim_matches('`').to_string();
                let ty = row[1].to_string();
                if in_params {
                    let options = row[2]
                        .split_once("Options:")
                        .map(|(_, o)| {
                            let o = o.split("Default").next().unwrap_or(o);
                            backticked(o)
                        })
                        .unwrap_or_default();
                    if let Some(i) = current {
                        endpoints[i].params.insert(name, Param { ty, options });
                    }
                } else if heading.ends_with("properties") {
                    let link = row[2]
                        .split_once("(#")
                        .and_then(|(_, r)| r.split(')').next())
                        .map(str::to_string);
                    tables
                        .entry(anchor(&heading))
                        .or_default()
                        .insert(name, (ty, link));
                }
            }
        }
        for (method, path, title) in REFUND_ENDPOINTS {
            endpoints.push(Endpoint {
                method: method.to_string(),
                template: path
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                resource: Some("order-refund-properties".into()),
                params: HashMap::new(),
                title: format!("{title} (order-refunds reference)"),
            });
        }
        for (table, name, ty, link) in REFUND_TABLES {
            tables
                .entry(table.to_string())
                .or_default()
                .insert(name.to_string(), (ty.to_string(), link.map(str::to_string)));
        }
        Self { endpoints, tables }
    }

    fn find(&self, method: &str, path: &str) -> Option<&Endpoint> {
        let actual: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.endpoints
            .iter()
            .filter(|e| e.method == method && e.template.len() == actual.len())
            .filter_map(|e| {
                let mut literal = 0;
                for (t, a) in e.template.iter().zip(&actual) {
                    if t.starts_with('<') {
                        continue;
                    }
                    if t != a {
                        return None;
                    }
                    literal += 1;
                }
                Some((literal, e))
            })
            .max_by_key(|(l, _)| *l)
            .map(|(_, e)| e)
    }

    fn check_value(
        &self,
        table: &str,
        value: &Value,
        path: &str,
        side: &'static str,
        issues: &mut Vec<Issue>,
    ) {
        let Some(props) = self.tables.get(table) else {
            issues.push(issue(side, format!("{path}: no documented table #{table}")));
            return;
        };
        let Some(object) = value.as_object() else {
            issues.push(issue(side, format!("{path}: {value} is not an object")));
            return;
        };
        for (key, v) in object {
            let at = format!("{path}/{key}");
            let Some((ty, link)) = props.get(key) else {
                issues.push(issue(
                    side,
                    format!("body {at}: not a documented property of #{table}"),
                ));
                continue;
            };
            let ok = match ty.as_str() {
                "integer" => v.is_i64() || v.is_u64(),
                "number" => v.is_number(),
                "string" | "date-time" => v.is_string(),
                "boolean" | "bool" => v.is_boolean(),
                "array" => v.is_array(),
                "object" => v.is_object(),
                _ => true,
            };
            if !ok {
                issues.push(issue(side, format!("body {at}: {v} is not {ty}")));
                continue;
            }
            if let Some(link) = link
                && self.tables.contains_key(link)
            {
                match v {
                    Value::Array(items) => {
                        for (i, item) in items.iter().enumerate() {
                            if item.is_object() {
                                self.check_value(link, item, &format!("{at}/{i}"), side, issues);
                            }
                        }
                    }
                    Value::Object(_) => self.check_value(link, v, &at, side, issues),
                    _ => {}
                }
            }
        }
    }

    fn check_body(
        &self,
        endpoint: &Endpoint,
        body: &Value,
        side: &'static str,
        issues: &mut Vec<Issue>,
    ) {
        let Some(table) = endpoint.resource.as_deref() else {
            return;
        };
        let batch = endpoint.template.last().is_some_and(|s| s == "batch");
        match body {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.check_value(table, item, &format!("/{i}"), side, issues);
                }
            }
            Value::Object(map) if batch => {
                for (key, items) in map {
                    if !matches!(key.as_str(), "create" | "update" | "delete") {
                        issues.push(issue(
                            side,
                            format!("body /{key}: batch bodies hold create, update, delete"),
                        ));
                        continue;
                    }
                    let Some(items) = items.as_array() else {
                        issues.push(issue(side, format!("body /{key}: not a list")));
                        continue;
                    };
                    for (i, item) in items.iter().enumerate() {
                        // Stock tracking is the merchant's per-product choice ("Stock
                        // management at product level"): a stock push sets the quantity only.
                        if side == "request" && item.get("manage_stock").is_some() {
                            issues.push(issue(
                                side,
                                format!("body /{key}/{i}/manage_stock: a stock push sends stock_quantity only; manage_stock is the merchant's setting"),
                            ));
                        }
                        if key == "delete" && !side.eq("response") {
                            if !(item.is_i64() || item.is_u64()) {
                                issues.push(issue(
                                    side,
                                    format!("body /delete/{i}: ids to delete are integers"),
                                ));
                            }
                            continue;
                        }
                        self.check_value(table, item, &format!("/{key}/{i}"), side, issues);
                    }
                }
            }
            other => self.check_value(table, other, "", side, issues),
        }
    }

    /// The endpoint label and the problems of one served exchange.
    pub fn check(&self, ex: &Exchange) -> (String, Vec<Issue>) {
        let mut issues = Vec::new();
        if ex.path.starts_with("/wp-json/wc-shipment-tracking/") {
            return (
                "shipment-trackings (extension)".into(),
                self.check_tracking(ex),
            );
        }
        let Some(endpoint) = self.find(&ex.method, &ex.path) else {
            issues.push(issue(
                "request",
                format!("{} {}: not a documented endpoint", ex.method, ex.path),
            ));
            return (format!("{} {}", ex.method, ex.path), issues);
        };
        let label = format!("{} /{}", endpoint.method, endpoint.template.join("/"));
        for (name, value) in pairs(ex.query.as_deref().unwrap_or("")) {
            // Basic authentication over HTTPS may also travel as these (the docs' "Authentication").
            if name == "consumer_key" || name == "consumer_secret" {
                continue;
            }
            let Some(param) = endpoint.params.get(&name) else {
                issues.push(issue(
                    "request",
                    format!("query parameter {name}: not in {}", endpoint.title),
                ));
                continue;
            };
            let ok = match param.ty.as_str() {
                "integer" => value.parse::<i64>().is_ok(),
                "boolean" => value == "true" || value == "false",
                _ => true,
            };
            if !ok {
                issues.push(issue(
                    "request",
                    format!("query parameter {name}: {value:?} is not {}", param.ty),
                ));
            }
            if !param.options.is_empty() {
                let values: Vec<&str> = if param.ty == "array" {
                    value.split(',').collect()
                } else {
                    vec![value.as_str()]
                };
                for v in values {
                    if !param.options.iter().any(|o| o == v) {
                        issues.push(issue(
                            "request",
                            format!(
                                "query parameter {name}: {v:?} is not one of {:?}",
                                param.options
                            ),
                        ));
                    }
                }
            }
        }
        if !ex.request_body.is_empty() {
            let media = media_type(ex.request_header("content-type"));
            if media != "application/json" {
                issues.push(issue(
                    "request",
                    format!("content type {media:?}: the API takes JSON"),
                ));
            }
            match serde_json::from_slice::<Value>(&ex.request_body) {
                Ok(body) => self.check_body(endpoint, &body, "request", &mut issues),
                Err(_) => issues.push(issue("request", "body: not JSON")),
            }
        }
        if (200..300).contains(&ex.status) && !ex.response_body.is_empty() {
            match serde_json::from_slice::<Value>(&ex.response_body) {
                Ok(body) => self.check_body(endpoint, &body, "response", &mut issues),
                Err(_) => issues.push(issue("response", "body: not JSON")),
            }
            if ex.method == "GET"
                && endpoint
                    .template
                    .last()
                    .is_some_and(|s| !s.starts_with('<'))
                && (ex.response_header("x-wp-total").is_none()
                    || ex.response_header("x-wp-totalpages").is_none())
            {
                issues.push(issue(
                    "response",
                    "headers X-WP-Total / X-WP-TotalPages: a list answers with both",
                ));
            }
        } else if !(200..300).contains(&ex.status) {
            // Errors are `{code, message, data: {status}}` (the docs' "Errors").
            let body: Value = serde_json::from_slice(&ex.response_body).unwrap_or(Value::Null);
            if !(body.get("code").is_some_and(Value::is_string)
                && body.get("message").is_some_and(Value::is_string))
            {
                issues.push(issue(
                    "response",
                    format!(
                        "status {}: error body is not {{code, message, data}}",
                        ex.status
                    ),
                ));
            }
        }
        (label, issues)
    }

    fn check_tracking(&self, ex: &Exchange) -> Vec<Issue> {
        let mut issues = Vec::new();
        let check = |value: &Value, side: &'static str, issues: &mut Vec<Issue>| {
            let Some(object) = value.as_object() else {
                issues.push(issue(side, "body: not an object"));
                return;
            };
            for (k, v) in object {
                match TRACKING_FIELDS.iter().find(|(n, _)| n == k) {
                    None => issues.push(issue(
                        side,
                        format!("body /{k}: not a documented tracking field"),
                    )),
                    Some(_) if !(v.is_string() || v.is_null()) => {
                        issues.push(issue(side, format!("body /{k}: {v} is not a string")))
                    }
                    Some(_) => {}
                }
            }
        };
        if !ex.request_body.is_empty() {
            match serde_json::from_slice::<Value>(&ex.request_body) {
                Ok(body) => {
                    if body.get("tracking_number").is_none() {
                        issues.push(issue("request", "body /tracking_number: required, missing"));
                    }
                    check(&body, "request", &mut issues);
                }
                Err(_) => issues.push(issue("request", "body: not JSON")),
            }
        }
        if (200..300).contains(&ex.status) {
            match serde_json::from_slice::<Value>(&ex.response_body) {
                Ok(Value::Array(items)) => {
                    items.iter().for_each(|i| check(i, "response", &mut issues))
                }
                Ok(item) => check(&item, "response", &mut issues),
                Err(_) => issues.push(issue("response", "body: not JSON")),
            }
        }
        issues
    }

    /// A webhook delivery: the documented headers and an order body (or the creation ping).
    pub fn check_webhook(&self, ex: &Exchange) -> (String, Vec<Issue>) {
        let mut issues = Vec::new();
        let media = media_type(ex.request_header("content-type"));
        if media == "application/x-www-form-urlencoded" {
            let ok = pairs(&String::from_utf8_lossy(&ex.request_body))
                .iter()
                .any(|(k, v)| k == "webhook_id" && v.parse::<u64>().is_ok());
            if !ok {
                issues.push(issue("request", "ping: body is webhook_id=<id>"));
            }
            return ("webhook ping".into(), issues);
        }
        for header in [
            "X-WC-Webhook-Source",
            "X-WC-Webhook-Topic",
            "X-WC-Webhook-Resource",
            "X-WC-Webhook-Event",
            "X-WC-Webhook-Signature",
            "X-WC-Webhook-ID",
            "X-WC-Webhook-Delivery-ID",
        ] {
            if ex.request_header(header).is_none() {
                issues.push(issue("request", format!("header {header}: missing")));
            }
        }
        let topic = ex
            .request_header("x-wc-webhook-topic")
            .unwrap_or("?")
            .to_string();
        match serde_json::from_slice::<Value>(&ex.request_body) {
            Ok(body) if topic.starts_with("order.") => {
                self.check_value("order-properties", &body, "", "request", &mut issues)
            }
            Ok(_) => {}
            Err(_) => issues.push(issue("request", "body: not JSON")),
        }
        (format!("webhook {topic}"), issues)
    }
}
