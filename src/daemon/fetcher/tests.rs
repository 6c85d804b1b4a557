//! The fetcher against a real SQLite store and scripted channels: per-channel isolation,
//! concurrency within a channel, and how long failures wait.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use switchyard_core::model::{ChannelKind, Order, Shipment};
use switchyard_core::ports::{
    ChannelLimits, Delivery, IngestError, Listing, ListingLevel, NormalizeError, PollCursor,
    PollPage, PushReport, RawOrder, THIN_FORMAT, WebhookRequest,
};
use switchyard_core::store::{Source, SqliteStore};

use super::*;

/// What a scripted channel answers to `fetch_order`.
#[derive(Clone)]
enum Script {
    /// The order, after this delay.
    Found(Duration),
    /// Throttled with this `Retry-After` for the first `n` calls, then found at once.
    ThrottledFirst(usize, Duration),
    /// Never answers within a test (a channel stuck behind its limit).
    Hang,
    /// The channel no longer has the order (404).
    Gone,
}

struct Scripted {
    id: String,
    script: Script,
    calls: AtomicUsize,
    running: AtomicUsize,
    most_at_once: AtomicUsize,
    call_times: Mutex<Vec<Instant>>,
}

impl Scripted {
    fn new(id: &str, script: Script) -> Arc<Self> {
        Arc::new(Self {
            id: id.into(),
            script,
            calls: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
            most_at_once: AtomicUsize::new(0),
            call_times: Mutex::new(Vec::new()),
        })
    }
}

#[async_trait]
impl Channel for Scripted {
    fn id(&self) -> &str {
        &self.id
    }
    fn kind(&self) -> ChannelKind {
        ChannelKind::Bigcommerce
    }
    fn limits(&self) -> ChannelLimits {
        ChannelLimits {
            max_stock_batch: 1,
            max_poll_page: 1,
        }
    }
    async fn verify_webhook(&self, _: &WebhookRequest) -> Result<Delivery, IngestError> {
        Err(IngestError::Unreadable("not used".into()))
    }
    fn normalize(&self, _: &RawOrder) -> Result<Order, NormalizeError> {
        Err(NormalizeError::new("body", "not used"))
    }
    async fn fetch_order(&self, external_id: &str) -> Result<Option<RawOrder>, ChannelError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        self.call_times.lock().unwrap().push(Instant::now());
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_at_once.fetch_max(now, Ordering::SeqCst);
        let out = match &self.script {
            Script::Found(delay) => {
                tokio::time::sleep(*delay).await;
                Ok(Some(full(external_id)))
            }
            Script::ThrottledFirst(k, wait) if n < *k => Err(ChannelError::RateLimited {
                retry_after: Some(*wait),
            }),
            Script::ThrottledFirst(..) => Ok(Some(full(external_id))),
            Script::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(None)
            }
            Script::Gone => Ok(None),
        };
        self.running.fetch_sub(1, Ordering::SeqCst);
        out
    }
    async fn poll_orders(&self, _: &PollCursor) -> Result<PollPage, ChannelError> {
        Ok(PollPage::default())
    }
    async fn discover_listings(&self, _: &[String]) -> Result<Vec<Listing>, ChannelError> {
        Ok(Vec::new())
    }
    async fn push_stock(&self, _: &[ListingLevel]) -> Result<PushReport, ChannelError> {
        Ok(PushReport::default())
    }
    async fn write_back_shipment(&self, _: &Shipment, _: &str) -> Result<(), ChannelError> {
        Ok(())
    }
}

fn full(id: &str) -> RawOrder {
    RawOrder {
        format: "v2".into(),
        external_id: Some(id.into()),
        dedup_key: format!("{id}@2026-01-01T00:00:00Z"),
        topic: "store/order/created".into(),
        body: format!(r#"{{"id":{id}}}"#).into_bytes(),
    }
}

fn thin(id: u32) -> RawOrder {
    RawOrder {
        format: THIN_FORMAT.into(),
        external_id: Some(id.to_string()),
        dedup_key: format!("hash-{id}"),
        topic: "store/order/created".into(),
        body: format!(r#"{{"data":{{"id":{id}}}}}"#).into_bytes(),
    }
}

async fn store() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&url).await.unwrap());
    (dir, store)
}

async fn queue(store: &Arc<dyn Store>, channel: &str, ids: std::ops::Range<u32>) {
    let items: Vec<RawOrder> = ids.map(thin).collect();
    store
        .insert_inbox(channel, Source::Webhook, &items, None)
        .await
        .unwrap();
}

/// Starts one channel's worker; stops when the returned sender is dropped or set.
fn start(
    store: &Arc<dyn Store>,
    channel: Arc<Scripted>,
    concurrency: usize,
    stopped: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let worker = Worker {
        store: store.clone(),
        channel_id: channel.id.clone(),
        channel,
        concurrency,
        idle_scan: Duration::from_millis(50),
        repeats: Arc::new(crate::daemon::Repeats::new(Duration::from_secs(10))),
    };
    tokio::spawn(async move {
        let wake = Notify::new();
        worker.run(&wake, || {}, stopped).await;
    })
}

