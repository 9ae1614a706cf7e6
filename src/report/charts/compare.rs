//! Overlay charts of runs compared (`arrears compare`): loss distributions, cumulative net
//! write-offs and recovery curves, one series per run.
//!
//! Drawing only, like the rest of [`charts`](super): the caller reads the runs' tables
//! and hands over the series. The loss and write-off overlays are the stress set's charts
//! ([`super::scenario_loss_overlay`], [`super::scenario_write_off_overlay`]) with other words:
//! `Compared` says whether a chart's series are the scenarios of one stress set (one seed and
//! one path count, named in the footnote as every run's chart does) or runs read back from
//! their folders, which may differ in both. The recovery-curve overlay is drawn here, in the
//! same theme: one colour and end marker per run, 5th-95th percentile bands paler where they
//! overlap, the legend in its own panel.
//!
//! Main items: [`RunsMeta`], [`run_loss_overlay`], [`run_write_off_overlay`],
//! [`run_recovery_overlay`].

use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    BandedLine, Chart, ChartError, ChartMeta, DrawResult, Frame, LossOverlayChart, ScaledFormat,
    ScenarioLine, Swatch, TickedAxis, WriteOffOverlayChart, band_opacity, centred_note,
    check_banded, check_weights, count_of, draw_legend, draw_line, draw_marker, draw_outlined_band,
    draw_zero_line, finite_bounds, format_month, format_percent, frame, frame_with_footnote,
    plot_axes, redraw_axes, value_axis, write_both,
};

/// What the title and footnote of a comparison chart say, for runs that may differ in seed
/// and number of paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunsMeta {
    /// Put before the chart's own title, e.g. `baseline vs baseline_no_sale`.
    pub name: String,
    /// The paths behind each series, e.g. `1,000 paths` or `1,000 and 500 paths`.
    pub paths: String,
    /// The small print at the bottom, e.g. `seed 20261122 · 1,000 paths each · arrears compare`.
    pub footnote: String,
}

/// What the series of an overlay chart are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Compared {
    /// The scenarios of one stress set: the set's name in the title, its seed and paths in
    /// the footnote.
    StressScenarios,
    /// Runs compared by `arrears compare`.
    Runs(RunsMeta),
}

impl Compared {
    /// One series, lowercase: `scenario`, `run`.
    pub(crate) fn noun(&self) -> &'static str {
        match self {
            Compared::StressScenarios => "scenario",
            Compared::Runs(_) => "run",
        }
    }

    /// The legend's heading.
    pub(crate) fn heading(&self) -> &'static str {
        match self {
            Compared::StressScenarios => "Scenario",
            Compared::Runs(_) => "Run",
        }
    }

    /// The paths behind each series: `1,000 paths`.
    pub(crate) fn paths(&self, meta: &ChartMeta) -> String {
        match self {
            Compared::StressScenarios => count_of(meta.paths, "path"),
            Compared::Runs(runs) => runs.paths.clone(),
        }
    }

    /// [`frame`] with the title `"{what} by stress scenario"` (after the set's name), or
    /// `"{name}: {what} by run"` and the runs' footnote.
    pub(crate) fn frame<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        meta: &ChartMeta,
        what: &str,
        subtitle: &str,
    ) -> Result<Frame<DB>, String> {
        match self {
            Compared::StressScenarios => {
                frame(root, meta, &format!("{what} by stress scenario"), subtitle)
            }
            Compared::Runs(runs) => {
                let name = runs.name.trim();
                let title = if name.is_empty() {
                    format!("{what} by run")
                } else {
                    format!("{name}: {what} by run")
                };
                frame_with_footnote(root, &title, subtitle, &runs.footnote)
            }
        }
    }
}

/// The meta the stress-set charts take, for runs: no name (the title comes from
/// [`RunsMeta`]), plain currency units (result folders do not record a currency).
fn plain_meta() -> ChartMeta {
    ChartMeta {
        scenario_name: String::new(),
        seed: 0,
        paths: 0,
        currency: String::new(),
    }
}

/// Loss distributions of the runs overlaid on bins common to all, each with its expected
/// loss marked: [`super::scenario_loss_overlay`] titled for runs. `series`: (run name, net
/// credit loss per path, weights per path or empty).
pub fn run_loss_overlay(
    stem: &Path,
    runs: &RunsMeta,
    series: &[(String, Vec<f64>, Vec<f64>)],
) -> Result<(), ChartError> {
    for (name, losses, weights) in series {
        check_weights(
            stem,
            &format!("run `{name}` weights:"),
            weights.len(),
            losses.len(),
        )?;
    }
    let chart = LossOverlayChart {
        compared: Compared::Runs(runs.clone()),
        ..LossOverlayChart::new(&plain_meta(), series)
    };
    write_both(stem, &chart)
}

