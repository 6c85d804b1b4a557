//! Moving up: copies a SQLite store into an empty PostgreSQL one (`switchyard migrate`), so a
//! merchant who outgrows one machine keeps its orders, ledger, queues, cursors and history.
//!
//! - The source is opened read-only and must be at this build's schema version; it is never
//!   written.
//! - The target is migrated, then must hold nothing (else the copy is refused, naming what it
//!   found).
//! - Every table is copied inside one PostgreSQL transaction, parents before children (by the
//!   target's foreign keys), each column cast to the target's type; identity sequences are
//!   moved past the copied ids; every table's row count is compared before the commit. A crash
//!   midway therefore leaves the target as empty as it was, and a second run completes.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use futures::TryStreamExt;
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteRow};
use sqlx::{ConnectOptions, Connection, PgConnection, Row, SqliteConnection};

/// Why a copy did not happen or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("--from must be a SQLite store (sqlite://PATH or a path), not {0}")]
    SourceNotSqlite(String),
    #[error("--to must be a PostgreSQL store (postgres://…), not {0}")]
    TargetNotPostgres(String),
    #[error(
        "the source is at schema version {source_version} and this build's is {target_version}: \
         run this version of switchyard on the source once (any command opens and migrates it), \
         then copy again"
    )]
    SchemaVersion {
        source_version: i64,
        target_version: i64,
    },
    #[error("the target already holds data ({0}); copy only into an empty database")]
    TargetNotEmpty(String),
    #[error("table {table}, column {column}: type {pg_type} cannot be copied")]
    UnknownType {
        table: String,
        column: String,
        pg_type: String,
    },
    #[error("table {table}, column {column}: not a JSON array of strings in the source: {error}")]
    NotAnArray {
        table: String,
        column: String,
        error: String,
    },
    #[error("table {table} is in the source but not in the target (schemas differ)")]
    MissingTable { table: String },
    #[error("table {table}: {source_rows} rows in the source, {target_rows} copied")]
    CountMismatch {
        table: String,
        source_rows: i64,
        target_rows: i64,
    },
    #[error(transparent)]
    Store(#[from] switchyard_core::store::StoreError),
    #[error("{context}: {source}")]
    Sql {
        context: String,
        source: sqlx::Error,
    },
}

type Result<T> = std::result::Result<T, MigrateError>;

fn sql(context: impl Into<String>) -> impl FnOnce(sqlx::Error) -> MigrateError {
    let context = context.into();
    move |source| MigrateError::Sql { context, source }
}

/// Told as the copy goes, for a progress bar.
pub trait Progress {
    /// `table` starts; it has `rows` rows.
    fn table(&mut self, table: &str, rows: u64);
    /// `n` more rows of the current table were copied.
    fn rows(&mut self, n: u64);
    /// The current table is done.
    fn done(&mut self);
}

/// A [`Progress`] that says nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn table(&mut self, _: &str, _: u64) {}
    fn rows(&mut self, _: u64) {}
    fn done(&mut self) {}
}

/// What was copied: rows per table, in copy order.
#[derive(Debug, Clone, Default)]
pub struct Copied {
    pub tables: Vec<(String, u64)>,
}

