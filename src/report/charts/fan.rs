//! The fan chart of balances by state: small multiples, one panel per state, each with its own
//! y axis, the 5th-95th percentile band across paths, the median and the mean, in the state's
//! colour (the colours of the balance-by-state chart).
//!
//! Drawing only: the caller hands over the percentiles per month (from the run's timeline).
//! The panel grid is chosen from the number of states so panels stay wide enough for their
//! tick labels; month ticks are thinned to what a panel holds.
//!
//! Main types: [`FanSeries`]; written by [`balance_fan`].

use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontTransform;
use plotters::style::text_anchor::{HPos, VPos};

use super::ChartMeta;
use super::axes::{TickedAxis, finite_bounds, redraw_axes, ticks_in, value_axis};
use super::canvas::{
    Chart, ChartError, DrawResult, Frame, Swatch, centred_note, ctx, draw_band_at, draw_legend,
    draw_line, file_with_ext, fit_text, frame, write_both,
};
use super::format::{AxisFormat, count_of, format_month};
use super::theme::{
    AXIS, AXIS_TITLE_SIZE, BAND_OPACITY, CHARGED_OFF_GREY, GRID, SOLD_GREY, SUBTLE_TEXT, Stroke,
    anchored, bold, font, tint,
};

/// One state's balance across paths, one value per month of the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct FanSeries {
    /// The state's display name.
    pub state: String,
    /// The state's collection stage, if it has one.
    pub stage: Option<String>,
    /// The state's colour (the theme's `super::theme::state_colour`).
    pub colour: RGBColor,
    pub mean: Vec<f64>,
    pub p5: Vec<f64>,
    pub p50: Vec<f64>,
    pub p95: Vec<f64>,
}

impl FanSeries {
    /// `dpd 1-30 (early)`: the state and its stage.
    pub(crate) fn title(&self) -> String {
        match self.stage.as_deref().map(str::trim) {
            Some(stage) if !stage.is_empty() => format!("{} ({stage})", self.state),
            _ => self.state.clone(),
        }
    }
}

/// Writes `{stem}.png` and `{stem}.svg`: one panel per series, in the given order, over
/// `months` (0..=H). Every series needs one value per month; non-finite values are left out.
pub fn balance_fan(
    stem: &Path,
    meta: &ChartMeta,
    months: &[u32],
    series: &[FanSeries],
) -> Result<(), ChartError> {
    for s in series {
        for (what, values) in [
            ("mean", &s.mean),
            ("p5", &s.p5),
            ("p50", &s.p50),
            ("p95", &s.p95),
        ] {
            if values.len() != months.len() {
                return Err(ChartError::Draw {
                    path: file_with_ext(stem, "png"),
                    message: format!(
                        "series `{}` has {} {what} values for {} months",
                        s.state,
                        values.len(),
                        months.len()
                    ),
                });
            }
        }
    }
    write_both(stem, &FanChart::new(meta, months, series))
}

/// Panel title and tick label sizes: smaller than a full chart's, for small multiples.
const PANEL_TITLE_SIZE: f64 = 21.0;
const PANEL_TICK_SIZE: f64 = 18.0;
/// Height of a panel's title strip.
const PANEL_TITLE_HEIGHT: u32 = 34;
/// Room left of the panel grid for the shared y axis title, and below it for the month title.
const Y_TITLE_WIDTH: u32 = 40;
const X_TITLE_HEIGHT: u32 = 40;
/// Width of a panel's y tick labels (`250.5M` at the panel tick size) and height of its month
/// labels.
const PANEL_Y_LABELS: u32 = 80;
const PANEL_X_LABELS: u32 = 32;
/// At least this many pixels between month tick labels of a panel.
const MONTH_LABEL_SPACING: f64 = 58.0;

struct Panel {
    title: String,
    /// Band and fill colour, and the (darker where pale) line colour.
    colour: RGBColor,
    line: RGBColor,
    band_opacity: f64,
    band: Vec<(f64, f64, f64)>,
    mean: Vec<(f64, f64)>,
    median: Vec<(f64, f64)>,
    y_range: Range<f64>,
    y_ticks: Vec<f64>,
    note: Option<&'static str>,
}

struct FanChart {
    meta: ChartMeta,
    panels: Vec<Panel>,
    x_range: Range<f64>,
    /// (columns, rows) of the grid.
    grid: (usize, usize),
}

/// Columns and rows for `n` panels: as even a grid as keeps panels at least about 300 pixels
/// wide (four columns) and two to three panels high.
fn grid_for(n: usize) -> (usize, usize) {
    let cols = match n {
        0 | 1 => 1,
        2 => 2,
        3 => 3,
        4 => 2,
        5 | 6 => 3,
        7 | 8 => 4,
        9 => 3,
        _ => 4,
    };
    (cols, n.max(1).div_ceil(cols))
}

