//! The run's tables: for each, the row type, its file stem and its columns ([`Table`]). The
//! row types are the ones `metrics` computes, so a table read back is the value that was
//! summarised; the few tables `report` derives (transitions, stage flow, factor, paths) have
//! their row types here.

use super::table::field;
use super::table::{Check, Field, Table};
use crate::book::cells::BucketingRow;
use crate::metrics::disposition::{
    BuyerRow, DecisionRow, DispositionRow, PriceCurveRow, STRATEGIES,
};
use crate::metrics::estimate::{TAIL_LEVELS, TailMeasure};
use crate::metrics::figures::METRICS;
use crate::metrics::recovery::{CurveRow, GroupRow, HistogramRow, WriteOffRow};
use crate::metrics::risk::{ConvergenceRow, StressRow};
use crate::metrics::summary::TimelineRow;
use crate::metrics::vintage::VintageRow;

/// Dimensions of `recovery_by_group`.
pub const GROUP_DIMENSIONS: &[&str] = &["all", "segment", "stage_at_default", "vintage"];
/// Risk measures of `convergence`.
pub const CONVERGENCE_MEASURES: &[&str] = &["expected_loss", "var_99", "es_99"];
const CATEGORIES: &[&str] = &["state", "flow"];
const MEASURES: &[&str] = &["loans", "balance", "amount"];
const UNITS: &[&str] = &["loans", "currency"];

impl Table for TimelineRow {
    const STEM: &'static str = "timeline";
    const ROW: &'static str = "one month, state or flow, and measure: its estimate across paths";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![
            field!(u32 "month" => month),
            field!(choice "category", CATEGORIES => category),
            field!(text "item" => item),
            field!(opt_text "stage" => stage),
            field!(choice "measure", MEASURES => measure),
            field!(choice "unit", UNITS => unit),
        ];
        f.extend(Field::estimate_columns(
            Check::Any,
            |r: &Self| &r.estimate,
            |r: &mut Self| &mut r.estimate,
        ));
        f
    }
}

impl Table for GroupRow {
    const STEM: &'static str = "recovery_by_group";
    const ROW: &'static str = "a group of defaults (all, a segment, a stage at default, a vintage)";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![
            field!(choice "dimension", GROUP_DIMENSIONS => dimension),
            field!(text "group" => group),
        ];
        f.extend(field!(estimate "defaults", Any => defaults));
        f.extend(field!(estimate "exposure_at_default", Any => exposure_at_default));
        f.extend(field!(estimate "recovery_rate", Any => recovery_rate));
        f.extend(field!(estimate "recovery_rate_net", Any => recovery_rate_net));
        f.extend(field!(estimate "recovery_rate_discounted_gross", Any => recovery_rate_discounted_gross));
        f.extend(field!(estimate "recovery_rate_discounted", Any => recovery_rate_discounted));
        f.extend(field!(estimate "loss_given_default", Any => loss_given_default));
        f
    }
}

impl Table for HistogramRow {
    const STEM: &'static str = "recovery_rate_distribution";
    const ROW: &'static str = "a band of loan-level recovery rates: the share of defaults in it";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![
            field!(text "bin" => bin),
            field!(f64 "lower", Any => lower),
            field!(f64 "upper", Any => upper),
        ];
        f.extend(field!(estimate "share", Probability => share));
        f
    }
}

impl Table for CurveRow {
    const STEM: &'static str = "recovery_curve";
    const ROW: &'static str =
        "months since default: cumulative cash recovered over exposure at default";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![field!(u32 "months_since_default" => months_since_default)];
        f.extend(field!(estimate "cumulative_recovery_rate", Any => cumulative_recovery_rate));
        f
    }
}

impl Table for WriteOffRow {
    const STEM: &'static str = "write_offs";
    const ROW: &'static str =
        "a month and a segment (or `all`): gross and net write-offs, in the month and cumulative";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![
            field!(u32 "month" => month),
            field!(text "segment" => segment),
        ];
        f.extend(field!(estimate "gross", Any => gross));
        f.extend(field!(estimate "net", Any => net));
        f.extend(field!(estimate "cumulative_gross", Any => cumulative_gross));
        f.extend(field!(estimate "cumulative_net", Any => cumulative_net));
        f.push(field!(f64 "cumulative_gross_share", Any => cumulative_gross_share));
        f.push(field!(f64 "cumulative_net_share", Any => cumulative_net_share));
        f
    }
}

