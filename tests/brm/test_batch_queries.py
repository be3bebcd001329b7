"""Query results, fact handle ids and kinds, and unknown fact types on the batch endpoint, in JSON, JAXB and
XSTREAM, as KIE Server 7 gives them: QueryCommand wraps the session's QueryResultsImpl in a
FlatQueryResults (the query's parameters among the identifiers; per row each declaration's value and
the handle of the pattern that declared it, made a DisconnectedFactHandle by FlatQueryResults.newFrom);
every query run takes a fact handle id for its DroolsQuery; an event type's facts get EventFactHandles;
a kjar whose rules use a type nothing provides fails to build."""
import io
import re
import zipfile

import pytest

from marshallers import unmarshal
from marshallers.types.batch import DisconnectedFactHandleRef, QueryResults
from marshallers.types.core import ServiceResponse

from .brmkit import FMT, FORMATS, Command, bean, call, deploy, post, results

DRL = """package org.example.q

declare Person
    name : String
    age : int
end
declare Tick
    @role(event)
    n : int
end

query "named" (String $n)
    $p : Person(name == $n, $a : age)
end

query "total"()
    accumulate(Person($x : age); $sum : sum($x))
end

query "ticks"()
    $t : Tick()
end
"""

KMODULE = """<kmodule xmlns="http://www.drools.org/xsd/kmodule">
  <kbase name="kb" packages="org.example.q" default="true">
    <ksession name="ks" default="true"/>
    <ksession name="sl" type="stateless"/>
  </kbase>
</kmodule>"""

CID = "q"
DISCONNECTED = re.compile(r"^0:\d+:-?\d+:-?\d+:\d+:DEFAULT:NON_TRAIT:null$")


@pytest.fixture
def q(client):
    deploy(client, CID, {"org/example/q/rules.drl": DRL}, KMODULE)
    return client


def person(client, name, age):
    return bean(client, CID, "org.example.q.Person", name=name, age=age)


def tick(client, n):
    return bean(client, CID, "org.example.q.Tick", n=n)


