//! [`LeaseStore`]: who holds which lease (`crate::leases`), in a table both engines share
//! (migration 0016). Every ask is one short transaction on the lease's own row (locked with
//! `FOR UPDATE` on PostgreSQL): it never waits for the pipeline's writers, so a busy store
//! cannot make a healthy replica miss its renewals. Time is the store's clock, so replicas
//! whose clocks disagree still agree on when a lease expires.

use async_trait::async_trait;
use serde::Serialize;

use super::Result;
use crate::leases::{Ask, Decision, Lease};

/// Every lease as the store sees it, with the store's clock.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LeaseView {
    /// Unix ms on the store's clock when these were read.
    pub now_ms: i64,
    pub leases: Vec<Lease>,
}

impl LeaseView {
    /// The names `holder` holds now.
    pub fn held_by(&self, holder: &str) -> Vec<String> {
        self.leases
            .iter()
            .filter(|l| l.held_by(holder, self.now_ms))
            .map(|l| l.name.clone())
            .collect()
    }

    /// The replicas alive now (those holding their `replica:` lease).
    pub fn live_replicas(&self) -> Vec<String> {
        self.leases
            .iter()
            .filter(|l| l.is_held(self.now_ms))
            .filter_map(|l| l.name.strip_prefix(crate::leases::REPLICA_PREFIX))
            .map(str::to_string)
            .collect()
    }

    /// Whether anyone holds `name` now.
    pub fn is_held(&self, name: &str) -> bool {
        self.leases
            .iter()
            .any(|l| l.name == name && l.is_held(self.now_ms))
    }
}

#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Decides `ask` by `holder` on lease `name` ([`crate::leases::decide`]) and writes the
    /// outcome, in one transaction; a lease never asked for before starts free.
    async fn lease(&self, name: &str, holder: &str, ask: Ask, ttl_ms: i64) -> Result<Decision>;
    /// Every lease, with the store's clock.
    async fn leases(&self) -> Result<LeaseView>;
    /// Whether several processes on several hosts may share this store (PostgreSQL). A
    /// replica on a store that is not shared (a SQLite file) keeps its work running when a
    /// renewal cannot be confirmed: nobody else can be waiting to take it, and the store's
    /// own fault handling already holds the workers while it cannot write.
    fn shared(&self) -> bool {
        true
    }
}

/// The SQL both engines run (`$N` placeholders; SQLite reads them as `?N`).
pub mod sql {
    /// Makes sure the lease's row exists (free) so it can be locked.
    pub const ENSURE: &str = "INSERT INTO leases \
        (name, holder, acquired_at_ms, renewed_at_ms, expires_at_ms, generation, takeovers) \
        VALUES ($1, NULL, 0, 0, 0, 0, 0) ON CONFLICT (name) DO NOTHING";
    pub const COLUMNS: &str =
        "name, holder, acquired_at_ms, renewed_at_ms, expires_at_ms, generation, takeovers";
    pub const WRITE: &str = "UPDATE leases SET holder = $2, acquired_at_ms = $3, \
        renewed_at_ms = $4, expires_at_ms = $5, generation = $6, takeovers = $7 WHERE name = $1";
}

/// A lease row as both engines read it.
pub type LeaseTuple = (String, Option<String>, i64, i64, i64, i64, i64);

/// The lease of a row read with [`sql::COLUMNS`].
pub fn lease_of(row: LeaseTuple) -> Lease {
    let (name, holder, acquired_at_ms, renewed_at_ms, expires_at_ms, generation, takeovers) = row;
    Lease {
        name,
        holder,
        acquired_at_ms,
        renewed_at_ms,
        expires_at_ms,
        generation,
        takeovers,
    }
}

/// The row to write for a decision, if any.
pub fn to_write(decision: &Decision) -> Option<&Lease> {
    match decision {
        Decision::Granted { lease, .. } | Decision::Released { lease } => Some(lease),
        Decision::HeldByOther { .. } | Decision::Lost | Decision::NotHeld => None,
    }
}
