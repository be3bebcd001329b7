"""Runtime helpers with Java semantics, called by the generated Python code."""
from __future__ import annotations

import datetime as _dt
import decimal
import math
import re

from containers.values import (BigInteger, Char, Float, JavaBean, JavaSet, LocalDateTime, Long, Short,
                               java_type_name, to_java_string)

INT_MIN, INT_MAX = -(2 ** 31), 2 ** 31 - 1
LONG_MIN, LONG_MAX = -(2 ** 63), 2 ** 63 - 1


class JavaException(Exception):
    """An exception thrown by Java/MVEL code (`throw new X("...")`) or a Java runtime error."""

    def __init__(self, java_class, message=None):
        self.java_class = java_class
        self.message = message
        super().__init__(f"{java_class}: {message}" if message is not None else java_class)

    def getMessage(self):
        return self.message

    def getClass(self):
        return _ClassRef(self.java_class)


class NullPointerException(JavaException):
    def __init__(self, message=None):
        super().__init__("java.lang.NullPointerException", message)


class _ClassRef:
    def __init__(self, name):
        self.name = name

    def getName(self):
        return self.name

    def getSimpleName(self):
        return self.name.rsplit(".", 1)[-1]


# ---------------------------------------------------------------------------------------------
# numbers

def _wrap_int(r):
    if INT_MIN <= r <= INT_MAX:
        return r
    return ((r - INT_MIN) % 2 ** 32) + INT_MIN


def _wrap_long(r):
    if LONG_MIN <= r <= LONG_MAX:
        return Long(r)
    return Long(((r - LONG_MIN) % 2 ** 64) + LONG_MIN)


def _is_num(v):
    return isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool)


def _kind(a, b):
    """'dec' | 'double' | 'float' | 'long' | 'int' for a binary numeric operation."""
    if isinstance(a, decimal.Decimal) or isinstance(b, decimal.Decimal):
        return "dec"
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, Float) and (isinstance(b, Float) or not isinstance(b, float)):
            return "float"
        if isinstance(b, Float) and not isinstance(a, float):
            return "float"
        return "double"
    if isinstance(a, (Long, BigInteger)) or isinstance(b, (Long, BigInteger)):
        return "long"
    return "int"


def _dec(v):
    return v if isinstance(v, decimal.Decimal) else decimal.Decimal(str(v))


def _num_result(kind, r):
    if kind == "int":
        return _wrap_int(r)
    if kind == "long":
        return _wrap_long(r)
    if kind == "float":
        return Float(r)
    return r


def _char_num(v):
    return ord(v) if isinstance(v, Char) else v


def add(a, b):
    if type(a) is int and type(b) is int:  # the common int + int path
        r = a + b
        return r if INT_MIN <= r <= INT_MAX else _wrap_int(r)
    if isinstance(a, str) and not isinstance(a, Char) or isinstance(b, str) and not isinstance(b, Char):
        return to_java_string(a) + to_java_string(b)
    a, b = _char_num(a), _char_num(b)
    if a is None or b is None:
        raise NullPointerException()
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        raise JavaException("java.lang.ClassCastException", "cannot add collections")
    k = _kind(a, b)
    if k == "dec":
        return _dec(a) + _dec(b)
    return _num_result(k, a + b)


def _arith(a, b, op):
    a, b = _char_num(a), _char_num(b)
    if a is None or b is None:
        raise NullPointerException()
    if not (_is_num(a) and _is_num(b)):
        raise JavaException("java.lang.ClassCastException",
                            f"bad operand types for {op}: {java_type_name(a)}, {java_type_name(b)}")
    return _kind(a, b), a, b


def sub(a, b):
    if type(a) is int and type(b) is int:
        r = a - b
        return r if INT_MIN <= r <= INT_MAX else _wrap_int(r)
    k, a, b = _arith(a, b, "-")
    if k == "dec":
        return _dec(a) - _dec(b)
    return _num_result(k, a - b)


def mul(a, b):
    if type(a) is int and type(b) is int:
        r = a * b
        return r if INT_MIN <= r <= INT_MAX else _wrap_int(r)
    k, a, b = _arith(a, b, "*")
    if k == "dec":
        return _dec(a) * _dec(b)
    return _num_result(k, a * b)


