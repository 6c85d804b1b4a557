//! The application layer: every operator query and command, typed, with its checks, called by
//! both the CLI (`src/cli`, which only parses arguments and prints) and the admin API
//! (`src/api`, which only maps HTTP to these calls). Every command is recorded in the
//! operator action log with who gave it and what came of it, refused or not.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use switchyard_core::config::Config;
use switchyard_core::exceptions::{ExceptionKind, Subject};
use switchyard_core::ports::Channel;
use switchyard_core::store::{
    ActionRecord, ActionRow, CancelRequest, DeadLetter, Drift, HeldOrder, LedgerEntry, ListingRow,
    OnHandRow, OnHandSource, OperatorStore, OrderDetail, OrderFilter, OrderListRow, PickLine,
    QuarantineRow, ReleaseReceipt, ShipReceipt, Store, StoreError, TargetEventRow, TimelineEvent,
    now_ms,
};
use thiserror::Error;

use crate::daemon::auditor::{self, AuditReport};

mod exceptions;

pub use exceptions::{ChannelHealth, PartnerHealth};
mod events;
pub use events::{EventPage, WebhookStatus, parse_types};
mod cancel;
pub use cancel::CancelCommand;
mod insight;
mod leases;
pub use insight::{
    CancellationRate, Dashboard, ExceptionItem, KpiReport, MAX_KPI_WINDOW_MS, OnTimeRate,
    PartnerKpi, day_start,
};
mod returns;
pub use returns::{ReturnsQuery, rma_states};

/// Fulfilment states an order can be in (`orders.fulfil_state`).
pub const ORDER_STATES: [&str; 7] = [
    "waiting",
    "to_route",
    "routed",
    "held",
    "rerouting",
    "shipped",
    "closed",
];

/// The most rows one admin API list call returns (the CLI is not capped).
pub const MAX_LIMIT: i64 = 1000;

/// The largest on-hand count accepted: far above any shelf, and sums of such counts over
/// many locations stay well inside 64 bits.
pub const MAX_QUANTITY: i64 = 1_000_000_000;

#[derive(Debug, Error)]
pub enum AppError {
    /// The request itself is wrong; `field` names what to fix.
    #[error("{field}: {message}")]
    BadInput { field: String, message: String },
    #[error("not found: {0}")]
    NotFound(String),
    /// The state does not allow it (already replayed, not held, nothing reserved there).
    #[error("{0}")]
    Conflict(String),
    /// The store cannot be used now (disk full, locked); try again later.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// A channel or partner failed to answer (drift checks read every channel).
    #[error("{0}")]
    Upstream(String),
    #[error("{0}")]
    Failed(String),
}

