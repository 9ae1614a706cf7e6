//! The scenario file: reading it, checking it, and turning it into a [`Scenario`].
//!
//! Two phases (as ripgrep parses arguments): `raw` mirrors the TOML with spans, `validate`
//! checks everything at once and builds the model. Every problem becomes a [`Diagnostic`]
//! pointing at a line and column with a hint, and all of them are reported together. Unknown
//! keys are errors. The format carries a `version` so later features can add keys without
//! breaking files written today. The reference is `docs/SCENARIOS.md`.

mod diagnostic;
pub mod overrides;
pub(crate) mod raw;
pub mod sweep;
pub(crate) mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use diagnostic::Diagnostic;
pub use overrides::Override;
pub use validate::{MAX_PATHS, MAX_THREADS};

use crate::model::{Model, StateId};

/// The scenario format version this build reads.
pub const FORMAT_VERSION: i64 = 1;

/// A checked scenario, ready to run.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file it came from, as given.
    pub file: PathBuf,
    /// SHA-256 of the file's bytes, hex.
    pub file_sha256: String,
    /// The file's text, copied into each result folder as `scenario.toml`.
    pub text: String,
    pub simulation: Simulation,
    pub model: Model,
    pub book: BookSource,
    /// What validation accepted but the user should hear, each with its file and lines
    /// (printed on stderr by every command that loads the scenario).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    pub name: String,
    pub paths: u64,
    pub horizon_months: u32,
    pub seed: u64,
    /// `None`: one per core.
    pub threads: Option<usize>,
    /// Loan by loan, or cells of identical loans by counts.
    pub mode: Mode,
    /// How count mode buckets a book of single loans into cells (`[book.cells]`).
    pub cells: CellRules,
    /// What charts and reports call the run, its states and its money.
    pub display: DisplayNames,
    /// `[sweep]`: the keys `arrears sweep` varies (ignored by `arrears run`).
    pub sweep: Option<sweep::Sweep>,
}

/// Names for readers: the title of charts and reports (`[simulation] title`, else the name),
/// each state's label (`[states] labels`, else the key prettified) and the currency
/// (`[simulation] currency`, empty for plain units), and the order of states and stages.
/// Written to `summary.json` as `display`, so reports rebuilt from a result folder say the
/// same, and readers can make the tables' `state`/`item` and `stage` columns ordered
/// categoricals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayNames {
    pub title: String,
    /// Every state's label, by state name.
    pub state_labels: BTreeMap<String, String>,
    pub currency: String,
    /// Every state's name in the model's order: `current`, the buckets from least to most
    /// overdue, then `paid_off`, `charged_off`, `sold`.
    pub states: Vec<String>,
    /// Every stage's name in delinquency order (by its least overdue bucket).
    pub stages: Vec<String>,
}

impl DisplayNames {
    /// The label of state `key`: as given, else the key prettified.
    pub fn state(&self, key: &str) -> String {
        self.state_labels
            .get(key)
            .cloned()
            .unwrap_or_else(|| prettify_state(key))
    }
}

/// A state key for readers: underscores become spaces, two numbers in a row a range and a
/// trailing `plus` a `+`: `dpd_1_30` -> `dpd 1-30`, `dpd_181_plus` -> `dpd 181+`,
/// `charged_off` -> `charged off`.
pub fn prettify_state(key: &str) -> String {
    let mut out = String::new();
    let mut after_number = false;
    for word in key.split('_').filter(|w| !w.is_empty()) {
        let number = word.chars().all(|c| c.is_ascii_digit());
        if after_number && number {
            out.push('-');
        } else if after_number && word == "plus" {
            out.push('+');
            continue;
        } else if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
        after_number = number;
    }
    out
}

/// How the engine walks the book (`[simulation] mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Every loan on its own (the default): loan-level money, any book.
    #[default]
    Loan,
    /// Cells of identical loans: the number of loans moving between states is drawn
    /// (multinomial, by chained binomials), so a cell costs the same whatever its size.
    Count,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Loan => "loan",
            Mode::Count => "count",
        }
    }
}

