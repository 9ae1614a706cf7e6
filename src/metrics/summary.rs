//! The run summary: from a run's per-path outcomes to everything the report needs besides the
//! raw paths ([`RunSummary`]): every figure of the registry ([`super::figures`]) as an
//! [`Estimate`], the tail measures of losses, the timeline by month, each cell an [`Estimate`]
//! ([`TimelineRow`]), the studies of the sibling modules (recoveries, write-offs, vintage
//! curves, disposition, convergence, stress comparison) and warnings about figures that rest
//! on too few paths. [`summarise`] is the one place a run is summarised: a stress set's
//! scenarios too, each once.

use serde::Serialize;

use super::disposition::DispositionSummary;
use super::estimate::{
    Estimate, MIN_EFFECTIVE_PATHS, MIN_TAIL_PATHS, TailMeasure, effective_sample_size,
    tail_measures_weighted,
};
use super::figures::{METRICS, metric};
use super::recovery::{
    CurveRow, GroupLabels, GroupRow, HistogramRow, WriteOffRow, recovery_by_group, recovery_curve,
    recovery_rate_distribution, write_offs,
};
use super::risk::{ConvergenceRow, StressRow, convergence, stress_comparison};
use crate::engine::RunOutput;
use crate::engine::outcome::{Flow, OutcomeLayout, PathOutcome, TimelineLayout};
use crate::model::Model;
use crate::model::StateSpace;

/// One figure's summary.
#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    pub name: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub description: &'static str,
    #[serde(flatten)]
    pub estimate: Estimate,
}

/// One row of the timeline table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimelineRow {
    pub month: u32,
    /// `"state"` or `"flow"`.
    pub category: String,
    /// State or flow name.
    pub item: String,
    /// Stage of the state; `None` for a state outside every stage and for a flow.
    pub stage: Option<String>,
    /// `"loans"`, `"balance"` or `"amount"`.
    pub measure: String,
    /// `"loans"` or `"currency"`.
    pub unit: String,
    /// The value across paths, weighted like every other figure.
    pub estimate: Estimate,
}

/// Everything the report needs besides the raw paths.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// How the outcomes summarised are laid out.
    pub layout: OutcomeLayout,
    pub headlines: Vec<Headline>,
    pub net_credit_loss_tail: Vec<TailMeasure>,
    /// VaR and expected shortfall of gross and net write-offs.
    pub write_off_tails: Vec<(&'static str, Vec<TailMeasure>)>,
    pub timeline: Vec<TimelineRow>,
    pub default_definition: String,
    pub recovery_groups: Vec<GroupRow>,
    pub recovery_distribution: Vec<HistogramRow>,
    pub recovery_curve: Vec<CurveRow>,
    pub write_offs: Vec<WriteOffRow>,
    /// Cumulative write-offs by vintage (oldest first) and month.
    pub vintage_curves: Vec<super::vintage::VintageRow>,
    pub disposition: Option<DispositionSummary>,
    pub convergence: Vec<ConvergenceRow>,
    /// Each scenario of a stress set (and the weighted blend); empty without `[[stress]]`.
    pub stress: Vec<StressRow>,
    /// Each scenario of a stress set summarised on its own paths (as its own folder of results
    /// shows it), in the set's order, with no stress rows of its own; empty without
    /// `[[stress]]`. The figures above are the first scenario's, plus the set's comparison.
    pub stress_scenarios: Vec<RunSummary>,
    /// Effective sample size of the paths (`paths` for a plain run).
    pub effective_sample_size: f64,
    /// Matrix rows clipped by conditioning on the factor, over all paths and months.
    pub clipped_rows: f64,
    /// Largest |money in - money accounted for| over paths; rounding only.
    pub conservation_max_residual: f64,
    pub warnings: Vec<String>,
}

fn warn_tail(warnings: &mut Vec<String>, what: &str, tail: &[TailMeasure]) {
    for t in tail {
        if (t.tail_paths as f64) < MIN_TAIL_PATHS {
            let needed = (MIN_TAIL_PATHS / (1.0 - t.level)).ceil() as u64;
            warnings.push(format!(
                "{}% VaR and expected shortfall of {what} rest on {} tail path{}; raise `paths` to at least {needed} for a stable figure",
                t.level * 100.0,
                t.tail_paths,
                if t.tail_paths == 1 { "" } else { "s" }
            ));
        }
    }
}