impl AppError {
    pub fn bad(field: &str, message: impl Into<String>) -> Self {
        AppError::BadInput {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// How the action log names the outcome.
    fn outcome(&self) -> &'static str {
        match self {
            AppError::BadInput { .. } | AppError::NotFound(_) | AppError::Conflict(_) => "refused",
            AppError::Unavailable(_) | AppError::Upstream(_) | AppError::Failed(_) => "failed",
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            return AppError::Unavailable(e.to_string());
        }
        match e {
            StoreError::NotFound(what) => AppError::NotFound(what),
            StoreError::Conflict(why) => AppError::Conflict(why),
            other => AppError::Failed(other.to_string()),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<StoreError>() {
            Ok(store) => store.into(),
            Err(other) => AppError::Failed(format!("{other:#}")),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// Who gives a command: `cli:<login>` or `api:<token name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    via: &'static str,
    name: Option<String>,
}

impl Actor {
    /// The CLI: the name given (`--by`), else the login name, else just `cli`.
    pub fn cli(by: Option<&str>) -> Self {
        let name = by
            .map(str::to_string)
            .or_else(|| std::env::var("USER").ok())
            .map(|w| w.trim().to_string())
            .filter(|w| !w.is_empty());
        Actor { via: "cli", name }
    }

    /// The admin API, by the name of the token used.
    pub fn api(token_name: &str) -> Self {
        Actor {
            via: "api",
            name: Some(token_name.to_string()),
        }
    }

    /// The web console, by the name of the token its session logged in with.
    pub fn console(token_name: &str) -> Self {
        Actor {
            via: "ui",
            name: Some(token_name.to_string()),
        }
    }

    /// As the action log records it.
    pub fn id(&self) -> String {
        match &self.name {
            Some(n) => format!("{}:{n}", self.via),
            None => self.via.to_string(),
        }
    }

    /// As a routing explanation names an operator's decision.
    pub fn decided_by(&self) -> String {
        match &self.name {
            Some(n) if self.via == "cli" => format!("operator {n}"),
            Some(n) => format!("operator {n} ({})", self.via),
            None => "operator".into(),
        }
    }
}

/// An order with everything recorded about it.
#[derive(Debug, Clone, Serialize)]
pub struct OrderView {
    #[serde(flatten)]
    pub detail: OrderDetail,
    pub ledger: Vec<LedgerEntry>,
    pub timeline: Vec<TimelineEvent>,
}

/// On-hand per (SKU, location) and what each channel lists.
#[derive(Debug, Clone, Serialize)]
pub struct StockView {
    pub levels: Vec<OnHandRow>,
    pub listings: Vec<ListingRow>,
}

/// A parcel to record.
#[derive(Debug, Clone, Serialize)]
pub struct ShipCommand {
    pub order: String,
    pub carrier: String,
    pub tracking: String,
    /// Ship what is reserved here; `None`: every own warehouse.
    pub location: Option<String>,
}

/// What `ship` did, with the locations the parcel left from.
#[derive(Debug, Clone, Serialize)]
pub struct ShipOutcome {
    #[serde(flatten)]
    pub receipt: ShipReceipt,
    pub from: Vec<String>,
}

/// `orders late` without a margin or a readable configuration (the configuration's default).
const DEFAULT_LATE_MARGIN_SECS: u64 = 4 * 3600;

/// The operator's surface over one store.
pub struct Operations {
    store: Arc<dyn Store>,
    ops: Arc<dyn OperatorStore>,
    config: Option<Arc<Config>>,
    /// Why there is no configuration, when there is none (`--store` without a readable file).
    no_config: Option<String>,
    /// Connectors of a running daemon; without them drift checks build their own.
    channels: BTreeMap<String, Arc<dyn Channel>>,
    /// The engine's exceptions (`with_exceptions`).
    exceptions: Option<Arc<dyn switchyard_core::store::ExceptionStore>>,
    /// A running daemon's view of its channels and partners (`with_board`).
    board: Option<Arc<crate::daemon::health::Board>>,
    /// KPI and activity queries (`with_kpis`), where the caller opened them.
    kpis: Option<Arc<dyn switchyard_core::store::KpiStore>>,
    /// The lease table (`with_leases`): which replica works what.
    leases: Option<Arc<dyn switchyard_core::store::LeaseStore>>,
}

impl Operations {
    pub fn new(
        store: Arc<dyn Store>,
        ops: Arc<dyn OperatorStore>,
        config: Result<Arc<Config>, String>,
    ) -> Self {
        let (config, no_config) = match config {
            Ok(c) => (Some(c), None),
            Err(why) => (None, Some(why)),
        };
        Operations {
            store,
            ops,
            config,
            no_config,
            channels: BTreeMap::new(),
            exceptions: None,
            board: None,
            kpis: None,
            leases: None,
        }
    }

    /// Uses a running daemon's connectors for drift checks.
    pub fn with_channels(mut self, channels: BTreeMap<String, Arc<dyn Channel>>) -> Self {
        self.channels = channels;
        self
    }

    pub fn config(&self) -> Option<&Config> {
        self.config.as_deref()
    }

    fn need_config(&self, what: &str) -> AppResult<&Config> {
        self.config.as_deref().ok_or_else(|| {
            AppError::Failed(format!(
                "{what} needs the configuration ({})",
                self.no_config.as_deref().unwrap_or("none loaded")
            ))
        })
    }

    /// Refuses a location the configuration does not name; without a configuration there is
    /// nothing to check against (the CLI's `--store`).
    fn check_location(&self, field: &str, id: &str) -> AppResult<()> {
        if id.trim().is_empty() {
            return Err(AppError::bad(field, "must not be empty"));
        }
        if let Some(config) = self.config()
            && !config.locations.iter().any(|l| l.id == id)
        {
            let known: Vec<&str> = config.locations.iter().map(|l| l.id.as_str()).collect();
            return Err(AppError::bad(
                field,
                format!("unknown location `{id}` (configured: {})", known.join(", ")),
            ));
        }
        Ok(())
    }

    /// Records a command and what came of it. A failure to record is logged, never hides the
    /// command's own result.
    async fn recorded<T: Serialize>(
        &self,
        actor: &Actor,
        action: &str,
        target: String,
        detail: serde_json::Value,
        result: AppResult<T>,
        message: impl FnOnce(&T) -> String,
    ) -> AppResult<T> {
        let (outcome, text) = match &result {
            Ok(v) => ("ok", message(v)),
            Err(e) => (e.outcome(), e.to_string()),
        };
        let record = ActionRecord {
            at: now_ms(),
            actor: actor.id(),
            action: action.to_string(),
            target,
            detail,
            outcome: outcome.to_string(),
            message: text,
        };
        if let Err(e) = self.ops.record_action(&record).await {
            tracing::warn!(action, actor = %record.actor, error = %e, "operator action not recorded");
        }
        result
    }

    /// `order:<id>` when the reference names one order, else the reference itself.
    async fn order_target(&self, order_ref: &str) -> String {
        match self.ops.resolve_order_ref(order_ref).await {
            Ok(Some(id)) => format!("order:{id}"),
            _ => format!("order:{order_ref}"),
        }
    }

    // --- queries ---------------------------------------------------------------------------

    pub async fn orders(&self, filter: &OrderFilter) -> AppResult<Vec<OrderListRow>> {
        check_limit("limit", filter.limit)?;
        if let Some(state) = &filter.state
            && !ORDER_STATES.contains(&state.as_str())
        {
            return Err(AppError::bad(
                "state",
                format!("`{state}` is not one of {}", ORDER_STATES.join(", ")),
            ));
        }
        Ok(self.ops.order_list(filter).await?)
    }

    pub async fn order(&self, order_ref: &str) -> AppResult<OrderView> {
        let detail = self
            .store
            .order(order_ref)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("order `{order_ref}`")))?;
        let id = detail.summary.id;
        Ok(OrderView {
            ledger: self.ops.order_ledger(id).await?,
            timeline: self.ops.order_timeline(id).await?,
            detail,
        })
    }

    /// The order alone (the CLI's `orders show`), without ledger and timeline.
    pub async fn order_detail(&self, order_ref: &str) -> AppResult<OrderDetail> {
        self.store
            .order(order_ref)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("order `{order_ref}`")))
    }

