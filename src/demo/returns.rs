//! The demo's refunded return: one unit of a shipped order comes back on a channel whose refund
//! API Switchyard writes to, is received (disposed, so the levels the summary checks stay as
//! the ledger says) with its refund, and the daemon writes the refund to the channel. The
//! summary then reads the channel's own record of the order.

use std::time::{Duration, Instant};

use switchyard_core::rules::rma::{Disposition, RmaLine, RmaState};
use switchyard_core::store::{StoreError, now_ms};

use super::DemoChannel;
use super::WAREHOUSE;
use super::ledger::Ledger;
use crate::daemon::Daemon;

/// Channels whose simulators take refunds through the API (README, "Returns and refunds").
const REFUNDABLE: [&str; 5] = ["shopify", "woocommerce", "bigcommerce", "walmart", "ebay"];

/// What the demo returned and refunded.
#[derive(Debug, Clone)]
pub struct RefundedReturn {
    pub channel: String,
    pub order: String,
    pub rma_id: i64,
    /// As Switchyard asked (decimal text).
    pub amount: String,
}

pub async fn refund_one(
    daemon: &Daemon,
    channels: &[DemoChannel],
    ledger: &Ledger,
) -> anyhow::Result<Option<RefundedReturn>> {
    let store = daemon.app.store.clone();
    for o in &ledger.orders {
        let shipped_here = o
            .parts
            .iter()
            .any(|p| p.location == WAREHOUSE && p.tracking.is_some());
        let refundable = channels
            .iter()
            .any(|c| c.id == o.channel && REFUNDABLE.contains(&c.sim.kind()));
        if !shipped_here || !refundable || o.cancelled {
            continue;
        }
        let order_ref = format!("{}:{}", o.channel, o.external_id);
        let Some(detail) = store.order(&order_ref).await? else {
            continue;
        };
        for line in &detail.order.lines {
            let lines = [RmaLine {
                line_id: line.line_id.clone(),
                quantity: 1,
            }];
            match store
                .returns()
                .receive_unannounced(&order_ref, &lines, Disposition::Dispose, true, now_ms())
                .await
            {
                Ok(receipt) => {
                    daemon.app.wake.outbox.notify_one();
                    let rma_id = receipt.rma.id;
                    let started = Instant::now();
                    loop {
                        let rma = store.returns().rma(rma_id).await?;
                        if rma.as_ref().is_some_and(|r| r.state == RmaState::Refunded) {
                            break;
                        }
                        if started.elapsed() > Duration::from_secs(30) {
                            anyhow::bail!(
                                "return {rma_id} of {order_ref} not refunded after 30 s: {rma:?}"
                            );
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    return Ok(Some(RefundedReturn {
                        channel: o.channel.clone(),
                        order: o.external_id.clone(),
                        rma_id,
                        amount: receipt.rma.refund_amount.unwrap_or_default(),
                    }));
                }
                // A line that left from a partner, or was not shipped: try the next.
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(None)
}
