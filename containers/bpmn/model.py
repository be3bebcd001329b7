"""Process definitions: the graph the parser builds and the engine walks.

Node classes carry jBPM's node class simple names (`Node.jbpm_type`, e.g. "HumanTaskNode"), which is
what NodeInstanceLog.nodeType and the definition REST resources report.  `Node.id` is the BPMN id
(jBPM's "UniqueId"); `Node.num` is jBPM's numeric node id (1, 2, ... in document order).
"""
from __future__ import annotations

__all__ = [
    "ProcessParseError", "VariableDef", "Script", "Constraint", "SequenceFlow", "DataAssociation",
    "Assignment", "TimerDef", "Trigger", "Node", "StartNode", "EndNode", "FaultNode", "ActionNode",
    "WorkItemNode", "HumanTaskNode", "RuleSetNode", "Split", "Join", "EventNode", "BoundaryEventNode",
    "TimerNode", "StateNode", "CatchLinkNode", "ThrowLinkNode", "CompositeContextNode",
    "EventSubProcessNode", "DynamicNode", "ForEachNode", "SubProcessNode", "MilestoneNode",
    "ProcessDefinition", "NodeContainerMixin",
]


class ProcessParseError(ValueError):
    """A BPMN2 file that cannot be used; `source` and `line` locate it when known."""

    def __init__(self, message, source=None, line=None):
        self.message = message
        self.source = source
        self.line = line
        where = ""
        if source:
            where = f"{source}"
            if line:
                where += f":{line}"
            where += ": "
        super().__init__(where + message)


class VariableDef:
    __slots__ = ("name", "type", "item_subject_ref", "tags", "default", "metadata")

    def __init__(self, name, type="java.lang.Object", item_subject_ref=None, tags=(), default=None, metadata=None):
        self.name = name
        self.type = type
        self.item_subject_ref = item_subject_ref
        self.tags = list(tags)
        self.default = default
        self.metadata = metadata or {}

    def __repr__(self):
        return f"VariableDef({self.name!r}, {self.type!r})"


class Script:
    """A script (task body, onEntry/onExit) or a condition in a dialect ("java", "mvel", "JavaScript")."""
    __slots__ = ("dialect", "text", "line", "compiled", "error")

    def __init__(self, dialect, text, line=None):
        self.dialect = dialect
        self.text = text or ""
        self.line = line
        self.compiled = None
        self.error = None

    def __repr__(self):
        return f"Script({self.dialect!r}, {self.text[:40]!r})"


class Constraint(Script):
    """A sequence flow condition."""
    __slots__ = ("priority", "name", "type", "is_default")

    def __init__(self, dialect, text, line=None, priority=1, name="", type="code"):
        super().__init__(dialect, text, line)
        self.priority = priority
        self.name = name
        self.type = type
        self.is_default = False


class SequenceFlow:
    __slots__ = ("id", "name", "source_ref", "target_ref", "source", "target", "condition", "priority", "line")

    def __init__(self, id, source_ref, target_ref, name=None, condition=None, priority=1, line=None):
        self.id = id
        self.name = name
        self.source_ref = source_ref
        self.target_ref = target_ref
        self.source = None
        self.target = None
        self.condition = condition
        self.priority = priority
        self.line = line

    def __repr__(self):
        return f"SequenceFlow({self.id!r}: {self.source_ref} -> {self.target_ref})"


class Assignment:
    __slots__ = ("dialect", "from_expr", "to_expr")

    def __init__(self, dialect, from_expr, to_expr):
        self.dialect = dialect
        self.from_expr = from_expr
        self.to_expr = to_expr


class DataAssociation:
    """sources -> target (names already mapped from dataInput/dataOutput ids to their names)."""
    __slots__ = ("sources", "target", "assignments", "transformation")

    def __init__(self, sources, target, assignments=None, transformation=None):
        self.sources = list(sources or [])
        self.target = target
        self.assignments = list(assignments or [])
        self.transformation = transformation

    @property
    def source(self):
        return self.sources[0] if self.sources else None

    def __repr__(self):
        return f"DataAssociation({self.sources!r} -> {self.target!r})"