def div(a, b):
    k, a, b = _arith(a, b, "/")
    if k in ("int", "long"):
        if b == 0:
            raise JavaException("java.lang.ArithmeticException", "/ by zero")
        q = abs(a) // abs(b)
        return _num_result(k, q if (a >= 0) == (b >= 0) else -q)
    if k == "dec":
        if b == 0:
            raise JavaException("java.lang.ArithmeticException", "/ by zero")
        return _dec(a) / _dec(b)
    if b == 0:
        if a == 0 or math.isnan(a):
            return _num_result(k, math.nan)
        return _num_result(k, math.copysign(math.inf, a) * math.copysign(1, b))
    return _num_result(k, a / b)


def mod(a, b):
    k, a, b = _arith(a, b, "%")
    if k in ("int", "long"):
        if b == 0:
            raise JavaException("java.lang.ArithmeticException", "/ by zero")
        r = abs(a) % abs(b)  # Java: the result takes the sign of the dividend
        return _num_result(k, -r if a < 0 else r)
    if k == "dec":
        return _dec(a) % _dec(b)
    if b == 0:
        return _num_result(k, math.nan)
    return _num_result(k, math.fmod(a, b))


def neg(a):
    if a is None:
        raise NullPointerException()
    if isinstance(a, Long):
        return _wrap_long(-a)
    if isinstance(a, Float):
        return Float(-a)
    if isinstance(a, int) and not isinstance(a, bool):
        return _wrap_int(-a)
    return -a


def bitop(op, a, b):
    if isinstance(a, bool) and isinstance(b, bool):
        return {"&": a and b, "|": a or b, "^": a != b}[op]
    k = "long" if isinstance(a, Long) or isinstance(b, Long) else "int"
    r = {"&": lambda: a & b, "|": lambda: a | b, "^": lambda: a ^ b, "<<": lambda: a << (b & 63),
         ">>": lambda: a >> (b & 63),
         ">>>": lambda: (a % (2 ** (64 if k == "long" else 32))) >> (b & 63)}[op]()
    return _num_result(k, r)


# ---------------------------------------------------------------------------------------------
# equality and comparison

_SIMPLE = frozenset((str, int, float, bool))
_FAST_CMP = frozenset((str, int, float))


def eq(a, b):
    """MVEL/DRL `==`: null-safe equals; numbers compare by value across types."""
    if a is b:
        return True
    ta = type(a)
    if ta is type(b) and ta in _SIMPLE:
        return a == b
    if a is None or b is None:
        return False
    if _is_num(a) and _is_num(b):
        if isinstance(a, decimal.Decimal) or isinstance(b, decimal.Decimal):
            return _dec(a) == _dec(b)
        return a == b
    if isinstance(a, Char) and isinstance(b, str) or isinstance(b, Char) and isinstance(a, str):
        return str(a) == str(b)
    if isinstance(a, bool) or isinstance(b, bool):
        if isinstance(a, str) or isinstance(b, str):
            return str(a).lower() == str(b).lower()
        return a == b
    if isinstance(a, _dt.date) and isinstance(b, str) or isinstance(b, _dt.date) and isinstance(a, str):
        p = _cmpable(a, b)
        return p is not None and p[0] == p[1]
    if isinstance(a, str) and _is_num(b) or isinstance(b, str) and _is_num(a):
        try:
            return decimal.Decimal(str(a)) == decimal.Decimal(str(b))
        except decimal.InvalidOperation:
            return False
    try:
        return a == b
    except Exception:  # noqa: BLE001
        return False


def ne(a, b):
    if a is b:
        return False
    ta = type(a)
    if ta is type(b) and ta in _SIMPLE:
        return a != b
    return not eq(a, b)


