"""What the containers/bpmn engine brings to the process endpoints, over HTTP in JSON, JAXB and XSTREAM:
boundary timer and signal events on a user task, embedded sub-processes, call activities with in/out
mappings and the parent id, container-wide signals starting processes, multi-instance user tasks,
inclusive gateways, an error end event caught by a boundary event, and a restart with a pending
boundary timer."""
import pytest

from marshallers.types import process as P
from tests.bpm import bpmn
from tests.bpm import bpmn_features as F
from tests.bpm.conftest import deploy, make_bpm_server
from tests.bpm.helpers import call, instance, start, task_of_work_item, variables, wait_for
from tests.conftest import basic

I = "/containers/demo/processes/instances"
FORMATS = ["json", "jaxb", "xstream"]
JOHN = basic("john", "john1")
FILES = {"org/example/boundary.bpmn2": F.BOUNDARY, "org/example/embedded.bpmn2": F.EMBEDDED,
         "org/example/call.bpmn2": F.CALL, "org/example/multi.bpmn2": F.MULTI,
         "org/example/inclusive.bpmn2": F.INCLUSIVE, "org/example/error.bpmn2": F.ERROR,
         "org/example/signalstart.bpmn2": bpmn.SIGNAL_START}


@pytest.fixture
def feat(bpm_factory):
    c = bpm_factory(executor=True)
    deploy(c, FILES)
    return c


def work_items(c, pid, fmt="json"):
    return call(c, "GET", f"{I}/{pid}/workitems", fmt, expected=P.WorkItemInstanceList, status=200).items


def nodes(c, pid, fmt="json", query="pageSize=100"):
    return call(c, "GET", f"{I}/{pid}/nodes/instances?{query}", fmt, expected=P.NodeInstanceList, status=200).items


def complete(c, pid, wid, fmt="json", body=None):
    call(c, "PUT", f"{I}/{pid}/workitems/{wid}/completed", fmt, body=body or {}, status=201)


def var_log(c, pid, fmt="json"):
    items = call(c, "GET", f"{I}/{pid}/variables/instances", fmt, expected=P.VariableInstanceList, status=200).items
    return {v.name: v.value for v in items}


# ----------------------------------------------------------------------------------------- boundary events

@pytest.mark.parametrize("fmt", FORMATS)
def test_boundary_signal_interrupts_the_user_task(feat, fmt):
    pid = start(feat, "demo.boundary", {"delay": "1h"}, fmt)
    [wi] = work_items(feat, pid, fmt)
    assert task_of_work_item(feat, wi.id).status == "Reserved"
    assert call(feat, "GET", f"{I}/{pid}/signals", fmt, status=200).status_code == 200
    jobs = call(feat, "GET", f"/jobs/processes/instances/{pid}?status=QUEUED", "json", status=200).json
    assert len(jobs["request-info-instance"]) == 1            # the boundary timer's job
    call(feat, "POST", f"{I}/{pid}/signal/stop", fmt, body=None, status=200)
    assert instance(feat, pid, fmt).state == 2
    assert task_of_work_item(feat, wi.id).status == "Exited"
    assert var_log(feat, pid, fmt)["outcome"] == "stopped"
    done = nodes(feat, pid, fmt)
    work = [(n.node_type, n.completed) for n in done if n.name == "Work"]
    assert ("HumanTaskNode", False) in work and ("HumanTaskNode", True) not in work
    assert any(n.name == "Stop" and n.node_type == "BoundaryEventNode" for n in done)
    jobs = call(feat, "GET", f"/jobs/processes/instances/{pid}?status=CANCELLED", "json", status=200).json
    assert len(jobs["request-info-instance"]) == 1            # the timer went with the task


@pytest.mark.parametrize("fmt", FORMATS)
def test_boundary_timer_interrupts_the_user_task(feat, fmt):
    pid = start(feat, "demo.boundary", {"delay": "1s"}, fmt)
    [wi] = work_items(feat, pid, fmt)
    wait_for(lambda: instance(feat, pid, fmt).state == 2, timeout=20)
    assert var_log(feat, pid, fmt)["outcome"] == "timeout"
    assert task_of_work_item(feat, wi.id).status == "Exited"
    assert [n.name for n in nodes(feat, pid, fmt)][0] == "End after timeout"


