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
use crate::metrics::solve::{
    Evaluation, SeriesId, SeriesValue, SolveFailure, Target, solve as find_root,
};
use crate::metrics::summary::summarise;
use crate::model::group_thousands;
use crate::report::format;
use crate::report::{self, ReportError};
use crate::results::atomic;
use crate::results::manifest::{self, FolderKind};
use crate::results::part;
use crate::results::sweep_rows::{SolveEvaluationRow, SolveFile, SolveRootRow};
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

/// `KEY=lo..hi` as the key and its two ends.
fn parse_range(arg: &str) -> Result<(String, SweepValue, SweepValue), CliError> {
    let hint = "give `--vary KEY=LOW..HIGH`, e.g. `--vary debt_sale.price=0.01..0.20`";
    let (key, range) = arg
        .split_once('=')
        .ok_or_else(|| CliError::usage(format!("`--vary {arg}` is not KEY=LOW..HIGH"), hint))?;
    let key = key.trim();
    if key.is_empty() || key.split('.').any(|p| p.trim().is_empty()) {
        return Err(CliError::usage(
            format!("`--vary {arg}`: `{key}` is not a dotted key"),
            hint,
        ));
    }
    let (lo, hi) = range
        .split_once("..")
        .ok_or_else(|| CliError::usage(format!("`--vary {arg}` is not KEY=LOW..HIGH"), hint))?;
    let lo = SweepValue::parse(lo);
    let hi = SweepValue::parse(hi);
    match (lo.as_f64(), hi.as_f64()) {
        (Some(a), Some(b)) if a.is_finite() && b.is_finite() && a < b => {
            Ok((key.to_string(), lo, hi))
        }
        (Some(_), Some(_)) => Err(CliError::usage(
            format!("`--vary {arg}`: the low end must be below the high end"),
            hint,
        )),
        _ => Err(CliError::usage(
            format!("`--vary {arg}`: the ends must be numbers"),
            hint,
        )),
    }
}