    pub async fn holds(&self, limit: i64) -> AppResult<Vec<HeldOrder>> {
        check_limit("limit", limit)?;
        Ok(self.store.held_orders(limit).await?)
    }

    /// Orders at risk of shipping late at `now_ms`: less than `margin_secs` (default the
    /// configuration's `late_margin_secs`, else 4 h) left before their ship-by. Returns the
    /// margin used with the orders, soonest first.
    pub async fn late_orders(
        &self,
        now_ms: i64,
        margin_secs: Option<u64>,
        limit: i64,
    ) -> AppResult<(u64, Vec<switchyard_core::store::LateOrder>)> {
        check_limit("limit", limit)?;
        let margin = margin_secs
            .or(self.config().map(|c| c.late_margin_secs))
            .unwrap_or(DEFAULT_LATE_MARGIN_SECS);
        Ok((margin, self.store.late_orders(now_ms, margin, limit).await?))
    }

    pub async fn dead_letters(&self, limit: i64) -> AppResult<Vec<DeadLetter>> {
        check_limit("limit", limit)?;
        Ok(self.store.dead_letters(limit).await?)
    }

    pub async fn partner_events(
        &self,
        failed_only: bool,
        limit: i64,
    ) -> AppResult<Vec<TargetEventRow>> {
        check_limit("limit", limit)?;
        Ok(self.store.target_events(failed_only, limit).await?)
    }

