//! Result tables as polars data frames, written as CSV (for Excel) and Parquet (for pandas,
//! polars and R). Column names are snake_case; units are in the column name or in a `unit`
//! column.

use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use super::ReportError;
use crate::metrics::PathOutcome;
use crate::metrics::stats::{METRICS, TimelineRow};

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
