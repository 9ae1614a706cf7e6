"""Running the ``arrears`` binary: arguments in, a folder or an exception out."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import warnings
from pathlib import Path
from typing import Optional, Sequence

from ._binary import find_binary
from ._errors import RunError, from_json


class ArrearsWarning(UserWarning):
    """A warning of an arrears run (too few tail paths for a stable 99.9% figure, ...)."""


def call(
    args: Sequence[str],
    *,
    stdin: Optional[str] = None,
    cwd: Optional[Path] = None,
) -> str:
    """Runs ``arrears --error-format json ARGS`` and returns its stdout.

    Warnings on stderr become :class:`ArrearsWarning`; a failure raises the exception for its
    kind (:class:`~arrears.ScenarioError`, :class:`~arrears.DataError`,
    :class:`~arrears.ResultError`, ...) with the command's message and hint. A run that fails
    or is interrupted leaves no result folder: the binary writes into a temporary folder and
    renames it only when complete, and removes it on Ctrl-C.
    """
    command = (find_binary(), "--error-format", "json", *args)
    env = dict(os.environ)
    env.pop("ARREARS_BINARY", None)
    try:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except OSError as e:
        raise RunError(f"cannot start {command[0]}: {e}", command=command) from e
    try:
        out, err = proc.communicate(stdin)
    except BaseException:
        # Ctrl-C in the notebook: the binary got SIGINT too (same process group) or gets it
        # now; it removes its temporary folder before exiting.
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise
    payload = None
    for line in err.splitlines():
        stripped = line.strip()
        if stripped.startswith("{") and stripped.endswith("}"):
            try:
                payload = json.loads(stripped)
                continue
            except json.JSONDecodeError:
                pass
        if stripped.startswith("warning: "):
            warnings.warn(stripped[len("warning: ") :], ArrearsWarning, stacklevel=3)
    if proc.returncode == 0:
        return out
    if payload is not None:
        raise from_json(payload, command)
    if proc.returncode < 0:
        name = signal.Signals(-proc.returncode).name
        raise RunError(
            f"arrears was killed by {name}; no result folder was written",
            exit_code=proc.returncode,
            command=command,
        )
    raise RunError(
        f"arrears failed (exit {proc.returncode}): {err.strip() or 'no message'}",
        exit_code=proc.returncode,
        command=command,
    )
