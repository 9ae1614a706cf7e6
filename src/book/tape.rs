//! Loan tapes: reads a CSV or Parquet file of loans (polars, eager API) into a [`LoanBook`],
//! checking every row against the model.
//!
//! This module owns the tape format: which columns are read, how each is typed and checked, and
//! the wording of every problem. It reports all problems at once (up to [`MAX_PROBLEMS`]), each
//! naming the row and the column, so a credit analyst can fix a tape in one pass instead of one
//! error per run. Columns not listed here are ignored: production tapes carry dozens of them.
//!
//! Columns:
//! - `loan_id` (text or integer, required, unique);
//! - `segment` (text, required): the name of one of the model's segments;
//! - `balance` (number, required, finite, >= 0);
//! - `apr` (number, required, annual rate as a fraction, in `[0, 10]`);
//! - `remaining_term` (whole months, required, >= 0; >= 1 for instalment segments);
//! - exactly one of `state` (name of `current` or a delinquency bucket) or `days_past_due`
//!   (whole days, >= 0, mapped to the bucket holding it);
//! - `months_on_book` (whole months, optional, >= 0, default 0);
//! - `vintage` (text, optional: the loan's origination cohort, e.g. `2025-03`; default: the
//!   origination month relative to the start, `-months_on_book`);
//! - `credit_limit` (number, optional, revolving segments only: >= balance, default the
//!   balance; instalment loans store 0 whatever the tape says);
//! - `count` (whole number, optional, >= 1): the row is a cell of `count` identical loans,
//!   `balance` and `credit_limit` per loan. With the column every cell must hold a count (an
//!   empty cell is an error, not 1: a cell tape that lost a count would lose loans silently).
//!   A tape with this column is a cell tape, simulated as given ([`super::cells`] leaves it
//!   alone).
//!
//! CSV tapes are read with every column as text and converted here, so loan ids keep their
//! leading zeros and a stray word in a numeric column is reported with its row instead of
//! failing the whole read at polars' type inference. Rows with every cell empty (blank lines,
//! the `,,,,` rows spreadsheets leave behind) are skipped but still counted in row numbers.

use indexmap::IndexMap;
use std::fs::File;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use polars::prelude::*;

use super::{BookError, Loan, LoanBook};
use crate::model::{Model, Product, StateId, StateKind};

/// Problems listed in full before the rest are only counted.
pub const MAX_PROBLEMS: usize = 50;

/// Highest APR accepted: 1000% a year covers payday lending; anything above is almost surely a
/// percentage typed where a fraction was expected.
const MAX_APR: f64 = 10.0;

/// Column names of the tape format.
pub mod columns {
    pub const LOAN_ID: &str = "loan_id";
    pub const SEGMENT: &str = "segment";
    pub const BALANCE: &str = "balance";
    pub const APR: &str = "apr";
    pub const REMAINING_TERM: &str = "remaining_term";
    pub const STATE: &str = "state";
    pub const DAYS_PAST_DUE: &str = "days_past_due";
    pub const MONTHS_ON_BOOK: &str = "months_on_book";
    pub const CREDIT_LIMIT: &str = "credit_limit";
    pub const VINTAGE: &str = "vintage";
    pub const COUNT: &str = "count";

    /// Columns every tape must have (besides one of `state` / `days_past_due`).
    pub const REQUIRED: [&str; 5] = [LOAN_ID, SEGMENT, BALANCE, APR, REMAINING_TERM];
}
use columns::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TapeFormat {
    Csv,
    Parquet,
}

/// Reads the loan tape at `path` and checks it against `model`.
///
/// The format is chosen by extension (`.csv` or `.parquet`, any case). Returns
/// [`BookError::Read`] when the file cannot be read at all and [`BookError::Invalid`] with every
/// problem found (row and column named) when its contents do not make a valid book.
pub fn read(path: &Path, model: &Model) -> Result<LoanBook, BookError> {
    read_tape(path, model).map(|tape| tape.book)
}

/// A tape as read: its book, and whether it had a `count` column (a cell tape, even when every
/// count is 1).
#[derive(Debug, Clone)]
pub struct Tape {
    pub book: LoanBook,
    pub has_count: bool,
}

/// [`read`], also telling whether the tape is a cell tape.
pub fn read_tape(path: &Path, model: &Model) -> Result<Tape, BookError> {
    check_input(path)?;
    let format = format_of(path)?;
    let frame = read_frame(path, format)?;
    let has_count = frame.column(COUNT).is_ok();
    let book = validate(path, format, &frame, model)?;
    Ok(Tape { book, has_count })
}

fn read_error(path: &Path, message: impl Into<String>) -> BookError {
    BookError::Read {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

pub(crate) fn format_of(path: &Path) -> Result<TapeFormat, BookError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("csv") => Ok(TapeFormat::Csv),
        Some("parquet") => Ok(TapeFormat::Parquet),
        other => {
            let found = match other {
                Some(ext) => format!("the extension `.{ext}` is not supported"),
                None => "the file name has no extension".to_string(),
            };
            Err(read_error(
                path,
                format!(
                    "{found}; the file must be a `.csv` or `.parquet` file \
                     (export spreadsheets as CSV, UTF-8)"
                ),
            ))
        }
    }
}

/// Opens and parses the file. Polars is third-party code parsing untrusted bytes, so a panic
/// inside it is caught and reported as an unreadable file rather than aborting the run.
pub(crate) fn read_frame(path: &Path, format: TapeFormat) -> Result<DataFrame, BookError> {
    crate::input::check_regular(path).map_err(|m| read_error(path, m))?;
    if format == TapeFormat::Csv {
        let bytes = std::fs::read(path).map_err(|e| read_error(path, describe_io_error(&e)))?;
        csv_shape(&bytes).map_err(|message| read_error(path, message))?;
    }
    let file = File::open(path).map_err(|e| read_error(path, describe_io_error(&e)))?;
    let parsed = catch_unwind(AssertUnwindSafe(|| match format {
        // Every column as text (no inference): see the module documentation.
        TapeFormat::Csv => CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .into_reader_with_file_handle(file)
            .finish(),
        TapeFormat::Parquet => ParquetReader::new(file).finish(),
    }));
    match parsed {
        Ok(Ok(frame)) => Ok(frame),
        Ok(Err(error)) => Err(read_error(path, describe_polars_error(&error, format))),
        Err(_) => Err(read_error(
            path,
            match format {
                TapeFormat::Csv => "polars failed while parsing it; is it really a CSV file?",
                TapeFormat::Parquet => {
                    "polars failed while decoding it; the Parquet file may be corrupt"
                }
            },
        )),
    }
}

/// Refuses what is not a regular file (a directory, `/dev/zero`, a FIFO) before it is read,
/// and says so when the path is a symbolic link rather than following it silently.
pub(crate) fn check_input(path: &Path) -> Result<(), BookError> {
    let checked = crate::input::check_regular(path).map_err(|m| read_error(path, m))?;
    if let Some(target) = checked.link_to {
        eprintln!(
            "note: `{}` is a symbolic link; reading `{}`",
            path.display(),
            target.display()
        );
    }
    Ok(())
}

