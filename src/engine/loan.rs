//! One loan on one path: month by month through the states, moving money between the ledger's
//! lines (repaid, recovered, sold, written off, outstanding) as the money rules say, and
//! following each default's workout (and, in a disposition study, each sale point's hold value)
//! to its end. This is the inner loop; everything it needs is precomputed in [`PathContext`].
//! Most loan-months are a current loan paying its instalment: those run in
//! `LoanRun::stay_current`, a short loop over locals that sums exactly what the general month
//! (`LoanRun::step`) would, in the same order, so results do not depend on which road a month
//! took.
//!
//! Conventions (docs/SCENARIOS.md has the full text):
//! - months are steps of the transition matrix; cash flows fall at the end of the month;
//! - a current loan pays its instalment (interest first, the rest reduces the balance);
//! - a loan moving into delinquency pays nothing, except a partial payment (a Beta share of
//!   its arrears) with the scenario's probability; interest and late fees are capitalised if
//!   the scenario says so; revolving lines lock;
//! - a cure pays the instalments in arrears plus the month's instalment;
//! - charge-off writes off the whole balance; the claim then follows the recovery curve until
//!   it ends or the claim is sold;
//! - a default (by the scenario's definition) within the horizon starts a workout: every cash
//!   flow from the loan after it is a recovery, every collection cost after it a cost, all
//!   discounted to the default date, until the loan settles or [`WORKOUT_CAP_MONTHS`] past the
//!   horizon (when a current loan's balance counts as recovered and anything else as lost).
//!   Months past the horizon move only these workout figures, never the horizon's totals.

use rand::Rng;
use rand_distr::{Beta, Distribution};

use super::outcome::{
    DispositionField, Flow, GroupField, OutcomeLayout, PathOutcome, RECOVERY_RATE_BINS, Total,
    WORKOUT_CAP_MONTHS,
};
use super::tables::{SampledRow, SegmentTables, Tables};
use crate::book::LoanBook;
use crate::model::disposition::{
    Agency, Buyer, MAX_SALE_POINTS, PointKind, SalePoint, SalePrice, agency_value,
};
use crate::model::money::annuity;
use crate::model::states::CURRENT;
use crate::model::systematic::{
    FactorDynamics, StressPath, Systematic, condition_row, conditional_probability,
};
use crate::model::{
    DebtSale, DefaultDefinition, Model, Product, StateId, StateKind, TransitionMatrix,
};
use crate::rng::{Stream, StreamFamily, StreamRng, stream, stream_in};

/// Balances below this are treated as repaid (a thousandth of a currency unit).
const ZERO_BALANCE: f64 = 1e-3;

/// What the disposition study needs in the loop.
struct StudyContext {
    points: Vec<SalePoint>,
    agency: Option<Agency>,
    fixed_price: Option<f64>,
    buyer: Option<(Buyer, f64)>,
    /// Lender's monthly discount factor; `None`: each loan's APR / 12.
    lender_discount: Option<f64>,
}

/// Everything the loan loop reads, computed once per run.
pub struct PathContext<'a> {
    pub model: &'a Model,
    pub book: &'a LoanBook,
    pub tables: Tables,
    pub layout: OutcomeLayout,
    pub seed: u64,
    pub horizon_months: u32,
    pub(crate) charged_off: StateId,
    pub(crate) sold: StateId,
    pub(crate) paid_off: StateId,
    /// `(months after charge-off, price)`.
    pub(crate) sale_after_charge_off: Option<(u32, f64)>,
    /// `(horizon month, price)`.
    pub(crate) spot_sale: Option<(u32, f64)>,
    pub(crate) sale_on_entering_price: f64,
    /// Probability a charged-off account pays, as a threshold on a `u32` draw.
    pub(crate) payer_threshold: u64,
    pub(crate) partial_threshold: u64,
    pub(crate) partial_share: Option<Beta<f64>>,
    /// `curve[k] / payment_probability`: a paying account's share in month `k + 1`.
    pub(crate) payer_curve: Vec<f64>,
    pub(crate) cost_share: f64,
    pub(crate) cost_per_account: f64,
    /// Monthly discount factor from the scenario's rate; `None`: each loan's APR / 12.
    pub(crate) discount_factor: Option<f64>,
    /// Entering this state is a default (days-past-due definition).
    pub(crate) default_on_entering: Vec<bool>,
    pub(crate) stage_of: Vec<Option<usize>>,
    study: Option<StudyContext>,
    /// The factor and the stress path of this pass, when either moves the rates.
    factor: Option<FactorSetup>,
}

/// Systematic risk for a pass: the factor (if any) and the stress path.
struct FactorSetup {
    systematic: Option<Systematic>,
    stress: StressPath,
    /// Months whose conditioned tables differ: 1 when nothing varies by month.
    months_distinct: usize,
    recovery_probability: f64,
}

fn threshold(p: f64) -> u64 {
    (p * 4_294_967_296.0).round() as u64
}

impl<'a> PathContext<'a> {
    /// `study`: track the scenario's disposition study in this pass; `stress`: the stress
    /// path of this pass (`None`: unstressed).
    pub fn new(
        model: &'a Model,
        book: &'a LoanBook,
        tables: Tables,
        seed: u64,
        horizon_months: u32,
        study: bool,
        stress: Option<&StressPath>,
    ) -> PathContext<'a> {
        let space = &model.space;
        let (mut sale_after_charge_off, mut spot_sale, mut sale_on_entering_price) =
            (None, None, 0.0);
        match model.debt_sale {
            Some(DebtSale::AfterChargeOff { months, price }) => {
                sale_after_charge_off = Some((months, price));
            }
            Some(DebtSale::Spot { month, price }) => spot_sale = Some((month, price)),
            Some(DebtSale::OnEntering { price, .. }) => sale_on_entering_price = price,
            None => {}
        }
        let partial = model.money.partial_payments;
        let recovery = &model.recovery;
        let mut default_on_entering = vec![false; space.len()];
        if let DefaultDefinition::DaysPastDue { states, .. } = &model.default_definition {
            for &s in states {
                default_on_entering[s as usize] = true;
            }
        }
        let study = model.disposition.as_ref().filter(|_| study).map(|d| {
            let rate = d.discount_rate.or(model.discount_rate);
            StudyContext {
                points: d.points.clone(),
                agency: d.agency.clone(),
                fixed_price: match d.sale_price {
                    Some(SalePrice::Fixed(p)) => Some(p),
                    _ => None,
                },
                buyer: d.buyer.clone().map(|b| {
                    let v = b.monthly_discount();
                    (b, v)
                }),
                lender_discount: rate.map(|r| (1.0 + r).powf(-1.0 / 12.0)),
            }
        });
        let n_points = study.as_ref().map_or(0, |s| s.points.len());
        let buyer_months = study
            .as_ref()
            .and_then(|s| s.buyer.as_ref())
            .map_or(0, |(b, _)| b.curve.len());
        PathContext {
            model,
            book,
            tables,
            layout: outcome_layout(model, book, horizon_months, n_points, buyer_months),
            seed,
            horizon_months,
            charged_off: space.charged_off(),
            sold: space.sold(),
            paid_off: space.paid_off(),
            sale_after_charge_off,
            spot_sale,
            sale_on_entering_price,
            payer_threshold: threshold(recovery.payment_probability),
            partial_threshold: partial.map_or(0, |p| threshold(p.probability)),
            partial_share: partial.map(|p| {
                Beta::new(p.share_alpha, p.share_beta).expect("validated Beta parameters")
            }),
            payer_curve: recovery
                .curve
                .iter()
                .map(|c| c / recovery.payment_probability)
                .collect(),
            cost_share: recovery.cost_share,
            cost_per_account: recovery.cost_per_account,
            discount_factor: model.discount_rate.map(|r| (1.0 + r).powf(-1.0 / 12.0)),
            default_on_entering,
            stage_of: space.states.iter().map(|s| s.stage).collect(),
            study,
            factor: factor_setup(model, stress, horizon_months),
        }
    }

    pub fn n_loans(&self) -> usize {
        self.book.len()
    }
}

