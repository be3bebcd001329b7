"""Timers through the job executor, restarts with pending work, definitions, errors, dispose, Java client."""
import pytest

from containers.values import Long
from marshallers import JAXB, JSON, XSTREAM, unmarshal
from marshallers.types import process as P
from tests.bpm import bpmn
from tests.bpm.conftest import deploy, make_bpm_server
from tests.bpm.helpers import call, instance, start, task_of_work_item, wait_for
from tests.traffic import captured_requests

I = "/containers/demo/processes/instances"
D = "/containers/demo/processes/definitions"


def test_one_second_timer_completes_an_instance(bpm_factory):
    c = bpm_factory(executor=True)
    deploy(c, {"org/example/timer.bpmn2": bpmn.TIMER})
    pid = start(c, "demo.timer")
    assert instance(c, pid).state == 1
    jobs = call(c, "GET", f"/jobs/processes/instances/{pid}", "json", status=200).json
    assert len(jobs["request-info-instance"]) == 1
    wait_for(lambda: instance(c, pid).state == 2, timeout=20)
    names = [n.name for n in call(c, "GET", f"{I}/{pid}/nodes/instances", "json", expected=P.NodeInstanceList,
                                  status=200).items]
    assert names[0] == "End" and "wait 1s" in names


def test_restart_with_pending_user_task_and_timer(bpm_store, tmp_path):
    c = make_bpm_server(bpm_store, tmp_path)             # executor off: nothing fires before the restart
    deploy(c, {"org/example/ut.bpmn2": bpmn.user_task_process(), "org/example/timer.bpmn2": bpmn.TIMER})
    task_pid = start(c, "demo.usertask", {"name": "zed", "age": 3})
    timer_pid = start(c, "demo.timer")
    [wi] = call(c, "GET", f"{I}/{task_pid}/workitems", "json", expected=P.WorkItemInstanceList, status=200).items
    c.close()
    c = make_bpm_server(bpm_store, tmp_path, executor=True)   # a new server process on the same store
    try:
        wait_for(lambda: instance(c, timer_pid).state == 2, timeout=20)
        task = task_of_work_item(c, wi.id)
        from tests.conftest import basic
        r = c.put(f"/containers/demo/tasks/{task.id}/states/completed?auto-progress=true",
                  auth=basic("john", "john1"), body={"Approved": False}, fmt="json")
        assert r.status_code == 201, r.text
        assert instance(c, task_pid).state == 2
    finally:
        c.close()


def test_aborting_an_instance_cancels_its_timer_job(bpm):
    deploy(bpm, {"org/example/timer.bpmn2": bpmn.TIMER})
    pid = start(bpm, "demo.timer")
    call(bpm, "DELETE", f"{I}/{pid}", "json", status=204)
    jobs = call(bpm, "GET", f"/jobs/processes/instances/{pid}?status=CANCELLED", "json", status=200).json
    assert len(jobs["request-info-instance"]) == 1


