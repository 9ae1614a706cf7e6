//! Vintage curves: cumulative write-offs by months on book, per vintage: the table
//! (`vintage_curves.{csv,parquet}`, every vintage and month with its Monte Carlo error) and the
//! chart (`vintage_curves.{png,svg}`, at most [`charts::vintage::MAX_LINES`] lines, adjacent
//! vintages pooled beyond that). The figures come from
//! [`crate::metrics::vintage::vintage_curves`]; this module only writes them.

use std::path::Path;

use super::charts::ChartMeta;
use super::charts::vintage::{VintageSeries, vintage_curves};
use super::{ReportError, table};
use crate::metrics::summary::RunSummary;

/// Writes `vintage_curves.{csv,parquet,png,svg}`.
pub(crate) fn write_vintage_outputs(
    dir: &Path,
    meta: &ChartMeta,
    summary: &RunSummary,
) -> Result<(), ReportError> {
    let rows = &summary.vintage_curves;
    table(dir, rows)?;
    // Rows come vintage by vintage (oldest first), months in order.
    let mut series: Vec<VintageSeries> = Vec::new();
    for row in rows {
        match series.last_mut() {
            Some(s) if row.month > 1 && s.label == row.label => {
                s.cumulative_gross
                    .push(row.cumulative_gross_write_offs.mean);
            }
            _ => series.push(VintageSeries {
                label: row.label.clone(),
                months_on_book_at_start: row.months_on_book_at_start,
                starting_balance: row.starting_balance,
                cumulative_gross: vec![row.cumulative_gross_write_offs.mean],
            }),
        }
    }
    vintage_curves(&dir.join("vintage_curves"), meta, &series)?;
    Ok(())
}
