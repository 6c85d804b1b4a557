//! The deployment files in `deploy/` (issue 10): the configuration each of them gives the
//! daemon passes `switchyard check`, and their shapes hold (three replicas with their own ids
//! on PostgreSQL behind one port; one replica on SQLite with a volume, or N on PostgreSQL).
//!
//! `helm` is not on a fresh machine (no Debian package): the Helm check renders what the
//! chart's ConfigMap template renders (the template is checked to still say so), and when
//! `helm` is on the PATH it also runs `helm lint` and `helm template` and checks their output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_switchyard");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// KEY=value lines of an env file.
fn env_file(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// `switchyard --config FILE check` with `env`; its standard output, after asserting success.
fn check(config: &Path, env: &[(String, String)]) -> String {
    let out = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .arg("check")
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} fails `switchyard check`:\n{}{}",
        config.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn compose_runs_three_replicas_with_their_own_ids_on_postgres_behind_one_port() {
    let dir = root().join("deploy/compose");
    let compose = yaml(&dir.join("compose.yaml"));
    let services = compose["services"].as_object().unwrap();
    let replicas: Vec<(&String, &Value)> = services
        .iter()
        .filter(|(name, _)| name.starts_with("switchyard-"))
        .collect();
    assert_eq!(replicas.len(), 3, "three replicas");
    let mut ids = std::collections::BTreeSet::new();
    let env_example = env_file(&dir.join("env.example"));
    let password = env_example
        .iter()
        .find(|(k, _)| k == "POSTGRES_PASSWORD")
        .map(|(_, v)| v.clone())
        .unwrap();
    for (name, svc) in &replicas {
        let env = &svc["environment"];
        let id = env["SWITCHYARD_REPLICA_ID"].as_str().unwrap();
        assert_eq!(id, name.as_str(), "each replica is named after its service");
        assert!(ids.insert(id.to_string()), "replica ids are unique");
        let url = env["SWITCHYARD_STORE_URL"].as_str().unwrap();
        assert!(url.starts_with("postgres://"), "{name}: {url}");
        assert!(
            svc["depends_on"]["postgres"]["condition"] == "service_healthy",
            "{name} waits for PostgreSQL"
        );
        let mounts: Vec<&str> = svc["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            mounts.contains(&"./switchyard.yaml:/etc/switchyard/switchyard.yaml:ro"),
            "{name}: {mounts:?}"
        );
        // The configuration as this replica reads it: compose's variables, then the daemon's.
        let mut env: Vec<(String, String)> = env_example.clone();
        env.push((
            "SWITCHYARD_STORE_URL".into(),
            url.replace("${POSTGRES_PASSWORD}", &password),
        ));
        let out = check(&dir.join("switchyard.yaml"), &env);
        assert!(out.contains("store:     postgres://switchyard:"), "{out}");
        assert!(out.contains("server:    0.0.0.0:8080"), "{out}");
    }
    // One port in front of them, and the balancer knows all three.
    let ports = services["lb"]["ports"].as_array().unwrap();
    assert_eq!(ports, &vec![Value::from("8080:8080")]);
    let nginx = std::fs::read_to_string(dir.join("nginx.conf")).unwrap();
    for id in &ids {
        assert!(
            nginx.contains(&format!("server {id}:8080")),
            "nginx.conf lacks {id}"
        );
    }
}

/// What `templates/configmap.yaml` renders for `values`: the store URL by engine, the
/// listen address, then `config` as it stands.
fn render_helm_config(values: &Value) -> Value {
    let mut config = values["config"].clone();
    let map = config.as_object_mut().unwrap();
    let url = match values["store"]["engine"].as_str().unwrap() {
        "sqlite" => "sqlite:///var/lib/switchyard/switchyard.db",
        "postgres" => "${SWITCHYARD_STORE_URL}",
        other => panic!("engine {other}"),
    };
    map.insert("store".into(), serde_json::json!({ "url": url }));
    map.insert(
        "server".into(),
        serde_json::json!({ "listen": "0.0.0.0:8080" }),
    );
    config
}

/// `base` with `overlay`'s keys replacing its own, recursively (as `helm -f` merges values).
fn merge(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, o) => *b = o.clone(),
    }
}

