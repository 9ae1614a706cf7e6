//! The calibration report: everything `arrears calibrate` writes beside the scenario it
//! estimated, for the analyst who has to trust (or reject) the numbers.
//!
//! - tables (CSV and Parquet, like every table of [`crate::report`]): `transitions`,
//!   `state_shares`, `data_quality`, `homogeneity_tests`, `recovery_curve`,
//!   `charge_off_timing`;
//! - `calibration.json`: the facts a pipeline checks (data and mapping hashes, method, warnings,
//!   tests, recovery and timing summaries, the starting book);
//! - charts (PNG and SVG, the theme of [`super::charts`]): a heatmap of each segment's base
//!   matrix, observed against fitted state shares, the recovery curve after charge-off;
//! - `report.md`: the same findings as prose and tables, with a one-line reading of each test.
//!
//! This module only presents [`Calibration`]; it estimates nothing. Readings ("one matrix is
//! enough", "within 2 standard errors") are small pure functions with unit tests, so the words
//! and the numbers cannot drift apart.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::ReportError;
use super::charts::Header;
use super::charts::heatmap::{self, Heatmap, HeatmapCell, HeatmapRow};
use super::charts::line::{Axis, Bars, Fit, Line, LineChart, Markers, Scale};
use super::charts::theme::{self, Marker, Stroke};
use super::document::{Block, Document, Table};
use super::format::{
    count_of, format_count as count, format_p, group_thousands, matrix_cell, month_name,
    percent_level, period, share as percent,
};
use super::table;
use crate::calibrate::Calibration;
use crate::calibrate::estimate::{
    HomogeneityTest, MatrixEstimate, RecoveryEstimate, RowEstimate, RowSource, SegmentEstimate,
    ShareRow,
};
use crate::calibrate::mapping::{Fallback, Method};
use crate::model::{StateId, StateKind, StateSpace};
use crate::results::calibration_file::{calibration_json, method_name, state_share};
use crate::results::calibration_rows::{
    ChargeOffTimingRow, QualityRow, RecoveryCurveRow, TransitionRow, charge_off_timing_rows,
    cumulative, quality_rows, recovery_curve_rows, shown_rows, transition_rows,
};
use crate::results::table::Table as _;
use crate::scenario::prettify_state;

/// Below this p-value a homogeneity test reads as "the rates differ": the conventional 5%
/// level. The report prints the p-value, so a reader who wants another level can apply it.
const SIGNIFICANCE: f64 = 0.05;

/// An observed share further than this many standard errors from the fitted one is a gap the
/// matrix does not explain (about the two-sided 95% band of a normal approximation).
const GAP_STANDARD_ERRORS: f64 = 2.0;

/// The recovery summary quotes the cumulative share after this many months: a year is the
/// horizon collection plans and debt-sale offers are usually compared on.
const RECOVERY_SUMMARY_MONTHS: usize = 12;

/// Implied and observed mean months to charge-off closer than this read as agreeing: both are
/// whole-month counts, so a month is the resolution of the data.
const TIMING_TOLERANCE_MONTHS: f64 = 1.0;

/// Writes the calibration report into `dir` (which exists and holds `scenario.toml`): tables,
/// `calibration.json`, charts and `report.md`. The caller renames `dir` into place; when `dir`
/// is named like a temporary result folder (`.NAME.tmp-PID`, see
/// [`super::write_atomically`]), the report's commands name the final folder `NAME`.
pub fn write_calibration_report(cal: &Calibration, dir: &Path) -> Result<(), ReportError> {
    let mut tables = write_tables(cal, dir)?;
    // Written beside the report by the caller when the method has calendar blocks.
    if dir.join("transitions_by_calendar_block.csv").is_file() {
        tables.push("transitions_by_calendar_block");
    }
    let json_path = dir.join("calibration.json");
    std::fs::write(&json_path, calibration_json(cal, homogeneity_reading))
        .map_err(|e| ReportError::io(&json_path, e))?;
    let mut written = write_charts(cal, dir)?;
    written.tables = tables;
    let doc = document(cal, &final_dir(dir), &written);
    super::run_report::write_document(dir, &doc).map(|_| ())
}

/// The folder `dir` becomes once renamed: `.NAME.tmp-PID` -> `NAME`, anything else as is.
fn final_dir(dir: &Path) -> PathBuf {
    if let Some(name) = dir.file_name().and_then(|n| n.to_str())
        && let Some(rest) = name.strip_prefix('.')
        && let Some((stem, pid)) = rest.rsplit_once(".tmp-")
        && !stem.is_empty()
        && !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
    {
        return dir.with_file_name(stem);
    }
    dir.to_path_buf()
}

// ---------------------------------------------------------------------------------------------
// Tables

/// Writes the tables; returns their stems.
fn write_tables(cal: &Calibration, dir: &Path) -> Result<Vec<&'static str>, ReportError> {
    let mut stems = vec![
        TransitionRow::STEM,
        ShareRow::STEM,
        QualityRow::STEM,
        HomogeneityTest::STEM,
    ];
    table(dir, &transition_rows(cal))?;
    table(dir, &cal.shares)?;
    table(dir, &quality_rows(cal))?;
    table(dir, &cal.tests)?;
    if let Some(rows) = recovery_curve_rows(cal) {
        table(dir, &rows)?;
        stems.push(RecoveryCurveRow::STEM);
    }
    if let Some(rows) = charge_off_timing_rows(cal) {
        table(dir, &rows)?;
        stems.push(ChargeOffTimingRow::STEM);
    }
    Ok(stems)
}

// ---------------------------------------------------------------------------------------------
// Readings

/// What a homogeneity test says, in one line.
fn homogeneity_reading(t: &HomogeneityTest) -> String {
    let bands = t.grouping.contains("month-on-book");
    if t.df <= 0.0 || t.groups < 2 || !t.p_value.is_finite() {
        return "not testable: no state has loans at risk in two groups".to_string();
    }
    let p = format_p(t.p_value);
    match (t.p_value < SIGNIFICANCE, bands) {
        (false, false) => format!("{p}: one matrix is enough"),
        (false, true) => format!(
            "{p}: no evidence that rates differ by months on book; one matrix is enough (the bands could go)"
        ),
        (true, true) => format!("{p}: transition rates differ by months on book; keep the bands"),
        (true, false) => format!(
            "{p}: transition rates differ by calendar block; consider calibrating on the most recent blocks only, or a stress set around this matrix"
        ),
    }
}

/// The largest distance between an observed and a fitted share.
#[derive(Debug, Clone, PartialEq)]
struct Gap {
    state: String,
    month_label: String,
    observed: f64,
    fitted: f64,
    /// Standard error of `observed`.
    se: f64,
}

