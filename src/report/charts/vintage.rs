//! Vintage curves: cumulative gross write-offs of each vintage as a percent of its starting
//! balance, against months on book, one line per vintage.
//!
//! Drawing only, like the rest of [`super`], with one piece of presentation work: a
//! book with more than `MAX_LINES` vintages is drawn as that many lines by pooling adjacent
//! vintages (by age). A pooled line adds its vintages' mean cumulative write-offs month by month
//! of the run and divides by their summed starting balance, so it is the group's
//! balance-weighted rate; it is drawn at the group's balance-weighted months on book. Pooling at
//! the same month of the run rather than at the same months on book keeps every point of a line
//! on the same loans over the same months, so a pooled curve rises like a single vintage's
//! instead of jumping where a member's curve begins or ends. The legend says which vintages
//! each line pools.
//!
//! Each line starts at zero at its months on book at the start (nothing is written off before
//! month 1 of the run). Colours run along a sequential ramp from dark (oldest) to light
//! (newest), viridis's colour-blind-safe ramp without its palest yellow, and each line ends in
//! a marker of its own shape, so lines differ by more than colour.
//!
//! Main function: `vintage_curves`.

use std::ops::Range;
use std::path::Path;

use plotters::prelude::RGBColor;

use super::ChartMeta;
use super::canvas::ChartError;
use super::format::{count_of, format_percent};
use super::line::{Axis, Line, LineChart, Markers, Scale};
use super::theme::series_marker;

/// Most lines on one chart: more are hard to tell apart.
pub(crate) const MAX_LINES: usize = 8;

/// One vintage as the chart needs it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VintageSeries {
    pub(crate) label: String,
    pub(crate) months_on_book_at_start: u32,
    pub(crate) starting_balance: f64,
    /// Mean cumulative gross write-offs (currency) after months 1, 2, ... of the run.
    pub(crate) cumulative_gross: Vec<f64>,
}

/// Writes `{stem}.png` and `{stem}.svg`: the vintages' cumulative gross write-off rates by
/// months on book. `vintages` are oldest first (most months on book first); a vintage without
/// starting balance is left out.
pub(crate) fn vintage_curves(
    stem: &Path,
    meta: &ChartMeta,
    vintages: &[VintageSeries],
) -> Result<(), ChartError> {
    let drawn: Vec<&VintageSeries> = vintages
        .iter()
        .filter(|v| v.starting_balance.is_finite() && v.starting_balance > 0.0)
        .collect();
    let groups = groups(drawn.len(), MAX_LINES);
    let pooled: Vec<_> = groups
        .iter()
        .filter_map(|r| pool(&drawn[r.clone()]))
        .collect();
    let lines: Vec<Line> = pooled
        .iter()
        .enumerate()
        .map(|(k, (label, start, rates))| {
            let xs: Vec<f64> = (0..=rates.len()).map(|m| start + m as f64).collect();
            let ys: Vec<f64> = std::iter::once(0.0).chain(rates.iter().copied()).collect();
            Line::new(label, ramp_colour(k, pooled.len()), &xs, &ys)
                .markers(Markers::End(series_marker(k)))
        })
        .collect();
    let mut notes = Vec::new();
    if !drawn.is_empty() && drawn.iter().all(|v| v.label.parse::<i64>().is_ok()) {
        notes.extend(["Label: origination month, relative to the start", ""].map(String::from));
    }
    if groups.iter().any(|r| r.len() > 1) {
        let vintages = count_of(drawn.len() as u64, "vintage");
        let lines = lines.len();
        notes.push(format!(
            "{vintages} in {lines} lines: adjacent vintages pooled (write-offs over balances)"
        ));
        notes.push(String::new());
    }
    // The oldest and newest lines' rates at the last month: the spread the chart shows.
    let months = pooled.iter().map(|p| p.2.len()).max().unwrap_or(0);
    if let (Some(first), Some(last)) = (pooled.first(), pooled.last()) {
        notes.push(format!("After month {months} of the run:"));
        let ends = if pooled.len() == 1 {
            vec![first]
        } else {
            vec![first, last]
        };
        for (label, _, rates) in ends {
            if let Some(r) = rates.get(months.wrapping_sub(1)) {
                notes.push(format!("{label}: {}", format_percent(*r)));
            }
        }
    }
    let subtitle = format!(
        "Vintage curves, mean across {}; gross write-offs from month 1 of the run as % of each vintage's starting balance",
        count_of(meta.paths, "path")
    );
    let chart = LineChart {
        legend: "Vintage (oldest first)".to_string(),
        notes,
        empty: "No vintages with a starting balance to show".to_string(),
        ..LineChart::new(
            meta.header("Cumulative gross write-offs by vintage", subtitle),
            Axis::months("Months on book", None, 0.0),
            Axis::values(
                "Cumulative gross write-offs (% of starting balance)",
                Scale::Percent,
                0.08,
            ),
            lines,
        )
    };
    chart.write(stem)
}

/// Splits `n` items (in order) into at most `max` runs whose lengths differ by at most one,
/// the longer runs first: the ranges of each run.
fn groups(n: usize, max: usize) -> Vec<Range<usize>> {
    let count = n.min(max.max(1));
    if count == 0 {
        return Vec::new();
    }
    let (base, extra) = (n / count, n % count);
    let mut start = 0;
    (0..count)
        .map(|g| {
            let len = base + usize::from(g < extra);
            let range = start..start + len;
            start += len;
            range
        })
        .collect()
}

