//! Estimates from the cleaned panel: monthly transition matrices per segment (cohort or
//! duration method) with Dirichlet intervals and a documented fallback for sparse rows,
//! month-on-book bands, tests of whether one matrix is enough, observed against fitted state
//! shares, the recovery curve after charge-off, charge-off timing and the starting book.
//!
//! Cohort method: a move `i -> j` is counted for every pair of a loan's rows in consecutive
//! months with the loan on book in `i` at the first; the estimate is `n_ij / n_i`. The
//! posterior of a row is Dirichlet(`n_ij + a_ij`) with `a_ij = 1/2` on the moves seen anywhere
//! in the data for that row (Jeffreys-like) and 0 elsewhere (moves never seen are taken as
//! impossible); intervals are the posterior's Beta marginals. A row with fewer than
//! `min_loans` loans at risk is sparse: with `fallback = "pool"` its prior becomes `min_loans`
//! pseudo-loans spread as the row pooled over segments, and its estimate the posterior mean.

use super::CalibrateError;
use super::mapping::{Fallback, Mapping, Method, Start};
use super::panel::{Panel, QualityItem};
use super::special::{beta_quantile, chi_square_sf, expm, solve};
use crate::model::{StateId, StateSpace};
use crate::rng::{Stream, stream};

/// Prior weight per possible move of a row with enough data.
pub const JEFFREYS: f64 = 0.5;

/// Everything calibration found, ready to be written as a scenario and a report.
#[derive(Debug, Clone)]
pub struct Calibration {
    pub mapping: Mapping,
    pub data: DataSummary,
    pub quality: Vec<QualityItem>,
    pub segments: Vec<SegmentEstimate>,
    pub tests: Vec<HomogeneityTest>,
    /// Cohort estimates by calendar block (the time-varying view the homogeneity test
    /// compares), one entry per segment, block, from-state and destination with moves.
    pub calendar: Vec<CalendarCell>,
    /// Observed against fitted state shares of the loans on book in the first month.
    pub shares: Vec<ShareRow>,
    pub recovery: Option<RecoveryEstimate>,
    pub charge_off_timing: Option<ChargeOffTiming>,
    pub book: Vec<StartingSegment>,
    pub warnings: Vec<String>,
}

/// Facts about the history that comments and the report cite.
#[derive(Debug, Clone)]
pub struct DataSummary {
    pub path: std::path::PathBuf,
    pub sha256: String,
    pub rows_read: u64,
    pub rows_used: u64,
    pub loans: u64,
    pub first_month: String,
    pub last_month: String,
    pub months: u32,
    /// Month labels from the first to the last, for timelines.
    pub month_labels: Vec<String>,
    /// The month the written scenario's book is taken from.
    pub start_month: String,
}

#[derive(Debug, Clone)]
pub struct SegmentEstimate {
    pub name: String,
    /// `[0]` holds every month on book outside the bands; then one per band.
    pub matrices: Vec<MatrixEstimate>,
}

#[derive(Debug, Clone)]
pub struct MatrixEstimate {
    /// `None` for the base matrix.
    pub months_on_book: Option<(u32, u32)>,
    /// One per on-book state, in state order.
    pub rows: Vec<RowEstimate>,
}

/// Where a row's numbers come from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RowSource {
    /// Its own data.
    Data,
    /// Sparse: own data shrunk toward the row pooled over segments (posterior mean).
    Pooled,
    /// No data here and none pooled: every loan rolls to the next bucket (or is charged off).
    NoData,
    /// A month-on-book band with no data for this row: the base matrix's row applies.
    Base,
}

#[derive(Debug, Clone)]
pub struct RowEstimate {
    pub from: StateId,
    /// Loans at risk (cohort) or months of exposure (duration).
    pub at_risk: f64,
    /// Observed moves to each state.
    pub counts: Vec<f64>,
    /// The estimate; sums to one.
    pub probability: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    /// Dirichlet parameters of the row's posterior; all zero when the row is fixed.
    pub posterior: Vec<f64>,
    pub source: RowSource,
}

/// A likelihood-ratio (G) test of one matrix against one per group.
#[derive(Debug, Clone, Default)]
pub struct HomogeneityTest {
    pub segment: String,
    /// What the groups are: calendar blocks or month-on-book bands.
    pub grouping: String,
    pub groups: usize,
    pub statistic: f64,
    pub df: f64,
    pub p_value: f64,
}

/// One cell of a calendar block's cohort matrix.
#[derive(Debug, Clone, Default)]
pub struct CalendarCell {
    pub segment: String,
    pub first_month: String,
    pub last_month: String,
    pub from: String,
    pub to: String,
    pub count: f64,
    pub at_risk: f64,
    pub probability: f64,
}

/// Share of the first month's loans in a state, observed and fitted, `months` after the start.
#[derive(Debug, Clone, Default)]
pub struct ShareRow {
    /// A segment's name or `all`.
    pub segment: String,
    pub month: u32,
    pub month_label: String,
    pub state: String,
    pub observed: f64,
    /// Binomial standard error of `observed`.
    pub observed_se: f64,
    pub fitted: f64,
    /// Loans whose state is known that month.
    pub loans_known: u64,
}

#[derive(Debug, Clone)]
pub struct RecoveryEstimate {
    /// `curve[k]`: share of the charged-off balance recovered in month `k + 1` after charge-off.
    pub curve: Vec<f64>,
    /// Charged-off balance observed at each debt age (the curve's denominators).
    pub exposure: Vec<f64>,
    pub accounts: Vec<u64>,
    pub payment_probability: f64,
    /// Accounts observed over the whole curve (the payer share's denominator).
    pub accounts_full: u64,
    pub charged_off_accounts: u64,
    pub charged_off_balance: f64,
    pub recovered: f64,
}

#[derive(Debug, Clone)]
pub struct ChargeOffTiming {
    /// `histogram[m]`: charge-offs `m` months after the first missed payment.
    pub histogram: Vec<u64>,
    pub mean: f64,
    pub median: f64,
    /// What the fitted base matrices imply, per segment (months from entering the first bucket
    /// to charge-off, given charge-off).
    pub implied_mean: Vec<(String, Option<f64>)>,
}