fn factor_setup(
    model: &Model,
    stress: Option<&StressPath>,
    horizon_months: u32,
) -> Option<FactorSetup> {
    let stress = stress.cloned().unwrap_or_else(|| StressPath::base("base"));
    if model.systematic.is_none() && stress.is_neutral() && !model.draw_posterior {
        return None;
    }
    let varies_by_month = matches!(
        model.systematic.as_ref().map(|s| s.dynamics),
        Some(FactorDynamics::Monthly { .. })
    ) || [
        &stress.z_shift,
        &stress.roll_multiplier,
        &stress.cure_multiplier,
        &stress.recovery_multiplier,
    ]
    .iter()
    .any(|s| s.len() > 1);
    Some(FactorSetup {
        systematic: model.systematic.clone(),
        months_distinct: if varies_by_month {
            horizon_months as usize
        } else {
            1
        },
        recovery_probability: model.recovery.payment_probability,
        stress,
    })
}

/// The shapes of every per-path array for this model and book.
pub fn outcome_layout(
    model: &Model,
    book: &LoanBook,
    horizon_months: u32,
    n_points: usize,
    buyer_months: usize,
) -> OutcomeLayout {
    OutcomeLayout {
        timeline: super::outcome::TimelineLayout {
            n_states: model.space.len(),
            horizon_months: horizon_months as usize,
        },
        n_segments: model.segments.len(),
        n_stage_groups: model.space.stages.len() + 1,
        n_vintages: book.vintages.len().max(1),
        n_points,
        buyer_months,
    }
}

/// Per-path scratch, reused loan after loan: the timeline carry for loans that stopped
/// moving, and the hold trackers of the disposition study (kept here rather than in each loan
/// so that the common loan, which reaches no sale point, does not initialise them).
pub struct PathScratch {
    /// `carry[layout.loans/balance(month, state)]`: loans settling for good at that month.
    carry: Vec<f64>,
    holds: [HoldTracker; MAX_SALE_POINTS],
    /// Tables conditioned on the path's factor: `[month slot][segment][row]`; empty without a
    /// factor or stress.
    conditioned: Vec<Vec<Vec<SampledRow>>>,
    /// Payer threshold and recovery multiplier by month slot.
    payer_thresholds: Vec<u64>,
    recovery_multipliers: Vec<f64>,
    probabilities: Vec<f64>,
    /// The loan-month streams of the current path.
    loan_months: StreamFamily,
    /// By segment: when a current loan stays current, from the tables in use (conditioned or
    /// static).
    current_stays: Vec<CurrentStays>,
    /// This path's rows drawn from the estimation posterior (actions and triggers applied):
    /// `[segment][row]`, aligned with the tables' shapes; empty without posterior draws.
    drawn: Vec<Vec<Vec<f64>>>,
}

/// Support of a row's posterior draws once actions and triggers apply: the row's own
/// destinations plus every destination with a positive Dirichlet parameter. `None` when the
/// row has no posterior.
fn posterior_support(model: &Model, segment: usize, row: usize) -> Option<Vec<f64>> {
    let n = model.space.len();
    let (matrix, state) = (row / n, row % n);
    let alpha = model.segments[segment]
        .posterior
        .get(matrix)?
        .get(state)?
        .as_ref()?;
    let seg = &model.segments[segment];
    let base = seg.matrices().nth(matrix)?;
    // Every destination the row can reach: a matrix whose row spreads over the union.
    let mut rows = base.to_rows();
    for (j, (p, &a)) in rows[state].iter_mut().zip(alpha).enumerate() {
        if a > 0.0 || *p > 0.0 || j == state {
            *p = 1.0;
        }
    }
    let total: f64 = rows[state].iter().sum();
    rows[state].iter_mut().for_each(|p| *p /= total);
    let spread = TransitionMatrix::new(&model.space, rows).ok()?;
    let effective = model.effective_matrix(segment, &spread).ok()?;
    Some(effective.row(state as StateId).to_vec())
}

impl PathScratch {
    pub fn new(cx: &PathContext<'_>) -> PathScratch {
        let conditioned = match &cx.factor {
            None => Vec::new(),
            Some(f) => {
                let month: Vec<Vec<SampledRow>> = cx
                    .tables
                    .segments
                    .iter()
                    .enumerate()
                    .map(|(seg, tables)| {
                        tables
                            .shapes
                            .iter()
                            .enumerate()
                            .map(|(row, shape)| {
                                // The pattern holds every destination a posterior draw can reach.
                                let support = posterior_support(cx.model, seg, row)
                                    .unwrap_or_else(|| shape.base.clone());
                                let mut row = SampledRow::with_diagonal(&support, shape.diagonal);
                                row.refill(&shape.base);
                                row
                            })
                            .collect()
                    })
                    .collect();
                vec![month; f.months_distinct]
            }
        };
        let drawn = if cx.model.draw_posterior {
            cx.tables
                .segments
                .iter()
                .map(|seg| seg.shapes.iter().map(|shape| shape.base.clone()).collect())
                .collect()
        } else {
            Vec::new()
        };
        let current_stays = cx
            .tables
            .segments
            .iter()
            .enumerate()
            .map(|(s, seg)| CurrentStays::new(seg, &conditioned, s))
            .collect();
        PathScratch {
            drawn,
            current_stays,
            carry: vec![0.0; cx.layout.timeline.len()],
            holds: [HoldTracker::default(); MAX_SALE_POINTS],
            conditioned,
            payer_thresholds: Vec::new(),
            recovery_multipliers: Vec::new(),
            probabilities: vec![0.0; cx.model.space.len()],
            loan_months: StreamFamily::new(cx.seed, Stream::LoanMonths, 0),
        }
    }

