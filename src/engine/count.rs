//! Count mode: each row of the book is a cell of identical loans, and a path moves the number of
//! loans between states instead of each loan. A month of a cell is one multinomial draw per
//! group of its loans (chained binomials), so its cost does not depend on how many loans the
//! cell holds: a book of 10^8 loans in a few hundred cells runs as fast as a few hundred loans.
//!
//! What is exact and what is not:
//! - **Counts are exact in distribution.** Given the path's factor, loans move independently
//!   with the row's probabilities (the same quantised probabilities loan mode samples from:
//!   [`SampledRow::widths`]), so the number moving to each destination is multinomial; payers
//!   at charge-off and partial payers are binomial. State occupancy, charge-offs, sales and
//!   pay-offs have loan mode's distribution.
//! - **Money follows groups.** A cell's loans are kept in groups that share everything the money
//!   rules look at (state, locked line, months since charge-off, payer, month and stage of
//!   default); a group holds totals (balance, instalment, claim, workout figures), and loans
//!   leaving it take their share of each total. Loans of one group whose histories differ
//!   (a loan that missed a payment in month 3 and cured, beside one that never missed) carry
//!   the group's average balance from then on. Every money rule is linear in the balance (the
//!   few clamps aside), so amounts are exact in expectation; what is left out is the spread that
//!   balance differences within a group add to a total, which is small beside the spread of the
//!   counts (the tests measure both against loan mode).
//! - Partial payments: the number of partial payers is binomial; the shares they pay are drawn
//!   one by one up to [`EXACT_SHARES`] payers and as a normal sum (same mean and variance,
//!   clamped to what can be paid) beyond.
//! - The disposition study values each loan's own sale points and is not run in count mode (the
//!   scenario checks refuse it).
//!
//! The month's order of events, the money rules and the workout past the horizon are loan
//! mode's ([`super::loan`]); the comments there hold for the groups here.

use rand::Rng;
use rand_distr::{Beta, Binomial, Distribution, StandardNormal};

use super::loan::{ClosedWorkout, PathContext, PathScratch, book_settled};
use super::outcome::{Flow, PathOutcome, Total, WORKOUT_CAP_MONTHS};
use super::tables::SampledRow;
use crate::model::money::annuity;
use crate::model::states::CURRENT;
use crate::model::{Product, StateId, StateKind};
use crate::rng::{Stream, StreamFamily, StreamRng, stream_in};

/// Average balance below which a group counts as repaid (loan mode's threshold per loan).
const ZERO_BALANCE: f64 = 1e-3;

/// Partial payers whose shares are drawn one by one; beyond, their sum is drawn as a normal.
pub const EXACT_SHARES: u64 = 4;

/// Binomials of at most this many trials are drawn as separate Bernoulli trials.
const SMALL_BINOMIAL: u64 = 48;

/// The full range of a `u32` draw: row widths are shares of it.
const RANGE: u64 = 1 << 32;

/// What a group's loans share; groups with equal keys in a cell merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    state: StateId,
    /// Revolving lines only (instalment loans always `false`).
    locked: bool,
    /// Charged-off claims only.
    months_since_charge_off: u32,
    /// Charged-off claims only: the account pays on the recovery curve.
    payer: bool,
    /// Horizon month of default; 0: not defaulted.
    default_month: u32,
    /// The layout's stage group of the default (0 when not defaulted).
    stage_group: u16,
    /// Partial payments made in the current delinquency episode, up to [`MAX_PARTIALS`]: a
    /// loan that paid part of its arrears owes less than one that did not, and whether a cure
    /// clears a balance depends on it, so the two do not share averages.
    partials: u8,
    /// Step at which the current delinquency episode began (0: current, or delinquent since
    /// before the start): loans that fell behind at different times owe different multiples
    /// of their instalment.
    episode_start: u32,
}

impl Key {
    /// The key as one number (14 bits for each month count: horizons stop at 600 months and
    /// workouts 120 past them), so merging compares one word.
    fn packed(&self) -> u64 {
        const MONTHS: u32 = 14;
        debug_assert!(self.default_month < 1 << MONTHS && self.episode_start < 1 << MONTHS);
        let mut k = u64::from(self.state);
        k = k << 1 | u64::from(self.locked);
        k = k << 1 | u64::from(self.payer);
        k = k << 2 | u64::from(self.partials);
        k = k << 8 | u64::from(self.stage_group.min(255));
        k = k << MONTHS | u64::from(self.months_since_charge_off.min((1 << MONTHS) - 1));
        k = k << MONTHS | u64::from(self.default_month);
        k << MONTHS | u64::from(self.episode_start)
    }
}

