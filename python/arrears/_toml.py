"""Scenario text from a dict, and Python values as TOML for ``--set``.

Python's standard library reads TOML (``tomllib``) but does not write it; this writes the subset
a scenario uses: tables, arrays of tables, arrays, inline tables, strings, numbers, booleans.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from typing import Any, Mapping

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: str) -> str:
    return k if _BARE_KEY.match(k) else json.dumps(k, ensure_ascii=False)


def toml_value(v: Any) -> str:
    """``v`` as a TOML value (``--set`` takes values in TOML)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return v.isoformat()
    if isinstance(v, Mapping):
        inner = ", ".join(f"{_key(str(k))} = {toml_value(x)}" for k, x in v.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    # numpy scalars and the like
    if hasattr(v, "item"):
        return toml_value(v.item())
    raise TypeError(f"cannot write {type(v).__name__} {v!r} as TOML")


def _is_table_array(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and len(v) > 0 and all(isinstance(x, Mapping) for x in v)


def _table(lines: list[str], path: list[str], table: Mapping[str, Any], header: str | None) -> None:
    scalars = [(k, v) for k, v in table.items() if not isinstance(v, Mapping) and not _is_table_array(v)]
    tables = [(k, v) for k, v in table.items() if isinstance(v, Mapping)]
    arrays = [(k, v) for k, v in table.items() if _is_table_array(v)]
    if header is not None and (scalars or not (tables or arrays)):
        if lines:
            lines.append("")
        lines.append(header)
    for k, v in scalars:
        lines.append(f"{_key(str(k))} = {toml_value(v)}")
    for k, v in tables:
        sub = path + [str(k)]
        _table(lines, sub, v, "[" + ".".join(_key(p) for p in sub) + "]")
    for k, items in arrays:
        sub = path + [str(k)]
        for item in items:
            if lines:
                lines.append("")
            lines.append("[[" + ".".join(_key(p) for p in sub) + "]]")
            _table(lines, sub, item, None)


def dumps(doc: Mapping[str, Any]) -> str:
    """TOML text for ``doc`` (a scenario as nested dicts and lists)."""
    lines: list[str] = []
    _table(lines, [], doc, None)
    return "\n".join(lines) + "\n"
