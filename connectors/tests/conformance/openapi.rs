//! An OpenAPI 3.0 or Swagger 2 document: finds the operation a recorded request is for (by
//! method and path template, literal segments preferred over parameters) and checks the
//! exchange against it: path and query parameters (declared, required, typed, enumerated),
//! required headers, request content type and body, response status, content type and body.

use serde_json::{Map, Value, json};
use switchyard_sim::Exchange;

use crate::schema::SchemaDoc;

pub struct OpenApi {
    pub spec: SchemaDoc,
    swagger2: bool,
    prefix: Vec<String>,
    ops: Vec<Op>,
}

#[derive(Debug, Clone)]
pub struct Op {
    pub method: String,
    /// The path key in the document (without the server prefix).
    pub path: String,
    pub id: String,
    template: Vec<String>,
}

/// A problem found with one exchange: which side, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub side: &'static str,
    pub detail: String,
}

fn issue(side: &'static str, detail: impl Into<String>) -> Issue {
    Issue {
        side,
        detail: detail.into(),
    }
}

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The path part of the first server (variables that hold a path, like eBay's `{basePath}`,
/// take their default; others stay templated).
fn server_prefix(doc: &Value) -> Vec<String> {
    if let Some(base) = doc.get("basePath").and_then(Value::as_str) {
        return segments(base);
    }
    let Some(server) = doc.pointer("/servers/0") else {
        return Vec::new();
    };
    let mut url = server
        .get("url")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if let Some(Value::Object(vars)) = server.get("variables") {
        for (name, var) in vars {
            if let Some(d) = var.get("default").and_then(Value::as_str)
                && d.starts_with('/')
            {
                url = url.replace(&format!("{{{name}}}"), d);
            }
        }
    }
    let path = match url.find("://") {
        Some(i) => url[i + 3..].find('/').map_or("", |j| &url[i + 3 + j..]),
        None => url.as_str(),
    };
    segments(path)
}

fn segment_matches(template: &str, actual: &str) -> Option<bool> {
    // Some(true) literal match, Some(false) parameter match, None no match.
    if let (Some(open), Some(close)) = (template.find('{'), template.rfind('}')) {
        let (pre, post) = (&template[..open], &template[close + 1..]);
        (actual.len() > pre.len() + post.len() && actual.starts_with(pre) && actual.ends_with(post))
            .then_some(false)
    } else {
        (template == actual).then_some(true)
    }
}

/// Percent-decoding of a query or form component (`+` is a space).
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `a=1&b=x%20y` → [(a, 1), (b, x y)].
pub fn pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// The media type of a content-type header, lower-cased, without parameters.
pub fn media_type(header: Option<&str>) -> String {
    header
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn media_matches(declared: &str, actual: &str) -> bool {
    let declared = declared
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    declared == actual
        || declared == "*/*"
        || declared
            .strip_suffix("/*")
            .is_some_and(|major| actual.starts_with(&format!("{major}/")))
}

fn is_json(media: &str) -> bool {
    media == "application/json" || media.ends_with("+json")
}

/// A string from the wire as the JSON value its schema expects.
fn coerce(text: &str, schema: &Value) -> Value {
    let ty = schema.get("type").and_then(|t| {
        t.as_str().map(str::to_string).or_else(|| {
            t.as_array()?
                .iter()
                .find_map(|x| x.as_str().filter(|s| *s != "null").map(str::to_string))
        })
    });
    match ty.as_deref() {
        Some("integer") => text
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(text.to_string())),
        Some("number") => text
            .parse::<f64>()
            .ok()
            .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
            .unwrap_or_else(|| Value::String(text.to_string())),
        Some("boolean") => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(text.to_string()),
        },
        _ => Value::String(text.to_string()),
    }
}

/// Names of the parts of a `multipart/form-data` body.
pub fn multipart_names(body: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    text.lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
        .filter_map(|l| {
            let i = l.find("name=\"")? + 6;
            let rest = &l[i..];
            Some(rest[..rest.find('"')?].to_string())
        })
        .collect()
}

impl OpenApi {
    pub fn new(file: &str, raw: Value) -> Self {
        let swagger2 = raw.get("swagger").is_some();
        let prefix = server_prefix(&raw);
        let mut ops = Vec::new();
        if let Some(Value::Object(paths)) = raw.get("paths") {
            for (path, item) in paths {
                for method in METHODS {
                    if let Some(op) = item.get(*method) {
                        let id = op.get("operationId").and_then(Value::as_str).map_or_else(
                            || format!("{} {path}", method.to_uppercase()),
                            str::to_string,
                        );
                        let mut template = prefix.clone();
                        template.extend(segments(path));
                        ops.push(Op {
                            method: method.to_uppercase(),
                            path: path.clone(),
                            id,
                            template,
                        });
                    }
                }
            }
        }
        Self {
            spec: SchemaDoc::new(file, raw, true),
            swagger2,
            prefix,
            ops,
        }
    }

