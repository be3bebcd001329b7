"""Java library statics and constructors the expression language knows (Math, Integer, new ArrayList...)."""
from __future__ import annotations

import datetime as dt
import decimal
import math
import random
import time
import uuid

from containers.values import (BigInteger, Char, Float, JavaBean, JavaHashMap, JavaHashSet, JavaSet, JavaTreeMap,
                               JavaTreeSet, Long, UTC, java_type_name, to_java_string)
from containers.expressions.runtime import INT_MAX, INT_MIN, JavaException, _wrap_int, eq, truth


def _java_round(x):
    if isinstance(x, Float):
        return _wrap_int(math.floor(x + 0.5))
    return Long(math.floor(x + 0.5))


def _max(a, b):
    return a if a >= b else b


def _min(a, b):
    return a if a <= b else b


def _parse_int(s, radix=10):
    try:
        v = int(str(s).strip(), radix)
    except ValueError:
        raise JavaException("java.lang.NumberFormatException", f'For input string: "{s}"') from None
    if not INT_MIN <= v <= INT_MAX:
        raise JavaException("java.lang.NumberFormatException", f'For input string: "{s}"')
    return v


def _parse_long(s):
    try:
        return Long(int(str(s).strip()))
    except ValueError:
        raise JavaException("java.lang.NumberFormatException", f'For input string: "{s}"') from None


def _parse_double(s):
    try:
        return float(str(s).strip())
    except ValueError:
        raise JavaException("java.lang.NumberFormatException", f'For input string: "{s}"') from None


def _str_format(fmt, *args):
    from containers.expressions.runtime import _str_format as f
    return f(fmt, *args)


def _uuid():
    return _UUID(str(uuid.uuid4()))


class _UUID(str):
    def toString(self):
        return str(self)


STATICS = {
    "Math.max": _max, "Math.min": _min, "Math.abs": abs, "Math.round": _java_round,
    "Math.floor": lambda x: float(math.floor(x)), "Math.ceil": lambda x: float(math.ceil(x)),
    "Math.pow": lambda a, b: float(a) ** float(b), "Math.sqrt": lambda x: math.sqrt(x),
    "Math.random": random.random, "Math.log": math.log, "Math.exp": math.exp, "Math.signum": lambda x: float((x > 0) - (x < 0)),
    "Integer.parseInt": _parse_int, "Integer.valueOf": lambda s, *r: _parse_int(s, *r) if isinstance(s, str) else int(s),
    "Integer.toString": lambda v: to_java_string(v), "Integer.compare": lambda a, b: (a > b) - (a < b),
    "Long.parseLong": _parse_long, "Long.valueOf": lambda s: _parse_long(s) if isinstance(s, str) else Long(int(s)),
    "Long.toString": lambda v: to_java_string(v), "Long.compare": lambda a, b: (a > b) - (a < b),
    "Double.parseDouble": _parse_double, "Double.valueOf": lambda s: _parse_double(s) if isinstance(s, str) else float(s),
    "Double.toString": lambda v: to_java_string(float(v)), "Double.compare": lambda a, b: (a > b) - (a < b),
    "Double.isNaN": math.isnan,
    "Float.parseFloat": lambda s: Float(_parse_double(s)), "Float.valueOf": lambda s: Float(_parse_double(s)),
    "Boolean.parseBoolean": lambda s: str(s).lower() == "true" if s is not None else False,
    "Boolean.valueOf": lambda s: truth(s), "Boolean.toString": lambda v: to_java_string(v),
    "String.valueOf": to_java_string, "String.format": _str_format,
    "String.join": lambda sep, *items: str(sep).join(to_java_string(x) for x in (items[0] if len(items) == 1 and isinstance(items[0], (list, tuple)) else items)),
    "Objects.equals": eq, "Objects.isNull": lambda v: v is None, "Objects.nonNull": lambda v: v is not None,
    "Objects.toString": lambda v, d=None: (d if v is None and d is not None else to_java_string(v)),
    "Objects.hash": lambda *a: hash(tuple(a)),
    "Arrays.asList": lambda *a: list(a[0]) if len(a) == 1 and isinstance(a[0], list) else list(a),
    "Collections.emptyList": lambda: [], "Collections.emptyMap": lambda: {}, "Collections.emptySet": lambda: JavaSet(),
    "Collections.singletonList": lambda v: [v], "Collections.sort": lambda l: l.sort(),
    "Collections.max": lambda c: max(c), "Collections.min": lambda c: min(c),
    "List.of": lambda *a: list(a), "Set.of": lambda *a: JavaSet(a), "Map.of": lambda *a: dict(zip(a[::2], a[1::2])),
    "Character.isDigit": lambda c: str(c).isdigit(), "Character.isLetter": lambda c: str(c).isalpha(),
    "Character.isUpperCase": lambda c: str(c).isupper(), "Character.toUpperCase": lambda c: Char(str(c).upper()),
    "BigDecimal.valueOf": lambda v, *s: decimal.Decimal(str(v)) if not s else decimal.Decimal(v).scaleb(-s[0]),
    "BigInteger.valueOf": lambda v: BigInteger(int(v)),
    "System.currentTimeMillis": lambda: Long(int(time.time() * 1000)),
    "System.nanoTime": lambda: Long(time.perf_counter_ns()),
    "UUID.randomUUID": _uuid,
    "Thread.sleep": lambda ms: time.sleep(float(ms) / 1000.0),
}

