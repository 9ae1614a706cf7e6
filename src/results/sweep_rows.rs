//! The files `arrears sweep` writes at the top of its folder: `sweep.json` (the varied keys,
//! every point and where its result folder is), `sweep.csv`/`.parquet` (one row per point and
//! figure, one column per varied key: the tidy long table) and `sweep_differences` (paired
//! differences between points). Each point's own results are a run's folder under `points/`.
//!
//! `arrears solve` writes `solve.json` ([`SolveFile`]), `solve_roots` and `solve_evaluations`
//! beside it.
//!
//! The sweep table's key columns depend on the sweep, so its fields are built from
//! `sweep.json`'s keys ([`sweep_fields`]) and the table is read back through them.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::summary::RunFacts;
use super::table::{self, Check, Field, Table, TableError, field};
use crate::metrics::estimate::Estimate;
use crate::scenario::sweep::{Combine, SweepValue, ValueKind};

/// `sweep.json`.
pub const SWEEP_FILE: &str = "sweep.json";
/// The folder holding each point's result folder.
pub const POINTS_DIR: &str = "points";
/// The sweep table's file stem.
pub const SWEEP_STEM: &str = "sweep";

/// A varied key: its dotted path, its column's type and its values as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepKey {
    pub key: String,
    pub kind: ValueKind,
    pub values: Vec<String>,
}

/// One point: its number, each key's value (as written) and its result folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepPoint {
    pub sweep_point: u32,
    pub values: Vec<String>,
    /// Relative to the sweep's folder, e.g. `points/point-0003`.
    pub folder: String,
}

/// `sweep.json`: what was varied, how, and where each point's results are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    /// The sweep as a whole: the base scenario's facts, `run_seconds` over every point.
    pub run: RunFacts,
    pub keys: Vec<SweepKey>,
    pub combine: Combine,
    /// The point every other is compared with.
    pub reference: u32,
    /// Figures charted against the first key.
    pub figures: Vec<String>,
    pub points: Vec<SweepPoint>,
    /// Each point's warnings, prefixed with the point.
    pub warnings: Vec<String>,
    /// What the charts are titled and labelled with, so `arrears report` redraws them.
    pub chart: ChartFacts,
}

/// `sweep_part.json`: one shard of a sweep (`arrears sweep --shard I/N`). It keeps the sweep's
/// inputs (the base scenario is `scenario.toml` beside it) so `arrears merge` plans the same
/// sweep again, and holds the run folders of points `first_point..end_point` in `points/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepPartFile {
    pub shard: u64,
    pub shards: u64,
    pub first_point: u64,
    pub end_point: u64,
    /// The scenario file as given, for messages and the sweep's facts.
    pub scenario_file: String,
    /// SHA-256 of the scenario file's bytes, as a run's facts give it.
    pub scenario_sha256: String,
    /// `--set KEY=VALUE`, in order.
    pub overrides: Vec<String>,
    /// `--vary`, `--zip`, `--reference`, `--figure`, `--paths`, `--seed` as given.
    pub vary: Vec<String>,
    pub zip: bool,
    pub reference: Option<usize>,
    pub figures: Vec<String>,
    pub paths: Option<u64>,
    pub seed: Option<u64>,
    /// This shard's threads and seconds.
    pub threads: usize,
    pub run_seconds: f64,
}

/// The sweep part's file.
pub const SWEEP_PART_FILE: &str = "sweep_part.json";

/// The scenario's display settings a sweep's or a solve's charts use: its title, currency and
/// state labels (`[simulation] title`, `currency`, `[states] labels`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartFacts {
    pub title: String,
    pub currency: String,
    pub state_labels: std::collections::BTreeMap<String, String>,
}

