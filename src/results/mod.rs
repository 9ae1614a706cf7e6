//! The result folder's format: what `arrears run` (and `compare`, `calibrate`) write, and how
//! every reader reads it back, through the same types.
//!
//! - [`manifest`]: `manifest.json`, the folder's index: format and version, and the SHA-256,
//!   size and rows of every file; [`manifest::verify`] compares a folder with it.
//! - [`summary`]: `summary.json` as serde types (the run's facts, every figure, tails,
//!   warnings, the outcome layout and the book's profile).
//! - [`table`] and [`rows`]: one row type per table, written to CSV and Parquet and read back
//!   from Parquet through one list of fields, with types and values checked.
//! - [`outcomes`]: `outcomes.parquet`, every path's outcome, from which every statistic of the
//!   folder can be recomputed to the bit.
//! - [`folder`]: [`ResultFolder`], a folder opened and verified.
//! - [`atomic`]: a folder written whole or not at all (temporary folder, no-replace rename,
//!   clean-up after interrupted runs), and the checks on a destination before a run.
//! - [`recompute`]: every `summary.json` of a folder recomputed from its outcomes, to the bit.
//! - [`part`]: a part of a sharded run (`part.json`), and how parts are checked and combined.
//! - [`sweep_rows`]: a sweep's `sweep.json` and tables (each point's results are a run's
//!   folder under `points/`).
//!
//! What it does not do: compute statistics (`metrics`) or lay out reports and charts
//! (`report`). docs/RESULTS.md documents the files for analysts.

pub mod atomic;
pub mod calibration_file;
pub mod calibration_rows;
pub mod compare_rows;
pub mod folder;
pub mod manifest;
pub mod optimise_rows;
pub mod outcomes;
pub mod part;
pub mod recompute;
pub mod rows;
pub mod summary;
pub mod sweep_rows;
pub mod table;

pub use folder::{FolderError, ResultFolder, Trust};
pub use manifest::{FORMAT_VERSION, FolderKind, is_result_folder};