/// Whether a gap is within [`GAP_STANDARD_ERRORS`] standard errors of the observed share.
fn gap_within(g: &Gap) -> bool {
    let gap = (g.observed - g.fitted).abs();
    gap <= GAP_STANDARD_ERRORS * g.se || gap < 1e-12
}

/// One sentence on the largest gap between observed and fitted shares.
fn gap_reading(gap: Option<&Gap>) -> String {
    let Some(g) = gap else {
        return "No month has both an observed and a fitted share to compare.".to_string();
    };
    let diff = g.observed - g.fitted;
    if diff.abs() < 5e-5 {
        return "Observed and fitted shares agree to within 0.01 percentage points in every month."
            .to_string();
    }
    let pp = format!(
        "{} percentage points",
        group_thousands(diff.abs() * 100.0, 1)
    );
    let ses = if g.se > 0.0 {
        format!(
            ", {} standard errors of the observed share",
            group_thousands(diff.abs() / g.se, 1)
        )
    } else {
        String::new()
    };
    let verdict = if gap_within(g) {
        "within 2 standard errors, so the fitted matrix reproduces the history as well as the data can tell"
            .to_string()
    } else {
        "more than 2 standard errors: the fitted matrix does not reproduce this part of the history (see the homogeneity tests; month-on-book bands or a shorter history may help)"
            .to_string()
    };
    format!(
        "The largest gap is in `{}` in {}: observed {}, fitted {}, {} {}{ses}: {verdict}.",
        g.state,
        month_name(&g.month_label),
        percent(g.observed),
        percent(g.fitted),
        if diff > 0.0 { "higher by" } else { "lower by" },
        pp,
    )
}

/// How the implied mean time to charge-off compares with the observed one.
fn timing_reading(observed: f64, implied: Option<f64>) -> String {
    let Some(implied) = implied.filter(|x| x.is_finite()) else {
        return "the matrix never charges off from the first bucket".to_string();
    };
    let diff = implied - observed;
    let months = group_thousands(implied, 1);
    if diff.abs() <= TIMING_TOLERANCE_MONTHS {
        format!("{months} months, close to the history")
    } else {
        format!(
            "{months} months, {} months {} than the history",
            group_thousands(diff.abs(), 1),
            if diff > 0.0 { "slower" } else { "faster" }
        )
    }
}

/// The segment whose shares the chart and the gap reading show: `all` if present, else the
/// first.
fn shares_segment(shares: &[ShareRow]) -> Option<&str> {
    shares
        .iter()
        .find(|r| r.segment == "all")
        .or_else(|| shares.first())
        .map(|r| r.segment.as_str())
}

/// Observed and fitted shares of one group of states over the months.
#[derive(Debug, Clone)]
struct ShareSeries {
    name: &'static str,
    observed: Vec<f64>,
    se: Vec<f64>,
    fitted: Vec<f64>,
}

