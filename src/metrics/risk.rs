//! Portfolio risk across paths: expected loss, VaR and expected shortfall with confidence
//! intervals as the number of paths grows (convergence), the comparison of a stress set's
//! scenarios, and the factor behind each path. Weighted paths (importance sampling) are
//! handled throughout.

use super::estimate::{Estimate, TailMeasure, tail_measures_weighted};
use super::figures::metric;
use crate::engine::outcome::PathOutcome;
use crate::model::systematic::StressPath;

/// One risk measure estimated from the first `paths` paths.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConvergenceRow {
    pub paths: u64,
    /// `"expected_loss"`, `"var_99"` or `"es_99"`.
    pub measure: String,
    pub estimate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

fn losses_and_weights(paths: &[PathOutcome], name: &str) -> (Vec<f64>, Vec<f64>) {
    paths
        .iter()
        .filter_map(|p| (metric(name).value)(p).map(|v| (v, p.weight)))
        .unzip()
}

/// Expected loss, 99% VaR and 99% ES of net credit loss from the first n paths, for n
/// doubling from 100 (or fewer) up to all paths.
pub fn convergence(paths: &[PathOutcome]) -> Vec<ConvergenceRow> {
    let (losses, weights) = losses_and_weights(paths, "net_credit_loss");
    let n_all = losses.len();
    let mut grid = Vec::new();
    let mut n = 100.min(n_all);
    while n < n_all {
        grid.push(n);
        n *= 2;
    }
    grid.push(n_all);
    let mut rows = Vec::new();
    for n in grid {
        if n == 0 {
            continue;
        }
        let (l, w) = (&losses[..n], &weights[..n]);
        let el = Estimate::weighted(l, w);
        rows.push(ConvergenceRow {
            paths: n as u64,
            measure: "expected_loss".into(),
            estimate: el.mean,
            ci_low: el.mean - 1.96 * el.se,
            ci_high: el.mean + 1.96 * el.se,
        });
        let tail = tail_measures_weighted(l, w);
        let t99 = tail
            .iter()
            .find(|t| t.level == 0.99)
            .expect("99% is a tail level");
        rows.push(ConvergenceRow {
            paths: n as u64,
            measure: "var_99".into(),
            estimate: t99.var,
            ci_low: t99.var_ci_low,
            ci_high: t99.var_ci_high,
        });
        rows.push(ConvergenceRow {
            paths: n as u64,
            measure: "es_99".into(),
            estimate: t99.expected_shortfall,
            ci_low: t99.expected_shortfall_ci_low,
            ci_high: t99.expected_shortfall_ci_high,
        });
    }
    rows
}

/// One scenario of a stress set, side by side with the others.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StressRow {
    pub scenario: String,
    pub weight: Option<f64>,
    pub net_credit_loss: Estimate,
    pub gross_write_offs: Estimate,
    pub net_write_offs: Estimate,
    pub recovery_rate: Estimate,
    pub net_credit_loss_tail: Vec<TailMeasure>,
}

fn stress_row(scenario: String, weight: Option<f64>, paths: &[PathOutcome]) -> StressRow {
    let est = |name: &str| {
        let (v, w) = losses_and_weights(paths, name);
        Estimate::weighted(&v, &w)
    };
    let (losses, weights) = losses_and_weights(paths, "net_credit_loss");
    StressRow {
        scenario,
        weight,
        net_credit_loss: est("net_credit_loss"),
        gross_write_offs: est("gross_write_offs"),
        net_write_offs: est("net_write_offs"),
        recovery_rate: est("recovery_rate"),
        net_credit_loss_tail: tail_measures_weighted(&losses, &weights),
    }
}

/// Every scenario of a set, plus the blend of the scenarios by their weights when they have
/// them (a mixture: each path of scenario s counts with weight w_s / paths).
pub fn stress_comparison(runs: &[(StressPath, &[PathOutcome])]) -> Vec<StressRow> {
    let mut rows: Vec<StressRow> = runs
        .iter()
        .map(|(s, p)| stress_row(s.name.clone(), s.weight, p))
        .collect();
    if !runs.is_empty() && runs.iter().all(|(s, _)| s.weight.is_some()) {
        let mut blended: Vec<PathOutcome> = Vec::new();
        for (s, paths) in runs {
            let w = s.weight.unwrap_or(0.0) * runs.len() as f64;
            blended.extend(paths.iter().map(|p| PathOutcome {
                weight: p.weight * w,
                ..p.clone()
            }));
        }
        rows.push(stress_row("weighted".to_string(), Some(1.0), &blended));
    }
    rows
}
