//! Bucketing a book of single loans into cells, for count mode (`[simulation] mode = "count"`):
//! loans that are alike enough become one row of [`LoanBook`] with a `count`, and the engine
//! moves counts of loans between states instead of walking each loan.
//!
//! The rules (docs/SCENARIOS.md, `[book.cells]`, says the same):
//!
//! - Loans share a cell when their segment, starting state, vintage, months on book and
//!   remaining term are equal, and their balance, APR and credit limit each fall in the same
//!   band.
//! - Balance bands are geometric, `[(1 + w)^k, (1 + w)^(k + 1))` for whole `k`, with
//!   `w = balance_width` (default 0.05): loans in one band are within `w` of each other,
//!   relative to the smaller. A balance of 0 is a band of its own. Credit limits are banded
//!   the same way with `credit_limit_width` (default 0.05); instalment loans have no limit (0),
//!   so the limit never splits them.
//! - APR bands are `[k a, (k + 1) a)` with `a = apr_width` (default 0.0025, a quarter of a
//!   percentage point).
//! - Band edges are the computed numbers `(1 + w).powf(k)` and `k as f64 * a`: a value equal to
//!   an edge opens the band above it, whatever a logarithm or a division would round to.
//! - The cell's loan: balance = the mean balance of its loans, so the book's balance is kept
//!   (up to floating-point rounding; sums are compensated); APR = the balance-weighted mean APR,
//!   so the first month's interest (balance x APR / 12) is kept too (the plain mean when every
//!   balance is 0; the APR itself when every loan has the same); credit limit = the mean
//!   limit; count = the number of loans.
//! - Cells come in the order their key first appears in the book (synthetic books: segment
//!   order, then starting states in the order of `initial_states`), so the same book gives the
//!   same cells, byte for byte. Ids are `SEGMENT-cell-000001`, numbered within each segment.
//!
//! What bucketing cannot keep exactly is summarised in [`Bucketing`], per segment and for the
//! book: the first scheduled payment (an annuity is not linear in the rate), and how far each
//! loan's balance and APR moved to its cell's.
//!
//! A book that is already made of cells (a tape with a `count` column) is not bucketed here:
//! [`super::load_for_run`] takes the user's cells as given. [`bucket_book`] itself accepts rows
//! with counts (a row of `count` loans weighs `count`), so re-bucketing is well defined, but
//! nothing calls it that way.
//!
//! Memory is one entry per cell, never one per loan: [`bucket_synthetic`] buckets a synthetic
//! book as [`super::synthetic::for_each_loan`] draws it, segments in parallel. Both entry points make two passes over
//! the loans (the second measures each loan's distance to its cell's mean, which is only known
//! once every loan is in), so a synthetic book is drawn twice, from the same streams.

use std::hash::{BuildHasherDefault, Hasher};

use indexmap::IndexMap;
use rayon::prelude::*;
use serde::Serialize;

use super::synthetic::{self, DrawnLoan};
use super::{Loan, LoanBook};
use crate::model::money::annuity;
use crate::model::{Model, Product, StateId};
use crate::scenario::{CellRules, SyntheticSegment};

/// The band of a balance or credit limit of 0: a band of its own.
pub const ZERO_BAND: i64 = i64::MIN;

/// The geometric band `k` with `(1 + width)^k <= x < (1 + width)^(k + 1)`; [`ZERO_BAND`] for 0
/// (and anything not above 0, which validation has excluded).
pub fn geometric_band(x: f64, width: f64) -> i64 {
    if x <= 0.0 || x.is_nan() {
        return ZERO_BAND;
    }
    let log_base = width.ln_1p();
    let log_x = x.ln();
    let t = log_x / log_base;
    // The logarithm gives the band up to rounding, a few ulps of `ln x` in log space. Far from
    // an edge (over 10^-12 in log space, a thousand times that) the floor is the band; near
    // one, the edges as computed decide.
    let floor = t.floor();
    let fraction = t - floor;
    if fraction.min(1.0 - fraction) * log_base > 1e-12 * (1.0 + log_x.abs()) {
        return floor as i64;
    }
    let mut k = floor as i64;
    while geometric_edge(k, width) > x {
        k -= 1;
    }
    while geometric_edge(k + 1, width) <= x {
        k += 1;
    }
    k
}

