//! Print-resolution PNGs: a drawing backend that draws a chart at a multiple of its size, and
//! the PNG encoder that records the resolution.
//!
//! [`Scaled`] wraps a raster backend (`BitMapBackend`) `scale` times the size the chart code
//! sees. Charts lay themselves out on the logical canvas, the same 1600x900 as the SVG, and every
//! primitive reaches the inner backend with its coordinates, stroke width, circle radius and font
//! size multiplied by `scale`. Text is measured at the logical size, so labels are placed,
//! shortened and spaced exactly as in the SVG, and rasterised from the glyph outlines at the
//! scaled size, so it is as sharp as the pixels allow rather than enlarged.
//!
//! How a logical pixel maps, with `s` the scale (plotters' own conventions at 1x):
//! - points of lines, paths, polygons and circles name pixels; each maps to the centre pixel of
//!   its `s` x `s` block (`floor(s * p + s / 2)`), so shapes stay centred on what they mark;
//! - filled rectangles (and area fills) run from the upper-left corner up to, not including, the
//!   lower-right one, as `BitMapBackend` fills them, so their corners map to `s * p` and
//!   adjacent bars tile without gaps;
//! - one-pixel lines along an axis (grid, axes, ticks, outlines) become one block-wide filled
//!   rectangles, exactly `s` pixels thick (plotters would draw a stroke of width `s` as a
//!   polygon one pixel thicker); slanted one-pixel lines become parallelograms `s` pixels
//!   across, as plotters' anti-aliased line is one pixel across;
//! - wider strokes are drawn by plotters as polygons that look one pixel wider than asked, so
//!   a stroke `w` wide is passed on `s * (w + 1) - 1` wide: it looks as heavy as at 1x;
//! - a single pixel becomes its block; a bitmap is enlarged by repeating pixels.
//!
//! Anti-aliasing is plotters' own (edge coverage of polygons and slanted lines, glyph coverage
//! of text), now at the finer grid. Drawing at scale 1 gives plotters' picture, except that an
//! axis-aligned one-pixel line drawn right to left (or bottom to top) keeps its end pixels, which
//! `BitMapBackend` drops.
//!
//! [`encode_png`] writes RGB pixels as a PNG with a `pHYs` chunk, so word processors place the
//! picture at its print size rather than at 96 dpi.

use plotters::prelude::*;
use plotters::style::FontDesc;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

/// A backend that shows the chart code a canvas `scale` times smaller than `inner` and draws
/// everything at `scale` times its size. See the module documentation.
pub struct Scaled<DB: DrawingBackend> {
    inner: DB,
    scale: f64,
    logical: (u32, u32),
}

impl<DB: DrawingBackend> Scaled<DB> {
    /// Wraps `inner`; the chart code sees its size divided by `scale` (rounded down).
    ///
    /// # Panics
    /// If `scale` is not finite and positive (a bug in the caller).
    pub fn new(inner: DB, scale: f64) -> Scaled<DB> {
        assert!(
            scale.is_finite() && scale > 0.0,
            "scale must be finite and positive, got {scale}"
        );
        let (w, h) = inner.get_size();
        let logical = (
            (w as f64 / scale).floor() as u32,
            (h as f64 / scale).floor() as u32,
        );
        Scaled {
            inner,
            scale,
            logical,
        }
    }

    /// The pixel a logical point's pixel maps to: the centre of its block.
    fn point(&self, (x, y): BackendCoord) -> BackendCoord {
        let map = |v: i32| (self.scale * v as f64 + self.scale / 2.0).floor() as i32;
        (map(x), map(y))
    }

    /// A logical pixel edge (a rectangle's corner, a text anchor).
    fn corner(&self, (x, y): BackendCoord) -> BackendCoord {
        let map = |v: i32| (self.scale * v as f64).round() as i32;
        (map(x), map(y))
    }

