//! Faults of a sharded run, as a scheduler produces them: a shard killed midway and rerun, a
//! shard run twice, parts of two seeds or of two scenarios in one folder, a truncated part, a
//! part claiming another arrears version, a missing shard. `arrears merge` either gives the
//! one-machine result (`assert_same_result`) or refuses with exit 2, names the part and what
//! differs, and writes nothing: never a wrong result.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::shards::{
    assert_refused, command, merge, one_machine, part_name, run_shard, run_shards, text,
};
use common::{assert_same_result, output_text, small_example};

/// Every file under `dir` whose name is `name`.
fn find_files(dir: &Path, name: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(find_files(&path, name));
        } else if path.file_name().is_some_and(|n| n == name) {
            found.push(path);
        }
    }
    found
}

#[test]
fn a_shard_killed_midway_leaves_no_part_and_its_rerun_merges_to_the_one_machine_result() {
    let tmp = tempfile::tempdir().unwrap();
    // The full baseline book (100,000 loans), so that a shard of 300 paths runs for seconds.
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let parts = tmp.path().join("parts");
    let paths = ["--paths", "600"];
    run_shard(&scenario, 1, 2, &parts, &paths);

    let mut shard = command(
        &[
            "run",
            text(&scenario),
            "--shard",
            "0/2",
            "--out",
            text(&parts),
            "--quiet",
            "--paths",
            "600",
        ],
        &[],
    )
    .spawn()
    .unwrap();
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(700) {
        assert!(
            shard.try_wait().unwrap().is_none(),
            "shard 0/2 of 600 paths ended within {:?}, before it could be killed; raise --paths",
            started.elapsed()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    shard.kill().unwrap(); // SIGKILL: no handler runs, as when a node dies or the OOM killer strikes
    shard.wait().unwrap();
    assert!(
        !parts.join(part_name(0, 2)).exists(),
        "a killed shard left a part"
    );

    let merged = tmp.path().join("merged");
    assert_refused(
        &merge(&[&parts], &merged),
        &merged,
        &["1 of 2 shards is missing: 0"],
    );

    // The scheduler's retry: the same command again.
    run_shard(&scenario, 0, 2, &parts, &paths);
    let out = merge(&[&parts], &merged);
    assert!(out.status.success(), "{}", output_text(&out));
    let one = tmp.path().join("one");
    one_machine(&scenario, &one, &paths);
    assert_same_result(&one, &merged);
}

#[test]
fn a_shard_run_twice_replaces_its_part_and_merges_to_the_one_machine_result() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = small_example(tmp.path(), "baseline.toml");
    let parts = tmp.path().join("parts");
    run_shards(&scenario, 4, &parts, &["--paths", "40"]);
    // Again, on another thread count (another node): the part is replaced, with the same paths.
    run_shard(
        &scenario,
        2,
        4,
        &parts,
        &["--paths", "40", "--threads", "1"],
    );
    let merged = tmp.path().join("merged");
    let out = merge(&[&parts], &merged);
    assert!(out.status.success(), "{}", output_text(&out));
    let one = tmp.path().join("one");
    one_machine(&scenario, &one, &["--paths", "40"]);
    assert_same_result(&one, &merged);
}

#[test]
fn parts_of_two_seeds_are_refused_naming_the_part() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = small_example(tmp.path(), "baseline.toml");
    let parts = tmp.path().join("parts");
    for index in 0..4 {
        let seed = if index < 2 { "7" } else { "8" };
        run_shard(
            &scenario,
            index,
            4,
            &parts,
            &["--paths", "40", "--seed", seed],
        );
    }
    let merged = tmp.path().join("merged");
    assert_refused(
        &merge(&[&parts], &merged),
        &merged,
        &["part-00002-of-00004", "seed is 8, theirs is 7"],
    );
}

#[test]
fn a_truncated_part_is_refused_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = small_example(tmp.path(), "baseline.toml");
    let parts = tmp.path().join("parts");
    run_shards(&scenario, 4, &parts, &["--paths", "40"]);
    let part = parts.join(part_name(1, 4));
    let outcomes = find_files(&part, "outcomes.parquet");
    assert!(
        !outcomes.is_empty(),
        "no outcomes.parquet in {}",
        part.display()
    );
    for file in outcomes {
        let bytes = std::fs::read(&file).unwrap();
        std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    }
    let merged = tmp.path().join("merged");
    assert_refused(
        &merge(&[&parts], &merged),
        &merged,
        &[&part_name(1, 4), "outcomes.parquet"],
    );
}

/// Rewrites a part as another arrears version would have written it: every JSON file's
/// `arrears_version` changed, and the manifest's hashes and sizes made to match again, so the
/// part is intact and only its version differs.
fn claim_another_version(part: &Path, other: &str) {
    let version = format!("\"{}\"", env!("CARGO_PKG_VERSION"));
    let mut edited = Vec::new();
    for entry in std::fs::read_dir(part).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let json = std::fs::read_to_string(&path).unwrap();
        let key = format!("\"arrears_version\": {version}");
        if json.contains(&key) {
            let json = json.replace(&key, &format!("\"arrears_version\": \"{other}\""));
            std::fs::write(&path, json).unwrap();
            edited.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    assert!(
        !edited.is_empty(),
        "no JSON file of {} names its arrears version",
        part.display()
    );
    let manifest_path = part.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    for entry in manifest["files"].as_array_mut().unwrap() {
        let name = entry["path"].as_str().unwrap().to_string();
        if edited.contains(&name) {
            let bytes = std::fs::read(part.join(&name)).unwrap();
            entry["sha256"] = arrears::scenario::sha256_hex(&bytes).into();
            entry["bytes"] = bytes.len().into();
        }
    }
    std::fs::write(
        &manifest_path,
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();
}

#[test]
fn a_part_of_another_arrears_version_is_refused_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = small_example(tmp.path(), "baseline.toml");
    let parts = tmp.path().join("parts");
    run_shards(&scenario, 4, &parts, &["--paths", "40"]);
    claim_another_version(&parts.join(part_name(3, 4)), "0.0.1");
    let merged = tmp.path().join("merged");
    assert_refused(
        &merge(&[&parts], &merged),
        &merged,
        &[&part_name(3, 4), "0.0.1"],
    );
}

#[test]
fn missing_shards_are_refused_listing_their_indices() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = small_example(tmp.path(), "baseline.toml");
    let parts = tmp.path().join("parts");
    for index in [0, 2, 4] {
        run_shard(&scenario, index, 5, &parts, &["--paths", "40"]);
    }
    let merged = tmp.path().join("merged");
    assert_refused(
        &merge(&[&parts], &merged),
        &merged,
        &["2 of 5 shards are missing: 1, 3"],
    );
}

#[test]
fn a_stray_part_of_another_scenario_is_refused_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let baseline = small_example(tmp.path(), "baseline.toml");
    let stress = small_example(tmp.path(), "stress.toml");
    let parts = tmp.path().join("parts");
    let stray = tmp.path().join("stray");
    for index in [0, 1, 3] {
        run_shard(&baseline, index, 4, &parts, &["--paths", "40"]);
    }
    run_shard(&stress, 2, 4, &stray, &["--paths", "40"]);
    std::fs::rename(stray.join(part_name(2, 4)), parts.join(part_name(2, 4))).unwrap();
    let merged = tmp.path().join("merged");
    assert_refused(
        &merge(&[&parts], &merged),
        &merged,
        &[&part_name(2, 4), "scenario is `stress`"],
    );
}
