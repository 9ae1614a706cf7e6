//! Break-even and reverse stress: the value of a key at which a figure reaches a target.
//!
//! Every evaluation runs the scenario on the same seed, so the estimated figure is one smooth
//! function of the key (common random numbers: the same loans default on the same paths at
//! every value) and a bracketing root finder converges on it. The root is found by the
//! Illinois variant of regula falsi (a secant step that keeps the root bracketed and halves a
//! stale end's weight, so it never stalls), or by bisection over whole numbers for an integer
//! key. Its uncertainty is the delta method's: the figure's standard error at the root over
//! the slope there, the slope taken from the final bracket (a paired difference, so known far
//! better than either end).

use super::estimate::{TAIL_LEVELS, TailMeasure};
use super::figures::{METRICS, Metric};
use super::summary::RunSummary;

/// Which part of a figure's distribution a target is on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measure {
    Mean,
    /// Value at risk at a level of [`TAIL_LEVELS`].
    Var(f64),
    /// Expected shortfall at a level of [`TAIL_LEVELS`].
    ExpectedShortfall(f64),
}

/// What `arrears solve` brings to a value: a figure (its mean, or a tail measure of a loss
/// figure), or a named condition of the disposition study, met where a paired difference
/// crosses zero at each sale point (and for each segment).
#[derive(Debug, Clone)]
pub enum Target {
    Figure {
        metric: &'static Metric,
        measure: Measure,
        value: f64,
    },
    /// Selling is worth as much as holding: the study's sale minus hold per unit of face is 0,
    /// at each sale point for each segment and for the book.
    SaleBeatsHold,
    /// The buyer makes exactly its hurdle at the quoted price: its fair price at the hurdle
    /// minus the quoted price is 0, at each sale point.
    BuyerMakesHurdle,
}

/// The loss figures with tail measures in a run's summary.
pub const TAIL_FIGURES: [&str; 3] = ["net_credit_loss", "gross_write_offs", "net_write_offs"];

/// A target that cannot be read: the message and how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct BadTarget {
    pub message: String,
    pub hint: String,
}

impl Target {
    /// `FIGURE=VALUE`, `FIGURE.var_99=VALUE` (`es_99`, levels 95, 99, 99_9), or a named
    /// condition. A fraction may be given in percent (`40%`).
    pub fn parse(arg: &str) -> Result<Target, BadTarget> {
        let bad = |message: String, hint: &str| BadTarget {
            message,
            hint: hint.into(),
        };
        match arg.trim() {
            "sale_beats_hold" => return Ok(Target::SaleBeatsHold),
            "buyer_makes_hurdle" => return Ok(Target::BuyerMakesHurdle),
            _ => {}
        }
        let (figure, value) = arg.split_once('=').ok_or_else(|| {
            bad(
                format!("`--target {arg}` is not FIGURE=VALUE or a named condition"),
                "e.g. `--target net_credit_loss=6000000`, `--target net_credit_loss.var_99=2.5e7`, `--target sale_beats_hold` or `--target buyer_makes_hurdle`",
            )
        })?;
        let figure = figure.trim();
        let (name, measure) = match figure.split_once('.') {
            None => (figure, Measure::Mean),
            Some((name, tail)) => {
                let level = |suffix: &str| {
                    TAIL_LEVELS
                        .iter()
                        .find(|(_, s)| *s == suffix)
                        .map(|&(l, _)| l)
                };
                let measure = match (tail.strip_prefix("var_"), tail.strip_prefix("es_")) {
                    (Some(l), _) => level(l).map(Measure::Var),
                    (_, Some(l)) => level(l).map(Measure::ExpectedShortfall),
                    _ => None,
                };
                let measure = measure.ok_or_else(|| {
                    bad(
                        format!("`{figure}`: `{tail}` is not a tail measure"),
                        "give var_95, var_99, var_99_9, es_95, es_99 or es_99_9 (e.g. `net_credit_loss.var_99`)",
                    )
                })?;
                if !TAIL_FIGURES.contains(&name) {
                    return Err(bad(
                        format!("`{name}` has no tail measures"),
                        &format!("tail measures are reported for {}", TAIL_FIGURES.join(", ")),
                    ));
                }
                (name, measure)
            }
        };
        let metric = METRICS.iter().find(|m| m.name == name).ok_or_else(|| {
            let names: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
            bad(
                format!("`{name}` is not a figure arrears reports"),
                &format!(
                    "target one of: {}; or a named condition: sale_beats_hold, buyer_makes_hurdle",
                    names.join(", ")
                ),
            )
        })?;
        let value = value.trim();
        let parsed = match value.strip_suffix('%') {
            Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
            None => value.parse::<f64>(),
        };
        match parsed {
            Ok(v) if v.is_finite() => Ok(Target::Figure {
                metric,
                measure,
                value: v,
            }),
            _ => Err(bad(
                format!("`--target {arg}`: `{value}` is not a number"),
                "give the target in the figure's unit: currency, a count, or a fraction (0.42 or 42%)",
            )),
        }
    }