/// The bucketing rules of `[book.cells]`: loans share a cell when segment, state, vintage,
/// months on book and remaining term are equal and balance, APR and credit limit fall in the
/// same band. docs/SCENARIOS.md has the full text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellRules {
    /// Relative width of a balance band: bands are `[(1 + w)^k, (1 + w)^(k + 1))`.
    pub balance_width: f64,
    /// Width of an APR band, as a fraction (0.0025: a quarter of a percentage point).
    pub apr_width: f64,
    /// Relative width of a credit-limit band (revolving lines).
    pub credit_limit_width: f64,
}

impl Default for CellRules {
    fn default() -> CellRules {
        CellRules {
            balance_width: 0.05,
            apr_width: 0.0025,
            credit_limit_width: 0.05,
        }
    }
}

/// Where the loan book comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum BookSource {
    /// Generated from each segment's `[segments.NAME.book]`, in segment order.
    Synthetic(Vec<SyntheticSegment>),
    /// A loan tape (CSV or Parquet), path resolved against the scenario's folder.
    Tape { path: PathBuf },
}

/// How to generate one segment's loans.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticSegment {
    pub segment: usize,
    pub loans: u64,
    pub balance: BalanceDistribution,
    pub apr: f64,
    pub term_months: u32,
    /// Months on book at the start, uniform over `[first, last]`.
    pub months_on_book: (u32, u32),
    /// Credit limit as a multiple of the starting balance (revolving products).
    pub credit_limit_ratio: Option<f64>,
    /// Share of the segment's loans starting in each state; sums to one.
    pub initial_states: Vec<(StateId, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BalanceDistribution {
    Fixed {
        value: f64,
    },
    Uniform {
        min: f64,
        max: f64,
    },
    /// Parameterised by the mean and standard deviation of the balance itself.
    LogNormal {
        mean: f64,
        sd: f64,
    },
}

/// Why a scenario cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", render_invalid("scenario", path, text, diagnostics))]
    Invalid {
        path: PathBuf,
        text: String,
        diagnostics: Vec<Diagnostic>,
    },
}

impl ScenarioError {
    /// The same error, each problem that does not already name an override saying where it
    /// arose (`at sweep point 3 (debt_sale.price = 0.05)`): a problem found only at one
    /// point of a sweep or one value of a solve may sit on a line the override did not touch.
    pub fn at(self, place: &str) -> ScenarioError {
        match self {
            ScenarioError::Invalid {
                path,
                text,
                diagnostics,
            } => ScenarioError::Invalid {
                path,
                text,
                diagnostics: diagnostics
                    .into_iter()
                    .map(|mut d| {
                        if !d.message.contains("(set by `") {
                            d.message = format!("{} ({place})", d.message);
                        }
                        d
                    })
                    .collect(),
            },
            other => other,
        }
    }
}

/// Every diagnostic of a file under one heading; `what` names the kind of file.
pub(crate) fn render_invalid(
    what: &str,
    path: &Path,
    text: &str,
    diagnostics: &[Diagnostic],
) -> String {
    let file = path.display().to_string();
    let mut out = format!(
        "{what} `{file}` is invalid ({} problem{})\n",
        diagnostics.len(),
        if diagnostics.len() == 1 { "" } else { "s" }
    );
    // The same problem many times (1,000 bands, every row of a table) is shown a few times
    // and then counted, so the screen stays readable.
    let mut shown_of_kind: Vec<(String, usize, usize)> = Vec::new();
    let mut shown = 0;
    for d in diagnostics {
        let kind = kind_of(&d.message);
        let slot = match shown_of_kind.iter().position(|(k, _, _)| *k == kind) {
            Some(i) => i,
            None => {
                shown_of_kind.push((kind, 0, 0));
                shown_of_kind.len() - 1
            }
        };
        let entry = &mut shown_of_kind[slot];
        if entry.1 < MAX_SHOWN_OF_A_KIND && shown < MAX_SHOWN {
            entry.1 += 1;
            shown += 1;
            out.push('\n');
            out.push_str(&d.render(&file, text));
        } else {
            entry.2 += 1;
        }
    }
    let hidden: usize = shown_of_kind.iter().map(|e| e.2).sum();
    if hidden > 0 {
        out.push('\n');
        for (kind, _, more) in shown_of_kind.iter().filter(|e| e.2 > 0) {
            out.push_str(&format!(
                "... and {} more like it ({})\n",
                crate::model::group_thousands(*more as f64, 0),
                crate::input::snippet(kind, 80)
            ));
        }
    }
    out.trim_end().to_string()
}

