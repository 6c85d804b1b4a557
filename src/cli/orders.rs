//! Orders, picks, shipments and dead letters: what an operator does day to day.

use std::process::ExitCode;

use anyhow::bail;
use clap::{Args as ClapArgs, Subcommand};
use switchyard_core::store::PickLine;

use super::{Args, open_store};

#[derive(Debug, Subcommand)]
pub enum OrdersCmd {
    List {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// One order: canonical fields, routing decision with its reason, reservations, shipments.
    Show { order: String },
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
        OrdersCmd::Show { order } => {
            let Some(detail) = store.order(order).await? else {
                bail!("no order `{order}`");
            };
            println!("{}", serde_json::to_string_pretty(&detail)?);
        }
    }
    Ok(ExitCode::SUCCESS)
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
    let store = open_store(args).await?;
    let receipt = store
        .ship(
            &ship.order,
            ship.carrier.trim(),
            ship.tracking.trim(),
            chrono::Local::now().fixed_offset(),
        )
        .await?;
    println!(
        "order {} shipped (shipment {}); tracking goes back to the channel with key {}",
        receipt.order_id, receipt.shipment_id, receipt.idempotency_key
    );
    Ok(ExitCode::SUCCESS)
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