/// One segment of the book written into the scenario.
#[derive(Debug, Clone)]
pub struct StartingSegment {
    pub segment: String,
    pub loans: u64,
    pub balance_mean: f64,
    pub balance_sd: f64,
    pub months_on_book: (u32, u32),
    /// Share of loans in each on-book state.
    pub states: Vec<(StateId, f64)>,
}

/// Counts of moves: `[segment][matrix][from * n + to]`.
struct Counts {
    n: usize,
    cells: Vec<Vec<Vec<f64>>>,
}

impl Counts {
    fn new(segments: usize, matrices: usize, n: usize) -> Counts {
        Counts {
            n,
            cells: vec![vec![vec![0.0; n * n]; matrices]; segments],
        }
    }
}

pub fn estimate(mapping: Mapping, panel: Panel) -> Result<Calibration, CalibrateError> {
    let space = &mapping.space;
    let n = space.len();
    let options = &mapping.estimate;
    let mut problems = Vec::new();
    if !options.months_on_book.is_empty() && panel.loan_origination.is_none() {
        problems.push(format!(
            "[estimate] months_on_book bands need each loan's origination: add an `{}` column (or name it in [panel.columns])",
            mapping.column(super::mapping::Role::Origination).0
        ));
    }
    for seg in &panel.segments {
        if mapping.scenario.apr.get(seg).is_none() {
            problems.push(format!(
                "segment `{seg}` has no APR: add `{seg} = ...` to `[scenario] apr`"
            ));
        }
        if mapping.scenario.term_months.get(seg).is_none() {
            problems.push(format!(
                "segment `{seg}` has no term: add `{seg} = ...` to `[scenario] term_months`"
            ));
        }
    }
    if panel.balance.is_none() && mapping.scenario.balance.is_none() {
        problems.push("the panel has no balance column: add one, or give every loan's balance as `[scenario] balance`".to_string());
    }
    if !problems.is_empty() {
        return Err(CalibrateError::Inconsistent {
            file: mapping.file.clone(),
            problems,
        });
    }
    let n_seg = panel.segments.len();
    let n_mat = 1 + options.months_on_book.len();
    let block = options.calendar_block_months as i32;
    let n_blocks = ((panel.last_month - panel.first_month) / block + 1) as usize;
    let mut warnings = Vec::new();

    let mut calendar = Vec::new();
    let (segments, tests) = match options.method {
        Method::Cohort => {
            let mut by_matrix = Counts::new(n_seg, n_mat, n);
            let mut by_block = Counts::new(n_seg, n_blocks, n);
            count_moves(&mapping, &panel, &mut by_matrix, &mut by_block);
            let segments = cohort_estimates(&mapping, &panel, &by_matrix, &mut warnings);
            calendar = calendar_cells(&panel, space, &by_block, block);
            let mut tests = Vec::new();
            for (s, name) in panel.segments.iter().enumerate() {
                if n_blocks > 1 {
                    tests.push(homogeneity(
                        name,
                        format!("calendar blocks of {block} months"),
                        &by_block.cells[s],
                        n,
                        space,
                    ));
                }
                if n_mat > 1 {
                    tests.push(homogeneity(
                        name,
                        "month-on-book bands".to_string(),
                        &by_matrix.cells[s],
                        n,
                        space,
                    ));
                }
            }
            (segments, tests)
        }
        Method::Duration => (
            duration_estimates(&mapping, &panel, &mut warnings),
            Vec::new(),
        ),
    };
    let shares = shares(&mapping, &panel, &segments);
    let recovery = recovery(&mapping, &panel, &mut warnings);
    let charge_off_timing = charge_off_timing(&mapping, &panel, &segments);
    let start = match mapping.scenario.start {
        Start::LastPeriod => panel.last_month,
        Start::FirstPeriod => panel.first_month,
    };
    let book = starting_book(&mapping, &panel, start);
    if book.iter().all(|b| b.loans == 0) {
        return Err(CalibrateError::Inconsistent {
            file: mapping.file.clone(),
            problems: vec![format!(
                "no loan is on book in month {} to start the scenario from; set `[scenario] start` to the other end of the history",
                panel.month_label(start)
            )],
        });
    }
    let data = DataSummary {
        path: panel.path.clone(),
        sha256: panel.sha256.clone(),
        rows_read: panel.rows_read,
        rows_used: panel.month.len() as u64,
        loans: panel.n_loans() as u64,
        first_month: panel.month_label(panel.first_month),
        last_month: panel.month_label(panel.last_month),
        months: (panel.last_month - panel.first_month + 1) as u32,
        month_labels: (panel.first_month..=panel.last_month)
            .map(|m| panel.month_label(m))
            .collect(),
        start_month: panel.month_label(start),
    };
    let quality = panel.quality.clone();
    Ok(Calibration {
        mapping,
        data,
        quality,
        segments,
        tests,
        calendar,
        shares,
        recovery,
        charge_off_timing,
        book,
        warnings,
    })
}

fn calendar_cells(
    panel: &Panel,
    space: &StateSpace,
    counts: &Counts,
    block: i32,
) -> Vec<CalendarCell> {
    let n = counts.n;
    let mut out = Vec::new();
    for (s, blocks) in counts.cells.iter().enumerate() {
        for (b, c) in blocks.iter().enumerate() {
            let first = panel.first_month + b as i32 * block;
            let last = (first + block - 1).min(panel.last_month);
            for from in space.on_book() {
                let i = from as usize;
                let row = &c[i * n..(i + 1) * n];
                let at_risk: f64 = row.iter().sum();
                for (j, &count) in row.iter().enumerate() {
                    if count > 0.0 {
                        out.push(CalendarCell {
                            segment: panel.segments[s].clone(),
                            first_month: panel.month_label(first),
                            last_month: panel.month_label(last),
                            from: space.name(from).to_string(),
                            to: space.name(j as StateId).to_string(),
                            count,
                            at_risk,
                            probability: count / at_risk,
                        });
                    }
                }
            }
        }
    }
    out
}

