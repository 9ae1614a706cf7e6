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
pub mod format;
pub mod optimise;
pub mod run_report;
mod states;
pub mod sweep;
mod vintage;

use std::path::{Path, PathBuf};

use crate::book::cells::BucketingRow;
use charts::bar::{BarChart, BarSeries};
use charts::histogram::{Histogram, HistogramSeries};
use charts::line::{Axis, Bars, Fit, Line, LineChart, Markers, Scale, VLine};
use charts::theme::{self, Stroke};

use crate::book::{Bucketing, LoanBook};
use crate::engine::RunOutput;
use crate::metrics::BookProfile;
use crate::metrics::disposition::DispositionSummary;
use crate::metrics::figures::{METRICS, metric};
use crate::metrics::summary::RunSummary;
use crate::results::atomic::{PlaceError, write_atomically};
use crate::results::part::PartFile;
use crate::results::rows::{FactorRow, PathRow};
use crate::results::summary::{BookFacts, StressSetSummaryFile, to_json};
use crate::results::{FolderKind, ResultFolder, Trust, outcomes};
use crate::scenario::Scenario;

/// Why results could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Place(#[from] PlaceError),
    #[error("cannot write `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
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
}

pub use crate::results::summary::{
    About, BookSummary, RunFacts, SegmentSummary, book_summary, summary_file,
};

/// What the summaries and reports say of `book` as `scenario` simulates it; `bucketing`: what
/// count mode's bucketing changed, when it bucketed the book.
pub fn book_facts(
    scenario: &Scenario,
    book: &LoanBook,
    bucketing: Option<&Bucketing>,
) -> BookFacts {
    BookFacts {
        scenario_description: describe::describe(scenario, book, bucketing),
        book: book_summary(book, scenario),
        bucketing: bucketing.cloned(),
        book_profile: BookProfile::new(book, scenario.model.segments.len()),
    }
}

/// Writes every output of a run into `dir` (atomically: temporary folder, then rename).
pub fn write_results(
    dir: &Path,
    force: bool,
    scenario: &Scenario,
    book: &BookFacts,
    output: &RunOutput,
    summary: &RunSummary,
    facts: &RunFacts,
) -> Result<(), ReportError> {
    write_atomically(dir, force, |tmp| {
        let kind = if output.stress_runs.is_empty() {
            let study = output.study_paths.as_deref();
            let passes = outcome_passes(&output.paths, study);
            write_into(tmp, None, scenario, book, &passes, summary, facts)?;
            FolderKind::Run
        } else {
            write_stress_set(tmp, scenario, book, output, summary, facts)?;
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
            table(tmp, &calibration.calendar)?;
        }
        calibration::write_calibration_report(calibration, tmp)?;
        crate::results::manifest::write(tmp, FolderKind::Calibration)
            .map_err(|e| ReportError::io(tmp, e))
    })
}