impl SweepFile {
    /// `debt_sale.price = 0.05, debt_sale.months = 6` for a point.
    pub fn describe(&self, point: usize) -> String {
        self.keys
            .iter()
            .zip(&self.points[point].values)
            .map(|(k, v)| format!("{} = {v}", k.key))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Folder name of point `i`: `point-0003`, sorting in point order.
pub fn point_folder(i: usize) -> String {
    format!("{POINTS_DIR}/point-{i:04}")
}

/// A figure at a point of the sweep.
#[derive(Debug, Clone, Default)]
pub struct SweepRow {
    pub sweep_point: u32,
    /// The point's value of each varied key, in the keys' order.
    pub keys: Vec<SweepValue>,
    pub figure: String,
    pub label: String,
    /// `currency`, `count` or `fraction`.
    pub unit: String,
    pub estimate: Estimate,
    /// Value at risk and expected shortfall at 95, 99 and 99.9%, for the figures that have
    /// them (net credit loss, gross and net write-offs); null otherwise.
    pub var_95: f64,
    pub es_95: f64,
    pub var_99: f64,
    pub es_99: f64,
    pub var_99_9: f64,
    pub es_99_9: f64,
}

/// The sweep table's columns: `sweep_point`, one per key (named by its dotted path, typed by
/// its kind), then the figure and its estimate and tails.
pub fn sweep_fields(keys: &[SweepKey]) -> Vec<Field<SweepRow>> {
    let mut fields = vec![Field::u32(
        "sweep_point",
        |r: &SweepRow| r.sweep_point,
        |r, v| r.sweep_point = v,
    )];
    for (i, key) in keys.iter().enumerate() {
        let slot = move |r: &mut SweepRow, v: SweepValue| {
            if r.keys.len() <= i {
                r.keys.resize(i + 1, SweepValue::Integer(0));
            }
            r.keys[i] = v;
        };
        fields.push(match key.kind {
            ValueKind::Integer => Field::i64(
                &key.key,
                move |r: &SweepRow| match r.keys[i] {
                    SweepValue::Integer(v) => v,
                    ref other => other.as_f64().unwrap_or(f64::NAN) as i64,
                },
                move |r, v| slot(r, SweepValue::Integer(v)),
            ),
            ValueKind::Number => Field::f64(
                &key.key,
                Check::Finite,
                move |r: &SweepRow| r.keys[i].as_f64().unwrap_or(f64::NAN),
                move |r, v| {
                    let value = SweepValue::from_toml(&toml::Value::Float(v))
                        .unwrap_or(SweepValue::Number(v, 1));
                    slot(r, value)
                },
            ),
            ValueKind::Text => Field::text(
                &key.key,
                move |r: &SweepRow| r.keys[i].label(),
                move |r, v| slot(r, SweepValue::Text(v)),
            ),
        });
    }
    fields.extend([
        Field::text(
            "figure",
            |r: &SweepRow| r.figure.clone(),
            |r, v| r.figure = v,
        ),
        Field::text("label", |r: &SweepRow| r.label.clone(), |r, v| r.label = v),
        Field::text("unit", |r: &SweepRow| r.unit.clone(), |r, v| r.unit = v),
    ]);
    fields.extend(Field::estimate_columns(
        Check::Any,
        |r: &SweepRow| &r.estimate,
        |r: &mut SweepRow| &mut r.estimate,
    ));
    type Tail = (&'static str, fn(&SweepRow) -> f64, fn(&mut SweepRow, f64));
    const TAILS: [Tail; 6] = [
        ("var_95", |r| r.var_95, |r, v| r.var_95 = v),
        ("es_95", |r| r.es_95, |r, v| r.es_95 = v),
        ("var_99", |r| r.var_99, |r, v| r.var_99 = v),
        ("es_99", |r| r.es_99, |r, v| r.es_99 = v),
        ("var_99_9", |r| r.var_99_9, |r, v| r.var_99_9 = v),
        ("es_99_9", |r| r.es_99_9, |r, v| r.es_99_9 = v),
    ];
    for (name, get, set) in TAILS {
        fields.push(Field::f64(name, Check::Any, get, set));
    }
    fields
}

/// Writes `sweep.csv` and `sweep.parquet`.
pub fn write_sweep(dir: &Path, keys: &[SweepKey], rows: &[SweepRow]) -> Result<(), TableError> {
    let csv = dir.join(format!("{SWEEP_STEM}.csv"));
    let parquet = dir.join(format!("{SWEEP_STEM}.parquet"));
    let mut frame = table::frame_of(rows, &parquet, sweep_fields(keys))?;
    table::write_frame(&mut frame, &csv, &parquet)
}

/// Reads `sweep.parquet` through the columns `keys` give it.
pub fn read_sweep(dir: &Path, keys: &[SweepKey]) -> Result<Vec<SweepRow>, TableError> {
    let path = dir.join(format!("{SWEEP_STEM}.parquet"));
    let frame = table::read_parquet(&path)?;
    table::rows_of_fields(&frame, &path, sweep_fields(keys))
}

/// A figure's difference between two points, paired path by path (the points share random
/// numbers).
#[derive(Debug, Clone, Default)]
pub struct SweepDifferenceRow {
    pub sweep_point: u32,
    /// `reference` (the sweep's reference point) or `previous` (the point before along the
    /// last varied key).
    pub against: String,
    pub other_point: u32,
    pub figure: String,
    pub unit: String,
    /// This point's mean less the other's.
    pub difference: f64,
    /// Standard error of the difference, from the per-path differences.
    pub difference_se: f64,
    /// `difference / difference_se`; null when the se is zero or undefined.
    pub z: f64,
}

/// The two comparisons a difference row can make.
pub const AGAINST: &[&str] = &["reference", "previous"];

impl Table for SweepDifferenceRow {
    const STEM: &'static str = "sweep_differences";
    const ROW: &'static str =
        "a figure's paired difference between a point and the reference or the previous point";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(u32 "sweep_point" => sweep_point),
            field!(choice "against", AGAINST => against),
            field!(u32 "other_point" => other_point),
            field!(text "figure" => figure),
            field!(text "unit" => unit),
            field!(f64 "difference", Any => difference),
            field!(f64 "difference_se", Any => difference_se),
            field!(f64 "z", Any => z),
        ]
    }
}

/// `solve.json`: the question. The answers are in `solve_roots`, one row per series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolveFile {
    pub run: RunFacts,
    pub key: String,
    /// The target's name: a figure (`net_credit_loss`), a tail measure of one
    /// (`net_credit_loss.var_99`), or a named condition (`sale_beats_hold`).
    pub target_name: String,
    /// What the series measures, in words.
    pub label: String,
    /// The series' unit, as `summary.json` names units.
    pub unit: String,
    /// The value each series must reach.
    pub target: f64,
    pub low: f64,
    pub high: f64,
    /// Whole values only (bisection to neighbours).
    pub integer: bool,
    /// Series solved: 1 for a figure, one per sale point (and segment) for a named condition.
    pub series: usize,
    /// What the chart is titled and labelled with.
    pub chart: ChartFacts,
}

