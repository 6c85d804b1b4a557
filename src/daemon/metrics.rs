//! The daemon's metrics, exposed at `/metrics` in the OpenMetrics text format through
//! `prometheus-client`. Every name is `switchyard_<what>_<unit>`; counters end in `_total`
//! (the crate adds it). Workers update the typed families below; levels read from the store
//! (queue depths, counts) and the connectors' API statistics are refreshed at each scrape by
//! [`Metrics::refresh`] before the registry is encoded.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// Upper bounds (seconds) of the sale-to-channel histogram: the promise is in seconds.
const LATENCY_BUCKETS_SECS: [f64; 12] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ByChannel {
    pub channel: String,
}

impl ByChannel {
    pub fn new(channel: &str) -> Self {
        ByChannel {
            channel: channel.to_string(),
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ByLocation {
    pub location: String,
}

impl ByLocation {
    pub fn new(location: &str) -> Self {
        ByLocation {
            location: location.to_string(),
        }
    }
}

macro_rules! channel_and {
    ($(#[$doc:meta])* $name:ident, $field:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
        pub struct $name {
            pub channel: String,
            pub $field: String,
        }

        impl $name {
            pub fn new(channel: &str, $field: &str) -> Self {
                $name {
                    channel: channel.to_string(),
                    $field: $field.to_string(),
                }
            }
        }
    };
}

channel_and!(
    /// A channel and what became of an inbox item (changed, unchanged, stale, quarantined).
    ChannelOutcome,
    outcome
);
channel_and!(
    /// A channel and why a webhook was refused (signature, unreadable).
    ChannelReason,
    reason
);
channel_and!(
    /// A channel and a kind of write-back or submission.
    ChannelKind,
    kind
);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ByCheck {
    pub check: String,
}

/// The stock audit's checks (`core::stock::audit`), one `stock_audit_violations` series each.
pub const AUDIT_CHECKS: [&str; 4] = [
    "on_hand_not_ledger",
    "reserved_not_ledger",
    "reserved_not_open_orders",
    "listed_above_available",
];

/// A kind of exception (`core::exceptions::ExceptionKind`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ByKind {
    pub kind: String,
}

type Counters<L> = Family<L, Counter>;
type Gauges<L> = Family<L, Gauge>;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS_SECS)
}

/// Every metric the daemon exports. Field names are the metric names without the
/// `switchyard_` prefix and the `_total` suffix of counters.
pub struct Metrics {
    registry: Registry,
    // Intake.
    pub webhooks_accepted: Counters<ByChannel>,
    pub webhooks_duplicate: Counters<ByChannel>,
    pub webhooks_rejected: Counters<ChannelReason>,
    pub poll_orders: Counters<ByChannel>,
    pub poll_errors: Counters<ByChannel>,
    pub inbox_applied: Counters<ChannelOutcome>,
    // Routing.
    pub orders_routed: Counters<ByChannel>,
    pub orders_rerouted: Counters<ByChannel>,
    pub orders_held: Counters<ByChannel>,
    // Partners.
    pub partner_overdue: Counters<ByLocation>,
    pub partner_events_applied: Counters<ByLocation>,
    pub partner_event_failures: Counters<ByLocation>,
    pub partner_inventory_reads: Counters<ByLocation>,
    pub partner_inventory_read_failures: Counters<ByLocation>,
    // Write-backs.
    pub outbox_delivered: Counters<ChannelKind>,
    pub outbox_failures: Counters<ChannelKind>,
    // Stock.
    pub stock_push_calls: Counters<ByChannel>,
    pub stock_levels_pushed: Counters<ByChannel>,
    pub stock_push_errors: Counters<ByChannel>,
    pub stock_compare_and_set_conflicts: Counters<ByChannel>,
    pub stock_drift: Counters<ByChannel>,
    pub stock_push_latency: Family<ByChannel, Histogram>,
    pub stock_audits: Counter,
    pub stock_audit_violations: Gauges<ByCheck>,
    pub stock_oversell_exposure: Gauges<ByChannel>,
    /// Orders not shipped with less than `late_margin_secs` left before their ship-by.
    pub orders_at_risk: Gauge,
    /// Exceptions open (not acknowledged, not resolved), per kind; every kind from the start.
    pub exceptions_open: Gauges<ByKind>,
    // Refreshed at each scrape.
    pub inbox_pending: Gauge,
    pub quarantined: Gauge,
    pub stock_dirty: Gauge,
    pub outbox_pending: Gauge,
    pub dead_letters: Gauge,
    pub partner_events_failed: Gauge,
    pub stock_queue_depth: Gauges<ByChannel>,
    pub stock_oldest_pending: Gauges<ByChannel>,
    pub api_calls: Counters<ByChannel>,
    pub api_throttled: Counters<ByChannel>,
    pub store_writable: Gauge,
    /// Work leases (`core`, `channel:…`, `partner:…`) this replica holds.
    pub leases_held: Gauge,
    /// Leases this replica took over from a replica that had stopped renewing them.
    pub lease_takeovers: Counter,
    /// The fulfilment KPIs over the last 24 hours (`kpi_metrics.rs`).
    pub kpi: super::kpi_metrics::KpiGauges,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// What a scrape reads from the store and the connectors (see [`Metrics::refresh`]).
#[derive(Debug, Default)]
pub struct Scrape {
    pub counts: Option<switchyard_core::store::Counts>,
    /// Per channel: SKUs waiting to be pushed and the age of the oldest, in milliseconds.
    pub depths: Vec<(String, i64, Option<i64>)>,
    /// Per channel: API calls made and calls throttled, since the start.
    pub api: Vec<(String, u64, u64)>,
    pub writable: bool,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("switchyard");
        macro_rules! reg {
            ($name:literal, $help:literal, $metric:expr) => {{
                let m = $metric;
                registry.register($name, $help, m.clone());
                m
            }};
            ($name:literal, $help:literal, $unit:expr, $metric:expr) => {{
                let m = $metric;
                registry.register_with_unit($name, $help, $unit, m.clone());
                m
            }};
        }
        Metrics {
            webhooks_accepted: reg!(
                "webhooks_accepted",
                "Webhook deliveries committed to the inbox",
                Counters::default()
            ),
            webhooks_duplicate: reg!(
                "webhooks_duplicate",
                "Webhook deliveries already in the inbox (redeliveries)",
                Counters::default()
            ),
            webhooks_rejected: reg!(
                "webhooks_rejected",
                "Webhook deliveries refused (bad signature, unreadable body)",
                Counters::default()
            ),
            poll_orders: reg!("poll_orders", "Orders read by polling", Counters::default()),
            poll_errors: reg!("poll_errors", "Failed polls", Counters::default()),
            inbox_applied: reg!(
                "inbox_applied",
                "Inbox items normalized, by outcome",
                Counters::default()
            ),
            orders_routed: reg!("orders_routed", "Orders routed", Counters::default()),
            orders_rerouted: reg!(
                "orders_rerouted",
                "Orders re-routed after a partner refused lines",
                Counters::default()
            ),
            orders_held: reg!(
                "orders_held",
                "Orders held for a person",
                Counters::default()
            ),
            partner_overdue: reg!(
                "partner_overdue",
                "Submissions a partner did not answer in time",
                Counters::default()
            ),
            partner_events_applied: reg!(
                "partner_events_applied",
                "Partner events (acknowledgements, shipments, refusals) applied",
                Counters::default()
            ),
            partner_event_failures: reg!(
                "partner_event_failures",
                "Partner events that failed to apply",
                Counters::default()
            ),
            partner_inventory_reads: reg!(
                "partner_inventory_reads",
                "Partner inventory reads",
                Counters::default()
            ),
            partner_inventory_read_failures: reg!(
                "partner_inventory_read_failures",
                "Failed partner inventory reads",
                Counters::default()
            ),
            outbox_delivered: reg!(
                "outbox_delivered",
                "Write-backs and submissions delivered",
                Counters::default()
            ),
            outbox_failures: reg!(
                "outbox_failures",
                "Write-back and submission attempts that failed",
                Counters::default()
            ),
            stock_push_calls: reg!(
                "stock_push_calls",
                "Stock push API calls",
                Counters::default()
            ),
            stock_levels_pushed: reg!(
                "stock_levels_pushed",
                "Stock levels a channel accepted",
                Counters::default()
            ),
            stock_push_errors: reg!(
                "stock_push_errors",
                "Stock push calls that failed",
                Counters::default()
            ),
            stock_compare_and_set_conflicts: reg!(
                "stock_compare_and_set_conflicts",
                "Stock writes refused because the channel's level had changed",
                Counters::default()
            ),
            stock_drift: reg!(
                "stock_drift",
                "Listings found at a level other than the one pushed",
                Counters::default()
            ),
            stock_push_latency: reg!(
                "stock_push_latency",
                "From a stock change to the channel accepting the new level",
                Unit::Seconds,
                Family::<ByChannel, Histogram>::new_with_constructor(
                    latency_histogram as fn() -> Histogram
                )
            ),
            stock_audits: reg!("stock_audits", "Stock audit rounds", Counter::default()),
            stock_audit_violations: reg!(
                "stock_audit_violations",
                "Violations found by the last stock audit, per check",
                Gauges::default()
            ),
            stock_oversell_exposure: reg!(
                "stock_oversell_exposure",
                "Units a channel shows beyond what can be sold (last audit)",
                Unit::Other("units".into()),
                Gauges::default()
            ),
            orders_at_risk: reg!(
                "orders_at_risk",
                "Orders not shipped with less than late_margin_secs left before their ship-by",
                Gauge::default()
            ),
            exceptions_open: reg!(
                "exceptions_open",
                "Exceptions open for a person (not acknowledged or resolved), per kind",
                Gauges::default()
            ),
            inbox_pending: reg!(
                "inbox_pending",
                "Inbox items not yet normalized",
                Gauge::default()
            ),
            quarantined: reg!(
                "quarantined",
                "Payloads quarantined for a person",
                Gauge::default()
            ),
            stock_dirty: reg!(
                "stock_dirty",
                "Listings waiting for a stock push",
                Gauge::default()
            ),
            outbox_pending: reg!(
                "outbox_pending",
                "Write-backs and submissions waiting",
                Gauge::default()
            ),
            dead_letters: reg!("dead_letters", "Write-backs that gave up", Gauge::default()),
            partner_events_failed: reg!(
                "partner_events_failed",
                "Partner events parked as failed",
                Gauge::default()
            ),
            stock_queue_depth: reg!(
                "stock_queue_depth",
                "SKUs due for a push, per channel",
                Gauges::default()
            ),
            stock_oldest_pending: reg!(
                "stock_oldest_pending",
                "Age of the oldest pending stock change, per channel",
                Unit::Seconds,
                Gauges::default()
            ),
            api_calls: reg!(
                "api_calls",
                "Calls made to a channel's API",
                Counters::default()
            ),
            api_throttled: reg!(
                "api_throttled",
                "Calls a channel answered with a throttle",
                Counters::default()
            ),
            store_writable: reg!(
                "store_writable",
                "1 while the store accepts writes, 0 while it refuses them",
                Gauge::default()
            ),
            leases_held: reg!(
                "leases_held",
                "Work leases (core, channel:ID, partner:ID) this replica holds",
                Gauge::default()
            ),
            lease_takeovers: reg!(
                "lease_takeovers",
                "Leases taken over from a replica that stopped renewing them",
                Counter::default()
            ),
            kpi: super::kpi_metrics::KpiGauges::register(&mut registry),
            registry,
        }
    }

