//! Writes a calibration as a scenario file that `arrears run` accepts: every estimated number
//! with a comment saying where it came from (loans at risk, the period, the data file's hash),
//! each transition row's Dirichlet posterior for `arrears run --posterior`, and the settings the
//! data cannot tell (APR, term, simulation) taken from the calibration file.
//!
//! Probabilities are written with eight decimals at most, rounded so that each row and each
//! starting mix sums to one exactly in decimal, as the scenario's validation requires.

use std::fmt::Write as _;

use super::estimate::{Calibration, RowEstimate, RowSource};
use super::mapping::{ChargeOffRule, Method, Start};
use crate::model::{StateId, group_thousands};

/// Units per one in written probabilities (eight decimals).
const UNITS: f64 = 1e8;

/// The scenario text.
pub fn scenario_text(cal: &Calibration) -> String {
    let m = &cal.mapping;
    let d = &cal.data;
    let space = &m.space;
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "# Calibrated by `arrears calibrate` {} from a performance history.",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(w, "#");
    let _ = writeln!(w, "# Data: {} (SHA-256 {}),", d.path.display(), d.sha256);
    let _ = writeln!(
        w,
        "#   {} rows read, {} used, {} loans, months {} to {} ({} months).",
        thousands(d.rows_read),
        thousands(d.rows_used),
        thousands(d.loans),
        d.first_month,
        d.last_month,
        d.months
    );
    let _ = writeln!(
        w,
        "# Calibration file: {} (SHA-256 {}).",
        m.file.display(),
        m.sha256
    );
    let _ = writeln!(
        w,
        "# Method: {}; intervals at {:.0}% in the report beside this file.",
        match m.estimate.method {
            Method::Cohort => "cohort (monthly moves / loans at risk at the start of the month)",
            Method::Duration =>
                "duration (intensities from time in state with exact status dates, exp(Q) for a month)",
        },
        m.estimate.confidence * 100.0
    );
    let _ = writeln!(
        w,
        "# Each `transitions` row is the estimate; `transitions_posterior` holds the row's Dirichlet"
    );
    let _ = writeln!(
        w,
        "# posterior (observed moves plus the prior). `arrears run --posterior` draws every path's matrices"
    );
    let _ = writeln!(
        w,
        "# from it, so results carry estimation uncertainty as well as process noise."
    );
    let _ = writeln!(w, "#");
    let _ = writeln!(
        w,
        "# Not estimated from the data (edit to suit): APR, term and simulation settings (from the"
    );
    let _ = writeln!(
        w,
        "# calibration file); money rules; collection actions (the history already reflects the"
    );
    let _ = writeln!(
        w,
        "# lender's collection, so adding actions would count their effect twice); debt sales."
    );
    if !cal.warnings.is_empty() {
        let _ = writeln!(w, "#\n# Warnings from calibration:");
        for warning in &cal.warnings {
            let _ = writeln!(w, "# - {warning}");
        }
    }
    let _ = writeln!(w, "\nversion = 1\n");
    let s = &m.scenario;
    let _ = writeln!(w, "[simulation]");
    let _ = writeln!(w, "name = {}", quote(&s.name));
    let _ = writeln!(w, "paths = {}", s.paths);
    let _ = writeln!(w, "horizon_months = {}", s.horizon_months);
    let _ = writeln!(w, "seed = {}", s.seed);
    let _ = writeln!(w, "\n[states]\nbuckets = [");
    for b in &m.buckets {
        let max = b
            .max_dpd
            .map_or(String::new(), |x| format!(", max_dpd = {x}"));
        let _ = writeln!(
            w,
            "  {{ name = {}, min_dpd = {}{max} }},",
            quote(&b.name),
            b.min_dpd
        );
    }
    let _ = writeln!(w, "]");
    if !m.stages.is_empty() {
        let _ = writeln!(w, "\n[stages]");
        for (name, members) in &m.stages {
            let list: Vec<String> = members.iter().map(|x| quote(x)).collect();
            let _ = writeln!(w, "{name} = [{}]", list.join(", "));
        }
    }
    if let Some(rule) = &m.charge_off {
        let _ = writeln!(w, "\n[charge_off]");
        match rule {
            ChargeOffRule::Dpd(dpd) => {
                let _ = writeln!(w, "dpd = {dpd}");
            }
            ChargeOffRule::State(state) => {
                let _ = writeln!(w, "state = {}", quote(state));
            }
        }
    }
    let _ = writeln!(w, "\n[book]\nsource = \"synthetic\"");
    if let Some(r) = &cal.recovery {
        let _ = writeln!(w, "\n[recovery]");
        let _ = writeln!(
            w,
            "# From {} accounts charged off after being observed on book ({} of charged-off balance,",
            thousands(r.charged_off_accounts),
            money(r.charged_off_balance)
        );
        let _ = writeln!(
            w,
            "# {} recovered while followed). Month k: recovered in month k / balance of accounts still",
            money(r.recovered)
        );
        let _ = writeln!(
            w,
            "# observed k months after charge-off ({} accounts at month 1, {} at month {}).",
            thousands(r.accounts[0]),
            thousands(*r.accounts.last().expect("a curve has a month")),
            r.accounts.len()
        );
        let curve: Vec<String> = r.curve.iter().map(|x| decimal(*x, 1e6)).collect();
        let _ = writeln!(w, "curve = [{}]", curve.join(", "));
        let _ = writeln!(
            w,
            "payment_probability = {}   # share paying anything, of {} accounts followed over the whole curve",
            decimal(r.payment_probability, 1e6),
            thousands(r.accounts_full)
        );
    }
    let horizon_note = match s.start {
        Start::LastPeriod => "on book in the last month of the history",
        Start::FirstPeriod => "on book in the first month of the history",
    };
    for (seg_idx, seg) in cal.segments.iter().enumerate() {
        let name = &seg.name;
        let book = &cal.book[seg_idx];
        let term = s.term_months.get(name).unwrap_or(1);
        let _ = writeln!(w, "\n# {}", "-".repeat(93));
        let _ = writeln!(w, "[segments.{name}]");
        let _ = writeln!(w, "product = {}", quote(&s.product));
        if s.product == "revolving" {
            let _ = writeln!(w, "min_payment_rate = 0.05   # not in the data: edit");
        }
        let _ = writeln!(w, "[segments.{name}.book]");
        let _ = writeln!(
            w,
            "# The {} loans {horizon_note} ({}).",
            thousands(book.loans),
            d.start_month
        );
        let _ = writeln!(w, "loans = {}", book.loans);
        if book.balance_sd > 0.0 {
            let _ = writeln!(
                w,
                "balance = {{ distribution = \"lognormal\", mean = {}, sd = {} }}   # moments of their balances",
                decimal(book.balance_mean, 100.0),
                decimal(book.balance_sd, 100.0)
            );
        } else {
            let _ = writeln!(
                w,
                "balance = {{ distribution = \"fixed\", value = {} }}",
                decimal(book.balance_mean.max(0.0), 100.0)
            );
        }
        let _ = writeln!(
            w,
            "apr = {}   # from the calibration file",
            decimal(s.apr.get(name).unwrap_or(0.0), 1e6)
        );
        let _ = writeln!(w, "term_months = {term}   # from the calibration file");
        let (lo, hi) = book.months_on_book;
        let (lo, hi) = (lo.min(term - 1), hi.min(term - 1));
        let _ = writeln!(
            w,
            "months_on_book = [{lo}, {hi}]   # range observed, within the term"
        );
        if !book.states.is_empty() {
            let mut mix = vec![0.0; space.len()];
            for &(id, share) in &book.states {
                mix[id as usize] = share;
            }
            let _ = writeln!(w, "initial_states = {{ {} }}", row_text(space, &mix));
        }
        for (mi, matrix) in seg.matrices.iter().enumerate() {
            let rows: Vec<&RowEstimate> = matrix
                .rows
                .iter()
                .filter(|r| r.source != RowSource::Base)
                .collect();
            if mi == 0 {
                let _ = writeln!(w, "[segments.{name}.transitions]");
                for r in &rows {
                    let _ = writeln!(w, "# {}", row_comment(r, space));
                    let _ = writeln!(
                        w,
                        "{} = {{ {} }}",
                        space.name(r.from),
                        row_text(space, &r.probability)
                    );
                }
                let with_posterior: Vec<&&RowEstimate> = rows
                    .iter()
                    .filter(|r| r.posterior.iter().any(|&a| a > 0.0))
                    .collect();
                if !with_posterior.is_empty() {
                    let _ = writeln!(w, "[segments.{name}.transitions_posterior]");
                    for r in with_posterior {
                        let _ = writeln!(
                            w,
                            "{} = {{ {} }}",
                            space.name(r.from),
                            posterior_text(space, &r.posterior)
                        );
                    }
                }
            } else {
                if rows.is_empty() {
                    continue;
                }
                let (lo, hi) = matrix.months_on_book.expect("bands have a range");
                let _ = writeln!(w, "[[segments.{name}.transitions_by_month_on_book]]");
                let _ = writeln!(w, "months_on_book = [{lo}, {hi}]");
                for r in &rows {
                    let _ = writeln!(w, "# {}", row_comment(r, space));
                    let _ = writeln!(
                        w,
                        "rows.{} = {{ {} }}",
                        space.name(r.from),
                        row_text(space, &r.probability)
                    );
                }
                for r in rows.iter().filter(|r| r.posterior.iter().any(|&a| a > 0.0)) {
                    let _ = writeln!(
                        w,
                        "rows_posterior.{} = {{ {} }}",
                        space.name(r.from),
                        posterior_text(space, &r.posterior)
                    );
                }
            }
        }
    }
    out
}

