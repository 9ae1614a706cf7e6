//! The domain, with no IO: states and stages, transition matrices, products, collection
//! actions, charge-off and debt-sale policies and the money rules. Everything here is already
//! valid: the scenario module is the only way in, and it builds these types after checking them.
//!
//! Main types: [`Model`] (the whole behaviour of a book), [`StateSpace`], [`TransitionMatrix`],
//! [`SegmentModel`], [`CollectionAction`], [`DebtSale`].

pub mod disposition;
pub mod matrix;
pub mod money;
pub mod states;
pub mod systematic;

pub use matrix::{MatrixError, TransitionMatrix};
pub use states::{Bucket, StateId, StateKind, StateSpace};

/// A number for messages: at most 10 decimals, trailing zeros dropped, so the sum of
/// `0.9 + 0.05` reads `0.95`, not `0.9500000000000001`.
pub fn fmt_number(x: f64) -> String {
    let s = format!("{x:.10}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// `1234567.8` -> `1,234,568` (with `decimals` decimals).
pub fn group_thousands(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = s
        .split_once('.')
        .map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    if x < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    out
}

/// How a segment's loans pay while current.
#[derive(Debug, Clone, PartialEq)]
pub enum Product {
    /// Level monthly instalment that repays the balance over the remaining term (annuity).
    Instalment,
    /// Revolving line: pays interest plus `min_payment_rate` of the balance; current, unlocked
    /// accounts draw `draw_rate` of their unused limit each month.
    Revolving {
        draw_rate: f64,
        min_payment_rate: f64,
    },
}

/// Transition behaviour of one segment.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentModel {
    pub name: String,
    pub product: Product,
    /// Matrix used at every month on book not covered by an override.
    pub transitions: TransitionMatrix,
    /// `(first, last, matrix)`: used while `first <= months_on_book <= last`. Disjoint.
    pub by_month_on_book: Vec<(u32, u32, TransitionMatrix)>,
    /// Estimation posterior per matrix (aligned with [`SegmentModel::matrices`]) and state:
    /// the Dirichlet parameters of the row, or `None` for a row known exactly. Empty when the
    /// scenario states no posterior.
    pub posterior: Vec<Vec<Option<Vec<f64>>>>,
}

impl SegmentModel {
    /// Index into [`SegmentModel::matrices`] for a loan's months on book.
    pub fn matrix_index(&self, months_on_book: u32) -> usize {
        self.by_month_on_book
            .iter()
            .position(|(lo, hi, _)| (*lo..=*hi).contains(&months_on_book))
            .map_or(0, |i| i + 1)
    }

    /// The base matrix followed by each month-on-book override.
    pub fn matrices(&self) -> impl Iterator<Item = &TransitionMatrix> {
        std::iter::once(&self.transitions).chain(self.by_month_on_book.iter().map(|(_, _, m)| m))
    }
}

/// A collection action applied every month to each account in a stage.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionAction {
    pub name: String,
    /// Index into [`StateSpace::stages`].
    pub stage: usize,
    /// Currency per account per month in the stage.
    pub cost_per_account: f64,
    /// Multiplies the probability of curing (moving to `current`).
    pub cure_multiplier: f64,
    /// Multiplies every probability of rolling forward (to a worse bucket or `charged_off`).
    pub roll_multiplier: f64,
    /// Segments it applies to; `None` for all.
    pub segments: Option<Vec<usize>>,
}

impl CollectionAction {
    pub fn applies_to(&self, segment_idx: usize) -> bool {
        self.segments
            .as_ref()
            .is_none_or(|s| s.contains(&segment_idx))
    }
}

/// Partial payments by delinquent loans that stay delinquent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PartialPayments {
    /// Probability that a delinquent loan pays something in a month.
    pub probability: f64,
    /// The share of the arrears paid is Beta(alpha, beta).
    pub share_alpha: f64,
    pub share_beta: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MoneyRules {
    /// Contractual interest keeps accruing (capitalised into the balance) while overdue.
    pub accrue_interest_while_overdue: bool,
    /// Fee added to the balance for each month a loan ends overdue.
    pub late_fee: f64,
    pub partial_payments: Option<PartialPayments>,
    /// Revolving lines unlock when the account cures (otherwise locked for good once overdue).
    pub unlock_on_cure: bool,
}

