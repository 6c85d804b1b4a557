//! Exceptions and their alert queue, on both engines: raising de-duplicates by kind and
//! subject (count and last time bumped, one alert per opening), clearing and operators'
//! changes follow `core::exceptions`, a periodic level opens and clears, reminders are
//! queued for open exceptions only, and each alert sink keeps its own cursor.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use switchyard_core::exceptions::{
    AlertReason, ExceptionKey, ExceptionKind, ExceptionState, Subject,
};
use switchyard_core::store::*;
use switchyard_store::testing::TestStore;
use switchyard_store::{Engine, store_tests};

fn held(order: i64) -> ExceptionKey {
    ExceptionKey::new(ExceptionKind::OrderHeld, Subject::Order(order))
}

fn all(limit: i64) -> ExceptionFilter {
    ExceptionFilter {
        limit,
        ..ExceptionFilter::default()
    }
}

async fn raising_twice_bumps_and_alerts_once(engine: Engine) {
    let t = TestStore::new(engine).await;
    let ex = t.exceptions();
    let first = ex
        .raise_exception(&held(7), "no stock anywhere", 1_000)
        .await
        .unwrap();
    assert!(first.opened);
    let again = ex
        .raise_exception(&held(7), "still no stock", 2_000)
        .await
        .unwrap();
    assert_eq!(
        again,
        Raised {
            id: first.id,
            opened: false
        }
    );
    // Another subject or another kind is another exception.
    let other = ex
        .raise_exception(&held(8), "no stock", 2_500)
        .await
        .unwrap();
    assert_ne!(other.id, first.id);
    let dl = ExceptionKey::new(ExceptionKind::DeadLetter, Subject::DeadLetter(7));
    ex.raise_exception(&dl, "write-back failed", 2_600)
        .await
        .unwrap();

    let row = ex.exception(first.id).await.unwrap().unwrap();
    assert_eq!(row.kind, ExceptionKind::OrderHeld);
    assert_eq!(row.subject, "order:7");
    assert_eq!(row.state, ExceptionState::Open);
    assert_eq!((row.first_at, row.last_at, row.count), (1_000, 2_000, 2));
    assert_eq!(row.message, "still no stock");

    let alerts = ex.alerts_after(0, 0, 100).await.unwrap();
    assert_eq!(alerts.len(), 3, "{alerts:?}");
    assert!(alerts.iter().all(|a| a.reason == AlertReason::Opened));
    assert_eq!(alerts[0].exception_id, first.id);
    assert_eq!(
        alerts[0].message, "still no stock",
        "the current message is sent"
    );

    let counts = ex.open_exception_counts().await.unwrap();
    assert_eq!(
        counts,
        vec![
            (ExceptionKind::DeadLetter, 1),
            (ExceptionKind::OrderHeld, 2)
        ]
    );
}

async fn clearing_resolves_and_a_new_cause_reopens(engine: Engine) {
    let t = TestStore::new(engine).await;
    let ex = t.exceptions();
    let r = ex.raise_exception(&held(1), "held", 1_000).await.unwrap();
    ex.raise_exception(&held(1), "held", 1_500).await.unwrap();
    assert!(ex.clear_exception(&held(1), 2_000).await.unwrap());
    assert!(
        !ex.clear_exception(&held(1), 2_100).await.unwrap(),
        "already resolved"
    );
    assert!(
        !ex.clear_exception(&held(99), 2_100).await.unwrap(),
        "never raised"
    );
    let row = ex.exception(r.id).await.unwrap().unwrap();
    assert_eq!(row.state, ExceptionState::Resolved);
    assert_eq!(row.resolved_by.as_deref(), Some(CLEARED_BY));
    assert_eq!(row.resolved_at, Some(2_000));

    let again = ex
        .raise_exception(&held(1), "held again", 3_000)
        .await
        .unwrap();
    assert_eq!(
        again,
        Raised {
            id: r.id,
            opened: true
        }
    );
    let row = ex.exception(r.id).await.unwrap().unwrap();
    assert_eq!(row.state, ExceptionState::Open);
    assert_eq!((row.first_at, row.last_at, row.count), (3_000, 3_000, 1));
    assert_eq!((row.resolved_by, row.resolved_at), (None, None));
    assert_eq!(ex.alerts_after(0, 0, 100).await.unwrap().len(), 2);
}