@pytest.mark.parametrize("fmt", ["json", "jaxb", "xstream"])
def test_definition_endpoints(bpm, fmt):
    deploy(bpm, {"org/example/ut.bpmn2": bpmn.user_task_process(groups="HR,PM"),
                 "org/example/wi.bpmn2": bpmn.WORK_ITEM})
    defs = call(bpm, "GET", "/containers/demo/processes", fmt, expected=P.ProcessDefinitionList, status=200).items
    assert [(d.id, d.name, d.version, d.package, d.container_id) for d in defs] == [
        ("demo.usertask", "UserTask", "1.0", "org.example", "demo"),
        ("demo.workitem", "WorkItem", "1.0", "org.example", "demo")]
    d = call(bpm, "GET", f"{D}/demo.usertask", fmt, expected=P.ProcessDefinition, status=200)
    assert d.process_variables == {"name": "String", "age": "Integer", "approved": "Boolean"}
    assert d.associated_entities == {"Review": ["john", "HR", "PM"]}
    assert sorted((n.unique_id, n.type) for n in d.nodes) == [
        ("_1", "StartNode"), ("_2", "ActionNode"), ("_3", "HumanTaskNode"), ("_4", "EndNode")]
    v = call(bpm, "GET", f"{D}/demo.usertask/variables", fmt, expected=P.VariablesDefinition, status=200)
    assert v.variables == {"name": "String", "age": "Integer", "approved": "Boolean"}
    [t] = call(bpm, "GET", f"{D}/demo.usertask/tasks/users", fmt, expected=P.UserTaskDefinitionList,
               status=200).items
    assert t.name == "Review" and t.form_name == "Review" and t.associated_entities == ["john", "HR", "PM"]
    assert set(t.task_inputs) == {"TaskName", "ActorId", "GroupId", "Who"} and set(t.task_outputs) == {"Approved"}
    ins = call(bpm, "GET", f"{D}/demo.usertask/tasks/users/Review/inputs", fmt, expected=P.TaskInputsDefinition,
               status=200)
    assert set(ins.task_inputs) == {"TaskName", "ActorId", "GroupId", "Who"}
    outs = call(bpm, "GET", f"{D}/demo.usertask/tasks/users/Review/outputs", fmt,
                expected=P.TaskOutputsDefinition, status=200)
    assert set(outs.task_outputs) == {"Approved"}
    none = call(bpm, "GET", f"{D}/demo.usertask/tasks/users/Nope/inputs", fmt, expected=P.TaskInputsDefinition,
                status=200)
    assert none.task_inputs == {}
    st = call(bpm, "GET", f"{D}/demo.workitem/tasks/service", fmt, expected=P.ServiceTasksDefinition, status=200)
    assert st.service_tasks == {"Call service": "MyService"}
    ent = call(bpm, "GET", f"{D}/demo.usertask/entities", fmt, expected=P.AssociatedEntitiesDefinition,
               status=200)
    assert ent.associated_entities == {"Review": ["john", "HR", "PM"]}
    sub = call(bpm, "GET", f"{D}/demo.usertask/subprocesses", fmt, expected=P.SubProcessesDefinition, status=200)
    assert sub.sub_processes == []
    r = call(bpm, "GET", f"{D}/nope", fmt)
    assert r.status_code == 404 and r.text == '"Could not find process definition "nope" in container "demo""'
    r = call(bpm, "GET", "/containers/other/processes/definitions/demo.usertask", fmt)
    assert r.status_code == 500 and r.text.startswith('"Unexpected error during processing: Container \'other\'')
    r = call(bpm, "GET", "/containers/other/processes", fmt)
    assert r.status_code == 404 and r.text == '"Could not find container "other""'


@pytest.mark.parametrize("fmt", ["json", "jaxb", "xstream"])
def test_error_statuses_and_bodies(bpm, fmt):
    deploy(bpm, {"org/example/sig.bpmn2": bpmn.SIGNAL})
    r = call(bpm, "POST", "/containers/nope/processes/demo.signal/instances", fmt, body={})
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/plain")
    assert r.text == ('"Unable to create response: Container \'nope\' is not instantiated or cannot find container '
                      'for alias \'nope\'"')
    r = call(bpm, "POST", "/containers/demo/processes/unknown/instances", fmt, body={})
    assert r.status_code == 404 and r.text == '"Could not find process definition "unknown" in container "demo""'
    r = call(bpm, "GET", f"{I}/4242", fmt)
    assert r.status_code == 500
    assert r.text == '"Unexpected error during processing: Unable to find process instance with id 4242\n"'
    r = call(bpm, "POST", f"{I}/4242/signal/go", fmt, body="x")
    assert r.status_code == 404 and r.text == '"Could not find process instance with id "4,242""'
    r = call(bpm, "DELETE", "/containers/nope/processes/instances/1", fmt)
    assert r.status_code == 404 and r.text == '"Could not find container "nope""'
    r = call(bpm, "GET", f"{I}/4242/workitems/1", fmt)
    assert r.status_code == 404 and r.text == '"Could not find process instance with id "4,242""'
    r = call(bpm, "GET", f"{I}/notanumber", fmt)
    assert r.status_code == 404
    # a deactivated container refuses new instances (400) but still serves the others
    pid = start(bpm, "demo.signal", {}, fmt)
    assert bpm.put("/containers/demo/status/deactivated", fmt="json").status_code in (200, 201)
    r = call(bpm, "POST", "/containers/demo/processes/demo.signal/instances", fmt, body={})
    assert r.status_code == 400 and r.text == '"Deployment demo is not active"'
    call(bpm, "POST", f"{I}/{pid}/signal/go", fmt, body="late", status=200)
    assert instance(bpm, pid, fmt).state == 2


