//! The fuzz targets: each takes bytes from outside and must not panic, whatever they are.
//! Where a target can say more than "no panic" it checks it (a refused signature stays
//! refused, what strict parsing accepts lenient parsing accepts with no findings, a canonical
//! order round-trips through its JSON form).

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::ecdsa::{Signature, SigningKey};
use sha1::Digest;
use sha2::Sha256;
use switchyard_connectors::channels::{bigcommerce, ebay, etsy, woocommerce};
use switchyard_connectors::fulfillment::csv_sftp::CsvSftpTarget;
use switchyard_connectors::fulfillment::edi_events::{self, SkuResolver};
use switchyard_connectors::fulfillment::exchange::{Incoming, SentRecord};
use switchyard_connectors::fulfillment::http_json::{self, HttpJsonTarget};
use switchyard_connectors::fulfillment::shipbob::{self, events::SkuNames};
use switchyard_connectors::http::standard_webhooks;
use switchyard_core::config::{
    self, AdapterConfig, AdapterKind, ChannelConfig, CsvColumn, CsvConfig, CsvField,
    HttpJsonAdapterConfig, SftpConfig,
};
use switchyard_core::fulfillment::FulfillmentTarget;
use switchyard_core::intake::IntakeRules;
use switchyard_core::model::{ChannelKind, Order};
use switchyard_core::ports::{Channel, Delivery, IngestError, WebhookRequest};
use switchyard_edi::docs::ack855::PoAcknowledgement;
use switchyard_edi::docs::advice945::ShippingAdvice;
use switchyard_edi::docs::asn856::ShipNotice;
use switchyard_edi::docs::inventory846::InventoryAdvice;
use switchyard_edi::docs::invoice810::Invoice;
use switchyard_edi::docs::order940::ShippingOrder;
use switchyard_edi::docs::po850::PurchaseOrder;
use switchyard_edi::{FunctionalAck, Transaction};

const SECRET: &str = "fuzz-webhook-secret";

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime")
    })
}

/// An account of `kind` with every credential filled in (loopback, never called).
pub fn account(kind: ChannelKind) -> ChannelConfig {
    let x = || Some("x".to_string());
    ChannelConfig {
        access_token: x(),
        location_id: Some("1".into()),
        consumer_key: x(),
        consumer_secret: x(),
        webhook_secret: Some(SECRET.into()),
        client_id: x(),
        client_secret: x(),
        refresh_token: x(),
        marketplace_id: Some("ATVPDKIKX0DER".into()),
        seller_id: x(),
        shop_id: Some("1".into()),
        store_hash: Some("abc123".into()),
        api_version: (kind == ChannelKind::Shopify).then(|| "2026-04".into()),
        ..ChannelConfig::new(kind.as_str(), kind, "http://127.0.0.1:9")
    }
}

fn channel(kind: ChannelKind) -> Arc<dyn Channel> {
    static BUILT: OnceLock<BTreeMap<ChannelKind, Arc<dyn Channel>>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        ChannelKind::ALL
            .into_iter()
            .map(|k| {
                let c = switchyard_connectors::registry::build(&account(k), memory())
                    .unwrap_or_else(|e| panic!("{k} account builds: {e}"));
                (k, c)
            })
            .collect()
    });
    Arc::clone(&built[&kind])
}

/// The connector's normalizer, then the intake rules, as the normalizer worker runs them.
pub fn normalize(kind: ChannelKind, data: &[u8]) {
    let Ok(order) = switchyard_connectors::registry::normalize_file(kind, data) else {
        return;
    };
    let _ = IntakeRules::default().check(&order);
    // The canonical order is a public contract (`switchyard normalize`): it must read back.
    let json = serde_json::to_vec(&order).expect("an order serializes");
    let back: Order = serde_json::from_slice(&json).expect("an order reads back");
    assert_eq!(back, order, "canonical order changed through JSON");
}

/// How a webhook target dresses the body: the first input byte picks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dress {
    /// Signed as the channel signs, with the account's secret.
    Signed,
    /// Signed with another secret: must be refused as a bad signature.
    WrongSecret,
    /// No signature headers at all.
    Bare,
    /// Signed, with a topic made of input bytes.
    OddTopic,
}

fn dress(data: &[u8]) -> (Dress, &[u8]) {
    match data.split_first() {
        Some((b, body)) => (
            match b % 4 {
                0 => Dress::Signed,
                1 => Dress::WrongSecret,
                2 => Dress::Bare,
                _ => Dress::OddTopic,
            },
            body,
        ),
        None => (Dress::Bare, data),
    }
}

fn hmac_b64(secret: &[u8], parts: &[&[u8]]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key");
    for p in parts {
        mac.update(p);
    }
    STANDARD.encode(mac.finalize().into_bytes())
}

