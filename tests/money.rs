//! Money: hand-worked cases for the payment rules and the ledger identity
//! (original + drawn + accrued = repaid + recovered + sold face + written off + outstanding)
//! for random scenarios, per path and per loan.

mod common;

use arrears::engine::Total;
use arrears::metrics::figures::metric;
use common::{charged_off_pool, geometric_buyer, run, scenario};
use proptest::prelude::*;

fn one_loan(rows: &str, extra: &str, horizon: u32, term: u32) -> String {
    format!(
        r#"
version = 1
[simulation]
name = "one"
paths = 1
horizon_months = {horizon}
seed = 1
discount_rate = 0.0
[states]
buckets = [ {{ name = "dpd_1_30", min_dpd = 1, max_dpd = 30 }} ]
[book]
source = "synthetic"
{extra}
[segments.all.book]
loans = 1
balance = {{ distribution = "fixed", value = 1000.0 }}
apr = 0.12
term_months = {term}
[segments.all.transitions]
{rows}
"#
    )
}

#[test]
fn a_current_loan_amortises_like_an_annuity() {
    let rows = "current = { current = 1.0 }\ndpd_1_30 = { current = 1.0 }";
    let s = scenario(&one_loan(rows, "", 12, 12));
    let o = &run(&s, 1).paths[0];
    // 1000 at 1% a month over 12 months: instalment 88.8488, total interest 66.1855.
    assert!((o.get(Total::Repaid) - 1000.0).abs() < 1e-6);
    assert!(
        (o.get(Total::InterestCollected) - 66.185_48).abs() < 1e-3,
        "{}",
        o.get(Total::InterestCollected)
    );
    assert_eq!(o.get(Total::PayOffs), 1.0);
    assert_eq!(o.get(Total::Outstanding), 0.0);
}

#[test]
fn recovery_curve_then_sale_gives_the_hand_worked_recovery_rate() {
    let rows = "current = { charged_off = 1.0 }\ndpd_1_30 = { current = 1.0 }";
    let extra = r#"
[recovery]
curve = [0.10, 0.05]
payment_probability = 1.0
cost_share = 0.2
[debt_sale]
trigger = "months_after_charge_off"
months = 1
price = 0.10
"#;
    let s = scenario(&one_loan(rows, extra, 6, 12));
    let o = &run(&s, 1).paths[0];
    // Charged off in month 1 at 1000; month 2 recovers 100 (cost 20); then the remaining 900
    // is sold at 10 cents: 90.
    assert_eq!(o.get(Total::GrossWriteOffs), 1000.0);
    assert!((o.get(Total::Recoveries) - 100.0).abs() < 1e-9);
    assert!((o.get(Total::SoldFace) - 900.0).abs() < 1e-9);
    assert!((o.get(Total::SaleProceeds) - 90.0).abs() < 1e-9);
    let rr = (metric("recovery_rate").value)(o).unwrap();
    let rr_net = (metric("recovery_rate_net").value)(o).unwrap();
    assert!((rr - 0.19).abs() < 1e-12, "{rr}");
    assert!((rr_net - 0.17).abs() < 1e-12, "{rr_net}");
    let ncl = (metric("net_credit_loss").value)(o).unwrap();
    assert!((ncl - 810.0).abs() < 1e-9);
    assert!(o.conservation_residual().abs() < 1e-9);
}

#[test]
fn recovery_follows_the_workout_past_the_horizon() {
    let rows = "current = { charged_off = 1.0 }\ndpd_1_30 = { current = 1.0 }";
    let extra = "[recovery]\ncurve = [0.1, 0.1, 0.1, 0.1]\npayment_probability = 1.0\n";
    let s = scenario(&one_loan(rows, extra, 2, 12));
    let o = &run(&s, 1).paths[0];
    // Within the 2-month horizon one month of recovery; the workout adds the other three.
    assert!((o.get(Total::Recoveries) - 100.0).abs() < 1e-9);
    assert!((o.get(Total::WorkoutRecoveries) - 400.0).abs() < 1e-9);
    assert!((o.get(Total::WrittenOffNet) - 900.0).abs() < 1e-9);
}

