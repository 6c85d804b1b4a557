//! Runs one GraphQL request: parse, pick the operation, charge its cost, resolve root fields
//! and project every value onto the selection set (aliases honored, only selected fields).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use graphql_parser::query::{
    Definition, Document, FragmentDefinition, OperationDefinition, Selection, SelectionSet,
    Value as GqlValue,
};
use serde_json::{Map, Value, json};

use super::cost::{Bucket, mutation_cost, query_cost};
use super::schema::{Obj, Out};
use super::store::Store;
use super::{mutations, roots};

/// What the request is run against.
pub(crate) struct Ctx<'a> {
    pub store: &'a mut Store,
    pub bucket: &'a mut Bucket,
    pub api_version: &'a str,
    pub max_query_cost: u64,
    pub now: DateTime<Utc>,
}

/// Effects of a request the server counts.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub throttled: bool,
    pub stock_writes: u64,
    /// The request set stock levels (`inventorySetQuantities`) and was executed.
    pub stock_call: bool,
    /// (SKU, level) of every stock write the request made.
    pub written: Vec<(String, i64)>,
}

type Frags<'a> = HashMap<String, &'a FragmentDefinition<'a, String>>;

/// A GraphQL error as Shopify renders it.
pub(crate) fn error(message: impl Into<String>, code: Option<&str>) -> Value {
    let mut e = json!({ "message": message.into() });
    if let Some(code) = code {
        e["extensions"] = json!({ "code": code });
    }
    e
}