@pytest.mark.parametrize("fmt", FORMATS)
def test_rows_carry_the_parameters_and_each_declarations_handle(q, fmt):
    sr, text = call(q, CID, fmt, [Command("insert", object=person(q, "ann", 40), out_identifier="ann"),
                                  Command("query", query_name="named", arguments=["ann"], out_identifier="res"),
                                  Command("insert", object=person(q, "bob", 20), out_identifier="bob")])
    r = sr.result
    res = r.results["res"]
    assert isinstance(res, QueryResults) and sorted(res.identifiers) == ["$a", "$n", "$p"]
    (row,) = res.rows
    assert row["$n"][0] == "ann" and row["$p"][0].name == "ann" and row["$a"][0] == 40
    # $p and the field binding $a: the Person's handle; the parameter: the query's DroolsQuery, id 2
    assert row["$p"][1].id == row["$a"][1].id == r.facts["ann"].id == 1
    assert row["$n"][1].id == 2 and row["$n"][1].external_form.split(":")[4] == "2"      # recency too
    assert r.facts["bob"].id == 3            # the query run took an id
    assert all(DISCONNECTED.match(h.external_form) for _, h in row.values())
    assert r.facts["ann"].external_form.endswith(":NON_TRAIT:org.example.q.Person")
    n_form = row["$n"][1].external_form
    if fmt == "json":
        assert all(isinstance(h, DisconnectedFactHandleRef) for _, h in row.values())
        # WrappingObjectSerializer: the class name around Jackson's view of the DisconnectedFactHandle
        assert re.search(r'"value" : \{"org\.drools\.core\.common\.DisconnectedFactHandle":\{\n'
                         r'  "id" : 2,\n  "identityHashCode" : -?\d+,\n  "objectHashCode" : -?\d+,\n'
                         r'  "recency" : 2,\n  "object" : null,\n  "entryPointId" : "DEFAULT",\n'
                         r'  "traitType" : "NON_TRAIT",\n  "external-form" : "' + re.escape(n_form) + r'"\n\}\},\n'
                         r'\s*"key" : "\$n"', text), text
        assert '"value" : "ann",' in text
    elif fmt == "jaxb":
        assert all(isinstance(h, DisconnectedFactHandleRef) for _, h in row.values())
        assert re.search(r'<element xsi:type="jaxbStringObjectPair" key="\$n">\s*'
                         r'<value xsi:type="disconnectedFactHandle" external-form="' + re.escape(n_form) + r'">\s*'
                         r'<id>2</id>\s*<identityHashCode>-?\d+</identityHashCode>\s*'
                         r'<objectHashCode>-?\d+</objectHashCode>\s*<recency>2</recency>\s*'
                         r'<entryPointId>DEFAULT</entryPointId>\s*<traitType>NON_TRAIT</traitType>\s*</value>', text), text
        assert re.search(r'key="\$n">\s*<value xsi:type="xs:string"[^>]*>ann</value>', text), text
    else:
        assert re.search(r'<identifier id="\$n">\s*<string>ann</string>\s*<fact-handle external-form="'
                         + re.escape(n_form) + '"/>', text), text


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_query_run_skips_an_id_across_batches_and_in_stateless_sessions(q, fmt):
    r = results(q, CID, fmt, [Command("insert", object=person(q, "a", 1), out_identifier="a")])
    assert r.facts["a"].id == 1
    results(q, CID, fmt, [Command("query", query_name="named", arguments=["a"])])      # no out-identifier
    r = results(q, CID, fmt, [Command("insert", object=person(q, "b", 1), out_identifier="b")])
    assert r.facts["b"].id == 3
    r = results(q, CID, fmt, [Command("insert", object=person(q, "c", 1), out_identifier="c"),
                              Command("query", query_name="named", arguments=["c"], out_identifier="res"),
                              Command("insert", object=person(q, "d", 1), out_identifier="d")], lookup="sl")
    assert (r.facts["c"].id, r.results["res"].rows[0]["$n"][1].id, r.facts["d"].id) == (1, 2, 3)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_accumulate_result_has_a_handle_of_its_own(q, fmt):
    r = results(q, CID, fmt, [Command("insert", object=person(q, "a", 1)),
                              Command("insert", object=person(q, "b", 2)),
                              Command("query", query_name="total", arguments=[], out_identifier="res"),
                              Command("insert", object=person(q, "c", 3), out_identifier="c")])
    (row,) = r.results["res"].rows
    assert r.results["res"].identifiers == ["$sum"] and row["$sum"][0] == 3
    assert row["$sum"][1].id == 4 and r.facts["c"].id == 5     # DroolsQuery 3, the accumulate result 4


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_rows(q, fmt):
    sr, text = call(q, CID, fmt, [Command("query", query_name="named", arguments=["x"], out_identifier="res")])
    res = sr.result.results["res"]
    assert res.rows == []
    if fmt == "xstream":
        # QueryResultsConverter collects the identifiers while iterating the rows
        assert res.identifiers == [] and re.search(r"<query-results>\s*<identifiers/>\s*</query-results>", text), text
    else:
        assert sorted(res.identifiers) == ["$a", "$n", "$p"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_event_handles(q, fmt):
    sr, text = call(q, CID, fmt, [Command("insert", object=tick(q, 1), out_identifier="t"),
                                  Command("insert-elements", objects=[tick(q, 2)], out_identifier="more"),
                                  Command("get-fact-handles", out_identifier="handles"),
                                  Command("query", query_name="ticks", arguments=[], out_identifier="res")])
    r = sr.result
    assert r.facts["t"].external_form.startswith("5:1:")
    assert r.facts["t"].external_form.endswith(":1:DEFAULT:NON_TRAIT:org.example.q.Tick")
    handles = r.results["handles"]
    if fmt == "jaxb":
        # JaxbUnknownAdapter: handles in a collection become DisconnectedFactHandles, version 0 for events too
        assert [h.external_form.split(":")[0] for h in handles + r.facts["more"]] == ["0", "0", "0"]
        assert 'xsi:type="disconnectedFactHandle" external-form="0:1:' in text
    else:
        assert [h.external_form.split(":")[0] for h in handles + r.facts["more"]] == ["5", "5", "5"]
    # query results hold DisconnectedFactHandles: version 0, no class name
    assert sorted(row["$t"][1].id for row in r.results["res"].rows) == [1, 2]
    assert all(DISCONNECTED.match(row["$t"][1].external_form) for row in r.results["res"].rows)


def test_json_not_null_leaves_out_the_handles_null_object():
    # the batch endpoint writes the bare format; a marshaller asked for fields=not_null (the notNull mapper
    # of WrappingObjectSerializer) drops the DisconnectedFactHandle's null object
    from marshallers.common import Ctx
    h = DisconnectedFactHandleRef("0:3:11:12:3:DEFAULT:NON_TRAIT:org.x.Y")
    assert h.external_form == "0:3:11:12:3:DEFAULT:NON_TRAIT:null"
    text = QueryResults(["$p"], [{"$p": ("v", h)}]).to_json_raw(Ctx(None, not_null=True))
    assert '"object"' not in text and '"entryPointId" : "DEFAULT"' in text and '"recency" : 3' in text
    text = QueryResults(["$p"], [{"$p": ("v", h)}]).to_json_raw(Ctx(None))
    assert '"recency" : 3,\n  "object" : null,\n  "entryPointId"' in text


# -- unknown fact types ----------------------------------------------------------------------------------

BROKEN = "package org.example\nrule \"broken\"\nwhen\n    $p : NoSuchType(x == 1)\nthen\nend\n"


def kjar_with_pom(pom_body, drl=BROKEN):
    """A kjar whose pom has the given extra elements (dependencies, parent)."""
    pom = ('<?xml version="1.0" encoding="UTF-8"?>\n<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
           "  <modelVersion>4.0.0</modelVersion>\n" + pom_body +
           "  <groupId>org.example</groupId>\n  <artifactId>deps-kjar</artifactId>\n  <version>1.0.0</version>\n"
           "  <packaging>kjar</packaging>\n</project>\n")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("META-INF/kmodule.xml", '<kmodule xmlns="http://www.drools.org/xsd/kmodule"/>')
        z.writestr("META-INF/maven/org.example/deps-kjar/pom.xml", pom)
        z.writestr("META-INF/maven/org.example/deps-kjar/pom.properties",
                   "groupId=org.example\nartifactId=deps-kjar\nversion=1.0.0\n")
        z.writestr("org/example/bad.drl", drl)
    return buf.getvalue()


def put(client, cid, data):
    return client.put(f"/containers/{cid}", body=data, headers={"Content-Type": "application/java-archive"})


def dep(scope=None):
    s = f"<scope>{scope}</scope>" if scope else ""
    return (f"  <dependencies>\n    <dependency><groupId>org.acme</groupId><artifactId>model</artifactId>"
            f"<version>1.0</version>{s}</dependency>\n  </dependencies>\n")


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_fact_type_fails_the_container_with_drools_message(client, fmt):
    r = put(client, "broken", kjar_with_pom(dep("test") + ""))       # test scope: not on the class path
    assert r.status_code == 400, r.text
    r = client.get("/containers/broken", fmt=fmt)
    sr = unmarshal(r.text, FMT[fmt], ServiceResponse)
    assert sr.result.status == "FAILED"
    text = " ".join(" ".join(m.content) for m in sr.result.messages)
    assert "Error while creating KieBase" in text
    assert "org/example/bad.drl [4:10]: Unable to resolve ObjectType 'NoSuchType'" in text, text
    sr, _ = post(client, "broken", fmt, {"json": '{"commands":[{"fire-all-rules":{}}]}',
                                         "jaxb": "<batch-execution><fire-all-rules/></batch-execution>",
                                         "xstream": "<batch-execution><fire-all-rules/></batch-execution>"}[fmt], 500)
    assert sr.type == "FAILURE"


@pytest.mark.parametrize("extra", [dep(), dep("runtime"), dep("compile"),
                                   "  <parent><groupId>org.acme</groupId><artifactId>parent</artifactId>"
                                   "<version>1</version></parent>\n"], ids=["default", "runtime", "compile", "parent"])
def test_a_kjar_with_jar_dependencies_stays_lenient(client, extra):
    # a dependency (or a parent pom's) may provide the class: we cannot see it, so the pattern compiles
    r = put(client, "lenient", kjar_with_pom(extra))
    assert r.status_code == 201, r.text
    sr, _ = call(client, "lenient", "json", [Command("insert", object="x"), Command("fire-all-rules", out_identifier="n")])
    assert sr.result.results["n"] == 0


def test_provided_dependencies_are_not_on_the_class_path(client):
    assert put(client, "strict", kjar_with_pom(dep("provided"))).status_code == 400
    ok = "package org.example\nrule \"fine\"\nwhen\n    String()\nthen\nend\n"
    assert put(client, "strict", kjar_with_pom(dep("provided"), drl=ok)).status_code == 201


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_modify_gives_the_handle_a_new_recency_but_not_a_new_id(q, fmt):
    # NamedEntryPoint.update -> increaseFactHandleRecency: the recency counter moves on, the id counter not
    r = results(q, CID, fmt, [Command("insert", object=person(q, "a", 1), out_identifier="a"),
                              Command("insert", object=person(q, "b", 2), out_identifier="b")])
    a = r.facts["a"]
    results(q, CID, fmt, [Command("modify", handle=a, setters=[("age", "5")])])
    r = results(q, CID, fmt, [Command("insert", object=person(q, "c", 3), out_identifier="c"),
                              Command("get-fact-handles", out_identifier="handles")])
    c = r.facts["c"].external_form.split(":")
    assert (c[1], c[4]) == ("3", "4")
    recency = {int(h.external_form.split(":")[1]): int(h.external_form.split(":")[4]) for h in r.results["handles"]}
    assert recency == {1: 3, 2: 2, 3: 4}


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_kjar_class_annotated_role_event_gets_event_handles(client, fmt):
    """org.acme.Alarm (tests/data) carries @Role(Role.Type.EVENT): its facts get EventFactHandles (5:)."""
    import os
    with open(os.path.join(os.path.dirname(__file__), "..", "data", "Alarm.class"), "rb") as f:
        alarm_class = f.read()
    drl = "package org.acme\nrule \"alarm\" when Alarm() then end\n"
    deploy(client, "ev", {"org/acme/rules.drl": drl, "org/acme/Alarm.class": alarm_class})
    a = bean(client, "ev", "org.acme.Alarm", code="x")
    r = results(client, "ev", fmt, [Command("insert", object=a, out_identifier="a")])
    assert r.facts["a"].external_form.startswith("5:1:")
    assert r.facts["a"].external_form.endswith(":DEFAULT:NON_TRAIT:org.acme.Alarm")