/// A random but valid scenario: rows drawn then normalised, money rules switched on and off.
fn random_scenario(
    p: [f64; 12],
    accrue: bool,
    late_fee: f64,
    partial: bool,
    sale: u8,
    revolving: bool,
    seed: u64,
) -> String {
    let norm = |xs: &[f64]| {
        let s: f64 = xs.iter().sum();
        xs.iter().map(|x| x / s).collect::<Vec<_>>()
    };
    let c = norm(&p[0..3]);
    let d1 = norm(&p[3..7]);
    let d2 = norm(&p[7..12]);
    // Rounding to 12 decimals keeps the text exact enough for the 1e-9 row check.
    let fmt = |x: f64| format!("{x:.15}");
    let rows = format!(
        "current = {{ current = {}, dpd_1_30 = {}, paid_off = {} }}\n\
         dpd_1_30 = {{ current = {}, dpd_1_30 = {}, dpd_31_60 = {}, paid_off = {} }}\n\
         dpd_31_60 = {{ current = {}, dpd_1_30 = {}, dpd_31_60 = {}, charged_off = {}, dpd_61_plus = {} }}\n",
        fmt(c[0]),
        fmt(c[1]),
        fmt(c[2]),
        fmt(d1[0]),
        fmt(d1[1]),
        fmt(d1[2]),
        fmt(d1[3]),
        fmt(d2[0]),
        fmt(d2[1]),
        fmt(d2[2]),
        fmt(d2[3]),
        fmt(d2[4])
    );
    let sale = match sale {
        0 => String::new(),
        1 => {
            "[debt_sale]\ntrigger = \"months_after_charge_off\"\nmonths = 2\nprice = 0.07\n".into()
        }
        _ => "[debt_sale]\ntrigger = \"state\"\nstate = \"dpd_31_60\"\nprice = 0.2\n".into(),
    };
    let rows = if sale.contains("\"state\"") {
        // dpd_31_60 is sold on entry, so it has no row.
        rows.lines().take(2).collect::<Vec<_>>().join("\n")
    } else {
        rows
    };
    let partial = if partial {
        "[money.partial_payments]\nprobability = 0.5\nshare_alpha = 2.0\nshare_beta = 2.0\n"
    } else {
        ""
    };
    let product = if revolving {
        "product = \"revolving\"\ndraw_rate = 0.1\nmin_payment_rate = 0.05\n"
    } else {
        ""
    };
    let limit = if revolving {
        "credit_limit_ratio = 1.5\n"
    } else {
        ""
    };
    format!(
        r#"
version = 1
[simulation]
name = "prop"
paths = 3
horizon_months = 18
seed = {seed}
[states]
buckets = [
  {{ name = "dpd_1_30", min_dpd = 1, max_dpd = 30 }},
  {{ name = "dpd_31_60", min_dpd = 31, max_dpd = 60 }},
  {{ name = "dpd_61_plus", min_dpd = 61 }},
]
[stages]
early = ["dpd_1_30"]
[charge_off]
dpd = 60
[money]
accrue_interest_while_overdue = {accrue}
late_fee = {late_fee}
{partial}
[[actions]]
name = "calls"
stage = "early"
cost_per_account = 2.0
cure_multiplier = 1.0
[recovery]
curve = [0.05, 0.04, 0.03]
payment_probability = 0.5
cost_share = 0.3
{sale}
[book]
source = "synthetic"
[segments.all]
{product}
[segments.all.book]
loans = 40
balance = {{ distribution = "uniform", min = 100.0, max = 5000.0 }}
apr = 0.3
term_months = 9
initial_states = {{ current = 0.8, dpd_1_30 = 0.2 }}
{limit}
[segments.all.transitions]
{rows}
"#
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn money_is_conserved_on_every_path(
        p in prop::array::uniform12(0.01f64..1.0),
        accrue: bool,
        late_fee in 0.0f64..30.0,
        partial: bool,
        sale in 0u8..3,
        revolving: bool,
        seed in 0u64..1000,
    ) {
        let s = scenario(&random_scenario(p, accrue, late_fee, partial, sale, revolving, seed));
        let out = run(&s, 2);
        for o in &out.paths {
            let scale = o.get(Total::OriginalBalance) + o.get(Total::Drawn) + o.get(Total::AccruedCharges);
            prop_assert!(o.conservation_residual().abs() <= 1e-9 * scale, "residual {}", o.conservation_residual());
            // Loans are conserved too: every month the states hold the whole book.
            for month in 0..=out.layout.timeline.horizon_months {
                let loans: f64 = (0..out.layout.timeline.n_states).map(|s| o.timeline[out.layout.timeline.loans(month, s)]).sum();
                prop_assert_eq!(loans, 40.0);
            }
            prop_assert!(o.get(Total::Recoveries) <= o.get(Total::GrossWriteOffs) + 1e-9);
        }
    }

    #[test]
    fn money_is_conserved_for_each_loan(
        p in prop::array::uniform12(0.01f64..1.0),
        accrue: bool,
        partial: bool,
        sale in 0u8..3,
        seed in 0u64..1000,
    ) {
        // A one-loan book: the ledger identity for a single loan.
        let text = random_scenario(p, accrue, 10.0, partial, sale, false, seed).replace("loans = 40", "loans = 1").replace("initial_states = { current = 0.8, dpd_1_30 = 0.2 }", "");
        let s = scenario(&text);
        for o in &run(&s, 1).paths {
            prop_assert!(o.conservation_residual().abs() <= 1e-9 * (o.get(Total::OriginalBalance) + o.get(Total::AccruedCharges)));
        }
    }
}

fn buyer_price(extra: &str, loans: u64, paths: u64) -> arrears::metrics::estimate::Estimate {
    let s = scenario(&charged_off_pool(loans, paths, extra));
    let book = arrears::book::load(&s).unwrap();
    let out = run(&s, 2);
    let summary = arrears::metrics::summary::summarise(
        &out,
        &s.model,
        &arrears::metrics::BookProfile::new(&book, s.model.segments.len()),
    );
    let d = summary.disposition.expect("a study");
    assert_eq!(d.buyer.len(), 1);
    d.buyer[0].fair_price
}

#[test]
fn buyer_price_of_a_geometric_pool_matches_the_closed_form() {
    // Every account pays: the price is exact, no Monte Carlo error at all.
    let (extra, price) = geometric_buyer(1.0, None);
    let exact = price(0.2);
    let price = buyer_price(&extra, 50, 4);
    assert!(
        (price.mean - exact).abs() < 1e-12,
        "{} vs {exact}",
        price.mean
    );
    // A fifth of accounts pay five times as much: the same expectation, now with noise.
    let (extra, price) = geometric_buyer(0.2, None);
    let exact = price(0.2);
    let price = buyer_price(&extra, 400, 200);
    assert!(price.se > 0.0);
    assert!(
        (price.mean - exact).abs() < 4.0 * price.se,
        "{} ± {} vs {exact}",
        price.mean,
        price.se
    );
}

#[test]
fn default_at_dpd_counts_every_cash_flow_after_it() {
    // Month 1 misses, month 2 rolls past 30 DPD (default, EAD 1,000 with no interest), month 3
    // settles in full: recovery 100% undiscounted, v = 1.12^(-1/12) discounted.
    let text = r#"
version = 1
[simulation]
name = "dpd"
paths = 2
horizon_months = 6
seed = 3
discount_rate = 0.12
[states]
buckets = [
  { name = "dpd_1_30", min_dpd = 1, max_dpd = 30 },
  { name = "dpd_31_60", min_dpd = 31, max_dpd = 60 },
]
[stages]
early = ["dpd_1_30"]
mid = ["dpd_31_60"]
[default]
definition = "dpd"
dpd = 30
[book]
source = "synthetic"
[segments.all.book]
loans = 10
balance = { distribution = "fixed", value = 1000.0 }
apr = 0.0
term_months = 24
[segments.all.transitions]
current = { dpd_1_30 = 1.0 }
dpd_1_30 = { dpd_31_60 = 1.0 }
dpd_31_60 = { paid_off = 1.0 }
"#;
    let s = scenario(text);
    let book = arrears::book::load(&s).unwrap();
    let out = run(&s, 1);
    let o = &out.paths[0];
    assert_eq!(o.get(Total::Defaults), 10.0);
    assert_eq!(o.get(Total::ExposureAtDefault), 10_000.0);
    let rr = (metric("recovery_rate").value)(o).unwrap();
    let rr_disc = (metric("recovery_rate_discounted").value)(o).unwrap();
    assert!((rr - 1.0).abs() < 1e-12);
    assert!(
        (rr_disc - 1.12f64.powf(-1.0 / 12.0)).abs() < 1e-12,
        "{rr_disc}"
    );
    let summary = arrears::metrics::summary::summarise(
        &out,
        &s.model,
        &arrears::metrics::BookProfile::new(&book, s.model.segments.len()),
    );
    let mid = summary
        .recovery_groups
        .iter()
        .find(|g| g.dimension == "stage_at_default" && g.group == "mid")
        .unwrap();
    assert_eq!(mid.defaults.mean, 10.0);
    assert!((summary.recovery_curve[0].cumulative_recovery_rate.mean - 1.0).abs() < 1e-12);
    // Nobody recovered nothing.
    assert_eq!(summary.recovery_distribution[0].share.mean, 0.0);
}