/// Turns literal arguments (with `$variables` substituted) into JSON.
pub(crate) fn arg_values(
    args: &[(String, GqlValue<'_, String>)],
    vars: &Map<String, Value>,
) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for (name, v) in args {
        out.insert(name.clone(), to_json(v, vars)?);
    }
    Ok(out)
}

fn to_json(v: &GqlValue<'_, String>, vars: &Map<String, Value>) -> Result<Value, String> {
    Ok(match v {
        GqlValue::Variable(name) => vars.get(name).cloned().unwrap_or(Value::Null),
        GqlValue::Int(n) => n.as_i64().map(Value::from).ok_or("integer out of range")?,
        GqlValue::Float(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .ok_or("invalid float")?,
        GqlValue::String(s) => Value::String(s.clone()),
        GqlValue::Boolean(b) => Value::Bool(*b),
        GqlValue::Null => Value::Null,
        GqlValue::Enum(e) => Value::String(e.clone()),
        GqlValue::List(items) => Value::Array(
            items
                .iter()
                .map(|i| to_json(i, vars))
                .collect::<Result<_, _>>()?,
        ),
        GqlValue::Object(map) => {
            let mut m = Map::new();
            for (k, v) in map {
                m.insert(k.clone(), to_json(v, vars)?);
            }
            Value::Object(m)
        }
    })
}

/// Runs one request and renders the full response body (always HTTP 200, like Shopify).
pub(crate) fn run(
    query: &str,
    vars: &Map<String, Value>,
    operation_name: Option<&str>,
    ctx: &mut Ctx<'_>,
) -> (Value, Outcome) {
    let mut outcome = Outcome::default();
    let doc: Document<'_, String> = match graphql_parser::parse_query::<String>(query) {
        Ok(d) => d,
        Err(e) => {
            return (
                json!({ "errors": [error(format!("Parse error: {e}"), None)] }),
                outcome,
            );
        }
    };
    let mut frags: Frags<'_> = HashMap::new();
    let mut ops = Vec::new();
    for def in &doc.definitions {
        match def {
            Definition::Fragment(f) => {
                frags.insert(f.name.clone(), f);
            }
            Definition::Operation(op) => ops.push(op),
        }
    }
    let op = match operation_name {
        Some(name) => ops.into_iter().find(|op| op_name(op) == Some(name)),
        None if ops.len() == 1 => ops.into_iter().next(),
        None => None,
    };
    let Some(op) = op else {
        return (
            json!({ "errors": [error("An operation name is required when sending multiple operations, or the named operation was not found", None)] }),
            outcome,
        );
    };
    let (set, is_mutation) = match op {
        OperationDefinition::Query(q) => (&q.selection_set, false),
        OperationDefinition::SelectionSet(s) => (s, false),
        OperationDefinition::Mutation(m) => (&m.selection_set, true),
        OperationDefinition::Subscription(_) => {
            return (
                json!({ "errors": [error("Subscriptions are not supported", None)] }),
                outcome,
            );
        }
    };
    let requested = if is_mutation {
        mutation_cost(set)
    } else {
        query_cost(set, vars, &frags)
    };
    if requested > ctx.max_query_cost {
        let body = json!({
            "errors": [error(format!(
                "Query cost is {requested}, which exceeds the single query max cost limit ({}).",
                ctx.max_query_cost
            ), Some("MAX_COST_EXCEEDED"))],
            "extensions": { "cost": { "requestedQueryCost": requested, "actualQueryCost": null,
                "throttleStatus": ctx.bucket.status() } },
        });
        return (body, outcome);
    }
    if !ctx.bucket.try_take(requested as f64) {
        outcome.throttled = true;
        let body = json!({
            "errors": [{
                "message": "Throttled",
                "extensions": { "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits" },
            }],
            "extensions": { "cost": { "requestedQueryCost": requested, "actualQueryCost": null,
                "throttleStatus": ctx.bucket.status() } },
        });
        return (body, outcome);
    }

    // A request that fails validation changes nothing, as on Shopify where validation happens
    // before execution: mutations note what they change and are undone on any error.
    let checkpoint = is_mutation.then(|| ctx.store.begin());
    let mut p = Projector {
        frags: &frags,
        vars,
        actual: 0,
    };
    let mut data = Map::new();
    let mut errors = Vec::new();
    for item in &set.items {
        let Selection::Field(f) = item else {
            errors.push(error("Fragments on the root type are not supported", None));
            continue;
        };
        let key = f.alias.clone().unwrap_or_else(|| f.name.clone());
        if f.name == "__typename" {
            data.insert(
                key,
                json!(if is_mutation { "Mutation" } else { "QueryRoot" }),
            );
            continue;
        }
        let args = match arg_values(&f.arguments, vars) {
            Ok(a) => a,
            Err(e) => {
                errors.push(error(e, None));
                continue;
            }
        };
        let resolved = if is_mutation {
            if f.name == "inventorySetQuantities" {
                outcome.stock_call = true;
            }
            mutations::resolve(&f.name, &args, ctx.store, ctx.api_version, ctx.now).map(
                |(out, writes)| {
                    outcome.stock_writes += writes;
                    out
                },
            )
        } else {
            roots::resolve(&f.name, &args, ctx.store)
        };
        match resolved
            .map_err(ProjectError::from)
            .and_then(|out| p.project(&out, &f.selection_set, &f.name))
        {
            Ok(v) => {
                data.insert(key, v);
            }
            Err(e) => errors.push(error_at(e, f.position)),
        }
    }
    let actual = if is_mutation {
        requested
    } else {
        p.actual.min(requested)
    };
    if errors.is_empty() {
        ctx.bucket.refund((requested - actual) as f64);
        outcome.written = std::mem::take(&mut ctx.store.written);
    } else {
        if let Some(checkpoint) = checkpoint {
            ctx.store.rollback(checkpoint);
        }
        outcome.stock_writes = 0;
        outcome.stock_call = false;
    }
    let cost = json!({
        "requestedQueryCost": requested,
        "actualQueryCost": if errors.is_empty() { json!(actual) } else { Value::Null },
        "throttleStatus": ctx.bucket.status(),
    });
    let body = if errors.is_empty() {
        json!({ "data": data, "extensions": { "cost": cost } })
    } else {
        json!({ "errors": errors, "extensions": { "cost": cost } })
    };
    (body, outcome)
}

fn op_name<'a>(op: &'a OperationDefinition<'a, String>) -> Option<&'a str> {
    match op {
        OperationDefinition::Query(q) => q.name.as_deref(),
        OperationDefinition::Mutation(m) => m.name.as_deref(),
        OperationDefinition::Subscription(s) => s.name.as_deref(),
        OperationDefinition::SelectionSet(_) => None,
    }
}

fn error_at(e: ProjectError, fallback: graphql_parser::Pos) -> Value {
    let pos = e.pos.unwrap_or(fallback);
    let mut v = error(e.message, e.code.as_deref());
    v["locations"] = json!([{ "line": pos.line, "column": pos.column }]);
    if let Some((ty, field)) = e.undefined {
        v["extensions"] = json!({ "code": "undefinedField", "typeName": ty, "fieldName": field });
    }
    v
}

/// A failure while projecting, with where in the query it happened.
pub(crate) struct ProjectError {
    message: String,
    code: Option<String>,
    pos: Option<graphql_parser::Pos>,
    undefined: Option<(String, String)>,
}

impl From<String> for ProjectError {
    fn from(message: String) -> Self {
        Self {
            message,
            code: None,
            pos: None,
            undefined: None,
        }
    }
}

struct Projector<'a, 'q> {
    frags: &'a Frags<'q>,
    vars: &'a Map<String, Value>,
    actual: u64,
}

impl Projector<'_, '_> {
    fn project(
        &mut self,
        out: &Out,
        set: &SelectionSet<'_, String>,
        field: &str,
    ) -> Result<Value, ProjectError> {
        match out {
            Out::Null => Ok(Value::Null),
            Out::Scalar(v) => {
                if set.items.is_empty() {
                    Ok(v.clone())
                } else {
                    Err(format!("Selections can't be made on scalars (field '{field}')").into())
                }
            }
            Out::EmptyOf(proto) => {
                let spent = self.actual;
                self.project(&Out::Obj(proto.clone()), set, field)?;
                self.actual = spent;
                Ok(Value::Array(Vec::new()))
            }
            Out::List(items) => items
                .iter()
                .map(|i| self.project(i, set, field))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Out::Obj(obj) => {
                if set.items.is_empty() {
                    return Err(format!(
                        "Field must have selections (field '{field}' returns {} but has no selections. Did you mean '{field} {{ ... }}'?)",
                        obj.type_name()
                    )
                    .into());
                }
                self.actual += obj.actual_cost();
                let mut map = Map::new();
                self.fill(obj, set, &mut map)?;
                Ok(Value::Object(map))
            }
        }
    }

    fn fill(
        &mut self,
        obj: &Obj,
        set: &SelectionSet<'_, String>,
        map: &mut Map<String, Value>,
    ) -> Result<(), ProjectError> {
        let ty = obj.type_name();
        for item in &set.items {
            match item {
                Selection::Field(f) => {
                    let key = f.alias.clone().unwrap_or_else(|| f.name.clone());
                    if f.name == "__typename" {
                        map.insert(key, Value::String(ty.clone()));
                        continue;
                    }
                    let args = arg_values(&f.arguments, self.vars)?;
                    let out = obj.field(&f.name, &args).map_err(|message| {
                        let undefined = message
                            .starts_with("Field '")
                            .then(|| (ty.clone(), f.name.clone()));
                        ProjectError {
                            message,
                            code: None,
                            pos: Some(f.position),
                            undefined,
                        }
                    })?;
                    let v = self.project(&out, &f.selection_set, &f.name)?;
                    map.insert(key, v);
                }
                Selection::InlineFragment(i) => {
                    let applies = match &i.type_condition {
                        Some(graphql_parser::query::TypeCondition::On(t)) => *t == ty,
                        None => true,
                    };
                    if applies {
                        self.fill(obj, &i.selection_set, map)?;
                    }
                }
                Selection::FragmentSpread(s) => {
                    let Some(def) = self.frags.get(&s.fragment_name) else {
                        return Err(format!(
                            "Fragment {} was used, but not defined",
                            s.fragment_name
                        )
                        .into());
                    };
                    let graphql_parser::query::TypeCondition::On(t) = &def.type_condition;
                    if *t == ty {
                        self.fill(obj, &def.selection_set, map)?;
                    }
                }
            }
        }
        Ok(())
    }
}
