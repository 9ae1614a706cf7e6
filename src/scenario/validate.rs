//! Raw scenario -> model. Every check appends a [`Diagnostic`] and carries on with a stand-in
//! value, so one run of `arrears validate` lists every problem in the file.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use super::raw::*;
use super::sweep::{self, Combine, Sweep, SweepValue, Vary};
use super::{
    BalanceDistribution, BookSource, CellRules, Diagnostic, DisplayNames, FORMAT_VERSION, Mode,
    Simulation, SyntheticSegment,
};
use crate::model::disposition::{
    Agency, Buyer, DispositionStudy, Placement, PointKind, SalePoint, SalePrice,
};
use crate::model::states::{CHARGED_OFF_NAME, CURRENT_NAME, PAID_OFF_NAME, SOLD_NAME};
use crate::model::systematic::{
    BASEL_REVOLVING_CORRELATION, FactorDynamics, StressPath, Systematic,
    basel_other_retail_correlation,
};
use crate::model::{
    Bucket, CollectionAction, DebtSale, DefaultDefinition, MatrixError, Model, MoneyRules,
    PartialPayments, Product, RecoveryPolicy, SegmentModel, StateId, StateSpace, TransitionMatrix,
};

/// Largest number of delinquency buckets (state ids are `u8`, with room for the others).
const MAX_BUCKETS: usize = 64;
/// Upper bounds that catch typos (an extra zero) long before they exhaust memory or patience.
pub const MAX_PATHS: i64 = 10_000_000;
const MAX_HORIZON_MONTHS: i64 = 600;
/// Most worker threads a scenario or `--threads` may ask for.
pub const MAX_THREADS: i64 = 1024;
/// Largest days past due a bucket may start or end at.
const MAX_DPD: i64 = 100_000;
const MAX_SYNTHETIC_LOANS: i64 = 100_000_000;

/// Collects the diagnostics of one file. Shared with the calibration file, which states its
/// buckets and charge-off policy in the scenario's own words.
pub(crate) struct Ctx {
    pub(crate) diags: Vec<Diagnostic>,
    /// What is accepted but worth saying: the scenario runs, the user is told.
    pub(crate) warnings: Vec<Diagnostic>,
}

fn span<T>(s: &Spanned<T>) -> Option<Range<usize>> {
    Some(s.span())
}

impl Ctx {
    pub(crate) fn warn<T>(&mut self, at: &Spanned<T>, message: impl Into<String>) {
        self.warnings.push(Diagnostic::new(message, span(at)));
    }

    pub(crate) fn error<T>(
        &mut self,
        at: &Spanned<T>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.diags
            .push(Diagnostic::new(message, span(at)).hint(hint));
    }

    /// A number in `[lo, hi]`; `what` names the key.
    pub(crate) fn in_range(
        &mut self,
        v: &Spanned<f64>,
        lo: f64,
        hi: f64,
        what: &str,
        hint: &str,
    ) -> f64 {
        let x = *v.get_ref();
        if !(lo..=hi).contains(&x) {
            self.error(
                v,
                format!("`{what}` is {x}, expected a number in [{lo}, {hi}]"),
                hint,
            );
            return lo.max(0.0).min(hi);
        }
        x
    }

    pub(crate) fn int_in_range(
        &mut self,
        v: &Spanned<i64>,
        lo: i64,
        hi: i64,
        what: &str,
        hint: &str,
    ) -> i64 {
        let x = *v.get_ref();
        if !(lo..=hi).contains(&x) {
            self.error(
                v,
                format!("`{what}` is {x}, expected a whole number in [{lo}, {hi}]"),
                hint,
            );
            return lo;
        }
        x
    }

    pub(crate) fn identifier(&mut self, v: &Spanned<String>, what: &str) {
        let s = v.get_ref();
        let ok = !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !s.starts_with(|c: char| c.is_ascii_digit());
        if !ok {
            self.error(
                v,
                format!("{what} `{s}` is not a valid name"),
                "use lowercase letters, digits and `_`, starting with a letter (names become column values and file names)",
            );
        }
    }
}

pub(super) fn validate(
    raw: &RawScenario,
    base_dir: &Path,
) -> Result<(Simulation, Model, BookSource, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut cx = Ctx {
        diags: Vec::new(),
        warnings: Vec::new(),
    };
    if *raw.version.get_ref() != FORMAT_VERSION {
        cx.error(
            &raw.version,
            format!(
                "scenario format version {} is not supported",
                raw.version.get_ref()
            ),
            format!("this build of arrears reads `version = {FORMAT_VERSION}`"),
        );
    }
    let mut simulation = simulation(&mut cx, &raw.simulation);
    simulation.sweep = raw
        .sweep
        .as_ref()
        .and_then(|s| sweep(&mut cx, s.get_ref(), s));
    simulation.cells = cell_rules(&mut cx, raw, simulation.mode);
    let space = states(&mut cx, &raw.states, &raw.stages);
    simulation.display.state_labels = state_labels(&mut cx, &raw.states, &space);
    simulation.display.states = space.states.iter().map(|s| s.name.clone()).collect();
    simulation.display.stages = space
        .stages_in_delinquency_order()
        .map(|s| s.name.clone())
        .collect();
    let segment_names: Vec<String> = raw
        .segments
        .get_ref()
        .keys()
        .map(|k| k.get_ref().clone())
        .collect();
    if segment_names.is_empty() {
        cx.error(
            &raw.segments,
            "the scenario has no segments",
            "add at least one `[segments.NAME]` with its `transitions`",
        );
    }
    let charge_off_on_entering = charge_off(&mut cx, raw.charge_off.as_ref(), &space);
    let debt_sale = debt_sale(
        &mut cx,
        raw,
        &space,
        &charge_off_on_entering,
        simulation.horizon_months,
    );
    let triggers: Vec<StateId> = charge_off_on_entering
        .iter()
        .copied()
        .chain(match debt_sale {
            Some(DebtSale::OnEntering { state, .. }) => Some(state),
            _ => None,
        })
        .collect();
    let mut segments = Vec::new();
    for (name, seg) in raw.segments.get_ref() {
        cx.identifier(name, "segment name");
        segments.push(segment(&mut cx, name.get_ref(), seg, &space, &triggers));
    }
    let actions = actions(&mut cx, raw, &space, &segment_names);
    let money = money(&mut cx, &raw.money);
    let recovery = recovery(&mut cx, raw);
    let discount_rate = raw.simulation.discount_rate.as_ref().map(|r| {
        cx.in_range(r, 0.0, 10.0, "simulation.discount_rate", "an effective annual rate: 0.12 for 12% a year; leave it out to discount at each loan's APR")
    });
    let book = book(&mut cx, raw, base_dir, &space, &triggers);
    let default_definition = default_definition(&mut cx, raw, &space);
    let disposition = disposition(
        &mut cx,
        raw,
        &space,
        &charge_off_on_entering,
        simulation.horizon_months,
    );

    let mut model = Model {
        space,
        segments,
        actions,
        charge_off_on_entering,
        money,
        recovery,
        debt_sale,
        discount_rate,
        default_definition,
        disposition,
        systematic: None,
        stress: Vec::new(),
        draw_posterior: false,
    };
    model.draw_posterior = parameter_uncertainty(&mut cx, raw, &model);
    model.systematic = systematic(&mut cx, raw, &model);
    if raw.systematic.is_none() {
        for (_, seg) in raw.segments.get_ref() {
            if let Some(a) = &seg.get_ref().asset_correlation {
                cx.error(
                    a,
                    "`asset_correlation` needs a systematic factor",
                    "add `[systematic]` to the scenario, or remove the key",
                );
            }
        }
    }
    model.stress = stress_paths(
        &mut cx,
        raw,
        simulation.horizon_months,
        model.systematic.is_some(),
    );
    if !raw.stress.is_empty()
        && let Some(d) = &raw.disposition
    {
        cx.error(
            d,
            "a disposition study cannot run inside a stress set yet",
            "run the study in a scenario without [[stress]], one per stress setting if needed",
        );
    }
    if simulation.mode == Mode::Count
        && let Some(d) = &raw.disposition
    {
        cx.error(
            d,
            "count mode cannot run a disposition study: the study values each loan's own sale points",
            "run the study with `mode = \"loan\"`, or remove `[disposition]`",
        );
    }
    if let (Some(d), Some(sys)) = (&raw.disposition, &raw.systematic)
        && sys.get_ref().importance_shift.is_some()
    {
        cx.error(d, "a disposition study cannot run with importance sampling", "remove `importance_shift`: importance sampling serves the tail measures, not the study");
    }
    // Actions that leave no room in a row show up only once applied.
    if cx.diags.is_empty() {
        for (seg_idx, seg) in model.segments.iter().enumerate() {
            for matrix in seg.matrices() {
                if let Err(e) = model.effective_matrix(seg_idx, matrix) {
                    // Point at the first action working the stage of the row that overflowed.
                    let crate::model::ActionError::NoRoom { state, .. } = &e;
                    let stage = model
                        .space
                        .id(state)
                        .and_then(|id| model.space.stage_name(id));
                    let at = raw
                        .actions
                        .iter()
                        .find(|a| Some(a.get_ref().stage.get_ref().as_str()) == stage)
                        .or(raw.actions.first())
                        .map(|a| a.span());
                    cx.diags.push(Diagnostic::new(e.to_string(), at).hint(
                        "lower the actions' `cure_multiplier`/`roll_multiplier`, or leave probability to stay in the bucket that they can take from",
                    ));
                    break;
                }
            }
        }
    }
    if cx.diags.is_empty() {
        Ok((simulation, model, book, cx.warnings))
    } else {
        Err(cx.diags)
    }
}

