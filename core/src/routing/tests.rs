//! Every condition, strategy, split mode, fallback and the dropship catalog rule, each on a
//! small order with a hand-made stock snapshot.

use rust_decimal::Decimal;

use super::*;
use crate::config::{
    Action, Conditions, Coordinates, Fallback, LocationConfig, LocationKind, RoutingConfig, Rule,
    SplitMode, TotalRange, UnknownSku,
};
use crate::model::*;

fn location(id: &str, kind: LocationKind) -> LocationConfig {
    LocationConfig {
        id: id.into(),
        kind,
        name: None,
        adapter: None,
        coordinates: None,
        country: None,
        region: None,
        catalog: Vec::new(),
    }
}

/// main: own warehouse in Illinois; berlin: 3PL in Germany; east: 3PL in New Jersey by
/// coordinates; drop: dropship supplier carrying `DS-*`.
fn locations() -> Vec<LocationConfig> {
    let mut main = location("main", LocationKind::SelfWarehouse);
    main.country = Some("US".into());
    main.region = Some("IL".into());
    let mut berlin = location("berlin", LocationKind::ThirdParty);
    berlin.country = Some("DE".into());
    let mut east = location("east", LocationKind::ThirdParty);
    east.coordinates = Some(Coordinates {
        lat: 40.73,
        lon: -74.17,
    });
    let mut drop = location("drop", LocationKind::Dropship);
    drop.catalog = vec!["DS-*".into()];
    drop.country = Some("US".into());
    vec![main, berlin, east, drop]
}

fn order(lines: &[(&str, u32)]) -> Order {
    let t = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap();
    Order {
        channel_kind: ChannelKind::Shopify,
        external_id: "1".into(),
        number: "#1".into(),
        placed_at: t,
        updated_at: t,
        status: OrderStatus::Open,
        payment_status: PaymentStatus::Paid,
        currency: "USD".into(),
        total: Decimal::new(12000, 2),
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, (sku, q))| OrderLine {
                line_id: format!("L{i}"),
                sku: (!sku.is_empty()).then(|| sku.to_string()),
                quantity: *q,
                unit_price: Decimal::ONE,
                title: sku.to_string(),
                channel_sku: None,
            })
            .collect(),
        ship_to: Some(Address {
            country_code: Some("US".into()),
            region: Some("NJ".into()),
            postal_code: Some("07102".into()),
            ..Address::default()
        }),
        customer_email: None,
        fulfilled_by_channel: false,
        tags: Vec::new(),
        customer_tags: Vec::new(),
        ship_by: None,
        deliver_by: None,
        risk_level: None,
    }
}

fn stock(levels: &[(&str, &str, i64)]) -> StockSnapshot {
    let mut s = StockSnapshot::new();
    for (loc, sku, q) in levels {
        s.set(*loc, *sku, *q);
    }
    s
}

fn rule(name: &str, when: Conditions, action: Action) -> Rule {
    Rule {
        name: Some(name.into()),
        when,
        action,
        split: SplitMode::Never,
    }
}

fn routing(rules: Vec<Rule>, fallback: Option<Fallback>) -> RoutingConfig {
    RoutingConfig {
        sku_tags: Default::default(),
        rules,
        fallback,
        // These tests are about rules; the unknown-SKU hold has its own tests below.
        unknown_sku: UnknownSku::Route,
    }
}

fn plan(r: &RoutingConfig, o: &Order, s: &StockSnapshot) -> RoutePlan {
    Router::new(r, &locations()).unwrap().plan(o, "shop", s)
}

fn to(loc: &str) -> Action {
    Action::Location(loc.into())
}

