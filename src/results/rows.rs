//! The run's tables: for each, the row type, its file stem and its columns ([`Table`]). The
//! row types are the ones `metrics` computes, so a table read back is the value that was
//! summarised; the few tables `report` derives (transitions, stage flow, factor, paths) have
//! their row types here.

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
    const ROW: &'static str =
        "one month, state or flow, and measure: its mean across paths and band";
    fn fields() -> Vec<Field<Self>> {
        vec![
            Field::u32("month", |r: &Self| r.month, |r, v| r.month = v),
            Field::choice(
                "category",
                CATEGORIES,
                |r: &Self| r.category.clone(),
                |r, v| r.category = v,
            ),
            Field::text("item", |r: &Self| r.item.clone(), |r, v| r.item = v),
            Field::text("stage", |r: &Self| r.stage.clone(), |r, v| r.stage = v),
            Field::choice(
                "measure",
                MEASURES,
                |r: &Self| r.measure.clone(),
                |r, v| r.measure = v,
            ),
            Field::choice("unit", UNITS, |r: &Self| r.unit.clone(), |r, v| r.unit = v),
            Field::f64("mean", Check::Any, |r: &Self| r.mean, |r, v| r.mean = v),
            Field::f64("se", Check::Any, |r: &Self| r.se, |r, v| r.se = v),
            Field::f64("p5", Check::Any, |r: &Self| r.p5, |r, v| r.p5 = v),
            Field::f64("p50", Check::Any, |r: &Self| r.p50, |r, v| r.p50 = v),
            Field::f64("p95", Check::Any, |r: &Self| r.p95, |r, v| r.p95 = v),
        ]
    }
}

impl Table for GroupRow {
    const STEM: &'static str = "recovery_by_group";
    const ROW: &'static str = "a group of defaults (all, a segment, a stage at default, a vintage)";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![
            Field::choice(
                "dimension",
                GROUP_DIMENSIONS,
                |r: &Self| r.dimension.clone(),
                |r, v| r.dimension = v,
            ),
            Field::text("group", |r: &Self| r.group.clone(), |r, v| r.group = v),
        ];
        f.extend(Field::estimate(
            "defaults",
            Check::Any,
            |r: &Self| &r.defaults,
            |r: &mut Self| &mut r.defaults,
        ));
        f.extend(Field::estimate(
            "exposure_at_default",
            Check::Any,
            |r: &Self| &r.exposure_at_default,
            |r: &mut Self| &mut r.exposure_at_default,
        ));
        f.extend(Field::estimate(
            "recovery_rate",
            Check::Any,
            |r: &Self| &r.recovery_rate,
            |r: &mut Self| &mut r.recovery_rate,
        ));
        f.extend(Field::estimate(
            "recovery_rate_net",
            Check::Any,
            |r: &Self| &r.recovery_rate_net,
            |r: &mut Self| &mut r.recovery_rate_net,
        ));
        f.extend(Field::estimate(
            "recovery_rate_discounted_gross",
            Check::Any,
            |r: &Self| &r.recovery_rate_discounted_gross,
            |r: &mut Self| &mut r.recovery_rate_discounted_gross,
        ));
        f.extend(Field::estimate(
            "recovery_rate_discounted",
            Check::Any,
            |r: &Self| &r.recovery_rate_discounted,
            |r: &mut Self| &mut r.recovery_rate_discounted,
        ));
        f.extend(Field::estimate(
            "loss_given_default",
            Check::Any,
            |r: &Self| &r.loss_given_default,
            |r: &mut Self| &mut r.loss_given_default,
        ));
        f
    }
}

impl Table for HistogramRow {
    const STEM: &'static str = "recovery_rate_distribution";
    const ROW: &'static str = "a band of loan-level recovery rates: the share of defaults in it";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![
            Field::text("bin", |r: &Self| r.bin.clone(), |r, v| r.bin = v),
            Field::f64("lower", Check::Any, |r: &Self| r.lower, |r, v| r.lower = v),
            Field::f64("upper", Check::Any, |r: &Self| r.upper, |r, v| r.upper = v),
        ];
        f.extend(Field::estimate(
            "share",
            Check::Probability,
            |r: &Self| &r.share,
            |r: &mut Self| &mut r.share,
        ));
        f
    }
}

impl Table for CurveRow {
    const STEM: &'static str = "recovery_curve";
    const ROW: &'static str =
        "months since default: cumulative cash recovered over exposure at default";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![Field::u32(
            "months_since_default",
            |r: &Self| r.months_since_default,
            |r, v| r.months_since_default = v,
        )];
        f.extend(Field::estimate(
            "cumulative_recovery_rate",
            Check::Any,
            |r: &Self| &r.cumulative_recovery_rate,
            |r: &mut Self| &mut r.cumulative_recovery_rate,
        ));
        f
    }
}

