//! The systematic factor against exact results: Vasicek's large-portfolio quantiles, the exact
//! binomial mixture of a 1,000-loan book, the independent binomial at zero correlation, and
//! importance sampling agreeing with plain sampling. Tolerances are computed from the run.

mod common;

use arrears::engine::{RunOutput, Total};
use arrears::metrics::estimate::{
    Estimate, mean_sd, quantile, quantile_ci, sorted_pairs, tail_measures_weighted,
    weighted_quantile,
};
use arrears::metrics::summary::summarise;
use arrears::model::systematic::{normal_cdf, normal_inverse_cdf};
use common::{one_period, run, scenario};

fn default_fractions(text: &str, loans: u64) -> (Vec<f64>, Vec<f64>) {
    let out = run(&scenario(text), 2);
    out.paths
        .iter()
        .map(|p| (p.get(Total::ChargeOffs) / loans as f64, p.weight))
        .unzip()
}

/// Vasicek's large-portfolio loss quantile (Vasicek 2002).
fn vasicek_quantile(pd: f64, rho: f64, q: f64) -> f64 {
    normal_cdf((normal_inverse_cdf(pd) + rho.sqrt() * normal_inverse_cdf(q)) / (1.0 - rho).sqrt())
}

#[test]
fn large_book_reproduces_vasicek_quantiles() {
    let loans = 20_000;
    for &(pd, rho) in &[(0.02, 0.05), (0.05, 0.15)] {
        let (fractions, _) = default_fractions(&one_period(loans, 2_000, pd, rho, None), loans);
        let mut sorted = fractions.clone();
        sorted.sort_by(f64::total_cmp);
        for &q in &[0.5, 0.9, 0.99] {
            let exact = vasicek_quantile(pd, rho, q);
            let (lo, hi) = quantile_ci(&sorted, q);
            // A finite book adds binomial noise around the limit.
            let granularity = 3.0 * (exact * (1.0 - exact) / loans as f64).sqrt();
            assert!(
                lo - granularity <= exact && exact <= hi + granularity,
                "pd {pd} rho {rho} q {q}: simulated {} in [{lo}, {hi}], Vasicek {exact}",
                quantile(&sorted, q)
            );
        }
    }
}

/// P(D <= k) for n loans: the binomial integrated over the factor (trapezoid on [-8, 8]).
fn binomial_mixture_cdf(n: usize, pd: f64, rho: f64) -> Vec<f64> {
    let mut cdf = vec![0.0; n + 1];
    let h = 0.005;
    let mut z = -8.0;
    while z <= 8.0 {
        let p = normal_cdf((normal_inverse_cdf(pd) - rho.sqrt() * z) / (1.0 - rho).sqrt());
        let density = (-z * z / 2.0f64).exp() / (2.0 * std::f64::consts::PI).sqrt() * h;
        // Binomial pmf by recursion in log space to stay finite.
        let mut log_pmf = n as f64 * (1.0 - p).ln();
        let mut cumulative = 0.0;
        for (k, cell) in cdf.iter_mut().enumerate() {
            cumulative += log_pmf.exp();
            *cell += cumulative.min(1.0) * density;
            if k < n {
                log_pmf += ((n - k) as f64).ln() - ((k + 1) as f64).ln() + p.ln() - (1.0 - p).ln();
            }
        }
        z += h;
    }
    cdf
}

#[test]
fn thousand_loan_book_matches_the_exact_binomial_mixture() {
    let (n, pd, rho, paths) = (1_000usize, 0.03, 0.10, 4_000u64);
    let exact = binomial_mixture_cdf(n, pd, rho);
    let (fractions, _) = default_fractions(&one_period(n as u64, paths, pd, rho, None), n as u64);
    let counts: Vec<usize> = fractions
        .iter()
        .map(|f| (f * n as f64).round() as usize)
        .collect();
    let mut checked = 0;
    for &target in &[0.1, 0.5, 0.9, 0.99] {
        let k = exact.iter().position(|&c| c >= target).unwrap();
        let empirical = counts.iter().filter(|&&c| c <= k).count() as f64 / paths as f64;
        let se = (exact[k] * (1.0 - exact[k]) / paths as f64).sqrt();
        assert!(
            (empirical - exact[k]).abs() <= 4.0 * se,
            "P(D <= {k}): simulated {empirical}, exact {} ± {se}",
            exact[k]
        );
        checked += 1;
    }
    assert_eq!(checked, 4);
}

#[test]
fn zero_correlation_is_the_independent_binomial() {
    let (n, pd, paths) = (2_000u64, 0.05, 1_000);
    let (fractions, _) = default_fractions(&one_period(n, paths, pd, 0.0, None), n);
    let counts: Vec<f64> = fractions.iter().map(|f| f * n as f64).collect();
    let (mean, sd) = mean_sd(&counts);
    let binomial_sd = (n as f64 * pd * (1.0 - pd)).sqrt();
    let sd_se = binomial_sd / (2.0 * (paths as f64 - 1.0)).sqrt();
    assert!((mean - n as f64 * pd).abs() <= 4.0 * sd / (paths as f64).sqrt());
    assert!(
        (sd - binomial_sd).abs() <= 4.0 * sd_se,
        "sd {sd} vs binomial {binomial_sd} ± {sd_se}"
    );
}

