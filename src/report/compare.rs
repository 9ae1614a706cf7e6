//! `arrears compare`: the headline figures of two or more result folders side by side, each
//! later run's difference from the first (the reference) with its standard error, overlay
//! charts of loss distributions, cumulative net write-offs and recovery curves, and a report
//! (`report.html`, `report.md`) in a comparison folder written atomically.
//!
//! Everything is read back from the files `arrears run` wrote (`summary.json`, `paths.csv`,
//! `write_offs.csv`, `recovery_curve.csv`, and `factor.csv` for importance weights), so runs of
//! different scenario files, versions of one scenario, or runs from another machine compare
//! alike.
//!
//! ## The standard error of a difference
//!
//! arrears keys every draw by (seed, path, loan) (ARCHITECTURE.md, invariants), so two runs with
//! the same seed, the same number of paths and the same book share their random numbers path
//! by path: path `i` of both runs sees the same loans draw the same numbers, and only what the
//! scenarios change moves the outcome (common random numbers; Glasserman, *Monte Carlo
//! Methods in Financial Engineering*, 2004, section 4.2). The difference of the means is then
//! the mean of the per-path differences `d_i`, and its standard error is `sd(d) / sqrt(n)`,
//! usually far below the independent `sqrt(se_a² + se_b²)`, which ignores the correlation.
//! Runs that differ in seed, paths or book did not share random numbers: their differences
//! carry the independent standard error, and the report says why.
//!
//! - Importance sampling: a weighted run's means are self-normalised, `sum w x / sum w`. The
//!   paired standard error is then the delta method's, from each path's influence
//!   `w_b (x_b - mean_b) / sum w_b - w_a (x_a - mean_a) / sum w_a` (Owen, *Monte Carlo theory,
//!   methods and examples*, 2013, section 9.2, applied to the pair), which is what
//!   `Estimate::weighted` gives each run alone and what `sd(d) / sqrt(n)` is with unit weights.
//!   The weight of path `i` depends only on its factor draw, keyed by (seed, path), so runs
//!   with the same shift weight their paths alike. Figures undefined on a path (a recovery rate
//!   without defaults) enter the same way, with zero influence on the paths they lack.
//! - Parameter uncertainty (`run --posterior`): each path draws its transition matrices from a
//!   stream keyed by (seed, path), so two posterior runs of one calibration with the same seed
//!   draw the same matrices on each path, and the pairing holds. The standard error stays the
//!   Monte Carlo error of the mean difference; how uncertain the difference itself is, given the
//!   data, shows in the spread of the per-path differences, not in that error. A posterior run
//!   compared with a fixed-matrix run shares loan draws but not matrices: still paired (the
//!   formula holds whenever paths are independent and equally many), with a note that the
//!   difference mixes the change of scenario with the posterior draws.
//!
//! Not here: differences of VaR and expected shortfall with standard errors (the report shows
//! each run's value with its 95% interval), and stress-set top folders (give their scenario
//! subfolders, which are ordinary result folders and share random numbers).
//!
//! Main types: [`Comparison`] (what was found; its `Display` is the table on stdout),
//! [`RunFacts`], [`Sharing`], [`FigureComparison`], [`Difference`]; [`paired_se`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::ReportError;
use super::charts::overlay::{self, Banded, Losses, Overlaid, RunsMeta};
use super::document::{Block, Document, Table};
use super::format::{Unit, relative_change, signed, z_text};
use crate::metrics::estimate::TailMeasure;
use crate::metrics::paired::{TailKind, paired_se, paired_tail_interval};
use crate::metrics::recovery::{CurveRow, WriteOffRow};
use crate::model::group_thousands;
use crate::results::atomic::{check_destination, write_atomically};
use crate::results::compare_rows::{
    BandRow, ComparisonRow, LossRow, RecoveryBandRow, TailComparisonRow, WriteOffBandRow,
};
use crate::results::folder::Contents;
use crate::results::rows::{FactorRow, PathRow};
use crate::results::table::Table as _;
use crate::results::{FolderError, ResultFolder, Trust};

/// Tables a run's folder must hold to be compared.
const REQUIRED_TABLES: [&str; 3] = ["paths", "write_offs", "recovery_curve"];

/// Figures shown first (on stdout and in the report's first table), in this order.
const HEADLINE: [&str; 10] = [
    "net_credit_loss",
    "net_credit_loss_rate",
    "gross_write_offs",
    "net_write_offs",
    "recoveries",
    "sale_proceeds",
    "collection_costs",
    "defaults",
    "recovery_rate",
    "loss_given_default",
];

/// A difference is called significant beyond this many standard errors: about 95% two-sided
/// under the normal approximation the standard errors already rest on.
const SIGNIFICANT_Z: f64 = 2.0;

/// Chart and table stems of the comparison folder.
const LOSS_STEM: &str = "loss_distributions";
const WRITE_OFF_STEM: &str = WriteOffBandRow::STEM;
const RECOVERY_STEM: &str = RecoveryBandRow::STEM;
const LOSS_TABLE: &str = LossRow::STEM;
const TAIL_TABLE: &str = TailComparisonRow::STEM;

/// `output/compare-<first>-vs-<second>...`.
pub fn default_folder(results: &[PathBuf]) -> PathBuf {
    let names: Vec<String> = results
        .iter()
        .map(|p| {
            p.file_name()
                .map_or("result".into(), |n| n.to_string_lossy().into_owned())
        })
        .collect();
    Path::new("output").join(format!("compare-{}", names.join("-vs-")))
}

/// What a run's manifest says about how it was made: enough to tell whether two runs shared
/// random numbers, and to list in the report.
#[derive(Debug, Clone, PartialEq)]
pub struct RunFacts {
    pub scenario_name: String,
    pub scenario_file: String,
    pub scenario_sha256: String,
    /// SHA-256 of the loan tape; `None` for a synthetic book.
    pub loan_tape_sha256: Option<String>,
    pub seed: u64,
    pub paths: u64,
    pub horizon_months: u64,
    pub loans: u64,
    /// Balance of the book at the start; `None` when the folder does not say.
    pub book_balance: Option<f64>,
    /// What the spread reflects (`manifest.uncertainty`); `None` in folders older than it.
    pub uncertainty: Option<String>,
    /// Kish's effective sample size; below `paths` when importance sampling weights the paths.
    pub effective_sample_size: f64,
    pub arrears_version: String,
    /// `"loan"` or `"count"` (`manifest.mode`; folders older than count mode ran loan mode).
    pub mode: String,
}

impl RunFacts {
    /// Whether importance sampling weighted the paths unequally.
    pub fn weighted(&self) -> bool {
        self.effective_sample_size < self.paths as f64 * (1.0 - 1e-9)
    }

    /// Whether each path drew its transition matrices from the calibration posterior.
    pub fn posterior(&self) -> bool {
        self.uncertainty
            .as_deref()
            .is_some_and(|u| u.contains("estimation uncertainty"))
    }
}

/// One run of the comparison: its name in tables and charts, its folder and its facts.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    pub name: String,
    pub dir: PathBuf,
    pub facts: RunFacts,
}

/// Whether a run shared random numbers with the reference, path by path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sharing {
    Shared,
    /// Why not, each reason a lowercase fragment: ``seeds differ (`7` and `8`)``.
    NotShared(Vec<String>),
}

impl Sharing {
    pub fn is_shared(&self) -> bool {
        matches!(self, Sharing::Shared)
    }
}

