//! `arrears optimise SCENARIO`: the best collection strategy. Values every policy exactly
//! ([`crate::strategy::search`]), runs the champion (the scenario's actions) and the chosen
//! challenger through the engine on common random numbers ([`crate::strategy::confirm`]),
//! writes the folder ([`crate::report::optimise`]) and prints the choice.

use std::path::{Path, PathBuf};

use super::{CliError, check_duration, check_memory, check_run_numbers, progress_bar};
use crate::book;
use crate::engine;
use crate::model::{Model, group_thousands};
use crate::report::charts::ChartMeta;
use crate::report::optimise::{OptimisationFiles, write_optimisation};
use crate::results::atomic;
use crate::results::optimise_rows::{
    ChampionChallengerRow, CheckFile, FrontierRow, LiveTestRow, OptimisationSummaryFile, PolicyRow,
};
use crate::scenario::{self, Override};
use crate::strategy::confirm::{self, Check, Confirmation, LiveTest};
use crate::strategy::{
    self, BookPolicy, FrontierPoint, Plan, StrategyError, Valuation, candidates, group_book,
};

/// Options of `arrears optimise`.
#[derive(Debug, Clone)]
pub struct OptimiseOptions {
    pub scenario: PathBuf,
    pub overrides: Vec<Override>,
    /// Most to spend on collection actions per month (expected, averaged over the horizon).
    pub budget: Option<f64>,
    /// Actions every policy keeps on, by name.
    pub keep: Vec<String>,
    pub paths: Option<u64>,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub out: Option<PathBuf>,
    pub force: bool,
    pub quiet: bool,
    pub power: f64,
    pub alpha: f64,
}

impl From<StrategyError> for CliError {
    fn from(e: StrategyError) -> CliError {
        CliError::Usage {
            hint: e.hint(),
            message: e.to_string(),
        }
    }
}

/// Runs the command.
pub fn optimise(options: &OptimiseOptions) -> Result<(), CliError> {
    check_run_numbers(options.paths, options.seed, options.threads)?;
    for (flag, value) in [("power", options.power), ("alpha", options.alpha)] {
        if !(value > 0.0 && value < 1.0) {
            return Err(CliError::Usage {
                message: format!(
                    "`--{flag}` is {value}, expected a probability strictly between 0 and 1"
                ),
                hint: "e.g. `--power 0.8 --alpha 0.05` (80% power, two-sided 5% test)".into(),
            });
        }
    }
    if let Some(b) = options.budget
        && !(b >= 0.0 && b.is_finite())
    {
        return Err(StrategyError::NegativeBudget { budget: b }.into());
    }
    let mut scenario = scenario::load_with(&options.scenario, &options.overrides)?;
    super::warn(&scenario.warnings);
    if let Some(paths) = options.paths {
        scenario.simulation.paths = paths;
    }
    if let Some(seed) = options.seed {
        scenario.simulation.seed = seed;
    }
    let model = &scenario.model;
    strategy::check_model(model)?;
    let required = required_actions(model, &options.keep)?;
    let name = &scenario.simulation.name;
    let out_dir = options
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("{name}-optimise")));
    atomic::check_destination(&out_dir, options.force)?;
    let (book, _) = book::load_for_run(&scenario)?;
    let paths = scenario.simulation.paths;
    check_memory(&scenario, &book, 2 * paths)?;
    check_duration(&scenario, &book, 2 * paths)?;

    let valuation = Valuation::new(scenario.simulation.horizon_months, model.discount_rate);
    let groups = group_book(&book, model.segments.len());
    let plan = strategy::search::search(model, &groups, &valuation, &required, options.budget)?;
    let champion_policy = policy_of(&plan, &plan.champion);
    let challenger_policy = policy_of(&plan, &plan.chosen);

    let bar = progress_bar("simulating", 2 * paths, "paths", options.quiet);
    let run = |m: &Model, offset: u64| {
        engine::run(&scenario.simulation, m, &book, options.threads, &|done| {
            bar.set_position(offset + done);
        })
    };
    let champion_run = run(&champion_policy.model(model), 0)?;
    let challenger_run = if challenger_policy == champion_policy {
        champion_run.clone()
    } else {
        run(&challenger_policy.model(model), paths)?
    };
    bar.finish_and_clear();
    let horizon = scenario.simulation.horizon_months as usize;
    let champion_values = confirm::path_values(
        &champion_run.paths,
        champion_run.layout.timeline,
        &valuation,
    );
    let challenger_values = confirm::path_values(
        &challenger_run.paths,
        challenger_run.layout.timeline,
        &valuation,
    );
    let at_horizon = |v: &[Vec<f64>]| v.iter().map(|p| p[horizon - 1]).collect::<Vec<f64>>();
    let confirmation = confirm::confirm(
        plan.champion.value,
        plan.chosen.value,
        &at_horizon(&champion_values),
        &at_horizon(&challenger_values),
    );
    let by_month = |point: &FrontierPoint| -> Vec<f64> {
        (0..horizon)
            .map(|t| {
                plan.segments
                    .iter()
                    .zip(&point.choice)
                    .map(|(s, &c)| s.policies[c].value.by_month[t])
                    .sum()
            })
            .collect()
    };
    let loans = book.loans() as f64;
    let live = confirm::live_test(
        &by_month(&plan.champion),
        &by_month(&plan.chosen),
        &champion_values,
        &challenger_values,
        loans,
        options.power,
        options.alpha,
        scenario.simulation.horizon_months,
    );

    let display = &scenario.simulation.display;
    let files = OptimisationFiles {
        summary: summary_file(
            &scenario,
            options,
            &plan,
            &confirmation,
            &live,
            book.loans(),
            (&champion_policy, &challenger_policy),
        ),
        policy: policy_rows(model, &plan, &required),
        frontier: frontier_rows(model, &plan),
        champion_challenger: champion_challenger_rows(
            model,
            &plan,
            &confirmation,
            (&champion_policy, &challenger_policy),
        ),
        live_test: live
            .iter()
            .map(|l| LiveTestRow {
                months: l.months,
                difference_per_account: l.difference_per_account,
                sd_champion: l.sd_champion,
                sd_challenger: l.sd_challenger,
                accounts_per_arm: l.accounts_per_arm,
                accounts: 2.0 * l.accounts_per_arm,
            })
            .collect(),
        scenario_text: scenario.text.clone(),
        command: command_line(options),
        meta: ChartMeta {
            scenario_name: if display.title.trim().is_empty() {
                name.clone()
            } else {
                display.title.clone()
            },
            seed: scenario.simulation.seed,
            paths,
            currency: display.currency.clone(),
            labels: display.state_labels.clone(),
        },
    };
    write_optimisation(&out_dir, options.force, &files)?;
    if !options.quiet {
        print_choice(model, &plan, &confirmation, &live, options);
    }
    eprintln!("optimisation in {}", out_dir.display());
    Ok(())
}

