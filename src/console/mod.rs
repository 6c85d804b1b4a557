//! The web console at `/ui`, served on the admin listen address beside `/api/v1`: pages
//! rendered on the server (`askama` templates in `templates/console/`, compiled into the
//! binary with the CSS and the small script in `static/`), plain HTML forms, charts drawn as
//! SVG by `view.rs`. Every page and form calls the application layer ([`crate::app`]), the
//! same calls the CLI and the API make; this module only maps HTTP to them and them to HTML.
//!
//! Log-in takes an admin token and opens a session (`session.rs`): an HttpOnly,
//! SameSite=Strict cookie holds a random session id, never the token. Every POST must come
//! with the session's CSRF token (and, when the browser sends an `Origin`, from this host); a
//! viewer's pages show no action forms and a viewer's POST is refused with 403.

mod session;
mod view;

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use switchyard_core::config::{AdminRole, Config};
use switchyard_core::store::{OrderFilter, now_ms};

use crate::app::{Actor, AppError, ORDER_STATES, Operations, day_start};
use session::{COOKIE, IDLE_MS, Session, Sessions, same_secret};
use view::{Bar, ago, bar_chart, duration, percent, time};

const CSS: &str = include_str!("static/console.css");
const JS: &str = include_str!("static/console.js");

/// Rows a list page shows.
const PAGE_ROWS: i64 = 100;

pub struct ConsoleState {
    ops: Arc<Operations>,
    sessions: Sessions,
    channels: Vec<String>,
    locations: Vec<String>,
}

/// What every page's frame shows.
pub struct Frame {
    nav: &'static str,
    user: String,
    role: &'static str,
    csrf: String,
    can_act: bool,
    flash: Option<Flash>,
}

pub struct Flash {
    ok: bool,
    text: String,
}

/// A logged-in request: its session id and session.
struct Visitor {
    id: String,
    session: Session,
}

impl Visitor {
    fn frame(&self, nav: &'static str) -> Frame {
        Frame {
            nav,
            user: self.session.name.clone(),
            role: self.session.role.as_str(),
            csrf: self.session.csrf.clone(),
            can_act: self.session.role >= AdminRole::Operator,
            flash: self
                .session
                .flash
                .clone()
                .map(|(ok, text)| Flash { ok, text }),
        }
    }

    fn actor(&self) -> Actor {
        Actor::console(&self.session.name)
    }
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::warn!(error = %e, "console page not rendered");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!doctype html><title>Error</title><p>The page could not be rendered.</p>".into(),
            )
        }
    }
}

#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage {
    page: Option<Frame>,
    status: u16,
    title: String,
    message: String,
}

fn error_page(v: Option<&Visitor>, status: StatusCode, message: String) -> Response {
    let title = status.canonical_reason().unwrap_or("Error").to_string();
    render(
        status,
        &ErrorPage {
            page: v.map(|v| v.frame("")),
            status: status.as_u16(),
            title,
            message,
        },
    )
}

fn app_error(v: &Visitor, e: AppError) -> Response {
    let status = match &e {
        AppError::BadInput { .. } => StatusCode::BAD_REQUEST,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Upstream(_) => StatusCode::BAD_GATEWAY,
        AppError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error_page(Some(v), status, e.to_string())
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.trim().to_string())
}

