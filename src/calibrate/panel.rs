//! The performance history (panel): one row per loan per month, read with polars and turned
//! into a few flat columns sorted by loan and month, with every piece of real-data mess
//! counted and handled rather than crashed on.
//!
//! Work is columnar: polars reads the file (CSV as text, so loan ids keep leading zeros and
//! status codes stay codes), then each column becomes one flat vector; rows are ordered by a
//! sort of `(loan, month)` keys, never by building a struct per row. Problems that make the file
//! unusable (a missing column, codes the mapping does not know, numbers that are not numbers,
//! negative balances) are errors listing every case; mess that a real history always has
//! (duplicates, gaps, loans entering late or leaving early, rows out of order, rows after a
//! loan was closed) is counted in [`QualityItem`]s that the calibration report shows.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use polars::prelude::*;

use super::mapping::{Code, Mapping, Role};
use crate::book::BookError;
use crate::book::tape::{TapeFormat, format_of, read_frame};
use crate::model::StateId;

/// Cases listed in an error before the rest are only counted.
const MAX_LISTED: usize = 10;

/// Why a panel cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PanelError {
    #[error("cannot read panel `{}`: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error("panel `{}` cannot be calibrated on ({} problem{}):\n{}", path.display(), problems.len(), if problems.len() == 1 { "" } else { "s" }, problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        path: PathBuf,
        problems: Vec<String>,
    },
}

/// One kind of mess found in the data, how often, an example and what was done about it.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityItem {
    pub what: &'static str,
    pub count: u64,
    pub example: Option<String>,
    pub handling: &'static str,
}

/// The cleaned panel: rows sorted by loan then month, one per loan-month, placeholder rows
/// removed. Loan `l` owns rows `loan_rows[l]..loan_rows[l + 1]`.
#[derive(Debug, Clone)]
pub struct Panel {
    pub path: PathBuf,
    pub sha256: String,
    pub rows_read: u64,
    pub loan_ids: Vec<String>,
    pub loan_rows: Vec<u32>,
    pub loan_segment: Vec<u16>,
    /// Origination month of each loan (same month numbering as `month`), when known.
    pub loan_origination: Option<Vec<i32>>,
    pub segments: Vec<String>,
    /// Month of each row: months since year 0 for dated panels, the index itself otherwise.
    pub month: Vec<i32>,
    /// State of each row in the mapping's state space (trigger buckets as `charged_off`).
    pub state: Vec<StateId>,
    pub balance: Option<Vec<f64>>,
    pub charge_off_amount: Option<Vec<f64>>,
    pub recovery_amount: Option<Vec<f64>>,
    /// Day (days since 1970-01-01) the loan entered the row's status.
    pub status_day: Option<Vec<i32>>,
    /// Months are calendar months (`YYYY-MM` labels) rather than indices.
    pub dated: bool,
    pub first_month: i32,
    pub last_month: i32,
    pub quality: Vec<QualityItem>,
}

impl Panel {
    pub fn n_loans(&self) -> usize {
        self.loan_ids.len()
    }

    pub fn rows(&self, loan: usize) -> std::ops::Range<usize> {
        self.loan_rows[loan] as usize..self.loan_rows[loan + 1] as usize
    }

    /// How a month is written in reports and comments.
    pub fn month_label(&self, month: i32) -> String {
        if self.dated {
            format!(
                "{:04}-{:02}",
                month.div_euclid(12),
                month.rem_euclid(12) + 1
            )
        } else {
            month.to_string()
        }
    }
}

/// Problems that stop the read, listed together.
struct Problems {
    path: PathBuf,
    list: Vec<String>,
}

impl Problems {
    fn push(&mut self, p: String) {
        self.list.push(p);
    }

    /// `count` cells of `column` share a problem; the first few rows are named.
    fn rows(&mut self, column: &str, what: &str, rows: &[usize], count: usize, format: TapeFormat) {
        if count == 0 {
            return;
        }
        let named: Vec<String> = rows.iter().map(|&r| row_label(r, format)).collect();
        let more = if count > rows.len() {
            format!(" and {} more", count - rows.len())
        } else {
            String::new()
        };
        self.list.push(format!(
            "column `{column}`: {what} in {count} row{} ({}{more})",
            if count == 1 { "" } else { "s" },
            named.join(", ")
        ));
    }
}

