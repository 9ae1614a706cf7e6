"""Writes scenarios/data/cells_1e8.csv: the count-mode workload's book, 10^8 loans in cells.

The baseline's three segments (40/40/20% of the loans) and starting states, each split into
four remaining terms and eight balance bands (the octiles of the baseline's lognormal balance,
each band at its mean): a lender's book of 100,000,000 loans summarised as cells.
Run from the repository root: python3 benches/make_cells.py
"""

import csv
import math
from statistics import NormalDist

LOANS = 100_000_000
SEGMENTS = [
    # name, share, mean, sd, apr, term, remaining terms, starting states
    ("prime", 0.40, 3000.0, 1500.0, 0.16, 24, [6, 12, 18, 24],
     {"current": 0.970, "dpd_1_30": 0.020, "dpd_31_60": 0.006, "dpd_61_90": 0.004}),
    ("near_prime", 0.40, 2000.0, 1200.0, 0.29, 12, [3, 6, 9, 12],
     {"current": 0.945, "dpd_1_30": 0.030, "dpd_31_60": 0.012, "dpd_61_90": 0.008,
      "dpd_91_120": 0.005}),
    ("subprime", 0.20, 800.0, 500.0, 0.60, 6, [2, 3, 4, 6],
     {"current": 0.900, "dpd_1_30": 0.050, "dpd_31_60": 0.025, "dpd_61_90": 0.015,
      "dpd_91_120": 0.010}),
]
BANDS = 8


def band_means(mean, sd, bands):
    """Mean balance within each quantile band of a lognormal with this mean and sd."""
    s2 = math.log(1.0 + (sd / mean) ** 2)
    mu, s = math.log(mean) - s2 / 2.0, math.sqrt(s2)
    z = NormalDist()
    edges = [-math.inf] + [z.inv_cdf(k / bands) for k in range(1, bands)] + [math.inf]
    out = []
    for lo, hi in zip(edges, edges[1:]):
        # E[X; a < ln X < b] = exp(mu + s^2/2) (Phi(b' - s) - Phi(a' - s)), per unit mass.
        mass = z.cdf(hi) - z.cdf(lo)
        part = z.cdf(hi - s) - z.cdf(lo - s)
        out.append(math.exp(mu + s2 / 2.0) * part / mass)
    return out


with open("scenarios/data/cells_1e8.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["loan_id", "segment", "balance", "apr", "remaining_term", "months_on_book",
                "state", "count"])
    written = 0
    rows = []
    for name, share, mean, sd, apr, term, remaining, states in SEGMENTS:
        for state, state_share in states.items():
            for rem in remaining:
                for b, balance in enumerate(band_means(mean, sd, BANDS)):
                    count = LOANS * share * state_share / len(remaining) / BANDS
                    rows.append([name, round(balance, 2), apr, rem, term - rem, state, count])
    # Whole loans summing to exactly LOANS (largest remainder).
    floors = [int(r[-1]) for r in rows]
    order = sorted(range(len(rows)), key=lambda i: rows[i][-1] - floors[i], reverse=True)
    for i in order[: LOANS - sum(floors)]:
        floors[i] += 1
    for i, r in enumerate(rows):
        w.writerow([f"cell-{i + 1:04d}"] + r[:-1] + [floors[i]])
    print(f"{len(rows)} cells, {sum(floors):,} loans")
