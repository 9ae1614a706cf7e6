//! Axes: "nice" tick steps, value axes from zero (or over the data's span), month axes, share
//! and log axes, and `TickedAxis`, a plotters axis with the ticks chosen here; `plot_axes`
//! builds a plot on them in the theme.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{DrawResult, ctx};
use super::theme::{AXIS, AXIS_TITLE_SIZE, GRID, TICK_SIZE, font};

/// A "nice" step (1, 2 or 5 x 10^k) giving about `target` intervals over `span`.
pub(crate) fn nice_step(span: f64, target: usize) -> f64 {
    let span = if span.is_finite() && span > 0.0 {
        span
    } else {
        1.0
    };
    let raw = span / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let norm = raw / magnitude;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// Multiples of `step` within `range` (inclusive, with a little tolerance).
pub(crate) fn ticks_in(range: &Range<f64>, step: f64) -> Vec<f64> {
    let first = (range.start / step - 1e-9).ceil() as i64;
    let last = (range.end / step + 1e-9).floor() as i64;
    if last < first || last - first > 1000 {
        return vec![range.start, range.end];
    }
    (first..=last)
        .map(|k| {
            let v = k as f64 * step;
            if v.abs() < step * 1e-9 { 0.0 } else { v }
        })
        .collect()
}

/// Share of an axis's span below which negative data are negligible.
const NEGLIGIBLE_NEGATIVE: f64 = 0.02;

/// An axis over `lo..hi` widened to include zero, with `headroom` (a fraction of the span)
/// above positive data and a little room below negative data, its ends on multiples of a nice
/// step; `0..fallback_top` when the data have no span. Non-finite bounds count as zero.
pub(crate) fn value_axis(
    lo: f64,
    hi: f64,
    headroom: f64,
    target: usize,
    fallback_top: f64,
) -> (Range<f64>, Vec<f64>) {
    let lo = if lo.is_finite() { lo.min(0.0) } else { 0.0 };
    let hi = if hi.is_finite() { hi.max(0.0) } else { 0.0 };
    // A negative part below this share of the span (a reversal of a few units) is not worth
    // a nice step of the axis below zero, often a sixth of the chart: the axis starts at zero
    // and the data below it are clipped by the plot.
    let lo = if -lo < NEGLIGIBLE_NEGATIVE * (hi - lo) {
        0.0
    } else {
        lo
    };
    let (lo, hi) = if hi - lo > 0.0 && (hi - lo).is_finite() {
        (lo, hi)
    } else {
        (0.0, fallback_top)
    };
    let span = hi - lo;
    let top = if hi > 0.0 { hi + span * headroom } else { 0.0 };
    let bottom = if lo < 0.0 { lo - span * 0.04 } else { 0.0 };
    let (range, ticks) = nice_axis(bottom, top, target);
    // A small negative part gets the room it needs, not a whole step below zero.
    if bottom < 0.0 && -bottom < 0.15 * span && ticks.len() > 1 {
        let range = bottom..range.end;
        let ticks = ticks_in(&range, ticks[1] - ticks[0]);
        return (range, ticks);
    }
    (range, ticks)
}

/// The axis from `bottom` to `top` widened to multiples of a nice step, and its ticks: of the
/// steps for about `target` and `target + 2` intervals, the one wasting less room.
pub(crate) fn nice_axis(bottom: f64, top: f64, target: usize) -> (Range<f64>, Vec<f64>) {
    // The tolerance keeps 0.6000000000000001 from adding a whole step.
    let ends =
        |step: f64| ((bottom / step + 1e-9).floor() * step)..((top / step - 1e-9).ceil() * step);
    let (step, range) = [target, target + 2]
        .into_iter()
        .map(|t| {
            let step = nice_step(top - bottom, t);
            (step, ends(step))
        })
        .reduce(|best, next| {
            let width = |r: &Range<f64>| r.end - r.start;
            if width(&next.1) < width(&best.1) * (1.0 - 1e-9) {
                next
            } else {
                best
            }
        })
        .unwrap_or((1.0, 0.0..1.0));
    let ticks = ticks_in(&range, step);
    (range, ticks)
}

/// An axis over the data `lo..hi` with `pad` (a fraction of the span) on both sides and its
/// ends on multiples of a nice step, kept at or above zero when the data are: for values
/// that are far from zero, such as estimates converging. As [`value_axis`] without data.
pub(crate) fn span_axis(lo: f64, hi: f64, pad: f64, target: usize) -> (Range<f64>, Vec<f64>) {
    if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
        return value_axis(lo, hi, pad, target, 1.0);
    }
    let span = if hi > lo {
        hi - lo
    } else {
        hi.abs().max(1.0) * 0.1
    };
    let mut bottom = lo - span * pad;
    let top = hi + span * pad;
    if lo >= 0.0 && bottom < 0.0 {
        bottom = 0.0;
    }
    nice_axis(bottom, top, target)
}

