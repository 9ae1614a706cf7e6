//! Every statistic of a result folder recomputed from the folder's own files: the scenario as
//! run (`scenario.toml`), the per-path outcomes (`outcomes.parquet`) and the book's profile
//! (`summary.json`). A verified folder recomputes to the summary it holds, to the bit; merging
//! shards and summarising sweep points build on the same path.

use std::path::Path;

use super::folder::Contents;
use super::outcomes::{PASS_MAIN, PASS_STUDY};
use super::summary::{About, RunSummaryFile, StressSetSummaryFile, summary_file, to_json};
use super::{FolderError, ResultFolder, Trust};
use crate::engine::{RunOutput, StressRun};
use crate::metrics::summary::{RunSummary, summarise};
use crate::scenario::Scenario;

/// The scenario a folder was run with, parsed from its copy of `scenario.toml`.
fn scenario_of(dir: &Path) -> Result<Scenario, FolderError> {
    let path = dir.join("scenario.toml");
    let read = |message: String| FolderError::Read {
        path: path.clone(),
        message,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| read(e.to_string()))?;
    crate::scenario::parse(&text, &path).map_err(|e| read(e.to_string()))
}

/// The outcomes of a run's folder as the engine returned them.
fn output_of(folder: &ResultFolder) -> Result<RunOutput, FolderError> {
    let summary = folder.run()?;
    let mut paths = None;
    let mut study_paths = None;
    for (pass, _, outcomes) in folder.outcomes()? {
        match pass.as_str() {
            PASS_MAIN => paths = Some(outcomes),
            PASS_STUDY => study_paths = Some(outcomes),
            other => {
                return Err(FolderError::Read {
                    path: folder.dir.join("outcomes.parquet"),
                    message: format!("unknown pass `{other}`"),
                });
            }
        }
    }
    Ok(RunOutput {
        layout: summary.outcome_layout,
        paths: paths.ok_or_else(|| FolderError::Read {
            path: folder.dir.join("outcomes.parquet"),
            message: format!("no `{PASS_MAIN}` pass"),
        })?,
        study_paths,
        stress_runs: Vec::new(),
        threads: summary.run.threads,
    })
}

/// A run's summary recomputed, with the run's own facts (not statistics) taken from its file.
fn recomputed_file(file: &RunSummaryFile, summary: &RunSummary) -> RunSummaryFile {
    summary_file(
        summary,
        About {
            run: file.run.clone(),
            scenario_description: file.scenario_description.clone(),
            display: file.display.clone(),
            stress_scenario: file.stress_scenario.clone(),
            book: file.book.clone(),
            bucketing: file.bucketing.clone(),
            book_profile: file.book_profile.clone(),
        },
    )
}

/// A run folder's summary recomputed from its outcomes (as [`recompute`] does), with the
/// outcomes and the file it holds: how a merged sweep summarises each point.
pub fn run_summary(
    dir: &Path,
    trust: Trust,
) -> Result<(RunSummary, RunOutput, RunSummaryFile), FolderError> {
    let folder = ResultFolder::open(dir, trust)?;
    let scenario = scenario_of(dir)?;
    let file = folder.run()?.clone();
    let output = output_of(&folder)?;
    let summary = summarise(&output, &scenario.model, &file.book_profile);
    Ok((summary, output, file))
}

/// Each `summary.json` of the folder (the top one first, then a stress set's scenarios) as
/// recomputed from the outcomes, in the text arrears writes: `(relative path, text)`.
pub fn recompute(dir: &Path, trust: Trust) -> Result<Vec<(String, String)>, FolderError> {
    let folder = ResultFolder::open(dir, trust)?;
    let scenario = scenario_of(dir)?;
    match &folder.contents {
        Contents::Run(file) => {
            let output = output_of(&folder)?;
            let summary = summarise(&output, &scenario.model, &file.book_profile);
            Ok(vec![(
                "summary.json".into(),
                to_json(&recomputed_file(file, &summary)),
            )])
        }
        Contents::StressSet(set) => {
            let mut subs = Vec::new();
            let mut stress_runs = Vec::new();
            for (name, stress) in set.scenarios.iter().zip(&scenario.model.stress) {
                let sub = ResultFolder::open(&dir.join(name), Trust::BeingWritten)?;
                let output = output_of(&sub)?;
                stress_runs.push(StressRun {
                    stress: stress.clone(),
                    paths: output.paths.clone(),
                });
                subs.push((name.clone(), sub, output));
            }
            let (_, first, first_output) = subs.first().ok_or_else(|| FolderError::Read {
                path: dir.join("summary.json"),
                message: "a stress set without scenarios".into(),
            })?;
            let output = RunOutput {
                stress_runs,
                ..first_output.clone()
            };
            let profile = &first.run()?.book_profile;
            let summary = summarise(&output, &scenario.model, profile);
            let top = StressSetSummaryFile {
                stress: summary.stress.clone(),
                warnings: summary.warnings.clone(),
                default_definition: summary.default_definition.clone(),
                ..(**set).clone()
            };
            let mut out = vec![("summary.json".to_string(), to_json(&top))];
            for ((name, sub, _), summary) in subs.iter().zip(&summary.stress_scenarios) {
                out.push((
                    format!("{name}/summary.json"),
                    to_json(&recomputed_file(sub.run()?, summary)),
                ));
            }
            Ok(out)
        }
    }
}
