//! Reading a result folder back, verified: its manifest first (format and version), then every
//! file against the manifest's hashes, then `summary.json` and the tables through their types.
//! `arrears report`, `arrears compare` and everything after them read folders only through
//! [`ResultFolder`].

use std::path::{Path, PathBuf};

use super::manifest::{self, Difference, FolderKind, FolderManifest, ManifestError};
use super::outcomes;
use super::summary::{BookSummary, RunFacts, RunSummaryFile, StressSetSummaryFile};
use super::table::{self, Table, TableError};
use crate::engine::PathOutcome;

/// How far to trust a folder whose files differ from its manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// Refuse it (the default).
    Verified,
    /// Read it anyway (`--trust-modified`: someone edited a table on purpose); the differences
    /// are kept in [`ResultFolder::modified`] and every report built from it says so.
    Modified,
    /// A folder this process is writing, before its manifest exists.
    BeingWritten,
}

/// Why a result folder could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("`{}` differs from what arrears wrote: {}", dir.display(), list(differences))]
    Modified {
        dir: PathBuf,
        differences: Vec<Difference>,
    },
    #[error("cannot read `{}`: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error("`{}` is not a {expected}", dir.display())]
    Kind {
        dir: PathBuf,
        expected: &'static str,
    },
    #[error(transparent)]
    Table(#[from] TableError),
}

impl FolderError {
    /// What to do about it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            FolderError::Modified { .. } => Some(
                "rerun the scenario to get a trustworthy folder; if a table was edited on purpose, add `--trust-modified` (the report will say it was built from modified files)",
            ),
            FolderError::Manifest(ManifestError::Version { .. }) => {
                Some("rerun the scenario with this build of arrears")
            }
            FolderError::Table(_) | FolderError::Read { .. } => {
                Some("the folder's files are not what arrears writes; rerun the scenario")
            }
            _ => None,
        }
    }
}

fn list(differences: &[Difference]) -> String {
    const SHOWN: usize = 5;
    let mut s = differences
        .iter()
        .take(SHOWN)
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("; ");
    if differences.len() > SHOWN {
        s.push_str(&format!("; and {} more", differences.len() - SHOWN));
    }
    s
}

/// What the folder holds, typed.
#[derive(Debug, Clone)]
pub enum Contents {
    Run(Box<RunSummaryFile>),
    StressSet(Box<StressSetSummaryFile>),
}

/// A result folder written by `arrears run` (one run, or the top of a stress set).
#[derive(Debug, Clone)]
pub struct ResultFolder {
    pub dir: PathBuf,
    /// `None` only while the folder is being written.
    pub manifest: Option<FolderManifest>,
    pub contents: Contents,
    /// How the files differ from the manifest (empty unless opened with [`Trust::Modified`]).
    pub modified: Vec<Difference>,
}

/// Checks any folder arrears wrote (a run, a stress set, a comparison, a calibration or a
/// part) against its manifest: every file present, of its size and SHA-256, nothing added;
/// for a run or a stress set its `summary.json` read through its types too. Returns the
/// manifest.
pub fn verify(dir: &Path) -> Result<FolderManifest, FolderError> {
    let manifest = manifest::read(dir)?;
    let differences = manifest::verify(dir, &manifest).map_err(|e| FolderError::Read {
        path: dir.to_path_buf(),
        message: e.to_string(),
    })?;
    if !differences.is_empty() {
        return Err(FolderError::Modified {
            dir: dir.to_path_buf(),
            differences,
        });
    }
    match manifest.kind {
        FolderKind::Run | FolderKind::StressSet => {
            ResultFolder::open(dir, Trust::Verified)?;
        }
        FolderKind::Sweep => {
            let sweep = read_sweep_file(dir)?;
            super::sweep_rows::read_sweep(dir, &sweep.keys)?;
            for point in &sweep.points {
                verify(&dir.join(&point.folder))?;
            }
        }
        FolderKind::Solve => {
            read_solve(dir)?;
        }
        FolderKind::SweepPart => {
            let part = read_sweep_part(dir)?;
            for point in part.first_point..part.end_point {
                verify(&dir.join(super::sweep_rows::point_folder(point as usize)))?;
            }
        }
        _ => {}
    }
    Ok(manifest)
}

