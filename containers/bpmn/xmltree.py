"""A small, hardened XML reader for BPMN2 files: namespace-aware elements with line numbers.

Built on expat with defusedxml's protections (no DTD entity declarations, no external entities).
"""
from __future__ import annotations

from xml.parsers import expat

from defusedxml.common import EntitiesForbidden, ExternalReferenceForbidden

MAX_BYTES = 32 * 1024 * 1024


class XmlError(ValueError):
    def __init__(self, message, line=None):
        super().__init__(message)
        self.message = message
        self.line = line


class El:
    """An element: `ns` (namespace URI or ""), `tag` (local name), `attrs` {local name: value},
    `nsattrs` {(ns, local): value} for namespaced attributes, `children`, `line`."""

    __slots__ = ("ns", "tag", "attrs", "nsattrs", "children", "parts", "line", "parent")

    def __init__(self, ns, tag, line):
        self.ns = ns
        self.tag = tag
        self.attrs = {}
        self.nsattrs = {}
        self.children = []
        self.parts = []
        self.line = line
        self.parent = None

    def get(self, name, default=None):
        """An attribute by local name (any namespace, unprefixed first), as jBPM's DOM reads them."""
        v = self.attrs.get(name)
        if v is not None:
            return v
        for (_ns, local), val in self.nsattrs.items():
            if local == name:
                return val
        return default

    def nsget(self, ns, name, default=None):
        return self.nsattrs.get((ns, name), default)

    def find(self, tag):
        for c in self.children:
            if c.tag == tag:
                return c
        return None

    def findall(self, tag):
        return [c for c in self.children if c.tag == tag]

    @property
    def text(self):
        """Direct text of the element (CDATA included)."""
        return "".join(self.parts)

    def text_content(self):
        """DOM getTextContent(): all descendant text."""
        out = []
        self._collect(out)
        return "".join(out)

    def _collect(self, out):
        # text and children interleave; we keep direct text first (order inside mixed content is
        # not significant for BPMN)
        out.extend(self.parts)
        for c in self.children:
            c._collect(out)

    def __repr__(self):
        return f"<{self.tag} line={self.line} {self.attrs}>"


def parse_xml(data) -> El:
    if isinstance(data, str):
        data = data.encode("utf-8") if not data.lstrip().startswith("<?xml") else data.encode("utf-8")
    if len(data) > MAX_BYTES:
        raise XmlError("document too large")
    p = expat.ParserCreate(namespace_separator="\x01")
    root_holder = []
    stack = []

    def start(name, attrs):
        ns, _, local = name.rpartition("\x01")
        el = El(ns, local, p.CurrentLineNumber)
        for k, v in attrs.items():
            ans, _, alocal = k.rpartition("\x01")
            if ans:
                el.nsattrs[(ans, alocal)] = v
            else:
                el.attrs[alocal] = v
        if stack:
            el.parent = stack[-1]
            stack[-1].children.append(el)
        else:
            root_holder.append(el)
        stack.append(el)

    def end(_name):
        stack.pop()

    def chars(text):
        if stack:
            stack[-1].parts.append(text)

    def forbid_entity(name, is_parameter_entity, value, base, sysid, pubid, notation_name):
        raise EntitiesForbidden(name, value, base, sysid, pubid, notation_name)

    def forbid_unparsed(name, base, sysid, pubid, notation_name):
        raise EntitiesForbidden(name, None, base, sysid, pubid, notation_name)

    def forbid_external(context, base, sysid, pubid):
        raise ExternalReferenceForbidden(context, base, sysid, pubid)

    p.StartElementHandler = start
    p.EndElementHandler = end
    p.CharacterDataHandler = chars
    p.EntityDeclHandler = forbid_entity
    p.UnparsedEntityDeclHandler = forbid_unparsed
    p.ExternalEntityRefHandler = forbid_external
    p.buffer_text = True
    try:
        p.Parse(data, True)
    except expat.ExpatError as e:
        raise XmlError(f"malformed XML: {expat.ErrorString(e.code)}", e.lineno) from None
    except (EntitiesForbidden, ExternalReferenceForbidden) as e:
        raise XmlError(f"forbidden XML construct: {e}", p.CurrentLineNumber) from None
    if not root_holder:
        raise XmlError("empty document")
    return root_holder[0]
