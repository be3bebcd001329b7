"""Conversions to declared Java types (typed process variables, declared-type fields, casts)."""
from __future__ import annotations

import datetime as dt
import decimal

from containers.values import BigInteger, Byte, Char, Float, JavaSet, Long, Short, UTC

_INT = {"int", "java.lang.Integer", "Integer"}
_LONG = {"long", "java.lang.Long", "Long"}
_SHORT = {"short", "java.lang.Short", "Short"}
_BYTE = {"byte", "java.lang.Byte", "Byte"}
_DOUBLE = {"double", "java.lang.Double", "Double"}
_FLOAT = {"float", "java.lang.Float", "Float"}
_BOOL = {"boolean", "java.lang.Boolean", "Boolean"}
_STRING = {"String", "java.lang.String"}
_CHAR = {"char", "java.lang.Character", "Character"}
_DEC = {"java.math.BigDecimal", "BigDecimal"}
_BIGINT = {"java.math.BigInteger", "BigInteger"}
_DATE = {"java.util.Date", "Date"}
_OBJECT = {"java.lang.Object", "Object", "", None}


class ConversionError(ValueError):
    pass


def _num(v):
    if isinstance(v, str):
        s = v.strip()
        try:
            return int(s)
        except ValueError:
            try:
                return float(s)
            except ValueError:
                raise ConversionError(f"For input string: \"{v}\"") from None
    if isinstance(v, Char):
        return ord(v)
    return v


def coerce(value, java_type):
    """`value` converted to `java_type` (a Java type name); unknown and custom types unchanged."""
    if value is None or java_type in _OBJECT:
        return value
    t = java_type.split("<", 1)[0]
    if t in _STRING:
        from containers.values import to_java_string
        return value if isinstance(value, str) and not isinstance(value, Char) else to_java_string(value)
    if t in _INT:
        return int(_num(value)) if not isinstance(value, bool) else int(value)
    if t in _LONG:
        return Long(int(_num(value)))
    if t in _DOUBLE:
        return float(_num(value))
    if t in _FLOAT:
        return Float(float(_num(value)))
    if t in _SHORT:
        return Short(int(_num(value)))
    if t in _BYTE:
        return Byte(int(_num(value)))
    if t in _BOOL:
        if isinstance(value, str):
            return value.strip().lower() == "true"
        return bool(value)
    if t in _CHAR:
        return Char(chr(value) if isinstance(value, int) else str(value)[:1])
    if t in _DEC:
        return value if isinstance(value, decimal.Decimal) else decimal.Decimal(str(value))
    if t in _BIGINT:
        return BigInteger(int(_num(value)))
    if t in _DATE:
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        from marshallers.dates import parse_date
        return parse_date(value)
    if t in ("java.util.Set", "Set", "java.util.HashSet", "HashSet", "java.util.LinkedHashSet"):
        return value if isinstance(value, JavaSet) else JavaSet(value)
    return value


def java_equals(a, b):
    from containers.expressions.runtime import eq
    return eq(a, b)
