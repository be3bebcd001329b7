"""BatchExecutionCommand / ExecutionResults wire format against the real marshallers' golden files
(wire-formats.md §6, samples batch_simple.*, batch_all.*, exec_results.*, sr_exec_results.*) and what
the real server accepts or refuses (_unmarshal-experiments.txt)."""
import json
import re

import pytest

from containers.values import FieldDef, JavaBean, Long, TypeRegistry
from marshallers import JAXB, JSON, XSTREAM, MarshallingError, marshal, unmarshal
from marshallers.types.batch import BatchExecutionCommand, Command, ExecutionResults, FactHandleRef
from marshallers.types.core import ServiceResponse
from tests.marshallers.golden import sample, same_json, same_xml

FMT = {"json": JSON, "jaxb": JAXB, "xstream": XSTREAM}


@pytest.fixture
def types():
    t = TypeRegistry()
    t.define("org.test.Person", [FieldDef("name", "String"), FieldDef("age", "java.lang.Integer"),
                                 FieldDef("birth", "java.util.Date"), FieldDef("tags", "java.util.List")])
    return t


def _without_session_time(kind, text):
    """Session-time commands are refused (JSON refuses them on the real server too); the rest of
    batch_all must read."""
    if kind == "json":
        d = json.loads(text)
        d["commands"] = [c for c in d["commands"] if "SessionTime" not in next(iter(c))]
        return json.dumps(d)
    if kind == "jaxb":
        return re.sub(r'\s*<query xsi:type="(get|advance)SessionTimeCommand"[^>]*/>', "", text)
    return re.sub(r"\s*<(get|advance)-session-time[^>]*/>", "", text)


def _plain(v):
    """Beans (identity equality) as (class, properties); fact handles as their id (XStream's sample
    keeps the class name in one external form where JSON/JAXB write a disconnected handle's `null`)."""
    if isinstance(v, FactHandleRef):
        return ("handle", v.id)
    if isinstance(v, JavaBean):
        return (type(v).java_name(), _plain(v.properties()))
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def _norm(cmd):
    return cmd.name, _plain(cmd.m)


# -- requests -------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", FMT)
def test_batch_simple_reads_in_every_format(kind, types):
    b = unmarshal(sample("batch_simple", kind), FMT[kind], BatchExecutionCommand, types=types)
    assert b.lookup == "ksession1"
    ins, fire = b.commands
    assert ins.name == "insert" and ins.m["out_identifier"] == "john" and ins.m["return_object"] is True
    assert ins.m["entry_point"] == "DEFAULT"
    p = ins.m["object"]
    assert isinstance(p, JavaBean) and type(p).java_name() == "org.test.Person" and (p.name, p.age) == ("john", 25)
    assert fire.name == "fire-all-rules" and fire.m["max"] == -1 and fire.m["out_identifier"] == "fired"


def test_batch_simple_strict_notnull_json_reads_too(types):
    b = unmarshal(sample("batch_simple", "strict"), JSON, BatchExecutionCommand, types=types)
    assert [c.name for c in b.commands] == ["insert", "fire-all-rules"]


@pytest.mark.parametrize("kind", ["jaxb", "xstream"])
def test_batch_simple_written_back(kind, types):
    """Our XML writers (used by tests and Python clients) produce the Java client's document; JAXB
    leaves out the default disconnected="false" attribute."""
    gold = sample("batch_simple", kind)
    out = marshal(unmarshal(gold, FMT[kind], BatchExecutionCommand, types=types), FMT[kind], types=types)
    if kind == "jaxb":
        gold = gold.replace(' disconnected="false"', "")
    assert same_xml(out, gold), out


