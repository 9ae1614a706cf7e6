//! A sweep: the scenario run at many values of some of its keys, from `[sweep]` or
//! `arrears sweep --vary KEY=a..b/step --vary KEY=v1,v2`. Each point of the sweep is the
//! scenario with one [`Override`] per varied key, checked exactly like `--set`; every point
//! keeps the scenario's seed, so points share random numbers loan by loan and path by path and
//! their differences are paired.
//!
//! Points of a grid are in row-major order: the first varied key changes slowest. A zipped
//! sweep takes the i-th value of every key together, so every list must have the same length.

use super::Override;

/// Most points a sweep may have: each is a full run.
pub const MAX_SWEEP_POINTS: usize = 10_000;

/// One value a key takes in a sweep.
#[derive(Debug, Clone, PartialEq)]
pub enum SweepValue {
    Integer(i64),
    /// A number with the decimals it was written with (`0.050`: 3), so a range's values are
    /// written back as the user would (`0.06`, not `0.060000000000000005`).
    Number(f64, usize),
    Text(String),
}

impl SweepValue {
    /// The value as TOML text, for the override.
    pub fn toml(&self) -> String {
        match self {
            SweepValue::Integer(i) => i.to_string(),
            SweepValue::Number(x, decimals) => format_number(*x, *decimals),
            SweepValue::Text(t) => toml::Value::String(t.clone()).to_string(),
        }
    }

    /// The value as a reader sees it (`0.05`, `120`, `buyer`).
    pub fn label(&self) -> String {
        match self {
            SweepValue::Text(t) => t.clone(),
            other => other.toml(),
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            SweepValue::Integer(i) => Some(*i as f64),
            SweepValue::Number(x, _) => Some(*x),
            SweepValue::Text(_) => None,
        }
    }

    /// A value given as TOML (`0.05`, `120`, `"buyer"`); a bare word is a string.
    pub fn parse(text: &str) -> SweepValue {
        let text = text.trim();
        match format!("v = {text}").parse::<toml::Table>() {
            Ok(t) => match t.get("v") {
                Some(toml::Value::Integer(i)) => SweepValue::Integer(*i),
                Some(toml::Value::Float(x)) => SweepValue::Number(*x, decimals_of(text)),
                Some(toml::Value::String(s)) => SweepValue::Text(s.clone()),
                _ => SweepValue::Text(text.to_string()),
            },
            Err(_) => SweepValue::Text(text.to_string()),
        }
    }

    /// From a TOML value of the `[sweep]` table; `None` for arrays and tables.
    pub(crate) fn from_toml(value: &toml::Value) -> Option<SweepValue> {
        match value {
            toml::Value::Integer(i) => Some(SweepValue::Integer(*i)),
            toml::Value::Float(x) => Some(SweepValue::Number(*x, decimals_of(&x.to_string()))),
            toml::Value::String(s) => Some(SweepValue::Text(s.clone())),
            toml::Value::Boolean(b) => Some(SweepValue::Text(b.to_string())),
            _ => None,
        }
    }
}

/// Digits after the decimal point of a number as written (`0.050` -> 3, `1e-3` -> 3).
fn decimals_of(text: &str) -> usize {
    let text = text.trim();
    if let Ok(x) = text.replace('_', "").parse::<f64>()
        && (text.contains('e') || text.contains('E'))
    {
        // Enough to show it exactly as far as a person wrote it.
        return (0..=15)
            .find(|&d| format_number(x, d).parse::<f64>() == Ok(x))
            .unwrap_or(15);
    }
    text.split_once('.').map_or(0, |(_, frac)| {
        frac.chars().take_while(char::is_ascii_digit).count()
    })
}

/// `x` with `decimals` digits, trailing zeros dropped down to one (`0.050` -> `0.05`,
/// `2` -> `2.0`): a TOML float either way.
fn format_number(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if !s.contains('.') {
        return format!("{s}.0");
    }
    let s = s.trim_end_matches('0');
    if s.ends_with('.') {
        format!("{s}0")
    } else {
        s.to_string()
    }
}

/// A key and the values it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Vary {
    /// Dotted path, as for `--set`.
    pub key: String,
    pub values: Vec<SweepValue>,
}

impl Vary {
    /// `KEY=a..b/step` (a range, both ends included) or `KEY=v1,v2,v3` (a list).
    pub fn parse(arg: &str) -> Result<Vary, String> {
        let (key, values) = arg.split_once('=').ok_or_else(|| {
            format!("`--vary {arg}` is not KEY=VALUES (e.g. `--vary debt_sale.price=0.02..0.08/0.01` or `--vary charge_off.dpd=120,150,180`)")
        })?;
        let key = key.trim();
        if key.is_empty() || key.split('.').any(|p| p.trim().is_empty()) {
            return Err(format!(
                "`--vary {arg}`: `{key}` is not a dotted key (e.g. `debt_sale.price`)"
            ));
        }
        let values = values.trim();
        let parsed = match range_parts(values) {
            Some((from, to, step)) => range(
                &SweepValue::parse(from),
                &SweepValue::parse(to),
                &SweepValue::parse(step),
            )
            .map_err(|e| format!("`--vary {arg}`: {e}"))?,
            None => values.split(',').map(SweepValue::parse).collect(),
        };
        if parsed.is_empty() || values.is_empty() {
            return Err(format!("`--vary {arg}` gives no values"));
        }
        Ok(Vary {
            key: key.to_string(),
            values: parsed,
        })
    }

