//! `arrears sweep`: the scenario at every point of a grid (or zipped lists) of key values, each
//! point a full run on the base scenario's seed, so points share random numbers and their
//! differences are paired. Every point is checked before any is simulated; the sweep's folder
//! (each point's run folder under `points/`, the long table, the paired differences, charts,
//! report) appears whole or not at all.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::{CliError, check_duration, check_memory, progress_bar, run_facts, warn};
use crate::book;
use crate::engine;
use crate::metrics::figures::METRICS;
use crate::metrics::summary::summarise;
use crate::metrics::sweep::{PointFigure, PointPaths, paired_differences, point_figures};
use crate::model::group_thousands;
use crate::report::{self, ReportError};
use crate::results::atomic;
use crate::results::manifest::{self, FolderKind};
use crate::results::part;
use crate::results::sweep_rows::{
    SweepDifferenceRow, SweepFile, SweepKey, SweepPartFile, SweepPoint, SweepRow, point_folder,
};
use crate::scenario::sweep::{Combine, Sweep, Vary};
use crate::scenario::{self, Override, Scenario};

/// Options of `arrears sweep`.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    pub scenario: PathBuf,
    pub overrides: Vec<Override>,
    /// `--vary KEY=...`; when given, they replace the scenario's `[sweep]` keys.
    pub vary: Vec<String>,
    pub zip: bool,
    pub reference: Option<usize>,
    pub figures: Vec<String>,
    pub paths: Option<u64>,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    /// `--shard I/N` or `auto`, and `--shards`: simulate only this shard's points.
    pub shard: Option<String>,
    pub shards: Option<u64>,
    pub out: Option<PathBuf>,
    pub force: bool,
    pub quiet: bool,
}

/// The sweep to run: `--vary` (with `--zip`) if given, else the scenario's `[sweep]`.
fn sweep_of(base: &Scenario, o: &SweepOptions) -> Result<Sweep, CliError> {
    let mut sweep = if o.vary.is_empty() {
        base.simulation.sweep.clone().ok_or_else(|| {
            CliError::usage(
                format!("`{}` has no `[sweep]` and no `--vary` was given", base.file.display()),
                "vary keys on the command line (`--vary debt_sale.price=0.02..0.08/0.01 --vary charge_off.dpd=120,150,180`) or add `[sweep]` to the scenario (docs/SCENARIOS.md)",
            )
        })?
    } else {
        let vary = o
            .vary
            .iter()
            .map(|v| Vary::parse(v))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|m| CliError::usage(m, "give `--vary KEY=a..b/step` or `--vary KEY=v1,v2,v3`, the key by its dotted path as for `--set`"))?;
        Sweep {
            vary,
            combine: Combine::Grid,
            reference: 0,
            figures: base
                .simulation
                .sweep
                .as_ref()
                .map(|s| s.figures.clone())
                .unwrap_or_default(),
        }
    };
    if o.zip {
        sweep.combine = Combine::Zip;
    }
    if let Some(r) = o.reference {
        sweep.reference = r;
    }
    if !o.figures.is_empty() {
        sweep.figures = o.figures.clone();
    }
    if sweep.figures.is_empty() {
        sweep.figures = report::sweep::DEFAULT_FIGURES
            .iter()
            .map(|s| s.to_string())
            .collect();
    }
    let names: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
    if let Some(f) = sweep.figures.iter().find(|f| !names.contains(&f.as_str())) {
        return Err(CliError::usage(
            format!("`{f}` is not a figure arrears reports"),
            &format!("chart one of: {}", names.join(", ")),
        ));
    }
    Ok(sweep)
}

/// The point before `p` along the last varied key (same values of the others).
fn previous(sweep: &Sweep, points: &[Vec<usize>], p: usize) -> Option<usize> {
    match sweep.combine {
        Combine::Zip => p.checked_sub(1),
        Combine::Grid => (*points[p].last()? > 0).then(|| p - 1),
    }
}

