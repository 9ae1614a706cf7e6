//! The grouped bar chart: one group of bars per category (a sale point), one bar per series
//! (a disposition) in each, with error bars of ±2 standard errors and, where they fit, value
//! labels. Values are fractions of face shown in cents (or percent).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axes::{TickedAxis, finite_bounds, plot_axes, redraw_axes, value_axis};
use super::canvas::{
    Chart, ChartError, DrawResult, Frame, Header, Swatch, centred_note, ctx, draw_legend,
    draw_zero_line, frame, write_both,
};
use super::format::{ScaledFormat, format_cents};
use super::theme::{OI_BLACK, TICK_SIZE, anchored, font, series_colour};

/// Share of a category's width taken by its group of bars.
const GROUP_WIDTH: f64 = 0.8;

/// One series: a value and a standard error per category (NaN: no bar; a standard error that
/// is not finite and positive: no error bar).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BarSeries {
    pub(crate) label: String,
    pub(crate) values: Vec<f64>,
    pub(crate) errors: Vec<f64>,
}

/// A grouped bar chart ready to draw; series take the palette in order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BarChart {
    pub(crate) header: Header,
    pub(crate) x_title: String,
    pub(crate) y_title: String,
    pub(crate) categories: Vec<String>,
    pub(crate) series: Vec<BarSeries>,
    pub(crate) legend: String,
}

impl BarChart {
    /// Writes `{stem}.png` and `{stem}.svg`; an error unless every series has one value and
    /// one error per category.
    pub(crate) fn write(&self, stem: &Path) -> Result<(), ChartError> {
        let n = self.categories.len();
        if let Some(s) = self
            .series
            .iter()
            .find(|s| s.values.len() != n || s.errors.len() != n)
        {
            return Err(ChartError::Draw {
                path: super::canvas::file_with_ext(stem, "png"),
                message: format!(
                    "series `{}` has {} values and {} standard errors for {n} categories",
                    s.label,
                    s.values.len(),
                    s.errors.len()
                ),
            });
        }
        write_both(stem, self)
    }

    /// Centre and half width of bar `j` of `n` in group `i`; a lone bar is as wide as one of
    /// a pair.
    fn bar(i: usize, j: usize, n: usize) -> (f64, f64) {
        let slot = GROUP_WIDTH / n.max(2) as f64;
        let centre = i as f64 - slot * n as f64 / 2.0 + (j as f64 + 0.5) * slot;
        (centre, slot * 0.42)
    }
}

impl Chart for BarChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let Frame { plot, legend } = frame(root, &self.header)?;
        let mut bounds = Vec::new();
        for s in &self.series {
            for (&v, &se) in s
                .values
                .iter()
                .zip(&s.errors)
                .filter(|(v, _)| v.is_finite())
            {
                bounds.push(v);
                if se.is_finite() && se > 0.0 {
                    bounds.extend([v - 2.0 * se, v + 2.0 * se]);
                }
            }
        }
        let (lo, hi) = finite_bounds(&bounds);
        // Headroom for the value labels above the bars.
        let (y_range, y_ticks) = value_axis(lo, hi, 0.1, 8, 0.1);
        let x_range = -0.5..(self.categories.len().max(1) as f64 - 0.5);
        let x_ticks: Vec<f64> = (0..self.categories.len()).map(|i| i as f64).collect();
        let y_format = ScaledFormat::cents(&y_ticks);
        let point_label = |v: &f64| {
            let i = v.round();
            match self.categories.get(i as usize) {
                Some(label) if i >= 0.0 && (v - i).abs() < 1e-6 => label.clone(),
                _ => String::new(),
            }
        };
        let mut chart = plot_axes(
            &plot,
            TickedAxis::new(&x_range, &x_ticks),
            TickedAxis::new(&y_range, &y_ticks),
            (&self.x_title, &self.y_title),
            &point_label,
            &|v| y_format.format(*v),
        )?;

        let n = self.series.len();
        for (j, BarSeries { values, .. }) in self.series.iter().enumerate() {
            let colour = series_colour(j);
            chart
                .draw_series(
                    values
                        .iter()
                        .enumerate()
                        .filter(|(_, v)| v.is_finite())
                        .map(|(i, &v)| {
                            let (c, half) = BarChart::bar(i, j, n);
                            Rectangle::new([(c - half, 0.0), (c + half, v)], colour.filled())
                        }),
                )
                .map_err(ctx("drawing the bars"))?;
        }
        draw_zero_line(&mut chart, &x_range, &y_range)?;
        redraw_axes(&chart, &x_range, &y_range)?;

        // Error bars, then value labels if every label fits over its bar.
        let label_style = font(TICK_SIZE - 4.0);
        let slot_px = {
            let (c0, _) = BarChart::bar(0, 0, n);
            let (c1, _) = BarChart::bar(0, 1, n);
            chart.backend_coord(&(c1, 0.0)).0 - chart.backend_coord(&(c0, 0.0)).0
        };
        let mut widest = 0;
        for BarSeries { values, .. } in &self.series {
            for v in values.iter().filter(|v| v.is_finite()) {
                let (w, _) = root
                    .estimate_text_size(&format_cents(*v), &label_style)
                    .map_err(ctx("measuring a label"))?;
                widest = widest.max(w as i32);
            }
        }
        let show_labels = widest + 4 <= slot_px;
        for (j, BarSeries { values, errors, .. }) in self.series.iter().enumerate() {
            for (i, (&v, &se)) in values.iter().zip(errors).enumerate() {
                if !v.is_finite() {
                    continue;
                }
                let (c, half) = BarChart::bar(i, j, n);
                let se = if se.is_finite() && se > 0.0 { se } else { 0.0 };
                let (lo, hi) = (v - 2.0 * se, v + 2.0 * se);
                if se > 0.0 {
                    let cap = half * 0.45;
                    let style = OI_BLACK.stroke_width(2);
                    chart
                        .draw_series([
                            PathElement::new(vec![(c, lo), (c, hi)], style),
                            PathElement::new(vec![(c - cap, lo), (c + cap, lo)], style),
                            PathElement::new(vec![(c - cap, hi), (c + cap, hi)], style),
                        ])
                        .map_err(ctx("drawing an error bar"))?;
                }
                if show_labels {
                    let (text, y, v_pos, dy) = if v >= 0.0 {
                        (format_cents(v), hi.max(0.0), VPos::Bottom, -6)
                    } else {
                        (format_cents(v), lo.min(0.0), VPos::Top, 6)
                    };
                    let (px, py) = chart.backend_coord(&(c, y));
                    root.draw_text(
                        &text,
                        &anchored(label_style.clone(), HPos::Center, v_pos),
                        (px, py + dy),
                    )
                    .map_err(ctx("drawing a value label"))?;
                }
            }
        }

        if lo > hi {
            return centred_note(
                root,
                chart.plotting_area().get_pixel_range(),
                "No values to show",
            );
        }
        let entries: Vec<(Swatch, String)> = self
            .series
            .iter()
            .enumerate()
            .map(|(j, s)| (Swatch::Box(series_colour(j)), s.label.clone()))
            .collect();
        let mut notes = Vec::new();
        if show_labels {
            notes.push("Labels: mean, in cents".to_string());
        }
        notes.push("Error bars: ±2 standard errors of the mean".to_string());
        draw_legend(&legend, &self.legend, &entries, &notes)
    }
}
