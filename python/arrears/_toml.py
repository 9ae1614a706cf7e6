"""Scenario text from a dict, and ``set=`` overrides applied to a scenario's TOML by dotted key.

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


def _value(v: Any) -> str:
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
        inner = ", ".join(f"{_key(str(k))} = {_value(x)}" for k, x in v.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    # numpy scalars and the like
    if hasattr(v, "item"):
        return _value(v.item())
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
        lines.append(f"{_key(str(k))} = {_value(v)}")
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


def apply_overrides(doc: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Sets each dotted key of ``overrides`` in ``doc`` (in place) and returns it.

    A part of the key walks into a table by name; into an array of tables (``[[actions]]``,
    ``[[stress.scenarios]]``) by the element's ``name`` or by its index. A missing table on the
    way is created, so a key the scenario did not have can be set (arrears then checks it like
    any key of the file).
    """
    for dotted, value in overrides.items():
        parts = str(dotted).split(".")
        if not all(parts):
            raise ValueError(f"set: `{dotted}` is not a dotted key like `debt_sale.price`")
        node: Any = doc
        walked: list[str] = []
        for part in parts[:-1]:
            walked.append(part)
            node = _step(node, part, dotted, walked)
        last = parts[-1]
        if isinstance(node, list):
            node[_index(node, last, dotted, walked + [last])] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise ValueError(
                f"set: `{dotted}`: `{'.'.join(walked)}` is a value, not a table"
            )
    return doc


def _index(items: list[Any], part: str, dotted: str, walked: list[str]) -> int:
    for i, item in enumerate(items):
        if isinstance(item, Mapping) and item.get("name") == part:
            return i
    if part.isdigit() and int(part) < len(items):
        return int(part)
    names = [str(x.get("name")) for x in items if isinstance(x, Mapping) and "name" in x]
    raise ValueError(
        f"set: `{dotted}`: no element `{part}` in `{'.'.join(walked[:-1])}`"
        + (f" (its names: {', '.join(names)})" if names else f" (it has {len(items)} elements)")
    )


def _step(node: Any, part: str, dotted: str, walked: list[str]) -> Any:
    if isinstance(node, list):
        return node[_index(node, part, dotted, walked)]
    if not isinstance(node, dict):
        raise ValueError(f"set: `{dotted}`: `{'.'.join(walked[:-1])}` is a value, not a table")
    if part not in node:
        node[part] = {}
    return node[part]