/// Problems with a CSV file's shape that polars reports badly or not at all: a file separated
/// by semicolons (European spreadsheets), and a quote that is never closed (polars would
/// read the rest of the file as one field and echo it).
fn csv_shape(bytes: &[u8]) -> Result<(), String> {
    let header_end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    let header = &bytes[..header_end];
    let count = |c: u8| header.iter().filter(|&&b| b == c).count();
    if count(b',') == 0 && count(b';') > 0 {
        return Err(format!(
            "the file is separated by semicolons (`;`), as spreadsheets set to a European locale save CSV ({} semicolons in the header); arrears reads comma-separated files: save it as \"CSV UTF-8 (comma delimited)\" or replace the separators",
            count(b';')
        ));
    }
    let (mut line, mut open_line, mut quoted) = (1usize, 0usize, false);
    for &b in bytes {
        match b {
            b'"' => {
                quoted = !quoted;
                if quoted {
                    open_line = line;
                }
            }
            b'\n' => line += 1,
            _ => {}
        }
    }
    if quoted {
        return Err(format!(
            "line {open_line} opens a quoted field (`\"`) that is never closed, so the rest of the file would be one field; close the quote or remove it"
        ));
    }
    Ok(())
}

fn describe_io_error(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file (check the path in the scenario)".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => error.to_string(),
    }
}

/// Polars' messages are written for its Python users (they suggest keyword arguments such as
/// `truncate_ragged_lines=True`); keep the diagnosis, drop the Python advice, and say what kind
/// of file we expected.
fn describe_polars_error(error: &PolarsError, format: TapeFormat) -> String {
    if let PolarsError::IO { error, .. } = error {
        return describe_io_error(error);
    }
    let text = error.to_string();
    let diagnosis: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .filter(|line| {
            let line = line.to_ascii_lowercase();
            !line.contains("=true") && !line.contains("=false")
        })
        .filter(|line| !line.starts_with("This error occurred with the following context stack"))
        .collect();
    let diagnosis = if diagnosis.is_empty() {
        "no details given".to_string()
    } else {
        // Polars quotes the offending text, which can be the rest of the file.
        crate::input::snippet(&diagnosis.join("; "), 300)
    };
    let lower = diagnosis.to_ascii_lowercase();
    match format {
        _ if matches!(error, PolarsError::NoData(_)) || lower.starts_with("empty") => {
            format!(
                "the file is empty; a tape needs a header row and one row per loan ({diagnosis})"
            )
        }
        TapeFormat::Csv if lower.contains("utf-8") || lower.contains("utf8") => format!(
            "the file is not UTF-8 text; is it a spreadsheet or a compressed file? \
             Export it as CSV, UTF-8 ({diagnosis})"
        ),
        TapeFormat::Csv if lower.contains("more fields") => format!(
            "a line has more fields than the header; quote values that contain the separator \
             (a comma) and check the file is comma-separated ({diagnosis})"
        ),
        TapeFormat::Csv => format!("it could not be parsed as CSV: {diagnosis}"),
        TapeFormat::Parquet => format!("it is not a readable Parquet file: {diagnosis}"),
    }
}

/// Problems found in the tape: the first [`MAX_PROBLEMS`] in full, the rest counted.
#[derive(Default)]
struct Problems {
    shown: Vec<String>,
    more: usize,
}

impl Problems {
    fn push(&mut self, problem: String) {
        if self.shown.len() < MAX_PROBLEMS {
            self.shown.push(problem);
        } else {
            self.more += 1;
        }
    }

    fn is_empty(&self) -> bool {
        self.shown.is_empty()
    }

    fn into_list(mut self) -> Vec<String> {
        if self.more > 0 {
            let plural = if self.more == 1 { "" } else { "s" };
            self.shown
                .push(format!("... and {} more problem{plural}", self.more));
        }
        self.shown
    }
}

/// Names a cell the way the analyst will look for it: data rows from 1, and for CSV the line
/// in the file (the header is line 1).
#[derive(Clone, Copy)]
struct Locator {
    format: TapeFormat,
}

impl Locator {
    fn cell(self, row: usize, column: &str) -> String {
        let number = row + 1;
        match self.format {
            TapeFormat::Csv => format!(
                "row {number} (line {} of the CSV), column `{column}`",
                number + 1
            ),
            TapeFormat::Parquet => format!("row {number}, column `{column}`"),
        }
    }

    fn row(self, row: usize) -> String {
        let number = row + 1;
        match self.format {
            TapeFormat::Csv => format!("row {number} (line {} of the CSV)", number + 1),
            TapeFormat::Parquet => format!("row {number}"),
        }
    }
}

/// One cell of a numeric column.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Number<'a> {
    Missing,
    Value(f64),
    /// Text that does not parse as a number, as written (trimmed).
    Text(&'a str),
}

/// Text cells trimmed; empty or blank cells count as missing.
fn text_cells(column: &StringChunked) -> Vec<Option<&str>> {
    column
        .iter()
        .map(|cell| cell.map(str::trim).filter(|s| !s.is_empty()))
        .collect()
}

/// A column of identifiers or names as text. Integer columns are accepted and formatted as
/// decimal strings (loan ids are often integers in databases). `None` when the column is absent
/// or of another type (reported).
fn text_column(frame: &DataFrame, name: &str, problems: &mut Problems) -> Option<StringChunked> {
    let column = frame.column(name).ok()?;
    let dtype = column.dtype();
    if !(dtype.is_string() || dtype.is_integer() || dtype.is_null()) {
        problems.push(format!(
            "column `{name}`: has type {dtype}; expected text{}",
            if name == LOAN_ID { " or integers" } else { "" }
        ));
        return None;
    }
    column
        .cast(&DataType::String)
        .and_then(|cast| cast.str().cloned())
        .map_err(|error| problems.push(format!("column `{name}`: cannot be read as text: {error}")))
        .ok()
}

/// A numeric column as 64-bit floats. Integer and float columns are cast by polars; text
/// columns (every CSV column) are cast non-strictly and each cell that was present before the
/// cast but null after it is kept as [`Number::Text`], so the row can be reported instead of
/// silently becoming missing. `None` when absent or of a non-numeric type (reported).
fn number_column<'a>(
    frame: &'a DataFrame,
    name: &str,
    problems: &mut Problems,
) -> Option<Vec<Number<'a>>> {
    let column = frame.column(name).ok()?;
    let dtype = column.dtype();
    let numbers = if dtype.is_primitive_numeric() || dtype.is_decimal() || dtype.is_null() {
        numbers_from_numeric(column)
    } else if dtype.is_string() {
        numbers_from_text(column)
    } else {
        problems.push(format!(
            "column `{name}`: has type {dtype}; expected numbers (integer or float)"
        ));
        return None;
    };
    numbers
        .map_err(|error| {
            problems.push(format!(
                "column `{name}`: cannot be read as numbers (type {dtype}): {error}"
            ))
        })
        .ok()
}

