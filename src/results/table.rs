//! One row type per table, written to CSV and Parquet and read back through the same list of
//! fields, so a column's name, type and allowed values are stated once.
//!
//! A [`Table`] names its file stem and its [`Field`]s: each field reads a value out of a row
//! (for writing) and puts one into a row (for reading), with the [`Check`] that value must pass
//! on the way in. An [`Estimate`] expands into its columns (`name` for the mean, `name_sd`,
//! `name_se`, `name_p5` ... `name_p99_9`, `name_n`). Undefined numbers (NaN: a recovery rate on
//! a path without defaults) are written as nulls and read back as NaN; a field that may not be
//! undefined refuses a null.
//!
//! Tables are read from their Parquet file (exact, typed); the CSV beside it is the same rows
//! for spreadsheets, and its hash is checked like every other file's.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::metrics::estimate::Estimate;

/// What a value must satisfy when read back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Check {
    /// Any number, NaN (null) included.
    Any,
    /// A finite number; null is refused.
    Finite,
    /// A finite number of at least zero; null is refused.
    NonNegative,
    /// A probability or share, in [0, 1]; null allowed (undefined).
    Probability,
}

impl Check {
    fn accepts(self, value: f64) -> bool {
        match self {
            Check::Any => true,
            Check::Finite => value.is_finite(),
            Check::NonNegative => value.is_finite() && value >= 0.0,
            Check::Probability => value.is_nan() || (-1e-12..=1.0 + 1e-12).contains(&value),
        }
    }
    fn describe(self) -> &'static str {
        match self {
            Check::Any => "a number",
            Check::Finite => "a finite number",
            Check::NonNegative => "a finite number of at least zero",
            Check::Probability => "a probability in [0, 1]",
        }
    }
}

type Get<R, T> = Box<dyn Fn(&R) -> T>;
type Set<R, T> = Box<dyn Fn(&mut R, T)>;

enum Access<R> {
    F64(Get<R, f64>, Set<R, f64>, Check),
    U32(Get<R, u32>, Set<R, u32>),
    U64(Get<R, u64>, Set<R, u64>),
    I32(Get<R, i32>, Set<R, i32>),
    I64(Get<R, i64>, Set<R, i64>),
    /// A whole number kept as `f64` in the row (a count of loans summed in floating point),
    /// stored as `UInt64`: writing a negative, fractional or undefined value is an error.
    Count(Get<R, f64>, Set<R, f64>),
    Bool(Get<R, bool>, Set<R, bool>),
    Text(Get<R, String>, Set<R, String>),
    /// Text that may be absent (null).
    OptText(Get<R, Option<String>>, Set<R, Option<String>>),
    /// A yes/no that may be absent (null): undefined for the reference row of a comparison.
    OptBool(Get<R, Option<bool>>, Set<R, Option<bool>>),
    /// A whole number that may be absent (null): the sale point of a solve's series.
    OptU32(Get<R, Option<u32>>, Set<R, Option<u32>>),
    /// Text that must be one of a fixed list (a closed vocabulary: measures, strategies).
    Choice(Get<R, String>, Set<R, String>, &'static [&'static str]),
}

/// One column of a table.
pub struct Field<R> {
    name: String,
    access: Access<R>,
}

