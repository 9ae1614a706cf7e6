//! Everything a run writes, and the only module that writes files: tables (CSV and Parquet),
//! charts (PNG and SVG), `summary.json` with the run manifest.
//!
//! Results are written into a temporary folder beside the destination and renamed into place
//! only when everything is written, so a result folder is never half-written; an existing
//! result folder is replaced only when the caller asks (`--force`).

pub mod calibration;
pub mod charts;
pub mod compare;
pub mod describe;
pub mod document;
pub mod recompute;
pub mod run_report;
mod states;
pub mod tables;
mod vintage;

use std::path::{Path, PathBuf};

use crate::book::cells::BucketingRow;
use crate::book::{Bucketing, LoanBook};
use crate::engine::RunOutput;
use crate::metrics::BookProfile;
use crate::metrics::disposition::DispositionSummary;
use crate::metrics::figures::{METRICS, metric};
use crate::metrics::summary::RunSummary;
use crate::results::rows::{FactorRow, PathRow};
use crate::results::summary::{
    DispositionSection, Figure, RecoverySection, RunSummaryFile, StressSetSummaryFile, to_json,
};
use crate::results::{FolderKind, ResultFolder, Trust, outcomes};
use crate::scenario::Scenario;

/// Why results could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("result folder `{}` exists already", path.display())]
    Exists { path: PathBuf },
    #[error("cannot write `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write table `{}`: {message}", path.display())]
    Table { path: PathBuf, message: String },
    #[error(transparent)]
    Chart(#[from] charts::ChartError),
    #[error(transparent)]
    Folder(#[from] crate::results::FolderError),
    #[error(transparent)]
    Schema(#[from] crate::results::table::TableError),
    /// Input the user can fix (a folder `arrears compare` cannot use), with what to do.
    #[error("{message}")]
    Input { message: String, hint: String },
}

impl ReportError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> ReportError {
        ReportError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
    pub(crate) fn table(path: &Path, e: impl std::fmt::Display) -> ReportError {
        ReportError::Table {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}

pub use crate::results::summary::{BookSummary, RunFacts, SegmentSummary};

/// The book as simulated, by segment.
pub fn book_summary(book: &LoanBook, scenario: &Scenario) -> BookSummary {
    let segments = scenario
        .model
        .segments
        .iter()
        .enumerate()
        .map(|(idx, seg)| {
            let (loans, balance) = book
                .segment
                .iter()
                .zip(&book.balance)
                .zip(&book.count)
                .filter(|((s, _), _)| **s as usize == idx)
                .fold((0, 0.0), |(n, b), ((_, x), &c)| (n + c, b + x * c as f64));
            SegmentSummary {
                segment: seg.name.clone(),
                loans,
                balance,
            }
        })
        .collect();
    BookSummary {
        loans: book.loans(),
        balance: book.total_balance(),
        segments,
    }
}

/// Refuses an existing destination unless `force`; call before running so nobody waits for
/// a run whose result cannot be written.
pub fn check_destination(dir: &Path, force: bool) -> Result<(), ReportError> {
    if dir.exists() && !force {
        return Err(ReportError::Exists {
            path: dir.to_path_buf(),
        });
    }
    Ok(())
}

/// Writes every output of a run into `dir` (atomically: temporary folder, then rename).
/// `bucketing`: what count mode's bucketing changed, when it bucketed the book.
#[expect(
    clippy::too_many_arguments,
    reason = "the run's parts as the command holds them; a struct would only rename them"
)]
pub fn write_results(
    dir: &Path,
    force: bool,
    scenario: &Scenario,
    book: &LoanBook,
    bucketing: Option<&Bucketing>,
    output: &RunOutput,
    summary: &RunSummary,
    facts: &RunFacts,
) -> Result<(), ReportError> {
    write_atomically(dir, force, |tmp| {
        let kind = if output.stress_runs.is_empty() {
            let study = output.study_paths.as_deref();
            let passes = outcome_passes(&output.paths, study);
            write_into(
                tmp, None, scenario, book, bucketing, &passes, summary, facts,
            )?;
            FolderKind::Run
        } else {
            write_stress_set(tmp, scenario, book, bucketing, output, summary, facts)?;
            FolderKind::StressSet
        };
        // Then the reports, from the files just written, exactly as `arrears report` rebuilds
        // them; the manifest last, over everything.
        run_report::write_reports(tmp, Trust::BeingWritten)?;
        write_manifests(tmp, kind)
    })
}

/// Writes a calibration's result folder: the scenario text as `scenario.toml`, and the report
/// beside it.
pub fn write_calibration(
    dir: &Path,
    force: bool,
    calibration: &crate::calibrate::Calibration,
    scenario_text: &str,
) -> Result<(), ReportError> {
    write_atomically(dir, force, |tmp| {
        let path = tmp.join("scenario.toml");
        std::fs::write(&path, scenario_text).map_err(|e| ReportError::io(&path, e))?;
        if !calibration.calendar.is_empty() {
            let c = &calibration.calendar;
            let stem = "transitions_by_calendar_block";
            let mut frame = polars::prelude::DataFrame::new(
                c.len(),
                vec![
                    tables::strs("segment", c.iter().map(|x| x.segment.clone())),
                    tables::strs("first_month", c.iter().map(|x| x.first_month.clone())),
                    tables::strs("last_month", c.iter().map(|x| x.last_month.clone())),
                    tables::strs("from", c.iter().map(|x| x.from.clone())),
                    tables::strs("to", c.iter().map(|x| x.to.clone())),
                    tables::f64s("count", c.iter().map(|x| x.count)),
                    tables::f64s("at_risk", c.iter().map(|x| x.at_risk)),
                    tables::f64s("probability", c.iter().map(|x| x.probability)),
                ],
            )
            .map_err(|e| ReportError::table(&tmp.join(stem), e))?;
            tables::write_both(&mut frame, tmp, stem)?;
        }
        calibration::write_calibration_report(calibration, tmp)?;
        crate::results::manifest::write(tmp, FolderKind::Calibration)
            .map_err(|e| ReportError::io(tmp, e))
    })
}

/// Fills a temporary folder beside `dir` with `write`, then renames it into place, so a
/// failure leaves no half-written result and an existing one is replaced only with `force`.
pub fn write_atomically(
    dir: &Path,
    force: bool,
    write: impl FnOnce(&Path) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    check_destination(dir, force)?;
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| ReportError::io(parent, e))?;
    let name = dir
        .file_name()
        .map_or("result".into(), |n| n.to_string_lossy().into_owned());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| ReportError::io(&tmp, e))?;
    }
    std::fs::create_dir(&tmp).map_err(|e| ReportError::io(&tmp, e))?;
    if let Err(e) = write(&tmp) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if dir.exists() {
        // `force`: move the old result aside first so a failed rename loses nothing.
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        std::fs::rename(dir, &old).map_err(|e| ReportError::io(dir, e))?;
        std::fs::rename(&tmp, dir).map_err(|e| ReportError::io(dir, e))?;
        let _ = std::fs::remove_dir_all(&old);
    } else {
        std::fs::rename(&tmp, dir).map_err(|e| ReportError::io(dir, e))?;
    }
    Ok(())
}

