//! Engine throughput, with divan (criterion's plotting clashes with the `ab_glyph` feature of
//! plotters that the charts need). Run with `cargo bench --bench engine`; `benches/run.sh`
//! runs it beside the numpy peer and records the results in `benches/README.md`.
//!
//! Every figure is per nominal loan-month (paths x loans x months of the horizon), the unit
//! the README and the issue use. Both stop drawing for a loan once it can no longer change,
//! but they do not stop at the same time: the engine ends an instalment loan at maturity
//! (paid off by its last instalment), while the kernel has no term and runs a loan until the
//! matrix absorbs it, so on workload M it draws for roughly twice as many loan-months.
//!
//! - `full_model_s`: workload S (`benches/workload_s.toml`: actions, money rules, recovery,
//!   debt sale, monthly systematic factor) for a few paths, on every core;
//! - `matrix_only_m`: workload M (`benches/workload_m_s.toml`: one matrix, balances and
//!   scheduled payments) through the same engine;
//! - `kernel_m`: the minimal loop: the engine's per-loan stream set-up, then one 32-bit
//!   uniform, one row lookup, a state and balance update per loan-month, stopping at
//!   absorption, on every core; nothing else;
//! - `kernel_m_one_thread`: the same on one thread, for the scaling figure.

use std::path::Path;

use arrears::engine::tables::Tables;
use arrears::model::StateKind;
use arrears::rng::{Stream, StreamFamily, stream_in};
use arrears::scenario::Scenario;
use arrears::{book, engine, scenario};
use divan::counter::ItemsCount;
use rand::Rng;
use rayon::prelude::*;

const PATHS: u64 = 8;

fn main() {
    divan::main();
}

fn load(file: &str) -> (Scenario, book::LoanBook) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut scenario = scenario::load(&root.join(file)).expect("workload is valid");
    scenario.simulation.paths = PATHS;
    let book = book::load(&scenario).expect("book");
    (scenario, book)
}

fn loan_months(scenario: &Scenario, book: &book::LoanBook) -> u64 {
    PATHS * book.len() as u64 * u64::from(scenario.simulation.horizon_months)
}

#[divan::bench(sample_count = 5)]
fn full_model_s(bencher: divan::Bencher) {
    let (scenario, book) = load("benches/workload_s.toml");
    bencher
        .counter(ItemsCount::new(loan_months(&scenario, &book)))
        .bench(|| {
            engine::run(&scenario.simulation, &scenario.model, &book, None, &|_| {}).expect("run")
        });
}

#[divan::bench(sample_count = 5)]
fn matrix_only_m(bencher: divan::Bencher) {
    let (scenario, book) = load("benches/workload_m_s.toml");
    bencher
        .counter(ItemsCount::new(loan_months(&scenario, &book)))
        .bench(|| {
            engine::run(&scenario.simulation, &scenario.model, &book, None, &|_| {}).expect("run")
        });
}

/// The minimal loan-month loop over one path.
fn kernel_path(
    scenario: &Scenario,
    book: &book::LoanBook,
    tables: &Tables,
    path: u64,
) -> (Vec<u64>, f64) {
    let horizon = scenario.simulation.horizon_months;
    let mut occupancy = vec![0u64; scenario.model.space.len()];
    let mut balance_sum = 0.0;
    // The engine's per-loan set-up: the path's part of the key mixed once, one stream a loan.
    let family = StreamFamily::new(1, Stream::LoanMonths, path);
    for loan in 0..book.len() {
        let mut rng = stream_in(&family, loan as u64);
        let seg = &tables.segments[book.segment[loan] as usize];
        let mut state = book.state[loan];
        let mut balance = book.balance[loan];
        for _ in 0..horizon {
            let u = (rng.next_u64() >> 32) as u32;
            state = seg.row(0, state).sample(u);
            balance *= 0.97;
            occupancy[state as usize] += 1;
            if !matches!(
                tables.kinds[state as usize],
                StateKind::Current | StateKind::Delinquent { .. }
            ) {
                break;
            }
        }
        balance_sum += balance;
    }
    (occupancy, balance_sum)
}

#[divan::bench(sample_count = 5)]
fn kernel_m(bencher: divan::Bencher) {
    let (scenario, book) = load("benches/workload_m_s.toml");
    let tables = Tables::new(&scenario.model).expect("tables");
    bencher
        .counter(ItemsCount::new(loan_months(&scenario, &book)))
        .bench(|| {
            let out: Vec<_> = (0..PATHS)
                .into_par_iter()
                .map(|p| kernel_path(&scenario, &book, &tables, p))
                .collect();
            divan::black_box(out)
        });
}

#[divan::bench(sample_count = 5)]
fn kernel_m_one_thread(bencher: divan::Bencher) {
    let (scenario, book) = load("benches/workload_m_s.toml");
    let tables = Tables::new(&scenario.model).expect("tables");
    bencher
        .counter(ItemsCount::new(loan_months(&scenario, &book)))
        .bench(|| {
            let out: Vec<_> = (0..PATHS)
                .map(|p| kernel_path(&scenario, &book, &tables, p))
                .collect();
            divan::black_box(out)
        });
}
