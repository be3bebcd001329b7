"""jBPM process payloads: instances, node/variable/work item instances, definitions, start specs.

Instance types (org.kie.server.api.model.instance) are field-access JAXB classes: JSON keys are the
@XmlElement names, XStream writes Java field names under the FQCN.  Maps of Object values use the
generic MAP kind (JAXB writes them under the *Java field name*, e.g. <variables>, <parameters>).

Definition types (org.kie.server.api.model.definition) hold maps of *strings* (and of String[]) under
@XmlElementWrapper: JAXB names the map element after the wrapper and writes plain <value> texts
(String[] values as <item> children), JSON uses the Java field names (Jackson ignores the
wrapper) and puts them first, XStream writes `<string>`/`<string-array>` entries.  Those shapes are
not the generic MAP, so these types carry their own JAXB/XStream hooks (see _StrMaps below).
"""
from __future__ import annotations

from datetime import datetime

from containers.values import Long
from marshallers import codec_jaxb, codec_xstream
from marshallers.model import MAP, Field, ListOf, Model
from marshallers.types.tasks import TaskSummary, TaskSummaryList  # noqa: F401 - ProcessInstance.active-user-tasks
from marshallers.xmltree import XNode, local

PKG = "org.kie.server.api.model.instance"
DEF = "org.kie.server.api.model.definition"


# ----------------------------------------------------------------------------------------------
# instances

class ProcessInstance(Model):
    java_class = f"{PKG}.ProcessInstance"
    jaxb_root = "process-instance"
    fields = (
        Field("id", "process-instance-id", Long, xstream="id"),
        Field("process_id", "process-id", xstream="processId"),
        Field("process_name", "process-name", xstream="processName"),
        Field("process_version", "process-version", xstream="processVersion"),
        Field("state", "process-instance-state", int, xstream="state"),
        Field("container_id", "container-id", xstream="containerId"),
        Field("initiator", xstream="initiator"),
        Field("date", "start-date", datetime, xstream="date"),
        Field("description", "process-instance-desc", xstream="processInstanceDescription"),
        Field("correlation_key", "correlation-key", xstream="correlationKey"),
        Field("parent_id", "parent-instance-id", Long, xstream="parentId"),
        Field("sla_compliance", "sla-compliance", int, xstream="slaCompliance"),
        Field("sla_due_date", "sla-due-date", datetime, xstream="slaDueDate"),
        Field("active_user_tasks", "active-user-tasks", TaskSummaryList, xstream="activeUserTasks"),
        Field("variables", "process-instance-variables", MAP, jaxb="variables", xstream="variables",
              xstream_class="linked-hash-map"),
    )


class ProcessInstanceList(Model):
    java_class = f"{PKG}.ProcessInstanceList"
    jaxb_root = "process-instance-list"
    fields = (
        Field("items", "process-instance", ListOf(ProcessInstance), default=list, xstream="processInstances"),
    )


class NodeInstance(Model):
    java_class = f"{PKG}.NodeInstance"
    jaxb_root = "node-instance"
    fields = (
        Field("id", "node-instance-id", Long, xstream="id"),
        Field("name", "node-name", xstream="name"),
        Field("process_instance_id", "process-instance-id", Long, xstream="processInstanceId"),
        Field("work_item_id", "work-item-id", Long, xstream="workItemId"),
        Field("container_id", "container-id", xstream="containerId"),
        Field("date", "start-date", datetime, xstream="date"),
        Field("node_id", "node-id", xstream="nodeId"),
        Field("node_type", "node-type", xstream="nodeType"),
        Field("connection", "node-connection", xstream="connection"),
        Field("completed", "node-completed", bool, xstream="completed"),
        Field("reference_id", "reference-id", Long, xstream="referenceId"),
        Field("sla_compliance", "sla-compliance", int, xstream="slaCompliance"),
        Field("sla_due_date", "sla-due-date", datetime, xstream="slaDueDate"),
    )


class NodeInstanceList(Model):
    java_class = f"{PKG}.NodeInstanceList"
    jaxb_root = "node-instance-list"
    fields = (
        Field("items", "node-instance", ListOf(NodeInstance), default=list, xstream="nodeInstances"),
    )


class VariableInstance(Model):
    java_class = f"{PKG}.VariableInstance"
    jaxb_root = "variable-instance"
    fields = (
        Field("name", "name", xstream="variableName"),
        Field("old_value", "old-value", xstream="oldValue"),
        Field("value", "value", xstream="value"),
        Field("process_instance_id", "process-instance-id", Long, xstream="processInstanceId"),
        Field("date", "modification-date", datetime, xstream="date"),
    )


class VariableInstanceList(Model):
    java_class = f"{PKG}.VariableInstanceList"
    jaxb_root = "variable-instance-list"
    fields = (
        Field("items", "variable-instance", ListOf(VariableInstance), default=list, xstream="variableInstances"),
    )


