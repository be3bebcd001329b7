"""Process instances over HTTP in JSON, JAXB and XSTREAM, on SQLite and PostgreSQL."""
import pytest

from containers.values import Long
from marshallers import ANY, MAP, unmarshal
from marshallers.types import process as P
from tests.bpm import bpmn
from tests.bpm.conftest import deploy
from tests.bpm.helpers import FMTS, call, instance, start, task_of_work_item, variables
from tests.conftest import basic

ALL = {"org/example/usertask.bpmn2": bpmn.user_task_process(), "org/example/signal.bpmn2": bpmn.SIGNAL,
       "org/example/signalstart.bpmn2": bpmn.SIGNAL_START, "org/example/variables.bpmn2": bpmn.VARIABLES,
       "org/example/workitem.bpmn2": bpmn.WORK_ITEM, "org/example/straight.bpmn2": bpmn.SCRIPT_ONLY}
I = "/containers/demo/processes/instances"
JOHN = basic("john", "john1")


@pytest.fixture
def demo(bpm):
    deploy(bpm, ALL)
    return bpm


def test_capability_bpm_listed(demo):
    r = call(demo, "GET", "/", "json", status=200)
    assert "BPM" in r.json["result"]["kie-server-info"]["capabilities"]


@pytest.mark.parametrize("fmt", ["json", "jaxb", "xstream"])
def test_start_user_task_complete_end(demo, fmt):
    pid = start(demo, "demo.usertask", {"name": "ann", "age": 42}, fmt)
    pi = instance(demo, pid, fmt, with_vars=True)
    assert pi.state == 1 and pi.process_id == "demo.usertask" and pi.process_name == "UserTask"
    assert pi.container_id == "demo" and pi.initiator == "kieserver" and pi.correlation_key == str(pid)
    assert pi.variables["name"] == "ANN" and pi.variables["age"] == 42 and type(pi.variables["age"]) is int
    [ts] = pi.active_user_tasks.items     # the instance's open tasks, from the task service
    assert ts.name == "Review" and ts.status == "Reserved" and ts.actual_owner == "john" and ts.process_instance_id == pid
    items = call(demo, "GET", f"{I}/{pid}/workitems", fmt, expected=P.WorkItemInstanceList, status=200).items
    assert len(items) == 1 and items[0].name == "Human Task"
    wi = items[0]
    assert wi.parameters["ActorId"] == "john" and wi.parameters["Who"] == "ANN" and wi.process_instance_id == pid
    # the human task exists, reserved for john; completing it completes the work item
    task = task_of_work_item(demo, wi.id)
    assert task.status == "Reserved" and task.actual_owner == "john" and task.process_instance_id == pid
    r = demo.put(f"/containers/demo/tasks/{task.id}/states/completed?auto-progress=true", auth=JOHN,
                 body={"Approved": True}, fmt="json")
    assert r.status_code == 201, r.text
    pi = instance(demo, pid, fmt, with_vars=True)
    assert pi.state == 2 and pi.variables is None
    # history: every node entered and left, newest first
    nodes = call(demo, "GET", f"{I}/{pid}/nodes/instances?pageSize=100", fmt, expected=P.NodeInstanceList,
                 status=200).items
    names = [(n.name, n.completed) for n in nodes]
    assert names[0] == ("End", True) and ("Review", False) in names and ("Review", True) in names
    review = [n for n in nodes if n.name == "Review"]
    assert all(n.work_item_id == wi.id and n.node_type == "HumanTaskNode" and n.node_id == "_3" for n in review)
    vis = call(demo, "GET", f"{I}/{pid}/variables/instances", fmt, expected=P.VariableInstanceList, status=200).items
    # jBPM's IdentityProviderAwareProcessListener sets "initiator" when the instance starts
    assert {v.name: v.value for v in vis} == {"name": "ANN", "age": "42", "approved": "true", "initiator": "kieserver"}
    # the runtime instance is gone: variables answer 404 as jBPM does
    r = call(demo, "GET", f"{I}/{pid}/variables", fmt)
    assert r.status_code == 404 and r.text == f'"Could not find process instance with id "{pid}""'


