//! The data-driven line chart: a `LineChart` spec of named `Line`s (points, an optional
//! band, colour, stroke and markers), optional `Bars` under them, vertical reference lines
//! (`VLine`) labelled at the top, the axes' titles and scales, and the legend's notes, drawn
//! by one function. Recovery curves, convergence, write-offs by month, the buyer's price,
//! comparison overlays, vintage curves and the calibration's observed-against-fitted shares
//! are all specs of it.
//!
//! Presentation only: points that are not finite break a line (and its band) there; an axis
//! starts at zero unless the data's negative part is material (`super::axes::value_axis`);
//! overlapping bands are paler and outlined; a chart with nothing finite shows its `empty`
//! note.

use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::{
    TickedAxis, finite_bounds, log_ticks, month_ticks, plot_axes, redraw_axes, span_axis, ticks_in,
    value_axis,
};
use super::canvas::{
    Chart, ChartError, DrawResult, Frame, Header, Swatch, centred_note, ctx, draw_band_at,
    draw_legend, draw_line, draw_marker, draw_outlined_band, draw_vline, draw_zero_line, frame,
    line_labels, stroke_swatch, write_both,
};
use super::format::{AxisFormat, ScaledFormat, format_log_count, format_month};
use super::theme::{Marker, Stroke, band_opacity, tint};

/// How an axis's values read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scale {
    /// Money or counts: `50M`, `1,200`.
    Amount,
    /// Fractions in percent: `12%`.
    Percent,
    /// Fractions of face in cents: `7.5`.
    Cents,
    /// Whole months.
    Month,
    /// log10 of a count (paths): `100`, `1K`, `10K`.
    LogCount,
    /// Indexes 0, 1, ... named by these labels.
    Labels(Vec<String>),
}

/// How an axis fits its data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Fit {
    /// From zero (below it only where negatives are material) to the data, with this much
    /// headroom (a fraction of the span) above.
    Zero(f64),
    /// Over the data's span with this padding (a fraction) on both sides.
    Span(f64),
    /// From `start` (else the first value less `pad`) to the last value plus `pad`.
    Steps { start: Option<f64>, pad: f64 },
}

/// An axis: its title, how its values read, how it fits the data.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Axis {
    pub(crate) title: String,
    pub(crate) scale: Scale,
    pub(crate) fit: Fit,
}

impl Axis {
    pub(crate) fn new(title: impl Into<String>, scale: Scale, fit: Fit) -> Axis {
        Axis {
            title: title.into(),
            scale,
            fit,
        }
    }

    /// A month axis from `start` (or the first month less `pad`) to the last plus `pad`.
    pub(crate) fn months(title: &str, start: Option<f64>, pad: f64) -> Axis {
        Axis::new(title, Scale::Month, Fit::Steps { start, pad })
    }

    /// A value axis from zero with `headroom`.
    pub(crate) fn values(title: &str, scale: Scale, headroom: f64) -> Axis {
        Axis::new(title, scale, Fit::Zero(headroom))
    }

    /// The range and ticks for data from `lo` to `hi`.
    fn layout(&self, lo: f64, hi: f64, target: usize) -> (Range<f64>, Vec<f64>) {
        let fallback = match self.scale {
            Scale::Percent | Scale::Cents => 0.1,
            _ => 1.0,
        };
        let (range, ticks) = match self.fit {
            Fit::Zero(headroom) => value_axis(lo, hi, headroom, target, fallback),
            Fit::Span(pad) if self.scale == Scale::LogCount => {
                let (lo, hi) = if lo <= hi { (lo, hi) } else { (2.0, 4.0) };
                let pad = if hi > lo { (hi - lo) * pad } else { 0.5 };
                let range = (lo - pad)..(hi + pad);
                let ticks = log_ticks(&range);
                return (range, ticks);
            }
            Fit::Span(pad) => span_axis(lo, hi, pad, target),
            Fit::Steps { start, pad } => {
                let (lo, hi) = if lo <= hi { (lo, hi) } else { (0.0, 12.0) };
                let range = start.unwrap_or(lo - pad)..(hi + pad).max(start.unwrap_or(lo) + 1.0);
                let ticks = match self.scale {
                    Scale::Month | Scale::Labels(_) => month_ticks(&range),
                    _ => ticks_in(&range, super::axes::nice_step(range.end - range.start, 8)),
                };
                return (range, ticks);
            }
        };
        (range, ticks)
    }