/// Index of the matrix for `mob` months on book: 0 outside every band.
fn matrix_for(mapping: &Mapping, mob: Option<i32>) -> usize {
    let Some(mob) = mob else { return 0 };
    mapping
        .estimate
        .months_on_book
        .iter()
        .position(|&(lo, hi)| mob >= lo as i32 && mob <= hi as i32)
        .map_or(0, |i| i + 1)
}

/// Every move between consecutive months while on book, up to the first terminal state.
fn count_moves(mapping: &Mapping, panel: &Panel, by_matrix: &mut Counts, by_block: &mut Counts) {
    let space = &mapping.space;
    let n = by_matrix.n;
    let block = mapping.estimate.calendar_block_months as i32;
    let on_book: Vec<bool> = space.states.iter().map(|s| s.kind.is_on_book()).collect();
    for loan in 0..panel.n_loans() {
        let seg = panel.loan_segment[loan] as usize;
        let origination = panel
            .loan_origination
            .as_ref()
            .map(|o| o[loan])
            .filter(|&o| o != i32::MIN);
        let rows = panel.rows(loan);
        for x in rows.start + 1..rows.end {
            let from = panel.state[x - 1] as usize;
            if !on_book[from] {
                break;
            }
            if panel.month[x] != panel.month[x - 1] + 1 {
                continue;
            }
            let to = panel.state[x] as usize;
            let mob = origination.map(|o| (panel.month[x - 1] - o).max(0));
            by_matrix.cells[seg][matrix_for(mapping, mob)][from * n + to] += 1.0;
            let b = ((panel.month[x - 1] - panel.first_month) / block) as usize;
            by_block.cells[seg][b][from * n + to] += 1.0;
        }
    }
}

fn cohort_estimates(
    mapping: &Mapping,
    panel: &Panel,
    counts: &Counts,
    warnings: &mut Vec<String>,
) -> Vec<SegmentEstimate> {
    let space = &mapping.space;
    let n = counts.n;
    let options = &mapping.estimate;
    let confidence = options.confidence;
    let n_mat = counts.cells.first().map_or(1, Vec::len);
    let mut out: Vec<SegmentEstimate> = panel
        .segments
        .iter()
        .map(|name| SegmentEstimate {
            name: name.clone(),
            matrices: Vec::new(),
        })
        .collect();
    for m in 0..n_mat {
        // Pooled over segments, for the support of each row and the sparse-row prior.
        let mut pooled = vec![0.0; n * n];
        for seg in &counts.cells {
            for (p, c) in pooled.iter_mut().zip(&seg[m]) {
                *p += c;
            }
        }
        for (s, seg_est) in out.iter_mut().enumerate() {
            let c = &counts.cells[s][m];
            let mut rows = Vec::new();
            for from in space.on_book() {
                let i = from as usize;
                if mapping.charge_off_on_entering.contains(&from) {
                    continue;
                }
                let counts_row: Vec<f64> = c[i * n..(i + 1) * n].to_vec();
                let pooled_row = &pooled[i * n..(i + 1) * n];
                let at_risk: f64 = counts_row.iter().sum();
                let pooled_total: f64 = pooled_row.iter().sum();
                // The prior of a sparse row borrows from the other segments only, so its own
                // data is not counted twice.
                let others: Vec<f64> = pooled_row
                    .iter()
                    .zip(&counts_row)
                    .map(|(p, c)| p - c)
                    .collect();
                let others_total = pooled_total - at_risk;
                let band = (m > 0).then(|| options.months_on_book[m - 1]);
                let label = || match band {
                    None => format!("segment `{}`, row `{}`", seg_est.name, space.name(from)),
                    Some((lo, hi)) => format!(
                        "segment `{}`, months on book {lo}-{hi}, row `{}`",
                        seg_est.name,
                        space.name(from)
                    ),
                };
                if pooled_total == 0.0 || (at_risk == 0.0 && options.fallback == Fallback::None) {
                    if m > 0 {
                        rows.push(fixed_row(from, n, counts_row, RowSource::Base, None));
                        continue;
                    }
                    warnings.push(format!(
                        "{}: no loan was ever observed there{}; every loan rolls forward with certainty (edit the row if you know better)",
                        label(),
                        if pooled_total > 0.0 { " in this segment" } else { "" }
                    ));
                    rows.push(fixed_row(
                        from,
                        n,
                        counts_row,
                        RowSource::NoData,
                        Some(roll_forward(mapping, from)),
                    ));
                    continue;
                }
                let sparse = at_risk < options.min_loans as f64;
                let pool = sparse && options.fallback == Fallback::Pool && others_total > 0.0;
                if sparse && m == 0 {
                    warnings.push(format!(
                        "{}: {} loan{} at risk, fewer than min_loans = {}; {}",
                        label(),
                        at_risk,
                        if at_risk == 1.0 { "" } else { "s" },
                        options.min_loans,
                        if pool {
                            format!("shrunk toward the row of the other segments ({others_total} loans) with weight {}", options.min_loans)
                        } else if options.fallback == Fallback::Pool {
                            "no other segment has data to pool with: own data only".to_string()
                        } else {
                            "own data only (fallback = \"none\")".to_string()
                        }
                    ));
                }
                let prior: Vec<f64> = (0..n)
                    .map(|j| {
                        if pooled_row[j] == 0.0 {
                            0.0
                        } else if pool {
                            options.min_loans as f64 * others[j] / others_total
                        } else {
                            JEFFREYS
                        }
                    })
                    .collect();
                let posterior: Vec<f64> =
                    counts_row.iter().zip(&prior).map(|(c, a)| c + a).collect();
                let total: f64 = posterior.iter().sum();
                let probability: Vec<f64> = if pool {
                    posterior.iter().map(|a| a / total).collect()
                } else {
                    counts_row.iter().map(|c| c / at_risk).collect()
                };
                let (lower, upper) = intervals(&posterior, confidence);
                rows.push(RowEstimate {
                    from,
                    at_risk,
                    counts: counts_row,
                    probability,
                    lower,
                    upper,
                    posterior,
                    source: if pool {
                        RowSource::Pooled
                    } else {
                        RowSource::Data
                    },
                });
            }
            seg_est.matrices.push(MatrixEstimate {
                months_on_book: (m > 0).then(|| options.months_on_book[m - 1]),
                rows,
            });
        }
    }
    out
}

