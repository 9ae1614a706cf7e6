//! Books as cells, through the binary: the tape's `count` column and its bad values, the
//! `[book.cells]` rules and where they are refused, and count mode's bucketing end to end
//! (`bucketing.csv`, the `bucketing` object of `summary.json`, the manifest, the report), with
//! loans and balance kept.

mod common;

use std::path::{Path, PathBuf};

use common::{arrears, csv_rows, output_text};

/// A scenario with an instalment segment `prime` and a revolving one `cards`, reading the
/// tape `tape.csv` beside it; `simulation` lines go into `[simulation]`.
fn scenario_text(simulation: &str) -> String {
    format!(
        r#"
version = 1

[simulation]
name = "cells"
paths = 20
horizon_months = 12
seed = 3
{simulation}

[states]
buckets = [
  {{ name = "dpd_1_30", min_dpd = 1, max_dpd = 30 }},
  {{ name = "dpd_31_60", min_dpd = 31, max_dpd = 60 }},
  {{ name = "dpd_61_plus", min_dpd = 61 }},
]

[charge_off]
dpd = 60

[book]
source = "tape"
path = "tape.csv"

[segments.prime.transitions]
current = {{ current = 0.93, dpd_1_30 = 0.05, paid_off = 0.02 }}
dpd_1_30 = {{ current = 0.45, dpd_1_30 = 0.15, dpd_31_60 = 0.40 }}
dpd_31_60 = {{ current = 0.15, dpd_31_60 = 0.10, dpd_61_plus = 0.75 }}

[segments.cards]
product = "revolving"
draw_rate = 0.05
min_payment_rate = 0.04
[segments.cards.transitions]
current = {{ current = 0.95, dpd_1_30 = 0.04, paid_off = 0.01 }}
dpd_1_30 = {{ current = 0.50, dpd_1_30 = 0.10, dpd_31_60 = 0.40 }}
dpd_31_60 = {{ current = 0.20, dpd_31_60 = 0.10, dpd_61_plus = 0.70 }}
"#
    )
}

/// `n` loans: two in three `prime` instalment loans, one in three `cards` lines, balances
/// spread over 300 to 2,300, a few APRs (two a tenth of a point apart, so they share a band),
/// two months on book, one loan in ten a month behind. Returns the CSV and its total balance.
fn loan_tape(n: usize) -> (String, f64) {
    let mut csv = String::from(
        "loan_id,segment,balance,apr,remaining_term,months_on_book,state,credit_limit\n",
    );
    let mut total = 0.0;
    for i in 0..n {
        let cards = i % 3 == 0;
        let balance = 300.0 + ((i * 7919) % 2000) as f64 + 0.25;
        let apr = [0.18, 0.1812, 0.18, 0.24][i % 4];
        let (segment, term, limit) = if cards {
            ("cards", 0, format!("{:.2}", balance * 1.5))
        } else {
            ("prime", 12 + i % 3, String::new())
        };
        let state = if i % 10 == 0 { "dpd_1_30" } else { "current" };
        csv.push_str(&format!(
            "L{i:05},{segment},{balance:.2},{apr},{term},{},{state},{limit}\n",
            (i / 7) % 2
        ));
        total += balance;
    }
    (csv, total)
}

/// Writes `scenario.toml` and `tape.csv` into a fresh folder.
fn setup(simulation: &str, tape: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("scenario.toml");
    std::fs::write(&scenario, scenario_text(simulation)).unwrap();
    std::fs::write(dir.path().join("tape.csv"), tape).unwrap();
    (dir, scenario)
}

fn run(scenario: &Path, out: &Path) -> std::process::Output {
    arrears(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ])
}

fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

fn field(row: &std::collections::BTreeMap<String, String>, name: &str) -> f64 {
    row.get(name)
        .unwrap_or_else(|| panic!("no column `{name}`"))
        .parse()
        .unwrap()
}