def test_user_task_completed_before_its_boundary_events(feat):
    pid = start(feat, "demo.boundary", {"delay": "1h"})
    [wi] = work_items(feat, pid)
    complete(feat, pid, wi.id)
    assert instance(feat, pid).state == 2 and var_log(feat, pid)["outcome"] == "done"
    jobs = call(feat, "GET", f"/jobs/processes/instances/{pid}?status=CANCELLED", "json", status=200).json
    assert len(jobs["request-info-instance"]) == 1


def test_restart_with_a_pending_boundary_timer(bpm_store, tmp_path):
    c = make_bpm_server(bpm_store, tmp_path)                  # executor off: nothing fires before the restart
    deploy(c, FILES)
    pid = start(c, "demo.boundary", {"delay": "1s"})
    [wi] = work_items(c, pid)
    c.close()
    c = make_bpm_server(bpm_store, tmp_path, executor=True)   # a new server on the same store
    try:
        wait_for(lambda: instance(c, pid).state == 2, timeout=20)
        assert var_log(c, pid)["outcome"] == "timeout"
        assert task_of_work_item(c, wi.id).status == "Exited"
    finally:
        c.close()


# ----------------------------------------------------------------------------------------- sub-processes

@pytest.mark.parametrize("fmt", FORMATS)
def test_embedded_sub_process(feat, fmt):
    pid = start(feat, "demo.embedded", {"count": 1}, fmt)
    assert variables(feat, pid, fmt)["count"] == 2
    [wi] = work_items(feat, pid, fmt)
    assert wi.name == "Human Task" and task_of_work_item(feat, wi.id).name == "Inner task"
    active = nodes(feat, pid, fmt, "activeOnly=true")
    assert sorted((n.name, n.node_type) for n in active) == [("Inner", "CompositeContextNode"),
                                                             ("Inner task", "HumanTaskNode")]
    complete(feat, pid, wi.id, fmt)
    assert instance(feat, pid, fmt).state == 2
    logged = var_log(feat, pid, fmt)
    # a sub-process variable is logged as jBPM does: "<numeric node id>:<name>"
    assert logged["after"] == "count=2"
    assert [v for k, v in logged.items() if k.endswith(":local")] == ["inside"]
    assert [n.name for n in nodes(feat, pid, fmt)][0] == "End"


@pytest.mark.parametrize("fmt", FORMATS)
def test_call_activity_maps_in_and_out_and_records_the_parent(feat, fmt):
    pid = start(feat, "demo.parent", {"amount": 21}, fmt)
    [child] = call(feat, "GET", f"{I}/{pid}/processes", fmt, expected=P.ProcessInstanceList, status=200).items
    assert child.process_id == "demo.child" and child.parent_id == pid and child.state == 1
    assert variables(feat, child.id, fmt)["amount"] == 21
    [active] = nodes(feat, pid, fmt, "activeOnly=true")
    assert (active.name, active.node_type, active.reference_id) == ("Call child", "SubProcessNode", child.id)
    [wi] = work_items(feat, child.id, fmt)
    task = task_of_work_item(feat, wi.id)
    r = feat.put(f"/containers/demo/tasks/{task.id}/states/completed?auto-progress=true", auth=JOHN, body={},
                 fmt="json")
    assert r.status_code == 201, r.text
    assert instance(feat, child.id, fmt).state == 2
    assert instance(feat, pid, fmt).state == 2
    assert var_log(feat, pid, fmt)["result"] == "checked 42"
    assert call(feat, "GET", f"{I}/{pid}/processes?status=2", fmt, expected=P.ProcessInstanceList,
                status=200).items[0].id == child.id


