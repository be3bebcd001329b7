"""The batch endpoint's runtime contract: stateful working memory shared by every server instance and
worker process (stored, serialized), container lifecycle, failure envelopes, custom objects on the wire,
bare format only, conversation ids."""
import base64
import http.client
import json
import os
import subprocess
import sys
import threading
import time

import pytest

from marshallers import unmarshal
from marshallers.types.core import ServiceResponse

from .brmkit import FMT, FORMATS, Command, bean, call, deploy, post, results

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

COUNTER_DRL = """package org.example.counter

declare Item
    name : String
    seen : boolean
    rank : int
end
declare Counter
    count : int
end

rule "start counting" salience 100
when
    not Counter()
then
    insert(new Counter(0));
end

rule "count items"
when
    $i : Item(seen == false)
    $c : Counter()
then
    modify($i) { setSeen(true) }
    modify($c) { setCount($c.getCount() + 1) }
end

rule "from the stream"
when
    $s : String() from entry-point "stream"
then
    insert(new Item("stream:" + $s, false, 0));
end

query "counters"()
    c : Counter()
end
"""

KMODULE = """<kmodule xmlns="http://www.drools.org/xsd/kmodule">
  <kbase name="kb" packages="org.example.counter" default="true">
    <ksession name="ks" default="true"/>
    <ksession name="other"/>
  </kbase>
</kmodule>"""

ITEM = "org.example.counter.Item"


@pytest.fixture
def counter(client):
    deploy(client, "counter", {"org/example/counter/rules.drl": COUNTER_DRL}, KMODULE)
    return client


def item(client, name):
    return bean(client, "counter", ITEM, name=name, seen=False)


def count(client, fmt="json", lookup=None):
    r = results(client, "counter", fmt, [Command("query", query_name="counters", arguments=[], out_identifier="q")],
                lookup)
    col = r.results["q"].column("c")
    return col[0].count if col else None


# -- state across server instances ------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_working_memory_is_shared_by_server_instances(server_factory, fmt):
    a = server_factory()
    deploy(a, "counter", {"org/example/counter/rules.drl": COUNTER_DRL}, KMODULE)
    b = server_factory()          # a second server on the same store (another node or worker)
    results(a, "counter", fmt, [Command("insert", object=item(a, "x"), out_identifier="x"), Command("fire-all-rules")])
    assert count(b, fmt) == 1
    results(b, "counter", fmt, [Command("insert", object=bean(b, "counter", ITEM, name="y", seen=False)),
                                Command("fire-all-rules")])
    assert count(a, fmt) == 2           # a's cached session is stale: it reloads b's version
    results(a, "counter", fmt, [Command("insert", object=item(a, "z")), Command("fire-all-rules")])
    assert count(b, fmt) == 3 and count(a, fmt) == 3


