"""A result folder written by arrears, read as polars DataFrames.

Every table is read from its Parquet file when first asked for and kept. The folder was checked
against its manifest (every file's SHA-256) by the ``arrears`` binary when it was opened or
written; a folder that changed since is refused by :func:`arrears.open_result`.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any, Iterator, Optional

import polars as pl

#: The headline figures ``_repr_html_`` shows, in order.
HEADLINE = (
    "original_balance",
    "gross_write_offs",
    "recoveries",
    "sale_proceeds",
    "net_credit_loss",
    "net_credit_loss_rate",
    "recovery_rate",
    "loss_given_default",
)

#: Columns read as ordered categoricals, by table: the column and whose order it takes.
_ORDERED = {
    "transitions": {"from": "states", "to": "states"},
    "timeline": {"stage": "stages"},
}

_STAT_COLUMNS = ("mean", "sd", "se", "p5", "p50", "p95", "p99", "p99_9", "n")


def _read_json(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        value = json.load(f)
    if not isinstance(value, dict):
        raise ValueError(f"{path} is not a JSON object")
    return value


class _Tables:
    """Lazily read Parquet tables of one folder, by file stem."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._cache: dict[str, pl.DataFrame] = {}

    def names(self) -> list[str]:
        return sorted(p.stem for p in self._folder.glob("*.parquet"))

    def get(self, name: str) -> pl.DataFrame:
        if name not in self._cache:
            path = self._folder / f"{name}.parquet"
            if not path.is_file():
                known = ", ".join(self.names()) or "none"
                raise KeyError(f"no table `{name}` in {self._folder} (its tables: {known})")
            self._cache[name] = pl.read_parquet(path)
        return self._cache[name]


class Folder:
    """A folder arrears wrote: its manifest, tables (Parquet, read on first use), charts and
    report. :class:`Result`, :class:`Comparison` and :class:`Calibration` are folders."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._manifest: Optional[dict[str, Any]] = None
        self._tables = _Tables(self.folder)

    @property
    def manifest(self) -> dict[str, Any]:
        """``manifest.json``: format, version, kind, and every file's SHA-256, size and rows."""
        if self._manifest is None:
            self._manifest = _read_json(self.folder / "manifest.json")
        return self._manifest

    @property
    def report_path(self) -> Path:
        """``report.html``, the self-contained report."""
        return self.folder / "report.html"

    @property
    def charts(self) -> dict[str, Path]:
        """Every chart, by name, as its PNG file (an SVG of the same name sits beside it)."""
        return {p.stem: p for p in sorted(self.folder.glob("*.png"))}

    @property
    def tables(self) -> list[str]:
        """The names of the folder's tables (its Parquet files)."""
        return self._tables.names()

    def table(self, name: str) -> pl.DataFrame:
        """A table by name."""
        return self._tables.get(name)

    def __repr__(self) -> str:
        return f"<arrears {self.manifest.get('kind')} in {self.folder}>"

    def _repr_html_(self) -> str:
        return (
            f"<p>arrears {html.escape(str(self.manifest.get('kind')))} in "
            f"<code>{html.escape(str(self.folder))}</code>; tables: "
            f"{html.escape(', '.join(self.tables))}</p>"
        )