/// The sweep planned from its inputs: every point's scenario checked, before anything runs.
/// A merge plans again from the same inputs and gets the same plan.
struct Plan {
    base: Scenario,
    sweep: Sweep,
    points: Vec<Vec<usize>>,
    scenarios: Vec<Scenario>,
    /// The points' validation warnings, once each.
    warnings: Vec<String>,
}

fn plan(base: Scenario, o: &SweepOptions) -> Result<Plan, CliError> {
    let sweep = sweep_of(&base, o)?;
    let points = sweep.points().map_err(|m| {
        CliError::usage(
            m,
            "see `arrears sweep --help` and `[sweep]` in docs/SCENARIOS.md",
        )
    })?;
    let mut scenarios = Vec::with_capacity(points.len());
    let mut warnings: Vec<String> = Vec::new();
    for point in &points {
        let mut sc = scenario::parse_with(&base.text, &base.file, &sweep.overrides(point))
            .map_err(|e| {
                e.at(&format!(
                    "at sweep point {} ({})",
                    scenarios.len(),
                    sweep.describe_point(point)
                ))
            })?;
        if let Some(paths) = o.paths {
            sc.simulation.paths = paths;
        }
        if let Some(seed) = o.seed {
            sc.simulation.seed = seed;
        }
        if !sc.model.stress.is_empty() {
            return Err(CliError::usage(
                format!(
                    "`{}` is a stress set; a sweep runs plain scenarios",
                    base.file.display()
                ),
                "sweep a scenario without `[[stress]]`, or vary one stress setting directly (e.g. `--vary systematic.z_shift=...`)",
            ));
        }
        for w in &sc.warnings {
            if !warnings.contains(w) {
                warnings.push(w.clone());
            }
        }
        scenarios.push(sc);
    }
    Ok(Plan {
        base,
        sweep,
        points,
        scenarios,
        warnings,
    })
}

/// What a simulated point leaves for the sweep's tables.
struct Simulated {
    figures: Vec<PointFigure>,
    per_path: PointPaths,
    /// Its summary's warnings.
    warnings: Vec<String>,
    /// Its run's facts, as its folder holds them.
    facts: crate::report::RunFacts,
}

/// `arrears sweep`: every point on one machine, or with `--shard I/N` the points of one
/// shard, written as a part for `arrears merge`.
pub fn sweep(o: &SweepOptions) -> Result<(), CliError> {
    super::check_run_numbers(o.paths, o.seed, o.threads)?;
    let base = scenario::load_with(&o.scenario, &o.overrides)?;
    let plan = plan(base, o)?;
    warn(&plan.warnings);
    let env = |name: &str| std::env::var(name).ok();
    let n_points = plan.points.len() as u64;
    let shard = super::shard::resolve(o.shard.as_deref(), o.shards, n_points, "point", &env)?;
    let (index, shards) = shard.unwrap_or((0, 1));
    let range = part::path_range(index, shards, n_points);
    let name = &plan.base.simulation.name;
    let out_dir = match (shard, &o.out) {
        (None, Some(out)) => out.clone(),
        (None, None) => Path::new("output").join(format!("{name}-sweep")),
        (Some(_), out) => out
            .clone()
            .unwrap_or_else(|| Path::new("output").join(format!("{name}-sweep.parts")))
            .join(part::folder_name(index, shards)),
    };
    // A shard run again (a scheduler's retry) replaces its own part of the same sweep.
    let force = o.force || (shard.is_some() && same_part(&out_dir, &plan, index, shards));
    atomic::check_destination(&out_dir, force)?;
    let mine = range.start as usize..range.end as usize;
    for i in mine.clone() {
        let sc = &plan.scenarios[i];
        if i > mine.start && same_book(&plan.scenarios[i - 1], sc) {
            continue;
        }
        let (book, _) = book::load_for_run(sc)?;
        check_memory(sc, &book, sc.simulation.paths)?;
        check_duration(sc, &book, sc.simulation.paths * mine.len() as u64)?;
    }

    let started = Instant::now();
    let mut simulated = Vec::new();
    let mut threads_used = 1;
    atomic::write_atomically(&out_dir, force, |tmp| -> Result<(), CliError> {
        let points_dir = tmp.join(crate::results::sweep_rows::POINTS_DIR);
        std::fs::create_dir(&points_dir).map_err(|e| ReportError::io(&points_dir, e))?;
        (simulated, threads_used) = simulate(tmp, &plan, mine.clone(), o)?;
        if let Some((index, shards)) = shard {
            let file = SweepPartFile {
                shard: index,
                shards,
                first_point: range.start,
                end_point: range.end,
                scenario_file: plan.base.file.display().to_string(),
                scenario_sha256: plan.base.file_sha256.clone(),
                overrides: o
                    .overrides
                    .iter()
                    .map(|v| format!("{}={}", v.key, v.value))
                    .collect(),
                vary: o.vary.clone(),
                zip: o.zip,
                reference: o.reference,
                figures: o.figures.clone(),
                paths: o.paths,
                seed: o.seed,
                threads: threads_used,
                run_seconds: started.elapsed().as_secs_f64(),
            };
            report::sweep::write_sweep_part(tmp, &file, &plan.base.text)?;
            return Ok(());
        }
        assemble(
            tmp,
            &plan,
            &simulated,
            threads_used,
            started.elapsed().as_secs_f64(),
            1,
        )
    })?;
    if let Some((index, shards)) = shard {
        eprintln!(
            "part {index} of {shards} (points {} to {} of {n_points}) in {}",
            range.start,
            range.end - 1,
            out_dir.display()
        );
        return Ok(());
    }
    finished(&plan, &simulated, &out_dir, started, o.quiet);
    Ok(())
}

