//! `summary.json`: the run's facts, its figures (one entry per figure of the registry
//! [`METRICS`](crate::metrics::figures::METRICS), with its label, unit and description), tail
//! measures, recovery and disposition highlights and warnings. Written from and read into the
//! types below, so a field the reader needs and the writer lacks is an error, never a NaN.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::book::LoanBook;
use crate::book::cells::Bucketing;
use crate::engine::OutcomeLayout;
use crate::metrics::BookProfile;
use crate::metrics::disposition::{BuyerRow, DecisionRow};
use crate::metrics::estimate::{Estimate, TailMeasure};
use crate::metrics::recovery::GroupRow;
use crate::metrics::risk::StressRow;
use crate::metrics::summary::RunSummary;
use crate::scenario::{DisplayNames, Scenario};

/// What produced a result: enough to reproduce it. The only place a timestamp appears.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunFacts {
    pub arrears_version: String,
    pub scenario_name: String,
    pub scenario_file: String,
    pub scenario_sha256: String,
    /// SHA-256 of the loan tape, when the book is one.
    pub loan_tape_sha256: Option<String>,
    /// The scenario file format's version (`version` in the scenario).
    pub scenario_version: i64,
    pub seed: u64,
    pub paths: u64,
    pub horizon_months: u32,
    pub loans: u64,
    /// `"loan"` or `"count"` (`[simulation] mode`).
    pub mode: String,
    /// Rows of the book as simulated: loans in loan mode (unless the tape gave cells), cells
    /// in count mode.
    pub cells: u64,
    pub threads: usize,
    /// Shards the paths were simulated in (`arrears run --shard`, then `arrears merge`); 1 for
    /// a run on one machine. Like `threads`, `run_seconds` and `created_utc`, it describes
    /// the run, not its results: every other byte is the same for any number of shards.
    pub shards: u64,
    pub rng: String,
    /// What the spread of results reflects: process noise only, or estimation uncertainty too.
    pub uncertainty: String,
    pub run_seconds: f64,
    pub created_utc: String,
}

/// The book as simulated, by segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookSummary {
    pub loans: u64,
    pub balance: f64,
    pub segments: Vec<SegmentSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentSummary {
    pub segment: String,
    pub loans: u64,
    pub balance: f64,
}

/// One figure of the registry, summarised across paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub name: String,
    /// The figure's display name ("Net credit loss").
    pub label: String,
    /// `currency`, `loans` or `fraction`.
    pub unit: String,
    pub description: String,
    #[serde(flatten)]
    pub estimate: Estimate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoverySection {
    /// Recovery rates for all defaults, by segment, stage at default and vintage.
    pub by_group: Vec<GroupRow>,
    pub share_of_defaults_recovering_nothing: Option<Estimate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispositionSection {
    /// Best disposition at each sale point for the whole book (segments in the tables).
    pub decisions: Vec<DecisionRow>,
    pub buyer: Vec<BuyerRow>,
}

/// What a run's summaries and reports say of the book as simulated: taken from the loaded
/// book once, and carried by each part of a sharded run, so a merge reads no loan tape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookFacts {
    /// The scenario in words.
    pub scenario_description: Vec<String>,
    pub book: BookSummary,
    /// Count mode: what bucketing the loans into cells changed; `null` otherwise.
    pub bucketing: Option<Bucketing>,
    pub book_profile: BookProfile,
}

/// `summary.json` of one run (or of one scenario of a stress set).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSummaryFile {
    pub run: RunFacts,
    /// The scenario in words.
    pub scenario_description: Vec<String>,
    /// What charts and reports call the run, its states and its money.
    pub display: DisplayNames,
    /// The stress scenario these results are for, inside a stress set's folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stress_scenario: Option<String>,
    pub book: BookSummary,
    /// Count mode: what bucketing the loans into cells changed; `null` otherwise.
    pub bucketing: Option<Bucketing>,
    pub default_definition: String,
    /// Every figure of the registry, in report order, keyed by name.
    pub figures: IndexMap<String, Figure>,
    pub net_credit_loss_tail: Vec<TailMeasure>,
    /// Effective sample size of the paths (the number of paths unless importance sampling).
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub effective_sample_size: f64,
    /// Rows clipped by conditioning on the factor, over all paths and months.
    pub clipped_rows: f64,
    /// VaR and expected shortfall of gross and net write-offs.
    pub write_off_tails: IndexMap<String, Vec<TailMeasure>>,
    pub recovery: RecoverySection,
    pub disposition: Option<DispositionSection>,
    #[serde(deserialize_with = "crate::serde_nan::nan_if_null")]
    pub conservation_max_residual: f64,
    pub warnings: Vec<String>,
    /// How `outcomes.parquet` is laid out, and what of the book its statistics need: with the
    /// folder's `scenario.toml`, enough to recompute every figure from the outcomes.
    pub outcome_layout: OutcomeLayout,
    pub book_profile: BookProfile,
}