class WorkItemInstance(Model):
    java_class = f"{PKG}.WorkItemInstance"
    jaxb_root = "work-item-instance"
    fields = (
        Field("id", "work-item-id", Long, xstream="id"),
        Field("name", "work-item-name", xstream="name"),
        Field("state", "work-item-state", int, xstream="state", default=0),
        Field("parameters", "work-item-params", MAP, jaxb="parameters", xstream="parameters",
              xstream_class="linked-hash-map"),
        Field("process_instance_id", "process-instance-id", Long, xstream="processInstanceId"),
        Field("container_id", "container-id", xstream="containerId"),
        Field("node_instance_id", "node-instance-id", Long, xstream="nodeInstanceId"),
        Field("node_id", "node-id", Long, xstream="nodeId"),
    )


class WorkItemInstanceList(Model):
    java_class = f"{PKG}.WorkItemInstanceList"
    jaxb_root = "work-item-instance-list"
    fields = (
        Field("items", "work-item-instance", ListOf(WorkItemInstance), default=list, xstream="workItems"),
    )


# ----------------------------------------------------------------------------------------------
# definitions: string maps under @XmlElementWrapper

STR = "str"          # Map<String, String>
STRS = "strs"        # Map<String, String[]>
ARR = "arr"          # String[] / Collection<String> under a wrapper: <wrapper><field>v</field>...


def _jaxb_str_map(tag, d, arrays):
    el = XNode(tag)
    for k, v in (d or {}).items():
        e = el.add(XNode("entry", children=[XNode("key", text=str(k))]))
        if v is None:
            continue
        if arrays:
            e.add(XNode("value", children=[XNode("item", text=str(x)) for x in v]))
        else:
            e.add(XNode("value", text=str(v)))
    return el


def _jaxb_read_str_map(el, arrays):
    out = {}
    for entry in el:
        if local(entry.tag) != "entry":
            continue
        k, v = None, None
        for c in entry:
            n = local(c.tag)
            if n == "key":
                k = c.text or ""
            elif n == "value":
                v = [i.text or "" for i in c if local(i.tag) == "item"] if arrays else (c.text or "")
        out[k] = v
    return out


def _xs_str_map(tag, d, arrays, cls_attr=None):
    el = XNode(tag, [("class", cls_attr)] if cls_attr else [])
    for k, v in (d or {}).items():
        key = XNode("string", text=str(k))
        if v is None:
            val = XNode("null")
        elif arrays:
            val = XNode("string-array", children=[XNode("string", text=str(x)) for x in v])
        else:
            val = XNode("string", text=str(v))
        el.add(XNode("entry", children=[key, val]))
    return el


def _xs_read_str_map(el):
    out = {}
    for entry in el:
        kids = list(entry)
        if not kids:
            continue
        k = kids[0].text or ""
        v = kids[1] if len(kids) > 1 else None
        if v is None or local(v.tag) == "null":
            out[k] = None
        elif local(v.tag) == "string-array" or len(v):
            out[k] = [c.text or "" for c in v]
        else:
            out[k] = v.text or ""
    return out


