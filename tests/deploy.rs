//! The deployment files of `deploy/` without a cluster: the Kubernetes manifests against the
//! API's schemas (offline, by the `kubernetes-validate` package from PyPI, which bundles the
//! schemas of every Kubernetes version), the facts the schemas cannot check (an Indexed Job
//! whose `completions` equals the `--shards` it passes, one volume and one parts folder for
//! shards and merge), and `deploy/slurm/submit.sh` against a stand-in `sbatch` that records
//! what it was asked. The real Slurm run is `tests/cluster.rs`.
//!
//! Without `kubernetes-validate` the schema test fails and says how to install it (`.ci/test`
//! installs it with pip when missing); `ARREARS_SKIP_KUBERNETES_VALIDATE=1` skips it knowingly.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn manifest(name: &str) -> String {
    std::fs::read_to_string(repo().join("deploy/kubernetes").join(name)).unwrap()
}

const MANIFESTS: [&str; 3] = ["pvc.yaml", "shards-job.yaml", "merge-job.yaml"];

/// The oldest Kubernetes whose Job API has everything the manifests use switched on by default
/// (`backoffLimitPerIndex` and the `FailIndex` action: beta in 1.29), and the validator's
/// newest.
const KUBERNETES_VERSIONS: [&str; 2] = ["1.29.0", "1.37.0"];

fn validator() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ARREARS_KUBERNETES_VALIDATE") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("kubernetes-validate"))
        .find(|p| p.is_file())
}

#[test]
fn kubernetes_manifests_validate_against_the_api_schemas_offline() {
    let Some(validator) = validator() else {
        if std::env::var_os("ARREARS_SKIP_KUBERNETES_VALIDATE").is_some() {
            eprintln!(
                "skipped: no kubernetes-validate and ARREARS_SKIP_KUBERNETES_VALIDATE is set"
            );
            return;
        }
        panic!(
            "this test needs the schema validator `kubernetes-validate`: run `.ci/test` (it installs it \
             with pip when missing) or `python3 -m pip install kubernetes-validate`, or set \
             ARREARS_KUBERNETES_VALIDATE=/path/to/kubernetes-validate; \
             ARREARS_SKIP_KUBERNETES_VALIDATE=1 skips it"
        );
    };
    for version in KUBERNETES_VERSIONS {
        let out = Command::new(&validator)
            .args(["--strict", "--no-warn", "-k", version])
            .args(MANIFESTS)
            .current_dir(repo().join("deploy/kubernetes"))
            .output()
            .expect("kubernetes-validate starts");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "manifests invalid for Kubernetes {version}:\n{text}"
        );
        for name in MANIFESTS {
            assert!(
                text.contains(&format!("{name} passed")),
                "{name} not validated for Kubernetes {version}:\n{text}"
            );
        }
    }

    // The validator must fail on what it is here for: a field of the wrong type, an unknown one.
    let tmp = tempfile::tempdir().unwrap();
    let broken = manifest("shards-job.yaml")
        .replace("parallelism: 8", "parallelism: eight")
        .replace("backoffLimitPerIndex", "backoffLimitPerIndx");
    std::fs::write(tmp.path().join("broken.yaml"), broken).unwrap();
    let out = Command::new(&validator)
        .args(["--strict", "--no-warn", "broken.yaml"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && text.contains("parallelism"),
        "{text}"
    );
}

/// The value of the first line `key: value` (trailing comment dropped).
fn field(text: &str, key: &str) -> String {
    text.lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .map(|v| {
            v.split('#')
                .next()
                .unwrap()
                .trim()
                .trim_matches('"')
                .to_string()
        })
        .unwrap_or_else(|| panic!("no `{key}:` line"))
}

/// The container command's arguments, the `- ` items after `command:`.
fn command(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| l.trim() != "command:")
        .skip(1)
        .map(str::trim)
        .take_while(|l| l.starts_with("- "))
        .map(|l| {
            l[2..]
                .split(" #")
                .next()
                .unwrap()
                .trim()
                .trim_matches('"')
                .to_string()
        })
        .collect()
}

fn after(args: &[String], flag: &str) -> String {
    let i = args
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("no `{flag}` in {args:?}"));
    args[i + 1].clone()
}