fn list(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

/// (SKU or line id, location) per line.
fn placed(p: &RoutePlan) -> Vec<(String, Option<String>)> {
    p.lines
        .iter()
        .map(|l| {
            (
                l.sku.clone().unwrap_or(l.line_id.clone()),
                l.location.clone(),
            )
        })
        .collect()
}

fn at(pairs: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
    pairs
        .iter()
        .map(|(s, l)| (s.to_string(), l.map(str::to_string)))
        .collect()
}

#[test]
fn without_rules_every_line_goes_to_the_own_warehouse_whatever_the_stock() {
    let p = plan(
        &routing(Vec::new(), None),
        &order(&[("A", 2), ("", 1)]),
        &stock(&[]),
    );
    assert_eq!(placed(&p), at(&[("A", Some("main")), ("L1", Some("main"))]));
    assert!(
        p.lines
            .iter()
            .all(|l| l.decided_by == "default:own_warehouse")
    );
    let f = p.explanation.fallback.unwrap();
    assert!(f.note.unwrap().contains("paid"));
}

#[test]
fn without_rules_or_an_own_warehouse_the_order_is_held() {
    let locs = vec![location("tpl", LocationKind::ThirdParty)];
    let p = Router::new(&routing(Vec::new(), None), &locs)
        .unwrap()
        .plan(&order(&[("A", 1)]), "shop", &stock(&[]));
    assert!(p.is_held());
    assert_eq!(p.lines[0].decided_by, "default:hold");
}

#[test]
fn channel_condition_names_the_channel_it_saw() {
    let when = Conditions {
        channel: Some(list(&["woo"])),
        ..Conditions::default()
    };
    let r = routing(
        vec![rule("woo-only", when, to("berlin"))],
        Some(Fallback::Hold),
    );
    let p = plan(&r, &order(&[("A", 1)]), &stock(&[]));
    assert!(p.is_held());
    let t = &p.explanation.rules[0];
    assert_eq!(t.outcome, RuleOutcome::NotMatched);
    assert_eq!(t.failed[0].condition, "channel");
    assert_eq!(t.failed[0].found, "shop");
    assert_eq!(t.failed[0].wanted, ["woo"]);

    let when = Conditions {
        channel: Some(list(&["woo", "shop"])),
        ..Conditions::default()
    };
    let r = routing(vec![rule("both", when, to("berlin"))], None);
    assert_eq!(
        placed(&plan(&r, &order(&[("A", 1)]), &stock(&[]))),
        at(&[("A", Some("berlin"))])
    );
}

#[test]
fn sku_glob_takes_only_matching_lines_and_the_rest_go_on() {
    let when = Conditions {
        sku: Some(list(&["MUG-*"])),
        ..Conditions::default()
    };
    let r = routing(
        vec![
            rule("mugs", when, to("berlin")),
            rule("rest", Conditions::default(), to("main")),
        ],
        None,
    );
    let p = plan(
        &r,
        &order(&[("MUG-1", 1), ("CAP", 1), ("MUG-2", 2)]),
        &stock(&[]),
    );
    assert_eq!(
        placed(&p),
        at(&[
            ("MUG-1", Some("berlin")),
            ("CAP", Some("main")),
            ("MUG-2", Some("berlin"))
        ])
    );
    assert_eq!(p.explanation.rules[0].took, ["MUG-1", "MUG-2"]);
    assert_eq!(p.explanation.rules[1].took, ["CAP"]);

    // No line matches: the rule did not match, and says which SKUs it saw.
    let p = plan(&r, &order(&[("CAP", 1)]), &stock(&[]));
    let t = &p.explanation.rules[0];
    assert_eq!(t.outcome, RuleOutcome::NotMatched);
    assert_eq!(
        (t.failed[0].condition.as_str(), t.failed[0].found.as_str()),
        ("sku", "CAP")
    );
}

#[test]
fn sku_tag_selects_by_a_named_group() {
    let mut r = routing(
        vec![rule(
            "fragile",
            Conditions {
                sku_tag: Some(list(&["fragile"])),
                ..Conditions::default()
            },
            to("east"),
        )],
        Some(Fallback::Location("main".into())),
    );
    r.sku_tags
        .insert("fragile".into(), list(&["GLASS-*", "VASE"]));
    let p = plan(
        &r,
        &order(&[("VASE", 1), ("GLASS-9", 1), ("MUG", 1)]),
        &stock(&[]),
    );
    assert_eq!(
        placed(&p),
        at(&[
            ("VASE", Some("east")),
            ("GLASS-9", Some("east")),
            ("MUG", Some("main"))
        ])
    );
    assert_eq!(p.lines[2].decided_by, "fallback");
}

#[test]
fn destination_conditions_country_region_and_postal_prefix() {
    let by = |when: Conditions| {
        let r = routing(vec![rule("r", when, to("east"))], Some(Fallback::Hold));
        plan(&r, &order(&[("A", 1)]), &stock(&[]))
    };
    let country = |c: &[&str]| Conditions {
        country: Some(list(c)),
        ..Conditions::default()
    };
    assert!(!by(country(&["us"])).is_held());
    let p = by(country(&["DE", "FR"]));
    assert!(p.is_held());
    assert_eq!(p.explanation.rules[0].failed[0].found, "US");

    let region = |r: &[&str]| Conditions {
        region: Some(list(r)),
        ..Conditions::default()
    };
    assert!(!by(region(&["US-NJ", "US-NY"])).is_held());
    let p = by(region(&["US-CA"]));
    assert_eq!(p.explanation.rules[0].failed[0].found, "US-NJ");

    // A region written as a name on the address still compares by code.
    let mut o = order(&[("A", 1)]);
    if let Some(a) = o.ship_to.as_mut() {
        a.region = Some("New Jersey".into());
    }
    let r = routing(
        vec![rule("r", region(&["US-NJ"]), to("east"))],
        Some(Fallback::Hold),
    );
    assert!(!plan(&r, &o, &stock(&[])).is_held());

    let postal = |p: &[&str]| Conditions {
        postal_prefix: Some(list(p)),
        ..Conditions::default()
    };
    assert!(!by(postal(&["071", "08"])).is_held());
    assert!(by(postal(&["10"])).is_held());
    // Spaces and case do not matter (Canadian and British codes).
    let mut o = order(&[("A", 1)]);
    if let Some(a) = o.ship_to.as_mut() {
        a.postal_code = Some("sw1a 1aa".into());
    }
    let r = routing(
        vec![rule("r", postal(&["SW1A1"]), to("east"))],
        Some(Fallback::Hold),
    );
    assert!(!plan(&r, &o, &stock(&[])).is_held());

    // No address at all: every destination condition fails and says so.
    let mut o = order(&[("A", 1)]);
    o.ship_to = None;
    let r = routing(
        vec![rule("r", country(&["US"]), to("east"))],
        Some(Fallback::Hold),
    );
    let p = plan(&r, &o, &stock(&[]));
    assert_eq!(p.explanation.rules[0].failed[0].found, "(none)");
}

#[test]
fn total_bounds_are_inclusive_and_currency_must_match() {
    let by = |t: TotalRange| {
        let when = Conditions {
            total: Some(t),
            ..Conditions::default()
        };
        let r = routing(
            vec![rule("big", when, Action::Hold)],
            Some(Fallback::Location("main".into())),
        );
        plan(&r, &order(&[("A", 1)]), &stock(&[])).is_held()
    };
    let d = |s: &str| Some(s.parse::<Decimal>().unwrap());
    assert!(by(TotalRange {
        min: d("120.00"),
        max: None,
        currency: None
    }));
    assert!(!by(TotalRange {
        min: d("120.01"),
        max: None,
        currency: None
    }));
    assert!(by(TotalRange {
        min: None,
        max: d("120"),
        currency: None
    }));
    assert!(!by(TotalRange {
        min: None,
        max: d("119.99"),
        currency: None
    }));
    assert!(by(TotalRange {
        min: d("100"),
        max: d("200"),
        currency: Some("usd".into())
    }));
    assert!(!by(TotalRange {
        min: d("100"),
        max: d("200"),
        currency: Some("EUR".into())
    }));
}

#[test]
fn order_and_customer_tags_match_any_ignoring_case() {
    let mut o = order(&[("A", 1)]);
    o.tags = list(&["VIP", "gift"]);
    o.customer_tags = list(&["wholesale"]);
    let by = |when: Conditions, o: &Order| {
        let r = routing(vec![rule("t", when, to("east"))], Some(Fallback::Hold));
        plan(&r, o, &stock(&[]))
    };
    let tags = |t: &[&str]| Conditions {
        order_tags: Some(list(t)),
        ..Conditions::default()
    };
    assert!(!by(tags(&["vip"]), &o).is_held());
    let p = by(tags(&["rush"]), &o);
    assert_eq!(p.explanation.rules[0].failed[0].found, "VIP, gift");
    let customer = |t: &[&str]| Conditions {
        customer_tags: Some(list(t)),
        ..Conditions::default()
    };
    assert!(!by(customer(&["retail", "Wholesale"]), &o).is_held());
    assert!(by(customer(&["retail"]), &o).is_held());
    assert!(by(customer(&["wholesale"]), &order(&[("A", 1)])).is_held());
}

#[test]
fn payment_status_condition() {
    let when = Conditions {
        payment_status: Some(vec![PaymentStatus::Authorized]),
        ..Conditions::default()
    };
    let r = routing(
        vec![rule("auth", when, Action::Hold)],
        Some(Fallback::Location("main".into())),
    );
    let mut o = order(&[("A", 1)]);
    assert!(!plan(&r, &o, &stock(&[])).is_held());
    o.payment_status = PaymentStatus::Authorized;
    assert!(plan(&r, &o, &stock(&[])).is_held());
}

#[test]
fn every_failing_condition_is_reported_not_just_the_first() {
    let when = Conditions {
        channel: Some(list(&["woo"])),
        country: Some(list(&["DE"])),
        payment_status: Some(vec![PaymentStatus::Pending]),
        ..Conditions::default()
    };
    let r = routing(vec![rule("r", when, to("berlin"))], Some(Fallback::Hold));
    let p = plan(&r, &order(&[("A", 1)]), &stock(&[]));
    let names: Vec<&str> = p.explanation.rules[0]
        .failed
        .iter()
        .map(|m| m.condition.as_str())
        .collect();
    assert_eq!(names, ["channel", "country", "payment_status"]);
}

#[test]
fn fixed_location_takes_the_lines_whatever_its_stock() {
    let r = routing(
        vec![rule("all", Conditions::default(), to("berlin"))],
        Some(Fallback::Hold),
    );
    let p = plan(&r, &order(&[("A", 5)]), &stock(&[("berlin", "A", 1)]));
    assert_eq!(placed(&p), at(&[("A", Some("berlin"))]));
    let c = &p.explanation.rules[0].candidates[0];
    assert_eq!((c.stock[0].needed, c.stock[0].available), (5, 1));
}

#[test]
fn first_in_stock_skips_short_locations_and_says_why() {
    let r = routing(
        vec![rule(
            "fis",
            Conditions::default(),
            Action::FirstInStock(list(&["main", "east", "berlin"])),
        )],
        Some(Fallback::Hold),
    );
    let s = stock(&[("main", "A", 1), ("east", "A", 3), ("berlin", "A", 9)]);
    let p = plan(&r, &order(&[("A", 2)]), &s);
    assert_eq!(placed(&p), at(&[("A", Some("east"))]));
    let cands = &p.explanation.rules[0].candidates;
    assert_eq!(cands.len(), 2, "stops at the first that serves");
    assert_eq!(
        cands[0].skipped.as_deref(),
        Some("short of A (needs 2, has 1)")
    );
    assert_eq!(cands[1].chosen, ["A"]);

    // Nobody has enough: the rule places nothing and the fallback holds.
    let p = plan(&r, &order(&[("A", 10)]), &s);
    assert_eq!(p.explanation.rules[0].outcome, RuleOutcome::Unplaced);
    assert!(p.is_held());
    assert_eq!(p.lines[0].decided_by, "fallback");
}

#[test]
fn nearest_in_stock_ranks_by_distance_to_the_ship_to_region() {
    let r = routing(
        vec![rule(
            "near",
            Conditions::default(),
            Action::NearestInStock(list(&["berlin", "main", "east"])),
        )],
        Some(Fallback::Hold),
    );
    let s = stock(&[("main", "A", 5), ("east", "A", 5), ("berlin", "A", 5)]);
    // Ship to New Jersey: east (Newark) first, then Illinois, then Germany.
    let p = plan(&r, &order(&[("A", 1)]), &s);
    assert_eq!(placed(&p), at(&[("A", Some("east"))]));
    let first = &p.explanation.rules[0].candidates[0];
    assert!(first.distance_km.unwrap() < 200.0, "{first:?}");

    // East is out of stock: Illinois is next nearest, not Germany.
    let s2 = stock(&[("main", "A", 5), ("east", "A", 0), ("berlin", "A", 5)]);
    assert_eq!(
        placed(&plan(&r, &order(&[("A", 1)]), &s2)),
        at(&[("A", Some("main"))])
    );

    // Ship to France: Berlin.
    let mut o = order(&[("A", 1)]);
    o.ship_to = Some(Address {
        country_code: Some("FR".into()),
        ..Address::default()
    });
    assert_eq!(placed(&plan(&r, &o, &s)), at(&[("A", Some("berlin"))]));

    // Unknown destination: list order, with a note.
    o.ship_to = None;
    let p = plan(&r, &o, &s);
    assert_eq!(placed(&p), at(&[("A", Some("berlin"))]));
    assert!(
        p.explanation.rules[0]
            .note
            .as_deref()
            .unwrap()
            .contains("list order")
    );
}

#[test]
fn split_never_needs_one_location_for_every_line() {
    let fis = |split| Rule {
        name: Some("fis".into()),
        when: Conditions::default(),
        action: Action::FirstInStock(list(&["main", "east"])),
        split,
    };
    // main has A only, east has B only: no single location serves both.
    let s = stock(&[("main", "A", 5), ("east", "B", 5)]);
    let o = order(&[("A", 1), ("B", 1)]);
    let p = plan(
        &routing(vec![fis(SplitMode::Never)], Some(Fallback::Hold)),
        &o,
        &s,
    );
    assert!(p.lines.iter().all(|l| l.location.is_none()));
    let cands = &p.explanation.rules[0].candidates;
    assert_eq!(
        cands[0].skipped.as_deref(),
        Some("short of B (needs 1, has 0)")
    );
    assert_eq!(
        cands[1].skipped.as_deref(),
        Some("short of A (needs 1, has 0)")
    );

    // Allowed: line by line.
    let p = plan(
        &routing(vec![fis(SplitMode::Allowed)], Some(Fallback::Hold)),
        &o,
        &s,
    );
    assert_eq!(placed(&p), at(&[("A", Some("main")), ("B", Some("east"))]));
    assert_eq!(p.explanation.rules[0].outcome, RuleOutcome::Applied);

    // Allowed and one line fits nowhere: partly applied, the rest falls back.
    let o = order(&[("A", 1), ("C", 1)]);
    let p = plan(
        &routing(vec![fis(SplitMode::Allowed)], Some(Fallback::Hold)),
        &o,
        &s,
    );
    assert_eq!(placed(&p), at(&[("A", Some("main")), ("C", None)]));
    assert_eq!(p.explanation.rules[0].outcome, RuleOutcome::Partial);

    // Never, and one location has both: everything goes there together.
    let s = stock(&[("main", "A", 5), ("east", "A", 5), ("east", "B", 5)]);
    let p = plan(
        &routing(vec![fis(SplitMode::Never)], Some(Fallback::Hold)),
        &order(&[("A", 1), ("B", 1)]),
        &s,
    );
    assert_eq!(placed(&p), at(&[("A", Some("east")), ("B", Some("east"))]));
}

#[test]
fn lines_of_one_sku_travel_together() {
    let r = routing(
        vec![rule(
            "fis",
            Conditions::default(),
            Action::FirstInStock(list(&["main", "east"])),
        )],
        Some(Fallback::Hold),
    );
    // 2 + 2 of A: main has 3, so both lines go to east which has 4.
    let s = stock(&[("main", "A", 3), ("east", "A", 4)]);
    let p = plan(&r, &order(&[("A", 2), ("A", 2)]), &s);
    assert_eq!(placed(&p), at(&[("A", Some("east")), ("A", Some("east"))]));
}

#[test]
fn fallbacks_location_hold_and_none() {
    let miss = Conditions {
        country: Some(list(&["JP"])),
        ..Conditions::default()
    };
    let o = order(&[("A", 1)]);
    let r = routing(
        vec![rule("jp", miss.clone(), to("berlin"))],
        Some(Fallback::Location("east".into())),
    );
    let p = plan(&r, &o, &stock(&[]));
    assert_eq!(placed(&p), at(&[("A", Some("east"))]));
    assert_eq!(p.explanation.fallback.unwrap().action, "location east");

    let r = routing(
        vec![rule("jp", miss.clone(), to("berlin"))],
        Some(Fallback::Hold),
    );
    let p = plan(&r, &o, &stock(&[]));
    assert_eq!(
        p.held_reason().unwrap(),
        "no rule placed it; the fallback is hold"
    );

    // Rules but no fallback: held, not sent to the own warehouse behind the rules' back.
    let r = routing(vec![rule("jp", miss, to("berlin"))], None);
    let p = plan(&r, &o, &stock(&[]));
    assert!(p.is_held());
    assert!(p.held_reason().unwrap().contains("no fallback"));
}

#[test]
fn hold_action_holds_the_lines_it_takes() {
    let when = Conditions {
        sku: Some(list(&["RISKY"])),
        ..Conditions::default()
    };
    let r = routing(
        vec![rule("review", when, Action::Hold)],
        Some(Fallback::Location("main".into())),
    );
    let p = plan(&r, &order(&[("RISKY", 1), ("A", 1)]), &stock(&[]));
    assert_eq!(placed(&p), at(&[("RISKY", None), ("A", Some("main"))]));
    assert!(p.lines[0].held.as_deref().unwrap().contains("review"));
}

#[test]
fn dropship_takes_only_catalog_skus_from_config_or_its_stock_feed() {
    let r = routing(
        vec![
            rule(
                "supplier first",
                Conditions::default(),
                Action::FirstInStock(list(&["drop", "main"])),
            )
            .with_split(SplitMode::Allowed),
        ],
        Some(Fallback::Hold),
    );
    // DS-1 by catalog glob, FEED-9 because the supplier's feed lists it, A only at main.
    let s = stock(&[
        ("drop", "DS-1", 5),
        ("drop", "FEED-9", 5),
        ("drop", "A", 0),
        ("main", "A", 5),
        ("main", "X", 5),
    ]);
    let p = plan(
        &r,
        &order(&[("DS-1", 1), ("FEED-9", 1), ("X", 1), ("", 1)]),
        &s,
    );
    assert_eq!(
        placed(&p),
        at(&[
            ("DS-1", Some("drop")),
            ("FEED-9", Some("drop")),
            ("X", Some("main")),
            ("L3", Some("main"))
        ])
    );
    let drop = &p.explanation.rules[0].candidates[0];
    assert_eq!(drop.chosen, ["DS-1", "FEED-9"]);

    // A fixed dropship location still refuses SKUs outside its catalog.
    let r = routing(
        vec![rule("to supplier", Conditions::default(), to("drop"))],
        Some(Fallback::Location("drop".into())),
    );
    let p = plan(&r, &order(&[("X", 1)]), &stock(&[]));
    assert!(p.is_held());
    assert!(
        p.held_reason().unwrap().contains("X is not in its catalog"),
        "{p:?}"
    );
}

#[test]
fn the_plan_round_trips_as_json_and_reads_as_text() {
    let r = routing(
        vec![
            rule(
                "eu",
                Conditions {
                    country: Some(list(&["DE"])),
                    ..Conditions::default()
                },
                to("berlin"),
            ),
            rule(
                "us",
                Conditions::default(),
                Action::FirstInStock(list(&["main", "east"])),
            ),
        ],
        Some(Fallback::Hold),
    );
    let p = plan(
        &r,
        &order(&[("A", 2)]),
        &stock(&[("main", "A", 1), ("east", "A", 2)]),
    );
    let json = serde_json::to_string(&p).unwrap();
    let back: RoutePlan = serde_json::from_str(&json).unwrap();
    assert_eq!(back, p);
    let text = p.describe();
    for want in [
        "Decision: routed (east)",
        "#0 eu: did not match",
        "country: wanted DE; found US",
        "#1 us: applied",
        "main",
        "skipped: short of A (needs 2, has 1)",
        "chosen for A",
    ] {
        assert!(text.contains(want), "{want:?} missing in\n{text}");
    }
    let d = RouteDecision::from_row(Some("east".into()), p.rule_summary(), json);
    assert_eq!(d.plan.as_ref(), Some(&p));
    // A decision stored before rules existed is plain text.
    let old = RouteDecision::from_row(
        Some("main".into()),
        "default:own_warehouse".into(),
        "text".into(),
    );
    assert!(old.plan.is_none() && old.describe().contains("default:own_warehouse"));
}

#[test]
fn release_moves_held_lines_and_records_who() {
    let when = Conditions {
        sku: Some(list(&["B"])),
        ..Conditions::default()
    };
    let r = routing(
        vec![rule("b", when, Action::Hold)],
        Some(Fallback::Location("main".into())),
    );
    let p = plan(&r, &order(&[("A", 1), ("B", 1)]), &stock(&[]));
    assert!(p.is_held());
    let released = p.released("east", "operator", "2026-01-02T00:00:00Z");
    assert!(!released.is_held());
    assert_eq!(
        placed(&released),
        at(&[("A", Some("main")), ("B", Some("east"))])
    );
    assert_eq!(released.lines[1].decided_by, "operator");
    let rel = released.explanation.release.as_ref().unwrap();
    assert_eq!(
        (rel.to.as_str(), rel.lines.clone()),
        ("east", vec!["B".to_string()])
    );
    assert!(released.describe().contains("Released by operator"));
}

#[test]
fn outcome_and_primary_location_summaries() {
    let r = routing(
        vec![
            rule(
                "fis",
                Conditions::default(),
                Action::FirstInStock(list(&["main", "east"])),
            )
            .with_split(SplitMode::Allowed),
        ],
        Some(Fallback::Hold),
    );
    let s = stock(&[("main", "A", 1), ("east", "B", 5)]);
    let p = plan(&r, &order(&[("A", 1), ("B", 3), ("C", 1)]), &s);
    assert_eq!(p.outcome(), "east: B×3 | held: C×1 | main: A×1");
    assert_eq!(p.primary_location().as_deref(), Some("east"));
    assert_eq!(p.rule_summary(), "fis, fallback");
    assert_eq!(
        p.sku_locations(),
        vec![
            ("A".to_string(), Some("main".to_string())),
            ("B".to_string(), Some("east".to_string())),
            ("C".to_string(), None)
        ]
    );
}

#[test]
fn a_bad_glob_is_an_error_naming_its_path() {
    let when = Conditions {
        sku: Some(list(&["A", "[oops"])),
        ..Conditions::default()
    };
    let r = routing(vec![rule("r", when, to("main"))], None);
    match Router::new(&r, &locations()) {
        Err(RoutingError::BadGlob { path, .. }) => assert_eq!(path, "routing.rules[0].when.sku[1]"),
        other => panic!("{other:?}"),
    }
}

trait WithSplit {
    fn with_split(self, split: SplitMode) -> Self;
}

impl WithSplit for Rule {
    fn with_split(mut self, split: SplitMode) -> Self {
        self.split = split;
        self
    }
}

fn reroute(keep: &[(&str, &str)], exclude: &[&str], because: &str) -> Reroute {
    Reroute {
        keep: keep
            .iter()
            .map(|(s, l)| (s.to_string(), l.to_string()))
            .collect(),
        exclude: exclude.iter().map(|s| s.to_string()).collect(),
        because: vec![because.to_string()],
        previous: None,
    }
}

#[test]
fn replan_moves_only_the_refused_lines_and_never_back_to_the_refusing_location() {
    let r = routing(
        vec![rule(
            "stocked",
            Conditions::default(),
            Action::FirstInStock(list(&["east", "berlin", "main"])),
        )],
        Some(Fallback::Location("main".into())),
    );
    let router = Router::new(&r, &locations()).unwrap();
    let o = order(&[("A", 1), ("B", 2)]);
    let s = stock(&[("east", "A", 5), ("east", "B", 5), ("berlin", "B", 5)]);
    let first = router.plan(&o, "shop", &s);
    assert_eq!(
        placed(&first),
        at(&[("A", Some("east")), ("B", Some("east"))])
    );

    let mut again = reroute(&[("A", "east")], &["east"], "east rejected B: out of stock");
    again.previous = Some(first.clone());
    let p = router.replan(&o, "shop", &s, &again);
    assert_eq!(
        placed(&p),
        at(&[("A", Some("east")), ("B", Some("berlin"))])
    );
    assert_eq!(
        p.lines[0].decided_by, first.lines[0].decided_by,
        "kept line keeps its reason"
    );
    let trace = p.explanation.reroute.as_ref().unwrap();
    assert_eq!(trace.lines, ["B"]);
    assert_eq!(trace.excluded, ["east"]);
    let east = &p.explanation.rules[0].candidates[0];
    assert_eq!(east.location, "east");
    assert_eq!(east.skipped.as_deref(), Some("refused this order before"));
    let text = p.describe();
    assert!(
        text.contains("Re-routed B because: east rejected B: out of stock"),
        "{text}"
    );

    // Berlin refuses too: only main is left (the fallback places regardless of stock).
    let twice = reroute(&[("A", "east")], &["east", "berlin"], "berlin rejected B");
    let p = router.replan(&o, "shop", &s, &twice);
    assert_eq!(placed(&p), at(&[("A", Some("east")), ("B", Some("main"))]));
}

#[test]
fn replan_with_nowhere_left_holds_the_lines_saying_who_refused_them() {
    let r = routing(
        vec![rule(
            "to-berlin",
            Conditions::default(),
            Action::FirstInStock(list(&["berlin"])),
        )],
        Some(Fallback::Location("berlin".into())),
    );
    let router = Router::new(&r, &locations()).unwrap();
    let o = order(&[("A", 1)]);
    let s = stock(&[("berlin", "A", 3)]);
    let p = router.replan(
        &o,
        "shop",
        &s,
        &reroute(&[], &["berlin"], "berlin rejected A: damaged"),
    );
    assert!(p.is_held());
    let why = p.held_reason().unwrap();
    assert!(
        why.starts_with("berlin rejected A: damaged; then "),
        "{why}"
    );
    assert!(why.contains("refused this order before"), "{why}");

    // Without rules the default own warehouse is skipped when it refused.
    let router = Router::new(&routing(Vec::new(), None), &locations()).unwrap();
    let p = router.replan(&o, "shop", &s, &reroute(&[], &["main"], "main refused"));
    assert!(p.is_held());
}

#[test]
fn replan_is_pure() {
    let router = Router::new(&routing(Vec::new(), None), &locations()).unwrap();
    let o = order(&[("A", 1), ("B", 1)]);
    let s = stock(&[("main", "A", 1)]);
    let again = reroute(&[("A", "main")], &["berlin"], "berlin rejected B");
    assert_eq!(
        router.replan(&o, "shop", &s, &again),
        router.replan(&o, "shop", &s, &again)
    );
}

#[test]
fn ship_by_within_secs_compares_the_time_left_at_the_snapshot() {
    let mut o = order(&[("A", 1)]);
    let ship_by = chrono::DateTime::parse_from_rfc3339("2026-01-02T12:00:00Z").unwrap();
    o.ship_by = Some(ship_by);
    let urgent = Conditions {
        ship_by_within_secs: Some(6 * 3600),
        ..Conditions::default()
    };
    let r = routing(
        vec![rule("urgent-from-east", urgent, to("east"))],
        Some(Fallback::Location("main".into())),
    );
    let ms = ship_by.timestamp_millis();
    // 7 hours left: not urgent, the fallback takes it; the explanation names the time left.
    let p = plan(&r, &o, &stock(&[]).taken_at(ms - 7 * 3_600_000));
    assert_eq!(placed(&p), at(&[("A", Some("main"))]));
    let miss = &p.explanation.rules[0].failed[0];
    assert_eq!(miss.condition, "ship_by_within_secs");
    assert_eq!(miss.wanted, ["<= 21600 s left before ship-by"]);
    assert!(
        miss.found
            .starts_with("25200 s left (ship-by 2026-01-02T12:00:00"),
        "{}",
        miss.found
    );
    // 5 hours left, and past it: urgent.
    let p = plan(&r, &o, &stock(&[]).taken_at(ms - 5 * 3_600_000));
    assert_eq!(placed(&p), at(&[("A", Some("east"))]));
    let p = plan(&r, &o, &stock(&[]).taken_at(ms + 1_000));
    assert_eq!(placed(&p), at(&[("A", Some("east"))]));
    // No ship-by, or no clock: the condition does not hold, and says why.
    let mut none = o.clone();
    none.ship_by = None;
    let p = plan(&r, &none, &stock(&[]).taken_at(ms));
    assert_eq!(p.explanation.rules[0].failed[0].found, "(no ship-by)");
    let p = plan(&r, &o, &stock(&[]));
    assert_eq!(placed(&p), at(&[("A", Some("main"))]));
    assert!(p.explanation.rules[0].failed[0].found.contains("no clock"));
}

#[test]
fn risk_level_condition_matches_any_listed_level() {
    let risky = Conditions {
        risk_level: Some(vec![RiskLevel::Medium, RiskLevel::High]),
        ..Conditions::default()
    };
    let r = routing(
        vec![rule("review-risky", risky, Action::Hold)],
        Some(Fallback::Location("main".into())),
    );
    let mut o = order(&[("A", 1)]);
    o.risk_level = Some(RiskLevel::High);
    let p = plan(&r, &o, &stock(&[]));
    assert!(p.is_held());
    assert_eq!(p.lines[0].decided_by, "review-risky");
    o.risk_level = Some(RiskLevel::Low);
    let p = plan(&r, &o, &stock(&[]));
    assert_eq!(placed(&p), at(&[("A", Some("main"))]));
    let miss = &p.explanation.rules[0].failed[0];
    assert_eq!(
        (miss.condition.as_str(), miss.found.as_str()),
        ("risk_level", "low")
    );
    assert_eq!(miss.wanted, ["medium", "high"]);
    o.risk_level = None;
    let p = plan(&r, &o, &stock(&[]));
    assert_eq!(p.explanation.rules[0].failed[0].found, "(none)");
}

#[test]
fn a_sku_nobody_carries_is_held_as_unknown_not_sent_to_the_fallback() {
    let mut r = routing(Vec::new(), Some(Fallback::Location("main".into())));
    r.unknown_sku = UnknownSku::Hold;
    let router = Router::new(&r, &locations())
        .unwrap()
        .with_kits(["KIT-1".to_string()]);
    // A: a stock record at 0 at main (counted, sold out) is known; DS-9: the supplier's
    // catalog; KIT-1: a kit; B: only at berlin; GHOST: nobody's.
    let o = order(&[
        ("A", 1),
        ("DS-9", 1),
        ("KIT-1", 1),
        ("B", 1),
        ("GHOST", 2),
        ("", 1),
    ]);
    let s = stock(&[("main", "A", 0), ("berlin", "B", 3)]);
    let p = router.plan(&o, "shop", &s);
    assert_eq!(
        placed(&p),
        at(&[
            ("A", Some("main")),
            ("DS-9", Some("main")),
            ("KIT-1", Some("main")),
            ("B", Some("main")),
            ("GHOST", None),
            ("L5", Some("main")),
        ])
    );
    let ghost = &p.lines[4];
    assert_eq!(ghost.decided_by, "unknown_sku");
    let why = ghost.held.as_deref().unwrap();
    assert!(why.starts_with("unknown SKU `GHOST`"), "{why}");
    assert!(p.is_held());
    assert_eq!(p.held_reason().as_deref(), Some(why));
    assert!(router.knows_sku("A", &s) && !router.knows_sku("GHOST", &s));
    // Rules never see it either, not even a fixed location.
    let mut r2 = routing(
        vec![rule("all-to-east", Conditions::default(), to("east"))],
        None,
    );
    r2.unknown_sku = UnknownSku::Hold;
    let p = Router::new(&r2, &locations())
        .unwrap()
        .plan(&order(&[("GHOST", 1)]), "shop", &s);
    assert_eq!(placed(&p), at(&[("GHOST", None)]));
    assert!(p.explanation.rules[0].took.is_empty());
    // `unknown_sku: route` places it as before.
    r.unknown_sku = UnknownSku::Route;
    let p = Router::new(&r, &locations()).unwrap().plan(&o, "shop", &s);
    assert!(!p.is_held());
}
