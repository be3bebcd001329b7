"""Behaviour of the process engine (containers/bpmn) on small processes, each instance round-tripped
through its saved state as the process service does."""
import pytest

from containers.bpmn import (STATE_ABORTED, STATE_ACTIVE, STATE_COMPLETED, Environment, ProcessInstance,
                             ProcessParseError, default_handlers, parse_processes, start_process)
from containers.bpmn.timeexpr import parse_duration
from tests.processes.bpmn import EVALUATION, PARALLEL, TIMER


def _env(out):
    return Environment(handlers=default_handlers(out=out.append), stdout=out.append)


def test_user_task_signal_and_outputs():
    out = []
    [d] = parse_processes(EVALUATION, "eval.bpmn2")
    inst = start_process(d, {"name": "ann", "age": "42"}, initiator="john", env=_env(out), instance_id=1)
    assert inst.state == STATE_ACTIVE and inst.variables["age"] == 42 and inst.variables["name"] == "ANN"
    assert any("preparing ann" in line for line in out)     # the script saw its own copy of name
    [(wid, wi)] = inst.work_items.items()
    assert wi.name == "Human Task"
    assert {k: wi.parameters[k] for k in ("TaskName", "ActorId", "Who", "NodeName")} == \
        {"TaskName": "Review ANN", "ActorId": "john", "Who": "ANN", "NodeName": "Review"}
    inst.drain_events()
    inst = ProcessInstance.from_state(d, inst.to_state(), env=_env(out))
    inst.complete_work_item(wid, {"Approved": "true"})
    assert inst.variables["approved"] is True and inst.available_signals() == ["go"]
    inst.signal("go", None)
    assert inst.state == STATE_COMPLETED
    names = [e["node_name"] for e in inst.events if e["type"] == "node" and e["log_type"] == 0]
    assert names == ["Wait for go", "End"]


def test_default_flow_and_terminate():
    [d] = parse_processes(EVALUATION, "eval.bpmn2")
    inst = start_process(d, {"name": "kid", "age": 5}, env=_env([]), instance_id=2)
    assert inst.state == STATE_COMPLETED and not inst.work_items


def test_parallel_join_and_custom_work_item():
    [d] = parse_processes(PARALLEL, "p.bpmn2")
    inst = start_process(d, {"age": 1}, env=_env([]), instance_id=3)
    assert inst.variables["age"] == 12
    [(wid, wi)] = inst.work_items.items()
    assert wi.name == "MyHandler"
    inst.abort()
    assert inst.state == STATE_ABORTED and not inst.work_items
    cancelled = [e for e in inst.events if e["type"] == "work_item_cancelled"]
    assert [e["work_item_id"] for e in cancelled] == [wid]


def test_unreadable_document_is_reported():
    with pytest.raises(ProcessParseError) as e:
        parse_processes(EVALUATION.replace("</bpmn2:process>", "", 1), "x.bpmn2")
    assert "x.bpmn2" in str(e.value)


def test_bad_typed_value_is_refused():
    [d] = parse_processes(EVALUATION, "eval.bpmn2")
    with pytest.raises(Exception) as e:
        start_process(d, {"name": "ann", "age": "not a number"}, env=_env([]), instance_id=4)
    assert "cannot convert" in str(e.value)


def test_timer_event_and_expressions():
    assert [parse_duration(x) for x in ("500ms", "1s", "1m 30s", "PT1S", "PT1M", "P1D", "2500")] == \
        [500, 1000, 90000, 1000, 60000, 86400000, 2500]
    [d] = parse_processes(TIMER, "t.bpmn2")
    inst = start_process(d, {}, env=_env([]), instance_id=7)
    [ev] = [e for e in inst.events if e["type"] == "timer_scheduled"]
    assert ev["delay"] == 1000 and inst.state == STATE_ACTIVE
    inst = ProcessInstance.from_state(d, inst.to_state(), env=_env([]))
    assert inst.trigger_timer(ev["timer_id"]) is False and inst.state == STATE_COMPLETED
