//! Fresh, isolated stores for tests, on either engine, so one test suite runs on both.
//!
//! SQLite: a new file in a temporary directory. PostgreSQL: a new schema (unique name) in the
//! database at `SWITCHYARD_TEST_POSTGRES_URL`, reached through `search_path` and dropped when
//! the [`TestStore`] is dropped; tests run in parallel without seeing each other. Without the
//! variable a PostgreSQL test fails, saying how to set it: it never passes silently.

use std::ops::Deref;
use std::str::FromStr;
use std::sync::Arc;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use switchyard_core::store::{
    ExceptionStore, KpiStore, LeaseStore, OperatorStore, SqliteStore, Store,
};
use switchyard_store_postgres::PgStore;

use crate::Engine;

/// Where the PostgreSQL variants of the store tests find their server.
pub const POSTGRES_URL_VAR: &str = "SWITCHYARD_TEST_POSTGRES_URL";

/// The server URL for PostgreSQL tests; panics with how to set it when it is missing.
pub fn postgres_url() -> String {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "{POSTGRES_URL_VAR} is not set: the PostgreSQL variant of this test needs a server. \
             Run `ci/test.sh` (it starts one), or start PostgreSQL yourself and \
             `export {POSTGRES_URL_VAR}=postgres://postgres@127.0.0.1:5432/test`"
        ),
    }
}

/// A store of its own for one test; derefs to [`Store`]. Dropping it removes its data.
pub struct TestStore {
    store: Arc<dyn Store>,
    exceptions: Arc<dyn ExceptionStore>,
    /// The same engine's KPI queries.
    kpis: Arc<dyn KpiStore>,
    /// The same engine's leases.
    leases: Arc<dyn LeaseStore>,
    place: Place,
}

enum Place {
    Sqlite {
        url: String,
        _dir: tempfile::TempDir,
    },
    Postgres {
        server: String,
        schema: String,
    },
}

impl TestStore {
    /// A new, empty, migrated store on `engine`.
    pub async fn new(engine: Engine) -> TestStore {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = format!("sqlite://{}", dir.path().join("t.db").display());
                let store = Arc::new(
                    SqliteStore::open(&url)
                        .await
                        .expect("open the SQLite store"),
                );
                TestStore {
                    store: store.clone(),
                    exceptions: store.clone(),
                    kpis: store.clone(),
                    leases: store,
                    place: Place::Sqlite { url, _dir: dir },
                }
            }
            Engine::Postgres => {
                let server = postgres_url();
                let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
                let mut admin = PgConnection::connect(&server).await.unwrap_or_else(|e| {
                    panic!("cannot connect to {POSTGRES_URL_VAR}={server}: {e}")
                });
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                    .execute(&mut admin)
                    .await
                    .expect("create the test schema");
                let _ = admin.close().await;
                let place = Place::Postgres { server, schema };
                let store = place.open_pg().await;
                TestStore {
                    store: store.clone(),
                    exceptions: store.clone(),
                    kpis: store.clone(),
                    leases: store,
                    place,
                }
            }
        }
    }

    /// The same store opened again, as a restarted process would.
    pub async fn reopen(&self) -> Arc<dyn Store> {
        self.place.open().await
    }

    /// The same store's operator side (`OperatorStore`), as the application layer opens it
    /// (a second pool on the same database).
    pub async fn operator(&self) -> Arc<dyn OperatorStore> {
        self.place.open_operator().await
    }

    /// The store as the daemon holds it.
    pub fn shared(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// The same store's KPI queries.
    pub fn kpis(&self) -> &dyn KpiStore {
        &*self.kpis
    }

    /// The same engine's leases.
    pub fn leases(&self) -> &dyn LeaseStore {
        &*self.leases
    }

    /// The same engine's exceptions and alert queue.
    pub fn exceptions(&self) -> Arc<dyn ExceptionStore> {
        self.exceptions.clone()
    }

    /// Runs one statement against the store's tables behind its back, as a bug or a hand
    /// edit would: for tests that show a check finds what no store method would write.
    pub async fn tamper(&self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match &self.place {
            Place::Sqlite { url, .. } => {
                let mut conn = sqlx::SqliteConnection::connect(url)
                    .await
                    .expect("open the SQLite file");
                sqlx::query(sql)
                    .execute(&mut conn)
                    .await
                    .expect("the tampering statement");
                let _ = conn.close().await;
            }
            Place::Postgres { server, schema } => {
                let options = PgConnectOptions::from_str(server)
                    .expect("a PostgreSQL URL")
                    .options([("search_path", schema.as_str())])
                    .application_name(schema);
                let mut conn = PgConnection::connect_with(&options)
                    .await
                    .expect("connect to the test schema");
                sqlx::query(sql)
                    .execute(&mut conn)
                    .await
                    .expect("the tampering statement");
                let _ = conn.close().await;
            }
        }
    }
}