impl Table for WriteOffRow {
    const STEM: &'static str = "write_offs";
    const ROW: &'static str =
        "a month and a segment (or `all`): gross and net write-offs, in the month and cumulative";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![
            Field::u32("month", |r: &Self| r.month, |r, v| r.month = v),
            Field::text(
                "segment",
                |r: &Self| r.segment.clone(),
                |r, v| r.segment = v,
            ),
        ];
        f.extend(Field::estimate(
            "gross",
            Check::Any,
            |r: &Self| &r.gross,
            |r: &mut Self| &mut r.gross,
        ));
        f.extend(Field::estimate(
            "net",
            Check::Any,
            |r: &Self| &r.net,
            |r: &mut Self| &mut r.net,
        ));
        f.extend(Field::estimate(
            "cumulative_gross",
            Check::Any,
            |r: &Self| &r.cumulative_gross,
            |r: &mut Self| &mut r.cumulative_gross,
        ));
        f.extend(Field::estimate(
            "cumulative_net",
            Check::Any,
            |r: &Self| &r.cumulative_net,
            |r: &mut Self| &mut r.cumulative_net,
        ));
        f.push(Field::f64(
            "cumulative_gross_share",
            Check::Any,
            |r: &Self| r.cumulative_gross_share,
            |r, v| r.cumulative_gross_share = v,
        ));
        f.push(Field::f64(
            "cumulative_net_share",
            Check::Any,
            |r: &Self| r.cumulative_net_share,
            |r, v| r.cumulative_net_share = v,
        ));
        f
    }
}

impl Table for VintageRow {
    const STEM: &'static str = "vintage_curves";
    const ROW: &'static str =
        "a vintage and a month of the run: cumulative write-offs and their rate";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![
            Field::text(
                "vintage",
                |r: &Self| r.vintage.clone(),
                |r, v| r.vintage = v,
            ),
            Field::u32(
                "months_on_book_at_start",
                |r: &Self| r.months_on_book_at_start,
                |r, v| r.months_on_book_at_start = v,
            ),
            Field::u32("month", |r: &Self| r.month, |r, v| r.month = v),
            Field::u32(
                "months_on_book",
                |r: &Self| r.months_on_book,
                |r, v| r.months_on_book = v,
            ),
            Field::u64("loans", |r: &Self| r.loans, |r, v| r.loans = v),
            Field::f64(
                "starting_balance",
                Check::NonNegative,
                |r: &Self| r.starting_balance,
                |r, v| r.starting_balance = v,
            ),
        ];
        f.extend(Field::estimate(
            "cumulative_gross_write_offs",
            Check::Any,
            |r: &Self| &r.cumulative_gross_write_offs,
            |r: &mut Self| &mut r.cumulative_gross_write_offs,
        ));
        f.extend(Field::estimate(
            "cumulative_net_write_offs",
            Check::Any,
            |r: &Self| &r.cumulative_net_write_offs,
            |r: &mut Self| &mut r.cumulative_net_write_offs,
        ));
        f.extend(Field::estimate(
            "cumulative_gross_write_off_rate",
            Check::Any,
            |r: &Self| &r.cumulative_gross_rate,
            |r: &mut Self| &mut r.cumulative_gross_rate,
        ));
        f.extend(Field::estimate(
            "cumulative_net_write_off_rate",
            Check::Any,
            |r: &Self| &r.cumulative_net_rate,
            |r: &mut Self| &mut r.cumulative_net_rate,
        ));
        f
    }
}

impl Table for DispositionRow {
    const STEM: &'static str = "disposition";
    const ROW: &'static str = "a sale point, segment and disposition: its value per unit of face";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![
            Field::text("sale_point", |r: &Self| r.point.clone(), |r, v| r.point = v),
            Field::u32("dpd", |r: &Self| r.dpd, |r, v| r.dpd = v),
            Field::text(
                "segment",
                |r: &Self| r.segment.clone(),
                |r, v| r.segment = v,
            ),
            Field::choice(
                "disposition",
                &STRATEGIES,
                |r: &Self| r.strategy.clone(),
                |r, v| r.strategy = v,
            ),
            Field::f64(
                "loans",
                Check::NonNegative,
                |r: &Self| r.loans,
                |r, v| r.loans = v,
            ),
            Field::f64(
                "face",
                Check::NonNegative,
                |r: &Self| r.face,
                |r, v| r.face = v,
            ),
        ];
        f.extend(Field::estimate(
            "value_per_face",
            Check::Any,
            |r: &Self| &r.value_per_face,
            |r: &mut Self| &mut r.value_per_face,
        ));
        f.extend(Field::estimate(
            "value",
            Check::Any,
            |r: &Self| &r.value,
            |r: &mut Self| &mut r.value,
        ));
        f.extend(Field::estimate(
            "minus_hold_per_face",
            Check::Any,
            |r: &Self| &r.minus_hold_per_face,
            |r: &mut Self| &mut r.minus_hold_per_face,
        ));
        f
    }
}

