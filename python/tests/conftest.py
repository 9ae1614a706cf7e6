"""Shared fixtures: the repository's scenarios, and one small baseline run for the session.

The tests drive the binary the installed wheel carries (``.ci/python`` builds the wheel and
installs it into a fresh virtual environment), or ``ARREARS_BINARY`` when set.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import arrears

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"
PATHS = 40
SEED = 11


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> arrears.Result:
    out = tmp_path_factory.mktemp("runs") / "baseline"
    with pytest.warns(arrears.ArrearsWarning):  # 40 paths are too few for the 99.9% tail
        return arrears.run(SCENARIOS / "baseline.toml", paths=PATHS, seed=SEED, out=out)
