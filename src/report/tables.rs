//! Result tables as polars data frames, written as CSV (for Excel) and Parquet (for pandas,
//! polars and R). Column names are snake_case; units are in the column name or in a `unit`
//! column.

use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use super::ReportError;
use crate::book::cells::{Bucketing, BucketingRow};
use crate::engine::PathOutcome;
use crate::metrics::disposition::{BuyerRow, DecisionRow, DispositionRow, PriceCurveRow};
use crate::metrics::estimate::Estimate;
use crate::metrics::figures::METRICS;
use crate::metrics::recovery::{CurveRow, GroupRow, HistogramRow, WriteOffRow};
use crate::metrics::risk::{ConvergenceRow, StressRow};
use crate::metrics::summary::TimelineRow;
use crate::metrics::vintage::VintageRow;

/// One row per path: its number and every per-path figure (null where undefined, e.g. a
/// recovery rate on a path with no defaults).
pub fn paths_frame(paths: &[PathOutcome]) -> PolarsResult<DataFrame> {
    let mut columns: Vec<Column> = Vec::with_capacity(METRICS.len() + 1);
    columns.push(Column::new(
        "path".into(),
        (0..paths.len() as u64).collect::<Vec<u64>>(),
    ));
    for m in METRICS {
        let values: Vec<Option<f64>> = paths.iter().map(|p| (m.value)(p)).collect();
        columns.push(Column::new(m.name.into(), values));
    }
    DataFrame::new(paths.len(), columns)
}

/// The timeline in long form: one row per month, category, item and measure.
pub fn timeline_frame(rows: &[TimelineRow]) -> PolarsResult<DataFrame> {
    let col_str = |name: &str, f: &dyn Fn(&TimelineRow) -> String| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<String>>())
    };
    let col_f64 = |name: &str, f: &dyn Fn(&TimelineRow) -> f64| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<f64>>())
    };
    DataFrame::new(
        rows.len(),
        vec![
            Column::new(
                "month".into(),
                rows.iter().map(|r| r.month).collect::<Vec<u32>>(),
            ),
            col_str("category", &|r| r.category.to_string()),
            col_str("item", &|r| r.item.clone()),
            col_str("stage", &|r| r.stage.clone()),
            col_str("measure", &|r| r.measure.to_string()),
            col_str("unit", &|r| r.unit.to_string()),
            col_f64("mean", &|r| r.mean),
            col_f64("se", &|r| r.se),
            col_f64("p5", &|r| r.p5),
            col_f64("p50", &|r| r.p50),
            col_f64("p95", &|r| r.p95),
        ],
    )
}

/// Writes `{stem}.csv` and `{stem}.parquet`.
pub fn write_both(frame: &mut DataFrame, dir: &Path, stem: &str) -> Result<(), ReportError> {
    let csv_path = dir.join(format!("{stem}.csv"));
    let file = File::create(&csv_path).map_err(|e| ReportError::io(&csv_path, e))?;
    CsvWriter::new(file)
        .include_header(true)
        .finish(frame)
        .map_err(|e| ReportError::table(&csv_path, e))?;
    let parquet_path = dir.join(format!("{stem}.parquet"));
    let file = File::create(&parquet_path).map_err(|e| ReportError::io(&parquet_path, e))?;
    ParquetWriter::new(file)
        .finish(frame)
        .map_err(|e| ReportError::table(&parquet_path, e))?;
    Ok(())
}

pub(crate) fn f64s(name: &str, values: impl Iterator<Item = f64>) -> Column {
    Column::new(name.into(), values.collect::<Vec<f64>>())
}

pub(crate) fn u32s(name: &str, values: impl Iterator<Item = u32>) -> Column {
    Column::new(name.into(), values.collect::<Vec<u32>>())
}

pub(crate) fn strs(name: &str, values: impl Iterator<Item = String>) -> Column {
    Column::new(name.into(), values.collect::<Vec<String>>())
}

/// Estimate columns: `{name}` (mean) and `{name}_se`, plus `{name}_p5`/`_p95` when `band`.
fn estimate_columns(name: &str, values: &[Estimate], band: bool) -> Vec<Column> {
    let mut cols = vec![
        f64s(name, values.iter().map(|e| e.mean)),
        f64s(&format!("{name}_se"), values.iter().map(|e| e.se)),
    ];
    if band {
        cols.push(f64s(&format!("{name}_p5"), values.iter().map(|e| e.p5)));
        cols.push(f64s(&format!("{name}_p95"), values.iter().map(|e| e.p95)));
    }
    cols
}

fn frame(height: usize, groups: Vec<Vec<Column>>) -> PolarsResult<DataFrame> {
    DataFrame::new(height, groups.into_iter().flatten().collect())
}

