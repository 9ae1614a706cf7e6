#!/usr/bin/env bash
# A sharded run through the local one-node Slurm cluster, measured: each shard's and the merge's
# wall time and peak memory (every arrears command wrapped in /usr/bin/time -v), and the same
# run on one machine for comparison. The sbatch files ask for 2 CPUs a task, all of this
# machine's, so Slurm runs the shards one after another. See benches/README.md ("Sharded runs").
#
#   bash benches/shards.sh                            # workload XL, 200 paths, 8 shards
#   PATHS=1000 SHARDS=8 ONE_MACHINE=0 bash benches/shards.sh
#
# Then, without Slurm: a shard's memory against the paths it does not simulate (shard 0 of
# SHARDS at PATHS paths against shard 0 of 10 x SHARDS at 10 x PATHS paths: the same paths
# simulated, ten times as many in the run), and the merge's time and memory against the paths
# of the run (workload XL's layout on a book of 1,000 loans, MERGE_PATHS paths in 8 shards;
# the merge never reads the book, so its cost is that of the paths). MEMORY_CHECK=0 and
# MERGE_PATHS="" skip them.
#
# Needs the release binary (cargo test --release --no-run) and root or sudo for the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/arrears-target}"
WORKLOAD="${WORKLOAD:-benches/workload_xl.toml}"
PATHS="${PATHS:-200}"
SHARDS="${SHARDS:-8}"
ONE_MACHINE="${ONE_MACHINE:-1}"   # 0: skip the one-machine run
MEMORY_CHECK="${MEMORY_CHECK:-1}" # 0: skip the check that a shard's memory is its own paths'
MERGE_PATHS="${MERGE_PATHS-1000 8000 32000}"
SLURM="${SLURM:-1}"               # 0: skip the run through Slurm
OUT="${OUT:-/tmp/arrears-shards-bench}"
bin="${ARREARS:-$CARGO_TARGET_DIR/release/arrears}"
[ -x "$bin" ] || { echo "no $bin: run cargo test --release --no-run first" >&2; exit 1; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
workload="$(pwd)/$WORKLOAD"

rm -rf "$OUT"
mkdir -p "$OUT/jobs" "$OUT/time"

field() { # file, label of /usr/bin/time -v
    awk -F': ' -v label="$2" 'index($0, label) { print $2 }' "$1"
}
seconds() { # h:mm:ss or m:ss.ss -> seconds
    awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.1f", s }' <<<"$1"
}
report() { # label, time file
    local wall rss cpu
    wall="$(seconds "$(field "$2" "Elapsed (wall clock) time")")"
    rss="$(field "$2" "Maximum resident set size")"
    cpu="$(awk -v u="$(field "$2" "User time")" -v s="$(field "$2" "System time")" 'BEGIN { printf "%.1f", u + s }')"
    printf '%-28s %8s s wall %8s s CPU %8d MiB peak\n' "$1" "$wall" "$cpu" "$((rss / 1024))"
}
if [ "$SLURM" = 1 ]; then
    cluster="$OUT/slurm"
    deploy/slurm/local-cluster.sh start "$cluster"
    trap 'deploy/slurm/local-cluster.sh stop "$cluster"' EXIT
    export SLURM_CONF="$cluster/slurm.conf"

    # Every command the jobs run, timed: arrears-<subcommand>-<task>.time
    cat >"$OUT/arrears-timed" <<EOF
#!/usr/bin/env bash
exec /usr/bin/time -v -o "$OUT/time/\$1-\${SLURM_ARRAY_TASK_ID:-\$SLURM_JOB_ID}.time" "$bin" "\$@"
EOF
    chmod +x "$OUT/arrears-timed"

    submitted="$(cd "$OUT/jobs" && ARREARS="$OUT/arrears-timed" "$OLDPWD/deploy/slurm/submit.sh" "$workload" "$SHARDS" \
        "$OUT/parts" "$OUT/merged" -- --paths "$PATHS")"
    echo "$submitted"
    merge_job="$(echo "$submitted" | sed -n 's/^merge job \([0-9]*\):.*/\1/p')"
    started=$(date +%s)
    while :; do
        state="$(scontrol show job "$merge_job" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n 1)"
        case "$state" in PENDING | RUNNING | CONFIGURING | COMPLETING | "") sleep 2 ;; *) break ;; esac
    done
    echo "merge job $merge_job: $state after $(($(date +%s) - started)) s"
    [ "$state" = "COMPLETED" ] || { tail -n 20 "$OUT"/jobs/*.out; exit 1; }

    for task in $(seq 0 $((SHARDS - 1))); do
        report "shard $task/$SHARDS" "$OUT/time/run-$task.time"
    done
    report "merge" "$OUT/time/merge-$merge_job.time"

fi

if [ "$ONE_MACHINE" = 1 ]; then
    /usr/bin/time -v -o "$OUT/time/one-machine.time" "$bin" run "$workload" --paths "$PATHS" \
        --out "$OUT/one" --quiet >/dev/null
    report "one machine" "$OUT/time/one-machine.time"
fi

if [ "$MEMORY_CHECK" = 1 ]; then
    for spec in "0/$SHARDS $PATHS" "0/$((10 * SHARDS)) $((10 * PATHS))"; do
        set -- $spec
        /usr/bin/time -v -o "$OUT/time/memory-${1//\//-of-}.time" "$bin" run "$workload" \
            --paths "$2" --shard "$1" --out "$OUT/memory-check" --quiet >/dev/null
        report "shard $1 of $2 paths" "$OUT/time/memory-${1//\//-of-}.time"
    done
fi

if [ -n "$MERGE_PATHS" ]; then
    small="$OUT/merge-scaling.toml"
    sed -e 's/^name = "workload_xl"/name = "merge_scaling"/' -e 's/^loans = 4000000/loans = 400/' \
        -e 's/^loans = 2000000/loans = 200/' "$workload" >"$small"
    for paths in $MERGE_PATHS; do
        for i in 0 1 2 3 4 5 6 7; do
            "$bin" run "$small" --paths "$paths" --shard "$i/8" --out "$OUT/merge-$paths.parts" --quiet >/dev/null
        done
        /usr/bin/time -v -o "$OUT/time/merge-$paths.time" "$bin" merge "$OUT/merge-$paths.parts" \
            --out "$OUT/merge-$paths" --quiet >/dev/null
        report "merge of $paths paths" "$OUT/time/merge-$paths.time"
        rm -rf "$OUT/merge-$paths.parts" "$OUT/merge-$paths"
    done
fi
