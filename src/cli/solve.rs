//! `arrears solve`: the value of a key at which a figure reaches a target (a break-even price,
//! the cure-rate multiplier at which losses reach an appetite), each evaluation a run on the
//! scenario's seed so the figure is one smooth function of the key; the root comes with a
//! confidence interval (`metrics::solve`). Writes a small verified folder: `solve.json`,
//! every evaluation, a chart.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::sweep::same_book;
use super::{
    CliError, check_duration, check_memory, check_run_numbers, progress_bar, run_facts, warn,
};
use crate::book;
use crate::engine;
use crate::metrics::figures::METRICS;
use crate::metrics::solve::{Evaluation, SolveFailure, solve as find_root};
use crate::metrics::summary::summarise;
use crate::model::group_thousands;
use crate::report::{self, ReportError};
use crate::results::atomic;
use crate::results::manifest::{self, FolderKind};
use crate::results::part;
use crate::results::sweep_rows::{SolveEvaluationRow, SolveFile};
use crate::scenario::sweep::SweepValue;
use crate::scenario::{self, Override, Scenario};

/// Options of `arrears solve`.
#[derive(Debug, Clone)]
pub struct SolveOptions {
    pub scenario: PathBuf,
    pub overrides: Vec<Override>,
    /// `KEY=lo..hi`.
    pub vary: String,
    /// `FIGURE=VALUE`.
    pub target: String,
    pub tolerance: Option<f64>,
    pub paths: Option<u64>,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub out: Option<PathBuf>,
    pub force: bool,
    pub quiet: bool,
}

fn usage(message: String, hint: &str) -> CliError {
    CliError::Usage {
        message,
        hint: hint.into(),
    }
}

/// `KEY=lo..hi` as the key and its two ends.
fn parse_range(arg: &str) -> Result<(String, SweepValue, SweepValue), CliError> {
    let hint = "give `--vary KEY=LOW..HIGH`, e.g. `--vary debt_sale.price=0.01..0.20`";
    let (key, range) = arg
        .split_once('=')
        .ok_or_else(|| usage(format!("`--vary {arg}` is not KEY=LOW..HIGH"), hint))?;
    let key = key.trim();
    if key.is_empty() || key.split('.').any(|p| p.trim().is_empty()) {
        return Err(usage(
            format!("`--vary {arg}`: `{key}` is not a dotted key"),
            hint,
        ));
    }
    let (lo, hi) = range
        .split_once("..")
        .ok_or_else(|| usage(format!("`--vary {arg}` is not KEY=LOW..HIGH"), hint))?;
    let lo = SweepValue::parse(lo);
    let hi = SweepValue::parse(hi);
    match (lo.as_f64(), hi.as_f64()) {
        (Some(a), Some(b)) if a.is_finite() && b.is_finite() && a < b => {
            Ok((key.to_string(), lo, hi))
        }
        (Some(_), Some(_)) => Err(usage(
            format!("`--vary {arg}`: the low end must be below the high end"),
            hint,
        )),
        _ => Err(usage(
            format!("`--vary {arg}`: the ends must be numbers"),
            hint,
        )),
    }
}

/// `FIGURE=VALUE` (a fraction may be given in percent: `40%`).
fn parse_target(arg: &str) -> Result<(&'static crate::metrics::figures::Metric, f64), CliError> {
    let names: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
    let (figure, value) = arg.split_once('=').ok_or_else(|| {
        usage(
            format!("`--target {arg}` is not FIGURE=VALUE"),
            "e.g. `--target net_credit_loss=6000000` or `--target recovery_rate_discounted=0.42`",
        )
    })?;
    let m = METRICS
        .iter()
        .find(|m| m.name == figure.trim())
        .ok_or_else(|| {
            usage(
                format!("`{}` is not a figure arrears reports", figure.trim()),
                &format!("target one of: {}", names.join(", ")),
            )
        })?;
    let value = value.trim();
    let parsed = match value.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
        None => value.parse::<f64>(),
    };
    match parsed {
        Ok(v) if v.is_finite() => Ok((m, v)),
        _ => Err(usage(
            format!("`--target {arg}`: `{value}` is not a number"),
            "give the target in the figure's unit: currency, a count, or a fraction (0.42 or 42%)",
        )),
    }
}

