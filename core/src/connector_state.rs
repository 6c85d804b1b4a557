//! State a connector must keep across restarts and share between replicas: Etsy's rotated
//! refresh token (the old one stops working the moment Etsy hands out the next), EDI control
//! numbers (a partner checks them for duplicates), cursors. The store implements it durably;
//! [`MemoryState`] serves tests and one-shot commands that talk to no database.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

/// Why state could not be read or written.
#[derive(Debug, Clone, thiserror::Error)]
#[error("connector state {scope}/{key}: {message}")]
pub struct StateError {
    pub scope: String,
    pub key: String,
    pub message: String,
}

/// Durable key-value state and counters, scoped per channel account or partner location.
#[async_trait]
pub trait ConnectorState: Send + Sync {
    async fn get(&self, scope: &str, key: &str) -> Result<Option<String>, StateError>;
    /// Writes `value`, committed when this returns.
    async fn put(&self, scope: &str, key: &str, value: &str) -> Result<(), StateError>;
    /// The next number of a counter: `start` the first time, then one more than the last, but
    /// never below `floor`. Two callers never get the same number.
    async fn next_number(
        &self,
        scope: &str,
        name: &str,
        start: i64,
        floor: i64,
    ) -> Result<i64, StateError>;
}

/// State in memory only: lost with the process. For tests and commands without a store.
#[derive(Debug, Default)]
pub struct MemoryState {
    values: Mutex<HashMap<(String, String), String>>,
}

impl MemoryState {
    pub fn new() -> Self {
        Self::default()
    }

    fn poisoned(scope: &str, key: &str) -> StateError {
        StateError {
            scope: scope.to_string(),
            key: key.to_string(),
            message: "lock poisoned".into(),
        }
    }
}

#[async_trait]
impl ConnectorState for MemoryState {
    async fn get(&self, scope: &str, key: &str) -> Result<Option<String>, StateError> {
        let values = self.values.lock().map_err(|_| Self::poisoned(scope, key))?;
        Ok(values.get(&(scope.to_string(), key.to_string())).cloned())
    }

    async fn put(&self, scope: &str, key: &str, value: &str) -> Result<(), StateError> {
        let mut values = self.values.lock().map_err(|_| Self::poisoned(scope, key))?;
        values.insert((scope.to_string(), key.to_string()), value.to_string());
        Ok(())
    }

    async fn next_number(
        &self,
        scope: &str,
        name: &str,
        start: i64,
        floor: i64,
    ) -> Result<i64, StateError> {
        let mut values = self
            .values
            .lock()
            .map_err(|_| Self::poisoned(scope, name))?;
        let slot = (scope.to_string(), format!("#{name}"));
        let next = match values.get(&slot).and_then(|v| v.parse::<i64>().ok()) {
            Some(last) => last.saturating_add(1).max(floor),
            None => start.max(floor),
        };
        values.insert(slot, next.to_string());
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counters_start_count_up_and_respect_the_floor() {
        let s = MemoryState::new();
        assert_eq!(s.next_number("edi", "control", 100, 0).await.unwrap(), 100);
        assert_eq!(s.next_number("edi", "control", 100, 0).await.unwrap(), 101);
        assert_eq!(
            s.next_number("edi", "control", 100, 500).await.unwrap(),
            500
        );
        assert_eq!(s.next_number("other", "control", 7, 0).await.unwrap(), 7);
        assert_eq!(
            s.get("edi", "control").await.unwrap(),
            None,
            "counters are apart"
        );
        s.put("etsy", "refresh_token", "rt-2").await.unwrap();
        assert_eq!(
            s.get("etsy", "refresh_token").await.unwrap().as_deref(),
            Some("rt-2")
        );
    }
}
