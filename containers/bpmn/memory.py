"""An in-memory runtime around the engine (what the service layer does with a database):
several definitions, instance ids, signal broadcast, call activities, pending timers."""
from __future__ import annotations

import itertools

from containers.bpmn.engine import (STATE_ABORTED, STATE_COMPLETED, Environment, ProcessInstance, SubProcessResult,
                            start_process)


class MemoryRuntime:
    def __init__(self, definitions=(), handlers=None, globals=None, persist_roundtrip=False, stdout=None):
        self.definitions = {d.id: d for d in definitions}
        self.instances: dict[int, ProcessInstance] = {}
        self.states: dict[int, dict] = {}
        self.ids = itertools.count(1)
        self.wi_ids = itertools.count(1)
        self.timer_ids = itertools.count(1)
        self.events = []
        self.out = []
        self.persist_roundtrip = persist_roundtrip
        self.env = Environment(handlers=handlers, allocate_id=self._alloc, start_subprocess=self._start_sub,
                               abort_subprocess=self._abort_sub, globals=globals,
                               stdout=stdout or (lambda s: self.out.append(s)), deployment_id="test")
        self._pending = []

    def _alloc(self, kind):
        if kind == "process_instance":
            return next(self.ids)
        if kind == "work_item":
            return next(self.wi_ids)
        if kind == "timer":
            return next(self.timer_ids)
        return None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, process_id, variables=None, initiator=None, **kw):
        d = self.definitions[process_id]
        pi = start_process(d, variables, initiator=initiator, env=self.env, **kw)
        self.instances[pi.id] = pi
        self._after(pi)
        return pi

    def _start_sub(self, parent, ni, process_id, variables, independent, wait, correlation_key):
        d = self.definitions.get(process_id)
        if d is None:
            raise KeyError(f"Could not find process {process_id}")
        child = start_process(d, variables, env=self.env, parent_instance_id=parent.id,
                              parent_node_instance_id=ni.id, signal_completion=wait)
        self.instances[child.id] = child
        self._collect(child)
        if child.state in (STATE_COMPLETED, STATE_ABORTED):
            return SubProcessResult(child.id, child.state, dict(child.variables), child.outcome, child.fault_data)
        return SubProcessResult(child.id)

    def _abort_sub(self, parent, child_id):
        child = self.instances.get(child_id)
        if child is not None and child.state not in (STATE_COMPLETED, STATE_ABORTED):
            child.abort()
            self._collect(child)

    def _collect(self, pi):
        evs = pi.drain_events()
        self.events.extend(evs)
        for e in evs:
            if e["type"] == "signal" and e.get("scope") in ("default", "project"):
                self._pending.append(("signal", e["signal"], e["data"], pi.id))
            if e["type"] == "process_state" and e["status"] in (STATE_COMPLETED, STATE_ABORTED) and \
                    e.get("signal_completion") and e.get("parent_process_instance_id", -1) > 0:
                self._pending.append(("child_done", pi.id))
        return evs

    def _after(self, pi):
        self._collect(pi)
        while self._pending:
            item = self._pending.pop(0)
            if item[0] == "signal":
                _k, name, data, origin = item
                for other in list(self.instances.values()):
                    if other.id != origin and other.state == 1:
                        other.signal(name, data)
                        self._collect(other)
                for d in self.definitions.values():
                    if name in d.signal_start_events():
                        child = start_process(d, None, env=self.env, trigger=name, trigger_event=data)
                        self.instances[child.id] = child
                        self._collect(child)
            else:
                child = self.instances[item[1]]
                parent = self.instances.get(child.parent_instance_id)
                if parent is not None:
                    parent.subprocess_completed(child.id, child.state, dict(child.variables), child.outcome,
                                                child.fault_data)
                    self._collect(parent)
        if self.persist_roundtrip:
            for pid, inst in list(self.instances.items()):
                state = inst.to_state()
                import json
                state = json.loads(json.dumps(state, default=str))
                self.instances[pid] = ProcessInstance.from_state(inst.definition, state, env=self.env)

    # -- operations ----------------------------------------------------------------------------
    def signal(self, type, event=None, instance_id=None):
        if instance_id is not None:
            pi = self.instances[instance_id]
            pi.signal(type, event)
            self._after(pi)
            return
        for pi in list(self.instances.values()):
            if pi.state == 1:
                pi.signal(type, event)
                self._collect(pi)
        for d in self.definitions.values():
            if type in d.signal_start_events():
                child = start_process(d, None, env=self.env, trigger=type, trigger_event=event)
                self.instances[child.id] = child
                self._collect(child)
        self._after(next(iter(self.instances.values())) if self.instances else None) if self.instances else None

    def complete(self, instance_id, work_item_id, results=None):
        pi = self.instances[instance_id]
        pi.complete_work_item(work_item_id, results)
        self._after(pi)

    def fire(self, instance_id, timer_id):
        pi = self.instances[instance_id]
        r = pi.trigger_timer(timer_id)
        self._after(pi)
        return r

    def node_log(self, instance_id=None, types=(0, 1)):
        return [(e["log_type"], e["node_instance_id"], e["node_name"] or e["node_id"], e["node_type"])
                for e in self.events if e["type"] == "node" and e["log_type"] in types
                and (instance_id is None or e["process_instance_id"] == instance_id)]
