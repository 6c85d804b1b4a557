//! The REST (webhook) JSON of an order: what Shopify posts to `orders/*` subscriptions.

use chrono::{DateTime, FixedOffset, SecondsFormat};
use serde_json::{Value, json};

use super::store::{AddressRec, OrderRec};

pub(crate) fn rest_time(t: &DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

fn address(a: &AddressRec) -> Value {
    json!({
        "first_name": a.first_name,
        "last_name": a.last_name,
        "name": a.name(),
        "company": a.company,
        "address1": a.address1,
        "address2": a.address2.clone().unwrap_or_default(),
        "city": a.city,
        "province": a.province,
        "province_code": a.province_code,
        "zip": a.zip,
        "country": a.country,
        "country_code": a.country_code,
        "phone": a.phone,
        "latitude": null,
        "longitude": null,
    })
}

/// The order as a webhook body (unwrapped, like Shopify's `orders/*` payloads).
pub(crate) fn rest_order(o: &OrderRec) -> Value {
    let total = format!("{:.2}", o.total());
    let lines: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            let fulfilled = o.line_fulfilled(l.id);
            json!({
                "id": l.id,
                "admin_graphql_api_id": format!("gid://shopify/LineItem/{}", l.id),
                "variant_id": (l.variant_id != 0).then_some(l.variant_id),
                "product_id": (l.product_id != 0).then_some(l.product_id),
                "sku": l.sku,
                "title": l.title,
                "name": l.title,
                "variant_title": null,
                "vendor": "Switchyard Sim",
                "quantity": l.quantity,
                "current_quantity": l.quantity,
                "fulfillable_quantity": l.quantity.saturating_sub(fulfilled),
                "fulfillment_status": if fulfilled == 0 { Value::Null }
                    else if fulfilled >= l.quantity { json!("fulfilled") } else { json!("partial") },
                "price": format!("{:.2}", l.price),
                "total_discount": "0.00",
                "requires_shipping": true,
                "taxable": true,
                "grams": 250,
                "gift_card": false,
                "properties": [],
                "tax_lines": [],
            })
        })
        .collect();
    let fulfillments: Vec<Value> = o
        .fulfillments
        .iter()
        .map(|f| {
            json!({
                "id": f.id,
                "order_id": o.id,
                "status": "success",
                "created_at": rest_time(&f.created_at),
                "tracking_company": f.company,
                "tracking_number": f.number,
                "tracking_numbers": f.number.iter().collect::<Vec<_>>(),
                "line_items": f.lines.iter().map(|(id, q)| json!({"id": id, "quantity": q})).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "id": o.id,
        "admin_graphql_api_id": format!("gid://shopify/Order/{}", o.id),
        "name": o.name(),
        "number": o.number - 1000,
        "order_number": o.number,
        "email": o.email,
        "contact_email": o.email,
        "created_at": rest_time(&o.created_at),
        "processed_at": rest_time(&o.created_at),
        "updated_at": rest_time(&o.updated_at),
        "cancelled_at": o.cancelled_at.as_ref().map(rest_time),
        "cancel_reason": o.cancel_reason.as_deref().map(str::to_lowercase),
        "closed_at": null,
        "confirmed": true,
        "test": false,
        "currency": o.currency,
        "presentment_currency": o.currency,
        "financial_status": o.financial_status,
        "fulfillment_status": o.rest_fulfillment_status(),
        "subtotal_price": total,
        "total_line_items_price": total,
        "total_discounts": "0.00",
        "total_tax": "0.00",
        "taxes_included": false,
        "total_price": total,
        "tags": "",
        "note": null,
        "source_name": "web",
        "line_items": lines,
        "shipping_address": address(&o.shipping),
        "billing_address": address(&o.shipping),
        "customer": {
            "id": o.id + 7,
            "email": o.email,
            "first_name": o.shipping.first_name,
            "last_name": o.shipping.last_name,
            "tags": "",
        },
        "fulfillments": fulfillments,
        "shipping_lines": [],
        "discount_codes": [],
    })
}
