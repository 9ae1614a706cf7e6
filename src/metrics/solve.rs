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
