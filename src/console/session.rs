//! Console sessions: a log-in with an admin token (checked like the API's bearer tokens:
//! SHA-256, compared in constant time with every configured hash) opens a session kept in
//! memory under a random 256-bit id. The browser holds only that id, in an HttpOnly,
//! SameSite=Strict cookie scoped to `/ui`; the token itself is never stored or sent back.
//! Each session has its own CSRF token, which every form carries and every POST must match.
//! Sessions end at log-out, after [`IDLE_MS`] without a request, or when the daemon stops.

use std::collections::HashMap;
use std::sync::Mutex;

use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use switchyard_core::config::{AdminRole, Config};
use switchyard_core::store::now_ms;

/// The cookie's name.
pub const COOKIE: &str = "switchyard_console";
/// A session unused this long is gone.
pub const IDLE_MS: i64 = 8 * 3_600_000;
/// The most sessions kept at once; the oldest idle ones go first.
const MAX_SESSIONS: usize = 1000;

/// One configured token.
struct Token {
    name: String,
    hash: [u8; 32],
    role: AdminRole,
}

/// A logged-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// The token's name: the actor recorded for every action (`ui:<name>`).
    pub name: String,
    pub role: AdminRole,
    /// The token every form of this session carries.
    pub csrf: String,
    last_used_ms: i64,
    /// A message for the next page (after a form's redirect): (ok, text).
    pub flash: Option<(bool, String)>,
}

pub struct Sessions {
    tokens: Vec<Token>,
    open: Mutex<HashMap<String, Session>>,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b): ([u8; 32], [u8; 32]) = (Sha256::digest(a).into(), Sha256::digest(b).into());
    bool::from(a.ct_eq(&b))
}

impl Sessions {
    pub fn new(config: &Config) -> Self {
        let tokens = config
            .admin
            .tokens
            .iter()
            .filter_map(|t| {
                let bytes = hex::decode(t.sha256.trim()).ok()?;
                let hash: [u8; 32] = bytes.try_into().ok()?;
                Some(Token {
                    name: t.name.clone(),
                    hash,
                    role: t.role,
                })
            })
            .collect();
        Sessions {
            tokens,
            open: Mutex::new(HashMap::new()),
        }
    }

    /// Opens a session for a known token; returns its id.
    pub fn log_in(&self, presented: &str) -> Option<String> {
        let presented = presented.trim();
        if presented.is_empty() {
            return None;
        }
        let hash: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found: Option<&Token> = None;
        for t in &self.tokens {
            if bool::from(t.hash.ct_eq(&hash)) {
                found = Some(t);
            }
        }
        let token = found?;
        let id = random_hex();
        let now = now_ms();
        let session = Session {
            name: token.name.clone(),
            role: token.role,
            csrf: random_hex(),
            last_used_ms: now,
            flash: None,
        };
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.retain(|_, s| now - s.last_used_ms < IDLE_MS);
        if open.len() >= MAX_SESSIONS
            && let Some(oldest) = open
                .iter()
                .min_by_key(|(_, s)| s.last_used_ms)
                .map(|(k, _)| k.clone())
        {
            open.remove(&oldest);
        }
        open.insert(id.clone(), session);
        Some(id)
    }

    /// The session `id` names, still fresh; takes its flash message with it.
    pub fn get(&self, id: &str) -> Option<Session> {
        let now = now_ms();
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = open.get(id).is_some_and(|s| now - s.last_used_ms < IDLE_MS);
        if !fresh {
            open.remove(id);
            return None;
        }
        let s = open.get_mut(id)?;
        s.last_used_ms = now;
        let session = s.clone();
        s.flash = None;
        Some(session)
    }

    /// Leaves a message for the session's next page.
    pub fn flash(&self, id: &str, ok: bool, text: String) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = open.get_mut(id) {
            s.flash = Some((ok, text));
        }
    }

    pub fn log_out(&self, id: &str) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(token: &str, role: &str) -> Config {
        let hash = hex::encode(Sha256::digest(token.as_bytes()));
        serde_saphyr::from_str(&format!(
            "channels: []\nlocations:\n  - id: main\n    kind: self\nadmin:\n  listen: 127.0.0.1:0\n  tokens:\n    - name: ann\n      sha256: {hash}\n      role: {role}\n"
        ))
        .unwrap()
    }

    #[test]
    fn a_known_token_opens_a_session_with_its_own_csrf_token() {
        let s = Sessions::new(&config("s3cret", "operator"));
        assert!(s.log_in("wrong").is_none());
        assert!(s.log_in("").is_none());
        let id = s.log_in("s3cret").unwrap();
        assert_eq!(id.len(), 64);
        let session = s.get(&id).unwrap();
        assert_eq!(
            (session.name.as_str(), session.role),
            ("ann", AdminRole::Operator)
        );
        assert!(!session.csrf.contains("s3cret") && session.csrf.len() == 64);
        let other = s.log_in("s3cret").unwrap();
        assert_ne!(s.get(&other).unwrap().csrf, session.csrf);
        s.log_out(&id);
        assert!(s.get(&id).is_none());
    }

    #[test]
    fn a_flash_message_is_shown_once() {
        let s = Sessions::new(&config("t", "viewer"));
        let id = s.log_in("t").unwrap();
        s.flash(&id, true, "done".into());
        assert_eq!(s.get(&id).unwrap().flash, Some((true, "done".into())));
        assert_eq!(s.get(&id).unwrap().flash, None);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
    }
}