    /// Draws the path's factor and conditions every table on it (once per path and month, not
    /// per loan). Fills `out.factor`, `out.weight` and `out.clipped_rows`.
    pub fn prepare_path(&mut self, cx: &PathContext<'_>, path: u64, out: &mut PathOutcome) {
        self.loan_months = StreamFamily::new(cx.seed, Stream::LoanMonths, path);
        let Some(f) = &cx.factor else { return };
        let horizon = cx.horizon_months as usize;
        // The factor path: the same draws for every stress scenario of a set.
        let mut z = vec![0.0; horizon];
        let mut log_weight = 0.0;
        if let Some(sys) = &f.systematic {
            let mut rng = stream(cx.seed, Stream::Factor, path, 0);
            let shift = sys.importance_shift.unwrap_or(0.0);
            let mut draw = || {
                let e: f64 = rand_distr::StandardNormal.sample(&mut rng);
                let e = e + shift;
                // Likelihood ratio of N(0, 1) to N(shift, 1) at e.
                log_weight += -shift * e + shift * shift / 2.0;
                e
            };
            match sys.dynamics {
                FactorDynamics::PerPath => {
                    let e = draw();
                    z.iter_mut().for_each(|x| *x = e);
                }
                FactorDynamics::Monthly { persistence } => {
                    let scale = (1.0 - persistence * persistence).sqrt();
                    let mut previous = draw();
                    z[0] = previous;
                    for x in z.iter_mut().skip(1) {
                        previous = persistence * previous + scale * draw();
                        *x = previous;
                    }
                }
            }
        }
        let lasting = f.systematic.as_ref().map_or(0.0, |s| s.z_shift);
        for (t, x) in z.iter_mut().enumerate() {
            *x += lasting + StressPath::at(&f.stress.z_shift, t + 1);
        }
        if cx.model.draw_posterior {
            self.draw_matrices(cx, path);
        }
        let exact = f.systematic.is_none() && f.stress.is_neutral();
        out.log_weight = log_weight;
        out.weight = log_weight.exp();
        let mut clipped = 0.0;
        self.payer_thresholds.clear();
        self.recovery_multipliers.clear();
        for slot in 0..f.months_distinct {
            let month = slot + 1;
            let zt = z[slot.min(horizon - 1)];
            let roll_mult = StressPath::at(&f.stress.roll_multiplier, month);
            let cure_mult = StressPath::at(&f.stress.cure_multiplier, month);
            for (seg, seg_tables) in cx.tables.segments.iter().enumerate() {
                let rho = f
                    .systematic
                    .as_ref()
                    .map_or(0.0, |s| s.asset_correlation[seg]);
                for (r, (row, shape)) in self.conditioned[slot][seg]
                    .iter_mut()
                    .zip(&seg_tables.shapes)
                    .enumerate()
                {
                    if !shape.on_book {
                        continue;
                    }
                    let base = match self.drawn.get(seg) {
                        Some(drawn) => &drawn[r],
                        None => &shape.base,
                    };
                    if exact {
                        row.refill(base);
                        continue;
                    }
                    let p = &mut self.probabilities;
                    if condition_row(
                        base,
                        &shape.roll,
                        &shape.cure,
                        shape.diagonal,
                        rho,
                        zt,
                        roll_mult,
                        cure_mult,
                        p,
                    ) {
                        clipped += 1.0;
                    }
                    row.refill(p);
                }
            }
            let recovery_rho = f
                .systematic
                .as_ref()
                .map_or(0.0, |s| s.recovery_correlation);
            // Fewer charged-off accounts pay when the factor is low.
            let payers = conditional_probability(f.recovery_probability, recovery_rho, -zt);
            self.payer_thresholds.push(threshold(payers));
            self.recovery_multipliers
                .push(StressPath::at(&f.stress.recovery_multiplier, month));
        }
        for (s, (stays, seg)) in self
            .current_stays
            .iter_mut()
            .zip(&cx.tables.segments)
            .enumerate()
        {
            stays.refill(seg, &self.conditioned, s);
        }
        out.factor = z;
        out.clipped_rows = clipped;
    }

    /// Draws every row that has a posterior from its Dirichlet distribution (normalised Gamma
    /// draws from the path's own stream, so stress scenarios share them), then applies the
    /// collection actions and triggers as for the stated matrices.
    fn draw_matrices(&mut self, cx: &PathContext<'_>, path: u64) {
        let mut rng = stream(cx.seed, Stream::Posterior, path, 0);
        let model = cx.model;
        let n = model.space.len();
        for (seg_idx, seg) in model.segments.iter().enumerate() {
            for (m, matrix) in seg.matrices().enumerate() {
                let Some(posterior) = seg.posterior.get(m) else {
                    continue;
                };
                let mut rows = matrix.to_rows();
                for (state, alpha) in posterior.iter().enumerate() {
                    let Some(alpha) = alpha else { continue };
                    let row = &mut rows[state];
                    let mut total = 0.0;
                    for (p, &a) in row.iter_mut().zip(alpha) {
                        *p = if a > 0.0 {
                            let g = rand_distr::Gamma::new(a, 1.0).expect("validated parameter");
                            g.sample(&mut rng)
                        } else {
                            0.0
                        };
                        total += *p;
                    }
                    if total > 0.0 {
                        row.iter_mut().for_each(|p| *p /= total);
                        // Exact sum for validation: the largest entry takes the rounding.
                        let sum: f64 = row.iter().sum();
                        if let Some(j) = (0..n).max_by(|&a, &b| row[a].total_cmp(&row[b])) {
                            row[j] += 1.0 - sum;
                        }
                    } else {
                        *row = matrix.row(state as StateId).to_vec();
                    }
                }
                let drawn = TransitionMatrix::new(&model.space, rows)
                    .ok()
                    .and_then(|t| model.effective_matrix(seg_idx, &t).ok());
                let Some(effective) = drawn else { continue };
                for state in 0..n {
                    self.drawn[seg_idx][m * n + state]
                        .copy_from_slice(effective.row(state as StateId));
                }
            }
        }
    }

    /// Adds the settled loans to every month from the one they settled in, and clears.
    pub fn finish(&mut self, layout: OutcomeLayout, out: &mut PathOutcome) {
        book_settled(&mut self.carry, layout, out);
    }
}

/// How a run of current months ([`LoanRun::stay_current`]) ended.
#[derive(Debug, Clone, Copy)]
enum CurrentRun {
    /// Current to the end of the horizon.
    Horizon,
    /// Paid off by its last instalment in `month`.
    PaidOff { month: u32 },
    /// The draw `u` of `month` moves the loan out of current.
    Leaves { month: u32, u: u64 },
}

/// One segment's first thresholds of the current row (see [`SampledRow::first_threshold`]),
/// `[month slot][matrix]`: a current loan stays current exactly when the high 32 bits of its
/// draw are below it.
#[derive(Debug, Clone)]
pub struct CurrentStays {
    by_slot: Vec<u64>,
    n_matrices: usize,
    n_slots: usize,
    /// Matrix index for each month on book (the segment tables'); beyond the end, matrix 0.
    by_month_on_book: Vec<u16>,
}

impl CurrentStays {
    /// `conditioned`: [`PathScratch`]'s conditioned tables, `[month slot][segment][row]`
    /// (empty: the static tables); `segment`: this segment's index in them.
    fn new(
        seg: &SegmentTables,
        conditioned: &[Vec<Vec<SampledRow>>],
        segment: usize,
    ) -> CurrentStays {
        let n_matrices = seg.n_matrices();
        let n_slots = conditioned.len().max(1);
        let mut stays = CurrentStays {
            by_slot: vec![0; n_matrices * n_slots],
            n_matrices,
            n_slots,
            by_month_on_book: seg.by_month_on_book().to_vec(),
        };
        stays.refill(seg, conditioned, segment);
        stays
    }

    fn refill(
        &mut self,
        seg: &SegmentTables,
        conditioned: &[Vec<Vec<SampledRow>>],
        segment: usize,
    ) {
        for slot in 0..self.n_slots {
            for matrix in 0..self.n_matrices {
                let r = seg.row_index_of_matrix(matrix, CURRENT);
                let row = match conditioned.get(slot) {
                    Some(tables) => &tables[segment][r],
                    None => &seg.rows[r],
                };
                self.by_slot[slot * self.n_matrices + matrix] = row.first_threshold(CURRENT);
            }
        }
    }

