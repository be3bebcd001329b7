"""The Java value model shared by every runtime and by the marshallers.

KIE clients distinguish Integer from Long, Double from Float, and custom objects by their fully
qualified class name.  Python's int/float/dict lose that, so values that cross the wire or live in a
session keep their Java type here:

    Java                 Python
    ----                 ------
    String               str
    Integer              int          (any int that is not one of the subclasses below)
    Long                 Long(int)
    Short / Byte         Short(int) / Byte(int)
    BigInteger           BigInteger(int)
    Double               float
    Float                Float(float)
    BigDecimal           decimal.Decimal
    Boolean              bool
    Character            Char(str)
    java.util.Date       datetime.datetime (timezone-aware, UTC)
    LocalDate/Time       datetime.date / datetime.time / LocalDateTime(datetime, naive)
    byte[]               bytes
    List / Set / Map     list / JavaSet(list-like, keeps order) / dict
    custom object        an instance of a JavaBean subclass made by a TypeRegistry

Custom classes are per container: each container owns a TypeRegistry in which DRL `declare` types,
classes read from the kjar's `.class` files and dynamic beans (a class name seen only in a payload)
are defined.  Two containers may each define their own `org.acme.Person`.
"""
from __future__ import annotations

import datetime as _dt
import decimal
import math
import struct
import threading

__all__ = [
    "Long", "Short", "Byte", "BigInteger", "Float", "Char", "LocalDateTime", "JavaSet",
    "JavaBean", "JavaHashMap", "JavaHashSet", "JavaTreeMap", "JavaTreeSet", "FieldDef", "TypeRegistry", "java_type_name", "to_java_string", "java_double_str",
    "UTC", "BigDecimal",
]

UTC = _dt.timezone.utc
BigDecimal = decimal.Decimal


class Long(int):
    """java.lang.Long"""
    __slots__ = ()


class Short(int):
    """java.lang.Short"""
    __slots__ = ()


class Byte(int):
    """java.lang.Byte"""
    __slots__ = ()


class BigInteger(int):
    """java.math.BigInteger"""
    __slots__ = ()


class Float(float):
    """java.lang.Float"""
    __slots__ = ()


class Char(str):
    """java.lang.Character"""
    __slots__ = ()


class LocalDateTime(_dt.datetime):
    """java.time.LocalDateTime (naive)."""


def java_hash_code(v):
    """Java hashCode of a value whose hash Java defines by value; None for identity hashes."""
    if v is None:
        return 0
    if isinstance(v, bool):
        return 1231 if v else 1237
    if isinstance(v, str):
        h = 0
        for ch in v:
            h = (31 * h + ord(ch)) & 0xFFFFFFFF
        return h
    if isinstance(v, float):
        bits = struct.unpack(">q", struct.pack(">d", v if v == v else float("nan")))[0] & 0xFFFFFFFFFFFFFFFF
        return (bits ^ (bits >> 32)) & 0xFFFFFFFF
    if isinstance(v, int):
        if isinstance(v, Long) or not -2 ** 31 <= v < 2 ** 31:
            u = v & 0xFFFFFFFFFFFFFFFF
            return (u ^ (u >> 32)) & 0xFFFFFFFF
        return v & 0xFFFFFFFF
    if isinstance(v, JavaBean) and getattr(type(v), "_key_fields", None):
        h = 1
        for k in type(v)._key_fields:
            fh = java_hash_code(getattr(v, k, None))
            if fh is None:
                return None
            h = (31 * h + fh) & 0xFFFFFFFF
        return h
    return None


def java_hash_order(values):
    """Iteration order of a java.util.HashSet filled with `values` in order (CollectSetAccumulate-
    Function keeps a HashMap): the spread hash picks a bucket of a power-of-two table that starts
    at 16 and doubles past 0.75 load; within a bucket, insertion order.  Values with identity
    hashes (no Java value hash) keep insertion order."""
    seen = {}
    for v in values:
        k = v if _is_hashable(v) else id(v)
        if k not in seen:
            seen[k] = v
    items = list(seen.values())
    hashes = [java_hash_code(v) for v in items]
    if any(h is None for h in hashes):
        return items
    cap = 16
    while len(items) > cap * 0.75:
        cap *= 2
    order = sorted(range(len(items)), key=lambda i: (hashes[i] ^ (hashes[i] >> 16)) & (cap - 1))
    return [items[i] for i in order]


def _is_hashable(v):
    try:
        hash(v)
        return True
    except TypeError:
        return False


