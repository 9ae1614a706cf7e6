//! Vintage curves against what they must equal: the engine's write-offs by vintage add up to
//! its write-offs by segment on every path and month; a book of two vintages whose loans move
//! on absorbing Markov chains (balances fixed while delinquent) has cumulative write-off rates
//! known exactly by matrix powers, placed at the right months on book; and the table is the
//! same bytes for any thread count.

mod common;

use arrears::book;
use arrears::engine::Total;
use arrears::metrics::BookProfile;
use arrears::metrics::summary::summarise;
use arrears::metrics::vintage::VintageRow;
use arrears::results::table;
use common::{evolve, run, scenario};

/// Three segments, seven vintages, recoveries and a forward-flow debt sale: every way money
/// enters the write-off arrays.
const MIXED: &str = r#"
version = 1
[simulation]
name = "mixed"
paths = 40
horizon_months = 18
seed = 11
[states]
buckets = [
  { name = "dpd_1_30", min_dpd = 1, max_dpd = 30 },
  { name = "dpd_31_60", min_dpd = 31, max_dpd = 60 },
  { name = "dpd_61_90", min_dpd = 61, max_dpd = 90 },
  { name = "dpd_91_plus", min_dpd = 91 },
]
[charge_off]
dpd = 90
[money]
accrue_interest_while_overdue = true
late_fee = 10.0
[money.partial_payments]
probability = 0.3
share_alpha = 2.0
share_beta = 3.0
[recovery]
curve = [0.05, 0.04, 0.03, 0.02]
payment_probability = 0.4
cost_share = 0.2
[debt_sale]
trigger = "months_after_charge_off"
months = 3
price = 0.05
[book]
source = "synthetic"
[segments.a.book]
loans = 300
balance = { distribution = "lognormal", mean = 2000.0, sd = 800.0 }
apr = 0.2
term_months = 36
months_on_book = [0, 4]
initial_states = { current = 0.9, dpd_1_30 = 0.1 }
[segments.a.transitions]
current   = { current = 0.90, dpd_1_30 = 0.08, paid_off = 0.02 }
dpd_1_30  = { current = 0.40, dpd_1_30 = 0.10, dpd_31_60 = 0.50 }
dpd_31_60 = { current = 0.20, dpd_31_60 = 0.10, dpd_61_90 = 0.70 }
dpd_61_90 = { current = 0.10, dpd_61_90 = 0.10, dpd_91_plus = 0.80 }
[segments.b.book]
loans = 200
balance = { distribution = "fixed", value = 1500.0 }
apr = 0.3
term_months = 24
months_on_book = [3, 6]
[segments.b.transitions]
current   = { current = 0.88, dpd_1_30 = 0.10, paid_off = 0.02 }
dpd_1_30  = { current = 0.30, dpd_1_30 = 0.10, dpd_31_60 = 0.60 }
dpd_31_60 = { current = 0.10, dpd_31_60 = 0.10, dpd_61_90 = 0.80 }
dpd_61_90 = { current = 0.05, dpd_61_90 = 0.05, dpd_91_plus = 0.90 }
"#;

#[test]
fn vintage_write_offs_add_up_to_segment_write_offs() {
    let s = scenario(MIXED);
    let out = run(&s, 2);
    let layout = out.layout;
    assert!(
        layout.n_vintages >= 5,
        "several vintages: {}",
        layout.n_vintages
    );
    let mut recovered_seen = 0.0;
    for (path_idx, p) in out.paths.iter().enumerate() {
        let mut total_gross = 0.0;
        for month in 1..=layout.timeline.horizon_months {
            for recovered in [false, true] {
                let by_segment: f64 = (0..layout.n_segments)
                    .map(|seg| p.write_offs[layout.write_off(month, seg, recovered)])
                    .sum();
                let by_vintage: f64 = (0..layout.n_vintages)
                    .map(|v| p.vintage_write_offs[layout.vintage_write_off(month, v, recovered)])
                    .sum();
                assert!(
                    (by_segment - by_vintage).abs() <= 1e-9 * by_segment.abs().max(1.0),
                    "path {path_idx} month {month} recovered {recovered}: segments {by_segment}, vintages {by_vintage}"
                );
                if recovered {
                    recovered_seen += by_vintage;
                } else {
                    total_gross += by_vintage;
                }
            }
        }
        let gross = p.get(Total::GrossWriteOffs);
        assert!(
            (total_gross - gross).abs() <= 1e-9 * gross.max(1.0),
            "path {path_idx}: vintages wrote off {total_gross}, the path {gross}"
        );
    }
    // The test means something only if both kinds of amount occur.
    assert!(recovered_seen > 0.0);
    assert!(out.paths.iter().any(|p| p.get(Total::GrossWriteOffs) > 0.0));
}

