//! The fulfilment KPIs as gauges over the last 24 hours, read through the application layer's
//! [`KpiReport`] at most once a minute (a scrape in between shows the last reading):
//! `switchyard_order_to_ship_seconds{location,channel,quantile}`,
//! `switchyard_on_time_shipment_ratio{channel}`, `switchyard_partner_acceptance_ratio`,
//! `…_rejection_ratio`, `…_fill_ratio{location}`, `switchyard_cancellation_ratio{channel}`,
//! `switchyard_shipment_to_tracking_seconds{channel,quantile}` and
//! `switchyard_stock_push_lag_seconds{channel,quantile}`. A ratio with no base (nothing
//! shipped, nothing answered) is left out rather than shown as 0.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use crate::app::KpiReport;

/// How often the KPI queries run at most.
pub const REFRESH_MS: i64 = 60_000;
/// The window the gauges cover.
pub const WINDOW_MS: i64 = 24 * 3_600_000;

type FloatGauges<L> = Family<L, Gauge<f64, AtomicU64>>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LocChannelQuantile {
    pub location: String,
    pub channel: String,
    pub quantile: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ChannelQuantile {
    pub channel: String,
    pub quantile: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Channel {
    pub channel: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Location {
    pub location: String,
}

#[derive(Default)]
pub struct KpiGauges {
    pub order_to_ship: FloatGauges<LocChannelQuantile>,
    pub on_time: FloatGauges<Channel>,
    pub partner_acceptance: FloatGauges<Location>,
    pub partner_rejection: FloatGauges<Location>,
    pub partner_fill: FloatGauges<Location>,
    pub cancellation: FloatGauges<Channel>,
    pub shipment_to_tracking: FloatGauges<ChannelQuantile>,
    pub push_lag: FloatGauges<ChannelQuantile>,
    /// When the figures were last read (Unix ms); 0 before the first reading.
    read_at: AtomicI64,
}

fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

impl KpiGauges {
    pub fn register(registry: &mut Registry) -> KpiGauges {
        let g = KpiGauges::default();
        let ratio = || Unit::Other("ratio".into());
        registry.register_with_unit(
            "order_to_ship",
            "Order arrival to parcel recorded, per location and channel, last 24 h (p50, p90)",
            Unit::Seconds,
            g.order_to_ship.clone(),
        );
        registry.register_with_unit(
            "on_time_shipment",
            "Orders first shipped by their ship-by date, of those shipped with one, last 24 h",
            ratio(),
            g.on_time.clone(),
        );
        registry.register_with_unit(
            "partner_acceptance",
            "Orders a partner took, of those it answered, handed over in the last 24 h",
            ratio(),
            g.partner_acceptance.clone(),
        );
        registry.register_with_unit(
            "partner_rejection",
            "Orders a partner refused, of those it answered, handed over in the last 24 h",
            ratio(),
            g.partner_rejection.clone(),
        );
        registry.register_with_unit(
            "partner_fill",
            "Orders a partner shipped, of those that ended, handed over in the last 24 h",
            ratio(),
            g.partner_fill.clone(),
        );
        registry.register_with_unit(
            "cancellation",
            "Orders the channel cancelled, of those received in the last 24 h",
            ratio(),
            g.cancellation.clone(),
        );
        registry.register_with_unit(
            "shipment_to_tracking",
            "Parcel recorded to tracking accepted by the channel, last 24 h (p50, p90)",
            Unit::Seconds,
            g.shipment_to_tracking.clone(),
        );
        registry.register_with_unit(
            "stock_push_lag",
            "Last stock movement to the push carrying it, last 24 h (p50, p90)",
            Unit::Seconds,
            g.push_lag.clone(),
        );
        g
    }

    /// Whether the figures are older than [`REFRESH_MS`] at `now_ms`.
    pub fn due(&self, now_ms: i64) -> bool {
        now_ms - self.read_at.load(Ordering::Relaxed) >= REFRESH_MS
    }

    /// Replaces every series by the report's (a group gone from the window disappears).
    pub fn set(&self, now_ms: i64, r: &KpiReport) {
        self.read_at.store(now_ms, Ordering::Relaxed);
        for family in [&self.on_time, &self.cancellation] {
            family.clear();
        }
        for family in [
            &self.partner_acceptance,
            &self.partner_rejection,
            &self.partner_fill,
        ] {
            family.clear();
        }
        self.order_to_ship.clear();
        self.shipment_to_tracking.clear();
        self.push_lag.clear();
        for t in &r.order_to_ship {
            for (q, ms) in [("0.5", t.spread.p50_ms), ("0.9", t.spread.p90_ms)] {
                self.order_to_ship
                    .get_or_create(&LocChannelQuantile {
                        location: t.location_id.clone(),
                        channel: t.channel_id.clone(),
                        quantile: q.into(),
                    })
                    .set(secs(ms));
            }
        }
        let channel = |c: &str| Channel {
            channel: c.to_string(),
        };
        let location = |l: &str| Location {
            location: l.to_string(),
        };
        for o in &r.on_time {
            if let Some(rate) = o.rate {
                self.on_time
                    .get_or_create(&channel(&o.counts.channel_id))
                    .set(rate);
            }
        }
        for c in &r.cancellations {
            if let Some(rate) = c.rate {
                self.cancellation
                    .get_or_create(&channel(&c.counts.channel_id))
                    .set(rate);
            }
        }
        for p in &r.partners {
            let l = location(&p.counts.location_id);
            for (family, rate) in [
                (&self.partner_acceptance, p.acceptance_rate),
                (&self.partner_rejection, p.rejection_rate),
                (&self.partner_fill, p.fill_rate),
            ] {
                if let Some(rate) = rate {
                    family.get_or_create(&l).set(rate);
                }
            }
        }
        let spreads = r
            .shipment_to_tracking
            .iter()
            .filter(|t| t.spread.count > 0)
            .map(|t| (&self.shipment_to_tracking, &t.channel_id, &t.spread))
            .chain(
                r.push_lag
                    .iter()
                    .map(|p| (&self.push_lag, &p.channel_id, &p.spread)),
            );
        for (family, channel, spread) in spreads {
            for (q, ms) in [("0.5", spread.p50_ms), ("0.9", spread.p90_ms)] {
                family
                    .get_or_create(&ChannelQuantile {
                        channel: channel.clone(),
                        quantile: q.into(),
                    })
                    .set(secs(ms));
            }
        }
    }
}
