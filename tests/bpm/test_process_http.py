"""Processes over HTTP in JSON, JAXB and XSTREAM (first slice of issue 5)."""
import pytest

from containers.values import Long
from marshallers import JAXB, JSON, MAP, XSTREAM, marshal, unmarshal
from marshallers.types import process as P
from tests.kjars import build_kjar
from tests.processes.bpmn import EVALUATION, HEAD, PARALLEL
from tests.traffic import captured_requests

FMT = {"json": JSON, "jaxb": JAXB, "xstream": XSTREAM}
FORMATS = list(FMT)

HELLO = HEAD + """
  <bpmn2:process id="demo.hello" name="Hello" isExecutable="true">
    <bpmn2:property id="name" itemSubjectRef="_nameItem"/>
    <bpmn2:property id="age" itemSubjectRef="_ageItem"/>
    <bpmn2:startEvent id="s"/>
    <bpmn2:sequenceFlow id="a" sourceRef="s" targetRef="w"/>
    <bpmn2:intermediateCatchEvent id="w" name="go"><bpmn2:signalEventDefinition signalRef="go"/></bpmn2:intermediateCatchEvent>
    <bpmn2:sequenceFlow id="b" sourceRef="w" targetRef="t"/>
    <bpmn2:userTask id="t" name="Work"/>
    <bpmn2:sequenceFlow id="c" sourceRef="t" targetRef="e"/>
    <bpmn2:endEvent id="e"/>
  </bpmn2:process>
</bpmn2:definitions>
"""


@pytest.fixture
def bpm(client):
    kjar = build_kjar(files={"p/evaluation.bpmn2": EVALUATION, "p/parallel.bpmn2": PARALLEL, "p/hello.bpmn2": HELLO})
    r = client.put("/containers/demo", body=kjar, headers={"Content-Type": "application/java-archive"})
    assert r.status_code == 201, r.text
    return client


def start(client, fmt, pid, variables, key=None):
    path = f"/containers/demo/processes/{pid}/instances" + (f"/correlation/{key}" if key else "")
    r = client.post(path, body=marshal(variables, FMT[fmt]), fmt=fmt)
    return r, (unmarshal(r.text, FMT[fmt], Long) if fmt != "json" and r.status_code == 201 else
               (int(r.text) if r.status_code == 201 else None))


@pytest.mark.parametrize("fmt", FORMATS)
def test_start_work_item_complete(bpm, fmt):
    assert "BPM" in bpm.app.kie_server.capabilities()
    r, pid = start(bpm, fmt, "demo.evaluation", {"name": "ann", "age": 42})
    assert r.status_code == 201
    r = bpm.get(f"/containers/demo/processes/instances/{pid}", params={"withVars": "true"}, fmt=fmt)
    inst = unmarshal(r.text, FMT[fmt], P.ProcessInstance)
    assert (inst.process_id, inst.state, inst.variables["age"]) == ("demo.evaluation", 1, 42)
    assert inst.process_name == "Evaluation" and inst.initiator == "kieserver"
    r = bpm.get(f"/containers/demo/processes/instances/{pid}/workitems", fmt=fmt)
    [wi] = unmarshal(r.text, FMT[fmt], P.WorkItemInstanceList).items
    assert wi.name == "Human Task" and wi.parameters["ActorId"] == "john"
    r = bpm.put(f"/containers/demo/processes/instances/{pid}/workitems/{wi.id}/completed",
                body=marshal({"Approved": True}, FMT[fmt]), fmt=fmt)
    assert r.status_code == 201, r.text
    r = bpm.get(f"/containers/demo/processes/instances/{pid}/variable/approved", fmt=fmt)
    assert r.status_code == 200 and unmarshal(r.text, FMT[fmt], MAP if False else __import__("marshallers").ANY) is True
    r = bpm.get(f"/containers/demo/processes/instances/{pid}/signals", fmt=fmt)
    assert unmarshal(r.text, FMT[fmt], __import__("marshallers").ANY) == ["go"]
    r = bpm.post(f"/containers/demo/processes/instances/{pid}/signal/go", fmt=fmt)
    assert r.status_code == 200
    r = bpm.get(f"/containers/demo/processes/instances/{pid}", fmt=fmt)
    assert unmarshal(r.text, FMT[fmt], P.ProcessInstance).state == 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_definitions_variables_and_lists(bpm, fmt):
    r = bpm.get("/containers/demo/processes", fmt=fmt)
    defs = unmarshal(r.text, FMT[fmt], P.ProcessDefinitionList).items
    assert [d.id for d in defs] == ["demo.evaluation", "demo.hello", "demo.parallel"]
    r = bpm.get("/containers/demo/processes/definitions/demo.evaluation/variables", fmt=fmt)
    assert unmarshal(r.text, FMT[fmt], P.VariablesDefinition).variables == {
        "name": "String", "age": "Integer", "approved": "Boolean"}
    _, a = start(bpm, fmt, "demo.parallel", {"age": 1})
    _, b = start(bpm, fmt, "demo.parallel", {"age": 2})
    r = bpm.get("/containers/demo/processes/instances", fmt=fmt)
    assert [i.id for i in unmarshal(r.text, FMT[fmt], P.ProcessInstanceList).items] == [a, b]
    r = bpm.post(f"/containers/demo/processes/instances/{a}/variables", body=marshal({"age": 99}, FMT[fmt]), fmt=fmt)
    assert r.status_code == 201
    r = bpm.get(f"/containers/demo/processes/instances/{a}/variables", fmt=fmt)
    assert unmarshal(r.text, FMT[fmt], MAP)["age"] == 99
    r = bpm.delete("/containers/demo/processes/instances", params={"instanceId": [str(a), str(b)]}, fmt=fmt)
    assert r.status_code == 204
    r = bpm.get("/containers/demo/processes/instances", params={"status": "3"}, fmt=fmt)
    assert len(unmarshal(r.text, FMT[fmt], P.ProcessInstanceList).items) == 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_errors(bpm, fmt):
    r, _ = start(bpm, fmt, "nope", {})
    assert r.status_code == 404 and r.text == '"Could not find process definition "nope" in container "demo""'
    r = bpm.post("/containers/other/processes/demo.hello/instances", body=marshal({}, FMT[fmt]), fmt=fmt)
    assert r.status_code == 500 and "is not instantiated" in r.text
    assert bpm.get("/containers/demo/processes/instances/12345", fmt=fmt).status_code == 500
    assert bpm.delete("/containers/demo/processes/instances/1234", fmt=fmt).status_code == 404
    assert bpm.delete("/containers/other/processes/instances/1", fmt=fmt).status_code == 404
    r, _ = start(bpm, fmt, "demo.hello", {}, key="order-1")
    assert r.status_code == 201
    r, _ = start(bpm, fmt, "demo.hello", {}, key="order-1")
    assert r.status_code == 409
    r, _ = start(bpm, fmt, "demo.evaluation", {"age": "not a number"})
    assert r.status_code == 500 and "cannot convert" in r.text