fn session_cookie(id: &str) -> String {
    format!(
        "{COOKIE}={id}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age={}",
        IDLE_MS / 1000
    )
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

impl ConsoleState {
    /// The visitor of a page; else the answer (to the log-in page).
    // The error is the HTTP answer itself, made once per refused request.
    #[allow(clippy::result_large_err)]
    fn page_visitor(&self, headers: &HeaderMap) -> Result<Visitor, Response> {
        cookie_value(headers)
            .and_then(|id| {
                self.sessions
                    .get(&id)
                    .map(|session| Visitor { id, session })
            })
            .ok_or_else(|| see_other("/ui/login"))
    }

    /// The visitor of a form: logged in, from this host, with the session's CSRF token, and
    /// of at least `need`'s role.
    #[allow(clippy::result_large_err)]
    fn form_visitor(
        &self,
        headers: &HeaderMap,
        csrf: &str,
        need: AdminRole,
    ) -> Result<Visitor, Response> {
        let Some(v) = cookie_value(headers).and_then(|id| {
            self.sessions
                .get(&id)
                .map(|session| Visitor { id, session })
        }) else {
            return Err(error_page(
                None,
                StatusCode::UNAUTHORIZED,
                "Your session has ended; log in again.".into(),
            ));
        };
        if !same_origin(headers) || !same_secret(csrf, &v.session.csrf) {
            return Err(error_page(
                Some(&v),
                StatusCode::FORBIDDEN,
                "This form is stale or did not come from this console (CSRF check failed); \
                 reload the page and try again."
                    .into(),
            ));
        }
        if v.session.role < need {
            return Err(error_page(
                Some(&v),
                StatusCode::FORBIDDEN,
                format!(
                    "This needs the {} role; you are logged in as {} ({}).",
                    need.as_str(),
                    v.session.name,
                    v.session.role.as_str()
                ),
            ));
        }
        Ok(v)
    }

    /// Records the outcome for the next page and sends the browser there.
    fn done<T>(
        &self,
        v: &Visitor,
        to: &str,
        result: Result<T, AppError>,
        ok: impl FnOnce(T) -> String,
    ) -> Response {
        match result {
            Ok(t) => self.sessions.flash(&v.id, true, ok(t)),
            Err(e) => self.sessions.flash(&v.id, false, e.to_string()),
        }
        see_other(to)
    }
}

/// A browser's `Origin` (sent with every cross-site POST) must name this host.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let bare = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .unwrap_or(origin);
    !host.is_empty() && bare.eq_ignore_ascii_case(host)
}

fn form_rejected(e: FormRejection) -> Response {
    error_page(None, StatusCode::BAD_REQUEST, e.body_text())
}

// --- log-in --------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    message: Option<String>,
}

