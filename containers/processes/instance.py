"""Process instances: a pure state machine over a ProcessDefinition.

The state (variables, active node instances, pending work items, join counters) is plain data
(`to_state()` / `ProcessInstance.from_state()`), so the service layer stores it after each
transaction and reloads it anywhere.  What happened during a call is reported as `events`
(node entered/left, variable changed, work item created/aborted, signal thrown, state changed) for
audit logs and side effects.
"""
from __future__ import annotations

import re

from containers.expressions import (ExpressionError, ExpressionRuntimeError, JavaException, coerce,
                                    compile_block, compile_expression)
from containers.expressions.runtime import truth
from containers.processes.definition import Node, ProcessDefinition

PENDING, ACTIVE, COMPLETED, ABORTED, SUSPENDED = 0, 1, 2, 3, 4
WI_PENDING, WI_ACTIVE, WI_COMPLETED, WI_ABORTED = 0, 1, 2, 3

_INTERP = re.compile(r"#\{([^}]+)\}")
_compiled_cache: dict = {}


class ProcessError(Exception):
    pass


class _ProcessInstanceRef:
    def __init__(self, inst):
        self._i = inst

    def getId(self):
        return self._i.id

    def getProcessId(self):
        return self._i.definition.id

    def getProcessName(self):
        return self._i.definition.name

    def getParentProcessInstanceId(self):
        return self._i.parent_id

    def signalEvent(self, event_type, event):
        self._i.signal(event_type, event)

    def getVariable(self, name):
        return self._i.variables.get(name)

    def setVariable(self, name, value):
        self._i.set_variable(name, value)


class _NodeInstanceRef:
    def __init__(self, node, niid):
        self._n, self._id = node, niid

    def getNodeName(self):
        return self._n.name

    def getId(self):
        return self._id

    def getNodeId(self):
        return self._n.id


class KContext:
    """`kcontext` in scripts."""

    def __init__(self, inst, node=None, niid=None):
        self._inst = inst
        self._node = node
        self._niid = niid

    def getVariable(self, name):
        return self._inst.variables.get(name)

    def setVariable(self, name, value):
        self._inst.set_variable(name, value)

    def getProcessInstance(self):
        return _ProcessInstanceRef(self._inst)

    def getNodeInstance(self):
        return _NodeInstanceRef(self._node, self._niid) if self._node is not None else None

    def getKieRuntime(self):
        return self


