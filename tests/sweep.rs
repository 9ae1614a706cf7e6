//! `arrears sweep`: each point is the run `--set` would give (same bytes of outcomes), points
//! share random numbers (so a price changes proceeds exactly in proportion), paired
//! differences are the per-path differences' mean and standard error, the sweep is the same
//! for any thread count, and bad sweeps are refused before anything is simulated.

mod common;

use std::path::Path;

use common::{arrears, csv_rows, output_text, small_example};

fn sweep(args: &[&str], out: &Path) -> std::process::Output {
    let mut all = vec!["sweep"];
    all.extend_from_slice(args);
    all.extend(["--out", out.to_str().unwrap(), "--quiet"]);
    arrears(&all)
}

/// Every file below `dir` and its bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    common::files_below(dir)
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(dir.join(&f)).unwrap();
            (f, bytes)
        })
        .collect()
}

fn number(row: &std::collections::BTreeMap<String, String>, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column} = {:?}", row[column]))
}

#[test]
fn points_are_the_runs_set_gives_on_common_random_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small_example(dir.path(), "baseline.toml");
    let s = scenario.to_str().unwrap();
    let out = dir.path().join("sweep");
    let o = sweep(
        &[
            s,
            "--vary",
            "debt_sale.price=0.02..0.06/0.02",
            "--paths",
            "8",
            "--reference",
            "1",
        ],
        &out,
    );
    assert!(o.status.success(), "{}", output_text(&o));
    let v = arrears(&["verify", out.to_str().unwrap()]);
    assert!(v.status.success(), "{}", output_text(&v));

    // Point 2 is the run with `--set debt_sale.price=0.06`, byte for byte in its outcomes.
    let single = dir.path().join("single");
    let r = arrears(&[
        "run",
        s,
        "--set",
        "debt_sale.price=0.06",
        "--paths",
        "8",
        "--quiet",
        "--out",
        single.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", output_text(&r));
    for file in ["outcomes.parquet", "paths.csv", "write_offs.csv"] {
        assert_eq!(
            std::fs::read(out.join("points/point-0002").join(file)).unwrap(),
            std::fs::read(single.join(file)).unwrap(),
            "{file}"
        );
    }

    // Common random numbers: the same claims are sold at every price, so on every path the
    // proceeds are the price times the same face.
    let paths: Vec<_> = (0..3)
        .map(|i| csv_rows(&out.join(format!("points/point-{i:04}/paths.csv"))))
        .collect();
    for (k, price) in [0.02, 0.04, 0.06].iter().enumerate() {
        for (row, base) in paths[k].iter().zip(&paths[0]) {
            let face = number(base, "sold_face");
            assert!(face > 0.0);
            assert_eq!(number(row, "sold_face"), face);
            let proceeds = number(row, "sale_proceeds");
            assert!(
                (proceeds - price * face).abs() <= 1e-6 * face,
                "{proceeds} vs {price} x {face}"
            );
        }
    }

    // The long table: a row per point and figure, the key as a typed column.
    let table = csv_rows(&out.join("sweep.csv"));
    let row = |point: &str, figure: &str| {
        table
            .iter()
            .find(|r| r["sweep_point"] == point && r["figure"] == figure)
            .unwrap()
            .clone()
    };
    assert_eq!(row("2", "net_credit_loss")["debt_sale.price"], "0.06");
    let mean = |k: usize, figure: &str| {
        paths[k].iter().map(|r| number(r, figure)).sum::<f64>() / paths[k].len() as f64
    };
    assert!(
        (number(&row("2", "net_credit_loss"), "mean") - mean(2, "net_credit_loss")).abs() < 1e-3
    );
    assert!(!row("2", "net_credit_loss")["var_99"].is_empty());
    assert!(row("2", "recoveries")["var_99"].is_empty());

    // Paired differences: point 2 against the reference (point 1), from the per-path
    // differences, as a hand computation gives them.
    let d: Vec<f64> = paths[2]
        .iter()
        .zip(&paths[1])
        .map(|(b, a)| number(b, "net_credit_loss") - number(a, "net_credit_loss"))
        .collect();
    let n = d.len() as f64;
    let dm = d.iter().sum::<f64>() / n;
    let se = (d.iter().map(|x| (x - dm).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt();
    let diffs = csv_rows(&out.join("sweep_differences.csv"));
    let pick = |point: &str, against: &str| {
        diffs
            .iter()
            .find(|r| {
                r["sweep_point"] == point
                    && r["against"] == against
                    && r["figure"] == "net_credit_loss"
            })
            .unwrap()
            .clone()
    };
    let vs_reference = pick("2", "reference");
    assert_eq!(vs_reference["other_point"], "1");
    assert!((number(&vs_reference, "difference") - dm).abs() < 1e-6 * dm.abs().max(1.0));
    assert!((number(&vs_reference, "difference_se") - se).abs() < 1e-6 * se.max(1.0));
    // Paired, the difference's error is far below either point's own.
    let own_se = number(&row("2", "net_credit_loss"), "se");
    assert!(se < own_se / 3.0, "paired {se} vs own {own_se}");
    assert_eq!(pick("2", "previous")["other_point"], "1");
    assert!(
        !diffs
            .iter()
            .any(|r| r["sweep_point"] == "1" && r["against"] == "reference")
    );

    // The report and the charts are there.
    for file in [
        "report.html",
        "sweep_net_credit_loss.png",
        "sweep_net_credit_loss.svg",
        "sweep.parquet",
    ] {
        assert!(out.join(file).is_file(), "{file}");
    }
    // A point is a run's folder: compare takes two of them.
    let cmp = dir.path().join("cmp");
    let c = arrears(&[
        "compare",
        out.join("points/point-0000").to_str().unwrap(),
        out.join("points/point-0002").to_str().unwrap(),
        "--out",
        cmp.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(c.status.success(), "{}", output_text(&c));
}

#[test]
fn a_grid_from_the_scenario_file_is_the_same_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small_example(dir.path(), "sweep_sale_price.toml");
    let s = scenario.to_str().unwrap();
    let run = |threads: &str, name: &str| {
        let out = dir.path().join(name);
        let o = sweep(
            &[
                s,
                "--paths",
                "4",
                "--threads",
                threads,
                "--set",
                "simulation.horizon_months=12",
            ],
            &out,
        );
        assert!(o.status.success(), "{}", output_text(&o));
        out
    };
    let (one, two) = (run("1", "one"), run("2", "two"));
    for file in [
        "sweep.csv",
        "sweep.parquet",
        "sweep_differences.parquet",
        "points/point-0019/outcomes.parquet",
        "sweep_heatmap_recovery_rate_discounted.png",
    ] {
        assert_eq!(
            std::fs::read(one.join(file)).unwrap(),
            std::fs::read(two.join(file)).unwrap(),
            "{file}"
        );
    }
    // 5 prices x 4 ages, row-major: the first key changes slowest.
    let table = csv_rows(&one.join("sweep.csv"));
    let point = |p: &str| {
        table
            .iter()
            .find(|r| r["sweep_point"] == p)
            .map(|r| (r["debt_sale.price"].clone(), r["debt_sale.months"].clone()))
            .unwrap()
    };
    assert_eq!(point("0"), ("0.02".into(), "0".into()));
    assert_eq!(point("1"), ("0.02".into(), "6".into()));
    assert_eq!(point("19"), ("0.1".into(), "24".into()));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(one.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(json["reference"], 10);
    assert_eq!(json["points"].as_array().unwrap().len(), 20);

    // `arrears report` redraws the sweep's charts and report from its files: the same bytes.
    let before = snapshot(&one);
    let r = arrears(&["report", one.to_str().unwrap(), "--quiet"]);
    assert!(r.status.success(), "{}", output_text(&r));
    assert!(before == snapshot(&one), "the rebuilt sweep differs");

    // Tampering with a point is found from the top.
    let paths_csv = one.join("points/point-0003/paths.csv");
    let mut text = std::fs::read_to_string(&paths_csv).unwrap();
    text.push('\n');
    std::fs::write(&paths_csv, text).unwrap();
    let v = arrears(&["verify", one.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(2), "{}", output_text(&v));
    assert!(
        output_text(&v).contains("point-0003/paths.csv"),
        "{}",
        output_text(&v)
    );
    // Nor is its report rebuilt, even when asked to trust modified files.
    for extra in [None, Some("--trust-modified")] {
        let mut args = vec!["report", one.to_str().unwrap()];
        args.extend(extra);
        let r = arrears(&args);
        assert_eq!(r.status.code(), Some(2), "{}", output_text(&r));
    }
}

#[test]
fn bad_sweeps_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small_example(dir.path(), "baseline.toml");
    let s = scenario.to_str().unwrap();
    let out = dir.path().join("never");
    for (args, needle) in [
        (vec![s], "has no `[sweep]` and no `--vary`"),
        (vec![s, "--vary", "debt_sale.price"], "not KEY=VALUES"),
        (
            vec![s, "--vary", "debt_sale.price=0.1..0.0/0.01"],
            "before it starts",
        ),
        (
            vec![s, "--vary", "debt_sael.price=1,2"],
            "there is no `debt_sael`",
        ),
        (
            vec![s, "--vary", "debt_sale.price=0.02,-1"],
            "(set by `sweep debt_sale.price=-1`)",
        ),
        (
            vec![
                s,
                "--vary",
                "debt_sale.price=1,2",
                "--vary",
                "charge_off.dpd=120",
                "--zip",
            ],
            "one length",
        ),
        (
            vec![s, "--vary", "debt_sale.price=1,2", "--reference", "5"],
            "numbered 0 to 1",
        ),
        (
            vec![s, "--vary", "debt_sale.price=1,2", "--figure", "net_loss"],
            "`net_loss` is not a figure",
        ),
        (
            vec![
                s,
                "--vary",
                "debt_sale.price=0.1",
                "--vary",
                "debt_sale.price=0.2",
            ],
            "varied twice",
        ),
        (
            vec![s, "--vary", "actions.calls.cure_multiplier=1.0,1.5"],
            "(at sweep point 1 (actions.calls.cure_multiplier = 1.5))",
        ),
        (
            vec![
                "scenarios/stress_set.toml",
                "--vary",
                "simulation.paths=10,20",
            ],
            "a sweep runs plain scenarios",
        ),
    ] {
        let o = sweep(&args, &out);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", output_text(&o));
        assert!(
            output_text(&o).contains(needle),
            "{args:?}: expected {needle:?} in {}",
            output_text(&o)
        );
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
    // An existing folder is not replaced without --force.
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("mine.txt"), "keep").unwrap();
    let o = sweep(
        &[
            s,
            "--vary",
            "debt_sale.price=0.02",
            "--paths",
            "2",
            "--force",
        ],
        &out,
    );
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
    assert_eq!(
        std::fs::read_to_string(out.join("mine.txt")).unwrap(),
        "keep"
    );
}

#[test]
fn solve_finds_the_break_even_price_of_a_linear_figure_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small_example(dir.path(), "baseline.toml");
    let s = scenario.to_str().unwrap();
    // The face sold does not depend on the price (common random numbers), so the proceeds are
    // the price times it: the price that brings proceeds V is V / face.
    let probe = dir.path().join("probe");
    let r = arrears(&[
        "run",
        s,
        "--paths",
        "6",
        "--quiet",
        "--out",
        probe.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", output_text(&r));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(probe.join("summary.json")).unwrap())
            .unwrap();
    let face = summary["figures"]["sold_face"]["mean"]
        .as_f64()
        .unwrap_or_else(|| panic!("{}", summary["figures"]["sold_face"]));
    assert!(face > 0.0);
    let target = 0.0731 * face;
    let out = dir.path().join("solve");
    let o = arrears(&[
        "solve",
        s,
        "--vary",
        "debt_sale.price=0.01..0.20",
        "--target",
        &format!("sale_proceeds={target}"),
        "--paths",
        "6",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", output_text(&o));
    let roots = csv_rows(&out.join("solve_roots.csv"));
    assert_eq!(roots.len(), 1);
    let root = number(&roots[0], "root");
    assert!((root - 0.0731).abs() < 1e-9, "{root}");
    assert!(number(&roots[0], "ci_low") < root && root < number(&roots[0], "ci_high"));
    assert_eq!(roots[0]["status"], "solved");
    assert_eq!(roots[0]["point"], "");
    let v = arrears(&["verify", out.to_str().unwrap()]);
    assert!(v.status.success(), "{}", output_text(&v));
    assert!(out.join("solve.png").is_file() && out.join("report.html").is_file());
    // `arrears report` redraws the chart and the report from the files: the same bytes.
    let before = snapshot(&out);
    let r = arrears(&["report", out.to_str().unwrap(), "--quiet"]);
    assert!(r.status.success(), "{}", output_text(&r));
    assert!(before == snapshot(&out), "the rebuilt solve differs");

    // A target outside the range, and bad arguments: exit 2, nothing written.
    let never = dir.path().join("never");
    for (vary, target, needle) in [
        (
            "debt_sale.price=0.01..0.02",
            format!("sale_proceeds={target}"),
            "does not reach",
        ),
        (
            "debt_sale.price=0.2..0.1",
            "sale_proceeds=1".into(),
            "low end must be below",
        ),
        (
            "debt_sale.price",
            "sale_proceeds=1".into(),
            "not KEY=LOW..HIGH",
        ),
        (
            "debt_sale.price=0.01..0.2",
            "proceeds=1".into(),
            "`proceeds` is not a figure",
        ),
        (
            "debt_sale.price=0.01..0.2",
            "sale_proceeds=lots".into(),
            "is not a number",
        ),
        (
            "debt_sael.price=0.01..0.2",
            "sale_proceeds=1".into(),
            "there is no `debt_sael`",
        ),
        (
            "actions.calls.cure_multiplier=1.0..1.5",
            "sale_proceeds=1".into(),
            "(at actions.calls.cure_multiplier = 1.5)",
        ),
    ] {
        let o = arrears(&[
            "solve",
            s,
            "--vary",
            vary,
            "--target",
            &target,
            "--paths",
            "2",
            "--out",
            never.to_str().unwrap(),
        ]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{vary} {target}: {}",
            output_text(&o)
        );
        assert!(
            output_text(&o).contains(needle),
            "{needle}: {}",
            output_text(&o)
        );
        assert!(!never.exists());
    }
}

#[test]
fn a_sharded_sweep_merges_into_the_sweep_one_machine_writes() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small_example(dir.path(), "baseline.toml");
    let s = scenario.to_str().unwrap();
    let vary = [
        "--vary",
        "debt_sale.price=0.02..0.06/0.02",
        "--vary",
        "charge_off.dpd=150,180",
        "--paths",
        "6",
    ];
    let one = dir.path().join("one");
    let mut args = vec![s];
    args.extend(vary);
    let o = sweep(&args, &one);
    assert!(o.status.success(), "{}", output_text(&o));

    // Three shards of six points, on one thread each, the last run first.
    let parts = dir.path().join("parts");
    for shard in ["2/3", "0/3", "1/3"] {
        let mut args = vec![s];
        args.extend(vary);
        args.extend(["--shard", shard, "--threads", "1"]);
        let o = sweep(&args, &parts);
        assert!(o.status.success(), "{shard}: {}", output_text(&o));
    }
    // A part is not a sweep: merging two of three says which is missing.
    let merged = dir.path().join("merged");
    let some = arrears(&[
        "merge",
        parts.join("part-00000-of-00003").to_str().unwrap(),
        parts.join("part-00002-of-00003").to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert_eq!(some.status.code(), Some(2), "{}", output_text(&some));
    assert!(
        output_text(&some).contains("shard 1 is missing"),
        "{}",
        output_text(&some)
    );
    assert!(!merged.exists());

    let m = arrears(&[
        "merge",
        parts.to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(m.status.success(), "{}", output_text(&m));
    let v = arrears(&["verify", merged.to_str().unwrap()]);
    assert!(v.status.success(), "{}", output_text(&v));
    common::assert_same_result(&one, &merged);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(merged.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(json["run"]["shards"], 3);

    // A part that was changed is refused.
    let table = parts.join("part-00001-of-00003/points/point-0002/paths.csv");
    let mut text = std::fs::read_to_string(&table).unwrap();
    text.push('\n');
    std::fs::write(&table, text).unwrap();
    let again = dir.path().join("again");
    let m = arrears(&[
        "merge",
        parts.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert_eq!(m.status.code(), Some(2), "{}", output_text(&m));
    assert!(output_text(&m).contains("paths.csv"), "{}", output_text(&m));
    assert!(!again.exists());
}