@pytest.mark.parametrize("fmt", ["json", "jaxb", "xstream"])
def test_signal_instance_with_payload(demo, fmt):
    pid = start(demo, "demo.signal", {}, fmt)
    assert call(demo, "GET", f"{I}/{pid}/signals", fmt, expected=ANY, status=200) == ["go"]
    r = call(demo, "POST", f"{I}/{pid}/signal/go", fmt, body="hello", status=200)
    assert r.text == ""
    assert instance(demo, pid, fmt).state == 2
    vis = call(demo, "GET", f"{I}/{pid}/variables/instances/payload", fmt, expected=P.VariableInstanceList,
               status=200).items
    assert [v.value for v in vis] == ["hello"]
    r = call(demo, "POST", f"{I}/{pid}/signal/go", fmt, body="again")
    assert r.status_code == 404 and r.text == f'"Could not find process instance with id "{pid}""'


def test_signal_many_and_container_wide_with_signal_start(demo):
    a = start(demo, "demo.signal")
    b = start(demo, "demo.signal")
    c = start(demo, "demo.signal")
    call(demo, "POST", f"{I}/signal/go?instanceId={a}", "json", body="one", status=200)
    assert instance(demo, a).state == 2 and instance(demo, b).state == 1
    # no ids: every waiting instance of the container, and the processes started by the signal
    r = call(demo, "POST", f"{I}/signal/start-me", "json", body="payload", status=200)
    assert r.text == ""
    started = call(demo, "GET", f"{I}?pageSize=50", "json", expected=P.ProcessInstanceList, status=200).items
    by_process = [x for x in started if x.process_id == "demo.signalstart"]
    assert len(by_process) == 1
    assert variables(demo, by_process[0].id)["data"] == "payload"
    call(demo, "POST", f"{I}/signal/go", "json", body="all", status=200)
    assert instance(demo, b).state == 2 and instance(demo, c).state == 2


def test_correlation_keys(demo):
    pid = start(demo, "demo.signal", key="order:17")
    assert instance(demo, pid).correlation_key == "order:17"
    r = start(demo, "demo.signal", key="order:17", status=409)
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text.startswith('"CorrelationKey [name=order:17') and "failed to persist" in r.text
    call(demo, "POST", f"{I}/correlation/order:17/signal/go", "json", body="x", status=200)
    assert instance(demo, pid).state == 2
    r = call(demo, "POST", f"{I}/correlation/order:17/signal/go", "json", body="x")
    assert r.status_code == 404 and r.text == '"Could not find process instance with id "order:17""'
    again = start(demo, "demo.signal", key="order:17")      # the key is free once the instance ended
    assert again != pid


@pytest.mark.parametrize("fmt", ["json", "jaxb", "xstream"])
def test_work_item_complete_and_abort(demo, fmt):
    pid = start(demo, "demo.workitem", {}, fmt)
    [wi] = call(demo, "GET", f"{I}/{pid}/workitems", fmt, expected=P.WorkItemInstanceList, status=200).items
    assert wi.name == "MyService" and wi.parameters == {"Input": "hello"} and wi.state == 0
    got = call(demo, "GET", f"{I}/{pid}/workitems/{wi.id}", fmt, expected=P.WorkItemInstance, status=200)
    assert got.id == wi.id and got.container_id == "demo" and got.node_id == 2
    call(demo, "PUT", f"{I}/{pid}/workitems/{wi.id}/completed", fmt, body={"Output": "done"}, status=201)
    assert instance(demo, pid, fmt).state == 2
    pid = start(demo, "demo.workitem", {}, fmt)
    [wi] = call(demo, "GET", f"{I}/{pid}/workitems", fmt, expected=P.WorkItemInstanceList, status=200).items
    r = call(demo, "PUT", f"{I}/{pid}/workitems/{wi.id + 1000}/aborted", fmt)
    assert r.status_code == 404 and r.text == f'"Could not find work item instance with id "{wi.id + 1000:,}""'
    r = call(demo, "PUT", f"{I}/{pid}/workitems/{wi.id + 1000}/completed", fmt, body={})
    assert r.status_code == 500
    assert r.text == f'"Unexpected error during processing: Work item with id {wi.id + 1000} was not found\n"'
    call(demo, "PUT", f"{I}/{pid}/workitems/{wi.id}/aborted", fmt, status=201)
    assert instance(demo, pid, fmt).state == 2     # an aborted work item lets the process continue