class JavaSet(list):
    """java.util.Set with insertion order (LinkedHashSet / HashSet on the wire)."""

    def add(self, value):
        if value in self:
            return False
        self.append(value)
        return True


class _OrderedSet(JavaSet):
    """A java.util.Set whose iteration order is not insertion order: `_order(values)` gives it."""

    def __iter__(self):
        return iter(self._order(list.__iter__(self)))


class _OrderedMap(dict):
    """A java.util.Map whose iteration order is not insertion order: `_order(keys)` gives it (for
    every reader: for-each, keySet/values/entrySet, toString, the marshallers)."""

    def __iter__(self):
        return iter(self._order(dict.__iter__(self)))

    def keys(self):
        return self._order(dict.__iter__(self))

    def values(self):
        return [dict.__getitem__(self, k) for k in self.keys()]

    def items(self):
        return [(k, dict.__getitem__(self, k)) for k in self.keys()]


class JavaHashSet(_OrderedSet):
    """java.util.HashSet made by `new HashSet()`: iterates (and prints) in Java's bucket order."""
    _order = staticmethod(java_hash_order)


class JavaHashMap(_OrderedMap):
    """java.util.HashMap made by `new HashMap()`: iterates (and prints) in Java's bucket order."""
    _order = staticmethod(java_hash_order)


def _sorted_or_as_is(values):
    values = list(values)
    try:
        return sorted(values)
    except TypeError:          # no natural order between them (Java would throw): keep them as they are
        return values


class JavaTreeSet(_OrderedSet):
    """java.util.TreeSet made by `new TreeSet()`: iterates in natural order."""
    _order = staticmethod(_sorted_or_as_is)


class JavaTreeMap(_OrderedMap):
    """java.util.TreeMap made by `new TreeMap()`: iterates in the natural order of its keys."""
    _order = staticmethod(_sorted_or_as_is)


# ---------------------------------------------------------------------------------------------
# Custom classes


class FieldDef:
    """One field of a custom class: name, Java type name, default value, flags."""

    __slots__ = ("name", "type", "default", "key", "position")

    def __init__(self, name, type="java.lang.Object", default=None, key=False, position=None):
        self.name = name
        self.type = type
        self.default = default
        self.key = key
        self.position = position

    def __repr__(self):
        return f"FieldDef({self.name!r}, {self.type!r})"


class JavaBean:
    """Base class of every custom object.  Subclasses are made by TypeRegistry.define().

    Class attributes set on each subclass:
      _java_name   fully qualified Java class name
      _fields      tuple of FieldDef in declaration order
      _dynamic     True for a class known only from a payload (properties come and go freely)
      _key_fields  names of @key fields (DRL declared types: equality and hash over them)
      _meta        free-form dict (e.g. {"role": "event", "xstream_alias": "...", "jaxb_name": "..."})
    Instances keep their properties as ordinary attributes.
    """

    _java_name = "java.lang.Object"
    _fields: tuple = ()
    _dynamic = False
    _key_fields: tuple = ()
    _meta: dict = {}

    def __init__(self, *args, **kwargs):
        fields = type(self)._fields
        for f in fields:
            object.__setattr__(self, f.name, f.default() if callable(f.default) else f.default)
        if args:
            positional = sorted((f for f in fields if f.position is not None), key=lambda f: f.position) \
                or list(fields)
            if len(args) > len(positional):
                raise TypeError(f"{self._java_name}: too many constructor arguments")
            for f, v in zip(positional, args):
                object.__setattr__(self, f.name, v)
        for k, v in kwargs.items():
            setattr(self, k, v)

    # -- bean protocol ------------------------------------------------------------------------
    @classmethod
    def java_name(cls):
        return cls._java_name

    @classmethod
    def simple_name(cls):
        return cls._java_name.rsplit(".", 1)[-1]

    def properties(self):
        """Property name -> value, declared fields first (in order), then dynamic extras."""
        out = {}
        for f in type(self)._fields:
            out[f.name] = getattr(self, f.name, None)
        for k, v in self.__dict__.items():
            if k not in out and not k.startswith("_"):
                out[k] = v
        return out

    def __setattr__(self, name, value):
        cls = type(self)
        if not cls._dynamic and not name.startswith("_") and name not in cls._field_names:
            raise AttributeError(f"{cls._java_name} has no field '{name}'")
        object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # only called when the attribute is missing: dynamic beans read absent properties as null
        if type(self)._dynamic and not name.startswith("__"):
            return None
        raise AttributeError(f"{type(self)._java_name} has no field '{name}'")

    # -- equality: @key fields (DRL declared types) or identity --------------------------------
    def __eq__(self, other):
        keys = type(self)._key_fields
        if not keys:
            return self is other
        if type(other) is not type(self):
            return False
        return all(getattr(self, k) == getattr(other, k) for k in keys)

    def __hash__(self):
        keys = type(self)._key_fields
        if not keys:
            return id(self)
        return hash(tuple(_hashable(getattr(self, k)) for k in keys))

    def __repr__(self):
        props = ", ".join(f"{k}={v!r}" for k, v in self.properties().items())
        return f"{self.simple_name()}({props})"

    def to_java_string(self):
        """Object.toString() as Drools-generated declared types print it: Name( f1=v1, f2=v2 )."""
        if type(self)._meta.get("declared"):
            inner = ", ".join(f"{f.name}={to_java_string(getattr(self, f.name))}" for f in type(self)._fields)
            return f"{self.simple_name()}( {inner} )"
        return f"{self._java_name}@{id(self) & 0xffffffff:x}"


