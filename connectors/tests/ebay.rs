//! The eBay connector against the eBay simulator, over real HTTP on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::DateTime;
use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::json;
use sha1::{Digest, Sha1};
use switchyard_connectors::channels::ebay::{EbayChannel, FORMAT, compact_json};
use switchyard_core::config::{ChannelConfig, RateLimitConfig};
use switchyard_core::model::{ChannelKind, OrderStatus, PaymentStatus, Shipment, ShippedLine};
use switchyard_core::ports::{
    Channel, ChannelError, Delivery, IngestError, ListingLevel, PollCursor, THIN_FORMAT,
    WebhookRequest,
};
use switchyard_sim::ebay::{EbaySim, EbaySimConfig};
use switchyard_sim::{OrderSpec, SimulatedChannel, WebhookFate};

fn channel_config(sim: &EbaySim, cfg: &EbaySimConfig) -> ChannelConfig {
    ChannelConfig {
        client_id: Some(cfg.client_id.clone()),
        client_secret: Some(cfg.client_secret.clone()),
        refresh_token: Some(cfg.refresh_token.clone()),
        token_url: Some(sim.token_url()),
        rate_limit: Some(RateLimitConfig {
            per_second: 500.0,
            burst: 100,
        }),
        ..ChannelConfig::new("ebay", ChannelKind::Ebay, sim.base_url())
    }
}

async fn setup(cfg: EbaySimConfig) -> (Arc<EbaySim>, EbayChannel) {
    let sim = EbaySim::start(cfg.clone()).await.expect("sim starts");
    let channel = EbayChannel::new(&channel_config(&sim, &cfg)).expect("channel builds");
    (sim, channel)
}

fn spec(sku: &str, quantity: u32) -> OrderSpec {
    OrderSpec {
        lines: vec![(sku.into(), quantity)],
        paid: true,
        email: "shopper@example.com".into(),
        fate: WebhookFate::Lose,
    }
}

#[tokio::test]
async fn orders_arrive_by_poll_across_pages_and_fetch_agrees() {
    let (sim, channel) = setup(EbaySimConfig::default()).await;
    sim.add_product("MUG", "Mug", "12.50", 500);
    let mut placed = Vec::new();
    for _ in 0..205 {
        placed.push(sim.place_order(spec("MUG", 2)).await);
    }
    let mut cursor = PollCursor {
        since: Some(chrono::Utc::now() - chrono::Duration::hours(1)),
        ..Default::default()
    };
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = channel.poll_orders(&cursor).await.expect("poll");
        pages += 1;
        for raw in &page.orders {
            assert_eq!(raw.format, FORMAT);
            let order = channel.normalize(raw).expect("normalizes");
            assert_eq!(
                raw.dedup_key,
                format!(
                    "{}@{}",
                    order.external_id,
                    order
                        .updated_at
                        .with_timezone(&chrono::Utc)
                        .format("%Y-%m-%dT%H:%M:%SZ")
                )
            );
            assert_eq!(order.status, OrderStatus::Open);
            assert_eq!(order.payment_status, PaymentStatus::Paid);
            assert_eq!(order.lines[0].unit_price.to_string(), "12.50");
            assert_eq!(order.total.to_string(), "25.00");
            seen.push(order.external_id);
        }
        assert!(page.max_updated_at.is_some());
        match page.next_page {
            Some(next) => cursor.page = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 2, "limit 200 gives two pages for 205 orders");
    seen.sort();
    placed.sort();
    assert_eq!(seen, placed);
    let fetched = channel.fetch_order(&placed[0]).await.unwrap().unwrap();
    let polled = channel
        .poll_orders(&PollCursor::default())
        .await
        .unwrap()
        .orders
        .into_iter()
        .find(|o| o.external_id.as_deref() == Some(placed[0].as_str()))
        .unwrap();
    assert_eq!(fetched.dedup_key, polled.dedup_key);
    assert_eq!(channel.fetch_order("99-99999-99999").await.unwrap(), None);
    let later = PollCursor {
        since: Some(chrono::Utc::now() + chrono::Duration::hours(1)),
        ..Default::default()
    };
    assert!(channel.poll_orders(&later).await.unwrap().orders.is_empty());
}

