//! Statistics of two runs that shared random numbers path by path (common random numbers):
//! the standard error of a difference of means ([`paired_se`], the delta method under
//! importance weights) and the bootstrap interval of a difference of tail measures
//! ([`paired_tail_interval`], paths resampled in pairs). `arrears compare` reads the runs'
//! per-path figures and calls these; when runs share random numbers is its business
//! (`report::compare`).
//!
//! With common random numbers (Glasserman, *Monte Carlo Methods in Financial Engineering*,
//! 2004, section 4.2) the difference of the means is the mean of the per-path differences, and
//! its standard error `sd(d) / sqrt(n)` is usually far below the independent
//! `sqrt(se_a² + se_b²)`, which ignores the correlation. Under importance weights the means are
//! self-normalised and the error is the delta method's (Owen, *Monte Carlo theory, methods and
//! examples*, 2013, section 9.2, applied to the pair).

use super::estimate::{self, Estimate};

/// Value at risk or expected shortfall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TailKind {
    Var,
    ExpectedShortfall,
}

/// A tail measure of `losses`, as `summary.json` computes it: order statistics with equal
/// weights, weighted quantiles otherwise.
pub fn tail_measure(losses: &[f64], weights: &[f64], level: f64, kind: TailKind) -> f64 {
    if losses.is_empty() {
        return f64::NAN;
    }
    if weights.iter().all(|&w| w == 1.0) {
        let mut sorted = losses.to_vec();
        sorted.sort_by(f64::total_cmp);
        match kind {
            TailKind::Var => estimate::quantile(&sorted, level),
            TailKind::ExpectedShortfall => estimate::expected_shortfall(&sorted, level),
        }
    } else {
        let pairs = estimate::sorted_pairs(losses, weights);
        match kind {
            TailKind::Var => estimate::weighted_quantile(&pairs, level),
            TailKind::ExpectedShortfall => estimate::weighted_expected_shortfall(&pairs, level),
        }
    }
}

/// 95% percentile-bootstrap interval of `measure(b) - measure(a)` for runs that shared random
/// numbers: paths are resampled in pairs, so each resample keeps the pairing (the same fixed
/// stream as the run's own intervals, [`estimate::bootstrap_ci`]). NaN when a loss is undefined
/// or the runs have different numbers of paths.
pub fn paired_tail_interval(
    a: &[f64],
    weights_a: &[f64],
    b: &[f64],
    weights_b: &[f64],
    level: f64,
    kind: TailKind,
) -> (f64, f64) {
    let n = a.len();
    let usable = b.len() == n
        && weights_a.len() == n
        && weights_b.len() == n
        && a.iter().chain(b).all(|v| v.is_finite());
    if !usable {
        return (f64::NAN, f64::NAN);
    }
    // The bootstrap resamples path numbers; the statistic looks both runs up by them.
    let index: Vec<f64> = (0..n).map(|i| i as f64).collect();
    estimate::bootstrap_ci(&index, &vec![1.0; n], |picked, _| {
        let gather = |x: &[f64]| picked.iter().map(|&i| x[i as usize]).collect::<Vec<f64>>();
        tail_measure(&gather(b), &gather(weights_b), level, kind)
            - tail_measure(&gather(a), &gather(weights_a), level, kind)
    })
}

