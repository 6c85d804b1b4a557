//! Orders, picks, shipments and dead letters: what an operator does day to day.

use std::process::ExitCode;

use std::fmt::Write;

use anyhow::{Context, bail};
use clap::{Args as ClapArgs, Subcommand};
use switchyard_core::store::{OrderDetail, PickLine, now_ms};

use super::{Args, load_config, open_store};

/// `orders late` without `--margin-secs` or a readable configuration (the config default).
const DEFAULT_LATE_MARGIN_SECS: u64 = 4 * 3600;

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
    let store = open_store(args).await?;
    match cmd {
        OrdersCmd::List { limit } => {
            println!("id\tchannel\texternal_id\tnumber\tstatus\tpayment\tfulfilment");
            for o in store.orders(*limit).await? {
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
            let Some(detail) = store.order(order).await? else {
                bail!("no order `{order}`");
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
            let margin = match margin_secs {
                Some(m) => *m,
                None => load_config(&args.config)
                    .map(|c| c.late_margin_secs)
                    .unwrap_or(DEFAULT_LATE_MARGIN_SECS),
            };
            let now = now_ms();
            let late = store.late_orders(now, margin, *limit).await?;
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
            let held = store.held_orders(*limit).await?;
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
            check_location(args, to)?;
            let by = operator(by.as_deref());
            let receipt = store
                .release_order(order, to, &by, chrono::Local::now().fixed_offset())
                .await?;
            println!(
                "order {} released by {by}: {} → {}",
                receipt.order_id,
                receipt.lines.join(", "),
                receipt.location_id
            );
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

/// Refuses a location the configuration does not name. With `--store` and no readable
/// configuration there is nothing to check against; say so and go on.
fn check_location(args: &Args, id: &str) -> anyhow::Result<()> {
    match load_config(&args.config) {
        Ok(config) => {
            if !config.locations.iter().any(|l| l.id == id) {
                let known: Vec<&str> = config.locations.iter().map(|l| l.id.as_str()).collect();
                bail!("unknown location `{id}` (configured: {})", known.join(", "));
            }
            Ok(())
        }
        Err(e) if args.store.is_some() => {
            eprintln!("warning: location `{id}` not checked: {e}");
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// `operator` and who: the name given, else the login name when known.
fn operator(by: Option<&str>) -> String {
    let who = by
        .map(str::to_string)
        .or_else(|| std::env::var("USER").ok())
        .filter(|w| !w.trim().is_empty());
    match who {
        Some(w) => format!("operator {}", w.trim()),
        None => "operator".into(),
    }
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
    let store = open_store(args).await?;
    let lines = store.picks(location.as_deref()).await?;
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
    if ship.carrier.trim().is_empty() || ship.tracking.trim().is_empty() {
        bail!("--carrier and --tracking must not be empty");
    }
    let from = ship_from(args, ship.location.as_deref())?;
    let store = open_store(args).await?;
    let receipt = store
        .ship(
            &ship.order,
            ship.carrier.trim(),
            ship.tracking.trim(),
            &from,
            chrono::Local::now().fixed_offset(),
        )
        .await?;
    println!(
        "order {}: parcel from {} recorded (shipment {}); tracking goes back to the channel with key {}",
        receipt.order_id,
        from.join(", "),
        receipt.shipment_id,
        receipt.idempotency_key
    );
    Ok(ExitCode::SUCCESS)
}

/// The locations a `ship` parcel leaves from: the one named, else every own warehouse (a
/// location without an `adapter`) in the configuration.
fn ship_from(args: &Args, location: Option<&str>) -> anyhow::Result<Vec<String>> {
    let config = if args.store.is_some() && location.is_some() {
        None
    } else {
        Some(load_config(&args.config).context(
            "`ship` needs the configuration to tell own warehouses from partners (or --store with --location)",
        )?)
    };
    if let Some(loc) = location {
        if let Some(c) = &config
            && !c.locations.iter().any(|l| l.id == loc)
        {
            bail!("unknown location `{loc}`");
        }
        return Ok(vec![loc.to_string()]);
    }
    let own: Vec<String> = config
        .iter()
        .flat_map(|c| c.locations.iter())
        .filter(|l| l.adapter.is_none())
        .map(|l| l.id.clone())
        .collect();
    if own.is_empty() {
        bail!(
            "no own warehouse (a location without an `adapter`) is configured; name one with --location"
        );
    }
    Ok(own)
}

pub async fn dead_letters(args: &Args, cmd: &DeadLettersCmd) -> anyhow::Result<ExitCode> {
    let store = open_store(args).await?;
    match cmd {
        DeadLettersCmd::List { limit } => {
            let rows = store.dead_letters(*limit).await?;
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
            store.replay_dead_letter(*id).await?;
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
