"""The exceptions ``arrears`` raises, carrying the command's own message, hint and problems."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional


@dataclass(frozen=True)
class Problem:
    """One problem of an input file, with its place when known (1-based line and column)."""

    file: str
    message: str
    line: Optional[int] = None
    column: Optional[int] = None
    hint: Optional[str] = None

    def __str__(self) -> str:
        place = self.file
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        text = f"{place}: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


class ArrearsError(Exception):
    """A command of arrears failed.

    ``message`` and ``hint`` are the command's ``error:`` and ``hint:`` lines, ``problems``
    each problem of an invalid file (with line and column), ``exit_code`` the command's exit
    code (2 for input you can fix, 1 for anything else) and ``kind`` who can fix it
    (``scenario``, ``data``, ``result``, ``usage``, ``io``, ``internal``).
    """

    def __init__(
        self,
        message: str,
        *,
        hint: Optional[str] = None,
        problems: tuple[Problem, ...] = (),
        exit_code: Optional[int] = None,
        kind: str = "internal",
        command: tuple[str, ...] = (),
    ) -> None:
        self.message = message
        self.hint = hint
        self.problems = problems
        self.exit_code = exit_code
        self.kind = kind
        self.command = command
        text = message if not hint else f"{message}\nhint: {hint}"
        super().__init__(text)


class ScenarioError(ArrearsError, ValueError):
    """The scenario (or calibration) file is invalid: fix the file at the lines named."""


class DataError(ArrearsError, ValueError):
    """A data file the scenario reads (a loan tape, a panel) is unreadable or invalid."""


class ResultError(ArrearsError):
    """A result folder was changed, is of another version, is in the way, or its parts do not
    belong together."""


class UsageError(ArrearsError, ValueError):
    """The arguments given to arrears are wrong."""


class RunError(ArrearsError):
    """The command failed for another reason (disk full, killed, a bug in arrears)."""


_BY_KIND = {
    "scenario": ScenarioError,
    "data": DataError,
    "result": ResultError,
    "usage": UsageError,
}


def from_json(payload: dict[str, Any], command: tuple[str, ...]) -> ArrearsError:
    """The exception for the JSON object ``arrears --error-format json`` writes on failure."""
    kind = str(payload.get("kind", "internal"))
    problems = tuple(
        Problem(
            file=str(p.get("file", "")),
            message=str(p.get("message", "")),
            line=p.get("line"),
            column=p.get("column"),
            hint=p.get("hint"),
        )
        for p in payload.get("problems") or ()
    )
    cls = _BY_KIND.get(kind, RunError)
    return cls(
        str(payload.get("message", "arrears failed")),
        hint=payload.get("hint"),
        problems=problems,
        exit_code=payload.get("exit_code"),
        kind=kind,
        command=command,
    )
