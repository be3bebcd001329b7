"""The three KIE wire formats (JSON, JAXB, XSTREAM) over one description of each KIE type.

    from marshallers import marshal, unmarshal, select_format
    fmt, media = select_format(accept, content_type, x_kie_content_type)
    text = marshal(ServiceResponse.success("Kie Server info", info), fmt)
    container = unmarshal(body, fmt, KieContainerResource, types=container.types)

``types`` is the container's TypeRegistry (custom classes); None for server-level calls.
"""
from __future__ import annotations

from marshallers import codec_jaxb, codec_json, codec_xstream
from marshallers.common import Ctx, MarshallingError
from marshallers.formats import (JAXB, JSON, XSTREAM, Format, FormatError, MarshallingFormat,
                                 parse_format, select_format)
from marshallers.model import ANY, MAP, Field, ListOf, Model, OneOf
from marshallers.xmltree import XmlError

__all__ = ["marshal", "unmarshal", "select_format", "parse_format", "Format", "FormatError",
           "MarshallingFormat", "MarshallingError", "XmlError", "JSON", "JAXB", "XSTREAM", "Model",
           "Field", "ListOf", "OneOf", "ANY", "MAP"]


def marshal(value, fmt: Format, *, types=None) -> str:
    """Write a KIE model object or a plain Java value in the given format."""
    kind = fmt.kind
    if kind is MarshallingFormat.JSON:
        return codec_json.encode(value, Ctx(types, fmt.not_null), strict=fmt.strict)
    if kind is MarshallingFormat.JAXB:
        return codec_jaxb.encode(value, Ctx(types))
    return codec_xstream.encode(value, Ctx(types))


def unmarshal(body, fmt: Format, expected, *, types=None):
    """Read a request body as `expected` (a Model subclass, ANY or MAP).

    Raises MarshallingError for anything unreadable (malformed, hostile, wrong type)."""
    kind = fmt.kind
    ctx = Ctx(types)
    if kind is MarshallingFormat.JSON:
        value = codec_json.decode(body, expected, ctx)
    elif kind is MarshallingFormat.JAXB:
        value = codec_jaxb.decode(body, expected, ctx)
    else:
        value = codec_xstream.decode(body, expected, ctx)
    if expected is MAP and value is not None and not isinstance(value, dict):
        raise MarshallingError("Expected a map of values")
    return value
