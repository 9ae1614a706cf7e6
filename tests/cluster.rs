//! Sharded runs on the schedulers `--shard auto` knows, each merged and compared with the
//! one-machine run of the same scenario and seed (`assert_same_result`: byte for byte but the
//! run's own facts).
//!
//! - A real one-node Slurm cluster (`deploy/slurm/local-cluster.sh`: Debian's munge, slurmctld
//!   and slurmd, installed when missing, as root or through sudo) runs the baseline as an array
//!   of 4 shards and the dependent merge, submitted by `deploy/slurm/submit.sh` with the repo's
//!   sbatch files; the cluster is shut down afterwards, on failure too. Where Slurm cannot be
//!   installed or started the test fails and says why; `ARREARS_SKIP_SLURM=1` skips it
//!   knowingly.
//! - The environment of a Kubernetes Indexed Job (`JOB_COMPLETION_INDEX`, `--shards N`), of a
//!   Slurm array that starts at 1 (`--array=1-4`) set by hand, and of an AWS Batch array.
//! - `--shard auto` with no scheduler's variables: exit 2 and what to set.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::shards::{SCHEDULER_VARS, arrears_env, merge, one_machine, part_name, run_shard, text};
use common::{assert_same_result, output_text, small_example};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

const PATHS: &str = "40";

/// Runs shard `index` of 4 of `scenario` with `--shard auto` plus `args` under the scheduler
/// variables `env`; asserts success.
fn run_auto(scenario: &Path, parts: &Path, args: &[&str], env: &[(&str, String)]) {
    let mut all = vec![
        "run",
        text(scenario),
        "--shard",
        "auto",
        "--paths",
        PATHS,
        "--out",
        text(parts),
        "--quiet",
    ];
    all.extend_from_slice(args);
    let out = arrears_env(&all, env);
    assert!(
        out.status.success(),
        "shard with {env:?} failed: {}",
        output_text(&out)
    );
}

/// Runs the small baseline's 4 shards under `env_of(task)` for each task of `tasks`, merges
/// them and compares with the one-machine run.
fn emulate(tasks: &[usize], args: &[&str], env_of: impl Fn(usize) -> Vec<(&'static str, String)>) {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = small_example(tmp.path(), "baseline.toml");
    let parts = tmp.path().join("parts");
    for &task in tasks {
        run_auto(&scenario, &parts, args, &env_of(task));
    }
    let mut names: Vec<String> = std::fs::read_dir(&parts)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        (0..4).map(|i| part_name(i, 4)).collect::<Vec<_>>(),
        "the tasks' parts"
    );
    let merged = tmp.path().join("merged");
    let out = merge(&[&parts], &merged);
    assert!(out.status.success(), "merge failed: {}", output_text(&out));
    let one = tmp.path().join("one");
    one_machine(&scenario, &one, &["--paths", PATHS]);
    assert_same_result(&one, &merged);
}

#[test]
fn a_kubernetes_indexed_job_runs_shards_by_job_completion_index() {
    emulate(&[0, 1, 2, 3], &["--shards", "4"], |task| {
        vec![("JOB_COMPLETION_INDEX", task.to_string())]
    });
}

#[test]
fn a_slurm_array_from_1_to_4_runs_shards_0_to_3() {
    // `sbatch --array=1-4`: task ids 1 to 4, SLURM_ARRAY_TASK_MIN 1; tasks out of order.
    emulate(&[3, 1, 4, 2], &[], |task| {
        vec![
            ("SLURM_ARRAY_JOB_ID", "77".to_string()),
            ("SLURM_ARRAY_TASK_ID", task.to_string()),
            ("SLURM_ARRAY_TASK_MIN", "1".to_string()),
            ("SLURM_ARRAY_TASK_MAX", "4".to_string()),
            ("SLURM_ARRAY_TASK_COUNT", "4".to_string()),
        ]
    });
}

#[test]
fn an_aws_batch_array_runs_shards_by_its_index_and_size() {
    emulate(&[0, 1, 2, 3], &[], |task| {
        vec![
            ("AWS_BATCH_JOB_ARRAY_INDEX", task.to_string()),
            ("AWS_BATCH_JOB_ARRAY_SIZE", "4".to_string()),
        ]
    });
}