/// A linear axis for shares of paths (`0..=1`) from zero to `headroom` above the largest,
/// never above 100% (labels may then sit on a full bar); `0..10%` without data.
pub(crate) fn share_axis(largest: f64, headroom: f64) -> (Range<f64>, Vec<f64>) {
    if !(largest.is_finite() && largest > 0.0) {
        let range = 0.0..0.1;
        let ticks = ticks_in(&range, 0.02);
        return (range, ticks);
    }
    let (range, ticks) = value_axis(0.0, largest, headroom, 6, 0.1);
    if range.end > 1.0 {
        let range = 0.0..1.0;
        let ticks = ticks_in(&range, 0.2);
        return (range, ticks);
    }
    (range, ticks)
}

/// Ticks of a log10 axis over `range` (in log10 units): at 1, 2 and 5 x 10^k, or at decades
/// only when the axis spans more than four and a half decades (every few decades when it
/// spans more than a dozen).
pub(crate) fn log_ticks(range: &Range<f64>) -> Vec<f64> {
    let span = range.end - range.start;
    if !(span.is_finite() && span > 0.0) {
        return Vec::new();
    }
    let first = (range.start.floor() as i64).saturating_sub(1);
    let last = (range.end.ceil() as i64).saturating_add(1);
    if last - first > 400 {
        return vec![range.start, range.end];
    }
    let mults: &[f64] = if span > 4.5 { &[1.0] } else { &[1.0, 2.0, 5.0] };
    let stride = if span > 12.0 {
        (span / 8.0).ceil() as i64
    } else {
        1
    };
    let mut ticks = Vec::new();
    for k in first..=last {
        if k.rem_euclid(stride) != 0 {
            continue;
        }
        for m in mults {
            let t = k as f64 + m.log10();
            if t >= range.start - 1e-9 && t <= range.end + 1e-9 {
                ticks.push(t);
            }
        }
    }
    ticks
}

/// A log10 axis for shares of paths (`0..=1`), in log10 units: from below the smallest
/// positive share (at most seven decades under the top) to `headroom` decades above the
/// largest, never above 100%; the ends at 1, 2 or 5 x 10^k, or at decades on a long axis.
pub(crate) fn log_share_axis(smallest: f64, largest: f64, headroom: f64) -> (Range<f64>, Vec<f64>) {
    let (smallest, largest) =
        if smallest.is_finite() && smallest > 0.0 && largest.is_finite() && largest > 0.0 {
            (smallest.min(1.0), largest.min(1.0))
        } else {
            (0.001, 0.1)
        };
    let top = (largest.log10() + headroom).min(0.0);
    // A share that is exactly a tick still shows as a bar.
    let bottom = smallest.log10() - 0.15;
    let (top, bottom) = if top - bottom <= 4.5 {
        (log_125_ceil(top), log_125_floor(bottom))
    } else {
        (top.ceil(), bottom.floor())
    };
    let top = top.min(0.0);
    let bottom = bottom.max(top - 7.0).min(top - 1.0);
    let range = bottom..top;
    let ticks = log_ticks(&range);
    (range, ticks)
}

/// The smallest log10 of 1, 2 or 5 x 10^k at or above `t`.
pub(crate) fn log_125_ceil(t: f64) -> f64 {
    let k = t.floor();
    [1.0_f64, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| k + m.log10())
        .find(|&c| c >= t - 1e-9)
        .unwrap_or(k + 1.0)
}

/// The largest log10 of 1, 2 or 5 x 10^k at or below `t`.
pub(crate) fn log_125_floor(t: f64) -> f64 {
    let k = t.floor();
    [5.0_f64, 2.0, 1.0]
        .iter()
        .map(|m| k + m.log10())
        .find(|&c| c <= t + 1e-9)
        .unwrap_or(k)
}

