"""Fact handles as Drools 7 makes them: a query run's DroolsQuery takes an id (and recency), query rows
know the handle of the pattern behind each declaration (QueryResultsRowImpl.getFactHandle), event
types get EventFactHandles (external form version 5), and a strict build refuses a pattern on a type
nothing provides (PatternBuilder: "Unable to resolve ObjectType")."""
import pytest

from containers.expressions import JavaException
from containers.rules import DrlError, build_kbase
from containers.rules.session import DroolsQuery, FactHandle, RuleSession
from containers.values import TypeRegistry

DRL = """package org.test
declare Person
    name : String
    age : int
end
declare Tick
    @role(event)
    n : int
end
declare Bag
    items : java.util.List
end

query "named" (String $n)
    $p : Person(name == $n, $a : age)
end
query "everyone"()
    Person($who : name)
end
query "total"()
    accumulate(Person($x : age); $sum : sum($x))
end
query "from bag"()
    Bag($l : items)
    $s : String() from $l
end
query "either"()
    Person($x : name, age > 50) or Tick($y : n)
end
"""


@pytest.fixture
def kb():
    return build_kbase([("t.drl", DRL)], TypeRegistry())


def person(kb, name, age):
    return kb.types.get("org.test.Person")(name=name, age=age)


def test_a_query_run_takes_a_handle_id_and_owns_the_parameters(kb):
    s = kb.new_session()
    ann = s.insert(person(kb, "ann", 40))
    res = s.query_results("named", "ann")
    # the DroolsQuery got id 2: the next fact gets 3
    assert res.handle.id == 2 and res.handle.recency == 2 and isinstance(res.handle.obj, DroolsQuery)
    assert s.insert(person(kb, "bob", 20)).id == 3
    assert res.parameters == ["$n"] and res.identifiers == ["$n", "$p", "$a"]
    (row,) = res.rows
    assert row.values == {"$n": "ann", "$p": ann.obj, "$a": 40}
    # a field binding carries the handle of its pattern's fact, a parameter the DroolsQuery's
    assert row.handles == {"$n": res.handle, "$p": ann, "$a": ann}
    # the handle never enters the working memory
    assert res.handle.id not in s.facts and len(s.get_fact_handles()) == 2
    # query() keeps giving dicts of bindings (parameters included), and consumes an id too
    assert [r["$p"].name for r in s.query("named", "bob")] == ["bob"]
    assert s.insert(person(kb, "cy", 1)).id == 5


def test_every_query_execution_consumes_one_id_even_without_rows_or_query(kb):
    s = kb.new_session()
    assert s.query_results("named", "nobody").rows == []
    with pytest.raises(JavaException, match="Query 'nope' does not exist"):
        s.query("nope")
    with pytest.raises(JavaException, match=r"wrong number of arguments. Expected 1, actual 0"):
        s.query("named")
    # ids 1-3 went to the three DroolsQuery objects (Drools makes the handle before looking the query up)
    assert s.insert(person(kb, "ann", 1)).id == 4


def test_the_skipped_id_survives_a_snapshot(kb):
    s = kb.new_session()
    s.insert(person(kb, "ann", 40))
    s.query("everyone")
    s2 = RuleSession.restore(kb, s.snapshot())
    assert s2.insert(person(kb, "bob", 1)).id == 3


def test_rows_of_a_one_pattern_query_without_a_pattern_binding(kb):
    s = kb.new_session()
    hs = [s.insert(person(kb, n, 1)) for n in ("a", "b")]
    res = s.query_results("everyone")
    assert res.identifiers == ["$who"]
    assert {r.values["$who"]: r.handles["$who"].id for r in res.rows} == {"a": hs[0].id, "b": hs[1].id}


def test_an_accumulate_result_gets_a_handle_of_its_own(kb):
    s = kb.new_session()
    s.insert(person(kb, "a", 1))
    s.insert(person(kb, "b", 2))
    res = s.query_results("total")
    (row,) = res.rows
    assert row.values["$sum"] == 3
    # AccumulateNode.createResultFactHandle: the next id after the DroolsQuery's
    assert res.handle.id == 3 and row.handles["$sum"].id == 4
    assert s.insert(person(kb, "c", 3)).id == 5


def test_from_objects_outside_the_working_memory_get_new_handles(kb):
    s = kb.new_session()
    bag = s.insert(kb.types.get("org.test.Bag")(items=["x", "y"]))
    res = s.query_results("from bag")
    assert [r.values["$s"] for r in res.rows] == ["x", "y"]
    assert [r.handles["$l"] for r in res.rows] == [bag, bag]
    assert [r.handles["$s"].id for r in res.rows] == [3, 4]     # FromNode.createFactHandle
    assert sorted(res.identifiers) == ["$l", "$s"]