async fn operators_acknowledge_and_resolve(engine: Engine) {
    let t = TestStore::new(engine).await;
    let ex = t.exceptions();
    let a = ex.raise_exception(&held(1), "held", 1_000).await.unwrap();
    let b = ex.raise_exception(&held(2), "held", 1_000).await.unwrap();

    let acked = ex
        .change_exception(a.id, OperatorChange::Acknowledge, "cli:alice", 2_000)
        .await
        .unwrap();
    assert_eq!(acked.state, ExceptionState::Acknowledged);
    assert_eq!(acked.acknowledged_by.as_deref(), Some("cli:alice"));
    let twice = ex
        .change_exception(a.id, OperatorChange::Acknowledge, "cli:alice", 2_100)
        .await;
    assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
    // An acknowledged exception raised again stays acknowledged, counted.
    let bumped = ex.raise_exception(&held(1), "held", 2_200).await.unwrap();
    assert!(!bumped.opened);
    let row = ex.exception(a.id).await.unwrap().unwrap();
    assert_eq!((row.state, row.count), (ExceptionState::Acknowledged, 2));

    let resolved = ex
        .change_exception(b.id, OperatorChange::Resolve, "api:ops", 3_000)
        .await
        .unwrap();
    assert_eq!(resolved.state, ExceptionState::Resolved);
    assert_eq!(resolved.resolved_by.as_deref(), Some("api:ops"));
    let late_ack = ex
        .change_exception(b.id, OperatorChange::Acknowledge, "api:ops", 3_100)
        .await;
    assert!(
        matches!(late_ack, Err(StoreError::Conflict(_))),
        "{late_ack:?}"
    );
    let missing = ex
        .change_exception(4242, OperatorChange::Resolve, "api:ops", 3_100)
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );

    // Lists filter by state and kind, newest first, paged.
    let open = ex
        .exceptions(&ExceptionFilter {
            state: Some(ExceptionState::Acknowledged),
            ..all(10)
        })
        .await
        .unwrap();
    assert_eq!(open.iter().map(|r| r.id).collect::<Vec<_>>(), vec![a.id]);
    let every = ex.exceptions(&all(10)).await.unwrap();
    assert_eq!(
        every.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![b.id, a.id]
    );
    let page = ex
        .exceptions(&ExceptionFilter {
            before_id: Some(b.id),
            ..all(10)
        })
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    let none = ex
        .exceptions(&ExceptionFilter {
            kind: Some(ExceptionKind::DriftFound),
            ..all(10)
        })
        .await
        .unwrap();
    assert!(none.is_empty());
    assert!(
        ex.open_exception_counts().await.unwrap().is_empty(),
        "none open"
    );
}

async fn a_level_opens_new_subjects_and_clears_gone_ones(engine: Engine) {
    let t = TestStore::new(engine).await;
    let ex = t.exceptions();
    let late = |id: i64| (Subject::Order(id), format!("order {id} ships late"));
    let k = ExceptionKind::ShipLate;
    assert_eq!(
        ex.sync_exceptions(k, &[late(1), late(2)], 1_000)
            .await
            .unwrap(),
        (2, 0)
    );
    assert_eq!(
        ex.sync_exceptions(k, &[late(1), late(2)], 2_000)
            .await
            .unwrap(),
        (0, 0)
    );
    assert_eq!(
        ex.sync_exceptions(k, &[late(2), late(3)], 3_000)
            .await
            .unwrap(),
        (1, 1)
    );
    let rows = ex.exceptions(&all(10)).await.unwrap();
    let state = |s: &str| rows.iter().find(|r| r.subject == s).unwrap().state;
    assert_eq!(state("order:1"), ExceptionState::Resolved);
    assert_eq!(state("order:2"), ExceptionState::Open);
    assert_eq!(state("order:3"), ExceptionState::Open);
    // A person's resolution stands while the cause lasts.
    let two = rows.iter().find(|r| r.subject == "order:2").unwrap().id;
    ex.change_exception(two, OperatorChange::Resolve, "cli:bob", 3_500)
        .await
        .unwrap();
    assert_eq!(
        ex.sync_exceptions(k, &[late(2), late(3)], 4_000)
            .await
            .unwrap(),
        (0, 0)
    );
    assert_eq!(
        ex.exception(two).await.unwrap().unwrap().state,
        ExceptionState::Resolved
    );
    // Other kinds are not touched.
    ex.raise_exception(&held(1), "held", 4_000).await.unwrap();
    assert_eq!(ex.sync_exceptions(k, &[], 5_000).await.unwrap(), (0, 1));
    assert_eq!(
        ex.open_exception_counts().await.unwrap(),
        vec![(ExceptionKind::OrderHeld, 1)]
    );
    assert_eq!(ex.alerts_after(0, 0, 100).await.unwrap().len(), 4);
}