/// Diagnostics of one kind shown before the rest are counted, and diagnostics shown in all.
const MAX_SHOWN_OF_A_KIND: usize = 5;
const MAX_SHOWN: usize = 50;

/// A message with its particulars (names in backticks, numbers) blanked: what makes two
/// problems "alike".
fn kind_of(message: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    for c in message.chars() {
        if c == '`' {
            quoted = !quoted;
            if quoted {
                out.push_str("`_`");
            }
        } else if !quoted {
            if c.is_ascii_digit() || c == '.' {
                if !out.ends_with('#') {
                    out.push('#');
                }
            } else {
                out.push(c);
            }
        }
    }
    out
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}`: {} paths x {} months, seed {}, {} segments",
            self.simulation.name,
            self.simulation.paths,
            self.simulation.horizon_months,
            self.simulation.seed,
            self.model.segments.len()
        )
    }
}

/// The name a scenario read from standard input (`-`) goes by in messages and in its result.
pub const STDIN_NAME: &str = "<stdin>";

/// Largest scenario accepted from standard input (a scenario file is a few kilobytes; a
/// calibrated one with its posterior a few megabytes).
const MAX_STDIN_BYTES: u64 = 256 << 20;

/// Reads and checks a scenario file; `-` reads the scenario from standard input, with paths in
/// it relative to the current folder.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    load_with(path, &[])
}

/// [`load`] with `--set` overrides applied to the text before it is checked.
pub fn load_with(path: &Path, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
    if path == Path::new("-") {
        return load_stdin(overrides);
    }
    crate::input::check_regular(path).map_err(|message| ScenarioError::Read {
        path: path.to_path_buf(),
        source: std::io::Error::other(message),
    })?;
    let bytes = std::fs::read(path).map_err(|source| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| ScenarioError::Invalid {
        path: path.to_path_buf(),
        text: String::new(),
        diagnostics: vec![
            Diagnostic::new(
                format!(
                    "the file is not UTF-8 text (bad byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
                None,
            )
            .hint("save the scenario as UTF-8 text"),
        ],
    })?;
    parse_with(&text, path, overrides)
}

fn load_stdin(overrides: &[Override]) -> Result<Scenario, ScenarioError> {
    use std::io::Read;
    let name = Path::new(STDIN_NAME);
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(MAX_STDIN_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| ScenarioError::Read {
            path: name.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > MAX_STDIN_BYTES {
        return Err(ScenarioError::Read {
            path: name.to_path_buf(),
            source: std::io::Error::other(format!(
                "more than {} MiB on standard input; give the scenario as a file",
                MAX_STDIN_BYTES >> 20
            )),
        });
    }
    let text = String::from_utf8(bytes).map_err(|e| ScenarioError::Invalid {
        path: name.to_path_buf(),
        text: String::new(),
        diagnostics: vec![
            Diagnostic::new(
                format!(
                    "the input is not UTF-8 text (bad byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
                None,
            )
            .hint("give the scenario as UTF-8 text"),
        ],
    })?;
    // `<stdin>` has the empty parent: relative paths in the scenario stay relative, to the
    // current folder.
    parse_with(&text, name, overrides)
}

/// [`parse`] of `text` with `overrides` applied; problems are shown on the original text, and
/// those in an override name it.
pub fn parse_with(
    text: &str,
    path: &Path,
    overrides: &[Override],
) -> Result<Scenario, ScenarioError> {
    if overrides.is_empty() {
        return parse(text, path);
    }
    let invalid = |diagnostics| ScenarioError::Invalid {
        path: path.to_path_buf(),
        text: text.to_string(),
        diagnostics,
    };
    let applied = overrides::apply(text, overrides).map_err(invalid)?;
    let (mut scenario, warnings) = parse_text(&applied.text, path).map_err(|e| match e {
        ScenarioError::Invalid { diagnostics, .. } => invalid(
            diagnostics
                .into_iter()
                .map(|d| applied.map_back(d))
                .collect(),
        ),
        other => other,
    })?;
    let warnings: Vec<Diagnostic> = warnings.into_iter().map(|d| applied.map_back(d)).collect();
    scenario.warnings = render_warnings(&warnings, path, text);
    Ok(scenario)
}

/// Checks scenario text; `path` names it in messages and anchors relative paths.
pub fn parse(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    let (mut scenario, warnings) = parse_text(text, path)?;
    scenario.warnings = render_warnings(&warnings, path, text);
    Ok(scenario)
}

/// The scenario and its warnings, not yet placed in the file.
fn parse_text(text: &str, path: &Path) -> Result<(Scenario, Vec<Diagnostic>), ScenarioError> {
    let invalid = |diagnostics| ScenarioError::Invalid {
        path: path.to_path_buf(),
        text: text.to_string(),
        diagnostics,
    };
    let raw: raw::RawScenario = from_toml(text).map_err(invalid)?;
    let base_dir = path.parent().unwrap_or(Path::new("."));
    let (simulation, model, book, warnings) =
        validate::validate(&raw, base_dir).map_err(invalid)?;
    let scenario = Scenario {
        file: path.to_path_buf(),
        file_sha256: sha256_hex(text.as_bytes()),
        text: text.to_string(),
        simulation,
        model,
        book,
        warnings: Vec::new(),
    };
    Ok((scenario, warnings))
}

/// Warnings as lines, those with the same message once with every line they point at:
/// `the rows of `dpd_121_150` are ignored: ... (scenarios/baseline.toml lines 113, 131, 149)`.
fn render_warnings(warnings: &[Diagnostic], path: &Path, text: &str) -> Vec<String> {
    let mut grouped: Vec<(&str, Vec<usize>)> = Vec::new();
    for w in warnings {
        let line = w.location(text).map(|(line, _)| line);
        match grouped.iter_mut().find(|(m, _)| *m == w.message) {
            Some((_, lines)) => lines.extend(line),
            None => grouped.push((&w.message, line.into_iter().collect())),
        }
    }
    grouped
        .into_iter()
        .map(|(message, lines)| match lines.as_slice() {
            [] => format!("{message} ({})", path.display()),
            [line] => format!("{message} ({}:{line})", path.display()),
            _ => format!(
                "{message} ({} lines {})",
                path.display(),
                lines
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
        .collect()
}

/// Most unknown keys reported from one file.
const MAX_TOML_PROBLEMS: usize = 50;

/// Deserialises TOML text, reporting the first syntax error and, once the syntax is right,
/// every unknown key at once (up to [`MAX_TOML_PROBLEMS`]) rather than one a run: each
/// unknown key is reported and taken out, and the text deserialised again.
pub(crate) fn from_toml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Vec<Diagnostic>> {
    let (mut root, errors) = toml::de::DeTable::parse_recoverable(text);
    // After the first syntax error the parser's recovery reports its consequences (every
    // line after an unclosed array): the first is the one to fix.
    if let Some(first) = errors.first() {
        return Err(vec![toml_diagnostic_in(first, text)]);
    }
    let mut diagnostics = Vec::new();
    // Tables taken out because a key of theirs was missing: their own absence is no news.
    let mut dropped_tables: Vec<String> = Vec::new();
    loop {
        match T::deserialize(toml::de::Deserializer::from(root.clone())) {
            Ok(value) if diagnostics.is_empty() => return Ok(value),
            Ok(_) => return Err(diagnostics),
            Err(e) => {
                let message = e.message().trim();
                if let Some(field) = message
                    .strip_prefix("missing field `")
                    .and_then(|m| m.strip_suffix('`'))
                    && dropped_tables.iter().any(|t| t == field)
                {
                    return Err(diagnostics);
                }
                diagnostics.push(toml_diagnostic_in(&e, text));
                if diagnostics.len() >= MAX_TOML_PROBLEMS {
                    return Err(diagnostics);
                }
                let Some(span) = e.span() else {
                    return Err(diagnostics);
                };
                let went_on = if message.starts_with("unknown field") {
                    remove_key_at(root.get_mut(), &span)
                } else if message.starts_with("missing field") && span.start > 0 {
                    // A table lacking a key (often the one a typo replaced): report it and
                    // take the table out, so the keys of the tables after it are checked too.
                    match remove_table_at(root.get_mut(), &span) {
                        Some(name) => {
                            dropped_tables.push(name);
                            true
                        }
                        None => false,
                    }
                } else {
                    false
                };
                if !went_on {
                    return Err(diagnostics);
                }
            }
        }
    }
}

