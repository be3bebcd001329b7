"""JSON (Jackson, KIE's JSONMarshaller) for described KIE types and untyped Java values."""
from __future__ import annotations

import base64
import datetime as dt
import decimal

import orjson

from containers.values import JavaBean, JavaEnum, JavaSet, Long
from marshallers import model as M
from marshallers.common import (Ctx, MarshallingError, coerce_scalar, field_type, number,
                                type_category)
from marshallers.dates import to_millis
from marshallers.jsonwriter import Raw, json_string, pretty, scalar

DATE_KEY = "java.util.Date"
BYTES_KEY = "org.kie.server.api.model.type.JaxbByteArray"
_TIME_KEYS = {"java.time.LocalDate": dt.date.fromisoformat,
              "java.time.LocalDateTime": dt.datetime.fromisoformat,
              "java.time.LocalTime": dt.time.fromisoformat,
              "java.time.OffsetDateTime": dt.datetime.fromisoformat}


# =============================================================================================
# encoding

def encode(value, ctx: Ctx, strict=False) -> str:
    if isinstance(value, M.Model):
        return pretty(encode_model(value, ctx))
    v = encode_any(value, ctx)
    if strict:
        if isinstance(value, (list, tuple)):
            v = {"items": v}
        elif isinstance(value, dict):
            v = {"entries": v}
        elif not isinstance(value, (bytes, JavaBean)):
            v = {"value": v}
    return pretty(v)


def encode_model(obj, ctx: Ctx) -> dict:
    custom = getattr(type(obj), "encode_json", None)
    if custom is not None:
        return custom(obj, ctx)
    out = {}
    not_null = ctx.not_null
    for f in type(obj).fields:
        if f.json_omit:
            continue
        v = getattr(obj, f.attr)
        if v is None:
            if not not_null:
                out[f.json] = None
            continue
        out[f.json] = encode_typed(v, f.type, ctx, f.json_style)
    return out


def encode_typed(v, kind, ctx, style="A"):
    if v is None:
        return None
    if kind is M.ANY:
        return encode_any(v, ctx) if style == "A" else encode_any_b(v, ctx)
    if kind is M.MAP:
        return {str(k): (encode_any(x, ctx) if style == "A" else encode_any_b(x, ctx)) for k, x in v.items()}
    if kind is M.RESULT:
        return encode_result(v, ctx)
    if isinstance(kind, M.ListOf):
        return [encode_typed(x, kind.item, ctx, style) for x in v]
    if isinstance(kind, M.OneOf):
        return {type(v).jaxb_root: encode_model(v, ctx)}
    if isinstance(kind, type) and issubclass(kind, M.Model):
        return encode_model(v, ctx)
    if kind is dt.datetime:
        return _date_splice(v)
    if hasattr(v, "value") and hasattr(v, "name") and not isinstance(v, (str, int)):  # enum
        return v.name
    return v


def encode_result(v, ctx):
    if isinstance(v, M.Model):
        return {type(v).jaxb_root: encode_model(v, ctx)}
    if isinstance(v, (str, bool, int, float)):
        return v
    if isinstance(v, list):
        return {"array-list": [encode_any(x, ctx) for x in v]}
    return encode_any(v, ctx)


def _date_splice(d):
    return Raw(pretty({DATE_KEY: to_millis(d)}))


