//! The disposition study's figures: value to the lender per unit of face of hold, agency and
//! sale at each sale point, the differences with their standard errors (paired on common
//! random numbers), the best disposition and whether its lead is beyond noise; and the buyer's
//! side: fair price at the hurdle rate, bid at a confidence, money multiple and IRR at a
//! quoted price, price against hurdle rate.
//!
//! Every value per unit of face is a per-path ratio (the path's pool), summarised across
//! paths. A lead is "within noise" when it is less than two standard errors of the paired
//! difference.

use super::estimate::{Estimate, quantile, quantile_ci};
use crate::engine::outcome::{DispositionField, OutcomeLayout, PathOutcome};
use crate::model::disposition::{DispositionStudy, SalePrice};

/// The strategies compared, in report order.
pub const STRATEGIES: [&str; 4] = ["hold", "agency", "sale", "sale_at_buyer_price"];

/// One strategy at one sale point for one segment (or `"all"`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DispositionRow {
    pub point: String,
    pub dpd: u32,
    pub segment: String,
    pub strategy: String,
    /// Loans reaching the point and their face value (means across paths).
    pub loans: f64,
    pub face: f64,
    /// Present value to the lender per unit of face at the point.
    pub value_per_face: Estimate,
    /// Present value in total.
    pub value: Estimate,
    /// `value_per_face` minus hold's, paired path by path.
    pub minus_hold_per_face: Estimate,
}

/// The best disposition at a point for a segment.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRow {
    pub point: String,
    pub dpd: u32,
    pub segment: String,
    pub best: String,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub best_value_per_face: f64,
    pub runner_up: String,
    /// Best minus runner-up per unit of face, paired across paths, and in total.
    pub lead_per_face: Estimate,
    pub lead: Estimate,
    pub within_noise: bool,
}

/// The buyer's side at one sale point (all segments pooled).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuyerRow {
    pub point: String,
    pub dpd: u32,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub face: f64,
    /// Present value of the buyer's net collections at its hurdle rate, per unit of face.
    pub fair_price: Estimate,
    /// Highest price at which the buyer makes its hurdle on `bid_confidence` of paths, with a
    /// 95% order-statistic interval.
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub bid: f64,
    #[serde(deserialize_with = "crate::serde_nan::nan_pair_if_null")]
    pub bid_ci: (f64, f64),
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub bid_confidence: f64,
    /// The price at which the multiple and IRR are quoted.
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub quoted_price: f64,
    /// Net collections over price paid.
    pub money_multiple: Estimate,
    /// Buyer's IRR (effective annual) at the quoted price, from the mean cash flows, and its
    /// 5th-95th percentile band across paths.
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub irr: f64,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub irr_p5: f64,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub irr_p95: f64,
}

/// Fair price against hurdle rate at one point.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceCurveRow {
    pub point: String,
    pub hurdle_rate: f64,
    pub price: Estimate,
}

#[derive(Debug, Clone)]
pub struct DispositionSummary {
    pub rows: Vec<DispositionRow>,
    pub decisions: Vec<DecisionRow>,
    pub buyer: Vec<BuyerRow>,
    pub price_curve: Vec<PriceCurveRow>,
}

/// Hurdle rates for the price curve: 0% to 60% a year in steps of 2.5 points.
pub fn hurdle_grid() -> Vec<f64> {
    (0..=24).map(|i| f64::from(i) * 0.025).collect()
}

/// Present value of monthly cash flows (end of month `k + 1`) at monthly rate `r`.
fn present_value(cash: &[f64], r: f64) -> f64 {
    let v = 1.0 / (1.0 + r);
    let mut d = 1.0;
    cash.iter()
        .map(|c| {
            d *= v;
            c * d
        })
        .sum()
}

