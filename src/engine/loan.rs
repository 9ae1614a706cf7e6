//! One loan on one path: month by month through the states, moving money between the ledger's
//! lines (repaid, recovered, sold, written off, outstanding) as the money rules say. This is the
//! inner loop; everything it needs is precomputed in [`PathContext`].
//!
//! Conventions (docs/SCENARIOS.md has the full text):
//! - months are steps of the transition matrix; cash flows fall at the end of the month;
//! - a current loan pays its instalment (interest first, the rest reduces the balance);
//! - a loan moving into delinquency pays nothing, except a partial payment (a Beta share of
//!   its arrears) with the scenario's probability; interest and late fees are capitalised if
//!   the scenario says so; revolving lines lock;
//! - a cure pays the instalments in arrears plus the month's instalment;
//! - charge-off writes off the whole balance; the claim then follows the recovery curve until
//!   it ends or the claim is sold.

use rand::Rng;
use rand_distr::{Beta, Distribution};

use super::rng::{Stream, StreamRng, stream};
use super::tables::Tables;
use crate::book::LoanBook;
use crate::metrics::{Flow, PathOutcome, TimelineLayout, Total};
use crate::model::states::CURRENT;
use crate::model::{DebtSale, Model, Product, StateId, StateKind};

/// Balances below this are treated as repaid (a thousandth of a currency unit).
const ZERO_BALANCE: f64 = 1e-3;

/// Everything the loan loop reads, computed once per run.
pub struct PathContext<'a> {
    pub model: &'a Model,
    pub book: &'a LoanBook,
    pub tables: Tables,
    pub layout: TimelineLayout,
    pub seed: u64,
    pub horizon_months: u32,
    charged_off: StateId,
    sold: StateId,
    paid_off: StateId,
    /// `(months after charge-off, price)`.
    sale_after_charge_off: Option<(u32, f64)>,
    sale_on_entering_price: f64,
    /// Probability a charged-off account pays, as a threshold on a `u32` draw.
    payer_threshold: u64,
    partial_threshold: u64,
    partial_share: Option<Beta<f64>>,
    /// `curve[k] / payment_probability`: a paying account's share in month `k + 1`.
    payer_curve: Vec<f64>,
    cost_share: f64,
    /// Monthly discount factor from the scenario's rate; `None`: each loan's APR / 12.
    discount_factor: Option<f64>,
}

fn threshold(p: f64) -> u64 {
    (p * 4_294_967_296.0).round() as u64
}

impl<'a> PathContext<'a> {
    pub fn new(
        model: &'a Model,
        book: &'a LoanBook,
        tables: Tables,
        seed: u64,
        horizon_months: u32,
    ) -> PathContext<'a> {
        let space = &model.space;
        let (sale_after_charge_off, sale_on_entering_price) = match model.debt_sale {
            Some(DebtSale::AfterChargeOff { months, price }) => (Some((months, price)), 0.0),
            Some(DebtSale::OnEntering { price, .. }) => (None, price),
            None => (None, 0.0),
        };
        let partial = model.money.partial_payments;
        let recovery = &model.recovery;
        PathContext {
            model,
            book,
            tables,
            layout: TimelineLayout {
                n_states: space.len(),
                horizon_months: horizon_months as usize,
            },
            seed,
            horizon_months,
            charged_off: space.charged_off(),
            sold: space.sold(),
            paid_off: space.paid_off(),
            sale_after_charge_off,
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
            discount_factor: model.discount_rate.map(|r| (1.0 + r).powf(-1.0 / 12.0)),
        }
    }

    pub fn n_loans(&self) -> usize {
        self.book.len()
    }
}

/// Level payment repaying `balance` over `term` months at monthly rate `rate` (annuity).
pub fn annuity(balance: f64, rate: f64, term: u32) -> f64 {
    if term == 0 {
        return balance * (1.0 + rate);
    }
    if rate == 0.0 {
        return balance / f64::from(term);
    }
    balance * rate / (1.0 - (1.0 + rate).powi(-(term as i32)))
}

/// Per-path scratch: the timeline carry for loans that stopped moving.
pub struct PathScratch {
    /// `carry[layout.loans/balance(month, state)]`: loans settling for good at that month.
    carry: Vec<f64>,
}

impl PathScratch {
    pub fn new(layout: TimelineLayout) -> PathScratch {
        PathScratch {
            carry: vec![0.0; layout.len()],
        }
    }

