"""arrears.run and the Result it returns: figures, tables and their types, the same bytes as
the command line, scenarios as files, text and dicts, overrides."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import polars as pl
import pytest

import arrears
from arrears._binary import find_binary
from conftest import PATHS, SCENARIOS, SEED

STATS = ["mean", "sd", "se", "p5", "p50", "p95", "p99", "p99_9", "n"]


def test_summary_is_summary_json_as_a_tidy_frame(baseline: arrears.Result) -> None:
    summary = baseline.summary
    assert summary.columns == ["figure", "label", "unit", "description", *STATS]
    assert summary.schema["n"] == pl.UInt64
    written = json.loads((baseline.folder / "summary.json").read_text())["figures"]
    assert summary["figure"].to_list() == list(written)
    for row in summary.iter_rows(named=True):
        expected = written[row["figure"]]
        for stat in STATS:
            value, want = row[stat], expected[stat]
            if want is None:
                assert value is None or math.isnan(value), (row["figure"], stat)
            else:
                assert value == want, (row["figure"], stat)  # bit for bit, no rounding
    assert baseline.figure("net_credit_loss")["n"] == PATHS


def test_tail_has_var_and_es_with_intervals_for_each_level(baseline: arrears.Result) -> None:
    tail = baseline.tail
    ncl = tail.filter(pl.col("figure") == "net_credit_loss")
    assert ncl["level"].to_list() == [0.95, 0.99, 0.999]
    for row in ncl.iter_rows(named=True):
        assert row["var_ci_low"] <= row["var"] <= row["var_ci_high"]
        assert row["expected_shortfall"] >= row["var"] - 1e-6
    # VaR at 95% is the 95% quantile of the paths' net credit loss (no interpolation beyond
    # what arrears documents): within the paths' range.
    losses = baseline.paths["net_credit_loss"]
    assert losses.min() <= ncl["var"][0] <= losses.max()


def test_every_table_reads_with_its_types(baseline: arrears.Result) -> None:
    expected = {
        "convergence",
        "outcomes",
        "paths",
        "recovery_by_group",
        "recovery_curve",
        "recovery_rate_distribution",
        "stage_flow",
        "timeline",
        "transitions",
        "vintage_curves",
        "write_offs",
    }
    assert expected <= set(baseline.tables)
    for name in baseline.tables:
        frame = baseline.table(name)
        assert frame.height > 0, name
        pandas = frame.to_pandas()
        assert list(pandas.columns) == frame.columns, name
    paths = baseline.paths
    assert paths.height == PATHS
    assert paths["path"].to_list() == list(range(PATHS))
    assert paths.schema["path"] == pl.UInt64
    for count in ["defaults", "charge_offs", "sales", "pay_offs"]:
        assert paths.schema[count] == pl.UInt64, count
    timeline = baseline.timeline
    for stat in ["mean", "sd", "se", "p5", "p50", "p95", "p99", "p99_9"]:
        assert timeline.schema[stat] == pl.Float64, stat
    # No empty strings standing for "no stage".
    assert timeline.filter(pl.col("stage") == "").height == 0
    assert timeline["stage"].null_count() > 0
    vintages = baseline.vintage_curves
    assert vintages.schema["vintage"].is_integer()
    # Money is conserved month by month: the timeline's balance by state sums to the book's
    # balance path by path is checked in Rust; here the tables agree with each other: the
    # paths' gross write-offs average to the summary's mean.
    mean = paths["gross_write_offs"].mean()
    assert mean == pytest.approx(baseline.figure("gross_write_offs")["mean"], rel=1e-12)


def test_states_are_ordered_as_in_the_scenario(baseline: arrears.Result) -> None:
    states = baseline.states
    assert states[0] == "current"
    assert states.index("dpd_1_30") < states.index("dpd_31_60") < states.index("dpd_181_plus")
    transitions = baseline.transitions
    assert transitions.schema["from"] == pl.Enum(states)
    first = transitions.sort("from")["from"].to_list()[0]
    assert first == "current"
    assert baseline.transitions.to_pandas()["from"].cat.ordered


def _cli_baseline(*args: str) -> None:
    """The command line's run of the baseline at the session's paths and seed, plus ``args``."""
    subprocess.run(
        [
            find_binary(),
            "run",
            str(SCENARIOS / "baseline.toml"),
            "--paths",
            str(PATHS),
            "--seed",
            str(SEED),
            "--quiet",
            *args,
        ],
        check=True,
        capture_output=True,
    )


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


RUN_FACTS = {"run_seconds", "created_utc", "threads", "shards", "scenario_file"}


def _stable_summary(path: Path) -> dict:
    summary = json.loads(path.read_text())
    for fact in RUN_FACTS:
        summary["run"].pop(fact, None)
    return summary


def test_results_equal_the_command_lines_for_the_same_seed(
    baseline: arrears.Result, tmp_path: Path
) -> None:
    cli = tmp_path / "cli"
    _cli_baseline("--out", str(cli))
    ours, theirs = _files(baseline.folder), _files(cli)
    assert sorted(ours) == sorted(theirs)
    differing = [
        name
        for name in ours
        if ours[name] != theirs[name]
        and name not in ("summary.json", "manifest.json", "report.html", "report.md")
    ]
    assert differing == []
    assert _stable_summary(baseline.folder / "summary.json") == _stable_summary(
        cli / "summary.json"
    )


def test_a_scenario_as_text_or_dict_with_overrides(tmp_path: Path) -> None:
    import tomllib

    text = (SCENARIOS / "baseline.toml").read_text()
    doc = tomllib.loads(text)
    doc["simulation"]["name"] = "from_dict"
    base = arrears.run(doc, paths=8, seed=1, out=tmp_path / "dict")
    assert base.name == "from_dict"
    as_text = arrears.run(text, paths=8, seed=1, out=tmp_path / "text")
    # Same model, same seed: the same paths, whatever the scenario came as.
    assert as_text.paths.drop("path").equals(base.paths.drop("path"))
    higher = arrears.run(
        doc,
        paths=8,
        seed=1,
        out=tmp_path / "price",
        set={"debt_sale.price": 0.08, "actions.calls.cost_per_account": 3.0},
    )
    # Twice the price on the same claims (common random numbers): twice the proceeds.
    assert higher.figure("sale_proceeds")["mean"] == pytest.approx(
        2 * base.figure("sale_proceeds")["mean"], rel=1e-9
    )
    assert higher.figure("sold_face")["mean"] == base.figure("sold_face")["mean"]
    assert higher.figure("collection_costs")["mean"] > base.figure("collection_costs")["mean"]
    # A file with overrides: its tape path still resolves from the file's folder.
    tape = arrears.run(
        SCENARIOS / "tape.toml", paths=5, out=tmp_path / "tape", set={"debt_sale.price": 0.05}
    )
    assert tape.facts["loans"] == 2000
    with pytest.raises(arrears.ScenarioError, match="no element `nobody`"):
        arrears.run(doc, set={"actions.nobody.cost_per_account": 1})


def test_a_stress_set_has_its_scenarios(tmp_path: Path) -> None:
    with pytest.warns(arrears.ArrearsWarning):
        stress = arrears.run(SCENARIOS / "stress_set.toml", paths=10, out=tmp_path / "stress")
    assert stress.kind == "stress_set"
    assert list(stress.scenarios) == ["baseline", "adverse", "severe"]
    summary = stress.summary
    assert summary.columns[0] == "scenario"
    assert set(summary["scenario"]) == {"baseline", "adverse", "severe"}
    adverse = stress.scenarios["adverse"].figure("net_credit_loss")["mean"]
    baseline = stress.scenarios["baseline"].figure("net_credit_loss")["mean"]
    assert adverse > baseline
    assert "stress_comparison" in stress.tables


def test_the_notebook_view_shows_headline_figures_and_the_loss_chart(
    baseline: arrears.Result,
) -> None:
    html = baseline._repr_html_()
    assert "Net credit loss" in html
    assert "data:image/png;base64," in html
    assert str(PATHS) in html
    assert "baseline" in repr(baseline)


def test_compare_merge_and_reopen(baseline: arrears.Result, tmp_path: Path) -> None:
    other = arrears.run(
        SCENARIOS / "baseline.toml",
        paths=PATHS,
        seed=SEED,
        out=tmp_path / "price",
        set={"debt_sale.price": 0.06},
    )
    comparison = arrears.compare(baseline, other, out=tmp_path / "cmp")
    assert comparison.report_path.is_file()
    table = comparison.table("comparison")
    assert table.height > 0
    # Shards merged equal the one-machine run.
    parts = tmp_path / "parts"
    for i in range(3):
        _cli_baseline("--shard", f"{i}/3", "--out", str(parts))
    merged = arrears.merge(parts, out=tmp_path / "merged")
    assert merged.paths.equals(baseline.paths)
    assert (merged.folder / "outcomes.parquet").read_bytes() == (
        baseline.folder / "outcomes.parquet"
    ).read_bytes()
    reopened = arrears.open_result(baseline.folder)
    assert reopened.summary.equals(baseline.summary)


def test_calibrate_then_run_the_calibrated_scenario(tmp_path: Path) -> None:
    calibration = arrears.calibrate(
        SCENARIOS / "calibration" / "calibrate.toml", out=tmp_path / "cal"
    )
    assert calibration.scenario_path.is_file()
    assert calibration.report_path.is_file()
    with pytest.warns(arrears.ArrearsWarning):
        result = arrears.run(calibration.scenario_path, paths=10, out=tmp_path / "run")
    assert result.figure("net_credit_loss")["n"] == 10


def test_init_writes_a_starter_that_runs(tmp_path: Path) -> None:
    scenario, tape = arrears.init("card_book", dir=tmp_path)
    assert scenario.name == "card_book.toml" and tape.name == "card_book-tape.csv"
    assert arrears.validate(scenario) == []
    with pytest.raises(arrears.UsageError, match="exists already"):
        arrears.init("card_book", dir=tmp_path)