    /// The name results and messages use: `net_credit_loss`, `net_credit_loss.var_99`,
    /// `sale_beats_hold`.
    pub fn name(&self) -> String {
        match self {
            Target::Figure {
                metric, measure, ..
            } => {
                let suffix = |l: &f64| {
                    TAIL_LEVELS
                        .iter()
                        .find(|(x, _)| x == l)
                        .map_or("", |(_, s)| *s)
                };
                match measure {
                    Measure::Mean => metric.name.to_string(),
                    Measure::Var(l) => format!("{}.var_{}", metric.name, suffix(l)),
                    Measure::ExpectedShortfall(l) => format!("{}.es_{}", metric.name, suffix(l)),
                }
            }
            Target::SaleBeatsHold => "sale_beats_hold".into(),
            Target::BuyerMakesHurdle => "buyer_makes_hurdle".into(),
        }
    }

    /// What the series measures, in words.
    pub fn label(&self) -> String {
        match self {
            Target::Figure {
                metric, measure, ..
            } => match measure {
                Measure::Mean => metric.label.to_string(),
                Measure::Var(l) => format!("{}: {}% VaR", metric.label, trim_level(*l)),
                Measure::ExpectedShortfall(l) => {
                    format!("{}: {}% expected shortfall", metric.label, trim_level(*l))
                }
            },
            Target::SaleBeatsHold => "Sale minus hold, per unit of face".into(),
            Target::BuyerMakesHurdle => {
                "Buyer's fair price at its hurdle minus the quoted price, per unit of face".into()
            }
        }
    }

