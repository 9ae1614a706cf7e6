//! The `arrears` command: argument parsing, the `run` and `validate` subcommands, progress,
//! and the mapping from errors to messages and exit codes (0 ok, 2 bad input, 1 anything else).
//! Data goes to stdout, progress and diagnostics to stderr.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

mod error;
mod init;
mod optimise;
mod shard;
mod solve;
mod sweep;

pub use error::{CliError, ErrorFormat};

use crate::book;
use crate::engine;
use crate::metrics::summary::{RunSummary, summarise};
use crate::model::group_thousands;
use crate::report::{self, ReportError, RunFacts};
use crate::results::atomic;
use crate::results::part::{self, PartError, PartFile};
use crate::results::summary::BookFacts;
use crate::results::{FolderKind, Trust};
use crate::scenario::{self, BookSource, Mode, Override, Scenario};

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
    after_help = "Examples:\n  arrears run scenarios/baseline.toml\n  arrears run scenarios/stress.toml --paths 200 --out output/stress-quick\n  arrears validate scenarios/tape.toml\n  arrears calibrate scenarios/calibration/calibrate.toml\n  arrears run output/calibrated-calibration/scenario.toml --posterior"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
    /// How errors are written to stderr: `text` (error and hint lines) or `json` (one object
    /// with kind, exit code, message, hint and each problem's file, line and column)
    #[arg(long, global = true, value_enum, default_value_t = ErrorFormat::Text)]
    pub error_format: ErrorFormat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and write its results (tables, charts, summary.json)
    Run {
        /// Scenario file (TOML); `-` reads it from standard input, paths in it relative to the current folder
        scenario: PathBuf,
        /// Change a scenario key before it is checked, by its dotted path (repeatable):
        /// `--set debt_sale.price=0.05`, `--set segments.subprime.book.loans=50000`,
        /// `--set actions.calls.cost_per_account=2` (arrays of tables by `name`)
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
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
        /// Draw each path's transition matrices from the estimation posterior written by
        /// `arrears calibrate` (same as `parameter_uncertainty = "posterior"`)
        #[arg(long)]
        posterior: bool,
        /// Simulate only shard I of N (paths floor(I*P/N) to floor((I+1)*P/N)) and write it as
        /// a part for `arrears merge`, into `--out` (the parts folder) [default:
        /// output/<simulation.name>.parts]; `auto` reads I and N from a Slurm array, a
        /// Kubernetes Indexed Job (with `--shards`) or an AWS Batch array
        #[arg(long, value_name = "I/N|auto")]
        shard: Option<String>,
        /// Number of shards, for `--shard auto` under Kubernetes (its Job's `completions`)
        #[arg(long, value_name = "N")]
        shards: Option<u64>,
    },
    /// Run a scenario at every point of a grid (or zipped lists) of key values, on common
    /// random numbers: a long table of every figure at every point, paired differences,
    /// charts and a report, and each point's own result folder
    #[command(
        after_help = "Examples:\n  arrears sweep scenarios/sweep_sale_price.toml\n  arrears sweep scenarios/baseline.toml --vary debt_sale.price=0.02..0.08/0.01 --paths 200\n  arrears sweep scenarios/baseline.toml --vary charge_off.dpd=120,150,180 --vary debt_sale.months=6,12 --figure net_credit_loss"
    )]
    Sweep {
        /// Scenario file (TOML); `-` reads it from standard input
        scenario: PathBuf,
        /// A key and its values (repeatable): `KEY=a..b/step` (both ends included) or
        /// `KEY=v1,v2,v3`; replaces the scenario's `[sweep]` keys
        #[arg(long, value_name = "KEY=VALUES")]
        vary: Vec<String>,
        /// Take the i-th value of every key together instead of every combination
        #[arg(long)]
        zip: bool,
        /// The point every other is compared with (its number, from 0) [default: 0]
        #[arg(long, value_name = "POINT")]
        reference: Option<usize>,
        /// A figure to chart against the first key (repeatable; a column of `paths.csv`)
        #[arg(long = "figure", value_name = "FIGURE")]
        figures: Vec<String>,
        /// Change a scenario key at every point (repeatable), as for `arrears run`
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Monte Carlo paths at each point (overrides `simulation.paths`)
        #[arg(long)]
        paths: Option<u64>,
        /// Random seed shared by every point (overrides `simulation.seed`)
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads (overrides `simulation.threads`); results do not depend on it
        #[arg(long)]
        threads: Option<usize>,
        /// Simulate only shard I of N (points floor(I*K/N) to floor((I+1)*K/N) of K) and write
        /// it as a part for `arrears merge`; `auto` reads the index from a Slurm array, a
        /// Kubernetes Indexed Job (with `--shards`) or an AWS Batch array
        #[arg(long, value_name = "I/N|auto")]
        shard: Option<String>,
        /// Number of shards, for `--shard auto` under Kubernetes
        #[arg(long)]
        shards: Option<u64>,
        /// Sweep folder [default: output/<simulation.name>-sweep]; with `--shard`, the folder
        /// of parts [default: output/<simulation.name>-sweep.parts]
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the sweep folder if it exists
        #[arg(long)]
        force: bool,
        /// No progress bar and no figures on stdout
        #[arg(long, short)]
        quiet: bool,
    },
    /// Find the value of a key at which a figure reaches a target (break-even, reverse
    /// stress), every run on the scenario's seed, with a confidence interval for the root
    #[command(
        after_help = "Examples:\n  arrears solve scenarios/baseline.toml --vary debt_sale.price=0.01..0.20 --target net_credit_loss=6000000\n  arrears solve scenarios/sweep_sale_price.toml --vary debt_sale.price=0.01..0.2 --target recovery_rate_discounted=42%\n  arrears solve scenarios/baseline.toml --vary charge_off.dpd=120..180 --target gross_write_offs=8000000"
    )]
    Solve {
        /// Scenario file (TOML); `-` reads it from standard input
        scenario: PathBuf,
        /// The key and the range to search: `KEY=LOW..HIGH` (whole numbers search whole values)
        #[arg(long, value_name = "KEY=LOW..HIGH")]
        vary: String,
        /// The figure and the value it must reach: `FIGURE=VALUE` (a fraction as 0.42 or 42%)
        #[arg(long, value_name = "FIGURE=VALUE")]
        target: String,
        /// Stop when the bracket is this narrow, in the key's unit [default: 1/10,000 of the range]
        #[arg(long)]
        tolerance: Option<f64>,
        /// Change a scenario key (repeatable), as for `arrears run`
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Monte Carlo paths of each run (overrides `simulation.paths`)
        #[arg(long)]
        paths: Option<u64>,
        /// Random seed shared by every run (overrides `simulation.seed`)
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads (overrides `simulation.threads`); results do not depend on it
        #[arg(long)]
        threads: Option<usize>,
        /// Folder for the solution [default: output/<simulation.name>-solve]
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the folder if it exists
        #[arg(long)]
        force: bool,
        /// No progress bar and nothing on stdout
        #[arg(long, short)]
        quiet: bool,
    },
    /// Merge the parts of a sharded run (`arrears run --shard`) or sweep (`arrears sweep
    /// --shard`) into its result folder, the same as on one machine
    Merge {
        /// Part folders, or folders holding them (e.g. `output/baseline.parts`)
        #[arg(required = true)]
        parts: Vec<PathBuf>,
        /// Result folder [default: output/<simulation.name>]
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the result folder if it exists
        #[arg(long)]
        force: bool,
        /// No figures on stdout
        #[arg(long, short)]
        quiet: bool,
    },
    /// Estimate a scenario from a loan performance history (panel) and write it with a report
    Calibrate {
        /// Calibration file (TOML): the panel, its columns, status codes, options
        calibration: PathBuf,
        /// Panel file (overrides `[panel] path`)
        #[arg(long)]
        panel: Option<PathBuf>,
        /// Result folder [default: output/<scenario.name>-calibration]
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the result folder if it exists
        #[arg(long)]
        force: bool,
        /// Nothing on stdout
        #[arg(long, short)]
        quiet: bool,
    },
    /// Rebuild `report.html` and `report.md` of a result folder from its files
    Report {
        /// Result folder written by `arrears run` (e.g. `output/baseline`)
        result: PathBuf,
        /// Build the report even if the folder's files differ from what the run wrote (the
        /// report then says so)
        #[arg(long)]
        trust_modified: bool,
        /// Nothing on stdout
        #[arg(long, short)]
        quiet: bool,
    },
    /// Compare two or more result folders: headline differences with standard errors, overlay
    /// charts, an HTML report
    Compare {
        /// Result folders written by `arrears run`; the first is the reference
        #[arg(required = true, num_args = 2..)]
        results: Vec<PathBuf>,
        /// Compare even folders whose files differ from what their run wrote (the comparison
        /// then says so)
        #[arg(long)]
        trust_modified: bool,
        /// Comparison folder [default: `output/compare-FIRST-vs-SECOND...`]
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the comparison folder if it exists
        #[arg(long)]
        force: bool,
        /// Nothing on stdout
        #[arg(long, short)]
        quiet: bool,
    },
    /// Check a folder arrears wrote against its manifest (every file's size and SHA-256) and
    /// say what it is; exit 2 naming each file that differs
    Verify {
        /// Result, stress-set, comparison, calibration or part folder
        folder: PathBuf,
    },
    /// Write a commented starter scenario NAME.toml and a loan-tape template NAME-tape.csv
    Init {
        /// Scenario name (lowercase letters, digits and `_`)
        #[arg(default_value = "my_book")]
        name: String,
        /// Folder to write them in
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
    /// Choose the collection actions per segment and stage that maximise the expected present
    /// value of collections net of costs within a monthly budget, confirmed by Monte Carlo
    /// against the scenario's own actions
    Optimise(optimise::OptimiseArgs),
    /// Check a scenario (and its loan tape) and report every problem at once
    Validate {
        /// Scenario file (TOML); `-` reads it from standard input
        scenario: PathBuf,
        /// Change a scenario key before it is checked, by its dotted path (repeatable):
        /// `--set debt_sale.price=0.05`, `--set segments.subprime.book.loans=50000`,
        /// `--set actions.calls.cost_per_account=2` (arrays of tables by `name`)
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
}

/// What the spread of a run's results reflects, as the manifest and the screen say it.
pub const UNCERTAINTY_PROCESS: &str =
    "process noise only (transition matrices fixed at the scenario's values)";
pub const UNCERTAINTY_POSTERIOR: &str = "process noise and estimation uncertainty (each path draws its transition matrices from the calibration posterior)";

/// Parses the arguments, runs the command and returns the exit code.
pub fn main() -> ExitCode {
    // Before parsing, so that a wrong argument is reported in the format asked for too.
    let format = ErrorFormat::from_raw_args(std::env::args_os());
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) if format == ErrorFormat::Json && e.use_stderr() => {
            let (message, hint) = error::split_clap(&e.render().to_string());
            return CliError::Usage { message, hint }.report(format);
        }
        Err(e) => e.exit(),
    };
    atomic::clean_up_on_signals();
    match execute(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(format),
    }
}