def test_aborting_the_parent_aborts_the_child(feat):
    pid = start(feat, "demo.parent", {"amount": 1})
    [child] = call(feat, "GET", f"{I}/{pid}/processes", "json", expected=P.ProcessInstanceList, status=200).items
    [wi] = work_items(feat, child.id)
    call(feat, "DELETE", f"{I}/{pid}", "json", status=204)
    assert instance(feat, pid).state == 3 and instance(feat, child.id).state == 3
    assert task_of_work_item(feat, wi.id).status == "Exited"


def test_unknown_called_process_fails_the_start(feat):
    bad = F.CALL.replace('calledElement="demo.child"', 'calledElement="demo.nowhere"').replace(
        'id="demo.parent"', 'id="demo.badparent"').replace('id="demo.child"', 'id="demo.child2"')
    deploy(feat, {"org/example/bad.bpmn2": bad}, container="bad", artifact="bad-kjar")
    r = start(feat, "demo.badparent", {"amount": 1}, container="bad", status=500)
    assert "demo.nowhere" in r.text


# ----------------------------------------------------------------------------------------- signals

@pytest.mark.parametrize("fmt", FORMATS)
def test_container_signal_starts_a_process(feat, fmt):
    call(feat, "POST", f"{I}/signal/start-me", fmt, body="hello", status=200)
    active = call(feat, "GET", f"{I}?pageSize=50", fmt, expected=P.ProcessInstanceList, status=200).items
    [pi] = [p for p in active if p.process_id == "demo.signalstart"]
    assert variables(feat, pi.id, fmt)["data"] == "hello"
    [wi] = work_items(feat, pi.id, fmt)
    assert task_of_work_item(feat, wi.id).actual_owner == "john"


# ----------------------------------------------------------------------------------------- multi-instance

@pytest.mark.parametrize("fmt", FORMATS)
def test_multi_instance_user_task(feat, fmt):
    pid = start(feat, "demo.multi", {"reviewers": ["john", "yoda"]}, fmt)
    items = work_items(feat, pid, fmt)
    assert sorted(w.parameters["ActorId"] for w in items) == ["john", "yoda"]
    assert sorted(w.parameters["Reviewer"] for w in items) == ["john", "yoda"]
    owners = sorted(task_of_work_item(feat, w.id).actual_owner for w in items)
    assert owners == ["john", "yoda"]
    assert any(n.node_type == "ForEachNode" for n in nodes(feat, pid, fmt, "activeOnly=true"))
    complete(feat, pid, items[0].id, fmt)
    assert instance(feat, pid, fmt).state == 1 and len(work_items(feat, pid, fmt)) == 1
    complete(feat, pid, items[1].id, fmt)
    assert instance(feat, pid, fmt).state == 2


# ----------------------------------------------------------------------------------------- gateways

@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("x,path", [(10, "AB"), (3, "A"), (0, "C")])
def test_inclusive_gateway(feat, fmt, x, path):
    pid = start(feat, "demo.inclusive", {"x": x}, fmt)
    assert variables(feat, pid, fmt)["path"] == path
    merge = [n for n in nodes(feat, pid, fmt) if n.name == "Merge"]
    assert sum(1 for n in merge if n.completed) == 1           # the join fires once
    assert all(n.node_type == "Join" for n in merge)
    [wi] = work_items(feat, pid, fmt)
    complete(feat, pid, wi.id, fmt)
    assert instance(feat, pid, fmt).state == 2


# ----------------------------------------------------------------------------------------- errors

@pytest.mark.parametrize("fmt", FORMATS)
def test_error_end_event_caught_by_a_boundary_event(feat, fmt):
    pid = start(feat, "demo.error", {}, fmt)
    [wi] = work_items(feat, pid, fmt)
    complete(feat, pid, wi.id, fmt)
    pi = instance(feat, pid, fmt)
    assert pi.state == 2
    assert var_log(feat, pid, fmt)["handled"] == "yes"
    names = [n.name for n in nodes(feat, pid, fmt) if n.completed]
    assert {"Recovered", "Recover", "On error", "Fail"} <= set(names) and "End" not in names
    # the interrupting boundary event cancelled the sub-process: never completed, logged as aborted (type 2)
    assert "Risky" not in names and any(n.name == "Risky" for n in nodes(feat, pid, fmt, "entryType=ABORTED"))


