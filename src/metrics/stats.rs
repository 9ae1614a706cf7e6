//! From per-path outcomes to the figures a risk analyst reports: every estimate with its
//! standard deviation across paths, Monte Carlo standard error and percentiles; tail measures
//! of the loss distribution; the timeline by month with bands; and warnings about figures that
//! rest on too few paths.
//!
//! Conventions (stated in the README):
//! - percentiles and VaR are the inverse of the empirical distribution function (Hyndman and
//!   Fan 1996, definition 1): the `ceil(n q)`-th smallest value;
//! - expected shortfall at `q` is the mean of the `n - floor(n q)` largest values;
//! - the standard error of a mean is the sample standard deviation / sqrt(paths).

use serde::Serialize;

use super::disposition::DispositionSummary;
use super::outcome::{Flow, PathOutcome, TimelineLayout, Total};
use super::recovery::{
    CurveRow, GroupLabels, GroupRow, HistogramRow, WriteOffRow, recovery_by_group, recovery_curve,
    recovery_rate_distribution, write_offs,
};
use super::risk::{ConvergenceRow, StressRow, convergence, stress_comparison};
use crate::book::LoanBook;
use crate::engine::RunOutput;
use crate::model::Model;
use crate::model::StateSpace;

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
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub mean: f64,
    pub sd: f64,
    /// Monte Carlo standard error of the mean: sd / sqrt(n).
    pub se: f64,
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub p99_9: f64,
    /// Paths the estimate rests on.
    pub n: usize,
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
    let mut rng = crate::engine::rng::stream(0, crate::engine::rng::Stream::Bootstrap, n as u64, 0);
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
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TailMeasure {
    pub level: f64,
    pub var: f64,
    pub expected_shortfall: f64,
    /// Paths beyond the VaR: fewer than [`MIN_TAIL_PATHS`] makes the figure unreliable.
    pub tail_paths: usize,
    /// 95% confidence interval of the VaR: order statistics for a plain run, the bootstrap
    /// when paths are weighted.
    pub var_ci_low: f64,
    pub var_ci_high: f64,
    /// 95% confidence interval of the expected shortfall by the bootstrap.
    pub expected_shortfall_ci_low: f64,
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

/// A figure reported per path and summarised across paths.
pub struct Metric {
    pub name: &'static str,
    pub unit: &'static str,
    pub description: &'static str,
    /// `None` when the figure is undefined on the path (a ratio over no defaults).
    pub value: fn(&PathOutcome) -> Option<f64>,
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| num / den)
}