def test_batch_all_reads_the_same_in_every_format(types):
    parsed = {k: unmarshal(_without_session_time(k, sample("batch_all", k)), FMT[k], BatchExecutionCommand,
                           types=types) for k in FMT}
    names = [c.name for c in parsed["json"].commands]
    assert names == ["insert", "insert", "insert-elements", "fire-all-rules", "fire-all-rules", "fire-all-rules",
                     "get-objects", "query", "set-global", "get-global", "delete", "modify", "update",
                     "start-process", "signal-event", "signal-event", "complete-work-item", "abort-work-item",
                     "set-focus", "clear-agenda", "clear-agenda-group", "get-fact-handles", "get-object", "dispose"]
    for k in ("jaxb", "xstream"):
        assert parsed[k].lookup == "defaultKieSession"
        expected = [_norm(c) for c in parsed["json"].commands]
        if k == "xstream":   # UpdateConverter always builds a modifiedProperties array (empty here)
            expected = [(n, dict(m, modified_properties=[]) if n == "update" else m) for n, m in expected]
        assert [_norm(c) for c in parsed[k].commands] == expected, k
    c = {x.name: x for x in reversed(parsed["json"].commands)}    # first of each name
    assert [p.name for p in c["insert-elements"].m["objects"]] == ["a", "b"]
    assert c["insert-elements"].m["out_identifier"] == "many"
    assert c["query"].m["arguments"] == ["arg1", 5]
    assert c["set-global"].m["object"] == [] and c["set-global"].m["out_identifier"] == "list"
    assert c["delete"].m["handle"].external_form == "0:1:1867683574:1867683574:1:DEFAULT:NON_TRAIT:null"
    assert c["modify"].m["setters"] == [("age", "26")]
    assert c["update"].m["object"].age == 27
    sp = c["start-process"].m
    assert sp["process_id"] == "org.test.proc" and sp["parameters"]["name"] == "john"
    assert sp["parameters"]["person"].name == "p" and sp["out_identifier"] == "pi"
    events = [x.m for x in parsed["json"].commands if x.name == "signal-event"]
    assert [(e["process_instance_id"], e["event_type"], e["event"]) for e in events] == \
        [(5, "MyEvent", "payload"), (-1, "GlobalEvent", None)]
    assert c["complete-work-item"].m == {"id": 7, "results": {"approved": True}}
    assert c["abort-work-item"].m["id"] == 8
    assert c["get-fact-handles"].m == {"out_identifier": "handles", "disconnected": False}
    assert c["get-object"].m["out_identifier"] == "obj"


@pytest.mark.parametrize("kind", FMT)
def test_session_time_commands_are_refused(kind, types):
    with pytest.raises(MarshallingError):
        unmarshal(sample("batch_all", kind), FMT[kind], BatchExecutionCommand, types=types)


# -- responses ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,model", [("exec_results", ExecutionResults), ("sr_exec_results", ServiceResponse)])
@pytest.mark.parametrize("kind", ["json", "jaxb", "xstream", "strict"])
def test_execution_results_byte_exact(name, model, kind, types):
    gold = sample(name, kind)
    fmt = JSON if kind == "strict" else FMT[kind]
    value = unmarshal(gold, fmt, model, types=types)
    res = value.result if model is ServiceResponse else value
    assert list(res.results) == ["fired", "str", "objects", "john"]
    assert res.results["fired"] == 2 and res.results["str"] == "text"
    assert [p.name for p in res.results["objects"]] == ["john", "mary"]
    assert res.facts["john"].external_form == "0:1:1867683574:1867683574:1:DEFAULT:NON_TRAIT:org.test.Person"
    assert [h.id for h in res.facts["many"]] == [2, 3]
    if kind == "strict":     # not_null is ignored on the batch endpoint; only check it reads
        return
    out = marshal(value, fmt, types=types)
    assert out.rstrip("\n") == gold.rstrip("\n"), out


def test_execution_results_empty_maps():
    res = ExecutionResults()
    assert same_json(marshal(res, JSON), '{"results": [], "facts": []}')
    assert same_xml(marshal(res, JAXB), "<execution-results><results/><facts/></execution-results>")
    assert same_xml(marshal(res, XSTREAM), "<execution-results/>")