/// Equal-tailed intervals of each Dirichlet marginal, Beta(a_j, sum - a_j).
fn intervals(posterior: &[f64], confidence: f64) -> (Vec<f64>, Vec<f64>) {
    let total: f64 = posterior.iter().sum();
    let lo_q = (1.0 - confidence) / 2.0;
    let hi_q = 1.0 - lo_q;
    posterior
        .iter()
        .map(|&a| {
            if a == 0.0 {
                (0.0, 0.0)
            } else {
                (
                    beta_quantile(a, total - a, lo_q),
                    beta_quantile(a, total - a, hi_q),
                )
            }
        })
        .unzip()
}

/// A row with no estimate of its own: `probability` given, or (band rows) left to the base.
fn fixed_row(
    from: StateId,
    n: usize,
    counts: Vec<f64>,
    source: RowSource,
    probability: Option<Vec<f64>>,
) -> RowEstimate {
    let probability = probability.unwrap_or_else(|| vec![0.0; n]);
    RowEstimate {
        from,
        at_risk: counts.iter().sum(),
        counts,
        lower: probability.clone(),
        upper: probability.clone(),
        probability,
        posterior: vec![0.0; n],
        source,
    }
}

/// Certain roll to the next bucket, or to `charged_off` from the last one before charge-off.
fn roll_forward(mapping: &Mapping, from: StateId) -> Vec<f64> {
    let space = &mapping.space;
    let mut row = vec![0.0; space.len()];
    let next = space
        .on_book()
        .find(|&id| space.is_worse(from, id))
        .map(|id| mapping.normalise(id))
        .unwrap_or(space.charged_off());
    row[next as usize] = 1.0;
    row
}

/// G = 2 sum n_gij ln(n_gij / (n_gi p_ij)) over groups `g`, against the pooled matrix.
fn homogeneity(
    segment: &str,
    grouping: String,
    groups: &[Vec<f64>],
    n: usize,
    space: &StateSpace,
) -> HomogeneityTest {
    let (mut statistic, mut df) = (0.0, 0.0);
    let mut used_groups = 0;
    for from in space.on_book() {
        let i = from as usize;
        let mut pooled = vec![0.0; n];
        for g in groups {
            for j in 0..n {
                pooled[j] += g[i * n + j];
            }
        }
        let total: f64 = pooled.iter().sum();
        if total == 0.0 {
            continue;
        }
        let support = pooled.iter().filter(|&&c| c > 0.0).count();
        let mut with_data = 0;
        for g in groups {
            let row = &g[i * n..(i + 1) * n];
            let ng: f64 = row.iter().sum();
            if ng == 0.0 {
                continue;
            }
            with_data += 1;
            for j in 0..n {
                if row[j] > 0.0 {
                    statistic += 2.0 * row[j] * (row[j] / (ng * pooled[j] / total)).ln();
                }
            }
        }
        used_groups = used_groups.max(with_data);
        df += ((with_data.max(1) - 1) * (support.max(1) - 1)) as f64;
    }
    HomogeneityTest {
        segment: segment.to_string(),
        grouping,
        groups: used_groups,
        statistic,
        df,
        p_value: chi_square_sf(statistic, df),
    }
}