impl Place {
    async fn open_operator(&self) -> Arc<dyn OperatorStore> {
        match self {
            Place::Sqlite { url, .. } => {
                Arc::new(SqliteStore::open(url).await.expect("open the SQLite store"))
            }
            Place::Postgres { server, schema } => {
                let options = PgConnectOptions::from_str(server)
                    .expect("a PostgreSQL URL")
                    .options([("search_path", schema.as_str())])
                    .application_name(schema);
                Arc::new(
                    PgStore::open_with(options)
                        .await
                        .expect("open the PostgreSQL store"),
                )
            }
        }
    }

    async fn open(&self) -> Arc<dyn Store> {
        match self {
            Place::Sqlite { url, .. } => {
                Arc::new(SqliteStore::open(url).await.expect("open the SQLite store"))
            }
            Place::Postgres { .. } => self.open_pg().await,
        }
    }

    async fn open_pg(&self) -> Arc<PgStore> {
        let Place::Postgres { server, schema } = self else {
            panic!("open_pg on a SQLite test store");
        };
        let options = PgConnectOptions::from_str(server)
            .expect("a PostgreSQL URL")
            .options([("search_path", schema.as_str())])
            // Names its connections, so dropping the schema can end them first.
            .application_name(schema);
        Arc::new(
            PgStore::open_with(options)
                .await
                .expect("open the PostgreSQL store"),
        )
    }
}

impl Deref for TestStore {
    type Target = dyn Store;

    fn deref(&self) -> &Self::Target {
        &*self.store
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        let Place::Postgres { server, schema } = &self.place else {
            return;
        };
        let (server, schema) = (server.clone(), schema.clone());
        // Drop may run inside the test's runtime, which must not block on itself: the schema
        // is dropped from a thread of its own.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                let mut admin = PgConnection::connect(&server)
                    .await
                    .map_err(|e| e.to_string())?;
                // A connection of the test's pool may still hold a transaction whose rollback
                // waits for the runtime this drop blocks; end those connections first.
                sqlx::query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                     WHERE application_name = $1 AND pid <> pg_backend_pid()",
                )
                .bind(&schema)
                .execute(&mut admin)
                .await
                .map_err(|e| e.to_string())?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS {schema} CASCADE"
                )))
                .execute(&mut admin)
                .await
                .map_err(|e| e.to_string())?;
                admin.close().await.map_err(|e| e.to_string())
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop test schema: {e}");
        }
    }
}

/// A PostgreSQL database of its own on the test server, for another process (the daemon) to
/// open by URL; dropped, its connections ended, with this value.
pub struct TestDatabase {
    /// `postgres://…/<name>`: the server's URL with this database in its path.
    pub url: String,
    server: String,
    name: String,
}

impl TestDatabase {
    pub async fn new() -> TestDatabase {
        let server = postgres_url();
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&server)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {POSTGRES_URL_VAR}={server}: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        let _ = admin.close().await;
        let (base, query) = match server.split_once('?') {
            Some((base, query)) => (base, format!("?{query}")),
            None => (server.as_str(), String::new()),
        };
        let authority_end = base
            .find("://")
            .map(|i| i + 3)
            .and_then(|start| base[start..].find('/').map(|j| start + j))
            .unwrap_or(base.len());
        let url = format!("{}/{name}{query}", &base[..authority_end]);
        TestDatabase { url, server, name }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                let mut admin = PgConnection::connect(&server)
                    .await
                    .map_err(|e| e.to_string())?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await
                .map_err(|e| e.to_string())?;
                admin.close().await.map_err(|e| e.to_string())
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop test database: {e}");
        }
    }
}

/// Instantiates each named `async fn NAME(engine: Engine)` as a test per engine:
/// `sqlite::NAME` and `postgres::NAME`.
#[macro_export]
macro_rules! store_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::Engine::Sqlite).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::Engine::Postgres).await
                }
            )+
        }
    };
}