    /// The tick label of `v` on an axis with these `ticks`.
    fn labeller(&self, ticks: &[f64]) -> Box<dyn Fn(&f64) -> String + '_> {
        match &self.scale {
            Scale::Amount => {
                let f = AxisFormat::new(ticks);
                Box::new(move |v| f.format(*v))
            }
            Scale::Percent => {
                let f = ScaledFormat::percent(ticks);
                Box::new(move |v| f.format(*v))
            }
            Scale::Cents => {
                let f = ScaledFormat::cents(ticks);
                Box::new(move |v| f.format(*v))
            }
            Scale::Month => Box::new(format_month),
            Scale::LogCount => Box::new(format_log_count),
            Scale::Labels(labels) => Box::new(move |v: &f64| {
                let i = v.round();
                match labels.get(i as usize) {
                    Some(label) if i >= 0.0 && (v - i).abs() < 1e-6 => label.clone(),
                    _ => String::new(),
                }
            }),
        }
    }
}

/// Where a line carries markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Markers {
    None,
    /// On every point.
    Every(Marker),
    /// At the last finite point, so overlaid lines differ by more than colour.
    End(Marker),
}

/// A named line: points sorted by x, an optional band (`(x, low, high)`; empty for none).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    /// The legend's label; empty for a line the legend leaves out.
    pub(crate) label: String,
    pub(crate) colour: RGBColor,
    pub(crate) stroke: Stroke,
    pub(crate) markers: Markers,
    pub(crate) points: Vec<(f64, f64)>,
    pub(crate) band: Vec<(f64, f64, f64)>,
}

impl Line {
    /// A solid line through `(xs[i], ys[i])`, in x order.
    pub(crate) fn new(label: &str, colour: RGBColor, xs: &[f64], ys: &[f64]) -> Line {
        let mut points: Vec<(f64, f64)> = xs.iter().copied().zip(ys.iter().copied()).collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        Line {
            label: label.to_string(),
            colour,
            stroke: Stroke::Solid,
            markers: Markers::None,
            points,
            band: Vec::new(),
        }
    }

    /// With a band from `low` to `high` at the same xs; empty slices for none.
    pub(crate) fn band(mut self, xs: &[f64], low: &[f64], high: &[f64]) -> Line {
        self.band = xs
            .iter()
            .zip(low.iter().zip(high))
            .map(|(&x, (&a, &b))| (x, a, b))
            .collect();
        self.band.sort_by(|a, b| a.0.total_cmp(&b.0));
        self
    }

    pub(crate) fn stroke(mut self, stroke: Stroke) -> Line {
        self.stroke = stroke;
        self
    }

    pub(crate) fn markers(mut self, markers: Markers) -> Line {
        self.markers = markers;
        self
    }

    /// The last point with a finite value.
    pub(crate) fn last(&self) -> Option<(f64, f64)> {
        self.points
            .iter()
            .rev()
            .find(|p| p.0.is_finite() && p.1.is_finite())
            .copied()
    }
}

/// Bars from zero at each x, `width` (in x units) wide.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bars {
    pub(crate) label: String,
    pub(crate) colour: RGBColor,
    pub(crate) width: f64,
    pub(crate) points: Vec<(f64, f64)>,
}

/// A value marked by a vertical line, labelled at the top of the plot and in the legend.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VLine {
    pub(crate) x: f64,
    pub(crate) label: String,
    pub(crate) colour: RGBColor,
    pub(crate) stroke: Stroke,
}

/// A line chart, ready to draw. See the module documentation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LineChart {
    pub(crate) header: Header,
    pub(crate) x: Axis,
    pub(crate) y: Axis,
    pub(crate) bars: Vec<Bars>,
    pub(crate) lines: Vec<Line>,
    pub(crate) vlines: Vec<VLine>,
    /// The legend entry of the bands (a swatch in the first band's colour); empty for none.
    pub(crate) band_label: String,
    pub(crate) legend: String,
    pub(crate) notes: Vec<String>,
    /// What the chart says when it has nothing to show.
    pub(crate) empty: String,
}

impl LineChart {
    /// A chart of `lines` with no bars, marked values, band entry or notes.
    pub(crate) fn new(header: Header, x: Axis, y: Axis, lines: Vec<Line>) -> LineChart {
        LineChart {
            header,
            x,
            y,
            bars: Vec::new(),
            lines,
            vlines: Vec::new(),
            band_label: String::new(),
            legend: String::new(),
            notes: Vec::new(),
            empty: "Nothing to show".to_string(),
        }
    }

    /// Writes `{stem}.png` and `{stem}.svg`.
    pub(crate) fn write(&self, stem: &Path) -> Result<(), ChartError> {
        write_both(stem, self)
    }

    fn ys(&self) -> impl Iterator<Item = &f64> {
        let lines = self.lines.iter().flat_map(|l| {
            l.points
                .iter()
                .map(|p| &p.1)
                .chain(l.band.iter().flat_map(|b| [&b.1, &b.2]))
        });
        let bars = self.bars.iter().flat_map(|b| b.points.iter().map(|p| &p.1));
        lines.chain(bars)
    }

