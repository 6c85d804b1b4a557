//! SP-API rate limits are per operation (a usage plan of rate and burst each), so each
//! operation gets its own limiter shaped like Amazon's default plan.

use std::collections::BTreeMap;

use switchyard_core::config::RateLimitConfig;

use crate::http::RateLimiter;

/// Every SP-API operation this connector calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Operation {
    SearchOrders,
    GetOrder,
    GetOrders,
    GetOrderV0,
    GetOrderItems,
    GetOrderAddress,
    ConfirmShipment,
    GetListingsItem,
    PatchListingsItem,
    CreateFeedDocument,
    CreateFeed,
    GetFeed,
    GetFeedDocument,
    CreateRestrictedDataToken,
}

impl Operation {
    pub const ALL: [Operation; 14] = [
        Operation::SearchOrders,
        Operation::GetOrder,
        Operation::GetOrders,
        Operation::GetOrderV0,
        Operation::GetOrderItems,
        Operation::GetOrderAddress,
        Operation::ConfirmShipment,
        Operation::GetListingsItem,
        Operation::PatchListingsItem,
        Operation::CreateFeedDocument,
        Operation::CreateFeed,
        Operation::GetFeed,
        Operation::GetFeedDocument,
        Operation::CreateRestrictedDataToken,
    ];

    /// Amazon's operation id, as its documentation and logs name it.
    pub fn name(self) -> &'static str {
        match self {
            Operation::SearchOrders => "searchOrders",
            Operation::GetOrder => "getOrder",
            Operation::GetOrders => "getOrders",
            Operation::GetOrderV0 => "getOrder(v0)",
            Operation::GetOrderItems => "getOrderItems",
            Operation::GetOrderAddress => "getOrderAddress",
            Operation::ConfirmShipment => "confirmShipment",
            Operation::GetListingsItem => "getListingsItem",
            Operation::PatchListingsItem => "patchListingsItem",
            Operation::CreateFeedDocument => "createFeedDocument",
            Operation::CreateFeed => "createFeed",
            Operation::GetFeed => "getFeed",
            Operation::GetFeedDocument => "getFeedDocument",
            Operation::CreateRestrictedDataToken => "createRestrictedDataToken",
        }
    }

    /// Default usage plan (requests per second, burst) from Amazon's API models.
    pub fn default_plan(self) -> (f64, u32) {
        match self {
            Operation::SearchOrders => (0.0056, 20),
            Operation::GetOrders => (0.0167, 20),
            Operation::GetOrder
            | Operation::GetOrderV0
            | Operation::GetOrderItems
            | Operation::GetOrderAddress => (0.5, 30),
            Operation::ConfirmShipment => (2.0, 10),
            Operation::GetListingsItem => (5.0, 10),
            Operation::PatchListingsItem => (5.0, 5),
            Operation::CreateFeedDocument => (0.5, 15),
            Operation::CreateFeed => (0.0083, 15),
            Operation::GetFeed => (2.0, 15),
            Operation::GetFeedDocument => (0.0222, 10),
            Operation::CreateRestrictedDataToken => (1.0, 10),
        }
    }
}

/// One limiter per operation of one selling-partner account.
pub struct Limiters(BTreeMap<Operation, RateLimiter>);

impl Limiters {
    /// Amazon's default plans; `override_all` (the channel's `rate_limit`) replaces every plan,
    /// for accounts Amazon granted more, or simulators.
    pub fn new(override_all: Option<&RateLimitConfig>) -> Self {
        Self(
            Operation::ALL
                .into_iter()
                .map(|op| {
                    let (rate, burst) = override_all
                        .map(|rl| (rl.per_second, rl.burst))
                        .unwrap_or_else(|| op.default_plan());
                    (op, RateLimiter::new(rate, burst))
                })
                .collect(),
        )
    }

    pub async fn acquire(&self, op: Operation) {
        if let Some(limiter) = self.0.get(&op) {
            limiter.acquire(1).await;
        }
    }
}