    pub fn prefix(&self) -> String {
        format!("/{}", self.prefix.join("/"))
    }

    /// The operation for `method path` with the most literal segments.
    pub fn find(&self, method: &str, path: &str) -> Option<(usize, &Op)> {
        let actual = segments(path);
        self.ops
            .iter()
            .filter(|op| {
                op.method.eq_ignore_ascii_case(method) && op.template.len() == actual.len()
            })
            .filter_map(|op| {
                let mut literal = 0;
                for (t, a) in op.template.iter().zip(&actual) {
                    match segment_matches(t, a) {
                        Some(true) => literal += 1,
                        Some(false) => {
                            // A word where the spec has a numeric id is another operation.
                            if !a.chars().all(|c| c.is_ascii_digit()) && self.integer_param(op, t) {
                                return None;
                            }
                        }
                        None => return None,
                    }
                }
                Some((literal, op))
            })
            .max_by_key(|(literal, _)| *literal)
    }

    fn integer_param(&self, op: &Op, template: &str) -> bool {
        let name = template.trim_start_matches('{').trim_end_matches('}');
        self.parameters(op).iter().any(|p| {
            p.get("in") == Some(&json!("path"))
                && p.get("name") == Some(&json!(name))
                && self.resolved(&self.param_schema(p)).get("type") == Some(&json!("integer"))
        })
    }

    fn op_pointer(op: &Op) -> String {
        format!(
            "/paths/{}/{}",
            op.path.replace('~', "~0").replace('/', "~1"),
            op.method.to_ascii_lowercase()
        )
    }

    /// Parameters of the operation (path-level ones first, op-level overriding), resolved.
    fn parameters(&self, op: &Op) -> Vec<Value> {
        let pointer = Self::op_pointer(op);
        let item_pointer = pointer.rsplit_once('/').map_or("", |(p, _)| p).to_string();
        let mut by_key: Vec<Value> = Vec::new();
        for p in [
            format!("{item_pointer}/parameters"),
            format!("{pointer}/parameters"),
        ] {
            if let Some(Value::Array(list)) = self.spec.doc.pointer(&p) {
                for param in list {
                    let param = match param.get("$ref").and_then(Value::as_str) {
                        Some(r) => self.spec.at(&r[1..]).cloned().unwrap_or(Value::Null),
                        None => param.clone(),
                    };
                    let key = (param.get("name").cloned(), param.get("in").cloned());
                    by_key.retain(|q| (q.get("name").cloned(), q.get("in").cloned()) != key);
                    by_key.push(param);
                }
            }
        }
        by_key
    }

    /// The schema a non-body parameter's values take.
    fn param_schema(&self, param: &Value) -> Value {
        if let Some(s) = param.get("schema") {
            return s.clone();
        }
        // Swagger 2: the parameter itself carries the schema keywords.
        let mut schema = Map::new();
        if let Value::Object(p) = param {
            for (k, v) in p {
                if !matches!(
                    k.as_str(),
                    "name"
                        | "in"
                        | "required"
                        | "description"
                        | "collectionFormat"
                        | "allowEmptyValue"
                ) && !k.starts_with("x-")
                {
                    schema.insert(k.clone(), v.clone());
                }
            }
        }
        Value::Object(schema)
    }

