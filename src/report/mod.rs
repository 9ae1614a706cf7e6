//! Everything a run writes, and the only module that writes files: tables (CSV and Parquet),
//! charts (PNG and SVG), `summary.json` with the run manifest.
//!
//! Results are written into a temporary folder beside the destination and renamed into place
//! only when everything is written, so a result folder is never half-written; an existing
//! result folder is replaced only when the caller asks (`--force`).

mod atomic;
pub mod calibration;
pub mod charts;
pub mod compare;
pub mod describe;
pub mod document;
pub mod folder;
pub mod run_report;
mod states;
pub mod tables;
mod vintage;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use atomic::{MAX_NAME_BYTES, clean_up_on_signals, is_result_folder};

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
    /// Another process wrote the folder while this one was running.
    #[error("result folder `{}` appeared while this run was writing (another run wrote it); it was left as it is and this run's results were not kept", path.display())]
    Raced { path: PathBuf },
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

/// Refuses an existing destination unless `force`, and with `force` anything but a result
/// folder; refuses names and places a folder cannot be written to. Call before running so
/// nobody waits for a run whose result cannot be written.
pub fn check_destination(dir: &Path, force: bool) -> Result<(), ReportError> {
    atomic::check_destination(dir, force)
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
/// failure leaves no half-written result, an existing one is replaced only with `force` (and
/// only when it is a result folder), and a folder another run wrote meanwhile is never
/// replaced (see `atomic.rs`).
pub fn write_atomically(
    dir: &Path,
    force: bool,
    write: impl FnOnce(&Path) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    atomic::write_atomically(dir, force, write)
}

#[derive(Serialize)]
struct StressSetFile<'a> {
    manifest: &'a Manifest,
    scenario_description: &'a [String],
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
    let mut write_off_series: Vec<charts::BandedLine> = Vec::new();
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
    table(
        dir,
        "stress_comparison",
        tables::stress_frame(&summary.stress),
    )?;
    let meta = chart_meta(scenario);
    charts::scenario_loss_overlay(&dir.join("stress_loss_distributions"), &meta, &loss_series)?;
    charts::scenario_write_off_overlay(
        &dir.join("stress_cumulative_net_write_offs"),
        &meta,
        &months,
        &write_off_series,
    )?;
    write_scenario_copy(dir, scenario)?;
    let file = StressSetFile {
        manifest,
        scenario_description: &describe::describe(scenario, book, bucketing),
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
    let space = &scenario.model.space;
    let t = output.layout.timeline;
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
    let (losses, weights): (Vec<f64>, Vec<f64>) = output
        .paths
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
    write_risk_outputs(dir, &meta, summary, output)?;
    write_recovery_outputs(dir, &meta, summary)?;
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
    let measures = [
        ("expected_loss", "Expected loss"),
        ("var_99", "99% VaR"),
        ("es_99", "99% ES"),
    ];
    let paths: Vec<u64> = summary
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
    charts::convergence(&dir.join("convergence"), meta, &paths, &series)?;
    if output.paths.iter().any(|p| !p.factor.is_empty()) {
        table(dir, "factor", tables::factor_frame(&output.paths))?;
    }
    Ok(())
}

/// Recovery and write-off tables and charts.
fn write_recovery_outputs(
    dir: &Path,
    meta: &charts::ChartMeta,
    summary: &RunSummary,
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
    let months: Vec<u32> = curve.iter().map(|r| r.months_since_default).collect();
    let pick = |f: fn(&crate::metrics::stats::Estimate) -> f64| {
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
            Some((
                name,
                points.iter().map(|p| at(p, |e| e.mean)).collect(),
                points.iter().map(|p| at(p, |e| e.se)).collect(),
            ))
        })
        .collect();
    charts::disposition_values(&dir.join("disposition_values"), meta, &points, &series)?;
    if let Some(buyer) = &study.buyer {
        table(dir, "buyer_pricing", tables::buyer_frame(&d.buyer))?;
        table(
            dir,
            "buyer_price_curve",
            tables::price_curve_frame(&d.price_curve),
        )?;
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