/// In-house collection of charged-off balances.
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveryPolicy {
    /// `curve[k]`: expected share of the charged-off balance recovered in month `k + 1` after
    /// charge-off. Collection ends after the last month of the curve.
    pub curve: Vec<f64>,
    /// Share of charged-off accounts that pay at all (drawn once per account at charge-off).
    /// A paying account recovers `curve[k] / payment_probability` of its charged-off balance in
    /// month `k + 1`, so the mean follows the curve and loan-level recovery is bimodal (most
    /// accounts recover nothing), as unsecured recoveries are.
    pub payment_probability: f64,
    /// Cost of in-house collection as a share of what is recovered.
    pub cost_share: f64,
    /// Cost per open charged-off account per month of in-house collection.
    pub cost_per_account: f64,
}

impl RecoveryPolicy {
    pub fn none() -> RecoveryPolicy {
        RecoveryPolicy {
            curve: Vec::new(),
            payment_probability: 1.0,
            cost_share: 0.0,
            cost_per_account: 0.0,
        }
    }
}

/// When debt is sold outright to a third-party buyer, and at what price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DebtSale {
    /// A loan entering `state` is sold that month; face value is its balance.
    OnEntering { state: StateId, price: f64 },
    /// One-off spot sale: at the end of horizon month `month` every open charged-off claim is
    /// sold; face value is what is left of each claim.
    Spot { month: u32, price: f64 },
    /// A charged-off claim is sold at the end of the `months`-th month after charge-off, after
    /// that many months of in-house collection (0: at charge-off); face value is what is left
    /// of the claim.
    AfterChargeOff { months: u32, price: f64 },
}

/// Everything about how loans behave, for every segment. Built by the scenario module.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub space: StateSpace,
    pub segments: Vec<SegmentModel>,
    pub actions: Vec<CollectionAction>,
    /// Buckets that are charged off on entry (the charge-off policy).
    pub charge_off_on_entering: Vec<StateId>,
    pub money: MoneyRules,
    pub recovery: RecoveryPolicy,
    pub debt_sale: Option<DebtSale>,
    /// Effective annual rate used to discount recoveries to the default date; `None`: each
    /// loan's own APR (its effective interest rate, as IFRS 9 discounts).
    pub discount_rate: Option<f64>,
    /// What counts as default, starting the recovery clock.
    pub default_definition: DefaultDefinition,
    /// The disposition study, when the scenario asks for one.
    pub disposition: Option<disposition::DispositionStudy>,
    /// The systematic factor; `None`: loans are independent given the scenario.
    pub systematic: Option<systematic::Systematic>,
    /// Named stress scenarios run as a set on common random numbers; empty: one plain run.
    pub stress: Vec<systematic::StressPath>,
    /// Each path draws its transition matrices from the segments' estimation posteriors
    /// (`parameter_uncertainty = "posterior"`), so results carry estimation uncertainty as
    /// well as process noise.
    pub draw_posterior: bool,
}

/// The event that starts the loss clock for recovery rates.
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultDefinition {
    /// Charge-off (or a sale while delinquent).
    ChargeOff,
    /// Rolling past `dpd` days past due: entering any of `states` (buckets starting after it),
    /// or charge-off or sale before that.
    DaysPastDue { dpd: u32, states: Vec<StateId> },
}

impl DefaultDefinition {
    pub fn describe(&self) -> String {
        match self {
            DefaultDefinition::ChargeOff => "charge-off".to_string(),
            DefaultDefinition::DaysPastDue { dpd, .. } => format!("more than {dpd} days past due"),
        }
    }
}

/// Why collection actions cannot be applied to a row.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ActionError {
    #[error(
        "actions on `{state}` in segment `{segment}` raise cure and roll probabilities to {total:.4}; the rest of the row cannot absorb it"
    )]
    NoRoom {
        segment: String,
        state: String,
        total: f64,
    },
}