async fn login_page(State(s): State<Arc<ConsoleState>>, headers: HeaderMap) -> Response {
    if s.page_visitor(&headers).is_ok() {
        return see_other("/ui");
    }
    render(StatusCode::OK, &LoginPage { message: None })
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

async fn login(
    State(s): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Form(f) = match form {
        Ok(f) => f,
        Err(e) => return form_rejected(e),
    };
    if !same_origin(&headers) {
        return error_page(
            None,
            StatusCode::FORBIDDEN,
            "cross-site log-in refused".into(),
        );
    }
    match s.sessions.log_in(&f.token) {
        Some(id) => {
            let mut r = see_other("/ui");
            if let Ok(v) = HeaderValue::from_str(&session_cookie(&id)) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        None => render(
            StatusCode::UNAUTHORIZED,
            &LoginPage {
                message: Some("Unknown token.".into()),
            },
        ),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(s): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let Form(f) = match form {
        Ok(f) => f,
        Err(e) => return form_rejected(e),
    };
    let v = match s.form_visitor(&headers, &f.csrf, AdminRole::Viewer) {
        Ok(v) => v,
        Err(r) => return r,
    };
    s.sessions.log_out(&v.id);
    let mut r = see_other("/ui/login");
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "switchyard_console=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    r
}

// --- dashboard -----------------------------------------------------------------------------

struct ChannelRow {
    id: String,
    kind: String,
    last_poll: String,
    last_push: String,
    last_write_back: String,
    write_backs_waiting: i64,
    push_queue: i64,
    push_lag: String,
    api: String,
}

struct PartnerRow {
    id: String,
    adapter: String,
    last_event: String,
    open_submissions: i64,
    failed_events: i64,
}

struct ExceptionRow {
    kind: String,
    subject: String,
    message: String,
    last: String,
    count: i64,
}

struct Figure {
    label: String,
    value: String,
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct DashboardPage {
    page: Frame,
    at: String,
    channels: Vec<ChannelRow>,
    partners: Vec<PartnerRow>,
    queues: Vec<Figure>,
    exceptions: Vec<ExceptionRow>,
    today: Vec<Figure>,
}

async fn dashboard(State(s): State<Arc<ConsoleState>>, headers: HeaderMap) -> Response {
    let v = match s.page_visitor(&headers) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let d = match s.ops.dashboard().await {
        Ok(d) => d,
        Err(e) => return app_error(&v, e),
    };
    let now = d.at;
    let q = &d.queues;
    let queues = [
        ("Deliveries waiting", q.inbox_pending),
        ("Quarantined", q.quarantined),
        ("Orders to route", q.to_route),
        ("Orders held", d.held as i64),
        ("Side effects waiting", q.outbox_pending),
        ("Dead letters", q.dead_letters),
        ("SKUs to push", q.stock_dirty),
        ("Partner events failed", q.partner_events_failed),
        ("Orders", q.orders),
    ]
    .into_iter()
    .map(|(label, n)| Figure {
        label: label.into(),
        value: n.to_string(),
    })
    .collect();
    let t = &d.today;
    let shipped: i64 = t.order_to_ship.iter().map(|r| r.spread.count).sum();
    let on_time = t.on_time.iter().fold((0, 0), |(a, b), r| {
        (a + r.counts.on_time, b + r.counts.shipped)
    });
    let received: i64 = t.cancellations.iter().map(|c| c.counts.orders).sum();
    let cancelled: i64 = t.cancellations.iter().map(|c| c.counts.cancelled).sum();
    let slowest_p90 = t.order_to_ship.iter().map(|r| r.spread.p90_ms).max();
    let tracking_p90 = t
        .shipment_to_tracking
        .iter()
        .filter(|r| r.spread.count > 0)
        .map(|r| r.spread.p90_ms)
        .max();
    let rate = |a: i64, b: i64| (b > 0).then(|| a as f64 / b as f64);
    let today = vec![
        ("Orders received", received.to_string()),
        ("Parcels shipped", shipped.to_string()),
        ("On time", percent(rate(on_time.0, on_time.1))),
        ("Cancelled", percent(rate(cancelled, received))),
        (
            "Slowest order-to-ship p90",
            slowest_p90.map(duration).unwrap_or_else(|| "—".into()),
        ),
        (
            "Slowest shipment-to-tracking p90",
            tracking_p90.map(duration).unwrap_or_else(|| "—".into()),
        ),
    ]
    .into_iter()
    .map(|(label, value)| Figure {
        label: label.into(),
        value,
    })
    .collect();
    let page = DashboardPage {
        page: v.frame("dashboard"),
        at: time(now),
        channels: d
            .channels
            .into_iter()
            .map(|c| ChannelRow {
                last_poll: ago(c.last_poll_at, now),
                last_push: ago(c.last_push_at, now),
                last_write_back: ago(c.last_write_back_at, now),
                write_backs_waiting: c.write_backs_waiting,
                push_queue: c.push_queue,
                push_lag: c.push_lag_ms.map(duration).unwrap_or_else(|| "—".into()),
                api: match (c.api_calls, c.api_throttled) {
                    (Some(calls), Some(t)) => format!("{calls} calls, {t} throttled"),
                    _ => "—".into(),
                },
                id: c.id,
                kind: c.kind,
            })
            .collect(),
        partners: d
            .partners
            .into_iter()
            .map(|p| PartnerRow {
                last_event: ago(p.last_event_at, now),
                open_submissions: p.open_submissions,
                failed_events: p.failed_events,
                id: p.id,
                adapter: p.adapter,
            })
            .collect(),
        queues,
        exceptions: d
            .exceptions
            .into_iter()
            .map(|e| ExceptionRow {
                last: time(e.last_at),
                kind: e.kind,
                subject: e.subject,
                message: e.message,
                count: e.count,
            })
            .collect(),
        today,
    };
    render(StatusCode::OK, &page)
}

// --- orders --------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct OrdersQuery {
    /// An order reference to open (`ref=`).
    #[serde(default, rename = "ref")]
    reference: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    before: String,
}

struct OrderRow {
    id: i64,
    reference: String,
    number: String,
    channel: String,
    status: String,
    state: String,
    received: String,
}

#[derive(Template)]
#[template(path = "console/orders.html")]
struct OrdersPage {
    page: Frame,
    channels: Vec<String>,
    states: Vec<String>,
    locations: Vec<String>,
    q: OrdersQuery,
    rows: Vec<OrderRow>,
    next: Option<String>,
    message: Option<String>,
}

/// A date (`2026-12-03`, midnight UTC) as Unix ms; blank is none.
fn date_ms(field: &str, value: &str) -> Result<Option<i64>, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc().timestamp_millis()))
        .ok_or_else(|| AppError::bad(field, format!("`{v}` is not a date (2026-12-03)")))
}

