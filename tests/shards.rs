//! Sharded runs: `arrears run --shard I/N` parts merged by `arrears merge` give the result of a
//! run on one machine, byte for byte but for the run's own facts, in every mode (loan and count
//! mode, a stress set, the disposition study, importance sampling, a loan tape, a posterior
//! run); the merged folder verifies and recomputes; importance weights are normalised over the
//! whole run, not shard by shard; and the shard numbers and refusals say what they should.

mod common;

use std::path::Path;

use arrears::results::Trust;
use arrears::results::recompute::recompute;
use common::{arrears, assert_same_result, output_text};

const PATHS: &str = "24";

fn ok(args: &[&str]) -> String {
    let o = arrears(args);
    assert!(o.status.success(), "{args:?}: {}", output_text(&o));
    output_text(&o)
}

fn refused(args: &[&str]) -> String {
    let o = arrears(args);
    let text = output_text(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {text}");
    text
}

/// Runs `scenario` on one machine and in `shards` shards, merges them, and compares.
fn one_machine_equals_merged(scenario: &Path, dir: &Path, shards: u64, extra: &[&str]) {
    let s = scenario.to_str().unwrap();
    let one = dir.join("one");
    let parts = dir.join("parts");
    let merged = dir.join("merged");
    let mut args = vec![
        "run",
        s,
        "--paths",
        PATHS,
        "-q",
        "--out",
        one.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    ok(&args);
    // Shards in reverse order, with different thread counts: neither matters.
    for i in (0..shards).rev() {
        let shard = format!("{i}/{shards}");
        let threads = (1 + i % 2).to_string();
        let mut args = vec![
            "run",
            s,
            "--paths",
            PATHS,
            "-q",
            "--shard",
            &shard,
            "--threads",
            &threads,
            "--out",
            parts.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        ok(&args);
    }
    ok(&[
        "merge",
        parts.to_str().unwrap(),
        "-q",
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert_same_result(&one, &merged);
    // The merged folder is a verified result: it recomputes to the bit, and reports rebuild.
    for (file, text) in recompute(&merged, Trust::Verified).expect("the merged folder verifies") {
        assert_eq!(
            std::fs::read_to_string(merged.join(&file)).unwrap(),
            text,
            "{file}"
        );
    }
    ok(&["report", merged.to_str().unwrap(), "-q"]);
    let summary = std::fs::read_to_string(merged.join("summary.json")).unwrap();
    assert!(
        summary.contains(&format!("\"shards\": {shards},")),
        "{summary}"
    );
}

#[test]
fn every_mode_merges_to_the_bytes_of_one_machine() {
    let tmp = tempfile::tempdir().unwrap();
    // Loan mode, count mode, a stress set, the disposition study with its own pass,
    // importance sampling, a loan tape; shards of unequal sizes (24 paths in 5 and 7).
    for (example, shards) in [
        ("baseline.toml", 3),
        ("count_mode.toml", 5),
        ("stress_set.toml", 3),
        ("disposition.toml", 2),
        ("tail_risk.toml", 7),
        ("tape.toml", 4),
    ] {
        let scenario = common::small_example(tmp.path(), example);
        let dir = tmp.path().join(example.trim_end_matches(".toml"));
        one_machine_equals_merged(&scenario, &dir, shards, &[]);
    }
}

#[test]
fn a_posterior_run_merges_to_the_bytes_of_one_machine() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cal = tmp.path().join("cal");
    ok(&[
        "calibrate",
        root.join("scenarios/calibration/calibrate.toml")
            .to_str()
            .unwrap(),
        "--out",
        cal.to_str().unwrap(),
        "--quiet",
    ]);
    one_machine_equals_merged(
        &cal.join("scenario.toml"),
        &tmp.path().join("posterior"),
        3,
        &["--posterior", "--seed", "11"],
    );
}

/// Likelihood ratios are normalised over every path of the run: a shard whose paths all have
/// tiny weights must not have them raised to 1 on its own.
#[test]
fn importance_weights_are_normalised_over_the_whole_run() {
    use arrears::engine::PathOutcome;
    use arrears::results::part::{Passes, combine};
    let s = common::scenario(&common::chain_scenario(common::CHAIN_ROWS, 1, 4, 2, ""));
    let book = arrears::book::load(&s).unwrap();
    let layout = arrears::engine::run(&s.simulation, &s.model, &book, Some(1), &|_| {})
        .unwrap()
        .layout;
    let part = |log_weights: &[f64]| -> Passes {
        let paths = log_weights
            .iter()
            .map(|&lw| {
                let mut p = PathOutcome::new(layout);
                p.log_weight = lw;
                p.weight = lw.exp();
                p
            })
            .collect();
        vec![("main".to_string(), paths)]
    };
    let output = combine(
        &s.model,
        layout,
        1,
        [part(&[-2000.0, -2000.0]), part(&[-5000.0, -5000.0])],
    );
    let w: Vec<f64> = output.paths.iter().map(|p| p.weight).collect();
    assert_eq!(w, [1.0, 1.0, 0.0, 0.0]);
    // Within a double's range the ratios are kept as the paths produced them.
    let output = combine(&s.model, layout, 1, [part(&[-1.0]), part(&[2.0])]);
    let w: Vec<f64> = output.paths.iter().map(|p| p.weight).collect();
    assert_eq!(w, [(-1.0_f64).exp(), 2.0_f64.exp()]);
}

/// The engine's paths are the same in any range: shards concatenated equal the whole run.
#[test]
fn a_shard_simulates_exactly_its_paths() {
    let text = common::chain_scenario(common::CHAIN_ROWS, 30, 10, 12, "");
    let s = common::scenario(&text);
    let book = arrears::book::load(&s).unwrap();
    let whole = arrears::engine::run(&s.simulation, &s.model, &book, Some(2), &|_| {}).unwrap();
    let mut joined = Vec::new();
    for i in 0..3 {
        let range = arrears::results::part::path_range(i, 3, 10);
        let shard = arrears::engine::run_paths(
            &s.simulation,
            &s.model,
            &book,
            range.clone(),
            Some(1),
            &|_| {},
        )
        .unwrap();
        assert_eq!(shard.paths.len() as u64, range.end - range.start);
        joined.extend(shard.paths);
    }
    let totals = |p: &[arrears::engine::PathOutcome]| -> Vec<Vec<u64>> {
        p.iter()
            .map(|o| o.timeline.iter().map(|x| x.to_bits()).collect())
            .collect()
    };
    assert_eq!(totals(&whole.paths), totals(&joined));
}

#[test]
fn shards_and_parts_are_named_and_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = common::small_example(tmp.path(), "baseline.toml");
    let s = scenario.to_str().unwrap();
    let parts = tmp.path().join("parts");
    let p = parts.to_str().unwrap();
    let text = ok(&[
        "run", s, "--paths", "10", "--shard", "1/4", "--out", p, "-q",
    ]);
    assert!(text.contains("part 1 of 4 (paths 2 to 4 of 10)"), "{text}");
    assert!(parts.join("part-00001-of-00004/part.json").is_file());
    // A part is not a result: `report` says to merge it.
    let text = refused(&[
        "report",
        parts.join("part-00001-of-00004").to_str().unwrap(),
    ]);
    assert!(text.contains("arrears merge"), "{text}");
    // Shards 0, 2 and 3 are missing; the hint gives the command for one.
    let out = tmp.path().join("merged");
    let text = refused(&["merge", p, "--out", out.to_str().unwrap()]);
    assert!(text.contains("3 of 4 shards are missing: 0, 2-3"), "{text}");
    assert!(text.contains("--shard 0/4"), "{text}");
    assert!(!out.exists());
    // Bad shard specifications.
    for (shard, says) in [
        ("4/4", "does not exist"),
        ("1-4", "not of the form I/N"),
        ("0/11", "some shards would have no path"),
        ("auto", "found no scheduler"),
    ] {
        let text = refused(&["run", s, "--paths", "10", "--shard", shard, "--out", p]);
        assert!(text.contains(says), "{shard}: {text}");
    }
    // A folder with no parts.
    let text = refused(&["merge", tmp.path().to_str().unwrap()]);
    assert!(text.contains("no parts of a sharded run"), "{text}");
}
