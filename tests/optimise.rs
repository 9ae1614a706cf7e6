//! `arrears optimise`: the exact values against a closed form on a chain small enough to solve
//! by hand (every policy, to 1e-9), the engine's Monte Carlo against the exact values within 4
//! standard errors, a binding budget, bad inputs (exit code 2, a message, nothing written),
//! the same bytes for the same seed, and `arrears verify` on the folder.

mod common;

use std::path::{Path, PathBuf};

use arrears::model::{
    Bucket, CollectionAction, DefaultDefinition, Model, MoneyRules, Product, RecoveryPolicy,
    SegmentModel, StateSpace, TransitionMatrix,
};
use arrears::strategy::search::search;
use arrears::strategy::{Group, Valuation};
use common::{arrears, output_text};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// A chain solved by hand

/// Two buckets (early: dpd_1_30, mid: dpd_31_60), no interest, fees, partial payments or
/// recoveries; a current loan prepays in full the next month. Action `a` works the early
/// bucket, `b` the mid one.
fn hand_model() -> Model {
    let buckets = [
        Bucket {
            name: "dpd_1_30".into(),
            min_dpd: 1,
            max_dpd: Some(30),
        },
        Bucket {
            name: "dpd_31_60".into(),
            min_dpd: 31,
            max_dpd: Some(60),
        },
    ];
    let space = StateSpace::new(
        &buckets,
        &[
            ("early".into(), vec!["dpd_1_30".into()]),
            ("mid".into(), vec!["dpd_31_60".into()]),
        ],
    );
    let n = space.len();
    let (cur, d1, d2) = (0, 1, 2);
    let (paid_off, charged_off) = (space.paid_off() as usize, space.charged_off() as usize);
    let mut rows = vec![vec![0.0; n]; n];
    rows[cur][paid_off] = 1.0;
    rows[d1][cur] = 0.30;
    rows[d1][d1] = 0.30;
    rows[d1][d2] = 0.40;
    rows[d2][cur] = 0.20;
    rows[d2][d2] = 0.30;
    rows[d2][charged_off] = 0.50;
    for (s, row) in rows.iter_mut().enumerate().skip(3) {
        row[s] = 1.0;
    }
    let transitions = TransitionMatrix::new(&space, rows).unwrap();
    let action = |name: &str, stage: usize, cost: f64, cure: f64, roll: f64| CollectionAction {
        name: name.into(),
        stage,
        cost_per_account: cost,
        cure_multiplier: cure,
        roll_multiplier: roll,
        segments: None,
    };
    Model {
        space,
        segments: vec![SegmentModel {
            name: "all".into(),
            product: Product::Instalment,
            transitions,
            by_month_on_book: vec![],
            posterior: vec![],
        }],
        actions: vec![
            action("a", 0, 20.0, 1.5, 0.75),
            action("b", 1, 30.0, 1.25, 0.8),
        ],
        charge_off_on_entering: vec![],
        money: MoneyRules {
            accrue_interest_while_overdue: false,
            late_fee: 0.0,
            partial_payments: None,
            unlock_on_cure: false,
        },
        recovery: RecoveryPolicy::none(),
        debt_sale: None,
        discount_rate: Some(0.12),
        default_definition: DefaultDefinition::ChargeOff,
        disposition: None,
        systematic: None,
        stress: Vec::new(),
        draw_posterior: false,
    }
}