/// Every per-path figure, in report order. The names are the column names of `paths.csv`
/// and the keys of `summary.json`.
pub const METRICS: &[Metric] = &[
    Metric {
        name: "original_balance",
        unit: "currency",
        description: "balance of the book at the start",
        value: |o| Some(o.get(Total::OriginalBalance)),
    },
    Metric {
        name: "repaid",
        unit: "currency",
        description: "principal repaid by borrowers while on book (scheduled, prepaid, cures, partial payments)",
        value: |o| Some(o.get(Total::Repaid)),
    },
    Metric {
        name: "interest_collected",
        unit: "currency",
        description: "interest paid by borrowers",
        value: |o| Some(o.get(Total::InterestCollected)),
    },
    Metric {
        name: "gross_write_offs",
        unit: "currency",
        description: "balances charged off (written off as bad debt)",
        value: |o| Some(o.get(Total::GrossWriteOffs)),
    },
    Metric {
        name: "recoveries",
        unit: "currency",
        description: "cash collected on charged-off balances within the horizon, gross of costs",
        value: |o| Some(o.get(Total::Recoveries)),
    },
    Metric {
        name: "sale_proceeds",
        unit: "currency",
        description: "cash received from debt buyers",
        value: |o| Some(o.get(Total::SaleProceeds)),
    },
    Metric {
        name: "sold_face",
        unit: "currency",
        description: "face value of debt sold",
        value: |o| Some(o.get(Total::SoldFace)),
    },
    Metric {
        name: "net_write_offs",
        unit: "currency",
        description: "gross write-offs less recoveries and sale proceeds on written-off balances",
        value: |o| {
            Some(
                o.get(Total::GrossWriteOffs)
                    - o.get(Total::Recoveries)
                    - (o.get(Total::SaleProceeds) - o.get(Total::SaleProceedsBeforeChargeOff)),
            )
        },
    },
    Metric {
        name: "net_credit_loss",
        unit: "currency",
        description: "net write-offs plus the loss on debt sold before charge-off (face less price)",
        value: |o| {
            Some(
                o.get(Total::GrossWriteOffs) + o.get(Total::SoldFaceBeforeChargeOff)
                    - o.get(Total::Recoveries)
                    - o.get(Total::SaleProceeds),
            )
        },
    },
    Metric {
        name: "collection_costs",
        unit: "currency",
        description: "cost of collection actions plus the cost share of recoveries",
        value: |o| Some(o.get(Total::CollectionCosts)),
    },
    Metric {
        name: "outstanding",
        unit: "currency",
        description: "balance still on book at the horizon",
        value: |o| Some(o.get(Total::Outstanding)),
    },
    Metric {
        name: "written_off_unrecovered",
        unit: "currency",
        description: "charged-off balance neither recovered nor sold by the horizon",
        value: |o| Some(o.get(Total::WrittenOffNet)),
    },
    Metric {
        name: "drawn",
        unit: "currency",
        description: "new drawings on revolving lines",
        value: |o| Some(o.get(Total::Drawn)),
    },
    Metric {
        name: "accrued_charges",
        unit: "currency",
        description: "interest and late fees capitalised while overdue",
        value: |o| Some(o.get(Total::AccruedCharges)),
    },
    Metric {
        name: "defaults",
        unit: "loans",
        description: "loans defaulting within the horizon, by the scenario's default definition (charge-off by default)",
        value: |o| Some(o.get(Total::Defaults)),
    },
    Metric {
        name: "charge_offs",
        unit: "loans",
        description: "loans charged off",
        value: |o| Some(o.get(Total::ChargeOffs)),
    },
    Metric {
        name: "sales",
        unit: "loans",
        description: "loans sold",
        value: |o| Some(o.get(Total::Sales)),
    },
    Metric {
        name: "pay_offs",
        unit: "loans",
        description: "loans paid off at term or early",
        value: |o| Some(o.get(Total::PayOffs)),
    },
    Metric {
        name: "exposure_at_default",
        unit: "currency",
        description: "balance at default: at charge-off, at a sale while delinquent, or on rolling past the default DPD",
        value: |o| Some(o.get(Total::ExposureAtDefault)),
    },
    Metric {
        name: "recovery_rate",
        unit: "fraction",
        description: "cash received after default (recoveries, sale proceeds and, under a DPD definition, the borrower's own payments), to the end of each workout, over exposure at default; undiscounted, gross of costs",
        value: |o| {
            ratio(
                o.get(Total::WorkoutRecoveries),
                o.get(Total::ExposureAtDefault),
            )
        },
    },
    Metric {
        name: "recovery_rate_net",
        unit: "fraction",
        description: "as recovery_rate, net of collection costs",
        value: |o| {
            ratio(
                o.get(Total::WorkoutRecoveries) - o.get(Total::WorkoutCosts),
                o.get(Total::ExposureAtDefault),
            )
        },
    },
    Metric {
        name: "recovery_rate_discounted_gross",
        unit: "fraction",
        description: "as recovery_rate, discounted to the default date",
        value: |o| {
            ratio(
                o.get(Total::WorkoutRecoveriesPvGross),
                o.get(Total::ExposureAtDefault),
            )
        },
    },
    Metric {
        name: "recovery_rate_discounted",
        unit: "fraction",
        description: "recoveries net of collection costs, discounted to the default date, over exposure at default (the basis of loss given default)",
        value: |o| {
            ratio(
                o.get(Total::WorkoutRecoveriesPvNet),
                o.get(Total::ExposureAtDefault),
            )
        },
    },
    Metric {
        name: "loss_given_default",
        unit: "fraction",
        description: "1 - recovery_rate_discounted",
        value: |o| {
            ratio(
                o.get(Total::WorkoutRecoveriesPvNet),
                o.get(Total::ExposureAtDefault),
            )
            .map(|r| 1.0 - r)
        },
    },
    Metric {
        name: "net_credit_loss_rate",
        unit: "fraction",
        description: "net credit loss over the book's starting balance",
        value: |o| {
            ratio(
                o.get(Total::GrossWriteOffs) + o.get(Total::SoldFaceBeforeChargeOff)
                    - o.get(Total::Recoveries)
                    - o.get(Total::SaleProceeds),
                o.get(Total::OriginalBalance),
            )
        },
    },
];

pub fn metric(name: &str) -> &'static Metric {
    METRICS
        .iter()
        .find(|m| m.name == name)
        .expect("known metric")
}

/// One figure's summary.
#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    pub name: &'static str,
    pub unit: &'static str,
    pub description: &'static str,
    #[serde(flatten)]
    pub estimate: Estimate,
}

/// One row of the timeline table.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineRow {
    pub month: u32,
    /// `"state"` or `"flow"`.
    pub category: &'static str,
    /// State or flow name.
    pub item: String,
    /// Stage of the state, empty otherwise.
    pub stage: String,
    /// `"loans"`, `"balance"` or `"amount"`.
    pub measure: &'static str,
    /// `"loans"` or `"currency"`.
    pub unit: &'static str,
    pub mean: f64,
    pub se: f64,
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
}

