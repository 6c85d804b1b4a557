//! A small SFTP client for partners that exchange files (EDI, CSV): public-key login, the
//! server's host key checked against the configured one (never accepted blindly), list, get,
//! atomic put (`name.tmp` then rename), rename and remove. Pure Rust (`russh` on `ring`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh_sftp::client::SftpSession;
use russh_sftp::protocol::OpenFlags;
use switchyard_core::fulfillment::TargetError;
use tokio::io::AsyncWriteExt;

/// Where and as whom to log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SftpSettings {
    pub host: String,
    pub port: u16,
    pub user: String,
    /// An OpenSSH private key file without a passphrase.
    pub private_key_path: PathBuf,
    /// The server's key as `ssh-ed25519 AAAA…` (a `known_hosts`/`.pub` line, host names allowed
    /// in front) or its fingerprint `SHA256:…`.
    pub host_key: String,
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SftpError {
    #[error("cannot reach {address}: {reason}")]
    Connect { address: String, reason: String },
    #[error("host key of {address} is {actual}, expected {expected}: refusing to connect")]
    HostKeyMismatch {
        address: String,
        expected: String,
        actual: String,
    },
    #[error("host_key `{0}` is neither an OpenSSH public key nor a SHA256: fingerprint")]
    BadHostKey(String),
    #[error("private key {path}: {reason}")]
    PrivateKey { path: String, reason: String },
    #[error("user `{user}` was refused by {address}")]
    AuthRejected { user: String, address: String },
    #[error("sftp {operation} {path}: {reason}")]
    Io {
        operation: &'static str,
        path: String,
        reason: String,
    },
}

impl From<SftpError> for TargetError {
    fn from(err: SftpError) -> Self {
        match err {
            SftpError::Connect { .. } | SftpError::Io { .. } => {
                TargetError::Transport(err.to_string())
            }
            SftpError::HostKeyMismatch { .. }
            | SftpError::BadHostKey(_)
            | SftpError::PrivateKey { .. }
            | SftpError::AuthRejected { .. } => TargetError::Auth(err.to_string()),
        }
    }
}

/// The configured host key, parsed once.
#[derive(Debug, Clone)]
enum ExpectedKey {
    Key(Box<PublicKey>),
    Fingerprint(String),
}

impl ExpectedKey {
    fn parse(text: &str) -> Result<Self, SftpError> {
        let text = text.trim();
        if text.starts_with("SHA256:") {
            return Ok(ExpectedKey::Fingerprint(text.to_string()));
        }
        // `[host]:port ssh-ed25519 AAAA… comment`, `ssh-ed25519 AAAA…` or bare base64.
        let words: Vec<&str> = text.split_whitespace().collect();
        let base64 = words
            .iter()
            .position(|w| w.starts_with("ssh-") || w.starts_with("ecdsa-"))
            .and_then(|i| words.get(i + 1))
            .or(words.first())
            .ok_or_else(|| SftpError::BadHostKey(text.to_string()))?;
        russh::keys::parse_public_key_base64(base64)
            .map(|k| ExpectedKey::Key(Box::new(k)))
            .map_err(|_| SftpError::BadHostKey(text.to_string()))
    }

    fn matches(&self, key: &PublicKey) -> bool {
        match self {
            ExpectedKey::Key(expected) => expected.key_data() == key.key_data(),
            ExpectedKey::Fingerprint(f) => key.fingerprint(HashAlg::Sha256).to_string() == *f,
        }
    }

    fn describe(&self) -> String {
        match self {
            ExpectedKey::Key(k) => k.fingerprint(HashAlg::Sha256).to_string(),
            ExpectedKey::Fingerprint(f) => f.clone(),
        }
    }
}

/// Checks the server's key; remembers what it saw so a refusal can name it.
struct HostKeyCheck {
    expected: ExpectedKey,
    seen: Arc<std::sync::Mutex<Option<String>>>,
}

impl client::Handler for HostKeyCheck {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let key = match server_public_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            PublicKeyOrCertificate::Certificate(cert) => PublicKey::from(cert.public_key().clone()),
        };
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(key.fingerprint(HashAlg::Sha256).to_string());
        }
        Ok(self.expected.matches(&key))
    }
}

/// A directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    pub name: String,
    pub size: u64,
}

/// One logged-in SFTP session. Dropping it closes the connection.
pub struct SftpConnection {
    sftp: SftpSession,
    ssh: Handle<HostKeyCheck>,
}

