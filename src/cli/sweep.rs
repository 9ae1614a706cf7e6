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
    SweepDifferenceRow, SweepFile, SweepKey, SweepPoint, SweepRow, point_folder,
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

/// The sweep to run: `--vary` (with `--zip`) if given, else the scenario's `[sweep]`.
fn sweep_of(base: &Scenario, o: &SweepOptions) -> Result<Sweep, CliError> {
    let mut sweep = if o.vary.is_empty() {
        base.simulation.sweep.clone().ok_or_else(|| {
            usage(
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
            .map_err(|m| usage(m, "give `--vary KEY=a..b/step` or `--vary KEY=v1,v2,v3`, the key by its dotted path as for `--set`"))?;
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
        return Err(usage(
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

/// `arrears sweep`.
pub fn sweep(o: &SweepOptions) -> Result<(), CliError> {
    super::check_run_numbers(o.paths, o.seed, o.threads)?;
    let base = scenario::load_with(&o.scenario, &o.overrides)?;
    let sweep = sweep_of(&base, o)?;
    let points = sweep.points().map_err(|m| {
        usage(
            m,
            "see `arrears sweep --help` and `[sweep]` in docs/SCENARIOS.md",
        )
    })?;
    let out_dir = o
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("{}-sweep", base.simulation.name)));
    atomic::check_destination(&out_dir, o.force)?;

    // Every point checked before any is simulated.
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
            return Err(usage(
                format!(
                    "`{}` is a stress set; a sweep runs plain scenarios",
                    base.file.display()
                ),
                "sweep a scenario without `[[stress]]`, or vary one stress setting directly (e.g. `--vary systematic.importance_shift=...`)",
            ));
        }
        for w in &sc.warnings {
            if !warnings.contains(w) {
                warnings.push(w.clone());
            }
        }
        scenarios.push(sc);
    }
    warn(&warnings);
    for (i, sc) in scenarios.iter().enumerate() {
        if i > 0 && same_book(&scenarios[i - 1], sc) {
            continue;
        }
        let (book, _) = book::load_for_run(sc)?;
        check_memory(sc, &book, sc.simulation.paths)?;
        check_duration(sc, &book, sc.simulation.paths * points.len() as u64)?;
    }

    let started = Instant::now();
    let total: u64 = scenarios
        .iter()
        .map(|sc| sc.simulation.paths * engine::passes(&sc.model))
        .sum();
    let bar = progress_bar("sweeping", total, "paths", o.quiet);
    let mut figures: Vec<Vec<PointFigure>> = Vec::with_capacity(points.len());
    let mut per_path: Vec<PointPaths> = Vec::with_capacity(points.len());
    let mut threads_used = 1;
    let mut point_warnings: Vec<(String, Vec<usize>)> = Vec::new();
    let keys: Vec<SweepKey> = sweep
        .vary
        .iter()
        .map(|v| SweepKey {
            key: v.key.clone(),
            kind: v.kind(),
            values: v.values.iter().map(|x| x.label()).collect(),
        })
        .collect();
    atomic::write_atomically(&out_dir, o.force, |tmp| -> Result<(), CliError> {
        let points_dir = tmp.join(crate::results::sweep_rows::POINTS_DIR);
        std::fs::create_dir(&points_dir).map_err(|e| ReportError::io(&points_dir, e))?;
        // Each point's folder is written by a second thread while the next point simulates,
        // one point in flight at most, so writing charts overlaps the simulation.
        std::thread::scope(|scope| -> Result<(), CliError> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Written>(1);
            let scenarios = &scenarios;
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
            let simulated = (|| -> Result<(), CliError> {
                let mut done_before = 0;
                let mut loaded: Option<(book::LoanBook, Option<book::cells::Bucketing>)> = None;
                for (i, sc) in scenarios.iter().enumerate() {
                    let point_started = Instant::now();
                    if i == 0 || !same_book(&scenarios[i - 1], sc) {
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
                    let output =
                        part::combine(&sc.model, layout, threads, [part::passes_of(output)]);
                    let summary = summarise(&output, &sc.model, &book_facts.book_profile);
                    for w in &summary.warnings {
                        match point_warnings.iter_mut().find(|(text, _)| text == w) {
                            Some((_, at)) => at.push(i),
                            None => point_warnings.push((w.clone(), vec![i])),
                        }
                    }
                    figures.push(point_figures(&summary));
                    per_path.push(PointPaths::of(&output.paths));
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
            simulated?;
            written.map_err(CliError::from)
        })?;
        bar.finish_and_clear();
        for (w, at) in &point_warnings {
            warnings.push(format!("{} {w}", at_points(at, points.len())));
        }

        let rows = sweep_rows(&sweep, &points, &figures);
        let differences = difference_rows(&sweep, &points, &figures, &per_path);
        let (book, _) = book::load_for_run(&base)?;
        let mut run = run_facts(
            &scenarios[sweep.reference],
            &book,
            threads_used,
            started.elapsed().as_secs_f64(),
            1,
        );
        run.scenario_sha256 = base.file_sha256.clone();
        let file = SweepFile {
            run,
            keys: keys.clone(),
            combine: sweep.combine,
            reference: sweep.reference as u32,
            figures: sweep.figures.clone(),
            chart: report::chart_facts(&scenarios[sweep.reference]),
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
            warnings: warnings.clone(),
        };
        report::sweep::write_sweep(tmp, &file, &rows, &differences)?;
        manifest::write(tmp, FolderKind::Sweep).map_err(|e| ReportError::io(tmp, e))?;
        Ok(())
    })?;
    if !o.quiet {
        print_sweep(&sweep, &points, &figures, started.elapsed().as_secs_f64());
    }
    warn(&warnings[warnings.len() - point_warnings.len()..]);
    eprintln!("sweep in {}", out_dir.display());
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