class ProcessInstance:
    def __init__(self, definition: ProcessDefinition, pid, types=None, handlers=None):
        self.definition = definition
        self.id = pid
        self.types = types
        self.handlers = handlers or {}
        self.state = PENDING
        self.variables = {}
        self.tokens = []             # [{"node": node id, "niid": n}] active (waiting) node instances
        self.work_items = {}         # work item id -> {"name", "params", "node", "niid", "state"}
        self.joins = {}              # gateway id -> arrived count
        self.counter = 0
        self.parent_id = -1
        self.initiator = None
        self.correlation_key = None
        self.events = []
        self.new_work_item_id = None  # callback giving a server-wide unique id

    # -- persistence ------------------------------------------------------------------------------
    def to_state(self):
        return {"state": self.state, "variables": dict(self.variables), "tokens": [dict(t) for t in self.tokens],
                "work_items": {str(k): dict(v) for k, v in self.work_items.items()}, "joins": dict(self.joins),
                "counter": self.counter, "parent_id": self.parent_id, "initiator": self.initiator,
                "correlation_key": self.correlation_key}

    @classmethod
    def from_state(cls, definition, pid, state, types=None, handlers=None):
        inst = cls(definition, pid, types, handlers)
        inst.state = int(state.get("state", ACTIVE))
        inst.variables = dict(state.get("variables") or {})
        inst.tokens = [dict(t) for t in state.get("tokens") or []]
        inst.work_items = {int(k): dict(v) for k, v in (state.get("work_items") or {}).items()}
        inst.joins = dict(state.get("joins") or {})
        inst.counter = int(state.get("counter") or 0)
        inst.parent_id = state.get("parent_id", -1)
        inst.initiator = state.get("initiator")
        inst.correlation_key = state.get("correlation_key")
        return inst

    # -- API ----------------------------------------------------------------------------------------
    def start(self, variables=None, initiator=None, correlation_key=None, start_node_ids=None):
        self.initiator = initiator
        self.correlation_key = correlation_key
        for name, jtype in self.definition.variables.items():
            self.variables.setdefault(name, None)
        for k, v in (variables or {}).items():
            self.variables[k] = self._coerce(k, v)
        if initiator is not None:
            self.variables.setdefault("initiator", initiator)
        self.state = ACTIVE
        self._event("state", state=ACTIVE)
        starts = [self.definition.nodes[n] for n in start_node_ids] if start_node_ids else \
            [n for n in self.definition.start_nodes if n.signal is None and n.message is None and n.timer is None]
        if not starts:
            starts = self.definition.start_nodes[:1]
        for node in starts:
            self._enter(node, None)
        return self

    def signal(self, event_type, event=None):
        if self.state != ACTIVE:
            return False
        hit = False
        for tok in list(self.tokens):
            node = self.definition.nodes[tok["node"]]
            if node.kind == "intermediateCatchEvent" and node.signal == event_type:
                self.tokens.remove(tok)
                if node.event_output:
                    self.set_variable(node.event_output, event)
                self._leave(node, tok["niid"])
                hit = True
        return hit

    def trigger_timer(self, timer_id):
        """A timer scheduled by this instance is due (timer_id is the waiting node instance id)."""
        if self.state != ACTIVE:
            return False
        for tok in list(self.tokens):
            if tok["niid"] == timer_id:
                node = self.definition.nodes[tok["node"]]
                self.tokens.remove(tok)
                self._leave(node, tok["niid"])
                return True
        return False

    def _timer_delay(self, node):
        t = node.timer or {}
        if t.get("timeDuration"):
            return parse_timer(self._interpolate(t["timeDuration"])), 0
        if t.get("timeCycle"):
            text = str(self._interpolate(t["timeCycle"]))
            m = re.match(r"R(\d*)/(.+)$", text)
            if m:
                return parse_timer(m.group(2)), parse_timer(m.group(2))
            return parse_timer(text), parse_timer(text)
        if t.get("timeDate"):
            from marshallers.dates import parse_date
            import datetime as _dt
            due = parse_date(self._interpolate(t["timeDate"]))
            return max(0, int((due - _dt.datetime.now(_dt.timezone.utc)).total_seconds() * 1000)), 0
        return 0, 0

    def available_signals(self):
        out = []
        for tok in self.tokens:
            node = self.definition.nodes[tok["node"]]
            if node.kind == "intermediateCatchEvent" and node.signal and node.signal not in out:
                out.append(node.signal)
        return out

    def complete_work_item(self, wid, results=None):
        wi = self.work_items.get(wid)
        if wi is None or wi["state"] not in (WI_PENDING, WI_ACTIVE):
            raise ProcessError(f"Could not find work item instance with id \"{wid}\"")
        node = self.definition.nodes[wi["node"]]
        for name, var in node.outputs.items():
            if results and name in results:
                self.set_variable(var, results[name])
        wi["state"] = WI_COMPLETED
        del self.work_items[wid]
        self._event("work_item_completed", work_item_id=wid)
        self.tokens = [t for t in self.tokens if t["niid"] != wi["niid"]]
        self._leave(node, wi["niid"])

    def abort_work_item(self, wid):
        wi = self.work_items.get(wid)
        if wi is None:
            raise ProcessError(f"Could not find work item instance with id \"{wid}\"")
        del self.work_items[wid]
        self._event("work_item_aborted", work_item_id=wid)
        self.tokens = [t for t in self.tokens if t["niid"] != wi["niid"]]
        node = self.definition.nodes[wi["node"]]
        self._leave(node, wi["niid"])

    def abort(self):
        if self.state not in (ACTIVE, SUSPENDED, PENDING):
            return
        for wid in list(self.work_items):
            self._event("work_item_aborted", work_item_id=wid)
        self.work_items.clear()
        self.tokens.clear()
        self.state = ABORTED
        self._event("state", state=ABORTED)

    def set_variable(self, name, value):
        value = self._coerce(name, value)
        old = self.variables.get(name)
        self.variables[name] = value
        self._event("variable", name=name, old=old, new=value)

    # -- execution ------------------------------------------------------------------------------
    def _coerce(self, name, value):
        jtype = self.definition.variables.get(name)
        try:
            return coerce(value, jtype) if jtype else value
        except (ValueError, TypeError) as e:
            raise ProcessError(f"Variable '{name}' of type {jtype}: cannot convert '{value}' ({e})") from None

    def _event(self, kind, **data):
        self.events.append({"kind": kind, **data})

    def _next_niid(self):
        self.counter += 1
        return self.counter

    def _enter(self, node: Node, via):
        if self.state != ACTIVE:
            return
        niid = self._next_niid()
        self._event("node_enter", node_id=node.id, node_name=node.name, node_type=node.kind, niid=niid,
                    connection=via.id if via else None)
        for script in node.on_entry:
            self._run_script(script, node, niid, "java")
        k = node.kind
        if k == "startEvent":
            self._leave(node, niid)
        elif k == "endEvent":
            self._event("node_exit", node_id=node.id, node_name=node.name, node_type=node.kind, niid=niid)
            if node.signal:
                self._event("signal", signal=node.signal, event=None)
            if node.terminate:
                for wid in list(self.work_items):
                    self._event("work_item_aborted", work_item_id=wid)
                self.work_items.clear()
                self.tokens.clear()
                self._complete()
            elif not self.tokens and not self.work_items:
                self._complete()
        elif k == "scriptTask":
            self._run_script(node.script or "", node, niid, node.script_format)
            self._leave(node, niid)
        elif k in ("userTask", "task", "serviceTask", "sendTask", "receiveTask", "manualTask", "businessRuleTask"):
            self._work_item(node, niid)
        elif k in ("exclusiveGateway", "inclusiveGateway"):
            if len(node.outgoing) <= 1:
                self._leave(node, niid)
            else:
                self._split(node, niid, exclusive=(k == "exclusiveGateway"))
        elif k == "parallelGateway":
            if len(node.incoming) > 1:
                n = self.joins.get(node.id, 0) + 1
                if n < len(node.incoming):
                    self.joins[node.id] = n
                    return
                self.joins.pop(node.id, None)
            self._leave(node, niid)
        elif k == "intermediateCatchEvent":
            self.tokens.append({"node": node.id, "niid": niid})
            if node.timer:
                delay_ms, period_ms = self._timer_delay(node)
                self._event("timer_scheduled", timer_id=niid, node_id=node.id, niid=niid, delay_ms=delay_ms,
                            period_ms=period_ms)
        elif k == "intermediateThrowEvent":
            if node.signal:
                self._event("signal", signal=node.signal, event=None)
                self.signal(node.signal, None)
            self._leave(node, niid)
        else:
            raise ProcessError(f"Node type {k} is not supported")

    def _leave(self, node: Node, niid):
        if self.state != ACTIVE:
            return
        for script in node.on_exit:
            self._run_script(script, node, niid, "java")
        if node.kind != "endEvent":
            self._event("node_exit", node_id=node.id, node_name=node.name, node_type=node.kind, niid=niid)
        if node.kind == "endEvent":
            return
        for f in node.outgoing:
            self._enter(self.definition.nodes[f.target], f)
        if not node.outgoing and not self.tokens and not self.work_items and self.state == ACTIVE:
            self._complete()

    def _complete(self):
        if self.state == ACTIVE:
            self.state = COMPLETED
            self._event("state", state=COMPLETED)

    def _split(self, node, niid, exclusive):
        self._event("node_exit", node_id=node.id, node_name=node.name, node_type=node.kind, niid=niid)
        chosen = []
        default = None
        for f in node.outgoing:
            if f.id == node.default:
                default = f
                continue
            if f.condition is None or self._condition(f, node):
                chosen.append(f)
                if exclusive:
                    break
        if not chosen and default is not None:
            chosen = [default]
        if not chosen:
            raise ProcessError(f"Exclusive split {node.name or node.id} has no outgoing connection with a true "
                               f"condition in process {self.definition.id}")
        for f in chosen:
            self._enter(self.definition.nodes[f.target], f)

    def _env(self, node=None, niid=None):
        env = dict(self.variables)
        env["kcontext"] = KContext(self, node, niid)
        return env

    def _condition(self, flow, node):
        text = flow.condition
        lang = (flow.language or "").lower()
        key = ("cond", flow.id, id(self.definition))
        fn = _compiled_cache.get(key)
        try:
            if fn is None:
                dialect = "java" if "java" in lang else "mvel"
                if "return" in text:
                    fn = compile_block(text, source_name=self.definition.source_name, types=self.types, dialect=dialect)
                else:
                    fn = compile_expression(text, source_name=self.definition.source_name, types=self.types,
                                            dialect=dialect)
                _compiled_cache[key] = fn
            return truth(fn(self._env(node)))
        except (ExpressionError, ExpressionRuntimeError, JavaException) as e:
            raise ProcessError(f"Condition of sequence flow {flow.id} failed: {e}") from None

    def _run_script(self, script, node, niid, fmt):
        key = ("script", id(self.definition), node.id, script)
        block = _compiled_cache.get(key)
        try:
            if block is None:
                dialect = "java" if fmt is None or "java" in (fmt or "") else "mvel"
                block = compile_block(script, source_name=self.definition.source_name, types=self.types, dialect=dialect)
                _compiled_cache[key] = block
            env = self._env(node, niid)
            env["__out__"] = _stdout
            block(env)
        except (ExpressionError, ExpressionRuntimeError, JavaException) as e:
            raise ProcessError(f"Script of node {node.name or node.id} failed: {e}") from None
        for name in block.assigned:
            if name in self.variables and env.get(name) is not self.variables.get(name):
                self.set_variable(name, env[name])

    def _work_item(self, node: Node, niid):
        params = {}
        for name, (kind, value) in node.inputs.items():
            if kind == "var":
                params[name] = self._resolve(value)
            else:
                params[name] = self._interpolate(value)
        if node.kind == "userTask":
            params.setdefault("TaskName", node.task_name if node.task_name != "Human Task" else None)
            params.setdefault("NodeName", node.name)
        name = node.task_name or {"serviceTask": "Service Task", "sendTask": "Send Task",
                                  "receiveTask": "Receive Task", "manualTask": "Manual Task",
                                  "businessRuleTask": "BusinessRuleTask"}.get(node.kind, node.kind)
        wid = self.new_work_item_id() if self.new_work_item_id else (1000 * (self.id or 0) + niid)
        self.work_items[wid] = {"name": name, "params": params, "node": node.id, "niid": niid, "state": WI_PENDING}
        self.tokens.append({"node": node.id, "niid": niid})
        self._event("work_item", work_item_id=wid, name=name, params=params, node_id=node.id, niid=niid)
        handler = self.handlers.get(name)
        if handler is not None:
            handler(self, wid, params)

    def _resolve(self, ref):
        if ref in self.variables:
            return self.variables[ref]
        if "." in ref:
            head, _, rest = ref.partition(".")
            try:
                return compile_expression(ref)(dict(self.variables))
            except Exception:  # noqa: BLE001
                return None
        return None

    def _interpolate(self, text):
        if text is None:
            return None
        m = _INTERP.fullmatch(text.strip())
        if m:
            try:
                return compile_expression(m.group(1))(dict(self.variables))
            except Exception:  # noqa: BLE001
                return None

        def rep(mm):
            try:
                from containers.values import to_java_string
                return to_java_string(compile_expression(mm.group(1))(dict(self.variables)))
            except Exception:  # noqa: BLE001
                return ""
        return _INTERP.sub(rep, text)