    pub async fn quarantine(&self, limit: i64) -> AppResult<Vec<QuarantineRow>> {
        check_limit("limit", limit)?;
        Ok(self.store.quarantined(limit).await?)
    }

    pub async fn stock(&self, sku: Option<&str>) -> AppResult<StockView> {
        let levels = self.store.stock(sku).await?;
        let listings = self
            .store
            .listings(None)
            .await?
            .into_iter()
            .filter(|l| sku.is_none_or(|s| s == l.sku))
            .collect();
        Ok(StockView { levels, listings })
    }

    pub async fn ledger(&self, sku: &str, limit: i64) -> AppResult<Vec<LedgerEntry>> {
        check_sku("sku", sku)?;
        if limit < 1 {
            return Err(AppError::bad("limit", "must be at least 1"));
        }
        Ok(self.store.stock_history(sku, limit).await?)
    }

    pub async fn picks(&self, location: Option<&str>) -> AppResult<Vec<PickLine>> {
        Ok(self.store.picks(location).await?)
    }

    pub async fn actions(&self, target: Option<&str>, limit: i64) -> AppResult<Vec<ActionRow>> {
        check_limit("limit", limit)?;
        Ok(self.ops.actions(target, limit).await?)
    }

    // --- commands --------------------------------------------------------------------------

    /// Records a parcel leaving the own warehouse(s), or the one location named.
    pub async fn ship(&self, actor: &Actor, cmd: ShipCommand) -> AppResult<ShipOutcome> {
        let detail = serde_json::to_value(&cmd).unwrap_or_default();
        let target = self.order_target(&cmd.order).await;
        let result = self.ship_inner(&cmd).await;
        self.recorded(actor, "ship", target, detail, result, |o| {
            format!(
                "shipment {} from {}; write-back key {}",
                o.receipt.shipment_id,
                o.from.join(", "),
                o.receipt.idempotency_key
            )
        })
        .await
    }

    async fn ship_inner(&self, cmd: &ShipCommand) -> AppResult<ShipOutcome> {
        let (carrier, tracking) = (cmd.carrier.trim(), cmd.tracking.trim());
        if carrier.is_empty() {
            return Err(AppError::bad("carrier", "must not be empty"));
        }
        if tracking.is_empty() {
            return Err(AppError::bad("tracking", "must not be empty"));
        }
        let from = match &cmd.location {
            Some(loc) => {
                self.check_location("location", loc)?;
                vec![loc.clone()]
            }
            None => {
                let config = self.need_config(
                    "`ship` without a location (to tell own warehouses from partners)",
                )?;
                let own: Vec<String> = config
                    .locations
                    .iter()
                    .filter(|l| l.adapter.is_none())
                    .map(|l| l.id.clone())
                    .collect();
                if own.is_empty() {
                    return Err(AppError::bad(
                        "location",
                        "no own warehouse (a location without an `adapter`) is configured; name one",
                    ));
                }
                own
            }
        };
        let receipt = self
            .store
            .ship(
                &cmd.order,
                carrier,
                tracking,
                &from,
                chrono::Local::now().fixed_offset(),
            )
            .await?;
        Ok(ShipOutcome { receipt, from })
    }

