//! Count mode against exact results and against loan mode on the same book.
//!
//! - Counts: a cell of a million loans through an absorbing chain; occupancy by month has the
//!   chain's mean and the multinomial's variance.
//! - Loan mode and count mode on the same cells (loan mode walks each loan of a cell): state
//!   occupancy, charge-offs, write-offs and net credit loss agree in mean and in spread, with the
//!   full money model (partial payments, capitalised charges, actions, recovery, debt sale) and
//!   with a monthly systematic factor.
//! - Determinism over thread counts, conservation of money, and a cell of 10^12 loans.

mod common;

use std::collections::BTreeMap;

use arrears::book::{self, LoanBook};
use arrears::engine::{self, RunOutput};
use arrears::engine::{PathOutcome, Total};
use arrears::metrics::estimate::mean_sd;
use arrears::scenario::{Mode, Scenario};
use common::{CHAIN_ROWS, chain_matrix, chain_scenario, evolve, scenario};

/// Rows of identical loans gathered into cells, in order of first appearance.
fn cells(book: &LoanBook) -> LoanBook {
    let mut out = book.clone();
    let keep: Vec<usize> = {
        let mut first: BTreeMap<String, usize> = BTreeMap::new();
        let mut keep = Vec::new();
        for i in 0..book.len() {
            let key = format!(
                "{} {} {} {} {} {} {} {}",
                book.segment[i],
                book.state[i],
                book.balance[i].to_bits(),
                book.apr[i].to_bits(),
                book.remaining_term[i],
                book.months_on_book[i],
                book.vintage[i],
                book.credit_limit[i].to_bits()
            );
            match first.get(&key) {
                Some(&cell) => out.count[cell] += book.count[i],
                None => {
                    first.insert(key, i);
                    keep.push(i);
                }
            }
        }
        keep
    };
    pick(&mut out.loan_id, &keep);
    pick(&mut out.segment, &keep);
    pick(&mut out.balance, &keep);
    pick(&mut out.apr, &keep);
    pick(&mut out.remaining_term, &keep);
    pick(&mut out.months_on_book, &keep);
    pick(&mut out.state, &keep);
    pick(&mut out.credit_limit, &keep);
    pick(&mut out.vintage, &keep);
    pick(&mut out.count, &keep);
    out
}

fn pick<T: Clone>(v: &mut Vec<T>, keep: &[usize]) {
    let all = std::mem::take(v);
    *v = keep.iter().map(|&i| all[i].clone()).collect();
}

fn run_as(s: &Scenario, book: &LoanBook, mode: Mode, threads: usize) -> RunOutput {
    let mut simulation = s.simulation.clone();
    simulation.mode = mode;
    engine::run(&simulation, &s.model, book, Some(threads), &|_| {}).expect("run")
}

fn count_scenario(rows: &str, loans: u64, paths: u64, horizon: u32) -> Scenario {
    let text = chain_scenario(rows, loans, paths, horizon, "")
        .replace("seed = 7", "seed = 7\nmode = \"count\"");
    scenario(&text)
}

fn stats(paths: &[PathOutcome], f: impl Fn(&PathOutcome) -> f64) -> (f64, f64) {
    let values: Vec<f64> = paths.iter().map(f).collect();
    mean_sd(&values)
}

