//! Statistics of a run: the engine's per-path outcomes ([`crate::engine::outcome`]) turned into
//! summaries with their Monte Carlo errors. No IO; reductions run in path order so results do
//! not depend on the thread count.
//!
//! Bottom up (`tests/layers.rs` checks the order):
//! - the toolbox: [`figures`] (the registry of per-path figures), [`estimate`] (estimates,
//!   quantiles, tail measures, effective sample size, bootstrap) and [`paired`] (differences of
//!   two runs that shared random numbers);
//! - the studies, which use the toolbox only: [`recovery`] (recoveries and write-offs),
//!   [`vintage`] (vintage curves), [`risk`] (convergence, stress comparison) and
//!   [`disposition`];
//! - [`summary`]: the run summary, which orchestrates them ([`summary::summarise`]);
//! - [`sweep`]: a sweep's points from their summaries, and paired differences between them;
//!   [`solve`]: the value of a key at which a figure reaches a target, with its error.

pub mod disposition;
pub mod estimate;
pub mod figures;
pub mod paired;
pub mod recovery;
pub mod risk;
pub mod solve;
pub mod summary;
pub mod sweep;
pub mod vintage;

pub use vintage::BookProfile;