/// Rows are data rows counted from 1; in a CSV, row N is line N + 1.
fn row_label(index: usize, format: TapeFormat) -> String {
    let n = index + 1;
    match format {
        TapeFormat::Csv => format!("row {n} (line {})", n + 1),
        TapeFormat::Parquet => format!("row {n}"),
    }
}

fn read_error(path: &Path, e: BookError) -> PanelError {
    match e {
        BookError::Read { message, .. } => PanelError::Read {
            path: path.to_path_buf(),
            message,
        },
        other => PanelError::Read {
            path: path.to_path_buf(),
            message: other.to_string(),
        },
    }
}

/// Reads the panel named by `mapping` and cleans it.
pub fn read(mapping: &Mapping) -> Result<Panel, PanelError> {
    let path = mapping.panel.as_path();
    crate::book::tape::check_input(path).map_err(|e| read_error(path, e))?;
    let format = format_of(path).map_err(|e| read_error(path, e))?;
    let bytes_hash = hash_file(path)?;
    let frame = read_frame(path, format).map_err(|e| read_error(path, e))?;
    let mut problems = Problems {
        path: path.to_path_buf(),
        list: Vec::new(),
    };

    // Which columns exist.
    let present: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let mut name_of = |role: Role| -> Option<String> {
        let (name, explicit) = mapping.column(role);
        if present.iter().any(|p| p == name) {
            Some(name.to_string())
        } else {
            if role.required() || explicit {
                problems.push(format!(
                    "no column `{name}` ({}{}); the file has: {}",
                    role.key(),
                    if role.required() {
                        ", required"
                    } else {
                        ", named in [panel.columns]"
                    },
                    crate::book::tape::list_names(present.iter().map(String::as_str))
                ));
            }
            None
        }
    };
    let c_loan = name_of(Role::LoanId);
    let c_period = name_of(Role::Period);
    let c_status = name_of(Role::Status);
    let c_balance = name_of(Role::Balance);
    let c_segment = name_of(Role::Segment);
    let c_origination = name_of(Role::Origination);
    let c_charge_off = name_of(Role::ChargeOffAmount);
    let c_recovery = name_of(Role::RecoveryAmount);
    let c_status_date = name_of(Role::StatusDate);
    if mapping.estimate.method == super::mapping::Method::Duration && c_status_date.is_none() {
        problems.push(format!(
            "the duration method needs exact transition dates: a `{}` column with the date each row's status began (YYYY-MM-DD)",
            mapping.column(Role::StatusDate).0
        ));
    }
    let (Some(c_loan), Some(c_period), Some(c_status)) = (c_loan, c_period, c_status) else {
        return Err(PanelError::Invalid {
            path: problems.path,
            problems: problems.list,
        });
    };
    let n = frame.height();
    if n == 0 {
        problems.push("the file has a header but no rows".to_string());
        return Err(PanelError::Invalid {
            path: problems.path,
            problems: problems.list,
        });
    }

    let text = |name: &str, problems: &mut Problems| -> Option<StringChunked> {
        let column = frame.column(name).ok()?;
        match column.cast(&DataType::String) {
            Ok(c) => c.str().ok().cloned(),
            Err(e) => {
                problems.push(format!("column `{name}`: cannot be read as text: {e}"));
                None
            }
        }
    };

    // Loan ids to dense indices, in order of first appearance.
    let loan_text = text(&c_loan, &mut problems);
    let mut loan_index: IndexMap<&str, u32> = IndexMap::new();
    let mut row_loan: Vec<u32> = Vec::with_capacity(n);
    let mut missing: Vec<usize> = Vec::new();
    let mut missing_count = 0;
    if let Some(ids) = &loan_text {
        for (i, id) in ids.iter().enumerate() {
            match id.map(str::trim).filter(|s| !s.is_empty()) {
                Some(id) => {
                    let next = loan_index.len() as u32;
                    row_loan.push(*loan_index.entry(id).or_insert(next));
                }
                None => {
                    missing_count += 1;
                    if missing.len() < MAX_LISTED {
                        missing.push(i);
                    }
                    row_loan.push(u32::MAX);
                }
            }
        }
    }
    problems.rows(&c_loan, "no loan id", &missing, missing_count, format);

    // Months.
    let (row_month, dated) = match text(&c_period, &mut problems) {
        Some(t) => months(&t, &c_period, format, &mut problems, None),
        None => (Vec::new(), false),
    };

    // Statuses.
    let status_text = text(&c_status, &mut problems);
    let row_state = match &status_text {
        Some(t) => statuses(t, &c_status, mapping, format, &mut problems),
        None => Vec::new(),
    };

    let numbers = |name: &Option<String>, non_negative: bool, problems: &mut Problems| {
        name.as_ref()
            .and_then(|c| number_column(&frame, c, non_negative, format, problems))
    };
    let balance = numbers(&c_balance, true, &mut problems);
    let charge_off_amount = numbers(&c_charge_off, true, &mut problems);
    let recovery_amount = numbers(&c_recovery, true, &mut problems);
    let origination = c_origination.as_ref().and_then(|c| {
        text(c, &mut problems).map(|t| months(&t, c, format, &mut problems, Some(dated)).0)
    });
    let status_day = c_status_date
        .as_ref()
        .and_then(|c| text(c, &mut problems).map(|t| days(&t, c, format, &mut problems)));
    let segment_text = c_segment.as_ref().and_then(|c| text(c, &mut problems));

    if !problems.list.is_empty() {
        return Err(PanelError::Invalid {
            path: problems.path,
            problems: problems.list,
        });
    }
    let loan_ids: Vec<String> = loan_index.keys().map(|s| s.to_string()).collect();
    drop(loan_index);

    // Segments: names become scenario keys, so they are normalised to lowercase identifiers.
    let (row_segment, segments, renamed) = match &segment_text {
        Some(t) => segment_codes(t)?,
        None => (vec![0; n], vec!["all".to_string()], Vec::new()),
    };
    let mut quality = Vec::new();
    if !renamed.is_empty() {
        quality.push(QualityItem {
            what: "segment names changed to scenario names",
            count: renamed.len() as u64,
            example: renamed.first().cloned(),
            handling: "lowercase letters, digits and `_` (names become scenario keys)",
        });
    }
    check_segment_collisions(&segments, path)?;

    let cleaned = clean(
        &row_loan,
        &row_month,
        &row_state,
        &row_segment,
        origination.as_deref(),
        &loan_ids,
        mapping,
        dated,
        &mut quality,
    );
    let take = |v: &Option<Vec<f64>>| {
        v.as_ref()
            .map(|v| cleaned.order.iter().map(|&i| v[i as usize]).collect())
    };
    let status_day_sorted = status_day
        .as_ref()
        .map(|v| cleaned.order.iter().map(|&i| v[i as usize]).collect());
    let absent = status_text
        .as_ref()
        .map_or(0, |_| row_state.iter().filter(|&&s| s == ABSENT).count());
    if absent > 0 {
        quality.insert(
            0,
            QualityItem {
                what: "placeholder rows (no loan that month)",
                count: absent as u64,
                example: None,
                handling: "skipped, as a missing month",
            },
        );
    }
    let first_month = *cleaned.month.iter().min().unwrap_or(&0);
    let last_month = *cleaned.month.iter().max().unwrap_or(&0);
    let panel = Panel {
        path: path.to_path_buf(),
        sha256: bytes_hash,
        rows_read: n as u64,
        loan_rows: cleaned.loan_rows,
        loan_segment: cleaned.loan_segment,
        loan_origination: cleaned.loan_origination,
        segments,
        balance: take(&balance),
        charge_off_amount: take(&charge_off_amount),
        recovery_amount: take(&recovery_amount),
        status_day: status_day_sorted,
        month: cleaned.month,
        state: cleaned.state,
        dated,
        first_month,
        last_month,
        quality,
        loan_ids: cleaned.loan_ids,
    };
    if panel.month.is_empty() {
        return Err(PanelError::Invalid {
            path: path.to_path_buf(),
            problems: vec![
                "no row is left once placeholder rows are skipped: every status maps to `absent`"
                    .to_string(),
            ],
        });
    }
    Ok(panel)
}

