//! Root query fields: `orders`, `order`, `productVariants`.

use chrono::Utc;
use serde_json::{Map, Value};

use super::schema::{Obj, Out, connection, cursor, decode_cursor, gql_time, parse_gid};
use super::search::{date_filters, skus};
use super::store::Store;

pub(crate) fn resolve(name: &str, args: &Map<String, Value>, store: &Store) -> Result<Out, String> {
    match name {
        "orders" => orders(args, store),
        "order" => {
            let id = args
                .get("id")
                .and_then(Value::as_str)
                .ok_or("Argument 'id' on Field 'order' is required")?;
            let id = parse_gid("Order", id).ok_or_else(|| format!("Invalid global id '{id}'"))?;
            Ok(store
                .orders
                .get(&id)
                .map_or(Out::Null, |o| Out::obj(Obj::Order(o.clone()))))
        }
        "productVariants" => {
            let wanted = args
                .get("query")
                .and_then(Value::as_str)
                .map(skus)
                .unwrap_or_default();
            let items = store
                .variants
                .iter()
                .filter(|v| wanted.is_empty() || wanted.contains(&v.sku))
                .map(|v| {
                    (
                        cursor(v.variant_id, &v.variant_id.to_string()),
                        Obj::Variant(v.clone(), store.location_id),
                    )
                })
                .collect();
            connection("ProductVariant", items, args)
        }
        other => Err(format!("Field '{other}' doesn't exist on type 'QueryRoot'")),
    }
}

/// `orders(first, after, sortKey, reverse, query)` with Shopify's opaque cursors: a cursor
/// names the last (sort value, id) seen, so pages stay stable while orders change.
fn orders(args: &Map<String, Value>, store: &Store) -> Result<Out, String> {
    let filters = match args.get("query").and_then(Value::as_str) {
        Some(q) => date_filters(q)?,
        None => Vec::new(),
    };
    let sort = args.get("sortKey").and_then(Value::as_str).unwrap_or("ID");
    let key = |o: &super::store::OrderRec| -> String {
        match sort {
            "UPDATED_AT" => gql_time(&o.updated_at),
            "CREATED_AT" | "PROCESSED_AT" => gql_time(&o.created_at),
            _ => format!("{:020}", o.id),
        }
    };
    if !matches!(sort, "ID" | "UPDATED_AT" | "CREATED_AT" | "PROCESSED_AT") {
        return Err(format!(
            "Argument 'sortKey' on Field 'orders' has an invalid value ({sort})."
        ));
    }
    let mut rows: Vec<_> = store
        .orders
        .values()
        .filter(|o| {
            filters.iter().all(|f| {
                let v = if f.field == "created_at" {
                    o.created_at
                } else {
                    o.updated_at
                };
                f.matches(v.with_timezone(&Utc))
            })
        })
        .map(|o| (key(o), o.id, o))
        .collect();
    rows.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    if args
        .get("reverse")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        rows.reverse();
    }
    // `after` is decoded rather than matched, so a cursor stays valid when the order it names
    // has moved on since.
    let mut args = args.clone();
    if let Some(after) = args
        .remove("after")
        .and_then(|v| v.as_str().map(str::to_string))
    {
        let (last_id, last_value) = decode_cursor(&after)
            .ok_or_else(|| format!("Invalid cursor for current pagination sort: {after}"))?;
        let reverse = args
            .get("reverse")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        rows.retain(|(k, id, _)| {
            let ord = (k.as_str(), *id).cmp(&(last_value.as_str(), last_id));
            if reverse { ord.is_lt() } else { ord.is_gt() }
        });
    }
    let items = rows
        .into_iter()
        .map(|(k, id, o)| (cursor(id, &k), Obj::Order(o.clone())))
        .collect();
    connection("Order", items, &args)
}
