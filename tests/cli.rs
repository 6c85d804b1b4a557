//! The operator commands that need no daemon: check, normalize, stock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_switchyard");

fn run(args: &[&str], envs: &[(&str, &str)]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .expect("run switchyard");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every `${VAR}` the example configuration references, with a dummy value.
fn example_env() -> Vec<(String, String)> {
    let text = std::fs::read_to_string("config/switchyard.example.yaml").expect("example config");
    let mut vars = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        vars.push((after[..end].to_string(), "dummy-value".to_string()));
        rest = &after[end..];
    }
    vars
}

#[test]
fn the_example_configuration_is_valid() {
    let vars = example_env();
    assert!(
        !vars.is_empty(),
        "the example keeps its secrets in environment variables"
    );
    let envs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (ok, stdout, stderr) = run(
        &["check", "--config", "config/switchyard.example.yaml"],
        &envs,
    );
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("ok") && stdout.contains("shopify") && stdout.contains("woocommerce"),
        "{stdout}"
    );
}

#[test]
fn check_names_file_line_and_field_for_every_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "channels:\n  - id: shop\n    kind: shopify\n    base_url: https://x.myshopify.com\n    access_token: ${MISSING_TOKEN_FOR_TEST}\n    location_id: \"1\"\n    webhook_secret: s\n    colour: blue\n  - id: woo\n    kind: woocommerce\n    base_url: https://shop.example\n    webhook_secret: s\n    consumer_key: k\n    consumer_secret: c\n    stock:\n      buffer: lots\nlocations:\n  - id: main\n    kind: self\n",
    )
    .expect("write");
    let file = path.display().to_string();
    let (ok, _, stderr) = run(&["check", "--config", &file], &[]);
    assert!(!ok, "a broken config must fail");
    assert!(
        stderr.contains(&format!("{file}:5:")) && stderr.contains("MISSING_TOKEN_FOR_TEST"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{file}:8:")) && stderr.contains("colour"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{file}:16:")) && stderr.contains("buffer"),
        "{stderr}"
    );
}

#[test]
fn normalize_prints_the_canonical_order() {
    let (ok, stdout, stderr) = run(
        &[
            "normalize",
            "--channel",
            "shopify",
            "tests/fixtures/shopify_order_webhook.json",
        ],
        &[],
    );
    assert!(ok, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["channel_kind"], "shopify");
    assert_eq!(v["external_id"], "5512000001");
    assert_eq!(v["number"], "#2041");
    assert_eq!(v["placed_at"], "2026-10-30T09:15:02+01:00");
    assert_eq!(v["status"], "open");
    assert_eq!(v["payment_status"], "paid");
    assert_eq!(v["total"], "74.85");
    assert_eq!(v["lines"][0]["unit_price"], "18.95");
    assert_eq!(v["lines"][1]["sku"], serde_json::Value::Null);
    assert_eq!(v["ship_to"]["region"], "BE");
    assert_eq!(v["ship_to"]["company"], serde_json::Value::Null);
    assert_eq!(v["customer_email"], "ada@example.org");

    let (ok, stdout, stderr) = run(
        &[
            "normalize",
            "--channel",
            "woocommerce",
            "tests/fixtures/woocommerce_order.json",
        ],
        &[],
    );
    assert!(ok, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["external_id"], "3301");
    assert_eq!(v["placed_at"], "2026-11-02T14:05:00-05:00");
    assert_eq!(v["payment_status"], "paid");
    assert_eq!(v["lines"][0]["unit_price"], "9.95");
    assert_eq!(v["lines"][1]["unit_price"], "30.05");
    assert_eq!(v["ship_to"]["address2"], "Unit 4");
    assert_eq!(v["ship_to"]["name"], "Grace Hopper");
}

#[test]
fn normalize_names_the_field_it_cannot_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("bad.json");
    std::fs::write(
        &path,
        r#"{"id": 1, "number": "1", "status": "processing", "currency": "USD", "total": "x"}"#,
    )
    .expect("write");
    let (ok, _, stderr) = run(
        &[
            "normalize",
            "--channel",
            "woocommerce",
            &path.display().to_string(),
        ],
        &[],
    );
    assert!(!ok);
    assert!(stderr.contains("error:"), "{stderr}");
}

#[test]
fn stock_commands_work_without_a_config() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = format!("sqlite://{}", dir.path().join("s.db").display());
    let (ok, _, stderr) = run(
        &[
            "--store",
            &store,
            "stock",
            "set",
            "MUG",
            "12",
            "--location",
            "main",
        ],
        &[],
    );
    assert!(ok, "{stderr}");
    let (ok, stdout, _) = run(&["--store", &store, "stock", "show"], &[]);
    assert!(ok && stdout.contains("MUG\tmain\t12\t0\t12"), "{stdout}");
}

