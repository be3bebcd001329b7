"""Every command of the batch endpoint over HTTP in JSON, JAXB and XSTREAM, with what its Drools 7
ExecutableCommand does: results only under an out-identifier (get-global falls back to its
identifier), fact handles of the DEFAULT entry point, ModifyCommand's string-literal setters,
the four rule-name agenda filters and their `accept` flag, lone commands named by X-KIE-ClassType,
the BPM commands through the process service, and the FAILURE envelope of a failing batch."""
import pytest

from containers.values import Long
from marshallers.types.batch import FactHandleRef, QueryResults

from .brmkit import FORMATS, Command, bean, call, deploy, post, results, types_of

DRL = """package org.example.cmds
global java.util.List log

declare Item
    name : String
    qty : int
    flag : boolean
end
declare Note
    text : String
end

rule "big" salience 10
when
    $i : Item(qty > 10)
then
    log.add("big " + $i.getName());
end

rule "small"
when
    $i : Item(qty <= 10)
then
    log.add("small " + $i.getName());
end

rule "vip" agenda-group "vip"
when
    $i : Item()
then
    log.add("vip " + $i.getName());
end

rule "flow" ruleflow-group "rf"
when
    Item()
then
    log.add("flow");
end

rule "note"
when
    $s : String() from entry-point "notes"
then
    insert(new Note($s));
end

query "items over" (int $min)
    $i : Item(qty > $min)
end
"""

KMODULE = """<kmodule xmlns="http://www.drools.org/xsd/kmodule">
  <kbase name="kb" packages="org.example.cmds" default="true">
    <ksession name="ks" default="true"/>
    <ksession name="sl" type="stateless"/>
  </kbase>
</kmodule>"""

CID = "cmds"
ITEM = "org.example.cmds.Item"
WRAPPER = {"json": '{"org.example.cmds.Item":{', "jaxb": 'xsi:type="item"', "xstream": "<org.example.cmds.Item>"}


@pytest.fixture
def cmds(client):
    deploy(client, CID, {"org/example/cmds/rules.drl": DRL}, KMODULE)
    return client


def item(client, name, qty=1, flag=False):
    return bean(client, CID, ITEM, name=name, qty=qty, flag=flag)


def log():
    return Command("set-global", identifier="log", object=[])


def run(client, fmt, commands, lookup=None, status=200):
    sr, text = call(client, CID, fmt, commands, lookup, status)
    return sr, text


# -- insert / insert-elements ---------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_insert_out_identifier_return_object_and_entry_point(cmds, fmt):
    sr, text = run(cmds, fmt, [log(),
                               Command("insert", object=item(cmds, "a"), out_identifier="a"),
                               Command("insert", object=item(cmds, "b"), out_identifier="b", return_object=False),
                               Command("insert", object=item(cmds, "c")),
                               Command("insert", object="memo", out_identifier="n", entry_point="notes"),
                               Command("fire-all-rules", out_identifier="fired")])
    r = sr.result
    assert set(r.results) == {"a", "n", "fired"} and set(r.facts) == {"a", "b", "n"}
    assert type(r.results["a"]).java_name() == ITEM and r.results["n"] == "memo"
    assert r.results["fired"] == 4                         # small x3, note
    assert r.facts["n"].external_form.split(":")[5] == "notes"
    assert r.facts["a"].external_form.split(":")[5] == "DEFAULT"
    assert r.facts["a"].external_form.endswith(":" + ITEM)
    assert WRAPPER[fmt] in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_insert_elements(cmds, fmt):
    r = results(cmds, CID, fmt, [
        Command("insert-elements", objects=[item(cmds, "a"), item(cmds, "b")], out_identifier="many"),
        Command("insert-elements", objects=[item(cmds, "c")], out_identifier="quiet", return_objects=False),
        Command("insert-elements", objects=[item(cmds, "d")]),
        Command("get-objects", out_identifier="all")])
    assert [i.name for i in r.results["many"]] == ["a", "b"]
    assert "quiet" not in r.results and len(r.facts["quiet"]) == 1
    assert [h.id for h in r.facts["many"]] == sorted(h.id for h in r.facts["many"])
    assert sorted(i.name for i in r.results["all"]) == ["a", "b", "c", "d"]
    assert set(r.facts) == {"many", "quiet"}