fn hash_file(path: &Path) -> Result<String, PanelError> {
    use sha2::Digest;
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| PanelError::Read {
        path: path.to_path_buf(),
        message: match e.kind() {
            std::io::ErrorKind::NotFound => {
                "no such file (check `[panel] path` in the calibration file)".to_string()
            }
            _ => e.to_string(),
        },
    })?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let k = file.read(&mut buf).map_err(|e| PanelError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        if k == 0 {
            break;
        }
        hasher.update(&buf[..k]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// A month per row: whole numbers are indices; `YYYY-MM` or `YYYY-MM-DD` are calendar months.
/// `expect_dated` makes a second column (origination) use the period column's numbering.
fn months(
    t: &StringChunked,
    column: &str,
    format: TapeFormat,
    problems: &mut Problems,
    expect_dated: Option<bool>,
) -> (Vec<i32>, bool) {
    let mut cache: IndexMap<&str, Option<(i32, bool)>> = IndexMap::new();
    let mut out = Vec::with_capacity(t.len());
    let (mut bad, mut bad_count) = (Vec::new(), 0);
    let (mut missing, mut missing_count) = (Vec::new(), 0);
    let (mut mixed, mut mixed_count) = (Vec::new(), 0);
    let mut dated: Option<bool> = expect_dated;
    for (i, cell) in t.iter().enumerate() {
        let Some(cell) = cell.map(str::trim).filter(|s| !s.is_empty()) else {
            // Origination may be unknown for some loans; the period may not.
            if expect_dated.is_none() {
                missing_count += 1;
                if missing.len() < MAX_LISTED {
                    missing.push(i);
                }
            }
            out.push(i32::MIN);
            continue;
        };
        let parsed = *cache.entry(cell).or_insert_with(|| parse_month(cell));
        match parsed {
            Some((m, is_date)) => {
                if *dated.get_or_insert(is_date) != is_date {
                    mixed_count += 1;
                    if mixed.len() < MAX_LISTED {
                        mixed.push(i);
                    }
                }
                out.push(m);
            }
            None => {
                bad_count += 1;
                if bad.len() < MAX_LISTED {
                    bad.push(i);
                }
                out.push(i32::MIN);
            }
        }
    }
    problems.rows(column, "missing", &missing, missing_count, format);
    problems.rows(
        column,
        "not a month (a whole number, `YYYY-MM` or `YYYY-MM-DD`)",
        &bad,
        bad_count,
        format,
    );
    problems.rows(
        column,
        if expect_dated.is_some() {
            "numbered differently from the period column (one uses dates, the other whole numbers)"
        } else {
            "mixes whole-number months and dates"
        },
        &mixed,
        mixed_count,
        format,
    );
    (out, dated.unwrap_or(false))
}

/// `Some((month, is_date))`.
fn parse_month(s: &str) -> Option<(i32, bool)> {
    if let Ok(i) = s.parse::<i64>() {
        return i32::try_from(i)
            .ok()
            .filter(|i| i.abs() < 10_000_000)
            .map(|i| (i, false));
    }
    let mut parts = s.split(['-', '/']);
    let year: i32 = parts.next()?.parse().ok()?;
    let month: i32 = parts.next()?.parse().ok()?;
    if let Some(day) = parts.next() {
        // Dates with a time part (`2024-01-31T00:00:00`, `2024-01-31 00:00:00`) keep the date.
        let day = day.split(['T', ' ']).next()?;
        let d: i32 = day.parse().ok()?;
        if !(1..=31).contains(&d) {
            return None;
        }
    }
    if parts.next().is_some() || !(1000..=9999).contains(&year) || !(1..=12).contains(&month) {
        return None;
    }
    Some((year * 12 + month - 1, true))
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (proleptic Gregorian).
pub fn parse_day(s: &str) -> Option<i32> {
    let s = s.split(['T', ' ']).next()?;
    let mut parts = s.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    // Days from civil (H. Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    i32::try_from(era * 146_097 + doe - 719_468).ok()
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn days(t: &StringChunked, column: &str, format: TapeFormat, problems: &mut Problems) -> Vec<i32> {
    let (mut bad, mut bad_count) = (Vec::new(), 0);
    let out = t
        .iter()
        .enumerate()
        .map(
            |(i, cell)| match cell.map(str::trim).filter(|s| !s.is_empty()) {
                None => i32::MIN,
                Some(c) => parse_day(c).unwrap_or_else(|| {
                    bad_count += 1;
                    if bad.len() < MAX_LISTED {
                        bad.push(i);
                    }
                    i32::MIN
                }),
            },
        )
        .collect();
    problems.rows(column, "not a date (YYYY-MM-DD)", &bad, bad_count, format);
    out
}

/// Marks a placeholder row in the per-row state column before cleaning.
const ABSENT: StateId = StateId::MAX;

/// A state per row, or every unknown code with its count.
fn statuses(
    t: &StringChunked,
    column: &str,
    mapping: &Mapping,
    format: TapeFormat,
    problems: &mut Problems,
) -> Vec<StateId> {
    let space = &mapping.space;
    let mut cache: IndexMap<&str, Option<StateId>> = IndexMap::new();
    let mut unknown: IndexMap<&str, (u64, usize)> = IndexMap::new();
    let (mut missing, mut missing_count) = (Vec::new(), 0);
    let mut out = Vec::with_capacity(t.len());
    for (i, cell) in t.iter().enumerate() {
        let Some(cell) = cell.map(str::trim).filter(|s| !s.is_empty()) else {
            missing_count += 1;
            if missing.len() < MAX_LISTED {
                missing.push(i);
            }
            out.push(ABSENT);
            continue;
        };
        let state = *cache.entry(cell).or_insert_with(|| {
            if let Some(code) = mapping.codes.get(cell) {
                return Some(match code {
                    Code::State(s) => mapping.normalise(*s),
                    Code::Absent => ABSENT,
                });
            }
            if mapping.days_past_due {
                let dpd = cell.parse::<i64>().ok().or_else(|| {
                    cell.parse::<f64>()
                        .ok()
                        .filter(|f| f.fract() == 0.0)
                        .map(|f| f as i64)
                })?;
                if dpd < 0 {
                    return None;
                }
                if dpd == 0 {
                    return Some(crate::model::states::CURRENT);
                }
                let dpd = u32::try_from(dpd).ok()?;
                return space
                    .on_book()
                    .find(|&id| {
                        space.states[id as usize].dpd.is_some_and(|(lo, hi)| {
                            lo > 0 && dpd >= lo && hi.is_none_or(|h| dpd <= h)
                        })
                    })
                    .map(|id| mapping.normalise(id));
            }
            None
        });
        match state {
            Some(s) => out.push(s),
            None => {
                let e = unknown.entry(cell).or_insert((0, i));
                e.0 += 1;
                out.push(ABSENT);
            }
        }
    }
    problems.rows(column, "no status", &missing, missing_count, format);
    if !unknown.is_empty() {
        let mut list: Vec<(&str, (u64, usize))> = unknown.into_iter().collect();
        list.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
        let total: u64 = list.iter().map(|(_, (c, _))| c).sum();
        let shown: Vec<String> = list
            .iter()
            .take(50)
            .map(|(code, (count, first))| {
                format!(
                    "`{code}` ({count} row{}, first at {})",
                    if *count == 1 { "" } else { "s" },
                    row_label(*first, format)
                )
            })
            .collect();
        let more = if list.len() > 50 {
            format!(" and {} more codes", list.len() - 50)
        } else {
            String::new()
        };
        let hint = if mapping.days_past_due {
            "numbers are days past due and must fall in a bucket of [states]; add every other code to [status.codes] (`absent` for \"no loan that month\")"
        } else {
            "add each code to [status.codes], mapped to a state or to `absent` (no loan that month); set `days_past_due = true` if numbers are days past due"
        };
        problems.push(format!(
            "column `{column}`: {} status code{} not in the mapping, in {total} row{}: {}{more}\n    hint: {hint}",
            list.len(),
            if list.len() == 1 { " is" } else { "s are" },
            if total == 1 { "" } else { "s" },
            shown.join(", "),
        ));
    }
    out
}

fn number_column(
    frame: &DataFrame,
    name: &str,
    non_negative: bool,
    format: TapeFormat,
    problems: &mut Problems,
) -> Option<Vec<f64>> {
    let column = frame.column(name).ok()?;
    let dtype = column.dtype().clone();
    let values: Vec<f64> = if dtype.is_string() {
        let t = column.str().ok()?;
        let trimmed: StringChunked = t
            .iter()
            .map(|c| c.map(str::trim).filter(|s| !s.is_empty()))
            .collect();
        let parsed = match trimmed.clone().into_series().cast(&DataType::Float64) {
            Ok(p) => p,
            Err(e) => {
                problems.push(format!("column `{name}`: cannot be read as numbers: {e}"));
                return None;
            }
        };
        let parsed = parsed.f64().ok()?;
        let (mut bad, mut bad_count) = (Vec::new(), 0);
        let v = trimmed
            .iter()
            .zip(parsed.iter())
            .enumerate()
            .map(|(i, (text, value))| match (text, value) {
                (None, _) => f64::NAN,
                (Some(_), Some(v)) => v,
                (Some(_), None) => {
                    bad_count += 1;
                    if bad.len() < MAX_LISTED {
                        bad.push(i);
                    }
                    f64::NAN
                }
            })
            .collect();
        problems.rows(name, "not a number", &bad, bad_count, format);
        v
    } else if dtype.is_primitive_numeric() || dtype.is_decimal() || dtype.is_null() {
        let cast = column.cast(&DataType::Float64).ok()?;
        cast.f64()
            .ok()?
            .iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect()
    } else {
        problems.push(format!(
            "column `{name}`: has type {dtype}; expected numbers"
        ));
        return None;
    };
    let (mut bad, mut bad_count) = (Vec::new(), 0);
    for (i, v) in values.iter().enumerate() {
        if v.is_infinite() || (non_negative && *v < 0.0) {
            bad_count += 1;
            if bad.len() < MAX_LISTED {
                bad.push(i);
            }
        }
    }
    problems.rows(
        name,
        if non_negative {
            "negative or infinite"
        } else {
            "infinite"
        },
        &bad,
        bad_count,
        format,
    );
    let (mut big, mut big_count) = (Vec::new(), 0);
    for (i, v) in values.iter().enumerate() {
        if v.is_finite() && v.abs() > crate::book::MAX_AMOUNT {
            big_count += 1;
            if big.len() < MAX_LISTED {
                big.push(i);
            }
        }
    }
    problems.rows(
        name,
        "above 1e12, the largest amount arrears accepts (larger ones overflow the sums)",
        &big,
        big_count,
        format,
    );
    Some(values)
}

type SegmentCodes = (Vec<u16>, Vec<String>, Vec<String>);

fn segment_codes(t: &StringChunked) -> Result<SegmentCodes, PanelError> {
    let mut index: IndexMap<String, u16> = IndexMap::new();
    let mut renamed = Vec::new();
    let mut cache: IndexMap<&str, u16> = IndexMap::new();
    let mut out = Vec::with_capacity(t.len());
    for cell in t.iter() {
        let cell = cell
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("unknown");
        if let Some(&i) = cache.get(cell) {
            out.push(i);
            continue;
        }
        let name = scenario_name(cell);
        if name != cell {
            renamed.push(format!("`{cell}` -> `{name}`"));
        }
        let next = index.len() as u16;
        let i = *index.entry(name).or_insert(next);
        cache.insert(cell, i);
        out.push(i);
    }
    Ok((out, index.into_keys().collect(), renamed))
}

fn check_segment_collisions(segments: &[String], path: &Path) -> Result<(), PanelError> {
    if segments.len() > 1000 {
        return Err(PanelError::Invalid {
            path: path.to_path_buf(),
            problems: vec![format!(
                "column `segment` has {} distinct values; at most 1000 segments are supported (is it an id column?)",
                segments.len()
            )],
        });
    }
    Ok(())
}

/// A segment label as a scenario key: lowercase ASCII letters, digits and `_`, starting with a
/// letter.
fn scenario_name(label: &str) -> String {
    let mut s: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        s.insert_str(0, "s_");
    }
    s
}

struct Cleaned {
    order: Vec<u32>,
    month: Vec<i32>,
    state: Vec<StateId>,
    loan_rows: Vec<u32>,
    loan_segment: Vec<u16>,
    loan_origination: Option<Vec<i32>>,
    loan_ids: Vec<String>,
}

/// Sorts rows by loan and month, drops placeholders and duplicates, and counts the mess.
#[expect(
    clippy::too_many_arguments,
    reason = "the panel's columns, one call site"
)]
fn clean(
    row_loan: &[u32],
    row_month: &[i32],
    row_state: &[StateId],
    row_segment: &[u16],
    origination: Option<&[i32]>,
    loan_ids: &[String],
    mapping: &Mapping,
    dated: bool,
    quality: &mut Vec<QualityItem>,
) -> Cleaned {
    let n_loans = loan_ids.len();
    let space = &mapping.space;
    let first = row_month.iter().copied().min().unwrap_or(0);
    // Rows out of order: a loan's month going backwards in file order.
    let mut last_seen = vec![i32::MIN; n_loans];
    let mut out_of_order = vec![false; n_loans];
    for (&l, &m) in row_loan.iter().zip(row_month) {
        let l = l as usize;
        if m < last_seen[l] {
            out_of_order[l] = true;
        }
        last_seen[l] = last_seen[l].max(m);
    }
    // Sort keys: loan in the high half, month offset in the low half, placeholders dropped.
    let mut keys: Vec<(u64, u32)> = row_loan
        .iter()
        .zip(row_month)
        .zip(row_state)
        .enumerate()
        .filter(|(_, ((_, _), s))| **s != ABSENT)
        .map(|(i, ((&l, &m), _))| ((u64::from(l) << 32) | (m - first) as u32 as u64, i as u32))
        .collect();
    if !keys.windows(2).all(|w| w[0].0 <= w[1].0) {
        keys.sort_unstable();
    }
    let mut order = Vec::with_capacity(keys.len());
    let mut month = Vec::with_capacity(keys.len());
    let mut state = Vec::with_capacity(keys.len());
    let (mut exact_dupes, mut conflicts) = (0u64, 0u64);
    // Loan-months dropped as conflicting duplicates, in (loan, month) order: not gaps.
    let mut dropped: Vec<(u32, i32)> = Vec::new();
    let (mut exact_example, mut conflict_example) = (None, None);
    let mut k = 0;
    while k < keys.len() {
        let mut j = k + 1;
        while j < keys.len() && keys[j].0 == keys[k].0 {
            j += 1;
        }
        let first_row = keys[k].1 as usize;
        let s0 = row_state[first_row];
        let same = keys[k..j].iter().all(|&(_, i)| row_state[i as usize] == s0);
        let loan = (keys[k].0 >> 32) as usize;
        let label = || {
            format!(
                "loan `{}` in month {}",
                loan_ids[loan],
                month_text(row_month[first_row], dated)
            )
        };
        if j - k > 1 {
            if same {
                exact_dupes += (j - k - 1) as u64;
                exact_example.get_or_insert_with(label);
            } else {
                conflicts += 1;
                conflict_example.get_or_insert_with(label);
                dropped.push((loan as u32, row_month[first_row]));
            }
        }
        if same {
            order.push(keys[k].1);
            month.push(row_month[first_row]);
            state.push(s0);
        }
        k = j;
    }
    drop(keys);
    // Per loan: row ranges, segment (first row's), origination.
    let mut loan_rows = Vec::with_capacity(n_loans + 1);
    let mut loan_segment = Vec::with_capacity(n_loans);
    let mut loan_orig = origination.map(|_| Vec::with_capacity(n_loans));
    let mut kept_ids = Vec::with_capacity(n_loans);
    let (mut gaps, mut late, mut censored, mut reactivated, mut seg_changes) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let (mut gap_example, mut react_example, mut seg_example) = (None, None, None);
    let last = month.iter().copied().max().unwrap_or(0);
    let first_kept = month.iter().copied().min().unwrap_or(0);
    let mut r = 0;
    while r < order.len() {
        let loan = row_loan[order[r] as usize] as usize;
        let mut e = r + 1;
        while e < order.len() && row_loan[order[e] as usize] as usize == loan {
            e += 1;
        }
        loan_rows.push(r as u32);
        let seg = row_segment[order[r] as usize];
        loan_segment.push(seg);
        if order[r..e].iter().any(|&i| row_segment[i as usize] != seg) {
            seg_changes += 1;
            seg_example.get_or_insert_with(|| format!("loan `{}`", loan_ids[loan]));
        }
        if let (Some(o), Some(out)) = (origination, loan_orig.as_mut()) {
            out.push(o[order[r] as usize]);
        }
        kept_ids.push(loan_ids[loan].clone());
        if month[r] > first_kept {
            late += 1;
        }
        let mut closed = false;
        for x in r..e {
            let s = state[x];
            let terminal = space.kind(s).is_terminal();
            let missing = || {
                let lo = dropped.partition_point(|&d| d <= (loan as u32, month[x - 1]));
                let hi = dropped.partition_point(|&d| d < (loan as u32, month[x]));
                i64::from(month[x] - month[x - 1] - 1) - (hi - lo) as i64
            };
            if x > r && month[x] > month[x - 1] + 1 && !closed && missing() > 0 {
                gaps += 1;
                gap_example.get_or_insert_with(|| {
                    format!(
                        "loan `{}` between months {} and {}",
                        loan_ids[loan],
                        month_text(month[x - 1], dated),
                        month_text(month[x], dated)
                    )
                });
            }
            if closed && !terminal {
                reactivated += 1;
                react_example.get_or_insert_with(|| format!("loan `{}`", loan_ids[loan]));
                break;
            }
            closed |= terminal;
        }
        // A loan that reached a terminal status is not censored, whatever it reported after.
        if !closed && month[e - 1] < last {
            censored += 1;
        }
        r = e;
    }
    loan_rows.push(order.len() as u32);
    let ooo = out_of_order.iter().filter(|&&b| b).count() as u64;
    let ooo_example = out_of_order
        .iter()
        .position(|&b| b)
        .map(|l| format!("loan `{}`", loan_ids[l]));
    let mut push = |what, count, example, handling| {
        if count > 0 {
            quality.push(QualityItem {
                what,
                count,
                example,
                handling,
            });
        }
    };
    push(
        "rows out of month order",
        ooo,
        ooo_example,
        "sorted by loan and month (loans counted)",
    );
    push(
        "duplicate loan-month rows, same status",
        exact_dupes,
        exact_example,
        "kept once",
    );
    push(
        "duplicate loan-month rows, different statuses",
        conflicts,
        conflict_example,
        "the loan-month is dropped (its moves are not counted)",
    );
    push(
        "gaps: months missing inside a loan's history",
        gaps,
        gap_example,
        "no move is counted across a gap; the loan is at risk again from its next row",
    );
    push(
        "loans entering after the first month (late entry)",
        late,
        None,
        "at risk from their first row (left truncation)",
    );
    push(
        "loans leaving before the last month while on book (censored)",
        censored,
        None,
        "at risk until their last row",
    );
    push(
        "loans back on book after a terminal status",
        reactivated,
        react_example,
        "rows after the first terminal status are not used for moves",
    );
    push(
        "loans changing segment",
        seg_changes,
        seg_example,
        "each loan keeps the segment of its first row",
    );
    Cleaned {
        order,
        month,
        state,
        loan_rows,
        loan_segment,
        loan_origination: loan_orig,
        loan_ids: kept_ids,
    }
}

fn month_text(month: i32, dated: bool) -> String {
    if dated {
        format!(
            "{:04}-{:02}",
            month.div_euclid(12),
            month.rem_euclid(12) + 1
        )
    } else {
        month.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_as_indices_or_calendar_months() {
        assert_eq!(parse_month("7"), Some((7, false)));
        assert_eq!(parse_month("2024-03"), Some((2024 * 12 + 2, true)));
        assert_eq!(parse_month("2024-03-31"), Some((2024 * 12 + 2, true)));
        assert_eq!(parse_month("2024/03"), Some((2024 * 12 + 2, true)));
        assert_eq!(parse_month("2024-13"), None);
        assert_eq!(parse_month("March"), None);
    }

    #[test]
    fn days_count_from_1970() {
        assert_eq!(parse_day("1970-01-01"), Some(0));
        assert_eq!(parse_day("2000-03-01"), Some(11_017));
        assert_eq!(parse_day("2024-02-29"), Some(19_782));
        assert_eq!(parse_day("2023-02-29"), None);
    }

    #[test]
    fn segment_labels_become_scenario_keys() {
        assert_eq!(scenario_name("Near Prime"), "near_prime");
        assert_eq!(scenario_name("2023"), "s_2023");
    }
}