fn ebay_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::from_slice(&[7u8; 32]).expect("a valid scalar"))
}

fn ebay_header(key: &SigningKey, body: &[u8]) -> Option<String> {
    let compact = ebay::compact_json(body)?;
    let digest = sha1::Sha1::digest(&compact);
    let signature: Signature = key.sign_prehash(&digest).ok()?;
    let header = serde_json::json!({
        "alg": "ecdsa",
        "kid": "fuzz-kid",
        "signature": STANDARD.encode(signature.to_der().as_bytes()),
        "digest": "SHA1",
    });
    Some(STANDARD.encode(header.to_string()))
}

/// The headers the channel would send with `body`, signed with `secret`.
fn signed_headers(
    kind: ChannelKind,
    secret: &str,
    topic: &str,
    body: &[u8],
) -> Vec<(String, String)> {
    let now = chrono::Utc::now().timestamp();
    let h = |k: &str, v: String| (k.to_string(), v);
    let standard = |key: &[u8]| {
        vec![
            h("webhook-id", "msg_fuzz".into()),
            h("webhook-timestamp", now.to_string()),
            h(
                "webhook-signature",
                standard_webhooks::sign(key, "msg_fuzz", now, body),
            ),
        ]
    };
    match kind {
        ChannelKind::Shopify => vec![
            h(
                "X-Shopify-Hmac-Sha256",
                hmac_b64(secret.as_bytes(), &[body]),
            ),
            h("X-Shopify-Topic", topic.into()),
            h("X-Shopify-Webhook-Id", "fuzz-1".into()),
        ],
        ChannelKind::Woocommerce => vec![
            h(
                "X-WC-Webhook-Signature",
                woocommerce::webhook::sign(secret.as_bytes(), body),
            ),
            h("X-WC-Webhook-Topic", topic.into()),
        ],
        ChannelKind::Amazon => vec![h("x-api-key", secret.into())],
        ChannelKind::Etsy => {
            let key = etsy::webhook::signing_key(secret).unwrap_or_default();
            let ts = now.to_string();
            let sig = etsy::webhook::signature(&key, "msg_fuzz", &ts, body).unwrap_or_default();
            vec![
                h("webhook-id", "msg_fuzz".into()),
                h("webhook-timestamp", ts),
                h("webhook-signature", sig),
            ]
        }
        ChannelKind::Bigcommerce => {
            let key = bigcommerce::webhook::signing_key(secret).unwrap_or_default();
            let mut out = standard(&key);
            out[2].1 = bigcommerce::webhook::sign(&key, "msg_fuzz", now, body);
            out
        }
        ChannelKind::Ebay => {
            let key = if secret == SECRET {
                ebay_key().clone()
            } else {
                SigningKey::from_slice(&[9u8; 32]).expect("a valid scalar")
            };
            ebay_header(&key, body)
                .map(|v| vec![h("x-ebay-signature", v)])
                .unwrap_or_default()
        }
        ChannelKind::Walmart => Vec::new(),
    }
}

/// The channel's webhook check and classification on a body dressed as the first byte says.
pub fn webhook(kind: ChannelKind, data: &[u8]) -> Result<Delivery, IngestError> {
    let (how, body) = dress(data);
    let topic = match (how, kind) {
        (Dress::OddTopic, _) => String::from_utf8_lossy(&body[..body.len().min(12)]).into_owned(),
        (_, ChannelKind::Woocommerce) => "order.updated".into(),
        _ => "orders/updated".into(),
    };
    let headers = match how {
        Dress::Signed | Dress::OddTopic => signed_headers(kind, SECRET, &topic, body),
        Dress::WrongSecret => signed_headers(kind, "another-secret", &topic, body),
        Dress::Bare => Vec::new(),
    };
    let request = WebhookRequest {
        headers,
        body: body.to_vec(),
    };
    let outcome = match kind {
        ChannelKind::Ebay => ebay::notification::verify_with(ebay_key().verifying_key(), &request),
        _ => runtime().block_on(channel(kind).verify_webhook(&request)),
    };
    if how == Dress::WrongSecret && !request.headers.is_empty() {
        assert!(
            matches!(outcome, Err(IngestError::BadSignature(_))),
            "{kind}: a body signed with another secret was not refused: {outcome:?}"
        );
    }
    outcome
}

