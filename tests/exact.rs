//! Monte Carlo against exact results: state occupancy of an absorbing Markov chain by month,
//! absorption probabilities from the fundamental matrix, and the binomial variance of
//! independent loans. Tolerances are a few standard errors computed from the run itself.

#![expect(
    clippy::needless_range_loop,
    reason = "matrix algebra reads best with explicit indices"
)]

mod common;

use arrears::engine::Total;
use arrears::metrics::estimate::mean_sd;
use common::{CHAIN_ROWS, chain_matrix, chain_scenario, evolve, run, scenario};

#[test]
fn state_occupancy_matches_the_chain_month_by_month() {
    let loans = 2_000u64;
    let s = scenario(&chain_scenario(CHAIN_ROWS, loans, 200, 12, ""));
    let out = run(&s, 2);
    let p = chain_matrix();
    let start = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    let mut checked = 0;
    for month in 0..=12usize {
        let exact = evolve(&start, &p, month);
        for state in 0..7 {
            let values: Vec<f64> = out
                .paths
                .iter()
                .map(|o| o.timeline[out.layout.timeline.loans(month, state)])
                .collect();
            let (mean, sd) = mean_sd(&values);
            let se = sd / (values.len() as f64).sqrt();
            let expected = exact[state] * loans as f64;
            assert!(
                (mean - expected).abs() <= 4.0 * se + 1e-9,
                "month {month} state {state}: simulated {mean:.2} ± {se:.2}, exact {expected:.2}"
            );
            if expected > 0.0 {
                checked += 1;
            }
        }
    }
    assert!(
        checked > 50,
        "the test must compare real cells, compared {checked}"
    );
}

/// Absorption probabilities B = (I - Q)^-1 R, solved here by Gaussian elimination.
fn absorption_from_current(p: &[Vec<f64>]) -> (f64, f64) {
    let transient = 4;
    // Solve (I - Q) x = r for r = column of each absorbing state.
    let solve = |col: usize| {
        let mut a: Vec<Vec<f64>> = (0..transient)
            .map(|i| {
                let mut row: Vec<f64> = (0..transient)
                    .map(|j| f64::from(u8::from(i == j)) - p[i][j])
                    .collect();
                row.push(p[i][col]);
                row
            })
            .collect();
        for k in 0..transient {
            let pivot = a[k][k];
            for j in k..=transient {
                a[k][j] /= pivot;
            }
            for i in 0..transient {
                if i != k {
                    let f = a[i][k];
                    for j in k..=transient {
                        a[i][j] -= f * a[k][j];
                    }
                }
            }
        }
        a[0][transient]
    };
    (solve(4), solve(5))
}

#[test]
fn absorption_probabilities_match_the_fundamental_matrix() {
    // Long enough that the mass left in transient states (< 1e-6) is far below the Monte
    // Carlo error of the comparison (about 1e-3).
    let horizon = 600;
    let loans = 1_000u64;
    let p = chain_matrix();
    let left = evolve(&[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], &p, horizon as usize);
    assert!(left[..4].iter().sum::<f64>() < 1e-6);
    let (to_paid_off, to_charged_off) = absorption_from_current(&p);
    assert!((to_paid_off + to_charged_off - 1.0).abs() < 1e-12);

    let s = scenario(&chain_scenario(CHAIN_ROWS, loans, 200, horizon, ""));
    let out = run(&s, 2);
    let shares: Vec<f64> = out
        .paths
        .iter()
        .map(|o| o.get(Total::ChargeOffs) / loans as f64)
        .collect();
    let (mean, sd) = mean_sd(&shares);
    let se = sd / (shares.len() as f64).sqrt();
    assert!(
        (mean - to_charged_off).abs() <= 4.0 * se,
        "charged off {mean:.5} ± {se:.5}, fundamental matrix {to_charged_off:.5}"
    );
    // Independent loans: the count is binomial, so its sd across paths is sqrt(n p (1 - p)).
    let count_sd = sd * loans as f64;
    let binomial_sd = (loans as f64 * to_charged_off * (1.0 - to_charged_off)).sqrt();
    // The sd of a sample sd is about sd / sqrt(2 (n - 1)).
    let sd_se = binomial_sd / (2.0 * (shares.len() as f64 - 1.0)).sqrt();
    assert!(
        (count_sd - binomial_sd).abs() <= 4.0 * sd_se,
        "sd of charge-offs {count_sd:.3}, binomial {binomial_sd:.3} ± {sd_se:.3}"
    );
}

#[test]
fn charge_off_policy_by_dpd_redirects_the_roll() {
    // The same chain stated with a roll into dpd_61_90 that the policy (60 DPD) writes off.
    let rows = r#"
current   = { current = 0.90, dpd_1_30 = 0.07, paid_off = 0.03 }
dpd_1_30  = { current = 0.45, dpd_1_30 = 0.10, dpd_31_60 = 0.40, paid_off = 0.05 }
dpd_31_60 = { current = 0.20, dpd_1_30 = 0.05, dpd_31_60 = 0.10, dpd_61_90 = 0.65 }
"#;
    let s = scenario(&chain_scenario(
        rows,
        1000,
        100,
        24,
        "[charge_off]\ndpd = 60\n",
    ));
    let out = run(&s, 1);
    // Collapse dpd_61_90 into charged_off in the exact chain.
    let mut p = chain_matrix();
    p[2][5] = p[2][3];
    p[2][3] = 0.0;
    let exact = evolve(&[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], &p, 24);
    let values: Vec<f64> = out
        .paths
        .iter()
        .map(|o| o.get(Total::ChargeOffs) / 1000.0)
        .collect();
    let (mean, sd) = mean_sd(&values);
    let se = sd / (values.len() as f64).sqrt();
    assert!(
        (mean - exact[5]).abs() <= 4.0 * se,
        "{mean} ± {se} vs {}",
        exact[5]
    );
    assert!(
        out.paths
            .iter()
            .all(|o| o.timeline[out.layout.timeline.loans(24, 3)] == 0.0)
    );
}

