//! The histogram: one or more distributions across paths on one bin grid, with values marked
//! by vertical lines (expected loss, VaR, expected shortfall). One series is drawn as filled
//! bars; several as outlines (step lines) on a grid common to all, so their shapes compare bin
//! for bin. Bar heights are (weighted) shares of paths, on a linear or a log10 axis, so the
//! few paths in the tail show.
//!
//! Presentation only: bins are Freedman-Diaconis widths rounded to round numbers, from the
//! quartiles of [`crate::metrics::estimate::quantile`]; paths with a non-finite value or a weight
//! that is not finite and positive are left out.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::{
    TickLabel, TickedAxis, finite_bounds, log_share_axis, nice_step, plot_axes, redraw_axes,
    share_axis, ticks_in,
};
use super::canvas::{
    Chart, ChartError, DrawResult, Frame, Header, Swatch, centred_note, ctx, draw_legend,
    draw_vline, frame, line_labels, stroke_swatch, write_both,
};
use super::format::{AxisFormat, ScaledFormat, count_of, format_amount, format_log_share};
use super::line::VLine;
use crate::metrics::estimate::quantile;

/// One distribution: values per path and their weights (empty: equal weights).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HistogramSeries {
    pub(crate) label: String,
    pub(crate) colour: RGBColor,
    pub(crate) values: Vec<f64>,
    pub(crate) weights: Vec<f64>,
}

impl HistogramSeries {
    /// The (weighted) mean of the values drawn, for marking it; none without paths.
    pub(crate) fn mean(&self) -> Option<f64> {
        let data = weighted_values(&self.values, &self.weights);
        let (total, _) = weight_totals(&data);
        let mean = data.iter().map(|&(v, w)| v * w).sum::<f64>() / total;
        (total > 0.0 && mean.is_finite()).then_some(mean)
    }
}

/// A histogram ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Histogram {
    pub(crate) header: Header,
    pub(crate) x_title: String,
    pub(crate) series: Vec<HistogramSeries>,
    pub(crate) vlines: Vec<VLine>,
    /// Shares of paths on a log10 axis.
    pub(crate) log: bool,
    pub(crate) legend: String,
    pub(crate) notes: Vec<String>,
}

impl Histogram {
    /// Writes `{stem}.png` and `{stem}.svg`; an error if a series' weights are neither empty
    /// nor one per value.
    pub(crate) fn write(&self, stem: &Path) -> Result<(), ChartError> {
        for s in &self.series {
            if !s.weights.is_empty() && s.weights.len() != s.values.len() {
                return Err(ChartError::Draw {
                    path: super::canvas::file_with_ext(stem, "png"),
                    message: format!(
                        "`{}` weights: has {} values for {} paths",
                        s.label,
                        s.weights.len(),
                        s.values.len()
                    ),
                });
            }
        }
        write_both(stem, self)
    }
}

/// At most this many series get pale fills under their outlines.
const MAX_FILLED_OUTLINES: usize = 4;

/// Bin start, width and count for `sorted` (non-empty, finite): Freedman-Diaconis, clamped to
/// edges on multiples of it. Data with no spread get 11 bins centred on the value.
pub(crate) fn choose_bins(sorted: &[f64]) -> (f64, f64, usize) {
    let min = sorted[0];
    let max = sorted[sorted.len() - 1];
    let span = max - min;
    let no_spread = f64::EPSILON * min.abs().max(max.abs()).max(1.0) * 16.0;
    if span.is_nan() || span <= no_spread {
        let width = nice_step(min.abs().max(1.0) * 0.02, 1);
        return (min - 5.5 * width, width, 11);
    }
    let n = sorted.len() as f64;
    let iqr = quantile(sorted, 0.75) - quantile(sorted, 0.25);
    let fd_width = 2.0 * iqr / n.cbrt();
    let target = if fd_width > 0.0 {
        (span / fd_width).ceil()
    } else {
        n.log2().ceil() + 1.0 // Sturges, when the middle half has no spread
    }
    .clamp(10.0, 60.0);

    let raw = span / target;
    let magnitude = 10f64.powf(raw.log10().floor());
    let mut best: Option<(f64, f64, usize, f64)> = None;
    for scale in [0.1, 1.0, 10.0] {
        for mult in [1.0, 2.0, 2.5, 5.0] {
            let width = mult * magnitude * scale;
            let start = (min / width).floor() * width;
            let bins = ((max - start) / width).floor() as usize + 1;
            if !(10..=60).contains(&bins) {
                continue;
            }
            let miss = (bins as f64 / target).ln().abs();
            if best.is_none_or(|(_, _, _, m)| miss < m) {
                best = Some((start, width, bins, miss));
            }
        }
    }
    match best {
        Some((start, width, bins, _)) => (start, width, bins),
        None => {
            let bins = target as usize;
            (min, span / bins as f64 * (1.0 + 1e-9), bins)
        }
    }
}