/// The X12 parser, strict and lenient, and the envelope checks.
pub fn edi_parse(data: &[u8]) {
    let strict = switchyard_edi::parse(data);
    let lenient = switchyard_edi::parse_lenient(data);
    if let Ok(doc) = &strict {
        let lenient = lenient
            .as_ref()
            .expect("what strict parsing reads, lenient parsing reads");
        assert_eq!(&lenient.document, doc, "strict and lenient trees differ");
        for interchange in &doc.interchanges {
            assert!(
                switchyard_edi::validate::all_problems(interchange).is_empty(),
                "strict parsing accepted an interchange with envelope problems"
            );
        }
        serde_json::to_vec(doc).expect("a parsed document serializes");
    }
    if let Ok(parsed) = lenient {
        for interchange in &parsed.document.interchanges {
            let _ = switchyard_edi::validate::all_problems(interchange);
            for group in &interchange.groups {
                let _ = FunctionalAck::for_group(group).to_transaction(1);
            }
        }
    }
}

/// Which typed reader an EDI target runs.
#[derive(Debug, Clone, Copy)]
pub enum EdiSet {
    Po850,
    Ack855,
    Asn856,
    Inventory846,
    Order940,
    Advice945,
    Invoice810,
    Ack997,
}

/// Parses leniently, then runs one typed reader on every transaction set found, and turns what
/// it reads into partner events as the EDI adapters do.
pub fn edi_document(set: EdiSet, data: &[u8]) {
    let Ok(parsed) = switchyard_edi::parse_lenient(data) else {
        return;
    };
    let skus = SkuResolver::new(&BTreeMap::from([(
        "MUG-BLUE".to_string(),
        "V-100".to_string(),
    )]));
    let transactions = parsed
        .document
        .interchanges
        .iter()
        .flat_map(|i| &i.groups)
        .flat_map(|g| &g.transactions);
    for tx in transactions {
        read_set(set, tx, &skus);
    }
}

/// What the sent log would hold for the PO the hand-written documents answer.
fn sent_record() -> &'static SentRecord {
    static RECORD: OnceLock<SentRecord> = OnceLock::new();
    RECORD.get_or_init(|| SentRecord {
        key: "shop:1001".into(),
        reference: "shop:1001".into(),
        document: "850".into(),
        po_number: "PO-1".into(),
        control_number: 7,
        file: "po_shop_1001.edi".into(),
        lines: Vec::new(),
    })
}

fn read_set(set: EdiSet, tx: &Transaction, skus: &SkuResolver) {
    let record = Some(sent_record());
    match set {
        EdiSet::Po850 => {
            if let Ok(po) = PurchaseOrder::from_transaction(tx) {
                let _ = po.to_transaction(1);
            }
        }
        EdiSet::Ack855 => {
            if let Ok(ack) = PoAcknowledgement::from_transaction(tx) {
                let _ = edi_events::from_855(&ack, record, skus);
            }
        }
        EdiSet::Asn856 => {
            if let Ok(notice) = ShipNotice::from_transaction(tx) {
                let _ = edi_events::from_856(&notice, &|_| record.cloned(), skus);
            }
        }
        EdiSet::Inventory846 => {
            if let Ok(advice) = InventoryAdvice::from_transaction(tx) {
                let _ = edi_events::from_846(&advice, skus);
            }
        }
        EdiSet::Order940 => {
            if let Ok(order) = ShippingOrder::from_transaction(tx) {
                let _ = order.to_transaction(1);
            }
        }
        EdiSet::Advice945 => {
            if let Ok(advice) = ShippingAdvice::from_transaction(tx) {
                let _ = edi_events::from_945(&advice, record, skus);
            }
        }
        EdiSet::Invoice810 => {
            let _ = Invoice::from_transaction(tx);
        }
        EdiSet::Ack997 => {
            if let Ok(ack) = FunctionalAck::from_transaction(tx) {
                let _ = edi_events::from_997(&ack, record);
            }
        }
    }
}

fn col(header: &str, field: CsvField) -> CsvColumn {
    CsvColumn {
        header: header.into(),
        field,
    }
}

/// A `csv_sftp` supplier with shipment columns `PO,Item,Shipped,Carrier,Tracking` and stock
/// columns `Item,On hand` (SFTP settings are never used: only the readers run).
pub fn csv_target() -> &'static CsvSftpTarget {
    static TARGET: OnceLock<CsvSftpTarget> = OnceLock::new();
    TARGET.get_or_init(|| {
        let mut config = AdapterConfig::new(AdapterKind::CsvSftp);
        config.sku_map = BTreeMap::from([("MUG".to_string(), "C-MUG".to_string())]);
        config.sftp = Some(SftpConfig {
            host: "127.0.0.1".into(),
            port: 22,
            user: "u".into(),
            private_key_path: "/nonexistent".into(),
            host_key: "SHA256:x".into(),
            outbox: "out".into(),
            inbox: "in".into(),
            archive: None,
            sent: None,
            timeout_secs: 5,
        });
        config.csv = Some(CsvConfig {
            order_columns: vec![
                col("PO", CsvField::PoNumber),
                col("Item", CsvField::PartnerSku),
                col("Qty", CsvField::Quantity),
            ],
            shipment_columns: vec![
                col("PO", CsvField::PoNumber),
                col("Item", CsvField::PartnerSku),
                col("Shipped", CsvField::Quantity),
                col("Carrier", CsvField::Carrier),
                col("Tracking", CsvField::Tracking),
            ],
            stock_columns: vec![
                col("Item", CsvField::PartnerSku),
                col("On hand", CsvField::Quantity),
            ],
            shipment_prefix: "ship".into(),
            stock_prefix: "stock".into(),
        });
        CsvSftpTarget::new("csvco", &config, memory()).expect("the CSV supplier builds")
    })
}