/// The lower edge of geometric band `k`: `(1 + width)^k`.
pub fn geometric_edge(k: i64, width: f64) -> f64 {
    (1.0 + width).powf(k as f64)
}

/// The linear band `k` with `k width <= x < (k + 1) width`.
pub fn linear_band(x: f64, width: f64) -> i64 {
    let mut k = (x / width).floor() as i64;
    while linear_edge(k, width) > x {
        k -= 1;
    }
    while linear_edge(k + 1, width) <= x {
        k += 1;
    }
    k
}

/// The lower edge of linear band `k`: `k width`.
pub fn linear_edge(k: i64, width: f64) -> f64 {
    k as f64 * width
}

/// One loan (or a row of `count` identical loans) as the bucketer reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoanFields {
    pub segment: u16,
    pub state: StateId,
    /// Index into the book's vintage labels; `None`: the origination month from months on
    /// book (synthetic loans), which the key holds already.
    pub vintage: Option<u16>,
    pub months_on_book: u32,
    pub remaining_term: u32,
    pub balance: f64,
    pub apr: f64,
    pub credit_limit: f64,
    pub count: u64,
}

impl LoanFields {
    fn from_drawn(loan: &DrawnLoan) -> LoanFields {
        LoanFields {
            segment: loan.segment,
            state: loan.state,
            vintage: None,
            months_on_book: loan.months_on_book,
            remaining_term: loan.remaining_term,
            balance: loan.balance,
            apr: loan.apr,
            credit_limit: loan.credit_limit,
            count: 1,
        }
    }

    fn from_row(book: &LoanBook, row: usize) -> LoanFields {
        LoanFields {
            segment: book.segment[row],
            state: book.state[row],
            vintage: Some(book.vintage[row]),
            months_on_book: book.months_on_book[row],
            remaining_term: book.remaining_term[row],
            balance: book.balance[row],
            apr: book.apr[row],
            credit_limit: book.credit_limit[row],
            count: book.count[row],
        }
    }
}

/// What bucketing changed, per segment and for the book (`bucketing.csv`, the `bucketing`
/// object of `summary.json`).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bucketing {
    /// The rules applied (`[book.cells]`).
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub balance_width: f64,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub apr_width: f64,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub credit_limit_width: f64,
    /// The whole book (`segment = "all"`).
    pub total: BucketingRow,
    /// Each segment of the model, in model order (segments without loans too).
    pub segments: Vec<BucketingRow>,
}

/// One row of [`Bucketing`]. "Before" is the book of loans, "after" the book of cells, each
/// loan of a cell counted in full. Money is in currency, per month where it says so.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketingRow {
    pub segment: String,
    pub loans: u64,
    pub cells: u64,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub balance_before: f64,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub balance_after: f64,
    /// Sum of balance x APR / 12.
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub monthly_interest_before: f64,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub monthly_interest_after: f64,
    /// The first month's scheduled payment: the annuity of the balance at APR / 12 over the
    /// remaining term (instalment), or balance x (APR / 12 + `min_payment_rate`) (revolving).
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub first_payment_before: f64,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub first_payment_after: f64,
    /// The largest `|cell balance - loan balance| / loan balance` over the loans.
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub max_balance_change: f64,
    /// The same change averaged over loans weighted by their balance:
    /// `sum |cell balance - loan balance| / sum loan balance`.
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub mean_balance_change: f64,
    /// The largest `|cell APR - loan APR|`, as a fraction like the APR (0.0012 = 0.12
    /// percentage points).
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub max_apr_change: f64,
}

/// Buckets a book of loans into cells by `rules`; the cells and what changed.
pub fn bucket_book(book: &LoanBook, model: &Model, rules: &CellRules) -> (LoanBook, Bucketing) {
    bucket(
        |visit| {
            for row in 0..book.len() {
                visit(&LoanFields::from_row(book, row));
            }
        },
        &book.vintages,
        model,
        rules,
    )
}

