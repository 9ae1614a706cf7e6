//! `manifest.json`: the index of a result folder. It says what the folder is (a run, a stress
//! set, a comparison, a calibration), which version of the result format wrote it, and the
//! SHA-256, size and (for tables) row count of every file the writer put there. It is written
//! last, so a folder with a manifest is complete; [`verify`] compares the folder with it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The value of `format` in every manifest arrears writes.
pub const FORMAT: &str = "arrears-result";
/// The version of the result format this build writes and reads. Version 1 had no
/// `manifest.json` (the run facts lived in `summary.json` alone); version 2 had no
/// `log_weight` in `outcomes.parquet` and no `shards` in the run's facts; version 3 wrote the
/// counts of `paths` as floats, `vintage_curves.vintage` as text, the timeline's rows without a
/// stage as `""` and its estimates without `sd`, `p99`, `p99_9` and `n`, and had no
/// `display.states` or `display.stages` in `summary.json`.
pub const FORMAT_VERSION: u32 = 4;
/// The manifest's file name.
pub const MANIFEST_FILE: &str = "manifest.json";

/// What a result folder holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FolderKind {
    /// One run's results (`arrears run`, or one scenario of a stress set).
    Run,
    /// A stress set: the comparison at the top, each scenario's results in a subfolder.
    StressSet,
    /// `arrears compare`.
    Comparison,
    /// `arrears calibrate`.
    Calibration,
    /// A part of a sharded run (`arrears run --shard I/N`), for `arrears merge`.
    Part,
    /// `arrears sweep`: the sweep's tables at the top, each point's run folder in `points/`.
    Sweep,
    /// A shard of a sweep (`arrears sweep --shard I/N`): some points' run folders, for
    /// `arrears merge`.
    SweepPart,
    /// `arrears solve`: the root, its interval and every evaluation.
    Solve,
    /// `arrears optimise`: the best collection strategy.
    Optimisation,
}

/// One file of the folder, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Path relative to the folder, `/`-separated.
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    /// Rows of a table (CSV or Parquet); `null` for other files.
    pub rows: Option<u64>,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FolderManifest {
    /// Always [`FORMAT`]: what tells an arrears result from any other folder.
    pub format: String,
    pub format_version: u32,
    pub kind: FolderKind,
    pub arrears_version: String,
    /// Every file the writer put in the folder (subfolders included), sorted by path.
    pub files: Vec<FileEntry>,
}

/// How a folder differs from its manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    Missing(String),
    Changed { path: String, what: String },
    Added(String),
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Difference::Missing(p) => write!(f, "`{p}` is missing"),
            Difference::Changed { path, what } => write!(f, "`{path}` was changed ({what})"),
            Difference::Added(p) => write!(f, "`{p}` was not written by arrears"),
        }
    }
}

/// Why a folder's manifest could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("`{}` is not an arrears result folder: {reason}", dir.display())]
    NotResult { dir: PathBuf, reason: String },
    #[error(
        "`{}` was written in result format version {found}; this build of arrears reads version {FORMAT_VERSION}",
        path.display()
    )]
    Version { path: PathBuf, found: u32 },
    #[error("cannot read `{}`: {message}", path.display())]
    Read { path: PathBuf, message: String },
}

/// SHA-256, size and (for tables) rows of a file, read in blocks so a large file is never
/// held whole: CSV rows are its data lines (arrears writes no newline inside a field), Parquet
/// rows come from the file's footer.
fn describe(path: &Path) -> std::io::Result<(String, u64, Option<u64>)> {
    use sha2::Digest;
    use std::io::Read;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let (mut bytes, mut newlines) = (0u64, 0u64);
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
        if ext == "csv" {
            newlines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        }
    }
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let rows = match ext {
        "csv" => Some(newlines.saturating_sub(1)),
        "parquet" => {
            use polars::prelude::*;
            std::fs::File::open(path)
                .ok()
                .and_then(|f| ParquetReader::new(f).num_rows().ok())
                .map(|n| n as u64)
        }
        _ => None,
    };
    Ok((sha256, bytes, rows))
}

