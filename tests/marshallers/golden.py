"""Helpers to compare our output with the golden files of the real KIE marshallers."""
import os
import xml.etree.ElementTree as ET

import orjson

SAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "reference", "wire-formats-samples")
if not os.path.isdir(SAMPLES):
    SAMPLES = "/work/shared/reference/wire-formats-samples"

EXT = {"json": ".json", "jaxb": ".jaxb.xml", "xstream": ".xstream.xml", "strict": ".strict_notnull.json"}


def sample(name, kind):
    with open(os.path.join(SAMPLES, name + EXT[kind]), encoding="utf-8") as f:
        return f.read()


def has_sample(name, kind):
    return os.path.exists(os.path.join(SAMPLES, name + EXT[kind]))


def _canon(el):
    tag = el.tag
    attrs = tuple(sorted(el.attrib.items()))
    kids = tuple(_canon(c) for c in el)
    text = (el.text or "").strip() if not kids else ""
    return (tag, attrs, text, kids)


def same_xml(a, b):
    """Semantic XML equality: same elements in the same order, same attributes and texts."""
    return _canon(ET.fromstring(a.encode())) == _canon(ET.fromstring(b.encode()))


def same_json(a, b):
    return orjson.loads(a) == orjson.loads(b)