/// Two scenarios that differ only in collection actions draw the same uniforms for the same
/// loan on the same path, so their difference is measured without the noise of two runs.
#[test]
fn actions_are_compared_on_common_random_numbers() {
    let stages = "[stages]\nearly = [\"dpd_1_30\"]\n";
    let neutral =
        format!("{stages}[[actions]]\nname = \"sms\"\nstage = \"early\"\ncost_per_account = 1.0\n");
    let calls = format!(
        "{stages}[[actions]]\nname = \"calls\"\nstage = \"early\"\ncost_per_account = 5.0\ncure_multiplier = 1.2\n"
    );
    let base = run(
        &scenario(&chain_scenario(CHAIN_ROWS, 2_000, 100, 24, stages)),
        2,
    );
    let same = run(
        &scenario(&chain_scenario(CHAIN_ROWS, 2_000, 100, 24, &neutral)),
        1,
    );
    // An action with no effect on the matrix leaves every loan's path exactly as it was.
    for (a, b) in base.paths.iter().zip(&same.paths) {
        assert_eq!(a.get(Total::ChargeOffs), b.get(Total::ChargeOffs));
        assert_eq!(a.get(Total::GrossWriteOffs), b.get(Total::GrossWriteOffs));
        assert!(b.get(Total::CollectionCosts) > a.get(Total::CollectionCosts));
    }
    // A real effect: the paired difference is far more precise than two independent runs.
    let treated = run(
        &scenario(&chain_scenario(CHAIN_ROWS, 2_000, 100, 24, &calls)),
        2,
    );
    let co = |o: &arrears::engine::PathOutcome| o.get(Total::ChargeOffs);
    let diffs: Vec<f64> = base
        .paths
        .iter()
        .zip(&treated.paths)
        .map(|(a, b)| co(a) - co(b))
        .collect();
    let (mean_diff, sd_diff) = mean_sd(&diffs);
    let (_, sd_base) = mean_sd(&base.paths.iter().map(co).collect::<Vec<_>>());
    let (_, sd_treated) = mean_sd(&treated.paths.iter().map(co).collect::<Vec<_>>());
    let independent_sd = (sd_base.powi(2) + sd_treated.powi(2)).sqrt();
    assert!(
        mean_diff > 4.0 * sd_diff / 10.0,
        "more cures, fewer charge-offs: {mean_diff} ± {}",
        sd_diff / 10.0
    );
    assert!(
        sd_diff < 0.6 * independent_sd,
        "paired sd {sd_diff:.2} vs independent {independent_sd:.2}"
    );
}

/// With `parameter_uncertainty = "posterior"` each path draws its rows from the Dirichlet
/// posterior, so after one month the number of loans that missed a payment is beta-binomial:
/// mean `N a / A`, variance `N p (1 - p) (A + N) / (A + 1)` with `A` the row's total. Without
/// the draw it is binomial. Both spreads are checked against the closed forms.
#[test]
fn posterior_draws_make_delinquency_beta_binomial() {
    let loans = 20_000u64;
    let paths = 2_000u64;
    let rows = r#"
current   = { current = 0.90, dpd_1_30 = 0.08, paid_off = 0.02 }
dpd_1_30  = { current = 0.45, dpd_1_30 = 0.10, dpd_31_60 = 0.40, paid_off = 0.05 }
dpd_31_60 = { current = 0.20, dpd_1_30 = 0.05, dpd_31_60 = 0.10, dpd_61_90 = 0.65 }
dpd_61_90 = { current = 0.05, dpd_61_90 = 0.10, charged_off = 0.85 }
[segments.all.transitions_posterior]
current = { current = 90.0, dpd_1_30 = 8.0, paid_off = 2.0 }
"#;
    let fixed = scenario(&chain_scenario(rows, loans, paths, 1, ""));
    let mut drawn = fixed.clone();
    drawn.model.draw_posterior = true;
    let delinquent = |s: &arrears::scenario::Scenario| -> (f64, f64) {
        let out = run(s, 2);
        let values: Vec<f64> = out
            .paths
            .iter()
            .map(|o| o.timeline[out.layout.timeline.loans(1, 1)])
            .collect();
        mean_sd(&values)
    };
    let n = loans as f64;
    let (p, total) = (0.08, 100.0);
    let binomial_sd = (n * p * (1.0 - p)).sqrt();
    let beta_binomial_sd = (n * p * (1.0 - p) * (total + n) / (total + 1.0)).sqrt();

    let (mean, sd) = delinquent(&fixed);
    let se = sd / (paths as f64).sqrt();
    assert!(
        (mean - n * p).abs() < 4.0 * se,
        "fixed: {mean} vs {}",
        n * p
    );
    // The sample sd of 2,000 near-normal values has a relative error of about 1.6%.
    assert!(
        (sd / binomial_sd - 1.0).abs() < 0.08,
        "fixed: sd {sd} vs binomial {binomial_sd}"
    );

    let (mean, sd) = delinquent(&drawn);
    let se = sd / (paths as f64).sqrt();
    assert!(
        (mean - n * p).abs() < 4.0 * se,
        "posterior: {mean} vs {}",
        n * p
    );
    assert!(
        (sd / beta_binomial_sd - 1.0).abs() < 0.08,
        "posterior: sd {sd} vs beta-binomial {beta_binomial_sd} (binomial {binomial_sd})"
    );
}
