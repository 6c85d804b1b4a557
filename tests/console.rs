//! The web console against the real daemon binary on the simulators: plain HTTP checks of
//! its session cookie, CSRF refusals and the viewer's refusals, and a real browser (Debian's
//! chromium through chromedriver, driven with `fantoccini`) logging in, finding an order,
//! releasing a hold and replaying a dead letter, with screenshots saved under the target
//! directory (`console-screenshots/`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Env, eventually};
use fantoccini::{Client, ClientBuilder, Locator};
use sha2::{Digest, Sha256};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

const WAIT: Duration = Duration::from_secs(20);
const VIEWER: &str = "viewer-console-token-0123";
const OPERATOR: &str = "operator-console-token-0123";

fn sha256_hex(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn order(sku: &str) -> OrderSpec {
    OrderSpec {
        lines: vec![(sku.to_string(), 1)],
        paid: true,
        email: "buyer@example.com".into(),
        fate: WebhookFate::Deliver,
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// Simulators, a daemon with the console on `admin_port`, MUG routed to `main` and anything
/// else held; one MUG order routed and one CAP order held.
async fn setup() -> (Env, u16, String, String) {
    let env = Env::new(&[("MUG", 10), ("CAP", 5)], 0).await;
    let admin_port = free_port();
    env.append_config(&format!(
        r#"routing:
  rules:
    - name: mugs-to-main
      when:
        sku: ["MUG*"]
      action:
        location: main
  fallback: hold
admin:
  listen: "127.0.0.1:{admin_port}"
  tokens:
    - {{name: dash, sha256: "{}", role: viewer}}
    - {{name: ops, sha256: "{}", role: operator}}
"#,
        sha256_hex(VIEWER),
        sha256_hex(OPERATOR),
    ));
    env.ok(&["check"]);
    let mug = env.shopify.place_order(order("MUG")).await;
    let cap = env.shopify.place_order(order("CAP")).await;
    (env, admin_port, mug, cap)
}

/// A cookie-less client that does not follow redirects (the tests read them).
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

struct Browserless {
    base: String,
    http: reqwest::Client,
}

impl Browserless {
    /// Logs in; returns the `Cookie` header value and the whole `Set-Cookie` line.
    async fn log_in(&self, token: &str) -> (String, String) {
        let r = self
            .http
            .post(format!("{}/ui/login", self.base))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "log-in redirects");
        assert_eq!(r.headers()["location"], "/ui");
        let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
        let pair = set.split(';').next().unwrap().trim().to_string();
        (pair, set)
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> (u16, String) {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    async fn post(
        &self,
        path: &str,
        cookie: &str,
        form: &[(&str, &str)],
        origin: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .form(form);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send().await.unwrap()
    }
}

/// The CSRF token a page's forms carry.
fn csrf_of(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token")
        + 19;
    page[at..at + 64].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_cookies_csrf_and_roles_over_plain_http() {
    let (env, admin_port, mug, cap) = setup().await;
    let _daemon = env.start_daemon().await;
    eventually(&env, WAIT, "orders decided", || {
        env.fulfil_state(&mug).as_deref() == Some("routed")
            && env.fulfil_state(&cap).as_deref() == Some("held")
    })
    .await;
    let ui = Browserless {
        base: format!("http://127.0.0.1:{admin_port}"),
        http: client(),
    };

    // Without a session every page sends the browser to the log-in page.
    for path in ["/ui", "/ui/orders", "/ui/holds", "/ui/kpis"] {
        let r = ui
            .http
            .get(format!("{}{path}", ui.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{path}");
        assert_eq!(r.headers()["location"], "/ui/login", "{path}");
    }
    let (status, login) = ui.get("/ui/login", None).await;
    assert_eq!(status, 200);
    assert!(login.contains("name=\"token\""));
    // An unknown token opens nothing.
    let r = ui
        .http
        .post(format!("{}/ui/login", ui.base))
        .form(&[("token", "not-a-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("set-cookie").is_none());

    // The session cookie: HttpOnly, SameSite=Strict, scoped to /ui, and no trace of the token.
    let (viewer, set) = ui.log_in(VIEWER).await;
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Strict"), "{set}");
    assert!(set.contains("Path=/ui"), "{set}");
    assert!(
        !set.contains(VIEWER) && !set.contains(&sha256_hex(VIEWER)),
        "{set}"
    );
    let (status, dash) = ui.get("/ui", Some(&viewer)).await;
    assert_eq!(status, 200);
    assert!(
        dash.contains("Dashboard") && dash.contains("dash · viewer"),
        "{dash}"
    );
    assert!(
        dash.contains("id=\"exceptions\""),
        "the exceptions section is there"
    );

    // A viewer sees no action form, and a viewer's POST is refused even with its CSRF token.
    let (_, holds) = ui.get("/ui/holds", Some(&viewer)).await;
    assert!(holds.contains(&format!("shop:{cap}")), "{holds}");
    assert!(
        !holds.contains("/release\""),
        "no release form for a viewer: {holds}"
    );
    let viewer_csrf = csrf_of(&holds);
    let cap_id = holds
        .split("id=\"hold-")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let r = ui
        .post(
            &format!("/ui/holds/{cap_id}/release"),
            &viewer,
            &[("csrf", &viewer_csrf), ("location", "main")],
            None,
        )
        .await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("needs the operator role"));
    assert_eq!(env.fulfil_state(&cap).as_deref(), Some("held"));

    // An operator's POST needs the session's own CSRF token, and no foreign Origin.
    let (operator, _) = ui.log_in(OPERATOR).await;
    let (_, holds) = ui.get("/ui/holds", Some(&operator)).await;
    assert!(holds.contains("/release\""), "an operator gets the form");
    let csrf = csrf_of(&holds);
    assert_ne!(csrf, viewer_csrf, "each session has its own token");
    let release = format!("/ui/holds/{cap_id}/release");
    for (form_csrf, origin) in [
        ("", None),
        (viewer_csrf.as_str(), None),
        ("0".repeat(64).as_str(), None),
        (csrf.as_str(), Some("http://evil.example")),
    ] {
        let r = ui
            .post(
                &release,
                &operator,
                &[("csrf", form_csrf), ("location", "main")],
                origin,
            )
            .await;
        assert_eq!(r.status(), 403, "csrf {form_csrf:?} origin {origin:?}");
        assert!(r.text().await.unwrap().contains("CSRF"));
    }
    assert_eq!(env.fulfil_state(&cap).as_deref(), Some("held"));
    // With the token (and this host as Origin) it goes through the application layer.
    let r = ui
        .post(
            &release,
            &operator,
            &[("csrf", &csrf), ("location", "main")],
            Some(&ui.base),
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/ui/holds");
    assert_eq!(env.fulfil_state(&cap).as_deref(), Some("routed"));
    let (_, after) = ui.get("/ui/holds", Some(&operator)).await;
    assert!(
        after.contains("released to main"),
        "the outcome is shown once: {after}"
    );
    // A refusal from the application layer is shown, not hidden.
    let r = ui
        .post(
            "/ui/dead-letters/999/replay",
            &operator,
            &[("csrf", &csrf)],
            None,
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, dl) = ui.get("/ui/dead-letters", Some(&operator)).await;
    assert!(dl.contains("not found"), "{dl}");
    // Recorded as the console's action, by the token's name.
    let log = env.ok(&["orders", "actions", "--limit", "10"]);
    assert!(log.contains("ui:ops") && log.contains("release"), "{log}");

    // The order page explains the decision in words; the search finds orders by state.
    let (_, page) = ui.get(&format!("/ui/orders/{cap_id}"), Some(&viewer)).await;
    assert!(page.contains("id=\"explanation\""), "{page}");
    assert!(page.contains("Decision:"), "{page}");
    let (_, list) = ui
        .get("/ui/orders?state=routed&channel=shop", Some(&viewer))
        .await;
    assert!(list.contains(&format!("shop:{cap}")) && list.contains(&format!("shop:{mug}")));
    let (status, bad) = ui.get("/ui/orders?from=yesterday", Some(&viewer)).await;
    assert_eq!(status, 400);
    assert!(bad.contains("from: `yesterday` is not a date"), "{bad}");
    let r = ui
        .http
        .get(format!("{}/ui/orders?ref=shop:{mug}", ui.base))
        .header("cookie", &viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "a reference opens its order");

    // The KPI page draws its charts as SVG; the same figures are in the API.
    let (status, kpis) = ui.get("/ui/kpis", Some(&viewer)).await;
    assert_eq!(status, 200);
    assert!(kpis.contains("<svg class=\"chart\"") || kpis.contains("nothing in this window"));
    let api = client();
    let r = api
        .get(format!("{}/api/v1/kpis", ui.base))
        .bearer_auth(VIEWER)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    let shop = body["cancellations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel_id"] == "shop")
        .expect("shop's orders today");
    assert_eq!(shop["orders"], 2);
    // A window that ends before it starts is answered as empty, naming the window used.
    let r = api
        .get(format!(
            "{}/api/v1/kpis?from=2026-12-03&to=2026-12-01",
            ui.base
        ))
        .bearer_auth(VIEWER)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let empty: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        empty["to_ms"].as_i64().unwrap() - empty["from_ms"].as_i64().unwrap(),
        1
    );
    let r = api
        .get(format!("{}/api/v1/kpis?from=yesterday", ui.base))
        .bearer_auth(VIEWER)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = api
        .get(format!("{}/api/v1/kpis", ui.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Log-out ends the session: its cookie opens nothing any more.
    let (_, page) = ui.get("/ui", Some(&viewer)).await;
    let r = ui
        .post("/ui/logout", &viewer, &[("csrf", &csrf_of(&page))], None)
        .await;
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let (status, _) = ui.get("/ui", Some(&viewer)).await;
    assert_eq!(status, 303);
}

/// chromedriver on a free port, stopped with this value.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    async fn start() -> Driver {
        let port = free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "chromedriver is needed (Debian: apt-get install chromium chromium-driver; \
                 ci/test.sh installs it)",
            );
        let driver = Driver { child, port };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while http
            .get(format!("http://127.0.0.1:{port}/status"))
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        driver
    }

    async fn browser(&self) -> Client {
        let mut caps = serde_json::Map::new();
        let binary = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("/usr/bin/chromium");
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": binary,
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--disable-gpu", "--window-size=1400,1000"],
            }),
        );
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the screenshots go: `<target>/tmp/console-screenshots/`.
fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shoot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    std::fs::write(shots().join(format!("{name}.png")), &png).unwrap();
    // `SWITCHYARD_UPDATE_SCREENSHOT=1` refreshes README's picture of the dashboard.
    if name == "dashboard" && std::env::var_os("SWITCHYARD_UPDATE_SCREENSHOT").is_some() {
        let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join("console.png"), &png).unwrap();
    }
}

async fn text(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_a_real_browser_logs_in_finds_releases_and_replays() {
    let (env, admin_port, mug, cap) = setup().await;
    let daemon = env.start_daemon().await;
    eventually(&env, WAIT, "orders decided", || {
        env.fulfil_state(&mug).as_deref() == Some("routed")
            && env.fulfil_state(&cap).as_deref() == Some("held")
    })
    .await;
    // A dead letter: the MUG order is cancelled on Shopify while the daemon is down (no
    // webhook), shipped from the warehouse, and Shopify refuses the write-back for good.
    daemon.terminate();
    env.shopify.cancel_order(&mug, WebhookFate::Lose).await;
    env.ok(&[
        "ship",
        &format!("shop:{mug}"),
        "--carrier",
        "UPS",
        "--tracking",
        "1ZCONSOLE",
    ]);
    let _daemon = env.start_daemon().await;
    eventually(&env, WAIT, "the write-back dead-lettered", || {
        !env.ok(&["dead-letters", "list"])
            .contains("no dead letters")
    })
    .await;

    let driver = Driver::start().await;
    let c = driver.browser().await;
    let base = format!("http://127.0.0.1:{admin_port}");

    // Log in.
    c.goto(&format!("{base}/ui")).await.unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#token"))
        .await
        .unwrap()
        .send_keys(OPERATOR)
        .await
        .unwrap();
    c.find(Locator::Css("#login"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(text(&c, "#who").await, "ops · operator");
    assert!(text(&c, "#channels").await.contains("shop"));
    shoot(&c, "dashboard").await;

    // Find the held order: orders in state `held`, then its page.
    c.goto(&format!("{base}/ui/orders")).await.unwrap();
    c.find(Locator::Css("#state"))
        .await
        .unwrap()
        .select_by_value("held")
        .await
        .unwrap();
    c.find(Locator::Css("#search"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let listed = text(&c, "#orders").await;
    assert!(listed.contains(&format!("shop:{cap}")), "{listed}");
    assert!(!listed.contains(&format!("shop:{mug}")), "{listed}");
    shoot(&c, "orders").await;
    c.find(Locator::LinkText(&format!("shop:{cap}")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(text(&c, "#order-state").await, "held");
    assert!(text(&c, "#explanation").await.contains("held"));
    shoot(&c, "order").await;

    // Release it from the holds list.
    c.goto(&format!("{base}/ui/holds")).await.unwrap();
    let form = c
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#holds form"))
        .await
        .unwrap();
    form.find(Locator::Css("select"))
        .await
        .unwrap()
        .select_by_value("main")
        .await
        .unwrap();
    form.find(Locator::Css("button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let flash = text(&c, "#flash").await;
    assert!(flash.contains("released to main"), "{flash}");
    assert!(text(&c, "main").await.contains("No order is held"));
    shoot(&c, "holds").await;
    assert_eq!(env.fulfil_state(&cap).as_deref(), Some("routed"));

    // Replay the dead letter.
    c.goto(&format!("{base}/ui/dead-letters")).await.unwrap();
    let table = text(&c, "#dead-letters").await;
    assert!(
        table.contains(&format!("ship:shop:{mug}:1ZCONSOLE")),
        "{table}"
    );
    c.find(Locator::Css("#dead-letters form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let flash = text(&c, "#flash").await;
    assert!(flash.contains("queued again"), "{flash}");
    assert!(text(&c, "#dead-letters").await.contains("replayed"));
    shoot(&c, "dead-letters").await;

    // The KPI page and its charts.
    c.goto(&format!("{base}/ui/kpis")).await.unwrap();
    let charts = text(&c, "#charts").await;
    assert!(!charts.is_empty());
    assert!(c.find(Locator::Css("#charts svg.chart")).await.is_ok());
    shoot(&c, "kpis").await;

    // Log out: back to the log-in page, and the console is closed again.
    c.goto(&format!("{base}/ui")).await.unwrap();
    c.find(Locator::Css(".who button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#token"))
        .await
        .unwrap();
    c.goto(&format!("{base}/ui/holds")).await.unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#token"))
        .await
        .unwrap();
    c.close().await.unwrap();
    // Every action was the console's, by the token's name.
    let log = env.ok(&["orders", "actions", "--limit", "10"]);
    assert!(log.contains("ui:ops"), "{log}");
}