/// `--keep` names as action indices; an unknown name is an error naming the known ones.
fn required_actions(model: &Model, keep: &[String]) -> Result<Vec<usize>, CliError> {
    keep.iter()
        .map(|name| {
            model
                .actions
                .iter()
                .position(|a| &a.name == name)
                .ok_or_else(|| CliError::Usage {
                    message: format!("`--keep {name}`: the scenario has no action `{name}`"),
                    hint: format!(
                        "the scenario's actions are {}",
                        model
                            .actions
                            .iter()
                            .map(|a| format!("`{}`", a.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                })
        })
        .collect()
}

/// The book policy of a frontier point.
fn policy_of(plan: &Plan, point: &FrontierPoint) -> BookPolicy {
    BookPolicy {
        on: plan
            .segments
            .iter()
            .zip(&point.choice)
            .map(|(s, &c)| s.policies[c].on.clone())
            .collect(),
    }
}

fn check_file(c: &Check) -> CheckFile {
    CheckFile {
        exact: c.exact,
        mc_mean: c.mean,
        mc_se: c.se,
        z: c.z,
    }
}

fn summary_file(
    scenario: &scenario::Scenario,
    options: &OptimiseOptions,
    plan: &Plan,
    confirmation: &Confirmation,
    live: &[LiveTest],
    loans: u64,
    (champion, challenger): (&BookPolicy, &BookPolicy),
) -> OptimisationSummaryFile {
    let model = &scenario.model;
    let policies_valued = plan.segments.iter().map(|s| s.policies.len() as u64).sum();
    OptimisationSummaryFile {
        scenario: scenario.simulation.name.clone(),
        scenario_sha256: scenario.file_sha256.clone(),
        seed: scenario.simulation.seed,
        paths: scenario.simulation.paths,
        horizon_months: scenario.simulation.horizon_months,
        loans,
        discount_rate: model.discount_rate,
        currency: scenario.simulation.display.currency.clone(),
        budget_per_month: options.budget,
        lagrange_multiplier: plan.lambda,
        required_actions: options.keep.clone(),
        champion: champion.describe(model),
        challenger: challenger.describe(model),
        champion_spend_per_month: plan.champion.spend_per_month,
        challenger_spend_per_month: plan.chosen.spend_per_month,
        champion_value: check_file(&confirmation.champion),
        challenger_value: check_file(&confirmation.challenger),
        value_gain: check_file(&confirmation.difference),
        policies_valued,
        book_policies: plan
            .segments
            .iter()
            .map(|s| s.policies.len() as u64)
            .fold(1u64, u64::saturating_mul),
        frontier_vertices: plan.frontier.hull.len() as u64,
        power: options.power,
        alpha: options.alpha,
        live_test_accounts_per_arm: live.last().map_or(f64::NAN, |l| l.accounts_per_arm),
        notes: notes(scenario, plan),
    }
}

/// What the value counts and how far it is exact, as the report lists it.
fn notes(scenario: &scenario::Scenario, plan: &Plan) -> Vec<String> {
    let model = &scenario.model;
    let mut notes = vec![
        format!(
            "Value: the present value over the {}-month horizon of the book's cash in (instalments, prepayments, cure and partial payments, recoveries, sale proceeds) less collection costs (the actions' cost per account-month, the recovery cost share and cost per account), plus the balance of loans still current at the horizon's end, at par.",
            scenario.simulation.horizon_months
        ),
        match model.discount_rate {
            Some(r) => format!("Discounted monthly at the scenario's `discount_rate` of {:.2}% a year.", 100.0 * r),
            None => "Undiscounted: the scenario sets no `discount_rate`.".into(),
        },
        "Spend: the expected cost of collection actions per month, averaged over the horizon; a budget bounds it.".into(),
        "Exact values: the expected cash of each group of like loans, carried month by month with the expected balance and instalment in each state. Exact except where a rule clips an amount to what is owed (near or past maturity), where the clip applies to the state's expected figures; the Monte Carlo z-scores measure the difference.".into(),
        "The scenario's `[debt_sale]` and `[recovery]` apply to every policy; agency placement is not a choice here.".into(),
    ];
    if !plan.frontier.complete {
        notes.push(format!(
            "The book has more than {} policies: the frontier table lists the frontier's vertices and the champion only.",
            strategy::search::MAX_LISTED
        ));
    }
    if let Some(budget) = plan.budget {
        notes.push(format!(
            "Budget {} per month; the chosen policy spends {} of it. A policy off the frontier could use the rest (the duality gap of choosing among discrete policies).",
            group_thousands(budget, 0),
            group_thousands(plan.chosen.spend_per_month, 0)
        ));
    }
    notes
}

fn policy_rows(model: &Model, plan: &Plan, required: &[usize]) -> Vec<PolicyRow> {
    let mut rows = Vec::new();
    for (s, seg) in plan.segments.iter().enumerate() {
        let champion = &seg.policies[plan.champion.choice[s]].on;
        let chosen = &seg.policies[plan.chosen.choice[s]].on;
        for stage in 0..model.space.stages.len() {
            for a in candidates(model, s, stage) {
                let action = &model.actions[a];
                rows.push(PolicyRow {
                    segment: model.segments[s].name.clone(),
                    stage: model.space.stages[stage].name.clone(),
                    action: action.name.clone(),
                    cost_per_account: action.cost_per_account,
                    cure_multiplier: action.cure_multiplier,
                    roll_multiplier: action.roll_multiplier,
                    required: required.contains(&a),
                    champion: champion.contains(&a),
                    chosen: chosen.contains(&a),
                });
            }
        }
    }
    rows
}

fn frontier_rows(model: &Model, plan: &Plan) -> Vec<FrontierRow> {
    plan.frontier
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| FrontierRow {
            policy: i as u64,
            description: policy_of(plan, p).describe(model),
            spend_per_month: p.spend_per_month,
            value: p.value,
            on_frontier: p.on_frontier,
            champion: p.choice == plan.champion.choice,
            chosen: p.choice == plan.chosen.choice,
        })
        .collect()
}

fn champion_challenger_rows(
    model: &Model,
    plan: &Plan,
    c: &Confirmation,
    (champion, challenger): (&BookPolicy, &BookPolicy),
) -> Vec<ChampionChallengerRow> {
    let row =
        |policy: &str, description: String, spend: f64, check: &Check| ChampionChallengerRow {
            policy: policy.into(),
            description,
            spend_per_month: spend,
            exact_value: check.exact,
            mc_value: check.mean,
            mc_value_se: check.se,
            z: check.z,
        };
    vec![
        row(
            "champion",
            champion.describe(model),
            plan.champion.spend_per_month,
            &c.champion,
        ),
        row(
            "challenger",
            challenger.describe(model),
            plan.chosen.spend_per_month,
            &c.challenger,
        ),
        row(
            "difference",
            "challenger less champion".into(),
            plan.chosen.spend_per_month - plan.champion.spend_per_month,
            &c.difference,
        ),
    ]
}

/// The command as the report shows it (the options that change the result).
fn command_line(o: &OptimiseOptions) -> String {
    let mut parts = vec![
        "arrears optimise".to_string(),
        o.scenario.display().to_string(),
    ];
    if let Some(b) = o.budget {
        parts.push(format!("--budget {b}"));
    }
    for k in &o.keep {
        parts.push(format!("--keep {k}"));
    }
    for s in &o.overrides {
        parts.push(format!("--set {}={}", s.key, s.value));
    }
    if let Some(p) = o.paths {
        parts.push(format!("--paths {p}"));
    }
    if let Some(s) = o.seed {
        parts.push(format!("--seed {s}"));
    }
    parts.join(" ")
}

/// The short table on stdout.
fn print_choice(
    model: &Model,
    plan: &Plan,
    c: &Confirmation,
    live: &[LiveTest],
    o: &OptimiseOptions,
) {
    let amount = |x: f64| group_thousands(x, 0);
    match plan.budget {
        Some(b) => println!(
            "chosen policy within a budget of {} per month (marginal value of budget {:.2} per unit):",
            amount(b),
            plan.lambda
        ),
        None => println!("chosen policy (no budget: the highest value):"),
    }
    for (s, seg) in plan.segments.iter().enumerate() {
        println!(
            "  {:<14} {}",
            model.segments[s].name,
            strategy::describe_segment(model, s, &seg.policies[plan.chosen.choice[s]].on)
        );
    }
    println!(
        "{:<12} {:>16} {:>14} {:>26} {:>7}",
        "policy", "exact value", "spend/month", "Monte Carlo", "z"
    );
    for (name, spend, check) in [
        ("champion", plan.champion.spend_per_month, &c.champion),
        ("challenger", plan.chosen.spend_per_month, &c.challenger),
        (
            "gain",
            plan.chosen.spend_per_month - plan.champion.spend_per_month,
            &c.difference,
        ),
    ] {
        println!(
            "{:<12} {:>16} {:>14} {:>26} {:>7.2}",
            name,
            amount(check.exact),
            amount(spend),
            format!("{} ± {}", amount(check.mean), amount(check.se)),
            check.z
        );
    }
    if let Some(l) = live.last() {
        if l.accounts_per_arm.is_finite() {
            println!(
                "live test over {} months: {} accounts per arm ({} in all) to detect {:+.2} per account at {:.0}% power, two-sided {:.0}%",
                l.months,
                amount(l.accounts_per_arm),
                amount(2.0 * l.accounts_per_arm),
                l.difference_per_account,
                100.0 * o.power,
                100.0 * o.alpha
            );
        } else {
            println!("live test: the chosen policy is the champion; nothing to detect");
        }
    }
}

/// The arguments of `arrears optimise`.
#[derive(Debug, clap::Args)]
pub struct OptimiseArgs {
    /// Scenario file (TOML) with `[[actions]]`; `-` reads it from standard input
    scenario: PathBuf,
    /// Most to spend on collection actions per month, expected and averaged over the horizon
    /// [default: no limit]
    #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
    budget: Option<f64>,
    /// An action every policy keeps on wherever it applies (repeatable), e.g. a required notice
    #[arg(long, value_name = "ACTION")]
    keep: Vec<String>,
    /// Change a scenario key before it is checked, by its dotted path (repeatable), as for
    /// `arrears run`
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub(super) set: Vec<String>,
    /// Monte Carlo paths of each of champion and challenger (overrides `simulation.paths`)
    #[arg(long)]
    paths: Option<u64>,
    /// Random seed (overrides `simulation.seed`)
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads; results do not depend on it
    #[arg(long)]
    threads: Option<usize>,
    /// Result folder [default: output/<simulation.name>-optimise]
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the result folder if it exists
    #[arg(long)]
    force: bool,
    /// No progress bar and nothing on stdout
    #[arg(long, short)]
    quiet: bool,
    /// Power of the live test to size
    #[arg(long, default_value_t = 0.8)]
    power: f64,
    /// Two-sided significance level of the live test
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
}

impl OptimiseArgs {
    /// The options, with `--set` already parsed.
    pub(super) fn options(self, overrides: Vec<Override>) -> OptimiseOptions {
        OptimiseOptions {
            scenario: self.scenario,
            overrides,
            budget: self.budget,
            keep: self.keep,
            paths: self.paths,
            seed: self.seed,
            threads: self.threads,
            out: self.out,
            force: self.force,
            quiet: self.quiet,
            power: self.power,
            alpha: self.alpha,
        }
    }
}
