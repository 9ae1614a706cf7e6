//! A deterministic simulator of loan performance histories ("panels") for the calibration tests.
//!
//! Loans move month by month through a known transition matrix (one per segment) and the
//! history is written as a lender's CSV would be: one row per loan per month, stacked month
//! after month, with lender status codes. Real-data mess can be switched on piece by piece
//! ([`Mess`]), and [`simulate`] returns, beside the file, the exact number of each kind of mess
//! it injected and the monthly moves a correct cohort count must find ([`Truth`]), so tests
//! compare the calibration with what was put in rather than with what it usually gives.
//!
//! States are indexed as in the calibration's state space: `current`, the buckets, `paid_off`,
//! `charged_off` (the calibration adds `sold` after them; no simulated loan is ever sold).
//!
//! Three random streams come from one seed (Xoshiro256++ and its `jump`): the chains, the mess
//! and the money. Switching a kind of mess on or off therefore leaves the states loans go
//! through unchanged, except for late entry, which decides when a loan's chain starts.
//!
//! Deliberately simple: no seasoning, no calendar effects, balances amortise linearly while
//! current and stand still while delinquent.

use std::path::Path;

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The status code written for "no loan that month" (placeholder rows).
pub const ABSENT_CODE: &str = "X";

/// One segment of the simulated book.
#[derive(Debug, Clone)]
pub struct Segment {
    pub name: String,
    /// Probability that a loan belongs to this segment.
    pub share: f64,
    /// Monthly transition matrix, rows and columns in state order; rows of the terminal states
    /// are not used.
    pub matrix: Vec<Vec<f64>>,
}

/// How the `period` (and `origination`) column is written.
#[derive(Debug, Clone, Copy)]
pub enum Periods {
    /// Whole numbers from 0; origination months before the panel are negative.
    Index,
    /// `YYYY-MM`, the first month being this year and month (1-12).
    Dated { year: i32, month: i32 },
}

/// Balances, charge-off amounts and recoveries.
#[derive(Debug, Clone)]
pub struct Money {
    /// Balance when the loan enters the panel, uniform on `[lo, hi]`.
    pub balance: (f64, f64),
    /// Share of the entry balance repaid in each month that starts current.
    pub amortisation: f64,
    /// `recovery_curve[k - 1]`: share of the charged-off balance recovered `k` months after
    /// charge-off, over all charged-off accounts (payers and not).
    pub recovery_curve: Vec<f64>,
    /// Share of charged-off accounts that ever pay. A payer pays
    /// `recovery_curve[k - 1] / payer_share` of its charge-off amount at age `k`, so the
    /// expected share recovered at age `k` is the curve.
    pub payer_share: f64,
}

/// Real-data mess, each switch independent; all off by default.
///
/// Gaps and conflicting duplicates are placed only where each one is exactly one item of the
/// data-quality table: on an on-book row inside a loan's history whose neighbours are rows
/// without mess (so two gaps never merge, and neither changes a loan's first or last month).
#[derive(Debug, Clone, Default)]
pub struct Mess {
    /// Share of loans entering after the first month, at a uniform month `1..months`.
    pub late_entry: f64,
    /// Share of loans whose reporting stops at a uniform month of their possible history
    /// (censoring bites only if that month comes before the loan's end).
    pub censoring: f64,
    /// Per eligible row: the row is missing (a gap of one month).
    pub gaps: f64,
    /// Per eligible row (tried after gaps): a second row for the same loan and month with
    /// another status, written right after it.
    pub conflicting_duplicates: f64,
    /// Per row of the loan's history (including rows after charge-off): an identical copy
    /// right after it.
    pub exact_duplicates: f64,
    /// Per loan with rows in two months or more: its first row is written at the end of the
    /// file.
    pub out_of_order: f64,
    /// Per loan whose rows end before the last month: an [`ABSENT_CODE`] row the month after
    /// its last row.
    pub placeholders: f64,
    /// Per loan paid off before the last month: a current row the month after (a loan back on
    /// book after a terminal status).
    pub reactivations: f64,
    /// Months a charged-off loan keeps reporting its charged-off status after the charge-off
    /// month (with its recoveries when [`Money`] is on), cut at the panel's end.
    pub rows_after_charge_off: u32,
}

/// What to simulate.
#[derive(Debug, Clone)]
pub struct PanelSpec {
    pub seed: u64,
    pub loans: usize,
    pub months: u32,
    /// Status code of each state, in state order.
    pub codes: Vec<String>,
    /// State distribution of the loans on book in the first month; late entrants start current.
    pub initial: Vec<f64>,
    /// The segment column is written when there are two segments or more.
    pub segments: Vec<Segment>,
    pub periods: Periods,
    /// Write an `origination` column: the entry month for late entrants, 0 to 11 months before
    /// the panel for the others.
    pub origination: bool,
    pub money: Option<Money>,
    pub mess: Mess,
}