    /// The series' unit, as `summary.json` names units.
    pub fn unit(&self) -> &'static str {
        match self {
            Target::Figure { metric, .. } => metric.unit,
            Target::SaleBeatsHold | Target::BuyerMakesHurdle => "fraction",
        }
    }

    /// The value the series must reach.
    pub fn value(&self) -> f64 {
        match self {
            Target::Figure { value, .. } => *value,
            Target::SaleBeatsHold | Target::BuyerMakesHurdle => 0.0,
        }
    }

    /// A named condition, solved at each sale point.
    pub fn is_named(&self) -> bool {
        !matches!(self, Target::Figure { .. })
    }

    /// The series' values in one run. `Err` when the run has nothing to read them from (a
    /// named condition on a scenario without a disposition study).
    pub fn series(&self, summary: &RunSummary) -> Result<Vec<SeriesValue>, BadTarget> {
        match self {
            Target::Figure {
                metric, measure, ..
            } => {
                let tail = |tails: &[TailMeasure], level: f64| {
                    tails.iter().find(|t| t.level == level).copied()
                };
                let tails: &[TailMeasure] = match metric.name {
                    "net_credit_loss" => &summary.net_credit_loss_tail,
                    name => summary
                        .write_off_tails
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map_or(&[], |(_, t)| t.as_slice()),
                };
                let (mean, se) = match measure {
                    Measure::Mean => {
                        let h = summary
                            .headlines
                            .iter()
                            .find(|h| h.name == metric.name)
                            .expect("every figure has a headline");
                        (h.estimate.mean, h.estimate.se)
                    }
                    // The 95% interval's half-width over 1.96: a standard error for the delta
                    // method.
                    Measure::Var(level) => tail(tails, *level).map_or((f64::NAN, f64::NAN), |t| {
                        (t.var, (t.var_ci_high - t.var_ci_low) / (2.0 * 1.96))
                    }),
                    Measure::ExpectedShortfall(level) => {
                        tail(tails, *level).map_or((f64::NAN, f64::NAN), |t| {
                            (
                                t.expected_shortfall,
                                (t.expected_shortfall_ci_high - t.expected_shortfall_ci_low)
                                    / (2.0 * 1.96),
                            )
                        })
                    }
                };
                Ok(vec![SeriesValue {
                    series: SeriesId::default(),
                    mean,
                    se,
                }])
            }
            Target::SaleBeatsHold | Target::BuyerMakesHurdle => {
                let d = summary.disposition.as_ref().ok_or_else(|| BadTarget {
                    message: format!("`{}` needs a disposition study", self.name()),
                    hint: "add `[disposition]` with `sale_points_dpd` and `[disposition.sale]` (or `[disposition.buyer]`) to the scenario, or target a figure".into(),
                })?;
                if matches!(self, Target::SaleBeatsHold) {
                    Ok(d.rows
                        .iter()
                        .filter(|r| r.strategy == "sale")
                        .map(|r| SeriesValue {
                            series: SeriesId {
                                point: Some(r.point.clone()),
                                dpd: Some(r.dpd),
                                segment: Some(r.segment.clone()),
                            },
                            mean: r.minus_hold_per_face.mean,
                            se: r.minus_hold_per_face.se,
                        })
                        .collect())
                } else {
                    Ok(d.buyer
                        .iter()
                        .map(|b| SeriesValue {
                            series: SeriesId {
                                point: Some(b.point.clone()),
                                dpd: Some(b.dpd),
                                segment: None,
                            },
                            mean: b.fair_price.mean - b.quoted_price,
                            se: b.fair_price.se,
                        })
                        .collect())
                }
            }
        }
    }
}

fn trim_level(level: f64) -> String {
    let s = format!("{:.1}", level * 100.0);
    s.trim_end_matches(".0").to_string()
}

/// Which series of a target a value belongs to: the figure itself (all `None`), or a sale
/// point, and a segment (`"all"` for the book).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct SeriesId {
    pub point: Option<String>,
    pub dpd: Option<u32>,
    pub segment: Option<String>,
}

impl SeriesId {
    /// `sale at 180 DPD, prime`, or empty for the figure itself.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(dpd) = self.dpd {
            parts.push(format!("sale point {dpd} DPD"));
        }
        if let Some(s) = &self.segment {
            parts.push(if s == "all" {
                "the whole book".to_string()
            } else {
                format!("segment `{s}`")
            });
        }
        parts.join(", ")
    }
}

/// One series' value in one run.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesValue {
    pub series: SeriesId,
    pub mean: f64,
    pub se: f64,
}

impl SeriesValue {
    /// The value as an [`Evaluation`] at `x`.
    pub fn at(&self, x: f64) -> Evaluation {
        Evaluation {
            x,
            mean: self.mean,
            se: self.se,
        }
    }
}

/// A figure's estimate at one value of the key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    pub x: f64,
    pub mean: f64,
    pub se: f64,
}