/// The duration method: intensities `N_ij / T_i` from time spent in each state (exact status
/// dates), a month's matrix as `exp(Q)`, intervals from Gamma posterior draws of the
/// intensities. The scenario's Dirichlet posterior uses the months of exposure as the row's
/// sample size (an approximation stated in docs/CALIBRATION.md).
fn duration_estimates(
    mapping: &Mapping,
    panel: &Panel,
    warnings: &mut Vec<String>,
) -> Vec<SegmentEstimate> {
    let space = &mapping.space;
    let n = space.len();
    let days = panel
        .status_day
        .as_ref()
        .expect("checked when the panel was read");
    let n_seg = panel.segments.len();
    let mut moves = vec![vec![0.0; n * n]; n_seg];
    let mut exposure = vec![vec![0.0; n]; n_seg];
    const DAYS_PER_MONTH: f64 = 365.25 / 12.0;
    let month_end = |m: i32| -> f64 {
        // Day number of the first day of the month after `m` (months since year 0).
        let (y, mo) = (m.div_euclid(12), m.rem_euclid(12) + 1);
        let (y2, mo2) = if mo == 12 { (y + 1, 1) } else { (y, mo + 1) };
        super::panel::parse_day(&format!("{y2:04}-{mo2:02}-01")).map_or(f64::NAN, f64::from)
    };
    let mut skipped = 0u64;
    for loan in 0..panel.n_loans() {
        let seg = panel.loan_segment[loan] as usize;
        let rows = panel.rows(loan);
        // Spells: (state, entry day); consecutive rows with the same state and entry day are one.
        let mut x = rows.start;
        // Left truncation: time in a state before the loan's first snapshot (or before the
        // snapshot after a gap) is not at risk, since no move out of it could have been seen.
        let mut observed_from = month_end(panel.month[x]);
        while x < rows.end {
            let s = panel.state[x] as usize;
            if !space.kind(s as StateId).is_on_book() {
                break;
            }
            let entered = days[x];
            if entered == i32::MIN {
                skipped += 1;
                x += 1;
                continue;
            }
            let mut y = x + 1;
            while y < rows.end
                && panel.state[y] as usize == s
                && days[y] == entered
                && panel.month[y] == panel.month[y - 1] + 1
            {
                y += 1;
            }
            // Next spell starts at y if contiguous; else the spell is censored at the end of
            // its last month.
            let contiguous =
                y < rows.end && panel.month[y] == panel.month[y - 1] + 1 && days[y] != i32::MIN;
            let end = if contiguous {
                f64::from(days[y])
            } else {
                month_end(panel.month[y - 1])
            };
            let t = ((end - f64::from(entered).max(observed_from)) / DAYS_PER_MONTH).max(0.0);
            exposure[seg][s] += t;
            observed_from = match (contiguous, y < rows.end) {
                (true, _) => f64::NEG_INFINITY,
                (false, true) => month_end(panel.month[y]),
                (false, false) => f64::INFINITY,
            };
            if contiguous {
                let to = panel.state[y] as usize;
                if to != s {
                    moves[seg][s * n + to] += 1.0;
                }
            }
            x = y;
        }
    }
    if skipped > 0 {
        warnings.push(format!(
            "{skipped} on-book rows have no status date and were skipped by the duration method"
        ));
    }
    let mut pooled = vec![0.0; n * n];
    let mut pooled_exposure = vec![0.0; n];
    for s in 0..n_seg {
        for (p, c) in pooled.iter_mut().zip(&moves[s]) {
            *p += c;
        }
        for (p, e) in pooled_exposure.iter_mut().zip(&exposure[s]) {
            *p += e;
        }
    }
    let options = &mapping.estimate;
    let mut out = Vec::new();
    for s in 0..n_seg {
        let name = &panel.segments[s];
        // Generator, with sparse rows shrunk toward the pooled intensities.
        let mut q = vec![0.0; n * n];
        let mut shape = vec![0.0; n * n];
        let mut rate = vec![0.0; n];
        let mut sources = vec![RowSource::Data; n];
        for from in space.on_book() {
            let i = from as usize;
            let own = exposure[s][i];
            let pool = own < options.min_loans as f64
                && options.fallback == Fallback::Pool
                && pooled_exposure[i] > 0.0;
            let prior_t = if pool { options.min_loans as f64 } else { 0.0 };
            rate[i] = own + prior_t;
            if rate[i] == 0.0 {
                sources[i] = RowSource::NoData;
                warnings.push(format!("segment `{name}`, row `{}`: no time observed there; every loan rolls forward with certainty", space.name(from)));
                continue;
            }
            if pool {
                sources[i] = RowSource::Pooled;
                warnings.push(format!("segment `{name}`, row `{}`: {own:.1} months of exposure, fewer than min_loans = {}; shrunk toward the pooled intensities", space.name(from), options.min_loans));
            }
            for j in 0..n {
                if j == i || pooled[i * n + j] == 0.0 {
                    continue;
                }
                let prior_n = if pool {
                    prior_t * pooled[i * n + j] / pooled_exposure[i]
                } else {
                    0.0
                };
                shape[i * n + j] = moves[s][i * n + j] + prior_n;
                q[i * n + j] = shape[i * n + j] / rate[i];
                q[i * n + i] -= q[i * n + j];
            }
        }
        let p = expm(&q, n);
        // Posterior draws of Q: Gamma(shape + 1/2, rate) per intensity.
        let draws = options.posterior_draws as usize;
        let mut samples = vec![Vec::with_capacity(draws); n * n];
        let mut rng = stream(0, Stream::Calibration, s as u64, 0);
        for _ in 0..draws {
            let mut qd = vec![0.0; n * n];
            for i in 0..n {
                if rate[i] == 0.0 {
                    continue;
                }
                for j in 0..n {
                    if j == i || pooled[i * n + j] == 0.0 {
                        continue;
                    }
                    let g = rand_distr::Gamma::new(shape[i * n + j] + JEFFREYS, 1.0 / rate[i])
                        .expect("positive shape and scale");
                    let x: f64 = rand_distr::Distribution::sample(&g, &mut rng);
                    qd[i * n + j] = x;
                    qd[i * n + i] -= x;
                }
            }
            let pd = expm(&qd, n);
            for (k, v) in pd.into_iter().enumerate() {
                samples[k].push(v);
            }
        }
        let lo_q = (1.0 - options.confidence) / 2.0;
        let mut rows = Vec::new();
        for from in space.on_book() {
            let i = from as usize;
            if mapping.charge_off_on_entering.contains(&from) {
                continue;
            }
            let counts: Vec<f64> = moves[s][i * n..(i + 1) * n].to_vec();
            if sources[i] == RowSource::NoData {
                rows.push(fixed_row(
                    from,
                    n,
                    counts,
                    RowSource::NoData,
                    Some(roll_forward(mapping, from)),
                ));
                continue;
            }
            let mut probability: Vec<f64> =
                p[i * n..(i + 1) * n].iter().map(|x| x.max(0.0)).collect();
            // Multi-step moves inside a month can reach trigger buckets: they are charge-offs.
            for &t in &mapping.charge_off_on_entering {
                let v = std::mem::take(&mut probability[t as usize]);
                probability[space.charged_off() as usize] += v;
            }
            let sum: f64 = probability.iter().sum();
            probability.iter_mut().for_each(|x| *x /= sum);
            let (mut lower, mut upper) = (vec![0.0; n], vec![0.0; n]);
            for j in 0..n {
                let v = &mut samples[i * n + j];
                v.sort_by(f64::total_cmp);
                lower[j] = crate::metrics::estimate::quantile(v, lo_q);
                upper[j] = crate::metrics::estimate::quantile(v, 1.0 - lo_q);
            }
            let posterior = probability.iter().map(|x| x * rate[i]).collect();
            rows.push(RowEstimate {
                from,
                at_risk: exposure[s][i],
                counts,
                probability,
                lower,
                upper,
                posterior,
                source: sources[i],
            });
        }
        out.push(SegmentEstimate {
            name: name.clone(),
            matrices: vec![MatrixEstimate {
                months_on_book: None,
                rows,
            }],
        });
    }
    out
}