/// At most this many bins in a grid common to several histograms.
const MAX_COMMON_BINS: usize = 100;

/// A histogram's bins: `bins` of `width` from `start`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BinGrid {
    start: f64,
    width: f64,
    bins: usize,
}

impl BinGrid {
    /// The bins [`choose_bins`] picks for `values` (finite), or none without values.
    fn for_values(values: impl IntoIterator<Item = f64>) -> Option<BinGrid> {
        let mut sorted: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let (start, width, bins) = choose_bins(&sorted);
        Some(BinGrid { start, width, bins })
    }

    /// One grid for several sets of `(value, weight)` pairs, so their shapes compare bin for
    /// bin: as fine as the finest grid [`choose_bins`] picks for any one set, coarsened (to a
    /// round width) to at most [`MAX_COMMON_BINS`] over all the values.
    fn common(sets: &[Vec<(f64, f64)>]) -> Option<BinGrid> {
        let all = BinGrid::for_values(sets.iter().flatten().map(|&(v, _)| v))?;
        let finest = sets
            .iter()
            .filter_map(|set| BinGrid::for_values(set.iter().map(|&(v, _)| v)))
            .map(|grid| grid.width)
            .fold(f64::INFINITY, f64::min);
        let (lo, hi) = finite_bounds(sets.iter().flatten().map(|(v, _)| v));
        let span = hi - lo;
        if !(finest < all.width && span.is_finite() && span > 0.0) {
            return Some(all);
        }
        let raw = finest.max(span / MAX_COMMON_BINS as f64);
        let magnitude = 10f64.powf(raw.log10().floor());
        let width = [1.0, 2.0, 2.5, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude)
            .find(|&w| w >= raw * (1.0 - 1e-9))
            .unwrap_or(10.0 * magnitude);
        let start = (lo / width).floor() * width;
        let bins = ((hi - start) / width).floor() as usize + 1;
        if !(width.is_finite() && width > 0.0) || bins > MAX_COMMON_BINS + 2 {
            return Some(all);
        }
        Some(BinGrid { start, width, bins })
    }

    fn empty() -> BinGrid {
        BinGrid {
            start: 0.0,
            width: 1.0,
            bins: 0,
        }
    }

    /// The bin of `value`, values outside the grid going to the first or last bin.
    fn index(&self, value: f64) -> usize {
        let idx = ((value - self.start) / self.width).floor();
        if idx.is_finite() && idx > 0.0 {
            (idx as usize).min(self.bins.saturating_sub(1))
        } else {
            0
        }
    }

    /// Left and right edges of bin `i`.
    fn edges(&self, i: usize) -> (f64, f64) {
        let x0 = self.start + self.width * i as f64;
        (x0, x0 + self.width)
    }

    fn end(&self) -> f64 {
        self.start + self.width * self.bins as f64
    }

    /// The total weight of the `(value, weight)` pairs in each bin.
    fn tally(&self, data: &[(f64, f64)]) -> Vec<f64> {
        let mut totals = vec![0.0; self.bins];
        if self.bins == 0 {
            return totals;
        }
        for &(v, w) in data {
            totals[self.index(v)] += w;
        }
        totals
    }
}