/// Lognormal balances: the spread (sd / mean) beyond which the log-scale parameters lose all
/// precision (at 100 the log's sd is already 3.0), and the smallest mean (a cent).
const MIN_LOGNORMAL_MEAN: f64 = 0.01;
const MAX_LOGNORMAL_CV: f64 = 100.0;

fn simulation(cx: &mut Ctx, raw: &RawSimulation) -> Simulation {
    let name = raw.name.get_ref().clone();
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        && !name.starts_with('.');
    if !name_ok {
        cx.error(
            &raw.name,
            format!(
                "simulation name `{}` cannot be a folder name",
                crate::input::snippet(&name, 60)
            ),
            "use letters, digits, `_`, `-` and `.`; results go to `output/<name>/`",
        );
    } else if name.len() > crate::input::MAX_NAME_BYTES {
        cx.error(
            &raw.name,
            format!(
                "simulation name is {} characters long; a folder name takes at most {}",
                name.len(),
                crate::input::MAX_NAME_BYTES
            ),
            "choose a shorter name; results go to `output/<name>/`",
        );
    }
    let paths = cx.int_in_range(
        &raw.paths,
        1,
        MAX_PATHS,
        "simulation.paths",
        "the number of Monte Carlo paths, e.g. 1000",
    );
    let horizon = cx.int_in_range(
        &raw.horizon_months,
        1,
        MAX_HORIZON_MONTHS,
        "simulation.horizon_months",
        "how many months to simulate, e.g. 36",
    );
    let seed = cx.int_in_range(
        &raw.seed,
        0,
        i64::MAX,
        "simulation.seed",
        "any whole number from 0 up",
    );
    let threads = raw.threads.as_ref().map(|t| {
        cx.int_in_range(
            t,
            1,
            MAX_THREADS,
            "simulation.threads",
            "leave it out to use every core; results do not depend on it",
        ) as usize
    });
    let mode = match raw.mode.as_ref().map(|m| (m, m.get_ref().as_str())) {
        None | Some((_, "loan")) => Mode::Loan,
        Some((_, "count")) => Mode::Count,
        Some((m, other)) => {
            cx.error(
                m,
                format!("unknown simulation mode `{other}`"),
                "use `\"loan\"` (every loan on its own, the default) or `\"count\"` (cells of identical loans moved by counts, for very large books)",
            );
            Mode::Loan
        }
    };
    Simulation {
        name: name.clone(),
        paths: paths as u64,
        horizon_months: horizon as u32,
        seed: seed as u64,
        threads,
        mode,
        cells: CellRules::default(),
        display: DisplayNames {
            title: text(cx, raw.title.as_ref(), "simulation.title").unwrap_or(name),
            state_labels: BTreeMap::new(),
            states: Vec::new(),
            stages: Vec::new(),
            currency: text(cx, raw.currency.as_ref(), "simulation.currency").unwrap_or_default(),
        },
        sweep: None,
    }
}

/// `[sweep]`: the varied keys (each a `values` list or a `from`/`to`/`step` range), how they
/// combine, the reference point. The keys themselves are checked when each point is applied,
/// like `--set`.
fn sweep(cx: &mut Ctx, raw: &RawSweep, at: &Spanned<RawSweep>) -> Option<Sweep> {
    let mut vary = Vec::new();
    if raw.vary.is_empty() {
        cx.error(
            at,
            "`[sweep]` varies no key",
            "add `[[sweep.vary]]` tables, each with a `key` and `values = [...]` or `from`, `to` and `step`",
        );
    }
    for v in &raw.vary {
        let key = v.get_ref().key.get_ref().trim().to_string();
        if key.is_empty() || key.split('.').any(|p| p.trim().is_empty()) {
            cx.error(
                &v.get_ref().key,
                format!("`{key}` is not a dotted key"),
                "name the key by its dotted path, as `--set` does: `debt_sale.price`, `charge_off.dpd`",
            );
            continue;
        }
        let r = v.get_ref();
        let values = match (&r.values, &r.from, &r.to, &r.step) {
            (Some(values), None, None, None) => {
                let parsed: Option<Vec<SweepValue>> =
                    values.get_ref().iter().map(SweepValue::from_toml).collect();
                match parsed {
                    Some(list) if !list.is_empty() => list,
                    Some(_) => {
                        cx.error(values, "`values` is empty", "give at least one value");
                        continue;
                    }
                    None => {
                        cx.error(
                            values,
                            "`values` holds an array or a table",
                            "give numbers or strings: `values = [0.02, 0.04, 0.06]`",
                        );
                        continue;
                    }
                }
            }
            (None, Some(from), Some(to), Some(step)) => {
                let value = |v: &Spanned<toml::Value>| {
                    SweepValue::from_toml(v.get_ref()).unwrap_or(SweepValue::Text(String::new()))
                };
                match sweep::range(&value(from), &value(to), &value(step)) {
                    Ok(list) => list,
                    Err(e) => {
                        cx.error(from, e, "`from`, `to` and `step` are numbers, `to` at least `from`, `step` above 0");
                        continue;
                    }
                }
            }
            _ => {
                cx.error(
                    v,
                    format!("`{key}`: give either `values` or all of `from`, `to` and `step`"),
                    "`values = [120, 150, 180]`, or `from = 0.02`, `to = 0.08`, `step = 0.01`",
                );
                continue;
            }
        };
        vary.push(Vary { key, values });
    }
    let combine = match raw.combine.as_ref().map(|c| c.get_ref().as_str()) {
        None | Some("grid") => Combine::Grid,
        Some("zip") => Combine::Zip,
        Some(other) => {
            cx.error(
                raw.combine.as_ref().expect("matched Some"),
                format!("unknown `combine = \"{other}\"`"),
                "use `\"grid\"` (every combination) or `\"zip\"` (the i-th value of every key together)",
            );
            Combine::Grid
        }
    };
    let reference = match &raw.reference {
        Some(r) if *r.get_ref() < 0 => {
            cx.error(
                r,
                "`reference` is below 0",
                "the reference is a point's number, from 0",
            );
            0
        }
        Some(r) => *r.get_ref() as usize,
        None => 0,
    };
    let figures = raw
        .figures
        .iter()
        .flatten()
        .map(|f| f.get_ref().clone())
        .collect();
    let sweep = Sweep {
        vary,
        combine,
        reference,
        figures,
    };
    if !sweep.vary.is_empty()
        && sweep.vary.len() == raw.vary.len()
        && let Err(e) = sweep.points()
    {
        cx.error(at, e, "see `[sweep]` in docs/SCENARIOS.md");
        return None;
    }
    Some(sweep)
}

/// A display text: trimmed, an error when empty.
fn text(cx: &mut Ctx, raw: Option<&Spanned<String>>, key: &str) -> Option<String> {
    let raw = raw?;
    let value = raw.get_ref().trim();
    if value.is_empty() {
        cx.error(
            raw,
            format!("`{key}` is empty"),
            "give the text, or leave the key out for the default",
        );
    }
    Some(value.to_string())
}

/// Every state's label: `[states] labels` where given (each naming a state of the scenario),
/// the key prettified elsewhere.
fn state_labels(cx: &mut Ctx, raw: &RawStates, space: &StateSpace) -> BTreeMap<String, String> {
    let mut labels: BTreeMap<String, String> = (0..space.len() as StateId)
        .map(|s| {
            (
                space.name(s).to_string(),
                super::prettify_state(space.name(s)),
            )
        })
        .collect();
    for (key, label) in raw
        .labels
        .as_ref()
        .map(|l| l.get_ref().iter())
        .into_iter()
        .flatten()
    {
        if space.id(key.get_ref()).is_none() {
            let known: Vec<&str> = (0..space.len() as StateId).map(|s| space.name(s)).collect();
            cx.error(
                key,
                format!("a label for unknown state `{}`", key.get_ref()),
                format!("label the scenario's states: {}", known.join(", ")),
            );
        } else if let Some(text) = text(cx, Some(label), "states.labels") {
            labels.insert(key.get_ref().clone(), text);
        }
    }
    labels
}

/// `[book.cells]`: bucketing rules, which apply in count mode only.
fn cell_rules(cx: &mut Ctx, raw: &RawScenario, mode: Mode) -> CellRules {
    let mut rules = CellRules::default();
    let Some(cells) = &raw.book.get_ref().cells else {
        return rules;
    };
    if mode != Mode::Count {
        cx.error(
            cells,
            "`[book.cells]` applies to count mode only",
            "add `mode = \"count\"` to `[simulation]`, or remove `[book.cells]`",
        );
    }
    let c = cells.get_ref();
    if let Some(w) = &c.balance_width {
        rules.balance_width = cx.in_range(w, 1e-6, 1.0, "book.cells.balance_width", "relative width of a balance band: 0.05 puts loans within about 5% of each other's balance in one cell");
    }
    if let Some(w) = &c.apr_width {
        rules.apr_width = cx.in_range(
            w,
            1e-6,
            1.0,
            "book.cells.apr_width",
            "width of an APR band as a fraction: 0.0025 is a quarter of a percentage point",
        );
    }
    if let Some(w) = &c.credit_limit_width {
        rules.credit_limit_width = cx.in_range(
            w,
            1e-6,
            1.0,
            "book.cells.credit_limit_width",
            "relative width of a credit-limit band: 0.05 for about 5%",
        );
    }
    rules
}