/// What a sweep prints at its end, on one machine or merged.
fn finished(plan: &Plan, simulated: &[Simulated], out_dir: &Path, started: Instant, quiet: bool) {
    let figures: Vec<Vec<PointFigure>> = simulated.iter().map(|s| s.figures.clone()).collect();
    if !quiet {
        print_sweep(
            &plan.sweep,
            &plan.points,
            &figures,
            started.elapsed().as_secs_f64(),
        );
    }
    warn(&point_warnings(simulated, plan.points.len()));
    eprintln!("sweep in {}", out_dir.display());
}

/// Whether `dir` holds a part of shard `index` of `shards` of the same sweep (whole or
/// damaged): what a rerun of the shard may replace without `--force`.
fn same_part(dir: &Path, plan: &Plan, index: u64, shards: u64) -> bool {
    manifest::read(dir).is_ok_and(|m| m.kind == FolderKind::SweepPart)
        && crate::results::folder::read_sweep_part(dir).is_ok_and(|f| {
            f.shard == index && f.shards == shards && f.scenario_sha256 == plan.base.file_sha256
        })
}

/// The points' warnings, each once with the points it concerns.
fn point_warnings(simulated: &[Simulated], total: usize) -> Vec<String> {
    let mut at: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, s) in simulated.iter().enumerate() {
        for w in &s.warnings {
            match at.iter_mut().find(|(text, _)| text == w) {
                Some((_, points)) => points.push(i),
                None => at.push((w.clone(), vec![i])),
            }
        }
    }
    at.iter()
        .map(|(w, points)| format!("{} {w}", at_points(points, total)))
        .collect()
}

