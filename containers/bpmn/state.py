"""JSON-able encoding of Java-typed values for saved process instance state.

Plain JSON values (str, bool, int that is a java Integer, float that is a Double, lists of them,
dicts with string keys) stay as they are; everything else becomes {"@t": kind, "v": ...}.
"""
from __future__ import annotations

import base64
import datetime as dt
import decimal

from containers.values import (BigInteger, Byte, Char, Float, JavaBean, JavaSet, LocalDateTime, Long, Short,
                               TypeRegistry)

_TAG = "@t"

_INTS = {"Long": Long, "Short": Short, "Byte": Byte, "BigInteger": BigInteger}


def encode(v):
    if v is None or v is True or v is False:
        return v
    t = type(v)
    if t is str:
        return v
    if t is int:
        return v
    if t is float:
        if v != v or v in (float("inf"), float("-inf")):
            return {_TAG: "Double", "v": repr(v)}
        return v
    if isinstance(v, JavaBean):
        return {_TAG: "bean", "c": type(v)._java_name, "dyn": bool(type(v)._dynamic),
                "v": {k: encode(x) for k, x in v.properties().items()}}
    for name, cls in _INTS.items():
        if t is cls:
            return {_TAG: name, "v": int(v)}
    if t is Float:
        return {_TAG: "Float", "v": repr(float(v))}
    if t is Char:
        return {_TAG: "Char", "v": str(v)}
    if isinstance(v, decimal.Decimal):
        return {_TAG: "BigDecimal", "v": str(v)}
    if isinstance(v, LocalDateTime):
        return {_TAG: "LocalDateTime", "v": v.isoformat()}
    if isinstance(v, dt.datetime):
        return {_TAG: "Date", "v": v.isoformat()}
    if isinstance(v, dt.date):
        return {_TAG: "LocalDate", "v": v.isoformat()}
    if isinstance(v, dt.time):
        return {_TAG: "LocalTime", "v": v.isoformat()}
    if isinstance(v, (bytes, bytearray)):
        return {_TAG: "bytes", "v": base64.b64encode(bytes(v)).decode("ascii")}
    if isinstance(v, JavaSet):
        return {_TAG: "Set", "v": [encode(x) for x in v]}
    if isinstance(v, (list, tuple)):
        return [encode(x) for x in v]
    if isinstance(v, dict):
        if all(isinstance(k, str) for k in v) and _TAG not in v:
            return {k: encode(x) for k, x in v.items()}
        return {_TAG: "Map", "v": [[encode(k), encode(x)] for k, x in v.items()]}
    if isinstance(v, int):
        return {_TAG: "Long", "v": int(v)}
    if isinstance(v, float):
        return float(v)
    return {_TAG: "str", "v": str(v)}


def decode(v, types: TypeRegistry | None = None):
    if isinstance(v, list):
        return [decode(x, types) for x in v]
    if not isinstance(v, dict):
        return v
    tag = v.get(_TAG)
    if tag is None:
        return {k: decode(x, types) for k, x in v.items()}
    val = v.get("v")
    if tag in _INTS:
        return _INTS[tag](val)
    if tag == "Float":
        return Float(float(val))
    if tag == "Double":
        return float(val)
    if tag == "Char":
        return Char(val)
    if tag == "BigDecimal":
        return decimal.Decimal(val)
    if tag == "LocalDateTime":
        return LocalDateTime.fromisoformat(val)
    if tag == "Date":
        return dt.datetime.fromisoformat(val)
    if tag == "LocalDate":
        return dt.date.fromisoformat(val)
    if tag == "LocalTime":
        return dt.time.fromisoformat(val)
    if tag == "bytes":
        return base64.b64decode(val)
    if tag == "Set":
        return JavaSet(decode(x, types) for x in val)
    if tag == "Map":
        return {_hashable(decode(k, types)): decode(x, types) for k, x in val}
    if tag == "bean":
        name = v.get("c")
        cls = types.get(name) if types is not None else None
        if cls is None:
            reg = types if types is not None else TypeRegistry()
            cls = reg.dynamic(name)
        obj = cls.__new__(cls)
        props = {k: decode(x, types) for k, x in (val or {}).items()}
        for f in cls._fields:
            object.__setattr__(obj, f.name, props.pop(f.name, None))
        for k, x in props.items():
            object.__setattr__(obj, k, x)
        return obj
    if tag == "str":
        return val
    return val


def _hashable(k):
    if isinstance(k, list):
        return tuple(_hashable(x) for x in k)
    return k
