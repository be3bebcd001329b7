"""The process engine: a pure state machine over ProcessDefinition graphs, following jBPM 7's
node instance semantics (org.jbpm.workflow.instance.*) closely enough that node instance ids, log
order and variable values match what jBPM produces for the same process.

Everything a call does is appended to `instance.events` (dicts with a "type" key, see EVENT_TYPES in
the package docs); the service layer persists the instance with `to_state()` after each transaction
and rebuilds it with `ProcessInstance.from_state(definition, state, env=...)`.
"""
from __future__ import annotations

import datetime as dt
import logging
import sys
import uuid

from containers.expressions import ExpressionRuntimeError, JavaException
from containers.expressions.convert import ConversionError, coerce
from containers.bpmn import scripting
from containers.bpmn.model import (
    ActionNode, BoundaryEventNode, CatchLinkNode, CompositeContextNode, DynamicNode, EndNode, EventNode,
    EventSubProcessNode, FaultNode, ForEachNode, HumanTaskNode, Join, MilestoneNode, ProcessDefinition,
    RuleSetNode, Split, StartNode, StateNode, SubProcessNode, ThrowLinkNode, TimerDef, TimerNode, WorkItemNode)
from containers.bpmn.scripting import KContext, ScriptError
from containers.bpmn.state import decode, encode
from containers.bpmn.timeexpr import (CronExpression, TimerExpressionError, is_cron, parse_date_as_duration,
                                           parse_duration, parse_repeatable, parse_time_string)
from containers.bpmn.workitems import ABORTED as WI_ABORTED
from containers.bpmn.workitems import COMPLETED as WI_COMPLETED
from containers.bpmn.workitems import WorkItem
from containers.values import UTC

log = logging.getLogger("containers.bpmn")

if sys.getrecursionlimit() < 20000:
    # node-to-node execution is depth-first recursion, as in jBPM; long synchronous chains need room
    sys.setrecursionlimit(20000)

# process instance states (org.kie.api.runtime.process.ProcessInstance)
STATE_PENDING, STATE_ACTIVE, STATE_COMPLETED, STATE_ABORTED, STATE_SUSPENDED = 0, 1, 2, 3, 4
# NodeInstanceLog types (org.kie.api.runtime.manager.audit.NodeInstanceLog)
LOG_ENTER, LOG_EXIT, LOG_ABORTED, LOG_ASYNC_ENTER, LOG_OBSOLETE, LOG_SKIPPED, LOG_ERROR = 0, 1, 2, 3, 4, 5, 6
# cancel types (NodeInstance.CancelType)
ABORTED, SKIPPED, OBSOLETE, ERROR = "ABORTED", "SKIPPED", "OBSOLETE", "ERROR"
_CANCEL_LOG = {ABORTED: LOG_ABORTED, SKIPPED: LOG_SKIPPED, OBSOLETE: LOG_OBSOLETE, ERROR: LOG_ERROR}

_NUMERIC_TYPES = {"java.lang.Integer", "Integer", "int", "java.lang.Long", "Long", "long", "java.lang.Double",
                  "Double", "double", "java.lang.Float", "Float", "float", "java.lang.Short", "Short", "short",
                  "java.lang.Byte", "Byte", "byte", "java.math.BigDecimal", "BigDecimal", "java.math.BigInteger",
                  "BigInteger"}
_OBJECT_TYPES = {"java.lang.Object", "Object", None, ""}

__all__ = ["Environment", "ProcessInstance", "ProcessRuntimeError", "VariableViolationError", "start_process",
           "SubProcessResult", "STATE_PENDING", "STATE_ACTIVE", "STATE_COMPLETED", "STATE_ABORTED",
           "STATE_SUSPENDED", "LOG_ENTER", "LOG_EXIT", "LOG_ABORTED", "LOG_OBSOLETE", "LOG_SKIPPED", "LOG_ERROR"]


class ProcessRuntimeError(Exception):
    """The engine cannot go on (jBPM's WorkflowRuntimeException): the caller must roll back."""

    def __init__(self, message, instance=None, node_instance=None, cause=None):
        self.message = message
        self.process_instance_id = instance.id if instance is not None else None
        self.process_id = instance.process_id if instance is not None else None
        self.node_id = node_instance.node.id if node_instance is not None else None
        self.node_name = node_instance.node.name if node_instance is not None else None
        self.cause = cause
        where = ""
        if instance is not None:
            where = f"[{instance.process_id}:{instance.id}"
            if node_instance is not None:
                where += f" - {node_instance.node.name}:{node_instance.id}"
            where += "] -- "
        super().__init__(where + message)


class VariableViolationError(ProcessRuntimeError):
    pass


class SubProcessResult:
    """What Environment.start_subprocess returns: the child's id and, when it already finished
    synchronously, its final state, variables and outcome."""

    def __init__(self, instance_id, state=STATE_ACTIVE, variables=None, outcome=None, fault_data=None):
        self.instance_id = instance_id
        self.state = state
        self.variables = variables or {}
        self.outcome = outcome
        self.fault_data = fault_data


class Environment:
    """What the container runtime provides to the engine.  Every hook is optional.

    handlers            {work item name: handler}
    allocate_id(kind)   -> int or None; kinds "process_instance", "work_item", "timer" (None: per-instance
                        counters).  Node instance ids are per instance (0, 1, 2...) as in jBPM.
    start_subprocess(parent, node_instance, process_id, variables, independent, wait_for_completion,
                     correlation_key) -> SubProcessResult | None
    abort_subprocess(parent, child_instance_id)
    fire_ruleflow_group(group, instance, node_instance, inputs) -> dict of outputs | None
    evaluate_dmn(namespace, model, decision, inputs, instance, node_instance) -> dict | None
    get_process_instance(id), insert_fact(obj, instance)
    stdout(text)        System.out sink (default sys.stdout)
    globals             {name: value}
    deployment_id       container id
    strict_handlers     True: a work item without handler is an error (jBPM); False: it stays pending
    async_enabled       True: nodes marked customAsync wait for the runtime's job ("async" event, then
                        instance.continue_async(token)); False: they run synchronously (jBPM without an
                        executor service)
    """

    def __init__(self, handlers=None, allocate_id=None, start_subprocess=None, abort_subprocess=None,
                 fire_ruleflow_group=None, evaluate_dmn=None, get_process_instance=None, insert_fact=None,
                 stdout=None, globals=None, deployment_id=None, strict_handlers=False, now=None,
                 async_enabled=False):
        self.handlers = dict(handlers or {})
        self._allocate = allocate_id
        self.start_subprocess = start_subprocess
        self.abort_subprocess = abort_subprocess
        self.fire_ruleflow_group = fire_ruleflow_group
        self.evaluate_dmn = evaluate_dmn
        self.get_process_instance = get_process_instance
        self.insert_fact = insert_fact
        self.stdout = stdout
        self.globals = dict(globals or {})
        self.deployment_id = deployment_id
        self.strict_handlers = strict_handlers
        self.async_enabled = async_enabled
        self._now = now

    def allocate_id(self, kind):
        if self._allocate is None:
            return None
        return self._allocate(kind)

    def now(self):
        return self._now() if self._now else dt.datetime.now(UTC)

    def write(self, text):
        if self.stdout is not None:
            self.stdout(text)
        else:
            sys.stdout.write(text)


_DEFAULT_ENV = Environment()


# =============================================================================================
# Node instances


class NodeInstance:
    hidden = False
    extended = False          # runs onEntry/onExit scripts (jBPM ExtendedNodeInstanceImpl)

    def __init__(self, node, container, pi):
        self.node = node
        self.container = container        # ProcessInstance or a container node instance
        self.process_instance = pi
        self.id = None
        self.incoming = None              # "IncomingConnection" (the from node's id)
        self.outgoing = None              # "OutgoingConnection"
        self.cancel_type = None
        self.level = 1
        self.enter_event = None

    # -- identity ------------------------------------------------------------------------------
    @property
    def node_name(self):
        return self.node.name if self.node is not None else ""

    def unique_instance_id(self):
        parts = [str(self.id)]
        c = self.container
        while isinstance(c, NodeInstance):
            parts.append(str(c.id))
            c = c.container
        return ":".join(reversed(parts))

    def __repr__(self):
        return f"{type(self).__name__}({self.id}, {self.node.id})"

    # -- variables -----------------------------------------------------------------------------
    def get_variable(self, name):
        return self.process_instance._get_variable(self, name)

    def set_variable(self, name, value):
        self.process_instance._set_variable(self, name, value)

    def script_env(self):
        return self.process_instance._env_for(self)

    # -- lifecycle -----------------------------------------------------------------------------
    def is_active(self):
        return self in self.container.node_instances

    def trigger(self, from_ni, conn_type="DROOLS_DEFAULT"):
        pi = self.process_instance
        if from_ni is not None and from_ni.node is not None:
            self.incoming = from_ni.node.id
        if not self.hidden:
            self.enter_event = pi._node_log(self, LOG_ENTER, self.incoming)
        self.internal_trigger(from_ni, conn_type)
        ev = self.enter_event
        if ev is not None:
            wid = getattr(self, "work_item_id", None)
            if wid is not None:
                ev["work_item_id"] = wid
            ref = getattr(self, "child_instance_id", None)
            if ref is not None:
                ev["reference_id"] = ref
            self.enter_event = None

    def internal_trigger(self, from_ni, conn_type):
        raise NotImplementedError

    def run_scripts(self, scripts):
        for s in scripts:
            self.process_instance._run_script(s, self)

    def trigger_completed(self, remove=True, conn_type="DROOLS_DEFAULT"):
        pi = self.process_instance
        if self.extended and self.node.on_exit:
            self.run_scripts(self.node.on_exit)
        pi.completed_node_ids.append(self.node.id)
        container = self.container
        if not self.is_active() or container.container_state() != STATE_ACTIVE:
            return
        if remove:
            container.remove_node_instance(self)
        flows = self.outgoing_flows()
        if not flows:
            if not self.hidden:
                pi._node_log(self, LOG_EXIT, self.outgoing)
            container.node_instance_completed(self)
            return
        targets = [(self.follow_connection(f), f) for f in flows]
        for ni, _f in targets:
            if container.container_state() != STATE_ACTIVE:
                return
            self.trigger_node_instance(ni)

    def outgoing_flows(self):
        return self.node.outgoing

    def follow_connection(self, flow):
        self.container.leave_exclusive_group(self)
        return self.container.create_node_instance(flow.target)

    def trigger_node_instance(self, ni, fire_events=True):
        self.outgoing = ni.node.id if ni.node is not None else None
        if fire_events and not self.hidden:
            self.process_instance._node_log(self, LOG_EXIT, self.outgoing)
        ni.trigger(self)

    def trigger_connection(self, flow):
        self.trigger_node_instance(self.follow_connection(flow))

    def cancel(self, cancel_type=ABORTED):
        self.cancel_type = cancel_type
        if not self.hidden:
            self.process_instance._node_log(self, _CANCEL_LOG[cancel_type], self.outgoing)
        self.container.remove_node_instance(self)

    def signal_event(self, type, event):
        pass

    # -- persistence ---------------------------------------------------------------------------
    def to_state(self):
        d = {"id": self.id, "node": self.node.id, "in": self.incoming, "out": self.outgoing}
        d.update(self.extra_state())
        return d

    def extra_state(self):
        return {}

    def load_state(self, d):
        self.incoming = d.get("in")
        self.outgoing = d.get("out")


class StartNodeInstance(NodeInstance):
    def internal_trigger(self, from_ni, conn_type):
        self.trigger_completed()

    def signal_event(self, type, event):
        node = self.node
        if node.trigger_mapping:
            self.set_variable(node.trigger_mapping, event)
        self.trigger_completed()


