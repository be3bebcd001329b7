"""BPMN2 process runtime for jBPM-authored processes (a first slice, see docs/STATUS.md).

    from containers.processes import parse_processes, ProcessInstance
    [definition] = parse_processes(xml_text, "p.bpmn2")
    inst = ProcessInstance(definition, 1, types).start({"x": 1}, initiator="john")
    inst.state, inst.variables, inst.work_items, inst.events
    inst.complete_work_item(wid, {"out": 1}); inst.signal("go", payload); inst.trigger_timer(tid); inst.abort()
    state = inst.to_state(); ProcessInstance.from_state(definition, 1, state)

Runs: none/terminate/signal end events, script tasks (java/mvel), user/service/custom tasks as
work items (with data input/output associations and #{} interpolation), exclusive, parallel and
(splitting) inclusive gateways with conditions and default flows, signal catch/throw events,
intermediate timer events (a `timer_scheduled` event; the runtime calls `trigger_timer` when due),
on-entry/on-exit scripts, typed variables.  Refuses (clear parse error) sub-processes, call
activities and boundary events for now.
"""
from containers.processes.definition import Node, ProcessDefinition, ProcessParseError, parse_processes
from containers.processes.instance import (ABORTED, ACTIVE, BUILTIN_HANDLERS, COMPLETED, PENDING, SUSPENDED,
                                           ProcessError, ProcessInstance)

__all__ = ["parse_processes", "ProcessDefinition", "ProcessInstance", "ProcessParseError", "ProcessError",
           "Node", "PENDING", "ACTIVE", "COMPLETED", "ABORTED", "SUSPENDED", "BUILTIN_HANDLERS"]
