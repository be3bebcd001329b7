"""JAXB XML (KIE's JaxbMarshaller) for described KIE types and untyped Java values."""
from __future__ import annotations

import base64
import datetime as dt
import decimal

from containers.values import BigInteger, Byte, Char, Float, JavaBean, JavaEnum, JavaSet, Long, Short
from marshallers import model as M
from marshallers.common import (Ctx, MarshallingError, bean_jaxb_props, coerce_scalar, field_type,
                                jaxb_type_of_bean, type_category)
from marshallers.dates import jaxb_format, parse_date
from marshallers.xmltree import XSI_TYPE, XNode, XmlError, local, parse_xml, write_jaxb

# top-level wrappers (ModelWrapper.wrap) and xsi:type names of built-in values
_WRAPPERS = {"string-type": "string", "int-type": "int", "long-type": "long", "boolean-type": "bool",
             "double-type": "double", "float-type": "float", "short-type": "short", "byte-type": "byte",
             "char-type": "char", "date-type": "date", "byte-array-type": "bytes", "list-type": "list",
             "map-type": "map"}


def _scalar_xsi(v):
    """(xsi:type, text) of a built-in scalar, or None."""
    if isinstance(v, bool):
        return "xs:boolean", "true" if v else "false"
    if isinstance(v, Long):
        return "xs:long", str(int(v))
    if isinstance(v, Short):
        return "xs:short", str(int(v))
    if isinstance(v, Byte):
        return "xs:byte", str(int(v))
    if isinstance(v, BigInteger):
        return "xs:integer", str(int(v))
    if isinstance(v, int):
        return ("xs:int" if -2 ** 31 <= v < 2 ** 31 else "xs:long"), str(v)
    if isinstance(v, Float):
        return "xs:float", _float_text(v)
    if isinstance(v, float):
        return "xs:double", _float_text(v)
    if isinstance(v, decimal.Decimal):
        return "xs:decimal", str(v)
    if isinstance(v, str):
        return "xs:string", str(v)
    if isinstance(v, bytes):
        return "xs:base64Binary", base64.b64encode(v).decode()
    return None


def _float_text(v):
    from containers.values import java_double_str
    return java_double_str(float(v))


def _text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return jaxb_format(v)
    if isinstance(v, float):
        return _float_text(v)
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    if hasattr(v, "name") and hasattr(v, "value") and not isinstance(v, (str, int)):
        return v.name
    return str(v)


# =============================================================================================
# encoding

def encode(value, ctx: Ctx) -> str:
    return write_jaxb(encode_root(value, ctx))


def encode_root(value, ctx):
    if isinstance(value, M.Model):
        return encode_model(value, type(value).jaxb_root, ctx)
    if isinstance(value, dt.datetime):
        return XNode("date-type", children=[XNode("value", text=jaxb_format(value))])
    if isinstance(value, bytes):
        return XNode("byte-array-type", children=[XNode("value", text=base64.b64encode(value).decode())])
    if isinstance(value, (list, tuple, set, frozenset)):
        node = XNode("list-type")
        if value:
            node.add(XNode("items", children=[encode_any("items", x, ctx) for x in value if x is not None]))
        return node
    if isinstance(value, dict):
        return XNode("map-type", children=[_entries(value, ctx)] if value else [])
    if isinstance(value, JavaBean):
        return encode_any(jaxb_type_of_bean(type(value)), value, ctx, with_type=False)
    if value is None:
        raise MarshallingError("Cannot marshal null as a JAXB document")
    if isinstance(value, bool):
        tag = "boolean-type"
    elif isinstance(value, Long):
        tag = "long-type"
    elif isinstance(value, Short):
        tag = "short-type"
    elif isinstance(value, Byte):
        tag = "byte-type"
    elif isinstance(value, int):
        tag = "int-type" if -2 ** 31 <= value < 2 ** 31 else "long-type"
    elif isinstance(value, Float):
        tag = "float-type"
    elif isinstance(value, float):
        tag = "double-type"
    elif isinstance(value, Char):
        tag = "char-type"
    else:
        tag = "string-type"
    return XNode(tag, children=[XNode("value", text=_text(value))])


