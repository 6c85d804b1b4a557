//! Staying up through faults: a worker whose step fails backs off instead of spinning, an
//! error that repeats is logged once per interval with a count, and the daemon knows whether
//! its store takes writes (`/readyz`, and webhooks answered 503 at once while it does not).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use switchyard_core::store::StoreError;
use tokio::sync::{Notify, watch};

use super::App;

/// Capped exponential backoff (with jitter) for a worker loop: the wait grows with each failure
/// in a row and starts again from the first after a success.
pub(crate) struct Backoff {
    builder: ExponentialBuilder,
    current: Option<ExponentialBackoff>,
}

impl Backoff {
    pub(crate) fn new(first: Duration, max: Duration) -> Self {
        Self {
            builder: ExponentialBuilder::default()
                .with_min_delay(first)
                .with_max_delay(max)
                .with_jitter()
                .without_max_times(),
            current: None,
        }
    }

    /// A pipeline worker's: 200 ms doubling to 10 s, so a store that comes back is used
    /// again within seconds and one that stays down costs a few queries a minute.
    pub(crate) fn worker() -> Self {
        Self::new(Duration::from_millis(200), Duration::from_secs(10))
    }

    /// The wait after one more failure.
    pub(crate) fn next_wait(&mut self) -> Duration {
        let builder = self.builder;
        self.current
            .get_or_insert_with(|| builder.build())
            .next()
            .unwrap_or(Duration::from_secs(10))
    }

    pub(crate) fn reset(&mut self) {
        self.current = None;
    }

    /// Sleeps the next wait; false when the daemon stops meanwhile.
    pub(crate) async fn wait(&mut self, stopped: &mut watch::Receiver<bool>) -> bool {
        let wait = self.next_wait();
        if *stopped.borrow() {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => !*stopped.borrow(),
            _ = stopped.changed() => !*stopped.borrow(),
        }
    }
}

/// Logs an error once per interval however often it repeats: [`Repeats::admit`] says whether
/// this occurrence is logged and how many identical ones were held back since the last line.
pub struct Repeats {
    interval: Duration,
    seen: Mutex<HashMap<String, Seen>>,
}

struct Seen {
    logged_at: Instant,
    held_back: u64,
}

/// Distinct messages remembered at once; past it, those outside their interval are forgotten.
const MAX_KEYS: usize = 1024;

