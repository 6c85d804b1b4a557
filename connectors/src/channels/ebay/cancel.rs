//! Cancelling an order as the seller, through eBay's Post-Order API (not in
//! `../shared/specs`; read from eBay's published reference):
//!
//! - `POST /post-order/v2/cancellation` "initiates an order cancellation on behalf of a
//!   seller" with `CreateCancelRequest` `{legacyOrderId, cancelReason, buyerPaid,
//!   buyerPaidDate?}` and answers `CreateCancelResponse` `{cancelId, orderEligibilityResult?}`
//!   (<https://developer.ebay.com/DevZone/post-order/post-order_v2_cancellation__post.html>,
//!   <https://developer.ebay.com/Devzone/post-order/types/CreateCancelRequest.html>,
//!   <https://developer.ebay.com/DevZone/post-order/types/CreateCancelResponse.html>).
//! - `cancelReason` is a `CancelReasonEnum` value a seller may give: `ADDRESS_ISSUES`,
//!   `BUYER_ASKED_CANCEL`, `OUT_OF_STOCK_OR_CANNOT_FULFILL`
//!   (<https://developer.ebay.com/Devzone/post-order/types/CancelReasonEnum.html>); the table
//!   is `switchyard_core::cancellation`. eBay counts out-of-stock cancellations as a seller
//!   defect.
//! - Whole orders only: "the cancellation operations in the Post-Order API act upon an entire
//!   order, so a single line item within a multiple line item order cannot be canceled"
//!   (<https://developer.ebay.com/api-docs/user-guides/static/post-order-user-guide/post-order-cancellations.html>).
//! - `legacyOrderId` is the Fulfillment API's `orderId`: for current orders "the two
//!   identifiers are now the same" (Sell Fulfillment `Order.legacyOrderId`).
//! - An order that is not eligible (shipped, a case open, an open cancellation already) is
//!   refused with its reasons (`EligibilityFailureReasonEnum`).
//!
//! Safe to repeat: `GET /post-order/v2/cancellation/search?legacy_order_id=` is read first
//! (<https://developer.ebay.com/Devzone/post-order/post-order_v2_cancellation_search__get.html>);
//! a cancellation the seller already made for the order counts as done.

use reqwest::Method;
use serde_json::{Value, json};
use switchyard_core::cancellation::ChannelCancel;
use switchyard_core::ports::ChannelError;

use crate::http::with_retry;

use super::client::EbayClient;
use super::orders::path_safe;

pub const CREATE: &str = "/post-order/v2/cancellation";
pub const SEARCH: &str = "/post-order/v2/cancellation/search";

pub async fn cancel(client: &EbayClient, request: &ChannelCancel) -> Result<String, ChannelError> {
    if !request.whole {
        return Err(ChannelError::Rejected(
            "eBay's Post-Order API cancels only whole orders".into(),
        ));
    }
    let id = path_safe(&request.order_external_id)?;
    with_retry(client.retry_policy(), CREATE, || async {
        let found = client
            .post_order_once(
                Method::GET,
                SEARCH,
                &[("legacy_order_id", id.to_string())],
                None,
            )
            .await?;
        if let Some(existing) = seller_cancellation(&found, id) {
            return Ok(format!("already cancelled (cancelId {existing})"));
        }
        let body = json!({
            "legacyOrderId": id,
            "cancelReason": request.reason_code,
            "buyerPaid": true,
        });
        let answer = client
            .post_order_once(Method::POST, CREATE, &[], Some(&body))
            .await?;
        match answer.get("cancelId").and_then(Value::as_str) {
            Some(cancel_id) => Ok(format!(
                "Post-Order cancellation {cancel_id} ({})",
                request.reason_code
            )),
            None => Err(ChannelError::Rejected(format!(
                "eBay did not cancel order {id}: {}",
                ineligible(&answer)
            ))),
        }
    })
    .await
}

/// The `cancelId` of a cancellation the seller made for the order, in a search answer.
pub fn seller_cancellation(found: &Value, order_id: &str) -> Option<String> {
    found
        .get("cancellations")
        .and_then(Value::as_array)?
        .iter()
        .filter(|c| c.get("legacyOrderId").and_then(Value::as_str) == Some(order_id))
        .filter(|c| {
            c.get("requestorType")
                .and_then(Value::as_str)
                .is_none_or(|r| r == "SELLER")
        })
        .find_map(|c| {
            c.get("cancelId")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
}

/// Why eBay found the order not eligible, from `orderEligibilityResult.failureReason`.
fn ineligible(answer: &Value) -> String {
    let reasons: Vec<&str> = answer
        .pointer("/orderEligibilityResult/failureReason")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if reasons.is_empty() {
        "no cancelId in the answer".into()
    } else {
        format!("not eligible ({})", reasons.join(", "))
    }
}