    /// The threshold for every month from months on book `mob` on, when it does not change.
    #[inline]
    fn fixed(&self, mob: u32) -> Option<u64> {
        (self.n_slots == 1 && mob as usize >= self.by_month_on_book.len()).then(|| self.by_slot[0])
    }

    /// The threshold in horizon month `month` at months on book `mob`.
    #[inline]
    fn at(&self, month: u32, mob: u32) -> u64 {
        let slot = (month.max(1) as usize - 1).min(self.n_slots - 1);
        let matrix = self
            .by_month_on_book
            .get(mob as usize)
            .copied()
            .unwrap_or(0) as usize;
        self.by_slot[slot * self.n_matrices + matrix]
    }
}

/// Adds loans and balances that settled for good at `(month, state)` (`carry`, laid out as the
/// timeline's occupancy) to every month from that one on, and clears `carry`.
pub(crate) fn book_settled(carry: &mut [f64], layout: OutcomeLayout, out: &mut PathOutcome) {
    let t = layout.timeline;
    for state in 0..t.n_states {
        let (mut loans, mut balance) = (0.0, 0.0);
        for month in 0..=t.horizon_months {
            loans += std::mem::take(&mut carry[t.loans(month, state)]);
            balance += std::mem::take(&mut carry[t.balance(month, state)]);
            out.timeline[t.loans(month, state)] += loans;
            out.timeline[t.balance(month, state)] += balance;
        }
    }
}

/// A default's workout: cash and costs after the default date, and their present values.
#[derive(Debug, Clone, Copy)]
struct Workout {
    exposure: f64,
    stage_group: usize,
    discount: f64,
    months: u32,
    gross: f64,
    costs: f64,
    pv_gross: f64,
    pv_costs: f64,
}

/// The figures of finished workouts (one loan's, or a count-mode group's), booked into the
/// recovery groups, the workout totals and the recovery-rate histogram.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClosedWorkout {
    /// Defaults the figures cover (1 for a loan).
    pub defaults: f64,
    pub exposure: f64,
    pub gross: f64,
    pub costs: f64,
    pub pv_gross: f64,
    pub pv_costs: f64,
}

impl ClosedWorkout {
    /// Adds the figures to `groups` (segment, stage and vintage), the totals, and the
    /// histogram at their recovery rate.
    pub(crate) fn book(&self, layout: OutcomeLayout, groups: [usize; 3], out: &mut PathOutcome) {
        for group in groups {
            let g = |f| layout.group(group, f);
            out.recovery_groups[g(GroupField::Defaults)] += self.defaults;
            out.recovery_groups[g(GroupField::ExposureAtDefault)] += self.exposure;
            out.recovery_groups[g(GroupField::RecoveriesGross)] += self.gross;
            out.recovery_groups[g(GroupField::Costs)] += self.costs;
            out.recovery_groups[g(GroupField::PvGross)] += self.pv_gross;
            out.recovery_groups[g(GroupField::PvCosts)] += self.pv_costs;
        }
        out.totals[Total::WorkoutRecoveries.idx()] += self.gross;
        out.totals[Total::WorkoutCosts.idx()] += self.costs;
        out.totals[Total::WorkoutRecoveriesPvNet.idx()] += self.pv_gross - self.pv_costs;
        out.totals[Total::WorkoutRecoveriesPvGross.idx()] += self.pv_gross;
        let bin = if self.gross <= 0.0 || self.exposure <= 0.0 {
            0
        } else {
            let rate = self.gross / self.exposure;
            ((rate * 20.0).ceil() as usize).clamp(1, RECOVERY_RATE_BINS - 1)
        };
        out.recovery_rate_histogram[bin] += self.defaults;
    }
}

/// The hold value of a loan from a sale point on.
#[derive(Debug, Clone, Copy, Default)]
struct HoldTracker {
    active: bool,
    discount: f64,
    value: f64,
}

/// A loan's moving parts.
struct LoanRun<'c, 'a> {
    cx: &'c PathContext<'a>,
    holds: &'c mut [HoldTracker; MAX_SALE_POINTS],
    /// Tables conditioned on the path's factor, by month slot; `None`: the static tables.
    conditioned: Option<&'c [Vec<Vec<SampledRow>>]>,
    payer_thresholds: &'c [u64],
    recovery_multipliers: &'c [f64],
    segment: usize,
    /// Index into the book's vintages, clamped to the layout's `n_vintages`.
    vintage: usize,
    state: StateId,
    balance: f64,
    rate: f64,
    instalment: f64,
    term_left: u32,
    credit_limit: f64,
    locked: bool,
    /// What is left of the charged-off claim.
    claim: f64,
    charged_off_balance: f64,
    months_since_charge_off: u32,
    payer: bool,
    monthly_discount: f64,
    lender_discount: f64,
    workout: Option<Workout>,
    defaulted: bool,
    points_reached: u32,
    /// Last horizon month simulated (spot sales fall within the horizon).
    month_done: u32,
    amounts: Option<StreamRng>,
    study_draws: Option<StreamRng>,
    path: u64,
    loan: u64,
}