class Result(Folder):
    """One run's result folder (``arrears run``, ``arrears merge``, or one scenario of a stress
    set), or the top folder of a stress set.

    Tables are polars DataFrames, read on first use (``.to_pandas()`` on any of them gives
    pandas). Use :func:`arrears.open_result` to open a folder written earlier.
    """

    def __init__(self, folder: str | Path) -> None:
        super().__init__(folder)
        self._summary_json: Optional[dict[str, Any]] = None

    # -- what the folder is -------------------------------------------------------------
    @property
    def kind(self) -> str:
        """``run`` or ``stress_set``."""
        return str(self.manifest.get("kind"))

    @property
    def summary_json(self) -> dict[str, Any]:
        """``summary.json`` as written."""
        if self._summary_json is None:
            self._summary_json = _read_json(self.folder / "summary.json")
        return self._summary_json

    @property
    def facts(self) -> dict[str, Any]:
        """The run's facts: scenario, its SHA-256, seed, paths, version, threads, run time."""
        return dict(self.summary_json["run"])

    @property
    def name(self) -> str:
        """The scenario's name."""
        return str(self.facts["scenario_name"])

    @property
    def warnings(self) -> list[str]:
        """What the run warned of (too few tail paths, clipped rows, ...)."""
        return list(self.summary_json.get("warnings", []))

    @property
    def scenario_path(self) -> Path:
        """``scenario.toml``, the scenario as run."""
        return self.folder / "scenario.toml"

    # -- stress sets ----------------------------------------------------------------------
    @property
    def scenarios(self) -> dict[str, "Result"]:
        """A stress set's scenarios, by name, each a run :class:`Result` (empty for a run)."""
        if self.kind != "stress_set":
            return {}
        return {
            str(name): Result(self.folder / str(name))
            for name in self.summary_json.get("scenarios", [])
        }

    # -- figures ----------------------------------------------------------------------------
    @property
    def summary(self) -> pl.DataFrame:
        """Every figure with its estimate: ``figure, label, unit, description, mean, sd, se,
        p5, p50, p95, p99, p99_9, n``; a stress set's has a ``scenario`` column first."""
        if self.kind == "stress_set":
            frames = [
                r.summary.select(pl.lit(name).alias("scenario"), pl.all())
                for name, r in self.scenarios.items()
            ]
            return pl.concat(frames)
        rows = []
        for key, f in self.summary_json["figures"].items():
            row = {
                "figure": key,
                "label": f.get("label"),
                "unit": f.get("unit"),
                "description": f.get("description"),
            }
            for c in _STAT_COLUMNS:
                row[c] = f.get(c)
            rows.append(row)
        schema = {
            "figure": pl.String,
            "label": pl.String,
            "unit": pl.String,
            "description": pl.String,
            **{c: pl.Float64 for c in _STAT_COLUMNS if c != "n"},
            "n": pl.UInt64,
        }
        return pl.DataFrame(rows, schema=schema, orient="row")

    def figure(self, name: str) -> dict[str, Any]:
        """One figure's estimate as a dict (``mean``, ``se``, ``p5`` ... ``p99_9``)."""
        figures = self.summary_json.get("figures", {})
        if name not in figures:
            raise KeyError(f"no figure `{name}` (figures: {', '.join(figures)})")
        return dict(figures[name])

    @property
    def tail(self) -> pl.DataFrame:
        """Value at risk and expected shortfall with their confidence intervals, per figure and
        level: ``figure, level, var, var_ci_low, var_ci_high, expected_shortfall,
        expected_shortfall_ci_low, expected_shortfall_ci_high, tail_paths``."""
        rows = []
        s = self.summary_json
        for t in s.get("net_credit_loss_tail") or []:
            rows.append({"figure": "net_credit_loss", **t})
        for figure, tails in (s.get("write_off_tails") or {}).items():
            for t in tails:
                rows.append({"figure": figure, **t})
        columns = [
            "figure",
            "level",
            "var",
            "var_ci_low",
            "var_ci_high",
            "expected_shortfall",
            "expected_shortfall_ci_low",
            "expected_shortfall_ci_high",
            "tail_paths",
        ]
        schema: dict[str, Any] = {c: pl.Float64 for c in columns}
        schema["figure"] = pl.String
        schema["tail_paths"] = pl.UInt64
        return pl.DataFrame(
            [{c: r.get(c) for c in columns} for r in rows], schema=schema, orient="row"
        )

    # -- tables -----------------------------------------------------------------------------
    def table(self, name: str) -> pl.DataFrame:
        """A table by name (``paths``, ``timeline``, ``write_offs``, ...).

        State and stage columns are ordered categoricals (``pl.Enum``) in the scenario's
        order, so sorting and charts follow current, the buckets, then the end states.
        """
        frame = self._tables.get(name)
        casts = []
        for column, order in _ORDERED.get(name, {}).items():
            levels = self.states if order == "states" else self.stages
            if column in frame.columns and levels:
                casts.append(pl.col(column).cast(pl.Enum(levels)))
        return frame.with_columns(casts) if casts else frame

    @property
    def states(self) -> list[str]:
        """The scenario's states in its order (current, the buckets, the end states)."""
        return list((self.summary_json.get("display") or {}).get("states") or [])

    @property
    def stages(self) -> list[str]:
        """The scenario's stages in order (early, mid, late, ...)."""
        return list((self.summary_json.get("display") or {}).get("stages") or [])

    @property
    def paths(self) -> pl.DataFrame:
        """One row per path: every figure's value on that path."""
        return self.table("paths")

    @property
    def outcomes(self) -> pl.DataFrame:
        """Every path's outcome as the run recorded it (``outcomes.parquet``)."""
        return self.table("outcomes")

    @property
    def timeline(self) -> pl.DataFrame:
        """Balances and counts by month, state and stage (long format)."""
        return self.table("timeline")

    @property
    def write_offs(self) -> pl.DataFrame:
        """Gross and net write-offs by month and segment, with cumulative sums."""
        return self.table("write_offs")

    @property
    def recovery_curve(self) -> pl.DataFrame:
        """Cumulative recovery by months since charge-off."""
        return self.table("recovery_curve")

    @property
    def recovery_by_group(self) -> pl.DataFrame:
        """Recovery rates and loss given default by segment, stage and vintage."""
        return self.table("recovery_by_group")

    @property
    def transitions(self) -> pl.DataFrame:
        """The transition matrices the run used, one row per (segment, from, to)."""
        return self.table("transitions")

    @property
    def vintage_curves(self) -> pl.DataFrame:
        """Cumulative write-offs by vintage and month on book."""
        return self.table("vintage_curves")

    @property
    def stage_flow(self) -> pl.DataFrame:
        """Loans and balance by stage and outcome, month by month."""
        return self.table("stage_flow")

    @property
    def convergence(self) -> pl.DataFrame:
        """The running mean and its standard error as paths accumulate."""
        return self.table("convergence")

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    # -- display --------------------------------------------------------------------------------
    def __repr__(self) -> str:
        if self.kind == "stress_set":
            return f"<arrears stress set {self.name!r}: {', '.join(self.scenarios)} in {self.folder}>"
        f = self.facts
        return (
            f"<arrears result {self.name!r}: {f['paths']} paths x {f['horizon_months']} months, "
            f"seed {f['seed']}, in {self.folder}>"
        )

    def _repr_html_(self) -> str:
        """The headline figures and the loss-distribution chart, for a notebook."""
        if self.kind == "stress_set":
            parts = [f"<h4>Stress set {html.escape(self.name)}</h4>"]
            parts += [r._repr_html_() for r in self.scenarios.values()]
            return "\n".join(parts)
        f = self.facts
        figures = self.summary_json["figures"]
        currency = (self.summary_json.get("display") or {}).get("currency") or ""
        rows = []
        for key in HEADLINE:
            if key not in figures:
                continue
            x = figures[key]
            rows.append(
                "<tr><td style='text-align:left'>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
                    html.escape(str(x.get("label", key))),
                    _fmt(x.get("mean"), x.get("unit"), currency),
                    _fmt(x.get("se"), x.get("unit"), currency),
                    _fmt(x.get("p5"), x.get("unit"), currency),
                    _fmt(x.get("p95"), x.get("unit"), currency),
                )
            )
        title = html.escape(str((self.summary_json.get("display") or {}).get("title") or self.name))
        head = (
            f"<h4>{title}</h4><p>{f['paths']:,} paths x {f['horizon_months']} months, seed "
            f"{f['seed']}, {f['loans']:,} loans; <code>{html.escape(str(self.folder))}</code></p>"
        )
        table = (
            "<table><thead><tr><th style='text-align:left'>figure</th><th>mean</th>"
            "<th>standard error</th><th>5%</th><th>95%</th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table>"
        )
        chart = ""
        png = self.folder / "loss_distribution.png"
        if png.is_file():
            data = base64.b64encode(png.read_bytes()).decode("ascii")
            chart = f"<img src='data:image/png;base64,{data}' style='max-width:640px' alt='loss distribution'/>"
        warn = "".join(f"<p><b>warning:</b> {html.escape(w)}</p>" for w in self.warnings)
        return head + table + chart + warn


