//! What every file-exchange partner (EDI 3PL, EDI supplier, CSV supplier) shares: the SFTP
//! folders, names derived from the idempotency key, the sent log, control numbers, and the
//! inbox sweep.
//!
//! **At-least-once.** `poll_events` reads a batch of inbox files and returns their events with
//! `next_page` naming those files. Only when the caller asks for that next page (so it has
//! committed the events) are the files moved to the archive. A crash in between re-reads them
//! on the next sweep; every event's `dedup_id` is derived from the fact (PO + tracking, PO +
//! SKU + status, …), so the daemon's inbox keeps each once.
//!
//! **Sent log.** After an upload succeeds, a small JSON record (key, PO number, control number,
//! lines) is written to the `sent` folder. It answers "did this key already go out?" (a
//! re-submit returns `already_existed` without a second file) and maps a partner's answer (PO
//! number, 997 group number) back to the key after a restart.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use switchyard_core::config::{AdapterConfig, SftpConfig};
use switchyard_core::connector_state::ConnectorState;
use switchyard_core::fulfillment::{EventPage, FulfillmentOrder, TargetError, TargetEvent};
use switchyard_core::ports::PollCursor;

use super::sftp::{SftpConnection, SftpError, SftpSettings, join};

/// Inbox files read per page: bounds the work between two commits of the caller.
const FILES_PER_PAGE: usize = 20;
/// X12 numbers must fit 9 digits.
const MAX_CONTROL: u32 = 999_999_999;

/// One line as sent, to name SKUs in the partner's answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentLine {
    pub line_id: String,
    pub sku: String,
    pub partner_item: String,
    pub quantity: u32,
}

/// The sent log's record of one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentRecord {
    pub key: String,
    pub reference: String,
    /// `850`, `940` or `csv`.
    pub document: String,
    pub po_number: String,
    /// GS06 (and ISA13, ST02) of the file, 0 for CSV.
    pub control_number: u32,
    pub file: String,
    pub lines: Vec<SentLine>,
}

impl SentRecord {
    pub fn new(
        order: &FulfillmentOrder,
        key: &str,
        document: &str,
        control_number: u32,
        file: &str,
    ) -> Self {
        SentRecord {
            key: key.to_string(),
            reference: order.reference.clone(),
            document: document.to_string(),
            po_number: po_number(key),
            control_number,
            file: file.to_string(),
            lines: order
                .lines
                .iter()
                .map(|l| SentLine {
                    line_id: l.line_id.clone(),
                    sku: l.sku.clone(),
                    partner_item: l.partner_item().to_string(),
                    quantity: l.quantity,
                })
                .collect(),
        }
    }
}

/// An order's number at the partner, derived from the key: the key itself with characters
/// outside `[A-Za-z0-9-]` made `-`, or, when longer than 22 (BEG03's limit), its first 13
/// characters, `-` and 8 hex digits of its SHA-256. Same key, same number, after any crash.
pub fn po_number(key: &str) -> String {
    let clean: String = key
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if clean.len() <= 22 && !clean.is_empty() {
        return clean;
    }
    let head: String = clean.chars().take(13).collect();
    format!("{head}-{}", short_hash(key))
}

/// A file name for `key`: `<prefix>_<key, cleaned, ≤ 60>_<8 hex of its SHA-256>.<ext>`, so a
/// retry writes the same name (and replaces the file) instead of adding a second order.
pub fn file_name(prefix: &str, key: &str, ext: &str) -> String {
    let clean: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(60)
        .collect();
    format!("{prefix}_{clean}_{}.{ext}", short_hash(key))
}

fn short_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// Interchange/group control numbers (ISA13 = GS06 = ST02) from a durable counter in the
/// connector state (scope: the location id), so they go up by one per file across restarts
/// and replicas and never repeat. The counter starts at the seconds elapsed since 2024-01-01,
/// above every number the clock-based numbering of earlier versions used, and never goes below
/// a floor raised by [`ControlNumbers::resume_after`] (the sent log's numbers). X12 allows nine
/// digits: past 999,999,999 it wraps to 1.
pub struct ControlNumbers {
    state: Arc<dyn ConnectorState>,
    scope: String,
    floor: AtomicU32,
}

