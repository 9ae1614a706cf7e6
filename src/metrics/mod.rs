//! Statistics of a run: per-path outcomes ([`outcome`]) turned into summaries with their Monte
//! Carlo errors ([`stats`]). No IO; reductions run in path order so results do not depend on
//! the thread count.

pub mod outcome;
pub mod stats;

pub use outcome::{Flow, PathOutcome, TimelineLayout, Total};