class _StrMaps(Model):
    """Base of the definition types: `typed` maps attr -> STR | STRS | ARR for the string-map and
    wrapped-array fields; every other field goes through the generic codecs."""

    typed: dict = {}
    xstream_classes: dict = {}   # attr -> class="" XStream writes on the collection element

    def encode_jaxb(self, tag, ctx):
        node = XNode(tag)
        for f in type(self)._jaxb_fields:
            v = getattr(self, f.attr)
            if v is None:
                continue
            t = self.typed.get(f.attr)
            if t == ARR:
                node.add(XNode(f.jaxb, children=[XNode(f.jaxb_item or f.attr, text=str(x)) for x in v]))
            elif t in (STR, STRS):
                node.add(_jaxb_str_map(f.jaxb, v, t == STRS))
            else:
                codec_jaxb._encode_field(node, f, v, ctx)
        return node

    @classmethod
    def decode_jaxb(cls, el, ctx):
        obj = cls.__new__(cls)
        groups = {}
        for c in el:
            groups.setdefault(local(c.tag), []).append(c)
        for f in cls.fields:
            value = f.make_default()
            nodes = groups.get(f.jaxb)
            if nodes:
                t = cls.typed.get(f.attr)
                if t == ARR:
                    value = [c.text or "" for c in nodes[-1]]
                elif t in (STR, STRS):
                    value = _jaxb_read_str_map(nodes[-1], t == STRS)
                else:
                    value = codec_jaxb._decode_field(f, nodes, ctx)
            setattr(obj, f.attr, value)
        return obj

    def fill_xstream(self, node, ctx):
        for f in type(self)._xstream_fields:
            v = getattr(self, f.attr)
            if v is None:
                continue
            t = self.typed.get(f.attr)
            cls_attr = self.xstream_classes.get(f.attr)
            attrs = [("class", cls_attr)] if cls_attr else []
            if t == ARR:
                node.add(XNode(f.xstream, attrs, [XNode("string", text=str(x)) for x in v]))
            elif t in (STR, STRS):
                node.add(_xs_str_map(f.xstream, v, t == STRS, cls_attr))
            elif isinstance(f.type, ListOf):
                node.add(XNode(f.xstream, attrs,
                               [codec_xstream.encode_model(x, type(x).xstream_root, ctx) for x in v]))
            elif isinstance(f.type, type) and issubclass(f.type, Model):
                node.add(codec_xstream.encode_model(v, f.xstream, ctx))
            else:
                node.add(XNode(f.xstream, text=codec_xstream._text(v)))

    @classmethod
    def decode_xstream(cls, el, ctx):
        obj = cls.__new__(cls)
        groups = {}
        for c in el:
            groups.setdefault(local(c.tag), []).append(c)
        for f in cls.fields:
            value = f.make_default()
            nodes = groups.get(f.xstream)
            if nodes:
                n = nodes[-1]
                t = cls.typed.get(f.attr)
                if t == ARR:
                    value = [c.text or "" for c in n]
                elif t in (STR, STRS):
                    value = _xs_read_str_map(n)
                elif isinstance(f.type, ListOf):
                    value = [codec_xstream.decode_model(f.type.item, c, ctx) for c in n]
                elif isinstance(f.type, type) and issubclass(f.type, Model):
                    value = codec_xstream.decode_model(f.type, n, ctx)
                else:
                    value = codec_xstream._scalar(n.text or "", f.type)
            setattr(obj, f.attr, value)
        return obj


class NodeDefinition(Model):
    java_class = f"{DEF}.NodeDefinition"
    jaxb_root = "node-definition"
    fields = (
        Field("id", "id", Long, xstream="id"),
        Field("name", "name", xstream="name"),
        Field("unique_id", "unique-id", xstream="uniqueId"),
        Field("type", "type", xstream="type"),
    )


class TimerDefinition(Model):
    java_class = f"{DEF}.TimerDefinition"
    jaxb_root = "timer-definition"
    fields = (
        Field("id", "id", Long, xstream="id"),
        Field("node_name", "node-name", xstream="nodeName"),
        Field("unique_id", "unique-id", xstream="uniqueId"),
        Field("node_id", "nodeId", Long, xstream="nodeId"),
    )


class ProcessDefinition(_StrMaps):
    java_class = f"{DEF}.ProcessDefinition"
    jaxb_root = "process-definition"
    # JSON: the collection members come from getters (camelCase) and Jackson writes them first
    fields = (
        Field("associated_entities", "associatedEntities", MAP, jaxb="associated-entities",
              xstream="associatedEntities"),
        Field("service_tasks", "serviceTasks", MAP, jaxb="service-tasks", xstream="serviceTasks"),
        Field("process_variables", "processVariables", MAP, jaxb="process-variables", xstream="processVariables"),
        Field("reusable_sub_processes", "reusableSubProcesses", ListOf(str), jaxb="process-subprocesses",
              jaxb_item="reusableSubProcesses", xstream="reusableSubProcesses"),
        Field("nodes", "nodes", ListOf(NodeDefinition), jaxb="nodes", jaxb_item="nodes", xstream="nodes"),
        Field("timers", "timers", ListOf(TimerDefinition), jaxb="timers", jaxb_item="timers", xstream="timers"),
        Field("tags", "tagsByVariable", MAP, jaxb="tags", xstream="tagsByVariable"),
        Field("id", "process-id", xstream="id"),
        Field("name", "process-name", xstream="name"),
        Field("version", "process-version", xstream="version"),
        Field("package", "package", xstream="packageName"),
        Field("container_id", "container-id", xstream="containerId"),
        Field("dynamic", "dynamic", bool, xstream="dynamic", default=False),
    )
    jaxb_order = xstream_order = (
        "id", "name", "version", "package", "container_id", "associated_entities", "service_tasks",
        "process_variables", "reusable_sub_processes", "nodes", "timers", "tags", "dynamic")
    typed = {"associated_entities": STRS, "service_tasks": STR, "process_variables": STR,
             "reusable_sub_processes": ARR, "tags": STRS}
    xstream_classes = {"nodes": "set", "timers": "set"}


class ProcessDefinitionList(Model):
    java_class = f"{DEF}.ProcessDefinitionList"
    jaxb_root = "process-definitions"
    fields = (
        Field("items", "processes", ListOf(ProcessDefinition), default=list, xstream="processes"),
    )