/// A line colour that shows on white: pale fills (yellow and the yellower buckets) are
/// darkened, and the charged-off grey takes the darker grey of `sold`.
fn line_colour(colour: RGBColor) -> RGBColor {
    if colour == CHARGED_OFF_GREY {
        return SOLD_GREY;
    }
    let lum = (0.2126 * f64::from(colour.0)
        + 0.7152 * f64::from(colour.1)
        + 0.0722 * f64::from(colour.2))
        / 255.0;
    if lum > 0.7 {
        let dark = |c: u8| (f64::from(c) * 0.7).round() as u8;
        RGBColor(dark(colour.0), dark(colour.1), dark(colour.2))
    } else {
        colour
    }
}

/// Month ticks for a panel `width` pixels wide: every 1, 2, 3, 6, 12... months, as many as fit
/// with [`MONTH_LABEL_SPACING`] between them.
fn panel_month_ticks(range: &Range<f64>, width: f64) -> Vec<f64> {
    let span = (range.end - range.start).max(1.0);
    let most = (width / MONTH_LABEL_SPACING).floor().max(1.0);
    let step = [
        1.0, 2.0, 3.0, 6.0, 12.0, 24.0, 36.0, 60.0, 120.0, 240.0, 600.0,
    ]
    .into_iter()
    .find(|&s| span / s <= most)
    .unwrap_or(1200.0);
    ticks_in(range, step)
}

impl FanChart {
    fn new(meta: &ChartMeta, months: &[u32], series: &[FanSeries]) -> FanChart {
        let xs: Vec<f64> = months.iter().map(|&m| f64::from(m)).collect();
        let (lo, hi) = finite_bounds(&xs);
        let x_range = if lo <= hi {
            lo..hi.max(lo + 1.0)
        } else {
            0.0..12.0
        };
        let panels = series
            .iter()
            .map(|s| {
                let (colour, title) = (s.colour, s.title());
                let points = |v: &[f64]| -> Vec<(f64, f64)> {
                    xs.iter().copied().zip(v.iter().copied()).collect()
                };
                let band: Vec<(f64, f64, f64)> = xs
                    .iter()
                    .zip(s.p5.iter().zip(&s.p95))
                    .map(|(&x, (&a, &b))| (x, a, b))
                    .collect();
                let (lo, hi) =
                    finite_bounds(s.mean.iter().chain(&s.p5).chain(&s.p50).chain(&s.p95));
                let note = if lo > hi {
                    Some("No balances")
                } else if lo == 0.0 && hi == 0.0 {
                    Some("No balance")
                } else {
                    None
                };
                // An empty panel marks only its zero, so it shows no scale it does not have.
                let (y_range, y_ticks) = match note {
                    Some(_) => (0.0..1.0, vec![0.0]),
                    None => value_axis(lo, hi, 0.06, 4, 1.0),
                };
                Panel {
                    title,
                    colour,
                    line: line_colour(colour),
                    // A pale colour needs more of itself to show as a band.
                    band_opacity: if line_colour(colour) == colour || colour == CHARGED_OFF_GREY {
                        BAND_OPACITY
                    } else {
                        2.0 * BAND_OPACITY
                    },
                    band,
                    mean: points(&s.mean),
                    median: points(&s.p50),
                    y_range,
                    y_ticks,
                    note,
                }
            })
            .collect::<Vec<_>>();
        FanChart {
            meta: meta.clone(),
            grid: grid_for(panels.len()),
            panels,
            x_range,
        }
    }

    fn draw_panel<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        area: &DrawingArea<DB, Shift>,
        panel: &Panel,
    ) -> DrawResult {
        let (title_area, body) = area.split_vertically(PANEL_TITLE_HEIGHT);
        // A swatch of the state's colour, then its name (and stage).
        let swatch_x = PANEL_Y_LABELS as i32 - 8;
        title_area
            .draw(&Rectangle::new(
                [(swatch_x, 9), (swatch_x + 16, 25)],
                panel.colour.filled(),
            ))
            .map_err(ctx("drawing a panel title"))?;
        let (w, _) = title_area.dim_in_pixel();
        let style = anchored(bold(PANEL_TITLE_SIZE), HPos::Left, VPos::Center);
        let title = fit_text(&title_area, &panel.title, &style, w as i32 - swatch_x - 30);
        title_area
            .draw_text(&title, &style, (swatch_x + 24, 18))
            .map_err(ctx("drawing a panel title"))?;

        let (body_w, _) = body.dim_in_pixel();
        let plot_w = f64::from(body_w.saturating_sub(PANEL_Y_LABELS + 18));
        let x_ticks = panel_month_ticks(&self.x_range, plot_w);
        let y_format = AxisFormat::new(&panel.y_ticks);
        let mut chart = ChartBuilder::on(&body)
            .margin_top(6)
            .margin_right(18)
            .margin_bottom(4)
            .x_label_area_size(PANEL_X_LABELS)
            .y_label_area_size(PANEL_Y_LABELS)
            .build_cartesian_2d(
                TickedAxis::new(&self.x_range, &x_ticks),
                TickedAxis::new(&panel.y_range, &panel.y_ticks),
            )
            .map_err(ctx("building a panel"))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(AXIS.stroke_width(1))
            .set_all_tick_mark_size(5)
            .label_style(font(PANEL_TICK_SIZE))
            .x_label_formatter(&format_month)
            .y_label_formatter(&|v| y_format.format(*v))
            .draw()
            .map_err(ctx("drawing a panel's axes"))?;
        draw_band_at(&mut chart, &panel.band, panel.colour, panel.band_opacity)?;
        let solid = Stroke::Solid;
        draw_line(
            root,
            &mut chart,
            &panel.median,
            panel.line,
            Stroke::Dashed,
            None,
        )?;
        draw_line(root, &mut chart, &panel.mean, panel.line, solid, None)?;
        redraw_axes(&chart, &self.x_range, &panel.y_range)?;
        if let Some(note) = panel.note {
            let (xs, ys) = chart.plotting_area().get_pixel_range();
            let base = area.get_base_pixel();
            area.draw_text(
                note,
                &anchored(
                    font(PANEL_TICK_SIZE).color(&SUBTLE_TEXT),
                    HPos::Center,
                    VPos::Center,
                ),
                (
                    (xs.start + xs.end) / 2 - base.0,
                    (ys.start + ys.end) / 2 - base.1,
                ),
            )
            .map_err(ctx("drawing a panel note"))?;
        }
        Ok(())
    }
}