class TimerDef:
    """timeDuration / timeCycle / timeDate of a timer event (expressions, maybe with #{...})."""
    __slots__ = ("kind", "expression", "language", "period", "id")

    DURATION, CYCLE, DATE = "duration", "cycle", "date"

    def __init__(self, kind, expression, language=None, period=None, id=None):
        self.kind = kind
        self.expression = expression
        self.language = language
        self.period = period
        self.id = id

    def describe(self):
        return {"kind": self.kind, "expression": self.expression, "language": self.language, "period": self.period}


class Trigger:
    """What starts a start node: an event type (signal name, "Message-<name>", "Error-<code>", ...)."""
    __slots__ = ("kind", "event_type", "mappings", "ref")

    def __init__(self, kind, event_type, ref=None, mappings=None):
        self.kind = kind  # signal | message | error | escalation | timer | conditional | compensation
        self.event_type = event_type
        self.ref = ref
        self.mappings = mappings or {}


# ---------------------------------------------------------------------------------------------
# Nodes


class Node:
    jbpm_type = "Node"
    bpmn_element = None

    def __init__(self, id, name=None, num=0, line=None):
        self.id = id
        self.name = name
        self.num = num
        self.line = line
        self.container = None        # ProcessDefinition or a composite node
        self.incoming: list[SequenceFlow] = []
        self.outgoing: list[SequenceFlow] = []
        self.metadata: dict = {}
        self.on_entry: list[Script] = []
        self.on_exit: list[Script] = []
        self.boundary_events: list[BoundaryEventNode] = []
        self.in_associations: list[DataAssociation] = []
        self.out_associations: list[DataAssociation] = []
        self.data_inputs: dict = {}      # input name -> Java type (as jBPM's "DataInputs" metadata)
        self.data_outputs: dict = {}
        self.hidden = False

    @property
    def unique_id(self):
        return self.id

    def process(self):
        c = self.container
        while c is not None and not isinstance(c, ProcessDefinition):
            c = c.container
        return c

    def __repr__(self):
        return f"{type(self).__name__}({self.id!r}, {self.name!r})"


class StartNode(Node):
    jbpm_type = "StartNode"

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.triggers: list[Trigger] = []
        self.timer: TimerDef | None = None
        self.interrupting = True
        self.trigger_mapping = None     # variable receiving the event data
        self.condition: Script | None = None

    @property
    def is_none_start(self):
        return not self.triggers and self.timer is None and self.condition is None


class EndNode(Node):
    jbpm_type = "EndNode"

    PROCESS_SCOPE, CONTAINER_SCOPE = "process", "container"

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.terminate = False
        self.scope = EndNode.CONTAINER_SCOPE
        self.throw_kind = None          # signal | message | compensation | None
        self.signal_name = None
        self.signal_scope = None
        self.message = None             # (message id, message name, item type)
        self.mapping_variable = None    # variable or quoted constant whose value is thrown
        self.compensation_ref = None


class FaultNode(Node):
    """End event throwing an error (or escalation)."""
    jbpm_type = "FaultNode"

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.fault_name = None
        self.fault_variable = None
        self.terminate_parent = False
        self.escalation = False


class ActionNode(Node):
    """Script task and intermediate throw events (signal, message, escalation, compensation, none)."""
    jbpm_type = "ActionNode"

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.script: Script | None = None
        self.throw_kind = None          # signal | message | escalation | compensation | None
        self.signal_name = None
        self.signal_scope = None
        self.message = None
        self.mapping_variable = None
        self.escalation_code = None
        self.compensation_ref = None
        self.async_signal = False
        self.execute_after_complete = False


