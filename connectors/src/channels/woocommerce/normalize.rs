//! WooCommerce order JSON (as the v3 API and `order.*` webhooks send it) → canonical order.
//! Pure: every unreadable required field is an error that names its JSON path.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use serde_json::{Map, Value};
use switchyard_core::fields::{count_field, optional_text_field};
use switchyard_core::model::{Address, ChannelKind, Order, OrderLine, OrderStatus, PaymentStatus};
use switchyard_core::money::decimal_field;
use switchyard_core::ports::NormalizeError;

type Object = Map<String, Value>;

/// Reads one order as the v3 API and `order.*` webhooks send it.
pub fn normalize_body(body: &[u8]) -> Result<Order, NormalizeError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| NormalizeError::new("body", format!("not JSON: {e}")))?;
    normalize_value(&value)
}

/// Same as [`normalize_body`] for an already parsed order (one element of a list response).
pub fn normalize_value(value: &Value) -> Result<Order, NormalizeError> {
    let order = value
        .as_object()
        .ok_or_else(|| NormalizeError::new("body", "expected a JSON object"))?;
    let status_text = required_str(order, "status")?;
    let status = order_status(status_text)?;
    let lines = match order.get("line_items") {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| line(item, i))
            .collect::<Result<Vec<_>, _>>()?,
        Some(Value::Null) | None => return Err(NormalizeError::new("line_items", "missing")),
        Some(other) => {
            return Err(NormalizeError::new(
                "line_items",
                format!("expected an array, found {other}"),
            ));
        }
    };
    let billing = order.get("billing").and_then(Value::as_object);
    Ok(Order {
        channel_kind: ChannelKind::Woocommerce,
        external_id: id_text(order.get("id"), "id")?,
        number: id_text(order.get("number"), "number")?,
        placed_at: site_time(order, "date_created")?,
        updated_at: site_time(order, "date_modified")?,
        status,
        payment_status: payment_status(order, status_text),
        currency: required_str(order, "currency")?.to_string(),
        total: decimal_field(order.get("total"), "total")?,
        lines,
        ship_to: ship_to(order),
        customer_email: billing.and_then(|b| text(b, "email")),
        fulfilled_by_channel: false,
        tags: Vec::new(),
        customer_tags: Vec::new(),
        ship_by: None,
        deliver_by: None,
        risk_level: None,
    })
}

/// WooCommerce ids are JSON numbers; a string id is accepted as long as it is not blank.
pub(crate) fn id_text(value: Option<&Value>, field: &str) -> Result<String, NormalizeError> {
    match value {
        Some(Value::Number(n)) if n.is_u64() => Ok(n.to_string()),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Some(Value::Null) | None => Err(NormalizeError::new(field, "missing")),
        Some(other) => Err(NormalizeError::new(
            field,
            format!("expected an id, found {other}"),
        )),
    }
}

fn required_str<'a>(order: &'a Object, field: &str) -> Result<&'a str, NormalizeError> {
    match order.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim()),
        Some(Value::String(_)) => Err(NormalizeError::new(field, "empty")),
        Some(Value::Null) | None => Err(NormalizeError::new(field, "missing")),
        Some(other) => Err(NormalizeError::new(
            field,
            format!("expected a string, found {other}"),
        )),
    }
}

fn order_status(status: &str) -> Result<OrderStatus, NormalizeError> {
    Ok(match status {
        "pending" | "processing" | "on-hold" | "checkout-draft" => OrderStatus::Open,
        "completed" => OrderStatus::Fulfilled,
        "cancelled" | "refunded" | "failed" | "trash" => OrderStatus::Cancelled,
        other => {
            return Err(NormalizeError::new(
                "status",
                format!("unknown order status `{other}`"),
            ));
        }
    })
}

/// WooCommerce has no separate payment state: it follows from the order status, `date_paid`
/// and the refunds list.
fn payment_status(order: &Object, status: &str) -> PaymentStatus {
    let paid = order
        .get("date_paid_gmt")
        .or_else(|| order.get("date_paid"))
        .is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty()));
    let refunded_some = order
        .get("refunds")
        .and_then(Value::as_array)
        .is_some_and(|r| !r.is_empty());
    match status {
        "refunded" => PaymentStatus::Refunded,
        _ if refunded_some => PaymentStatus::PartiallyRefunded,
        "processing" | "completed" => PaymentStatus::Paid,
        _ if paid => PaymentStatus::Paid,
        "failed" | "cancelled" | "trash" => PaymentStatus::Voided,
        _ => PaymentStatus::Pending,
    }
}

