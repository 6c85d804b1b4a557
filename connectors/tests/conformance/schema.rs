//! JSON Schema validation of payloads against a published document (an OpenAPI 3.0 / Swagger 2
//! file or a plain JSON Schema), with the `jsonschema` crate resolving every `$ref` inside it.
//!
//! OpenAPI's schema dialect is brought to draft 7 first: `nullable` / `x-nullable` become a
//! `null` type, boolean `exclusiveMinimum`/`Maximum` become numbers, `type: file` is dropped.
//! Objects are then made strict: `allOf` of plain object schemas is merged into one, and an
//! object schema that lists its `properties` (and says nothing of others) refuses undeclared
//! ones, so an explicit `null` for a field the spec does not have — or any field it does not
//! have — is a finding, not silently accepted.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use jsonschema::{Draft, Registry, Validator};
use serde_json::{Map, Value, json};

/// One document registered for validation.
pub struct SchemaDoc {
    pub file: String,
    uri: String,
    pub doc: Value,
    registry: Registry<'static>,
    cache: Mutex<HashMap<String, Arc<Validator>>>,
}

impl SchemaDoc {
    /// Registers `raw` (normalized as described above) under a URI named after `file`.
    pub fn new(file: &str, raw: Value, strict: bool) -> Self {
        let mut doc = raw.clone();
        flatten_all_of(&mut doc, &raw);
        // Definitions still combined by `allOf` stay open: a strict member would refuse its
        // siblings' properties.
        let mut open = HashSet::new();
        all_of_targets(&doc, &mut open);
        normalize_at(&mut doc, strict, "", &open);
        let uri = format!("urn:spec:{}", file.replace(['/', '.'], "-"));
        let registry = Registry::new()
            .draft(Draft::Draft7)
            .add(&uri, doc.clone())
            .and_then(|b| b.prepare())
            .unwrap_or_else(|e| panic!("conformance: {file} cannot be registered: {e}"));
        Self {
            file: file.to_string(),
            uri,
            doc,
            registry,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The value at a JSON pointer of the (normalized) document, following a `$ref` there.
    pub fn at(&self, pointer: &str) -> Option<&Value> {
        let mut value = self.doc.pointer(pointer)?;
        for _ in 0..10 {
            match value.get("$ref").and_then(Value::as_str) {
                Some(r) if r.starts_with("#/") => value = self.doc.pointer(&r[1..])?,
                _ => break,
            }
        }
        Some(value)
    }

    /// Problems of `instance` against the schema at `pointer` (empty when it conforms).
    pub fn check(&self, pointer: &str, instance: &Value) -> Vec<String> {
        let schema = json!({ "$ref": format!("{}#{}", self.uri, pointer) });
        self.check_with(pointer.to_string(), &schema, instance)
    }

    /// Problems of `instance` against an inline schema (refs resolve inside this document).
    pub fn check_inline(&self, schema: &Value, instance: &Value) -> Vec<String> {
        let mut schema = schema.clone();
        normalize(&mut schema, false);
        rebase_refs(&mut schema, &self.uri);
        self.check_with(schema.to_string(), &schema, instance)
    }

    fn check_with(&self, key: String, schema: &Value, instance: &Value) -> Vec<String> {
        let validator = {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            match cache.get(&key) {
                Some(v) => Arc::clone(v),
                None => {
                    let built = jsonschema::options()
                        .with_draft(Draft::Draft7)
                        .with_registry(&self.registry)
                        .build(schema)
                        .unwrap_or_else(|e| {
                            panic!(
                                "conformance: {} {key}: schema does not build: {e}",
                                self.file
                            )
                        });
                    let built = Arc::new(built);
                    cache.insert(key, Arc::clone(&built));
                    built
                }
            }
        };
        let mut problems: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| {
                let mut text = e.to_string();
                if text.len() > 240 {
                    let mut cut = 240;
                    while !text.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    text.truncate(cut);
                    text.push('…');
                }
                let at = e.instance_path().to_string();
                format!("{}: {text}", if at.is_empty() { "/" } else { &at })
            })
            .collect();
        problems.sort();
        problems.dedup();
        problems
    }
}

/// `#/x` refs of an inline schema point into the registered document.
fn rebase_refs(value: &mut Value, uri: &str) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref")
                && r.starts_with('#')
            {
                *r = format!("{uri}{r}");
            }
            for v in map.values_mut() {
                rebase_refs(v, uri);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rebase_refs(v, uri)),
        _ => {}
    }
}

fn resolve<'a>(root: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..10 {
        match value.get("$ref").and_then(Value::as_str) {
            Some(r) if r.starts_with("#/") => match root.pointer(&r[1..]) {
                Some(v) => value = v,
                None => break,
            },
            _ => break,
        }
    }
    value
}

const OBJECT_KEYS: &[&str] = &[
    "type",
    "properties",
    "required",
    "description",
    "title",
    "example",
    "examples",
    "additionalProperties",
    "nullable",
    "x-nullable",
    "readOnly",
    "xml",
    "externalDocs",
    "default",
];