/// Simulates one loan of book row `loan` on path `path`, adding into `out` (totals, timeline and
/// the rest). `key` names the loan's random streams: the row for a book of loans, the loan's
/// place in the expanded book for a row that is a cell of several loans.
pub fn simulate_loan(
    cx: &PathContext<'_>,
    path: u64,
    loan: usize,
    key: u64,
    out: &mut PathOutcome,
    scratch: &mut PathScratch,
) {
    let scratch_family = scratch.loan_months;
    let book = cx.book;
    let segment = book.segment[loan] as usize;
    let rate = book.apr[loan] / 12.0;
    let balance = book.balance[loan];
    let state = book.state[loan];
    let product = &cx.model.segments[segment].product;
    let loan_discount = 1.0 / (1.0 + rate);
    let PathScratch {
        carry,
        holds,
        conditioned,
        payer_thresholds,
        recovery_multipliers,
        current_stays,
        ..
    } = scratch;
    let current_stays = &current_stays[segment];
    let mut run = LoanRun {
        cx,
        holds,
        conditioned: (!conditioned.is_empty()).then_some(conditioned.as_slice()),
        payer_thresholds,
        recovery_multipliers,
        segment,
        // Clamped once here, so every per-vintage array can index with it directly.
        vintage: (book.vintage.get(loan).copied().unwrap_or(0) as usize)
            .min(cx.layout.n_vintages - 1),
        state,
        balance,
        rate,
        instalment: 0.0,
        term_left: book.remaining_term[loan],
        credit_limit: book.credit_limit[loan],
        locked: state != CURRENT,
        claim: 0.0,
        charged_off_balance: 0.0,
        months_since_charge_off: 0,
        payer: false,
        monthly_discount: cx.discount_factor.unwrap_or(loan_discount),
        lender_discount: cx
            .study
            .as_ref()
            .and_then(|s| s.lender_discount)
            .unwrap_or(loan_discount),
        workout: None,
        defaulted: false,
        points_reached: 0,
        month_done: 0,
        amounts: None,
        study_draws: None,
        path,
        loan: key,
    };
    run.instalment = run.scheduled_payment(product);
    let t = cx.layout.timeline;
    out.totals[Total::OriginalBalance.idx()] += balance;
    out.timeline[t.loans(0, state as usize)] += 1.0;
    out.timeline[t.balance(0, state as usize)] += balance;
    if cx.study.is_some() {
        run.check_on_book_points(Some(0), out);
    }

    let mut rng = stream_in(&scratch_family, key);
    let mut months_on_book = book.months_on_book[loan];
    let mut settled_early = false;
    // The common loan-month (a current instalment loan with no workout, no sale point and no
    // collection cost) takes the short road, `LoanRun::stay_current`: the same arithmetic in
    // the same order, without the general bookkeeping around it.
    let simple_current = matches!(product, Product::Instalment)
        && cx.tables.segments[segment].cost[CURRENT as usize] <= 0.0;
    let mut month = 1;
    while month <= cx.horizon_months {
        if simple_current && run.state == CURRENT && run.is_quiet() {
            match run.stay_current(month, &mut months_on_book, &mut rng, current_stays, out) {
                CurrentRun::Horizon => break,
                CurrentRun::PaidOff { month: m } => month = m,
                CurrentRun::Leaves { month: m, u } => {
                    // The draw that moves the loan out of current, through the general road.
                    month = m;
                    run.month_done = m;
                    let to = run.sample(Some(m), months_on_book, CURRENT, (u >> 32) as u32);
                    run.transition(CURRENT, to, Some(m), u64::from(u as u32), out);
                    run.term_left = run.term_left.saturating_sub(1);
                    months_on_book += 1;
                }
            }
        } else {
            run.start_month();
            let u = rng.next_u64();
            run.step(Some(month), months_on_book, u, out);
            months_on_book += 1;
        }
        if run.is_settled() {
            // Nothing changes any more: book the loan into every remaining month at once.
            let (s, m) = (run.state as usize, month as usize);
            carry[t.loans(m, s)] += 1.0;
            carry[t.balance(m, s)] += run.shown_balance();
            settled_early = true;
            break;
        }
        out.timeline[t.loans(month as usize, run.state as usize)] += 1.0;
        out.timeline[t.balance(month as usize, run.state as usize)] += run.shown_balance();
        month += 1;
    }
    if run.state == cx.charged_off {
        out.totals[Total::WrittenOffNet.idx()] += run.claim;
    } else if cx.tables.kinds[run.state as usize].is_on_book() {
        out.totals[Total::Outstanding.idx()] += run.balance;
    }
    // Follow open workouts (and sale points' hold values) past the horizon.
    if !settled_early {
        let mut extra = 0;
        while extra < WORKOUT_CAP_MONTHS && !run.is_settled() && run.is_tracked() {
            run.start_month();
            let u = rng.next_u64();
            run.step(None, months_on_book, u, out);
            months_on_book += 1;
            extra += 1;
        }
    }
    run.finish(out);
}

impl LoanRun<'_, '_> {
    /// Index of the month's conditioned tables: past the horizon, the last month's.
    #[inline]
    fn slot(&self, month: Option<u32>) -> usize {
        let months = self.conditioned.map_or(1, <[_]>::len);
        (month.unwrap_or(self.cx.horizon_months).max(1) as usize - 1).min(months - 1)
    }

    fn scheduled_payment(&self, product: &Product) -> f64 {
        match *product {
            Product::Instalment => annuity(self.balance, self.rate, self.term_left),
            Product::Revolving {
                min_payment_rate, ..
            } => self.balance * (self.rate + min_payment_rate),
        }
    }

    /// Balance shown for the state in the timeline: on-book balance, or the open claim.
    fn shown_balance(&self) -> f64 {
        if self.state == self.cx.charged_off {
            self.claim
        } else {
            self.balance
        }
    }

    /// Neither a workout nor a sale point to follow: cash received moves only the horizon's
    /// totals and timeline, and the discount clocks have nothing to advance.
    #[inline]
    fn is_quiet(&self) -> bool {
        self.workout.is_none() && self.points_reached == 0
    }

    /// Whether a workout or a hold value is still being followed.
    fn is_tracked(&self) -> bool {
        self.workout.is_some() || (self.points_reached != 0 && self.holds.iter().any(|h| h.active))
    }

    /// Whether the loan can no longer change: paid off, sold, or charged off with collection
    /// over and no sale to come.
    fn is_settled(&self) -> bool {
        let cx = self.cx;
        if self.state == cx.paid_off || self.state == cx.sold {
            return true;
        }
        if self.state != cx.charged_off {
            return false;
        }
        let collecting =
            (self.months_since_charge_off as usize) < cx.payer_curve.len() && self.claim > 0.0;
        let sale_to_come = self.claim > 0.0
            && (cx
                .sale_after_charge_off
                .is_some_and(|(m, _)| self.months_since_charge_off < m)
                || cx.spot_sale.is_some_and(|(m, _)| self.month_done < m));
        let point_to_come = cx.study.as_ref().is_some_and(|s| {
            s.points.iter().enumerate().any(|(i, p)| {
                matches!(p.kind, PointKind::AfterChargeOff { months } if months > self.months_since_charge_off)
                    && self.points_reached & (1 << i) == 0
                    && self.claim > 0.0
            })
        });
        !collecting && !sale_to_come && !point_to_come
    }

    /// Advances the discount clocks of the workout and the hold trackers by one month.
    #[inline]
    fn start_month(&mut self) {
        if let Some(w) = &mut self.workout {
            w.discount *= self.monthly_discount;
            w.months += 1;
        }
        if self.points_reached != 0 {
            for h in self.holds.iter_mut().filter(|h| h.active) {
                h.discount *= self.lender_discount;
            }
        }
    }

    /// Cash from the borrower, a debt buyer or a recovery after default and sale points.
    #[inline]
    fn receive(&mut self, cash: f64, out: &mut PathOutcome) {
        if let Some(w) = &mut self.workout {
            w.gross += cash;
            w.pv_gross += cash * w.discount;
            // Cash in the month of default itself (a partial payment) counts as month 1.
            let k = w.months.max(1) as usize;
            if k <= WORKOUT_CAP_MONTHS {
                out.recovery_curve[k - 1] += cash;
            }
        }
        if self.points_reached != 0 {
            for h in self.holds.iter_mut().filter(|h| h.active) {
                h.value += cash * h.discount;
            }
        }
    }

    /// A collection cost after default and sale points.
    #[inline]
    fn spend(&mut self, cost: f64) {
        if let Some(w) = &mut self.workout {
            w.costs += cost;
            w.pv_costs += cost * w.discount;
        }
        if self.points_reached != 0 {
            for h in self.holds.iter_mut().filter(|h| h.active) {
                h.value -= cost * h.discount;
            }
        }
    }

    /// One month of the loan, in the horizon (`Some(month)`) or past it (`None`).
    #[inline]
    fn step(&mut self, month: Option<u32>, months_on_book: u32, u: u64, out: &mut PathOutcome) {
        let (u_transition, u_aux) = ((u >> 32) as u32, u64::from(u as u32));
        if let Some(m) = month {
            self.month_done = m;
        }
        match self.cx.tables.kinds[self.state as usize] {
            StateKind::Current | StateKind::Delinquent { .. } => {
                self.on_book_month(month, months_on_book, u_transition, u_aux, out);
            }
            StateKind::ChargedOff => self.charged_off_month(month, out),
            StateKind::PaidOff | StateKind::Sold => {}
        }
    }

