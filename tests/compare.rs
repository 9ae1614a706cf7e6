//! `arrears compare` as a user runs it: two small runs of the example pair (the baseline with
//! and without its debt sale) on the same seed compare with paired standard errors below the
//! independent ones and differences equal to those of `summary.json`; different seeds get the
//! independent error and a note; importance-weighted runs pair through their weights; and every
//! kind of bad input gets exit code 2, a message and a hint, and leaves nothing written.

mod common;

use std::path::{Path, PathBuf};

use arrears::model::group_thousands;
use common::{arrears, output_text};
use serde_json::Value;

/// Paths of the small runs: enough for standard errors, few enough to be quick.
const PATHS: &str = "40";

/// An example scenario with its book a hundred times smaller, written into `dir`.
fn small_scenario(dir: &Path, example: &str) -> PathBuf {
    let path = common::small_example(dir, example);
    let original = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(example);
    assert_ne!(
        std::fs::read_to_string(&path).unwrap(),
        std::fs::read_to_string(original).unwrap(),
        "{example}: the book's sizes changed; update this test"
    );
    path
}

/// Runs `scenario` into `out` with extra arguments; panics with the output on failure.
fn run(scenario: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "run",
        scenario.to_str().unwrap(),
        "--paths",
        PATHS,
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = arrears(&args);
    assert!(o.status.success(), "{}", output_text(&o));
}

fn compare(args: &[&Path], extra: &[&str]) -> std::process::Output {
    let mut all: Vec<&str> = vec!["compare"];
    all.extend(args.iter().map(|p| p.to_str().unwrap()));
    all.extend_from_slice(extra);
    arrears(&all)
}

fn summary(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// `comparison.csv` as rows of (column, value) maps.
fn comparison_rows(dir: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    common::csv_rows(&dir.join("comparison.csv"))
}

fn row<'a>(
    rows: &'a [std::collections::BTreeMap<String, String>],
    figure: &str,
    run: &str,
) -> &'a std::collections::BTreeMap<String, String> {
    rows.iter()
        .find(|r| r["figure"] == figure && r["run"] == run)
        .unwrap_or_else(|| panic!("no row for {figure} of {run}"))
}

fn number(row: &std::collections::BTreeMap<String, String>, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column} = {:?}", row[column]))
}

/// The reference run `with_sale`, its twin without the sale on the same seed, and the same
/// twin on another seed, in one temporary folder.
struct Runs {
    tmp: tempfile::TempDir,
    with_sale: PathBuf,
    no_sale: PathBuf,
    no_sale_other_seed: PathBuf,
}

fn runs() -> Runs {
    let tmp = tempfile::tempdir().unwrap();
    let a = small_scenario(tmp.path(), "baseline.toml");
    let b = small_scenario(tmp.path(), "baseline_no_sale.toml");
    let with_sale = tmp.path().join("with_sale");
    let no_sale = tmp.path().join("no_sale");
    let no_sale_other_seed = tmp.path().join("no_sale_seed_8");
    run(&a, &with_sale, &[]);
    run(&b, &no_sale, &[]);
    run(&b, &no_sale_other_seed, &["--seed", "8"]);
    Runs {
        tmp,
        with_sale,
        no_sale,
        no_sale_other_seed,
    }
}

