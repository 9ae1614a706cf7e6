//! The tables `arrears calibrate` writes beside its scenario, one row type each:
//! `transitions`, `state_shares`, `data_quality`, `homogeneity_tests`, `recovery_curve`,
//! `charge_off_timing` and `transitions_by_calendar_block`. Rows the estimator already has
//! ([`ShareRow`], [`HomogeneityTest`], [`CalendarCell`]) are written as they are; the report
//! ([`crate::report::calibration`]) fills the others from a `Calibration`.

use super::table::{Check, Field, Table};
use crate::calibrate::estimate::{CalendarCell, HomogeneityTest, ShareRow};

/// One destination of one row of an estimated matrix.
#[derive(Debug, Clone, Default)]
pub struct TransitionRow {
    pub segment: String,
    /// `all` for the base matrix, `lo-hi` for a month-on-book band.
    pub months_on_book: String,
    pub from: String,
    pub to: String,
    pub count: u64,
    pub at_risk: f64,
    pub probability: f64,
    pub lower: f64,
    pub upper: f64,
    /// `data`, `pooled`, `no_data` or `base`.
    pub source: String,
}

impl Table for TransitionRow {
    const STEM: &'static str = "transitions";
    const ROW: &'static str = "a (segment, matrix, from, to) transition with its interval";
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
            Field::u64("count", |r: &Self| r.count, |r, v| r.count = v),
            Field::f64(
                "at_risk",
                Check::NonNegative,
                |r: &Self| r.at_risk,
                |r, v| r.at_risk = v,
            ),
            Field::f64(
                "probability",
                Check::Probability,
                |r: &Self| r.probability,
                |r, v| r.probability = v,
            ),
            Field::f64(
                "lower",
                Check::Probability,
                |r: &Self| r.lower,
                |r, v| r.lower = v,
            ),
            Field::f64(
                "upper",
                Check::Probability,
                |r: &Self| r.upper,
                |r, v| r.upper = v,
            ),
            Field::text("source", |r: &Self| r.source.clone(), |r, v| r.source = v),
        ]
    }
}

impl Table for ShareRow {
    const STEM: &'static str = "state_shares";
    const ROW: &'static str = "a segment, month and state: observed and fitted share";
    fn fields() -> Vec<Field<Self>> {
        vec![
            Field::text(
                "segment",
                |r: &Self| r.segment.clone(),
                |r, v| r.segment = v,
            ),
            Field::u32("month", |r: &Self| r.month, |r, v| r.month = v),
            Field::text(
                "month_label",
                |r: &Self| r.month_label.clone(),
                |r, v| r.month_label = v,
            ),
            Field::text("state", |r: &Self| r.state.clone(), |r, v| r.state = v),
            Field::f64(
                "observed",
                Check::Probability,
                |r: &Self| r.observed,
                |r, v| r.observed = v,
            ),
            Field::f64(
                "observed_se",
                Check::Any,
                |r: &Self| r.observed_se,
                |r, v| r.observed_se = v,
            ),
            Field::f64(
                "fitted",
                Check::Probability,
                |r: &Self| r.fitted,
                |r, v| r.fitted = v,
            ),
            Field::u64(
                "loans_known",
                |r: &Self| r.loans_known,
                |r, v| r.loans_known = v,
            ),
        ]
    }
}

/// A problem found in the panel, how often, and what was done about it.
#[derive(Debug, Clone, Default)]
pub struct QualityRow {
    pub issue: String,
    pub count: u64,
    pub example: Option<String>,
    pub handling: String,
}

impl Table for QualityRow {
    const STEM: &'static str = "data_quality";
    const ROW: &'static str = "a kind of problem in the panel: count, example, handling";
    fn fields() -> Vec<Field<Self>> {
        vec![
            Field::text("issue", |r: &Self| r.issue.clone(), |r, v| r.issue = v),
            Field::u64("count", |r: &Self| r.count, |r, v| r.count = v),
            Field::opt_text(
                "example",
                |r: &Self| r.example.clone(),
                |r, v| r.example = v,
            ),
            Field::text(
                "handling",
                |r: &Self| r.handling.clone(),
                |r, v| r.handling = v,
            ),
        ]
    }
}

