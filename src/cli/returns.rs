//! `switchyard return`: units a customer sent back, optionally restocked where they shipped from.

use std::process::ExitCode;

use clap::Args as ClapArgs;

use super::{Args, operations};
use crate::app::Actor;

#[derive(Debug, ClapArgs)]
pub struct ReturnArgs {
    /// Order id, CHANNEL:EXTERNAL_ID, or order number.
    pub order: String,
    /// The order line's id (`switchyard orders show` lists them).
    #[arg(long)]
    pub line: String,
    #[arg(long)]
    pub qty: i64,
    /// Put the units back on hand at the location the order shipped from (sellable again).
    #[arg(long)]
    pub restock: bool,
}

pub async fn run(args: &Args, r: &ReturnArgs) -> anyhow::Result<ExitCode> {
    let receipt = operations(args)
        .await?
        .record_return(&Actor::cli(None), &r.order, &r.line, r.qty, r.restock)
        .await?;
    if receipt.restocked.is_empty() {
        println!(
            "return {} recorded on order {} ({} unit(s), not restocked)",
            receipt.return_id, receipt.order_id, r.qty
        );
    } else {
        let units: Vec<String> = receipt
            .restocked
            .iter()
            .map(|(sku, q)| format!("{q} × {sku}"))
            .collect();
        println!(
            "return {} recorded on order {}: {} back on hand at {}",
            receipt.return_id,
            receipt.order_id,
            units.join(", "),
            receipt.location_id.as_deref().unwrap_or("?")
        );
    }
    Ok(ExitCode::SUCCESS)
}