    /// A registry with every per-channel and per-location series present at zero from the
    /// start, so `rate()`, `increase()` and alert rules see them before the first event.
    /// Sets every kind's open count (kinds missing from `counts` to 0).
    pub fn set_exceptions_open(
        &self,
        counts: &[(switchyard_core::exceptions::ExceptionKind, i64)],
    ) {
        for kind in switchyard_core::exceptions::ExceptionKind::ALL {
            let n = counts
                .iter()
                .find(|(k, _)| *k == kind)
                .map_or(0, |(_, n)| *n);
            self.exceptions_open
                .get_or_create(&ByKind {
                    kind: kind.as_str().to_string(),
                })
                .set(n);
        }
    }

    pub fn for_config(config: &switchyard_core::config::Config) -> Self {
        let m = Metrics::new();
        m.set_exceptions_open(&[]);
        for c in &config.channels {
            let ch = ByChannel::new(&c.id);
            for family in [
                &m.webhooks_accepted,
                &m.webhooks_duplicate,
                &m.poll_orders,
                &m.poll_errors,
                &m.orders_routed,
                &m.orders_rerouted,
                &m.orders_held,
                &m.stock_push_calls,
                &m.stock_levels_pushed,
                &m.stock_push_errors,
                &m.stock_compare_and_set_conflicts,
                &m.stock_drift,
                &m.api_calls,
                &m.api_throttled,
            ] {
                let _ = family.get_or_create(&ch);
            }
            let _ = m.stock_push_latency.get_or_create(&ch);
            let _ = m.stock_oversell_exposure.get_or_create(&ch);
            let _ = m.stock_queue_depth.get_or_create(&ch);
            let _ = m.stock_oldest_pending.get_or_create(&ch);
            for reason in ["signature", "unreadable"] {
                let _ = m
                    .webhooks_rejected
                    .get_or_create(&ChannelReason::new(&c.id, reason));
            }
            for outcome in ["changed", "unchanged", "stale", "quarantined"] {
                let _ = m
                    .inbox_applied
                    .get_or_create(&ChannelOutcome::new(&c.id, outcome));
            }
            let kind = ChannelKind::new(&c.id, "write_back_shipment");
            let _ = m.outbox_delivered.get_or_create(&kind);
            let _ = m.outbox_failures.get_or_create(&kind);
        }
        for l in &config.locations {
            let loc = ByLocation::new(&l.id);
            for family in [
                &m.partner_overdue,
                &m.partner_events_applied,
                &m.partner_event_failures,
                &m.partner_inventory_reads,
                &m.partner_inventory_read_failures,
            ] {
                let _ = family.get_or_create(&loc);
            }
        }
        for check in AUDIT_CHECKS {
            let _ = m.stock_audit_violations.get_or_create(&ByCheck {
                check: check.to_string(),
            });
        }
        m
    }