pub fn execute(args: Args) -> Result<(), CliError> {
    match args.command {
        Command::Validate { scenario, set } => validate(&scenario, &overrides(&set)?),
        Command::Optimise(args) => {
            let set = overrides(&args.set)?;
            optimise::optimise(&args.options(set))
        }
        Command::Verify { folder } => {
            let manifest = crate::results::folder::verify(&folder)
                .map_err(|e| CliError::Report(ReportError::Folder(e)))?;
            let kind = serde_json::to_value(manifest.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            println!(
                "verified `{}`: {kind}, {} files as written by arrears {} (result format {})",
                folder.display(),
                manifest.files.len(),
                manifest.arrears_version,
                manifest.format_version
            );
            Ok(())
        }
        Command::Init { name, dir } => {
            for path in init::init(&dir, &name)? {
                println!("{}", path.display());
            }
            Ok(())
        }
        Command::Run {
            scenario,
            set,
            paths,
            seed,
            threads,
            out,
            force,
            quiet,
            posterior,
            shard,
            shards,
        } => run(&RunOptions {
            scenario,
            overrides: overrides(&set)?,
            paths,
            seed,
            threads,
            out,
            force,
            quiet,
            posterior,
            shard,
            shards,
        }),
        Command::Merge {
            parts,
            out,
            force,
            quiet,
        } => merge(&parts, out, force, quiet),
        Command::Solve {
            scenario,
            vary,
            target,
            tolerance,
            set,
            paths,
            seed,
            threads,
            out,
            force,
            quiet,
        } => solve::solve(&solve::SolveOptions {
            scenario,
            overrides: overrides(&set)?,
            vary,
            target,
            tolerance,
            paths,
            seed,
            threads,
            out,
            force,
            quiet,
        }),
        Command::Sweep {
            scenario,
            vary,
            zip,
            reference,
            figures,
            set,
            paths,
            seed,
            threads,
            shard,
            shards,
            out,
            force,
            quiet,
        } => sweep::sweep(&sweep::SweepOptions {
            scenario,
            overrides: overrides(&set)?,
            vary,
            zip,
            reference,
            figures,
            paths,
            seed,
            threads,
            shard,
            shards,
            out,
            force,
            quiet,
        }),
        Command::Calibrate {
            calibration,
            panel,
            out,
            force,
            quiet,
        } => calibrate(&calibration, panel, out, force, quiet),
        Command::Report {
            result,
            trust_modified,
            quiet,
        } => rebuild_report(&result, trust(trust_modified), quiet),
        Command::Compare {
            results,
            trust_modified,
            out,
            force,
            quiet,
        } => compare(&results, trust(trust_modified), out, force, quiet),
    }
}

fn trust(modified: bool) -> Trust {
    if modified {
        Trust::Modified
    } else {
        Trust::Verified
    }
}

/// `arrears report DIR`: rebuilds the reports of a result folder from its files.
fn rebuild_report(dir: &Path, trust: Trust, quiet: bool) -> Result<(), CliError> {
    let written = report::run_report::rebuild(dir, trust)?;
    if !quiet {
        for path in written {
            println!("{}", path.display());
        }
    }
    Ok(())
}

/// `arrears compare A B ...`: the comparison folder, written atomically.
fn compare(
    results: &[PathBuf],
    trust: Trust,
    out: Option<PathBuf>,
    force: bool,
    quiet: bool,
) -> Result<(), CliError> {
    let out_dir = out.unwrap_or_else(|| report::compare::default_folder(results));
    let comparison = report::compare::write_comparison(results, trust, &out_dir, force)?;
    if !quiet {
        print!("{comparison}");
    }
    eprintln!("comparison in {}", out_dir.display());
    Ok(())
}

/// The `--set` arguments, parsed.
fn overrides(set: &[String]) -> Result<Vec<Override>, CliError> {
    set.iter()
        .map(|arg| {
            Override::parse(arg).map_err(|message| CliError::Usage {
                message,
                hint: "give `--set KEY=VALUE`, the key by its dotted path as in the scenario file"
                    .into(),
            })
        })
        .collect()
}

fn validate(path: &Path, overrides: &[Override]) -> Result<(), CliError> {
    let scenario = scenario::load_with(path, overrides)?;
    warn(&scenario.warnings);
    let (book, _) = book::load_for_run(&scenario)?;
    println!(
        "scenario `{}` is valid: {}; book of {} loans{}, balance {}",
        path.display(),
        scenario,
        group_thousands(book.loans() as f64, 0),
        in_cells(&scenario, book.len() as u64),
        group_thousands(book.total_balance(), 0)
    );
    Ok(())
}

/// ` in 1,234 cells` in count mode, nothing in loan mode.
fn in_cells(scenario: &Scenario, cells: u64) -> String {
    match scenario.simulation.mode {
        Mode::Count => format!(
            " in {} cell{}",
            group_thousands(cells as f64, 0),
            if cells == 1 { "" } else { "s" }
        ),
        Mode::Loan => String::new(),
    }
}

/// Warnings on stderr, each as `warning: ...` (the Python package turns them into
/// `ArrearsWarning`s).
fn warn(warnings: &[String]) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

/// Options of `arrears run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub scenario: PathBuf,
    /// `--set KEY=VALUE`, applied before the scenario is checked.
    pub overrides: Vec<Override>,
    pub paths: Option<u64>,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub out: Option<PathBuf>,
    pub force: bool,
    pub quiet: bool,
    pub posterior: bool,
    /// `--shard I/N` or `auto`.
    pub shard: Option<String>,
    pub shards: Option<u64>,
}

