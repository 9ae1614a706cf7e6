//! Charts for the risk report: drawing only.
//!
//! This module owns the look of every chart `arrears` writes and nothing else: callers hand
//! it numbers that are already computed (mean balances, per-path losses, the mean and the
//! VaR, recovery and write-off percentiles, disposition values with their standard errors,
//! buyer's prices), and it draws them. Its only data work is presentation: stacking series,
//! picking histogram bins and axis ticks, reading a line's value at a marked x, and
//! formatting numbers.
//!
//! Each chart is written twice, `{stem}.svg` and `{stem}.png`, laid out once on a 1600x900
//! canvas (16:9): the SVG at that size, the PNG at print resolution, drawn at twice the size
//! (3200x1800, through [`scaled::Scaled`]) and marked 300 dpi, so it prints at 10.67 x 6 inches
//! with text and lines as sharp as a board pack needs. Both show the same layout.
//!
//! The theme, shared by all charts:
//! - white background, a bold left-aligned title, a grey subtitle, and a small grey footnote
//!   `seed S · P paths · arrears` at the bottom;
//! - the embedded DejaVu Sans font, registered once as `sans-serif`, so no system fonts are
//!   needed (the SVG names `sans-serif` and the viewer picks its own);
//! - the Okabe-Ito colour-blind-safe palette: `current` blue, delinquency buckets from yellow
//!   through orange and vermillion to purple, `charged_off` grey, histogram bars blue, the mean
//!   black and the 99% VaR vermillion (and dashed, so colour is not the only cue);
//! - the legend in its own panel right of the plot, so it never covers data;
//! - series without a colour of their own (dispositions, sale points) take the palette in
//!   order, without yellow, and lines carry markers of different shapes as well;
//! - 5th-95th percentile bands as translucent fills of their line's colour;
//! - amounts with thousands separators and a K/M/B suffix chosen once per axis, never
//!   scientific notation; fractions as percent or as cents per unit of face, with the
//!   decimals the tick step needs; months as integers;
//! - horizontal grid lines only, light grey.
//!
//! Drawing never panics: plotters errors, and any panic inside plotters, become
//! [`ChartError`].

pub mod compare;
pub mod fan;
pub mod heatmap;
pub mod scaled;
pub mod stage_flow;
pub mod vintage;

use std::fmt::Display;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::model::group_thousands;

/// What every chart's title and footnote say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartMeta {
    pub scenario_name: String,
    pub seed: u64,
    pub paths: u64,
    /// Currency code or symbol for axis titles, e.g. `"EUR"`; `""` means plain units.
    pub currency: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("cannot draw chart `{}`: {message}", path.display())]
    Draw { path: PathBuf, message: String },
}

/// Stacked area chart of the mean balance by state over the months of the horizon.
///
/// `months` = 0..=H, `series` in stacking order (bottom first): (state name, stage label or
/// None, mean balance per month, same length as months). The legend lists the bands top to
/// bottom as they appear on the chart. Non-finite and negative balances are drawn as zero.
/// Writes `{stem}.png` and `{stem}.svg`.
pub fn balance_by_state(
    stem: &Path,
    meta: &ChartMeta,
    months: &[u32],
    series: &[(String, Option<String>, Vec<f64>)],
) -> Result<(), ChartError> {
    for (name, _, values) in series {
        if values.len() != months.len() {
            return Err(ChartError::Draw {
                path: file_with_ext(stem, "png"),
                message: format!(
                    "series `{name}` has {} values for {} months",
                    values.len(),
                    months.len()
                ),
            });
        }
    }
    let chart = BalanceChart::new(meta, months, series);
    write_both(stem, &chart)
}

/// Histogram of net credit loss across paths, with the mean and the 99% VaR marked as
/// vertical lines with labels giving their values.
///
/// Non-finite losses are left out. An empty slice draws an empty chart with a note.
/// Writes `{stem}.png` and `{stem}.svg`.
pub fn loss_distribution(
    stem: &Path,
    meta: &ChartMeta,
    losses: &[f64],
    mean: f64,
    var_99: f64,
) -> Result<(), ChartError> {
    let lines = vec![
        VLine::new(mean, "Mean", OI_BLACK, Stroke::Solid),
        VLine::new(var_99, "99% VaR", OI_VERMILLION, Stroke::Dashed),
    ];
    let spec = LossSpec {
        title: "Net credit loss across paths".to_string(),
        subject: Some("net credit loss".to_string()),
        x_desc: amount_axis_title("Net credit loss", &meta.currency),
        scale: HeightScale::Paths,
    };
    let chart = LossChart::new(meta, spec, losses, &[], lines);
    write_both(stem, &chart)
}

/// Cumulative recovery rate by months since default: the mean line with a shaded band from
/// the 5th to the 95th percentile across paths.
///
/// `months` = 1..=K; `mean`, `p5` and `p95` are cumulative recoveries as a fraction of the
/// exposure at default (0.0-1.0), one per month. The y axis shows percent. Non-finite values
/// are left out (the line breaks there); an empty chart gets a note.
/// Writes `{stem}.png` and `{stem}.svg`.
pub fn recovery_curve(
    stem: &Path,
    meta: &ChartMeta,
    months: &[u32],
    mean: &[f64],
    p5: &[f64],
    p95: &[f64],
) -> Result<(), ChartError> {
    let unit = "months";
    check_len(stem, "`mean`", mean.len(), months.len(), unit)?;
    check_len(stem, "`p5`", p5.len(), months.len(), unit)?;
    check_len(stem, "`p95`", p95.len(), months.len(), unit)?;
    let chart = RecoveryChart::new(meta, months, mean, p5, p95);
    write_both(stem, &chart)
}

/// Gross write-offs (bars) and net write-offs (a line) by month, both means across paths, with
/// a band from the 5th to the 95th percentile of the net write-offs.
///
/// `months` = 1..=H; `gross_mean` and `net_mean` have one amount per month; `net_p5` and
/// `net_p95` too, or are both empty for no band. Non-finite values are left out.
/// Writes `{stem}.png` and `{stem}.svg`.
pub fn write_offs_by_month(
    stem: &Path,
    meta: &ChartMeta,
    months: &[u32],
    gross_mean: &[f64],
    net_mean: &[f64],
    net_p5: &[f64],
    net_p95: &[f64],
) -> Result<(), ChartError> {
    let unit = "months";
    check_len(stem, "`gross_mean`", gross_mean.len(), months.len(), unit)?;
    check_len(stem, "`net_mean`", net_mean.len(), months.len(), unit)?;
    check_band(
        stem,
        "`net_p5`",
        net_p5.len(),
        "`net_p95`",
        net_p95.len(),
        months.len(),
        unit,
    )?;
    let chart = WriteOffChart::new(meta, months, gross_mean, net_mean, net_p5, net_p95);
    write_both(stem, &chart)
}

/// Value to the lender per unit of face value at each candidate sale point, one bar per
/// disposition in each group, with error bars of ±2 standard errors.
///
/// `points` label the groups in order (e.g. `"90 DPD"`); `series` holds (disposition name,
/// value per point as a fraction of face, standard error per point). Values are shown as cents
/// per unit of face. A NaN value (a disposition not evaluated at a point) leaves its slot
/// empty; a non-finite or negative standard error draws no error bar.
/// Writes `{stem}.png` and `{stem}.svg`.
pub fn disposition_values(
    stem: &Path,
    meta: &ChartMeta,
    points: &[String],
    series: &[(String, Vec<f64>, Vec<f64>)],
) -> Result<(), ChartError> {
    let unit = "sale points";
    for (name, values, errors) in series {
        let what = format!("series `{name}`");
        check_len(
            stem,
            &format!("{what} values:"),
            values.len(),
            points.len(),
            unit,
        )?;
        check_len(
            stem,
            &format!("{what} standard errors:"),
            errors.len(),
            points.len(),
            unit,
        )?;
    }
    let chart = DispositionChart::new(meta, points, series);
    write_both(stem, &chart)
}

/// One line of [`buyer_price_vs_hurdle`]: (sale point label, price per hurdle rate as a
/// fraction of face, p5, p95), with p5 and p95 both empty for no band.
pub type PriceCurve = (String, Vec<f64>, Vec<f64>, Vec<f64>);

/// The buyer's fair price per unit of face against its hurdle rate: one line per sale point,
/// each with an optional band from the 5th to the 95th percentile, and the scenario's hurdle
/// rate `marked_hurdle` marked by a dashed vertical line.
///
/// `hurdle_rates` are effective annual rates (e.g. 0.0-0.6), shown in percent; `series` holds
/// (sale point label, price per hurdle rate as a fraction of face, p5, p95), with p5 and p95
/// both empty for no band. Prices are shown as cents per unit of face. Non-finite values are
/// left out; a non-finite `marked_hurdle` draws no line. Writes `{stem}.png` and `{stem}.svg`.
pub fn buyer_price_vs_hurdle(
    stem: &Path,
    meta: &ChartMeta,
    hurdle_rates: &[f64],
    series: &[PriceCurve],
    marked_hurdle: f64,
) -> Result<(), ChartError> {
    let n = hurdle_rates.len();
    let unit = "hurdle rates";
    for (name, price, p5, p95) in series {
        let what = format!("series `{name}`");
        check_len(stem, &format!("{what} prices:"), price.len(), n, unit)?;
        check_band(
            stem,
            &format!("{what} p5:"),
            p5.len(),
            &format!("{what} p95:"),
            p95.len(),
            n,
            unit,
        )?;
    }
    let chart = BuyerPriceChart::new(meta, hurdle_rates, series, marked_hurdle);
    write_both(stem, &chart)
}

/// Histogram of a loss across paths with expected loss, VaR and expected shortfall marked
/// (vertical lines, labelled with values in the legend), at the given level (e.g. 0.99 ->
/// "99% VaR", "99% ES"). `weights`: per-path probability weights (importance sampling) or
/// empty for equal weights; bar heights are then weighted shares of paths. `log_scale`: y axis
/// logarithmic (share of paths, log10), to show the tail.
///
/// The title reads `"<scenario>: <title>"`; the x axis is named after `title` up to
/// `" across"` (`"Net credit loss across paths"` -> `"Net credit loss (EUR)"`). Paths with a
/// non-finite loss or a weight that is not finite and positive are left out, and so are
/// markers that are not finite. Empty bins are not drawn on the log axis. No paths left, or
/// weights all zero, draw an empty chart with a note. An error if `weights` is neither empty
/// nor as long as `losses`. Writes `{stem}.png` and `{stem}.svg`.
#[expect(
    clippy::too_many_arguments,
    reason = "the chart's inputs, each distinct; a struct would only rename them"
)]
pub fn loss_distribution_marked(
    stem: &Path,
    meta: &ChartMeta,
    title: &str,
    losses: &[f64],
    weights: &[f64],
    expected_loss: f64,
    var: f64,
    expected_shortfall: f64,
    level: f64,
    log_scale: bool,
) -> Result<(), ChartError> {
    check_weights(stem, "`weights`", weights.len(), losses.len())?;
    let level = if level.is_finite() && level > 0.0 && level < 1.0 {
        format!("{} ", format_rate(level))
    } else {
        String::new()
    };
    let lines = vec![
        VLine::new(expected_loss, "Expected loss", OI_BLACK, Stroke::Solid),
        VLine::new(var, &format!("{level}VaR"), OI_VERMILLION, Stroke::Dashed),
        VLine::new(
            expected_shortfall,
            &format!("{level}ES"),
            OI_PURPLE,
            Stroke::Dotted,
        ),
    ];
    let scale = if log_scale {
        HeightScale::LogShare
    } else {
        HeightScale::Share
    };
    let what = title.split(" across").next().unwrap_or(title).trim();
    let what = if what.is_empty() { "Loss" } else { what };
    let chart = LossChart::new(
        meta,
        LossSpec {
            title: title.to_string(),
            subject: None,
            x_desc: amount_axis_title(what, &meta.currency),
            scale,
        },
        losses,
        weights,
        lines,
    );
    write_both(stem, &chart)
}

/// A line with a band: (name, value per point, band low, band high); low and high both
/// empty for no band. Used by [`convergence`] and [`scenario_write_off_overlay`].
pub type BandedLine = (String, Vec<f64>, Vec<f64>, Vec<f64>);

/// Each risk measure against the number of paths used, with its 95% confidence band: x =
/// paths (log scale, ticks like 100, 1K, 10K), y = currency. `series`: (measure name e.g.
/// "Expected loss", "99% VaR", "99% ES", estimate per point, band low, band high); `paths`
/// the x values (ascending).
///
/// A band may be left out (low and high both empty). Points at zero paths and non-finite
/// values are left out (a line breaks there); no points at all draw an empty chart with a
/// note. An error if a series is not as long as `paths`. Writes `{stem}.png` and
/// `{stem}.svg`.
pub fn convergence(
    stem: &Path,
    meta: &ChartMeta,
    paths: &[u64],
    series: &[BandedLine],
) -> Result<(), ChartError> {
    check_banded(stem, series, paths.len(), "path counts")?;
    let chart = ConvergenceChart::new(meta, paths, series);
    write_both(stem, &chart)
}

/// Loss distributions of several stress scenarios overlaid: one outline histogram (step line)
/// per scenario on a bin grid common to all, with its expected loss marked as a dashed line
/// in the scenario's colour. `series`: (scenario name, losses per path, weights per path or
/// empty). x: "Net credit loss (currency units)", y: "Share of paths".
///
/// Colours go in a fixed order, the first scenario (the baseline) blue, then orange,
/// vermillion, purple. The expected loss is the (weighted) mean of the losses drawn.
/// Non-finite losses and paths without a finite positive weight are left out; a scenario with
/// none left is listed but not drawn. An error if a scenario's weights are neither empty nor
/// as long as its losses. Writes `{stem}.png` and `{stem}.svg`.
pub fn scenario_loss_overlay(
    stem: &Path,
    meta: &ChartMeta,
    series: &[(String, Vec<f64>, Vec<f64>)],
) -> Result<(), ChartError> {
    for (name, losses, weights) in series {
        check_weights(
            stem,
            &format!("scenario `{name}` weights:"),
            weights.len(),
            losses.len(),
        )?;
    }
    let chart = LossOverlayChart::new(meta, series);
    write_both(stem, &chart)
}

/// Cumulative net write-offs by month for several stress scenarios: mean line per scenario
/// with an optional 5-95% band (empty slices = none). `months` = 1..=H. `series`: (scenario
/// name, mean, p5, p95).
///
/// Colours as in [`scenario_loss_overlay`]. Non-finite values are left out (the line breaks
/// there). An error if a series is not as long as `months`. Writes `{stem}.png` and
/// `{stem}.svg`.
pub fn scenario_write_off_overlay(
    stem: &Path,
    meta: &ChartMeta,
    months: &[u32],
    series: &[BandedLine],
) -> Result<(), ChartError> {
    check_banded(stem, series, months.len(), "months")?;
    let chart = WriteOffOverlayChart::new(meta, months, series);
    write_both(stem, &chart)
}

/// An error unless `weights` is empty (equal weights) or has one weight per path.
fn check_weights(stem: &Path, what: &str, len: usize, paths: usize) -> Result<(), ChartError> {
    if len == 0 {
        return Ok(());
    }
    check_len(stem, what, len, paths, "paths")
}

/// An error unless every line has one value per point and a band that is empty or complete.
fn check_banded(
    stem: &Path,
    series: &[BandedLine],
    n: usize,
    unit: &str,
) -> Result<(), ChartError> {
    for (name, values, low, high) in series {
        let what = format!("series `{name}`");
        check_len(stem, &format!("{what} values:"), values.len(), n, unit)?;
        check_band(
            stem,
            &format!("{what} band low:"),
            low.len(),
            &format!("{what} band high:"),
            high.len(),
            n,
            unit,
        )?;
    }
    Ok(())
}

/// An error unless `len` is `expected`.
fn check_len(
    stem: &Path,
    what: &str,
    len: usize,
    expected: usize,
    unit: &str,
) -> Result<(), ChartError> {
    if len == expected {
        return Ok(());
    }
    Err(ChartError::Draw {
        path: file_with_ext(stem, "png"),
        message: format!("{what} has {len} values for {expected} {unit}"),
    })
}

/// An error unless a band's two edges are both empty (no band) or both of length `expected`.
fn check_band(
    stem: &Path,
    lower: &str,
    lower_len: usize,
    upper: &str,
    upper_len: usize,
    expected: usize,
    unit: &str,
) -> Result<(), ChartError> {
    if lower_len == 0 && upper_len == 0 {
        return Ok(());
    }
    check_len(stem, lower, lower_len, expected, unit)?;
    check_len(stem, upper, upper_len, expected, unit)
}

// ---------------------------------------------------------------------------------------------
// Theme

const WIDTH: u32 = 1600;
const HEIGHT: u32 = 900;
const FONT: &str = "sans-serif";

pub(crate) const OI_BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
pub(crate) const OI_ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
pub(crate) const OI_GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
pub(crate) const OI_YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
pub(crate) const OI_BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
pub(crate) const OI_VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
const OI_PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
pub(crate) const OI_SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);

/// Colours of series that carry no meaning of their own (dispositions, sale points), in
/// order. Yellow is left out: too pale for lines and markers on white.
const SERIES_COLOURS: [RGBColor; 7] = [
    OI_BLUE,
    OI_VERMILLION,
    OI_GREEN,
    OI_ORANGE,
    OI_PURPLE,
    OI_SKY_BLUE,
    OI_BLACK,
];

/// Colours of stress scenarios, in order: the baseline blue, then warmer as the scenarios
/// usually get more severe. Yellow is left out: too pale for lines on white.
const SCENARIO_COLOURS: [RGBColor; 7] = [
    OI_BLUE,
    OI_ORANGE,
    OI_VERMILLION,
    OI_PURPLE,
    OI_SKY_BLUE,
    OI_GREEN,
    OI_BLACK,
];

/// Opacity of the percentile bands.
pub(crate) const BAND_OPACITY: f64 = 0.2;
/// Opacity of bands that overlap other bands.
const OVERLAP_BAND_OPACITY: f64 = 0.12;

/// Band opacity for a chart of `lines` banded lines: paler when they overlap.
pub(crate) fn band_opacity(lines: usize) -> f64 {
    if lines > 1 {
        OVERLAP_BAND_OPACITY
    } else {
        BAND_OPACITY
    }
}

