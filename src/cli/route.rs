//! `switchyard route --what-if rules.yaml`: replays recent routed and held orders through the
//! current rules and through new ones, on today's stock, and prints the orders whose
//! decision would change. Reads only; nothing is written.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args as ClapArgs;
use switchyard_core::config;
use switchyard_core::routing::{RoutePlan, Router};
use switchyard_core::store::DecidedOrder;

use super::{Args, load_config, open_store};

#[derive(Debug, ClapArgs)]
pub struct RouteArgs {
    /// Rules to try: a file with a `routing:` section, or a whole configuration.
    #[arg(long = "what-if", value_name = "RULES")]
    pub what_if: PathBuf,
    /// How many of the most recently decided orders to replay.
    #[arg(long, default_value_t = 100)]
    pub last: i64,
}

/// One replayed order: its plan under the current rules and under the new ones.
pub struct Replay<'a> {
    pub decided: &'a DecidedOrder,
    pub current: RoutePlan,
    pub proposed: RoutePlan,
}

impl Replay<'_> {
    pub fn changed(&self) -> bool {
        self.current.placement() != self.proposed.placement()
    }

    /// `#1001 shop:42 (order 7): main [us] → berlin [eu]`.
    pub fn line(&self) -> String {
        let d = self.decided;
        format!(
            "{} {}:{} (order {}): {} [{}] → {} [{}]",
            d.order.number,
            d.channel_id,
            d.order.external_id,
            d.order_id,
            self.current.outcome(),
            self.current.rule_summary(),
            self.proposed.outcome(),
            self.proposed.rule_summary()
        )
    }
}

pub async fn what_if(args: &Args, route: &RouteArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(route.last > 0, "--last must be at least 1");
    let config = load_config(&args.config)?;
    let rules = config::load_routing(&route.what_if, &config)
        .map_err(|errors| anyhow::anyhow!("invalid routing rules:\n{errors}"))?;
    let kits = || config.kits.iter().map(|k| k.sku.clone());
    let current = Router::new(&config.routing, &config.locations)?.with_kits(kits());
    let proposed = Router::new(&rules, &config.locations)?.with_kits(kits());
    let store = open_store(args).await?;
    let decided = store
        .decided_orders(route.last)
        .await
        .context("reading recent decisions")?;
    let mut replays = Vec::with_capacity(decided.len());
    let mut drifted = 0;
    for d in &decided {
        let skus: Vec<String> = d
            .order
            .sku_quantities()
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        let stock = store.stock_by_location(&skus, Some(d.order_id)).await?;
        let replay = Replay {
            decided: d,
            current: current.plan(&d.order, &d.channel_id, &stock),
            proposed: proposed.plan(&d.order, &d.channel_id, &stock),
        };
        // Stock moved since (or an operator released it): today's current answer differs.
        if d.decision
            .plan
            .as_ref()
            .is_some_and(|p| p.placement() != replay.current.placement())
        {
            drifted += 1;
        }
        replays.push(replay);
    }
    let changed: Vec<&Replay> = replays.iter().filter(|r| r.changed()).collect();
    for r in &changed {
        println!("{}", r.line());
    }
    println!(
        "{} of {} recent order(s) would be routed differently by {}",
        changed.len(),
        replays.len(),
        route.what_if.display()
    );
    if drifted > 0 {
        println!(
            "note: {drifted} of them would also differ from their stored decision under the \
             current rules, because stock moved or an operator decided since"
        );
    }
    Ok(ExitCode::SUCCESS)
}