/// The full matrix of a segment for `mob` months on book (bands fall back to the base row).
pub fn full_matrix(space: &StateSpace, seg: &SegmentEstimate, matrix: usize) -> Vec<f64> {
    let n = space.len();
    let mut p = vec![0.0; n * n];
    for id in 0..n {
        if space.kind(id as StateId).is_terminal() {
            p[id * n + id] = 1.0;
        }
    }
    for row in &seg.matrices[0].rows {
        let i = row.from as usize;
        p[i * n..(i + 1) * n].copy_from_slice(&row.probability);
    }
    if matrix > 0 {
        for row in &seg.matrices[matrix].rows {
            if row.source != RowSource::Base {
                let i = row.from as usize;
                p[i * n..(i + 1) * n].copy_from_slice(&row.probability);
            }
        }
    }
    p
}

/// Observed shares of the first month's loans over time, against the fitted matrices applied
/// to the same loans (`pi_t = pi_0 P_1 ... P_t`, month-on-book aware).
fn shares(mapping: &Mapping, panel: &Panel, segments: &[SegmentEstimate]) -> Vec<ShareRow> {
    let space = &mapping.space;
    let n = space.len();
    let months = (panel.last_month - panel.first_month) as usize + 1;
    let n_seg = panel.segments.len();
    let mut observed = vec![vec![vec![0.0; n]; months]; n_seg];
    let mut fitted = vec![vec![vec![0.0; n]; months]; n_seg];
    let mut cohort = vec![0.0; n_seg];
    // Fitted: one distribution per (segment, start state, start month on book).
    let max_band = mapping
        .estimate
        .months_on_book
        .iter()
        .map(|b| b.1)
        .max()
        .map_or(0, |m| m as i32 + 1);
    let mut groups: Vec<Vec<Vec<f64>>> = vec![vec![vec![0.0; n]; max_band as usize + 1]; n_seg];
    for loan in 0..panel.n_loans() {
        let rows = panel.rows(loan);
        if panel.month[rows.start] != panel.first_month
            || !space.kind(panel.state[rows.start]).is_on_book()
        {
            continue;
        }
        let seg = panel.loan_segment[loan] as usize;
        cohort[seg] += 1.0;
        let mob = panel
            .loan_origination
            .as_ref()
            .map(|o| o[loan])
            .filter(|&o| o != i32::MIN)
            .map_or(max_band, |o| (panel.first_month - o).clamp(0, max_band));
        groups[seg][mob as usize][panel.state[rows.start] as usize] += 1.0;
        // Observed: state known at each month while rows continue; terminal states persist.
        let mut x = rows.start;
        let mut closed: Option<StateId> = None;
        for (t, month) in (panel.first_month..=panel.last_month).enumerate() {
            while x < rows.end && panel.month[x] < month {
                x += 1;
            }
            let state = if let Some(c) = closed {
                Some(c)
            } else if x < rows.end && panel.month[x] == month {
                Some(panel.state[x])
            } else {
                None
            };
            if let Some(s) = state {
                observed[seg][t][s as usize] += 1.0;
                if space.kind(s).is_terminal() {
                    closed = Some(s);
                }
            } else if x >= rows.end {
                break;
            }
        }
    }
    for (seg, est) in segments.iter().enumerate() {
        let matrices: Vec<Vec<f64>> = (0..est.matrices.len())
            .map(|m| full_matrix(space, est, m))
            .collect();
        for (mob0, start) in groups[seg].iter().enumerate() {
            let size: f64 = start.iter().sum();
            if size == 0.0 {
                continue;
            }
            let mut pi = start.clone();
            for (t, fitted_t) in fitted[seg].iter_mut().enumerate() {
                for (f, p) in fitted_t.iter_mut().zip(&pi) {
                    *f += p;
                }
                let mob = mob0 as i32 + t as i32;
                let m = matrix_for(
                    mapping,
                    (max_band > 0 || panel.loan_origination.is_some()).then_some(mob),
                );
                let p = &matrices[m.min(matrices.len() - 1)];
                let mut next = vec![0.0; n];
                for i in 0..n {
                    if pi[i] == 0.0 {
                        continue;
                    }
                    for j in 0..n {
                        next[j] += pi[i] * p[i * n + j];
                    }
                }
                pi = next;
            }
        }
    }
    let mut out = Vec::new();
    let mut push = |name: &str, obs: &[Vec<f64>], fit: &[Vec<f64>], size: f64| {
        for t in 0..months {
            let known: f64 = obs[t].iter().sum();
            for s in 0..n {
                let share = if known > 0.0 {
                    obs[t][s] / known
                } else {
                    f64::NAN
                };
                out.push(ShareRow {
                    segment: name.to_string(),
                    month: t as u32,
                    month_label: panel.month_label(panel.first_month + t as i32),
                    state: space.name(s as StateId).to_string(),
                    observed: share,
                    observed_se: if known > 0.0 {
                        (share * (1.0 - share) / known).sqrt()
                    } else {
                        f64::NAN
                    },
                    fitted: if size > 0.0 {
                        fit[t][s] / size
                    } else {
                        f64::NAN
                    },
                    loans_known: known as u64,
                });
            }
        }
    };
    let total: f64 = cohort.iter().sum();
    if n_seg > 1 {
        let mut obs_all = vec![vec![0.0; n]; months];
        let mut fit_all = vec![vec![0.0; n]; months];
        for seg in 0..n_seg {
            for t in 0..months {
                for s in 0..n {
                    obs_all[t][s] += observed[seg][t][s];
                    fit_all[t][s] += fitted[seg][t][s];
                }
            }
        }
        push("all", &obs_all, &fit_all, total);
    }
    for seg in 0..n_seg {
        push(
            &panel.segments[seg],
            &observed[seg],
            &fitted[seg],
            cohort[seg],
        );
    }
    out
}