impl Model {
    /// The matrix a loan actually follows: collection actions applied to the segment's stated
    /// matrix, then charge-off and sale triggers redirected.
    ///
    /// Action rule (documented in docs/SCENARIOS.md): within a stage's rows, the probability of
    /// curing is multiplied by the product of the actions' `cure_multiplier`s and each
    /// roll-forward probability by the product of their `roll_multiplier`s; the other entries
    /// of the row (staying, partial improvement, pay-off, sale) are scaled together so the row
    /// sums to one again.
    pub fn effective_matrix(
        &self,
        segment_idx: usize,
        matrix: &TransitionMatrix,
    ) -> Result<TransitionMatrix, ActionError> {
        let space = &self.space;
        let mut rows = matrix.to_rows();
        for from in space.on_book() {
            let Some(stage) = space.states[from as usize].stage else {
                continue;
            };
            let (mut cure_mult, mut roll_mult) = (1.0, 1.0);
            for action in &self.actions {
                if action.stage == stage && action.applies_to(segment_idx) {
                    cure_mult *= action.cure_multiplier;
                    roll_mult *= action.roll_multiplier;
                }
            }
            if cure_mult == 1.0 && roll_mult == 1.0 {
                continue;
            }
            let row = &mut rows[from as usize];
            let is_roll = |to: StateId| space.is_worse(from, to) || to == space.charged_off();
            let is_cure = |to: StateId| to == states::CURRENT && from != states::CURRENT;
            let (mut moved, mut rest) = (0.0, 0.0);
            for (to, p) in row.iter_mut().enumerate() {
                let to = to as StateId;
                if is_cure(to) {
                    *p *= cure_mult;
                    moved += *p;
                } else if is_roll(to) {
                    *p *= roll_mult;
                    moved += *p;
                } else {
                    rest += *p;
                }
            }
            let target_rest = 1.0 - moved;
            if target_rest < -1e-12 || (rest == 0.0 && target_rest.abs() > 1e-12) {
                return Err(ActionError::NoRoom {
                    segment: self.segments[segment_idx].name.clone(),
                    state: space.name(from).to_string(),
                    total: moved,
                });
            }
            let scale = if rest > 0.0 {
                target_rest.max(0.0) / rest
            } else {
                0.0
            };
            for (to, p) in row.iter_mut().enumerate() {
                let to = to as StateId;
                if !is_cure(to) && !is_roll(to) {
                    *p *= scale;
                }
            }
            // Remove the rounding left by the multiplications so the row passes validation.
            let sum: f64 = row.iter().sum();
            let largest = (0..row.len())
                .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                .expect("row is not empty");
            row[largest] += 1.0 - sum;
        }
        self.redirect_triggers(&mut rows);
        Ok(TransitionMatrix::new(space, rows).expect("actions and triggers keep rows valid"))
    }

    /// Moves the probability of entering a trigger bucket to `charged_off` or `sold`.
    fn redirect_triggers(&self, rows: &mut [Vec<f64>]) {
        let space = &self.space;
        let mut redirects: Vec<(StateId, StateId)> = self
            .charge_off_on_entering
            .iter()
            .map(|&s| (s, space.charged_off()))
            .collect();
        if let Some(DebtSale::OnEntering { state, .. }) = self.debt_sale {
            redirects.push((state, space.sold()));
        }
        for from in space.on_book() {
            let row = &mut rows[from as usize];
            for &(trigger, to) in &redirects {
                let p = std::mem::take(&mut row[trigger as usize]);
                row[to as usize] += p;
            }
        }
    }

    /// States a loan can be in at the start of the simulation (not a trigger bucket).
    pub fn is_trigger(&self, state: StateId) -> bool {
        self.charge_off_on_entering.contains(&state)
            || matches!(self.debt_sale, Some(DebtSale::OnEntering { state: s, .. }) if s == state)
    }

