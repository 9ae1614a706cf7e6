"""arrears: Monte Carlo simulation of loan books in collection, from Python.

The package drives the ``arrears`` binary that its wheel installs and reads the result folders
it writes as polars DataFrames::

    import arrears
    result = arrears.run("scenarios/baseline.toml", paths=200, seed=7)
    result.summary                     # every figure: mean, sd, se, p5 ... p99_9
    result.timeline.to_pandas()        # any table, in pandas too

Each call is one process and a Parquet round trip: the Rust engine never shares memory with
Python, so the package works with any polars or pandas version (docs: python/README.md).
"""

from __future__ import annotations

import os
import sys
from importlib import metadata as _metadata
from pathlib import Path
from typing import Any, Mapping, Optional, Union

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ._errors import (
    ArrearsError,
    DataError,
    Problem,
    ResultError,
    RunError,
    ScenarioError,
    UsageError,
)
from ._process import ArrearsWarning, call
from ._result import Calibration, Comparison, Result, Solution, Sweep
from ._toml import dumps, toml_value

try:
    __version__ = _metadata.version("arrears")
except _metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
    __version__ = "0+unknown"

__all__ = [
    "ArrearsError",
    "ArrearsWarning",
    "Calibration",
    "Comparison",
    "DataError",
    "Problem",
    "Result",
    "ResultError",
    "RunError",
    "ScenarioError",
    "Solution",
    "Sweep",
    "UsageError",
    "binary_version",
    "calibrate",
    "compare",
    "init",
    "merge",
    "open_result",
    "report",
    "run",
    "solve",
    "sweep",
    "validate",
]

#: A scenario: a path to a TOML file, TOML text, or the scenario as a dict.
Scenario = Union[str, "os.PathLike[str]", Mapping[str, Any]]


class _Input:
    """A scenario as the binary takes it: a file argument, or text on stdin (`-`), whose
    relative paths are then taken from the current folder."""

    def __init__(self, arg: str, stdin: Optional[str], name: Optional[str]):
        self.arg = arg
        self.stdin = stdin
        self.name = name


def _looks_like_toml(text: str) -> bool:
    return "\n" in text or ("=" in text and not os.path.exists(text))


def _scenario_input(scenario: Scenario) -> _Input:
    if isinstance(scenario, Mapping):
        doc = _deep_copy(scenario)
        return _Input("-", dumps(doc), _name_of(doc))
    if isinstance(scenario, str) and _looks_like_toml(scenario):
        return _Input("-", scenario, _name_of(_parse_toml(scenario, "the scenario text")))
    return _Input(str(Path(os.fspath(scenario))), None, None)


def _set_args(overrides: Optional[Mapping[str, Any]]) -> list[str]:
    """``--set KEY=VALUE`` for each override, the value written as TOML."""
    args: list[str] = []
    for key, value in (overrides or {}).items():
        args += ["--set", f"{key}={toml_value(value)}"]
    return args


