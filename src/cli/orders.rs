//! Orders, picks, shipments and dead letters: what an operator does day to day.

use std::process::ExitCode;

use std::fmt::Write;

use anyhow::bail;
use clap::{Args as ClapArgs, Subcommand};
use switchyard_core::store::{OrderDetail, OrderFilter, PickLine, now_ms};

use super::{Args, operations};
use crate::app::{Actor, AppError, CancelCommand, ShipCommand};

fn show_ms(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map_or_else(|| ms.to_string(), |t| t.to_rfc3339())
}

/// `3h 5m left`, or `overdue 2h 0m`.
fn show_left(secs: i64) -> String {
    let a = secs.unsigned_abs();
    let text = format!("{}h {}m", a / 3600, (a % 3600) / 60);
    if secs < 0 {
        format!("overdue {text}")
    } else {
        format!("{text} left")
    }
}

#[derive(Debug, Subcommand)]
pub enum OrdersCmd {
    List {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// One order: canonical fields, routing decision with its explanation, reservations,
    /// shipments.
    Show {
        order: String,
        /// Everything as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Orders not shipped with less than the margin left before their ship-by (or past it),
    /// soonest first. Exit code 1 when there are any.
    Late {
        /// Seconds (default: the configuration's `late_margin_secs`, else 4 hours).
        #[arg(long)]
        margin_secs: Option<u64>,
        #[arg(long, default_value_t = 500)]
        limit: i64,
        /// JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Orders waiting for a person, with why.
    Held {
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Send a held order's held lines to a location, as an operator's decision.
    Release {
        order: String,
        /// Location id from the configuration.
        #[arg(long)]
        to: String,
        /// Who decides (default: the login name).
        #[arg(long)]
        by: Option<String>,
    },
    /// Ask the partner at a location to cancel the order it was handed; the lines are
    /// re-routed once it confirms.
    CancelAtPartner {
        order: String,
        /// The partner's location id.
        #[arg(long)]
        location: String,
    },
    /// Cancel the order (or lines of it) on its sales channel as the seller, with a reason
    /// (out_of_stock, customer_request, fraud, address_undeliverable, pricing_error, other).
    /// Partners holding it cancel first; refused when units already shipped.
    Cancel {
        order: String,
        #[arg(long)]
        reason: String,
        /// A line to cancel (repeat with `--qty` for each); without it, the whole order.
        #[arg(long = "line")]
        lines: Vec<String>,
        /// Units of the `--line` at the same position.
        #[arg(long = "qty")]
        qtys: Vec<u32>,
        #[arg(long)]
        json: bool,
    },
    /// Seller cancellations, newest first (`--state needs_person`: what a person must cancel
    /// in a channel's admin, where the channel has no cancellation API).
    Cancellations {
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        order: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// The operator action log, newest first (every command given through the CLI or the
    /// admin API, with who gave it).
    Actions {
        /// Only the actions on this order.
        #[arg(long)]
        order: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum PicksCmd {
    /// Lines of routed orders waiting to be picked and packed.
    List {
        #[arg(long)]
        location: Option<String>,
        /// CSV instead of a table.
        #[arg(long)]
        csv: bool,
    },
}

#[derive(Debug, ClapArgs)]
pub struct ShipArgs {
    /// Order id, CHANNEL:EXTERNAL_ID, or order number.
    pub order: String,
    #[arg(long)]
    pub carrier: String,
    #[arg(long)]
    pub tracking: String,
    /// Ship the units reserved at this location (default: every own warehouse, i.e. every
    /// location without an `adapter`; partners' units wait for their own shipment).
    #[arg(long)]
    pub location: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum DeadLettersCmd {
    List {
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Put a dead letter back to work with its original idempotency key.
    Replay { id: i64 },
}

pub async fn orders(args: &Args, cmd: &OrdersCmd) -> anyhow::Result<ExitCode> {
    let ops = operations(args).await?;
    match cmd {
        OrdersCmd::List { limit } => {
            println!("id\tchannel\texternal_id\tnumber\tstatus\tpayment\tfulfilment");
            let filter = OrderFilter {
                limit: *limit,
                ..OrderFilter::default()
            };
            for row in ops.orders(&filter).await? {
                let o = row.summary;
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    o.id,
                    o.channel_id,
                    o.external_id,
                    o.number,
                    o.status,
                    o.payment_status,
                    o.fulfil_state
                );
            }
        }
        OrdersCmd::Show { order, json } => {
            let detail = match ops.order_detail(order).await {
                Err(AppError::NotFound(_)) => bail!("no order `{order}`"),
                other => other?,
            };
            if *json {
                println!("{}", serde_json::to_string_pretty(&detail)?);
            } else {
                print!("{}", describe_order(&detail));
            }
        }
        OrdersCmd::Late {
            margin_secs,
            limit,
            json,
        } => {
            let now = now_ms();
            let (margin, late) = ops.late_orders(now, *margin_secs, *limit).await?;
            if *json {
                for o in &late {
                    println!("{}", serde_json::to_string(o)?);
                }
            } else if late.is_empty() {
                println!("no order at risk (margin {margin} s)");
            } else {
                println!("id\tchannel\texternal_id\tnumber\tfulfilment\tship_by\tleft");
                for o in &late {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        o.order.id,
                        o.order.channel_id,
                        o.order.external_id,
                        o.order.number,
                        o.order.fulfil_state,
                        show_ms(o.ship_by_ms),
                        show_left((o.ship_by_ms - now).div_euclid(1000)),
                    );
                }
            }
            if !late.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
        OrdersCmd::Held { limit } => {
            let held = ops.holds(*limit).await?;
            if held.is_empty() {
                println!("no held orders");
            } else {
                println!("id\tchannel\texternal_id\tnumber\treason");
            }
            for h in held {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    h.order_id, h.channel_id, h.external_id, h.number, h.reason
                );
            }
        }
        OrdersCmd::Release { order, to, by } => {
            if ops.config().is_none() {
                eprintln!("warning: location `{to}` not checked: no configuration");
            }
            let actor = Actor::cli(by.as_deref());
            let receipt = ops.release(&actor, order, to).await?;
            println!(
                "order {} released by {}: {} → {}",
                receipt.order_id,
                actor.decided_by(),
                receipt.lines.join(", "),
                receipt.location_id
            );
        }
        OrdersCmd::CancelAtPartner { order, location } => {
            let c = ops
                .cancel_at_partner(&Actor::cli(None), order, location)
                .await?;
            println!(
                "order {}: cancellation asked of {} (outbox key cancel:{}); its lines are \
                 re-routed once the partner confirms",
                c.order_id, c.location_id, c.submission_key
            );
        }
        OrdersCmd::Cancel {
            order,
            reason,
            lines,
            qtys,
            json,
        } => {
            if lines.len() != qtys.len() {
                bail!(
                    "give one --qty for each --line ({} line(s), {} qty)",
                    lines.len(),
                    qtys.len()
                );
            }
            let lines = (!lines.is_empty()).then(|| {
                lines
                    .iter()
                    .zip(qtys)
                    .map(|(l, q)| switchyard_core::cancellation::CancelLine {
                        line_id: l.clone(),
                        quantity: *q,
                    })
                    .collect()
            });
            let c = ops
                .cancel_on_channel(
                    &Actor::cli(None),
                    CancelCommand {
                        order: order.clone(),
                        reason: reason.clone(),
                        lines,
                    },
                )
                .await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&c)?);
            } else {
                println!(
                    "order {} ({}): cancellation {} on {} with `{}` ({}): {}{}",
                    c.number,
                    c.order_id,
                    c.id,
                    c.channel_id,
                    c.reason_code,
                    if c.whole { "whole order" } else { "lines" },
                    c.state.as_str(),
                    c.detail
                        .as_deref()
                        .map(|d| format!(" — {d}"))
                        .unwrap_or_default()
                );
            }
        }
        OrdersCmd::Cancellations {
            state,
            order,
            limit,
            json,
        } => {
            let rows = ops
                .cancellations(state.as_deref(), order.as_deref(), *limit)
                .await?;
            if *json {
                for r in &rows {
                    println!("{}", serde_json::to_string(r)?);
                }
            } else if rows.is_empty() {
                println!("no cancellations");
            } else {
                println!("id\torder\tchannel\treason\tcode\tscope\tstate\tdetail");
                for r in &rows {
                    let scope = if r.whole {
                        "whole".to_string()
                    } else {
                        r.lines
                            .iter()
                            .map(|l| format!("{}×{}", l.line_id, l.quantity))
                            .collect::<Vec<_>>()
                            .join(",")
                    };
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        r.id,
                        r.number,
                        r.channel_id,
                        r.reason,
                        r.reason_code,
                        scope,
                        r.state.as_str(),
                        r.detail.as_deref().unwrap_or("")
                    );
                }
            }
        }
        OrdersCmd::Actions { order, limit } => {
            let target = match order {
                Some(o) => Some(match ops.order_detail(o).await {
                    Ok(d) => format!("order:{}", d.summary.id),
                    Err(_) => format!("order:{o}"),
                }),
                None => None,
            };
            let rows = ops.actions(target.as_deref(), *limit).await?;
            if rows.is_empty() {
                println!("no operator actions recorded");
            }
            for r in rows {
                let a = r.record;
                let at = chrono::DateTime::from_timestamp_millis(a.at)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default();
                println!(
                    "{}\t{at}\t{}\t{}\t{}\t{}\t{}",
                    r.id, a.actor, a.action, a.target, a.outcome, a.message
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// An order as an operator reads it: what was bought, where it goes and why, what is held
/// for it, and what shipped.
pub fn describe_order(d: &OrderDetail) -> String {
    let (s, o) = (&d.summary, &d.order);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Order {}  {}:{}  {}\n  status {}, payment {}, fulfilment {}, {} version(s)",
        s.id,
        s.channel_id,
        s.external_id,
        s.number,
        s.status,
        s.payment_status,
        s.fulfil_state,
        s.versions
    );
    let _ = writeln!(
        out,
        "  placed {}, total {} {}",
        o.placed_at.to_rfc3339(),
        o.total,
        o.currency
    );
    if o.ship_by.is_some() || o.deliver_by.is_some() || o.risk_level.is_some() {
        let show = |t: Option<chrono::DateTime<chrono::FixedOffset>>| {
            t.map_or_else(|| "-".to_string(), |t| t.to_rfc3339())
        };
        let _ = writeln!(
            out,
            "  ship by {}, deliver by {}, risk {}",
            show(o.ship_by),
            show(o.deliver_by),
            o.risk_level.map_or("-", |r| r.as_str())
        );
    }
    if !o.tags.is_empty() || !o.customer_tags.is_empty() {
        let _ = writeln!(
            out,
            "  tags: {}; customer tags: {}",
            o.tags.join(", "),
            o.customer_tags.join(", ")
        );
    }
    if let Some(a) = &o.ship_to {
        let parts: Vec<&str> = [&a.name, &a.city, &a.region, &a.postal_code, &a.country_code]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .collect();
        let _ = writeln!(out, "  ship to: {}", parts.join(", "));
    }
    let _ = writeln!(out, "Lines:");
    for l in &o.lines {
        let _ = writeln!(
            out,
            "  {:<16} {:<20} ×{:<4} {}  {}{}",
            l.line_id,
            l.sku.as_deref().unwrap_or("(no SKU)"),
            l.quantity,
            l.unit_price,
            l.title,
            l.channel_sku
                .as_deref()
                .map(|c| format!("  (channel SKU {c})"))
                .unwrap_or_default()
        );
    }
    match &d.decision {
        Some(decision) => out.push_str(&decision.describe()),
        None => out.push_str("Decision: none yet\n"),
    }
    if !d.reservations.is_empty() {
        let _ = writeln!(out, "Reservations:");
        for (sku, loc, qty) in &d.reservations {
            let _ = writeln!(
                out,
                "  {sku} ×{qty} at {}",
                loc.as_deref().unwrap_or("(no location yet)")
            );
        }
    }
    for sh in &d.shipments {
        let at = chrono::DateTime::from_timestamp_millis(sh.shipped_at)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "Shipment {}: {} {} from {} at {at}",
            sh.id, sh.carrier, sh.tracking_number, sh.location_id
        );
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Renders picks as CSV (RFC 4180 quoting).
pub fn picks_csv(lines: &[PickLine]) -> String {
    let mut out = String::from(
        "order_id,channel,order_number,location,line_id,sku,title,quantity,ship_to_name,ship_to_country\n",
    );
    for p in lines {
        let row = [
            p.order_id.to_string(),
            p.channel_id.clone(),
            p.order_number.clone(),
            p.location_id.clone(),
            p.line_id.clone(),
            p.sku.clone().unwrap_or_default(),
            p.title.clone(),
            p.quantity.to_string(),
            p.ship_to_name.clone().unwrap_or_default(),
            p.ship_to_country.clone().unwrap_or_default(),
        ];
        out.push_str(
            &row.iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    out
}

pub async fn picks(args: &Args, cmd: &PicksCmd) -> anyhow::Result<ExitCode> {
    let PicksCmd::List { location, csv } = cmd;
    let lines = operations(args).await?.picks(location.as_deref()).await?;
    if *csv {
        print!("{}", picks_csv(&lines));
    } else if lines.is_empty() {
        println!("nothing to pick");
    } else {
        println!("order\tnumber\tlocation\tsku\tqty\ttitle");
        for p in &lines {
            println!(
                "{}\t{}\t{}\t{}\t{}\t{}",
                p.order_id,
                p.order_number,
                p.location_id,
                p.sku.as_deref().unwrap_or("-"),
                p.quantity,
                p.title
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn ship(args: &Args, ship: &ShipArgs) -> anyhow::Result<ExitCode> {
    let ops = operations(args).await?;
    let cmd = ShipCommand {
        order: ship.order.clone(),
        carrier: ship.carrier.clone(),
        tracking: ship.tracking.clone(),
        location: ship.location.clone(),
    };
    let done = ops.ship(&Actor::cli(None), cmd).await?;
    println!(
        "order {}: parcel from {} recorded (shipment {}); tracking goes back to the channel with key {}",
        done.receipt.order_id,
        done.from.join(", "),
        done.receipt.shipment_id,
        done.receipt.idempotency_key
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn dead_letters(args: &Args, cmd: &DeadLettersCmd) -> anyhow::Result<ExitCode> {
    let ops = operations(args).await?;
    match cmd {
        DeadLettersCmd::List { limit } => {
            let rows = ops.dead_letters(*limit).await?;
            if rows.is_empty() {
                println!("no dead letters");
            }
            for d in rows {
                println!(
                    "{}\t{}\t{}\t{}\tattempts={}\t{}{}",
                    d.id,
                    d.kind,
                    d.channel_id,
                    d.idempotency_key,
                    d.attempts,
                    d.last_error,
                    if d.replayed_at.is_some() {
                        "\t(replayed)"
                    } else {
                        ""
                    }
                );
            }
        }
        DeadLettersCmd::Replay { id } => {
            ops.replay_dead_letter(&Actor::cli(None), *id).await?;
            println!("dead letter {id} queued again");
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_fields_that_need_it() {
        let line = PickLine {
            order_id: 1,
            channel_id: "shop".into(),
            order_number: "#1001".into(),
            location_id: "main".into(),
            line_id: "9".into(),
            sku: Some("A".into()),
            title: "Mug, \"large\"".into(),
            quantity: 2,
            ship_to_name: None,
            ship_to_country: Some("US".into()),
        };
        let csv = picks_csv(&[line]);
        assert!(
            csv.ends_with("1,shop,#1001,main,9,A,\"Mug, \"\"large\"\"\",2,,US\n"),
            "{csv}"
        );
    }
}