/// `current`, `delinquent` (every bucket summed), `paid_off` and `charged_off` for one segment,
/// indexed by month; and the month labels.
fn grouped_shares(
    shares: &[ShareRow],
    segment: &str,
    space: &StateSpace,
) -> (Vec<String>, Vec<ShareSeries>) {
    let rows: Vec<&ShareRow> = shares.iter().filter(|r| r.segment == segment).collect();
    let months = rows.iter().map(|r| r.month as usize + 1).max().unwrap_or(0);
    let mut labels = vec![String::new(); months];
    let mut known = vec![0u64; months];
    let groups: [&'static str; 4] = ["current", "delinquent", "paid_off", "charged_off"];
    let group_of = |state: &str| -> Option<usize> {
        let id = space.id(state)?;
        match space.kind(id) {
            StateKind::Current => Some(0),
            StateKind::Delinquent { .. } => Some(1),
            StateKind::PaidOff => Some(2),
            StateKind::ChargedOff => Some(3),
            StateKind::Sold => None,
        }
    };
    let mut observed = vec![vec![0.0; months]; 4];
    let mut fitted = vec![vec![0.0; months]; 4];
    for r in &rows {
        let t = r.month as usize;
        labels[t] = r.month_label.clone();
        known[t] = r.loans_known;
        if let Some(g) = group_of(&r.state) {
            // NaN (nobody known, or an empty cohort) propagates, and the line breaks there.
            observed[g][t] += r.observed;
            fitted[g][t] += r.fitted;
        }
    }
    let series = groups
        .iter()
        .enumerate()
        .map(|(g, &name)| ShareSeries {
            name,
            se: observed[g]
                .iter()
                .zip(&known)
                .map(|(&p, &n)| {
                    if n > 0 && p.is_finite() {
                        (p * (1.0 - p) / n as f64).max(0.0).sqrt()
                    } else {
                        f64::NAN
                    }
                })
                .collect(),
            observed: observed[g].clone(),
            fitted: fitted[g].clone(),
        })
        .collect();
    (labels, series)
}

/// The largest |observed - fitted| over the series and months where both are known.
fn largest_gap(labels: &[String], series: &[ShareSeries]) -> Option<Gap> {
    let mut best: Option<(f64, Gap)> = None;
    for s in series {
        for t in 0..s.observed.len() {
            let (o, f) = (s.observed[t], s.fitted[t]);
            if !(o.is_finite() && f.is_finite()) {
                continue;
            }
            let d = (o - f).abs();
            if best.as_ref().is_none_or(|(b, _)| d > *b) {
                best = Some((
                    d,
                    Gap {
                        state: s.name.to_string(),
                        month_label: labels.get(t).cloned().unwrap_or_default(),
                        observed: o,
                        fitted: f,
                        se: s.se[t],
                    },
                ));
            }
        }
    }
    best.map(|(_, g)| g)
}

// ---------------------------------------------------------------------------------------------
// Charts

/// Which tables and charts were written, for the Markdown report to name and link.
#[derive(Debug, Default)]
struct Written {
    tables: Vec<&'static str>,
    /// (segment, file stem) of each heatmap.
    heatmaps: Vec<(String, String)>,
    shares: bool,
    recovery: bool,
}

fn write_charts(cal: &Calibration, dir: &Path) -> Result<Written, ReportError> {
    let footnote = footnote(cal);
    let mut written = Written::default();
    for seg in &cal.segments {
        let stem = format!("transition_heatmap_{}", seg.name);
        let chart = heatmap_chart(cal, seg, &footnote);
        heatmap::transition_heatmap(&dir.join(&stem), &chart).map_err(ReportError::Chart)?;
        written.heatmaps.push((seg.name.clone(), stem));
    }
    if let Some(segment) = shares_segment(&cal.shares) {
        shares_chart(cal, segment, &footnote).write(&dir.join("state_shares"))?;
        written.shares = true;
    }
    if let Some(r) = &cal.recovery
        && !r.curve.is_empty()
    {
        recovery_chart(r, &footnote).write(&dir.join("recovery_curve"))?;
        written.recovery = true;
    }
    Ok(written)
}

/// `panel.csv · SHA-256 1a2b3c4d5e6f · 5,000 loans · arrears calibrate`.
fn footnote(cal: &Calibration) -> String {
    let file = cal.data.path.file_name().map_or_else(
        || cal.data.path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let hash: String = cal.data.sha256.chars().take(12).collect();
    format!(
        "{file} · SHA-256 {hash} · {} · arrears calibrate",
        count_of(cal.data.loans, "loan")
    )
}

/// Destinations shown: every state but `sold` (never reached through a matrix) and the trigger
/// buckets (entering one is a charge-off, counted in `charged_off`).
fn destination_states(cal: &Calibration) -> Vec<StateId> {
    let space = &cal.mapping.space;
    (0..space.len() as StateId)
        .filter(|&id| id != space.sold() && !cal.mapping.charge_off_on_entering.contains(&id))
        .collect()
}

/// `loan-months` or, for the duration method, `months of exposure`.
fn at_risk_unit(cal: &Calibration) -> &'static str {
    match cal.mapping.estimate.method {
        Method::Cohort => "loan-months at risk",
        Method::Duration => "months of exposure",
    }
}

fn at_risk_text(cal: &Calibration, at_risk: f64) -> String {
    match cal.mapping.estimate.method {
        Method::Cohort => count(at_risk.round() as u64),
        Method::Duration => group_thousands(at_risk, 1),
    }
}

/// The heatmap of a segment's base matrix: each row with what it rests on, each cell with the
/// probability and, below it, the moves observed.
fn heatmap_chart(cal: &Calibration, seg: &SegmentEstimate, footnote: &str) -> Heatmap {
    let space = &cal.mapping.space;
    let columns = destination_states(cal);
    let base = seg.matrices.first();
    let base_rows: &[RowEstimate] = base.map_or(&[], |m| &m.rows);
    let total: f64 = base_rows.iter().map(|r| r.at_risk).sum();
    let rows = base_rows
        .iter()
        .map(|r| {
            let at_risk = format!("{} at risk", at_risk_text(cal, r.at_risk));
            let detail = match r.source {
                RowSource::Data | RowSource::Base => at_risk,
                RowSource::Pooled => format!("{at_risk} · pooled"),
                RowSource::NoData => "no data: rolls on".to_string(),
            };
            HeatmapRow {
                name: prettify_state(space.name(r.from)),
                detail,
            }
        })
        .collect();
    let cells = base_rows
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|&j| {
                    let p = r.probability.get(j as usize).copied().unwrap_or(0.0);
                    let n = r.counts.get(j as usize).copied().unwrap_or(0.0);
                    // A move that is impossible and never seen stays blank.
                    let blank = p == 0.0 && n == 0.0;
                    HeatmapCell {
                        probability: p,
                        text: if blank { String::new() } else { percent(p) },
                        detail: group_thousands(n, 0),
                    }
                })
                .collect()
        })
        .collect();
    let months = if cal.mapping.estimate.months_on_book.is_empty() {
        String::new()
    } else {
        " · months on book outside the bands".to_string()
    };
    Heatmap {
        header: Header {
            title: format!("Monthly transition matrix: {}", seg.name),
            subtitle: format!(
                "{} {}, {} ({} method){months}",
                group_thousands(total, 0),
                at_risk_unit(cal),
                period(&cal.data.first_month, &cal.data.last_month),
                method_name(cal.mapping.estimate.method),
            ),
            footnote: footnote.to_string(),
        },
        rows,
        columns: columns
            .iter()
            .map(|&j| prettify_state(space.name(j)))
            .collect(),
        cells,
        notes: [
            "Square-root scale, so small roll rates show",
            "",
            "Cell: probability of the move; below it, the moves observed",
            "",
            "Each row sums to 100%",
        ]
        .map(String::from)
        .to_vec(),
        axes: super::charts::heatmap::HeatmapAxes::transitions(),
    }
}

/// Line colours of the grouped states: the theme's state colours, with `charged_off` a darker
/// grey than its area fill so a 3-pixel line stays visible on white.
fn share_colour(name: &str) -> theme::RGBColor {
    match name {
        "current" => theme::OI_BLUE,
        "delinquent" => theme::OI_VERMILLION,
        "paid_off" => theme::OI_GREEN,
        _ => theme::SOLD_GREY,
    }
}

/// Observed shares (with ±2 SE bands and markers) against fitted ones (dashed), by month.
fn shares_chart(cal: &Calibration, segment: &str, footnote: &str) -> LineChart {
    let (labels, series) = grouped_shares(&cal.shares, segment, &cal.mapping.space);
    let xs: Vec<f64> = (0..labels.len()).map(|t| t as f64).collect();
    let every = if xs.len() <= 60 {
        Markers::Every(Marker::Circle)
    } else {
        Markers::None
    };
    let mut lines = Vec::new();
    for s in &series {
        let colour = share_colour(s.name);
        let edge = |k: f64| -> Vec<f64> {
            let bands = s.observed.iter().zip(&s.se);
            bands
                .map(|(o, se)| (o + k * GAP_STANDARD_ERRORS * se).clamp(0.0, 1.0))
                .collect()
        };
        let name = prettify_state(s.name);
        lines.push(
            Line::new(&name, colour, &xs, &s.observed)
                .band(&xs, &edge(-1.0), &edge(1.0))
                .markers(every),
        );
        lines.push(Line::new("", colour, &xs, &s.fitted).stroke(Stroke::Dashed));
    }
    let mut notes = vec![
        "Dots: observed, band ±2 SE".to_string(),
        "Dashed: fitted".to_string(),
    ];
    if let Some(g) = largest_gap(&labels, &series) {
        let within = if gap_within(&g) {
            "within 2 SE"
        } else {
            "beyond 2 SE"
        };
        let pp = group_thousands((g.observed - g.fitted).abs() * 100.0, 1);
        notes.extend([
            String::new(),
            format!("Largest gap: {pp} pp"),
            format!("{}, {}", g.state, month_name(&g.month_label)),
            within.to_string(),
        ]);
    }
    let cohort = cal
        .shares
        .iter()
        .find(|r| r.segment == segment && r.month == 0)
        .map_or(0, |r| r.loans_known);
    let who = if segment == "all" {
        String::new()
    } else {
        format!(" in segment `{segment}`")
    };
    let header = Header {
        title: "Observed against fitted state shares".to_string(),
        subtitle: format!(
            "The {} loans on book{who} in {}: observed share in each state (±2 SE), and as the fitted matrices project",
            count(cohort),
            month_name(&cal.data.first_month)
        ),
        footnote: footnote.to_string(),
    };
    let x = Axis::new(
        "Month",
        Scale::Labels(labels),
        Fit::Steps {
            start: Some(0.0),
            pad: 0.0,
        },
    );
    LineChart {
        legend: "State".into(),
        notes,
        ..LineChart::new(
            header,
            x,
            Axis::values("Share of the first month's loans", Scale::Percent, 0.02),
            lines,
        )
    }
}

