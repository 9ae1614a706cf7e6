//! The loan book: every loan's starting balance, rate, term, months on book and state, as
//! columns (struct of arrays, the layout the engine reads). Built either synthetically from the
//! scenario's segment descriptions ([`synthetic`]) or from a loan tape read with polars
//! ([`tape`]). This is the only module besides `scenario` that reads input files.
//!
//! In count mode ([`load_for_run`]) a book of single loans is bucketed into cells of alike
//! loans ([`cells`]); a tape that gives its own cells (a `count` column) is taken as given.

pub mod cells;
pub mod synthetic;
pub mod tape;

use std::path::PathBuf;

use crate::model::StateId;
use crate::scenario::{BookSource, Mode, Scenario};

pub use cells::Bucketing;

/// Loans as columns; index `i` across every vector is one loan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoanBook {
    /// Loan identifiers as given by the tape (synthetic loans: `SEGMENT-000001`).
    pub loan_id: Vec<String>,
    /// Index into [`Model::segments`](crate::model::Model::segments).
    pub segment: Vec<u16>,
    /// Outstanding balance at the start, currency.
    pub balance: Vec<f64>,
    /// Annual percentage rate as a fraction (0.24 = 24%).
    pub apr: Vec<f64>,
    /// Remaining contractual term in months (ignored for revolving products).
    pub remaining_term: Vec<u32>,
    /// Months since origination at the start.
    pub months_on_book: Vec<u32>,
    /// Starting state (current or a delinquency bucket).
    pub state: Vec<StateId>,
    /// Credit limit of revolving lines, currency; 0 for instalment loans.
    pub credit_limit: Vec<f64>,
    /// Index into [`LoanBook::vintages`].
    pub vintage: Vec<u16>,
    /// Vintage labels: the tape's `vintage` column, or the origination month relative to the
    /// start (`-6`: originated six months before month 0), in order of first appearance.
    pub vintages: Vec<String>,
    /// Loans in each row: 1 for a loan, more for a cell of identical loans (a cell book, read
    /// from a tape with a `count` column or bucketed by [`cells`]). Balances and limits are
    /// per loan.
    pub count: Vec<u64>,
}

impl LoanBook {
    /// Rows: loans, or cells of a cell book.
    pub fn len(&self) -> usize {
        self.balance.len()
    }

    /// Loans, counting every loan of every cell.
    pub fn loans(&self) -> u64 {
        self.count.iter().sum()
    }

    /// Whether some row stands for more than one loan.
    pub fn has_cells(&self) -> bool {
        self.count.iter().any(|&c| c != 1)
    }

    pub fn is_empty(&self) -> bool {
        self.balance.is_empty()
    }

    /// Balance of every loan, cells counted in full.
    pub fn total_balance(&self) -> f64 {
        self.balance
            .iter()
            .zip(&self.count)
            .map(|(&b, &c)| b * c as f64)
            .sum()
    }

    pub fn push(&mut self, loan: Loan) {
        self.loan_id.push(loan.loan_id);
        self.segment.push(loan.segment);
        self.balance.push(loan.balance);
        self.apr.push(loan.apr);
        self.remaining_term.push(loan.remaining_term);
        self.months_on_book.push(loan.months_on_book);
        self.state.push(loan.state);
        self.credit_limit.push(loan.credit_limit);
        self.count.push(loan.count);
        let label = loan
            .vintage
            .unwrap_or_else(|| origination_label(loan.months_on_book));
        let idx = match self.vintages.iter().position(|v| *v == label) {
            Some(i) => i,
            None => {
                self.vintages.push(label);
                self.vintages.len() - 1
            }
        };
        self.vintage.push(u16::try_from(idx).unwrap_or(u16::MAX));
    }
}

/// Vintage label from months on book: the origination month relative to the start.
pub fn origination_label(months_on_book: u32) -> String {
    format!("{}", -i64::from(months_on_book))
}

/// One loan, for building a book row by row.
#[derive(Debug, Clone, PartialEq)]
pub struct Loan {
    pub loan_id: String,
    pub segment: u16,
    pub balance: f64,
    pub apr: f64,
    pub remaining_term: u32,
    pub months_on_book: u32,
    pub state: StateId,
    pub credit_limit: f64,
    /// Vintage label; `None`: from months on book.
    pub vintage: Option<String>,
    /// Identical loans this row stands for (1: one loan).
    pub count: u64,
}

/// Why a loan book cannot be built.
/// Largest balance, credit limit or amount accepted from any input (a trillion currency
/// units). A book of a billion loans at this size sums to 1e21, and the sums of squares behind
/// standard errors stay far below `f64::MAX`; tapes of 1e300 would overflow them.
pub const MAX_AMOUNT: f64 = 1e12;

#[derive(Debug, thiserror::Error)]
pub enum BookError {
    #[error("cannot read loan tape `{}`: {message}", path.display())]
    Read { path: PathBuf, message: String },
    /// Problems in the tape's contents, each naming the row (1-based data row) and column.
    #[error("loan tape `{}` is invalid ({} problem{}):\n{}\nhint: {hint}", path.display(), problems.len(), if problems.len() == 1 { "" } else { "s" }, problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        path: PathBuf,
        problems: Vec<String>,
        hint: String,
    },
}

/// Builds the scenario's loan book.
pub fn load(scenario: &Scenario) -> Result<LoanBook, BookError> {
    match &scenario.book {
        BookSource::Synthetic(segments) => Ok(synthetic::generate(
            segments,
            &scenario.model,
            scenario.simulation.seed,
        )),
        BookSource::Tape { path } => tape::read(path, &scenario.model),
    }
}

/// Builds the book a run simulates. In loan mode, the scenario's book as [`load`] builds it. In
/// count mode, a book of single loans bucketed into cells by `[book.cells]` ([`cells`]), with
/// what bucketing changed; a synthetic book is bucketed as it is drawn, never held loan by loan.
/// A tape with a `count` column is a book of cells already: the user's cells are simulated as
/// given, and no [`Bucketing`] is returned.
pub fn load_for_run(scenario: &Scenario) -> Result<(LoanBook, Option<Bucketing>), BookError> {
    let simulation = &scenario.simulation;
    match (&scenario.book, simulation.mode) {
        (_, Mode::Loan) => load(scenario).map(|book| (book, None)),
        (BookSource::Synthetic(segments), Mode::Count) => {
            let (book, bucketing) = cells::bucket_synthetic(
                segments,
                &scenario.model,
                simulation.seed,
                &simulation.cells,
            );
            Ok((book, Some(bucketing)))
        }
        (BookSource::Tape { path }, Mode::Count) => {
            let tape = tape::read_tape(path, &scenario.model)?;
            if tape.has_count || tape.book.has_cells() {
                return Ok((tape.book, None));
            }
            let (book, bucketing) =
                cells::bucket_book(&tape.book, &scenario.model, &simulation.cells);
            Ok((book, Some(bucketing)))
        }
    }
}
