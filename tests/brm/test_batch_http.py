"""POST /containers/instances/{id}: batch commands in JSON, JAXB and XSTREAM."""
import pytest

from marshallers import JAXB, JSON, XSTREAM, marshal, unmarshal
from marshallers.types.batch import BatchExecutionCommand, Command, ExecutionResults, FactHandleRef
from marshallers.types.core import ServiceResponse
from tests.kjars import build_kjar
from tests.traffic import captured_requests

FMT = {"json": JSON, "jaxb": JAXB, "xstream": XSTREAM}
FORMATS = list(FMT)

DRL = """package org.example
global java.util.List list

declare Person
    name : String
    age : int
end
declare Greeting
    text : String
end

rule "greet strings"
when
    $s : String()
then
    insert(new Greeting("hello " + $s));
end

rule "adults" salience 10
when
    $p : Person(age >= 18)
then
    list.add($p.getName());
end

rule "in group" agenda-group "vip"
when
    Person($n : name)
then
    list.add("vip " + $n);
end

rule "first of group a" activation-group "a" salience 2
when Person() then list.add("a1");
end
rule "second of group a" activation-group "a" salience 1
when Person() then list.add("a2");
end

query "people older than" (int $age)
    $p : Person(age > $age)
end
"""

KMODULE = """<kmodule xmlns="http://www.drools.org/xsd/kmodule">
  <kbase name="kb" packages="org.example" default="true">
    <ksession name="stateful" default="true"/>
    <ksession name="other"/>
    <ksession name="stateless" type="stateless"/>
  </kbase>
</kmodule>"""


@pytest.fixture
def demo(client):
    r = client.put("/containers/demo", body=build_kjar(kmodule=KMODULE, files={"org/example/rules.drl": DRL}),
                   headers={"Content-Type": "application/java-archive"})
    assert r.status_code == 201, r.text
    return client


def run(client, fmt, commands, lookup=None, status=200):
    kc = client.app.kie_server.containers.runtime("demo")
    body = marshal(BatchExecutionCommand(lookup, commands), FMT[fmt], types=kc.types)
    if fmt == "json":
        body = _to_json_batch(lookup, commands, kc.types)
    r = client.post("/containers/instances/demo", body=body, fmt=fmt)
    assert r.status_code == status, r.text
    return unmarshal(r.text, FMT[fmt], ServiceResponse, types=kc.types)


def _to_json_batch(lookup, commands, types):
    """Hand-written JSON as curl users send it."""
    import json

    def obj(o):
        if hasattr(o, "_java_name"):
            return {o._java_name: o.properties()}
        return o
    out = []
    for c in commands:
        m = c.m
        if c.name == "insert":
            out.append({"insert": {"object": obj(m["object"]), "out-identifier": m.get("out_identifier"),
                                   "return-object": m.get("return_object", True)}})
        elif c.name == "insert-elements":
            out.append({"insert-elements": {"outIdentifier": m.get("out_identifier"),
                                            "list": {"type": "LIST", "componentType": None,
                                                     "element": [obj(x) for x in m["objects"]]}}})
        elif c.name == "fire-all-rules":
            out.append({"fire-all-rules": {"max": m.get("max", -1), "out-identifier": m.get("out_identifier")}})
        elif c.name == "set-global":
            out.append({"set-global": {"identifier": m["identifier"], "object": m["object"],
                                       "out-identifier": m.get("out_identifier")}})
        elif c.name == "get-global":
            out.append({"get-global": {"identifier": m["identifier"], "out-identifier": m.get("out_identifier")}})
        elif c.name == "get-objects":
            out.append({"get-objects": {"out-identifier": m.get("out_identifier")}})
        elif c.name == "query":
            out.append({"query": {"name": m["query_name"], "arguments": m["arguments"],
                                  "out-identifier": m.get("out_identifier")}})
        elif c.name in ("get-fact-handles", "get-object"):
            body = {"out-identifier": m.get("out_identifier")}
            if m.get("handle"):
                body["fact-handle"] = m["handle"].external_form
            out.append({c.name: body})
        elif c.name in ("set-focus", "clear-agenda-group", "clear-activation-group", "clear-ruleflow-group"):
            out.append({c.name: {"name": m["group"]}})
        elif c.name == "delete":
            out.append({"retract": {"fact-handle": m["handle"].external_form}})
        elif c.name == "modify":
            out.append({"modify": {"fact-handle": m["handle"].external_form,
                                   "setters": [{"accessor": a, "value": v} for a, v in m["setters"]]}})
        else:
            out.append({c.name: {}})
    return json.dumps({"lookup": lookup, "commands": out})