/// Simulates points `range`, each written as a run folder under `tmp/points/` by a second
/// thread while the next point simulates (one point in flight at most).
fn simulate(
    tmp: &Path,
    plan: &Plan,
    range: std::ops::Range<usize>,
    o: &SweepOptions,
) -> Result<(Vec<Simulated>, usize), CliError> {
    let scenarios = &plan.scenarios;
    let total: u64 = scenarios[range.clone()]
        .iter()
        .map(|sc| sc.simulation.paths * engine::passes(&sc.model))
        .sum();
    let bar = progress_bar("sweeping", total, "paths", o.quiet);
    let mut simulated = Vec::with_capacity(range.len());
    let mut threads_used = 1;
    std::thread::scope(|scope| -> Result<(), CliError> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Written>(1);
        let writer = scope.spawn(move || -> Result<(), ReportError> {
            for (i, output, summary, facts, book_facts) in rx {
                report::write_results(
                    &tmp.join(point_folder(i)),
                    false,
                    &scenarios[i],
                    &book_facts,
                    &output,
                    &summary,
                    &facts,
                )?;
            }
            Ok(())
        });
        let result = (|| -> Result<(), CliError> {
            let mut done_before = 0;
            let mut loaded: Option<(book::LoanBook, Option<book::cells::Bucketing>)> = None;
            for i in range.clone() {
                let sc = &scenarios[i];
                let point_started = Instant::now();
                if i == range.start || !same_book(&scenarios[i - 1], sc) {
                    loaded = Some(book::load_for_run(sc)?);
                }
                let (book, bucketing) = loaded.as_ref().expect("loaded at the first point");
                let paths = sc.simulation.paths;
                let output = engine::run_paths(
                    &sc.simulation,
                    &sc.model,
                    book,
                    0..paths,
                    o.threads,
                    &|done| bar.set_position(done_before + done),
                )?;
                done_before += paths * engine::passes(&sc.model);
                threads_used = threads_used.max(output.threads);
                let facts = run_facts(
                    sc,
                    book,
                    output.threads,
                    point_started.elapsed().as_secs_f64(),
                    1,
                );
                let book_facts = report::book_facts(sc, book, bucketing.as_ref());
                let (layout, threads) = (output.layout, output.threads);
                let output = part::combine(&sc.model, layout, threads, [part::passes_of(output)]);
                let summary = summarise(&output, &sc.model, &book_facts.book_profile);
                simulated.push(Simulated {
                    figures: point_figures(&summary),
                    per_path: PointPaths::of(&output.paths),
                    warnings: summary.warnings.clone(),
                    facts: facts.clone(),
                });
                if tx.send((i, output, summary, facts, book_facts)).is_err() {
                    // The writer stopped on an error: it is returned below.
                    break;
                }
            }
            Ok(())
        })();
        drop(tx);
        let written = writer
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        result?;
        written.map_err(CliError::from)
    })?;
    bar.finish_and_clear();
    Ok((simulated, threads_used))
}

/// The sweep's own files at the top of `tmp` (its points' folders are there already): the
/// long table, the paired differences, `sweep.json`, charts, report and manifest. The same
/// code ends a sweep on one machine and a merge of its parts.
fn assemble(
    tmp: &Path,
    plan: &Plan,
    simulated: &[Simulated],
    threads: usize,
    run_seconds: f64,
    shards: u64,
) -> Result<(), CliError> {
    let (sweep, points) = (&plan.sweep, &plan.points);
    let figures: Vec<Vec<PointFigure>> = simulated.iter().map(|s| s.figures.clone()).collect();
    let per_path: Vec<PointPaths> = simulated.iter().map(|s| s.per_path.clone()).collect();
    let rows = sweep_rows(sweep, points, &figures);
    let differences = difference_rows(sweep, points, &figures, &per_path);
    // The sweep's facts are its reference point's, over the whole sweep.
    let run = crate::report::RunFacts {
        threads,
        run_seconds,
        shards,
        scenario_sha256: plan.base.file_sha256.clone(),
        created_utc: report::utc_now(),
        ..simulated[sweep.reference].facts.clone()
    };
    let mut warnings = plan.warnings.clone();
    warnings.extend(point_warnings(simulated, points.len()));
    let file = SweepFile {
        run,
        keys: sweep
            .vary
            .iter()
            .map(|v| SweepKey {
                key: v.key.clone(),
                kind: v.kind(),
                values: v.values.iter().map(|x| x.label()).collect(),
            })
            .collect(),
        combine: sweep.combine,
        reference: sweep.reference as u32,
        figures: sweep.figures.clone(),
        chart: report::chart_facts(&plan.scenarios[sweep.reference]),
        points: points
            .iter()
            .enumerate()
            .map(|(i, p)| SweepPoint {
                sweep_point: i as u32,
                values: sweep
                    .vary
                    .iter()
                    .zip(p)
                    .map(|(v, &j)| v.values[j].label())
                    .collect(),
                folder: point_folder(i),
            })
            .collect(),
        warnings,
    };
    report::sweep::write_sweep(tmp, &file, &rows, &differences)?;
    manifest::write(tmp, FolderKind::Sweep).map_err(|e| ReportError::io(tmp, e))?;
    Ok(())
}

