//! What programs (the Python package, scripts) rely on: `--error-format json` (one object on
//! stderr with kind, exit code, message, hint and each problem's line and column), a scenario
//! on standard input (`-`), `arrears verify`, and `arrears init`.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{arrears, output_text, small_example};

fn with_stdin(args: &[&str], stdin: &str, dir: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_arrears"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The one JSON object a failed command wrote on stderr.
fn error_json(out: &Output) -> serde_json::Value {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON object on stderr: {stderr}"));
    serde_json::from_str(line).unwrap()
}

#[test]
fn json_errors_say_who_can_fix_them_with_each_problems_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "version = 1\n[simulation]\nname = \"x\"\npaths = 0\nhorizon_months = 36\nseed = 1\nfrobnicate = 2\n",
    )
    .unwrap();
    let out = arrears(&["--error-format", "json", "validate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    let e = error_json(&out);
    assert_eq!(e["kind"], "scenario");
    assert_eq!(e["exit_code"], 2);
    let problems = e["problems"].as_array().unwrap();
    let unknown = problems
        .iter()
        .find(|p| p["message"].as_str().unwrap().contains("frobnicate"))
        .unwrap_or_else(|| panic!("{e}"));
    assert_eq!(unknown["line"], 7);
    assert_eq!(unknown["column"], 1);
    assert_eq!(unknown["file"], bad.to_str().unwrap());
    // Text stays the default: `error:` and `hint:` lines, no JSON.
    let text = arrears(&["validate", bad.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&text.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains('{'), "{stderr}");

    // A missing file, a wrong argument, a folder in the way: each its kind.
    let missing = arrears(&["--error-format=json", "run", "no/such.toml"]);
    assert_eq!(error_json(&missing)["kind"], "scenario");
    let usage = arrears(&["--error-format", "json", "run", "x.toml", "--pahts", "3"]);
    assert_eq!(usage.status.code(), Some(2));
    let e = error_json(&usage);
    assert_eq!(e["kind"], "usage");
    assert!(e["message"].as_str().unwrap().contains("--pahts"), "{e}");
    let scenario = small_example(dir.path(), "baseline.toml");
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::write(out_dir.join("mine.txt"), "not arrears'").unwrap();
    let in_the_way = arrears(&[
        "--error-format",
        "json",
        "run",
        scenario.to_str().unwrap(),
        "--paths",
        "4",
        "--out",
        out_dir.to_str().unwrap(),
        "--force",
    ]);
    let e = error_json(&in_the_way);
    assert_eq!(e["kind"], "result", "{e}");
    assert_eq!(e["exit_code"], 2);
    assert!(out_dir.join("mine.txt").exists());
}

#[test]
fn a_scenario_on_stdin_runs_like_its_file_with_paths_from_the_current_folder() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small_example(dir.path(), "baseline.toml");
    let text = std::fs::read_to_string(&scenario).unwrap();
    let from_file = dir.path().join("from_file");
    let out = arrears(&[
        "run",
        scenario.to_str().unwrap(),
        "--paths",
        "6",
        "--out",
        from_file.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", output_text(&out));
    let from_stdin = dir.path().join("from_stdin");
    let out = with_stdin(
        &[
            "run",
            "-",
            "--paths",
            "6",
            "--out",
            from_stdin.to_str().unwrap(),
            "--quiet",
        ],
        &text,
        dir.path(),
    );
    assert!(out.status.success(), "{}", output_text(&out));
    for file in [
        "paths.parquet",
        "outcomes.parquet",
        "timeline.csv",
        "scenario.toml",
    ] {
        assert_eq!(
            std::fs::read(from_file.join(file)).unwrap(),
            std::fs::read(from_stdin.join(file)).unwrap(),
            "{file}"
        );
    }
    let summary = std::fs::read_to_string(from_stdin.join("summary.json")).unwrap();
    assert!(
        summary.contains("\"scenario_file\": \"<stdin>\""),
        "{summary}"
    );

    // A tape path relative to the current folder.
    let tape_text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tape.toml"))
            .unwrap();
    let out = with_stdin(
        &["validate", "-"],
        &tape_text,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"),
    );
    assert!(out.status.success(), "{}", output_text(&out));
    let out = with_stdin(
        &["--error-format", "json", "validate", "-"],
        &tape_text,
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let e = error_json(&out);
    assert_eq!(e["kind"], "data", "{}", output_text(&out));
    // The tape's hint, inside its text message, is the JSON's `hint`.
    assert!(e["hint"].as_str().is_some_and(|h| !h.is_empty()), "{e}");
    assert!(!e["message"].as_str().unwrap().contains("\nhint:"), "{e}");
    // Not UTF-8.
    let out = with_stdin(&["validate", "-"], "version = \u{1}\u{fffd}", dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("<stdin>"),
        "{}",
        output_text(&out)
    );
}

#[test]
fn verify_checks_every_kind_of_folder_and_names_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small_example(dir.path(), "baseline.toml");
    let run = dir.path().join("run");
    let out = arrears(&[
        "run",
        scenario.to_str().unwrap(),
        "--paths",
        "5",
        "--out",
        run.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", output_text(&out));
    let parts = dir.path().join("parts");
    let out = arrears(&[
        "run",
        scenario.to_str().unwrap(),
        "--paths",
        "5",
        "--shard",
        "0/2",
        "--out",
        parts.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", output_text(&out));
    let part = parts.join("part-00000-of-00002");
    for (folder, kind) in [(&run, "run"), (&part, "part")] {
        let out = arrears(&["verify", folder.to_str().unwrap()]);
        assert!(out.status.success(), "{}", output_text(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(&format!(": {kind}, ")),
            "{}",
            output_text(&out)
        );
    }
    let mut bytes = std::fs::read(run.join("write_offs.csv")).unwrap();
    bytes[40] ^= 1;
    std::fs::write(run.join("write_offs.csv"), bytes).unwrap();
    let out = arrears(&["--error-format", "json", "verify", run.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let e = error_json(&out);
    assert_eq!(e["kind"], "result");
    assert!(
        e["message"].as_str().unwrap().contains("write_offs.csv"),
        "{e}"
    );
    let out = arrears(&["verify", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
}

#[test]
fn init_writes_a_starter_that_runs_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let out = arrears(&["init", "card_book", "--dir", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", output_text(&out));
    let scenario = dir.path().join("card_book.toml");
    assert!(dir.path().join("card_book-tape.csv").is_file());
    let result = dir.path().join("result");
    let out = arrears(&[
        "run",
        scenario.to_str().unwrap(),
        "--paths",
        "20",
        "--out",
        result.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(result.join("report.html").is_file());
    let before = std::fs::read(&scenario).unwrap();
    let again = arrears(&["init", "card_book", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2), "{}", output_text(&again));
    assert!(output_text(&again).contains("exists already"));
    assert_eq!(std::fs::read(&scenario).unwrap(), before);
}

#[test]
fn set_overrides_equal_an_edited_file_and_name_themselves_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small_example(dir.path(), "baseline.toml");
    let text = std::fs::read_to_string(&scenario).unwrap();
    let edited = dir.path().join("edited.toml");
    std::fs::write(
        &edited,
        text.replace("price = 0.04 ", "price = 0.07 ")
            .replace("cost_per_account = 1.50", "cost_per_account = 2"),
    )
    .unwrap();
    let run = |args: &[&str], out: &Path| {
        let mut all = vec!["run"];
        all.extend_from_slice(args);
        all.extend(["--paths", "6", "--out", out.to_str().unwrap(), "--quiet"]);
        let o = arrears(&all);
        assert!(o.status.success(), "{}", output_text(&o));
    };
    let by_set = dir.path().join("by_set");
    let by_file = dir.path().join("by_file");
    run(
        &[
            scenario.to_str().unwrap(),
            "--set",
            "debt_sale.price=0.07",
            "--set",
            "actions.calls.cost_per_account=2",
        ],
        &by_set,
    );
    run(&[edited.to_str().unwrap()], &by_file);
    for file in [
        "paths.parquet",
        "outcomes.parquet",
        "write_offs.csv",
        "scenario.toml",
    ] {
        assert_eq!(
            std::fs::read(by_set.join(file)).unwrap(),
            std::fs::read(by_file.join(file)).unwrap(),
            "{file}"
        );
    }

    // A bad value: the error names the override and points at the file's own line.
    let bad = arrears(&[
        "--error-format",
        "json",
        "validate",
        scenario.to_str().unwrap(),
        "--set",
        "debt_sale.price=-3",
    ]);
    assert_eq!(bad.status.code(), Some(2), "{}", output_text(&bad));
    let e = error_json(&bad);
    let problem = &e["problems"][0];
    assert!(
        problem["message"]
            .as_str()
            .unwrap()
            .contains("(set by `--set debt_sale.price=-3`)"),
        "{e}"
    );
    let line = text
        .lines()
        .position(|l| l.starts_with("price = 0.04"))
        .unwrap()
        + 1;
    assert_eq!(problem["line"], line, "{e}");
    // An unknown table, an unknown element, no `=`.
    for (arg, needle) in [
        ("debt_sael.price=1", "there is no `debt_sael`"),
        (
            "actions.nobody.cost_per_account=1",
            "no element `nobody` in `actions`",
        ),
        ("debt_sale.price", "is not KEY=VALUE"),
    ] {
        let out = arrears(&["validate", scenario.to_str().unwrap(), "--set", arg]);
        assert_eq!(out.status.code(), Some(2), "{arg}: {}", output_text(&out));
        assert!(
            output_text(&out).contains(needle),
            "{arg}: {}",
            output_text(&out)
        );
    }
    // A key the file lacks is added, and checked like one written there.
    let out = arrears(&[
        "validate",
        scenario.to_str().unwrap(),
        "--set",
        "simulation.threads=0",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("(set by `--set simulation.threads=0`)"),
        "{}",
        output_text(&out)
    );
}

#[test]
fn lowering_the_charge_off_dpd_ignores_the_rows_beyond_it_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small_example(dir.path(), "baseline.toml");
    let text = std::fs::read_to_string(&scenario).unwrap();
    // The same change by hand: the policy lowered and the rows past it deleted.
    let lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("dpd_121_150 = ") || l.starts_with("dpd_151_180 = "))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(
        lines.len(),
        6,
        "the baseline has these rows in three segments"
    );
    let edited = dir.path().join("edited.toml");
    let by_hand: String = text
        .lines()
        .enumerate()
        .filter(|(i, _)| !lines.contains(&(i + 1)))
        .map(|(_, l)| format!("{l}\n"))
        .collect::<String>()
        .replace("\ndpd = 180 ", "\ndpd = 120 ");
    std::fs::write(&edited, by_hand).unwrap();

    let out = |name: &str| dir.path().join(name);
    let by_set = arrears(&[
        "run",
        scenario.to_str().unwrap(),
        "--set",
        "charge_off.dpd=120",
        "--paths",
        "6",
        "--quiet",
        "--out",
        out("by_set").to_str().unwrap(),
    ]);
    assert!(by_set.status.success(), "{}", output_text(&by_set));
    let stderr = String::from_utf8_lossy(&by_set.stderr);
    // One warning per bucket, naming every line it ignores.
    let names = |first: usize| {
        format!(
            "{} lines {}, {}, {})",
            scenario.display(),
            lines[first],
            lines[first + 2],
            lines[first + 4]
        )
    };
    for (state, first) in [("dpd_121_150", 0), ("dpd_151_180", 1)] {
        let warning = stderr
            .lines()
            .find(|l| l.starts_with("warning: ") && l.contains(&format!("`{state}`")))
            .unwrap_or_else(|| panic!("no warning for {state}: {stderr}"));
        assert!(warning.ends_with(&names(first)), "{warning}");
    }
    let by_file = arrears(&[
        "run",
        edited.to_str().unwrap(),
        "--paths",
        "6",
        "--quiet",
        "--out",
        out("by_file").to_str().unwrap(),
    ]);
    assert!(by_file.status.success(), "{}", output_text(&by_file));
    assert!(!String::from_utf8_lossy(&by_file.stderr).contains("ignored"));
    for file in ["outcomes.parquet", "paths.parquet", "write_offs.csv"] {
        assert_eq!(
            std::fs::read(out("by_set").join(file)).unwrap(),
            std::fs::read(out("by_file").join(file)).unwrap(),
            "{file}"
        );
    }
}