/// `arrears solve`.
pub fn solve(o: &SolveOptions) -> Result<(), CliError> {
    check_run_numbers(o.paths, o.seed, o.threads)?;
    let (key, lo, hi) = parse_range(&o.vary)?;
    let (metric, target) = parse_target(&o.target)?;
    let integer = matches!((&lo, &hi), (SweepValue::Integer(_), SweepValue::Integer(_)));
    let (lo, hi) = (lo.as_f64().unwrap_or(0.0), hi.as_f64().unwrap_or(0.0));
    if let Some(t) = o.tolerance
        && !(t > 0.0 && t.is_finite())
    {
        return Err(usage(
            format!("`--tolerance` is {t}, expected a number above 0"),
            "the width of the final bracket, in the key's unit",
        ));
    }
    let tolerance = o.tolerance.unwrap_or((hi - lo) * 1e-4);
    let mut base = scenario::load_with(&o.scenario, &o.overrides)?;
    warn(&base.warnings);
    if let Some(paths) = o.paths {
        base.simulation.paths = paths;
    }
    if let Some(seed) = o.seed {
        base.simulation.seed = seed;
    }
    let out_dir = o
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("{}-solve", base.simulation.name)));
    atomic::check_destination(&out_dir, o.force)?;
    let at = |x: f64| -> Result<Scenario, CliError> {
        let value = if integer {
            SweepValue::Integer(x as i64)
        } else {
            // Enough digits that the run sees the value the root finder chose.
            SweepValue::Number(x, 15)
        };
        let mut sc = scenario::parse_with(
            &base.text,
            &base.file,
            &[Override {
                key: key.clone(),
                value: value.toml(),
                origin: "solve",
            }],
        )
        .map_err(|e| e.at(&format!("at {key} = {}", value.label())))?;
        if let Some(paths) = o.paths {
            sc.simulation.paths = paths;
        }
        if let Some(seed) = o.seed {
            sc.simulation.seed = seed;
        }
        if !sc.model.stress.is_empty() {
            return Err(usage(
                format!(
                    "`{}` is a stress set; solve runs plain scenarios",
                    base.file.display()
                ),
                "solve on a scenario without `[[stress]]`",
            ));
        }
        Ok(sc)
    };
    // Both ends checked (and their books sized) before anything is simulated.
    for x in [lo, hi] {
        let sc = at(x)?;
        let (book, _) = book::load_for_run(&sc)?;
        check_memory(&sc, &book, sc.simulation.paths)?;
        check_duration(&sc, &book, sc.simulation.paths * 10)?;
    }

    let started = Instant::now();
    let bar = progress_bar(
        "solving",
        crate::metrics::solve::MAX_EVALUATIONS as u64,
        "runs (at most)",
        o.quiet,
    );
    let mut cache: Option<(Scenario, book::LoanBook)> = None;
    let mut threads_used = 1;
    let mut eval = |x: f64| -> Result<Evaluation, CliError> {
        let sc = at(x)?;
        let reuse = cache.as_ref().is_some_and(|(prev, _)| same_book(prev, &sc));
        if !reuse {
            let (book, _) = book::load_for_run(&sc)?;
            cache = Some((sc.clone(), book));
        }
        let (_, book) = cache.as_ref().expect("loaded above");
        let output = engine::run_paths(
            &sc.simulation,
            &sc.model,
            book,
            0..sc.simulation.paths,
            o.threads,
            &|_| {},
        )?;
        threads_used = threads_used.max(output.threads);
        let (layout, threads) = (output.layout, output.threads);
        let output = part::combine(&sc.model, layout, threads, [part::passes_of(output)]);
        let facts = report::book_facts(&sc, book, None);
        let summary = summarise(&output, &sc.model, &facts.book_profile);
        let h = summary
            .headlines
            .iter()
            .find(|h| h.name == metric.name)
            .expect("every figure has a headline");
        bar.inc(1);
        Ok(Evaluation {
            x,
            mean: h.estimate.mean,
            se: h.estimate.se,
        })
    };
    let found = find_root(lo, hi, target, integer, tolerance, &mut eval)?;
    bar.finish_and_clear();
    let unit = crate::report::document::Unit::from_summary(metric.unit);
    let root = match found {
        Ok(root) => root,
        Err(SolveFailure::NotBracketed { lo: a, hi: b }) => {
            return Err(usage(
                format!(
                    "{} does not reach {} between {key} = {} and {}: it is {} and {}",
                    metric.name,
                    unit.format(target),
                    a.x,
                    b.x,
                    unit.estimate(a.mean, a.se),
                    unit.estimate(b.mean, b.se)
                ),
                "widen the range of `--vary`, or check the target's unit (fractions as 0.42 or 42%)",
            ));
        }
        Err(SolveFailure::Undefined { x }) => {
            return Err(usage(
                format!(
                    "{} is undefined at {key} = {x} (no path has what it divides by)",
                    metric.name
                ),
                "choose a figure defined over the whole range, or narrow it",
            ));
        }
    };
    let (book, _) = book::load_for_run(&base)?;
    let file = SolveFile {
        run: run_facts(
            &base,
            &book,
            threads_used,
            started.elapsed().as_secs_f64(),
            1,
        ),
        key: key.clone(),
        figure: metric.name.into(),
        unit: metric.unit.into(),
        target,
        low: lo,
        high: hi,
        integer,
        root: root.x,
        root_se: root.se,
        ci_low: root.ci_low,
        ci_high: root.ci_high,
        bracket_low: root.bracket.0,
        bracket_high: root.bracket.1,
        slope: root.slope,
        converged: root.converged,
    };
    let rows: Vec<SolveEvaluationRow> = root
        .evaluations
        .iter()
        .enumerate()
        .map(|(i, e)| SolveEvaluationRow {
            evaluation: i as u32,
            value: e.x,
            mean: e.mean,
            se: e.se,
        })
        .collect();
    let meta = report::chart_meta(&base);
    atomic::write_atomically(&out_dir, o.force, |tmp| -> Result<(), CliError> {
        report::sweep::write_solve(tmp, &file, &rows, &meta)?;
        manifest::write(tmp, FolderKind::Solve).map_err(|e| ReportError::io(tmp, e))?;
        Ok(())
    })?;
    if !o.quiet && integer {
        println!(
            "{} passes {} between {key} = {} and {} ({} runs in {:.1} s)",
            metric.name,
            unit.format(target),
            root.bracket.0,
            root.bracket.1,
            root.evaluations.len(),
            started.elapsed().as_secs_f64()
        );
    } else if !o.quiet {
        println!(
            "{} = {} at {key} = {} (95% interval {} to {}; se {}), after {} runs in {:.1} s",
            metric.name,
            unit.format(target),
            trim(root.x),
            trim(root.ci_low),
            trim(root.ci_high),
            trim(root.se),
            root.evaluations.len(),
            started.elapsed().as_secs_f64()
        );
    }
    if !o.quiet && !root.converged {
        println!(
            "not converged after {} runs: the bracket is {} to {}",
            root.evaluations.len(),
            trim(root.bracket.0),
            trim(root.bracket.1)
        );
    }
    eprintln!("solution in {}", out_dir.display());
    Ok(())
}

/// Six significant digits, thousands grouped for large numbers.
fn trim(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    if x.abs() >= 1e4 {
        return group_thousands(x, 0);
    }
    let digits = (5 - x.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}
