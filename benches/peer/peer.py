#!/usr/bin/env python3
"""Peer reference for arrears' "workload M" (matrix-only model), in plain numpy.

This is how a competent risk analyst would write the model in numpy: per month, one vector of
uniforms for the loans and a vectorised lookup in each loan's cumulative transition row.
There are no per-loan Python loops, and no numba or multiprocessing.

It reads an arrears scenario file (TOML, docs/SCENARIOS.md) and supports what workload M uses:

- [simulation] name, paths, horizon_months, seed;
- [states] buckets; states are current, the buckets in order, paid_off, charged_off, sold;
- [charge_off] dpd = N (or state = "bucket"): probabilities of entering a trigger bucket move
  to charged_off;
- [book] source = "synthetic", with [segments.NAME.book]: loans, balance (fixed, uniform,
  lognormal), apr, term_months, months_on_book, initial_states (exact counts, largest remainder);
- [segments.NAME.transitions].

Other tables ([[actions]], [money], [recovery], [debt_sale], [systematic], overrides by month on
book, ...) are accepted and ignored, with a warning on stderr.

Money: a current loan that stays current pays its annuity instalment (interest B r, principal
min(max(A - B r, 0), B); the whole balance in the last month of term, and the loan is then
paid_off). A move to paid_off repays the balance plus the month's interest. Delinquent loans pay
nothing. A cure returns the loan to current and keeps its instalment. A charge-off writes off the
balance, which stays on the charged-off claim (the balance shown for charged_off). The
remaining term counts down every month.

--cure-payments applies arrears' own cure rule instead (docs/SCENARIOS.md section 4): a cure
pays min((months past due + 1) x A, B + B r), interest first; the loan is paid_off if the
balance is then <= 0.001, otherwise A is re-amortised over the term left after the month. With
it, the peer's occupancy can be compared with arrears' timeline on the same scenario.

Usage:
    python benches/peer/peer.py SCENARIO.toml [--paths N] [--seed S] [--out results.json]
                                [--compact] [--cure-payments]

--compact simulates only the loans still on book each month (terminal loans are dropped from
the working arrays and counted separately). Without it, every month draws rng.random(n) for all
n loans of the book, terminal ones included (they have identity rows).

Random numbers: numpy.random.default_rng(seed + path) per path; the book is drawn once from
numpy.random.default_rng([seed, segment index]) and is the same on every path. They do not
match arrears' streams; only the distributions do.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import tomllib

import numpy as np

ROW_TOLERANCE = 1e-9
ZERO_BALANCE = 0.001
IGNORED_TABLES = (
    "actions",
    "money",
    "recovery",
    "debt_sale",
    "default",
    "disposition",
    "systematic",
    "stress",
)


def fail(message: str) -> None:
    sys.exit(f"error: {message}")


# --------------------------------------------------------------------------------------------
# Scenario


def read_scenario(path: str) -> dict:
    with open(path, "rb") as f:
        doc = tomllib.load(f)

    for key in IGNORED_TABLES:
        if key in doc:
            print(f"warning: [{key}] is ignored by the peer (workload M)", file=sys.stderr)

    sim = doc.get("simulation") or fail("missing [simulation]")
    buckets = (doc.get("states") or {}).get("buckets") or fail("missing [states] buckets")
    bucket_names = [b["name"] for b in buckets]
    states = ["current", *bucket_names, "paid_off", "charged_off", "sold"]
    index = {name: i for i, name in enumerate(states)}
    if len(index) != len(states):
        fail("bucket names must be unique and not a built-in state")
    n_states = len(states)
    paid_off, charged_off = index["paid_off"], index["charged_off"]
    on_book = 1 + len(bucket_names)  # states 0 .. on_book-1 are current and the buckets

    # Charge-off triggers: buckets entered only to be charged off.
    triggers: set[int] = set()
    co = doc.get("charge_off")
    if co is not None:
        if "dpd" in co:
            triggers = {1 + i for i, b in enumerate(buckets) if b["min_dpd"] > co["dpd"]}
        elif "state" in co:
            first = index.get(co["state"])
            if first is None or not 1 <= first < on_book:
                fail(f"[charge_off] state `{co['state']}` is not a bucket")
            triggers = set(range(first, on_book))
        if not triggers:
            fail("[charge_off]: no bucket starts after the charge-off point")

    book = doc.get("book") or fail("missing [book]")
    if book.get("source") != "synthetic":
        fail('the peer supports [book] source = "synthetic" only')

    segments = doc.get("segments") or fail("missing [segments]")
    segs = []
    for name, seg in segments.items():
        if seg.get("product", "instalment") != "instalment":
            fail(f"segment `{name}`: only instalment products are supported")
        if seg.get("transitions_by_month_on_book"):
            print(
                f"warning: segment `{name}`: transitions_by_month_on_book is ignored",
                file=sys.stderr,
            )
        spec = seg.get("book") or fail(f"segment `{name}` has no [segments.{name}.book]")
        segs.append(
            {
                "name": name,
                "matrix": build_matrix(name, seg.get("transitions") or {}, states, index,
                                       on_book, triggers, charged_off),
                "loans": int(spec["loans"]),
                "balance": dict(spec["balance"]),
                "apr": float(spec["apr"]),
                "term": int(spec["term_months"]),
                "mob": tuple(spec.get("months_on_book", (0, 0))),
                "initial": initial_shares(name, spec.get("initial_states", {"current": 1.0}),
                                          index, on_book, triggers),
            }
        )
    if sum(s["loans"] for s in segs) < 1:
        fail("the book has no loans")

    return {
        "name": sim["name"],
        "paths": int(sim["paths"]),
        "horizon": int(sim["horizon_months"]),
        "seed": int(sim["seed"]),
        "states": states,
        "on_book": on_book,
        # Months past due of each state: ceil(min_dpd / 30) for a bucket, 0 otherwise.
        "months_past_due": np.array(
            [0.0] + [float(-(-b["min_dpd"] // 30)) for b in buckets] + [0.0, 0.0, 0.0]
        ),
        "paid_off": paid_off,
        "charged_off": charged_off,
        "segments": segs,
    }


def build_matrix(seg_name, rows, states, index, on_book, triggers, charged_off) -> np.ndarray:
    """The segment's one-month matrix, triggers redirected, terminal states absorbing."""
    n = len(states)
    p = np.zeros((n, n))
    for frm, row in rows.items():
        i = index.get(frm)
        if i is None or i >= on_book:
            fail(f"segment `{seg_name}`: `{frm}` is not a state with a row")
        if i in triggers:
            fail(f"segment `{seg_name}`: `{frm}` is a charge-off trigger and has no row")
        for to, prob in row.items():
            j = index.get(to)
            if j is None or to == "sold":
                fail(f"segment `{seg_name}`: row `{frm}`: bad destination `{to}`")
            p[i, j] = float(prob)
        total = p[i].sum()
        if abs(total - 1.0) > ROW_TOLERANCE:
            fail(f"segment `{seg_name}`: row `{frm}` sums to {total}, expected 1")
    for i in range(on_book):
        if i in triggers:
            p[i, :] = 0.0
            p[i, i] = 1.0  # never occupied; identity keeps the table well formed
        elif p[i].sum() == 0.0:
            fail(f"segment `{seg_name}` has no row for `{states[i]}`")
    for j in triggers:
        p[:, charged_off] += p[:, j]
        p[:, j] = 0.0
    for i in range(on_book, n):
        p[i, i] = 1.0
    return p / p.sum(axis=1, keepdims=True)