    /// Sends a held order's held lines to `location`, as this operator's decision.
    pub async fn release(
        &self,
        actor: &Actor,
        order: &str,
        location: &str,
    ) -> AppResult<ReleaseReceipt> {
        let detail = serde_json::json!({"order": order, "location": location});
        let target = self.order_target(order).await;
        let result = async {
            self.check_location("location", location)?;
            Ok(self
                .store
                .release_order(
                    order,
                    location,
                    &actor.decided_by(),
                    chrono::Local::now().fixed_offset(),
                )
                .await?)
        }
        .await;
        if let Ok(r) = &result {
            self.cleared(ExceptionKind::OrderHeld, Subject::Order(r.order_id))
                .await;
        }
        self.recorded(actor, "release", target, detail, result, |r| {
            format!("{} → {}", r.lines.join(", "), r.location_id)
        })
        .await
    }

    /// Puts a dead letter back to work with its original idempotency key.
    pub async fn replay_dead_letter(&self, actor: &Actor, id: i64) -> AppResult<()> {
        let result = self
            .store
            .replay_dead_letter(id)
            .await
            .map_err(AppError::from);
        if result.is_ok() {
            self.cleared(ExceptionKind::DeadLetter, Subject::DeadLetter(id))
                .await;
        }
        self.recorded(
            actor,
            "replay_dead_letter",
            format!("dead_letter:{id}"),
            serde_json::json!({"id": id}),
            result,
            |_| "queued again".into(),
        )
        .await
    }

    /// Puts one parked partner event (or every one, with `None`) back in the queue.
    pub async fn retry_partner_events(&self, actor: &Actor, id: Option<i64>) -> AppResult<u64> {
        let result = self
            .store
            .retry_target_events(id)
            .await
            .map_err(AppError::from);
        match (&result, id) {
            (Ok(_), Some(id)) => {
                self.cleared(ExceptionKind::PartnerEventFailed, Subject::PartnerEvent(id))
                    .await
            }
            (Ok(_), None) => self.cleared_all(ExceptionKind::PartnerEventFailed).await,
            _ => {}
        }
        let target = id.map_or("partner_event:*".to_string(), |i| {
            format!("partner_event:{i}")
        });
        self.recorded(
            actor,
            "retry_partner_event",
            target,
            serde_json::json!({"id": id}),
            result,
            |n| format!("{n} event(s) queued again"),
        )
        .await
    }