/// The outcomes of a run's main pass, and of the disposition study's own pass when it has one.
fn outcome_passes<'a>(
    paths: &'a [crate::engine::PathOutcome],
    study: Option<&'a [crate::engine::PathOutcome]>,
) -> Vec<outcomes::Pass<'a>> {
    let mut passes = vec![outcomes::Pass {
        name: outcomes::PASS_MAIN,
        first_path: 0,
        paths,
    }];
    if let Some(study) = study {
        passes.push(outcomes::Pass {
            name: outcomes::PASS_STUDY,
            first_path: 0,
            paths: study,
        });
    }
    passes
}

/// `manifest.json` in each scenario's subfolder of a stress set, then at the top.
pub(crate) fn write_manifests(dir: &Path, kind: FolderKind) -> Result<(), ReportError> {
    if kind == FolderKind::StressSet {
        let folder = ResultFolder::open(dir, Trust::BeingWritten)?;
        if let crate::results::folder::Contents::StressSet(set) = &folder.contents {
            for name in &set.scenarios {
                let sub = dir.join(name);
                crate::results::manifest::write(&sub, FolderKind::Run)
                    .map_err(|e| ReportError::io(&sub, e))?;
            }
        }
    }
    crate::results::manifest::write(dir, kind).map_err(|e| ReportError::io(dir, e))
}

