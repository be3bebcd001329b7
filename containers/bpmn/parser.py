"""BPMN2 (jBPM flavour) -> ProcessDefinition.

    parse_process(xml_text, source_name) -> ProcessDefinition      (first/only process)
    parse_processes(xml_text, source_name) -> [ProcessDefinition]  (one file may hold several)

Follows jBPM 7's handlers (org.jbpm.bpmn2.xml.*): node kinds, numeric node ids in document order,
constant task parameters from `<assignment>`s, `#{...}` expressions, boundary events attached to
their activity, multi-instance activities wrapped in a ForEachNode, signal names resolved through
`<signal>` elements, `Message-<name>` / `Error-<code>` / `Escalation-<code>` event types.
Diagram interchange (bpmndi) and BPSim data are ignored.
"""
from __future__ import annotations

import re

from containers.bpmn.model import (
    ActionNode, Assignment, BoundaryEventNode, CatchLinkNode, CompositeContextNode, Constraint,
    DataAssociation, DynamicNode, EndNode, EventNode, EventSubProcessNode, FaultNode, ForEachNode,
    HumanTaskNode, Join, MilestoneNode, Node, ProcessDefinition, ProcessParseError, RuleSetNode, Script,
    SequenceFlow, Split, StartNode, StateNode, SubProcessNode, ThrowLinkNode, TimerDef, TimerNode, Trigger,
    VariableDef, WorkItemNode)
from containers.bpmn.xmltree import El, XmlError, parse_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DROOLS_NS = "http://www.jboss.org/drools"
JAVA_LANG = "http://www.java.com/java"
MVEL_LANG = "http://www.mvel.org/2.0"
RULE_LANG = "http://www.jboss.org/drools/rule"
XPATH_LANG = "http://www.w3.org/1999/XPath"
JS_LANG = "http://www.javascript.com/javascript"
FEEL_LANG = "http://www.omg.org/spec/FEEL/20140401"
DMN_IMPL = "http://www.jboss.org/drools/dmn"

PARAM_RE = re.compile(r"#\{([^\s}]+)\}")

__all__ = ["parse_process", "parse_processes", "ProcessParseError"]

_IGNORED_NS_PREFIXES = ("http://www.omg.org/spec/BPMN/20100524/DI", "http://www.omg.org/spec/DD/",
                        "http://www.bpsim.org/")


def _lang_dialect(lang, default="mvel"):
    if not lang:
        return default
    if lang == JAVA_LANG:
        return "java"
    if lang == MVEL_LANG:
        return "mvel"
    if lang == JS_LANG:
        return "JavaScript"
    if lang == XPATH_LANG:
        return "XPath"
    if lang == FEEL_LANG:
        return "FEEL"
    if lang == RULE_LANG:
        return "rule"
    return None


class _Defs:
    """Definitions-level elements shared by every process of the file."""

    def __init__(self):
        self.item_definitions = {}
        self.signals = {}        # id -> name
        self.messages = {}       # id -> (name, itemRef type)
        self.errors = {}         # id -> (errorCode, structureRef)
        self.escalations = {}    # id -> (code, structureRef)
        self.interfaces = {}     # operation id -> (interface name, operation name, implementationRef, message type)
        self.imports = []
        self.expression_language = None