/// Buckets the synthetic book of `segments` as it is drawn: the same cells as
/// `bucket_book(&synthetic::generate(..))`, without holding the loans.
///
/// Segments are bucketed in parallel: each has its own stream and no cell spans two segments,
/// so the cells of the book are each segment's cells in segment order, exactly as one pass
/// over the whole book would find them, whatever the number of threads.
pub fn bucket_synthetic(
    segments: &[SyntheticSegment],
    model: &Model,
    seed: u64,
    rules: &CellRules,
) -> (LoanBook, Bucketing) {
    let parts: Vec<(LoanBook, Vec<SegmentSums>)> = segments
        .par_iter()
        .map(|spec| {
            bucket_sums(
                |visit| {
                    synthetic::for_each_loan(std::slice::from_ref(spec), seed, |loan| {
                        visit(&LoanFields::from_drawn(loan))
                    })
                },
                &[],
                model,
                rules,
            )
        })
        .collect();
    let mut book = LoanBook::default();
    let mut sums = vec![SegmentSums::default(); model.segments.len()];
    for (part, part_sums) in parts {
        for row in 0..part.len() {
            book.push(Loan {
                loan_id: part.loan_id[row].clone(),
                segment: part.segment[row],
                balance: part.balance[row],
                apr: part.apr[row],
                remaining_term: part.remaining_term[row],
                months_on_book: part.months_on_book[row],
                state: part.state[row],
                credit_limit: part.credit_limit[row],
                vintage: Some(part.vintages[usize::from(part.vintage[row])].clone()),
                count: part.count[row],
            });
        }
        for (total, part) in sums.iter_mut().zip(&part_sums) {
            total.absorb(part);
        }
    }
    (book, summarise(&sums, model, rules))
}

/// What makes two loans one cell: the fields that must be equal, and the bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct CellKey {
    segment: u16,
    state: StateId,
    vintage: Option<u16>,
    months_on_book: u32,
    remaining_term: u32,
    balance_band: i64,
    apr_band: i64,
    credit_limit_band: i64,
}

impl CellKey {
    fn of(loan: &LoanFields, rules: &CellRules) -> CellKey {
        CellKey {
            segment: loan.segment,
            state: loan.state,
            vintage: loan.vintage,
            months_on_book: loan.months_on_book,
            remaining_term: loan.remaining_term,
            balance_band: geometric_band(loan.balance, rules.balance_width),
            apr_band: linear_band(loan.apr, rules.apr_width),
            credit_limit_band: geometric_band(loan.credit_limit, rules.credit_limit_width),
        }
    }
}

/// A cell's sums while loans come in.
#[derive(Debug, Clone, Default)]
struct CellSums {
    loans: u64,
    balance: Sum,
    balance_x_apr: Sum,
    apr: Sum,
    credit_limit: Sum,
    /// The APR of the first loan, and whether every loan has it: a cell of one APR (every
    /// synthetic segment) keeps it exactly rather than as a weighted mean rounded.
    first_apr: f64,
    one_apr: bool,
}

/// The cell's loan, once every loan is in.
#[derive(Debug, Clone, Copy)]
struct CellLoan {
    balance: f64,
    apr: f64,
    credit_limit: f64,
}

impl CellSums {
    fn loan(&self) -> CellLoan {
        let n = self.loans as f64;
        let balance = self.balance.value();
        CellLoan {
            balance: balance / n,
            apr: if self.one_apr {
                self.first_apr
            } else if balance > 0.0 {
                self.balance_x_apr.value() / balance
            } else {
                self.apr.value() / n
            },
            credit_limit: self.credit_limit.value() / n,
        }
    }
}

/// A segment's figures while loans come in.
#[derive(Debug, Clone, Default)]
struct SegmentSums {
    loans: u64,
    cells: u64,
    balance_before: Sum,
    balance_after: Sum,
    interest_before: Sum,
    interest_after: Sum,
    payment_before: Sum,
    payment_after: Sum,
    max_balance_change: f64,
    balance_moved: Sum,
    max_apr_change: f64,
}

