"""XStream XML (KIE's XStreamMarshaller) for described KIE types and untyped Java values."""
from __future__ import annotations

import base64
import datetime as dt
import decimal

from containers.values import (BigInteger, Byte, Char, Float, JavaBean, JavaEnum, JavaSet, Long, Short,
                               java_double_str)
from marshallers import model as M
from marshallers.common import (Ctx, MarshallingError, coerce_scalar, field_type, type_category,
                                xstream_name_of_bean)
from marshallers.dates import parse_date, xstream_format
from marshallers.xmltree import XNode, XmlError, local, parse_xml, write_xstream

_NAME_TO_CAT = {"string": "string", "int": "int", "long": "long", "double": "double", "float": "float",
                "boolean": "bool", "short": "short", "byte": "byte", "char": "char",
                "big-decimal": "decimal", "big-int": "bigint", "date": "date", "sql-timestamp": "date",
                "byte-array": "bytes"}
_LISTS = {"list", "linked-list", "set", "linked-hash-set", "tree-set", "java.util.Arrays$ArrayList",
          "java.util.Collections$UnmodifiableRandomAccessList", "java.util.ArrayList",
          "java.util.Collections$EmptyList", "java.util.Collections$SingletonList"}
_MAPS = {"map", "linked-hash-map", "tree-map", "hash-map", "java.util.HashMap",
         "java.util.Collections$EmptyMap", "java.util.concurrent.ConcurrentHashMap"}


