//! The command as a user runs it: every example scenario validates and runs, results are
//! byte-identical across thread counts, existing results are never overwritten silently, and
//! every kind of bad input gets its message and exit code 2, never a panic.

mod common;

use std::path::{Path, PathBuf};

use common::{arrears, output_text};

fn scenarios() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "baseline, stress and tape at least");
    files
}

#[test]
fn every_example_scenario_validates_and_runs() {
    let tmp = tempfile::tempdir().unwrap();
    for file in scenarios() {
        let f = file.to_str().unwrap();
        let v = arrears(&["validate", f]);
        assert!(v.status.success(), "{f}: {}", output_text(&v));
        let out = tmp.path().join(file.file_stem().unwrap());
        let r = arrears(&["run", f, "--paths", "4", "--out", out.to_str().unwrap()]);
        assert!(r.status.success(), "{f}: {}", output_text(&r));
        // A stress set keeps each scenario's results in a folder of its own.
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        let folders: Vec<PathBuf> = match summary["scenarios"].as_array() {
            Some(names) => {
                for name in [
                    "stress_comparison.csv",
                    "stress_comparison.parquet",
                    "stress_loss_distributions.png",
                    "stress_cumulative_net_write_offs.svg",
                ] {
                    assert!(out.join(name).exists(), "{f}: {name} missing");
                }
                names
                    .iter()
                    .map(|n| out.join(n.as_str().unwrap()))
                    .collect()
            }
            None => vec![out.clone()],
        };
        for folder in folders {
            for name in [
                "summary.json",
                "paths.csv",
                "paths.parquet",
                "timeline.csv",
                "timeline.parquet",
                "balance_by_state.png",
                "balance_by_state.svg",
                "loss_distribution.png",
                "loss_distribution.svg",
                "loss_distribution_log.png",
                "convergence.csv",
                "convergence.png",
                "recovery_curve.png",
                "write_offs_by_month.svg",
            ] {
                let meta = std::fs::metadata(folder.join(name))
                    .unwrap_or_else(|_| panic!("{f}: {name} missing in {}", folder.display()));
                assert!(meta.len() > 100, "{f}: {name} is nearly empty");
            }
        }
    }
}