class EndNodeInstance(NodeInstance):
    extended = True

    def internal_trigger(self, from_ni, conn_type):
        pi = self.process_instance
        node = self.node
        if node.on_entry:
            self.run_scripts(node.on_entry)
        if node.throw_kind:
            pi._throw(self, node)
        if not self.hidden:
            pi._node_log(self, LOG_EXIT, self.outgoing)
        container = self.container
        container.remove_node_instance(self)
        if node.terminate:
            if isinstance(container, NodeInstance):
                if node.scope == EndNode.PROCESS_SCOPE:
                    pi.set_state(STATE_COMPLETED)
                else:
                    while container.node_instances:
                        container.node_instances[0].cancel(OBSOLETE)
                    container.node_instance_completed(self)
            else:
                pi.set_state(STATE_COMPLETED)
        else:
            container.node_instance_completed(self)


class FaultNodeInstance(NodeInstance):
    def internal_trigger(self, from_ni, conn_type):
        pi = self.process_instance
        node = self.node
        fault = node.fault_name
        handler = pi._find_exception_handler(self, fault)
        container = self.container
        container.remove_node_instance(self)
        handled = False
        data = self._fault_data()
        if node.terminate_parent:
            if handler is not None:
                handled = True
                pi._handle_exception(handler, fault, data)
            if isinstance(container, NodeInstance):
                container.cancel()
            else:
                for ni in list(container.node_instances):
                    ni.cancel()
        if handler is not None:
            if not handled:
                pi._handle_exception(handler, fault, data)
            if not self.hidden:
                pi._node_log(self, LOG_EXIT, self.outgoing)
            self.container.node_instance_completed(self)
        else:
            pi._emit("error", fault_name=fault, node_id=node.id, node_name=node.name, handled=False,
                     message=f"unhandled {'escalation' if node.escalation else 'error'} {fault}")
            pi.set_state(STATE_ABORTED, outcome=fault, fault_data=data)

    def _fault_data(self):
        var = self.node.fault_variable
        if var is None:
            return None
        if var.startswith('"') and var.endswith('"'):
            return var[1:-1]
        return self.get_variable(var)


class ActionNodeInstance(NodeInstance):
    def internal_trigger(self, from_ni, conn_type):
        node = self.node
        after = node.execute_after_complete
        if not after:
            self._execute()
        self.trigger_completed()
        if after:
            self._execute()

    def _execute(self):
        pi = self.process_instance
        node = self.node
        if node.script is not None:
            try:
                pi._run_script(node.script, self, raise_java=True)
            except JavaException as e:
                handler = pi._find_exception_handler(self, e.java_class)
                if handler is None:
                    raise ProcessRuntimeError(f"Unable to execute Action: {e}", pi, self, e) from e
                pi._handle_exception(handler, e.java_class, e)
                self.cancel(ERROR)
        elif node.throw_kind:
            pi._throw(self, node)


class WorkItemNodeInstance(NodeInstance):
    extended = True

    def __init__(self, node, container, pi):
        super().__init__(node, container, pi)
        self.work_item_id = None
        self.timer_ids = []

    def work_item(self):
        return self.process_instance.work_items.get(self.work_item_id)

    def internal_trigger(self, from_ni, conn_type):
        pi = self.process_instance
        node = self.node
        if node.on_entry:
            self.run_scripts(node.on_entry)
        if not self.is_active():
            return
        pi._register_boundary_timers(self)
        if not self.is_active():
            return
        params = pi._work_item_parameters(self)
        wid = pi._allocate("work_item")
        wi = WorkItem(wid, node.work_name, params, self.id, node.num, pi.id, pi.env.deployment_id, pi.process_id,
                      node.name)
        pi.work_items[wid] = wi
        self.work_item_id = wid
        self.on_work_item_created(wi)
        pi._execute_work_item(self, wi)
        if not node.wait_for_completion and self.is_active():
            self.trigger_completed()

    def on_work_item_created(self, wi):
        self.process_instance._emit("work_item_created", work_item=wi.to_dict(), node_instance_id=self.id,
                                    node_id=self.node.id)

    def work_item_completed(self, wi):
        if wi.state == WI_COMPLETED:
            self.process_instance._map_outputs(self, self.node.out_associations, wi.results,
                                               setter=lambda k, v: wi.parameters.__setitem__(k, v))
        self.trigger_completed()

    def trigger_completed(self, remove=True, conn_type="DROOLS_DEFAULT"):
        self.process_instance._cancel_timers(self)
        super().trigger_completed(remove, conn_type)

    def cancel(self, cancel_type=ABORTED):
        pi = self.process_instance
        wi = self.work_item()
        if wi is not None and wi.state not in (WI_COMPLETED, WI_ABORTED):
            pi._abort_work_item_internal(self, wi)
        pi._cancel_timers(self)
        super().cancel(cancel_type)

    def extra_state(self):
        return {"work_item_id": self.work_item_id, "timers": list(self.timer_ids)}

    def load_state(self, d):
        super().load_state(d)
        self.work_item_id = d.get("work_item_id")
        self.timer_ids = list(d.get("timers") or [])


class HumanTaskNodeInstance(WorkItemNodeInstance):
    def on_work_item_created(self, wi):
        super().on_work_item_created(wi)
        p = wi.parameters
        self.process_instance._emit(
            "human_task_created", work_item_id=wi.id, node_instance_id=self.id, node_id=self.node.id,
            node_name=self.node.name, task_name=p.get("TaskName"), actor_id=p.get("ActorId"),
            group_id=p.get("GroupId"), priority=p.get("Priority"), skippable=p.get("Skippable"),
            comment=p.get("Comment"), description=p.get("Description"), content=p.get("Content"),
            created_by=p.get("CreatedBy"), locale=p.get("Locale"), business_administrator_id=p.get(
                "BusinessAdministratorId"), business_administrator_group_id=p.get("BusinessAdministratorGroupId"),
            excluded_owner_id=p.get("ExcludedOwnerId"), swimlane=self.node.swimlane,
            parameters=dict(p), data_inputs=dict(self.node.data_inputs), data_outputs=dict(self.node.data_outputs))


class RuleSetNodeInstance(NodeInstance):
    extended = True

    def __init__(self, node, container, pi):
        super().__init__(node, container, pi)
        self.timer_ids = []

    def internal_trigger(self, from_ni, conn_type):
        pi = self.process_instance
        node = self.node
        if node.on_entry:
            self.run_scripts(node.on_entry)
        pi._register_boundary_timers(self)
        inputs = pi._input_parameters(self, dict(node.parameters))
        outputs = None
        if node.language == "DMN":
            pi._emit("dmn_evaluation", namespace=node.dmn_namespace, model=node.dmn_model,
                     decision=node.dmn_decision, inputs=inputs, node_instance_id=self.id)
            hook = pi.env.evaluate_dmn
            if hook is not None:
                outputs = hook(node.dmn_namespace, node.dmn_model, node.dmn_decision, inputs, pi, self)
        else:
            pi._emit("ruleflow_group", group=node.ruleflow_group, inputs=inputs, node_instance_id=self.id)
            hook = pi.env.fire_ruleflow_group
            if hook is not None:
                outputs = hook(node.ruleflow_group, pi, self, inputs)
        if not self.is_active():
            return
        if outputs:
            pi._map_outputs(self, node.out_associations, outputs)
        self.trigger_completed()

    def trigger_completed(self, remove=True, conn_type="DROOLS_DEFAULT"):
        self.process_instance._cancel_timers(self)
        super().trigger_completed(remove, conn_type)

    def cancel(self, cancel_type=ABORTED):
        self.process_instance._cancel_timers(self)
        super().cancel(cancel_type)

    def extra_state(self):
        return {"timers": list(self.timer_ids)}

    def load_state(self, d):
        super().load_state(d)
        self.timer_ids = list(d.get("timers") or [])


class SplitInstance(NodeInstance):
    def internal_trigger(self, from_ni, conn_type):
        pi = self.process_instance
        node = self.node
        t = node.type
        if t == Split.TYPE_AND:
            self.trigger_completed()
            return
        container = self.container
        if t == Split.TYPE_XOR:
            selected = None
            prio = None
            for f in node.outgoing:
                c = f.condition
                if c is None or c.is_default or f.id == node.default_flow:
                    continue
                if prio is None or c.priority < prio:
                    try:
                        ok = pi._eval_condition(c, self, f)
                    except ProcessRuntimeError:
                        raise
                    if ok:
                        selected = f
                        prio = c.priority
            container.remove_node_instance(self)
            if selected is None:
                for f in node.outgoing:
                    if f.id == node.default_flow:
                        selected = f
                        break
            if selected is None:
                raise ProcessRuntimeError(
                    f"XOR split could not find at least one valid outgoing connection for split {node.name}", pi, self)
            self.trigger_connection(selected)
            return
        if t == Split.TYPE_OR:
            container.remove_node_instance(self)
            remaining = [f for f in node.outgoing]
            chosen = []
            found = False
            while remaining:
                best = None
                for f in remaining:
                    c = f.condition
                    if c is not None and not c.is_default and f.id != node.default_flow and \
                            (best is None or c.priority < best.condition.priority):
                        best = f
                if best is None:
                    break
                if pi._eval_condition(best.condition, self, best):
                    chosen.append((self.follow_connection(best), best))
                    found = True
                remaining.remove(best)
            for ni, _f in chosen:
                if pi.state != STATE_ACTIVE:
                    return
                self.trigger_node_instance(ni)
            if not found:
                for f in node.outgoing:
                    if f.id == node.default_flow or (f.condition is not None and f.condition.is_default):
                        self.trigger_connection(f)
                        found = True
                        break
            if not found:
                raise ProcessRuntimeError(
                    f"OR split could not find at least one valid outgoing connection for split {node.name}", pi, self)
            return
        if t == Split.TYPE_XAND:
            container.remove_node_instance(self)
            if not node.outgoing:
                container.node_instance_completed(self)
                return
            targets = [self.follow_connection(f) for f in node.outgoing]
            container.exclusive_groups.append([ni.id for ni in targets])
            for ni in targets:
                if pi.state != STATE_ACTIVE:
                    return
                self.outgoing = ni.node.id
                if not self.hidden:
                    pi._node_log(self, LOG_EXIT, self.outgoing)
                ni.trigger(self)
            return
        raise ProcessRuntimeError(f"Illegal split type {t}", pi, self)


class JoinInstance(NodeInstance):
    def __init__(self, node, container, pi):
        super().__init__(node, container, pi)
        self.triggers = {}

    def internal_trigger(self, from_ni, conn_type):
        node = self.node
        t = node.type
        if t == Join.TYPE_XOR:
            self.trigger_completed()
        elif t == Join.TYPE_AND:
            key = str(from_ni.node.num) if from_ni is not None else "0"
            self.triggers[key] = self.triggers.get(key, 0) + 1
            if self._all_activated():
                for f in node.incoming:
                    k = str(f.source.num)
                    if self.triggers.get(k, 0) <= 1:
                        self.triggers.pop(k, None)
                    else:
                        self.triggers[k] -= 1
                self.trigger_completed()
        elif t == Join.TYPE_OR:
            if not self._active_path_exists():
                self.trigger_completed()
        elif t == Join.TYPE_DISCRIMINATOR:
            first = not self.triggers
            self.triggers[str(from_ni.node.num)] = 1
            if self._all_activated():
                self.triggers = {}
            if first:
                self.trigger_completed()
        else:
            self.trigger_completed()

    def _all_activated(self):
        return all(str(f.source.num) in self.triggers for f in self.node.incoming)

    def _active_path_exists(self):
        target = self.node
        for ni in list(self.container.node_instances):
            if ni is self or ni.node is target:
                continue
            if _reaches(ni.node, target):
                return True
        return False

    def extra_state(self):
        return {"triggers": dict(self.triggers)}

    def load_state(self, d):
        super().load_state(d)
        self.triggers = dict(d.get("triggers") or {})


