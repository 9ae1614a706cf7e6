//! A sweep's folder above its points: `sweep.json`, the long table and the paired differences,
//! the charts (each charted figure against the first varied key, one line per value of the
//! second, with its 5th-95th percentile band; a heatmap of the first figure over two keys) and
//! `report.html`/`report.md`. Charts and report are built from the tables as read back
//! through their types, so `arrears report` rebuilds the same bytes.

use std::path::{Path, PathBuf};

use super::charts::ChartMeta;
use super::charts::heatmap::{Heatmap, HeatmapAxes, HeatmapCell, HeatmapRow, transition_heatmap};
use super::charts::line::{Axis, Fit, Line, LineChart, Scale};
use super::charts::theme;
use super::document::{Block, Document, Table, Unit};
use super::format;
use super::run_report::write_document;
use super::{ReportError, table, to_json};
use crate::metrics::figures::{METRICS, metric};
use crate::results::folder::read_sweep_file;
use crate::results::sweep_rows::{SWEEP_FILE, SweepDifferenceRow, SweepFile, SweepRow};
use crate::results::table as result_table;
use crate::scenario::sweep::ValueKind;

/// Figures charted when the sweep names none: the loss, and where it goes.
pub const DEFAULT_FIGURES: &[&str] = &[
    "net_credit_loss",
    "recoveries",
    "sale_proceeds",
    "collection_costs",
];

/// Lines drawn per chart at most (values of the second key); the rest are in the tables.
const MAX_LINES: usize = 7;

/// Writes `sweep.json`, the sweep's tables, its charts and its report into `dir` (the points'
/// folders are already there).
pub fn write_sweep(
    dir: &Path,
    file: &SweepFile,
    rows: &[SweepRow],
    differences: &[SweepDifferenceRow],
) -> Result<(), ReportError> {
    let path = dir.join(SWEEP_FILE);
    std::fs::write(&path, to_json(file)).map_err(|e| ReportError::io(&path, e))?;
    crate::results::sweep_rows::write_sweep(dir, &file.keys, rows)?;
    table(dir, differences)?;
    write_outputs(dir).map(|_| ())
}

/// A sweep's part: `sweep_part.json`, the base scenario's text as `scenario.toml`, and the
/// manifest over them and the points' folders already in `dir`.
pub fn write_sweep_part(
    dir: &Path,
    file: &crate::results::sweep_rows::SweepPartFile,
    scenario_text: &str,
) -> Result<(), ReportError> {
    let path = dir.join(crate::results::sweep_rows::SWEEP_PART_FILE);
    std::fs::write(&path, to_json(file)).map_err(|e| ReportError::io(&path, e))?;
    let path = dir.join("scenario.toml");
    std::fs::write(&path, scenario_text).map_err(|e| ReportError::io(&path, e))?;
    crate::results::manifest::write(dir, crate::results::FolderKind::SweepPart)
        .map_err(|e| ReportError::io(dir, e))
}

/// The charts and the report of a sweep folder, from its files (`arrears report` calls it on
/// a verified folder and gets the same bytes).
pub fn write_outputs(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let file = read_sweep_file(dir)?;
    let meta = &super::chart_meta_of(&file.run, &file.chart);
    let rows = crate::results::sweep_rows::read_sweep(dir, &file.keys)?;
    let differences: Vec<SweepDifferenceRow> = result_table::read(dir)?;
    let mut charts = Vec::new();
    for figure in &file.figures {
        charts.push(line_chart(dir, &file, &rows, figure, meta)?);
    }
    if file.keys.len() >= 2
        && let Some(figure) = file.figures.first()
    {
        charts.push(heatmap(dir, &file, &rows, figure, meta)?);
    }
    let doc = document(&file, &rows, &differences, &charts);
    write_document(dir, &doc)
}

/// A figure's value at each point.
fn values_of<'a>(rows: &'a [SweepRow], figure: &str) -> Vec<&'a SweepRow> {
    let mut out: Vec<&SweepRow> = rows.iter().filter(|r| r.figure == figure).collect();
    out.sort_by_key(|r| r.sweep_point);
    out
}

fn scale_of(unit: &str) -> Scale {
    match unit {
        "fraction" => Scale::Percent,
        _ => Scale::Amount,
    }
}

