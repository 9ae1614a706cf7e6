"""arrears.sweep and arrears.solve: the sweep's long table with typed key columns and its
points as results; the break-even price of a figure that is linear in it."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import polars as pl
import pytest

import arrears
from arrears._binary import find_binary
from conftest import SCENARIOS

# A book a hundred times smaller than the baseline's, so each point takes a fraction of a second.
SMALL = {
    "segments.prime.book.loans": 400,
    "segments.near_prime.book.loans": 400,
    "segments.subprime.book.loans": 200,
}


def test_a_sweep_has_typed_keys_paired_differences_and_its_points(tmp_path: Path) -> None:
    with pytest.warns(arrears.ArrearsWarning):
        sweep = arrears.sweep(
            SCENARIOS / "baseline.toml",
            vary={"debt_sale.price": "0.02..0.06/0.02", "debt_sale.months": [6, 12]},
            paths=6,
            set=SMALL,
            out=tmp_path / "sweep",
        )
    assert sweep.keys == ["debt_sale.price", "debt_sale.months"]
    long = sweep.long
    assert long.schema["debt_sale.price"] == pl.Float64
    assert long.schema["debt_sale.months"] == pl.Int64
    assert long.schema["sweep_point"] == pl.UInt32
    assert long["sweep_point"].n_unique() == 6
    ncl = sweep.figure("net_credit_loss")
    assert ncl.height == 6
    assert ncl["debt_sale.price"].to_list() == [0.02, 0.02, 0.04, 0.04, 0.06, 0.06]
    points = sweep.points
    assert len(points) == 6
    # A point is a run's result: its figure is the long table's.
    assert points[5].figure("net_credit_loss")["mean"] == ncl["mean"][5]
    diff = sweep.differences.filter(
        (pl.col("figure") == "sale_proceeds") & (pl.col("against") == "reference")
    )
    assert set(diff["sweep_point"].to_list()) == {1, 2, 3, 4, 5}
    assert "sweep_net_credit_loss" in sweep.charts


def test_solve_finds_the_price_that_brings_given_proceeds(tmp_path: Path) -> None:
    with pytest.warns(arrears.ArrearsWarning):
        probe = arrears.run(
            SCENARIOS / "baseline.toml", paths=6, set=SMALL, out=tmp_path / "probe"
        )
    face = probe.figure("sold_face")["mean"]
    solution = arrears.solve(
        SCENARIOS / "baseline.toml",
        key="debt_sale.price",
        low=0.01,
        high=0.2,
        figure="sale_proceeds",
        target=0.0517 * face,
        paths=6,
        set=SMALL,
        out=tmp_path / "solve",
    )
    assert math.isclose(solution.root, 0.0517, rel_tol=1e-8)
    low, high = solution.interval
    assert low < solution.root < high
    assert solution.evaluations.height >= 3
    with pytest.raises(arrears.UsageError, match="does not reach"):
        arrears.solve(
            SCENARIOS / "baseline.toml",
            key="debt_sale.price",
            low=0.01,
            high=0.02,
            figure="sale_proceeds",
            target=0.0517 * face,
            paths=2,
            set=SMALL,
            out=tmp_path / "never",
        )
    assert not (tmp_path / "never").exists()


def test_a_named_condition_has_a_root_per_sale_point_and_segment(tmp_path: Path) -> None:
    solution = arrears.solve(
        SCENARIOS / "disposition.toml",
        key="disposition.sale.price",
        low=0.0,
        high=0.6,
        figure="sale_beats_hold",
        paths=4,
        set=SMALL,
        out=tmp_path / "break_even",
    )
    roots = solution.roots
    assert roots.height > 1
    assert roots.schema["dpd"] == pl.UInt32
    assert set(roots["status"].to_list()) <= {"solved", "above the target at both ends"}
    solved = roots.filter(pl.col("status") == "solved")
    assert solved.height > 0
    # Sale is worth its price per unit of face: the value of sale minus hold rises one for one.
    assert all(abs(s - 1.0) < 1e-9 for s in solved["slope"].to_list())
    assert solution.evaluations["segment"].null_count() == 0
    with pytest.raises(ValueError, match="read `.roots`"):
        _ = solution.root
    with pytest.raises(ValueError, match="give no target"):
        arrears.solve(
            SCENARIOS / "disposition.toml",
            key="disposition.sale.price",
            low=0.0,
            high=0.6,
            figure="sale_beats_hold",
            target=0.0,
        )


def test_a_sharded_sweep_merges_into_a_sweep(tmp_path: Path) -> None:
    parts = tmp_path / "parts"
    for shard in ("0/2", "1/2"):
        subprocess.run(
            [
                find_binary(),
                "sweep",
                str(SCENARIOS / "baseline.toml"),
                "--vary",
                "debt_sale.price=0.02,0.04,0.06",
                "--paths",
                "4",
                "--shard",
                shard,
                "--out",
                str(parts),
                "--quiet",
                *[f"--set={k}={v}" for k, v in SMALL.items()],
            ],
            check=True,
            capture_output=True,
        )
    merged = arrears.merge(parts, out=tmp_path / "merged")
    assert isinstance(merged, arrears.Sweep)
    assert merged.long["sweep_point"].unique().sort().to_list() == [0, 1, 2]