def _reaches(start, target):
    seen = set()
    stack = [f.target for f in start.outgoing]
    while stack:
        n = stack.pop()
        if n is None or id(n) in seen:
            continue
        if n is target:
            return True
        seen.add(id(n))
        stack.extend(f.target for f in n.outgoing)
    return False


class EventNodeInstance(NodeInstance):
    extended = True

    def internal_trigger(self, from_ni, conn_type):
        if self.node.on_entry:
            self.run_scripts(self.node.on_entry)

    def event_type(self):
        return self.process_instance._resolve(self.node.event_type, self)

    def signal_event(self, type, event):
        var = self.node.variable_name
        if var is not None:
            if self.process_instance._scope_of(self, var) is None:
                raise ProcessRuntimeError(f"Could not find variable for event node: {var}",
                                          self.process_instance, self)
            self.set_variable(var, event)
        self.event_completed(type, event)

    def event_completed(self, type, event):
        self.trigger_completed()


class BoundaryEventNodeInstance(EventNodeInstance):
    def signal_event(self, type, event):
        attached = self._attached(type, event)
        if type and type.startswith("Compensation"):
            self.cancel()
            return
        if attached:
            super().signal_event(type, event)
        else:
            self.cancel()

    def _attached(self, type, event):
        node = self.node
        out = []
        is_timer = type is not None and type.startswith("Timer-")
        for ni in self.process_instance._all_node_instances(self.container):
            if ni.node.id == node.attached_to:
                if is_timer:
                    if ni.id == event:
                        out.append(ni)
                else:
                    out.append(ni)
        return out

    def event_completed(self, type, event):
        pi = self.process_instance
        node = self.node
        attached = self._attached(type, event)
        if node.out_associations:
            for att in (attached or [None]):
                data = {node.out_associations[0].source: event, "nodeInstance": att, "signal": type,
                        "event": event}
                if isinstance(att, WorkItemNodeInstance):
                    data["workItem"] = att.work_item()
                pi._map_outputs(self, node.out_associations, data)
        if node.cancel_activity and attached:
            attached[0].cancel()
        self.trigger_completed()

    def cancel(self, cancel_type=ABORTED):
        # a boundary event that did not fire leaves no trace (jBPM BoundaryEventNodeInstance.cancel)
        if self in self.container.node_instances:
            self.container.remove_node_instance(self)


class TimerNodeInstance(NodeInstance):
    def __init__(self, node, container, pi):
        super().__init__(node, container, pi)
        self.timer_id = None

    def internal_trigger(self, from_ni, conn_type):
        pi = self.process_instance
        t = pi._create_timer(self, self.node.timer, self.node.name, "node")
        self.timer_id = t["id"]

    def timer_fired(self, timer):
        self.trigger_completed(remove=timer.get("period", 0) == 0)

    def cancel(self, cancel_type=ABORTED):
        self.process_instance._cancel_timer(self.timer_id)
        super().cancel(cancel_type)

    def extra_state(self):
        return {"timer_id": self.timer_id}

    def load_state(self, d):
        super().load_state(d)
        self.timer_id = d.get("timer_id")


class StateNodeInstance(NodeInstance):
    """Intermediate conditional event: completes as soon as its condition holds."""
    extended = True

    def internal_trigger(self, from_ni, conn_type):
        self.check()

    def check(self):
        if self.is_active() and self.process_instance._eval_condition(self.node.condition, self, None):
            self.trigger_completed()
            return True
        return False


class CatchLinkNodeInstance(NodeInstance):
    def internal_trigger(self, from_ni, conn_type):
        self.trigger_completed()


class ThrowLinkNodeInstance(NodeInstance):
    def internal_trigger(self, from_ni, conn_type):
        self.trigger_completed()

    def outgoing_flows(self):
        return self.node.outgoing or ([_LinkFlow(self.node.link_target)] if self.node.link_target else [])


class _LinkFlow:
    def __init__(self, target):
        self.target = target
        self.id = None
        self.condition = None


# ---------------------------------------------------------------------------------------------
# containers


class _ContainerMixin:
    """Node instance container behaviour shared by the process instance and composite node instances."""

    def _init_container(self):
        self.node_instances = []
        self.exclusive_groups = []

    def add_node_instance(self, ni):
        if ni.id is None:
            ni.id = self._pi()._next_node_instance_id()
        self.node_instances.append(ni)

    def remove_node_instance(self, ni):
        if ni in self.node_instances:
            self.node_instances.remove(ni)

    def create_node_instance(self, node, wrap=True):
        if isinstance(node, Join):
            for ni in self.node_instances:
                if ni.node is node:
                    return ni
        if wrap and _use_async(node, self._pi()):
            ni = AsyncNodeInstance(node, self, self._pi())
            self.add_node_instance(ni)
            return ni
        cls = _NI_CLASSES.get(type(node))
        if cls is None:
            for base, c in _NI_CLASSES.items():
                if isinstance(node, base):
                    cls = c
                    break
        if cls is None:
            raise ProcessRuntimeError(f"Illegal node type: {type(node).__name__}", self._pi())
        ni = cls(node, self, self._pi())
        self.add_node_instance(ni)
        return ni

    def leave_exclusive_group(self, ni):
        for group in list(self.exclusive_groups):
            if ni.id in group:
                self.exclusive_groups.remove(group)
                for other in list(self.node_instances):
                    if other is not ni and other.id in group:
                        other.cancel(OBSOLETE)

    def container_nodes(self):
        raise NotImplementedError

    def signal_container(self, type, event):
        """Deliver an event to the nodes of this container (jBPM WorkflowProcessInstanceImpl.signal)."""
        pi = self._pi()
        view = list(self.node_instances)
        for node in self.container_nodes():
            if not pi._accepts(node, type, self):
                continue
            if isinstance(node, BoundaryEventNode):
                ni = self.create_node_instance(node)
                ni.signal_event(type, event)
            elif isinstance(node, EventSubProcessNode):
                ni = self.create_node_instance(node)
                ni.signal_event(type, event)
            else:
                for ni in [x for x in view if x.node is node]:
                    if ni in self.node_instances or isinstance(ni, _ContainerMixin):
                        ni.signal_event(type, event)


class CompositeNodeInstance(NodeInstance, _ContainerMixin):
    """Embedded sub-process (CompositeContextNodeInstance): own node instances and variable scope."""
    extended = True

    def __init__(self, node, container, pi):
        NodeInstance.__init__(self, node, container, pi)
        self._init_container()
        self.variables = {}
        self.timer_ids = []
        self.state = STATE_ACTIVE

    def _pi(self):
        return self.process_instance

    def container_state(self):
        return self.state if self.process_instance.state == STATE_ACTIVE else self.process_instance.state

    def container_nodes(self):
        return self.node.nodes

    def internal_trigger(self, from_ni, conn_type):
        pi = self.process_instance
        if self.node.on_entry:
            self.run_scripts(self.node.on_entry)
        if not self.is_active():
            return
        pi._register_boundary_timers(self)
        if not self.is_active():
            return
        found = False
        for n in self.node.nodes:
            if isinstance(n, StartNode) and not n.triggers and n.timer is None:
                ni = self.create_node_instance(n)
                ni.trigger(None, None)
                found = True
        if not found and not isinstance(self.node, DynamicNode):
            raise ProcessRuntimeError(f"Could not find start for composite node: {self.node.name}", pi, self)

    def node_instance_completed(self, ni, out_type=None):
        if ni.node is not None and ni.node.metadata.get("isForCompensation"):
            return
        if isinstance(ni, (EndNodeInstance, FaultNodeInstance, EventSubProcessNodeInstance)):
            if self.node.auto_complete and not self.node_instances:
                self.composite_completed()
        elif not isinstance(self.node, DynamicNode):
            raise ProcessRuntimeError("Completing a node instance that has no outgoing connection not supported.",
                                      self.process_instance, ni)

    def composite_completed(self):
        pi = self.process_instance
        pi._cancel_timers(self)
        cancel_remaining = getattr(self.node, "cancel_remaining_instances", True)
        self.trigger_completed(remove=cancel_remaining)
        if cancel_remaining:
            while self.node_instances:
                self.node_instances[0].cancel(OBSOLETE)

    def trigger_completed(self, remove=True, conn_type="DROOLS_DEFAULT"):
        self.process_instance._cancel_timers(self)
        super().trigger_completed(remove, conn_type)

    def set_container_state(self, state):
        self.state = state
        if state == STATE_ABORTED:
            self.cancel()

    def cancel(self, cancel_type=ABORTED):
        while self.node_instances:
            self.node_instances[0].cancel(cancel_type)
        self.process_instance._cancel_timers(self)
        NodeInstance.cancel(self, cancel_type)

    def signal_event(self, type, event):
        self.signal_container(type, event)

    def extra_state(self):
        return {"children": [c.to_state() for c in self.node_instances],
                "variables": {k: encode(v) for k, v in self.variables.items()},
                "timers": list(self.timer_ids), "groups": [list(g) for g in self.exclusive_groups],
                "state": self.state}

    def load_state(self, d):
        super().load_state(d)
        pi = self.process_instance
        self.variables = {k: decode(v, pi.definition.types) for k, v in (d.get("variables") or {}).items()}
        self.timer_ids = list(d.get("timers") or [])
        self.exclusive_groups = [list(g) for g in d.get("groups") or []]
        self.state = d.get("state", STATE_ACTIVE)
        for cd in d.get("children") or []:
            self.node_instances.append(pi._load_node_instance(cd, self))


class EventSubProcessNodeInstance(CompositeNodeInstance):
    def internal_trigger(self, from_ni, conn_type):
        # timer event sub-processes are triggered at process start to schedule their timers
        pi = self.process_instance
        for n in self.node.nodes:
            if isinstance(n, StartNode) and n.timer is not None:
                t = pi._create_timer(self, n.timer, n.name, "event_subprocess")
                self.timer_ids.append(t["id"])

    def signal_event(self, type, event):
        pi = self.process_instance
        if self in self.container.node_instances or (type or "").startswith("Error-") or type == "timerTriggered":
            if not self.node_instances:
                start = next((n for n in self.node.nodes if isinstance(n, StartNode)), None)
                accepted = type == "timerTriggered" or type in [pi._resolve(e, self) for e in self.node.event_types]
                if start is not None and accepted:
                    sni = self.create_node_instance(start)
                    sni.signal_event(type, event)
                    return
        self.signal_container(type, event)

    def node_instance_completed(self, ni, out_type=None):
        pi = self.process_instance
        if isinstance(ni, EndNodeInstance):
            start = next((n for n in self.node.nodes if isinstance(n, StartNode)), None)
            interrupting = start is not None and start.interrupting
            if interrupting:
                pi.metadata["SUB_PROCESS_INTERRUPTION"] = True
            self.trigger_completed(remove=True)
            if interrupting:
                fault = pi.outcome or ""
                if start.metadata.get("FaultCode") is not None:
                    fault = start.metadata.get("FaultCode")
                pi.metadata.pop("SUB_PROCESS_INTERRUPTION", None)
                if isinstance(self.container, ProcessInstance):
                    pi.set_state(STATE_ABORTED, outcome=fault, fault_data=pi.variables.get("event"))
                else:
                    self.container.set_container_state(STATE_ABORTED)
        elif isinstance(ni, FaultNodeInstance):
            pass
        else:
            raise ProcessRuntimeError("Completing a node instance that has no outgoing connection not supported.",
                                      pi, ni)

    def timer_fired(self, timer):
        self.signal_event("timerTriggered", timer)


