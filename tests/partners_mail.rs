//! End-to-end: a dropship supplier by e-mail over a real SMTP server (aiosmtpd). The routed
//! order's PO arrives as one message with a readable body and a CSV attachment, and a daemon
//! SIGKILLed right after sending and restarted does not send a second, different PO.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::smtpd::Smtpd;
use common::{Env, eventually};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

const WAIT: Duration = Duration::from_secs(30);

fn header(raw: &str, name: &str) -> Option<String> {
    raw.lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        })
        .map(|l| l[name.len() + 1..].trim().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emailed_po_arrives_once_even_when_the_daemon_is_killed_after_sending() {
    let smtp = Smtpd::start().await;
    let env = Env::new(&[("EM-VASE", 0)], 0).await;
    env.append_config(&format!(
        r#"  - id: acme
    kind: dropship
    catalog: ["EM-*"]
    adapter:
      kind: email
      sku_map: {{EM-VASE: ACME-VASE-9}}
      email:
        smtp_host: "127.0.0.1"
        smtp_port: {port}
        security: none
        from: "Shop Orders <po@shop.example>"
        to: [orders@acme.example]
routing:
  rules:
    - name: vases-by-mail
      when: {{sku: ["EM-*"]}}
      action: {{location: acme}}
  fallback: hold
"#,
        port = smtp.port,
    ));
    let daemon = env.start_daemon().await;
    let placed = env
        .shopify
        .place_order(OrderSpec {
            lines: vec![("EM-VASE".into(), 2)],
            paid: true,
            email: "buyer@example.com".into(),
            fate: WebhookFate::Deliver,
        })
        .await;
    eventually(&env, WAIT, "the PO reached the SMTP server", || {
        !smtp.messages().is_empty()
    })
    .await;
    // No chance to finish anything after the send.
    daemon.kill();
    let _again = env.start_daemon().await;
    tokio::time::sleep(Duration::from_secs(3)).await;

    let messages = smtp.messages();
    let ids: BTreeSet<Option<String>> = messages
        .iter()
        .map(|(raw, _)| header(&String::from_utf8_lossy(raw), "Message-ID"))
        .collect();
    assert_eq!(ids.len(), 1, "one PO, whatever the crash: {ids:?}");
    assert_eq!(messages.len(), 1, "sent once and committed before the kill");
    let (raw, envelope) = &messages[0];
    let text = String::from_utf8_lossy(raw);
    assert_eq!(envelope["rcpt_tos"][0], "orders@acme.example");
    assert!(
        text.contains("ACME-VASE-9"),
        "supplier part in the body:\n{text}"
    );
    assert!(
        text.contains("Content-Disposition: attachment") && text.contains(".csv"),
        "CSV attached:\n{text}"
    );
    let show = env.ok(&["orders", "show", &format!("shop:{placed}")]);
    assert!(show.contains("EM-VASE ×2 at acme"), "{show}");
    let audit = env.ok(&["stock", "audit"]);
    assert!(audit.contains("0 violation(s)"), "{audit}");
}