/// Monthly IRR of paying `price` now for `cash`, by bisection; annualised effectively.
/// `NaN` when nothing is paid or nothing comes back.
pub fn irr_annual(price: f64, cash: &[f64]) -> f64 {
    if price <= 0.0 || cash.iter().all(|&c| c <= 0.0) {
        return f64::NAN;
    }
    let (mut lo, mut hi) = (-0.99, 10.0);
    if present_value(cash, hi) > price {
        return f64::INFINITY;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if present_value(cash, mid) > price {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (1.0 + 0.5 * (lo + hi)).powi(12) - 1.0
}

pub fn summarise(
    paths: &[PathOutcome],
    layout: OutcomeLayout,
    study: &DispositionStudy,
    segments: &[String],
) -> DispositionSummary {
    let mut rows = Vec::new();
    let mut decisions = Vec::new();
    let mut buyer_rows = Vec::new();
    let mut price_curve = Vec::new();
    let groups: Vec<(String, Vec<usize>)> =
        std::iter::once(("all".to_string(), (0..layout.n_segments).collect()))
            .chain(
                segments
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.clone(), vec![i])),
            )
            .collect();
    let has = |strategy: &str| match strategy {
        "hold" => true,
        "agency" => study.agency.is_some(),
        "sale" => matches!(study.sale_price, Some(SalePrice::Fixed(_))),
        _ => study.buyer.is_some(),
    };
    for (i, point) in study.points.iter().enumerate() {
        let label = point.label();
        for (segment, members) in &groups {
            let sum = |p: &PathOutcome, f: DispositionField| {
                members
                    .iter()
                    .map(|&s| p.disposition[layout.disposition(i, s, f)])
                    .sum::<f64>()
            };
            let value_of = |p: &PathOutcome, strategy: &str| match strategy {
                "hold" => sum(p, DispositionField::Hold),
                "agency" => sum(p, DispositionField::Agency),
                "sale" => sum(p, DispositionField::SaleFixed),
                _ => sum(p, DispositionField::BuyerPv),
            };
            let with_face: Vec<&PathOutcome> = paths
                .iter()
                .filter(|p| sum(p, DispositionField::Face) > 0.0)
                .collect();
            let loans = Estimate::new(
                &paths
                    .iter()
                    .map(|p| sum(p, DispositionField::Loans))
                    .collect::<Vec<_>>(),
            )
            .mean;
            let face = Estimate::new(
                &paths
                    .iter()
                    .map(|p| sum(p, DispositionField::Face))
                    .collect::<Vec<_>>(),
            )
            .mean;
            if with_face.is_empty() {
                continue;
            }
            let per_face = |strategy: &str| -> Vec<f64> {
                with_face
                    .iter()
                    .map(|p| value_of(p, strategy) / sum(p, DispositionField::Face))
                    .collect()
            };
            let hold = per_face("hold");
            let mut evaluated: Vec<(&'static str, Vec<f64>, Vec<f64>)> = Vec::new();
            for strategy in STRATEGIES.into_iter().filter(|s| has(s)) {
                let pf = per_face(strategy);
                let totals: Vec<f64> = paths.iter().map(|p| value_of(p, strategy)).collect();
                let minus: Vec<f64> = pf.iter().zip(&hold).map(|(a, b)| a - b).collect();
                rows.push(DispositionRow {
                    point: label.clone(),
                    dpd: point.dpd,
                    segment: segment.clone(),
                    strategy: strategy.into(),
                    loans,
                    face,
                    value_per_face: Estimate::new(&pf),
                    value: Estimate::new(&totals),
                    minus_hold_per_face: Estimate::new(&minus),
                });
                evaluated.push((strategy, pf, totals));
            }
            evaluated.sort_by(|a, b| {
                Estimate::new(&b.1)
                    .mean
                    .total_cmp(&Estimate::new(&a.1).mean)
            });
            if evaluated.len() >= 2 {
                let (best, runner) = (&evaluated[0], &evaluated[1]);
                let lead_pf: Vec<f64> = best.1.iter().zip(&runner.1).map(|(a, b)| a - b).collect();
                let lead: Vec<f64> = best.2.iter().zip(&runner.2).map(|(a, b)| a - b).collect();
                let lead_per_face = Estimate::new(&lead_pf);
                decisions.push(DecisionRow {
                    point: label.clone(),
                    dpd: point.dpd,
                    segment: segment.clone(),
                    best: best.0.into(),
                    best_value_per_face: Estimate::new(&best.1).mean,
                    runner_up: runner.0.into(),
                    within_noise: lead_per_face.mean < 2.0 * lead_per_face.se,
                    lead_per_face,
                    lead: Estimate::new(&lead),
                });
            }
        }
        if let Some(buyer) = &study.buyer {
            let all: Vec<usize> = (0..layout.n_segments).collect();
            let sum = |p: &PathOutcome, f: DispositionField| {
                all.iter()
                    .map(|&s| p.disposition[layout.disposition(i, s, f)])
                    .sum::<f64>()
            };
            let priced: Vec<&PathOutcome> = paths
                .iter()
                .filter(|p| sum(p, DispositionField::Face) > 0.0)
                .collect();
            if priced.is_empty() {
                continue;
            }
            let cash = |p: &PathOutcome| -> Vec<f64> {
                (0..layout.buyer_months)
                    .map(|k| p.buyer_cash[layout.buyer_cash(i, k)])
                    .collect()
            };
            let fair: Vec<f64> = priced
                .iter()
                .map(|p| sum(p, DispositionField::BuyerPv) / sum(p, DispositionField::Face))
                .collect();
            let fair_price = Estimate::new(&fair);
            let mut sorted = fair.clone();
            sorted.sort_by(f64::total_cmp);
            let bid_q = 1.0 - study.bid_confidence;
            let quoted = buyer
                .quoted_price
                .or(match study.sale_price {
                    Some(SalePrice::Fixed(p)) => Some(p),
                    _ => None,
                })
                .unwrap_or(fair_price.mean);
            let multiples: Vec<f64> = priced
                .iter()
                .map(|p| {
                    sum(p, DispositionField::BuyerCollections)
                        / (quoted * sum(p, DispositionField::Face))
                })
                .collect();
            let irrs: Vec<f64> = priced
                .iter()
                .map(|p| irr_annual(quoted * sum(p, DispositionField::Face), &cash(p)))
                .filter(|x| x.is_finite())
                .collect();
            let mut sorted_irr = irrs.clone();
            sorted_irr.sort_by(f64::total_cmp);
            let n = priced.len() as f64;
            let mean_face = priced
                .iter()
                .map(|p| sum(p, DispositionField::Face))
                .sum::<f64>()
                / n;
            let mean_cash: Vec<f64> = (0..layout.buyer_months)
                .map(|k| {
                    priced
                        .iter()
                        .map(|p| p.buyer_cash[layout.buyer_cash(i, k)])
                        .sum::<f64>()
                        / n
                })
                .collect();
            buyer_rows.push(BuyerRow {
                point: point.label(),
                dpd: point.dpd,
                face: mean_face,
                fair_price,
                bid: quantile(&sorted, bid_q),
                bid_ci: quantile_ci(&sorted, bid_q),
                bid_confidence: study.bid_confidence,
                quoted_price: quoted,
                money_multiple: Estimate::new(&multiples),
                irr: irr_annual(quoted * mean_face, &mean_cash),
                irr_p5: if sorted_irr.is_empty() {
                    f64::NAN
                } else {
                    quantile(&sorted_irr, 0.05)
                },
                irr_p95: if sorted_irr.is_empty() {
                    f64::NAN
                } else {
                    quantile(&sorted_irr, 0.95)
                },
            });
            for h in hurdle_grid() {
                let r = (1.0 + h).powf(1.0 / 12.0) - 1.0;
                let prices: Vec<f64> = priced
                    .iter()
                    .map(|p| present_value(&cash(p), r) / sum(p, DispositionField::Face))
                    .collect();
                price_curve.push(PriceCurveRow {
                    point: point.label(),
                    hurdle_rate: h,
                    price: Estimate::new(&prices),
                });
            }
        }
    }
    DispositionSummary {
        rows,
        decisions,
        buyer: buyer_rows,
        price_curve,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn irr_of_a_level_annuity() {
        // 100 paid for 12 monthly payments of 10: monthly IRR 2.9229%, annual 41.30%.
        let irr = irr_annual(100.0, &[10.0; 12]);
        assert!(
            (irr - ((1.0f64 + 0.029_228_7).powi(12) - 1.0)).abs() < 1e-5,
            "{irr}"
        );
        assert!(irr_annual(0.0, &[1.0]).is_nan());
        assert!(irr_annual(100.0, &[50.0]) < 0.0);
    }
}