#[test]
fn count_mode_buckets_a_tape_of_loans_and_reports_what_changed() {
    let (tape, total) = loan_tape(3000);
    let (dir, scenario) = setup("mode = \"count\"", &tape);

    let v = arrears(&["validate", scenario.to_str().unwrap()]);
    let text = output_text(&v);
    assert!(v.status.success(), "{text}");
    assert!(text.contains("book of 3,000 loans in "), "{text}");
    assert!(text.contains(" cells, balance "), "{text}");

    let out = dir.path().join("out");
    let r = run(&scenario, &out);
    assert!(r.status.success(), "{}", output_text(&r));

    // bucketing.csv: one row per segment, then the book.
    assert!(out.join("bucketing.parquet").is_file());
    let rows = csv_rows(&out.join("bucketing.csv"));
    let segments: Vec<&str> = rows.iter().map(|r| r["segment"].as_str()).collect();
    assert_eq!(segments, ["prime", "cards", "all"]);
    let all = &rows[2];
    assert_eq!(field(all, "loans"), 3000.0);
    assert_eq!(field(&rows[0], "loans") + field(&rows[1], "loans"), 3000.0);
    let cells = field(all, "cells");
    assert!(cells > 10.0 && cells < 3000.0, "{cells} cells");
    assert!(close(field(all, "balance_before"), total));
    assert!(close(field(all, "balance_after"), total));
    assert!(field(all, "balance_change").abs() < 1e-12);
    assert!(field(all, "monthly_interest_change").abs() < 1e-12);
    // Two APRs share a band: the annuity of their weighted mean differs a little.
    assert!(field(all, "first_payment_change").abs() < 1e-4);
    assert!(field(all, "max_balance_change") < 0.05);
    assert!(field(all, "max_apr_change") > 0.0 && field(all, "max_apr_change") < 0.0025);

    // summary.json: the same figures, the rules, and the book as simulated.
    let s = summary(&out);
    let b = &s["bucketing"];
    assert_eq!(b["balance_width"], 0.05);
    assert_eq!(b["apr_width"], 0.0025);
    assert_eq!(b["total"]["loans"], 3000);
    assert_eq!(b["total"]["cells"].as_f64().unwrap(), cells);
    assert_eq!(b["segments"].as_array().unwrap().len(), 2);
    assert_eq!(s["run"]["mode"], "count");
    assert_eq!(s["run"]["cells"].as_f64().unwrap(), cells);
    assert_eq!(s["run"]["loans"], 3000);
    assert_eq!(s["book"]["loans"], 3000);
    assert!(close(s["book"]["balance"].as_f64().unwrap(), total));
    assert!(close(
        s["figures"]["original_balance"]["mean"].as_f64().unwrap(),
        total
    ));
    let description = s["scenario_description"].to_string();
    assert!(description.contains("Count mode: the 3,000 loans were bucketed into"));

    // The report reads it off the folder, and `arrears report` rebuilds the same.
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("The book as cells"), "{report}");
    assert!(report.contains("3,000 loans became"), "{report}");
    assert!(report.contains("balance unchanged"), "{report}");
    assert!(report.contains("| Mode | count"), "{report}");
    let r = arrears(&["report", out.to_str().unwrap(), "-q"]);
    assert!(r.status.success(), "{}", output_text(&r));
    assert_eq!(
        std::fs::read_to_string(out.join("report.md")).unwrap(),
        report
    );
}

#[test]
fn a_cell_tape_is_simulated_as_given() {
    let tape = "loan_id,segment,balance,apr,remaining_term,state,count\n\
                a,prime,1000,0.2,12,current,400\n\
                b,prime,1010,0.2,12,current,100\n\
                c,cards,500,0.3,0,dpd_1_30,1\n";
    let (dir, scenario) = setup("mode = \"count\"", tape);
    let v = arrears(&["validate", scenario.to_str().unwrap()]);
    let text = output_text(&v);
    assert!(text.contains("book of 501 loans in 3 cells"), "{text}");
    let out = dir.path().join("out");
    let r = run(&scenario, &out);
    assert!(r.status.success(), "{}", output_text(&r));
    // a and b would share a cell, but the user's cells are the user's cells.
    assert!(!out.join("bucketing.csv").exists());
    let s = summary(&out);
    assert!(s["bucketing"].is_null());
    assert_eq!(s["run"]["cells"], 3);
    assert_eq!(s["run"]["loans"], 501);
    assert!(close(s["book"]["balance"].as_f64().unwrap(), 501_500.0));
    assert!(s["scenario_description"].to_string().contains(
        "the tape's 3 rows are cells of identical loans (501 loans), simulated as given"
    ));
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(!report.contains("The book as cells"));
}