impl Table for VintageRow {
    const STEM: &'static str = "vintage_curves";
    const ROW: &'static str =
        "a vintage and a month of the run: cumulative write-offs and their rate";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![
            field!(i32 "vintage" => vintage),
            field!(text "vintage_label" => label),
            field!(u32 "months_on_book_at_start" => months_on_book_at_start),
            field!(u32 "month" => month),
            field!(u32 "months_on_book" => months_on_book),
            field!(u64 "loans" => loans),
            field!(f64 "starting_balance", NonNegative => starting_balance),
        ];
        f.extend(
            field!(estimate "cumulative_gross_write_offs", Any => cumulative_gross_write_offs),
        );
        f.extend(field!(estimate "cumulative_net_write_offs", Any => cumulative_net_write_offs));
        f.extend(field!(estimate "cumulative_gross_write_off_rate", Any => cumulative_gross_rate));
        f.extend(field!(estimate "cumulative_net_write_off_rate", Any => cumulative_net_rate));
        f
    }
}

impl Table for DispositionRow {
    const STEM: &'static str = "disposition";
    const ROW: &'static str = "a sale point, segment and disposition: its value per unit of face";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![
            field!(text "sale_point" => point),
            field!(u32 "dpd" => dpd),
            field!(text "segment" => segment),
            field!(choice "disposition", &STRATEGIES => strategy),
            field!(f64 "loans", NonNegative => loans),
            field!(f64 "face", NonNegative => face),
        ];
        f.extend(field!(estimate "value_per_face", Any => value_per_face));
        f.extend(field!(estimate "value", Any => value));
        f.extend(field!(estimate "minus_hold_per_face", Any => minus_hold_per_face));
        f
    }
}

impl Table for DecisionRow {
    const STEM: &'static str = "disposition_decision";
    const ROW: &'static str = "a sale point and segment: the best disposition and its lead";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![
            field!(text "sale_point" => point),
            field!(u32 "dpd" => dpd),
            field!(text "segment" => segment),
            field!(choice "best", &STRATEGIES => best),
            field!(f64 "best_value_per_face", Any => best_value_per_face),
            field!(choice "runner_up", &STRATEGIES => runner_up),
        ];
        f.extend(field!(estimate "lead_per_face", Any => lead_per_face));
        f.extend(field!(estimate "lead", Any => lead));
        f.push(field!(bool "within_noise" => within_noise));
        f
    }
}

impl Table for BuyerRow {
    const STEM: &'static str = "buyer_pricing";
    const ROW: &'static str = "a sale point: the buyer's fair price, bid, money multiple and IRR";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![
            field!(text "sale_point" => point),
            field!(u32 "dpd" => dpd),
            field!(f64 "face", NonNegative => face),
        ];
        f.extend(field!(estimate "fair_price", Any => fair_price));
        f.extend([
            field!(f64 "bid_confidence", Probability => bid_confidence),
            field!(f64 "bid", Any => bid),
            Field::f64(
                "bid_ci_low",
                Check::Any,
                |r: &Self| r.bid_ci.0,
                |r, v| r.bid_ci.0 = v,
            ),
            Field::f64(
                "bid_ci_high",
                Check::Any,
                |r: &Self| r.bid_ci.1,
                |r, v| r.bid_ci.1 = v,
            ),
            field!(f64 "quoted_price", Any => quoted_price),
        ]);
        f.extend(field!(estimate "money_multiple", Any => money_multiple));
        f.extend([
            field!(f64 "irr", Any => irr),
            field!(f64 "irr_p5", Any => irr_p5),
            field!(f64 "irr_p95", Any => irr_p95),
        ]);
        f
    }
}

impl Table for PriceCurveRow {
    const STEM: &'static str = "buyer_price_curve";
    const ROW: &'static str = "a sale point and a hurdle rate: the buyer's fair price";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![
            field!(text "sale_point" => point),
            field!(f64 "hurdle_rate", Finite => hurdle_rate),
        ];
        f.extend(field!(estimate "fair_price", Any => price));
        f
    }
}

impl Table for ConvergenceRow {
    const STEM: &'static str = "convergence";
    const ROW: &'static str = "a number of paths and a risk measure: its estimate and 95% interval";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(u64 "paths" => paths),
            field!(choice "measure", CONVERGENCE_MEASURES => measure),
            field!(f64 "estimate", Any => estimate),
            field!(f64 "ci_low", Any => ci_low),
            field!(f64 "ci_high", Any => ci_high),
        ]
    }
}

/// The tail measure at `level` of a stress row, made to exist when a row is being read.
fn tail_mut(r: &mut StressRow, level: usize) -> &mut TailMeasure {
    if r.net_credit_loss_tail.len() < TAIL_LEVELS.len() {
        r.net_credit_loss_tail = TAIL_LEVELS
            .iter()
            .map(|&(level, _)| TailMeasure {
                level,
                ..TailMeasure::default()
            })
            .collect();
    }
    &mut r.net_credit_loss_tail[level]
}