/// `[states]` and `[stages]` into the state space.
pub(crate) fn states(cx: &mut Ctx, raw_states: &RawStates, raw_stages: &RawStages) -> StateSpace {
    let reserved = [CURRENT_NAME, PAID_OFF_NAME, CHARGED_OFF_NAME, SOLD_NAME];
    let mut buckets: Vec<Bucket> = Vec::new();
    let raw_buckets = raw_states.buckets.get_ref();
    if raw_buckets.is_empty() {
        cx.error(&raw_states.buckets, "no delinquency buckets", "list buckets by days past due, e.g. `{ name = \"dpd_1_30\", min_dpd = 1, max_dpd = 30 }`");
    }
    if raw_buckets.len() > MAX_BUCKETS {
        cx.error(
            &raw_states.buckets,
            format!(
                "{} buckets, at most {MAX_BUCKETS} are supported",
                raw_buckets.len()
            ),
            "merge buckets",
        );
    }
    for (i, b) in raw_buckets.iter().enumerate().take(MAX_BUCKETS) {
        let b = b.get_ref();
        let name = b.name.get_ref();
        cx.identifier(&b.name, "bucket name");
        if reserved.contains(&name.as_str()) {
            cx.error(&b.name, format!("`{name}` is a built-in state, not a bucket"), "`current`, `paid_off`, `charged_off` and `sold` exist already; name buckets by their DPD range, e.g. `dpd_1_30`");
            continue;
        }
        if buckets.iter().any(|x| &x.name == name) {
            cx.error(
                &b.name,
                format!("bucket `{name}` is defined twice"),
                "give each bucket its own name",
            );
            continue;
        }
        let min = cx.int_in_range(
            &b.min_dpd,
            1,
            MAX_DPD,
            "min_dpd",
            "days past due where the bucket starts; `current` is 0",
        ) as u32;
        let max = b.max_dpd.as_ref().map(|m| {
            let max = *m.get_ref();
            if max < i64::from(min) {
                cx.error(
                    m,
                    format!("`max_dpd` {max} is below `min_dpd` {min}"),
                    "a bucket covers min_dpd..=max_dpd days past due",
                );
            } else if max > MAX_DPD {
                cx.error(
                    m,
                    format!("`max_dpd` is {max}, expected a whole number in [{min}, {MAX_DPD}]"),
                    "days past due where the bucket ends; leave it out for the last, open-ended bucket",
                );
            }
            max.clamp(i64::from(min), MAX_DPD) as u32
        });
        if max.is_none() && i + 1 != raw_buckets.len() {
            cx.error(
                &b.name,
                format!("bucket `{name}` has no `max_dpd` but is not the last"),
                "only the last (worst) bucket may be open-ended",
            );
        }
        if let Some(prev) = buckets.last() {
            let prev_max = prev.max_dpd.unwrap_or(u32::MAX);
            if min <= prev_max {
                cx.error(
                    &b.min_dpd,
                    format!(
                        "bucket `{name}` starts at {min} DPD, inside `{}`",
                        prev.name
                    ),
                    "list buckets in ascending days past due, without overlaps",
                );
            }
        }
        buckets.push(Bucket {
            name: name.clone(),
            min_dpd: min,
            max_dpd: max,
        });
    }
    let mut stages: Vec<(String, Vec<String>)> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (stage_name, members) in raw_stages {
        cx.identifier(stage_name, "stage name");
        let mut names = Vec::new();
        for m in members.get_ref() {
            let n = m.get_ref().as_str();
            if !buckets.iter().any(|b| b.name == n) {
                cx.error(
                    m,
                    format!(
                        "stage `{}` lists `{n}`, which is not a bucket",
                        stage_name.get_ref()
                    ),
                    format!(
                        "stages group buckets; the buckets are: {}",
                        bucket_list(&buckets)
                    ),
                );
            } else if seen.contains(&n) {
                cx.error(
                    m,
                    format!("bucket `{n}` is in two stages"),
                    "a bucket belongs to at most one stage",
                );
            } else {
                seen.push(n);
                names.push(n.to_string());
            }
        }
        stages.push((stage_name.get_ref().clone(), names));
    }
    StateSpace::new(&buckets, &stages)
}

