//! Vintage curves: cumulative write-offs of each vintage (loans originated in the same period)
//! by month of the run, placed on the vintage's months on book, so vintages of different ages
//! can be read against each other as analysts read them.
//!
//! A vintage's months on book at the start is the median of its loans' months on book (the
//! `ceil(n / 2)`-th smallest, the same inverse-CDF convention as the percentiles): loans of a
//! tape's vintage may have been originated over a few months; a synthetic vintage has one age.
//! The curve counts write-offs from the start of the run, not from origination: what a vintage
//! wrote off before month 0 is not in the book. Rates are shares of the vintage's balance at
//! the start.
//!
//! Like every other figure, each cumulative amount is computed per path and summarised across
//! paths with the paths' weights ([`Estimate::weighted`]), so importance sampling carries over.
//! Rates are the amounts' estimates divided by the starting balance, which is the same on every
//! path. No IO.

use super::estimate::Estimate;
use crate::book::LoanBook;
use crate::engine::outcome::{OutcomeLayout, PathOutcome};

/// One vintage of the book at the start.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vintage {
    /// Index into [`LoanBook::vintages`] (and the outcome's vintage arrays).
    pub index: usize,
    pub label: String,
    /// Median months on book of the vintage's loans at the start.
    pub months_on_book_at_start: u32,
    pub loans: u64,
    pub starting_balance: f64,
}

/// The book's vintages, oldest first (most months on book at the start first; ties in the
/// book's order of first appearance). Vintages without loans are left out.
pub fn vintages(book: &LoanBook) -> Vec<Vintage> {
    let n = book.vintages.len();
    if n == 0 {
        return Vec::new();
    }
    // (months on book, loans) per vintage; a cell counts all its loans.
    let mut months: Vec<Vec<(u32, u64)>> = vec![Vec::new(); n];
    let mut balances = vec![0.0; n];
    for (loan, &v) in book.vintage.iter().enumerate() {
        // The engine clamps an index past the labels the same way.
        let v = (v as usize).min(n - 1);
        let count = book.count.get(loan).copied().unwrap_or(1);
        months[v].push((book.months_on_book.get(loan).copied().unwrap_or(0), count));
        balances[v] += book.balance.get(loan).copied().unwrap_or(0.0) * count as f64;
    }
    let mut out: Vec<Vintage> = months
        .into_iter()
        .zip(balances)
        .enumerate()
        .filter(|(_, (m, _))| !m.is_empty())
        .map(|(index, (mut m, balance))| {
            m.sort_unstable();
            let loans: u64 = m.iter().map(|&(_, c)| c).sum();
            // The lower median loan's months on book.
            let rank = loans.div_ceil(2);
            let mut seen = 0;
            let median = m
                .iter()
                .find(|&&(_, c)| {
                    seen += c;
                    seen >= rank
                })
                .map_or(0, |&(months, _)| months);
            Vintage {
                index,
                label: book.vintages[index].clone(),
                months_on_book_at_start: median,
                loans,
                starting_balance: balance,
            }
        })
        .collect();
    out.sort_by_key(|v| std::cmp::Reverse(v.months_on_book_at_start));
    out
}

impl Vintage {
    /// The month of origination relative to the start of the run: `-months_on_book_at_start`
    /// (0: originated at the start, -6: six months before). For a book without vintage labels
    /// this is the number its label spells (`"-6"`); a tape's cohort (`2025-03`) gets its
    /// median loan's.
    pub fn origination_month(&self) -> i32 {
        -i32::try_from(self.months_on_book_at_start).unwrap_or(i32::MAX)
    }
}

/// One vintage in one month of the run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VintageRow {
    /// Month of origination relative to the start ([`Vintage::origination_month`]).
    pub vintage: i32,
    /// The vintage's label: the tape's cohort, else the origination month as text (`"-6"`).
    pub label: String,
    pub months_on_book_at_start: u32,
    /// Month of the run, 1..=horizon.
    pub month: u32,
    /// `months_on_book_at_start + month`.
    pub months_on_book: u32,
    pub loans: u64,
    pub starting_balance: f64,
    /// Gross write-offs from month 1 to `month`.
    pub cumulative_gross_write_offs: Estimate,
    /// Gross write-offs less the cash recovered on charged-off claims (recoveries and sale
    /// proceeds), months 1 to `month`.
    pub cumulative_net_write_offs: Estimate,
    /// Cumulative gross write-offs as a share of the starting balance.
    pub cumulative_gross_rate: Estimate,
    /// Cumulative net write-offs as a share of the starting balance.
    pub cumulative_net_rate: Estimate,
}

/// `e` with every value multiplied by `factor` (> 0): the estimate of the scaled values.
fn scaled(e: Estimate, factor: f64) -> Estimate {
    Estimate {
        mean: e.mean * factor,
        sd: e.sd * factor,
        se: e.se * factor,
        p5: e.p5 * factor,
        p50: e.p50 * factor,
        p95: e.p95 * factor,
        p99: e.p99 * factor,
        p99_9: e.p99_9 * factor,
        n: e.n,
    }
}