    /// How the key's column holds its values: whole numbers, numbers, or text.
    pub fn kind(&self) -> ValueKind {
        if self
            .values
            .iter()
            .all(|v| matches!(v, SweepValue::Integer(_)))
        {
            ValueKind::Integer
        } else if self.values.iter().all(|v| v.as_f64().is_some()) {
            ValueKind::Number
        } else {
            ValueKind::Text
        }
    }
}

/// The type of a varied key's column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    Integer,
    Number,
    Text,
}

/// `a..b/step` split, or `None` when `text` is not a range.
fn range_parts(text: &str) -> Option<(&str, &str, &str)> {
    let (from, rest) = text.split_once("..")?;
    let (to, step) = rest.split_once('/')?;
    Some((from, to, step))
}

/// `from`, `from + step`, ... up to `to` (included when it falls on the grid, within a
/// millionth of a step).
pub fn range(
    from: &SweepValue,
    to: &SweepValue,
    step: &SweepValue,
) -> Result<Vec<SweepValue>, String> {
    let (Some(a), Some(b), Some(h)) = (from.as_f64(), to.as_f64(), step.as_f64()) else {
        return Err("a range `a..b/step` needs three numbers".into());
    };
    if !(a.is_finite() && b.is_finite() && h.is_finite()) {
        return Err("a range needs finite numbers".into());
    }
    if h <= 0.0 {
        return Err(format!(
            "the step is {}, expected a number above 0",
            step.label()
        ));
    }
    if b < a {
        return Err(format!(
            "the range ends ({}) before it starts ({})",
            to.label(),
            from.label()
        ));
    }
    let count = ((b - a) / h + 1e-6).floor() + 1.0;
    if count > MAX_SWEEP_POINTS as f64 {
        return Err(format!(
            "the range has {count:.0} values, more than the {MAX_SWEEP_POINTS} a sweep can run"
        ));
    }
    let count = count as i64;
    let integers = [from, to, step]
        .iter()
        .all(|v| matches!(v, SweepValue::Integer(_)));
    let decimals = [from, to, step]
        .iter()
        .map(|v| match v {
            SweepValue::Number(_, d) => *d,
            _ => 0,
        })
        .max()
        .unwrap_or(0);
    Ok((0..count)
        .map(|i| {
            if integers {
                let (a, h) = (a as i64, h as i64);
                SweepValue::Integer(a + i * h)
            } else {
                let x = a + i as f64 * h;
                // Rounded to the decimals written, so 0.1 + 2 x 0.1 is 0.3.
                let x = format_number(x, decimals.max(1)).parse().unwrap_or(x);
                SweepValue::Number(x, decimals.max(1))
            }
        })
        .collect())
}

/// How the varied keys combine into points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// Every combination (row-major: the first key changes slowest).
    Grid,
    /// The i-th value of every key together.
    Zip,
}

/// A sweep: the keys, how they combine, the point differences are taken against, and the
/// figures charted.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    pub vary: Vec<Vary>,
    pub combine: Combine,
    /// The point every other is compared with (paired differences).
    pub reference: usize,
    /// Figures charted against the first key (names of `paths.csv` columns); empty: the
    /// report's default choice.
    pub figures: Vec<String>,
}

impl Sweep {
    /// Every point, as the index of each key's value; or why the keys do not combine.
    pub fn points(&self) -> Result<Vec<Vec<usize>>, String> {
        if self.vary.is_empty() {
            return Err("a sweep needs at least one varied key".into());
        }
        for (i, v) in self.vary.iter().enumerate() {
            if let Some(j) = self.vary[..i].iter().position(|w| w.key == v.key) {
                return Err(format!(
                    "`{}` is varied twice (keys {} and {})",
                    v.key,
                    j + 1,
                    i + 1
                ));
            }
        }
        let points = match self.combine {
            Combine::Zip => {
                let n = self.vary[0].values.len();
                if let Some(v) = self.vary.iter().find(|v| v.values.len() != n) {
                    return Err(format!(
                        "a zipped sweep needs lists of one length: `{}` has {n} values, `{}` {}",
                        self.vary[0].key,
                        v.key,
                        v.values.len()
                    ));
                }
                (0..n).map(|i| vec![i; self.vary.len()]).collect()
            }
            Combine::Grid => {
                let total = self
                    .vary
                    .iter()
                    .map(|v| v.values.len() as f64)
                    .product::<f64>();
                if total > MAX_SWEEP_POINTS as f64 {
                    return Err(format!(
                        "the grid has {total:.0} points, more than the {MAX_SWEEP_POINTS} a sweep can run"
                    ));
                }
                let mut points = vec![Vec::new()];
                for v in &self.vary {
                    points = points
                        .into_iter()
                        .flat_map(|p| {
                            (0..v.values.len()).map(move |i| {
                                let mut q = p.clone();
                                q.push(i);
                                q
                            })
                        })
                        .collect();
                }
                points
            }
        };
        if points.len() > MAX_SWEEP_POINTS {
            return Err(format!(
                "the sweep has {} points, more than the {MAX_SWEEP_POINTS} it can run",
                points.len()
            ));
        }
        if self.reference >= points.len() {
            return Err(format!(
                "the reference point is {}, but the sweep's points are numbered 0 to {}",
                self.reference,
                points.len() - 1
            ));
        }
        Ok(points)
    }