impl SegmentSums {
    fn row(&self, segment: String) -> BucketingRow {
        let before = self.balance_before.value();
        BucketingRow {
            segment,
            loans: self.loans,
            cells: self.cells,
            balance_before: before,
            balance_after: self.balance_after.value(),
            monthly_interest_before: self.interest_before.value(),
            monthly_interest_after: self.interest_after.value(),
            first_payment_before: self.payment_before.value(),
            first_payment_after: self.payment_after.value(),
            max_balance_change: self.max_balance_change,
            mean_balance_change: if before > 0.0 {
                self.balance_moved.value() / before
            } else {
                0.0
            },
            max_apr_change: self.max_apr_change,
        }
    }

    fn absorb(&mut self, other: &SegmentSums) {
        self.loans += other.loans;
        self.cells += other.cells;
        self.balance_before.add(other.balance_before.value());
        self.balance_after.add(other.balance_after.value());
        self.interest_before.add(other.interest_before.value());
        self.interest_after.add(other.interest_after.value());
        self.payment_before.add(other.payment_before.value());
        self.payment_after.add(other.payment_after.value());
        self.max_balance_change = self.max_balance_change.max(other.max_balance_change);
        self.balance_moved.add(other.balance_moved.value());
        self.max_apr_change = self.max_apr_change.max(other.max_apr_change);
    }
}

/// The first month's scheduled payment of one loan, as the engine computes it.
fn first_payment(product: &Product, balance: f64, apr: f64, remaining_term: u32) -> f64 {
    match *product {
        Product::Instalment => annuity(balance, apr / 12.0, remaining_term),
        Product::Revolving {
            min_payment_rate, ..
        } => balance * (apr / 12.0 + min_payment_rate),
    }
}

/// `|after - before| / before`, 0 when both are 0.
fn relative_change(before: f64, after: f64) -> f64 {
    if before == after {
        0.0
    } else {
        (after - before).abs() / before
    }
}

/// Buckets the loans `loans` visits, and summarises what changed.
fn bucket(
    loans: impl Fn(&mut dyn FnMut(&LoanFields)),
    vintages: &[String],
    model: &Model,
    rules: &CellRules,
) -> (LoanBook, Bucketing) {
    let (book, segments) = bucket_sums(loans, vintages, model, rules);
    (book, summarise(&segments, model, rules))
}