#[test]
fn shard_auto_without_a_scheduler_exits_2_and_names_the_variables() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = small_example(tmp.path(), "baseline.toml");
    let parts = tmp.path().join("parts");
    let out = arrears_env(
        &[
            "run",
            text(&scenario),
            "--shard",
            "auto",
            "--out",
            text(&parts),
        ],
        &[],
    );
    let message = output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{message}");
    for var in [
        "SLURM_ARRAY_TASK_ID",
        "JOB_COMPLETION_INDEX",
        "AWS_BATCH_JOB_ARRAY_INDEX",
    ] {
        assert!(message.contains(var), "should name {var}: {message}");
    }
    assert!(!parts.join(part_name(0, 1)).exists(), "{message}");
}

// The real Slurm cluster.

/// Stops the local cluster when dropped, on a failed assertion too, so that no daemon outlives
/// the test.
struct Cluster {
    dir: PathBuf,
    conf: PathBuf,
}

fn local_cluster(command: &str, dir: &Path, port: u16) -> Output {
    Command::new(repo().join("deploy/slurm/local-cluster.sh"))
        .args([command, text(dir)])
        .env("ARREARS_SLURM_PORT", port.to_string())
        .output()
        .expect("deploy/slurm/local-cluster.sh runs")
}

impl Cluster {
    /// Starts the cluster in `dir`, or `None` when Slurm is unavailable and
    /// `ARREARS_SKIP_SLURM` is set.
    fn start(dir: &Path) -> Option<Cluster> {
        let port = free_port_pair();
        let out = local_cluster("start", dir, port);
        if !out.status.success() {
            // Stop whatever half started (munge, slurmctld) before failing or skipping.
            local_cluster("stop", dir, port);
            if std::env::var_os("ARREARS_SKIP_SLURM").is_some() {
                eprintln!(
                    "skipped: no local Slurm cluster and ARREARS_SKIP_SLURM is set:\n{}",
                    output_text(&out)
                );
                return None;
            }
            panic!(
                "this test needs a one-node Slurm cluster: deploy/slurm/local-cluster.sh start \
                 installs Debian's munge, slurmctld, slurmd and slurm-client when missing (as \
                 root or through sudo: `apt-get install munge slurmctld slurmd slurm-client`) \
                 and starts them; it failed:\n{}\nARREARS_SKIP_SLURM=1 skips this test",
                output_text(&out)
            );
        }
        Some(Cluster {
            dir: dir.to_path_buf(),
            conf: dir.join("slurm.conf"),
        })
    }

    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("SLURM_CONF", &self.conf);
        for var in SCHEDULER_VARS {
            cmd.env_remove(var);
        }
        cmd
    }

    /// The state of job `id` (`PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, `CANCELLED`, ...):
    /// of the last array task listed for an array.
    fn job_state(&self, id: &str) -> String {
        let out = self
            .command("scontrol")
            .args(["show", "job", id])
            .output()
            .expect("scontrol runs");
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter_map(|w| w.strip_prefix("JobState="))
            .next_back()
            .unwrap_or("UNKNOWN")
            .to_string()
    }

    /// What the jobs and daemons wrote, for a failure's message.
    fn logs(&self, jobs_dir: &Path) -> String {
        let mut text = String::new();
        for dir in [jobs_dir, &self.dir] {
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "out" || e == "log"))
                .collect();
            files.sort();
            for file in files {
                let body = std::fs::read_to_string(&file).unwrap_or_default();
                let tail: Vec<&str> = body.lines().rev().take(20).collect();
                text += &format!("--- {}\n", file.display());
                for line in tail.iter().rev() {
                    text += line;
                    text.push('\n');
                }
            }
        }
        text
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let out = Command::new(repo().join("deploy/slurm/local-cluster.sh"))
            .args(["stop", text(&self.dir)])
            .output();
        match out {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!("stopping the local Slurm cluster: {}", output_text(&out)),
            Err(e) => eprintln!("stopping the local Slurm cluster: {e}"),
        }
    }
}