    fn on_book_month(
        &mut self,
        month: Option<u32>,
        months_on_book: u32,
        u_transition: u32,
        u_aux: u64,
        out: &mut PathOutcome,
    ) {
        let cx = self.cx;
        let tables = &cx.tables.segments[self.segment];
        let from = self.state;
        let cost = tables.cost[from as usize];
        if cost > 0.0 {
            self.spend(cost);
            if let Some(m) = month {
                out.totals[Total::CollectionCosts.idx()] += cost;
                out.timeline[cx.layout.timeline.flow(m as usize, Flow::CollectionCosts)] += cost;
            }
        }
        let to = self.sample(month, months_on_book, from, u_transition);
        self.transition(from, to, month, u_aux, out);
        self.term_left = self.term_left.saturating_sub(1);
    }

    /// The next state from `from` for the transition draw `u_transition`.
    #[inline]
    fn sample(
        &self,
        month: Option<u32>,
        months_on_book: u32,
        from: StateId,
        u_transition: u32,
    ) -> StateId {
        let tables = &self.cx.tables.segments[self.segment];
        match self.conditioned {
            Some(c) => c[self.slot(month)][self.segment][tables.row_index(months_on_book, from)]
                .sample(u_transition),
            None => tables.row(months_on_book, from).sample(u_transition),
        }
    }

    /// Moves the money of an on-book loan's move from `from` to `to` and sets its new state;
    /// the remaining term is the caller's.
    fn transition(
        &mut self,
        from: StateId,
        to: StateId,
        month: Option<u32>,
        u_aux: u64,
        out: &mut PathOutcome,
    ) {
        let cx = self.cx;
        let product = &cx.model.segments[self.segment].product;
        match cx.tables.kinds[to as usize] {
            StateKind::Current if from == CURRENT => self.pay_scheduled(product, month, out),
            StateKind::Current => {
                flow(cx, out, month, Flow::Cures, 1.0);
                self.cure(product, month, out);
            }
            StateKind::Delinquent { .. } => {
                if from == CURRENT {
                    flow(cx, out, month, Flow::NewDelinquencies, 1.0);
                } else if to > from {
                    flow(cx, out, month, Flow::RollForwards, 1.0);
                }
                self.state = to;
                if cx.default_on_entering[to as usize] && month.is_some() {
                    self.start_workout(cx.stage_of[to as usize], out);
                }
                if cx.study.is_some() && month.is_some() {
                    self.check_on_book_points(month, out);
                }
                self.miss_payment(to, month, u_aux, out);
            }
            StateKind::PaidOff => {
                // Prepayment (or settlement) in full, with the month's interest.
                let interest = self.balance * self.rate;
                if month.is_some() {
                    out.totals[Total::InterestCollected.idx()] += interest;
                }
                flow(cx, out, month, Flow::Prepayments, self.balance + interest);
                self.receive(self.balance + interest, out);
                self.pay_off(month, out);
            }
            StateKind::ChargedOff => self.charge_off(from, month, u_aux, out),
            StateKind::Sold => {
                // Sold on entering a bucket: the sale is the default and its price the recovery.
                let face = self.balance;
                let proceeds = face * cx.sale_on_entering_price;
                if month.is_some() {
                    self.start_workout(cx.stage_of[from as usize], out);
                    let totals = &mut out.totals;
                    totals[Total::SoldFace.idx()] += face;
                    totals[Total::SaleProceeds.idx()] += proceeds;
                    totals[Total::SoldFaceBeforeChargeOff.idx()] += face;
                    totals[Total::SaleProceedsBeforeChargeOff.idx()] += proceeds;
                    totals[Total::Sales.idx()] += 1.0;
                }
                flow(cx, out, month, Flow::Sales, 1.0);
                flow(cx, out, month, Flow::SaleProceeds, proceeds);
                self.receive(proceeds, out);
                self.balance = 0.0;
                self.state = cx.sold;
            }
        }
    }

    /// Starts the workout of a default within the horizon (once per loan).
    fn start_workout(&mut self, stage: Option<usize>, out: &mut PathOutcome) {
        if self.defaulted {
            return;
        }
        self.defaulted = true;
        out.totals[Total::Defaults.idx()] += 1.0;
        out.totals[Total::ExposureAtDefault.idx()] += self.balance;
        self.workout = Some(Workout {
            exposure: self.balance,
            stage_group: self.cx.layout.stage_group(stage),
            discount: 1.0,
            months: 0,
            gross: 0.0,
            costs: 0.0,
            pv_gross: 0.0,
            pv_costs: 0.0,
        });
    }

    fn pay_scheduled(&mut self, product: &Product, month: Option<u32>, out: &mut PathOutcome) {
        let cx = self.cx;
        let interest = self.balance * self.rate;
        let principal = match *product {
            Product::Instalment if self.term_left <= 1 => self.balance,
            Product::Instalment => (self.instalment - interest).clamp(0.0, self.balance),
            Product::Revolving {
                min_payment_rate, ..
            } => self.balance * min_payment_rate,
        };
        self.balance -= principal;
        if month.is_some() {
            out.totals[Total::Repaid.idx()] += principal;
            out.totals[Total::InterestCollected.idx()] += interest;
        }
        flow(
            cx,
            out,
            month,
            Flow::ScheduledPayments,
            principal + interest,
        );
        self.receive(principal + interest, out);
        match *product {
            Product::Instalment => {
                if self.balance <= ZERO_BALANCE {
                    // Matured: the last instalment clears the loan.
                    self.pay_off(month, out);
                }
            }
            Product::Revolving { draw_rate, .. } => {
                if !self.locked && draw_rate > 0.0 {
                    let draw = draw_rate * (self.credit_limit - self.balance).max(0.0);
                    self.balance += draw;
                    if month.is_some() {
                        out.totals[Total::Drawn.idx()] += draw;
                    }
                    flow(cx, out, month, Flow::Drawdowns, draw);
                    // New lending is money out: it lowers what the workout has recovered.
                    self.receive(-draw, out);
                }
                self.instalment = self.scheduled_payment(product);
            }
        }
    }

