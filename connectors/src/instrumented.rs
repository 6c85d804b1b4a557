//! A connector wrapped so that every API call it makes is counted for its account.

use std::sync::Arc;

use async_trait::async_trait;
use switchyard_core::model::{ChannelKind, Order, Shipment};
use switchyard_core::ports::{
    ApiStats, Channel, ChannelError, ChannelLimits, Delivery, IngestError, Listing, ListingLevel,
    NormalizeError, PollCursor, PollPage, PushReport, RawOrder, Refund, RefundOutcome, ReturnsPage,
    WebhookRequest,
};

use crate::http::{CallStats, counted};

pub struct Instrumented {
    inner: Arc<dyn Channel>,
    stats: Arc<CallStats>,
}

impl Instrumented {
    pub fn new(inner: Arc<dyn Channel>) -> Self {
        Self {
            inner,
            stats: Arc::new(CallStats::default()),
        }
    }
}

#[async_trait]
impl Channel for Instrumented {
    fn id(&self) -> &str {
        self.inner.id()
    }
    fn api_stats(&self) -> Option<ApiStats> {
        Some(self.stats.snapshot())
    }
    fn kind(&self) -> ChannelKind {
        self.inner.kind()
    }
    fn limits(&self) -> ChannelLimits {
        self.inner.limits()
    }
    fn min_push_interval(&self) -> std::time::Duration {
        self.inner.min_push_interval()
    }
    async fn verify_webhook(&self, request: &WebhookRequest) -> Result<Delivery, IngestError> {
        counted(self.stats.clone(), self.inner.verify_webhook(request)).await
    }
    fn normalize(&self, raw: &RawOrder) -> Result<Order, NormalizeError> {
        self.inner.normalize(raw)
    }
    async fn fetch_order(&self, external_id: &str) -> Result<Option<RawOrder>, ChannelError> {
        counted(self.stats.clone(), self.inner.fetch_order(external_id)).await
    }
    async fn poll_orders(&self, cursor: &PollCursor) -> Result<PollPage, ChannelError> {
        counted(self.stats.clone(), self.inner.poll_orders(cursor)).await
    }
    async fn discover_listings(&self, skus: &[String]) -> Result<Vec<Listing>, ChannelError> {
        counted(self.stats.clone(), self.inner.discover_listings(skus)).await
    }
    async fn push_stock(&self, batch: &[ListingLevel]) -> Result<PushReport, ChannelError> {
        counted(self.stats.clone(), self.inner.push_stock(batch)).await
    }
    async fn write_back_shipment(
        &self,
        shipment: &Shipment,
        idempotency_key: &str,
    ) -> Result<(), ChannelError> {
        counted(
            self.stats.clone(),
            self.inner.write_back_shipment(shipment, idempotency_key),
        )
        .await
    }
    async fn cancel_order(
        &self,
        request: &switchyard_core::cancellation::ChannelCancel,
        idempotency_key: &str,
    ) -> Result<String, ChannelError> {
        counted(
            self.stats.clone(),
            self.inner.cancel_order(request, idempotency_key),
        )
        .await
    }
    async fn refund(
        &self,
        refund: &Refund,
        idempotency_key: &str,
    ) -> Result<RefundOutcome, ChannelError> {
        counted(
            self.stats.clone(),
            self.inner.refund(refund, idempotency_key),
        )
        .await
    }
    async fn poll_returns(&self, cursor: Option<&str>) -> Result<ReturnsPage, ChannelError> {
        counted(self.stats.clone(), self.inner.poll_returns(cursor)).await
    }
}