impl RunSummaryFile {
    /// A figure by name; every figure of the registry is in every summary.
    pub fn figure(&self, name: &str) -> Option<&Figure> {
        self.figures.get(name)
    }
}

/// `summary.json` at the top of a stress set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StressSetSummaryFile {
    pub run: RunFacts,
    pub scenario_description: Vec<String>,
    pub display: DisplayNames,
    pub book: BookSummary,
    pub bucketing: Option<Bucketing>,
    pub default_definition: String,
    /// Folder of each scenario's full results, in the set's order.
    pub scenarios: Vec<String>,
    pub stress: Vec<StressRow>,
    pub warnings: Vec<String>,
}

/// The summary file's text: pretty JSON with a final newline.
pub fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("plain data serialises") + "\n"
}

/// The book as simulated, by segment.
pub fn book_summary(book: &LoanBook, scenario: &Scenario) -> BookSummary {
    let segments = scenario
        .model
        .segments
        .iter()
        .enumerate()
        .map(|(idx, seg)| {
            let (loans, balance) = book
                .segment
                .iter()
                .zip(&book.balance)
                .zip(&book.count)
                .filter(|((s, _), _)| **s as usize == idx)
                .fold((0, 0.0), |(n, b), ((_, x), &c)| (n + c, b + x * c as f64));
            SegmentSummary {
                segment: seg.name.clone(),
                loans,
                balance,
            }
        })
        .collect();
    BookSummary {
        loans: book.loans(),
        balance: book.total_balance(),
        segments,
    }
}

/// What a run's `summary.json` says of the run itself, beside its statistics.
pub struct About {
    pub run: RunFacts,
    pub scenario_description: Vec<String>,
    pub display: crate::scenario::DisplayNames,
    pub stress_scenario: Option<String>,
    pub book: BookSummary,
    pub bucketing: Option<Bucketing>,
    pub book_profile: BookProfile,
}

/// `summary.json` of one run: its facts, every figure, tails, highlights and warnings.
pub fn summary_file(summary: &RunSummary, about: About) -> RunSummaryFile {
    RunSummaryFile {
        run: about.run,
        scenario_description: about.scenario_description,
        display: about.display,
        stress_scenario: about.stress_scenario,
        book: about.book,
        bucketing: about.bucketing,
        default_definition: summary.default_definition.clone(),
        figures: summary
            .headlines
            .iter()
            .map(|h| {
                let figure = Figure {
                    name: h.name.into(),
                    label: h.label.into(),
                    unit: h.unit.into(),
                    description: h.description.into(),
                    estimate: h.estimate,
                };
                (h.name.to_string(), figure)
            })
            .collect(),
        net_credit_loss_tail: summary.net_credit_loss_tail.clone(),
        effective_sample_size: summary.effective_sample_size,
        clipped_rows: summary.clipped_rows,
        write_off_tails: summary
            .write_off_tails
            .iter()
            .map(|(name, tail)| (name.to_string(), tail.clone()))
            .collect(),
        recovery: RecoverySection {
            by_group: summary.recovery_groups.clone(),
            share_of_defaults_recovering_nothing: summary
                .recovery_distribution
                .first()
                .map(|r| r.share),
        },
        disposition: summary.disposition.as_ref().map(|d| DispositionSection {
            decisions: d
                .decisions
                .iter()
                .filter(|r| r.segment == "all")
                .cloned()
                .collect(),
            buyer: d.buyer.clone(),
        }),
        conservation_max_residual: summary.conservation_max_residual,
        warnings: summary.warnings.clone(),
        outcome_layout: summary.layout,
        book_profile: about.book_profile,
    }
}
