//! The result folder as a verified format: every example's `summary.json` recomputed from the
//! folder's own files equals the one the run wrote, to the bit; tables read back through their
//! types equal what was written; and a folder changed after the run (an edited number, a
//! deleted row or file, a renamed column, NaN, a replaced chart, a truncated Parquet file,
//! another version's folder, ...) is refused by both `arrears report` and `arrears compare`
//! with exit code 2 and a message naming the file.

mod common;

use std::path::Path;

use arrears::results::Trust;
use arrears::results::recompute::recompute;
use common::{arrears, output_text};

fn run(scenario: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "run",
        scenario.to_str().unwrap(),
        "--paths",
        "24",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = arrears(&args);
    assert!(o.status.success(), "{}", output_text(&o));
}

/// Every summary of the folder, recomputed, equals the file to the byte.
fn assert_recomputes(out: &Path) {
    let recomputed = recompute(out, Trust::Verified).expect("the folder verifies");
    assert!(!recomputed.is_empty());
    for (file, text) in recomputed {
        let written = std::fs::read_to_string(out.join(&file)).unwrap();
        let first = written
            .lines()
            .zip(text.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b);
        assert!(
            written == text,
            "{}: the recomputed summary differs from the one written, first at {first:?}",
            out.join(file).display()
        );
    }
}

#[test]
fn every_example_recomputes_its_summary_to_the_bit() {
    let tmp = tempfile::tempdir().unwrap();
    // Loan mode, count mode, a stress set, the disposition study, importance sampling.
    for example in [
        "baseline.toml",
        "count_mode.toml",
        "stress_set.toml",
        "disposition.toml",
        "tail_risk.toml",
        "tape.toml",
    ] {
        let scenario = common::small_example(tmp.path(), example);
        let out = tmp.path().join(example.trim_end_matches(".toml"));
        run(&scenario, &out, &[]);
        assert_recomputes(&out);
    }
}

