//! The canvas: writing a chart as SVG and as a 300 dpi PNG, the frame (title, subtitle,
//! footnote, plot and legend areas), the legend panel, notes, and the primitives every chart
//! kind draws with (lines broken at gaps, bands, markers, vertical marked values, the zero
//! line). Drawing never panics: plotters errors, and any panic inside plotters, become
//! [`ChartError`].

use std::fmt::Display;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

pub(crate) use super::ChartError;
use super::axes::Plot;
use super::scaled;
use super::theme::*;

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
pub(crate) const PNG_SCALE: u32 = 2;

/// The PNG's resolution, 300 dpi (print) in pixels per metre: 300 / 0.0254 = 11,811.
pub(crate) const PNG_PIXELS_PER_METRE: u32 = 11_811;

/// The chart as PNG bytes: drawn at [`PNG_SCALE`] times the layout's size and marked
/// [`PNG_PIXELS_PER_METRE`].
pub(crate) fn draw_png<C: Chart>(chart: &C) -> Result<Vec<u8>, String> {
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
pub(crate) fn guarded(f: impl FnOnce() -> DrawResult) -> DrawResult {
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

/// What a chart's frame says: the title (with the scenario's name before it), a grey
/// subtitle and the small print at the bottom (`seed S · P paths · arrears`).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Header {
    pub(crate) title: String,
    pub(crate) subtitle: String,
    pub(crate) footnote: String,
}

/// Fills the background, draws title, subtitle and footnote, and returns the plot and legend
/// areas.
pub(crate) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    header: &Header,
) -> Result<Frame<DB>, String> {
    let Header {
        title,
        subtitle,
        footnote,
    } = header;
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

/// The legend swatch of a line stroked so.
pub(crate) fn stroke_swatch(stroke: Stroke, colour: RGBColor) -> Swatch {
    match stroke {
        Stroke::Solid => Swatch::Line(colour),
        Stroke::Dashed => Swatch::DashedLine(colour),
        Stroke::Dotted => Swatch::DottedLine(colour),
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
    draw_notes(area, notes, (X, y))
}

/// Grey notes from `(x, y)` down, each wrapped at spaces to the area's width (a word wider
/// than that is cut short); an empty note leaves a blank line.
pub(crate) fn draw_notes<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    notes: &[String],
    (x, mut y): (i32, i32),
) -> DrawResult {
    let style = anchored(
        font(NOTE_SIZE).color(&SUBTLE_TEXT),
        HPos::Left,
        VPos::Center,
    );
    let max_w = area.dim_in_pixel().0 as i32 - x - 16;
    let width = |s: &str| {
        area.estimate_text_size(s, &style)
            .map_or(0, |(w, _)| w as i32)
    };
    for note in notes {
        for line in wrap_at_spaces(note, max_w, &width) {
            let line = fit_text(area, &line, &style, max_w);
            area.draw_text(&line, &style, (x, y))
                .map_err(ctx("drawing the legend"))?;
            y += 28;
        }
    }
    Ok(())
}

/// `text` broken at spaces into lines no wider than `max_width` (greedy); a word wider than
/// that stays whole on its own line.
pub(crate) fn wrap_at_spaces(
    text: &str,
    max_width: i32,
    width: &dyn Fn(&str) -> i32,
) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if line.is_empty() || width(&candidate) <= max_width {
            line = candidate;
        } else {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
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

/// A vertical line at `x` across `y`, 3 pixels wide.
pub(crate) fn draw_vline<DB: DrawingBackend>(
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
pub(crate) fn line_labels<DB: DrawingBackend>(
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

/// [`draw_band`] at `opacity`, with thin edges in the band's colour: for bands that overlap.
pub(crate) fn draw_outlined_band<DB: DrawingBackend>(
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

/// A line through the finite points, broken at the others, stroked so; `marker` on every
/// point, or a dot on a point with no neighbour so it still shows.
pub(crate) fn draw_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &mut Plot<'_, DB>,
    points: &[(f64, f64)],
    colour: RGBColor,
    stroke: Stroke,
    marker: Option<Marker>,
) -> DrawResult {
    let style = colour.stroke_width(3);
    for run in runs(points, |&(x, y)| x.is_finite() && y.is_finite()) {
        if run.len() > 1 {
            match stroke {
                Stroke::Solid => {
                    chart.draw_series(std::iter::once(PathElement::new(run.clone(), style)))
                }
                Stroke::Dashed => {
                    chart.draw_series(DashedLineSeries::new(run.clone(), 12, 7, style))
                }
                Stroke::Dotted => {
                    chart.draw_series(DashedLineSeries::new(run.clone(), 3, 6, style))
                }
            }
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
pub(crate) fn draw_zero_line<DB: DrawingBackend>(
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