def _map_element(tag, d, ctx):
    """<tag><entry><key>k</key><value xsi:type=..>v</value></entry>...</tag> (null: no <value>)."""
    el = XNode(tag)
    for k, v in d.items():
        e = el.add(XNode("entry", children=[XNode("key", text=str(k))]))
        if v is not None:
            e.add(encode_any("value", v, ctx))
    return el


def _entries(d, ctx):
    return _map_element("entries", d, ctx)


def encode_model(obj, tag, ctx: Ctx, extra_attrs=None) -> XNode:
    custom = getattr(type(obj), "encode_jaxb", None)
    if custom is not None:
        node = custom(obj, tag, ctx)
        node.attrs[:0] = list(extra_attrs or [])
        return node
    node = XNode(tag, attrs=list(extra_attrs or []))
    for f in type(obj)._jaxb_fields:
        if f.jaxb_omit:
            continue
        v = getattr(obj, f.attr)
        if v is None:
            continue
        if f.jaxb_attr:
            node.attrs.append((f.jaxb, _text(v)))
            continue
        _encode_field(node, f, v, ctx)
    return node


def _encode_field(node, f, v, ctx):
    kind = f.type
    if isinstance(kind, M.ListOf):
        if not v:
            if f.jaxb_item:   # @XmlElementWrapper writes the wrapper of an empty (non-null) list
                node.add(XNode(f.jaxb))
            return
        items = [_encode_item(f.jaxb_item or f.jaxb, x, kind.item, ctx) for x in v]
        if f.jaxb_item:
            node.add(XNode(f.jaxb, children=items))
        else:
            node.children.extend(items)
    elif kind is M.MAP:
        node.add(_map_element(f.jaxb, v, ctx))
    elif kind is M.RESULT:
        if isinstance(v, M.Model):
            node.add(encode_model(v, type(v).jaxb_root, ctx))
        elif isinstance(v, str):
            node.add(XNode("results", text=v))
        else:
            node.add(encode_any("results", v, ctx))
    else:
        node.add(_encode_item(f.jaxb, v, kind, ctx))


def _encode_item(tag, v, kind, ctx):
    if isinstance(kind, M.OneOf):
        return encode_model(v, type(v).jaxb_root, ctx)
    if kind is M.ANY:
        return encode_any(tag, v, ctx)
    if isinstance(kind, type) and issubclass(kind, M.Model):
        if type(v) is not kind and type(v).jaxb_type:
            return encode_model(v, tag, ctx, [("xsi:type", type(v).jaxb_type)])
        return encode_model(v, tag, ctx)
    if kind is M.MAP:
        return _map_element(tag, v, ctx)
    return XNode(tag, text=_text(v))


def encode_any(tag, v, ctx: Ctx, with_type=True) -> XNode:
    """An element holding a java.lang.Object value, typed with xsi:type."""
    sx = _scalar_xsi(v)
    if sx is not None:
        return XNode(tag, [("xsi:type", sx[0])], text=sx[1])
    if isinstance(v, dt.datetime):
        return XNode(tag, [("xsi:type", "jaxbDate")], [XNode("value", text=jaxb_format(v))])
    if isinstance(v, (list, tuple, set, frozenset)):
        node = XNode(tag, [("xsi:type", "jaxbList")])
        if v:
            node.add(XNode("items", children=[encode_any("items", x, ctx) for x in v if x is not None]))
        return node
    if isinstance(v, dict):
        return XNode(tag, [("xsi:type", "jaxbMap")], [_entries(v, ctx)] if v else [])
    if isinstance(v, JavaEnum):
        attrs = [("xsi:type", jaxb_type_of_bean(type(v)))] if with_type else []
        return XNode(tag, attrs, text=v.name())
    if isinstance(v, JavaBean):
        attrs = [("xsi:type", jaxb_type_of_bean(type(v)))] if with_type else []
        return XNode(tag, attrs, _bean_children(v, ctx))
    if isinstance(v, M.Model):
        t = type(v).jaxb_type or type(v).jaxb_root
        return encode_model(v, tag, ctx, [("xsi:type", t)])
    if isinstance(v, (dt.date, dt.time)):
        return XNode(tag, [("xsi:type", "xs:string")], text=v.isoformat())
    raise MarshallingError(f"Cannot marshal a value of type {type(v).__name__}")


