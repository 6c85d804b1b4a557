//! Shopify's Admin GraphQL: every query and mutation the connector sends is parsed and validated
//! against the published SDL with `apollo-compiler` (fields, arguments, variable types), its
//! variables are coerced against the operation's variable types, and every answer is walked
//! along the operation's selection set (each selected field present, nullability, lists,
//! scalars and enum values, nothing that was not asked for).
//!
//! The SDL on file is 2025-04; the project speaks 2026-04. Its inventory changes (CHANNELS.md,
//! "Deprecations that shape the design") are laid over the SDL here, and checked by rule:
//! `inventorySetQuantities` takes `changeFromQuantity` on every quantity (explicit null opts
//! out) and answers `CHANGE_FROM_QUANTITY_STALE`; `inventorySetOnHandQuantities` and
//! `inventoryAdjustQuantities` need an `@idempotent` key.

use apollo_compiler::executable::{Selection, SelectionSet};
use apollo_compiler::response::JsonMap;
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use serde_json::Value;
use switchyard_sim::Exchange;

use crate::openapi::Issue;

pub struct Shopify {
    schema: Valid<Schema>,
}

/// The 2026-04 overlay on the 2025-04 SDL (see the module documentation).
fn overlay(sdl: &str) -> String {
    let mut sdl = sdl.replacen(
        "input InventoryQuantityInput {",
        "input InventoryQuantityInput {\n  \"2026-04: the quantity the caller believes is current; null opts out.\"\n  changeFromQuantity: Int\n",
        1,
    );
    sdl = sdl.replacen(
        "enum InventorySetQuantitiesUserErrorCode {",
        "enum InventorySetQuantitiesUserErrorCode {\n  CHANGE_FROM_QUANTITY_STALE\n",
        1,
    );
    sdl.push_str("\ndirective @idempotent(key: String!) on FIELD\n");
    sdl
}

fn issue(side: &'static str, detail: impl Into<String>) -> Issue {
    Issue {
        side,
        detail: detail.into(),
    }
}

impl Shopify {
    pub fn new(sdl: &str) -> Self {
        let schema = Schema::parse_and_validate(overlay(sdl), "admin_2025-04.graphql")
            .unwrap_or_else(|e| panic!("conformance: Shopify SDL does not validate: {}", e.errors));
        Self { schema }
    }

    /// The operation name and the problems of one GraphQL exchange.
    pub fn check(&self, ex: &Exchange) -> (String, Vec<Issue>) {
        let mut issues = Vec::new();
        let media = crate::openapi::media_type(ex.request_header("content-type"));
        if media != "application/json" {
            issues.push(issue(
                "request",
                format!("content type {media:?}: GraphQL takes application/json"),
            ));
        }
        if ex.request_header("x-shopify-access-token").is_none() {
            issues.push(issue(
                "request",
                "header X-Shopify-Access-Token: required, missing",
            ));
        }
        let Ok(request) = serde_json::from_slice::<Value>(&ex.request_body) else {
            issues.push(issue("request", "body: not JSON"));
            return ("(unreadable)".into(), issues);
        };
        let Some(query) = request.get("query").and_then(Value::as_str) else {
            issues.push(issue("request", "body /query: missing"));
            return ("(no query)".into(), issues);
        };
        let doc =
            match ExecutableDocument::parse_and_validate(&self.schema, query, "request.graphql") {
                Ok(doc) => doc,
                Err(e) => {
                    for d in e.errors.iter() {
                        issues.push(issue("request", format!("query: {}", d.error)));
                    }
                    return ("(invalid query)".into(), issues);
                }
            };
        let name = request.get("operationName").and_then(Value::as_str);
        let operation = match doc.operations.get(name) {
            Ok(op) => op,
            Err(_) => {
                issues.push(issue("request", "query: no single operation to run"));
                return ("(ambiguous)".into(), issues);
            }
        };
        let root_fields: Vec<String> = operation
            .selection_set
            .selections
            .iter()
            .filter_map(|s| match s {
                Selection::Field(f) => Some(f.name.to_string()),
                _ => None,
            })
            .collect();
        let label = format!("{} {}", operation.operation_type, root_fields.join("+"));
        let variables = request
            .get("variables")
            .cloned()
            .unwrap_or(Value::Object(Default::default()));
        match serde_json::from_value::<JsonMap>(variables.clone()) {
            Ok(map) => {
                if let Err(e) =
                    apollo_compiler::request::coerce_variable_values(&self.schema, operation, &map)
                {
                    issues.push(issue("request", format!("variables: {}", e.message())));
                }
            }
            Err(e) => issues.push(issue("request", format!("variables: not an object ({e})"))),
        }
        // 2026-04 inventory rules.
        for field in &root_fields {
            match field.as_str() {
                "inventorySetQuantities" => {
                    let quantities = variables
                        .pointer("/input/quantities")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    for (i, q) in quantities.iter().enumerate() {
                        if q.get("changeFromQuantity").is_none() {
                            issues.push(issue(
                                "request",
                                format!("variables /input/quantities/{i}: changeFromQuantity required from 2026-04 (null opts out)"),
                            ));
                        }
                        if q.get("compareQuantity").is_some() {
                            issues.push(issue(
                                "request",
                                format!("variables /input/quantities/{i}: compareQuantity is replaced by changeFromQuantity in 2026-04"),
                            ));
                        }
                    }
                }
                "inventorySetOnHandQuantities" | "inventoryAdjustQuantities"
                    if !query.contains("@idempotent") =>
                {
                    issues.push(issue(
                        "request",
                        format!("{field}: needs an @idempotent key from 2026-04"),
                    ));
                }
                _ => {}
            }
        }
        // The answer.
        if ex.status != 200 {
            issues.push(issue(
                "response",
                format!("status {}: GraphQL answers 200", ex.status),
            ));
        }
        match serde_json::from_slice::<Value>(&ex.response_body) {
            Ok(answer) => {
                if let Some(errors) = answer.get("errors") {
                    let well_formed = errors.as_array().is_some_and(|list| {
                        list.iter()
                            .all(|e| e.get("message").is_some_and(Value::is_string))
                    });
                    if !well_formed {
                        issues.push(issue("response", "errors: each needs a message"));
                    }
                }
                match answer.get("data") {
                    Some(Value::Object(data)) => {
                        let mut path = String::new();
                        self.check_selection(
                            &doc,
                            &operation.selection_set,
                            data,
                            &mut path,
                            &mut issues,
                        );
                    }
                    Some(Value::Null) | None if answer.get("errors").is_some() => {}
                    _ => issues.push(issue("response", "data: missing")),
                }
            }
            Err(_) => issues.push(issue("response", "body: not JSON")),
        }
        (label, issues)
    }