class DynamicNodeInstance(CompositeNodeInstance):
    """Ad-hoc sub-process: fragments start on their own or by a signal carrying their name."""

    def internal_trigger(self, from_ni, conn_type):
        pi = self.process_instance
        if self.node.on_entry:
            self.run_scripts(self.node.on_entry)
        pi._register_boundary_timers(self)
        for n in self.node.nodes:
            if not n.incoming and (str(n.metadata.get("customAutoStart", "")).lower() == "true"
                                   or (isinstance(n, StartNode) and n.is_none_start)):
                self.create_node_instance(n).trigger(None)
        self._check_completion()

    def signal_event(self, type, event):
        for n in self.node.nodes:
            if n.name == type and not n.incoming and not isinstance(n, (BoundaryEventNode, StartNode)):
                ni = self.create_node_instance(n)
                if isinstance(event, dict):
                    ni.dynamic_parameters = dict(event)
                elif event is not None:
                    ni.dynamic_parameters = {"Data": event}
                ni.trigger(None)
                self._check_completion()
                return
        self.signal_container(type, event)

    def node_instance_completed(self, ni, out_type=None):
        self._check_completion()

    def _check_completion(self):
        if not self.is_active():
            return
        pi = self.process_instance
        cond = self.node.completion_condition
        if cond is not None:
            if pi._eval_condition(cond, self, None):
                self.composite_completed()
        elif self.node.auto_complete and not self.node_instances:
            self.composite_completed()


class ForEachNodeInstance(CompositeNodeInstance):
    """Multi-instance activity.  Mirrors jBPM's ForEachNodeInstance structure, including the hidden
    composite-start / split / join / composite-end node instances that consume node instance ids."""

    def __init__(self, node, container, pi):
        super().__init__(node, container, pi)
        self.sequential_counter = 0
        self.join_id = None
        self.output = None

    def internal_trigger(self, from_ni, conn_type):
        pi = self.process_instance
        if self.node.on_entry:
            self.run_scripts(self.node.on_entry)
        pi._register_boundary_timers(self)
        if not self.is_active():
            return
        pi._next_node_instance_id()   # CompositeNodeStart (hidden)
        pi._next_node_instance_id()   # ForEachSplit (hidden)
        collection = self._collection()
        if not collection:
            self.foreach_completed()
            return
        node = self.node
        items = collection[:1] if node.sequential else collection
        created = []
        for item in items:
            created.append(self._new_iteration(item))
        if node.sequential:
            self.sequential_counter += 1
        for comp in created:
            comp.trigger(None)

    def _collection(self):
        pi = self.process_instance
        expr = self.node.collection_expression
        if expr is None:
            return []
        scope = pi._scope_of(self, expr)
        if scope is not None:
            value = scope.get(expr)
        else:
            try:
                value = scripting.eval_expression(expr, pi._env_for(self), pi.definition, f"{pi.process_id}:{self.node.id}")
            except Exception as e:  # noqa: BLE001
                raise ProcessRuntimeError(f"Could not find collection {expr}", pi, self, e) from None
        if value is None:
            return []
        if isinstance(value, dict):
            return list(value.keys())
        if isinstance(value, (list, tuple, set)):
            return list(value)
        raise ProcessRuntimeError(f"Unexpected collection type: {type(value).__name__}", pi, self)

    def _new_iteration(self, item):
        comp = _ForEachIteration(self.node, self, self.process_instance)
        self.add_node_instance(comp)
        var = self.node.variable_name
        if var:
            comp.set_local(var, _coerce_in(item, self.node.variable_type))
        return comp

    def iteration_completed(self, comp, inner_ni):
        pi = self.process_instance
        node = self.node
        self.remove_node_instance(comp)
        while comp.node_instances:
            comp.node_instances[0].cancel(OBSOLETE)
        if self.join_id is None:
            self.join_id = pi._next_node_instance_id()   # ForEachJoin (hidden, reused)
        temp = {}
        if node.output_variable_name is not None:
            if self.output is None:
                self.output = []
            value = comp.variables.get(node.output_variable_name)
            self.output.append(value)
            self._set_scope_var("foreach_output", list(self.output))
            temp[node.output_variable_name] = value
            if node.output_collection_expression:
                temp[node.output_collection_expression] = self.output
        met = False
        if node.completion_condition is not None:
            env = pi._env_for(self)
            env.update(temp)
            met = pi._eval_condition(node.completion_condition, self, None, env=env)
        if node.sequential and not met:
            collection = self._collection()
            if len(collection) > self.sequential_counter:
                nxt = self._new_iteration(collection[self.sequential_counter])
                self.sequential_counter += 1
                nxt.trigger(None)
        others = [x for x in self.node_instances if isinstance(x, _ForEachIteration)]
        if not others or met:
            out_name = node.output_collection_expression
            if out_name:
                current = self.get_variable(out_name)
                collected = list(self.output or [])
                if isinstance(current, list):
                    current = list(current) + collected
                else:
                    current = collected
                self.set_variable(out_name, current)
            self.join_id = None
            pi._next_node_instance_id()   # CompositeNodeEnd of the ForEach (hidden)
            self.foreach_completed()

    def _set_scope_var(self, name, value):
        pi = self.process_instance
        old = self.variables.get(name)
        if old is None and value is None:
            return
        pi._variable_event(self, name, old, value, local=True)
        self.variables[name] = value

    def foreach_completed(self):
        self.process_instance._cancel_timers(self)
        self.trigger_completed(remove=True)
        while self.node_instances:
            self.node_instances[0].cancel(OBSOLETE)

    def node_instance_completed(self, ni, out_type=None):
        pass

    def signal_event(self, type, event):
        for comp in list(self.node_instances):
            if isinstance(comp, _ForEachIteration):
                comp.signal_container(type, event)
        self.signal_container(type, event)

    def container_nodes(self):
        return [n for n in self.node.nodes if isinstance(n, (BoundaryEventNode, EventSubProcessNode))]

    def extra_state(self):
        d = super().extra_state()
        d.update({"seq": self.sequential_counter, "join_id": self.join_id,
                  "output": encode(self.output) if self.output is not None else None})
        return d

    def load_state(self, d):
        super().load_state(d)
        self.sequential_counter = d.get("seq", 0)
        self.join_id = d.get("join_id")
        out = d.get("output")
        self.output = decode(out, self.process_instance.definition.types) if out is not None else None


class _ForEachIteration(CompositeNodeInstance):
    """The hidden "ForEachComposite" instance of one item (own scope holding the item variable)."""
    hidden = True

    def __init__(self, node, container, pi):
        super().__init__(node, container, pi)

    def set_local(self, name, value):
        pi = self.process_instance
        old = self.variables.get(name)
        if old is None and value is None:
            return
        pi._variable_event(self, name, old, value, local=True)
        self.variables[name] = value

    def declares(self, name):
        fe = self.node
        return name in (fe.variable_name, fe.output_variable_name)

    def internal_trigger(self, from_ni, conn_type):
        pi = self.process_instance
        pi._next_node_instance_id()   # CompositeNodeStart of the iteration (hidden)
        inner = self.create_node_instance(self.node.inner)
        inner.trigger(None)

    def node_instance_completed(self, ni, out_type=None):
        # the inner node completed (it has no outgoing connections inside the iteration)
        self.process_instance._next_node_instance_id()   # CompositeNodeEnd (hidden)
        self.container.iteration_completed(self, ni)

    def container_nodes(self):
        inner = self.node.inner
        return [inner] if inner is not None else []

    def to_state(self):
        d = super().to_state()
        d["iteration"] = True
        return d


class SubProcessNodeInstance(NodeInstance):
    """Call activity: asks the runtime to start the child and waits for its completion."""
    extended = True

    def __init__(self, node, container, pi):
        super().__init__(node, container, pi)
        self.child_instance_id = None
        self.timer_ids = []

    def internal_trigger(self, from_ni, conn_type):
        pi = self.process_instance
        node = self.node
        if node.on_entry:
            self.run_scripts(node.on_entry)
        if not self.is_active():
            return
        pi._register_boundary_timers(self)
        if not self.is_active():
            return
        params = {}
        for a in node.in_associations:
            src = a.source
            if src is None:
                continue
            scope = pi._scope_of(self, src)
            if scope is not None:
                value = scope.get(src)
            else:
                try:
                    value = scripting.eval_expression(src, pi._env_for(self), pi.definition)
                except Exception:  # noqa: BLE001
                    value = pi._resolve(src, self)
            if value is not None:
                params[a.target] = value
        mi_input = node.metadata.get("MICollectionInput")
        if mi_input is not None:
            params.pop(mi_input, None)
        process_id = pi._resolve(node.called_element or node.process_name or "", self)
        pi._emit("subprocess_requested", node_instance_id=self.id, node_id=node.id, called_process_id=process_id,
                 variables=params, independent=node.independent, wait_for_completion=node.wait_for_completion,
                 parent_process_instance_id=pi.id, correlation_key=pi.correlation_key)
        hook = pi.env.start_subprocess
        result = None
        if hook is not None:
            result = hook(pi, self, process_id, params, node.independent, node.wait_for_completion,
                          pi.correlation_key)
        if result is not None:
            self.child_instance_id = result.instance_id if isinstance(result, SubProcessResult) else result
        if not node.wait_for_completion:
            if self.is_active():
                self.trigger_completed()
        elif isinstance(result, SubProcessResult) and result.state in (STATE_COMPLETED, STATE_ABORTED):
            self.child_completed(result.state, result.variables, result.outcome, result.fault_data)

    def child_completed(self, state, variables, outcome=None, fault_data=None):
        pi = self.process_instance
        node = self.node
        variables = variables or {}
        for a in node.out_associations:
            src = a.source
            if src is None or a.target is None:
                continue
            scope = pi._scope_of(self, a.target)
            if scope is None:
                continue
            value = variables.get(src)
            if value is None and src not in variables:
                try:
                    value = scripting.eval_expression(src, dict(variables), pi.definition)
                except Exception:  # noqa: BLE001
                    value = None
            pi._set_variable(self, a.target, value)
        if state == STATE_ABORTED:
            fault = outcome or ""
            if self._handle_error(fault_data, fault):
                return
        if self.is_active():
            self.trigger_completed()

    def _handle_error(self, data, fault):
        pi = self.process_instance
        node = self.node
        handler = pi._find_exception_handler(self, fault)
        if handler is not None:
            pi._handle_exception(handler, fault, data)
            if not node.independent and node.abort_parent and self.is_active():
                self.cancel()
            return True
        if not node.independent and node.abort_parent:
            pi.set_state(STATE_ABORTED, outcome=fault)
            return True
        return False

    def trigger_completed(self, remove=True, conn_type="DROOLS_DEFAULT"):
        self.process_instance._cancel_timers(self)
        super().trigger_completed(remove, conn_type)

    def cancel(self, cancel_type=ABORTED):
        pi = self.process_instance
        pi._cancel_timers(self)
        super().cancel(cancel_type)
        if not self.node.independent and self.child_instance_id is not None:
            pi._emit("subprocess_abort_requested", child_process_instance_id=self.child_instance_id,
                     node_instance_id=self.id)
            if pi.env.abort_subprocess is not None:
                pi.env.abort_subprocess(pi, self.child_instance_id)

    def extra_state(self):
        return {"child": self.child_instance_id, "timers": list(self.timer_ids)}

    def load_state(self, d):
        super().load_state(d)
        self.child_instance_id = d.get("child")
        self.timer_ids = list(d.get("timers") or [])


