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
pub mod folder;
pub mod format;
pub mod run_report;
mod states;
pub mod tables;
mod vintage;

use std::path::{Path, PathBuf};

use serde::Serialize;

use charts::bar::{BarChart, BarSeries};
use charts::histogram::{Histogram, HistogramSeries};
use charts::line::{Axis, Bars, Fit, Line, LineChart, Markers, Scale, VLine};
use charts::theme::{self, Stroke};

use crate::book::{Bucketing, LoanBook};
use crate::engine::RunOutput;
use crate::metrics::disposition::DispositionSummary;
use crate::metrics::stats::{Headline, RunSummary, TailMeasure, metric};
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
    Folder(#[from] folder::FolderError),
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

/// What produced a result: enough to reproduce it. The only place a timestamp appears.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub arrears_version: &'static str,
    pub scenario_name: String,
    pub scenario_file: String,
    pub scenario_sha256: String,
    /// SHA-256 of the loan tape, when the book is one.
    pub loan_tape_sha256: Option<String>,
    pub format_version: i64,
    pub seed: u64,
    pub paths: u64,
    pub horizon_months: u32,
    pub loans: u64,
    /// `"loan"` or `"count"` (`[simulation] mode`).
    pub mode: &'static str,
    /// Rows of the book as simulated: loans in loan mode (unless the tape gave cells), cells
    /// in count mode.
    pub cells: u64,
    pub threads: usize,
    pub rng: &'static str,
    /// What the spread of results reflects: process noise only, or estimation uncertainty too.
    pub uncertainty: &'static str,
    pub run_seconds: f64,
    pub created_utc: String,
}