/// Summarises a run. A stress set is summarised scenario by scenario, each once: the run's
/// figures are its first scenario's (the engine's `paths` are a copy of that scenario's), with
/// the comparison of the set ([`RunSummary::stress`]) and what went wrong in the other
/// scenarios added.
pub fn summarise(output: &RunOutput, model: &Model, book: &super::BookProfile) -> RunSummary {
    if output.stress_runs.is_empty() {
        return summarise_paths(
            &output.paths,
            output.study_outcomes(),
            output.layout,
            model,
            book,
        );
    }
    // Validation keeps the disposition study out of a stress set, so no study warning follows
    // the ones appended below and the order of warnings is the one of a plain run.
    assert!(
        model.disposition.is_none() && output.study_paths.is_none(),
        "a stress set has no disposition study"
    );
    let stress_scenarios: Vec<RunSummary> = output
        .stress_runs
        .iter()
        .map(|run| summarise_paths(&run.paths, &run.paths, output.layout, model, book))
        .collect();
    let mut summary = stress_scenarios[0].clone();
    let stress_runs: Vec<(crate::model::systematic::StressPath, &[PathOutcome])> = output
        .stress_runs
        .iter()
        .map(|r| (r.stress.clone(), r.paths.as_slice()))
        .collect();
    summary.stress = stress_comparison(&stress_runs);
    // A stress set: what went wrong in any scenario, named (the figures above are the first's).
    for run in output.stress_runs.iter().skip(1) {
        let clipped: f64 = run.paths.iter().map(|p| p.clipped_rows).sum();
        if clipped > 0.0 {
            summary.warnings.push(format!(
                "stress scenario `{}`: {clipped:.0} matrix rows had roll and cure probabilities above one and were scaled down to fit; lower its multipliers or shift",
                run.stress.name
            ));
        }
    }
    summary.stress_scenarios = stress_scenarios;
    summary
}