/// Standard error of `mean(b) - mean(a)` for runs that shared random numbers path by path:
/// `values` per path (NaN where the figure is undefined on a path) and their weights.
///
/// With unit weights and every value defined it is `sd(d) / sqrt(n)` of the per-path
/// differences `d = b - a`. Otherwise the delta method for the difference of two
/// self-normalised means: `sqrt(sum psi_i²)` with each path's influence
/// `psi_i = w_b (b_i - mean_b) / W_b - w_a (a_i - mean_a) / W_a`, a term dropped on a path
/// where that run's value is undefined (`W` sums the weights of the defined paths). NaN when
/// the runs have different numbers of paths or either has no defined value.
pub fn paired_se(a: &[f64], weights_a: &[f64], b: &[f64], weights_b: &[f64]) -> f64 {
    let n = a.len();
    if b.len() != n || weights_a.len() != n || weights_b.len() != n {
        return f64::NAN;
    }
    let unit = weights_a.iter().chain(weights_b).all(|&w| w == 1.0);
    if unit && a.iter().chain(b).all(|v| v.is_finite()) {
        let d: Vec<f64> = b.iter().zip(a).map(|(b, a)| b - a).collect();
        return Estimate::new(&d).se;
    }
    let moments = |x: &[f64], w: &[f64]| {
        let (mut total, mut sum) = (0.0, 0.0);
        for (x, w) in x.iter().zip(w) {
            if x.is_finite() {
                total += w;
                sum += w * x;
            }
        }
        (total, sum / total)
    };
    let (total_a, mean_a) = moments(a, weights_a);
    let (total_b, mean_b) = moments(b, weights_b);
    if !(total_a > 0.0 && total_b > 0.0) {
        return f64::NAN;
    }
    let influence = |x: f64, w: f64, mean: f64, total: f64| {
        if x.is_finite() {
            w * (x - mean) / total
        } else {
            0.0
        }
    };
    (0..n)
        .map(|i| {
            let psi = influence(b[i], weights_b[i], mean_b, total_b)
                - influence(a[i], weights_a[i], mean_a, total_a);
            psi * psi
        })
        .sum::<f64>()
        .sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_se_is_the_sd_of_the_differences_over_root_n() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [1.5, 2.4, 3.6, 4.4, 5.6];
        let d: Vec<f64> = b.iter().zip(&a).map(|(b, a)| b - a).collect();
        let ones = [1.0; 5];
        let se = paired_se(&a, &ones, &b, &ones);
        assert!((se - Estimate::new(&d).se).abs() < 1e-15);
        // A run against itself: no noise in the difference.
        assert_eq!(paired_se(&a, &ones, &a, &ones), 0.0);
        // Different path counts cannot be paired.
        assert!(paired_se(&a, &ones, &b[..4], &ones[..4]).is_nan());
    }

    #[test]
    fn weighted_paired_se_matches_the_delta_method_of_each_run() {
        // Against a run that is constant, the paired error is the other run's own error.
        let a = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0];
        let w = [0.5, 2.0, 1.0, 0.25, 1.5, 0.75];
        let zero = [0.0; 6];
        let own = Estimate::weighted(&a, &w).se;
        let se = paired_se(&zero, &w, &a, &w);
        assert!((se - own).abs() < 1e-12, "{se} vs {own}");
        // Undefined values drop out of their run alone.
        let mut gappy = a;
        gappy[2] = f64::NAN;
        let defined: Vec<(f64, f64)> = gappy
            .iter()
            .zip(&w)
            .filter(|(x, _)| x.is_finite())
            .map(|(x, w)| (*x, *w))
            .collect();
        let (xs, ws): (Vec<f64>, Vec<f64>) = defined.into_iter().unzip();
        let own = Estimate::weighted(&xs, &ws).se;
        let se = paired_se(&zero, &w, &gappy, &w);
        assert!((se - own).abs() < 1e-12, "{se} vs {own}");
    }

    #[test]
    fn a_constant_shift_moves_every_tail_measure_by_itself() {
        let a: Vec<f64> = (0..200).map(|i| ((i * 37) % 200) as f64).collect();
        let b: Vec<f64> = a.iter().map(|x| x + 5.0).collect();
        let ones = vec![1.0; 200];
        for kind in [TailKind::Var, TailKind::ExpectedShortfall] {
            let (lo, hi) = paired_tail_interval(&a, &ones, &b, &ones, 0.99, kind);
            assert!(
                (lo - 5.0).abs() < 1e-9 && (hi - 5.0).abs() < 1e-9,
                "{lo} {hi}"
            );
        }
        let (lo, _) = paired_tail_interval(&a, &ones, &b[..100], &ones[..100], 0.99, TailKind::Var);
        assert!(lo.is_nan());
        assert_eq!(tail_measure(&a, &ones, 0.95, TailKind::Var), 189.0);
    }
}