/// The counter's name in the connector state.
pub const CONTROL_COUNTER: &str = "x12_control";

impl ControlNumbers {
    pub fn new(state: Arc<dyn ConnectorState>, scope: &str) -> Self {
        Self {
            state,
            scope: scope.to_string(),
            floor: AtomicU32::new(0),
        }
    }

    pub async fn next(&self) -> Result<u32, TargetError> {
        let floor = i64::from(self.floor.load(Ordering::SeqCst)) + 1;
        let n = self
            .state
            .next_number(
                &self.scope,
                CONTROL_COUNTER,
                i64::from(seconds_since_2024()),
                floor,
            )
            .await
            .map_err(|e| TargetError::Transport(format!("control number: {e}")))?;
        let wrapped = (n - 1).rem_euclid(i64::from(MAX_CONTROL)) + 1;
        Ok(u32::try_from(wrapped).unwrap_or(1))
    }

    pub fn resume_after(&self, used: u32) {
        self.floor
            .fetch_max(used.min(MAX_CONTROL), Ordering::SeqCst);
    }
}

fn seconds_since_2024() -> u32 {
    let epoch = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .map(|t| t.timestamp())
        .unwrap_or(1_704_067_200);
    let secs = Utc::now().timestamp().saturating_sub(epoch);
    u32::try_from(secs)
        .unwrap_or(MAX_CONTROL)
        .clamp(1, MAX_CONTROL)
}

/// An inbox file read on this page and what it said.
pub struct Incoming {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The SFTP side of a partner: settings, folders, sent log.
pub struct FileExchange {
    settings: SftpSettings,
    pub outbox: String,
    pub inbox: String,
    archive: String,
    sent_dir: String,
    /// PO number → record and control number → record, filled from the sent folder.
    sent: Mutex<SentIndex>,
    pub control: ControlNumbers,
}

#[derive(Default)]
struct SentIndex {
    by_po: HashMap<String, SentRecord>,
    by_control: BTreeMap<u32, String>,
    loaded: bool,
}

impl FileExchange {
    /// `location` scopes the durable state (control numbers) this exchange keeps in `state`.
    pub fn new(
        kind: &str,
        location: &str,
        config: &AdapterConfig,
        state: Arc<dyn ConnectorState>,
    ) -> Result<Self, String> {
        let sftp: &SftpConfig = config
            .sftp
            .as_ref()
            .ok_or_else(|| format!("an sftp block is required for a {kind} adapter"))?;
        for (name, value) in [
            ("sftp.host", &sftp.host),
            ("sftp.user", &sftp.user),
            ("sftp.private_key_path", &sftp.private_key_path),
            ("sftp.host_key", &sftp.host_key),
            ("sftp.outbox", &sftp.outbox),
            ("sftp.inbox", &sftp.inbox),
        ] {
            if value.trim().is_empty() {
                return Err(format!("{name} is required for a {kind} adapter"));
            }
        }
        let outbox = sftp.outbox.trim_end_matches('/').to_string();
        let inbox = sftp.inbox.trim_end_matches('/').to_string();
        let archive = sftp
            .archive
            .clone()
            .unwrap_or_else(|| join(&inbox, "archive"));
        let sent_dir = sftp
            .sent
            .clone()
            .unwrap_or_else(|| match outbox.rsplit_once('/') {
                Some((parent, _)) => join(parent, "sent"),
                None => "sent".to_string(),
            });
        Ok(FileExchange {
            settings: SftpSettings {
                host: sftp.host.trim().to_string(),
                port: sftp.port,
                user: sftp.user.trim().to_string(),
                private_key_path: PathBuf::from(sftp.private_key_path.trim()),
                host_key: sftp.host_key.clone(),
                timeout: Duration::from_secs(sftp.timeout_secs.max(1)),
            },
            outbox,
            inbox,
            archive,
            sent_dir,
            sent: Mutex::new(SentIndex::default()),
            control: ControlNumbers::new(state, location),
        })
    }

