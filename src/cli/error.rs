//! What can stop a command, by who can fix it: the exit code (2 for input the user can fix, 1
//! for everything else), the hint, and the error as text (`error:` and `hint:` lines) or, with
//! `--error-format json`, as one JSON object on stderr for programs such as the Python package.

use std::process::ExitCode;

use serde::Serialize;

use crate::book::BookError;
use crate::engine::EngineError;
use crate::report::ReportError;
use crate::results::atomic::PlaceError;
use crate::results::part::PartError;
use crate::scenario::ScenarioError;

/// How an error is written to stderr (`--error-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ErrorFormat {
    /// `error: ...` and `hint: ...` lines, for people.
    #[default]
    Text,
    /// One JSON object (`kind`, `exit_code`, `message`, `hint`, `problems`), for programs.
    Json,
}

impl ErrorFormat {
    /// The format the raw arguments ask for, read before parsing so that an argument error is
    /// written in it too.
    pub fn from_raw_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> ErrorFormat {
        let args: Vec<String> = args
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let json = args.iter().enumerate().any(|(i, a)| {
            a == "--error-format=json"
                || (a == "--error-format" && args.get(i + 1).is_some_and(|v| v == "json"))
        });
        if json {
            ErrorFormat::Json
        } else {
            ErrorFormat::Text
        }
    }
}

/// Who can fix an error, as `--error-format json` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The scenario file (or the calibration file): fix the file.
    Scenario,
    /// A data file the scenario or calibration reads: a loan tape, a panel.
    Data,
    /// A result folder or a part: changed, of another version, not belonging together, or in
    /// the way.
    Result,
    /// The command line.
    Usage,
    /// Reading or writing failed (disk full, permissions).
    Io,
    /// A bug in arrears.
    Internal,
}

/// One problem of a file, with its place when known.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub hint: Option<String>,
}

/// The JSON object `--error-format json` writes.
#[derive(Debug, Serialize)]
struct ErrorJson<'a> {
    kind: ErrorKind,
    exit_code: u8,
    message: &'a str,
    hint: Option<String>,
    problems: Vec<Problem>,
}

/// Everything that can stop a command, by who can fix it.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error(transparent)]
    Book(#[from] BookError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Calibrate(#[from] crate::calibrate::CalibrateError),
    #[error(transparent)]
    Part(#[from] PartError),
    #[error(transparent)]
    Place(#[from] PlaceError),
    /// A bug: the scenario calibration wrote does not validate.
    #[error(
        "the scenario written by calibration does not validate (a bug in arrears; please report it):\n{0}"
    )]
    CalibratedScenario(ScenarioError),
    #[error("{message}")]
    Usage { message: String, hint: String },
}

impl CliError {
    /// Arguments the user can fix: the message and what to do.
    pub fn usage(message: String, hint: &str) -> CliError {
        CliError::Usage {
            message,
            hint: hint.into(),
        }
    }