    /// A length in logical pixels (a radius, a bitmap's side).
    fn length(&self, length: u32) -> u32 {
        if length == 0 {
            0
        } else {
            ((self.scale * length as f64).round() as u32).max(1)
        }
    }

    /// `style` with its stroke width scaled as it looks. Plotters draws a stroke `w` > 1 wide
    /// as a polygon whose fill covers the pixels on its edges too, so it looks `w + 1` wide;
    /// `s * (w + 1) - 1` looks `s` times that.
    fn pen<S: BackendStyle>(&self, style: &S) -> Pen {
        let width = style.stroke_width();
        let scaled = if width <= 1 {
            self.length(width)
        } else {
            ((self.scale * f64::from(width + 1)).round() as u32)
                .saturating_sub(1)
                .max(1)
        };
        Pen {
            color: style.color(),
            width: scaled,
        }
    }

    /// A slanted one-pixel line. Plotters draws it anti-aliased, covering one pixel across its
    /// minor axis (a column of a shallow line, a row of a steep one); scaled, it becomes the
    /// parallelogram from the end pixels' blocks that covers `s` pixels across, filled with
    /// plotters' own anti-aliased edges.
    fn thin_slanted(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        // The first and last pixel of a block along one axis (polygon fills cover both).
        let first = |v: i32| (self.scale * v as f64).round() as i32;
        let last = |v: i32| ((self.scale * (v + 1) as f64).round() as i32 - 1).max(first(v));
        let shallow = (to.0 - from.0).abs() >= (to.1 - from.1).abs();
        // Along the major axis, from the lower end to the higher.
        let major = |p: BackendCoord| if shallow { p.0 } else { p.1 };
        let (from, to) = if major(from) <= major(to) {
            (from, to)
        } else {
            (to, from)
        };
        let corners = if shallow {
            let (x0, x1) = (first(from.0), last(to.0));
            vec![
                (x0, first(from.1)),
                (x1, first(to.1)),
                (x1, last(to.1)),
                (x0, last(from.1)),
            ]
        } else {
            let (y0, y1) = (first(from.1), last(to.1));
            vec![
                (first(from.0), y0),
                (first(to.0), y1),
                (last(to.0), y1),
                (last(from.0), y0),
            ]
        };
        if corners[0] == corners[3] {
            // Scale 1 or less: a block is one pixel, and plotters' own line is right.
            let (a, b) = (self.point(from), self.point(to));
            return self.inner.draw_line(a, b, &color);
        }
        self.inner.fill_polygon(corners, &color)
    }

    /// Fills the blocks of logical pixels `from..=to` (any order).
    fn fill_blocks(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        let upper_left = self.corner((from.0.min(to.0), from.1.min(to.1)));
        let lower_right = self.corner((from.0.max(to.0) + 1, from.1.max(to.1) + 1));
        self.inner.draw_rect(upper_left, lower_right, &color, true)
    }
}

/// A colour and a width, for strokes passed on scaled.
struct Pen {
    color: BackendColor,
    width: u32,
}

impl BackendStyle for Pen {
    fn color(&self) -> BackendColor {
        self.color
    }

    fn stroke_width(&self) -> u32 {
        self.width
    }
}