/// Properties, required names and openness of an `allOf` member (following `$ref`s and nested
/// `allOf`s), or `None` when it is not a plain object schema.
fn merged(
    member: &Value,
    root: &Value,
    depth: usize,
) -> Option<(Map<String, Value>, Vec<Value>, bool)> {
    if depth > 8 {
        return None;
    }
    let m = resolve(root, member).as_object()?;
    if m.keys()
        .any(|k| !OBJECT_KEYS.contains(&k.as_str()) && k != "allOf" && !k.starts_with("x-"))
    {
        return None;
    }
    let mut props = Map::new();
    let mut required = Vec::new();
    let mut open = m
        .get("additionalProperties")
        .is_some_and(|a| a != &Value::Bool(false));
    if let Some(Value::Array(members)) = m.get("allOf") {
        for sub in members {
            let (p, r, o) = merged(sub, root, depth + 1)?;
            props.extend(p);
            required.extend(r);
            open |= o;
        }
    }
    if let Some(Value::Object(p)) = m.get("properties") {
        for (k, v) in p {
            props.insert(k.clone(), v.clone());
        }
    }
    if let Some(Value::Array(r)) = m.get("required") {
        required.extend(r.iter().cloned());
    }
    Some((props, required, open))
}

/// Merges `allOf` members that are plain object schemas into their parent.
fn flatten_all_of(value: &mut Value, root: &Value) {
    match value {
        Value::Object(map) => {
            // Children first: properties copied in from members below are not walked again
            // (a member may hold a copy of itself, which would never end).
            for v in map.values_mut() {
                flatten_all_of(v, root);
            }
            if let Some(Value::Array(members)) = map.get("allOf") {
                let parts: Option<Vec<_>> = members.iter().map(|m| merged(m, root, 0)).collect();
                if let Some(parts) = parts {
                    map.remove("allOf");
                    let mut extra_open = false;
                    let props = map
                        .entry("properties")
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(props) = props {
                        for (p, _, open) in &parts {
                            extra_open |= *open;
                            for (k, v) in p {
                                props.entry(k.clone()).or_insert_with(|| v.clone());
                            }
                        }
                    }
                    let required = map
                        .entry("required")
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(required) = required {
                        for (_, r, _) in &parts {
                            for name in r {
                                if !required.contains(name) {
                                    required.push(name.clone());
                                }
                            }
                        }
                    }
                    map.entry("type").or_insert_with(|| json!("object"));
                    if extra_open {
                        map.entry("additionalProperties").or_insert(json!(true));
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| flatten_all_of(v, root)),
        _ => {}
    }
}

/// `$ref` targets used as members of a remaining `allOf`.
fn all_of_targets(value: &Value, out: &mut HashSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(members)) = map.get("allOf") {
                for m in members {
                    if let Some(r) = m.get("$ref").and_then(Value::as_str)
                        && let Some(pointer) = r.strip_prefix('#')
                    {
                        out.insert(pointer.to_string());
                    }
                }
            }
            map.values().for_each(|v| all_of_targets(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| all_of_targets(v, out)),
        _ => {}
    }
}

/// OpenAPI's dialect → draft 7 (see [`normalize_at`]), nothing made strict.
pub fn normalize(value: &mut Value, strict: bool) {
    normalize_at(value, strict, "", &HashSet::new());
}

/// OpenAPI's dialect → draft 7, and strict objects when asked (except at `open` pointers and
/// inside `allOf`).
fn normalize_at(value: &mut Value, strict: bool, at: &str, open: &HashSet<String>) {
    match value {
        Value::Object(map) => {
            let inside_all_of = map.contains_key("allOf");
            for (k, v) in map.iter_mut() {
                let child = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                normalize_at(v, strict && !(inside_all_of && k == "allOf"), &child, open);
            }
            if map.get("type") == Some(&json!("file")) {
                map.remove("type");
            }
            for (bound, exclusive) in [
                ("minimum", "exclusiveMinimum"),
                ("maximum", "exclusiveMaximum"),
            ] {
                if let Some(Value::Bool(b)) = map.get(exclusive).cloned() {
                    map.remove(exclusive);
                    if b && let Some(n) = map.remove(bound) {
                        map.insert(exclusive.into(), n);
                    }
                }
            }
            let nullable = map.get("nullable") == Some(&json!(true))
                || map.get("x-nullable") == Some(&json!(true));
            if nullable {
                if let Some(Value::String(t)) = map.get("type").cloned() {
                    map.insert("type".into(), json!([t, "null"]));
                    if let Some(Value::Array(e)) = map.get_mut("enum")
                        && !e.contains(&Value::Null)
                    {
                        e.push(Value::Null);
                    }
                } else if let Some(r) = map.get("$ref").cloned() {
                    map.clear();
                    map.insert("anyOf".into(), json!([{"$ref": r}, {"type": "null"}]));
                }
            }
            let is_schema_object = map.get("properties").is_some_and(Value::is_object)
                && map.get("type").is_none_or(|t| {
                    t == &json!("object")
                        || t.as_array().is_some_and(|a| a.contains(&json!("object")))
                });
            // `additionalProperties: false` beside no `properties` (ShipBob's generator puts it
            // on every `oneOf` and `$ref`) would refuse every field; it means nothing there.
            if map.get("additionalProperties") == Some(&json!(false))
                && !map.contains_key("properties")
            {
                map.remove("additionalProperties");
            }
            // OpenAPI 3.0 and Swagger 2 ignore a `$ref`'s siblings; draft 7 validators may not.
            if let Some(r) = map.get("$ref").cloned() {
                map.clear();
                map.insert("$ref".into(), r);
                return;
            }
            if strict
                && !open.contains(at)
                && is_schema_object
                && !map.contains_key("additionalProperties")
                && !map.contains_key("allOf")
                && !map.contains_key("oneOf")
                && !map.contains_key("anyOf")
                && !map.contains_key("discriminator")
            {
                map.insert("additionalProperties".into(), json!(false));
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                normalize_at(v, strict, &format!("{at}/{i}"), open);
            }
        }
        _ => {}
    }
}