    fn xs(&self) -> impl Iterator<Item = &f64> {
        let lines = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| &p.0));
        let bars = self.bars.iter().flat_map(|b| b.points.iter().map(|p| &p.0));
        lines.chain(bars).chain(self.vlines.iter().map(|v| &v.x))
    }
}

impl Chart for LineChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let Frame { plot, legend } = frame(root, &self.header)?;
        let (lo, hi) = finite_bounds(self.ys());
        let empty = lo > hi;
        let (y_range, y_ticks) = self.y.layout(lo, hi, 7);
        let (x_lo, x_hi) = finite_bounds(self.xs());
        let (x_range, x_ticks) = self.x.layout(x_lo, x_hi, 8);
        let (x_label, y_label) = (self.x.labeller(&x_ticks), self.y.labeller(&y_ticks));
        let mut chart = plot_axes(
            &plot,
            TickedAxis::new(&x_range, &x_ticks),
            TickedAxis::new(&y_range, &y_ticks),
            (&self.x.title, &self.y.title),
            &*x_label,
            &*y_label,
        )?;
        for bars in &self.bars {
            let half = bars.width / 2.0;
            chart
                .draw_series(
                    bars.points
                        .iter()
                        .filter(|(x, y)| x.is_finite() && y.is_finite() && *y != 0.0)
                        .map(|&(x, y)| {
                            Rectangle::new([(x - half, 0.0), (x + half, y)], bars.colour.filled())
                        }),
                )
                .map_err(ctx("drawing the bars"))?;
        }
        let banded = self.lines.iter().filter(|l| !l.band.is_empty()).count();
        for line in &self.lines {
            if banded > 1 {
                draw_outlined_band(&mut chart, &line.band, line.colour, band_opacity(banded))?;
            } else {
                draw_band_at(&mut chart, &line.band, line.colour, band_opacity(banded))?;
            }
        }
        let vlines: Vec<&VLine> = self
            .vlines
            .iter()
            .filter(|v| !empty && v.x.is_finite())
            .collect();
        for v in &vlines {
            draw_vline(&mut chart, v.x, &y_range, v.colour, v.stroke)?;
        }
        for line in &self.lines {
            let every = match line.markers {
                Markers::Every(m) => Some(m),
                _ => None,
            };
            draw_line(
                root,
                &mut chart,
                &line.points,
                line.colour,
                line.stroke,
                every,
            )?;
            if let (Markers::End(m), Some(p)) = (line.markers, line.last()) {
                let at = chart.backend_coord(&p);
                draw_marker(root, at, m, line.colour, 7)?;
            }
        }
        draw_zero_line(&mut chart, &x_range, &y_range)?;
        redraw_axes(&chart, &x_range, &y_range)?;
        let pixels = chart.plotting_area().get_pixel_range();
        if empty {
            return centred_note(root, pixels, &self.empty);
        }
        let labels: Vec<(f64, String, RGBColor)> = vlines
            .iter()
            .map(|v| (v.x, v.label.clone(), v.colour))
            .collect();
        let top = y_range.end;
        line_labels(root, &pixels, &labels, |x| chart.backend_coord(&(x, top)).0)?;

        let mut entries: Vec<(Swatch, String)> = self
            .bars
            .iter()
            .map(|b| (Swatch::Box(b.colour), b.label.clone()))
            .collect();
        for line in self.lines.iter().filter(|l| !l.label.is_empty()) {
            let swatch = match line.markers {
                Markers::Every(m) | Markers::End(m) => Swatch::LineMarker(line.colour, m),
                Markers::None => stroke_swatch(line.stroke, line.colour),
            };
            entries.push((swatch, line.label.clone()));
        }
        if let Some(first) = self.lines.iter().find(|l| !l.band.is_empty())
            && !self.band_label.is_empty()
        {
            let swatch = Swatch::Box(tint(first.colour, band_opacity(banded)));
            entries.push((swatch, self.band_label.clone()));
        }
        for v in &vlines {
            entries.push((stroke_swatch(v.stroke, v.colour), v.label.clone()));
        }
        draw_legend(&legend, &self.legend, &entries, &self.notes)
    }
}

/// `y` at `x` on the line through `(xs[i], ys[i])` (xs ascending): linear between neighbours,
/// none where the line has a gap or outside it.
pub(crate) fn interpolate(xs: &[f64], ys: &[f64], x: f64) -> Option<f64> {
    let points: Vec<(f64, f64)> = xs.iter().copied().zip(ys.iter().copied()).collect();
    let finite = |&(a, b): &(f64, f64)| a.is_finite() && b.is_finite();
    if let Some(&(_, y)) = points.iter().find(|p| finite(p) && p.0 == x) {
        return Some(y);
    }
    points.windows(2).find_map(|w| {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        (finite(&w[0]) && finite(&w[1]) && x0 < x && x < x1)
            .then(|| y0 + (y1 - y0) * (x - x0) / (x1 - x0))
    })
}