def _cmpable(a, b):
    if _is_num(a) and _is_num(b):
        if isinstance(a, decimal.Decimal) or isinstance(b, decimal.Decimal):
            return _dec(a), _dec(b)
        return a, b
    if isinstance(a, _dt.datetime) and isinstance(b, _dt.datetime):
        if (a.tzinfo is None) != (b.tzinfo is None):
            a = a.replace(tzinfo=None) if a.tzinfo else a
            b = b.replace(tzinfo=None) if b.tzinfo else b
        return a, b
    if isinstance(a, str) and isinstance(b, str):
        return a, b
    if isinstance(a, _dt.date) and isinstance(b, _dt.date):
        return a, b
    if isinstance(a, _dt.date) and isinstance(b, str):
        lit = date_literal(b, a)
        return None if lit is None else _cmpable(a, lit)
    if isinstance(b, _dt.date) and isinstance(a, str):
        lit = date_literal(a, b)
        return None if lit is None else _cmpable(lit, b)
    if isinstance(a, str) and _is_num(b) or isinstance(b, str) and _is_num(a):
        try:
            return decimal.Decimal(str(a)), decimal.Decimal(str(b))
        except decimal.InvalidOperation:
            return None
    return (a, b) if type(a) is type(b) else None


_date_literals: dict = {}