#[test]
fn runs_on_the_same_seed_compare_with_paired_standard_errors() {
    let r = runs();
    let out = r.tmp.path().join("cmp");
    let o = compare(
        &[&r.with_sale, &r.no_sale],
        &["--out", out.to_str().unwrap()],
    );
    let text = output_text(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains("shares random numbers with `with_sale`"),
        "{text}"
    );

    let a = summary(&r.with_sale);
    let b = summary(&r.no_sale);
    let rows = comparison_rows(&out);
    let mut paired_below = 0;
    for figure in [
        "net_credit_loss",
        "net_write_offs",
        "recovery_rate",
        "loss_given_default",
    ] {
        let fa = &a["figures"][figure];
        let fb = &b["figures"][figure];
        let (mean_a, se_a) = (fa["mean"].as_f64().unwrap(), fa["se"].as_f64().unwrap());
        let (mean_b, se_b) = (fb["mean"].as_f64().unwrap(), fb["se"].as_f64().unwrap());
        let reference = row(&rows, figure, "with_sale");
        assert_eq!(reference["reference"], "with_sale");
        assert_eq!(
            reference["difference"], "",
            "the reference has no difference"
        );
        let later = row(&rows, figure, "no_sale");
        assert_eq!(later["paired"], "true", "{figure}");
        assert_eq!(number(later, "mean"), mean_b);
        let difference = number(later, "difference");
        assert!(
            (difference - (mean_b - mean_a)).abs() <= 1e-12 * mean_a.abs().max(1.0),
            "{figure}: {difference} vs {}",
            mean_b - mean_a
        );
        let paired = number(later, "difference_se");
        let independent = se_a.hypot(se_b);
        assert!(paired.is_finite() && paired >= 0.0, "{figure}: {paired}");
        assert!(paired < independent, "{figure}: {paired} >= {independent}");
        paired_below += 1;
    }
    assert_eq!(paired_below, 4);
    // The tail too: the 99% VaR's difference equals summary.json's, inside its paired interval.
    let tail = std::fs::read_to_string(out.join("tail_comparison.csv")).unwrap();
    let line = tail
        .lines()
        .find(|l| l.starts_with("var,0.99,no_sale,with_sale,"))
        .expect("99% VaR of no_sale");
    let cells: Vec<f64> = line
        .split(',')
        .skip(4)
        .map(|c| c.parse().unwrap_or(f64::NAN))
        .collect();
    let var = |s: &Value| {
        s["net_credit_loss_tail"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["level"] == 0.99)
            .unwrap()["var"]
            .as_f64()
            .unwrap()
    };
    let (difference, low, high) = (cells[3], cells[4], cells[5]);
    assert!((difference - (var(&b) - var(&a))).abs() <= 1e-9 * var(&a));
    assert!(low <= difference && difference <= high, "{line}");
    assert!(line.ends_with(",true"), "{line}");
    // Selling at 4 cents lowers the net credit loss by the sale proceeds, beyond doubt.
    let loss = row(&rows, "net_credit_loss", "no_sale");
    assert!(number(loss, "difference") > 0.0);
    assert_eq!(loss["significant"], "true");

    for file in [
        "comparison.csv",
        "comparison.parquet",
        "loss_distributions.png",
        "loss_distributions.svg",
        "cumulative_net_write_offs.png",
        "cumulative_net_write_offs.svg",
        "cumulative_net_write_offs.csv",
        "recovery_curves.png",
        "recovery_curves.svg",
        "recovery_curves.csv",
        "net_credit_loss_by_path.csv",
        "report.html",
        "report.md",
    ] {
        let meta = std::fs::metadata(out.join(file)).unwrap_or_else(|_| panic!("{file} missing"));
        assert!(meta.len() > 100, "{file} is nearly empty");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let mean_a = a["figures"]["net_credit_loss"]["mean"].as_f64().unwrap();
    let mean_b = b["figures"]["net_credit_loss"]["mean"].as_f64().unwrap();
    for page in [&html, &md] {
        assert!(page.contains("Net credit loss"));
        assert!(page.contains(&group_thousands(mean_a, 0)), "reference mean");
        assert!(page.contains(&group_thousands(mean_b, 0)), "later mean");
        assert!(page.contains(&format!("+{}", group_thousands(mean_b - mean_a, 0))));
        assert!(page.contains("paired"));
    }
    assert!(html.contains("data:image/png;base64,"), "charts inlined");
    assert!(!html.contains("<script"));
    assert!(md.contains("](loss_distributions.png)"));
    assert!(md.contains("[comparison.csv](comparison.csv)"));
    // Nothing left beside the comparison folder.
    let leftovers: Vec<_> = std::fs::read_dir(r.tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn runs_on_different_seeds_get_the_independent_error_and_a_note() {
    let r = runs();
    let out = r.tmp.path().join("cmp");
    let o = compare(
        &[&r.with_sale, &r.no_sale_other_seed],
        &["--out", out.to_str().unwrap()],
    );
    let text = output_text(&o);
    assert!(o.status.success(), "{text}");
    assert!(text.contains("did not share random numbers"), "{text}");
    assert!(text.contains("seeds differ"), "{text}");
    let a = summary(&r.with_sale);
    let b = summary(&r.no_sale_other_seed);
    let rows = comparison_rows(&out);
    let later = row(&rows, "net_credit_loss", "no_sale_seed_8");
    assert_eq!(later["paired"], "false");
    let se_a = a["figures"]["net_credit_loss"]["se"].as_f64().unwrap();
    let se_b = b["figures"]["net_credit_loss"]["se"].as_f64().unwrap();
    let se = number(later, "difference_se");
    assert!((se - se_a.hypot(se_b)).abs() <= 1e-9 * se, "{se}");
    for page in ["report.html", "report.md"] {
        let text = std::fs::read_to_string(out.join(page)).unwrap();
        assert!(text.contains("did not share random numbers"), "{page}");
        assert!(text.contains("seeds differ"), "{page}");
    }
}

#[test]
fn a_figure_missing_from_one_run_is_left_out_by_name() {
    let r = runs();
    let edited = r.tmp.path().join("edited");
    std::fs::create_dir(&edited).unwrap();
    for entry in std::fs::read_dir(&r.no_sale).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), edited.join(entry.file_name())).unwrap();
    }
    let mut s = summary(&edited);
    s["figures"].as_object_mut().unwrap().remove("drawn");
    std::fs::write(edited.join("summary.json"), s.to_string()).unwrap();
    let out = r.tmp.path().join("cmp");
    // Refused as it is: the folder differs from what its run wrote.
    let o = compare(&[&r.with_sale, &edited], &["--out", out.to_str().unwrap()]);
    refused(&o, &out, &["summary.json", "--trust-modified"]);
    // Taken when the analyst says the edit was on purpose.
    let o = compare(
        &[&r.with_sale, &edited],
        &["--out", out.to_str().unwrap(), "--trust-modified"],
    );
    let text = output_text(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains("`drawn` is left out: `edited` does not have it"),
        "{text}"
    );
    let rows = comparison_rows(&out);
    assert!(rows.iter().all(|r| r["figure"] != "drawn"));
    assert!(rows.iter().any(|r| r["figure"] == "net_credit_loss"));
}

