"""Compares the numpy peer with arrears on workload M: speed (ns per nominal loan-month) and
state occupancy by month (mean loans in each state, within 4.5 standard errors of the
difference).

The standard error of a difference pools the two samples' per-path variances (a two-sample
test with equal variances: if both implementations are right, a cell's count has the same
distribution in both). Adding the two squared standard errors instead fails on rare cells: a
state that the peer's few paths never saw in a month has a peer standard error of zero, and a
mean of 0.05 loans a path looks like 4 or 5 "standard errors" away from zero.

usage: compare_peer.py PEER_JSON ARREARS_RESULT_SAME_PATHS ARREARS_RESULT_FULL_RUN
"""
import csv
import json
import math
import sys

peer = json.load(open(sys.argv[1]))
same = sys.argv[2]
full = json.load(open(sys.argv[3] + "/summary.json"))["manifest"]

arrears_ns = full["run_seconds"] * 1e9 / (full["paths"] * full["loans"] * full["horizon_months"])
print(f"numpy peer   {peer['ns_per_loan_month']:7.2f} ns/loan-month ({peer['paths']} paths)")
print(f"arrears      {arrears_ns:7.2f} ns/loan-month ({full['paths']} paths, {full['threads']} threads)")
print(f"ratio        {peer['ns_per_loan_month'] / arrears_ns:7.1f}x faster than the peer")

worst = 0.0
checked = 0
n_a = json.load(open(same + "/summary.json"))["manifest"]["paths"]
n_p = peer["paths"]
rows = [r for r in csv.DictReader(open(same + "/timeline.csv")) if r["category"] == "state" and r["measure"] == "loans"]
for r in rows:
    month, state = int(r["month"]), r["item"]
    p = peer["occupancy"][month].get(state)
    if p is None:
        continue
    mean_a, se_a = float(r["mean"]), float(r["se"])
    mean_p, se_p = p["mean"], p["se"]
    # Per-path variances back from the standard errors, pooled.
    var_a, var_p = se_a ** 2 * n_a, se_p ** 2 * n_p
    pooled = ((n_a - 1) * var_a + (n_p - 1) * var_p) / (n_a + n_p - 2)
    se = math.sqrt(pooled * (1 / n_a + 1 / n_p))
    if se == 0:
        if abs(mean_a - mean_p) > 1e-9:
            worst = math.inf
        continue
    worst = max(worst, abs(mean_a - mean_p) / se)
    checked += 1
print(f"occupancy    {checked} month-state cells compared; largest gap {worst:.2f} standard errors")
if worst > 4.5:
    sys.exit("occupancy differs beyond Monte Carlo error: one of the two is wrong")