/// Recovery rates by dimension (all, segment, stage at default, vintage) and group.
pub fn recovery_groups_frame(rows: &[GroupRow]) -> PolarsResult<DataFrame> {
    let est = |f: fn(&GroupRow) -> Estimate| rows.iter().map(f).collect::<Vec<_>>();
    frame(
        rows.len(),
        vec![
            vec![
                strs("dimension", rows.iter().map(|r| r.dimension.to_string())),
                strs("group", rows.iter().map(|r| r.group.clone())),
            ],
            estimate_columns("defaults", &est(|r| r.defaults), false),
            estimate_columns(
                "exposure_at_default",
                &est(|r| r.exposure_at_default),
                false,
            ),
            estimate_columns("recovery_rate", &est(|r| r.recovery_rate), false),
            estimate_columns("recovery_rate_net", &est(|r| r.recovery_rate_net), false),
            estimate_columns(
                "recovery_rate_discounted_gross",
                &est(|r| r.recovery_rate_discounted_gross),
                false,
            ),
            estimate_columns(
                "recovery_rate_discounted",
                &est(|r| r.recovery_rate_discounted),
                true,
            ),
            estimate_columns("loss_given_default", &est(|r| r.loss_given_default), false),
            vec![f64s("paths", rows.iter().map(|r| r.recovery_rate.n as f64))],
        ],
    )
}

pub fn recovery_distribution_frame(rows: &[HistogramRow]) -> PolarsResult<DataFrame> {
    frame(
        rows.len(),
        vec![
            vec![
                strs("recovery_rate_band", rows.iter().map(|r| r.bin.clone())),
                f64s("lower", rows.iter().map(|r| r.lower)),
                f64s("upper", rows.iter().map(|r| r.upper)),
            ],
            estimate_columns(
                "share_of_defaults",
                &rows.iter().map(|r| r.share).collect::<Vec<_>>(),
                false,
            ),
        ],
    )
}

pub fn recovery_curve_frame(rows: &[CurveRow]) -> PolarsResult<DataFrame> {
    frame(
        rows.len(),
        vec![
            vec![u32s(
                "months_since_default",
                rows.iter().map(|r| r.months_since_default),
            )],
            estimate_columns(
                "cumulative_recovery_rate",
                &rows
                    .iter()
                    .map(|r| r.cumulative_recovery_rate)
                    .collect::<Vec<_>>(),
                true,
            ),
        ],
    )
}

pub fn write_offs_frame(rows: &[WriteOffRow]) -> PolarsResult<DataFrame> {
    let est = |f: fn(&WriteOffRow) -> Estimate| rows.iter().map(f).collect::<Vec<_>>();
    frame(
        rows.len(),
        vec![
            vec![
                u32s("month", rows.iter().map(|r| r.month)),
                strs("segment", rows.iter().map(|r| r.segment.clone())),
            ],
            estimate_columns("gross_write_offs", &est(|r| r.gross), true),
            estimate_columns("net_write_offs", &est(|r| r.net), true),
            estimate_columns(
                "cumulative_gross_write_offs",
                &est(|r| r.cumulative_gross),
                true,
            ),
            estimate_columns(
                "cumulative_net_write_offs",
                &est(|r| r.cumulative_net),
                true,
            ),
            vec![
                f64s(
                    "cumulative_gross_share_of_book",
                    rows.iter().map(|r| r.cumulative_gross_share),
                ),
                f64s(
                    "cumulative_net_share_of_book",
                    rows.iter().map(|r| r.cumulative_net_share),
                ),
            ],
        ],
    )
}

/// Vintage curves: one row per vintage (oldest first) and month of the run, with the months on
/// book it reaches, and cumulative write-offs in currency and as shares of the vintage's
/// starting balance.
pub fn vintage_frame(rows: &[VintageRow]) -> PolarsResult<DataFrame> {
    let est = |f: fn(&VintageRow) -> Estimate| rows.iter().map(f).collect::<Vec<_>>();
    frame(
        rows.len(),
        vec![
            vec![
                strs("vintage", rows.iter().map(|r| r.vintage.clone())),
                u32s(
                    "months_on_book_at_start",
                    rows.iter().map(|r| r.months_on_book_at_start),
                ),
                u32s("month", rows.iter().map(|r| r.month)),
                u32s("months_on_book", rows.iter().map(|r| r.months_on_book)),
                Column::new(
                    "loans".into(),
                    rows.iter().map(|r| r.loans).collect::<Vec<u64>>(),
                ),
                f64s("starting_balance", rows.iter().map(|r| r.starting_balance)),
            ],
            estimate_columns(
                "cumulative_gross_write_offs",
                &est(|r| r.cumulative_gross_write_offs),
                true,
            ),
            estimate_columns(
                "cumulative_net_write_offs",
                &est(|r| r.cumulative_net_write_offs),
                true,
            ),
            estimate_columns(
                "cumulative_gross_write_off_rate",
                &est(|r| r.cumulative_gross_rate),
                true,
            ),
            estimate_columns(
                "cumulative_net_write_off_rate",
                &est(|r| r.cumulative_net_rate),
                true,
            ),
        ],
    )
}

