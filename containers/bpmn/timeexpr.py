"""Timer expressions as jBPM 7 reads them (DateTimeUtils / drools TimeUtils / Quartz cron).

    parse_time_string("1d2h3m4s500ms") -> millis   (a bare number is millis)
    parse_duration("PT1S" | "500ms" | "P1D")  -> millis
    parse_date_as_duration("2030-01-01T10:00:00+01:00") -> millis from now
    parse_repeatable("R3/PT1S") -> (repeat_count or -1, delay_ms, period_ms)
    CronExpression("0 0/5 * * * ?").next_after(datetime) -> datetime
"""
from __future__ import annotations

import calendar
import datetime as dt
import re

UTC = dt.timezone.utc

__all__ = ["TimerExpressionError", "parse_time_string", "parse_duration", "parse_iso_duration",
           "parse_date_as_duration", "parse_repeatable", "is_repeatable", "CronExpression", "is_cron"]


class TimerExpressionError(ValueError):
    pass


def _now():
    return dt.datetime.now(UTC)


_PART = re.compile(r"\s*(\d+)\s*(ms|MS|Ms|mS|[dDhHmMsS])?")


def parse_time_string(text) -> int:
    """drools TimeUtils.parseTimeString: '1d', '2h', '30m', '10s', '500ms', '1h30m', '1000' (ms)."""
    if text is None:
        raise TimerExpressionError("null time string")
    s = str(text).strip()
    if not s:
        return 0
    sign = 1
    if s[0] in "+-":
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    # plain decimal number of millis
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return sign * int(float(s))
    total = 0
    pos = 0
    seen_unitless = False
    units = {"d": 86400000, "h": 3600000, "m": 60000, "s": 1000, "ms": 1}
    while pos < len(s):
        m = _PART.match(s, pos)
        if not m or m.end() == pos:
            raise TimerExpressionError(f"Error parsing time string: [ {text} ]")
        num, unit = int(m.group(1)), (m.group(2) or "").lower()
        if not unit:
            if seen_unitless:
                raise TimerExpressionError(f"Error parsing time string: [ {text} ]")
            seen_unitless = True
            unit = "ms"
        total += num * units[unit]
        pos = m.end()
        while pos < len(s) and s[pos].isspace():
            pos += 1
    return sign * total


_ISO_TIME = re.compile(r"(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?$", re.I)
_ISO_DATE = re.compile(r"(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$", re.I)


def _add_months(d: dt.datetime, months: int) -> dt.datetime:
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    day = min(d.day, calendar.monthrange(y, m)[1])
    return d.replace(year=y, month=m, day=day)


def parse_iso_duration(text, now=None) -> int:
    """ISO-8601 durations as DateTimeUtils.getMillis: PTnHnMn.nS, PnYnMnWnD, PnDTnHnM."""
    s = str(text).strip()
    neg = s.startswith("-")
    if neg:
        s = s[1:]
    if not s[:1].upper() == "P":
        raise TimerExpressionError(f"Text cannot be parsed to a Duration: {text}")
    body = s[1:]
    if "T" in body.upper():
        idx = body.upper().index("T")
        date_part, time_part = body[:idx], body[idx + 1:]
    else:
        date_part, time_part = body, ""
    ms = 0
    if time_part:
        m = _ISO_TIME.match(time_part)
        if not m or not any(m.groups()):
            raise TimerExpressionError(f"Text cannot be parsed to a Duration: {text}")
        h, mi, sec = (float(g.replace(",", ".")) if g else 0.0 for g in m.groups())
        ms += int(round(h * 3600000 + mi * 60000 + sec * 1000))
    elif not date_part:
        raise TimerExpressionError(f"Text cannot be parsed to a Duration: {text}")
    if date_part:
        m = _ISO_DATE.match(date_part)
        if not m or not any(m.groups()):
            raise TimerExpressionError(f"Text cannot be parsed to a Period: {text}")
        years, months, weeks, days = (int(g) if g else 0 for g in m.groups())
        if years or months:
            base = now or _now()
            end = _add_months(base, years * 12 + months) + dt.timedelta(days=weeks * 7 + days)
            ms += int((end - base).total_seconds() * 1000)
        else:
            ms += (weeks * 7 + days) * 86400000
    return -ms if neg else ms


