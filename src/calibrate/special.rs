//! The few numerical tools calibration needs beyond counting: Beta quantiles (Dirichlet
//! marginals), the chi-square tail (likelihood-ratio tests), the matrix exponential (duration
//! method) and a small linear solve (absorbing-chain timing). Distribution functions come from
//! `statrs`; the matrix work is small (tens of states) and done by hand.

use statrs::distribution::{Beta, ChiSquared, ContinuousCDF};

/// The `q` quantile of Beta(a, b); `a = 0` is a point mass at 0 and `b = 0` at 1.
pub fn beta_quantile(a: f64, b: f64, q: f64) -> f64 {
    if a <= 0.0 {
        return 0.0;
    }
    if b <= 0.0 {
        return 1.0;
    }
    match Beta::new(a, b) {
        Ok(d) => d.inverse_cdf(q).clamp(0.0, 1.0),
        Err(_) => a / (a + b),
    }
}

/// P(X > x) for X chi-square with `df` degrees of freedom; 1 when `df` is 0.
pub fn chi_square_sf(x: f64, df: f64) -> f64 {
    if df <= 0.0 {
        return 1.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    ChiSquared::new(df).map_or(f64::NAN, |d| d.sf(x))
}

/// `exp(q)` for a square matrix (row-major, `n x n`): scaling and squaring with a Taylor
/// series, accurate to rounding for generators of a month's credit moves.
pub fn expm(q: &[f64], n: usize) -> Vec<f64> {
    let norm = (0..n)
        .map(|i| (0..n).map(|j| q[i * n + j].abs()).sum::<f64>())
        .fold(0.0, f64::max);
    let squarings = if norm > 0.5 {
        (norm / 0.5).log2().ceil() as u32
    } else {
        0
    };
    let scale = 0.5f64.powi(squarings as i32);
    let a: Vec<f64> = q.iter().map(|x| x * scale).collect();
    let mut result = identity(n);
    let mut term = identity(n);
    for k in 1..=30 {
        term = matmul(&term, &a, n);
        let f = 1.0 / f64::from(k);
        term.iter_mut().for_each(|x| *x *= f);
        let mut largest: f64 = 0.0;
        for (r, t) in result.iter_mut().zip(&term) {
            *r += t;
            largest = largest.max(t.abs());
        }
        if largest < 1e-18 {
            break;
        }
    }
    for _ in 0..squarings {
        result = matmul(&result, &result, n);
    }
    result
}

pub fn identity(n: usize) -> Vec<f64> {
    let mut m = vec![0.0; n * n];
    (0..n).for_each(|i| m[i * n + i] = 1.0);
    m
}

pub fn matmul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut c = vec![0.0; n * n];
    for i in 0..n {
        for k in 0..n {
            let x = a[i * n + k];
            if x == 0.0 {
                continue;
            }
            for j in 0..n {
                c[i * n + j] += x * b[k * n + j];
            }
        }
    }
    c
}

/// Solves `a x = b` (row-major `n x n`, `b` with `m` columns) by Gaussian elimination with
/// partial pivoting; `None` when `a` is singular.
pub fn solve(a: &[f64], b: &[f64], n: usize, m: usize) -> Option<Vec<f64>> {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    for col in 0..n {
        let pivot =
            (col..n).max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))?;
        if a[pivot * n + col].abs() < 1e-14 {
            return None;
        }
        if pivot != col {
            for j in 0..n {
                a.swap(pivot * n + j, col * n + j);
            }
            for j in 0..m {
                b.swap(pivot * m + j, col * m + j);
            }
        }
        for row in 0..n {
            if row == col {
                continue;
            }
            let f = a[row * n + col] / a[col * n + col];
            if f == 0.0 {
                continue;
            }
            for j in col..n {
                a[row * n + j] -= f * a[col * n + j];
            }
            for j in 0..m {
                b[row * m + j] -= f * b[col * m + j];
            }
        }
    }
    for row in 0..n {
        let d = a[row * n + row];
        for j in 0..m {
            b[row * m + j] /= d;
        }
    }
    Some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beta_quantiles_match_known_values() {
        // Beta(1, 1) is uniform; Beta(2, 2)'s median is 1/2.
        assert!((beta_quantile(1.0, 1.0, 0.3) - 0.3).abs() < 1e-9);
        assert!((beta_quantile(2.0, 2.0, 0.5) - 0.5).abs() < 1e-9);
        // Beta(1, b): F(x) = 1 - (1 - x)^b.
        let x = beta_quantile(1.0, 4.0, 0.9);
        assert!((1.0 - (1.0 - x).powi(4) - 0.9).abs() < 1e-9);
        assert_eq!(beta_quantile(0.0, 3.0, 0.9), 0.0);
    }

    #[test]
    fn chi_square_tail_matches_tables() {
        assert!((chi_square_sf(3.841_458_8, 1.0) - 0.05).abs() < 1e-6);
        assert!((chi_square_sf(18.307_038, 10.0) - 0.05).abs() < 1e-6);
    }

    #[test]
    fn expm_of_a_two_state_generator_is_closed_form() {
        // Q = [[-a, a], [b, -b]]: P(t) = stationary + exp(-(a+b)t) * deviation.
        let (a, b) = (0.3, 0.7);
        let p = expm(&[-a, a, b, -b], 2);
        let s = a + b;
        let e = (-s).exp();
        assert!((p[0] - (b / s + a / s * e)).abs() < 1e-12);
        assert!((p[1] - (a / s - a / s * e)).abs() < 1e-12);
        assert!((p[2] - (b / s - b / s * e)).abs() < 1e-12);
    }

    #[test]
    fn solve_inverts_a_small_system() {
        let x = solve(&[2.0, 1.0, 1.0, 3.0], &[3.0, 5.0], 2, 1).unwrap();
        assert!((x[0] - 0.8).abs() < 1e-12 && (x[1] - 1.4).abs() < 1e-12);
    }
}