/// A solve's folder through its types: `solve.json`, its roots (one per series, as many as
/// the file says) and every evaluation.
pub fn read_solve(
    dir: &Path,
) -> Result<
    (
        super::sweep_rows::SolveFile,
        Vec<super::sweep_rows::SolveRootRow>,
        Vec<super::sweep_rows::SolveEvaluationRow>,
    ),
    FolderError,
> {
    let path = dir.join(super::sweep_rows::SOLVE_FILE);
    let file: super::sweep_rows::SolveFile =
        read_json(dir, super::sweep_rows::SOLVE_FILE, "solve file")?;
    let table_error = |e: super::table::TableError| FolderError::Read {
        path: dir.to_path_buf(),
        message: e.to_string(),
    };
    let roots: Vec<super::sweep_rows::SolveRootRow> =
        super::table::read(dir).map_err(table_error)?;
    let evaluations: Vec<super::sweep_rows::SolveEvaluationRow> =
        super::table::read(dir).map_err(table_error)?;
    if roots.len() != file.series {
        return Err(FolderError::Read {
            path,
            message: format!(
                "it promises {} series but `solve_roots` has {} rows",
                file.series,
                roots.len()
            ),
        });
    }
    Ok((file, roots, evaluations))
}

/// A JSON file of a folder, through its type; `what` names it in the error.
fn read_json<T: serde::de::DeserializeOwned>(
    dir: &Path,
    file: &str,
    what: &str,
) -> Result<T, FolderError> {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| FolderError::Read {
        path: path.clone(),
        message: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| FolderError::Read {
        path,
        message: format!("not the {what} arrears writes ({e})"),
    })
}

/// A sweep part's `sweep_part.json`, through its types.
pub fn read_sweep_part(dir: &Path) -> Result<super::sweep_rows::SweepPartFile, FolderError> {
    read_json(dir, super::sweep_rows::SWEEP_PART_FILE, "sweep part file")
}

/// A sweep folder's `sweep.json`, through its types.
pub fn read_sweep_file(dir: &Path) -> Result<super::sweep_rows::SweepFile, FolderError> {
    read_json(dir, super::sweep_rows::SWEEP_FILE, "sweep file")
}