impl PanelSpec {
    /// One segment `all` with `matrix` (current, `matrix.len() - 3` buckets, paid off, charged
    /// off), codes `0`, `1`, ..., `C`, `W`, every loan current in month 0, whole-number periods,
    /// no money and no mess.
    pub fn new(matrix: Vec<Vec<f64>>, loans: usize, months: u32, seed: u64) -> PanelSpec {
        let n = matrix.len();
        assert!(n >= 3, "current, paid_off and charged_off at least");
        let mut codes: Vec<String> = (0..n - 2).map(|i| i.to_string()).collect();
        codes.push("C".to_string());
        codes.push("W".to_string());
        let mut initial = vec![0.0; n];
        initial[0] = 1.0;
        PanelSpec {
            seed,
            loans,
            months,
            codes,
            initial,
            segments: vec![Segment {
                name: "all".to_string(),
                share: 1.0,
                matrix,
            }],
            periods: Periods::Index,
            origination: false,
            money: None,
            mess: Mess::default(),
        }
    }

    pub fn n_states(&self) -> usize {
        self.codes.len()
    }
}

/// How many of each kind of mess [`simulate`] put in, counted the way the data-quality table
/// should count them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Injected {
    pub placeholder_rows: u64,
    /// Extra rows (a row and its copy count 1).
    pub exact_duplicate_rows: u64,
    /// Loan-months with two different statuses.
    pub conflicting_loan_months: u64,
    pub out_of_order_loans: u64,
    /// Missing months inside a loan's history (each a gap of its own).
    pub gaps: u64,
    pub late_entries: u64,
    /// Loans whose rows stop while on book before the last month.
    pub censored: u64,
    pub reactivated: u64,
}

/// A loan charged off after being seen on book, as the recovery estimate sees it.
#[derive(Debug, Clone)]
pub struct ChargeOff {
    /// The charge-off amount written on the charge-off row.
    pub amount: f64,
    /// Months from the charge-off month to the loan's last row.
    pub months_followed: u32,
    pub payer: bool,
}

/// What [`simulate`] wrote, beyond the file.
#[derive(Debug, Clone)]
pub struct Truth {
    /// Data rows in the file.
    pub rows: usize,
    pub injected: Injected,
    /// `moves[segment][from * n + to]`: moves between a loan's rows in consecutive months, the
    /// first on book, up to its first terminal status, over rows without mess: what a correct
    /// cohort count finds.
    pub moves: Vec<Vec<u64>>,
    pub charge_offs: Vec<ChargeOff>,
}