#[test]
fn a_cell_of_a_million_loans_moves_by_the_chain_with_multinomial_spread() {
    let loans = 1_000_000u64;
    let s = count_scenario(CHAIN_ROWS, loans, 400, 12);
    let book = cells(&book::load(&s).expect("book"));
    assert_eq!(book.len(), 1, "one cell");
    assert_eq!(book.loans(), loans);
    let out = run_as(&s, &book, Mode::Count, 2);
    let p = chain_matrix();
    let n = out.paths.len() as f64;
    let (mut checked, mut worst_mean, mut worst_sd) = (0, 0.0f64, 0.0f64);
    for month in [1usize, 2, 3, 6, 12] {
        let exact = evolve(&[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], &p, month);
        for (state, &share) in exact.iter().enumerate() {
            if share <= 0.0 {
                continue;
            }
            let (mean, sd) = stats(&out.paths, |o| {
                o.timeline[out.layout.timeline.loans(month, state)]
            });
            let expected = share * loans as f64;
            // Loans move independently: the count in a state is binomial(loans, share).
            let binomial_sd = (loans as f64 * share * (1.0 - share)).sqrt();
            let z_mean = (mean - expected) / (binomial_sd / n.sqrt());
            let z_sd = (sd - binomial_sd) / (binomial_sd / (2.0 * (n - 1.0)).sqrt());
            assert!(
                z_mean.abs() <= 4.0,
                "month {month} state {state}: {mean:.1}, exact {expected:.1} (z = {z_mean:.2})"
            );
            assert!(
                z_sd.abs() <= 4.0,
                "month {month} state {state}: sd {sd:.2}, binomial {binomial_sd:.2} (z = {z_sd:.2})"
            );
            worst_mean = worst_mean.max(z_mean.abs());
            worst_sd = worst_sd.max(z_sd.abs());
            checked += 1;
        }
    }
    assert!(checked >= 20, "compared {checked} month-state cells");
    eprintln!("{checked} cells; largest |z|: mean {worst_mean:.2}, sd {worst_sd:.2}");
}

#[test]
fn a_cell_of_a_trillion_loans_costs_what_a_small_one_does() {
    // Nothing here loops over loans: a trillion loans run in milliseconds.
    let loans = 1_000_000_000_000u64;
    let s = count_scenario(CHAIN_ROWS, 1, 20, 12);
    let mut book = book::load(&s).expect("book");
    book.count[0] = loans;
    let out = run_as(&s, &book, Mode::Count, 1);
    let exact = evolve(&[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], &chain_matrix(), 12);
    for o in &out.paths {
        let charged_off = o.get(Total::ChargeOffs) / loans as f64;
        // Binomial sd of the share is below 1e-6.
        assert!(
            (charged_off - exact[5]).abs() < 1e-5,
            "{charged_off} vs {}",
            exact[5]
        );
        let on_book: f64 = (0..7)
            .map(|s| o.timeline[out.layout.timeline.loans(12, s)])
            .sum();
        assert_eq!(on_book, loans as f64, "every loan is somewhere");
    }
}

/// The baseline's full model (partial payments, capitalised interest and fees, actions,
/// recovery, a debt sale after charge-off, month-on-book overrides) on a book whose loans
/// gather into cells: fixed balances and months on book.
fn full_model(extra: &str) -> Scenario {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/baseline.toml"
    ))
    .expect("baseline scenario");
    let text = text
        .replace("paths = 1000", "paths = 300")
        .replace("loans = 40000", "loans = 3000")
        .replace("loans = 20000", "loans = 1500")
        .replace(
            "{ distribution = \"lognormal\", mean = 3000.0, sd = 1500.0 }",
            "{ distribution = \"fixed\", value = 3000.0 }",
        )
        .replace(
            "{ distribution = \"lognormal\", mean = 2000.0, sd = 1200.0 }",
            "{ distribution = \"fixed\", value = 2000.0 }",
        )
        .replace(
            "{ distribution = \"lognormal\", mean = 800.0, sd = 500.0 }",
            "{ distribution = \"fixed\", value = 800.0 }",
        )
        .replace("months_on_book = [0, 18]", "months_on_book = [6, 6]")
        .replace("months_on_book = [0, 9]", "months_on_book = [3, 3]")
        .replace("months_on_book = [0, 4]", "months_on_book = [0, 0]");
    scenario(&format!("{text}\n{extra}"))
}

/// A number read off a path.
type Figure = Box<dyn Fn(&PathOutcome) -> f64>;