    /// Adds the settled loans to every month from the one they settled in, and clears.
    pub fn finish(&mut self, layout: TimelineLayout, out: &mut PathOutcome) {
        for state in 0..layout.n_states {
            let (mut loans, mut balance) = (0.0, 0.0);
            for month in 0..=layout.horizon_months {
                loans += std::mem::take(&mut self.carry[layout.loans(month, state)]);
                balance += std::mem::take(&mut self.carry[layout.balance(month, state)]);
                out.timeline[layout.loans(month, state)] += loans;
                out.timeline[layout.balance(month, state)] += balance;
            }
        }
    }
}

/// A loan's moving parts.
struct LoanRun<'c, 'a> {
    cx: &'c PathContext<'a>,
    segment: usize,
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
    /// Discount factor from the default date to the current month.
    discount: f64,
    monthly_discount: f64,
    amounts: Option<StreamRng>,
    path: u64,
    loan: u64,
}

/// Simulates loan `loan` on path `path`, adding into `out` (totals and timeline).
pub fn simulate_loan(
    cx: &PathContext<'_>,
    path: u64,
    loan: usize,
    out: &mut PathOutcome,
    scratch: &mut PathScratch,
) {
    let book = cx.book;
    let segment = book.segment[loan] as usize;
    let rate = book.apr[loan] / 12.0;
    let balance = book.balance[loan];
    let state = book.state[loan];
    let term_left = book.remaining_term[loan];
    let product = &cx.model.segments[segment].product;
    let mut run = LoanRun {
        cx,
        segment,
        state,
        balance,
        rate,
        instalment: 0.0,
        term_left,
        credit_limit: book.credit_limit[loan],
        locked: state != CURRENT,
        claim: 0.0,
        charged_off_balance: 0.0,
        months_since_charge_off: 0,
        payer: false,
        discount: 1.0,
        monthly_discount: cx.discount_factor.unwrap_or(1.0 / (1.0 + rate)),
        amounts: None,
        path,
        loan: loan as u64,
    };
    run.instalment = run.scheduled_payment(product);
    let layout = cx.layout;
    out.totals[Total::OriginalBalance.idx()] += balance;
    out.timeline[layout.loans(0, state as usize)] += 1.0;
    out.timeline[layout.balance(0, state as usize)] += balance;

    let mut rng = stream(cx.seed, Stream::LoanMonths, path, loan as u64);
    let start_months_on_book = book.months_on_book[loan];
    for month in 1..=cx.horizon_months {
        // Months on book during this month's move (0 for a loan originated this month).
        let months_on_book = start_months_on_book + month - 1;
        let u = rng.next_u64();
        let (u_transition, u_aux) = ((u >> 32) as u32, u64::from(u as u32));
        match cx.tables.kinds[run.state as usize] {
            StateKind::Current | StateKind::Delinquent { .. } => {
                run.on_book_month(month, months_on_book, u_transition, u_aux, out);
            }
            StateKind::ChargedOff => run.charged_off_month(Some(month), out),
            StateKind::PaidOff | StateKind::Sold => {}
        }
        if run.is_settled() {
            // Nothing changes any more: book the loan into every remaining month at once.
            let (s, m) = (run.state as usize, month as usize);
            let shown_balance = run.shown_balance();
            scratch.carry[layout.loans(m, s)] += 1.0;
            scratch.carry[layout.balance(m, s)] += shown_balance;
            break;
        }
        out.timeline[layout.loans(month as usize, run.state as usize)] += 1.0;
        out.timeline[layout.balance(month as usize, run.state as usize)] += run.shown_balance();
    }
    if run.state == cx.charged_off {
        out.totals[Total::WrittenOffNet.idx()] += run.claim;
        // Follow the workout past the horizon so recovery rates are complete.
        while !run.is_settled() {
            run.charged_off_month(None, out);
        }
    } else if cx.tables.kinds[run.state as usize].is_on_book() {
        out.totals[Total::Outstanding.idx()] += run.balance;
    }
}

