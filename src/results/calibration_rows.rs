//! The tables `arrears calibrate` writes beside its scenario, one row type each:
//! `transitions`, `state_shares`, `data_quality`, `homogeneity_tests`, `recovery_curve`,
//! `charge_off_timing` and `transitions_by_calendar_block`. Rows the estimator already has
//! ([`ShareRow`], [`HomogeneityTest`], [`CalendarCell`]) are written as they are; the others
//! are built here from a [`Calibration`].

use super::table::{Field, Table, field};
use crate::calibrate::Calibration;
use crate::calibrate::estimate::{
    CalendarCell, HomogeneityTest, MatrixEstimate, RowEstimate, RowSource, ShareRow,
};
use crate::model::StateId;

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

/// `data`, `pooled`, `no_data`, `base`: the words of the `source` column.
fn source_name(source: RowSource) -> &'static str {
    match source {
        RowSource::Data => "data",
        RowSource::Pooled => "pooled",
        RowSource::NoData => "no_data",
        RowSource::Base => "base",
    }
}

/// `all` for the base matrix, `lo-hi` for a month-on-book band.
pub fn band_label(months_on_book: Option<(u32, u32)>) -> String {
    match months_on_book {
        None => "all".to_string(),
        Some((lo, hi)) => format!("{lo}-{hi}"),
    }
}

/// The rows of a matrix the report shows: band rows that only inherit the base row are left
/// out.
pub fn shown_rows(matrix: &MatrixEstimate) -> impl Iterator<Item = &RowEstimate> {
    let band = matrix.months_on_book.is_some();
    matrix
        .rows
        .iter()
        .filter(move |r| !(band && r.source == RowSource::Base))
}

/// One row per (segment, matrix, from, to) for every destination that is possible (positive
/// probability or upper bound) or was observed.
pub fn transition_rows(cal: &Calibration) -> Vec<TransitionRow> {
    let space = &cal.mapping.space;
    let mut rows = Vec::new();
    for seg in &cal.segments {
        for matrix in &seg.matrices {
            for row in shown_rows(matrix) {
                for j in 0..space.len() {
                    let at = |v: &[f64]| v.get(j).copied().unwrap_or(0.0);
                    let (p, c, u) = (at(&row.probability), at(&row.counts), at(&row.upper));
                    if p > 0.0 || c > 0.0 || u > 0.0 {
                        rows.push(TransitionRow {
                            segment: seg.name.clone(),
                            months_on_book: band_label(matrix.months_on_book),
                            from: space.name(row.from).to_string(),
                            to: space.name(j as StateId).to_string(),
                            count: c.round() as u64,
                            at_risk: row.at_risk,
                            probability: p,
                            lower: at(&row.lower),
                            upper: u,
                            source: source_name(row.source).to_string(),
                        });
                    }
                }
            }
        }
    }
    rows
}

/// Running sums of `curve`.
pub(crate) fn cumulative(curve: &[f64]) -> Vec<f64> {
    curve
        .iter()
        .scan(0.0, |acc, x| {
            *acc += x;
            Some(*acc)
        })
        .collect()
}

/// The data quality issues, one row each.
pub fn quality_rows(cal: &Calibration) -> Vec<QualityRow> {
    (cal.quality.iter())
        .map(|i| QualityRow {
            issue: i.what.to_string(),
            count: i.count,
            example: i.example.clone(),
            handling: i.handling.to_string(),
        })
        .collect()
}

/// The recovery curve after charge-off, month by month, when the history has recoveries.
pub fn recovery_curve_rows(cal: &Calibration) -> Option<Vec<RecoveryCurveRow>> {
    let r = cal.recovery.as_ref()?;
    Some(
        (r.curve.iter().zip(cumulative(&r.curve)))
            .enumerate()
            .map(|(k, (&share, cumulative))| RecoveryCurveRow {
                months_after_charge_off: k as u32 + 1,
                share_recovered: share,
                cumulative_share: cumulative,
                exposure: r.exposure.get(k).copied().unwrap_or(f64::NAN),
                accounts: r.accounts.get(k).copied().unwrap_or(0),
            })
            .collect(),
    )
}

/// Accounts by months from first delinquency to charge-off, from month 1 (charge-off in the
/// month of the first missed payment) on, when the history has charge-offs.
pub fn charge_off_timing_rows(cal: &Calibration) -> Option<Vec<ChargeOffTimingRow>> {
    let t = cal.charge_off_timing.as_ref()?;
    Some(
        (t.histogram.iter().enumerate())
            .filter(|&(m, &c)| m > 0 || c > 0)
            .map(|(m, &c)| ChargeOffTimingRow {
                months_from_first_delinquency: m as u32,
                accounts: c,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_and_cumulative_curves_read_as_written() {
        assert_eq!(band_label(None), "all");
        assert_eq!(band_label(Some((3, 5))), "3-5");
        assert_eq!(cumulative(&[0.25, 0.5, 0.125]), vec![0.25, 0.75, 0.875]);
    }
}
