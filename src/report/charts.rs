//! Charts for the risk report: drawing only.
//!
//! This module owns the look of every chart `arrears` writes and nothing else: callers hand
//! it numbers that are already computed (mean balances, per-path losses, the mean and the
//! VaR), and it draws them. Its only data work is presentation: stacking series, picking
//! histogram bins and axis ticks, and formatting numbers.
//!
//! Each chart is written twice, `{stem}.png` and `{stem}.svg`, both 1600x900 (16:9).
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
//! - amounts with thousands separators and a K/M/B suffix chosen once per axis, never
//!   scientific notation; months as integers;
//! - horizontal grid lines only, light grey.
//!
//! Drawing never panics: plotters errors, and any panic inside plotters, become
//! [`ChartError`].

use std::fmt::Display;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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
    let chart = LossChart::new(meta, losses, mean, var_99);
    write_both(stem, &chart)
}

// ---------------------------------------------------------------------------------------------
// Theme

const WIDTH: u32 = 1600;
const HEIGHT: u32 = 900;
const FONT: &str = "sans-serif";

const OI_BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
const OI_ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
const OI_GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
const OI_YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
const OI_BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
const OI_VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
const OI_PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);

const CHARGED_OFF_GREY: RGBColor = RGBColor(0x99, 0x99, 0x99);
const SOLD_GREY: RGBColor = RGBColor(0x66, 0x66, 0x66);
const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);
const SUBTLE_TEXT: RGBColor = RGBColor(0x55, 0x55, 0x55);
const FOOTNOTE_TEXT: RGBColor = RGBColor(0x77, 0x77, 0x77);
const AXIS: RGBColor = RGBColor(0x44, 0x44, 0x44);
const GRID: RGBColor = RGBColor(0xE3, 0xE3, 0xE3);

const TITLE_SIZE: f64 = 40.0;
const SUBTITLE_SIZE: f64 = 24.0;
const AXIS_TITLE_SIZE: f64 = 26.0;
const TICK_SIZE: f64 = 23.0;
const LEGEND_SIZE: f64 = 23.0;
const NOTE_SIZE: f64 = 21.0;
const FOOTNOTE_SIZE: f64 = 19.0;

/// Left edge of title, subtitle and footnote.
const LEFT_INSET: i32 = 40;
const HEADER_HEIGHT: u32 = 112;
const FOOTER_HEIGHT: u32 = 46;
const LEGEND_WIDTH: u32 = 350;

fn font(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&TEXT)
}

fn bold(size: f64) -> TextStyle<'static> {
    // `FontDesc::style` keeps the regular glyphs; the bold face must be chosen at creation.
    FontDesc::new(FontFamily::Name(FONT), size, FontStyle::Bold).color(&TEXT)
}