/// The two passes: `loans` calls its argument once per loan (or row) and is called twice.
/// Returns the cells and each segment's sums.
fn bucket_sums(
    loans: impl Fn(&mut dyn FnMut(&LoanFields)),
    vintages: &[String],
    model: &Model,
    rules: &CellRules,
) -> (LoanBook, Vec<SegmentSums>) {
    let mut segments = vec![SegmentSums::default(); model.segments.len()];
    let mut cells: IndexMap<CellKey, CellSums, BuildHasherDefault<FxHasher>> = IndexMap::default();

    // First pass: every loan into its cell; the book's figures before.
    loans(&mut |loan| {
        let n = loan.count as f64;
        let seg = &mut segments[usize::from(loan.segment)];
        let product = &model.segments[usize::from(loan.segment)].product;
        seg.loans += loan.count;
        seg.balance_before.add(n * loan.balance);
        seg.interest_before.add(n * loan.balance * loan.apr / 12.0);
        seg.payment_before
            .add(n * first_payment(product, loan.balance, loan.apr, loan.remaining_term));
        let cell = cells.entry(CellKey::of(loan, rules)).or_default();
        if cell.loans == 0 {
            (cell.first_apr, cell.one_apr) = (loan.apr, true);
        } else if loan.apr != cell.first_apr {
            cell.one_apr = false;
        }
        cell.loans += loan.count;
        cell.balance.add(n * loan.balance);
        cell.balance_x_apr.add(n * loan.balance * loan.apr);
        cell.apr.add(n * loan.apr);
        cell.credit_limit.add(n * loan.credit_limit);
    });

    // The cells' loans, and the book after.
    let cell_loans: Vec<CellLoan> = cells.values().map(CellSums::loan).collect();
    let mut out = LoanBook::default();
    let mut numbers = vec![0_u64; model.segments.len()];
    for ((key, sums), cell) in cells.iter().zip(&cell_loans) {
        let segment = usize::from(key.segment);
        let product = &model.segments[segment].product;
        let n = sums.loans as f64;
        let seg = &mut segments[segment];
        seg.cells += 1;
        seg.balance_after.add(n * cell.balance);
        seg.interest_after.add(n * cell.balance * cell.apr / 12.0);
        seg.payment_after
            .add(n * first_payment(product, cell.balance, cell.apr, key.remaining_term));
        numbers[segment] += 1;
        out.push(Loan {
            loan_id: format!(
                "{}-cell-{:06}",
                model.segments[segment].name, numbers[segment]
            ),
            segment: key.segment,
            balance: cell.balance,
            apr: cell.apr,
            remaining_term: key.remaining_term,
            months_on_book: key.months_on_book,
            state: key.state,
            credit_limit: cell.credit_limit,
            vintage: key.vintage.map(|v| vintages[usize::from(v)].clone()),
            count: sums.loans,
        });
    }

    // Second pass: how far each loan moved to its cell's loan.
    loans(&mut |loan| {
        let index = cells
            .get_index_of(&CellKey::of(loan, rules))
            .expect("the first pass put every loan in a cell");
        let cell = &cell_loans[index];
        let seg = &mut segments[usize::from(loan.segment)];
        seg.max_balance_change = seg
            .max_balance_change
            .max(relative_change(loan.balance, cell.balance));
        seg.balance_moved
            .add(loan.count as f64 * (cell.balance - loan.balance).abs());
        seg.max_apr_change = seg.max_apr_change.max((cell.apr - loan.apr).abs());
    });

    (out, segments)
}

/// Each segment's row and the book's.
fn summarise(segments: &[SegmentSums], model: &Model, rules: &CellRules) -> Bucketing {
    let mut total = SegmentSums::default();
    for seg in segments {
        total.absorb(seg);
    }
    Bucketing {
        balance_width: rules.balance_width,
        apr_width: rules.apr_width,
        credit_limit_width: rules.credit_limit_width,
        total: total.row("all".to_string()),
        segments: segments
            .iter()
            .zip(&model.segments)
            .map(|(sums, seg)| sums.row(seg.name.clone()))
            .collect(),
    }
}

/// Neumaier's compensated sum: a cell of 5 * 10^7 balances adds up to the last few ulps, so
/// "balance kept" holds to rounding, not to the drift of a long naive sum.
#[derive(Debug, Clone, Copy, Default)]
struct Sum {
    sum: f64,
    compensation: f64,
}

