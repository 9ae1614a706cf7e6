#!/usr/bin/env bash
# Submits a sharded arrears run to Slurm: an array of SHARDS tasks (arrears-array.sbatch), then
# the merge (arrears-merge.sbatch) with --dependency=afterok on the array, so the merge starts
# only once every shard has succeeded. Prints the two job ids.
#
#   deploy/slurm/submit.sh SCENARIO SHARDS [PARTS_DIR] [OUT] [-- RUN ARGS...]
#   deploy/slurm/submit.sh scenarios/baseline.toml 8
#   deploy/slurm/submit.sh big.toml 64 /scratch/big.parts /scratch/big -- --paths 10000
#
# PARTS_DIR defaults to arrears' own, output/<simulation.name>.parts, and OUT to
# output/<simulation.name> (both relative to where you submit, which is where the jobs run).
# Arguments after `--` go to every shard's `arrears run`. Options for sbatch itself (partition,
# account, time, memory) go in the two .sbatch files or in SBATCH_* environment variables
# (SBATCH_PARTITION, SBATCH_ACCOUNT, SBATCH_TIMELIMIT, ...), which override them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

usage() {
    echo "usage: $0 SCENARIO SHARDS [PARTS_DIR] [OUT] [-- RUN ARGS...]" >&2
    exit 2
}

positional=()
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
    positional+=("$1")
    shift
done
[ "$#" -gt 0 ] && shift # the `--`
[ "${#positional[@]}" -ge 2 ] && [ "${#positional[@]}" -le 4 ] || usage
scenario="${positional[0]}"
shards="${positional[1]}"
[ -r "$scenario" ] || { echo "error: scenario \`$scenario\` is not readable" >&2; exit 2; }
case "$shards" in '' | *[!0-9]* | 0*) echo "error: SHARDS must be a positive integer, not \`$shards\`" >&2; exit 2 ;; esac

# arrears' default parts folder: output/<simulation.name>.parts.
simulation_name() {
    awk '
        /^[[:space:]]*\[/ { in_sim = ($0 ~ /^[[:space:]]*\[simulation\][[:space:]]*(#.*)?$/) }
        in_sim && match($0, /^[[:space:]]*name[[:space:]]*=[[:space:]]*"[^"]*"/) {
            line = substr($0, RSTART, RLENGTH); sub(/^[^"]*"/, "", line); sub(/"$/, "", line)
            print line; exit
        }' "$1"
}
parts="${positional[2]:-}"
if [ -z "$parts" ]; then
    name="$(simulation_name "$scenario")"
    [ -n "$name" ] || { echo "error: no \`name\` in [simulation] of \`$scenario\`; give PARTS_DIR" >&2; exit 2; }
    parts="output/$name.parts"
fi
out="${positional[3]:-}"
mkdir -p "$parts"

array_id="$(sbatch --parsable --array="0-$((shards - 1))" \
    "$here/arrears-array.sbatch" "$scenario" "$parts" "$@")"
array_id="${array_id%%;*}" # --parsable prints `id;cluster` on multi-cluster setups
merge_id="$(sbatch --parsable --dependency="afterok:$array_id" --kill-on-invalid-dep=yes \
    "$here/arrears-merge.sbatch" "$parts" "$out")"
merge_id="${merge_id%%;*}"

echo "array job $array_id: $shards shards of $scenario into $parts"
echo "merge job $merge_id: after array job $array_id succeeds, into ${out:-output/<simulation.name>}"