pub(crate) const CHARGED_OFF_GREY: RGBColor = RGBColor(0x99, 0x99, 0x99);
pub(crate) const SOLD_GREY: RGBColor = RGBColor(0x66, 0x66, 0x66);
pub(crate) const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(crate) const SUBTLE_TEXT: RGBColor = RGBColor(0x55, 0x55, 0x55);
const FOOTNOTE_TEXT: RGBColor = RGBColor(0x77, 0x77, 0x77);
pub(crate) const AXIS: RGBColor = RGBColor(0x44, 0x44, 0x44);
pub(crate) const GRID: RGBColor = RGBColor(0xE3, 0xE3, 0xE3);

const TITLE_SIZE: f64 = 40.0;
const SUBTITLE_SIZE: f64 = 24.0;
pub(crate) const AXIS_TITLE_SIZE: f64 = 26.0;
pub(crate) const TICK_SIZE: f64 = 23.0;
pub(crate) const LEGEND_SIZE: f64 = 23.0;
pub(crate) const NOTE_SIZE: f64 = 21.0;
const FOOTNOTE_SIZE: f64 = 19.0;

/// Left edge of title, subtitle and footnote.
const LEFT_INSET: i32 = 40;
const HEADER_HEIGHT: u32 = 112;
const FOOTER_HEIGHT: u32 = 46;
pub(crate) const LEGEND_WIDTH: u32 = 350;

pub(crate) fn font(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&TEXT)
}

pub(crate) fn bold(size: f64) -> TextStyle<'static> {
    // `FontDesc::style` keeps the regular glyphs; the bold face must be chosen at creation.
    FontDesc::new(FontFamily::Name(FONT), size, FontStyle::Bold).color(&TEXT)
}

pub(crate) fn anchored<'a>(style: TextStyle<'a>, h: HPos, v: VPos) -> TextStyle<'a> {
    style.pos(Pos::new(h, v))
}

/// Registers the embedded DejaVu Sans (regular and bold) as `sans-serif`, once per process.
fn ensure_fonts() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
                .map_err(|_| "the embedded DejaVu Sans font is invalid".to_string())?;
            plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold())
                .map_err(|_| "the embedded DejaVu Sans Bold font is invalid".to_string())?;
            Ok(())
        })
        .clone()
}

/// The fill colour of a state in the balance chart. `bucket_rank` is the position of the state
/// among the delinquency buckets of the chart (0 = least overdue), `buckets` their number.
pub(crate) fn state_colour(name: &str, bucket_rank: usize, buckets: usize) -> RGBColor {
    match name {
        "current" => OI_BLUE,
        "charged_off" => CHARGED_OFF_GREY,
        "sold" => SOLD_GREY,
        "paid_off" => OI_GREEN,
        _ => bucket_colour(bucket_rank, buckets),
    }
}

/// Yellow -> orange -> vermillion -> purple, the Okabe-Ito colours themselves for up to four
/// buckets, interpolated between them for more.
pub(crate) fn bucket_colour(rank: usize, count: usize) -> RGBColor {
    let ramp = [OI_YELLOW, OI_ORANGE, OI_VERMILLION, OI_PURPLE];
    match count {
        0 | 1 => OI_ORANGE,
        2 => [OI_ORANGE, OI_VERMILLION][rank.min(1)],
        3 => [OI_YELLOW, OI_ORANGE, OI_VERMILLION][rank.min(2)],
        4 => ramp[rank.min(3)],
        _ => {
            let t = rank.min(count - 1) as f64 / (count - 1) as f64 * (ramp.len() - 1) as f64;
            let i = (t.floor() as usize).min(ramp.len() - 2);
            let f = t - i as f64;
            let (a, b) = (ramp[i], ramp[i + 1]);
            let mix = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * f).round() as u8;
            RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
        }
    }
}

/// The colour of series `index`: the palette in order, then paler rounds of it.
pub(crate) fn series_colour(index: usize) -> RGBColor {
    palette_colour(&SERIES_COLOURS, index)
}

/// The colour of stress scenario `index` (0 = baseline).
fn scenario_colour(index: usize) -> RGBColor {
    palette_colour(&SCENARIO_COLOURS, index)
}

/// `palette[index]`, then paler rounds of the palette.
fn palette_colour(palette: &[RGBColor], index: usize) -> RGBColor {
    let n = palette.len().max(1);
    let colour = palette.get(index % n).copied().unwrap_or(OI_BLUE);
    match (index / n) % 3 {
        0 => colour,
        1 => tint(colour, 0.55),
        _ => tint(colour, 0.3),
    }
}

/// Colours of risk measures, the same as on the loss histogram: expected loss (or mean)
/// black, VaR vermillion, expected shortfall purple; a measure already given its colour, or
/// any other, takes the next unused series colour.
fn measure_colours(names: &[&str]) -> Vec<RGBColor> {
    let mut used: Vec<RGBColor> = Vec::new();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let lower = name.to_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let preferred = if words.contains(&"var") || lower.contains("value at risk") {
            Some(OI_VERMILLION)
        } else if words.contains(&"es") || words.contains(&"cvar") || lower.contains("shortfall") {
            Some(OI_PURPLE)
        } else if lower.contains("expected loss") || words.contains(&"mean") {
            Some(OI_BLACK)
        } else {
            None
        };
        let colour = preferred
            .filter(|c| !used.contains(c))
            .or_else(|| {
                (0..SERIES_COLOURS.len() * 3)
                    .map(series_colour)
                    .find(|c| !used.contains(c))
            })
            .unwrap_or(OI_BLUE);
        used.push(colour);
        out.push(colour);
    }
    out
}

/// `colour` at `opacity` over white: how a translucent band looks, for its legend swatch.
pub(crate) fn tint(colour: RGBColor, opacity: f64) -> RGBColor {
    let mix = |c: u8| (255.0 - (255.0 - c as f64) * opacity).round() as u8;
    RGBColor(mix(colour.0), mix(colour.1), mix(colour.2))
}

/// Marker shapes, so series differ by more than colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
    InvertedTriangle,
}

fn series_marker(index: usize) -> Marker {
    const MARKERS: [Marker; 5] = [
        Marker::Circle,
        Marker::Square,
        Marker::Triangle,
        Marker::Diamond,
        Marker::InvertedTriangle,
    ];
    MARKERS[index % MARKERS.len()]
}

/// Draws a filled marker of about `r` pixels' radius centred on `(x, y)` (pixels of `area`),
/// with a thin white rim so it stands out on its line.
pub(crate) fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    marker: Marker,
    colour: RGBColor,
    r: i32,
) -> DrawResult {
    let outline: Vec<(i32, i32)> = match marker {
        Marker::Circle => {
            area.draw(&Circle::new((x, y), r + 1, WHITE.filled()))
                .and_then(|_| area.draw(&Circle::new((x, y), r, colour.filled())))
                .map_err(ctx("drawing a marker"))?;
            return Ok(());
        }
        Marker::Square => {
            let h = r - 1;
            vec![
                (x - h, y - h),
                (x + h, y - h),
                (x + h, y + h),
                (x - h, y + h),
            ]
        }
        Marker::Triangle => vec![
            (x, y - r - 2),
            (x + r + 1, y + r - 1),
            (x - r - 1, y + r - 1),
        ],
        Marker::InvertedTriangle => {
            vec![
                (x, y + r + 2),
                (x + r + 1, y - r + 1),
                (x - r - 1, y - r + 1),
            ]
        }
        Marker::Diamond => vec![
            (x, y - r - 2),
            (x + r + 1, y),
            (x, y + r + 2),
            (x - r - 1, y),
        ],
    };
    area.draw(&Polygon::new(outline.clone(), colour.filled()))
        .and_then(|_| {
            let mut rim = outline;
            rim.push(rim[0]);
            area.draw(&PathElement::new(rim, WHITE.stroke_width(1)))
        })
        .map_err(ctx("drawing a marker"))
}

// ---------------------------------------------------------------------------------------------
// Number formatting

/// Divisor and suffix for amounts of magnitude up to `max_abs`.
fn amount_unit(max_abs: f64) -> (f64, &'static str) {
    if max_abs >= 1e9 {
        (1e9, "B")
    } else if max_abs >= 1e6 {
        (1e6, "M")
    } else if max_abs >= 1e4 {
        (1e3, "K")
    } else {
        (1.0, "")
    }
}

/// Number of decimals that shows every multiple of `step` exactly (steps are 1, 2 or 5 x 10^k).
fn decimals_for_step(step: f64) -> usize {
    if !(step.is_finite() && step > 0.0) {
        return 0;
    }
    let mut decimals = 0;
    let mut scaled = step;
    while decimals < 6 && (scaled - scaled.round()).abs() > 1e-9 * scaled.abs().max(1.0) {
        scaled *= 10.0;
        decimals += 1;
    }
    decimals
}

/// Tick labels for an amount axis: one suffix for the whole axis (from its largest value) and
/// as many decimals as the tick step needs, so labels line up: `0`, `50M`, `100M`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AxisFormat {
    divisor: f64,
    suffix: &'static str,
    decimals: usize,
}

impl AxisFormat {
    pub(crate) fn new(ticks: &[f64]) -> AxisFormat {
        let max_abs = ticks.iter().fold(0.0_f64, |m, t| m.max(t.abs()));
        let (divisor, suffix) = amount_unit(max_abs);
        let step = ticks
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(f64::INFINITY, f64::min);
        let decimals = if step.is_finite() {
            decimals_for_step(step / divisor)
        } else {
            0
        };
        AxisFormat {
            divisor,
            suffix,
            decimals,
        }
    }

    pub(crate) fn format(&self, value: f64) -> String {
        if value.abs() < 1e-12 * self.divisor {
            return "0".to_string();
        }
        format!(
            "{}{}",
            group_thousands(value / self.divisor, self.decimals),
            self.suffix
        )
    }
}

/// A single amount for a label: `12.03M`, `12.50M`, `850.3K`, `850K`, `1,234`, `0.57`; decimals
/// that are all zero are dropped (`12M`, not `12.00M`).
fn format_amount(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".to_string();
    }
    let (divisor, suffix) = amount_unit(value.abs());
    let scaled = value / divisor;
    let decimals = if divisor == 1.0 {
        if scaled.abs() >= 100.0 || scaled == scaled.round() {
            0
        } else {
            2
        }
    } else if scaled.abs() < 100.0 {
        2
    } else {
        1
    };
    let mut text = group_thousands(scaled, decimals);
    if text.contains('.') && text.ends_with('0') && text.trim_end_matches('0').ends_with('.') {
        text = text.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    format!("{text}{suffix}")
}

pub(crate) fn format_count(value: u64) -> String {
    group_thousands(value as f64, 0)
}

/// `1 path`, `1,000 paths`.
pub(crate) fn count_of(value: u64, noun: &str) -> String {
    let plural = if value == 1 { "" } else { "s" };
    format!("{} {noun}{plural}", format_count(value))
}

pub(crate) fn amount_axis_title(what: &str, currency: &str) -> String {
    let currency = currency.trim();
    if currency.is_empty() {
        format!("{what} (currency units)")
    } else {
        format!("{what} ({currency})")
    }
}

/// Tick labels for fractions shown scaled: percent (`factor` 100, `suffix` `"%"`) or cents per
/// unit of face (100, `""`), with as many decimals as the tick step needs: `0%`, `2%`, `4%`;
/// `2.5`, `5.0`, `7.5`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScaledFormat {
    factor: f64,
    suffix: &'static str,
    decimals: usize,
}

impl ScaledFormat {
    fn new(ticks: &[f64], factor: f64, suffix: &'static str) -> ScaledFormat {
        let step = ticks
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(f64::INFINITY, f64::min);
        ScaledFormat {
            factor,
            suffix,
            decimals: decimals_for_step(step * factor),
        }
    }

    pub(crate) fn percent(ticks: &[f64]) -> ScaledFormat {
        ScaledFormat::new(ticks, 100.0, "%")
    }

    fn cents(ticks: &[f64]) -> ScaledFormat {
        ScaledFormat::new(ticks, 100.0, "")
    }

    pub(crate) fn format(&self, value: f64) -> String {
        let scaled = value * self.factor;
        if scaled.abs() < 1e-9 {
            return format!("0{}", self.suffix);
        }
        format!("{}{}", group_thousands(scaled, self.decimals), self.suffix)
    }
}

/// A fraction as percent with one decimal: `11.0%`.
pub(crate) fn format_percent(fraction: f64) -> String {
    if !fraction.is_finite() {
        return "n/a".to_string();
    }
    format!("{}%", group_thousands(fraction * 100.0, 1))
}

/// A rate as percent with at most two decimals, trailing zeros dropped: `20%`, `17.5%`.
fn format_rate(fraction: f64) -> String {
    if !fraction.is_finite() {
        return "n/a".to_string();
    }
    let text = group_thousands(fraction * 100.0, 2);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// A fraction of face as cents with one decimal: `7.5`.
fn format_cents(fraction: f64) -> String {
    if !fraction.is_finite() {
        return "n/a".to_string();
    }
    group_thousands(fraction * 100.0, 1)
}

/// A tick label of a log10 share axis (`t` = log10 of the share) in percent, with the
/// decimals the value needs: `0.01%`, `0.5%`, `10%`.
fn format_log_share(t: &f64) -> String {
    let percent = 10f64.powf(*t + 2.0);
    if !(percent.is_finite() && percent > 0.0) {
        return String::new();
    }
    let decimals = if percent >= 1.0 - 1e-9 {
        0
    } else {
        ((-percent.log10() - 1e-6).ceil().max(0.0) as usize).min(12)
    };
    format!("{}%", group_thousands(percent, decimals))
}

/// A tick label of a log10 count axis (`t` = log10 of the count): `50`, `200`, `1K`, `20K`,
/// `2.5M`.
fn format_log_count(t: &f64) -> String {
    let n = 10f64.powf(*t).round();
    if !n.is_finite() {
        return String::new();
    }
    let (divisor, suffix) = if n >= 1e9 {
        (1e9, "B")
    } else if n >= 1e6 {
        (1e6, "M")
    } else if n >= 1e3 {
        (1e3, "K")
    } else {
        (1.0, "")
    };
    let scaled = n / divisor;
    let decimals = if (scaled - scaled.round()).abs() < 1e-6 {
        0
    } else {
        1
    };
    format!("{}{suffix}", group_thousands(scaled, decimals))
}

// ---------------------------------------------------------------------------------------------
// Axis ticks

/// A "nice" step (1, 2 or 5 x 10^k) giving about `target` intervals over `span`.
fn nice_step(span: f64, target: usize) -> f64 {
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

/// An axis from 0 to a nice round number at or above `max` (with `headroom`, a fraction), and
/// its ticks.
fn zero_based_axis(max: f64, headroom: f64, target: usize) -> (Range<f64>, Vec<f64>) {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let step = nice_step(max * (1.0 + headroom), target);
    let top = ((max * (1.0 + headroom)) / step).ceil().max(1.0) * step;
    let range = 0.0..top;
    let ticks = ticks_in(&range, step);
    (range, ticks)
}

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
    let (lo, hi) = if hi - lo > 0.0 && (hi - lo).is_finite() {
        (lo, hi)
    } else {
        (0.0, fallback_top)
    };
    let span = hi - lo;
    let top = if hi > 0.0 { hi + span * headroom } else { 0.0 };
    let bottom = if lo < 0.0 { lo - span * 0.04 } else { 0.0 };
    nice_axis(bottom, top, target)
}

/// The axis from `bottom` to `top` widened to multiples of a nice step, and its ticks: of the
/// steps for about `target` and `target + 2` intervals, the one wasting less room.
fn nice_axis(bottom: f64, top: f64, target: usize) -> (Range<f64>, Vec<f64>) {
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
fn span_axis(lo: f64, hi: f64, pad: f64, target: usize) -> (Range<f64>, Vec<f64>) {
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
fn share_axis(largest: f64, headroom: f64) -> (Range<f64>, Vec<f64>) {
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
fn log_ticks(range: &Range<f64>) -> Vec<f64> {
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
fn log_share_axis(smallest: f64, largest: f64, headroom: f64) -> (Range<f64>, Vec<f64>) {
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
fn log_125_ceil(t: f64) -> f64 {
    let k = t.floor();
    [1.0_f64, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| k + m.log10())
        .find(|&c| c >= t - 1e-9)
        .unwrap_or(k + 1.0)
}

/// The largest log10 of 1, 2 or 5 x 10^k at or below `t`.
fn log_125_floor(t: f64) -> f64 {
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

/// Indices of `keys` in ascending order of key (a total order: NaN last).
fn sorted_order(keys: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]));
    order
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

// ---------------------------------------------------------------------------------------------
// Writing both formats

pub(crate) type DrawResult = Result<(), String>;

pub(crate) fn ctx<E: Display>(what: &'static str) -> impl FnOnce(E) -> String {
    move |e| format!("{what}: {e}")
}

/// A chart that can draw itself on any plotters backend.
pub(crate) trait Chart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult;
}

pub(crate) fn file_with_ext(stem: &Path, ext: &str) -> PathBuf {
    let mut name = stem.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

pub(crate) fn write_both<C: Chart>(stem: &Path, chart: &C) -> Result<(), ChartError> {
    let png = file_with_ext(stem, "png");
    let svg = file_with_ext(stem, "svg");
    let fail = |path: &Path, message: String| ChartError::Draw {
        path: path.to_path_buf(),
        message,
    };
    ensure_fonts().map_err(|m| fail(&png, m))?;

    guarded(|| {
        let bytes = draw_png(chart)?;
        std::fs::write(&png, bytes).map_err(ctx("writing the PNG"))
    })
    .map_err(|m| fail(&png, m))?;

    guarded(|| {
        let root = SVGBackend::new(&svg, (WIDTH, HEIGHT)).into_drawing_area();
        chart.draw(&root)?;
        root.present().map_err(ctx("writing the SVG"))
    })
    .map_err(|m| fail(&svg, m))
}

/// PNG pixels per pixel of the layout: the PNG is drawn at twice the SVG's size.
const PNG_SCALE: u32 = 2;

/// The PNG's resolution, 300 dpi (print) in pixels per metre: 300 / 0.0254 = 11,811.
const PNG_PIXELS_PER_METRE: u32 = 11_811;

/// The chart as PNG bytes: drawn at [`PNG_SCALE`] times the layout's size and marked
/// [`PNG_PIXELS_PER_METRE`].
fn draw_png<C: Chart>(chart: &C) -> Result<Vec<u8>, String> {
    let size = (WIDTH * PNG_SCALE, HEIGHT * PNG_SCALE);
    let mut pixels = vec![0u8; 3 * size.0 as usize * size.1 as usize];
    {
        let backend = BitMapBackend::with_buffer(&mut pixels, size);
        let root = scaled::Scaled::new(backend, f64::from(PNG_SCALE)).into_drawing_area();
        chart.draw(&root)?;
        root.present().map_err(ctx("drawing the PNG"))?;
    }
    scaled::encode_png(&pixels, size, PNG_PIXELS_PER_METRE).map_err(ctx("encoding the PNG"))
}

/// Runs `f`, turning a panic inside plotters into an error.
fn guarded(f: impl FnOnce() -> DrawResult) -> DrawResult {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(format!("plotters panicked: {message}"))
        }
    }
}

/// The parts of the canvas every chart shares.
pub(crate) struct Frame<DB: DrawingBackend> {
    pub(crate) plot: DrawingArea<DB, Shift>,
    pub(crate) legend: DrawingArea<DB, Shift>,
}

/// Fills the background, draws title, subtitle and footnote, and returns the plot and legend
/// areas.
pub(crate) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    meta: &ChartMeta,
    title: &str,
    subtitle: &str,
) -> Result<Frame<DB>, String> {
    let name = meta.scenario_name.trim();
    let title = if name.is_empty() {
        title.to_string()
    } else {
        format!("{name}: {title}")
    };
    let footnote = format!(
        "seed {} · {} · arrears",
        meta.seed,
        count_of(meta.paths, "path")
    );
    frame_with_footnote(root, &title, subtitle, &footnote)
}

/// [`frame`] for charts that do not come from a run (calibration): the title as given and a
/// footnote of the caller's.
pub(crate) fn frame_with_footnote<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    footnote: &str,
) -> Result<Frame<DB>, String> {
    root.fill(&WHITE).map_err(ctx("filling the background"))?;
    let (header, rest) = root.split_vertically(HEADER_HEIGHT);
    let (body, footer) = rest.split_vertically(HEIGHT - HEADER_HEIGHT - FOOTER_HEIGHT);

    header
        .draw_text(
            title,
            &anchored(bold(TITLE_SIZE), HPos::Left, VPos::Top),
            (LEFT_INSET, 24),
        )
        .map_err(ctx("drawing the title"))?;
    header
        .draw_text(
            subtitle,
            &anchored(
                font(SUBTITLE_SIZE).color(&SUBTLE_TEXT),
                HPos::Left,
                VPos::Top,
            ),
            (LEFT_INSET, 74),
        )
        .map_err(ctx("drawing the subtitle"))?;

    footer
        .draw_text(
            footnote,
            &anchored(
                font(FOOTNOTE_SIZE).color(&FOOTNOTE_TEXT),
                HPos::Left,
                VPos::Center,
            ),
            (LEFT_INSET, (FOOTER_HEIGHT / 2) as i32 - 2),
        )
        .map_err(ctx("drawing the footnote"))?;

    let (plot, legend) = body.split_horizontally(WIDTH - LEGEND_WIDTH);
    Ok(Frame { plot, legend })
}

/// What a legend entry shows left of its label.
#[derive(Clone, Copy)]
pub(crate) enum Swatch {
    Box(RGBColor),
    Line(RGBColor),
    DashedLine(RGBColor),
    DottedLine(RGBColor),
    LineMarker(RGBColor, Marker),
}

/// How a line is stroked, so lines differ by more than colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stroke {
    Solid,
    Dashed,
    Dotted,
}