/// `(stem, title, reading)` of a chart written.
type Written = (String, String, String);

/// The figure against the first key; one line per value of the second key.
fn line_chart(
    dir: &Path,
    file: &SweepFile,
    rows: &[SweepRow],
    figure: &str,
    meta: &ChartMeta,
) -> Result<Written, ReportError> {
    let m = metric(figure);
    let points = values_of(rows, figure);
    let first = &file.keys[0];
    let numeric = first.kind != ValueKind::Text;
    // Where a point sits on the x axis: its value, or the index of its label.
    let x_of = |r: &SweepRow| -> f64 {
        if numeric {
            r.keys[0].as_f64().unwrap_or(f64::NAN)
        } else {
            let label = r.keys[0].label();
            first
                .values
                .iter()
                .position(|v| *v == label)
                .map_or(f64::NAN, |i| i as f64)
        }
    };
    let groups: Vec<String> = match file.keys.get(1) {
        Some(second) => second.values.iter().take(MAX_LINES).cloned().collect(),
        None => vec![String::new()],
    };
    let mut lines = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        let mut members: Vec<&&SweepRow> = points
            .iter()
            .filter(|r| file.keys.len() < 2 || r.keys[1].label() == *group)
            .filter(|r| other_keys_at_first(file, r))
            .collect();
        members.sort_by(|a, b| x_of(a).total_cmp(&x_of(b)));
        let xs: Vec<f64> = members.iter().map(|r| x_of(r)).collect();
        let col = |f: fn(&SweepRow) -> f64| members.iter().map(|r| f(r)).collect::<Vec<f64>>();
        let label = if group.is_empty() {
            m.label.to_string()
        } else {
            format!("{} = {group}", file.keys[1].key)
        };
        let colour = if groups.len() == 1 {
            theme::OI_BLUE
        } else {
            theme::series_colour(g)
        };
        lines.push(
            Line::new(&label, colour, &xs, &col(|r| r.estimate.mean))
                .band(&xs, &col(|r| r.estimate.p5), &col(|r| r.estimate.p95))
                .markers(super::charts::line::Markers::Every(theme::series_marker(g))),
        );
    }
    let x_axis = if numeric {
        Axis::new(first.key.as_str(), Scale::Amount, Fit::Span(0.04))
    } else {
        Axis::new(
            first.key.as_str(),
            Scale::Labels(first.values.clone()),
            Fit::Steps {
                start: Some(-0.5),
                pad: 0.5,
            },
        )
    };
    let y_title = match m.unit {
        "currency" => meta.amount(m.label),
        "fraction" => format!("{} (%)", m.label),
        _ => m.label.to_string(),
    };
    let mut notes = vec![format!(
        "{} points, common random numbers",
        file.points.len()
    )];
    if file.keys.len() > 2 {
        notes.push(format!(
            "other keys at their first value ({})",
            file.keys[2..]
                .iter()
                .map(|k| format!("{} = {}", k.key, k.values[0]))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if file.keys.get(1).is_some_and(|k| k.values.len() > MAX_LINES) {
        notes.push(format!(
            "first {MAX_LINES} values of {} shown",
            file.keys[1].key
        ));
    }
    let subtitle = format!(
        "Mean across {} at each point, band 5th-95th percentile",
        format::count_of(file.run.paths, "path")
    );
    let stem = format!("sweep_{figure}");
    let title = format!("{} against {}", m.label, first.key);
    let chart = LineChart {
        band_label: "5th-95th percentile".into(),
        notes,
        empty: "No finite values to show".into(),
        ..LineChart::new(
            meta.header(&title, subtitle),
            x_axis,
            // The points' differences are what a sweep shows: the axis spans the data.
            Axis::new(y_title.as_str(), scale_of(m.unit), Fit::Span(0.08)),
            lines,
        )
    };
    chart.write(&dir.join(&stem))?;
    let reading = reading(file, &points, m.unit, m.label);
    Ok((stem, title, reading))
}

/// Whether a row's keys after the second are at their first value (the slice a chart shows).
fn other_keys_at_first(file: &SweepFile, r: &SweepRow) -> bool {
    file.keys
        .iter()
        .enumerate()
        .skip(2)
        .all(|(i, k)| r.keys[i].label() == k.values[0])
}

/// One sentence on where the figure is lowest and highest.
fn reading(file: &SweepFile, points: &[&SweepRow], unit: &str, label: &str) -> String {
    let finite: Vec<&&SweepRow> = points
        .iter()
        .filter(|r| r.estimate.mean.is_finite())
        .collect();
    let (Some(lo), Some(hi)) = (
        finite
            .iter()
            .min_by(|a, b| a.estimate.mean.total_cmp(&b.estimate.mean)),
        finite
            .iter()
            .max_by(|a, b| a.estimate.mean.total_cmp(&b.estimate.mean)),
    ) else {
        return format!("{label} is undefined at every point.");
    };
    let unit = Unit::from_summary(unit);
    format!(
        "{label} is lowest at {} ({}) and highest at {} ({}).",
        file.describe(lo.sweep_point as usize),
        unit.estimate(lo.estimate.mean, lo.estimate.se),
        file.describe(hi.sweep_point as usize),
        unit.estimate(hi.estimate.mean, hi.estimate.se),
    )
}

/// The figure over the first two keys, coloured from its lowest (pale) to highest value.
fn heatmap(
    dir: &Path,
    file: &SweepFile,
    rows: &[SweepRow],
    figure: &str,
    meta: &ChartMeta,
) -> Result<Written, ReportError> {
    let m = metric(figure);
    let unit = Unit::from_summary(m.unit);
    let points = values_of(rows, figure);
    let (k1, k2) = (&file.keys[0], &file.keys[1]);
    let cell_of = |a: &str, b: &str| {
        points
            .iter()
            .find(|r| {
                r.keys[0].label() == a && r.keys[1].label() == b && other_keys_at_first(file, r)
            })
            .map(|r| r.estimate.mean)
    };
    let all: Vec<f64> = points
        .iter()
        .map(|r| r.estimate.mean)
        .filter(|v| v.is_finite())
        .collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let cells = k1
        .values
        .iter()
        .map(|a| {
            k2.values
                .iter()
                .map(|b| match cell_of(a, b) {
                    Some(v) if v.is_finite() => HeatmapCell {
                        // Coloured linearly from the lowest value to the highest (the ramp
                        // takes a square root).
                        probability: if hi > lo {
                            ((v - lo) / (hi - lo)).powi(2)
                        } else {
                            0.25
                        },
                        text: unit.format(v),
                        detail: String::new(),
                    },
                    _ => HeatmapCell {
                        probability: 0.0,
                        text: "n/a".into(),
                        detail: String::new(),
                    },
                })
                .collect()
        })
        .collect();
    let stem = format!("sweep_heatmap_{figure}");
    let title = format!("{} by the first two keys", m.label);
    let chart = Heatmap {
        header: meta.header(
            &title,
            format!(
                "Mean across {} at each point; rows {}, columns {}",
                format::count_of(file.run.paths, "path"),
                k1.key,
                k2.key
            ),
        ),
        rows: k1
            .values
            .iter()
            .map(|v| HeatmapRow {
                name: v.clone(),
                detail: String::new(),
            })
            .collect(),
        columns: k2.values.clone(),
        cells,
        notes: vec![
            "Cell: the figure's mean at the point".into(),
            String::new(),
            "Colour from the lowest value (pale) to the highest (dark)".into(),
        ],
        axes: HeatmapAxes {
            columns: k2.key.clone(),
            // The rows' key is in the subtitle: a long one does not fit left of the grid.
            rows: String::new(),
            colour_bar: "Mean".into(),
            ticks: (0..=4)
                .map(|i| {
                    let t = f64::from(i) / 4.0;
                    (t, unit.format(lo + t * (hi - lo)))
                })
                .collect(),
        },
    };
    transition_heatmap(&dir.join(&stem), &chart)?;
    let reading = reading(file, &points, m.unit, m.label);
    Ok((stem, title, reading))
}

/// The sweep's report.
fn document(
    file: &SweepFile,
    rows: &[SweepRow],
    differences: &[SweepDifferenceRow],
    charts: &[Written],
) -> Document {
    let run = &file.run;
    let keys: Vec<String> = file
        .keys
        .iter()
        .map(|k| format!("`{}` ({} values)", k.key, k.values.len()))
        .collect();
    let mut blocks = vec![
        Block::heading("sweep", "The sweep"),
        Block::Paragraph(format!(
            "`{}` run at {} points ({} of {}), each with {} over {} months from seed {}: every point shares the base scenario's random numbers loan by loan and path by path, so differences between points are paired and their standard errors come from the per-path differences.",
            run.scenario_name,
            file.points.len(),
            match file.combine {
                crate::scenario::sweep::Combine::Grid => "every combination",
                crate::scenario::sweep::Combine::Zip => "the lists zipped",
            },
            keys.join(" and "),
            format::count_of(run.paths, "path"),
            run.horizon_months,
            run.seed
        )),
    ];
    if !file.warnings.is_empty() {
        blocks.push(Block::Warnings(file.warnings.clone()));
    }
    // The charted figures at every point.
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(file.keys.iter().map(|k| k.key.clone()));
    header.extend(file.figures.iter().map(|f| metric(f).label.to_string()));
    let table_rows: Vec<Vec<String>> = file
        .points
        .iter()
        .map(|p| {
            let mut cells = vec![p.sweep_point.to_string()];
            cells.extend(p.values.iter().cloned());
            for f in &file.figures {
                let unit = Unit::from_summary(metric(f).unit);
                cells.push(
                    rows.iter()
                        .find(|r| r.sweep_point == p.sweep_point && r.figure == *f)
                        .map_or("n/a".into(), |r| {
                            unit.estimate(r.estimate.mean, r.estimate.se)
                        }),
                );
            }
            cells
        })
        .collect();
    blocks.push(Block::heading("points", "Figures at each point"));
    blocks.push(Block::Table(
        Table::new(header, table_rows)
            .caption("Mean ± Monte Carlo standard error")
            .numeric_from(1 + file.keys.len())
            .files(["sweep.csv", "sweep.parquet"]),
    ));
    blocks.push(Block::heading("charts", "Charts"));
    for (stem, title, reading) in charts {
        blocks.push(Block::chart(stem, title, reading.clone(), &["sweep.csv"]));
    }
    // Paired differences from the reference.
    let reference = file.reference as usize;
    blocks.push(Block::heading(
        "differences",
        "Differences from the reference point",
    ));
    blocks.push(Block::Paragraph(format!(
        "Each point less point {reference} ({}), paired path by path; `z` is the difference over its standard error. `sweep_differences.csv` also holds each point against the previous one along `{}`.",
        file.describe(reference),
        file.keys.last().map_or("", |k| k.key.as_str())
    )));
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(file.keys.iter().map(|k| k.key.clone()));
    for f in &file.figures {
        header.push(format!("{} difference", metric(f).label));
        header.push("z".into());
    }
    let diff_rows: Vec<Vec<String>> = file
        .points
        .iter()
        .filter(|p| p.sweep_point as usize != reference)
        .map(|p| {
            let mut cells = vec![p.sweep_point.to_string()];
            cells.extend(p.values.iter().cloned());
            for f in &file.figures {
                let unit = Unit::from_summary(metric(f).unit);
                match differences.iter().find(|d| {
                    d.sweep_point == p.sweep_point && d.against == "reference" && d.figure == *f
                }) {
                    Some(d) => {
                        cells.push(format!(
                            "{} ± {}",
                            unit.difference(d.difference),
                            unit.difference_se(d.difference_se)
                        ));
                        cells.push(format::z_text(d.z));
                    }
                    None => cells.extend(["n/a".to_string(), "n/a".to_string()]),
                }
            }
            cells
        })
        .collect();
    blocks.push(Block::Table(
        Table::new(header, diff_rows)
            .caption("Difference ± paired standard error")
            .numeric_from(1 + file.keys.len())
            .files(["sweep_differences.csv", "sweep_differences.parquet"]),
    ));
    blocks.push(Block::heading("folders", "Each point's results"));
    blocks.push(Block::Paragraph(
        "Every point is a full result folder: open its report, or compare two points (they share random numbers, so `arrears compare` pairs them):".into(),
    ));
    blocks.push(Block::Links(
        file.points
            .iter()
            .map(|p| {
                (
                    format!(
                        "point {}: {}",
                        p.sweep_point,
                        file.describe(p.sweep_point as usize)
                    ),
                    format!("{}/report.html", p.folder),
                )
            })
            .collect(),
    ));
    if file.points.len() >= 2 {
        blocks.push(Block::Code {
            language: "sh".into(),
            text: format!(
                "arrears compare SWEEP/{} SWEEP/{}",
                file.points[reference].folder,
                file.points[if reference == 0 { 1 } else { 0 }].folder
            ),
        });
    }
    let figures: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
    blocks.push(Block::Paragraph(format!(
        "`sweep.csv` holds every figure at every point ({}).",
        figures.join(", ")
    )));
    Document {
        title: format!("{}: sweep", run.scenario_name),
        subtitle: format!(
            "{} points, {} each, seed {}",
            file.points.len(),
            format::count_of(run.paths, "path"),
            run.seed
        ),
        blocks,
        footer: format!("arrears {}", run.arrears_version),
    }
}

/// How a solve's answer reads: what reaching the target means, and what it means to be past
/// it at both ends of the range.
pub struct SolvePhrases {
    pub met: String,
    pub above: String,
    pub below: String,
    /// The chart's title.
    pub title: String,
}

/// The phrases for a target, by its name in `solve.json`.
pub fn solve_phrases(target_name: &str, label: &str, target: &str, key: &str) -> SolvePhrases {
    match target_name {
        "sale_beats_hold" => SolvePhrases {
            met: "selling equals holding".into(),
            above: "selling beats holding across the whole range".into(),
            below: "holding beats selling across the whole range".into(),
            title: format!("Break-even {key}: selling equals holding"),
        },
        "buyer_makes_hurdle" => SolvePhrases {
            met: "the buyer makes exactly its hurdle at the quoted price".into(),
            above: "the buyer beats its hurdle across the whole range".into(),
            below: "the buyer misses its hurdle across the whole range".into(),
            title: format!("{key} at which the buyer makes exactly its hurdle"),
        },
        name => SolvePhrases {
            met: format!("{name} = {target}"),
            above: format!("{label} stays above {target} across the whole range"),
            below: format!("{label} stays below {target} across the whole range"),
            title: format!("Solving for {key}"),
        },
    }
}

/// Writes a solve's files: `solve.json`, `solve_roots`, `solve_evaluations`, the chart
/// `solve` and the report. One series: the figure at every evaluation with the target and the
/// root. Several (a named condition): each series' root against its sale point, one line per
/// segment, with its interval (or, with one sale point, every series' evaluations).
pub fn write_solve(
    dir: &Path,
    file: &crate::results::sweep_rows::SolveFile,
    roots: &[crate::results::sweep_rows::SolveRootRow],
    rows: &[crate::results::sweep_rows::SolveEvaluationRow],
) -> Result<(), ReportError> {
    let path = dir.join(crate::results::sweep_rows::SOLVE_FILE);
    std::fs::write(&path, to_json(file)).map_err(|e| ReportError::io(&path, e))?;
    table(dir, roots)?;
    table(dir, rows)?;
    solve_outputs(dir).map(|_| ())
}

/// The chart and the report of a solve folder, from its files.
pub fn solve_outputs(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    use super::charts::line::{Markers, VLine};
    use super::charts::theme::Stroke;
    use crate::results::sweep_rows::SolveRootRow;
    let (file, roots, rows) = crate::results::folder::read_solve(dir)?;
    let (file, roots, rows) = (&file, roots.as_slice(), rows.as_slice());
    let meta = &super::chart_meta_of(&file.run, &file.chart);
    let unit = Unit::from_summary(&file.unit);
    let trimmed = super::format::trimmed;
    let y_title = match file.unit.as_str() {
        "currency" => meta.amount(&file.label),
        "fraction" => format!("{} (%)", file.label),
        _ => file.label.clone(),
    };
    let ends = [file.low, file.high];
    let series_name = |point: &Option<String>, dpd: Option<u32>, segment: &Option<String>| {
        let mut parts = Vec::new();
        if let Some(d) = dpd {
            parts.push(format!("{d} DPD"));
        } else if let Some(p) = point {
            parts.push(p.clone());
        }
        if let Some(s) = segment {
            parts.push(s.clone());
        }
        parts.join(", ")
    };
    let solved = |r: &SolveRootRow| r.root.is_finite();
    // Runs made: evaluations are numbered from 0 in the order they ran.
    let runs = format::count_of(
        rows.iter()
            .map(|r| r.evaluation)
            .max()
            .map_or(0, |m| m as u64 + 1),
        "run",
    );
    // A series' line with its band and markers, coloured by its place.
    let series_line =
        |label: &str, i: usize, xs: &[f64], ys: &[f64], lows: &[f64], highs: &[f64]| {
            Line::new(
                label,
                theme::SERIES_COLOURS[i % theme::SERIES_COLOURS.len()],
                xs,
                ys,
            )
            .band(xs, lows, highs)
            .markers(Markers::Every(theme::series_marker(i)))
        };
    let phrases = solve_phrases(
        &file.target_name,
        &file.label,
        &unit.format(file.target),
        &file.key,
    );
    let reading_of = |r: &SolveRootRow| -> String {
        let name = series_name(&r.point, r.dpd, &r.segment);
        let lead = if name.is_empty() {
            file.label.clone()
        } else {
            format!("{}, {name}", file.label)
        };
        if solved(r) && r.ci_low.is_finite() {
            format!(
                "{lead}: {} at {} = {} (95% interval {} to {}).",
                phrases.met,
                file.key,
                trimmed(r.root),
                trimmed(r.ci_low),
                trimmed(r.ci_high)
            )
        } else if solved(r) {
            format!(
                "{lead}: {} between {} = {} and {}.",
                phrases.met,
                file.key,
                trimmed(r.bracket_low),
                trimmed(r.bracket_high)
            )
        } else {
            format!(
                "{lead}: {} ({} at {} = {}, {} at {}).",
                match r.status.as_str() {
                    "above the target at both ends" => phrases.above.as_str(),
                    "below the target at both ends" => phrases.below.as_str(),
                    other => other,
                },
                unit.format(r.at_low),
                file.key,
                trimmed(file.low),
                unit.format(r.at_high),
                trimmed(file.high)
            )
        }
    };
    let points: std::collections::BTreeSet<u32> = roots.iter().filter_map(|r| r.dpd).collect();
    let chart = if roots.len() > 1 && points.len() > 1 {
        // Roots against the sale point, one line per segment.
        let mut segments: Vec<Option<String>> = Vec::new();
        for r in roots {
            if !segments.contains(&r.segment) {
                segments.push(r.segment.clone());
            }
        }
        let lines = segments
            .iter()
            .enumerate()
            .map(|(i, segment)| {
                let mine: Vec<&SolveRootRow> = roots
                    .iter()
                    .filter(|r| &r.segment == segment && solved(r) && r.dpd.is_some())
                    .collect();
                let xs: Vec<f64> = mine.iter().map(|r| f64::from(r.dpd.unwrap_or(0))).collect();
                let ys: Vec<f64> = mine.iter().map(|r| r.root).collect();
                // A whole-number key has no interval: the band closes on the root.
                let or_root = |v: f64, r: &SolveRootRow| if v.is_finite() { v } else { r.root };
                let lows: Vec<f64> = mine.iter().map(|r| or_root(r.ci_low, r)).collect();
                let highs: Vec<f64> = mine.iter().map(|r| or_root(r.ci_high, r)).collect();
                let label = match segment.as_deref() {
                    Some("all") => "Whole book".to_string(),
                    Some(s) => s.to_string(),
                    None => file.label.clone(),
                };
                series_line(&label, i, &xs, &ys, &lows, &highs)
            })
            .collect();
        let unsolved = roots.iter().filter(|r| !solved(r)).count();
        let mut notes = vec![format!(
            "{} on one seed; bands are 95% intervals of the root",
            runs
        )];
        if unsolved > 0 {
            notes.push(format!(
                "{unsolved} of {} series not reached between {} = {} and {}: see the table",
                roots.len(),
                file.key,
                trimmed(file.low),
                trimmed(file.high)
            ));
        }
        LineChart {
            band_label: "95% interval of the root".into(),
            notes,
            empty: format!("No series reaches the target between {} = {} and {}", file.key, trimmed(file.low), trimmed(file.high)),
            ..LineChart::new(
                meta.header(
                    &format!("{} by sale point", phrases.title),
                    format!(
                        "The value of {} at which {}, at each sale point and for each segment; {} each",
                        file.key,
                        phrases.met,
                        format::count_of(file.run.paths, "path")
                    ),
                ),
                Axis::new("Sale point (days past due)", Scale::Amount, Fit::Span(0.04)),
                Axis::new(file.key.as_str(), Scale::Amount, Fit::Span(0.1)),
                lines,
            )
        }
    } else {
        // Every evaluation of each series, the target, and each root.
        let mut ids: Vec<(Option<String>, Option<u32>, Option<String>)> = Vec::new();
        for r in rows {
            let id = (r.point.clone(), r.dpd, r.segment.clone());
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let many = ids.len() > 1;
        let mut lines: Vec<Line> = ids
            .iter()
            .enumerate()
            .map(|(i, (point, dpd, segment))| {
                let mut mine: Vec<_> = rows
                    .iter()
                    .filter(|r| &r.point == point && &r.dpd == dpd && &r.segment == segment)
                    .collect();
                mine.sort_by(|a, b| a.value.total_cmp(&b.value));
                let xs: Vec<f64> = mine.iter().map(|r| r.value).collect();
                let means: Vec<f64> = mine.iter().map(|r| r.mean).collect();
                let lows: Vec<f64> = mine.iter().map(|r| r.mean - 1.96 * r.se).collect();
                let highs: Vec<f64> = mine.iter().map(|r| r.mean + 1.96 * r.se).collect();
                let label = if many {
                    series_name(point, *dpd, segment)
                } else {
                    "Mean".to_string()
                };
                series_line(&label, i, &xs, &means, &lows, &highs)
            })
            .collect();
        lines.push(
            Line::new(
                &format!("Target {}", unit.format(file.target)),
                theme::AXIS,
                &ends,
                &[file.target, file.target],
            )
            .stroke(Stroke::Dashed),
        );
        let vlines = roots
            .iter()
            .filter(|r| solved(r))
            .take(if many { 0 } else { 1 })
            .map(|r| VLine {
                x: r.root,
                label: format!("{} = {}", file.key, trimmed(r.root)),
                colour: theme::OI_VERMILLION,
                stroke: Stroke::Dashed,
            })
            .collect();
        let mut notes = vec![format!("{} on one seed", runs)];
        if let [r] = roots
            && r.ci_low.is_finite()
        {
            notes.push(format!(
                "95% interval of the root: {} to {}",
                trimmed(r.ci_low),
                trimmed(r.ci_high)
            ));
        }
        LineChart {
            band_label: "95% interval of the figure".into(),
            vlines,
            notes,
            empty: "No evaluations to show".into(),
            ..LineChart::new(
                meta.header(
                    &phrases.title,
                    format!(
                        "{} = {}: each point a run of {} on the same seed, the band 95% of the figure",
                        file.label,
                        unit.format(file.target),
                        format::count_of(file.run.paths, "path")
                    ),
                ),
                Axis::new(file.key.as_str(), Scale::Amount, Fit::Span(0.04)),
                Axis::new(y_title.as_str(), scale_of(&file.unit), Fit::Span(0.08)),
                lines,
            )
        }
    };
    chart.write(&dir.join("solve"))?;
    let readings: Vec<String> = roots.iter().map(reading_of).collect();
    let slope_text = match roots {
        [r] if r.slope.is_finite() => format!(
            " The interval is the figure's standard error at the root over the slope there ({} per unit of the key, from the final bracket {} to {}){}.",
            unit.format(r.slope),
            trimmed(r.bracket_low),
            trimmed(r.bracket_high),
            if r.status == "solved" {
                ""
            } else {
                "; the search stopped before the bracket closed"
            }
        ),
        [_] => String::new(),
        _ => " Each series is solved on its own, every run serving them all; each interval is the series' standard error at its root over its slope there.".into(),
    };
    let has_points = roots.iter().any(|r| r.dpd.is_some() || r.segment.is_some());
    let mut headers: Vec<String> = Vec::new();
    if has_points {
        headers.extend(["sale point".to_string(), "segment".to_string()]);
    }
    headers.extend(
        [
            file.key.as_str(),
            "95% interval",
            "status",
            "at low end",
            "at high end",
        ]
        .map(String::from),
    );
    let root_table = Table::new(
        headers,
        roots
            .iter()
            .map(|r| {
                let mut cells = Vec::new();
                if has_points {
                    cells.push(
                        r.dpd
                            .map(|d| format!("{d} DPD"))
                            .or(r.point.clone())
                            .unwrap_or_default(),
                    );
                    cells.push(match r.segment.as_deref() {
                        Some("all") => "whole book".to_string(),
                        other => other.unwrap_or_default().to_string(),
                    });
                }
                cells.push(if r.root.is_finite() {
                    trimmed(r.root)
                } else {
                    "n/a".into()
                });
                cells.push(if r.ci_low.is_finite() {
                    format!("{} to {}", trimmed(r.ci_low), trimmed(r.ci_high))
                } else {
                    "n/a".into()
                });
                cells.push(match r.status.as_str() {
                    "above the target at both ends" => phrases.above.clone(),
                    "below the target at both ends" => phrases.below.clone(),
                    other => other.to_string(),
                });
                cells.push(unit.format(r.at_low));
                cells.push(unit.format(r.at_high));
                cells
            })
            .collect(),
    )
    .numeric_from(if has_points { 2 } else { 0 })
    .files(["solve_roots.csv", "solve_roots.parquet"]);
    let first_reading = readings.first().cloned().unwrap_or_default();
    let doc = Document {
        title: format!("{}: solve", file.run.scenario_name),
        subtitle: format!(
            "{} over {} from {} to {}, {} each, seed {}",
            phrases.met,
            file.key,
            file.low,
            file.high,
            format::count_of(file.run.paths, "path"),
            file.run.seed
        ),
        blocks: vec![
            Block::heading(
                "root",
                if roots.len() == 1 {
                    "The root"
                } else {
                    "The roots"
                },
            ),
            Block::Paragraph(format!(
                "{} Every run shares the scenario's random numbers, so the figure is one smooth function of `{}`.{slope_text}",
                if roots.len() == 1 {
                    first_reading.clone()
                } else {
                    format!(
                        "In {} of {} series {} somewhere between {} = {} and {}.",
                        roots.iter().filter(|r| solved(r)).count(),
                        roots.len(),
                        phrases.met,
                        file.key,
                        trimmed(file.low),
                        trimmed(file.high)
                    )
                },
                file.key,
            )),
            Block::Table(root_table),
            Block::chart(
                "solve",
                if roots.len() > 1 && points.len() > 1 {
                    "The root at each sale point"
                } else {
                    "Every evaluation"
                },
                if roots.len() == 1 {
                    first_reading
                } else if points.len() <= 1 {
                    format!(
                        "Each line is one series at every run, with 95% of its mean; it reaches {} where it crosses the dashed line. The roots are in the table above.",
                        unit.format(file.target)
                    )
                } else {
                    // Each series is in the table above; the caption says how to read them.
                    format!(
                        "Each point is the value of {} at which {}, with its 95% interval; {} of {} series reach it in the range (the rest are in the table above).",
                        file.key,
                        phrases.met,
                        roots.iter().filter(|r| solved(r)).count(),
                        roots.len()
                    )
                },
                &["solve_roots.csv", "solve_evaluations.csv"],
            ),
            Block::Table(
                Table::new(
                    ["run", "series", file.key.as_str(), "mean ± se"],
                    rows.iter()
                        .map(|r| {
                            vec![
                                r.evaluation.to_string(),
                                series_name(&r.point, r.dpd, &r.segment),
                                trimmed(r.value),
                                unit.estimate(r.mean, r.se),
                            ]
                        })
                        .collect(),
                )
                .numeric_from(2)
                .files(["solve_evaluations.csv", "solve_evaluations.parquet"]),
            ),
        ],
        footer: format!("arrears {}", file.run.arrears_version),
    };
    write_document(dir, &doc)
}