fn numbers_from_numeric(column: &Column) -> PolarsResult<Vec<Number<'static>>> {
    let cast = column.cast(&DataType::Float64)?;
    Ok(cast
        .f64()?
        .iter()
        .map(|v| v.map_or(Number::Missing, Number::Value))
        .collect())
}

fn numbers_from_text(column: &Column) -> PolarsResult<Vec<Number<'_>>> {
    let cells = text_cells(column.str()?);
    let trimmed: StringChunked = cells.iter().copied().collect();
    // Non-strict: unparsable cells become null, and are told apart from empty cells below.
    let parsed = trimmed.into_series().cast(&DataType::Float64)?;
    Ok(cells
        .iter()
        .zip(parsed.f64()?.iter())
        .map(|(text, value)| match (text, value) {
            (None, _) => Number::Missing,
            (Some(_), Some(value)) => Number::Value(value),
            (Some(text), None) => Number::Text(text),
        })
        .collect())
}

/// What is wrong with a number that should be a whole count (months, days), if anything.
fn whole_count(value: f64) -> Result<u32, String> {
    if !value.is_finite() {
        Err(format!("{value} is not a finite number"))
    } else if value < 0.0 {
        Err(format!("{value} is negative"))
    } else if value.fract() != 0.0 {
        Err(format!("{value} is not a whole number"))
    } else if value > f64::from(u32::MAX) {
        Err(format!("{value} is too large"))
    } else {
        // Whole, non-negative and at most u32::MAX: the conversion is exact.
        Ok(value as u32)
    }
}

/// Largest count accepted: counts travel as `f64` through polars, which holds whole numbers
/// exactly up to 2^53; a billion billion loans is no loan book anyway.
const MAX_COUNT: f64 = 9_007_199_254_740_992.0;

/// What is wrong with a number that should be a cell's count of loans, if anything.
fn loan_count(value: f64) -> Result<u64, String> {
    if !value.is_finite() {
        Err(format!("{value} is not a finite number"))
    } else if value < 0.0 {
        Err(format!("{value} is negative"))
    } else if value.fract() != 0.0 {
        Err(format!("{value} is not a whole number"))
    } else if value == 0.0 {
        Err("0 loans (drop rows without loans)".to_string())
    } else if value > MAX_COUNT {
        Err(format!("{value} is too large"))
    } else {
        // Whole, positive and at most 2^53: the conversion is exact.
        Ok(value as u64)
    }
}

/// Message for a text cell in a numeric column. For CSV every column is text, so the useful
/// detail is the value; for Parquet the column's stored type is the likely cause.
/// A required numeric cell: reports a missing, non-numeric or non-finite value (naming the cell
/// `at` and saying why the column is needed) and returns the number otherwise; the column's
/// own range rules come after.
fn required_number(
    cell: Option<Number<'_>>,
    at: &str,
    needed: &str,
    format: TapeFormat,
    problems: &mut Problems,
) -> Option<f64> {
    match cell? {
        Number::Missing => {
            problems.push(format!("{at}: missing; {needed}"));
            None
        }
        Number::Text(text) => {
            problems.push(format!("{at}: {}", not_a_number(text, format)));
            None
        }
        Number::Value(value) if !value.is_finite() => {
            problems.push(format!("{at}: {value} is not a finite number"));
            None
        }
        Number::Value(value) => Some(value),
    }
}

fn not_a_number(text: &str, format: TapeFormat) -> String {
    match format {
        TapeFormat::Csv => format!(
            "`{text}` is not a number (write plain numbers: no currency signs, \
             thousands separators or percent signs)"
        ),
        TapeFormat::Parquet => format!(
            "`{text}` is not a number (the column has type str; store it as a numeric type)"
        ),
    }
}

/// Up to 20 names, then a count, for "columns found" lists of wide tapes.
pub(crate) fn list_names<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    let mut listed: Vec<String> = names
        .iter()
        .take(20)
        .map(|n| format!("`{}`", crate::input::snippet(n, 40)))
        .collect();
    if names.len() > 20 {
        listed.push(format!("and {} more", names.len() - 20));
    }
    if listed.is_empty() {
        "none".to_string()
    } else {
        listed.join(", ")
    }
}

/// A found column that is probably the wanted one, misspelt by case, spacing or dashes.
fn near_miss<'a>(found: &[&'a str], wanted: &str) -> Option<&'a str> {
    found
        .iter()
        .copied()
        .find(|f| f.trim().to_ascii_lowercase().replace([' ', '-'], "_") == wanted)
}