def parse_duration(text) -> int:
    s = str(text).strip()
    if s.startswith("P") or s.startswith("-P"):
        return parse_iso_duration(s)
    return parse_time_string(s)


def _parse_datetime(text) -> dt.datetime:
    s = str(text).strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    try:
        d = dt.datetime.fromisoformat(s)
    except ValueError:
        raise TimerExpressionError(f"Text '{text}' could not be parsed as a date-time") from None
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return d


def parse_date_as_duration(text, now=None) -> int:
    """Millis from now until an ISO date-time (or, failing that, a time string)."""
    try:
        when = _parse_datetime(text)
    except TimerExpressionError:
        return parse_time_string(text)
    return int(((when - (now or _now())).total_seconds()) * 1000)


def is_repeatable(text) -> bool:
    return text is not None and str(text).startswith("R")


def parse_repeatable(text, now=None):
    """DateTimeUtils.parseRepeatableDateTime for 'R[n]/...' forms and '<delay>###<period>'.

    Returns (repeat_count, delay_ms, period_ms); repeat_count is -1 when unbounded or not given.
    """
    s = str(text).strip()
    now = now or _now()
    if is_repeatable(s):
        parts = s.split("/")
        repeats = parts[0][1:]
        if len(parts) == 3:
            delay_in, period_in = parts[1], parts[2]
            if delay_in.startswith("P"):
                end = _parse_datetime(period_in)
                period = parse_iso_duration(delay_in, now)
                start_delay = int(((end - now).total_seconds()) * 1000) - period
            elif period_in.startswith("P"):
                start = _parse_datetime(delay_in)
                period = parse_iso_duration(period_in, now)
                start_delay = int(((start - now).total_seconds()) * 1000)
            else:
                start, end = _parse_datetime(delay_in), _parse_datetime(period_in)
                start_delay = int(((start - now).total_seconds()) * 1000)
                period = int(((end - start).total_seconds()) * 1000)
        elif len(parts) == 2:
            period = parse_iso_duration(parts[1], now)
            start_delay = period
        else:
            raise TimerExpressionError(f"Invalid repeatable expression: {text}")
        if start_delay <= 0:
            start_delay = 1000
        try:
            count = int(repeats) if repeats else -1
        except ValueError:
            raise TimerExpressionError(f"Invalid repeat count in {text}") from None
        return count, start_delay, period
    if "###" in s:
        delay, period = s.split("###", 1)
        return -1, parse_time_string(delay), parse_time_string(period)
    return -1, parse_time_string(s), 0


# ---------------------------------------------------------------------------------------------
# Quartz cron expressions: sec min hour day-of-month month day-of-week [year]

_MONTHS = {m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                       "NOV", "DEC"], 1)}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}