/// The root and how it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct Root {
    /// The key's value at which the figure's mean reaches the target.
    pub x: f64,
    /// Standard error of `x` (delta method); NaN when the slope is zero.
    pub se: f64,
    /// 95% confidence interval: `x ± 1.96 se`.
    pub ci_low: f64,
    pub ci_high: f64,
    /// The final bracket: the figure is below the target at one end and above at the other.
    pub bracket: (f64, f64),
    /// Slope of the figure against the key over the final bracket.
    pub slope: f64,
    /// Every evaluation, in order.
    pub evaluations: Vec<Evaluation>,
    /// The bracket shrank below the tolerance, or the figure reached the target within a tenth
    /// of its standard error (closer is noise).
    pub converged: bool,
}

/// Why no root could be found.
#[derive(Debug, Clone, PartialEq)]
pub enum SolveFailure {
    /// The figure is on the same side of the target at both ends.
    NotBracketed { lo: Evaluation, hi: Evaluation },
    /// The figure is undefined (NaN) at a value.
    Undefined { x: f64 },
}

/// Most evaluations of the figure.
pub const MAX_EVALUATIONS: usize = 40;

/// Finds `x` in `[lo, hi]` where `eval(x).mean == target`. `integer`: `x` takes whole values
/// only (bisection down to neighbours; the root is the first value past the target, with no
/// interval). `tolerance`: the
/// bracket width at which to stop. `eval` errors are passed through.
pub fn solve<E>(
    lo: f64,
    hi: f64,
    target: f64,
    integer: bool,
    tolerance: f64,
    mut eval: impl FnMut(f64) -> Result<Evaluation, E>,
) -> Result<Result<Root, SolveFailure>, E> {
    let mut evaluations = Vec::new();
    let mut run = |x: f64, evaluations: &mut Vec<Evaluation>| -> Result<Evaluation, E> {
        let e = eval(x)?;
        evaluations.push(e);
        Ok(e)
    };
    let mut a = run(lo, &mut evaluations)?;
    if !a.mean.is_finite() {
        return Ok(Err(SolveFailure::Undefined { x: lo }));
    }
    let mut b = run(hi, &mut evaluations)?;
    if !b.mean.is_finite() {
        return Ok(Err(SolveFailure::Undefined { x: hi }));
    }
    let (mut fa, mut fb) = (a.mean - target, b.mean - target);
    if fa == 0.0 || fb == 0.0 {
        let hit = if fa == 0.0 { a } else { b };
        return Ok(Ok(finish(hit, (a, b), evaluations, true)));
    }
    if fa.signum() == fb.signum() {
        return Ok(Err(SolveFailure::NotBracketed { lo: a, hi: b }));
    }
    let mut side = 0i8;
    let mut converged = false;
    while evaluations.len() < MAX_EVALUATIONS {
        let width = (b.x - a.x).abs();
        if (integer && width <= 1.0) || (!integer && width <= tolerance) {
            converged = true;
            break;
        }
        let x = if integer {
            ((a.x + b.x) / 2.0).floor()
        } else {
            // Illinois: the secant through the (weighted) ends, kept inside the bracket.
            let x = (a.x * fb - b.x * fa) / (fb - fa);
            if x.is_finite() && x > a.x.min(b.x) && x < a.x.max(b.x) {
                x
            } else {
                (a.x + b.x) / 2.0
            }
        };
        let c = run(x, &mut evaluations)?;
        if !c.mean.is_finite() {
            return Ok(Err(SolveFailure::Undefined { x }));
        }
        let fc = c.mean - target;
        if fc == 0.0 || (c.se > 0.0 && fc.abs() < 0.1 * c.se && !integer) {
            return Ok(Ok(finish(c, (a, b), evaluations, true)));
        }
        if fc.signum() == fb.signum() {
            b = c;
            fb = fc;
            if side == 1 {
                fa /= 2.0;
            }
            side = 1;
        } else {
            a = c;
            fa = fc;
            if side == -1 {
                fb /= 2.0;
            }
            side = -1;
        }
    }
    if integer {
        // A whole-number key moves the figure in steps: the answer is the first value past
        // the target, the bracket says where the step is, and there is no slope to speak of.
        let (low, high) = if a.x < b.x { (a, b) } else { (b, a) };
        let mut root = finish(high, (low, high), evaluations, converged);
        root.se = f64::NAN;
        root.ci_low = f64::NAN;
        root.ci_high = f64::NAN;
        return Ok(Ok(root));
    }
    // The root between the final ends, on the straight line through their (unweighted) values.
    let (ya, yb) = (a.mean - target, b.mean - target);
    let x = a.x - ya * (b.x - a.x) / (yb - ya);
    let at = Evaluation {
        x,
        mean: target,
        // The figure's error at the root: the nearer end's.
        se: if ya.abs() < yb.abs() { a.se } else { b.se },
    };
    Ok(Ok(finish(at, (a, b), evaluations, converged)))
}

