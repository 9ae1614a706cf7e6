//! The estimate toolbox: a figure's values across paths into an [`Estimate`] (mean, standard
//! deviation, Monte Carlo standard error, percentiles), tail measures of a loss distribution
//! ([`TailMeasure`]: VaR and expected shortfall with confidence intervals), the effective
//! sample size of weighted paths and the bootstrap. Plain functions of numbers and weights:
//! nothing here knows what a path or a run is ([`super::summary`] does).
//!
//! Conventions (stated in the README):
//! - percentiles and VaR are the inverse of the empirical distribution function (Hyndman and
//!   Fan 1996, definition 1): the `ceil(n q)`-th smallest value;
//! - expected shortfall at `q` is the mean of the `n - floor(n q)` largest values;
//! - the standard error of a mean is the sample standard deviation / sqrt(paths).

use serde::{Deserialize, Serialize};

/// The percentiles reported for every figure.
pub const PERCENTILES: [(f64, &str); 5] = [
    (0.05, "p5"),
    (0.50, "p50"),
    (0.95, "p95"),
    (0.99, "p99"),
    (0.999, "p99_9"),
];

/// Confidence levels of the tail measures.
pub const TAIL_LEVELS: [(f64, &str); 3] = [(0.95, "95"), (0.99, "99"), (0.999, "99_9")];

/// Tail paths a quantile should rest on before it is reported without a warning.
pub const MIN_TAIL_PATHS: f64 = 10.0;

/// Summary of one figure across paths.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Estimate {
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub mean: f64,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub sd: f64,
    /// Monte Carlo standard error of the mean: sd / sqrt(n).
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub se: f64,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub p5: f64,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub p50: f64,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub p95: f64,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub p99: f64,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub p99_9: f64,
    /// Paths the estimate rests on.
    pub n: usize,
}

impl Default for Estimate {
    /// The estimate of no values: every figure undefined.
    fn default() -> Estimate {
        Estimate::new(&[])
    }
}

impl Estimate {
    /// Summarises `values` with likelihood-ratio `weights` (importance sampling); with equal
    /// weights exactly [`Estimate::new`]. Weighted: the self-normalised mean, the standard
    /// error by the delta method, `sqrt(sum w^2 (x - mean)^2) / sum w` (Owen, *Monte Carlo
    /// theory, methods and examples*, 2013, section 9.2), and weighted inverse-CDF percentiles.
    pub fn weighted(values: &[f64], weights: &[f64]) -> Estimate {
        debug_assert_eq!(values.len(), weights.len());
        if weights.iter().all(|&w| w == 1.0) {
            return Estimate::new(values);
        }
        let n = values.len();
        let total: f64 = weights.iter().sum();
        if n == 0 || total <= 0.0 {
            return Estimate::new(&[]);
        }
        let mean = values.iter().zip(weights).map(|(x, w)| w * x).sum::<f64>() / total;
        let sum_sq: f64 = weights.iter().map(|w| w * w).sum();
        let var = values
            .iter()
            .zip(weights)
            .map(|(x, w)| w * (x - mean).powi(2))
            .sum::<f64>()
            / (total - sum_sq / total).max(f64::MIN_POSITIVE);
        let se = values
            .iter()
            .zip(weights)
            .map(|(x, w)| (w * (x - mean)).powi(2))
            .sum::<f64>()
            .sqrt()
            / total;
        let sorted = sorted_pairs(values, weights);
        let q = |p| weighted_quantile(&sorted, p);
        Estimate {
            mean,
            sd: var.sqrt(),
            se,
            p5: q(0.05),
            p50: q(0.5),
            p95: q(0.95),
            p99: q(0.99),
            p99_9: q(0.999),
            n,
        }
    }

    /// Summarises `values`; NaN for every field when there are none.
    pub fn new(values: &[f64]) -> Estimate {
        let n = values.len();
        if n == 0 {
            return Estimate {
                mean: f64::NAN,
                sd: f64::NAN,
                se: f64::NAN,
                p5: f64::NAN,
                p50: f64::NAN,
                p95: f64::NAN,
                p99: f64::NAN,
                p99_9: f64::NAN,
                n,
            };
        }
        let (mean, sd) = mean_sd(values);
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let q = |p| quantile(&sorted, p);
        Estimate {
            mean,
            sd,
            se: sd / (n as f64).sqrt(),
            p5: q(0.05),
            p50: q(0.5),
            p95: q(0.95),
            p99: q(0.99),
            p99_9: q(0.999),
            n,
        }
    }
}

/// `(value, weight)` sorted by value.
pub fn sorted_pairs(values: &[f64], weights: &[f64]) -> Vec<(f64, f64)> {
    let mut pairs: Vec<(f64, f64)> = values
        .iter()
        .copied()
        .zip(weights.iter().copied())
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    pairs
}