#[tokio::test]
async fn stock_reaches_every_offer_in_calls_of_25() {
    let (sim, channel) = setup(EbaySimConfig::default()).await;
    let skus: Vec<String> = (0..60).map(|i| format!("SKU-{i:03}")).collect();
    for sku in &skus {
        sim.add_product(sku, "Thing", "1.00", 3);
    }
    let mut wanted = skus.clone();
    wanted.push("NOT-LISTED".into());
    let listings = channel.discover_listings(&wanted).await.expect("discover");
    assert_eq!(listings.len(), 60);
    assert_eq!(listings[0].channel_quantity, Some(3));
    let offer = sim.offers("SKU-000")[0].0.clone();
    assert_eq!(
        listings[0].reference,
        json!({"sku": "SKU-000", "offer_ids": [offer]})
    );
    let levels: Vec<ListingLevel> = listings
        .iter()
        .enumerate()
        .map(|(i, l)| ListingLevel {
            sku: l.sku.clone(),
            reference: l.reference.clone(),
            quantity: i as i64,
            expected_current: None,
        })
        .collect();
    let before = sim.stats().requests;
    let mut applied = 0;
    for chunk in levels.chunks(channel.limits().max_stock_batch) {
        let report = channel.push_stock(chunk).await.expect("push");
        assert!(report.rejected.is_empty(), "{:?}", report.rejected);
        applied += report.applied.len();
    }
    assert_eq!(applied, 60);
    assert_eq!(sim.stats().requests - before, 3, "60 SKUs take three calls");
    assert_eq!(sim.stock("SKU-042"), Some(42));
    assert_eq!(sim.offers("SKU-042")[0].1, 42);
    // A level for a SKU eBay does not have is rejected alone.
    let report = channel
        .push_stock(&[
            levels[1].clone(),
            ListingLevel {
                sku: "GHOST".into(),
                reference: json!({"sku": "GHOST", "offer_ids": []}),
                quantity: 1,
                expected_current: None,
            },
        ])
        .await
        .unwrap();
    assert_eq!(report.applied, vec!["SKU-001".to_string()]);
    assert_eq!(report.rejected[0].0, "GHOST");
}

#[tokio::test]
async fn tracking_is_written_back_once_even_when_called_twice() {
    let (sim, channel) = setup(EbaySimConfig::default()).await;
    sim.add_product("MUG", "Mug", "12.50", 5);
    let id = sim.place_order(spec("MUG", 2)).await;
    let line = sim.order_json(&id).unwrap()["lineItems"][0]["lineItemId"]
        .as_str()
        .unwrap()
        .to_string();
    let shipment = Shipment {
        order_external_id: id.clone(),
        carrier: "USPS".into(),
        tracking_number: "9400100000000000000001".into(),
        shipped_at: DateTime::parse_from_rfc3339("2026-04-11T09:30:00-07:00").unwrap(),
        lines: vec![ShippedLine {
            line_id: line,
            quantity: 2,
        }],
    };
    channel
        .write_back_shipment(&shipment, "ship-1")
        .await
        .expect("first write");
    channel
        .write_back_shipment(&shipment, "ship-1")
        .await
        .expect("repeat after a crash");
    let shipments = sim.shipments(&id);
    assert_eq!(shipments.len(), 1, "{shipments:?}");
    assert_eq!(shipments[0].tracking_number, "9400100000000000000001");
    assert_eq!(
        sim.order_json(&id).unwrap()["orderFulfillmentStatus"],
        "FULFILLED"
    );
    // A shipment naming no lines ships the whole order.
    let other = sim.place_order(spec("MUG", 1)).await;
    let whole = Shipment {
        order_external_id: other.clone(),
        lines: vec![],
        tracking_number: "1Z2".into(),
        ..shipment
    };
    channel.write_back_shipment(&whole, "ship-2").await.unwrap();
    assert_eq!(sim.shipments(&other).len(), 1);

    // Carriers go as eBay's enumeration, whatever their spelling.
    let third = sim.place_order(spec("MUG", 1)).await;
    let canada = Shipment {
        order_external_id: third.clone(),
        carrier: "canada post".into(),
        tracking_number: "CP1".into(),
        ..whole.clone()
    };
    channel
        .write_back_shipment(&canada, "ship-3")
        .await
        .unwrap();
    assert_eq!(sim.shipments(&third)[0].carrier, "CanadaPost");
    // eBay has no field for a free carrier name: refused by name, nothing sent.
    let fourth = sim.place_order(spec("MUG", 1)).await;
    let odd = Shipment {
        order_external_id: fourth.clone(),
        carrier: "Bob's Couriers".into(),
        ..canada
    };
    let err = channel
        .write_back_shipment(&odd, "ship-4")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ChannelError::Rejected(why) if why.contains("Bob's Couriers")),
        "{err}"
    );
    assert!(sim.shipments(&fourth).is_empty());
}

#[tokio::test]
async fn a_spent_call_quota_is_waited_out() {
    let (sim, channel) = setup(EbaySimConfig {
        call_quota: Some(2),
        quota_window: Duration::from_millis(700),
        ..EbaySimConfig::default()
    })
    .await;
    sim.add_product("MUG", "Mug", "12.50", 5);
    sim.place_order(spec("MUG", 1)).await;
    for _ in 0..5 {
        let page = channel
            .poll_orders(&PollCursor::default())
            .await
            .expect("poll");
        assert_eq!(page.orders.len(), 1);
    }
    assert!(sim.stats().throttled >= 1, "the quota was hit");
}

