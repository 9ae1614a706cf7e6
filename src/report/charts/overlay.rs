//! Overlays of several runs on one chart, one colour and marker per series: loss
//! distributions on a common bin grid with each expected loss marked, cumulative net
//! write-offs and recovery curves with their 5th-95th percentile bands. The series are the
//! scenarios of one stress set (one seed and path count, named in the footnote) or runs
//! compared by `arrears compare` (which may differ in both): `Overlaid` says which.

use super::ChartMeta;
use super::canvas::Header;
use super::format::{count_of, format_amount, format_month, format_percent};
use super::histogram::{Histogram, HistogramSeries};
use super::line::{Axis, Line, LineChart, Markers, Scale, VLine};
use super::theme::{Stroke, scenario_colour, series_marker};

/// What the title and footnote of a comparison chart say, for runs that may differ in seed
/// and number of paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunsMeta {
    /// Put before the chart's own title, e.g. `baseline vs baseline_no_sale`.
    pub name: String,
    /// The paths behind each series, e.g. `1,000 paths` or `1,000 and 500 paths`.
    pub paths: String,
    /// The small print at the bottom, e.g. `seed 20261122 · 1,000 paths each · arrears compare`.
    pub footnote: String,
}

/// Who the series of an overlay are.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Overlaid {
    pub(crate) runs: RunsMeta,
    /// `scenario` or `run`.
    pub(crate) noun: &'static str,
    pub(crate) currency: String,
}

impl Overlaid {
    /// The scenarios of a stress set run with `meta`.
    pub(crate) fn stress_set(meta: &ChartMeta) -> Overlaid {
        let header = meta.header("", String::new());
        Overlaid {
            runs: RunsMeta {
                name: meta.scenario_name.clone(),
                paths: count_of(meta.paths, "path"),
                footnote: header.footnote,
            },
            noun: "scenario",
            currency: meta.currency.clone(),
        }
    }

    /// Runs compared (no currency: result folders compared may differ in it).
    pub(crate) fn runs(runs: &RunsMeta) -> Overlaid {
        Overlaid {
            runs: runs.clone(),
            noun: "run",
            currency: String::new(),
        }
    }

    fn header(&self, what: &str, subtitle: String) -> Header {
        let name = self.runs.name.trim();
        let stress = if self.noun == "scenario" {
            "stress "
        } else {
            ""
        };
        let title = format!("{what} by {stress}{}", self.noun);
        Header {
            title: if name.is_empty() {
                title
            } else {
                format!("{name}: {title}")
            },
            subtitle,
            footnote: self.runs.footnote.clone(),
        }
    }

    fn heading(&self) -> String {
        let mut s = self.noun.to_string();
        s[..1].make_ascii_uppercase();
        s
    }
}

/// A named line with an optional band (`low` and `high` empty for none), one value per x.
#[derive(Debug, Clone, PartialEq)]
pub struct Banded {
    pub name: String,
    pub values: Vec<f64>,
    pub low: Vec<f64>,
    pub high: Vec<f64>,
}

/// A series' net credit loss on each path, with the paths' weights (empty: equal weights).
#[derive(Debug, Clone, PartialEq)]
pub struct Losses {
    pub name: String,
    pub values: Vec<f64>,
    pub weights: Vec<f64>,
}

/// The loss distributions of the series on one bin grid, each expected loss marked.
pub(crate) fn losses(who: &Overlaid, series: Vec<Losses>) -> Histogram {
    let series: Vec<HistogramSeries> = series
        .into_iter()
        .enumerate()
        .map(|(k, s)| HistogramSeries {
            label: s.name,
            colour: scenario_colour(k),
            values: s.values,
            weights: s.weights,
        })
        .collect();
    let vlines: Vec<VLine> = series
        .iter()
        .filter_map(|s| {
            s.mean().map(|mean| VLine {
                x: mean,
                label: format!("{} {}", s.label, format_amount(mean)),
                colour: s.colour,
                stroke: Stroke::Dashed,
            })
        })
        .collect();
    let weighted = if series.iter().any(|s| !s.weights.is_empty()) {
        " (importance-weighted)"
    } else {
        ""
    };
    let subtitle = format!(
        "Share of paths{weighted} in bins common to all {}s; dashed: expected loss",
        who.noun
    );
    Histogram {
        header: who.header("Net credit loss", subtitle),
        x_title: super::format::amount_axis_title("Net credit loss", &who.currency),
        series,
        vlines,
        log: false,
        legend: who.heading(),
        notes: vec!["Dashed: expected loss".to_string()],
    }
}

/// One line per series over `months`, each with its band and an end marker; `notes` read the
/// last value of each with `value`.
fn lines(
    who: &Overlaid,
    header: Header,
    months: &[u32],
    y: Axis,
    series: &[Banded],
    value: fn(f64) -> String,
) -> LineChart {
    let xs: Vec<f64> = months.iter().map(|&m| f64::from(m)).collect();
    let lines: Vec<Line> = series
        .iter()
        .enumerate()
        .map(|(k, s)| {
            Line::new(&s.name, scenario_colour(k), &xs, &s.values)
                .band(&xs, &s.low, &s.high)
                .markers(Markers::End(series_marker(k)))
        })
        .collect();
    let mut notes = Vec::new();
    if lines.iter().any(|l| !l.band.is_empty()) {
        notes.push("Bands: 5th-95th percentile".to_string());
    }
    if let Some(month) = lines
        .iter()
        .filter_map(|l| l.last())
        .map(|p| p.0)
        .reduce(f64::max)
    {
        notes.push(String::new());
        notes.push(format!("Mean by month {}:", format_month(&month)));
        for line in &lines {
            if let Some((m, v)) = line.last() {
                let when = if m < month {
                    format!(" (month {})", format_month(&m))
                } else {
                    String::new()
                };
                notes.push(format!("{} {}{when}", line.label, value(v)));
            }
        }
    }
    LineChart {
        legend: who.heading(),
        notes,
        ..LineChart::new(header, Axis::months("Month", Some(0.0), 0.0), y, lines)
    }
}

/// Cumulative net write-offs by month (1..=H) of each series.
pub(crate) fn write_offs(who: &Overlaid, months: &[u32], series: &[Banded]) -> LineChart {
    let band = if series.iter().any(|s| !s.low.is_empty()) {
        ", bands 5th-95th percentile"
    } else {
        ""
    };
    let subtitle = format!(
        "Mean across {} per {}{band}; net = gross less recoveries and sale proceeds",
        who.runs.paths, who.noun
    );
    let title = super::format::amount_axis_title("Cumulative net write-offs", &who.currency);
    LineChart {
        empty: "No write-offs to show".to_string(),
        ..lines(
            who,
            who.header("Cumulative net write-offs", subtitle),
            months,
            Axis::values(&title, Scale::Amount, 0.06),
            series,
            format_amount,
        )
    }
}

/// Cumulative recovery rate by months since default (1..=K) of each series.
pub(crate) fn recoveries(who: &Overlaid, months: &[u32], series: &[Banded]) -> LineChart {
    let subtitle = format!(
        "Mean across {} per {}, bands 5th-95th percentile; recoveries as % of exposure at default (EAD)",
        who.runs.paths, who.noun
    );
    let mut chart = lines(
        who,
        who.header("Cumulative recovery after default", subtitle),
        months,
        Axis::values("Cumulative recovery (% of EAD)", Scale::Percent, 0.06),
        series,
        format_percent,
    );
    chart.x.title = "Months since default".to_string();
    chart.empty = "No recoveries to show".to_string();
    chart
}