/// Whether `other` drew the same random numbers as `reference` on every path: same seed, same
/// number of paths, same book (loans, balance and loan tape), same mode.
pub fn sharing(reference: &RunFacts, other: &RunFacts) -> Sharing {
    let mut reasons = Vec::new();
    if reference.seed != other.seed {
        reasons.push(format!(
            "seeds differ (`{}` and `{}`)",
            reference.seed, other.seed
        ));
    }
    if reference.paths != other.paths {
        reasons.push(format!(
            "path counts differ ({} and {})",
            group_thousands(reference.paths as f64, 0),
            group_thousands(other.paths as f64, 0)
        ));
    }
    let balances_differ = match (reference.book_balance, other.book_balance) {
        (Some(a), Some(b)) => (a - b).abs() > 1e-9 * a.abs().max(b.abs()).max(1.0),
        _ => false,
    };
    if reference.loans != other.loans {
        reasons.push(format!(
            "books differ ({} and {} loans)",
            group_thousands(reference.loans as f64, 0),
            group_thousands(other.loans as f64, 0)
        ));
    } else if reference.loan_tape_sha256 != other.loan_tape_sha256 {
        reasons.push(
            match (&reference.loan_tape_sha256, &other.loan_tape_sha256) {
                (Some(_), Some(_)) => {
                    "books differ (loan tapes with different SHA-256)".to_string()
                }
                _ => "books differ (a loan tape and a synthetic book)".to_string(),
            },
        );
    } else if balances_differ {
        reasons.push(format!(
            "books differ (balances {} and {})",
            group_thousands(reference.book_balance.unwrap_or(f64::NAN), 0),
            group_thousands(other.book_balance.unwrap_or(f64::NAN), 0)
        ));
    }
    if reference.mode != other.mode {
        // Count mode draws per cell, loan mode per loan: no random number is shared.
        reasons.push(format!(
            "modes differ (`{}` and `{}`)",
            reference.mode, other.mode
        ));
    }
    if reasons.is_empty() {
        Sharing::Shared
    } else {
        Sharing::NotShared(reasons)
    }
}

/// A later run's difference from the reference (later minus reference).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    pub value: f64,
    pub se: f64,
    /// The standard error is the paired one (the runs shared random numbers).
    pub paired: bool,
}

impl Difference {
    /// |difference| in standard errors; `None` when either is not finite or the error is 0.
    pub fn z(&self) -> Option<f64> {
        (self.value.is_finite() && self.se.is_finite() && self.se > 0.0)
            .then(|| self.value.abs() / self.se)
    }

    /// Beyond two standard errors (and an exact nonzero difference).
    pub fn significant(&self) -> bool {
        match self.z() {
            Some(z) => z > SIGNIFICANT_Z,
            None => self.value.is_finite() && self.value != 0.0 && self.se == 0.0,
        }
    }

    /// In words: `significant (41.3 se)`, `within noise (0.8 se)`, `exact (no Monte Carlo
    /// noise)`, `none`, `n/a`.
    pub fn words(&self) -> String {
        if !self.value.is_finite() {
            return "n/a".into();
        }
        match self.z() {
            Some(z) if z > SIGNIFICANT_Z => format!("significant ({} se)", z_text(z)),
            Some(z) => format!("within noise ({} se)", z_text(z)),
            None if self.se == 0.0 && self.value == 0.0 => "none".into(),
            None if self.se == 0.0 => "exact (no Monte Carlo noise)".into(),
            None => "n/a".into(),
        }
    }
}

/// One figure across the runs.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureComparison {
    /// Key in `summary.json` and column of `paths.csv` (`net_credit_loss`).
    pub key: String,
    pub unit: Unit,
    pub description: String,
    /// Mean and standard error of each run, in the order given.
    pub estimates: Vec<(f64, f64)>,
    /// Each later run's difference from the reference: `differences[k - 1]` is run `k`'s.
    pub differences: Vec<Difference>,
}

impl FigureComparison {
    /// What the analyst calls it: `Net credit loss`.
    pub fn label(&self) -> String {
        super::run_report::figure_label(&self.key)
    }
}

/// What the comparison found. `Display` gives the short table printed on stdout.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The comparison folder.
    pub out: PathBuf,
    /// The runs in the order given; the first is the reference.
    pub runs: Vec<RunInfo>,
    /// Whether each later run shared random numbers with the reference: `sharing[k - 1]`.
    pub sharing: Vec<Sharing>,
    /// Every figure all runs have, in the reference's order.
    pub figures: Vec<FigureComparison>,
    /// VaR and expected shortfall of net credit loss at each level both runs report, VaR
    /// first; empty when a run lacks them.
    pub tails: Vec<TailComparison>,
    /// Figures some run lacks, each a sentence naming them.
    pub left_out: Vec<String>,
    /// What the reader should know about the random numbers and the runs, as sentences.
    pub notes: Vec<String>,
}

impl Comparison {
    pub fn figure(&self, key: &str) -> Option<&FigureComparison> {
        self.figures.iter().find(|f| f.key == key)
    }

    /// The headline figures all runs have, in [`HEADLINE`] order.
    fn headline(&self) -> Vec<&FigureComparison> {
        HEADLINE.iter().filter_map(|k| self.figure(k)).collect()
    }

    /// The rest, in the reference's order.
    fn others(&self) -> Vec<&FigureComparison> {
        self.figures
            .iter()
            .filter(|f| !HEADLINE.contains(&f.key.as_str()))
            .collect()
    }
}

impl std::fmt::Display for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let reference = &self.runs[0].name;
        writeln!(
            f,
            "{} runs compared; differences are each run minus the reference `{reference}`",
            self.runs.len()
        )?;
        let rows = self.headline();
        let name_width = self.runs.iter().map(|r| r.name.chars().count()).max();
        let name_width = name_width.unwrap_or(0).max(3);
        let label_width = rows.iter().map(|r| r.label().chars().count()).max();
        let label_width = label_width.unwrap_or(0).max(6);
        let cells: Vec<Vec<(String, String, String)>> = rows
            .iter()
            .map(|r| {
                (0..self.runs.len())
                    .map(|k| {
                        let (mean, se) = r.estimates[k];
                        let est = r.unit.estimate(mean, se);
                        let (diff, words) = if k == 0 {
                            (String::new(), String::new())
                        } else {
                            let d = r.differences[k - 1];
                            let kind = if d.paired { "paired" } else { "independent" };
                            (
                                r.unit.difference_with_se(d.value, d.se),
                                format!("{kind}, {}", d.words()),
                            )
                        };
                        (est, diff, words)
                    })
                    .collect()
            })
            .collect();
        let est_width = cells.iter().flatten().map(|c| c.0.chars().count()).max();
        let est_width = est_width.unwrap_or(0).max(15);
        let diff_width = cells.iter().flatten().map(|c| c.1.chars().count()).max();
        let diff_width = diff_width.unwrap_or(0).max(15);
        writeln!(
            f,
            "{:label_width$}  {:name_width$}  {:>est_width$}  {:>diff_width$}",
            "figure", "run", "mean ± se", "difference ± se"
        )?;
        for (row, cells) in rows.iter().zip(&cells) {
            for (k, (est, diff, words)) in cells.iter().enumerate() {
                let label = if k == 0 { row.label() } else { String::new() };
                let line = format!(
                    "{label:label_width$}  {:name_width$}  {est:>est_width$}  {diff:>diff_width$}  {words}",
                    self.runs[k].name
                );
                writeln!(f, "{}", line.trim_end())?;
            }
        }
        for note in self.notes.iter().chain(&self.left_out) {
            writeln!(f, "note: {note}")?;
        }
        writeln!(
            f,
            "every figure: {}; report: {}",
            self.out.join("comparison.csv").display(),
            self.out.join("report.html").display()
        )
    }
}