_ISO = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?$", re.I)


def parse_timer(text):
    """jBPM timer expressions in ms: '500ms', '1s', '1m 30s', '2h', '1d', a bare number (ms), ISO 'PT1S'."""
    if text is None:
        return 0
    if isinstance(text, (int, float)):
        return int(text)
    s = str(text).strip()
    if re.fullmatch(r"\d+", s):
        return int(s)
    m = _ISO.match(s)
    if m and s.upper() != "P":
        d, h, mi, sec = m.groups()
        return int((int(d or 0) * 86400 + int(h or 0) * 3600 + int(mi or 0) * 60 + float(sec or 0)) * 1000)
    total = 0
    found = False
    for n, unit in re.findall(r"(\d+)\s*(ms|s|m|h|d)", s):
        found = True
        total += int(n) * {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000}[unit]
    if not found:
        raise ProcessError(f"Invalid timer expression '{s}'")
    return total


def _stdout(text):
    print(text, end="", flush=True)


def log_handler(inst, wid, params):
    """The built-in Log / SystemOut handler: print and complete."""
    print(params.get("Message") or params, flush=True)
    inst.complete_work_item(wid, {})


def do_nothing_handler(inst, wid, params):
    inst.complete_work_item(wid, {})


BUILTIN_HANDLERS = {"Log": log_handler, "SystemOut": log_handler, "Email": do_nothing_handler,
                    "DoNothing": do_nothing_handler}