#[test]
fn check_also_applies_each_connectors_own_rules() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("etsy.yaml");
    std::fs::write(
        &path,
        "channels:\n  - id: etsy\n    kind: etsy\n    base_url: https://openapi.etsy.com\n    client_id: k\n    refresh_token: r\n    shop_id: not-a-number\nlocations:\n  - id: main\n    kind: self\n",
    )
    .expect("write");
    let (ok, _, stderr) = run(&["check", "--config", &path.display().to_string()], &[]);
    assert!(!ok, "a shop id Etsy cannot have must fail the check");
    assert!(
        stderr.contains("shop_id") && stderr.contains("etsy"),
        "{stderr}"
    );
}

#[test]
fn stock_audit_runs_the_database_checks_with_only_a_store() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = format!("sqlite://{}", dir.path().join("s.db").display());
    let absent = dir.path().join("absent.yaml").display().to_string();
    let (ok, _, stderr) = run(
        &[
            "--store",
            &store,
            "stock",
            "set",
            "MUG",
            "12",
            "--location",
            "main",
        ],
        &[],
    );
    assert!(ok, "{stderr}");
    let (ok, stdout, stderr) = run(
        &["--config", &absent, "--store", &store, "stock", "audit"],
        &[],
    );
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("0 violation(s)"), "{stdout}");
    assert!(
        stdout.contains("skipped listed_above_available: no configuration"),
        "{stdout}"
    );
    let (ok, stdout, stderr) = run(
        &[
            "--config", &absent, "--store", &store, "stock", "audit", "--json",
        ],
        &[],
    );
    assert!(ok, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    assert_eq!(report["violations"], serde_json::json!([]));
    assert!(
        report["skipped"][0]
            .as_str()
            .unwrap()
            .starts_with("listed_above_available")
    );
    // Without --store the configuration is still required, and its absence named.
    let (ok, _, stderr) = run(&["--config", &absent, "stock", "audit"], &[]);
    assert!(!ok && stderr.contains("absent.yaml"), "{stderr}");
}

#[test]
fn check_refuses_intake_limits_out_of_range() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("intake.yaml");
    std::fs::write(
        &path,
        "channels:\n  - id: shop\n    kind: shopify\n    base_url: https://x.myshopify.com\n    access_token: t\n    location_id: \"1\"\n    webhook_secret: s\nlocations:\n  - id: main\n    kind: self\nintake:\n  max_line_quantity: 0\n  max_sku_len: 100000\n",
    )
    .expect("write");
    let file = path.display().to_string();
    let (ok, _, stderr) = run(&["check", "--config", &file], &[]);
    assert!(!ok, "limits out of range must fail the check");
    assert!(
        stderr.contains("intake.max_line_quantity") && stderr.contains("intake.max_sku_len"),
        "{stderr}"
    );
    std::fs::write(
        &path,
        "channels:\n  - id: shop\n    kind: shopify\n    base_url: https://x.myshopify.com\n    access_token: t\n    location_id: \"1\"\n    webhook_secret: s\nlocations:\n  - id: main\n    kind: self\nintake: {max_line_quantity: 500, max_sku_len: 64}\n",
    )
    .expect("write");
    let (ok, stdout, stderr) = run(&["check", "--config", &file], &[]);
    assert!(ok, "{stdout}{stderr}");
}

#[test]
fn normalize_applies_the_intake_rules() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut order: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("tests/fixtures/woocommerce_order.json").expect("fixture"),
    )
    .expect("JSON");
    order["line_items"][0]["quantity"] = serde_json::json!(0);
    let path = dir.path().join("zero.json");
    std::fs::write(&path, order.to_string()).expect("write");
    let absent = dir.path().join("absent.yaml").display().to_string();
    let (ok, _, stderr) = run(
        &[
            "--config",
            &absent,
            "normalize",
            "--channel",
            "woocommerce",
            &path.display().to_string(),
        ],
        &[],
    );
    assert!(!ok);
    assert!(
        stderr.contains("lines[0].quantity") && stderr.contains("0 units"),
        "{stderr}"
    );
}

#[test]
fn the_example_configuration_validates_against_the_printed_schema() {
    let (ok, stdout, stderr) = run(&["schema"], &[]);
    assert!(ok, "{stderr}");
    let schema: serde_json::Value = serde_json::from_str(&stdout).expect("schema is JSON");
    assert!(
        schema["properties"]["channels"].is_object() && schema["properties"]["admin"].is_object(),
        "{stdout}"
    );
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let text = std::fs::read_to_string("config/switchyard.example.yaml").expect("example config");
    let example: serde_json::Value = serde_saphyr::from_str(&text).expect("example is YAML");
    let errors: Vec<String> = validator
        .iter_errors(&example)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // And the schema refuses what the loader refuses: an unknown key, a wrong kind.
    let mut bad = example.clone();
    bad["colour"] = "blue".into();
    bad["channels"][0]["kind"] = "myspace".into();
    assert!(validator.iter_errors(&bad).count() >= 2);
}