/// `arrears run`: load, check the destination, simulate, summarise, write.
pub fn run(options: &RunOptions) -> Result<(), CliError> {
    check_run_numbers(options.paths, options.seed, options.threads)?;
    let mut scenario = scenario::load_with(&options.scenario, &options.overrides)?;
    warn(&scenario.warnings);
    if let Some(paths) = options.paths {
        scenario.simulation.paths = paths;
    }
    if let Some(seed) = options.seed {
        scenario.simulation.seed = seed;
    }
    if options.posterior {
        if !scenario.model.has_posterior() {
            return Err(CliError::Usage {
                message: format!(
                    "`--posterior` needs a scenario with `transitions_posterior` rows, and `{}` has none",
                    options.scenario.display()
                ),
                hint: "`arrears calibrate` writes scenarios with posteriors; drop `--posterior` to run with fixed matrices".into(),
            });
        }
        scenario.model.draw_posterior = true;
    }
    let paths = scenario.simulation.paths;
    let env = |name: &str| std::env::var(name).ok();
    let shard = shard::resolve(
        options.shard.as_deref(),
        options.shards,
        paths,
        "path",
        &env,
    )?;
    let (index, shards) = shard.unwrap_or((0, 1));
    let range = part::path_range(index, shards, paths);
    let name = &scenario.simulation.name;
    let out_dir = match (shard, &options.out) {
        (None, Some(out)) => out.clone(),
        (None, None) => Path::new("output").join(name),
        (Some(_), out) => out
            .clone()
            .unwrap_or_else(|| Path::new("output").join(format!("{name}.parts")))
            .join(part::folder_name(index, shards)),
    };
    // A shard run again (a scheduler's retry) replaces its own part of the same run.
    let force = options.force || (shard.is_some() && same_part(&out_dir, &scenario, index, shards));
    atomic::check_destination(&out_dir, force)?;
    let (book, bucketing) = book::load_for_run(&scenario)?;
    check_memory(&scenario, &book, range.end - range.start)?;
    check_duration(&scenario, &book, range.end - range.start)?;
    if let Some(w) = small_cells_warning(&scenario, &book) {
        eprintln!("warning: {w}");
    }

    let started = Instant::now();
    let bar = progress_bar(
        "simulating",
        (range.end - range.start) * engine::passes(&scenario.model),
        "paths",
        options.quiet,
    );
    let output = engine::run_paths(
        &scenario.simulation,
        &scenario.model,
        &book,
        range.clone(),
        options.threads,
        &|done| {
            bar.set_position(done);
        },
    )?;
    bar.finish_and_clear();
    let facts = run_facts(
        &scenario,
        &book,
        output.threads,
        started.elapsed().as_secs_f64(),
        shards,
    );
    let file = PartFile {
        shard: index,
        shards,
        first_path: range.start,
        end_path: range.end,
        posterior: scenario.model.draw_posterior,
        run: facts,
        book: report::book_facts(&scenario, &book, bucketing.as_ref()),
        outcome_layout: output.layout,
        passes: part::pass_names(&scenario.model),
    };
    let passes = part::passes_of(output);
    if shard.is_some() {
        report::write_part(&out_dir, force, &scenario, &file, &passes)?;
        eprintln!(
            "part {index} of {shards} (paths {} to {} of {paths}) in {}",
            range.start,
            range.end - 1,
            out_dir.display()
        );
        return Ok(());
    }
    // One machine: the run is its only part, finished by the same code as `arrears merge`.
    let output = part::combine(
        &scenario.model,
        file.outcome_layout,
        file.run.threads,
        [passes],
    );
    finish(
        &scenario,
        &file.book,
        &output,
        file.run,
        &out_dir,
        options.force,
        options.quiet,
    )
}

