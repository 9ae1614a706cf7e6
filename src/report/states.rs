//! Charts and tables of the run by state: the transition-matrix heatmap of each segment, the
//! stage flow over time, and the fan chart of balances by state.
//!
//! This module picks and sums the numbers (from the model and the run's timeline); drawing is
//! [`super::charts::heatmap`], [`super::charts::stage_flow`] and [`super::charts::fan`]. It
//! writes:
//! - `transitions.{csv,parquet}` and `transition_heatmap_<segment>.{png,svg}`: the monthly
//!   matrices the engine compiles for each segment ([`Model::effective_matrix`]: collection
//!   actions applied, charge-off and sale triggers redirected), before any systematic factor,
//!   stress or posterior draw, which move rows path by path and month by month;
//! - `stage_flow.{csv,parquet,png,svg}`: accounts by collection stage and the monthly flows;
//! - `balance_fan.{png,svg}`: the balance of each state across paths (its table is
//!   `timeline.csv`, rows `state`/`balance`).

use std::collections::BTreeMap;
use std::path::Path;

use super::ReportError;
use super::charts::ChartMeta;
use super::charts::area::{Area, Overlay, StackedChart};
use super::charts::fan::{self, FanSeries};
use super::charts::heatmap::{self, Heatmap, HeatmapCell, HeatmapRow};
use super::charts::theme::{self, Stroke};
use crate::metrics::summary::{RunSummary, TimelineRow};
use crate::model::{DebtSale, Model, StateId, StateKind, TransitionMatrix};
use crate::results::rows::{StageFlowRow, TransitionRow};
use crate::scenario::Scenario;

/// Writes `transition_heatmap_<segment>`, `stage_flow` and `balance_fan` (tables and charts).
pub(crate) fn write_state_outputs(
    dir: &Path,
    meta: &ChartMeta,
    summary: &RunSummary,
    scenario: &Scenario,
) -> Result<(), ReportError> {
    let model = &scenario.model;
    let matrices = effective_matrices(model);
    super::table(dir, &transition_rows(model, &matrices))?;
    for (seg_idx, seg) in model.segments.iter().enumerate() {
        let chart = segment_heatmap(model, seg_idx, &matrices[seg_idx][0], meta);
        heatmap::transition_heatmap(
            &dir.join(format!("transition_heatmap_{}", seg.name)),
            &chart,
        )?;
    }

    let index = TimelineIndex::new(&summary.timeline);
    let flow = StageFlow::new(&index, model);
    super::table(dir, &flow.rows())?;
    let n_stages = flow.stages.len();
    let areas = flow.stages.iter().enumerate();
    let subtitle = format!(
        "Mean number of accounts across {}: stages stacked at each month end, flows during the month as lines",
        super::format::count_of(meta.paths, "path")
    );
    StackedChart {
        header: meta.header(
            "Accounts in collection by stage, and monthly flows",
            subtitle,
        ),
        y_title: "Accounts (mean number of loans)".into(),
        months: flow.months.clone(),
        areas: areas
            .map(|(rank, s)| Area {
                label: s.label(&model.space),
                colour: theme::bucket_colour(rank, n_stages),
                values: s.loans.clone(),
            })
            .collect(),
        lines: flow
            .flows
            .iter()
            .enumerate()
            .map(|(k, f)| flow_line(f, k))
            .collect(),
        legends: ("Accounts in stage".into(), "Accounts per month".into()),
        notes: vec![
            "Stages in stacking order, top band first; flows are accounts moving in the month"
                .into(),
        ],
        empty: "No delinquent accounts".into(),
    }
    .write(&dir.join("stage_flow"))?;

    let series = fan_series(&index, model, meta);
    fan::balance_fan(&dir.join("balance_fan"), meta, &index.months, &series)?;
    // The balance by state: the fan's means, stacked, `current` at the bottom.
    let subtitle = format!(
        "Mean balance across {}, stacked by state",
        super::format::count_of(meta.paths, "path")
    );
    StackedChart {
        header: meta.header("Balance by state", subtitle),
        y_title: meta.amount("Balance"),
        months: index.months.clone(),
        areas: series
            .iter()
            .map(|s| Area {
                label: s.title(),
                colour: s.colour,
                values: s.mean.clone(),
            })
            .collect(),
        lines: Vec::new(),
        legends: ("State".into(), String::new()),
        notes: if series.len() > 1 {
            vec!["Listed in stacking order, top band first".into()]
        } else {
            Vec::new()
        },
        empty: "No balances to show".into(),
    }
    .write(&dir.join("balance_by_state"))?;
    Ok(())
}

