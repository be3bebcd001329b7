"""Result types of the built-in accumulate functions, as Drools 7.x's DRL compiler picks them
(AccumulateUtil.getFunctionName: sumI/sumL for int/long, min/max keep the value's type, average is a
Double or null, count a Long) and PhreakAccumulateNode's rule that a single null result is not
propagated."""
from containers.rules import build_kbase
from containers.values import TypeRegistry

HEADER = """package org.test
global java.util.List list
declare Person
    name : String
    age : int
    born : long
    weight : double
end
"""


def run(rules, people=()):
    types = TypeRegistry()
    session = build_kbase([("t.drl", HEADER + rules)], types).new_session()
    out = []
    session.set_global("list", out)
    for args in people:
        session.insert(types.get("Person")(*args))
    session.fire_all_rules()
    return out


FUNCS = ('rule r when accumulate(Person($a : {f}); $s : sum($a), $c : count($a), $mn : min($a), '
         '$mx : max($a), $av : average($a)) then list.add($s + " " + $c + " " + $mn + " " + $mx + " " + $av); end')


def test_int_field_keeps_integer_sum_min_max():
    people = [("a", 10, 5, 1.5), ("b", 20, 7, 2.0)]
    assert run(FUNCS.format(f="age"), people) == ["30 2 10 20 15.0"]


def test_long_and_double_fields():
    people = [("a", 10, 5, 1.5), ("b", 20, 7, 2.0)]
    assert run(FUNCS.format(f="born"), people) == ["12 2 5 7 6.0"]
    assert run(FUNCS.format(f="weight"), people) == ["3.5 2 1.5 2.0 1.75"]


def test_empty_accumulate_multi_function_fires_with_nulls():
    assert run(FUNCS.format(f="age")) == ["0 0 null null null"]
    assert run(FUNCS.format(f="weight")) == ["0.0 0 null null null"]


def test_int_sum_overflows_like_java():
    people = [("a", 2**31 - 1, 0, 0.0), ("b", 1, 0, 0.0)]
    assert run('rule r when accumulate(Person($a : age); $s : sum($a)) then list.add("" + $s); end',
               people) == [str(-2**31)]


def test_single_null_result_is_not_propagated():
    rules = """
rule "min" when accumulate(Person($a : age); $m : min($a)) then list.add("min=" + $m); end
rule "avg" when accumulate(Person($a : age); $m : average($a)) then list.add("avg=" + $m); end
rule "sum" when accumulate(Person($a : age); $m : sum($a)) then list.add("sum=" + $m); end
rule "count" when accumulate(Person($a : age); $m : count($a)) then list.add("count=" + $m); end
rule "from" when Number() from accumulate(Person($a : age), max($a)) then list.add("from"); end
"""
    assert sorted(run(rules)) == ["count=0", "sum=0"]
