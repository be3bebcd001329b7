"""Parsing jBPM-authored BPMN2 into process definitions (immutable, parsed once per container)."""
from __future__ import annotations

from marshallers.xmltree import XmlError, local, parse_xml

DROOLS_NS = "http://www.jboss.org/drools"


class ProcessParseError(ValueError):
    pass


def _attr(el, name, default=None):
    """An attribute by local name, with or without a namespace (drools:, tns:)."""
    v = el.attrib.get(name)
    if v is not None:
        return v
    for k, val in el.attrib.items():
        if k.endswith("}" + name):
            return val
    return default


class Flow:
    __slots__ = ("id", "source", "target", "condition", "language", "priority", "name")

    def __init__(self, fid, source, target, condition=None, language=None, priority=None, name=None):
        self.id, self.source, self.target = fid, source, target
        self.condition, self.language, self.priority, self.name = condition, language, priority, name


class Node:
    def __init__(self, nid, kind, name, el):
        self.id = nid
        self.kind = kind              # startEvent, endEvent, scriptTask, userTask, task, serviceTask, ...
        self.name = name
        self.incoming: list[Flow] = []
        self.outgoing: list[Flow] = []
        self.script = None
        self.script_format = None
        self.terminate = False
        self.signal = None            # signal name for catch/throw/end events
        self.message = None
        self.direction = None         # gateway direction
        self.default = None           # default flow id
        self.task_name = None         # work item handler name
        self.inputs = {}              # data input name -> ("var", var) | ("expr", text) | ("const", text)
        self.outputs = {}             # data output name -> variable name
        self.timer = None
        self.rule_flow_group = None
        self.on_entry = []
        self.on_exit = []
        self.event_output = None      # variable receiving a signal's event data
        self.line = getattr(el, "sourceline", None)

    def __repr__(self):
        return f"Node({self.kind}, {self.id}, {self.name!r})"


class ProcessDefinition:
    def __init__(self, pid, name, version, package, source_name):
        self.id = pid
        self.name = name
        self.version = version
        self.package = package
        self.source_name = source_name
        self.variables = {}           # name -> Java type
        self.nodes: dict[str, Node] = {}
        self.flows: dict[str, Flow] = {}
        self.start_nodes = []
        self.dynamic = False
        self.imports = {}

    def user_tasks(self):
        return [n for n in self.nodes.values() if n.kind == "userTask"]

    def __repr__(self):
        return f"ProcessDefinition({self.id})"


_TASKS = {"task", "userTask", "serviceTask", "businessRuleTask", "manualTask", "sendTask", "receiveTask",
          "scriptTask"}
_NODES = _TASKS | {"startEvent", "endEvent", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
                   "eventBasedGateway", "intermediateCatchEvent", "intermediateThrowEvent", "subProcess",
                   "callActivity", "boundaryEvent", "adHocSubProcess"}


def parse_processes(text, source_name="process.bpmn2"):
    """All executable processes of a BPMN2 document."""
    try:
        root = parse_xml(text)
    except XmlError as e:
        raise ProcessParseError(f"{source_name}: {e}") from None
    if local(root.tag) != "definitions":
        raise ProcessParseError(f"{source_name}: the root element must be <definitions>")
    items = {}
    signals = {}
    messages = {}
    for el in root:
        n = local(el.tag)
        if n == "itemDefinition":
            items[el.attrib.get("id")] = el.attrib.get("structureRef") or "java.lang.Object"
        elif n == "signal":
            signals[el.attrib.get("id")] = el.attrib.get("name") or el.attrib.get("id")
        elif n == "message":
            messages[el.attrib.get("id")] = el.attrib.get("name") or el.attrib.get("id")
    out = []
    for el in root:
        if local(el.tag) == "process":
            out.append(_process(el, items, signals, messages, source_name))
    if not out:
        raise ProcessParseError(f"{source_name}: no <process> element")
    return out