#[test]
fn a_posterior_run_recomputes_its_summary_to_the_bit() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cal = tmp.path().join("cal");
    let o = arrears(&[
        "calibrate",
        root.join("scenarios/calibration/calibrate.toml")
            .to_str()
            .unwrap(),
        "--out",
        cal.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", output_text(&o));
    let out = tmp.path().join("posterior");
    run(&cal.join("scenario.toml"), &out, &["--posterior"]);
    assert_recomputes(&out);
}

/// One way of changing a folder after the run, and what the refusal must name.
struct Tamper {
    what: &'static str,
    change: fn(&Path),
    names: &'static str,
}

fn edit(path: &Path, f: impl Fn(String) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    let changed = f(text.clone());
    assert_ne!(
        changed,
        text,
        "{}: the edit changed nothing",
        path.display()
    );
    std::fs::write(path, changed).unwrap();
}

/// Deletes the last data line of a CSV.
fn delete_last_row(path: &Path) {
    edit(path, |t| {
        let mut lines: Vec<&str> = t.lines().collect();
        lines.pop();
        lines.join("\n") + "\n"
    });
}

/// Replaces the first number of column `column` of a CSV by `value`.
fn set_cell(path: &Path, column: &str, value: &str) {
    edit(path, |t| {
        let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
        let idx = lines[0].split(',').position(|c| c == column).unwrap();
        let mut cells: Vec<String> = lines[1].split(',').map(str::to_string).collect();
        cells[idx] = value.to_string();
        lines[1] = cells.join(",");
        lines.join("\n") + "\n"
    });
}

const TAMPERS: &[Tamper] = &[
    Tamper {
        what: "an edited figure in summary.json",
        change: |d| {
            edit(&d.join("summary.json"), |t| {
                let mut v: serde_json::Value = serde_json::from_str(&t).unwrap();
                let mean = &mut v["figures"]["net_credit_loss"]["mean"];
                *mean = serde_json::json!(mean.as_f64().unwrap() * 10.0);
                serde_json::to_string_pretty(&v).unwrap() + "\n"
            })
        },
        names: "summary.json",
    },
    Tamper {
        what: "a deleted row of paths.csv",
        change: |d| delete_last_row(&d.join("paths.csv")),
        names: "paths.csv",
    },
    Tamper {
        what: "a deleted row of timeline.csv",
        change: |d| delete_last_row(&d.join("timeline.csv")),
        names: "timeline.csv",
    },
    Tamper {
        what: "a deleted timeline.csv",
        change: |d| std::fs::remove_file(d.join("timeline.csv")).unwrap(),
        names: "timeline.csv",
    },
    Tamper {
        what: "a deleted outcomes.parquet",
        change: |d| std::fs::remove_file(d.join("outcomes.parquet")).unwrap(),
        names: "outcomes.parquet",
    },
    Tamper {
        what: "a renamed column of write_offs.csv",
        change: |d| {
            edit(&d.join("write_offs.csv"), |t| {
                t.replacen("segment", "segmnt", 1)
            })
        },
        names: "write_offs.csv",
    },
    Tamper {
        what: "NaN in write_offs.csv",
        change: |d| set_cell(&d.join("write_offs.csv"), "gross", "NaN"),
        names: "write_offs.csv",
    },
    Tamper {
        what: "1e308 in write_offs.csv",
        change: |d| set_cell(&d.join("write_offs.csv"), "net", "1e308"),
        names: "write_offs.csv",
    },
    Tamper {
        what: "a probability of -3 in transitions.csv",
        change: |d| set_cell(&d.join("transitions.csv"), "probability", "-3"),
        names: "transitions.csv",
    },
    Tamper {
        what: "a replaced chart",
        change: |d| {
            std::fs::copy(
                d.join("recovery_curve.png"),
                d.join("loss_distribution.png"),
            )
            .unwrap();
        },
        names: "loss_distribution.png",
    },
    Tamper {
        what: "a truncated Parquet file",
        change: |d| {
            let path = d.join("paths.parquet");
            let bytes = std::fs::read(&path).unwrap();
            std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        },
        names: "paths.parquet",
    },
    Tamper {
        what: "the previous version's folder",
        change: |d| {
            edit(&d.join("manifest.json"), |t| {
                let this = format!("\"format_version\": {}", arrears::results::FORMAT_VERSION);
                let previous = format!(
                    "\"format_version\": {}",
                    arrears::results::FORMAT_VERSION - 1
                );
                t.replacen(&this, &previous, 1)
            })
        },
        names: "manifest.json",
    },
    Tamper {
        what: "a folder without its manifest (written before format 2)",
        change: |d| std::fs::remove_file(d.join("manifest.json")).unwrap(),
        names: "manifest.json",
    },
    Tamper {
        what: "a manifest that is not JSON",
        change: |d| std::fs::write(d.join("manifest.json"), "{ not json").unwrap(),
        names: "manifest.json",
    },
    Tamper {
        what: "a file added to the folder",
        change: |d| std::fs::write(d.join("notes.png"), b"not a chart").unwrap(),
        names: "notes.png",
    },
    Tamper {
        what: "an edited scenario copy",
        change: |d| edit(&d.join("scenario.toml"), |t| t + "\n# edited\n"),
        names: "scenario.toml",
    },
    Tamper {
        what: "an emptied summary.json",
        change: |d| std::fs::write(d.join("summary.json"), "").unwrap(),
        names: "summary.json",
    },
    Tamper {
        what: "a changed Parquet file of the same size",
        change: |d| {
            let path = d.join("recovery_curve.parquet");
            let mut bytes = std::fs::read(&path).unwrap();
            let mid = bytes.len() / 2;
            bytes[mid] ^= 0xff;
            std::fs::write(&path, bytes).unwrap();
        },
        names: "recovery_curve.parquet",
    },
];

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn assert_refused(o: &std::process::Output, what: &str, names: &str) {
    let text = output_text(o);
    assert_eq!(o.status.code(), Some(2), "{what}: {text}");
    assert!(text.starts_with("error: "), "{what}: {text}");
    assert!(
        text.contains(names),
        "{what}: expected `{names}` in\n{text}"
    );
    assert!(text.contains("\nhint: "), "{what}: {text}");
    assert!(!text.contains("panicked"), "{what}: {text}");
}

#[test]
fn every_kind_of_tampering_is_refused_by_report_and_compare() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = common::small_example(tmp.path(), "baseline.toml");
    let good = tmp.path().join("good");
    run(&scenario, &good, &[]);
    let o = arrears(&["report", good.to_str().unwrap(), "-q"]);
    assert!(
        o.status.success(),
        "an untouched folder reports: {}",
        output_text(&o)
    );
    assert!(TAMPERS.len() >= 15);
    for (k, t) in TAMPERS.iter().enumerate() {
        let dir = tmp.path().join(format!("tampered-{k}"));
        copy_dir(&good, &dir);
        (t.change)(&dir);
        let report_md = std::fs::read(dir.join("report.md")).unwrap();
        let o = arrears(&["report", dir.to_str().unwrap(), "-q"]);
        assert_refused(&o, t.what, t.names);
        assert_eq!(
            std::fs::read(dir.join("report.md")).unwrap(),
            report_md,
            "{}: a refused report leaves the old one",
            t.what
        );
        let out = tmp.path().join(format!("cmp-{k}"));
        let o = arrears(&[
            "compare",
            good.to_str().unwrap(),
            dir.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_refused(&o, t.what, t.names);
        assert!(
            !out.exists(),
            "{}: a refused comparison writes nothing",
            t.what
        );
    }
}

#[test]
fn a_stress_scenario_changed_inside_its_set_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = common::small_example(tmp.path(), "stress_set.toml");
    let out = tmp.path().join("set");
    run(&scenario, &out, &[]);
    delete_last_row(&out.join("adverse/paths.csv"));
    let o = arrears(&["report", out.to_str().unwrap(), "-q"]);
    assert_refused(&o, "a scenario's table", "adverse/paths.csv");
}

#[test]
fn trusted_modifications_are_reported_as_such_and_values_are_still_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = common::small_example(tmp.path(), "baseline.toml");
    let good = tmp.path().join("good");
    run(&scenario, &good, &[]);

    // An edited figure, trusted: the report is built and says what was modified.
    let edited = tmp.path().join("edited");
    copy_dir(&good, &edited);
    (TAMPERS[0].change)(&edited);
    let o = arrears(&["report", edited.to_str().unwrap(), "-q", "--trust-modified"]);
    assert!(o.status.success(), "{}", output_text(&o));
    let md = std::fs::read_to_string(edited.join("report.md")).unwrap();
    assert!(md.contains("--trust-modified"), "{md}");
    assert!(md.contains("`summary.json` was changed"), "{md}");
    // Its manifest is left as the run wrote it: the folder stays marked as modified.
    let o = arrears(&["report", edited.to_str().unwrap(), "-q"]);
    assert_refused(&o, "still modified", "summary.json");

    // Trust does not extend to values the format forbids: a probability of -3, a missing
    // column, a truncated Parquet file.
    for (k, (file, names)) in [
        ("transitions", "probability"),
        ("write_offs", "segment"),
        ("paths", "paths.parquet"),
    ]
    .iter()
    .enumerate()
    {
        let dir = tmp.path().join(format!("trusted-{k}"));
        copy_dir(&good, &dir);
        let parquet = dir.join(format!("{file}.parquet"));
        match *file {
            "transitions" => rewrite_parquet(&parquet, |frame| {
                use polars::prelude::*;
                let p = frame.column("probability").unwrap().f64().unwrap().clone();
                let bad: Float64Chunked = p
                    .iter()
                    .enumerate()
                    .map(|(i, v)| if i == 0 { Some(-3.0) } else { v })
                    .collect();
                frame
                    .with_column(
                        bad.with_name("probability".into())
                            .into_series()
                            .into_column(),
                    )
                    .unwrap();
            }),
            "write_offs" => rewrite_parquet(&parquet, |frame| {
                frame.rename("segment", "segmnt".into()).unwrap();
            }),
            _ => {
                let bytes = std::fs::read(&parquet).unwrap();
                std::fs::write(&parquet, &bytes[..bytes.len() / 3]).unwrap();
            }
        }
        let o = arrears(&["report", dir.to_str().unwrap(), "-q", "--trust-modified"]);
        assert_refused(&o, file, names);
    }
}

