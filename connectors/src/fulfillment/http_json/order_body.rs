//! The JSON purchase order POSTed to the supplier (the fields are the public contract, listed
//! in the README).

use serde_json::{Value, json};
use switchyard_core::fulfillment::{FulfillmentLine, FulfillmentOrder};

/// `po_number` is the idempotency key, which the supplier echoes in every event.
pub fn order_body(
    order: &FulfillmentOrder,
    po_number: &str,
    part: &dyn Fn(&FulfillmentLine) -> String,
) -> Value {
    let a = &order.ship_to;
    json!({
        "po_number": po_number,
        "reference": order.reference,
        "order_number": order.channel_order_number,
        "placed_at": order.placed_at.map(|t| t.to_rfc3339()),
        "currency": order.currency,
        "ship_to": {
            "name": a.name, "company": a.company, "address1": a.address1, "address2": a.address2,
            "city": a.city, "region": a.region, "postal_code": a.postal_code,
            "country_code": a.country_code, "phone": a.phone,
        },
        "email": order.email,
        "shipping": {"method": order.shipping.method, "carrier": order.shipping.carrier},
        "lines": order.lines.iter().map(|l| json!({
            "line_id": l.line_id,
            "sku": part(l),
            "merchant_sku": l.sku,
            "title": l.title,
            "quantity": l.quantity,
            "unit_price": l.unit_price.to_string(),
        })).collect::<Vec<_>>(),
    })
}