    /// Records one sale-to-channel latency, in milliseconds.
    pub fn observe_push_latency_ms(&self, channel: &ByChannel, ms: i64) {
        self.stock_push_latency
            .get_or_create(channel)
            .observe(ms.max(0) as f64 / 1000.0);
    }

    /// Sets the levels read at scrape time.
    pub fn refresh(&self, scrape: &Scrape) {
        if let Some(c) = &scrape.counts {
            self.inbox_pending.set(c.inbox_pending);
            self.quarantined.set(c.quarantined);
            self.stock_dirty.set(c.stock_dirty);
            self.outbox_pending.set(c.outbox_pending);
            self.dead_letters.set(c.dead_letters);
            self.partner_events_failed.set(c.partner_events_failed);
        }
        for (channel, pending, oldest_ms) in &scrape.depths {
            let label = ByChannel::new(channel);
            self.stock_queue_depth.get_or_create(&label).set(*pending);
            self.stock_oldest_pending
                .get_or_create(&label)
                .set(oldest_ms.unwrap_or(0) / 1000);
        }
        for (channel, calls, throttled) in &scrape.api {
            let label = ByChannel::new(channel);
            let c = self.api_calls.get_or_create(&label);
            c.inc_by(calls.saturating_sub(c.get()));
            let t = self.api_throttled.get_or_create(&label);
            t.inc_by(throttled.saturating_sub(t.get()));
        }
        self.store_writable.set(i64::from(scrape.writable));
    }

