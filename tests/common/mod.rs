//! Helpers shared by the integration tests: building scenarios from text and running them.
#![allow(dead_code)]

pub mod panel;
pub mod shards;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrears::book;
use arrears::engine::{self, RunOutput};
use arrears::scenario::{self, Scenario};

pub fn scenario(text: &str) -> Scenario {
    match scenario::parse(text, Path::new("test.toml")) {
        Ok(s) => s,
        Err(e) => panic!("test scenario is invalid:\n{e}"),
    }
}

pub fn run(scenario: &Scenario, threads: usize) -> RunOutput {
    let book = book::load(scenario).expect("book loads");
    engine::run(
        &scenario.simulation,
        &scenario.model,
        &book,
        Some(threads),
        &|_| {},
    )
    .expect("run")
}

/// A one-segment scenario with buckets dpd_1_30, dpd_31_60, dpd_61_90 and the given matrix
/// rows (TOML lines), loans of fixed balance starting current, a term longer than the horizon
/// so nothing matures, and no money rules that move states: the chain is the matrix alone.
pub fn chain_scenario(rows: &str, loans: u64, paths: u64, horizon: u32, extra: &str) -> String {
    format!(
        r#"
version = 1
[simulation]
name = "chain"
paths = {paths}
horizon_months = {horizon}
seed = 7
[states]
buckets = [
  {{ name = "dpd_1_30", min_dpd = 1, max_dpd = 30 }},
  {{ name = "dpd_31_60", min_dpd = 31, max_dpd = 60 }},
  {{ name = "dpd_61_90", min_dpd = 61, max_dpd = 90 }},
]
[book]
source = "synthetic"
{extra}
[segments.all.book]
loans = {loans}
balance = {{ distribution = "fixed", value = 1000.0 }}
apr = 0.12
term_months = 600
[segments.all.transitions]
{rows}
"#
    )
}

/// Rows of an absorbing chain for [`chain_scenario`]; [`chain_matrix`] is the same chain as a
/// dense matrix in engine order: current, dpd_1_30, dpd_31_60, dpd_61_90, paid_off,
/// charged_off, sold.
pub const CHAIN_ROWS: &str = r#"
current   = { current = 0.90, dpd_1_30 = 0.07, paid_off = 0.03 }
dpd_1_30  = { current = 0.45, dpd_1_30 = 0.10, dpd_31_60 = 0.40, paid_off = 0.05 }
dpd_31_60 = { current = 0.20, dpd_1_30 = 0.05, dpd_31_60 = 0.10, dpd_61_90 = 0.65 }
dpd_61_90 = { current = 0.05, dpd_61_90 = 0.10, charged_off = 0.85 }
"#;

pub fn chain_matrix() -> Vec<Vec<f64>> {
    vec![
        vec![0.90, 0.07, 0.0, 0.0, 0.03, 0.0, 0.0],
        vec![0.45, 0.10, 0.40, 0.0, 0.05, 0.0, 0.0],
        vec![0.20, 0.05, 0.10, 0.65, 0.0, 0.0, 0.0],
        vec![0.05, 0.0, 0.0, 0.10, 0.0, 0.85, 0.0],
        vec![0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
        vec![0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0],
        vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
    ]
}

/// Dense matrix power: `v * P^t` for a row vector.
pub fn evolve(v: &[f64], p: &[Vec<f64>], months: usize) -> Vec<f64> {
    let mut v = v.to_vec();
    for _ in 0..months {
        let mut next = vec![0.0; v.len()];
        for (i, &vi) in v.iter().enumerate() {
            for (j, &pij) in p[i].iter().enumerate() {
                next[j] += vi * pij;
            }
        }
        v = next;
    }
    v
}

/// A CSV written by arrears, as rows of (column -> text) maps.
pub fn csv_rows(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(str::to_string))
                .collect()
        })
        .collect()
}