impl<R: 'static> Field<R> {
    pub fn f64(
        name: &str,
        check: Check,
        get: impl Fn(&R) -> f64 + 'static,
        set: impl Fn(&mut R, f64) + 'static,
    ) -> Field<R> {
        Field {
            name: name.into(),
            access: Access::F64(Box::new(get), Box::new(set), check),
        }
    }
    pub fn u32(
        name: &str,
        get: impl Fn(&R) -> u32 + 'static,
        set: impl Fn(&mut R, u32) + 'static,
    ) -> Field<R> {
        Field {
            name: name.into(),
            access: Access::U32(Box::new(get), Box::new(set)),
        }
    }
    pub fn u64(
        name: &str,
        get: impl Fn(&R) -> u64 + 'static,
        set: impl Fn(&mut R, u64) + 'static,
    ) -> Field<R> {
        Field {
            name: name.into(),
            access: Access::U64(Box::new(get), Box::new(set)),
        }
    }
    pub fn i32(
        name: &str,
        get: impl Fn(&R) -> i32 + 'static,
        set: impl Fn(&mut R, i32) + 'static,
    ) -> Field<R> {
        Field {
            name: name.into(),
            access: Access::I32(Box::new(get), Box::new(set)),
        }
    }
    pub fn i64(
        name: &str,
        get: impl Fn(&R) -> i64 + 'static,
        set: impl Fn(&mut R, i64) + 'static,
    ) -> Field<R> {
        Field {
            name: name.into(),
            access: Access::I64(Box::new(get), Box::new(set)),
        }
    }
    /// A count held as `f64` in the row (loans summed in floating point) and stored as
    /// `UInt64`: writing a value that is not a whole number of at least zero is an error.
    pub fn count(
        name: &str,
        get: impl Fn(&R) -> f64 + 'static,
        set: impl Fn(&mut R, f64) + 'static,
    ) -> Field<R> {
        Field {
            name: name.into(),
            access: Access::Count(Box::new(get), Box::new(set)),
        }
    }
    pub fn bool(
        name: &str,
        get: impl Fn(&R) -> bool + 'static,
        set: impl Fn(&mut R, bool) + 'static,
    ) -> Field<R> {
        Field {
            name: name.into(),
            access: Access::Bool(Box::new(get), Box::new(set)),
        }
    }
    pub fn text(
        name: &str,
        get: impl Fn(&R) -> String + 'static,
        set: impl Fn(&mut R, String) + 'static,
    ) -> Field<R> {
        Field {
            name: name.into(),
            access: Access::Text(Box::new(get), Box::new(set)),
        }
    }
    pub fn opt_text(
        name: &str,
        get: impl Fn(&R) -> Option<String> + 'static,
        set: impl Fn(&mut R, Option<String>) + 'static,
    ) -> Field<R> {
        Field {
            name: name.into(),
            access: Access::OptText(Box::new(get), Box::new(set)),
        }
    }
    pub fn opt_bool(
        name: &str,
        get: impl Fn(&R) -> Option<bool> + 'static,
        set: impl Fn(&mut R, Option<bool>) + 'static,
    ) -> Field<R> {
        Field {
            name: name.into(),
            access: Access::OptBool(Box::new(get), Box::new(set)),
        }
    }
    pub fn opt_u32(
        name: &str,
        get: impl Fn(&R) -> Option<u32> + 'static,
        set: impl Fn(&mut R, Option<u32>) + 'static,
    ) -> Field<R> {
        Field {
            name: name.into(),
            access: Access::OptU32(Box::new(get), Box::new(set)),
        }
    }
    pub fn choice(
        name: &str,
        choices: &'static [&'static str],
        get: impl Fn(&R) -> String + 'static,
        set: impl Fn(&mut R, String) + 'static,
    ) -> Field<R> {
        Field {
            name: name.into(),
            access: Access::Choice(Box::new(get), Box::new(set), choices),
        }
    }

    /// The columns of an [`Estimate`]: `name` (mean), `name_sd`, `name_se`, `name_p5`,
    /// `name_p50`, `name_p95`, `name_p99`, `name_p99_9`, `name_n`; `check` applies to the mean
    /// and the percentiles.
    pub fn estimate(
        name: &str,
        check: Check,
        get: impl Fn(&R) -> &Estimate + Clone + 'static,
        get_mut: impl Fn(&mut R) -> &mut Estimate + Clone + 'static,
    ) -> Vec<Field<R>> {
        Field::estimate_named(|part| format!("{name}{part}"), check, get, get_mut)
    }

    /// The columns of a table's one [`Estimate`], unprefixed: `mean`, `sd`, `se`, `p5`, `p50`,
    /// `p95`, `p99`, `p99_9`, `n` (the timeline's).
    pub fn estimate_columns(
        check: Check,
        get: impl Fn(&R) -> &Estimate + Clone + 'static,
        get_mut: impl Fn(&mut R) -> &mut Estimate + Clone + 'static,
    ) -> Vec<Field<R>> {
        let column = |part: &str| match part {
            "" => "mean".to_string(),
            suffix => suffix.trim_start_matches('_').to_string(),
        };
        Field::estimate_named(column, check, get, get_mut)
    }

    /// The columns of an [`Estimate`], each named by `column` from its suffix (`""` for the
    /// mean, `"_sd"`, ..., `"_n"`).
    fn estimate_named(
        column: impl Fn(&str) -> String,
        check: Check,
        get: impl Fn(&R) -> &Estimate + Clone + 'static,
        get_mut: impl Fn(&mut R) -> &mut Estimate + Clone + 'static,
    ) -> Vec<Field<R>> {
        type Part = (&'static str, fn(&Estimate) -> f64, fn(&mut Estimate, f64));
        const PARTS: [Part; 8] = [
            ("", |e| e.mean, |e, v| e.mean = v),
            ("_sd", |e| e.sd, |e, v| e.sd = v),
            ("_se", |e| e.se, |e, v| e.se = v),
            ("_p5", |e| e.p5, |e, v| e.p5 = v),
            ("_p50", |e| e.p50, |e, v| e.p50 = v),
            ("_p95", |e| e.p95, |e, v| e.p95 = v),
            ("_p99", |e| e.p99, |e, v| e.p99 = v),
            ("_p99_9", |e| e.p99_9, |e, v| e.p99_9 = v),
        ];
        let mut fields: Vec<Field<R>> = PARTS
            .iter()
            .map(|&(suffix, read, write)| {
                let (get, get_mut) = (get.clone(), get_mut.clone());
                // Spreads are at least zero or undefined whatever the figure's own check.
                let check = match (suffix, check) {
                    ("_sd" | "_se", _) => Check::Any,
                    (_, c) => c,
                };
                Field::f64(
                    &column(suffix),
                    check,
                    move |r| read(get(r)),
                    move |r, v| write(get_mut(r), v),
                )
            })
            .collect();
        fields.push(Field::u64(
            &column("_n"),
            move |r| get(r).n as u64,
            move |r, v| get_mut(r).n = v as usize,
        ));
        fields
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A [`Field`] of a row type whose column reads and writes one of its fields by that name:
/// `field!(text "sale_point" => point)`, `field!(f64 "face", NonNegative => face)`,
/// `field!(choice "best", STRATEGIES => best)`, `field!(opt_text "stage" => stage)`, and
/// `field!(estimate "value", Any => value)`
/// (a `Vec` of the estimate's columns). Used inside `impl Table for ...`.
macro_rules! field {
    (text $name:literal => $f:ident) => {
        $crate::results::table::Field::text($name, |r: &Self| r.$f.clone(), |r, v| r.$f = v)
    };
    (opt_u32 $name:literal => $f:ident) => {
        $crate::results::table::Field::opt_u32($name, |r: &Self| r.$f, |r, v| r.$f = v)
    };
    (opt_text $name:literal => $f:ident) => {
        $crate::results::table::Field::opt_text($name, |r: &Self| r.$f.clone(), |r, v| r.$f = v)
    };
    (choice $name:literal, $choices:expr => $f:ident) => {
        $crate::results::table::Field::choice(
            $name,
            $choices,
            |r: &Self| r.$f.clone(),
            |r, v| r.$f = v,
        )
    };
    (f64 $name:literal, $check:ident => $f:ident) => {
        $crate::results::table::Field::f64(
            $name,
            $crate::results::table::Check::$check,
            |r: &Self| r.$f,
            |r, v| r.$f = v,
        )
    };
    (estimate $name:literal, $check:ident => $f:ident) => {
        $crate::results::table::Field::estimate(
            $name,
            $crate::results::table::Check::$check,
            |r: &Self| &r.$f,
            |r: &mut Self| &mut r.$f,
        )
    };
    ($kind:ident $name:literal => $f:ident) => {
        $crate::results::table::Field::$kind($name, |r: &Self| r.$f, |r, v| r.$f = v)
    };
}
pub(crate) use field;

/// A table of the result folder: its file stem and its columns, in order.
pub trait Table: Default + Sized + 'static {
    /// The files are `{STEM}.csv` and `{STEM}.parquet`.
    const STEM: &'static str;
    /// One line on what a row is, for `docs/RESULTS.md` and error messages.
    const ROW: &'static str;
    fn fields() -> Vec<Field<Self>>;
}

/// Why a table could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("cannot write `{}`: {message}", path.display())]
    Write { path: PathBuf, message: String },
    #[error("cannot read `{}`: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error("`{}` has no column `{column}`", path.display())]
    MissingColumn { path: PathBuf, column: String },
    #[error("`{}` column `{column}` holds {found}, expected {expected}", path.display())]
    Type {
        path: PathBuf,
        column: String,
        found: String,
        expected: &'static str,
    },
    #[error("`{}` row {row} column `{column}`: {problem}", path.display())]
    Value {
        path: PathBuf,
        row: usize,
        column: String,
        problem: String,
    },
}