impl Sum {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

/// The multiply-rotate hash of rustc (FxHash): a few nanoseconds per key where the standard
/// library's SipHash takes tens, which counts at 2 x 10^8 lookups. Keys are ours, not an
/// attacker's, and the map iterates in insertion order whatever the hash, so output does not
/// depend on it.
#[derive(Debug, Clone, Copy, Default)]
struct FxHasher {
    hash: u64,
}

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0_u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_i64(&mut self, i: i64) {
        self.add(i as u64);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn write_isize(&mut self, i: isize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        // The last multiply leaves the low bits depending on low bits only; the table indexes
        // by low bits, so bring the well-mixed high bits down (as rustc-hash 2 does).
        self.hash.rotate_left(26)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::simple_model;
    use crate::scenario::BalanceDistribution;

    fn rules() -> CellRules {
        CellRules::default()
    }

    /// A loan of segment 0, current, 12 months left, 0 months on book.
    fn loan(id: &str, balance: f64, apr: f64) -> Loan {
        Loan {
            loan_id: id.into(),
            segment: 0,
            balance,
            apr,
            remaining_term: 12,
            months_on_book: 0,
            state: 0,
            credit_limit: 0.0,
            vintage: None,
            count: 1,
        }
    }

    fn book_of(loans: impl IntoIterator<Item = Loan>) -> LoanBook {
        let mut book = LoanBook::default();
        for l in loans {
            book.push(l);
        }
        book
    }

    fn with_revolving(model: &mut Model) {
        let mut cards = model.segments[0].clone();
        cards.name = "cards".into();
        cards.product = Product::Revolving {
            draw_rate: 0.1,
            min_payment_rate: 0.03,
        };
        model.segments.push(cards);
    }

    fn lognormal_segments() -> Vec<SyntheticSegment> {
        vec![
            SyntheticSegment {
                segment: 0,
                loans: 20_000,
                balance: BalanceDistribution::LogNormal {
                    mean: 2000.0,
                    sd: 1200.0,
                },
                apr: 0.24,
                term_months: 36,
                months_on_book: (0, 11),
                credit_limit_ratio: None,
                initial_states: vec![(0, 0.9), (1, 0.07), (2, 0.03)],
            },
            SyntheticSegment {
                segment: 1,
                loans: 5_000,
                balance: BalanceDistribution::Uniform {
                    min: 0.0,
                    max: 3000.0,
                },
                apr: 0.2,
                term_months: 60,
                months_on_book: (6, 9),
                credit_limit_ratio: Some(1.5),
                initial_states: vec![(0, 0.95), (1, 0.05)],
            },
        ]
    }

    #[test]
    fn geometric_bands_are_right_at_their_edges() {
        let w = 0.05;
        for k in [-40_i64, -1, 0, 1, 7, 100, 300] {
            let edge = geometric_edge(k, w);
            assert_eq!(geometric_band(edge, w), k, "edge of band {k}");
            assert_eq!(geometric_band(edge.next_down(), w), k - 1, "below band {k}");
            assert_eq!(geometric_band(geometric_edge(k + 1, w).next_down(), w), k);
        }
        assert_eq!(geometric_band(1.0, w), 0);
        assert_eq!(geometric_band(1.05, w), 1);
        assert_eq!(geometric_band(1.049_999, w), 0);
        // 0 is a band of its own, below every positive balance.
        assert_eq!(geometric_band(0.0, w), ZERO_BAND);
        assert_ne!(geometric_band(f64::MIN_POSITIVE, w), ZERO_BAND);
        // A narrow width far out still finds its band.
        let w = 1e-6;
        let k = geometric_band(1e12, w);
        assert!(geometric_edge(k, w) <= 1e12 && 1e12 < geometric_edge(k + 1, w));
    }

    #[test]
    fn linear_bands_are_right_at_their_edges() {
        let a = 0.0025;
        // 0.2 / 0.0025 rounds either way; the edge 80 x 0.0025 decides.
        assert_eq!(linear_band(linear_edge(80, a), a), 80);
        assert_eq!(linear_band(linear_edge(80, a).next_down(), a), 79);
        for k in 0..2000 {
            let edge = linear_edge(k, a);
            assert_eq!(linear_band(edge, a), k, "edge of band {k}");
            if k > 0 {
                assert_eq!(linear_band(edge.next_down(), a), k - 1, "below band {k}");
            }
        }
        assert_eq!(linear_band(0.0, a), 0);
        assert_eq!(linear_band(0.1999, a), 79);
    }

    #[test]
    fn loans_balance_and_interest_are_kept() {
        let model = {
            let mut m = simple_model();
            with_revolving(&mut m);
            m
        };
        let book = synthetic::generate(&lognormal_segments(), &model, 11);
        let (cells, b) = bucket_book(&book, &model, &rules());
        assert_eq!(cells.loans(), 25_000);
        assert_eq!(b.total.loans, 25_000);
        assert_eq!(b.total.cells, cells.len() as u64);
        assert!(cells.len() < 5_000, "{} cells", cells.len());
        let before = book.total_balance();
        let rel = |x: f64, y: f64| (x - y).abs() / y.abs();
        assert!(rel(cells.total_balance(), before) < 1e-12);
        assert!(rel(b.total.balance_before, before) < 1e-12);
        assert!(rel(b.total.balance_after, b.total.balance_before) < 1e-12);
        assert!(
            rel(
                b.total.monthly_interest_after,
                b.total.monthly_interest_before
            ) < 1e-12
        );
        // The annuity is not linear in the rate, but one APR per segment here: only balances
        // move, and the annuity is linear in the balance.
        assert!(rel(b.total.first_payment_after, b.total.first_payment_before) < 1e-12);
        // No loan's balance moves further than a band's width.
        assert!(
            b.total.max_balance_change < 0.05,
            "{}",
            b.total.max_balance_change
        );
        assert!(b.total.mean_balance_change < b.total.max_balance_change);
        assert!(b.total.mean_balance_change > 0.0);
        assert_eq!(b.total.max_apr_change, 0.0);
        for (seg, row) in b.segments.iter().enumerate() {
            let loans: u64 = (0..book.len())
                .filter(|&i| usize::from(book.segment[i]) == seg)
                .count() as u64;
            assert_eq!(row.loans, loans);
            assert!(rel(row.balance_after, row.balance_before) < 1e-12);
        }
        assert_eq!(b.segments[0].segment, "all");
        assert_eq!(b.segments[1].segment, "cards");
    }

    #[test]
    fn loans_differing_in_a_key_field_get_their_own_cells() {
        let base = loan("a", 1000.0, 0.2);
        let mut variants = vec![base.clone()];
        let mut other = |f: &dyn Fn(&mut Loan)| {
            let mut l = base.clone();
            f(&mut l);
            variants.push(l);
        };
        other(&|l| l.state = 1);
        other(&|l| l.months_on_book = 1);
        other(&|l| l.remaining_term = 11);
        other(&|l| l.vintage = Some("2025-01".into()));
        other(&|l| l.balance = 1000.0 * 1.06);
        other(&|l| l.apr = 0.2 + 0.0025);
        other(&|l| l.balance = 0.0);
        let book = book_of(variants.clone());
        let (cells, b) = bucket_book(&book, &simple_model(), &rules());
        assert_eq!(cells.len(), variants.len());
        assert_eq!(cells.count, vec![1; variants.len()]);
        // Nothing moved: every cell is one loan.
        assert_eq!(cells.balance, book.balance);
        assert_eq!(cells.apr, book.apr);
        assert_eq!(b.total.max_balance_change, 0.0);
        assert_eq!(b.total.first_payment_after, b.total.first_payment_before);
        assert_eq!(cells.vintages, book.vintages);

        // Alike loans share one: balances in one band, APRs in one band.
        let book = book_of([
            // Band 142 of 5% runs from 1.05^142 = 1020.6 to 1071.6.
            loan("a", 1025.0, 0.2000),
            loan("b", 1060.0, 0.2024),
            loan("c", 1040.0, 0.2010),
        ]);
        let (cells, b) = bucket_book(&book, &simple_model(), &rules());
        assert_eq!(cells.len(), 1);
        assert_eq!(cells.count, [3]);
        assert_eq!(cells.loan_id, ["all-cell-000001"]);
        let mean = 3125.0 / 3.0;
        assert!((cells.balance[0] - mean).abs() < 1e-12);
        let apr = (1025.0 * 0.2 + 1060.0 * 0.2024 + 1040.0 * 0.201) / 3125.0;
        assert!((cells.apr[0] - apr).abs() < 1e-15);
        assert!((b.total.max_balance_change - (1060.0 - mean) / 1060.0).abs() < 1e-12);
        let moved = (mean - 1025.0) + (mean - 1040.0) + (1060.0 - mean);
        assert!((b.total.mean_balance_change - moved / 3125.0).abs() < 1e-12);
        assert!((b.total.max_apr_change - (0.2024 - apr)).abs() < 1e-15);
        // The annuity is convex in the rate: one rate for all moves the first payment a little.
        let moved = b.total.first_payment_after / b.total.first_payment_before - 1.0;
        assert!(moved != 0.0 && moved.abs() < 1e-5, "{moved}");
    }

    #[test]
    fn cells_come_in_order_of_first_appearance_and_the_same_every_time() {
        let book = book_of([
            loan("a", 500.0, 0.2),
            Loan {
                state: 1,
                ..loan("b", 500.0, 0.2)
            },
            loan("c", 900.0, 0.2),
            loan("d", 505.0, 0.2),
            Loan {
                state: 1,
                ..loan("e", 501.0, 0.2)
            },
        ]);
        let (cells, _) = bucket_book(&book, &simple_model(), &rules());
        assert_eq!(cells.count, [2, 2, 1]);
        assert_eq!(cells.state, [0, 1, 0]);
        assert_eq!(
            cells.loan_id,
            ["all-cell-000001", "all-cell-000002", "all-cell-000003"]
        );
        let model = {
            let mut m = simple_model();
            with_revolving(&mut m);
            m
        };
        let segments = lognormal_segments();
        let once = bucket_synthetic(&segments, &model, 5, &rules());
        let again = bucket_synthetic(&segments, &model, 5, &rules());
        assert_eq!(once, again);
        assert_ne!(once.0, bucket_synthetic(&segments, &model, 6, &rules()).0);
    }

    #[test]
    fn streaming_gives_the_cells_of_the_materialised_book() {
        let mut model = simple_model();
        with_revolving(&mut model);
        let segments = lognormal_segments();
        let book = synthetic::generate(&segments, &model, 3);
        assert_eq!(
            bucket_synthetic(&segments, &model, 3, &rules()),
            bucket_book(&book, &model, &rules())
        );
    }

    #[test]
    fn revolving_lines_are_split_by_credit_limit_and_keep_their_mean() {
        let mut model = simple_model();
        with_revolving(&mut model);
        let line = |id: &str, balance: f64, limit: f64| Loan {
            segment: 1,
            remaining_term: 0,
            credit_limit: limit,
            ..loan(id, balance, 0.25)
        };
        let book = book_of([
            line("a", 1000.0, 2000.0),
            line("b", 1010.0, 2010.0),
            // Same balance band, a limit two bands up: a cell of its own.
            line("c", 1000.0, 2300.0),
            // An instalment loan of the same balance: no limit, another segment.
            loan("d", 1000.0, 0.25),
        ]);
        let (cells, b) = bucket_book(&book, &model, &rules());
        assert_eq!(cells.count, [2, 1, 1]);
        assert_eq!(cells.credit_limit, [2005.0, 2300.0, 0.0]);
        assert_eq!(
            cells.loan_id,
            ["cards-cell-000001", "cards-cell-000002", "all-cell-000001"]
        );
        let cards = &b.segments[1];
        assert_eq!((cards.loans, cards.cells), (3, 2));
        // Revolving payments are linear in balance and APR: kept to rounding.
        assert!((cards.first_payment_after / cards.first_payment_before - 1.0).abs() < 1e-12);
        let expected = 3010.0 * (0.25 / 12.0 + 0.03);
        assert!((cards.first_payment_before - expected).abs() < 1e-9);
    }

    #[test]
    fn rows_with_counts_weigh_their_loans() {
        let book = book_of([
            Loan {
                count: 9,
                ..loan("a", 1000.0, 0.2)
            },
            loan("b", 1010.0, 0.2),
        ]);
        let (cells, b) = bucket_book(&book, &simple_model(), &rules());
        assert_eq!(cells.count, [10]);
        assert!((cells.balance[0] - 1001.0).abs() < 1e-12);
        assert_eq!(b.total.loans, 10);
        assert!((b.total.balance_before - 10_010.0).abs() < 1e-9);
    }

    #[test]
    fn compensated_sums_keep_a_long_sum() {
        let mut sum = Sum::default();
        sum.add(1e16);
        for _ in 0..1000 {
            sum.add(1.0);
        }
        sum.add(-1e16);
        assert_eq!(sum.value(), 1000.0);
    }
}
