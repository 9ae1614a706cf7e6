#!/usr/bin/env bash
# The benchmarks, in one run: the standard workloads through `arrears run` (time and peak
# memory from /usr/bin/time -v), the numpy peer on workload M beside arrears on the same work
# (time, ratio, and a check that both give the same state occupancy within Monte Carlo
# error), and the divan benches (full engine against the minimal kernel, 1 and 2 threads).
#
#   bash benches/run.sh                 # defaults below; results go to target-independent /tmp
#   PATHS_L=1000 PEER_PATHS=20 bash benches/run.sh
#
# Installs numpy with pip when it is missing. Record the printed table in benches/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/arrears-target}"
PATHS_S="${PATHS_S:-1000}"      # workload S and M at 100,000 loans
PATHS_L="${PATHS_L:-100}"       # workload L and M at 1,000,000 loans (1,000 takes 1-2 min each)
PATHS_C="${PATHS_C:-1000}"      # workload C: count mode, 10^8 loans in 448 cells (about a minute)
PEER_PATHS="${PEER_PATHS:-40}"  # the numpy peer is ~22 ns a loan-month: 40 paths of M-S ~ 3 s
ARREARS_PEER_PATHS="${ARREARS_PEER_PATHS:-400}"  # arrears' side of the occupancy check
export OUT="${OUT:-/tmp/arrears-bench}"
mkdir -p "$OUT"

python3 -c "import numpy" 2>/dev/null || python3 -m pip install --quiet numpy
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/arrears"

measure() { # name scenario paths
  local log="$OUT/$1.time"
  /usr/bin/time -v "$bin" run "$2" --paths "$3" --out "$OUT/$1" --force -q 2> "$log" > /dev/null
  local seconds rss
  seconds=$(python3 -c "import json; print(json.load(open('$OUT/$1/summary.json'))['manifest']['run_seconds'])")
  rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$log")
  python3 - "$1" "$2" "$3" "$seconds" "$rss" <<'PY'
import sys, tomllib
name, scenario, paths, seconds, rss = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
import json, os
s = tomllib.load(open(scenario, "rb"))
manifest = json.load(open(os.path.join(os.environ["OUT"], name, "summary.json")))["manifest"]
loans = manifest["loans"]  # a cell book counts every loan of its cells
months = s["simulation"]["horizon_months"]
lm = paths * loans * months
cells = f" in {manifest['cells']:,} cells" if manifest.get("mode") == "count" else ""
print(f"{name:<16} {paths:>6} paths {loans:>11,} loans{cells}  {seconds:8.2f} s  {seconds * 1e9 / lm:6.3f} ns/loan-month  peak {rss / 1024:7.0f} MiB")
PY
}

echo "== workloads through arrears run (simulation time, nominal loan-months, peak memory)"
measure workload_s   benches/workload_s.toml   "$PATHS_S"
measure workload_m_s benches/workload_m_s.toml "$PATHS_S"
measure workload_l   benches/workload_l.toml   "$PATHS_L"
measure workload_m_l benches/workload_m_l.toml "$PATHS_L"
measure workload_count benches/workload_count.toml "$PATHS_C"

echo "== numpy peer against arrears on workload M (100,000 loans, $PEER_PATHS paths)"
python3 benches/peer/peer.py benches/workload_m_s.toml --paths "$PEER_PATHS" --cure-payments --out "$OUT/peer.json" > /dev/null
"$bin" run benches/workload_m_s.toml --paths "$ARREARS_PEER_PATHS" --out "$OUT/arrears_m_peer" --force -q 2> /dev/null
status=0
python3 benches/compare_peer.py "$OUT/peer.json" "$OUT/arrears_m_peer" "$OUT/workload_m_s" || status=1

echo "== divan: full engine and the minimal kernel (8 paths of 100,000 loans)"
cargo bench --bench engine 2>/dev/null | sed -n '/^engine/,$p'
exit "$status"