/// The cumulative share of the charged-off balance recovered (a line from month 0), over the
/// share recovered in each month (bars).
fn recovery_chart(r: &RecoveryEstimate, footnote: &str) -> LineChart {
    let cumulative = cumulative(&r.curve);
    let months: Vec<f64> = (0..=r.curve.len()).map(|m| m as f64).collect();
    let line: Vec<f64> = std::iter::once(0.0)
        .chain(cumulative.iter().copied())
        .collect();
    let mut notes = vec![format!(
        "Payers: {} of {} followed over the curve",
        percent(r.payment_probability),
        count_of(r.accounts_full, "account")
    )];
    if let Some(c) = cumulative.get(RECOVERY_SUMMARY_MONTHS - 1) {
        notes.push(format!("{RECOVERY_SUMMARY_MONTHS} months: {}", percent(*c)));
    }
    if let Some(c) = cumulative.last() {
        notes.push(format!("{} months: {}", cumulative.len(), percent(*c)));
    }
    let header = Header {
        title: "Recovery after charge-off".to_string(),
        subtitle: format!(
            "Share of the charged-off balance recovered, by month after charge-off ({}, balance {})",
            count_of(r.charged_off_accounts, "account"),
            group_thousands(r.charged_off_balance, 0)
        ),
        footnote: footnote.to_string(),
    };
    LineChart {
        bars: vec![Bars {
            label: "Share in the month".into(),
            colour: theme::OI_SKY_BLUE,
            width: 0.72,
            points: months[1..]
                .iter()
                .copied()
                .zip(r.curve.iter().copied())
                .collect(),
        }],
        legend: "Of charged-off balance".into(),
        notes,
        ..LineChart::new(
            header,
            Axis::months("Months after charge-off", Some(0.0), 0.5),
            Axis::values("Share of charged-off balance", Scale::Percent, 0.08),
            vec![Line::new(
                "Cumulative share",
                theme::OI_BLUE,
                &months,
                &line,
            )],
        )
    }
}

// ---------------------------------------------------------------------------------------------
// The report, as a `Document`: `report.html` and `report.md`

/// A path for a shell command, quoted when it holds spaces.
fn shell_path(path: &Path) -> String {
    let text = path.display().to_string();
    if text.contains(char::is_whitespace) {
        format!("'{text}'")
    } else {
        text
    }
}