impl LoanRun<'_, '_> {
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
        let sale_to_come = cx
            .sale_after_charge_off
            .is_some_and(|(m, _)| self.months_since_charge_off < m && self.claim > 0.0);
        !collecting && !sale_to_come
    }

    fn on_book_month(
        &mut self,
        month: u32,
        months_on_book: u32,
        u_transition: u32,
        u_aux: u64,
        out: &mut PathOutcome,
    ) {
        let cx = self.cx;
        let layout = cx.layout;
        let tables = &cx.tables.segments[self.segment];
        let from = self.state;
        let cost = tables.cost[from as usize];
        if cost > 0.0 {
            out.totals[Total::CollectionCosts.idx()] += cost;
            out.timeline[layout.flow(month as usize, Flow::CollectionCosts)] += cost;
        }
        let to = tables.row(months_on_book, from).sample(u_transition);
        let flow = |f: Flow| layout.flow(month as usize, f);
        let product = &cx.model.segments[self.segment].product;
        match cx.tables.kinds[to as usize] {
            StateKind::Current if from == CURRENT => {
                self.pay_scheduled(product, month, out);
            }
            StateKind::Current => {
                out.timeline[flow(Flow::Cures)] += 1.0;
                self.cure(product, month, out);
            }
            StateKind::Delinquent { .. } => {
                if from == CURRENT {
                    out.timeline[flow(Flow::NewDelinquencies)] += 1.0;
                } else if to > from {
                    out.timeline[flow(Flow::RollForwards)] += 1.0;
                }
                self.state = to;
                self.miss_payment(to, month, u_aux, out);
            }
            StateKind::PaidOff => {
                // Prepayment (or settlement) in full, with the month's interest.
                let interest = self.balance * self.rate;
                out.totals[Total::InterestCollected.idx()] += interest;
                out.timeline[flow(Flow::Prepayments)] += self.balance + interest;
                self.pay_off(month, out);
            }
            StateKind::ChargedOff => self.charge_off(month, u_aux, out),
            StateKind::Sold => {
                // Sold on entering a bucket: the sale is the default and its price the recovery.
                let face = self.balance;
                let proceeds = face * cx.sale_on_entering_price;
                out.totals[Total::SoldFace.idx()] += face;
                out.totals[Total::SaleProceeds.idx()] += proceeds;
                out.totals[Total::SoldFaceBeforeChargeOff.idx()] += face;
                out.totals[Total::SaleProceedsBeforeChargeOff.idx()] += proceeds;
                out.totals[Total::Sales.idx()] += 1.0;
                out.totals[Total::Defaults.idx()] += 1.0;
                out.totals[Total::ExposureAtDefault.idx()] += face;
                out.totals[Total::WorkoutRecoveries.idx()] += proceeds;
                out.totals[Total::WorkoutRecoveriesPvNet.idx()] += proceeds;
                out.timeline[flow(Flow::Sales)] += 1.0;
                out.timeline[flow(Flow::SaleProceeds)] += proceeds;
                self.balance = 0.0;
                self.state = cx.sold;
            }
        }
        self.term_left = self.term_left.saturating_sub(1);
    }

    fn pay_scheduled(&mut self, product: &Product, month: u32, out: &mut PathOutcome) {
        let cx = self.cx;
        let layout = cx.layout;
        let interest = self.balance * self.rate;
        let principal = match *product {
            Product::Instalment if self.term_left <= 1 => self.balance,
            Product::Instalment => (self.instalment - interest).clamp(0.0, self.balance),
            Product::Revolving {
                min_payment_rate, ..
            } => self.balance * min_payment_rate,
        };
        self.balance -= principal;
        out.totals[Total::Repaid.idx()] += principal;
        out.totals[Total::InterestCollected.idx()] += interest;
        out.timeline[layout.flow(month as usize, Flow::ScheduledPayments)] += principal + interest;
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
                    out.totals[Total::Drawn.idx()] += draw;
                    out.timeline[layout.flow(month as usize, Flow::Drawdowns)] += draw;
                }
                self.instalment = self.scheduled_payment(product);
            }
        }
    }

    /// Repays what is left of the balance and closes the loan as paid off.
    fn pay_off(&mut self, month: u32, out: &mut PathOutcome) {
        out.totals[Total::Repaid.idx()] += self.balance;
        out.totals[Total::PayOffs.idx()] += 1.0;
        out.timeline[self.cx.layout.flow(month as usize, Flow::PayOffs)] += 1.0;
        self.balance = 0.0;
        self.state = self.cx.paid_off;
    }

    fn cure(&mut self, product: &Product, month: u32, out: &mut PathOutcome) {
        let cx = self.cx;
        let layout = cx.layout;
        let arrears = (cx.tables.months_past_due[self.state as usize] + 1.0) * self.instalment;
        let interest = self.balance * self.rate;
        let cash = arrears.min(self.balance + interest);
        let interest_paid = interest.min(cash);
        let principal = cash - interest_paid;
        self.balance -= principal;
        out.totals[Total::Repaid.idx()] += principal;
        out.totals[Total::InterestCollected.idx()] += interest_paid;
        out.timeline[layout.flow(month as usize, Flow::CurePayments)] += cash;
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

    fn miss_payment(&mut self, to: StateId, month: u32, u_aux: u64, out: &mut PathOutcome) {
        let cx = self.cx;
        let layout = cx.layout;
        let money = &cx.model.money;
        self.locked = true;
        let mut charges = money.late_fee;
        if money.accrue_interest_while_overdue {
            charges += self.balance * self.rate;
        }
        if charges > 0.0 {
            self.balance += charges;
            out.totals[Total::AccruedCharges.idx()] += charges;
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
            out.totals[Total::Repaid.idx()] += paid;
            out.timeline[layout.flow(month as usize, Flow::PartialPayments)] += paid;
        }
    }

    fn charge_off(&mut self, month: u32, u_aux: u64, out: &mut PathOutcome) {
        let cx = self.cx;
        let layout = cx.layout;
        let balance = self.balance;
        out.totals[Total::GrossWriteOffs.idx()] += balance;
        out.totals[Total::ChargeOffs.idx()] += 1.0;
        out.totals[Total::Defaults.idx()] += 1.0;
        out.totals[Total::ExposureAtDefault.idx()] += balance;
        out.timeline[layout.flow(month as usize, Flow::ChargeOffs)] += 1.0;
        out.timeline[layout.flow(month as usize, Flow::GrossWriteOffs)] += balance;
        self.state = cx.charged_off;
        self.charged_off_balance = balance;
        self.claim = balance;
        self.balance = 0.0;
        self.months_since_charge_off = 0;
        self.discount = 1.0;
        self.payer = u_aux < cx.payer_threshold;
        if let Some((0, price)) = cx.sale_after_charge_off {
            self.sell_claim(Some(month), price, out);
        }
    }

    /// One month of a charged-off claim: in-house collection, then the sale if it falls due at
    /// the end of this month. `month` is `None` past the horizon, where only the workout
    /// totals move.
    fn charged_off_month(&mut self, month: Option<u32>, out: &mut PathOutcome) {
        let cx = self.cx;
        self.discount *= self.monthly_discount;
        let k = self.months_since_charge_off as usize;
        self.months_since_charge_off += 1;
        if self.payer && k < cx.payer_curve.len() {
            let amount = (cx.payer_curve[k] * self.charged_off_balance).min(self.claim);
            if amount > 0.0 {
                let cost = amount * cx.cost_share;
                self.claim -= amount;
                out.totals[Total::WorkoutRecoveries.idx()] += amount;
                out.totals[Total::WorkoutCosts.idx()] += cost;
                out.totals[Total::WorkoutRecoveriesPvNet.idx()] += (amount - cost) * self.discount;
                if let Some(month) = month {
                    let layout = cx.layout;
                    out.totals[Total::Recoveries.idx()] += amount;
                    out.totals[Total::CollectionCosts.idx()] += cost;
                    out.timeline[layout.flow(month as usize, Flow::Recoveries)] += amount;
                    out.timeline[layout.flow(month as usize, Flow::CollectionCosts)] += cost;
                }
            }
        }
        if let Some((m, price)) = cx.sale_after_charge_off
            && self.months_since_charge_off == m
            && self.claim > 0.0
        {
            self.sell_claim(month, price, out);
        }
    }

    fn sell_claim(&mut self, month: Option<u32>, price: f64, out: &mut PathOutcome) {
        let cx = self.cx;
        let face = self.claim;
        let proceeds = face * price;
        out.totals[Total::WorkoutRecoveries.idx()] += proceeds;
        out.totals[Total::WorkoutRecoveriesPvNet.idx()] += proceeds * self.discount;
        if let Some(month) = month {
            let layout = cx.layout;
            out.totals[Total::SoldFace.idx()] += face;
            out.totals[Total::SaleProceeds.idx()] += proceeds;
            out.totals[Total::Sales.idx()] += 1.0;
            out.timeline[layout.flow(month as usize, Flow::Sales)] += 1.0;
            out.timeline[layout.flow(month as usize, Flow::SaleProceeds)] += proceeds;
        }
        self.claim = 0.0;
        self.state = cx.sold;
    }
}
