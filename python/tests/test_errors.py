"""Bad input raises the exception for its kind with the command line's own message, file:line
and hint; failed and interrupted runs leave no folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import arrears
from conftest import SCENARIOS


def test_an_invalid_scenario_raises_with_each_problems_line(tmp_path: Path) -> None:
    text = (SCENARIOS / "baseline.toml").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("paths = 1000", "paths = -5\npathz = 3"))
    with pytest.raises(arrears.ScenarioError) as caught:
        arrears.run(bad, out=tmp_path / "out")
    e = caught.value
    assert e.exit_code == 2 and e.kind == "scenario"
    assert "bad.toml" in e.message
    lines = {p.line for p in e.problems}
    line_of = {n: i + 1 for i, l in enumerate(bad.read_text().splitlines()) for n in [l]}
    assert line_of["pathz = 3"] in lines
    assert all(p.file == str(bad) for p in e.problems)
    assert any("pathz" in p.message for p in e.problems)
    assert not (tmp_path / "out").exists()
    # validate returns the same problems instead of raising.
    problems = arrears.validate(bad)
    assert [str(p) for p in problems] == [str(p) for p in e.problems]
    assert str(problems[0]).startswith(f"{bad}:")


def test_a_missing_file_a_bad_tape_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(arrears.ScenarioError, match="no/such.toml"):
        arrears.run("no/such.toml")
    with pytest.raises(arrears.ScenarioError, match="not valid TOML"):
        arrears.run("version = 1\n[simulation\n")
    tape_scenario = (SCENARIOS / "tape.toml").read_text()
    tape = tmp_path / "data" / "tape.csv"
    tape.parent.mkdir()
    tape.write_text("loan_id,segment,balance\nA,prime,-3\n")
    (tmp_path / "tape.toml").write_text(tape_scenario)
    with pytest.raises(arrears.DataError) as caught:
        arrears.run(tmp_path / "tape.toml", out=tmp_path / "out")
    assert "tape.csv" in caught.value.message
    assert caught.value.hint


def test_a_folder_in_the_way_is_never_replaced(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    for force in (False, True):
        with pytest.raises(arrears.ResultError):
            arrears.run(SCENARIOS / "baseline.toml", paths=4, out=mine, force=force)
    assert (mine / "notes.txt").read_text() == "keep"


def test_a_changed_folder_is_refused_on_open(baseline: arrears.Result, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(baseline.folder, copy)
    arrears.open_result(copy)
    csv = copy / "paths.csv"
    csv.write_text(csv.read_text().replace("\n1,", "\n2,", 1))
    with pytest.raises(arrears.ResultError, match="paths.csv"):
        arrears.open_result(copy)


def test_an_interrupted_run_leaves_no_folder(tmp_path: Path) -> None:
    out = tmp_path / "big"
    script = textwrap.dedent(
        f"""
        import arrears
        try:
            arrears.run({str(SCENARIOS / "baseline.toml")!r}, paths=100000, out={str(out)!r})
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            raise SystemExit(130)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(2.5)
    assert child.poll() is None, child.communicate()
    # Ctrl-C in a terminal: SIGINT to the whole foreground process group.
    os.killpg(child.pid, signal.SIGINT)
    stdout, stderr = child.communicate(timeout=60)
    assert child.returncode == 130, (stdout, stderr)
    assert "interrupted" in stdout
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == [], "a temporary folder was left behind"


def test_a_killed_run_raises_and_leaves_no_result(tmp_path: Path, monkeypatch) -> None:
    import threading

    import arrears._process as process

    out = tmp_path / "killed"
    started: list[subprocess.Popen] = []
    real_popen = subprocess.Popen

    def spy(*args, **kwargs):
        proc = real_popen(*args, **kwargs)
        started.append(proc)
        return proc

    monkeypatch.setattr(process.subprocess, "Popen", spy)
    threading.Timer(2.0, lambda: started[0].kill()).start()
    with pytest.raises(arrears.RunError, match="SIGKILL"):
        arrears.run(SCENARIOS / "baseline.toml", paths=100000, out=out)
    assert not out.exists()