/// The summary of one set of paths (`study`: the outcomes that carry the disposition study),
/// without the comparison of a stress set.
fn summarise_paths(
    paths: &[PathOutcome],
    study: &[PathOutcome],
    layout: OutcomeLayout,
    model: &Model,
    book: &super::BookProfile,
) -> RunSummary {
    let n_paths = paths.len();
    let mut warnings = Vec::new();
    let headlines: Vec<Headline> = METRICS
        .iter()
        .map(|m| {
            let (values, weights): (Vec<f64>, Vec<f64>) = paths
                .iter()
                .filter_map(|p| (m.value)(p).map(|v| (v, p.weight)))
                .unzip();
            if m.name == "recovery_rate" && values.len() < n_paths {
                warnings.push(format!(
                    "recovery rates rest on the {} of {n_paths} paths with defaults; raise `paths` or the horizon if that is few",
                    values.len()
                ));
            }
            Headline { name: m.name, label: m.label, unit: m.unit, description: m.description, estimate: Estimate::weighted(&values, &weights) }
        })
        .collect();
    let per_path = |name: &str| -> (Vec<f64>, Vec<f64>) {
        paths
            .iter()
            .filter_map(|p| (metric(name).value)(p).map(|v| (v, p.weight)))
            .unzip()
    };
    let tail_of = |name: &str| {
        let (v, w) = per_path(name);
        tail_measures_weighted(&v, &w)
    };
    let tail = tail_of("net_credit_loss");
    warn_tail(&mut warnings, "net credit loss", &tail);
    let write_off_tails = vec![
        ("gross_write_offs", tail_of("gross_write_offs")),
        ("net_write_offs", tail_of("net_write_offs")),
    ];
    let weights: Vec<f64> = paths.iter().map(|p| p.weight).collect();
    let effective_sample_size = effective_sample_size(&weights);
    if weights.iter().any(|&w| w != 1.0) && effective_sample_size < MIN_EFFECTIVE_PATHS {
        // First, so it heads the report and the screen.
        warnings.insert(0, format!(
            "NOT RELIABLE: importance sampling left an effective sample size of {effective_sample_size:.1} of {n_paths} paths, below {MIN_EFFECTIVE_PATHS:.0}: every figure rests on a handful of heavily weighted paths and can be far off, whatever its standard error says; raise `paths` or move `importance_shift` towards 0"
        ));
    } else if weights.iter().any(|&w| w != 1.0) {
        warnings.push(format!(
            "importance sampling: the {n_paths} weighted paths are worth {effective_sample_size:.0} plain ones for means and the timeline; the tail measures are what it sharpens, so read means from a plain run if their standard errors are too wide"
        ));
    }
    let clipped_rows: f64 = paths.iter().map(|p| p.clipped_rows).sum();
    if clipped_rows > 0.0 {
        warnings.push(format!(
            "{clipped_rows:.0} matrix rows had roll and cure probabilities above one under the factor and were scaled down to fit; lower `asset_correlation` or the stress multipliers if that is many"
        ));
    }
    let conservation_max_residual = paths
        .iter()
        .map(|p| p.conservation_residual().abs())
        .fold(0.0, f64::max);
    let segments: Vec<String> = model.segments.iter().map(|s| s.name.clone()).collect();
    let stages: Vec<String> = model.space.stages.iter().map(|s| s.name.clone()).collect();
    let labels = GroupLabels {
        segments: &segments,
        stages: &stages,
        vintages: &book.vintage_labels,
    };
    let disposition = model.disposition.as_ref().map(|disposition_study| {
        super::disposition::summarise(study, layout, disposition_study, &segments)
    });
    if let Some(d) = &disposition {
        for r in d
            .decisions
            .iter()
            .filter(|r| r.within_noise && r.segment == "all")
        {
            warnings.push(format!(
                "at {} the lead of `{}` over `{}` ({:.2} ± {:.2} cents per unit of face) is within Monte Carlo noise; raise `paths` to separate them",
                r.point,
                r.best,
                r.runner_up,
                100.0 * r.lead_per_face.mean,
                100.0 * r.lead_per_face.se
            ));
        }
    }
    RunSummary {
        layout,
        headlines,
        net_credit_loss_tail: tail,
        write_off_tails,
        timeline: timeline(paths, layout.timeline, &model.space),
        default_definition: model.default_definition.describe(),
        recovery_groups: recovery_by_group(paths, layout, &labels),
        recovery_distribution: recovery_rate_distribution(paths),
        recovery_curve: recovery_curve(paths),
        write_offs: write_offs(paths, layout, &segments, &book.segment_balances),
        vintage_curves: super::vintage::vintage_curves(paths, layout, &book.vintages),
        disposition,
        convergence: convergence(paths),
        stress: Vec::new(),
        stress_scenarios: Vec::new(),
        effective_sample_size,
        clipped_rows,
        conservation_max_residual,
        warnings,
    }
}

fn timeline(paths: &[PathOutcome], layout: TimelineLayout, space: &StateSpace) -> Vec<TimelineRow> {
    let mut rows = Vec::new();
    if paths.is_empty() {
        return rows;
    }
    let mut values = vec![0.0; paths.len()];
    let weights: Vec<f64> = paths.iter().map(|p| p.weight).collect();
    let cell = |idx: usize, values: &mut Vec<f64>| {
        for (v, p) in values.iter_mut().zip(paths) {
            *v = p.timeline[idx];
        }
        Estimate::weighted(values, &weights)
    };
    for month in 0..=layout.horizon_months {
        for state in 0..layout.n_states {
            let name = space.name(state as u8).to_string();
            let stage = space.stage_name(state as u8).map(str::to_string);
            for (measure, unit, idx) in [
                ("loans", "loans", layout.loans(month, state)),
                ("balance", "currency", layout.balance(month, state)),
            ] {
                rows.push(TimelineRow {
                    month: month as u32,
                    category: "state".into(),
                    item: name.clone(),
                    stage: stage.clone(),
                    measure: measure.into(),
                    unit: unit.into(),
                    estimate: cell(idx, &mut values),
                });
            }
        }
        if month == 0 {
            continue;
        }
        for flow in Flow::ALL {
            let estimate = cell(layout.flow(month, flow), &mut values);
            let measure = if flow.unit() == "loans" {
                "loans"
            } else {
                "amount"
            };
            rows.push(TimelineRow {
                month: month as u32,
                category: "flow".into(),
                item: flow.name().to_string(),
                stage: None,
                measure: measure.into(),
                unit: flow.unit().into(),
                estimate,
            });
        }
    }
    rows
}
