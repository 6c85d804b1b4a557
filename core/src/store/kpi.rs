//! Fulfilment KPIs and the console dashboard's activity figures, read from the tables the
//! pipeline already writes (no table of their own). [`KpiStore`] is a small trait beside
//! [`super::Store`] and [`super::OperatorStore`]; both engines run the same SQL (below, with
//! `$N` parameters; SQLite reads them as `?N`). Percentiles are nearest-rank, computed in SQL
//! with window functions (`ROW_NUMBER`, `COUNT(*) OVER`), which SQLite and PostgreSQL share.

use async_trait::async_trait;
use serde::Serialize;

use super::Result;

/// Durations of one group: how many, and the 50th and 90th percentiles (nearest rank), in ms.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Spread {
    pub count: i64,
    pub p50_ms: i64,
    pub p90_ms: i64,
}

/// Order-to-ship time of the parcels that left one location for one channel's orders:
/// from the order's arrival in Switchyard to the parcel being recorded.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ShipTime {
    /// A parcel from several own locations reads `a+b`.
    pub location_id: String,
    pub channel_id: String,
    #[serde(flatten)]
    pub spread: Spread,
}

/// Orders of one channel first shipped in the window that had a ship-by date.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OnTime {
    pub channel_id: String,
    pub shipped: i64,
    /// Of those, first parcel at or before the ship-by date.
    pub on_time: i64,
}

/// Orders handed to one partner in the window and what became of them.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PartnerRates {
    pub location_id: String,
    pub submitted: i64,
    /// Confirmed or acted on (accepted, shipped, cancelled or asked to cancel afterwards).
    pub accepted: i64,
    pub rejected: i64,
    pub shipped: i64,
    /// Cancelled at or by the partner after it took the order.
    pub cancelled: i64,
}

/// Orders of one channel received in the window, and how many the channel cancelled.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Cancellations {
    pub channel_id: String,
    pub orders: i64,
    pub cancelled: i64,
}

/// Time from a parcel being recorded to its tracking accepted by the channel (the
/// write-back done), for write-backs done in the window; `waiting` are not done yet.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TrackingTime {
    pub channel_id: String,
    #[serde(flatten)]
    pub spread: Spread,
    pub waiting: i64,
}

/// Stock pushes of one channel in the window: time from the SKU's last stock movement before
/// the push to the push (pushes with no movement behind them, such as first listings and
/// kits, are not counted).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PushLag {
    pub channel_id: String,
    #[serde(flatten)]
    pub spread: Spread,
}

/// Every KPI over one window `[from_ms, to_ms)`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct KpiFigures {
    pub ship_times: Vec<ShipTime>,
    pub on_time: Vec<OnTime>,
    pub partners: Vec<PartnerRates>,
    pub cancellations: Vec<Cancellations>,
    pub tracking: Vec<TrackingTime>,
    pub push_lag: Vec<PushLag>,
}

/// What one channel last did successfully.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ChannelActivity {
    pub channel_id: String,
    /// The poll cursor's last commit (Unix ms).
    pub last_poll_at: Option<i64>,
    /// The newest level a push set on one of its listings.
    pub last_push_at: Option<i64>,
    /// The newest tracking write-back done.
    pub last_write_back_at: Option<i64>,
    /// Write-backs not done yet.
    pub write_backs_waiting: i64,
}

/// What one fulfilment partner last did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct PartnerActivity {
    pub location_id: String,
    /// The newest event received from it.
    pub last_event_at: Option<i64>,
    /// Submissions it holds that are not over (queued, submitted, accepted, cancel asked).
    pub open_submissions: i64,
    /// Events parked as failed.
    pub failed_events: i64,
}

/// The dashboard's per-channel and per-partner figures, ids sorted.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Activity {
    pub channels: Vec<ChannelActivity>,
    pub partners: Vec<PartnerActivity>,
}

#[async_trait]
pub trait KpiStore: Send + Sync {
    /// Every KPI over `[from_ms, to_ms)`.
    async fn kpis(&self, from_ms: i64, to_ms: i64) -> Result<KpiFigures>;
    /// Last poll, push and write-back per channel; last event and open work per partner.
    async fn activity(&self) -> Result<Activity>;
}