// States in engine order: current, dpd_1_30, dpd_31_60, dpd_61_90, paid_off, charged_off, sold.
// Loans start in dpd_1_30 and never cure; with no fees, accrual or partial payments their
// balance stays at 1,000 until they are charged off or pay off, so the cumulative gross
// write-off rate is the chain's probability of having been charged off.
const OLD_ROWS: [[f64; 7]; 4] = [
    [0.95, 0.05, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, 0.50, 0.40, 0.0, 0.10, 0.0, 0.0],
    [0.0, 0.0, 0.30, 0.60, 0.10, 0.0, 0.0],
    [0.0, 0.0, 0.0, 0.20, 0.10, 0.70, 0.0],
];
const NEW_ROWS: [[f64; 7]; 4] = [
    [0.95, 0.05, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, 0.20, 0.75, 0.0, 0.05, 0.0, 0.0],
    [0.0, 0.0, 0.10, 0.85, 0.05, 0.0, 0.0],
    [0.0, 0.0, 0.0, 0.10, 0.0, 0.90, 0.0],
];
const NAMES: [&str; 7] = [
    "current",
    "dpd_1_30",
    "dpd_31_60",
    "dpd_61_90",
    "paid_off",
    "charged_off",
    "sold",
];
const RECOVERY_CURVE: [f64; 3] = [0.10, 0.05, 0.05];
const PAYMENT_PROBABILITY: f64 = 0.5;

fn toml_rows(rows: &[[f64; 7]; 4]) -> String {
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .filter(|(_, p)| **p > 0.0)
                .map(|(j, p)| format!("{} = {p}", NAMES[j]))
                .collect();
            format!("{} = {{ {} }}\n", NAMES[i], cells.join(", "))
        })
        .collect()
}

fn matrix(rows: &[[f64; 7]; 4]) -> Vec<Vec<f64>> {
    let mut m: Vec<Vec<f64>> = rows.iter().map(|r| r.to_vec()).collect();
    for absorbing in 4..7 {
        let mut row = vec![0.0; 7];
        row[absorbing] = 1.0;
        m.push(row);
    }
    m
}

fn two_vintages(paths: u64, horizon: u32) -> String {
    let segment = |name: &str, months_on_book: u32, rows: &[[f64; 7]; 4]| {
        format!(
            r#"
[segments.{name}.book]
loans = 1000
balance = {{ distribution = "fixed", value = 1000.0 }}
apr = 0.12
term_months = 600
months_on_book = [{months_on_book}, {months_on_book}]
initial_states = {{ dpd_1_30 = 1.0 }}
[segments.{name}.transitions]
{}"#,
            toml_rows(rows)
        )
    };
    format!(
        r#"
version = 1
[simulation]
name = "vintages"
paths = {paths}
horizon_months = {horizon}
seed = 5
[states]
buckets = [
  {{ name = "dpd_1_30", min_dpd = 1, max_dpd = 30 }},
  {{ name = "dpd_31_60", min_dpd = 31, max_dpd = 60 }},
  {{ name = "dpd_61_90", min_dpd = 61, max_dpd = 90 }},
]
[recovery]
curve = {RECOVERY_CURVE:?}
payment_probability = {PAYMENT_PROBABILITY}
[book]
source = "synthetic"
{}{}"#,
        segment("newer", 6, &NEW_ROWS),
        segment("older", 12, &OLD_ROWS)
    )
}