impl Table for DecisionRow {
    const STEM: &'static str = "disposition_decision";
    const ROW: &'static str = "a sale point and segment: the best disposition and its lead";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![
            Field::text("sale_point", |r: &Self| r.point.clone(), |r, v| r.point = v),
            Field::u32("dpd", |r: &Self| r.dpd, |r, v| r.dpd = v),
            Field::text(
                "segment",
                |r: &Self| r.segment.clone(),
                |r, v| r.segment = v,
            ),
            Field::choice(
                "best",
                &STRATEGIES,
                |r: &Self| r.best.clone(),
                |r, v| r.best = v,
            ),
            Field::f64(
                "best_value_per_face",
                Check::Any,
                |r: &Self| r.best_value_per_face,
                |r, v| r.best_value_per_face = v,
            ),
            Field::choice(
                "runner_up",
                &STRATEGIES,
                |r: &Self| r.runner_up.clone(),
                |r, v| r.runner_up = v,
            ),
        ];
        f.extend(Field::estimate(
            "lead_per_face",
            Check::Any,
            |r: &Self| &r.lead_per_face,
            |r: &mut Self| &mut r.lead_per_face,
        ));
        f.extend(Field::estimate(
            "lead",
            Check::Any,
            |r: &Self| &r.lead,
            |r: &mut Self| &mut r.lead,
        ));
        f.push(Field::bool(
            "within_noise",
            |r: &Self| r.within_noise,
            |r, v| r.within_noise = v,
        ));
        f
    }
}

impl Table for BuyerRow {
    const STEM: &'static str = "buyer_pricing";
    const ROW: &'static str = "a sale point: the buyer's fair price, bid, money multiple and IRR";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![
            Field::text("sale_point", |r: &Self| r.point.clone(), |r, v| r.point = v),
            Field::u32("dpd", |r: &Self| r.dpd, |r, v| r.dpd = v),
            Field::f64(
                "face",
                Check::NonNegative,
                |r: &Self| r.face,
                |r, v| r.face = v,
            ),
        ];
        f.extend(Field::estimate(
            "fair_price",
            Check::Any,
            |r: &Self| &r.fair_price,
            |r: &mut Self| &mut r.fair_price,
        ));
        f.extend([
            Field::f64(
                "bid_confidence",
                Check::Probability,
                |r: &Self| r.bid_confidence,
                |r, v| r.bid_confidence = v,
            ),
            Field::f64("bid", Check::Any, |r: &Self| r.bid, |r, v| r.bid = v),
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
            Field::f64(
                "quoted_price",
                Check::Any,
                |r: &Self| r.quoted_price,
                |r, v| r.quoted_price = v,
            ),
        ]);
        f.extend(Field::estimate(
            "money_multiple",
            Check::Any,
            |r: &Self| &r.money_multiple,
            |r: &mut Self| &mut r.money_multiple,
        ));
        f.extend([
            Field::f64("irr", Check::Any, |r: &Self| r.irr, |r, v| r.irr = v),
            Field::f64(
                "irr_p5",
                Check::Any,
                |r: &Self| r.irr_p5,
                |r, v| r.irr_p5 = v,
            ),
            Field::f64(
                "irr_p95",
                Check::Any,
                |r: &Self| r.irr_p95,
                |r, v| r.irr_p95 = v,
            ),
        ]);
        f
    }
}

impl Table for PriceCurveRow {
    const STEM: &'static str = "buyer_price_curve";
    const ROW: &'static str = "a sale point and a hurdle rate: the buyer's fair price";
    fn fields() -> Vec<Field<Self>> {
        let mut f = vec![
            Field::text("sale_point", |r: &Self| r.point.clone(), |r, v| r.point = v),
            Field::f64(
                "hurdle_rate",
                Check::Finite,
                |r: &Self| r.hurdle_rate,
                |r, v| r.hurdle_rate = v,
            ),
        ];
        f.extend(Field::estimate(
            "fair_price",
            Check::Any,
            |r: &Self| &r.price,
            |r: &mut Self| &mut r.price,
        ));
        f
    }
}

