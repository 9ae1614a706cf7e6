//! Stage flow over time: the accounts in each collection stage as stacked areas by month, and
//! the month's flows (new delinquencies, cures, charge-offs, sales) as lines on the same axis,
//! all in accounts (mean numbers of loans across paths).
//!
//! Drawing only: the caller sums the states of each stage and picks the flows. Stages take the
//! delinquency ramp of the theme (yellow to purple, bottom band first); flows have fixed
//! colours and dash patterns, drawn over a white halo so they stay visible across the areas.
//!
//! Main types: [`StageArea`], [`FlowLine`]; written by [`stage_flow`].

use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    AxisFormat, Chart, ChartError, ChartMeta, DrawResult, Frame, OI_BLACK, OI_BLUE, OI_GREEN, Plot,
    Swatch, TickedAxis, bucket_colour, centred_note, count_of, ctx, draw_legend, file_with_ext,
    format_month, frame, month_axis, plot_axes, redraw_axes, series_colour, value_axis, write_both,
};

/// A stage's accounts, one mean per month of the chart; bottom of the stack first.
#[derive(Debug, Clone, PartialEq)]
pub struct StageArea {
    pub label: String,
    pub loans: Vec<f64>,
}

/// A flow's accounts per month, one mean per month of the chart (NaN where it has none, such
/// as month 0). `name` picks the theme's colour and dash (`new_delinquencies`, `cures`,
/// `charge_offs`, `sales`); `label` is what the legend says.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowLine {
    pub name: String,
    pub label: String,
    pub loans: Vec<f64>,
}

/// Writes `{stem}.png` and `{stem}.svg` over `months` (0..=H).
pub fn stage_flow(
    stem: &Path,
    meta: &ChartMeta,
    months: &[u32],
    stages: &[StageArea],
    flows: &[FlowLine],
) -> Result<(), ChartError> {
    let lengths = stages
        .iter()
        .map(|s| (&s.label, s.loans.len()))
        .chain(flows.iter().map(|f| (&f.label, f.loans.len())));
    for (label, len) in lengths {
        if len != months.len() {
            return Err(ChartError::Draw {
                path: file_with_ext(stem, "png"),
                message: format!(
                    "series `{label}` has {len} values for {} months",
                    months.len()
                ),
            });
        }
    }
    write_both(stem, &StageFlowChart::new(meta, months, stages, flows))
}

/// A darker grey than the charged-off fill, so a line shows on white and on the areas.
const CHARGE_OFF_LINE: RGBColor = RGBColor(0x55, 0x55, 0x55);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Dash {
    Solid,
    Dashed,
    Dotted,
}

/// Colour and dash of a flow: outflows to worse states dark, cures the colour of `current`.
fn flow_style(name: &str, index: usize) -> (RGBColor, Dash) {
    match name {
        "new_delinquencies" => (OI_BLACK, Dash::Solid),
        "cures" => (OI_BLUE, Dash::Solid),
        "charge_offs" => (CHARGE_OFF_LINE, Dash::Dashed),
        "sales" => (OI_GREEN, Dash::Dotted),
        _ => (series_colour(index), Dash::Dashed),
    }
}

struct Area {
    label: String,
    colour: RGBColor,
    lower: Vec<f64>,
    upper: Vec<f64>,
}

struct Line {
    label: String,
    colour: RGBColor,
    dash: Dash,
    points: Vec<(f64, f64)>,
}

struct StageFlowChart {
    meta: ChartMeta,
    xs: Vec<f64>,
    areas: Vec<Area>,
    lines: Vec<Line>,
    x_range: Range<f64>,
    x_ticks: Vec<f64>,
    y_range: Range<f64>,
    y_ticks: Vec<f64>,
    note: Option<&'static str>,
}

impl StageFlowChart {
    fn new(
        meta: &ChartMeta,
        months: &[u32],
        stages: &[StageArea],
        flows: &[FlowLine],
    ) -> StageFlowChart {
        let mut order: Vec<usize> = (0..months.len()).collect();
        order.sort_by_key(|&i| months[i]);
        let xs: Vec<f64> = order.iter().map(|&i| f64::from(months[i])).collect();
        let clean = |v: f64| if v.is_finite() && v > 0.0 { v } else { 0.0 };
        let mut running = vec![0.0; xs.len()];
        let areas = stages
            .iter()
            .enumerate()
            .map(|(rank, s)| {
                let lower = running.clone();
                for (k, &i) in order.iter().enumerate() {
                    running[k] += clean(s.loans[i]);
                }
                Area {
                    label: s.label.clone(),
                    colour: bucket_colour(rank, stages.len()),
                    lower,
                    upper: running.clone(),
                }
            })
            .collect();
        let lines: Vec<Line> = flows
            .iter()
            .enumerate()
            .map(|(index, f)| {
                let (colour, dash) = flow_style(&f.name, index);
                Line {
                    label: f.label.clone(),
                    colour,
                    dash,
                    points: order
                        .iter()
                        .map(|&i| (f64::from(months[i]), f.loans[i]))
                        .collect(),
                }
            })
            .collect();
        let top_stack = running.iter().copied().fold(0.0, f64::max);
        let top_flow = lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        let top = top_stack.max(top_flow);
        let (y_range, y_ticks) = value_axis(0.0, top, 0.06, 6, 10.0);
        let (lo, hi) = match (xs.first(), xs.last()) {
            (Some(&lo), Some(&hi)) => (lo, hi),
            _ => (0.0, 12.0),
        };
        let (x_range, x_ticks) = month_axis(lo, hi);
        let note = if xs.is_empty() {
            Some("No months to show")
        } else if top <= 0.0 {
            Some("No delinquent accounts")
        } else {
            None
        };
        StageFlowChart {
            meta: meta.clone(),
            xs,
            areas,
            lines,
            x_range,
            x_ticks,
            y_range,
            y_ticks,
            note,
        }
    }
}