def person(client, name, age):
    kc = client.app.kie_server.containers.runtime("demo")
    return kc.types.get("org.example.Person")(name=name, age=age)


@pytest.mark.parametrize("fmt", FORMATS)
def test_insert_fire_and_results(demo, fmt):
    sr = run(demo, fmt, [
        Command("set-global", identifier="list", object=[], out_identifier="list"),
        Command("insert", object=person(demo, "john", 42), out_identifier="john", return_object=True),
        Command("insert", object="world", out_identifier="s"),
        Command("fire-all-rules", max=-1, out_identifier="fired"),
        Command("get-global", identifier="list", out_identifier="names"),
        Command("get-objects", out_identifier="objects"),
    ])
    assert sr.type == "SUCCESS" and sr.msg == "Container demo successfully called."
    res: ExecutionResults = sr.result
    assert res.results["fired"] == 3
    assert res.results["names"] == ["john", "a1"]
    assert res.results["john"].name == "john" and type(res.results["john"]).__name__ == "Person"
    assert sorted(type(o).__name__ if not isinstance(o, str) else o for o in res.results["objects"]) == \
        ["Greeting", "Person", "world"]
    assert isinstance(res.facts["john"], FactHandleRef)
    assert res.facts["john"].external_form.startswith("0:1:") and res.facts["john"].external_form.endswith(":org.example.Person")


