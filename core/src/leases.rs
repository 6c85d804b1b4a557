//! Leases: which replica works what, when several run on one PostgreSQL database (issue 10).
//!
//! A lease names a group of work only one replica may do at a time: `channel:<id>` (its
//! poller, thin fetches, listing discovery, stock pushes, drift checks, returns), `partner:<id>`
//! (a fulfilment partner's poller and inventory reads) and `core` (normalizing, routing, the
//! outbox, partner submissions and the other store-wide workers). Each replica also holds
//! `replica:<id>`, which only says it is alive, so the others know how many share the work.
//!
//! A holder renews its leases well inside their time to live; one that stops renewing (killed,
//! cut off from the database) loses them when they expire, and another replica takes them
//! over. Webhooks need no lease: any replica accepts one and commits it to the inbox.
//!
//! The decisions here are pure: a store engine loads the current row under a row lock, asks
//! [`decide`], and writes what it returns, in one transaction. Time is the store's clock.

use serde::Serialize;

/// The lease of the store-wide workers.
pub const CORE: &str = "core";

/// The lease of channel `id`'s workers.
pub fn channel(id: &str) -> String {
    format!("channel:{id}")
}

/// The lease of fulfilment partner (location) `id`'s workers.
pub fn partner(id: &str) -> String {
    format!("partner:{id}")
}

/// The lease that says replica `id` is alive.
pub fn replica(id: &str) -> String {
    format!("{REPLICA_PREFIX}{id}")
}

/// Prefix of the liveness leases.
pub const REPLICA_PREFIX: &str = "replica:";

/// One lease as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lease {
    pub name: String,
    /// The replica holding it; `None` once released.
    pub holder: Option<String>,
    /// Unix ms (store clock) the current holder took it.
    pub acquired_at_ms: i64,
    /// Unix ms (store clock) it was last renewed.
    pub renewed_at_ms: i64,
    /// Unix ms (store clock) after which anyone may take it.
    pub expires_at_ms: i64,
    /// Goes up by one each time the lease changes hands: a fencing token.
    pub generation: i64,
    /// Times it was taken from a holder that had stopped renewing it.
    pub takeovers: i64,
}

impl Lease {
    /// Whether `holder` holds it at `now`.
    pub fn held_by(&self, holder: &str, now_ms: i64) -> bool {
        self.holder.as_deref() == Some(holder) && now_ms < self.expires_at_ms
    }

    /// Whether anyone holds it at `now`.
    pub fn is_held(&self, now_ms: i64) -> bool {
        self.holder.is_some() && now_ms < self.expires_at_ms
    }
}

/// What a replica asks of one lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// Take it if it is free or expired; renew it if already ours.
    Acquire,
    /// Renew it only if it is still ours (never take it from anyone).
    Renew,
    /// Give it up at once so another replica need not wait for it to expire.
    Release,
}

/// What [`decide`] found, and the row to write when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Ours until `lease.expires_at_ms`: write `lease`.
    Granted {
        lease: Lease,
        /// The holder whose expired lease this took over, if any.
        taken_over_from: Option<String>,
    },
    /// Someone else holds it; nothing to write.
    HeldByOther { holder: String, expires_at_ms: i64 },
    /// A renewal of a lease no longer ours (it expired and may have been taken): stop its
    /// work. Nothing to write.
    Lost,
    /// Released: write `lease` (no holder, expired now).
    Released { lease: Lease },
    /// Nothing to release; nothing to write.
    NotHeld,
}