impl Table for HomogeneityTest {
    const STEM: &'static str = "homogeneity_tests";
    const ROW: &'static str = "a G test of one matrix against one per group";
    fn fields() -> Vec<Field<Self>> {
        vec![
            Field::text(
                "segment",
                |r: &Self| r.segment.clone(),
                |r, v| r.segment = v,
            ),
            Field::text(
                "grouping",
                |r: &Self| r.grouping.clone(),
                |r, v| r.grouping = v,
            ),
            Field::u64(
                "groups",
                |r: &Self| r.groups as u64,
                |r, v| r.groups = v as usize,
            ),
            Field::f64(
                "statistic",
                Check::Any,
                |r: &Self| r.statistic,
                |r, v| r.statistic = v,
            ),
            Field::f64("df", Check::Any, |r: &Self| r.df, |r, v| r.df = v),
            Field::f64(
                "p_value",
                Check::Probability,
                |r: &Self| r.p_value,
                |r, v| r.p_value = v,
            ),
        ]
    }
}

/// A month after charge-off: the share of the charged-off balance recovered in it.
#[derive(Debug, Clone, Default)]
pub struct RecoveryCurveRow {
    pub months_after_charge_off: u32,
    pub share_recovered: f64,
    pub cumulative_share: f64,
    pub exposure: f64,
    pub accounts: u64,
}

impl Table for RecoveryCurveRow {
    const STEM: &'static str = "recovery_curve";
    const ROW: &'static str = "a month after charge-off: share recovered, running sum, exposure";
    fn fields() -> Vec<Field<Self>> {
        vec![
            Field::u32(
                "months_after_charge_off",
                |r: &Self| r.months_after_charge_off,
                |r, v| r.months_after_charge_off = v,
            ),
            Field::f64(
                "share_recovered",
                Check::Any,
                |r: &Self| r.share_recovered,
                |r, v| r.share_recovered = v,
            ),
            Field::f64(
                "cumulative_share",
                Check::Any,
                |r: &Self| r.cumulative_share,
                |r, v| r.cumulative_share = v,
            ),
            Field::f64(
                "exposure",
                Check::Any,
                |r: &Self| r.exposure,
                |r, v| r.exposure = v,
            ),
            Field::u64("accounts", |r: &Self| r.accounts, |r, v| r.accounts = v),
        ]
    }
}

/// Charge-offs a number of months after the first missed payment.
#[derive(Debug, Clone, Default)]
pub struct ChargeOffTimingRow {
    pub months_from_first_delinquency: u32,
    pub accounts: u64,
}

impl Table for ChargeOffTimingRow {
    const STEM: &'static str = "charge_off_timing";
    const ROW: &'static str = "months from the first missed payment to charge-off: accounts";
    fn fields() -> Vec<Field<Self>> {
        vec![
            Field::u32(
                "months_from_first_delinquency",
                |r: &Self| r.months_from_first_delinquency,
                |r, v| r.months_from_first_delinquency = v,
            ),
            Field::u64("accounts", |r: &Self| r.accounts, |r, v| r.accounts = v),
        ]
    }
}

impl Table for CalendarCell {
    const STEM: &'static str = "transitions_by_calendar_block";
    const ROW: &'static str = "a cell of a calendar block's cohort matrix";
    fn fields() -> Vec<Field<Self>> {
        vec![
            Field::text(
                "segment",
                |r: &Self| r.segment.clone(),
                |r, v| r.segment = v,
            ),
            Field::text(
                "first_month",
                |r: &Self| r.first_month.clone(),
                |r, v| r.first_month = v,
            ),
            Field::text(
                "last_month",
                |r: &Self| r.last_month.clone(),
                |r, v| r.last_month = v,
            ),
            Field::text("from", |r: &Self| r.from.clone(), |r, v| r.from = v),
            Field::text("to", |r: &Self| r.to.clone(), |r, v| r.to = v),
            Field::f64("count", Check::Any, |r: &Self| r.count, |r, v| r.count = v),
            Field::f64(
                "at_risk",
                Check::Any,
                |r: &Self| r.at_risk,
                |r, v| r.at_risk = v,
            ),
            Field::f64(
                "probability",
                Check::Probability,
                |r: &Self| r.probability,
                |r, v| r.probability = v,
            ),
        ]
    }
}