/// `arrears merge` of a sweep's parts: the parts checked together, the sweep planned again
/// from their inputs, every point's folder copied in and summarised from its outcomes, and the
/// sweep's files written by the same code as on one machine.
pub fn merge(
    dirs: &[PathBuf],
    out: Option<PathBuf>,
    force: bool,
    quiet: bool,
) -> Result<(), CliError> {
    let started = Instant::now();
    let mut parts = Vec::with_capacity(dirs.len());
    for dir in dirs {
        crate::results::folder::verify(dir).map_err(ReportError::from)?;
        parts.push((
            dir.clone(),
            crate::results::folder::read_sweep_part(dir).map_err(ReportError::from)?,
        ));
    }
    parts.sort_by_key(|(_, p)| p.shard);
    let (first_dir, first) = &parts[0];
    let damaged = |dir: &Path, message: String| {
        CliError::usage(
            format!(
                "`{}` is not a part of the same sweep: {message}",
                dir.display()
            ),
            "merge the parts of one `arrears sweep --shard I/N` run (same scenario, keys and shards)",
        )
    };
    let shards = first.shards;
    for (dir, p) in &parts {
        let same_inputs = p.shards == first.shards
            && p.scenario_sha256 == first.scenario_sha256
            && p.overrides == first.overrides
            && p.vary == first.vary
            && p.zip == first.zip
            && p.reference == first.reference
            && p.figures == first.figures
            && p.paths == first.paths
            && p.seed == first.seed;
        if !same_inputs {
            return Err(damaged(
                dir,
                format!(
                    "its scenario, keys or shards differ from `{}`'s",
                    first_dir.display()
                ),
            ));
        }
    }
    let shards_seen: Vec<u64> = parts.iter().map(|(_, p)| p.shard).collect();
    if let Some(w) = shards_seen.windows(2).find(|w| w[0] == w[1]) {
        return Err(CliError::usage(
            format!("shard {} of {shards} is given twice", w[0]),
            "give each part once",
        ));
    }
    let missing: Vec<String> = (0..shards)
        .filter(|i| !shards_seen.contains(i))
        .map(|i| i.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(CliError::usage(
            format!(
                "the sweep has {shards} shards and shard{} {} {} missing",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                if missing.len() == 1 { "is" } else { "are" }
            ),
            "run the missing shards (`arrears sweep ... --shard I/N`), then merge every part",
        ));
    }
    let scenario_path = first_dir.join("scenario.toml");
    let text = std::fs::read_to_string(&scenario_path)
        .map_err(|e| damaged(first_dir, format!("cannot read `scenario.toml`: {e}")))?;
    if scenario::sha256_hex(text.as_bytes()) != first.scenario_sha256 {
        return Err(damaged(
            first_dir,
            "its `scenario.toml` is not the scenario it ran".into(),
        ));
    }
    let overrides = first
        .overrides
        .iter()
        .map(|a| Override::parse(a))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|m| damaged(first_dir, m))?;
    let o = SweepOptions {
        scenario: PathBuf::from(&first.scenario_file),
        overrides,
        vary: first.vary.clone(),
        zip: first.zip,
        reference: first.reference,
        figures: first.figures.clone(),
        paths: first.paths,
        seed: first.seed,
        threads: None,
        shard: None,
        shards: None,
        out: None,
        force,
        quiet,
    };
    let base = scenario::parse_with(&text, &o.scenario, &o.overrides)?;
    let plan = plan(base, &o)?;
    let n_points = plan.points.len() as u64;
    for (dir, p) in &parts {
        let range = part::path_range(p.shard, shards, n_points);
        if (p.first_point, p.end_point) != (range.start, range.end) {
            return Err(damaged(
                dir,
                format!(
                    "it holds points {} to {}, but shard {} of {shards} of {n_points} points is {} to {}",
                    p.first_point, p.end_point, p.shard, range.start, range.end
                ),
            ));
        }
    }
    let out_dir = out.unwrap_or_else(|| {
        Path::new("output").join(format!("{}-sweep", plan.base.simulation.name))
    });
    atomic::check_destination(&out_dir, force)?;
    let bar = progress_bar("merging", n_points, "points", quiet);
    let mut simulated = Vec::with_capacity(plan.points.len());
    atomic::write_atomically(&out_dir, force, |tmp| -> Result<(), CliError> {
        let points_dir = tmp.join(crate::results::sweep_rows::POINTS_DIR);
        std::fs::create_dir(&points_dir).map_err(|e| ReportError::io(&points_dir, e))?;
        for (dir, p) in &parts {
            for i in p.first_point as usize..p.end_point as usize {
                let folder = point_folder(i);
                copy_folder(&dir.join(&folder), &tmp.join(&folder))?;
                let (summary, output, file) = crate::results::recompute::run_summary(
                    &tmp.join(&folder),
                    crate::results::Trust::Verified,
                )
                .map_err(ReportError::from)?;
                simulated.push(Simulated {
                    figures: point_figures(&summary),
                    per_path: PointPaths::of(&output.paths),
                    warnings: summary.warnings.clone(),
                    facts: file.run.clone(),
                });
                bar.inc(1);
            }
        }
        bar.finish_and_clear();
        let threads = parts.iter().map(|(_, p)| p.threads).max().unwrap_or(1);
        let seconds =
            parts.iter().map(|(_, p)| p.run_seconds).sum::<f64>() + started.elapsed().as_secs_f64();
        assemble(tmp, &plan, &simulated, threads, seconds, shards)
    })?;
    warn(&plan.warnings);
    finished(&plan, &simulated, &out_dir, started, quiet);
    Ok(())
}