class JavaEnum(JavaBean):
    """A constant of a Java enum (a DRL `declare enum` or an enum class of the kjar).

    The class keeps its constants in declaration order (`_constants`).  A constant equals another
    reference to itself and the string of its name: payloads carry enum values as their names
    (Jackson, JAXB and XStream all write `RED`), so a fact read from a payload compares equal to
    `Color.RED` whether or not its field was typed."""

    _constants: dict = {}

    def __init__(self, name=None, ordinal=0, *args):
        super().__init__(*args)
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_ordinal", ordinal)

    @classmethod
    def of(cls, value):
        """The constant a payload value names (a constant, its name, or None)."""
        if value is None or isinstance(value, cls):
            return value
        c = cls._constants.get(str(value).strip())
        if c is None:
            raise ValueError(f"No enum constant {cls._java_name}.{value}")
        return c

    @classmethod
    def values(cls):
        return list(cls._constants.values())

    @classmethod
    def valueOf(cls, name):
        c = cls._constants.get(name)
        if c is None:
            from containers.expressions.runtime import JavaException
            raise JavaException("java.lang.IllegalArgumentException", f"No enum constant {cls._java_name}.{name}")
        return c

    def name(self):
        return self._name

    def ordinal(self):
        return self._ordinal

    def toString(self):
        return self._name

    def to_java_string(self):
        return self._name

    __str__ = toString

    def compareTo(self, other):
        return self._ordinal - other._ordinal

    def equals(self, other):
        return self == other

    def getDeclaringClass(self):
        return type(self)

    def __eq__(self, other):
        if other is self:
            return True
        if isinstance(other, str):
            return other == self._name
        return isinstance(other, JavaEnum) and other._java_name == self._java_name and other._name == self._name

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f"{self.simple_name()}.{self._name}"


def _hashable(v):
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, _hashable(x)) for k, x in v.items()))
    return v


class TypeRegistry:
    """The custom classes of one container (or of the server, for server-level calls)."""

    def __init__(self, parent: "TypeRegistry | None" = None):
        self._classes: dict[str, type] = {}
        self._simple: dict[str, type] = {}
        self._lock = threading.Lock()
        self.parent = parent

    def define(self, java_name, fields=(), *, key_fields=None, dynamic=False, superclass=None, meta=None):
        """Define (or redefine) a class and return its Python type."""
        fields = tuple(f if isinstance(f, FieldDef) else FieldDef(*f) for f in fields)
        base = superclass if superclass is not None else JavaBean
        all_fields = tuple(base._fields) + tuple(f for f in fields if f.name not in {g.name for g in base._fields})
        keys = tuple(key_fields) if key_fields is not None else tuple(f.name for f in all_fields if f.key)
        attrs = {
            "_java_name": java_name,
            "_fields": all_fields,
            "_field_names": frozenset(f.name for f in all_fields),
            "_dynamic": dynamic,
            "_key_fields": keys,
            "_meta": dict(meta or {}),
        }
        cls = type(java_name.rsplit(".", 1)[-1], (base,), attrs)
        with self._lock:
            self._classes[java_name] = cls
            self._simple.setdefault(java_name.rsplit(".", 1)[-1], cls)
        return cls

    def define_enum(self, java_name, constants, fields=(), meta=None):
        """Define an enum: constants [(name, constructor args)] in order, fields of each constant."""
        cls = self.define(java_name, fields, superclass=JavaEnum, meta={**(meta or {}), "enum": True})
        cls._constants = {}
        for i, (name, args) in enumerate(constants):
            cls._constants[name] = cls(name, i, *args)
        return cls

    def get(self, name):
        """Look up by fully qualified or simple name; None when unknown."""
        cls = self._classes.get(name) or self._simple.get(name)
        if cls is None and self.parent is not None:
            return self.parent.get(name)
        return cls

    def dynamic(self, java_name):
        """The class for a name known only from a payload: a bean that accepts any property."""
        cls = self.get(java_name)
        if cls is None:
            cls = self.define(java_name, (), dynamic=True)
        return cls

    def classes(self):
        return list(self._classes.values())

    def __contains__(self, name):
        return self.get(name) is not None