@pytest.mark.parametrize("kind", FMT)
def test_client_parsed_execresults_appendix(kind):
    """The `execresults` bodies of java-client-traffic.md's appendix (the client parsed them)."""
    from tests.traffic import TRAFFIC
    text = open(TRAFFIC, encoding="utf-8").read().split("## Appendix", 1)[1]
    section = {"json": "### JSON", "jaxb": "### JAXB", "xstream": "### XSTREAM"}[kind]
    part = text.split(section, 1)[1]
    body = re.search(r"`execresults`\n\n```\w+\n(.*?)\n```", part, re.S).group(1)
    sr = unmarshal(body, FMT[kind], ServiceResponse)
    assert sr.result.results == {"fired": 1, "fact-1": "hello world"}
    out = marshal(sr, FMT[kind])
    assert (same_json if kind == "json" else same_xml)(out, body), out


def test_fact_handle_results_in_three_formats():
    """get-fact-handles: JSON wraps each handle as DefaultFactHandle, JAXB writes disconnected handles,
    XStream plain fact-handle elements; all read back as handles."""
    hs = [FactHandleRef("0:1:11:11:1:DEFAULT:NON_TRAIT:java.lang.String"),
          FactHandleRef("0:2:12:12:2:DEFAULT:NON_TRAIT:java.lang.String")]
    res = ExecutionResults({"handles": hs, "one": hs[0]}, {"s": hs[0]})
    for kind, fmt in FMT.items():
        text = marshal(res, fmt)
        back = unmarshal(text, fmt, ExecutionResults)
        assert [h.id for h in back.results["handles"]] == [1, 2], kind
        assert back.results["one"].id == 1 and back.facts["s"].id == 1, kind
    assert '"org.drools.core.common.DefaultFactHandle"' in marshal(res, JSON)
    assert 'xsi:type="disconnectedFactHandle"' in marshal(res, JAXB)


# -- what the real server accepts and refuses (_unmarshal-experiments.txt) --------------------------

def _one(types, body, kind="json"):
    return unmarshal(body, FMT[kind], BatchExecutionCommand, types=types)


def test_experiments_json_objects(types):
    b = _one(types, '{"lookup":"ksession1","commands":[{"insert":{"object":{"org.test.Person":{"name":"john",'
                    '"age":25}},"out-identifier":"john","return-object":true}},{"fire-all-rules":'
                    '{"out-identifier":"fired"}},{"get-objects":{"out-identifier":"objects"}}]}')
    assert [c.name for c in b.commands] == ["insert", "fire-all-rules", "get-objects"]
    assert b.commands[0].m["object"].name == "john"
    # simple class name as the wrapper key
    b = _one(types, '{"commands":[{"insert":{"object":{"Person":{"name":"john","age":25}}}}]}')
    o = b.commands[0].m
    assert type(o["object"]).java_name() == "org.test.Person" and o["out_identifier"] is None
    assert o["return_object"] is True and o["entry_point"] == "DEFAULT"
    # no wrapper: a map
    b = _one(types, '{"commands":[{"insert":{"object":{"name":"john","age":25}}}]}')
    assert b.commands[0].m["object"] == {"name": "john", "age": 25}
    for body, value in (('"hello"', "hello"), ("12", 12)):
        b = _one(types, '{"commands":[{"insert":{"object":%s}}]}' % body)
        assert b.commands[0].m["object"] == value and type(b.commands[0].m["object"]) is type(value)
    b = _one(types, '{"commands":[{"insert":{"object":{"org.test.Person":{"name":"d","unknown":1}}}}]}')
    assert b.commands[0].m["object"].name == "d"      # unknown properties are ignored


@pytest.mark.parametrize("birth", ['{"java.util.Date":1538995599184}', "1538995599184",
                                   '"2018-10-08T10:46:39.184+0000"'])
def test_experiments_dates(types, birth):
    b = _one(types, '{"commands":[{"insert":{"object":{"org.test.Person":{"name":"d","birth":%s}}}}]}' % birth)
    d = b.commands[0].m["object"].birth
    assert (d.year, d.month, d.day, d.hour, d.minute) == (2018, 10, 8, 10, 46)


def test_experiments_date_only_string(types):
    b = _one(types, '{"commands":[{"insert":{"object":{"org.test.Person":{"name":"d","birth":"2018-10-08"}}}}]}')
    d = b.commands[0].m["object"].birth
    assert (d.year, d.month, d.day, d.hour) == (2018, 10, 8, 0)