def encode_any(v, ctx: Ctx):
    """Style A: values in typed positions and map values; dates and custom objects are spliced."""
    if v is None or isinstance(v, (bool, int, float, str, decimal.Decimal)):
        return v
    if isinstance(v, dt.datetime):
        return _date_splice(v)
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, bytes):
        return Raw(pretty({BYTES_KEY: {"value": base64.b64encode(v).decode()}}))
    if isinstance(v, JavaEnum):
        return v.name()       # Jackson writes an enum as its name
    if isinstance(v, JavaBean):
        return Raw(pretty({type(v)._java_name: _bean_body_a(v, ctx)}))
    if isinstance(v, M.Model):
        return encode_model(v, ctx)
    if isinstance(v, dict):
        return {str(k): encode_any(x, ctx) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [encode_any(x, ctx) for x in v]
    raise MarshallingError(f"Cannot marshal a value of type {type(v).__name__}")


def _nested_a(v, ctx):
    if isinstance(v, dt.datetime):
        return {DATE_KEY: to_millis(v)}
    if isinstance(v, JavaEnum):
        return v.name()
    if isinstance(v, JavaBean):
        return {type(v)._java_name: _bean_body_a(v, ctx)}
    if isinstance(v, dict):
        return {str(k): _nested_a(x, ctx) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [_nested_a(x, ctx) for x in v]
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, M.Model):
        return encode_model(v, ctx)
    return v


def _bean_body_a(bean, ctx):
    return {k: _nested_a(x, ctx) for k, x in bean.properties().items() if x is not None or not ctx.not_null}


def _plain(v, ctx):
    """Serialization without type information (inside a style-B splice)."""
    if isinstance(v, dt.datetime):
        return to_millis(v)
    if isinstance(v, JavaEnum):
        return v.name()
    if isinstance(v, JavaBean):
        return {k: _plain(x, ctx) for k, x in v.properties().items()}
    if isinstance(v, dict):
        return {str(k): _plain(x, ctx) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [_plain(x, ctx) for x in v]
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, M.Model):
        return encode_model(v, ctx)
    return v


def encode_any_b(v, ctx: Ctx):
    """Style B (JaxbUnknownAdapter slots): custom objects wrapped as {"FQCN":<pretty body>}."""
    if v is None or isinstance(v, (bool, int, float, str, decimal.Decimal)):
        return v
    if isinstance(v, dt.datetime):
        return to_millis(v)
    if isinstance(v, JavaEnum):
        return v.name()
    if isinstance(v, JavaBean):
        body = pretty(_plain(v, ctx))
        name = type(v)._java_name
        if name in body:
            return Raw(body)
        return Raw("{" + json_string(name) + ":" + body + "}")
    if isinstance(v, (list, tuple, set, frozenset)):
        return Raw("[" + ",".join(_raw_b(x, ctx) for x in v) + "]")
    if isinstance(v, dict):
        return Raw("{" + ",".join(f"{json_string(str(k))} : {_raw_b(x, ctx)}" for k, x in v.items()) + "}")
    return encode_any(v, ctx)


def _raw_b(v, ctx):
    r = encode_any_b(v, ctx)
    if isinstance(r, Raw):
        return r
    if isinstance(r, (dict, list)):
        return pretty(r)
    return scalar(r)


# =============================================================================================
# decoding

def loads(text):
    if isinstance(text, str):
        text = text.encode("utf-8")
    if not text.strip():
        raise MarshallingError("Error unmarshalling input: empty body")
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as e:
        raise MarshallingError(f"Error unmarshalling input: {e}") from None


def decode(text, expected, ctx: Ctx):
    return decode_value(loads(text), expected, ctx)


def decode_value(data, expected, ctx: Ctx):
    if isinstance(expected, type) and issubclass(expected, M.Model):
        if not isinstance(data, dict):
            raise MarshallingError(f"Error unmarshalling input: expected a JSON object for {expected.__name__}")
        return decode_model(expected, data, ctx)
    return decode_typed(data, expected, ctx)


def decode_model(cls, data: dict, ctx: Ctx):
    custom = getattr(cls, "decode_json", None)
    if custom is not None:
        return custom(data, ctx)
    obj = cls.__new__(cls)
    for f in cls.fields:
        if f.json in data and not f.json_omit:
            setattr(obj, f.attr, decode_typed(data[f.json], f.type, ctx))
        else:
            setattr(obj, f.attr, f.make_default())
    return obj


def decode_typed(raw, kind, ctx: Ctx):
    if raw is None:
        return None
    if kind is M.ANY:
        return decode_any(raw, ctx)
    if kind is M.MAP:
        if not isinstance(raw, dict):
            raise MarshallingError("Error unmarshalling input: expected a JSON object (map)")
        return {k: decode_any(v, ctx) for k, v in raw.items()}
    if kind is M.RESULT:
        return decode_result(raw, ctx)
    if isinstance(kind, M.ListOf):
        if not isinstance(raw, list):
            raw = [raw]
        return [decode_typed(x, kind.item, ctx) for x in raw]
    if isinstance(kind, M.OneOf):
        if not isinstance(raw, dict) or len(raw) != 1:
            raise MarshallingError("Error unmarshalling input: expected a single-key object naming the type")
        key, body = next(iter(raw.items()))
        cls = kind.by_jaxb(key)
        if cls is None:
            raise MarshallingError(f"Error unmarshalling input: Could not resolve type id '{key}'")
        return decode_model(cls, body if isinstance(body, dict) else {}, ctx)
    if isinstance(kind, type) and issubclass(kind, M.Model):
        if not isinstance(raw, dict):
            raise MarshallingError(f"Error unmarshalling input: expected an object for {kind.__name__}")
        return decode_model(kind, raw, ctx)
    if isinstance(raw, (dict, list)) and kind is not dt.datetime:
        raise MarshallingError(f"Error unmarshalling input: unexpected structure {str(raw)[:60]}")
    if kind is str:
        return coerce_scalar(raw, "string")
    if kind is bool:
        return coerce_scalar(raw, "bool")
    if kind is Long:
        return coerce_scalar(raw, "long")
    if kind is int:
        return coerce_scalar(raw, "int")
    if kind is float:
        return coerce_scalar(raw, "double")
    if kind is dt.datetime:
        return coerce_scalar(raw, "date")
    return raw


def decode_result(raw, ctx):
    if isinstance(raw, dict) and len(raw) == 1:
        key, body = next(iter(raw.items()))
        cls = M.find_by_jaxb_root(key)
        if cls is not None and isinstance(body, dict):
            return decode_model(cls, body, ctx)
    return decode_any(raw, ctx)


def decode_any(raw, ctx: Ctx):
    """CustomObjectDeserializer rules for java.lang.Object slots."""
    if isinstance(raw, bool) or raw is None or isinstance(raw, str):
        return raw
    if isinstance(raw, int):
        return number(raw)
    if isinstance(raw, float):
        return raw
    if isinstance(raw, list):
        return [decode_any(x, ctx) for x in raw]
    if isinstance(raw, dict):
        if not raw:
            return {}
        first = next(iter(raw))
        body = raw[first]
        if first == DATE_KEY:
            return coerce_scalar(body, "date")
        if first == BYTES_KEY and isinstance(body, dict):
            return base64.b64decode(body.get("value") or "")
        if first in _TIME_KEYS and isinstance(body, str):
            try:
                return _TIME_KEYS[first](body)
            except ValueError as e:
                raise MarshallingError(f"Error unmarshalling input: {e}") from None
        if "type" in raw and "element" in raw and "componentType" in raw:
            items = raw.get("element") or []
            items = [decode_any(x, ctx) for x in items]
            kind = str(raw.get("type") or "LIST").upper()
            if kind == "SET":
                return JavaSet(items)
            if kind == "MAP":
                return {i.get("key"): i.get("value") for i in items if isinstance(i, dict)}
            return items
        if isinstance(body, dict):
            cls = ctx.bean_class(first)
            if cls is not None:
                return decode_bean(cls, body, ctx)
            model_cls = M.find_by_java_class(first)
            if model_cls is not None:
                return decode_model(model_cls, body, ctx)
        return {k: decode_any(v, ctx) for k, v in raw.items()}
    return raw


def decode_bean(cls, body: dict, ctx: Ctx):
    obj = cls()
    dynamic = cls._dynamic
    for k, v in body.items():
        t = field_type(obj, k)
        if t is None:
            if dynamic:
                setattr(obj, k, decode_any(v, ctx))
            continue  # unknown properties of a typed class are ignored (Jackson FAIL_ON_UNKNOWN off)
        setattr(obj, k, decode_field_value(v, t, ctx))
    return obj


def _enum_value(cls, name):
    try:
        return cls.of(name)
    except ValueError as e:
        raise MarshallingError(str(e)) from None


def decode_field_value(v, java_type, ctx):
    if v is None:
        return None
    cat = type_category(java_type)
    if cat == "object":
        return decode_any(v, ctx)
    if cat == "list":
        items = v if isinstance(v, list) else [v]
        inner = _generic_arg(java_type)
        return [decode_field_value(x, inner, ctx) if inner else decode_any(x, ctx) for x in items]
    if cat == "map":
        return {k: decode_any(x, ctx) for k, x in v.items()} if isinstance(v, dict) else v
    if cat == "bean":
        cls = ctx.bean_class(java_type) if isinstance(v, str) else None
        if cls is not None and issubclass(cls, JavaEnum):
            return _enum_value(cls, v)
        if isinstance(v, dict):
            if len(v) == 1 and isinstance(next(iter(v.values())), dict) and ctx.bean_class(next(iter(v)), False):
                return decode_any(v, ctx)
            cls = ctx.bean_class(java_type)
            if cls is not None:
                return decode_bean(cls, v, ctx)
            return {k: decode_any(x, ctx) for k, x in v.items()}
        return decode_any(v, ctx)
    if cat == "date" and isinstance(v, dict):
        v = v.get(DATE_KEY)
    if isinstance(v, (dict, list)):
        return decode_any(v, ctx)
    return coerce_scalar(v, cat)


def _generic_arg(java_type):
    if "<" in java_type and java_type.endswith(">"):
        return java_type[java_type.index("<") + 1:-1].strip()
    if java_type.endswith("[]"):
        return java_type[:-2]
    return None
