//! arrears: a Monte Carlo simulator of loan books in collection.
//!
//! The modules, bottom up; each uses only those listed before it (`tests/layers.rs` checks):
//! - [`serde_nan`]: undefined numbers (`null` in JSON) read back as NaN;
//! - [`rng`]: the only maker of random number generators, keyed by seed, stream, path and loan;
//! - [`model`]: the domain (states, stages, transition matrices, actions, policies, money
//!   formulas and limits); no IO;
//! - [`scenario`]: reads and checks the scenario file (TOML) into a [`scenario::Scenario`];
//! - [`book`]: builds the loan book, synthetic or from a loan tape (CSV/Parquet via polars);
//! - [`engine`]: the parallel loan-level simulation of every path into per-path outcomes; no IO;
//! - [`metrics`]: per-path outcomes into summary statistics and timelines; no IO;
//! - [`strategy`]: the best collection strategy: exact expected values of policies, the
//!   efficient frontier, the Monte Carlo confirmation (`arrears optimise`); no IO;
//! - [`calibrate`]: estimates a scenario from a performance history (`arrears calibrate`);
//! - [`results`]: the result folder's format: manifest, summary, tables and per-path outcomes,
//!   written and read through the same types, verified on reading;
//! - [`report`]: writes result folders (through [`results`]) with their charts (PNG, SVG) and
//!   reports, and builds reports and comparisons from verified folders;
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
pub mod results;
pub mod rng;
pub mod scenario;
pub mod serde_nan;
pub mod strategy;