/// A flow's line: outflows to worse states dark, cures the colour of `current`, each with a
/// dash of its own.
fn flow_line(f: &FlowTotals, index: usize) -> Overlay {
    let (colour, stroke) = match f.name {
        "new_delinquencies" => (theme::OI_BLACK, Stroke::Solid),
        "cures" => (theme::OI_BLUE, Stroke::Solid),
        "charge_offs" => (theme::SOLD_GREY, Stroke::Dashed),
        "sales" => (theme::OI_GREEN, Stroke::Dotted),
        _ => (theme::series_colour(index), Stroke::Dashed),
    };
    Overlay {
        label: f.label.to_string(),
        colour,
        stroke,
        values: f.loans.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Transition matrices

/// Each segment's matrices as the engine follows them, aligned with
/// [`crate::model::SegmentModel::matrices`]: the base matrix first, then each month-on-book
/// override.
fn effective_matrices(model: &Model) -> Vec<Vec<TransitionMatrix>> {
    model
        .segments
        .iter()
        .enumerate()
        .map(|(seg_idx, seg)| {
            seg.matrices()
                .map(|m| {
                    model
                        .effective_matrix(seg_idx, m)
                        .expect("validation applied every action to every matrix")
                })
                .collect()
        })
        .collect()
}

/// Rows shown: `current` and the buckets a loan can be in (trigger buckets are left the month
/// they are entered, as a charge-off or a sale).
fn from_states(model: &Model) -> Vec<StateId> {
    model
        .space
        .on_book()
        .filter(|&s| !model.is_trigger(s))
        .collect()
}

/// Columns shown: every state a loan can be in next month; `sold` only when a sale on entering
/// a bucket makes it reachable through the matrix.
fn to_states(model: &Model) -> Vec<StateId> {
    let space = &model.space;
    let sells_on_entering = matches!(model.debt_sale, Some(DebtSale::OnEntering { .. }));
    (0..space.len() as StateId)
        .filter(|&s| !model.is_trigger(s) && (s != space.sold() || sells_on_entering))
        .collect()
}

/// `all` for a segment's only matrix; with overrides, `other` for the base matrix and
/// `first-last` for each override.
fn months_on_book_label(model: &Model, seg_idx: usize, matrix_idx: usize) -> String {
    let overrides = &model.segments[seg_idx].by_month_on_book;
    match matrix_idx {
        0 if overrides.is_empty() => "all".to_string(),
        0 => "other".to_string(),
        i => {
            let (lo, hi, _) = &overrides[i - 1];
            format!("{lo}-{hi}")
        }
    }
}

/// `transitions`: one row per segment, matrix, state moved from and state moved to, with the
/// monthly probability of the move as the engine applies it (collection actions applied,
/// trigger buckets redirected to `charged_off` or `sold`; before any systematic factor, stress
/// or posterior draw). `months_on_book` says which matrix: `all` when the segment has one,
/// else `other` (the base matrix) and `first-last` for each month-on-book override. Rows are
/// the states a loan can be in, columns the states it can reach; each row's probabilities sum
/// to one.
fn transition_rows(model: &Model, matrices: &[Vec<TransitionMatrix>]) -> Vec<TransitionRow> {
    let space = &model.space;
    let (rows, cols) = (from_states(model), to_states(model));
    let mut out = Vec::new();
    for (seg_idx, seg) in model.segments.iter().enumerate() {
        for (matrix_idx, matrix) in matrices[seg_idx].iter().enumerate() {
            let label = months_on_book_label(model, seg_idx, matrix_idx);
            for &i in &rows {
                for &j in &cols {
                    out.push(TransitionRow {
                        segment: seg.name.clone(),
                        months_on_book: label.clone(),
                        from: space.name(i).to_string(),
                        to: space.name(j).to_string(),
                        probability: matrix.get(i, j),
                    });
                }
            }
        }
    }
    out
}

/// `early stage · 2 actions`, `no stage`, or nothing for `current`.
fn row_detail(model: &Model, seg_idx: usize, state: StateId) -> String {
    let space = &model.space;
    let Some(stage) = space.states[state as usize].stage else {
        return match space.kind(state) {
            StateKind::Delinquent { .. } => "no stage".to_string(),
            _ => String::new(),
        };
    };
    let actions = model
        .actions
        .iter()
        .filter(|a| a.stage == stage && a.applies_to(seg_idx))
        .count();
    let name = &space.stages[stage].name;
    match actions {
        0 => format!("{name} stage"),
        1 => format!("{name} stage · 1 action"),
        n => format!("{name} stage · {n} actions"),
    }
}

/// The heatmap of a segment's base matrix `matrix` (effective: actions and triggers applied).
fn segment_heatmap(
    model: &Model,
    seg_idx: usize,
    matrix: &TransitionMatrix,
    meta: &ChartMeta,
) -> Heatmap {
    let space = &model.space;
    let seg = &model.segments[seg_idx];
    let (rows, cols) = (from_states(model), to_states(model));
    let acted = model.actions.iter().any(|a| a.applies_to(seg_idx));
    let sale = matches!(model.debt_sale, Some(DebtSale::OnEntering { .. }));
    let triggers = match (model.charge_off_on_entering.is_empty(), sale) {
        (false, true) => "charge-off and sale triggers",
        (false, false) => "charge-off triggers",
        (true, true) => "sale triggers",
        (true, false) => "",
    };
    let applied = match (acted, triggers.is_empty()) {
        (true, false) => format!("after collection actions and {triggers}"),
        (true, true) => "after collection actions".to_string(),
        (false, false) => format!("after {triggers}, with no collection actions"),
        (false, true) => "with no collection actions or triggers".to_string(),
    };
    let which = if seg.by_month_on_book.is_empty() {
        "As the engine applies it"
    } else {
        "Base matrix"
    };
    let subtitle = format!("{which}, {applied}; before any systematic factor or stress");

    let mut notes = vec![
        "Square-root scale, so small roll rates show".to_string(),
        String::new(),
        "Each row sums to 100%".to_string(),
    ];
    let mut redirected: Vec<String> = model
        .charge_off_on_entering
        .iter()
        .map(|&s| format!("Entering {} is charge-off", meta.state(space.name(s))))
        .collect();
    if let Some(DebtSale::OnEntering { state, .. }) = model.debt_sale {
        redirected.push(format!(
            "Entering {} is a sale",
            meta.state(space.name(state))
        ));
    }
    for line in redirected {
        notes.push(String::new());
        notes.push(line);
    }
    if !seg.by_month_on_book.is_empty() {
        let bands: Vec<String> = seg
            .by_month_on_book
            .iter()
            .map(|(lo, hi, _)| format!("{lo}-{hi}"))
            .collect();
        notes.push(String::new());
        let other = if bands.len() == 1 {
            "another matrix"
        } else {
            "other matrices"
        };
        notes.push(format!(
            "Months on book {} follow {other} (transitions.csv)",
            bands.join(", ")
        ));
    }
    if model.draw_posterior {
        notes.push(String::new());
        notes.push("Each path draws its rows from the posterior around these".to_string());
    }

    Heatmap {
        header: meta.header(
            &format!("Monthly transition matrix, segment {}", seg.name),
            subtitle,
        ),
        rows: rows
            .iter()
            .map(|&s| HeatmapRow {
                name: meta.state(space.name(s)),
                detail: row_detail(model, seg_idx, s),
            })
            .collect(),
        columns: cols.iter().map(|&s| meta.state(space.name(s))).collect(),
        cells: rows
            .iter()
            .map(|&i| {
                cols.iter()
                    .map(|&j| {
                        let p = matrix.get(i, j);
                        HeatmapCell {
                            probability: p,
                            text: if p == 0.0 {
                                String::new()
                            } else {
                                super::format::share(p)
                            },
                            detail: String::new(),
                        }
                    })
                    .collect()
            })
            .collect(),
        notes,
        axes: super::charts::heatmap::HeatmapAxes::transitions(),
    }
}

// ---------------------------------------------------------------------------------------------
// Timeline

/// The timeline's rows by (category, item, measure, month), and its months (0..=H).
struct TimelineIndex<'a> {
    rows: BTreeMap<(&'a str, &'a str, &'a str, u32), &'a TimelineRow>,
    months: Vec<u32>,
}

impl<'a> TimelineIndex<'a> {
    fn new(timeline: &'a [TimelineRow]) -> TimelineIndex<'a> {
        let rows: BTreeMap<_, _> = timeline
            .iter()
            .map(|r| {
                (
                    (
                        r.category.as_str(),
                        r.item.as_str(),
                        r.measure.as_str(),
                        r.month,
                    ),
                    r,
                )
            })
            .collect();
        let months = match timeline.iter().map(|r| r.month).max() {
            Some(last) => (0..=last).collect(),
            None => Vec::new(),
        };
        TimelineIndex { rows, months }
    }

    fn get(&self, category: &str, item: &str, measure: &str, month: u32) -> Option<&TimelineRow> {
        self.rows.get(&(category, item, measure, month)).copied()
    }

    /// Mean of a state's `loans` or `balance` at each month; 0 where the timeline has none.
    fn state_means(&self, state: &str, measure: &str) -> Vec<f64> {
        self.months
            .iter()
            .map(|&m| {
                self.get("state", state, measure, m)
                    .map_or(0.0, |r| r.estimate.mean)
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Stage flow

/// Name of the delinquent states outside every stage in the table.
const OTHER_DELINQUENT: &str = "other_delinquent";

/// Flows shown, with their labels: sales only when there are any.
const FLOWS: [(&str, &str); 4] = [
    ("new_delinquencies", "New delinquencies"),
    ("cures", "Cures"),
    ("charge_offs", "Charge-offs"),
    ("sales", "Sales"),
];

struct StageTotals {
    /// The stage's name, or `other_delinquent`.
    name: String,
    states: Vec<StateId>,
    /// Mean loans and mean balance at each month, summed over the stage's states.
    loans: Vec<f64>,
    balance: Vec<f64>,
}

impl StageTotals {
    /// The legend's label: the stage and the days past due its states span, `mid (31-90 DPD)`;
    /// `other delinquent` for the states outside every stage.
    fn label(&self, space: &crate::model::StateSpace) -> String {
        if self.name == OTHER_DELINQUENT {
            return "other delinquent".to_string();
        }
        let ranges: Vec<(u32, Option<u32>)> = self
            .states
            .iter()
            .filter_map(|&s| space.states[s as usize].dpd)
            .collect();
        let lo = ranges.iter().map(|r| r.0).min();
        let hi = ranges
            .iter()
            .map(|r| r.1)
            .try_fold(0, |top, r| r.map(|r| top.max(r)));
        match (lo, hi) {
            (Some(lo), Some(hi)) => format!("{} ({lo}-{hi} DPD)", self.name),
            (Some(lo), None) => format!("{} ({lo}+ DPD)", self.name),
            _ => self.name.clone(),
        }
    }
}

struct FlowTotals {
    name: &'static str,
    label: &'static str,
    /// Mean loans moving in each month; NaN at month 0, which has no flows.
    loans: Vec<f64>,
}

/// Accounts in each collection stage and the monthly flows, means across paths.
struct StageFlow {
    months: Vec<u32>,
    /// In delinquency order (by each stage's least overdue bucket), then the delinquent states
    /// without a stage.
    stages: Vec<StageTotals>,
    flows: Vec<FlowTotals>,
}

impl StageFlow {
    fn new(index: &TimelineIndex, model: &Model) -> StageFlow {
        let space = &model.space;
        // Trigger buckets are never occupied at a month end.
        let occupied = |s: &StateId| !model.is_trigger(*s);
        let mut groups: Vec<(String, Vec<StateId>)> = space
            .stages
            .iter()
            .map(|stage| {
                let states: Vec<StateId> = stage.states.iter().copied().filter(occupied).collect();
                (stage.name.clone(), states)
            })
            .filter(|(_, states)| !states.is_empty())
            .collect();
        groups.sort_by_key(|(_, states)| states.iter().min().copied());
        let unstaged: Vec<StateId> = space
            .on_book()
            .filter(|&s| {
                matches!(space.kind(s), StateKind::Delinquent { .. })
                    && space.states[s as usize].stage.is_none()
                    && occupied(&s)
            })
            .collect();
        if !unstaged.is_empty() {
            groups.push((OTHER_DELINQUENT.to_string(), unstaged));
        }
        let sum = |states: &[StateId], measure: &str| -> Vec<f64> {
            let mut total = vec![0.0; index.months.len()];
            for &s in states {
                for (t, v) in total
                    .iter_mut()
                    .zip(index.state_means(space.name(s), measure))
                {
                    *t += v;
                }
            }
            total
        };
        let stages = groups
            .into_iter()
            .map(|(name, states)| StageTotals {
                loans: sum(&states, "loans"),
                balance: sum(&states, "balance"),
                name,
                states,
            })
            .collect();
        let flows = FLOWS
            .iter()
            .map(|&(name, label)| FlowTotals {
                name,
                label,
                loans: index
                    .months
                    .iter()
                    .map(|&m| {
                        index
                            .get("flow", name, "loans", m)
                            .map_or(f64::NAN, |r| r.estimate.mean)
                    })
                    .collect(),
            })
            .filter(|f| f.name != "sales" || f.loans.iter().any(|&v| v > 0.0))
            .collect();
        StageFlow {
            months: index.months.clone(),
            stages,
            flows,
        }
    }

    /// `stage_flow`, in long form: one row per month and series. `kind` is `stage` (accounts at
    /// the month end in a collection stage, `name` the stage or `other_delinquent` for
    /// delinquent states outside every stage; `loans` and `balance` are means across paths,
    /// summed over the stage's states) or `flow` (accounts moving during the month, `name` one
    /// of `new_delinquencies`, `cures`, `charge_offs` and, when there are any, `sales`; `loans`
    /// is the mean count and `balance` is empty). Month 0 is the book at the start and has no
    /// flows.
    fn rows(&self) -> Vec<StageFlowRow> {
        let mut rows = Vec::new();
        for (k, &month) in self.months.iter().enumerate() {
            for s in &self.stages {
                rows.push(StageFlowRow {
                    month,
                    kind: "stage".into(),
                    name: s.name.clone(),
                    loans: s.loans[k],
                    balance: s.balance[k],
                });
            }
            for f in &self.flows {
                if month == 0 || !f.loans[k].is_finite() {
                    continue;
                }
                rows.push(StageFlowRow {
                    month,
                    kind: "flow".into(),
                    name: f.name.to_string(),
                    loans: f.loans[k],
                    balance: f64::NAN,
                });
            }
        }
        rows
    }
}

// ---------------------------------------------------------------------------------------------
// Balance fan

/// States whose balance the charts show, as `balance_by_state` picks them: `current` and the
/// buckets a loan can be in, then `charged_off`.
fn balance_states(model: &Model) -> Vec<StateId> {
    let space = &model.space;
    (0..space.len() as StateId)
        .filter(|&s| {
            (space.kind(s).is_on_book() && !model.is_trigger(s)) || s == space.charged_off()
        })
        .collect()
}

fn fan_series(index: &TimelineIndex, model: &Model, meta: &ChartMeta) -> Vec<FanSeries> {
    let space = &model.space;
    let states = balance_states(model);
    let is_bucket = |s: StateId| matches!(space.kind(s), StateKind::Delinquent { .. });
    let buckets = states.iter().filter(|&&s| is_bucket(s)).count();
    let mut rank = 0;
    states
        .into_iter()
        .map(|s| {
            let name = space.name(s);
            let pick = |f: fn(&TimelineRow) -> f64| -> Vec<f64> {
                index
                    .months
                    .iter()
                    .map(|&m| index.get("state", name, "balance", m).map_or(f64::NAN, f))
                    .collect()
            };
            let colour = theme::state_colour(name, rank, buckets);
            rank += usize::from(is_bucket(s));
            FanSeries {
                state: meta.state(name),
                stage: space.stage_name(s).map(str::to_string),
                colour,
                mean: pick(|r| r.estimate.mean),
                p5: pick(|r| r.estimate.p5),
                p50: pick(|r| r.estimate.p50),
                p95: pick(|r| r.estimate.p95),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(name: &str) -> Scenario {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(name);
        crate::scenario::load(&path).expect("example scenarios are valid")
    }

    /// A scenario run at a few paths, and its summary.
    fn run(text: &str) -> (Scenario, RunSummary) {
        let scenario = crate::scenario::parse(text, Path::new("test.toml"))
            .expect("the test scenario is valid");
        let book = crate::book::load(&scenario).expect("a synthetic book");
        let output = crate::engine::run(
            &scenario.simulation,
            &scenario.model,
            &book,
            Some(2),
            &|_| {},
        )
        .expect("the run succeeds");
        let profile = crate::metrics::BookProfile::new(&book, scenario.model.segments.len());
        let summary = crate::metrics::summary::summarise(&output, &scenario.model, &profile);
        (scenario, summary)
    }

    /// A small scenario; with `sale`, loans entering `dpd_61_90` are sold (so it has no row).
    fn scenario_text(horizon: u32, balance: f64, sale: bool) -> String {
        let (extra, initial, late_row) = if sale {
            (
                "[debt_sale]\ntrigger = \"state\"\nstate = \"dpd_61_90\"\nprice = 0.1\n",
                "current = 0.8, dpd_1_30 = 0.1, dpd_31_60 = 0.1",
                "",
            )
        } else {
            (
                "",
                "current = 0.8, dpd_1_30 = 0.1, dpd_31_60 = 0.05, dpd_61_90 = 0.05",
                "dpd_61_90 = { current = 0.05, dpd_61_90 = 0.10, dpd_91_plus = 0.85 }",
            )
        };
        format!(
            r#"
version = 1
[simulation]
name = "states"
paths = 20
horizon_months = {horizon}
seed = 11
[states]
buckets = [
  {{ name = "dpd_1_30", min_dpd = 1, max_dpd = 30 }},
  {{ name = "dpd_31_60", min_dpd = 31, max_dpd = 60 }},
  {{ name = "dpd_61_90", min_dpd = 61, max_dpd = 90 }},
  {{ name = "dpd_91_plus", min_dpd = 91 }},
]
[stages]
late = ["dpd_61_90"]
early = ["dpd_1_30"]
[charge_off]
dpd = 90
[book]
source = "synthetic"
{extra}
[segments.all.book]
loans = 300
balance = {{ distribution = "fixed", value = {balance} }}
apr = 0.12
term_months = 600
initial_states = {{ {initial} }}
[segments.all.transitions]
current   = {{ current = 0.90, dpd_1_30 = 0.07, paid_off = 0.03 }}
dpd_1_30  = {{ current = 0.45, dpd_1_30 = 0.10, dpd_31_60 = 0.40, paid_off = 0.05 }}
dpd_31_60 = {{ current = 0.20, dpd_1_30 = 0.05, dpd_31_60 = 0.10, dpd_61_90 = 0.65 }}
{late_row}
"#
        )
    }

    fn meta() -> ChartMeta {
        ChartMeta {
            scenario_name: "states".into(),
            seed: 11,
            paths: 20,
            ..ChartMeta::default()
        }
    }

    const FILES: [&str; 9] = [
        "transitions.csv",
        "transitions.parquet",
        "transition_heatmap_all.png",
        "transition_heatmap_all.svg",
        "stage_flow.csv",
        "stage_flow.parquet",
        "stage_flow.png",
        "stage_flow.svg",
        "balance_fan.png",
    ];

    fn written(dir: &Path) {
        for file in FILES.iter().chain(&["balance_fan.svg"]) {
            let path = dir.join(file);
            let size = std::fs::metadata(&path).map_or(0, |m| m.len());
            assert!(size > 0, "{} missing or empty", path.display());
        }
    }

    #[test]
    fn heatmap_rows_are_the_effective_matrix_and_sum_to_one() {
        let scenario = load("baseline.toml");
        let model = &scenario.model;
        let matrices = effective_matrices(model);
        assert!(!transition_rows(model, &matrices).is_empty());
        for (seg_idx, seg) in model.segments.iter().enumerate() {
            let effective = model.effective_matrix(seg_idx, &seg.transitions).unwrap();
            let chart = segment_heatmap(model, seg_idx, &matrices[seg_idx][0], &meta());
            let (rows, cols) = (from_states(model), to_states(model));
            assert_eq!(chart.rows.len(), rows.len());
            assert_eq!(chart.columns.len(), cols.len());
            for (r, &i) in rows.iter().enumerate() {
                let sum: f64 = chart.cells[r].iter().map(|c| c.probability).sum();
                assert!(
                    (sum - 1.0).abs() < 1e-9,
                    "{} row {i} sums to {sum}",
                    seg.name
                );
                for (c, &j) in cols.iter().enumerate() {
                    assert_eq!(chart.cells[r][c].probability, effective.get(i, j));
                }
            }
            // The actions moved something: the shown matrix is not the stated one.
            assert_ne!(effective, seg.transitions, "{}", seg.name);
        }
        // Baseline charges off on entering dpd_181_plus: no row or column for it.
        let trigger = model.space.id("dpd_181_plus").unwrap();
        assert!(!from_states(model).contains(&trigger));
        assert!(!to_states(model).contains(&trigger));
        assert!(!to_states(model).contains(&model.space.sold()));
        // The subprime override is in the table and named on the chart.
        let sub = model
            .segments
            .iter()
            .position(|s| s.name == "subprime")
            .unwrap();
        assert_eq!(months_on_book_label(model, sub, 0), "other");
        assert_eq!(months_on_book_label(model, sub, 1), "0-1");
        let chart = segment_heatmap(model, sub, &matrices[sub][0], &meta());
        let subtitle = &chart.header.subtitle;
        assert!(subtitle.starts_with("Base matrix"), "{subtitle}");
        assert!(chart.notes.iter().any(|n| n.contains("Months on book 0-1")));
    }

    #[test]
    fn stage_sums_equal_their_states_and_charts_are_written() {
        let (scenario, summary) = run(&scenario_text(6, 1000.0, false));
        let model = &scenario.model;
        let index = TimelineIndex::new(&summary.timeline);
        let flow = StageFlow::new(&index, model);
        // Stages in delinquency order whatever the file's order; dpd_31_60 has no stage and
        // dpd_91_plus is a charge-off trigger, never occupied.
        let names: Vec<&str> = flow.stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["early", "late", "other_delinquent"]);
        let other = &flow.stages[2];
        assert_eq!(other.states, [model.space.id("dpd_31_60").unwrap()]);
        for stage in &flow.stages {
            for (k, &m) in flow.months.iter().enumerate() {
                for measure in ["loans", "balance"] {
                    let expected: f64 = summary
                        .timeline
                        .iter()
                        .filter(|r| {
                            r.category == "state"
                                && r.measure == measure
                                && r.month == m
                                && stage.states.iter().any(|&s| model.space.name(s) == r.item)
                        })
                        .map(|r| r.estimate.mean)
                        .sum();
                    let got = if measure == "loans" {
                        stage.loans[k]
                    } else {
                        stage.balance[k]
                    };
                    assert!(
                        (got - expected).abs() < 1e-9,
                        "{} {measure} month {m}",
                        stage.name
                    );
                }
            }
        }
        assert!(flow.stages[0].loans[0] > 0.0);
        // No debt sale: no sales line.
        let flows: Vec<&str> = flow.flows.iter().map(|f| f.name).collect();
        assert_eq!(flows, ["new_delinquencies", "cures", "charge_offs"]);
        assert_eq!(flow.rows().len(), 7 * 3 + 6 * 3);

        let dir = tempfile::tempdir().unwrap();
        write_state_outputs(dir.path(), &meta(), &summary, &scenario).unwrap();
        written(dir.path());
        let svg = std::fs::metadata(dir.path().join("balance_fan.svg"))
            .unwrap()
            .len();
        assert!(svg < 100_000, "balance_fan.svg is {svg} bytes");
    }

    #[test]
    fn charts_draw_for_one_month_and_zero_balances() {
        let (scenario, summary) = run(&scenario_text(1, 0.0, false));
        let dir = tempfile::tempdir().unwrap();
        write_state_outputs(dir.path(), &meta(), &summary, &scenario).unwrap();
        written(dir.path());
    }

    #[test]
    fn charts_draw_one_state_and_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let series = [FanSeries {
            state: "current".into(),
            stage: None,
            colour: theme::OI_BLUE,
            mean: vec![1.0, 2.0],
            p5: vec![0.5, 1.0],
            p50: vec![1.0, 2.0],
            p95: vec![1.5, f64::NAN],
        }];
        fan::balance_fan(&dir.path().join("one"), &meta(), &[0, 1], &series).unwrap();
        fan::balance_fan(&dir.path().join("none"), &meta(), &[], &[]).unwrap();
        let chart = StackedChart {
            header: Default::default(),
            y_title: String::new(),
            months: vec![0],
            areas: vec![Area {
                label: "early".into(),
                colour: theme::OI_ORANGE,
                values: vec![3.0],
            }],
            lines: vec![Overlay {
                label: "Cures".into(),
                colour: theme::OI_BLUE,
                stroke: Stroke::Solid,
                values: vec![f64::NAN],
            }],
            legends: Default::default(),
            notes: Vec::new(),
            empty: String::new(),
        };
        chart.write(&dir.path().join("flow1")).unwrap();
        let empty = StackedChart {
            months: Vec::new(),
            areas: Vec::new(),
            lines: Vec::new(),
            ..chart
        };
        empty.write(&dir.path().join("flow0")).unwrap();
        for stem in ["one", "none", "flow1", "flow0"] {
            for ext in ["png", "svg"] {
                assert!(
                    dir.path().join(format!("{stem}.{ext}")).exists(),
                    "{stem}.{ext}"
                );
            }
        }
        let bad = [FanSeries {
            mean: vec![1.0],
            ..series[0].clone()
        }];
        assert!(fan::balance_fan(&dir.path().join("bad"), &meta(), &[0, 1], &bad).is_err());
    }

    #[test]
    fn sales_on_entering_show_as_a_column_and_a_flow() {
        let (scenario, summary) = run(&scenario_text(6, 1000.0, true));
        let model = &scenario.model;
        assert!(to_states(model).contains(&model.space.sold()));
        let index = TimelineIndex::new(&summary.timeline);
        let flow = StageFlow::new(&index, model);
        assert!(flow.flows.iter().any(|f| f.name == "sales"));
        // dpd_61_90 is a trigger now: the late stage is empty and left out.
        assert!(flow.stages.iter().all(|s| s.name != "late"));
    }
}