# ----------------------------------------------------------------------------------------- business rules

@pytest.mark.parametrize("fmt", FORMATS)
def test_business_rule_task_fires_its_ruleflow_group(bpm, fmt):
    deploy(bpm, {"org/example/rules.bpmn2": F.RULES, "org/example/rules.drl": F.RULES_DRL})
    pid = start(bpm, "demo.rules", {"items": ["a"]}, fmt)
    assert variables(bpm, pid, fmt)["items"] == ["a", "checked"]
    assert [n.node_type for n in nodes(bpm, pid, fmt) if n.name == "Check"] == ["RuleSetNode", "RuleSetNode"]


# ----------------------------------------------------------------------------------------- timer start events

def test_timer_start_event_starts_one_instance(bpm_factory, bpm_store, tmp_path):
    c = bpm_factory(executor=True)
    deploy(c, {"org/example/ts.bpmn2": F.TIMER_START})

    def started():
        items = call(c, "GET", f"{I}?pageSize=50", "json", expected=P.ProcessInstanceList, status=200).items
        return [p for p in items if p.process_id == "demo.timerstart"]
    [pi] = wait_for(started, timeout=20)
    [wi] = work_items(c, pi.id)
    assert task_of_work_item(c, wi.id).name == "Started by a timer"
    c.close()
    c = bpm_factory(executor=True)                            # a restart does not fire the one-shot timer again
    assert len(started()) == 1
    jobs = call(c, "GET", "/jobs?status=QUEUED&status=DONE&pageSize=50", "json", status=200).json
    assert len([j for j in jobs["request-info-instance"]
                if j["request-command"] == "org.kie.server.services.jbpm.ProcessStartTimerCommand"]) == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_container_signal_reaches_a_boundary_event_inside_a_sub_process(feat, fmt):
    deploy(feat, {"org/example/nested.bpmn2": F.NESTED_BOUNDARY}, container="nested", artifact="nested-kjar")
    n = "/containers/nested/processes/instances"
    pid = start(feat, "demo.nested", {}, fmt, container="nested")
    [wi] = call(feat, "GET", f"{n}/{pid}/workitems", fmt, expected=P.WorkItemInstanceList, status=200).items
    call(feat, "POST", f"{n}/signal/halt", fmt, body=None, status=200)
    assert instance(feat, pid, fmt, container="nested").state == 2
    assert task_of_work_item(feat, wi.id).status == "Exited"


# ----------------------------------------------------------------------------------------- async continuations

@pytest.mark.parametrize("fmt", FORMATS)
def test_async_script_task_continues_in_a_job(bpm_factory, fmt):
    c = bpm_factory(executor=True)
    deploy(c, {"org/example/async.bpmn2": F.ASYNC})
    pid = start(c, "demo.async", {}, fmt)
    jobs = call(c, "GET", f"/jobs/processes/instances/{pid}?status=QUEUED&status=RUNNING&status=DONE", "json",
                status=200).json["request-info-instance"]
    assert [j["request-command"] for j in jobs] == ["org.jbpm.process.core.async.AsyncSignalEventCommand"]
    wait_for(lambda: instance(c, pid, fmt).state == 2, timeout=20)
    assert var_log(c, pid, fmt)["msg"] == "ran in a job"
    log = nodes(c, pid, fmt)
    assert [n.node_type for n in log if n.name == "Later"].count("AsyncEventNode") == 1    # jBPM's Async Enter
    assert [(n.node_type, n.completed) for n in log if n.name == "Later" and n.completed] == [("ActionNode", True)]


def test_async_without_executor_service_runs_synchronously(bpm_store, tmp_path):
    c = make_bpm_server(bpm_store, tmp_path, extensions=["KieServer", "BRM",
                                                         "kieserver.services.processes:BpmExtension", "Tasks"])
    try:
        deploy(c, {"org/example/async.bpmn2": F.ASYNC})
        pid = start(c, "demo.async", {})
        assert instance(c, pid).state == 2
    finally:
        c.close()