class MilestoneNodeInstance(StateNodeInstance):
    pass


class AsyncNodeInstance(NodeInstance):
    """jBPM's AsyncEventNodeInstance: a node marked customAsync first waits here (hidden; logged once as
    ASYNC_ENTER with node type AsyncEventNode) until the runtime's job calls continue_async(token); then the
    real node instance is created and triggered."""
    hidden = True

    def __init__(self, node, container, pi):
        super().__init__(node, container, pi)
        self.token = None

    def internal_trigger(self, from_ni, conn_type):
        pi = self.process_instance
        self.token = uuid.uuid4().hex
        ev = pi._node_log(self, LOG_ASYNC_ENTER, self.incoming)
        ev["node_type"] = "AsyncEventNode"
        pi._emit("async", token=self.token, node_instance_id=self.id, node_id=self.node.id,
                 node_name=self.node.name)

    def resume(self):
        container = self.container
        container.remove_node_instance(self)
        real = container.create_node_instance(self.node, wrap=False)
        real.incoming = self.incoming
        real.trigger(None)

    def extra_state(self):
        return {"async": self.token}

    def load_state(self, d):
        super().load_state(d)
        self.token = d.get("async")


def _use_async(node, pi):
    """WorkflowProcessInstanceImpl.useAsync: action, state-based and end nodes marked customAsync."""
    if not pi.env.async_enabled or isinstance(node, EventSubProcessNode):
        return False
    if not isinstance(node, (ActionNode, WorkItemNode, SubProcessNode, RuleSetNode, TimerNode, EndNode)):
        return False
    return str(node.metadata.get("customAsync") or "").strip().lower() == "true"


_NI_CLASSES = {
    StartNode: StartNodeInstance, EndNode: EndNodeInstance, FaultNode: FaultNodeInstance,
    ActionNode: ActionNodeInstance, HumanTaskNode: HumanTaskNodeInstance, WorkItemNode: WorkItemNodeInstance,
    RuleSetNode: RuleSetNodeInstance, Split: SplitInstance, Join: JoinInstance,
    BoundaryEventNode: BoundaryEventNodeInstance, EventNode: EventNodeInstance, TimerNode: TimerNodeInstance,
    StateNode: StateNodeInstance, CatchLinkNode: CatchLinkNodeInstance, ThrowLinkNode: ThrowLinkNodeInstance,
    EventSubProcessNode: EventSubProcessNodeInstance, DynamicNode: DynamicNodeInstance,
    CompositeContextNode: CompositeNodeInstance, ForEachNode: ForEachNodeInstance,
    SubProcessNode: SubProcessNodeInstance, MilestoneNode: MilestoneNodeInstance,
}


def _coerce_in(value, java_type, name=None):
    """Type conversion of a value entering a typed variable (jBPM validateVariable + the team rule:
    numbers and strings are converted to the declared Java type; a string that is no such value is
    refused with VariableViolationError when the variable is named)."""
    if value is None or java_type in _OBJECT_TYPES:
        return value
    base = java_type.split("<", 1)[0]
    try:
        if isinstance(value, str) and base not in ("java.lang.String", "String"):
            if base in _NUMERIC_TYPES or base in ("java.lang.Boolean", "Boolean", "boolean", "java.util.Date",
                                                  "Date", "java.lang.Character", "Character"):
                try:
                    return coerce(value, base)
                except (ConversionError, ValueError, TypeError, ArithmeticError) as e:
                    if name is None:
                        raise
                    raise VariableViolationError(
                        f"Variable '{name}' of type {java_type}: cannot convert '{value}' ({e})") from None
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool) and base in _NUMERIC_TYPES:
            return coerce(value, base)
        if base in ("java.lang.String", "String") and isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
    except (ConversionError, ValueError, TypeError, ArithmeticError):
        return value
    return value


# =============================================================================================
# Process instance