# -- delete / update / modify ----------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_delete_and_unknown_handles(cmds, fmt):
    r = results(cmds, CID, fmt, [Command("insert", object=item(cmds, "a"), out_identifier="a"),
                                 Command("insert", object=item(cmds, "b"), out_identifier="b")])
    a, b = r.facts["a"], r.facts["b"]
    r = results(cmds, CID, fmt, [Command("delete", handle=a), Command("get-objects", out_identifier="o")])
    assert [i.name for i in r.results["o"]] == ["b"]
    # NamedEntryPoint.delete logs and ignores a handle it does not hold
    r = results(cmds, CID, fmt, [Command("delete", handle=a), Command("get-objects", out_identifier="o")])
    assert [i.name for i in r.results["o"]] == ["b"]
    # ... as it does for a handle of another entry point
    parts = b.external_form.split(":")
    other = FactHandleRef(":".join(parts[:5] + ["notes"] + parts[6:]))
    r = results(cmds, CID, fmt, [Command("delete", handle=other), Command("get-objects", out_identifier="o")])
    assert [i.name for i in r.results["o"]] == ["b"]
    # update of a handle that is not there fails (NullPointerException in NamedEntryPoint.update)
    sr, _ = run(cmds, fmt, [Command("update", handle=a, object=item(cmds, "z"))], status=500)
    assert sr.type == "FAILURE" and "update" in sr.msg


@pytest.mark.parametrize("fmt", FORMATS)
def test_modify_setters_are_coerced_string_literals(cmds, fmt):
    r = results(cmds, CID, fmt, [log(), Command("insert", object=item(cmds, "a"), out_identifier="a"),
                                 Command("fire-all-rules")])
    h = r.facts["a"]
    r = results(cmds, CID, fmt, [Command("modify", handle=h, setters=[("qty", "25"), ("flag", "true"),
                                                                      ("name", "a b")]),
                                 Command("fire-all-rules", out_identifier="n"),
                                 Command("get-object", handle=h, out_identifier="o"),
                                 Command("get-global", identifier="log")])
    o = r.results["o"]
    assert (o.qty, o.flag, o.name) == (25, True, "a b")
    assert r.results["n"] == 1 and r.results["log"] == ["small a", "big a b"]
    # MVEL cannot convert the literal: FAILURE naming the command, the working memory unchanged
    sr, _ = run(cmds, fmt, [Command("insert", object=item(cmds, "x"), out_identifier="x"),
                            Command("modify", handle=h, setters=[("qty", "lots")])], status=500)
    assert sr.msg.startswith(f"Error calling container {CID}:") and "[modify]" in sr.msg and "lots" in sr.msg
    r = results(cmds, CID, fmt, [Command("get-objects", out_identifier="o")])
    assert [(i.name, i.qty) for i in r.results["o"]] == [("a b", 25)]


