//! Exceptions: the things a person must look at (an order held, a dead letter, a channel whose
//! credentials fail …), one row per (kind, subject), raised and cleared by the workers that see
//! the cause, acknowledged or resolved by an operator. Pure rules: each takes the row a store
//! loaded (if any) and returns the typed change to write; stores decide nothing.
//!
//! Raising an exception that is open again bumps its count and last time (no new alert);
//! raising one that was resolved opens it again (a new alert). Clearing resolves it when the
//! cause went away; an operator's acknowledgement keeps it listed but stops reminders.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What kind of thing needs a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    /// An order the router could not place (or a partial refusal): `orders release`.
    OrderHeld,
    /// An order line whose SKU nobody carries.
    UnknownSku,
    /// A delivery that could not be read or broke an input rule.
    PayloadQuarantined,
    /// A side effect that ran out of attempts: `dead-letters replay`.
    DeadLetter,
    /// A partner event parked after its retries: `partners retry`.
    PartnerEventFailed,
    /// A partner that did not ship within `ship_within_secs`.
    PartnerOverdue,
    /// An order not shipped with less than `late_margin_secs` before its ship-by.
    ShipLate,
    /// A channel refusing Switchyard's credentials.
    ChannelAuthFailing,
    /// A channel not polled successfully for three poll intervals.
    ChannelNotPolled,
    /// Stock changes waiting longer than `alerts.push_lag_secs` to reach a channel.
    PushLag,
    /// The stock audit found a violation.
    AuditViolation,
    /// A channel's levels differed from what Switchyard believed it holds.
    DriftFound,
}

impl ExceptionKind {
    pub const ALL: [ExceptionKind; 12] = [
        ExceptionKind::OrderHeld,
        ExceptionKind::UnknownSku,
        ExceptionKind::PayloadQuarantined,
        ExceptionKind::DeadLetter,
        ExceptionKind::PartnerEventFailed,
        ExceptionKind::PartnerOverdue,
        ExceptionKind::ShipLate,
        ExceptionKind::ChannelAuthFailing,
        ExceptionKind::ChannelNotPolled,
        ExceptionKind::PushLag,
        ExceptionKind::AuditViolation,
        ExceptionKind::DriftFound,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionKind::OrderHeld => "order_held",
            ExceptionKind::UnknownSku => "unknown_sku",
            ExceptionKind::PayloadQuarantined => "payload_quarantined",
            ExceptionKind::DeadLetter => "dead_letter",
            ExceptionKind::PartnerEventFailed => "partner_event_failed",
            ExceptionKind::PartnerOverdue => "partner_overdue",
            ExceptionKind::ShipLate => "ship_late",
            ExceptionKind::ChannelAuthFailing => "channel_auth_failing",
            ExceptionKind::ChannelNotPolled => "channel_not_polled",
            ExceptionKind::PushLag => "push_lag",
            ExceptionKind::AuditViolation => "audit_violation",
            ExceptionKind::DriftFound => "drift_found",
        }
    }
}

