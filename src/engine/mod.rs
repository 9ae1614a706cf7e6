//! The Monte Carlo engine: every path of the whole book, loan by loan, in parallel. No IO.
//!
//! Paths run in parallel on a rayon pool; each path walks every loan through the horizon
//! ([`loan::simulate_loan`]) and accumulates into its own [`PathOutcome`]. Outcomes come back
//! in path order whatever the thread count, and every loan's draws come from its own stream
//! keyed by `(seed, path, loan)` ([`rng`]), so results are identical for any number of threads.
//! Memory is one outcome per path (totals plus a months x states timeline), never
//! paths x loans x months.

pub mod loan;
pub mod rng;
pub mod tables;

use rayon::prelude::*;

use crate::book::LoanBook;
use crate::metrics::{PathOutcome, TimelineLayout};
use crate::model::{ActionError, Model};
use crate::scenario::Simulation;
use loan::{PathContext, PathScratch};

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Actions(#[from] ActionError),
    #[error("cannot start {threads} worker threads: {message}")]
    Threads { threads: usize, message: String },
}

/// What a run produced, before statistics.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub layout: TimelineLayout,
    /// One per path, in path order.
    pub paths: Vec<PathOutcome>,
    pub threads: usize,
}

/// Runs `simulation.paths` paths of `book` under `model`. `threads` overrides the scenario's
/// setting; `progress` is called with the number of paths finished (from worker threads).
pub fn run(
    simulation: &Simulation,
    model: &Model,
    book: &LoanBook,
    threads: Option<usize>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<RunOutput, EngineError> {
    let tables = tables::Tables::new(model)?;
    let cx = PathContext::new(
        model,
        book,
        tables,
        simulation.seed,
        simulation.horizon_months,
    );
    let threads = threads
        .or(simulation.threads)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| EngineError::Threads {
            threads,
            message: e.to_string(),
        })?;
    let done = std::sync::atomic::AtomicU64::new(0);
    let paths = pool.install(|| {
        (0..simulation.paths)
            .into_par_iter()
            .map_init(
                || PathScratch::new(cx.layout),
                |scratch, path| {
                    let outcome = simulate_path(&cx, path, scratch);
                    let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    progress(n);
                    outcome
                },
            )
            .collect()
    });
    Ok(RunOutput {
        layout: cx.layout,
        paths,
        threads,
    })
}

/// One path: every loan, in book order.
pub fn simulate_path(cx: &PathContext<'_>, path: u64, scratch: &mut PathScratch) -> PathOutcome {
    let mut out = PathOutcome::new(cx.layout);
    for loan in 0..cx.n_loans() {
        loan::simulate_loan(cx, path, loan, &mut out, scratch);
    }
    scratch.finish(cx.layout, &mut out);
    out
}
