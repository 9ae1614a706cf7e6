"""Where the ``arrears`` binary is: the one this package's wheel installed, or ``ARREARS_BINARY``."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

_EXE = "arrears.exe" if sys.platform == "win32" else "arrears"


def find_binary() -> str:
    """The path of the ``arrears`` binary.

    In order: the ``ARREARS_BINARY`` environment variable (a developer's cargo build); the
    scripts folder of this interpreter's installation (where the wheel puts it, also in a
    virtual environment); the user scheme's scripts folder (``pip install --user``); ``arrears``
    on ``PATH``.
    """
    override = os.environ.get("ARREARS_BINARY")
    if override:
        if not (os.path.isfile(override) and os.access(override, os.X_OK)):
            raise FileNotFoundError(
                f"ARREARS_BINARY={override!r} is not an executable file; unset it to use the "
                "binary installed with this package"
            )
        return override
    candidates = [Path(sysconfig.get_path("scripts")) / _EXE]
    user_scheme = {"win32": "nt_user", "darwin": "osx_framework_user"}.get(sys.platform, "posix_user")
    try:
        candidates.append(Path(sysconfig.get_path("scripts", scheme=user_scheme)) / _EXE)
    except KeyError:
        pass
    # A wheel unpacked next to the package (pip install --target DIR) keeps the binary in
    # DIR/bin.
    candidates.append(Path(__file__).resolve().parent.parent / "bin" / _EXE)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    on_path = shutil.which(_EXE)
    if on_path:
        return on_path
    raise FileNotFoundError(
        "the arrears binary was not found: install the arrears wheel (`pip install "
        "arrears-*.whl`), or set ARREARS_BINARY to a binary built with `cargo build --release`"
    )