    /// Asks the partner at `location` to cancel the order it holds; its lines are re-routed once
    /// the partner confirms.
    pub async fn cancel_at_partner(
        &self,
        actor: &Actor,
        order: &str,
        location: &str,
    ) -> AppResult<CancelRequest> {
        let detail = serde_json::json!({"order": order, "location": location});
        let target = self.order_target(order).await;
        let result = async {
            self.check_location("location", location)?;
            let id = self
                .ops
                .resolve_order_ref(order)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("order `{order}`")))?;
            Ok(self.ops.cancel_at_partner(id, location).await?)
        }
        .await;
        self.recorded(actor, "cancel_at_partner", target, detail, result, |c| {
            format!(
                "cancellation asked of {} (cancel:{})",
                c.location_id, c.submission_key
            )
        })
        .await
    }

    /// The location a stock count is for: the one given, else the first own warehouse, else
    /// `main`.
    pub fn stock_location(&self, given: Option<&str>) -> String {
        given.map(str::to_string).unwrap_or_else(|| {
            self.config()
                .and_then(|c| c.own_warehouse().map(|l| l.id.clone()))
                .unwrap_or_else(|| "main".to_string())
        })
    }

    /// Sets one SKU's on-hand count at a location (a person counted).
    pub async fn stock_set(
        &self,
        actor: &Actor,
        sku: &str,
        quantity: i64,
        location: Option<&str>,
    ) -> AppResult<String> {
        let loc = self.stock_location(location);
        let detail = serde_json::json!({"sku": sku, "quantity": quantity, "location": loc});
        let result = async {
            check_sku("sku", sku)?;
            check_quantity("quantity", quantity)?;
            if location.is_some() {
                self.check_location("location", &loc)?;
            }
            self.store
                .set_on_hand(
                    &loc,
                    &[(sku.to_string(), quantity)],
                    OnHandSource::Count,
                    "stock set",
                )
                .await?;
            Ok(loc.clone())
        }
        .await;
        if result.is_ok() {
            self.cleared(ExceptionKind::UnknownSku, Subject::Sku(sku.to_string()))
                .await;
        }
        self.recorded(
            actor,
            "stock_set",
            format!("sku:{sku}"),
            detail,
            result,
            |l| format!("{sku} at {l}: {quantity}"),
        )
        .await
    }

    /// Sets many on-hand counts at one location from a file of counts.
    pub async fn stock_import(
        &self,
        actor: &Actor,
        rows: &[(String, i64)],
        location: Option<&str>,
        reference: &str,
    ) -> AppResult<String> {
        let loc = self.stock_location(location);
        let detail =
            serde_json::json!({"rows": rows.len(), "location": loc, "reference": reference});
        let result = async {
            for (i, (sku, quantity)) in rows.iter().enumerate() {
                check_sku(&format!("rows[{i}].sku"), sku)?;
                check_quantity(&format!("rows[{i}].quantity"), *quantity)?;
            }
            if location.is_some() {
                self.check_location("location", &loc)?;
            }
            self.store
                .set_on_hand(&loc, rows, OnHandSource::Import, reference)
                .await?;
            Ok(loc.clone())
        }
        .await;
        if result.is_ok() {
            self.cleared_skus(rows.iter().map(|(sku, _)| sku.as_str()))
                .await;
        }
        self.recorded(
            actor,
            "stock_import",
            format!("location:{loc}"),
            detail,
            result,
            |l| format!("{} SKU(s) set at {l}", rows.len()),
        )
        .await
    }

    /// Audits the stock record now and stores the result (the listing check only with a
    /// configuration).
    pub async fn audit_now(&self, actor: &Actor) -> AppResult<AuditReport> {
        let result = async {
            let report = match (self.config(), &self.no_config) {
                (Some(config), _) => auditor::audit_now(config, self.store.as_ref()).await?,
                (None, why) => {
                    let why = format!(
                        "no configuration ({})",
                        one_line(why.as_deref().unwrap_or("none loaded"))
                    );
                    auditor::audit_store_only(self.store.as_ref(), &why).await?
                }
            };
            self.store
                .record_audit(now_ms(), &report.violations)
                .await?;
            Ok(report)
        }
        .await;
        self.recorded(
            actor,
            "audit",
            "stock".into(),
            serde_json::json!({}),
            result,
            |r| format!("{} violation(s)", r.violations.len()),
        )
        .await
    }

    /// Reads levels back from the channels (or one) and queues a repair of each drifted one.
    pub async fn drift_now(&self, actor: &Actor, channel: Option<&str>) -> AppResult<Vec<Drift>> {
        let detail = serde_json::json!({"channel": channel});
        let target = channel.map_or("channels".to_string(), |c| format!("channel:{c}"));
        let result = async {
            let config = self.need_config("a drift check")?;
            if let Some(id) = channel
                && !config.channels.iter().any(|c| c.id == id)
            {
                return Err(AppError::bad("channel", format!("unknown channel `{id}`")));
            }
            let mut drifts = Vec::new();
            for c in &config.channels {
                if channel.is_some_and(|id| id != c.id) {
                    continue;
                }
                let connector = match self.channels.get(&c.id) {
                    Some(connector) => connector.clone(),
                    None => switchyard_connectors::registry::build(c, self.store.clone())
                        .map_err(|e| AppError::Failed(e.to_string()))?,
                };
                let found =
                    crate::daemon::drift::check(self.store.as_ref(), connector.as_ref(), &c.id)
                        .await
                        .map_err(|e| match e.downcast::<StoreError>() {
                            Ok(store) => AppError::from(store),
                            Err(other) => AppError::Upstream(format!("{other:#}")),
                        })?;
                drifts.extend(found);
            }
            Ok(drifts)
        }
        .await;
        self.recorded(actor, "drift", target, detail, result, |d| {
            format!("{} drifted listing(s)", d.len())
        })
        .await
    }

    /// Puts a quarantined delivery back to be normalized again.
    pub async fn reprocess_quarantined(&self, actor: &Actor, inbox_id: i64) -> AppResult<()> {
        let result = self
            .ops
            .reprocess_quarantined(inbox_id)
            .await
            .map_err(AppError::from);
        if result.is_ok() {
            self.cleared(
                ExceptionKind::PayloadQuarantined,
                Subject::Delivery(inbox_id),
            )
            .await;
        }
        self.recorded(
            actor,
            "reprocess_quarantined",
            format!("delivery:{inbox_id}"),
            serde_json::json!({"id": inbox_id}),
            result,
            |_| "queued to be normalized again".into(),
        )
        .await
    }
}

