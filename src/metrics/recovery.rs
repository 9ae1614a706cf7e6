//! Recoveries and write-offs in the depth a collections strategist reads them: recovery rates
//! by segment, stage at default and vintage; the loan-level distribution of recovery rates;
//! the cumulative recovery curve after default; write-offs by month and segment.
//!
//! Every ratio is computed per path (sum over the path's loans, a pooled "dollar-weighted"
//! rate) and then summarised across paths, so each figure carries its Monte Carlo error.

use super::estimate::Estimate;
use crate::engine::outcome::{GroupField, OutcomeLayout, PathOutcome, RECOVERY_RATE_BINS, Total};

/// Recovery figures for one group of defaults.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupRow {
    /// `"all"`, `"segment"`, `"stage_at_default"` or `"vintage"`.
    pub dimension: String,
    pub group: String,
    pub defaults: Estimate,
    pub exposure_at_default: Estimate,
    pub recovery_rate: Estimate,
    pub recovery_rate_net: Estimate,
    pub recovery_rate_discounted_gross: Estimate,
    pub recovery_rate_discounted: Estimate,
    pub loss_given_default: Estimate,
}

/// Labels of the groups in [`OutcomeLayout`] order.
pub struct GroupLabels<'a> {
    pub segments: &'a [String],
    pub stages: &'a [String],
    pub vintages: &'a [String],
}

/// Estimate of a per-path figure over the paths where it is defined, weighted by the paths'
/// weights (1 unless importance sampling).
pub fn ratio_estimate(paths: &[PathOutcome], f: impl Fn(&PathOutcome) -> Option<f64>) -> Estimate {
    let (values, weights): (Vec<f64>, Vec<f64>) = paths
        .iter()
        .filter_map(|p| f(p).map(|v| (v, p.weight)))
        .unzip();
    Estimate::weighted(&values, &weights)
}

fn group_row(
    paths: &[PathOutcome],
    layout: OutcomeLayout,
    dimension: &'static str,
    group: String,
    members: &[usize],
) -> GroupRow {
    let sum = |p: &PathOutcome, f: GroupField| {
        members
            .iter()
            .map(|&g| p.recovery_groups[layout.group(g, f)])
            .sum::<f64>()
    };
    let rate = |num: &dyn Fn(&PathOutcome) -> f64| {
        ratio_estimate(paths, |p| {
            let ead = sum(p, GroupField::ExposureAtDefault);
            (ead > 0.0).then(|| num(p) / ead)
        })
    };
    let discounted_net = rate(&|p| sum(p, GroupField::PvGross) - sum(p, GroupField::PvCosts));
    GroupRow {
        dimension: dimension.into(),
        group,
        defaults: ratio_estimate(paths, |p| Some(sum(p, GroupField::Defaults))),
        exposure_at_default: ratio_estimate(paths, |p| Some(sum(p, GroupField::ExposureAtDefault))),
        recovery_rate: rate(&|p| sum(p, GroupField::RecoveriesGross)),
        recovery_rate_net: rate(&|p| {
            sum(p, GroupField::RecoveriesGross) - sum(p, GroupField::Costs)
        }),
        recovery_rate_discounted_gross: rate(&|p| sum(p, GroupField::PvGross)),
        loss_given_default: Estimate {
            mean: 1.0 - discounted_net.mean,
            p5: 1.0 - discounted_net.p95,
            p50: 1.0 - discounted_net.p50,
            p95: 1.0 - discounted_net.p5,
            // The low percentiles of LGD are the high ones of the recovery rate; the tail
            // percentiles (99, 99.9) of LGD would need the 1st and 0.1st of the rate.
            p99: f64::NAN,
            p99_9: f64::NAN,
            ..discounted_net
        },
        recovery_rate_discounted: discounted_net,
    }
}

/// Recovery rates for all defaults, then by segment, stage at default and vintage.
pub fn recovery_by_group(
    paths: &[PathOutcome],
    layout: OutcomeLayout,
    labels: &GroupLabels<'_>,
) -> Vec<GroupRow> {
    let mut rows = Vec::new();
    let segments: Vec<usize> = (0..layout.n_segments).collect();
    rows.push(group_row(paths, layout, "all", "all".into(), &segments));
    for (i, name) in labels.segments.iter().enumerate() {
        rows.push(group_row(
            paths,
            layout,
            "segment",
            name.clone(),
            &[layout.segment_group(i)],
        ));
    }
    for s in 0..layout.n_stage_groups {
        let stage = (s + 1 < layout.n_stage_groups).then_some(s);
        let name = stage.map_or("none".to_string(), |s| labels.stages[s].clone());
        rows.push(group_row(
            paths,
            layout,
            "stage_at_default",
            name,
            &[layout.stage_group(stage)],
        ));
    }
    for (v, name) in labels.vintages.iter().enumerate().take(layout.n_vintages) {
        rows.push(group_row(
            paths,
            layout,
            "vintage",
            name.clone(),
            &[layout.vintage_group(v)],
        ));
    }
    // Groups with no defaults on any path say nothing.
    rows.retain(|r| r.dimension == "all" || r.defaults.mean > 0.0);
    rows
}