/// Exact cumulative (gross, net) write-off rates after months 1..=horizon for loans starting in
/// dpd_1_30: gross is the probability of having been charged off; a loan charged off in month
/// c pays `curve[k]` of its balance in month c + 1 + k in expectation (a payer, drawn with the
/// payment probability, pays `curve[k] / payment_probability`).
fn exact_rates(rows: &[[f64; 7]; 4], horizon: usize) -> Vec<(f64, f64)> {
    let p = matrix(rows);
    let start = [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    let charged = |m: usize| evolve(&start, &p, m)[5];
    (1..=horizon)
        .map(|t| {
            let gross = charged(t);
            let recovered: f64 = (1..=t)
                .map(|c| {
                    let in_month = charged(c) - charged(c - 1);
                    let paid: f64 = RECOVERY_CURVE.iter().take(t - c).sum();
                    in_month * paid
                })
                .sum();
            (gross, gross - recovered)
        })
        .collect()
}

#[test]
fn two_vintages_follow_their_chains_at_their_months_on_book() {
    let horizon = 18usize;
    let s = scenario(&two_vintages(300, horizon as u32));
    let book = book::load(&s).expect("book loads");
    let out = run(&s, 2);
    let summary = summarise(
        &out,
        &s.model,
        &BookProfile::new(&book, s.model.segments.len()),
    );
    let rows: &[VintageRow] = &summary.vintage_curves;
    assert_eq!(rows.len(), 2 * horizon);
    let mut compared = 0;
    // Oldest first; a vintage at 12 months on book reaches 13 in month 1.
    for (vintage, start, first_rows, chain) in [
        (-12, 12, &rows[..horizon], &OLD_ROWS),
        (-6, 6, &rows[horizon..], &NEW_ROWS),
    ] {
        let exact = exact_rates(chain, horizon);
        for (k, row) in first_rows.iter().enumerate() {
            assert_eq!(row.vintage, vintage);
            assert_eq!(row.label, vintage.to_string());
            assert_eq!(row.months_on_book_at_start, start);
            assert_eq!(row.month as usize, k + 1);
            assert_eq!(row.months_on_book, start + k as u32 + 1);
            assert_eq!(row.loans, 1000);
            assert_eq!(row.starting_balance, 1_000_000.0);
            let (gross, net) = exact[k];
            for (what, estimate, expected) in [
                ("gross", row.cumulative_gross_rate, gross),
                ("net", row.cumulative_net_rate, net),
            ] {
                // Months before any loan can reach charge-off are exactly zero on every path.
                if expected > 0.0 {
                    assert!(estimate.se > 0.0, "vintage {vintage} month {}", k + 1);
                    compared += 1;
                }
                assert!(
                    (estimate.mean - expected).abs() <= 4.0 * estimate.se + 1e-12,
                    "vintage {vintage} month {}: {what} rate {:.5} ± {:.5}, exact {expected:.5}",
                    k + 1,
                    estimate.mean,
                    estimate.se
                );
            }
            assert!(
                (row.cumulative_gross_write_offs.mean / 1_000_000.0
                    - row.cumulative_gross_rate.mean)
                    .abs()
                    < 1e-12
            );
        }
    }
    assert!(
        compared >= 60,
        "compared {compared} cells with a positive rate"
    );
    // The two chains differ enough that swapping the vintages would fail.
    let (old, new) = (exact_rates(&OLD_ROWS, 6), exact_rates(&NEW_ROWS, 6));
    assert!((old[5].0 - new[5].0).abs() > 0.1);
}

#[test]
fn vintage_table_is_identical_for_any_thread_count() {
    let s = scenario(MIXED);
    let book = book::load(&s).expect("book loads");
    let tmp = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for threads in [1, 3] {
        let out = run(&s, threads);
        let summary = summarise(
            &out,
            &s.model,
            &BookProfile::new(&book, s.model.segments.len()),
        );
        let dir = tmp.path().join(format!("t{threads}"));
        std::fs::create_dir_all(&dir).unwrap();
        table::write(&dir, &summary.vintage_curves).unwrap();
        files.push((
            std::fs::read(dir.join("vintage_curves.csv")).unwrap(),
            std::fs::read(dir.join("vintage_curves.parquet")).unwrap(),
        ));
    }
    assert!(files[0].0.len() > 1000, "the table has rows");
    assert!(
        files[0] == files[1],
        "vintage_curves differs between 1 and 3 threads"
    );
}