/// A stress set: each scenario's full results in a folder of its own, and the comparison
/// (table, overlay charts, summary.json) at the top.
fn write_stress_set(
    dir: &Path,
    scenario: &Scenario,
    book: &LoanBook,
    bucketing: Option<&Bucketing>,
    output: &RunOutput,
    summary: &RunSummary,
    facts: &RunFacts,
) -> Result<(), ReportError> {
    let mut loss_series = Vec::new();
    let mut write_off_series: Vec<charts::BandedLine> = Vec::new();
    let mut months = Vec::new();
    // Each scenario was summarised once, by `summarise`.
    assert_eq!(summary.stress_scenarios.len(), output.stress_runs.len());
    for (run, sub_summary) in output.stress_runs.iter().zip(&summary.stress_scenarios) {
        let sub_dir = dir.join(&run.stress.name);
        std::fs::create_dir(&sub_dir).map_err(|e| ReportError::io(&sub_dir, e))?;
        write_into(
            &sub_dir,
            Some(&run.stress.name),
            scenario,
            book,
            bucketing,
            &outcome_passes(&run.paths, None),
            sub_summary,
            facts,
        )?;
        let (losses, weights): (Vec<f64>, Vec<f64>) = run
            .paths
            .iter()
            .filter_map(|p| (metric("net_credit_loss").value)(p).map(|v| (v, p.weight)))
            .unzip();
        let weights = if weights.iter().all(|&w| w == 1.0) {
            Vec::new()
        } else {
            weights
        };
        loss_series.push((run.stress.name.clone(), losses, weights));
        let all: Vec<_> = sub_summary
            .write_offs
            .iter()
            .filter(|r| r.segment == "all")
            .collect();
        months = all.iter().map(|r| r.month).collect();
        write_off_series.push((
            run.stress.name.clone(),
            all.iter().map(|r| r.cumulative_net.mean).collect(),
            all.iter().map(|r| r.cumulative_net.p5).collect(),
            all.iter().map(|r| r.cumulative_net.p95).collect(),
        ));
    }
    table(dir, &summary.stress)?;
    let meta = chart_meta(scenario);
    charts::scenario_loss_overlay(&dir.join("stress_loss_distributions"), &meta, &loss_series)?;
    charts::scenario_write_off_overlay(
        &dir.join("stress_cumulative_net_write_offs"),
        &meta,
        &months,
        &write_off_series,
    )?;
    write_scenario_copy(dir, scenario)?;
    let file = StressSetSummaryFile {
        run: facts.clone(),
        scenario_description: describe::describe(scenario, book, bucketing),
        book: book_summary(book, scenario),
        bucketing: bucketing.cloned(),
        default_definition: summary.default_definition.clone(),
        scenarios: output
            .stress_runs
            .iter()
            .map(|r| r.stress.name.clone())
            .collect(),
        stress: summary.stress.clone(),
        warnings: summary.warnings.clone(),
    };
    let path = dir.join("summary.json");
    std::fs::write(&path, to_json(&file)).map_err(|e| ReportError::io(&path, e))
}

/// The scenario file as run, `scenario.toml`, so the result folder records its input.
fn write_scenario_copy(dir: &Path, scenario: &Scenario) -> Result<(), ReportError> {
    let path = dir.join("scenario.toml");
    std::fs::write(&path, &scenario.text).map_err(|e| ReportError::io(&path, e))
}