impl fmt::Display for ExceptionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no kind or state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{given}` is not one of {expected}")]
pub struct UnknownName {
    pub given: String,
    pub expected: String,
}

impl FromStr for ExceptionKind {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ExceptionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownName {
                given: s.to_string(),
                expected: ExceptionKind::ALL.map(ExceptionKind::as_str).join(", "),
            })
    }
}

/// Where an exception stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionState {
    /// Needs a person; reminded every `alerts.reminder_secs`.
    Open,
    /// A person has seen it; still listed until its cause goes away or it is resolved.
    Acknowledged,
    /// Its cause went away (cleared by a worker) or a person resolved it.
    Resolved,
}

impl ExceptionState {
    pub const ALL: [ExceptionState; 3] = [
        ExceptionState::Open,
        ExceptionState::Acknowledged,
        ExceptionState::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionState::Open => "open",
            ExceptionState::Acknowledged => "acknowledged",
            ExceptionState::Resolved => "resolved",
        }
    }

    /// Open or acknowledged: not yet resolved.
    pub fn is_active(self) -> bool {
        self != ExceptionState::Resolved
    }
}

impl fmt::Display for ExceptionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExceptionState {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ExceptionState::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownName {
                given: s.to_string(),
                expected: ExceptionState::ALL.map(ExceptionState::as_str).join(", "),
            })
    }
}

/// What an exception is about, stored as `order:12`, `channel:shop`, `location:acme`,
/// `sku:MUG`, `dead_letter:3`, `delivery:40` (an inbox row), `partner_event:9`, `stock`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    Order(i64),
    Channel(String),
    Location(String),
    Sku(String),
    DeadLetter(i64),
    Delivery(i64),
    PartnerEvent(i64),
    /// The stock record as a whole (the audit).
    Stock,
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Order(id) => write!(f, "order:{id}"),
            Subject::Channel(id) => write!(f, "channel:{id}"),
            Subject::Location(id) => write!(f, "location:{id}"),
            Subject::Sku(sku) => write!(f, "sku:{sku}"),
            Subject::DeadLetter(id) => write!(f, "dead_letter:{id}"),
            Subject::Delivery(id) => write!(f, "delivery:{id}"),
            Subject::PartnerEvent(id) => write!(f, "partner_event:{id}"),
            Subject::Stock => f.write_str("stock"),
        }
    }
}

/// The identity an exception is de-duplicated on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExceptionKey {
    pub kind: ExceptionKind,
    pub subject: Subject,
}

impl ExceptionKey {
    pub fn new(kind: ExceptionKind, subject: Subject) -> Self {
        ExceptionKey { kind, subject }
    }
}

/// The stored part of an exception the rules read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    pub state: ExceptionState,
    pub count: i64,
}

/// What raising does to the row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Raise {
    /// No row yet: insert one, open, count 1, first = last = now; queue an alert.
    Insert,
    /// Open or acknowledged already: count + 1, last = now, the newer message; no alert.
    Bump { count: i64 },
    /// Resolved before: open again, count 1, first = last = now; queue an alert.
    Reopen,
}

impl Raise {
    /// Whether this raise opens the exception (and so sends an alert).
    pub fn opens(&self) -> bool {
        !matches!(self, Raise::Bump { .. })
    }
}

pub fn raise(current: Option<&Current>) -> Raise {
    match current {
        None => Raise::Insert,
        Some(c) if c.state.is_active() => Raise::Bump {
            count: c.count.saturating_add(1),
        },
        Some(_) => Raise::Reopen,
    }
}

/// A state change asked for, or `None` when nothing is to change (cleared already).
pub fn clear(current: Option<&Current>) -> Option<ExceptionState> {
    match current {
        Some(c) if c.state.is_active() => Some(ExceptionState::Resolved),
        _ => None,
    }
}

/// What a periodic check (a level, not an event) does to one subject's exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Seen now and never before: open it (an alert).
    Open,
    /// Gone while active: resolve it.
    Clear,
    /// Nothing to change: still seen and known (a person's acknowledgement or resolution
    /// stands while the cause lasts), or gone and not active.
    Keep,
}

pub fn level(current: Option<&Current>, present: bool) -> Level {
    match (current, present) {
        (None, true) => Level::Open,
        (Some(c), false) if c.state.is_active() => Level::Clear,
        _ => Level::Keep,
    }
}

/// Why an operator's change is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("exception is already {0}")]
    Already(ExceptionState),
    #[error("exception is resolved; it opens again if its cause comes back")]
    Resolved,
}

/// An operator acknowledges: only an open exception.
pub fn acknowledge(current: &Current) -> Result<ExceptionState, Refusal> {
    match current.state {
        ExceptionState::Open => Ok(ExceptionState::Acknowledged),
        ExceptionState::Acknowledged => Err(Refusal::Already(ExceptionState::Acknowledged)),
        ExceptionState::Resolved => Err(Refusal::Resolved),
    }
}

/// An operator resolves: an open or acknowledged exception.
pub fn resolve(current: &Current) -> Result<ExceptionState, Refusal> {
    match current.state {
        ExceptionState::Open | ExceptionState::Acknowledged => Ok(ExceptionState::Resolved),
        ExceptionState::Resolved => Err(Refusal::Already(ExceptionState::Resolved)),
    }
}

/// Whether an open exception is due a reminder: still open (not acknowledged), and its last
/// alert at least `every_ms` ago. `every_ms` 0 turns reminders off.
pub fn reminder_due(state: ExceptionState, alerted_at_ms: i64, now_ms: i64, every_ms: i64) -> bool {
    every_ms > 0
        && state == ExceptionState::Open
        && now_ms.saturating_sub(alerted_at_ms) >= every_ms
}

/// Why an alert was queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertReason {
    Opened,
    Reminder,
}

impl AlertReason {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertReason::Opened => "opened",
            AlertReason::Reminder => "reminder",
        }
    }
}

impl FromStr for AlertReason {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "opened" => Ok(AlertReason::Opened),
            "reminder" => Ok(AlertReason::Reminder),
            other => Err(UnknownName {
                given: other.to_string(),
                expected: "opened, reminder".into(),
            }),
        }
    }
}

/// One queued alert, as the sender reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertItem {
    pub id: i64,
    pub at: i64,
    pub reason: AlertReason,
    pub exception_id: i64,
    pub kind: ExceptionKind,
    pub subject: String,
    pub message: String,
}

/// The most alert lines one message lists; the rest are counted.
pub const MAX_LINES: usize = 20;

/// Folds a burst of alerts into one message: a summary line, then one line per alert (at
/// most [`MAX_LINES`], then how many more).
pub fn fold(items: &[AlertItem]) -> String {
    let opened = items
        .iter()
        .filter(|i| i.reason == AlertReason::Opened)
        .count();
    let reminders = items.len() - opened;
    let mut head = match (opened, reminders) {
        (o, 0) => format!("Switchyard: {o} new exception{}", plural(o)),
        (0, r) => format!("Switchyard: {r} exception{} still open", plural(r)),
        (o, r) => format!("Switchyard: {o} new exception{}, {r} still open", plural(o)),
    };
    for i in items.iter().take(MAX_LINES) {
        let mark = match i.reason {
            AlertReason::Opened => "new",
            AlertReason::Reminder => "still open",
        };
        head.push_str(&format!(
            "\n• [{}] {} ({mark}, #{}): {}",
            i.kind, i.subject, i.exception_id, i.message
        ));
    }
    if items.len() > MAX_LINES {
        head.push_str(&format!("\n… and {} more", items.len() - MAX_LINES));
    }
    head
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(state: ExceptionState, count: i64) -> Current {
        Current { state, count }
    }

    #[test]
    fn raising_inserts_bumps_or_reopens() {
        assert_eq!(raise(None), Raise::Insert);
        assert!(raise(None).opens());
        let bump = raise(Some(&cur(ExceptionState::Open, 2)));
        assert_eq!(bump, Raise::Bump { count: 3 });
        assert!(!bump.opens());
        assert_eq!(
            raise(Some(&cur(ExceptionState::Acknowledged, 1))),
            Raise::Bump { count: 2 }
        );
        assert_eq!(
            raise(Some(&cur(ExceptionState::Resolved, 7))),
            Raise::Reopen
        );
        assert!(Raise::Reopen.opens());
    }

    #[test]
    fn clearing_resolves_only_active_ones() {
        assert_eq!(clear(None), None);
        assert_eq!(
            clear(Some(&cur(ExceptionState::Open, 1))),
            Some(ExceptionState::Resolved)
        );
        assert_eq!(
            clear(Some(&cur(ExceptionState::Acknowledged, 1))),
            Some(ExceptionState::Resolved)
        );
        assert_eq!(clear(Some(&cur(ExceptionState::Resolved, 1))), None);
    }

    #[test]
    fn a_level_opens_once_and_clears_when_gone() {
        let open = cur(ExceptionState::Open, 1);
        let done = cur(ExceptionState::Resolved, 1);
        assert_eq!(level(None, true), Level::Open);
        assert_eq!(level(None, false), Level::Keep);
        assert_eq!(level(Some(&open), true), Level::Keep);
        assert_eq!(level(Some(&open), false), Level::Clear);
        assert_eq!(level(Some(&done), true), Level::Keep);
        assert_eq!(level(Some(&done), false), Level::Keep);
    }

    #[test]
    fn operators_move_forward_only() {
        let open = cur(ExceptionState::Open, 1);
        let acked = cur(ExceptionState::Acknowledged, 1);
        let done = cur(ExceptionState::Resolved, 1);
        assert_eq!(acknowledge(&open), Ok(ExceptionState::Acknowledged));
        assert_eq!(
            acknowledge(&acked),
            Err(Refusal::Already(ExceptionState::Acknowledged))
        );
        assert_eq!(acknowledge(&done), Err(Refusal::Resolved));
        assert_eq!(resolve(&open), Ok(ExceptionState::Resolved));
        assert_eq!(resolve(&acked), Ok(ExceptionState::Resolved));
        assert_eq!(
            resolve(&done),
            Err(Refusal::Already(ExceptionState::Resolved))
        );
    }

    #[test]
    fn reminders_only_for_open_ones_after_the_interval() {
        assert!(reminder_due(ExceptionState::Open, 0, 1000, 1000));
        assert!(!reminder_due(ExceptionState::Open, 1, 1000, 1000));
        assert!(!reminder_due(ExceptionState::Acknowledged, 0, 5000, 1000));
        assert!(!reminder_due(ExceptionState::Resolved, 0, 5000, 1000));
        assert!(!reminder_due(ExceptionState::Open, 0, 5000, 0));
    }

    #[test]
    fn names_round_trip() {
        for k in ExceptionKind::ALL {
            assert_eq!(k.as_str().parse::<ExceptionKind>(), Ok(k));
        }
        for s in ExceptionState::ALL {
            assert_eq!(s.as_str().parse::<ExceptionState>(), Ok(s));
        }
        assert!("nope".parse::<ExceptionKind>().is_err());
        assert_eq!(Subject::Order(4).to_string(), "order:4");
        assert_eq!(Subject::Channel("shop".into()).to_string(), "channel:shop");
        assert_eq!(Subject::Stock.to_string(), "stock");
    }

    fn item(id: i64, reason: AlertReason) -> AlertItem {
        AlertItem {
            id,
            at: 0,
            reason,
            exception_id: id,
            kind: ExceptionKind::DeadLetter,
            subject: format!("dead_letter:{id}"),
            message: "write-back failed".into(),
        }
    }

    #[test]
    fn a_burst_folds_into_one_message() {
        let one = fold(&[item(1, AlertReason::Opened)]);
        assert_eq!(
            one,
            "Switchyard: 1 new exception\n• [dead_letter] dead_letter:1 (new, #1): write-back failed"
        );
        let many: Vec<AlertItem> = (1..=25)
            .map(|i| {
                item(
                    i,
                    if i % 5 == 0 {
                        AlertReason::Reminder
                    } else {
                        AlertReason::Opened
                    },
                )
            })
            .collect();
        let text = fold(&many);
        assert!(text.starts_with("Switchyard: 20 new exceptions, 5 still open"));
        assert_eq!(text.lines().count(), 1 + MAX_LINES + 1);
        assert!(text.ends_with("… and 5 more"));
    }
}
