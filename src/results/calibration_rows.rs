//! The tables `arrears calibrate` writes beside its scenario, one row type each:
//! `transitions`, `state_shares`, `data_quality`, `homogeneity_tests`, `recovery_curve`,
//! `charge_off_timing` and `transitions_by_calendar_block`. Rows the estimator already has
//! ([`ShareRow`], [`HomogeneityTest`], [`CalendarCell`]) are written as they are; the report
//! ([`crate::report::calibration`]) fills the others from a `Calibration`.

use super::table::{Field, Table, field};
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
            field!(text "segment" => segment),
            field!(text "months_on_book" => months_on_book),
            field!(text "from" => from),
            field!(text "to" => to),
            field!(u64 "count" => count),
            field!(f64 "at_risk", NonNegative => at_risk),
            field!(f64 "probability", Probability => probability),
            field!(f64 "lower", Probability => lower),
            field!(f64 "upper", Probability => upper),
            field!(text "source" => source),
        ]
    }
}

impl Table for ShareRow {
    const STEM: &'static str = "state_shares";
    const ROW: &'static str = "a segment, month and state: observed and fitted share";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(text "segment" => segment),
            field!(u32 "month" => month),
            field!(text "month_label" => month_label),
            field!(text "state" => state),
            field!(f64 "observed", Probability => observed),
            field!(f64 "observed_se", Any => observed_se),
            field!(f64 "fitted", Probability => fitted),
            field!(u64 "loans_known" => loans_known),
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
            field!(text "issue" => issue),
            field!(u64 "count" => count),
            Field::opt_text(
                "example",
                |r: &Self| r.example.clone(),
                |r, v| r.example = v,
            ),
            field!(text "handling" => handling),
        ]
    }
}

impl Table for HomogeneityTest {
    const STEM: &'static str = "homogeneity_tests";
    const ROW: &'static str = "a G test of one matrix against one per group";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(text "segment" => segment),
            field!(text "grouping" => grouping),
            Field::u64(
                "groups",
                |r: &Self| r.groups as u64,
                |r, v| r.groups = v as usize,
            ),
            field!(f64 "statistic", Any => statistic),
            field!(f64 "df", Any => df),
            field!(f64 "p_value", Probability => p_value),
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
            field!(u32 "months_after_charge_off" => months_after_charge_off),
            field!(f64 "share_recovered", Any => share_recovered),
            field!(f64 "cumulative_share", Any => cumulative_share),
            field!(f64 "exposure", Any => exposure),
            field!(u64 "accounts" => accounts),
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
            field!(u32 "months_from_first_delinquency" => months_from_first_delinquency),
            field!(u64 "accounts" => accounts),
        ]
    }
}

impl Table for CalendarCell {
    const STEM: &'static str = "transitions_by_calendar_block";
    const ROW: &'static str = "a cell of a calendar block's cohort matrix";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(text "segment" => segment),
            field!(text "first_month" => first_month),
            field!(text "last_month" => last_month),
            field!(text "from" => from),
            field!(text "to" => to),
            field!(f64 "count", Any => count),
            field!(f64 "at_risk", Any => at_risk),
            field!(f64 "probability", Probability => probability),
        ]
    }
}