/// One band of loan-level recovery rates.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct HistogramRow {
    pub bin: String,
    /// Bounds of the band of recovery rate (gross, undiscounted), as fractions.
    pub lower: f64,
    pub upper: f64,
    /// Share of the path's defaults in the band.
    pub share: Estimate,
}

/// The distribution of loan-level recovery rates (gross, undiscounted, to the end of the
/// workout) as shares of defaults, with bin 0 the defaults that recovered nothing.
pub fn recovery_rate_distribution(paths: &[PathOutcome]) -> Vec<HistogramRow> {
    (0..RECOVERY_RATE_BINS)
        .map(|bin| {
            let (label, lower, upper) = match bin {
                0 => ("0 (nothing recovered)".to_string(), 0.0, 0.0),
                b if b == RECOVERY_RATE_BINS - 1 => ("over 100%".to_string(), 1.0, f64::INFINITY),
                b => (
                    format!("{}-{}%", (b - 1) * 5, b * 5),
                    (b - 1) as f64 / 20.0,
                    b as f64 / 20.0,
                ),
            };
            let share = ratio_estimate(paths, |p| {
                let total: f64 = p.recovery_rate_histogram.iter().sum();
                (total > 0.0).then(|| p.recovery_rate_histogram[bin] / total)
            });
            HistogramRow {
                bin: label,
                lower,
                upper,
                share,
            }
        })
        .collect()
}

/// Cumulative recovery (gross cash over exposure at default) by months since default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CurveRow {
    pub months_since_default: u32,
    pub cumulative_recovery_rate: Estimate,
}

pub fn recovery_curve(paths: &[PathOutcome]) -> Vec<CurveRow> {
    let months = paths
        .iter()
        .filter_map(|p| p.recovery_curve.iter().rposition(|&c| c != 0.0))
        .max()
        .map_or(0, |last| last + 1);
    let mut cumulative: Vec<Vec<f64>> = Vec::new();
    let mut weights: Vec<f64> = Vec::new();
    for p in paths {
        let ead = p.get(Total::ExposureAtDefault);
        if ead <= 0.0 {
            continue;
        }
        weights.push(p.weight);
        let mut sum = 0.0;
        cumulative.push(
            p.recovery_curve[..months]
                .iter()
                .map(|c| {
                    sum += c;
                    sum / ead
                })
                .collect(),
        );
    }
    (0..months)
        .map(|k| CurveRow {
            months_since_default: k as u32 + 1,
            cumulative_recovery_rate: Estimate::weighted(
                &cumulative.iter().map(|c| c[k]).collect::<Vec<_>>(),
                &weights,
            ),
        })
        .collect()
}

/// Write-offs in one month for one segment (or `"all"`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteOffRow {
    pub month: u32,
    pub segment: String,
    pub gross: Estimate,
    /// Gross write-offs less cash recovered from charged-off claims that month.
    pub net: Estimate,
    pub cumulative_gross: Estimate,
    pub cumulative_net: Estimate,
    /// Cumulative means as a share of the segment's starting balance.
    pub cumulative_gross_share: f64,
    pub cumulative_net_share: f64,
}

pub fn write_offs(
    paths: &[PathOutcome],
    layout: OutcomeLayout,
    segments: &[String],
    segment_balances: &[f64],
) -> Vec<WriteOffRow> {
    let horizon = layout.timeline.horizon_months;
    let mut rows = Vec::new();
    let groups: Vec<(String, Vec<usize>, f64)> = std::iter::once((
        "all".to_string(),
        (0..layout.n_segments).collect(),
        segment_balances.iter().sum(),
    ))
    .chain(
        segments
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), vec![i], segment_balances[i])),
    )
    .collect();
    for (name, members, balance) in groups {
        let weights: Vec<f64> = paths.iter().map(|p| p.weight).collect();
        let mut cum_gross = vec![0.0; paths.len()];
        let mut cum_net = vec![0.0; paths.len()];
        for month in 1..=horizon {
            let mut gross = Vec::with_capacity(paths.len());
            let mut net = Vec::with_capacity(paths.len());
            for (i, p) in paths.iter().enumerate() {
                let g: f64 = members
                    .iter()
                    .map(|&s| p.write_offs[layout.write_off(month, s, false)])
                    .sum();
                let r: f64 = members
                    .iter()
                    .map(|&s| p.write_offs[layout.write_off(month, s, true)])
                    .sum();
                gross.push(g);
                net.push(g - r);
                cum_gross[i] += g;
                cum_net[i] += g - r;
            }
            let cumulative_gross = Estimate::weighted(&cum_gross, &weights);
            let cumulative_net = Estimate::weighted(&cum_net, &weights);
            let share = |x: f64| if balance > 0.0 { x / balance } else { f64::NAN };
            rows.push(WriteOffRow {
                month: month as u32,
                segment: name.clone(),
                gross: Estimate::weighted(&gross, &weights),
                net: Estimate::weighted(&net, &weights),
                cumulative_gross_share: share(cumulative_gross.mean),
                cumulative_net_share: share(cumulative_net.mean),
                cumulative_gross,
                cumulative_net,
            });
        }
    }
    rows
}
