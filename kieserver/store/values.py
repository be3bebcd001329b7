"""Typed JSON for stored state (process instances, rule sessions): Java values that JSON cannot tell
apart (Long, Float, Char, BigDecimal, dates, sets, maps with non-string keys, custom objects, enums)
are tagged {"@j": [tag, ...]}; everything else is plain JSON, written and read by orjson."""
from __future__ import annotations

import base64
import datetime as dt
import decimal

import orjson

from containers.values import (BigInteger, Byte, Char, Float, JavaBean, JavaEnum, JavaHashMap, JavaHashSet, JavaSet,
                               JavaTreeMap, JavaTreeSet, LocalDateTime, Long, Short, UTC)

_TAG = "@j"


def _default(v):
    if isinstance(v, JavaBean):       # the common case in a rule session: facts
        if isinstance(v, JavaEnum):
            return {_TAG: ["e", type(v)._java_name, v.name()]}
        return {_TAG: ["o", type(v)._java_name, _prep(v.properties())]}
    if isinstance(v, bool):
        return v
    if isinstance(v, Long):
        return {_TAG: ["L", int(v)]}
    if isinstance(v, Short):
        return {_TAG: ["S", int(v)]}
    if isinstance(v, Byte):
        return {_TAG: ["B", int(v)]}
    if isinstance(v, BigInteger):
        return {_TAG: ["I", str(int(v))]}
    if isinstance(v, int):
        return int(v)
    if isinstance(v, Float):
        return {_TAG: ["F", float(v)]}
    if isinstance(v, float):
        return float(v)
    if isinstance(v, Char):
        return {_TAG: ["C", str(v)]}
    if isinstance(v, str):
        return str(v)
    if isinstance(v, decimal.Decimal):
        return {_TAG: ["D", str(v)]}
    if isinstance(v, LocalDateTime):
        return {_TAG: ["lt", v.isoformat()]}
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=UTC)
        return {_TAG: ["t", v.isoformat()]}
    if isinstance(v, dt.date):
        return {_TAG: ["d", v.isoformat()]}
    if isinstance(v, dt.time):
        return {_TAG: ["tm", v.isoformat()]}
    if isinstance(v, (bytes, bytearray)):
        return {_TAG: ["b", base64.b64encode(bytes(v)).decode()]}
    if isinstance(v, (JavaHashSet, JavaTreeSet)):
        return {_TAG: ["hset" if isinstance(v, JavaHashSet) else "tset", _prep(list(v))]}
    if isinstance(v, JavaSet):
        return {_TAG: ["set", _prep(list(v))]}
    if isinstance(v, (JavaHashMap, JavaTreeMap)):
        tag = "hmap" if isinstance(v, JavaHashMap) else "tmap"
        return {_TAG: [tag, [[_prep(k), _prep(x)] for k, x in v.items()]]}
    if isinstance(v, (set, frozenset)):
        return {_TAG: ["set", list(v)]}
    if isinstance(v, (dict, list, tuple)):     # subclasses of them (OPT_PASSTHROUGH_SUBCLASS)
        return _prep(dict(v) if isinstance(v, dict) else list(v))
    raise TypeError(f"Cannot store a value of type {type(v).__name__}")


_OPTS = orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def _prep(v):
    """orjson writes dicts itself (default() never sees them): a map whose keys are not all strings
    (or that holds the tag key) is tagged here first, at any depth of plain lists and dicts;
    custom objects are walked when default() writes them."""
    t = type(v)
    if t is dict:
        if all(type(k) is str for k in v) and _TAG not in v:
            return {k: (x if type(x) in _PLAIN else _prep(x)) for k, x in v.items()}
        return {_TAG: ["map", [[_prep(k), _prep(x)] for k, x in v.items()]]}
    if t is list or t is tuple:
        return [x if type(x) in _PLAIN else _prep(x) for x in v]
    return v


_PLAIN = frozenset((str, int, float, bool, type(None)))


def dump_state(state) -> bytes:
    """Process state (plain data holding Java values) -> bytes."""
    return orjson.dumps(_prep(state), default=_default, option=_OPTS)


def load_state(blob, types=None):
    """bytes -> process state, custom objects rebuilt with the container's classes (`types`)."""
    if not blob:
        return {}
    return _revive(orjson.loads(bytes(blob)), types)


def _revive(v, types):
    if isinstance(v, list):
        return [_revive(x, types) for x in v]
    if not isinstance(v, dict):
        return v
    tagged = v.get(_TAG) if len(v) == 1 else None
    if tagged is None:
        return {k: _revive(x, types) for k, x in v.items()}
    tag = tagged[0]
    if tag == "L":
        return Long(tagged[1])
    if tag == "S":
        return Short(tagged[1])
    if tag == "B":
        return Byte(tagged[1])
    if tag == "I":
        return BigInteger(int(tagged[1]))
    if tag == "F":
        return Float(tagged[1])
    if tag == "C":
        return Char(tagged[1])
    if tag == "D":
        return decimal.Decimal(tagged[1])
    if tag == "t":
        return dt.datetime.fromisoformat(tagged[1])
    if tag == "lt":
        d = dt.datetime.fromisoformat(tagged[1])
        return LocalDateTime(d.year, d.month, d.day, d.hour, d.minute, d.second, d.microsecond)
    if tag == "d":
        return dt.date.fromisoformat(tagged[1])
    if tag == "tm":
        return dt.time.fromisoformat(tagged[1])
    if tag == "b":
        return base64.b64decode(tagged[1])
    if tag == "set":
        return JavaSet(_revive(x, types) for x in tagged[1])
    if tag in ("hset", "tset"):
        out = JavaHashSet() if tag == "hset" else JavaTreeSet()
        out.extend(_revive(x, types) for x in tagged[1])
        return out
    if tag in ("hmap", "tmap"):
        out = JavaHashMap() if tag == "hmap" else JavaTreeMap()
        for k, x in tagged[1]:
            out[_revive(k, types)] = _revive(x, types)
        return out
    if tag == "map":
        return {_revive(k, types): _revive(x, types) for k, x in tagged[1]}
    if tag == "o":
        return _bean(tagged[1], tagged[2], types)
    if tag == "e":
        cls = types.get(tagged[1]) if types is not None else None
        return cls.of(tagged[2]) if cls is not None and issubclass(cls, JavaEnum) else tagged[2]
    return {k: _revive(x, types) for k, x in v.items()}


def _bean(java_name, props, types):
    from containers.values import TypeRegistry
    reg = types if types is not None else TypeRegistry()
    cls = reg.get(java_name) or reg.dynamic(java_name)
    obj = cls()
    names = cls._field_names
    for k, x in props.items():
        if cls._dynamic or k in names:
            object.__setattr__(obj, k, _revive(x, types))
    return obj