#[test]
fn importance_weighted_runs_pair_through_their_weights() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = small_scenario(tmp.path(), "tail_risk.toml");
    let text = std::fs::read_to_string(&scenario).unwrap();
    // The same scenario without its debt sale: the section ends at the next blank line.
    let start = text.find("[debt_sale]").expect("tail_risk sells debt");
    let end = start + text[start..].find("\n\n").unwrap();
    let no_sale = tmp.path().join("tail_risk_no_sale.toml");
    std::fs::write(&no_sale, format!("{}{}", &text[..start], &text[end..])).unwrap();
    let (a, b) = (tmp.path().join("tail"), tmp.path().join("tail_no_sale"));
    run(&scenario, &a, &[]);
    run(&no_sale, &b, &[]);
    let ess = summary(&a)["effective_sample_size"].as_f64().unwrap();
    assert!(ess < 40.0, "importance sampling weights the paths: {ess}");

    let out = tmp.path().join("cmp");
    let o = compare(&[&a, &b], &["--out", out.to_str().unwrap()]);
    let text = output_text(&o);
    assert!(o.status.success(), "{text}");
    assert!(text.contains("importance-weighted"), "{text}");
    let rows = comparison_rows(&out);
    let later = row(&rows, "net_credit_loss", "tail_no_sale");
    assert_eq!(later["paired"], "true");
    let (sa, sb) = (summary(&a), summary(&b));
    let se_a = sa["figures"]["net_credit_loss"]["se"].as_f64().unwrap();
    let se_b = sb["figures"]["net_credit_loss"]["se"].as_f64().unwrap();
    let paired = number(later, "difference_se");
    assert!(paired > 0.0 && paired < se_a.hypot(se_b), "{paired}");
    let mean = |s: &Value| s["figures"]["net_credit_loss"]["mean"].as_f64().unwrap();
    let difference = number(later, "difference");
    assert!((difference - (mean(&sb) - mean(&sa))).abs() <= 1e-9 * mean(&sa));
    // The weights travel with the losses.
    let by_path = std::fs::read_to_string(out.join("net_credit_loss_by_path.csv")).unwrap();
    assert!(by_path.lines().skip(1).any(|l| !l.ends_with(",1.0")));
}