JavaBean._field_names = frozenset()


# ---------------------------------------------------------------------------------------------
# Type names and Java's toString


_SIMPLE_TYPES = [
    (bool, "java.lang.Boolean"),
    (Long, "java.lang.Long"),
    (Short, "java.lang.Short"),
    (Byte, "java.lang.Byte"),
    (BigInteger, "java.math.BigInteger"),
    (int, "java.lang.Integer"),
    (Float, "java.lang.Float"),
    (float, "java.lang.Double"),
    (decimal.Decimal, "java.math.BigDecimal"),
    (Char, "java.lang.Character"),
    (str, "java.lang.String"),
    (LocalDateTime, "java.time.LocalDateTime"),
    (_dt.datetime, "java.util.Date"),
    (_dt.date, "java.time.LocalDate"),
    (_dt.time, "java.time.LocalTime"),
    (bytes, "byte[]"),
    (JavaSet, "java.util.HashSet"),
    (list, "java.util.ArrayList"),
    (dict, "java.util.LinkedHashMap"),
]


def java_type_name(value) -> str:
    """The Java class name of a runtime value."""
    if value is None:
        return "null"
    if isinstance(value, JavaBean):
        return type(value)._java_name
    t = type(value)
    for py, name in _SIMPLE_TYPES:
        if t is py:
            return name
    for py, name in _SIMPLE_TYPES:
        if isinstance(value, py):
            return name
    return "java.lang.Object"


def java_double_str(x: float) -> str:
    """Double.toString: 65.5 -> '65.5', 10.0 -> '10.0', 1.0E7, 1.0E-4, NaN, Infinity."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    ax = abs(x)
    if 1e-3 <= ax < 1e7:
        r = repr(x)  # shortest round-trip digits, never in exponent form in this range
        return r if "." in r else r + ".0"
    _, digits, exp = decimal.Decimal(repr(ax)).normalize().as_tuple()
    e10 = len(digits) - 1 + exp
    mant = str(digits[0]) + "." + ("".join(map(str, digits[1:])) or "0")
    return f"{'-' if x < 0 else ''}{mant}E{e10}"


def java_float_str(x: float) -> str:
    """Float.toString: the value as a float32, in the fewest digits that read back as the same
    float32 (1.0f / 3 -> '0.33333334'), in Double.toString's layout."""
    if math.isnan(x) or math.isinf(x) or x == 0:
        return java_double_str(x)
    try:
        f32 = struct.unpack(">f", struct.pack(">f", x))[0]
    except OverflowError:
        return "Infinity" if x > 0 else "-Infinity"
    for p in range(1, 10):
        s = f"{f32:.{p - 1}e}"
        if struct.unpack(">f", struct.pack(">f", float(s)))[0] == f32:
            break
    mant, e10 = s.split("e")
    e10 = int(e10)
    digits = mant.replace("-", "").replace(".", "").rstrip("0") or "0"
    sign = "-" if f32 < 0 else ""
    if -3 <= e10 < 7:
        if e10 >= 0:
            whole = digits[:e10 + 1].ljust(e10 + 1, "0")
            frac = digits[e10 + 1:] or "0"
        else:
            whole, frac = "0", "0" * (-e10 - 1) + digits
        return f"{sign}{whole}.{frac}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{e10}"


def to_java_string(value) -> str:
    """String.valueOf(value) as Java prints it (used for string concatenation and println)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return str(value)
    if isinstance(value, float):
        return java_float_str(value) if isinstance(value, Float) else java_double_str(value)
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, JavaBean):
        return value.to_java_string()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{to_java_string(k)}={to_java_string(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(to_java_string(v) for v in value) + "]"
    if isinstance(value, _dt.datetime) and not isinstance(value, LocalDateTime):
        # Date.toString(): EEE MMM dd HH:mm:ss zzz yyyy (UTC server)
        v = value.astimezone(UTC)
        return v.strftime("%a %b %d %H:%M:%S UTC %Y")
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    return str(value)