class VariablesDefinition(_StrMaps):
    java_class = f"{DEF}.VariablesDefinition"
    jaxb_root = "process-variables"
    fields = (Field("variables", "variables", MAP, jaxb="variables", xstream="variables", default=dict),)
    typed = {"variables": STR}


class ServiceTasksDefinition(_StrMaps):
    java_class = f"{DEF}.ServiceTasksDefinition"
    jaxb_root = "process-service-tasks"
    fields = (Field("service_tasks", "serviceTasks", MAP, jaxb="tasks", xstream="serviceTasks", default=dict),)
    typed = {"service_tasks": STR}


class SubProcessesDefinition(_StrMaps):
    java_class = f"{DEF}.SubProcessesDefinition"
    jaxb_root = "process-subprocesses"
    fields = (Field("sub_processes", "subProcesses", ListOf(str), jaxb="subprocesses", jaxb_item="subProcesses",
                    xstream="subProcesses", default=list),)
    typed = {"sub_processes": ARR}


class AssociatedEntitiesDefinition(_StrMaps):
    java_class = f"{DEF}.AssociatedEntitiesDefinition"
    jaxb_root = "process-associated-entities"
    fields = (Field("associated_entities", "associatedEntities", MAP, jaxb="associated-entities",
                    xstream="associatedEntities", default=dict),)
    typed = {"associated_entities": STRS}


class TaskInputsDefinition(_StrMaps):
    java_class = f"{DEF}.TaskInputsDefinition"
    jaxb_root = "process-task-inputs"
    fields = (Field("task_inputs", "taskInputs", MAP, jaxb="inputs", xstream="taskInputs", default=dict),)
    typed = {"task_inputs": STR}


class TaskOutputsDefinition(_StrMaps):
    java_class = f"{DEF}.TaskOutputsDefinition"
    jaxb_root = "process-task-outputs"
    fields = (Field("task_outputs", "taskOutputs", MAP, jaxb="outputs", xstream="taskOutputs", default=dict),)
    typed = {"task_outputs": STR}


class UserTaskDefinition(_StrMaps):
    java_class = f"{DEF}.UserTaskDefinition"
    jaxb_root = "user-task-definition"
    fields = (
        Field("associated_entities", "associatedEntities", ListOf(str), jaxb="associated-entities",
              jaxb_item="associatedEntities", xstream="associatedEntities", default=list),
        Field("task_inputs", "taskInputMappings", MAP, jaxb="task-inputs", xstream="taskInputMappings",
              default=dict),
        Field("task_outputs", "taskOutputMappings", MAP, jaxb="task-outputs", xstream="taskOutputMappings",
              default=dict),
        Field("id", "task-id", xstream="id"),
        Field("name", "task-name", xstream="name"),
        Field("priority", "task-priority", int, xstream="priority"),
        Field("comment", "task-comment", xstream="comment"),
        Field("created_by", "task-created-by", xstream="createdBy"),
        Field("skippable", "task-skippable", bool, xstream="skippable", default=False),
        Field("form_name", "task-form-name", xstream="formName"),
    )
    jaxb_order = xstream_order = ("id", "name", "priority", "comment", "created_by", "skippable", "form_name",
                                  "associated_entities", "task_inputs", "task_outputs")
    typed = {"associated_entities": ARR, "task_inputs": STR, "task_outputs": STR}


class UserTaskDefinitionList(Model):
    java_class = f"{DEF}.UserTaskDefinitionList"
    jaxb_root = "user-task-definitions"
    fields = (
        Field("items", "task", ListOf(UserTaskDefinition), default=list, xstream="tasks"),
    )


class ProcessStartSpec(Model):
    """Body of the start-from-nodes endpoints: {"process-variables": {...}, "node-id": [...]}."""
    java_class = f"{DEF}.ProcessStartSpec"
    jaxb_root = "process-start-spec"
    fields = (
        Field("variables", "process-variables", MAP, jaxb="variables", xstream="variables",
              xstream_class="linked-hash-map"),
        Field("node_ids", "node-id", ListOf(str), jaxb="node-id-list", jaxb_item="node-id", xstream="nodeIds",
              default=list),
    )

    @classmethod
    def decode_jaxb(cls, el, ctx):
        # JAXB writes the Map under its field name (<variables>); accept the annotated name too
        obj = cls(variables=None, node_ids=[])
        for c in el:
            n = local(c.tag)
            if n in ("variables", "process-variables"):
                obj.variables = codec_jaxb._entry_map(c, ctx)
            elif n == "node-id-list":
                obj.node_ids = [x.text or "" for x in c if local(x.tag) == "node-id"]
            elif n == "node-id":
                obj.node_ids.append(c.text or "")
        return obj