/// The legend swatch of a line stroked so.
fn stroke_swatch(stroke: Stroke, colour: RGBColor) -> Swatch {
    match stroke {
        Stroke::Solid => Swatch::Line(colour),
        Stroke::Dashed => Swatch::DashedLine(colour),
        Stroke::Dotted => Swatch::DottedLine(colour),
    }
}

/// The legend swatch of a series line: with its marker when the chart draws markers.
fn line_swatch(colour: RGBColor, marker: Marker, markers: bool) -> Swatch {
    if markers {
        Swatch::LineMarker(colour, marker)
    } else {
        Swatch::Line(colour)
    }
}

/// Draws a legend panel: a bold heading (if any), then one row per entry, then grey notes.
pub(crate) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    heading: &str,
    entries: &[(Swatch, String)],
    notes: &[String],
) -> DrawResult {
    const X: i32 = 16;
    const ROW: i32 = 38;
    const SWATCH_W: i32 = 34;
    const SWATCH_H: i32 = 20;
    let top = 30;
    let label_style = anchored(font(LEGEND_SIZE), HPos::Left, VPos::Center);
    let (area_w, _) = area.dim_in_pixel();
    let max_label_w = area_w as i32 - X - SWATCH_W - 12 - 16;

    let mut y = top;
    if !heading.is_empty() {
        area.draw_text(
            heading,
            &anchored(bold(LEGEND_SIZE), HPos::Left, VPos::Center),
            (X, top),
        )
        .map_err(ctx("drawing the legend"))?;
        y += ROW + 4;
    }
    for (swatch, label) in entries {
        match *swatch {
            Swatch::Box(c) => {
                area.draw(&Rectangle::new(
                    [(X, y - SWATCH_H / 2), (X + SWATCH_W, y + SWATCH_H / 2)],
                    c.filled(),
                ))
                .map_err(ctx("drawing the legend"))?;
                if c == OI_YELLOW || c == WHITE {
                    // Keep the palest swatches visible against the white panel.
                    area.draw(&Rectangle::new(
                        [(X, y - SWATCH_H / 2), (X + SWATCH_W, y + SWATCH_H / 2)],
                        RGBColor(0xB0, 0xB0, 0xB0).stroke_width(1),
                    ))
                    .map_err(ctx("drawing the legend"))?;
                }
            }
            Swatch::Line(c) => {
                area.draw(&PathElement::new(
                    vec![(X, y), (X + SWATCH_W, y)],
                    c.stroke_width(4),
                ))
                .map_err(ctx("drawing the legend"))?;
            }
            Swatch::DashedLine(c) | Swatch::DottedLine(c) => {
                let dashes: &[(i32, i32)] = if matches!(swatch, Swatch::DottedLine(_)) {
                    &[(0, 4), (10, 14), (20, 24), (30, 34)]
                } else {
                    &[(0, 9), (13, 21), (25, 34)]
                };
                for &(a, b) in dashes {
                    area.draw(&PathElement::new(
                        vec![(X + a, y), (X + b, y)],
                        c.stroke_width(4),
                    ))
                    .map_err(ctx("drawing the legend"))?;
                }
            }
            Swatch::LineMarker(c, marker) => {
                area.draw(&PathElement::new(
                    vec![(X, y), (X + SWATCH_W, y)],
                    c.stroke_width(3),
                ))
                .map_err(ctx("drawing the legend"))?;
                draw_marker(area, (X + SWATCH_W / 2, y), marker, c, 6)?;
            }
        }
        let label = fit_text(area, label, &label_style, max_label_w);
        // +2: DejaVu's centre sits a little high against the swatch.
        area.draw_text(&label, &label_style, (X + SWATCH_W + 12, y + 2))
            .map_err(ctx("drawing the legend"))?;
        y += ROW;
    }

    y += 10;
    let note_style = anchored(
        font(NOTE_SIZE).color(&SUBTLE_TEXT),
        HPos::Left,
        VPos::Center,
    );
    for note in notes {
        let note = fit_text(area, note, &note_style, area_w as i32 - X - 16);
        area.draw_text(&note, &note_style, (X, y))
            .map_err(ctx("drawing the legend"))?;
        y += 30;
    }
    Ok(())
}

/// `text`, shortened with an ellipsis if it is wider than `max_width` pixels.
pub(crate) fn fit_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    max_width: i32,
) -> String {
    let width = |s: &str| {
        area.estimate_text_size(s, style)
            .map(|(w, _)| w as i32)
            .unwrap_or(0)
    };
    if width(text) <= max_width {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    for keep in (1..chars.len()).rev() {
        let candidate: String = chars[..keep].iter().collect::<String>() + "…";
        if width(&candidate) <= max_width {
            return candidate;
        }
    }
    "…".to_string()
}

/// Draws a grey note centred in the plotting area of a chart.
pub(crate) fn centred_note<DB: DrawingBackend>(
    root_like: &DrawingArea<DB, Shift>,
    pixel_range: (Range<i32>, Range<i32>),
    text: &str,
) -> DrawResult {
    let (xs, ys) = pixel_range;
    let base = root_like.get_base_pixel();
    let centre = (
        (xs.start + xs.end) / 2 - base.0,
        (ys.start + ys.end) / 2 - base.1,
    );
    root_like
        .draw_text(
            text,
            &anchored(
                font(AXIS_TITLE_SIZE).color(&SUBTLE_TEXT),
                HPos::Center,
                VPos::Center,
            ),
            centre,
        )
        .map_err(ctx("drawing a note"))
}

/// A tick label formatter chosen at run time.
type TickLabel = Box<dyn Fn(&f64) -> String>;

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

/// A month tick label: a whole number.
pub(crate) fn format_month(month: &f64) -> String {
    format!("{}", month.round() as i64)
}

// ---------------------------------------------------------------------------------------------
// Balance by state

struct Band {
    label: String,
    colour: RGBColor,
    /// Cumulative balance below and at the top of the band, per point of `xs`.
    lower: Vec<f64>,
    upper: Vec<f64>,
}

struct BalanceChart {
    meta: ChartMeta,
    /// x positions of the points (months; a lone month is widened to a flat step).
    xs: Vec<f64>,
    x_range: Range<f64>,
    x_ticks: Vec<f64>,
    bands: Vec<Band>,
    y_range: Range<f64>,
    y_ticks: Vec<f64>,
    note: Option<String>,
}

impl BalanceChart {
    fn new(
        meta: &ChartMeta,
        months: &[u32],
        series: &[(String, Option<String>, Vec<f64>)],
    ) -> BalanceChart {
        // Points in month order, whatever order the caller gave.
        let mut order: Vec<usize> = (0..months.len()).collect();
        order.sort_by_key(|&i| months[i]);
        let clean = |v: f64| if v.is_finite() && v > 0.0 { v } else { 0.0 };

        let (xs, picks): (Vec<f64>, Vec<usize>) = match order.as_slice() {
            [] => (Vec::new(), Vec::new()),
            [only] => {
                let m = months[*only] as f64;
                (vec![m - 0.5, m + 0.5], vec![*only, *only])
            }
            _ => order.iter().map(|&i| (months[i] as f64, i)).unzip(),
        };
        let x_range = match order.as_slice() {
            [] => 0.0..12.0,
            [only] => {
                let m = months[*only] as f64;
                (m - 1.0)..(m + 1.0)
            }
            _ => {
                let lo = months[order[0]] as f64;
                let hi = months[*order.last().unwrap_or(&order[0])] as f64;
                lo..hi.max(lo + 1.0)
            }
        };
        let x_ticks = if order.len() == 1 {
            vec![months[order[0]] as f64]
        } else {
            month_ticks(&x_range)
        };

        let buckets: Vec<usize> = series
            .iter()
            .enumerate()
            .filter(|(_, (name, _, _))| {
                !matches!(
                    name.as_str(),
                    "current" | "charged_off" | "sold" | "paid_off"
                )
            })
            .map(|(i, _)| i)
            .collect();

        let mut running = vec![0.0; xs.len()];
        let mut bands = Vec::with_capacity(series.len());
        for (i, (name, stage, values)) in series.iter().enumerate() {
            let lower = running.clone();
            for (k, &pick) in picks.iter().enumerate() {
                running[k] += clean(values.get(pick).copied().unwrap_or(0.0));
            }
            let rank = buckets.iter().position(|&b| b == i).unwrap_or(0);
            let label = match stage.as_deref().map(str::trim) {
                Some(stage) if !stage.is_empty() => format!("{name} ({stage})"),
                _ => name.clone(),
            };
            bands.push(Band {
                label,
                colour: state_colour(name, rank, buckets.len()),
                lower,
                upper: running.clone(),
            });
        }

        let max_total = running.iter().copied().fold(0.0, f64::max);
        let (y_range, y_ticks) = zero_based_axis(max_total, 0.04, 6);
        let note = if months.is_empty() || series.is_empty() {
            Some("No balances to show".to_string())
        } else if max_total <= 0.0 {
            Some("All balances are zero".to_string())
        } else {
            None
        };

        BalanceChart {
            meta: meta.clone(),
            xs,
            x_range,
            x_ticks,
            bands,
            y_range,
            y_ticks,
            note,
        }
    }
}

impl Chart for BalanceChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let subtitle = format!(
            "Mean balance across {}, stacked by state",
            count_of(self.meta.paths, "simulated path")
        );
        let Frame { plot, legend } = frame(root, &self.meta, "Balance by state", &subtitle)?;

        let y_format = AxisFormat::new(&self.y_ticks);
        let mut chart = plot_axes(
            &plot,
            TickedAxis::new(&self.x_range, &self.x_ticks),
            TickedAxis::new(&self.y_range, &self.y_ticks),
            ("Month", &amount_axis_title("Balance", &self.meta.currency)),
            &format_month,
            &|v| y_format.format(*v),
        )?;

        // Bottom band first; each band is its own polygon between its lower and upper edges.
        for band in &self.bands {
            let has_area = band.upper.iter().zip(&band.lower).any(|(u, l)| u - l > 0.0);
            if !has_area {
                continue;
            }
            let mut outline: Vec<(f64, f64)> = self
                .xs
                .iter()
                .copied()
                .zip(band.upper.iter().copied())
                .collect();
            outline.extend(
                self.xs
                    .iter()
                    .copied()
                    .zip(band.lower.iter().copied())
                    .rev(),
            );
            chart
                .draw_series(std::iter::once(Polygon::new(outline, band.colour.filled())))
                .map_err(ctx("drawing a band"))?;
        }
        // Thin white edges between bands, drawn last so every boundary shows.
        for band in self.bands.iter().take(self.bands.len().saturating_sub(1)) {
            let has_area = band.upper.iter().any(|&u| u > 0.0);
            if !has_area {
                continue;
            }
            chart
                .draw_series(std::iter::once(PathElement::new(
                    self.xs
                        .iter()
                        .copied()
                        .zip(band.upper.iter().copied())
                        .collect::<Vec<_>>(),
                    WHITE.stroke_width(1),
                )))
                .map_err(ctx("drawing a band edge"))?;
        }

        redraw_axes(&chart, &self.x_range, &self.y_range)?;

        if let Some(note) = &self.note {
            centred_note(root, chart.plotting_area().get_pixel_range(), note)?;
        }

        let entries: Vec<(Swatch, String)> = self
            .bands
            .iter()
            .rev()
            .map(|b| (Swatch::Box(b.colour), b.label.clone()))
            .collect();
        let notes = if self.bands.len() > 1 {
            vec![
                "Listed in stacking order,".to_string(),
                "top band first".to_string(),
            ]
        } else {
            Vec::new()
        };
        draw_legend(&legend, "State", &entries, &notes)
    }
}

// ---------------------------------------------------------------------------------------------
// Loss distribution

/// How the bars of a loss histogram are measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeightScale {
    /// Number of paths.
    Paths,
    /// Share of the paths' total weight, on a linear axis.
    Share,
    /// Share of the paths' total weight on a log10 axis: the y coordinates are log10 shares.
    LogShare,
}

/// What a loss histogram is called and how it measures its bars.
struct LossSpec {
    title: String,
    /// What is distributed, for the subtitle (`"net credit loss"`), or none.
    subject: Option<String>,
    x_desc: String,
    scale: HeightScale,
}

/// A value marked on a histogram by a vertical line, with a label giving the value.
struct VLine {
    value: f64,
    label: String,
    colour: RGBColor,
    stroke: Stroke,
}

impl VLine {
    fn new(value: f64, name: &str, colour: RGBColor, stroke: Stroke) -> VLine {
        VLine {
            value,
            label: format!("{name} {}", format_amount(value)),
            colour,
            stroke,
        }
    }
}

struct LossChart {
    meta: ChartMeta,
    spec: LossSpec,
    /// Number of paths drawn: finite losses with a positive weight.
    count: usize,
    /// Effective sample size (sum of weights squared over sum of squared weights), when the
    /// paths are weighted.
    effective_size: Option<f64>,
    grid: BinGrid,
    /// Bar heights: paths, or shares (0-1) of the total weight.
    heights: Vec<f64>,
    /// The finite marked values, drawn when there are paths.
    lines: Vec<VLine>,
    x_range: Range<f64>,
    x_ticks: Vec<f64>,
    y_range: Range<f64>,
    y_ticks: Vec<f64>,
    note: Option<String>,
}