def test_dispose_refused_with_active_instances(bpm):
    start(bpm, "json", "demo.hello", {})
    r = bpm.delete("/containers/demo", fmt="json")
    assert r.status_code == 200 and '"FAILURE"' in r.text
    r = bpm.delete("/containers/demo", params={"abortProcessInstances": "true"}, fmt="json")
    assert '"SUCCESS"' in r.text


def test_restart_with_pending_work(store_url, tmp_path):
    from tests.conftest import Client, make_server
    c = Client(make_server(store_url, tmp_path))
    c.put("/containers/demo", body=build_kjar(files={"p/evaluation.bpmn2": EVALUATION}),
          headers={"Content-Type": "application/java-archive"})
    _, pid = start(c, "json", "demo.evaluation", {"name": "x", "age": 30})
    c.close()
    c = Client(make_server(store_url, tmp_path))
    try:
        r = c.get(f"/containers/demo/processes/instances/{pid}/workitems", fmt="json")
        [wi] = unmarshal(r.text, JSON, P.WorkItemInstanceList).items
        assert c.put(f"/containers/demo/processes/instances/{pid}/workitems/{wi.id}/completed", fmt="json",
                     body="{}").status_code == 201
        assert c.post(f"/containers/demo/processes/instances/{pid}/signal/go", fmt="json").status_code == 200
        r = c.get(f"/containers/demo/processes/instances/{pid}", fmt="json")
        assert unmarshal(r.text, JSON, P.ProcessInstance).state == 2
    finally:
        c.close()


@pytest.mark.parametrize("fmt", ["JSON", "JAXB", "XSTREAM"])
def test_java_client_calls_8_to_11(client, fmt):
    client.put("/containers/demo", body=build_kjar(files={"p/hello.bpmn2": HELLO}),
               headers={"Content-Type": "application/java-archive"})
    reqs = captured_requests()[fmt]
    kind = {"JSON": JSON, "JAXB": JAXB, "XSTREAM": XSTREAM}[fmt]
    expect = {8: 201, 9: 200, 10: 200, 11: 204}
    for n in (8, 9, 10, 11):
        method, path, headers, body = reqs[n]
        r = client.request(method, path, headers=headers, body=body or None, auth=False)
        assert r.status_code == expect[n], (n, r.text)
        if n == 8:
            assert (int(r.text) if fmt == "JSON" else unmarshal(r.text, kind, Long)) == 1
        if n == 9:
            inst = unmarshal(r.text, kind, P.ProcessInstance)
            assert inst.id == 1 and inst.state == 1 and inst.process_id == "demo.hello"


def test_one_second_timer_completes_an_instance_through_the_executor(store_url, tmp_path):
    import time

    from tests.conftest import Client, make_server
    from tests.processes.bpmn import TIMER
    c = Client(make_server(store_url, tmp_path))
    c.put("/containers/demo", body=build_kjar(files={"p/timer.bpmn2": TIMER}),
          headers={"Content-Type": "application/java-archive"})
    _, pid = start(c, "json", "demo.timer", {})
    c.close()
    c = Client(make_server(store_url, tmp_path))   # a restart with the timer pending
    try:
        svc = c.app.kie_server.executor
        assert svc.run_once() is False            # not due yet
        time.sleep(1.05)
        assert svc.run_once() is True
        r = c.get(f"/containers/demo/processes/instances/{pid}", fmt="json")
        assert unmarshal(r.text, JSON, P.ProcessInstance).state == 2
    finally:
        c.close()
