//! What the console's dashboard and KPI page, the admin API's `/kpis` and `/metrics` read:
//! fulfilment KPIs over a window, each channel's and partner's last activity, queue depths
//! and throttles, and the open exceptions (an empty list until the exceptions store exists).

use std::sync::Arc;

use serde::Serialize;
use switchyard_core::store::{
    Cancellations, Counts, KpiFigures, KpiStore, OnTime, PartnerRates, PushLag, ShipTime,
    TrackingTime, now_ms,
};

use super::{AppError, AppResult, Operations};

/// The longest KPI window asked for at once.
pub const MAX_KPI_WINDOW_MS: i64 = 400 * 24 * 3_600_000;

/// `part / whole`, none of nothing.
fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// On-time shipments of one channel with the rate.
#[derive(Debug, Clone, Serialize)]
pub struct OnTimeRate {
    #[serde(flatten)]
    pub counts: OnTime,
    /// on_time / shipped; absent when nothing shipped with a ship-by date.
    pub rate: Option<f64>,
}

/// One partner's figures with its rates.
#[derive(Debug, Clone, Serialize)]
pub struct PartnerKpi {
    #[serde(flatten)]
    pub counts: PartnerRates,
    /// accepted / (accepted + rejected): of the orders it answered, those it took.
    pub acceptance_rate: Option<f64>,
    /// rejected / (accepted + rejected).
    pub rejection_rate: Option<f64>,
    /// shipped / (shipped + rejected + cancelled): of the orders that ended, those it shipped.
    pub fill_rate: Option<f64>,
}

/// One channel's cancellations with the rate.
#[derive(Debug, Clone, Serialize)]
pub struct CancellationRate {
    #[serde(flatten)]
    pub counts: Cancellations,
    /// cancelled / orders.
    pub rate: Option<f64>,
}

/// Every KPI over `[from_ms, to_ms)`, with the rates worked out.
#[derive(Debug, Clone, Serialize)]
pub struct KpiReport {
    pub from_ms: i64,
    pub to_ms: i64,
    /// Order-to-ship time per location and channel (p50, p90).
    pub order_to_ship: Vec<ShipTime>,
    /// On-time shipment rate per channel, against the order's ship-by date.
    pub on_time: Vec<OnTimeRate>,
    /// Acceptance, rejection and fill rates per partner.
    pub partners: Vec<PartnerKpi>,
    /// Cancellation rate per channel.
    pub cancellations: Vec<CancellationRate>,
    /// Shipment to tracking on the channel, per channel (p50, p90).
    pub shipment_to_tracking: Vec<TrackingTime>,
    /// Stock push lag per channel (p50, p90).
    pub push_lag: Vec<PushLag>,
}

impl KpiReport {
    pub fn new(from_ms: i64, to_ms: i64, f: KpiFigures) -> Self {
        KpiReport {
            from_ms,
            to_ms,
            order_to_ship: f.ship_times,
            on_time: f
                .on_time
                .into_iter()
                .map(|c| OnTimeRate {
                    rate: rate(c.on_time, c.shipped),
                    counts: c,
                })
                .collect(),
            partners: f
                .partners
                .into_iter()
                .map(|p| PartnerKpi {
                    acceptance_rate: rate(p.accepted, p.accepted + p.rejected),
                    rejection_rate: rate(p.rejected, p.accepted + p.rejected),
                    fill_rate: rate(p.shipped, p.shipped + p.rejected + p.cancelled),
                    counts: p,
                })
                .collect(),
            cancellations: f
                .cancellations
                .into_iter()
                .map(|c| CancellationRate {
                    rate: rate(c.cancelled, c.orders),
                    counts: c,
                })
                .collect(),
            shipment_to_tracking: f.tracking,
            push_lag: f.push_lag,
        }
    }
}

/// One channel on the dashboard.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelHealth {
    pub id: String,
    pub kind: String,
    pub last_poll_at: Option<i64>,
    pub last_push_at: Option<i64>,
    pub last_write_back_at: Option<i64>,
    pub write_backs_waiting: i64,
    /// SKUs waiting to be pushed.
    pub push_queue: i64,
    /// Age of the oldest stock change not yet pushed (ms).
    pub push_lag_ms: Option<i64>,
    /// API calls and throttled calls since the daemon started (a running daemon only).
    pub api_calls: Option<u64>,
    pub api_throttled: Option<u64>,
}

/// One fulfilment partner on the dashboard.
#[derive(Debug, Clone, Serialize)]
pub struct PartnerHealth {
    pub id: String,
    /// The adapter kind (`shipbob`, `edi_3pl`, …).
    pub adapter: String,
    pub last_event_at: Option<i64>,
    pub open_submissions: i64,
    pub failed_events: i64,
}

/// Something a person must look at, from the exceptions list.
#[derive(Debug, Clone, Serialize)]
pub struct ExceptionItem {
    pub kind: String,
    pub subject: String,
    pub message: String,
    pub first_at: i64,
    pub last_at: i64,
    pub count: i64,
}

/// The console's first page.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub at: i64,
    pub channels: Vec<ChannelHealth>,
    pub partners: Vec<PartnerHealth>,
    pub queues: Counts,
    pub held: usize,
    pub exceptions: Vec<ExceptionItem>,
    /// Since midnight UTC.
    pub today: KpiReport,
}

/// Midnight UTC of the day `ms` falls in.
pub fn day_start(ms: i64) -> i64 {
    ms - ms.rem_euclid(24 * 3_600_000)
}

