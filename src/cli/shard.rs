//! Which shard this process is: `--shard I/N`, or `--shard auto` from a batch scheduler's
//! environment (Slurm arrays, Kubernetes Indexed Jobs, AWS Batch arrays).

use super::CliError;

/// At most this many shards (`part-00000-of-99999` folder names sort in shard order).
pub const MAX_SHARDS: u64 = 99_999;

/// This process's shard: `(I, N)`, `I` from 0.
pub type Shard = (u64, u64);

/// The shard `--shard` and `--shards` name for work of `paths` units (a run's paths, a sweep's
/// points: `unit` names them), reading the scheduler's variables through `env` for
/// `--shard auto`; `None` without `--shard`.
pub fn resolve(
    shard: Option<&str>,
    shards: Option<u64>,
    paths: u64,
    unit: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Shard>, CliError> {
    let (index, count) = match shard {
        None => {
            return match shards {
                None => Ok(None),
                Some(_) => Err(CliError::usage(
                    "`--shards` goes with `--shard auto` (Kubernetes does not tell a pod how many completions its Job has)".into(),
                    "e.g. `arrears run SCENARIO --shard auto --shards 8` in an Indexed Job of 8 completions",
                )),
            };
        }
        Some("auto") => from_env(env, shards)?,
        Some(text) => {
            let fixed = fixed(text)?;
            if let Some(n) = shards
                && n != fixed.1
            {
                return Err(CliError::usage(
                    format!(
                        "`--shard {text}` says {} shards, `--shards` says {n}",
                        fixed.1
                    ),
                    "give one of them",
                ));
            }
            fixed
        }
    };
    if count > MAX_SHARDS {
        return Err(CliError::usage(
            format!("{count} shards, more than the {MAX_SHARDS} arrears merges"),
            "use fewer, larger shards: a shard of a few hundred paths already keeps a node busy",
        ));
    }
    if count > paths {
        return Err(CliError::usage(
            format!("{count} shards of {paths} {unit}s: some shards would have no {unit}"),
            &format!("use at most as many shards as {unit}s"),
        ));
    }
    Ok(Some((index, count)))
}

/// `I/N` with `0 <= I < N`.
fn fixed(text: &str) -> Result<Shard, CliError> {
    let hint = "`--shard I/N` runs shard I (from 0) of N, e.g. `--shard 3/8`; `--shard auto` takes them from Slurm, Kubernetes or AWS Batch";
    let (i, n) = text
        .split_once('/')
        .ok_or_else(|| CliError::usage(format!("`--shard {text}` is not of the form I/N"), hint))?;
    let number = |s: &str| s.trim().parse::<u64>().ok();
    match (number(i), number(n)) {
        (Some(i), Some(n)) if n >= 1 && i < n => Ok((i, n)),
        (Some(i), Some(n)) => Err(CliError::usage(
            format!(
                "`--shard {text}`: shard {i} of {n} does not exist (shards are numbered 0 to N-1)"
            ),
            hint,
        )),
        _ => Err(CliError::usage(
            format!("`--shard {text}` is not of the form I/N with whole numbers"),
            hint,
        )),
    }
}

/// The shard from a scheduler's variables: exactly one scheduler's must be set.
fn from_env(env: &dyn Fn(&str) -> Option<String>, shards: Option<u64>) -> Result<Shard, CliError> {
    let slurm = env("SLURM_ARRAY_TASK_ID").is_some();
    let kubernetes = env("JOB_COMPLETION_INDEX").is_some();
    let aws = env("AWS_BATCH_JOB_ARRAY_INDEX").is_some();
    let set = [
        (slurm, "Slurm (SLURM_ARRAY_TASK_ID)"),
        (kubernetes, "Kubernetes (JOB_COMPLETION_INDEX)"),
        (aws, "AWS Batch (AWS_BATCH_JOB_ARRAY_INDEX)"),
    ];
    let named: Vec<&str> = set.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect();
    if named.len() > 1 {
        return Err(CliError::usage(
            format!(
                "`--shard auto` found the variables of more than one scheduler: {}",
                named.join(", ")
            ),
            "give the shard yourself with `--shard I/N`",
        ));
    }
    let var = |name: &str| -> Result<u64, CliError> {
        let value = env(name).ok_or_else(|| {
            CliError::usage(
                format!("`--shard auto`: `{name}` is not set"),
                "run inside the scheduler's array job, or give `--shard I/N`",
            )
        })?;
        value.trim().parse().map_err(|_| {
            CliError::usage(
                format!("`--shard auto`: `{name}` is `{value}`, not a whole number"),
                "give `--shard I/N` instead",
            )
        })
    };
    let optional = |name: &str, default: u64| -> Result<u64, CliError> {
        if env(name).is_some() {
            var(name)
        } else {
            Ok(default)
        }
    };
    let check_count = |n: u64, from: &str| -> Result<(), CliError> {
        match shards {
            Some(s) if s != n => Err(CliError::usage(
                format!("`--shards {s}` but {from} says {n}"),
                "leave `--shards` out under Slurm and AWS Batch",
            )),
            _ => Ok(()),
        }
    };
    let (index, count) = if slurm {
        let id = var("SLURM_ARRAY_TASK_ID")?;
        let count = var("SLURM_ARRAY_TASK_COUNT")?;
        let min = optional("SLURM_ARRAY_TASK_MIN", 0)?;
        let step = optional("SLURM_ARRAY_TASK_STEP", 1)?.max(1);
        let max = optional("SLURM_ARRAY_TASK_MAX", min + count.saturating_sub(1) * step)?;
        if id < min || (id - min) % step != 0 || max != min + count.saturating_sub(1) * step {
            return Err(CliError::usage(
                format!(
                    "`--shard auto`: the Slurm array ({count} tasks, {min} to {max} step {step}, this one {id}) is not an evenly spaced range, so its task ids do not number the shards"
                ),
                "submit with `--array=0-N` (e.g. `--array=0-7` for 8 shards; `%` limits are fine)",
            ));
        }
        check_count(count, "SLURM_ARRAY_TASK_COUNT")?;
        ((id - min) / step, count)
    } else if kubernetes {
        let index = var("JOB_COMPLETION_INDEX")?;
        let count = shards.ok_or_else(|| {
            CliError::usage(
                "`--shard auto` in a Kubernetes Indexed Job needs `--shards N`: Kubernetes does not tell a pod how many completions its Job has".into(),
                "add `--shards N` with N the Job's `completions`",
            )
        })?;
        (index, count)
    } else if aws {
        let index = var("AWS_BATCH_JOB_ARRAY_INDEX")?;
        let count = var("AWS_BATCH_JOB_ARRAY_SIZE")?;
        check_count(count, "AWS_BATCH_JOB_ARRAY_SIZE")?;
        (index, count)
    } else {
        return Err(CliError::usage(
            "`--shard auto` found no scheduler's array variables (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX)".into(),
            "run it as a task of a Slurm array, a Kubernetes Indexed Job or an AWS Batch array job, or give `--shard I/N`",
        ));
    };
    if count == 0 || index >= count {
        return Err(CliError::usage(
            format!("`--shard auto`: shard {index} of {count} does not exist"),
            "the scheduler's array and `--shards` must agree: N shards are numbered 0 to N-1",
        ));
    }
    Ok((index, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    fn shard(
        spec: Option<&str>,
        shards: Option<u64>,
        vars: &[(&str, &str)],
    ) -> Result<Option<Shard>, String> {
        resolve(spec, shards, 100, "path", &with(vars)).map_err(|e| e.to_string())
    }

    #[test]
    fn fixed_shards() {
        assert_eq!(shard(Some("3/8"), None, &[]), Ok(Some((3, 8))));
        assert_eq!(shard(None, None, &[("SLURM_ARRAY_TASK_ID", "2")]), Ok(None));
        for bad in ["8/8", "x/2", "3", "-1/4", "1/0"] {
            assert!(shard(Some(bad), None, &[]).is_err(), "{bad}");
        }
        assert!(
            shard(Some("1/4"), Some(5), &[])
                .unwrap_err()
                .contains("says 4")
        );
        assert!(
            shard(Some("0/101"), None, &[])
                .unwrap_err()
                .contains("no path")
        );
        assert!(
            shard(None, Some(4), &[])
                .unwrap_err()
                .contains("--shard auto")
        );
    }

    #[test]
    fn slurm_arrays_from_any_start() {
        let from_one = [
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(shard(Some("auto"), None, &from_one), Ok(Some((3, 4))));
        let stepped = [
            ("SLURM_ARRAY_TASK_ID", "20"),
            ("SLURM_ARRAY_TASK_MIN", "10"),
            ("SLURM_ARRAY_TASK_MAX", "40"),
            ("SLURM_ARRAY_TASK_STEP", "10"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(shard(Some("auto"), None, &stepped), Ok(Some((1, 4))));
        let list = [
            ("SLURM_ARRAY_TASK_ID", "7"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "7"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ];
        assert!(
            shard(Some("auto"), None, &list)
                .unwrap_err()
                .contains("evenly spaced")
        );
    }

    #[test]
    fn kubernetes_needs_the_count_and_aws_gives_it() {
        let k8s = [("JOB_COMPLETION_INDEX", "5")];
        assert!(
            shard(Some("auto"), None, &k8s)
                .unwrap_err()
                .contains("--shards N")
        );
        assert_eq!(shard(Some("auto"), Some(6), &k8s), Ok(Some((5, 6))));
        assert!(
            shard(Some("auto"), Some(5), &k8s)
                .unwrap_err()
                .contains("does not exist")
        );
        let aws = [
            ("AWS_BATCH_JOB_ARRAY_INDEX", "0"),
            ("AWS_BATCH_JOB_ARRAY_SIZE", "2"),
        ];
        assert_eq!(shard(Some("auto"), None, &aws), Ok(Some((0, 2))));
        let both = [
            ("JOB_COMPLETION_INDEX", "1"),
            ("AWS_BATCH_JOB_ARRAY_INDEX", "0"),
        ];
        assert!(
            shard(Some("auto"), Some(2), &both)
                .unwrap_err()
                .contains("more than one")
        );
        assert!(
            shard(Some("auto"), None, &[])
                .unwrap_err()
                .contains("found no scheduler")
        );
    }
}