/// The solve's folder file.
pub const SOLVE_FILE: &str = "solve.json";

/// How a series' search ended.
pub const SOLVE_STATUS: &[&str] = &[
    "solved",
    "not converged",
    "above the target at both ends",
    "below the target at both ends",
    "undefined",
];

/// One series' root: where its figure reaches the target.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SolveRootRow {
    /// The sale point (its name and DPD) and segment of a named condition's series; null for
    /// a figure.
    pub point: Option<String>,
    pub dpd: Option<u32>,
    pub segment: Option<String>,
    /// One of [`SOLVE_STATUS`].
    pub status: String,
    /// The key's value at which the figure reaches the target (NaN unless solved or not
    /// converged).
    pub root: f64,
    /// Standard error of the root (delta method); NaN for a whole-number key.
    pub root_se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// The final bracket, or the range when the target was not bracketed.
    pub bracket_low: f64,
    pub bracket_high: f64,
    /// Slope of the figure against the key over the final bracket.
    pub slope: f64,
    /// The figure at the two ends of the range.
    pub at_low: f64,
    pub at_high: f64,
    /// Runs this series used.
    pub evaluations: u32,
}

impl Table for SolveRootRow {
    const STEM: &'static str = "solve_roots";
    const ROW: &'static str = "one series of a solve (the figure, or a sale point and segment of a named condition): its root, interval and final bracket";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(opt_text "point" => point),
            field!(opt_u32 "dpd" => dpd),
            field!(opt_text "segment" => segment),
            field!(choice "status", SOLVE_STATUS => status),
            field!(f64 "root", Any => root),
            field!(f64 "root_se", Any => root_se),
            field!(f64 "ci_low", Any => ci_low),
            field!(f64 "ci_high", Any => ci_high),
            field!(f64 "bracket_low", Finite => bracket_low),
            field!(f64 "bracket_high", Finite => bracket_high),
            field!(f64 "slope", Any => slope),
            field!(f64 "at_low", Any => at_low),
            field!(f64 "at_high", Any => at_high),
            field!(u32 "evaluations" => evaluations),
        ]
    }
}