fn chart_meta(scenario: &Scenario) -> charts::ChartMeta {
    charts::ChartMeta {
        scenario_name: scenario.simulation.name.clone(),
        seed: scenario.simulation.seed,
        paths: scenario.simulation.paths,
        currency: String::new(),
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "the run's parts as the command holds them, plus the stress label"
)]
fn write_into(
    dir: &Path,
    label: Option<&str>,
    scenario: &Scenario,
    book: &LoanBook,
    bucketing: Option<&Bucketing>,
    passes: &[outcomes::Pass<'_>],
    summary: &RunSummary,
    facts: &RunFacts,
) -> Result<(), ReportError> {
    let paths = passes[0].paths;
    write_scenario_copy(dir, scenario)?;
    let summary_path = dir.join("summary.json");
    let file = summary_file(
        summary,
        facts,
        describe::describe(scenario, book, bucketing),
        label,
        book_summary(book, scenario),
        bucketing,
        BookProfile::new(book, scenario.model.segments.len()),
    );
    std::fs::write(&summary_path, to_json(&file)).map_err(|e| ReportError::io(&summary_path, e))?;
    if let Some(bucketing) = bucketing {
        let rows: Vec<BucketingRow> = bucketing
            .segments
            .iter()
            .chain(std::iter::once(&bucketing.total))
            .cloned()
            .collect();
        table(dir, &rows)?;
    }
    outcomes::write(dir, passes)?;
    let path_rows: Vec<PathRow> = paths
        .iter()
        .enumerate()
        .map(|(i, p)| PathRow {
            path: passes[0].first_path + i as u64,
            values: METRICS
                .iter()
                .map(|m| (m.value)(p).unwrap_or(f64::NAN))
                .collect(),
        })
        .collect();
    table(dir, &path_rows)?;
    table(dir, &summary.timeline)?;

    let mut meta = chart_meta(scenario);
    if let Some(label) = label {
        meta.scenario_name = format!("{} ({label})", meta.scenario_name);
    }
    let space = &scenario.model.space;
    let t = summary.layout.timeline;
    let months: Vec<u32> = (0..=t.horizon_months as u32).collect();
    // Means from the timeline, which weights paths under importance sampling.
    let mean_balance = |state: &str, month: u32| {
        summary
            .timeline
            .iter()
            .find(|r| {
                r.category == "state"
                    && r.measure == "balance"
                    && r.item == state
                    && r.month == month
            })
            .map_or(0.0, |r| r.mean)
    };
    let series: Vec<(String, Option<String>, Vec<f64>)> = (0..space.len() as u8)
        // Trigger buckets are never occupied (entering one is a charge-off or a sale).
        .filter(|&s| {
            (space.kind(s).is_on_book() && !scenario.model.is_trigger(s))
                || s == space.charged_off()
        })
        .map(|s| {
            let name = space.name(s);
            (
                name.to_string(),
                space.stage_name(s).map(str::to_string),
                months.iter().map(|&m| mean_balance(name, m)).collect(),
            )
        })
        .collect();
    charts::balance_by_state(&dir.join("balance_by_state"), &meta, &months, &series)?;
    let (losses, weights): (Vec<f64>, Vec<f64>) = paths
        .iter()
        .filter_map(|p| (metric("net_credit_loss").value)(p).map(|v| (v, p.weight)))
        .unzip();
    let mean = summary
        .headlines
        .iter()
        .find(|h| h.name == "net_credit_loss")
        .map_or(f64::NAN, |h| h.estimate.mean);
    let t99 = summary
        .net_credit_loss_tail
        .iter()
        .find(|t| t.level == 0.99);
    let (var_99, es_99) = t99.map_or((f64::NAN, f64::NAN), |t| (t.var, t.expected_shortfall));
    let weights_or_none: &[f64] = if weights.iter().all(|&w| w == 1.0) {
        &[]
    } else {
        &weights
    };
    for (stem, log_scale) in [
        ("loss_distribution", false),
        ("loss_distribution_log", true),
    ] {
        charts::loss_distribution_marked(
            &dir.join(stem),
            &meta,
            "Net credit loss across paths",
            &losses,
            weights_or_none,
            mean,
            var_99,
            es_99,
            0.99,
            log_scale,
        )?;
    }
    write_risk_outputs(dir, &meta, summary, paths)?;
    write_recovery_outputs(dir, &meta, summary)?;
    vintage::write_vintage_outputs(dir, &meta, summary, book)?;
    states::write_state_outputs(dir, &meta, summary, scenario)?;
    if let Some(d) = &summary.disposition {
        write_disposition_outputs(dir, &meta, d, scenario)?;
    }
    Ok(())
}

/// Writes a table's rows as `{STEM}.csv` and `{STEM}.parquet`.
pub(crate) fn table<T: crate::results::table::Table>(
    dir: &Path,
    rows: &[T],
) -> Result<(), ReportError> {
    crate::results::table::write(dir, rows)?;
    Ok(())
}

/// Convergence of the tail measures and, with a systematic factor, the factor by path.
fn write_risk_outputs(
    dir: &Path,
    meta: &charts::ChartMeta,
    summary: &RunSummary,
    paths: &[crate::engine::PathOutcome],
) -> Result<(), ReportError> {
    table(dir, &summary.convergence)?;
    let measures = [
        ("expected_loss", "Expected loss"),
        ("var_99", "99% VaR"),
        ("es_99", "99% ES"),
    ];
    let counts: Vec<u64> = summary
        .convergence
        .iter()
        .filter(|r| r.measure == "expected_loss")
        .map(|r| r.paths)
        .collect();
    let series: Vec<charts::BandedLine> = measures
        .iter()
        .map(|(key, label)| {
            let rows: Vec<_> = summary
                .convergence
                .iter()
                .filter(|r| r.measure == *key)
                .collect();
            (
                label.to_string(),
                rows.iter().map(|r| r.estimate).collect(),
                rows.iter().map(|r| r.ci_low).collect(),
                rows.iter().map(|r| r.ci_high).collect(),
            )
        })
        .collect();
    charts::convergence(&dir.join("convergence"), meta, &counts, &series)?;
    if paths.iter().any(|p| !p.factor.is_empty()) {
        let rows: Vec<FactorRow> = paths
            .iter()
            .enumerate()
            .flat_map(|(i, p)| {
                p.factor
                    .iter()
                    .enumerate()
                    .map(move |(m, &factor)| FactorRow {
                        path: i as u64,
                        month: m as u32 + 1,
                        factor,
                        weight: p.weight,
                    })
            })
            .collect();
        table(dir, &rows)?;
    }
    Ok(())
}

/// Recovery and write-off tables and charts.
fn write_recovery_outputs(
    dir: &Path,
    meta: &charts::ChartMeta,
    summary: &RunSummary,
) -> Result<(), ReportError> {
    table(dir, &summary.recovery_groups)?;
    table(dir, &summary.recovery_distribution)?;
    table(dir, &summary.recovery_curve)?;
    table(dir, &summary.write_offs)?;
    let curve = &summary.recovery_curve;
    let months: Vec<u32> = curve.iter().map(|r| r.months_since_default).collect();
    let pick = |f: fn(&crate::metrics::estimate::Estimate) -> f64| {
        curve
            .iter()
            .map(|r| f(&r.cumulative_recovery_rate))
            .collect::<Vec<f64>>()
    };
    charts::recovery_curve(
        &dir.join("recovery_curve"),
        meta,
        &months,
        &pick(|e| e.mean),
        &pick(|e| e.p5),
        &pick(|e| e.p95),
    )?;
    let all: Vec<_> = summary
        .write_offs
        .iter()
        .filter(|r| r.segment == "all")
        .collect();
    let months: Vec<u32> = all.iter().map(|r| r.month).collect();
    let col = |f: &dyn Fn(&crate::metrics::recovery::WriteOffRow) -> f64| {
        all.iter().map(|r| f(r)).collect::<Vec<f64>>()
    };
    charts::write_offs_by_month(
        &dir.join("write_offs_by_month"),
        meta,
        &months,
        &col(&|r| r.gross.mean),
        &col(&|r| r.net.mean),
        &col(&|r| r.net.p5),
        &col(&|r| r.net.p95),
    )?;
    Ok(())
}

/// Disposition study tables and charts.
fn write_disposition_outputs(
    dir: &Path,
    meta: &charts::ChartMeta,
    d: &DispositionSummary,
    scenario: &Scenario,
) -> Result<(), ReportError> {
    table(dir, &d.rows)?;
    table(dir, &d.decisions)?;
    let study = scenario
        .model
        .disposition
        .as_ref()
        .expect("a disposition summary comes from a study");
    let points: Vec<String> = study.points.iter().map(|p| p.label()).collect();
    let series: Vec<(String, Vec<f64>, Vec<f64>)> = crate::metrics::disposition::STRATEGIES
        .iter()
        .filter_map(|&strategy| {
            let rows: Vec<_> = d
                .rows
                .iter()
                .filter(|r| r.segment == "all" && r.strategy == strategy)
                .collect();
            if rows.is_empty() {
                return None;
            }
            let at = |label: &String, f: fn(&crate::metrics::estimate::Estimate) -> f64| {
                rows.iter()
                    .find(|r| &r.point == label)
                    .map_or(f64::NAN, |r| f(&r.value_per_face))
            };
            let name = match strategy {
                "sale" => match study.sale_price {
                    Some(crate::model::disposition::SalePrice::Fixed(p)) => {
                        format!("sale at {:.1} cents", 100.0 * p)
                    }
                    _ => "sale".to_string(),
                },
                "sale_at_buyer_price" => "sale at buyer's price".to_string(),
                other => other.to_string(),
            };
            Some((
                name,
                points.iter().map(|p| at(p, |e| e.mean)).collect(),
                points.iter().map(|p| at(p, |e| e.se)).collect(),
            ))
        })
        .collect();
    charts::disposition_values(&dir.join("disposition_values"), meta, &points, &series)?;
    if let Some(buyer) = &study.buyer {
        table(dir, &d.buyer)?;
        table(dir, &d.price_curve)?;
        let hurdles = crate::metrics::disposition::hurdle_grid();
        let curves: Vec<charts::PriceCurve> = points
            .iter()
            .filter_map(|label| {
                let rows: Vec<_> = d.price_curve.iter().filter(|r| &r.point == label).collect();
                (!rows.is_empty()).then(|| {
                    (
                        label.clone(),
                        rows.iter().map(|r| r.price.mean).collect(),
                        rows.iter().map(|r| r.price.p5).collect(),
                        rows.iter().map(|r| r.price.p95).collect(),
                    )
                })
            })
            .collect();
        charts::buyer_price_vs_hurdle(
            &dir.join("buyer_price_vs_hurdle"),
            meta,
            &hurdles,
            &curves,
            buyer.hurdle_rate,
        )?;
    }
    Ok(())
}

/// `summary.json` of one run: its facts, every figure, tails, highlights and warnings.
pub fn summary_file(
    summary: &RunSummary,
    facts: &RunFacts,
    scenario_description: Vec<String>,
    stress_scenario: Option<&str>,
    book: BookSummary,
    bucketing: Option<&Bucketing>,
    book_profile: BookProfile,
) -> RunSummaryFile {
    RunSummaryFile {
        run: facts.clone(),
        scenario_description,
        stress_scenario: stress_scenario.map(str::to_string),
        book,
        bucketing: bucketing.cloned(),
        default_definition: summary.default_definition.clone(),
        figures: summary
            .headlines
            .iter()
            .map(|h| {
                let figure = Figure {
                    name: h.name.into(),
                    label: h.label.into(),
                    unit: h.unit.into(),
                    description: h.description.into(),
                    estimate: h.estimate,
                };
                (h.name.to_string(), figure)
            })
            .collect(),
        net_credit_loss_tail: summary.net_credit_loss_tail.clone(),
        effective_sample_size: summary.effective_sample_size,
        clipped_rows: summary.clipped_rows,
        write_off_tails: summary
            .write_off_tails
            .iter()
            .map(|(name, tail)| (name.to_string(), tail.clone()))
            .collect(),
        recovery: RecoverySection {
            by_group: summary.recovery_groups.clone(),
            share_of_defaults_recovering_nothing: summary
                .recovery_distribution
                .first()
                .map(|r| r.share),
        },
        disposition: summary.disposition.as_ref().map(|d| DispositionSection {
            decisions: d
                .decisions
                .iter()
                .filter(|r| r.segment == "all")
                .cloned()
                .collect(),
            buyer: d.buyer.clone(),
        }),
        conservation_max_residual: summary.conservation_max_residual,
        warnings: summary.warnings.clone(),
        outcome_layout: summary.layout,
        book_profile,
    }
}

/// UTC time as `YYYY-MM-DDTHH:MM:SSZ` (civil-from-days, Hinnant's algorithm).
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