/// Copies a point's verified folder, file by file (it has no subfolders).
fn copy_folder(from: &Path, to: &Path) -> Result<(), CliError> {
    std::fs::create_dir(to).map_err(|e| ReportError::io(to, e))?;
    let entries = std::fs::read_dir(from).map_err(|e| ReportError::io(from, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| ReportError::io(from, e))?;
        let target = to.join(entry.file_name());
        std::fs::copy(entry.path(), &target).map_err(|e| ReportError::io(&target, e))?;
    }
    Ok(())
}

/// A simulated point on its way to its folder.
type Written = (
    usize,
    engine::RunOutput,
    crate::metrics::summary::RunSummary,
    crate::report::RunFacts,
    crate::results::summary::BookFacts,
);

/// Whether two points simulate the same book (so the second can reuse the first's): the same
/// source, seed, mode, cells and states (a tape's loans are checked against the triggers).
pub(super) fn same_book(a: &Scenario, b: &Scenario) -> bool {
    a.book == b.book
        && a.simulation.seed == b.simulation.seed
        && a.simulation.mode == b.simulation.mode
        && a.simulation.cells == b.simulation.cells
        && a.model.space == b.model.space
        && a.model.charge_off_on_entering == b.model.charge_off_on_entering
        && a.model.debt_sale.map(|d| std::mem::discriminant(&d))
            == b.model.debt_sale.map(|d| std::mem::discriminant(&d))
        && (0..a.model.space.len() as crate::model::StateId)
            .all(|s| a.model.is_trigger(s) == b.model.is_trigger(s))
        && a.model.segments.len() == b.model.segments.len()
}