impl SftpConnection {
    /// Connects, checks the host key, logs in with the private key and opens the `sftp`
    /// subsystem.
    pub async fn connect(settings: &SftpSettings) -> Result<Self, SftpError> {
        let address = format!("{}:{}", settings.host, settings.port);
        let expected = ExpectedKey::parse(&settings.host_key)?;
        let key = russh::keys::load_secret_key(&settings.private_key_path, None).map_err(|e| {
            SftpError::PrivateKey {
                path: settings.private_key_path.display().to_string(),
                reason: e.to_string(),
            }
        })?;
        let config = Arc::new(client::Config {
            inactivity_timeout: Some(settings.timeout.max(Duration::from_secs(1)) * 4),
            ..client::Config::default()
        });
        let seen = Arc::new(std::sync::Mutex::new(None));
        let handler = HostKeyCheck {
            expected: expected.clone(),
            seen: seen.clone(),
        };
        let connecting = client::connect(config, (settings.host.as_str(), settings.port), handler);
        let connected = tokio::time::timeout(settings.timeout, connecting)
            .await
            .map_err(|_| SftpError::Connect {
                address: address.clone(),
                reason: format!("no answer within {:?}", settings.timeout),
            })?;
        let mut ssh = match connected {
            Ok(ssh) => ssh,
            Err(russh::Error::UnknownKey) => {
                let actual = seen
                    .lock()
                    .ok()
                    .and_then(|s| s.clone())
                    .unwrap_or_else(|| "unknown".into());
                return Err(SftpError::HostKeyMismatch {
                    address,
                    expected: expected.describe(),
                    actual,
                });
            }
            Err(e) => {
                return Err(SftpError::Connect {
                    address,
                    reason: e.to_string(),
                });
            }
        };
        let hash = ssh
            .best_supported_rsa_hash()
            .await
            .map_err(|e| SftpError::Connect {
                address: address.clone(),
                reason: e.to_string(),
            })?
            .flatten();
        let auth = ssh
            .authenticate_publickey(
                settings.user.clone(),
                PrivateKeyWithHashAlg::new(Arc::new(key), hash),
            )
            .await
            .map_err(|e| SftpError::Connect {
                address: address.clone(),
                reason: e.to_string(),
            })?;
        if !auth.success() {
            return Err(SftpError::AuthRejected {
                user: settings.user.clone(),
                address,
            });
        }
        let session_error = |e: String| SftpError::Connect {
            address: address.clone(),
            reason: format!("sftp subsystem: {e}"),
        };
        let channel = ssh
            .channel_open_session()
            .await
            .map_err(|e| session_error(e.to_string()))?;
        channel
            .request_subsystem(true, "sftp")
            .await
            .map_err(|e| session_error(e.to_string()))?;
        let sftp = SftpSession::new(channel.into_stream())
            .await
            .map_err(|e| session_error(e.to_string()))?;
        sftp.set_timeout(settings.timeout.as_secs().max(1));
        Ok(Self { sftp, ssh })
    }

    /// Regular files in `dir`, sorted by name (partners name files by time or sequence).
    pub async fn list(&self, dir: &str) -> Result<Vec<RemoteFile>, SftpError> {
        let entries = self
            .sftp
            .read_dir(dir)
            .await
            .map_err(|e| io("list", dir, e))?;
        let mut files: Vec<RemoteFile> = entries
            .filter(|e| e.file_type().is_file())
            .map(|e| RemoteFile {
                name: e.file_name(),
                size: e.metadata().len(),
            })
            .collect();
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }

    pub async fn get(&self, path: &str) -> Result<Vec<u8>, SftpError> {
        self.sftp.read(path).await.map_err(|e| io("get", path, e))
    }

    pub async fn exists(&self, path: &str) -> Result<bool, SftpError> {
        self.sftp
            .try_exists(path)
            .await
            .map_err(|e| io("stat", path, e))
    }

    /// Writes `path.tmp`, then renames it over `path`, so the partner never picks up half a
    /// file. An existing `path` is replaced (a crash-retry overwrites, it does not duplicate).
    pub async fn put_atomic(&self, path: &str, data: &[u8]) -> Result<(), SftpError> {
        let tmp = format!("{path}.tmp");
        let mut file = self
            .sftp
            .open_with_flags(
                tmp.clone(),
                OpenFlags::CREATE | OpenFlags::TRUNCATE | OpenFlags::WRITE,
            )
            .await
            .map_err(|e| io("put", &tmp, e))?;
        file.write_all(data)
            .await
            .map_err(|e| io("put", &tmp, e.to_string()))?;
        file.shutdown()
            .await
            .map_err(|e| io("put", &tmp, e.to_string()))?;
        self.replace(&tmp, path).await
    }

    /// Renames `from` to `to`, replacing `to`. SFTP v3 renames refuse an existing target, so
    /// it is removed first.
    pub async fn replace(&self, from: &str, to: &str) -> Result<(), SftpError> {
        if self.exists(to).await? {
            self.remove(to).await?;
        }
        self.rename(from, to).await
    }

    pub async fn rename(&self, from: &str, to: &str) -> Result<(), SftpError> {
        self.sftp
            .rename(from, to)
            .await
            .map_err(|e| io("rename", &format!("{from} → {to}"), e))
    }

    pub async fn remove(&self, path: &str) -> Result<(), SftpError> {
        self.sftp
            .remove_file(path)
            .await
            .map_err(|e| io("remove", path, e))
    }

    /// Creates `dir` unless it exists.
    pub async fn ensure_dir(&self, dir: &str) -> Result<(), SftpError> {
        if self.exists(dir).await? {
            return Ok(());
        }
        self.sftp
            .create_dir(dir)
            .await
            .map_err(|e| io("mkdir", dir, e))
    }

    pub async fn close(self) {
        let _ = self.sftp.close().await;
        let _ = self
            .ssh
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    }
}

fn io(operation: &'static str, path: &str, reason: impl ToString) -> SftpError {
    SftpError::Io {
        operation,
        path: path.to_string(),
        reason: reason.to_string(),
    }
}

/// `dir/name`, without doubling the slash.
pub fn join(dir: &str, name: &str) -> String {
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_keys_parse_from_lines_fingerprints_and_refuse_junk() {
        let line = "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl comment";
        let ExpectedKey::Key(key) = ExpectedKey::parse(line).unwrap() else {
            panic!("a key line is a key");
        };
        let fp = key.fingerprint(HashAlg::Sha256).to_string();
        assert!(ExpectedKey::parse(&fp).unwrap().matches(&key));
        assert!(ExpectedKey::parse(line).unwrap().matches(&key));
        assert!(matches!(
            ExpectedKey::parse("not a key"),
            Err(SftpError::BadHostKey(_))
        ));
        assert_eq!(join("inbox/", "a.edi"), "inbox/a.edi");
        assert_eq!(join("", "a.edi"), "a.edi");
    }
}