/// Largest count a `f64` holds exactly (2^53): a count is a whole number of loans summed in
/// floating point, exact below it.
const MAX_EXACT_COUNT: f64 = 9_007_199_254_740_992.0;

/// A count as the whole number it must be, or why it is not one.
fn whole_count(value: f64) -> Result<u64, String> {
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= MAX_EXACT_COUNT {
        Ok(value as u64)
    } else {
        Err(format!("`{value}` is not a whole number of at least zero"))
    }
}

/// The rows as a polars frame, columns in field order (`path`: the file named in errors).
///
/// A count that is not a whole number of at least zero is an error: counts are whole numbers
/// by construction, so one that is not is a bug upstream, and rounding it would hide it.
pub fn frame<T: Table>(rows: &[T], path: &Path) -> Result<DataFrame, TableError> {
    frame_of(rows, path, T::fields())
}

/// [`frame`] with the columns given, for a table whose columns depend on the run (a sweep's
/// varied keys).
pub fn frame_of<R: 'static>(
    rows: &[R],
    path: &Path,
    fields: Vec<Field<R>>,
) -> Result<DataFrame, TableError> {
    let mut columns = Vec::new();
    for f in fields {
        let name: PlSmallStr = f.name.as_str().into();
        let column = match &f.access {
            Access::F64(get, _, _) => Column::new(
                name,
                rows.iter()
                    .map(|r| Some(get(r)).filter(|v| !v.is_nan()))
                    .collect::<Vec<Option<f64>>>(),
            ),
            Access::U32(get, _) => Column::new(name, rows.iter().map(get).collect::<Vec<u32>>()),
            Access::U64(get, _) => Column::new(name, rows.iter().map(get).collect::<Vec<u64>>()),
            Access::I32(get, _) => Column::new(name, rows.iter().map(get).collect::<Vec<i32>>()),
            Access::I64(get, _) => Column::new(name, rows.iter().map(get).collect::<Vec<i64>>()),
            Access::Count(get, _) => {
                let counts = rows
                    .iter()
                    .enumerate()
                    .map(|(row, r)| {
                        whole_count(get(r)).map_err(|problem| TableError::Value {
                            path: path.to_path_buf(),
                            row: row + 1,
                            column: f.name.clone(),
                            problem,
                        })
                    })
                    .collect::<Result<Vec<u64>, TableError>>()?;
                Column::new(name, counts)
            }
            Access::Bool(get, _) => Column::new(name, rows.iter().map(get).collect::<Vec<bool>>()),
            Access::Text(get, _) => {
                Column::new(name, rows.iter().map(get).collect::<Vec<String>>())
            }
            Access::Choice(get, _, _) => {
                Column::new(name, rows.iter().map(get).collect::<Vec<String>>())
            }
            Access::OptText(get, _) => {
                Column::new(name, rows.iter().map(get).collect::<Vec<Option<String>>>())
            }
            Access::OptBool(get, _) => {
                Column::new(name, rows.iter().map(get).collect::<Vec<Option<bool>>>())
            }
            Access::OptU32(get, _) => {
                Column::new(name, rows.iter().map(get).collect::<Vec<Option<u32>>>())
            }
        };
        columns.push(column);
    }
    DataFrame::new(rows.len(), columns).map_err(|e| TableError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Writes `{STEM}.csv` and `{STEM}.parquet` into `dir`; returns their paths.
pub fn write<T: Table>(dir: &Path, rows: &[T]) -> Result<[PathBuf; 2], TableError> {
    let csv_path = dir.join(format!("{}.csv", T::STEM));
    let parquet_path = dir.join(format!("{}.parquet", T::STEM));
    let mut frame = frame(rows, &parquet_path)?;
    write_frame(&mut frame, &csv_path, &parquet_path)?;
    Ok([csv_path, parquet_path])
}

/// Writes a frame as CSV and Parquet.
pub fn write_frame(
    frame: &mut DataFrame,
    csv_path: &Path,
    parquet_path: &Path,
) -> Result<(), TableError> {
    let fail = |path: &Path, e: &dyn std::fmt::Display| TableError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let file = File::create(csv_path).map_err(|e| fail(csv_path, &e))?;
    CsvWriter::new(file)
        .include_header(true)
        .finish(frame)
        .map_err(|e| fail(csv_path, &e))?;
    let file = File::create(parquet_path).map_err(|e| fail(parquet_path, &e))?;
    ParquetWriter::new(file)
        .finish(frame)
        .map_err(|e| fail(parquet_path, &e))?;
    Ok(())
}

/// Reads a Parquet file into a frame; a file polars cannot decode is an error, not a panic.
pub fn read_parquet(path: &Path) -> Result<DataFrame, TableError> {
    let fail = |message: String| TableError::Read {
        path: path.to_path_buf(),
        message,
    };
    let file = File::open(path).map_err(|e| fail(e.to_string()))?;
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ParquetReader::new(file).finish()
    })) {
        Ok(Ok(frame)) => Ok(frame),
        Ok(Err(e)) => Err(fail(format!("not a readable Parquet file ({e})"))),
        Err(_) => Err(fail("not a readable Parquet file (decoding failed)".into())),
    }
}