@pytest.mark.parametrize("fmt", FORMATS)
def test_stateful_session_keeps_state_and_dispose(demo, fmt):
    run(demo, fmt, [Command("set-global", identifier="list", object=[]),
                    Command("insert", object=person(demo, "ann", 30), out_identifier="ann")])
    sr = run(demo, fmt, [Command("fire-all-rules", out_identifier="n"), Command("get-global", identifier="list", out_identifier="l")])
    assert sr.result.results["n"] == 2 and sr.result.results["l"] == ["ann", "a1"]
    sr = run(demo, fmt, [Command("fire-all-rules", out_identifier="n")])
    assert sr.result.results["n"] == 0          # already fired: refraction survives the round trip
    sr = run(demo, fmt, [Command("get-objects", out_identifier="o")], lookup="other")
    assert sr.result.results["o"] == []          # another ksession is another working memory
    run(demo, fmt, [Command("dispose")])
    sr = run(demo, fmt, [Command("get-objects", out_identifier="o")])
    assert sr.result.results["o"] == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_stateless_fires_at_end(demo, fmt):
    sr = run(demo, fmt, [Command("set-global", identifier="list", object=[], out_identifier="list"),
                         Command("insert", object=person(demo, "bob", 20))], lookup="stateless")
    assert sr.result.results["list"] == ["bob", "a1"]
    sr = run(demo, fmt, [Command("get-objects", out_identifier="o")], lookup="stateless")
    assert sr.result.results["o"] == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_focus_clear_query_modify_delete(demo, fmt):
    sr = run(demo, fmt, [
        Command("set-global", identifier="list", object=[]),
        Command("insert", object=person(demo, "kid", 5), out_identifier="kid"),
        Command("insert", object=person(demo, "old", 70), out_identifier="old"),
        Command("set-focus", group="vip"),
        Command("clear-activation-group", group="a"),
        Command("fire-all-rules", out_identifier="n"),
        Command("get-global", identifier="list", out_identifier="l"),
        Command("query", query_name="people older than", arguments=[10], out_identifier="q"),
    ])
    # one batch into a one-pattern rule: Phreak stages the matches newest-first
    assert sr.result.results["l"] == ["vip old", "vip kid", "old"]
    q = sr.result.results["q"]
    assert sorted(q.identifiers) == ["$age", "$p"] and [p.name for p in q.column("$p")] == ["old"]
    assert q.rows[0]["$p"][1].id == sr.result.facts["old"].id          # a DisconnectedFactHandle of it
    assert q.rows[0]["$age"][0] == 10
    kid = sr.result.facts["kid"]
    sr = run(demo, fmt, [Command("modify", handle=kid, setters=[("age", "40")]),
                         Command("fire-all-rules", out_identifier="n"),
                         Command("delete", handle=sr.result.facts["old"]),
                         Command("get-objects", out_identifier="o"),
                         Command("get-global", identifier="list", out_identifier="l")])
    assert sr.result.results["n"] == 2 and sr.result.results["l"][-2:] == ["kid", "a1"]
    assert [p.name for p in sr.result.results["o"]] == ["kid"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_failures_are_500_and_leave_the_session_unchanged(demo, fmt):
    run(demo, fmt, [Command("insert", object=person(demo, "x", 50))])
    # the global is not set: the consequence fails with a NullPointerException
    sr = run(demo, fmt, [Command("insert", object=person(demo, "y", 60)), Command("fire-all-rules")], status=500)
    assert sr.type == "FAILURE" and "fire-all-rules" in sr.msg and "adults" in sr.msg
    sr = run(demo, fmt, [Command("get-objects", out_identifier="o")])
    assert [p.name for p in sr.result.results["o"]] == ["x"]
    r = demo.post("/containers/instances/nope", body="{}", fmt=fmt)
    assert r.status_code == 500
    assert "Container 'nope' is not instantiated" in unmarshal(r.text, FMT[fmt], ServiceResponse).msg
    r = demo.post("/containers/instances/demo", body="", fmt=fmt)
    assert r.status_code == 500 and "Empty payload" in r.text
    bad = {"json": '{"commands":[{"bogus":{}}]}', "jaxb": "<batch-execution><bogus/></batch-execution>",
           "xstream": "<batch-execution><bogus/></batch-execution>"}[fmt]
    assert demo.post("/containers/instances/demo", body=bad, fmt=fmt).status_code == 500
    sr = run(demo, fmt, [Command("get-objects")], lookup="nosuchsession", status=500)
    assert "nosuchsession" in sr.msg


def test_single_command_class_type(demo):
    r = demo.post("/containers/instances/demo", body='{"object":"hi","out-identifier":"x"}', fmt="json",
                  headers={"X-KIE-ClassType": "org.drools.core.command.runtime.rule.InsertObjectCommand"})
    assert r.status_code == 200 and '"key" : "x"' in r.text


@pytest.mark.parametrize("fmt", ["JSON", "JAXB", "XSTREAM"])
def test_java_client_calls_6_and_7(client, fmt):
    drl = ("package org.example\nglobal java.lang.String greeting\n"
           "rule \"any\" when Object() then end\n")
    km = '<kmodule><kbase name="kb" default="true"><ksession name="defaultKieSession" default="true"/></kbase></kmodule>'
    import os
    with open(os.path.join(os.path.dirname(__file__), "..", "data", "ExamplePerson.class"), "rb") as f:
        person_class = f.read()
    client.put("/containers/demo", body=build_kjar(kmodule=km, files={"org/example/r.drl": drl,
                                                                      "com/example/Person.class": person_class}),
               headers={"Content-Type": "application/java-archive"})
    reqs = captured_requests()[fmt]
    kind = {"JSON": JSON, "JAXB": JAXB, "XSTREAM": XSTREAM}[fmt]
    for n in (6, 7):
        method, path, headers, body = reqs[n]
        r = client.request(method, path, headers=headers, body=body, auth=False)
        assert r.status_code == 200, r.text
        sr = unmarshal(r.text, kind, ServiceResponse, types=client.app.kie_server.containers.runtime("demo").types)
        assert sr.type == "SUCCESS"
        assert sr.result.results["fired"] >= 1
    assert sr.result.results["greeting"] == "hi"
    assert any(getattr(o, "name", None) == "john" for o in sr.result.results["objects"])


@pytest.mark.parametrize("kind", ["JSON", "JAXB", "XSTREAM"])
def test_query_results_golden(kind):
    """FlatQueryResults, BigDecimal, Long and map results against the real marshallers' output."""
    import re

    from containers.values import FieldDef, TypeRegistry
    from tests.marshallers.golden import SAMPLES, same_json, same_xml
    with open(f"{SAMPLES}/_query-results-all-formats.txt", encoding="utf-8") as f:
        text = f.read()
    sections = dict(re.findall(r"==== (\w+)\n(.*?)(?=\n==== |\Z)", text, re.S))
    gold = sections[kind].strip()
    types = TypeRegistry()
    types.define("org.test.Person", [FieldDef("name", "String"), FieldDef("age", "java.lang.Integer"),
                                     FieldDef("birth", "java.util.Date"), FieldDef("tags", "java.util.List")])
    fmt = {"JSON": JSON, "JAXB": JAXB, "XSTREAM": XSTREAM}[kind]
    sr = unmarshal(gold, fmt, ServiceResponse, types=types)
    q = sr.result.results["people"]
    assert q.identifiers == ["$p"] and q.column("$p")[0].name == "john"
    out = marshal(sr, fmt, types=types)
    assert (same_json if kind == "JSON" else same_xml)(out, gold), out


@pytest.mark.parametrize("fmt", FORMATS)
def test_remaining_commands(demo, fmt):
    kc = demo.app.kie_server.containers.runtime("demo")
    people = [person(demo, "p1", 1), person(demo, "p2", 2)]
    sr = run(demo, fmt, [Command("insert-elements", objects=people, out_identifier="many"),
                         Command("get-fact-handles", out_identifier="handles")])
    handles = sr.result.facts["many"]
    assert [p.name for p in sr.result.results["many"]] == ["p1", "p2"] and len(handles) == 2
    assert [h.id for h in sr.result.results["handles"]] == [h.id for h in handles]   # JAXB lists are disconnected handles
    sr = run(demo, fmt, [Command("get-object", handle=handles[1], out_identifier="o")])
    assert sr.result.results["o"].name == "p2"
    replacement = kc.types.get("org.example.Person")(name="p2b", age=99)
    body = {"json": '{"commands":[{"update":{"fact-handle":"%s","object":{"org.example.Person":{"name":"p2b","age":99}}}},'
                    '{"get-object":{"fact-handle":"%s","out-identifier":"o"}}]}' % (handles[1].external_form,
                                                                                 handles[1].external_form)}
    if fmt == "json":
        r = demo.post("/containers/instances/demo", body=body["json"], fmt=fmt)
        assert r.status_code == 200, r.text
        assert '"p2b"' in r.text
    else:
        sr = run(demo, fmt, [Command("update", handle=handles[1], object=replacement),
                             Command("get-object", handle=handles[1], out_identifier="o")])
        assert sr.result.results["o"].name == "p2b"
    sr = run(demo, fmt, [Command("set-global", identifier="list", object=[]),
                         Command("set-focus", group="vip"),
                         Command("clear-agenda-group", group="vip"),
                         Command("clear-ruleflow-group", group="nothing"),
                         Command("clear-agenda"),
                         Command("fire-all-rules", out_identifier="n")])
    assert sr.result.results["n"] == 0
    sr = run(demo, fmt, [Command("start-process", process_id="x")], status=500)
    assert "start-process" in sr.msg