impl Repeats {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(n)`: log this one, `n` identical occurrences were not logged before it.
    /// `None`: the same `key` was logged less than an interval ago; counted for the next line.
    pub fn admit(&self, key: &str) -> Option<u64> {
        let now = Instant::now();
        let Ok(mut seen) = self.seen.lock() else {
            return Some(0);
        };
        if let Some(s) = seen.get_mut(key) {
            if now.duration_since(s.logged_at) < self.interval {
                s.held_back += 1;
                return None;
            }
            let n = s.held_back;
            s.logged_at = now;
            s.held_back = 0;
            return Some(n);
        }
        if seen.len() >= MAX_KEYS {
            let interval = self.interval;
            seen.retain(|_, s| now.duration_since(s.logged_at) < interval);
            if seen.len() >= MAX_KEYS {
                seen.clear();
            }
        }
        seen.insert(
            key.to_string(),
            Seen {
                logged_at: now,
                held_back: 0,
            },
        );
        Some(0)
    }
}

/// `tracing` at `$level` through a [`Repeats`]: `repeated!(gate, error, key, fields…, "msg")`.
/// The line carries `repeated = n`, the identical occurrences held back before it.
macro_rules! repeated {
    ($gate:expr, $level:ident, $key:expr, $($rest:tt)+) => {
        if let Some(repeated) = $gate.admit(&$key) {
            tracing::$level!(repeated, $($rest)+);
        }
    };
}
pub(crate) use repeated;

/// Whether the store takes writes. A failed call whose error says the store is unavailable
/// marks it down; a successful webhook commit or a write probe marks it up again.
pub struct StoreHealth {
    state: Mutex<Down>,
    /// Wakes the prober when the store goes down.
    went_down: Notify,
    /// A store that flaps (a small probe fits, a large write does not) logs its changes once
    /// per interval too.
    repeats: Repeats,
}

#[derive(Default)]
struct Down {
    since: Option<Instant>,
    failures: u64,
    last_error: String,
}

/// What `/readyz` reports about the store.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoreStatus {
    pub writable: bool,
    /// How long writes have been failing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failing_for_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

impl StoreHealth {
    pub fn new(log_interval: Duration) -> Self {
        Self {
            state: Mutex::new(Down::default()),
            went_down: Notify::new(),
            repeats: Repeats::new(log_interval),
        }
    }

    pub fn writable(&self) -> bool {
        self.state.lock().map_or(true, |s| s.since.is_none())
    }

    pub fn status(&self) -> StoreStatus {
        match self.state.lock() {
            Ok(s) => StoreStatus {
                writable: s.since.is_none(),
                failing_for_ms: s.since.map(|t| t.elapsed().as_millis() as u64),
                last_error: s.since.map(|_| s.last_error.clone()),
            },
            Err(_) => StoreStatus {
                writable: true,
                failing_for_ms: None,
                last_error: None,
            },
        }
    }

    /// Records a failed store call; true when it means the store cannot be used now.
    pub fn failed(&self, e: &StoreError) -> bool {
        if !e.is_unavailable() {
            return false;
        }
        let Ok(mut s) = self.state.lock() else {
            return true;
        };
        s.failures += 1;
        s.last_error = e.to_string();
        if s.since.is_none() {
            s.since = Some(Instant::now());
            repeated!(self.repeats, error, "down", error = %e, "the store cannot write; webhooks are answered 503 and /readyz is 503 until a write succeeds again");
            self.went_down.notify_one();
        }
        true
    }

    /// A write committed: the store is up.
    pub fn wrote(&self) {
        let Ok(mut s) = self.state.lock() else {
            return;
        };
        if let Some(since) = s.since.take() {
            repeated!(
                self.repeats,
                warn,
                "up",
                down_ms = since.elapsed().as_millis() as u64,
                failures = s.failures,
                "the store writes again"
            );
            s.failures = 0;
            s.last_error.clear();
        }
    }
}

/// While the store is down, probes it with a small real write every `every`, so the daemon
/// learns it can write again even when no webhook arrives to try.
pub async fn probe(app: std::sync::Arc<App>, every: Duration, mut stopped: watch::Receiver<bool>) {
    loop {
        if app.health.writable() {
            tokio::select! {
                _ = app.health.went_down.notified() => {}
                _ = stopped.changed() => {}
            }
        } else {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stopped.changed() => {}
            }
            if *stopped.borrow() {
                return;
            }
            match app.store.probe_write().await {
                Ok(()) => {
                    app.health.wrote();
                    // Whatever waited for the store can go on now.
                    app.wake.normalize.notify_one();
                    app.wake.route.notify_one();
                    app.wake.outbox.notify_one();
                    app.wake.fulfil.notify_one();
                    app.wake.push.wake_all();
                    app.wake.fetch.wake_all();
                }
                Err(e) => {
                    if !app.health.failed(&e) {
                        repeated!(app.repeats, warn, format!("probe\0{e}"), error = %e, "store write probe failed");
                    }
                }
            }
        }
        if *stopped.borrow() {
            return;
        }
    }
}

impl App {
    /// A store call failed: marks the store down if that is why, and logs `what` failed once
    /// per interval for identical errors.
    pub(crate) fn store_failed(&self, what: &str, e: &StoreError) {
        self.health.failed(e);
        repeated!(self.repeats, error, format!("{what}\0{e}"), error = %e, "{what} failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_error_is_logged_once_per_interval_with_its_count() {
        let gate = Repeats::new(Duration::from_millis(200));
        assert_eq!(gate.admit("disk full"), Some(0));
        for _ in 0..1000 {
            assert_eq!(gate.admit("disk full"), None);
        }
        // A different message is its own line.
        assert_eq!(gate.admit("locked"), Some(0));
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(gate.admit("disk full"), Some(1000));
        assert_eq!(gate.admit("disk full"), None);
    }

    #[test]
    fn the_gate_forgets_old_messages_instead_of_growing() {
        let gate = Repeats::new(Duration::from_millis(1));
        for i in 0..(MAX_KEYS * 3) {
            assert_eq!(gate.admit(&format!("error {i}")), Some(0));
        }
        let held = gate.seen.lock().map(|s| s.len()).unwrap_or(usize::MAX);
        assert!(held <= MAX_KEYS, "{held} keys held");
    }

    #[tokio::test]
    async fn only_an_unavailable_store_is_marked_down_and_a_write_brings_it_back() {
        let health = StoreHealth::new(Duration::from_secs(10));
        assert!(health.writable());
        assert!(!health.failed(&StoreError::Conflict("two orders match".into())));
        assert!(
            health.writable(),
            "a bad request says nothing about the store"
        );
        // A database that cannot be opened (SQLITE_CANTOPEN) is a store that cannot write.
        let cannot_open = switchyard_core::store::SqliteStore::open(
            "sqlite:///nonexistent-directory-for-this-test/switchyard.db",
        )
        .await
        .err()
        .expect("opening under a missing directory fails");
        assert!(health.failed(&cannot_open), "{cannot_open}");
        assert!(!health.writable());
        let status = health.status();
        assert!(!status.writable && status.last_error.is_some());
        health.wrote();
        assert!(health.writable());
        assert!(health.status().last_error.is_none());
    }

    #[test]
    fn backoff_grows_to_its_cap_and_starts_over_after_a_success() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let waits: Vec<Duration> = (0..10).map(|_| b.next_wait()).collect();
        assert!(waits[0] >= Duration::from_millis(100) && waits[0] <= Duration::from_millis(200));
        assert!(waits[4] >= Duration::from_millis(1600), "{waits:?}");
        // Jitter adds at most the delay itself on top of the cap.
        assert!(
            waits.iter().all(|w| *w <= Duration::from_secs(4)),
            "{waits:?}"
        );
        b.reset();
        assert!(b.next_wait() <= Duration::from_millis(200));
    }
}