fn anchored<'a>(style: TextStyle<'a>, h: HPos, v: VPos) -> TextStyle<'a> {
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
fn state_colour(name: &str, bucket_rank: usize, buckets: usize) -> RGBColor {
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
fn bucket_colour(rank: usize, count: usize) -> RGBColor {
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

/// `value` with `decimals` decimals and thousands separators; never scientific notation.
fn group_thousands(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text.as_str(), None),
    };
    let mut out = String::with_capacity(text.len() + text.len() / 3 + 1);
    let negative = value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0');
    if negative {
        out.push('-');
    }
    let digits = int_part.len();
    for (i, c) in int_part.chars().enumerate() {
        if i > 0 && (digits - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(frac) = frac_part {
        out.push('.');
        out.push_str(frac);
    }
    out
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
struct AxisFormat {
    divisor: f64,
    suffix: &'static str,
    decimals: usize,
}

impl AxisFormat {
    fn new(ticks: &[f64]) -> AxisFormat {
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

    fn format(&self, value: f64) -> String {
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

fn format_count(value: u64) -> String {
    group_thousands(value as f64, 0)
}

/// `1 path`, `1,000 paths`.
fn count_of(value: u64, noun: &str) -> String {
    let plural = if value == 1 { "" } else { "s" };
    format!("{} {noun}{plural}", format_count(value))
}

fn amount_axis_title(what: &str, currency: &str) -> String {
    let currency = currency.trim();
    if currency.is_empty() {
        format!("{what} (currency units)")
    } else {
        format!("{what} ({currency})")
    }
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
fn ticks_in(range: &Range<f64>, step: f64) -> Vec<f64> {
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

/// Month ticks: every 1, 2, 3, 6, 12, 24... months, at most about ten labels.
fn month_ticks(range: &Range<f64>) -> Vec<f64> {
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
struct TickedAxis {
    range: Range<f64>,
    ticks: Vec<f64>,
}

impl TickedAxis {
    fn new(range: &Range<f64>, ticks: &[f64]) -> TickedAxis {
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

type DrawResult = Result<(), String>;

fn ctx<E: Display>(what: &'static str) -> impl FnOnce(E) -> String {
    move |e| format!("{what}: {e}")
}

/// A chart that can draw itself on any plotters backend.
trait Chart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult;
}

fn file_with_ext(stem: &Path, ext: &str) -> PathBuf {
    let mut name = stem.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

fn write_both<C: Chart>(stem: &Path, chart: &C) -> Result<(), ChartError> {
    let png = file_with_ext(stem, "png");
    let svg = file_with_ext(stem, "svg");
    let fail = |path: &Path, message: String| ChartError::Draw {
        path: path.to_path_buf(),
        message,
    };
    ensure_fonts().map_err(|m| fail(&png, m))?;

    guarded(|| {
        let root = BitMapBackend::new(&png, (WIDTH, HEIGHT)).into_drawing_area();
        chart.draw(&root)?;
        root.present().map_err(ctx("writing the PNG"))
    })
    .map_err(|m| fail(&png, m))?;

    guarded(|| {
        let root = SVGBackend::new(&svg, (WIDTH, HEIGHT)).into_drawing_area();
        chart.draw(&root)?;
        root.present().map_err(ctx("writing the SVG"))
    })
    .map_err(|m| fail(&svg, m))
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
struct Frame<DB: DrawingBackend> {
    plot: DrawingArea<DB, Shift>,
    legend: DrawingArea<DB, Shift>,
}

/// Fills the background, draws title, subtitle and footnote, and returns the plot and legend
/// areas.
fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    meta: &ChartMeta,
    title: &str,
    subtitle: &str,
) -> Result<Frame<DB>, String> {
    root.fill(&WHITE).map_err(ctx("filling the background"))?;
    let (header, rest) = root.split_vertically(HEADER_HEIGHT);
    let (body, footer) = rest.split_vertically(HEIGHT - HEADER_HEIGHT - FOOTER_HEIGHT);

    let name = meta.scenario_name.trim();
    let title = if name.is_empty() {
        title.to_string()
    } else {
        format!("{name}: {title}")
    };
    header
        .draw_text(
            &title,
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

    let footnote = format!(
        "seed {} · {} · arrears",
        meta.seed,
        count_of(meta.paths, "path")
    );
    footer
        .draw_text(
            &footnote,
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
enum Swatch {
    Box(RGBColor),
    Line(RGBColor),
    DashedLine(RGBColor),
}

/// Draws a legend panel: a bold heading (if any), then one row per entry, then grey notes.
fn draw_legend<DB: DrawingBackend>(
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
            Swatch::DashedLine(c) => {
                for (a, b) in [(0, 9), (13, 21), (25, 34)] {
                    area.draw(&PathElement::new(
                        vec![(X + a, y), (X + b, y)],
                        c.stroke_width(4),
                    ))
                    .map_err(ctx("drawing the legend"))?;
                }
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
fn fit_text<DB: DrawingBackend>(
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
fn centred_note<DB: DrawingBackend>(
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
        let mut chart = ChartBuilder::on(&plot)
            .margin_top(16)
            .margin_right(36)
            .margin_left(24)
            .margin_bottom(8)
            .x_label_area_size(78)
            .y_label_area_size(130)
            .build_cartesian_2d(
                TickedAxis::new(&self.x_range, &self.x_ticks),
                TickedAxis::new(&self.y_range, &self.y_ticks),
            )
            .map_err(ctx("building the chart"))?;

        chart
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(AXIS.stroke_width(1))
            .set_all_tick_mark_size(6)
            .x_desc("Month")
            .y_desc(amount_axis_title("Balance", &self.meta.currency))
            .axis_desc_style(font(AXIS_TITLE_SIZE))
            .label_style(font(TICK_SIZE))
            .x_label_formatter(&|m| format!("{}", m.round() as i64))
            .y_label_formatter(&|v| y_format.format(*v))
            .draw()
            .map_err(ctx("drawing the axes"))?;

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

struct LossChart {
    meta: ChartMeta,
    /// Number of finite losses.
    count: usize,
    bin_start: f64,
    bin_width: f64,
    counts: Vec<u64>,
    mean: f64,
    var_99: f64,
    x_range: Range<f64>,
    x_ticks: Vec<f64>,
    y_range: Range<f64>,
    y_ticks: Vec<f64>,
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

impl LossChart {
    fn new(meta: &ChartMeta, losses: &[f64], mean: f64, var_99: f64) -> LossChart {
        let mut sorted: Vec<f64> = losses.iter().copied().filter(|v| v.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);

        let (bin_start, bin_width, counts) = if sorted.is_empty() {
            (0.0, 1.0, Vec::new())
        } else {
            let (start, width, bins) = choose_bins(&sorted);
            let mut counts = vec![0u64; bins];
            for &v in &sorted {
                let idx = ((v - start) / width).floor();
                let idx = if idx.is_finite() && idx > 0.0 {
                    (idx as usize).min(bins - 1)
                } else {
                    0
                };
                counts[idx] += 1;
            }
            (start, width, counts)
        };

        // x axis: the bins, widened to show the mean and VaR lines, with a small margin.
        let (mut lo, mut hi) = if counts.is_empty() {
            (0.0, 1.0)
        } else {
            (bin_start, bin_start + bin_width * counts.len() as f64)
        };
        for v in [mean, var_99] {
            if v.is_finite() && !counts.is_empty() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        let pad = (hi - lo) * 0.03;
        let x_range = (lo - pad)..(hi + pad);
        let x_ticks = ticks_in(&x_range, nice_step(x_range.end - x_range.start, 9));

        let max_count = counts.iter().copied().max().unwrap_or(0);
        // Headroom above the tallest bar for the line labels; whole paths only on the axis.
        let (mut y_range, mut y_ticks) = zero_based_axis(max_count.max(1) as f64, 0.22, 6);
        if y_ticks.get(1).is_none_or(|&step| step < 1.0) {
            y_range = 0.0..(max_count.max(1) as f64 * 1.22).ceil().max(2.0);
            y_ticks = ticks_in(&y_range, 1.0);
        }

        LossChart {
            meta: meta.clone(),
            count: sorted.len(),
            bin_start,
            bin_width,
            counts,
            mean,
            var_99,
            x_range,
            x_ticks,
            y_range,
            y_ticks,
        }
    }
}

impl Chart for LossChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let subtitle = if self.count == 0 {
            "Distribution of net credit loss over simulated paths".to_string()
        } else {
            format!(
                "Distribution of net credit loss over {}; bins of {}",
                count_of(self.count as u64, "simulated path"),
                format_amount(self.bin_width)
            )
        };
        let Frame { plot, legend } =
            frame(root, &self.meta, "Net credit loss across paths", &subtitle)?;

        let x_format = AxisFormat::new(&self.x_ticks);
        let y_format = AxisFormat::new(&self.y_ticks);
        let mut chart = ChartBuilder::on(&plot)
            .margin_top(16)
            .margin_right(36)
            .margin_left(24)
            .margin_bottom(8)
            .x_label_area_size(78)
            .y_label_area_size(130)
            .build_cartesian_2d(
                TickedAxis::new(&self.x_range, &self.x_ticks),
                TickedAxis::new(&self.y_range, &self.y_ticks),
            )
            .map_err(ctx("building the chart"))?;

        chart
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(AXIS.stroke_width(1))
            .set_all_tick_mark_size(6)
            .x_desc(amount_axis_title("Net credit loss", &self.meta.currency))
            .y_desc("Paths")
            .axis_desc_style(font(AXIS_TITLE_SIZE))
            .label_style(font(TICK_SIZE))
            .x_label_formatter(&|v| x_format.format(*v))
            .y_label_formatter(&|v| y_format.format(v.round()))
            .draw()
            .map_err(ctx("drawing the axes"))?;

        let bar = |i: usize| {
            let x0 = self.bin_start + self.bin_width * i as f64;
            (x0, x0 + self.bin_width)
        };
        chart
            .draw_series(
                self.counts
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c > 0)
                    .map(|(i, &c)| {
                        let (x0, x1) = bar(i);
                        Rectangle::new([(x0, 0.0), (x1, c as f64)], OI_BLUE.filled())
                    }),
            )
            .map_err(ctx("drawing the bars"))?;
        // White separators on the left edge of each bar; the tops stay blue so a bar of one
        // path is still visible.
        chart
            .draw_series(
                self.counts
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c > 0)
                    .map(|(i, &c)| {
                        let (x0, _) = bar(i);
                        PathElement::new(vec![(x0, 0.0), (x0, c as f64)], WHITE.stroke_width(1))
                    }),
            )
            .map_err(ctx("drawing the bar edges"))?;

        redraw_axes(&chart, &self.x_range, &self.y_range)?;

        let mean_label = format!("Mean {}", format_amount(self.mean));
        let var_label = format!("99% VaR {}", format_amount(self.var_99));
        let top = self.y_range.end;
        let have_data = self.count > 0;
        if have_data && self.mean.is_finite() {
            chart
                .draw_series(LineSeries::new(
                    [(self.mean, 0.0), (self.mean, top)],
                    OI_BLACK.stroke_width(3),
                ))
                .map_err(ctx("drawing the mean"))?;
        }
        if have_data && self.var_99.is_finite() {
            chart
                .draw_series(DashedLineSeries::new(
                    [(self.var_99, 0.0), (self.var_99, top)],
                    14,
                    8,
                    OI_VERMILLION.stroke_width(3),
                ))
                .map_err(ctx("drawing the VaR"))?;
        }

        let pixels = chart.plotting_area().get_pixel_range();
        if have_data {
            let mut labels = Vec::new();
            if self.mean.is_finite() {
                labels.push((self.mean, mean_label.clone(), OI_BLACK));
            }
            if self.var_99.is_finite() {
                labels.push((self.var_99, var_label.clone(), OI_VERMILLION));
            }
            let at = |x: f64| chart.backend_coord(&(x, top)).0;
            line_labels(root, &pixels, &labels, at)?;
        } else {
            centred_note(root, pixels, "No paths to show")?;
        }

        if !have_data {
            return Ok(());
        }
        let mut entries = vec![(Swatch::Box(OI_BLUE), "Paths per bin".to_string())];
        if self.mean.is_finite() {
            entries.push((Swatch::Line(OI_BLACK), mean_label));
        }
        if self.var_99.is_finite() {
            entries.push((Swatch::DashedLine(OI_VERMILLION), var_label));
        }
        let notes = vec![
            count_of(self.count as u64, "path"),
            format!(
                "{} bins of {}",
                self.counts.len(),
                format_amount(self.bin_width)
            ),
        ];
        draw_legend(&legend, "", &entries, &notes)
    }
}

/// Draws the x and y axis lines again over the data, which covers them at zero.
fn redraw_axes<DB: DrawingBackend>(
    chart: &ChartContext<'_, DB, Cartesian2d<TickedAxis, TickedAxis>>,
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

/// Labels the vertical lines near the top of the plot: the lower value's label left of its
/// line, the higher one's right of its line, flipped inward at the plot edges and moved down a
/// row if two labels would overlap.
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

    let mut placed: Vec<(i32, i32, i32)> = Vec::new(); // (left, right, row y)
    for (rank, &i) in order.iter().enumerate() {
        let (value, text, colour) = &labels[i];
        let style = bold(LEGEND_SIZE).color(colour);
        let (width, _) = root
            .estimate_text_size(text, &style)
            .map_err(ctx("measuring a label"))?;
        let width = width as i32;
        let x = x_pixel(*value);
        let prefer_left = order.len() > 1 && rank == 0;
        let left_span = (x - GAP - width, x - GAP);
        let right_span = (x + GAP, x + GAP + width);
        let fits_left = left_span.0 >= xs.start + 4;
        let fits_right = right_span.1 <= xs.end - 4;
        let span = match (prefer_left, fits_left, fits_right) {
            (true, true, _) | (false, true, false) => left_span,
            _ => right_span,
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> ChartMeta {
        ChartMeta {
            scenario_name: "Base case".to_string(),
            seed: 42,
            paths: 1000,
            currency: "EUR".to_string(),
        }
    }

    type Series = Vec<(String, Option<String>, Vec<f64>)>;

    fn book() -> (Vec<u32>, Series) {
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
    fn missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let stem = dir.path().join("no/such/dir/chart");
        let err = loss_distribution(&stem, &meta(), &[1.0, 2.0], 1.5, 2.0).unwrap_err();
        assert!(err.to_string().contains("chart.png"), "{err}");
    }
}
