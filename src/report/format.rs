//! Number formatting, for charts and reports alike: amounts with thousands separators and a
//! K/M/B suffix chosen once per axis (never scientific notation), fractions as percent or as
//! cents per unit of face with the decimals a tick step needs, counts, months, p-values.

pub(crate) use crate::model::group_thousands;

/// Divisor and suffix for amounts of magnitude up to `max_abs`.
pub(crate) fn amount_unit(max_abs: f64) -> (f64, &'static str) {
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
pub(crate) fn decimals_for_step(step: f64) -> usize {
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
pub(crate) fn format_amount(value: f64) -> String {
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

    pub(crate) fn cents(ticks: &[f64]) -> ScaledFormat {
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
pub(crate) fn format_rate(fraction: f64) -> String {
    if !fraction.is_finite() {
        return "n/a".to_string();
    }
    let text = group_thousands(fraction * 100.0, 2);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// A fraction of face as cents with one decimal: `7.5`.
pub(crate) fn format_cents(fraction: f64) -> String {
    if !fraction.is_finite() {
        return "n/a".to_string();
    }
    group_thousands(fraction * 100.0, 1)
}

/// A tick label of a log10 share axis (`t` = log10 of the share) in percent, with the
/// decimals the value needs: `0.01%`, `0.5%`, `10%`.
pub(crate) fn format_log_share(t: &f64) -> String {
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
pub(crate) fn format_log_count(t: &f64) -> String {
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

/// A month tick label: a whole number.
pub(crate) fn format_month(month: &f64) -> String {
    format!("{}", month.round() as i64)
}

/// A fraction as percent with one decimal, `<0.1%` for tiny positive values.
pub(crate) fn share(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".to_string();
    }
    if x > 0.0 && x < 0.0005 {
        return "<0.1%".to_string();
    }
    format!("{}%", group_thousands(x * 100.0, 1))
}

/// A fraction as a bare percent number for a matrix cell: one decimal, two under 1%, so small
/// roll rates keep a significant digit (`0.04`), and `0` for exact zeros.
pub(crate) fn percent_number(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let pct = x * 100.0;
    if pct < 0.005 {
        return "<0.01".to_string();
    }
    group_thousands(pct, if pct < 1.0 { 2 } else { 1 })
}

/// A matrix cell: `12.3% [11.8–12.9]`; `0` for a move that is impossible and never seen.
pub(crate) fn matrix_cell(p: f64, lower: f64, upper: f64) -> String {
    if p == 0.0 && upper == 0.0 {
        return "0".to_string();
    }
    format!(
        "{}% [{}–{}]",
        percent_number(p),
        percent_number(lower),
        percent_number(upper)
    )
}

/// `p < 0.001`, `p = 0.004`, `p = 0.012`, `p = 0.31`.
pub(crate) fn format_p(p: f64) -> String {
    if !p.is_finite() {
        "p = n/a".to_string()
    } else if p < 0.001 {
        "p < 0.001".to_string()
    } else if p < 0.1 {
        format!("p = {p:.3}")
    } else {
        format!("p = {p:.2}")
    }
}

/// `90%`, `95%`, `99.5%`.
pub(crate) fn percent_level(confidence: f64) -> String {
    let text = group_thousands(confidence * 100.0, 1);
    format!("{}%", text.trim_end_matches(".0"))
}

/// `0.1139` -> `11.39%` with `decimals`; `n/a` when not finite.
pub fn percent(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        format!("{:.*}%", decimals, 100.0 * x)
    } else {
        "n/a".into()
    }
}

/// `0.25` -> `25%`, `0.125` -> `12.5%`.
pub(crate) fn trimmed_percent(x: f64) -> String {
    format!("{}%", trimmed(100.0 * x))
}

/// A price per unit of face in cents, trimmed: `0.08` -> `8`.
pub(crate) fn trimmed_cents(price: f64) -> String {
    trimmed(100.0 * price)
}

/// A number with at most four decimals and no trailing zeros.
pub(crate) fn trimmed(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// A relative change of a total kept by bucketing up to rounding: `unchanged` within 10^-9,
/// else signed, e.g. `+0.002%`.
pub(crate) fn change(x: f64) -> String {
    if !x.is_finite() {
        "n/a".into()
    } else if x.abs() < 1e-9 {
        "unchanged".into()
    } else if x.abs() < 5e-6 {
        format!(
            "{} less than 0.001%",
            if x > 0.0 { "up by" } else { "down by" }
        )
    } else {
        format!("{:+.3}%", 100.0 * x)
    }
}

/// An APR difference as a fraction, in percentage points: `0.0012` -> `0.12 pp`.
pub(crate) fn percentage_points(x: f64) -> String {
    if x.is_finite() {
        format!("{:.2} pp", 100.0 * x)
    } else {
        "n/a".into()
    }
}

/// `a / b` as `2.5`, or `n/a`.
pub(crate) fn ratio(a: f64, b: f64) -> String {
    if a.is_finite() && b.is_finite() && b > 0.0 {
        format!("{:.1}", a / b)
    } else {
        "n/a".into()
    }
}

/// A signed amount: `+1,234`, `−1,234` (a true minus sign), `0`.
pub(crate) fn signed(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let text = group_thousands(x.abs(), decimals);
    if text.chars().all(|c| !c.is_ascii_digit() || c == '0') {
        text
    } else if x > 0.0 {
        format!("+{text}")
    } else {
        format!("−{text}")
    }
}

/// A number of standard errors: `41.3`, `1,234`.
pub(crate) fn z_text(z: f64) -> String {
    group_thousands(z, if z < 100.0 { 1 } else { 0 })
}

/// A difference relative to the reference's mean: `+4.1%`; `n/a` from a zero reference.
pub(crate) fn relative_change(difference: f64, reference: f64) -> String {
    if !(difference.is_finite() && reference.is_finite()) || reference == 0.0 {
        return "n/a".into();
    }
    let r = 100.0 * difference / reference.abs();
    let decimals = if r.abs() < 0.1 && r != 0.0 { 3 } else { 1 };
    format!("{}%", signed(r, decimals))
}

/// A month label as prose: `2023-06` as is, an index month as `month 7`.
pub(crate) fn month_name(label: &str) -> String {
    if label.parse::<i64>().is_ok() {
        format!("month {label}")
    } else {
        label.to_string()
    }
}

/// `2021-01 to 2023-12`, or `months 0 to 23` for index months.
pub(crate) fn period(first: &str, last: &str) -> String {
    if first.parse::<i64>().is_ok() {
        format!("months {first} to {last}")
    } else {
        format!("{first} to {last}")
    }
}

/// How a number of a report is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Money: thousands separators, no decimals.
    Currency,
    /// A count of loans or events: thousands separators, no decimals.
    Count,
    /// A fraction shown in percent with two decimals (standard errors with three).
    Fraction,
}

impl Unit {
    /// From the `unit` field of `summary.json` figures.
    pub fn from_summary(unit: &str) -> Unit {
        match unit {
            "fraction" => Unit::Fraction,
            "currency" => Unit::Currency,
            _ => Unit::Count,
        }
    }

    /// The name [`Unit::from_summary`] reads: `currency`, `count`, `fraction`.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Currency => "currency",
            Unit::Count => "count",
            Unit::Fraction => "fraction",
        }
    }

    /// A value in this unit: `6,205,858`, `11.39%`.
    pub fn format(self, x: f64) -> String {
        match self {
            Unit::Currency | Unit::Count => group_thousands(x, 0),
            Unit::Fraction => percent(x, 2),
        }
    }

    /// A standard error in this unit, one decimal finer for fractions.
    pub fn format_se(self, x: f64) -> String {
        match self {
            Unit::Currency | Unit::Count => group_thousands(x, 0),
            Unit::Fraction => percent(x, 3),
        }
    }

    /// `mean ± se` in this unit: `6,205,858 ± 31,002`, `11.39% ± 0.072%`.
    pub fn estimate(self, mean: f64, se: f64) -> String {
        format!("{} ± {}", self.format(mean), self.format_se(se))
    }

    /// A difference in this unit: `+254,142`; fractions in percentage points, `+0.41 pp`.
    pub(crate) fn difference(self, x: f64) -> String {
        match self {
            Unit::Currency | Unit::Count => signed(x, 0),
            Unit::Fraction => {
                let s = signed(100.0 * x, 2);
                if s == "n/a" { s } else { format!("{s} pp") }
            }
        }
    }

    /// A difference's standard error in this unit: `3,100`, `0.031 pp`; small errors of
    /// fractions with two significant digits (`0.00031 pp`), so a paired error never reads as
    /// zero.
    pub(crate) fn difference_se(self, x: f64) -> String {
        match self {
            Unit::Currency | Unit::Count => group_thousands(x, 0),
            Unit::Fraction if x.is_finite() => {
                let points = 100.0 * x;
                let decimals = if points > 0.0 {
                    ((-points.log10()).floor() + 2.0).clamp(3.0, 8.0) as usize
                } else {
                    3
                };
                format!("{} pp", group_thousands(points, decimals))
            }
            Unit::Fraction => "n/a".into(),
        }
    }

    /// `+254,142 ± 312`.
    pub(crate) fn difference_with_se(self, value: f64, se: f64) -> String {
        format!("{} ± {}", self.difference(value), self.difference_se(se))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_amounts_without_scientific_notation() {
        assert_eq!(format_amount(12_500_000.0), "12.50M");
        assert_eq!(format_amount(12_000_000.0), "12M");
        assert_eq!(format_amount(850_300.0), "850.3K");
        assert_eq!(format_amount(1_234.0), "1,234");
        assert_eq!(format_amount(-2_500_000.0), "-2.50M");
        assert_eq!(format_amount(3.2e15), "3,200,000B");
        let axis = AxisFormat::new(&[0.0, 50e6, 100e6, 150e6]);
        assert_eq!(
            (axis.format(0.0), axis.format(50e6)),
            ("0".into(), "50M".into())
        );
        let axis = AxisFormat::new(&[7.5e6, 8e6, 8.5e6]);
        assert_eq!(axis.format(8e6), "8.0M");
    }

    #[test]
    fn formats_percent_cents_and_log_ticks() {
        let pct = ScaledFormat::percent(&[0.0, 0.005, 0.01]);
        assert_eq!(
            (pct.format(0.0), pct.format(0.005)),
            ("0%".into(), "0.5%".into())
        );
        assert_eq!(ScaledFormat::cents(&[0.0, 0.025, 0.05]).format(0.05), "5.0");
        assert_eq!(format_percent(0.112), "11.2%");
        assert_eq!(
            (format_rate(0.2), format_rate(0.175)),
            ("20%".into(), "17.5%".into())
        );
        assert_eq!(
            (format_cents(0.07), format_cents(f64::NAN)),
            ("7.0".into(), "n/a".into())
        );
        assert_eq!(format_log_share(&-4.0), "0.01%");
        assert_eq!(format_log_share(&(-3.0 + 5f64.log10())), "0.5%");
        assert_eq!(format_log_count(&(20_000f64).log10()), "20K");
        assert_eq!(format_log_count(&(2.5e6f64).log10()), "2.5M");
        assert_eq!(count_of(1, "path"), "1 path");
        assert_eq!((trimmed(1.5), trimmed(2.0)), ("1.5".into(), "2".into()));
        assert_eq!(trimmed_percent(0.125), "12.5%");
        assert_eq!(trimmed_cents(0.08), "8");
    }

    #[test]
    fn differences_read_like_the_report() {
        assert_eq!(Unit::Currency.difference(-254_000.4), "−254,000");
        assert_eq!(Unit::Currency.difference(12.0), "+12");
        assert_eq!(Unit::Currency.difference(0.2), "0");
        assert_eq!(Unit::Fraction.difference(0.0041), "+0.41 pp");
        assert_eq!(Unit::Fraction.difference_se(0.00031), "0.031 pp");
        assert_eq!(Unit::Fraction.difference_se(0.000_003_1), "0.00031 pp");
        assert_eq!(Unit::Fraction.difference_se(0.0), "0.000 pp");
        assert_eq!(relative_change(-254.0, 6200.0), "−4.1%");
        assert_eq!(relative_change(1.0, 0.0), "n/a");
    }
}