/// Nearest-rank p50/p90 per group of `s(k1, k2, d)` (`k2` may be a constant).
fn percentiles(base: &str, keys: &str) -> String {
    format!(
        "WITH s AS ({base}),
         r AS (SELECT {keys}, d,
                  ROW_NUMBER() OVER (PARTITION BY {keys} ORDER BY d) AS rn,
                  COUNT(*) OVER (PARTITION BY {keys}) AS n
               FROM s)
         SELECT {keys}, MAX(n) AS n,
                MIN(CASE WHEN rn = (50 * n + 99) / 100 THEN d END) AS p50,
                MIN(CASE WHEN rn = (90 * n + 99) / 100 THEN d END) AS p90
         FROM r GROUP BY {keys} ORDER BY {keys}"
    )
}

/// Order-to-ship: (location_id, channel_id, n, p50, p90).
pub fn ship_times_sql() -> String {
    percentiles(
        "SELECT p.location_id AS location_id, o.channel_id AS channel_id,
                p.shipped_at - o.created_at AS d
         FROM shipments p JOIN orders o ON o.id = p.order_id
         WHERE p.shipped_at >= $1 AND p.shipped_at < $2",
        "location_id, channel_id",
    )
}

/// (channel_id, shipped, on_time).
pub const ON_TIME_SQL: &str = "SELECT o.channel_id AS channel_id, COUNT(*) AS shipped,
        SUM(CASE WHEN f.first_at <= o.ship_by_ms THEN 1 ELSE 0 END) AS on_time
     FROM (SELECT order_id, MIN(shipped_at) AS first_at FROM shipments GROUP BY order_id) f
     JOIN orders o ON o.id = f.order_id
     WHERE o.ship_by_ms IS NOT NULL AND f.first_at >= $1 AND f.first_at < $2
     GROUP BY o.channel_id ORDER BY o.channel_id";

/// (location_id, submitted, accepted, rejected, shipped, cancelled); a submission counts in
/// the window its outbox item was created in (when it was handed over), else by its last
/// change.
pub const PARTNERS_SQL: &str = "SELECT s.location_id AS location_id, COUNT(*) AS submitted,
        SUM(CASE WHEN s.state IN ('accepted', 'shipped', 'cancel_requested', 'cancel_refused', 'cancelled')
            THEN 1 ELSE 0 END) AS accepted,
        SUM(CASE WHEN s.state = 'rejected' THEN 1 ELSE 0 END) AS rejected,
        SUM(CASE WHEN s.state = 'shipped' THEN 1 ELSE 0 END) AS shipped,
        SUM(CASE WHEN s.state = 'cancelled' THEN 1 ELSE 0 END) AS cancelled
     FROM fulfillment_submissions s
     LEFT JOIN outbox x ON x.idempotency_key = s.idempotency_key
     WHERE COALESCE(x.created_at, s.updated_at) >= $1 AND COALESCE(x.created_at, s.updated_at) < $2
     GROUP BY s.location_id ORDER BY s.location_id";

/// (channel_id, orders, cancelled).
pub const CANCELLATIONS_SQL: &str = "SELECT channel_id, COUNT(*) AS orders,
        SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) AS cancelled
     FROM orders WHERE created_at >= $1 AND created_at < $2
     GROUP BY channel_id ORDER BY channel_id";

/// Shipment to tracking: (channel_id, k, n, p50, p90).
pub fn tracking_sql() -> String {
    percentiles(
        "SELECT channel_id, '' AS k, done_at - created_at AS d FROM outbox
         WHERE kind = 'write_back_shipment' AND done_at IS NOT NULL
           AND done_at >= $1 AND done_at < $2",
        "channel_id, k",
    )
}

/// (channel_id, waiting).
pub const TRACKING_WAITING_SQL: &str = "SELECT channel_id, COUNT(*) AS waiting FROM outbox
     WHERE kind = 'write_back_shipment' AND done_at IS NULL
     GROUP BY channel_id ORDER BY channel_id";

/// Push lag: (channel_id, k, n, p50, p90).
pub fn push_lag_sql() -> String {
    percentiles(
        "SELECT channel_id, k, d FROM (
             SELECT p.channel_id AS channel_id, '' AS k,
                    p.pushed_at - (SELECT MAX(l.at) FROM stock_ledger l
                                   WHERE l.sku = p.sku AND l.at <= p.pushed_at) AS d
             FROM stock_pushes p WHERE p.pushed_at >= $1 AND p.pushed_at < $2) x
         WHERE d IS NOT NULL",
        "channel_id, k",
    )
}