/// The smallest value whose cumulative weight reaches `q` of the total.
pub fn weighted_quantile(sorted: &[(f64, f64)], q: f64) -> f64 {
    let total: f64 = sorted.iter().map(|p| p.1).sum();
    let mut cumulative = 0.0;
    for &(x, w) in sorted {
        cumulative += w;
        if cumulative >= q * total {
            return x;
        }
    }
    sorted.last().map_or(f64::NAN, |p| p.0)
}

/// Weighted mean of the values beyond the weighted `q` quantile.
pub fn weighted_expected_shortfall(sorted: &[(f64, f64)], q: f64) -> f64 {
    let var = weighted_quantile(sorted, q);
    let (mut sum, mut weight) = (0.0, 0.0);
    for &(x, w) in sorted.iter().filter(|p| p.0 > var) {
        sum += w * x;
        weight += w;
    }
    if weight > 0.0 { sum / weight } else { var }
}

/// Effective sample size below which a weighted run's figures are marked not reliable.
pub const MIN_EFFECTIVE_PATHS: f64 = 30.0;

/// Effective sample size of weighted paths, `(sum w)^2 / sum w^2` (Kish).
pub fn effective_sample_size(weights: &[f64]) -> f64 {
    let total: f64 = weights.iter().sum();
    let sum_sq: f64 = weights.iter().map(|w| w * w).sum();
    if sum_sq > 0.0 {
        total * total / sum_sq
    } else {
        0.0
    }
}

/// Bootstrap resamples for the confidence intervals of expected shortfall (and of VaR with
/// weighted paths).
pub const BOOTSTRAP_RESAMPLES: usize = 200;

/// 95% percentile-bootstrap confidence interval of `statistic` (Efron and Tibshirani, *An
/// Introduction to the Bootstrap*, 1993, ch. 13): the paths resampled with replacement
/// [`BOOTSTRAP_RESAMPLES`] times from a fixed stream, so the interval is reproducible.
pub fn bootstrap_ci(
    values: &[f64],
    weights: &[f64],
    statistic: impl Fn(&[f64], &[f64]) -> f64,
) -> (f64, f64) {
    use rand::Rng;
    let n = values.len();
    if n < 2 {
        return (f64::NAN, f64::NAN);
    }
    let mut rng = crate::rng::stream(0, crate::rng::Stream::Bootstrap, n as u64, 0);
    let (mut v, mut w) = (vec![0.0; n], vec![0.0; n]);
    let mut estimates: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| {
            for k in 0..n {
                // Multiply-shift maps 64 random bits to 0..n without division bias worth noting.
                let i = ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize;
                v[k] = values[i];
                w[k] = weights[i];
            }
            statistic(&v, &w)
        })
        .collect();
    estimates.sort_by(f64::total_cmp);
    (quantile(&estimates, 0.025), quantile(&estimates, 0.975))
}