class ProcessInstance(_ContainerMixin):
    """A running process: variables, active node instances, pending work items and timers."""

    def __init__(self, definition: ProcessDefinition, env: Environment | None = None):
        self._init_container()
        self.definition = definition
        self.env = env or _DEFAULT_ENV
        self.id = None
        self.process_id = definition.id
        self.state = STATE_PENDING
        self.variables = {}
        self.parent_instance_id = -1
        self.parent_node_instance_id = None
        self.correlation_key = None
        self.initiator = None
        self.description = None
        self.outcome = None
        self.fault_data = None
        self.signal_completion = False
        self.metadata = {}
        self.work_items: dict[int, WorkItem] = {}
        self.timers: dict[int, dict] = {}
        self.completed_node_ids = []
        self.node_instance_counter = -1
        self.counters = {"work_item": 0, "timer": 0}
        self.events: list[dict] = []
        self.start_date = None
        self.sla_compliance = 0

    # -- container protocol --------------------------------------------------------------------
    def _pi(self):
        return self

    def container_state(self):
        return self.state

    def container_nodes(self):
        return self.definition.nodes

    def node_instance_completed(self, ni, out_type=None):
        node = ni.node
        if node is not None and node.metadata.get("isForCompensation"):
            return
        if isinstance(ni, (FaultNodeInstance, EndNodeInstance, CompositeNodeInstance)) or self.definition.dynamic:
            if self.definition.auto_complete and self._can_complete():
                self.set_state(STATE_COMPLETED)
        else:
            raise ProcessRuntimeError("Completing a node instance that has no outgoing connection is not supported.",
                                      self, ni)

    def _can_complete(self):
        if not self.node_instances:
            return True
        return all(isinstance(ni, EventSubProcessNodeInstance) and not ni.node_instances
                   for ni in self.node_instances)

    def set_container_state(self, state):
        self.set_state(state)

    def _next_node_instance_id(self):
        self.node_instance_counter += 1
        return self.node_instance_counter

    def _allocate(self, kind):
        v = self.env.allocate_id(kind)
        if v is None:
            self.counters[kind] = self.counters.get(kind, 0) + 1
            v = self.counters[kind]
        return v

    # -- events --------------------------------------------------------------------------------
    def _emit(self, type, **fields):
        ev = {"type": type, "process_instance_id": self.id, "process_id": self.process_id}
        ev.update(fields)
        self.events.append(ev)
        return ev

    def drain_events(self):
        out, self.events = self.events, []
        return out

    def _node_log(self, ni, log_type, connection):
        node = ni.node
        cont = ni.container
        container_id = None
        if isinstance(cont, _ForEachIteration):
            container_id = f"{cont.node.id}:foreach:composite"
        elif isinstance(cont, NodeInstance):
            container_id = cont.node.id
        node_type = node.jbpm_type
        return self._emit("node", log_type=log_type, node_instance_id=ni.id, node_id=node.id, node_name=node.name,
                          node_type=node_type, connection=connection,
                          work_item_id=getattr(ni, "work_item_id", None),
                          reference_id=getattr(ni, "child_instance_id", None), node_container_id=container_id,
                          date=self.env.now())

    def _variable_event(self, owner, name, old, new, local=False):
        var_id = name
        inst_id = name
        if local and isinstance(owner, NodeInstance):
            prefix = _numeric_path(owner)
            var_id = f"{prefix}:{name}"
            inst_id = f"{owner.unique_instance_id()}:{name}"
        self._emit("variable", variable_id=var_id, variable_instance_id=inst_id, name=name, old_value=old,
                   new_value=new, date=self.env.now())

    # -- variables -----------------------------------------------------------------------------
    def _scope_of(self, ni, name):
        """The dict holding a *declared* variable as seen from node instance `ni` (None if undeclared)."""
        c = ni.container if ni is not None else self
        if isinstance(ni, CompositeNodeInstance) and ni.node.find_variable(name) is not None:
            return ni.variables
        while isinstance(c, NodeInstance):
            if isinstance(c, _ForEachIteration):
                if c.declares(name):
                    return c.variables
            elif isinstance(c, CompositeNodeInstance) and c.node.find_variable(name) is not None:
                return c.variables
            c = c.container
        if self.definition.find_variable(name) is not None:
            return self.variables
        return None

    def _owner_of_scope(self, ni, name):
        c = ni.container if ni is not None else self
        if isinstance(ni, CompositeNodeInstance) and ni.node.find_variable(name) is not None:
            return ni
        while isinstance(c, NodeInstance):
            if isinstance(c, _ForEachIteration):
                if c.declares(name):
                    return c
            elif isinstance(c, CompositeNodeInstance) and c.node.find_variable(name) is not None:
                return c
            c = c.container
        return self

    def _get_variable(self, ni, name):
        scope = self._scope_of(ni, name)
        if scope is not None and scope is not self.variables:
            v = scope.get(name)
            if v is not None:
                return v
        v = self.variables.get(name)
        if v is not None:
            return v
        if name == "processInstanceId":
            return self.id
        if name == "parentProcessInstanceId":
            return self.parent_instance_id
        g = self.env.globals.get(name)
        if g is not None:
            return g
        return None

    def _set_variable(self, ni, name, value, coerce_type=True):
        owner = self._owner_of_scope(ni, name)
        if owner is self:
            self._set_process_variable(name, value, coerce_type)
            return
        scope = owner.variables
        old = scope.get(name)
        if old is None and value is None:
            return
        decl = owner.node.find_variable(name) if isinstance(owner, CompositeNodeInstance) and \
            not isinstance(owner, _ForEachIteration) else None
        if coerce_type and decl is not None:
            value = _coerce_in(value, decl.type, name)
        self._check_readonly(name, old, value, decl)
        self._variable_event(owner, name, old, value, local=True)
        scope[name] = value
        self._after_variable_change()

    def _set_process_variable(self, name, value, coerce_type=True):
        old = self.variables.get(name)
        if old is None and value is None:
            return
        decl = self.definition.find_variable(name)
        if coerce_type and decl is not None:
            value = _coerce_in(value, decl.type, name)
        self._check_readonly(name, old, value, decl)
        self._variable_event(self, name, old, value)
        self.variables[name] = value
        self._after_variable_change()

    def _check_readonly(self, name, old, value, decl):
        if decl is not None and old is not None and "readonly" in decl.tags and old != value:
            raise VariableViolationError(f"Variable '{name}' is already set and is marked as read only", self)

    def _after_variable_change(self):
        if self._has_state_nodes:
            self._check_conditions()

    @property
    def _has_state_nodes(self):
        return any(isinstance(ni, StateNodeInstance) for ni in self._all_node_instances(self))

    def _check_conditions(self):
        if getattr(self, "_checking", False) or self.state != STATE_ACTIVE:
            return
        self._checking = True
        try:
            for ni in list(self._all_node_instances(self)):
                if isinstance(ni, StateNodeInstance) and ni.is_active():
                    ni.check()
        finally:
            self._checking = False

    def get_variable(self, name):
        """A process-level variable (REST getProcessInstanceVariable)."""
        return self._get_variable(None, name)

    def set_variable(self, name, value):
        """Set a process-level variable (REST setProcessVariable); typed per its declaration."""
        self._set_process_variable(name, value)

    def set_variables(self, values):
        for k, v in (values or {}).items():
            self._set_process_variable(k, v)

    def all_variables(self):
        return dict(self.variables)

    def _env_for(self, ni):
        """Script environment: visible variables (outer to inner), globals, kcontext."""
        env = {}
        for k, v in self.env.globals.items():
            env[k] = v
        for vd in self.definition.variables:
            env[vd.name] = None
        env.update(self.variables)
        chain = []
        c = ni if isinstance(ni, CompositeNodeInstance) else (ni.container if ni is not None else None)
        while isinstance(c, NodeInstance):
            chain.append(c)
            c = c.container
        for c in reversed(chain):
            if isinstance(c, _ForEachIteration):
                for n in (c.node.variable_name, c.node.output_variable_name):
                    if n:
                        env[n] = None
            elif isinstance(c, CompositeNodeInstance):
                for vd in c.node.variables:
                    env[vd.name] = None
            env.update(c.variables)
        env["kcontext"] = env["context"] = KContext(self, ni)
        env.setdefault("insert", self._insert_hook)
        env["processInstanceId"] = self.id
        env["__out__"] = self.env.write
        return env

    def _insert_hook(self, obj):
        hook = self.env.insert_fact
        if hook is None:
            raise ScriptError("insert() needs a rule session (no runtime hook installed)")
        return hook(obj, self)

    def _resolve(self, text, ni):
        """#{...} interpolation with the visible variables (jBPM resolveVariable)."""
        if not isinstance(text, str) or "#{" not in text:
            return text

        def resolve(name):
            if self._scope_of(ni, name) is not None or name in self.variables:
                return self._get_variable(ni, name)
            try:
                return scripting.eval_expression(name, self._env_for(ni), self.definition)
            except Exception:  # noqa: BLE001 - jBPM logs and keeps the placeholder value ""
                return None
        return scripting.interpolate(text, resolve)

    # -- scripts and conditions ----------------------------------------------------------------
    def _run_script(self, script, ni, raise_java=False):
        if script.dialect not in ("java", "mvel"):
            raise ProcessRuntimeError(f"unsupported script dialect {script.dialect}", self, ni)
        if not script.text.strip():
            return
        src = f"{self.process_id}:{ni.node.id if ni is not None else ''}"
        try:
            block = scripting.compile_script(script, self.definition, src)
        except ScriptError as e:
            raise ProcessRuntimeError(f"script compile error: {e.message}", self, ni, e) from None
        env = self._env_for(ni)
        before = {k: env[k] for k in block.assigned if k in env}
        try:
            block(env)
        except JavaException as e:
            if raise_java:
                raise
            raise ProcessRuntimeError(f"Unable to execute Action: {e}", self, ni, e) from None
        except (ExpressionRuntimeError, ScriptError) as e:
            raise ProcessRuntimeError(f"Unable to execute Action: {e}", self, ni, e) from None
        if script.dialect == "mvel":
            for name in block.assigned:
                if name in before and env.get(name) is not before[name]:
                    self._set_variable(ni, name, env[name])

    def _eval_condition(self, cond, ni, flow, env=None):
        src = f"{self.process_id}:{flow.id if flow is not None else (ni.node.id if ni else '')}"
        if getattr(cond, "type", "code") == "rule":
            raise ProcessRuntimeError("rule constraints on sequence flows are not supported", self, ni)
        try:
            kind, compiled = scripting.compile_condition(cond, self.definition, src)
        except ScriptError as e:
            raise ProcessRuntimeError(f"condition compile error: {e.message}", self, ni, e) from None
        if env is None:
            env = self._env_for(ni)
        try:
            result = compiled(env)
        except (ExpressionRuntimeError, JavaException) as e:
            name = ni.node.name if ni is not None else ""
            raise ProcessRuntimeError(f"Exception when trying to evaluate constraint {getattr(cond, 'name', '')} in split {name}: {e}",
                                      self, ni, e) from None
        if not isinstance(result, bool):
            if result is None:
                raise ProcessRuntimeError(f"Constraint {getattr(cond, 'name', '')} did not return a boolean value", self, ni)
            result = bool(result)
        return result

    # -- data mapping --------------------------------------------------------------------------
    def _input_parameters(self, ni, params):
        for a in ni.node.in_associations:
            if a.transformation is not None:
                lang, expr = a.transformation
                try:
                    env = self._env_for(ni)
                    value = scripting.eval_expression(expr.strip(), env, self.definition)
                except Exception as e:  # noqa: BLE001
                    raise ProcessRuntimeError(f"transformation failed: {e}", self, ni) from None
                if value is not None:
                    params[a.target] = value
            elif not a.assignments:
                src = a.source
                if src is None:
                    continue
                if self._scope_of(ni, src) is not None or src in self.variables:
                    value = self._get_variable(ni, src)
                else:
                    try:
                        value = scripting.eval_expression(src, self._env_for(ni), self.definition)
                    except Exception:  # noqa: BLE001 - jBPM logs and continues without the parameter
                        log.warning("Could not find variable scope for variable %s", src)
                        value = None
                if value is not None:
                    params[a.target] = value
            else:
                for asg in a.assignments:
                    frm = (asg.from_expr or "").strip()
                    m = scripting.PARAM_RE.fullmatch(frm)
                    expr = m.group(1) if m else frm
                    target = asg.to_expr or a.target
                    tm = scripting.PARAM_RE.fullmatch((target or "").strip())
                    if tm:
                        target = tm.group(1)
                    try:
                        if self._scope_of(ni, expr) is not None:
                            value = self._get_variable(ni, expr)
                        else:
                            value = scripting.eval_expression(expr, self._env_for(ni), self.definition)
                    except Exception as e:  # noqa: BLE001
                        raise ProcessRuntimeError(f"unable to execute Assignment: {e}", self, ni) from None
                    params[a.target if a.target else target] = value
        # string replacement of #{...} in every string parameter
        for k, v in list(params.items()):
            if isinstance(v, str) and "#{" in v:
                params[k] = self._resolve(v, ni)
        return params

    def _work_item_parameters(self, ni):
        params = dict(ni.node.parameters)
        dyn = getattr(ni, "dynamic_parameters", None)
        if dyn:
            params.update(dyn)
        return self._input_parameters(ni, params)

    def _map_outputs(self, ni, associations, data, setter=None):
        for a in associations:
            if a.transformation is not None:
                lang, expr = a.transformation
                try:
                    value = scripting.eval_expression(expr.strip(), dict(data), self.definition)
                except Exception as e:  # noqa: BLE001
                    raise ProcessRuntimeError(f"transformation failed: {e}", self, ni) from None
                if self._scope_of(ni, a.target) is not None and value is not None:
                    self._set_variable(ni, a.target, value)
                if value is not None and setter:
                    setter(a.target, value)
            elif not a.assignments:
                target = a.target
                if target is None:
                    continue
                tm = scripting.PARAM_RE.fullmatch(target.strip())
                if tm:
                    self._assign_path(ni, tm.group(1), data.get(a.source))
                    continue
                if self._scope_of(ni, target) is None:
                    log.warning("Could not find variable scope for variable %s", target)
                    continue
                value = data.get(a.source) if a.source is not None else None
                if value is None and a.source is not None and a.source not in data:
                    try:
                        value = scripting.eval_expression(a.source, dict(data), self.definition)
                    except Exception:  # noqa: BLE001
                        value = None
                self._set_variable(ni, target, value)
            else:
                for asg in a.assignments:
                    frm = (asg.from_expr or a.source or "").strip()
                    m = scripting.PARAM_RE.fullmatch(frm)
                    frm = m.group(1) if m else frm
                    value = data.get(frm)
                    if value is None and frm not in data:
                        try:
                            value = scripting.eval_expression(frm, dict(data), self.definition)
                        except Exception:  # noqa: BLE001
                            value = None
                    to = (asg.to_expr or a.target or "").strip()
                    tm = scripting.PARAM_RE.fullmatch(to)
                    to = tm.group(1) if tm else to
                    if "." in to or "[" in to:
                        self._assign_path(ni, to, value)
                    elif to:
                        self._set_variable(ni, to, value)

    def _assign_path(self, ni, path, value):
        env = self._env_for(ni)
        env["__value__"] = value
        try:
            scripting.run_block(f"{path} = __value__;", env, self.definition)
        except Exception as e:  # noqa: BLE001
            raise ProcessRuntimeError(f"unable to assign {path}: {e}", self, ni) from None
        root = path.split(".", 1)[0].split("[", 1)[0]
        if "." not in path and "[" not in path:
            self._set_variable(ni, root, value)

    # -- work items ----------------------------------------------------------------------------
    def _execute_work_item(self, ni, wi):
        handler = self.env.handlers.get(wi.name)
        if handler is None:
            if self.env.strict_handlers:
                self.set_state(STATE_ABORTED)
                raise ProcessRuntimeError(f"Could not find work item handler for {wi.name}", self, ni)
            return
        try:
            handler.execute(wi, self)
        except ProcessRuntimeError:
            raise
        except Exception as e:  # noqa: BLE001 - handler failures are process errors (or boundary errors)
            name = getattr(e, "java_class", None) or type(e).__name__
            handler_ctx = self._find_exception_handler(ni, name)
            if handler_ctx is None:
                raise ProcessRuntimeError(f"Unable to execute Action: {e}", self, ni, e) from e
            self._handle_exception(handler_ctx, name, e)

    def complete_work_item(self, work_item_id, results=None):
        """WorkItemManager.completeWorkItem: map results to variables and continue."""
        wi = self.work_items.get(work_item_id)
        if wi is None:
            raise KeyError(f"Could not find work item with id {work_item_id}")
        if self.state not in (STATE_ACTIVE,):
            raise ProcessRuntimeError(f"Process instance {self.id} is not active", self)
        wi.state = WI_COMPLETED
        wi.results = dict(results or {})
        del self.work_items[work_item_id]
        self._emit("work_item_completed", work_item_id=work_item_id, results=dict(wi.results))
        ni = self._find_work_item_node(work_item_id)
        if ni is not None:
            ni.work_item_completed(wi)

    def abort_work_item(self, work_item_id):
        """WorkItemManager.abortWorkItem: the node continues without mapping results."""
        wi = self.work_items.get(work_item_id)
        if wi is None:
            raise KeyError(f"Could not find work item with id {work_item_id}")
        wi.state = WI_ABORTED
        del self.work_items[work_item_id]
        self._emit("work_item_aborted", work_item_id=work_item_id)
        ni = self._find_work_item_node(work_item_id)
        if ni is not None:
            ni.work_item_completed(wi)

    # handler-facing manager API (jBPM style names too)
    completeWorkItem = complete_work_item
    abortWorkItem = abort_work_item

    def _abort_work_item_internal(self, ni, wi):
        wi.state = WI_ABORTED
        self.work_items.pop(wi.id, None)
        handler = self.env.handlers.get(wi.name)
        if handler is not None:
            try:
                handler.abort(wi, self)
            except Exception:  # noqa: BLE001
                log.exception("work item handler abort failed")
        self._emit("work_item_cancelled", work_item_id=wi.id, work_item_name=wi.name, node_instance_id=ni.id)
        if isinstance(ni, HumanTaskNodeInstance):
            self._emit("human_task_exited", work_item_id=wi.id, node_instance_id=ni.id)

    def _find_work_item_node(self, work_item_id):
        for ni in self._all_node_instances(self):
            if isinstance(ni, WorkItemNodeInstance) and ni.work_item_id == work_item_id:
                return ni
        return None

    # -- node instance queries -----------------------------------------------------------------
    def _all_node_instances(self, container):
        out = []
        for ni in container.node_instances:
            out.append(ni)
            if isinstance(ni, _ContainerMixin):
                out.extend(self._all_node_instances(ni))
        return out

    def node_instance(self, node_instance_id):
        for ni in self._all_node_instances(self):
            if ni.id == node_instance_id:
                return ni
        return None

    def active_node_instances(self):
        """Visible active node instances (hidden ForEach internals excluded), outer first."""
        return [ni for ni in self._all_node_instances(self) if not ni.hidden]

    def get_active_node_ids(self):
        return [ni.node.id for ni in self.active_node_instances()]

    def available_signals(self):
        """Signals the instance waits for (jBPM ProcessServiceImpl.getAvailableSignals)."""
        out = []

        def collect(container):
            for ni in container.node_instances:
                if isinstance(ni, EventNodeInstance) and not isinstance(ni, BoundaryEventNodeInstance):
                    t = ni.node.event_type
                    if t is not None and not t.startswith("Message-"):
                        out.append(self._resolve(t, ni))
                if isinstance(ni, _ContainerMixin):
                    collect(ni)
        collect(self)
        active = {ni.node.id: ni for ni in self.node_instances}
        for node in self.definition.nodes:
            if isinstance(node, BoundaryEventNode) and node.attached_to in active:
                name = node.metadata.get("SignalName")
                if name is not None:
                    out.append(self._resolve(name, active[node.attached_to]))
        return out

    # -- signals -------------------------------------------------------------------------------
    def _accepts(self, node, type, container):
        if isinstance(node, EventSubProcessNode):
            return type in [self._resolve(e, container if isinstance(container, NodeInstance) else None)
                            for e in node.event_types]
        if isinstance(node, EventNode):
            et = node.event_type
            if et is None:
                return False
            if "#{" in et:
                return self._resolve(et, container if isinstance(container, NodeInstance) else None) == type
            return et == type
        if isinstance(node, (CompositeContextNode, ForEachNode)):
            for n in node.nodes:
                if self._accepts(n, type, container):
                    return True
            return isinstance(node, DynamicNode) and any(n.name == type and not n.incoming for n in node.nodes)
        return False

    def signal(self, type, event=None):
        """ProcessInstance.signalEvent: deliver an event (signal name, "Message-<name>", ...)."""
        if self.state != STATE_ACTIVE:
            return
        self.signal_container(type, event)
        if self.definition.dynamic:
            for node in self.definition.nodes:
                if node.name == type and not node.incoming:
                    ni = self.create_node_instance(node)
                    if event is not None:
                        ni.dynamic_parameters = dict(event) if isinstance(event, dict) else {"Data": event}
                    ni.trigger(None)

    signalEvent = signal

    def broadcast_signal(self, type, event=None, scope="default"):
        """A signal thrown with session scope: delivered here at once and reported for the others."""
        self._emit("signal", signal=type, data=event, scope=scope, self_delivered=True)
        self.signal(type, event)

    def _throw(self, ni, node):
        kind = node.throw_kind
        data = None
        var = getattr(node, "mapping_variable", None)
        if var is not None:
            if var.startswith('"') and var.endswith('"'):
                data = var[1:-1]
            else:
                data = ni.get_variable(var)
        if kind == "signal":
            base = node.signal_name or ""
            if getattr(node, "async_signal", False):
                base = "ASYNC-" + base
            name = self._resolve(base, ni)
            scope = (node.signal_scope or "").strip()
            if scope.lower() == "processinstance":
                self._emit("signal", signal=name, data=data, scope="processInstance", self_delivered=True)
                self.signal(name, data)
            elif scope.lower() in ("runtimemanager", "project"):
                self._emit("signal", signal=name, data=data, scope="project", self_delivered=True)
                self.signal(name, data)
            elif scope.lower() == "external":
                self._emit("signal", signal=name, data=data, scope="external", self_delivered=False)
            else:
                self.broadcast_signal(name, data, "default")
        elif kind == "message":
            mid, mname, mtype = node.message
            self._emit("message", message_ref=mid, message_name=mname, message_type=mtype, data=data,
                       node_instance_id=ni.id)
            handler = self.env.handlers.get("Send Task")
            if handler is not None:
                wid = self._allocate("work_item")
                wi = WorkItem(wid, "Send Task", {"Message": data, "MessageType": mtype}, ni.id, node.num, self.id,
                              self.env.deployment_id, self.process_id, node.name)
                handler.execute(wi, _NoopManager())
        elif kind == "escalation":
            code = node.escalation_code
            handler = self._find_exception_handler(ni, code)
            if handler is not None:
                self._handle_exception(handler, code, data)
            else:
                self._emit("error", fault_name=code, node_id=node.id, node_name=node.name, handled=False,
                           message=f"unhandled escalation {code}")
                self.set_state(STATE_ABORTED, outcome=code)
        elif kind == "compensation":
            self._emit("compensation", activity_ref=node.compensation_ref, node_instance_id=ni.id)

    # -- errors (exception scopes) -------------------------------------------------------------
    def _find_exception_handler(self, ni, fault):
        """The innermost error/escalation handler for `fault` visible from `ni` (jBPM exception scopes):
        ("boundary", boundary node, attached node instance) or ("esp", event sub-process node, container, type)."""
        c = ni
        while isinstance(c, NodeInstance):
            if isinstance(c, (WorkItemNodeInstance, SubProcessNodeInstance, CompositeNodeInstance,
                              RuleSetNodeInstance)) and not isinstance(c, _ForEachIteration):
                h = self._boundary_handler(c, fault)
                if h is not None:
                    return h
            if isinstance(c, CompositeNodeInstance) and not isinstance(c, (_ForEachIteration, ForEachNodeInstance)):
                h = self._esp_handler(c.node.nodes, fault, c)
                if h is not None:
                    return h
            c = c.container
        return self._esp_handler(self.definition.nodes, fault, self)

    def _boundary_handler(self, holder, fault):
        exact = catch_all = None
        for b in holder.node.boundary_events:
            if b.kind == "error":
                if b.has_error_code and (b.error_code == fault or b.error_structure_ref == fault):
                    exact = exact or b
                elif not b.has_error_code:
                    catch_all = catch_all or b
            elif b.kind == "escalation":
                if b.escalation_code == fault:
                    exact = exact or b
        b = exact or catch_all
        if b is None:
            return None
        return ("boundary", b, holder)

    def _esp_handler(self, nodes, fault, container):
        for n in nodes:
            if isinstance(n, EventSubProcessNode):
                for s in n.nodes:
                    if isinstance(s, StartNode):
                        for t in s.triggers:
                            if t.kind in ("error", "escalation"):
                                code = s.metadata.get("FaultCode")
                                if code == fault or (t.kind == "error" and code is None):
                                    return ("esp", n, container, t.event_type)
        return None

    def _handle_exception(self, handler, fault, data):
        kind = handler[0]
        if kind == "boundary":
            b, holder = handler[1], handler[2]
            if b.kind == "error":
                event_type = f"Error-{b.attached_to}-{b.error_code}"
            else:
                event_type = f"Escalation-{b.attached_to}-{b.escalation_code}"
            if b.variable_name:
                # ActionExceptionHandler puts the fault data in the fault variable first
                self._set_variable(holder, b.variable_name, data)
                data = self._get_variable(holder, b.variable_name)
            bni = holder.container.create_node_instance(b)
            bni.signal_event(event_type, data)
        else:
            esp, container = handler[1], handler[2]
            event_type = handler[3]
            if event_type == "Error-" and fault:
                event_type = "Error-" + fault
            start = next((s for s in esp.nodes if isinstance(s, StartNode)), None)
            var = start.trigger_mapping if start is not None else None
            ctx = container if isinstance(container, NodeInstance) else None
            if var:
                self._set_variable(ctx, var, data)
                data = self._get_variable(ctx, var)
            else:
                data = None
            eni = container.create_node_instance(esp)
            if event_type not in esp.event_types and esp.event_types:
                event_type = esp.event_types[0]
            eni.signal_event(event_type, data)

    # -- timers --------------------------------------------------------------------------------
    def _timer_spec(self, timer: TimerDef, ni):
        """(delay ms, period ms, repeat limit, cron) of a timer definition, #{...} resolved."""
        expr = timer.expression or ""
        try:
            if timer.kind == TimerDef.DURATION:
                try:
                    return parse_duration(expr), 0, None, None
                except TimerExpressionError:
                    return parse_duration(self._resolve(expr, ni)), 0, None, None
            if timer.kind == TimerDef.DATE:
                try:
                    return max(0, parse_date_as_duration(expr)), 0, None, None
                except TimerExpressionError:
                    return max(0, parse_date_as_duration(self._resolve(expr, ni))), 0, None, None
            # cycle
            if timer.period is not None:
                return (parse_time_string(self._resolve(expr, ni)),
                        parse_time_string(self._resolve(timer.period, ni)), None, None)
            resolved = self._resolve(expr, ni)
            if (timer.language or "").lower() == "cron" or (not resolved.startswith(("R", "P")) and is_cron(resolved)):
                cron = CronExpression(resolved)
                return cron.delay_ms(self.env.now()), 0, None, resolved
            count, delay, period = parse_repeatable(resolved)
            limit = count + 1 if count > -1 else None
            return delay, period, limit, None
        except (TimerExpressionError, ValueError) as e:
            raise ProcessRuntimeError(f"invalid timer expression '{expr}': {e}", self, ni) from None

    def _create_timer(self, ni, timer: TimerDef, name, kind, boundary=None):
        delay, period, limit, cron = self._timer_spec(timer, ni)
        tid = self._allocate("timer")
        t = {"id": tid, "node_instance_id": ni.id if ni is not None else None, "kind": kind, "name": name,
             "delay": delay, "period": period, "repeat_limit": limit, "cron": cron, "fired": 0,
             "boundary": boundary.id if boundary is not None else None,
             "node_id": ni.node.id if ni is not None else None}
        self.timers[tid] = t
        self._emit("timer_scheduled", timer_id=tid, node_instance_id=t["node_instance_id"], name=name,
                   delay=delay, period=period, repeat_limit=limit, cron=cron)
        return t

    def _register_boundary_timers(self, ni):
        for b in ni.node.boundary_events:
            if b.kind == "timer" and b.timer is not None:
                t = self._create_timer(ni, b.timer, _concat_name(ni.node.name, b.name), "boundary", boundary=b)
                ni.timer_ids.append(t["id"])

    def _cancel_timer(self, tid):
        if tid is not None and self.timers.pop(tid, None) is not None:
            self._emit("timer_cancelled", timer_id=tid)

    def _cancel_timers(self, ni):
        ids = getattr(ni, "timer_ids", None)
        if ids:
            for tid in list(ids):
                self._cancel_timer(tid)
            ids.clear()

    def trigger_timer(self, timer_id):
        """A timer fired (the job executor calls this).  Returns True when the timer stays active
        (a new timer_scheduled event then gives the delay of the next firing)."""
        t = self.timers.get(timer_id)
        if t is None or self.state != STATE_ACTIVE:
            return False
        t["fired"] += 1
        done = not t["period"] and not t["cron"] or (t["repeat_limit"] is not None and t["fired"] >= t["repeat_limit"])
        if done:
            self.timers.pop(timer_id, None)
        else:
            delay = t["period"]
            if t["cron"]:
                delay = CronExpression(t["cron"]).delay_ms(self.env.now())
            self._emit("timer_scheduled", timer_id=timer_id, node_instance_id=t["node_instance_id"], name=t["name"],
                       delay=delay, period=t["period"], repeat_limit=t["repeat_limit"], cron=t["cron"])
        ni = self.node_instance(t["node_instance_id"]) if t["node_instance_id"] is not None else None
        kind = t["kind"]
        if kind == "node" and isinstance(ni, TimerNodeInstance):
            ni.timer_fired(t)
        elif kind == "boundary" and ni is not None:
            b = self.definition.node(t["boundary"])
            if b is not None:
                event_type = b.event_type
                bni = ni.container.create_node_instance(b)
                bni.signal_event(event_type, ni.id)
            if done and ni is not None and timer_id in getattr(ni, "timer_ids", []):
                ni.timer_ids.remove(timer_id)
        elif kind == "event_subprocess" and isinstance(ni, EventSubProcessNodeInstance):
            if done and timer_id in ni.timer_ids:
                ni.timer_ids.remove(timer_id)
            ni.timer_fired(t)
        return not done

    # -- state changes -------------------------------------------------------------------------
    def set_state(self, state, outcome=None, fault_data=None):
        if fault_data is not None:
            self.fault_data = fault_data
        if state in (STATE_COMPLETED, STATE_ABORTED):
            if "SUB_PROCESS_INTERRUPTION" in self.metadata or self.state in (STATE_COMPLETED, STATE_ABORTED):
                return
            if outcome is not None:
                self.outcome = outcome
            self.state = state
            while self.node_instances:
                ni = self.node_instances[0]
                ni.cancel(OBSOLETE if state == STATE_COMPLETED else ABORTED)
            for tid in list(self.timers):
                self._cancel_timer(tid)
            for wid in list(self.work_items):
                self.work_items.pop(wid, None)
            self._emit("process_state", status=state, outcome=self.outcome, parent_process_instance_id=
                       self.parent_instance_id, signal_completion=self.signal_completion,
                       parent_node_instance_id=self.parent_node_instance_id, date=self.env.now())
        else:
            self.state = state
            self._emit("process_state", status=state, outcome=self.outcome,
                       parent_process_instance_id=self.parent_instance_id, date=self.env.now())

    def abort(self):
        """KieSession.abortProcessInstance."""
        if self.state in (STATE_COMPLETED, STATE_ABORTED):
            raise ProcessRuntimeError(f"Process instance {self.id} is not active", self)
        self.set_state(STATE_ABORTED)

    def suspend(self):
        if self.state != STATE_ACTIVE:
            raise ProcessRuntimeError(f"Process instance {self.id} is not active", self)
        self.set_state(STATE_SUSPENDED)

    def resume(self):
        if self.state != STATE_SUSPENDED:
            raise ProcessRuntimeError(f"Process instance {self.id} is not suspended", self)
        self.set_state(STATE_ACTIVE)

    def subprocess_completed(self, child_instance_id, state=STATE_COMPLETED, variables=None, outcome=None,
                             fault_data=None):
        """A child started by a call activity finished: map its outputs and continue."""
        for ni in self._all_node_instances(self):
            if isinstance(ni, SubProcessNodeInstance) and ni.child_instance_id == child_instance_id:
                ni.child_completed(state, variables, outcome, fault_data)
                return True
        return False

    def continue_async(self, token):
        """The job of an async node ran: continue with the real node (False when it is gone)."""
        if self.state != STATE_ACTIVE:
            return False
        for ni in self._all_node_instances(self):
            if isinstance(ni, AsyncNodeInstance) and ni.token == token:
                ni.resume()
                return True
        return False

    def retrigger_node_instance(self, node_instance_id):
        ni = self.node_instance(node_instance_id)
        if ni is None:
            raise KeyError(node_instance_id)
        container = ni.container
        ni.cancel()
        container.create_node_instance(ni.node).trigger(None)

    def cancel_node_instance(self, node_instance_id):
        ni = self.node_instance(node_instance_id)
        if ni is None:
            raise KeyError(node_instance_id)
        ni.cancel()

    def trigger_node(self, node_id):
        node = self.definition.node(node_id)
        if node is None:
            raise KeyError(node_id)
        container = self
        if not isinstance(node.container, ProcessDefinition):
            for ni in self._all_node_instances(self):
                if ni.node is node.container and isinstance(ni, _ContainerMixin):
                    container = ni
                    break
        container.create_node_instance(node).trigger(None)

    # -- persistence ---------------------------------------------------------------------------
    def to_state(self):
        """A JSON-able dict of everything needed to continue this instance elsewhere."""
        return {
            "v": 1, "id": self.id, "process_id": self.process_id, "version": self.definition.version,
            "state": self.state, "variables": {k: encode(v) for k, v in self.variables.items()},
            "parent_id": self.parent_instance_id, "parent_node_instance_id": self.parent_node_instance_id,
            "correlation_key": self.correlation_key, "initiator": self.initiator, "description": self.description,
            "outcome": self.outcome, "fault_data": encode(self.fault_data), "signal_completion": self.signal_completion,
            "metadata": {k: encode(v) for k, v in self.metadata.items()},
            "node_instances": [ni.to_state() for ni in self.node_instances],
            "groups": [list(g) for g in self.exclusive_groups],
            "work_items": [wi_state(wi) for wi in self.work_items.values()],
            "timers": [dict(t) for t in self.timers.values()],
            "completed_nodes": list(self.completed_node_ids[-200:]),
            "counter": self.node_instance_counter, "counters": dict(self.counters),
            "start_date": self.start_date.isoformat() if self.start_date else None,
        }

    @classmethod
    def from_state(cls, definition, state, env=None):
        pi = cls(definition, env)
        types = definition.types
        pi.id = state["id"]
        pi.state = state["state"]
        pi.variables = {k: decode(v, types) for k, v in (state.get("variables") or {}).items()}
        pi.parent_instance_id = state.get("parent_id", -1)
        pi.parent_node_instance_id = state.get("parent_node_instance_id")
        pi.correlation_key = state.get("correlation_key")
        pi.initiator = state.get("initiator")
        pi.description = state.get("description")
        pi.outcome = state.get("outcome")
        pi.fault_data = decode(state.get("fault_data"), types)
        pi.signal_completion = state.get("signal_completion", False)
        pi.metadata = {k: decode(v, types) for k, v in (state.get("metadata") or {}).items()}
        pi.exclusive_groups = [list(g) for g in state.get("groups") or []]
        pi.node_instance_counter = state.get("counter", -1)
        pi.counters = dict(state.get("counters") or {"work_item": 0, "timer": 0})
        pi.completed_node_ids = list(state.get("completed_nodes") or [])
        sd = state.get("start_date")
        pi.start_date = dt.datetime.fromisoformat(sd) if sd else None
        for wd in state.get("work_items") or []:
            wi = WorkItem.from_dict({**wd, "parameters": {k: decode(v, types) for k, v in wd["parameters"].items()},
                                     "results": {k: decode(v, types) for k, v in (wd.get("results") or {}).items()}})
            pi.work_items[wi.id] = wi
        for t in state.get("timers") or []:
            pi.timers[t["id"]] = dict(t)
        for nd in state.get("node_instances") or []:
            pi.node_instances.append(pi._load_node_instance(nd, pi))
        return pi

    def _load_node_instance(self, d, container):
        if d.get("async"):
            node = self.definition.node(d["node"])
            if node is None:
                raise ProcessRuntimeError(f"node {d['node']} of the saved instance is not in process "
                                          f"{self.process_id}", self)
            ni = AsyncNodeInstance(node, container, self)
            ni.id = d["id"]
            ni.load_state(d)
            return ni
        if d.get("iteration"):
            fe = container.node
            ni = _ForEachIteration(fe, container, self)
        else:
            node = self.definition.node(d["node"])
            if node is None:
                raise ProcessRuntimeError(f"node {d['node']} of the saved instance is not in process "
                                          f"{self.process_id}", self)
            cls = _NI_CLASSES.get(type(node))
            ni = cls(node, container, self)
        ni.id = d["id"]
        ni.load_state(d)
        return ni


