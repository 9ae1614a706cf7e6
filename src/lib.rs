//! arrears: a Monte Carlo simulator of loan books in collection.
//!
//! The pipeline, one module a step:
//! - [`scenario`]: reads and checks the scenario file (TOML) into a [`scenario::Scenario`];
//! - [`book`]: builds the loan book, synthetic or from a loan tape (CSV/Parquet via polars);
//! - [`model`]: the domain (states, stages, transition matrices, actions, policies); no IO;
//! - [`engine`]: RNG streams and the parallel loan-level simulation of every path; no IO;
//! - [`metrics`]: per-path outcomes into summary statistics and timelines; no IO;
//! - [`report`]: the only writer of files: tables (CSV, Parquet), charts (PNG, SVG), summary;
//! - [`calibrate`]: estimates a scenario from a performance history (`arrears calibrate`);
//! - [`input`]: checks every input path is a regular file before it is read;
//! - [`cli`]: the `arrears` command.
//!
//! See ARCHITECTURE.md for the code map and the invariants.

pub mod book;
pub mod calibrate;
pub mod cli;
pub mod engine;
pub mod input;
pub mod metrics;
pub mod model;
pub mod report;
pub mod scenario;