def test_experiments_fact_handles_and_names(types):
    b = _one(types, '{"commands":[{"retract":{"fact-handle":"0:1:123:123:1:DEFAULT:NON_TRAIT:null"}}]}')
    assert b.commands[0].name == "delete" and b.commands[0].m["handle"].id == 1
    with pytest.raises(MarshallingError):      # JSON knows `retract` only
        _one(types, '{"commands":[{"delete":{"fact-handle":"0:1:123:123:1:DEFAULT:NON_TRAIT:null"}}]}')
    with pytest.raises(MarshallingError):
        _one(types, '{"commands":[{"bogus":{}}]}')
    b = _one(types, '{"commands":[{"modify":{"fact-handle":"0:1:123:123:1:DEFAULT:NON_TRAIT:null",'
                    '"setters":[{"accessor":"age","value":"26"}]}}]}')
    assert b.commands[0].m["setters"] == [("age", "26")]


def test_experiments_insert_elements(types):
    b = _one(types, '{"commands":[{"insert-elements":{"list":{"type":"LIST","componentType":null,"element":'
                    '[{"org.test.Person":{"name":"a"}},{"org.test.Person":{"name":"b"}}]}}}]}')
    assert [p.name for p in b.commands[0].m["objects"]] == ["a", "b"] and b.commands[0].m["out_identifier"] is None
    # an `objects` array is silently ignored: nothing to insert
    b = _one(types, '{"commands":[{"insert-elements":{"objects":[{"org.test.Person":{"name":"a"}}],'
                    '"outIdentifier":"many"}}]}')
    assert b.commands[0].m["objects"] == [] and b.commands[0].m["out_identifier"] == "many"


def test_experiments_insert_elements_list_array_is_refused(types):
    with pytest.raises(MarshallingError):
        _one(types, '{"commands":[{"insert-elements":{"list":[{"org.test.Person":{"name":"a"}}]}}]}')


def test_experiments_process_commands(types):
    b = _one(types, '{"commands":[{"start-process":{"processId":"p1","parameter":[{"value":"john","key":"name"},'
                    '{"value":{"org.test.Person":{"name":"x"}},"key":"person"}],"out-identifier":"pi"}},'
                    '{"start-process":{"processId":"p1","parameters":{"name":"john"}}},'
                    '{"signal-event":{"process-instance-id":5,"event-type":"evt","event":"payload"}},'
                    '{"complete-work-item":{"id":7,"result":[{"value":true,"key":"approved"}]}}]}')
    sp, sp_map, sig, cwi = (c.m for c in b.commands)
    assert sp["parameters"]["name"] == "john" and sp["parameters"]["person"].name == "x"
    assert sp_map["parameters"] == {}          # a plain map is ignored
    assert (sig["process_instance_id"], sig["event_type"], sig["event"]) == (5, "evt", "payload")
    assert cwi["results"] == {"approved": True}


def test_experiments_globals_queries_and_single_command(types):
    b = _one(types, '{"commands":[{"query":{"name":"getPeople","arguments":["x",3],"out-identifier":"people"}},'
                    '{"set-global":{"identifier":"list","object":[1,2],"out-identifier":"list"}},'
                    '{"set-global":{"identifier":"p","object":{"org.test.Person":{"name":"x"}}}},'
                    '{"get-global":{"identifier":"list","out-identifier":"glist"}},'
                    '{"fire-all-rules":{"max":10}}]}')
    q, sg, sgp, gg, fire = (c.m for c in b.commands)
    assert q["query_name"] == "getPeople" and q["arguments"] == ["x", 3]
    assert sg["object"] == [1, 2] and sgp["object"].name == "x" and sgp["out_identifier"] is None
    assert gg == {"identifier": "list", "out_identifier": "glist"} and fire["max"] == 10
    b = _one(types, '{"lookup":"k","commands":{"fire-all-rules":{}}}')
    assert b.lookup == "k" and [c.name for c in b.commands] == ["fire-all-rules"]


