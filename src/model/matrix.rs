//! Monthly transition matrices. A [`TransitionMatrix`] can only be built valid: every on-book
//! row sums to one within [`ROW_SUM_TOLERANCE`], no entry is negative, and terminal states are
//! absorbing. Everything that changes a matrix (collection actions, charge-off and sale
//! triggers) goes through [`TransitionMatrix::new`] again, so no invalid probability reaches the
//! engine.

use super::states::{StateId, StateSpace};

/// How far a row may be from summing to one. Analysts type rows with a handful of decimals;
/// 1e-9 accepts exact decimal sums and rejects any row that is really off.
pub const ROW_SUM_TOLERANCE: f64 = 1e-9;

#[derive(Debug, Clone, PartialEq)]
pub struct TransitionMatrix {
    n: usize,
    /// Row-major, `n * n`.
    p: Vec<f64>,
}

/// Why a set of rows is not a transition matrix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MatrixError {
    #[error("probability {value} from `{from}` to `{to}` is outside [0, 1]")]
    OutOfRange {
        from: String,
        to: String,
        value: f64,
    },
    #[error("row `{from}` sums to {}, expected 1 (off by {diff:+.3e})", crate::model::fmt_number(*sum))]
    RowSum { from: String, sum: f64, diff: f64 },
}

impl TransitionMatrix {
    /// `rows[i]` is the distribution of next states for on-book state `i`; rows of terminal
    /// states are ignored and set to stay put.
    pub fn new(space: &StateSpace, rows: Vec<Vec<f64>>) -> Result<TransitionMatrix, MatrixError> {
        let n = space.len();
        assert_eq!(rows.len(), n, "one row per state");
        let mut p = vec![0.0; n * n];
        for (i, row) in rows.into_iter().enumerate() {
            assert_eq!(row.len(), n, "one column per state");
            let from = i as StateId;
            if space.kind(from).is_terminal() {
                p[i * n + i] = 1.0;
                continue;
            }
            let mut sum = 0.0;
            for (j, &value) in row.iter().enumerate() {
                if !(0.0..=1.0).contains(&value) || value.is_nan() {
                    return Err(MatrixError::OutOfRange {
                        from: space.name(from).to_string(),
                        to: space.name(j as StateId).to_string(),
                        value,
                    });
                }
                sum += value;
            }
            if (sum - 1.0).abs() > ROW_SUM_TOLERANCE {
                return Err(MatrixError::RowSum {
                    from: space.name(from).to_string(),
                    sum,
                    diff: sum - 1.0,
                });
            }
            p[i * n..(i + 1) * n].copy_from_slice(&row);
        }
        Ok(TransitionMatrix { n, p })
    }

    pub fn n_states(&self) -> usize {
        self.n
    }

    pub fn get(&self, from: StateId, to: StateId) -> f64 {
        self.p[from as usize * self.n + to as usize]
    }

    pub fn row(&self, from: StateId) -> &[f64] {
        &self.p[from as usize * self.n..(from as usize + 1) * self.n]
    }

    /// Rows as owned vectors, for building a modified matrix through [`TransitionMatrix::new`].
    pub fn to_rows(&self) -> Vec<Vec<f64>> {
        self.p.chunks(self.n).map(<[f64]>::to_vec).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::states::example_space;

    fn rows(space: &StateSpace) -> Vec<Vec<f64>> {
        let n = space.len();
        let mut rows = vec![vec![0.0; n]; n];
        rows[0][0] = 0.9;
        rows[0][1] = 0.1;
        rows[1][0] = 0.5;
        rows[1][2] = 0.5;
        rows[2][3] = 1.0;
        rows[3][5] = 1.0;
        rows
    }

    #[test]
    fn terminal_rows_are_absorbing() {
        let space = example_space();
        let m = TransitionMatrix::new(&space, rows(&space)).unwrap();
        for t in [space.paid_off(), space.charged_off(), space.sold()] {
            assert_eq!(m.get(t, t), 1.0);
        }
    }

    #[test]
    fn row_off_by_five_percent_is_rejected_with_the_difference() {
        let space = example_space();
        let mut r = rows(&space);
        r[1][2] = 0.45;
        let err = TransitionMatrix::new(&space, r).unwrap_err();
        assert_eq!(
            err.to_string(),
            "row `dpd_1_30` sums to 0.95, expected 1 (off by -5.000e-2)"
        );
    }

    #[test]
    fn negative_entry_is_rejected() {
        let space = example_space();
        let mut r = rows(&space);
        r[0][0] = 1.1;
        r[0][1] = -0.1;
        assert!(matches!(
            TransitionMatrix::new(&space, r),
            Err(MatrixError::OutOfRange { .. })
        ));
    }
}