impl Operations {
    /// Reads KPIs and activity through `kpis` (the same engine as the store).
    pub fn with_kpis(mut self, kpis: Arc<dyn KpiStore>) -> Self {
        self.kpis = Some(kpis);
        self
    }

    fn kpi_store(&self) -> AppResult<&dyn KpiStore> {
        self.kpis
            .as_deref()
            .ok_or_else(|| AppError::Failed("KPIs need the store's KPI queries".into()))
    }

    /// Every KPI over `[from_ms, to_ms)`.
    pub async fn kpis(&self, from_ms: i64, to_ms: i64) -> AppResult<KpiReport> {
        if to_ms <= from_ms {
            return Err(AppError::bad("to", "must be after `from`"));
        }
        if to_ms.saturating_sub(from_ms) > MAX_KPI_WINDOW_MS {
            return Err(AppError::bad("from", "the window must be at most 400 days"));
        }
        let figures = self.kpi_store()?.kpis(from_ms, to_ms).await?;
        Ok(KpiReport::new(from_ms, to_ms, figures))
    }

    /// The open exceptions (not yet acknowledged), newest first: the dashboard shows the
    /// latest 50. Without the engine's exceptions (a bare application layer) there are none.
    pub async fn open_exceptions(&self) -> AppResult<Vec<ExceptionItem>> {
        if self.exceptions.is_none() {
            return Ok(Vec::new());
        }
        let filter = switchyard_core::store::ExceptionFilter {
            state: Some(switchyard_core::exceptions::ExceptionState::Open),
            kind: None,
            before_id: None,
            limit: 50,
        };
        Ok(self
            .exceptions(&filter)
            .await?
            .into_iter()
            .map(|e| ExceptionItem {
                kind: e.kind.as_str().to_string(),
                subject: e.subject,
                message: e.message,
                first_at: e.first_at,
                last_at: e.last_at,
                count: e.count,
            })
            .collect())
    }

    /// Channels and partners with their last activity, queue depths, throttles, the open
    /// exceptions and today's KPIs.
    pub async fn dashboard(&self) -> AppResult<Dashboard> {
        let now = now_ms();
        let activity = self.kpi_store()?.activity().await?;
        let depths = self.store.dirty_depth(now).await?;
        let queues = self.store.counts().await?;
        let held = self.store.held_orders(super::MAX_LIMIT).await?.len();
        let mut channels = Vec::new();
        let configured: Vec<(String, String)> = match self.config() {
            Some(c) => c
                .channels
                .iter()
                .map(|c| (c.id.clone(), c.kind.as_str().to_string()))
                .collect(),
            None => activity
                .channels
                .iter()
                .map(|c| (c.channel_id.clone(), String::new()))
                .collect(),
        };
        for (id, kind) in configured {
            let a = activity.channels.iter().find(|c| c.channel_id == id);
            let d = depths.iter().find(|d| d.channel_id == id);
            let stats = self.channels.get(&id).and_then(|c| c.api_stats());
            channels.push(ChannelHealth {
                last_poll_at: a.and_then(|a| a.last_poll_at),
                last_push_at: a.and_then(|a| a.last_push_at),
                last_write_back_at: a.and_then(|a| a.last_write_back_at),
                write_backs_waiting: a.map_or(0, |a| a.write_backs_waiting),
                push_queue: d.map_or(0, |d| d.pending),
                push_lag_ms: d.and_then(|d| d.oldest_ms),
                api_calls: stats.as_ref().map(|s| s.calls),
                api_throttled: stats.as_ref().map(|s| s.throttled),
                id,
                kind,
            });
        }
        let partners = self
            .config()
            .map(|c| {
                c.locations
                    .iter()
                    .filter_map(|l| l.adapter.as_ref().map(|a| (l.id.clone(), a.kind.as_str())))
                    .map(|(id, adapter)| {
                        let a = activity.partners.iter().find(|p| p.location_id == id);
                        PartnerHealth {
                            last_event_at: a.and_then(|a| a.last_event_at),
                            open_submissions: a.map_or(0, |a| a.open_submissions),
                            failed_events: a.map_or(0, |a| a.failed_events),
                            adapter: adapter.to_string(),
                            id,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let today = self.kpis(day_start(now), now + 1).await?;
        Ok(Dashboard {
            at: now,
            channels,
            partners,
            queues,
            held,
            exceptions: self.open_exceptions().await?,
            today,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_worked_out_and_absent_without_a_base() {
        let r = KpiReport::new(
            0,
            1,
            KpiFigures {
                partners: vec![PartnerRates {
                    location_id: "bob".into(),
                    submitted: 5,
                    accepted: 3,
                    rejected: 1,
                    shipped: 2,
                    cancelled: 0,
                }],
                on_time: vec![OnTime {
                    channel_id: "shop".into(),
                    shipped: 0,
                    on_time: 0,
                }],
                ..KpiFigures::default()
            },
        );
        let p = &r.partners[0];
        assert_eq!(p.acceptance_rate, Some(0.75));
        assert_eq!(p.rejection_rate, Some(0.25));
        assert_eq!(p.fill_rate, Some(2.0 / 3.0));
        assert_eq!(r.on_time[0].rate, None);
    }

    #[test]
    fn the_day_starts_at_midnight_utc() {
        // 2026-12-03T15:47:00Z
        assert_eq!(day_start(1_796_312_820_000), 1_796_256_000_000);
    }
}