/// Partial payments told apart in a group's key; more count as this many.
const MAX_PARTIALS: u8 = 2;

/// Loans of one cell that share a [`Key`], with their totals.
#[derive(Debug, Clone, Copy)]
struct Group {
    key: Key,
    /// `key.packed()`, set when the group is kept for the next month.
    packed: u64,
    loans: u64,
    balance: f64,
    instalment: f64,
    claim: f64,
    charged_off_balance: f64,
    /// Workout figures since default (defaulted groups only).
    exposure: f64,
    gross: f64,
    costs: f64,
    pv_gross: f64,
    pv_costs: f64,
    /// Discount factor to the default date and months since default: the same for every
    /// group of a cell with the same default month.
    discount: f64,
    workout_months: u32,
}

impl Group {
    /// Takes `k` of the group's loans with their share of every total; taking them all moves
    /// the totals whole and leaves an empty group.
    fn take(&mut self, k: u64) -> Group {
        if k == self.loans {
            let all = *self;
            self.loans = 0;
            return all;
        }
        let f = k as f64 / self.loans as f64;
        let mut part = *self;
        part.loans = k;
        for (mine, theirs) in self.totals_mut().into_iter().zip(part.totals_mut()) {
            *theirs = *mine * f;
            *mine -= *theirs;
        }
        self.loans -= k;
        part
    }

    fn totals_mut(&mut self) -> [&mut f64; 9] {
        [
            &mut self.balance,
            &mut self.instalment,
            &mut self.claim,
            &mut self.charged_off_balance,
            &mut self.exposure,
            &mut self.gross,
            &mut self.costs,
            &mut self.pv_gross,
            &mut self.pv_costs,
        ]
    }

    fn absorb(&mut self, mut other: Group) {
        self.loans += other.loans;
        for (mine, theirs) in self.totals_mut().into_iter().zip(other.totals_mut()) {
            *mine += *theirs;
        }
    }

    fn defaulted(&self) -> bool {
        self.key.default_month != 0
    }
}

/// Per-thread scratch, reused cell after cell.
pub struct CountScratch {
    groups: Vec<Group>,
    next: Vec<Group>,
    /// Groups settled for good at `(month, state)`: loans and balances (as loan mode's carry).
    carry: Vec<f64>,
    widths: Vec<(StateId, u64)>,
    cells: StreamFamily,
    /// Hash slots over `next` by packed key (index + 1; 0: empty), and the slots in use.
    slots: Vec<u32>,
    used: Vec<u32>,
}

impl CountScratch {
    /// Empties the slots for the next month's groups.
    fn clear_slots(&mut self) {
        for &slot in &self.used {
            self.slots[slot as usize] = 0;
        }
        self.used.clear();
    }