/// Checks a refused comparison: exit code 2, the message and hint, and `out` not written.
fn refused(o: &std::process::Output, out: &Path, expected: &[&str]) {
    let text = output_text(o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(text.starts_with("error: "), "{text}");
    assert!(text.contains("\nhint: "), "{text}");
    for e in expected {
        assert!(text.contains(e), "expected {e:?} in:\n{text}");
    }
    assert!(!text.contains("panicked"), "{text}");
    assert!(!out.exists(), "{} was written", out.display());
    let parent = out.parent().unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn bad_input_is_refused_with_exit_code_2_and_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    let a = small_scenario(tmp.path(), "baseline.toml");
    let good = tmp.path().join("good");
    run(&a, &good, &[]);
    let out = tmp.path().join("cmp");
    let out_arg = ["--out", out.to_str().unwrap()];

    // A folder that does not exist.
    let missing = tmp.path().join("nope");
    let o = compare(&[&good, &missing], &out_arg);
    refused(&o, &out, &["nope", "no such folder"]);

    // A file instead of a folder.
    let file = good.join("summary.json");
    let o = compare(&[&file, &good], &out_arg);
    refused(&o, &out, &["summary.json", "it is a file"]);

    // A folder that is not a result.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = compare(&[&good, &empty], &out_arg);
    refused(&o, &out, &["empty", "manifest.json"]);

    // A result folder without its per-path table.
    let partial = tmp.path().join("partial");
    std::fs::create_dir(&partial).unwrap();
    for entry in std::fs::read_dir(&good).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), partial.join(entry.file_name())).unwrap();
    }
    std::fs::remove_file(partial.join("paths.parquet")).unwrap();
    let o = compare(&[&good, &partial], &out_arg);
    refused(&o, &out, &["partial", "`paths.parquet` is missing"]);

    // The top folder of a stress set: compare its scenario folders instead.
    let set = small_scenario(tmp.path(), "stress_set.toml");
    let set_out = tmp.path().join("stress_set");
    let o = arrears(&[
        "run",
        set.to_str().unwrap(),
        "--paths",
        "4",
        "--quiet",
        "--out",
        set_out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", output_text(&o));
    let o = compare(&[&set_out, &good], &out_arg);
    refused(
        &o,
        &out,
        &["stress set", "compare its scenario folders", "adverse"],
    );
    // Its scenario folders compare, sharing random numbers.
    let o = compare(
        &[&set_out.join("baseline"), &set_out.join("adverse")],
        &out_arg,
    );
    let text = output_text(&o);
    assert!(o.status.success(), "{text}");
    assert!(text.contains("shares random numbers"), "{text}");

    // An existing comparison folder is kept without --force.
    let before = std::fs::read(out.join("comparison.csv")).unwrap();
    std::fs::write(out.join("mine.txt"), "keep").unwrap();
    let o = compare(&[&good, &good], &out_arg);
    let text = output_text(&o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(text.contains("exists already"), "{text}");
    assert!(text.contains("hint: pass `--force`"), "{text}");
    assert_eq!(std::fs::read(out.join("comparison.csv")).unwrap(), before);
    assert!(out.join("mine.txt").exists());

    // --force replaces it, but never with a folder being compared.
    let o = compare(
        &[&good, &good],
        &["--out", good.to_str().unwrap(), "--force"],
    );
    let text = output_text(&o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(text.contains("one of the runs compared"), "{text}");
    assert!(good.join("summary.json").exists());
    let o = compare(&[&good, &good], &[out_arg[0], out_arg[1], "--force"]);
    assert!(o.status.success(), "{}", output_text(&o));
    assert!(!out.join("mine.txt").exists());
}