fn blank_none(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

fn encode(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn orders(
    State(s): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Query(q): Query<OrdersQuery>,
) -> Response {
    let v = match s.page_visitor(&headers) {
        Ok(v) => v,
        Err(r) => return r,
    };
    // A reference finds one order and opens it.
    if let Some(r) = blank_none(&q.reference) {
        return match s.ops.order_detail(&r).await {
            Ok(d) => see_other(&format!("/ui/orders/{}", d.summary.id)),
            Err(e) => {
                let message = Some(e.to_string());
                orders_page(&s, &v, q, Vec::new(), None, message)
            }
        };
    }
    let filter = (|| -> Result<OrderFilter, AppError> {
        Ok(OrderFilter {
            channel_id: blank_none(&q.channel),
            state: blank_none(&q.state),
            location_id: blank_none(&q.location),
            from_ms: date_ms("from", &q.from)?,
            // A `to` date includes that day.
            to_ms: date_ms("to", &q.to)?.map(|t| t.saturating_add(24 * 3_600_000)),
            before_id: match blank_none(&q.before) {
                Some(b) => Some(
                    b.parse::<i64>()
                        .map_err(|_| AppError::bad("before", "must be an order id"))?,
                ),
                None => None,
            },
            limit: PAGE_ROWS,
        })
    })();
    let result = match filter {
        Ok(f) => s.ops.orders(&f).await.map(|rows| (f, rows)),
        Err(e) => Err(e),
    };
    match result {
        Ok((f, rows)) => {
            let next = (rows.len() as i64 == f.limit)
                .then(|| rows.last().map(|r| r.summary.id))
                .flatten()
                .map(|id| {
                    format!(
                        "/ui/orders?channel={}&state={}&location={}&from={}&to={}&before={id}",
                        encode(&q.channel),
                        encode(&q.state),
                        encode(&q.location),
                        encode(&q.from),
                        encode(&q.to)
                    )
                });
            let rows = rows
                .into_iter()
                .map(|r| OrderRow {
                    id: r.summary.id,
                    reference: format!("{}:{}", r.summary.channel_id, r.summary.external_id),
                    number: r.summary.number,
                    channel: r.summary.channel_id,
                    status: r.summary.status,
                    state: r.summary.fulfil_state,
                    received: time(r.created_at),
                })
                .collect();
            orders_page(&s, &v, q, rows, next, None)
        }
        Err(e) => orders_page(&s, &v, q, Vec::new(), None, Some(e.to_string())),
    }
}

fn orders_page(
    s: &ConsoleState,
    v: &Visitor,
    q: OrdersQuery,
    rows: Vec<OrderRow>,
    next: Option<String>,
    message: Option<String>,
) -> Response {
    let status = if message.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(
        status,
        &OrdersPage {
            page: v.frame("orders"),
            channels: s.channels.clone(),
            states: ORDER_STATES.iter().map(|s| s.to_string()).collect(),
            locations: s.locations.clone(),
            q,
            rows,
            next,
            message,
        },
    )
}

struct LineRow {
    line_id: String,
    sku: String,
    title: String,
    quantity: u32,
    unit_price: String,
}

struct Cells {
    cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/order.html")]
struct OrderPage {
    page: Frame,
    id: i64,
    reference: String,
    number: String,
    channel: String,
    status: String,
    payment: String,
    state: String,
    ship_by: String,
    held: bool,
    locations: Vec<String>,
    lines: Vec<LineRow>,
    explanation: Option<String>,
    reservations: Vec<Cells>,
    shipments: Vec<Cells>,
    ledger: Vec<Cells>,
    timeline: Vec<Cells>,
}

async fn order(
    State(s): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
) -> Response {
    let v = match s.page_visitor(&headers) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let view = match s.ops.order(&reference).await {
        Ok(o) => o,
        Err(e) => return app_error(&v, e),
    };
    let d = view.detail;
    let o = &d.order;
    let page = OrderPage {
        page: v.frame("orders"),
        id: d.summary.id,
        reference: format!("{}:{}", d.summary.channel_id, d.summary.external_id),
        number: d.summary.number.clone(),
        channel: d.summary.channel_id.clone(),
        status: d.summary.status.clone(),
        payment: d.summary.payment_status.clone(),
        held: d.summary.fulfil_state == "held",
        state: d.summary.fulfil_state.clone(),
        ship_by: o
            .ship_by
            .map(|t| time(t.timestamp_millis()))
            .unwrap_or_else(|| "—".into()),
        locations: s.locations.clone(),
        lines: o
            .lines
            .iter()
            .map(|l| LineRow {
                line_id: l.line_id.clone(),
                sku: l.sku.clone().unwrap_or_else(|| "—".into()),
                title: l.title.clone(),
                quantity: l.quantity,
                unit_price: format!("{} {}", l.unit_price, o.currency),
            })
            .collect(),
        explanation: d.decision.as_ref().map(|x| x.describe()),
        reservations: d
            .reservations
            .iter()
            .map(|(sku, loc, q)| Cells {
                cells: vec![
                    sku.clone(),
                    loc.clone().unwrap_or_else(|| "not routed".into()),
                    q.to_string(),
                ],
            })
            .collect(),
        shipments: d
            .shipments
            .iter()
            .map(|p| Cells {
                cells: vec![
                    time(p.shipped_at),
                    p.location_id.clone(),
                    p.carrier.clone(),
                    p.tracking_number.clone(),
                ],
            })
            .collect(),
        ledger: view
            .ledger
            .iter()
            .map(|l| Cells {
                cells: vec![
                    time(l.at),
                    l.sku.clone(),
                    l.quantity.to_string(),
                    format!("{} → {}", l.from_account, l.to_account),
                    l.cause.clone(),
                ],
            })
            .collect(),
        timeline: view
            .timeline
            .iter()
            .map(|t| Cells {
                cells: vec![time(t.at), t.kind.clone(), t.detail.clone()],
            })
            .collect(),
    };
    render(StatusCode::OK, &page)
}

// --- holds, dead letters, partner events, quarantine ----------------------------------------

struct HoldRow {
    id: i64,
    reference: String,
    number: String,
    reason: String,
    since: String,
}

#[derive(Template)]
#[template(path = "console/holds.html")]
struct HoldsPage {
    page: Frame,
    rows: Vec<HoldRow>,
    locations: Vec<String>,
}

async fn holds(State(s): State<Arc<ConsoleState>>, headers: HeaderMap) -> Response {
    let v = match s.page_visitor(&headers) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match s.ops.holds(PAGE_ROWS).await {
        Ok(rows) => render(
            StatusCode::OK,
            &HoldsPage {
                page: v.frame("holds"),
                rows: rows
                    .into_iter()
                    .map(|h| HoldRow {
                        id: h.order_id,
                        reference: format!("{}:{}", h.channel_id, h.external_id),
                        number: h.number,
                        reason: h.reason,
                        since: time(h.decided_at),
                    })
                    .collect(),
                locations: s.locations.clone(),
            },
        ),
        Err(e) => app_error(&v, e),
    }
}

#[derive(Deserialize)]
struct ReleaseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    location: String,
    /// Where to go afterwards: `order` (its page) or the holds list.
    #[serde(default)]
    back: String,
}

async fn release(
    State(s): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path(order): Path<String>,
    form: Result<Form<ReleaseForm>, FormRejection>,
) -> Response {
    let Form(f) = match form {
        Ok(f) => f,
        Err(e) => return form_rejected(e),
    };
    let v = match s.form_visitor(&headers, &f.csrf, AdminRole::Operator) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let result = s.ops.release(&v.actor(), &order, f.location.trim()).await;
    let to = if f.back == "order" {
        format!("/ui/orders/{}", encode(&order))
    } else {
        "/ui/holds".to_string()
    };
    s.done(&v, &to, result, |r| {
        format!(
            "Order {} released to {}: {}",
            r.order_id,
            r.location_id,
            r.lines.join(", ")
        )
    })
}

struct DeadRow {
    id: i64,
    kind: String,
    channel: String,
    key: String,
    error: String,
    attempts: i64,
    failed: String,
    replayed: Option<String>,
}

#[derive(Template)]
#[template(path = "console/dead_letters.html")]
struct DeadLettersPage {
    page: Frame,
    rows: Vec<DeadRow>,
}

async fn dead_letters(State(s): State<Arc<ConsoleState>>, headers: HeaderMap) -> Response {
    let v = match s.page_visitor(&headers) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match s.ops.dead_letters(PAGE_ROWS).await {
        Ok(rows) => render(
            StatusCode::OK,
            &DeadLettersPage {
                page: v.frame("dead-letters"),
                rows: rows
                    .into_iter()
                    .map(|d| DeadRow {
                        id: d.id,
                        kind: d.kind,
                        channel: d.channel_id,
                        key: d.idempotency_key,
                        error: d.last_error,
                        attempts: d.attempts,
                        failed: time(d.failed_at),
                        replayed: d.replayed_at.map(time),
                    })
                    .collect(),
            },
        ),
        Err(e) => app_error(&v, e),
    }
}

async fn replay(
    State(s): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let Form(f) = match form {
        Ok(f) => f,
        Err(e) => return form_rejected(e),
    };
    let v = match s.form_visitor(&headers, &f.csrf, AdminRole::Operator) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let result = s.ops.replay_dead_letter(&v.actor(), id).await;
    s.done(&v, "/ui/dead-letters", result, |_| {
        format!("Dead letter {id} queued again with its idempotency key")
    })
}

struct EventRow {
    id: i64,
    location: String,
    dedup: String,
    state: String,
    attempts: i64,
    error: String,
    received: String,
    failed: bool,
}

#[derive(Template)]
#[template(path = "console/partner_events.html")]
struct PartnerEventsPage {
    page: Frame,
    rows: Vec<EventRow>,
}

async fn partner_events(State(s): State<Arc<ConsoleState>>, headers: HeaderMap) -> Response {
    let v = match s.page_visitor(&headers) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match s.ops.partner_events(false, PAGE_ROWS).await {
        Ok(rows) => render(
            StatusCode::OK,
            &PartnerEventsPage {
                page: v.frame("partner-events"),
                rows: rows
                    .into_iter()
                    .map(|e| EventRow {
                        id: e.id,
                        failed: e.state == "failed",
                        location: e.location_id,
                        dedup: e.dedup_id,
                        state: e.state,
                        attempts: e.attempts,
                        error: e.last_error.unwrap_or_default(),
                        received: time(e.received_at),
                    })
                    .collect(),
            },
        ),
        Err(e) => app_error(&v, e),
    }
}

async fn retry_event(
    State(s): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let Form(f) = match form {
        Ok(f) => f,
        Err(e) => return form_rejected(e),
    };
    let v = match s.form_visitor(&headers, &f.csrf, AdminRole::Operator) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let result = s.ops.retry_partner_events(&v.actor(), Some(id)).await;
    s.done(&v, "/ui/partner-events", result, |n| {
        format!("{n} partner event(s) queued again")
    })
}

struct QuarantineRow {
    id: i64,
    channel: String,
    source: String,
    topic: String,
    external: String,
    received: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "console/quarantine.html")]
struct QuarantinePage {
    page: Frame,
    rows: Vec<QuarantineRow>,
}

async fn quarantine(State(s): State<Arc<ConsoleState>>, headers: HeaderMap) -> Response {
    let v = match s.page_visitor(&headers) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match s.ops.quarantine(PAGE_ROWS).await {
        Ok(rows) => render(
            StatusCode::OK,
            &QuarantinePage {
                page: v.frame("quarantine"),
                rows: rows
                    .into_iter()
                    .map(|q| QuarantineRow {
                        id: q.inbox_id,
                        channel: q.channel_id,
                        source: q.source,
                        topic: q.topic,
                        external: q.external_id.unwrap_or_default(),
                        received: time(q.received_at),
                        reason: q.reason,
                    })
                    .collect(),
            },
        ),
        Err(e) => app_error(&v, e),
    }
}

async fn reprocess(
    State(s): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let Form(f) = match form {
        Ok(f) => f,
        Err(e) => return form_rejected(e),
    };
    let v = match s.form_visitor(&headers, &f.csrf, AdminRole::Operator) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let result = s.ops.reprocess_quarantined(&v.actor(), id).await;
    s.done(&v, "/ui/quarantine", result, |_| {
        format!("Delivery {id} queued to be normalized again")
    })
}

// --- stock ---------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct StockQuery {
    #[serde(default)]
    sku: String,
}