fn validate(
    path: &Path,
    format: TapeFormat,
    frame: &DataFrame,
    model: &Model,
) -> Result<LoanBook, BookError> {
    let locate = Locator { format };
    let mut problems = Problems::default();
    let space = &model.space;

    // Column presence first: one problem per missing column, each listing what was found.
    let found: Vec<&str> = frame
        .get_column_names()
        .into_iter()
        .map(|n| n.as_str())
        .collect();
    let has = |name: &str| found.contains(&name);
    // A file with none of the tape's columns is not a tape (a wrong path, a symbolic link to
    // some other file): say so without echoing its first line, which may be anything.
    if !REQUIRED
        .iter()
        .chain(&[STATE, DAYS_PAST_DUE])
        .any(|n| has(n))
    {
        return Err(BookError::Invalid {
            path: path.to_path_buf(),
            problems: vec![format!(
                "none of the tape's columns ({}) is in the first line, so it is not a tape header ({} column{} found, not shown)",
                list_names(REQUIRED),
                found.len(),
                if found.len() == 1 { "" } else { "s" }
            )],
            hint: hint(format),
        });
    }
    for name in REQUIRED {
        if !has(name) {
            let hint = match near_miss(&found, name) {
                Some(similar) => {
                    format!(" (found `{similar}`; column names are exact and lower-case)")
                }
                None => String::new(),
            };
            problems.push(format!(
                "column `{name}` is missing{hint}; the tape has columns: {}",
                list_names(found.iter().copied())
            ));
        }
    }
    // Polars renames a repeated CSV header `x` to `x_duplicated_0`; which copy is meant is a
    // guess we should not make for documented columns.
    for name in REQUIRED
        .iter()
        .chain(&[STATE, DAYS_PAST_DUE, MONTHS_ON_BOOK, CREDIT_LIMIT, COUNT])
    {
        if has(&format!("{name}_duplicated_0")) {
            problems.push(format!(
                "column `{name}` appears more than once in the header; keep one"
            ));
        }
    }
    let by_state = has(STATE);
    let by_dpd = has(DAYS_PAST_DUE);
    match (by_state, by_dpd) {
        (true, true) => problems.push(format!(
            "columns `{STATE}` and `{DAYS_PAST_DUE}` are both present; give exactly one: \
             either name each loan's starting state or give its days past due"
        )),
        (false, false) => problems.push(format!(
            "neither `{STATE}` nor `{DAYS_PAST_DUE}` is present; one is needed to set each \
             loan's starting state; the tape has columns: {}",
            list_names(found.iter().copied())
        )),
        _ => {}
    }
    let state_source_ok = by_state != by_dpd;

    // Typed views of the columns; `None` for an absent or mistyped column (already reported),
    // in which case the rules that need it are skipped row by row.
    let loan_id_text = text_column(frame, LOAN_ID, &mut problems);
    let segment_text = text_column(frame, SEGMENT, &mut problems);
    let state_text = if state_source_ok {
        text_column(frame, STATE, &mut problems)
    } else {
        None
    };
    let loan_ids = loan_id_text.as_ref().map(text_cells);
    let segments = segment_text.as_ref().map(text_cells);
    let states = state_text.as_ref().map(text_cells);
    let balances = number_column(frame, BALANCE, &mut problems);
    let aprs = number_column(frame, APR, &mut problems);
    let terms = number_column(frame, REMAINING_TERM, &mut problems);
    let days_past_due = if state_source_ok {
        number_column(frame, DAYS_PAST_DUE, &mut problems)
    } else {
        None
    };
    let months_on_book = number_column(frame, MONTHS_ON_BOOK, &mut problems);
    let vintage_text = text_column(frame, VINTAGE, &mut problems);
    let vintages = vintage_text.as_ref().map(text_cells);
    let credit_limits = number_column(frame, CREDIT_LIMIT, &mut problems);
    let counts = number_column(frame, COUNT, &mut problems);

    let segment_index: IndexMap<&str, (u16, &Product)> = model
        .segments
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((s.name.as_str(), (u16::try_from(i).ok()?, &s.product))))
        .collect();
    let known_segments = list_names(model.segments.iter().map(|s| s.name.as_str()));
    let starting_states = list_names(
        space
            .on_book()
            .filter(|&id| !model.is_trigger(id))
            .map(|id| space.name(id)),
    );

    let height = frame.height();
    let blank = blank_rows(frame);
    let loan_rows = height - blank.iter().filter(|&&b| b).count();
    if loan_rows == 0 {
        problems.push("the tape has no loans (only a header)".to_string());
    }
    let mut first_row_of_id: IndexMap<&str, usize> = IndexMap::with_capacity(height);
    let mut book = LoanBook::default();

    for row in 0..height {
        // Blank lines and the `,,,,` rows spreadsheets leave at the end are not loans. They
        // still count in the row numbers, which follow the file.
        if blank[row] {
            continue;
        }
        let at = |column: &str| locate.cell(row, column);

        let loan_id = match loan_ids.as_ref().map(|ids| ids[row]) {
            None => None,
            Some(None) => {
                problems.push(format!("{}: missing; every loan needs an id", at(LOAN_ID)));
                None
            }
            Some(Some(id)) => match first_row_of_id.get(id) {
                Some(&first) => {
                    problems.push(format!(
                        "{}: `{id}` is a duplicate of {}; loan ids must be unique",
                        at(LOAN_ID),
                        locate.row(first)
                    ));
                    None
                }
                None => {
                    first_row_of_id.insert(id, row);
                    Some(id)
                }
            },
        };

        let segment = match segments.as_ref().map(|s| s[row]) {
            None => None,
            Some(None) => {
                problems.push(format!(
                    "{}: missing; known segments: {known_segments}",
                    at(SEGMENT)
                ));
                None
            }
            Some(Some(name)) => match segment_index.get(name) {
                Some(&(index, product)) => Some((index, product)),
                None => {
                    problems.push(format!(
                        "{}: `{name}` is not a segment of the model; known segments: {known_segments}",
                        at(SEGMENT)
                    ));
                    None
                }
            },
        };
        let revolving = segment.map(|(_, product)| matches!(product, Product::Revolving { .. }));

        let balance = required_number(
            balances.as_ref().map(|b| b[row]),
            &at(BALANCE),
            "every loan needs a balance",
            format,
            &mut problems,
        )
        .and_then(|value| {
            if value < 0.0 {
                problems.push(format!(
                    "{}: {value} is negative; balances are amounts owed, at least 0 \
                     (credit balances are not simulated)",
                    at(BALANCE)
                ));
                return None;
            }
            if value > super::MAX_AMOUNT {
                problems.push(format!(
                    "{}: {value:e} is above 1e12, the largest balance arrears accepts \
                     (larger ones would overflow the sums); is the column in the smallest \
                     currency unit, or corrupt?",
                    at(BALANCE)
                ));
                return None;
            }
            Some(value)
        });

        let apr = required_number(
            aprs.as_ref().map(|a| a[row]),
            &at(APR),
            "every loan needs an APR",
            format,
            &mut problems,
        )
        .and_then(|value| {
            if value < 0.0 {
                problems.push(format!(
                    "{}: {value} is negative; APRs are at least 0",
                    at(APR)
                ));
                return None;
            }
            if value > MAX_APR {
                problems.push(format!(
                    "{}: {value} is above {MAX_APR}; the APR is an annual rate as a fraction \
                     (0.24 for 24%), was a percentage given?",
                    at(APR)
                ));
                return None;
            }
            Some(value)
        });

        let remaining_term = match terms.as_ref().map(|t| t[row]) {
            None => None,
            Some(Number::Missing) => {
                problems.push(format!(
                    "{}: missing; every loan needs its remaining term in months (0 for revolving lines)",
                    at(REMAINING_TERM)
                ));
                None
            }
            Some(Number::Text(text)) => {
                problems.push(format!(
                    "{}: {}",
                    at(REMAINING_TERM),
                    not_a_number(text, format)
                ));
                None
            }
            Some(Number::Value(value)) => match whole_count(value) {
                Err(why) => {
                    problems.push(format!(
                        "{}: {why}; the remaining term is a whole number of months, at least 0",
                        at(REMAINING_TERM)
                    ));
                    None
                }
                Ok(0) if revolving == Some(false) => {
                    problems.push(format!(
                        "{}: 0 months left on an instalment loan; instalment loans need at \
                         least 1 month of term (a loan at the end of its term has paid off or \
                         is in arrears with a term left to run)",
                        at(REMAINING_TERM)
                    ));
                    None
                }
                Ok(months) => Some(months),
            },
        };

        let months_on_book = match months_on_book.as_ref().map(|m| m[row]) {
            // Optional column: absent or empty means a loan just originated.
            None | Some(Number::Missing) => Some(0),
            Some(Number::Text(text)) => {
                problems.push(format!(
                    "{}: {}",
                    at(MONTHS_ON_BOOK),
                    not_a_number(text, format)
                ));
                None
            }
            Some(Number::Value(value)) => match whole_count(value) {
                Ok(months) => Some(months),
                Err(why) => {
                    problems.push(format!(
                        "{}: {why}; months on book is a whole number of months, at least 0",
                        at(MONTHS_ON_BOOK)
                    ));
                    None
                }
            },
        };

        let state = if let Some(states) = &states {
            match states[row] {
                None => {
                    problems.push(format!(
                        "{}: missing; starting states: {starting_states}",
                        at(STATE)
                    ));
                    None
                }
                Some(name) => match space.id(name) {
                    None => {
                        problems.push(format!(
                            "{}: `{name}` is not a state of the model; starting states: {starting_states}",
                            at(STATE)
                        ));
                        None
                    }
                    Some(id) => check_starting_state(model, id, &starting_states)
                        .map_err(|why| problems.push(format!("{}: {why}", at(STATE))))
                        .ok(),
                },
            }
        } else if let Some(days) = &days_past_due {
            match days[row] {
                Number::Missing => {
                    problems.push(format!(
                        "{}: missing; give 0 for loans that are current",
                        at(DAYS_PAST_DUE)
                    ));
                    None
                }
                Number::Text(text) => {
                    problems.push(format!(
                        "{}: {}",
                        at(DAYS_PAST_DUE),
                        not_a_number(text, format)
                    ));
                    None
                }
                Number::Value(value) => match whole_count(value) {
                    Err(why) => {
                        problems.push(format!(
                            "{}: {why}; days past due is a whole number of days, at least 0",
                            at(DAYS_PAST_DUE)
                        ));
                        None
                    }
                    Ok(days) => match space.state_for_dpd(days) {
                        None => {
                            problems.push(format!(
                                "{}: no state of the model covers {days} days past due; the \
                                 buckets cover: {}",
                                at(DAYS_PAST_DUE),
                                bucket_ranges(model)
                            ));
                            None
                        }
                        Some(id) => check_starting_state(model, id, &starting_states)
                            .map_err(|why| {
                                problems.push(format!(
                                    "{}: {days} days past due falls in {why}",
                                    at(DAYS_PAST_DUE)
                                ))
                            })
                            .ok(),
                    },
                },
            }
        } else {
            None
        };

        // Instalment loans have no limit; only revolving lines need (and are checked for) one.
        let credit_limit = match (revolving, balance) {
            (Some(true), balance) => {
                match credit_limits.as_ref().map_or(Number::Missing, |c| c[row]) {
                    Number::Missing => balance,
                    Number::Text(text) => {
                        problems.push(format!(
                            "{}: {}",
                            at(CREDIT_LIMIT),
                            not_a_number(text, format)
                        ));
                        None
                    }
                    Number::Value(limit) if !limit.is_finite() => {
                        problems.push(format!(
                            "{}: {limit} is not a finite number",
                            at(CREDIT_LIMIT)
                        ));
                        None
                    }
                    Number::Value(limit) if limit > super::MAX_AMOUNT => {
                        problems.push(format!(
                            "{}: {limit:e} is above 1e12, the largest amount arrears accepts",
                            at(CREDIT_LIMIT)
                        ));
                        None
                    }
                    Number::Value(limit) => match balance {
                        Some(balance) if limit < balance => {
                            problems.push(format!(
                                "{}: {limit} is below the balance {balance}; a revolving line's \
                                 limit is at least its balance",
                                at(CREDIT_LIMIT)
                            ));
                            None
                        }
                        _ => Some(limit),
                    },
                }
            }
            _ => Some(0.0),
        };

        let count = match counts.as_ref().map(|c| c[row]) {
            // Optional column: absent means one loan a row.
            None => Some(1),
            Some(Number::Missing) => {
                problems.push(format!(
                    "{}: missing; with a `{COUNT}` column every row gives its number of loans \
                     (1 for a single loan)",
                    at(COUNT)
                ));
                None
            }
            Some(Number::Text(text)) => {
                problems.push(format!("{}: {}", at(COUNT), not_a_number(text, format)));
                None
            }
            Some(Number::Value(value)) => match loan_count(value) {
                Ok(count) => Some(count),
                Err(why) => {
                    problems.push(format!(
                        "{}: {why}; the count is the whole number of identical loans in the \
                         row, at least 1",
                        at(COUNT)
                    ));
                    None
                }
            },
        };

        if let (
            Some(loan_id),
            Some((segment, _)),
            Some(balance),
            Some(apr),
            Some(remaining_term),
            Some(months_on_book),
            Some(state),
            Some(credit_limit),
            Some(count),
        ) = (
            loan_id,
            segment,
            balance,
            apr,
            remaining_term,
            months_on_book,
            state,
            credit_limit,
            count,
        ) {
            // Once the tape is known to be invalid the book is thrown away; stop building it.
            if problems.is_empty() {
                book.push(Loan {
                    loan_id: loan_id.to_string(),
                    segment,
                    balance,
                    apr,
                    remaining_term,
                    months_on_book,
                    state,
                    credit_limit,
                    // An empty cell falls back to the origination month from months on book.
                    vintage: vintages.as_ref().and_then(|v| v[row]).map(str::to_string),
                    count,
                });
            }
        }
    }

    if problems.is_empty() {
        Ok(book)
    } else {
        Err(BookError::Invalid {
            path: path.to_path_buf(),
            problems: problems.into_list(),
            hint: hint(format),
        })
    }
}

