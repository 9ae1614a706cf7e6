//! Calibration: from a lender's performance history (one row per loan per month) to a scenario
//! that `arrears run` accepts, with the uncertainty of every estimate.
//!
//! - [`mapping`]: the calibration file (panel location, column names, status codes, options);
//! - [`panel`]: reads and cleans the history (polars, columnar), counting the mess;
//! - [`estimate`]: transition matrices by the cohort or duration method, with Dirichlet
//!   intervals, sparse-row fallback, month-on-book bands and time-homogeneity tests; observed
//!   against fitted state shares; recovery curve and charge-off timing; the starting book;
//! - [`write`](mod@write): the scenario file, every number commented with where it came from.
//!
//! The report (Markdown, CSV, charts) is written by [`crate::report::calibration`]. The
//! reference for users is docs/CALIBRATION.md.

pub mod estimate;
pub mod mapping;
pub mod panel;
pub mod special;
pub mod write;

use std::path::PathBuf;

pub use estimate::Calibration;
pub use mapping::{Mapping, MappingError};
pub use panel::{Panel, PanelError, QualityItem};

/// Why calibration could not finish.
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    #[error(transparent)]
    Mapping(#[from] MappingError),
    #[error(transparent)]
    Panel(#[from] PanelError),
    /// The data and the calibration file disagree (a segment without an APR, bands without an
    /// origination column, ...).
    #[error("calibration `{}` cannot finish:\n{}", file.display(), problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Inconsistent {
        file: PathBuf,
        problems: Vec<String>,
    },
}

/// Reads the calibration file and its panel and estimates everything.
pub fn calibrate(mapping_file: &std::path::Path) -> Result<Calibration, CalibrateError> {
    let mapping = mapping::load(mapping_file)?;
    calibrate_with(mapping)
}

/// Calibrates with an already checked mapping (the CLI may have overridden its panel path).
pub fn calibrate_with(mapping: Mapping) -> Result<Calibration, CalibrateError> {
    let panel = panel::read(&mapping)?;
    estimate::estimate(mapping, panel)
}
