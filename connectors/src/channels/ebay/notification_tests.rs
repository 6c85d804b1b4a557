//! Signature checks against eBay's own published test vector (read from the shared fixtures
//! at test time, never copied into the repository) and classification of deliveries.

use super::*;
use serde_json::json;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/ebay/");

fn fixture(name: &str) -> String {
    let path = format!("{FIXTURES}{name}");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("eBay test vector {path} is missing ({e}); it must be there"))
}

/// (message bytes, header, key) of eBay's published vector.
fn official_vector() -> (Vec<u8>, SignatureHeader, VerifyingKey) {
    let message = fixture("notification_MARKETPLACE_ACCOUNT_DELETION_message.json").into_bytes();
    let header = decode_header(fixture("notification_X-EBAY-SIGNATURE_header.txt").trim())
        .expect("header decodes");
    let response: Value =
        serde_json::from_str(&fixture("notification_public_key_response.json")).unwrap();
    let key = parse_public_key(response["key"].as_str().unwrap()).expect("key parses");
    (message, header, key)
}

#[test]
fn ebays_published_vector_verifies_over_the_compact_json() {
    let (message, header, key) = official_vector();
    verify_with_key(&key, &header, &message).expect("official vector verifies");
}

#[test]
fn a_one_byte_change_breaks_the_signature() {
    let (message, header, key) = official_vector();
    let text = String::from_utf8(message).unwrap();
    let tampered = text.replacen("test_user", "test_usEr", 1);
    assert_ne!(text, tampered);
    assert!(matches!(
        verify_with_key(&key, &header, tampered.as_bytes()),
        Err(IngestError::BadSignature(_))
    ));
}

#[test]
fn compact_json_keeps_order_and_string_contents() {
    let raw = b"{ \"b\" : 1,\n \"a\": [ \"x y\", \"q\\\" z\" ] }";
    assert_eq!(
        compact_json(raw).unwrap(),
        b"{\"b\":1,\"a\":[\"x y\",\"q\\\" z\"]}".to_vec()
    );
    assert_eq!(compact_json(b"{oops"), None);
}

#[test]
fn headers_that_are_not_ecdsa_sha1_are_refused() {
    let encode = |v: Value| STANDARD.encode(v.to_string());
    assert!(decode_header("%%%").is_err());
    assert!(
        decode_header(&encode(
            json!({"alg": "rsa", "kid": "k", "signature": "s", "digest": "SHA1"})
        ))
        .is_err()
    );
    assert!(
        decode_header(&encode(
            json!({"alg": "ECDSA", "kid": "k", "signature": "s", "digest": "SHA256"})
        ))
        .is_err()
    );
    assert!(
        decode_header(&encode(
            json!({"alg": "ECDSA", "kid": "k", "signature": "s", "digest": "SHA1"})
        ))
        .is_ok()
    );
}

#[test]
fn order_notifications_become_thin_deliveries_and_others_are_acknowledged() {
    let order = json!({
        "metadata": {"topic": "ITEM_MARKED_SHIPPED", "schemaVersion": "1.0", "deprecated": false},
        "notification": {"notificationId": "n-1", "eventDate": "2026-04-10T12:00:00.000Z",
                         "data": {"orderId": "07-1-2", "lineItems": [{"lineItemId": "9"}]}}
    });
    let Delivery::Order(raw) = classify(order.to_string().as_bytes()).unwrap() else {
        panic!("expected an order delivery");
    };
    assert_eq!(raw.format, THIN_FORMAT);
    assert_eq!(raw.external_id.as_deref(), Some("07-1-2"));
    assert_eq!(raw.dedup_key, "n-1");
    assert_eq!(raw.topic, "ITEM_MARKED_SHIPPED");
    let nested = json!({"metadata": {"topic": "ORDER_CONFIRMATION"},
        "notification": {"notificationId": "n-2", "data": {"order": {"orderId": "07-3-4"}}}});
    assert!(matches!(
        classify(nested.to_string().as_bytes()).unwrap(),
        Delivery::Order(RawOrder { external_id: Some(id), .. }) if id == "07-3-4"
    ));
    let deletion = fixture("notification_MARKETPLACE_ACCOUNT_DELETION_message.json");
    assert!(matches!(
        classify(deletion.as_bytes()).unwrap(),
        Delivery::Acknowledge { .. }
    ));
    assert!(matches!(classify(b"[]"), Err(IngestError::Unreadable(_))));
}

#[test]
fn challenge_response_is_sha256_hex_of_code_token_endpoint() {
    assert_eq!(
        challenge_response(
            "c0de-1234",
            "switchyard-verification-token-0123456789",
            "https://hub.example.com/webhooks/ebay"
        ),
        "d16f696ab1ed3b76210be15f59df41abeb7442a13f060106e523fd8c4ef472ee"
    );
}