/// Compares the two modes figure by figure: means within 4 combined standard errors, sds
/// within 4 standard errors of their ratio (the log of an sd ratio has se sqrt(1/(n-1))).
fn assert_modes_agree(s: &Scenario) {
    let book = cells(&book::load(s).expect("book"));
    assert!(book.len() < 20, "{} cells", book.len());
    let loans = run_as(s, &book, Mode::Loan, 2);
    let counts = run_as(s, &book, Mode::Count, 2);
    let t = loans.layout.timeline;
    let n = loans.paths.len() as f64;
    // Figures below materiality (under two loans, or a ten-thousandth of the book's balance in
    // both modes) are left out: post-maturity stragglers of a handful of loans, where loan
    // mode's loan-by-loan balances and count mode's group averages are both a few currency
    // units, say nothing a review would read.
    let book_balance = book.total_balance();
    let material = |name: &str, a: f64, b: f64| {
        let floor = if name.starts_with("loans") || matches!(name, "charge_offs" | "defaults") {
            2.0
        } else {
            1e-4 * book_balance
        };
        a.abs().max(b.abs()) >= floor
    };
    let mut figures: Vec<(String, Figure)> = Vec::new();
    for total in [
        Total::ChargeOffs,
        Total::GrossWriteOffs,
        Total::Recoveries,
        Total::SaleProceeds,
        Total::WrittenOffNet,
        Total::Repaid,
        Total::InterestCollected,
        Total::AccruedCharges,
        Total::CollectionCosts,
        Total::Defaults,
        Total::WorkoutRecoveriesPvNet,
    ] {
        figures.push((total.name().into(), Box::new(move |o| o.get(total))));
    }
    for month in [1, 3, 6, 12, 24, 36] {
        for state in 0..t.n_states {
            figures.push((
                format!("loans in state {state} at month {month}"),
                Box::new(move |o| o.timeline[t.loans(month, state)]),
            ));
            figures.push((
                format!("balance in state {state} at month {month}"),
                Box::new(move |o| o.timeline[t.balance(month, state)]),
            ));
        }
    }
    let (mut compared, mut worst_mean, mut worst_sd) =
        (0, (0.0f64, String::new()), (0.0f64, String::new()));
    for (name, f) in &figures {
        let (ma, sa) = stats(&loans.paths, f);
        let (mb, sb) = stats(&counts.paths, f);
        if !material(name, ma, mb) {
            continue;
        }
        if sa == 0.0 && sb == 0.0 {
            assert!(
                (ma - mb).abs() <= 1e-6 * ma.abs().max(1.0),
                "{name}: {ma} vs {mb}"
            );
            continue;
        }
        let z = (ma - mb) / ((sa * sa + sb * sb) / n).sqrt();
        assert!(
            z.abs() <= 4.0,
            "{name}: loan mode {ma:.2} (sd {sa:.2}), count mode {mb:.2} (sd {sb:.2}), z = {z:.2}"
        );
        if z.abs() > worst_mean.0 {
            worst_mean = (z.abs(), name.clone());
        }
        if sa > 0.0 && sb > 0.0 {
            let z_sd = (sb / sa).ln() / (1.0 / (n - 1.0)).sqrt();
            assert!(
                z_sd.abs() <= 4.0,
                "{name}: sd {sa:.3} in loan mode, {sb:.3} in count mode (z = {z_sd:.2}; means {ma:.1}, {mb:.1})"
            );
            if z_sd.abs() > worst_sd.0 {
                worst_sd = (z_sd.abs(), name.clone());
            }
        }
        compared += 1;
    }
    assert!(compared > 60, "compared {compared} figures");
    eprintln!(
        "{compared} figures; largest |z| of a mean {:.2} ({}), of an sd {:.2} ({})",
        worst_mean.0, worst_mean.1, worst_sd.0, worst_sd.1
    );
}

#[test]
fn count_mode_agrees_with_loan_mode_on_the_full_model() {
    assert_modes_agree(&full_model(""));
}

#[test]
fn count_mode_agrees_with_loan_mode_under_a_monthly_factor() {
    assert_modes_agree(&full_model(
        "[systematic]\nfactor = \"monthly\"\npersistence = 0.8\nrecovery_correlation = 0.1\n",
    ));
}

#[test]
fn count_mode_is_identical_for_any_thread_count_and_conserves_money() {
    let s = full_model("");
    let book = cells(&book::load(&s).expect("book"));
    let one = run_as(&s, &book, Mode::Count, 1);
    let two = run_as(&s, &book, Mode::Count, 2);
    for (a, b) in one.paths.iter().zip(&two.paths) {
        assert_eq!(a.totals, b.totals);
        assert_eq!(a.timeline, b.timeline);
        assert_eq!(a.recovery_groups, b.recovery_groups);
        // Every unit of money ends repaid, recovered, sold, written off or outstanding.
        let scale = a.get(Total::OriginalBalance);
        assert!(
            a.conservation_residual().abs() <= 1e-9 * scale,
            "residual {}",
            a.conservation_residual()
        );
    }
}