    /// The overrides of a point.
    pub fn overrides(&self, point: &[usize]) -> Vec<Override> {
        self.vary
            .iter()
            .zip(point)
            .map(|(v, &i)| Override {
                key: v.key.clone(),
                value: v.values[i].toml(),
                origin: "sweep",
            })
            .collect()
    }

    /// `debt_sale.price = 0.05, debt_sale.months = 6`.
    pub fn describe_point(&self, point: &[usize]) -> String {
        self.vary
            .iter()
            .zip(point)
            .map(|(v, &i)| format!("{} = {}", v.key, v.values[i].label()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(v: &[SweepValue]) -> Vec<String> {
        v.iter().map(SweepValue::label).collect()
    }

    #[test]
    fn ranges_keep_the_decimals_written_and_include_the_end() {
        let v = Vary::parse("debt_sale.price=0.02..0.08/0.01").unwrap();
        assert_eq!(
            labels(&v.values),
            ["0.02", "0.03", "0.04", "0.05", "0.06", "0.07", "0.08"]
        );
        assert_eq!(v.kind(), ValueKind::Number);
        let v = Vary::parse("charge_off.dpd=90..180/30").unwrap();
        assert_eq!(labels(&v.values), ["90", "120", "150", "180"]);
        assert_eq!(v.kind(), ValueKind::Integer);
        // An end off the grid is not reached.
        let v = Vary::parse("x.y=0..1/0.3").unwrap();
        assert_eq!(labels(&v.values), ["0.0", "0.3", "0.6", "0.9"]);
        let v = Vary::parse("debt_sale.price=0.03,buyer").unwrap();
        assert_eq!(v.kind(), ValueKind::Text);
        assert_eq!(v.values[1].toml(), "\"buyer\"");
    }

    #[test]
    fn bad_ranges_and_keys_are_refused() {
        for (arg, needle) in [
            ("price", "not KEY=VALUES"),
            ("a.=1", "not a dotted key"),
            ("a.b=1..0/1", "ends (0) before it starts (1)"),
            ("a.b=0..1/0", "step is 0"),
            ("a.b=0..1/-1", "step is -1"),
            ("a.b=0..1000000/1", "more than the 10000"),
            ("a.b=x..y/1", "three numbers"),
            ("a.b=", "no values"),
        ] {
            let e = Vary::parse(arg).unwrap_err();
            assert!(e.contains(needle), "{arg}: {e}");
        }
    }

    #[test]
    fn grids_are_row_major_and_zips_pair_values() {
        let sweep = |combine| Sweep {
            vary: vec![
                Vary::parse("a.x=1,2").unwrap(),
                Vary::parse("a.y=10,20").unwrap(),
            ],
            combine,
            reference: 0,
            figures: vec![],
        };
        let grid = sweep(Combine::Grid);
        assert_eq!(
            grid.points().unwrap(),
            vec![vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1]]
        );
        assert_eq!(grid.describe_point(&[1, 0]), "a.x = 2, a.y = 10");
        let o = grid.overrides(&[1, 0]);
        assert_eq!((o[1].key.as_str(), o[1].value.as_str()), ("a.y", "10"));
        assert_eq!(o[1].label(), "sweep a.y=10");
        assert_eq!(
            sweep(Combine::Zip).points().unwrap(),
            vec![vec![0, 0], vec![1, 1]]
        );
        let mut uneven = sweep(Combine::Zip);
        uneven.vary[1] = Vary::parse("a.y=1,2,3").unwrap();
        assert!(uneven.points().unwrap_err().contains("one length"));
        let mut twice = sweep(Combine::Grid);
        twice.vary[1].key = "a.x".into();
        assert!(twice.points().unwrap_err().contains("varied twice"));
        let mut far = sweep(Combine::Grid);
        far.reference = 4;
        assert!(far.points().unwrap_err().contains("numbered 0 to 3"));
    }
}