fn finish(
    at: Evaluation,
    (a, b): (Evaluation, Evaluation),
    evaluations: Vec<Evaluation>,
    converged: bool,
) -> Root {
    let slope = if b.x != a.x {
        (b.mean - a.mean) / (b.x - a.x)
    } else {
        f64::NAN
    };
    let se = if slope != 0.0 && slope.is_finite() {
        at.se / slope.abs()
    } else {
        f64::NAN
    };
    Root {
        x: at.x,
        se,
        ci_low: at.x - 1.96 * se,
        ci_high: at.x + 1.96 * se,
        bracket: (a.x.min(b.x), a.x.max(b.x)),
        slope,
        evaluations,
        converged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(f: impl Fn(f64) -> f64, se: f64) -> impl FnMut(f64) -> Result<Evaluation, ()> {
        move |x| Ok(Evaluation { x, mean: f(x), se })
    }

    #[test]
    fn a_straight_line_is_solved_exactly_with_the_delta_method_error() {
        let root = solve(0.0, 10.0, 7.0, false, 1e-9, eval(|x| 2.0 * x + 1.0, 0.5))
            .unwrap()
            .unwrap();
        assert!((root.x - 3.0).abs() < 1e-12, "{}", root.x);
        assert!((root.slope - 2.0).abs() < 1e-12);
        assert!((root.se - 0.25).abs() < 1e-12);
        assert!((root.ci_high - root.ci_low - 2.0 * 1.96 * 0.25).abs() < 1e-12);
        assert!(root.converged);
        assert!(root.evaluations.len() <= 3);
    }

    #[test]
    fn a_curve_converges_and_a_decreasing_one_too() {
        // exp(-x) = 0.2 at x = ln 5.
        let root = solve(0.0, 5.0, 0.2, false, 1e-10, eval(|x: f64| (-x).exp(), 0.0))
            .unwrap()
            .unwrap();
        assert!((root.x - 5f64.ln()).abs() < 1e-8, "{}", root.x);
        assert!(root.converged);
        assert!(root.evaluations.len() < 20, "{}", root.evaluations.len());
    }

    #[test]
    fn whole_numbers_are_bisected_to_neighbours() {
        let root = solve(90.0, 180.0, 130.5, true, 0.0, eval(|x| x, 1.0))
            .unwrap()
            .unwrap();
        assert_eq!(root.bracket, (130.0, 131.0));
        assert_eq!(root.x, 131.0);
        assert!(root.se.is_nan());
        assert!(root.evaluations.iter().all(|e| e.x.fract() == 0.0));
    }

    #[test]
    fn a_target_outside_the_range_says_where_the_figure_went() {
        match solve(0.0, 1.0, 5.0, false, 1e-6, eval(|x| x, 0.1)).unwrap() {
            Err(SolveFailure::NotBracketed { lo, hi }) => {
                assert_eq!((lo.mean, hi.mean), (0.0, 1.0));
            }
            other => panic!("{other:?}"),
        }
        match solve(0.0, 1.0, 0.5, false, 1e-6, eval(|_| f64::NAN, 0.1)).unwrap() {
            Err(SolveFailure::Undefined { x }) => assert_eq!(x, 0.0),
            other => panic!("{other:?}"),
        }
    }
}