pub fn disposition_frame(rows: &[DispositionRow]) -> PolarsResult<DataFrame> {
    let est = |f: fn(&DispositionRow) -> Estimate| rows.iter().map(f).collect::<Vec<_>>();
    frame(
        rows.len(),
        vec![
            vec![
                strs("sale_point", rows.iter().map(|r| r.point.clone())),
                u32s("dpd", rows.iter().map(|r| r.dpd)),
                strs("segment", rows.iter().map(|r| r.segment.clone())),
                strs("disposition", rows.iter().map(|r| r.strategy.to_string())),
                f64s("loans", rows.iter().map(|r| r.loans)),
                f64s("face", rows.iter().map(|r| r.face)),
            ],
            estimate_columns("value_per_face", &est(|r| r.value_per_face), true),
            estimate_columns("value", &est(|r| r.value), false),
            estimate_columns(
                "minus_hold_per_face",
                &est(|r| r.minus_hold_per_face),
                false,
            ),
        ],
    )
}

pub fn decision_frame(rows: &[DecisionRow]) -> PolarsResult<DataFrame> {
    let est = |f: fn(&DecisionRow) -> Estimate| rows.iter().map(f).collect::<Vec<_>>();
    frame(
        rows.len(),
        vec![
            vec![
                strs("sale_point", rows.iter().map(|r| r.point.clone())),
                u32s("dpd", rows.iter().map(|r| r.dpd)),
                strs("segment", rows.iter().map(|r| r.segment.clone())),
                strs("best", rows.iter().map(|r| r.best.to_string())),
                f64s(
                    "best_value_per_face",
                    rows.iter().map(|r| r.best_value_per_face),
                ),
                strs("runner_up", rows.iter().map(|r| r.runner_up.to_string())),
            ],
            estimate_columns("lead_per_face", &est(|r| r.lead_per_face), false),
            estimate_columns("lead", &est(|r| r.lead), false),
            vec![Column::new(
                "within_noise".into(),
                rows.iter().map(|r| r.within_noise).collect::<Vec<bool>>(),
            )],
        ],
    )
}

pub fn buyer_frame(rows: &[BuyerRow]) -> PolarsResult<DataFrame> {
    frame(
        rows.len(),
        vec![
            vec![
                strs("sale_point", rows.iter().map(|r| r.point.clone())),
                u32s("dpd", rows.iter().map(|r| r.dpd)),
                f64s("face", rows.iter().map(|r| r.face)),
            ],
            estimate_columns(
                "fair_price",
                &rows.iter().map(|r| r.fair_price).collect::<Vec<_>>(),
                true,
            ),
            vec![
                f64s("bid_confidence", rows.iter().map(|r| r.bid_confidence)),
                f64s("bid", rows.iter().map(|r| r.bid)),
                f64s("bid_ci_low", rows.iter().map(|r| r.bid_ci.0)),
                f64s("bid_ci_high", rows.iter().map(|r| r.bid_ci.1)),
                f64s("quoted_price", rows.iter().map(|r| r.quoted_price)),
            ],
            estimate_columns(
                "money_multiple",
                &rows.iter().map(|r| r.money_multiple).collect::<Vec<_>>(),
                false,
            ),
            vec![
                f64s("irr", rows.iter().map(|r| r.irr)),
                f64s("irr_p5", rows.iter().map(|r| r.irr_p5)),
                f64s("irr_p95", rows.iter().map(|r| r.irr_p95)),
            ],
        ],
    )
}

pub fn price_curve_frame(rows: &[PriceCurveRow]) -> PolarsResult<DataFrame> {
    frame(
        rows.len(),
        vec![
            vec![
                strs("sale_point", rows.iter().map(|r| r.point.clone())),
                f64s("hurdle_rate", rows.iter().map(|r| r.hurdle_rate)),
            ],
            estimate_columns(
                "fair_price",
                &rows.iter().map(|r| r.price).collect::<Vec<_>>(),
                true,
            ),
        ],
    )
}

/// Risk measures against the number of paths.
pub fn convergence_frame(rows: &[ConvergenceRow]) -> PolarsResult<DataFrame> {
    frame(
        rows.len(),
        vec![vec![
            Column::new(
                "paths".into(),
                rows.iter().map(|r| r.paths).collect::<Vec<u64>>(),
            ),
            strs("measure", rows.iter().map(|r| r.measure.to_string())),
            f64s("estimate", rows.iter().map(|r| r.estimate)),
            f64s("ci_low", rows.iter().map(|r| r.ci_low)),
            f64s("ci_high", rows.iter().map(|r| r.ci_high)),
        ]],
    )
}