/// The paths that count, as (value, weight): finite values whose weight (1 when `weights` is
/// empty) is finite and positive. Weights are scaled so the largest is 1, which changes no
/// share and keeps their sum finite.
pub(crate) fn weighted_values(values: &[f64], weights: &[f64]) -> Vec<(f64, f64)> {
    let weight = |i: usize| {
        if weights.is_empty() {
            1.0
        } else {
            weights.get(i).copied().unwrap_or(0.0)
        }
    };
    let data: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| (v, weight(i)))
        .filter(|&(v, w)| v.is_finite() && w.is_finite() && w > 0.0)
        .collect();
    let top = data.iter().fold(0.0_f64, |m, &(_, w)| m.max(w));
    data.into_iter().map(|(v, w)| (v, w / top)).collect()
}

/// Sum of the weights, and the effective sample size (sum of weights squared over the sum of
/// squared weights: the number of equally weighted paths that would be as informative).
pub(crate) fn weight_totals(data: &[(f64, f64)]) -> (f64, f64) {
    let total: f64 = data.iter().map(|&(_, w)| w).sum();
    let squares: f64 = data.iter().map(|&(_, w)| w * w).sum();
    let effective = if squares > 0.0 {
        total * total / squares
    } else {
        0.0
    };
    (total, effective)
}

impl Chart for Histogram {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let Frame { plot, legend } = frame(root, &self.header)?;
        let data: Vec<Vec<(f64, f64)>> = self
            .series
            .iter()
            .map(|s| weighted_values(&s.values, &s.weights))
            .collect();
        let grid = BinGrid::common(&data).unwrap_or_else(BinGrid::empty);
        let shares: Vec<Vec<f64>> = data
            .iter()
            .map(|d| match weight_totals(d) {
                (total, _) if total > 0.0 && grid.bins > 0 => {
                    grid.tally(d).iter().map(|w| w / total).collect()
                }
                _ => Vec::new(),
            })
            .collect();
        let have_data = shares.iter().any(|s| !s.is_empty());
        let vlines: Vec<&VLine> = self
            .vlines
            .iter()
            .filter(|v| have_data && v.x.is_finite())
            .collect();

        // x: the bins, widened to show the marked values, with a small margin.
        let (lo, hi) = if have_data {
            let (lo, hi) = finite_bounds(vlines.iter().map(|v| &v.x));
            (grid.start.min(lo), grid.end().max(hi))
        } else {
            (0.0, 1.0)
        };
        let pad = (hi - lo) * 0.03;
        let x_range = (lo - pad)..(hi + pad);
        let x_ticks = ticks_in(&x_range, nice_step(x_range.end - x_range.start, 9));
        let all = shares.iter().flatten().copied();
        let max = all.clone().fold(0.0, f64::max);
        // Headroom above the tallest bar for the line labels.
        let (y_range, y_ticks) = if self.log {
            let smallest = all.filter(|&h| h > 0.0).fold(f64::INFINITY, f64::min);
            log_share_axis(smallest, max, 0.45)
        } else {
            share_axis(max, 0.22)
        };
        let x_format = AxisFormat::new(&x_ticks);
        let y_format = ScaledFormat::percent(&y_ticks);
        let (y_desc, y_label): (&str, TickLabel) = if self.log {
            ("Share of paths (log scale)", Box::new(format_log_share))
        } else {
            ("Share of paths", Box::new(move |v| y_format.format(*v)))
        };
        let mut chart = plot_axes(
            &plot,
            TickedAxis::new(&x_range, &x_ticks),
            TickedAxis::new(&y_range, &y_ticks),
            (&self.x_title, y_desc),
            &|v| x_format.format(*v),
            &*y_label,
        )?;