def initial_shares(seg_name, shares, index, on_book, triggers) -> np.ndarray:
    out = np.zeros(len(index))
    for state, share in shares.items():
        i = index.get(state)
        if i is None or i >= on_book or i in triggers:
            fail(f"segment `{seg_name}`: `{state}` cannot be a starting state")
        out[i] = float(share)
    if abs(out.sum() - 1.0) > ROW_TOLERANCE:
        fail(f"segment `{seg_name}`: initial_states sum to {out.sum()}, expected 1")
    return out


# --------------------------------------------------------------------------------------------
# Book


def starting_counts(shares: np.ndarray, loans: int) -> np.ndarray:
    """Exact counts by largest remainder; ties go to the earlier state."""
    exact = shares * loans
    counts = np.floor(exact).astype(np.int64)
    rest = exact - counts
    order = sorted(range(len(shares)), key=lambda i: (-rest[i], i))
    for i in order[: max(loans - int(counts.sum()), 0)]:
        counts[i] += 1
    return counts


def draw_balances(dist: dict, loans: int, rng: np.random.Generator) -> np.ndarray:
    kind = dist.get("distribution")
    if kind == "fixed":
        return np.full(loans, float(dist["value"]))
    if kind == "uniform":
        return rng.uniform(float(dist["min"]), float(dist["max"]), loans)
    if kind == "lognormal":
        mean, sd = float(dist["mean"]), float(dist["sd"])
        sigma2 = math.log1p((sd / mean) ** 2)
        mu = math.log(mean) - sigma2 / 2.0
        return rng.lognormal(mu, math.sqrt(sigma2), loans)
    fail(f"unknown balance distribution `{kind}`")


