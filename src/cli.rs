//! The `arrears` command: argument parsing, the `run` and `validate` subcommands, progress,
//! and the mapping from errors to messages and exit codes (0 ok, 2 bad input, 1 anything else).
//! Data goes to stdout, progress and diagnostics to stderr.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

use crate::book::{self, BookError};
use crate::engine::{self, EngineError};
use crate::metrics::stats::{self, RunSummary};
use crate::report::{self, Manifest, ReportError};
use crate::scenario::{self, BookSource, Scenario, ScenarioError};

#[derive(Debug, Parser)]
#[command(
    name = "arrears",
    version,
    about = "Monte Carlo simulation of loan books in collection",
    long_about = "Monte Carlo simulation of loan books in collection: loans move month by month \
through current, the delinquency buckets and the overdue stages to cure, pay-off, charge-off or \
debt sale. Reports recoveries, write-offs and sale proceeds with their distributions and Monte \
Carlo errors, as tables (CSV, Parquet) and charts (PNG, SVG).\n\nThe scenario format is \
documented in docs/SCENARIOS.md; the outputs in README.md.",
    after_help = "Examples:\n  arrears run scenarios/baseline.toml\n  arrears run scenarios/stress.toml --paths 200 --out output/stress-quick\n  arrears validate scenarios/tape.toml"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and write its results (tables, charts, summary.json)
    Run {
        /// Scenario file (TOML)
        scenario: PathBuf,
        /// Number of Monte Carlo paths (overrides `simulation.paths`)
        #[arg(long)]
        paths: Option<u64>,
        /// Random seed (overrides `simulation.seed`); the same seed gives the same results
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads (overrides `simulation.threads`); results do not depend on it
        #[arg(long)]
        threads: Option<usize>,
        /// Result folder [default: output/<simulation.name>]
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the result folder if it exists
        #[arg(long)]
        force: bool,
        /// No progress bar and no figures on stdout
        #[arg(long, short)]
        quiet: bool,
    },
    /// Check a scenario (and its loan tape) and report every problem at once
    Validate {
        /// Scenario file (TOML)
        scenario: PathBuf,
    },
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
    #[error("{message}")]
    Usage { message: String, hint: String },
}

impl CliError {
    /// 2 for input the user can fix, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Scenario(_) | CliError::Book(_) | CliError::Usage { .. } => 2,
            CliError::Engine(EngineError::Actions(_)) => 2,
            CliError::Report(ReportError::Exists { .. }) => 2,
            _ => 1,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            CliError::Report(ReportError::Exists { .. }) => Some(
                "pass `--force` to replace it, or `--out DIR` to write somewhere else".into(),
            ),
            CliError::Usage { hint, .. } => Some(hint.clone()),
            CliError::Book(BookError::Read { .. }) => Some(
                "a tape's `path` is relative to the scenario file; tapes are `.csv` (with a header row) or `.parquet`".into(),
            ),
            _ => None,
        }
    }
}

/// Parses the arguments, runs the command and returns the exit code.
pub fn main() -> ExitCode {
    let args = Args::parse();
    match execute(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let text = e.to_string();
            if text.starts_with("error:") {
                eprintln!("{text}");
            } else {
                eprintln!("error: {text}");
            }
            if let Some(hint) = e.hint() {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(e.exit_code())
        }
    }
}

pub fn execute(args: Args) -> Result<(), CliError> {
    match args.command {
        Command::Validate { scenario } => validate(&scenario),
        Command::Run {
            scenario,
            paths,
            seed,
            threads,
            out,
            force,
            quiet,
        } => run(&RunOptions {
            scenario,
            paths,
            seed,
            threads,
            out,
            force,
            quiet,
        }),
    }
}

fn validate(path: &Path) -> Result<(), CliError> {
    let scenario = scenario::load(path)?;
    let book = book::load(&scenario)?;
    println!(
        "scenario `{}` is valid: {}; book of {} loans, balance {}",
        path.display(),
        scenario,
        group_thousands(book.len() as f64, 0),
        group_thousands(book.total_balance(), 0)
    );
    Ok(())
}