    /// Runs the loan's months within the horizon from `first` for as long as it stays current,
    /// paying its instalments: `pay_scheduled` for an instalment loan that
    /// [`LoanRun::is_quiet`], with the same sums in the same order (each total and timeline
    /// cell sees the same additions), but with the loan's figures in locals. A current loan
    /// stays current exactly when its draw falls below the row's first threshold
    /// (`stays[slot][matrix]`, see [`SampledRow::first_threshold`]); other draws go back to
    /// the caller.
    fn stay_current(
        &mut self,
        first: u32,
        months_on_book: &mut u32,
        rng: &mut StreamRng,
        stays: &CurrentStays,
        out: &mut PathOutcome,
    ) -> CurrentRun {
        let cx = self.cx;
        let t = cx.layout.timeline;
        let horizon = cx.horizon_months;
        let (rate, instalment) = (self.rate, self.instalment);
        let (mut balance, mut term_left, mut mob) = (self.balance, self.term_left, *months_on_book);
        let mut repaid = out.totals[Total::Repaid.idx()];
        let mut interest_collected = out.totals[Total::InterestCollected.idx()];
        // Without conditioning or a matrix by month on book still ahead, every month uses the
        // same row.
        let fixed = stays.fixed(mob);
        let mut month = first;
        let end = loop {
            if month > horizon {
                break CurrentRun::Horizon;
            }
            let u = rng.next_u64();
            let stay = fixed.unwrap_or_else(|| stays.at(month, mob));
            if u >> 32 >= stay {
                break CurrentRun::Leaves { month, u };
            }
            let interest = balance * rate;
            let principal = if term_left <= 1 {
                balance
            } else {
                (instalment - interest).clamp(0.0, balance)
            };
            balance -= principal;
            repaid += principal;
            interest_collected += interest;
            out.timeline[t.flow(month as usize, Flow::ScheduledPayments)] += principal + interest;
            term_left = term_left.saturating_sub(1);
            mob += 1;
            if balance <= ZERO_BALANCE {
                break CurrentRun::PaidOff { month };
            }
            out.timeline[t.loans(month as usize, CURRENT as usize)] += 1.0;
            out.timeline[t.balance(month as usize, CURRENT as usize)] += balance;
            month += 1;
        };
        self.balance = balance;
        self.term_left = term_left;
        *months_on_book = mob;
        out.totals[Total::Repaid.idx()] = repaid;
        out.totals[Total::InterestCollected.idx()] = interest_collected;
        match end {
            CurrentRun::Horizon => self.month_done = horizon,
            CurrentRun::PaidOff { month } => {
                self.month_done = month;
                // Matured: the last instalment clears the loan.
                self.pay_off(Some(month), out);
            }
            CurrentRun::Leaves { .. } => {}
        }
        end
    }

    /// Repays what is left of the balance and closes the loan as paid off.
    fn pay_off(&mut self, month: Option<u32>, out: &mut PathOutcome) {
        if month.is_some() {
            out.totals[Total::Repaid.idx()] += self.balance;
            out.totals[Total::PayOffs.idx()] += 1.0;
        }
        flow(self.cx, out, month, Flow::PayOffs, 1.0);
        self.balance = 0.0;
        self.state = self.cx.paid_off;
    }

    fn cure(&mut self, product: &Product, month: Option<u32>, out: &mut PathOutcome) {
        let cx = self.cx;
        let arrears = (cx.tables.months_past_due[self.state as usize] + 1.0) * self.instalment;
        let interest = self.balance * self.rate;
        let cash = arrears.min(self.balance + interest);
        let interest_paid = interest.min(cash);
        let principal = cash - interest_paid;
        self.balance -= principal;
        if month.is_some() {
            out.totals[Total::Repaid.idx()] += principal;
            out.totals[Total::InterestCollected.idx()] += interest_paid;
        }
        flow(cx, out, month, Flow::CurePayments, cash);
        self.receive(cash, out);
        self.state = CURRENT;
        if cx.model.money.unlock_on_cure {
            self.locked = false;
        }
        if self.balance <= ZERO_BALANCE {
            self.pay_off(month, out);
        } else {
            // Re-amortise what is left over the remaining term.
            self.instalment = match *product {
                Product::Instalment => {
                    annuity(self.balance, self.rate, self.term_left.saturating_sub(1))
                }
                Product::Revolving { .. } => self.scheduled_payment(product),
            };
        }
    }

    fn miss_payment(&mut self, to: StateId, month: Option<u32>, u_aux: u64, out: &mut PathOutcome) {
        let cx = self.cx;
        let money = &cx.model.money;
        self.locked = true;
        let mut charges = money.late_fee;
        if money.accrue_interest_while_overdue {
            charges += self.balance * self.rate;
        }
        if charges > 0.0 {
            self.balance += charges;
            if month.is_some() {
                out.totals[Total::AccruedCharges.idx()] += charges;
            }
        }
        if u_aux < cx.partial_threshold
            && let Some(beta) = &cx.partial_share
        {
            let (path, loan, seed) = (self.path, self.loan, cx.seed);
            let rng = self
                .amounts
                .get_or_insert_with(|| stream(seed, Stream::LoanAmounts, path, loan));
            let share: f64 = beta.sample(rng);
            let arrears =
                (cx.tables.months_past_due[to as usize] * self.instalment).min(self.balance);
            let paid = share * arrears;
            self.balance -= paid;
            if month.is_some() {
                out.totals[Total::Repaid.idx()] += paid;
            }
            flow(cx, out, month, Flow::PartialPayments, paid);
            self.receive(paid, out);
        }
    }

    fn charge_off(&mut self, from: StateId, month: Option<u32>, u_aux: u64, out: &mut PathOutcome) {
        let cx = self.cx;
        let balance = self.balance;
        if let Some(m) = month {
            self.start_workout(cx.stage_of[from as usize], out);
            out.totals[Total::GrossWriteOffs.idx()] += balance;
            out.totals[Total::ChargeOffs.idx()] += 1.0;
            out.write_offs[cx.layout.write_off(m as usize, self.segment, false)] += balance;
            out.vintage_write_offs[cx.layout.vintage_write_off(m as usize, self.vintage, false)] +=
                balance;
        }
        flow(cx, out, month, Flow::ChargeOffs, 1.0);
        flow(cx, out, month, Flow::GrossWriteOffs, balance);
        self.state = cx.charged_off;
        self.charged_off_balance = balance;
        self.claim = balance;
        self.balance = 0.0;
        self.months_since_charge_off = 0;
        let payer_threshold = if self.payer_thresholds.is_empty() {
            cx.payer_threshold
        } else {
            self.payer_thresholds[self.slot(month)]
        };
        self.payer = u_aux < payer_threshold;
        if cx.study.is_some() && month.is_some() {
            self.check_charged_off_points(month, out);
        }
        match (cx.sale_after_charge_off, cx.spot_sale) {
            (Some((0, price)), _) => self.sell_claim(month, price, out),
            (_, Some((m, price))) if month == Some(m) => self.sell_claim(month, price, out),
            _ => {}
        }
    }

    /// One month of a charged-off claim: in-house collection, then a sale if one falls due at
    /// the end of this month.
    fn charged_off_month(&mut self, month: Option<u32>, out: &mut PathOutcome) {
        let cx = self.cx;
        let k = self.months_since_charge_off as usize;
        self.months_since_charge_off += 1;
        if k < cx.payer_curve.len() && self.claim > 0.0 {
            if cx.cost_per_account > 0.0 {
                self.spend(cx.cost_per_account);
                if let Some(m) = month {
                    out.totals[Total::CollectionCosts.idx()] += cx.cost_per_account;
                    let idx = cx.layout.timeline.flow(m as usize, Flow::CollectionCosts);
                    out.timeline[idx] += cx.cost_per_account;
                }
            }
            if self.payer {
                let stress = if self.recovery_multipliers.is_empty() {
                    1.0
                } else {
                    self.recovery_multipliers[self.slot(month)]
                };
                let amount =
                    (stress * cx.payer_curve[k] * self.charged_off_balance).min(self.claim);
                if amount > 0.0 {
                    let cost = amount * cx.cost_share;
                    self.claim -= amount;
                    self.receive(amount, out);
                    self.spend(cost);
                    if let Some(m) = month {
                        out.totals[Total::Recoveries.idx()] += amount;
                        out.totals[Total::CollectionCosts.idx()] += cost;
                        out.write_offs[cx.layout.write_off(m as usize, self.segment, true)] +=
                            amount;
                        out.vintage_write_offs
                            [cx.layout.vintage_write_off(m as usize, self.vintage, true)] += amount;
                        flow(cx, out, month, Flow::Recoveries, amount);
                        flow(cx, out, month, Flow::CollectionCosts, cost);
                    }
                }
            }
        }
        if cx.study.is_some() && month.is_some() {
            self.check_charged_off_points(month, out);
        }
        if self.claim <= 0.0 {
            return;
        }
        if let Some((m, price)) = cx.sale_after_charge_off
            && self.months_since_charge_off == m
        {
            self.sell_claim(month, price, out);
        } else if let Some((m, price)) = cx.spot_sale
            && month == Some(m)
        {
            self.sell_claim(month, price, out);
        }
    }