/// One row of a loan's history before it is written.
#[derive(Debug, Clone)]
struct Row {
    month: i32,
    state: usize,
    balance: Option<f64>,
    charge_off: Option<f64>,
    recovery: Option<f64>,
    /// A placeholder row: written with [`ABSENT_CODE`].
    absent: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fate {
    Kept,
    Dropped,
    Conflict,
}

fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The index drawn from cumulative `weights` by a uniform `u`.
fn pick(weights: &[f64], u: f64) -> usize {
    let mut acc = 0.0;
    for (i, w) in weights.iter().enumerate() {
        acc += w;
        if u < acc {
            return i;
        }
    }
    // Rounding left `u` above the last cumulative sum: the last state with weight.
    weights.iter().rposition(|&w| w > 0.0).unwrap_or(0)
}

fn month_label(periods: Periods, month: i32) -> String {
    match periods {
        Periods::Index => month.to_string(),
        Periods::Dated { year, month: first } => {
            let m = year * 12 + first - 1 + month;
            format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
        }
    }
}

/// Simulates the panel, writes it as CSV to `path` and returns what was put in.
pub fn simulate(spec: &PanelSpec, path: &Path) -> Truth {
    let n = spec.n_states();
    let months = spec.months as i32;
    assert!(months >= 2, "a panel needs two months for a move");
    assert_eq!(spec.initial.len(), n, "one initial share per state");
    for seg in &spec.segments {
        assert_eq!(
            seg.matrix.len(),
            n,
            "segment `{}`: one row per state",
            seg.name
        );
        for (i, row) in seg.matrix.iter().enumerate().take(n - 2) {
            let sum: f64 = row.iter().sum();
            assert!(
                row.len() == n && (sum - 1.0).abs() < 1e-9,
                "segment `{}`, row {i}: {} cells summing to {sum}",
                seg.name,
                row.len()
            );
        }
    }
    let (paid_off, charged_off) = (n - 2, n - 1);
    let on_book = |s: usize| s < paid_off;
    let shares: Vec<f64> = spec.segments.iter().map(|s| s.share).collect();
    let mess = &spec.mess;

    let mut chain_rng = Xoshiro256PlusPlus::seed_from_u64(spec.seed);
    let mut mess_rng = chain_rng.clone();
    mess_rng.jump();
    let mut money_rng = mess_rng.clone();
    money_rng.jump();

    let with_segment = spec.segments.len() > 1;
    let mut header = "loan_id,period,status".to_string();
    if with_segment {
        header.push_str(",segment");
    }
    if spec.origination {
        header.push_str(",origination");
    }
    if spec.money.is_some() {
        header.push_str(",balance,charge_off_amount,recovery_amount");
    }

    // (month in file order, loan, sequence) -> line; sorted, this is a stack of monthly
    // snapshots.
    let mut lines: Vec<((i64, usize, usize), String)> = Vec::new();
    let mut injected = Injected::default();
    let mut moves = vec![vec![0u64; n * n]; spec.segments.len()];
    let mut charge_offs = Vec::new();

    for loan in 0..spec.loans {
        // The chain: a fixed number of draws, then one per month on book.
        let seg = pick(&shares, chain_rng.random::<f64>());
        let late = chain_rng.random::<f64>() < mess.late_entry;
        let entry_if_late = chain_rng.random_range(1..months);
        let months_before_panel = chain_rng.random_range(0..12);
        let initial = pick(&spec.initial, chain_rng.random::<f64>());
        let entry = if late { entry_if_late } else { 0 };
        let mut states = vec![if late { 0 } else { initial }];
        while states.len() < (months - entry) as usize {
            let s = *states.last().expect("one state at least");
            if !on_book(s) {
                break;
            }
            states.push(pick(
                &spec.segments[seg].matrix[s],
                chain_rng.random::<f64>(),
            ));
        }
        let origination = if late { entry } else { -months_before_panel };

        // Money: two draws per loan.
        let (entry_balance, payer) = match &spec.money {
            Some(m) => {
                let u = money_rng.random::<f64>();
                let payer = money_rng.random::<f64>() < m.payer_share;
                (m.balance.0 + (m.balance.1 - m.balance.0) * u, payer)
            }
            None => (0.0, false),
        };

        // The loan's rows: its chain, then rows after charge-off.
        let mut rows: Vec<Row> = Vec::with_capacity(states.len());
        let mut balance = entry_balance;
        for (k, &s) in states.iter().enumerate() {
            if k > 0 && states[k - 1] == 0 {
                let repaid = spec.money.as_ref().map_or(0.0, |m| m.amortisation);
                balance = (balance - repaid * entry_balance).max(0.0);
            }
            let money = spec.money.is_some();
            rows.push(Row {
                month: entry + k as i32,
                state: s,
                balance: money.then(|| if on_book(s) { cents(balance) } else { 0.0 }),
                charge_off: (money && s == charged_off).then(|| cents(balance)),
                recovery: None,
                absent: false,
            });
        }
        let last = rows.last().expect("one row at least").clone();
        if last.state == charged_off {
            let amount = last.charge_off.unwrap_or(0.0);
            for k in 1..=mess.rows_after_charge_off as i32 {
                if last.month + k >= months {
                    break;
                }
                let recovery =
                    spec.money
                        .as_ref()
                        .map(|m| match m.recovery_curve.get(k as usize - 1) {
                            Some(c) if payer => cents(amount * c / m.payer_share),
                            _ => 0.0,
                        });
                rows.push(Row {
                    month: last.month + k,
                    state: charged_off,
                    balance: spec.money.as_ref().map(|_| 0.0),
                    charge_off: None,
                    recovery,
                    absent: false,
                });
            }
        }

        // Censoring: reporting stops after a uniform month of the loan's possible history.
        if mess.censoring > 0.0 && mess_rng.random::<f64>() < mess.censoring {
            let stop = entry + mess_rng.random_range(0..months - entry);
            rows.retain(|r| r.month <= stop);
        }

        // Gaps and conflicting duplicates, each alone between rows without mess.
        let mut fate = vec![Fate::Kept; rows.len()];
        let mut x = 1;
        while x + 1 < rows.len() {
            if on_book(rows[x].state) && on_book(rows[x - 1].state) {
                if mess.gaps > 0.0 && mess_rng.random::<f64>() < mess.gaps {
                    fate[x] = Fate::Dropped;
                    x += 2;
                    continue;
                }
                if mess.conflicting_duplicates > 0.0
                    && mess_rng.random::<f64>() < mess.conflicting_duplicates
                {
                    fate[x] = Fate::Conflict;
                    x += 2;
                    continue;
                }
            }
            x += 1;
        }

        // What a correct count sees: consecutive kept months, from on book, to the first
        // terminal status.
        let kept: Vec<&Row> = rows
            .iter()
            .zip(&fate)
            .filter(|(_, f)| **f == Fate::Kept)
            .map(|(r, _)| r)
            .collect();
        for pair in kept.windows(2) {
            if !on_book(pair[0].state) {
                break;
            }
            if pair[1].month == pair[0].month + 1 {
                moves[seg][pair[0].state * n + pair[1].state] += 1;
            }
        }
        let last_kept = *kept.last().expect("the first row is always kept");
        if on_book(last_kept.state) && last_kept.month < months - 1 {
            injected.censored += 1;
        }
        if entry > 0 {
            injected.late_entries += 1;
        }
        if let Some(co) = kept.iter().position(|r| r.state == charged_off)
            && co > 0
            && spec.money.is_some()
        {
            charge_offs.push(ChargeOff {
                amount: kept[co].charge_off.expect("money is on"),
                months_followed: (last_kept.month - kept[co].month) as u32,
                payer,
            });
        }
        injected.gaps += fate.iter().filter(|&&f| f == Fate::Dropped).count() as u64;
        injected.conflicting_loan_months +=
            fate.iter().filter(|&&f| f == Fate::Conflict).count() as u64;

        // A loan back on book after paying off, then a placeholder after the last row.
        let mut extra: Vec<Row> = Vec::new();
        if last_kept.state == paid_off
            && last_kept.month + 1 < months
            && mess.reactivations > 0.0
            && mess_rng.random::<f64>() < mess.reactivations
        {
            injected.reactivated += 1;
            extra.push(Row {
                month: last_kept.month + 1,
                state: 0,
                balance: spec.money.as_ref().map(|_| 0.0),
                charge_off: None,
                recovery: None,
                absent: false,
            });
        }
        let last_month = extra.last().map_or(last_kept.month, |r| r.month);
        if last_month + 1 < months
            && mess.placeholders > 0.0
            && mess_rng.random::<f64>() < mess.placeholders
        {
            injected.placeholder_rows += 1;
            extra.push(Row {
                month: last_month + 1,
                state: 0,
                balance: None,
                charge_off: None,
                recovery: None,
                absent: true,
            });
        }

        // Lines, with copies and conflicts right after their row.
        let loan_id = format!("L{loan:06}");
        let segment = &spec.segments[seg].name;
        let line = |r: &Row, code: &str| {
            let mut l = format!("{loan_id},{},{code}", month_label(spec.periods, r.month));
            if with_segment {
                l.push(',');
                l.push_str(segment);
            }
            if spec.origination {
                l.push(',');
                l.push_str(&month_label(spec.periods, origination));
            }
            if spec.money.is_some() {
                for v in [r.balance, r.charge_off, r.recovery] {
                    l.push(',');
                    if let Some(v) = v {
                        l.push_str(&format!("{v:.2}"));
                    }
                }
            }
            l
        };
        let mut loan_lines: Vec<(i32, String)> = Vec::new();
        for (r, f) in rows
            .iter()
            .zip(&fate)
            .chain(extra.iter().map(|r| (r, &Fate::Kept)))
        {
            let code = if r.absent {
                ABSENT_CODE
            } else {
                &spec.codes[r.state]
            };
            match f {
                Fate::Dropped => continue,
                Fate::Conflict => {
                    loan_lines.push((r.month, line(r, code)));
                    let other = if r.state == 0 { 1 } else { 0 };
                    loan_lines.push((r.month, line(r, &spec.codes[other])));
                }
                Fate::Kept => {
                    loan_lines.push((r.month, line(r, code)));
                    if !r.absent
                        && mess.exact_duplicates > 0.0
                        && mess_rng.random::<f64>() < mess.exact_duplicates
                    {
                        injected.exact_duplicate_rows += 1;
                        loan_lines.push((r.month, line(r, code)));
                    }
                }
            }
        }
        let two_months = loan_lines.iter().any(|(m, _)| *m != loan_lines[0].0);
        let moved =
            two_months && mess.out_of_order > 0.0 && mess_rng.random::<f64>() < mess.out_of_order;
        if moved {
            injected.out_of_order_loans += 1;
        }
        for (seq, (month, text)) in loan_lines.into_iter().enumerate() {
            let at = if moved && seq == 0 {
                i64::MAX
            } else {
                i64::from(month)
            };
            lines.push(((at, loan, seq), text));
        }
    }

    lines.sort_unstable_by_key(|(key, _)| *key);
    let mut csv = String::with_capacity(lines.len() * 48 + header.len() + 1);
    csv.push_str(&header);
    csv.push('\n');
    for (_, l) in &lines {
        csv.push_str(l);
        csv.push('\n');
    }
    std::fs::write(path, csv)
        .unwrap_or_else(|e| panic!("cannot write panel `{}`: {e}", path.display()));
    Truth {
        rows: lines.len(),
        injected,
        moves,
        charge_offs,
    }
}