/// The book as simulated, by segment.
#[derive(Debug, Clone, Serialize)]
pub struct BookSummary {
    pub loans: u64,
    pub balance: f64,
    pub segments: Vec<SegmentSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SegmentSummary {
    pub segment: String,
    pub loans: u64,
    pub balance: f64,
}

impl BookSummary {
    pub fn new(book: &LoanBook, scenario: &Scenario) -> BookSummary {
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
}

#[derive(Serialize)]
struct SummaryFile<'a> {
    manifest: &'a Manifest,
    /// The scenario in words ([`describe::describe`]).
    scenario_description: &'a [String],
    /// What charts and reports call the run, its states and its money.
    display: &'a crate::scenario::DisplayNames,
    /// The stress scenario these results are for, inside a stress set's folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    stress_scenario: Option<&'a str>,
    book: &'a BookSummary,
    /// Count mode: what bucketing the loans into cells changed; `null` otherwise.
    bucketing: Option<&'a Bucketing>,
    default_definition: &'a str,
    figures: Figures<'a>,
    net_credit_loss_tail: &'a [TailMeasure],
    /// Effective sample size of the paths (the number of paths unless importance sampling).
    effective_sample_size: f64,
    /// Rows clipped by conditioning on the factor, over all paths and months.
    clipped_rows: f64,
    write_off_tails: serde_json::Map<String, serde_json::Value>,
    recovery: RecoverySection<'a>,
    disposition: Option<DispositionSection<'a>>,
    conservation_max_residual: f64,
    warnings: &'a [String],
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
    manifest: &Manifest,
) -> Result<(), ReportError> {
    write_atomically(dir, force, |tmp| {
        if output.stress_runs.is_empty() {
            write_into(
                tmp, None, scenario, book, bucketing, output, summary, manifest,
            )?;
        } else {
            write_stress_set(tmp, scenario, book, bucketing, output, summary, manifest)?;
        }
        // Last, from the files just written, exactly as `arrears report` rebuilds it.
        run_report::write_reports(tmp).map(|_| ())
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
        calibration::write_calibration_report(calibration, tmp)
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

#[derive(Serialize)]
struct StressSetFile<'a> {
    manifest: &'a Manifest,
    scenario_description: &'a [String],
    display: &'a crate::scenario::DisplayNames,
    book: &'a BookSummary,
    bucketing: Option<&'a Bucketing>,
    default_definition: &'a str,
    /// Folder of each scenario's full results, in the set's order.
    scenarios: Vec<&'a str>,
    stress: &'a [crate::metrics::risk::StressRow],
    warnings: &'a [String],
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
    manifest: &Manifest,
) -> Result<(), ReportError> {
    let mut loss_series = Vec::new();
    let mut write_off_series = Vec::new();
    let mut months = Vec::new();
    for run in &output.stress_runs {
        let sub = RunOutput {
            layout: output.layout,
            paths: run.paths.clone(),
            study_paths: None,
            stress_runs: Vec::new(),
            threads: output.threads,
        };
        let sub_summary = crate::metrics::stats::summarise(&sub, &scenario.model, book);
        let sub_dir = dir.join(&run.stress.name);
        std::fs::create_dir(&sub_dir).map_err(|e| ReportError::io(&sub_dir, e))?;
        write_into(
            &sub_dir,
            Some(&run.stress.name),
            scenario,
            book,
            bucketing,
            &sub,
            &sub_summary,
            manifest,
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
        loss_series.push(charts::overlay::Losses {
            name: run.stress.name.clone(),
            values: losses,
            weights,
        });
        let all: Vec<_> = sub_summary
            .write_offs
            .iter()
            .filter(|r| r.segment == "all")
            .collect();
        months = all.iter().map(|r| r.month).collect();
        write_off_series.push(charts::overlay::Banded {
            name: run.stress.name.clone(),
            values: all.iter().map(|r| r.cumulative_net.mean).collect(),
            low: all.iter().map(|r| r.cumulative_net.p5).collect(),
            high: all.iter().map(|r| r.cumulative_net.p95).collect(),
        });
    }
    table(
        dir,
        "stress_comparison",
        tables::stress_frame(&summary.stress),
    )?;
    let set = charts::overlay::Overlaid::stress_set(&chart_meta(scenario));
    charts::overlay::losses(&set, loss_series).write(&dir.join("stress_loss_distributions"))?;
    charts::overlay::write_offs(&set, &months, &write_off_series)
        .write(&dir.join("stress_cumulative_net_write_offs"))?;
    write_scenario_copy(dir, scenario)?;
    let file = StressSetFile {
        manifest,
        scenario_description: &describe::describe(scenario, book, bucketing),
        display: &scenario.simulation.display,
        book: &BookSummary::new(book, scenario),
        bucketing,
        default_definition: &summary.default_definition,
        scenarios: output
            .stress_runs
            .iter()
            .map(|r| r.stress.name.as_str())
            .collect(),
        stress: &summary.stress,
        warnings: &summary.warnings,
    };
    let path = dir.join("summary.json");
    let json = serde_json::to_string_pretty(&file).expect("plain data serialises") + "\n";
    std::fs::write(&path, json).map_err(|e| ReportError::io(&path, e))
}

/// The scenario file as run, `scenario.toml`, so the result folder records its input.
fn write_scenario_copy(dir: &Path, scenario: &Scenario) -> Result<(), ReportError> {
    let path = dir.join("scenario.toml");
    std::fs::write(&path, &scenario.text).map_err(|e| ReportError::io(&path, e))
}

fn chart_meta(scenario: &Scenario) -> charts::ChartMeta {
    let display = &scenario.simulation.display;
    charts::ChartMeta {
        scenario_name: display.title.clone(),
        seed: scenario.simulation.seed,
        paths: scenario.simulation.paths,
        currency: display.currency.clone(),
        labels: display.state_labels.clone(),
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
    output: &RunOutput,
    summary: &RunSummary,
    manifest: &Manifest,
) -> Result<(), ReportError> {
    write_scenario_copy(dir, scenario)?;
    let summary_path = dir.join("summary.json");
    let json = summary_json(
        summary,
        manifest,
        &describe::describe(scenario, book, bucketing),
        &scenario.simulation.display,
        label,
        &BookSummary::new(book, scenario),
        bucketing,
    );
    std::fs::write(&summary_path, json).map_err(|e| ReportError::io(&summary_path, e))?;
    if let Some(bucketing) = bucketing {
        table(dir, "bucketing", tables::bucketing_frame(bucketing))?;
    }

    let mut paths = tables::paths_frame(&output.paths)
        .map_err(|e| ReportError::table(&dir.join("paths.csv"), e))?;
    tables::write_both(&mut paths, dir, "paths")?;
    let mut timeline = tables::timeline_frame(&summary.timeline)
        .map_err(|e| ReportError::table(&dir.join("timeline.csv"), e))?;
    tables::write_both(&mut timeline, dir, "timeline")?;

    let mut meta = chart_meta(scenario);
    if let Some(label) = label {
        meta.scenario_name = format!("{} ({label})", meta.scenario_name);
    }
    let (losses, weights): (Vec<f64>, Vec<f64>) = output
        .paths
        .iter()
        .filter_map(|p| (metric("net_credit_loss").value)(p).map(|v| (v, p.weight)))
        .unzip();
    let weights = if weights.iter().all(|&w| w == 1.0) {
        Vec::new()
    } else {
        weights
    };
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
    let marked = |x: f64, name: &str, colour, stroke| VLine {
        x,
        label: format!("{name} {}", format::format_amount(x)),
        colour,
        stroke,
    };
    for (stem, log) in [
        ("loss_distribution", false),
        ("loss_distribution_log", true),
    ] {
        let weighted = if weights.is_empty() {
            ""
        } else {
            ", importance-weighted"
        };
        let scale = if log {
            "; share of paths on a log scale"
        } else {
            ""
        };
        let subtitle = format!(
            "Distribution over {}{weighted}{scale}",
            format::count_of(losses.len() as u64, "simulated path")
        );
        Histogram {
            header: meta.header("Net credit loss across paths", subtitle),
            x_title: meta.amount("Net credit loss"),
            series: vec![HistogramSeries {
                label: "Net credit loss".into(),
                colour: theme::OI_BLUE,
                values: losses.clone(),
                weights: weights.clone(),
            }],
            vlines: vec![
                marked(mean, "Expected loss", theme::OI_BLACK, Stroke::Solid),
                marked(var_99, "99% VaR", theme::OI_VERMILLION, Stroke::Dashed),
                marked(es_99, "99% ES", theme::OI_PURPLE, Stroke::Dotted),
            ],
            log,
            legend: String::new(),
            notes: Vec::new(),
        }
        .write(&dir.join(stem))?;
    }
    write_risk_outputs(dir, &meta, summary, output)?;
    let sale_age = match scenario.model.debt_sale {
        Some(crate::model::DebtSale::AfterChargeOff { months, .. }) => Some(months),
        _ => None,
    };
    write_recovery_outputs(dir, &meta, summary, sale_age)?;
    vintage::write_vintage_outputs(dir, &meta, summary, book)?;
    states::write_state_outputs(dir, &meta, summary, scenario)?;
    if let Some(d) = &summary.disposition {
        write_disposition_outputs(dir, &meta, d, scenario)?;
    }
    Ok(())
}

fn table(
    dir: &Path,
    stem: &str,
    frame: polars::prelude::PolarsResult<polars::prelude::DataFrame>,
) -> Result<(), ReportError> {
    let mut frame = frame.map_err(|e| ReportError::table(&dir.join(format!("{stem}.csv")), e))?;
    tables::write_both(&mut frame, dir, stem)
}

/// Convergence of the tail measures and, with a systematic factor, the factor by path.
fn write_risk_outputs(
    dir: &Path,
    meta: &charts::ChartMeta,
    summary: &RunSummary,
    output: &RunOutput,
) -> Result<(), ReportError> {
    table(
        dir,
        "convergence",
        tables::convergence_frame(&summary.convergence),
    )?;
    // The colours of the loss histogram's marked values; markers so lines differ by more.
    let measures = [
        (
            "expected_loss",
            "Expected loss",
            theme::OI_BLACK,
            theme::Marker::Circle,
        ),
        (
            "var_99",
            "99% VaR",
            theme::OI_VERMILLION,
            theme::Marker::Square,
        ),
        ("es_99", "99% ES", theme::OI_PURPLE, theme::Marker::Triangle),
    ];
    let mut lines = Vec::new();
    let mut notes = vec![
        "Bands: 95% confidence interval".to_string(),
        "Dotted: estimate from all paths".to_string(),
    ];
    for (key, label, colour, marker) in measures {
        let rows: Vec<_> = summary
            .convergence
            .iter()
            .filter(|r| r.measure == key)
            .collect();
        let xs: Vec<f64> = rows.iter().map(|r| (r.paths as f64).log10()).collect();
        let col = |f: fn(&crate::metrics::risk::ConvergenceRow) -> f64| -> Vec<f64> {
            rows.iter().map(|r| f(r)).collect()
        };
        let every = if rows.len() <= 30 {
            Markers::Every(marker)
        } else {
            Markers::None
        };
        let line = Line::new(label, colour, &xs, &col(|r| r.estimate))
            .band(&xs, &col(|r| r.ci_low), &col(|r| r.ci_high))
            .markers(every);
        if let (Some(last), Some(&first)) = (rows.last(), xs.first()) {
            let ends = [first, (last.paths as f64).log10()];
            lines.push(Line::new("", colour, &ends, &[last.estimate; 2]).stroke(Stroke::Dotted));
            if notes.len() == 2 {
                notes.extend([
                    String::new(),
                    format!("With {}:", format::count_of(last.paths, "path")),
                ]);
            }
            notes.push(format!("{label} {}", format::format_amount(last.estimate)));
            let (lo, hi) = (
                format::format_amount(last.ci_low),
                format::format_amount(last.ci_high),
            );
            notes.push(format!("   95% CI {lo} to {hi}"));
        }
        lines.push(line);
    }
    let subtitle = "Estimate from the first n paths, band: 95% confidence interval".to_string();
    LineChart {
        legend: "Risk measure".into(),
        notes,
        empty: "No estimates to show".into(),
        ..LineChart::new(
            meta.header("Convergence of risk measures", subtitle),
            Axis::new(
                "Paths used, n (log scale)",
                Scale::LogCount,
                Fit::Span(0.04),
            ),
            Axis::new(meta.amount("Estimate"), Scale::Amount, Fit::Span(0.06)),
            lines,
        )
    }
    .write(&dir.join("convergence"))?;
    if output.paths.iter().any(|p| !p.factor.is_empty()) {
        table(dir, "factor", tables::factor_frame(&output.paths))?;
    }
    Ok(())
}

/// Recovery and write-off tables and charts.
/// `sale_age`: months after charge-off at which a forward-flow sale sells what is left.
fn write_recovery_outputs(
    dir: &Path,
    meta: &charts::ChartMeta,
    summary: &RunSummary,
    sale_age: Option<u32>,
) -> Result<(), ReportError> {
    table(
        dir,
        "recovery_by_group",
        tables::recovery_groups_frame(&summary.recovery_groups),
    )?;
    table(
        dir,
        "recovery_rate_distribution",
        tables::recovery_distribution_frame(&summary.recovery_distribution),
    )?;
    table(
        dir,
        "recovery_curve",
        tables::recovery_curve_frame(&summary.recovery_curve),
    )?;
    table(
        dir,
        "write_offs",
        tables::write_offs_frame(&summary.write_offs),
    )?;
    let curve = &summary.recovery_curve;
    let months: Vec<f64> = curve
        .iter()
        .map(|r| f64::from(r.months_since_default))
        .collect();
    let pick = |f: fn(&crate::metrics::stats::Estimate) -> f64| -> Vec<f64> {
        curve
            .iter()
            .map(|r| f(&r.cumulative_recovery_rate))
            .collect()
    };
    let recovery = Line::new("Mean", theme::OI_BLUE, &months, &pick(|e| e.mean)).band(
        &months,
        &pick(|e| e.p5),
        &pick(|e| e.p95),
    );
    let mut notes = Vec::new();
    if let (Some(last), Some((month, mean))) = (curve.last(), recovery.last()) {
        let e = &last.cumulative_recovery_rate;
        notes.push(format!("At month {}:", format::format_month(&month)));
        notes.push(format!("mean {}", format::format_percent(mean)));
        let (p5, p95) = (format::format_percent(e.p5), format::format_percent(e.p95));
        notes.push(format!("5th-95th {p5} to {p95}"));
    }
    let subtitle = format!(
        "Mean across {}, band 5th-95th percentile; recoveries as % of exposure at default (EAD)",
        format::count_of(meta.paths, "path")
    );
    LineChart {
        // The sale that makes the curve jump: what is left of each claim leaves the book.
        vlines: sale_age
            .map(|months| VLine {
                x: f64::from(months),
                label: format!("Debt sale at {months} months"),
                colour: theme::AXIS,
                stroke: Stroke::Dashed,
            })
            .into_iter()
            .collect(),
        band_label: "5th-95th percentile".into(),
        notes,
        empty: "No recoveries to show".into(),
        ..LineChart::new(
            meta.header("Cumulative recovery after default", subtitle),
            Axis::months("Months since default", Some(0.0), 0.0),
            Axis::values("Cumulative recovery (% of EAD)", Scale::Percent, 0.08),
            vec![recovery],
        )
    }
    .write(&dir.join("recovery_curve"))?;

    let all: Vec<_> = summary
        .write_offs
        .iter()
        .filter(|r| r.segment == "all")
        .collect();
    let months: Vec<f64> = all.iter().map(|r| f64::from(r.month)).collect();
    let col = |f: &dyn Fn(&crate::metrics::recovery::WriteOffRow) -> f64| -> Vec<f64> {
        all.iter().map(|r| f(r)).collect()
    };
    let (gross, net) = (col(&|r| r.gross.mean), col(&|r| r.net.mean));
    let sum = |v: &[f64]| format::format_amount(v.iter().filter(|x| x.is_finite()).sum());
    let subtitle = format!(
        "Mean across {}; net = gross less recoveries and sale proceeds, band 5th-95th percentile of net",
        format::count_of(meta.paths, "path")
    );
    LineChart {
        bars: vec![Bars {
            label: "Gross write-offs".into(),
            colour: theme::GROSS_BAR,
            width: 0.72,
            points: months.iter().copied().zip(gross.iter().copied()).collect(),
        }],
        band_label: "Net, 5th-95th percentile".into(),
        notes: vec![
            "Means across paths".into(),
            format!(
                "Total over {}:",
                format::count_of(all.len() as u64, "month")
            ),
            format!("gross {}", sum(&gross)),
            format!("net {}", sum(&net)),
        ],
        empty: "No write-offs to show".into(),
        ..LineChart::new(
            meta.header("Write-offs by month", subtitle),
            Axis::months("Month", None, 1.0),
            Axis::values(&meta.amount("Write-offs"), Scale::Amount, 0.06),
            vec![
                Line::new("Net write-offs", theme::OI_VERMILLION, &months, &net).band(
                    &months,
                    &col(&|r| r.net.p5),
                    &col(&|r| r.net.p95),
                ),
            ],
        )
    }
    .write(&dir.join("write_offs_by_month"))?;
    Ok(())
}

/// Disposition study tables and charts.
fn write_disposition_outputs(
    dir: &Path,
    meta: &charts::ChartMeta,
    d: &DispositionSummary,
    scenario: &Scenario,
) -> Result<(), ReportError> {
    table(dir, "disposition", tables::disposition_frame(&d.rows))?;
    table(
        dir,
        "disposition_decision",
        tables::decision_frame(&d.decisions),
    )?;
    let study = scenario
        .model
        .disposition
        .as_ref()
        .expect("a disposition summary comes from a study");
    let points: Vec<String> = study.points.iter().map(|p| p.label()).collect();
    let series: Vec<BarSeries> = crate::metrics::disposition::STRATEGIES
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
            let at = |label: &String, f: fn(&crate::metrics::stats::Estimate) -> f64| {
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
            Some(BarSeries {
                label: name,
                values: points.iter().map(|p| at(p, |e| e.mean)).collect(),
                errors: points.iter().map(|p| at(p, |e| e.se)).collect(),
            })
        })
        .collect();
    let subtitle = format!(
        "Mean value to the lender per unit of face value across {}, by disposition; error bars ±2 standard errors",
        format::count_of(meta.paths, "path")
    );
    BarChart {
        header: meta.header("Value per unit of face by sale point", subtitle),
        x_title: "Sale point".into(),
        y_title: "Value (cents per unit of face)".into(),
        categories: points.clone(),
        series,
        legend: "Disposition".into(),
    }
    .write(&dir.join("disposition_values"))?;
    if let Some(buyer) = &study.buyer {
        table(dir, "buyer_pricing", tables::buyer_frame(&d.buyer))?;
        table(
            dir,
            "buyer_price_curve",
            tables::price_curve_frame(&d.price_curve),
        )?;
        let hurdles = crate::metrics::disposition::hurdle_grid();
        let markers = hurdles.len() <= 30;
        let mut notes = vec![
            "Bands: 5th-95th percentile".to_string(),
            format!(
                "Price at hurdle {}:",
                format::format_rate(buyer.hurdle_rate)
            ),
        ];
        let lines: Vec<Line> = points
            .iter()
            .enumerate()
            .filter_map(|(k, label)| {
                let rows: Vec<_> = d.price_curve.iter().filter(|r| &r.point == label).collect();
                let col = |f: fn(&crate::metrics::stats::Estimate) -> f64| -> Vec<f64> {
                    rows.iter().map(|r| f(&r.price)).collect()
                };
                let price = col(|e| e.mean);
                if let Some(p) = charts::line::interpolate(&hurdles, &price, buyer.hurdle_rate) {
                    notes.push(format!("{label}: {} cents", format::format_cents(p)));
                }
                let marker = theme::series_marker(k);
                let every = if markers {
                    Markers::Every(marker)
                } else {
                    Markers::None
                };
                (!rows.is_empty()).then(|| {
                    Line::new(label, theme::series_colour(k), &hurdles, &price)
                        .band(&hurdles, &col(|e| e.p5), &col(|e| e.p95))
                        .markers(every)
                })
            })
            .collect();
        let subtitle = format!(
            "Price at which the buyer earns its hurdle rate: mean across {}, bands 5th-95th percentile",
            format::count_of(meta.paths, "path")
        );
        LineChart {
            vlines: vec![VLine {
                x: buyer.hurdle_rate,
                label: format!("Buyer's hurdle {}", format::format_rate(buyer.hurdle_rate)),
                colour: theme::AXIS,
                stroke: Stroke::Dashed,
            }],
            legend: "Sale point".into(),
            notes,
            empty: "No prices to show".into(),
            ..LineChart::new(
                meta.header("Buyer's price against hurdle rate", subtitle),
                Axis::values("Buyer's hurdle rate (% a year)", Scale::Percent, 0.0),
                Axis::values("Fair price (cents per unit of face)", Scale::Cents, 0.16),
                lines,
            )
        }
        .write(&dir.join("buyer_price_vs_hurdle"))?;
    }
    Ok(())
}

#[derive(Serialize)]
struct RecoverySection<'a> {
    /// Recovery rates for all defaults, by segment, stage at default and vintage.
    by_group: &'a [crate::metrics::recovery::GroupRow],
    share_of_defaults_recovering_nothing: Option<crate::metrics::stats::Estimate>,
}

#[derive(Serialize)]
struct DispositionSection<'a> {
    /// Best disposition at each sale point for the whole book (segments in the tables).
    decisions: Vec<&'a crate::metrics::disposition::DecisionRow>,
    buyer: &'a [crate::metrics::disposition::BuyerRow],
}

/// Headline figures as a JSON object keyed by name, in report order (a plain map would sort
/// them alphabetically).
struct Figures<'a>(&'a [Headline]);

impl Serialize for Figures<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for h in self.0 {
            map.serialize_entry(h.name, h)?;
        }
        map.end()
    }
}