/// Runs the `arrears` binary from the repository root, as a user would.
pub fn arrears(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arrears"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

/// Everything a command printed, stdout then stderr.
pub fn output_text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// An example scenario with its book a hundred times smaller, written into `dir` (its tape
/// and panel paths made absolute, so it runs from there).
pub fn small_example(dir: &Path, example: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let text = std::fs::read_to_string(root.join(example)).unwrap();
    let small = text
        .replace("loans = 40000", "loans = 400")
        .replace("loans = 20000", "loans = 200")
        .replace(
            "path = \"data/",
            &format!("path = \"{}/data/", root.display()),
        );
    let path = dir.join(example);
    std::fs::write(&path, small).unwrap();
    path
}

/// Every file below `dir`, relative, `/`-separated, sorted.
pub fn files_below(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, rel: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(root.join(rel)).unwrap() {
            let entry = entry.unwrap();
            let rel = rel.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                walk(root, &rel, out);
            } else {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, Path::new(""), &mut out);
    out.sort();
    out
}

/// The run's own facts, which may differ between a run on one machine and the same run in
/// shards: in `summary.json` the `run` object's threads, shards, seconds and time.
const RUN_FACT_KEYS: [&str; 4] = [
    "\"threads\":",
    "\"shards\":",
    "\"run_seconds\":",
    "\"created_utc\":",
];

/// A report's text with the run's own facts masked: timestamps, and the `Run` line (time,
/// threads, shards, seconds).
fn mask_report(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.starts_with("| Run |") || line.starts_with("<dt>Run</dt>") {
                return "<run>".to_string();
            }
            let bytes = line.as_bytes();
            let mut out = String::new();
            let mut i = 0;
            while i < line.len() {
                let is_stamp = i + 20 <= line.len()
                    && line.is_char_boundary(i)
                    && line.is_char_boundary(i + 20)
                    && "0000-00-00T00:00:00Z"
                        .bytes()
                        .zip(&bytes[i..i + 20])
                        .all(|(s, &c)| {
                            if s == b'0' {
                                c.is_ascii_digit()
                            } else {
                                s == c
                            }
                        });
                if is_stamp {
                    out.push_str("<created>");
                    i += 20;
                } else {
                    let c = line[i..].chars().next().unwrap();
                    out.push(c);
                    i += c.len_utf8();
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts that two result folders of the same scenario and seed are the same byte for byte,
/// except the fields that describe the run itself (timestamps, run time, threads, shards): in
/// each `summary.json` (and a sweep's `sweep.json`) the `run` object's `threads`, `shards`, `run_seconds`, `created_utc`;
/// the reports' timestamps and `Run` line; and the manifests' hashes and sizes of those files
/// (and of a stress set's inner manifests, which hold theirs).
pub fn assert_same_result(one: &Path, other: &Path) {
    let files = files_below(one);
    assert_eq!(
        files,
        files_below(other),
        "{} and {} hold different files",
        one.display(),
        other.display()
    );
    let name = |f: &str| f.rsplit('/').next().unwrap().to_string();
    let differs_with_facts = |f: &str| {
        matches!(
            name(f).as_str(),
            "summary.json" | "sweep.json" | "report.html" | "report.md" | "manifest.json"
        )
    };
    for file in &files {
        let (a, b) = (one.join(file), other.join(file));
        let (ba, bb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        let what = format!("{} vs {}", a.display(), b.display());
        match name(file).as_str() {
            "summary.json" | "sweep.json" => {
                let strip = |bytes: &[u8]| {
                    String::from_utf8_lossy(bytes)
                        .lines()
                        .filter(|l| !RUN_FACT_KEYS.iter().any(|k| l.trim_start().starts_with(k)))
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                let (sa, sb) = (strip(&ba), strip(&bb));
                let first = sa.lines().zip(sb.lines()).find(|(x, y)| x != y);
                assert!(sa == sb, "{what}: first difference {first:?}");
            }
            "report.html" | "report.md" => {
                let (ma, mb) = (
                    mask_report(&String::from_utf8_lossy(&ba)),
                    mask_report(&String::from_utf8_lossy(&bb)),
                );
                let first = ma.lines().zip(mb.lines()).find(|(x, y)| x != y);
                assert!(ma == mb, "{what}: first difference {first:?}");
            }
            "manifest.json" => {
                let parse = |bytes: &[u8]| -> serde_json::Value {
                    let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                    for entry in v["files"].as_array_mut().unwrap() {
                        let path = entry["path"].as_str().unwrap().to_string();
                        if differs_with_facts(&path) {
                            entry["sha256"] = serde_json::Value::Null;
                            entry["bytes"] = serde_json::Value::Null;
                        }
                    }
                    v
                };
                let (ma, mb) = (parse(&ba), parse(&bb));
                let first = ma["files"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .zip(mb["files"].as_array().unwrap())
                    .find(|(x, y)| x != y);
                assert!(ma == mb, "{what}: first difference {first:?}");
            }
            _ => assert!(ba == bb, "{what}: the bytes differ"),
        }
    }
}

/// A one-month book: each current loan charges off with probability `pd`, else stays. The
/// factor is drawn once per path.
pub fn one_period(loans: u64, paths: u64, pd: f64, rho: f64, shift: Option<f64>) -> String {
    let shift = shift.map_or(String::new(), |s| format!("importance_shift = {s}\n"));
    format!(
        r#"
version = 1
[simulation]
name = "vasicek"
paths = {paths}
horizon_months = 1
seed = 2024
[states]
buckets = [ {{ name = "dpd_1_30", min_dpd = 1, max_dpd = 30 }} ]
[systematic]
factor = "per_path"
asset_correlation = {rho}
{shift}
[book]
source = "synthetic"
[segments.all.book]
loans = {loans}
balance = {{ distribution = "fixed", value = 1.0 }}
apr = 0.0
term_months = 600
[segments.all.transitions]
current = {{ current = {keep}, charged_off = {pd} }}
dpd_1_30 = {{ current = 1.0 }}
"#,
        keep = 1.0 - pd
    )
}

/// Three buckets, the last charged off on entry at 30 DPD; every loan is charged off in month
/// 1 at 1,000 (current -> dpd_31_plus, redirected to charged_off).
pub fn charged_off_pool(loans: u64, paths: u64, extra: &str) -> String {
    format!(
        r#"
version = 1
[simulation]
name = "pool"
paths = {paths}
horizon_months = 12
seed = 11
discount_rate = 0.0
[states]
buckets = [
  {{ name = "dpd_1_30", min_dpd = 1, max_dpd = 30 }},
  {{ name = "dpd_31_plus", min_dpd = 31 }},
]
[charge_off]
dpd = 30
[book]
source = "synthetic"
[segments.all.book]
loans = {loans}
balance = {{ distribution = "fixed", value = 1000.0 }}
apr = 0.12
term_months = 24
[segments.all.transitions]
current = {{ dpd_31_plus = 1.0 }}
dpd_1_30 = {{ current = 1.0 }}
{extra}
"#
    )
}

/// A buyer whose monthly collections fall geometrically: `a r^k` of face in month `k + 1`,
/// with `payers` of accounts paying, a hurdle of 20% and `quoted` the quoted price if given.
/// Returns the disposition tables and the closed-form fair price at a hurdle h (monthly
/// discount v = (1 + h)^(-1/12)), net of cost share s: `(1 - s) a v (1 - (r v)^K) / (1 - r v)`.
pub fn geometric_buyer(payers: f64, quoted: Option<f64>) -> (String, impl Fn(f64) -> f64) {
    let (a, r, k, s, h) = (0.02, 0.9, 24, 0.3, 0.2);
    let curve: Vec<String> = (0..k)
        .map(|i| format!("{:.17}", a * f64::powi(r, i)))
        .collect();
    let price = move |h: f64| {
        let v = f64::powf(1.0 + h, -1.0 / 12.0);
        (1.0 - s) * a * v * (1.0 - f64::powi(r * v, k)) / (1.0 - r * v)
    };
    let quoted = quoted.map_or(String::new(), |q| format!("quoted_price = {q}\n"));
    let extra = format!(
        "[disposition]\nsale_points_dpd = [30]\n[disposition.buyer]\ncurve = [{}]\npayment_probability = {payers}\ncost_share = {s}\nhurdle_rate = {h}\n{quoted}",
        curve.join(", ")
    );
    (extra, price)
}
