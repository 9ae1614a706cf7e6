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
//! Files of one job each: [`theme`] (colours, fonts, palette), [`crate::report::format`]
//! (numbers), [`axes`] (ticks, month, share and log axes), [`canvas`] (PNG and SVG output,
//! frame, legend, notes, drawing primitives), then one file per chart kind, each a spec that a
//! caller fills in and one function draws: `line::LineChart` (recovery curves, convergence,
//! write-offs, the buyer's price, overlays, vintage curves, calibration shares),
//! `histogram::Histogram`, `bar::BarChart`, `area::StackedChart` (balance by state, stage
//! flow), [`fan`], [`heatmap`]. [`overlay`] builds the overlays of stress scenarios and runs.
//!
//! Drawing never panics: plotters errors, and any panic inside plotters, become
//! [`ChartError`].

pub mod area;
pub mod axes;
pub mod bar;
pub mod canvas;
pub mod fan;
pub mod heatmap;
pub mod histogram;
pub mod line;
pub mod overlay;
pub mod scaled;
pub mod theme;
pub mod vintage;

pub(crate) use super::format;
pub(crate) use canvas::Header;
use format::count_of;

/// What every chart of a run says in its title and footnote.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChartMeta {
    /// The run's display title (`[simulation] title`, else its name), before each chart's own.
    pub scenario_name: String,
    pub seed: u64,
    pub paths: u64,
    /// Currency code or symbol for axis titles, e.g. `"EUR"`; `""` means plain units.
    pub currency: String,
    /// Display names of states by key (`[states] labels`); others are prettified.
    pub labels: std::collections::BTreeMap<String, String>,
}

impl ChartMeta {
    /// The header of a run's chart: `"{name}: {title}"`, the subtitle, and
    /// `seed S · P paths · arrears` at the bottom.
    pub(crate) fn header(&self, title: &str, subtitle: String) -> Header {
        let name = self.scenario_name.trim();
        Header {
            title: if name.is_empty() {
                title.to_string()
            } else {
                format!("{name}: {title}")
            },
            subtitle,
            footnote: format!(
                "seed {} · {} · arrears",
                self.seed,
                count_of(self.paths, "path")
            ),
        }
    }

    /// What the charts call state `key`.
    pub(crate) fn state(&self, key: &str) -> String {
        self.labels
            .get(key)
            .cloned()
            .unwrap_or_else(|| crate::scenario::prettify_state(key))
    }

    /// `"{what} (EUR)"`, or `"{what} (currency units)"` without a currency.
    pub(crate) fn amount(&self, what: &str) -> String {
        format::amount_axis_title(what, &self.currency)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("cannot draw chart `{}`: {message}", path.display())]
    Draw {
        path: std::path::PathBuf,
        message: String,
    },
}

/// What the charts' tests share: a run's meta and a chart drawn from a book running off.
#[cfg(test)]
pub(crate) mod testing {
    use super::ChartMeta;
    use super::area::{Area, StackedChart};
    use super::theme;

    pub(crate) fn meta() -> ChartMeta {
        ChartMeta {
            scenario_name: "Base case".to_string(),
            seed: 42,
            paths: 1000,
            currency: "EUR".to_string(),
            labels: Default::default(),
        }
    }

    /// A book running off over 36 months, stacked: current, two buckets, charged off.
    pub(crate) fn sample() -> StackedChart {
        let months: Vec<u32> = (0..=36).collect();
        let area = |label: &str, colour, scale: f64, shape: fn(f64) -> f64| Area {
            label: label.to_string(),
            colour,
            values: months
                .iter()
                .map(|&m| scale * shape(f64::from(m)))
                .collect(),
        };
        StackedChart {
            header: meta().header("Balance by state", "Mean balance".to_string()),
            y_title: meta().amount("Balance"),
            areas: vec![
                area("current", theme::OI_BLUE, 250e6, |m| (-m / 20.0).exp()),
                area("dpd 1-30", theme::OI_ORANGE, 6e6, |m| {
                    (m / 3.0).min(1.0) * (-m / 30.0).exp()
                }),
                area("dpd 31-60", theme::OI_VERMILLION, 4e6, |m| {
                    (m / 6.0).min(1.0) * (-m / 35.0).exp()
                }),
                area("charged off", theme::CHARGED_OFF_GREY, 20e6, |m| {
                    1.0 - (-m / 18.0).exp()
                }),
            ],
            months,
            lines: Vec::new(),
            legends: ("State".to_string(), String::new()),
            notes: Vec::new(),
            empty: "No balances to show".to_string(),
        }
    }
}