fn row_comment(r: &RowEstimate, space: &crate::model::StateSpace) -> String {
    let moves: Vec<String> = r
        .counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0.0)
        .map(|(j, c)| {
            format!(
                "{} {}",
                space.name(j as StateId),
                thousands(c.round() as u64)
            )
        })
        .collect();
    let basis = match r.source {
        RowSource::Data => "",
        RowSource::Pooled => " (sparse: shrunk toward the row pooled over segments)",
        RowSource::NoData => " (no data: rolls forward with certainty; edit if you know better)",
        RowSource::Base => "",
    };
    format!(
        "{} at risk{basis}; moves: {}",
        thousands(r.at_risk.round() as u64),
        if moves.is_empty() {
            "none".to_string()
        } else {
            moves.join(", ")
        }
    )
}

/// `state = p, ...` for the non-zero entries, rounded to eight decimals with the largest
/// entry absorbing the rounding so the written row sums to exactly one.
fn row_text(space: &crate::model::StateSpace, p: &[f64]) -> String {
    let mut units: Vec<i64> = p.iter().map(|x| (x * UNITS).round() as i64).collect();
    let total: i64 = units.iter().sum();
    if let Some(largest) = (0..units.len()).max_by_key(|&j| units[j]) {
        units[largest] += UNITS as i64 - total;
    }
    units
        .iter()
        .enumerate()
        .filter(|(_, u)| **u > 0)
        .map(|(j, u)| format!("{} = {}", space.name(j as StateId), units_text(*u)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn units_text(u: i64) -> String {
    let s = format!("{}.{:08}", u / UNITS as i64, u % UNITS as i64);
    let s = s.trim_end_matches('0');
    if s.ends_with('.') {
        format!("{s}0")
    } else {
        s.to_string()
    }
}

fn posterior_text(space: &crate::model::StateSpace, a: &[f64]) -> String {
    a.iter()
        .enumerate()
        .filter(|(_, x)| **x > 0.0)
        .map(|(j, x)| format!("{} = {}", space.name(j as StateId), decimal(*x, 1e4)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A number rounded to `1/scale`, without trailing zeros, always with a decimal point.
fn decimal(x: f64, scale: f64) -> String {
    let v = (x * scale).round() / scale;
    let s = format!("{v}");
    if s.contains('.') || s.contains('e') {
        s
    } else {
        format!("{s}.0")
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn thousands(n: u64) -> String {
    group_thousands(n as f64, 0)
}

fn money(x: f64) -> String {
    thousands(x.max(0.0).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_rows_sum_to_one_in_decimal() {
        let space = crate::model::states::example_space();
        let n = space.len();
        let mut p = vec![0.0; n];
        p[0] = 1.0 / 3.0;
        p[1] = 1.0 / 3.0;
        p[2] = 1.0 / 3.0;
        let text = row_text(&space, &p);
        let sum: f64 = text
            .split(", ")
            .map(|kv| kv.split(" = ").nth(1).unwrap().parse::<f64>().unwrap())
            .sum();
        assert!((sum - 1.0).abs() < 1e-12, "{text}");
        assert_eq!(units_text(100_000_000), "1.0");
        assert_eq!(units_text(12_500_000), "0.125");
    }

    #[test]
    fn numbers_read_as_analysts_write_them() {
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(decimal(0.25, 1e6), "0.25");
        assert_eq!(decimal(3.0, 100.0), "3.0");
    }
}
