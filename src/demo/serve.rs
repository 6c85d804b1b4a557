//! `switchyard demo --serve ADDR`: after the scripted day the daemon and the simulators stay
//! up with the web console and the admin API on ADDR, so a person can look at what the day
//! left (orders, holds, partner events, KPIs) until Ctrl-C. The admin token is made for this
//! run and printed once; the configuration keeps only its SHA-256, as always.

use rand::RngCore;
use sha2::{Digest, Sha256};
use switchyard_core::config::{AdminConfig, AdminRole, AdminToken};

use crate::daemon::Daemon;

/// A fresh random token (32 hex digits).
pub fn token() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The admin section: `listen` on `addr` with `token` as the one admin token.
pub fn admin(addr: Option<&str>, token: &str) -> AdminConfig {
    AdminConfig {
        listen: addr.map(str::to_string),
        tokens: vec![AdminToken {
            name: "demo".into(),
            sha256: hex::encode(Sha256::digest(token.as_bytes())),
            role: AdminRole::Admin,
        }],
    }
}

/// Says where the console is and keeps serving until Ctrl-C (or SIGTERM).
pub async fn until_interrupted(daemon: Daemon, token: &str) {
    match daemon.admin_addr {
        Some(addr) => {
            println!();
            println!("console: http://{addr}/ui (log in with the token below)");
            println!("admin API: http://{addr}/api/v1/openapi.json");
            println!("token: {token}");
            println!("serving until Ctrl-C");
        }
        None => println!("the admin listener did not start"),
    }
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async {
            match term.as_mut() {
                Some(t) => { t.recv().await; }
                None => std::future::pending::<()>().await,
            }
        } => {}
    }
    daemon.shutdown().await;
}