class WorkItemNode(Node):
    jbpm_type = "WorkItemNode"

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.work_name = None
        self.parameters: dict = {}      # constant parameters (from assignments / attributes)
        self.wait_for_completion = True
        self.kind = "task"              # task | serviceTask | sendTask | receiveTask | manualTask
        self.message = None
        self.is_for_compensation = False


class HumanTaskNode(WorkItemNode):
    jbpm_type = "HumanTaskNode"

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.swimlane = None


class RuleSetNode(Node):
    jbpm_type = "RuleSetNode"

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.ruleflow_group = None
        self.language = "DRL"           # DRL | DMN
        self.dmn_namespace = None
        self.dmn_model = None
        self.dmn_decision = None
        self.parameters: dict = {}


class Split(Node):
    jbpm_type = "Split"
    TYPE_AND, TYPE_XOR, TYPE_OR, TYPE_XAND = 1, 2, 3, 4

    def __init__(self, *a, type=1, **k):
        super().__init__(*a, **k)
        self.type = type
        self.default_flow = None
        self.gateway = None


class Join(Node):
    jbpm_type = "Join"
    TYPE_AND, TYPE_XOR, TYPE_DISCRIMINATOR, TYPE_N_OF_M, TYPE_OR = 1, 2, 3, 4, 5

    def __init__(self, *a, type=1, **k):
        super().__init__(*a, **k)
        self.type = type
        self.n = None
        self.gateway = None


class EventNode(Node):
    """Intermediate catch event for signals and messages."""
    jbpm_type = "EventNode"

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.event_type = None          # signal name (may contain #{...}) or "Message-<name>"
        self.variable_name = None
        self.scope = None
        self.message = None
        self.kind = "signal"


class BoundaryEventNode(EventNode):
    jbpm_type = "BoundaryEventNode"

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.attached_to = None
        self.cancel_activity = True
        self.timer: TimerDef | None = None
        self.error_code = None          # None = catch all errors
        self.has_error_code = False
        self.error_structure_ref = None
        self.escalation_code = None
        self.condition: Script | None = None
        self.kind = "signal"            # signal | message | timer | error | escalation | compensation | conditional


class TimerNode(Node):
    jbpm_type = "TimerNode"

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.timer: TimerDef | None = None


class StateNode(Node):
    """Intermediate conditional catch event: waits until its condition holds."""
    jbpm_type = "StateNode"

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.condition: Script | None = None


class CatchLinkNode(Node):
    jbpm_type = "CatchLinkNode"

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.link_name = None


class ThrowLinkNode(Node):
    jbpm_type = "ThrowLinkNode"

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.link_name = None
        self.link_target = None


class MilestoneNode(Node):
    jbpm_type = "MilestoneNode"

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.condition: Script | None = None


class NodeContainerMixin:
    """Shared by the process and composite nodes: child nodes and a variable scope."""

    def _init_container(self):
        self.nodes: list[Node] = []
        self.variables: list[VariableDef] = []
        self.flows: list[SequenceFlow] = []

    def find_variable(self, name):
        for v in self.variables:
            if v.name == name:
                return v
        return None

    def node_by_id(self, node_id):
        for n in self.nodes:
            if n.id == node_id:
                return n
        return None

    def start_nodes(self):
        return [n for n in self.nodes if isinstance(n, StartNode)]

    def none_start(self):
        for n in self.nodes:
            if isinstance(n, StartNode) and n.is_none_start:
                return n
        return None


class CompositeContextNode(Node, NodeContainerMixin):
    """Embedded sub-process (own variable scope for its properties)."""
    jbpm_type = "CompositeContextNode"

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self._init_container()
        self.cancel_remaining_instances = True
        self.auto_complete = True


class EventSubProcessNode(CompositeContextNode):
    jbpm_type = "EventSubProcessNode"

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.event_types: list[str] = []