/// The calibration report: data, method, quality, matrices with their charts, tests, fit,
/// recovery, timing, starting book and how to run the scenario. `dir` is the final folder.
fn document(cal: &Calibration, dir: &Path, written: &Written) -> Document {
    let options = &cal.mapping.estimate;
    let d = &cal.data;
    let mut b = vec![Block::Paragraph(format!(
        "Transition matrices, recovery curve and starting book estimated by `arrears calibrate` {} from a loan performance history. The scenario is `scenario.toml` in this folder.",
        env!("CARGO_PKG_VERSION")
    ))];

    b.push(Block::heading("data", "Data"));
    b.push(Block::KeyValues(vec![
        (
            "Performance history".into(),
            format!("`{}`", d.path.display()),
        ),
        ("SHA-256".into(), format!("`{}`", d.sha256)),
        (
            "Rows".into(),
            format!("{} read, {} used", count(d.rows_read), count(d.rows_used)),
        ),
        ("Loans".into(), count(d.loans)),
        (
            "Period".into(),
            format!(
                "{} ({})",
                period(&d.first_month, &d.last_month),
                count_of(u64::from(d.months), "month")
            ),
        ),
        (
            "Starting book taken from".into(),
            month_name(&d.start_month),
        ),
        (
            "Calibration file".into(),
            format!(
                "`{}` (SHA-256 `{}`)",
                cal.mapping.file.display(),
                cal.mapping.sha256
            ),
        ),
    ]));

    b.push(Block::heading("method", "Method"));
    b.push(Block::Paragraph(method_paragraph(cal)));

    b.push(Block::heading("quality", "Data quality"));
    if cal.quality.is_empty() {
        b.push(Block::Paragraph("No problems found in the history.".into()));
    } else {
        let rows = (cal.quality.iter())
            .map(|q| {
                let example = q.example.clone().unwrap_or_default();
                vec![q.what.into(), count(q.count), example, q.handling.into()]
            })
            .collect();
        let header = ["Issue", "Count", "Example", "Handling"];
        b.push(Block::Table(
            Table::new(header, rows)
                .numeric(&[false, true, false, false])
                .files(["data_quality.csv"]),
        ));
    }

    b.push(Block::heading("warnings", "Warnings"));
    if cal.warnings.is_empty() {
        b.push(Block::Paragraph("None.".into()));
    } else {
        b.push(Block::Bullets(
            cal.warnings.iter().map(|w| w.replace('\n', " ")).collect(),
        ));
    }

    b.push(Block::heading("matrices", "Transition matrices"));
    b.push(Block::Paragraph(format!(
        "Each cell is the monthly probability of moving from the row's state to the column's, with its {} interval in brackets; `0` marks a move never seen (taken as impossible). At risk is the {} behind the row.",
        percent_level(options.confidence),
        at_risk_unit(cal)
    )));
    let columns = destination_states(cal);
    for seg in &cal.segments {
        b.push(Block::Subheading(format!("Segment `{}`", seg.name)));
        for (m, matrix) in seg.matrices.iter().enumerate() {
            if m > 0 {
                let (lo, hi) = matrix.months_on_book.unwrap_or((0, 0));
                b.push(Block::Subheading(format!("Months on book {lo}–{hi}")));
                if shown_rows(matrix).next().is_none() {
                    let none = "No loan at risk in this band: the base matrix applies.";
                    b.push(Block::Paragraph(none.into()));
                    continue;
                }
            } else if seg.matrices.len() > 1 {
                let base = "Base matrix (months on book outside the bands):";
                b.push(Block::Paragraph(base.into()));
            }
            let (table, notes) = matrix_table(cal, matrix, &columns);
            b.push(Block::Table(table));
            b.extend(notes.into_iter().map(Block::Paragraph));
            if m == 0
                && let Some((_, stem)) = written.heatmaps.iter().find(|(s, _)| *s == seg.name)
            {
                b.push(Block::chart(
                    stem,
                    &format!("Monthly transition matrix: {}", seg.name),
                    "Each cell holds the probability of the move and, below it, the moves observed; the table above gives the intervals.".into(),
                    &["transitions.csv"],
                ));
            }
        }
    }

    b.push(Block::heading("tests", "Is one matrix enough?"));
    if cal.tests.is_empty() {
        b.push(Block::Paragraph(format!(
            "No test was run: {}.",
            match options.method {
                Method::Duration => "the duration method has no homogeneity test",
                Method::Cohort =>
                    "the history fits in one calendar block and there are no month-on-book bands",
            }
        )));
    } else {
        b.push(Block::Paragraph("Likelihood-ratio (G) tests of one matrix against one per group (Anderson and Goodman, 1957): a small p-value says the groups' transition rates differ by more than chance.".into()));
        let rows = (cal.tests.iter())
            .map(|t| {
                let p = format_p(t.p_value);
                vec![
                    format!("`{}`", t.segment),
                    format!("{} {}", t.groups, t.grouping),
                    group_thousands(t.statistic, 1),
                    group_thousands(t.df, 0),
                    p.trim_start_matches("p ").trim_start_matches("= ").into(),
                    homogeneity_reading(t),
                ]
            })
            .collect();
        let header = ["Segment", "Groups", "G", "df", "p-value", "Reading"];
        b.push(Block::Table(
            Table::new(header, rows)
                .numeric(&[false, false, true, true, true, false])
                .files(["homogeneity_tests.csv"]),
        ));
    }

    b.push(Block::heading("fit", "Observed against fitted"));
    match shares_segment(&cal.shares) {
        Some(segment) => {
            let (labels, series) = grouped_shares(&cal.shares, segment, &cal.mapping.space);
            let whose = if segment == "all" {
                "all segments".to_string()
            } else {
                format!("segment `{segment}`")
            };
            b.push(Block::Paragraph(format!(
                "The loans on book in {} ({whose}), followed through the history, against the fitted matrices applied to the same loans. Delinquency buckets are summed as delinquent; `state_shares.csv` has every state and segment.",
                month_name(&d.first_month)
            )));
            let reading = gap_reading(largest_gap(&labels, &series).as_ref());
            if written.shares {
                let title = "Observed against fitted state shares";
                b.push(Block::chart(
                    "state_shares",
                    title,
                    reading,
                    &["state_shares.csv"],
                ));
            } else {
                b.push(Block::Paragraph(reading));
            }
        }
        None => b.push(Block::Paragraph(
            "No loan is on book in the first month, so there is nothing to compare.".into(),
        )),
    }

    b.push(Block::heading("recovery", "Recovery after charge-off"));
    match &cal.recovery {
        Some(r) if written.recovery => b.push(Block::chart(
            "recovery_curve",
            "Recovery after charge-off",
            recovery_paragraph(r),
            &["recovery_curve.csv"],
        )),
        Some(r) => b.push(Block::Paragraph(recovery_paragraph(r))),
        None => b.push(Block::Paragraph("No recovery curve: the history has no recovery amounts, or no account is followed after charge-off (see the warnings). The scenario has no `[recovery]`.".into())),
    }

    b.push(Block::heading("timing", "Charge-off timing"));
    match &cal.charge_off_timing {
        Some(t) => {
            let accounts: u64 = t.histogram.iter().sum();
            b.push(Block::Paragraph(format!(
                "Months from the first missed payment to charge-off (the first delinquent month counts as month 1), over the {} whose whole episode is in the history: mean {}, median {}. What the fitted base matrices imply (expected months from entering the first bucket to charge-off, given charge-off without a cure in between, on the same convention):",
                count_of(accounts, "account"),
                group_thousands(t.mean, 1),
                group_thousands(t.median, 0)
            )));
            b.push(Block::Bullets(
                t.implied_mean
                    .iter()
                    .map(|(segment, implied)| {
                        format!("`{segment}`: {}", timing_reading(t.mean, *implied))
                    })
                    .collect(),
            ));
        }
        None => b.push(Block::Paragraph(
            "No account goes from current to charged off within the history.".into(),
        )),
    }

    b.push(Block::heading("book", "Starting book"));
    b.push(Block::Paragraph(format!(
        "The loans on book in {}, which the scenario's synthetic book reproduces segment by segment.",
        month_name(&cal.data.start_month)
    )));
    b.push(Block::Table(book_table(cal)));

    b.push(Block::heading("run", "How to run"));
    let scenario = shell_path(&dir.join("scenario.toml"));
    b.push(Block::Code {
        language: "sh".into(),
        text: format!("arrears run {scenario}\narrears run {scenario} --posterior\n"),
    });
    b.push(Block::Paragraph("The first runs the point estimates. With `--posterior` each path draws its transition matrices from the estimation posterior, so the spread of the results includes the uncertainty of the estimates, not only the randomness of the loans.".into()));
    let tables: Vec<String> = written.tables.iter().map(|t| format!("`{t}`")).collect();
    b.push(Block::Paragraph(format!(
        "Tables (CSV and Parquet): {}. The same facts for programs: `calibration.json`.",
        tables.join(", ")
    )));
    Document {
        title: format!("Calibration report: `{}`", cal.mapping.scenario.name),
        subtitle: format!(
            "{} loans, {}; {} method",
            count(d.loans),
            period(&d.first_month, &d.last_month),
            method_name(options.method)
        ),
        blocks: b,
        footer: format!(
            "Written by arrears {} beside the scenario it estimated.",
            env!("CARGO_PKG_VERSION")
        ),
    }
}

fn method_paragraph(cal: &Calibration) -> String {
    let o = &cal.mapping.estimate;
    let level = percent_level(o.confidence);
    let mut text = match o.method {
        Method::Cohort => format!(
            "Cohort method. For every pair of a loan's rows in consecutive months, with the loan on book in the first, one move is counted from its state to the next month's. A transition probability is the number of moves from state i to j over the loans at risk in i (n_ij / n_i). Each row's posterior is a Dirichlet distribution with the counts plus ½ for every move seen anywhere in the data from that state (moves never seen are taken as impossible); the intervals are the posterior's Beta marginals, equal-tailed at {level}."
        ),
        Method::Duration => format!(
            "Duration method. Transition intensities are the moves from state i to j over the months spent in i, timed by the exact status dates; a month's matrix is the matrix exponential of these intensities. The intervals are the {level} equal-tailed quantiles of {} posterior draws (Gamma posteriors of the intensities, each exponentiated).",
            count(u64::from(o.posterior_draws))
        ),
    };
    let unit = match o.method {
        Method::Cohort => "loans at risk",
        Method::Duration => "months of exposure",
    };
    match o.fallback {
        Fallback::Pool => {
            let _ = write!(
                text,
                " Rows with fewer than {} {unit} are sparse: they are shrunk toward the same row pooled over segments, worth {} pseudo-loans, and their estimate is the posterior mean.",
                count(o.min_loans),
                count(o.min_loans)
            );
        }
        Fallback::None => {
            let _ = write!(
                text,
                " Rows with fewer than {} {unit} are sparse and keep their own data only (`fallback = \"none\"`).",
                count(o.min_loans)
            );
        }
    }
    text.push_str(
        " A row with no data at all rolls every loan to the next bucket with certainty; each such row is listed under the warnings.",
    );
    if !o.months_on_book.is_empty() {
        let bands: Vec<String> = o
            .months_on_book
            .iter()
            .map(|&(lo, hi)| format!("{lo}–{hi}"))
            .collect();
        let _ = write!(
            text,
            " Loans {} months on book have matrices of their own; a band row without data uses the base matrix's row.",
            bands.join(", ")
        );
    }
    text
}