/// A policy's value and total expected spend for one loan of `balance` starting in
/// dpd_1_30, in closed form: with `Q` the chain among the two buckets under the policy, the
/// discounted visits are `N = (I - d Q)^-1` and the undiscounted ones `M = (I - Q)^-1`. A
/// visit to bucket `j` in a month is worth, at the month's start, `d (P(j, cure) (m_j + 1) i -
/// cost_j) + d² P(j, cure) (balance - (m_j + 1) i)`: the cure pays `m_j + 1` instalments at the
/// month's end, the rest of the balance is prepaid a month later.
fn closed_form(a: bool, b: bool, balance: f64, instalment: f64, d: f64) -> (f64, f64) {
    // Rows of the two buckets (cure, stay, roll) after the actions' rule: cure and roll
    // multiplied, staying absorbs the rest.
    let (mut c1, mut s1, mut r1, mut cost1) = (0.30, 0.30, 0.40, 0.0);
    if a {
        (c1, r1, cost1) = (0.30 * 1.5, 0.40 * 0.75, 20.0);
        s1 = 1.0 - c1 - r1;
    }
    let (mut c2, mut s2, mut r2, mut cost2) = (0.20, 0.30, 0.50, 0.0);
    if b {
        (c2, r2, cost2) = (0.20 * 1.25, 0.50 * 0.8, 30.0);
        s2 = 1.0 - c2 - r2;
    }
    let _ = r2;
    // Q = [[s1, r1], [0, s2]] (dpd_1_30 rolls to dpd_31_60; dpd_31_60 does not go back).
    let inverse = |f: f64| {
        let (a11, a12, a22) = (1.0 - f * s1, -f * r1, 1.0 - f * s2);
        // Upper triangular: [[1/a11, -a12/(a11 a22)], [0, 1/a22]]; first row is what we need.
        (1.0 / a11, -a12 / (a11 * a22))
    };
    let (n11, n12) = inverse(d);
    let (m11, m12) = inverse(1.0);
    let visit = |cure: f64, months_past_due: f64, cost: f64| {
        let arrears = (months_past_due + 1.0) * instalment;
        d * (cure * arrears - cost) + d * d * cure * (balance - arrears)
    };
    let value = n11 * visit(c1, 1.0, cost1) + n12 * visit(c2, 2.0, cost2);
    let spend = m11 * cost1 + m12 * cost2;
    (value, spend)
}

#[test]
fn every_policy_of_a_hand_chain_matches_its_closed_form() {
    let model = hand_model();
    let horizon = 400;
    let valuation = Valuation::new(horizon, Some(0.12));
    let (balance, term) = (1200.0, 600);
    let groups = vec![vec![Group {
        state: 1,
        term,
        months_on_book: 0,
        rate: 0.0,
        loans: 1.0,
        balance,
    }]];
    let plan = search(&model, &groups, &valuation, &[], None).unwrap();
    let instalment = balance / f64::from(term);
    let d = valuation.monthly_discount;
    let mut best = (f64::NEG_INFINITY, vec![]);
    assert_eq!(plan.segments[0].policies.len(), 4);
    for policy in &plan.segments[0].policies {
        let (a, b) = (policy.on.contains(&0), policy.on.contains(&1));
        let (value, spend) = closed_form(a, b, balance, instalment, d);
        assert!(
            (policy.value.value - value).abs() < 1e-9 * value.abs(),
            "policy a={a} b={b}: exact {} vs closed form {value}",
            policy.value.value
        );
        let total_spend = policy.value.spend_per_month * f64::from(horizon);
        assert!(
            (total_spend - spend).abs() < 1e-9 * spend.abs().max(1.0),
            "policy a={a} b={b}: spend {total_spend} vs {spend}"
        );
        if value > best.0 {
            best = (value, policy.on.clone());
        }
    }
    let chosen = &plan.segments[0].policies[plan.chosen.choice[0]];
    assert_eq!(
        chosen.on, best.1,
        "the optimiser's choice is the best by hand"
    );
    assert!((plan.chosen.value - best.0).abs() < 1e-9 * best.0.abs());
    // The champion is every action on.
    assert_eq!(
        plan.segments[0].policies[plan.champion.choice[0]].on,
        vec![0, 1]
    );
}

