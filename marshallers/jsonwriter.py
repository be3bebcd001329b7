"""Jackson's DefaultPrettyPrinter output, including KIE's raw splices.

Objects: one `"key" : value` per line, 2-space indent; arrays inline `[ a, b ]`; empties `{ }` and `[ ]`;
no trailing newline.  A :class:`Raw` value is written verbatim (KIE splices separately serialized
documents this way, restarting at column 0).
"""
from __future__ import annotations

import decimal

from containers.values import java_double_str

_ESC = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


class Raw(str):
    """Pre-rendered JSON text spliced in as is."""
    __slots__ = ()


def json_string(s: str) -> str:
    if s.isprintable() and '"' not in s and "\\" not in s:
        return f'"{s}"'
    out = []
    for c in s:
        e = _ESC.get(c)
        if e is not None:
            out.append(e)
        elif ord(c) < 32:
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def scalar(v) -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return v if isinstance(v, Raw) else json_string(v)
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float):
        return java_double_str(v)
    if isinstance(v, decimal.Decimal):
        return str(v)
    raise TypeError(f"not a JSON scalar: {type(v).__name__}")


def pretty(value, level: int = 0) -> str:
    out = []
    _write(value, level, out)
    return "".join(out)


def _write(v, level, out):
    if isinstance(v, dict):
        if not v:
            out.append("{ }")
            return
        pad = "  " * (level + 1)
        first = True
        out.append("{")
        for k, x in v.items():
            out.append("\n" if first else ",\n")
            first = False
            out.append(pad)
            out.append(json_string(k))
            out.append(" : ")
            _write(x, level + 1, out)
        out.append("\n" + "  " * level + "}")
    elif isinstance(v, (list, tuple)):
        if not v:
            out.append("[ ]")
            return
        out.append("[ ")
        first = True
        for x in v:
            if not first:
                out.append(", ")
            first = False
            _write(x, level, out)
        out.append(" ]")
    else:
        out.append(scalar(v))


def compact(value) -> str:
    """Compact JSON with Jackson's number/string formatting (used inside some splices)."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json_string(k)}:{compact(x)}" for k, x in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(compact(x) for x in value) + "]"
    return scalar(value)
