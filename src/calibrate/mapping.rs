//! The calibration file: where the performance history is, what its columns are called, how the
//! lender's status codes map to the scenario's states, how to estimate, and what the written
//! scenario should carry that the data cannot tell (APR, term, simulation settings).
//!
//! Same two phases as the scenario file: serde types with spans, then one pass that lists every
//! problem with its line and a hint. `[states]`, `[stages]` and `[charge_off]` are the
//! scenario's own sections, checked by the scenario's own code, and copied into the scenario
//! that calibration writes. The reference is docs/CALIBRATION.md.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

use crate::model::{Bucket, StateId, StateKind, StateSpace};
use crate::scenario::Diagnostic;
use crate::scenario::raw::{RawChargeOff, RawStages, RawStates};
use crate::scenario::validate::{Ctx, charge_off, states};

/// The calibration file format version this build reads.
pub const FORMAT_VERSION: i64 = 1;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalibration {
    version: Spanned<i64>,
    panel: Spanned<RawPanel>,
    states: RawStates,
    #[serde(default)]
    stages: RawStages,
    charge_off: Option<Spanned<RawChargeOff>>,
    status: Spanned<RawStatus>,
    estimate: Option<Spanned<RawEstimate>>,
    scenario: Spanned<RawScenarioOut>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPanel {
    path: Spanned<String>,
    columns: Option<Spanned<IndexMap<Spanned<String>, Spanned<String>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatus {
    days_past_due: Option<Spanned<bool>>,
    #[serde(default)]
    codes: IndexMap<Spanned<String>, Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEstimate {
    method: Option<Spanned<String>>,
    confidence: Option<Spanned<f64>>,
    min_loans: Option<Spanned<i64>>,
    fallback: Option<Spanned<String>>,
    months_on_book: Option<Spanned<Vec<Spanned<Band>>>>,
    calendar_block_months: Option<Spanned<i64>>,
    recovery_months: Option<Spanned<i64>>,
    posterior_draws: Option<Spanned<i64>>,
}

/// `[first, last]` months on book.
type Band = Vec<Spanned<i64>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenarioOut {
    name: Spanned<String>,
    paths: Option<Spanned<i64>>,
    horizon_months: Option<Spanned<i64>>,
    seed: Option<Spanned<i64>>,
    start: Option<Spanned<String>>,
    product: Option<Spanned<String>>,
    /// A number for every segment or a table by segment.
    apr: Spanned<toml::Value>,
    term_months: Spanned<toml::Value>,
    balance: Option<Spanned<f64>>,
}

/// The documented panel columns, by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    LoanId,
    Period,
    Status,
    Balance,
    Segment,
    Origination,
    ChargeOffAmount,
    RecoveryAmount,
    StatusDate,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::LoanId,
        Role::Period,
        Role::Status,
        Role::Balance,
        Role::Segment,
        Role::Origination,
        Role::ChargeOffAmount,
        Role::RecoveryAmount,
        Role::StatusDate,
    ];

    /// The role's key in `[panel.columns]` and its default column name.
    pub fn key(self) -> &'static str {
        match self {
            Role::LoanId => "loan_id",
            Role::Period => "period",
            Role::Status => "status",
            Role::Balance => "balance",
            Role::Segment => "segment",
            Role::Origination => "origination",
            Role::ChargeOffAmount => "charge_off_amount",
            Role::RecoveryAmount => "recovery_amount",
            Role::StatusDate => "status_date",
        }
    }

    pub fn required(self) -> bool {
        matches!(self, Role::LoanId | Role::Period | Role::Status)
    }
}

/// What a status code means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    State(StateId),
    /// No loan that month (a placeholder row): the row is skipped, like a missing month.
    Absent,
}