@pytest.mark.parametrize("fmt", ["json", "jaxb", "xstream"])
def test_variables_keep_their_types(demo, fmt):
    pid = start(demo, "demo.variables", {"s": "text", "i": 5, "l": Long(7), "b": True}, fmt)
    call(demo, "PUT", f"{I}/{pid}/variable/o", fmt, body=Long(12345678901), status=201)
    call(demo, "POST", f"{I}/{pid}/variables", fmt, body={"i": 6, "s": "other"}, status=201)
    got = variables(demo, pid, fmt)
    assert got["s"] == "other" and got["i"] == 6 and got["l"] == 7 and got["b"] is True
    assert got["o"] == 12345678901
    if fmt != "json":     # JSON cannot tell Integer from Long; the XML formats carry the Java type
        assert type(got["l"]) is Long and type(got["i"]) is int
    one = call(demo, "GET", f"{I}/{pid}/variable/l", fmt, expected=ANY, status=200)
    assert one == 7
    r = call(demo, "GET", f"{I}/{pid}/variable/missing", fmt)
    assert r.status_code == 500
    assert r.text == (f'"Unexpected error during processing: Unable to find variable \'missing\' within process '
                      f'instance with id {pid}\n"')
    hist = call(demo, "GET", f"{I}/{pid}/variables/instances/i", fmt, expected=P.VariableInstanceList,
                status=200).items
    assert [(v.old_value, v.value) for v in hist] == [("5", "6"), ("", "5")]


@pytest.mark.parametrize("fmt", ["json", "jaxb", "xstream"])
def test_abort_instance_and_its_task(demo, fmt):
    pid = start(demo, "demo.usertask", {"name": "bob", "age": 1}, fmt)
    [wi] = call(demo, "GET", f"{I}/{pid}/workitems", fmt, expected=P.WorkItemInstanceList, status=200).items
    r = call(demo, "DELETE", f"{I}/{pid}", fmt, status=204)
    assert r.text == ""
    assert instance(demo, pid, fmt).state == 3
    assert task_of_work_item(demo, wi.id).status == "Exited"
    r = call(demo, "DELETE", f"{I}/{pid}", fmt)
    assert r.status_code == 404 and r.text == f'"Could not find process instance with id "{pid}""'
    a, b = start(demo, "demo.signal"), start(demo, "demo.signal")
    call(demo, "DELETE", f"{I}?instanceId={a}&instanceId={b}&instanceId=99999", fmt, status=204)
    assert instance(demo, a).state == 3 and instance(demo, b).state == 3


def test_instances_by_container_paging_and_status(demo):
    pids = [start(demo, "demo.signal") for _ in range(5)]
    call(demo, "DELETE", f"{I}/{pids[0]}", "json", status=204)
    got = call(demo, "GET", f"{I}?page=0&pageSize=2", "json", expected=P.ProcessInstanceList, status=200).items
    assert [x.id for x in got] == pids[1:3]
    got = call(demo, "GET", f"{I}?status=3", "json", expected=P.ProcessInstanceList, status=200).items
    assert [x.id for x in got] == [pids[0]]
    got = call(demo, "GET", f"{I}?status=1&status=3&sort=ProcessInstanceId&sortOrder=false&pageSize=10", "json",
               expected=P.ProcessInstanceList, status=200).items
    assert [x.id for x in got] == list(reversed(pids))
    empty = call(demo, "GET", "/containers/nope/processes/instances", "xstream", expected=P.ProcessInstanceList,
                 status=200)
    assert empty.items == []


def test_computed_instances(demo):
    r = call(demo, "POST", "/containers/demo/processes/demo.straight/computedInstances", "jaxb", body={"x": 21},
             status=201)
    assert unmarshal(r.text, FMTS["jaxb"], MAP)["x"] == 42
    r = call(demo, "POST", "/containers/demo/processes/demo.signal/computedInstances", "json", body={})
    assert r.status_code == 500 and r.text.startswith('"Unable to create response: ')