        let base = y_range.start;
        let top = |h: f64| match self.log {
            _ if h.is_nan() || h <= 0.0 => None,
            true => Some(h.log10()).filter(|&t| t > base),
            false => Some(h),
        };
        let single = self.series.len() == 1;
        for (s, heights) in self.series.iter().zip(&shares) {
            let bins: Vec<(f64, f64, f64)> = heights
                .iter()
                .enumerate()
                .filter_map(|(i, &h)| top(h).map(|t| (grid.edges(i).0, grid.edges(i).1, t)))
                .collect();
            if single {
                // White separators on the left edge of each bar; the tops stay coloured so a
                // bar of one path is still visible.
                chart
                    .draw_series(bins.iter().map(|&(x0, x1, t)| {
                        Rectangle::new([(x0, base), (x1, t)], s.colour.filled())
                    }))
                    .map_err(ctx("drawing the bars"))?;
                chart
                    .draw_series(bins.iter().map(|&(x0, _, t)| {
                        PathElement::new(vec![(x0, base), (x0, t)], WHITE.stroke_width(1))
                    }))
                    .map_err(ctx("drawing the bars"))?;
                continue;
            }
            // An outline from the first to the last non-empty bin, down to the base at both
            // ends; pale fills help with a few series and only muddy many.
            let (Some(&(first, ..)), Some(&(_, last, _))) = (bins.first(), bins.last()) else {
                continue;
            };
            let mut outline = vec![(first, base)];
            for (i, &h) in heights.iter().enumerate() {
                let (x0, x1) = grid.edges(i);
                if x0 >= first && x1 <= last {
                    let t = top(h).unwrap_or(base);
                    outline.extend([(x0, t), (x1, t)]);
                }
            }
            outline.push((last, base));
            if self.series.len() <= MAX_FILLED_OUTLINES {
                let fill = s.colour.mix(0.1).filled();
                chart
                    .draw_series(std::iter::once(Polygon::new(outline.clone(), fill)))
                    .map_err(ctx("drawing a histogram"))?;
            }
            chart
                .draw_series(std::iter::once(PathElement::new(
                    outline,
                    s.colour.stroke_width(3),
                )))
                .map_err(ctx("drawing a histogram"))?;
        }
        redraw_axes(&chart, &x_range, &y_range)?;
        for v in &vlines {
            draw_vline(&mut chart, v.x, &y_range, v.colour, v.stroke)?;
        }
        let pixels = chart.plotting_area().get_pixel_range();
        if !have_data {
            let weighted = self.series.iter().any(|s| !s.weights.is_empty());
            let values = self.series.iter().flat_map(|s| &s.values);
            let note = if weighted && values.clone().any(|v| v.is_finite()) {
                "No paths with a positive weight"
            } else {
                "No paths to show"
            };
            return centred_note(root, pixels, note);
        }
        let labels: Vec<(f64, String, RGBColor)> = vlines
            .iter()
            .map(|v| (v.x, v.label.clone(), v.colour))
            .collect();
        let y_top = y_range.end;
        line_labels(root, &pixels, &labels, |x| {
            chart.backend_coord(&(x, y_top)).0
        })?;

        let weighted = self.series.iter().any(|s| !s.weights.is_empty());
        let mut entries: Vec<(Swatch, String)> = match &self.series[..] {
            [s] if weighted => vec![(Swatch::Box(s.colour), "Weighted share per bin".into())],
            [s] => vec![(Swatch::Box(s.colour), "Share of paths per bin".into())],
            many => many
                .iter()
                .map(|s| (Swatch::Line(s.colour), s.label.clone()))
                .collect(),
        };
        entries.extend(
            vlines
                .iter()
                .map(|v| (stroke_swatch(v.stroke, v.colour), v.label.clone())),
        );
        let mut notes = Vec::new();
        if let [only] = &data[..] {
            notes.push(count_of(only.len() as u64, "path"));
            if weighted {
                let (_, effective) = weight_totals(only);
                let effective = count_of(effective.round() as u64, "path");
                notes.push(format!("Importance-weighted: effective size {effective}"));
            }
        }
        notes.push(format!(
            "{} bins of {}",
            grid.bins,
            format_amount(grid.width)
        ));
        notes.extend(self.notes.iter().cloned());
        draw_legend(&legend, &self.legend, &entries, &notes)
    }
}