/// How the charge-off policy was stated, to be written back into the scenario.
#[derive(Debug, Clone, PartialEq)]
pub enum ChargeOffRule {
    Dpd(u32),
    State(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Counts of monthly moves over loans at the start of the month.
    Cohort,
    /// Intensities from exact transition dates (time in each state), exponentiated to a month.
    Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// Sparse rows borrow `min_loans` pseudo-observations from the row pooled over segments.
    Pool,
    /// Sparse rows use their own data only; a row with no data is an error.
    None,
}

/// Which loans make the written scenario's book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Loans on book in the last period of the history: the book to project forward.
    LastPeriod,
    /// Loans on book in the first period: replays the history (the round-trip check).
    FirstPeriod,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EstimateOptions {
    pub method: Method,
    pub confidence: f64,
    pub min_loans: u64,
    pub fallback: Fallback,
    /// Month-on-book bands with their own matrix, `(first, last)` inclusive.
    pub months_on_book: Vec<(u32, u32)>,
    /// Length of the calendar blocks compared in the time-homogeneity test.
    pub calendar_block_months: u32,
    /// Longest recovery curve estimated after charge-off.
    pub recovery_months: u32,
    /// Draws used for the duration method's intervals.
    pub posterior_draws: u32,
}

/// A number for every segment, or one per segment by name.
#[derive(Debug, Clone, PartialEq)]
pub enum PerSegment<T> {
    All(T),
    By(IndexMap<String, T>),
}

impl<T: Copy> PerSegment<T> {
    pub fn get(&self, segment: &str) -> Option<T> {
        match self {
            PerSegment::All(v) => Some(*v),
            PerSegment::By(m) => m.get(segment).copied(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioOptions {
    pub name: String,
    pub paths: u64,
    pub horizon_months: u32,
    pub seed: u64,
    pub start: Start,
    pub product: String,
    pub apr: PerSegment<f64>,
    pub term_months: PerSegment<u32>,
    /// Balance of every loan when the panel has no balance column.
    pub balance: Option<f64>,
}

/// A checked calibration file.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub file: PathBuf,
    pub sha256: String,
    pub panel: PathBuf,
    /// Column name for each role; optional roles absent from the file are looked for under their
    /// default name and skipped when missing.
    pub columns: Vec<(Role, String, bool)>,
    pub space: StateSpace,
    pub buckets: Vec<Bucket>,
    pub stages: Vec<(String, Vec<String>)>,
    pub charge_off_on_entering: Vec<StateId>,
    pub charge_off: Option<ChargeOffRule>,
    /// Numeric statuses are days past due, mapped to the bucket holding them (0: current).
    pub days_past_due: bool,
    pub codes: IndexMap<String, Code>,
    pub estimate: EstimateOptions,
    pub scenario: ScenarioOptions,
}

impl Mapping {
    /// The column name for `role`, and whether the file named it explicitly.
    pub fn column(&self, role: Role) -> (&str, bool) {
        let (_, name, explicit) = self
            .columns
            .iter()
            .find(|(r, _, _)| *r == role)
            .expect("every role has a column name");
        (name, *explicit)
    }

    /// The state a loan is in for the matrix: trigger buckets (charged off on entry) are
    /// `charged_off`.
    pub fn normalise(&self, state: StateId) -> StateId {
        if self.charge_off_on_entering.contains(&state) {
            self.space.charged_off()
        } else {
            state
        }
    }
}

/// Why a calibration file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("cannot read calibration file `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{}",
        crate::scenario::render_invalid("calibration file", path, text, diagnostics)
    )]
    Invalid {
        path: PathBuf,
        text: String,
        diagnostics: Vec<Diagnostic>,
    },
}

/// Reads and checks a calibration file.
pub fn load(path: &Path) -> Result<Mapping, MappingError> {
    crate::input::check_regular(path).map_err(|message| MappingError::Read {
        path: path.to_path_buf(),
        source: std::io::Error::other(message),
    })?;
    let text = std::fs::read_to_string(path).map_err(|source| MappingError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

/// Checks calibration text; `path` names it and anchors the panel's relative path.
pub fn parse(text: &str, path: &Path) -> Result<Mapping, MappingError> {
    let invalid = |diagnostics| MappingError::Invalid {
        path: path.to_path_buf(),
        text: text.to_string(),
        diagnostics,
    };
    let raw: RawCalibration = crate::scenario::from_toml(text).map_err(invalid)?;
    let mut cx = Ctx {
        diags: Vec::new(),
        warnings: Vec::new(),
    };
    if *raw.version.get_ref() != FORMAT_VERSION {
        cx.error(
            &raw.version,
            format!(
                "calibration format version {} is not supported",
                raw.version.get_ref()
            ),
            format!("this build of arrears reads `version = {FORMAT_VERSION}`"),
        );
    }
    let space = states(&mut cx, &raw.states, &raw.stages);
    let charge_off_on_entering = charge_off(&mut cx, raw.charge_off.as_ref(), &space);
    let charge_off_rule = raw.charge_off.as_ref().and_then(|c| {
        let c = c.get_ref();
        match (&c.dpd, &c.state) {
            (Some(d), None) => Some(ChargeOffRule::Dpd(*d.get_ref() as u32)),
            (None, Some(s)) => Some(ChargeOffRule::State(s.get_ref().clone())),
            _ => None,
        }
    });
    let buckets: Vec<Bucket> = space
        .states
        .iter()
        .filter_map(|s| match (s.kind, s.dpd) {
            (StateKind::Delinquent { .. }, Some((lo, hi))) => Some(Bucket {
                name: s.name.clone(),
                min_dpd: lo,
                max_dpd: hi,
            }),
            _ => None,
        })
        .collect();
    let stages: Vec<(String, Vec<String>)> = space
        .stages
        .iter()
        .map(|st| {
            (
                st.name.clone(),
                st.states
                    .iter()
                    .map(|&id| space.name(id).to_string())
                    .collect(),
            )
        })
        .collect();

    let panel = raw.panel.get_ref();
    let base_dir = path.parent().unwrap_or(Path::new("."));
    let panel_path = base_dir.join(panel.path.get_ref());
    let columns = columns(&mut cx, panel.columns.as_ref());
    let (days_past_due, codes) = status(&mut cx, &raw.status, &space);
    let estimate = estimate(&mut cx, raw.estimate.as_ref());
    let scenario = scenario_options(&mut cx, &raw.scenario);

    if !cx.diags.is_empty() {
        return Err(invalid(cx.diags));
    }
    Ok(Mapping {
        file: path.to_path_buf(),
        sha256: crate::scenario::sha256_hex(text.as_bytes()),
        panel: panel_path,
        columns,
        space,
        buckets,
        stages,
        charge_off_on_entering,
        charge_off: charge_off_rule,
        days_past_due,
        codes,
        estimate,
        scenario,
    })
}

fn columns(
    cx: &mut Ctx,
    raw: Option<&Spanned<IndexMap<Spanned<String>, Spanned<String>>>>,
) -> Vec<(Role, String, bool)> {
    let mut out: Vec<(Role, String, bool)> = Role::ALL
        .iter()
        .map(|&r| (r, r.key().to_string(), false))
        .collect();
    let Some(raw) = raw else { return out };
    for (key, name) in raw.get_ref() {
        match out.iter_mut().find(|(r, _, _)| r.key() == key.get_ref()) {
            Some(slot) => {
                if name.get_ref().trim().is_empty() {
                    cx.error(
                        name,
                        format!("the column name for `{}` is empty", key.get_ref()),
                        "give the column's header as it appears in the panel file",
                    );
                }
                slot.1 = name.get_ref().clone();
                slot.2 = true;
            }
            None => {
                let keys: Vec<_> = Role::ALL.iter().map(|r| format!("`{}`", r.key())).collect();
                cx.error(
                    key,
                    format!("`{}` is not a panel column role", key.get_ref()),
                    format!(
                        "the roles are {}; each maps to the header of a column in your file",
                        keys.join(", ")
                    ),
                );
            }
        }
    }
    out
}

fn status(
    cx: &mut Ctx,
    raw: &Spanned<RawStatus>,
    space: &StateSpace,
) -> (bool, IndexMap<String, Code>) {
    let r = raw.get_ref();
    let days_past_due = r.days_past_due.as_ref().is_some_and(|d| *d.get_ref());
    let mut codes = IndexMap::new();
    for (code, target) in &r.codes {
        let code_text = code.get_ref().trim().to_string();
        if code_text.is_empty() {
            cx.error(
                code,
                "an empty status code",
                "empty status cells are reported as missing; remove this entry",
            );
            continue;
        }
        if days_past_due && code_text.parse::<i64>().is_ok() {
            cx.error(
                code,
                format!("code `{code_text}` is a number, and numbers are days past due here"),
                "with `days_past_due = true` numeric statuses map to buckets by their DPD; list only the other codes (paid off, written off, no loan)",
            );
            continue;
        }
        let meaning = match target.get_ref().as_str() {
            "absent" => Some(Code::Absent),
            "sold" => {
                cx.error(target, "status codes cannot map to `sold`", "debt sales are a policy, not a transition: map sold accounts to `charged_off` and state the sale in the scenario's [debt_sale]");
                None
            }
            name => match space.id(name) {
                Some(id) => Some(Code::State(id)),
                None => {
                    let names: Vec<_> = space
                        .states
                        .iter()
                        .filter(|s| s.name != "sold")
                        .map(|s| format!("`{}`", s.name))
                        .chain(std::iter::once("`absent`".to_string()))
                        .collect();
                    cx.error(
                        target,
                        format!("`{name}` is not a state"),
                        format!(
                            "map each code to one of {} (`absent`: no loan that month)",
                            names.join(", ")
                        ),
                    );
                    None
                }
            },
        };
        if let Some(m) = meaning
            && codes.insert(code_text.clone(), m).is_some()
        {
            cx.error(
                code,
                format!("code `{code_text}` is mapped twice"),
                "give each code once",
            );
        }
    }
    if !days_past_due && codes.is_empty() {
        cx.error(
            raw,
            "[status] maps no codes and does not read days past due",
            "set `days_past_due = true` when the status column holds DPD numbers, and/or list `codes = { \"0\" = \"current\", ... }`",
        );
    }
    (days_past_due, codes)
}

fn estimate(cx: &mut Ctx, raw: Option<&Spanned<RawEstimate>>) -> EstimateOptions {
    let mut out = EstimateOptions {
        method: Method::Cohort,
        confidence: 0.90,
        min_loans: 30,
        fallback: Fallback::Pool,
        months_on_book: Vec::new(),
        calendar_block_months: 12,
        recovery_months: 36,
        posterior_draws: 2000,
    };
    let Some(raw) = raw else { return out };
    let r = raw.get_ref();
    if let Some(m) = &r.method {
        out.method = match m.get_ref().as_str() {
            "cohort" => Method::Cohort,
            "duration" => Method::Duration,
            other => {
                cx.error(m, format!("unknown method `{other}`"), "use `cohort` (counts of monthly moves) or `duration` (time in state from exact transition dates; needs a `status_date` column)");
                Method::Cohort
            }
        };
    }
    if let Some(c) = &r.confidence {
        out.confidence = cx.in_range(
            c,
            0.5,
            0.999,
            "estimate.confidence",
            "the level of the intervals, e.g. 0.90 or 0.95",
        );
    }
    if let Some(m) = &r.min_loans {
        out.min_loans = cx.int_in_range(
            m,
            0,
            1_000_000,
            "estimate.min_loans",
            "rows with fewer loans at risk than this are sparse and fall back (see `fallback`)",
        ) as u64;
    }
    if let Some(f) = &r.fallback {
        out.fallback = match f.get_ref().as_str() {
            "pool" => Fallback::Pool,
            "none" => Fallback::None,
            other => {
                cx.error(
                    f,
                    format!("unknown fallback `{other}`"),
                    "use `pool` (sparse rows borrow from the row pooled over segments) or `none`",
                );
                Fallback::Pool
            }
        };
    }
    if let Some(bands) = &r.months_on_book {
        let mut last: Option<u32> = None;
        for band in bands.get_ref() {
            let b = band.get_ref();
            if b.len() != 2 {
                cx.error(band, "a month-on-book band is `[first, last]`", "e.g. `months_on_book = [[0, 2], [3, 5]]`: a matrix for months 0-2 on book, one for 3-5, the base matrix after");
                continue;
            }
            let lo = cx.int_in_range(&b[0], 0, 600, "months_on_book", "months on book start at 0");
            let hi = cx.int_in_range(
                &b[1],
                lo,
                600,
                "months_on_book",
                "a band's last month is at least its first",
            );
            if last.is_some_and(|l| lo as u32 <= l) {
                cx.error(
                    band,
                    "month-on-book bands overlap or are out of order",
                    "list bands in ascending order without overlaps",
                );
            }
            last = Some(hi as u32);
            out.months_on_book.push((lo as u32, hi as u32));
        }
    }
    if let Some(c) = &r.calendar_block_months {
        out.calendar_block_months = cx.int_in_range(
            c,
            1,
            120,
            "estimate.calendar_block_months",
            "months per calendar block compared in the time-homogeneity test, e.g. 12",
        ) as u32;
    }
    if let Some(m) = &r.recovery_months {
        out.recovery_months = cx.int_in_range(
            m,
            1,
            240,
            "estimate.recovery_months",
            "the longest recovery curve to estimate after charge-off, in months",
        ) as u32;
    }
    if let Some(d) = &r.posterior_draws {
        out.posterior_draws = cx.int_in_range(
            d,
            100,
            100_000,
            "estimate.posterior_draws",
            "draws for the duration method's intervals, e.g. 2000",
        ) as u32;
    }
    out
}

fn per_segment<T: Copy>(
    cx: &mut Ctx,
    v: &Spanned<toml::Value>,
    key: &str,
    check: &dyn Fn(f64) -> Option<T>,
    expect: &str,
) -> PerSegment<T> {
    let bad = |cx: &mut Ctx, at: &Spanned<toml::Value>| {
        cx.error(
            at,
            format!("`scenario.{key}` must be {expect}, or a table of them by segment"),
            format!("e.g. `{key} = ...` for every segment, or `{key} = {{ prime = ..., subprime = ... }}`"),
        );
    };
    let number = |x: &toml::Value| x.as_float().or_else(|| x.as_integer().map(|i| i as f64));
    match v.get_ref() {
        toml::Value::Table(t) => {
            let mut m = IndexMap::new();
            for (seg, x) in t {
                match number(x).and_then(check) {
                    Some(val) => {
                        m.insert(seg.clone(), val);
                    }
                    None => bad(cx, v),
                }
            }
            PerSegment::By(m)
        }
        x => match number(x).and_then(check) {
            Some(val) => PerSegment::All(val),
            None => {
                bad(cx, v);
                PerSegment::By(IndexMap::new())
            }
        },
    }
}

fn scenario_options(cx: &mut Ctx, raw: &Spanned<RawScenarioOut>) -> ScenarioOptions {
    let r = raw.get_ref();
    cx.identifier(&r.name, "scenario name");
    let paths = r.paths.as_ref().map_or(1000, |p| {
        cx.int_in_range(
            p,
            1,
            10_000_000,
            "scenario.paths",
            "Monte Carlo paths of the written scenario",
        ) as u64
    });
    let horizon_months = r.horizon_months.as_ref().map_or(36, |h| {
        cx.int_in_range(
            h,
            1,
            600,
            "scenario.horizon_months",
            "months the written scenario simulates",
        ) as u32
    });
    let seed = r.seed.as_ref().map_or(1, |s| {
        cx.int_in_range(s, 0, i64::MAX, "scenario.seed", "any whole number >= 0") as u64
    });
    let start = match r.start.as_ref().map(|s| (s, s.get_ref().as_str())) {
        None | Some((_, "last_period")) => Start::LastPeriod,
        Some((_, "first_period")) => Start::FirstPeriod,
        Some((s, other)) => {
            cx.error(s, format!("unknown start `{other}`"), "use `last_period` (project the book as it stands at the end of the history) or `first_period` (replay the history from its start)");
            Start::LastPeriod
        }
    };
    let product = match r.product.as_ref().map(|p| (p, p.get_ref().as_str())) {
        None => "instalment".to_string(),
        Some((_, p @ ("instalment" | "revolving"))) => p.to_string(),
        Some((p, other)) => {
            cx.error(
                p,
                format!("unknown product `{other}`"),
                "use `instalment` or `revolving`",
            );
            "instalment".to_string()
        }
    };
    let apr = per_segment(
        cx,
        &r.apr,
        "apr",
        &|x| (0.0..=10.0).contains(&x).then_some(x),
        "an annual rate as a fraction in [0, 10] (0.25 for 25%)",
    );
    let term_months = per_segment(
        cx,
        &r.term_months,
        "term_months",
        &|x| ((1.0..=600.0).contains(&x) && x.fract() == 0.0).then_some(x as u32),
        "a whole number of months in [1, 600]",
    );
    let balance = r.balance.as_ref().map(|b| {
        cx.in_range(
            b,
            0.0,
            1e12,
            "scenario.balance",
            "the balance of every loan, used only when the panel has no balance column",
        )
    });
    ScenarioOptions {
        name: r.name.get_ref().clone(),
        paths,
        horizon_months,
        seed,
        start,
        product,
        apr,
        term_months,
        balance,
    }
}