def _bean_children(bean, ctx):
    out = []
    for name, v in bean_jaxb_props(bean):
        if v is None:
            continue
        t = field_type(bean, name)
        cat = type_category(t) if t is not None else "object"
        if cat == "object" and (t is not None or isinstance(v, (JavaBean, dict, dt.datetime))):
            out.append(encode_any(name, v, ctx))
        elif isinstance(v, (list, tuple, set, frozenset)):
            for x in v:
                if x is None:
                    continue
                out.append(_bean_value(name, x, ctx))
        else:
            out.append(_bean_value(name, v, ctx))
    return out


def _bean_value(tag, v, ctx):
    if isinstance(v, JavaEnum):
        return XNode(tag, text=v.name())
    if isinstance(v, JavaBean):
        return XNode(tag, children=_bean_children(v, ctx))
    if isinstance(v, dict):
        return _map_element(tag, v, ctx)
    return XNode(tag, text=_text(v))


# =============================================================================================
# decoding

def decode(text, expected, ctx: Ctx):
    try:
        root = parse_xml(text)
    except XmlError as e:
        raise MarshallingError(f"Can't unmarshall input string: {e}") from None
    return decode_root(root, expected, ctx)


def decode_root(root, expected, ctx):
    tag = local(root.tag)
    if isinstance(expected, type) and issubclass(expected, M.Model):
        if tag != expected.jaxb_root:
            raise MarshallingError(
                f"Can't unmarshall input string: unexpected element (uri:\"\", local:\"{tag}\"). "
                f"Expected element is <{expected.jaxb_root}>")
        return decode_model(expected, root, ctx)
    if tag in _WRAPPERS:
        return _decode_wrapper(root, _WRAPPERS[tag], ctx)
    cls = M.find_by_jaxb_root(tag)
    if cls is not None:
        return decode_model(cls, root, ctx)
    if XSI_TYPE in root.attrib:
        return decode_any(root, ctx)
    bean = _bean_by_jaxb_type(tag, ctx)   # a custom object as the whole body: <person>...</person>
    if bean is not None:
        return decode_bean(bean, root, ctx)
    raise MarshallingError(f"Can't unmarshall input string: unexpected element (uri:\"\", local:\"{tag}\")")


def _decode_wrapper(root, cat, ctx):
    if cat == "list":
        out = []
        for items in root:
            if local(items.tag) == "items":
                out.extend(decode_any(x, ctx) for x in items if local(x.tag) == "items")
        return out
    if cat == "map":
        return _decode_entries(root, ctx)
    val = None
    for c in root:
        if local(c.tag) == "value":
            val = c
    if val is None:
        return None
    text = val.text or ""
    if cat == "date":
        return parse_date(text)
    if cat == "char":
        return Char(text[:1])
    if cat == "short":
        return Short(int(text))
    if cat == "byte":
        return Byte(int(text))
    return coerce_scalar(text, cat)


def _entry_map(el, ctx):
    """The map held by an element whose children are <entry><key/><value/></entry>."""
    out = {}
    for entry in el:
        k, v = None, None
        for c in entry:
            n = local(c.tag)
            if n == "key":
                k = c.text or ""
            elif n == "value":
                v = decode_any(c, ctx)
        out[k] = v
    return out