/// Whether `dir` holds a part of shard `index` of `shards` of the same scenario, seed and
/// paths (whole or damaged): what a rerun of the shard, a scheduler's retry, may replace
/// without `--force`.
fn same_part(dir: &Path, scenario: &Scenario, index: u64, shards: u64) -> bool {
    part::is_part(dir)
        && std::fs::read_to_string(dir.join(part::PART_FILE))
            .ok()
            .and_then(|t| serde_json::from_str::<PartFile>(&t).ok())
            .is_some_and(|f| {
                f.shard == index
                    && f.shards == shards
                    && f.run.scenario_sha256 == scenario.file_sha256
                    && f.run.seed == scenario.simulation.seed
                    && f.run.paths == scenario.simulation.paths
            })
}

/// The end of every run, on one machine or merged from shards: summarise the outcomes, write
/// the result folder, print the figures.
fn finish(
    scenario: &Scenario,
    book: &BookFacts,
    output: &engine::RunOutput,
    facts: RunFacts,
    out_dir: &Path,
    force: bool,
    quiet: bool,
) -> Result<(), CliError> {
    let summary = summarise(output, &scenario.model, &book.book_profile);
    report::write_results(out_dir, force, scenario, book, output, &summary, &facts)?;
    if !quiet {
        if summary.stress.is_empty() {
            print_figures(scenario, book, &facts, &summary);
        } else {
            print_stress(scenario, &summary, &facts);
        }
    }
    warn(&summary.warnings);
    eprintln!("results in {}", out_dir.display());
    Ok(())
}