#[derive(Template)]
#[template(path = "console/stock.html")]
struct StockPage {
    page: Frame,
    sku: String,
    levels: Vec<Cells>,
    skus: Vec<String>,
    listings: Vec<Cells>,
}

async fn stock(
    State(s): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Query(q): Query<StockQuery>,
) -> Response {
    let v = match s.page_visitor(&headers) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let sku = blank_none(&q.sku);
    match s.ops.stock(sku.as_deref()).await {
        Ok(st) => {
            let mut skus: Vec<String> = st.levels.iter().map(|l| l.sku.clone()).collect();
            skus.dedup();
            render(
                StatusCode::OK,
                &StockPage {
                    page: v.frame("stock"),
                    sku: sku.unwrap_or_default(),
                    levels: st
                        .levels
                        .iter()
                        .map(|l| Cells {
                            cells: vec![
                                l.sku.clone(),
                                l.location_id.clone(),
                                l.on_hand.to_string(),
                                l.reserved.to_string(),
                                (l.on_hand - l.reserved).to_string(),
                            ],
                        })
                        .collect(),
                    skus,
                    listings: st
                        .listings
                        .iter()
                        .map(|l| Cells {
                            cells: vec![
                                l.channel_id.clone(),
                                l.sku.clone(),
                                l.channel_quantity
                                    .map_or_else(|| "unknown".into(), |q| q.to_string()),
                                if l.dirty { "waiting" } else { "settled" }.into(),
                            ],
                        })
                        .collect(),
                },
            )
        }
        Err(e) => app_error(&v, e),
    }
}