#[test]
fn the_helm_chart_gives_one_sqlite_replica_or_several_on_postgres_a_valid_configuration() {
    let chart = root().join("deploy/helm/switchyard");
    let template = std::fs::read_to_string(chart.join("templates/configmap.yaml")).unwrap();
    for line in [
        "url: sqlite:///var/lib/switchyard/switchyard.db",
        "url: ${SWITCHYARD_STORE_URL}",
        "listen: 0.0.0.0:8080",
        "toYaml .Values.config",
    ] {
        assert!(
            template.contains(line),
            "configmap.yaml no longer renders `{line}`: update render_helm_config"
        );
    }
    let workload = std::fs::read_to_string(chart.join("templates/workload.yaml")).unwrap();
    assert!(workload.contains("StatefulSet") && workload.contains("volumeClaimTemplates"));
    assert!(workload.contains("SWITCHYARD_REPLICA_ID"));
    let helpers = std::fs::read_to_string(chart.join("templates/_helpers.tpl")).unwrap();
    assert!(helpers.contains("store.engine sqlite runs exactly one replica"));

    let dir = tempfile::tempdir().unwrap();
    let secrets: Vec<(String, String)> = [
        ("SHOPIFY_ACCESS_TOKEN", "shpat_test"),
        ("SHOPIFY_WEBHOOK_SECRET", "secret"),
        (
            "SWITCHYARD_STORE_URL",
            "postgres://switchyard:pw@postgres:5432/switchyard",
        ),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .to_vec();
    let base = yaml(&chart.join("values.yaml"));
    assert_eq!(base["replicaCount"], 1);
    assert_eq!(base["store"]["engine"], "sqlite");
    let mut postgres = base.clone();
    merge(&mut postgres, &yaml(&chart.join("values-postgres.yaml")));
    assert_eq!(postgres["store"]["engine"], "postgres");
    assert!(postgres["replicaCount"].as_u64().unwrap() > 1);
    for (shape, values, store) in [
        ("sqlite", &base, "sqlite:///var/lib/switchyard"),
        ("postgres", &postgres, "postgres://switchyard:"),
    ] {
        let path = dir.path().join(format!("{shape}.yaml"));
        let text = serde_saphyr::to_string(&render_helm_config(values)).unwrap();
        std::fs::write(&path, text).unwrap();
        let out = check(&path, &secrets);
        assert!(
            out.contains(&format!("store:     {store}")),
            "{shape}: {out}"
        );
    }

    // With helm at hand, the chart itself: lint, render both shapes, refuse SQLite × 2.
    if Command::new("helm").arg("version").output().is_ok() {
        let chart_arg = chart.to_str().unwrap();
        let lint = Command::new("helm")
            .args(["lint", chart_arg])
            .output()
            .unwrap();
        assert!(
            lint.status.success(),
            "{}",
            String::from_utf8_lossy(&lint.stdout)
        );
        for extra in [&[][..], &["-f", "values-postgres.yaml"][..]] {
            let out = Command::new("helm")
                .current_dir(&chart)
                .args(["template", "t", "."])
                .args(extra)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let refused = Command::new("helm")
            .args(["template", "t", chart_arg, "--set", "replicaCount=2"])
            .output()
            .unwrap();
        assert!(
            !refused.status.success(),
            "SQLite with two replicas is refused"
        );
    } else {
        eprintln!("helm is not installed: the chart's templates were checked by reading them");
    }
}

#[test]
fn the_systemd_unit_checks_then_runs_and_stops_with_sigterm() {
    let unit = std::fs::read_to_string(root().join("deploy/switchyard.service")).unwrap();
    assert!(unit.contains(
        "ExecStartPre=/usr/local/bin/switchyard --config /etc/switchyard/switchyard.yaml check"
    ));
    assert!(unit.contains(
        "ExecStart=/usr/local/bin/switchyard --config /etc/switchyard/switchyard.yaml run"
    ));
    assert!(unit.contains("KillSignal=SIGTERM"));
    // The example configuration it would be installed with passes `check` in tests/cli.rs.
}