class _Parser:
    def __init__(self, source_name):
        self.source = source_name
        self.defs = _Defs()
        self.process: ProcessDefinition | None = None
        self.id_gen = 1

    # -- errors --------------------------------------------------------------------------------
    def error(self, message, el=None):
        raise ProcessParseError(message, self.source, el.line if isinstance(el, El) else el)

    # -- top level -----------------------------------------------------------------------------
    def parse(self, text):
        try:
            root = parse_xml(text)
        except XmlError as e:
            raise ProcessParseError(e.message, self.source, e.line) from None
        if root.tag != "definitions":
            self.error(f"root element is <{root.tag}>, expected <definitions>", root)
        self.defs.expression_language = root.get("expressionLanguage")
        for el in root.children:
            self._definitions_child(el)
        procs = []
        for el in root.children:
            if el.tag == "process" and self._bpmn(el):
                procs.append(self._process(el))
        if not procs:
            self.error("no <process> element found", root)
        return procs

    @staticmethod
    def _bpmn(el):
        return el.ns in (BPMN_NS, "", "http://www.omg.org/bpmn20") or not el.ns.startswith(_IGNORED_NS_PREFIXES)

    def _definitions_child(self, el):
        t = el.tag
        d = self.defs
        if t == "itemDefinition":
            d.item_definitions[el.get("id")] = el.get("structureRef") or "java.lang.Object"
        elif t == "signal":
            sid = el.get("id")
            d.signals[sid] = el.get("name") if el.get("name") is not None else sid
        elif t == "message":
            item = el.get("itemRef")
            d.messages[el.get("id")] = (el.get("name") or el.get("id"), d.item_definitions.get(item) if item else None,
                                        item)
        elif t == "error":
            d.errors[el.get("id")] = (el.get("errorCode") or el.get("id"), el.get("structureRef"))
        elif t == "escalation":
            d.escalations[el.get("id")] = (el.get("escalationCode") or el.get("id"), el.get("structureRef"))
        elif t == "interface":
            iname = el.get("name") or el.get("id")
            impl = el.get("implementationRef")
            for op in el.findall("operation"):
                msg = op.find("inMessageRef")
                msg_id = msg.text_content().strip() if msg is not None else None
                mtype = None
                if msg_id and msg_id in d.messages:
                    mtype = d.messages[msg_id][1]
                d.interfaces[op.get("id")] = (impl or iname, op.get("name"), op.get("implementationRef"), mtype)
        elif t == "import":
            loc = el.get("location") or el.get("namespace")
            if loc:
                d.imports.append(loc)
        # item definitions may come after messages that reference them
        if t == "itemDefinition":
            for mid, (name, typ, item) in list(d.messages.items()):
                if typ is None and item == el.get("id"):
                    d.messages[mid] = (name, el.get("structureRef"), item)

    def _process(self, el):
        pid = el.get("id")
        if not pid:
            self.error("process without id", el)
        p = ProcessDefinition(pid, el.get("name"), None,
                              el.nsget(DROOLS_NS, "packageName") or el.get("packageName") or "org.drools.bpmn2")
        p.version = el.nsget(DROOLS_NS, "version") or el.get("version")
        adhoc = el.nsget(DROOLS_NS, "adHoc") or el.get("adHoc")
        if adhoc == "true":
            p.dynamic = True
            p.auto_complete = False
        p.executable = (el.get("isExecutable") or "true").lower() != "false"
        p.process_type = el.get("processType") or "Private"
        p.source_name = self.source
        p.line = el.line
        d = self.defs
        p.item_definitions = dict(d.item_definitions)
        p.signals = dict(d.signals)
        p.messages = {k: (v[0], v[1]) for k, v in d.messages.items()}
        p.errors = dict(d.errors)
        p.escalations = dict(d.escalations)
        p.imports = list(d.imports)
        self.process = p
        self.id_gen = 1
        for c in el.children:
            if c.tag == "extensionElements":
                self._process_extensions(p, c)
        self._container(p, el)
        self._post_process(p)
        return p

    def _process_extensions(self, p, ext):
        for c in ext.children:
            if c.tag == "import":
                name = c.get("name")
                if name:
                    p.imports.append(name)
            elif c.tag == "global":
                p.globals[c.get("identifier")] = c.get("type") or "java.lang.Object"
            elif c.tag == "metaData":
                v = c.find("metaValue")
                p.metadata[c.get("name")] = v.text_content() if v is not None else None
        if "customDescription" in p.metadata:
            p.description = p.metadata["customDescription"]
        tags = p.metadata.get("customTags")
        if tags:
            p.tags = [t.strip() for t in tags.split(",") if t.strip()]

    # -- containers ----------------------------------------------------------------------------
    def _container(self, container, el):
        """Read properties, data objects, lanes, nodes and flows of a process or sub-process."""
        flows = []
        for c in el.children:
            t = c.tag
            if not self._bpmn(c):
                continue
            if t == "property":
                container.variables.append(self._variable(c))
            elif t == "dataObject":
                container.variables.append(self._variable(c))
            elif t == "laneSet":
                self._lanes(c)
            elif t == "sequenceFlow":
                flows.append(self._flow(c))
            else:
                node = self._node(c, container)
                if node is not None:
                    container.nodes.append(node)
        container.flows = flows
        self._link(container, flows)

    def _variable(self, el):
        # jBPM PropertyHandler: the name attribute (when given) is the variable name, else the id
        name = el.get("name") or el.get("id")
        if el.get("id") and el.get("id") != name:
            self.process.variable_aliases[el.get("id")] = name
        ref = el.get("itemSubjectRef")
        typ = self.defs.item_definitions.get(ref, "java.lang.Object") if ref else "java.lang.Object"
        v = VariableDef(name, typ, ref)
        ext = el.find("extensionElements")
        if ext is not None:
            for m in ext.findall("metaData"):
                mv = m.find("metaValue")
                val = mv.text_content() if mv is not None else None
                v.metadata[m.get("name")] = val
                if m.get("name") == "customTags" and val:
                    v.tags = [t.strip() for t in val.split(",") if t.strip()]
        return v

    def _lanes(self, el):
        for lane in el.findall("lane"):
            name = lane.get("name")
            for ref in lane.findall("flowNodeRef"):
                self.process.lanes[ref.text_content().strip()] = name
            child = lane.find("childLaneSet")
            if child is not None:
                self._lanes(child)

    def _flow(self, el):
        prio = el.nsget(DROOLS_NS, "priority") or el.get("priority")
        try:
            prio = int(prio) if prio not in (None, "") else 0
        except ValueError:
            self.error(f"invalid priority '{prio}' on sequence flow {el.get('id')}", el)
        f = SequenceFlow(el.get("id"), el.get("sourceRef"), el.get("targetRef"), el.get("name"), None, prio, el.line)
        ce = el.find("conditionExpression")
        if ce is not None:
            text = ce.text_content()
            lang = ce.get("language")
            dialect = _lang_dialect(lang)
            if dialect is None:
                self.error(f"Unknown language {lang}", ce)
            ctype = "code"
            if dialect == "rule":
                ctype, dialect = "rule", "drools"
            f.condition = Constraint(dialect, text, ce.line, prio, f.name or "", ctype)
        return f

    def _link(self, container, flows):
        by_id = {n.id: n for n in container.nodes}
        for f in flows:
            src = by_id.get(f.source_ref)
            tgt = by_id.get(f.target_ref)
            if src is None:
                self.error(f"Could not find source node for connection:{f.source_ref}", f.line)
            if tgt is None:
                self.error(f"Could not find target node for connection:{f.target_ref}", f.line)
            if isinstance(src, BoundaryEventNode) and src.kind == "compensation":
                self.error("A Compensation Boundary Event can only be *associated* with a compensation "
                           "activity via an Association, not via a Sequence Flow element.", f.line)
            f.source, f.target = src, tgt
            src.outgoing.append(f)
            tgt.incoming.append(f)
            if isinstance(src, Split) and f.condition is not None and src.default_flow == f.id:
                f.condition.is_default = True
        # boundary events
        for n in container.nodes:
            if isinstance(n, BoundaryEventNode):
                att = by_id.get(n.attached_to)
                if att is None:
                    self.error(f"Could not find node to attach to: {n.attached_to}", n.line)
                att.boundary_events.append(n)
        # link events
        catches = {}
        for n in container.nodes:
            if isinstance(n, CatchLinkNode):
                catches[n.link_name] = n
        for n in container.nodes:
            if isinstance(n, ThrowLinkNode):
                tgt = catches.get(n.link_name)
                if tgt is None:
                    self.error(f"Could not find catch link event for link {n.link_name!r}", n.line)
                n.link_target = tgt

    # -- nodes ---------------------------------------------------------------------------------
    def _new(self, cls, el, container):
        nid = el.get("id")
        if not nid:
            self.error(f"<{el.tag}> without id", el)
        node = cls(nid, el.get("name"), self.id_gen, el.line)
        self.id_gen += 1
        node.container = container
        node.bpmn_element = el.tag
        self._common(node, el)
        return node

    def _common(self, node, el):
        ext = el.find("extensionElements")
        if ext is None:
            return
        for c in ext.children:
            if c.tag == "metaData":
                mv = c.find("metaValue")
                node.metadata[c.get("name")] = mv.text_content() if mv is not None else None
            elif c.tag in ("onEntry-script", "onExit-script"):
                script = self._script_el(c)
                (node.on_entry if c.tag == "onEntry-script" else node.on_exit).append(script)

    def _script_el(self, el):
        fmt = el.get("scriptFormat")
        dialect = "java" if fmt == JAVA_LANG else "JavaScript" if fmt == JS_LANG else "mvel"
        s = el.find("script")
        if s is None:
            return Script("mvel", "", el.line)
        return Script(dialect, s.text_content(), s.line)

    def _register(self, node):
        p = self.process
        if node.id in p.all_nodes and not isinstance(node, ForEachNode):
            p.warnings.append(f"duplicate node id {node.id}")
        p.all_nodes[node.id] = node
        if isinstance(node, ForEachNode) and node.inner is not None:
            p.all_nodes[node.inner.id] = node.inner
        p.node_list.append(node)

    def _node(self, el, container):
        t = el.tag
        handler = getattr(self, "_n_" + t, None)
        if handler is None:
            if t in ("textAnnotation", "association", "group", "dataObjectReference", "dataStoreReference",
                     "documentation", "extensionElements", "ioSpecification", "dataInput", "dataOutput",
                     "inputSet", "outputSet", "dataInputAssociation", "dataOutputAssociation",
                     "multiInstanceLoopCharacteristics", "standardLoopCharacteristics", "auditing",
                     "monitoring", "completionCondition", "categoryValue", "incoming", "outgoing",
                     "potentialOwner", "performer", "humanPerformer", "resourceRole", "laneSet"):
                return None
            self.error(f"unsupported BPMN element <{t}>", el)
        node = handler(el, container)
        if node is None:
            return None
        if node.name is None:
            pass
        lane = self.process.lanes.get(node.id)
        if lane is not None:
            node.metadata["Lane"] = lane
            if isinstance(node, HumanTaskNode):
                node.swimlane = lane
        # multi-instance wrapping (tasks and sub-processes)
        mi = el.find("multiInstanceLoopCharacteristics")
        if mi is not None and not isinstance(node, (StartNode, EndNode, Split, Join)):
            node = self._wrap_for_each(node, el, mi, container)
        self._register(node)
        return node

    # events -----------------------------------------------------------------------------------
    def _event_defs(self, el):
        return [c for c in el.children if c.tag.endswith("EventDefinition") or c.tag in
                ("signalEventDefinition", "messageEventDefinition", "timerEventDefinition")]

    def _signal_name(self, ref):
        if ref is None:
            return None
        name = self.defs.signals.get(ref, ref)
        p = self.process
        if name not in p.signal_names:
            p.signal_names.append(name)
        return name

    def _message(self, el, ref):
        if ref is None:
            self.error("message event without messageRef", el)
        m = self.defs.messages.get(ref)
        if m is None:
            self.error(f"Could not find message {ref}", el)
        return (ref, m[0], m[1])

    def _timer(self, ted):
        for c in ted.children:
            expr = c.text_content().strip()
            if c.tag == "timeDuration":
                return TimerDef(TimerDef.DURATION, expr, c.get("language"))
            if c.tag == "timeCycle":
                lang = c.get("language")
                period = None
                if "###" in expr:
                    expr, period = expr.split("###", 1)
                return TimerDef(TimerDef.CYCLE, expr, lang, period)
            if c.tag == "timeDate":
                return TimerDef(TimerDef.DATE, expr, c.get("language"))
        return None

    def _data_outputs(self, el):
        """{dataOutput id -> name} of an event element (direct children or in an ioSpecification)."""
        out = {}
        for c in el.children:
            if c.tag == "dataOutput":
                out[c.get("id")] = c.get("name") or c.get("id")
        return out

    def _data_inputs(self, el):
        out = {}
        for c in el.children:
            if c.tag == "dataInput":
                out[c.get("id")] = c.get("name") or c.get("id")
        return out

    def _n_startEvent(self, el, container):
        n = self._new(StartNode, el, container)
        n.interrupting = (el.get("isInterrupting") or "true").lower() != "false"
        outputs = self._data_outputs(el)
        target = None
        for a in el.findall("dataOutputAssociation"):
            src = a.find("sourceRef")
            tgt = a.find("targetRef")
            if tgt is not None:
                target = tgt.text_content().strip()
                n.out_associations.append(DataAssociation(
                    [outputs.get(src.text_content().strip(), src.text_content().strip())] if src is not None else [],
                    target))
        n.trigger_mapping = target
        for ed in self._event_defs(el):
            t = ed.tag
            if t == "signalEventDefinition":
                name = self._signal_name(ed.get("signalRef"))
                n.triggers.append(Trigger("signal", name, ed.get("signalRef")))
            elif t == "messageEventDefinition":
                mid, mname, _mtype = self._message(ed, ed.get("messageRef"))
                n.metadata["MessageType"] = _mtype
                n.triggers.append(Trigger("message", "Message-" + mname, mid))
            elif t == "timerEventDefinition":
                n.timer = self._timer(ed)
                n.triggers.append(Trigger("timer", "timer"))
            elif t == "errorEventDefinition":
                ref = ed.get("errorRef")
                code = None
                if ref:
                    err = self.defs.errors.get(ref)
                    code = err[0] if err else ref
                n.metadata["FaultCode"] = code
                n.triggers.append(Trigger("error", "Error-" + code if code else "Error-", ref))
            elif t == "escalationEventDefinition":
                ref = ed.get("escalationRef")
                esc = self.defs.escalations.get(ref)
                code = esc[0] if esc else ref
                n.metadata["FaultCode"] = code
                n.triggers.append(Trigger("escalation", "Escalation-" + (code or ""), ref))
            elif t == "conditionalEventDefinition":
                c = ed.find("condition")
                n.condition = Script(_lang_dialect(c.get("language") if c is not None else None) or "mvel",
                                     c.text_content() if c is not None else "", ed.line)
                n.triggers.append(Trigger("conditional", "conditional"))
            elif t == "compensateEventDefinition":
                n.triggers.append(Trigger("compensation", "Compensation"))
        return n

    def _n_endEvent(self, el, container):
        defs = self._event_defs(el)
        kinds = [d.tag for d in defs]
        if "errorEventDefinition" in kinds or "escalationEventDefinition" in kinds:
            n = self._new(FaultNode, el, container)
            ed = defs[kinds.index("errorEventDefinition")] if "errorEventDefinition" in kinds else \
                defs[kinds.index("escalationEventDefinition")]
            if ed.tag == "errorEventDefinition":
                ref = ed.get("errorRef")
                if ref:
                    err = self.defs.errors.get(ref)
                    if err is None:
                        self.error(f"Could not find error {ref}", ed)
                    n.fault_name = err[0]
                    n.metadata["FaultStructureRef"] = err[1]
                n.terminate_parent = True
            else:
                ref = ed.get("escalationRef")
                esc = self.defs.escalations.get(ref)
                if ref and esc is None:
                    self.error(f"Could not find escalation {ref}", ed)
                n.fault_name = esc[0] if esc else None
                n.escalation = True
            n.fault_variable = self._throw_variable(el)
            return n
        n = self._new(EndNode, el, container)
        for ed in defs:
            t = ed.tag
            if t == "terminateEventDefinition":
                n.terminate = True
                n.scope = EndNode.PROCESS_SCOPE if (ed.get("scope") or "").lower() == "process" \
                    else EndNode.CONTAINER_SCOPE
            elif t == "signalEventDefinition":
                n.throw_kind = "signal"
                n.signal_name = self._signal_name(ed.get("signalRef"))
                n.signal_scope = n.metadata.get("customScope")
                n.mapping_variable = self._throw_variable(el)
            elif t == "messageEventDefinition":
                n.throw_kind = "message"
                n.message = self._message(ed, ed.get("messageRef"))
                n.mapping_variable = self._throw_variable(el)
            elif t == "compensateEventDefinition":
                n.throw_kind = "compensation"
                n.compensation_ref = ed.get("activityRef")
        return n

    def _throw_variable(self, el):
        """The variable (or quoted constant) whose value a throw event sends (jBPM's MappingVariable)."""
        inputs = self._data_inputs(el)
        for a in el.findall("dataInputAssociation"):
            src = a.find("sourceRef")
            if src is not None:
                return src.text_content().strip()
            asg = a.find("assignment")
            if asg is not None:
                frm = asg.find("from")
                if frm is not None:
                    return '"' + frm.text_content() + '"'
        del inputs
        return None

    def _n_intermediateCatchEvent(self, el, container):
        defs = self._event_defs(el)
        if not defs:
            self.error("intermediate catch event without event definition", el)
        ed = defs[0]
        t = ed.tag
        if t == "timerEventDefinition":
            n = self._new(TimerNode, el, container)
            n.timer = self._timer(ed)
            return n
        if t == "conditionalEventDefinition":
            n = self._new(StateNode, el, container)
            c = ed.find("condition")
            n.condition = Script(_lang_dialect(c.get("language") if c is not None else None) or "mvel",
                                 c.text_content() if c is not None else "", ed.line)
            return n
        if t == "linkEventDefinition":
            n = self._new(CatchLinkNode, el, container)
            n.link_name = ed.get("name") or el.get("name")
            return n
        n = self._new(EventNode, el, container)
        self._event_output(n, el)
        if t == "signalEventDefinition":
            n.kind = "signal"
            n.event_type = self._signal_name(ed.get("signalRef"))
            n.scope = "external"
        elif t == "messageEventDefinition":
            n.kind = "message"
            n.message = self._message(ed, ed.get("messageRef"))
            n.event_type = "Message-" + n.message[1]
            n.scope = "external"
        elif t == "compensateEventDefinition":
            n.kind = "compensation"
            n.event_type = "Compensation"
        else:
            self.error(f"unsupported intermediate catch event definition <{t}>", ed)
        return n

    def _event_output(self, n, el):
        outputs = self._data_outputs(el)
        for a in el.findall("dataOutputAssociation"):
            src = a.find("sourceRef")
            tgt = a.find("targetRef")
            if tgt is None:
                continue
            target = tgt.text_content().strip()
            source = src.text_content().strip() if src is not None else None
            n.out_associations.append(DataAssociation([outputs.get(source, source)] if source else [], target))
            if n.variable_name is None:
                n.variable_name = target

    def _n_intermediateThrowEvent(self, el, container):
        defs = self._event_defs(el)
        if defs and defs[0].tag == "linkEventDefinition":
            n = self._new(ThrowLinkNode, el, container)
            n.link_name = defs[0].get("name") or el.get("name")
            return n
        n = self._new(ActionNode, el, container)
        if not defs:
            n.metadata["NodeType"] = "IntermediateThrowEvent-None"
            return n
        ed = defs[0]
        t = ed.tag
        n.mapping_variable = self._throw_variable(el)
        if t == "signalEventDefinition":
            n.throw_kind = "signal"
            n.signal_name = self._signal_name(ed.get("signalRef"))
            n.signal_scope = n.metadata.get("customScope")
            inputs = self._data_inputs(el)
            n.async_signal = "async" in inputs.values()
            n.execute_after_complete = (n.metadata.get("executeActionAfterComplete") or "").lower() == "true"
        elif t == "messageEventDefinition":
            n.throw_kind = "message"
            n.message = self._message(ed, ed.get("messageRef"))
        elif t == "escalationEventDefinition":
            n.throw_kind = "escalation"
            ref = ed.get("escalationRef")
            if ref:
                esc = self.defs.escalations.get(ref)
                if esc is None:
                    self.error(f"Could not find escalation {ref}", ed)
                n.escalation_code = esc[0]
        elif t == "compensateEventDefinition":
            n.throw_kind = "compensation"
            n.compensation_ref = ed.get("activityRef")
        else:
            self.error(f"unsupported intermediate throw event definition <{t}>", ed)
        return n

    def _n_boundaryEvent(self, el, container):
        n = self._new(BoundaryEventNode, el, container)
        n.attached_to = el.get("attachedToRef")
        ca = el.get("cancelActivity")
        n.cancel_activity = (ca or "true").lower() != "false"
        self._event_output(n, el)
        defs = self._event_defs(el)
        if not defs:
            self.error("boundary event without event definition", el)
        ed = defs[0]
        t = ed.tag
        att = n.attached_to
        if t == "timerEventDefinition":
            n.kind = "timer"
            n.timer = self._timer(ed)
            n.event_type = f"Timer-{att}-{n.timer.expression if n.timer else ''}-{n.num}"
        elif t == "signalEventDefinition":
            n.kind = "signal"
            n.event_type = self._signal_name(ed.get("signalRef"))
            n.scope = "external"
            n.metadata["SignalName"] = n.event_type
        elif t == "messageEventDefinition":
            n.kind = "message"
            n.message = self._message(ed, ed.get("messageRef"))
            n.event_type = "Message-" + n.message[1]
            n.scope = "external"
        elif t == "errorEventDefinition":
            n.kind = "error"
            n.cancel_activity = True
            ref = ed.get("errorRef")
            code = None
            if ref:
                err = self.defs.errors.get(ref)
                code = err[0] if err else ref
                n.error_structure_ref = err[1] if err else None
                n.has_error_code = True
            n.error_code = code
            n.event_type = f"Error-{att}-{code}"
        elif t == "escalationEventDefinition":
            n.kind = "escalation"
            ref = ed.get("escalationRef")
            esc = self.defs.escalations.get(ref) if ref else None
            code = esc[0] if esc else ref
            n.escalation_code = code
            n.event_type = f"Escalation-{att}-{code}"
        elif t == "compensateEventDefinition":
            n.kind = "compensation"
            n.event_type = "Compensation"
        elif t == "conditionalEventDefinition":
            n.kind = "conditional"
            c = ed.find("condition")
            n.condition = Script(_lang_dialect(c.get("language") if c is not None else None) or "mvel",
                                 c.text_content() if c is not None else "", ed.line)
            n.event_type = f"Condition-{att}"
        else:
            self.error(f"unsupported boundary event definition <{t}>", ed)
        return n

    # gateways ---------------------------------------------------------------------------------
    def _gateway(self, el, container, split_type, join_type):
        direction = el.get("gatewayDirection") or ""
        if direction not in ("Converging", "Diverging"):
            # infer as jBPM designers intend; jBPM itself requires the attribute
            ins = sum(1 for f in el.parent.children if f.tag == "sequenceFlow" and f.get("targetRef") == el.get("id"))
            outs = sum(1 for f in el.parent.children if f.tag == "sequenceFlow" and f.get("sourceRef") == el.get("id"))
            direction = "Converging" if ins > 1 and outs <= 1 else "Diverging"
            self.process.warnings.append(f"gateway {el.get('id')} without gatewayDirection, read as {direction}")
        if direction == "Converging":
            n = self._new(Join, el, container)
            n.type = join_type
        else:
            n = self._new(Split, el, container)
            n.type = split_type
            n.default_flow = el.get("default")
        n.gateway = el.tag
        return n

    def _n_exclusiveGateway(self, el, container):
        return self._gateway(el, container, Split.TYPE_XOR, Join.TYPE_XOR)

    def _n_parallelGateway(self, el, container):
        return self._gateway(el, container, Split.TYPE_AND, Join.TYPE_AND)

    def _n_inclusiveGateway(self, el, container):
        return self._gateway(el, container, Split.TYPE_OR, Join.TYPE_OR)

    def _n_eventBasedGateway(self, el, container):
        return self._gateway(el, container, Split.TYPE_XAND, Join.TYPE_XOR)

    def _n_complexGateway(self, el, container):
        return self._gateway(el, container, Split.TYPE_OR, Join.TYPE_OR)

    # activities -------------------------------------------------------------------------------
    def _n_scriptTask(self, el, container):
        n = self._new(ActionNode, el, container)
        n.metadata["NodeType"] = "ScriptTask"
        fmt = el.get("scriptFormat")
        dialect = "java" if fmt == JAVA_LANG else "JavaScript" if fmt == JS_LANG else "mvel"
        text = ""
        line = el.line
        for c in el.children:
            if c.tag == "script":
                text = c.text_content()
                line = c.line
        n.script = Script(dialect, text, line)
        if (el.get("isForCompensation") or "").lower() == "true":
            n.metadata["isForCompensation"] = True
        return n

    def _task_io(self, n, el):
        """ioSpecification + data associations of a task-like node (jBPM TaskHandler)."""
        inputs, outputs = {}, {}
        io = el.find("ioSpecification")
        items = self.defs.item_definitions
        if io is not None:
            for c in io.children:
                if c.tag in ("dataInput", "dataOutput"):
                    name = c.get("name") or c.get("id")
                    ref = c.get("itemSubjectRef")
                    if not ref:
                        typ = c.get("dtype") or "java.lang.String"
                    elif ref in items:
                        typ = items[ref]
                    else:
                        typ = "java.lang.Object"
                    if c.tag == "dataInput":
                        inputs[c.get("id")] = name
                        n.data_inputs[name] = typ
                    else:
                        outputs[c.get("id")] = name
                        n.data_outputs[name] = typ
        params = getattr(n, "parameters", None)
        for a in el.findall("dataInputAssociation"):
            self._input_association(n, a, inputs, params)
        for a in el.findall("dataOutputAssociation"):
            self._output_association(n, a, outputs)
        return inputs, outputs

    def _input_association(self, n, a, inputs, params):
        src = a.find("sourceRef")
        tgt = a.find("targetRef")
        source = src.text_content().strip() if src is not None else None
        target = tgt.text_content().strip() if tgt is not None else None
        target = inputs.get(target, target)
        assignments = []
        assignment_el = None
        transformation = None
        for c in a.children:
            if c.tag == "assignment":
                assignment_el = c
                frm, to = c.find("from"), c.find("to")
                ftext = frm.text_content() if frm is not None else None
                ttext = to.text_content() if to is not None else None
                dialect = None
                for x in (frm, to):
                    if x is not None and x.get("language"):
                        dialect = _lang_dialect(x.get("language"))
                        break
                if dialect is None and ((ftext is not None and PARAM_RE.fullmatch(ftext.strip() if ftext else ""))
                                        or (ttext is not None and PARAM_RE.fullmatch(ttext.strip()))):
                    dialect = "mvel"
                assignments.append(Assignment(dialect or "XPath", ftext, inputs.get(ttext, ttext)))
            elif c.tag == "transformation":
                transformation = (c.get("language"), c.text_content())
        legacy = source is None and (not assignments or assignments[0].dialect == "XPath")
        if legacy:
            if assignment_el is not None and params is not None:
                frm = assignment_el.find("from")
                if frm is not None and (frm.parts or frm.children):
                    value = frm.text_content()
                    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
                        value = value[1:-1]
                    params[target] = value
            return
        n.in_associations.append(DataAssociation([source] if source else [], target, assignments, transformation))

    def _output_association(self, n, a, outputs):
        src = a.find("sourceRef")
        tgt = a.find("targetRef")
        source = src.text_content().strip() if src is not None else None
        source = outputs.get(source, source)
        target = tgt.text_content().strip() if tgt is not None else None
        assignments = []
        transformation = None
        for c in a.children:
            if c.tag == "assignment":
                frm, to = c.find("from"), c.find("to")
                ftext = frm.text_content() if frm is not None else None
                ttext = to.text_content() if to is not None else None
                assignments.append(Assignment("mvel", outputs.get(ftext, ftext), ttext))
            elif c.tag == "transformation":
                transformation = (c.get("language"), c.text_content())
        n.out_associations.append(DataAssociation([source] if source else [], target, assignments, transformation))

    def _work_node(self, cls, el, container, work_name):
        n = self._new(cls, el, container)
        n.work_name = work_name
        n.kind = el.tag
        self._task_io(n, el)
        if (el.get("isForCompensation") or "").lower() == "true":
            n.is_for_compensation = True
            n.metadata["isForCompensation"] = True
        wfc = el.get("waitForCompletion")
        if wfc is not None and wfc.lower() == "false":
            n.wait_for_completion = False
        return n

    def _n_task(self, el, container):
        name = el.get("taskName")
        return self._work_node(WorkItemNode, el, container, name if name is not None else "")

    def _n_serviceTask(self, el, container):
        name = el.get("taskName")
        n = self._work_node(WorkItemNode, el, container, name if name else "Service Task")
        impl = el.get("implementation")
        op = el.get("operationRef")
        n.metadata["OperationRef"] = op
        n.metadata["Implementation"] = impl
        n.metadata["Type"] = "Service Task"
        if not name and op:
            info = self.defs.interfaces.get(op)
            if info is None and self.defs.interfaces:
                self.error(f"Could not find operation {op}", el)
            if info is not None:
                n.parameters.setdefault("Interface", info[0])
                n.parameters.setdefault("Operation", info[1])
                n.parameters.setdefault("ParameterType", info[3])
                if impl is not None:
                    n.parameters["interfaceImplementationRef"] = info[0]
                    n.parameters["operationImplementationRef"] = info[2]
                    n.parameters["implementation"] = impl
        return n

    def _n_sendTask(self, el, container):
        n = self._work_node(WorkItemNode, el, container, "Send Task")
        ref = el.get("messageRef")
        if ref:
            n.message = self._message(el, ref)
            n.parameters["MessageType"] = n.message[2]
        return n

    def _n_receiveTask(self, el, container):
        n = self._work_node(WorkItemNode, el, container, "Receive Task")
        ref = el.get("messageRef")
        if ref:
            n.message = self._message(el, ref)
            n.parameters["MessageId"] = ref
        return n

    def _n_manualTask(self, el, container):
        return self._work_node(WorkItemNode, el, container, "Manual Task")

    def _n_userTask(self, el, container):
        n = self._work_node(HumanTaskNode, el, container, "Human Task")
        owners = []
        for po in el.findall("potentialOwner"):
            rae = po.find("resourceAssignmentExpression")
            if rae is not None and rae.children:
                owners.append(rae.children[0].text_content())
        if owners:
            n.parameters["ActorId"] = ",".join(owners)
        n.parameters["NodeName"] = n.name
        return n

    def _n_businessRuleTask(self, el, container):
        n = self._new(RuleSetNode, el, container)
        impl = el.get("implementation")
        self._task_io(n, el)
        if impl and impl.strip() == DMN_IMPL:
            n.language = "DMN"
            n.dmn_namespace = n.parameters.get("namespace")
            n.dmn_model = n.parameters.get("model")
            n.dmn_decision = n.parameters.get("decision")
        else:
            n.ruleflow_group = el.get("ruleFlowGroup")
        return n

    def _n_callActivity(self, el, container):
        n = self._new(SubProcessNode, el, container)
        n.called_element = el.get("calledElement")
        ind = el.get("independent")
        n.independent = not (ind is not None and ind.lower() == "false")
        wfc = el.get("waitForCompletion")
        n.wait_for_completion = not (wfc is not None and wfc.lower() == "false")
        ap = n.metadata.get("customAbortParent")
        if ap is not None and ap.lower() == "false":
            n.abort_parent = False
        self._task_io(n, el)
        return n

    def _composite(self, cls, el, container):
        n = self._new(cls, el, container)
        self._task_io(n, el)
        self._container(n, el)
        return n

    def _n_subProcess(self, el, container):
        if (el.get("triggeredByEvent") or "").lower() == "true":
            n = self._composite(EventSubProcessNode, el, container)
            for s in n.nodes:
                if isinstance(s, StartNode):
                    for trg in s.triggers:
                        if trg.event_type and trg.event_type not in n.event_types:
                            n.event_types.append(trg.event_type)
            return n
        return self._composite(CompositeContextNode, el, container)

    def _n_transaction(self, el, container):
        return self._composite(CompositeContextNode, el, container)

    def _n_adHocSubProcess(self, el, container):
        n = self._composite(DynamicNode, el, container)
        cc = el.find("completionCondition")
        if cc is not None:
            text = cc.text_content().strip()
            n.completion_condition = Script(_lang_dialect(cc.get("language")) or "mvel", text, cc.line)
            if text == "autocomplete":
                n.auto_complete = True
                n.completion_condition = None
        n.ordering = el.get("ordering") or "Parallel"
        n.activation_event = n.metadata.get("customActivationCondition")
        return n

    # multi-instance ---------------------------------------------------------------------------
    def _wrap_for_each(self, node, el, mi, container):
        fe = ForEachNode(node.id, node.name, node.num, node.line)
        fe.container = container
        fe.bpmn_element = el.tag
        inner_id = node.id + ":1"
        self.process.all_nodes.pop(node.id, None)
        node.id = inner_id
        node.container = fe
        fe.inner = node
        fe.nodes = [node]
        fe.sequential = (mi.get("isSequential") or "false").lower() == "true"
        fe.metadata = dict(node.metadata)
        # the wrapper takes over the boundary events and data associations' collection mapping
        inputs, outputs = {}, {}
        io = el.find("ioSpecification")
        if io is not None:
            for c in io.children:
                if c.tag == "dataInput":
                    inputs[c.get("id")] = c.get("name") or c.get("id")
                elif c.tag == "dataOutput":
                    outputs[c.get("id")] = c.get("name") or c.get("id")
        in_assoc, out_assoc = {}, {}
        for a in el.findall("dataInputAssociation"):
            s, t = a.find("sourceRef"), a.find("targetRef")
            if s is not None and t is not None:
                in_assoc[t.text_content().strip()] = s.text_content().strip()
        for a in el.findall("dataOutputAssociation"):
            s, t = a.find("sourceRef"), a.find("targetRef")
            if s is not None and t is not None:
                out_assoc[s.text_content().strip()] = t.text_content().strip()
        items = self.defs.item_definitions
        for c in mi.children:
            if c.tag == "loopDataInputRef":
                ref = c.text_content().strip()
                fe.mi_input_ref = ref
                fe.collection_expression = in_assoc.get(ref) or inputs.get(ref) or ref
            elif c.tag == "loopDataOutputRef":
                ref = c.text_content().strip()
                fe.mi_output_ref = ref
                fe.output_collection_expression = out_assoc.get(ref) or outputs.get(ref) or ref
            elif c.tag == "inputDataItem":
                name = c.get("id") or c.get("name")
                if name and name.strip():
                    fe.variable_name = name
                    ref = c.get("itemSubjectRef")
                    fe.variable_type = items.get(ref, "java.lang.Object") if ref else "java.lang.Object"
            elif c.tag == "outputDataItem":
                name = c.get("id") or c.get("name")
                if name and name.strip():
                    fe.output_variable_name = name
            elif c.tag == "completionCondition":
                text = c.text_content().strip()
                if text:
                    fe.completion_condition = Script(_lang_dialect(c.get("language")) or "mvel", text, c.line)
        # the inner node must not map the output collection itself (jBPM adjustOutMapping)
        if fe.output_collection_expression and isinstance(node, (WorkItemNode, SubProcessNode)):
            node.out_associations = [a for a in node.out_associations
                                     if a.target != fe.output_collection_expression]
        if fe.mi_input_ref:
            node.metadata["MICollectionInput"] = inputs.get(fe.mi_input_ref, fe.mi_input_ref)
        return fe

    # -- post-processing -----------------------------------------------------------------------
    def _post_process(self, p):
        self._post_container(p, p)
        if p.variable_aliases:
            al = p.variable_aliases
            for n in p.all_nodes.values():
                for a in n.in_associations:
                    a.sources = [al.get(x, x) for x in a.sources]
                for a in n.out_associations:
                    a.target = al.get(a.target, a.target)
                if getattr(n, "variable_name", None) in al and not isinstance(n, ForEachNode):
                    n.variable_name = al[n.variable_name]
                if getattr(n, "trigger_mapping", None) in al:
                    n.trigger_mapping = al[n.trigger_mapping]
                mv = getattr(n, "mapping_variable", None)
                if mv in al:
                    n.mapping_variable = al[mv]
                if isinstance(n, ForEachNode):
                    n.collection_expression = al.get(n.collection_expression, n.collection_expression)
                    n.output_collection_expression = al.get(n.output_collection_expression,
                                                            n.output_collection_expression)

    def _post_container(self, p, container):
        for n in container.nodes:
            if isinstance(n, (CompositeContextNode,)):
                self._post_container(p, n)
            elif isinstance(n, ForEachNode):
                if isinstance(n.inner, CompositeContextNode):
                    self._post_container(p, n.inner)
            if isinstance(n, EventNode) and not isinstance(n, BoundaryEventNode) and not n.incoming:
                self.error(f"Event node '{n.name}' [{n.num}] has no incoming connection", n.line)
            if isinstance(n, Split) and n.default_flow:
                for f in n.outgoing:
                    if f.id == n.default_flow and f.condition is not None:
                        f.condition.is_default = True
        # error handlers in event sub-processes stop fault nodes from terminating the parent
        handled = set()
        for n in container.nodes:
            if isinstance(n, EventSubProcessNode):
                for s in n.nodes:
                    if isinstance(s, StartNode):
                        for t in s.triggers:
                            if t.kind in ("error", "escalation"):
                                handled.add(s.metadata.get("FaultCode"))
        for n in container.nodes:
            if isinstance(n, FaultNode) and n.fault_name in handled:
                n.terminate_parent = False


def parse_processes(xml_text, source_name="<bpmn2>"):
    """Every <process> of a BPMN2 document."""
    return _Parser(source_name).parse(xml_text)


def parse_process(xml_text, source_name="<bpmn2>"):
    """The (first) process of a BPMN2 document; ProcessParseError with file/line on failure."""
    return parse_processes(xml_text, source_name)[0]