/// `{field}` is the site's wall-clock time and `{field}_gmt` the same instant in UTC, both
/// without an offset; their difference is the site's offset, which the contract keeps.
fn site_time(order: &Object, field: &str) -> Result<DateTime<FixedOffset>, NormalizeError> {
    let gmt_field = format!("{field}_gmt");
    let gmt = match order.get(&gmt_field) {
        Some(Value::String(s)) if !s.is_empty() => Some(parse_utc(s, &gmt_field)?),
        _ => None,
    };
    let local = match order.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.as_str()),
        _ => None,
    };
    match (gmt, local) {
        (Some(gmt), Some(local)) => {
            // A local time that carries its own offset is taken as written.
            if let Ok(dt) = DateTime::parse_from_rfc3339(local) {
                return Ok(dt);
            }
            let local = parse_naive(local, field)?;
            let offset_secs = (local - gmt.naive_utc()).num_seconds();
            // Offsets are whole minutes; round away the odd second a slow save can leave.
            // (In i64 and saturating: a nonsense pair must give an error, not an overflow.)
            let offset_secs = ((offset_secs as f64 / 60.0).round() as i64).saturating_mul(60);
            let offset = i32::try_from(offset_secs)
                .ok()
                .and_then(FixedOffset::east_opt)
                .ok_or_else(|| {
                    NormalizeError::new(
                        field,
                        format!("offset of {offset_secs}s from {gmt_field} is not a UTC offset"),
                    )
                })?;
            Ok(gmt.with_timezone(&offset))
        }
        (Some(gmt), None) => Ok(gmt.fixed_offset()),
        (None, Some(local)) => DateTime::parse_from_rfc3339(local).map_err(|_| {
            NormalizeError::new(&gmt_field, "missing, and the local time carries no offset")
        }),
        (None, None) => Err(NormalizeError::new(field, "missing")),
    }
}

/// A `_gmt` time: naive (as WooCommerce writes it) or with an explicit offset.
pub(crate) fn parse_utc(text: &str, field: &str) -> Result<DateTime<Utc>, NormalizeError> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Ok(dt.with_timezone(&Utc));
    }
    parse_naive(text, field).map(|n| Utc.from_utc_datetime(&n))
}

fn parse_naive(text: &str, field: &str) -> Result<NaiveDateTime, NormalizeError> {
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S"))
        .map_err(|_| NormalizeError::new(field, format!("`{text}` is not a date-time")))
}

fn line(item: &Value, i: usize) -> Result<OrderLine, NormalizeError> {
    let path = |f: &str| format!("line_items[{i}].{f}");
    let item = item
        .as_object()
        .ok_or_else(|| NormalizeError::new(format!("line_items[{i}]"), "expected an object"))?;
    let quantity = count_field(item.get("quantity"), &path("quantity"))?;
    let sku = optional_text_field(item.get("sku"), &path("sku"))?;
    let title = match item.get("name") {
        Some(Value::String(s)) => decode_entities(s),
        Some(Value::Null) | None => String::new(),
        Some(other) => {
            return Err(NormalizeError::new(
                path("name"),
                format!("expected a string, found {other}"),
            ));
        }
    };
    Ok(OrderLine {
        line_id: id_text(item.get("id"), &path("id"))?,
        sku,
        quantity,
        unit_price: decimal_field(item.get("price"), &path("price"))?,
        title,
        channel_sku: None,
    })
}

/// Shipping address, or billing when the order has no shipping address (virtual goods,
/// or a checkout that hides the shipping form).
fn ship_to(order: &Object) -> Option<Address> {
    let from = |key: &str| order.get(key).and_then(Value::as_object).map(address);
    from("shipping")
        .filter(|a| *a != Address::default())
        .or_else(|| from("billing").filter(|a| *a != Address::default()))
}

fn address(a: &Object) -> Address {
    let name = match (text(a, "first_name"), text(a, "last_name")) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (f, l) => f.or(l),
    };
    Address {
        name,
        company: text(a, "company"),
        address1: text(a, "address_1"),
        address2: text(a, "address_2"),
        city: text(a, "city"),
        region: text(a, "state"),
        postal_code: text(a, "postcode"),
        country_code: text(a, "country"),
        phone: text(a, "phone"),
    }
}