/// Reads the rows of `{STEM}.parquet` in `dir`, checking every column's type and every value.
pub fn read<T: Table>(dir: &Path) -> Result<Vec<T>, TableError> {
    let path = dir.join(format!("{}.parquet", T::STEM));
    let frame = read_parquet(&path)?;
    rows_of::<T>(&frame, &path)
}

/// The rows of a frame (named `path` in messages).
pub fn rows_of<T: Table>(frame: &DataFrame, path: &Path) -> Result<Vec<T>, TableError> {
    rows_of_fields(frame, path, T::fields())
}

/// [`rows_of`] with the columns given (see [`frame_of`]).
pub fn rows_of_fields<R: Default + 'static>(
    frame: &DataFrame,
    path: &Path,
    fields: Vec<Field<R>>,
) -> Result<Vec<R>, TableError> {
    let mut rows: Vec<R> = (0..frame.height()).map(|_| R::default()).collect();
    for field in fields {
        let column = frame
            .column(&field.name)
            .map_err(|_| TableError::MissingColumn {
                path: path.to_path_buf(),
                column: field.name.clone(),
            })?
            .as_materialized_series();
        let wrong = |expected: &'static str| TableError::Type {
            path: path.to_path_buf(),
            column: field.name.clone(),
            found: column.dtype().to_string(),
            expected,
        };
        let bad = |row: usize, problem: String| TableError::Value {
            path: path.to_path_buf(),
            row: row + 1,
            column: field.name.clone(),
            problem,
        };
        let null = |row: usize| bad(row, "empty (null), expected a value".into());
        match &field.access {
            Access::F64(_, set, check) => {
                let values = column.f64().map_err(|_| wrong("Float64"))?;
                for (row, (r, v)) in rows.iter_mut().zip(values.iter()).enumerate() {
                    let v = v.unwrap_or(f64::NAN);
                    if !check.accepts(v) {
                        return Err(bad(row, format!("`{v}` is not {}", check.describe())));
                    }
                    set(r, v);
                }
            }
            Access::U32(_, set) => {
                let values = column.u32().map_err(|_| wrong("UInt32"))?;
                for (row, (r, v)) in rows.iter_mut().zip(values.iter()).enumerate() {
                    set(r, v.ok_or_else(|| null(row))?);
                }
            }
            Access::U64(_, set) => {
                let values = column.u64().map_err(|_| wrong("UInt64"))?;
                for (row, (r, v)) in rows.iter_mut().zip(values.iter()).enumerate() {
                    set(r, v.ok_or_else(|| null(row))?);
                }
            }
            Access::I32(_, set) => {
                let values = column.i32().map_err(|_| wrong("Int32"))?;
                for (row, (r, v)) in rows.iter_mut().zip(values.iter()).enumerate() {
                    set(r, v.ok_or_else(|| null(row))?);
                }
            }
            Access::I64(_, set) => {
                let values = column.i64().map_err(|_| wrong("Int64"))?;
                for (row, (r, v)) in rows.iter_mut().zip(values.iter()).enumerate() {
                    set(r, v.ok_or_else(|| null(row))?);
                }
            }
            Access::Count(_, set) => {
                let values = column.u64().map_err(|_| wrong("UInt64"))?;
                for (row, (r, v)) in rows.iter_mut().zip(values.iter()).enumerate() {
                    let v = v.ok_or_else(|| null(row))?;
                    // Beyond 2^53 the count would not come back as the same number.
                    if v as f64 > MAX_EXACT_COUNT {
                        return Err(bad(row, format!("`{v}` is too large a count")));
                    }
                    set(r, v as f64);
                }
            }
            Access::Bool(_, set) => {
                let values = column.bool().map_err(|_| wrong("Boolean"))?;
                for (row, (r, v)) in rows.iter_mut().zip(values.iter()).enumerate() {
                    set(r, v.ok_or_else(|| null(row))?);
                }
            }
            Access::Text(_, set) => {
                let values = column.str().map_err(|_| wrong("String"))?;
                for (row, (r, v)) in rows.iter_mut().zip(values.iter()).enumerate() {
                    set(r, v.ok_or_else(|| null(row))?.to_string());
                }
            }
            Access::OptText(_, set) => {
                let values = column.str().map_err(|_| wrong("String"))?;
                for (r, v) in rows.iter_mut().zip(values.iter()) {
                    set(r, v.map(str::to_string));
                }
            }
            Access::OptBool(_, set) => {
                let values = column.bool().map_err(|_| wrong("Boolean"))?;
                for (r, v) in rows.iter_mut().zip(values.iter()) {
                    set(r, v);
                }
            }
            Access::OptU32(_, set) => {
                let values = column.u32().map_err(|_| wrong("UInt32"))?;
                for (r, v) in rows.iter_mut().zip(values.iter()) {
                    set(r, v);
                }
            }
            Access::Choice(_, set, choices) => {
                let values = column.str().map_err(|_| wrong("String"))?;
                for (row, (r, v)) in rows.iter_mut().zip(values.iter()).enumerate() {
                    let v = v.ok_or_else(|| null(row))?;
                    if !choices.contains(&v) {
                        return Err(bad(
                            row,
                            format!("`{v}` is not one of {}", choices.join(", ")),
                        ));
                    }
                    set(r, v.to_string());
                }
            }
        }
    }
    Ok(rows)
}