/// Every regular file below `dir` (relative, `/`-separated, sorted), the manifest excluded.
fn walk(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for entry in std::fs::read_dir(dir.join(&rel))? {
            let entry = entry?;
            let rel_path = rel.join(entry.file_name());
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(rel_path);
            } else {
                let name = rel_path
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                if name != MANIFEST_FILE {
                    out.push(name);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Entries for every file below `dir` (subfolders' manifests included).
pub fn describe_files(dir: &Path) -> std::io::Result<Vec<FileEntry>> {
    walk(dir)?
        .into_iter()
        .map(|rel| {
            let (sha256, bytes, rows) = describe(&dir.join(&rel))?;
            Ok(FileEntry {
                path: rel,
                bytes,
                sha256,
                rows,
            })
        })
        .collect()
}

/// Writes `dir/manifest.json` over every file in `dir`; call when everything else is written.
pub fn write(dir: &Path, kind: FolderKind) -> std::io::Result<()> {
    let manifest = FolderManifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        kind,
        arrears_version: env!("CARGO_PKG_VERSION").into(),
        files: describe_files(dir)?,
    };
    let json = serde_json::to_string_pretty(&manifest).expect("plain data serialises") + "\n";
    std::fs::write(dir.join(MANIFEST_FILE), json)
}

/// Reads `dir/manifest.json`, refusing anything that is not a manifest of this format version.
pub fn read(dir: &Path) -> Result<FolderManifest, ManifestError> {
    let path = dir.join(MANIFEST_FILE);
    let not_result = |reason: String| ManifestError::NotResult {
        dir: dir.to_path_buf(),
        reason,
    };
    if !dir.is_dir() {
        return Err(not_result(if dir.exists() {
            "it is a file; give the folder arrears wrote (e.g. `output/baseline`)".into()
        } else {
            "no such folder".into()
        }));
    }
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let old = dir.join("summary.json").is_file();
            return Err(not_result(if old {
                format!(
                    "it has no `{MANIFEST_FILE}` (written before result format version {FORMAT_VERSION}, or not by arrears); rerun the scenario to get a verifiable folder"
                )
            } else {
                format!(
                    "it has no `{MANIFEST_FILE}`; give a folder written by `arrears run`, `compare` or `calibrate`"
                )
            }));
        }
        Err(e) => {
            return Err(ManifestError::Read {
                path,
                message: e.to_string(),
            });
        }
    };
    // The version first, so a manifest of another version says so rather than failing on a
    // field it does not have.
    #[derive(Deserialize)]
    struct Probe {
        format: Option<String>,
        format_version: Option<u32>,
    }
    let probe: Probe = serde_json::from_str(&text).map_err(|e| ManifestError::Read {
        path: path.clone(),
        message: format!("not a valid manifest ({e})"),
    })?;
    if probe.format.as_deref() != Some(FORMAT) {
        return Err(not_result(format!(
            "`{MANIFEST_FILE}` does not say `\"format\": \"{FORMAT}\"`"
        )));
    }
    match probe.format_version {
        Some(FORMAT_VERSION) => {}
        found => {
            return Err(ManifestError::Version {
                path,
                found: found.unwrap_or(0),
            });
        }
    }
    serde_json::from_str(&text).map_err(|e| ManifestError::Read {
        path,
        message: format!("not a valid manifest ({e})"),
    })
}

/// Whether `dir` is a folder arrears wrote: a manifest of any version, or (format version 1)
/// a `summary.json` whose `manifest` names an arrears version. What `--force` may replace.
pub fn is_result_folder(dir: &Path) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        format: Option<String>,
    }
    #[derive(Deserialize)]
    struct Old {
        manifest: Option<OldFacts>,
    }
    #[derive(Deserialize)]
    struct OldFacts {
        arrears_version: Option<String>,
    }
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
    if let Some(text) = read(MANIFEST_FILE) {
        return serde_json::from_str::<Probe>(&text)
            .is_ok_and(|p| p.format.as_deref() == Some(FORMAT));
    }
    read("summary.json")
        .and_then(|text| serde_json::from_str::<Old>(&text).ok())
        .and_then(|old| old.manifest)
        .is_some_and(|facts| facts.arrears_version.is_some())
}