#[derive(Template)]
#[template(path = "console/ledger.html")]
struct LedgerPage {
    page: Frame,
    sku: String,
    rows: Vec<Cells>,
}

async fn ledger(
    State(s): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path(sku): Path<String>,
) -> Response {
    let v = match s.page_visitor(&headers) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match s.ops.ledger(&sku, 1000).await {
        Ok(rows) => render(
            StatusCode::OK,
            &LedgerPage {
                page: v.frame("stock"),
                sku,
                rows: rows
                    .iter()
                    .map(|l| Cells {
                        cells: vec![
                            time(l.at),
                            l.quantity.to_string(),
                            l.from_account.clone(),
                            l.to_account.clone(),
                            l.cause.clone(),
                            l.reference.clone(),
                        ],
                    })
                    .collect(),
            },
        ),
        Err(e) => app_error(&v, e),
    }
}

// --- KPIs ----------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct KpiQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

#[derive(Template)]
#[template(path = "console/kpis.html")]
struct KpisPage {
    page: Frame,
    from: String,
    to: String,
    window: String,
    charts: Vec<String>,
    tables: Vec<KpiTable>,
}

struct KpiTable {
    title: String,
    head: Vec<String>,
    rows: Vec<Cells>,
}

fn spread_bar(label: String, p50: i64, p90: i64) -> Bar {
    Bar {
        label,
        values: vec![p50 as f64, p90 as f64],
        texts: vec![duration(p50), duration(p90)],
    }
}