/// `at every point:`, `at point 3:`, `at points 0, 1, 4:`.
fn at_points(at: &[usize], total: usize) -> String {
    match at {
        _ if at.len() == total && total > 1 => "at every point:".into(),
        [one] => format!("at point {one}:"),
        many => format!(
            "at points {}:",
            many.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The long table: every figure at every point.
fn sweep_rows(sweep: &Sweep, points: &[Vec<usize>], figures: &[Vec<PointFigure>]) -> Vec<SweepRow> {
    let mut rows = Vec::new();
    for (i, (point, point_figures)) in points.iter().zip(figures).enumerate() {
        let keys: Vec<_> = sweep
            .vary
            .iter()
            .zip(point)
            .map(|(v, &j)| v.values[j].clone())
            .collect();
        for f in point_figures {
            let tail = |level: f64, es: bool| {
                f.tails
                    .iter()
                    .find(|t| (t.level - level).abs() < 1e-9)
                    .map_or(f64::NAN, |t| if es { t.expected_shortfall } else { t.var })
            };
            rows.push(SweepRow {
                sweep_point: i as u32,
                keys: keys.clone(),
                figure: f.figure.into(),
                label: f.label.into(),
                unit: f.unit.into(),
                estimate: f.estimate,
                var_95: tail(0.95, false),
                es_95: tail(0.95, true),
                var_99: tail(0.99, false),
                es_99: tail(0.99, true),
                var_99_9: tail(0.999, false),
                es_99_9: tail(0.999, true),
            });
        }
    }
    rows
}

/// Paired differences of every point against the reference and the previous point.
fn difference_rows(
    sweep: &Sweep,
    points: &[Vec<usize>],
    figures: &[Vec<PointFigure>],
    per_path: &[PointPaths],
) -> Vec<SweepDifferenceRow> {
    let mut rows = Vec::new();
    for p in 0..points.len() {
        let others = [
            (p != sweep.reference).then_some(("reference", sweep.reference)),
            previous(sweep, points, p).map(|q| ("previous", q)),
        ];
        for (against, q) in others.into_iter().flatten() {
            for d in paired_differences((&figures[q], &per_path[q]), (&figures[p], &per_path[p])) {
                rows.push(SweepDifferenceRow {
                    sweep_point: p as u32,
                    against: against.into(),
                    other_point: q as u32,
                    figure: d.figure.into(),
                    unit: d.unit.into(),
                    difference: d.difference,
                    difference_se: d.se,
                    z: d.z(),
                });
            }
        }
    }
    rows
}

fn print_sweep(sweep: &Sweep, points: &[Vec<usize>], figures: &[Vec<PointFigure>], seconds: f64) {
    println!(
        "{} points in {seconds:.1} s; mean ± standard error",
        points.len()
    );
    let shown: Vec<&str> = sweep.figures.iter().map(String::as_str).take(3).collect();
    let mut header = format!("{:>5}  {:<40}", "point", "values");
    for f in &shown {
        header.push_str(&format!(" {:>24}", f));
    }
    println!("{header}");
    for (i, point) in points.iter().enumerate() {
        let mut line = format!("{i:>5}  {:<40}", sweep.describe_point(point));
        for f in &shown {
            let e = figures[i]
                .iter()
                .find(|x| x.figure == *f)
                .map(|x| &x.estimate);
            let cell = match e {
                Some(e)
                    if figures[i]
                        .iter()
                        .any(|x| x.figure == *f && x.unit == "fraction") =>
                {
                    format!("{:.2}% ± {:.3}%", 100.0 * e.mean, 100.0 * e.se)
                }
                Some(e) => format!(
                    "{} ± {}",
                    group_thousands(e.mean, 0),
                    group_thousands(e.se, 0)
                ),
                None => "n/a".into(),
            };
            line.push_str(&format!(" {cell:>24}"));
        }
        println!("{line}");
    }
}
