//! Golden files: one small seeded run (`tests/fixtures/golden/small.toml`) must write exactly
//! the Markdown report and SVG charts committed in `tests/golden/`. A change to numbers,
//! wording or drawing shows up as a diff to review; when the change is intended, regenerate
//! with `ARREARS_UPDATE_GOLDEN=1 cargo test --release --test golden` and commit the files.
//!
//! The run's timestamp, thread count and run time are masked in the report; nothing else is.

mod common;

use std::path::{Path, PathBuf};

use common::{arrears, output_text};

const FILES: [&str; 3] = [
    "report.md",
    "write_offs_by_month.svg",
    "transition_heatmap_subprime.svg",
];

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Replaces `YYYY-MM-DDTHH:MM:SSZ` timestamps by `<created>` and the manifest's run line
/// (threads and seconds) by `<run>`.
fn mask(text: &str) -> String {
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.starts_with("| Run |") {
            lines.push("| Run | <run> |".to_string());
            continue;
        }
        let chars: Vec<char> = line.chars().collect();
        let mut out = String::new();
        let mut i = 0;
        while i < chars.len() {
            if i + 20 <= chars.len() && is_timestamp(&chars[i..i + 20]) {
                out.push_str("<created>");
                i += 20;
            } else {
                out.push(chars[i]);
                i += 1;
            }
        }
        lines.push(out);
    }
    lines.join("\n") + "\n"
}

fn is_timestamp(c: &[char]) -> bool {
    let shape = "0000-00-00T00:00:00Z";
    shape
        .chars()
        .zip(c)
        .all(|(s, &c)| if s == '0' { c.is_ascii_digit() } else { s == c })
}

fn first_difference(expected: &str, actual: &str) -> String {
    for (n, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
        if e != a {
            return format!(
                "line {}:\n  expected: {}\n  actual:   {}",
                n + 1,
                &e[..e.len().min(300)],
                &a[..a.len().min(300)]
            );
        }
    }
    format!(
        "lengths differ: {} lines expected, {} actual",
        expected.lines().count(),
        actual.lines().count()
    )
}

#[test]
fn small_run_writes_the_committed_report_and_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("golden");
    let run = arrears(&[
        "run",
        "tests/fixtures/golden/small.toml",
        "--threads",
        "1",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(run.status.success(), "{}", output_text(&run));
    let update = std::env::var_os("ARREARS_UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for name in FILES {
        let actual = mask(&std::fs::read_to_string(out.join(name)).unwrap());
        let golden = golden_dir().join(name);
        if update {
            std::fs::create_dir_all(golden_dir()).unwrap();
            std::fs::write(&golden, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_else(|e| {
            panic!(
                "cannot read `{}` ({e}); create it with ARREARS_UPDATE_GOLDEN=1",
                golden.display()
            )
        });
        if expected != actual {
            let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("golden-{name}"));
            std::fs::write(&keep, &actual).unwrap();
            failures.push(format!(
                "`{name}` differs from tests/golden/{name} (actual written to {}): {}",
                keep.display(),
                first_difference(&expected, &actual)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\nif the change is intended: ARREARS_UPDATE_GOLDEN=1 cargo test --release --test golden",
        failures.join("\n\n")
    );
}

#[test]
fn arrears_report_rebuilds_the_same_report() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("golden");
    let dir = out.to_str().unwrap();
    let run = arrears(&[
        "run",
        "tests/fixtures/golden/small.toml",
        "--out",
        dir,
        "-q",
    ]);
    assert!(run.status.success(), "{}", output_text(&run));
    let before: Vec<Vec<u8>> = ["report.html", "report.md"]
        .iter()
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect();
    std::fs::remove_file(out.join("report.html")).unwrap();
    let rebuilt = arrears(&["report", dir]);
    assert!(rebuilt.status.success(), "{}", output_text(&rebuilt));
    assert!(output_text(&rebuilt).contains("report.html"));
    let after: Vec<Vec<u8>> = ["report.html", "report.md"]
        .iter()
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect();
    assert!(before == after, "`arrears report` wrote different bytes");
    // No temporary files left behind.
    let stray: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[test]
fn arrears_report_refuses_what_is_not_a_result_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope");
    let out = arrears(&["report", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(output_text(&out).contains("no such folder"));
    let empty = tmp.path();
    let out = arrears(&["report", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    let text = output_text(&out);
    assert!(
        text.contains("manifest.json") && text.contains("arrears run"),
        "{text}"
    );
    let file = tmp.path().join("manifest.json");
    std::fs::write(&file, "{ not json").unwrap();
    let out = arrears(&["report", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(output_text(&out).contains("not a valid manifest"));
}

#[test]
fn a_run_without_defaults_still_gets_its_report() {
    // One month, nothing can charge off: recovery rates are undefined (null in summary.json)
    // and the report says n/a instead of failing.
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("quiet.toml");
    let rows = "current = { current = 0.99, dpd_1_30 = 0.01 }\n\
                dpd_1_30 = { current = 0.5, dpd_31_60 = 0.5 }\n\
                dpd_31_60 = { current = 0.5, dpd_61_90 = 0.5 }\n\
                dpd_61_90 = { current = 0.5, dpd_61_90 = 0.5 }\n";
    std::fs::write(&scenario, common::chain_scenario(rows, 50, 5, 1, "")).unwrap();
    let out = tmp.path().join("quiet");
    let run = arrears(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(run.status.success(), "{}", output_text(&run));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("| Recovery rate (gross) | n/a ± n/a |"), "{md}");
    assert!(out.join("report.html").is_file());
}
