//! What the workers last saw of each channel and partner, in memory: last successful poll and
//! push, the last error, whether the channel refuses our credentials, until when it throttles.
//! The admin API's channel and partner lists read it (with queue depths from the store), and
//! the exception watch (`exceptions.rs`) raises "not polled" and "auth failing" from it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

/// One channel as the workers last saw it.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ChannelSeen {
    /// Unix ms of the last poll that answered.
    pub last_poll_ok_ms: Option<i64>,
    /// Unix ms of the last stock push the channel accepted.
    pub last_push_ok_ms: Option<i64>,
    /// The last poll or push error, and when.
    pub last_error: Option<String>,
    pub last_error_ms: Option<i64>,
    /// The channel refused our credentials on its last answer.
    pub auth_failing: bool,
    /// The channel asked us to wait until then (Unix ms).
    pub throttled_until_ms: Option<i64>,
}

/// One fulfilment partner as the workers last saw it.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct PartnerSeen {
    /// Unix ms of the last event poll that answered.
    pub last_poll_ok_ms: Option<i64>,
    /// Unix ms of the last inventory read that answered.
    pub last_inventory_ok_ms: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_ms: Option<i64>,
}

/// The board every worker writes to; cheap to clone out of.
#[derive(Debug, Default)]
pub struct Board {
    /// When the daemon started (Unix ms): "not polled for three intervals" counts from here
    /// until the first poll.
    pub started_ms: i64,
    channels: Mutex<BTreeMap<String, ChannelSeen>>,
    partners: Mutex<BTreeMap<String, PartnerSeen>>,
}

impl Board {
    pub fn new<'a>(
        started_ms: i64,
        channels: impl IntoIterator<Item = &'a String>,
        partners: impl IntoIterator<Item = &'a String>,
    ) -> Self {
        Board {
            started_ms,
            channels: Mutex::new(
                channels
                    .into_iter()
                    .map(|c| (c.clone(), ChannelSeen::default()))
                    .collect(),
            ),
            partners: Mutex::new(
                partners
                    .into_iter()
                    .map(|p| (p.clone(), PartnerSeen::default()))
                    .collect(),
            ),
        }
    }

    pub fn channel(&self, id: &str, f: impl FnOnce(&mut ChannelSeen)) {
        // A worker that panicked while holding the lock left plain data behind; keep using it.
        let mut map = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        f(map.entry(id.to_string()).or_default());
    }

    pub fn partner(&self, id: &str, f: impl FnOnce(&mut PartnerSeen)) {
        let mut map = self.partners.lock().unwrap_or_else(|p| p.into_inner());
        f(map.entry(id.to_string()).or_default());
    }

    pub fn channels(&self) -> BTreeMap<String, ChannelSeen> {
        self.channels
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn partners(&self) -> BTreeMap<String, PartnerSeen> {
        self.partners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}