/// Writes a part of a sharded run into `dir`, atomically: the scenario as run, the part's
/// outcomes (path numbers the run's), `part.json` and the manifest. A scheduler's retry of the
/// shard replaces it whole or not at all.
pub fn write_part(
    dir: &Path,
    force: bool,
    scenario: &Scenario,
    file: &PartFile,
    passes: &crate::results::part::Passes,
) -> Result<(), ReportError> {
    write_atomically(dir, force, |tmp| {
        write_scenario_copy(tmp, scenario)?;
        let passes: Vec<outcomes::Pass<'_>> = passes
            .iter()
            .map(|(name, paths)| outcomes::Pass {
                name,
                first_path: file.first_path,
                paths,
            })
            .collect();
        outcomes::write(tmp, &passes)?;
        let path = tmp.join(crate::results::part::PART_FILE);
        std::fs::write(&path, to_json(file)).map_err(|e| ReportError::io(&path, e))?;
        crate::results::manifest::write(tmp, FolderKind::Part).map_err(|e| ReportError::io(tmp, e))
    })
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
    book: &BookFacts,
    output: &RunOutput,
    summary: &RunSummary,
    facts: &RunFacts,
) -> Result<(), ReportError> {
    let mut loss_series = Vec::new();
    let mut write_off_series = Vec::new();
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
    table(dir, &summary.stress)?;
    let set = charts::overlay::Overlaid::stress_set(&chart_meta(scenario));
    charts::overlay::losses(&set, loss_series).write(&dir.join("stress_loss_distributions"))?;
    charts::overlay::write_offs(&set, &months, &write_off_series)
        .write(&dir.join("stress_cumulative_net_write_offs"))?;
    write_scenario_copy(dir, scenario)?;
    let file = StressSetSummaryFile {
        run: facts.clone(),
        scenario_description: book.scenario_description.clone(),
        display: scenario.simulation.display.clone(),
        book: book.book.clone(),
        bucketing: book.bucketing.clone(),
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

/// The display settings a sweep or a solve keeps for its charts.
pub(crate) fn chart_facts(scenario: &Scenario) -> crate::results::sweep_rows::ChartFacts {
    let display = &scenario.simulation.display;
    crate::results::sweep_rows::ChartFacts {
        title: display.title.clone(),
        currency: display.currency.clone(),
        state_labels: display.state_labels.clone(),
    }
}

/// A sweep's or a solve's chart settings, from its files.
pub(crate) fn chart_meta_of(
    run: &crate::results::summary::RunFacts,
    chart: &crate::results::sweep_rows::ChartFacts,
) -> charts::ChartMeta {
    charts::ChartMeta {
        scenario_name: chart.title.clone(),
        seed: run.seed,
        paths: run.paths,
        currency: chart.currency.clone(),
        labels: chart.state_labels.clone(),
    }
}

pub(crate) fn chart_meta(scenario: &Scenario) -> charts::ChartMeta {
    let display = &scenario.simulation.display;
    charts::ChartMeta {
        scenario_name: display.title.clone(),
        seed: scenario.simulation.seed,
        paths: scenario.simulation.paths,
        currency: display.currency.clone(),
        labels: display.state_labels.clone(),
    }
}

fn write_into(
    dir: &Path,
    label: Option<&str>,
    scenario: &Scenario,
    book: &BookFacts,
    passes: &[outcomes::Pass<'_>],
    summary: &RunSummary,
    facts: &RunFacts,
) -> Result<(), ReportError> {
    let paths = passes[0].paths;
    write_scenario_copy(dir, scenario)?;
    let summary_path = dir.join("summary.json");
    let file = summary_file(
        summary,
        About {
            run: facts.clone(),
            scenario_description: book.scenario_description.clone(),
            display: scenario.simulation.display.clone(),
            stress_scenario: label.map(str::to_string),
            book: book.book.clone(),
            bucketing: book.bucketing.clone(),
            book_profile: book.book_profile.clone(),
        },
    );
    std::fs::write(&summary_path, to_json(&file)).map_err(|e| ReportError::io(&summary_path, e))?;
    if let Some(bucketing) = &book.bucketing {
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
    let (losses, weights): (Vec<f64>, Vec<f64>) = paths
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
    write_risk_outputs(dir, &meta, summary, paths)?;
    let sale_age = match scenario.model.debt_sale {
        Some(crate::model::DebtSale::AfterChargeOff { months, .. }) => Some(months),
        _ => None,
    };
    write_recovery_outputs(dir, &meta, summary, sale_age)?;
    vintage::write_vintage_outputs(dir, &meta, summary)?;
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
/// `sale_age`: months after charge-off at which a forward-flow sale sells what is left.
fn write_recovery_outputs(
    dir: &Path,
    meta: &charts::ChartMeta,
    summary: &RunSummary,
    sale_age: Option<u32>,
) -> Result<(), ReportError> {
    table(dir, &summary.recovery_groups)?;
    table(dir, &summary.recovery_distribution)?;
    table(dir, &summary.recovery_curve)?;
    table(dir, &summary.write_offs)?;
    let curve = &summary.recovery_curve;
    let months: Vec<f64> = curve
        .iter()
        .map(|r| f64::from(r.months_since_default))
        .collect();
    let pick = |f: fn(&crate::metrics::estimate::Estimate) -> f64| -> Vec<f64> {
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
    table(dir, &d.rows)?;
    table(dir, &d.decisions)?;
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
        table(dir, &d.buyer)?;
        table(dir, &d.price_curve)?;
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
                let col = |f: fn(&crate::metrics::estimate::Estimate) -> f64| -> Vec<f64> {
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