def test_experiments_xml(types):
    b = _one(types, '<batch-execution lookup="ksession1"><insert out-identifier="john" return-object="true">'
                    '<object xsi:type="person" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                    '<age>25</age><name>john</name></object></insert><fire-all-rules max="-1" out-identifier="fired"/>'
                    '<get-objects out-identifier="objects"/><retract><fact-handle>0:1:1:1:1:DEFAULT:NON_TRAIT:null'
                    '</fact-handle></retract></batch-execution>', "jaxb")
    assert [c.name for c in b.commands] == ["insert", "fire-all-rules", "get-objects", "delete"]
    assert b.commands[0].m["object"].age == 25 and b.commands[3].m["handle"].id == 1
    b = _one(types, '<batch-execution><insert out-identifier="s"><object xsi:type="xs:string" '
                    'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                    'hello</object></insert></batch-execution>', "jaxb")
    assert b.commands[0].m["object"] == "hello"
    # XStream reads both `delete` and `retract`, and `out="true"` on set-global
    b = _one(types, '<batch-execution><retract fact-handle="0:3:1:1:3:DEFAULT:NON_TRAIT:null"/>'
                    '<delete fact-handle="0:4:1:1:4:DEFAULT"/><set-global identifier="g" out="true"><long>5</long>'
                    '</set-global></batch-execution>', "xstream")
    assert [(c.name, c.m.get("handle") and c.m["handle"].id) for c in b.commands[:2]] == [("delete", 3), ("delete", 4)]
    assert b.commands[2].m["out_identifier"] == "g" and isinstance(b.commands[2].m["object"], Long)
    with pytest.raises(MarshallingError):
        _one(types, "<batch-execution><bogus/></batch-execution>", "jaxb")


def test_jaxb_and_xstream_writers_round_trip(types):
    """Every command our writers know survives JAXB and XStream."""
    P = types.get("org.test.Person")
    h = FactHandleRef("0:1:5:5:1:DEFAULT:NON_TRAIT:org.test.Person")
    cmds = [Command("insert", object=P(name="a", age=1), out_identifier="a", return_object=True, entry_point="DEFAULT"),
            Command("insert-elements", objects=[P(name="b"), "s"], out_identifier="many", return_objects=True),
            Command("fire-all-rules", max=3, out_identifier="n"),
            Command("get-objects", out_identifier="o"),
            Command("query", query_name="q", arguments=["x", Long(4)], out_identifier="r"),
            Command("set-global", identifier="g", object={"k": 1}, out_identifier="g"),
            Command("get-global", identifier="g", out_identifier="gg"),
            Command("delete", handle=h),
            Command("modify", handle=h, setters=[("age", "2")]),
            Command("update", handle=h, object=P(name="c")),
            Command("get-object", handle=h, out_identifier="obj"),
            Command("get-fact-handles", out_identifier="hs", disconnected=False),
            Command("set-focus", group="g1"), Command("clear-agenda"), Command("clear-agenda-group", group="g2"),
            Command("clear-activation-group", group="g3"), Command("clear-ruleflow-group", group="g4"),
            Command("dispose")]
    for kind in ("jaxb", "xstream"):
        text = marshal(BatchExecutionCommand("ks", cmds), FMT[kind], types=types)
        back = unmarshal(text, FMT[kind], BatchExecutionCommand, types=types)
        assert back.lookup == "ks"
        assert [c.name for c in back.commands] == [c.name for c in cmds], kind
        m = [c.m for c in back.commands]
        assert _plain(m[0]["object"]) == _plain(P(name="a", age=1))
        assert _plain(m[1]["objects"]) == _plain([P(name="b"), "s"])
        assert m[2]["max"] == 3 and m[4]["arguments"] == ["x", 4] and isinstance(m[4]["arguments"][1], Long)
        assert m[5]["object"] == {"k": 1} and m[8]["setters"] == [("age", "2")] and m[9]["object"].name == "c"
        assert [x.get("group") for x in m[12:17]] == ["g1", None, "g2", "g3", "g4"]
        assert m[7]["handle"] == h and m[10]["handle"] == h
