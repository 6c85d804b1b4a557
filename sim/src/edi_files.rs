//! What the EDI partner simulators share: their SFTP folders seen as plain directories (the
//! simulator *is* the partner's server), envelopes with the partner's identities, and 997s.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::Utc;
use switchyard_edi::{
    FunctionalAck, Group, InterchangeHeader, OutboundTransaction, Separators, Usage, render_single,
};

#[derive(Debug, thiserror::Error)]
pub enum EdiSimError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot render {what}: {reason}")]
    Render { what: String, reason: String },
}

fn io(path: &Path, source: std::io::Error) -> EdiSimError {
    EdiSimError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The partner's identity and the merchant's, as they appear in ISA/GS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identities {
    pub partner_qualifier: String,
    pub partner_id: String,
    pub merchant_qualifier: String,
    pub merchant_id: String,
}

/// Envelopes and control numbers of files the partner writes.
#[derive(Debug)]
pub struct Envelopes {
    ids: Identities,
    next: AtomicU32,
}

impl Envelopes {
    pub fn new(ids: Identities) -> Self {
        Envelopes {
            ids,
            next: AtomicU32::new(1),
        }
    }

    pub fn ids(&self) -> &Identities {
        &self.ids
    }

    /// One set in its own interchange; ISA13 = GS06 = ST02.
    pub fn render(&self, tx: OutboundTransaction) -> Result<String, EdiSimError> {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let now = Utc::now();
        let header = InterchangeHeader {
            sender_qualifier: self.ids.partner_qualifier.clone(),
            sender_id: self.ids.partner_id.clone(),
            receiver_qualifier: self.ids.merchant_qualifier.clone(),
            receiver_id: self.ids.merchant_id.clone(),
            date: now.date_naive(),
            time: now.time(),
            control_number: n,
            usage: Usage::Production,
            ack_requested: false,
        };
        let set = tx.set_id.clone();
        let mut tx = tx;
        tx.control_number = n;
        render_single(&header, n, tx, &Separators::default()).map_err(|e| EdiSimError::Render {
            what: set,
            reason: e.to_string(),
        })
    }

    /// The 997 for a received group (every set accepted unless `ack` was changed).
    pub fn ack(&self, ack: &FunctionalAck) -> Result<String, EdiSimError> {
        let tx = ack.to_transaction(1).map_err(|e| EdiSimError::Render {
            what: "997".into(),
            reason: e.to_string(),
        })?;
        self.render(tx)
    }

    pub fn ack_group(&self, group: &Group) -> Result<String, EdiSimError> {
        self.ack(&FunctionalAck::for_group(group))
    }
}

/// Files waiting in `dir` (sorted; no directories, no `.tmp` uploads in progress).
pub fn waiting(dir: &Path) -> Result<Vec<(PathBuf, Vec<u8>)>, EdiSimError> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io(dir, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if !path.is_file() || name.ends_with(".tmp") || name.starts_with('.') {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| io(&path, e))?;
        out.push((path, bytes));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Writes `dir/name` through a temporary name, as a real partner's job would.
pub fn write_atomic(dir: &Path, name: &str, contents: &str) -> Result<PathBuf, EdiSimError> {
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.part"));
    std::fs::write(&tmp, contents).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| io(&path, e))?;
    Ok(path)
}

/// Moves a processed file to `processed/` beside it, as partners do after pickup.
pub fn pick_up(path: &Path) -> Result<(), EdiSimError> {
    let Some(dir) = path.parent() else {
        return Ok(());
    };
    let done = dir.join("processed");
    std::fs::create_dir_all(&done).map_err(|e| io(&done, e))?;
    let Some(name) = path.file_name() else {
        return Ok(());
    };
    std::fs::rename(path, done.join(name)).map_err(|e| io(path, e))
}