impl ResultFolder {
    /// Opens `dir`, checking it against its manifest as `trust` says.
    pub fn open(dir: &Path, trust: Trust) -> Result<ResultFolder, FolderError> {
        let (manifest, modified) = match trust {
            Trust::BeingWritten => (None, Vec::new()),
            Trust::Verified | Trust::Modified => {
                let manifest = manifest::read(dir)?;
                match manifest.kind {
                    FolderKind::Run | FolderKind::StressSet => {}
                    FolderKind::Part => {
                        return Err(FolderError::Kind {
                            dir: dir.to_path_buf(),
                            expected: "run's result folder (it is one part of a sharded run: merge the parts with `arrears merge`)",
                        });
                    }
                    FolderKind::Sweep => {
                        return Err(FolderError::Kind {
                            dir: dir.to_path_buf(),
                            expected: "run's result folder (it is a sweep: give one point's folder, e.g. `points/point-0000` in it)",
                        });
                    }
                    FolderKind::SweepPart => {
                        return Err(FolderError::Kind {
                            dir: dir.to_path_buf(),
                            expected: "run's result folder (it is one part of a sharded sweep: merge the parts with `arrears merge`)",
                        });
                    }
                    FolderKind::Comparison => {
                        return Err(FolderError::Kind {
                            dir: dir.to_path_buf(),
                            expected: "run's result folder (it holds a comparison)",
                        });
                    }
                    FolderKind::Calibration => {
                        return Err(FolderError::Kind {
                            dir: dir.to_path_buf(),
                            expected: "run's result folder (it holds a calibration)",
                        });
                    }
                    FolderKind::Optimisation => {
                        return Err(FolderError::Kind {
                            dir: dir.to_path_buf(),
                            expected: "run's result folder (it holds an optimisation)",
                        });
                    }
                    FolderKind::Solve => {
                        return Err(FolderError::Kind {
                            dir: dir.to_path_buf(),
                            expected: "run's result folder (it holds a solve: its report is written with it)",
                        });
                    }
                }
                let differences =
                    manifest::verify(dir, &manifest).map_err(|e| FolderError::Read {
                        path: dir.to_path_buf(),
                        message: e.to_string(),
                    })?;
                if !differences.is_empty() && trust == Trust::Verified {
                    return Err(FolderError::Modified {
                        dir: dir.to_path_buf(),
                        differences,
                    });
                }
                (Some(manifest), differences)
            }
        };
        let path = dir.join("summary.json");
        let text = std::fs::read_to_string(&path).map_err(|e| FolderError::Read {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let is_stress_set = match &manifest {
            Some(m) => m.kind == FolderKind::StressSet,
            None => serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&text)
                .is_ok_and(|m| m.contains_key("scenarios")),
        };
        let invalid = |e: serde_json::Error| FolderError::Read {
            path: path.clone(),
            message: format!("not the summary arrears writes ({e})"),
        };
        let contents = if is_stress_set {
            Contents::StressSet(Box::new(serde_json::from_str(&text).map_err(invalid)?))
        } else {
            Contents::Run(Box::new(serde_json::from_str(&text).map_err(invalid)?))
        };
        Ok(ResultFolder {
            dir: dir.to_path_buf(),
            manifest,
            contents,
            modified,
        })
    }

    /// The run's summary; an error for a stress set's top folder.
    pub fn run(&self) -> Result<&RunSummaryFile, FolderError> {
        match &self.contents {
            Contents::Run(s) => Ok(s),
            Contents::StressSet(_) => Err(FolderError::Kind {
                dir: self.dir.clone(),
                expected: "run's folder (it is the top of a stress set; give one scenario's subfolder)",
            }),
        }
    }

    /// What the folder is.
    pub fn kind(&self) -> FolderKind {
        match self.contents {
            Contents::Run(_) => FolderKind::Run,
            Contents::StressSet(_) => FolderKind::StressSet,
        }
    }

    /// The run's facts (seed, paths, versions, ...).
    pub fn facts(&self) -> &RunFacts {
        match &self.contents {
            Contents::Run(s) => &s.run,
            Contents::StressSet(s) => &s.run,
        }
    }

    /// The scenario in words.
    pub fn description(&self) -> &[String] {
        match &self.contents {
            Contents::Run(s) => &s.scenario_description,
            Contents::StressSet(s) => &s.scenario_description,
        }
    }

    pub fn book(&self) -> &BookSummary {
        match &self.contents {
            Contents::Run(s) => &s.book,
            Contents::StressSet(s) => &s.book,
        }
    }

    pub fn default_definition(&self) -> &str {
        match &self.contents {
            Contents::Run(s) => &s.default_definition,
            Contents::StressSet(s) => &s.default_definition,
        }
    }

    /// The run's own warnings.
    pub fn warnings(&self) -> &[String] {
        match &self.contents {
            Contents::Run(s) => &s.warnings,
            Contents::StressSet(s) => &s.warnings,
        }
    }

    /// Whether the folder has `name` (a file the run wrote).
    pub fn has(&self, name: &str) -> bool {
        self.dir.join(name).is_file()
    }

    /// Whether `{stem}.png` exists.
    pub fn has_chart(&self, stem: &str) -> bool {
        self.has(&format!("{stem}.png"))
    }

    /// The rows of table `T`, as many as the run wrote (even under `--trust-modified`: an
    /// edited value may be meant, a lost row is not).
    pub fn table<T: Table>(&self) -> Result<Vec<T>, FolderError> {
        let rows = table::read::<T>(&self.dir)?;
        let name = format!("{}.parquet", T::STEM);
        let written = self
            .manifest
            .as_ref()
            .and_then(|m| m.files.iter().find(|f| f.path == name))
            .and_then(|f| f.rows);
        match written {
            Some(n) if n != rows.len() as u64 => Err(FolderError::Read {
                path: self.dir.join(name),
                message: format!("it has {} rows; the run wrote {n}", rows.len()),
            }),
            _ => Ok(rows),
        }
    }

    /// The rows of table `T` when the run wrote it (some tables exist only for some runs:
    /// bucketing in count mode, the disposition study's when there is one).
    pub fn optional_table<T: Table>(&self) -> Result<Option<Vec<T>>, FolderError> {
        if self.has(&format!("{}.parquet", T::STEM)) {
            self.table().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Every path's outcomes, by pass: `(pass, first path, outcomes)`.
    pub fn outcomes(&self) -> Result<Vec<(String, u64, Vec<PathOutcome>)>, FolderError> {
        let layout = self.run()?.outcome_layout;
        Ok(outcomes::read(&self.dir, layout)?)
    }
}
