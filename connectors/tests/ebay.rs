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
    Channel, ChannelError, Delivery, IngestError, ListingLevel, PollCursor, Refund, RefundLine,
    RefundOutcome, THIN_FORMAT, WebhookRequest,
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

fn refund_of(order: &str, line: &str, quantity: u32, cents: i64, rma_id: i64) -> Refund {
    let amount = rust_decimal::Decimal::new(cents, 2);
    Refund {
        order_external_id: order.into(),
        currency: "USD".into(),
        lines: vec![RefundLine {
            line_id: line.into(),
            quantity,
            amount,
        }],
        amount,
        rma_id,
        return_external_id: None,
        identical_refunded: 0,
    }
}

#[tokio::test]
async fn a_refund_is_issued_once_and_an_over_refund_is_refused() {
    let (sim, channel) = setup(EbaySimConfig::default()).await;
    sim.add_product("MUG", "Mug", "12.50", 50);
    let id = sim.place_order(spec("MUG", 3)).await;
    let line = sim.order_json(&id).unwrap()["lineItems"][0]["lineItemId"]
        .as_str()
        .unwrap()
        .to_string();
    // One unit back: refunded, and a retry with the same key (the answer lost) finds it.
    let one = refund_of(&id, &line, 1, 1250, 1);
    let first = channel.refund(&one, "refund:ebay:1").await.unwrap();
    let RefundOutcome::Refunded { refund_id } = &first else {
        panic!("{first:?}");
    };
    assert_eq!(channel.refund(&one, "refund:ebay:1").await.unwrap(), first);
    let held = sim.refunds(&id);
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(&held[0].id, refund_id);
    assert_eq!(held[0].amount, "12.50");
    assert_eq!(held[0].lines, vec![(line.clone(), 1)]);
    assert!(held[0].note.contains("refund:ebay:1"), "{:?}", held[0]);
    // The order shows it where a seller reads refunds.
    let order = sim.order_json(&id).unwrap();
    assert_eq!(
        order["paymentSummary"]["refunds"][0]["refundId"],
        refund_id.as_str()
    );
    assert_eq!(
        order["paymentSummary"]["refunds"][0]["amount"]["value"],
        "12.50"
    );
    assert_eq!(
        order["lineItems"][0]["refunds"][0]["refundId"],
        refund_id.as_str()
    );
    // Two more units are another refund; beyond the line's remaining amount is refused.
    let two = refund_of(&id, &line, 2, 2500, 2);
    let second = channel.refund(&two, "refund:ebay:2").await.unwrap();
    assert_ne!(second, first);
    let over = refund_of(&id, &line, 1, 1, 3);
    let refused = channel.refund(&over, "refund:ebay:3").await;
    assert!(
        matches!(refused, Err(ChannelError::Rejected(_))),
        "{refused:?}"
    );
    assert_eq!(sim.refunds(&id).len(), 2);
    // A line not on the order is refused too.
    let stranger = refund_of(&id, "999999", 1, 100, 4);
    let refused = channel.refund(&stranger, "refund:ebay:4").await;
    assert!(
        matches!(refused, Err(ChannelError::Rejected(_))),
        "{refused:?}"
    );
    assert_eq!(sim.refunds(&id).len(), 2);
}