    /// Whether any segment states an estimation posterior for its rows.
    pub fn has_posterior(&self) -> bool {
        self.segments
            .iter()
            .any(|s| s.posterior.iter().flatten().any(Option::is_some))
    }

    /// Collection cost per account per month for a segment in a state.
    pub fn action_cost(&self, segment_idx: usize, state: StateId) -> f64 {
        let Some(stage) = self.space.states[state as usize].stage else {
            return 0.0;
        };
        self.actions
            .iter()
            .filter(|a| a.stage == stage && a.applies_to(segment_idx))
            .map(|a| a.cost_per_account)
            .sum()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use states::example_space;

    pub(crate) fn simple_model() -> Model {
        let space = example_space();
        let n = space.len();
        let mut rows = vec![vec![0.0; n]; n];
        rows[0][0] = 0.90;
        rows[0][1] = 0.08;
        rows[0][4] = 0.02;
        rows[1][0] = 0.40;
        rows[1][1] = 0.20;
        rows[1][2] = 0.40;
        rows[2][0] = 0.10;
        rows[2][2] = 0.10;
        rows[2][3] = 0.80;
        rows[3][3] = 0.10;
        rows[3][5] = 0.90;
        let transitions = TransitionMatrix::new(&space, rows).unwrap();
        Model {
            space,
            segments: vec![SegmentModel {
                name: "all".into(),
                product: Product::Instalment,
                transitions,
                by_month_on_book: vec![],
                posterior: vec![],
            }],
            actions: vec![],
            charge_off_on_entering: vec![],
            money: MoneyRules {
                accrue_interest_while_overdue: false,
                late_fee: 0.0,
                partial_payments: None,
                unlock_on_cure: false,
            },
            recovery: RecoveryPolicy::none(),
            debt_sale: None,
            discount_rate: None,
            default_definition: DefaultDefinition::ChargeOff,
            disposition: None,
            systematic: None,
            stress: Vec::new(),
            draw_posterior: false,
        }
    }

    #[test]
    fn cure_multiplier_takes_room_from_staying() {
        let mut model = simple_model();
        model.actions.push(CollectionAction {
            name: "calls".into(),
            stage: 0,
            cost_per_account: 1.0,
            cure_multiplier: 1.5,
            roll_multiplier: 0.5,
            segments: None,
        });
        let m = model
            .effective_matrix(0, &model.segments[0].transitions)
            .unwrap();
        // dpd_1_30: cure 0.4 -> 0.6, roll 0.4 -> 0.2, stay absorbs: 0.2.
        assert!((m.get(1, 0) - 0.6).abs() < 1e-12);
        assert!((m.get(1, 2) - 0.2).abs() < 1e-12);
        assert!((m.get(1, 1) - 0.2).abs() < 1e-12);
        // Rows outside the stage are untouched.
        assert_eq!(m.get(2, 3), 0.8);
        assert_eq!(model.action_cost(0, 1), 1.0);
        assert_eq!(model.action_cost(0, 2), 0.0);
    }

    #[test]
    fn action_with_no_room_is_an_error() {
        let mut model = simple_model();
        model.actions.push(CollectionAction {
            name: "visits".into(),
            stage: 0,
            cost_per_account: 1.0,
            cure_multiplier: 2.0,
            roll_multiplier: 1.0,
            segments: None,
        });
        assert!(
            model
                .effective_matrix(0, &model.segments[0].transitions)
                .is_err()
        );
    }

    #[test]
    fn charge_off_trigger_redirects_entry() {
        let mut model = simple_model();
        model.charge_off_on_entering = vec![3];
        let m = model
            .effective_matrix(0, &model.segments[0].transitions)
            .unwrap();
        assert_eq!(m.get(2, 3), 0.0);
        assert!((m.get(2, 5) - 0.8).abs() < 1e-12);
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(1_234_567.8, 0), "1,234,568");
        assert_eq!(group_thousands(-999.0, 0), "-999");
        assert_eq!(group_thousands(12.345, 2), "12.35");
        assert_eq!(group_thousands(f64::NAN, 0), "n/a");
    }
}