/// One evaluation of one series while solving.
#[derive(Debug, Clone, Default)]
pub struct SolveEvaluationRow {
    /// The run, in the order they were made; a run serves every series.
    pub evaluation: u32,
    pub point: Option<String>,
    pub dpd: Option<u32>,
    pub segment: Option<String>,
    pub value: f64,
    pub mean: f64,
    pub se: f64,
}

impl Table for SolveEvaluationRow {
    const STEM: &'static str = "solve_evaluations";
    const ROW: &'static str = "one run of the scenario while solving and one series in it: the key's value and the figure";
    fn fields() -> Vec<Field<Self>> {
        vec![
            field!(u32 "evaluation" => evaluation),
            field!(opt_text "point" => point),
            field!(opt_u32 "dpd" => dpd),
            field!(opt_text "segment" => segment),
            field!(f64 "value", Finite => value),
            field!(f64 "mean", Any => mean),
            field!(f64 "se", Any => se),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sweep_table_reads_back_with_typed_key_columns() {
        let dir = tempfile::tempdir().unwrap();
        let keys = vec![
            SweepKey {
                key: "charge_off.dpd".into(),
                kind: ValueKind::Integer,
                values: vec!["120".into(), "180".into()],
            },
            SweepKey {
                key: "debt_sale.price".into(),
                kind: ValueKind::Number,
                values: vec!["0.04".into()],
            },
            SweepKey {
                key: "debt_sale.trigger".into(),
                kind: ValueKind::Text,
                values: vec!["spot".into()],
            },
        ];
        let row = |point: u32, dpd: i64| SweepRow {
            sweep_point: point,
            keys: vec![
                SweepValue::Integer(dpd),
                SweepValue::Number(0.04, 2),
                SweepValue::Text("spot".into()),
            ],
            figure: "net_credit_loss".into(),
            label: "Net credit loss".into(),
            unit: "currency".into(),
            estimate: Estimate::new(&[1.0, 2.0, 3.0]),
            var_95: 3.0,
            es_95: f64::NAN,
            ..SweepRow::default()
        };
        let rows = vec![row(0, 120), row(1, 180)];
        write_sweep(dir.path(), &keys, &rows).unwrap();
        let back = read_sweep(dir.path(), &keys).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[1].keys[0], SweepValue::Integer(180));
        assert_eq!(back[1].keys[1].label(), "0.04");
        assert_eq!(back[1].keys[2], SweepValue::Text("spot".into()));
        assert_eq!(back[0].estimate.mean, 2.0);
        assert!(back[0].es_95.is_nan());
        let frame = table::read_parquet(&dir.path().join("sweep.parquet")).unwrap();
        let dtype = |c: &str| frame.column(c).unwrap().dtype().to_string();
        assert_eq!(dtype("charge_off.dpd"), "i64");
        assert_eq!(dtype("debt_sale.price"), "f64");
        assert_eq!(dtype("debt_sale.trigger"), "str");
        // A key column of the wrong type is refused by name.
        let mut wrong = keys.clone();
        wrong[0].kind = ValueKind::Text;
        let e = read_sweep(dir.path(), &wrong).unwrap_err().to_string();
        assert!(e.contains("charge_off.dpd"), "{e}");
    }
}
