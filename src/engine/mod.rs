//! The Monte Carlo engine: every path of the whole book, loan by loan, in parallel. No IO.
//!
//! Paths run in parallel on a rayon pool; each path walks every loan through the horizon
//! ([`loan::simulate_loan`]) and accumulates into its own [`PathOutcome`]. Outcomes come back
//! in path order whatever the thread count, and every loan's draws come from its own stream
//! keyed by `(seed, path, loan)` ([`crate::rng`]), so results are identical for any number of threads.
//! Memory is one outcome per path (totals, a months x states timeline and per-group arrays),
//! never paths x loans x months.
//!
//! A disposition study values hold, agency and sale against in-house collection without a
//! sale, so when the scenario also sells debt the study runs as a second pass with the sale
//! switched off; the passes share random numbers loan by loan.

pub mod count;
pub mod loan;
pub mod outcome;
pub mod tables;

pub use outcome::{
    DispositionField, Flow, GroupField, OutcomeLayout, PathOutcome, RECOVERY_RATE_BINS,
    TimelineLayout, Total, WORKOUT_CAP_MONTHS,
};

use rayon::prelude::*;

use crate::book::LoanBook;
use crate::model::systematic::StressPath;
use crate::model::{ActionError, Model};
use crate::scenario::{Mode, Simulation};
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
    pub layout: OutcomeLayout,
    /// One per path, in path order.
    pub paths: Vec<PathOutcome>,
    /// The disposition study's pass, when it needed one of its own (the scenario sells debt);
    /// `None` when the study rode along in `paths` or there is no study.
    pub study_paths: Option<Vec<PathOutcome>>,
    /// Every scenario of a stress set, in the scenario's order, on common random numbers
    /// (`paths` is a copy of the first); empty without `[[stress]]`.
    pub stress_runs: Vec<StressRun>,
    pub threads: usize,
}

/// One scenario of a stress set.
#[derive(Debug, Clone)]
pub struct StressRun {
    pub stress: StressPath,
    pub paths: Vec<PathOutcome>,
}

impl RunOutput {
    /// Every pass's importance weights through [`normalise_weights`], once the run's paths are
    /// all there (a stress set's main pass is its first scenario's, so is copied again).
    pub fn normalise_weights(&mut self) {
        normalise_weights(&mut self.paths);
        if let Some(study) = &mut self.study_paths {
            normalise_weights(study);
        }
        for run in &mut self.stress_runs {
            normalise_weights(&mut run.paths);
        }
        if let Some(first) = self.stress_runs.first() {
            self.paths.clone_from(&first.paths);
        }
    }

    /// The outcomes that carry the disposition study.
    pub fn study_outcomes(&self) -> &[PathOutcome] {
        self.study_paths.as_deref().unwrap_or(&self.paths)
    }
}

/// Number of passes a run of `model` makes (for progress: paths x passes).
pub fn passes(model: &Model) -> u64 {
    let study = u64::from(model.disposition.is_some() && model.debt_sale.is_some());
    model.stress.len().max(1) as u64 + study
}

/// Bytes a run of `model` on `book` holds at its peak beyond the program itself: every array
/// of a [`PathOutcome`] (timeline, write-offs by segment and by vintage, recovery groups, study
/// values) with its allocation overhead, for every path of every pass, and with a stress set
/// the main run's copy of the first scenario's paths; plus what summarising and writing cost
/// a path. An upper bound: the study's arrays are counted on every pass.
pub fn outcome_bytes(simulation: &Simulation, model: &Model, book: &LoanBook) -> f64 {
    let study = model.disposition.as_ref();
    let n_points = study.map_or(0, |d| d.points.len());
    let buyer_months = study
        .and_then(|d| d.buyer.as_ref())
        .map_or(0, |b| b.curve.len());
    let layout = loan::outcome_layout(
        model,
        book,
        simulation.horizon_months,
        n_points,
        buyer_months,
    );
    let sets = passes(model) + u64::from(!model.stress.is_empty());
    let held = layout.bytes_per_path() + OUTCOME_ALLOCATIONS * ALLOCATION_OVERHEAD;
    (held as f64 * sets as f64 + SUMMARY_BYTES_PER_PATH) * simulation.paths as f64
}

/// Heap allocations of a [`PathOutcome`] (its vectors) and the allocator's bookkeeping of each
/// (glibc: an 8-byte header, sizes rounded up to 16).
const OUTCOME_ALLOCATIONS: usize = 9;
const ALLOCATION_OVERHEAD: usize = 16;

/// What a path costs while the outcomes are summarised and written, beyond its outcome: the
/// figures' per-path value vectors and their sorted copies, the paths and factor tables as
/// frames, the CSV and Parquet buffers. Measured as the slope of the peak resident set between
/// 40,000 and 80,000 paths of one loan over 24 months: 8,600 to 8,750 bytes a path over four
/// runs (result format 3), of which the outcome is 8,320 (9,750 when the report layer still
/// copied tables); `tests/faults.rs` checks the estimate against that slope.
const SUMMARY_BYTES_PER_PATH: f64 = 700.0;

