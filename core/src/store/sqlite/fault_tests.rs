//! A full database: the failed transaction is discarded with its connection and the store
//! writes again as soon as there is room, without a restart.

use super::*;

fn raw(i: usize, body_bytes: usize) -> RawOrder {
    RawOrder {
        format: "rest".into(),
        external_id: Some(format!("{i}")),
        dedup_key: format!("{i}@2026-01-01T00:00:00Z"),
        topic: "orders/create".into(),
        body: vec![b'x'; body_bytes],
    }
}

async fn set_max_pages(store: &SqliteStore, pages: i64) {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "PRAGMA max_page_count = {pages}"
    )))
    .execute(&store.writer)
    .await
    .expect("set max_page_count");
}

#[tokio::test]
async fn a_full_database_fails_writes_as_unavailable_then_recovers_without_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("full.db").display());
    let store = SqliteStore::open(&url).await.expect("open");
    store
        .insert_inbox("shop", Source::Webhook, &[raw(0, 100)], None)
        .await
        .expect("first write");
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(&store.writer)
        .await
        .expect("page count");
    // The writer connection may not grow the file any more: the disk is "full".
    set_max_pages(&store, pages).await;
    let mut refused = 0;
    for i in 1..=20 {
        match store
            .insert_inbox("shop", Source::Webhook, &[raw(i, 64 * 1024)], None)
            .await
        {
            Ok(_) => {}
            Err(e) => {
                assert!(
                    e.is_unavailable(),
                    "a full disk is classed unavailable: {e}"
                );
                refused += 1;
                // Each failure leaves the store usable for the next attempt (the old bug:
                // "attempted to call begin_with at non-zero transaction depth" forever after).
                set_max_pages(&store, pages).await;
            }
        }
    }
    assert!(refused > 0, "the full database refused writes");
    // Space comes back.
    set_max_pages(&store, 1 << 30).await;
    store.probe_write().await.expect("the probe writes again");
    let done = store
        .insert_inbox("shop", Source::Webhook, &[raw(100, 64 * 1024)], None)
        .await
        .expect("writes work again without a restart");
    assert_eq!(done.inserted, 1);
    let counts = store.counts().await.expect("counts");
    assert_eq!(counts.inbox_pending, 1 + 20 - refused + 1);
}

#[test]
fn only_storage_faults_are_unavailable() {
    assert!(!StoreError::Conflict("two orders".into()).is_unavailable());
    assert!(!StoreError::NotFound("order 1".into()).is_unavailable());
    assert!(StoreError::Database(sqlx::Error::PoolTimedOut).is_unavailable());
    assert!(StoreError::Database(sqlx::Error::InvalidSavePointStatement).is_unavailable());
    assert!(!StoreError::Database(sqlx::Error::RowNotFound).is_unavailable());
}