/// Takes out of `table` the innermost entry holding a table that starts where `span` does;
/// its key, when it did.
fn remove_table_at(
    table: &mut toml::de::DeTable<'_>,
    span: &std::ops::Range<usize>,
) -> Option<String> {
    for (_, value) in table.iter_mut() {
        if let toml::de::DeValue::Table(inner) = value.get_mut()
            && let Some(name) = remove_table_at(inner, span)
        {
            return Some(name);
        }
    }
    let key = table
        .iter()
        .find(|(k, v)| {
            matches!(v.get_ref(), toml::de::DeValue::Table(_))
                && (v.span().start == span.start || k.span().start == span.start + 1)
        })
        .map(|(k, _)| k.clone())?;
    table.remove(&key)?;
    Some(key.get_ref().to_string())
}

/// Takes out of `table` the entry whose key starts where `span` does (at any depth); whether
/// it did.
fn remove_key_at(table: &mut toml::de::DeTable<'_>, span: &std::ops::Range<usize>) -> bool {
    let key = table
        .iter()
        .find(|(k, _)| k.span().start == span.start)
        .map(|(k, _)| k.clone());
    if let Some(key) = key {
        return table.remove(&key).is_some();
    }
    table
        .iter_mut()
        .any(|(_, value)| remove_in_value(value.get_mut(), span))
}