    fn resolved(&self, schema: &Value) -> Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) if r.starts_with("#/") => self.spec.at(&r[1..]).cloned().unwrap_or(Value::Null),
            _ => schema.clone(),
        }
    }

    /// Every problem of one exchange with the operation it was matched to.
    pub fn check(&self, op: &Op, ex: &Exchange) -> Vec<Issue> {
        let mut issues = Vec::new();
        let params = self.parameters(op);
        self.check_path(op, ex, &params, &mut issues);
        self.check_query(ex, &params, &mut issues);
        for param in params
            .iter()
            .filter(|p| p.get("in") == Some(&json!("header")))
        {
            let name = param.get("name").and_then(Value::as_str).unwrap_or("");
            let required = param.get("required") == Some(&json!(true));
            if required
                && !matches!(
                    name.to_ascii_lowercase().as_str(),
                    "content-type" | "accept" | "authorization"
                )
                && ex.request_header(name).is_none()
            {
                issues.push(issue(
                    "request",
                    format!("header {name}: required, missing"),
                ));
            }
        }
        self.check_request_body(op, ex, &params, &mut issues);
        self.check_response(op, ex, &mut issues);
        issues
    }

    fn check_path(&self, op: &Op, ex: &Exchange, params: &[Value], issues: &mut Vec<Issue>) {
        for (t, a) in op.template.iter().zip(segments(&ex.path)) {
            let (Some(open), Some(close)) = (t.find('{'), t.rfind('}')) else {
                continue;
            };
            if open != 0 || close != t.len() - 1 {
                continue;
            }
            let name = &t[1..t.len() - 1];
            let Some(param) = params.iter().find(|p| {
                p.get("in") == Some(&json!("path")) && p.get("name") == Some(&json!(name))
            }) else {
                continue; // a server variable (store hash, API version)
            };
            let schema = self.param_schema(param);
            let value = coerce(&decode(&a), &self.resolved(&schema));
            for p in self.spec.check_inline(&schema, &value) {
                issues.push(issue("request", format!("path parameter {name}{p}")));
            }
        }
    }

    fn check_query(&self, ex: &Exchange, params: &[Value], issues: &mut Vec<Issue>) {
        let sent = pairs(ex.query.as_deref().unwrap_or(""));
        let declared: Vec<&Value> = params
            .iter()
            .filter(|p| p.get("in") == Some(&json!("query")))
            .collect();
        for (name, _) in &sent {
            let known = declared.iter().any(|p| {
                p.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n == name)
            });
            if !known {
                issues.push(issue(
                    "request",
                    format!("query parameter {name}: not in the spec"),
                ));
            }
        }
        for param in declared {
            let name = param.get("name").and_then(Value::as_str).unwrap_or("");
            let values: Vec<&String> = sent
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v)
                .collect();
            if values.is_empty() {
                if param.get("required") == Some(&json!(true)) {
                    issues.push(issue(
                        "request",
                        format!("query parameter {name}: required, missing"),
                    ));
                }
                continue;
            }
            let schema = self.param_schema(param);
            let resolved = self.resolved(&schema);
            let value = if resolved.get("type") == Some(&json!("array")) {
                let item_schema = self.resolved(resolved.get("items").unwrap_or(&Value::Null));
                let exploded = param.get("collectionFormat") == Some(&json!("multi"))
                    || (!self.swagger2 && param.get("explode") != Some(&json!(false)));
                let items: Vec<String> = if exploded && values.len() > 1 {
                    values.iter().map(|v| v.to_string()).collect()
                } else {
                    values
                        .iter()
                        .flat_map(|v| v.split(','))
                        .map(str::to_string)
                        .collect()
                };
                Value::Array(items.iter().map(|i| coerce(i, &item_schema)).collect())
            } else {
                if values.len() > 1 {
                    issues.push(issue(
                        "request",
                        format!("query parameter {name}: repeated"),
                    ));
                }
                coerce(values[0], &resolved)
            };
            for p in self.spec.check_inline(&schema, &value) {
                issues.push(issue("request", format!("query parameter {name}{p}")));
            }
        }
    }

    fn check_request_body(
        &self,
        op: &Op,
        ex: &Exchange,
        params: &[Value],
        issues: &mut Vec<Issue>,
    ) {
        let media = media_type(ex.request_header("content-type"));
        let pointer = Self::op_pointer(op);
        let has_body = !ex.request_body.is_empty();
        if self.swagger2 {
            let body_param = params.iter().find(|p| p.get("in") == Some(&json!("body")));
            let form_params: Vec<&Value> = params
                .iter()
                .filter(|p| p.get("in") == Some(&json!("formData")))
                .collect();
            if !has_body {
                if body_param.is_some_and(|p| p.get("required") == Some(&json!(true))) {
                    issues.push(issue("request", "body: required, missing"));
                }
                return;
            }
            let consumes = self
                .spec
                .doc
                .pointer(&format!("{pointer}/consumes"))
                .or_else(|| self.spec.doc.get("consumes"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if !consumes.is_empty()
                && !consumes
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|c| media_matches(c, &media))
            {
                issues.push(issue(
                    "request",
                    format!("content type {media:?}: the operation consumes {consumes:?}"),
                ));
                return;
            }
            match body_param {
                Some(param) if is_json(&media) => {
                    let schema = param.get("schema").cloned().unwrap_or(Value::Null);
                    self.check_json_body("request", &schema, &ex.request_body, issues);
                }
                None if !form_params.is_empty() => {}
                None => issues.push(issue("request", "body: the operation takes none")),
                Some(_) => {}
            }
            return;
        }
        let Some(body) = self.spec.doc.pointer(&format!("{pointer}/requestBody")) else {
            if has_body {
                issues.push(issue("request", "body: the operation takes none"));
            }
            return;
        };
        let body = self.resolved(body);
        if !has_body {
            if body.get("required") == Some(&json!(true)) {
                issues.push(issue("request", "body: required, missing"));
            }
            return;
        }
        let Some(Value::Object(content)) = body.get("content") else {
            return;
        };
        let Some((declared, entry)) = content.iter().find(|(c, _)| media_matches(c, &media)) else {
            issues.push(issue(
                "request",
                format!(
                    "content type {media:?}: the operation takes {:?}",
                    content.keys().collect::<Vec<_>>()
                ),
            ));
            return;
        };
        let schema = entry.get("schema").cloned().unwrap_or(Value::Null);
        if is_json(&media) {
            self.check_json_body("request", &schema, &ex.request_body, issues);
        } else if declared.starts_with("multipart/form-data") {
            let parts = multipart_names(&ex.request_body);
            let schema = self.resolved(&schema);
            if let Some(Value::Array(required)) = schema.get("required") {
                for r in required.iter().filter_map(Value::as_str) {
                    if !parts.iter().any(|p| p == r) {
                        issues.push(issue(
                            "request",
                            format!("multipart part {r:?}: required, missing"),
                        ));
                    }
                }
            }
            if let Some(Value::Object(props)) = schema.get("properties") {
                for p in &parts {
                    if !props.contains_key(p) {
                        issues.push(issue(
                            "request",
                            format!("multipart part {p:?}: not in the spec"),
                        ));
                    }
                }
            }
        } else if declared.starts_with("application/x-www-form-urlencoded") {
            let resolved = self.resolved(&schema);
            let mut object = Map::new();
            for (k, v) in pairs(&String::from_utf8_lossy(&ex.request_body)) {
                let prop = resolved
                    .pointer(&format!("/properties/{k}"))
                    .map(|s| self.resolved(s))
                    .unwrap_or(Value::Null);
                object.insert(k, coerce(&v, &prop));
            }
            for p in self.spec.check_inline(&schema, &Value::Object(object)) {
                issues.push(issue("request", format!("form body {p}")));
            }
        }
    }

    fn check_json_body(
        &self,
        side: &'static str,
        schema: &Value,
        body: &[u8],
        issues: &mut Vec<Issue>,
    ) {
        match serde_json::from_slice::<Value>(body) {
            Ok(value) => {
                for p in self.spec.check_inline(schema, &value) {
                    issues.push(issue(side, format!("body {p}")));
                }
            }
            Err(e) => issues.push(issue(side, format!("body: not JSON ({e})"))),
        }
    }

    fn check_response(&self, op: &Op, ex: &Exchange, issues: &mut Vec<Issue>) {
        let pointer = format!("{}/responses", Self::op_pointer(op));
        let Some(Value::Object(responses)) = self.spec.doc.pointer(&pointer) else {
            return;
        };
        let code = ex.status.to_string();
        let class = format!("{}XX", &code[..1]);
        let Some(response) = responses
            .get(&code)
            .or_else(|| responses.get(&class))
            .or_else(|| responses.get(&class.to_lowercase()))
            .or_else(|| responses.get("default"))
        else {
            issues.push(issue(
                "response",
                format!(
                    "status {code}: not among the documented {:?}",
                    responses.keys().collect::<Vec<_>>()
                ),
            ));
            return;
        };
        let response = self.resolved(response);
        let media = media_type(ex.response_header("content-type"));
        if ex.response_body.is_empty() {
            return;
        }
        let schema = if self.swagger2 {
            let produces = self
                .spec
                .doc
                .pointer(&format!("{}/produces", Self::op_pointer(op)))
                .or_else(|| self.spec.doc.get("produces"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if !produces.is_empty()
                && !produces
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|c| media_matches(c, &media))
            {
                issues.push(issue(
                    "response",
                    format!("content type {media:?}: the operation produces {produces:?}"),
                ));
            }
            response.get("schema").cloned()
        } else {
            match response.get("content") {
                Some(Value::Object(content)) => {
                    match content.iter().find(|(c, _)| media_matches(c, &media)) {
                        Some((_, entry)) => entry.get("schema").cloned(),
                        None => {
                            issues.push(issue(
                                "response",
                                format!(
                                    "content type {media:?}: status {code} documents {:?}",
                                    content.keys().collect::<Vec<_>>()
                                ),
                            ));
                            None
                        }
                    }
                }
                _ => {
                    issues.push(issue(
                        "response",
                        format!("body: status {code} documents no body"),
                    ));
                    None
                }
            }
        };
        if let Some(schema) = schema
            && is_json(&media)
        {
            self.check_json_body("response", &schema, &ex.response_body, issues);
        }
    }
}