def _parse_toml(text: str, what: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(
            f"{what} is not valid TOML: {e}",
            hint="fix the TOML syntax (docs/SCENARIOS.md shows the format)",
            exit_code=2,
            kind="scenario",
        ) from e


def _deep_copy(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {str(k): _deep_copy(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_deep_copy(v) for v in x]
    return x


def _name_of(doc: Mapping[str, Any]) -> Optional[str]:
    sim = doc.get("simulation")
    name = sim.get("name") if isinstance(sim, Mapping) else None
    return name if isinstance(name, str) else None


def _absolute(path: Union[str, "os.PathLike[str]"]) -> str:
    return str(Path(os.fspath(path)).absolute())


def run(
    scenario: Scenario,
    *,
    paths: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    out: Union[str, "os.PathLike[str]", None] = None,
    force: bool = False,
    posterior: bool = False,
    set: Optional[Mapping[str, Any]] = None,  # noqa: A002 - the CLI's word
) -> Result:
    """Simulates a scenario and returns its result folder.

    Args:
        scenario: a scenario file's path, the scenario as TOML text, or as a dict (as
            ``tomllib`` reads one). Relative paths in text or a dict (a loan tape) are relative
            to the current folder; in a file, to the file's folder.
        paths: Monte Carlo paths (overrides ``simulation.paths``).
        seed: random seed (overrides ``simulation.seed``); the same seed gives the same bytes.
        threads: worker threads; results do not depend on it.
        out: the result folder [default: ``output/<simulation.name>`` in the current folder].
        force: replace ``out`` if it holds an earlier result (never anything else).
        posterior: draw each path's transition matrices from the calibration posterior.
        set: scenario keys to change, by dotted path, e.g. ``{"debt_sale.price": 0.05,
            "segments.subprime.book.loans": 50000, "actions.calls.cost_per_account": 2}``
            (an array of tables is addressed by its elements' ``name``): the command line's
            ``--set``, checked like the file, a problem in one naming it.

    Raises:
        ScenarioError: the scenario is invalid (``.problems`` has each file:line).
        DataError: the loan tape cannot be read or is invalid.
        ResultError: ``out`` exists (pass ``force=True``) or is not a result folder.
        RunError: the run failed or was killed; no result folder is left.
    """
    source = _scenario_input(scenario)
    args = ["run", source.arg, "--quiet", *_set_args(set)]
    if paths is not None:
        args += ["--paths", str(int(paths))]
    if seed is not None:
        args += ["--seed", str(int(seed))]
    if threads is not None:
        args += ["--threads", str(int(threads))]
    if out is None:
        # The binary's default, made absolute so that the Result can find it.
        name = source.name
        if name is None:
            try:
                name = _name_of(tomllib.loads(Path(source.arg).read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                name = None  # the binary says what is wrong with the file
        out = Path("output") / str(name or "result")
    out_dir = _absolute(out)
    args += ["--out", out_dir]
    if force:
        args.append("--force")
    if posterior:
        args.append("--posterior")
    call(args, stdin=source.stdin)
    return Result(Path(out_dir))


def _default_out(source: "_Input", suffix: str) -> Path:
    """The binary's default folder, ``output/<simulation.name><suffix>``."""
    name = source.name
    if name is None:
        try:
            name = _name_of(tomllib.loads(Path(source.arg).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            name = None
    return Path("output") / f"{name or 'result'}{suffix}"


def sweep(
    scenario: Scenario,
    *,
    vary: Optional[Mapping[str, Any]] = None,
    zip: bool = False,  # noqa: A002 - the CLI's word
    reference: Optional[int] = None,
    figures: Optional[list[str]] = None,
    paths: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    out: Union[str, "os.PathLike[str]", None] = None,
    force: bool = False,
    set: Optional[Mapping[str, Any]] = None,  # noqa: A002
) -> Sweep:
    """Runs a scenario at every point of a grid of key values on common random numbers.

    Args:
        vary: each key (dotted path) and its values: a list (``[0.02, 0.04]``) or a range
            string (``"0.02..0.08/0.01"``); replaces the scenario's ``[sweep]`` keys. Without
            it, the scenario's ``[sweep]`` runs.
        zip: take the i-th value of every key together instead of every combination.
        reference: the point the others are compared with (default 0, or the file's).
        figures: figures to chart against the first key.
        paths, seed, threads, out, force, set: as for :func:`run`; ``out`` defaults to
            ``output/<simulation.name>-sweep``.

    Raises:
        ScenarioError: the scenario, or the scenario at some point, is invalid.
        UsageError: a bad ``vary``, reference or figure.
    """
    source = _scenario_input(scenario)
    args = ["sweep", source.arg, "--quiet", *_set_args(set)]
    for key, values in (vary or {}).items():
        if isinstance(values, str):
            spec = values
        else:
            spec = ",".join(toml_value(v) for v in values)
        args += ["--vary", f"{key}={spec}"]
    if zip:
        args.append("--zip")
    if reference is not None:
        args += ["--reference", str(int(reference))]
    for f in figures or []:
        args += ["--figure", f]
    if paths is not None:
        args += ["--paths", str(int(paths))]
    if seed is not None:
        args += ["--seed", str(int(seed))]
    if threads is not None:
        args += ["--threads", str(int(threads))]
    out_dir = _absolute(out if out is not None else _default_out(source, "-sweep"))
    args += ["--out", out_dir]
    if force:
        args.append("--force")
    call(args, stdin=source.stdin)
    return Sweep(Path(out_dir))


def solve(
    scenario: Scenario,
    *,
    key: str,
    low: float,
    high: float,
    figure: str,
    target: Optional[float] = None,
    tolerance: Optional[float] = None,
    paths: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    out: Union[str, "os.PathLike[str]", None] = None,
    force: bool = False,
    set: Optional[Mapping[str, Any]] = None,  # noqa: A002
) -> Solution:
    """Finds the value of ``key`` in ``[low, high]`` at which ``figure`` reaches ``target``
    (every run on the scenario's seed), with a 95% interval. Whole-number ends search whole
    values when the key takes only whole values. ``out`` defaults to
    ``output/<simulation.name>-solve``.

    ``figure`` is a figure's name (its mean), a tail measure of a loss figure
    (``"net_credit_loss.var_99"``, ``"net_credit_loss.es_99"``; levels 95, 99, 99_9), or a
    named condition of the disposition study with no ``target``: ``"sale_beats_hold"`` (the
    price at which selling equals holding, at each sale point and for each segment) or
    ``"buyer_makes_hurdle"`` (where the buyer's fair price at its hurdle equals the quoted
    price). A named condition has one root per series: read ``Solution.roots``.

    Raises:
        UsageError: a figure's target is not reached in the range (the message gives the
            figure at both ends), or a bad key, figure or range.
    """
    named = figure in ("sale_beats_hold", "buyer_makes_hurdle")
    if named and target is not None:
        raise ValueError(f"`{figure}` is a named condition: give no target")
    if not named and target is None:
        raise ValueError(f"`{figure}` needs a target value")
    source = _scenario_input(scenario)
    args = [
        "solve",
        source.arg,
        "--quiet",
        *_set_args(set),
        "--vary",
        f"{key}={toml_value(low)}..{toml_value(high)}",
        "--target",
        figure if target is None else f"{figure}={float(target)!r}",
    ]
    if tolerance is not None:
        args += ["--tolerance", repr(float(tolerance))]
    if paths is not None:
        args += ["--paths", str(int(paths))]
    if seed is not None:
        args += ["--seed", str(int(seed))]
    if threads is not None:
        args += ["--threads", str(int(threads))]
    out_dir = _absolute(out if out is not None else _default_out(source, "-solve"))
    args += ["--out", out_dir]
    if force:
        args.append("--force")
    call(args, stdin=source.stdin)
    return Solution(Path(out_dir))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(
            f"cannot read scenario `{path}`: {e}",
            hint="give the path of a scenario file (TOML, UTF-8)",
            exit_code=2,
            kind="scenario",
        ) from e


def validate(scenario: Scenario, *, set: Optional[Mapping[str, Any]] = None) -> list[Problem]:  # noqa: A002
    """Checks a scenario (and its loan tape) and returns every problem; empty when valid.

    Each :class:`Problem` has the file, line, column, message and hint the CLI shows.
    """
    source = _scenario_input(scenario)
    try:
        call(["validate", source.arg, *_set_args(set)], stdin=source.stdin)
    except (ScenarioError, DataError) as e:
        if e.problems:
            return list(e.problems)
        return [Problem(file=str(scenario) if not isinstance(scenario, Mapping) else "<dict>", message=e.message, hint=e.hint)]
    return []


def open_result(folder: Union[str, "os.PathLike[str]"]) -> Result:
    """Opens a result folder written earlier, after checking every file against its manifest.

    Raises:
        ResultError: a file was changed, deleted or added since arrears wrote it, or the folder
            is of another format version or not a run's result.
    """
    path = Path(os.fspath(folder))
    call(["verify", str(path)])
    result = Result(path)
    if result.kind not in ("run", "stress_set"):
        raise ResultError(
            f"`{path}` is a {result.kind} folder, not a run's result",
            hint="open a folder `arrears.run` or `arrears run` wrote",
            exit_code=2,
            kind="result",
        )
    return result


def merge(
    *parts: Union[str, "os.PathLike[str]"],
    out: Union[str, "os.PathLike[str]"],
    force: bool = False,
) -> Union[Result, Sweep]:
    """Merges the parts of a sharded run or sweep (folders of parts, or part folders; from
    ``arrears run --shard`` or ``arrears sweep --shard``) into ``out``: the same bytes as on
    one machine. Returns the run's ``Result``, or the ``Sweep``."""
    args = ["merge", *(_absolute(p) for p in parts), "--out", _absolute(out), "--quiet"]
    if force:
        args.append("--force")
    call(args)
    folder = Path(_absolute(out))
    if (folder / "sweep.json").is_file():
        return Sweep(folder)
    return Result(folder)


def compare(
    *results: Union[Result, str, "os.PathLike[str]"],
    out: Union[str, "os.PathLike[str]", None] = None,
    force: bool = False,
) -> Comparison:
    """Compares two or more results (the first is the reference): paired differences with
    standard errors, overlay charts and a report. Returns the comparison folder."""
    folders = [_absolute(r.folder if isinstance(r, Result) else r) for r in results]
    if len(folders) < 2:
        raise UsageError("compare needs at least two results", kind="usage", exit_code=2)
    args = ["compare", *folders, "--quiet"]
    if out is None:
        out = Path("output") / ("compare-" + "-vs-".join(Path(f).name for f in folders))
    args += ["--out", _absolute(out)]
    if force:
        args.append("--force")
    call(args)
    return Comparison(Path(_absolute(out)))


def calibrate(
    calibration: Union[str, "os.PathLike[str]"],
    *,
    panel: Union[str, "os.PathLike[str]", None] = None,
    out: Union[str, "os.PathLike[str]", None] = None,
    force: bool = False,
) -> Calibration:
    """Estimates a scenario from a loan performance history; returns the calibration folder,
    whose ``scenario_path`` :func:`run` takes."""
    cal = _parse_toml(_read(Path(calibration)), f"`{calibration}`")
    args = ["calibrate", _absolute(calibration), "--quiet"]
    if panel is not None:
        args += ["--panel", _absolute(panel)]
    if out is None:
        name = (cal.get("scenario") or {}).get("name") if isinstance(cal.get("scenario"), Mapping) else None
        out = Path("output") / f"{name or 'calibrated'}-calibration"
    args += ["--out", _absolute(out)]
    if force:
        args.append("--force")
    call(args)
    return Calibration(Path(_absolute(out)))


def report(result: Union[Result, str, "os.PathLike[str]"]) -> Path:
    """Rebuilds a result folder's ``report.html`` and ``report.md`` from its files."""
    folder = result.folder if isinstance(result, Result) else Path(os.fspath(result))
    call(["report", str(folder), "--quiet"])
    return folder / "report.html"


def init(name: str = "my_book", *, dir: Union[str, "os.PathLike[str]"] = ".") -> list[Path]:  # noqa: A002
    """Writes a commented starter scenario ``NAME.toml`` and a tape template
    ``NAME-tape.csv`` in ``dir`` (never over an existing file); returns their paths."""
    out = call(["init", name, "--dir", _absolute(dir)])
    return [Path(line) for line in out.splitlines() if line.strip()]


def binary_version() -> str:
    """The version of the ``arrears`` binary this package drives."""
    return call(["--version"]).strip()