#[test]
fn importance_sampling_agrees_with_the_exact_tail_using_fewer_paths() {
    let (n, pd, rho) = (1_000usize, 0.02, 0.15);
    let exact = binomial_mixture_cdf(n, pd, rho);
    let k99 = exact.iter().position(|&c| c >= 0.99).unwrap() as f64 / n as f64;
    let k999 = exact.iter().position(|&c| c >= 0.999).unwrap() as f64 / n as f64;
    // Plain: 4,000 paths. Importance sampling: 1,000 paths with the factor's mean at -2.
    let (plain, plain_w) = default_fractions(&one_period(n as u64, 4_000, pd, rho, None), n as u64);
    let (tilted, weights) =
        default_fractions(&one_period(n as u64, 1_000, pd, rho, Some(-2.0)), n as u64);
    assert!(plain_w.iter().all(|&w| w == 1.0));
    assert!(weights.iter().any(|&w| w != 1.0));
    let granularity = 1.5 / n as f64;
    for (level, exact_q) in [(0.99, k99), (0.999, k999)] {
        let t = tail_measures_weighted(&tilted, &weights);
        let tm = t.iter().find(|m| m.level == level).unwrap();
        assert!(
            tm.var_ci_low - granularity <= exact_q && exact_q <= tm.var_ci_high + granularity,
            "IS {level} VaR {} in [{}, {}], exact {exact_q}",
            tm.var,
            tm.var_ci_low,
            tm.var_ci_high
        );
    }
    // The mean under importance sampling is unbiased once weighted.
    let weighted = Estimate::weighted(&tilted, &weights);
    assert!(
        (weighted.mean - pd).abs() <= 4.0 * weighted.se,
        "{} ± {} vs {pd}",
        weighted.mean,
        weighted.se
    );
    // Plain sampling agrees at 99% (its 99.9% rests on few paths).
    let mut sorted = plain.clone();
    sorted.sort_by(f64::total_cmp);
    let (lo, hi) = quantile_ci(&sorted, 0.99);
    assert!(
        lo - granularity <= k99 && k99 <= hi + granularity,
        "plain 99% VaR in [{lo}, {hi}], exact {k99}"
    );
    // With the tilt, the 99.9% VaR rests on many more paths beyond it than plain sampling would.
    let beyond = tilted
        .iter()
        .filter(|&&x| x > weighted_quantile(&sorted_pairs(&tilted, &weights), 0.999))
        .count();
    assert!(
        beyond >= 20,
        "only {beyond} tilted paths beyond the 99.9% VaR"
    );
}

#[test]
fn a_downturn_raises_expected_loss_on_common_random_numbers() {
    let base = one_period(2_000, 400, 0.03, 0.1, None);
    let stressed = base.replace(
        "[book]",
        "[[stress]]\nname = \"base\"\n[[stress]]\nname = \"down\"\nz_shift = -1.0\n[book]",
    );
    let out = run(&scenario(&stressed), 2);
    assert_eq!(out.stress_runs.len(), 2);
    let loss = |paths: &[arrears::engine::PathOutcome]| {
        paths
            .iter()
            .map(|p| p.get(Total::ChargeOffs))
            .collect::<Vec<_>>()
    };
    let (base_loss, down_loss) = (
        loss(&out.stress_runs[0].paths),
        loss(&out.stress_runs[1].paths),
    );
    let diffs: Vec<f64> = down_loss
        .iter()
        .zip(&base_loss)
        .map(|(d, b)| d - b)
        .collect();
    let (mean, sd) = mean_sd(&diffs);
    assert!(
        mean > 4.0 * sd / (diffs.len() as f64).sqrt(),
        "{mean} ± {}",
        sd / 20.0
    );
    // Same draws: the stressed path's factor is the base path's, shifted by -1.
    for (b, d) in out.stress_runs[0]
        .paths
        .iter()
        .zip(&out.stress_runs[1].paths)
    {
        assert!((d.factor[0] - (b.factor[0] - 1.0)).abs() < 1e-12);
    }
}

/// A stress set is summarised scenario by scenario, once: each scenario's summary is what its
/// paths give alone (what its own result folder shows), and the run's figures are the first
/// scenario's, with the set's comparison on top.
#[test]
fn a_stress_set_summarises_each_scenario_as_if_alone() {
    let base = one_period(500, 60, 0.03, 0.1, None);
    let stressed = base.replace(
        "[book]",
        "[[stress]]\nname = \"base\"\n[[stress]]\nname = \"down\"\nz_shift = -1.0\n[book]",
    );
    let s = scenario(&stressed);
    let out = run(&s, 2);
    let book = arrears::book::load(&s).expect("book loads");
    let book = arrears::metrics::BookProfile::new(&book, s.model.segments.len());
    let summary = summarise(&out, &s.model, &book);
    assert_eq!(summary.stress_scenarios.len(), 2);
    assert_eq!(summary.stress.len(), 2);
    // Debug text compares NaN fields as equal, which `==` on f64 would not.
    let alone = |paths: &[arrears::engine::PathOutcome]| {
        let one = RunOutput {
            layout: out.layout,
            paths: paths.to_vec(),
            study_paths: None,
            stress_runs: Vec::new(),
            threads: out.threads,
        };
        format!("{:?}", summarise(&one, &s.model, &book))
    };
    for (run, own) in out.stress_runs.iter().zip(&summary.stress_scenarios) {
        assert!(own.stress.is_empty() && own.stress_scenarios.is_empty());
        assert_eq!(format!("{own:?}"), alone(&run.paths), "{}", run.stress.name);
    }
    let first = &summary.stress_scenarios[0];
    assert_eq!(
        format!("{:?}", summary.headlines),
        format!("{:?}", first.headlines)
    );
    assert_eq!(
        format!("{:?}", summary.timeline),
        format!("{:?}", first.timeline)
    );
    assert!(summary.warnings.starts_with(&first.warnings));
}