async fn reminders_and_each_sinks_cursor(engine: Engine) {
    let t = TestStore::new(engine).await;
    let ex = t.exceptions();
    let a = ex.raise_exception(&held(1), "held", 1_000).await.unwrap();
    let b = ex.raise_exception(&held(2), "held", 1_000).await.unwrap();
    ex.change_exception(b.id, OperatorChange::Acknowledge, "cli:alice", 1_500)
        .await
        .unwrap();
    assert_eq!(
        ex.queue_reminders(5_000, 10_000).await.unwrap(),
        0,
        "too soon"
    );
    assert_eq!(
        ex.queue_reminders(11_000, 10_000).await.unwrap(),
        1,
        "only the open one"
    );
    assert_eq!(
        ex.queue_reminders(12_000, 10_000).await.unwrap(),
        0,
        "just reminded"
    );
    assert_eq!(
        ex.queue_reminders(90_000, 0).await.unwrap(),
        0,
        "reminders off"
    );
    let alerts = ex.alerts_after(0, 0, 100).await.unwrap();
    assert_eq!(alerts.len(), 3);
    assert_eq!(alerts[2].reason, AlertReason::Reminder);
    assert_eq!(alerts[2].exception_id, a.id);
    // `since` leaves out what is older.
    assert_eq!(ex.alerts_after(0, 11_000, 100).await.unwrap().len(), 1);

    assert_eq!(ex.alert_sink("email").await.unwrap(), SinkState::default());
    ex.alert_failed("email", "connection refused", 20_000)
        .await
        .unwrap();
    ex.alert_failed("email", "connection refused", 40_000)
        .await
        .unwrap();
    let s = ex.alert_sink("email").await.unwrap();
    assert_eq!((s.delivered_through, s.attempts, s.next_at), (0, 2, 40_000));
    assert_eq!(s.last_error.as_deref(), Some("connection refused"));
    ex.alert_sent("email", alerts[1].id, 41_000).await.unwrap();
    ex.alert_sent("webhook:ops", alerts[2].id, 41_000)
        .await
        .unwrap();

    let again = t.exceptions();
    let s = again.alert_sink("email").await.unwrap();
    assert_eq!(
        s,
        SinkState {
            delivered_through: alerts[1].id,
            attempts: 0,
            next_at: 0,
            last_sent_at: Some(41_000),
            last_error: None,
        }
    );
    let rest = again
        .alerts_after(s.delivered_through, 0, 100)
        .await
        .unwrap();
    assert_eq!(
        rest.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![alerts[2].id]
    );
    assert_eq!(
        again
            .alert_sink("webhook:ops")
            .await
            .unwrap()
            .delivered_through,
        alerts[2].id
    );
}

store_tests!(
    raising_twice_bumps_and_alerts_once,
    clearing_resolves_and_a_new_cause_reopens,
    operators_acknowledge_and_resolve,
    a_level_opens_new_subjects_and_clears_gone_ones,
    reminders_and_each_sinks_cursor,
);
