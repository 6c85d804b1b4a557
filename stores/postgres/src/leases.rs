//! [`LeaseStore`] on PostgreSQL: the shared SQL of `switchyard_core::store::leases`, the row
//! locked with `FOR UPDATE` and the time read from the server's clock. A lease transaction
//! does not take the pipeline's write lock, so renewals never queue behind a busy writer.

use async_trait::async_trait;

use crate::PgStore;
use switchyard_core::leases::{Ask, Decision, decide};
use switchyard_core::store::leases::{LeaseTuple, lease_of, sql, to_write};
use switchyard_core::store::{LeaseStore, LeaseView, Result};

/// The server's clock in Unix ms (`clock_timestamp`, not the transaction's start).
const NOW: &str = "SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";

#[async_trait]
impl LeaseStore for PgStore {
    async fn lease(&self, name: &str, holder: &str, ask: Ask, ttl_ms: i64) -> Result<Decision> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(sql::ENSURE)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        let row: LeaseTuple = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM leases WHERE name = $1 FOR UPDATE",
            sql::COLUMNS
        )))
        .bind(name)
        .fetch_one(&mut *tx)
        .await?;
        let now: i64 = sqlx::query_scalar(NOW).fetch_one(&mut *tx).await?;
        let current = lease_of(row);
        let decision = decide(name, Some(&current), holder, ask, now, ttl_ms);
        if let Some(l) = to_write(&decision) {
            sqlx::query(sql::WRITE)
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

    async fn leases(&self) -> Result<LeaseView> {
        let mut conn = self.pool.acquire().await?;
        let now_ms: i64 = sqlx::query_scalar(NOW).fetch_one(&mut *conn).await?;
        let rows: Vec<LeaseTuple> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM leases ORDER BY name",
            sql::COLUMNS
        )))
        .fetch_all(&mut *conn)
        .await?;
        Ok(LeaseView {
            now_ms,
            leases: rows.into_iter().map(lease_of).collect(),
        })
    }
}
