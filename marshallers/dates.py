"""java.util.Date in the three wire formats (server time zone: UTC)."""
from __future__ import annotations

import datetime as dt
import re

UTC = dt.timezone.utc
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


def to_millis(d: dt.datetime) -> int:
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    delta = d - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000


def from_millis(ms) -> dt.datetime:
    ms = int(ms)
    return _EPOCH + dt.timedelta(milliseconds=ms)


def now() -> dt.datetime:
    """Current time truncated to milliseconds (Java's precision)."""
    n = dt.datetime.now(UTC)
    return n.replace(microsecond=n.microsecond // 1000 * 1000)


def jaxb_format(d: dt.datetime) -> str:
    d = d.astimezone(UTC) if d.tzinfo else d.replace(tzinfo=UTC)
    ms = d.microsecond // 1000
    base = d.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{ms:03d}Z" if ms else base + "Z"


def xstream_format(d: dt.datetime) -> str:
    d = d.astimezone(UTC) if d.tzinfo else d.replace(tzinfo=UTC)
    return d.strftime("%Y-%m-%d %H:%M:%S") + f".{d.microsecond // 1000} UTC"


_ZONES = {"UTC": 0, "GMT": 0, "Z": 0, "CET": 60, "CEST": 120, "EET": 120, "EEST": 180, "BST": 60,
          "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360, "PST": -480,
          "PDT": -420, "IST": 330, "JST": 540}

_XSTREAM_RE = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,3}))?(?: ([A-Za-z]+))?$")
_ISO_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?$")


def parse_date(value) -> dt.datetime:
    """Accept epoch millis, ISO-8601 (with Z, +01:00 or +0100), plain dates and XStream's form."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return from_millis(value)
    s = str(value).strip()
    if re.fullmatch(r"-?\d+", s):
        return from_millis(int(s))
    m = _XSTREAM_RE.match(s)
    if m:
        date, time, frac, zone = m.groups()
        base = dt.datetime.strptime(f"{date} {time}", "%Y-%m-%d %H:%M:%S")
        ms = int(frac) if frac else 0
        offset = _ZONES.get((zone or "UTC").upper(), 0)
        return (base + dt.timedelta(milliseconds=ms)).replace(
            tzinfo=dt.timezone(dt.timedelta(minutes=offset))).astimezone(UTC)
    m = _ISO_RE.match(s)
    if m:
        date, time, frac, zone = m.groups()
        time = time or "00:00:00"
        if len(time) == 5:
            time += ":00"
        base = dt.datetime.strptime(f"{date} {time}", "%Y-%m-%d %H:%M:%S")
        if frac:
            base += dt.timedelta(microseconds=int((frac + "000000")[:6]))
        if zone and zone != "Z":
            sign = -1 if zone[0] == "-" else 1
            z = zone[1:].replace(":", "")
            tz = dt.timezone(sign * dt.timedelta(hours=int(z[:2]), minutes=int(z[2:])))
        else:
            tz = UTC
        return base.replace(tzinfo=tz).astimezone(UTC)
    raise ValueError(f"Unparseable date '{s}'")
