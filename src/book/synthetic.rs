//! Synthetic loan books: each segment's `[segments.NAME.book]` turned into loans. The book is
//! drawn once from its own stream (keyed by the seed and the segment), so it is the same on
//! every path and for every thread count; the paths differ in what happens to it, not in what
//! it is.
//!
//! [`for_each_loan`] draws the loans one at a time without keeping them, for count mode's
//! bucketing of books too large to hold loan by loan; [`generate`] collects the same loans into
//! a [`LoanBook`].

use rand::{Rng, RngExt};
use rand_distr::{Distribution, LogNormal, Uniform};

use super::{Loan, LoanBook};
use crate::model::{Model, StateId};
use crate::rng::{Stream, stream};
use crate::scenario::{BalanceDistribution, SyntheticSegment};

/// One synthetic loan as drawn, before it is given an id: what [`for_each_loan`] yields.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrawnLoan {
    /// Index into [`Model::segments`].
    pub segment: u16,
    /// Place in its segment, from 0 (the id is `SEGMENT-{index + 1:06}`).
    pub index: u64,
    pub balance: f64,
    pub apr: f64,
    pub remaining_term: u32,
    pub months_on_book: u32,
    pub state: StateId,
    pub credit_limit: f64,
}

/// Generates every segment's loans, in segment order.
pub fn generate(segments: &[SyntheticSegment], model: &Model, seed: u64) -> LoanBook {
    let mut book = LoanBook::default();
    for_each_loan(segments, seed, |loan| {
        let name = &model.segments[usize::from(loan.segment)].name;
        book.push(Loan {
            loan_id: format!("{name}-{:06}", loan.index + 1),
            segment: loan.segment,
            balance: loan.balance,
            apr: loan.apr,
            remaining_term: loan.remaining_term,
            months_on_book: loan.months_on_book,
            state: loan.state,
            credit_limit: loan.credit_limit,
            vintage: None,
            count: 1,
        });
    });
    book
}

/// Draws every segment's loans, in segment order, handing each to `visit` as it is drawn and
/// keeping none: the streaming form of [`generate`] (which is built on it, so both make the
/// same loans from the same draws). Count mode buckets a synthetic book of 10^8 loans through
/// it without holding the loans ([`super::cells::bucket_synthetic`]).
pub fn for_each_loan(segments: &[SyntheticSegment], seed: u64, mut visit: impl FnMut(&DrawnLoan)) {
    for spec in segments {
        let mut rng = stream(seed, Stream::Book, spec.segment as u64, 0);
        let mut index = 0;
        for (state, count) in starting_counts(spec) {
            for _ in 0..count {
                let balance = draw_balance(spec.balance, &mut rng);
                let (lo, hi) = spec.months_on_book;
                let months_on_book = if hi > lo {
                    rng.random_range(lo..=hi)
                } else {
                    lo
                };
                visit(&DrawnLoan {
                    segment: spec.segment as u16,
                    index,
                    balance,
                    apr: spec.apr,
                    remaining_term: spec.term_months - months_on_book,
                    months_on_book,
                    state,
                    credit_limit: spec.credit_limit_ratio.map_or(0.0, |r| r * balance),
                });
                index += 1;
            }
        }
    }
}

/// Loans starting in each state, in the order of `initial_states`, in exact proportions
/// (largest remainder), so "6% start in dpd_1_30" means 6% of the loans, not 6% in
/// expectation.
fn starting_counts(spec: &SyntheticSegment) -> Vec<(StateId, u64)> {
    let n = spec.loans;
    let mut counts: Vec<(u64, f64)> = spec
        .initial_states
        .iter()
        .map(|&(_, share)| {
            let exact = share * n as f64;
            (exact.floor() as u64, exact - exact.floor())
        })
        .collect();
    let assigned: u64 = counts.iter().map(|c| c.0).sum();
    let mut order: Vec<usize> = (0..counts.len()).collect();
    order.sort_by(|&a, &b| counts[b].1.total_cmp(&counts[a].1).then(a.cmp(&b)));
    for &i in order.iter().take((n - assigned.min(n)) as usize) {
        counts[i].0 += 1;
    }
    spec.initial_states
        .iter()
        .zip(&counts)
        .map(|(&(state, _), &(count, _))| (state, count))
        .collect()
}

fn draw_balance(distribution: BalanceDistribution, rng: &mut impl Rng) -> f64 {
    match distribution {
        BalanceDistribution::Fixed { value } => value,
        BalanceDistribution::Uniform { min, max } => Uniform::new(min, max)
            .expect("validated min < max")
            .sample(rng),
        BalanceDistribution::LogNormal { mean, sd } => {
            // Moments of the balance -> parameters of its logarithm.
            let sigma2 = (1.0 + (sd / mean).powi(2)).ln();
            let mu = mean.ln() - sigma2 / 2.0;
            LogNormal::new(mu, sigma2.sqrt())
                .expect("validated mean, sd > 0")
                .sample(rng)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::simple_model;

    fn spec(loans: u64, balance: BalanceDistribution) -> SyntheticSegment {
        SyntheticSegment {
            segment: 0,
            loans,
            balance,
            apr: 0.2,
            term_months: 24,
            months_on_book: (0, 6),
            credit_limit_ratio: None,
            initial_states: vec![(0, 0.9), (1, 0.07), (2, 0.03)],
        }
    }

    #[test]
    fn starting_mix_is_exact() {
        let book = generate(
            &[spec(1000, BalanceDistribution::Fixed { value: 100.0 })],
            &simple_model(),
            1,
        );
        let count = |s| book.state.iter().filter(|&&x| x == s).count();
        assert_eq!((count(0), count(1), count(2)), (900, 70, 30));
        assert!(
            book.remaining_term
                .iter()
                .zip(&book.months_on_book)
                .all(|(r, m)| r + m == 24)
        );
    }

    #[test]
    fn lognormal_balances_have_the_stated_mean() {
        let book = generate(
            &[spec(
                200_000,
                BalanceDistribution::LogNormal {
                    mean: 2000.0,
                    sd: 1000.0,
                },
            )],
            &simple_model(),
            7,
        );
        let n = book.len() as f64;
        let mean = book.total_balance() / n;
        let sd = (book.balance.iter().map(|b| (b - mean).powi(2)).sum::<f64>() / n).sqrt();
        // Standard error of the mean is 1000 / sqrt(200000) = 2.2.
        assert!((mean - 2000.0).abs() < 10.0, "mean {mean}");
        assert!((sd - 1000.0).abs() < 30.0, "sd {sd}");
    }

    #[test]
    fn same_seed_same_book() {
        let s = [spec(
            100,
            BalanceDistribution::Uniform {
                min: 10.0,
                max: 20.0,
            },
        )];
        assert_eq!(
            generate(&s, &simple_model(), 3),
            generate(&s, &simple_model(), 3)
        );
        assert_ne!(
            generate(&s, &simple_model(), 3),
            generate(&s, &simple_model(), 4)
        );
    }
}