/// Recoveries after charge-off by debt age, from charged-off accounts followed afterwards.
fn recovery(
    mapping: &Mapping,
    panel: &Panel,
    warnings: &mut Vec<String>,
) -> Option<RecoveryEstimate> {
    let recovered = panel.recovery_amount.as_ref()?;
    let space = &mapping.space;
    let co = space.charged_off();
    let k_max = mapping.estimate.recovery_months as usize;
    let mut amount = vec![0.0; k_max];
    let mut exposure = vec![0.0; k_max];
    let mut accounts = vec![0u64; k_max];
    let (mut n_co, mut balance_co, mut total_rec) = (0u64, 0.0, 0.0);
    // Per account: (balance, months observed after charge-off, recovered in each month).
    let mut per_account: Vec<(f64, usize, bool, Vec<f64>)> = Vec::new();
    let mut no_amount = 0u64;
    for loan in 0..panel.n_loans() {
        let rows = panel.rows(loan);
        let Some(x) = rows.clone().find(|&x| panel.state[x] == co) else {
            continue;
        };
        if x == rows.start {
            continue; // first seen already charged off: debt age unknown
        }
        let a = panel
            .charge_off_amount
            .as_ref()
            .map(|c| c[x])
            .filter(|v| v.is_finite() && *v > 0.0)
            .or_else(|| {
                panel
                    .balance
                    .as_ref()
                    .map(|b| b[x])
                    .filter(|v| v.is_finite() && *v > 0.0)
            })
            .or_else(|| {
                panel
                    .balance
                    .as_ref()
                    .map(|b| b[x - 1])
                    .filter(|v| v.is_finite() && *v > 0.0)
            });
        let Some(a) = a else {
            no_amount += 1;
            continue;
        };
        let t_co = panel.month[x];
        let observed = ((panel.month[rows.end - 1] - t_co) as usize).min(k_max);
        let mut by_age = vec![0.0; k_max];
        for (y, &r) in recovered.iter().enumerate().take(rows.end).skip(x) {
            if !r.is_finite() || r == 0.0 {
                continue;
            }
            let age = ((panel.month[y] - t_co) as usize).max(1);
            if age <= k_max {
                by_age[age - 1] += r;
            }
        }
        n_co += 1;
        balance_co += a;
        let paid = by_age.iter().any(|&r| r > 0.0);
        total_rec += by_age.iter().sum::<f64>();
        per_account.push((a, observed, paid, by_age));
    }
    if n_co == 0 {
        warnings.push("no account is seen charged off after being on book, so there is no recovery curve; the scenario has no [recovery]".to_string());
        return None;
    }
    if no_amount > 0 {
        warnings.push(format!("{no_amount} charged-off accounts have neither a charge-off amount nor a balance and are left out of the recovery curve"));
    }
    for (a, observed, _, by_age) in &per_account {
        for k in 0..*observed {
            exposure[k] += a;
            accounts[k] += 1;
            amount[k] += by_age[k];
        }
    }
    // The curve stops where too few accounts are still observed.
    let min_accounts = mapping.estimate.min_loans.max(1);
    let len = accounts.iter().take_while(|&&c| c >= min_accounts).count();
    if len == 0 {
        warnings.push(format!(
            "fewer than {min_accounts} charged-off accounts are followed for a month after charge-off, so there is no recovery curve"
        ));
        return None;
    }
    let curve: Vec<f64> = (0..len).map(|k| amount[k] / exposure[k]).collect();
    let full: Vec<&(f64, usize, bool, Vec<f64>)> =
        per_account.iter().filter(|p| p.1 >= len).collect();
    let curve_sum: f64 = curve.iter().sum();
    let payment_probability = if full.is_empty() {
        warnings.push("no charged-off account is followed over the whole recovery curve; the payer share counts every account and is biased low".to_string());
        per_account.iter().filter(|p| p.2).count() as f64 / per_account.len() as f64
    } else {
        full.iter().filter(|p| p.2).count() as f64 / full.len() as f64
    };
    Some(RecoveryEstimate {
        payment_probability: payment_probability.max(curve_sum).clamp(1e-6, 1.0),
        accounts_full: full.len() as u64,
        curve,
        exposure: exposure[..len].to_vec(),
        accounts: accounts[..len].to_vec(),
        charged_off_accounts: n_co,
        charged_off_balance: balance_co,
        recovered: total_rec,
    })
}

/// Months from the first missed payment (first delinquent month after the last current one) to
/// charge-off, for accounts whose whole episode is observed.
fn charge_off_timing(
    mapping: &Mapping,
    panel: &Panel,
    segments: &[SegmentEstimate],
) -> Option<ChargeOffTiming> {
    let space = &mapping.space;
    let co = space.charged_off();
    let mut histogram: Vec<u64> = Vec::new();
    for loan in 0..panel.n_loans() {
        let rows = panel.rows(loan);
        let Some(x) = rows.clone().find(|&x| panel.state[x] == co) else {
            continue;
        };
        let Some(last_current) = (rows.start..x)
            .rev()
            .find(|&y| panel.state[y] == crate::model::states::CURRENT)
        else {
            continue;
        };
        if panel.month[x] - panel.month[last_current] != (x - last_current) as i32 {
            continue; // a gap inside the episode
        }
        let months = (panel.month[x] - panel.month[last_current + 1]) as usize + 1;
        if histogram.len() <= months {
            histogram.resize(months + 1, 0);
        }
        histogram[months] += 1;
    }
    let total: u64 = histogram.iter().sum();
    if total == 0 {
        return None;
    }
    let mean = histogram
        .iter()
        .enumerate()
        .map(|(m, &c)| m as f64 * c as f64)
        .sum::<f64>()
        / total as f64;
    let mut acc = 0;
    let median = histogram
        .iter()
        .enumerate()
        .find(|&(_, &c)| {
            acc += c;
            acc * 2 >= total
        })
        .map_or(0.0, |(m, _)| m as f64);
    let implied_mean = segments
        .iter()
        .map(|seg| {
            (
                seg.name.clone(),
                implied_months_to_charge_off(space, &full_matrix(space, seg, 0)),
            )
        })
        .collect();
    Some(ChargeOffTiming {
        histogram,
        mean,
        median,
        implied_mean,
    })
}