    fn applies(&self, condition: Option<&str>, typename: Option<&str>, parent: &str) -> bool {
        let Some(condition) = condition else {
            return true;
        };
        let concrete = typename.unwrap_or(parent);
        condition == concrete || self.schema.is_subtype(condition, concrete)
    }

    fn collect<'a>(
        &self,
        doc: &'a ExecutableDocument,
        set: &'a SelectionSet,
        typename: Option<&str>,
        out: &mut Vec<&'a apollo_compiler::executable::Field>,
    ) {
        for selection in &set.selections {
            match selection {
                Selection::Field(f) => out.push(f),
                Selection::InlineFragment(i) => {
                    if self.applies(i.type_condition.as_deref(), typename, &set.ty) {
                        self.collect(doc, &i.selection_set, typename, out);
                    }
                }
                Selection::FragmentSpread(s) => {
                    if let Some(fragment) = doc.fragments.get(&s.fragment_name)
                        && self.applies(Some(fragment.type_condition()), typename, &set.ty)
                    {
                        self.collect(doc, &fragment.selection_set, typename, out);
                    }
                }
            }
        }
    }

    fn check_selection(
        &self,
        doc: &ExecutableDocument,
        set: &SelectionSet,
        object: &serde_json::Map<String, Value>,
        path: &mut String,
        issues: &mut Vec<Issue>,
    ) {
        let typename = object.get("__typename").and_then(Value::as_str);
        let mut fields = Vec::new();
        self.collect(doc, set, typename, &mut fields);
        for key in object.keys() {
            if !fields.iter().any(|f| f.response_key().as_str() == key) {
                issues.push(issue(
                    "response",
                    format!("data {path}/{key}: not asked for"),
                ));
            }
        }
        for field in fields {
            let key = field.response_key().as_str();
            let len = path.len();
            path.push('/');
            path.push_str(key);
            match object.get(key) {
                None => issues.push(issue(
                    "response",
                    format!("data {path}: selected but missing"),
                )),
                Some(value) => self.check_value(
                    doc,
                    &field.definition.ty,
                    &field.selection_set,
                    value,
                    path,
                    issues,
                ),
            }
            path.truncate(len);
        }
    }

    fn check_value(
        &self,
        doc: &ExecutableDocument,
        ty: &apollo_compiler::ast::Type,
        set: &SelectionSet,
        value: &Value,
        path: &mut String,
        issues: &mut Vec<Issue>,
    ) {
        if value.is_null() {
            if ty.is_non_null() {
                issues.push(issue(
                    "response",
                    format!("data {path}: null for non-null {ty}"),
                ));
            }
            return;
        }
        if ty.is_list() {
            let Some(items) = value.as_array() else {
                issues.push(issue("response", format!("data {path}: {ty} needs a list")));
                return;
            };
            let item_ty = ty.item_type();
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                self.check_value(doc, item_ty, set, item, path, issues);
                path.truncate(len);
            }
            return;
        }
        let name = ty.inner_named_type().as_str();
        let ok = match self.schema.types.get(name) {
            Some(ExtendedType::Scalar(_)) => match name {
                "Int" => value.is_i64() || value.is_u64(),
                "Float" => value.is_number(),
                "String" | "ID" => value.is_string(),
                "Boolean" => value.is_boolean(),
                _ => true,
            },
            Some(ExtendedType::Enum(e)) => value
                .as_str()
                .is_some_and(|s| e.values.keys().any(|k| k.as_str() == s)),
            Some(ExtendedType::Object(_) | ExtendedType::Interface(_) | ExtendedType::Union(_)) => {
                match value.as_object() {
                    Some(object) => {
                        self.check_selection(doc, set, object, path, issues);
                        true
                    }
                    None => false,
                }
            }
            _ => true,
        };
        if !ok {
            issues.push(issue(
                "response",
                format!("data {path}: {value} is not a {name}"),
            ));
        }
    }
}
