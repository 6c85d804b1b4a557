//! `switchyard return` (units a customer sent back, an RMA received at once) and
//! `switchyard returns` (list, show, receive, refund, refunded, cancel).

use std::process::ExitCode;

use clap::{Args as ClapArgs, Subcommand};
use switchyard_core::rules::rma::Disposition;
use switchyard_core::store::{ReceiveReceipt, RmaRow};

use super::{Args, operations};
use crate::app::{Actor, ReturnsQuery};

/// Restocked or disposed: exactly one of the two flags, or neither (disposed) for
/// `switchyard return` as it always was.
#[derive(Debug, Clone, Copy, ClapArgs)]
#[group(multiple = false)]
pub struct DispositionArgs {
    /// Put the units back on hand at the location the line shipped from (sellable again).
    #[arg(long)]
    pub restock: bool,
    /// Write the units off: nothing goes back on hand.
    #[arg(long)]
    pub dispose: bool,
}

impl DispositionArgs {
    fn disposition(self) -> Disposition {
        if self.restock {
            Disposition::Restock
        } else {
            Disposition::Dispose
        }
    }
}

#[derive(Debug, ClapArgs)]
pub struct ReturnArgs {
    /// Order id, CHANNEL:EXTERNAL_ID, or order number.
    pub order: String,
    /// The order line's id (`switchyard orders show` lists them).
    #[arg(long)]
    pub line: String,
    #[arg(long)]
    pub qty: i64,
    #[command(flatten)]
    pub disposition: DispositionArgs,
    /// Also refund the returned line's amount on the channel (or, where it has no refund
    /// API, list the return for a person to refund).
    #[arg(long)]
    pub refund: bool,
}

#[derive(Debug, Subcommand)]
pub enum ReturnsCmd {
    /// Returns newest first.
    List {
        /// expected, received, refunding, refunded, refund_by_person, cancelled.
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        channel: Option<String>,
        /// Order id, CHANNEL:EXTERNAL_ID, or order number.
        #[arg(long)]
        order: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// One return.
    Show { id: i64 },
    /// Receive an expected return's units (`--restock` or `--dispose`).
    Receive {
        id: i64,
        #[command(flatten)]
        disposition: DispositionArgs,
        /// Queue the refund too.
        #[arg(long)]
        refund: bool,
    },
    /// Refund a received return's lines on its channel (once, whatever retries).
    Refund { id: i64 },
    /// Confirm a person refunded in the channel's admin (channels without a refund API).
    Refunded { id: i64 },
    /// Cancel an expected return (it will not come).
    Cancel { id: i64 },
}

pub async fn run(args: &Args, r: &ReturnArgs) -> anyhow::Result<ExitCode> {
    let receipt = operations(args)
        .await?
        .record_unannounced_return(
            &Actor::cli(None),
            &r.order,
            &[(r.line.clone(), r.qty)],
            r.disposition.disposition(),
            r.refund,
        )
        .await?;
    print_receipt(&receipt);
    Ok(ExitCode::SUCCESS)
}

pub async fn returns(args: &Args, cmd: &ReturnsCmd) -> anyhow::Result<ExitCode> {
    let ops = operations(args).await?;
    let actor = Actor::cli(None);
    match cmd {
        ReturnsCmd::List {
            state,
            channel,
            order,
            limit,
            json,
        } => {
            let rows = ops
                .returns_list(&ReturnsQuery {
                    state: state.clone(),
                    channel_id: channel.clone(),
                    order: order.clone(),
                    before_id: None,
                    limit: *limit,
                })
                .await?;
            for r in &rows {
                if *json {
                    println!("{}", serde_json::to_string(r)?);
                } else {
                    print_row(r);
                }
            }
        }
        ReturnsCmd::Show { id } => {
            println!(
                "{}",
                serde_json::to_string_pretty(&ops.return_detail(*id).await?)?
            );
        }
        ReturnsCmd::Receive {
            id,
            disposition,
            refund,
        } => {
            let receipt = ops
                .receive_return(&actor, *id, disposition.disposition(), *refund)
                .await?;
            print_receipt(&receipt);
        }
        ReturnsCmd::Refund { id } => {
            let r = ops.refund_return(&actor, *id).await?;
            println!(
                "return {}: refund of {} {} queued for {}",
                r.id,
                r.refund_amount.as_deref().unwrap_or("?"),
                r.currency,
                r.channel_id
            );
        }
        ReturnsCmd::Refunded { id } => {
            let r = ops.confirm_refund(&actor, *id).await?;
            println!("return {}: {}", r.id, r.state);
        }
        ReturnsCmd::Cancel { id } => {
            let r = ops.cancel_return(&actor, *id).await?;
            println!("return {}: {}", r.id, r.state);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_row(r: &RmaRow) {
    let lines: Vec<String> = r
        .lines
        .iter()
        .map(|l| format!("{}×{}", l.line_id, l.quantity))
        .collect();
    println!(
        "{}\t{}\t{}:{}\t{}\t{}\t{}\t{}",
        r.id,
        r.state,
        r.channel_id,
        r.order_external_id,
        r.external_id.as_deref().unwrap_or("-"),
        lines.join(","),
        r.refund_amount
            .as_deref()
            .map_or("-".to_string(), |a| format!("{a} {}", r.currency)),
        r.note.as_deref().unwrap_or(""),
    );
}

fn print_receipt(receipt: &ReceiveReceipt) {
    let r = &receipt.rma;
    if receipt.restocked.is_empty() {
        println!(
            "return {} recorded on order {} ({} unit(s), not restocked)",
            r.id,
            r.order_id,
            r.lines.iter().map(|l| l.quantity).sum::<i64>()
        );
    } else {
        let units: Vec<String> = receipt
            .restocked
            .iter()
            .map(|(sku, q)| format!("{q} × {sku}"))
            .collect();
        println!(
            "return {} recorded on order {}: {} back on hand at {}",
            r.id,
            r.order_id,
            units.join(", "),
            receipt.location_id.as_deref().unwrap_or("?")
        );
    }
    if let Some(key) = &receipt.refund_key {
        println!(
            "refund of {} {} queued ({key})",
            r.refund_amount.as_deref().unwrap_or("?"),
            r.currency
        );
    }
}