/// Linear-interpolated quantile of sorted data.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Bin start, width and count for `sorted` (non-empty, finite): Freedman-Diaconis, clamped to
/// 10..=60 bins, with the width rounded to a round number (1, 2, 2.5 or 5 x 10^k) and the
/// edges on multiples of it. Data with no spread get 11 bins centred on the value.
fn choose_bins(sorted: &[f64]) -> (f64, f64, usize) {
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
struct BinGrid {
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
fn weighted_values(values: &[f64], weights: &[f64]) -> Vec<(f64, f64)> {
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
fn weight_totals(data: &[(f64, f64)]) -> (f64, f64) {
    let total: f64 = data.iter().map(|&(_, w)| w).sum();
    let squares: f64 = data.iter().map(|&(_, w)| w * w).sum();
    let effective = if squares > 0.0 {
        total * total / squares
    } else {
        0.0
    };
    (total, effective)
}

impl LossChart {
    fn new(
        meta: &ChartMeta,
        spec: LossSpec,
        losses: &[f64],
        weights: &[f64],
        lines: Vec<VLine>,
    ) -> LossChart {
        let data = weighted_values(losses, weights);
        let (total, effective) = weight_totals(&data);
        let (grid, heights) = match BinGrid::for_values(data.iter().map(|&(v, _)| v)) {
            Some(grid) if total > 0.0 => {
                let mut heights = grid.tally(&data);
                if spec.scale != HeightScale::Paths {
                    heights.iter_mut().for_each(|h| *h /= total);
                }
                (grid, heights)
            }
            _ => (BinGrid::empty(), Vec::new()),
        };
        let have_data = !heights.is_empty();
        let lines: Vec<VLine> = lines
            .into_iter()
            .filter(|l| have_data && l.value.is_finite())
            .collect();

        // x axis: the bins, widened to show the marked values, with a small margin.
        let (mut lo, mut hi) = if have_data {
            (grid.start, grid.end())
        } else {
            (0.0, 1.0)
        };
        for line in &lines {
            lo = lo.min(line.value);
            hi = hi.max(line.value);
        }
        let pad = (hi - lo) * 0.03;
        let x_range = (lo - pad)..(hi + pad);
        let x_ticks = ticks_in(&x_range, nice_step(x_range.end - x_range.start, 9));

        let max = heights.iter().copied().fold(0.0, f64::max);
        // Headroom above the tallest bar for the line labels.
        let (y_range, y_ticks) = match spec.scale {
            HeightScale::Paths => {
                // Whole paths only on the axis.
                let (range, ticks) = zero_based_axis(max.max(1.0), 0.22, 6);
                if ticks.get(1).is_none_or(|&step| step < 1.0) {
                    let range = 0.0..(max.max(1.0) * 1.22).ceil().max(2.0);
                    let ticks = ticks_in(&range, 1.0);
                    (range, ticks)
                } else {
                    (range, ticks)
                }
            }
            HeightScale::Share => share_axis(max, 0.22),
            HeightScale::LogShare => {
                let smallest = heights
                    .iter()
                    .copied()
                    .filter(|&h| h > 0.0)
                    .fold(f64::INFINITY, f64::min);
                log_share_axis(smallest, max, 0.45)
            }
        };

        let note = if have_data {
            None
        } else if !weights.is_empty() && losses.iter().any(|v| v.is_finite()) {
            Some("No paths with a positive weight".to_string())
        } else {
            Some("No paths to show".to_string())
        };

        LossChart {
            meta: meta.clone(),
            count: data.len(),
            effective_size: (!weights.is_empty() && have_data).then_some(effective),
            spec,
            grid,
            heights,
            lines,
            x_range,
            x_ticks,
            y_range,
            y_ticks,
            note,
        }
    }

    /// The y coordinate of a bar of height `h`, or none if it is not drawn.
    fn bar_top(&self, h: f64) -> Option<f64> {
        if h.is_nan() || h <= 0.0 {
            return None;
        }
        match self.spec.scale {
            HeightScale::LogShare => {
                let t = h.log10();
                (t > self.y_range.start).then_some(t)
            }
            _ => Some(h),
        }
    }
}

impl Chart for LossChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let scale = self.spec.scale;
        let of_what = match &self.spec.subject {
            Some(subject) => format!("Distribution of {subject} over"),
            None => "Distribution over".to_string(),
        };
        let subtitle = if self.note.is_some() {
            format!("{of_what} simulated paths")
        } else {
            let weighted = if self.effective_size.is_some() {
                ", importance-weighted"
            } else {
                ""
            };
            let log = if scale == HeightScale::LogShare {
                "; share of paths on a log scale"
            } else {
                ""
            };
            format!(
                "{of_what} {}{weighted}; bins of {}{log}",
                count_of(self.count as u64, "simulated path"),
                format_amount(self.grid.width)
            )
        };
        let Frame { plot, legend } = frame(root, &self.meta, &self.spec.title, &subtitle)?;

        let x_format = AxisFormat::new(&self.x_ticks);
        let (y_desc, y_label): (&str, TickLabel) = match scale {
            HeightScale::Paths => {
                let y_format = AxisFormat::new(&self.y_ticks);
                ("Paths", Box::new(move |v| y_format.format(v.round())))
            }
            HeightScale::Share => {
                let y_format = ScaledFormat::percent(&self.y_ticks);
                ("Share of paths", Box::new(move |v| y_format.format(*v)))
            }
            HeightScale::LogShare => ("Share of paths (log scale)", Box::new(format_log_share)),
        };
        let mut chart = plot_axes(
            &plot,
            TickedAxis::new(&self.x_range, &self.x_ticks),
            TickedAxis::new(&self.y_range, &self.y_ticks),
            (&self.spec.x_desc, y_desc),
            &|v| x_format.format(*v),
            &*y_label,
        )?;

        let base = self.y_range.start;
        let bars: Vec<(f64, f64, f64)> = self
            .heights
            .iter()
            .enumerate()
            .filter_map(|(i, &h)| {
                let (x0, x1) = self.grid.edges(i);
                self.bar_top(h).map(|top| (x0, x1, top))
            })
            .collect();
        chart
            .draw_series(
                bars.iter().map(|&(x0, x1, top)| {
                    Rectangle::new([(x0, base), (x1, top)], OI_BLUE.filled())
                }),
            )
            .map_err(ctx("drawing the bars"))?;
        // White separators on the left edge of each bar; the tops stay blue so a bar of one
        // path is still visible.
        chart
            .draw_series(bars.iter().map(|&(x0, _, top)| {
                PathElement::new(vec![(x0, base), (x0, top)], WHITE.stroke_width(1))
            }))
            .map_err(ctx("drawing the bar edges"))?;

        redraw_axes(&chart, &self.x_range, &self.y_range)?;

        for line in &self.lines {
            draw_vline(
                &mut chart,
                line.value,
                &self.y_range,
                line.colour,
                line.stroke,
            )?;
        }

        let pixels = chart.plotting_area().get_pixel_range();
        if let Some(note) = &self.note {
            return centred_note(root, pixels, note);
        }
        let labels: Vec<(f64, String, RGBColor)> = self
            .lines
            .iter()
            .map(|l| (l.value, l.label.clone(), l.colour))
            .collect();
        let top = self.y_range.end;
        let at = |x: f64| chart.backend_coord(&(x, top)).0;
        line_labels(root, &pixels, &labels, at)?;

        let bar_label = match (scale, self.effective_size.is_some()) {
            (HeightScale::Paths, _) => "Paths per bin",
            (_, false) => "Share of paths per bin",
            (_, true) => "Weighted share per bin",
        };
        let mut entries = vec![(Swatch::Box(OI_BLUE), bar_label.to_string())];
        entries.extend(
            self.lines
                .iter()
                .map(|l| (stroke_swatch(l.stroke, l.colour), l.label.clone())),
        );
        let mut notes = vec![count_of(self.count as u64, "path")];
        if let Some(effective) = self.effective_size {
            notes.push("Importance-weighted:".to_string());
            notes.push(format!(
                "effective size {}",
                count_of(effective.round() as u64, "path")
            ));
        }
        notes.push(format!(
            "{} bins of {}",
            self.heights.len(),
            format_amount(self.grid.width)
        ));
        draw_legend(&legend, "", &entries, &notes)
    }
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

/// A vertical line at `x` across `y`, 3 pixels wide.
fn draw_vline<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    x: f64,
    y: &Range<f64>,
    colour: RGBColor,
    stroke: Stroke,
) -> DrawResult {
    let points = [(x, y.start), (x, y.end)];
    let style = colour.stroke_width(3);
    match stroke {
        Stroke::Solid => chart.draw_series(LineSeries::new(points, style)),
        Stroke::Dashed => chart.draw_series(DashedLineSeries::new(points, 14, 8, style)),
        Stroke::Dotted => chart.draw_series(DashedLineSeries::new(points, 4, 6, style)),
    }
    .map(|_| ())
    .map_err(ctx("drawing a marked value"))
}

/// Labels the vertical lines near the top of the plot: each label left of its line except
/// the highest value's, which goes right, each flipped to the other side where it would leave
/// the plot or cross another line, and moved down a row if two labels would overlap.
fn line_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    pixels: &(Range<i32>, Range<i32>),
    labels: &[(f64, String, RGBColor)],
    x_pixel: impl Fn(f64) -> i32,
) -> DrawResult {
    const GAP: i32 = 10;
    const ROW: i32 = 34;
    let (xs, ys) = pixels;
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by(|&a, &b| labels[a].0.total_cmp(&labels[b].0));
    let line_xs: Vec<i32> = labels.iter().map(|l| x_pixel(l.0)).collect();

    let mut placed: Vec<(i32, i32, i32)> = Vec::new(); // (left, right, row y)
    for (rank, &i) in order.iter().enumerate() {
        let (_, text, colour) = &labels[i];
        let style = bold(LEGEND_SIZE).color(colour);
        let (width, _) = root
            .estimate_text_size(text, &style)
            .map_err(ctx("measuring a label"))?;
        let width = width as i32;
        let x = line_xs[i];
        let left_span = (x - GAP - width, x - GAP);
        let right_span = (x + GAP, x + GAP + width);
        let prefer_left = order.len() > 1 && rank + 1 < order.len();
        let sides = if prefer_left {
            [left_span, right_span]
        } else {
            [right_span, left_span]
        };
        let fits = |&(l, r): &(i32, i32)| l >= xs.start + 4 && r <= xs.end - 4;
        let clear = |&(l, r): &(i32, i32)| {
            line_xs
                .iter()
                .enumerate()
                .all(|(j, &lx)| j == i || lx < l - 4 || lx > r + 4)
        };
        let span = sides
            .iter()
            .find(|s| fits(s) && clear(s))
            .or_else(|| sides.iter().find(|s| fits(s)))
            .copied()
            .unwrap_or(sides[0]);
        let mut y = ys.start + 22;
        while placed
            .iter()
            .any(|&(l, r, py)| py == y && span.0 < r + 8 && l < span.1 + 8)
        {
            y += ROW;
        }
        placed.push((span.0, span.1, y));
        root.draw_text(
            text,
            &anchored(style, HPos::Left, VPos::Center),
            (span.0, y),
        )
        .map_err(ctx("drawing a line label"))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Lines, bands and markers

/// Maximal runs of consecutive items that pass `keep`.
pub(crate) fn runs<T: Copy>(items: &[T], keep: impl Fn(&T) -> bool) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = Vec::new();
    let mut current: Vec<T> = Vec::new();
    for item in items {
        if keep(item) {
            current.push(*item);
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A shaded band between `(x, lower, upper)` edges, broken where an edge is not finite; a
/// lone point becomes a short vertical bar.
pub(crate) fn draw_band<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    band: &[(f64, f64, f64)],
    colour: RGBColor,
) -> DrawResult {
    draw_band_at(chart, band, colour, BAND_OPACITY)
}

/// [`draw_band`] at `opacity`, with thin edges in the band's colour: for bands that overlap.
fn draw_outlined_band<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    band: &[(f64, f64, f64)],
    colour: RGBColor,
    opacity: f64,
) -> DrawResult {
    draw_band_at(chart, band, colour, opacity)?;
    let edge = colour.mix(0.55).stroke_width(1);
    for run in runs(band, |&(x, a, b)| {
        x.is_finite() && a.is_finite() && b.is_finite()
    }) {
        if run.len() < 2 {
            continue;
        }
        let lower: Vec<(f64, f64)> = run.iter().map(|&(x, a, b)| (x, a.min(b))).collect();
        let upper: Vec<(f64, f64)> = run.iter().map(|&(x, a, b)| (x, a.max(b))).collect();
        chart
            .draw_series([PathElement::new(lower, edge), PathElement::new(upper, edge)])
            .map_err(ctx("drawing a band edge"))?;
    }
    Ok(())
}

pub(crate) fn draw_band_at<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    band: &[(f64, f64, f64)],
    colour: RGBColor,
    opacity: f64,
) -> DrawResult {
    let fill = colour.mix(opacity);
    for run in runs(band, |&(x, a, b)| {
        x.is_finite() && a.is_finite() && b.is_finite()
    }) {
        if let [(x, a, b)] = run[..] {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, a.min(b)), (x, a.max(b))],
                    fill.stroke_width(12),
                )))
                .map_err(ctx("drawing a band"))?;
            continue;
        }
        let mut outline: Vec<(f64, f64)> = run.iter().map(|&(x, a, b)| (x, a.max(b))).collect();
        outline.extend(run.iter().rev().map(|&(x, a, b)| (x, a.min(b))));
        chart
            .draw_series(std::iter::once(Polygon::new(outline, fill.filled())))
            .map_err(ctx("drawing a band"))?;
    }
    Ok(())
}

/// A line through the finite points, broken at the others; `marker` on every point, or a dot
/// on a point with no neighbour so it still shows.
pub(crate) fn draw_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &mut Plot<'_, DB>,
    points: &[(f64, f64)],
    colour: RGBColor,
    marker: Option<Marker>,
) -> DrawResult {
    for run in runs(points, |&(x, y)| x.is_finite() && y.is_finite()) {
        if run.len() > 1 {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    run.clone(),
                    colour.stroke_width(3),
                )))
                .map_err(ctx("drawing a line"))?;
        }
        if marker.is_some() || run.len() == 1 {
            for p in &run {
                let at = chart.backend_coord(p);
                draw_marker(root, at, marker.unwrap_or(Marker::Circle), colour, 6)?;
            }
        }
    }
    Ok(())
}

/// A horizontal line at zero, when the y axis goes below it.
fn draw_zero_line<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    x: &Range<f64>,
    y: &Range<f64>,
) -> DrawResult {
    if y.start >= 0.0 {
        return Ok(());
    }
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(x.start, 0.0), (x.end, 0.0)],
            AXIS.stroke_width(1),
        )))
        .map_err(ctx("drawing the zero line"))?;
    Ok(())
}

/// A month axis from `lo` to `hi` (at least one month wide) with month ticks.
pub(crate) fn month_axis(lo: f64, hi: f64) -> (Range<f64>, Vec<f64>) {
    let range = lo..hi.max(lo + 1.0);
    let ticks = month_ticks(&range);
    (range, ticks)
}

// ---------------------------------------------------------------------------------------------
// Recovery curve

struct RecoveryChart {
    meta: ChartMeta,
    mean: Vec<(f64, f64)>,
    band: Vec<(f64, f64, f64)>,
    x_range: Range<f64>,
    x_ticks: Vec<f64>,
    y_range: Range<f64>,
    y_ticks: Vec<f64>,
    note: Option<String>,
    /// The last month with a finite mean: (month, mean, p5, p95).
    last: Option<(f64, f64, f64, f64)>,
}

impl RecoveryChart {
    fn new(
        meta: &ChartMeta,
        months: &[u32],
        mean: &[f64],
        p5: &[f64],
        p95: &[f64],
    ) -> RecoveryChart {
        let xs: Vec<f64> = months.iter().map(|&m| m as f64).collect();
        let order = sorted_order(&xs);
        let line: Vec<(f64, f64)> = order.iter().map(|&i| (xs[i], mean[i])).collect();
        let band: Vec<(f64, f64, f64)> = order.iter().map(|&i| (xs[i], p5[i], p95[i])).collect();

        let (lo, hi) = finite_bounds(mean.iter().chain(p5).chain(p95));
        let (y_range, y_ticks) = value_axis(lo, hi, 0.08, 7, 0.1);
        // From the default itself (month 0) to the last month.
        let last_month = order.last().map_or(12.0, |&i| xs[i]);
        let end = if order.len() == 1 {
            last_month + 1.0
        } else {
            last_month
        };
        let (x_range, x_ticks) = month_axis(0.0, end);

        let note = if lo > hi {
            Some("No recoveries to show".to_string())
        } else if lo == 0.0 && hi == 0.0 {
            Some("All recoveries are zero".to_string())
        } else {
            None
        };
        let last = order
            .iter()
            .rev()
            .find(|&&i| mean[i].is_finite())
            .map(|&i| (xs[i], mean[i], p5[i], p95[i]));

        RecoveryChart {
            meta: meta.clone(),
            mean: line,
            band,
            x_range,
            x_ticks,
            y_range,
            y_ticks,
            note,
            last,
        }
    }
}

impl Chart for RecoveryChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let subtitle = format!(
            "Mean across {}, band 5th-95th percentile; recoveries as % of exposure at default (EAD)",
            count_of(self.meta.paths, "path")
        );
        let Frame { plot, legend } = frame(
            root,
            &self.meta,
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
        draw_band(&mut chart, &self.band, OI_BLUE)?;
        draw_line(root, &mut chart, &self.mean, OI_BLUE, None)?;
        draw_zero_line(&mut chart, &self.x_range, &self.y_range)?;
        redraw_axes(&chart, &self.x_range, &self.y_range)?;
        if let Some(note) = &self.note {
            centred_note(root, chart.plotting_area().get_pixel_range(), note)?;
            return Ok(());
        }

        let entries = vec![
            (Swatch::Line(OI_BLUE), "Mean".to_string()),
            (
                Swatch::Box(tint(OI_BLUE, BAND_OPACITY)),
                "5th-95th percentile".to_string(),
            ),
        ];
        let mut notes = Vec::new();
        if let Some((month, mean, p5, p95)) = self.last {
            notes.push(format!("At month {}:", format_month(&month)));
            notes.push(format!("mean {}", format_percent(mean)));
            if p5.is_finite() && p95.is_finite() {
                notes.push(format!(
                    "5th-95th {} to {}",
                    format_percent(p5.min(p95)),
                    format_percent(p5.max(p95))
                ));
            }
        }
        draw_legend(&legend, "", &entries, &notes)
    }
}

// ---------------------------------------------------------------------------------------------
// Write-offs by month

const GROSS_BAR: RGBColor = RGBColor(0xCF, 0xCF, 0xCF);

struct WriteOffChart {
    meta: ChartMeta,
    gross: Vec<(f64, f64)>,
    net: Vec<(f64, f64)>,
    /// Empty when there is no band.
    band: Vec<(f64, f64, f64)>,
    x_range: Range<f64>,
    x_ticks: Vec<f64>,
    y_range: Range<f64>,
    y_ticks: Vec<f64>,
    note: Option<String>,
    /// Sums of the finite monthly means: (months, gross, net).
    totals: (usize, f64, f64),
}

impl WriteOffChart {
    fn new(
        meta: &ChartMeta,
        months: &[u32],
        gross: &[f64],
        net: &[f64],
        net_p5: &[f64],
        net_p95: &[f64],
    ) -> WriteOffChart {
        let xs: Vec<f64> = months.iter().map(|&m| m as f64).collect();
        let order = sorted_order(&xs);
        let band = if net_p5.is_empty() {
            Vec::new()
        } else {
            order
                .iter()
                .map(|&i| (xs[i], net_p5[i], net_p95[i]))
                .collect()
        };
        let (lo, hi) = finite_bounds(gross.iter().chain(net).chain(net_p5).chain(net_p95));
        let (y_range, y_ticks) = value_axis(lo, hi, 0.06, 8, 1.0);
        let (x_range, x_ticks) = match (order.first(), order.last()) {
            (Some(&a), Some(&b)) => month_axis(xs[a] - 1.0, xs[b] + 1.0),
            _ => month_axis(0.0, 12.0),
        };
        let note = if lo > hi {
            Some("No write-offs to show".to_string())
        } else if lo == 0.0 && hi == 0.0 {
            Some("No write-offs: all amounts are zero".to_string())
        } else {
            None
        };
        let sum = |v: &[f64]| v.iter().filter(|x| x.is_finite()).sum::<f64>();

        WriteOffChart {
            meta: meta.clone(),
            gross: order.iter().map(|&i| (xs[i], gross[i])).collect(),
            net: order.iter().map(|&i| (xs[i], net[i])).collect(),
            band,
            x_range,
            x_ticks,
            y_range,
            y_ticks,
            note,
            totals: (months.len(), sum(gross), sum(net)),
        }
    }
}

