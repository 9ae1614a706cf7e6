//! Running shards and merges as a scheduler would, for `tests/cluster.rs` and
//! `tests/shards.rs`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::output_text;

/// Every variable `--shard auto` reads. Removed from each command here, so that a test run
/// inside a Slurm job, a Kubernetes pod or an AWS Batch job sees only what the test sets.
pub const SCHEDULER_VARS: [&str; 9] = [
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_MAX",
    "SLURM_ARRAY_TASK_COUNT",
    "SLURM_ARRAY_JOB_ID",
    "SLURM_JOB_ID",
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
    "AWS_BATCH_JOB_ARRAY_SIZE",
];

/// The `arrears` binary with `args`, from the repository root, no scheduler variables but
/// `env`.
pub fn command(args: &[&str], env: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_arrears"));
    cmd.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    for var in SCHEDULER_VARS {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cmd
}

pub fn arrears_env(args: &[&str], env: &[(&str, String)]) -> Output {
    command(args, env).output().expect("the binary runs")
}

/// The folder name of shard `index` of `shards`.
pub fn part_name(index: usize, shards: usize) -> String {
    format!("part-{index:05}-of-{shards:05}")
}

pub fn text(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// `arrears run SCENARIO --shard I/N --out PARTS --quiet` plus `extra`; asserts success.
pub fn run_shard(scenario: &Path, index: usize, shards: usize, parts: &Path, extra: &[&str]) {
    let shard = format!("{index}/{shards}");
    let mut args = vec![
        "run",
        text(scenario),
        "--shard",
        &shard,
        "--out",
        text(parts),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let out = arrears_env(&args, &[]);
    assert!(
        out.status.success(),
        "shard {shard} failed: {}",
        output_text(&out)
    );
    assert!(
        parts.join(part_name(index, shards)).is_dir(),
        "shard {shard} wrote no {}",
        part_name(index, shards)
    );
}

/// Every shard of `shards`, one after another.
pub fn run_shards(scenario: &Path, shards: usize, parts: &Path, extra: &[&str]) {
    for index in 0..shards {
        run_shard(scenario, index, shards, parts, extra);
    }
}

/// `arrears merge PARTS... --out OUT --quiet`.
pub fn merge(parts: &[&Path], out: &Path) -> Output {
    let mut args = vec!["merge"];
    args.extend(parts.iter().map(|p| text(p)));
    args.extend(["--out", text(out), "--quiet"]);
    arrears_env(&args, &[])
}

/// `arrears run SCENARIO --out OUT --quiet` plus `extra` on one machine; asserts success.
pub fn one_machine(scenario: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["run", text(scenario), "--out", text(out), "--quiet"];
    args.extend_from_slice(extra);
    let run = arrears_env(&args, &[]);
    assert!(
        run.status.success(),
        "one-machine run failed: {}",
        output_text(&run)
    );
}

/// A merge that must refuse: exit 2, a message holding every one of `needles`, and neither
/// the result folder `out` nor a temporary folder beside it (never a wrong result, never half
/// of one).
pub fn assert_refused(merge: &Output, out: &Path, needles: &[&str]) {
    let message = output_text(merge);
    assert_eq!(
        merge.status.code(),
        Some(2),
        "the merge should refuse with exit 2:\n{message}"
    );
    for needle in needles {
        assert!(
            message.contains(needle),
            "the refusal should say `{needle}`:\n{message}"
        );
    }
    assert!(
        !out.exists(),
        "a refused merge wrote {}:\n{message}",
        out.display()
    );
    let name = out.file_name().unwrap().to_string_lossy().into_owned();
    let leftovers: Vec<PathBuf> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!(".{name}."))
        })
        .collect();
    assert!(
        leftovers.is_empty(),
        "a refused merge left {leftovers:?}:\n{message}"
    );
}
