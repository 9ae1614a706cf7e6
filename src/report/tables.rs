//! Tables that are not a run's own (the comparison's and the calibration's) as polars data
//! frames, written as CSV (for Excel) and Parquet (for pandas, polars and R). A run's tables
//! go through the typed rows of [`crate::results::rows`].

use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use super::ReportError;

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
