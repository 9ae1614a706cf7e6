//! The transition-matrix heatmap: one row per state a loan moves from, one column per state it
//! can be in next month, each cell coloured by the probability of the move on a square-root
//! blue ramp, with the probability written in it (and, smaller, a detail such as the moves
//! observed). The legend panel holds a colour bar and the caller's notes.
//!
//! Drawing only, like the rest of [`charts`](super): the caller chooses rows, columns, the
//! texts of the cells and the notes. The calibration report draws its estimated matrices with
//! it ([`crate::report::calibration`]) and a run draws the matrix each segment's loans follow
//! (`report::states`).
//!
//! Main type: `Heatmap`; written by `transition_heatmap`.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::canvas::{
    Chart, ChartError, DrawResult, Frame, Header, centred_note, ctx, draw_notes, file_with_ext,
    fit_text, frame, write_both,
};
use super::theme::{
    AXIS, AXIS_TITLE_SIZE, GRID, LEGEND_SIZE, NOTE_SIZE, SUBTLE_TEXT, TEXT, TICK_SIZE, anchored,
    bold, font,
};

/// A row of the heatmap: the state moved from, and below it in grey what the row rests on
/// (`1,234 at risk`, the stage, ...; empty for nothing).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HeatmapRow {
    pub(crate) name: String,
    pub(crate) detail: String,
}

/// A cell: the probability that colours it, the text written in it (empty: the cell is only
/// coloured) and a smaller second line (empty: none).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HeatmapCell {
    pub(crate) probability: f64,
    pub(crate) text: String,
    pub(crate) detail: String,
}

/// A heatmap ready to draw: `cells[row][column]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Heatmap {
    pub(crate) header: Header,
    pub(crate) rows: Vec<HeatmapRow>,
    pub(crate) columns: Vec<String>,
    pub(crate) cells: Vec<Vec<HeatmapCell>>,
    /// Lines under the colour bar; an empty string leaves a blank line, a line too wide for
    /// the panel is wrapped at spaces.
    pub(crate) notes: Vec<String>,
    /// The axes' and the colour bar's titles and the bar's ticks.
    pub(crate) axes: HeatmapAxes,
}

/// What the heatmap's axes and colour bar say.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HeatmapAxes {
    pub(crate) columns: String,
    pub(crate) rows: String,
    pub(crate) colour_bar: String,
    /// `(height on the bar from 0 to 1, label)`: a cell of `probability` p is coloured as the
    /// bar at height `sqrt(p)`.
    pub(crate) ticks: Vec<(f64, String)>,
}

impl HeatmapAxes {
    /// A transition matrix: from a state (rows) to the state next month (columns), coloured
    /// by probability.
    pub(crate) fn transitions() -> HeatmapAxes {
        HeatmapAxes {
            columns: "To (state next month)".into(),
            rows: "From".into(),
            colour_bar: "Probability".into(),
            ticks: COLOUR_BAR_TICKS
                .iter()
                .map(|p| (p.sqrt(), format!("{}%", p * 100.0)))
                .collect(),
        }
    }
}

/// Writes `{stem}.png` and `{stem}.svg`. The cells must be `rows x columns`.
pub(crate) fn transition_heatmap(stem: &Path, chart: &Heatmap) -> Result<(), ChartError> {
    let shape_ok = chart.cells.len() == chart.rows.len()
        && chart.cells.iter().all(|r| r.len() == chart.columns.len());
    if !shape_ok {
        return Err(ChartError::Draw {
            path: file_with_ext(stem, "png"),
            message: format!(
                "the heatmap has {} rows and {} columns but its cells are {} rows of {:?}",
                chart.rows.len(),
                chart.columns.len(),
                chart.cells.len(),
                chart.cells.iter().map(Vec::len).collect::<Vec<_>>()
            ),
        });
    }
    write_both(stem, chart)
}

/// Sequential blue ramp, white to dark blue (ColorBrewer "Blues", single hue, so it reads in
/// every kind of colour blindness and in greyscale).
const RAMP: [RGBColor; 6] = [
    RGBColor(0xFF, 0xFF, 0xFF),
    RGBColor(0xDE, 0xEB, 0xF7),
    RGBColor(0x9E, 0xCA, 0xE1),
    RGBColor(0x42, 0x92, 0xC6),
    RGBColor(0x08, 0x51, 0x9C),
    RGBColor(0x08, 0x30, 0x6B),
];