class DynamicNode(CompositeContextNode):
    """Ad-hoc sub-process."""
    jbpm_type = "DynamicNode"

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.completion_condition: Script | None = None
        self.auto_complete = False
        self.ordering = "Parallel"
        self.activation_event = None


class ForEachNode(Node, NodeContainerMixin):
    """Multi-instance activity: wraps the original task/sub-process node."""
    jbpm_type = "ForEachNode"

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self._init_container()
        self.inner: Node | None = None
        self.collection_expression = None
        self.variable_name = None
        self.variable_type = "java.lang.Object"
        self.output_variable_name = None
        self.output_collection_expression = None
        self.completion_condition: Script | None = None
        self.sequential = False
        self.mi_input_ref = None
        self.mi_output_ref = None


class SubProcessNode(Node):
    """Call activity (reusable sub-process)."""
    jbpm_type = "SubProcessNode"

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.called_element = None
        self.process_name = None
        self.independent = True
        self.wait_for_completion = True
        self.abort_parent = True


# ---------------------------------------------------------------------------------------------


class ProcessDefinition(NodeContainerMixin):
    """One BPMN2 <process>.  Start instances with `start(...)` (see engine)."""

    def __init__(self, id, name=None, version=None, package_name="org.drools.bpmn2"):
        self._init_container()
        self.id = id
        self.name = name if name is not None else id
        self.version = version
        self.package_name = package_name
        self.dynamic = False
        self.auto_complete = True
        self.executable = True
        self.process_type = "Private"
        self.type = "RuleFlow"
        self.imports: list[str] = []
        self.globals: dict = {}
        self.item_definitions: dict = {}
        self.signals: dict = {}          # signal id -> name
        self.messages: dict = {}         # message id -> (name, item type)
        self.errors: dict = {}           # error id -> (errorCode, structureRef)
        self.escalations: dict = {}      # escalation id -> (code, structureRef)
        self.metadata: dict = {}
        self.source_name = None
        self.line = None
        self.all_nodes: dict = {}        # unique id -> node (all levels)
        self.node_list: list[Node] = []  # every node, in jBPM's "node added" order (end tags)
        self.signal_names: list[str] = []  # signal names referenced by the process
        self.container = None
        self.types = None                # TypeRegistry of the container (set by the runtime)
        self.lanes: dict = {}
        self.variable_aliases: dict = {}  # property id -> variable name (when they differ)
        self.warnings: list[str] = []
        self.tags: list[str] = []
        self.description = None
        self.text = None

    def __repr__(self):
        return f"ProcessDefinition({self.id!r})"

    # -- lookups -------------------------------------------------------------------------------
    def node(self, unique_id):
        return self.all_nodes.get(unique_id)

    def find_variable_def(self, name):
        return self.find_variable(name)

    @property
    def variable_types(self):
        return {v.name: v.type for v in self.variables}

    def signal_start_events(self):
        """{event type -> start node} for signal/message start events of the process level."""
        out = {}
        for n in self.nodes:
            if isinstance(n, StartNode):
                for t in n.triggers:
                    if t.kind in ("signal", "message"):
                        out.setdefault(t.event_type, n)
        return out

    def timer_start_events(self):
        return [n for n in self.nodes if isinstance(n, StartNode) and n.timer is not None]

    def start(self, variables=None, initiator=None, correlation_key=None, start_node_ids=None, **kw):
        from containers.bpmn.engine import start_process
        return start_process(self, variables, initiator=initiator, correlation_key=correlation_key,
                             start_node_ids=start_node_ids, **kw)

    def start_from_event(self, event_type, event=None, variables=None, **kw):
        """Start by a signal/message start event (the runtime calls this when broadcasting)."""
        from containers.bpmn.engine import start_process
        return start_process(self, variables, trigger=event_type, trigger_event=event, **kw)

    def new_instance(self, state, **kw):
        from containers.bpmn.engine import ProcessInstance
        return ProcessInstance.from_state(self, state, **kw)