impl Copied {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

/// A target column: name and PostgreSQL type (`udt_name`: int8, text, bool, bytea, json, …).
struct Column {
    name: String,
    pg_type: String,
}

/// Copies the SQLite store at `from` into the empty PostgreSQL store at `to`.
pub async fn sqlite_to_postgres(
    from: &str,
    to: &str,
    progress: &mut dyn Progress,
) -> Result<Copied> {
    if crate::Engine::of(from).ok() != Some(crate::Engine::Sqlite) {
        return Err(MigrateError::SourceNotSqlite(from.to_string()));
    }
    if crate::Engine::of(to).ok() != Some(crate::Engine::Postgres) {
        return Err(MigrateError::TargetNotPostgres(to.to_string()));
    }
    let source_url = crate::sqlite_url(from);
    let mut source = SqliteConnectOptions::from_str(&source_url)
        .map_err(sql(format!("reading {from}")))?
        .read_only(true)
        .create_if_missing(false)
        .connect()
        .await
        .map_err(sql(format!("opening {from} read-only")))?;

    // The target's schema is this build's: migrate it, then compare versions.
    crate::PgStore::open(to).await?.close().await;
    let options = PgConnectOptions::from_str(to).map_err(sql(format!("reading {to}")))?;
    let mut target = options
        .connect()
        .await
        .map_err(sql(format!("connecting to {to}")))?;
    let version = |rows: Option<i64>| rows.unwrap_or(0);
    let source_version = version(
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut source)
            .await
            .map_err(sql("reading the source's schema version"))?,
    );
    let target_version = version(
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut target)
            .await
            .map_err(sql("reading the target's schema version"))?,
    );
    if source_version != target_version {
        return Err(MigrateError::SchemaVersion {
            source_version,
            target_version,
        });
    }

    let tables = source_tables(&mut source).await?;
    let columns = target_columns(&mut target).await?;
    for t in &tables {
        if !columns.contains_key(t) {
            return Err(MigrateError::MissingTable { table: t.clone() });
        }
    }
    // Refuse a target holding anything, naming what.
    let mut found = Vec::new();
    for t in columns.keys() {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {}",
            ident(t)
        )))
        .fetch_one(&mut target)
        .await
        .map_err(sql(format!("counting {t} in the target")))?;
        if n > 0 {
            found.push(format!("{t}: {n} rows"));
        }
    }
    if !found.is_empty() {
        return Err(MigrateError::TargetNotEmpty(found.join(", ")));
    }

    let order = copy_order(&mut target, &tables).await?;
    let mut tx = target
        .begin()
        .await
        .map_err(sql("starting the copy's transaction"))?;
    let mut copied = Copied::default();
    for table in &order {
        let cols = &columns[table];
        let source_rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {}",
            ident(table)
        )))
        .fetch_one(&mut source)
        .await
        .map_err(sql(format!("counting {table} in the source")))?;
        progress.table(table, u64::try_from(source_rows).unwrap_or(0));
        let n = copy_table(&mut source, &mut tx, table, cols, progress).await?;
        let target_rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {}",
            ident(table)
        )))
        .fetch_one(&mut *tx)
        .await
        .map_err(sql(format!("counting {table} in the target")))?;
        if target_rows != source_rows {
            return Err(MigrateError::CountMismatch {
                table: table.clone(),
                source_rows,
                target_rows,
            });
        }
        // Identity columns continue after the copied ids.
        for c in cols {
            let seq: Option<String> = sqlx::query_scalar("SELECT pg_get_serial_sequence($1, $2)")
                .bind(table)
                .bind(&c.name)
                .fetch_one(&mut *tx)
                .await
                .map_err(sql(format!("finding {table}.{}'s sequence", c.name)))?;
            if let Some(seq) = seq {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT setval($1, COALESCE((SELECT MAX({c}) FROM {t}), 0) + 1, false)",
                    c = ident(&c.name),
                    t = ident(table)
                )))
                .bind(&seq)
                .execute(&mut *tx)
                .await
                .map_err(sql(format!("moving {seq} past the copied ids")))?;
            }
        }
        progress.done();
        copied.tables.push((table.clone(), n));
    }
    tx.commit().await.map_err(sql("committing the copy"))?;
    let _ = source.close().await;
    let _ = target.close().await;
    Ok(copied)
}

/// A quoted identifier (table and column names come from the schemas, never from input).
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn source_tables(source: &mut SqliteConnection) -> Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(source)
    .await
    .map_err(sql("listing the source's tables"))
}

async fn target_columns(target: &mut PgConnection) -> Result<BTreeMap<String, Vec<Column>>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::TEXT, column_name::TEXT, udt_name::TEXT \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations' \
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(target)
    .await
    .map_err(sql("listing the target's columns"))?;
    let mut tables: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    for (table, name, pg_type) in rows {
        tables
            .entry(table)
            .or_default()
            .push(Column { name, pg_type });
    }
    Ok(tables)
}

/// `tables` with every table after the tables its foreign keys point to.
async fn copy_order(target: &mut PgConnection, tables: &[String]) -> Result<Vec<String>> {
    let edges: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::TEXT, p.relname::TEXT FROM pg_constraint k \
         JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE k.contype = 'f' AND n.nspname = current_schema()",
    )
    .fetch_all(target)
    .await
    .map_err(sql("reading the target's foreign keys"))?;
    let mut parents: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (child, parent) in &edges {
        if child != parent {
            parents.entry(child).or_default().insert(parent);
        }
    }
    let mut order = Vec::new();
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    while placed.len() < tables.len() {
        let before = placed.len();
        for t in tables {
            if placed.contains(t.as_str()) {
                continue;
            }
            let ready = parents.get(t.as_str()).is_none_or(|ps| {
                ps.iter()
                    .all(|p| placed.contains(p) || !tables.iter().any(|x| x == p))
            });
            if ready {
                placed.insert(t);
                order.push(t.clone());
            }
        }
        if placed.len() == before {
            // A cycle: copy the rest as listed (none exists in today's schema).
            order.extend(
                tables
                    .iter()
                    .filter(|t| !placed.contains(t.as_str()))
                    .cloned(),
            );
            break;
        }
    }
    Ok(order)
}

