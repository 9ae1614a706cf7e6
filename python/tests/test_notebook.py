"""The example notebook runs top to bottom (its cells assert what they show)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import REPO

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")


def test_the_example_notebook_runs(tmp_path: Path) -> None:
    # A copy beside a copy of the scenarios, so that its output/ does not land in the clone.
    shutil.copytree(REPO / "scenarios", tmp_path / "scenarios")
    examples = tmp_path / "examples"
    examples.mkdir()
    notebook = nbformat.read(REPO / "examples" / "arrears.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(examples)}}
    )
    client.execute()
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert errors == []
    assert (examples / "output" / "compare-price" / "report.html").is_file()
