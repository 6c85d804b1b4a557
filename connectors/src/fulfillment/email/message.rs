//! The e-mails a supplier reads: a purchase order (text a person can act on, plus the same lines
//! as a CSV attachment for their system) and a cancellation. Pure: no network.

use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use switchyard_core::fulfillment::{FulfillmentLine, FulfillmentOrder};

/// Sender, recipients and subject templates, already parsed.
pub struct Envelope {
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub subject: String,
    pub cancel_subject: String,
}

/// The columns of the CSV attachment, in order.
pub const CSV_COLUMNS: [&str; 9] = [
    "po_number",
    "line_id",
    "supplier_sku",
    "sku",
    "description",
    "quantity",
    "unit_price",
    "line_total",
    "currency",
];

/// `Message-ID` derived from a key: the same key always gives the same id, so a supplier (or
/// its mail system) can see that a message is a resend of one it already has. SMTP has no
/// idempotency; this is the most a sender can do.
pub fn message_id(kind: &str, key: &str, from: &Mailbox) -> String {
    let readable: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    let digest = hex::encode(Sha256::digest(key.as_bytes()));
    format!(
        "<{kind}.{readable}.{}@{}>",
        &digest[..16],
        from.email.domain()
    )
}

fn subject(template: &str, po: &str, order: Option<&FulfillmentOrder>) -> String {
    template.replace("{po}", po).replace(
        "{order_number}",
        order.map_or("", |o| &o.channel_order_number),
    )
}

fn addressed(envelope: &Envelope) -> lettre::message::MessageBuilder {
    let mut builder = Message::builder().from(envelope.from.clone());
    for to in &envelope.to {
        builder = builder.to(to.clone());
    }
    for cc in &envelope.cc {
        builder = builder.cc(cc.clone());
    }
    builder
}

/// The purchase order for `order`, numbered `po`.
pub fn purchase_order(
    envelope: &Envelope,
    order: &FulfillmentOrder,
    po: &str,
    part: &dyn Fn(&FulfillmentLine) -> String,
) -> Result<Message, String> {
    let csv = csv_attachment(order, po, part)?;
    let csv_type = ContentType::parse("text/csv; charset=utf-8").map_err(|e| e.to_string())?;
    let filename = format!("PO-{}.csv", message_id_safe(po));
    addressed(envelope)
        .subject(subject(&envelope.subject, po, Some(order)))
        .message_id(Some(message_id("po", po, &envelope.from)))
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(po_text(order, po, part)))
                .singlepart(Attachment::new(filename).body(csv, csv_type)),
        )
        .map_err(|e| format!("purchase order {po}: {e}"))
}

/// Asks the supplier not to ship `po`; threaded under the purchase order.
pub fn cancellation(envelope: &Envelope, po: &str, key: &str) -> Result<Message, String> {
    let original = message_id("po", po, &envelope.from);
    let text = format!(
        "Please CANCEL purchase order {po} and do not ship it.\n\n\
         If it has already shipped, reply with the tracking number instead.\n\
         Reply to confirm the cancellation, quoting PO {po}.\n"
    );
    addressed(envelope)
        .subject(subject(&envelope.cancel_subject, po, None))
        .message_id(Some(message_id("cancel", key, &envelope.from)))
        .in_reply_to(original.clone())
        .references(original)
        .header(ContentType::TEXT_PLAIN)
        .body(text)
        .map_err(|e| format!("cancellation of {po}: {e}"))
}

fn message_id_safe(po: &str) -> String {
    po.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn line_total(line: &FulfillmentLine) -> Decimal {
    line.unit_price * Decimal::from(line.quantity)
}

fn po_text(
    order: &FulfillmentOrder,
    po: &str,
    part: &dyn Fn(&FulfillmentLine) -> String,
) -> String {
    let a = &order.ship_to;
    let mut out = format!(
        "Purchase order {po}\nOrder number: {}\n",
        order.channel_order_number
    );
    if let Some(placed) = order.placed_at {
        out.push_str(&format!("Placed: {}\n", placed.to_rfc3339()));
    }
    out.push_str("\nPlease ship to:\n");
    let city_line = [
        a.city.as_deref(),
        a.region.as_deref(),
        a.postal_code.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    for part in [
        a.name.clone(),
        a.company.clone(),
        a.address1.clone(),
        a.address2.clone(),
        Some(city_line).filter(|c| !c.is_empty()),
        a.country_code.clone(),
        a.phone.as_ref().map(|p| format!("Phone: {p}")),
    ]
    .into_iter()
    .flatten()
    {
        out.push_str(&format!("  {part}\n"));
    }
    out.push_str(&format!("\nShipping: {}", order.shipping.method));
    if let Some(carrier) = &order.shipping.carrier {
        out.push_str(&format!(" (carrier: {carrier})"));
    }
    out.push_str("\n\nLines:\n");
    let mut total = Decimal::ZERO;
    for line in &order.lines {
        total += line_total(line);
        out.push_str(&format!(
            "  {} x {}  (our SKU {})  {}  @ {} = {} {}\n",
            line.quantity,
            part(line),
            line.sku,
            line.title,
            line.unit_price,
            line_total(line),
            order.currency
        ));
    }
    out.push_str(&format!("\nOrder total: {total} {}\n", order.currency));
    out.push_str(&format!(
        "\nThe same lines are attached as CSV. Please reply quoting PO {po} with the carrier and \
         tracking number once shipped, or with the lines you cannot supply.\n\
         A message with the same PO number and Message-ID is a resend of this order: ship it once.\n"
    ));
    out
}

fn csv_attachment(
    order: &FulfillmentOrder,
    po: &str,
    part: &dyn Fn(&FulfillmentLine) -> String,
) -> Result<Vec<u8>, String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| format!("CSV for {po}: {e}");
    writer.write_record(CSV_COLUMNS).map_err(fail)?;
    for line in &order.lines {
        writer
            .write_record([
                po,
                &line.line_id,
                &part(line),
                &line.sku,
                &line.title,
                &line.quantity.to_string(),
                &line.unit_price.to_string(),
                &line_total(line).to_string(),
                &order.currency,
            ])
            .map_err(fail)?;
    }
    writer
        .into_inner()
        .map_err(|e| format!("CSV for {po}: {}", e.error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_stable_per_key_and_valid() {
        let from: Mailbox = "Orders <po@shop.example>".parse().unwrap();
        let a = message_id("po", "shop:1001", &from);
        assert_eq!(a, message_id("po", "shop:1001", &from));
        assert_ne!(a, message_id("po", "shop:1002", &from));
        assert_ne!(
            a,
            message_id("po", "shop-1001", &from),
            "sanitising must not collide"
        );
        assert!(
            a.starts_with("<po.shop-1001.") && a.ends_with("@shop.example>"),
            "{a}"
        );
    }
}
