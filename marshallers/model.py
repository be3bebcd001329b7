"""One description of each KIE type drives the JSON, JAXB and XSTREAM codecs.

A KIE type is a subclass of :class:`Model` listing its :class:`Field`s once::

    class ReleaseId(Model):
        java_class = "org.kie.server.api.model.ReleaseId"
        jaxb_root = "release-id"          # JAXB root element / ServiceResponse result element / JSON result key
        xstream_root = "release-id"       # XStream alias (default: java_class, i.e. the FQCN)
        fields = (
            Field("group_id", "group-id"),
            Field("artifact_id", "artifact-id"),
            Field("version"),
        )
        jaxb_order = ("artifact_id", "group_id", "version")   # JAXB RI order when it differs

Field value kinds (``type=``): ``str`` (also enums), ``int``, ``Long``, ``float``, ``bool``,
``datetime`` (java.util.Date), ``ANY`` (an untyped java.lang.Object slot), ``MAP`` (Map<String,Object>),
``ListOf(kind)`` and any Model subclass.

Per-format naming, all optional:
  json=           JSON key (default: attr with '_' -> '-')
  jaxb=           JAXB element or attribute name (default: the JSON key); jaxb_attr=True for attributes
  jaxb_wrap=      lists: JAXB wraps the repeated items in this element (default: items repeat unwrapped)
  jaxb_item=      lists: JAXB element name of each item (default: the field's jaxb name)
  xstream=        XStream element name (default: the JSON key; use the Java field name for un-aliased types)
  xstream_item=   lists: element name of each item (default from the item kind: string, int, model alias...)
  xstream_implicit=True   lists: items directly inside the parent (XStream implicit collection)
  xstream_class=  value of the class="" attribute XStream writes on the collection element
  xstream_attr=True       XStream writes the field as an attribute
  jaxb_omit / xstream_omit / json_omit   the field does not exist in that format
Instances are plain Python objects with one attribute per field.
"""
from __future__ import annotations

import datetime

from containers.values import Long

__all__ = ["Model", "Field", "ListOf", "OneOf", "ANY", "MAP", "RESULT", "registry", "find_by_jaxb_root",
           "find_by_xstream_root", "datetime"]


class _Kind:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


ANY = _Kind("ANY")   # java.lang.Object
MAP = _Kind("MAP")   # java.util.Map<String, Object>
RESULT = _Kind("RESULT")  # ServiceResponse.result: polymorphic, named after the value's KIE type


class ListOf:
    __slots__ = ("item",)

    def __init__(self, item):
        self.item = item

    def __repr__(self):
        return f"ListOf({self.item!r})"


class OneOf:
    """A slot holding one of several KIE types, named after the value's type in every format
    (JSON: {"<jaxb_root>": {...}}, JAXB: <jaxb_root>, XStream: <xstream_root>)."""
    __slots__ = ("choices",)

    def __init__(self, *choices):
        self.choices = choices

    def by_jaxb(self, name):
        for c in self.choices:
            if c.jaxb_root == name:
                return c
        return None

    def by_xstream(self, name):
        for c in self.choices:
            if c.xstream_root == name:
                return c
        return None


class Field:
    __slots__ = ("attr", "json", "type", "jaxb", "jaxb_attr", "jaxb_wrap", "jaxb_item", "xstream",
                 "xstream_item", "xstream_implicit", "xstream_class", "xstream_attr", "default",
                 "jaxb_omit", "xstream_omit", "json_omit", "json_style")

    def __init__(self, attr, json=None, type=str, *, jaxb=None, jaxb_attr=False, jaxb_wrap=None,
                 jaxb_item=None, xstream=None, xstream_item=None, xstream_implicit=False,
                 xstream_class=None, xstream_attr=False, default=None, jaxb_omit=False,
                 xstream_omit=False, json_omit=False, json_style="A"):
        self.attr = attr
        self.json = json or attr.replace("_", "-")
        self.type = type
        self.jaxb = jaxb or self.json
        self.jaxb_attr = jaxb_attr
        self.jaxb_wrap = jaxb_wrap
        self.jaxb_item = jaxb_item
        self.xstream = xstream or self.json
        self.xstream_item = xstream_item
        self.xstream_implicit = xstream_implicit
        self.xstream_class = xstream_class
        self.xstream_attr = xstream_attr
        self.default = default
        self.jaxb_omit = jaxb_omit
        self.xstream_omit = xstream_omit
        self.json_omit = json_omit
        self.json_style = json_style   # "A" (typed/custom-object splice) or "B" (JaxbUnknownAdapter)

    def make_default(self):
        d = self.default
        return d() if callable(d) else d

    def __repr__(self):
        return f"Field({self.attr!r})"


_by_jaxb_root: dict[str, type] = {}
_by_xstream_root: dict[str, type] = {}
_by_java_class: dict[str, type] = {}
_by_jaxb_type: dict[str, type] = {}


class _ModelMeta(type):
    def __init__(cls, name, bases, ns):
        super().__init__(name, bases, ns)
        if "fields" not in ns and name == "Model":
            return
        fields = tuple(cls.fields)
        cls._field_by_attr = {f.attr: f for f in fields}
        order = ns.get("jaxb_order")
        cls._jaxb_fields = tuple(cls._field_by_attr[a] for a in order) if order else fields
        order = ns.get("xstream_order")
        cls._xstream_fields = tuple(cls._field_by_attr[a] for a in order) if order else fields
        if ns.get("xstream_root") is None and ns.get("java_class"):
            cls.xstream_root = ns["java_class"]
        if ns.get("jaxb_root"):
            _by_jaxb_root.setdefault(cls.jaxb_root, cls)
        if cls.xstream_root:
            _by_xstream_root.setdefault(cls.xstream_root, cls)
        if ns.get("java_class"):
            _by_java_class.setdefault(cls.java_class, cls)
        if ns.get("jaxb_type"):
            _by_jaxb_type.setdefault(cls.jaxb_type, cls)


class Model(metaclass=_ModelMeta):
    java_class: str = ""
    jaxb_root: str | None = None     # JAXB root element name, also the ServiceResponse result key
    jaxb_type: str | None = None     # JAXB xsi:type name when the object sits in an untyped slot
    xstream_root: str | None = None  # XStream alias (FQCN by default)
    fields: tuple = ()
    jaxb_order = None
    xstream_order = None

    def __init__(self, **kwargs):
        cls = type(self)
        for f in cls.fields:
            setattr(self, f.attr, kwargs.pop(f.attr) if f.attr in kwargs else f.make_default())
        if kwargs:
            raise TypeError(f"{cls.__name__}: unknown fields {sorted(kwargs)}")

    def __eq__(self, other):
        return type(other) is type(self) and all(
            getattr(self, f.attr) == getattr(other, f.attr) for f in type(self).fields)

    __hash__ = object.__hash__

    def __repr__(self):
        inner = ", ".join(f"{f.attr}={getattr(self, f.attr)!r}" for f in type(self).fields
                          if getattr(self, f.attr) is not None)
        return f"{type(self).__name__}({inner})"


def registry():
    return dict(_by_jaxb_root)


def find_by_jaxb_root(name):
    return _by_jaxb_root.get(name)


def find_by_xstream_root(name):
    return _by_xstream_root.get(name)


def find_by_java_class(name):
    return _by_java_class.get(name)


def find_by_jaxb_type(name):
    return _by_jaxb_type.get(name)


SCALARS = (str, int, Long, float, bool, datetime.datetime)