/// Pools `members` (adjacent vintages): the label, the balance-weighted months on book at the
/// start and the rate per month of the run; `None` without starting balance.
fn pool(members: &[&VintageSeries]) -> Option<(String, f64, Vec<f64>)> {
    let balance: f64 = members.iter().map(|v| v.starting_balance).sum();
    if !(balance.is_finite() && balance > 0.0) {
        return None;
    }
    let start = members
        .iter()
        .map(|v| f64::from(v.months_on_book_at_start) * v.starting_balance)
        .sum::<f64>()
        / balance;
    let months = members
        .iter()
        .map(|v| v.cumulative_gross.len())
        .max()
        .unwrap_or(0);
    let rates = (0..months)
        .map(|k| {
            members
                .iter()
                .map(|v| v.cumulative_gross.get(k).copied().unwrap_or(f64::NAN))
                .sum::<f64>()
                / balance
        })
        .collect();
    let label = match members {
        [only] => only.label.clone(),
        [first, .., last] => format!("{} to {}", first.label, last.label),
        [] => return None,
    };
    Some((label, start, rates))
}

/// Colour of line `index` of `count`, oldest first: viridis from dark purple to light green.
fn ramp_colour(index: usize, count: usize) -> RGBColor {
    // Viridis (matplotlib) at 0, 0.1, ..., 0.8; its palest part, up to yellow at 1, is too
    // faint for lines on white.
    const STOPS: [(u8, u8, u8); 9] = [
        (0x44, 0x01, 0x54),
        (0x48, 0x24, 0x75),
        (0x41, 0x44, 0x87),
        (0x35, 0x5F, 0x8D),
        (0x2A, 0x78, 0x8E),
        (0x21, 0x91, 0x8C),
        (0x22, 0xA8, 0x84),
        (0x44, 0xBF, 0x70),
        (0x7A, 0xD1, 0x51),
    ];
    let last = (STOPS.len() - 1) as f64;
    let t = if count > 1 {
        last * index.min(count - 1) as f64 / (count - 1) as f64
    } else {
        2.0
    };
    let i = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_adjacent_and_even() {
        assert_eq!(groups(3, 8), vec![0..1, 1..2, 2..3]);
        assert_eq!(
            groups(19, 8),
            vec![0..3, 3..6, 6..9, 9..11, 11..13, 13..15, 15..17, 17..19]
        );
        assert!(groups(0, 8).is_empty());
    }

    #[test]
    fn pooling_weights_by_balance() {
        let a = VintageSeries {
            label: "-12".into(),
            months_on_book_at_start: 12,
            starting_balance: 300.0,
            cumulative_gross: vec![3.0, 6.0],
        };
        let b = VintageSeries {
            label: "-10".into(),
            months_on_book_at_start: 10,
            starting_balance: 100.0,
            cumulative_gross: vec![5.0, 10.0],
        };
        let (label, start, rates) = pool(&[&a, &b]).unwrap();
        assert_eq!(label, "-12 to -10");
        assert_eq!(start, 11.5);
        assert_eq!(rates, vec![8.0 / 400.0, 16.0 / 400.0]);
        let zero = VintageSeries {
            starting_balance: 0.0,
            ..a.clone()
        };
        assert!(pool(&[&zero]).is_none());
    }

    fn series(label: &str, start: u32, balance: f64, rates: &[f64]) -> VintageSeries {
        VintageSeries {
            label: label.into(),
            months_on_book_at_start: start,
            starting_balance: balance,
            cumulative_gross: rates.iter().map(|r| r * balance).collect(),
        }
    }

    #[test]
    fn odd_inputs_draw_without_error() {
        let meta = ChartMeta {
            scenario_name: "test".into(),
            seed: 1,
            paths: 10,
            ..ChartMeta::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let many: Vec<VintageSeries> = (0..30)
            .map(|v: u32| series(&format!("-{}", 30 - v), 30 - v, 1000.0, &[0.0, 0.01, 0.02]))
            .collect();
        let cases: Vec<(&str, Vec<VintageSeries>)> = vec![
            ("empty", Vec::new()),
            ("zero", vec![series("-3", 3, 100.0, &[0.0, 0.0])]),
            ("no_balance", vec![series("-3", 3, 0.0, &[0.0, 0.0])]),
            ("nan", vec![series("2025-01", 3, 100.0, &[f64::NAN, 0.1])]),
            ("one_month", vec![series("2025-01", 0, 100.0, &[0.05])]),
            ("many", many),
        ];
        for (name, vintages) in cases {
            let stem = dir.path().join(name);
            vintage_curves(&stem, &meta, &vintages).unwrap();
            let svg = std::fs::read_to_string(stem.with_extension("svg")).unwrap();
            assert!(svg.len() < 60_000, "{name}: SVG of {} bytes", svg.len());
        }
    }

    #[test]
    fn ramp_runs_dark_to_light() {
        let lum =
            |c: RGBColor| 0.3 * f64::from(c.0) + 0.59 * f64::from(c.1) + 0.11 * f64::from(c.2);
        let colours: Vec<RGBColor> = (0..8).map(|i| ramp_colour(i, 8)).collect();
        assert_eq!(colours[0], RGBColor(0x44, 0x01, 0x54));
        assert_eq!(colours[7], RGBColor(0x7A, 0xD1, 0x51));
        assert!(colours.windows(2).all(|w| lum(w[0]) < lum(w[1])));
    }
}