#[test]
fn loan_mode_writes_no_bucketing_and_old_folders_still_report() {
    let (tape, _) = loan_tape(200);
    let (dir, scenario) = setup("", &tape);
    let out = dir.path().join("out");
    let r = run(&scenario, &out);
    assert!(r.status.success(), "{}", output_text(&r));
    assert!(!out.join("bucketing.csv").exists());
    let mut s = summary(&out);
    assert!(s["bucketing"].is_null());
    assert_eq!(s["run"]["mode"], "loan");
    assert_eq!(s["run"]["cells"], 200);
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(!report.contains("| Mode |"));

    // A summary without mode, cells or bucketing is not one arrears writes: refused, even
    // when the analyst trusts the edit, naming the file and the field.
    s["run"].as_object_mut().unwrap().remove("mode");
    s["run"].as_object_mut().unwrap().remove("cells");
    s.as_object_mut().unwrap().remove("bucketing");
    std::fs::write(
        out.join("summary.json"),
        serde_json::to_string_pretty(&s).unwrap(),
    )
    .unwrap();
    let r = arrears(&["report", out.to_str().unwrap(), "-q"]);
    assert_eq!(r.status.code(), Some(2), "{}", output_text(&r));
    assert!(
        output_text(&r).contains("summary.json"),
        "{}",
        output_text(&r)
    );
    let r = arrears(&["report", out.to_str().unwrap(), "-q", "--trust-modified"]);
    assert_eq!(r.status.code(), Some(2), "{}", output_text(&r));
    assert!(output_text(&r).contains("`mode`"), "{}", output_text(&r));
    assert_eq!(
        std::fs::read_to_string(out.join("report.md")).unwrap(),
        report,
        "a refused report leaves the old one"
    );
}

#[test]
fn bad_counts_are_named_by_row_and_column_and_leave_no_folder() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let r = run(&root.join("tests/fixtures/bad/tape_bad_count.toml"), &out);
    let text = output_text(&r);
    assert_eq!(r.status.code(), Some(2), "{text}");
    for expected in [
        "row 1 (line 2 of the CSV), column `count`: 0 loans",
        "row 2 (line 3 of the CSV), column `count`: -4 is negative",
        "row 3 (line 4 of the CSV), column `count`: 2.5 is not a whole number",
        "row 4 (line 5 of the CSV), column `count`: `many` is not a number",
        "row 5 (line 6 of the CSV), column `count`: missing",
    ] {
        assert!(text.contains(expected), "`{expected}` not in:\n{text}");
    }
    assert!(!text.contains("row 6"), "{text}");
    assert!(
        text.contains("loan tape `") && text.contains("(5 problems)"),
        "{text}"
    );
    assert!(text.contains("hint:"), "{text}");
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn cell_rules_outside_count_mode_or_out_of_range_are_refused() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (fixture, expected) in [
        (
            "cells_in_loan_mode.toml",
            "`[book.cells]` applies to count mode only",
        ),
        (
            "cells_balance_width.toml",
            "`book.cells.balance_width` is 0, expected a number in [0.000001, 1]",
        ),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let r = run(&root.join("tests/fixtures/bad").join(fixture), &out);
        let text = output_text(&r);
        assert_eq!(r.status.code(), Some(2), "{fixture}: {text}");
        assert!(text.contains(expected), "{fixture}: {text}");
        assert!(text.contains("hint:"), "{fixture}: {text}");
        assert!(!out.exists(), "{fixture}");
    }
}