/// Decides `ask` by `holder` on `name`, whose stored row is `current`, at `now_ms`.
pub fn decide(
    name: &str,
    current: Option<&Lease>,
    holder: &str,
    ask: Ask,
    now_ms: i64,
    ttl_ms: i64,
) -> Decision {
    let ttl_ms = ttl_ms.max(1);
    let ours = current.filter(|l| l.held_by(holder, now_ms));
    match (ask, ours) {
        (Ask::Release, _) => match current {
            Some(l) if l.holder.as_deref() == Some(holder) => Decision::Released {
                lease: Lease {
                    holder: None,
                    expires_at_ms: now_ms.min(l.expires_at_ms),
                    ..l.clone()
                },
            },
            _ => Decision::NotHeld,
        },
        (Ask::Renew | Ask::Acquire, Some(l)) => Decision::Granted {
            lease: Lease {
                renewed_at_ms: now_ms,
                expires_at_ms: now_ms.saturating_add(ttl_ms).max(l.expires_at_ms),
                ..l.clone()
            },
            taken_over_from: None,
        },
        (Ask::Renew, None) => Decision::Lost,
        (Ask::Acquire, None) => match current {
            Some(l) if l.is_held(now_ms) => Decision::HeldByOther {
                holder: l.holder.clone().unwrap_or_default(),
                expires_at_ms: l.expires_at_ms,
            },
            _ => {
                // Free: never held, released, or expired. Taking over an expired holder's
                // lease is what a replica's death looks like; it is counted.
                let taken_over_from = current
                    .and_then(|l| l.holder.clone())
                    .filter(|h| h != holder);
                Decision::Granted {
                    lease: Lease {
                        name: name.to_string(),
                        holder: Some(holder.to_string()),
                        acquired_at_ms: now_ms,
                        renewed_at_ms: now_ms,
                        expires_at_ms: now_ms.saturating_add(ttl_ms),
                        generation: current.map_or(1, |l| l.generation.saturating_add(1)),
                        takeovers: current.map_or(0, |l| l.takeovers)
                            + i64::from(taken_over_from.is_some()),
                    },
                    taken_over_from,
                }
            }
        },
    }
}

/// How many work leases each of `live` replicas should hold out of `total`: the rounded-up
/// share, so every lease has a taker.
pub fn fair_share(total: usize, live: usize) -> usize {
    total.div_ceil(live.max(1))
}

/// What one replica does with its work leases in one round.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Round {
    /// Free leases to try to take.
    pub acquire: Vec<String>,
    /// One lease to hand back because this replica holds more than its share.
    pub release: Option<String>,
}