impl Table for StressRow {
    const STEM: &'static str = "stress_comparison";
    const ROW: &'static str =
        "a scenario of the stress set (or the weighted blend): losses and their tails";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![
            field!(text "scenario" => scenario),
            Field::f64(
                "weight",
                Check::Any,
                |r: &Self| r.weight.unwrap_or(f64::NAN),
                |r, v| r.weight = (!v.is_nan()).then_some(v),
            ),
        ];
        f.extend(field!(estimate "expected_loss", Any => net_credit_loss));
        type Part = (
            &'static str,
            fn(&TailMeasure) -> f64,
            fn(&mut TailMeasure, f64),
        );
        const PARTS: [Part; 6] = [
            ("var_{}", |t| t.var, |t, v| t.var = v),
            ("var_{}_ci_low", |t| t.var_ci_low, |t, v| t.var_ci_low = v),
            (
                "var_{}_ci_high",
                |t| t.var_ci_high,
                |t, v| t.var_ci_high = v,
            ),
            (
                "es_{}",
                |t| t.expected_shortfall,
                |t, v| t.expected_shortfall = v,
            ),
            (
                "es_{}_ci_low",
                |t| t.expected_shortfall_ci_low,
                |t, v| t.expected_shortfall_ci_low = v,
            ),
            (
                "es_{}_ci_high",
                |t| t.expected_shortfall_ci_high,
                |t, v| t.expected_shortfall_ci_high = v,
            ),
        ];
        for (i, &(_, level)) in TAIL_LEVELS.iter().enumerate() {
            for (name, read, write) in PARTS {
                f.push(Field::f64(
                    &name.replace("{}", level),
                    Check::Any,
                    move |r: &Self| read(&r.net_credit_loss_tail[i]),
                    move |r, v| write(tail_mut(r, i), v),
                ));
            }
        }
        f.extend(field!(estimate "gross_write_offs", Any => gross_write_offs));
        f.extend(field!(estimate "net_write_offs", Any => net_write_offs));
        f.extend(field!(estimate "recovery_rate", Any => recovery_rate));
        f
    }
}

/// `after / before - 1`; 0 when both are 0, undefined when only `before` is.
fn change(before: f64, after: f64) -> f64 {
    if before == 0.0 {
        if after == 0.0 { 0.0 } else { f64::NAN }
    } else {
        after / before - 1.0
    }
}

impl Table for BucketingRow {
    const STEM: &'static str = "bucketing";
    const ROW: &'static str =
        "a segment (then the whole book, `all`): what bucketing loans into cells changed";
    fn fields() -> Vec<Field<Self>> {
        type Pair = (
            &'static str,
            fn(&BucketingRow) -> f64,
            fn(&mut BucketingRow, f64),
        );
        let money: [(Pair, Pair); 3] = [
            (
                (
                    "balance_before",
                    |r| r.balance_before,
                    |r, v| r.balance_before = v,
                ),
                (
                    "balance_after",
                    |r| r.balance_after,
                    |r, v| r.balance_after = v,
                ),
            ),
            (
                (
                    "monthly_interest_before",
                    |r| r.monthly_interest_before,
                    |r, v| r.monthly_interest_before = v,
                ),
                (
                    "monthly_interest_after",
                    |r| r.monthly_interest_after,
                    |r, v| r.monthly_interest_after = v,
                ),
            ),
            (
                (
                    "first_payment_before",
                    |r| r.first_payment_before,
                    |r, v| r.first_payment_before = v,
                ),
                (
                    "first_payment_after",
                    |r| r.first_payment_after,
                    |r, v| r.first_payment_after = v,
                ),
            ),
        ];
        let mut f = vec![
            field!(text "segment" => segment),
            field!(u64 "loans" => loans),
            field!(u64 "cells" => cells),
        ];
        for ((before, get_before, set_before), (after, get_after, set_after)) in money {
            f.push(Field::f64(before, Check::Finite, get_before, set_before));
            f.push(Field::f64(after, Check::Finite, get_after, set_after));
            // Derived from the two before it: written for the reader, recomputed on reading.
            f.push(Field::f64(
                &before.replace("_before", "_change"),
                Check::Any,
                move |r: &Self| change(get_before(r), get_after(r)),
                |_, _| {},
            ));
        }
        f.extend([
            field!(f64 "max_balance_change", Any => max_balance_change),
            field!(f64 "mean_balance_change", Any => mean_balance_change),
            field!(f64 "max_apr_change", Any => max_apr_change),
        ]);
        f
    }
}

/// One row of `transitions`: a probability of the matrix as simulated (after actions and
/// charge-off or sale triggers, before any factor or stress).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TransitionRow {
    pub segment: String,
    /// The months-on-book band of the matrix (`all` without overrides).
    pub months_on_book: String,
    pub from: String,
    pub to: String,
    pub probability: f64,
}