def test_identifiers_come_from_the_first_branch(kb):
    s = kb.new_session()
    s.insert(person(kb, "old", 60))
    tick = s.insert(kb.types.get("org.test.Tick")(n=7))
    res = s.query_results("either")
    assert res.identifiers == ["$x"]
    assert sorted((r.branch, sorted(r.handles)) for r in res.rows) == [(0, ["$x"]), (1, ["$y"])]
    assert next(r for r in res.rows if r.branch == 1).handles["$y"] is tick


def test_event_types_get_event_fact_handles(kb):
    s = kb.new_session()
    tick = s.insert(kb.types.get("org.test.Tick")(n=1))
    ann = s.insert(person(kb, "ann", 1))
    assert tick.event and not ann.event
    assert tick.external_form.startswith("5:1:")
    assert tick.external_form.endswith(":1:DEFAULT:NON_TRAIT:org.test.Tick")
    assert ann.external_form.startswith("0:2:") and ann.external_form.endswith(":2:DEFAULT:NON_TRAIT:org.test.Person")
    # a disconnected copy (FlatQueryResults.newFrom) is version 0 without a class name
    assert tick.disconnected_form == "0:" + tick.external_form[2:].rsplit(":", 1)[0] + ":null"
    # the kind survives a snapshot
    s2 = RuleSession.restore(kb, s.snapshot())
    assert s2.facts[1].event and s2.facts[1].external_form.startswith("5:1:")
    assert not s2.facts[2].event


def test_drools_query_hash_code():
    # new DroolsQuery("q", new Object[]{"a", 1}, ...).hashCode() in Java int arithmetic:
    # ArrayElements: 31 + Arrays.hashCode(elements); then name, open=false (1237), Arrays.hashCode(Variable[2]) = 961
    elements = ((31 + 97) * 31 + 1) & 0xFFFFFFFF
    h = 31 + elements
    h = (h * 31 + 113) & 0xFFFFFFFF        # "q".hashCode()
    h = (h * 31 + 1237) & 0xFFFFFFFF
    h = (h * 31 + 961) & 0xFFFFFFFF
    assert DroolsQuery("q", ["a", 1]).java_hash() == (h - 2 ** 32 if h > 0x7FFFFFFF else h)
    fh = FactHandle(5, DroolsQuery("q", []), "DEFAULT", event=False)
    assert fh.external_form.endswith(":5:DEFAULT:NON_TRAIT:org.drools.core.base.DroolsQuery")


# -- unknown fact types ------------------------------------------------------------------------------

BROKEN = """package org.test
rule "r"
when
    $p : NoSuchType(x == 1)
then
end
"""


def test_strict_build_refuses_a_pattern_on_an_unknown_type():
    with pytest.raises(DrlError) as e:
        build_kbase([("bad.drl", BROKEN)], TypeRegistry(), strict_types=True)
    assert e.value.errors == ["bad.drl [4:10]: Unable to resolve ObjectType 'NoSuchType'"]
    # also inside not/exists/accumulate and from a source, and a qualified name
    drl = """package org.test
import org.missing.Gone;
rule "r" when
    not Ghost()
    exists org.nowhere.Thing()
    $l : java.util.List() from collect(Gone())
then end
"""
    with pytest.raises(DrlError) as e:
        build_kbase([("x.drl", drl)], TypeRegistry(), strict_types=True)
    assert [m.split(": ", 1)[1] for m in e.value.errors] == [
        "Unable to resolve ObjectType 'Ghost'", "Unable to resolve ObjectType 'org.nowhere.Thing'",
        "Unable to resolve ObjectType 'Gone'"]


def test_lenient_build_is_the_default():
    kb = build_kbase([("bad.drl", BROKEN)], TypeRegistry())
    s = kb.new_session()
    s.insert("x")
    assert s.fire_all_rules() == 0


def test_strict_build_accepts_every_type_it_can_find():
    types = TypeRegistry()
    types.define("org.model.Kjar", [])
    drl = """package org.test
import org.model.Kjar;
import org.model.Shape;
import org.kie.api.runtime.process.WorkflowProcessInstance;
import java.util.concurrent.*;
declare Local
    n : int
end
query "locals"()
    Local()
end
rule "r" when
    Kjar()
    Local()
    Shape()
    Circle()
    String()
    Number()
    Runnable()
    java.math.BigDecimal()
    WorkflowProcessInstance()
    ConcurrentHashMap()
    org.drools.core.spi.KnowledgeHelper()
    locals()
then end
"""
    # Shape, Circle: kjar classes the registry does not hold (an interface, a class in the rules' package)
    build_kbase([("ok.drl", drl)], types, strict_types=True, known_classes={"org.model.Shape", "org.test.Circle"})
