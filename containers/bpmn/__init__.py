"""The BPMN2 engine the process service runs (kieserver/services/processes.py): jBPM 7 node-instance semantics.

    from containers.bpmn import parse_process, Environment
    d = parse_process(xml_text, "p.bpmn2")
    pi = d.start({"x": 1}, initiator="yoda", env=Environment(handlers={...}))
    pi.events; pi.complete_work_item(wid, {...}); pi.signal("s", data); pi.trigger_timer(tid)
    state = pi.to_state(); pi = ProcessInstance.from_state(d, state, env=env)
"""
from containers.bpmn.engine import (
    LOG_ABORTED, LOG_ENTER, LOG_ERROR, LOG_EXIT, LOG_OBSOLETE, LOG_SKIPPED, STATE_ABORTED, STATE_ACTIVE,
    STATE_COMPLETED, STATE_PENDING, STATE_SUSPENDED, Environment, ProcessInstance, ProcessRuntimeError,
    SubProcessResult, VariableViolationError, start_process)
from containers.bpmn.model import ProcessDefinition, ProcessParseError
from containers.bpmn.parser import parse_process, parse_processes
from containers.bpmn.workitems import (DoNothingWorkItemHandler, EmailWorkItemHandler, LogWorkItemHandler,
                               RestWorkItemHandler, SystemOutWorkItemHandler, WorkItem, WorkItemHandler,
                               default_handlers)