/// Reads the result folders and writes the comparison folder `out` atomically: tables,
/// overlay charts, `report.html` and `report.md`.
pub fn write_comparison(
    results: &[PathBuf],
    trust: Trust,
    out: &Path,
    force: bool,
) -> Result<Comparison, ReportError> {
    check_destination(out, force)?;
    refuse_overwriting_inputs(results, out)?;
    let runs = load_runs(results, trust)?;
    let comparison = compare(&runs, out)?;
    let command = format!(
        "arrears compare {}",
        results
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    );
    write_atomically(out, force, |tmp| {
        write_files(tmp, &runs, &comparison, &command)?;
        crate::results::manifest::write(tmp, crate::results::FolderKind::Comparison)
            .map_err(|e| ReportError::io(tmp, e))
    })?;
    Ok(comparison)
}

/// A run as read from its folder.
struct LoadedRun {
    info: RunInfo,
    folder: ResultFolder,
    /// Per-path weights (all 1 without importance sampling).
    weights: Vec<f64>,
}

/// `--force` must not replace a folder being compared (or one holding it).
fn refuse_overwriting_inputs(results: &[PathBuf], out: &Path) -> Result<(), ReportError> {
    let Ok(out_abs) = std::fs::canonicalize(out) else {
        return Ok(()); // does not exist yet: nothing to overwrite
    };
    for dir in results {
        if let Ok(dir_abs) = std::fs::canonicalize(dir)
            && dir_abs.starts_with(&out_abs)
        {
            return Err(ReportError::Input {
                message: format!(
                    "the comparison folder `{}` holds `{}`, one of the runs compared; `--force` would delete it",
                    out.display(),
                    dir.display()
                ),
                hint: "give another folder with `--out`, e.g. `--out output/comparison`".into(),
            });
        }
    }
    Ok(())
}