async fn kpis(
    State(s): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Query(q): Query<KpiQuery>,
) -> Response {
    let v = match s.page_visitor(&headers) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let now = now_ms();
    let window = (|| -> Result<(i64, i64), AppError> {
        let from = date_ms("from", &q.from)?.unwrap_or(day_start(now) - 6 * 24 * 3_600_000);
        let to = date_ms("to", &q.to)?.map_or(now + 1, |t| t.saturating_add(24 * 3_600_000));
        Ok((from, to))
    })();
    let report = match window {
        Ok((from, to)) => s.ops.kpis(from, to).await,
        Err(e) => Err(e),
    };
    let r = match report {
        Ok(r) => r,
        Err(e) => return app_error(&v, e),
    };
    let p = ["p50", "p90"];
    let rate_bar = |label: String, rate: Option<f64>, base: i64| Bar {
        label,
        values: vec![rate.unwrap_or(0.0)],
        texts: vec![format!("{} of {base}", percent(rate))],
    };
    let charts = vec![
        bar_chart(
            "Order to ship, per location and channel",
            &p,
            &r.order_to_ship
                .iter()
                .map(|t| {
                    spread_bar(
                        format!("{} / {}", t.location_id, t.channel_id),
                        t.spread.p50_ms,
                        t.spread.p90_ms,
                    )
                })
                .collect::<Vec<_>>(),
            None,
        ),
        bar_chart(
            "Shipped on time (by ship-by), per channel",
            &["on time"],
            &r.on_time
                .iter()
                .map(|o| rate_bar(o.counts.channel_id.clone(), o.rate, o.counts.shipped))
                .collect::<Vec<_>>(),
            Some(1.0),
        ),
        bar_chart(
            "Partners: acceptance, rejection and fill rates",
            &["accepted", "rejected", "filled"],
            &r.partners
                .iter()
                .map(|p| Bar {
                    label: p.counts.location_id.clone(),
                    values: vec![
                        p.acceptance_rate.unwrap_or(0.0),
                        p.rejection_rate.unwrap_or(0.0),
                        p.fill_rate.unwrap_or(0.0),
                    ],
                    texts: vec![
                        percent(p.acceptance_rate),
                        percent(p.rejection_rate),
                        percent(p.fill_rate),
                    ],
                })
                .collect::<Vec<_>>(),
            Some(1.0),
        ),
        bar_chart(
            "Cancelled by the channel, per channel",
            &["cancelled"],
            &r.cancellations
                .iter()
                .map(|c| rate_bar(c.counts.channel_id.clone(), c.rate, c.counts.orders))
                .collect::<Vec<_>>(),
            Some(1.0),
        ),
        bar_chart(
            "Shipment to tracking on the channel",
            &p,
            &r.shipment_to_tracking
                .iter()
                .filter(|t| t.spread.count > 0)
                .map(|t| spread_bar(t.channel_id.clone(), t.spread.p50_ms, t.spread.p90_ms))
                .collect::<Vec<_>>(),
            None,
        ),
        bar_chart(
            "Stock push lag, per channel",
            &p,
            &r.push_lag
                .iter()
                .map(|t| spread_bar(t.channel_id.clone(), t.spread.p50_ms, t.spread.p90_ms))
                .collect::<Vec<_>>(),
            None,
        ),
    ];
    let cells = |v: Vec<String>| Cells { cells: v };
    let tables = vec![
        KpiTable {
            title: "Order to ship".into(),
            head: ["location", "channel", "parcels", "p50", "p90"]
                .map(String::from)
                .to_vec(),
            rows: r
                .order_to_ship
                .iter()
                .map(|t| {
                    cells(vec![
                        t.location_id.clone(),
                        t.channel_id.clone(),
                        t.spread.count.to_string(),
                        duration(t.spread.p50_ms),
                        duration(t.spread.p90_ms),
                    ])
                })
                .collect(),
        },
        KpiTable {
            title: "Partners".into(),
            head: [
                "partner",
                "handed over",
                "accepted",
                "rejected",
                "shipped",
                "cancelled",
                "acceptance",
                "rejection",
                "fill",
            ]
            .map(String::from)
            .to_vec(),
            rows: r
                .partners
                .iter()
                .map(|p| {
                    let c = &p.counts;
                    cells(vec![
                        c.location_id.clone(),
                        c.submitted.to_string(),
                        c.accepted.to_string(),
                        c.rejected.to_string(),
                        c.shipped.to_string(),
                        c.cancelled.to_string(),
                        percent(p.acceptance_rate),
                        percent(p.rejection_rate),
                        percent(p.fill_rate),
                    ])
                })
                .collect(),
        },
        KpiTable {
            title: "Shipment to tracking".into(),
            head: ["channel", "write-backs", "p50", "p90", "waiting"]
                .map(String::from)
                .to_vec(),
            rows: r
                .shipment_to_tracking
                .iter()
                .map(|t| {
                    cells(vec![
                        t.channel_id.clone(),
                        t.spread.count.to_string(),
                        duration(t.spread.p50_ms),
                        duration(t.spread.p90_ms),
                        t.waiting.to_string(),
                    ])
                })
                .collect(),
        },
    ];
    render(
        StatusCode::OK,
        &KpisPage {
            page: v.frame("kpis"),
            from: q.from,
            to: q.to,
            window: format!("{} to {} (UTC)", time(r.from_ms), time(r.to_ms)),
            charts,
            tables,
        },
    )
}

