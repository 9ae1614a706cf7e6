//! The stacked area chart: series stacked by month (bottom first), each band its own polygon
//! with thin white edges between bands, and optional lines over them on the same axis, drawn
//! over a white halo so they stay visible across the areas. The balance by state and the
//! stage flow (accounts by collection stage, with the month's flows as lines) are specs of it.
//! Non-finite and negative values stack as zero; a lone month is drawn as a bar.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::{TickedAxis, month_axis, plot_axes, redraw_axes, value_axis};
use super::canvas::{
    Chart, ChartError, DrawResult, Frame, Header, Swatch, centred_note, ctx, draw_legend,
    file_with_ext, frame, stroke_swatch, write_both,
};
use super::format::{AxisFormat, format_month};
use super::theme::Stroke;

/// A stacked series: one value per month.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Area {
    pub(crate) label: String,
    pub(crate) colour: RGBColor,
    pub(crate) values: Vec<f64>,
}

/// A line over the areas: one value per month (NaN where it has none).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Overlay {
    pub(crate) label: String,
    pub(crate) colour: RGBColor,
    pub(crate) stroke: Stroke,
    pub(crate) values: Vec<f64>,
}

/// A stacked area chart ready to draw over `months`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StackedChart {
    pub(crate) header: Header,
    pub(crate) y_title: String,
    pub(crate) months: Vec<u32>,
    /// Bottom of the stack first; the legend lists them top first, as they appear.
    pub(crate) areas: Vec<Area>,
    pub(crate) lines: Vec<Overlay>,
    /// Legend headings of the areas and of the lines.
    pub(crate) legends: (String, String),
    pub(crate) notes: Vec<String>,
    pub(crate) empty: String,
}

impl StackedChart {
    /// Writes `{stem}.png` and `{stem}.svg`; an error unless every series has one value per
    /// month.
    pub(crate) fn write(&self, stem: &Path) -> Result<(), ChartError> {
        let lengths = self.areas.iter().map(|a| (&a.label, a.values.len()));
        let lengths = lengths.chain(self.lines.iter().map(|l| (&l.label, l.values.len())));
        for (label, len) in lengths {
            if len != self.months.len() {
                return Err(ChartError::Draw {
                    path: file_with_ext(stem, "png"),
                    message: format!(
                        "series `{label}` has {len} values for {} months",
                        self.months.len()
                    ),
                });
            }
        }
        write_both(stem, self)
    }
}