impl Chart for WriteOffChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let band_text = if self.band.is_empty() {
            ""
        } else {
            ", band 5th-95th percentile of net"
        };
        let subtitle = format!(
            "Mean across {}; net = gross less recoveries and sale proceeds{band_text}",
            count_of(self.meta.paths, "path")
        );
        let Frame { plot, legend } = frame(root, &self.meta, "Write-offs by month", &subtitle)?;

        let y_format = AxisFormat::new(&self.y_ticks);
        let mut chart = plot_axes(
            &plot,
            TickedAxis::new(&self.x_range, &self.x_ticks),
            TickedAxis::new(&self.y_range, &self.y_ticks),
            (
                "Month",
                &amount_axis_title("Write-offs", &self.meta.currency),
            ),
            &format_month,
            &|v| y_format.format(*v),
        )?;
        chart
            .draw_series(
                self.gross
                    .iter()
                    .filter(|(x, y)| x.is_finite() && y.is_finite() && *y != 0.0)
                    .map(|&(x, y)| {
                        Rectangle::new([(x - 0.36, 0.0), (x + 0.36, y)], GROSS_BAR.filled())
                    }),
            )
            .map_err(ctx("drawing the bars"))?;
        draw_band(&mut chart, &self.band, OI_VERMILLION)?;
        draw_line(root, &mut chart, &self.net, OI_VERMILLION, None)?;
        draw_zero_line(&mut chart, &self.x_range, &self.y_range)?;
        redraw_axes(&chart, &self.x_range, &self.y_range)?;
        if let Some(note) = &self.note {
            centred_note(root, chart.plotting_area().get_pixel_range(), note)?;
            return Ok(());
        }

        let mut entries = vec![
            (Swatch::Box(GROSS_BAR), "Gross write-offs".to_string()),
            (Swatch::Line(OI_VERMILLION), "Net write-offs".to_string()),
        ];
        if !self.band.is_empty() {
            entries.push((
                Swatch::Box(tint(OI_VERMILLION, BAND_OPACITY)),
                "Net, 5th-95th percentile".to_string(),
            ));
        }
        let (months, gross, net) = self.totals;
        let notes = vec![
            "Means across paths".to_string(),
            format!("Total over {}:", count_of(months as u64, "month")),
            format!("gross {}", format_amount(gross)),
            format!("net {}", format_amount(net)),
        ];
        draw_legend(&legend, "", &entries, &notes)
    }
}

// ---------------------------------------------------------------------------------------------
// Disposition values

/// Share of a category's width taken by its group of bars.
const GROUP_WIDTH: f64 = 0.8;

struct DispositionChart {
    meta: ChartMeta,
    points: Vec<String>,
    series: Vec<(String, Vec<f64>, Vec<f64>)>,
    x_range: Range<f64>,
    x_ticks: Vec<f64>,
    y_range: Range<f64>,
    y_ticks: Vec<f64>,
    note: Option<String>,
}

impl DispositionChart {
    fn new(
        meta: &ChartMeta,
        points: &[String],
        series: &[(String, Vec<f64>, Vec<f64>)],
    ) -> DispositionChart {
        let mut bounds = Vec::new();
        for (_, values, errors) in series {
            for (&v, &se) in values.iter().zip(errors) {
                if !v.is_finite() {
                    continue;
                }
                bounds.push(v);
                if se.is_finite() && se > 0.0 {
                    bounds.extend([v - 2.0 * se, v + 2.0 * se]);
                }
            }
        }
        let (lo, hi) = finite_bounds(&bounds);
        // Headroom for the value labels above the bars.
        let (y_range, y_ticks) = value_axis(lo, hi, 0.1, 8, 0.1);
        let n = points.len().max(1) as f64;
        let note = if lo > hi {
            Some("No values to show".to_string())
        } else {
            None
        };
        DispositionChart {
            meta: meta.clone(),
            points: points.to_vec(),
            series: series.to_vec(),
            x_range: -0.5..(n - 0.5),
            x_ticks: (0..points.len()).map(|i| i as f64).collect(),
            y_range,
            y_ticks,
            note,
        }
    }

    /// Centre and half width of bar `j` of `n` in group `i`; a lone bar is as wide as one of
    /// a pair.
    fn bar(i: usize, j: usize, n: usize) -> (f64, f64) {
        let slot = GROUP_WIDTH / n.max(2) as f64;
        let centre = i as f64 - slot * n as f64 / 2.0 + (j as f64 + 0.5) * slot;
        (centre, slot * 0.42)
    }
}

impl Chart for DispositionChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let subtitle = format!(
            "Mean value to the lender per unit of face value across {}, by disposition; error bars ±2 standard errors",
            count_of(self.meta.paths, "path")
        );
        let Frame { plot, legend } = frame(
            root,
            &self.meta,
            "Value per unit of face by sale point",
            &subtitle,
        )?;

        let y_format = ScaledFormat::cents(&self.y_ticks);
        let point_label = |v: &f64| {
            let i = v.round();
            match self.points.get(i as usize) {
                Some(label) if i >= 0.0 && (v - i).abs() < 1e-6 => label.clone(),
                _ => String::new(),
            }
        };
        let mut chart = plot_axes(
            &plot,
            TickedAxis::new(&self.x_range, &self.x_ticks),
            TickedAxis::new(&self.y_range, &self.y_ticks),
            ("Sale point", "Value (cents per unit of face)"),
            &point_label,
            &|v| y_format.format(*v),
        )?;

        let n = self.series.len();
        for (j, (_, values, _)) in self.series.iter().enumerate() {
            let colour = series_colour(j);
            chart
                .draw_series(
                    values
                        .iter()
                        .enumerate()
                        .filter(|(_, v)| v.is_finite())
                        .map(|(i, &v)| {
                            let (c, half) = Self::bar(i, j, n);
                            Rectangle::new([(c - half, 0.0), (c + half, v)], colour.filled())
                        }),
                )
                .map_err(ctx("drawing the bars"))?;
        }
        draw_zero_line(&mut chart, &self.x_range, &self.y_range)?;
        redraw_axes(&chart, &self.x_range, &self.y_range)?;

        // Error bars, then value labels if every label fits over its bar.
        let label_style = font(TICK_SIZE - 4.0);
        let slot_px = {
            let (c0, _) = Self::bar(0, 0, n);
            let (c1, _) = Self::bar(0, 1, n);
            chart.backend_coord(&(c1, 0.0)).0 - chart.backend_coord(&(c0, 0.0)).0
        };
        let mut widest = 0;
        for (_, values, _) in &self.series {
            for v in values.iter().filter(|v| v.is_finite()) {
                let (w, _) = root
                    .estimate_text_size(&format_cents(*v), &label_style)
                    .map_err(ctx("measuring a label"))?;
                widest = widest.max(w as i32);
            }
        }
        let show_labels = widest + 4 <= slot_px;
        for (j, (_, values, errors)) in self.series.iter().enumerate() {
            for (i, (&v, &se)) in values.iter().zip(errors).enumerate() {
                if !v.is_finite() {
                    continue;
                }
                let (c, half) = Self::bar(i, j, n);
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

        if let Some(note) = &self.note {
            centred_note(root, chart.plotting_area().get_pixel_range(), note)?;
            return Ok(());
        }
        let entries: Vec<(Swatch, String)> = self
            .series
            .iter()
            .enumerate()
            .map(|(j, (name, _, _))| (Swatch::Box(series_colour(j)), name.clone()))
            .collect();
        let mut notes = Vec::new();
        if show_labels {
            notes.push("Labels: mean, in cents".to_string());
        }
        notes.push("Error bars: ±2 standard".to_string());
        notes.push("errors of the mean".to_string());
        draw_legend(&legend, "Disposition", &entries, &notes)
    }
}

// ---------------------------------------------------------------------------------------------
// Buyer's price against hurdle rate

/// At most this many hurdle rates get markers on the lines.
const MAX_MARKED_POINTS: usize = 30;

struct PriceLine {
    label: String,
    colour: RGBColor,
    marker: Marker,
    points: Vec<(f64, f64)>,
    /// Empty when there is no band.
    band: Vec<(f64, f64, f64)>,
    /// The price at the marked hurdle rate, interpolated between its neighbours.
    at_marked: Option<f64>,
}

struct BuyerPriceChart {
    meta: ChartMeta,
    lines: Vec<PriceLine>,
    marked: Option<f64>,
    markers: bool,
    x_range: Range<f64>,
    x_ticks: Vec<f64>,
    y_range: Range<f64>,
    y_ticks: Vec<f64>,
    note: Option<String>,
}

/// `y` at `x` on the line through `points` (sorted by x): linear between neighbours, none
/// where the line has a gap.
fn interpolate(points: &[(f64, f64)], x: f64) -> Option<f64> {
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

impl BuyerPriceChart {
    fn new(
        meta: &ChartMeta,
        hurdle_rates: &[f64],
        series: &[PriceCurve],
        marked_hurdle: f64,
    ) -> BuyerPriceChart {
        let order: Vec<usize> = sorted_order(hurdle_rates)
            .into_iter()
            .filter(|&i| hurdle_rates[i].is_finite())
            .collect();
        let marked = marked_hurdle.is_finite().then_some(marked_hurdle);
        let lines: Vec<PriceLine> = series
            .iter()
            .enumerate()
            .map(|(k, (label, price, p5, p95))| {
                let points: Vec<(f64, f64)> =
                    order.iter().map(|&i| (hurdle_rates[i], price[i])).collect();
                let band = if p5.is_empty() {
                    Vec::new()
                } else {
                    order
                        .iter()
                        .map(|&i| (hurdle_rates[i], p5[i], p95[i]))
                        .collect()
                };
                PriceLine {
                    label: label.clone(),
                    colour: series_colour(k),
                    marker: series_marker(k),
                    at_marked: marked.and_then(|h| interpolate(&points, h)),
                    points,
                    band,
                }
            })
            .collect();

        let (x_lo, x_hi) = finite_bounds(hurdle_rates.iter().chain(marked.iter()));
        // A lone hurdle rate gets room on its right rather than sitting on the edge.
        let headroom = if x_lo == x_hi { 0.25 } else { 0.0 };
        let (x_range, x_ticks) = value_axis(x_lo, x_hi, headroom, 8, 0.6);
        let (lo, hi) = finite_bounds(
            series
                .iter()
                .flat_map(|(_, price, p5, p95)| price.iter().chain(p5).chain(p95)),
        );
        // Headroom for the hurdle label at the top.
        let (y_range, y_ticks) = value_axis(lo, hi, 0.16, 7, 0.1);
        let empty = lo > hi || order.is_empty();
        let note = if empty {
            Some("No prices to show".to_string())
        } else if lo == 0.0 && hi == 0.0 {
            Some("All prices are zero".to_string())
        } else {
            None
        };

        BuyerPriceChart {
            meta: meta.clone(),
            lines,
            marked: marked.filter(|_| !empty),
            markers: order.len() <= MAX_MARKED_POINTS,
            x_range,
            x_ticks,
            y_range,
            y_ticks,
            note,
        }
    }
}

impl Chart for BuyerPriceChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let has_band = self.lines.iter().any(|l| !l.band.is_empty());
        let band_text = if has_band {
            ", bands 5th-95th percentile"
        } else {
            ""
        };
        let subtitle = format!(
            "Price at which the buyer earns its hurdle rate: mean across {}{band_text}",
            count_of(self.meta.paths, "path")
        );
        let Frame { plot, legend } = frame(
            root,
            &self.meta,
            "Buyer's price against hurdle rate",
            &subtitle,
        )?;

        let x_format = ScaledFormat::percent(&self.x_ticks);
        let y_format = ScaledFormat::cents(&self.y_ticks);
        let mut chart = plot_axes(
            &plot,
            TickedAxis::new(&self.x_range, &self.x_ticks),
            TickedAxis::new(&self.y_range, &self.y_ticks),
            (
                "Buyer's hurdle rate (% a year)",
                "Fair price (cents per unit of face)",
            ),
            &|v| x_format.format(*v),
            &|v| y_format.format(*v),
        )?;
        for line in &self.lines {
            draw_band(&mut chart, &line.band, line.colour)?;
        }
        let hurdle_colour = AXIS;
        if let Some(h) = self.marked {
            chart
                .draw_series(DashedLineSeries::new(
                    [(h, self.y_range.start), (h, self.y_range.end)],
                    12,
                    8,
                    hurdle_colour.stroke_width(2),
                ))
                .map_err(ctx("drawing the hurdle rate"))?;
        }
        for line in &self.lines {
            let marker = self.markers.then_some(line.marker);
            draw_line(root, &mut chart, &line.points, line.colour, marker)?;
        }
        draw_zero_line(&mut chart, &self.x_range, &self.y_range)?;
        redraw_axes(&chart, &self.x_range, &self.y_range)?;

        let pixels = chart.plotting_area().get_pixel_range();
        if let Some(note) = &self.note {
            centred_note(root, pixels, note)?;
            return Ok(());
        }
        let hurdle_label = self.marked.map(|h| format!("hurdle {}", format_rate(h)));
        if let (Some(h), Some(label)) = (self.marked, &hurdle_label) {
            let at = |x: f64| chart.backend_coord(&(x, self.y_range.end)).0;
            line_labels(root, &pixels, &[(h, label.clone(), hurdle_colour)], at)?;
        }

        let mut entries: Vec<(Swatch, String)> = self
            .lines
            .iter()
            .map(|l| {
                (
                    line_swatch(l.colour, l.marker, self.markers),
                    l.label.clone(),
                )
            })
            .collect();
        if let Some(label) = &hurdle_label {
            entries.push((
                Swatch::DashedLine(hurdle_colour),
                format!("Buyer's {label}"),
            ));
        }
        let mut notes = Vec::new();
        if has_band {
            notes.push("Bands: 5th-95th percentile".to_string());
        }
        if let Some(h) = self.marked
            && self.lines.iter().any(|l| l.at_marked.is_some())
        {
            notes.push(format!("Price at hurdle {}:", format_rate(h)));
            for line in &self.lines {
                if let Some(price) = line.at_marked {
                    notes.push(format!("{}: {} cents", line.label, format_cents(price)));
                }
            }
        }
        draw_legend(&legend, "Sale point", &entries, &notes)
    }
}

// ---------------------------------------------------------------------------------------------
// Convergence of risk measures

struct MeasureLine {
    label: String,
    colour: RGBColor,
    marker: Marker,
    /// (log10 paths, estimate).
    points: Vec<(f64, f64)>,
    /// (log10 paths, low, high); empty when there is no band.
    band: Vec<(f64, f64, f64)>,
    /// At the most paths with a finite estimate: (paths, estimate, low, high).
    last: Option<(u64, f64, f64, f64)>,
}

struct ConvergenceChart {
    meta: ChartMeta,
    lines: Vec<MeasureLine>,
    markers: bool,
    x_range: Range<f64>,
    x_ticks: Vec<f64>,
    y_range: Range<f64>,
    y_ticks: Vec<f64>,
    note: Option<String>,
}

impl ConvergenceChart {
    fn new(meta: &ChartMeta, paths: &[u64], series: &[BandedLine]) -> ConvergenceChart {
        let xs: Vec<f64> = paths.iter().map(|&n| n as f64).collect();
        // Ascending, whatever order the caller gave; zero paths have no place on a log axis.
        let order: Vec<usize> = sorted_order(&xs)
            .into_iter()
            .filter(|&i| paths[i] > 0)
            .collect();
        let names: Vec<&str> = series.iter().map(|s| s.0.as_str()).collect();
        let colours = measure_colours(&names);
        let at = |v: &[f64], i: usize| v.get(i).copied().unwrap_or(f64::NAN);
        let lines: Vec<MeasureLine> = series
            .iter()
            .enumerate()
            .map(|(k, (label, estimate, low, high))| {
                let points = order
                    .iter()
                    .map(|&i| (xs[i].log10(), estimate[i]))
                    .collect();
                let band = if low.is_empty() {
                    Vec::new()
                } else {
                    order
                        .iter()
                        .map(|&i| (xs[i].log10(), low[i], high[i]))
                        .collect()
                };
                let last = order
                    .iter()
                    .rev()
                    .find(|&&i| estimate[i].is_finite())
                    .map(|&i| (paths[i], estimate[i], at(low, i), at(high, i)));
                MeasureLine {
                    label: label.clone(),
                    colour: colours.get(k).copied().unwrap_or(OI_BLUE),
                    marker: series_marker(k),
                    points,
                    band,
                    last,
                }
            })
            .collect();

        let values: Vec<f64> = series
            .iter()
            .flat_map(|(_, estimate, low, high)| {
                order
                    .iter()
                    .flat_map(move |&i| [at(estimate, i), at(low, i), at(high, i)])
            })
            .collect();
        let (lo, hi) = finite_bounds(&values);
        let (y_range, y_ticks) = span_axis(lo, hi, 0.06, 7);

        let (x_lo, x_hi) = match (order.first(), order.last()) {
            (Some(&a), Some(&b)) => (xs[a].log10(), xs[b].log10()),
            _ => (2.0, 4.0),
        };
        let pad = if x_hi > x_lo {
            (x_hi - x_lo) * 0.04
        } else {
            0.5
        };
        let x_range = (x_lo - pad)..(x_hi + pad);
        let x_ticks = log_ticks(&x_range);

        let note = if lo > hi {
            Some("No estimates to show".to_string())
        } else {
            None
        };
        ConvergenceChart {
            meta: meta.clone(),
            lines,
            markers: order.len() <= MAX_MARKED_POINTS,
            x_range,
            x_ticks,
            y_range,
            y_ticks,
            note,
        }
    }
}