impl Chart for FanChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let subtitle = format!(
            "Balance at each month end across {}: mean, median and 5th-95th percentile; each panel on its own scale",
            count_of(self.meta.paths, "path")
        );
        let header = self
            .meta
            .header("Balance by state, with its spread", subtitle);
        let Frame { plot, legend } = frame(root, &header)?;
        let (w, h) = plot.dim_in_pixel();
        let err = ctx("drawing the axis titles");
        plot.draw_text(
            &self.meta.amount("Balance"),
            &anchored(
                font(AXIS_TITLE_SIZE).transform(FontTransform::Rotate270),
                HPos::Center,
                VPos::Center,
            ),
            (16, (h - X_TITLE_HEIGHT) as i32 / 2),
        )
        .map_err(err)?;
        plot.draw_text(
            "Month",
            &anchored(font(AXIS_TITLE_SIZE), HPos::Center, VPos::Center),
            (
                (Y_TITLE_WIDTH + w) as i32 / 2,
                (h - X_TITLE_HEIGHT / 2) as i32,
            ),
        )
        .map_err(ctx("drawing the axis titles"))?;
        let grid_area = plot.margin(0, X_TITLE_HEIGHT, Y_TITLE_WIDTH, 8);
        let (cols, rows) = self.grid;
        if self.panels.is_empty() {
            centred_note(
                root,
                (plot.get_pixel_range().0, plot.get_pixel_range().1),
                "No balances to show",
            )?;
        }
        let cells = grid_area.split_evenly((rows, cols));
        for (panel, cell) in self.panels.iter().zip(&cells) {
            self.draw_panel(root, cell, panel)?;
        }

        // Swatches as the first panel draws its lines, so the legend matches the chart.
        let (line, band) = self
            .panels
            .first()
            .map_or((AXIS, AXIS), |p| (p.line, p.colour));
        let opacity = self.panels.first().map_or(BAND_OPACITY, |p| p.band_opacity);
        let entries = vec![
            (Swatch::Line(line), "Mean".to_string()),
            (Swatch::DashedLine(line), "Median".to_string()),
            (
                Swatch::Box(tint(band, opacity)),
                "5th-95th percentile".to_string(),
            ),
        ];
        let notes = [
            "Shown in the first state's colour; each state has its own. Each panel has its own y axis.",
            "",
            "Where no median shows, it lies under the mean.",
        ]
        .map(String::from);
        draw_legend(&legend, "Across paths", &entries, &notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_keep_panels_wide_and_hold_every_panel() {
        for n in 0..40 {
            let (cols, rows) = grid_for(n);
            assert!(cols * rows >= n, "{n}: {cols}x{rows}");
            assert!(cols <= 4, "{n}: {cols} columns");
            assert!(
                cols * (rows - 1) < n.max(1),
                "{n}: an empty row in {cols}x{rows}"
            );
        }
        assert_eq!(grid_for(8), (4, 2));
        assert_eq!(grid_for(1), (1, 1));
    }

    #[test]
    fn panel_month_ticks_thin_out_to_fit() {
        assert_eq!(
            panel_month_ticks(&(0.0..36.0), 230.0),
            vec![0.0, 12.0, 24.0, 36.0]
        );
        assert_eq!(panel_month_ticks(&(0.0..1.0), 230.0), vec![0.0, 1.0]);
        assert_eq!(panel_month_ticks(&(0.0..12.0), 1000.0).len(), 13);
    }

    #[test]
    fn pale_colours_darken_for_lines() {
        let yellow = super::super::theme::OI_YELLOW;
        assert_ne!(line_colour(yellow), yellow);
        assert_eq!(
            line_colour(super::super::theme::OI_BLUE),
            super::super::theme::OI_BLUE
        );
        assert_eq!(
            line_colour(super::super::theme::OI_ORANGE),
            super::super::theme::OI_ORANGE
        );
        assert_eq!(line_colour(CHARGED_OFF_GREY), SOLD_GREY);
    }
}
