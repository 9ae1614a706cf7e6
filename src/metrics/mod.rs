//! Statistics of a run: per-path outcomes ([`outcome`]) turned into summaries with their Monte
//! Carlo errors ([`stats`]; recoveries and write-offs in [`recovery`], vintage curves in
//! [`vintage`]). No IO; reductions run in path order so results do not depend on the thread
//! count.

pub mod disposition;
pub mod outcome;
pub mod recovery;
pub mod risk;
pub mod stats;
pub mod vintage;

pub use outcome::{
    DispositionField, Flow, GroupField, OutcomeLayout, PathOutcome, RECOVERY_RATE_BINS,
    TimelineLayout, Total, WORKOUT_CAP_MONTHS,
};