#[test]
fn a_binding_budget_buys_a_frontier_policy_within_it() {
    let model = hand_model();
    let valuation = Valuation::new(120, Some(0.12));
    let groups = vec![vec![Group {
        state: 1,
        term: 600,
        months_on_book: 0,
        rate: 0.0,
        loans: 1000.0,
        balance: 1.2e6,
    }]];
    let free = search(&model, &groups, &valuation, &[], None).unwrap();
    let hull = &free.frontier.hull;
    assert!(hull.len() >= 2, "the chain has a frontier to climb");
    let budget = 0.5 * (hull[0].spend_per_month + hull[1].spend_per_month);
    let plan = search(&model, &groups, &valuation, &[], Some(budget)).unwrap();
    assert!(plan.chosen.spend_per_month <= budget);
    assert!(plan.chosen.on_frontier);
    assert_eq!(plan.chosen.choice, hull[0].choice);
    assert!(
        plan.lambda > 0.0,
        "the budget binds: the next step is worth something"
    );
    // Every listed policy within the budget is worth no more than the choice.
    for p in &plan.frontier.points {
        if p.spend_per_month <= budget {
            assert!(p.value <= plan.chosen.value + 1e-9 * plan.chosen.value.abs());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The command

/// A small scenario with two stages and three actions (the late one not worth its cost), long
/// terms (no maturity inside the horizon, so no clip binds), partial payments, a recovery
/// curve and a forward-flow sale.
fn scenario_text(actions: bool) -> String {
    let actions = if actions {
        r#"
[[actions]]
name = "reminders"
stage = "early"
cost_per_account = 0.50
cure_multiplier = 1.05

[[actions]]
name = "calls"
stage = "early"
cost_per_account = 4.00
cure_multiplier = 1.20
roll_multiplier = 0.90

[[actions]]
name = "field_visits"
stage = "late"
cost_per_account = 60.0
cure_multiplier = 1.03
"#
    } else {
        ""
    };
    format!(
        r#"
version = 1
[simulation]
name = "small"
paths = 200
horizon_months = 24
seed = 11
discount_rate = 0.10

[states]
buckets = [
  {{ name = "dpd_1_30", min_dpd = 1, max_dpd = 30 }},
  {{ name = "dpd_31_60", min_dpd = 31, max_dpd = 60 }},
  {{ name = "dpd_61_90", min_dpd = 61, max_dpd = 90 }},
  {{ name = "dpd_91_plus", min_dpd = 91 }},
]

[stages]
early = ["dpd_1_30"]
late = ["dpd_31_60", "dpd_61_90"]

[charge_off]
dpd = 90

[money]
accrue_interest_while_overdue = true
late_fee = 10.0
[money.partial_payments]
probability = 0.3
share_alpha = 2.0
share_beta = 3.0

[book]
source = "synthetic"
{actions}
[recovery]
curve = [0.02, 0.02, 0.015, 0.01]
payment_probability = 0.3
cost_share = 0.2

[debt_sale]
trigger = "months_after_charge_off"
months = 3
price = 0.05

[segments.all]
product = "instalment"
[segments.all.book]
loans = 3000
balance = {{ distribution = "lognormal", mean = 2000.0, sd = 800.0 }}
apr = 0.18
term_months = 120
initial_states = {{ current = 0.5, dpd_1_30 = 0.3, dpd_31_60 = 0.2 }}
[segments.all.transitions]
current   = {{ current = 0.94, dpd_1_30 = 0.05, paid_off = 0.01 }}
dpd_1_30  = {{ current = 0.45, dpd_1_30 = 0.10, dpd_31_60 = 0.44, paid_off = 0.01 }}
dpd_31_60 = {{ current = 0.20, dpd_1_30 = 0.05, dpd_31_60 = 0.10, dpd_61_90 = 0.65 }}
dpd_61_90 = {{ current = 0.10, dpd_61_90 = 0.10, dpd_91_plus = 0.80 }}
"#
    )
}

fn write_scenario(dir: &Path, actions: bool) -> PathBuf {
    let path = dir.join(if actions { "small.toml" } else { "bare.toml" });
    std::fs::write(&path, scenario_text(actions)).unwrap();
    path
}

fn optimise(scenario: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "optimise",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    arrears(&args)
}

/// `(on_frontier, champion, chosen)` of each row of `frontier.csv`: its last three columns
/// (the description before them is quoted and holds commas).
fn frontier_flags(dir: &Path) -> Vec<(bool, bool, bool)> {
    let text = std::fs::read_to_string(dir.join("frontier.csv")).unwrap();
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .ends_with("on_frontier,champion,chosen")
    );
    lines
        .map(|l| {
            let cells: Vec<&str> = l.rsplitn(4, ',').collect();
            (cells[2] == "true", cells[1] == "true", cells[0] == "true")
        })
        .collect()
}

fn summary(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn monte_carlo_confirms_the_exact_values_and_a_budget_binds() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write_scenario(tmp.path(), true);
    let out = tmp.path().join("free");
    let o = optimise(&scenario, &out, &[]);
    assert!(o.status.success(), "{}", output_text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("chosen policy"), "{stdout}");
    let s = summary(&out);
    for key in ["champion_value", "challenger_value"] {
        let z = s[key]["z"].as_f64().unwrap();
        assert!(
            z.abs() < 4.0,
            "{key}: Monte Carlo {z:.2} standard errors from exact\n{s:#}"
        );
    }
    // Field visits do not pay: the challenger drops them, and the paired gain confirms it.
    assert!(
        s["challenger"].as_str().unwrap().contains("late none"),
        "{s:#}"
    );
    let gain = &s["value_gain"];
    assert!(gain["exact"].as_f64().unwrap() > 0.0, "{s:#}");
    let z = gain["z"].as_f64().unwrap();
    assert!(
        z.abs() < 4.0,
        "gain: {z:.2} standard errors from exact\n{s:#}"
    );
    for file in [
        "policy.csv",
        "policy.parquet",
        "frontier.csv",
        "frontier.parquet",
        "champion_challenger.csv",
        "live_test.csv",
        "frontier.png",
        "frontier.svg",
        "report.html",
        "report.md",
        "manifest.json",
    ] {
        assert!(out.join(file).is_file(), "{file} is missing");
    }
    let frontier = frontier_flags(&out);
    assert_eq!(frontier.len(), 8, "2^3 policies of one segment");
    assert_eq!(frontier.iter().filter(|f| f.1).count(), 1, "one champion");

    // A budget half the unconstrained choice's spend binds and buys a frontier policy.
    let free_spend = s["challenger_spend_per_month"].as_f64().unwrap();
    assert!(free_spend > 0.0, "the best policy spends something\n{s:#}");
    let budget = format!("{}", free_spend / 2.0);
    let bound = tmp.path().join("bound");
    let o = optimise(&scenario, &bound, &["--budget", &budget, "--quiet"]);
    assert!(o.status.success(), "{}", output_text(&o));
    let b = summary(&bound);
    let spend = b["challenger_spend_per_month"].as_f64().unwrap();
    assert!(spend <= free_spend / 2.0 + 1e-9, "{spend} over the budget");
    let chosen: Vec<_> = frontier_flags(&bound)
        .into_iter()
        .filter(|(_, _, chosen)| *chosen)
        .collect();
    assert_eq!(chosen.len(), 1);
    assert!(chosen[0].0, "the chosen policy is on the frontier");
    assert!(b["challenger_value"]["exact"].as_f64() <= s["challenger_value"]["exact"].as_f64());
}

#[test]
fn same_seed_same_bytes_and_verify_refuses_a_tampered_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write_scenario(tmp.path(), true);
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    for dir in [&one, &two] {
        let o = optimise(
            &scenario,
            dir,
            &["--paths", "40", "--budget", "2000", "--quiet"],
        );
        assert!(o.status.success(), "{}", output_text(&o));
    }
    let files = common::files_below(&one);
    assert_eq!(files, common::files_below(&two));
    for file in &files {
        assert_eq!(
            std::fs::read(one.join(file)).unwrap(),
            std::fs::read(two.join(file)).unwrap(),
            "{file} differs between two runs of the same seed"
        );
    }
    let o = arrears(&["verify", one.to_str().unwrap()]);
    assert!(o.status.success(), "{}", output_text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("optimisation"));
    let csv = one.join("frontier.csv");
    let mut text = std::fs::read_to_string(&csv).unwrap();
    text.push_str("99,forged,0,1e12,true,false,false\n");
    std::fs::write(&csv, text).unwrap();
    let o = arrears(&["verify", one.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    assert!(
        output_text(&o).contains("frontier.csv"),
        "{}",
        output_text(&o)
    );
}

#[test]
fn bad_inputs_exit_2_with_a_message_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write_scenario(tmp.path(), true);
    let bare = write_scenario(tmp.path(), false);
    let out = tmp.path().join("out");
    let cases: Vec<(PathBuf, Vec<&str>, &str)> = vec![
        (
            scenario.clone(),
            vec!["--keep", "letters"],
            "no action `letters`",
        ),
        (
            scenario.clone(),
            vec!["--set", "actions.letters.cost_per_account=1"],
            "letters",
        ),
        (scenario.clone(), vec!["--budget", "-5"], "negative"),
        (
            scenario.clone(),
            vec!["--keep", "calls", "--budget", "0"],
            "below the cheapest policy",
        ),
        (bare, vec![], "no `[[actions]]`"),
        (scenario.clone(), vec!["--power", "1.5"], "--power"),
    ];
    for (path, extra, expected) in cases {
        let o = optimise(&path, &out, &extra);
        let text = output_text(&o);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {text}");
        assert!(
            text.contains(expected),
            "{extra:?}: expected `{expected}` in\n{text}"
        );
        assert!(text.contains("hint:"), "{extra:?}: no hint in\n{text}");
        assert!(!out.exists(), "{extra:?}: a folder was written");
    }
}
