//! A part of a sharded run (`arrears run --shard I/N`): the outcomes of paths
//! `[floor(I*P/N), floor((I+1)*P/N))` and what a merge needs to finish the run without the
//! loan tape. A part folder holds `scenario.toml`, `outcomes.parquet` (path numbers are the
//! run's), `part.json` ([`PartFile`]) and `manifest.json` (kind `part`).
//!
//! [`gather`] finds parts, [`read`] opens one verified, [`check_together`] refuses parts that
//! are not one run's (naming the part and what differs, or the missing shards), and [`combine`]
//! puts their outcomes back in path order. A run on one machine is its own single part through
//! the same [`combine`], so a merged result has the same bytes by construction.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::folder::FolderError;
use super::manifest::{self, FolderKind};
use super::outcomes::{self, PASS_MAIN, PASS_STUDY};
use super::summary::{BookFacts, RunFacts};
use crate::engine::{OutcomeLayout, PathOutcome, RunOutput, StressRun};
use crate::model::Model;

/// The part's description, `part.json`.
pub const PART_FILE: &str = "part.json";
/// A stress scenario's pass in a part: `stress:NAME`.
pub const STRESS_PASS_PREFIX: &str = "stress:";

/// `part.json`: which paths the part holds, of which run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartFile {
    /// This part's shard, from 0, and the number of shards of the run.
    pub shard: u64,
    pub shards: u64,
    /// The paths it holds, `[first_path, end_path)` of the run's `run.paths`.
    pub first_path: u64,
    pub end_path: u64,
    /// Whether each path drew its matrices from the posterior (`--posterior`).
    pub posterior: bool,
    /// The run as this shard saw it; `threads`, `run_seconds` and `created_utc` are the shard's.
    pub run: RunFacts,
    pub book: BookFacts,
    pub outcome_layout: OutcomeLayout,
    /// The passes of `outcomes.parquet`, in order.
    pub passes: Vec<String>,
}

/// A part's outcomes: each pass's paths, in path order.
pub type Passes = Vec<(String, Vec<PathOutcome>)>;

/// Why parts cannot be merged. Each names the part and what to do.
#[derive(Debug, thiserror::Error)]
pub enum PartError {
    #[error("no parts of a sharded run in {}", list_paths(.searched))]
    NoParts { searched: Vec<PathBuf> },
    #[error("`{}` is not a part of a sharded run: {reason}", dir.display())]
    NotPart { dir: PathBuf, reason: String },
    #[error("part `{}` cannot be used: {source}", dir.display())]
    Folder {
        dir: PathBuf,
        #[source]
        source: FolderError,
    },
    #[error(
        "part `{}` was written by arrears {found}, and this is arrears {this}: parts are merged by the version that simulated them",
        dir.display()
    )]
    Version {
        dir: PathBuf,
        found: String,
        this: String,
    },
    #[error(
        "part `{}` is not of the same run as `{}`: its {what} is {found}, theirs is {expected}",
        dir.display(), reference.display()
    )]
    Mismatch {
        dir: PathBuf,
        reference: PathBuf,
        what: &'static str,
        found: String,
        expected: String,
    },
    #[error("shard {shard} of {shards} is there twice: `{}` and `{}`", first.display(), second.display())]
    Duplicate {
        shard: u64,
        shards: u64,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("{} of {shards} shards {} missing: {}", missing.len(), if missing.len() == 1 { "is" } else { "are" }, ranges(missing))]
    Missing { missing: Vec<u64>, shards: u64 },
    #[error("part `{}` is damaged: {message}", dir.display())]
    Damaged { dir: PathBuf, message: String },
}

impl PartError {
    /// What to do about it.
    pub fn hint(&self) -> String {
        match self {
            PartError::NoParts { .. } | PartError::NotPart { .. } => "give the folders `arrears run SCENARIO --shard I/N` wrote (`part-00000-of-00004`, ...), or the folder holding them (by default `output/NAME.parts`)".into(),
            PartError::Folder { .. } | PartError::Damaged { .. } => "rerun that shard (`arrears run SCENARIO --shard I/N` replaces its part), then merge again".into(),
            PartError::Version { this, .. } => format!("rerun that shard with arrears {this}, or merge with the version that wrote it"),
            PartError::Mismatch { .. } => "merge only the parts of one run: same scenario and loan tape, seed, paths and number of shards; move the other part away".into(),
            PartError::Duplicate { .. } => "keep one of the two (they are the same paths) and merge again".into(),
            PartError::Missing { missing, shards } => format!(
                "run the missing shards (e.g. `arrears run SCENARIO --shard {}/{shards}`), then merge again",
                missing[0]
            ),
        }
    }
}

