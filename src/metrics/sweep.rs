//! A sweep's statistics: each point's figures with their tails, and the paired differences
//! between points. Points share random numbers (same seed, same loans' streams), so the
//! difference of a figure between two points is estimated from the per-path differences and
//! its standard error is far smaller than either point's own.

use super::estimate::{Estimate, TailMeasure};
use super::figures::METRICS;
use super::paired::paired_se;
use super::summary::RunSummary;
use crate::engine::PathOutcome;

/// Every figure's value on every path of a point (NaN where undefined) and the paths'
/// weights: what paired differences need, kept after the point's outcomes are dropped.
#[derive(Debug, Clone)]
pub struct PointPaths {
    /// `values[figure][path]`, figures in [`METRICS`] order.
    pub values: Vec<Vec<f64>>,
    pub weights: Vec<f64>,
}

impl PointPaths {
    pub fn of(paths: &[PathOutcome]) -> PointPaths {
        PointPaths {
            values: METRICS
                .iter()
                .map(|m| {
                    paths
                        .iter()
                        .map(|p| (m.value)(p).unwrap_or(f64::NAN))
                        .collect()
                })
                .collect(),
            weights: paths.iter().map(|p| p.weight).collect(),
        }
    }
}

/// One figure of a point: its estimate and, for losses, its tail.
#[derive(Debug, Clone)]
pub struct PointFigure {
    pub figure: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub estimate: Estimate,
    /// VaR and expected shortfall at 95, 99 and 99.9%; empty for figures without a tail.
    pub tails: Vec<TailMeasure>,
}

/// A point's figures, in [`METRICS`] order, from its run's summary.
pub fn point_figures(summary: &RunSummary) -> Vec<PointFigure> {
    summary
        .headlines
        .iter()
        .map(|h| {
            let tails = if h.name == "net_credit_loss" {
                summary.net_credit_loss_tail.clone()
            } else {
                summary
                    .write_off_tails
                    .iter()
                    .find(|(name, _)| *name == h.name)
                    .map(|(_, t)| t.clone())
                    .unwrap_or_default()
            };
            PointFigure {
                figure: h.name,
                label: h.label,
                unit: h.unit,
                estimate: h.estimate,
                tails,
            }
        })
        .collect()
}

/// A figure's difference between two points.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedDifference {
    pub figure: &'static str,
    pub unit: &'static str,
    /// `mean(b) - mean(a)`.
    pub difference: f64,
    /// From the per-path differences ([`paired_se`]).
    pub se: f64,
}

impl PairedDifference {
    /// `difference / se`; NaN when the se is zero or undefined.
    pub fn z(&self) -> f64 {
        if self.se > 0.0 && self.se.is_finite() {
            self.difference / self.se
        } else {
            f64::NAN
        }
    }
}

/// Every figure's difference `b - a` between two points that shared random numbers.
pub fn paired_differences(
    a: (&[PointFigure], &PointPaths),
    b: (&[PointFigure], &PointPaths),
) -> Vec<PairedDifference> {
    METRICS
        .iter()
        .enumerate()
        .map(|(i, m)| PairedDifference {
            figure: m.name,
            unit: m.unit,
            difference: b.0[i].estimate.mean - a.0[i].estimate.mean,
            se: paired_se(&a.1.values[i], &a.1.weights, &b.1.values[i], &b.1.weights),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(values: &[Vec<f64>]) -> Vec<PointFigure> {
        METRICS
            .iter()
            .zip(values)
            .map(|(m, v)| PointFigure {
                figure: m.name,
                label: m.label,
                unit: m.unit,
                estimate: Estimate::new(v),
                tails: vec![],
            })
            .collect()
    }

    #[test]
    fn a_shift_shared_by_every_path_has_no_error() {
        let n = METRICS.len();
        let a_values: Vec<Vec<f64>> = (0..n).map(|_| vec![1.0, 5.0, 2.0, 8.0]).collect();
        let b_values: Vec<Vec<f64>> = (0..n).map(|_| vec![2.0, 6.0, 3.0, 9.0]).collect();
        let weights = vec![1.0; 4];
        let a = PointPaths {
            values: a_values.clone(),
            weights: weights.clone(),
        };
        let b = PointPaths {
            values: b_values.clone(),
            weights,
        };
        let d = paired_differences((&figures(&a_values), &a), (&figures(&b_values), &b));
        assert_eq!(d.len(), n);
        assert!((d[0].difference - 1.0).abs() < 1e-12);
        assert_eq!(d[0].se, 0.0);
        assert!(d[0].z().is_nan());
        // Unpaired, the same means would carry each point's own spread.
        assert!(Estimate::new(&a_values[0]).se > 1.0);
    }
}