/// Options of `arrears run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub scenario: PathBuf,
    pub paths: Option<u64>,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub out: Option<PathBuf>,
    pub force: bool,
    pub quiet: bool,
}

/// `arrears run`: load, check the destination, simulate, summarise, write.
pub fn run(options: &RunOptions) -> Result<(), CliError> {
    let mut scenario = scenario::load(&options.scenario)?;
    if let Some(paths) = options.paths {
        if paths == 0 {
            return Err(CliError::Usage {
                message: "`--paths` must be at least 1".into(),
                hint: "e.g. `--paths 1000`".into(),
            });
        }
        scenario.simulation.paths = paths;
    }
    if let Some(seed) = options.seed {
        scenario.simulation.seed = seed;
    }
    if options.threads == Some(0) {
        return Err(CliError::Usage {
            message: "`--threads` must be at least 1".into(),
            hint: "leave it out to use every core".into(),
        });
    }
    let out_dir = options
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&scenario.simulation.name));
    report::check_destination(&out_dir, options.force)?;
    check_memory(&scenario)?;
    let book = book::load(&scenario)?;

    let started = Instant::now();
    let bar = progress_bar(
        scenario.simulation.paths * engine::passes(&scenario.model),
        options.quiet,
    );
    let output = engine::run(
        &scenario.simulation,
        &scenario.model,
        &book,
        options.threads,
        &|done| {
            bar.set_position(done);
        },
    )?;
    bar.finish_and_clear();
    let run_seconds = started.elapsed().as_secs_f64();
    let summary = stats::summarise(&output, &scenario.model, &book);
    let manifest = manifest(&scenario, &book, output.threads, run_seconds);
    report::write_results(
        &out_dir,
        options.force,
        &scenario,
        &book,
        &output,
        &summary,
        &manifest,
    )?;
    if !options.quiet {
        if summary.stress.is_empty() {
            print_figures(&scenario, &book, &summary, run_seconds, output.threads);
        } else {
            print_stress(&scenario, &summary, run_seconds, output.threads);
        }
    }
    for w in &summary.warnings {
        eprintln!("warning: {w}");
    }
    eprintln!("results in {}", out_dir.display());
    Ok(())
}

/// Per-path outcomes are kept for exact percentiles; refuse a run whose outcomes alone would not
/// fit comfortably in memory rather than fail an hour in.
fn check_memory(scenario: &Scenario) -> Result<(), CliError> {
    const LIMIT_BYTES: f64 = 8.0 * 1024.0 * 1024.0 * 1024.0;
    let layout = crate::metrics::TimelineLayout {
        n_states: scenario.model.space.len(),
        horizon_months: scenario.simulation.horizon_months as usize,
    };
    let per_path = (layout.len() + crate::metrics::Total::COUNT) as f64 * 8.0;
    let needed = per_path * scenario.simulation.paths as f64;
    if needed > LIMIT_BYTES {
        let max_paths = (LIMIT_BYTES / per_path).floor();
        return Err(CliError::Usage {
            message: format!(
                "{} paths x {} months would keep {:.1} GiB of per-path results in memory",
                scenario.simulation.paths,
                scenario.simulation.horizon_months,
                needed / 1024.0 / 1024.0 / 1024.0
            ),
            hint: format!(
                "use at most {} paths at this horizon (8 GiB), or a shorter horizon",
                group_thousands(max_paths, 0)
            ),
        });
    }
    Ok(())
}

fn progress_bar(paths: u64, quiet: bool) -> indicatif::ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(paths);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "simulating [{bar:30}] {pos}/{len} paths, {elapsed} elapsed, ~{eta} left",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar
}