/// The colour of probability `p` on a square-root scale, so roll rates of a few percent are
/// visibly tinted next to stay rates of 90%.
pub(crate) fn ramp_colour(p: f64) -> RGBColor {
    let t = if p.is_finite() {
        p.clamp(0.0, 1.0).sqrt()
    } else {
        0.0
    };
    let x = t * (RAMP.len() - 1) as f64;
    let i = (x.floor() as usize).min(RAMP.len() - 2);
    let f = x - i as f64;
    let (a, b) = (RAMP[i], RAMP[i + 1]);
    let mix = |u: u8, v: u8| (f64::from(u) + (f64::from(v) - f64::from(u)) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// White text on dark cells, dark text on light ones (relative luminance, sRGB weights).
pub(crate) fn text_on(colour: RGBColor) -> RGBColor {
    let lum = (0.2126 * f64::from(colour.0)
        + 0.7152 * f64::from(colour.1)
        + 0.0722 * f64::from(colour.2))
        / 255.0;
    if lum < 0.5 { WHITE } else { TEXT }
}

/// `text` in at most `max_lines` lines no wider than `max_width`, broken only between words
/// (never inside a name): the fewest lines, then the most even (`1-30 days past due` ->
/// `1-30 days` / `past due`). `None` if it cannot fit.
pub(crate) fn wrap_words(
    text: &str,
    max_lines: usize,
    max_width: i32,
    width: &dyn Fn(&str) -> i32,
) -> Option<Vec<String>> {
    let mut tokens: Vec<&str> = text.split_inclusive(' ').collect();
    if tokens.is_empty() {
        tokens.push(text);
    }
    // Too many pieces to try every break: state names are a few words, so this is a guard.
    if tokens.len() > 12 {
        return (width(text) <= max_width).then(|| vec![text.to_string()]);
    }
    let breaks = tokens.len() - 1;
    let mut best: Option<(usize, i32, Vec<String>)> = None;
    for mask in 0u32..(1 << breaks) {
        let lines_n = mask.count_ones() as usize + 1;
        if lines_n > max_lines {
            continue;
        }
        let mut lines = vec![String::new()];
        for (i, token) in tokens.iter().enumerate() {
            lines.last_mut().expect("one line at least").push_str(token);
            if i < breaks && mask & (1 << i) != 0 {
                lines.push(String::new());
            }
        }
        let lines: Vec<String> = lines.iter().map(|l| l.trim_end().to_string()).collect();
        let widest = lines.iter().map(|l| width(l)).max().unwrap_or(0);
        if widest > max_width {
            continue;
        }
        if best
            .as_ref()
            .is_none_or(|(n, w, _)| (lines_n, widest) < (*n, *w))
        {
            best = Some((lines_n, widest, lines));
        }
    }
    best.map(|(_, _, lines)| lines)
}

/// Font size and lines of every column label: the largest size at which every label fits on
/// one line, else in two lines broken between words, else three, else the smallest size with
/// what does not fit cut short.
fn column_labels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labels: &[String],
    max_width: i32,
) -> (f64, Vec<Vec<String>>) {
    const SIZES: [f64; 5] = [TICK_SIZE, 21.0, 19.0, 17.0, 15.0];
    let attempt = |size: f64, lines: usize| -> Option<Vec<Vec<String>>> {
        let style = bold(size);
        let width = |s: &str| {
            area.estimate_text_size(s, &style)
                .map_or(0, |(w, _)| w as i32)
        };
        labels
            .iter()
            .map(|l| wrap_words(l, lines, max_width, &width))
            .collect()
    };
    let tries = SIZES[..2]
        .iter()
        .map(|&s| (s, 1))
        .chain(SIZES[..3].iter().map(|&s| (s, 2)))
        .chain(SIZES[3..].iter().map(|&s| (s, 1)))
        .chain(SIZES[3..].iter().map(|&s| (s, 2)))
        .chain(SIZES.iter().map(|&s| (s, 3)));
    for (size, lines) in tries {
        if let Some(wrapped) = attempt(size, lines) {
            return (size, wrapped);
        }
    }
    let size = SIZES[SIZES.len() - 1];
    let style = bold(size);
    let wrapped = labels
        .iter()
        .map(|l| {
            let width = |s: &str| {
                area.estimate_text_size(s, &style)
                    .map_or(0, |(w, _)| w as i32)
            };
            wrap_words(l, 3, max_width, &width)
                .unwrap_or_else(|| vec![fit_text(area, l, &style, max_width)])
        })
        .collect();
    (size, wrapped)
}

/// Probabilities marked on the heatmap's colour bar.
const COLOUR_BAR_TICKS: [f64; 7] = [0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0];

impl Chart for Heatmap {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let Frame { plot, legend } = frame(root, &self.header)?;
        draw_colour_bar(&legend, &self.axes, &self.notes)?;
        let (w, h) = plot.dim_in_pixel();
        let (w, h) = (w as i32, h as i32);
        let n_rows = self.rows.len() as i32;
        let n_cols = self.columns.len() as i32;
        if n_rows == 0 || n_cols == 0 {
            return centred_note(
                root,
                (plot.get_pixel_range().0, plot.get_pixel_range().1),
                "No matrix to show",
            );
        }

        // Row labels sized to the rows (their height estimated with two lines of column
        // labels): the state's name, and below it in grey what the row rests on.
        let row_h_estimate = f64::from((h - 16 - 130) / n_rows).min(120.0);
        let name_size = (row_h_estimate * 0.34).clamp(15.0, TICK_SIZE);
        let detail_size = (name_size * 0.82).clamp(13.0, NOTE_SIZE - 2.0);
        let two_line_rows = row_h_estimate >= 2.3 * name_size;
        let name_style = anchored(bold(name_size), HPos::Right, VPos::Center);
        let detail_style = anchored(
            font(detail_size).color(&SUBTLE_TEXT),
            HPos::Right,
            VPos::Center,
        );
        let text_w = |s: &str, style: &TextStyle| {
            plot.estimate_text_size(s, style)
                .map_or(0, |(w, _)| w as i32)
        };
        let label_w = self
            .rows
            .iter()
            .map(|r| {
                let detail = if two_line_rows {
                    text_w(&r.detail, &detail_style)
                } else {
                    0
                };
                text_w(&r.name, &name_style).max(detail)
            })
            .max()
            .unwrap_or(0)
            .clamp(120, 300);
        let grid_x0 = 24 + label_w + 14;
        let grid_x1 = w - 28;
        let cell_w = (grid_x1 - grid_x0) / n_cols;
        let grid_x1 = grid_x0 + cell_w * n_cols;

        // Column labels: as large as lets every label fit its column, broken at underscores.
        let (col_size, col_lines) = column_labels(&plot, &self.columns, cell_w - 8);
        let col_style = anchored(bold(col_size), HPos::Center, VPos::Bottom);
        let line_h = (col_size * 1.2).round() as i32;
        let n_lines = col_lines.iter().map(Vec::len).max().unwrap_or(1) as i32;
        let caption_y = 22;
        let grid_y0 = caption_y + 26 + line_h * n_lines + 12;
        let cell_h = ((h - 16 - grid_y0) / n_rows).min(120);
        let grid_y1 = grid_y0 + cell_h * n_rows;

        let draw_err = ctx("drawing the heatmap");
        plot.draw_text(
            &self.axes.columns,
            &anchored(font(AXIS_TITLE_SIZE), HPos::Center, VPos::Center),
            ((grid_x0 + grid_x1) / 2, caption_y),
        )
        .map_err(draw_err)?;
        for (c, lines) in col_lines.iter().enumerate() {
            let x = grid_x0 + cell_w * c as i32 + cell_w / 2;
            for (k, line) in lines.iter().rev().enumerate() {
                plot.draw_text(line, &col_style, (x, grid_y0 - 10 - line_h * k as i32))
                    .map_err(ctx("drawing a column label"))?;
            }
        }
        plot.draw_text(
            &self.axes.rows,
            &anchored(font(AXIS_TITLE_SIZE), HPos::Right, VPos::Bottom),
            (grid_x0 - 14, grid_y0 - 10),
        )
        .map_err(ctx("drawing the row caption"))?;

        for (r, row) in self.rows.iter().enumerate() {
            let y0 = grid_y0 + cell_h * r as i32;
            let yc = y0 + cell_h / 2;
            let name = fit_text(&plot, &row.name, &name_style, label_w);
            if two_line_rows && !row.detail.is_empty() {
                let name_y = yc - (name_size * 0.45).round() as i32;
                let detail_y = yc + (detail_size * 0.7).round() as i32;
                let detail = fit_text(&plot, &row.detail, &detail_style, label_w);
                plot.draw_text(&name, &name_style, (grid_x0 - 14, name_y))
                    .and_then(|_| plot.draw_text(&detail, &detail_style, (grid_x0 - 14, detail_y)))
                    .map_err(ctx("drawing a row label"))?;
            } else {
                plot.draw_text(&name, &name_style, (grid_x0 - 14, yc))
                    .map_err(ctx("drawing a row label"))?;
            }
            for (c, cell) in self.cells[r].iter().enumerate() {
                let x0 = grid_x0 + cell_w * c as i32;
                let fill = ramp_colour(cell.probability);
                plot.draw(&Rectangle::new(
                    [(x0, y0), (x0 + cell_w, y0 + cell_h)],
                    fill.filled(),
                ))
                .and_then(|_| {
                    plot.draw(&Rectangle::new(
                        [(x0, y0), (x0 + cell_w, y0 + cell_h)],
                        GRID.stroke_width(1),
                    ))
                })
                .map_err(ctx("drawing a cell"))?;
                if cell.text.is_empty() {
                    continue;
                }
                draw_cell_text(&plot, (x0, y0), (cell_w, cell_h), cell, text_on(fill))?;
            }
        }
        plot.draw(&Rectangle::new(
            [(grid_x0, grid_y0), (grid_x1, grid_y1)],
            AXIS.stroke_width(1),
        ))
        .map_err(ctx("drawing the grid outline"))?;
        Ok(())
    }
}