/// Rows in which every cell (every column, documented or not) is null or blank text.
fn blank_rows(frame: &DataFrame) -> Vec<bool> {
    let mut blank = vec![true; frame.height()];
    for column in frame.columns() {
        let cells: Vec<bool> = match column.str() {
            Ok(text) => text
                .iter()
                .map(|c| c.is_none_or(|c| c.trim().is_empty()))
                .collect(),
            Err(_) => column.is_null().iter().map(|c| c.unwrap_or(true)).collect(),
        };
        for (row_blank, cell_blank) in blank.iter_mut().zip(cells) {
            *row_blank &= cell_blank;
        }
    }
    blank
}

/// Why `id` cannot start a loan, if it cannot: terminal states are outcomes, and trigger
/// buckets are never occupied (a loan entering one leaves the book that month).
fn check_starting_state(
    model: &Model,
    id: StateId,
    starting_states: &str,
) -> Result<StateId, String> {
    let space = &model.space;
    let name = space.name(id);
    match space.kind(id) {
        StateKind::Current | StateKind::Delinquent { .. } => {}
        StateKind::PaidOff | StateKind::ChargedOff | StateKind::Sold => {
            return Err(format!(
                "`{name}` is a terminal state; a tape holds loans still on book, so drop this \
                 loan (starting states: {starting_states})"
            ));
        }
    }
    if model.is_trigger(id) {
        let fate = if model.charge_off_on_entering.contains(&id) {
            "charged off (charge-off policy)"
        } else {
            "sold (debt sale on entering)"
        };
        return Err(format!(
            "`{name}`, which cannot be a starting state: loans entering it are {fate} at once; \
             drop this loan from the tape or change the policy (starting states: {starting_states})"
        ));
    }
    Ok(id)
}