def _decode_entries(el, ctx):
    out = {}
    for entries in el:
        if local(entries.tag) == "entries":
            out.update(_entry_map(entries, ctx))
    return out


def _children_by_tag(el):
    groups = {}
    for c in el:
        groups.setdefault(local(c.tag), []).append(c)
    return groups


def decode_model(cls, el, ctx: Ctx):
    custom = getattr(cls, "decode_jaxb", None)
    if custom is not None:
        return custom(el, ctx)
    obj = cls.__new__(cls)
    groups = _children_by_tag(el)
    for f in cls.fields:
        value = f.make_default()
        if not f.jaxb_omit:
            if f.jaxb_attr:
                raw = el.attrib.get(f.jaxb)
                if raw is not None:
                    value = _decode_scalar_text(raw, f.type)
            elif f.type is M.RESULT:
                for c in el:
                    value = _decode_result(c, ctx)
                    break
            elif isinstance(f.type, M.ListOf) and isinstance(f.type.item, M.OneOf):
                nodes = [c for c in el if f.type.item.by_jaxb(local(c.tag))]
                if nodes:
                    value = _decode_field(f, nodes, ctx)
            else:
                nodes = groups.get(f.jaxb)
                if nodes:
                    value = _decode_field(f, nodes, ctx)
        setattr(obj, f.attr, value)
    return obj


def _decode_result(c, ctx):
    tag = local(c.tag)
    if tag == "results" and XSI_TYPE not in c.attrib:
        return c.text or ""
    cls = M.find_by_jaxb_root(tag)
    if cls is not None:
        return decode_model(cls, c, ctx)
    return decode_any(c, ctx)


def _decode_field(f, nodes, ctx):
    kind = f.type
    if isinstance(kind, M.ListOf):
        if isinstance(kind.item, M.OneOf):
            return [_decode_item(x, kind.item.by_jaxb(local(x.tag)), ctx) for x in nodes]
        if f.jaxb_item:
            items = [c for n in nodes for c in n if local(c.tag) == f.jaxb_item]
        else:
            items = nodes
        return [_decode_item(x, kind.item, ctx) for x in items]
    return _decode_item(nodes[-1], kind, ctx)


def _decode_item(el, kind, ctx):
    if kind is M.ANY:
        return decode_any(el, ctx)
    if kind is M.MAP:
        return _entry_map(el, ctx)
    if isinstance(kind, type) and issubclass(kind, M.Model):
        t = el.attrib.get(XSI_TYPE)
        sub = M.find_by_jaxb_type(t) if t else None
        return decode_model(sub or kind, el, ctx)
    return _decode_scalar_text(el.text or "", kind)


def _decode_scalar_text(text, kind):
    if kind is str:
        return text
    if kind is bool:
        return coerce_scalar(text, "bool")
    if kind is Long:
        return coerce_scalar(text, "long")
    if kind is int:
        return coerce_scalar(text, "int")
    if kind is float:
        return coerce_scalar(text, "double")
    if kind is dt.datetime:
        return coerce_scalar(text, "date")
    return text


_XS = {"xs:string": "string", "xs:int": "int", "xs:long": "long", "xs:boolean": "bool",
       "xs:double": "double", "xs:float": "float", "xs:decimal": "decimal", "xs:integer": "bigint",
       "xs:dateTime": "date", "xs:date": "date", "xs:base64Binary": "bytes", "xs:short": "short",
       "xs:byte": "byte", "xs:unsignedShort": "char"}