fn check_limit(field: &str, limit: i64) -> AppResult<()> {
    if limit < 1 {
        return Err(AppError::bad(field, "must be at least 1"));
    }
    Ok(())
}

fn check_quantity(field: &str, quantity: i64) -> AppResult<()> {
    if !(0..=MAX_QUANTITY).contains(&quantity) {
        return Err(AppError::bad(field, format!("must be 0 to {MAX_QUANTITY}")));
    }
    Ok(())
}

fn check_sku(field: &str, sku: &str) -> AppResult<()> {
    if sku.trim().is_empty() {
        return Err(AppError::bad(field, "must not be empty"));
    }
    if sku.chars().any(char::is_control) {
        return Err(AppError::bad(field, "must not hold control characters"));
    }
    Ok(())
}

fn one_line(text: &str) -> String {
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    parts.join(" ")
}

/// Parses `sku,quantity` rows; every bad row is reported with its line number.
pub fn parse_counts_csv(text: &str) -> AppResult<Vec<(String, i64)>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() {
            continue;
        }
        let mut cols = line.split(',').map(|c| c.trim().trim_matches('"'));
        let (sku, qty) = (cols.next().unwrap_or(""), cols.next().unwrap_or(""));
        if i == 0 && sku.eq_ignore_ascii_case("sku") {
            continue;
        }
        match qty.parse::<i64>() {
            Ok(q) if !sku.is_empty() => out.push((sku.to_string(), q)),
            _ => errors.push(format!(
                "line {}: expected `sku,quantity`, found `{line}`",
                i + 1
            )),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::bad("file", errors.join("\n")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_with_or_without_header() {
        assert_eq!(
            parse_counts_csv("sku,quantity\nA,3\n\"B\", 4\n").unwrap(),
            vec![("A".into(), 3), ("B".into(), 4)]
        );
        assert_eq!(parse_counts_csv("A,1").unwrap(), vec![("A".into(), 1)]);
    }

    #[test]
    fn reports_every_bad_line() {
        let err = parse_counts_csv("A,x\nB,2\n,3\n").unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains("line 3"), "{err}");
    }

    #[test]
    fn actors_are_named_by_where_they_came_from() {
        assert_eq!(Actor::cli(Some("alice")).id(), "cli:alice");
        assert_eq!(Actor::cli(Some("alice")).decided_by(), "operator alice");
        assert_eq!(Actor::api("ops-bot").id(), "api:ops-bot");
        assert_eq!(
            Actor {
                via: "cli",
                name: None
            }
            .id(),
            "cli"
        );
    }
}