impl Table for TransitionRow {
    const STEM: &'static str = "transitions";
    const ROW: &'static str =
        "a segment, months-on-book band, from-state and to-state: the monthly probability";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(text "segment" => segment),
            field!(text "months_on_book" => months_on_book),
            field!(text "from" => from),
            field!(text "to" => to),
            field!(f64 "probability", Probability => probability),
        ]
    }
}

/// One row of `stage_flow`: accounts by stage (`kind = "stage"`) or moving in the month
/// (`kind = "flow"`, `balance` undefined).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageFlowRow {
    pub month: u32,
    pub kind: String,
    pub name: String,
    pub loans: f64,
    pub balance: f64,
}

impl Table for StageFlowRow {
    const STEM: &'static str = "stage_flow";
    const ROW: &'static str =
        "a month and a stage (accounts and balance) or a flow (accounts moving)";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(u32 "month" => month),
            Field::choice(
                "kind",
                &["stage", "flow"],
                |r: &Self| r.kind.clone(),
                |r, v| r.kind = v,
            ),
            field!(text "name" => name),
            field!(f64 "loans", Any => loans),
            field!(f64 "balance", Any => balance),
        ]
    }
}

/// One row of `factor`: the systematic factor of a path in a month, with the path's weight.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FactorRow {
    pub path: u64,
    pub month: u32,
    pub factor: f64,
    pub weight: f64,
}

impl Table for FactorRow {
    const STEM: &'static str = "factor";
    const ROW: &'static str = "a path and a month: the systematic factor, with the path's weight";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(u64 "path" => path),
            field!(u32 "month" => month),
            field!(f64 "factor", Finite => factor),
            field!(f64 "weight", NonNegative => weight),
        ]
    }
}

/// One row of `paths`: a path's number and every per-path figure of [`METRICS`], in its
/// order (undefined where the figure is, e.g. a recovery rate on a path without defaults).
/// Figures counted in loans (unit `loans`) are whole numbers, stored as `UInt64`; the others
/// are `Float64`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathRow {
    pub path: u64,
    pub values: Vec<f64>,
}

impl PathRow {
    /// The value of figure `name` (a [`METRICS`] name).
    pub fn get(&self, name: &str) -> f64 {
        METRICS
            .iter()
            .position(|m| m.name == name)
            .map_or(f64::NAN, |i| self.values[i])
    }
}

impl Table for PathRow {
    const STEM: &'static str = "paths";
    const ROW: &'static str = "a path: every per-path figure";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![field!(u64 "path" => path)];
        for (i, m) in METRICS.iter().enumerate() {
            let get = move |r: &Self| r.values[i];
            let set = move |r: &mut Self, v| {
                r.values.resize(METRICS.len(), f64::NAN);
                r.values[i] = v;
            };
            f.push(if m.unit == "loans" {
                Field::count(m.name, get, set)
            } else {
                Field::f64(m.name, Check::Any, get, set)
            });
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::table::{TableError, read, write};

    fn path_row(defaults: f64) -> PathRow {
        // Counts whole, other figures not, so a count column written as a float would show.
        let mut values: Vec<f64> = METRICS
            .iter()
            .map(|m| if m.unit == "loans" { 4.0 } else { 1.5 })
            .collect();
        values[METRICS.iter().position(|m| m.name == "defaults").unwrap()] = defaults;
        PathRow { path: 7, values }
    }

    #[test]
    fn counts_of_paths_are_written_as_whole_numbers_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let rows = [path_row(3.0), path_row(0.0)];
        write(dir.path(), &rows).unwrap();
        let csv = std::fs::read_to_string(dir.path().join("paths.csv")).unwrap();
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let idx = header.iter().position(|c| *c == "defaults").unwrap();
        let first: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
        assert_eq!(first[idx], "3");
        assert_eq!(read::<PathRow>(dir.path()).unwrap(), rows);
    }

    #[test]
    fn a_count_that_is_not_a_whole_number_is_an_error_on_writing() {
        for bad in [2.5, -1.0, f64::NAN, f64::INFINITY] {
            let dir = tempfile::tempdir().unwrap();
            let err = write(dir.path(), &[path_row(1.0), path_row(bad)]).unwrap_err();
            match &err {
                TableError::Value { row, column, .. } => {
                    assert_eq!((*row, column.as_str()), (2, "defaults"), "{err}");
                }
                other => panic!("{bad}: {other}"),
            }
            assert!(err.to_string().contains("paths.parquet"), "{err}");
            assert!(!dir.path().join("paths.parquet").exists());
        }
    }
}
