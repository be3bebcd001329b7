"""jBPM process payloads against the real marshallers' golden files, in all formats."""
import pytest

from marshallers import JAXB, JSON, MAP, XSTREAM, marshal, parse_format, unmarshal
from marshallers.types import process as P
from containers.values import FieldDef, TypeRegistry
from tests.marshallers.golden import has_sample, same_json, same_xml, sample


def _types():
    """org.test.Person / org.test.Address as the golden process_vars sample was produced with them."""
    t = TypeRegistry()
    t.define("org.test.Person", [FieldDef("name", "java.lang.String"), FieldDef("age", "java.lang.Integer"),
                                 FieldDef("birth", "java.util.Date"), FieldDef("tags", "java.util.List<java.lang.String>")])
    t.define("org.test.Address", [FieldDef("street", "java.lang.String"), FieldDef("number", "java.lang.Integer")],
             meta={"xstream_alias": "address", "jaxb_access": "field"})
    return t

FORMATS = {"json": JSON, "jaxb": JAXB, "xstream": XSTREAM,
           "strict": parse_format("application/json;strict=true;fields=not_null")}

CASES = {
    "process_instance": P.ProcessInstance,
    "process_instance_with_vars": P.ProcessInstance,
    "process_instance_list": P.ProcessInstanceList,
    "process_instance_list_empty": P.ProcessInstanceList,
    "process_definition": P.ProcessDefinition,
    "process_definition_list": P.ProcessDefinitionList,
    "node_instance_list": P.NodeInstanceList,
    "variable_instance_list": P.VariableInstanceList,
    "work_item_instance": P.WorkItemInstance,
    "process_vars": MAP,
}

PARAMS = [(name, kind) for name in CASES for kind in FORMATS if has_sample(name, kind)]


@pytest.mark.parametrize("name,kind", PARAMS)
def test_round_trip_matches_golden(name, kind):
    gold = sample(name, kind)
    fmt = FORMATS[kind]
    types = _types()
    value = unmarshal(gold, fmt, CASES[name], types=types)
    out = marshal(value, fmt, types=types)
    if kind in ("json", "strict"):
        assert same_json(out, gold), out
    else:
        assert same_xml(out, gold), out


BYTE_EXACT = ["process_instance", "process_instance_list", "process_instance_list_empty", "process_definition",
              "node_instance_list", "variable_instance_list", "work_item_instance", "process_instance_with_vars"]


@pytest.mark.parametrize("name", BYTE_EXACT)
@pytest.mark.parametrize("kind", ["json", "jaxb", "xstream"])
def test_byte_exact(name, kind):
    gold = sample(name, kind)
    fmt = FORMATS[kind]
    out = marshal(unmarshal(gold, fmt, CASES[name]), fmt)
    assert out.rstrip("\n") == gold.rstrip("\n")


def _full_definition():
    return P.ProcessDefinition(
        id="evaluation", name="Evaluation", version="1.0", package="org.test", container_id="c1",
        associated_entities={"Review": ["manager", "HR"]}, service_tasks={"Email results": "Email"},
        process_variables={"employee": "String", "age": "Integer"}, reusable_sub_processes=["sub"],
        nodes=[P.NodeDefinition(id=1, name="Start", unique_id="_1", type="StartNode")],
        timers=[P.TimerDefinition(id=1, node_name="Wait", unique_id="_3", node_id=3)],
        tags={"age": ["required"]}, dynamic=False)


DEFINITIONS = [
    _full_definition(),
    P.VariablesDefinition(variables={"employee": "String"}),
    P.ServiceTasksDefinition(service_tasks={"Email results": "Email"}),
    P.SubProcessesDefinition(sub_processes=["evaluation"]),
    P.AssociatedEntitiesDefinition(associated_entities={"Review": ["manager"]}),
    P.TaskInputsDefinition(task_inputs={"TaskName": "String"}),
    P.TaskOutputsDefinition(task_outputs={"approved": "Boolean"}),
    P.UserTaskDefinitionList(items=[P.UserTaskDefinition(
        id="_2", name="Review", priority=0, comment="", created_by="", skippable=False, form_name="Review",
        associated_entities=["manager"], task_inputs={"TaskName": "String"}, task_outputs={"ok": "Boolean"})]),
    P.ProcessStartSpec(variables={"a": 1}, node_ids=["_1", "_2"]),
]


@pytest.mark.parametrize("value", DEFINITIONS, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("fmt", [JSON, JAXB, XSTREAM], ids=["json", "jaxb", "xstream"])
def test_definitions_round_trip(value, fmt):
    text = marshal(value, fmt)
    back = unmarshal(text, fmt, type(value))
    assert marshal(back, fmt) == text
    assert back == value


def test_definition_shapes():
    d = _full_definition()
    j = marshal(d, JSON)
    assert j.index('"associatedEntities"') < j.index('"process-id"')
    x = marshal(d, JAXB)
    assert "<associated-entities>" in x and "<item>manager</item>" in x
    assert "<process-subprocesses>\n        <reusableSubProcesses>sub</reusableSubProcesses>" in x
    assert "<nodes>\n        <nodes>" in x
    assert "<value>String</value>" in x          # no xsi:type on String map values
    s = marshal(d, XSTREAM)
    assert "<string-array>" in s and '<nodes class="set">' in s
    assert marshal(P.VariablesDefinition(variables={"a": "String"}), JSON).replace(" ", "").replace("\n", "") == \
        '{"variables":{"a":"String"}}'
    assert "<variables>\n        <entry>" in marshal(P.VariablesDefinition(variables={"a": "String"}), JAXB)


def test_start_spec_json_and_jaxb_input():
    spec = unmarshal('{"process-variables": {"x": 5}, "node-id": ["_3"]}', JSON, P.ProcessStartSpec)
    assert spec.variables == {"x": 5} and spec.node_ids == ["_3"]
    xml = ('<process-start-spec><process-variables><entry><key>x</key><value xsi:type="xs:int" '
           'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">5'
           '</value></entry></process-variables><node-id-list><node-id>_3</node-id></node-id-list></process-start-spec>')
    spec = unmarshal(xml, JAXB, P.ProcessStartSpec)
    assert spec.variables == {"x": 5} and spec.node_ids == ["_3"]
