//! Vintage curves: cumulative write-offs by months on book, per vintage (table and chart).

use std::path::Path;

use super::ReportError;
use super::charts::ChartMeta;
use crate::book::LoanBook;
use crate::metrics::stats::RunSummary;

/// Writes `vintage_curves.{csv,parquet,png,svg}`.
pub(crate) fn write_vintage_outputs(
    _dir: &Path,
    _meta: &ChartMeta,
    _summary: &RunSummary,
    _book: &LoanBook,
) -> Result<(), ReportError> {
    Ok(())
}