/// The months an episode lasts from the first missed payment to charge-off, as the fitted
/// matrix implies, on the history's convention (the first delinquent month is month 1). An
/// episode ends at a cure, so `current` is absorbing here, as are the terminal states; over
/// the buckets `N = (I - Q)^-1` and `E[T | charge-off] = (N^2 R)_{1,co} / (N R)_{1,co}` steps.
fn implied_months_to_charge_off(space: &StateSpace, p: &[f64]) -> Option<f64> {
    let n = space.len();
    let transient: Vec<usize> = space
        .on_book()
        .filter(|&s| s != crate::model::states::CURRENT)
        .map(|s| s as usize)
        .collect();
    let first = *transient.first()?;
    let k = transient.len();
    let co = space.charged_off() as usize;
    // (I - Q) x = R[:, co]; then (I - Q) y = x gives N^2 R.
    let mut a = vec![0.0; k * k];
    for (r, &i) in transient.iter().enumerate() {
        for (c, &j) in transient.iter().enumerate() {
            a[r * k + c] = f64::from(u8::from(r == c)) - p[i * n + j];
        }
    }
    let rhs: Vec<f64> = transient.iter().map(|&i| p[i * n + co]).collect();
    let x = solve(&a, &rhs, k, 1)?;
    let y = solve(&a, &x, k, 1)?;
    let r = transient.iter().position(|&i| i == first)?;
    (x[r] > 1e-12).then(|| y[r] / x[r] + 1.0)
}

/// The loans on book in `start`, per segment, as the scenario's synthetic book.
fn starting_book(mapping: &Mapping, panel: &Panel, start: i32) -> Vec<StartingSegment> {
    let space = &mapping.space;
    let n = space.len();
    let n_seg = panel.segments.len();
    let mut states = vec![vec![0u64; n]; n_seg];
    let mut sum = vec![0.0; n_seg];
    let mut sum_sq = vec![0.0; n_seg];
    let mut with_balance = vec![0u64; n_seg];
    let mut mob = vec![(u32::MAX, 0u32); n_seg];
    for loan in 0..panel.n_loans() {
        let rows = panel.rows(loan);
        let Some(x) = rows.clone().find(|&x| panel.month[x] == start) else {
            continue;
        };
        let s = panel.state[x];
        if !space.kind(s).is_on_book() {
            continue;
        }
        let seg = panel.loan_segment[loan] as usize;
        states[seg][s as usize] += 1;
        if let Some(b) = panel
            .balance
            .as_ref()
            .map(|b| b[x])
            .filter(|b| b.is_finite())
        {
            sum[seg] += b;
            sum_sq[seg] += b * b;
            with_balance[seg] += 1;
        }
        if let Some(o) = panel
            .loan_origination
            .as_ref()
            .map(|o| o[loan])
            .filter(|&o| o != i32::MIN)
        {
            let m = (start - o).max(0) as u32;
            mob[seg] = (mob[seg].0.min(m), mob[seg].1.max(m));
        }
    }
    (0..n_seg)
        .map(|seg| {
            let loans: u64 = states[seg].iter().sum();
            let (mean, sd) = if with_balance[seg] > 0 {
                let k = with_balance[seg] as f64;
                let mean = sum[seg] / k;
                (mean, (sum_sq[seg] / k - mean * mean).max(0.0).sqrt())
            } else {
                (mapping.scenario.balance.unwrap_or(0.0), 0.0)
            };
            StartingSegment {
                segment: panel.segments[seg].clone(),
                loans,
                balance_mean: mean,
                balance_sd: sd,
                months_on_book: if mob[seg].0 == u32::MAX {
                    (0, 0)
                } else {
                    mob[seg]
                },
                states: (0..n)
                    .filter(|&s| states[seg][s] > 0)
                    .map(|s| (s as StateId, states[seg][s] as f64 / loans as f64))
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::states::example_space;

    /// Dense matrix from `(from, to, p)` entries; terminal states absorb.
    fn matrix(space: &StateSpace, entries: &[(usize, usize, f64)]) -> Vec<f64> {
        let n = space.len();
        let mut p = vec![0.0; n * n];
        for id in 0..n {
            if space.kind(id as StateId).is_terminal() {
                p[id * n + id] = 1.0;
            }
        }
        for &(i, j, v) in entries {
            p[i * n + j] = v;
        }
        p
    }

    #[test]
    fn implied_charge_off_timing_follows_the_history_convention() {
        // current, dpd_1_30, dpd_31_60, dpd_61_90, paid_off, charged_off, sold.
        let space = example_space();
        let co = space.charged_off() as usize;
        // Certain roll: missed in month 1 (dpd_1_30), months 2 and 3 in the next buckets,
        // charged off in month 4.
        let p = matrix(
            &space,
            &[(0, 0, 1.0), (1, 2, 1.0), (2, 3, 1.0), (3, co, 1.0)],
        );
        assert!((implied_months_to_charge_off(&space, &p).unwrap() - 4.0).abs() < 1e-12);
        // Staying a month in dpd_61_90 with probability 1/2 adds 1 month on average; a cure ends
        // the episode and is not counted (conditioning on charge-off).
        let p = matrix(
            &space,
            &[
                (0, 0, 1.0),
                (1, 2, 0.5),
                (1, 0, 0.5),
                (2, 3, 1.0),
                (3, 3, 0.5),
                (3, co, 0.5),
            ],
        );
        assert!((implied_months_to_charge_off(&space, &p).unwrap() - 5.0).abs() < 1e-12);
    }

    #[test]
    fn homogeneous_groups_give_no_evidence_against_one_matrix() {
        let space = example_space();
        let n = space.len();
        let same = matrix(&space, &[(0, 0, 900.0), (0, 1, 100.0)]);
        let t = homogeneity("s", "blocks".into(), &[same.clone(), same], n, &space);
        assert!(t.statistic.abs() < 1e-9 && t.df == 1.0 && t.p_value > 0.999);
        // 10% against 20% on 1,000 loans each: G is large, p tiny.
        let a = matrix(&space, &[(0, 0, 900.0), (0, 1, 100.0)]);
        let b = matrix(&space, &[(0, 0, 800.0), (0, 1, 200.0)]);
        let t = homogeneity("s", "blocks".into(), &[a, b], n, &space);
        assert!(t.statistic > 30.0 && t.p_value < 1e-6, "{t:?}");
    }
}