def test_dispose_refused_while_instances_are_active(bpm):
    deploy(bpm, {"org/example/sig.bpmn2": bpmn.SIGNAL})
    pid = start(bpm, "demo.signal")
    r = bpm.delete("/containers/demo", fmt="json")
    assert r.status_code == 200 and r.json["type"] == "FAILURE"
    assert ("Undeploy forbidden - there are active processes instances for deployment demo"
            in r.json["msg"])
    r = bpm.delete("/containers/demo?abortProcessInstances=true", fmt="json")
    assert r.json["type"] == "SUCCESS", r.text
    # the audit log outlives the container
    assert call(bpm, "GET", "/containers/demo/processes/instances?status=3", "json",
                expected=P.ProcessInstanceList, status=200).items[0].id == pid


def test_container_with_a_broken_process_fails(bpm):
    r = bpm.put("/kie-server/maven2/org/example/bad/1.0.0/bad-1.0.0.jar",
                body=__import__("tests.kjars", fromlist=["build_kjar"]).build_kjar(
                    artifact="bad", files={"org/example/bad.bpmn2": "<definitions><process id='x'>"}))
    assert r.status_code in (200, 201)
    r = bpm.put("/containers/bad", fmt="json", body={"container-id": "bad", "release-id": {
        "group-id": "org.example", "artifact-id": "bad", "version": "1.0.0"}})
    assert r.json["type"] == "FAILURE"
    assert bpm.get("/containers/bad", fmt="json").json["result"]["kie-container"]["status"] == "FAILED"


HELLO = bpmn.HEAD + """
  <bpmn2:process id="demo.hello" name="Hello" isExecutable="true">
    <bpmn2:property id="name" itemSubjectRef="_stringItem"/>
    <bpmn2:property id="age" itemSubjectRef="_integerItem"/>
    <bpmn2:startEvent id="s"/>
    <bpmn2:sequenceFlow id="a" sourceRef="s" targetRef="w"/>
    <bpmn2:intermediateCatchEvent id="w" name="go"><bpmn2:signalEventDefinition signalRef="go"/></bpmn2:intermediateCatchEvent>
    <bpmn2:sequenceFlow id="b" sourceRef="w" targetRef="t"/>
    <bpmn2:userTask id="t" name="Work"/>
    <bpmn2:sequenceFlow id="c" sourceRef="t" targetRef="e"/>
    <bpmn2:endEvent id="e"/>
  </bpmn2:process>
""" + bpmn.TAIL


@pytest.mark.parametrize("fmt", ["JSON", "JAXB", "XSTREAM"])
def test_java_client_calls_8_to_11(bpm, fmt):
    deploy(bpm, {"org/example/hello.bpmn2": HELLO})
    reqs = captured_requests()[fmt]
    kind = {"JSON": JSON, "JAXB": JAXB, "XSTREAM": XSTREAM}[fmt]
    for n, status in ((8, 201), (9, 200), (10, 200), (11, 204)):
        method, path, headers, body = reqs[n]
        r = bpm.request(method, path, headers=headers, body=body or None, auth=False)
        assert r.status_code == status, (n, r.text)
        if n == 8:
            assert unmarshal(r.text, kind, Long) == 1
        if n == 9:
            inst = unmarshal(r.text, kind, P.ProcessInstance)
            assert (inst.id, inst.state, inst.process_id, inst.initiator) == (1, 1, "demo.hello", "wbadmin")
            assert inst.correlation_key == "1" and inst.parent_id == -1
        if n == 11:
            assert instance(bpm, 1).state == 3


def _upload(client, version):
    from tests.bpm.conftest import KMODULE
    from tests.kjars import build_kjar
    data = build_kjar(artifact="bpm-kjar", version=version, kmodule=KMODULE,
                      files={"org/example/sig.bpmn2": bpmn.SIGNAL})
    r = client.put(f"/kie-server/maven2/org/example/bpm-kjar/{version}/bpm-kjar-{version}.jar", body=data)
    assert r.status_code in (200, 201)


def test_release_update_with_active_instances(bpm_factory):
    prod = bpm_factory(mode="PRODUCTION")
    deploy(prod, {"org/example/sig.bpmn2": bpmn.SIGNAL})
    pid = start(prod, "demo.signal")
    _upload(prod, "1.0.1")
    body = {"group-id": "org.example", "artifact-id": "bpm-kjar", "version": "1.0.1"}
    r = prod.post("/containers/demo/release-id", body=body, fmt="json")
    assert r.json["type"] == "FAILURE"
    assert "Update of container forbidden - there are active process instances for container demo" in r.text
    prod.close()
    dev = bpm_factory()
    r = dev.post("/containers/demo/release-id?resetBeforeUpdate=true", body=body, fmt="json")
    assert r.json["type"] == "SUCCESS", r.text
    assert instance(dev, pid).state == 3