fn manifest(
    scenario: &Scenario,
    book: &book::LoanBook,
    threads: usize,
    run_seconds: f64,
) -> Manifest {
    let loan_tape_sha256 = match &scenario.book {
        BookSource::Tape { path } => std::fs::read(path).ok().map(|b| scenario::sha256_hex(&b)),
        BookSource::Synthetic(_) => None,
    };
    Manifest {
        arrears_version: env!("CARGO_PKG_VERSION"),
        scenario_name: scenario.simulation.name.clone(),
        scenario_file: scenario.file.display().to_string(),
        scenario_sha256: scenario.file_sha256.clone(),
        loan_tape_sha256,
        format_version: scenario::FORMAT_VERSION,
        seed: scenario.simulation.seed,
        paths: scenario.simulation.paths,
        horizon_months: scenario.simulation.horizon_months,
        loans: book.len(),
        threads,
        rng: "Xoshiro256++ per (seed, path, loan), seeded through SplitMix64",
        run_seconds,
        created_utc: report::utc_now(),
    }
}

fn print_figures(
    scenario: &Scenario,
    book: &book::LoanBook,
    summary: &RunSummary,
    seconds: f64,
    threads: usize,
) {
    println!(
        "{}: {} loans, balance {}; {} paths x {} months, seed {} ({:.1} s on {threads} thread{})",
        scenario.simulation.name,
        group_thousands(book.len() as f64, 0),
        group_thousands(book.total_balance(), 0),
        group_thousands(scenario.simulation.paths as f64, 0),
        scenario.simulation.horizon_months,
        scenario.simulation.seed,
        seconds,
        if threads == 1 { "" } else { "s" },
    );
    println!(
        "{:<32} {:>26} {:>16} {:>16}",
        "figure", "mean ± standard error", "p5", "p95"
    );
    for h in &summary.headlines {
        let e = &h.estimate;
        let (mean, se, p5, p95) = if h.unit == "fraction" {
            (
                format!("{:.2}%", 100.0 * e.mean),
                format!("{:.3}%", 100.0 * e.se),
                format!("{:.2}%", 100.0 * e.p5),
                format!("{:.2}%", 100.0 * e.p95),
            )
        } else {
            (
                group_thousands(e.mean, 0),
                group_thousands(e.se, 0),
                group_thousands(e.p5, 0),
                group_thousands(e.p95, 0),
            )
        };
        println!(
            "{:<32} {:>26} {:>16} {:>16}",
            h.name,
            format!("{mean} ± {se}"),
            p5,
            p95
        );
    }
    for t in &summary.net_credit_loss_tail {
        println!(
            "{:<32} {:>26} {:>16}",
            format!("net_credit_loss VaR {}%", t.level * 100.0),
            group_thousands(t.var, 0),
            format!("ES {}", group_thousands(t.expected_shortfall, 0))
        );
    }
}

fn print_stress(scenario: &Scenario, summary: &RunSummary, seconds: f64, threads: usize) {
    println!(
        "{}: stress set of {} scenarios, {} paths x {} months each, seed {} ({:.1} s on {threads} threads)",
        scenario.simulation.name,
        scenario.model.stress.len(),
        group_thousands(scenario.simulation.paths as f64, 0),
        scenario.simulation.horizon_months,
        scenario.simulation.seed,
        seconds,
    );
    println!(
        "{:<12} {:>8} {:>28} {:>16} {:>16}",
        "scenario", "weight", "expected loss ± se", "99% VaR", "99% ES"
    );
    for r in &summary.stress {
        let t99 = r.net_credit_loss_tail.iter().find(|t| t.level == 0.99);
        println!(
            "{:<12} {:>8} {:>28} {:>16} {:>16}",
            r.scenario,
            r.weight.map_or("-".to_string(), |w| format!("{w:.2}")),
            format!(
                "{} ± {}",
                group_thousands(r.net_credit_loss.mean, 0),
                group_thousands(r.net_credit_loss.se, 0)
            ),
            t99.map_or("n/a".into(), |t| group_thousands(t.var, 0)),
            t99.map_or("n/a".into(), |t| group_thousands(t.expected_shortfall, 0)),
        );
    }
}

/// `1234567.8` -> `1,234,568` (with `decimals` decimals).
pub fn group_thousands(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = s
        .split_once('.')
        .map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    if x < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::group_thousands;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(1_234_567.8, 0), "1,234,568");
        assert_eq!(group_thousands(-999.0, 0), "-999");
        assert_eq!(group_thousands(12.345, 2), "12.35");
        assert_eq!(group_thousands(f64::NAN, 0), "n/a");
    }
}