/// The cell's text (bold) and, smaller below it, its detail, sized to the cell; the detail is
/// left out when the cell is too small for it.
fn draw_cell_text<DB: DrawingBackend>(
    plot: &DrawingArea<DB, Shift>,
    (x0, y0): (i32, i32),
    (cell_w, cell_h): (i32, i32),
    cell: &HeatmapCell,
    colour: RGBColor,
) -> DrawResult {
    let xc = x0 + cell_w / 2;
    let yc = y0 + cell_h / 2;
    let text = &cell.text;
    let mut size = (cell_h as f64 * 0.3).clamp(14.0, 26.0);
    let fits = |size: f64| {
        plot.estimate_text_size(text, &bold(size))
            .map_or(true, |(w, _)| (w as i32) <= cell_w - 8)
    };
    while size > 12.0 && !fits(size) {
        size -= 1.0;
    }
    let text_style = anchored(bold(size).color(&colour), HPos::Center, VPos::Center);
    let show_detail = cell_h >= 46 && !cell.detail.is_empty();
    let detail_style = anchored(
        font((size * 0.78).max(12.0)).color(&colour),
        HPos::Center,
        VPos::Center,
    );
    let detail_fits = plot
        .estimate_text_size(&cell.detail, &detail_style)
        .is_ok_and(|(w, _)| (w as i32) <= cell_w - 8);
    if show_detail && detail_fits {
        plot.draw_text(text, &text_style, (xc, yc - (size * 0.45) as i32))
            .and_then(|_| {
                plot.draw_text(&cell.detail, &detail_style, (xc, yc + (size * 0.6) as i32))
            })
            .map_err(ctx("drawing a cell label"))
    } else {
        plot.draw_text(text, &text_style, (xc, yc))
            .map_err(ctx("drawing a cell label"))
    }
}