#[cfg(test)]
mod tests {
    use super::super::bar::{BarChart, BarSeries};
    use super::super::histogram::{Histogram, HistogramSeries};
    use super::super::testing::meta;
    use super::super::theme::{OI_BLUE, OI_ORANGE};
    use super::*;

    fn chart(lines: Vec<Line>) -> LineChart {
        let header = meta().header("Recovery", "A subtitle".into());
        let y = Axis::values("Share", Scale::Percent, 0.08);
        LineChart {
            empty: "Nothing to see".into(),
            ..LineChart::new(header, Axis::months("Month", Some(0.0), 0.0), y, lines)
        }
    }

    fn svg(dir: &Path, stem: &str) -> String {
        std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap()
    }

    #[test]
    fn lines_bands_and_marked_values_draw_and_degenerate_inputs_do_not_panic() {
        let dir = tempfile::tempdir().unwrap();
        let xs: Vec<f64> = (1..=24).map(f64::from).collect();
        let ys: Vec<f64> = xs
            .iter()
            .map(|m| 0.115 * (1.0 - (-m / 7.0).exp()))
            .collect();
        let low: Vec<f64> = ys.iter().map(|y| y * 0.9).collect();
        let mut full = chart(vec![
            Line::new("Mean", OI_BLUE, &xs, &ys).band(&xs, &low, &ys),
            Line::new("Other", OI_ORANGE, &xs, &low).markers(Markers::End(Marker::Square)),
        ]);
        full.vlines.push(VLine {
            x: 12.0,
            label: "Debt sale".into(),
            colour: OI_ORANGE,
            stroke: Stroke::Dashed,
        });
        full.write(&dir.path().join("full")).unwrap();
        let text = svg(dir.path(), "full");
        assert!(text.contains("Base case: Recovery") && text.contains("Debt sale"));
        assert!(text.contains("seed 42 · 1,000 paths · arrears") && !text.contains("e+"));

        let nan = f64::NAN;
        let cases: [(&str, Vec<f64>, Vec<f64>); 4] = [
            ("empty", vec![], vec![]),
            ("one", vec![3.0], vec![0.05]),
            (
                "gaps",
                vec![3.0, 1.0, 2.0, 4.0],
                vec![0.1, nan, f64::INFINITY, 0.2],
            ),
            ("all_nan", vec![1.0, 2.0], vec![nan, nan]),
        ];
        for (name, xs, ys) in cases {
            chart(vec![Line::new("x", OI_BLUE, &xs, &ys)])
                .write(&dir.path().join(name))
                .unwrap();
        }
        assert!(svg(dir.path(), "all_nan").contains("Nothing to see"));
    }

    #[test]
    fn histograms_and_bars_draw_and_check_their_lengths() {
        let dir = tempfile::tempdir().unwrap();
        let values: Vec<f64> = (0..500).map(|i| 1e6 + (i % 37) as f64 * 1e4).collect();
        let series = |weights: Vec<f64>| HistogramSeries {
            label: "a".into(),
            colour: OI_BLUE,
            values: values.clone(),
            weights,
        };
        for (name, log, series) in [
            ("plain", false, vec![series(Vec::new())]),
            ("log", true, vec![series(vec![0.5; 500])]),
            ("two", false, vec![series(Vec::new()), series(Vec::new())]),
            ("none", true, Vec::new()),
        ] {
            let chart = Histogram {
                header: Default::default(),
                x_title: "Loss".into(),
                series,
                vlines: Vec::new(),
                log,
                legend: String::new(),
                notes: Vec::new(),
            };
            chart.write(&dir.path().join(name)).unwrap();
        }
        assert!(svg(dir.path(), "log").contains("Importance-weighted"));
        assert!(svg(dir.path(), "none").contains("No paths to show"));

        let bars = BarChart {
            header: Default::default(),
            x_title: "Sale point".into(),
            y_title: "Value".into(),
            categories: vec!["90 DPD".into(), "180 DPD".into()],
            series: vec![BarSeries {
                label: "hold".into(),
                values: vec![0.14, f64::NAN],
                errors: vec![0.003, -1.0],
            }],
            legend: "Disposition".into(),
        };
        bars.write(&dir.path().join("bars")).unwrap();
        assert!(svg(dir.path(), "bars").contains("14.0"));
        let short = BarChart {
            categories: vec!["90 DPD".into()],
            ..bars
        };
        let err = short
            .write(&dir.path().join("bad"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("series `hold` has 2 values"), "{err}");
    }
}