/// Mean and sample standard deviation (n - 1), summed in order (Welford).
pub fn mean_sd(values: &[f64]) -> (f64, f64) {
    let (mut mean, mut m2) = (0.0, 0.0);
    for (i, &x) in values.iter().enumerate() {
        let delta = x - mean;
        mean += delta / (i + 1) as f64;
        m2 += delta * (x - mean);
    }
    let n = values.len();
    // One value says nothing about the spread: NaN (null in JSON, "n/a" on screen), not 0.
    let sd = if n > 1 {
        (m2 / (n - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    (mean, sd)
}

/// The `ceil(n q)`-th smallest of `sorted` (inverse empirical CDF).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let rank = ((n as f64 * q).ceil() as usize).clamp(1, n);
    sorted[rank - 1]
}

/// Mean of the `n - floor(n q)` largest of `sorted`.
pub fn expected_shortfall(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let tail = (n - ((n as f64 * q).floor() as usize).min(n)).max(1);
    sorted[n - tail..].iter().sum::<f64>() / tail as f64
}

/// Value at risk and expected shortfall of a loss at one level.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TailMeasure {
    pub level: f64,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub var: f64,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub expected_shortfall: f64,
    /// Paths beyond the VaR: fewer than [`MIN_TAIL_PATHS`] makes the figure unreliable.
    pub tail_paths: usize,
    /// 95% confidence interval of the VaR: order statistics for a plain run, the bootstrap
    /// when paths are weighted.
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub var_ci_low: f64,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub var_ci_high: f64,
    /// 95% confidence interval of the expected shortfall by the bootstrap.
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub expected_shortfall_ci_low: f64,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub expected_shortfall_ci_high: f64,
}

/// Distribution-free confidence interval for the `q` quantile at 95%: the order statistics
/// whose ranks bracket `n q` by 1.96 binomial standard deviations (Conover, *Practical
/// Nonparametric Statistics*, 3rd ed., section 3.2, normal approximation), clamped to the
/// sample.
pub fn quantile_ci(sorted: &[f64], q: f64) -> (f64, f64) {
    let n = sorted.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let nf = n as f64;
    let half = 1.96 * (nf * q * (1.0 - q)).sqrt();
    let low = ((nf * q - half).floor() as isize).clamp(1, n as isize) as usize;
    let high = ((nf * q + half).ceil() as isize + 1).clamp(1, n as isize) as usize;
    (sorted[low - 1], sorted[high - 1])
}

/// VaR and expected shortfall at 95, 99 and 99.9% of equally weighted losses.
pub fn tail_measures(losses: &[f64]) -> Vec<TailMeasure> {
    tail_measures_weighted(losses, &vec![1.0; losses.len()])
}

/// VaR and expected shortfall of weighted losses (weights all 1 for a plain run).
pub fn tail_measures_weighted(losses: &[f64], weights: &[f64]) -> Vec<TailMeasure> {
    let plain = weights.iter().all(|&w| w == 1.0);
    let mut sorted = losses.to_vec();
    sorted.sort_by(f64::total_cmp);
    let pairs = sorted_pairs(losses, weights);
    TAIL_LEVELS
        .iter()
        .map(|&(level, _)| {
            let es = |v: &[f64], w: &[f64]| {
                if w.iter().all(|&x| x == 1.0) {
                    let mut s = v.to_vec();
                    s.sort_by(f64::total_cmp);
                    expected_shortfall(&s, level)
                } else {
                    weighted_expected_shortfall(&sorted_pairs(v, w), level)
                }
            };
            let var_of = |v: &[f64], w: &[f64]| weighted_quantile(&sorted_pairs(v, w), level);
            let (var, expected_shortfall_value, (var_ci_low, var_ci_high)) = if plain {
                (
                    quantile(&sorted, level),
                    expected_shortfall(&sorted, level),
                    quantile_ci(&sorted, level),
                )
            } else {
                (
                    weighted_quantile(&pairs, level),
                    weighted_expected_shortfall(&pairs, level),
                    bootstrap_ci(losses, weights, var_of),
                )
            };
            let (es_lo, es_hi) = bootstrap_ci(losses, weights, es);
            TailMeasure {
                level,
                var,
                expected_shortfall: expected_shortfall_value,
                tail_paths: if plain {
                    sorted.len()
                        - ((sorted.len() as f64 * level).floor() as usize).min(sorted.len())
                } else {
                    pairs.iter().filter(|p| p.0 > var).count()
                },
                var_ci_low,
                var_ci_high,
                expected_shortfall_ci_low: es_lo,
                expected_shortfall_ci_high: es_hi,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_is_inverse_empirical_cdf() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&sorted, 0.99), 99.0);
        assert_eq!(quantile(&sorted, 0.5), 50.0);
        assert_eq!(quantile(&sorted, 0.001), 1.0);
        assert_eq!(quantile(&sorted, 1.0), 100.0);
        // ES at 99%: the mean of the single largest value.
        assert_eq!(expected_shortfall(&sorted, 0.99), 100.0);
        assert_eq!(
            expected_shortfall(&sorted, 0.95),
            (96.0 + 97.0 + 98.0 + 99.0 + 100.0) / 5.0
        );
    }

    #[test]
    fn estimate_of_known_values() {
        let e = Estimate::new(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(e.mean, 2.5);
        assert!((e.sd - 1.290_994_448_735_805_6).abs() < 1e-12);
        assert!((e.se - e.sd / 2.0).abs() < 1e-12);
        assert!(Estimate::new(&[]).mean.is_nan());
    }

    #[test]
    fn quantile_interval_brackets_the_quantile() {
        let sorted: Vec<f64> = (1..=1000).map(f64::from).collect();
        let (lo, hi) = quantile_ci(&sorted, 0.99);
        // n q = 990, 1.96 sd = 6.17: ranks floor(983.8) = 983 and ceil(996.2) + 1 = 998.
        assert_eq!((lo, hi), (983.0, 998.0));
        assert!(lo <= quantile(&sorted, 0.99) && quantile(&sorted, 0.99) <= hi);
        let (lo, hi) = quantile_ci(&sorted[..10], 0.999);
        assert_eq!(hi, 10.0);
        assert!(lo <= hi);
    }

    #[test]
    fn few_tail_paths_warn_with_the_paths_needed() {
        let t = tail_measures(&(0..100).map(f64::from).collect::<Vec<_>>());
        assert_eq!(t[0].tail_paths, 5);
        assert_eq!(t[2].tail_paths, 1);
    }
}
