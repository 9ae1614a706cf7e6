//! The folder of `arrears optimise`: its tables (through [`crate::results::optimise_rows`]),
//! `summary.json`, the efficient-frontier chart and `report.html`/`report.md`, written
//! atomically with a manifest of kind `optimisation`. Everything here is a function of
//! [`OptimisationFiles`]: the numbers are the strategy layer's, built by the command.

use std::path::Path;

use super::charts::ChartMeta;
use super::charts::line::{Axis, Fit, Line, LineChart, Markers, Scale, VLine};
use super::charts::theme::{self, Marker, Stroke};
use super::document::{Block, Document, Table};
use super::format::{format_amount, signed};
use super::{ReportError, table};
use crate::model::group_thousands;
use crate::results::FolderKind;
use crate::results::atomic::write_atomically;
use crate::results::optimise_rows::{
    ChampionChallengerRow, FrontierRow, LiveTestRow, OptimisationSummaryFile, PolicyRow,
};

/// `+1,234` or `-1,234`.
fn signed_amount(x: f64) -> String {
    signed(x, 0)
}

/// The chart's file stem.
pub const FRONTIER_STEM: &str = "frontier";

/// Everything an optimisation folder holds, as typed rows.
#[derive(Debug, Clone)]
pub struct OptimisationFiles {
    pub summary: OptimisationSummaryFile,
    pub policy: Vec<PolicyRow>,
    pub frontier: Vec<FrontierRow>,
    pub champion_challenger: Vec<ChampionChallengerRow>,
    pub live_test: Vec<LiveTestRow>,
    /// The scenario file's text, copied as `scenario.toml`.
    pub scenario_text: String,
    /// The command as typed, for the report.
    pub command: String,
    pub meta: ChartMeta,
}

/// Writes the folder `dir` whole or not at all.
pub fn write_optimisation(
    dir: &Path,
    force: bool,
    files: &OptimisationFiles,
) -> Result<(), ReportError> {
    write_atomically(dir, force, |tmp| {
        let path = tmp.join("scenario.toml");
        std::fs::write(&path, &files.scenario_text).map_err(|e| ReportError::io(&path, e))?;
        let path = tmp.join("summary.json");
        let json = serde_json::to_string_pretty(&files.summary).expect("plain data serialises");
        std::fs::write(&path, json + "\n").map_err(|e| ReportError::io(&path, e))?;
        table(tmp, &files.policy)?;
        table(tmp, &files.frontier)?;
        table(tmp, &files.champion_challenger)?;
        table(tmp, &files.live_test)?;
        frontier_chart(files).write(&tmp.join(FRONTIER_STEM))?;
        super::run_report::write_document(tmp, &document(files))?;
        crate::results::manifest::write(tmp, FolderKind::Optimisation)
            .map_err(|e| ReportError::io(tmp, e))
    })
}

