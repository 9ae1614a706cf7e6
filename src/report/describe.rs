//! The scenario in words: one sentence per part of the model (book, states and stages,
//! collection actions, charge-off, recoveries, debt sale, factor, stress), for the report and
//! `summary.json` (`scenario_description`), so a reader who never opens the TOML knows what
//! was simulated.

use super::format::{trimmed as trim, trimmed_cents as cents, trimmed_percent as pct};
use crate::book::{Bucketing, LoanBook};
use crate::model::systematic::FactorDynamics;
use crate::model::{DebtSale, Product, group_thousands};
use crate::scenario::{BookSource, Mode, Scenario};

/// Sentences describing `scenario` as run on `book`, in reading order. `bucketing`: what count
/// mode's bucketing changed, when it bucketed the book.
pub fn describe(
    scenario: &Scenario,
    book: &LoanBook,
    bucketing: Option<&Bucketing>,
) -> Vec<String> {
    let model = &scenario.model;
    let space = &model.space;
    let sim = &scenario.simulation;
    let mut out = Vec::new();

    let source = match &scenario.book {
        BookSource::Synthetic(_) => "generated from the scenario's segment rules".to_string(),
        BookSource::Tape { path } => format!(
            "read from the loan tape `{}`",
            path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into()
            )
        ),
    };
    let by_segment = super::book_summary(book, scenario).segments;
    let segments: Vec<String> = model
        .segments
        .iter()
        .zip(&by_segment)
        .map(|(seg, summary)| {
            let (loans, balance) = (summary.loans, summary.balance);
            let product = match seg.product {
                Product::Instalment => "instalment loans",
                Product::Revolving { .. } => "revolving lines",
            };
            format!(
                "`{}` ({} {product}, balance {})",
                seg.name,
                group_thousands(loans as f64, 0),
                group_thousands(balance, 0)
            )
        })
        .collect();
    out.push(format!(
        "Book: {} loans with a balance of {}, {source}, in {} segment{}: {}.",
        group_thousands(book.loans() as f64, 0),
        group_thousands(book.total_balance(), 0),
        model.segments.len(),
        if model.segments.len() == 1 { "" } else { "s" },
        segments.join(", ")
    ));
    if let Some(sentence) = cells_sentence(scenario, book, bucketing) {
        out.push(sentence);
    }

    let buckets: Vec<&str> = space
        .on_book()
        .filter(|&s| s != space.id("current").unwrap_or(u8::MAX))
        .map(|s| space.name(s))
        .collect();
    let stages: Vec<String> = space
        .stages
        .iter()
        .map(|st| {
            let names: Vec<String> = st
                .states
                .iter()
                .map(|&s| format!("`{}`", space.name(s)))
                .collect();
            format!("{} ({})", st.name, names.join(", "))
        })
        .collect();
    out.push(format!(
        "Each month a loan moves between `current`, {} delinquency bucket{} and the absorbing states `paid_off`, `charged_off` and `sold`, by its segment's transition matrix{}.",
        buckets.len(),
        if buckets.len() == 1 { "" } else { "s" },
        if stages.is_empty() {
            String::new()
        } else {
            format!("; collection stages: {}", stages.join("; "))
        }
    ));
    let overrides: Vec<&str> = model
        .segments
        .iter()
        .filter(|s| !s.by_month_on_book.is_empty())
        .map(|s| s.name.as_str())
        .collect();
    if !overrides.is_empty() {
        out.push(format!(
            "Segments with their own matrices by months on book: {}.",
            overrides.join(", ")
        ));
    }

    if !model.actions.is_empty() {
        let actions: Vec<String> = model
            .actions
            .iter()
            .map(|a| {
                let stage = space.stages.get(a.stage).map_or("?", |s| s.name.as_str());
                format!(
                    "`{}` in the {stage} stage ({} per account per month; cures x{}, rolls x{})",
                    a.name,
                    group_thousands(a.cost_per_account, 2),
                    trim(a.cure_multiplier),
                    trim(a.roll_multiplier)
                )
            })
            .collect();
        out.push(format!("Collection actions: {}.", actions.join("; ")));
    }

    if !model.charge_off_on_entering.is_empty() {
        let names: Vec<String> = model
            .charge_off_on_entering
            .iter()
            .map(|&s| format!("`{}`", space.name(s)))
            .collect();
        out.push(format!(
            "Charge-off: a loan is written off as bad debt on entering {}.",
            names.join(" or ")
        ));
    }
    out.push(format!(
        "Default (the start of the recovery clock): {}.",
        model.default_definition.describe()
    ));

    let r = &model.recovery;
    if r.curve.is_empty() {
        out.push("No collection after charge-off.".into());
    } else {
        let total: f64 = r.curve.iter().sum();
        out.push(format!(
            "After charge-off, in-house collection recovers {} of the charged-off balance on average over {} months; {} of accounts pay anything; collection costs {} of what is recovered{}.",
            pct(total),
            r.curve.len(),
            pct(r.payment_probability),
            pct(r.cost_share),
            if r.cost_per_account > 0.0 {
                format!(
                    " plus {} per open account per month",
                    group_thousands(r.cost_per_account, 2)
                )
            } else {
                String::new()
            }
        ));
    }

    if let Some(sale) = model.debt_sale {
        out.push(match sale {
            DebtSale::OnEntering { state, price } => format!(
                "Debt sale: loans entering `{}` are sold to a debt buyer at {} cents per unit of face value.",
                space.name(state),
                cents(price)
            ),
            DebtSale::Spot { month, price } => format!(
                "Debt sale: every open charged-off claim is sold at the end of month {month} at {} cents per unit of face value.",
                cents(price)
            ),
            DebtSale::AfterChargeOff { months, price } => format!(
                "Debt sale: charged-off claims are sold {months} month{} after charge-off at {} cents per unit of face value.",
                if months == 1 { "" } else { "s" },
                cents(price)
            ),
        });
    }
    if model.disposition.is_some() {
        out.push(
            "Disposition study: at each sale point, holding, placing with an agency and selling are valued on the same paths.".into(),
        );
    }

    if let Some(sys) = &model.systematic {
        let rhos: Vec<String> = model
            .segments
            .iter()
            .zip(&sys.asset_correlation)
            .map(|(s, rho)| format!("`{}` {}", s.name, trim(*rho)))
            .collect();
        let dynamics = match sys.dynamics {
            FactorDynamics::PerPath => "one draw per path".to_string(),
            FactorDynamics::Monthly { persistence } => {
                format!(
                    "drawn monthly, AR(1) with persistence {}",
                    trim(persistence)
                )
            }
        };
        out.push(format!(
            "Systematic factor (one-factor Gaussian copula, {dynamics}): asset correlation {}{}{}.",
            rhos.join(", "),
            if sys.z_shift != 0.0 {
                format!(
                    "; shifted by {} standard deviations in every month (a lasting {})",
                    trim(sys.z_shift),
                    if sys.z_shift < 0.0 {
                        "downturn"
                    } else {
                        "upturn"
                    }
                )
            } else {
                String::new()
            },
            if sys.importance_shift.is_some() {
                "; importance sampling of the factor, paths weighted by the likelihood ratio"
            } else {
                ""
            }
        ));
    }
    if !model.stress.is_empty() {
        let names: Vec<String> = model
            .stress
            .iter()
            .map(|s| match s.weight {
                Some(w) => format!("`{}` (weight {})", s.name, trim(w)),
                None => format!("`{}`", s.name),
            })
            .collect();
        out.push(format!(
            "Stress set: {} scenarios on common random numbers: {}.",
            model.stress.len(),
            names.join(", ")
        ));
    }
    if model.draw_posterior {
        out.push(
            "Estimation uncertainty: each path draws its transition matrices from the calibration posterior.".into(),
        );
    }
    out.push(format!(
        "Simulation: {} paths over {} months, seed {}.",
        group_thousands(sim.paths as f64, 0),
        sim.horizon_months,
        sim.seed
    ));
    out
}