    /// 2 for input the user can fix, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self.kind() {
            ErrorKind::Io | ErrorKind::Internal => 1,
            ErrorKind::Scenario | ErrorKind::Data | ErrorKind::Result | ErrorKind::Usage => 2,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            CliError::Place(p) | CliError::Report(ReportError::Place(p)) => match p {
                PlaceError::Exists { .. } => Some(
                    "pass `--force` to replace it, or `--out DIR` to write somewhere else".into(),
                ),
                PlaceError::Raced { .. } => Some(
                    "two runs wrote to the same folder at once; run again with another `--out`, or with `--force` to replace it".into(),
                ),
                PlaceError::Input { hint, .. } => Some(hint.clone()),
                PlaceError::Io { .. } => None,
            },
            CliError::Usage { hint, .. } => Some(hint.clone()),
            CliError::Part(e) => Some(e.hint()),
            CliError::Report(ReportError::Input { hint, .. }) => Some(hint.clone()),
            CliError::Report(ReportError::Folder(e)) => Some(
                e.hint()
                    .unwrap_or("give a folder `arrears run` wrote, e.g. `output/baseline`; a stress set keeps each scenario in a subfolder, e.g. `output/stress_set/adverse`")
                    .into(),
            ),
            CliError::Book(BookError::Read { .. }) => Some(
                "a tape's `path` is relative to the scenario file; tapes are `.csv` (with a header row) or `.parquet`".into(),
            ),
            _ => None,
        }
    }

    /// Who can fix it.
    pub fn kind(&self) -> ErrorKind {
        match self {
            CliError::Scenario(_) | CliError::Engine(EngineError::Actions(_)) => {
                ErrorKind::Scenario
            }
            CliError::Book(_) | CliError::Calibrate(_) => ErrorKind::Data,
            CliError::Part(_) => ErrorKind::Result,
            CliError::Place(p) | CliError::Report(ReportError::Place(p)) => match p {
                PlaceError::Io { .. } => ErrorKind::Io,
                _ => ErrorKind::Result,
            },
            CliError::Report(ReportError::Folder(_) | ReportError::Input { .. }) => {
                ErrorKind::Result
            }
            CliError::Report(ReportError::Io { .. }) => ErrorKind::Io,
            CliError::Usage { .. } => ErrorKind::Usage,
            CliError::Engine(_) | CliError::Report(_) | CliError::CalibratedScenario(_) => {
                ErrorKind::Internal
            }
        }
    }

    /// Each problem of an invalid file on its own, with line and column where known.
    pub fn problems(&self) -> Vec<Problem> {
        match self {
            CliError::Scenario(ScenarioError::Invalid {
                path,
                text,
                diagnostics,
            }) => diagnostics
                .iter()
                .map(|d| {
                    let place = d.location(text);
                    Problem {
                        file: path.display().to_string(),
                        line: place.map(|(line, _)| line),
                        column: place.map(|(_, column)| column),
                        message: d.message.clone(),
                        hint: d.hint.clone(),
                    }
                })
                .collect(),
            CliError::Book(BookError::Invalid {
                path,
                problems,
                hint,
            }) => problems
                .iter()
                .map(|p| Problem {
                    file: path.display().to_string(),
                    line: None,
                    column: None,
                    message: p.clone(),
                    hint: Some(hint.clone()),
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Writes the error to stderr in `format` and returns its exit code.
    pub fn report(&self, format: ErrorFormat) -> ExitCode {
        let text = self.to_string();
        let message = text.strip_prefix("error: ").unwrap_or(&text);
        match format {
            ErrorFormat::Text => {
                eprintln!("error: {message}");
                if let Some(hint) = self.hint() {
                    eprintln!("hint: {hint}");
                }
            }
            ErrorFormat::Json => {
                // Some messages carry their hint inside (a tape's problems end with it): in
                // JSON it goes to `hint`.
                let (message, inner_hint) = match message.rsplit_once("\nhint: ") {
                    Some((m, h)) if self.hint().is_none() => (m, Some(h.to_string())),
                    _ => (message, None),
                };
                let json = ErrorJson {
                    kind: self.kind(),
                    exit_code: self.exit_code(),
                    message,
                    hint: self.hint().or(inner_hint),
                    problems: self.problems(),
                };
                match serde_json::to_string(&json) {
                    Ok(line) => eprintln!("{line}"),
                    Err(_) => eprintln!("error: {message}"),
                }
            }
        }
        ExitCode::from(self.exit_code())
    }
}

/// The message and hint of clap's rendered error (`error: ...`, a blank line, `Usage: ...`,
/// `For more information, try '--help'.`).
pub fn split_clap(rendered: &str) -> (String, String) {
    let mut lines = rendered.lines();
    let message = lines
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string();
    let rest: Vec<&str> = lines.map(str::trim).filter(|l| !l.is_empty()).collect();
    let hint = if rest.is_empty() {
        "run `arrears --help`".to_string()
    } else {
        rest.join("; ")
    };
    (message, hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_is_read_before_parsing() {
        let read = |args: &[&str]| ErrorFormat::from_raw_args(args.iter().map(|a| a.into()));
        assert_eq!(read(&["arrears", "run", "x.toml"]), ErrorFormat::Text);
        assert_eq!(
            read(&["arrears", "--error-format", "json", "run"]),
            ErrorFormat::Json
        );
        assert_eq!(
            read(&["arrears", "run", "--error-format=json"]),
            ErrorFormat::Json
        );
        assert_eq!(
            read(&["arrears", "--error-format", "text"]),
            ErrorFormat::Text
        );
    }

    #[test]
    fn clap_errors_split_into_message_and_hint() {
        let (message, hint) = split_clap(
            "error: unexpected argument '--pahts' found\n\n  tip: a similar argument exists: '--paths'\n\nUsage: arrears run <SCENARIO>\n\nFor more information, try '--help'.\n",
        );
        assert_eq!(message, "unexpected argument '--pahts' found");
        assert_eq!(
            hint,
            "tip: a similar argument exists: '--paths'; Usage: arrears run <SCENARIO>; For more information, try '--help'."
        );
    }
}