impl<DB: DrawingBackend> DrawingBackend for Scaled<DB> {
    type ErrorType = DB::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.logical
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.fill_blocks(point, point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        if style.color().alpha == 0.0 || style.stroke_width() == 0 {
            return Ok(());
        }
        if style.stroke_width() == 1 {
            if from.0 == to.0 || from.1 == to.1 {
                return self.fill_blocks(from, to, style.color());
            }
            return self.thin_slanted(from, to, style.color());
        }
        let (from, to, pen) = (self.point(from), self.point(to), self.pen(style));
        self.inner.draw_line(from, to, &pen)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        if fill {
            let (a, b) = (self.corner(upper_left), self.corner(bottom_right));
            return self.inner.draw_rect(a, b, &style.color(), true);
        }
        // The outline as plotters' rasteriser draws it: four lines through the corner pixels.
        let (x0, y0) = (
            upper_left.0.min(bottom_right.0),
            upper_left.1.min(bottom_right.1),
        );
        let (x1, y1) = (
            upper_left.0.max(bottom_right.0),
            upper_left.1.max(bottom_right.1),
        );
        self.draw_line((x0, y0), (x0, y1), style)?;
        self.draw_line((x0, y0), (x1, y0), style)?;
        self.draw_line((x1, y1), (x0, y1), style)?;
        self.draw_line((x1, y1), (x1, y0), style)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        if style.color().alpha == 0.0 {
            return Ok(());
        }
        if style.stroke_width() == 1 {
            // Segment by segment, as plotters does, so axis-aligned runs stay exact.
            let mut previous: Option<BackendCoord> = None;
            for point in path {
                if let Some(previous) = previous {
                    self.draw_line(previous, point, style)?;
                }
                previous = Some(point);
            }
            return Ok(());
        }
        let points: Vec<BackendCoord> = path.into_iter().map(|p| self.point(p)).collect();
        let pen = self.pen(style);
        self.inner.draw_path(points, &pen)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let (center, radius, pen) = (self.point(center), self.length(radius), self.pen(style));
        self.inner.draw_circle(center, radius, &pen, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let logical: Vec<BackendCoord> = vert.into_iter().collect();
        let Some(&first) = logical.first() else {
            return Ok(());
        };
        let (lo, hi) = logical.iter().fold((first, first), |(lo, hi), &(x, y)| {
            ((lo.0.min(x), lo.1.min(y)), (hi.0.max(x), hi.1.max(y)))
        });
        if lo.0 == hi.0 || lo.1 == hi.1 {
            // A polygon with no area: plotters draws the line it spans, and so do we, scaled.
            return self.draw_line(lo, hi, &style.color());
        }
        let points: Vec<BackendCoord> = logical.into_iter().map(|p| self.point(p)).collect();
        self.inner.fill_polygon(points, &style.color())
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let (r, g, b) = color.rgb;
        let scaled = FontDesc::new(style.family(), style.size() * self.scale, style.style())
            .transform(style.transform())
            .color(&RGBAColor(r, g, b, color.alpha))
            .pos(style.anchor());
        let pos = self.corner(pos);
        self.inner.draw_text(text, &scaled, pos)
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        // At the logical size: layouts must not depend on the scale.
        self.inner.estimate_text_size(text, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        (iw, ih): (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let pixels = iw as usize * ih as usize;
        if pixels == 0 {
            return Ok(());
        }
        let bytes = src.len() / pixels;
        let (w, h) = (self.length(iw), self.length(ih));
        let source = |v: u32, size: u32| ((v as f64 / self.scale) as u32).min(size - 1) as usize;
        let mut enlarged = Vec::with_capacity(w as usize * h as usize * bytes);
        for y in 0..h {
            let row = source(y, ih) * iw as usize;
            for x in 0..w {
                let at = (row + source(x, iw)) * bytes;
                enlarged.extend_from_slice(&src[at..at + bytes]);
            }
        }
        let pos = self.corner(pos);
        self.inner.blit_bitmap(pos, (w, h), &enlarged)
    }
}

/// Encodes `pixels` (RGB, 8 bits a channel, `size` = (width, height)) as a PNG whose `pHYs`
/// chunk says `pixels_per_metre` in both directions (300 dpi = 11,811 pixels per metre).
///
/// Deterministic: the same pixels give the same bytes.
pub fn encode_png(
    pixels: &[u8],
    (width, height): (u32, u32),
    pixels_per_metre: u32,
) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_pixel_dims(Some(png::PixelDimensions {
        xppu: pixels_per_metre,
        yppu: pixels_per_metre,
        unit: png::Unit::Meter,
    }));
    encoder.set_compression(png::Compression::Default);
    encoder.set_filter(png::FilterType::Sub);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(pixels)?;
    writer.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use plotters::coord::Shift;
    use plotters::style::text_anchor::{HPos, Pos, VPos};

    use super::super::canvas::{Chart, PNG_PIXELS_PER_METRE, PNG_SCALE, draw_png, file_with_ext};
    use super::super::testing::sample;
    use super::super::theme::{HEIGHT, WIDTH, ensure_fonts, font};
    use super::*;

    const INK: RGBColor = RGBColor(0x10, 0x20, 0x30);

    fn stroke(width: u32) -> ShapeStyle {
        Color::stroke_width(&INK, width)
    }

    /// Draws `draw` on a white `size` canvas at `scale` and returns the RGB pixels.
    fn render(
        size: (u32, u32),
        scale: u32,
        draw: impl Fn(&DrawingArea<Scaled<BitMapBackend<'_>>, Shift>),
    ) -> Vec<u8> {
        let full = (size.0 * scale, size.1 * scale);
        let mut pixels = vec![0xFF; 3 * full.0 as usize * full.1 as usize];
        {
            let backend = BitMapBackend::with_buffer(&mut pixels, full);
            let root = Scaled::new(backend, f64::from(scale)).into_drawing_area();
            draw(&root);
            root.present().unwrap();
        }
        pixels
    }

    /// The pixels of `pixels` (`width` wide) that are not white, as (x, y).
    fn inked(pixels: &[u8], width: u32) -> Vec<(u32, u32)> {
        pixels
            .chunks(3)
            .enumerate()
            .filter(|(_, p)| p != &[0xFF, 0xFF, 0xFF])
            .map(|(i, _)| (i as u32 % width, i as u32 / width))
            .collect()
    }

    fn bounds(points: &[(u32, u32)]) -> ((u32, u32), (u32, u32)) {
        let min_x = points.iter().map(|p| p.0).min().unwrap();
        let max_x = points.iter().map(|p| p.0).max().unwrap();
        let min_y = points.iter().map(|p| p.1).min().unwrap();
        let max_y = points.iter().map(|p| p.1).max().unwrap();
        ((min_x, min_y), (max_x, max_y))
    }

    #[test]
    fn logical_pixels_become_blocks() {
        let pixels = render((20, 10), 2, |root| {
            root.draw(&PathElement::new(vec![(2, 3), (7, 3)], stroke(1)))
                .unwrap();
        });
        // Rows 6 and 7, columns 4 to 15: the line's pixels 2..=7 at row 3, each 2 x 2.
        let expected: Vec<(u32, u32)> = (6..8).flat_map(|y| (4..16).map(move |x| (x, y))).collect();
        assert_eq!(inked(&pixels, 40), expected);

        // Drawn right to left, a line keeps both ends.
        let pixels = render((20, 10), 2, |root| {
            root.draw(&PathElement::new(vec![(7, 3), (2, 3)], stroke(1)))
                .unwrap();
        });
        assert_eq!(inked(&pixels, 40), expected);

        // Filled rectangles run to their lower-right corner, not including it, so two that
        // share an edge tile without a gap or an overlap.
        let pixels = render((20, 10), 2, |root| {
            root.draw(&Rectangle::new([(10, 1), (12, 4)], INK.filled()))
                .unwrap();
            root.draw(&Rectangle::new([(12, 1), (14, 4)], INK.filled()))
                .unwrap();
        });
        let expected: Vec<(u32, u32)> =
            (2..8).flat_map(|y| (20..28).map(move |x| (x, y))).collect();
        assert_eq!(inked(&pixels, 40), expected);

        let pixels = render((20, 10), 3, |root| {
            root.draw_pixel((4, 2), &INK).unwrap();
        });
        let expected: Vec<(u32, u32)> =
            (6..9).flat_map(|y| (12..15).map(move |x| (x, y))).collect();
        assert_eq!(inked(&pixels, 60), expected);
    }

    #[test]
    fn shapes_stay_centred_and_strokes_scale() {
        // A 3-pixel-wide slanted line and a circle, at 1x and at 2x: the 2x ink covers about the
        // 1x ink's blocks, within a pixel.
        let draw = |root: &DrawingArea<Scaled<BitMapBackend<'_>>, Shift>| {
            root.draw(&PathElement::new(
                vec![(5, 5), (60, 30), (90, 8)],
                stroke(3),
            ))
            .unwrap();
            root.draw(&Circle::new((30, 40), 6, INK.filled())).unwrap();
        };
        let one = bounds(&inked(&render((100, 50), 1, draw), 100));
        let two = bounds(&inked(&render((100, 50), 2, draw), 200));
        let near = |a: u32, b: u32| (a as i64 - b as i64).abs() <= 2;
        assert!(
            near(two.0.0, 2 * one.0.0) && near(two.0.1, 2 * one.0.1),
            "{one:?} {two:?}"
        );
        assert!(
            near(two.1.0, 2 * one.1.0 + 1) && near(two.1.1, 2 * one.1.1 + 1),
            "{one:?} {two:?}"
        );
    }

    /// How much ink `pixels` hold, in pixels of full `INK`.
    fn ink(pixels: &[u8]) -> f64 {
        pixels
            .chunks(3)
            .map(|p| f64::from(0xFF - p[0]) / f64::from(0xFF - INK.0))
            .sum()
    }

    #[test]
    fn strokes_look_as_heavy_as_at_1x() {
        for width in [1, 2, 3, 5] {
            let draw = |root: &DrawingArea<Scaled<BitMapBackend<'_>>, Shift>| {
                root.draw(&PathElement::new(
                    vec![(5, 5), (60, 30), (90, 8), (95, 45)],
                    stroke(width),
                ))
                .unwrap();
            };
            let one = ink(&render((100, 50), 1, draw));
            let two = ink(&render((100, 50), 2, draw));
            // Area grows with the square of the scale.
            let ratio = two / one;
            assert!((3.5..4.5).contains(&ratio), "width {width}: {one} -> {two}");
        }
    }

    #[test]
    fn text_is_measured_at_the_logical_size_and_drawn_at_the_scaled_one() {
        ensure_fonts().unwrap();
        let style = font(23.0).pos(Pos::new(HPos::Left, VPos::Top));
        let text = "Net credit loss 6.21M";

        let mut buffer = vec![0xFF; 3 * 400 * 100];
        let plain = BitMapBackend::with_buffer(&mut buffer, (400, 100));
        let logical = plain.estimate_text_size(text, &style).unwrap();
        let mut buffer = vec![0xFF; 3 * 800 * 200];
        let scaled = Scaled::new(BitMapBackend::with_buffer(&mut buffer, (800, 200)), 2.0);
        assert_eq!(scaled.estimate_text_size(text, &style).unwrap(), logical);

        let draw = |root: &DrawingArea<Scaled<BitMapBackend<'_>>, Shift>| {
            root.draw_text(text, &style, (10, 20)).unwrap();
        };
        let one = bounds(&inked(&render((400, 100), 1, draw), 400));
        let two = bounds(&inked(&render((400, 100), 2, draw), 800));
        let (w1, h1) = (one.1.0 - one.0.0 + 1, one.1.1 - one.0.1 + 1);
        let (w2, h2) = (two.1.0 - two.0.0 + 1, two.1.1 - two.0.1 + 1);
        assert!((w2 as f64 / w1 as f64 - 2.0).abs() < 0.05, "{w1} -> {w2}");
        assert!((h2 as f64 / h1 as f64 - 2.0).abs() < 0.15, "{h1} -> {h2}");
        // The ink starts where the 1x ink starts, within a pixel of the 1x picture.
        assert!(
            (two.0.0 as i64 - 2 * one.0.0 as i64).abs() <= 2,
            "{one:?} {two:?}"
        );
        assert!(
            (two.0.1 as i64 - 2 * one.0.1 as i64).abs() <= 2,
            "{one:?} {two:?}"
        );
    }