/// How the book's rows relate to its loans: count mode's cells, or a cell tape in loan mode;
/// nothing for a plain book of loans in loan mode.
fn cells_sentence(
    scenario: &Scenario,
    book: &LoanBook,
    bucketing: Option<&Bucketing>,
) -> Option<String> {
    let loans = group_thousands(book.loans() as f64, 0);
    let rows = group_thousands(book.len() as f64, 0);
    let cells = if book.len() == 1 { "cell" } else { "cells" };
    match (scenario.simulation.mode, bucketing) {
        (Mode::Count, Some(b)) => Some(format!(
            "Count mode: the {loans} loans were bucketed into {rows} {cells} of alike loans (same segment, state, vintage, months on book and remaining term; balance bands of {}, APR bands of {} percentage points, credit-limit bands of {}; each cell's balance the mean and its APR the balance-weighted mean of its loans), and each month the number of a cell's loans moving to each state is drawn rather than each loan's move.",
            pct(b.balance_width),
            trim(100.0 * b.apr_width),
            pct(b.credit_limit_width),
        )),
        (Mode::Count, None) => Some(format!(
            "Count mode: the tape's {rows} rows are cells of identical loans ({loans} loans), simulated as given, and each month the number of a cell's loans moving to each state is drawn rather than each loan's move."
        )),
        (Mode::Loan, _) if book.has_cells() => Some(format!(
            "The tape's {rows} rows are cells of identical loans ({loans} loans); in loan mode each loan is simulated on its own."
        )),
        (Mode::Loan, _) => None,
    }
}