impl Chart for StackedChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let Frame { plot, legend } = frame(root, &self.header)?;
        let mut order: Vec<usize> = (0..self.months.len()).collect();
        order.sort_by_key(|&i| self.months[i]);
        let xs: Vec<f64> = order.iter().map(|&i| f64::from(self.months[i])).collect();
        let clean = |v: f64| if v.is_finite() && v > 0.0 { v } else { 0.0 };
        let mut running = vec![0.0; xs.len()];
        let mut bands = Vec::new();
        for area in &self.areas {
            let lower = running.clone();
            for (k, &i) in order.iter().enumerate() {
                running[k] += clean(area.values[i]);
            }
            bands.push((area, lower, running.clone()));
        }
        let lines: Vec<Vec<(f64, f64)>> = self
            .lines
            .iter()
            .map(|l| {
                order
                    .iter()
                    .map(|&i| (f64::from(self.months[i]), l.values[i]))
                    .filter(|(_, y)| y.is_finite())
                    .collect()
            })
            .collect();
        let top = lines
            .iter()
            .flatten()
            .map(|p| p.1)
            .chain(running.iter().copied())
            .fold(0.0, f64::max);
        let (y_range, y_ticks) = value_axis(0.0, top, 0.05, 6, 1.0);
        let (x_range, x_ticks) = match (xs.first(), xs.last()) {
            (Some(&lo), Some(&hi)) if xs.len() > 1 => month_axis(lo, hi),
            (Some(&m), _) => ((m - 1.0)..(m + 1.0), vec![m]),
            _ => month_axis(0.0, 12.0),
        };
        let y_format = AxisFormat::new(&y_ticks);
        let mut chart = plot_axes(
            &plot,
            TickedAxis::new(&x_range, &x_ticks),
            TickedAxis::new(&y_range, &y_ticks),
            ("Month", &self.y_title),
            &format_month,
            &|v| y_format.format(*v),
        )?;
        for (area, lower, upper) in &bands {
            if !upper.iter().zip(lower).any(|(u, l)| u - l > 0.0) {
                continue;
            }
            let outline: Vec<(f64, f64)> = if xs.len() == 1 {
                // One month: a bar, so the stack still shows.
                let (x, lo, hi) = (xs[0], lower[0], upper[0]);
                vec![(x - 0.3, lo), (x - 0.3, hi), (x + 0.3, hi), (x + 0.3, lo)]
            } else {
                let up = xs.iter().copied().zip(upper.iter().copied());
                up.chain(xs.iter().copied().zip(lower.iter().copied()).rev())
                    .collect()
            };
            chart
                .draw_series(std::iter::once(Polygon::new(outline, area.colour.filled())))
                .map_err(ctx("drawing a band"))?;
        }
        // Thin white edges between bands, drawn last so every boundary shows.
        for (_, _, upper) in bands.iter().take(bands.len().saturating_sub(1)) {
            if xs.len() > 1 && upper.iter().any(|&u| u > 0.0) {
                let edge: Vec<(f64, f64)> = xs.iter().copied().zip(upper.iter().copied()).collect();
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        edge,
                        WHITE.stroke_width(1),
                    )))
                    .map_err(ctx("drawing a band edge"))?;
            }
        }
        for (line, points) in self.lines.iter().zip(&lines) {
            if let [p] = points[..] {
                chart
                    .draw_series([
                        Circle::new(p, 7, WHITE.filled()),
                        Circle::new(p, 5, line.colour.filled()),
                    ])
                    .map_err(ctx("drawing a line"))?;
                continue;
            }
            // A white halo, dashed like its line so the gaps stay open.
            for (colour, width) in [(WHITE, 7), (line.colour, 3)] {
                let style = colour.stroke_width(width);
                let points = points.clone();
                match line.stroke {
                    Stroke::Solid => chart.draw_series(LineSeries::new(points, style)),
                    Stroke::Dashed => {
                        chart.draw_series(DashedLineSeries::new(points, 14, 8, style))
                    }
                    Stroke::Dotted => chart.draw_series(DashedLineSeries::new(points, 4, 6, style)),
                }
                .map_err(ctx("drawing a line"))?;
            }
        }
        redraw_axes(&chart, &x_range, &y_range)?;
        if xs.is_empty() || top <= 0.0 {
            centred_note(root, chart.plotting_area().get_pixel_range(), &self.empty)?;
        }

        let area_entries: Vec<(Swatch, String)> = self
            .areas
            .iter()
            .rev()
            .map(|a| (Swatch::Box(a.colour), a.label.clone()))
            .collect();
        if self.lines.is_empty() {
            return draw_legend(&legend, &self.legends.0, &area_entries, &self.notes);
        }
        // Areas on top, lines below them, each with its heading.
        let (_, legend_h) = legend.dim_in_pixel();
        let split = (30 + 42 + 38 * self.areas.len() as u32 + 16).min(legend_h);
        let (area_legend, line_legend) = legend.split_vertically(split);
        draw_legend(&area_legend, &self.legends.0, &area_entries, &[])?;
        let line_entries: Vec<(Swatch, String)> = self
            .lines
            .iter()
            .map(|l| (stroke_swatch(l.stroke, l.colour), l.label.clone()))
            .collect();
        draw_legend(&line_legend, &self.legends.1, &line_entries, &self.notes)
    }
}