/// `arrears merge PARTS...`: checks the parts belong together, then finishes the run.
fn merge(args: &[PathBuf], out: Option<PathBuf>, force: bool, quiet: bool) -> Result<(), CliError> {
    // The parts of a sharded sweep, if that is what the arguments hold.
    if let Ok(sweep_parts) = part::gather_of(args, FolderKind::SweepPart) {
        return sweep::merge(&sweep_parts, out, force, quiet);
    }
    let started = Instant::now();
    let parts = part::gather(args)?
        .into_iter()
        .map(|dir| part::read(&dir).map(|file| (dir, file)))
        .collect::<Result<Vec<_>, _>>()?;
    let parts = part::check_together(parts)?;
    let (first_dir, first) = &parts[0];
    let scenario_path = first_dir.join("scenario.toml");
    let text = std::fs::read_to_string(&scenario_path).map_err(|e| PartError::Damaged {
        dir: first_dir.clone(),
        message: format!("cannot read `scenario.toml`: {e}"),
    })?;
    let mut scenario = scenario::parse(&text, &scenario_path)?;
    scenario.simulation.seed = first.run.seed;
    scenario.simulation.paths = first.run.paths;
    scenario.model.draw_posterior = first.posterior;
    if part::pass_names(&scenario.model) != first.passes {
        return Err(PartError::Damaged {
            dir: first_dir.clone(),
            message: format!(
                "its passes {:?} are not those of its scenario {:?}",
                first.passes,
                part::pass_names(&scenario.model)
            ),
        }
        .into());
    }
    let out_dir = out.unwrap_or_else(|| Path::new("output").join(&scenario.simulation.name));
    atomic::check_destination(&out_dir, force)?;
    let bar = progress_bar("reading", parts.len() as u64, "parts", quiet);
    let mut passes = Vec::with_capacity(parts.len());
    for (dir, file) in &parts {
        passes.push(part::read_outcomes(dir, file)?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let threads = parts.iter().map(|(_, f)| f.run.threads).max().unwrap_or(1);
    let output = part::combine(&scenario.model, first.outcome_layout, threads, passes);
    let facts = RunFacts {
        threads,
        run_seconds: parts.iter().map(|(_, f)| f.run.run_seconds).sum::<f64>()
            + started.elapsed().as_secs_f64(),
        created_utc: report::utc_now(),
        ..first.run.clone()
    };
    finish(
        &scenario,
        &first.book,
        &output,
        facts,
        &out_dir,
        force,
        quiet,
    )
}

/// `arrears calibrate`: estimate, write the scenario (checked by the scenario's own validation)
/// and the report, atomically.
fn calibrate(
    file: &Path,
    panel: Option<PathBuf>,
    out: Option<PathBuf>,
    force: bool,
    quiet: bool,
) -> Result<(), CliError> {
    let started = Instant::now();
    let mut mapping =
        crate::calibrate::mapping::load(file).map_err(crate::calibrate::CalibrateError::from)?;
    if let Some(panel) = panel {
        mapping.panel = panel;
    }
    let out_dir = out.unwrap_or_else(|| {
        Path::new("output").join(format!("{}-calibration", mapping.scenario.name))
    });
    atomic::check_destination(&out_dir, force)?;
    let calibration = crate::calibrate::calibrate_with(mapping)?;
    let text = crate::calibrate::write::scenario_text(&calibration);
    // The written scenario must be one `arrears run` accepts.
    let scenario_path = out_dir.join("scenario.toml");
    scenario::parse(&text, &scenario_path).map_err(CliError::CalibratedScenario)?;
    report::write_calibration(&out_dir, force, &calibration, &text)?;
    if !quiet {
        print_calibration(&calibration, started.elapsed().as_secs_f64());
    }
    for w in &calibration.warnings {
        eprintln!("warning: {w}");
    }
    eprintln!(
        "scenario in {}; report in {}",
        scenario_path.display(),
        out_dir.join("report.md").display()
    );
    Ok(())
}

fn print_calibration(c: &crate::calibrate::Calibration, seconds: f64) {
    let d = &c.data;
    println!(
        "calibrated `{}` from {} rows ({} loans, months {} to {}) in {seconds:.1} s",
        c.mapping.scenario.name,
        group_thousands(d.rows_read as f64, 0),
        group_thousands(d.loans as f64, 0),
        d.first_month,
        d.last_month,
    );
    for q in &c.quality {
        println!("  data: {}: {}", q.what, group_thousands(q.count as f64, 0));
    }
    let space = &c.mapping.space;
    for seg in &c.segments {
        if let Some(row) = seg.matrices[0]
            .rows
            .iter()
            .find(|r| r.from == crate::model::states::CURRENT)
        {
            let roll: f64 = row
                .probability
                .iter()
                .enumerate()
                .filter(|&(j, _)| space.is_worse(row.from, j as crate::model::StateId))
                .map(|(_, p)| p)
                .sum();
            println!(
                "  {}: {} loans at risk in `current`, {:.2}% roll to delinquency a month",
                seg.name,
                group_thousands(row.at_risk, 0),
                roll * 100.0
            );
        }
    }
    for t in &c.tests {
        println!(
            "  test ({}, {}): G = {:.1} on {} df, p = {:.3}",
            t.segment, t.grouping, t.statistic, t.df, t.p_value
        );
    }
}

/// `--paths`, `--seed` and `--threads` within the limits the scenario file has for
/// `simulation.paths`, `seed` and `threads` (docs/SCENARIOS.md), before anything is read.
fn check_run_numbers(
    paths: Option<u64>,
    seed: Option<u64>,
    threads: Option<usize>,
) -> Result<(), CliError> {
    let check = |flag: &str, key: &str, value: Option<u64>, min: u64, max: u64, hint: &str| {
        match value {
            Some(v) if v < min || v > max => Err(CliError::Usage {
                message: format!(
                    "`--{flag}` is {v}, expected a whole number in [{min}, {max}] (the limits of `simulation.{key}`)"
                ),
                hint: hint.into(),
            }),
            _ => Ok(()),
        }
    };
    check(
        "paths",
        "paths",
        paths,
        1,
        scenario::MAX_PATHS as u64,
        "e.g. `--paths 1000`",
    )?;
    check(
        "seed",
        "seed",
        seed,
        0,
        i64::MAX as u64,
        "any whole number from 0 up to 9223372036854775807",
    )?;
    check(
        "threads",
        "threads",
        threads.map(|t| t as u64),
        1,
        scenario::MAX_THREADS as u64,
        "leave it out to use every core; results do not depend on it",
    )
}

/// Loan-months (loans x months x paths x passes) above which loan mode is refused: at the
/// measured ~4e8 loan-months a second on 2 cores (benches/README.md, workload L) that is about
/// 40 minutes, and a tape with a `count` of a billion would run for days without a word.
pub const MAX_LOAN_MONTHS: f64 = 1e12;

/// Refuses loan-mode runs that would take hours, pointing to count mode.
fn check_duration(scenario: &Scenario, book: &book::LoanBook, paths: u64) -> Result<(), CliError> {
    if scenario.simulation.mode != Mode::Loan {
        return Ok(());
    }
    let loan_months = book.loans() as f64
        * f64::from(scenario.simulation.horizon_months)
        * paths as f64
        * engine::passes(&scenario.model) as f64;
    if loan_months > MAX_LOAN_MONTHS {
        return Err(CliError::Usage {
            message: format!(
                "loan mode would simulate {} loans x {} months x {} paths = {:.1e} loan-months, above the limit of {MAX_LOAN_MONTHS:.0e} (about 40 minutes on 2 cores); this run would take {} hours or more",
                group_thousands(book.loans() as f64, 0),
                scenario.simulation.horizon_months,
                group_thousands(paths as f64, 0),
                loan_months,
                group_thousands((loan_months / 4e8 / 3600.0).max(1.0), 0)
            ),
            hint: "set `mode = \"count\"` in `[simulation]` (cells of identical loans moved by counts, for very large books), fewer paths, or split the run into shards (`--shard I/N`, then `arrears merge`)".into(),
        });
    }
    Ok(())
}

/// Per-path outcomes are kept for exact percentiles; refuse a run whose outcomes alone would not
/// fit comfortably in memory rather than fail an hour in. The book is needed: outcomes hold
/// write-offs by vintage.
fn check_memory(scenario: &Scenario, book: &book::LoanBook, paths: u64) -> Result<(), CliError> {
    const LIMIT_BYTES: f64 = 8.0 * 1024.0 * 1024.0 * 1024.0;
    let per_path = engine::outcome_bytes(&scenario.simulation, &scenario.model, book)
        / scenario.simulation.paths.max(1) as f64;
    let needed = per_path * paths as f64;
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

/// Loans per cell below which count mode is slower than loan mode: a cell-month costs about as
/// much as this many loan-months (measured on workload C, benches/README.md).
const COUNT_MODE_BREAK_EVEN: u64 = 2_000;

/// Count mode pays only with large cells; say so when the book's cells are small.
fn small_cells_warning(scenario: &Scenario, book: &book::LoanBook) -> Option<String> {
    if scenario.simulation.mode != scenario::Mode::Count || book.is_empty() {
        return None;
    }
    let per_cell = book.loans() / book.len() as u64;
    (per_cell < COUNT_MODE_BREAK_EVEN).then(|| {
        format!(
            "count mode with {} loans in {} cells ({per_cell} a cell on average) will likely be slower than loan mode: a cell-month costs about as much as {} loan-months; widen the bands in `[book.cells]` or use `mode = \"loan\"`",
            group_thousands(book.loans() as f64, 0),
            group_thousands(book.len() as f64, 0),
            group_thousands(COUNT_MODE_BREAK_EVEN as f64, 0)
        )
    })
}

/// A progress bar on a terminal (hidden otherwise): `what` is `simulating` or `reading`,
/// `unit` what is counted.
fn progress_bar(what: &str, len: u64, unit: &str, quiet: bool) -> indicatif::ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{what} [{{bar:30}}] {{pos}}/{{len}} {unit}, {{elapsed}} elapsed, ~{{eta}} left"
        ))
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar
}

