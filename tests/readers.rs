//! What analysts' tools see in a fresh result folder: the Parquet files' column types (counts
//! of loans as `UInt64`, the vintage as `Int32`, a missing stage as null, the timeline's full
//! estimate columns) and `display.states` / `display.stages` in the scenario's order.
//!
//! The files are read with the polars crate directly, not through `results::table`, so a type
//! the table code writes and expects alike still fails here; where Python's polars, pandas and
//! pyarrow are installed, the same folder is read with them too.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use arrears::metrics::figures::METRICS;
use common::{arrears, output_text};
use polars::prelude::*;

fn run(scenario: &Path, out: &Path) {
    let o = arrears(&[
        "run",
        scenario.to_str().unwrap(),
        "--paths",
        "24",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", output_text(&o));
}

fn parquet(dir: &Path, stem: &str) -> DataFrame {
    let path = dir.join(format!("{stem}.parquet"));
    ParquetReader::new(std::fs::File::open(&path).unwrap())
        .finish()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn dtype(frame: &DataFrame, column: &str) -> DataType {
    frame
        .column(column)
        .unwrap_or_else(|_| panic!("no column `{column}`"))
        .dtype()
        .clone()
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// The state and stage names as the scenario file writes them: `current`, `[states] buckets`
/// in order, `paid_off`, `charged_off`, `sold`; `[stages]` as listed (the examples list them
/// from least to most overdue).
fn scenario_order(scenario: &Path) -> (Vec<String>, Vec<String>) {
    let text = std::fs::read_to_string(scenario).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    let mut states = vec!["current".to_string()];
    states.extend(
        doc["states"]["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["name"].as_str().unwrap().to_string()),
    );
    states.extend(["paid_off", "charged_off", "sold"].map(String::from));
    let stages = doc["stages"].as_table().unwrap().keys().cloned().collect();
    (states, stages)
}

#[test]
fn parquet_columns_have_the_types_readers_expect() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = common::small_example(tmp.path(), "baseline.toml");
    let out = tmp.path().join("out");
    run(&scenario, &out);

    // paths: counts of loans are unsigned integers, every other figure a float.
    let paths = parquet(&out, "paths");
    for name in ["defaults", "charge_offs", "sales", "pay_offs"] {
        assert_eq!(dtype(&paths, name), DataType::UInt64, "paths.{name}");
    }
    for m in METRICS {
        let expected = if m.unit == "loans" {
            DataType::UInt64
        } else {
            DataType::Float64
        };
        assert_eq!(dtype(&paths, m.name), expected, "paths.{}", m.name);
    }
    assert!(
        paths.column("defaults").unwrap().u64().unwrap().sum() > Some(0),
        "some path has defaults"
    );
    // The CSV beside it writes them as integers too.
    let csv = common::csv_rows(&out.join("paths.csv"));
    assert!(
        csv.iter().all(|r| r["defaults"].parse::<u64>().is_ok()),
        "{:?}",
        csv[0]["defaults"]
    );

    // vintage_curves: the origination month as an integer, its label beside it.
    let vintages = parquet(&out, "vintage_curves");
    assert_eq!(dtype(&vintages, "vintage"), DataType::Int32);
    assert_eq!(dtype(&vintages, "vintage_label"), DataType::String);
    let vintage: Vec<i32> = vintages
        .column("vintage")
        .unwrap()
        .i32()
        .unwrap()
        .into_no_null_iter()
        .collect();
    let label: Vec<&str> = vintages
        .column("vintage_label")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(Option::unwrap)
        .collect();
    let age: Vec<u32> = vintages
        .column("months_on_book_at_start")
        .unwrap()
        .u32()
        .unwrap()
        .into_no_null_iter()
        .collect();
    for ((v, l), a) in vintage.iter().zip(&label).zip(&age) {
        // A synthetic book's label is the origination month relative to the start.
        assert_eq!(*v, -(*a as i32));
        assert_eq!(*l, v.to_string());
    }
    assert!(vintage.contains(&0) && vintage.iter().any(|&v| v < 0));

    // timeline: the full estimate columns, and null where a row has no stage.
    let timeline = parquet(&out, "timeline");
    let names: Vec<&str> = timeline
        .get_column_names()
        .into_iter()
        .map(|n| n.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "month", "category", "item", "stage", "measure", "unit", "mean", "sd", "se", "p5",
            "p50", "p95", "p99", "p99_9", "n"
        ]
    );
    for column in ["mean", "sd", "se", "p5", "p50", "p95", "p99", "p99_9"] {
        assert_eq!(dtype(&timeline, column), DataType::Float64, "{column}");
    }
    assert_eq!(dtype(&timeline, "n"), DataType::UInt64);
    assert!(
        timeline
            .column("n")
            .unwrap()
            .u64()
            .unwrap()
            .iter()
            .all(|n| n == Some(24))
    );
    let column = |name: &str| timeline.column(name).unwrap().clone();
    let (category, item, stage) = (column("category"), column("item"), column("stage"));
    let (p95, p99, p99_9) = (column("p95"), column("p99"), column("p99_9"));
    let (stage, p95, p99, p99_9) = (
        stage.str().unwrap(),
        p95.f64().unwrap(),
        p99.f64().unwrap(),
        p99_9.f64().unwrap(),
    );
    let (category, item) = (category.str().unwrap(), item.str().unwrap());
    let (states, stages) = scenario_order(&scenario);
    let stage_of = |state: &str| match state {
        "dpd_1_30" => Some("early"),
        "dpd_31_60" | "dpd_61_90" => Some("mid"),
        "dpd_91_120" | "dpd_121_150" | "dpd_151_180" => Some("late"),
        _ => None,
    };
    for row in 0..timeline.height() {
        let (c, i, s) = (
            category.get(row).unwrap(),
            item.get(row).unwrap(),
            stage.get(row),
        );
        assert_ne!(s, Some(""), "row {row}: an empty stage instead of null");
        match c {
            "state" => assert_eq!(s, stage_of(i), "row {row}: {i}"),
            _ => assert_eq!(s, None, "row {row}: the flow {i} has a stage"),
        }
        let (a, b, c) = (p95.get(row).unwrap(), p99.get(row).unwrap(), p99_9.get(row));
        assert!(
            a <= b && Some(b) <= c,
            "row {row}: p95 {a}, p99 {b}, p99.9 {c:?}"
        );
    }
    assert!(stage.null_count() > 0 && stage.null_count() < timeline.height());
    // The timeline's states, month 0, are in `display.states` order.
    let month0: Vec<&str> = (0..timeline.height())
        .filter(|&r| category.get(r) == Some("state"))
        .map(|r| item.get(r).unwrap())
        .step_by(2) // loans, then balance
        .take(states.len())
        .collect();
    assert_eq!(month0, states);

    // summary.json: states and stages in the scenario's order (not the labels' alphabetical).
    let display = &summary(&out)["display"];
    assert_eq!(strings(&display["states"]), states);
    assert_eq!(strings(&display["stages"]), stages);
    assert_eq!(stages, ["early", "mid", "late"]);

    read_with_python(&out);
}

#[test]
fn a_stress_set_says_its_state_order_at_the_top_and_in_each_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = common::small_example(tmp.path(), "stress_set.toml");
    let out = tmp.path().join("set");
    run(&scenario, &out);
    let (states, stages) = scenario_order(&scenario);
    let top = summary(&out);
    let mut dirs: Vec<PathBuf> = vec![out.clone()];
    dirs.extend(strings(&top["scenarios"]).iter().map(|s| out.join(s)));
    assert!(dirs.len() >= 3);
    for dir in dirs {
        let display = &summary(&dir)["display"];
        assert_eq!(strings(&display["states"]), states, "{}", dir.display());
        assert_eq!(strings(&display["stages"]), stages, "{}", dir.display());
    }
}

/// The folder as Python's polars and pandas read it, when they are installed.
fn read_with_python(out: &Path) {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = Command::new(&python)
        .args(["-c", "import polars, pandas, pyarrow"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!(
            "note: no `{python}` with polars, pandas and pyarrow; read with Rust's polars only"
        );
        return;
    }
    let script = r#"
import json, sys
import pandas as pd
import polars as pl

folder = sys.argv[1]
summary = json.load(open(f"{folder}/summary.json"))
paths = pl.read_parquet(f"{folder}/paths.parquet")
for name in ["defaults", "charge_offs", "sales", "pay_offs"]:
    assert paths.schema[name] == pl.UInt64, (name, paths.schema[name])
    assert pd.read_parquet(f"{folder}/paths.parquet")[name].dtype == "uint64"
vintages = pl.read_parquet(f"{folder}/vintage_curves.parquet")
assert vintages.schema["vintage"] == pl.Int32, vintages.schema["vintage"]
assert pd.read_parquet(f"{folder}/vintage_curves.parquet")["vintage"].dtype == "int32"
timeline = pl.read_parquet(f"{folder}/timeline.parquet")
assert timeline["stage"].null_count() > 0
assert (timeline["stage"] == "").sum() == 0
for name in ["mean", "sd", "se", "p5", "p50", "p95", "p99", "p99_9", "n"]:
    assert name in timeline.columns, name
# The documented way to make ordered categoricals works.
stages = pl.Enum(summary["display"]["stages"])
states = pl.Enum(summary["display"]["states"])
t = timeline.with_columns(
    pl.col("stage").cast(stages),
    pl.when(pl.col("category") == "state").then(pl.col("item")).cast(states).alias("state"),
)
assert t["stage"].dtype == stages and t["state"].dtype == states
assert t.filter(pl.col("category") == "state")["state"].null_count() == 0
print("ok")
"#;
    let o = Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(out)
        .output()
        .unwrap();
    assert!(
        o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "ok",
        "python: {}",
        output_text(&o)
    );
}