fn bucket_list(buckets: &[Bucket]) -> String {
    buckets
        .iter()
        .map(|b| format!("`{}`", b.name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn state_names(space: &StateSpace) -> String {
    space
        .states
        .iter()
        .map(|s| format!("`{}`", s.name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn bucket_id(cx: &mut Ctx, space: &StateSpace, v: &Spanned<String>, what: &str) -> Option<StateId> {
    match space.id(v.get_ref()) {
        Some(id) if matches!(space.kind(id), crate::model::StateKind::Delinquent { .. }) => {
            Some(id)
        }
        _ => {
            let names: Vec<_> = space
                .states
                .iter()
                .filter(|s| s.dpd.is_some_and(|(lo, _)| lo > 0))
                .map(|s| format!("`{}`", s.name))
                .collect();
            cx.error(
                v,
                format!("{what} `{}` is not a delinquency bucket", v.get_ref()),
                format!("use one of {}", names.join(", ")),
            );
            None
        }
    }
}

/// `[charge_off]` into the buckets charged off on entry.
pub(crate) fn charge_off(
    cx: &mut Ctx,
    raw: Option<&Spanned<RawChargeOff>>,
    space: &StateSpace,
) -> Vec<StateId> {
    let Some(co) = raw else {
        return Vec::new();
    };
    let c = co.get_ref();
    match (&c.dpd, &c.state) {
        (Some(dpd), None) => {
            let d = cx.int_in_range(
                dpd,
                1,
                100_000,
                "charge_off.dpd",
                "days past due at which a loan is written off, e.g. 180",
            ) as u32;
            let ids: Vec<StateId> = space
                .on_book()
                .filter(|&id| space.states[id as usize].dpd.is_some_and(|(lo, _)| lo > d))
                .collect();
            if ids.is_empty() {
                cx.error(dpd, format!("no bucket starts after {d} DPD, so this charge-off policy never fires"), format!("add a bucket such as `{{ name = \"dpd_{}_plus\", min_dpd = {} }}`, or set `charged_off` in the matrix rows and remove [charge_off]", d + 1, d + 1));
            }
            ids
        }
        (None, Some(state)) => match bucket_id(cx, space, state, "charge_off.state") {
            Some(first) => space.on_book().filter(|&id| id >= first).collect(),
            None => Vec::new(),
        },
        _ => {
            cx.error(co, "[charge_off] needs exactly one of `dpd` or `state`", "`dpd = 180` charges off loans rolling past 180 days; `state = \"dpd_181_plus\"` charges off loans entering that bucket or a worse one");
            Vec::new()
        }
    }
}

fn debt_sale(
    cx: &mut Ctx,
    raw: &RawScenario,
    space: &StateSpace,
    co: &[StateId],
    horizon: u32,
) -> Option<DebtSale> {
    let ds = raw.debt_sale.as_ref()?;
    let d = ds.get_ref();
    let price = cx.in_range(
        &d.price,
        0.0,
        1.0,
        "debt_sale.price",
        "price per unit of face value: 0.05 is five cents on the dollar",
    );
    match d.trigger.get_ref().as_str() {
        "state" => {
            if d.months.is_some() || d.month.is_some() {
                cx.error(
                    ds,
                    "`months` and `month` do not apply to `trigger = \"state\"`",
                    "remove `months`, or use `trigger = \"months_after_charge_off\"`",
                );
            }
            let Some(state) = &d.state else {
                cx.error(
                    ds,
                    "`trigger = \"state\"` needs `state`",
                    "name the bucket whose loans are sold on entry, e.g. `state = \"dpd_151_180\"`",
                );
                return None;
            };
            let id = bucket_id(cx, space, state, "debt_sale.state")?;
            if co.contains(&id) {
                cx.error(
                    state,
                    format!(
                        "`{}` is charged off on entry, so nothing is left to sell there",
                        state.get_ref()
                    ),
                    "sell from an earlier bucket, or use `trigger = \"months_after_charge_off\"`",
                );
            }
            Some(DebtSale::OnEntering { state: id, price })
        }
        "months_after_charge_off" => {
            if d.state.is_some() || d.month.is_some() {
                cx.error(
                    ds,
                    "`state` and `month` do not apply to `trigger = \"months_after_charge_off\"`",
                    "remove `state`",
                );
            }
            let Some(months) = &d.months else {
                cx.error(ds, "`trigger = \"months_after_charge_off\"` needs `months`", "`months = 0` sells at charge-off, `months = 6` after six months of in-house collection");
                return None;
            };
            let m = cx.int_in_range(
                months,
                0,
                MAX_HORIZON_MONTHS,
                "debt_sale.months",
                "months of in-house collection before the sale",
            ) as u32;
            Some(DebtSale::AfterChargeOff { months: m, price })
        }
        "spot" => {
            if d.state.is_some() || d.months.is_some() {
                cx.error(
                    ds,
                    "`state` and `months` do not apply to `trigger = \"spot\"`",
                    "a spot sale takes `month` (the horizon month of the sale) and `price`",
                );
            }
            let Some(month) = &d.month else {
                cx.error(ds, "`trigger = \"spot\"` needs `month`", "the horizon month at whose end every open charged-off claim is sold, e.g. `month = 12`");
                return None;
            };
            let m = cx.int_in_range(
                month,
                1,
                i64::from(horizon),
                "debt_sale.month",
                "a spot sale must fall within the horizon: a month from 1 to `horizon_months`",
            ) as u32;
            Some(DebtSale::Spot { month: m, price })
        }
        other => {
            cx.error(
                &d.trigger,
                format!("unknown debt sale trigger `{other}`"),
                "use `\"state\"` (sold on entering a bucket), `\"months_after_charge_off\"` (forward flow) or `\"spot\"` (one-off sale in a given month)",
            );
            None
        }
    }
}

/// The warning for a row of a bucket that loans never stay in: rows beyond the charge-off
/// point (or the bucket sold on entry) are ignored, so that lowering `charge_off.dpd` needs no
/// other edit.
fn ignored_row(state: &str) -> String {
    format!(
        "the rows of `{state}` are ignored: loans entering it are charged off or sold at once ([charge_off], [debt_sale])"
    )
}

/// Reads matrix rows; `require_all` for the base matrix, partial for month-on-book overrides.
fn rows(
    cx: &mut Ctx,
    raw_rows: &Spanned<Rows>,
    space: &StateSpace,
    triggers: &[StateId],
    base: Option<&TransitionMatrix>,
    segment: &str,
) -> Option<TransitionMatrix> {
    let n = space.len();
    let mut rows: Vec<Vec<f64>> = match base {
        Some(m) => m.to_rows(),
        None => (0..n)
            .map(|i| {
                let mut r = vec![0.0; n];
                r[i] = 1.0;
                r
            })
            .collect(),
    };
    let mut ok = true;
    let mut given = vec![false; n];
    for (from, row) in raw_rows.get_ref() {
        let Some(from_id) = space.id(from.get_ref()) else {
            cx.error(
                from,
                format!("`{}` is not a state", from.get_ref()),
                format!("rows are named after states: {}", state_names(space)),
            );
            ok = false;
            continue;
        };
        if space.kind(from_id).is_terminal() {
            cx.error(from, format!("`{}` is terminal and has no row", from.get_ref()), "terminal states (`paid_off`, `charged_off`, `sold`) are absorbing; remove this row");
            ok = false;
            continue;
        }
        if triggers.contains(&from_id) {
            cx.warn(from, ignored_row(from.get_ref()));
            continue;
        }
        given[from_id as usize] = true;
        let mut r = vec![0.0; n];
        let mut row_ok = true;
        for (to, p) in row.get_ref() {
            match space.id(to.get_ref()) {
                Some(to_id) if to_id == space.sold() && *p.get_ref() > 0.0 => {
                    cx.error(to, "loans reach `sold` only through [debt_sale]", "sales need a price: use `[debt_sale]` with `trigger = \"state\"` to sell loans entering a bucket, or `trigger = \"months_after_charge_off\"`");
                    row_ok = false;
                }
                Some(to_id) => r[to_id as usize] = *p.get_ref(),
                None => {
                    cx.error(
                        to,
                        format!("`{}` is not a state", to.get_ref()),
                        format!("the states are: {}", state_names(space)),
                    );
                    row_ok = false;
                }
            }
        }
        // Check this row alone so the message points at it.
        let mut single: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                let mut e = vec![0.0; n];
                e[i] = 1.0;
                e
            })
            .collect();
        single[from_id as usize] = r.clone();
        if row_ok && let Err(e) = TransitionMatrix::new(space, single) {
            let hint = match e {
                MatrixError::RowSum { .. } => format!(
                    "each row gives the probability of moving from `{}` to every state in one month; states left out are 0",
                    from.get_ref()
                ),
                MatrixError::OutOfRange { .. } => "probabilities are between 0 and 1".to_string(),
            };
            cx.error(row, format!("segment `{segment}`: {e}"), hint);
            row_ok = false;
        }
        ok &= row_ok;
        rows[from_id as usize] = r;
    }
    if base.is_none() {
        for id in space.on_book() {
            if !given[id as usize] && !triggers.contains(&id) {
                cx.error(
                    raw_rows,
                    format!("segment `{segment}` has no row for `{}`", space.name(id)),
                    format!(
                        "add `{} = {{ ... }}` with its probabilities of moving to each state",
                        space.name(id)
                    ),
                );
                ok = false;
            }
        }
    }
    if !ok {
        return None;
    }
    TransitionMatrix::new(space, rows).ok()
}

fn segment(
    cx: &mut Ctx,
    name: &str,
    seg: &Spanned<RawSegment>,
    space: &StateSpace,
    triggers: &[StateId],
) -> SegmentModel {
    let s = seg.get_ref();
    let product = match s.product.as_ref().map(|p| p.get_ref().as_str()) {
        None | Some("instalment") => {
            for extra in [&s.draw_rate, &s.min_payment_rate].into_iter().flatten() {
                cx.error(
                    extra,
                    "`draw_rate` and `min_payment_rate` apply to revolving products only",
                    "set `product = \"revolving\"` or remove the key",
                );
            }
            Product::Instalment
        }
        Some("revolving") => {
            let draw_rate = s.draw_rate.as_ref().map_or(0.0, |v| {
                cx.in_range(
                    v,
                    0.0,
                    1.0,
                    "draw_rate",
                    "share of the unused limit drawn each month by a current account",
                )
            });
            let min_payment_rate = match &s.min_payment_rate {
                Some(v) => cx.in_range(
                    v,
                    0.0,
                    1.0,
                    "min_payment_rate",
                    "share of the balance repaid each month on top of interest, e.g. 0.05",
                ),
                None => {
                    cx.error(
                        seg,
                        format!("revolving segment `{name}` needs `min_payment_rate`"),
                        "the share of the balance repaid each month on top of interest, e.g. 0.05",
                    );
                    0.05
                }
            };
            Product::Revolving {
                draw_rate,
                min_payment_rate,
            }
        }
        Some(other) => {
            cx.error(
                s.product.as_ref().expect("matched Some"),
                format!("unknown product `{other}`"),
                "use `\"instalment\"` or `\"revolving\"`",
            );
            Product::Instalment
        }
    };
    let identity = || {
        let n = space.len();
        let rows = (0..n).map(|i| {
            let mut r = vec![0.0; n];
            r[i] = 1.0;
            r
        });
        TransitionMatrix::new(space, rows.collect()).expect("identity is valid")
    };
    let transitions =
        rows(cx, &s.transitions, space, triggers, None, name).unwrap_or_else(identity);
    let mut by_month_on_book: Vec<(u32, u32, TransitionMatrix)> = Vec::new();
    let mut override_posteriors = Vec::new();
    for o in &s.transitions_by_month_on_book {
        let o = o.get_ref();
        let window = o.months_on_book.get_ref();
        let (first, last) = match window.as_slice() {
            [a, b]
                if *a.get_ref() >= 0
                    && a.get_ref() <= b.get_ref()
                    && *b.get_ref() <= i64::from(u32::MAX) =>
            {
                (*a.get_ref() as u32, *b.get_ref() as u32)
            }
            _ => {
                cx.error(
                    &o.months_on_book,
                    "`months_on_book` must be `[first, last]` with 0 <= first <= last",
                    "e.g. `months_on_book = [0, 5]` for the first six months on book",
                );
                continue;
            }
        };
        if by_month_on_book
            .iter()
            .any(|(a, b, _)| first <= *b && *a <= last)
        {
            cx.error(
                &o.months_on_book,
                format!("months on book {first}..={last} overlap another override"),
                "give each month on book at most one override",
            );
            continue;
        }
        if let Some(m) = rows(cx, &o.rows, space, triggers, Some(&transitions), name) {
            by_month_on_book.push((first, last, m));
            override_posteriors.push(o.rows_posterior.as_ref());
        }
    }
    let posterior =
        if s.transitions_posterior.is_none() && override_posteriors.iter().all(Option::is_none) {
            Vec::new()
        } else {
            std::iter::once(s.transitions_posterior.as_ref())
                .chain(override_posteriors)
                .map(|raw| posterior_rows(cx, raw, space, triggers, name))
                .collect()
        };
    SegmentModel {
        name: name.to_string(),
        product,
        transitions,
        by_month_on_book,
        posterior,
    }
}

/// A matrix's estimation posterior: per state, the Dirichlet parameters of its row.
fn posterior_rows(
    cx: &mut Ctx,
    raw: Option<&Spanned<Rows>>,
    space: &StateSpace,
    triggers: &[StateId],
    segment: &str,
) -> Vec<Option<Vec<f64>>> {
    let n = space.len();
    let mut out = vec![None; n];
    let Some(raw) = raw else { return out };
    for (from, row) in raw.get_ref() {
        let from_id = match space.id(from.get_ref()) {
            Some(id) if triggers.contains(&id) => {
                cx.warn(from, ignored_row(from.get_ref()));
                continue;
            }
            Some(id) if space.kind(id).is_on_book() => id,
            _ => {
                cx.error(
                    from,
                    format!("`{}` has no row to draw", from.get_ref()),
                    "posterior rows are named after on-book states that have a transition row",
                );
                continue;
            }
        };
        let mut alpha = vec![0.0; n];
        for (to, a) in row.get_ref() {
            let value = *a.get_ref();
            match space.id(to.get_ref()) {
                Some(to_id) if to_id == space.sold() => cx.error(
                    to,
                    "loans reach `sold` only through [debt_sale]",
                    "remove `sold` from the posterior row",
                ),
                Some(to_id) if value.is_finite() && value >= 0.0 => alpha[to_id as usize] = value,
                Some(_) => cx.error(
                    a,
                    format!(
                        "segment `{segment}`: Dirichlet parameter {value} is not a number >= 0"
                    ),
                    "posterior rows hold observed moves plus the prior: counts, 0 or more",
                ),
                None => cx.error(
                    to,
                    format!("`{}` is not a state", to.get_ref()),
                    format!("the states are: {}", state_names(space)),
                ),
            }
        }
        if alpha.iter().sum::<f64>() <= 0.0 {
            cx.error(
                row,
                format!(
                    "segment `{segment}`: posterior row `{}` has no mass",
                    from.get_ref()
                ),
                "give at least one positive parameter, or remove the row to keep it fixed",
            );
            continue;
        }
        out[from_id as usize] = Some(alpha);
    }
    out
}

/// `[simulation] parameter_uncertainty`: `none` (default) or `posterior`.
fn parameter_uncertainty(cx: &mut Ctx, raw: &RawScenario, model: &Model) -> bool {
    let Some(v) = &raw.simulation.parameter_uncertainty else {
        return false;
    };
    match v.get_ref().as_str() {
        "none" => false,
        "posterior" => {
            if !model.has_posterior() {
                cx.error(v, "`parameter_uncertainty = \"posterior\"` needs the segments' `transitions_posterior` rows", "calibrate the scenario with `arrears calibrate`, which writes them, or set `parameter_uncertainty = \"none\"`");
            }
            true
        }
        other => {
            cx.error(
                v,
                format!("unknown parameter_uncertainty `{other}`"),
                "use `none` (process noise only) or `posterior` (each path draws its matrices from the estimation posterior)",
            );
            false
        }
    }
}

fn actions(
    cx: &mut Ctx,
    raw: &RawScenario,
    space: &StateSpace,
    segment_names: &[String],
) -> Vec<CollectionAction> {
    let mut out: Vec<CollectionAction> = Vec::new();
    for a in &raw.actions {
        let r = a.get_ref();
        cx.identifier(&r.name, "action name");
        if out.iter().any(|x| &x.name == r.name.get_ref()) {
            cx.error(
                &r.name,
                format!("action `{}` is defined twice", r.name.get_ref()),
                "give each action its own name",
            );
        }
        let Some(stage) = space
            .stages
            .iter()
            .position(|s| &s.name == r.stage.get_ref())
        else {
            let names: Vec<_> = space
                .stages
                .iter()
                .map(|s| format!("`{}`", s.name))
                .collect();
            cx.error(
                &r.stage,
                format!("stage `{}` is not defined", r.stage.get_ref()),
                if names.is_empty() {
                    "define stages under [stages], e.g. `early = [\"dpd_1_30\"]`".to_string()
                } else {
                    format!("the stages are: {}", names.join(", "))
                },
            );
            continue;
        };
        let cost = cx.in_range(
            &r.cost_per_account,
            0.0,
            1e9,
            "cost_per_account",
            "currency per account per month in the stage",
        );
        let mult_hint =
            "a multiplier: 1.2 raises the probability by a fifth, 1 leaves it unchanged";
        let cure = r.cure_multiplier.as_ref().map_or(1.0, |m| {
            cx.in_range(m, 0.0, 100.0, "cure_multiplier", mult_hint)
        });
        let roll = r.roll_multiplier.as_ref().map_or(1.0, |m| {
            cx.in_range(m, 0.0, 100.0, "roll_multiplier", mult_hint)
        });
        let segments = r.segments.as_ref().map(|list| {
            list.get_ref()
                .iter()
                .filter_map(|s| {
                    let idx = segment_names.iter().position(|n| n == s.get_ref());
                    if idx.is_none() {
                        cx.error(
                            s,
                            format!("segment `{}` is not defined", s.get_ref()),
                            format!(
                                "the segments are: {}",
                                segment_names
                                    .iter()
                                    .map(|n| format!("`{n}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        );
                    }
                    idx
                })
                .collect()
        });
        out.push(CollectionAction {
            name: r.name.get_ref().clone(),
            stage,
            cost_per_account: cost,
            cure_multiplier: cure,
            roll_multiplier: roll,
            segments,
        });
    }
    out
}

fn money(cx: &mut Ctx, raw: &RawMoney) -> MoneyRules {
    let late_fee = raw.late_fee.as_ref().map_or(0.0, |f| {
        cx.in_range(
            f,
            0.0,
            1e9,
            "money.late_fee",
            "currency added to the balance for each month a loan is overdue",
        )
    });
    let partial_payments = raw.partial_payments.as_ref().map(|p| {
        let p = p.get_ref();
        PartialPayments {
            probability: cx.in_range(
                &p.probability,
                0.0,
                1.0,
                "partial_payments.probability",
                "probability that a delinquent loan pays part of its arrears in a month",
            ),
            share_alpha: cx.in_range(
                &p.share_alpha,
                1e-3,
                1e3,
                "partial_payments.share_alpha",
                "Beta shape parameter, > 0",
            ),
            share_beta: cx.in_range(
                &p.share_beta,
                1e-3,
                1e3,
                "partial_payments.share_beta",
                "Beta shape parameter, > 0",
            ),
        }
    });
    MoneyRules {
        accrue_interest_while_overdue: raw.accrue_interest_while_overdue.unwrap_or(false),
        late_fee,
        partial_payments,
        unlock_on_cure: raw.unlock_on_cure.unwrap_or(false),
    }
}

/// A recovery curve (expected share of the balance collected per month of debt age) with the
/// share of accounts that pay at all; the curve's sum may not exceed that share, or a paying
/// account would recover more than it owes.
fn curve_and_payers(
    cx: &mut Ctx,
    raw_curve: &Spanned<Vec<Spanned<f64>>>,
    raw_payers: Option<&Spanned<f64>>,
    section: &str,
) -> (Vec<f64>, f64) {
    let curve: Vec<f64> = raw_curve
        .get_ref()
        .iter()
        .map(|v| {
            cx.in_range(
                v,
                0.0,
                1.0,
                &format!("{section}.curve"),
                "expected share of the balance collected in that month",
            )
        })
        .collect();
    let payers = raw_payers.map_or(1.0, |p| {
        cx.in_range(
            p,
            1e-6,
            1.0,
            &format!("{section}.payment_probability"),
            "share of accounts that pay at all, above 0",
        )
    });
    let total: f64 = curve.iter().sum();
    if total > payers + 1e-9 {
        cx.error(
            raw_curve,
            format!(
                "the curve recovers {} of the balance in all, more than `payment_probability` {}: paying accounts would recover {:.0}% of what they owe",
                crate::model::fmt_number(total),
                crate::model::fmt_number(payers),
                100.0 * total / payers
            ),
            "paying accounts collect curve / payment_probability, so the curve's sum must not exceed payment_probability (cumulative recovery of at most 100%)",
        );
    }
    (curve, payers)
}

fn recovery(cx: &mut Ctx, raw: &RawScenario) -> RecoveryPolicy {
    let Some(r) = &raw.recovery else {
        return RecoveryPolicy::none();
    };
    let rr = r.get_ref();
    let (curve, payment_probability) =
        curve_and_payers(cx, &rr.curve, rr.payment_probability.as_ref(), "recovery");
    let cost_share = rr.cost_share.as_ref().map_or(0.0, |c| {
        cx.in_range(
            c,
            0.0,
            1.0,
            "recovery.cost_share",
            "collection cost as a share of what is recovered, e.g. 0.2",
        )
    });
    let cost_per_account = rr.cost_per_account.as_ref().map_or(0.0, |c| {
        cx.in_range(
            c,
            0.0,
            1e9,
            "recovery.cost_per_account",
            "cost per charged-off account per month of in-house collection",
        )
    });
    RecoveryPolicy {
        curve,
        payment_probability,
        cost_share,
        cost_per_account,
    }
}

fn default_definition(cx: &mut Ctx, raw: &RawScenario, space: &StateSpace) -> DefaultDefinition {
    let Some(d) = &raw.default_definition else {
        return DefaultDefinition::ChargeOff;
    };
    let r = d.get_ref();
    match (r.definition.get_ref().as_str(), &r.dpd) {
        ("charge_off", None) => DefaultDefinition::ChargeOff,
        ("charge_off", Some(dpd)) => {
            cx.error(
                dpd,
                "`dpd` does not apply to `definition = \"charge_off\"`",
                "remove `dpd`, or use `definition = \"dpd\"`",
            );
            DefaultDefinition::ChargeOff
        }
        ("dpd", Some(dpd)) => {
            let days = cx.int_in_range(
                dpd,
                1,
                100_000,
                "default.dpd",
                "days past due beyond which a loan is in default, e.g. 90 (the Basel definition)",
            ) as u32;
            let states: Vec<StateId> = space
                .on_book()
                .filter(|&id| {
                    space.states[id as usize]
                        .dpd
                        .is_some_and(|(lo, _)| lo > days)
                })
                .collect();
            if states.is_empty() {
                cx.error(dpd, format!("no bucket starts after {days} DPD, so no loan could default by this definition"), "choose a DPD below the start of your worst bucket, or `definition = \"charge_off\"`");
            }
            DefaultDefinition::DaysPastDue { dpd: days, states }
        }
        ("dpd", None) => {
            cx.error(
                d,
                "`definition = \"dpd\"` needs `dpd`",
                "e.g. `dpd = 90`: a loan more than 90 days past due is in default",
            );
            DefaultDefinition::ChargeOff
        }
        (other, _) => {
            cx.error(
                &r.definition,
                format!("unknown default definition `{other}`"),
                "use `\"charge_off\"` or `\"dpd\"` (with `dpd = 90`, say)",
            );
            DefaultDefinition::ChargeOff
        }
    }
}

fn placement(cx: &mut Ctx, r: &RawPlacement, section: &str) -> Placement {
    let commission = cx.in_range(
        &r.commission,
        0.0,
        0.99,
        &format!("{section}.commission"),
        "the agency's share of what it collects, typically 0.25-0.5",
    );
    let (curve, payment_probability) =
        curve_and_payers(cx, &r.curve, r.payment_probability.as_ref(), section);
    let recall = cx.int_in_range(
        &r.recall_after_months,
        1,
        MAX_HORIZON_MONTHS,
        &format!("{section}.recall_after_months"),
        "months the agency works the account before handing it back",
    ) as u32;
    Placement {
        commission,
        curve,
        payment_probability,
        recall_after_months: recall,
    }
}

fn disposition(
    cx: &mut Ctx,
    raw: &RawScenario,
    space: &StateSpace,
    charge_off: &[StateId],
    horizon: u32,
) -> Option<DispositionStudy> {
    let d = raw.disposition.as_ref()?;
    let r = d.get_ref();
    // Charge-off DPD: the day before the first charge-off trigger bucket starts.
    let charge_off_dpd = charge_off
        .iter()
        .filter_map(|&id| space.states[id as usize].dpd.map(|(lo, _)| lo - 1))
        .min();
    let mut points: Vec<SalePoint> = Vec::new();
    if r.sale_points_dpd.get_ref().is_empty() {
        cx.error(&r.sale_points_dpd, "no sale points", "list the days past due at which to compare hold, agency and sale, e.g. `[90, 120, 180, 360]`");
    }
    if r.sale_points_dpd.get_ref().len() > crate::model::disposition::MAX_SALE_POINTS {
        cx.error(
            &r.sale_points_dpd,
            format!(
                "{} sale points, at most {} are supported",
                r.sale_points_dpd.get_ref().len(),
                crate::model::disposition::MAX_SALE_POINTS
            ),
            "compare fewer points in one run, or split the study over two scenarios",
        );
    }
    for p in r
        .sale_points_dpd
        .get_ref()
        .iter()
        .take(crate::model::disposition::MAX_SALE_POINTS)
    {
        let dpd = cx.int_in_range(
            p,
            1,
            100_000,
            "disposition.sale_points_dpd",
            "days past due of a candidate sale point",
        ) as u32;
        if let Some(last) = points.last()
            && dpd <= last.dpd
        {
            cx.error(
                p,
                format!("sale point {dpd} DPD is not after {} DPD", last.dpd),
                "list sale points in ascending days past due, each once",
            );
            continue;
        }
        if dpd.div_ceil(30) > horizon {
            cx.error(p, format!("sale point {dpd} DPD is after the horizon: no loan can be {dpd} days past due within {horizon} months"), format!("use points up to {} DPD, or a longer `horizon_months`", horizon * 30));
            continue;
        }
        let on_book = space.on_book().find(|&id| {
            !charge_off.contains(&id)
                && space.states[id as usize]
                    .dpd
                    .is_some_and(|(lo, _)| lo >= dpd && lo > 0)
        });
        let kind = match (on_book, charge_off_dpd) {
            (Some(first_state), Some(co)) if dpd <= co => PointKind::OnBook { first_state },
            (Some(first_state), None) => PointKind::OnBook { first_state },
            (_, Some(co)) => PointKind::AfterChargeOff {
                months: dpd.saturating_sub(co).div_ceil(30),
            },
            (None, None) => {
                cx.error(p, format!("sale point {dpd} DPD is beyond every bucket and the scenario charges off by matrix only"), "add `[charge_off] dpd = ...` so points after charge-off have an age, or choose a point inside your buckets");
                continue;
            }
        };
        points.push(SalePoint { dpd, kind });
    }
    let agency = r.agency.as_ref().map(|a| {
        let first = placement(cx, a.get_ref(), "disposition.agency");
        let second = a.get_ref().second_placement.as_ref().map(|s| {
            if let Some(nested) = &s.get_ref().second_placement {
                cx.error(
                    nested,
                    "only one second placement is supported",
                    "remove the nested `second_placement`",
                );
            }
            placement(cx, s.get_ref(), "disposition.agency.second_placement")
        });
        Agency { first, second }
    });
    let buyer = r.buyer.as_ref().map(|b| {
        let rb = b.get_ref();
        let (curve, payment_probability) = curve_and_payers(cx, &rb.curve, rb.payment_probability.as_ref(), "disposition.buyer");
        Buyer {
            curve,
            payment_probability,
            cost_share: rb.cost_share.as_ref().map_or(0.0, |c| cx.in_range(c, 0.0, 0.99, "disposition.buyer.cost_share", "the buyer's collection cost as a share of what it collects, typically 0.2-0.4")),
            hurdle_rate: cx.in_range(&rb.hurdle_rate, 0.0, 2.0, "disposition.buyer.hurdle_rate", "the buyer's required return, effective annual: 0.2 for 20% a year (debt buyers use 15-30%)"),
            quoted_price: rb.quoted_price.as_ref().map(|q| cx.in_range(q, 0.0, 1.0, "disposition.buyer.quoted_price", "price per unit of face at which to report the buyer's IRR, e.g. 0.08")),
        }
    });
    let sale_price = r.sale.as_ref().and_then(|s| {
        let price = &s.get_ref().price;
        let number = match price.get_ref() {
            toml::Value::Float(x) => Some(*x),
            toml::Value::Integer(i) => Some(*i as f64),
            _ => None,
        };
        match (number, price.get_ref()) {
            (Some(x), _) => {
                let v = Spanned::new(price.span(), x);
                Some(SalePrice::Fixed(cx.in_range(&v, 0.0, 1.0, "disposition.sale.price", "price per unit of face value: 0.08 is eight cents on the dollar; or \"buyer\" for the buyer's fair price")))
            }
            (None, toml::Value::String(t)) if t == "buyer" => {
                if buyer.is_none() {
                    cx.error(price, "`price = \"buyer\"` needs [disposition.buyer]", "describe the buyer (curve, hurdle_rate, ...) so its price can be computed");
                }
                Some(SalePrice::Buyer)
            }
            _ => {
                cx.error(price, "`price` must be a number or \"buyer\"", "price per unit of face value, e.g. `price = 0.08`, or `price = \"buyer\"`");
                None
            }
        }
    });
    let bid_confidence = r.bid_confidence.as_ref().map_or(0.8, |c| {
        cx.in_range(
            c,
            0.01,
            0.99,
            "disposition.bid_confidence",
            "share of paths on which the buyer must make its hurdle at the bid, e.g. 0.8",
        )
    });
    let discount_rate = r.discount_rate.as_ref().map(|x| {
        cx.in_range(
            x,
            0.0,
            10.0,
            "disposition.discount_rate",
            "the lender's effective annual rate for the study; leave it out to use the run's",
        )
    });
    Some(DispositionStudy {
        points,
        agency,
        sale_price,
        buyer,
        bid_confidence,
        discount_rate,
    })
}

/// A by-month series: a number for every month, or an array with one value per month (the
/// last value holds after it). At most `horizon` values.
#[expect(
    clippy::too_many_arguments,
    reason = "each argument is a distinct part of the rule"
)]
fn month_series(
    cx: &mut Ctx,
    raw: Option<&Spanned<toml::Value>>,
    key: &str,
    default: f64,
    lo: f64,
    hi: f64,
    horizon: u32,
    hint: &str,
) -> Vec<f64> {
    let Some(v) = raw else {
        return vec![default];
    };
    let number = |x: &toml::Value| x.as_float().or_else(|| x.as_integer().map(|i| i as f64));
    let values: Vec<Option<f64>> = match v.get_ref() {
        toml::Value::Array(items) => items.iter().map(number).collect(),
        other => vec![number(other)],
    };
    if values.is_empty() || values.iter().any(Option::is_none) {
        cx.error(
            v,
            format!("`{key}` must be a number or an array of numbers"),
            hint.to_string(),
        );
        return vec![default];
    }
    if values.len() > horizon as usize {
        cx.error(v, format!("`{key}` has {} monthly values, but the horizon is {horizon} months", values.len()), "give at most one value per month of the horizon; the last value holds for later months");
    }
    let values: Vec<f64> = values.into_iter().flatten().collect();
    if let Some(bad) = values.iter().find(|x| !(lo..=hi).contains(*x)) {
        cx.error(
            v,
            format!("`{key}` has {bad}, expected values in [{lo}, {hi}]"),
            hint.to_string(),
        );
        return vec![default];
    }
    values
}

/// Largest `draws x shift^2` accepted for importance sampling: ln(1000), an expected
/// effective sample size of at least one path in a thousand.
const MAX_IMPORTANCE_EXPONENT: f64 = 6.907_755_278_982_137;

fn systematic(cx: &mut Ctx, raw: &RawScenario, model: &Model) -> Option<Systematic> {
    let s = raw.systematic.as_ref()?;
    let r = s.get_ref();
    let dynamics = match r.factor.as_ref().map(|f| f.get_ref().as_str()) {
        None | Some("per_path") => {
            if let Some(p) = &r.persistence {
                cx.error(p, "`persistence` applies to `factor = \"monthly\"` only", "remove it, or set `factor = \"monthly\"` for a factor that moves month by month");
            }
            FactorDynamics::PerPath
        }
        Some("monthly") => FactorDynamics::Monthly {
            persistence: r.persistence.as_ref().map_or(0.9, |p| cx.in_range(p, 0.0, 0.999, "systematic.persistence", "AR(1) coefficient of the monthly factor: 0 independent months, 0.9 slow cycles")),
        },
        Some(other) => {
            cx.error(r.factor.as_ref().expect("matched"), format!("unknown factor dynamics `{other}`"), "use `\"per_path\"` (one draw per path) or `\"monthly\"` (AR(1) by month)");
            FactorDynamics::PerPath
        }
    };
    let common = r.asset_correlation.as_ref().map(|a| {
        cx.in_range(
            a,
            0.0,
            0.99,
            "systematic.asset_correlation",
            "asset correlation rho: Basel uses 0.03-0.16 for other retail, 0.04 for revolving",
        )
    });
    let mut asset_correlation = Vec::new();
    for (idx, (_, seg)) in raw.segments.get_ref().iter().enumerate() {
        let own = seg.get_ref().asset_correlation.as_ref().map(|a| {
            cx.in_range(
                a,
                0.0,
                0.99,
                "asset_correlation",
                "the segment's asset correlation rho, e.g. 0.05",
            )
        });
        let rho = own.or(common).unwrap_or_else(|| basel_default(model, idx));
        asset_correlation.push(rho);
    }
    Some(Systematic {
        dynamics,
        asset_correlation,
        recovery_correlation: r.recovery_correlation.as_ref().map_or(0.0, |c| cx.in_range(c, 0.0, 0.99, "systematic.recovery_correlation", "correlation of the share of paying charged-off accounts with the factor; 0 for none")),
        importance_shift: r.importance_shift.as_ref().map(|m| {
            let shift = cx.in_range(m, -5.0, 5.0, "systematic.importance_shift", "mean of the factor under importance sampling: -1.5 makes bad paths common; leave it out for a plain run");
            // The likelihood ratio of k shifted innovations is lognormal with log-variance
            // k shift^2, so the effective sample size is about paths * exp(-k shift^2).
            let (draws, what) = match dynamics {
                FactorDynamics::PerPath => (1.0, "one draw per path".to_string()),
                FactorDynamics::Monthly { .. } => {
                    let k = (*raw.simulation.horizon_months.get_ref()).clamp(1, 100_000) as f64;
                    (k, format!("{k} monthly draws"))
                }
            };
            let exponent = draws * shift * shift;
            if exponent > MAX_IMPORTANCE_EXPONENT {
                let limit = (MAX_IMPORTANCE_EXPONENT / draws).sqrt();
                cx.error(
                    m,
                    format!(
                        "`systematic.importance_shift` {shift} over {what} leaves an effective sample size of about 1 path in e^{exponent:.0}: the weighted figures would rest on one or two paths"
                    ),
                    format!(
                        "keep |importance_shift| at most {limit:.2} here (its square times the draws at most {MAX_IMPORTANCE_EXPONENT:.1}, an effective sample of at least 1 path in 1,000); with a monthly factor the shift acts every month, so it must be much smaller than with a per-path one"
                    ),
                );
            }
            shift
        }),
        z_shift: r.z_shift.as_ref().map_or(0.0, |z| cx.in_range(z, -10.0, 10.0, "systematic.z_shift", "standard deviations added to the factor in every month: -2 is a lasting two-sigma downturn; 0 or left out for none")),
    })
}

/// Basel's correlation for a segment: 0.04 for revolving lines; for instalment loans the
/// "other retail" formula at the segment's 12-month probability of charge-off or sale from
/// current.
fn basel_default(model: &Model, segment: usize) -> f64 {
    if matches!(model.segments[segment].product, Product::Revolving { .. }) {
        return BASEL_REVOLVING_CORRELATION;
    }
    let Ok(m) = model.effective_matrix(segment, &model.segments[segment].transitions) else {
        return basel_other_retail_correlation(0.0);
    };
    let n = model.space.len();
    let mut v = vec![0.0; n];
    v[crate::model::states::CURRENT as usize] = 1.0;
    for _ in 0..12 {
        let mut next = vec![0.0; n];
        for (i, &vi) in v.iter().enumerate() {
            for (j, cell) in next.iter_mut().enumerate() {
                *cell += vi * m.get(i as StateId, j as StateId);
            }
        }
        v = next;
    }
    let pd = v[model.space.charged_off() as usize] + v[model.space.sold() as usize];
    basel_other_retail_correlation(pd)
}

fn stress_paths(
    cx: &mut Ctx,
    raw: &RawScenario,
    horizon: u32,
    has_factor: bool,
) -> Vec<StressPath> {
    let mut out: Vec<StressPath> = Vec::new();
    for s in &raw.stress {
        let r = s.get_ref();
        cx.identifier(&r.name, "stress scenario name");
        if out.iter().any(|x| &x.name == r.name.get_ref()) {
            cx.error(
                &r.name,
                format!("stress scenario `{}` is defined twice", r.name.get_ref()),
                "give each [[stress]] its own name",
            );
        }
        let weight = r.weight.as_ref().map(|w| {
            cx.in_range(
                w,
                0.0,
                1.0,
                "stress.weight",
                "probability weight of the scenario; the weights of a set sum to one",
            )
        });
        let z_shift = month_series(
            cx,
            r.z_shift.as_ref(),
            "z_shift",
            0.0,
            -10.0,
            10.0,
            horizon,
            "shift of the systematic factor in standard deviations: -1 is a one-sigma downturn",
        );
        if z_shift.iter().any(|&z| z != 0.0)
            && !has_factor
            && let Some(v) = &r.z_shift
        {
            cx.error(v, "`z_shift` needs a systematic factor", "add `[systematic]` (e.g. `asset_correlation = 0.05`), or stress the rates with `roll_multiplier` and `cure_multiplier`");
        }
        let mult_hint = "a multiplier: 1.3 raises the rate by 30%, 1 leaves it unchanged";
        out.push(StressPath {
            name: r.name.get_ref().clone(),
            weight,
            z_shift,
            roll_multiplier: month_series(
                cx,
                r.roll_multiplier.as_ref(),
                "roll_multiplier",
                1.0,
                0.0,
                100.0,
                horizon,
                mult_hint,
            ),
            cure_multiplier: month_series(
                cx,
                r.cure_multiplier.as_ref(),
                "cure_multiplier",
                1.0,
                0.0,
                100.0,
                horizon,
                mult_hint,
            ),
            recovery_multiplier: month_series(
                cx,
                r.recovery_multiplier.as_ref(),
                "recovery_multiplier",
                1.0,
                0.0,
                100.0,
                horizon,
                mult_hint,
            ),
        });
    }
    let weights: Vec<Option<f64>> = out.iter().map(|s| s.weight).collect();
    if weights.iter().any(Option::is_some) {
        if weights.iter().any(Option::is_none) {
            cx.error(
                &raw.stress[0],
                "some stress scenarios have a `weight` and some do not",
                "give every scenario of the set a weight, or none",
            );
        } else {
            let sum: f64 = weights.iter().flatten().sum();
            if (sum - 1.0).abs() > 1e-9 {
                cx.error(
                    &raw.stress[0],
                    format!(
                        "stress weights sum to {}, expected 1",
                        crate::model::fmt_number(sum)
                    ),
                    "weights are the probabilities of the scenarios in the blended view",
                );
            }
        }
    }
    out
}

fn book(
    cx: &mut Ctx,
    raw: &RawScenario,
    base_dir: &Path,
    space: &StateSpace,
    triggers: &[StateId],
) -> BookSource {
    let b = raw.book.get_ref();
    match b.source.get_ref().as_str() {
        "synthetic" => {
            if let Some(p) = &b.path {
                cx.error(
                    p,
                    "`path` applies to `source = \"tape\"` only",
                    "remove `path`, or set `source = \"tape\"`",
                );
            }
            let mut segs = Vec::new();
            for (idx, (name, seg)) in raw.segments.get_ref().iter().enumerate() {
                match &seg.get_ref().book {
                    Some(sb) => {
                        if let Some(s) =
                            synthetic(cx, idx, name.get_ref(), sb, space, triggers, seg.get_ref())
                        {
                            segs.push(s);
                        }
                    }
                    None => cx.error(
                        seg,
                        format!(
                            "segment `{}` has no `[segments.{}.book]`",
                            name.get_ref(),
                            name.get_ref()
                        ),
                        "a synthetic book needs, per segment: loans, balance, apr, term_months",
                    ),
                }
            }
            if !segs.is_empty() && segs.iter().all(|s| s.loans == 0) {
                cx.error(
                    &raw.book,
                    "the synthetic book has no loans",
                    "set `loans` above 0 in at least one segment",
                );
            }
            BookSource::Synthetic(segs)
        }
        "tape" => {
            for (name, seg) in raw.segments.get_ref() {
                if let Some(sb) = &seg.get_ref().book {
                    cx.error(
                        sb,
                        format!(
                            "segment `{}` describes a synthetic book, but the book is a tape",
                            name.get_ref()
                        ),
                        "remove `[segments.NAME.book]`, or set `source = \"synthetic\"`",
                    );
                }
            }
            match &b.path {
                Some(p) if p.get_ref().trim().is_empty() => {
                    cx.error(p, "`book.path` is empty", "the loan tape's path, relative to the scenario file, e.g. `path = \"data/tape.csv\"`");
                    BookSource::Tape {
                        path: base_dir.to_path_buf(),
                    }
                }
                Some(p) => BookSource::Tape {
                    path: base_dir.join(p.get_ref()),
                },
                None => {
                    cx.error(&raw.book, "`source = \"tape\"` needs `path`", "the loan tape's path, relative to the scenario file, e.g. `path = \"data/tape.csv\"`");
                    BookSource::Tape {
                        path: base_dir.to_path_buf(),
                    }
                }
            }
        }
        other => {
            cx.error(&b.source, format!("unknown book source `{other}`"), "use `\"synthetic\"` (generated from [segments.NAME.book]) or `\"tape\"` (a CSV or Parquet loan tape)");
            BookSource::Synthetic(Vec::new())
        }
    }
}

fn synthetic(
    cx: &mut Ctx,
    idx: usize,
    name: &str,
    sb: &Spanned<RawSyntheticBook>,
    space: &StateSpace,
    triggers: &[StateId],
    seg: &RawSegment,
) -> Option<SyntheticSegment> {
    let s = sb.get_ref();
    let loans = cx.int_in_range(
        &s.loans,
        0,
        MAX_SYNTHETIC_LOANS,
        "loans",
        "number of loans in the segment",
    ) as u64;
    let bal = s.balance.get_ref();
    let fields: [(&str, &Option<Spanned<f64>>); 5] = [
        ("value", &bal.value),
        ("min", &bal.min),
        ("max", &bal.max),
        ("mean", &bal.mean),
        ("sd", &bal.sd),
    ];
    let need = |cx: &mut Ctx, wanted: &[&str]| -> Option<Vec<f64>> {
        let mut out = Vec::new();
        for (key, v) in fields {
            match (wanted.contains(&key), v) {
                (true, Some(v)) => out.push(cx.in_range(
                    v,
                    0.0,
                    1e12,
                    key,
                    "a balance in currency units, not negative",
                )),
                (true, None) => {
                    cx.error(
                        &s.balance,
                        format!("`{}` balance needs `{key}`", bal.distribution.get_ref()),
                        format!("give {}", wanted.join(" and ")),
                    );
                    return None;
                }
                (false, Some(v)) => {
                    cx.error(
                        v,
                        format!(
                            "`{key}` does not apply to a `{}` balance",
                            bal.distribution.get_ref()
                        ),
                        format!(
                            "a `{}` balance takes {}",
                            bal.distribution.get_ref(),
                            wanted.join(" and ")
                        ),
                    );
                    return None;
                }
                (false, None) => {}
            }
        }
        Some(out)
    };
    let balance = match bal.distribution.get_ref().as_str() {
        "fixed" => need(cx, &["value"]).map(|v| BalanceDistribution::Fixed { value: v[0] }),
        "uniform" => need(cx, &["min", "max"]).and_then(|v| {
            if v[0] >= v[1] {
                cx.error(
                    &s.balance,
                    format!("uniform balance needs min < max, got {} and {}", v[0], v[1]),
                    "or use `distribution = \"fixed\"`",
                );
                None
            } else {
                Some(BalanceDistribution::Uniform {
                    min: v[0],
                    max: v[1],
                })
            }
        }),
        "lognormal" => need(cx, &["mean", "sd"]).and_then(|v| {
            if v[0] <= 0.0 || v[1] <= 0.0 {
                cx.error(
                    &s.balance,
                    "lognormal balance needs mean > 0 and sd > 0",
                    "mean and sd of the balance itself, in currency",
                );
                None
            } else if v[0] < MIN_LOGNORMAL_MEAN || v[1] / v[0] > MAX_LOGNORMAL_CV {
                cx.error(
                    &s.balance,
                    format!(
                        "lognormal balance with mean {:?} and sd {:?} cannot be drawn: sd / mean is {:.3e}, at most {MAX_LOGNORMAL_CV} with a mean of at least {MIN_LOGNORMAL_MEAN}",
                        v[0], v[1], v[1] / v[0]
                    ),
                    "mean and sd of the balance itself, in currency units, e.g. `mean = 5000.0, sd = 3000.0`",
                );
                None
            } else {
                Some(BalanceDistribution::LogNormal {
                    mean: v[0],
                    sd: v[1],
                })
            }
        }),
        other => {
            cx.error(
                &bal.distribution,
                format!("unknown balance distribution `{other}`"),
                "use `\"fixed\"` (value), `\"uniform\"` (min, max) or `\"lognormal\"` (mean, sd)",
            );
            None
        }
    };
    let apr = cx.in_range(
        &s.apr,
        0.0,
        10.0,
        "apr",
        "annual percentage rate as a fraction: 0.24 for 24%",
    );
    let term = cx.int_in_range(
        &s.term_months,
        1,
        MAX_HORIZON_MONTHS,
        "term_months",
        "contractual term in months",
    ) as u32;
    let mob = match &s.months_on_book {
        None => (0, 0),
        Some(w) => match w.get_ref().as_slice() {
            [a, b]
                if *a.get_ref() >= 0
                    && a.get_ref() <= b.get_ref()
                    && *b.get_ref() < i64::from(term) =>
            {
                (*a.get_ref() as u32, *b.get_ref() as u32)
            }
            _ => {
                cx.error(w, "`months_on_book` must be `[first, last]` with 0 <= first <= last < term_months", "loans start with a months-on-book drawn uniformly from the range; e.g. `[0, 11]`");
                (0, 0)
            }
        },
    };
    let is_revolving = seg
        .product
        .as_ref()
        .is_some_and(|p| p.get_ref() == "revolving");
    let credit_limit_ratio = match (&s.credit_limit_ratio, is_revolving) {
        (Some(r), true) => Some(cx.in_range(
            r,
            1.0,
            1000.0,
            "credit_limit_ratio",
            "credit limit as a multiple of the starting balance, at least 1",
        )),
        (Some(r), false) => {
            cx.error(
                r,
                "`credit_limit_ratio` applies to revolving products only",
                "remove it, or set `product = \"revolving\"` on the segment",
            );
            None
        }
        (None, true) => Some(1.0),
        (None, false) => None,
    };
    let mut initial_states = Vec::new();
    match &s.initial_states {
        None => initial_states.push((crate::model::states::CURRENT, 1.0)),
        Some(mix) => {
            let mut sum = 0.0;
            for (state, share) in mix.get_ref() {
                let Some(id) = space
                    .id(state.get_ref())
                    .filter(|&id| space.kind(id).is_on_book())
                else {
                    cx.error(
                        state,
                        format!("`{}` is not a state a loan can start in", state.get_ref()),
                        "loans start `current` or in a delinquency bucket",
                    );
                    continue;
                };
                if triggers.contains(&id) {
                    cx.error(state, format!("loans entering `{}` are charged off or sold at once; none can start there", state.get_ref()), "start them in an earlier bucket");
                    continue;
                }
                let p = cx.in_range(
                    share,
                    0.0,
                    1.0,
                    "initial_states",
                    "share of the segment's loans starting in the state",
                );
                sum += p;
                if p > 0.0 {
                    initial_states.push((id, p));
                }
            }
            if (sum - 1.0).abs() > crate::model::matrix::ROW_SUM_TOLERANCE {
                cx.error(
                    mix,
                    format!(
                        "segment `{name}`: starting shares sum to {}, expected 1 (off by {:+.3e})",
                        crate::model::fmt_number(sum),
                        sum - 1.0
                    ),
                    "the shares of loans starting in each state must add up to one",
                );
            }
        }
    }
    Some(SyntheticSegment {
        segment: idx,
        loans,
        balance: balance?,
        apr,
        term_months: term,
        months_on_book: mob,
        credit_limit_ratio,
        initial_states,
    })
}
