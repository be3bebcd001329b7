"""Pieces shared by the three codecs: errors, context, Java type names of fields."""
from __future__ import annotations

import base64
import datetime as dt
import decimal
import re

from containers.values import (BigInteger, Byte, Char, Float, JavaSet, Long, Short,
                               LocalDateTime)
from marshallers.dates import parse_date

INT_MIN, INT_MAX = -(2 ** 31), 2 ** 31 - 1
FQCN_RE = re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)+$")


class MarshallingError(ValueError):
    """A request body that cannot be read as the expected KIE type."""


class Ctx:
    """What a codec call knows: the container's custom classes and output options."""

    __slots__ = ("types", "not_null")

    def __init__(self, types=None, not_null=False):
        self.types = types
        self.not_null = not_null

    def bean_class(self, name, allow_dynamic=True):
        if self.types is None:
            return None
        cls = self.types.get(name)
        if cls is None and allow_dynamic and FQCN_RE.match(name) and not name.startswith(("java.", "javax.")):
            cls = self.types.dynamic(name)
        return cls


def number(v):
    """A parsed JSON/XML integer as Java would type it in an untyped slot."""
    return v if INT_MIN <= v <= INT_MAX else Long(v)


_INT_TYPES = {"int", "java.lang.Integer", "Integer", "short", "java.lang.Short", "Short",
              "byte", "java.lang.Byte", "Byte"}
_LONG_TYPES = {"long", "java.lang.Long", "Long"}
_DOUBLE_TYPES = {"double", "java.lang.Double", "Double"}
_FLOAT_TYPES = {"float", "java.lang.Float", "Float"}
_BOOL_TYPES = {"boolean", "java.lang.Boolean", "Boolean"}
_STRING_TYPES = {"String", "java.lang.String", "char", "java.lang.Character", "Character"}
_DATE_TYPES = {"java.util.Date", "Date", "java.sql.Timestamp", "java.sql.Date"}
_DECIMAL_TYPES = {"java.math.BigDecimal", "BigDecimal"}
_BIGINT_TYPES = {"java.math.BigInteger", "BigInteger"}
_LIST_TYPES_RE = re.compile(r"^(java\.util\.)?(List|ArrayList|LinkedList|Collection|Set|HashSet|LinkedHashSet|TreeSet)(<.*>)?$|\[\]$")
_MAP_TYPES_RE = re.compile(r"^(java\.util\.)?(Map|HashMap|LinkedHashMap|TreeMap)(<.*>)?$")
_OBJECT_TYPES = {"java.lang.Object", "Object", "", None}


def type_category(java_type):
    """'int' | 'long' | 'double' | 'float' | 'bool' | 'string' | 'date' | 'decimal' | 'bigint' |
    'list' | 'map' | 'object' | 'bean' (a custom class name)."""
    t = java_type
    if t in _OBJECT_TYPES:
        return "object"
    if t in _STRING_TYPES:
        return "string"
    if t in _INT_TYPES:
        return "int"
    if t in _LONG_TYPES:
        return "long"
    if t in _DOUBLE_TYPES:
        return "double"
    if t in _FLOAT_TYPES:
        return "float"
    if t in _BOOL_TYPES:
        return "bool"
    if t in _DATE_TYPES:
        return "date"
    if t in _DECIMAL_TYPES:
        return "decimal"
    if t in _BIGINT_TYPES:
        return "bigint"
    if t == "byte[]":
        return "bytes"
    if _LIST_TYPES_RE.search(t):
        return "list"
    if _MAP_TYPES_RE.match(t):
        return "map"
    if t.startswith("java.time."):
        return "time"
    return "bean"


def coerce_scalar(value, category):
    """Convert a parsed scalar (text or JSON scalar) to the Python value of a typed field."""
    if value is None:
        return None
    try:
        if category == "string":
            if isinstance(value, bool):
                return "true" if value else "false"
            return value if isinstance(value, str) else str(value)
        if category == "int":
            return int(value) if not isinstance(value, str) else int(value.strip())
        if category == "long":
            return Long(int(value) if not isinstance(value, str) else int(value.strip()))
        if category == "double":
            return float(value)
        if category == "float":
            return Float(float(value))
        if category == "bool":
            if isinstance(value, str):
                return value.strip().lower() == "true"
            return bool(value)
        if category == "date":
            if isinstance(value, dict) and "java.util.Date" in value:
                value = value["java.util.Date"]
            return parse_date(value)
        if category == "decimal":
            return decimal.Decimal(str(value))
        if category == "bigint":
            return BigInteger(int(value))
        if category == "bytes":
            return base64.b64decode(value) if isinstance(value, str) else bytes(value)
        if category == "time":
            return value
    except (ValueError, TypeError, decimal.InvalidOperation) as e:
        raise MarshallingError(f"Cannot convert '{value}' to {category}: {e}") from None
    return value


def jaxb_type_of_bean(cls) -> str:
    name = cls._meta.get("jaxb_name") if cls._meta else None
    if name:
        return name
    simple = cls._java_name.rsplit(".", 1)[-1]
    return simple[:1].lower() + simple[1:]


def xstream_name_of_bean(cls) -> str:
    return (cls._meta.get("xstream_alias") if cls._meta else None) or cls._java_name


def bean_jaxb_props(bean):
    """Property order JAXB uses: declaration order for field-access classes, alphabetical otherwise."""
    props = bean.properties()
    if type(bean)._meta.get("jaxb_access") == "field" or type(bean)._meta.get("declared"):
        return list(props.items())
    return sorted(props.items())


def field_type(bean, name):
    for f in type(bean)._fields:
        if f.name == name:
            return f.type
    return None


__all__ = ["MarshallingError", "Ctx", "number", "type_category", "coerce_scalar", "FQCN_RE",
           "jaxb_type_of_bean", "xstream_name_of_bean", "bean_jaxb_props", "field_type", "INT_MIN",
           "INT_MAX", "JavaSet", "Long", "Short", "Byte", "Float", "Char", "BigInteger", "LocalDateTime",
           "dt"]