/// What the statistics of a run need to know of its book: balances by segment and the
/// vintages. Kept in the result folder (`summary.json`), so a summary can be recomputed from
/// the folder's own files without the loan tape.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookProfile {
    /// Starting balance of each segment, in the scenario's order.
    pub segment_balances: Vec<f64>,
    /// Every vintage label of the book, in its order of first appearance.
    pub vintage_labels: Vec<String>,
    /// The vintages with loans, oldest first ([`vintages`]).
    pub vintages: Vec<Vintage>,
}

impl BookProfile {
    pub fn new(book: &LoanBook, n_segments: usize) -> BookProfile {
        let mut segment_balances = vec![0.0; n_segments];
        for ((s, b), &c) in book.segment.iter().zip(&book.balance).zip(&book.count) {
            segment_balances[*s as usize] += b * c as f64;
        }
        BookProfile {
            segment_balances,
            vintage_labels: book.vintages.clone(),
            vintages: vintages(book),
        }
    }
}

/// One row per vintage (oldest first) and month `1..=horizon`.
pub fn vintage_curves(
    paths: &[PathOutcome],
    layout: OutcomeLayout,
    vintages: &[Vintage],
) -> Vec<VintageRow> {
    let horizon = layout.timeline.horizon_months;
    let weights: Vec<f64> = paths.iter().map(|p| p.weight).collect();
    let mut rows = Vec::new();
    let mut cum_gross = vec![0.0; paths.len()];
    let mut cum_net = vec![0.0; paths.len()];
    for v in vintages {
        if v.index >= layout.n_vintages {
            continue;
        }
        cum_gross.iter_mut().for_each(|x| *x = 0.0);
        cum_net.iter_mut().for_each(|x| *x = 0.0);
        let per_balance = if v.starting_balance > 0.0 {
            1.0 / v.starting_balance
        } else {
            f64::NAN
        };
        for month in 1..=horizon {
            for (i, p) in paths.iter().enumerate() {
                let gross = p.vintage_write_offs[layout.vintage_write_off(month, v.index, false)];
                let recovered =
                    p.vintage_write_offs[layout.vintage_write_off(month, v.index, true)];
                cum_gross[i] += gross;
                cum_net[i] += gross - recovered;
            }
            let gross = Estimate::weighted(&cum_gross, &weights);
            let net = Estimate::weighted(&cum_net, &weights);
            rows.push(VintageRow {
                vintage: v.origination_month(),
                label: v.label.clone(),
                months_on_book_at_start: v.months_on_book_at_start,
                month: month as u32,
                months_on_book: v.months_on_book_at_start + month as u32,
                loans: v.loans,
                starting_balance: v.starting_balance,
                cumulative_gross_write_offs: gross,
                cumulative_net_write_offs: net,
                cumulative_gross_rate: scaled(gross, per_balance),
                cumulative_net_rate: scaled(net, per_balance),
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::Loan;

    fn loan(months_on_book: u32, balance: f64, vintage: Option<&str>) -> Loan {
        Loan {
            loan_id: String::new(),
            segment: 0,
            balance,
            apr: 0.1,
            remaining_term: 12,
            months_on_book,
            state: 0,
            credit_limit: 0.0,
            vintage: vintage.map(str::to_string),
            count: 1,
        }
    }

    #[test]
    fn vintages_are_oldest_first_with_their_median_age() {
        let mut book = LoanBook::default();
        book.push(loan(3, 100.0, Some("2025-06")));
        book.push(loan(9, 50.0, Some("2025-01")));
        book.push(loan(10, 50.0, Some("2025-01")));
        book.push(loan(2, 100.0, Some("2025-06")));
        book.push(loan(11, 25.0, Some("2025-01")));
        book.push(loan(4, 100.0, Some("2025-06")));
        book.push(loan(5, 100.0, Some("2025-06")));
        let v = vintages(&book);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].label, "2025-01");
        assert_eq!(v[0].months_on_book_at_start, 10);
        assert_eq!(v[0].loans, 3);
        assert_eq!(v[0].starting_balance, 125.0);
        // Months 2, 3, 4, 5: the lower median, the 2nd smallest.
        assert_eq!(v[1].months_on_book_at_start, 3);
        assert_eq!(v[1].index, 0);
    }

    #[test]
    fn scaling_an_estimate_scales_every_figure() {
        let e = Estimate::new(&[1.0, 2.0, 3.0, 4.0]);
        let s = scaled(e, 0.5);
        let direct = Estimate::new(&[0.5, 1.0, 1.5, 2.0]);
        assert_eq!(s.mean, direct.mean);
        assert!((s.sd - direct.sd).abs() < 1e-15);
        assert_eq!((s.p5, s.p50, s.p95), (direct.p5, direct.p50, direct.p95));
    }
}