#[test]
fn the_indexed_job_passes_its_completions_as_shards_and_the_merge_reads_its_parts() {
    let shards = manifest("shards-job.yaml");
    let merge = manifest("merge-job.yaml");
    let pvc = manifest("pvc.yaml");
    assert_eq!(field(&shards, "completionMode"), "Indexed");
    assert_eq!(field(&shards, "restartPolicy"), "Never");

    let run = command(&shards);
    assert_eq!(run[..2], ["arrears", "run"]);
    assert_eq!(after(&run, "--shard"), "auto");
    assert_eq!(
        after(&run, "--shards"),
        field(&shards, "completions"),
        "--shards must equal completions: Kubernetes does not export the count"
    );
    let merge_args = command(&merge);
    assert_eq!(merge_args[..2], ["arrears", "merge"]);
    assert_eq!(
        merge_args[2],
        after(&run, "--out"),
        "the merge reads the folder the shards write"
    );
    assert_eq!(after(&run, "--threads"), field(&shards, "cpu"));

    let claim = field(&pvc, "name");
    assert_eq!(field(&shards, "claimName"), claim);
    assert_eq!(field(&merge, "claimName"), claim);
    assert!(
        pvc.contains("- ReadWriteMany"),
        "shards on many nodes share the volume"
    );
    assert_eq!(field(&shards, "image"), field(&merge, "image"));
}

/// A stand-in `sbatch` that appends its arguments to `$SBATCH_LOG` and answers with job ids
/// 101, 102, ... as `sbatch --parsable` does.
const FAKE_SBATCH: &str = r#"#!/usr/bin/env bash
echo "$*" >> "$SBATCH_LOG"
n=$(wc -l < "$SBATCH_LOG")
echo "$((100 + n))"
"#;

#[test]
fn submit_sh_submits_the_array_then_the_merge_after_it() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let sbatch = bin.join("sbatch");
    std::fs::write(&sbatch, FAKE_SBATCH).unwrap();
    let made_executable = Command::new("chmod")
        .arg("+x")
        .arg(&sbatch)
        .status()
        .unwrap();
    assert!(made_executable.success());
    let log = tmp.path().join("sbatch.log");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let submit = repo().join("deploy/slurm/submit.sh");
    let scenario = repo().join("scenarios/baseline.toml");
    let run = |args: &[&str]| {
        std::fs::write(&log, "").unwrap();
        let out = Command::new(&submit)
            .args(args)
            .env("PATH", &path)
            .env("SBATCH_LOG", &log)
            .current_dir(tmp.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (
            out.status.code(),
            text,
            std::fs::read_to_string(&log).unwrap(),
        )
    };

    let scenario = scenario.to_str().unwrap();
    let (code, text, calls) = run(&[scenario, "4", "p", "o", "--", "--paths", "40"]);
    assert_eq!(code, Some(0), "{text}");
    let calls: Vec<&str> = calls.lines().collect();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(
        calls[0].starts_with("--parsable --array=0-3 ")
            && calls[0].ends_with(&format!("arrears-array.sbatch {scenario} p --paths 40")),
        "{}",
        calls[0]
    );
    assert!(
        calls[1].contains("--dependency=afterok:101 ")
            && calls[1].ends_with("arrears-merge.sbatch p o"),
        "{}",
        calls[1]
    );
    assert!(
        text.contains("array job 101") && text.contains("merge job 102"),
        "{text}"
    );

    // Without PARTS_DIR: arrears' default, output/<simulation.name>.parts.
    let (code, text, calls) = run(&[scenario, "2"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        calls.contains("--array=0-1 ") && calls.contains(" output/baseline.parts"),
        "{calls}"
    );

    for bad in [
        &[scenario][..],
        &[scenario, "0"],
        &[scenario, "x"],
        &["nowhere.toml", "4"],
    ] {
        let (code, text, calls) = run(bad);
        assert_eq!(code, Some(2), "{bad:?}: {text}");
        assert!(calls.is_empty(), "{bad:?} submitted {calls}");
    }
}

#[test]
fn deploy_shell_scripts_parse() {
    for script in [
        "deploy/slurm/submit.sh",
        "deploy/slurm/local-cluster.sh",
        "deploy/slurm/arrears-array.sbatch",
        "deploy/slurm/arrears-merge.sbatch",
    ] {
        let out = Command::new("bash")
            .arg("-n")
            .arg(repo().join(script))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