/// (channel_id, at).
pub const LAST_POLL_SQL: &str = "SELECT channel_id, updated_at FROM poll_cursors";
/// (channel_id, at).
pub const LAST_PUSH_SQL: &str =
    "SELECT channel_id, MAX(last_pushed_at) FROM listings GROUP BY channel_id";
/// (channel_id, at).
pub const LAST_WRITE_BACK_SQL: &str = "SELECT channel_id, MAX(done_at) FROM outbox
     WHERE kind = 'write_back_shipment' GROUP BY channel_id";
/// (location_id, at, failed).
pub const PARTNER_EVENTS_SQL: &str = "SELECT location_id, MAX(received_at),
        SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END)
     FROM target_inbox GROUP BY location_id";
/// (location_id, open).
pub const OPEN_SUBMISSIONS_SQL: &str = "SELECT location_id, COUNT(*) FROM fulfillment_submissions
     WHERE state IN ('queued', 'submitted', 'accepted', 'cancel_requested')
     GROUP BY location_id";

/// A group's spread from its row (`n`, `p50`, `p90`); a duration below zero (a partner's
/// clock behind ours) reads as zero.
pub fn spread(n: i64, p50: Option<i64>, p90: Option<i64>) -> Spread {
    Spread {
        count: n,
        p50_ms: p50.unwrap_or(0).max(0),
        p90_ms: p90.unwrap_or(0).max(0),
    }
}

/// The activity figures from their queries' rows, one entry per id.
pub fn activity_from(
    polls: Vec<(String, i64)>,
    pushes: Vec<(String, Option<i64>)>,
    write_backs: Vec<(String, Option<i64>)>,
    waiting: Vec<(String, i64)>,
    events: Vec<(String, Option<i64>, Option<i64>)>,
    open: Vec<(String, i64)>,
) -> Activity {
    use std::collections::BTreeMap;
    let mut channels: BTreeMap<String, ChannelActivity> = BTreeMap::new();
    fn of(map: &mut BTreeMap<String, ChannelActivity>, id: String) -> &mut ChannelActivity {
        map.entry(id.clone()).or_insert_with(|| ChannelActivity {
            channel_id: id,
            ..ChannelActivity::default()
        })
    }
    for (id, at) in polls {
        of(&mut channels, id).last_poll_at = Some(at);
    }
    for (id, at) in pushes {
        of(&mut channels, id).last_push_at = at;
    }
    for (id, at) in write_backs {
        of(&mut channels, id).last_write_back_at = at;
    }
    for (id, n) in waiting {
        of(&mut channels, id).write_backs_waiting = n;
    }
    let mut partners: BTreeMap<String, PartnerActivity> = BTreeMap::new();
    for (id, at, failed) in events {
        let p = partners
            .entry(id.clone())
            .or_insert_with(|| PartnerActivity {
                location_id: id,
                ..PartnerActivity::default()
            });
        p.last_event_at = at;
        p.failed_events = failed.unwrap_or(0);
    }
    for (id, n) in open {
        let p = partners
            .entry(id.clone())
            .or_insert_with(|| PartnerActivity {
                location_id: id,
                ..PartnerActivity::default()
            });
        p.open_submissions = n;
    }
    Activity {
        channels: channels.into_values().collect(),
        partners: partners.into_values().collect(),
    }
}

/// Write-backs waiting, merged into the tracking rows (a channel with only waiting ones gets
/// a row of its own).
pub fn merge_waiting(
    mut tracking: Vec<TrackingTime>,
    waiting: Vec<(String, i64)>,
) -> Vec<TrackingTime> {
    for (channel_id, n) in waiting {
        match tracking.iter_mut().find(|t| t.channel_id == channel_id) {
            Some(t) => t.waiting = n,
            None => tracking.push(TrackingTime {
                channel_id,
                spread: Spread::default(),
                waiting: n,
            }),
        }
    }
    tracking.sort_by(|a, b| a.channel_id.cmp(&b.channel_id));
    tracking
}
