//! One bolero fuzz target per parser that reads outside input. Under `cargo test` each runs
//! its seeds (the project's fixtures) as they are, then mutations of them for
//! `BOLERO_RANDOM_TEST_TIME_MS` (default 1 s) or `BOLERO_RANDOM_ITERATIONS`; under
//! `cargo bolero test <name> -p switchyard-fuzz` libFuzzer drives the same mutations with
//! coverage feedback. See `ci/fuzz.sh`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use switchyard_core::model::ChannelKind;
use switchyard_fuzz::mutate::{Mutation, apply};
use switchyard_fuzz::seeds;
use switchyard_fuzz::targets::{self, EdiSet};

/// Runs `target` on every seed, then under bolero on mutations of the seeds, and prints the
/// number of executions (what a campaign's figures are read from).
macro_rules! fuzz {
    ($name:ident, $seeds:expr, $target:expr) => {
        #[test]
        fn $name() {
            let seeds: Vec<Vec<u8>> = $seeds;
            assert!(!seeds.is_empty(), "no seeds for {}", stringify!($name));
            let target = $target;
            for seed in &seeds {
                target(seed);
            }
            let runs = AtomicU64::new(0);
            let started = Instant::now();
            bolero::check!()
                .with_type::<Mutation>()
                .for_each(|m: &Mutation| {
                    runs.fetch_add(1, Ordering::Relaxed);
                    target(&apply(m, &seeds));
                });
            let n = runs.load(Ordering::Relaxed);
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "fuzz {}: {} seeds, {n} executions in {secs:.1} s ({:.0}/s)",
                stringify!($name),
                seeds.len(),
                n as f64 / secs.max(1e-9)
            );
        }
    };
}

fn dressed(seeds: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    // The first byte picks how a webhook is dressed (0 = signed); see `targets::webhook`.
    seeds
        .into_iter()
        .flat_map(|s| {
            [0u8, 1, 2, 3].map(|b| {
                let mut v = vec![b];
                v.extend_from_slice(&s);
                v
            })
        })
        .collect()
}

fuzz!(normalize_shopify, seeds::orders("shopify"), |d: &[u8]| {
    targets::normalize(ChannelKind::Shopify, d)
});
fuzz!(
    normalize_woocommerce,
    seeds::orders("woocommerce"),
    |d: &[u8]| { targets::normalize(ChannelKind::Woocommerce, d) }
);
fuzz!(normalize_amazon, seeds::orders("amazon"), |d: &[u8]| {
    targets::normalize(ChannelKind::Amazon, d)
});
fuzz!(normalize_ebay, seeds::orders("ebay"), |d: &[u8]| {
    targets::normalize(ChannelKind::Ebay, d)
});
fuzz!(normalize_walmart, seeds::orders("walmart"), |d: &[u8]| {
    targets::normalize(ChannelKind::Walmart, d)
});
fuzz!(normalize_etsy, seeds::orders("etsy"), |d: &[u8]| {
    targets::normalize(ChannelKind::Etsy, d)
});
fuzz!(
    normalize_bigcommerce,
    seeds::orders("bigcommerce"),
    |d: &[u8]| { targets::normalize(ChannelKind::Bigcommerce, d) }
);

fuzz!(
    webhook_shopify,
    dressed(seeds::webhooks("shopify")),
    |d: &[u8]| {
        let _ = targets::webhook(ChannelKind::Shopify, d);
    }
);
fuzz!(
    webhook_woocommerce,
    dressed(seeds::webhooks("woocommerce")),
    |d: &[u8]| {
        let _ = targets::webhook(ChannelKind::Woocommerce, d);
    }
);
fuzz!(
    webhook_amazon,
    dressed(seeds::webhooks("amazon")),
    |d: &[u8]| {
        let _ = targets::webhook(ChannelKind::Amazon, d);
    }
);
fuzz!(
    webhook_ebay,
    dressed(seeds::webhooks("ebay")),
    |d: &[u8]| {
        let _ = targets::webhook(ChannelKind::Ebay, d);
    }
);
fuzz!(
    webhook_walmart,
    dressed(seeds::webhooks("walmart")),
    |d: &[u8]| {
        let _ = targets::webhook(ChannelKind::Walmart, d);
    }
);
fuzz!(
    webhook_etsy,
    dressed(seeds::webhooks("etsy")),
    |d: &[u8]| {
        let _ = targets::webhook(ChannelKind::Etsy, d);
    }
);
fuzz!(
    webhook_bigcommerce,
    dressed(seeds::webhooks("bigcommerce")),
    |d: &[u8]| {
        let _ = targets::webhook(ChannelKind::Bigcommerce, d);
    }
);

fuzz!(edi_parse, seeds::edi(), targets::edi_parse);
fuzz!(edi_850, seeds::edi(), |d: &[u8]| targets::edi_document(
    EdiSet::Po850,
    d
));
fuzz!(edi_855, seeds::edi(), |d: &[u8]| targets::edi_document(
    EdiSet::Ack855,
    d
));
fuzz!(edi_856, seeds::edi(), |d: &[u8]| targets::edi_document(
    EdiSet::Asn856,
    d
));
fuzz!(edi_846, seeds::edi(), |d: &[u8]| targets::edi_document(
    EdiSet::Inventory846,
    d
));
fuzz!(edi_940, seeds::edi(), |d: &[u8]| targets::edi_document(
    EdiSet::Order940,
    d
));
fuzz!(edi_945, seeds::edi(), |d: &[u8]| targets::edi_document(
    EdiSet::Advice945,
    d
));
fuzz!(edi_810, seeds::edi(), |d: &[u8]| targets::edi_document(
    EdiSet::Invoice810,
    d
));
fuzz!(edi_997, seeds::edi(), |d: &[u8]| targets::edi_document(
    EdiSet::Ack997,
    d
));

fuzz!(
    partner_csv_shipments,
    seeds::partner_csv(),
    targets::csv_shipments
);
fuzz!(partner_csv_stock, seeds::partner_csv(), targets::csv_stock);
fuzz!(
    partner_http_json_webhook,
    dressed(seeds::http_json_events()),
    targets::http_json_webhook
);
fuzz!(
    partner_shipbob_webhook,
    dressed(seeds::shipbob_events()),
    targets::shipbob_webhook
);

fuzz!(config_load, seeds::configs(), targets::config_load);
