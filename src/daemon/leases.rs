//! Lease supervision: the workers of a channel, of a partner, and the store-wide ones run only
//! while this replica holds their lease (`switchyard_core::leases`), so several replicas on one
//! PostgreSQL database never poll, push, submit or write back the same thing twice.
//!
//! One task per replica renews what it holds every third of the lease's time to live, takes
//! free leases up to its fair share (`plan_round`) and hands one back per round while it holds
//! more, so work spreads as replicas come and go. Losing a lease (another replica took it after
//! this one missed its renewals, or the store could not confirm it in time) stops that group's
//! workers at once; they end as on shutdown, and a step cut off mid-transaction rolls back. A
//! stop (SIGTERM) releases every lease so the others need not wait for them to expire.
//!
//! The server, the inbox writer and the store probe run on every replica: webhooks need no
//! lease. On SQLite there is one replica and it takes every lease at start.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use switchyard_core::leases::{self as rules, Ask, Decision};
use switchyard_core::store::LeaseStore;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::App;

/// Starts one group's workers, each stopping when the receiver turns true.
pub type Spawner = Box<dyn Fn(&mut JoinSet<()>, watch::Receiver<bool>) + Send + Sync>;

/// Work that one replica at a time does, under lease `name`.
pub struct Group {
    pub name: String,
    pub spawn: Spawner,
}

/// This replica and what it holds, for `/readyz` and the metrics.
pub struct Replica {
    pub id: String,
    pub ttl: Duration,
    held: Mutex<BTreeSet<String>>,
}

impl Replica {
    pub fn new(id: String, ttl: Duration) -> Self {
        Self {
            id,
            ttl,
            held: Mutex::new(BTreeSet::new()),
        }
    }

    /// The work leases this replica holds now.
    pub fn held(&self) -> Vec<String> {
        self.held
            .lock()
            .map(|h| h.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn set_held(&self, names: impl IntoIterator<Item = String>) {
        if let Ok(mut h) = self.held.lock() {
            *h = names.into_iter().collect();
        }
    }
}

/// The default replica id: the host's name, stable across restarts (a restarted process takes
/// its leases back at once), or `switchyard` when the host has none.
pub fn default_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "switchyard".to_string())
}

/// A group whose workers are running under a held lease.
struct Running {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
    /// Local instant until which the lease is surely ours: the start of the last granted ask
    /// plus the time to live (the store's expiry is at least that late).
    valid_until: Instant,
}

impl Running {
    /// Stops the workers and waits for them (at most `grace`, then aborts what is left: a step
    /// aborted mid-transaction rolls back, as after a crash).
    async fn stop(mut self, grace: Duration) {
        let _ = self.stop.send(true);
        let drained = tokio::time::timeout(grace, async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            self.tasks.abort_all();
            while self.tasks.join_next().await.is_some() {}
        }
    }
}