    #[test]
    fn scale_one_draws_what_plotters_draws() {
        ensure_fonts().unwrap();
        let chart = sample();
        let mut plain = vec![0u8; 3 * WIDTH as usize * HEIGHT as usize];
        {
            let root = BitMapBackend::with_buffer(&mut plain, (WIDTH, HEIGHT)).into_drawing_area();
            chart.draw(&root).unwrap();
        }
        let scaled = render((WIDTH, HEIGHT), 1, |root| chart.draw(root).unwrap());
        let differing = plain
            .chunks(3)
            .zip(scaled.chunks(3))
            .filter(|(a, b)| a != b)
            .count();
        // This chart draws no one-pixel line backwards, the one place the two may differ.
        assert_eq!(differing, 0, "{differing} pixels differ");
    }

    fn decode(path: &Path) -> (png::OutputInfo, Option<png::PixelDimensions>, Vec<u8>) {
        let file = std::fs::File::open(path).unwrap();
        let mut reader = png::Decoder::new(file).read_info().unwrap();
        let dims = reader.info().pixel_dims;
        let mut pixels = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut pixels).unwrap();
        (info, dims, pixels)
    }

    #[test]
    fn png_is_drawn_at_twice_the_size_and_marked_300_dpi() {
        let dir = tempfile::tempdir().unwrap();
        let stem = dir.path().join("balance_by_state");
        sample().write(&stem).unwrap();
        let (info, dims, pixels) = decode(&file_with_ext(&stem, "png"));
        assert_eq!((info.width, info.height), (3200, 1800));
        assert_eq!(
            (info.width, info.height),
            (WIDTH * PNG_SCALE, HEIGHT * PNG_SCALE)
        );
        assert_eq!(info.color_type, png::ColorType::Rgb);
        let dims = dims.expect("no pHYs chunk");
        assert_eq!(
            (dims.xppu, dims.yppu, dims.unit),
            (11_811, 11_811, png::Unit::Meter)
        );
        assert_eq!(dims.xppu, PNG_PIXELS_PER_METRE);
        // 300 dpi: 3200 pixels print 10.67 inches wide.
        let inches = 3200.0 / (f64::from(dims.xppu) * 0.0254);
        assert!((inches - 10.67).abs() < 0.01, "{inches}");
        // Drawn, not blank: the background is white and the title dark.
        assert_eq!(&pixels[..3], &[0xFF, 0xFF, 0xFF]);
        assert!(pixels.chunks(3).any(|p| p == [0x22, 0x22, 0x22]));

        // The SVG keeps the logical size.
        let svg = std::fs::read_to_string(file_with_ext(&stem, "svg")).unwrap();
        assert!(
            svg.contains(r#"width="1600" height="900""#),
            "{}",
            &svg[..200]
        );
    }

    #[test]
    fn png_bytes_are_the_same_every_time() {
        let chart = sample();
        ensure_fonts().unwrap();
        let first = draw_png(&chart).unwrap();
        let second = draw_png(&chart).unwrap();
        assert!(first == second, "two drawings of one chart differ");

        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        chart.write(&a).unwrap();
        chart.write(&b).unwrap();
        let read = |stem: &Path| std::fs::read(file_with_ext(stem, "png")).unwrap();
        assert!(read(&a) == read(&b), "two files of one chart differ");
        assert!(read(&a) == first);
    }

    #[test]
    fn encoded_png_round_trips() {
        let pixels: Vec<u8> = (0..6 * 4 * 3).map(|i| (i * 7 % 256) as u8).collect();
        let bytes = encode_png(&pixels, (6, 4), 11_811).unwrap();
        let mut reader = png::Decoder::new(&bytes[..]).read_info().unwrap();
        let mut out = vec![0; reader.output_buffer_size()];
        reader.next_frame(&mut out).unwrap();
        assert_eq!(out, pixels);
    }
}
