//! [`ConnectorState`] on PostgreSQL: one row per (scope, key), counters bumped in one
//! statement (an upsert returning the new value, atomic under concurrent callers).

use async_trait::async_trait;

use super::PgStore;
use switchyard_core::connector_state::{ConnectorState, StateError};
use switchyard_core::store::now_ms;

fn state_error(scope: &str, key: &str, e: impl std::fmt::Display) -> StateError {
    StateError {
        scope: scope.to_string(),
        key: key.to_string(),
        message: e.to_string(),
    }
}

#[async_trait]
impl ConnectorState for PgStore {
    async fn get(&self, scope: &str, key: &str) -> Result<Option<String>, StateError> {
        sqlx::query_scalar("SELECT value FROM connector_state WHERE scope = $1 AND key = $2")
            .bind(scope)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| state_error(scope, key, e))
    }

    async fn put(&self, scope: &str, key: &str, value: &str) -> Result<(), StateError> {
        let mut tx = self.write().await.map_err(|e| state_error(scope, key, e))?;
        sqlx::query(
            "INSERT INTO connector_state (scope, key, value, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (scope, key) DO UPDATE SET value = $3, updated_at = $4",
        )
        .bind(scope)
        .bind(key)
        .bind(value)
        .bind(now_ms())
        .execute(&mut *tx)
        .await
        .map_err(|e| state_error(scope, key, e))?;
        tx.commit().await.map_err(|e| state_error(scope, key, e))
    }

    async fn next_number(
        &self,
        scope: &str,
        name: &str,
        start: i64,
        floor: i64,
    ) -> Result<i64, StateError> {
        let mut tx = self
            .write()
            .await
            .map_err(|e| state_error(scope, name, e))?;
        let next: i64 = sqlx::query_scalar(
            "INSERT INTO connector_counters (scope, name, value, updated_at)
             VALUES ($1, $2, GREATEST($3, $4), $5)
             ON CONFLICT (scope, name) DO UPDATE SET value = GREATEST(connector_counters.value + 1, $4), updated_at = $5
             RETURNING value",
        )
        .bind(scope)
        .bind(name)
        .bind(start)
        .bind(floor)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| state_error(scope, name, e))?;
        tx.commit().await.map_err(|e| state_error(scope, name, e))?;
        Ok(next)
    }
}
