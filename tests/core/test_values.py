"""The Java value model shared by runtimes and marshallers."""
import datetime as dt

import pytest

from containers.values import (FieldDef, Float, JavaSet, Long, TypeRegistry, java_double_str,
                               java_type_name, to_java_string)


@pytest.mark.parametrize("x,s", [(65.5, "65.5"), (10.0, "10.0"), (0.0, "0.0"), (-0.0, "-0.0"), (1e7, "1.0E7"),
                                 (1.0e-4, "1.0E-4"), (0.001, "0.001"), (123456789.0, "1.23456789E8"),
                                 (9999999.0, "9999999.0"), (-2.5e10, "-2.5E10"), (1 / 3, "0.3333333333333333"),
                                 (float("nan"), "NaN"), (float("inf"), "Infinity")])
def test_double_to_string_like_java(x, s):
    assert java_double_str(x) == s


def test_string_valueof():
    assert to_java_string(None) == "null" and to_java_string(True) == "true"
    assert to_java_string(Long(5)) == "5" and to_java_string(Float(1.5)) == "1.5"
    assert to_java_string([1, 2.0, "a", None]) == "[1, 2.0, a, null]"
    assert to_java_string({"a": 1}) == "{a=1}"


def test_type_names():
    assert java_type_name(1) == "java.lang.Integer" and java_type_name(Long(1)) == "java.lang.Long"
    assert java_type_name(1.0) == "java.lang.Double" and java_type_name(True) == "java.lang.Boolean"
    assert java_type_name(dt.datetime.now(dt.timezone.utc)) == "java.util.Date"
    assert java_type_name(JavaSet([1])) == "java.util.HashSet" and java_type_name({}) == "java.util.LinkedHashMap"


def test_registry_classes():
    reg = TypeRegistry()
    P = reg.define("org.acme.Person", [FieldDef("name", "String"), FieldDef("age", "int", 0, position=1)],
                   key_fields=["name"], meta={"declared": True})
    a, b = P(name="x", age=1), P(name="x", age=2)
    assert a == b and hash(a) == hash(b)
    assert to_java_string(a) == "Person( name=x, age=1 )"
    assert reg.get("Person") is P and reg.get("org.acme.Person") is P
    D = reg.dynamic("org.other.Thing")
    d = D(anything=1)
    assert d.anything == 1 and d.missing is None and java_type_name(d) == "org.other.Thing"
    child = TypeRegistry(parent=reg)
    assert child.get("Person") is P