def _fmt(value: Any, unit: Any, currency: str) -> str:
    if value is None:
        return "n/a"
    v = float(value)
    if v != v:
        return "n/a"
    if unit == "fraction":
        return f"{v * 100:,.2f}%"
    if unit == "currency":
        return f"{currency}{v:,.0f}"
    if unit == "loans":
        return f"{v:,.0f}"
    return f"{v:,.4g}"


class Comparison(Folder):
    """``arrears compare``: paired differences of runs against the first."""


class Calibration(Folder):
    """``arrears calibrate``: the estimated scenario and its report."""

    @property
    def scenario_path(self) -> Path:
        """The scenario calibration wrote, ready for :func:`arrears.run`."""
        return self.folder / "scenario.toml"


class Sweep(Folder):
    """A sweep's folder (``arrears sweep``): the long table of every figure at every point
    (one column per varied key), the paired differences, and each point's own :class:`Result`.
    """

    @property
    def sweep_json(self) -> dict[str, Any]:
        """``sweep.json``: the varied keys, the points and their folders, the reference."""
        return _read_json(self.folder / "sweep.json")

    @property
    def keys(self) -> list[str]:
        """The varied keys, by dotted path (also the key columns of :attr:`table_long`)."""
        return [str(k["key"]) for k in self.sweep_json["keys"]]

    @property
    def long(self) -> pl.DataFrame:
        """``sweep.parquet``: ``sweep_point``, one column per varied key, ``figure``, ``mean``,
        ``se``, percentiles, VaR and expected shortfall where the figure has them."""
        return self.table("sweep")

    @property
    def differences(self) -> pl.DataFrame:
        """``sweep_differences.parquet``: each point against the reference and the previous
        point, with paired standard errors."""
        return self.table("sweep_differences")

    def figure(self, name: str) -> pl.DataFrame:
        """One figure at every point: the key columns, ``mean``, ``se``, ``p5``, ``p95``."""
        return self.long.filter(pl.col("figure") == name).select(
            ["sweep_point", *self.keys, "mean", "se", "p5", "p50", "p95"]
        )

    @property
    def points(self) -> list[Result]:
        """Each point's result folder, in point order."""
        return [Result(self.folder / str(p["folder"])) for p in self.sweep_json["points"]]


