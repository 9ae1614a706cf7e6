//! Reading a result folder back: `summary.json` and the CSV tables `arrears run` wrote beside
//! it. The reports (`report.html`, `report.md`) and `arrears compare` are built from these
//! files alone, so `arrears report DIR` rebuilds exactly what the run wrote, and results from
//! another machine can be reported and compared.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::book::tape::{TapeFormat, read_frame};

/// Why a result folder could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("`{}` is not a result folder: {message}", path.display())]
    NotResult { path: PathBuf, message: String },
    #[error("cannot read `{}`: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error("`{}` lacks `{field}`; it was written by another version of arrears", path.display())]
    Field { path: PathBuf, field: String },
}

/// A result folder written by `arrears run`.
#[derive(Debug, Clone)]
pub struct ResultFolder {
    pub dir: PathBuf,
    pub summary: Value,
}

impl ResultFolder {
    /// Opens `dir` and parses its `summary.json`.
    pub fn open(dir: &Path) -> Result<ResultFolder, FolderError> {
        if !dir.is_dir() {
            return Err(FolderError::NotResult {
                path: dir.to_path_buf(),
                message: if dir.exists() {
                    "it is a file; give the folder `arrears run` wrote (e.g. `output/baseline`)"
                        .into()
                } else {
                    "no such folder".into()
                },
            });
        }
        let path = dir.join("summary.json");
        let text = std::fs::read_to_string(&path).map_err(|e| FolderError::NotResult {
            path: dir.to_path_buf(),
            message: format!("cannot read `summary.json` in it ({e}); run `arrears run` first"),
        })?;
        let summary: Value = serde_json::from_str(&text).map_err(|e| FolderError::Read {
            path: path.clone(),
            message: format!("not valid JSON ({e})"),
        })?;
        if summary.get("manifest").is_none() {
            return Err(FolderError::Field {
                path,
                field: "manifest".into(),
            });
        }
        Ok(ResultFolder {
            dir: dir.to_path_buf(),
            summary,
        })
    }

    /// Whether this is the top folder of a stress set (each scenario in a subfolder).
    pub fn is_stress_set(&self) -> bool {
        self.summary.get("stress").is_some()
    }

    /// The value at a `/`-separated JSON pointer, e.g. `manifest/seed`.
    pub fn get(&self, pointer: &str) -> Result<&Value, FolderError> {
        self.summary
            .pointer(&format!("/{pointer}"))
            .ok_or_else(|| self.missing(pointer))
    }

    /// A number; `null` (how JSON writes a figure that is undefined on every path, such as a
    /// recovery rate without defaults) reads as NaN.
    pub fn f64(&self, pointer: &str) -> Result<f64, FolderError> {
        let value = self.get(pointer)?;
        if value.is_null() {
            return Ok(f64::NAN);
        }
        value.as_f64().ok_or_else(|| self.missing(pointer))
    }

    pub fn str(&self, pointer: &str) -> Result<&str, FolderError> {
        self.get(pointer)?
            .as_str()
            .ok_or_else(|| self.missing(pointer))
    }

    fn missing(&self, field: &str) -> FolderError {
        FolderError::Field {
            path: self.dir.join("summary.json"),
            field: field.replace('/', "."),
        }
    }

    /// Whether `{stem}.csv` exists.
    pub fn has(&self, stem: &str) -> bool {
        self.dir.join(format!("{stem}.csv")).is_file()
    }

    /// Whether `{stem}.png` exists.
    pub fn has_chart(&self, stem: &str) -> bool {
        self.dir.join(format!("{stem}.png")).is_file()
    }

    /// Reads `{stem}.csv`.
    pub fn table(&self, stem: &str) -> Result<CsvTable, FolderError> {
        CsvTable::read(&self.dir.join(format!("{stem}.csv")))
    }

    /// Reads `{stem}.csv` when it exists.
    pub fn table_if_present(&self, stem: &str) -> Result<Option<CsvTable>, FolderError> {
        if self.has(stem) {
            self.table(stem).map(Some)
        } else {
            Ok(None)
        }
    }
}

/// A CSV table as text columns, with typed accessors.
#[derive(Debug, Clone)]
pub struct CsvTable {
    pub path: PathBuf,
    columns: Vec<(String, Vec<Option<String>>)>,
    rows: usize,
}

impl CsvTable {
    pub fn read(path: &Path) -> Result<CsvTable, FolderError> {
        // A result table, not a loan tape: keep the reader's diagnosis, not its wording.
        let frame = read_frame(path, TapeFormat::Csv).map_err(|e| FolderError::Read {
            path: path.to_path_buf(),
            message: match e {
                crate::book::BookError::Read { message, .. } => message,
                other => other.to_string(),
            },
        })?;
        let rows = frame.height();
        let mut columns = Vec::new();
        for column in frame.columns() {
            let name = column.name().to_string();
            let text = column
                .as_materialized_series()
                .str()
                .map_err(|e| FolderError::Read {
                    path: path.to_path_buf(),
                    message: format!("column `{name}`: {e}"),
                })?
                .iter()
                .map(|v| v.map(str::to_string))
                .collect();
            columns.push((name, text));
        }
        Ok(CsvTable {
            path: path.to_path_buf(),
            columns,
            rows,
        })
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn has(&self, column: &str) -> bool {
        self.columns.iter().any(|(n, _)| n == column)
    }

    fn column(&self, name: &str) -> Result<&[Option<String>], FolderError> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
            .ok_or_else(|| FolderError::Field {
                path: self.path.clone(),
                field: name.into(),
            })
    }

    /// A column as text (missing cells empty).
    pub fn strs(&self, name: &str) -> Result<Vec<String>, FolderError> {
        Ok(self
            .column(name)?
            .iter()
            .map(|v| v.clone().unwrap_or_default())
            .collect())
    }

    /// A column as numbers (missing or unparsable cells NaN).
    pub fn f64s(&self, name: &str) -> Result<Vec<f64>, FolderError> {
        Ok(self
            .column(name)?
            .iter()
            .map(|v| {
                v.as_deref()
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or(f64::NAN)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_columns_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "month,segment,x\n1,all,2.5\n2,all,\n").unwrap();
        let t = CsvTable::read(&path).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.strs("segment").unwrap(), ["all", "all"]);
        let x = t.f64s("x").unwrap();
        assert_eq!(x[0], 2.5);
        assert!(x[1].is_nan());
        assert!(matches!(t.f64s("y"), Err(FolderError::Field { .. })));
    }

    #[test]
    fn refuses_folders_without_a_summary() {
        let dir = tempfile::tempdir().unwrap();
        let err = ResultFolder::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("summary.json"), "{err}");
        let err = ResultFolder::open(&dir.path().join("nope"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no such folder"), "{err}");
    }
}