/// Runs `simulation.paths` paths of `book` under `model`. `threads` overrides the scenario's
/// setting; `progress` is called with the number of paths finished over all passes.
pub fn run(
    simulation: &Simulation,
    model: &Model,
    book: &LoanBook,
    threads: Option<usize>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<RunOutput, EngineError> {
    let mut output = run_paths(
        simulation,
        model,
        book,
        0..simulation.paths,
        threads,
        progress,
    )?;
    output.normalise_weights();
    Ok(output)
}

/// Runs the paths `range` of a run (a shard: path `i` is the same path whatever the range, as
/// its random numbers are keyed by its number). Importance weights are left as the paths
/// produced them: [`RunOutput::normalise_weights`] needs every path of the run.
pub fn run_paths(
    simulation: &Simulation,
    model: &Model,
    book: &LoanBook,
    range: std::ops::Range<u64>,
    threads: Option<usize>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<RunOutput, EngineError> {
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
    let separate_study = model.disposition.is_some() && model.debt_sale.is_some();
    let mut stress_runs = Vec::new();
    for stress in &model.stress {
        let (_, paths) = pass(
            simulation,
            model,
            book,
            range.clone(),
            false,
            Some(stress),
            &pool,
            &done,
            progress,
        )?;
        stress_runs.push(StressRun {
            stress: stress.clone(),
            paths,
        });
    }
    let main = match stress_runs.first() {
        Some(first) => (
            loan::outcome_layout(model, book, simulation.horizon_months, 0, 0),
            first.paths.clone(),
        ),
        None => pass(
            simulation,
            model,
            book,
            range.clone(),
            !separate_study,
            None,
            &pool,
            &done,
            progress,
        )?,
    };
    let study_paths = if separate_study {
        let mut hold = model.clone();
        hold.debt_sale = None;
        Some(
            pass(
                simulation, &hold, book, range, true, None, &pool, &done, progress,
            )?
            .1,
        )
    } else {
        None
    };
    Ok(RunOutput {
        layout: main.0,
        paths: main.1,
        study_paths,
        stress_runs,
        threads,
    })
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call site each, every argument distinct"
)]
fn pass(
    simulation: &Simulation,
    model: &Model,
    book: &LoanBook,
    range: std::ops::Range<u64>,
    study: bool,
    stress: Option<&StressPath>,
    pool: &rayon::ThreadPool,
    done: &std::sync::atomic::AtomicU64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(OutcomeLayout, Vec<PathOutcome>), EngineError> {
    let tables = tables::Tables::new(model)?;
    let cx = PathContext::new(
        model,
        book,
        tables,
        simulation.seed,
        simulation.horizon_months,
        study,
        stress,
    );
    let count_mode = simulation.mode == Mode::Count;
    let paths = pool.install(|| {
        range
            .into_par_iter()
            .map_init(
                || (PathScratch::new(&cx), count::CountScratch::new(&cx)),
                |(scratch, cells), path| {
                    let outcome = if count_mode {
                        count::simulate_path(&cx, path, scratch, cells)
                    } else {
                        simulate_path(&cx, path, scratch)
                    };
                    let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    progress(n);
                    outcome
                },
            )
            .collect()
    });
    Ok((cx.layout, paths))
}

/// Largest |log likelihood ratio| for which a weight and its square are normal doubles.
const PLAIN_LOG_WEIGHT: f64 = 300.0;

/// Importance weights computed in log space: when any path's likelihood ratio (or its square,
/// in the effective sample size) would under- or overflow a double, every weight becomes
/// `exp(log_weight - max)`, so the heaviest path weighs 1 and no sum is 0 or infinite. Every
/// figure is self-normalised (divided by the sum of the weights), so a common factor changes
/// nothing; within the plain range the ratios are kept as they are (the same bytes as before).
pub fn normalise_weights(paths: &mut [PathOutcome]) {
    let (min, max) = paths.iter().fold((0.0_f64, 0.0_f64), |(lo, hi), p| {
        (lo.min(p.log_weight), hi.max(p.log_weight))
    });
    if min >= -PLAIN_LOG_WEIGHT && max <= PLAIN_LOG_WEIGHT {
        return;
    }
    let max = paths
        .iter()
        .map(|p| p.log_weight)
        .fold(f64::NEG_INFINITY, f64::max);
    for p in paths {
        p.weight = (p.log_weight - max).exp();
    }
}

/// One path: every loan, in book order.
pub fn simulate_path(cx: &PathContext<'_>, path: u64, scratch: &mut PathScratch) -> PathOutcome {
    let mut out = PathOutcome::new(cx.layout);
    scratch.prepare_path(cx, path, &mut out);
    let mut key = 0;
    for (loan, &count) in cx.book.count.iter().enumerate() {
        // A cell of `count` identical loans: each its own loan with its own streams.
        for _ in 0..count {
            loan::simulate_loan(cx, path, loan, key, &mut out, scratch);
            key += 1;
        }
    }
    scratch.finish(cx.layout, &mut out);
    out
}