STATIC_FIELDS = {
    "Integer.MAX_VALUE": INT_MAX, "Integer.MIN_VALUE": INT_MIN,
    "Long.MAX_VALUE": Long(2 ** 63 - 1), "Long.MIN_VALUE": Long(-(2 ** 63)),
    "Double.MAX_VALUE": 1.7976931348623157e308, "Double.MIN_VALUE": 5e-324,
    "Math.PI": math.pi, "Math.E": math.e, "Boolean.TRUE": True, "Boolean.FALSE": False,
    "BigDecimal.ZERO": decimal.Decimal(0), "BigDecimal.ONE": decimal.Decimal(1), "BigDecimal.TEN": decimal.Decimal(10),
}

STATIC_CLASSES = {k.split(".")[0] for k in list(STATICS) + list(STATIC_FIELDS)} | {"System"}


def strip_java_lang(name: str) -> str:
    for prefix in ("java.lang.", "java.util.", "java.math.", "java.util.concurrent."):
        if name.startswith(prefix) and "." not in name[len(prefix):]:
            return name[len(prefix):]
    return name


class StringBuilder:
    def __init__(self, init=""):
        self.parts = [to_java_string(init) if init != "" else ""]

    def append(self, v):
        self.parts.append(to_java_string(v))
        return self

    def toString(self):
        return "".join(self.parts)

    def length(self):
        return len(self.toString())

    def __str__(self):
        return self.toString()


def construct(type_name, args, types=None):
    """`new T(args)` for Java library types and the container's classes."""
    name = strip_java_lang(type_name.split("<", 1)[0])
    n = len(args)
    if name in ("ArrayList", "LinkedList", "List", "Vector", "CopyOnWriteArrayList"):
        return list(args[0]) if n and isinstance(args[0], (list, tuple, set)) else []
    if name == "HashMap":
        m = JavaHashMap()
        if n and isinstance(args[0], dict):
            m.update(args[0].items())
        return m
    if name == "TreeMap":
        m = JavaTreeMap()
        if n and isinstance(args[0], dict):
            m.update(args[0].items())
        return m
    if name in ("LinkedHashMap", "Map", "Hashtable", "ConcurrentHashMap"):
        return dict(args[0]) if n and isinstance(args[0], dict) else {}
    if name in ("HashSet", "TreeSet"):
        s = JavaHashSet() if name == "HashSet" else JavaTreeSet()
        for v in (args[0] if n and isinstance(args[0], (list, tuple, set)) else ()):
            s.add(v)
        return s
    if name in ("LinkedHashSet", "Set"):
        return JavaSet(args[0]) if n and isinstance(args[0], (list, tuple, set)) else JavaSet()
    if name == "Date":
        if n:
            return dt.datetime.fromtimestamp(int(args[0]) / 1000.0, UTC)
        now = dt.datetime.now(UTC)
        return now.replace(microsecond=now.microsecond // 1000 * 1000)
    if name == "BigDecimal":
        return decimal.Decimal(str(args[0]))
    if name == "BigInteger":
        return BigInteger(int(str(args[0])))
    if name == "Integer":
        return _parse_int(args[0]) if isinstance(args[0], str) else int(args[0])
    if name == "Long":
        return _parse_long(args[0]) if isinstance(args[0], str) else Long(int(args[0]))
    if name == "Double":
        return _parse_double(args[0]) if isinstance(args[0], str) else float(args[0])
    if name == "Float":
        return Float(float(args[0]))
    if name == "Boolean":
        return truth(args[0])
    if name == "String":
        return to_java_string(args[0]) if n else ""
    if name in ("StringBuilder", "StringBuffer"):
        return StringBuilder(args[0] if n else "")
    if name == "Object":
        return JavaBean()
    if name.endswith(("Exception", "Error", "Throwable")):
        full = type_name if "." in type_name else ("java.lang." + type_name)
        return JavaException(full, to_java_string(args[0]) if n and args[0] is not None else None)
    if types is not None:
        cls = types.get(type_name)
        if cls is not None:
            return cls(*args)
    raise JavaException("java.lang.ClassNotFoundException", f"cannot create an instance of {type_name}")


_JAVA_TYPES = {
    "String": str, "Integer": int, "Long": Long, "Double": float, "Float": Float, "Boolean": bool,
    "Number": (int, float, decimal.Decimal), "BigDecimal": decimal.Decimal, "Character": Char,
    "List": list, "ArrayList": list, "Collection": (list, tuple, JavaSet), "Map": dict, "HashMap": dict,
    "Set": JavaSet, "Date": dt.datetime, "Object": object,
}


def instance_of(v, type_name, types=None):
    if v is None:
        return False
    name = strip_java_lang(type_name.split("<", 1)[0])
    py = _JAVA_TYPES.get(name)
    if py is not None:
        if py is int:
            return isinstance(v, int) and not isinstance(v, (bool, Long))
        if py is float:
            return isinstance(v, float) and not isinstance(v, Float)
        return isinstance(v, py)
    if isinstance(v, JavaBean):
        cls = type(v)
        while cls is not None and cls is not JavaBean:
            jn = getattr(cls, "_java_name", None)
            if jn == type_name or (jn and jn.rsplit(".", 1)[-1] == name):
                return True
            cls = cls.__bases__[0] if cls.__bases__ else None
        return False
    return java_type_name(v) == type_name