/// A matrix as a table (`12.3% [11.8–12.9]` per cell), and notes on rows that are pooled or
/// have no data.
fn matrix_table(
    cal: &Calibration,
    matrix: &MatrixEstimate,
    columns: &[StateId],
) -> (Table, Vec<String>) {
    let space = &cal.mapping.space;
    let mut header = vec!["From".to_string(), "At risk".to_string()];
    header.extend(columns.iter().map(|&j| format!("`{}`", space.name(j))));
    let mut notes = Vec::new();
    let rows = shown_rows(matrix)
        .map(|row| {
            let tag = match row.source {
                RowSource::Data | RowSource::Base => "",
                RowSource::Pooled => {
                    notes.push("pooled: fewer loans at risk than `min_loans`; shrunk toward the row pooled over segments.".to_string());
                    " (pooled)"
                }
                RowSource::NoData => {
                    notes.push("no data: never observed; every loan rolls to the next bucket.".to_string());
                    " (no data)"
                }
            };
            let mut cells = vec![
                format!("`{}`{tag}", space.name(row.from)),
                at_risk_text(cal, row.at_risk),
            ];
            cells.extend(columns.iter().map(|&j| {
                let at = |v: &[f64]| v.get(j as usize).copied().unwrap_or(0.0);
                matrix_cell(at(&row.probability), at(&row.lower), at(&row.upper))
            }));
            cells
        })
        .collect();
    notes.dedup();
    (Table::new(header, rows).numeric_from(1), notes)
}

fn recovery_paragraph(r: &RecoveryEstimate) -> String {
    let cumulative = cumulative(&r.curve);
    let months = cumulative.len();
    let at_summary = match cumulative.get(RECOVERY_SUMMARY_MONTHS - 1) {
        Some(c) => format!(
            "after {RECOVERY_SUMMARY_MONTHS} months {} of the charged-off balance is recovered",
            percent(*c)
        ),
        None => format!(
            "the curve is shorter than {RECOVERY_SUMMARY_MONTHS} months, so there is no {RECOVERY_SUMMARY_MONTHS}-month figure"
        ),
    };
    let total = cumulative.last().copied().unwrap_or(0.0);
    format!(
        "{} of the {} followed over the whole curve paid something (the payer share). The curve runs {} (it stops where fewer than `min_loans` accounts are still observed); {at_summary}, and {} by month {months}. In all, {} was recovered on {} charged off ({}).",
        percent(r.payment_probability),
        count_of(r.accounts_full, "charged-off account"),
        count_of(months as u64, "month"),
        percent(total),
        group_thousands(r.recovered, 0),
        group_thousands(r.charged_off_balance, 0),
        count_of(r.charged_off_accounts, "account"),
    )
}