/// A trimmed, non-empty string field; WooCommerce writes "" for "not given".
fn text(obj: &Object, key: &str) -> Option<String> {
    obj.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Product names arrive HTML-escaped (`Shirt &ndash; Black`); titles are shown as plain text.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let decoded = tail.find(';').filter(|&end| end <= 10).and_then(|end| {
            let entity = &tail[1..end];
            let ch = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                "ndash" => Some('\u{2013}'),
                "mdash" => Some('\u{2014}'),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            ch.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The project's own order in the v3 shape: a site at UTC+02:00, one variation line with a
    /// JSON-number price, one simple line without SKU.
    fn order() -> Value {
        json!({
            "id": 5120,
            "parent_id": 0,
            "number": "5120",
            "status": "processing",
            "currency": "EUR",
            "date_created": "2026-04-10T14:03:09",
            "date_created_gmt": "2026-04-10T12:03:09",
            "date_modified": "2026-04-10T14:05:00",
            "date_modified_gmt": "2026-04-10T12:05:00",
            "total": "65.97",
            "billing": {
                "first_name": "Ada", "last_name": "Lindqvist", "company": "",
                "address_1": "Storgatan 4", "address_2": "", "city": "Uppsala",
                "state": "", "postcode": "753 20", "country": "SE",
                "email": "ada@example.org", "phone": "+46 70 000 00 00"
            },
            "shipping": {
                "first_name": "Ada", "last_name": "Lindqvist", "company": "Lindqvist AB",
                "address_1": "Hamnvägen 9", "address_2": "Box 12", "city": "Göteborg",
                "state": "O", "postcode": "411 04", "country": "SE", "phone": ""
            },
            "date_paid": "2026-04-10T14:03:12",
            "date_paid_gmt": "2026-04-10T12:03:12",
            "line_items": [
                {"id": 77, "name": "Wool Scarf &ndash; Grey", "product_id": 40, "variation_id": 41,
                 "quantity": 2, "subtotal": "43.98", "total": "43.98", "sku": "SCARF-GRY", "price": 21.99},
                {"id": 78, "name": "Gift wrap", "product_id": 50, "variation_id": 0,
                 "quantity": 1, "subtotal": "22.00", "total": "22.00", "sku": "", "price": 22}
            ],
            "refunds": []
        })
    }

    fn normalize(v: &Value) -> Result<Order, NormalizeError> {
        normalize_body(v.to_string().as_bytes())
    }

    #[test]
    fn processing_order_reads_in_full() {
        let o = normalize(&order()).unwrap();
        assert_eq!(o.channel_kind, ChannelKind::Woocommerce);
        // WooCommerce orders carry no ship-by or delivery promise.
        assert_eq!((o.ship_by, o.deliver_by), (None, None));
        assert_eq!(o.external_id, "5120");
        assert_eq!(o.number, "5120");
        assert_eq!(o.status, OrderStatus::Open);
        assert_eq!(o.payment_status, PaymentStatus::Paid);
        assert_eq!(o.currency, "EUR");
        assert_eq!(o.total.to_string(), "65.97");
        assert_eq!(o.placed_at.to_rfc3339(), "2026-04-10T14:03:09+02:00");
        assert_eq!(o.updated_at.to_rfc3339(), "2026-04-10T14:05:00+02:00");
        assert_eq!(o.lines.len(), 2);
        assert_eq!(o.lines[0].line_id, "77");
        assert_eq!(o.lines[0].sku.as_deref(), Some("SCARF-GRY"));
        assert_eq!(o.lines[0].quantity, 2);
        assert_eq!(o.lines[0].title, "Wool Scarf \u{2013} Grey");
        let ship = o.ship_to.unwrap();
        assert_eq!(ship.name.as_deref(), Some("Ada Lindqvist"));
        assert_eq!(ship.company.as_deref(), Some("Lindqvist AB"));
        assert_eq!(ship.address1.as_deref(), Some("Hamnvägen 9"));
        assert_eq!(ship.address2.as_deref(), Some("Box 12"));
        assert_eq!(ship.city.as_deref(), Some("Göteborg"));
        assert_eq!(ship.region.as_deref(), Some("O"));
        assert_eq!(ship.postal_code.as_deref(), Some("411 04"));
        assert_eq!(ship.country_code.as_deref(), Some("SE"));
        assert_eq!(ship.phone, None);
        assert_eq!(o.customer_email.as_deref(), Some("ada@example.org"));
    }

    #[test]
    fn json_number_prices_stay_exact_and_empty_sku_is_none() {
        let o = normalize(&order()).unwrap();
        assert_eq!(o.lines[0].unit_price.to_string(), "21.99");
        assert_eq!(o.lines[1].unit_price.to_string(), "22.00");
        assert_eq!(o.lines[1].sku, None);
        let mut v = order();
        v["line_items"][0]["price"] = json!(0.1);
        assert_eq!(
            normalize(&v).unwrap().lines[0].unit_price.to_string(),
            "0.10"
        );
    }

    #[test]
    fn statuses_map_to_order_and_payment_state() {
        let cases = [
            ("pending", false, OrderStatus::Open, PaymentStatus::Pending),
            ("on-hold", false, OrderStatus::Open, PaymentStatus::Pending),
            ("processing", true, OrderStatus::Open, PaymentStatus::Paid),
            (
                "completed",
                true,
                OrderStatus::Fulfilled,
                PaymentStatus::Paid,
            ),
            (
                "cancelled",
                false,
                OrderStatus::Cancelled,
                PaymentStatus::Voided,
            ),
            (
                "failed",
                false,
                OrderStatus::Cancelled,
                PaymentStatus::Voided,
            ),
            (
                "cancelled",
                true,
                OrderStatus::Cancelled,
                PaymentStatus::Paid,
            ),
            (
                "refunded",
                true,
                OrderStatus::Cancelled,
                PaymentStatus::Refunded,
            ),
        ];
        for (status, paid, want_status, want_payment) in cases {
            let mut v = order();
            v["status"] = json!(status);
            if !paid {
                v["date_paid"] = Value::Null;
                v["date_paid_gmt"] = Value::Null;
            }
            let o = normalize(&v).unwrap();
            assert_eq!(
                (o.status, o.payment_status),
                (want_status, want_payment),
                "{status} paid={paid}"
            );
        }
    }

    #[test]
    fn a_refund_on_an_open_order_is_a_partial_refund() {
        let mut v = order();
        v["refunds"] = json!([{"id": 5200, "reason": "damaged", "total": "-22.00"}]);
        assert_eq!(
            normalize(&v).unwrap().payment_status,
            PaymentStatus::PartiallyRefunded
        );
    }

    #[test]
    fn billing_stands_in_for_an_empty_shipping_address() {
        let mut v = order();
        for field in [
            "first_name",
            "last_name",
            "company",
            "address_1",
            "address_2",
            "city",
            "state",
            "postcode",
            "country",
            "phone",
        ] {
            v["shipping"][field] = json!("");
        }
        let ship = normalize(&v).unwrap().ship_to.unwrap();
        assert_eq!(ship.address1.as_deref(), Some("Storgatan 4"));
        assert_eq!(ship.city.as_deref(), Some("Uppsala"));
        assert_eq!(ship.region, None);
        assert_eq!(ship.phone.as_deref(), Some("+46 70 000 00 00"));
        v.as_object_mut().unwrap().remove("shipping");
        assert_eq!(
            normalize(&v)
                .unwrap()
                .ship_to
                .unwrap()
                .postal_code
                .as_deref(),
            Some("753 20")
        );
    }

    #[test]
    fn offsets_come_from_the_gmt_twin() {
        let mut v = order();
        v["date_created"] = json!("2026-01-05T07:15:00");
        v["date_created_gmt"] = json!("2026-01-05T12:15:00");
        assert_eq!(
            normalize(&v).unwrap().placed_at.to_rfc3339(),
            "2026-01-05T07:15:00-05:00"
        );
        // Half-hour zones and a day boundary.
        v["date_created"] = json!("2026-01-06T03:45:00");
        v["date_created_gmt"] = json!("2026-01-05T22:15:00");
        assert_eq!(
            normalize(&v).unwrap().placed_at.to_rfc3339(),
            "2026-01-06T03:45:00+05:30"
        );
        // Only the GMT time: UTC.
        v.as_object_mut().unwrap().remove("date_created");
        let placed = normalize(&v).unwrap().placed_at;
        assert_eq!(placed.offset().local_minus_utc(), 0);
        assert_eq!(placed.to_rfc3339(), "2026-01-05T22:15:00+00:00");
    }

    #[test]
    fn errors_name_the_field() {
        let mut v = order();
        v["line_items"][1]["quantity"] = json!("two");
        assert_eq!(normalize(&v).unwrap_err().field, "line_items[1].quantity");
        let mut v = order();
        v["line_items"][0]["price"] = json!("n/a");
        assert_eq!(normalize(&v).unwrap_err().field, "line_items[0].price");
        let mut v = order();
        v.as_object_mut().unwrap().remove("currency");
        assert_eq!(normalize(&v).unwrap_err().field, "currency");
        let mut v = order();
        v["status"] = json!("wc-shipped-custom");
        assert_eq!(normalize(&v).unwrap_err().field, "status");
        let mut v = order();
        v["date_created_gmt"] = json!("yesterday");
        assert_eq!(normalize(&v).unwrap_err().field, "date_created_gmt");
        assert_eq!(normalize_body(b"[]").unwrap_err().field, "body");
        assert_eq!(normalize_body(b"{oops").unwrap_err().field, "body");
    }
}

#[cfg(test)]
mod site_time_tests {
    use super::*;

    /// Found by the fuzz target: a local time thousands of years from its GMT twin overflowed
    /// the offset arithmetic instead of being refused.
    #[test]
    fn a_local_time_far_from_its_gmt_twin_is_refused_not_an_overflow() {
        let order: Value = serde_json::json!({
            "date_created": "9999-01-01T00:00:00",
            "date_created_gmt": "0001-01-01T00:00:00",
        });
        let order = order.as_object().expect("an object");
        let err = site_time(order, "date_created").expect_err("refused");
        assert!(err.to_string().contains("date_created"), "{err}");
    }
}