def date_literal(text, like):
    """A DRL date literal ("01-Jan-2020", Drools' default drools.dateformat, or ISO) as a value like `like`."""
    v = _date_literals.get(text, _MISSING)
    if v is _MISSING:
        v = None
        for fmt in ("%d-%b-%Y", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d-%b-%Y %H:%M"):
            try:
                v = _dt.datetime.strptime(text.strip(), fmt)
                break
            except ValueError:
                continue
        _date_literals[text] = v
    if v is None:
        return None
    if isinstance(like, _dt.datetime):
        return v.replace(tzinfo=like.tzinfo) if like.tzinfo is not None else v
    return v.date()


def lt(a, b):
    t = type(a)
    if t is type(b) and t in _FAST_CMP:
        return a < b
    if a is None or b is None:
        return False
    p = _cmpable(a, b)
    return p is not None and p[0] < p[1]


def le(a, b):
    t = type(a)
    if t is type(b) and t in _FAST_CMP:
        return a <= b
    if a is None or b is None:
        return False
    p = _cmpable(a, b)
    return p is not None and p[0] <= p[1]


def gt(a, b):
    t = type(a)
    if t is type(b) and t in _FAST_CMP:
        return a > b
    if a is None or b is None:
        return False
    p = _cmpable(a, b)
    return p is not None and p[0] > p[1]


def ge(a, b):
    t = type(a)
    if t is type(b) and t in _FAST_CMP:
        return a >= b
    if a is None or b is None:
        return False
    p = _cmpable(a, b)
    return p is not None and p[0] >= p[1]


def truth(v):
    if v is True:
        return True
    if v is False or v is None:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        return v.lower() == "true"
    return bool(v)


# ---------------------------------------------------------------------------------------------
# DRL operators

_JAVA_REGEX_FIX = [(re.compile(r"\\p\{Alpha\}"), "[A-Za-z]"), (re.compile(r"\\p\{Digit\}"), r"\\d"),
                   (re.compile(r"\\p\{Alnum\}"), "[A-Za-z0-9]"), (re.compile(r"\\p\{Upper\}"), "[A-Z]"),
                   (re.compile(r"\\p\{Lower\}"), "[a-z]"), (re.compile(r"\\p\{Punct\}"), r"[!-/:-@\[-`{-~]")]
_regex_cache: dict = {}


def _java_regex(p):
    r = _regex_cache.get(p)
    if r is None:
        q = p
        for pat, rep in _JAVA_REGEX_FIX:
            q = pat.sub(rep, q)
        r = _regex_cache[p] = re.compile(q, re.S)
    return r


def matches(a, pattern):
    if a is None or pattern is None:
        return False
    return _java_regex(str(pattern)).fullmatch(str(a)) is not None


def contains(a, b):
    if a is None:
        return False
    if isinstance(a, str):
        return b is not None and str(b) in a
    if isinstance(a, dict):
        return b in a
    try:
        return any(eq(x, b) for x in a)
    except TypeError:
        return False


def member_of(a, coll):
    return contains(coll, a)


def in_(a, items):
    return any(eq(a, x) for x in items)


def _soundex(s):
    s = "".join(c for c in str(s).upper() if c.isalpha())
    if not s:
        return ""
    codes = {**dict.fromkeys("BFPV", "1"), **dict.fromkeys("CGJKQSXZ", "2"), **dict.fromkeys("DT", "3"),
             "L": "4", **dict.fromkeys("MN", "5"), "R": "6"}
    out = s[0]
    last = codes.get(s[0], "")
    for c in s[1:]:
        code = codes.get(c, "")
        if code and code != last:
            out += code
        if c not in "HW":
            last = code
    return (out + "000")[:4]


def soundslike(a, b):
    if a is None or b is None:
        return False
    return _soundex(a) == _soundex(b)


def wordop(op, a, b):
    if op == "matches":
        return matches(a, b)
    if op == "contains":
        return contains(a, b)
    if op == "excludes":
        return not contains(a, b)
    if op == "memberOf":
        return member_of(a, b)
    if op == "soundslike":
        return soundslike(a, b)
    raise JavaException("java.lang.UnsupportedOperationException", f"operator {op}")


def strop(which, a, b):
    if a is None:
        return False
    s = str(a)
    if which == "startsWith":
        return b is not None and s.startswith(str(b))
    if which == "endsWith":
        return b is not None and s.endswith(str(b))
    if which == "length":
        return len(s) == b
    raise JavaException("java.lang.UnsupportedOperationException", f"str[{which}]")


# ---------------------------------------------------------------------------------------------
# property access and method calls

def getprop_fast(o, name):
    """getprop, with a bean's own field read first (the common case, no extra lookups)."""
    try:
        return o.__dict__[name]
    except (AttributeError, KeyError, TypeError):
        return getprop(o, name)


def getprop(o, name):
    d = getattr(o, "__dict__", None)
    if d is not None and name in d:
        return d[name]
    if isinstance(o, dict):
        return o.get(name)
    if o is None:
        raise NullPointerException(f"cannot read property '{name}' of null")
    if isinstance(o, _dt.date):   # java.util.Date / LocalDate: `d.time` is getTime(), not Python's time()
        try:
            return _date_method(o, "get" + name[:1].upper() + name[1:], [])
        except AttributeError:
            pass
    try:
        return getattr(o, name)
    except AttributeError:
        pass
    if isinstance(o, dict):
        return o.get(name)
    cap = name[:1].upper() + name[1:]
    for getter in ("get" + cap, "is" + cap):
        m = getattr(o, getter, None)
        if callable(m):
            return m()
    if isinstance(o, str) and name == "length":
        return len(o)
    if _is_num(o):
        try:
            return _num_method(o, name, [])
        except AttributeError:
            pass
    if isinstance(o, (list, tuple)) and name in ("size", "length"):
        return len(o)
    if isinstance(o, (list, tuple)) and name == "empty":
        return not o
    raise JavaException("java.lang.RuntimeException",
                        f"unable to resolve property '{name}' of {java_type_name(o)}")


def getprop_safe(o, name):
    return None if o is None else getprop(o, name)


def setprop(o, name, value):
    if isinstance(o, dict):
        o[name] = value
        return value
    if o is None:
        raise NullPointerException(f"cannot set property '{name}' of null")
    if isinstance(o, JavaBean):
        ftype = None
        for f in type(o)._fields:
            if f.name == name:
                ftype = f.type
                break
        if ftype is not None:
            from containers.expressions.convert import coerce
            value = coerce(value, ftype)
        setattr(o, name, value)
        return value
    setter = getattr(o, "set" + name[:1].upper() + name[1:], None)
    if callable(setter):
        setter(value)
        return value
    setattr(o, name, value)
    return value


def index(o, i):
    if o is None:
        raise NullPointerException()
    if isinstance(o, dict):
        return o.get(i)
    if isinstance(o, str):
        return Char(o[i])
    try:
        return o[i]
    except IndexError:
        raise JavaException("java.lang.IndexOutOfBoundsException", f"Index: {i}, Size: {len(o)}") from None


def setindex(o, i, v):
    if isinstance(o, dict):
        o[i] = v
    else:
        o[i] = v
    return v


def _format_f(v, flags, width, prec):
    """%f as java.util.Formatter writes it: HALF_UP on the shortest decimal form (1.005 -> 1.01)."""
    if v is None:
        return "null"
    digits = int(prec[1:]) if prec else 6
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        text = "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    else:
        d = v if isinstance(v, decimal.Decimal) else decimal.Decimal(repr(float(v)) if isinstance(v, float) else int(v))
        d = d.quantize(decimal.Decimal(1).scaleb(-digits), rounding=decimal.ROUND_HALF_UP)
        neg = d.is_signed() and d != 0
        text = f"{abs(d):,.{digits}f}" if "," in flags else f"{abs(d):.{digits}f}"
        sign = "-" if neg else ("+" if "+" in flags else (" " if " " in flags else ""))
        if "(" in flags and neg:
            text = "(" + text + ")"
            sign = ""
        if "0" in flags and width and "-" not in flags:
            text = text.rjust(int(width) - len(sign), "0")
        text = sign + text
    if width:
        text = text.ljust(int(width)) if "-" in flags else text.rjust(int(width))
    return text


def _str_format(fmt, *args):
    out = []
    it = iter(args)
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c == "%" and i + 1 < len(fmt):
            m = re.match(r"%([-#+ 0,(]*)(\d+)?(\.\d+)?([sdfnx%bc])", fmt[i:])
            if m:
                flags, width, prec, conv = m.groups()
                i += m.end()
                if conv == "%":
                    out.append("%")
                    continue
                if conv == "n":
                    out.append("\n")
                    continue
                v = next(it, None)
                spec = f"%{flags or ''}{width or ''}{prec or ''}"
                if conv == "s":
                    out.append((spec + "s") % to_java_string(v))
                elif conv == "d":
                    out.append((spec.replace(",", "") + "d") % v if "," not in (flags or "") else f"{v:,}")
                elif conv == "f":
                    out.append(_format_f(v, flags or "", width, prec))
                elif conv == "x":
                    out.append((spec + "x") % v)
                elif conv == "b":
                    out.append("true" if truth(v) else "false")
                elif conv == "c":
                    out.append(str(v))
                continue
        out.append(c)
        i += 1
    return "".join(out)


def _str_method(s, name, args):
    n = len(args)
    if name == "length":
        return len(s)
    if name == "equals":
        return args[0] is not None and isinstance(args[0], str) and s == args[0]
    if name == "equalsIgnoreCase":
        return args[0] is not None and s.lower() == str(args[0]).lower()
    if name == "startsWith":
        return s.startswith(args[0], args[1]) if n > 1 else s.startswith(args[0])
    if name == "endsWith":
        return s.endswith(args[0])
    if name == "contains":
        return str(args[0]) in s
    if name == "indexOf":
        return s.find(str(args[0]), args[1]) if n > 1 else s.find(str(args[0]))
    if name == "lastIndexOf":
        return s.rfind(str(args[0]))
    if name == "substring":
        if n == 1:
            if not 0 <= args[0] <= len(s):
                raise JavaException("java.lang.StringIndexOutOfBoundsException", f"begin {args[0]}, length {len(s)}")
            return s[args[0]:]
        if not 0 <= args[0] <= args[1] <= len(s):
            raise JavaException("java.lang.StringIndexOutOfBoundsException",
                                f"begin {args[0]}, end {args[1]}, length {len(s)}")
        return s[args[0]:args[1]]
    if name == "toUpperCase":
        return s.upper()
    if name == "toLowerCase":
        return s.lower()
    if name == "trim":
        return s.strip(" \t\n\r\x0b\f\x00")
    if name == "isEmpty":
        return len(s) == 0
    if name == "isBlank":
        return not s.strip()
    if name == "charAt":
        return Char(s[args[0]])
    if name == "replace":
        return s.replace(str(args[0]), str(args[1]))
    if name == "replaceAll":
        return _java_regex(args[0]).sub(str(args[1]).replace("$", "\\"), s)
    if name == "split":
        parts = _java_regex(args[0]).split(s)
        while parts and parts[-1] == "":
            parts.pop()
        return parts
    if name == "matches":
        return matches(s, args[0])
    if name == "compareTo":
        return (s > args[0]) - (s < args[0])
    if name == "compareToIgnoreCase":
        a, b = s.lower(), str(args[0]).lower()
        return (a > b) - (a < b)
    if name == "concat":
        return s + str(args[0])
    if name == "repeat":
        return s * args[0]
    if name == "formatted":
        return _str_format(s, *args)
    if name == "strip":
        return s.strip()
    if name in ("toString", "intern"):
        return s
    if name == "hashCode":
        h = 0
        for c in s:
            h = (31 * h + ord(c)) & 0xFFFFFFFF
        return h - 2 ** 32 if h > INT_MAX else h
    if name == "toCharArray":
        return [Char(c) for c in s]
    raise AttributeError(name)


def _list_method(o, name, args):
    n = len(args)
    if name == "size":
        return len(o)
    if name == "isEmpty":
        return len(o) == 0
    if name == "get":
        return index(o, args[0])
    if name == "add":
        if n == 2:
            o.insert(args[0], args[1])
            return None
        if isinstance(o, JavaSet):
            return o.add(args[0])
        o.append(args[0])
        return True
    if name == "addAll":
        before = len(o)
        for x in args[0]:
            if isinstance(o, JavaSet):
                o.add(x)
            else:
                o.append(x)
        return len(o) != before
    if name == "contains":
        return contains(o, args[0])
    if name == "containsAll":
        return all(contains(o, x) for x in args[0])
    if name == "indexOf":
        for i, x in enumerate(o):
            if eq(x, args[0]):
                return i
        return -1
    if name == "remove":
        a = args[0]
        if isinstance(a, int) and not isinstance(a, (bool, Long)) and not isinstance(o, JavaSet):
            return o.pop(a)
        for i, x in enumerate(o):
            if eq(x, a):
                del o[i]
                return True
        return False
    if name == "set":
        old = o[args[0]]
        o[args[0]] = args[1]
        return old
    if name == "clear":
        o.clear()
        return None
    if name in ("stream", "iterator"):
        return list(o)
    if name == "toArray":
        return list(o)
    if name == "equals":
        return list(o) == list(args[0]) if isinstance(args[0], (list, tuple)) else False
    if name == "toString":
        return to_java_string(o)
    raise AttributeError(name)


def _map_method(o, name, args):
    if name == "get":
        return o.get(args[0])
    if name == "put":
        old = o.get(args[0])
        o[args[0]] = args[1]
        return old
    if name == "containsKey":
        return args[0] in o
    if name == "containsValue":
        return any(eq(v, args[0]) for v in o.values())
    if name == "size":
        return len(o)
    if name == "isEmpty":
        return not o
    if name == "remove":
        return o.pop(args[0], None)
    if name == "keySet":
        return JavaSet(o.keys())
    if name == "values":
        return list(o.values())
    if name == "entrySet":
        return [_Entry(k, v) for k, v in o.items()]
    if name == "getOrDefault":
        return o.get(args[0], args[1])
    if name == "putAll":
        o.update(args[0])
        return None
    if name == "clear":
        o.clear()
        return None
    if name == "toString":
        return to_java_string(o)
    raise AttributeError(name)


class _Entry:
    def __init__(self, k, v):
        self.key, self.value = k, v

    def getKey(self):
        return self.key

    def getValue(self):
        return self.value

    def __str__(self):
        return f"{to_java_string(self.key)}={to_java_string(self.value)}"     # Map.Entry.toString


def _num_method(v, name, args):
    if name == "intValue":
        return _wrap_int(int(v))
    if name == "longValue":
        return Long(int(v))
    if name == "doubleValue":
        return float(v)
    if name == "floatValue":
        return Float(float(v))
    if name == "shortValue":
        return Short(int(v))
    if name == "equals":
        return type(args[0]) is type(v) and v == args[0]
    if name == "compareTo":
        a, b = _cmpable(v, args[0]) or (v, args[0])
        return (a > b) - (a < b)
    if name == "toString":
        return to_java_string(v)
    if name == "hashCode":
        return hash(v)
    if isinstance(v, decimal.Decimal):
        if name == "add":
            return v + _dec(args[0])
        if name == "subtract":
            return v - _dec(args[0])
        if name == "multiply":
            return v * _dec(args[0])
        if name == "divide":
            return v / _dec(args[0])
        if name == "negate":
            return -v
        if name == "abs":
            return abs(v)
        if name == "setScale":
            q = decimal.Decimal(1).scaleb(-args[0])
            return v.quantize(q, rounding=decimal.ROUND_HALF_UP)
    raise AttributeError(name)


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def _millis(d):
    if d.tzinfo is None:
        d = d.replace(tzinfo=_dt.timezone.utc)
    return (d - _EPOCH) // _dt.timedelta(milliseconds=1)


def _date_method(d, name, args):
    """java.util.Date (an aware datetime) and java.time.LocalDate/LocalDateTime basics."""
    if name in ("before", "isBefore"):
        return lt(d, args[0])
    if name in ("after", "isAfter"):
        return gt(d, args[0])
    if name == "compareTo":
        a, b = _cmpable(d, args[0]) or (d, args[0])
        return (a > b) - (a < b)
    if name in ("equals", "isEqual"):
        return eq(d, args[0])
    if name == "toString":
        return to_java_string(d)
    if isinstance(d, _dt.datetime) and not isinstance(d, LocalDateTime):   # java.util.Date
        if name == "getTime":
            return Long(_millis(d))
        raise AttributeError(name)
    if name == "getYear":
        return d.year
    if name == "getMonthValue":
        return d.month
    if name == "getDayOfMonth":
        return d.day
    if name == "plusDays":
        return d + _dt.timedelta(days=int(args[0]))
    if name == "minusDays":
        return d - _dt.timedelta(days=int(args[0]))
    raise AttributeError(name)


def call(o, name, args):
    """obj.name(args) with Java library behaviour for strings, numbers, lists and maps."""
    if o is None:
        raise NullPointerException(f"cannot invoke '{name}()' on null")
    if not args and isinstance(o, JavaBean):
        prop = _BEAN_GETTERS.get((type(o), name), _MISSING)
        if prop is _MISSING:
            prop = None
            if not hasattr(type(o), name):
                if name.startswith("get") and len(name) > 3:
                    prop = name[3].lower() + name[4:]
                elif name.startswith("is") and len(name) > 2:
                    prop = name[2].lower() + name[3:]
            _BEAN_GETTERS[(type(o), name)] = prop
        if prop is not None:
            d = o.__dict__
            if prop in d:
                return d[prop]
    if isinstance(o, str):
        try:
            return _str_method(o, name, args)
        except AttributeError:
            pass
    elif isinstance(o, bool):
        if name == "booleanValue":
            return o
        if name == "equals":
            return o == args[0]
        if name == "toString":
            return to_java_string(o)
    elif _is_num(o):
        try:
            return _num_method(o, name, args)
        except AttributeError:
            pass
    elif isinstance(o, _dt.date):
        try:
            return _date_method(o, name, args)
        except AttributeError:
            pass
    elif isinstance(o, dict):
        try:
            return _map_method(o, name, args)
        except AttributeError:
            pass
    elif isinstance(o, (list, tuple)):
        try:
            return _list_method(o, name, args)
        except AttributeError:
            pass
    m = getattr(o, name, None)
    if callable(m) and not isinstance(o, (str, int, float, list, dict)):
        return m(*args)
    if isinstance(o, JavaBean):
        if name.startswith("get") and len(name) > 3 and not args:
            return getprop(o, name[3].lower() + name[4:])
        if name.startswith("is") and len(name) > 2 and not args:
            return getprop(o, name[2].lower() + name[3:])
        if name.startswith("set") and len(name) > 3 and len(args) == 1:
            setprop(o, name[3].lower() + name[4:], args[0])
            return None
        if name == "equals":
            return o == args[0]
        if name == "hashCode":
            return hash(o)
        if name == "toString":
            return to_java_string(o)
        if name == "getClass":
            return _ClassRef(type(o)._java_name)
    elif not isinstance(o, (str, int, float, list, dict, tuple)):
        if name.startswith("get") and len(name) > 3 and not args:
            v = getattr(o, name[3].lower() + name[4:], _MISSING)
            if v is not _MISSING:
                return v
    if name == "equals" and len(args) == 1:
        return eq(o, args[0])
    if name == "toString" and not args:
        return to_java_string(o)
    if name == "getClass" and not args:
        return _ClassRef(java_type_name(o))
    raise JavaException("java.lang.RuntimeException",
                        f"unable to resolve method {java_type_name(o)}.{name}() with {len(args)} argument(s)")


_MISSING = object()
_BEAN_GETTERS = {}   # (bean class, method name) -> property a plain getter reads, or None


def iterate(o):
    if o is None:
        raise NullPointerException("cannot iterate over null")
    if isinstance(o, dict):
        return list(o.keys())
    return list(o)
