//! Adapters to the partners that ship for the merchant (3PLs, dropship suppliers), one folder
//! per partner protocol, and the one place that maps a location's `adapter.kind` to its adapter.

pub mod csv_sftp;
pub mod edi_3pl;
pub mod edi_events;
mod edi_link;
pub mod edi_supplier;
pub mod email;
pub mod exchange;
pub mod http_json;
pub mod sftp;
pub mod shipbob;

use std::sync::Arc;

use switchyard_core::config::{AdapterKind, LocationConfig};
use switchyard_core::connector_state::ConnectorState;
use switchyard_core::fulfillment::FulfillmentTarget;

#[derive(Debug, thiserror::Error)]
#[error("location `{location}`: {message}")]
pub struct BuildError {
    pub location: String,
    pub message: String,
}

/// The adapter for a location, `None` for one without an `adapter:` block (the merchant's own
/// warehouse, packed from `switchyard picks list`).
/// Builds the adapter of a location, if it has one. `state` keeps what the adapter must not lose
/// across restarts (EDI control numbers; the daemon passes its store).
pub fn build(
    location: &LocationConfig,
    state: Arc<dyn ConnectorState>,
) -> Result<Option<Arc<dyn FulfillmentTarget>>, BuildError> {
    let Some(adapter) = &location.adapter else {
        return Ok(None);
    };
    let built: Result<Arc<dyn FulfillmentTarget>, String> = match adapter.kind {
        AdapterKind::Shipbob => {
            shipbob::ShipBobTarget::new(&location.id, adapter).map(|t| Arc::new(t) as _)
        }
        AdapterKind::Edi3pl => {
            edi_3pl::Edi3plTarget::new(&location.id, adapter, state).map(|t| Arc::new(t) as _)
        }
        AdapterKind::EdiSupplier => {
            edi_supplier::EdiSupplierTarget::new(&location.id, adapter, state)
                .map(|t| Arc::new(t) as _)
        }
        AdapterKind::CsvSftp => {
            csv_sftp::CsvSftpTarget::new(&location.id, adapter, state).map(|t| Arc::new(t) as _)
        }
        AdapterKind::Email => {
            email::EmailTarget::new(&location.id, adapter).map(|t| Arc::new(t) as _)
        }
        AdapterKind::HttpJson => {
            http_json::HttpJsonTarget::new(&location.id, adapter).map(|t| Arc::new(t) as _)
        }
    };
    built.map(Some).map_err(|message| BuildError {
        location: location.id.clone(),
        message,
    })
}