/// Cumulative net write-offs by month, mean and optional 5th-95th percentile band per run:
/// [`super::scenario_write_off_overlay`] titled for runs. `months` = 1..=H, shared by all
/// series; a run with a shorter horizon has NaN in the months it lacks.
pub fn run_write_off_overlay(
    stem: &Path,
    runs: &RunsMeta,
    months: &[u32],
    series: &[BandedLine],
) -> Result<(), ChartError> {
    check_banded(stem, series, months.len(), "months")?;
    let chart = WriteOffOverlayChart {
        compared: Compared::Runs(runs.clone()),
        ..WriteOffOverlayChart::new(&plain_meta(), months, series)
    };
    write_both(stem, &chart)
}

/// Cumulative recovery rate by months since default, mean and optional 5th-95th percentile
/// band per run, as a share of exposure at default (shown in percent). `months` = 1..=K,
/// shared by all series (NaN where a run has no value). Non-finite values are left out (a
/// line breaks there); no values at all draw an empty chart with a note. An error if a series
/// is not as long as `months`. Writes `{stem}.png` and `{stem}.svg`.
pub fn run_recovery_overlay(
    stem: &Path,
    runs: &RunsMeta,
    months: &[u32],
    series: &[BandedLine],
) -> Result<(), ChartError> {
    check_banded(stem, series, months.len(), "months")?;
    let chart = RecoveryOverlayChart::new(runs, months, series);
    write_both(stem, &chart)
}

struct RecoveryOverlayChart {
    runs: RunsMeta,
    lines: Vec<ScenarioLine>,
    x_range: Range<f64>,
    x_ticks: Vec<f64>,
    y_range: Range<f64>,
    y_ticks: Vec<f64>,
    note: Option<String>,
}

impl RecoveryOverlayChart {
    fn new(runs: &RunsMeta, months: &[u32], series: &[BandedLine]) -> RecoveryOverlayChart {
        // The lines, markers and month axis (from 0, the default itself) are the write-off
        // overlay's; the value axis is a share of exposure at default.
        let base = WriteOffOverlayChart::new(&plain_meta(), months, series);
        let (lo, hi) = finite_bounds(
            series
                .iter()
                .flat_map(|(_, mean, p5, p95)| mean.iter().chain(p5).chain(p95)),
        );
        let (y_range, y_ticks) = value_axis(lo, hi, 0.06, 8, 0.1);
        let note = if lo > hi {
            Some("No recoveries to show".to_string())
        } else if lo == 0.0 && hi == 0.0 {
            Some("All recoveries are zero".to_string())
        } else {
            None
        };
        RecoveryOverlayChart {
            runs: runs.clone(),
            lines: base.lines,
            x_range: base.x_range,
            x_ticks: base.x_ticks,
            y_range,
            y_ticks,
            note,
        }
    }
}