// --- the router ----------------------------------------------------------------------------

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        CSS,
    )
        .into_response()
}

async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        JS,
    )
        .into_response()
}

/// Every page forbids framing and inline script (the script is a file of this console).
async fn headers_layer(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    r
}

/// The console's routes, under `/ui`.
pub fn router(ops: Arc<Operations>, config: &Config) -> Router {
    let state = Arc::new(ConsoleState {
        ops,
        sessions: Sessions::new(config),
        channels: config.channels.iter().map(|c| c.id.clone()).collect(),
        locations: config.locations.iter().map(|l| l.id.clone()).collect(),
    });
    Router::new()
        .route("/ui", get(dashboard))
        .route("/ui/", get(dashboard))
        .route("/ui/login", get(login_page).post(login))
        .route("/ui/logout", post(logout))
        .route("/ui/orders", get(orders))
        .route("/ui/orders/{order}", get(order))
        .route("/ui/holds", get(holds))
        .route("/ui/holds/{order}/release", post(release))
        .route("/ui/dead-letters", get(dead_letters))
        .route("/ui/dead-letters/{id}/replay", post(replay))
        .route("/ui/partner-events", get(partner_events))
        .route("/ui/partner-events/{id}/retry", post(retry_event))
        .route("/ui/quarantine", get(quarantine))
        .route("/ui/quarantine/{id}/reprocess", post(reprocess))
        .route("/ui/stock", get(stock))
        .route("/ui/stock/{sku}", get(ledger))
        .route("/ui/kpis", get(kpis))
        .route("/ui/static/console.css", get(css))
        .route("/ui/static/console.js", get(js))
        .layer(axum::middleware::from_fn(headers_layer))
        .with_state(state)
}