/// Waits until `channel` has no pending thin delivery; the time it took.
async fn drained(store: &Arc<dyn Store>, channel: &str, limit: Duration) -> Duration {
    let began = Instant::now();
    while !store.pending_thin(channel, 1).await.unwrap().is_empty() {
        assert!(
            began.elapsed() < limit,
            "{channel} still has pending deliveries after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    began.elapsed()
}

#[tokio::test]
async fn a_stuck_channel_does_not_delay_another_channels_orders() {
    let (_d, store) = store().await;
    // The stuck channel's deliveries are older, so a single queue would serve them first.
    queue(&store, "stuck", 0..50).await;
    queue(&store, "quick", 100..110).await;
    let (stop, stopped) = watch::channel(false);
    let stuck = Scripted::new("stuck", Script::Hang);
    let quick = Scripted::new("quick", Script::Found(Duration::ZERO));
    let a = start(&store, stuck.clone(), 4, stopped.clone());
    let b = start(&store, quick.clone(), 4, stopped);
    drained(&store, "quick", Duration::from_secs(5)).await;
    assert_eq!(quick.calls.load(Ordering::SeqCst), 10);
    assert_eq!(store.pending_thin("stuck", 100).await.unwrap().len(), 50);
    assert_eq!(
        stuck.most_at_once.load(Ordering::SeqCst),
        4,
        "the stuck channel holds only its own slots"
    );
    let _ = stop.send(true);
    a.await.unwrap();
    b.await.unwrap();
    // A delivery whose fetch was cut short by the stop is still there for the restart.
    assert_eq!(store.pending_thin("stuck", 100).await.unwrap().len(), 50);
}

#[tokio::test]
async fn fetches_within_a_channel_overlap_up_to_the_cap() {
    let (_d, store) = store().await;
    queue(&store, "bc", 0..16).await;
    let (stop, stopped) = watch::channel(false);
    let bc = Scripted::new("bc", Script::Found(Duration::from_millis(200)));
    let task = start(&store, bc.clone(), 8, stopped);
    // One at a time this is 3.2 s; eight at a time two rounds of 200 ms.
    let took = drained(&store, "bc", Duration::from_secs(3)).await;
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    assert_eq!(bc.most_at_once.load(Ordering::SeqCst), 8);
    assert_eq!(bc.calls.load(Ordering::SeqCst), 16);
    // Each fetched order became a delivery ready to normalize, the thin ones closed.
    assert_eq!(store.pending_inbox(100).await.unwrap().len(), 16);
    let _ = stop.send(true);
    task.await.unwrap();
}

#[tokio::test]
async fn a_throttled_channel_waits_as_long_as_it_asks_then_carries_on() {
    let (_d, store) = store().await;
    queue(&store, "bc", 0..3).await;
    let (stop, stopped) = watch::channel(false);
    let bc = Scripted::new("bc", Script::ThrottledFirst(1, Duration::from_millis(400)));
    let task = start(&store, bc.clone(), 1, stopped);
    let took = drained(&store, "bc", Duration::from_secs(5)).await;
    let times = bc.call_times.lock().unwrap().clone();
    assert_eq!(times.len(), 4, "one refused call, then the three orders");
    assert!(
        times[1].duration_since(times[0]) >= Duration::from_millis(400),
        "the next call waited for Retry-After"
    );
    // Not the old minute-scale backoff.
    assert!(took < Duration::from_secs(2), "took {took:?}");
    let _ = stop.send(true);
    task.await.unwrap();
}

#[tokio::test]
async fn an_order_the_channel_no_longer_has_is_closed_as_gone() {
    let (_d, store) = store().await;
    queue(&store, "bc", 0..2).await;
    let (stop, stopped) = watch::channel(false);
    let task = start(&store, Scripted::new("bc", Script::Gone), 2, stopped);
    drained(&store, "bc", Duration::from_secs(5)).await;
    assert!(store.pending_inbox(10).await.unwrap().is_empty());
    let _ = stop.send(true);
    task.await.unwrap();
}

#[test]
fn waits_follow_the_kind_of_failure() {
    let throttled = ChannelError::RateLimited {
        retry_after: Some(Duration::from_secs(7)),
    };
    assert_eq!(retry_wait(&throttled, 1), Duration::from_secs(7));
    let transient = ChannelError::Transport("reset".into());
    assert_eq!(retry_wait(&transient, 1), Duration::from_millis(500));
    assert_eq!(retry_wait(&transient, 3), Duration::from_secs(2));
    assert_eq!(retry_wait(&transient, 40), MAX_TRANSIENT_BACKOFF);
    let unhinted = ChannelError::RateLimited { retry_after: None };
    assert_eq!(retry_wait(&unhinted, 100), MAX_TRANSIENT_BACKOFF);
    // A refusal keeps the durable backoff: retrying within seconds will not cure it.
    let refused = ChannelError::Auth("token revoked".into());
    assert_eq!(retry_wait(&refused, 1), Duration::from_secs(1));
    assert_eq!(retry_wait(&refused, 20), Duration::from_secs(600));
}