/// The reports (`report.html`, `report.md`, in any subfolder): built from the other files,
/// rebuilt by `arrears report`, so not a source of any figure.
pub fn is_report(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "report.html" || name == "report.md"
}

/// How the files in `dir` differ from `manifest`: missing, changed (size, content) and added
/// files, in path order. The reports are left out: they are derived from the rest and
/// `arrears report` rebuilds them from the verified files.
pub fn verify(dir: &Path, manifest: &FolderManifest) -> std::io::Result<Vec<Difference>> {
    let expected: BTreeMap<&str, &FileEntry> = manifest
        .files
        .iter()
        .filter(|f| !is_report(&f.path))
        .map(|f| (f.path.as_str(), f))
        .collect();
    let present: Vec<String> = walk(dir)?.into_iter().filter(|p| !is_report(p)).collect();
    let mut differences = Vec::new();
    for (rel, entry) in &expected {
        let (sha256, bytes, _) = match describe(&dir.join(rel)) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                differences.push(Difference::Missing(rel.to_string()));
                continue;
            }
            Err(e) => return Err(e),
        };
        let changed = |what: String| Difference::Changed {
            path: rel.to_string(),
            what,
        };
        if bytes != entry.bytes {
            differences.push(changed(format!(
                "{bytes} bytes, the run wrote {}",
                entry.bytes
            )));
        } else if sha256 != entry.sha256 {
            differences.push(changed(
                "its content differs from what the run wrote".into(),
            ));
        }
    }
    for rel in present {
        if !expected.contains_key(rel.as_str()) {
            differences.push(Difference::Added(rel));
        }
    }
    Ok(differences)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_folder_verifies_and_every_change_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("a.csv"), "x,y\n1,2\n3,4\n").unwrap();
        std::fs::create_dir(d.join("sub")).unwrap();
        std::fs::write(d.join("sub/b.txt"), "hello").unwrap();
        write(d, FolderKind::Run).unwrap();
        let m = read(d).unwrap();
        assert_eq!(m.files.len(), 2);
        assert_eq!(m.files[0].rows, Some(2));
        assert_eq!(m.files[1].path, "sub/b.txt");
        assert!(verify(d, &m).unwrap().is_empty());
        assert!(is_result_folder(d));

        std::fs::write(d.join("a.csv"), "x,y\n1,2\n3,5\n").unwrap();
        std::fs::remove_file(d.join("sub/b.txt")).unwrap();
        std::fs::write(d.join("c.png"), "").unwrap();
        let diffs = verify(d, &m).unwrap();
        assert_eq!(
            diffs,
            [
                Difference::Changed {
                    path: "a.csv".into(),
                    what: "its content differs from what the run wrote".into()
                },
                Difference::Missing("sub/b.txt".into()),
                Difference::Added("c.png".into()),
            ]
        );
    }

    #[test]
    fn other_versions_and_other_folders_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let err = read(d).unwrap_err().to_string();
        assert!(err.contains("no `manifest.json`"), "{err}");
        assert!(!is_result_folder(d));
        std::fs::write(
            d.join(MANIFEST_FILE),
            r#"{"format": "arrears-result", "format_version": 7}"#,
        )
        .unwrap();
        let err = read(d).unwrap_err().to_string();
        assert!(
            err.contains("version 7") && err.contains("reads version 4"),
            "{err}"
        );
        std::fs::write(d.join(MANIFEST_FILE), r#"{"format": "other"}"#).unwrap();
        assert!(!is_result_folder(d));
    }
}