/// Everything the report needs besides the raw paths.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub headlines: Vec<Headline>,
    pub net_credit_loss_tail: Vec<TailMeasure>,
    /// VaR and expected shortfall of gross and net write-offs.
    pub write_off_tails: Vec<(&'static str, Vec<TailMeasure>)>,
    pub timeline: Vec<TimelineRow>,
    pub default_definition: String,
    pub recovery_groups: Vec<GroupRow>,
    pub recovery_distribution: Vec<HistogramRow>,
    pub recovery_curve: Vec<CurveRow>,
    pub write_offs: Vec<WriteOffRow>,
    /// Cumulative write-offs by vintage (oldest first) and month.
    pub vintage_curves: Vec<super::vintage::VintageRow>,
    pub disposition: Option<DispositionSummary>,
    pub convergence: Vec<ConvergenceRow>,
    /// Each scenario of a stress set (and the weighted blend); empty without `[[stress]]`.
    pub stress: Vec<StressRow>,
    /// Effective sample size of the paths (`paths` for a plain run).
    pub effective_sample_size: f64,
    /// Matrix rows clipped by conditioning on the factor, over all paths and months.
    pub clipped_rows: f64,
    /// Largest |money in - money accounted for| over paths; rounding only.
    pub conservation_max_residual: f64,
    pub warnings: Vec<String>,
}

fn warn_tail(warnings: &mut Vec<String>, what: &str, tail: &[TailMeasure]) {
    for t in tail {
        if (t.tail_paths as f64) < MIN_TAIL_PATHS {
            let needed = (MIN_TAIL_PATHS / (1.0 - t.level)).ceil() as u64;
            warnings.push(format!(
                "{}% VaR and expected shortfall of {what} rest on {} tail path{}; raise `paths` to at least {needed} for a stable figure",
                t.level * 100.0,
                t.tail_paths,
                if t.tail_paths == 1 { "" } else { "s" }
            ));
        }
    }
}

pub fn summarise(output: &RunOutput, model: &Model, book: &LoanBook) -> RunSummary {
    let paths = &output.paths;
    let layout = output.layout;
    let n_paths = paths.len();
    let mut warnings = Vec::new();
    let headlines: Vec<Headline> = METRICS
        .iter()
        .map(|m| {
            let (values, weights): (Vec<f64>, Vec<f64>) = paths
                .iter()
                .filter_map(|p| (m.value)(p).map(|v| (v, p.weight)))
                .unzip();
            if m.name == "recovery_rate" && values.len() < n_paths {
                warnings.push(format!(
                    "recovery rates rest on the {} of {n_paths} paths with defaults; raise `paths` or the horizon if that is few",
                    values.len()
                ));
            }
            Headline { name: m.name, unit: m.unit, description: m.description, estimate: Estimate::weighted(&values, &weights) }
        })
        .collect();
    let per_path = |name: &str| -> (Vec<f64>, Vec<f64>) {
        paths
            .iter()
            .filter_map(|p| (metric(name).value)(p).map(|v| (v, p.weight)))
            .unzip()
    };
    let tail_of = |name: &str| {
        let (v, w) = per_path(name);
        tail_measures_weighted(&v, &w)
    };
    let tail = tail_of("net_credit_loss");
    warn_tail(&mut warnings, "net credit loss", &tail);
    let write_off_tails = vec![
        ("gross_write_offs", tail_of("gross_write_offs")),
        ("net_write_offs", tail_of("net_write_offs")),
    ];
    let weights: Vec<f64> = paths.iter().map(|p| p.weight).collect();
    let effective_sample_size = effective_sample_size(&weights);
    if weights.iter().any(|&w| w != 1.0) && effective_sample_size < MIN_EFFECTIVE_PATHS {
        // First, so it heads the report and the screen.
        warnings.insert(0, format!(
            "NOT RELIABLE: importance sampling left an effective sample size of {effective_sample_size:.1} of {n_paths} paths, below {MIN_EFFECTIVE_PATHS:.0}: every figure rests on a handful of heavily weighted paths and can be far off, whatever its standard error says; raise `paths` or move `importance_shift` towards 0"
        ));
    } else if weights.iter().any(|&w| w != 1.0) {
        warnings.push(format!(
            "importance sampling: the {n_paths} weighted paths are worth {effective_sample_size:.0} plain ones for means and the timeline; the tail measures are what it sharpens, so read means from a plain run if their standard errors are too wide"
        ));
    }
    let clipped_rows: f64 = paths.iter().map(|p| p.clipped_rows).sum();
    if clipped_rows > 0.0 {
        warnings.push(format!(
            "{clipped_rows:.0} matrix rows had roll and cure probabilities above one under the factor and were scaled down to fit; lower `asset_correlation` or the stress multipliers if that is many"
        ));
    }
    let stress_runs: Vec<(crate::model::systematic::StressPath, &[PathOutcome])> = output
        .stress_runs
        .iter()
        .map(|r| (r.stress.clone(), r.paths.as_slice()))
        .collect();
    let stress = stress_comparison(&stress_runs);
    // A stress set: what went wrong in any scenario, named (the figures above are the first's).
    for run in output.stress_runs.iter().skip(1) {
        let clipped: f64 = run.paths.iter().map(|p| p.clipped_rows).sum();
        if clipped > 0.0 {
            warnings.push(format!(
                "stress scenario `{}`: {clipped:.0} matrix rows had roll and cure probabilities above one and were scaled down to fit; lower its multipliers or shift",
                run.stress.name
            ));
        }
    }
    let conservation_max_residual = paths
        .iter()
        .map(|p| p.conservation_residual().abs())
        .fold(0.0, f64::max);
    let segments: Vec<String> = model.segments.iter().map(|s| s.name.clone()).collect();
    let stages: Vec<String> = model.space.stages.iter().map(|s| s.name.clone()).collect();
    let mut segment_balances = vec![0.0; segments.len()];
    for ((s, b), &c) in book.segment.iter().zip(&book.balance).zip(&book.count) {
        segment_balances[*s as usize] += b * c as f64;
    }
    let labels = GroupLabels {
        segments: &segments,
        stages: &stages,
        vintages: &book.vintages,
    };
    let disposition = model.disposition.as_ref().map(|study| {
        super::disposition::summarise(output.study_outcomes(), layout, study, &segments)
    });
    if let Some(d) = &disposition {
        for r in d
            .decisions
            .iter()
            .filter(|r| r.within_noise && r.segment == "all")
        {
            warnings.push(format!(
                "at {} the lead of `{}` over `{}` ({:.2} ± {:.2} cents per unit of face) is within Monte Carlo noise; raise `paths` to separate them",
                r.point,
                r.best,
                r.runner_up,
                100.0 * r.lead_per_face.mean,
                100.0 * r.lead_per_face.se
            ));
        }
    }
    RunSummary {
        headlines,
        net_credit_loss_tail: tail,
        write_off_tails,
        timeline: timeline(paths, layout.timeline, &model.space),
        default_definition: model.default_definition.describe(),
        recovery_groups: recovery_by_group(paths, layout, &labels),
        recovery_distribution: recovery_rate_distribution(paths),
        recovery_curve: recovery_curve(paths),
        write_offs: write_offs(paths, layout, &segments, &segment_balances),
        vintage_curves: super::vintage::vintage_curves(paths, layout, book),
        disposition,
        convergence: convergence(paths),
        stress,
        effective_sample_size,
        clipped_rows,
        conservation_max_residual,
        warnings,
    }
}