/// The heatmap's legend: a vertical colour bar on the square-root scale, then `notes`.
fn draw_colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    axes: &HeatmapAxes,
    notes: &[String],
) -> DrawResult {
    const X: i32 = 16;
    const BAR_W: i32 = 34;
    let (_, h) = area.dim_in_pixel();
    let top = 70;
    let bar_h = (h as i32 - 330).clamp(160, 380);
    let bottom = top + bar_h;
    let err = ctx("drawing the colour bar");
    area.draw_text(
        &axes.colour_bar,
        &anchored(bold(LEGEND_SIZE), HPos::Left, VPos::Center),
        (X, 30),
    )
    .map_err(err)?;
    let step = 2;
    let mut y = top;
    while y < bottom {
        let t = f64::from(bottom - y) / f64::from(bar_h);
        area.draw(&Rectangle::new(
            [(X, y), (X + BAR_W, (y + step).min(bottom))],
            ramp_colour(t * t).filled(),
        ))
        .map_err(ctx("drawing the colour bar"))?;
        y += step;
    }
    area.draw(&Rectangle::new(
        [(X, top), (X + BAR_W, bottom)],
        AXIS.stroke_width(1),
    ))
    .map_err(ctx("drawing the colour bar"))?;
    let tick_style = anchored(font(TICK_SIZE - 2.0), HPos::Left, VPos::Center);
    for (t, label) in &axes.ticks {
        let y = bottom - (t.clamp(0.0, 1.0) * f64::from(bar_h)).round() as i32;
        area.draw(&PathElement::new(
            vec![(X + BAR_W, y), (X + BAR_W + 6, y)],
            AXIS.stroke_width(1),
        ))
        .and_then(|_| area.draw_text(label, &tick_style, (X + BAR_W + 12, y)))
        .map_err(ctx("drawing the colour bar"))?;
    }
    draw_notes(area, notes, (X, bottom + 40))
}