/// The days-past-due range of every on-book state, e.g. `current 0, dpd_1_30 1-30, dpd_91 91+`.
fn bucket_ranges(model: &Model) -> String {
    model
        .space
        .states
        .iter()
        .filter_map(|s| {
            let (lo, hi) = s.dpd?;
            Some(match hi {
                Some(hi) if hi == lo => format!("`{}` {lo}", s.name),
                Some(hi) => format!("`{}` {lo}-{hi}", s.name),
                None => format!("`{}` {lo}+", s.name),
            })
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn hint(format: TapeFormat) -> String {
    let rows = match format {
        TapeFormat::Csv => {
            "rows are data rows counted from 1 (the header is line 1 of the CSV, so row N is line N+1)"
        }
        TapeFormat::Parquet => "rows are data rows counted from 1",
    };
    format!(
        "{rows}. A loan tape needs columns `{LOAN_ID}`, `{SEGMENT}`, `{BALANCE}`, `{APR}` \
         (a fraction: 0.24 for 24%), `{REMAINING_TERM}` (months) and exactly one of `{STATE}` or \
         `{DAYS_PAST_DUE}`; `{MONTHS_ON_BOOK}`, `{VINTAGE}`, `{CREDIT_LIMIT}` (revolving lines) \
         and `{COUNT}` (identical loans in the row, at least 1) are optional; other columns are \
         ignored"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::simple_model;
    use std::path::PathBuf;

    const HEADER_STATE: &str = "loan_id,segment,balance,apr,remaining_term,months_on_book,state";
    const HEADER_DPD: &str = "loan_id,segment,balance,apr,remaining_term,days_past_due";

    /// Writes `lines` as a CSV tape in a fresh temporary directory.
    fn csv_tape(lines: &[&str]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tape.csv");
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        (dir, path)
    }

    /// Reads a tape expected to be invalid and returns its problems and hint.
    fn invalid(path: &Path, model: &Model) -> (Vec<String>, String) {
        match read(path, model) {
            Err(BookError::Invalid { problems, hint, .. }) => (problems, hint),
            other => panic!("expected an invalid tape, got {other:?}"),
        }
    }

    fn read_error_message(path: &Path) -> String {
        match read(path, &simple_model()) {
            Err(BookError::Read { message, .. }) => message,
            other => panic!("expected a read error, got {other:?}"),
        }
    }

    fn assert_one_problem_containing(problems: &[String], parts: &[&str]) {
        assert_eq!(problems.len(), 1, "{problems:#?}");
        for part in parts {
            assert!(
                problems[0].contains(part),
                "`{part}` not in `{}`",
                problems[0]
            );
        }
    }

    #[test]
    fn good_csv_tape_with_state_reads_every_loan() {
        let (_dir, path) = csv_tape(&[
            "loan_id,segment,balance,apr,remaining_term,months_on_book,state,branch",
            "007,all,1500.50,0.24,12,3,current,north",
            "L2,all,2000,0.3,24,0,dpd_31_60,south",
            " L3 , all ,120, 0.19 ,1,,dpd_61_90,",
        ]);
        let book = read(&path, &simple_model()).unwrap();
        assert_eq!(book.len(), 3);
        // Ids are kept as written (leading zeros too), surrounding blanks trimmed.
        assert_eq!(book.loan_id, ["007", "L2", "L3"]);
        assert_eq!(book.segment, [0, 0, 0]);
        assert_eq!(book.balance, [1500.5, 2000.0, 120.0]);
        assert_eq!(book.apr, [0.24, 0.3, 0.19]);
        assert_eq!(book.remaining_term, [12, 24, 1]);
        // An empty optional cell defaults to 0 months on book.
        assert_eq!(book.months_on_book, [3, 0, 0]);
        assert_eq!(book.state, [0, 2, 3]);
        // Instalment loans carry no credit limit.
        assert_eq!(book.credit_limit, [0.0, 0.0, 0.0]);
    }

    #[test]
    fn count_column_makes_a_cell_tape() {
        let (_dir, path) = csv_tape(&[
            "loan_id,segment,balance,apr,remaining_term,state,count",
            "c1,all,1000,0.2,12,current,250",
            "c2,all,500,0.25,6,dpd_1_30,1",
            "c3,all,800,0.2,12,current,12.0",
        ]);
        let tape = read_tape(&path, &simple_model()).unwrap();
        assert!(tape.has_count);
        let book = tape.book;
        assert_eq!(book.count, [250, 1, 12]);
        assert_eq!(book.len(), 3);
        assert_eq!(book.loans(), 263);
        // Balances are per loan: the cell of 250 holds 250,000.
        assert_eq!(book.total_balance(), 250_000.0 + 500.0 + 9_600.0);
        assert!(book.has_cells());

        // Without the column every row is one loan.
        let (_dir, path) = csv_tape(&[HEADER_STATE, "a,all,100,0.2,12,0,current"]);
        let tape = read_tape(&path, &simple_model()).unwrap();
        assert!(!tape.has_count);
        assert_eq!(tape.book.count, [1]);
    }

    #[test]
    fn every_bad_count_is_reported_with_row_and_column() {
        let (_dir, path) = csv_tape(&[
            "loan_id,segment,balance,apr,remaining_term,state,count",
            "a,all,100,0.2,12,current,0",
            "b,all,100,0.2,12,current,-3",
            "c,all,100,0.2,12,current,2.5",
            "d,all,100,0.2,12,current,many",
            "e,all,100,0.2,12,current,",
            "f,all,100,0.2,12,current,1e30",
            "g,all,100,0.2,12,current,7",
        ]);
        let (problems, _) = invalid(&path, &simple_model());
        assert_eq!(problems.len(), 6, "{problems:#?}");
        let expect = [
            "row 1 (line 2 of the CSV), column `count`: 0 loans (drop rows without loans); the count is",
            "row 2 (line 3 of the CSV), column `count`: -3 is negative; the count is the whole number of identical loans",
            "row 3 (line 4 of the CSV), column `count`: 2.5 is not a whole number",
            "row 4 (line 5 of the CSV), column `count`: `many` is not a number",
            "row 5 (line 6 of the CSV), column `count`: missing; with a `count` column every row gives its number of loans",
            "row 6 (line 7 of the CSV), column `count`: 1000000000000000000000000000000 is too large",
        ];
        for (problem, expected) in problems.iter().zip(expect) {
            assert!(
                problem.starts_with(expected),
                "`{problem}` does not start with `{expected}`"
            );
        }
    }

    #[test]
    fn parquet_counts_are_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cells.parquet");
        let mut frame = polars::df!(
            "loan_id" => ["a", "b", "c"],
            "segment" => ["all", "all", "all"],
            "balance" => [100.0f64, 200.0, 300.0],
            "apr" => [0.2f64, 0.2, 0.2],
            "remaining_term" => [12i64, 12, 12],
            "state" => ["current", "current", "current"],
            "count" => [Some(40i64), None, Some(0)],
        )
        .unwrap();
        ParquetWriter::new(File::create(&path).unwrap())
            .finish(&mut frame)
            .unwrap();
        let (problems, _) = invalid(&path, &simple_model());
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[0].starts_with("row 2, column `count`: missing"));
        assert!(problems[1].starts_with("row 3, column `count`: 0 loans"));

        let mut frame = polars::df!(
            "loan_id" => ["a"],
            "segment" => ["all"],
            "balance" => [100.0f64],
            "apr" => [0.2f64],
            "remaining_term" => [12i64],
            "state" => ["current"],
            "count" => [40u32],
        )
        .unwrap();
        ParquetWriter::new(File::create(&path).unwrap())
            .finish(&mut frame)
            .unwrap();
        assert_eq!(read(&path, &simple_model()).unwrap().count, [40]);
    }

    #[test]
    fn blank_rows_are_skipped_but_still_numbered() {
        let (_dir, path) = csv_tape(&[
            HEADER_STATE,
            "a,all,100,0.2,12,0,current",
            "",
            ",,,,,,",
            "b,all,-1,0.2,12,0,current",
        ]);
        let (problems, _) = invalid(&path, &simple_model());
        assert_one_problem_containing(&problems, &["row 4 (line 5 of the CSV), column `balance`"]);
    }

    #[test]
    fn repeated_documented_column_is_an_error() {
        let (_dir, path) = csv_tape(&[
            "loan_id,segment,balance,apr,balance,remaining_term,state",
            "a,all,100,0.2,90,12,current",
        ]);
        let (problems, _) = invalid(&path, &simple_model());
        assert_one_problem_containing(&problems, &["column `balance` appears more than once"]);
    }

    #[test]
    fn scenario_sample_tape_is_valid() {
        let mut model = simple_model();
        let mut near_prime = model.segments[0].clone();
        model.segments[0].name = "prime".into();
        near_prime.name = "near_prime".into();
        model.segments.push(near_prime);
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/data/tape.csv");
        let book = read(&path, &model).unwrap();
        assert_eq!(book.len(), 2000);
        let current = book.state.iter().filter(|&&s| s == 0).count();
        assert!((1700..1900).contains(&current), "{current} current loans");
        assert!(book.segment.contains(&0) && book.segment.contains(&1));
        assert!(book.apr.iter().all(|a| (0.15..=0.45).contains(a)));
        assert!(book.remaining_term.iter().all(|t| (1..=36).contains(t)));
    }

    #[test]
    fn good_tape_with_days_past_due_maps_to_buckets() {
        let (_dir, path) = csv_tape(&[
            HEADER_DPD,
            "a,all,100,0.2,10,0",
            "b,all,100,0.2,10,1",
            "c,all,100,0.2,10,30",
            "d,all,100,0.2,10,31",
            "e,all,100,0.2,10,179",
        ]);
        let book = read(&path, &simple_model()).unwrap();
        assert_eq!(book.state, [0, 1, 1, 2, 3]);
        // No months_on_book column: every loan defaults to 0.
        assert_eq!(book.months_on_book, [0; 5]);
    }

    #[test]
    fn parquet_tape_reads_integer_ids_and_amounts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tape.parquet");
        let mut frame = polars::df!(
            "loan_id" => [1001i64, 1002, 1003],
            "segment" => ["all", "all", "all"],
            "balance" => [2500i64, 800, 0],
            "apr" => [0.29f64, 0.35, 0.15],
            "remaining_term" => [36i32, 6, 1],
            "months_on_book" => [Some(2u32), None, Some(12)],
            "days_past_due" => [0i64, 45, 90],
        )
        .unwrap();
        let file = File::create(&path).unwrap();
        ParquetWriter::new(file).finish(&mut frame).unwrap();

        let book = read(&path, &simple_model()).unwrap();
        assert_eq!(book.loan_id, ["1001", "1002", "1003"]);
        assert_eq!(book.balance, [2500.0, 800.0, 0.0]);
        assert_eq!(book.remaining_term, [36, 6, 1]);
        assert_eq!(book.months_on_book, [2, 0, 12]);
        assert_eq!(book.state, [0, 2, 3]);
    }

    #[test]
    fn parquet_text_in_numeric_column_names_the_type() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tape.PARQUET");
        let mut frame = polars::df!(
            "loan_id" => ["a", "b"],
            "segment" => ["all", "all"],
            "balance" => ["100", "n/a"],
            "apr" => [true, false],
            "remaining_term" => [12i64, 12],
            "state" => ["current", "current"],
        )
        .unwrap();
        ParquetWriter::new(File::create(&path).unwrap())
            .finish(&mut frame)
            .unwrap();
        let (problems, hint) = invalid(&path, &simple_model());
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[0].contains("column `apr`: has type bool; expected numbers"));
        assert!(problems[1].starts_with("row 2, column `balance`: `n/a` is not a number"));
        assert!(problems[1].contains("type str"));
        assert!(hint.contains("counted from 1"));
    }

    #[test]
    fn missing_column_lists_the_columns_found() {
        let (_dir, path) =
            csv_tape(&["loan_id,segment,Balance,apr,state", "a,all,100,0.2,current"]);
        let (problems, _) = invalid(&path, &simple_model());
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[0].starts_with("column `balance` is missing (found `Balance`"));
        assert!(problems[0].contains("`loan_id`, `segment`, `Balance`, `apr`, `state`"));
        assert!(problems[1].starts_with("column `remaining_term` is missing;"));
    }

    #[test]
    fn missing_state_and_days_past_due_is_an_error() {
        let (_dir, path) = csv_tape(&[
            "loan_id,segment,balance,apr,remaining_term",
            "a,all,1,0.2,3",
        ]);
        let (problems, _) = invalid(&path, &simple_model());
        assert_one_problem_containing(&problems, &["neither `state` nor `days_past_due`"]);
    }

    #[test]
    fn null_in_required_column_names_row_and_column() {
        let (_dir, path) = csv_tape(&[
            HEADER_STATE,
            "a,all,100,0.2,12,0,current",
            "b,all,100,,12,0,current",
        ]);
        let (problems, hint) = invalid(&path, &simple_model());
        assert_one_problem_containing(
            &problems,
            &["row 2 (line 3 of the CSV), column `apr`: missing"],
        );
        assert!(hint.contains("row N is line N+1"));
    }

    #[test]
    fn negative_balance_is_reported() {
        let (_dir, path) = csv_tape(&[
            HEADER_STATE,
            "a,all,100,0.2,12,0,current",
            "b,all,-120.5,0.2,12,0,current",
        ]);
        let (problems, _) = invalid(&path, &simple_model());
        assert_one_problem_containing(
            &problems,
            &[
                "row 2 (line 3 of the CSV), column `balance`: -120.5 is negative; balances are amounts owed, at least 0",
            ],
        );
    }

    #[test]
    fn every_problem_is_collected_and_capped() {
        let mut lines = vec![HEADER_STATE.to_string()];
        // Three problems a row: balance, apr (a percentage) and term.
        for i in 0..30 {
            lines.push(format!("id{i},all,-1,24,-2,0,current"));
        }
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let (_dir, path) = csv_tape(&lines);
        let (problems, _) = invalid(&path, &simple_model());
        assert_eq!(problems.len(), MAX_PROBLEMS + 1);
        assert!(problems[1].contains("column `apr`: 24 is above 10"));
        assert!(problems[1].contains("0.24 for 24%"));
        assert!(problems[2].contains("column `remaining_term`: -2 is negative"));
        assert_eq!(problems[MAX_PROBLEMS], "... and 40 more problems");
    }

    #[test]
    fn unknown_segment_lists_known_segments() {
        let (_dir, path) = csv_tape(&[HEADER_STATE, "a,subprime,100,0.2,12,0,current"]);
        let (problems, _) = invalid(&path, &simple_model());
        assert_one_problem_containing(
            &problems,
            &[
                "row 1 (line 2 of the CSV), column `segment`",
                "`subprime` is not a segment of the model",
                "known segments: `all`",
            ],
        );
    }

    #[test]
    fn unknown_state_lists_starting_states() {
        let (_dir, path) = csv_tape(&[HEADER_STATE, "a,all,100,0.2,12,0,dpd_1_29"]);
        let (problems, _) = invalid(&path, &simple_model());
        assert_one_problem_containing(
            &problems,
            &[
                "row 1 (line 2 of the CSV), column `state`",
                "`dpd_1_29` is not a state of the model",
                "`current`, `dpd_1_30`, `dpd_31_60`, `dpd_61_90`",
            ],
        );
        assert!(!problems[0].contains("`paid_off`"));
    }

    #[test]
    fn terminal_starting_state_is_rejected() {
        let (_dir, path) = csv_tape(&[HEADER_STATE, "a,all,0,0.2,12,0,paid_off"]);
        let (problems, _) = invalid(&path, &simple_model());
        assert_one_problem_containing(
            &problems,
            &[
                "column `state`",
                "`paid_off` is a terminal state",
                "drop this loan",
            ],
        );
    }

    #[test]
    fn trigger_bucket_cannot_start_a_loan() {
        let mut model = simple_model();
        model.charge_off_on_entering = vec![3];
        let (_dir, path) = csv_tape(&[HEADER_DPD, "a,all,100,0.2,12,120"]);
        let (problems, _) = invalid(&path, &model);
        assert_one_problem_containing(
            &problems,
            &[
                "column `days_past_due`: 120 days past due falls in `dpd_61_90`",
                "loans entering it are charged off (charge-off policy) at once",
                "(starting states: `current`, `dpd_1_30`, `dpd_31_60`)",
            ],
        );
    }

    #[test]
    fn both_state_and_days_past_due_is_an_error() {
        let (_dir, path) = csv_tape(&[
            "loan_id,segment,balance,apr,remaining_term,state,days_past_due",
            "a,all,100,0.2,12,current,0",
        ]);
        let (problems, _) = invalid(&path, &simple_model());
        assert_one_problem_containing(
            &problems,
            &["`state` and `days_past_due` are both present; give exactly one"],
        );
    }

    #[test]
    fn text_in_numeric_column_is_reported_not_nulled() {
        let (_dir, path) = csv_tape(&[
            HEADER_DPD,
            "a,all,\"1,200.00\",0.2,12,0",
            "b,all,100,0.2,twelve,0",
            "c,all,100,0.2,12.5,0",
        ]);
        let (problems, _) = invalid(&path, &simple_model());
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(problems[0].starts_with(
            "row 1 (line 2 of the CSV), column `balance`: `1,200.00` is not a number"
        ));
        assert!(problems[0].contains("thousands separators"));
        assert!(problems[1].starts_with(
            "row 2 (line 3 of the CSV), column `remaining_term`: `twelve` is not a number"
        ));
        assert!(problems[2].contains("12.5 is not a whole number"));
    }

    #[test]
    fn duplicate_loan_id_names_both_rows() {
        let (_dir, path) = csv_tape(&[
            HEADER_STATE,
            "L1,all,100,0.2,12,0,current",
            "L2,all,100,0.2,12,0,current",
            "L1,all,100,0.2,12,0,current",
        ]);
        let (problems, _) = invalid(&path, &simple_model());
        assert_one_problem_containing(
            &problems,
            &[
                "row 3 (line 4 of the CSV), column `loan_id`: `L1` is a duplicate of row 1 (line 2 of the CSV)",
            ],
        );
    }

    #[test]
    fn instalment_loan_needs_a_term_and_revolving_line_a_limit() {
        let mut model = simple_model();
        let mut revolving = model.segments[0].clone();
        revolving.name = "cards".into();
        revolving.product = Product::Revolving {
            draw_rate: 0.1,
            min_payment_rate: 0.03,
        };
        model.segments.push(revolving);
        let header = "loan_id,segment,balance,apr,remaining_term,state,credit_limit";
        let (_dir, path) = csv_tape(&[
            header,
            "a,cards,100,0.2,0,current,500",
            "b,cards,100,0.2,0,current,",
            "c,all,100,0.2,12,current,999",
        ]);
        let book = read(&path, &model).unwrap();
        assert_eq!(book.segment, [1, 1, 0]);
        assert_eq!(book.credit_limit, [500.0, 100.0, 0.0]);

        let (_dir, path) = csv_tape(&[
            header,
            "a,cards,100,0.2,0,current,50",
            "b,all,100,0.2,0,current,",
        ]);
        let (problems, _) = invalid(&path, &model);
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[0].contains("column `credit_limit`: 50 is below the balance 100"));
        assert!(
            problems[1].contains("column `remaining_term`: 0 months left on an instalment loan")
        );
    }

    #[test]
    fn header_only_tape_has_no_loans() {
        let (_dir, path) = csv_tape(&[HEADER_STATE]);
        let (problems, _) = invalid(&path, &simple_model());
        assert_one_problem_containing(&problems, &["no loans"]);
    }

    #[test]
    fn unsupported_extension_is_a_read_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tape.xlsx");
        std::fs::write(&path, "not read").unwrap();
        let message = read_error_message(&path);
        assert!(message.contains("`.xlsx` is not supported"), "{message}");
        assert!(message.contains("`.csv` or `.parquet`"), "{message}");
        assert!(read_error_message(&dir.path().join("tape")).contains("no extension"));
    }

    #[test]
    fn missing_file_is_a_read_error() {
        let dir = tempfile::tempdir().unwrap();
        let message = read_error_message(&dir.path().join("absent.csv"));
        assert!(message.contains("no such file"), "{message}");
        let folder = dir.path().join("tapes.csv");
        std::fs::create_dir(&folder).unwrap();
        let message = read_error_message(&folder);
        assert!(message.contains("directory"), "{message}");
    }

    #[test]
    fn corrupt_or_empty_files_are_read_errors() {
        let dir = tempfile::tempdir().unwrap();
        let parquet = dir.path().join("tape.parquet");
        std::fs::write(&parquet, "loan_id,segment\n1,all\n").unwrap();
        let message = read_error_message(&parquet);
        assert!(message.contains("not a readable Parquet file"), "{message}");

        let empty = dir.path().join("empty.csv");
        std::fs::write(&empty, "").unwrap();
        let message = read_error_message(&empty);
        assert!(message.contains("the file is empty"), "{message}");

        let binary = dir.path().join("binary.csv");
        std::fs::write(
            &binary,
            [0xff_u8, 0xfe, 0x00, 0x41, b',', 0x80, b'\n', 0xc3, b'\n'],
        )
        .unwrap();
        // Whatever polars makes of it, the answer is an error, never a panic or a book.
        assert!(read(&binary, &simple_model()).is_err());
    }
}