/// A port for slurmctld whose next one (slurmd) is free too, from 6817 (Slurm's own) up, so
/// that another cluster on this machine does not stop the test.
fn free_port_pair() -> u16 {
    (6817..6917)
        .step_by(2)
        .find(|&port| {
            std::net::TcpListener::bind(("0.0.0.0", port)).is_ok()
                && std::net::TcpListener::bind(("0.0.0.0", port + 1)).is_ok()
        })
        .expect("a free pair of ports in 6817-6917")
}

/// The job id after `label` in submit.sh's output (`array job 12: ...`).
fn job_id(submitted: &str, label: &str) -> String {
    submitted
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .and_then(|rest| rest.split(':').next())
        .map(|id| id.trim().to_string())
        .unwrap_or_else(|| panic!("no `{label}` in submit.sh's output:\n{submitted}"))
}

#[test]
fn slurm_runs_the_baseline_as_an_array_of_4_shards_and_a_dependent_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(cluster) = Cluster::start(&tmp.path().join("slurm")) else {
        return;
    };
    let jobs = tmp.path().join("jobs");
    std::fs::create_dir(&jobs).unwrap();
    let parts = tmp.path().join("baseline.parts");
    let merged = tmp.path().join("baseline");
    let scenario = repo().join("scenarios/baseline.toml");

    // The jobs run where submit.sh is called (their logs land there) and find the binary by
    // ARREARS, which sbatch passes on with the rest of the environment.
    let submit = cluster
        .command(repo().join("deploy/slurm/submit.sh"))
        .args([
            text(&scenario),
            "4",
            text(&parts),
            text(&merged),
            "--",
            "--paths",
            PATHS,
        ])
        .env("ARREARS", env!("CARGO_BIN_EXE_arrears"))
        .current_dir(&jobs)
        .output()
        .expect("submit.sh runs");
    let submitted = output_text(&submit);
    assert!(submit.status.success(), "submit.sh failed:\n{submitted}");
    let array = job_id(&submitted, "array job ");
    let merge_job = job_id(&submitted, "merge job ");

    let started = Instant::now();
    let timeout = Duration::from_secs(300);
    let state = loop {
        let state = cluster.job_state(&merge_job);
        if !matches!(
            state.as_str(),
            "PENDING" | "RUNNING" | "CONFIGURING" | "COMPLETING" | "UNKNOWN"
        ) {
            break state;
        }
        assert!(
            started.elapsed() < timeout,
            "the merge job {merge_job} was still {state} after {timeout:?}; array {array}: {}\n{}",
            cluster.job_state(&array),
            cluster.logs(&jobs)
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(
        state,
        "COMPLETED",
        "merge job {merge_job} (array {array}: {}):\n{}",
        cluster.job_state(&array),
        cluster.logs(&jobs)
    );
    for task in 0..4 {
        assert!(
            parts.join(part_name(task, 4)).is_dir(),
            "no part {task}:\n{}",
            cluster.logs(&jobs)
        );
    }

    let one = tmp.path().join("one");
    one_machine(&scenario, &one, &["--paths", PATHS]);
    assert_same_result(&one, &merged);
    drop(cluster);
}

/// Shards of uneven size (31 paths in 3: 10, 10 and 11) run out of order and merged from a list
/// of part folders in another order give the one-machine result.
#[test]
fn uneven_shards_named_one_by_one_in_any_order_merge_to_the_one_machine_result() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = small_example(tmp.path(), "baseline.toml");
    let parts = tmp.path().join("parts");
    for index in [2, 0, 1] {
        run_shard(&scenario, index, 3, &parts, &["--paths", "31"]);
    }
    let merged = tmp.path().join("merged");
    let (p0, p1, p2) = (
        parts.join(part_name(0, 3)),
        parts.join(part_name(1, 3)),
        parts.join(part_name(2, 3)),
    );
    let out = merge(&[&p1, &p2, &p0], &merged);
    assert!(out.status.success(), "{}", output_text(&out));
    let one = tmp.path().join("one");
    one_machine(&scenario, &one, &["--paths", "31"]);
    assert_same_result(&one, &merged);
}
