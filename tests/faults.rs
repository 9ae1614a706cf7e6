//! Faults around the result folder, as a user meets them: two runs writing the same folder at
//! once, `--force` on a folder that is not a result, runs interrupted by a signal or killed,
//! and destinations that cannot be written (docs/ERRORS.md lists them all).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{arrears, output_text};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_arrears"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn hidden_entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

fn seed_of(dir: &Path) -> u64 {
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    summary["run"]["seed"].as_u64().unwrap()
}

/// Two runs started together with the same `--out` and no `--force`: exactly one result is
/// kept, the one whose run exited 0, and the other run exits 2 saying so. Fails on a writer
/// that moves an existing folder aside without `--force`.
#[test]
fn concurrent_runs_to_one_folder_never_replace_each_other() {
    let tmp = tempfile::tempdir().unwrap();
    for attempt in 0..3 {
        let out = tmp.path().join(format!("r{attempt}"));
        let spawn = |seed: &str| {
            bin()
                .args([
                    "run",
                    "scenarios/stress.toml",
                    "--paths",
                    "40",
                    "--seed",
                    seed,
                ])
                .args(["--out", out.to_str().unwrap(), "-q"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn("1"), spawn("2"));
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let codes = (a.status.code(), b.status.code());
        let winner = match codes {
            (Some(0), Some(2)) => 1,
            (Some(2), Some(0)) => 2,
            (Some(0), Some(0)) => panic!(
                "both runs exited 0, so one replaced the other:\n{}\n{}",
                output_text(&a),
                output_text(&b)
            ),
            _ => panic!("{codes:?}:\n{}\n{}", output_text(&a), output_text(&b)),
        };
        let loser = if winner == 1 { &b } else { &a };
        let text = output_text(loser);
        assert!(
            text.contains("exists already") || text.contains("appeared while this run"),
            "{text}"
        );
        assert_eq!(
            seed_of(&out),
            winner,
            "the folder holds the run that exited 0"
        );
        assert!(hidden_entries(tmp.path()).is_empty());
    }
}

/// `--force` replaces a result folder, and nothing else.
#[test]
fn force_replaces_only_result_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("v");
    std::fs::create_dir_all(out.join("docs")).unwrap();
    std::fs::write(out.join("docs/thesis.txt"), "x").unwrap();
    let o = arrears(&[
        "run",
        "scenarios/stress.toml",
        "--paths",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--force",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    assert!(
        output_text(&o).contains("`--force` replaces only result folders"),
        "{}",
        output_text(&o)
    );
    assert!(output_text(&o).contains("hint:"));
    assert_eq!(
        std::fs::read_to_string(out.join("docs/thesis.txt")).unwrap(),
        "x"
    );
    // A result folder is replaced; so is an empty one.
    let result = tmp.path().join("result");
    for _ in 0..2 {
        let o = arrears(&[
            "run",
            "scenarios/stress.toml",
            "--paths",
            "2",
            "--out",
            result.to_str().unwrap(),
            "--force",
            "-q",
        ]);
        assert!(o.status.success(), "{}", output_text(&o));
    }
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = arrears(&[
        "run",
        "scenarios/stress.toml",
        "--paths",
        "2",
        "--out",
        empty.to_str().unwrap(),
        "--force",
        "-q",
    ]);
    assert!(o.status.success(), "{}", output_text(&o));
    // `arrears compare --force` follows the same rule.
    let o = arrears(&[
        "compare",
        result.to_str().unwrap(),
        empty.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--force",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    assert!(out.join("docs/thesis.txt").exists());
    let cmp = tmp.path().join("cmp");
    for _ in 0..2 {
        let o = arrears(&[
            "compare",
            result.to_str().unwrap(),
            empty.to_str().unwrap(),
            "--out",
            cmp.to_str().unwrap(),
            "--force",
            "-q",
        ]);
        assert!(o.status.success(), "{}", output_text(&o));
    }
    // And `arrears calibrate --force`.
    let cal = tmp.path().join("cal");
    for _ in 0..2 {
        let o = arrears(&[
            "calibrate",
            "scenarios/calibration/calibrate.toml",
            "--out",
            cal.to_str().unwrap(),
            "--force",
            "-q",
        ]);
        assert!(o.status.success(), "{}", output_text(&o));
    }
    let o = arrears(&[
        "calibrate",
        "scenarios/calibration/calibrate.toml",
        "--out",
        out.to_str().unwrap(),
        "--force",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    assert!(out.join("docs/thesis.txt").exists());
}

/// Ctrl-C or SIGTERM while the results are written removes the temporary folder.
#[test]
fn an_interrupted_run_leaves_no_temporary_folder() {
    let tmp = tempfile::tempdir().unwrap();
    for (k, signal) in ["-INT", "-TERM"].iter().enumerate() {
        let out = tmp.path().join(format!("r{k}"));
        let mut child = bin()
            .args(["run", "scenarios/stress_set.toml", "--paths", "20"])
            .args(["--out", out.to_str().unwrap(), "-q"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        // Wait until it writes its temporary folder, then interrupt it.
        while hidden_entries(tmp.path()).is_empty() {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "no temporary folder"
            );
            if child.try_wait().unwrap().is_some() {
                panic!("the run finished before it could be interrupted");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let kill = Command::new("kill")
            .args([*signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let o = child.wait_with_output().unwrap();
        assert_ne!(o.status.code(), Some(0), "{}", output_text(&o));
        assert!(
            hidden_entries(tmp.path()).is_empty(),
            "{signal}: {:?}",
            hidden_entries(tmp.path())
        );
        assert!(!out.exists());
    }
}

/// A run killed outright (SIGKILL, power loss) leaves its temporary folder; the next run
/// beside it removes it and says so, and puts back a result an interrupted `--force` had
/// moved aside.
#[test]
fn stale_temporary_folders_of_dead_processes_are_removed() {
    let tmp = tempfile::tempdir().unwrap();
    // Above the kernel's largest process id (4,194,304), so never alive.
    let stale = tmp.path().join(".r.tmp-4999999");
    std::fs::create_dir_all(stale.join("inside")).unwrap();
    let aside = tmp.path().join(".kept.old-4999998");
    std::fs::create_dir_all(&aside).unwrap();
    std::fs::write(aside.join("summary.json"), "{}").unwrap();
    let out = tmp.path().join("r");
    let o = arrears(&[
        "run",
        "scenarios/stress.toml",
        "--paths",
        "2",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", output_text(&o));
    assert!(!stale.exists());
    assert!(tmp.path().join("kept/summary.json").exists());
    let text = output_text(&o);
    assert!(
        text.contains("removed") && text.contains(".r.tmp-4999999"),
        "{text}"
    );
    assert!(text.contains("put back"), "{text}");
    assert!(hidden_entries(tmp.path()).is_empty());
}

/// Destinations that cannot work are refused before the simulation, with exit 2.
#[test]
fn unusable_destinations_are_refused_before_running() {
    let tmp = tempfile::tempdir().unwrap();
    let long = tmp.path().join("x".repeat(300));
    let dangling = tmp.path().join("dangling");
    std::os::unix::fs::symlink(tmp.path().join("nowhere"), &dangling).unwrap();
    let file = tmp.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let under_file = file.join("out");
    let cases: [(&[&str], &str); 5] = [
        (&["--out", long.to_str().unwrap()], "bytes long"),
        (
            &["--out", dangling.to_str().unwrap()],
            "dangling symbolic link",
        ),
        (&["--out", ".", "--force"], "names no folder of its own"),
        (
            &["--out", file.to_str().unwrap()],
            "is a file, not a folder",
        ),
        (&["--out", under_file.to_str().unwrap()], "it is a file"),
    ];
    for (args, expect) in cases {
        let started = Instant::now();
        let o = bin()
            .args(["run", "scenarios/baseline.toml", "--paths", "100000"])
            .args(args)
            .output()
            .unwrap();
        let text = output_text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {text}");
        assert!(text.contains(expect), "{args:?}: {text}");
        assert!(text.contains("hint:"), "{args:?}: {text}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{args:?} was not refused before simulating"
        );
    }
    // A name too long from the scenario itself.
    let scenario = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/stress.toml"),
    )
    .unwrap();
    let long_name = scenario.replacen(
        "name = \"stress\"",
        &format!("name = \"{}\"", "n".repeat(300)),
        1,
    );
    assert_ne!(long_name, scenario);
    let file = tmp.path().join("long.toml");
    std::fs::write(&file, long_name).unwrap();
    let o = bin()
        .args(["run", file.to_str().unwrap(), "--paths", "2"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
}

/// The example calibration in a temporary folder, its panel changed by `edit` (lines of the
/// CSV, header first).
fn calibration_with(edit: impl Fn(&mut Vec<String>)) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/calibration");
    std::fs::copy(
        root.join("calibrate.toml"),
        tmp.path().join("calibrate.toml"),
    )
    .unwrap();
    let mut lines: Vec<String> = std::fs::read_to_string(root.join("panel.csv"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    edit(&mut lines);
    std::fs::write(tmp.path().join("panel.csv"), lines.join("\n") + "\n").unwrap();
    tmp
}

fn calibrate_in(dir: &Path) -> std::process::Output {
    bin()
        .args(["calibrate", "calibrate.toml", "--out", "out", "-q"])
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Sets column `column` of the first row matching `filter` to `value`.
fn set_cell(lines: &mut [String], column: &str, filter: &str, value: &str) {
    let header: Vec<&str> = lines[0].split(',').collect();
    let k = header.iter().position(|c| *c == column).unwrap();
    let row = lines
        .iter()
        .position(|l| l.contains(filter))
        .unwrap_or_else(|| panic!("no row with {filter}"));
    let mut cells: Vec<String> = lines[row].split(',').map(str::to_string).collect();
    cells[k] = value.to_string();
    lines[row] = cells.join(",");
}

/// Data problems in a calibration panel are input errors (exit 2) naming their rows, never
/// "a bug in arrears" or an infinite number written into the scenario.
#[test]
fn calibration_data_problems_are_input_errors_naming_rows() {
    let cases: [(&str, &str, &str, &str); 4] = [
        (
            "recovery_amount",
            ",W,",
            "-5",
            "column `recovery_amount`: negative or infinite in 1 row",
        ),
        (
            "recovery_amount",
            ",W,",
            "1e308",
            "column `recovery_amount`: above 1e12",
        ),
        ("balance", ",0,", "1e300", "column `balance`: above 1e12"),
        (
            "charge_off_amount",
            ",W,",
            "1e300",
            "column `charge_off_amount`: above 1e12",
        ),
    ];
    for (column, filter, value, expect) in cases {
        let dir = calibration_with(|l| set_cell(l, column, filter, value));
        let o = calibrate_in(dir.path());
        let text = output_text(&o);
        assert_eq!(o.status.code(), Some(2), "{column} = {value}: {text}");
        assert!(text.contains(expect), "{column} = {value}: {text}");
        assert!(text.contains("(line "), "{column} = {value}: {text}");
        assert!(!text.contains("a bug in arrears"), "{text}");
        assert!(!dir.path().join("out").exists());
    }
    // A semicolon-separated panel is named as such.
    let dir = calibration_with(|l| {
        for line in l.iter_mut() {
            *line = line.replace(',', ";");
        }
    });
    let o = calibrate_in(dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    assert!(
        output_text(&o).contains("separated by semicolons"),
        "{}",
        output_text(&o)
    );
}

/// Paths that are not regular files are refused at once, never read forever; a symbolic link
/// to a file is followed and said so.
#[test]
fn inputs_that_are_not_regular_files_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let zero = tmp.path().join("zero.csv");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let fifo = tmp.path().join("fifo.csv");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let dangling = tmp.path().join("dangling.csv");
    std::os::unix::fs::symlink(tmp.path().join("nowhere.csv"), &dangling).unwrap();
    let tape_scenario = |tape: &Path| {
        let text = std::fs::read_to_string(root.join("scenarios/tape.toml"))
            .unwrap()
            .replace("data/tape.csv", tape.to_str().unwrap());
        let file = tmp.path().join("s.toml");
        std::fs::write(&file, text).unwrap();
        file
    };
    let cases: [(&Path, &str); 3] = [
        (&zero, "a character device, not a regular file"),
        (&fifo, "a named pipe (FIFO), not a regular file"),
        (&dangling, "which does not exist"),
    ];
    for (input, expect) in cases {
        // As a loan tape, a panel and a scenario.
        let scenario = tape_scenario(input);
        let runs: [Vec<&str>; 3] = [
            vec!["validate", scenario.to_str().unwrap()],
            vec![
                "calibrate",
                "scenarios/calibration/calibrate.toml",
                "--panel",
                input.to_str().unwrap(),
                "--out",
                "/nonexistent/out",
            ],
            vec!["validate", input.to_str().unwrap()],
        ];
        for args in runs {
            let started = Instant::now();
            let o = bin().args(&args).output().unwrap();
            let text = output_text(&o);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {text}");
            assert!(text.contains(expect), "{args:?}: {text}");
            assert!(started.elapsed() < Duration::from_secs(30), "{args:?}");
        }
    }
    // A tape that is a link to a regular file is read, and the link is named.
    let link = tmp.path().join("link.csv");
    std::os::unix::fs::symlink(root.join("scenarios/data/tape.csv"), &link).unwrap();
    let o = arrears(&["validate", tape_scenario(&link).to_str().unwrap()]);
    assert!(o.status.success(), "{}", output_text(&o));
    assert!(
        output_text(&o).contains("is a symbolic link; reading"),
        "{}",
        output_text(&o)
    );
    // A link to a file that is no tape (here a scenario) does not have its content echoed.
    let secret = tmp.path().join("secret.csv");
    std::fs::write(&secret, "root:$6$very-secret-hash:19000:0:99999:7:::\n").unwrap();
    let o = arrears(&["validate", tape_scenario(&secret).to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        !output_text(&o).contains("very-secret-hash"),
        "{}",
        output_text(&o)
    );
    assert!(
        output_text(&o).contains("not a tape header"),
        "{}",
        output_text(&o)
    );
}

/// Parquet tapes exported from databases often hold `decimal128(10,2)` money columns.
#[test]
fn a_parquet_tape_with_decimal_columns_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let tape = tmp.path().join("decimal.parquet");
    let script = format!(
        "import pyarrow as pa, pyarrow.parquet as pq, decimal\n\
         t = pa.table({{'loan_id': ['a', 'b'], 'segment': ['retail', 'retail'],\n\
           'balance': pa.array([decimal.Decimal('1000.50'), decimal.Decimal('250.25')], pa.decimal128(10, 2)),\n\
           'apr': pa.array([decimal.Decimal('0.2000'), decimal.Decimal('0.1500')], pa.decimal128(10, 4)),\n\
           'remaining_term': [12, 24], 'state': ['current', 'dpd_1_30']}})\n\
         pq.write_table(t, {:?})\n",
        tape.to_str().unwrap()
    );
    let made = Command::new("python3").arg("-c").arg(&script).status();
    if !made.is_ok_and(|s| s.success()) {
        // The fixture is committed too, for machines without pyarrow.
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/decimal.parquet"),
            &tape,
        )
        .unwrap();
    }
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad/tape_negative_balance.toml"),
    )
    .unwrap()
    .replace("data/negative_balance.csv", tape.to_str().unwrap());
    let scenario = tmp.path().join("decimal.toml");
    std::fs::write(&scenario, text).unwrap();
    let o = arrears(&["validate", scenario.to_str().unwrap()]);
    assert!(o.status.success(), "{}", output_text(&o));
    assert!(
        output_text(&o).contains("balance 1,251"),
        "{}",
        output_text(&o)
    );
}

fn scenario_with(tmp: &Path, example: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = edit(std::fs::read_to_string(root.join("scenarios").join(example)).unwrap());
    let file = tmp.join(example);
    std::fs::write(&file, text).unwrap();
    file
}

/// The issue's case: a monthly factor over 120 (and 36) months with `importance_shift = -5`
/// used to print all-null figures, or an expected loss of 135M against 8.5M, with exit 0. It
/// is refused before running, with the largest shift that keeps the run meaningful.
#[test]
fn importance_sampling_that_cannot_support_its_figures_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for horizon in ["120", "36"] {
        let file = scenario_with(tmp.path(), "tail_risk.toml", |t| {
            t.replace(
                "factor = \"per_path\"\nimportance_shift = -1.5",
                "factor = \"monthly\"\npersistence = 0.9\nimportance_shift = -5",
            )
            .replace(
                "horizon_months = 36",
                &format!("horizon_months = {horizon}"),
            )
        });
        let o = arrears(&["run", file.to_str().unwrap(), "--out", "/nonexistent/x"]);
        let text = output_text(&o);
        assert_eq!(o.status.code(), Some(2), "{text}");
        assert!(text.contains("leaves an effective sample size"), "{text}");
        assert!(text.contains("tail_risk.toml:"), "{text}");
        assert!(text.contains("keep |importance_shift| at most"), "{text}");
    }
    // A shift just inside the limit runs; its weights, products over 36 monthly draws, stay
    // finite and its figures are numbers (never null).
    let file = scenario_with(tmp.path(), "tail_risk.toml", |t| {
        t.replace(
            "factor = \"per_path\"\nimportance_shift = -1.5",
            "factor = \"monthly\"\npersistence = 0.9\nimportance_shift = -0.4",
        )
    });
    let out = tmp.path().join("ok");
    let o = arrears(&[
        "run",
        file.to_str().unwrap(),
        "--paths",
        "200",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", output_text(&o));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert!(summary["effective_sample_size"].as_f64().unwrap() >= 1.0);
    for figure in ["net_credit_loss", "gross_write_offs", "recovery_rate"] {
        assert!(
            summary["figures"][figure]["mean"].is_number(),
            "{figure}: {summary}"
        );
    }
}

/// Weights far outside a double's range (log ratios of thousands) are normalised in log space:
/// the self-normalised mean is the one of the equal-weight paths they leave.
#[test]
fn likelihood_ratios_beyond_a_double_are_normalised_in_log_space() {
    use arrears::engine::PathOutcome;
    let tmp = tempfile::tempdir().unwrap();
    let _ = tmp;
    let layout = {
        let s = common::scenario(&common::chain_scenario(common::CHAIN_ROWS, 1, 1, 2, ""));
        let book = arrears::book::load(&s).unwrap();
        arrears::engine::run(&s.simulation, &s.model, &book, Some(1), &|_| {})
            .unwrap()
            .layout
    };
    let mut paths: Vec<PathOutcome> = [-2000.0, -2000.0, -2000.0 - 1e-9, -5000.0]
        .iter()
        .map(|&lw: &f64| {
            let mut p = PathOutcome::new(layout);
            p.log_weight = lw;
            p.weight = lw.exp();
            p
        })
        .collect();
    assert!(
        paths.iter().all(|p| p.weight == 0.0),
        "the plain ratios underflow"
    );
    arrears::engine::normalise_weights(&mut paths);
    let w: Vec<f64> = paths.iter().map(|p| p.weight).collect();
    assert_eq!(w[0], 1.0);
    assert!((w[2] - 1.0).abs() < 1e-8 && w[3] == 0.0, "{w:?}");
    let ess = arrears::metrics::estimate::effective_sample_size(&w);
    assert!((ess - 3.0).abs() < 1e-6, "{ess}");
}

/// TOML syntax errors point at their line and column; misspelt keys are all reported in one
/// run.
#[test]
fn toml_errors_have_a_place_and_every_unknown_key_is_reported_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&str, &str); 4] = [
        ("seed = 20261122", "seed = 1,"),
        ("seed = 20261122", "seed ="),
        ("[states]", "[states"),
        ("horizon_months = 36", "horizon_months = [36"),
    ];
    for (from, to) in cases {
        let file = scenario_with(tmp.path(), "baseline.toml", |t| {
            assert!(t.contains(from), "{from}");
            t.replacen(from, to, 1)
        });
        let o = arrears(&["validate", file.to_str().unwrap()]);
        let text = output_text(&o);
        assert_eq!(o.status.code(), Some(2), "{to}: {text}");
        assert!(
            text.contains("baseline.toml:"),
            "{to}: no line and column in\n{text}"
        );
        assert!(text.contains("hint:"), "{to}: {text}");
    }
    let file = scenario_with(tmp.path(), "baseline.toml", |t| {
        t.replacen("discount_rate", "discount_rat", 1)
            .replacen("paths = 1000", "pathz = 1000\nthread = 2", 1)
            .replacen("late_fee", "late_feee", 1)
    });
    let o = arrears(&["validate", file.to_str().unwrap()]);
    let text = output_text(&o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    // The typo that hid a required key is reported as missing too, and the keys of the
    // sections after it are still checked.
    assert!(text.contains("missing field `paths`"), "{text}");
    for key in ["discount_rat", "pathz", "thread", "late_feee"] {
        assert!(
            text.contains(&format!("unknown field `{key}`")),
            "{key}: {text}"
        );
    }
    // A scenario that is not text.
    let binary = tmp.path().join("binary.toml");
    std::fs::write(&binary, b"version = 1\n\xff\xfe\x00garbage").unwrap();
    let o = arrears(&["validate", binary.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    assert!(
        output_text(&o).contains("the file is not UTF-8 text"),
        "{}",
        output_text(&o)
    );
    // The calibration file too.
    let dir = calibration_with(|_| {});
    let file = dir.path().join("calibrate.toml");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replacen("min_loans", "min_loan", 1)
        .replacen("confidence", "confidense", 1);
    std::fs::write(&file, text).unwrap();
    let o = calibrate_in(dir.path());
    let text = output_text(&o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(
        text.contains("`min_loan`") && text.contains("`confidense`"),
        "{text}"
    );
}

/// The same problem a thousand times is shown a few times and counted; a CSV with an
/// unclosed quote names its line instead of echoing the rest of the file.
#[test]
fn repeated_problems_and_echoed_snippets_are_capped() {
    let dir = calibration_with(|_| {});
    let file = dir.path().join("calibrate.toml");
    let bands: Vec<String> = (0..1000)
        .map(|k| format!("[{}, {}]", 2 * k + 1, 2 * k))
        .collect();
    let text = std::fs::read_to_string(&file).unwrap().replacen(
        "[estimate]\n",
        &format!("[estimate]\nmonths_on_book = [{}]\n", bands.join(", ")),
        1,
    );
    std::fs::write(&file, text).unwrap();
    let o = calibrate_in(dir.path());
    let text = output_text(&o);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        &text[..text.len().min(3000)]
    );
    assert!(text.len() < 20_000, "{} bytes of messages", text.len());
    assert!(text.contains("more like it"), "{text}");

    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut tape = std::fs::read_to_string(root.join("scenarios/data/tape.csv")).unwrap();
    let at = tape.match_indices('\n').nth(5).unwrap().0 + 1;
    tape.insert(at, '"');
    std::fs::create_dir(tmp.path().join("data")).unwrap();
    std::fs::write(tmp.path().join("data/tape.csv"), tape).unwrap();
    std::fs::copy(
        root.join("scenarios/tape.toml"),
        tmp.path().join("tape.toml"),
    )
    .unwrap();
    let o = arrears(&["validate", tmp.path().join("tape.toml").to_str().unwrap()]);
    let text = output_text(&o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(text.len() < 2_000, "{} bytes of messages", text.len());
    assert!(text.contains("line 7 opens a quoted field"), "{text}");
}

/// `--seed`, `--paths` and `--threads` have the limits of the scenario's keys.
#[test]
fn command_line_overrides_have_the_scenario_limits() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["--seed", "18446744073709551615"],
            "`--seed` is 18446744073709551615",
        ),
        (&["--threads", "1025"], "`--threads` is 1025"),
        (&["--threads", "0"], "`--threads` is 0"),
        (&["--paths", "0"], "`--paths` is 0"),
    ];
    for (args, expect) in cases {
        let o = bin()
            .args(["run", "scenarios/baseline.toml", "--out", "/nonexistent/x"])
            .args(args)
            .output()
            .unwrap();
        let text = output_text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {text}");
        assert!(
            text.contains(expect) && text.contains("hint:"),
            "{args:?}: {text}"
        );
    }
}

/// A loan-mode book that would take hours is refused with a pointer to count mode.
#[test]
fn loan_mode_runs_that_would_take_hours_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("data")).unwrap();
    std::fs::write(
        tmp.path().join("data/tape.csv"),
        "loan_id,segment,balance,apr,remaining_term,state,count\n1,retail,1000,0.2,12,current,1000000000\n",
    )
    .unwrap();
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad/tape_negative_balance.toml"),
    )
    .unwrap();
    let scenario = tmp.path().join("big.toml");
    std::fs::write(&scenario, text.replace("negative_balance.csv", "tape.csv")).unwrap();
    let started = Instant::now();
    let o = arrears(&[
        "run",
        scenario.to_str().unwrap(),
        "--paths",
        "1000",
        "--out",
        "/nonexistent/x",
    ]);
    let text = output_text(&o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(
        text.contains("loan-months") && text.contains("mode = \"count\""),
        "{text}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// The memory guard's estimate is what a run really holds at its peak: the peak resident set
/// (`/usr/bin/time -v`) of runs of 40,000 and 80,000 paths of one loan over 24 months (where
/// outcomes dominate) grows by the estimate for 40,000 paths, within 15%.
#[test]
fn the_memory_guard_counts_what_a_run_really_holds() {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        eprintln!("skipped: no /usr/bin/time");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad/tape_negative_balance.toml"),
    )
    .unwrap();
    let text = text
        .replace("horizon_months = 12", "horizon_months = 24")
        .replace(
            "[book]\nsource = \"tape\"\npath = \"data/negative_balance.csv\"\n",
            "[book]\nsource = \"synthetic\"\n[segments.retail.book]\nloans = 1\nbalance = { distribution = \"fixed\", value = 1000.0 }\napr = 0.2\nterm_months = 36\n",
        );
    let file = tmp.path().join("one_loan.toml");
    std::fs::write(&file, &text).unwrap();
    let peak_kib = |paths: &str| -> f64 {
        let out = tmp.path().join(format!("out{paths}"));
        let o = Command::new(time)
            .arg("-v")
            .arg(env!("CARGO_BIN_EXE_arrears"))
            .args([
                "run",
                file.to_str().unwrap(),
                "--paths",
                paths,
                "-q",
                "--threads",
                "2",
            ])
            .args(["--out", out.to_str().unwrap()])
            .output()
            .unwrap();
        let text = output_text(&o);
        assert!(o.status.success(), "{text}");
        text.lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("Maximum resident set size (kbytes): ")
            })
            .unwrap()
            .parse()
            .unwrap()
    };
    // The slope between two sizes: what one more path costs at the peak.
    let base = peak_kib("40000");
    let paths = 40_000.0;
    let measured = (peak_kib("80000") - base) * 1024.0;
    let scenario = arrears::scenario::parse(&text, &file).unwrap();
    let mut simulation = scenario.simulation.clone();
    simulation.paths = paths as u64;
    let book = arrears::book::load(&scenario).unwrap();
    let estimate = arrears::engine::outcome_bytes(&simulation, &scenario.model, &book);
    eprintln!(
        "memory: estimate {:.0} bytes a path, measured {:.0}",
        estimate / paths,
        measured / paths
    );
    assert!(
        (estimate / measured - 1.0).abs() < 0.15,
        "estimate {estimate:.0} bytes for 40,000 paths against a measured growth of the peak of {measured:.0}"
    );
}

/// An edited `manifest.paths` is named as such by `arrears compare`, not taken for
/// importance weights.
#[test]
fn compare_names_an_edited_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let o = arrears(&[
        "run",
        "scenarios/stress.toml",
        "--paths",
        "3",
        "--out",
        a.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", output_text(&o));
    let b = tmp.path().join("b");
    std::fs::create_dir(&b).unwrap();
    for e in std::fs::read_dir(&a).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), b.join(e.file_name())).unwrap();
    }
    let mut summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(b.join("summary.json")).unwrap()).unwrap();
    summary["manifest"]["paths"] = 5.into();
    std::fs::write(b.join("summary.json"), summary.to_string()).unwrap();
    let out = tmp.path().join("cmp");
    let o = arrears(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    let text = output_text(&o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    // The folder no longer matches its manifest: refused by name, not misread as weights.
    assert!(
        text.contains("summary.json") && text.contains("--trust-modified"),
        "{text}"
    );
    assert!(!text.contains("importance"), "{text}");
}