pub fn csv_shipments(data: &[u8]) {
    let file = Incoming {
        name: "ship_1.csv".into(),
        bytes: data.to_vec(),
    };
    let _ = csv_target().read_shipments(&file);
}

pub fn csv_stock(data: &[u8]) {
    let file = Incoming {
        name: "stock_1.csv".into(),
        bytes: data.to_vec(),
    };
    let _ = csv_target().read_stock(&file);
}

fn http_json_target() -> &'static HttpJsonTarget {
    static TARGET: OnceLock<HttpJsonTarget> = OnceLock::new();
    TARGET.get_or_init(|| {
        let mut config = AdapterConfig::new(AdapterKind::HttpJson);
        config.sku_map = BTreeMap::from([("MUG-BLUE".to_string(), "V-100".to_string())]);
        config.http_json = Some(HttpJsonAdapterConfig::new(
            "http://127.0.0.1:9/orders",
            "http://127.0.0.1:9/orders/{po}/cancel",
            SECRET,
        ));
        HttpJsonTarget::new("acme", &config).expect("the HTTP JSON supplier builds")
    })
}

/// A dropship supplier's signed webhook (`X-Switchyard-Signature`) → partner events.
pub fn http_json_webhook(data: &[u8]) {
    let (how, body) = dress(data);
    let now = chrono::Utc::now().timestamp();
    let secret = match how {
        Dress::WrongSecret => "another-secret",
        _ => SECRET,
    };
    let headers = match how {
        Dress::Bare => Vec::new(),
        _ => vec![(
            http_json::signature::HEADER.to_string(),
            http_json::signature::sign(secret.as_bytes(), now, body),
        )],
    };
    let request = WebhookRequest {
        headers,
        body: body.to_vec(),
    };
    let outcome = runtime().block_on(http_json_target().verify_webhook(&request));
    if how == Dress::WrongSecret {
        assert!(
            matches!(outcome, Err(IngestError::BadSignature(_))),
            "a supplier webhook signed with another secret was not refused: {outcome:?}"
        );
    }
}

/// ShipBob's Standard Webhooks delivery → partner events.
pub fn shipbob_webhook(data: &[u8]) {
    const KEY: &[u8] = b"shipbob-fuzz-key";
    let (how, body) = dress(data);
    let now = chrono::Utc::now();
    let ts = now.timestamp();
    let key: &[u8] = match how {
        Dress::WrongSecret => b"another-key",
        _ => KEY,
    };
    let topic = match how {
        Dress::OddTopic => String::from_utf8_lossy(&body[..body.len().min(12)]).into_owned(),
        _ => "order.shipped".into(),
    };
    let mut headers = vec![("x-webhook-topic".to_string(), topic)];
    if how != Dress::Bare {
        headers.extend([
            ("webhook-id".to_string(), "msg_fuzz".to_string()),
            ("webhook-timestamp".to_string(), ts.to_string()),
            (
                "webhook-signature".to_string(),
                standard_webhooks::sign(key, "msg_fuzz", ts, body),
            ),
        ]);
    }
    let request = WebhookRequest {
        headers,
        body: body.to_vec(),
    };
    let outcome = shipbob::webhook::verify_at(KEY, &request, &SkuNames::default(), now);
    if how == Dress::WrongSecret {
        assert!(
            matches!(outcome, Err(IngestError::BadSignature(_))),
            "a ShipBob webhook signed with another key was not refused: {outcome:?}"
        );
    }
}

/// The configuration loader (YAML, `${VAR}`, checks) and the routing rules loader on the text.
pub fn config_load(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Every variable is set except those ending in `_`, so both paths are reached.
    let env = |name: &str| (!name.ends_with('_')).then(|| "x".to_string());
    // (Building each connector, as `check` also does, makes TLS clients: too slow to fuzz.)
    if let Ok(base) = config::load_str(text, "fuzz.yaml", &env) {
        let _ = config::load_routing_str(text, "rules.yaml", &env, &base);
    }
}

/// Connector state for harness-built connectors: nothing here outlives the process.
fn memory() -> std::sync::Arc<dyn switchyard_core::connector_state::ConnectorState> {
    std::sync::Arc::new(switchyard_core::connector_state::MemoryState::new())
}