fn list_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| format!("`{}`", p.display()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `3, 5-7, 9`.
fn ranges(numbers: &[u64]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < numbers.len() {
        let mut j = i;
        while j + 1 < numbers.len() && numbers[j + 1] == numbers[j] + 1 {
            j += 1;
        }
        out.push(if j > i {
            format!("{}-{}", numbers[i], numbers[j])
        } else {
            numbers[i].to_string()
        });
        i = j + 1;
    }
    out.join(", ")
}

/// The paths of shard `shard` of `shards`: `[floor(I*P/N), floor((I+1)*P/N))`.
pub fn path_range(shard: u64, shards: u64, paths: u64) -> std::ops::Range<u64> {
    let at = |i: u64| (u128::from(i) * u128::from(paths) / u128::from(shards)) as u64;
    at(shard)..at(shard + 1)
}

/// A part's folder name in its parts folder: `part-00003-of-00008`.
pub fn folder_name(shard: u64, shards: u64) -> String {
    format!("part-{shard:05}-of-{shards:05}")
}

/// The passes a run of `model` has, as a part names them: `main` (and `disposition_study`),
/// or one `stress:NAME` per scenario of a stress set.
pub fn pass_names(model: &Model) -> Vec<String> {
    if !model.stress.is_empty() {
        return model
            .stress
            .iter()
            .map(|s| format!("{STRESS_PASS_PREFIX}{}", s.name))
            .collect();
    }
    let mut names = vec![PASS_MAIN.to_string()];
    if model.disposition.is_some() && model.debt_sale.is_some() {
        names.push(PASS_STUDY.to_string());
    }
    names
}

/// A run's output as a part's passes (a stress set's main pass is its first scenario's, so
/// it is not kept twice).
pub fn passes_of(output: RunOutput) -> Passes {
    if !output.stress_runs.is_empty() {
        return output
            .stress_runs
            .into_iter()
            .map(|r| (format!("{STRESS_PASS_PREFIX}{}", r.stress.name), r.paths))
            .collect();
    }
    let mut passes = vec![(PASS_MAIN.to_string(), output.paths)];
    if let Some(study) = output.study_paths {
        passes.push((PASS_STUDY.to_string(), study));
    }
    passes
}

/// Whether `dir` holds a part: a manifest of kind `part`.
pub fn is_part(dir: &Path) -> bool {
    manifest::read(dir).is_ok_and(|m| m.kind == FolderKind::Part)
}

/// The part folders named by `args`: each a part, or a folder whose subfolders include parts
/// (other entries, such as a scheduler's log files or a killed shard's hidden temporary
/// folder, are passed over), sorted and without repeats.
pub fn gather(args: &[PathBuf]) -> Result<Vec<PathBuf>, PartError> {
    gather_of(args, FolderKind::Part)
}

/// As [`gather`], for folders of `kind` (a run's parts, or a sweep's).
pub fn gather_of(args: &[PathBuf], kind: FolderKind) -> Result<Vec<PathBuf>, PartError> {
    let of_kind = |dir: &Path| manifest::read(dir).is_ok_and(|m| m.kind == kind);
    let mut found = Vec::new();
    for arg in args {
        if arg.join(manifest::MANIFEST_FILE).is_file() {
            // A run's part given by name is taken as one (reading it says what is wrong
            // with it); a sweep's only if it is one.
            if kind == FolderKind::Part || of_kind(arg) {
                found.push(arg.clone());
            }
            continue;
        }
        let entries = std::fs::read_dir(arg).map_err(|e| PartError::NotPart {
            dir: arg.clone(),
            reason: if arg.is_file() {
                "it is a file".into()
            } else {
                e.to_string()
            },
        })?;
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name();
            let hidden = name.to_str().is_none_or(|n| n.starts_with('.'));
            if !hidden && entry.file_type().is_ok_and(|t| t.is_dir()) && of_kind(&entry.path()) {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    found.dedup();
    if found.is_empty() {
        return Err(PartError::NoParts {
            searched: args.to_vec(),
        });
    }
    Ok(found)
}

/// Opens the part in `dir`: its manifest (kind `part`, this format version), every file
/// against it, `part.json`, and the scenario copy against the scenario's hash.
pub fn read(dir: &Path) -> Result<PartFile, PartError> {
    let folder = |source: FolderError| PartError::Folder {
        dir: dir.to_path_buf(),
        source,
    };
    let manifest = manifest::read(dir).map_err(|e| folder(e.into()))?;
    if manifest.kind != FolderKind::Part {
        return Err(PartError::NotPart {
            dir: dir.to_path_buf(),
            reason: "it is a complete result folder, not a part".into(),
        });
    }
    let differences = manifest::verify(dir, &manifest).map_err(|e| {
        folder(FolderError::Read {
            path: dir.to_path_buf(),
            message: e.to_string(),
        })
    })?;
    if !differences.is_empty() {
        return Err(folder(FolderError::Modified {
            dir: dir.to_path_buf(),
            differences,
        }));
    }
    let this = env!("CARGO_PKG_VERSION");
    if manifest.arrears_version != this {
        return Err(PartError::Version {
            dir: dir.to_path_buf(),
            found: manifest.arrears_version,
            this: this.into(),
        });
    }
    let damaged = |message: String| PartError::Damaged {
        dir: dir.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(dir.join(PART_FILE))
        .map_err(|e| damaged(format!("cannot read `{PART_FILE}`: {e}")))?;
    let file: PartFile = serde_json::from_str(&text)
        .map_err(|e| damaged(format!("`{PART_FILE}` is not what arrears writes ({e})")))?;
    if file.run.arrears_version != this {
        return Err(PartError::Version {
            dir: dir.to_path_buf(),
            found: file.run.arrears_version,
            this: this.into(),
        });
    }
    let scenario = std::fs::read(dir.join("scenario.toml"))
        .map_err(|e| damaged(format!("cannot read `scenario.toml`: {e}")))?;
    if crate::scenario::sha256_hex(&scenario) != file.run.scenario_sha256 {
        return Err(damaged(
            "its `scenario.toml` is not the scenario `part.json` names".into(),
        ));
    }
    if file.shards == 0
        || file.shard >= file.shards
        || path_range(file.shard, file.shards, file.run.paths) != (file.first_path..file.end_path)
    {
        return Err(damaged(format!(
            "shard {} of {} cannot hold paths {}..{} of {}",
            file.shard, file.shards, file.first_path, file.end_path, file.run.paths
        )));
    }
    Ok(file)
}

/// Refuses parts that are not one run's, naming the part and what differs; then every shard
/// must be there exactly once. Returns the parts in shard order.
pub fn check_together(
    mut parts: Vec<(PathBuf, PartFile)>,
) -> Result<Vec<(PathBuf, PartFile)>, PartError> {
    parts.sort_by_key(|(_, f)| f.shard);
    let Some((reference, first)) = parts.first() else {
        return Err(PartError::NoParts {
            searched: Vec::new(),
        });
    };
    for (dir, part) in &parts[1..] {
        let (a, b) = (&part.run, &first.run);
        let tape = |t: &Option<String>| t.clone().unwrap_or_else(|| "none".into());
        let checks: [(&'static str, String, String); 9] = [
            (
                "scenario",
                format!("`{}` (SHA-256 {})", a.scenario_name, a.scenario_sha256),
                format!("`{}` (SHA-256 {})", b.scenario_name, b.scenario_sha256),
            ),
            (
                "loan tape's SHA-256",
                tape(&a.loan_tape_sha256),
                tape(&b.loan_tape_sha256),
            ),
            ("seed", a.seed.to_string(), b.seed.to_string()),
            ("number of paths", a.paths.to_string(), b.paths.to_string()),
            (
                "number of shards",
                part.shards.to_string(),
                first.shards.to_string(),
            ),
            (
                "parameter uncertainty",
                posterior(part.posterior),
                posterior(first.posterior),
            ),
            (
                "arrears version",
                a.arrears_version.clone(),
                b.arrears_version.clone(),
            ),
            (
                "book",
                describe_book(&part.book),
                describe_book(&first.book),
            ),
            (
                "outcome layout",
                format!("{:?}", part.outcome_layout),
                format!("{:?}", first.outcome_layout),
            ),
        ];
        for (what, found, expected) in checks {
            if found != expected {
                return Err(PartError::Mismatch {
                    dir: dir.clone(),
                    reference: reference.clone(),
                    what,
                    found,
                    expected,
                });
            }
        }
        if part.book != first.book || part.passes != first.passes {
            return Err(PartError::Mismatch {
                dir: dir.clone(),
                reference: reference.clone(),
                what: "book or passes",
                found: format!("{:?}", part.passes),
                expected: format!("{:?}", first.passes),
            });
        }
    }
    for pair in parts.windows(2) {
        if pair[0].1.shard == pair[1].1.shard {
            return Err(PartError::Duplicate {
                shard: pair[0].1.shard,
                shards: first.shards,
                first: pair[0].0.clone(),
                second: pair[1].0.clone(),
            });
        }
    }
    let shards = first.shards;
    let present: std::collections::BTreeSet<u64> = parts.iter().map(|(_, f)| f.shard).collect();
    let missing: Vec<u64> = (0..shards).filter(|i| !present.contains(i)).collect();
    if !missing.is_empty() {
        return Err(PartError::Missing { missing, shards });
    }
    Ok(parts)
}

fn posterior(yes: bool) -> String {
    if yes {
        "posterior".into()
    } else {
        "none".into()
    }
}

fn describe_book(book: &BookFacts) -> String {
    format!("{} loans, balance {}", book.book.loans, book.book.balance)
}

/// The outcomes of a part, checked against its `part.json`: its passes in order, each with
/// exactly the part's paths.
pub fn read_outcomes(dir: &Path, file: &PartFile) -> Result<Passes, PartError> {
    let damaged = |message: String| PartError::Damaged {
        dir: dir.to_path_buf(),
        message,
    };
    let passes = outcomes::read(dir, file.outcome_layout).map_err(|e| damaged(e.to_string()))?;
    let names: Vec<&str> = passes.iter().map(|(name, _, _)| name.as_str()).collect();
    if names != file.passes.iter().map(String::as_str).collect::<Vec<_>>() {
        return Err(damaged(format!(
            "`outcomes.parquet` holds the passes {names:?}, `{PART_FILE}` says {:?}",
            file.passes
        )));
    }
    passes
        .into_iter()
        .map(|(name, first, paths)| {
            let end = first + paths.len() as u64;
            if first != file.first_path || end != file.end_path {
                return Err(damaged(format!(
                    "pass `{name}` holds paths {first}..{end}, the part is paths {}..{}",
                    file.first_path, file.end_path
                )));
            }
            Ok((name, paths))
        })
        .collect()
}

/// The run's output from its parts' passes, in shard order (checked by [`check_together`]),
/// with the importance weights normalised over every path, as a run on one machine has them.
pub fn combine(
    model: &Model,
    layout: OutcomeLayout,
    threads: usize,
    parts: impl IntoIterator<Item = Passes>,
) -> RunOutput {
    let mut passes: Passes = Vec::new();
    for part in parts {
        if passes.is_empty() {
            passes = part;
            continue;
        }
        for ((_, all), (_, paths)) in passes.iter_mut().zip(part) {
            all.extend(paths);
        }
    }
    let mut output = RunOutput {
        layout,
        paths: Vec::new(),
        study_paths: None,
        stress_runs: Vec::new(),
        threads,
    };
    for (name, paths) in passes {
        if let Some(stress) = name.strip_prefix(STRESS_PASS_PREFIX) {
            let stress = model
                .stress
                .iter()
                .find(|s| s.name == stress)
                .expect("a part's passes are checked against its scenario")
                .clone();
            output.stress_runs.push(StressRun { stress, paths });
        } else if name == PASS_STUDY {
            output.study_paths = Some(paths);
        } else {
            output.paths = paths;
        }
    }
    output.normalise_weights();
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_path_once() {
        for (paths, shards) in [(10, 3), (1000, 8), (7, 7), (5, 1), (u64::MAX, 3)] {
            let mut next = 0;
            for i in 0..shards {
                let r = path_range(i, shards, paths);
                assert_eq!(r.start, next);
                assert!(r.end > r.start, "{paths} paths in {shards} shards");
                next = r.end;
            }
            assert_eq!(next, paths);
        }
        assert_eq!(path_range(1, 3, 10), 3..6);
    }

    #[test]
    fn missing_shards_are_listed_as_ranges() {
        assert_eq!(ranges(&[3, 5, 6, 7, 9]), "3, 5-7, 9");
        let e = PartError::Missing {
            missing: vec![1],
            shards: 4,
        };
        assert_eq!(e.to_string(), "1 of 4 shards is missing: 1");
        assert!(e.hint().contains("--shard 1/4"));
    }

    #[test]
    fn folder_names_sort_in_shard_order() {
        assert_eq!(folder_name(3, 8), "part-00003-of-00008");
        assert!(folder_name(9, 12) < folder_name(10, 12));
    }
}
