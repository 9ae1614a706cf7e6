//! The Monte Carlo check of the exact values, and the size of a live test.
//!
//! The champion (the scenario's own actions) and the challenger (the chosen policy) are run by
//! the engine on the same seed and paths, so every loan meets the same random numbers under
//! both (common random numbers, [`crate::rng`]). A path's value is read off its timeline with
//! the same definition as the exact one ([`path_values`]); the difference's standard error is
//! the paired one ([`crate::metrics::paired::paired_se`]).
//!
//! Live test: accounts split at random between champion and challenger, each arm's value per
//! account compared after `T` months. With `delta` the exact difference per account and
//! `sigma_a`, `sigma_b` the per-account standard deviations, a two-sided test at level
//! `alpha` with power `1 - beta` needs, per arm (Chow, Shao and Wang, *Sample Size
//! Calculations in Clinical Research*, 2008, section 3.2.1),
//! `n = (z_(1 - alpha/2) + z_(1 - beta))^2 (sigma_a^2 + sigma_b^2) / delta^2`.
//! Loans are independent given the scenario (no systematic factor), so a path's variance is
//! the sum of its loans' and `sigma^2 = Var(path value) / loans` is the book's average
//! per-account variance.

use statrs::distribution::{ContinuousCDF, Normal};

use super::exact::Valuation;
use crate::engine::{Flow, PathOutcome, TimelineLayout};
use crate::metrics::estimate::Estimate;
use crate::metrics::paired::paired_se;
use crate::model::states::CURRENT;

/// Cash into the lender in a month, as the timeline records it.
const INFLOWS: [Flow; 6] = [
    Flow::ScheduledPayments,
    Flow::Prepayments,
    Flow::CurePayments,
    Flow::PartialPayments,
    Flow::Recoveries,
    Flow::SaleProceeds,
];

/// Every path's value had the horizon ended after each month: `[path][t - 1]`, the present
/// value of inflows less collection costs (actions and recovery) and draws to month `t`, plus
/// the balance current at `t`, as [`super::exact::evaluate_segment`] counts it.
pub fn path_values(
    paths: &[PathOutcome],
    layout: TimelineLayout,
    valuation: &Valuation,
) -> Vec<Vec<f64>> {
    let horizon = (valuation.horizon_months as usize).min(layout.horizon_months);
    paths
        .iter()
        .map(|p| {
            let (mut pv, mut factor) = (0.0, 1.0);
            (1..=horizon)
                .map(|t| {
                    factor *= valuation.monthly_discount;
                    let flow = |f: Flow| p.timeline[layout.flow(t, f)];
                    let net = INFLOWS.iter().map(|&f| flow(f)).sum::<f64>()
                        - flow(Flow::CollectionCosts)
                        - flow(Flow::Drawdowns);
                    pv += factor * net;
                    pv + factor * p.timeline[layout.balance(t, CURRENT as usize)]
                })
                .collect()
        })
        .collect()
}

/// An exact value against its Monte Carlo estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Check {
    pub exact: f64,
    pub mean: f64,
    pub se: f64,
    /// `(mean - exact) / se`.
    pub z: f64,
}

impl Check {
    fn new(exact: f64, mean: f64, se: f64) -> Check {
        Check {
            exact,
            mean,
            se,
            z: if se > 0.0 {
                (mean - exact) / se
            } else {
                f64::NAN
            },
        }
    }
}

/// Champion, challenger and their paired difference (challenger minus champion).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Confirmation {
    pub champion: Check,
    pub challenger: Check,
    pub difference: Check,
}

/// The checks from the exact values and each path's value at the horizon.
pub fn confirm(
    champion_exact: f64,
    challenger_exact: f64,
    champion: &[f64],
    challenger: &[f64],
) -> Confirmation {
    let a = Estimate::new(champion);
    let b = Estimate::new(challenger);
    let ones = vec![1.0; champion.len()];
    let difference_se = paired_se(champion, &ones, challenger, &ones);
    Confirmation {
        champion: Check::new(champion_exact, a.mean, a.se),
        challenger: Check::new(challenger_exact, b.mean, b.se),
        difference: Check::new(
            challenger_exact - champion_exact,
            b.mean - a.mean,
            difference_se,
        ),
    }
}

/// The size of a live test lasting `months`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiveTest {
    pub months: u32,
    /// Exact value difference per account, challenger minus champion.
    pub difference_per_account: f64,
    pub sd_champion: f64,
    pub sd_challenger: f64,
    /// Accounts in each arm (rounded up); NaN when there is no difference to detect.
    pub accounts_per_arm: f64,
}

/// Live-test sizes at 3, 6, 12, 24 months and the horizon (those within it). `*_by_month`:
/// exact values by month; `*_paths`: [`path_values`]; `loans`: accounts in the book.
#[expect(
    clippy::too_many_arguments,
    reason = "the two arms' exact and simulated values, the book size and the test's levels"
)]
pub fn live_test(
    champion_by_month: &[f64],
    challenger_by_month: &[f64],
    champion_paths: &[Vec<f64>],
    challenger_paths: &[Vec<f64>],
    loans: f64,
    power: f64,
    alpha: f64,
    horizon_months: u32,
) -> Vec<LiveTest> {
    let normal = Normal::new(0.0, 1.0).expect("standard normal");
    let z = normal.inverse_cdf(1.0 - alpha / 2.0) + normal.inverse_cdf(power);
    let mut months: Vec<u32> = [3, 6, 12, 24]
        .into_iter()
        .filter(|&m| m < horizon_months)
        .collect();
    months.push(horizon_months);
    let sd = |paths: &[Vec<f64>], t: usize| {
        let at: Vec<f64> = paths.iter().map(|p| p[t]).collect();
        Estimate::new(&at).sd / loans.sqrt()
    };
    months
        .into_iter()
        .filter(|&m| m >= 1 && (m as usize) <= champion_by_month.len())
        .map(|m| {
            let t = m as usize - 1;
            let delta = (challenger_by_month[t] - champion_by_month[t]) / loans;
            let (sd_a, sd_b) = (sd(champion_paths, t), sd(challenger_paths, t));
            let n = z * z * (sd_a * sd_a + sd_b * sd_b) / (delta * delta);
            LiveTest {
                months: m,
                difference_per_account: delta,
                sd_champion: sd_a,
                sd_challenger: sd_b,
                accounts_per_arm: if delta != 0.0 && n.is_finite() {
                    n.ceil().max(2.0)
                } else {
                    f64::NAN
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_test_matches_the_textbook_formula() {
        // sigma 1 in each arm, delta 0.1, 80% power at 5%: 2 * 7.849 / 0.01 = 1570 per arm.
        let champion = vec![vec![0.0], vec![2.0]];
        let challenger = vec![vec![0.0], vec![2.0]];
        let sizes = live_test(&[0.0], &[0.1], &champion, &challenger, 2.0, 0.8, 0.05, 1);
        // Path sd of [0, 2] is sqrt(2); per account sqrt(2) / sqrt(2) = 1; delta 0.1 / 2.
        let n = sizes[0].accounts_per_arm;
        let expected = (1.959_964 + 0.841_621_f64).powi(2) * 2.0 / 0.05_f64.powi(2);
        assert!((n - expected.ceil()).abs() <= 1.0, "{n} vs {expected}");
    }
}