/// Drops the lines of summary.json that legitimately differ between runs.
fn stable_summary(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("summary.json"))
        .unwrap()
        .lines()
        .filter(|l| {
            !l.contains("\"run_seconds\"")
                && !l.contains("\"created_utc\"")
                && !l.contains("\"threads\"")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn results_are_identical_for_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let mut dirs = Vec::new();
    for threads in ["1", "2", "3"] {
        let out = tmp.path().join(format!("t{threads}"));
        let r = arrears(&[
            "run",
            "scenarios/stress.toml",
            "--paths",
            "12",
            "--threads",
            threads,
            "--out",
            out.to_str().unwrap(),
            "-q",
        ]);
        assert!(r.status.success(), "{}", output_text(&r));
        dirs.push(out);
    }
    for other in &dirs[1..] {
        for name in [
            "paths.csv",
            "timeline.csv",
            "paths.parquet",
            "timeline.parquet",
        ] {
            assert!(
                std::fs::read(dirs[0].join(name)).unwrap()
                    == std::fs::read(other.join(name)).unwrap(),
                "{name} differs between 1 thread and {}",
                other.display()
            );
        }
        assert_eq!(stable_summary(&dirs[0]), stable_summary(other));
    }
    // A different seed gives different numbers (the comparison above can fail).
    let out = tmp.path().join("seed");
    let r = arrears(&[
        "run",
        "scenarios/stress.toml",
        "--paths",
        "12",
        "--seed",
        "99",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(r.status.success());
    assert_ne!(
        std::fs::read(dirs[0].join("paths.csv")).unwrap(),
        std::fs::read(out.join("paths.csv")).unwrap()
    );
}

#[test]
fn an_existing_result_needs_force() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let out_s = out.to_str().unwrap();
    assert!(
        arrears(&[
            "run",
            "scenarios/stress.toml",
            "--paths",
            "2",
            "--out",
            out_s,
            "-q"
        ])
        .status
        .success()
    );
    std::fs::write(out.join("marker"), "mine").unwrap();
    let again = arrears(&[
        "run",
        "scenarios/stress.toml",
        "--paths",
        "2",
        "--out",
        out_s,
        "-q",
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        output_text(&again).contains("exists already") && output_text(&again).contains("--force"),
        "{}",
        output_text(&again)
    );
    assert!(
        out.join("marker").exists(),
        "an existing result must not be touched"
    );
    let forced = arrears(&[
        "run",
        "scenarios/stress.toml",
        "--paths",
        "2",
        "--out",
        out_s,
        "-q",
        "--force",
    ]);
    assert!(forced.status.success(), "{}", output_text(&forced));
    assert!(!out.join("marker").exists());
    assert!(out.join("summary.json").exists());
    // No temporary folders are left beside the result.
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Each bad scenario in tests/fixtures/bad names the message it must produce on its first
/// line: `# expect: <text>`, and optionally `# at: <line>:<column>` on the second.
#[test]
fn bad_scenarios_get_their_message_and_exit_code_2() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 15, "only {} fixtures", files.len());
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        let expect = source
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{} has no `# expect:` line", file.display()));
        let at = source.lines().nth(1).and_then(|l| l.strip_prefix("# at: "));
        let f = file.to_str().unwrap();
        let o = arrears(&["validate", f]);
        let out = output_text(&o);
        assert_eq!(o.status.code(), Some(2), "{f}: {out}");
        assert!(out.contains(expect), "{f}: expected `{expect}` in:\n{out}");
        assert!(out.contains("hint:"), "{f}: no hint in:\n{out}");
        assert!(!out.contains("panicked"), "{f}: {out}");
        if let Some(at) = at {
            assert!(
                out.contains(&format!(
                    "{}:{at}",
                    file.file_name().unwrap().to_string_lossy()
                )),
                "{f}: expected location {at} in:\n{out}"
            );
        }
    }
}

#[test]
fn unreadable_and_missing_files_are_input_errors() {
    let o = arrears(&["validate", "scenarios/does_not_exist.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        output_text(&o).contains("cannot read scenario `scenarios/does_not_exist.toml`"),
        "{}",
        output_text(&o)
    );
    let o = arrears(&["run", "scenarios/baseline.toml", "--paths", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    let o = arrears(&["run"]);
    assert_eq!(o.status.code(), Some(2));
    // A run whose per-path results would not fit in memory is refused before it starts.
    let o = arrears(&[
        "run",
        "scenarios/baseline.toml",
        "--paths",
        "9000000",
        "--out",
        "/nonexistent/x",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        output_text(&o).contains("GiB of per-path results"),
        "{}",
        output_text(&o)
    );
}

#[test]
fn a_run_writes_the_documented_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b");
    let r = arrears(&[
        "run",
        "scenarios/baseline.toml",
        "--paths",
        "20",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(r.status.success(), "{}", output_text(&r));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    for figure in [
        "repaid",
        "gross_write_offs",
        "net_write_offs",
        "recoveries",
        "recovery_rate",
        "recovery_rate_discounted",
        "loss_given_default",
        "collection_costs",
        "sale_proceeds",
        "net_credit_loss",
    ] {
        let f = &summary["figures"][figure];
        for key in ["mean", "sd", "se", "p5", "p50", "p95", "p99", "p99_9"] {
            assert!(f[key].is_number(), "{figure}.{key} missing: {f}");
        }
    }
    assert_eq!(summary["run"]["paths"], 20);
    assert_eq!(
        summary["run"]["scenario_sha256"].as_str().unwrap().len(),
        64
    );
    assert!(summary["conservation_max_residual"].as_f64().unwrap() < 1e-3);
    let ncl = summary["figures"]["net_credit_loss"]["mean"]
        .as_f64()
        .unwrap();
    assert!(ncl > 0.0);
    // The recovery curve ends at the recovery rate: every recovered unit falls in some month.
    let curve = std::fs::read_to_string(out.join("recovery_curve.csv")).unwrap();
    let last: f64 = curve
        .lines()
        .last()
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let rate = summary["figures"]["recovery_rate"]["mean"]
        .as_f64()
        .unwrap();
    assert!(
        (last - rate).abs() < 1e-9 * rate,
        "curve ends at {last}, recovery rate {rate}"
    );
    let header = std::fs::read_to_string(out.join("timeline.csv")).unwrap();
    assert!(
        header.starts_with(
            "month,category,item,stage,measure,unit,mean,sd,se,p5,p50,p95,p99,p99_9,n\n"
        )
    );
}

/// A scenario that sells debt and also studies dispositions runs the study as a second pass
/// (hold without the sale), and writes its tables.
#[test]
fn a_study_beside_a_debt_sale_runs_in_its_own_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenario_text = std::fs::read_to_string(root.join("scenarios/stress.toml")).unwrap()
        + "\n[disposition]\nsale_points_dpd = [180, 360]\n[disposition.sale]\nprice = 0.05\n";
    let file = tmp.path().join("stress_study.toml");
    std::fs::write(&file, scenario_text).unwrap();
    let out = tmp.path().join("out");
    let r = arrears(&[
        "run",
        file.to_str().unwrap(),
        "--paths",
        "3",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(r.status.success(), "{}", output_text(&r));
    let decision = std::fs::read_to_string(out.join("disposition_decision.csv")).unwrap();
    assert!(decision.lines().count() > 2, "{decision}");
    // The main run still sold debt.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert!(
        summary["figures"]["sale_proceeds"]["mean"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert!(
        summary["disposition"]["decisions"]
            .as_array()
            .unwrap()
            .len()
            == 2
    );
}

/// The systematic factor, importance weights and bootstrap intervals do not depend on the
/// thread count either.
#[test]
fn a_stress_set_is_identical_for_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let mut dirs = Vec::new();
    for threads in ["1", "2"] {
        let out = tmp.path().join(format!("t{threads}"));
        let r = arrears(&[
            "run",
            "scenarios/stress_set.toml",
            "--paths",
            "8",
            "--threads",
            threads,
            "--out",
            out.to_str().unwrap(),
            "-q",
        ]);
        assert!(r.status.success(), "{}", output_text(&r));
        dirs.push(out);
    }
    for name in [
        "stress_comparison.csv",
        "severe/paths.csv",
        "severe/factor.csv",
        "adverse/convergence.csv",
        "baseline/timeline.parquet",
    ] {
        assert!(
            std::fs::read(dirs[0].join(name)).unwrap()
                == std::fs::read(dirs[1].join(name)).unwrap(),
            "{name} differs between 1 and 2 threads"
        );
    }
}