fn remove_in_value(value: &mut toml::de::DeValue<'_>, span: &std::ops::Range<usize>) -> bool {
    match value {
        toml::de::DeValue::Table(t) => remove_key_at(t, span),
        toml::de::DeValue::Array(items) => items
            .iter_mut()
            .any(|item| remove_in_value(item.get_mut(), span)),
        _ => false,
    }
}

/// [`toml_diagnostic`], with a zero-width span (a syntax error at a point) widened to the
/// character there so the error has a line and column.
pub(crate) fn toml_diagnostic_in(e: &toml::de::Error, text: &str) -> Diagnostic {
    let mut d = toml_diagnostic(e);
    if d.span.is_none()
        && let Some(span) = e.span()
        && !(span.start == 0 && e.message().starts_with("missing field"))
    {
        let start = span.start.min(text.len());
        let end = text[start..]
            .char_indices()
            .nth(1)
            .map_or(text.len(), |(i, _)| start + i);
        d.span = Some(start..end.max(start));
    }
    d
}

pub(crate) fn toml_diagnostic(e: &toml::de::Error) -> Diagnostic {
    let message = e.message().trim().to_string();
    let hint = if message.starts_with("unknown field") {
        "check the spelling against docs/SCENARIOS.md; unknown keys are errors so typos do not pass silently"
    } else if message.starts_with("missing field") {
        "add the key; docs/SCENARIOS.md lists what each section needs"
    } else if message.starts_with("invalid type") {
        "the value has the wrong type: numbers without quotes, names in quotes; docs/SCENARIOS.md gives each key's type"
    } else {
        "the file is not valid TOML of the scenario format; see docs/SCENARIOS.md"
    };
    // A missing top-level key has an empty span at the start of the file: point at nothing
    // rather than at the first line.
    let span = e.span().filter(|s| !s.is_empty());
    Diagnostic::new(message, span).hint(hint)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn state_keys_read_as_words_and_ranges() {
        let check = |key: &str, expected: &str| assert_eq!(super::prettify_state(key), expected);
        check("dpd_1_30", "dpd 1-30");
        check("dpd_181_plus", "dpd 181+");
        check("charged_off", "charged off");
        check("current", "current");
        check("stage_2_a", "stage 2 a");
    }
}