/// `arrears solve`.
pub fn solve(o: &SolveOptions) -> Result<(), CliError> {
    check_run_numbers(o.paths, o.seed, o.threads)?;
    let (key, lo, hi) = parse_range(&o.vary)?;
    let target = Target::parse(&o.target).map_err(|b| CliError::usage(b.message, &b.hint))?;
    let whole_ends = matches!((&lo, &hi), (SweepValue::Integer(_), SweepValue::Integer(_)));
    let (lo, hi) = (lo.as_f64().unwrap_or(0.0), hi.as_f64().unwrap_or(0.0));
    if let Some(t) = o.tolerance
        && !(t > 0.0 && t.is_finite())
    {
        return Err(CliError::usage(
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
    let at = |x: f64, integer: bool| -> Result<Scenario, CliError> {
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
            return Err(CliError::usage(
                format!(
                    "`{}` is a stress set; solve runs plain scenarios",
                    base.file.display()
                ),
                "solve on a scenario without `[[stress]]`",
            ));
        }
        Ok(sc)
    };
    // Whole-number ends search whole values only when the key takes nothing else: a value
    // between them with a fraction is tried on the scenario's own rules.
    let integer = whole_ends && {
        let mut probe = (lo + hi) / 2.0;
        if probe.fract() == 0.0 {
            probe += 0.5;
        }
        at(probe, false).is_err()
    };
    let at = |x: f64| at(x, integer);
    // Both ends checked (and their books sized) before anything is simulated.
    for x in [lo, hi] {
        let sc = at(x)?;
        if target.is_named() && sc.model.disposition.is_none() {
            return Err(CliError::usage(
                format!(
                    "`{}` needs a disposition study, and `{}` has none",
                    target.name(),
                    base.file.display()
                ),
                "add `[disposition]` with `sale_points_dpd` and `[disposition.sale]` (or `[disposition.buyer]` with `quoted_price`), or target a figure",
            ));
        }
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
    // Every run made, in order: each serves every series.
    let mut runs: Vec<(f64, Vec<SeriesValue>)> = Vec::new();
    let mut evaluate = |x: f64| -> Result<Vec<SeriesValue>, CliError> {
        if let Some((_, values)) = runs.iter().find(|(at, _)| at.to_bits() == x.to_bits()) {
            return Ok(values.clone());
        }
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
        let values = target
            .series(&summary)
            .map_err(|b| CliError::usage(b.message, &b.hint))?;
        bar.inc(1);
        runs.push((x, values.clone()));
        Ok(values)
    };
    let ids: Vec<SeriesId> = evaluate(lo)?.into_iter().map(|v| v.series).collect();
    if ids.is_empty() {
        return Err(CliError::usage(
            format!("`{}` has nothing to solve in this scenario", target.name()),
            "the disposition study has no sale point with a sale (or a buyer with `quoted_price`)",
        ));
    }
    bar.set_length((crate::metrics::solve::MAX_EVALUATIONS * ids.len()) as u64);
    let mut found = Vec::new();
    for id in &ids {
        let result = find_root(lo, hi, target.value(), integer, tolerance, |x| {
            let values = evaluate(x)?;
            Ok::<_, CliError>(values.iter().find(|v| &v.series == id).map_or(
                Evaluation {
                    x,
                    mean: f64::NAN,
                    se: f64::NAN,
                },
                |v| v.at(x),
            ))
        })?;
        found.push(result);
    }
    bar.finish_and_clear();
    let unit = crate::report::document::Unit::from_summary(target.unit());
    if !target.is_named() {
        // One figure: a target it does not reach is an error, and nothing is written.
        match &found[0] {
            Ok(_) => {}
            Err(SolveFailure::NotBracketed { lo: a, hi: b }) => {
                return Err(CliError::usage(
                    format!(
                        "{} does not reach {} between {key} = {} and {}: it is {} and {}",
                        target.name(),
                        unit.format(target.value()),
                        a.x,
                        b.x,
                        unit.estimate(a.mean, a.se),
                        unit.estimate(b.mean, b.se)
                    ),
                    "widen the range of `--vary`, or check the target's unit (fractions as 0.42 or 42%)",
                ));
            }
            Err(SolveFailure::Undefined { x }) => {
                return Err(CliError::usage(
                    format!(
                        "{} is undefined at {key} = {x} (no path has what it divides by)",
                        target.name(),
                    ),
                    "choose a figure defined over the whole range, or narrow it",
                ));
            }
        }
    }
    let end_value = |x: f64, id: &SeriesId| {
        runs.iter()
            .find(|(at, _)| at.to_bits() == x.to_bits())
            .and_then(|(_, values)| values.iter().find(|v| &v.series == id))
            .map_or(f64::NAN, |v| v.mean)
    };
    let root_rows: Vec<SolveRootRow> = ids
        .iter()
        .zip(&found)
        .map(|(id, result)| {
            let mut row = SolveRootRow {
                point: id.point.clone(),
                dpd: id.dpd,
                segment: id.segment.clone(),
                at_low: end_value(lo, id),
                at_high: end_value(hi, id),
                root: f64::NAN,
                root_se: f64::NAN,
                ci_low: f64::NAN,
                ci_high: f64::NAN,
                bracket_low: lo,
                bracket_high: hi,
                slope: f64::NAN,
                ..SolveRootRow::default()
            };
            match result {
                Ok(root) => {
                    row.status = if root.converged {
                        "solved"
                    } else {
                        "not converged"
                    }
                    .into();
                    row.root = root.x;
                    row.root_se = root.se;
                    row.ci_low = root.ci_low;
                    row.ci_high = root.ci_high;
                    (row.bracket_low, row.bracket_high) = root.bracket;
                    row.slope = root.slope;
                    row.evaluations = root.evaluations.len() as u32;
                }
                Err(SolveFailure::NotBracketed { lo: a, .. }) => {
                    row.status = if a.mean > target.value() {
                        "above the target at both ends"
                    } else {
                        "below the target at both ends"
                    }
                    .into();
                    row.evaluations = 2;
                }
                Err(SolveFailure::Undefined { .. }) => {
                    row.status = "undefined".into();
                }
            }
            row
        })
        .collect();
    let evaluation_rows: Vec<SolveEvaluationRow> = runs
        .iter()
        .enumerate()
        .flat_map(|(i, (x, values))| {
            values.iter().map(move |v| SolveEvaluationRow {
                evaluation: i as u32,
                point: v.series.point.clone(),
                dpd: v.series.dpd,
                segment: v.series.segment.clone(),
                value: *x,
                mean: v.mean,
                se: v.se,
            })
        })
        .collect();
    // The base's book is the one the runs used unless the key changes the book.
    let loaded;
    let book = match &cache {
        Some((sc, book)) if same_book(sc, &base) => book,
        _ => {
            loaded = book::load_for_run(&base)?.0;
            &loaded
        }
    };
    let file = SolveFile {
        run: run_facts(
            &base,
            book,
            threads_used,
            started.elapsed().as_secs_f64(),
            1,
        ),
        key: key.clone(),
        target_name: target.name(),
        label: target.label(),
        unit: target.unit().into(),
        target: target.value(),
        low: lo,
        high: hi,
        integer,
        series: root_rows.len(),
        chart: report::chart_facts(&base),
    };
    atomic::write_atomically(&out_dir, o.force, |tmp| -> Result<(), CliError> {
        report::sweep::write_solve(tmp, &file, &root_rows, &evaluation_rows)?;
        manifest::write(tmp, FolderKind::Solve).map_err(|e| ReportError::io(tmp, e))?;
        Ok(())
    })?;
    if !o.quiet {
        let took = format!(
            "{} in {:.1} s",
            format::count_of(runs.len() as u64, "run"),
            started.elapsed().as_secs_f64()
        );
        let phrases = crate::report::sweep::solve_phrases(
            &file.target_name,
            &file.label,
            &unit.format(file.target),
            &key,
        );
        for (id, row) in ids.iter().zip(&root_rows) {
            let prefix = match id.describe() {
                d if d.is_empty() => String::new(),
                d => format!("{d}: "),
            };
            println!("{prefix}{}", describe_root(&phrases, &unit, &key, row));
        }
        println!("({took})");
    }
    eprintln!("solution in {}", out_dir.display());
    Ok(())
}

/// One series' answer in a sentence.
fn describe_root(
    phrases: &crate::report::sweep::SolvePhrases,
    unit: &crate::report::document::Unit,
    key: &str,
    row: &SolveRootRow,
) -> String {
    match row.status.as_str() {
        "solved" | "not converged" if row.root_se.is_nan() => format!(
            "{} between {key} = {} and {}",
            phrases.met,
            trim(row.bracket_low),
            trim(row.bracket_high)
        ),
        "solved" => format!(
            "{} at {key} = {} (95% interval {} to {}; se {})",
            phrases.met,
            trim(row.root),
            trim(row.ci_low),
            trim(row.ci_high),
            trim(row.root_se)
        ),
        "not converged" => format!(
            "{} at {key} = {}, not converged: the bracket is {} to {}",
            phrases.met,
            trim(row.root),
            trim(row.bracket_low),
            trim(row.bracket_high)
        ),
        "undefined" => "undefined in the range (no path has what it divides by)".into(),
        status => format!(
            "{} ({} at {key} = {}, {} at {})",
            match status {
                "above the target at both ends" => &phrases.above,
                _ => &phrases.below,
            },
            unit.format(row.at_low),
            trim(row.bracket_low),
            unit.format(row.at_high),
            trim(row.bracket_high)
        ),
    }
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
