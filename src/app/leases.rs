//! Which replica works what: the lease table (`switchyard_core::leases`), for `switchyard
//! leases` and anyone checking a deployment of several replicas.

use std::sync::Arc;

use switchyard_core::store::{LeaseStore, LeaseView};

use super::{AppError, AppResult, Operations};

impl Operations {
    /// Uses the engine's lease table.
    pub fn with_leases(mut self, leases: Arc<dyn LeaseStore>) -> Self {
        self.leases = Some(leases);
        self
    }

    /// Every lease with its holder and expiry, on the store's clock.
    pub async fn leases(&self) -> AppResult<LeaseView> {
        let leases = self
            .leases
            .as_ref()
            .ok_or_else(|| AppError::Failed("the lease table is not open here".into()))?;
        Ok(leases.leases().await?)
    }
}
