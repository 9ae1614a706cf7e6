//! Systematic (macro) risk: a one-factor Gaussian copula (Vasicek) that moves every loan's
//! roll and cure probabilities together on a path, stress scenarios that shift the factor or
//! the rates over calendar months, and the normal distribution functions they need.
//!
//! Conditioning rule (docs/SCENARIOS.md, "Systematic risk"): in each on-book row the total
//! roll-forward probability `R` (to a worse bucket, charge-off or sale) and the total cure
//! probability `C` (to current) are conditioned on the factor `z` with the segment's asset
//! correlation `rho`:
//!
//! ```text
//! R(z) = Phi((Phi^-1(R) - sqrt(rho) z) / sqrt(1 - rho))     worse when z is low
//! C(z) = Phi((Phi^-1(C) + sqrt(rho) z) / sqrt(1 - rho))     better when z is high
//! ```
//!
//! (Vasicek 2002, "The distribution of loan portfolio value"; E[R(Z)] = R for Z ~ N(0, 1)).
//! Each roll entry is scaled by R(z)/R, each cure entry by C(z)/C, and the rest of the row
//! (staying, partial improvement, pay-off) by what is left, so the row still sums to one. When
//! R(z) + C(z) would exceed one, both are scaled down to fill the row (a clip, counted and
//! reported).

/// Standard normal distribution function, from the complementary error function.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Inverse of the standard normal distribution function: Acklam's rational approximation
/// (relative error 1.15e-9) refined by one Halley step to full double precision.
#[expect(
    clippy::excessive_precision,
    reason = "Acklam's published coefficients, as printed"
)]
pub fn normal_inverse_cdf(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383577518672690e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    const LOW: f64 = 0.02425;
    let x = if p < LOW {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Halley step on Phi(x) - p.
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// Vasicek conditional probability: `p` given factor `z` at asset correlation `rho`, with the
/// sign chosen so that a low `z` raises the probability.
pub fn conditional_probability(p: f64, rho: f64, z: f64) -> f64 {
    if p <= 0.0 || p >= 1.0 || rho <= 0.0 {
        return p;
    }
    normal_cdf((normal_inverse_cdf(p) - rho.sqrt() * z) / (1.0 - rho).sqrt())
}

/// Basel's asset correlation for "other retail" exposures at a one-year PD (BCBS,
/// "International Convergence of Capital Measurement and Capital Standards", June 2006,
/// paragraph 330): between 0.03 (high PD) and 0.16 (low PD). Qualifying revolving retail uses
/// 0.04 (paragraph 329).
pub fn basel_other_retail_correlation(pd: f64) -> f64 {
    let w = (1.0 - (-35.0 * pd).exp()) / (1.0 - (-35.0f64).exp());
    0.03 * w + 0.16 * (1.0 - w)
}

/// Correlation Basel gives qualifying revolving retail exposures.
pub const BASEL_REVOLVING_CORRELATION: f64 = 0.04;

/// How the factor evolves over a path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FactorDynamics {
    /// One draw per path, the same in every month.
    PerPath,
    /// One draw per month, AR(1): `Z_t = phi Z_{t-1} + sqrt(1 - phi^2) e_t`, stationary N(0, 1).
    Monthly { persistence: f64 },
}

/// The systematic factor of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Systematic {
    pub dynamics: FactorDynamics,
    /// Asset correlation per segment.
    pub asset_correlation: Vec<f64>,
    /// Correlation of the share of paying charged-off accounts with the factor (0: none).
    pub recovery_correlation: f64,
    /// Importance sampling: the mean of the factor's innovations is shifted to this value and
    /// paths are weighted by the likelihood ratio (Glasserman and Li 2005). `None`: plain.
    pub importance_shift: Option<f64>,
    /// Added to the factor in every month of every path (on top of a stress scenario's own
    /// shift): a run under a lasting downturn when negative. 0 leaves the factor as drawn.
    pub z_shift: f64,
}

/// A named macro path: shifts of the factor and multipliers of rates by calendar month.
#[derive(Debug, Clone, PartialEq)]
pub struct StressPath {
    pub name: String,
    /// Probability weight for the blended view; `None` when not weighted.
    pub weight: Option<f64>,
    /// By month (index 0 is month 1); the last value holds for later months.
    pub z_shift: Vec<f64>,
    pub roll_multiplier: Vec<f64>,
    pub cure_multiplier: Vec<f64>,
    pub recovery_multiplier: Vec<f64>,
}

impl StressPath {
    /// The unstressed path.
    pub fn base(name: &str) -> StressPath {
        StressPath {
            name: name.to_string(),
            weight: None,
            z_shift: vec![0.0],
            roll_multiplier: vec![1.0],
            cure_multiplier: vec![1.0],
            recovery_multiplier: vec![1.0],
        }
    }

    /// Value for month `month` (1-based) of a by-month series.
    pub fn at(series: &[f64], month: usize) -> f64 {
        series[(month.max(1) - 1).min(series.len() - 1)]
    }