fn run_facts(
    scenario: &Scenario,
    book: &book::LoanBook,
    threads: usize,
    run_seconds: f64,
    shards: u64,
) -> RunFacts {
    let loan_tape_sha256 = match &scenario.book {
        BookSource::Tape { path } => std::fs::read(path).ok().map(|b| scenario::sha256_hex(&b)),
        BookSource::Synthetic(_) => None,
    };
    RunFacts {
        arrears_version: env!("CARGO_PKG_VERSION").into(),
        scenario_name: scenario.simulation.name.clone(),
        scenario_file: scenario.file.display().to_string(),
        scenario_sha256: scenario.file_sha256.clone(),
        loan_tape_sha256,
        scenario_version: scenario::FORMAT_VERSION,
        seed: scenario.simulation.seed,
        paths: scenario.simulation.paths,
        horizon_months: scenario.simulation.horizon_months,
        loans: book.loans(),
        mode: scenario.simulation.mode.name().into(),
        cells: book.len() as u64,
        threads,
        shards,
        rng: match scenario.simulation.mode {
            scenario::Mode::Loan => {
                "Xoshiro256++ per (seed, path, loan), seeded through SplitMix64"
            }
            scenario::Mode::Count => {
                "Xoshiro256++ per (seed, path, cell), seeded through SplitMix64"
            }
        }
        .into(),
        uncertainty: if scenario.model.draw_posterior {
            UNCERTAINTY_POSTERIOR
        } else {
            UNCERTAINTY_PROCESS
        }
        .into(),
        run_seconds,
        created_utc: report::utc_now(),
    }
}

