//! The model compiled for sampling: per segment, per month-on-book matrix, per state, the
//! non-zero destinations with cumulative integer thresholds, so a transition is one 32-bit
//! uniform compared against a handful of integers, with no float work and no branches that
//! depend on the draw.

use crate::model::{ActionError, Model, StateId, StateKind};

/// Probabilities are quantised to multiples of 2^-32 (about 2.3e-10), far below any
/// Monte Carlo error a run can reach.
const SCALE: f64 = 4_294_967_296.0;

/// One state's next-state distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct SampledRow {
    /// `thresholds[k]`: the destination is `dest[j]` for the first `j` with `u < thresholds[j]`.
    /// The last threshold is 2^32, so every `u32` lands somewhere.
    thresholds: Vec<u64>,
    dest: Vec<StateId>,
}

impl SampledRow {
    /// A row whose pattern also holds `diagonal` (staying put), even at probability zero, so
    /// that conditioning can move probability there; see [`SampledRow::refill`].
    pub fn with_diagonal(probabilities: &[f64], diagonal: usize) -> SampledRow {
        let mut dest: Vec<StateId> = (0..probabilities.len())
            .filter(|&j| probabilities[j] > 0.0 || j == diagonal)
            .map(|j| j as StateId)
            .collect();
        dest.sort_unstable();
        let mut row = SampledRow {
            thresholds: vec![0; dest.len()],
            dest,
        };
        row.refill(probabilities);
        row
    }

    /// New probabilities on the same pattern: entries outside it must be zero.
    pub fn refill(&mut self, probabilities: &[f64]) {
        let mut cumulative = 0.0;
        for (t, &to) in self.thresholds.iter_mut().zip(&self.dest) {
            cumulative += probabilities[to as usize];
            *t = (cumulative * SCALE).round().min(SCALE) as u64;
        }
        *self.thresholds.last_mut().expect("a valid row has mass") = SCALE as u64;
    }

    fn new(probabilities: &[f64]) -> SampledRow {
        let mut thresholds = Vec::new();
        let mut dest = Vec::new();
        let mut cumulative = 0.0;
        for (to, &p) in probabilities.iter().enumerate() {
            if p > 0.0 {
                cumulative += p;
                thresholds.push((cumulative * SCALE).round().min(SCALE) as u64);
                dest.push(to as StateId);
            }
        }
        *thresholds.last_mut().expect("a valid row has mass") = SCALE as u64;
        SampledRow { thresholds, dest }
    }

    /// Each destination with its share of the `u32` range (its probability times 2^32), in
    /// order; the shares sum to 2^32. Count mode draws its multinomials from these, so both
    /// modes use the same quantised probabilities.
    pub fn widths(&self) -> impl Iterator<Item = (StateId, u64)> + '_ {
        let mut previous = 0;
        self.dest
            .iter()
            .zip(&self.thresholds)
            .map(move |(&to, &t)| {
                let width = t - previous;
                previous = t;
                (to, width)
            })
    }

    /// The first threshold when `to` is the row's first destination (its lowest state), else
    /// 0: `sample(u) == to` exactly when `u` is below it. The engine's road for loans that
    /// stay current compares against it instead of sampling the whole row.
    pub fn first_threshold(&self, to: StateId) -> u64 {
        if self.dest.first() == Some(&to) {
            self.thresholds[0]
        } else {
            0
        }
    }

    /// The destination for a uniform `u` on `0..2^32`.
    #[inline]
    pub fn sample(&self, u: u32) -> StateId {
        let u = u64::from(u);
        let mut idx = 0;
        for &t in &self.thresholds[..self.thresholds.len() - 1] {
            idx += usize::from(u >= t);
        }
        self.dest[idx]
    }
}

/// What conditioning on the systematic factor needs to know of a row: its probabilities,
/// which entries roll forward and which cure.
#[derive(Debug, Clone)]
pub struct RowShape {
    pub base: Vec<f64>,
    pub roll: Vec<bool>,
    pub cure: Vec<bool>,
    pub diagonal: usize,
    pub on_book: bool,
}

/// A segment's compiled matrices and the month-on-book lookup.
#[derive(Debug, Clone)]
pub struct SegmentTables {
    /// `rows[matrix * n_states + state]`.
    pub rows: Vec<SampledRow>,
    /// Aligned with `rows`.
    pub shapes: Vec<RowShape>,
    n_states: usize,
    /// Matrix index for each month on book; beyond the end, matrix 0.
    by_month_on_book: Vec<u16>,
    /// Collection cost per account-month in each state.
    pub cost: Vec<f64>,
}