def annuity(balance: np.ndarray, rate: np.ndarray, term: np.ndarray) -> np.ndarray:
    """Level payment B r / (1 - (1 + r)^-n); B / n if r = 0; B (1 + r) if n = 0 (as arrears)."""
    n = term.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        level = balance * rate / -np.expm1(-n * np.log1p(rate))
        level = np.where(rate == 0.0, balance / n, level)
    return np.where(term <= 0, balance * (1.0 + rate), level)


def build_book(sc: dict) -> dict:
    n_states = len(sc["states"])
    parts = {k: [] for k in ("state", "balance", "rate", "term", "row_base")}
    for k, seg in enumerate(sc["segments"]):
        n = seg["loans"]
        rng = np.random.default_rng([sc["seed"], k])
        counts = starting_counts(seg["initial"], n)
        parts["state"].append(np.repeat(np.arange(n_states), counts))
        parts["balance"].append(draw_balances(seg["balance"], n, rng))
        lo, hi = seg["mob"]
        mob = rng.integers(lo, hi + 1, n) if hi > lo else np.full(n, lo)
        parts["term"].append(seg["term"] - mob)
        parts["rate"].append(np.full(n, seg["apr"] / 12.0))
        parts["row_base"].append(np.full(n, k * n_states))
    book = {k: np.concatenate(v) for k, v in parts.items()}
    book["state"] = book["state"].astype(np.int8)
    book["term"] = book["term"].astype(np.int32)
    # intp, so that the row index is intp too: np.take converts other index types slowly.
    book["row_base"] = book["row_base"].astype(np.intp)
    book["instalment"] = annuity(book["balance"], book["rate"], book["term"])
    return book


def cumulative_columns(sc: dict) -> list[np.ndarray]:
    """Columns of the stacked cumulative table (segment x from-state rows, to-state columns).

    The new state of a loan on row `row` with uniform u is the number of columns j with
    cum[row, j] <= u. Past each row's last non-zero entry the cumulative value is exactly 1, so
    columns that are 1 on every row (always the last) can never count and are dropped.
    """
    p = np.vstack([seg["matrix"] for seg in sc["segments"]])
    cum = np.cumsum(p, axis=1)
    last = p.shape[1] - 1 - np.argmax(p[:, ::-1] > 0.0, axis=1)
    cum[np.arange(p.shape[1])[None, :] >= last[:, None]] = 1.0
    return [np.ascontiguousarray(cum[:, j]) for j in range(cum.shape[1]) if (cum[:, j] < 1.0).any()]