/// `summary.json`: the manifest, every headline figure, tail measures and warnings.
pub fn summary_json(
    summary: &RunSummary,
    manifest: &Manifest,
    scenario_description: &[String],
    display: &crate::scenario::DisplayNames,
    stress_scenario: Option<&str>,
    book: &BookSummary,
    bucketing: Option<&Bucketing>,
) -> String {
    let figures = Figures(&summary.headlines);
    let write_off_tails = summary
        .write_off_tails
        .iter()
        .map(|(name, tail)| {
            (
                name.to_string(),
                serde_json::to_value(tail).expect("plain data serialises"),
            )
        })
        .collect();
    let recovery = RecoverySection {
        by_group: &summary.recovery_groups,
        share_of_defaults_recovering_nothing: summary
            .recovery_distribution
            .first()
            .map(|r| r.share),
    };
    let disposition = summary.disposition.as_ref().map(|d| DispositionSection {
        decisions: d.decisions.iter().filter(|r| r.segment == "all").collect(),
        buyer: &d.buyer,
    });
    let file = SummaryFile {
        manifest,
        scenario_description,
        display,
        stress_scenario,
        book,
        bucketing,
        default_definition: &summary.default_definition,
        effective_sample_size: summary.effective_sample_size,
        clipped_rows: summary.clipped_rows,
        write_off_tails,
        recovery,
        disposition,
        figures,
        net_credit_loss_tail: &summary.net_credit_loss_tail,
        conservation_max_residual: summary.conservation_max_residual,
        warnings: &summary.warnings,
    };
    serde_json::to_string_pretty(&file).expect("plain data serialises") + "\n"
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