    pub async fn connect(&self) -> Result<SftpConnection, TargetError> {
        Ok(SftpConnection::connect(&self.settings).await?)
    }

    fn sent_path(&self, key: &str) -> String {
        join(&self.sent_dir, &file_name("sent", key, "json"))
    }

    /// The record of an earlier submit with this key, if one went out.
    pub async fn find_sent(
        &self,
        conn: &SftpConnection,
        key: &str,
    ) -> Result<Option<SentRecord>, TargetError> {
        let path = self.sent_path(key);
        if !conn.exists(&path).await? {
            return Ok(None);
        }
        let bytes = conn.get(&path).await?;
        let record: SentRecord = serde_json::from_slice(&bytes)
            .map_err(|e| TargetError::Decode(format!("sent log {path}: {e}")))?;
        Ok(Some(record))
    }

    /// Uploads `file` to the outbox, then records it in the sent log (in that order: a crash
    /// between the two re-sends the same file name, which the partner dedups by PO number).
    pub async fn send(
        &self,
        conn: &SftpConnection,
        file: &str,
        contents: &[u8],
        record: Option<&SentRecord>,
    ) -> Result<(), TargetError> {
        conn.put_atomic(&join(&self.outbox, file), contents).await?;
        if let Some(record) = record {
            conn.ensure_dir(&self.sent_dir).await?;
            let json = serde_json::to_vec_pretty(record)
                .map_err(|e| TargetError::Decode(format!("sent log record: {e}")))?;
            conn.put_atomic(&self.sent_path(&record.key), &json).await?;
            self.remember(record.clone());
        }
        Ok(())
    }

    fn remember(&self, record: SentRecord) {
        self.control.resume_after(record.control_number);
        if let Ok(mut index) = self.sent.lock() {
            if record.control_number > 0 {
                index
                    .by_control
                    .insert(record.control_number, record.po_number.clone());
            }
            index.by_po.insert(record.po_number.clone(), record);
        }
    }

    /// Reads the sent folder once (after a restart, the answers may be to orders an earlier
    /// process sent), so [`FileExchange::known`] can map answers to keys.
    pub async fn load_sent(&self, conn: &SftpConnection) -> Result<(), TargetError> {
        if self.sent.lock().map(|i| i.loaded).unwrap_or(false) {
            return Ok(());
        }
        if conn.exists(&self.sent_dir).await? {
            for file in conn.list(&self.sent_dir).await? {
                if !file.name.ends_with(".json") {
                    continue;
                }
                let path = join(&self.sent_dir, &file.name);
                let bytes = conn.get(&path).await?;
                match serde_json::from_slice::<SentRecord>(&bytes) {
                    Ok(record) => self.remember(record),
                    Err(e) => tracing::warn!(%path, error = %e, "unreadable sent-log record"),
                }
            }
        }
        if let Ok(mut index) = self.sent.lock() {
            index.loaded = true;
        }
        Ok(())
    }

    /// The record for a PO number, or for the control number of the group it went in.
    pub fn known(&self, po: Option<&str>, control: Option<u32>) -> Option<SentRecord> {
        self.cached(po, control)
    }

    fn cached(&self, po: Option<&str>, control: Option<u32>) -> Option<SentRecord> {
        let index = self.sent.lock().ok()?;
        let po = match (po, control) {
            (Some(po), _) => po.to_string(),
            (None, Some(n)) => index.by_control.get(&n)?.clone(),
            (None, None) => return None,
        };
        index.by_po.get(&po).cloned()
    }