fn load_runs(results: &[PathBuf], trust: Trust) -> Result<Vec<LoadedRun>, ReportError> {
    let mut loaded = Vec::new();
    for dir in results {
        let folder = ResultFolder::open(dir, trust)?;
        if let Contents::StressSet(set) = &folder.contents {
            let scenarios = &set.scenarios;
            let example = match scenarios.as_slice() {
                [first, second, ..] => format!(
                    "`{}` and `{}`",
                    dir.join(first).display(),
                    dir.join(second).display()
                ),
                [only] => format!("`{}`", dir.join(only).display()),
                [] => format!("`{}`", dir.join("<scenario>").display()),
            };
            return Err(ReportError::Input {
                message: format!(
                    "`{}` is the top folder of a stress set; its scenarios ({}) each have a result folder of their own",
                    dir.display(),
                    if scenarios.is_empty() {
                        "none listed".to_string()
                    } else {
                        scenarios
                            .iter()
                            .map(|s| format!("`{s}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
                hint: format!(
                    "compare its scenario folders, e.g. {example}; the set's own comparison is `{}`",
                    dir.join("stress_comparison.csv").display()
                ),
            });
        }
        for stem in REQUIRED_TABLES {
            if !folder.has(&format!("{stem}.parquet")) {
                return Err(ReportError::Input {
                    message: format!(
                        "result folder `{}` lacks `{stem}.parquet`, which the comparison needs",
                        dir.display()
                    ),
                    hint: "run its scenario again (`arrears run SCENARIO --out DIR --force`) to write every table".into(),
                });
            }
        }
        let facts = read_facts(&folder)?;
        let weights = read_weights(&folder, &facts)?;
        loaded.push(LoadedRun {
            info: RunInfo {
                name: String::new(),
                dir: dir.clone(),
                facts,
            },
            folder,
            weights,
        });
    }
    let names = run_names(
        &loaded
            .iter()
            .map(|r| (r.info.dir.clone(), r.info.facts.scenario_name.clone()))
            .collect::<Vec<_>>(),
    );
    for (run, name) in loaded.iter_mut().zip(names) {
        run.info.name = name;
    }
    Ok(loaded)
}

fn read_facts(folder: &ResultFolder) -> Result<RunFacts, FolderError> {
    let summary = folder.run()?;
    let m = &summary.run;
    Ok(RunFacts {
        scenario_name: m.scenario_name.clone(),
        scenario_file: m.scenario_file.clone(),
        scenario_sha256: m.scenario_sha256.clone(),
        loan_tape_sha256: m.loan_tape_sha256.clone(),
        seed: m.seed,
        paths: m.paths,
        horizon_months: u64::from(m.horizon_months),
        loans: m.loans,
        book_balance: Some(summary.book.balance),
        uncertainty: Some(m.uncertainty.clone()),
        effective_sample_size: summary.effective_sample_size,
        arrears_version: m.arrears_version.clone(),
        mode: m.mode.clone(),
    })
}

/// The weight of every path: from `factor` under importance sampling, else all 1.
fn read_weights(folder: &ResultFolder, facts: &RunFacts) -> Result<Vec<f64>, ReportError> {
    let n = facts.paths as usize;
    if !facts.weighted() {
        return Ok(vec![1.0; n]);
    }
    let rows = folder.optional_table::<FactorRow>()?.ok_or_else(|| ReportError::Input {
        message: format!(
            "result folder `{}` is importance-weighted but lacks `factor.parquet`, which holds the weights",
            folder.dir.display()
        ),
        hint: "run its scenario again to write every table".into(),
    })?;
    let mut weights = vec![f64::NAN; n];
    for r in &rows {
        if let Some(w) = weights.get_mut(r.path as usize) {
            *w = r.weight;
        }
    }
    if weights.iter().any(|w| !w.is_finite()) {
        return Err(ReportError::Folder(FolderError::Read {
            path: folder.dir.join("factor.parquet"),
            message: format!("it does not give a weight for each of the {n} paths"),
        }));
    }
    Ok(weights)
}

/// Names for the runs: the folder names if they differ, else the scenario names if those
/// differ, else the last two parts of each folder, else the folder names numbered.
fn run_names(runs: &[(PathBuf, String)]) -> Vec<String> {
    let distinct = |names: &[String]| {
        let mut sorted = names.to_vec();
        sorted.sort();
        sorted.dedup();
        sorted.len() == names.len() && names.iter().all(|n| !n.is_empty())
    };
    let folder_name = |p: &Path| {
        p.file_name().map_or_else(
            || p.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    };
    let folders: Vec<String> = runs.iter().map(|(p, _)| folder_name(p)).collect();
    if distinct(&folders) {
        return folders;
    }
    let scenarios: Vec<String> = runs.iter().map(|(_, s)| s.clone()).collect();
    if distinct(&scenarios) {
        return scenarios;
    }
    let two_parts: Vec<String> = runs
        .iter()
        .map(|(p, _)| match p.parent().map(folder_name) {
            Some(parent) if !parent.is_empty() => format!("{parent}/{}", folder_name(p)),
            _ => folder_name(p),
        })
        .collect();
    if distinct(&two_parts) {
        return two_parts;
    }
    folders
        .iter()
        .enumerate()
        .map(|(k, n)| format!("{n} ({})", k + 1))
        .collect()
}

/// A figure of `summary.json`.
struct SummaryFigure {
    key: String,
    unit: Unit,
    description: String,
    mean: f64,
    se: f64,
}

fn read_figures(folder: &ResultFolder) -> Result<Vec<SummaryFigure>, FolderError> {
    Ok(folder
        .run()?
        .figures
        .values()
        .map(|f| SummaryFigure {
            key: f.name.clone(),
            unit: Unit::from_summary(&f.unit),
            description: f.description.clone(),
            mean: f.estimate.mean,
            se: f.estimate.se,
        })
        .collect())
}

/// Reads every run's figures and computes the differences.
fn compare(runs: &[LoadedRun], out: &Path) -> Result<Comparison, ReportError> {
    let reference = &runs[0];
    let sharings: Vec<Sharing> = runs[1..]
        .iter()
        .map(|r| sharing(&reference.info.facts, &r.info.facts))
        .collect();
    let figures: Vec<Vec<SummaryFigure>> = runs
        .iter()
        .map(|r| read_figures(&r.folder))
        .collect::<Result<_, _>>()?;

    // Figures every run has, in the reference's order; the others are named and left out.
    let has = |k: usize, key: &str| figures[k].iter().any(|f| f.key == key);
    let mut left_out = Vec::new();
    let mut all_keys: Vec<&str> = Vec::new();
    for figs in &figures {
        for f in figs {
            if !all_keys.contains(&f.key.as_str()) {
                all_keys.push(&f.key);
            }
        }
    }
    for key in &all_keys {
        let lacking: Vec<String> = (0..runs.len())
            .filter(|&k| !has(k, key))
            .map(|k| format!("`{}`", runs[k].info.name))
            .collect();
        if !lacking.is_empty() {
            left_out.push(format!(
                "`{key}` is left out: {} {} not have it (written by another version of arrears?)",
                join_words(&lacking),
                if lacking.len() == 1 { "does" } else { "do" }
            ));
        }
    }
    let common: Vec<&SummaryFigure> = figures[0]
        .iter()
        .filter(|f| (1..runs.len()).all(|k| has(k, &f.key)))
        .collect();

    // Per-path values only where a paired error needs them.
    let path_tables = runs
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let needed = k == 0 || sharings[k - 1].is_shared();
            if needed {
                r.folder.table::<PathRow>().map(Some)
            } else {
                Ok(None)
            }
        })
        .collect::<Result<Vec<_>, FolderError>>()?;
    for (run, table) in runs.iter().zip(&path_tables) {
        if let Some(t) = table
            && t.len() != run.weights.len()
        {
            return Err(ReportError::Folder(FolderError::Read {
                path: run.folder.dir.join("paths.parquet"),
                message: format!(
                    "it has {} rows but the manifest says {} paths",
                    t.len(),
                    run.weights.len()
                ),
            }));
        }
    }

    let mut unpaired_columns = Vec::new();
    let mut rows = Vec::new();
    for f in common {
        let estimates: Vec<(f64, f64)> = figures
            .iter()
            .map(|figs| {
                let g = figs.iter().find(|g| g.key == f.key).expect("common figure");
                (g.mean, g.se)
            })
            .collect();
        let mut differences = Vec::new();
        for k in 1..runs.len() {
            let value = estimates[k].0 - estimates[0].0;
            let independent = estimates[0].1.hypot(estimates[k].1);
            let column = |t: &[PathRow]| t.iter().map(|r| r.get(&f.key)).collect::<Vec<f64>>();
            let per_path = crate::metrics::figures::METRICS
                .iter()
                .any(|m| m.name == f.key);
            let paired = match (&path_tables[0], &path_tables[k]) {
                (Some(a), Some(b)) if per_path => Some(paired_se(
                    &column(a),
                    &runs[0].weights,
                    &column(b),
                    &runs[k].weights,
                )),
                (Some(_), Some(_)) => {
                    if !unpaired_columns.contains(&f.key) {
                        unpaired_columns.push(f.key.clone());
                    }
                    None
                }
                _ => None,
            };
            differences.push(match paired {
                Some(se) => Difference {
                    value,
                    se,
                    paired: true,
                },
                None => Difference {
                    value,
                    se: independent,
                    paired: false,
                },
            });
        }
        rows.push(FigureComparison {
            key: f.key.clone(),
            unit: f.unit,
            description: f.description.clone(),
            estimates,
            differences,
        });
    }

    let tails = compare_tails(runs, &sharings, &path_tables)?;
    let infos: Vec<RunInfo> = runs.iter().map(|r| r.info.clone()).collect();
    let mut notes = random_number_notes(&infos, &sharings);
    // What pairing bought, on the figure analysts look at first.
    if let Some(f) = rows.iter().find(|f| f.key == "net_credit_loss") {
        for (k, d) in f.differences.iter().enumerate() {
            let independent = f.estimates[0].1.hypot(f.estimates[k + 1].1);
            if d.paired && d.se.is_finite() && independent.is_finite() {
                notes.push(format!(
                    "for `{}`, the paired standard error of the net credit loss difference is {}; had the runs been independent it would be about {}",
                    infos[k + 1].name,
                    group_thousands(d.se, 0),
                    group_thousands(independent, 0)
                ));
            }
        }
    }
    if !unpaired_columns.is_empty() {
        notes.push(format!(
            "{} {} no per-path column in `paths.csv`; {} difference carries the independent standard error",
            join_words(
                &unpaired_columns
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
            ),
            if unpaired_columns.len() == 1 { "has" } else { "have" },
            if unpaired_columns.len() == 1 { "its" } else { "their" },
        ));
    }
    Ok(Comparison {
        out: out.to_path_buf(),
        runs: infos,
        sharing: sharings,
        figures: rows,
        tails,
        left_out,
        notes,
    })
}

/// Sentences on whether the runs shared random numbers, and on weighted and posterior runs.
fn random_number_notes(runs: &[RunInfo], sharings: &[Sharing]) -> Vec<String> {
    let reference = &runs[0];
    let rf = &reference.facts;
    let mut notes = Vec::new();
    for (run, sharing) in runs[1..].iter().zip(sharings) {
        match sharing {
            Sharing::Shared => notes.push(format!(
                "`{}` shares random numbers with `{}` path by path (seed `{}`, {} paths, the same book of {} loans): its differences carry the paired standard error, from the per-path differences in `paths.csv`",
                run.name,
                reference.name,
                rf.seed,
                group_thousands(rf.paths as f64, 0),
                group_thousands(rf.loans as f64, 0),
            )),
            Sharing::NotShared(reasons) => notes.push(format!(
                "`{}` did not share random numbers with `{}`: {}; its differences carry the independent standard error sqrt(se_a² + se_b²), larger than a paired one. To pair them, run both scenarios on the same book with the same seed and paths (`--seed {} --paths {}`)",
                run.name,
                reference.name,
                reasons.join(", "),
                rf.seed,
                rf.paths,
            )),
        }
    }
    for run in runs {
        if run.facts.weighted() {
            notes.push(format!(
                "`{}` is importance-weighted (effective sample size {} of {} paths): its means are self-normalised and paired standard errors come from the delta method with each run's weights",
                run.name,
                group_thousands(run.facts.effective_sample_size, 0),
                group_thousands(run.facts.paths as f64, 0),
            ));
        }
    }
    let posterior: Vec<&RunInfo> = runs.iter().filter(|r| r.facts.posterior()).collect();
    if !posterior.is_empty() {
        let names: Vec<String> = posterior.iter().map(|r| format!("`{}`", r.name)).collect();
        notes.push(format!(
            "{} {} each path's transition matrices from the calibration posterior: standard errors are Monte Carlo errors of the means, and the spread of per-path outcomes (not the standard error) shows the estimation uncertainty",
            join_words(&names),
            if names.len() == 1 { "draws" } else { "draw" },
        ));
        if posterior.len() < runs.len() {
            notes.push(
                "some runs draw their matrices from the posterior and some do not: their differences mix the change of scenario with the posterior draws".into(),
            );
        }
    }
    let horizons: Vec<u64> = runs.iter().map(|r| r.facts.horizon_months).collect();
    if horizons.iter().any(|&h| h != horizons[0]) {
        notes.push(format!(
            "horizons differ ({} months): figures over the horizon cover different periods",
            join_words(&horizons.iter().map(u64::to_string).collect::<Vec<_>>())
        ));
    }
    notes
}

/// `a`, `a and b`, `a, b and c`.
fn join_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A tail measure of net credit loss at one level across the runs.
#[derive(Debug, Clone, PartialEq)]
pub struct TailComparison {
    pub level: f64,
    pub kind: TailKind,
    /// Each run's value with its 95% confidence interval, from `summary.json`.
    pub values: Vec<(f64, f64, f64)>,
    /// Each later run's difference from the reference with a 95% interval: the percentile
    /// bootstrap of the paths resampled in pairs when the runs shared random numbers, NaN
    /// otherwise (compare the runs' own intervals then).
    pub differences: Vec<(f64, f64, f64)>,
}

impl TailComparison {
    /// `99% VaR`, `99.9% ES`.
    pub fn label(&self) -> String {
        let level = super::format::percent_level(self.level);
        match self.kind {
            TailKind::Var => format!("{level} VaR"),
            TailKind::ExpectedShortfall => format!("{level} ES"),
        }
    }
}

/// The tail measures of net credit loss, and for runs that shared random numbers the paired
/// bootstrap interval of each difference.
fn compare_tails(
    runs: &[LoadedRun],
    sharings: &[Sharing],
    path_tables: &[Option<Vec<PathRow>>],
) -> Result<Vec<TailComparison>, ReportError> {
    let tails: Vec<&[TailMeasure]> = runs
        .iter()
        .map(|r| r.folder.run().map(|s| s.net_credit_loss_tail.as_slice()))
        .collect::<Result<_, _>>()?;
    let losses: Vec<Option<Vec<f64>>> = path_tables
        .iter()
        .map(|t| {
            t.as_ref()
                .map(|t| t.iter().map(|r| r.get("net_credit_loss")).collect())
        })
        .collect();
    let mut out = Vec::new();
    for entry in tails[0] {
        let level = entry.level;
        let at_level: Option<Vec<&TailMeasure>> = tails
            .iter()
            .map(|t| t.iter().find(|e| e.level == level))
            .collect();
        let Some(at_level) = at_level else { continue };
        for kind in [TailKind::Var, TailKind::ExpectedShortfall] {
            let values: Vec<(f64, f64, f64)> = at_level
                .iter()
                .map(|e| match kind {
                    TailKind::Var => (e.var, e.var_ci_low, e.var_ci_high),
                    TailKind::ExpectedShortfall => (
                        e.expected_shortfall,
                        e.expected_shortfall_ci_low,
                        e.expected_shortfall_ci_high,
                    ),
                })
                .collect();
            let differences = (1..runs.len())
                .map(|k| {
                    let value = values[k].0 - values[0].0;
                    let interval = match (&losses[0], &losses[k]) {
                        (Some(a), Some(b)) if sharings[k - 1].is_shared() => paired_tail_interval(
                            a,
                            &runs[0].weights,
                            b,
                            &runs[k].weights,
                            level,
                            kind,
                        ),
                        _ => (f64::NAN, f64::NAN),
                    };
                    (value, interval.0, interval.1)
                })
                .collect();
            out.push(TailComparison {
                level,
                kind,
                values,
                differences,
            });
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Writing

fn write_files(
    dir: &Path,
    runs: &[LoadedRun],
    comparison: &Comparison,
    command: &str,
) -> Result<(), ReportError> {
    super::table(dir, &comparison_rows(comparison))?;
    super::table(dir, &tail_rows(comparison))?;

    let meta = runs_meta(&comparison.runs);
    let charts = ChartData::read(runs)?;
    charts.write_tables(dir, &comparison.runs)?;
    let runs = Overlaid::runs(&meta);
    overlay::losses(&runs, charts.losses.clone()).write(&dir.join(LOSS_STEM))?;
    overlay::write_offs(&runs, &charts.write_off_months, &charts.write_offs)
        .write(&dir.join(WRITE_OFF_STEM))?;
    overlay::recoveries(&runs, &charts.recovery_months, &charts.recovery)
        .write(&dir.join(RECOVERY_STEM))?;

    super::run_report::write_document(dir, &report(comparison, &charts, command))?;
    Ok(())
}

/// `comparison.csv`: one row per figure and run.
fn comparison_rows(c: &Comparison) -> Vec<ComparisonRow> {
    let mut rows = Vec::new();
    for f in &c.figures {
        let base = f.estimates[0].0;
        for (k, &(mean, se)) in f.estimates.iter().enumerate() {
            let d = (k > 0).then(|| f.differences[k - 1]);
            let or_nan = |v: Option<f64>| v.unwrap_or(f64::NAN);
            rows.push(ComparisonRow {
                figure: f.key.clone(),
                unit: f.unit.name().to_string(),
                run: c.runs[k].name.clone(),
                reference: c.runs[0].name.clone(),
                mean,
                se,
                difference: or_nan(d.map(|d| d.value)),
                difference_se: or_nan(d.map(|d| d.se)),
                relative_difference: or_nan(
                    d.and_then(|d| (base != 0.0).then(|| d.value / base.abs())),
                ),
                paired: d.map(|d| d.paired),
                significant: d.map(|d| d.significant()),
            });
        }
    }
    rows
}

/// `tail_comparison.csv`: one row per measure, level and run; an interval end that is not
/// finite is left empty.
fn tail_rows(c: &Comparison) -> Vec<TailComparisonRow> {
    let mut rows = Vec::new();
    for t in &c.tails {
        for (k, &(value, ci_low, ci_high)) in t.values.iter().enumerate() {
            let (difference, low, high) = if k > 0 {
                t.differences[k - 1]
            } else {
                (f64::NAN, f64::NAN, f64::NAN)
            };
            let finite = |v: f64| if v.is_finite() { v } else { f64::NAN };
            rows.push(TailComparisonRow {
                measure: match t.kind {
                    TailKind::Var => "var",
                    TailKind::ExpectedShortfall => "expected_shortfall",
                }
                .to_string(),
                level: t.level,
                run: c.runs[k].name.clone(),
                reference: c.runs[0].name.clone(),
                value,
                ci_low,
                ci_high,
                difference,
                difference_ci_low: finite(low),
                difference_ci_high: finite(high),
                paired: (k > 0).then(|| c.sharing[k - 1].is_shared()),
            });
        }
    }
    rows
}

/// Title, paths and footnote of the charts.
fn runs_meta(runs: &[RunInfo]) -> RunsMeta {
    let names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
    let joined = names.join(" vs ");
    let name = if joined.chars().count() <= 48 {
        joined
    } else {
        format!("{} runs", runs.len())
    };
    let mut paths: Vec<u64> = runs.iter().map(|r| r.facts.paths).collect();
    let mut seeds: Vec<u64> = runs.iter().map(|r| r.facts.seed).collect();
    let same_paths = paths.iter().all(|&p| p == paths[0]);
    let same_seed = seeds.iter().all(|&s| s == seeds[0]);
    paths.dedup();
    seeds.dedup();
    let paths_text = join_words(
        &paths
            .iter()
            .map(|&p| group_thousands(p as f64, 0))
            .collect::<Vec<_>>(),
    );
    let seed_text = if same_seed {
        format!("seed {}", seeds[0])
    } else {
        format!(
            "seeds {}",
            seeds
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let plural = if paths == [1] { "path" } else { "paths" };
    let each = if same_paths && runs.len() > 1 {
        " each"
    } else {
        ""
    };
    RunsMeta {
        name,
        paths: format!("{paths_text} {plural}"),
        footnote: format!("{seed_text} · {paths_text} {plural}{each} · arrears compare"),
    }
}

/// The series behind the charts, read from each run's tables.
struct ChartData {
    /// Net credit loss per path of each run, with weights or none.
    losses: Vec<Losses>,
    write_off_months: Vec<u32>,
    /// Cumulative net write-offs of each run per month: mean, p5, p95.
    write_offs: Vec<Banded>,
    recovery_months: Vec<u32>,
    /// Cumulative recovery rate of each run per month since default: mean, p5, p95.
    recovery: Vec<Banded>,
}

impl ChartData {
    fn read(runs: &[LoadedRun]) -> Result<ChartData, ReportError> {
        let mut losses = Vec::new();
        let mut write_offs = Vec::new();
        let mut recovery = Vec::new();
        for run in runs {
            let name = run.info.name.clone();
            let values: Vec<f64> = run
                .folder
                .table::<PathRow>()?
                .iter()
                .map(|r| r.get("net_credit_loss"))
                .collect();
            let weights = if run.info.facts.weighted() {
                run.weights.clone()
            } else {
                Vec::new()
            };
            losses.push(Losses {
                name: name.clone(),
                values,
                weights,
            });

            let rows: Vec<WriteOffRow> = run
                .folder
                .table::<WriteOffRow>()?
                .into_iter()
                .filter(|r| r.segment == "all")
                .collect();
            let col = |f: fn(&WriteOffRow) -> f64| rows.iter().map(f).collect::<Vec<f64>>();
            write_offs.push((
                name.clone(),
                col(|r| f64::from(r.month)),
                col(|r| r.cumulative_net.mean),
                col(|r| r.cumulative_net.p5),
                col(|r| r.cumulative_net.p95),
            ));

            let rows = run.folder.table::<CurveRow>()?;
            let col = |f: fn(&CurveRow) -> f64| rows.iter().map(f).collect::<Vec<f64>>();
            recovery.push((
                name,
                col(|r| f64::from(r.months_since_default)),
                col(|r| r.cumulative_recovery_rate.mean),
                col(|r| r.cumulative_recovery_rate.p5),
                col(|r| r.cumulative_recovery_rate.p95),
            ));
        }
        let (write_off_months, write_offs) = on_common_months(write_offs);
        let (recovery_months, recovery) = on_common_months(recovery);
        Ok(ChartData {
            losses,
            write_off_months,
            write_offs,
            recovery_months,
            recovery,
        })
    }

    /// The tables behind the charts, long form: one row per run and month (or path).
    fn write_tables(&self, dir: &Path, runs: &[RunInfo]) -> Result<(), ReportError> {
        let bands = |months: &[u32], series: &[Banded]| {
            let mut rows = Vec::new();
            for line in series {
                for (i, &month) in months.iter().enumerate() {
                    if line.values[i].is_finite() {
                        rows.push(BandRow {
                            run: line.name.clone(),
                            month,
                            mean: line.values[i],
                            p5: line.low.get(i).copied().unwrap_or(f64::NAN),
                            p95: line.high.get(i).copied().unwrap_or(f64::NAN),
                        });
                    }
                }
            }
            rows
        };
        let rows = bands(&self.write_off_months, &self.write_offs);
        super::table(
            dir,
            &rows.into_iter().map(WriteOffBandRow).collect::<Vec<_>>(),
        )?;
        let rows = bands(&self.recovery_months, &self.recovery);
        super::table(
            dir,
            &rows.into_iter().map(RecoveryBandRow).collect::<Vec<_>>(),
        )?;

        let mut rows = Vec::new();
        for (losses, info) in self.losses.iter().zip(runs) {
            debug_assert_eq!(losses.name, info.name);
            for (i, &loss) in losses.values.iter().enumerate() {
                rows.push(LossRow {
                    run: losses.name.clone(),
                    path: i as u32,
                    net_credit_loss: loss,
                    weight: losses.weights.get(i).copied().unwrap_or(1.0),
                });
            }
        }
        super::table(dir, &rows)
    }
}

/// A run's line as its table gives it: (run, months, mean, p5, p95).
type RunLine = (String, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>);

/// Lines on the months `1..=max` of all runs, NaN where a run has no value: (months, lines).
fn on_common_months(series: Vec<RunLine>) -> (Vec<u32>, Vec<Banded>) {
    let last = series
        .iter()
        .flat_map(|(_, months, ..)| months.iter())
        .filter(|m| m.is_finite() && **m >= 1.0)
        .fold(0.0_f64, |a, &m| a.max(m));
    let months: Vec<u32> = (1..=last as u32).collect();
    let lines = series
        .into_iter()
        .map(|(name, at, mean, p5, p95)| {
            let place = |values: &[f64]| {
                let mut out = vec![f64::NAN; months.len()];
                for (m, v) in at.iter().zip(values) {
                    if m.is_finite() && *m >= 1.0 && (*m as usize) <= out.len() {
                        out[*m as usize - 1] = *v;
                    }
                }
                out
            };
            Banded {
                name,
                values: place(&mean),
                low: place(&p5),
                high: place(&p95),
            }
        })
        .collect();
    (months, lines)
}

// ---------------------------------------------------------------------------------------------
// The report

fn report(c: &Comparison, charts: &ChartData, command: &str) -> Document {
    let names: Vec<String> = c.runs.iter().map(|r| format!("`{}`", r.name)).collect();
    let mut blocks = Vec::new();

    blocks.push(Block::heading("runs", "Runs compared"));
    blocks.push(Block::Paragraph(format!(
        "The first run, `{}`, is the reference: every difference is a later run minus it. Each figure is the mean across paths ± its Monte Carlo standard error.",
        c.runs[0].name
    )));
    blocks.push(Block::Table(runs_table(&c.runs)));

    blocks.push(Block::heading("random-numbers", "Random numbers"));
    blocks.push(Block::Paragraph(
        "arrears draws every random number from a stream keyed by (seed, path, loan), so runs with the same seed, number of paths and book share their random numbers path by path, and a difference between them reflects only what the scenarios change. Its standard error then comes from the per-path differences (paired), usually far smaller than the independent sqrt(se_a² + se_b²).".into(),
    ));
    blocks.push(Block::Bullets(c.notes.clone()));
    let unshared: Vec<String> = c.runs[1..]
        .iter()
        .zip(&c.sharing)
        .filter_map(|(r, s)| match s {
            Sharing::NotShared(reasons) => Some(format!(
                "`{}` and `{}` did not share random numbers ({}): their differences are less precise than paired ones would be",
                c.runs[0].name,
                r.name,
                reasons.join(", ")
            )),
            Sharing::Shared => None,
        })
        .collect();
    let mut warnings = unshared;
    warnings.extend(c.left_out.iter().cloned());
    blocks.push(Block::Warnings(warnings));

    blocks.push(Block::heading("differences", "Headline differences"));
    for k in 1..c.runs.len() {
        blocks.push(Block::Table(differences_table(
            c,
            k,
            &c.headline(),
            "headline figures",
        )));
    }
    let others = c.others();
    if !others.is_empty() {
        blocks.push(Block::heading("every-figure", "Every other figure"));
        for k in 1..c.runs.len() {
            blocks.push(Block::Table(differences_table(
                c,
                k,
                &others,
                "other figures",
            )));
        }
    }

    if !c.tails.is_empty() {
        blocks.push(Block::heading("tail", "Tail of net credit loss"));
        blocks.push(Block::Paragraph(format!(
            "Value at risk (VaR) and expected shortfall (ES) of net credit loss, each with its 95% confidence interval. A difference from `{}` carries a 95% interval from the paths resampled in pairs (bootstrap) when the runs shared random numbers; otherwise compare the runs' own intervals.",
            c.runs[0].name
        )));
        blocks.push(Block::Table(tail_table(c)));
    }

    blocks.push(Block::heading("charts", "Charts"));
    blocks.push(Block::chart(
        LOSS_STEM,
        "Net credit loss across paths",
        loss_reading(c),
        &[&format!("{LOSS_TABLE}.csv")],
    ));
    blocks.push(Block::chart(
        WRITE_OFF_STEM,
        "Cumulative net write-offs",
        line_reading(
            &charts.write_off_months,
            &charts.write_offs,
            "cumulative net write-offs",
            "by month",
            Unit::Currency,
        ),
        &[&format!("{WRITE_OFF_STEM}.csv")],
    ));
    blocks.push(Block::chart(
        RECOVERY_STEM,
        "Cumulative recovery after default",
        line_reading(
            &charts.recovery_months,
            &charts.recovery,
            "the cumulative recovery rate",
            "months after default",
            Unit::Fraction,
        ),
        &[&format!("{RECOVERY_STEM}.csv")],
    ));

    blocks.push(Block::heading("tables", "Tables"));
    blocks.push(Block::Links(vec![
        (
            "`comparison.csv`: every figure of every run, with the difference from the reference and its standard error".into(),
            "comparison.csv".into(),
        ),
        ("`comparison.parquet`: the same for pandas, polars and R".into(), "comparison.parquet".into()),
        (
            format!("`{TAIL_TABLE}.csv`: VaR and expected shortfall of net credit loss of every run, with the difference from the reference and its 95% interval"),
            format!("{TAIL_TABLE}.csv"),
        ),
        (
            format!("`{LOSS_TABLE}.csv`: net credit loss of every path of every run, with its weight"),
            format!("{LOSS_TABLE}.csv"),
        ),
        (
            format!("`{WRITE_OFF_STEM}.csv`: cumulative net write-offs by month and run, mean and 5th-95th percentiles"),
            format!("{WRITE_OFF_STEM}.csv"),
        ),
        (
            format!("`{RECOVERY_STEM}.csv`: cumulative recovery rate by months since default and run"),
            format!("{RECOVERY_STEM}.csv"),
        ),
    ]));

    Document {
        title: format!(
            "Comparison: {}",
            c.runs
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(" vs ")
        ),
        subtitle: format!(
            "{} runs, {} the reference; differences with their standard errors",
            c.runs.len(),
            names[0]
        ),
        blocks,
        footer: format!("arrears {} · `{command}`", env!("CARGO_PKG_VERSION")),
    }
}

/// The manifest facts of each run, one column per run.
fn runs_table(runs: &[RunInfo]) -> Table {
    let mut header = vec![String::new()];
    header.extend(runs.iter().map(|r| r.name.clone()));
    let row = |label: &str, f: &dyn Fn(&RunInfo) -> String| {
        let mut cells = vec![label.to_string()];
        cells.extend(runs.iter().map(f));
        cells
    };
    let short = |hash: &str| {
        if hash.len() > 12 {
            format!("`{}…`", &hash[..12])
        } else if hash.is_empty() {
            "n/a".into()
        } else {
            format!("`{hash}`")
        }
    };
    let rows = vec![
        row("Folder", &|r| format!("`{}`", r.dir.display())),
        row("Scenario", &|r| r.facts.scenario_name.clone()),
        row("Scenario file", &|r| format!("`{}`", r.facts.scenario_file)),
        row("Scenario SHA-256", &|r| short(&r.facts.scenario_sha256)),
        row("Seed", &|r| format!("`{}`", r.facts.seed)),
        row("Paths", &|r| group_thousands(r.facts.paths as f64, 0)),
        row("Horizon", &|r| format!("{} months", r.facts.horizon_months)),
        row("Loans", &|r| group_thousands(r.facts.loans as f64, 0)),
        row("Book balance", &|r| {
            r.facts
                .book_balance
                .map_or("n/a".into(), |b| group_thousands(b, 0))
        }),
        row("Book", &|r| {
            r.facts
                .loan_tape_sha256
                .as_deref()
                .map_or("synthetic".into(), |h| format!("loan tape {}", short(h)))
        }),
        row("Importance sampling", &|r| {
            if r.facts.weighted() {
                format!(
                    "yes, effective sample size {}",
                    group_thousands(r.facts.effective_sample_size, 0)
                )
            } else {
                "no".into()
            }
        }),
        row("Uncertainty", &|r| {
            r.facts.uncertainty.clone().unwrap_or_else(|| "n/a".into())
        }),
        row("arrears version", &|r| r.facts.arrears_version.clone()),
    ];
    Table::new(header, rows)
}

/// VaR and ES of every run with their intervals, and each later run's difference.
fn tail_table(c: &Comparison) -> Table {
    let amount = |x: f64| Unit::Currency.format(x);
    let interval = |lo: f64, hi: f64| {
        if lo.is_finite() && hi.is_finite() {
            format!(" ({} to {})", amount(lo), amount(hi))
        } else {
            String::new()
        }
    };
    let mut header = vec!["Measure".to_string()];
    header.extend(c.runs.iter().enumerate().map(|(k, r)| {
        if k == 0 {
            format!("{} (reference)", r.name)
        } else {
            r.name.clone()
        }
    }));
    header.extend(
        c.runs[1..]
            .iter()
            .map(|r| format!("{} − {}", r.name, c.runs[0].name)),
    );
    let rows = c
        .tails
        .iter()
        .map(|t| {
            let mut row = vec![t.label()];
            row.extend(
                t.values
                    .iter()
                    .map(|&(v, lo, hi)| format!("{}{}", amount(v), interval(lo, hi))),
            );
            row.extend(t.differences.iter().map(|&(d, lo, hi)| {
                let paired = if lo.is_finite() { "" } else { " (not paired)" };
                format!("{}{}{paired}", signed(d, 0), interval(lo, hi))
            }));
            row
        })
        .collect();
    Table::new(header, rows)
        .numeric_from(1)
        .files([format!("{TAIL_TABLE}.csv"), format!("{TAIL_TABLE}.parquet")])
}

/// Run `k` against the reference, one row per figure.
fn differences_table(c: &Comparison, k: usize, figures: &[&FigureComparison], what: &str) -> Table {
    let reference = &c.runs[0].name;
    let run = &c.runs[k].name;
    let paired = match &c.sharing[k - 1] {
        Sharing::Shared => "paired standard errors",
        Sharing::NotShared(_) => "independent standard errors",
    };
    let rows = figures
        .iter()
        .map(|f| {
            let (m0, s0) = f.estimates[0];
            let (mk, sk) = f.estimates[k];
            let d = f.differences[k - 1];
            vec![
                f.label(),
                f.unit.estimate(m0, s0),
                f.unit.estimate(mk, sk),
                f.unit.difference_with_se(d.value, d.se),
                relative_change(d.value, m0),
                d.words(),
            ]
        })
        .collect();
    let header = [
        "Figure".into(),
        format!("{reference} (reference)"),
        run.clone(),
        "Difference ± se".into(),
        "Change".into(),
        "Significance".into(),
    ];
    Table::new(header, rows)
        .caption(format!("`{run}` against `{reference}`: {what}, {paired}"))
        .numeric(&[false, true, true, true, true, false])
        .files(["comparison.csv", "comparison.parquet"])
}

/// `` `b`'s expected net credit loss is 4.1% higher than `a`'s (+254,142 ± 312, paired), significant ``
fn loss_reading(c: &Comparison) -> String {
    let Some(f) = c.figure("net_credit_loss") else {
        return "Net credit loss is not a figure of every run.".into();
    };
    let reference = &c.runs[0].name;
    let (m0, _) = f.estimates[0];
    let clauses: Vec<String> = (1..c.runs.len())
        .map(|k| {
            let d = f.differences[k - 1];
            let direction = if d.value > 0.0 { "higher" } else { "lower" };
            let kind = if d.paired { "paired" } else { "independent" };
            let size = if m0 != 0.0 && m0.is_finite() {
                let r = 100.0 * (d.value / m0).abs();
                format!("{}% {direction}", group_thousands(r, if r < 0.1 { 3 } else { 1 }))
            } else {
                direction.to_string()
            };
            let verdict = if d.significant() {
                "significant".to_string()
            } else {
                d.words()
            };
            if d.value == 0.0 {
                format!("`{}`'s expected net credit loss equals `{reference}`'s", c.runs[k].name)
            } else {
                format!(
                    "`{}`'s expected net credit loss is {size} than `{reference}`'s ({}, {kind}; {verdict})",
                    c.runs[k].name,
                    f.unit.difference_with_se(d.value, d.se),
                )
            }
        })
        .collect();
    format!(
        "`{reference}` expects a net credit loss of {}; {}.",
        f.unit.format(m0),
        clauses.join("; ")
    )
}

/// The lines at the last month every run has: `by month 36, cumulative net write-offs are
/// 6,205,858 in `a` and 6,462,000 in `b` (+4.1%)`.
fn line_reading(months: &[u32], series: &[Banded], what: &str, when: &str, unit: Unit) -> String {
    let Some(i) = (0..months.len())
        .rev()
        .find(|&i| series.iter().all(|s| s.values[i].is_finite()))
    else {
        return format!("No month in which every run has {what}.");
    };
    let reference = series[0].values[i];
    let values: Vec<String> = series
        .iter()
        .enumerate()
        .map(|(k, Banded { name, values, .. })| {
            let v = values[i];
            if k == 0 {
                format!("{} in `{name}`", unit.format(v))
            } else {
                let change = match unit {
                    Unit::Fraction => unit.difference(v - reference),
                    _ => relative_change(v - reference, reference),
                };
                format!("{} in `{name}` ({change})", unit.format(v))
            }
        })
        .collect();
    let month = months[i];
    let when = if when == "by month" {
        format!("By month {month}")
    } else {
        format!("{month} {when}")
    };
    let mut reading = format!(
        "{when}, {what} {} {}",
        if unit == Unit::Fraction { "is" } else { "are" },
        join_words(&values)
    );
    // Where the reference and the second run part, when they do.
    if series.len() > 1 {
        let threshold = 0.005 * reference.abs().max(f64::MIN_POSITIVE);
        if let Some(j) = (0..=i).find(|&j| {
            let (a, b) = (series[0].values[j], series[1].values[j]);
            a.is_finite() && b.is_finite() && (b - a).abs() > threshold
        }) && j > 0
        {
            let from = if j == i {
                format!("only in month {}", months[j])
            } else {
                format!("from month {} on", months[j])
            };
            let _ = write!(
                reading,
                "; `{}` and `{}` differ by more than 0.5% of the final value {from}",
                series[0].name, series[1].name
            );
        }
    }
    reading.push('.');
    reading
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(seed: u64, paths: u64, loans: u64) -> RunFacts {
        RunFacts {
            scenario_name: "s".into(),
            scenario_file: "s.toml".into(),
            scenario_sha256: "ab".into(),
            loan_tape_sha256: None,
            seed,
            paths,
            horizon_months: 12,
            loans,
            book_balance: Some(1e6),
            uncertainty: None,
            effective_sample_size: paths as f64,
            arrears_version: "0".into(),
            mode: "loan".into(),
        }
    }

    #[test]
    fn runs_share_random_numbers_only_with_seed_paths_and_book_alike() {
        let a = facts(7, 100, 50);
        assert_eq!(sharing(&a, &a.clone()), Sharing::Shared);
        let Sharing::NotShared(why) = sharing(&a, &facts(8, 200, 50)) else {
            panic!("seeds and paths differ")
        };
        assert_eq!(
            why,
            [
                "seeds differ (`7` and `8`)",
                "path counts differ (100 and 200)"
            ]
        );
        let Sharing::NotShared(why) = sharing(&a, &facts(7, 100, 60)) else {
            panic!("books differ")
        };
        assert_eq!(why, ["books differ (50 and 60 loans)"]);
        let mut tape = a.clone();
        tape.loan_tape_sha256 = Some("ff".into());
        assert!(!sharing(&a, &tape).is_shared());
        let mut richer = a.clone();
        richer.book_balance = Some(2e6);
        assert!(!sharing(&a, &richer).is_shared());
        let mut counted = a.clone();
        counted.mode = "count".into();
        let Sharing::NotShared(why) = sharing(&a, &counted) else {
            panic!("modes differ")
        };
        assert_eq!(why, ["modes differ (`loan` and `count`)"]);
    }

    #[test]
    fn notes_name_weighted_posterior_and_unshared_runs() {
        let info = |name: &str, facts: RunFacts| RunInfo {
            name: name.into(),
            dir: PathBuf::from(name),
            facts,
        };
        let mut weighted = facts(7, 100, 50);
        weighted.effective_sample_size = 31.4;
        let mut posterior = facts(8, 100, 50);
        posterior.uncertainty = Some("process noise and estimation uncertainty (...)".into());
        posterior.horizon_months = 24;
        let runs = [info("a", weighted.clone()), info("b", posterior.clone())];
        let sharings = [sharing(&weighted, &posterior)];
        let notes = random_number_notes(&runs, &sharings).join("\n");
        assert!(
            notes.contains("`b` did not share random numbers with `a`: seeds differ"),
            "{notes}"
        );
        assert!(notes.contains("`--seed 7 --paths 100`"), "{notes}");
        assert!(
            notes.contains("`a` is importance-weighted (effective sample size 31 of 100"),
            "{notes}"
        );
        assert!(
            notes.contains("`b` draws each path's transition matrices"),
            "{notes}"
        );
        assert!(
            notes.contains("some runs draw their matrices from the posterior"),
            "{notes}"
        );
        assert!(
            notes.contains("horizons differ (12 and 24 months)"),
            "{notes}"
        );
    }

    #[test]
    fn differences_in_words() {
        let d = |value, se| Difference {
            value,
            se,
            paired: true,
        };
        assert_eq!(d(10.0, 1.0).words(), "significant (10.0 se)");
        assert_eq!(d(-1.0, 1.0).words(), "within noise (1.0 se)");
        assert_eq!(d(0.0, 0.0).words(), "none");
        assert_eq!(d(5.0, 0.0).words(), "exact (no Monte Carlo noise)");
        assert_eq!(d(f64::NAN, 1.0).words(), "n/a");
        assert!(d(2.5, 1.0).significant() && !d(1.5, 1.0).significant());
        assert_eq!(d(1234.0, 50.0).words(), "significant (24.7 se)");
        assert_eq!(d(1e4, 1.0).words(), "significant (10,000 se)");
    }

    #[test]
    fn figures_read_by_their_labels() {
        let label = super::super::run_report::figure_label;
        assert_eq!(label("net_credit_loss"), "Net credit loss");
        assert_eq!(label("gross_write_offs"), "Gross write-offs");
    }

    #[test]
    fn run_names_prefer_folders_then_scenarios() {
        let r = |dir: &str, s: &str| (PathBuf::from(dir), s.to_string());
        assert_eq!(
            run_names(&[r("output/a", "x"), r("output/b", "x")]),
            ["a", "b"]
        );
        assert_eq!(
            run_names(&[r("one/run", "x"), r("two/run", "y")]),
            ["x", "y"]
        );
        assert_eq!(
            run_names(&[r("one/run", "x"), r("two/run", "x")]),
            ["one/run", "two/run"]
        );
        assert_eq!(
            run_names(&[r("run", "x"), r("run", "x")]),
            ["run (1)", "run (2)"]
        );
    }

    #[test]
    fn lines_on_common_months() {
        let (months, lines) = on_common_months(vec![
            (
                "a".into(),
                vec![1.0, 2.0, 3.0],
                vec![1.0, 2.0, 3.0],
                vec![],
                vec![],
            ),
            ("b".into(), vec![1.0, 2.0], vec![5.0, 6.0], vec![], vec![]),
        ]);
        assert_eq!(months, [1, 2, 3]);
        assert_eq!(lines[0].values, [1.0, 2.0, 3.0]);
        assert_eq!(lines[1].values[..2], [5.0, 6.0]);
        assert!(lines[1].values[2].is_nan());
        assert!(lines[1].low.iter().all(|v| v.is_nan()));
    }
}