/// A column of the previous format's type (a count as a float, the vintage as text) is refused
/// naming the file and column, even when the folder's changes are trusted.
#[test]
fn columns_of_the_previous_types_are_refused() {
    use polars::prelude::*;
    let tmp = tempfile::tempdir().unwrap();
    let scenario = common::small_example(tmp.path(), "baseline.toml");
    let good = tmp.path().join("good");
    run(&scenario, &good, &[]);
    for (k, (file, column, to)) in [
        ("paths", "defaults", DataType::Float64),
        ("vintage_curves", "vintage", DataType::String),
    ]
    .into_iter()
    .enumerate()
    {
        let dir = tmp.path().join(format!("retyped-{k}"));
        copy_dir(&good, &dir);
        rewrite_parquet(&dir.join(format!("{file}.parquet")), |frame| {
            let retyped = frame.column(column).unwrap().cast(&to).unwrap();
            frame.with_column(retyped).unwrap();
        });
        let o = arrears(&["report", dir.to_str().unwrap(), "-q", "--trust-modified"]);
        assert_refused(&o, column, &format!("{file}.parquet` column `{column}`"));
    }
}

fn rewrite_parquet(path: &Path, change: impl Fn(&mut polars::prelude::DataFrame)) {
    use polars::prelude::*;
    let mut frame = ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap();
    change(&mut frame);
    ParquetWriter::new(std::fs::File::create(path).unwrap())
        .finish(&mut frame)
        .unwrap();
}