def decode_any(el, ctx: Ctx):
    t = el.attrib.get(XSI_TYPE)
    if t is None:
        if len(el):
            return {local(c.tag): decode_any(c, ctx) for c in el}
        return el.text
    if ":" in t and not t.startswith("xs:"):
        t = "xs:" + t.split(":", 1)[1] if t.split(":", 1)[1] in {k[3:] for k in _XS} else t.split(":", 1)[1]
    cat = _XS.get(t)
    if cat is not None:
        text = el.text or ""
        if cat == "short":
            return Short(int(text))
        if cat == "byte":
            return Byte(int(text))
        if cat == "char":
            return Char(chr(int(text))) if text.isdigit() else Char(text[:1])
        return coerce_scalar(text, cat)
    if t == "jaxbDate":
        for c in el:
            if local(c.tag) == "value":
                return parse_date(c.text or "")
        return None
    if t in ("jaxbList", "jaxbSet"):
        out = []
        for items in el:
            if local(items.tag) == "items":
                out.extend(decode_any(x, ctx) for x in items if local(x.tag) == "items")
        return JavaSet(out) if t == "jaxbSet" else out
    if t == "jaxbMap":
        return _decode_entries(el, ctx)
    if t == "jaxbListWrapper":
        return _decode_list_wrapper(el, ctx)
    if t == "jaxbStringObjectPair":
        val = None
        for c in el:
            if local(c.tag) == "value":
                val = decode_any(c, ctx)
        return {el.attrib.get("key"): val}
    model_cls = M.find_by_jaxb_type(t) or M.find_by_jaxb_root(t)
    if model_cls is not None:
        return decode_model(model_cls, el, ctx)
    cls = _bean_by_jaxb_type(t, ctx)
    if cls is not None:
        return decode_bean(cls, el, ctx)
    if len(el):
        return {local(c.tag): decode_any(c, ctx) for c in el}
    return el.text


def _decode_list_wrapper(el, ctx):
    kind = "LIST"
    items = []
    for c in el:
        n = local(c.tag)
        if n == "type":
            kind = (c.text or "LIST").strip().upper()
        elif n == "element":
            items.append(c)
    if kind == "MAP":
        out = {}
        for c in items:
            val = None
            for v in c:
                if local(v.tag) == "value":
                    val = decode_any(v, ctx)
            out[c.attrib.get("key")] = val
        return out
    values = [decode_any(c, ctx) for c in items]
    return JavaSet(values) if kind == "SET" else values


def _bean_by_jaxb_type(t, ctx):
    if ctx.types is None:
        return None
    for cls in ctx.types.classes():
        if jaxb_type_of_bean(cls) == t:
            return cls
    if ctx.types.parent is not None:
        for cls in ctx.types.parent.classes():
            if jaxb_type_of_bean(cls) == t:
                return cls
    return None


def decode_bean(cls, el, ctx):
    obj = cls()
    groups = _children_by_tag(el)
    for name, nodes in groups.items():
        t = field_type(obj, name)
        if t is None and not cls._dynamic:
            continue
        cat = type_category(t) if t is not None else None
        if cat == "list" or (cat is None and len(nodes) > 1):
            setattr(obj, name, [_bean_field(n, _list_item_type(t), ctx) for n in nodes])
        else:
            setattr(obj, name, _bean_field(nodes[-1], t, ctx))
    return obj


def _list_item_type(t):
    if t and "<" in t and t.endswith(">"):
        return t[t.index("<") + 1:-1]
    return None


def _bean_field(el, t, ctx):
    if XSI_TYPE in el.attrib:
        return decode_any(el, ctx)
    cat = type_category(t) if t else None
    if cat == "bean":
        cls = ctx.bean_class(t, allow_dynamic=True) if ctx.types is not None else None
        if cls is not None and issubclass(cls, JavaEnum):
            try:
                return cls.of(el.text or "")
            except ValueError as e:
                raise MarshallingError(str(e)) from None
        if cls is not None:
            return decode_bean(cls, el, ctx)
    if cat == "map":
        return _entry_map(el, ctx)
    if len(el):
        return {local(c.tag): decode_any(c, ctx) for c in el}
    text = el.text or ""
    if cat in (None, "object", "bean", "list"):
        return text   # no xsi:type and no declared type: JAXB gives the text
    return coerce_scalar(text, cat)
