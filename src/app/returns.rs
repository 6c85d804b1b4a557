//! Returns and refunds (RMAs): list, receive (restock or dispose), refund on the channel,
//! confirm a refund a person made, cancel an expected return. A refund is an explicit step
//! (`returns refund`, or `--refund` when receiving): a merchant inspects what came back
//! before money goes out.

use switchyard_core::rules::rma::{Disposition, RmaLine, RmaState};
use switchyard_core::store::{ReceiveReceipt, RmaFilter, RmaRow, now_ms};

use super::{Actor, AppError, AppResult, Operations, check_limit};

/// What `returns list` shows.
#[derive(Debug, Clone, Default)]
pub struct ReturnsQuery {
    pub state: Option<String>,
    pub channel_id: Option<String>,
    pub order: Option<String>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// The RMA states, as `returns list --state` takes them.
pub fn rma_states() -> Vec<&'static str> {
    RmaState::ALL.iter().map(|s| s.as_str()).collect()
}

impl Operations {
    pub async fn returns_list(&self, q: &ReturnsQuery) -> AppResult<Vec<RmaRow>> {
        check_limit("limit", q.limit)?;
        let state = match &q.state {
            None => None,
            Some(s) => Some(s.parse::<RmaState>().map_err(|_| {
                AppError::bad(
                    "state",
                    format!("`{s}` is not one of {}", rma_states().join(", ")),
                )
            })?),
        };
        let order_id = match &q.order {
            None => None,
            Some(r) => Some(
                self.ops
                    .resolve_order_ref(r)
                    .await?
                    .ok_or_else(|| AppError::NotFound(format!("order `{r}`")))?,
            ),
        };
        Ok(self
            .store
            .returns()
            .rmas(&RmaFilter {
                state,
                channel_id: q.channel_id.clone(),
                order_id,
                before_id: q.before_id,
                limit: q.limit,
            })
            .await?)
    }

    pub async fn return_detail(&self, rma_id: i64) -> AppResult<RmaRow> {
        self.store
            .returns()
            .rma(rma_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("return {rma_id}")))
    }

    /// Receives an expected return's units; with `refund` the refund is queued with it.
    pub async fn receive_return(
        &self,
        actor: &Actor,
        rma_id: i64,
        disposition: Disposition,
        refund: bool,
    ) -> AppResult<ReceiveReceipt> {
        let detail =
            serde_json::json!({"rma": rma_id, "disposition": disposition, "refund": refund});
        let result = self
            .store
            .returns()
            .receive_rma(rma_id, disposition, refund, now_ms())
            .await
            .map_err(AppError::from);
        self.recorded(
            actor,
            "return_receive",
            format!("rma:{rma_id}"),
            detail,
            result,
            received_message,
        )
        .await
    }

    /// Records a return nobody announced (`switchyard return ORDER --line L --qty N`): an RMA
    /// received at once.
    pub async fn record_unannounced_return(
        &self,
        actor: &Actor,
        order: &str,
        lines: &[(String, i64)],
        disposition: Disposition,
        refund: bool,
    ) -> AppResult<ReceiveReceipt> {
        let detail = serde_json::json!({"order": order, "lines": lines, "disposition": disposition, "refund": refund});
        let target = self.order_target(order).await;
        let result = async {
            if lines.is_empty() {
                return Err(AppError::bad("lines", "must name at least one line"));
            }
            for (i, (line, q)) in lines.iter().enumerate() {
                if line.trim().is_empty() {
                    return Err(AppError::bad(
                        &format!("lines[{i}].line"),
                        "must not be empty",
                    ));
                }
                if *q < 1 {
                    return Err(AppError::bad(
                        &format!("lines[{i}].qty"),
                        "must be at least 1",
                    ));
                }
            }
            let lines: Vec<RmaLine> = lines
                .iter()
                .map(|(line_id, quantity)| RmaLine {
                    line_id: line_id.clone(),
                    quantity: *quantity,
                })
                .collect();
            Ok(self
                .store
                .returns()
                .receive_unannounced(order, &lines, disposition, refund, now_ms())
                .await?)
        }
        .await;
        self.recorded(actor, "return", target, detail, result, received_message)
            .await
    }

    /// Queues the refund of a received return for its channel.
    pub async fn refund_return(&self, actor: &Actor, rma_id: i64) -> AppResult<RmaRow> {
        let result = self
            .store
            .returns()
            .refund_rma(rma_id, now_ms())
            .await
            .map_err(AppError::from);
        self.recorded(
            actor,
            "return_refund",
            format!("rma:{rma_id}"),
            serde_json::json!({"rma": rma_id}),
            result,
            |r| {
                format!(
                    "refund of {} {} queued",
                    r.refund_amount.as_deref().unwrap_or("?"),
                    r.currency
                )
            },
        )
        .await
    }

    /// A person refunded in the channel's admin (the channel has no refund API).
    pub async fn confirm_refund(&self, actor: &Actor, rma_id: i64) -> AppResult<RmaRow> {
        let result = self
            .store
            .returns()
            .confirm_refund(rma_id, &actor.id(), now_ms())
            .await
            .map_err(AppError::from);
        self.recorded(
            actor,
            "return_refunded",
            format!("rma:{rma_id}"),
            serde_json::json!({"rma": rma_id}),
            result,
            |_| "refund made by a person confirmed".into(),
        )
        .await
    }

    /// Cancels an expected return.
    pub async fn cancel_return(&self, actor: &Actor, rma_id: i64) -> AppResult<RmaRow> {
        let result = self
            .store
            .returns()
            .cancel_rma(rma_id, now_ms())
            .await
            .map_err(AppError::from);
        self.recorded(
            actor,
            "return_cancel",
            format!("rma:{rma_id}"),
            serde_json::json!({"rma": rma_id}),
            result,
            |_| "cancelled".into(),
        )
        .await
    }
}

fn received_message(r: &ReceiveReceipt) -> String {
    let mut text = format!(
        "return {} received ({})",
        r.rma.id,
        r.rma.disposition.map_or("?", Disposition::as_str)
    );
    if let Some(key) = &r.refund_key {
        text.push_str(&format!("; refund queued ({key})"));
    }
    text
}