pub async fn run(
    app: Arc<App>,
    leases: Arc<dyn LeaseStore>,
    groups: Vec<Group>,
    mut stopped: watch::Receiver<bool>,
) {
    let replica = app.replica.clone();
    let ttl = replica.ttl;
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    let period = ttl / 3;
    // An ask unanswered after half a round is no answer: with one failed renewal tolerated and
    // the second stopping the work, a group always stops before its lease could expire.
    let limit = period / 2;
    let shared = leases.shared();
    // What a group gets to wind down in before its lease may be someone else's.
    let grace = period / 2;
    let names: Vec<String> = groups.iter().map(|g| g.name.clone()).collect();
    let groups: BTreeMap<String, Group> = groups.into_iter().map(|g| (g.name.clone(), g)).collect();
    let me = replica.id.clone();
    let alive = rules::replica(&me);
    let mut running: BTreeMap<String, Running> = BTreeMap::new();
    tracing::info!(replica = %me, ttl_secs = ttl.as_secs(), leases = names.len(), "taking leases");
    loop {
        if *stopped.borrow() {
            break;
        }
        let round = Instant::now();
        // Alive, so the others count this replica when they share the work.
        if let Err(e) = ask(&*leases, &alive, &me, Ask::Acquire, ttl_ms, limit).await {
            super::faults::repeated!(app.repeats, warn, format!("lease alive\0{e}"), error = %e, "could not renew this replica's liveness lease");
        }
        // Renew what is held, all at once so one slow answer does not delay the others.
        let renewals = futures::future::join_all(running.keys().map(|name| {
            let leases = leases.clone();
            let (name, me) = (name.clone(), me.clone());
            async move {
                let started = Instant::now();
                let d = ask(&*leases, &name, &me, Ask::Renew, ttl_ms, limit).await;
                (name, started, d)
            }
        }))
        .await;
        for (name, started, decision) in renewals {
            match decision {
                Ok(Decision::Granted { .. }) => {
                    if let Some(r) = running.get_mut(&name) {
                        r.valid_until = started + ttl;
                    }
                }
                Ok(_) => {
                    tracing::warn!(lease = %name, "lease lost to another replica: stopping its work");
                    if let Some(r) = running.remove(&name) {
                        r.stop(grace).await;
                    }
                }
                Err(e) => {
                    super::faults::repeated!(app.repeats, warn, format!("lease renew\0{name}\0{e}"), lease = %name, error = %e, "could not renew a lease");
                }
            }
        }
        // A lease the store could not confirm in time may soon be someone else's (on a shared
        // store; a SQLite file has nobody else).
        let now = Instant::now();
        let doubtful: Vec<String> = running
            .iter()
            .filter(|(_, r)| shared && r.valid_until.saturating_duration_since(now) < period)
            .map(|(n, _)| n.clone())
            .collect();
        for name in doubtful {
            tracing::warn!(lease = %name, "lease not confirmed in time: stopping its work");
            if let Some(r) = running.remove(&name) {
                r.stop(grace).await;
            }
        }
        // Share the work with the replicas alive now.
        match leases.leases().await {
            Ok(view) => {
                let held: Vec<String> = running.keys().cloned().collect();
                // Free: nobody holds it, or the store still says this replica does (its work
                // was stopped while a renewal went unconfirmed; asking again renews it).
                let mine = view.held_by(&me);
                let free: Vec<String> = names
                    .iter()
                    .filter(|n| !view.is_held(n) || mine.contains(n))
                    .cloned()
                    .collect();
                let live = view.live_replicas().len().max(1);
                let plan = rules::plan_round(&names, &held, &free, live);
                if let Some(name) = plan.release
                    && let Some(r) = running.remove(&name)
                {
                    tracing::info!(lease = %name, live, "handing a lease back to share the work");
                    r.stop(grace).await;
                    if let Err(e) = ask(&*leases, &name, &me, Ask::Release, ttl_ms, limit).await {
                        tracing::warn!(lease = %name, error = %e, "could not release a lease; it expires instead");
                    }
                }
                for name in plan.acquire {
                    let started = Instant::now();
                    match ask(&*leases, &name, &me, Ask::Acquire, ttl_ms, limit).await {
                        Ok(Decision::Granted {
                            taken_over_from, ..
                        }) => {
                            if let Some(from) = &taken_over_from {
                                app.metrics.lease_takeovers.inc();
                                tracing::warn!(lease = %name, from = %from, "took over a lease its holder stopped renewing");
                            } else {
                                tracing::info!(lease = %name, "lease taken");
                            }
                            if let Some(group) = groups.get(&name) {
                                let (stop, stop_rx) = watch::channel(false);
                                let mut tasks = JoinSet::new();
                                (group.spawn)(&mut tasks, stop_rx);
                                running.insert(
                                    name.clone(),
                                    Running {
                                        stop,
                                        tasks,
                                        valid_until: started + ttl,
                                    },
                                );
                            }
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::debug!(lease = %name, error = %e, "lease not taken");
                        }
                    }
                }
            }
            Err(e) => {
                super::faults::repeated!(app.repeats, warn, format!("leases read\0{e}"), error = %e, "could not read the lease table");
            }
        }
        replica.set_held(running.keys().cloned());
        app.metrics.leases_held.set(running.len() as i64);
        let wait = period.saturating_sub(round.elapsed());
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            changed = stopped.changed() => if changed.is_err() { break },
        }
    }
    // Shutdown: stop every group, then hand the leases back so another replica starts at once.
    let held: Vec<String> = running.keys().cloned().collect();
    for (_, r) in std::mem::take(&mut running) {
        r.stop(grace).await;
    }
    for name in held.iter().chain(std::iter::once(&alive)) {
        if let Err(e) = ask(&*leases, name, &me, Ask::Release, ttl_ms, limit).await {
            tracing::warn!(lease = %name, error = %e, "could not release a lease at shutdown; it expires instead");
        }
    }
    replica.set_held(Vec::new());
    app.metrics.leases_held.set(0);
    tracing::info!(replica = %me, released = held.len(), "leases released");
}

/// One ask, bounded in time: an answer later than `limit` is no answer.
async fn ask(
    leases: &dyn LeaseStore,
    name: &str,
    holder: &str,
    ask: Ask,
    ttl_ms: i64,
    limit: Duration,
) -> anyhow::Result<Decision> {
    match tokio::time::timeout(limit, leases.lease(name, holder, ask, ttl_ms)).await {
        Ok(d) => Ok(d?),
        Err(_) => anyhow::bail!("the store did not answer within {limit:?}"),
    }
}