/// The systematic factor of every path and month, with the path's weight.
pub fn factor_frame(paths: &[PathOutcome]) -> PolarsResult<DataFrame> {
    let mut path = Vec::new();
    let mut month = Vec::new();
    let mut factor = Vec::new();
    let mut weight = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        for (m, z) in p.factor.iter().enumerate() {
            path.push(i as u64);
            month.push(m as u32 + 1);
            factor.push(*z);
            weight.push(p.weight);
        }
    }
    let height = path.len();
    DataFrame::new(
        height,
        vec![
            Column::new("path".into(), path),
            Column::new("month".into(), month),
            Column::new("factor".into(), factor),
            Column::new("weight".into(), weight),
        ],
    )
}

/// A stress set side by side: one row per scenario (and the weighted blend).
pub fn stress_frame(rows: &[StressRow]) -> PolarsResult<DataFrame> {
    let est = |f: fn(&StressRow) -> Estimate| rows.iter().map(f).collect::<Vec<_>>();
    let mut tail_columns = Vec::new();
    for (i, level) in ["95", "99", "99_9"].iter().enumerate() {
        let t = |f: fn(&crate::metrics::estimate::TailMeasure) -> f64| {
            rows.iter().map(move |r| f(&r.net_credit_loss_tail[i]))
        };
        tail_columns.push(f64s(&format!("var_{level}"), t(|x| x.var)));
        tail_columns.push(f64s(&format!("var_{level}_ci_low"), t(|x| x.var_ci_low)));
        tail_columns.push(f64s(&format!("var_{level}_ci_high"), t(|x| x.var_ci_high)));
        tail_columns.push(f64s(&format!("es_{level}"), t(|x| x.expected_shortfall)));
        tail_columns.push(f64s(
            &format!("es_{level}_ci_low"),
            t(|x| x.expected_shortfall_ci_low),
        ));
        tail_columns.push(f64s(
            &format!("es_{level}_ci_high"),
            t(|x| x.expected_shortfall_ci_high),
        ));
    }
    frame(
        rows.len(),
        vec![
            vec![
                strs("scenario", rows.iter().map(|r| r.scenario.clone())),
                f64s("weight", rows.iter().map(|r| r.weight.unwrap_or(f64::NAN))),
            ],
            estimate_columns("expected_loss", &est(|r| r.net_credit_loss), false),
            tail_columns,
            estimate_columns("gross_write_offs", &est(|r| r.gross_write_offs), false),
            estimate_columns("net_write_offs", &est(|r| r.net_write_offs), false),
            estimate_columns("recovery_rate", &est(|r| r.recovery_rate), false),
        ],
    )
}

/// What count mode's bucketing changed: one row per segment, then the whole book (`all`).
/// Changes are relative (`after / before - 1`); `max_apr_change` is a fraction like the APR.
pub fn bucketing_frame(bucketing: &Bucketing) -> PolarsResult<DataFrame> {
    let rows: Vec<&BucketingRow> = bucketing
        .segments
        .iter()
        .chain(std::iter::once(&bucketing.total))
        .collect();
    let change = |before: f64, after: f64| {
        if before == 0.0 {
            if after == 0.0 { 0.0 } else { f64::NAN }
        } else {
            after / before - 1.0
        }
    };
    let col = |name: &str, f: &dyn Fn(&BucketingRow) -> f64| f64s(name, rows.iter().map(|r| f(r)));
    DataFrame::new(
        rows.len(),
        vec![
            strs("segment", rows.iter().map(|r| r.segment.clone())),
            Column::new(
                "loans".into(),
                rows.iter().map(|r| r.loans).collect::<Vec<u64>>(),
            ),
            Column::new(
                "cells".into(),
                rows.iter().map(|r| r.cells).collect::<Vec<u64>>(),
            ),
            col("balance_before", &|r| r.balance_before),
            col("balance_after", &|r| r.balance_after),
            col("balance_change", &|r| {
                change(r.balance_before, r.balance_after)
            }),
            col("monthly_interest_before", &|r| r.monthly_interest_before),
            col("monthly_interest_after", &|r| r.monthly_interest_after),
            col("monthly_interest_change", &|r| {
                change(r.monthly_interest_before, r.monthly_interest_after)
            }),
            col("first_payment_before", &|r| r.first_payment_before),
            col("first_payment_after", &|r| r.first_payment_after),
            col("first_payment_change", &|r| {
                change(r.first_payment_before, r.first_payment_after)
            }),
            col("max_balance_change", &|r| r.max_balance_change),
            col("mean_balance_change", &|r| r.mean_balance_change),
            col("max_apr_change", &|r| r.max_apr_change),
        ],
    )
}