/// Plans a round for a replica holding `held` out of `names` while `live` replicas are alive.
/// `free` are the names nobody holds now. It takes free leases up to its fair share and, when
/// above it, hands back one lease (the last by name, so the `core` lease moves last), so work
/// spreads over the replicas without flapping: one move per round at most.
pub fn plan_round(names: &[String], held: &[String], free: &[String], live: usize) -> Round {
    let share = fair_share(names.len(), live);
    let mut round = Round::default();
    if held.len() > share {
        round.release = held
            .iter()
            .filter(|n| n.as_str() != CORE)
            .max()
            .or_else(|| held.iter().max())
            .cloned();
        return round;
    }
    round.acquire = free
        .iter()
        .filter(|n| names.contains(n) && !held.contains(n))
        .take(share - held.len())
        .cloned()
        .collect();
    round
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TTL: i64 = 10_000;

    fn granted(d: Decision) -> Lease {
        match d {
            Decision::Granted { lease, .. } => lease,
            other => panic!("not granted: {other:?}"),
        }
    }

    #[test]
    fn a_free_lease_is_granted_and_renewed_by_its_holder_only() {
        let a = granted(decide("core", None, "a", Ask::Acquire, 1_000, TTL));
        assert_eq!(a.holder.as_deref(), Some("a"));
        assert_eq!((a.expires_at_ms, a.generation, a.takeovers), (11_000, 1, 0));
        assert_eq!(
            decide("core", Some(&a), "b", Ask::Acquire, 5_000, TTL),
            Decision::HeldByOther {
                holder: "a".into(),
                expires_at_ms: 11_000
            }
        );
        let renewed = granted(decide("core", Some(&a), "a", Ask::Renew, 5_000, TTL));
        assert_eq!((renewed.expires_at_ms, renewed.generation), (15_000, 1));
        assert_eq!(renewed.acquired_at_ms, 1_000);
    }

    #[test]
    fn an_expired_lease_is_taken_over_and_its_old_holder_learns_it_lost_it() {
        let a = granted(decide("channel:shop", None, "a", Ask::Acquire, 0, TTL));
        match decide("channel:shop", Some(&a), "b", Ask::Acquire, TTL, TTL) {
            Decision::Granted {
                lease,
                taken_over_from,
            } => {
                assert_eq!(taken_over_from.as_deref(), Some("a"));
                assert_eq!((lease.generation, lease.takeovers), (2, 1));
                assert_eq!(
                    decide("channel:shop", Some(&lease), "a", Ask::Renew, TTL + 1, TTL),
                    Decision::Lost
                );
            }
            other => panic!("{other:?}"),
        }
        // Late but not taken: a renewal of an expired lease is refused all the same, so the
        // old holder stops its work before it can race a new one.
        assert_eq!(
            decide("channel:shop", Some(&a), "a", Ask::Renew, TTL + 5, TTL),
            Decision::Lost
        );
    }

    #[test]
    fn a_released_lease_is_free_at_once_and_not_counted_as_a_takeover() {
        let a = granted(decide("partner:acme", None, "a", Ask::Acquire, 0, TTL));
        let Decision::Released { lease } =
            decide("partner:acme", Some(&a), "a", Ask::Release, 100, TTL)
        else {
            panic!("not released")
        };
        assert_eq!((lease.holder.clone(), lease.expires_at_ms), (None, 100));
        let b = decide("partner:acme", Some(&lease), "b", Ask::Acquire, 101, TTL);
        assert!(matches!(
            b,
            Decision::Granted {
                taken_over_from: None,
                ..
            }
        ));
        assert_eq!(granted(b).takeovers, 0);
        assert_eq!(
            decide("partner:acme", Some(&a), "b", Ask::Release, 100, TTL),
            Decision::NotHeld
        );
    }

    #[test]
    fn rounds_spread_work_and_move_the_core_lease_last() {
        let names: Vec<String> = ["channel:a", "channel:b", "core", "partner:x"]
            .map(String::from)
            .to_vec();
        let round = plan_round(&names, &[], &names, 1);
        assert_eq!(round.acquire.len(), 4);
        let round = plan_round(&names, &names, &[], 2);
        assert_eq!(round.release.as_deref(), Some("partner:x"));
        let held = vec!["core".to_string(), "channel:a".to_string()];
        assert_eq!(plan_round(&names, &held, &[], 2), Round::default());
        let held = vec!["core".to_string()];
        let round = plan_round(&names, &held, &names[..2], 2);
        assert_eq!(round.acquire, vec!["channel:a".to_string()]);
    }

    proptest! {
        /// Whatever replicas ask in whatever order, at no instant do two hold one lease, and
        /// a lease's generation never goes down.
        #[test]
        fn never_two_holders(steps in prop::collection::vec((0usize..3, 0u8..3, 0i64..4_000), 1..200)) {
            let mut row: Option<Lease> = None;
            let mut now = 0;
            for (who, ask, dt) in steps {
                now += dt;
                let holder = ["a", "b", "c"][who];
                let ask = [Ask::Acquire, Ask::Renew, Ask::Release][usize::from(ask)];
                let before = row.clone();
                match decide("core", row.as_ref(), holder, ask, now, 3_000) {
                    Decision::Granted { lease, .. } => {
                        if let Some(b) = &before
                            && b.is_held(now)
                        {
                            prop_assert_eq!(b.holder.as_deref(), Some(holder));
                        }
                        prop_assert!(lease.held_by(holder, now));
                        prop_assert!(lease.generation >= before.as_ref().map_or(1, |b| b.generation));
                        row = Some(lease);
                    }
                    Decision::Released { lease } => {
                        prop_assert!(!lease.is_held(now));
                        row = Some(lease);
                    }
                    Decision::HeldByOther { holder: other, .. } => {
                        prop_assert_ne!(other.as_str(), holder);
                    }
                    Decision::Lost | Decision::NotHeld => {}
                }
            }
        }

        /// Every replica planning with the same view ends with every lease held and none above
        /// its share.
        #[test]
        fn shares_cover_every_lease(total in 1usize..20, live in 1usize..6) {
            let names: Vec<String> = (0..total).map(|i| format!("channel:{i:02}")).collect();
            let mut held: Vec<Vec<String>> = vec![Vec::new(); live];
            for _ in 0..total + live {
                for r in 0..live {
                    let taken: Vec<String> = held.iter().flatten().cloned().collect();
                    let free: Vec<String> =
                        names.iter().filter(|n| !taken.contains(n)).cloned().collect();
                    let round = plan_round(&names, &held[r], &free, live);
                    held[r].extend(round.acquire);
                }
            }
            let count: usize = held.iter().map(Vec::len).sum();
            prop_assert_eq!(count, total);
            for h in &held {
                prop_assert!(h.len() <= fair_share(total, live));
            }
        }
    }
}