#[tokio::test]
async fn two_identical_returns_on_one_order_are_two_refunds() {
    let (sim, channel) = setup(EbaySimConfig::default()).await;
    sim.add_product("MUG", "Mug", "12.50", 50);
    let id = sim.place_order(spec("MUG", 2)).await;
    let line = sim.order_json(&id).unwrap()["lineItems"][0]["lineItemId"]
        .as_str()
        .unwrap()
        .to_string();
    // RMA 1: one unit back, none like it refunded before.
    let first = refund_of(&id, &line, 1, 1250, 1);
    let RefundOutcome::Refunded { refund_id: r1 } =
        channel.refund(&first, "refund:ebay:1").await.unwrap()
    else {
        panic!("not refunded");
    };
    // RMA 2: the other unit, same line and amount; the store counted RMA 1 as refunded.
    let mut second = refund_of(&id, &line, 1, 1250, 2);
    second.identical_refunded = 1;
    let RefundOutcome::Refunded { refund_id: r2 } =
        channel.refund(&second, "refund:ebay:2").await.unwrap()
    else {
        panic!("not refunded");
    };
    assert_ne!(r1, r2, "the second return is a refund of its own");
    let held = sim.refunds(&id);
    assert_eq!(held.len(), 2, "{held:?}");
    assert!(held[1].note.contains("refund:ebay:2"), "{:?}", held[1]);
    // A retry of RMA 2 (its answer lost) finds its own refund and issues none.
    assert_eq!(
        channel.refund(&second, "refund:ebay:2").await.unwrap(),
        RefundOutcome::Refunded { refund_id: r2 }
    );
    // So does a late retry of RMA 1.
    assert_eq!(
        channel.refund(&first, "refund:ebay:1").await.unwrap(),
        RefundOutcome::Refunded { refund_id: r1 }
    );
    assert_eq!(sim.refunds(&id).len(), 2);
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

fn cancel_request(
    id: &str,
    reason: switchyard_core::cancellation::CancelReason,
) -> switchyard_core::cancellation::ChannelCancel {
    switchyard_core::cancellation::ChannelCancel {
        cancellation_id: 5,
        order_external_id: id.into(),
        order_number: id.into(),
        whole: true,
        lines: Vec::new(),
        reason,
        reason_code: switchyard_core::cancellation::channel_terms(ChannelKind::Ebay)
            .code(reason)
            .unwrap()
            .into(),
    }
}

fn parcel(id: &str) -> Shipment {
    Shipment {
        order_external_id: id.into(),
        carrier: "UPS".into(),
        tracking_number: "1ZCANCELTEST".into(),
        shipped_at: DateTime::parse_from_rfc3339("2026-04-11T09:00:00-05:00").unwrap(),
        lines: Vec::new(),
    }
}

#[tokio::test]
async fn a_seller_cancellation_goes_through_post_order_once_and_a_shipped_order_is_refused() {
    use switchyard_core::cancellation::CancelReason;
    let (sim, channel) = setup(EbaySimConfig::default()).await;
    sim.add_product("MUG", "Mug", "12.50", 50);
    let id = sim.place_order(spec("MUG", 1)).await;
    let request = cancel_request(&id, CancelReason::CustomerRequest);
    let said = channel.cancel_order(&request, "k").await.expect("cancel");
    assert!(said.contains("BUYER_ASKED_CANCEL"), "{said}");
    let again = channel.cancel_order(&request, "k").await.expect("repeat");
    assert!(again.contains("already cancelled"), "{again}");
    let recorded = sim.seller_cancellations(&id);
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(recorded[0].1, "BUYER_ASKED_CANCEL");
    // The order now reads cancelled on eBay.
    let fetched = channel.fetch_order(&id).await.unwrap().unwrap();
    assert_eq!(
        channel.normalize(&fetched).unwrap().status,
        OrderStatus::Cancelled
    );
    // Shipped first: eBay finds it not eligible.
    let shipped = sim.place_order(spec("MUG", 1)).await;
    channel
        .write_back_shipment(&parcel(&shipped), "ship")
        .await
        .unwrap();
    let err = channel
        .cancel_order(&cancel_request(&shipped, CancelReason::OutOfStock), "k2")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not eligible"), "{err}");
    assert!(sim.seller_cancellations(&shipped).is_empty());
}

#[tokio::test]
async fn a_return_request_on_shipped_units_arrives_once_by_its_order_line() {
    let (sim, channel) = setup(EbaySimConfig::default()).await;
    sim.add_product("MUG", "Mug", "12.50", 50);
    let id = sim.place_order(spec("MUG", 2)).await;
    let line = sim.order_json(&id).unwrap()["lineItems"][0]["lineItemId"]
        .as_str()
        .unwrap()
        .to_string();
    // Nothing shipped yet: eBay takes no return request.
    assert_eq!(sim.open_return(&id, &[(line.clone(), 1)]).await, None);
    let page = channel.poll_returns(None).await.unwrap();
    assert!(page.returns.is_empty(), "{page:?}");
    channel
        .write_back_shipment(&parcel(&id), "ship")
        .await
        .unwrap();
    let return_id = sim
        .open_return(&id, &[(line.clone(), 1)])
        .await
        .expect("a return of a shipped unit");
    // One line item per return request, and never more units than shipped.
    assert_eq!(sim.open_return(&id, &[(line.clone(), 2)]).await, None);
    assert_eq!(
        sim.open_return(&id, &[(line.clone(), 1), (line.clone(), 1)])
            .await,
        None
    );
    let page = channel.poll_returns(None).await.unwrap();
    assert_eq!(page.returns.len(), 1, "{page:?}");
    let r = &page.returns[0];
    assert_eq!(r.external_id, return_id);
    assert_eq!(r.order_external_id, id);
    assert_eq!(r.lines, vec![(line.clone(), 1)]);
    assert_eq!(r.reason.as_deref(), Some("no longer need item"));
    // The cursor moves to the newest creation; the next sweep overlaps it, the same return id.
    let cursor = page.next_cursor.expect("a cursor");
    let again = channel.poll_returns(Some(&cursor)).await.unwrap();
    assert_eq!(
        again
            .returns
            .iter()
            .map(|r| r.external_id.as_str())
            .collect::<Vec<_>>(),
        vec![return_id.as_str()]
    );
    // The second shipped unit may go back on its own request.
    let second = sim.open_return(&id, &[(line.clone(), 1)]).await.unwrap();
    let page = channel.poll_returns(Some(&cursor)).await.unwrap();
    let ids: Vec<&str> = page
        .returns
        .iter()
        .map(|r| r.external_id.as_str())
        .collect();
    assert!(ids.contains(&second.as_str()), "{ids:?}");
}

#[tokio::test]
async fn return_requests_page_by_page() {
    let (sim, channel) = setup(EbaySimConfig::default()).await;
    sim.add_product("MUG", "Mug", "12.50", 500);
    let mut opened = Vec::new();
    for n in 0..27 {
        let id = sim.place_order(spec("MUG", 1)).await;
        let line = sim.order_json(&id).unwrap()["lineItems"][0]["lineItemId"]
            .as_str()
            .unwrap()
            .to_string();
        channel
            .write_back_shipment(&parcel(&id), &format!("ship-{n}"))
            .await
            .unwrap();
        opened.push(sim.open_return(&id, &[(line, 1)]).await.unwrap());
    }
    let first = channel.poll_returns(None).await.unwrap();
    assert_eq!(first.returns.len(), 25);
    let second = channel
        .poll_returns(first.next_cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(second.returns.len(), 2);
    let mut seen: Vec<String> = first
        .returns
        .iter()
        .chain(&second.returns)
        .map(|r| r.external_id.clone())
        .collect();
    seen.sort();
    opened.sort();
    assert_eq!(seen, opened);
}
