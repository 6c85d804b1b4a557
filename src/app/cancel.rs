//! Cancelling an order on its sales channel (`orders cancel`, `POST /orders/{order}/cancel`):
//! the input checks, the call into the store (which runs `core::cancellation::plan` and
//! applies it), the refusals as the caller's errors, and the action log entry.

use serde::{Deserialize, Serialize};
use switchyard_core::cancellation::{
    CancelAsk, CancelLine, CancelReason, CancelRefusal, CancelState,
};
use switchyard_core::store::CancellationRow;

use super::{Actor, AppError, AppResult, Operations, check_limit};

/// A seller cancellation to make: the whole order, or lines with quantities.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CancelCommand {
    pub order: String,
    /// `out_of_stock`, `customer_request`, `fraud`, `address_undeliverable`,
    /// `pricing_error` or `other`.
    pub reason: String,
    /// Only these lines (where the channel cancels lines); absent: the whole order.
    pub lines: Option<Vec<CancelLine>>,
}

impl Operations {
    /// Cancels the order (or lines) on its channel: partners holding the units are asked to
    /// cancel first; refused when units already shipped.
    pub async fn cancel_on_channel(
        &self,
        actor: &Actor,
        cmd: CancelCommand,
    ) -> AppResult<CancellationRow> {
        let detail = serde_json::to_value(&cmd).unwrap_or_default();
        let target = self.order_target(&cmd.order).await;
        let result = async {
            let reason: CancelReason =
                cmd.reason
                    .parse()
                    .map_err(|e: switchyard_core::cancellation::UnknownReason| {
                        AppError::bad("reason", e.to_string())
                    })?;
            if let Some(lines) = &cmd.lines {
                if lines.is_empty() {
                    return Err(AppError::bad("lines", "name at least one line"));
                }
                for (i, l) in lines.iter().enumerate() {
                    if l.line_id.trim().is_empty() {
                        return Err(AppError::bad(
                            &format!("lines[{i}].line_id"),
                            "must not be empty",
                        ));
                    }
                    if l.quantity == 0 {
                        return Err(AppError::bad(
                            &format!("lines[{i}].quantity"),
                            "must be at least 1",
                        ));
                    }
                }
            }
            let id = self
                .ops
                .resolve_order_ref(&cmd.order)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("order `{}`", cmd.order)))?;
            let ask = CancelAsk {
                reason,
                lines: cmd.lines.clone(),
            };
            match self.ops.cancel_on_channel(id, &ask, &actor.id()).await? {
                Ok(row) => Ok(row),
                Err(CancelRefusal::BadInput(field, message)) => Err(AppError::bad(field, message)),
                Err(refusal @ (CancelRefusal::Shipped(_) | CancelRefusal::NotAllowed(_))) => {
                    Err(AppError::Conflict(refusal.to_string()))
                }
            }
        }
        .await;
        self.recorded(actor, "cancel", target, detail, result, |c| {
            format!(
                "cancellation {} ({}, {} `{}`): {}",
                c.id,
                if c.whole { "whole order" } else { "lines" },
                c.channel_id,
                c.reason_code,
                c.state.as_str()
            )
        })
        .await
    }

    /// Seller cancellations, newest first; `state` narrows (`needs_person` lists what a person
    /// must cancel in a channel's admin).
    pub async fn cancellations(
        &self,
        state: Option<&str>,
        order: Option<&str>,
        limit: i64,
    ) -> AppResult<Vec<CancellationRow>> {
        check_limit("limit", limit)?;
        let state: Option<CancelState> = state
            .map(|s| s.parse().map_err(|e: String| AppError::bad("state", e)))
            .transpose()?;
        let order_id = match order {
            Some(o) => Some(
                self.ops
                    .resolve_order_ref(o)
                    .await?
                    .ok_or_else(|| AppError::NotFound(format!("order `{o}`")))?,
            ),
            None => None,
        };
        Ok(self.ops.cancellations(state, order_id, limit).await?)
    }
}
