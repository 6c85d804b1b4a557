//! `POST /order` with the idempotency key as `reference_id`. ShipBob refuses a second order with
//! the same reference in the channel (422), so a repeat after a crash or a lost answer looks the
//! order up by `ReferenceIds` and returns the one already there instead of creating another.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};
use switchyard_core::fulfillment::{FulfillmentOrder, Receipt};
use switchyard_core::ports::ChannelError;

use super::client::{SbClient, error_message};
use super::orders::find_by_reference;
use crate::http::with_retry;

/// ShipBob's limit on `reference_id`.
const MAX_REFERENCE: usize = 300;

/// The create-order body; `partner_item` names each line's product as ShipBob knows it.
pub fn body(
    order: &FulfillmentOrder,
    key: &str,
    partner_item: &dyn Fn(&switchyard_core::fulfillment::FulfillmentLine) -> String,
) -> Result<Value, ChannelError> {
    let refuse = |field: &str, why: &str| ChannelError::Rejected(format!("{field}: {why}"));
    if key.trim().is_empty() || key.chars().count() > MAX_REFERENCE {
        return Err(refuse(
            "idempotency_key",
            "must be 1-300 characters (it becomes ShipBob's reference_id)",
        ));
    }
    if order.lines.is_empty() {
        return Err(refuse("lines", "an order needs at least one line"));
    }
    let to = &order.ship_to;
    let present = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let name = present(&to.name).ok_or_else(|| refuse("ship_to.name", "required by ShipBob"))?;
    let address1 =
        present(&to.address1).ok_or_else(|| refuse("ship_to.address1", "required by ShipBob"))?;
    let city = present(&to.city).ok_or_else(|| refuse("ship_to.city", "required by ShipBob"))?;
    let country = present(&to.country_code)
        .ok_or_else(|| refuse("ship_to.country_code", "required by ShipBob"))?;
    let mut products = Vec::with_capacity(order.lines.len());
    let mut total = Decimal::ZERO;
    for (i, line) in order.lines.iter().enumerate() {
        if line.quantity == 0 {
            return Err(refuse(
                &format!("lines[{i}].quantity"),
                "must be at least 1",
            ));
        }
        total += line.unit_price * Decimal::from(line.quantity);
        products.push(json!({
            "reference_id": partner_item(line),
            "name": line.title,
            "quantity": line.quantity,
            "unit_price": line.unit_price.to_f64(),
        }));
    }
    let method = order.shipping.method.trim();
    Ok(json!({
        "reference_id": key,
        "order_number": order.channel_order_number,
        "type": "DTC",
        "shipping_method": if method.is_empty() { "Standard" } else { method },
        "purchase_date": order.placed_at.map(|t| t.to_rfc3339()),
        "recipient": {
            "name": name,
            "address": {
                "address1": address1,
                "address2": present(&to.address2),
                "company_name": present(&to.company),
                "city": city,
                "state": present(&to.region),
                "zip_code": present(&to.postal_code),
                "country": country,
            },
            "email": order.email,
            "phone_number": present(&to.phone),
        },
        "products": products,
        "financials": {"total_price": total.to_f64()},
    }))
}

/// Creates the order, or finds the one an earlier try created.
pub async fn submit(client: &SbClient, body: &Value, key: &str) -> Result<Receipt, ChannelError> {
    with_retry(client.retry_policy(), "create order", || async {
        let answer = client.post_once("order", Some(body), &[422]).await?;
        if answer.status != 422 {
            let id = order_id(&answer.body)?;
            return Ok(Receipt {
                partner_order_id: id,
                accepted: true,
                already_existed: false,
            });
        }
        // The usual 422 here is "reference already exists": an earlier try got through.
        match find_by_reference(client, key).await? {
            Some(existing) => Ok(Receipt {
                partner_order_id: order_id(&existing)?,
                accepted: true,
                already_existed: true,
            }),
            None => Err(ChannelError::Rejected(format!(
                "ShipBob refused the order: {}",
                error_message(&answer.body)
            ))),
        }
    })
    .await
}

pub fn order_id(order: &Value) -> Result<String, ChannelError> {
    match order.get("id") {
        Some(Value::Number(n)) if n.is_u64() => Ok(n.to_string()),
        _ => Err(ChannelError::Decode(
            "ShipBob order without a numeric `id`".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_core::fulfillment::{FulfillmentLine, RequestedShipping};
    use switchyard_core::model::Address;

    fn order() -> FulfillmentOrder {
        FulfillmentOrder {
            reference: "shop:1001".into(),
            channel_order_number: "#1001".into(),
            placed_at: None,
            ship_to: Address {
                name: Some("Ada".into()),
                address1: Some("1 Main St".into()),
                city: Some("Chicago".into()),
                country_code: Some("US".into()),
                ..Address::default()
            },
            email: None,
            currency: "USD".into(),
            lines: vec![FulfillmentLine {
                line_id: "1".into(),
                sku: "MUG".into(),
                partner_sku: None,
                quantity: 2,
                unit_price: Decimal::new(1250, 2),
                title: "Mug".into(),
            }],
            shipping: RequestedShipping::default(),
        }
    }

    #[test]
    fn the_body_carries_the_key_as_reference_and_names_missing_fields() {
        let item = |l: &FulfillmentLine| format!("SB-{}", l.sku);
        let b = body(&order(), "shop:1001", &item).unwrap();
        assert_eq!(b["reference_id"], "shop:1001");
        assert_eq!(b["shipping_method"], "Standard");
        assert_eq!(b["products"][0]["reference_id"], "SB-MUG");
        assert_eq!(b["financials"]["total_price"], 25.0);
        let mut no_city = order();
        no_city.ship_to.city = Some("  ".into());
        let Err(ChannelError::Rejected(why)) = body(&no_city, "k", &item) else {
            panic!("must refuse");
        };
        assert!(why.starts_with("ship_to.city"), "{why}");
        assert!(body(&order(), &"x".repeat(301), &item).is_err());
    }
}