impl Chart for RecoveryOverlayChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let has_band = self.lines.iter().any(|l| !l.band.is_empty());
        let band_text = if has_band {
            ", bands 5th-95th percentile"
        } else {
            ""
        };
        let subtitle = format!(
            "Mean across {} per run{band_text}; recoveries as % of exposure at default (EAD)",
            self.runs.paths
        );
        let compared = Compared::Runs(self.runs.clone());
        let Frame { plot, legend } = compared.frame(
            root,
            &plain_meta(),
            "Cumulative recovery after default",
            &subtitle,
        )?;
        let y_format = ScaledFormat::percent(&self.y_ticks);
        let mut chart = plot_axes(
            &plot,
            TickedAxis::new(&self.x_range, &self.x_ticks),
            TickedAxis::new(&self.y_range, &self.y_ticks),
            ("Months since default", "Cumulative recovery (% of EAD)"),
            &format_month,
            &|v| y_format.format(*v),
        )?;
        let opacity = band_opacity(self.lines.len());
        for line in &self.lines {
            draw_outlined_band(&mut chart, &line.band, line.colour, opacity)?;
        }
        for line in &self.lines {
            draw_line(root, &mut chart, &line.points, line.colour, None)?;
        }
        // A marker at the end of each line, so the lines differ by more than colour.
        for line in &self.lines {
            if let Some(p) = line.last {
                let at = chart.backend_coord(&p);
                draw_marker(root, at, line.marker, line.colour, 7)?;
            }
        }
        draw_zero_line(&mut chart, &self.x_range, &self.y_range)?;
        redraw_axes(&chart, &self.x_range, &self.y_range)?;
        if let Some(note) = &self.note {
            return centred_note(root, chart.plotting_area().get_pixel_range(), note);
        }

        let entries: Vec<(Swatch, String)> = self
            .lines
            .iter()
            .map(|l| (Swatch::LineMarker(l.colour, l.marker), l.label.clone()))
            .collect();
        let mut notes = Vec::new();
        if has_band {
            notes.push("Bands: 5th-95th percentile".to_string());
        }
        let last_month = self.lines.iter().filter_map(|l| l.last).map(|l| l.0);
        if let Some(month) = last_month.reduce(f64::max) {
            notes.push(String::new());
            notes.push(format!("Mean at month {}:", format_month(&month)));
            for line in &self.lines {
                if let Some((m, mean)) = line.last {
                    let when = if m < month {
                        format!(" (month {})", format_month(&m))
                    } else {
                        String::new()
                    };
                    notes.push(format!("{} {}{when}", line.label, format_percent(mean)));
                }
            }
        }
        draw_legend(&legend, "Run", &entries, &notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs() -> RunsMeta {
        RunsMeta {
            name: "baseline vs no_sale".into(),
            paths: "200 paths".into(),
            footnote: "seed 7 · 200 paths each · arrears compare".into(),
        }
    }

    #[test]
    fn draws_the_three_overlays() {
        let dir = tempfile::tempdir().unwrap();
        let months: Vec<u32> = (1..=24).collect();
        let curve = |top: f64| -> Vec<f64> {
            months
                .iter()
                .map(|&m| top * (1.0 - (-(m as f64) / 6.0).exp()))
                .collect()
        };
        let band = |v: &[f64], k: f64| v.iter().map(|x| x * k).collect::<Vec<f64>>();
        let a = curve(0.10);
        let b = curve(0.13);
        let lines = vec![
            (
                "baseline".to_string(),
                a.clone(),
                band(&a, 0.9),
                band(&a, 1.1),
            ),
            (
                "no_sale".to_string(),
                b.clone(),
                band(&b, 0.9),
                band(&b, 1.1),
            ),
        ];
        let stem = dir.path().join("recovery");
        run_recovery_overlay(&stem, &runs(), &months, &lines).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("recovery.svg")).unwrap();
        assert!(svg.contains("baseline vs no_sale: Cumulative recovery after default by run"));
        assert!(svg.contains("Months since default"));
        assert!(svg.contains("arrears compare"));

        let stem = dir.path().join("write_offs");
        let money: Vec<BandedLine> = lines
            .iter()
            .map(|(n, m, l, h)| {
                let s = |v: &[f64]| v.iter().map(|x| x * 1e7).collect::<Vec<f64>>();
                (n.clone(), s(m), s(l), s(h))
            })
            .collect();
        run_write_off_overlay(&stem, &runs(), &months, &money).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("write_offs.svg")).unwrap();
        assert!(svg.contains("Cumulative net write-offs by run"));
        assert!(svg.contains("per run"));
        assert!(!svg.contains("scenario"));

        let stem = dir.path().join("losses");
        let losses = |shift: f64| (0..200).map(|i| shift + (i % 37) as f64 * 1e3).collect();
        let series = vec![
            ("baseline".to_string(), losses(1e6), Vec::new()),
            ("no_sale".to_string(), losses(1.02e6), Vec::new()),
        ];
        run_loss_overlay(&stem, &runs(), &series).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("losses.svg")).unwrap();
        assert!(svg.contains("Net credit loss by run"));
        assert!(svg.contains("common to all runs"));
        assert!(!svg.contains("scenario"));
    }

    #[test]
    fn empty_and_mismatched_series() {
        let dir = tempfile::tempdir().unwrap();
        run_recovery_overlay(&dir.path().join("empty"), &runs(), &[], &[]).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("empty.svg")).unwrap();
        assert!(svg.contains("No recoveries to show"));
        let short = vec![("a".to_string(), vec![0.1], Vec::new(), Vec::new())];
        let err = run_recovery_overlay(&dir.path().join("bad"), &runs(), &[1, 2], &short)
            .unwrap_err()
            .to_string();
        assert!(err.contains("series `a`"), "{err}");
    }
}