impl Chart for ConvergenceChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let Frame { plot, legend } = frame(
            root,
            &self.meta,
            "Convergence of risk measures",
            "Estimate from the first n paths, band: 95% confidence interval",
        )?;
        let y_format = AxisFormat::new(&self.y_ticks);
        let mut chart = plot_axes(
            &plot,
            TickedAxis::new(&self.x_range, &self.x_ticks),
            TickedAxis::new(&self.y_range, &self.y_ticks),
            (
                "Paths used, n (log scale)",
                &amount_axis_title("Estimate", &self.meta.currency),
            ),
            &format_log_count,
            &|v| y_format.format(*v),
        )?;
        let opacity = band_opacity(self.lines.len());
        for line in &self.lines {
            draw_outlined_band(&mut chart, &line.band, line.colour, opacity)?;
        }
        // The estimate from all paths as a thin dotted reference across the plot.
        for line in &self.lines {
            if let Some((_, estimate, _, _)) = line.last {
                chart
                    .draw_series(DashedLineSeries::new(
                        [(self.x_range.start, estimate), (self.x_range.end, estimate)],
                        3,
                        6,
                        line.colour.stroke_width(2),
                    ))
                    .map_err(ctx("drawing a reference line"))?;
            }
        }
        for line in &self.lines {
            let marker = self.markers.then_some(line.marker);
            draw_line(root, &mut chart, &line.points, line.colour, marker)?;
        }
        draw_zero_line(&mut chart, &self.x_range, &self.y_range)?;
        redraw_axes(&chart, &self.x_range, &self.y_range)?;
        if let Some(note) = &self.note {
            return centred_note(root, chart.plotting_area().get_pixel_range(), note);
        }

        let entries: Vec<(Swatch, String)> = self
            .lines
            .iter()
            .map(|l| {
                (
                    line_swatch(l.colour, l.marker, self.markers),
                    l.label.clone(),
                )
            })
            .collect();
        let mut notes = Vec::new();
        if self.lines.iter().any(|l| !l.band.is_empty()) {
            notes.push("Bands: 95% confidence interval".to_string());
        }
        notes.push("Dotted: estimate from all paths".to_string());
        if let Some(n) = self.lines.iter().filter_map(|l| l.last).map(|l| l.0).max() {
            notes.push(String::new());
            notes.push(format!("With {}:", count_of(n, "path")));
            for line in &self.lines {
                let Some((_, estimate, low, high)) = line.last else {
                    continue;
                };
                notes.push(format!("{} {}", line.label, format_amount(estimate)));
                if low.is_finite() && high.is_finite() {
                    notes.push(format!(
                        "   95% CI {} to {}",
                        format_amount(low.min(high)),
                        format_amount(low.max(high))
                    ));
                }
            }
        }
        draw_legend(&legend, "Risk measure", &entries, &notes)
    }
}

// ---------------------------------------------------------------------------------------------
// Loss distributions by stress scenario

/// At most this many scenarios get pale fills under their outlines.
const MAX_FILLED_OUTLINES: usize = 4;
/// At most this many scenarios have their expected loss listed in the legend.
const MAX_LISTED_SCENARIOS: usize = 6;

struct OverlayHistogram {
    label: String,
    colour: RGBColor,
    /// Share of the scenario's weight in each bin of the common grid; empty without paths.
    shares: Vec<f64>,
    /// The weighted mean of the losses drawn.
    expected: Option<f64>,
}

struct LossOverlayChart {
    meta: ChartMeta,
    compared: compare::Compared,
    grid: BinGrid,
    series: Vec<OverlayHistogram>,
    weighted: bool,
    x_range: Range<f64>,
    x_ticks: Vec<f64>,
    y_range: Range<f64>,
    y_ticks: Vec<f64>,
    note: Option<String>,
}

impl LossOverlayChart {
    fn new(meta: &ChartMeta, series: &[(String, Vec<f64>, Vec<f64>)]) -> LossOverlayChart {
        let data: Vec<Vec<(f64, f64)>> = series
            .iter()
            .map(|(_, losses, weights)| weighted_values(losses, weights))
            .collect();
        let grid = BinGrid::common(&data).unwrap_or_else(BinGrid::empty);
        let histograms: Vec<OverlayHistogram> = series
            .iter()
            .zip(&data)
            .enumerate()
            .map(|(k, ((label, _, _), data))| {
                let (total, _) = weight_totals(data);
                let (shares, expected) = if total > 0.0 && grid.bins > 0 {
                    let shares = grid.tally(data).iter().map(|w| w / total).collect();
                    let mean = data.iter().map(|&(v, w)| v * w).sum::<f64>() / total;
                    (shares, mean.is_finite().then_some(mean))
                } else {
                    (Vec::new(), None)
                };
                OverlayHistogram {
                    label: label.clone(),
                    colour: scenario_colour(k),
                    shares,
                    expected,
                }
            })
            .collect();

        let have_data = histograms.iter().any(|h| !h.shares.is_empty());
        let (lo, hi) = if have_data {
            (grid.start, grid.end())
        } else {
            (0.0, 1.0)
        };
        let pad = (hi - lo) * 0.03;
        let x_range = (lo - pad)..(hi + pad);
        let x_ticks = ticks_in(&x_range, nice_step(x_range.end - x_range.start, 9));
        let max = histograms
            .iter()
            .flat_map(|h| h.shares.iter().copied())
            .fold(0.0, f64::max);
        let (y_range, y_ticks) = share_axis(max, 0.2);
        let note = if have_data {
            None
        } else if series.is_empty() {
            Some("No scenarios to show".to_string())
        } else {
            Some("No paths to show".to_string())
        };

        LossOverlayChart {
            meta: meta.clone(),
            compared: compare::Compared::StressScenarios,
            grid,
            series: histograms,
            weighted: series.iter().any(|(_, _, w)| !w.is_empty()),
            x_range,
            x_ticks,
            y_range,
            y_ticks,
            note,
        }
    }

    /// The outline of a histogram as a step line from its first to its last non-empty bin,
    /// down to zero at both ends.
    fn outline(&self, shares: &[f64]) -> Vec<(f64, f64)> {
        let (Some(first), Some(last)) = (
            shares.iter().position(|&s| s > 0.0),
            shares.iter().rposition(|&s| s > 0.0),
        ) else {
            return Vec::new();
        };
        let mut points = vec![(self.grid.edges(first).0, 0.0)];
        for (i, &share) in shares.iter().enumerate().take(last + 1).skip(first) {
            let (x0, x1) = self.grid.edges(i);
            points.push((x0, share));
            points.push((x1, share));
        }
        points.push((self.grid.edges(last).1, 0.0));
        points
    }
}

impl Chart for LossOverlayChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let weighted = if self.weighted {
            " (importance-weighted)"
        } else {
            ""
        };
        let subtitle = if self.note.is_some() {
            format!(
                "Share of paths in each bin, one outline per {}",
                self.compared.noun()
            )
        } else {
            format!(
                "Share of paths{weighted} in bins of {} common to all {}s; dashed: expected loss",
                format_amount(self.grid.width),
                self.compared.noun()
            )
        };
        let Frame { plot, legend } =
            self.compared
                .frame(root, &self.meta, "Net credit loss", &subtitle)?;
        let x_format = AxisFormat::new(&self.x_ticks);
        let y_format = ScaledFormat::percent(&self.y_ticks);
        let mut chart = plot_axes(
            &plot,
            TickedAxis::new(&self.x_range, &self.x_ticks),
            TickedAxis::new(&self.y_range, &self.y_ticks),
            (
                &amount_axis_title("Net credit loss", &self.meta.currency),
                "Share of paths",
            ),
            &|v| x_format.format(*v),
            &|v| y_format.format(*v),
        )?;

        let outlines: Vec<Vec<(f64, f64)>> = self
            .series
            .iter()
            .map(|h| self.outline(&h.shares))
            .collect();
        // Pale fills help with a few scenarios and only muddy many.
        let fill = self.series.len() <= MAX_FILLED_OUTLINES;
        for (h, outline) in self.series.iter().zip(&outlines) {
            if fill && outline.len() > 2 {
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        outline.clone(),
                        h.colour.mix(0.1).filled(),
                    )))
                    .map_err(ctx("drawing a histogram"))?;
            }
        }
        for (h, outline) in self.series.iter().zip(&outlines) {
            if outline.len() > 2 {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        outline.clone(),
                        h.colour.stroke_width(3),
                    )))
                    .map_err(ctx("drawing a histogram"))?;
            }
        }
        redraw_axes(&chart, &self.x_range, &self.y_range)?;
        for h in &self.series {
            if let Some(el) = h.expected {
                draw_vline(&mut chart, el, &self.y_range, h.colour, Stroke::Dashed)?;
            }
        }

        let pixels = chart.plotting_area().get_pixel_range();
        if let Some(note) = &self.note {
            return centred_note(root, pixels, note);
        }
        let labels: Vec<(f64, String, RGBColor)> = self
            .series
            .iter()
            .filter_map(|h| h.expected.map(|el| (el, format_amount(el), h.colour)))
            .collect();
        let top = self.y_range.end;
        let at = |x: f64| chart.backend_coord(&(x, top)).0;
        line_labels(root, &pixels, &labels, at)?;

        let mut entries: Vec<(Swatch, String)> = self
            .series
            .iter()
            .map(|h| (Swatch::Line(h.colour), h.label.clone()))
            .collect();
        entries.push((Swatch::DashedLine(SUBTLE_TEXT), "Expected loss".to_string()));
        let mut notes = vec![format!(
            "{} bins of {}",
            self.grid.bins,
            format_amount(self.grid.width)
        )];
        // With many scenarios the list would run off the panel; the labels give the values.
        if self.series.len() <= MAX_LISTED_SCENARIOS {
            notes.push(String::new());
            notes.push("Expected loss:".to_string());
            for h in &self.series {
                let value = h
                    .expected
                    .map_or_else(|| "no paths".to_string(), format_amount);
                notes.push(format!("{} {value}", h.label));
            }
        }
        draw_legend(&legend, self.compared.heading(), &entries, &notes)
    }
}

// ---------------------------------------------------------------------------------------------
// Cumulative net write-offs by stress scenario

struct ScenarioLine {
    label: String,
    colour: RGBColor,
    marker: Marker,
    points: Vec<(f64, f64)>,
    /// Empty when there is no band.
    band: Vec<(f64, f64, f64)>,
    /// The last month with a finite mean: (month, mean).
    last: Option<(f64, f64)>,
}

struct WriteOffOverlayChart {
    meta: ChartMeta,
    compared: compare::Compared,
    lines: Vec<ScenarioLine>,
    x_range: Range<f64>,
    x_ticks: Vec<f64>,
    y_range: Range<f64>,
    y_ticks: Vec<f64>,
    note: Option<String>,
}

impl WriteOffOverlayChart {
    fn new(meta: &ChartMeta, months: &[u32], series: &[BandedLine]) -> WriteOffOverlayChart {
        let xs: Vec<f64> = months.iter().map(|&m| m as f64).collect();
        let order = sorted_order(&xs);
        let lines: Vec<ScenarioLine> = series
            .iter()
            .enumerate()
            .map(|(k, (label, mean, p5, p95))| {
                let points: Vec<(f64, f64)> = order.iter().map(|&i| (xs[i], mean[i])).collect();
                let band = if p5.is_empty() {
                    Vec::new()
                } else {
                    order.iter().map(|&i| (xs[i], p5[i], p95[i])).collect()
                };
                let last = points.iter().rev().find(|(_, y)| y.is_finite()).copied();
                ScenarioLine {
                    label: label.clone(),
                    colour: scenario_colour(k),
                    marker: series_marker(k),
                    points,
                    band,
                    last,
                }
            })
            .collect();
        let (lo, hi) = finite_bounds(
            series
                .iter()
                .flat_map(|(_, mean, p5, p95)| mean.iter().chain(p5).chain(p95)),
        );
        let (y_range, y_ticks) = value_axis(lo, hi, 0.06, 8, 1.0);
        // From the start (month 0, nothing written off yet) to the last month.
        let end = match order.as_slice() {
            [] => 12.0,
            [only] => xs[*only] + 1.0,
            [.., last] => xs[*last],
        };
        let (x_range, x_ticks) = month_axis(0.0, end);
        let note = if lo > hi {
            Some("No write-offs to show".to_string())
        } else if lo == 0.0 && hi == 0.0 {
            Some("No write-offs: all amounts are zero".to_string())
        } else {
            None
        };
        WriteOffOverlayChart {
            meta: meta.clone(),
            compared: compare::Compared::StressScenarios,
            lines,
            x_range,
            x_ticks,
            y_range,
            y_ticks,
            note,
        }
    }
}