impl Table for ConvergenceRow {
    const STEM: &'static str = "convergence";
    const ROW: &'static str = "a number of paths and a risk measure: its estimate and 95% interval";
    fn fields() -> Vec<Field<Self>> {
        vec![
            Field::u64("paths", |r: &Self| r.paths, |r, v| r.paths = v),
            Field::choice(
                "measure",
                CONVERGENCE_MEASURES,
                |r: &Self| r.measure.clone(),
                |r, v| r.measure = v,
            ),
            Field::f64(
                "estimate",
                Check::Any,
                |r: &Self| r.estimate,
                |r, v| r.estimate = v,
            ),
            Field::f64(
                "ci_low",
                Check::Any,
                |r: &Self| r.ci_low,
                |r, v| r.ci_low = v,
            ),
            Field::f64(
                "ci_high",
                Check::Any,
                |r: &Self| r.ci_high,
                |r, v| r.ci_high = v,
            ),
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
            Field::text(
                "scenario",
                |r: &Self| r.scenario.clone(),
                |r, v| r.scenario = v,
            ),
            Field::f64(
                "weight",
                Check::Any,
                |r: &Self| r.weight.unwrap_or(f64::NAN),
                |r, v| r.weight = (!v.is_nan()).then_some(v),
            ),
        ];
        f.extend(Field::estimate(
            "expected_loss",
            Check::Any,
            |r: &Self| &r.net_credit_loss,
            |r: &mut Self| &mut r.net_credit_loss,
        ));
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
        f.extend(Field::estimate(
            "gross_write_offs",
            Check::Any,
            |r: &Self| &r.gross_write_offs,
            |r: &mut Self| &mut r.gross_write_offs,
        ));
        f.extend(Field::estimate(
            "net_write_offs",
            Check::Any,
            |r: &Self| &r.net_write_offs,
            |r: &mut Self| &mut r.net_write_offs,
        ));
        f.extend(Field::estimate(
            "recovery_rate",
            Check::Any,
            |r: &Self| &r.recovery_rate,
            |r: &mut Self| &mut r.recovery_rate,
        ));
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
            Field::text(
                "segment",
                |r: &Self| r.segment.clone(),
                |r, v| r.segment = v,
            ),
            Field::u64("loans", |r: &Self| r.loans, |r, v| r.loans = v),
            Field::u64("cells", |r: &Self| r.cells, |r, v| r.cells = v),
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
            Field::f64(
                "max_balance_change",
                Check::Any,
                |r: &Self| r.max_balance_change,
                |r, v| r.max_balance_change = v,
            ),
            Field::f64(
                "mean_balance_change",
                Check::Any,
                |r: &Self| r.mean_balance_change,
                |r, v| r.mean_balance_change = v,
            ),
            Field::f64(
                "max_apr_change",
                Check::Any,
                |r: &Self| r.max_apr_change,
                |r, v| r.max_apr_change = v,
            ),
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
            Field::text(
                "segment",
                |r: &Self| r.segment.clone(),
                |r, v| r.segment = v,
            ),
            Field::text(
                "months_on_book",
                |r: &Self| r.months_on_book.clone(),
                |r, v| r.months_on_book = v,
            ),
            Field::text("from", |r: &Self| r.from.clone(), |r, v| r.from = v),
            Field::text("to", |r: &Self| r.to.clone(), |r, v| r.to = v),
            Field::f64(
                "probability",
                Check::Probability,
                |r: &Self| r.probability,
                |r, v| r.probability = v,
            ),
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
            Field::u32("month", |r: &Self| r.month, |r, v| r.month = v),
            Field::choice(
                "kind",
                &["stage", "flow"],
                |r: &Self| r.kind.clone(),
                |r, v| r.kind = v,
            ),
            Field::text("name", |r: &Self| r.name.clone(), |r, v| r.name = v),
            Field::f64("loans", Check::Any, |r: &Self| r.loans, |r, v| r.loans = v),
            Field::f64(
                "balance",
                Check::Any,
                |r: &Self| r.balance,
                |r, v| r.balance = v,
            ),
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
            Field::u64("path", |r: &Self| r.path, |r, v| r.path = v),
            Field::u32("month", |r: &Self| r.month, |r, v| r.month = v),
            Field::f64(
                "factor",
                Check::Finite,
                |r: &Self| r.factor,
                |r, v| r.factor = v,
            ),
            Field::f64(
                "weight",
                Check::NonNegative,
                |r: &Self| r.weight,
                |r, v| r.weight = v,
            ),
        ]
    }
}

/// One row of `paths`: a path's number and every per-path figure of [`METRICS`], in its
/// order (undefined where the figure is, e.g. a recovery rate on a path without defaults).
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
        let mut f = vec![Field::u64("path", |r: &Self| r.path, |r, v| r.path = v)];
        for (i, m) in METRICS.iter().enumerate() {
            f.push(Field::f64(
                m.name,
                Check::Any,
                move |r: &Self| r.values[i],
                move |r, v| {
                    r.values.resize(METRICS.len(), f64::NAN);
                    r.values[i] = v;
                },
            ));
        }
        f
    }
}