class _NoopManager:
    def complete_work_item(self, *a, **k):
        pass

    def abort_work_item(self, *a, **k):
        pass


def wi_state(wi):
    d = wi.to_dict()
    d["parameters"] = {k: encode(v) for k, v in wi.parameters.items()}
    d["results"] = {k: encode(v) for k, v in wi.results.items()}
    return d


def _concat_name(prefix, suffix):
    if prefix is None:
        return suffix
    if suffix is None:
        return prefix
    return f"{prefix}-{suffix}"


def _numeric_path(ni):
    """jBPM NodeImpl.getUniqueId(): numeric node ids from the outermost composite down."""
    if isinstance(ni, _ForEachIteration):
        return f"{ni.node.num}:2"
    parts = [str(ni.node.num)]
    c = ni.node.container
    while c is not None and not isinstance(c, ProcessDefinition):
        parts.append(str(c.num))
        c = c.container
    return ":".join(reversed(parts))


# =============================================================================================
# starting


def start_process(definition, variables=None, *, initiator=None, correlation_key=None, start_node_ids=None,
                  env=None, trigger=None, trigger_event=None, instance_id=None, parent_instance_id=-1,
                  parent_node_instance_id=None, signal_completion=False):
    """Create and start an instance (jBPM createProcessInstance + startProcessInstance).

    Raises ProcessRuntimeError when the start fails (the instance must then be discarded)."""
    pi = ProcessInstance(definition, env)
    pi.id = instance_id if instance_id is not None else (pi.env.allocate_id("process_instance") or 1)
    pi.parent_instance_id = parent_instance_id if parent_instance_id is not None else -1
    pi.parent_node_instance_id = parent_node_instance_id
    pi.signal_completion = signal_completion
    pi.correlation_key = correlation_key
    pi.initiator = initiator
    params = dict(variables or {})
    start_node = None
    if trigger is not None:
        for n in definition.nodes:
            if isinstance(n, StartNode) and any(t.event_type == trigger for t in n.triggers):
                start_node = n
                break
        if start_node is None:
            raise ProcessRuntimeError(f"There is no start node that matches the trigger {trigger}", pi)
        if start_node.out_associations:
            if len(start_node.out_associations) == 1:
                params[start_node.out_associations[0].target] = trigger_event
            else:
                for a in start_node.out_associations:
                    params[a.target] = trigger_event
    for k, v in params.items():
        pi._set_process_variable(k, v)
    for vd in definition.variables:
        default = vd.metadata.get("customDefaultValue") or vd.metadata.get("defaultValue")
        if default is not None and pi.variables.get(vd.name) is None:
            pi._set_process_variable(vd.name, default)
    for vd in definition.variables:
        if "required" in vd.tags:
            v = pi.variables.get(vd.name)
            if v is None or (isinstance(v, str) and not v.strip()):
                raise VariableViolationError(f"Variable '{vd.name}' is required but not set", pi)
    pi.start_date = pi.env.now()
    desc = definition.description
    pi.description = definition.name if desc is None else pi._resolve(desc, None)
    pi._emit("process_started", status=STATE_ACTIVE, process_name=definition.name,
             process_version=definition.version, parent_process_instance_id=pi.parent_instance_id,
             correlation_key=correlation_key, initiator=initiator, description=pi.description,
             process_type=1 if definition.process_type == "Public" else 2 if definition.process_type else None,
             date=pi.start_date)
    if initiator is not None:
        pi._set_process_variable("initiator", initiator)
    pi.state = STATE_ACTIVE
    # timer event sub-processes are armed first
    for n in definition.nodes:
        if isinstance(n, EventSubProcessNode) and any(isinstance(s, StartNode) and s.timer is not None
                                                      for s in n.nodes):
            pi.create_node_instance(n).trigger(None)
    if start_node_ids:
        for nid in start_node_ids:
            pi.trigger_node(nid)
        return pi
    if start_node is None:
        if trigger is None:
            start_node = definition.none_start()
        if start_node is None:
            if not definition.dynamic:
                raise ProcessRuntimeError("There is no start node that matches the trigger none", pi)
    if start_node is not None:
        pi.create_node_instance(start_node).trigger(None, None)
    return pi