def _process(el, items, signals, messages, source_name):
    pid = el.attrib.get("id")
    if not pid:
        raise ProcessParseError(f"{source_name}: a process has no id")
    p = ProcessDefinition(pid, el.attrib.get("name") or pid, _attr(el, "version"), _attr(el, "packageName"),
                          source_name)
    p.dynamic = (_attr(el, "adHoc") or "false") == "true"
    unsupported = []
    for c in el:
        n = local(c.tag)
        if n == "property":
            p.variables[c.attrib.get("id") or c.attrib.get("name")] = items.get(c.attrib.get("itemSubjectRef"), "java.lang.Object")
        elif n == "sequenceFlow":
            cond = None
            lang = None
            for x in c:
                if local(x.tag) == "conditionExpression":
                    cond = (x.text or "").strip()
                    lang = x.attrib.get("language")
            f = Flow(c.attrib.get("id"), c.attrib.get("sourceRef"), c.attrib.get("targetRef"), cond, lang,
                     _attr(c, "priority"), c.attrib.get("name"))
            p.flows[f.id] = f
        elif n in _NODES:
            node = _node(c, n, items, signals, messages)
            if n in ("subProcess", "callActivity", "boundaryEvent", "adHocSubProcess", "eventBasedGateway"):
                unsupported.append(f"{n} '{node.id}'")
            p.nodes[node.id] = node
            if n == "startEvent":
                p.start_nodes.append(node)
    for f in p.flows.values():
        src, tgt = p.nodes.get(f.source), p.nodes.get(f.target)
        if src is None or tgt is None:
            raise ProcessParseError(f"{source_name}: sequence flow {f.id} connects unknown nodes")
        src.outgoing.append(f)
        tgt.incoming.append(f)
    for node in p.nodes.values():
        node.outgoing.sort(key=lambda f: int(f.priority) if (f.priority or "").isdigit() else 1000)
    if unsupported:
        raise ProcessParseError(f"{source_name}: process {pid} uses elements this server does not run yet: "
                                + ", ".join(unsupported))
    if not p.start_nodes:
        raise ProcessParseError(f"{source_name}: process {pid} has no start event")
    return p


def _node(c, kind, items, signals, messages):
    node = Node(c.attrib.get("id"), kind, c.attrib.get("name") or "", c)
    node.direction = c.attrib.get("gatewayDirection")
    node.default = c.attrib.get("default")
    node.task_name = _attr(c, "taskName")
    node.rule_flow_group = _attr(c, "ruleFlowGroup")
    if kind == "userTask":
        node.task_name = "Human Task"
    data_inputs = {}
    data_outputs = {}
    for x in c.iter():
        n = local(x.tag)
        if n == "script" and kind == "scriptTask":
            node.script = x.text or ""
            node.script_format = c.attrib.get("scriptFormat")
        elif n == "terminateEventDefinition":
            node.terminate = True
        elif n == "signalEventDefinition":
            ref = x.attrib.get("signalRef")
            node.signal = signals.get(ref, ref)
        elif n == "messageEventDefinition":
            ref = x.attrib.get("messageRef")
            node.message = messages.get(ref, ref)
        elif n == "timerEventDefinition":
            node.timer = {local(t.tag): (t.text or "").strip() for t in x}
        elif n == "dataInput":
            data_inputs[x.attrib.get("id")] = x.attrib.get("name")
        elif n == "dataOutput":
            data_outputs[x.attrib.get("id")] = x.attrib.get("name")
        elif n == "onEntry-script" or n == "onExit-script":
            for s in x:
                if local(s.tag) == "script":
                    (node.on_entry if n == "onEntry-script" else node.on_exit).append(s.text or "")
    for x in c:
        n = local(x.tag)
        if n == "dataInputAssociation":
            src = tgt = None
            assign = None
            for y in x:
                t = local(y.tag)
                if t == "sourceRef":
                    src = (y.text or "").strip()
                elif t == "targetRef":
                    tgt = (y.text or "").strip()
                elif t == "assignment":
                    frm = next((z for z in y if local(z.tag) == "from"), None)
                    assign = (frm.text or "") if frm is not None else ""
            name = data_inputs.get(tgt, tgt)
            if src:
                node.inputs[name] = ("var", src)
            elif assign is not None:
                node.inputs[name] = ("const", assign)
        elif n == "dataOutputAssociation":
            src = tgt = None
            for y in x:
                t = local(y.tag)
                if t == "sourceRef":
                    src = (y.text or "").strip()
                elif t == "targetRef":
                    tgt = (y.text or "").strip()
            if src and tgt:
                if kind == "intermediateCatchEvent" or kind == "startEvent":
                    node.event_output = tgt
                else:
                    node.outputs[data_outputs.get(src, src)] = tgt
    return node