class Solution(Folder):
    """A solve's folder (``arrears solve``): one root per series (the figure, or each sale
    point and segment of a named condition), its interval, every evaluation."""

    @property
    def solve_json(self) -> dict[str, Any]:
        """``solve.json``: the key, ``target_name``, ``label``, ``unit``, ``target``, the
        range (``low``, ``high``), ``integer`` and the number of ``series``."""
        return _read_json(self.folder / "solve.json")

    @property
    def roots(self) -> pl.DataFrame:
        """One row per series: ``point``, ``dpd`` and ``segment`` (null for a figure),
        ``status`` (``solved``, ``not converged``, ``above the target at both ends``, ...),
        ``root``, ``root_se``, ``ci_low``, ``ci_high``, the final bracket, the ``slope``, the
        figure at both ends of the range, and the runs used."""
        return self.table("solve_roots")

    def _one(self) -> dict[str, Any]:
        roots = self.roots
        if roots.height != 1:
            raise ValueError(
                f"{self.folder} solved {roots.height} series (a named condition has a root "
                "per sale point and segment): read `.roots`"
            )
        return roots.row(0, named=True)

    @property
    def root(self) -> float:
        """The key's value at which the figure reaches the target (one series only; NaN when
        it was not reached)."""
        value = self._one()["root"]
        return float("nan") if value is None else float(value)

    @property
    def interval(self) -> tuple[float, float]:
        """The root's 95% confidence interval (NaN for a whole-number key)."""
        row = self._one()
        low, high = row["ci_low"], row["ci_high"]
        return (
            float("nan") if low is None else float(low),
            float("nan") if high is None else float(high),
        )

    @property
    def evaluations(self) -> pl.DataFrame:
        """Every run and series: ``evaluation`` (the run), the series' ``point``, ``dpd`` and
        ``segment``, the key's ``value``, the figure's ``mean`` and ``se``."""
        return self.table("solve_evaluations")