def type_name(v) -> str:
    """XStream's element name for a value in an untyped slot."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, Long):
        return "long"
    if isinstance(v, Short):
        return "short"
    if isinstance(v, Byte):
        return "byte"
    if isinstance(v, BigInteger):
        return "big-int"
    if isinstance(v, int):
        return "int" if -2 ** 31 <= v < 2 ** 31 else "long"
    if isinstance(v, Float):
        return "float"
    if isinstance(v, float):
        return "double"
    if isinstance(v, decimal.Decimal):
        return "big-decimal"
    if isinstance(v, Char):
        return "char"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dt.datetime):
        return "date"
    if isinstance(v, bytes):
        return "byte-array"
    if isinstance(v, JavaSet):
        return "linked-hash-set"
    if isinstance(v, (list, tuple)):
        return "list"
    if isinstance(v, dict):
        return "linked-hash-map"
    if isinstance(v, JavaBean):
        return xstream_name_of_bean(type(v))
    if isinstance(v, M.Model):
        return type(v).xstream_root
    if isinstance(v, (dt.date, dt.time)):
        return "java.time." + ("LocalDate" if isinstance(v, dt.date) else "LocalTime")
    raise MarshallingError(f"Cannot marshal a value of type {type(v).__name__}")


def _text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return xstream_format(v)
    if isinstance(v, float):
        return java_double_str(float(v))
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if hasattr(v, "name") and hasattr(v, "value") and not isinstance(v, (str, int)):
        return v.name
    return str(v)


# =============================================================================================
# encoding

def encode(value, ctx: Ctx) -> str:
    return write_xstream(encode_any(None, value, ctx))


def encode_any(tag, v, ctx: Ctx, *, as_field=False) -> XNode:
    """A value as XStream writes it.  With tag=None the element is named by the value's type;
    with a tag (an Object-typed field) the type goes into class="..." (omitted for a string field
    holding a string when as_field is False)."""
    name = type_name(v)
    if tag is None:
        node = XNode(name)
    else:
        node = XNode(tag, [("class", name)])
    _fill(node, v, ctx)
    return node


def _fill(node, v, ctx):
    if v is None:
        return
    if isinstance(v, M.Model):
        _fill_model(node, v, ctx)
    elif isinstance(v, JavaEnum):
        node.text = v.name()     # EnumConverter: the constant's name
    elif isinstance(v, JavaBean):
        _fill_bean(node, v, ctx)
    elif isinstance(v, dict):
        for k, x in v.items():
            node.add(XNode("entry", children=[encode_any(None, k, ctx), encode_any(None, x, ctx)]))
    elif isinstance(v, (list, tuple, set, frozenset)):
        node.children.extend(encode_any(None, x, ctx) for x in v)
    else:
        node.text = _text(v)


def encode_model(obj, tag, ctx, attrs=None) -> XNode:
    node = XNode(tag, list(attrs or []))
    _fill_model(node, obj, ctx)
    return node


def _fill_model(node, obj, ctx):
    custom = getattr(type(obj), "fill_xstream", None)
    if custom is not None:
        return custom(obj, node, ctx)
    for f in type(obj)._xstream_fields:
        if f.xstream_omit:
            continue
        v = getattr(obj, f.attr)
        if v is None:
            continue
        if f.xstream_attr:
            node.attrs.append((f.xstream, _text(v)))
            continue
        kind = f.type
        if isinstance(kind, M.ListOf):
            items = [_encode_item(f.xstream_item or _item_name(kind.item, x), x, kind.item, ctx) for x in v]
            if f.xstream_implicit:
                node.children.extend(items)
            else:
                attrs = [("class", f.xstream_class)] if f.xstream_class else []
                node.add(XNode(f.xstream, attrs, items))
        elif kind is M.MAP:
            attrs = [("class", f.xstream_class)] if f.xstream_class else []
            el = node.add(XNode(f.xstream, attrs))
            _fill(el, v, ctx)
        elif kind is M.ANY or kind is M.RESULT:
            node.add(encode_any(f.xstream, v, ctx))
        elif isinstance(kind, type) and issubclass(kind, M.Model):
            attrs = [("class", type(v).xstream_root)] if type(v) is not kind else []
            node.add(encode_model(v, f.xstream, ctx, attrs))
        else:
            node.add(XNode(f.xstream, text=_text(v)))


def _item_name(kind, v):
    if isinstance(kind, M.OneOf) or (isinstance(kind, type) and issubclass(kind, M.Model)):
        return type(v).xstream_root
    if kind is M.ANY:
        return None
    return type_name(v)


def _encode_item(tag, v, kind, ctx):
    if kind is M.ANY or tag is None:
        return encode_any(None, v, ctx)
    if isinstance(kind, M.OneOf) or (isinstance(kind, type) and issubclass(kind, M.Model)):
        return encode_model(v, tag, ctx)
    return XNode(tag, text=_text(v))


def _fill_bean(node, bean, ctx):
    for name, v in bean.properties().items():
        if v is None:
            continue
        t = field_type(bean, name)
        cat = type_category(t) if t is not None else "object"
        if cat == "object":
            node.add(encode_any(name, v, ctx) if not isinstance(v, str) or t is not None
                     else XNode(name, text=v))
            continue
        el = XNode(name)
        if cat == "bean" and isinstance(v, JavaBean) and not _same_class(v, t):
            el.attrs.append(("class", type_name(v)))
        if cat == "list" and isinstance(v, JavaSet):
            el.attrs.append(("class", "linked-hash-set"))
        _fill(el, v, ctx)
        node.add(el)


def _same_class(v, t):
    n = type(v)._java_name
    return n == t or n.rsplit(".", 1)[-1] == t


# =============================================================================================
# decoding

def decode(text, expected, ctx: Ctx):
    try:
        root = parse_xml(text)
    except XmlError as e:
        raise MarshallingError(str(e)) from None
    return decode_root(root, expected, ctx)


def decode_root(root, expected, ctx):
    tag = local(root.tag)
    if isinstance(expected, type) and issubclass(expected, M.Model):
        if tag != expected.xstream_root and tag != expected.java_class:
            raise MarshallingError(f"Cannot read <{tag}> as {expected.xstream_root}")
        return decode_model(expected, root, ctx)
    return decode_any(root, ctx)


def decode_model(cls, el, ctx):
    custom = getattr(cls, "decode_xstream", None)
    if custom is not None:
        return custom(el, ctx)
    obj = cls.__new__(cls)
    groups = {}
    for c in el:
        groups.setdefault(local(c.tag), []).append(c)
    for f in cls.fields:
        value = f.make_default()
        if not f.xstream_omit:
            if f.xstream_attr:
                raw = el.attrib.get(f.xstream)
                if raw is not None:
                    value = _scalar(raw, f.type)
            elif isinstance(f.type, M.ListOf):
                if f.xstream_implicit:
                    name = f.xstream_item or (f.type.item.xstream_root if isinstance(f.type.item, type) else None)
                    nodes = groups.get(name, [])
                    if nodes:
                        value = [_decode_item(n, f.type.item, ctx) for n in nodes]
                elif f.xstream in groups:
                    value = [_decode_item(n, f.type.item, ctx) for n in groups[f.xstream][-1]]
            elif f.xstream in groups:
                n = groups[f.xstream][-1]
                value = _decode_item(n, f.type, ctx)
        setattr(obj, f.attr, value)
    return obj


def _decode_item(n, kind, ctx):
    if isinstance(kind, M.OneOf):
        cls = kind.by_xstream(local(n.tag))
        if cls is None:
            raise MarshallingError(f"Unknown element <{local(n.tag)}>")
        return decode_model(cls, n, ctx)
    if kind is M.ANY or kind is M.RESULT:
        return decode_any(n, ctx)
    if kind is M.MAP:
        return _decode_map(n, ctx)
    if isinstance(kind, type) and issubclass(kind, M.Model):
        sub = n.attrib.get("class")
        cls = (M.find_by_xstream_root(sub) if sub else None) or kind
        return decode_model(cls, n, ctx)
    return _scalar(n.text or "", kind)


def _scalar(text, kind):
    if kind is str:
        return text
    cat = {bool: "bool", Long: "long", int: "int", float: "double", dt.datetime: "date"}.get(kind)
    return coerce_scalar(text, cat) if cat else text


def _decode_map(el, ctx):
    out = {}
    for entry in el:
        kids = list(entry)
        if len(kids) >= 2:
            out[decode_any(kids[0], ctx)] = decode_any(kids[1], ctx)
        elif len(kids) == 1:
            out[decode_any(kids[0], ctx)] = None
    return out


def decode_any(el, ctx: Ctx):
    name = el.attrib.get("class") or local(el.tag)
    if name == "null":
        return None
    cat = _NAME_TO_CAT.get(name)
    if cat is not None:
        text = el.text or ""
        if cat == "short":
            return Short(int(text))
        if cat == "byte":
            return Byte(int(text))
        if cat == "char":
            return Char(text[:1])
        if cat == "date":
            return parse_date(text)
        return coerce_scalar(text, cat)
    if name in _LISTS:
        items = [decode_any(c, ctx) for c in el]
        return JavaSet(items) if "set" in name.lower() else items
    if name in _MAPS:
        return _decode_map(el, ctx)
    model_cls = M.find_by_xstream_root(name)
    if model_cls is not None:
        return decode_model(model_cls, el, ctx)
    if name.startswith("java.time."):
        return dt.date.fromisoformat(el.text) if name.endswith("LocalDate") else el.text
    cls = _bean_class(name, ctx)
    if cls is not None:
        return decode_bean(cls, el, ctx)
    raise MarshallingError(f"Cannot resolve class '{name}'")


def _bean_class(name, ctx):
    if ctx.types is None:
        return None
    for cls in ctx.types.classes():
        if cls._meta.get("xstream_alias") == name:
            return cls
    return ctx.bean_class(name)


def decode_bean(cls, el, ctx):
    obj = cls()
    for c in el:
        name = local(c.tag)
        t = field_type(obj, name)
        if t is None and not cls._dynamic:
            continue  # XStream would fail; be lenient
        setattr(obj, name, _bean_field(c, t, ctx))
    return obj


def _enum_value(cls, name):
    try:
        return cls.of(name)
    except ValueError as e:
        raise MarshallingError(str(e)) from None


def _bean_field(el, t, ctx):
    if "class" in el.attrib:
        return decode_any(el, ctx)
    cat = type_category(t) if t is not None else None
    if cat == "list":
        return [decode_any(c, ctx) for c in el]
    if cat == "map":
        return _decode_map(el, ctx)
    if cat == "bean":
        cls = _bean_class(t, ctx)
        if cls is not None and issubclass(cls, JavaEnum):
            return _enum_value(cls, el.text or "")
        if cls is not None:
            return decode_bean(cls, el, ctx)
    if len(el):
        if cat in (None, "object") and len(el) == 1:
            return decode_any(el[0], ctx)
        return {local(c.tag): decode_any(c, ctx) for c in el}
    text = el.text or ""
    if cat in (None, "object", "bean"):
        return text
    return coerce_scalar(text, cat)