#[tokio::test]
async fn expired_tokens_are_refreshed() {
    let (sim, channel) = setup(EbaySimConfig {
        access_token_lifetime: Duration::from_secs(1),
        ..EbaySimConfig::default()
    })
    .await;
    channel.poll_orders(&PollCursor::default()).await.unwrap();
    assert_eq!(sim.token_grants(), 1);
    channel.poll_orders(&PollCursor::default()).await.unwrap();
    assert_eq!(sim.token_grants(), 1, "the token is cached");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    channel.poll_orders(&PollCursor::default()).await.unwrap();
    assert_eq!(sim.token_grants(), 2, "refreshed before it lapsed");
    // eBay revokes or expires a token early: the 401 gets one refresh and one retry.
    sim.expire_tokens();
    channel.poll_orders(&PollCursor::default()).await.unwrap();
    assert_eq!(sim.token_grants(), 3);
}

#[tokio::test]
async fn bad_credentials_are_an_auth_error() {
    let cfg = EbaySimConfig::default();
    let sim = EbaySim::start(cfg.clone()).await.unwrap();
    let mut config = channel_config(&sim, &cfg);
    config.client_secret = Some("not-the-secret".into());
    let channel = EbayChannel::new(&config).unwrap();
    let err = channel
        .poll_orders(&PollCursor::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ChannelError::Auth(m) if m.contains("invalid_client")),
        "{err}"
    );
    assert!(!err.to_string().contains("not-the-secret"));
    let mut config = channel_config(&sim, &cfg);
    config.refresh_token = Some("revoked".into());
    let channel = EbayChannel::new(&config).unwrap();
    let err = channel.fetch_order("01-00001-00001").await.unwrap_err();
    assert!(
        matches!(&err, ChannelError::Auth(m) if m.contains("invalid_grant")),
        "{err}"
    );
    config.refresh_token = None;
    assert!(EbayChannel::new(&config).is_err());
}

/// A key pair for this test run, from fresh random bytes.
fn signing_key() -> SigningKey {
    let mut seed = [0u8; 32];
    seed[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    seed[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    SigningKey::from_slice(&seed).expect("a random scalar is a valid key")
}

fn one_line_pem(key: &SigningKey) -> String {
    // SubjectPublicKeyInfo: id-ecPublicKey with prime256v1, then the uncompressed point.
    const SPKI_P256_PREFIX: [u8; 26] = [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ];
    let mut der = SPKI_P256_PREFIX.to_vec();
    der.extend_from_slice(key.verifying_key().to_encoded_point(false).as_bytes());
    format!(
        "-----BEGIN PUBLIC KEY-----{}-----END PUBLIC KEY-----",
        STANDARD.encode(der)
    )
}

fn signature_header(key: &SigningKey, kid: &str, body: &[u8]) -> String {
    let compact = compact_json(body).expect("JSON");
    let digest = Sha1::digest(&compact);
    let signature: Signature = key.sign_prehash(&digest).expect("signs");
    let header = json!({
        "alg": "ecdsa",
        "kid": kid,
        "signature": STANDARD.encode(signature.to_der().as_bytes()),
        "digest": "SHA1",
    });
    STANDARD.encode(header.to_string())
}

#[tokio::test]
async fn signed_order_notifications_verify_and_name_the_order() {
    let (sim, channel) = setup(EbaySimConfig::default()).await;
    sim.add_product("MUG", "Mug", "12.50", 5);
    let id = sim.place_order(spec("MUG", 1)).await;
    let key = signing_key();
    let kid = "3f9c2d1e-0000-4000-8000-0000000000eb";
    sim.set_public_key(kid, &one_line_pem(&key));
    let body = sim.order_notification("ITEM_MARKED_SHIPPED", "notif-1", &id);
    let request = WebhookRequest {
        headers: vec![(
            "x-ebay-signature".into(),
            signature_header(&key, kid, &body),
        )],
        body: body.clone(),
    };
    let Delivery::Order(raw) = channel.verify_webhook(&request).await.expect("verifies") else {
        panic!("expected an order delivery");
    };
    assert_eq!(raw.format, THIN_FORMAT);
    assert_eq!(raw.external_id.as_deref(), Some(id.as_str()));
    assert_eq!(raw.dedup_key, "notif-1");
    let full = channel.fetch_order(&id).await.unwrap().unwrap();
    assert_eq!(channel.normalize(&full).unwrap().external_id, id);
    // The key is cached: a second delivery does not fetch it again.
    let before = sim.stats().requests;
    channel
        .verify_webhook(&request)
        .await
        .expect("verifies again");
    assert_eq!(sim.stats().requests, before);
    // One changed byte, or a key eBay never issued, is refused.
    let mut tampered = request.clone();
    let at = tampered
        .body
        .iter()
        .position(|b| *b == b'-')
        .expect("order ids have dashes");
    tampered.body[at] = b'_';
    assert!(matches!(
        channel.verify_webhook(&tampered).await,
        Err(IngestError::BadSignature(_))
    ));
    let stranger = WebhookRequest {
        headers: vec![(
            "x-ebay-signature".into(),
            signature_header(&key, "unknown-kid", &body),
        )],
        body,
    };
    assert!(matches!(
        channel.verify_webhook(&stranger).await,
        Err(IngestError::BadSignature(_))
    ));
}