# -- reads -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_get_object_and_get_objects_with_class_filter(cmds, fmt):
    r = results(cmds, CID, fmt, [Command("insert", object=item(cmds, "a"), out_identifier="a"),
                                 Command("insert", object="loose", out_identifier="s")])
    sr, text = run(cmds, fmt, [Command("get-objects", class_name=ITEM, out_identifier="items"),
                               Command("get-objects", class_name="java.lang.String", out_identifier="strings"),
                               Command("get-objects", out_identifier="all"),
                               Command("get-objects", class_name="java.lang.Object", out_identifier="objects"),
                               Command("get-objects", class_name="java.lang.CharSequence", out_identifier="chars"),
                               Command("get-objects"),
                               Command("get-object", handle=r.facts["a"], out_identifier="o"),
                               Command("get-object", handle=r.facts["s"])])
    got = sr.result.results
    assert set(got) == {"items", "strings", "all", "objects", "chars", "o"}
    assert got["o"].name == "a" and WRAPPER[fmt] in text
    assert len(got["all"]) == 2 and len(got["objects"]) == 2
    if fmt == "xstream":            # GetObjectsConverter reads no class-object-filter
        assert len(got["items"]) == 2 and len(got["strings"]) == 2 and len(got["chars"]) == 2
    else:                           # a JDK class by assignability, a kjar/declared class by name
        assert [i.name for i in got["items"]] == ["a"] and got["strings"] == ["loose"] == got["chars"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_fact_handles_and_dispose(cmds, fmt):
    r = results(cmds, CID, fmt, [Command("insert", object=item(cmds, "a"), out_identifier="a"),
                                 Command("insert", object=item(cmds, "b"), out_identifier="b"),
                                 Command("insert", object="memo", out_identifier="n", entry_point="notes"),
                                 Command("get-fact-handles", out_identifier="h"),
                                 Command("get-fact-handles")])
    assert set(r.results) == {"a", "b", "n", "h"}
    assert sorted(h.id for h in r.results["h"]) == sorted([r.facts["a"].id, r.facts["b"].id])
    r = results(cmds, CID, fmt, [Command("dispose")])
    assert r.results == {} and r.facts == {}
    r = results(cmds, CID, fmt, [Command("get-fact-handles", out_identifier="h"),
                                 Command("get-objects", out_identifier="o")])
    assert r.results["h"] == [] and r.results["o"] == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_fire_all_rules_max_and_out_identifier(cmds, fmt):
    r = results(cmds, CID, fmt, [log()] + [Command("insert", object=item(cmds, n, 20)) for n in "abc"] +
                [Command("fire-all-rules", max=2, out_identifier="first"),
                 Command("fire-all-rules", out_identifier="rest"),
                 Command("fire-all-rules"),
                 Command("get-global", identifier="log", out_identifier="log")])
    assert (r.results["first"], r.results["rest"]) == (2, 1)
    assert sorted(r.results["log"]) == ["big a", "big b", "big c"]
    assert set(r.results) == {"first", "rest", "log"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_query_with_arguments(cmds, fmt):
    r = results(cmds, CID, fmt, [Command("insert", object=item(cmds, n, q), out_identifier=n)
                                 for n, q in (("a", 5), ("b", 15), ("c", 25))])
    sr, text = run(cmds, fmt, [Command("query", query_name="items over", arguments=[10], out_identifier="q"),
                               Command("query", query_name="items over", arguments=[100])])
    got = sr.result.results
    assert set(got) == {"q"}
    q = got["q"]
    # FlatQueryResults: the parameter is an identifier too, its handle the query run's DroolsQuery
    assert isinstance(q, QueryResults) and sorted(q.identifiers) == ["$i", "$min"]
    assert sorted(i.name for i in q.column("$i")) == ["b", "c"] and q.column("$min") == [10, 10]
    handles = {row["$i"][0].name: row["$i"][1].id for row in q.rows}
    assert handles == {"b": r.facts["b"].id, "c": r.facts["c"].id}
    # the handles are DisconnectedFactHandles: no class name
    assert all(row["$i"][1].external_form.endswith(":NON_TRAIT:null") for row in q.rows)
    assert {row["$min"][1].id for row in q.rows} == {4}     # facts 1-3, then the query's DroolsQuery
    assert WRAPPER[fmt] in text


# -- globals ---------------------------------------------------------------------------------------

SET_GLOBAL_OUT = {
    "json": '{"commands":[{"set-global":{"identifier":"log","object":["x"],"out":true}}]}',
    "jaxb": '<batch-execution><set-global identifier="log" out="true"><object xsi:type="jaxbListWrapper" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><type>LIST</type></object></set-global>'
            '</batch-execution>',
    "xstream": '<batch-execution><set-global identifier="log" out="true"><list><string>x</string></list>'
               '</set-global></batch-execution>',
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_set_global_and_get_global(cmds, fmt):
    r = results(cmds, CID, fmt, [Command("set-global", identifier="log", object=["x"], out_identifier="set"),
                                 Command("get-global", identifier="log"),
                                 Command("get-global", identifier="log", out_identifier="again")])
    assert r.results == {"set": ["x"], "log": ["x"], "again": ["x"]}
    # `out="true"` is read by XStream's SetGlobalConverter only; SetGlobalCommand has no such member
    sr, _ = post(cmds, CID, fmt, SET_GLOBAL_OUT[fmt], 200)
    assert sr.result.results == ({"log": ["x"]} if fmt == "xstream" else {})


# -- agenda ----------------------------------------------------------------------------------------

def _fired_log(client, fmt, middle, lookup="sl"):
    r = results(client, CID, fmt, [log(), Command("insert", object=item(client, "a", 20)),
                                   Command("insert", object=item(client, "b", 1))] + middle +
                [Command("fire-all-rules", out_identifier="n"), Command("get-global", identifier="log")],
                lookup=lookup)
    return r.results["n"], r.results["log"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_focus_and_clear_commands(cmds, fmt):
    assert _fired_log(cmds, fmt, []) == (2, ["big a", "small b"])
    n, fired = _fired_log(cmds, fmt, [Command("set-focus", group="vip")])
    assert n == 4 and sorted(fired[:2]) == ["vip a", "vip b"] and fired[2:] == ["big a", "small b"]
    assert _fired_log(cmds, fmt, [Command("set-focus", group="vip"), Command("clear-agenda-group", group="vip")]) \
        == (2, ["big a", "small b"])
    assert _fired_log(cmds, fmt, [Command("clear-ruleflow-group", group="rf"),
                                  Command("clear-activation-group", group="none")]) == (2, ["big a", "small b"])
    assert _fired_log(cmds, fmt, [Command("clear-agenda")]) == (0, [])


def _filter_body(fmt, kind, pattern, accept):
    cls, member = {"rule-name-equals-agenda-filter": ("RuleNameEqualsAgendaFilter", "name"),
                   "rule-name-starts-with-agenda-filter": ("RuleNameStartsWithAgendaFilter", "prefix"),
                   "rule-name-ends-with-agenda-filter": ("RuleNameEndsWithAgendaFilter", "suffix"),
                   "rule-name-matches-agenda-filter": ("RuleNameMatchesAgendaFilter", "regexp")}[kind]
    objs = {"json": ('{"org.example.cmds.Item":{"name":"a","qty":20,"flag":false}}',
                     '{"org.example.cmds.Item":{"name":"b","qty":1,"flag":false}}'),
            "jaxb": ('<object xsi:type="item" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><name>a</name>'
                     '<qty>20</qty><flag>false</flag></object>',
                     '<object xsi:type="item" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><name>b</name>'
                     '<qty>1</qty><flag>false</flag></object>'),
            "xstream": (f"<{ITEM}><name>a</name><qty>20</qty><flag>false</flag></{ITEM}>",
                        f"<{ITEM}><name>b</name><qty>1</qty><flag>false</flag></{ITEM}>")}[fmt]
    if fmt == "json":
        flt = {member: pattern}
        if accept is not None:
            flt["accept"] = accept
        import json
        return json.dumps({"lookup": "sl", "commands": [
            {"set-global": {"identifier": "log", "object": {"type": "LIST", "componentType": None, "element": []}}},
            {"insert": {"object": json.loads(objs[0])}}, {"insert": {"object": json.loads(objs[1])}},
            {"fire-all-rules": {"max": -1, "agendaFilter": {kind: flt}, "out-identifier": "n"}},
            {"get-global": {"identifier": "log"}}]})
    acc = "" if accept is None else (f' accept="{str(accept).lower()}"' if fmt == "jaxb"
                                     else f"<accept>{str(accept).lower()}</accept>")
    if fmt == "jaxb":
        return ('<batch-execution lookup="sl"><set-global identifier="log"><object xsi:type="jaxbListWrapper" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><type>LIST</type></object></set-global>'
                f'<insert>{objs[0]}</insert><insert>{objs[1]}</insert><fire-all-rules max="-1" out-identifier="n">'
                f'<{kind} {member}="{pattern}"{acc}/></fire-all-rules><get-global identifier="log"/>'
                '</batch-execution>')
    return ('<batch-execution lookup="sl"><set-global identifier="log"><list/></set-global>'
            f'<insert>{objs[0]}</insert><insert>{objs[1]}</insert><fire-all-rules out-identifier="n">'
            f'<agendaFilter class="org.drools.core.base.{cls}"><{member}>{pattern}</{member}>{acc}</agendaFilter>'
            '</fire-all-rules><get-global identifier="log"/></batch-execution>')


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind,pattern,accept,expected", [
    ("rule-name-equals-agenda-filter", "big", True, ["big a"]),
    ("rule-name-equals-agenda-filter", "big", False, ["small b"]),
    ("rule-name-equals-agenda-filter", "big", None, ["small b"]),    # the no-argument constructor: accept false
    ("rule-name-starts-with-agenda-filter", "sm", True, ["small b"]),
    ("rule-name-ends-with-agenda-filter", "ig", True, ["big a"]),
    ("rule-name-matches-agenda-filter", "b.g", True, ["big a"]),
    ("rule-name-matches-agenda-filter", "b", True, []),                # the whole name must match
])
def test_agenda_filters(cmds, fmt, kind, pattern, accept, expected):
    sr, _ = post(cmds, CID, fmt, _filter_body(fmt, kind, pattern, accept), 200)
    assert sr.result.results["log"] == expected and sr.result.results["n"] == len(expected)


# -- stateless -------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_stateless_session_fires_at_the_end_without_fire_all_rules(cmds, fmt):
    r = results(cmds, CID, fmt, [log(), Command("insert", object=item(cmds, "a", 20), out_identifier="a"),
                                 Command("get-global", identifier="log")], lookup="sl")
    assert r.results["log"] == ["big a"]          # the same list, filled by the firing after the commands
    r = results(cmds, CID, fmt, [Command("get-objects", out_identifier="o")], lookup="sl")
    assert r.results["o"] == []


# -- lone commands (X-KIE-ClassType) ---------------------------------------------------------------

SINGLES = {
    "org.drools.core.command.runtime.rule.InsertObjectCommand": {
        "json": '{"object":{"%s":{"name":"solo","qty":3}},"out-identifier":"solo"}' % ITEM,
        "jaxb": '<insert-object-command out-identifier="solo"><object xsi:type="item" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><name>solo</name><qty>3</qty></object>'
                '</insert-object-command>',
        "xstream": f'<insert out-identifier="solo"><{ITEM}><name>solo</name><qty>3</qty></{ITEM}></insert>'},
    "org.drools.core.command.runtime.rule.GetObjectsCommand": {
        "json": '{"out-identifier":"o"}',
        "jaxb": None,         # GetObjectsCommand has no @XmlRootElement: JAXB cannot read it alone
        "xstream": '<get-objects out-identifier="o"/>'},
    "org.drools.core.command.runtime.rule.FireAllRulesCommand": {
        "json": '{"max":-1,"out-identifier":"n"}',
        "jaxb": '<fireAllRulesCommand max="-1" out-identifier="n"/>',
        "xstream": '<fire-all-rules out-identifier="n"/>'},
    "org.drools.core.command.runtime.DisposeCommand": {
        "json": "{}", "jaxb": "<disposeCommand/>", "xstream": "<dispose/>"},
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_lone_commands_named_by_class_type(cmds, fmt):
    results(cmds, CID, fmt, [log()])
    cls = list(SINGLES)
    sr, text = post(cmds, CID, fmt, SINGLES[cls[0]][fmt], 200, headers={"X-KIE-ClassType": cls[0]})
    assert sr.result.results["solo"].name == "solo" and "solo" in sr.result.facts and WRAPPER[fmt] in text
    if SINGLES[cls[1]][fmt]:
        sr, _ = post(cmds, CID, fmt, SINGLES[cls[1]][fmt], 200, headers={"X-KIE-ClassType": cls[1]})
        assert [i.name for i in sr.result.results["o"]] == ["solo"]
    sr, _ = post(cmds, CID, fmt, SINGLES[cls[2]][fmt], 200, headers={"X-KIE-ClassType": cls[2]})
    assert sr.result.results["n"] == 1
    sr, _ = post(cmds, CID, fmt, SINGLES[cls[3]][fmt], 200, headers={"X-KIE-ClassType": cls[3]})
    assert sr.result.results == {}
    assert results(cmds, CID, fmt, [Command("get-objects", out_identifier="o")]).results["o"] == []
    # a class the container cannot load: ClassNotFoundException, its message is the class name
    sr, _ = post(cmds, CID, fmt, SINGLES[cls[3]][fmt], 500, headers={"X-KIE-ClassType": "org.nope.NoCommand"})
    assert sr.msg == f"Error calling container {CID}: org.nope.NoCommand"


@pytest.mark.parametrize("fmt", ["jaxb", "xstream"])
def test_xml_root_element_decides_the_class(cmds, fmt):
    """JAXB and XStream read the class from the root element: a lone command under the batch class
    header, and a batch under a command class header, both run."""
    batch_cls = "org.drools.core.command.runtime.BatchExecutionCommandImpl"
    insert_cls = "org.drools.core.command.runtime.rule.InsertObjectCommand"
    results(cmds, CID, fmt, [log()])
    sr, _ = post(cmds, CID, fmt, SINGLES[insert_cls][fmt], 200, headers={"X-KIE-ClassType": batch_cls})
    assert sr.result.results["solo"].name == "solo"
    body = f'<batch-execution>{SINGLES["org.drools.core.command.runtime.rule.FireAllRulesCommand"]["xstream"]}' \
           '</batch-execution>'
    sr, _ = post(cmds, CID, fmt, body.replace('<fire-all-rules out-identifier="n"/>',
                                              '<fire-all-rules max="-1" out-identifier="n"/>'), 200,
                 headers={"X-KIE-ClassType": insert_cls})
    assert "n" in sr.result.results


# -- failures --------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_failing_batch_envelope_names_command_and_cause_and_keeps_memory(cmds, fmt):
    r = results(cmds, CID, fmt, [log(), Command("insert", object=item(cmds, "a"), out_identifier="a"),
                                 Command("fire-all-rules")])
    # a consequence fails (the global list is replaced by null): fire-all-rules and the rule are named
    sr, _ = run(cmds, fmt, [Command("set-global", identifier="log", object=None),
                            Command("insert", object=item(cmds, "b", 50)),
                            Command("fire-all-rules")], status=500)
    assert sr.type == "FAILURE" and sr.result is None
    assert sr.msg.startswith(f"Error calling container {CID}: [fire-all-rules]") and '"big"' in sr.msg
    # an unknown query
    sr, _ = run(cmds, fmt, [Command("insert", object=item(cmds, "c")),
                            Command("query", query_name="no such", arguments=[], out_identifier="q")], status=500)
    assert "[query]" in sr.msg and "no such" in sr.msg
    r = results(cmds, CID, fmt, [Command("get-objects", out_identifier="o"), Command("get-global", identifier="log"),
                                 Command("get-fact-handles", out_identifier="h")])
    assert [i.name for i in r.results["o"]] == ["a"] and r.results["log"] == ["small a"]
    assert [h.id for h in r.results["h"]] == [results(cmds, CID, fmt, [
        Command("get-fact-handles", out_identifier="h")]).results["h"][0].id]


@pytest.mark.parametrize("fmt", FORMATS)
def test_session_lookup_failures(cmds, fmt):
    sr, _ = run(cmds, fmt, [Command("fire-all-rules")], lookup="nope", status=500)
    assert sr.msg == f"Error calling container {CID}: Session 'nope' not found on container '{CID}'."


def test_no_default_session(client):
    km = ('<kmodule xmlns="http://www.drools.org/xsd/kmodule"><kbase name="kb" packages="org.example.cmds">'
          '<ksession name="ks"/></kbase></kmodule>')
    deploy(client, CID, {"org/example/cmds/rules.drl": DRL}, km)
    sr, _ = post(client, CID, "json", '{"commands":[{"fire-all-rules":{}}]}', 500)
    assert sr.msg == f"Error calling container {CID}: No default KieSession found on container '{CID}'."
    sr, _ = post(client, CID, "json", '{"lookup":"ks","commands":[{"fire-all-rules":{"out-identifier":"n"}}]}', 200)
    assert sr.result.results == {"n": 0}


# -- BPM commands ----------------------------------------------------------------------------------

class Recorder:
    def __init__(self):
        self.calls = []

    def start_process(self, container_id, process_id, variables=None, *a, **kw):
        self.calls.append(("start", container_id, process_id, dict(variables or {})))
        return 42

    def signal_event(self, container_id, name, event=None, process_instance_id=None):
        self.calls.append(("signal", container_id, name, event, process_instance_id))

    def complete_work_item_by_id(self, container_id, work_item_id, results=None, user=None):
        self.calls.append(("complete", container_id, work_item_id, dict(results or {})))

    def abort_work_item_by_id(self, container_id, work_item_id, user=None):
        self.calls.append(("abort", container_id, work_item_id))


@pytest.fixture
def recorder(cmds):
    server = cmds.app.kie_server
    saved, server.process_callbacks = server.process_callbacks, Recorder()
    yield server.process_callbacks
    server.process_callbacks = saved


@pytest.mark.parametrize("fmt", FORMATS)
def test_process_commands_go_to_the_process_service(cmds, recorder, fmt):
    r = results(cmds, CID, fmt, [
        Command("start-process", process_id="demo.p", parameters={"name": "ann", "n": 3}, out_identifier="pi"),
        Command("start-process", process_id="demo.q", parameters={}),
        Command("signal-event", process_instance_id=7, event_type="go", event="now"),
        Command("signal-event", event_type="all"),
        Command("complete-work-item", id=5, results={"ok": True}),
        Command("abort-work-item", id=6)])
    assert r.results == {"pi": 42}
    assert isinstance(r.results["pi"], Long) or fmt == "json"     # a JSON number has no Java type
    assert recorder.calls == [("start", CID, "demo.p", {"name": "ann", "n": 3}), ("start", CID, "demo.q", {}),
                              ("signal", CID, "go", "now", 7), ("signal", CID, "all", None, None),
                              ("complete", CID, 5, {"ok": True}), ("abort", CID, 6)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_process_commands_without_a_process_runtime(cmds, fmt):
    server = cmds.app.kie_server
    saved, server.process_callbacks = server.process_callbacks, None
    try:
        results(cmds, CID, fmt, [Command("insert", object=item(cmds, "a"))])
        sr, _ = run(cmds, fmt, [Command("insert", object=item(cmds, "b")),
                                Command("start-process", process_id="demo.p", parameters={})], status=500)
        assert "[start-process]" in sr.msg and "not supported" in sr.msg
        r = results(cmds, CID, fmt, [Command("get-objects", out_identifier="o")])
        assert [i.name for i in r.results["o"]] == ["a"]
    finally:
        server.process_callbacks = saved


def test_types_of_results_survive(cmds):
    """The helper module's view of the container's types stays the one the server uses."""
    assert types_of(cmds, CID) is cmds.app.kie_server.containers.runtime(CID).types


# -- update with modifiedProperties, modify with allow-modify-expr ---------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_update_modified_properties_limit_the_reaction(cmds, fmt):
    r = results(cmds, CID, fmt, [log(), Command("insert", object=item(cmds, "a", 20), out_identifier="a"),
                                 Command("fire-all-rules", out_identifier="n")])
    assert r.results["n"] == 1
    h = r.facts["a"]

    def update(props):
        return results(cmds, CID, fmt, [Command("update", handle=h, object=item(cmds, "a", 20),
                                                modified_properties=props),
                                        Command("fire-all-rules", out_identifier="n")]).results["n"]
    assert update(["flag"]) == 0          # "big" reads qty only
    assert update(["qty"]) == 1
    # no modifiedProperties: Jackson and JAXB leave the array null (every pattern reacts); XStream's
    # UpdateConverter always passes an array, empty here, so nothing reacts
    assert update(None) == (0 if fmt == "xstream" else 1)


@pytest.mark.parametrize("fmt", ["json", "jaxb"])
def test_modify_without_expressions_drops_double_quotes(cmds, fmt):
    h = results(cmds, CID, fmt, [Command("insert", object=item(cmds, "a"), out_identifier="a")]).facts["a"]
    body = {"json": '{"commands":[{"modify":{"fact-handle":"%s","allow-modify-expr":false,"setters":'
                    '[{"accessor":"name","value":"\\"quoted\\""}]}},{"get-object":{"fact-handle":"%s",'
                    '"out-identifier":"o"}}]}' % (h.external_form, h.external_form),
            "jaxb": '<batch-execution><modify allow-modify-expr="false"><fact-handle>%s</fact-handle>'
                    '<setters accessor="name" value="&quot;quoted&quot;"/></modify><get-object out-identifier="o">'
                    '<fact-handle>%s</fact-handle></get-object></batch-execution>' % (h.external_form, h.external_form)}
    sr, _ = post(cmds, CID, fmt, body[fmt], 200)
    assert sr.result.results["o"].name == "quoted"
    sr, _ = post(cmds, CID, fmt, body[fmt].replace("false", "true"), 200)
    assert sr.result.results["o"].name == '"quoted"'
    if fmt == "json":    # "accessor = '" + null + "'"
        sr, _ = post(cmds, CID, fmt, body[fmt].replace('"\\"quoted\\""', "null"), 200)
        assert sr.result.results["o"].name == "null"


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_objects_come_grouped_by_class(cmds, fmt):
    """ClassAwareObjectStore: one store per class, iterated store by store."""
    r = results(cmds, CID, fmt, [Command("insert", object=item(cmds, "a"), out_identifier="a"),
                                 Command("insert", object="s1", out_identifier="s1"),
                                 Command("insert", object=item(cmds, "b"), out_identifier="b"),
                                 Command("insert", object="s2", out_identifier="s2"),
                                 Command("get-objects", out_identifier="o"),
                                 Command("get-fact-handles", out_identifier="h")])
    assert [getattr(o, "name", o) for o in r.results["o"]] == ["a", "b", "s1", "s2"]
    assert [h.id for h in r.results["h"]] == [r.facts[k].id for k in ("a", "b", "s1", "s2")]
    if fmt == "jaxb":     # JaxbUnknownAdapter: handles in a collection become DisconnectedFactHandles
        assert all(h.external_form.endswith(":null") for h in r.results["h"])
