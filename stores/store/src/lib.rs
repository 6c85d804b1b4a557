//! One way to open the store: [`open`] reads the URL's scheme and returns the engine it names,
//! so the daemon, every CLI command, the demo and the benchmark accept `sqlite://…` and
//! `postgres://…` alike.
//!
//! `core` keeps its SQLite store and knows nothing of PostgreSQL; this crate depends on both.

use std::sync::Arc;

use switchyard_core::store::{
    ExceptionStore, KpiStore, LeaseStore, OperatorStore, Result, SqliteStore, Store, StoreError,
};
pub use switchyard_store_postgres::PgStore;

pub mod migrate;

#[cfg(feature = "testing")]
pub mod testing;

/// The engine a store URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    #[default]
    Sqlite,
    Postgres,
}

impl Engine {
    /// `sqlite:` URLs (and bare paths, read as SQLite files) or `postgres://`/`postgresql://`.
    pub fn of(url: &str) -> Result<Engine> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Engine::Postgres)
        } else if url.starts_with("sqlite:") || !url.contains("://") {
            Ok(Engine::Sqlite)
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }
}

/// The `sqlite:` URL for `url`: a bare path becomes `sqlite://PATH`.
fn sqlite_url(url: &str) -> String {
    if url.starts_with("sqlite:") {
        url.to_string()
    } else {
        format!("sqlite://{url}")
    }
}

/// Opens (creating and migrating as needed) the store at `url`.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    Ok(match Engine::of(url)? {
        Engine::Sqlite => Arc::new(SqliteStore::open(&sqlite_url(url)).await?),
        Engine::Postgres => Arc::new(PgStore::open(url).await?),
    })
}

/// Like [`open`], with the same engine also as the operator queries and the action log (one
/// pool for both): what the application layer (CLI and admin API) works on.
pub async fn open_with_operator(url: &str) -> Result<(Arc<dyn Store>, Arc<dyn OperatorStore>)> {
    Ok(match Engine::of(url)? {
        Engine::Sqlite => {
            let s = Arc::new(SqliteStore::open(&sqlite_url(url)).await?);
            (s.clone(), s)
        }
        Engine::Postgres => {
            let s = Arc::new(PgStore::open(url).await?);
            (s.clone(), s)
        }
    })
}

/// One engine seen through each of its traits (one pool): the pipeline's [`Store`], the
/// operator queries, the exceptions with their alert queue and the KPI queries.
#[derive(Clone)]
pub struct Stores {
    pub store: Arc<dyn Store>,
    pub operator: Arc<dyn OperatorStore>,
    pub exceptions: Arc<dyn ExceptionStore>,
    pub kpis: Arc<dyn KpiStore>,
    /// Which replica works what (`switchyard_core::leases`).
    pub leases: Arc<dyn LeaseStore>,
}

/// Like [`open_with_operator`], with the exceptions and the KPI queries too: what the daemon,
/// the CLI, the admin API and the console use.
pub async fn open_all(url: &str) -> Result<Stores> {
    Ok(match Engine::of(url)? {
        Engine::Sqlite => {
            let s = Arc::new(SqliteStore::open(&sqlite_url(url)).await?);
            Stores {
                store: s.clone(),
                operator: s.clone(),
                exceptions: s.clone(),
                kpis: s.clone(),
                leases: s,
            }
        }
        Engine::Postgres => {
            let s = Arc::new(PgStore::open(url).await?);
            Stores {
                store: s.clone(),
                operator: s.clone(),
                exceptions: s.clone(),
                kpis: s.clone(),
                leases: s,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_names_the_engine() {
        assert_eq!(Engine::of("sqlite://a.db").unwrap(), Engine::Sqlite);
        assert_eq!(Engine::of("sqlite::memory:").unwrap(), Engine::Sqlite);
        assert_eq!(Engine::of("data/switchyard.db").unwrap(), Engine::Sqlite);
        assert_eq!(Engine::of("postgres://u@h/db").unwrap(), Engine::Postgres);
        assert_eq!(Engine::of("postgresql://u@h/db").unwrap(), Engine::Postgres);
        assert!(Engine::of("mysql://u@h/db").is_err());
        assert_eq!(sqlite_url("data/s.db"), "sqlite://data/s.db");
    }
}