def test_concurrent_batches_from_two_server_instances_serialize(server_factory):
    a = server_factory()
    deploy(a, "counter", {"org/example/counter/rules.drl": COUNTER_DRL}, KMODULE)
    b = server_factory()
    count(a)      # the stored session exists (its first creation races: see the next test)
    errors = []

    def worker(client, tag):
        for i in range(4):
            try:
                sr, text = call(client, "counter", "json",
                                [Command("insert", object=bean(client, "counter", ITEM, name=f"{tag}{i}", seen=False)),
                                 Command("fire-all-rules")])
            except AssertionError as e:      # noqa: PERF203
                errors.append(str(e))
    threads = [threading.Thread(target=worker, args=(c, f"{n}-")) for n, c in
               (("a1", a), ("a2", a), ("b1", b), ("b2", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert count(a) == 16 and count(b) == 16


def test_first_batches_of_a_new_session_race_without_errors(server_factory, store_url, request):
    """Two instances that both find no stored session yet must not both create it."""
    a = server_factory()
    deploy(a, "counter", {"org/example/counter/rules.drl": COUNTER_DRL}, KMODULE)
    b = server_factory()
    barrier = threading.Barrier(4)
    statuses = []

    def first(client, name):
        body = json.dumps({"lookup": "other", "commands": [
            {"insert": {"object": {ITEM: {"name": name, "seen": False}}}}, {"fire-all-rules": {}}]})
        barrier.wait()
        r = client.post("/containers/instances/counter", body=body, fmt="json")
        statuses.append((r.status_code, r.text[:300]))
    threads = [threading.Thread(target=first, args=(c, n)) for n, c in (("1", a), ("2", b), ("3", a), ("4", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [s for s, _ in statuses] == [200] * 4, statuses
    assert count(a, lookup="other") == 4


# -- container lifecycle ----------------------------------------------------------------------------

def test_disposing_the_container_drops_its_sessions(counter):
    results(counter, "counter", "json", [Command("insert", object=item(counter, "x")), Command("fire-all-rules")])
    results(counter, "counter", "json", [Command("insert", object=item(counter, "o"))], lookup="other")
    from kieserver.ext.brm import BrmSessionState
    assert BrmSessionState.select().where(BrmSessionState.container_id == "counter").count() == 2
    assert counter.delete("/containers/counter").status_code == 200
    assert BrmSessionState.select().where(BrmSessionState.container_id == "counter").count() == 0
    deploy(counter, "counter", {"org/example/counter/rules.drl": COUNTER_DRL}, KMODULE)
    r = results(counter, "counter", "json", [Command("get-objects", out_identifier="o")])
    assert r.results["o"] == []
    r = results(counter, "counter", "json", [Command("get-objects", out_identifier="o")], lookup="other")
    assert r.results["o"] == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_drl_errors_fail_the_container(client, fmt):
    bad = "package org.example\nrule \"broken\"\nwhen\n    $p : String(\nthen\nend\n"
    r = deploy(client, "broken", {"org/example/bad.drl": bad}, status=400)
    r = client.get("/containers/broken", fmt=fmt)
    sr = unmarshal(r.text, FMT[fmt], ServiceResponse)
    assert sr.result.status == "FAILED"
    text = " ".join(" ".join(m.content) for m in sr.result.messages)
    assert "Error while creating KieBase" in text and "org/example/bad.drl" in text
    sr, _ = post(client, "broken", fmt, {"json": '{"commands":[{"fire-all-rules":{}}]}',
                                         "jaxb": "<batch-execution><fire-all-rules/></batch-execution>",
                                         "xstream": "<batch-execution><fire-all-rules/></batch-execution>"}[fmt], 500)
    assert sr.type == "FAILURE" and "broken" in sr.msg


def test_unknown_fact_type_fails_the_container(client):
    # the kjar's pom has no dependencies: nothing we cannot see could provide the class
    bad = "package org.example\nrule \"broken\"\nwhen\n    $p : NoSuchType(x == 1)\nthen\nend\n"
    deploy(client, "broken", {"org/example/bad.drl": bad}, status=400)


# -- failures ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_failing_batch_is_500_with_envelope_and_keeps_state(counter, fmt):
    results(counter, "counter", fmt, [Command("insert", object=item(counter, "x")), Command("fire-all-rules")])
    sr, _ = call(counter, "counter", fmt, [Command("insert", object=item(counter, "y")), Command("fire-all-rules"),
                                           Command("query", query_name="nosuch", arguments=[])], status=500)
    assert sr.type == "FAILURE" and sr.msg.startswith("Error calling container counter:") and "query" in sr.msg
    assert count(counter, fmt) == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_any_command_error_gives_the_failure_envelope(counter, fmt):
    r = results(counter, "counter", fmt, [Command("insert", object=item(counter, "x"), out_identifier="x")])
    # Drools: MVEL cannot convert 'abc' to int; here the setter value was compiled as an expression and its
    # ExpressionRuntimeError escaped
    sr, _ = call(counter, "counter", fmt, [Command("modify", handle=r.facts["x"], setters=[("rank", "abc")])],
                 status=500)
    assert sr.type == "FAILURE" and "modify" in sr.msg


@pytest.mark.parametrize("fmt", FORMATS)
def test_unreadable_bodies(counter, fmt):
    bodies = {"json": ['{"commands":[{"delete":{"fact-handle":"0:1:1:1:1:DEFAULT:NON_TRAIT:null"}}]}', "{not json"],
              "jaxb": ["<batch-execution><nope/></batch-execution>", "<batch-execution>"],
              "xstream": ["<batch-execution><insert><org.other.Foo/><bogus/></insert><nope/></batch-execution>",
                          "<batch-execution"]}[fmt]
    for body in bodies:
        sr, _ = post(counter, "counter", fmt, body, 500)
        assert sr.type == "FAILURE" and sr.msg.startswith("Error calling container counter"), sr.msg
    sr, _ = post(counter, "counter", fmt, "", 500)
    assert sr.msg == "Error calling container counter. Empty payload. "
    sr, _ = post(counter, "nope", fmt, '{"commands":[]}' if fmt == "json" else "<batch-execution/>", 500)
    assert "Container 'nope' is not instantiated" in sr.msg


# -- wire details of the answer ---------------------------------------------------------------------

CLASS_WRAPPER = {"json": '{"org.example.counter.Item":{', "jaxb": 'xsi:type="item"',
                 "xstream": "<org.example.counter.Item>"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_custom_objects_come_back_with_their_class(counter, fmt):
    sr, text = call(counter, "counter", fmt, [Command("insert", object=item(counter, "x"), out_identifier="x"),
                                              Command("fire-all-rules"),
                                              Command("get-objects", class_name=ITEM, out_identifier="items")])
    assert CLASS_WRAPPER[fmt] in text
    x = sr.result.results["x"]
    assert type(x).java_name() == ITEM and x.seen is True
    names = sorted(type(o).java_name() for o in sr.result.results["items"])
    # XStream's GetObjectsConverter has no class-object-filter: every object comes back
    assert names == ([ITEM] if fmt != "xstream" else ["org.example.counter.Counter", ITEM])


@pytest.mark.parametrize("fmt", FORMATS)
def test_kjar_classes_and_payload_beans_round_trip(client, fmt):
    """A class compiled into the kjar (org.acme.Person from tests/data) and, in JSON, a class known only
    from the payload (a dynamic bean) come back with their wrapper."""
    with open(os.path.join(ROOT, "tests", "data", "Person.class"), "rb") as f:
        person_class = f.read()
    drl = "package org.acme\nrule \"adult\" when $p : Person(age >= 18) then $p.setName($p.getName() + \"!\"); end\n"
    deploy(client, "acme", {"org/acme/rules.drl": drl, "org/acme/Person.class": person_class})
    p = bean(client, "acme", "org.acme.Person", name="ann", age=30)
    sr, text = call(client, "acme", fmt, [Command("insert", object=p, out_identifier="p"), Command("fire-all-rules")])
    assert sr.result.results["p"].name == "ann!"
    assert {"json": '"org.acme.Person"', "jaxb": 'xsi:type="person"', "xstream": "<org.acme.Person>"}[fmt] in text
    if fmt == "json":
        body = '{"commands":[{"insert":{"object":{"org.other.Foo":{"a":1,"b":"x"}},"out-identifier":"foo"}}]}'
        sr, text = post(client, "acme", "json", body, 200)
        assert '"org.other.Foo"' in text and sr.result.results["foo"].b == "x"


@pytest.mark.parametrize("fmt", FORMATS)
def test_entry_points_in_fact_handles(counter, fmt):
    sr, _ = call(counter, "counter", fmt, [Command("insert", object="hi", out_identifier="s", entry_point="stream"),
                                           Command("fire-all-rules", out_identifier="n"),
                                           Command("get-objects", class_name=ITEM, out_identifier="items")])
    assert sr.result.facts["s"].external_form.split(":")[5] == "stream"
    assert [i.name for i in sr.result.results["items"] if getattr(i, "_java_name", "") == ITEM] == ["stream:hi"]


def test_get_objects_reads_the_default_entry_point(counter):
    r = results(counter, "counter", "json", [Command("insert", object="hi", entry_point="stream"),
                                             Command("get-objects", out_identifier="o"),
                                             Command("get-fact-handles", out_identifier="h")])
    assert r.results["o"] == [] and r.results["h"] == []


def test_strict_and_fields_are_ignored(counter):
    body = '{"commands":[{"insert":{"object":{"%s":{"name":"x"}},"out-identifier":"x"}},' \
           '{"fire-all-rules":{"out-identifier":"n"}}]}' % ITEM
    media = "application/json;strict=true;fields=not_null"
    r = counter.post("/containers/instances/counter", body=body,
                     headers={"Content-Type": media, "Accept": media})
    assert r.status_code == 200, r.text
    doc = json.loads(r.text)
    assert doc["type"] == "SUCCESS" and doc["result"] is not None
    values = {e["key"]: e["value"] for e in doc["result"]["execution-results"]["results"]}
    assert values["n"] == 2 and values["x"] == {ITEM: {"name": "x", "seen": True, "rank": 0}}


def test_conversation_id(counter):
    r = counter.post("/containers/instances/counter", body='{"commands":[{"fire-all-rules":{}}]}', fmt="json")
    conv = r.headers.get("X-KIE-ConversationId")
    assert conv and "counter" in conv
    r = counter.post("/containers/instances/counter", body='{"commands":[{"fire-all-rules":{}}]}', fmt="json",
                     headers={"X-KIE-ConversationId": conv})
    assert r.headers.get("X-KIE-ConversationId") == conv


def _hashmap_order(keys):
    """Java HashMap iteration order of String keys (wire-formats.md §10 item 10)."""
    def h(s):
        x = 0
        for c in s:
            x = (31 * x + ord(c)) & 0xFFFFFFFF
        return x
    n = 16
    while len(keys) > n * 3 // 4:
        n *= 2
    return sorted(keys, key=lambda k: (h(k) ^ (h(k) >> 16)) & (n - 1))   # stable: insertion order within a bucket


@pytest.mark.parametrize("fmt", FORMATS)
def test_results_in_java_hashmap_order(counter, fmt):
    sr, _ = call(counter, "counter", fmt, [Command("insert", object="hi", out_identifier="person"),
                                           Command("insert", object="g", out_identifier="greeting"),
                                           Command("fire-all-rules", out_identifier="fired"),
                                           Command("get-objects", out_identifier="objects")])
    keys = list(sr.result.results)
    assert keys == _hashmap_order(["person", "greeting", "fired", "objects"]) == ["fired", "person", "greeting", "objects"]


# -- across worker processes (gunicorn) -------------------------------------------------------------

def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_two_gunicorn_workers_share_one_working_memory(tmp_path, db):
    """Real worker processes: concurrent batches on one stateful session lose no update."""
    import yaml

    from tests.conftest import drop_pg_schema, pg_schema_url
    from tests.kjars import build_kjar
    schema = None
    if db == "sqlite":
        url = f"sqlite:///{tmp_path}/kie.db"
    else:
        url, schema = pg_schema_url("t_brm")
    cfg = {"server": {"id": "brm-test"}, "database": {"url": url}, "home": str(tmp_path),
           "extensions": ["KieServer", "BRM"], "executor": {"enabled": False},
           "users": {"kieserver": {"password": "plain$kieserver1!", "roles": ["kie-server", "admin"]}}}
    path = tmp_path / "kie.yaml"
    path.write_text(yaml.safe_dump(cfg))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIESERVER_")}
    env.update(KIESERVER_CONFIG=str(path), PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    from kieserver.app import create_app
    from kieserver.config import load_config
    create_app(load_config(environ=env)).kie_server.close()     # tables first, before workers race
    port = _free_port()
    log = open(tmp_path / "gunicorn.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                             "--threads", "2", "--log-level", "warning", "kieserver.wsgi:application"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    auth = {"Authorization": "Basic " + base64.b64encode(b"kieserver:kieserver1!").decode()}
    rest = "/kie-server/services/rest/server"

    def request(method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request(method, rest + path, body=body, headers={**auth, **(headers or {})})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data.decode("utf-8", "replace")

    try:
        deadline = time.time() + 30
        while True:
            try:
                if request("GET", "/")[0] == 200:
                    break
            except OSError:
                pass
            assert time.time() < deadline, open(tmp_path / "gunicorn.log").read()
            time.sleep(0.2)
        st, text = request("PUT", "/containers/counter", build_kjar(
            artifact="counter-kjar", kmodule=KMODULE, files={"org/example/counter/rules.drl": COUNTER_DRL}),
            {"Content-Type": "application/java-archive"})
        assert st == 201, text
        json_h = {"Content-Type": "application/json", "Accept": "application/json"}
        failures = []

        def client(tag):
            for i in range(5):
                body = json.dumps({"commands": [{"insert": {"object": {ITEM: {"name": f"{tag}{i}", "seen": False}}}},
                                                {"fire-all-rules": {}}]})
                st, text = request("POST", "/containers/instances/counter", body, json_h)
                if st != 200:
                    failures.append((st, text[:300]))
        threads = [threading.Thread(target=client, args=(f"c{n}-",)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == []
        st, text = request("POST", "/containers/instances/counter",
                           '{"commands":[{"query":{"name":"counters","arguments":[],"out-identifier":"q"}}]}', json_h)
        assert st == 200, text
        doc = json.loads(text)["result"]["execution-results"]["results"][0]["value"]
        rows = doc["org.drools.core.runtime.rule.impl.FlatQueryResults"]["idResultMaps"]["element"]
        assert rows[0]["element"][0]["value"] == {"org.example.counter.Counter": {"count": 20}}
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()
        if schema:
            drop_pg_schema(schema)


def test_get_objects_without_out_identifier_adds_no_result(counter):
    r = results(counter, "counter", "json", [Command("insert", object=item(counter, "x")),
                                             Command("get-objects")])
    assert r.results == {}


@pytest.mark.parametrize("fmt", FORMATS)
def test_event_fact_handles_have_format_version_5(client, fmt):
    drl = "package org.example.ev\ndeclare Tick\n    @role(event)\n    n : int\nend\nrule \"t\" when Tick() then end\n"
    deploy(client, "events", {"org/example/ev/rules.drl": drl})
    sr, text = call(client, "events", fmt, [Command("insert", object=bean(client, "events", "org.example.ev.Tick", n=1),
                                                    out_identifier="t")])
    assert sr.result.facts["t"].external_form.startswith("5:")
    # JSON names the handle's runtime class; JAXB writes the nearest known type (defaultFactHandle)
    assert {"json": '"org.drools.core.common.EventFactHandle"', "jaxb": 'xsi:type="defaultFactHandle"',
            "xstream": '<fact-handle identifier="t" external-form="5:'}[fmt] in text


def test_stored_sessions_keep_java_values_and_read_older_xstream_rows(counter):
    """Sessions are stored as typed JSON (kieserver/store/values.py): Long, BigDecimal, dates and
    nested objects come back as they went in; a row written as XStream by an earlier version still
    loads."""
    import datetime as dt
    import decimal

    from containers.values import Long
    from kieserver.ext.brm import BrmSessionState
    from marshallers import XSTREAM, marshal

    rt = counter.app.kie_server.containers.runtime("counter").runtimes["brm"]
    when = dt.datetime(2026, 12, 7, 8, 30, tzinfo=dt.timezone.utc)
    values = {"n": Long(7), "d": decimal.Decimal("1.50"), "when": when, "tags": ["a", "b"], "m": {1: "one"}}
    results(counter, "counter", "json", [Command("set-global", identifier="list", object=None),
                                         Command("insert", object=item(counter, "a")),
                                         Command("fire-all-rules")])
    row = BrmSessionState.get((BrmSessionState.container_id == "counter") & (BrmSessionState.ksession == "ks"))
    assert bytes(row.data)[:1] == b"{"
    # a session stored by an earlier version (XStream), with the values above as a global
    session = rt.live.pop("ks")[1]
    snap = session.snapshot()
    snap["globals"]["values"] = values
    BrmSessionState.update(data=marshal(snap, XSTREAM, types=counter.app.kie_server.containers.runtime(
        "counter").types).encode("utf-8")).where(BrmSessionState.ksession == "ks").execute()
    assert count(counter) == 1
    rt.live.clear()
    r = results(counter, "counter", "json", [Command("get-global", identifier="values", out_identifier="v")])
    assert r.results["v"]["tags"] == ["a", "b"]
    # stored again as JSON: read back by another worker with every type kept
    rt.live.clear()
    row = BrmSessionState.get((BrmSessionState.container_id == "counter") & (BrmSessionState.ksession == "ks"))
    assert bytes(row.data)[:1] == b"{"
    from kieserver.ext.brm import _load_session
    stored = _load_session(bytes(row.data), None)["globals"]["values"]
    assert stored == values and type(stored["n"]) is Long and stored["when"] == when