impl SegmentTables {
    #[inline]
    pub fn row_index(&self, months_on_book: u32, state: StateId) -> usize {
        let matrix = self
            .by_month_on_book
            .get(months_on_book as usize)
            .copied()
            .unwrap_or(0) as usize;
        matrix * self.n_states + state as usize
    }

    /// Index in `rows` of `state`'s row in matrix `matrix`.
    pub fn row_index_of_matrix(&self, matrix: usize, state: StateId) -> usize {
        matrix * self.n_states + state as usize
    }

    /// Number of matrices (one per month-on-book range, and the default).
    pub fn n_matrices(&self) -> usize {
        self.rows.len() / self.n_states
    }

    /// Matrix index for each month on book; beyond the end, matrix 0.
    pub fn by_month_on_book(&self) -> &[u16] {
        &self.by_month_on_book
    }

    #[inline]
    pub fn row(&self, months_on_book: u32, state: StateId) -> &SampledRow {
        &self.rows[self.row_index(months_on_book, state)]
    }
}

/// Every segment compiled, plus per-state facts the inner loop needs.
#[derive(Debug, Clone)]
pub struct Tables {
    pub segments: Vec<SegmentTables>,
    pub kinds: Vec<StateKind>,
    /// Instalments in arrears for each state (0 for current and terminal states).
    pub months_past_due: Vec<f64>,
}

impl Tables {
    pub fn new(model: &Model) -> Result<Tables, ActionError> {
        let space = &model.space;
        let n = space.len();
        let mut segments = Vec::new();
        for (seg_idx, seg) in model.segments.iter().enumerate() {
            let mut rows = Vec::new();
            let mut shapes = Vec::new();
            for matrix in seg.matrices() {
                let effective = model.effective_matrix(seg_idx, matrix)?;
                for from in 0..n {
                    let from_id = from as StateId;
                    rows.push(SampledRow::new(effective.row(from_id)));
                    let on_book = space.kind(from_id).is_on_book();
                    let roll = (0..n)
                        .map(|to| {
                            let to = to as StateId;
                            on_book
                                && (space.is_worse(from_id, to)
                                    || to == space.charged_off()
                                    || to == space.sold())
                        })
                        .collect();
                    let cure = (0..n).map(|to| on_book && from != 0 && to == 0).collect();
                    shapes.push(RowShape {
                        base: effective.row(from_id).to_vec(),
                        roll,
                        cure,
                        diagonal: from,
                        on_book,
                    });
                }
            }
            let last = seg.by_month_on_book.iter().map(|(_, hi, _)| *hi).max();
            let by_month_on_book = match last {
                None => Vec::new(),
                Some(last) => (0..=last).map(|mob| seg.matrix_index(mob) as u16).collect(),
            };
            let cost = (0..n)
                .map(|s| model.action_cost(seg_idx, s as StateId))
                .collect();
            segments.push(SegmentTables {
                rows,
                shapes,
                n_states: n,
                by_month_on_book,
                cost,
            });
        }
        let kinds: Vec<StateKind> = space.states.iter().map(|s| s.kind).collect();
        let months_past_due = kinds
            .iter()
            .map(|k| match k {
                StateKind::Delinquent { months_past_due } => f64::from(*months_past_due),
                _ => 0.0,
            })
            .collect();
        Ok(Tables {
            segments,
            kinds,
            months_past_due,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_split_the_u32_range_by_probability() {
        let row = SampledRow::new(&[0.5, 0.0, 0.25, 0.25]);
        assert_eq!(row.sample(0), 0);
        assert_eq!(row.sample((1 << 31) - 1), 0);
        assert_eq!(row.sample(1 << 31), 2);
        assert_eq!(row.sample(3 << 30), 3);
        assert_eq!(row.sample(u32::MAX), 3);
    }

    #[test]
    fn first_threshold_splits_the_first_destination_from_the_rest() {
        let row = SampledRow::new(&[0.5, 0.0, 0.25, 0.25]);
        assert_eq!(row.first_threshold(0), 1 << 31);
        assert_eq!(row.first_threshold(2), 0);
        let without_first = SampledRow::new(&[0.0, 0.5, 0.5]);
        assert_eq!(without_first.first_threshold(0), 0);
        // A diagonal kept at probability zero: nothing stays.
        let empty_diagonal = SampledRow::with_diagonal(&[0.0, 1.0], 0);
        assert_eq!(empty_diagonal.first_threshold(0), 0);
        assert_eq!(empty_diagonal.sample(0), 1);
    }

    #[test]
    fn a_certain_move_ignores_the_draw() {
        let row = SampledRow::new(&[0.0, 1.0]);
        assert_eq!(row.sample(0), 1);
        assert_eq!(row.sample(u32::MAX), 1);
    }
}