    /// Starts one page of the inbox sweep: archives the files the previous page named (the
    /// caller has committed their events by asking for this page), then reads the next batch.
    pub async fn next_files(
        &self,
        conn: &SftpConnection,
        cursor: &PollCursor,
    ) -> Result<Vec<Incoming>, TargetError> {
        if let Some(page) = cursor.page.as_deref() {
            let done: Vec<String> = serde_json::from_str(page)
                .map_err(|e| TargetError::Decode(format!("poll page token: {e}")))?;
            self.archive(conn, &done).await?;
        }
        let names: Vec<String> = conn
            .list(&self.inbox)
            .await?
            .into_iter()
            .map(|f| f.name)
            .filter(|n| !n.ends_with(".tmp") && !n.starts_with('.'))
            .take(FILES_PER_PAGE)
            .collect();
        let mut files = Vec::with_capacity(names.len());
        for name in names {
            let bytes = conn.get(&join(&self.inbox, &name)).await?;
            files.push(Incoming { name, bytes });
        }
        Ok(files)
    }

    /// The page for `files` and the events read from them; `next_page` names the files so the
    /// next call archives them.
    pub fn page(files: &[Incoming], events: Vec<TargetEvent>) -> Result<EventPage, TargetError> {
        if files.is_empty() {
            return Ok(EventPage {
                events,
                ..EventPage::default()
            });
        }
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        let next_page = serde_json::to_string(&names)
            .map_err(|e| TargetError::Decode(format!("poll page token: {e}")))?;
        Ok(EventPage {
            max_seen: events.iter().filter_map(|e| e.occurred_at).max(),
            events,
            next_page: Some(next_page),
        })
    }

    async fn archive(&self, conn: &SftpConnection, names: &[String]) -> Result<(), TargetError> {
        if names.is_empty() {
            return Ok(());
        }
        conn.ensure_dir(&self.archive).await?;
        for name in names {
            if name.contains('/') {
                return Err(TargetError::Decode(format!(
                    "poll page token names `{name}`, not a file of the inbox"
                )));
            }
            let from = join(&self.inbox, name);
            match conn.replace(&from, &join(&self.archive, name)).await {
                Ok(()) => {}
                // Archived by an earlier call whose answer was lost.
                Err(SftpError::Io { .. }) if !conn.exists(&from).await? => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_follow_the_key() {
        assert_eq!(po_number("shop:1001"), "shop-1001");
        let long = po_number("shopify-main:5678901234567890:retry");
        assert_eq!(long.len(), 22);
        assert_eq!(long, po_number("shopify-main:5678901234567890:retry"));
        assert_ne!(long, po_number("shopify-main:5678901234567890:retrx"));
        let name = file_name("850", "shop:1001", "edi");
        assert!(
            name.starts_with("850_shop-1001_") && name.ends_with(".edi"),
            "{name}"
        );
        assert_ne!(name, file_name("850", "shop-1001", "edi"));
    }

    #[tokio::test]
    async fn control_numbers_count_up_by_one_across_restarts_and_respect_a_floor() {
        let state: Arc<dyn ConnectorState> =
            Arc::new(switchyard_core::connector_state::MemoryState::new());
        let numbers = ControlNumbers::new(state.clone(), "acme");
        let a = numbers.next().await.unwrap();
        assert!(
            a >= seconds_since_2024(),
            "above the old clock-based numbers"
        );
        assert_eq!(numbers.next().await.unwrap(), a + 1);
        // A restart (or another replica) shares the counter: no number twice, no gap.
        let restarted = ControlNumbers::new(state.clone(), "acme");
        assert_eq!(restarted.next().await.unwrap(), a + 2);
        restarted.resume_after(900_000_000);
        assert_eq!(restarted.next().await.unwrap(), 900_000_001);
        assert_eq!(numbers.next().await.unwrap(), 900_000_002);
        let other = ControlNumbers::new(state, "bolt");
        assert!(other.next().await.unwrap() < 900_000_000, "per location");
    }
}