    fn sell_claim(&mut self, month: Option<u32>, price: f64, out: &mut PathOutcome) {
        let cx = self.cx;
        let face = self.claim;
        let proceeds = face * price;
        self.receive(proceeds, out);
        if let Some(m) = month {
            out.totals[Total::SoldFace.idx()] += face;
            out.totals[Total::SaleProceeds.idx()] += proceeds;
            out.totals[Total::Sales.idx()] += 1.0;
            out.write_offs[cx.layout.write_off(m as usize, self.segment, true)] += proceeds;
            out.vintage_write_offs[cx.layout.vintage_write_off(m as usize, self.vintage, true)] +=
                proceeds;
        }
        flow(cx, out, month, Flow::Sales, 1.0);
        flow(cx, out, month, Flow::SaleProceeds, proceeds);
        self.claim = 0.0;
        self.state = cx.sold;
    }

    /// Sale points before charge-off reached by entering the current state.
    fn check_on_book_points(&mut self, month: Option<u32>, out: &mut PathOutcome) {
        let Some(study) = &self.cx.study else { return };
        if !matches!(
            self.cx.tables.kinds[self.state as usize],
            StateKind::Delinquent { .. }
        ) {
            return;
        }
        for i in 0..study.points.len() {
            if let PointKind::OnBook { first_state } = study.points[i].kind
                && self.state >= first_state
                && self.points_reached & (1 << i) == 0
            {
                self.reach_point(i, self.balance, 0, month, out);
            }
        }
    }

    /// Sale points at or after charge-off reached this month (and points before charge-off
    /// that the loan skipped by being charged off directly).
    fn check_charged_off_points(&mut self, month: Option<u32>, out: &mut PathOutcome) {
        let Some(study) = &self.cx.study else { return };
        for i in 0..study.points.len() {
            if self.points_reached & (1 << i) != 0 || self.claim <= 0.0 {
                continue;
            }
            let due = match study.points[i].kind {
                PointKind::OnBook { .. } => true,
                PointKind::AfterChargeOff { months } => months == self.months_since_charge_off,
            };
            if due {
                self.reach_point(i, self.claim, self.months_since_charge_off, month, out);
            }
        }
    }

    /// The loan reaches sale point `i` with `face` owed at debt age `age` (months since
    /// charge-off): record the face, value an agency placement and a sale now, and start
    /// following the hold value.
    fn reach_point(
        &mut self,
        i: usize,
        face: f64,
        age: u32,
        month: Option<u32>,
        out: &mut PathOutcome,
    ) {
        self.points_reached |= 1 << i;
        if month.is_none() || face <= 0.0 {
            return;
        }
        let cx = self.cx;
        let study = cx.study.as_ref().expect("points exist only in a study");
        let layout = cx.layout;
        let at = |field| layout.disposition(i, self.segment, field);
        out.disposition[at(DispositionField::Loans)] += 1.0;
        out.disposition[at(DispositionField::Face)] += face;
        self.holds[i] = HoldTracker {
            active: true,
            discount: 1.0,
            value: 0.0,
        };
        // Three draws per point, always, so every strategy sees the same numbers.
        let (seed, path, loan) = (cx.seed, self.path, self.loan);
        let rng = self
            .study_draws
            .get_or_insert_with(|| stream(seed, Stream::Disposition, path, loan));
        let mut uniform = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let (u_first, u_second, u_buyer) = (uniform(), uniform(), uniform());
        if let Some(agency) = &study.agency {
            let payers = (
                u_first < agency.first.payment_probability,
                agency
                    .second
                    .as_ref()
                    .is_some_and(|s| u_second < s.payment_probability),
            );
            out.disposition[at(DispositionField::Agency)] +=
                agency_value(agency, face, age, payers, self.lender_discount);
        }
        if let Some(price) = study.fixed_price {
            out.disposition[at(DispositionField::SaleFixed)] += price * face;
        }
        if let Some((buyer, v)) = &study.buyer
            && u_buyer < buyer.payment_probability
        {
            let mut left = face;
            let mut discount = 1.0;
            for (k, share) in buyer.curve.iter().skip(age as usize).enumerate() {
                discount *= v;
                let collected = (share / buyer.payment_probability * face).min(left);
                left -= collected;
                let net = collected * (1.0 - buyer.cost_share);
                out.buyer_cash[layout.buyer_cash(i, k)] += net;
                out.disposition[at(DispositionField::BuyerPv)] += net * discount;
                out.disposition[at(DispositionField::BuyerCollections)] += net;
            }
        }
    }

    /// Closes the workout and hold trackers: a loan still current when they stop counts its
    /// balance as recovered; a delinquent or charged-off balance as lost.
    fn finish(&mut self, out: &mut PathOutcome) {
        let performing = self.state == CURRENT && self.balance > 0.0;
        if performing && self.is_tracked() {
            self.receive(self.balance, out);
        }
        let layout = self.cx.layout;
        if let Some(w) = self.workout.take() {
            let groups = [
                layout.segment_group(self.segment),
                w.stage_group,
                layout.vintage_group(self.vintage),
            ];
            let closed = ClosedWorkout {
                defaults: 1.0,
                exposure: w.exposure,
                gross: w.gross,
                costs: w.costs,
                pv_gross: w.pv_gross,
                pv_costs: w.pv_costs,
            };
            closed.book(layout, groups, out);
        }
        if self.points_reached != 0 {
            for (i, h) in self.holds.iter_mut().enumerate() {
                if h.active {
                    out.disposition[layout.disposition(i, self.segment, DispositionField::Hold)] +=
                        h.value;
                }
                *h = HoldTracker::default();
            }
        }
    }
}

/// Adds `value` to flow `f` of `month` when the month is within the horizon.
#[inline]
fn flow(cx: &PathContext<'_>, out: &mut PathOutcome, month: Option<u32>, f: Flow, value: f64) {
    if let Some(m) = month {
        out.timeline[cx.layout.timeline.flow(m as usize, f)] += value;
    }
}

/// What count mode reads of a path's scratch once [`PathScratch::prepare_path`] has run.
impl PathScratch {
    /// The month slots' tables conditioned on the path's factor (`[slot][segment][row]`);
    /// empty without a factor, stress or posterior draws.
    pub(crate) fn conditioned(&self) -> &[Vec<Vec<SampledRow>>] {
        &self.conditioned
    }

    /// Payer threshold (of a `u32` draw) by month slot; empty when it does not vary.
    pub(crate) fn payer_thresholds(&self) -> &[u64] {
        &self.payer_thresholds
    }

    /// Recovery multiplier by month slot; empty when it does not vary.
    pub(crate) fn recovery_multipliers(&self) -> &[f64] {
        &self.recovery_multipliers
    }
}