/// The starting book by segment: loans, balances, months on book and each state's share.
fn book_table(cal: &Calibration) -> Table {
    let space = &cal.mapping.space;
    let states: Vec<StateId> = space
        .on_book()
        .filter(|id| !cal.mapping.charge_off_on_entering.contains(id))
        .collect();
    let mut header: Vec<String> = [
        "Segment",
        "Loans",
        "Mean balance",
        "Balance SD",
        "Months on book",
    ]
    .map(String::from)
    .to_vec();
    header.extend(states.iter().map(|&id| format!("`{}`", space.name(id))));
    let rows = cal
        .book
        .iter()
        .map(|b| {
            let mut row = vec![
                format!("`{}`", b.segment),
                count(b.loans),
                group_thousands(b.balance_mean, 2),
                group_thousands(b.balance_sd, 2),
                format!("{}–{}", b.months_on_book.0, b.months_on_book.1),
            ];
            row.extend(states.iter().map(|&id| match state_share(&b.states, id) {
                0.0 => "0".to_string(),
                share => percent(share),
            }));
            row
        })
        .collect();
    Table::new(header, rows).numeric_from(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPPING: &str = r#"
version = 1

[panel]
path = "panel.csv"

[states]
buckets = [
  { name = "dpd_1_30",  min_dpd = 1,  max_dpd = 30 },
  { name = "dpd_31_60", min_dpd = 31, max_dpd = 60 },
  { name = "dpd_61_90", min_dpd = 61, max_dpd = 90 },
]

[status]
codes = { "0" = "current", "1" = "dpd_1_30", "2" = "dpd_31_60", "3" = "dpd_61_90", "C" = "paid_off", "W" = "charged_off" }

[estimate]
calendar_block_months = 6
recovery_months = 6
min_loans = 5

[scenario]
name = "unit"
apr = 0.2
term_months = 24
"#;

    /// A uniform in [0, 1) from a key: SplitMix64's finaliser, a hash rather than a random
    /// stream, so the panel is the same on every machine.
    fn uniform(key: u64) -> f64 {
        let mut z = key.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as f64 / 2f64.powi(64)
    }

    /// A small two-segment panel over 18 index months, calibrated for real: tests then change
    /// the parts they are about.
    fn calibration(dir: &Path) -> Calibration {
        // Rows: current, dpd_1_30, dpd_31_60, dpd_61_90; columns add paid_off, charged_off.
        let matrix = [
            [0.90, 0.06, 0.00, 0.00, 0.04, 0.00],
            [0.45, 0.20, 0.35, 0.00, 0.00, 0.00],
            [0.25, 0.00, 0.25, 0.50, 0.00, 0.00],
            [0.10, 0.00, 0.00, 0.20, 0.00, 0.70],
        ];
        let codes = ["0", "1", "2", "3", "C", "W"];
        let mut csv = String::from("loan_id,period,status,balance,segment,recovery_amount\n");
        for loan in 0..400u64 {
            let segment = if loan % 3 == 0 { "b" } else { "a" };
            let mut state = 0usize;
            let mut charged_off_at = None;
            for month in 0..18u64 {
                if month > 0 && state < 4 {
                    let u = uniform(loan * 1000 + month);
                    let mut acc = 0.0;
                    for (to, p) in matrix[state].iter().enumerate() {
                        acc += p;
                        if u < acc {
                            state = to;
                            break;
                        }
                    }
                }
                let recovery = match charged_off_at {
                    Some(_) if uniform(loan * 7919 + month) < 0.4 => "25",
                    _ => "",
                };
                if state == 5 && charged_off_at.is_none() {
                    charged_off_at = Some(month);
                }
                csv.push_str(&format!(
                    "L{loan:04},{month},{},1000,{segment},{recovery}\n",
                    codes[state]
                ));
                if state == 4 {
                    break;
                }
            }
        }
        std::fs::write(dir.join("panel.csv"), csv).unwrap();
        let mapping = dir.join("calibrate.toml");
        std::fs::write(&mapping, MAPPING).unwrap();
        crate::calibrate::calibrate(&mapping).unwrap()
    }

    fn test(p_value: f64, grouping: &str) -> HomogeneityTest {
        HomogeneityTest {
            segment: "prime".to_string(),
            grouping: grouping.to_string(),
            groups: 3,
            statistic: 10.0,
            df: 8.0,
            p_value,
        }
    }

    #[test]
    fn homogeneity_tests_read_in_one_line() {
        let calendar = "calendar blocks of 12 months";
        let bands = "month-on-book bands";
        let check = |t: HomogeneityTest, expected: &str| {
            assert_eq!(homogeneity_reading(&t), expected);
        };
        check(test(0.31, calendar), "p = 0.31: one matrix is enough");
        check(
            test(0.0004, calendar),
            "p < 0.001: transition rates differ by calendar block; consider calibrating on the most recent blocks only, or a stress set around this matrix",
        );
        check(
            test(0.012, bands),
            "p = 0.012: transition rates differ by months on book; keep the bands",
        );
        check(
            test(0.6, bands),
            "p = 0.60: no evidence that rates differ by months on book; one matrix is enough (the bands could go)",
        );
        // Exactly at the level is not significant.
        check(test(0.05, calendar), "p = 0.050: one matrix is enough");
        let mut untestable = test(f64::NAN, calendar);
        untestable.df = 0.0;
        check(
            untestable,
            "not testable: no state has loans at risk in two groups",
        );
    }

    fn gap(observed: f64, fitted: f64, se: f64) -> Gap {
        Gap {
            state: "charged_off".to_string(),
            month_label: "2023-06".to_string(),
            observed,
            fitted,
            se,
        }
    }

    #[test]
    fn the_largest_gap_reads_against_two_standard_errors() {
        assert_eq!(
            gap_reading(Some(&gap(0.123, 0.101, 0.015))),
            "The largest gap is in `charged_off` in 2023-06: observed 12.3%, fitted 10.1%, higher by 2.2 percentage points, 1.5 standard errors of the observed share: within 2 standard errors, so the fitted matrix reproduces the history as well as the data can tell."
        );
        let outside = gap_reading(Some(&gap(0.05, 0.09, 0.01)));
        assert!(
            outside.contains("lower by 4.0 percentage points, 4.0 standard errors")
                && outside.contains("more than 2 standard errors"),
            "{outside}"
        );
        // A share with no sampling error (0% observed) cannot excuse a gap.
        assert!(!gap_within(&gap(0.0, 0.01, 0.0)));
        assert!(gap_within(&gap(0.2, 0.2, 0.0)));
        assert!(gap_reading(Some(&gap(0.2, 0.2, 0.01))).starts_with("Observed and fitted"));
        assert!(gap_reading(None).starts_with("No month"));
    }

    #[test]
    fn the_largest_gap_is_found_where_both_shares_are_known() {
        let series = vec![
            ShareSeries {
                name: "current",
                observed: vec![1.0, 0.8, f64::NAN],
                se: vec![0.0, 0.01, f64::NAN],
                fitted: vec![1.0, 0.79, 0.1],
            },
            ShareSeries {
                name: "delinquent",
                observed: vec![0.0, 0.1, 0.5],
                se: vec![0.0, 0.01, 0.02],
                fitted: vec![0.0, 0.13, f64::NAN],
            },
        ];
        let labels: Vec<String> = ["0", "1", "2"].map(String::from).to_vec();
        let g = largest_gap(&labels, &series).unwrap();
        assert_eq!(
            (g.state.as_str(), g.month_label.as_str()),
            ("delinquent", "1")
        );
        assert!((g.fitted - 0.13).abs() < 1e-12);
    }

    #[test]
    fn timing_reads_against_the_history() {
        assert_eq!(
            timing_reading(6.2, Some(6.9)),
            "6.9 months, close to the history"
        );
        assert_eq!(
            timing_reading(6.2, Some(9.0)),
            "9.0 months, 2.8 months slower than the history"
        );
        assert_eq!(
            timing_reading(6.2, Some(4.0)),
            "4.0 months, 2.2 months faster than the history"
        );
        assert_eq!(
            timing_reading(6.2, None),
            "the matrix never charges off from the first bucket"
        );
    }

    #[test]
    fn numbers_are_formatted_for_people() {
        assert_eq!(matrix_cell(0.123, 0.118, 0.129), "12.3% [11.8–12.9]");
        assert_eq!(matrix_cell(0.0042, 0.0031, 0.0055), "0.42% [0.31–0.55]");
        assert_eq!(matrix_cell(0.0, 0.0, 0.0), "0");
        assert_eq!(matrix_cell(0.0, 0.0, 0.02), "0% [0–2.0]");
        assert_eq!(matrix_cell(0.00001, 0.0, 0.0001), "<0.01% [0–0.01]");
        assert_eq!(percent(0.95), "95.0%");
        assert_eq!(percent(0.0001), "<0.1%");
        assert_eq!(percent(12.5), "1,250.0%");
        assert_eq!(percent(f64::NAN), "n/a");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(format_p(0.31), "p = 0.31");
        assert_eq!(format_p(0.0042), "p = 0.004");
        assert_eq!(format_p(1e-9), "p < 0.001");
        assert_eq!(percent_level(0.9), "90%");
        assert_eq!(percent_level(0.995), "99.5%");
    }

    #[test]
    fn months_read_as_labels_or_indices() {
        assert_eq!(month_name("2023-06"), "2023-06");
        assert_eq!(month_name("7"), "month 7");
        assert_eq!(period("2021-01", "2023-12"), "2021-01 to 2023-12");
        assert_eq!(period("0", "23"), "months 0 to 23");
    }

    #[test]
    fn commands_name_the_folder_after_its_rename() {
        let check = |dir: &str, expected: &str| {
            assert_eq!(final_dir(Path::new(dir)), PathBuf::from(expected), "{dir}");
        };
        check(
            "output/.demo-calibration.tmp-4242",
            "output/demo-calibration",
        );
        check("output/demo-calibration", "output/demo-calibration");
        check("output/.hidden", "output/.hidden");
        check("output/.x.tmp-12a", "output/.x.tmp-12a");
        check(".a.b.tmp-1", "a.b");
        assert_eq!(shell_path(Path::new("my dir/s.toml")), "'my dir/s.toml'");
    }

    #[test]
    fn band_rows_inheriting_the_base_row_are_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let mut cal = calibration(dir.path());
        let mut band = cal.segments[0].matrices[0].clone();
        band.months_on_book = Some((0, 2));
        band.rows[0].source = RowSource::Base;
        cal.segments[0].matrices.push(band);
        let rows = transition_rows(&cal);
        let band_rows: Vec<&str> = (rows.iter().filter(|r| r.months_on_book == "0-2"))
            .map(|r| r.from.as_str())
            .collect();
        assert!(!band_rows.is_empty());
        assert!(!band_rows.contains(&"current"), "{band_rows:?}");
        assert!(rows.iter().all(|r| r.source != "base"));
        // Every row of the base matrix sums to one over the destinations listed.
        for seg in &cal.segments {
            for row in &seg.matrices[0].rows {
                let from = cal.mapping.space.name(row.from);
                let sum: f64 = (rows.iter())
                    .filter(|r| {
                        r.segment == seg.name && r.months_on_book == "all" && r.from == from
                    })
                    .map(|r| r.probability)
                    .sum();
                assert!((sum - 1.0).abs() < 1e-9, "{} {from}: {sum}", seg.name);
            }
        }
    }

    #[test]
    fn writes_every_table_chart_and_the_report() {
        let dir = tempfile::tempdir().unwrap();
        let cal = calibration(dir.path());
        assert!(cal.recovery.is_some() && cal.charge_off_timing.is_some());
        let out = dir.path().join(".unit-calibration.tmp-77");
        std::fs::create_dir(&out).unwrap();
        write_calibration_report(&cal, &out).unwrap();
        let mut stems = vec![
            "transitions",
            "state_shares",
            "data_quality",
            "homogeneity_tests",
            "recovery_curve",
            "charge_off_timing",
        ];
        for stem in &stems {
            for ext in ["csv", "parquet"] {
                assert!(out.join(format!("{stem}.{ext}")).is_file(), "{stem}.{ext}");
            }
        }
        stems = vec![
            "transition_heatmap_a",
            "transition_heatmap_b",
            "state_shares",
            "recovery_curve",
        ];
        for stem in &stems {
            let png = std::fs::read(out.join(format!("{stem}.png"))).unwrap();
            assert_eq!(&png[1..4], b"PNG", "{stem}");
            let svg = std::fs::read_to_string(out.join(format!("{stem}.svg"))).unwrap();
            assert!(svg.contains("arrears calibrate"), "{stem}: footnote");
        }
        let svg = std::fs::read_to_string(out.join("transition_heatmap_a.svg")).unwrap();
        assert!(svg.contains("Monthly transition matrix: a"));

        let header = std::fs::read_to_string(out.join("transitions.csv")).unwrap();
        assert!(header.starts_with(
            "segment,months_on_book,from,to,count,at_risk,probability,lower,upper,source\n"
        ));
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("calibration.json")).unwrap())
                .unwrap();
        assert_eq!(json["data"]["loans"], 400);
        assert_eq!(json["method"], "cohort");
        assert_eq!(json["segments"]["count"], 2);
        assert!(json["recovery"]["payment_probability"].as_f64().unwrap() > 0.0);
        assert!(
            json["starting_book"][0]["states"]["current"]
                .as_f64()
                .is_some()
        );
        assert!(json["homogeneity_tests"][0]["reading"].is_string());

        let md = std::fs::read_to_string(out.join("report.md")).unwrap();
        for needle in [
            "# Calibration report: `unit`",
            "| SHA-256 | `",
            "Cohort method. For every pair",
            "### Segment `a`",
            "| From | At risk | `current` |",
            "![Monthly transition matrix: a](transition_heatmap_a.png)",
            "![Observed against fitted state shares](state_shares.png)",
            "The largest gap is in",
            "![Recovery after charge-off](recovery_curve.png)",
            "## Charge-off timing",
            "## Starting book",
            "unit-calibration/scenario.toml --posterior\n",
            "Tables (CSV and Parquet): `transitions`, `state_shares`, `data_quality`, `homogeneity_tests`, `recovery_curve`, `charge_off_timing`.",
        ] {
            assert!(md.contains(needle), "report.md lacks {needle:?}:\n{md}");
        }
        assert!(
            !md.contains(".tmp-77"),
            "the report names the temporary folder"
        );
        // The same report as one page: charts inline, no scripts.
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        assert!(html.contains("<h1>Calibration report: <code>unit</code></h1>"));
        assert_eq!(html.matches("data:image/png;base64,").count(), 4);
        assert!(!html.contains("<script"));
    }

    #[test]
    fn a_calibration_without_recoveries_tests_or_shares_still_reports() {
        let dir = tempfile::tempdir().unwrap();
        let mut cal = calibration(dir.path());
        cal.recovery = None;
        cal.charge_off_timing = None;
        cal.tests.clear();
        cal.shares.clear();
        cal.quality.clear();
        cal.warnings = vec!["segment `b`, row `dpd_61_90`: 3 loans at risk".to_string()];
        cal.segments[1].matrices[0].rows[3].source = RowSource::Pooled;
        // The words that depend on the method (the numbers stay the cohort's).
        cal.mapping.estimate.method = Method::Duration;
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        write_calibration_report(&cal, &out).unwrap();
        assert!(!out.join("recovery_curve.csv").exists());
        assert!(!out.join("recovery_curve.png").exists());
        assert!(!out.join("state_shares.png").exists());
        assert!(out.join("state_shares.csv").exists());
        let md = std::fs::read_to_string(out.join("report.md")).unwrap();
        for needle in [
            "No problems found",
            "- segment `b`, row `dpd_61_90`: 3 loans at risk",
            "No test was run",
            "No recovery curve",
            "`dpd_61_90` (pooled)",
            "pooled: fewer loans at risk",
            "Duration method. Transition intensities",
            "At risk is the months of exposure behind the row.",
            "No test was run: the duration method has no homogeneity test.",
        ] {
            assert!(md.contains(needle), "report.md lacks {needle:?}:\n{md}");
        }
    }
}