#[cfg(test)]
mod tests {
    use super::super::canvas::wrap_at_spaces;
    use super::*;

    #[test]
    fn labels_wrap_between_words_into_even_lines() {
        let width = |s: &str| s.chars().count() as i32;
        let check = |text: &str, lines: usize, max: i32, expected: Option<&[&str]>| {
            let got = wrap_words(text, lines, max, &width);
            let expected = expected.map(|e| e.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(got, expected, "{text} in {lines} lines of {max}");
        };
        check("current", 2, 10, Some(&["current"]));
        check("current", 2, 5, None);
        check("dpd 121-150", 2, 11, Some(&["dpd 121-150"]));
        check("dpd 121-150", 2, 8, Some(&["dpd", "121-150"]));
        check("charged off", 2, 8, Some(&["charged", "off"]));
        check("dpd_121_150", 3, 6, None);
        check(
            "1-30 days past due",
            2,
            10,
            Some(&["1-30 days", "past due"]),
        );
    }

    #[test]
    fn notes_wrap_at_spaces_only_when_too_wide() {
        let width = |s: &str| s.chars().count() as i32;
        let check = |text: &str, max: i32, expected: &[&str]| {
            assert_eq!(
                wrap_at_spaces(text, max, &width),
                expected,
                "{text} in {max}"
            );
        };
        check("Each row sums to 100%", 30, &["Each row sums to 100%"]);
        check("Each row sums to 100%", 12, &["Each row", "sums to 100%"]);
        check("", 10, &[""]);
        check("unbreakable_word here", 5, &["unbreakable_word", "here"]);
    }

    #[test]
    fn the_colour_ramp_darkens_with_probability_and_text_stays_readable() {
        let lum = |c: RGBColor| u32::from(c.0) + u32::from(c.1) + u32::from(c.2);
        let steps: Vec<u32> = (0..=20)
            .map(|k| lum(ramp_colour(k as f64 / 20.0)))
            .collect();
        assert!(steps.windows(2).all(|w| w[1] <= w[0]), "{steps:?}");
        assert_eq!(ramp_colour(0.0), RGBColor(0xFF, 0xFF, 0xFF));
        assert_eq!(ramp_colour(1.0), RAMP[RAMP.len() - 1]);
        assert_eq!(ramp_colour(f64::NAN), RAMP[0]);
        // Square-root scale: a 4% roll rate is a fifth of the way along, visibly tinted.
        assert!(lum(ramp_colour(0.04)) <= lum(RAMP[1]));
        assert_eq!(text_on(ramp_colour(0.0)), TEXT);
        assert_eq!(text_on(ramp_colour(0.95)), WHITE);
    }

    #[test]
    fn a_ragged_heatmap_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let chart = Heatmap {
            header: Header::default(),
            rows: vec![HeatmapRow {
                name: "current".into(),
                detail: String::new(),
            }],
            columns: vec!["current".into(), "paid_off".into()],
            cells: vec![vec![HeatmapCell {
                probability: 1.0,
                text: "100%".into(),
                detail: String::new(),
            }]],
            notes: Vec::new(),
            axes: HeatmapAxes::transitions(),
        };
        let err = transition_heatmap(&dir.path().join("h"), &chart).unwrap_err();
        assert!(err.to_string().contains("1 rows and 2 columns"), "{err}");
        assert!(!dir.path().join("h.png").exists());
    }
}
