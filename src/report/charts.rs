//! Charts for the risk report: drawing only.
//!
//! This module owns the look of every chart `arrears` writes and nothing else: callers hand
//! it numbers that are already computed (mean balances, per-path losses, the mean and the
//! VaR, recovery and write-off percentiles, disposition values with their standard errors,
//! buyer's prices), and it draws them. Its only data work is presentation: stacking series,
//! picking histogram bins and axis ticks, reading a line's value at a marked x, and
//! formatting numbers.
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

const OI_BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
const OI_ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
const OI_GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
const OI_YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
const OI_BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
const OI_VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
const OI_PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
const OI_SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);

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

/// Opacity of the percentile bands.
const BAND_OPACITY: f64 = 0.2;

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

/// The colour of series `index`: the palette in order, then paler rounds of it.
fn series_colour(index: usize) -> RGBColor {
    let n = SERIES_COLOURS.len();
    let colour = SERIES_COLOURS[index % n];
    match (index / n) % 3 {
        0 => colour,
        1 => tint(colour, 0.55),
        _ => tint(colour, 0.3),
    }
}

/// `colour` at `opacity` over white: how a translucent band looks, for its legend swatch.
fn tint(colour: RGBColor, opacity: f64) -> RGBColor {
    let mix = |c: u8| (255.0 - (255.0 - c as f64) * opacity).round() as u8;
    RGBColor(mix(colour.0), mix(colour.1), mix(colour.2))
}

/// Marker shapes, so series differ by more than colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
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
fn draw_marker<DB: DrawingBackend>(
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

/// Tick labels for fractions shown scaled: percent (`factor` 100, `suffix` `"%"`) or cents per
/// unit of face (100, `""`), with as many decimals as the tick step needs: `0%`, `2%`, `4%`;
/// `2.5`, `5.0`, `7.5`.
#[derive(Debug, Clone, Copy)]
struct ScaledFormat {
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

    fn percent(ticks: &[f64]) -> ScaledFormat {
        ScaledFormat::new(ticks, 100.0, "%")
    }

    fn cents(ticks: &[f64]) -> ScaledFormat {
        ScaledFormat::new(ticks, 100.0, "")
    }

    fn format(&self, value: f64) -> String {
        let scaled = value * self.factor;
        if scaled.abs() < 1e-9 {
            return format!("0{}", self.suffix);
        }
        format!("{}{}", group_thousands(scaled, self.decimals), self.suffix)
    }
}

/// A fraction as percent with one decimal: `11.0%`.
fn format_percent(fraction: f64) -> String {
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

/// An axis over `lo..hi` widened to include zero, with `headroom` (a fraction of the span)
/// above positive data and a little room below negative data, its ends on multiples of a nice
/// step; `0..fallback_top` when the data have no span. Non-finite bounds count as zero.
fn value_axis(
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
    // The tolerance keeps 0.6000000000000001 from adding a whole step.
    let ends =
        |step: f64| ((bottom / step + 1e-9).floor() * step)..((top / step - 1e-9).ceil() * step);
    // Of the steps for about `target` and `target + 2` intervals, the one wasting less room.
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

/// The smallest and largest finite values of `values` (`(inf, -inf)` when there are none).
fn finite_bounds<'a>(values: impl IntoIterator<Item = &'a f64>) -> (f64, f64) {
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
    LineMarker(RGBColor, Marker),
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

/// The chart context every chart draws in.
type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<TickedAxis, TickedAxis>>;

/// Builds the plot on `area` and draws its axes in the theme: ticks where the axes say,
/// horizontal grid lines only, axis titles `descs` (x, y) and tick labels from the formatters.
fn plot_axes<'a, DB: DrawingBackend>(
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
fn format_month(month: &f64) -> String {
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
        let mut chart = plot_axes(
            &plot,
            TickedAxis::new(&self.x_range, &self.x_ticks),
            TickedAxis::new(&self.y_range, &self.y_ticks),
            (
                &amount_axis_title("Net credit loss", &self.meta.currency),
                "Paths",
            ),
            &|v| x_format.format(*v),
            &|v| y_format.format(v.round()),
        )?;

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
// Lines, bands and markers

/// Maximal runs of consecutive items that pass `keep`.
fn runs<T: Copy>(items: &[T], keep: impl Fn(&T) -> bool) -> Vec<Vec<T>> {
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
fn draw_band<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    band: &[(f64, f64, f64)],
    colour: RGBColor,
) -> DrawResult {
    let fill = colour.mix(BAND_OPACITY);
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
fn draw_line<DB: DrawingBackend>(
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
fn month_axis(lo: f64, hi: f64) -> (Range<f64>, Vec<f64>) {
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
                let swatch = if self.markers {
                    Swatch::LineMarker(l.colour, l.marker)
                } else {
                    Swatch::Line(l.colour)
                };
                (swatch, l.label.clone())
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
}