/// The smallest and largest finite values of `values` (`(inf, -inf)` when there are none).
pub(crate) fn finite_bounds<'a>(values: impl IntoIterator<Item = &'a f64>) -> (f64, f64) {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

/// Month ticks: every 1, 2, 3, 6, 12, 24... months, at most about ten labels.
pub(crate) fn month_ticks(range: &Range<f64>) -> Vec<f64> {
    let span = (range.end - range.start).max(1.0);
    let mut step = 1.0;
    for candidate in [
        1.0, 2.0, 3.0, 6.0, 12.0, 24.0, 36.0, 60.0, 120.0, 240.0, 600.0,
    ] {
        step = candidate;
        if span / candidate <= 10.0 {
            break;
        }
    }
    ticks_in(range, step)
}

/// A linear f64 axis with the tick positions chosen here rather than by plotters.
#[derive(Debug, Clone)]
pub(crate) struct TickedAxis {
    range: Range<f64>,
    ticks: Vec<f64>,
}

impl TickedAxis {
    pub(crate) fn new(range: &Range<f64>, ticks: &[f64]) -> TickedAxis {
        TickedAxis {
            range: range.clone(),
            ticks: ticks.to_vec(),
        }
    }
}

impl Ranged for TickedAxis {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        if !(span.is_finite() && span > 0.0) {
            return (limit.0 + limit.1) / 2;
        }
        let t = ((value - self.range.start) / span).clamp(-10.0, 10.0);
        let t = if t.is_nan() { 0.0 } else { t };
        limit.0 + ((limit.1 - limit.0) as f64 * t + 1e-3).floor() as i32
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// A tick label formatter chosen at run time.
pub(crate) type TickLabel = Box<dyn Fn(&f64) -> String>;

/// The chart context every chart draws in.
pub(crate) type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<TickedAxis, TickedAxis>>;

/// Builds the plot on `area` and draws its axes in the theme: ticks where the axes say,
/// horizontal grid lines only, axis titles `descs` (x, y) and tick labels from the formatters.
pub(crate) fn plot_axes<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: TickedAxis,
    y: TickedAxis,
    descs: (&str, &str),
    x_label: &dyn Fn(&f64) -> String,
    y_label: &dyn Fn(&f64) -> String,
) -> Result<Plot<'a, DB>, String> {
    let mut chart = ChartBuilder::on(area)
        .margin_top(16)
        .margin_right(36)
        .margin_left(24)
        .margin_bottom(8)
        .x_label_area_size(78)
        .y_label_area_size(130)
        .build_cartesian_2d(x, y)
        .map_err(ctx("building the chart"))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(AXIS.stroke_width(1))
        .set_all_tick_mark_size(6)
        .x_desc(descs.0)
        .y_desc(descs.1)
        .axis_desc_style(font(AXIS_TITLE_SIZE))
        .label_style(font(TICK_SIZE))
        .x_label_formatter(x_label)
        .y_label_formatter(y_label)
        .draw()
        .map_err(ctx("drawing the axes"))?;
    Ok(chart)
}

/// Draws the x and y axis lines again over the data, which covers them at zero.
pub(crate) fn redraw_axes<DB: DrawingBackend>(
    chart: &Plot<'_, DB>,
    x: &Range<f64>,
    y: &Range<f64>,
) -> DrawResult {
    chart
        .plotting_area()
        .draw(&PathElement::new(
            vec![(x.start, y.end), (x.start, y.start), (x.end, y.start)],
            AXIS.stroke_width(1),
        ))
        .map_err(ctx("drawing the axes"))
}

/// A month axis from `lo` to `hi` (at least one month wide) with month ticks.
pub(crate) fn month_axis(lo: f64, hi: f64) -> (Range<f64>, Vec<f64>) {
    let range = lo..hi.max(lo + 1.0);
    let ticks = month_ticks(&range);
    (range, ticks)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_axes_are_tight_and_start_at_zero_unless_negatives_are_material() {
        // 12 x 0.05 is 0.6000000000000001: no extra step.
        let (range, ticks) = value_axis(0.0, 12.0 * 0.05, 0.0, 8, 1.0);
        assert!(
            (range.end - 0.6).abs() < 1e-12 && ticks.len() == 7,
            "{range:?}"
        );
        let (range, ticks) = value_axis(-120.0, 900.0, 0.06, 8, 1.0);
        assert!(range.start < -120.0 && range.end > 900.0 && ticks.contains(&0.0));
        // A negative part of 1% of the span is not worth a sixth of the chart.
        let (range, _) = value_axis(-10.0, 1000.0, 0.06, 8, 1.0);
        assert_eq!(range.start, 0.0);
        let (range, _) = value_axis(f64::INFINITY, f64::NEG_INFINITY, 0.1, 6, 0.1);
        assert!(range.start == 0.0 && range.end > 0.0, "{range:?}");
    }

    #[test]
    fn log_axes_have_round_ticks() {
        // 1/2000 of the paths up to 8%: from 0.02% to 50%, at 1, 2 and 5 x 10^k.
        let (range, ticks) = log_share_axis(0.0005, 0.08, 0.45);
        assert!((range.start - 0.0002f64.log10()).abs() < 1e-9, "{range:?}");
        assert!((range.end - 0.5f64.log10()).abs() < 1e-9, "{range:?}");
        assert_eq!(ticks.len(), 11);
        assert_eq!(log_ticks(&(-7.0..0.0)).len(), 8);
        let (range, ticks) = log_share_axis(f64::NAN, 0.0, 0.45);
        assert!(range.start < range.end && !ticks.is_empty());
    }
}