def test_start_from_nodes(demo):
    spec = P.ProcessStartSpec(variables={"payload": "direct"}, node_ids=["_3"])
    r = call(demo, "POST", "/containers/demo/processes/demo.signal/instances/fromNodes", "xstream", body=spec,
             status=201)
    pid = int(unmarshal(r.text, FMTS["xstream"], ANY))
    assert instance(demo, pid).state == 2


def test_node_history_filters(demo):
    pid = start(demo, "demo.signal")
    active = call(demo, "GET", f"{I}/{pid}/nodes/instances?activeOnly=true", "json", expected=P.NodeInstanceList,
                  status=200).items
    assert [n.name for n in active] == ["Wait for go"]
    done = call(demo, "GET", f"{I}/{pid}/nodes/instances?completedOnly=true", "json", expected=P.NodeInstanceList,
                status=200).items
    assert [n.name for n in done] == ["Start"]
    starts = call(demo, "GET", f"{I}/{pid}/nodes/instances?processInstanceHistoryType=START", "json",
                  expected=P.NodeInstanceList, status=200).items
    assert {n.name for n in starts} == {"Start", "Wait for go"}


def test_batch_command_api(demo):
    """What the BRM batch commands call: start-process, signal-event, complete/abort-work-item by id."""
    svc = demo.app.kie_server.process_callbacks
    pid = svc.start_process("demo", "demo.workitem", {}, "kieserver")
    [wi] = call(demo, "GET", f"{I}/{pid}/workitems", "json", expected=P.WorkItemInstanceList, status=200).items
    svc.complete_work_item_by_id("demo", wi.id, {"Output": "batch"})
    assert instance(demo, pid).state == 2
    pid = svc.start_process("demo", "demo.workitem", {}, "kieserver")
    [wi] = call(demo, "GET", f"{I}/{pid}/workitems", "json", expected=P.WorkItemInstanceList, status=200).items
    svc.abort_work_item_by_id("demo", wi.id)
    assert instance(demo, pid).state == 2
    a = svc.start_process("demo", "demo.signal", {}, "kieserver")
    svc.signal_event("demo", "go", "one", process_instance_id=a)
    assert instance(demo, a).state == 2
    b = svc.start_process("demo", "demo.signal", {}, "kieserver")
    svc.signal_event("demo", "go", "all")
    assert instance(demo, b).state == 2


DESCRIPTOR = """<deployment-descriptor xsi:schemaLocation="http://www.jboss.org/jbpm deployment-descriptor.xsd"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <work-item-handlers>
    <work-item-handler><resolver>mvel</resolver>
      <identifier>new org.jbpm.process.instance.impl.demo.DoNothingWorkItemHandler()</identifier>
      <parameters/><name>MyService</name></work-item-handler>
  </work-item-handlers>
</deployment-descriptor>"""


def test_work_item_handlers_from_the_deployment_descriptor(bpm):
    deploy(bpm, {"org/example/workitem.bpmn2": bpmn.WORK_ITEM},
           extra={"META-INF/kie-deployment-descriptor.xml": DESCRIPTOR})
    pid = start(bpm, "demo.workitem")
    # jBPM's DoNothingWorkItemHandler neither completes nor aborts: the work item stays pending
    assert instance(bpm, pid).state == 1
    [wi] = call(bpm, "GET", f"{I}/{pid}/workitems", "json", expected=P.WorkItemInstanceList, status=200).items
    assert wi.name == "MyService" and wi.parameters["Input"] == "hello"


def test_aborted_instance_logs_its_waiting_nodes_as_aborted(demo):
    pid = start(demo, "demo.signal")
    call(demo, "DELETE", f"{I}/{pid}", "json", status=204)
    active = call(demo, "GET", f"{I}/{pid}/nodes/instances?activeOnly=true", "json", expected=P.NodeInstanceList,
                  status=200).items
    assert active == []
    aborted = call(demo, "GET", f"{I}/{pid}/nodes/instances?processInstanceHistoryType=ABORTED", "json",
                   expected=P.NodeInstanceList, status=200).items
    assert [(n.name, n.completed) for n in aborted] == [("Wait for go", False)]