    pub fn is_neutral(&self) -> bool {
        self.z_shift.iter().all(|&x| x == 0.0)
            && [
                &self.roll_multiplier,
                &self.cure_multiplier,
                &self.recovery_multiplier,
            ]
            .iter()
            .all(|s| s.iter().all(|&x| x == 1.0))
    }
}

/// Conditions one on-book row (see the module doc). `roll` and `cure` mark the entries;
/// returns whether the row had to be clipped.
#[expect(
    clippy::too_many_arguments,
    reason = "a pure formula; its inputs are all distinct numbers"
)]
pub fn condition_row(
    base: &[f64],
    roll: &[bool],
    cure: &[bool],
    diagonal: usize,
    rho: f64,
    z: f64,
    roll_multiplier: f64,
    cure_multiplier: f64,
    out: &mut [f64],
) -> bool {
    let (mut r, mut c) = (0.0, 0.0);
    for j in 0..base.len() {
        if roll[j] {
            r += base[j];
        } else if cure[j] {
            c += base[j];
        }
    }
    let rest = (1.0 - r - c).max(0.0);
    let stressed_r = (r * roll_multiplier).min(1.0);
    let stressed_c = (c * cure_multiplier).min(1.0);
    let mut new_r = conditional_probability(stressed_r, rho, z);
    let mut new_c = conditional_probability(stressed_c, rho, -z);
    let mut clipped = false;
    if new_r + new_c > 1.0 {
        let total = new_r + new_c;
        new_r /= total;
        new_c /= total;
        clipped = true;
    }
    let new_rest = (1.0 - new_r - new_c).max(0.0);
    for j in 0..base.len() {
        out[j] = if roll[j] {
            if r > 0.0 { base[j] * new_r / r } else { 0.0 }
        } else if cure[j] {
            if c > 0.0 { base[j] * new_c / c } else { 0.0 }
        } else if rest > 0.0 {
            base[j] * new_rest / rest
        } else {
            0.0
        };
    }
    if rest <= 0.0 {
        // A row with nothing but rolls and cures: what conditioning frees stays put.
        out[diagonal] += new_rest;
    }
    clipped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_functions_invert_each_other() {
        for &p in &[
            1e-12,
            1e-6,
            0.001,
            0.02425,
            0.1,
            0.5,
            0.9,
            0.999,
            1.0 - 1e-9,
        ] {
            let x = normal_inverse_cdf(p);
            assert!(
                (normal_cdf(x) - p).abs() < 1e-14 * p.max(1e-3) + 1e-16,
                "{p}: {}",
                normal_cdf(x)
            );
        }
        assert!((normal_inverse_cdf(0.975) - 1.959_963_984_540_054).abs() < 1e-12);
        assert!((normal_cdf(1.0) - 0.841_344_746_068_542_9).abs() < 1e-15);
    }

    #[test]
    fn vasicek_conditioning_averages_to_the_unconditional_probability() {
        // E[p(Z)] = p: integrate over the standard normal with the trapezoid rule.
        for &(p, rho) in &[(0.02, 0.05), (0.2, 0.15), (0.6, 0.3)] {
            let (mut sum, h) = (0.0, 0.001);
            let mut z = -9.0;
            while z <= 9.0 {
                let phi = (-z * z / 2.0f64).exp() / (2.0 * std::f64::consts::PI).sqrt();
                sum += conditional_probability(p, rho, z) * phi * h;
                z += h;
            }
            assert!((sum - p).abs() < 1e-6, "p {p} rho {rho}: {sum}");
        }
    }

    #[test]
    fn conditioned_rows_stay_valid_for_any_factor() {
        let base = [0.5, 0.1, 0.35, 0.0, 0.05];
        let roll = [false, false, true, false, false];
        let cure = [true, false, false, false, false];
        let mut out = [0.0; 5];
        for i in -80..=80 {
            let z = f64::from(i) / 10.0;
            condition_row(&base, &roll, &cure, 1, 0.2, z, 1.3, 0.7, &mut out);
            let sum: f64 = out.iter().sum();
            assert!((sum - 1.0).abs() < 1e-12, "z {z}: {out:?}");
            assert!(out.iter().all(|&p| (0.0..=1.0).contains(&p)));
        }
        // A bad factor rolls more and cures less.
        condition_row(&base, &roll, &cure, 1, 0.2, -2.0, 1.0, 1.0, &mut out);
        assert!(out[2] > 0.35 && out[0] < 0.5);
    }

    #[test]
    fn basel_correlation_runs_from_016_to_003() {
        assert!((basel_other_retail_correlation(0.0) - 0.16).abs() < 1e-12);
        assert!((basel_other_retail_correlation(1.0) - 0.03).abs() < 1e-9);
        let mid = basel_other_retail_correlation(0.02);
        assert!(mid > 0.03 && mid < 0.16);
    }
}