/// One value read from SQLite as the target column's type wants it.
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Bytes(Option<Vec<u8>>),
    Float(Option<f64>),
    /// A PostgreSQL `TEXT[]`, which SQLite keeps as a JSON array of strings.
    TextArray(Option<Vec<String>>),
}

fn read(row: &SqliteRow, i: usize, table: &str, c: &Column) -> Result<Value> {
    let bad = |source| MigrateError::Sql {
        context: format!("reading {table}.{} from the source", c.name),
        source,
    };
    Ok(match c.pg_type.as_str() {
        "int8" | "int4" | "int2" => Value::Int(row.try_get(i).map_err(bad)?),
        "text" | "varchar" | "json" | "jsonb" => Value::Text(row.try_get(i).map_err(bad)?),
        "bool" => Value::Bool(row.try_get(i).map_err(bad)?),
        "bytea" => Value::Bytes(row.try_get(i).map_err(bad)?),
        "float8" | "float4" => Value::Float(row.try_get(i).map_err(bad)?),
        "_text" => {
            let json: Option<String> = row.try_get(i).map_err(bad)?;
            Value::TextArray(
                json.map(|j| serde_json::from_str::<Vec<String>>(&j))
                    .transpose()
                    .map_err(|e| MigrateError::NotAnArray {
                        table: table.to_string(),
                        column: c.name.clone(),
                        error: e.to_string(),
                    })?,
            )
        }
        other => {
            return Err(MigrateError::UnknownType {
                table: table.to_string(),
                column: c.name.clone(),
                pg_type: other.to_string(),
            });
        }
    })
}

/// Copies one table's rows in batches of multi-row INSERTs; returns how many.
async fn copy_table(
    source: &mut SqliteConnection,
    target: &mut PgConnection,
    table: &str,
    cols: &[Column],
    progress: &mut dyn Progress,
) -> Result<u64> {
    let names: Vec<String> = cols.iter().map(|c| ident(&c.name)).collect();
    let select = format!("SELECT {} FROM {}", names.join(", "), ident(table));
    // PostgreSQL takes at most 65,535 parameters per statement.
    let per_batch = (60_000 / cols.len().max(1)).clamp(1, 1_000);
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(select)).fetch(source);
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(per_batch);
    let mut total = 0u64;
    while let Some(row) = rows
        .try_next()
        .await
        .map_err(sql(format!("reading {table} from the source")))?
    {
        let values = cols
            .iter()
            .enumerate()
            .map(|(i, c)| read(&row, i, table, c))
            .collect::<Result<Vec<_>>>()?;
        batch.push(values);
        if batch.len() == per_batch {
            total += insert(target, table, cols, &names, &mut batch).await?;
            progress.rows(per_batch as u64);
        }
    }
    if !batch.is_empty() {
        let n = batch.len() as u64;
        total += insert(target, table, cols, &names, &mut batch).await?;
        progress.rows(n);
    }
    Ok(total)
}

async fn insert(
    target: &mut PgConnection,
    table: &str,
    cols: &[Column],
    names: &[String],
    batch: &mut Vec<Vec<Value>>,
) -> Result<u64> {
    let mut text = format!(
        "INSERT INTO {} ({}) VALUES ",
        ident(table),
        names.join(", ")
    );
    let mut n = 0usize;
    for (r, _) in batch.iter().enumerate() {
        if r > 0 {
            text.push_str(", ");
        }
        text.push('(');
        for (i, c) in cols.iter().enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            n += 1;
            // JSON arrives as text; every placeholder says its column's type.
            text.push_str(&format!("CAST(${n} AS {})", c.pg_type));
        }
        text.push(')');
    }
    let mut q = sqlx::query(sqlx::AssertSqlSafe(text));
    for row in batch.drain(..) {
        for v in row {
            q = match v {
                Value::Int(x) => q.bind(x),
                Value::Text(x) => q.bind(x),
                Value::Bool(x) => q.bind(x),
                Value::Bytes(x) => q.bind(x),
                Value::Float(x) => q.bind(x),
                Value::TextArray(x) => q.bind(x),
            };
        }
    }
    let done = q
        .execute(&mut *target)
        .await
        .map_err(sql(format!("writing {table} to the target")))?;
    Ok(done.rows_affected())
}
