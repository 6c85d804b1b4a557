//! Leases on both engines: one holder at a time under concurrent asks, renewal, release, and
//! takeover of a holder that stopped renewing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::time::Duration;

use switchyard_core::leases::{Ask, Decision};
use switchyard_store::testing::TestStore;
use switchyard_store::{Engine, store_tests};

async fn racing_replicas_get_one_holder_and_a_dead_one_is_taken_over(engine: Engine) {
    let store = TestStore::new(engine).await;
    let leases = store.leases();

    // Eight replicas ask for the same lease at once: exactly one gets it.
    let asks = (0..8).map(|i| {
        let holder = format!("r{i}");
        async move {
            (
                holder.clone(),
                leases.lease("core", &holder, Ask::Acquire, 1_500).await,
            )
        }
    });
    let answers = futures::future::join_all(asks).await;
    let winners: Vec<&String> = answers
        .iter()
        .filter(|(_, d)| matches!(d, Ok(Decision::Granted { .. })))
        .map(|(h, _)| h)
        .collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    let winner = winners[0].clone();
    for (h, d) in &answers {
        if *h != winner {
            match d {
                Ok(Decision::HeldByOther { holder, .. }) => assert_eq!(*holder, winner),
                other => panic!("{h}: {other:?}"),
            }
        }
    }
    let view = leases.leases().await.unwrap();
    assert_eq!(view.held_by(&winner), vec!["core".to_string()]);
    let row = &view.leases[0];
    assert_eq!((row.generation, row.takeovers), (1, 0));

    // Renewing keeps it; another replica cannot renew what it does not hold.
    assert!(matches!(
        leases
            .lease("core", &winner, Ask::Renew, 1_500)
            .await
            .unwrap(),
        Decision::Granted { .. }
    ));
    assert_eq!(
        leases
            .lease("core", "other", Ask::Renew, 1_500)
            .await
            .unwrap(),
        Decision::Lost
    );

    // The holder dies (stops renewing): once the lease expires another takes it over, and the
    // old holder's next renewal tells it that it lost the lease.
    tokio::time::sleep(Duration::from_millis(1_700)).await;
    match leases
        .lease("core", "survivor", Ask::Acquire, 1_500)
        .await
        .unwrap()
    {
        Decision::Granted {
            lease,
            taken_over_from,
        } => {
            assert_eq!(taken_over_from.as_deref(), Some(winner.as_str()));
            assert_eq!((lease.generation, lease.takeovers), (2, 1));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        leases
            .lease("core", &winner, Ask::Renew, 1_500)
            .await
            .unwrap(),
        Decision::Lost
    );

    // A release frees it at once, without counting a takeover.
    assert!(matches!(
        leases
            .lease("core", "survivor", Ask::Release, 1_500)
            .await
            .unwrap(),
        Decision::Released { .. }
    ));
    match leases
        .lease("core", "third", Ask::Acquire, 1_500)
        .await
        .unwrap()
    {
        Decision::Granted {
            lease,
            taken_over_from,
        } => {
            assert_eq!(taken_over_from, None);
            assert_eq!((lease.generation, lease.takeovers), (3, 1));
        }
        other => panic!("{other:?}"),
    }

    // Liveness leases say how many replicas share the work.
    for r in ["a", "b"] {
        leases
            .lease(
                &switchyard_core::leases::replica(r),
                r,
                Ask::Acquire,
                60_000,
            )
            .await
            .unwrap();
    }
    let mut live = leases.leases().await.unwrap().live_replicas();
    live.sort();
    assert_eq!(live, vec!["a".to_string(), "b".to_string()]);
}

store_tests!(racing_replicas_get_one_holder_and_a_dead_one_is_taken_over);