# --------------------------------------------------------------------------------------------
# Simulation


def simulate_path(sc, book, columns, rng, compact, cure_payments):
    """One path. Returns loans and balance by state per month (H+1 x S) and the path totals."""
    n_states = len(sc["states"])
    horizon, on_book = sc["horizon"], sc["on_book"]
    paid_off, charged_off = sc["paid_off"], sc["charged_off"]

    state = book["state"].copy()
    balance = book["balance"].copy()
    term = book["term"].copy()
    instalment, rate, row_base = book["instalment"], book["rate"], book["row_base"]
    if cure_payments:
        instalment = instalment.copy()  # re-amortised on cures
        months_past_due = sc["months_past_due"]

    counts = np.zeros((horizon + 1, n_states))
    balances = np.zeros((horizon + 1, n_states))
    settled_counts = np.zeros(n_states)  # loans dropped from the arrays (compact mode)
    settled_claims = 0.0  # their charged-off balance
    repaid = interest = written_off = 0.0
    charge_offs = pay_offs = 0

    counts[0] = np.bincount(state, minlength=n_states)
    balances[0] = np.bincount(state, weights=balance, minlength=n_states)

    for month in range(1, horizon + 1):
        # Move: one uniform per loan, looked up in the loan's cumulative row.
        u = rng.random(state.size)
        row = row_base + state
        new = np.zeros(state.size, np.int8)
        for col in columns:
            new += np.take(col, row) <= u

        was_on_book = state < on_book

        # current -> current: scheduled instalment; maturity at the end of term.
        idx = np.flatnonzero((state == 0) & (new == 0))
        b = balance[idx]
        due_interest = b * rate[idx]
        principal = np.where(term[idx] <= 1, b, np.clip(instalment[idx] - due_interest, 0.0, b))
        b -= principal
        matured = b <= ZERO_BALANCE
        repaid += principal.sum() + b[matured].sum()
        interest += due_interest.sum()
        b[matured] = 0.0
        balance[idx] = b
        new[idx[matured]] = paid_off

        if cure_payments:
            # bucket -> current: pays the arrears and the month's instalment, then re-amortises.
            idx = np.flatnonzero((new == 0) & (state > 0) & was_on_book)
            b, r = balance[idx], rate[idx]
            due_interest = b * r
            cash = np.minimum((months_past_due[state[idx]] + 1.0) * instalment[idx],
                              b + due_interest)
            interest_paid = np.minimum(due_interest, cash)
            b -= cash - interest_paid
            repaid += (cash - interest_paid).sum()
            interest += interest_paid.sum()
            cleared = b <= ZERO_BALANCE
            repaid += b[cleared].sum()
            b[cleared] = 0.0
            balance[idx] = b
            new[idx[cleared]] = paid_off
            left = ~cleared
            instalment[idx[left]] = annuity(b[left], r[left], np.maximum(term[idx[left]] - 1, 0))

        # -> paid_off from the matrix: prepayment in full with the month's interest.
        pre = np.flatnonzero((new == paid_off) & was_on_book)
        b = balance[pre]
        repaid += b.sum()
        interest += (b * rate[pre]).sum()
        balance[pre] = 0.0
        pay_offs += pre.size

        # -> charged_off: the balance is written off and stays as the claim.
        co = np.flatnonzero((new == charged_off) & was_on_book)
        written_off += balance[co].sum()
        charge_offs += co.size

        # Delinquent loans pay nothing; a cure keeps its instalment. Term counts down.
        term -= 1
        np.maximum(term, 0, out=term)
        state = new

        if compact:
            keep = state < on_book
            gone = ~keep
            settled_counts += np.bincount(state[gone], minlength=n_states)
            settled_claims += balance[gone & (state == charged_off)].sum()
            state, balance, term = state[keep], balance[keep], term[keep]
            instalment, rate, row_base = instalment[keep], rate[keep], row_base[keep]

        counts[month] = np.bincount(state, minlength=n_states) + settled_counts
        balances[month] = np.bincount(state, weights=balance, minlength=n_states)
        balances[month, charged_off] += settled_claims

    totals = {
        "repaid": repaid,
        "interest_collected": interest,
        "gross_write_offs": written_off,
        "charge_offs": float(charge_offs),
        "pay_offs": float(pay_offs),
        "outstanding": float(balances[horizon, :on_book].sum()),
    }
    return counts, balances, totals


