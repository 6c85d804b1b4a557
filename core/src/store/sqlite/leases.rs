//! [`LeaseStore`] on SQLite: the shared SQL of `store/leases.rs`. One process writes a SQLite
//! file at a time, so its leases are always free to take; the table is here so the daemon
//! runs the same way on both engines and `switchyard migrate` has them to copy.

use async_trait::async_trait;

use super::SqliteStore;
use crate::leases::{Ask, Decision, decide};
use crate::store::leases::{LeaseTuple, lease_of, sql, to_write};
use crate::store::{LeaseStore, LeaseView, Result, now_ms};

fn q(text: &str) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(text.replace('$', "?"))
}

#[async_trait]
impl LeaseStore for SqliteStore {
    async fn lease(&self, name: &str, holder: &str, ask: Ask, ttl_ms: i64) -> Result<Decision> {
        let mut tx = self.write().await?;
        sqlx::query(q(sql::ENSURE))
            .bind(name)
            .execute(&mut *tx)
            .await?;
        let row: LeaseTuple = sqlx::query_as(q(&format!(
            "SELECT {} FROM leases WHERE name = $1",
            sql::COLUMNS
        )))
        .bind(name)
        .fetch_one(&mut *tx)
        .await?;
        let current = lease_of(row);
        let decision = decide(name, Some(&current), holder, ask, now_ms(), ttl_ms);
        if let Some(l) = to_write(&decision) {
            sqlx::query(q(sql::WRITE))
                .bind(&l.name)
                .bind(&l.holder)
                .bind(l.acquired_at_ms)
                .bind(l.renewed_at_ms)
                .bind(l.expires_at_ms)
                .bind(l.generation)
                .bind(l.takeovers)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(decision)
    }

    fn shared(&self) -> bool {
        false
    }

    async fn leases(&self) -> Result<LeaseView> {
        let rows: Vec<LeaseTuple> = sqlx::query_as(q(&format!(
            "SELECT {} FROM leases ORDER BY name",
            sql::COLUMNS
        )))
        .fetch_all(&self.pool)
        .await?;
        Ok(LeaseView {
            now_ms: now_ms(),
            leases: rows.into_iter().map(lease_of).collect(),
        })
    }
}