    /// Doubles the table and puts `next`'s groups back in it.
    fn grow(&mut self) {
        self.slots = vec![0; self.slots.len() * 2];
        self.used.clear();
        let mask = self.slots.len() - 1;
        for (i, g) in self.next.iter().enumerate() {
            let mut slot = (g.packed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize & mask;
            while self.slots[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            self.slots[slot] = i as u32 + 1;
            self.used.push(slot as u32);
        }
    }
}

impl CountScratch {
    pub fn new(cx: &PathContext<'_>) -> CountScratch {
        CountScratch {
            groups: Vec::new(),
            next: Vec::new(),
            carry: vec![0.0; cx.layout.timeline.len()],
            widths: Vec::new(),
            cells: StreamFamily::new(cx.seed, Stream::CellMonths, 0),
            slots: vec![0; 128],
            used: Vec::new(),
        }
    }
}

/// One path of a cell book: every cell, in book order. `loan_scratch` conditions the tables on
/// the path's factor exactly as loan mode does.
pub fn simulate_path(
    cx: &PathContext<'_>,
    path: u64,
    loan_scratch: &mut PathScratch,
    scratch: &mut CountScratch,
) -> PathOutcome {
    let mut out = PathOutcome::new(cx.layout);
    loan_scratch.prepare_path(cx, path, &mut out);
    scratch.cells = StreamFamily::new(cx.seed, Stream::CellMonths, path);
    for cell in 0..cx.book.len() {
        if cx.book.count[cell] > 0 {
            CellRun::new(cx, loan_scratch, scratch, cell, &mut out).run(&mut out);
        }
    }
    // Settled groups count in every month from the one they settled in.
    book_settled(&mut scratch.carry, cx.layout, &mut out);
    out
}

/// One cell on one path.
struct CellRun<'c, 'a> {
    cx: &'c PathContext<'a>,
    conditioned: &'c [Vec<Vec<SampledRow>>],
    payer_thresholds: &'c [u64],
    recovery_multipliers: &'c [f64],
    scratch: &'c mut CountScratch,
    rng: StreamRng,
    segment: usize,
    vintage: usize,
    product: Product,
    rate: f64,
    monthly_discount: f64,
    /// Per loan.
    credit_limit: f64,
    term_left: u32,
    months_on_book: u32,
    /// The horizon month being simulated; `None` past the horizon.
    month: Option<u32>,
    /// Months stepped so far, the horizon and past it.
    step: u32,
    month_done: u32,
}

impl<'c, 'a> CellRun<'c, 'a> {
    fn new(
        cx: &'c PathContext<'a>,
        loan_scratch: &'c PathScratch,
        scratch: &'c mut CountScratch,
        cell: usize,
        out: &mut PathOutcome,
    ) -> CellRun<'c, 'a> {
        let book = cx.book;
        let segment = book.segment[cell] as usize;
        let rate = book.apr[cell] / 12.0;
        let loans = book.count[cell];
        let n = loans as f64;
        let state = book.state[cell];
        let product = cx.model.segments[segment].product.clone();
        let term_left = book.remaining_term[cell];
        let balance = book.balance[cell] * n;
        let instalment = match product {
            Product::Instalment => annuity(balance, rate, term_left),
            Product::Revolving {
                min_payment_rate, ..
            } => balance * (rate + min_payment_rate),
        };
        let t = cx.layout.timeline;
        out.totals[Total::OriginalBalance.idx()] += balance;
        out.timeline[t.loans(0, state as usize)] += n;
        out.timeline[t.balance(0, state as usize)] += balance;
        let revolving = matches!(product, Product::Revolving { .. });
        scratch.groups.clear();
        scratch.groups.push(Group {
            packed: 0,
            key: Key {
                state,
                locked: revolving && state != CURRENT,
                months_since_charge_off: 0,
                payer: false,
                default_month: 0,
                stage_group: 0,
                partials: 0,
                episode_start: 0,
            },
            loans,
            balance,
            instalment,
            claim: 0.0,
            charged_off_balance: 0.0,
            exposure: 0.0,
            gross: 0.0,
            costs: 0.0,
            pv_gross: 0.0,
            pv_costs: 0.0,
            discount: 1.0,
            workout_months: 0,
        });
        let rng = stream_in(&scratch.cells, cell as u64);
        CellRun {
            cx,
            conditioned: loan_scratch.conditioned(),
            payer_thresholds: loan_scratch.payer_thresholds(),
            recovery_multipliers: loan_scratch.recovery_multipliers(),
            scratch,
            rng,
            segment,
            vintage: (book.vintage.get(cell).copied().unwrap_or(0) as usize)
                .min(cx.layout.n_vintages - 1),
            product,
            rate,
            monthly_discount: cx.discount_factor.unwrap_or(1.0 / (1.0 + rate)),
            credit_limit: book.credit_limit[cell],
            term_left,
            months_on_book: book.months_on_book[cell],
            month: None,
            step: 0,
            month_done: 0,
        }
    }

    fn run(mut self, out: &mut PathOutcome) {
        let t = self.cx.layout.timeline;
        for month in 1..=self.cx.horizon_months {
            self.month = Some(month);
            self.month_done = month;
            self.step_month(out);
            // Settled groups leave: booked into every remaining month at once, closed now.
            let m = month as usize;
            let mut i = 0;
            while i < self.scratch.groups.len() {
                let g = self.scratch.groups[i];
                let (s, shown) = (g.key.state as usize, self.shown_balance(&g));
                if self.is_settled(&g) {
                    self.scratch.carry[t.loans(m, s)] += g.loans as f64;
                    self.scratch.carry[t.balance(m, s)] += shown;
                    self.close_horizon(&g, out);
                    self.finish(&g, out);
                    self.scratch.groups.swap_remove(i);
                } else {
                    out.timeline[t.loans(m, s)] += g.loans as f64;
                    out.timeline[t.balance(m, s)] += shown;
                    i += 1;
                }
            }
            if self.scratch.groups.is_empty() {
                return;
            }
        }
        // The horizon's end: what is still open, then workouts followed past it.
        let groups = std::mem::take(&mut self.scratch.groups);
        for g in &groups {
            self.close_horizon(g, out);
            if !g.defaulted() {
                self.finish(g, out);
            }
        }
        self.scratch.groups = groups;
        self.scratch.groups.retain(Group::defaulted);
        self.month = None;
        let mut extra = 0;
        while extra < WORKOUT_CAP_MONTHS && !self.scratch.groups.is_empty() {
            self.step_month(out);
            extra += 1;
            let mut i = 0;
            while i < self.scratch.groups.len() {
                let g = self.scratch.groups[i];
                if self.is_settled(&g) {
                    self.finish(&g, out);
                    self.scratch.groups.swap_remove(i);
                } else {
                    i += 1;
                }
            }
        }
        for g in std::mem::take(&mut self.scratch.groups) {
            self.finish(&g, out);
        }
    }

    /// Every group through one month; the children merge into the next month's groups.
    fn step_month(&mut self, out: &mut PathOutcome) {
        self.step += 1;
        let mut groups = std::mem::take(&mut self.scratch.groups);
        self.scratch.next.clear();
        self.scratch.clear_slots();
        for mut g in groups.drain(..) {
            if g.defaulted() {
                g.discount *= self.monthly_discount;
                g.workout_months += 1;
            }
            match self.cx.tables.kinds[g.key.state as usize] {
                StateKind::Current | StateKind::Delinquent { .. } => self.on_book_month(g, out),
                StateKind::ChargedOff => self.charged_off_month(g, out),
                StateKind::PaidOff | StateKind::Sold => self.keep(g),
            }
        }
        self.scratch.groups = groups;
        std::mem::swap(&mut self.scratch.groups, &mut self.scratch.next);
        self.term_left = self.term_left.saturating_sub(1);
        self.months_on_book += 1;
    }

    /// Adds a group to the next month's, merging it into one with the same key.
    fn keep(&mut self, mut g: Group) {
        g.packed = g.key.packed();
        let scratch = &mut *self.scratch;
        // Open addressing on the packed key: slots hold an index into `next` plus one.
        let mask = scratch.slots.len() - 1;
        let mut slot = (g.packed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize & mask;
        loop {
            match scratch.slots[slot] {
                0 => {
                    scratch.next.push(g);
                    scratch.slots[slot] = scratch.next.len() as u32;
                    scratch.used.push(slot as u32);
                    if scratch.next.len() * 2 > scratch.slots.len() {
                        scratch.grow();
                    }
                    return;
                }
                i if scratch.next[i as usize - 1].packed == g.packed => {
                    return scratch.next[i as usize - 1].absorb(g);
                }
                _ => slot = (slot + 1) & mask,
            }
        }
    }

    fn slot(&self) -> usize {
        let months = self.conditioned.len().max(1);
        (self.month.unwrap_or(self.cx.horizon_months).max(1) as usize - 1).min(months - 1)
    }

    fn binomial(&mut self, n: u64, p: f64) -> u64 {
        if n == 0 || p <= 0.0 {
            return 0;
        }
        if p >= 1.0 {
            return n;
        }
        if n <= SMALL_BINOMIAL {
            // A few loans: one Bernoulli each, two per draw, on the same 2^-32 grid as loan
            // mode's thresholds (cheaper than setting up the general sampler).
            let threshold = (p * RANGE as f64).round() as u64;
            let mut k = 0;
            let mut left = n;
            while left > 0 {
                let u = self.rng.next_u64();
                k += u64::from((u >> 32) < threshold);
                if left > 1 {
                    k += u64::from((u & 0xFFFF_FFFF) < threshold);
                }
                left = left.saturating_sub(2);
            }
            return k;
        }
        Binomial::new(n, p)
            .expect("a probability in (0, 1)")
            .sample(&mut self.rng)
    }

    fn on_book_month(&mut self, mut g: Group, out: &mut PathOutcome) {
        let cx = self.cx;
        let tables = &cx.tables.segments[self.segment];
        let from = g.key.state;
        let cost = tables.cost[from as usize] * g.loans as f64;
        if cost > 0.0 {
            spend(&mut g, cost);
            if let Some(m) = self.month {
                out.totals[Total::CollectionCosts.idx()] += cost;
                out.timeline[cx.layout.timeline.flow(m as usize, Flow::CollectionCosts)] += cost;
            }
        }
        let index = tables.row_index(self.months_on_book, from);
        let row = match self.conditioned.is_empty() {
            true => &tables.rows[index],
            false => &self.conditioned[self.slot()][self.segment][index],
        };
        // The multinomial as chained binomials, the widest destination last (it takes what is
        // left, which saves its draw).
        self.scratch.widths.clear();
        self.scratch
            .widths
            .extend(row.widths().filter(|&(_, w)| w > 0));
        let widest = (0..self.scratch.widths.len())
            .max_by_key(|&i| (self.scratch.widths[i].1, std::cmp::Reverse(i)))
            .expect("a row has mass");
        let last = self.scratch.widths.len() - 1;
        self.scratch.widths.swap(widest, last);
        let mut mass_left = RANGE;
        for i in 0..last {
            if g.loans == 0 {
                break;
            }
            let (to, width) = self.scratch.widths[i];
            let k = self.binomial(g.loans, width as f64 / mass_left as f64);
            mass_left -= width;
            if k > 0 {
                let moved = g.take(k);
                self.transition(moved, to, out);
            }
        }
        if g.loans > 0 {
            let to = self.scratch.widths[last].0;
            self.transition(g, to, out);
        }
    }

    /// `g`'s loans move from their state to `to` this month.
    fn transition(&mut self, mut g: Group, to: StateId, out: &mut PathOutcome) {
        let cx = self.cx;
        let from = g.key.state;
        let n = g.loans as f64;
        match cx.tables.kinds[to as usize] {
            StateKind::Current if from == CURRENT => self.pay_scheduled(&mut g, out),
            StateKind::Current => {
                self.flow(out, Flow::Cures, n);
                self.cure(&mut g, out);
            }
            StateKind::Delinquent { .. } => {
                if from == CURRENT {
                    self.flow(out, Flow::NewDelinquencies, n);
                    g.key.episode_start = self.step;
                } else if to > from {
                    self.flow(out, Flow::RollForwards, n);
                }
                g.key.state = to;
                if cx.default_on_entering[to as usize] && self.month.is_some() {
                    self.start_workout(&mut g, cx.stage_of[to as usize], out);
                }
                return self.miss_payment(g, to, out);
            }
            StateKind::PaidOff => {
                let interest = g.balance * self.rate;
                if self.month.is_some() {
                    out.totals[Total::InterestCollected.idx()] += interest;
                }
                self.flow(out, Flow::Prepayments, g.balance + interest);
                let cash = g.balance + interest;
                self.receive(&mut g, cash, out);
                self.pay_off(&mut g, out);
            }
            StateKind::ChargedOff => return self.charge_off(g, from, out),
            StateKind::Sold => {
                let face = g.balance;
                let proceeds = face * cx.sale_on_entering_price;
                if self.month.is_some() {
                    self.start_workout(&mut g, cx.stage_of[from as usize], out);
                    let totals = &mut out.totals;
                    totals[Total::SoldFace.idx()] += face;
                    totals[Total::SaleProceeds.idx()] += proceeds;
                    totals[Total::SoldFaceBeforeChargeOff.idx()] += face;
                    totals[Total::SaleProceedsBeforeChargeOff.idx()] += proceeds;
                    totals[Total::Sales.idx()] += n;
                }
                self.flow(out, Flow::Sales, n);
                self.flow(out, Flow::SaleProceeds, proceeds);
                self.receive(&mut g, proceeds, out);
                g.balance = 0.0;
                g.key.state = cx.sold;
                g.key.partials = 0;
                g.key.episode_start = 0;
            }
        }
        self.keep(g);
    }

    fn start_workout(&mut self, g: &mut Group, stage: Option<usize>, out: &mut PathOutcome) {
        let Some(month) = self.month else { return };
        if g.defaulted() {
            return;
        }
        out.totals[Total::Defaults.idx()] += g.loans as f64;
        out.totals[Total::ExposureAtDefault.idx()] += g.balance;
        g.key.default_month = month;
        g.key.stage_group = self.cx.layout.stage_group(stage) as u16;
        g.exposure = g.balance;
        g.discount = 1.0;
        g.workout_months = 0;
    }

    fn receive(&self, g: &mut Group, cash: f64, out: &mut PathOutcome) {
        if g.defaulted() {
            g.gross += cash;
            g.pv_gross += cash * g.discount;
            let k = g.workout_months.max(1) as usize;
            if k <= WORKOUT_CAP_MONTHS {
                out.recovery_curve[k - 1] += cash;
            }
        }
    }

    fn flow(&self, out: &mut PathOutcome, f: Flow, value: f64) {
        if let Some(m) = self.month {
            out.timeline[self.cx.layout.timeline.flow(m as usize, f)] += value;
        }
    }

    fn scheduled_payment(&self, balance: f64) -> f64 {
        match self.product {
            Product::Instalment => annuity(balance, self.rate, self.term_left),
            Product::Revolving {
                min_payment_rate, ..
            } => balance * (self.rate + min_payment_rate),
        }
    }

    fn pay_scheduled(&mut self, g: &mut Group, out: &mut PathOutcome) {
        let interest = g.balance * self.rate;
        let principal = match self.product {
            Product::Instalment if self.term_left <= 1 => g.balance,
            Product::Instalment => (g.instalment - interest).clamp(0.0, g.balance),
            Product::Revolving {
                min_payment_rate, ..
            } => g.balance * min_payment_rate,
        };
        g.balance -= principal;
        if self.month.is_some() {
            out.totals[Total::Repaid.idx()] += principal;
            out.totals[Total::InterestCollected.idx()] += interest;
        }
        self.flow(out, Flow::ScheduledPayments, principal + interest);
        self.receive(g, principal + interest, out);
        match self.product {
            Product::Instalment => {
                if g.balance <= ZERO_BALANCE * g.loans as f64 {
                    self.pay_off(g, out);
                }
            }
            Product::Revolving { draw_rate, .. } => {
                if !g.key.locked && draw_rate > 0.0 {
                    let limit = self.credit_limit * g.loans as f64;
                    let draw = draw_rate * (limit - g.balance).max(0.0);
                    g.balance += draw;
                    if self.month.is_some() {
                        out.totals[Total::Drawn.idx()] += draw;
                    }
                    self.flow(out, Flow::Drawdowns, draw);
                    self.receive(g, -draw, out);
                }
                g.instalment = self.scheduled_payment(g.balance);
            }
        }
    }

    fn pay_off(&mut self, g: &mut Group, out: &mut PathOutcome) {
        if self.month.is_some() {
            out.totals[Total::Repaid.idx()] += g.balance;
            out.totals[Total::PayOffs.idx()] += g.loans as f64;
        }
        self.flow(out, Flow::PayOffs, g.loans as f64);
        g.balance = 0.0;
        g.key.state = self.cx.paid_off;
        g.key.locked = false;
        g.key.partials = 0;
        g.key.episode_start = 0;
    }

    fn cure(&mut self, g: &mut Group, out: &mut PathOutcome) {
        let cx = self.cx;
        let arrears = (cx.tables.months_past_due[g.key.state as usize] + 1.0) * g.instalment;
        let interest = g.balance * self.rate;
        let cash = arrears.min(g.balance + interest);
        let interest_paid = interest.min(cash);
        let principal = cash - interest_paid;
        g.balance -= principal;
        if self.month.is_some() {
            out.totals[Total::Repaid.idx()] += principal;
            out.totals[Total::InterestCollected.idx()] += interest_paid;
        }
        self.flow(out, Flow::CurePayments, cash);
        self.receive(g, cash, out);
        g.key.state = CURRENT;
        g.key.partials = 0;
        g.key.episode_start = 0;
        if cx.model.money.unlock_on_cure {
            g.key.locked = false;
        }
        if g.balance <= ZERO_BALANCE * g.loans as f64 {
            self.pay_off(g, out);
        } else {
            g.instalment = match self.product {
                Product::Instalment => {
                    annuity(g.balance, self.rate, self.term_left.saturating_sub(1))
                }
                Product::Revolving { .. } => self.scheduled_payment(g.balance),
            };
        }
    }

    fn miss_payment(&mut self, mut g: Group, to: StateId, out: &mut PathOutcome) {
        let cx = self.cx;
        let money = &cx.model.money;
        g.key.locked = matches!(self.product, Product::Revolving { .. });
        let n = g.loans as f64;
        let mut charges = money.late_fee * n;
        if money.accrue_interest_while_overdue {
            charges += g.balance * self.rate;
        }
        if charges > 0.0 {
            g.balance += charges;
            if self.month.is_some() {
                out.totals[Total::AccruedCharges.idx()] += charges;
            }
        }
        let payers = match &cx.partial_share {
            Some(_) => self.binomial(g.loans, cx.partial_threshold as f64 / RANGE as f64),
            None => 0,
        };
        if payers == 0 {
            return self.keep(g);
        }
        let mut paying = g.take(payers);
        let beta = cx
            .partial_share
            .as_ref()
            .expect("payers draw only with shares");
        let shares = self.share_sum(beta, payers);
        let per_loan = paying.loans as f64;
        let arrears = (cx.tables.months_past_due[to as usize] * paying.instalment)
            .min(paying.balance)
            / per_loan;
        let paid = shares * arrears;
        paying.balance -= paid;
        paying.key.partials = (paying.key.partials + 1).min(MAX_PARTIALS);
        if self.month.is_some() {
            out.totals[Total::Repaid.idx()] += paid;
        }
        self.flow(out, Flow::PartialPayments, paid);
        self.receive(&mut paying, paid, out);
        self.keep(paying);
        if g.loans > 0 {
            self.keep(g);
        }
    }

    /// The sum of `payers` independent Beta shares: drawn one by one for a few payers, as a
    /// normal with the same mean and variance (clamped to `[0, payers]`) for many.
    fn share_sum(&mut self, beta: &Beta<f64>, payers: u64) -> f64 {
        if payers <= EXACT_SHARES {
            return (0..payers).map(|_| beta.sample(&mut self.rng)).sum();
        }
        let (a, b) = self
            .cx
            .model
            .money
            .partial_payments
            .map_or((1.0, 1.0), |p| (p.share_alpha, p.share_beta));
        let mean = a / (a + b);
        let variance = a * b / ((a + b) * (a + b) * (a + b + 1.0));
        let n = payers as f64;
        let z: f64 = StandardNormal.sample(&mut self.rng);
        (n * mean + z * (n * variance).sqrt()).clamp(0.0, n)
    }

    fn charge_off(&mut self, mut g: Group, from: StateId, out: &mut PathOutcome) {
        let cx = self.cx;
        let balance = g.balance;
        let n = g.loans as f64;
        if let Some(m) = self.month {
            self.start_workout(&mut g, cx.stage_of[from as usize], out);
            out.totals[Total::GrossWriteOffs.idx()] += balance;
            out.totals[Total::ChargeOffs.idx()] += n;
            out.write_offs[cx.layout.write_off(m as usize, self.segment, false)] += balance;
            out.vintage_write_offs[cx.layout.vintage_write_off(m as usize, self.vintage, false)] +=
                balance;
        }
        self.flow(out, Flow::ChargeOffs, n);
        self.flow(out, Flow::GrossWriteOffs, balance);
        g.key.state = cx.charged_off;
        g.key.locked = false;
        g.key.partials = 0;
        g.key.episode_start = 0;
        g.key.months_since_charge_off = 0;
        g.charged_off_balance = balance;
        g.claim = balance;
        g.balance = 0.0;
        let threshold = if self.payer_thresholds.is_empty() {
            cx.payer_threshold
        } else {
            self.payer_thresholds[self.slot()]
        };
        let payers = self.binomial(g.loans, threshold as f64 / RANGE as f64);
        let paying = g.take(payers);
        for (mut part, payer) in [(paying, true), (g, false)] {
            if part.loans == 0 {
                continue;
            }
            part.key.payer = payer;
            match (cx.sale_after_charge_off, cx.spot_sale) {
                (Some((0, price)), _) => self.sell_claim(&mut part, price, out),
                (_, Some((m, price))) if self.month == Some(m) => {
                    self.sell_claim(&mut part, price, out);
                }
                _ => {}
            }
            self.keep(part);
        }
    }

    fn charged_off_month(&mut self, mut g: Group, out: &mut PathOutcome) {
        let cx = self.cx;
        let k = g.key.months_since_charge_off as usize;
        g.key.months_since_charge_off += 1;
        if k < cx.payer_curve.len() && g.claim > 0.0 {
            let n = g.loans as f64;
            if cx.cost_per_account > 0.0 {
                let cost = cx.cost_per_account * n;
                spend(&mut g, cost);
                if let Some(m) = self.month {
                    out.totals[Total::CollectionCosts.idx()] += cost;
                    let idx = cx.layout.timeline.flow(m as usize, Flow::CollectionCosts);
                    out.timeline[idx] += cost;
                }
            }
            if g.key.payer {
                let stress = if self.recovery_multipliers.is_empty() {
                    1.0
                } else {
                    self.recovery_multipliers[self.slot()]
                };
                let amount = (stress * cx.payer_curve[k] * g.charged_off_balance).min(g.claim);
                if amount > 0.0 {
                    let cost = amount * cx.cost_share;
                    g.claim -= amount;
                    self.receive(&mut g, amount, out);
                    spend(&mut g, cost);
                    if let Some(m) = self.month {
                        out.totals[Total::Recoveries.idx()] += amount;
                        out.totals[Total::CollectionCosts.idx()] += cost;
                        out.write_offs[cx.layout.write_off(m as usize, self.segment, true)] +=
                            amount;
                        out.vintage_write_offs
                            [cx.layout.vintage_write_off(m as usize, self.vintage, true)] += amount;
                        self.flow(out, Flow::Recoveries, amount);
                        self.flow(out, Flow::CollectionCosts, cost);
                    }
                }
            }
        }
        if g.claim > 0.0 {
            if let Some((m, price)) = cx.sale_after_charge_off
                && g.key.months_since_charge_off == m
            {
                self.sell_claim(&mut g, price, out);
            } else if let Some((m, price)) = cx.spot_sale
                && self.month == Some(m)
            {
                self.sell_claim(&mut g, price, out);
            }
        }
        self.keep(g);
    }

    fn sell_claim(&mut self, g: &mut Group, price: f64, out: &mut PathOutcome) {
        let cx = self.cx;
        let face = g.claim;
        let proceeds = face * price;
        self.receive(g, proceeds, out);
        if let Some(m) = self.month {
            out.totals[Total::SoldFace.idx()] += face;
            out.totals[Total::SaleProceeds.idx()] += proceeds;
            out.totals[Total::Sales.idx()] += g.loans as f64;
            out.write_offs[cx.layout.write_off(m as usize, self.segment, true)] += proceeds;
            out.vintage_write_offs[cx.layout.vintage_write_off(m as usize, self.vintage, true)] +=
                proceeds;
        }
        self.flow(out, Flow::Sales, g.loans as f64);
        self.flow(out, Flow::SaleProceeds, proceeds);
        g.claim = 0.0;
        g.key.state = cx.sold;
        g.key.payer = false;
        g.key.months_since_charge_off = 0;
    }

    fn shown_balance(&self, g: &Group) -> f64 {
        if g.key.state == self.cx.charged_off {
            g.claim
        } else {
            g.balance
        }
    }

    /// Loan mode's `is_settled` for a group.
    fn is_settled(&self, g: &Group) -> bool {
        let cx = self.cx;
        let state = g.key.state;
        if state == cx.paid_off || state == cx.sold {
            return true;
        }
        if state != cx.charged_off {
            return false;
        }
        let since = g.key.months_since_charge_off;
        let collecting = (since as usize) < cx.payer_curve.len() && g.claim > 0.0;
        let sale_to_come = g.claim > 0.0
            && (cx.sale_after_charge_off.is_some_and(|(m, _)| since < m)
                || cx.spot_sale.is_some_and(|(m, _)| self.month_done < m));
        !collecting && !sale_to_come
    }

    /// The ledger's last lines at the horizon: an open claim is written off, an on-book
    /// balance outstanding.
    fn close_horizon(&self, g: &Group, out: &mut PathOutcome) {
        if g.key.state == self.cx.charged_off {
            out.totals[Total::WrittenOffNet.idx()] += g.claim;
        } else if self.cx.tables.kinds[g.key.state as usize].is_on_book() {
            out.totals[Total::Outstanding.idx()] += g.balance;
        }
    }

    /// Closes a group's workout (loan mode's `finish`): a performing balance still followed
    /// counts as recovered; the recovery groups, totals and the recovery-rate histogram (the
    /// group's loans at its average rate) take the figures.
    fn finish(&self, g: &Group, out: &mut PathOutcome) {
        if !g.defaulted() {
            return;
        }
        let mut g = *g;
        if g.key.state == CURRENT && g.balance > 0.0 {
            let performing = g.balance;
            self.receive(&mut g, performing, out);
        }
        let layout = self.cx.layout;
        let groups = [
            layout.segment_group(self.segment),
            g.key.stage_group as usize,
            layout.vintage_group(self.vintage),
        ];
        let closed = ClosedWorkout {
            defaults: g.loans as f64,
            exposure: g.exposure,
            gross: g.gross,
            costs: g.costs,
            pv_gross: g.pv_gross,
            pv_costs: g.pv_costs,
        };
        closed.book(layout, groups, out);
    }
}

/// A collection cost after default.
fn spend(g: &mut Group, cost: f64) {
    if g.defaulted() {
        g.costs += cost;
        g.pv_costs += cost * g.discount;
    }
}