class CronExpression:
    """A Quartz cron expression; next_after(t) gives the next fire time strictly after t (UTC)."""

    def __init__(self, text):
        self.text = str(text).strip()
        fields = self.text.split()
        if len(fields) not in (6, 7):
            raise TimerExpressionError(f"Invalid cron expression: {text}")
        self.seconds = self._set(fields[0], 0, 59)
        self.minutes = self._set(fields[1], 0, 59)
        self.hours = self._set(fields[2], 0, 23)
        self.dom_spec = fields[3].upper()
        self.months = self._set(fields[4], 1, 12, _MONTHS)
        self.dow_spec = fields[5].upper()
        self.years = self._set(fields[6], 1970, 2199) if len(fields) == 7 else None
        if self.dom_spec != "?" and self.dow_spec != "?" and not (self.dom_spec == "*" or self.dow_spec == "*"):
            raise TimerExpressionError("Support for specifying both a day-of-week AND a day-of-month "
                                       "parameter is not implemented.")
        self._dom = None if self.dom_spec in ("?", "*") or any(c in self.dom_spec for c in "LW") \
            else self._set(self.dom_spec, 1, 31)
        self._dow = None if self.dow_spec in ("?", "*") or any(c in self.dow_spec for c in "L#") \
            else self._set(self.dow_spec, 1, 7, _DAYS)

    @staticmethod
    def _value(tok, names):
        tok = tok.strip().upper()
        if names and tok in names:
            return names[tok]
        if not tok.isdigit():
            raise TimerExpressionError(f"Illegal cron value '{tok}'")
        return int(tok)

    def _set(self, spec, lo, hi, names=None):
        out = set()
        for part in spec.split(","):
            step = 1
            if "/" in part:
                part, st = part.split("/", 1)
                step = int(st)
                if step <= 0:
                    raise TimerExpressionError("Increment must be positive")
            if part in ("*", "?", ""):
                a, b = lo, hi
            elif "-" in part:
                x, y = part.split("-", 1)
                a, b = self._value(x, names), self._value(y, names)
            else:
                a = self._value(part, names)
                b = hi if "/" in spec else a
            if a < lo or b > hi:
                raise TimerExpressionError(f"Cron value out of range: {spec}")
            if a <= b:
                out.update(range(a, b + 1, step))
            else:  # wrap-around range (e.g. FRI-MON)
                out.update(v for i, v in enumerate(list(range(a, hi + 1)) + list(range(lo, b + 1))) if i % step == 0)
        return out

    def _day_matches(self, d: dt.date) -> bool:
        if d.month not in self.months or (self.years is not None and d.year not in self.years):
            return False
        last = calendar.monthrange(d.year, d.month)[1]
        qdow = (d.isoweekday() % 7) + 1  # Quartz: 1=SUN .. 7=SAT
        if self.dom_spec not in ("?", "*"):
            spec = self.dom_spec
            if spec == "L":
                return d.day == last
            if spec.startswith("L-"):
                return d.day == last - int(spec[2:])
            if spec == "LW":
                target = last
                while dt.date(d.year, d.month, target).weekday() >= 5:
                    target -= 1
                return d.day == target
            if spec.endswith("W"):
                want = int(spec[:-1])
                want = min(want, last)
                wd = dt.date(d.year, d.month, want).weekday()
                if wd == 5:
                    want = want - 1 if want > 1 else want + 2
                elif wd == 6:
                    want = want + 1 if want < last else want - 2
                return d.day == want
            return d.day in self._dom
        if self.dow_spec not in ("?", "*"):
            spec = self.dow_spec
            if spec.endswith("L") and len(spec) > 1:
                day = self._value(spec[:-1], _DAYS)
                return qdow == day and d.day + 7 > last
            if "#" in spec:
                day, nth = spec.split("#", 1)
                return qdow == self._value(day, _DAYS) and (d.day - 1) // 7 + 1 == int(nth)
            if spec == "L":
                return qdow == 7
            return qdow in self._dow
        return True

    def next_after(self, after: dt.datetime) -> dt.datetime | None:
        if after.tzinfo is None:
            after = after.replace(tzinfo=UTC)
        after = after.astimezone(UTC).replace(microsecond=0)
        day = after.date()
        secs, mins, hours = sorted(self.seconds), sorted(self.minutes), sorted(self.hours)
        for _ in range(366 * 8):
            if self._day_matches(day):
                for h in hours:
                    for mi in mins:
                        for s in secs:
                            cand = dt.datetime(day.year, day.month, day.day, h, mi, s, tzinfo=UTC)
                            if cand > after:
                                return cand
            day += dt.timedelta(days=1)
        return None

    def delay_ms(self, now=None) -> int | None:
        now = now or _now()
        nxt = self.next_after(now)
        if nxt is None:
            return None
        return max(0, int((nxt - now).total_seconds() * 1000))


def is_cron(text) -> bool:
    try:
        CronExpression(text)
        return True
    except (TimerExpressionError, ValueError):
        return False