/// Value against spend: every policy listed (faint), the frontier, the champion, the choice
/// and the budget.
pub(crate) fn frontier_chart(files: &OptimisationFiles) -> LineChart {
    let s = &files.summary;
    let meta = &files.meta;
    // Points without a line: each one its own run, broken by a NaN.
    let scatter = |rows: Vec<&FrontierRow>| -> Vec<(f64, f64)> {
        rows.iter()
            .flat_map(|r| [(r.spend_per_month, r.value), (r.spend_per_month, f64::NAN)])
            .collect()
    };
    let others: Vec<&FrontierRow> = files.frontier.iter().filter(|r| !r.on_frontier).collect();
    let mut hull: Vec<&FrontierRow> = files.frontier.iter().filter(|r| r.on_frontier).collect();
    hull.sort_by(|a, b| a.spend_per_month.total_cmp(&b.spend_per_month));
    let mut lines = Vec::new();
    if !others.is_empty() {
        lines.push(Line {
            label: "Other policies".into(),
            colour: theme::GROSS_BAR,
            stroke: Stroke::Solid,
            markers: Markers::None,
            points: scatter(others),
            band: Vec::new(),
        });
    }
    let xs: Vec<f64> = hull.iter().map(|r| r.spend_per_month).collect();
    let ys: Vec<f64> = hull.iter().map(|r| r.value).collect();
    // No markers on the frontier's vertices: the champion's and the choice's stand out.
    lines.push(Line::new("Efficient frontier", theme::OI_BLUE, &xs, &ys));
    for (label, colour, marker, pick) in [
        (
            "Champion",
            theme::OI_VERMILLION,
            Marker::Square,
            (|r: &FrontierRow| r.champion) as fn(&FrontierRow) -> bool,
        ),
        (
            "Chosen",
            theme::OI_GREEN,
            Marker::Diamond,
            |r: &FrontierRow| r.chosen,
        ),
    ] {
        if let Some(r) = files.frontier.iter().find(|r| pick(r)) {
            lines.push(Line {
                label: label.into(),
                colour,
                stroke: Stroke::Solid,
                markers: Markers::Every(marker),
                points: vec![(r.spend_per_month, r.value)],
                band: Vec::new(),
            });
        }
    }
    let vlines = s
        .budget_per_month
        .map(|b| VLine {
            x: b,
            label: format!("Budget {}/month", format_amount(b)),
            colour: theme::AXIS,
            stroke: Stroke::Dashed,
        })
        .into_iter()
        .collect();
    let gain = &s.value_gain;
    let notes = vec![
        "Exact expected values;".into(),
        "champion: the".into(),
        "scenario's actions".into(),
        String::new(),
        "Chosen:".into(),
        format!("value {}", format_amount(s.challenger_value.exact)),
        format!(
            "spend {}/month",
            format_amount(s.challenger_spend_per_month)
        ),
        "Champion:".into(),
        format!("value {}", format_amount(s.champion_value.exact)),
        format!("spend {}/month", format_amount(s.champion_spend_per_month)),
        String::new(),
        "Gain:".into(),
        format!("exact {}", signed_amount(gain.exact)),
        format!(
            "simulated {} ± {}",
            signed_amount(gain.mc_mean),
            format_amount(gain.mc_se)
        ),
    ];
    let subtitle = format!(
        "Present value over {} months of collections net of costs, against expected spend on actions per month; {}",
        s.horizon_months,
        if s.discount_rate.is_some() {
            "discounted at the scenario's rate"
        } else {
            "undiscounted"
        }
    );
    LineChart {
        vlines,
        legend: "Policies".into(),
        notes,
        empty: "No policies to show".into(),
        ..LineChart::new(
            meta.header("Efficient frontier of collection strategies", subtitle),
            Axis::values(
                &meta.amount("Expected spend on actions per month"),
                Scale::Amount,
                0.06,
            ),
            Axis::new(meta.amount("Value"), Scale::Amount, Fit::Span(0.08)),
            lines,
        )
    }
}

