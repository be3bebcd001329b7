from containers.processes import (ABORTED, ACTIVE, COMPLETED, ProcessInstance, ProcessParseError,
                                  parse_processes)
from tests.processes.bpmn import EVALUATION, PARALLEL

import pytest


def test_user_task_signal_and_outputs(capsys):
    [d] = parse_processes(EVALUATION, "eval.bpmn2")
    inst = ProcessInstance(d, 1).start({"name": "ann", "age": "42"}, initiator="john")
    assert inst.state == ACTIVE and inst.variables["age"] == 42 and inst.variables["name"] == "ANN"
    assert "preparing ann" in capsys.readouterr().out   # the script saw its own copy of name
    [(wid, wi)] = inst.work_items.items()
    assert wi["name"] == "Human Task"
    assert wi["params"] == {"TaskName": "Review ANN", "ActorId": "john", "Who": "ANN", "NodeName": "Review"}
    state = inst.to_state()
    inst = ProcessInstance.from_state(d, 1, state)
    inst.complete_work_item(wid, {"Approved": "true"})
    assert inst.variables["approved"] is True and inst.available_signals() == ["go"]
    assert inst.signal("go", None) and inst.state == COMPLETED
    names = [e["node_name"] for e in inst.events if e["kind"] == "node_enter"]
    assert names == ["Wait for go", "End"]


def test_default_flow_and_terminate():
    [d] = parse_processes(EVALUATION, "eval.bpmn2")
    inst = ProcessInstance(d, 2).start({"name": "kid", "age": 5})
    assert inst.state == COMPLETED and not inst.work_items


def test_parallel_join_and_custom_work_item():
    [d] = parse_processes(PARALLEL, "p.bpmn2")
    inst = ProcessInstance(d, 3).start({"age": 1})
    assert inst.variables["age"] == 12
    [(wid, wi)] = inst.work_items.items()
    assert wi["name"] == "MyHandler"
    inst.abort()
    assert inst.state == ABORTED and not inst.work_items


def test_unsupported_elements_are_reported():
    bad = EVALUATION.replace('<bpmn2:endEvent id="end" name="End"/>',
                             '<bpmn2:endEvent id="end" name="End"/><bpmn2:subProcess id="sub"/>')
    with pytest.raises(ProcessParseError) as e:
        parse_processes(bad, "x.bpmn2")
    assert "subProcess 'sub'" in str(e.value)


def test_timer_event_and_expressions():
    from containers.processes.instance import parse_timer
    from tests.processes.bpmn import TIMER
    assert [parse_timer(x) for x in ("500ms", "1s", "1m 30s", "PT1S", "PT1M", "P1D", "2500")] == \
        [500, 1000, 90000, 1000, 60000, 86400000, 2500]
    [d] = parse_processes(TIMER, "t.bpmn2")
    inst = ProcessInstance(d, 7).start({})
    [ev] = [e for e in inst.events if e["kind"] == "timer_scheduled"]
    assert ev["delay_ms"] == 1000 and inst.state == ACTIVE
    inst = ProcessInstance.from_state(d, 7, inst.to_state())
    assert inst.trigger_timer(ev["timer_id"]) and inst.state == COMPLETED