    /// The registry in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_kind_with_its_prefix_unit_and_suffix() {
        let m = Metrics::new();
        m.orders_routed
            .get_or_create(&ByChannel::new("a"))
            .inc_by(2);
        m.stock_queue_depth
            .get_or_create(&ByChannel::new("a"))
            .set(5);
        m.observe_push_latency_ms(&ByChannel::new("a"), 120);
        m.webhooks_rejected
            .get_or_create(&ChannelReason::new("a", "signature"))
            .inc();
        m.refresh(&Scrape {
            api: vec![("a".into(), 7, 1)],
            writable: true,
            ..Scrape::default()
        });
        m.refresh(&Scrape {
            api: vec![("a".into(), 9, 1)],
            writable: true,
            ..Scrape::default()
        });
        let text = m.render();
        assert!(
            text.contains("# TYPE switchyard_orders_routed counter"),
            "{text}"
        );
        assert!(
            text.contains("switchyard_orders_routed_total{channel=\"a\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("switchyard_stock_queue_depth{channel=\"a\"} 5"),
            "{text}"
        );
        assert!(
            text.contains(
                "switchyard_stock_push_latency_seconds_bucket{le=\"0.1\",channel=\"a\"} 0"
            ) || text.contains(
                "switchyard_stock_push_latency_seconds_bucket{channel=\"a\",le=\"0.1\"} 0"
            ),
            "{text}"
        );
        assert!(
            text.contains("switchyard_stock_push_latency_seconds_count{channel=\"a\"} 1"),
            "{text}"
        );
        assert!(
            text.contains(
                "switchyard_webhooks_rejected_total{channel=\"a\",reason=\"signature\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("switchyard_api_calls_total{channel=\"a\"} 9"),
            "{text}"
        );
        assert!(text.contains("switchyard_store_writable 1"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