fn print_figures(scenario: &Scenario, book: &BookFacts, facts: &RunFacts, summary: &RunSummary) {
    println!(
        "{}: {} loans{}, balance {}; {} paths x {} months, seed {} ({})",
        scenario.simulation.name,
        group_thousands(book.book.loans as f64, 0),
        in_cells(scenario, facts.cells),
        group_thousands(book.book.balance, 0),
        group_thousands(scenario.simulation.paths as f64, 0),
        scenario.simulation.horizon_months,
        scenario.simulation.seed,
        how_run(facts),
    );
    if scenario.model.draw_posterior {
        println!("spread reflects {UNCERTAINTY_POSTERIOR}");
    }
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

/// `2.3 s on 2 threads`, or `41.0 s over 8 shards, up to 2 threads each`.
fn how_run(facts: &RunFacts) -> String {
    let threads = facts.threads;
    let plural = if threads == 1 { "" } else { "s" };
    if facts.shards > 1 {
        format!(
            "{:.1} s over {} shards, up to {threads} thread{plural} each",
            facts.run_seconds, facts.shards
        )
    } else {
        format!("{:.1} s on {threads} thread{plural}", facts.run_seconds)
    }
}

fn print_stress(scenario: &Scenario, summary: &RunSummary, facts: &RunFacts) {
    println!(
        "{}: stress set of {} scenarios, {} paths x {} months each, seed {} ({})",
        scenario.simulation.name,
        scenario.model.stress.len(),
        group_thousands(scenario.simulation.paths as f64, 0),
        scenario.simulation.horizon_months,
        scenario.simulation.seed,
        how_run(facts),
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
