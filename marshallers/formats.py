"""Marshalling format names and the header rules KIE Server uses to choose one.

Precedence (RestUtils.getContentType): X-KIE-ContentType > Content-Type > negotiated Accept > XML.
The chosen string drives both request parsing and response marshalling; the response's HTTP
Content-Type is chosen separately (getVariant).
"""
from __future__ import annotations

import enum
import functools


class MarshallingFormat(enum.Enum):
    XSTREAM = "xstream"
    JAXB = "xml"
    JSON = "json"


class FormatError(ValueError):
    """An X-KIE-ContentType (or Content-Type) value that names no marshalling format."""


class Format:
    """A chosen format with its parameters (strict=true, fields=not_null, ...)."""

    __slots__ = ("kind", "params", "raw")

    def __init__(self, kind: MarshallingFormat, params: dict | None = None, raw: str = ""):
        self.kind = kind
        self.params = params or {}
        self.raw = raw

    @property
    def strict(self) -> bool:
        return self.params.get("strict", "").lower() == "true"

    @property
    def not_null(self) -> bool:
        return self.params.get("fields", "").lower() == "not_null"

    @property
    def bare(self) -> "Format":
        return Format(self.kind, {}, self.kind.value)

    def __eq__(self, other):
        return isinstance(other, Format) and other.kind == self.kind and other.params == self.params

    def __hash__(self):
        return hash((self.kind, tuple(sorted(self.params.items()))))

    def __repr__(self):
        return f"Format({self.kind.name}, {self.params})"


JSON = Format(MarshallingFormat.JSON, {}, "json")
JAXB = Format(MarshallingFormat.JAXB, {}, "xml")
XSTREAM = Format(MarshallingFormat.XSTREAM, {}, "xstream")


def parse_format(value: str) -> Format:
    """MarshallingFormat.fromType + buildParameters."""
    v = (value or "").strip()
    low = v.lower()
    kind = None
    for prefixes, k in ((("xstream", "application/xstream"), MarshallingFormat.XSTREAM),
                        (("xml", "application/xml"), MarshallingFormat.JAXB),
                        (("json", "application/json"), MarshallingFormat.JSON)):
        if low.startswith(prefixes):
            kind = k
            break
    if kind is None:
        up = v.upper()
        if up in ("JAXB", "JSON", "XSTREAM"):
            kind = {"JAXB": MarshallingFormat.JAXB, "JSON": MarshallingFormat.JSON,
                    "XSTREAM": MarshallingFormat.XSTREAM}[up]
        else:
            raise FormatError(f"Invalid marshalling format [{value}]")
    params = {}
    if ";" in v:
        for piece in v.split(";")[1:]:
            if "=" in piece:
                name, _, val = piece.partition("=")
                params[name.strip()] = val.strip()
    return Format(kind, params, v)


# ---------------------------------------------------------------------------------------------
# Accept negotiation (KIE's patched RESTEasy ServerDrivenNegotiation)

_VARIANTS = (
    ("application", "xml", {}),
    ("application", "json", {"strict": "true"}),
    ("application", "json", {"fields": "not_null"}),
    ("application", "json", {"strict": "true", "fields": "not_null"}),
    ("application", "json", {}),
)


def _variant_str(v):
    t, s, p = v
    return f"{t}/{s}" + "".join(f";{k}={val}" for k, val in p.items())


def _parse_accept(header: str):
    ranges = []
    for part in header.split(","):
        part = part.strip()
        if not part:
            continue
        pieces = [p.strip() for p in part.split(";")]
        mt = pieces[0]
        if "/" not in mt:
            if mt == "*":
                mt = "*/*"
            else:
                continue
        t, _, s = mt.partition("/")
        q = 1.0
        params = {}
        for p in pieces[1:]:
            if "=" not in p:
                continue
            k, _, val = p.partition("=")
            k, val = k.strip(), val.strip().strip('"')
            if k == "q":
                try:
                    q = float(val)
                except ValueError:
                    q = 0.0
            else:
                params[k] = val
        ranges.append((t, s, params, q))
    return ranges


@functools.lru_cache(maxsize=512)
def negotiate_accept(header: str | None) -> str | None:
    """Return the media type string of the chosen variant, or None when nothing is acceptable."""
    if not header:
        return None
    ranges = _parse_accept(header)
    best = None
    best_q = 0.0
    for v in _VARIANTS:
        vt, vs, vp = v
        chosen = None
        for t, s, params, q in ranges:
            if q <= 0:
                continue
            score = 0
            if t != "*":
                if t != vt:
                    continue
                score += 1
            if s != "*":
                if s != vs:
                    continue
                score += 1
            if params:
                if all(k in vp and vp[k] == val for k, val in params.items() if k != "charset"):
                    score += sum(1 for k in params if k in vp)
                else:
                    continue
            cand = (score, q)
            if chosen is None or cand > chosen:
                chosen = cand
        if chosen is None:
            continue
        score, q = chosen
        quality = round(q * (score / 1000 if score else 0.001), 5)
        if best is None:
            best, best_q = v, quality
            continue
        if (best[0], best[1]) == (vt, vs):
            if quality > best_q or (quality == best_q and len(vp) < len(best[2])):
                best, best_q = v, quality
        elif quality > best_q:
            best, best_q = v, quality
    return _variant_str(best) if best else None


@functools.lru_cache(maxsize=512)
def select_format(accept: str | None, content_type: str | None, kie_content_type: str | None):
    """Return (Format, response media type) as KIE Server computes them.

    Raises FormatError for a value that names no format (KIE answers 500 there).
    """
    variant = negotiate_accept(accept)
    value = variant or "application/xml"
    if content_type:
        value = content_type
    if kie_content_type:
        value = kie_content_type
    fmt = parse_format(value)
    if variant:
        media = variant
    else:
        low = value.strip().lower()
        if "/" in low and (low.startswith("application/json") or low.startswith("application/xml")):
            media = value.strip()
        else:
            media = "application/json" if fmt.kind is MarshallingFormat.JSON else "application/xml"
    return fmt, media