#[test]
fn tables_read_back_equal_what_was_written() {
    use arrears::metrics::recovery::WriteOffRow;
    use arrears::metrics::summary::TimelineRow;
    use arrears::results::ResultFolder;
    use arrears::results::rows::{PathRow, TransitionRow};
    let tmp = tempfile::tempdir().unwrap();
    let scenario = common::small_example(tmp.path(), "baseline.toml");
    let out = tmp.path().join("out");
    run(&scenario, &out, &[]);
    let folder = ResultFolder::open(&out, Trust::Verified).unwrap();
    let summary = folder.run().unwrap();
    let paths: Vec<PathRow> = folder.table().unwrap();
    assert_eq!(paths.len() as u64, summary.run.paths);
    // The per-path table and the outcomes agree, path by path.
    let outcomes = folder.outcomes().unwrap();
    assert_eq!(outcomes.len(), 1);
    for (row, outcome) in paths.iter().zip(&outcomes[0].2) {
        let ncl = (arrears::metrics::figures::metric("net_credit_loss").value)(outcome).unwrap();
        assert_eq!(row.get("net_credit_loss").to_bits(), ncl.to_bits());
    }
    // Means of the paths equal the summary's figures (undefined values left out).
    let mean = |name: &str| {
        let v: Vec<f64> = paths
            .iter()
            .map(|r| r.get(name))
            .filter(|x| !x.is_nan())
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let ncl = summary.figure("net_credit_loss").unwrap().estimate.mean;
    assert!((mean("net_credit_loss") - ncl).abs() <= 1e-9 * ncl.abs());
    let timeline: Vec<TimelineRow> = folder.table().unwrap();
    let horizon = summary.run.horizon_months as usize;
    assert!(timeline.len() > horizon);
    let write_offs: Vec<WriteOffRow> = folder.table().unwrap();
    assert_eq!(
        write_offs.iter().filter(|r| r.segment == "all").count(),
        horizon
    );
    // Every row of a transition matrix sums to one.
    let transitions: Vec<TransitionRow> = folder.table().unwrap();
    let mut sums = std::collections::BTreeMap::new();
    for t in &transitions {
        *sums
            .entry((t.segment.clone(), t.months_on_book.clone(), t.from.clone()))
            .or_insert(0.0) += t.probability;
    }
    assert!(
        sums.values().all(|s: &f64| (s - 1.0).abs() < 1e-9),
        "{sums:?}"
    );
}
