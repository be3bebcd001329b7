"""A tiny XML tree, its two writers (JAXB style and XStream style) and a hardened parser."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as _safe_fromstring

XS_NS = "http://www.w3.org/2001/XMLSchema"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XSI_TYPE = "{%s}type" % XSI_NS

MAX_XML_DEPTH = 200


class XmlError(ValueError):
    """A malformed, hostile or unexpected XML document."""


class XNode:
    __slots__ = ("tag", "attrs", "children", "text")

    def __init__(self, tag, attrs=None, children=None, text=None):
        self.tag = tag
        self.attrs = attrs if attrs is not None else []
        self.children = children if children is not None else []
        self.text = text

    def add(self, child):
        self.children.append(child)
        return child

    def __repr__(self):
        return f"XNode({self.tag!r}, {self.attrs!r}, {len(self.children)} children, text={self.text!r})"


# ---------------------------------------------------------------------------------------------
# JAXB writer: declaration, 4-space indent, per-element xmlns:xs / xmlns:xsi, trailing newline

def _jaxb_text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _jaxb_attr(s: str) -> str:
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;"))


def write_jaxb(root: XNode) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n']
    _write_jaxb(root, out, 0, frozenset())
    return "".join(out)


def _write_jaxb(node: XNode, out, level, declared):
    pad = "    " * level
    parts = [pad, "<", node.tag]
    need = []
    for k, v in node.attrs:
        parts.append(f' {k}="{_jaxb_attr(v)}"')
        if k == "xsi:type":
            if v.startswith("xs:") and "xs" not in declared:
                need.append("xs")
            if "xsi" not in declared:
                need.append("xsi")
    if need:
        if "xs" in need:
            parts.append(f' xmlns:xs="{XS_NS}"')
        if "xsi" in need:
            parts.append(f' xmlns:xsi="{XSI_NS}"')
        declared = declared.union(need)
    if node.children:
        parts.append(">\n")
        out.append("".join(parts))
        for c in node.children:
            _write_jaxb(c, out, level + 1, declared)
        out.append(f"{pad}</{node.tag}>\n")
    elif node.text is not None:
        parts.append(f">{_jaxb_text(node.text)}</{node.tag}>\n")
        out.append("".join(parts))
    else:
        parts.append("/>\n")
        out.append("".join(parts))


# ---------------------------------------------------------------------------------------------
# XStream writer: no declaration, 2-space indent, no trailing newline

def _xs_text(s: str) -> str:
    s = (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
         .replace("'", "&apos;").replace("\r", "&#xd;"))
    if any(ord(c) < 32 and c not in "\n\t" for c in s):
        s = "".join(c if ord(c) >= 32 or c in "\n\t" else f"&#x{ord(c):x};" for c in s)
    return s


def _xs_attr(s: str) -> str:
    return _xs_text(s).replace("\n", "&#xa;")


def write_xstream(root: XNode) -> str:
    out = []
    _write_xstream(root, out, 0)
    return "\n".join(out)


def _write_xstream(node: XNode, out, level):
    pad = "  " * level
    attrs = "".join(f' {k}="{_xs_attr(v)}"' for k, v in node.attrs)
    if node.children:
        out.append(f"{pad}<{node.tag}{attrs}>")
        for c in node.children:
            _write_xstream(c, out, level + 1)
        out.append(f"{pad}</{node.tag}>")
    elif node.text is not None:
        out.append(f"{pad}<{node.tag}{attrs}>{_xs_text(node.text)}</{node.tag}>")
    else:
        out.append(f"{pad}<{node.tag}{attrs}/>")


# ---------------------------------------------------------------------------------------------
# Parsing

def parse_xml(text) -> ET.Element:
    """Parse an XML request body with DTDs, entities and external references refused."""
    if isinstance(text, bytes):
        data = text
    else:
        data = text.encode("utf-8")
    if not data.strip():
        raise XmlError("Empty XML document")
    try:
        root = _safe_fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        raise XmlError(f"XML document refused: {type(e).__name__} (DTDs and entities are not allowed)") from None
    except ET.ParseError as e:
        raise XmlError(f"Malformed XML: {e}") from None
    _check_depth(root)
    return root


def _check_depth(root):
    stack = [(root, 1)]
    while stack:
        el, d = stack.pop()
        if d > MAX_XML_DEPTH:
            raise XmlError(f"XML document nested deeper than {MAX_XML_DEPTH} levels")
        stack.extend((c, d + 1) for c in el)


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if tag[:1] == "{" else tag


def el_text(el) -> str:
    return el.text or ""
