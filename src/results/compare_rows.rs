//! The tables `arrears compare` writes, one row type each: `comparison`, `tail_comparison`,
//! `cumulative_net_write_offs`, `recovery_curves` and `net_credit_loss_by_path`. The first run
//! is the reference; its row leaves the difference columns empty (null).

use super::table::field;
use super::table::{Check, Field, Table};

/// A headline figure of one run, and its difference from the reference's.
#[derive(Debug, Clone, Default)]
pub struct ComparisonRow {
    pub figure: String,
    /// `currency`, `count` or `fraction`.
    pub unit: String,
    pub run: String,
    pub reference: String,
    pub mean: f64,
    pub se: f64,
    /// NaN (null) on the reference's row, as are the other differences.
    pub difference: f64,
    pub difference_se: f64,
    pub relative_difference: f64,
    pub paired: Option<bool>,
    pub significant: Option<bool>,
}

impl Table for ComparisonRow {
    const STEM: &'static str = "comparison";
    const ROW: &'static str = "a figure of a run: its mean and its difference from the reference";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(text "figure" => figure),
            field!(text "unit" => unit),
            field!(text "run" => run),
            field!(text "reference" => reference),
            field!(f64 "mean", Any => mean),
            field!(f64 "se", Any => se),
            field!(f64 "difference", Any => difference),
            field!(f64 "difference_se", Any => difference_se),
            field!(f64 "relative_difference", Any => relative_difference),
            Field::opt_bool("paired", |r: &Self| r.paired, |r, v| r.paired = v),
            Field::opt_bool(
                "significant",
                |r: &Self| r.significant,
                |r, v| r.significant = v,
            ),
        ]
    }
}

/// A tail measure of one run at one level, and its difference from the reference's.
#[derive(Debug, Clone, Default)]
pub struct TailComparisonRow {
    /// `var` or `expected_shortfall`.
    pub measure: String,
    pub level: f64,
    pub run: String,
    pub reference: String,
    pub value: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// NaN (null) on the reference's row, as are the other differences.
    pub difference: f64,
    pub difference_ci_low: f64,
    pub difference_ci_high: f64,
    pub paired: Option<bool>,
}

impl Table for TailComparisonRow {
    const STEM: &'static str = "tail_comparison";
    const ROW: &'static str = "a tail measure of a run at a level, with its difference";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(text "measure" => measure),
            field!(f64 "level", Probability => level),
            field!(text "run" => run),
            field!(text "reference" => reference),
            field!(f64 "value", Any => value),
            field!(f64 "ci_low", Any => ci_low),
            field!(f64 "ci_high", Any => ci_high),
            field!(f64 "difference", Any => difference),
            field!(f64 "difference_ci_low", Any => difference_ci_low),
            field!(f64 "difference_ci_high", Any => difference_ci_high),
            Field::opt_bool("paired", |r: &Self| r.paired, |r, v| r.paired = v),
        ]
    }
}

/// A run's value at one month of a compared line: mean and 5th-95th percentiles.
#[derive(Debug, Clone, Default)]
pub struct BandRow {
    pub run: String,
    pub month: u32,
    pub mean: f64,
    pub p5: f64,
    pub p95: f64,
}

/// The fields of a [`BandRow`] table whose month column is `x` and whose value is `y`.
fn band_fields<R: 'static>(
    x: &str,
    y: &str,
    get: fn(&R) -> &BandRow,
    get_mut: fn(&mut R) -> &mut BandRow,
) -> Vec<Field<R>> {
    vec![
        Field::text(
            "run",
            move |r| get(r).run.clone(),
            move |r, v| get_mut(r).run = v,
        ),
        Field::u32(x, move |r| get(r).month, move |r, v| get_mut(r).month = v),
        Field::f64(
            y,
            Check::Any,
            move |r| get(r).mean,
            move |r, v| get_mut(r).mean = v,
        ),
        Field::f64(
            &format!("{y}_p5"),
            Check::Any,
            move |r| get(r).p5,
            move |r, v| get_mut(r).p5 = v,
        ),
        Field::f64(
            &format!("{y}_p95"),
            Check::Any,
            move |r| get(r).p95,
            move |r, v| get_mut(r).p95 = v,
        ),
    ]
}

/// Cumulative net write-offs of a run by month.
#[derive(Debug, Clone, Default)]
pub struct WriteOffBandRow(pub BandRow);

impl Table for WriteOffBandRow {
    const STEM: &'static str = "cumulative_net_write_offs";
    const ROW: &'static str = "a run and month: cumulative net write-offs, mean and band";
    fn fields() -> Vec<Field<Self>> {
        band_fields("month", "cumulative_net_write_offs", |r| &r.0, |r| &mut r.0)
    }
}

/// Cumulative recovery rate of a run by months since default.
#[derive(Debug, Clone, Default)]
pub struct RecoveryBandRow(pub BandRow);

impl Table for RecoveryBandRow {
    const STEM: &'static str = "recovery_curves";
    const ROW: &'static str = "a run and months since default: cumulative recovery rate and band";
    fn fields() -> Vec<Field<Self>> {
        band_fields(
            "months_since_default",
            "cumulative_recovery_rate",
            |r| &r.0,
            |r| &mut r.0,
        )
    }
}

/// Net credit loss of one path of one run, with the path's weight.
#[derive(Debug, Clone, Default)]
pub struct LossRow {
    pub run: String,
    pub path: u32,
    pub net_credit_loss: f64,
    pub weight: f64,
}

impl Table for LossRow {
    const STEM: &'static str = "net_credit_loss_by_path";
    const ROW: &'static str = "a path of a run: its net credit loss and weight";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(text "run" => run),
            field!(u32 "path" => path),
            field!(f64 "net_credit_loss", Any => net_credit_loss),
            field!(f64 "weight", Any => weight),
        ]
    }
}