fn band(values: &[f64], weights: &[f64]) -> (f64, f64, f64, f64, f64) {
    let e = Estimate::weighted(values, weights);
    (e.mean, e.se, e.p5, e.p50, e.p95)
}

fn timeline(paths: &[PathOutcome], layout: TimelineLayout, space: &StateSpace) -> Vec<TimelineRow> {
    let mut rows = Vec::new();
    if paths.is_empty() {
        return rows;
    }
    let mut values = vec![0.0; paths.len()];
    let weights: Vec<f64> = paths.iter().map(|p| p.weight).collect();
    let cell = |idx: usize, values: &mut Vec<f64>| {
        for (v, p) in values.iter_mut().zip(paths) {
            *v = p.timeline[idx];
        }
        band(values, &weights)
    };
    for month in 0..=layout.horizon_months {
        for state in 0..layout.n_states {
            let name = space.name(state as u8).to_string();
            let stage = space.stage_name(state as u8).unwrap_or("").to_string();
            for (measure, unit, idx) in [
                ("loans", "loans", layout.loans(month, state)),
                ("balance", "currency", layout.balance(month, state)),
            ] {
                let (mean, se, p5, p50, p95) = cell(idx, &mut values);
                rows.push(TimelineRow {
                    month: month as u32,
                    category: "state",
                    item: name.clone(),
                    stage: stage.clone(),
                    measure,
                    unit,
                    mean,
                    se,
                    p5,
                    p50,
                    p95,
                });
            }
        }
        if month == 0 {
            continue;
        }
        for flow in Flow::ALL {
            let (mean, se, p5, p50, p95) = cell(layout.flow(month, flow), &mut values);
            let measure = if flow.unit() == "loans" {
                "loans"
            } else {
                "amount"
            };
            rows.push(TimelineRow {
                month: month as u32,
                category: "flow",
                item: flow.name().to_string(),
                stage: String::new(),
                measure,
                unit: flow.unit(),
                mean,
                se,
                p5,
                p50,
                p95,
            });
        }
    }
    rows
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