def summarise(total, total_sq, paths):
    mean = total / paths
    if paths > 1:
        var = np.maximum(total_sq - paths * mean * mean, 0.0) / (paths - 1)
        se = np.sqrt(var / paths)
    else:
        se = np.zeros_like(mean)
    return mean, se


def by_month(mean, se, states):
    return [
        {s: {"mean": float(mean[t, i]), "se": float(se[t, i])} for i, s in enumerate(states)}
        for t in range(mean.shape[0])
    ]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="numpy peer of arrears' matrix-only workload M")
    ap.add_argument("scenario", help="arrears scenario file (TOML)")
    ap.add_argument("--paths", type=int, help="number of paths (default: [simulation] paths)")
    ap.add_argument("--seed", type=int, help="seed (default: [simulation] seed)")
    ap.add_argument("--out", help="write the JSON results to this file too")
    ap.add_argument("--compact", action="store_true",
                    help="simulate only loans still on book (drop terminal loans each month)")
    ap.add_argument("--cure-payments", action="store_true",
                    help="cures pay arrears + instalment and re-amortise, as in arrears' engine")
    args = ap.parse_args(argv)

    sc = read_scenario(args.scenario)
    if args.paths is not None:
        sc["paths"] = args.paths
    if args.seed is not None:
        sc["seed"] = args.seed
    if sc["paths"] < 1:
        fail("paths must be at least 1")
    book = build_book(sc)
    columns = cumulative_columns(sc)
    states, paths, horizon = sc["states"], sc["paths"], sc["horizon"]
    loans = int(book["state"].size)

    shape = (horizon + 1, len(states))
    c_sum, c_sq, b_sum, b_sq = (np.zeros(shape) for _ in range(4))
    t_sum: dict[str, float] = {}
    t_sq: dict[str, float] = {}

    start = time.perf_counter()
    for path in range(paths):
        rng = np.random.default_rng(sc["seed"] + path)
        counts, balances, totals = simulate_path(sc, book, columns, rng, args.compact,
                                                 args.cure_payments)
        c_sum += counts
        c_sq += counts * counts
        b_sum += balances
        b_sq += balances * balances
        for k, v in totals.items():
            t_sum[k] = t_sum.get(k, 0.0) + v
            t_sq[k] = t_sq.get(k, 0.0) + v * v
    seconds = time.perf_counter() - start

    c_mean, c_se = summarise(c_sum, c_sq, paths)
    b_mean, b_se = summarise(b_sum, b_sq, paths)
    totals_out = {}
    for k in t_sum:
        m, s = summarise(np.array(t_sum[k]), np.array(t_sq[k]), paths)
        totals_out[k] = {"mean": float(m), "se": float(s)}

    result = {
        "scenario": sc["name"],
        "implementation": "numpy " + np.__version__,
        "compact": args.compact,
        "cure_payments": args.cure_payments,
        "paths": paths,
        "loans": loans,
        "horizon_months": horizon,
        "seed": sc["seed"],
        "seconds": seconds,
        "ns_per_loan_month": seconds * 1e9 / (paths * loans * horizon),
        "states": states,
        "occupancy": by_month(c_mean, c_se, states),
        "balance": by_month(b_mean, b_se, states),
        "totals": totals_out,
    }
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
