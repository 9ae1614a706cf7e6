//! Engine throughput, with divan (criterion's plotting clashes with the `ab_glyph` feature of
//! plotters that the charts need).
//!
//! - `baseline_paths`: the full model on `scenarios/baseline.toml` (100,000 loans, 36 months,
//!   actions, partial payments, recovery and sale) for a few paths; divan reports time per
//!   iteration and loan-months per second (counting every loan-month of the horizon, including
//!   months after a loan has settled).
//! - `sampling_kernel`: the floor: one 32-bit uniform, one row lookup and a state update per
//!   loan-month, nothing else, on one thread for one path, every month of every loan.
//!
//! The two are not yet like for like: the engine runs on every core and stops drawing for a
//! loan once it has settled (paid off, sold, collection over), while the kernel runs every
//! month on one thread. A like-for-like ceiling and a numpy peer are the performance issue's.
//!
//! Run with `cargo bench --bench engine`.

use std::path::Path;

use arrears::engine::rng::{Stream, stream};
use arrears::engine::tables::Tables;
use arrears::{book, engine, scenario};
use divan::counter::ItemsCount;
use rand::Rng;

const PATHS: u64 = 8;

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 5)]
fn baseline_paths(bencher: divan::Bencher) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut scenario =
        scenario::load(&root.join("scenarios/baseline.toml")).expect("baseline is valid");
    scenario.simulation.paths = PATHS;
    let book = book::load(&scenario).expect("book");
    let loan_months = PATHS * book.len() as u64 * u64::from(scenario.simulation.horizon_months);
    bencher.counter(ItemsCount::new(loan_months)).bench(|| {
        engine::run(&scenario.simulation, &scenario.model, &book, None, &|_| {}).expect("run")
    });
}

/// The same with a monthly systematic factor (AR(1), Basel correlations): the conditioned
/// tables are rebuilt once per path and month, so the loan loop should barely notice.
#[divan::bench(sample_count = 5)]
fn baseline_paths_with_factor(bencher: divan::Bencher) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut scenario =
        scenario::load(&root.join("scenarios/baseline.toml")).expect("baseline is valid");
    scenario.simulation.paths = PATHS;
    scenario.model.systematic = Some(arrears::model::systematic::Systematic {
        dynamics: arrears::model::systematic::FactorDynamics::Monthly { persistence: 0.9 },
        asset_correlation: vec![0.05; scenario.model.segments.len()],
        recovery_correlation: 0.0,
        importance_shift: None,
    });
    let book = book::load(&scenario).expect("book");
    let loan_months = PATHS * book.len() as u64 * u64::from(scenario.simulation.horizon_months);
    bencher.counter(ItemsCount::new(loan_months)).bench(|| {
        engine::run(&scenario.simulation, &scenario.model, &book, None, &|_| {}).expect("run")
    });
}

#[divan::bench(sample_count = 5)]
fn sampling_kernel(bencher: divan::Bencher) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenario =
        scenario::load(&root.join("scenarios/baseline.toml")).expect("baseline is valid");
    let book = book::load(&scenario).expect("book");
    let tables = Tables::new(&scenario.model).expect("tables");
    let horizon = scenario.simulation.horizon_months;
    let loan_months = book.len() as u64 * u64::from(horizon);
    bencher.counter(ItemsCount::new(loan_months)).bench(|| {
        let mut occupancy = vec![0u64; scenario.model.space.len()];
        let mut balance_sum = 0.0;
        for loan in 0..book.len() {
            let mut rng = stream(1, Stream::LoanMonths, 0, loan as u64);
            let seg = &tables.segments[book.segment[loan] as usize];
            let mut state = book.state[loan];
            let mut balance = book.balance[loan];
            for _ in 0..horizon {
                let u = (rng.next_u64() >> 32) as u32;
                state = seg.row(0, state).sample(u);
                balance *= 0.97;
                occupancy[state as usize] += 1;
            }
            balance_sum += balance;
        }
        divan::black_box((occupancy, balance_sum))
    });
}