/// The report: the choice, the frontier, the confirmation, the live test, the method.
fn document(files: &OptimisationFiles) -> Document {
    let s = &files.summary;
    let cur = |x: f64| group_thousands(x, 0);
    let mut blocks = vec![Block::heading("choice", "The chosen policy")];
    blocks.push(Block::Paragraph(format!(
        "Every subset of the scenario's `[[actions]]` in each segment was valued exactly ({} segment policies, {} policies of the book). {} The chosen policy's expected value is {} against the champion's {} (the scenario's own actions), a gain of {}; Monte Carlo on common random numbers measures the gain at {} ± {} (z = {:.2} against the exact gain).",
        s.policies_valued,
        group_thousands(s.book_policies as f64, 0),
        match s.budget_per_month {
            Some(b) => format!(
                "With a budget of {} per month on actions, the best frontier policy within it was chosen; a unit more of monthly budget would add {:.2} of value at the margin (the Lagrange multiplier).",
                cur(b),
                s.lagrange_multiplier
            ),
            None => "Without a budget, the policy of highest value was chosen.".to_string(),
        },
        cur(s.challenger_value.exact),
        cur(s.champion_value.exact),
        signed_amount(s.value_gain.exact),
        signed_amount(s.value_gain.mc_mean),
        cur(s.value_gain.mc_se),
        s.value_gain.z
    )));
    let rows: Vec<Vec<String>> = files
        .policy
        .iter()
        .map(|r| {
            let on = |b: bool| if b { "on" } else { "off" }.to_string();
            vec![
                r.segment.clone(),
                r.stage.clone(),
                r.action.clone(),
                format!("{:.2}", r.cost_per_account),
                format!("{:.2}", r.cure_multiplier),
                format!("{:.2}", r.roll_multiplier),
                on(r.champion),
                if r.required {
                    "on (kept)".into()
                } else {
                    on(r.chosen)
                },
            ]
        })
        .collect();
    let mut policy = Table::new(
        [
            "segment",
            "stage",
            "action",
            "cost per account",
            "cure ×",
            "roll ×",
            "champion",
            "chosen",
        ],
        rows,
    )
    .numeric(&[false, false, false, true, true, true, false, false])
    .caption("Candidate actions and the policies that switch them on");
    policy.files = vec!["policy.csv".into(), "policy.parquet".into()];
    blocks.push(Block::Table(policy));

    blocks.push(Block::heading("frontier", "Efficient frontier"));
    let vertices = files.frontier.iter().filter(|r| r.on_frontier).count();
    blocks.push(Block::chart(
        FRONTIER_STEM,
        "Efficient frontier of collection strategies",
        format!(
            "{vertices} policies are on the frontier (the upper concave hull of value against spend); every other policy is worth less than some mix of them at the same spend. The champion spends {} per month for {}; the chosen policy {} for {}.",
            cur(s.champion_spend_per_month),
            cur(s.champion_value.exact),
            cur(s.challenger_spend_per_month),
            cur(s.challenger_value.exact)
        ),
        &["frontier.csv", "frontier.parquet"],
    ));

    blocks.push(Block::heading("confirmation", "Champion and challenger"));
    blocks.push(Block::Paragraph(format!(
        "Both policies ran through the engine with seed {} over {} paths, sharing random numbers loan by loan; the difference's standard error is paired. z is the Monte Carlo estimate less the exact value, in standard errors: within ±4 the simulation confirms the exact figure.",
        s.seed,
        group_thousands(s.paths as f64, 0)
    )));
    let rows: Vec<Vec<String>> = files
        .champion_challenger
        .iter()
        .map(|r| {
            vec![
                r.policy.clone(),
                r.description.clone(),
                cur(r.spend_per_month),
                cur(r.exact_value),
                format!("{} ± {}", cur(r.mc_value), cur(r.mc_value_se)),
                format!("{:.2}", r.z),
            ]
        })
        .collect();
    let mut cc = Table::new(
        [
            "policy",
            "actions",
            "spend per month",
            "exact value",
            "Monte Carlo",
            "z",
        ],
        rows,
    )
    .numeric(&[false, false, true, true, true, true])
    .caption("Exact values against the simulation");
    cc.files = vec![
        "champion_challenger.csv".into(),
        "champion_challenger.parquet".into(),
    ];
    blocks.push(Block::Table(cc));
    let far: Vec<String> = files
        .champion_challenger
        .iter()
        .filter(|r| r.z.abs() >= 4.0)
        .map(|r| {
            format!(
                "`{}`: the simulation differs from the exact value by {} ({:.3}% of it, z = {:.1}): more than Monte Carlo noise. The exact values apply the rules that clip a payment to what is owed (near or past maturity, with partial payments) to each state's expected balance rather than loan by loan; read the difference as the size of that approximation (docs/DECISIONS.md).",
                r.policy,
                signed_amount(r.mc_value - r.exact_value),
                100.0 * (r.mc_value - r.exact_value).abs() / r.exact_value.abs().max(1.0),
                r.z
            )
        })
        .collect();
    blocks.push(Block::Warnings(far));

    blocks.push(Block::heading("live-test", "Size of a live test"));
    blocks.push(Block::Paragraph(format!(
        "Accounts split at random between champion and challenger, compared on value per account after the stated months, two-sided at {:.0}% with {:.0}% power: accounts per arm n = (z(1 - alpha/2) + z(power))² (sd_champion² + sd_challenger²) / difference², the difference exact and the standard deviations per account from the simulated paths.",
        100.0 * s.alpha,
        100.0 * s.power
    )));
    let rows: Vec<Vec<String>> = files
        .live_test
        .iter()
        .map(|r| {
            let n = |x: f64| {
                if x.is_finite() {
                    cur(x)
                } else {
                    "no difference".into()
                }
            };
            vec![
                r.months.to_string(),
                format!("{:.2}", r.difference_per_account),
                format!("{:.1}", r.sd_champion),
                format!("{:.1}", r.sd_challenger),
                n(r.accounts_per_arm),
                n(r.accounts),
            ]
        })
        .collect();
    let mut live = Table::new(
        [
            "months",
            "difference per account",
            "sd champion",
            "sd challenger",
            "accounts per arm",
            "accounts",
        ],
        rows,
    )
    .numeric_from(0)
    .caption("Accounts needed to detect the difference");
    live.files = vec!["live_test.csv".into(), "live_test.parquet".into()];
    blocks.push(Block::Table(live));

    blocks.push(Block::heading("method", "What the value counts"));
    blocks.push(Block::Bullets(s.notes.clone()));
    blocks.push(Block::Code {
        language: "sh".into(),
        text: format!("{}\n", files.command),
    });
    Document {
        title: format!("{}: best collection strategy", s.scenario),
        subtitle: format!(
            "seed {} · {} paths · horizon {} months · {} loans",
            s.seed,
            group_thousands(s.paths as f64, 0),
            s.horizon_months,
            group_thousands(s.loans as f64, 0)
        ),
        blocks,
        footer: format!("arrears {}", env!("CARGO_PKG_VERSION")),
    }
}