impl Chart for WriteOffOverlayChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let has_band = self.lines.iter().any(|l| !l.band.is_empty());
        let band_text = if has_band {
            ", bands 5th-95th percentile"
        } else {
            ""
        };
        let subtitle = format!(
            "Mean across {} per {}{band_text}; net = gross less recoveries and sale proceeds",
            self.compared.paths(&self.meta),
            self.compared.noun()
        );
        let Frame { plot, legend } =
            self.compared
                .frame(root, &self.meta, "Cumulative net write-offs", &subtitle)?;
        let y_format = AxisFormat::new(&self.y_ticks);
        let mut chart = plot_axes(
            &plot,
            TickedAxis::new(&self.x_range, &self.x_ticks),
            TickedAxis::new(&self.y_range, &self.y_ticks),
            (
                "Month",
                &amount_axis_title("Cumulative net write-offs", &self.meta.currency),
            ),
            &format_month,
            &|v| y_format.format(*v),
        )?;
        // Overlapping bands: paler, with edges so each can be followed.
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
            notes.push(format!("Mean by month {}:", format_month(&month)));
            for line in &self.lines {
                if let Some((m, mean)) = line.last {
                    let when = if m < month {
                        format!(" (month {})", format_month(&m))
                    } else {
                        String::new()
                    };
                    notes.push(format!("{} {}{when}", line.label, format_amount(mean)));
                }
            }
        }
        draw_legend(&legend, self.compared.heading(), &entries, &notes)
    }
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn meta() -> ChartMeta {
        ChartMeta {
            scenario_name: "Base case".to_string(),
            seed: 42,
            paths: 1000,
            currency: "EUR".to_string(),
        }
    }

    pub(super) type Series = Vec<(String, Option<String>, Vec<f64>)>;

    /// A book running off over 36 months: current, two buckets, charged off.
    pub(super) fn book() -> (Vec<u32>, Series) {
        let months: Vec<u32> = (0..=36).collect();
        let f = |scale: f64, shape: fn(f64) -> f64| -> Vec<f64> {
            months.iter().map(|&m| scale * shape(m as f64)).collect()
        };
        let series = vec![
            ("current".to_string(), None, f(250e6, |m| (-m / 20.0).exp())),
            (
                "dpd_1_30".to_string(),
                Some("early".to_string()),
                f(6e6, |m| (m / 3.0).min(1.0) * (-m / 30.0).exp()),
            ),
            (
                "dpd_31_60".to_string(),
                Some("late".to_string()),
                f(4e6, |m| (m / 6.0).min(1.0) * (-m / 35.0).exp()),
            ),
            (
                "charged_off".to_string(),
                None,
                f(20e6, |m| 1.0 - (-m / 18.0).exp()),
            ),
        ];
        (months, series)
    }

    fn read(path: &Path) -> Vec<u8> {
        std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn formats_amounts_without_scientific_notation() {
        assert_eq!(format_amount(12_500_000.0), "12.50M");
        assert_eq!(format_amount(12_000_000.0), "12M");
        assert_eq!(format_amount(1_234_567.0), "1.23M");
        assert_eq!(format_amount(850_000.0), "850K");
        assert_eq!(format_amount(850_300.0), "850.3K");
        assert_eq!(format_amount(1_234.0), "1,234");
        assert_eq!(format_amount(0.0), "0");
        assert_eq!(format_amount(-2_500_000.0), "-2.50M");
        assert_eq!(format_amount(3.2e15), "3,200,000B");
        let axis = AxisFormat::new(&[0.0, 50e6, 100e6, 150e6]);
        assert_eq!(axis.format(0.0), "0");
        assert_eq!(axis.format(50e6), "50M");
        let axis = AxisFormat::new(&[7.5e6, 8e6, 8.5e6]);
        assert_eq!(axis.format(8e6), "8.0M");
        assert_eq!(axis.format(8.5e6), "8.5M");
        let axis = AxisFormat::new(&[0.0, 2_000.0, 4_000.0]);
        assert_eq!(axis.format(4_000.0), "4,000");
        assert_eq!(group_thousands(1234567.891, 2), "1,234,567.89");
    }

    #[test]
    fn bins_stay_in_range() {
        let data: Vec<f64> = (0..1000).map(|i| 10e6 + (i as f64) * 4_000.0).collect();
        let (start, width, bins) = choose_bins(&data);
        assert!((10..=60).contains(&bins), "{bins}");
        assert!(start <= data[0]);
        assert!(start + width * bins as f64 > data[999]);
        let (start, width, bins) = choose_bins(&[5.0]);
        assert_eq!(bins, 11);
        assert!(start < 5.0 && 5.0 < start + width * 11.0);
    }

    #[test]
    fn draws_both_charts() {
        let dir = tempfile::tempdir().unwrap();
        let (months, series) = book();
        let stem = dir.path().join("balance_by_state");
        balance_by_state(&stem, &meta(), &months, &series).unwrap();
        let png = read(&stem.with_extension("png"));
        assert!(png.len() > 20_000, "PNG is only {} bytes", png.len());
        assert_eq!(&png[1..4], b"PNG");
        let svg = String::from_utf8(read(&stem.with_extension("svg"))).unwrap();
        assert!(svg.contains("Base case: Balance by state"));
        assert!(svg.contains("Balance (EUR)"));
        assert!(svg.contains("seed 42 · 1,000 paths · arrears"));
        assert!(
            !svg.contains("e+") && !svg.contains("e-0"),
            "scientific notation in the SVG"
        );
        assert!(svg.len() < 100_000, "SVG is {} bytes", svg.len());

        let losses: Vec<f64> = (0..1000)
            .map(|i| 12e6 + 1.5e6 * ((i as f64 * 0.618_034).fract() - 0.5) * 3.0)
            .collect();
        let stem = dir.path().join("loss_distribution");
        loss_distribution(&stem, &meta(), &losses, 12e6, 14.1e6).unwrap();
        let png = read(&stem.with_extension("png"));
        assert!(png.len() > 20_000, "PNG is only {} bytes", png.len());
        let svg = String::from_utf8(read(&stem.with_extension("svg"))).unwrap();
        assert!(svg.contains("Base case: Net credit loss across paths"));
        assert!(svg.contains("Mean 12M"));
        assert!(svg.contains("99% VaR 14.10M"));
        assert!(svg.len() < 100_000, "SVG is {} bytes", svg.len());
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let dir = tempfile::tempdir().unwrap();
        let m = ChartMeta {
            currency: String::new(),
            ..meta()
        };
        let cases: [(&str, &[f64], f64, f64); 5] = [
            ("empty", &[], f64::NAN, f64::NAN),
            ("single", &[3.0e6], 3.0e6, 3.0e6),
            ("equal", &[7.0; 50], 7.0, 7.0),
            ("zeros", &[0.0; 20], 0.0, 0.0),
            ("with_nan", &[1.0, f64::NAN, 2.0, f64::INFINITY], 1.5, 2.0),
        ];
        for (name, losses, mean, var) in cases {
            let stem = dir.path().join(format!("loss_{name}"));
            loss_distribution(&stem, &m, losses, mean, var).unwrap();
            assert!(stem.with_extension("png").exists(), "{name}");
            assert!(stem.with_extension("svg").exists(), "{name}");
        }

        let zero = vec![("current".to_string(), None, vec![0.0; 13])];
        let months: Vec<u32> = (0..=12).collect();
        balance_by_state(&dir.path().join("bal_zero"), &m, &months, &zero).unwrap();
        let one = vec![
            ("current".to_string(), None, vec![100.0, 90.0]),
            ("dpd_1_30".to_string(), None, vec![0.0, 5.0]),
        ];
        balance_by_state(&dir.path().join("bal_one"), &m, &[0, 1], &one).unwrap();
        let lone = vec![("current".to_string(), None, vec![100.0])];
        balance_by_state(&dir.path().join("bal_lone"), &m, &[0], &lone).unwrap();
        balance_by_state(&dir.path().join("bal_empty"), &m, &[], &[]).unwrap();
        for stem in ["bal_zero", "bal_one", "bal_lone", "bal_empty"] {
            assert!(dir.path().join(format!("{stem}.png")).exists(), "{stem}");
        }

        let bad = vec![("current".to_string(), None, vec![1.0])];
        let err = balance_by_state(&dir.path().join("bad"), &m, &[0, 1], &bad).unwrap_err();
        assert!(err.to_string().contains("1 values for 2 months"), "{err}");
    }

    #[test]
    fn formats_percent_and_cents() {
        let pct = ScaledFormat::percent(&[0.0, 0.02, 0.04]);
        assert_eq!(pct.format(0.0), "0%");
        assert_eq!(pct.format(0.04), "4%");
        let pct = ScaledFormat::percent(&[0.0, 0.005, 0.01]);
        assert_eq!(pct.format(0.005), "0.5%");
        let cents = ScaledFormat::cents(&[0.0, 0.025, 0.05, 0.075]);
        assert_eq!(cents.format(0.075), "7.5");
        assert_eq!(cents.format(0.05), "5.0");
        assert_eq!(format_percent(0.112), "11.2%");
        assert_eq!(format_rate(0.2), "20%");
        assert_eq!(format_rate(0.175), "17.5%");
        assert_eq!(format_cents(0.07), "7.0");
        assert_eq!(format_cents(f64::NAN), "n/a");
    }

    #[test]
    fn value_axes_are_tight_and_include_zero() {
        // 12 x 0.05 is 0.6000000000000001: no extra step.
        let (range, ticks) = value_axis(0.0, 12.0 * 0.05, 0.0, 8, 1.0);
        assert!((range.end - 0.6).abs() < 1e-12, "{range:?}");
        assert_eq!(ticks.len(), 7);
        let (range, _) = value_axis(0.05, 0.146, 0.1, 8, 0.1);
        assert_eq!(range.start, 0.0);
        assert!(
            range.end >= 0.1606 && range.end <= 0.18 + 1e-12,
            "{range:?}"
        );
        let (range, ticks) = value_axis(-120.0, 900.0, 0.06, 8, 1.0);
        assert!(range.start < -120.0 && range.end > 900.0, "{range:?}");
        assert!(ticks.contains(&0.0));
        // No data: the fallback, from zero.
        let (range, _) = value_axis(f64::INFINITY, f64::NEG_INFINITY, 0.1, 6, 0.1);
        assert!(
            range.start == 0.0 && (0.1..=0.12 + 1e-12).contains(&range.end),
            "{range:?}"
        );
    }

    #[test]
    fn interpolation_does_not_bridge_gaps() {
        let line = [(0.0, 0.15), (0.1, f64::NAN), (0.2, 0.13), (0.3, 0.12)];
        assert_eq!(interpolate(&line, 0.0), Some(0.15));
        assert_eq!(interpolate(&line, 0.05), None);
        let mid = interpolate(&line, 0.25).unwrap();
        assert!((mid - 0.125).abs() < 1e-12);
        assert_eq!(interpolate(&line, 0.5), None);
    }

    type Dispositions = Vec<(String, Vec<f64>, Vec<f64>)>;
    type PriceLines = Vec<PriceCurve>;

    fn dispositions() -> (Vec<String>, Dispositions) {
        let points = ["90 DPD", "120 DPD", "180 DPD", "360 DPD"].map(String::from);
        let series = vec![
            (
                "hold".to_string(),
                vec![0.14, 0.11, 0.09, 0.05],
                vec![0.003; 4],
            ),
            (
                "agency".to_string(),
                vec![0.12, 0.10, 0.08, 0.04],
                vec![0.003; 4],
            ),
            ("sale at 0.08".to_string(), vec![0.08; 4], vec![0.0; 4]),
            (
                "sale at buyer's price".to_string(),
                vec![0.13, 0.11, 0.09, 0.03],
                vec![0.002, 0.0025, 0.003, 0.003],
            ),
        ];
        (points.to_vec(), series)
    }

    fn prices() -> (Vec<f64>, PriceLines) {
        let hurdles: Vec<f64> = (0..=12).map(|i| i as f64 * 0.05).collect();
        let series = [("90 DPD", 0.155), ("180 DPD", 0.104), ("360 DPD", 0.058)]
            .iter()
            .map(|&(name, top)| {
                let price: Vec<f64> = hurdles
                    .iter()
                    .map(|h| top * (0.58 + 0.42 * (-h / 0.35_f64).exp()))
                    .collect();
                let p5 = price.iter().map(|p| p * 0.9).collect();
                let p95 = price.iter().map(|p| p * 1.1).collect();
                (name.to_string(), price, p5, p95)
            })
            .collect();
        (hurdles, series)
    }

    /// The chart's PNG and SVG exist and are plausible; returns the SVG text.
    fn check_files(stem: &Path) -> String {
        let png = read(&file_with_ext(stem, "png"));
        assert!(png.len() > 20_000, "PNG is only {} bytes", png.len());
        assert_eq!(&png[1..4], b"PNG");
        let svg = String::from_utf8(read(&file_with_ext(stem, "svg"))).unwrap();
        assert!(svg.len() > 3_000, "SVG is only {} bytes", svg.len());
        assert!(svg.len() < 100_000, "SVG is {} bytes", svg.len());
        assert!(svg.contains("seed 42 · 1,000 paths · arrears"));
        assert!(
            !svg.contains("e+") && !svg.contains("e-0"),
            "scientific notation in the SVG"
        );
        svg
    }

    #[test]
    fn draws_the_recovery_and_write_off_charts() {
        let dir = tempfile::tempdir().unwrap();
        let months: Vec<u32> = (1..=24).collect();
        let mean: Vec<f64> = months
            .iter()
            .map(|&m| 0.115 * (1.0 - (-(m as f64) / 7.0).exp()))
            .collect();
        let p5: Vec<f64> = mean.iter().map(|m| m * 0.87).collect();
        let p95: Vec<f64> = mean.iter().map(|m| m * 1.13).collect();
        let stem = dir.path().join("recovery_curve");
        recovery_curve(&stem, &meta(), &months, &mean, &p5, &p95).unwrap();
        let svg = check_files(&stem);
        assert!(svg.contains("Base case: Cumulative recovery after default"));
        assert!(svg.contains("Cumulative recovery (% of EAD)"));
        assert!(svg.contains("Months since default"));
        assert!(svg.contains("10%"));

        let months: Vec<u32> = (1..=36).collect();
        let gross: Vec<f64> = months
            .iter()
            .map(|&m| 600e3 * (m as f64 / 7.0).min(1.0) * (-(m as f64 - 7.0).max(0.0) / 9.0).exp())
            .collect();
        let net: Vec<f64> = gross.iter().map(|g| g * 0.85).collect();
        let p5: Vec<f64> = net.iter().map(|n| n * 0.8).collect();
        let p95: Vec<f64> = net.iter().map(|n| n * 1.2).collect();
        let stem = dir.path().join("write_offs_by_month");
        write_offs_by_month(&stem, &meta(), &months, &gross, &net, &p5, &p95).unwrap();
        let svg = check_files(&stem);
        assert!(svg.contains("Base case: Write-offs by month"));
        assert!(svg.contains("Write-offs (EUR)"));
        assert!(svg.contains("600K"));
        // No band: both percentile slices empty.
        let stem = dir.path().join("write_offs_no_band");
        write_offs_by_month(&stem, &meta(), &months, &gross, &net, &[], &[]).unwrap();
        let svg = check_files(&stem);
        assert!(!svg.contains("5th-95th"));
    }

    #[test]
    fn draws_the_disposition_and_price_charts() {
        let dir = tempfile::tempdir().unwrap();
        let (points, series) = dispositions();
        let stem = dir.path().join("disposition_values");
        disposition_values(&stem, &meta(), &points, &series).unwrap();
        let svg = check_files(&stem);
        assert!(svg.contains("Base case: Value per unit of face by sale point"));
        assert!(svg.contains("Value (cents per unit of face)"));
        assert!(svg.contains("180 DPD"));
        assert!(svg.contains("sale at buyer&apos;s price"));
        assert!(
            svg.contains(">14.0<") || svg.contains("14.0\n"),
            "no value label"
        );

        let (hurdles, series) = prices();
        let stem = dir.path().join("buyer_price_vs_hurdle");
        buyer_price_vs_hurdle(&stem, &meta(), &hurdles, &series, 0.2).unwrap();
        let svg = check_files(&stem);
        assert!(svg.contains("Base case: Buyer&apos;s price against hurdle rate"));
        assert!(svg.contains("Buyer&apos;s hurdle rate (% a year)"));
        assert!(svg.contains("Fair price (cents per unit of face)"));
        assert!(svg.contains("hurdle 20%"));
        assert!(svg.contains("60%") && !svg.contains("70%"));
    }

    #[test]
    fn new_charts_survive_degenerate_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let m = ChartMeta {
            currency: String::new(),
            scenario_name: String::new(),
            ..meta()
        };
        let nan = f64::NAN;
        let at = |name: &str| dir.path().join(name);

        recovery_curve(&at("r_empty"), &m, &[], &[], &[], &[]).unwrap();
        recovery_curve(
            &at("r_zero"),
            &m,
            &[1, 2, 3],
            &[0.0; 3],
            &[0.0; 3],
            &[0.0; 3],
        )
        .unwrap();
        recovery_curve(&at("r_one"), &m, &[1], &[0.05], &[0.04], &[0.06]).unwrap();
        let gappy = [0.01, nan, 0.03, f64::INFINITY, nan];
        recovery_curve(
            &at("r_nan"),
            &m,
            &[1, 2, 3, 4, 5],
            &gappy,
            &gappy,
            &[nan; 5],
        )
        .unwrap();
        recovery_curve(
            &at("r_all_nan"),
            &m,
            &[3, 1],
            &[nan; 2],
            &[nan; 2],
            &[nan; 2],
        )
        .unwrap();

        write_offs_by_month(&at("w_empty"), &m, &[], &[], &[], &[], &[]).unwrap();
        write_offs_by_month(&at("w_zero"), &m, &[1, 2], &[0.0; 2], &[0.0; 2], &[], &[]).unwrap();
        write_offs_by_month(&at("w_one"), &m, &[1], &[1e3], &[9e2], &[8e2], &[1e3]).unwrap();
        let net = [450.0, -60.0, nan];
        write_offs_by_month(
            &at("w_neg"),
            &m,
            &[1, 2, 3],
            &[500.0, 0.0, nan],
            &net,
            &net,
            &net,
        )
        .unwrap();

        disposition_values(&at("d_empty"), &m, &[], &[]).unwrap();
        let points = vec!["90 DPD".to_string(), "180 DPD".to_string()];
        disposition_values(&at("d_no_series"), &m, &points, &[]).unwrap();
        let odd = vec![
            ("hold".to_string(), vec![0.1, nan], vec![-1.0, nan]),
            ("x".repeat(80), vec![nan, -0.02], vec![nan, 0.005]),
        ];
        disposition_values(&at("d_nan"), &m, &points, &odd).unwrap();
        let all_nan = vec![("hold".to_string(), vec![nan; 2], vec![nan; 2])];
        disposition_values(&at("d_all_nan"), &m, &points, &all_nan).unwrap();
        let many: Dispositions = (0..16)
            .map(|i| (format!("option {i}"), vec![0.1; 2], vec![0.003; 2]))
            .collect();
        disposition_values(&at("d_many"), &m, &points, &many).unwrap();

        buyer_price_vs_hurdle(&at("b_empty"), &m, &[], &[], 0.2).unwrap();
        let one = vec![("90 DPD".to_string(), vec![0.1], vec![0.09], vec![0.11])];
        buyer_price_vs_hurdle(&at("b_one"), &m, &[0.2], &one, 0.2).unwrap();
        let zero = vec![("90 DPD".to_string(), vec![0.0; 2], vec![], vec![])];
        buyer_price_vs_hurdle(&at("b_zero"), &m, &[0.0, 0.1], &zero, nan).unwrap();
        let gaps = vec![("90 DPD".to_string(), vec![0.15, 0.14, nan], vec![], vec![])];
        buyer_price_vs_hurdle(&at("b_nan"), &m, &[0.0, nan, 0.2], &gaps, 0.1).unwrap();
        let dense: Vec<f64> = (0..=100).map(|i| i as f64 * 0.006).collect();
        let line = vec![("90 DPD".to_string(), vec![0.12; 101], vec![], vec![])];
        buyer_price_vs_hurdle(&at("b_dense"), &m, &dense, &line, 5.0).unwrap();

        for stem in [
            "r_empty",
            "r_zero",
            "r_one",
            "r_nan",
            "r_all_nan",
            "w_empty",
            "w_zero",
            "w_one",
            "w_neg",
            "d_empty",
            "d_no_series",
            "d_nan",
            "d_all_nan",
            "d_many",
            "b_empty",
            "b_one",
            "b_zero",
            "b_nan",
            "b_dense",
        ] {
            assert!(at(&format!("{stem}.png")).exists(), "{stem}");
            assert!(at(&format!("{stem}.svg")).exists(), "{stem}");
        }
        let svg = String::from_utf8(read(&at("r_empty.svg"))).unwrap();
        assert!(svg.contains("No recoveries to show"));
        let svg = String::from_utf8(read(&at("d_all_nan.svg"))).unwrap();
        assert!(svg.contains("No values to show"));
    }

    #[test]
    fn mismatched_lengths_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let stem = dir.path().join("bad");
        let err =
            recovery_curve(&stem, &meta(), &[1, 2], &[0.1, 0.2], &[0.1], &[0.1, 0.2]).unwrap_err();
        assert!(
            err.to_string().contains("`p5` has 1 values for 2 months"),
            "{err}"
        );

        let err = write_offs_by_month(&stem, &meta(), &[1, 2], &[1.0; 2], &[1.0; 2], &[1.0], &[])
            .unwrap_err();
        assert!(err.to_string().contains("`net_p5`"), "{err}");
        let err = write_offs_by_month(&stem, &meta(), &[1, 2], &[1.0; 3], &[1.0; 2], &[], &[])
            .unwrap_err();
        assert!(
            err.to_string().contains("`gross_mean` has 3 values"),
            "{err}"
        );

        let (points, mut series) = dispositions();
        series[1].2.pop();
        let err = disposition_values(&stem, &meta(), &points, &series).unwrap_err();
        assert!(
            err.to_string()
                .contains("series `agency` standard errors: has 3 values for 4 sale points"),
            "{err}"
        );

        let (hurdles, mut series) = prices();
        series[2].3.clear();
        let err = buyer_price_vs_hurdle(&stem, &meta(), &hurdles, &series, 0.2).unwrap_err();
        assert!(err.to_string().contains("series `360 DPD` p95:"), "{err}");
        assert!(!file_with_ext(&stem, "png").exists());
    }

    #[test]
    fn missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let stem = dir.path().join("no/such/dir/chart");
        let err = loss_distribution(&stem, &meta(), &[1.0, 2.0], 1.5, 2.0).unwrap_err();
        assert!(err.to_string().contains("chart.png"), "{err}");
    }

    /// `n` losses, lognormal with the given median and log-sd, from a fixed xorshift stream.
    fn lognormal_losses(n: usize, median: f64, sigma: f64, seed: u64) -> Vec<f64> {
        let mut state = seed | 1;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        (0..n)
            .map(|_| {
                let (u1, u2) = (uniform(), uniform());
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                median * (sigma * z).exp()
            })
            .collect()
    }

    /// Empirical VaR and expected shortfall at `level`.
    fn var_es(losses: &[f64], level: f64) -> (f64, f64) {
        let mut sorted = losses.to_vec();
        sorted.sort_by(f64::total_cmp);
        let k = ((sorted.len() as f64 * level).ceil() as usize).clamp(1, sorted.len()) - 1;
        let tail = &sorted[k..];
        (sorted[k], tail.iter().sum::<f64>() / tail.len() as f64)
    }

    fn mean(values: &[f64]) -> f64 {
        values.iter().sum::<f64>() / values.len() as f64
    }

    #[test]
    fn draws_the_marked_loss_distribution() {
        let dir = tempfile::tempdir().unwrap();
        let losses = lognormal_losses(2000, 6e6, 0.26, 7);
        let (var, es) = var_es(&losses, 0.99);
        let el = mean(&losses);
        let title = "Net credit loss across paths";
        let stem = dir.path().join("loss_marked");
        loss_distribution_marked(
            &stem,
            &meta(),
            title,
            &losses,
            &[],
            el,
            var,
            es,
            0.99,
            false,
        )
        .unwrap();
        let svg = check_files(&stem);
        assert!(svg.contains("Base case: Net credit loss across paths"));
        assert!(svg.contains("Net credit loss (EUR)"));
        assert!(svg.contains(">Share of paths<") || svg.contains("Share of paths\n"));
        assert!(svg.contains(&format!("Expected loss {}", format_amount(el))));
        assert!(svg.contains(&format!("99% VaR {}", format_amount(var))));
        assert!(svg.contains(&format!("99% ES {}", format_amount(es))));
        assert!(!svg.contains("log scale"));

        // Log scale, with importance weights and another level.
        let weights: Vec<f64> = (0..losses.len()).map(|i| 0.5 + (i % 3) as f64).collect();
        let stem = dir.path().join("loss_marked_log");
        loss_distribution_marked(
            &stem,
            &meta(),
            title,
            &losses,
            &weights,
            el,
            var,
            es,
            0.995,
            true,
        )
        .unwrap();
        let svg = check_files(&stem);
        assert!(svg.contains("Share of paths (log scale)"));
        assert!(svg.contains("importance-weighted"));
        assert!(svg.contains("99.5% VaR") && svg.contains("99.5% ES"));
        assert!(svg.contains("0.1%") && svg.contains("1%"), "no log ticks");
    }

    #[test]
    fn log_axes_have_round_ticks() {
        assert_eq!(format_log_share(&-4.0), "0.01%");
        assert_eq!(format_log_share(&(-3.0 + 5f64.log10())), "0.5%");
        assert_eq!(format_log_share(&-1.0), "10%");
        assert_eq!(format_log_share(&0.0), "100%");
        assert_eq!(format_log_count(&(50f64).log10()), "50");
        assert_eq!(format_log_count(&3.0), "1K");
        assert_eq!(format_log_count(&(20_000f64).log10()), "20K");
        assert_eq!(format_log_count(&(2.5e6f64).log10()), "2.5M");
        // 1/2000 of the paths up to 8%: from 0.02% to 50%, at 1, 2 and 5 x 10^k.
        let (range, ticks) = log_share_axis(0.0005, 0.08, 0.45);
        assert!((range.start - 0.0002f64.log10()).abs() < 1e-9, "{range:?}");
        assert!((range.end - 0.5f64.log10()).abs() < 1e-9, "{range:?}");
        assert_eq!(ticks.len(), 11);
        // Never above 100%; no data gives a sensible default.
        let (range, _) = log_share_axis(1.0, 1.0, 0.45);
        assert!(range.end == 0.0 && range.start <= -1.0, "{range:?}");
        let (range, ticks) = log_share_axis(f64::NAN, 0.0, 0.45);
        assert!(range.start < range.end && !ticks.is_empty());
        // Many decades: decade ticks only.
        let ticks = log_ticks(&(-7.0..0.0));
        assert_eq!(ticks.len(), 8);
        // Paths from 50 to 20,000.
        let ticks = log_ticks(&(50f64.log10()..20_000f64.log10()));
        let labels: Vec<String> = ticks.iter().map(format_log_count).collect();
        assert_eq!(
            labels,
            ["50", "100", "200", "500", "1K", "2K", "5K", "10K", "20K"]
        );
    }

    #[test]
    fn weights_and_common_bins() {
        let data = weighted_values(&[1.0, 2.0, f64::NAN, 4.0, 5.0], &[2.0, 0.0, 1.0, -1.0, 4.0]);
        assert_eq!(data, vec![(1.0, 0.5), (5.0, 1.0)]);
        assert_eq!(weighted_values(&[1.0, 2.0], &[]).len(), 2);
        let (total, effective) = weight_totals(&[(1.0, 1.0), (2.0, 1.0), (3.0, 1.0)]);
        assert_eq!((total, effective), (3.0, 3.0));
        // A narrow and a wide scenario: the common grid is finer than one for all the values.
        let narrow = lognormal_losses(2000, 6e6, 0.1, 3);
        let wide = lognormal_losses(2000, 14e6, 0.4, 5);
        let sets: Vec<Vec<(f64, f64)>> = [&narrow, &wide]
            .iter()
            .map(|v| weighted_values(v, &[]))
            .collect();
        let common = BinGrid::common(&sets).unwrap();
        let all = BinGrid::for_values(narrow.iter().chain(&wide).copied()).unwrap();
        assert!(common.width < all.width, "{common:?} {all:?}");
        assert!(common.bins <= MAX_COMMON_BINS + 2);
        let max = narrow.iter().chain(&wide).copied().fold(0.0, f64::max);
        assert!(common.start <= 0.0_f64.max(narrow[0].min(wide[0])) && common.end() > max);
        let shares = common.tally(&sets[0]);
        assert!((shares.iter().sum::<f64>() - 2000.0).abs() < 1e-6);
        assert!(BinGrid::common(&[Vec::new()]).is_none());
    }

    #[test]
    fn risk_measures_keep_their_colours() {
        let colours = measure_colours(&["Expected loss", "99% VaR", "99% ES", "Other"]);
        assert_eq!(colours[..3], [OI_BLACK, OI_VERMILLION, OI_PURPLE]);
        assert!(!colours[..3].contains(&colours[3]));
        let colours = measure_colours(&["95% VaR", "99% VaR"]);
        assert_eq!(colours[0], OI_VERMILLION);
        assert_ne!(colours[1], OI_VERMILLION);
        assert_eq!(scenario_colour(0), OI_BLUE);
        assert_eq!(scenario_colour(1), OI_ORANGE);
        assert_eq!(scenario_colour(2), OI_VERMILLION);
        assert_eq!(scenario_colour(3), OI_PURPLE);
    }

    #[test]
    fn draws_the_convergence_chart() {
        let dir = tempfile::tempdir().unwrap();
        let all = lognormal_losses(20_000, 6e6, 0.26, 11);
        let paths: Vec<u64> = vec![50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000];
        let mut series: Vec<BandedLine> = ["Expected loss", "99% VaR", "99% ES"]
            .iter()
            .map(|name| (name.to_string(), Vec::new(), Vec::new(), Vec::new()))
            .collect();
        for &n in &paths {
            let first = &all[..n as usize];
            let (var, es) = var_es(first, 0.99);
            let half = 1.0 / (n as f64).sqrt();
            for (line, (estimate, width)) in
                series
                    .iter_mut()
                    .zip([(mean(first), 3.1e6), (var, 20.9e6), (es, 27e6)])
            {
                line.1.push(estimate);
                line.2.push(estimate - width * half);
                line.3.push(estimate + width * half);
            }
        }
        let stem = dir.path().join("convergence");
        convergence(&stem, &meta(), &paths, &series).unwrap();
        let svg = check_files(&stem);
        assert!(svg.contains("Base case: Convergence of risk measures"));
        assert!(svg.contains("Estimate from the first n paths, band: 95% confidence interval"));
        assert!(svg.contains("Paths used, n (log scale)"));
        assert!(svg.contains("Estimate (EUR)"));
        for tick in ["50", "100", "1K", "10K", "20K"] {
            assert!(svg.contains(&format!("\n{tick}\n")), "no tick {tick}");
        }
        assert!(svg.contains("99% ES") && svg.contains("With 20,000 paths:"));
    }

    type Scenarios = Vec<(String, Vec<f64>, Vec<f64>)>;

    fn scenarios() -> Scenarios {
        [
            ("baseline", 6e6, 0.26),
            ("adverse", 9e6, 0.32),
            ("severe", 14e6, 0.38),
        ]
        .iter()
        .enumerate()
        .map(|(k, &(name, mean, sigma))| {
            let median = mean / (sigma * sigma / 2.0_f64).exp();
            let losses = lognormal_losses(2000, median, sigma, 100 + k as u64);
            (name.to_string(), losses, Vec::new())
        })
        .collect()
    }

    #[test]
    fn draws_the_scenario_overlays() {
        let dir = tempfile::tempdir().unwrap();
        let series = scenarios();
        let stem = dir.path().join("scenario_loss_overlay");
        scenario_loss_overlay(&stem, &meta(), &series).unwrap();
        let svg = check_files(&stem);
        assert!(svg.contains("Base case: Net credit loss by stress scenario"));
        assert!(svg.contains("Net credit loss (EUR)"));
        assert!(svg.contains("Share of paths"));
        assert!(svg.contains("baseline") && svg.contains("adverse") && svg.contains("severe"));
        let el = format_amount(mean(&series[2].1));
        assert!(
            svg.contains(&format!("severe {el}")),
            "no expected loss {el}"
        );

        let months: Vec<u32> = (1..=36).collect();
        let lines: Vec<BandedLine> = [("baseline", 6e6, 0.26_f64), ("adverse", 9e6, 0.32)]
            .iter()
            .map(|&(name, total, sigma)| {
                let mean: Vec<f64> = months
                    .iter()
                    .map(|&m| total * (1.0 - (-(m as f64) / 9.0).exp()) / (1.0 - (-4.0_f64).exp()))
                    .collect();
                let p5 = mean.iter().map(|m| m * (-1.645 * sigma).exp()).collect();
                let p95 = mean.iter().map(|m| m * (1.645 * sigma).exp()).collect();
                (name.to_string(), mean, p5, p95)
            })
            .collect();
        let stem = dir.path().join("scenario_write_off_overlay");
        scenario_write_off_overlay(&stem, &meta(), &months, &lines).unwrap();
        let svg = check_files(&stem);
        assert!(svg.contains("Base case: Cumulative net write-offs by stress scenario"));
        assert!(svg.contains("Cumulative net write-offs (EUR)"));
        assert!(svg.contains("5th-95th percentile"));
        assert!(svg.contains("Mean by month 36:") && svg.contains("adverse 9M"));
        // No bands: empty slices.
        let bare: Vec<BandedLine> = lines
            .iter()
            .map(|(name, mean, _, _)| (name.clone(), mean.clone(), Vec::new(), Vec::new()))
            .collect();
        let stem = dir.path().join("scenario_write_off_bare");
        scenario_write_off_overlay(&stem, &meta(), &months, &bare).unwrap();
        let svg = check_files(&stem);
        assert!(!svg.contains("5th-95th"));
    }

    #[test]
    fn risk_charts_survive_degenerate_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let m = ChartMeta {
            currency: String::new(),
            scenario_name: String::new(),
            ..meta()
        };
        let nan = f64::NAN;
        let at = |name: &str| dir.path().join(name);
        let title = "Net credit loss across paths";

        type Case<'a> = (&'a str, &'a [f64], &'a [f64], [f64; 3]);
        let cases: [Case; 8] = [
            ("m_empty", &[], &[], [nan; 3]),
            ("m_single", &[3e6], &[], [3e6; 3]),
            ("m_equal", &[7.0; 50], &[], [7.0; 3]),
            ("m_zeros", &[0.0; 20], &[], [0.0; 3]),
            (
                "m_nan",
                &[1.0, nan, 2.0, f64::INFINITY],
                &[],
                [1.5, 2.0, nan],
            ),
            (
                "m_zero_weights",
                &[1.0, 2.0, 3.0],
                &[0.0; 3],
                [2.0, 3.0, 3.0],
            ),
            (
                "m_odd_weights",
                &[1.0, 2.0, 3.0, 4.0],
                &[nan, -1.0, 1e300, f64::MAX],
                [3.5, 4.0, 4.0],
            ),
            ("m_one_nan", &[nan], &[1.0], [nan; 3]),
        ];
        for (name, losses, weights, [el, var, es]) in cases {
            for log in [false, true] {
                let stem = at(&format!("{name}_{log}"));
                loss_distribution_marked(&stem, &m, title, losses, weights, el, var, es, 0.99, log)
                    .unwrap();
                assert!(file_with_ext(&stem, "png").exists(), "{name}");
                assert!(file_with_ext(&stem, "svg").exists(), "{name}");
            }
        }
        // Odd levels and titles.
        loss_distribution_marked(
            &at("m_level"),
            &m,
            "",
            &[1.0, 2.0],
            &[],
            1.5,
            2.0,
            2.0,
            nan,
            true,
        )
        .unwrap();
        let svg = String::from_utf8(read(&at("m_empty_true.svg"))).unwrap();
        assert!(svg.contains("No paths to show"));
        let svg = String::from_utf8(read(&at("m_zero_weights_false.svg"))).unwrap();
        assert!(svg.contains("No paths with a positive weight"));

        convergence(&at("c_empty"), &m, &[], &[]).unwrap();
        let one = vec![("Expected loss".to_string(), vec![5e6], vec![4e6], vec![6e6])];
        convergence(&at("c_one"), &m, &[1000], &one).unwrap();
        let zero_paths = vec![("EL".to_string(), vec![nan, 5e6, 5.1e6], vec![], vec![])];
        convergence(&at("c_zero_paths"), &m, &[0, 10, 100], &zero_paths).unwrap();
        let gappy = vec![
            (
                "99% VaR".to_string(),
                vec![1.0, nan, 3.0, 2.5],
                vec![0.5, nan, 2.0, 2.2],
                vec![1.5, nan, 4.0, f64::INFINITY],
            ),
            (
                "95% VaR".to_string(),
                vec![nan; 4],
                vec![nan; 4],
                vec![nan; 4],
            ),
            ("x".repeat(80), vec![0.0; 4], vec![], vec![]),
        ];
        convergence(&at("c_gappy"), &m, &[100, 50, 200, 400], &gappy).unwrap();
        let all_nan = vec![("EL".to_string(), vec![nan; 2], vec![], vec![])];
        convergence(&at("c_all_nan"), &m, &[10, 20], &all_nan).unwrap();
        let same = vec![("EL".to_string(), vec![5.0; 3], vec![5.0; 3], vec![5.0; 3])];
        convergence(&at("c_flat"), &m, &[10, 10, 10], &same).unwrap();

        scenario_loss_overlay(&at("o_empty"), &m, &[]).unwrap();
        let no_paths: Scenarios = vec![
            ("baseline".to_string(), vec![], vec![]),
            ("severe".to_string(), vec![nan], vec![]),
        ];
        scenario_loss_overlay(&at("o_no_paths"), &m, &no_paths).unwrap();
        let one: Scenarios = vec![
            ("baseline".to_string(), vec![5.0], vec![]),
            ("adverse".to_string(), vec![], vec![]),
        ];
        scenario_loss_overlay(&at("o_one"), &m, &one).unwrap();
        let flat: Scenarios = vec![
            ("baseline".to_string(), vec![5e6; 30], vec![]),
            ("adverse".to_string(), vec![9e6; 30], vec![0.0; 30]),
            ("severe".to_string(), vec![9e6; 30], vec![nan; 30]),
        ];
        scenario_loss_overlay(&at("o_flat"), &m, &flat).unwrap();
        let many: Scenarios = (0..12)
            .map(|k| {
                let losses = (0..50).map(|i| ((k * 10 + i) as f64) * 1e4).collect();
                (format!("scenario {k}"), losses, vec![])
            })
            .collect();
        scenario_loss_overlay(&at("o_many"), &m, &many).unwrap();

        scenario_write_off_overlay(&at("w_empty"), &m, &[], &[]).unwrap();
        let zero = vec![("baseline".to_string(), vec![0.0; 3], vec![], vec![])];
        scenario_write_off_overlay(&at("w_zero"), &m, &[1, 2, 3], &zero).unwrap();
        let single = vec![
            ("baseline".to_string(), vec![1e3], vec![8e2], vec![1.2e3]),
            ("severe".to_string(), vec![2e3], vec![], vec![]),
        ];
        scenario_write_off_overlay(&at("w_one"), &m, &[1], &single).unwrap();
        let gaps = vec![
            (
                "baseline".to_string(),
                vec![3e3, 1e3, nan, 4e3],
                vec![2e3, nan, 1e3, 3e3],
                vec![4e3, 2e3, 3e3, nan],
            ),
            ("severe".to_string(), vec![nan; 4], vec![], vec![]),
        ];
        scenario_write_off_overlay(&at("w_nan"), &m, &[3, 1, 2, 4], &gaps).unwrap();

        for stem in [
            "m_level",
            "c_empty",
            "c_one",
            "c_zero_paths",
            "c_gappy",
            "c_all_nan",
            "c_flat",
            "o_empty",
            "o_no_paths",
            "o_one",
            "o_flat",
            "o_many",
            "w_empty",
            "w_zero",
            "w_one",
            "w_nan",
        ] {
            assert!(at(&format!("{stem}.png")).exists(), "{stem}");
            assert!(at(&format!("{stem}.svg")).exists(), "{stem}");
        }
        let svg = String::from_utf8(read(&at("c_all_nan.svg"))).unwrap();
        assert!(svg.contains("No estimates to show"));
        let svg = String::from_utf8(read(&at("o_no_paths.svg"))).unwrap();
        assert!(svg.contains("No paths to show"));
        let svg = String::from_utf8(read(&at("w_empty.svg"))).unwrap();
        assert!(svg.contains("No write-offs to show"));
    }

    #[test]
    fn risk_chart_lengths_must_match() {
        let dir = tempfile::tempdir().unwrap();
        let stem = dir.path().join("bad");
        let err = loss_distribution_marked(
            &stem,
            &meta(),
            "Net credit loss across paths",
            &[1.0, 2.0, 3.0],
            &[1.0, 1.0],
            2.0,
            3.0,
            3.0,
            0.99,
            false,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("`weights` has 2 values for 3 paths"),
            "{err}"
        );

        let series = vec![(
            "99% VaR".to_string(),
            vec![1.0, 2.0],
            vec![0.5, 1.5],
            vec![1.5],
        )];
        let err = convergence(&stem, &meta(), &[10, 20], &series).unwrap_err();
        assert!(
            err.to_string()
                .contains("series `99% VaR` band high: has 1 values for 2 path counts"),
            "{err}"
        );
        let series = vec![("EL".to_string(), vec![1.0], vec![], vec![])];
        let err = convergence(&stem, &meta(), &[10, 20], &series).unwrap_err();
        assert!(err.to_string().contains("series `EL` values:"), "{err}");

        let mut scenarios = scenarios();
        scenarios[1].2 = vec![1.0; 3];
        let err = scenario_loss_overlay(&stem, &meta(), &scenarios).unwrap_err();
        assert!(
            err.to_string()
                .contains("scenario `adverse` weights: has 3 values for 2000 paths"),
            "{err}"
        );

        let lines = vec![("severe".to_string(), vec![1.0; 3], vec![0.5; 3], vec![])];
        let err = scenario_write_off_overlay(&stem, &meta(), &[1, 2, 3], &lines).unwrap_err();
        assert!(err.to_string().contains("series `severe` band"), "{err}");
        let lines = vec![("severe".to_string(), vec![1.0; 2], vec![], vec![])];
        let err = scenario_write_off_overlay(&stem, &meta(), &[1, 2, 3], &lines).unwrap_err();
        assert!(
            err.to_string().contains("has 2 values for 3 months"),
            "{err}"
        );
        assert!(!file_with_ext(&stem, "png").exists());
        assert!(!file_with_ext(&stem, "svg").exists());
    }
}
