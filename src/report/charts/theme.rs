//! The look every chart shares: the canvas size, the embedded font, text sizes, the Okabe-Ito
//! colour-blind-safe palette (state colours, series and scenario colours, band opacities) and
//! marker shapes and strokes, so series differ by more than colour.

use std::sync::OnceLock;

use plotters::prelude::*;
pub(crate) use plotters::style::RGBColor;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub(crate) const WIDTH: u32 = 1600;
pub(crate) const HEIGHT: u32 = 900;
pub(crate) const FONT: &str = "sans-serif";

pub(crate) const OI_BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
pub(crate) const OI_ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
pub(crate) const OI_GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
pub(crate) const OI_YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
pub(crate) const OI_BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
pub(crate) const OI_VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
pub(crate) const OI_PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
pub(crate) const OI_SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);

/// Colours of series that carry no meaning of their own (dispositions, sale points), in
/// order. Yellow is left out: too pale for lines and markers on white.
pub(crate) const SERIES_COLOURS: [RGBColor; 7] = [
    OI_BLUE,
    OI_VERMILLION,
    OI_GREEN,
    OI_ORANGE,
    OI_PURPLE,
    OI_SKY_BLUE,
    OI_BLACK,
];

/// Colours of stress scenarios, in order: the baseline blue, then orange and reddish purple,
/// which stay apart for every kind of colour vision (adverse and severe must not look alike).
/// Yellow is left out: too pale for lines on white.
pub(crate) const SCENARIO_COLOURS: [RGBColor; 7] = [
    OI_BLUE,
    OI_ORANGE,
    OI_PURPLE,
    OI_VERMILLION,
    OI_SKY_BLUE,
    OI_GREEN,
    OI_BLACK,
];

/// Opacity of the percentile bands.
pub(crate) const BAND_OPACITY: f64 = 0.2;
/// Opacity of bands that overlap other bands.
pub(crate) const OVERLAP_BAND_OPACITY: f64 = 0.12;

/// Band opacity for a chart of `lines` banded lines: paler when they overlap.
pub(crate) fn band_opacity(lines: usize) -> f64 {
    if lines > 1 {
        OVERLAP_BAND_OPACITY
    } else {
        BAND_OPACITY
    }
}

/// Gross write-off bars: light, so the net line and its band read over them.
pub(crate) const GROSS_BAR: RGBColor = RGBColor(0xCF, 0xCF, 0xCF);
pub(crate) const CHARGED_OFF_GREY: RGBColor = RGBColor(0x99, 0x99, 0x99);
pub(crate) const SOLD_GREY: RGBColor = RGBColor(0x66, 0x66, 0x66);
pub(crate) const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(crate) const SUBTLE_TEXT: RGBColor = RGBColor(0x55, 0x55, 0x55);
pub(crate) const FOOTNOTE_TEXT: RGBColor = RGBColor(0x77, 0x77, 0x77);
pub(crate) const AXIS: RGBColor = RGBColor(0x44, 0x44, 0x44);
pub(crate) const GRID: RGBColor = RGBColor(0xE3, 0xE3, 0xE3);

pub(crate) const TITLE_SIZE: f64 = 40.0;
pub(crate) const SUBTITLE_SIZE: f64 = 24.0;
pub(crate) const AXIS_TITLE_SIZE: f64 = 26.0;
pub(crate) const TICK_SIZE: f64 = 23.0;
pub(crate) const LEGEND_SIZE: f64 = 23.0;
pub(crate) const NOTE_SIZE: f64 = 21.0;
pub(crate) const FOOTNOTE_SIZE: f64 = 19.0;

/// Left edge of title, subtitle and footnote.
pub(crate) const LEFT_INSET: i32 = 40;
pub(crate) const HEADER_HEIGHT: u32 = 112;
pub(crate) const FOOTER_HEIGHT: u32 = 46;
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
pub(crate) fn ensure_fonts() -> Result<(), String> {
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
pub(crate) fn scenario_colour(index: usize) -> RGBColor {
    palette_colour(&SCENARIO_COLOURS, index)
}

/// `palette[index]`, then paler rounds of the palette.
pub(crate) fn palette_colour(palette: &[RGBColor], index: usize) -> RGBColor {
    let n = palette.len().max(1);
    let colour = palette.get(index % n).copied().unwrap_or(OI_BLUE);
    match (index / n) % 3 {
        0 => colour,
        1 => tint(colour, 0.55),
        _ => tint(colour, 0.3),
    }
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

pub(crate) fn series_marker(index: usize) -> Marker {
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
/// How a line is stroked, so lines differ by more than colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stroke {
    Solid,
    Dashed,
    Dotted,
}