/// A line over a white halo, so it shows on the coloured areas; dashed lines dash their halo
/// too, so the gaps stay open.
fn draw_flow<DB: DrawingBackend>(chart: &mut Plot<'_, DB>, line: &Line) -> DrawResult {
    let points: Vec<(f64, f64)> = line
        .points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    if points.len() == 1 {
        let p = points[0];
        return chart
            .draw_series([
                Circle::new(p, 7, WHITE.filled()),
                Circle::new(p, 5, line.colour.filled()),
            ])
            .map(|_| ())
            .map_err(ctx("drawing a flow"));
    }
    for (colour, width) in [(WHITE, 7), (line.colour, 3)] {
        let style = colour.stroke_width(width);
        let drawn = match line.dash {
            Dash::Solid => chart.draw_series(LineSeries::new(points.clone(), style)),
            Dash::Dashed => chart.draw_series(DashedLineSeries::new(points.clone(), 14, 8, style)),
            Dash::Dotted => chart.draw_series(DashedLineSeries::new(points.clone(), 4, 6, style)),
        };
        drawn.map_err(ctx("drawing a flow"))?;
    }
    Ok(())
}

fn swatch(line: &Line) -> Swatch {
    match line.dash {
        Dash::Solid => Swatch::Line(line.colour),
        Dash::Dashed => Swatch::DashedLine(line.colour),
        Dash::Dotted => Swatch::DottedLine(line.colour),
    }
}

impl Chart for StageFlowChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let subtitle = format!(
            "Mean number of accounts across {}: stages stacked at each month end, flows during the month as lines",
            count_of(self.meta.paths, "path")
        );
        let Frame { plot, legend } = frame(
            root,
            &self.meta,
            "Accounts in collection by stage, and monthly flows",
            &subtitle,
        )?;
        let y_format = AxisFormat::new(&self.y_ticks);
        let mut chart = plot_axes(
            &plot,
            TickedAxis::new(&self.x_range, &self.x_ticks),
            TickedAxis::new(&self.y_range, &self.y_ticks),
            ("Month", "Accounts (mean number of loans)"),
            &format_month,
            &|v| y_format.format(*v),
        )?;
        for area in &self.areas {
            if !area.upper.iter().zip(&area.lower).any(|(u, l)| u - l > 0.0) {
                continue;
            }
            let mut outline: Vec<(f64, f64)> = self
                .xs
                .iter()
                .copied()
                .zip(area.upper.iter().copied())
                .collect();
            outline.extend(
                self.xs
                    .iter()
                    .copied()
                    .zip(area.lower.iter().copied())
                    .rev(),
            );
            if self.xs.len() == 1 {
                // One month: a bar a month wide, so the stack still shows.
                let (x, lo, hi) = (self.xs[0], area.lower[0], area.upper[0]);
                outline = vec![(x - 0.3, lo), (x - 0.3, hi), (x + 0.3, hi), (x + 0.3, lo)];
            }
            chart
                .draw_series(std::iter::once(Polygon::new(outline, area.colour.filled())))
                .map_err(ctx("drawing a stage"))?;
        }
        for area in self.areas.iter().take(self.areas.len().saturating_sub(1)) {
            if self.xs.len() < 2 || !area.upper.iter().any(|&u| u > 0.0) {
                continue;
            }
            chart
                .draw_series(std::iter::once(PathElement::new(
                    self.xs
                        .iter()
                        .copied()
                        .zip(area.upper.iter().copied())
                        .collect::<Vec<_>>(),
                    WHITE.stroke_width(1),
                )))
                .map_err(ctx("drawing a stage edge"))?;
        }
        for line in &self.lines {
            draw_flow(&mut chart, line)?;
        }
        redraw_axes(&chart, &self.x_range, &self.y_range)?;
        if let Some(note) = self.note {
            centred_note(root, chart.plotting_area().get_pixel_range(), note)?;
        }

        // Stages on top, flows below them, each with its heading.
        let stage_rows = self.areas.len() as u32;
        let (_, legend_h) = legend.dim_in_pixel();
        let split = (30 + 42 + 38 * stage_rows + 16).min(legend_h);
        let (stage_legend, flow_legend) = legend.split_vertically(split);
        let stage_entries: Vec<(Swatch, String)> = self
            .areas
            .iter()
            .rev()
            .map(|a| (Swatch::Box(a.colour), a.label.clone()))
            .collect();
        draw_legend(&stage_legend, "Accounts in stage", &stage_entries, &[])?;
        let flow_entries: Vec<(Swatch, String)> = self
            .lines
            .iter()
            .map(|l| (swatch(l), l.label.clone()))
            .collect();
        let notes = vec![
            "Stages in stacking order,".to_string(),
            "top band first; flows are".to_string(),
            "accounts moving in the".to_string(),
            "month".to_string(),
        ];
        draw_legend(&flow_legend, "Accounts per month", &flow_entries, &notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flows_keep_their_theme_colours() {
        assert_eq!(flow_style("cures", 3).0, OI_BLUE);
        assert_eq!(flow_style("new_delinquencies", 0), (OI_BLACK, Dash::Solid));
        assert_ne!(
            flow_style("charge_offs", 2).0,
            super::super::CHARGED_OFF_GREY
        );
        assert_eq!(flow_style("sales", 3).1, Dash::Dotted);
    }
}
