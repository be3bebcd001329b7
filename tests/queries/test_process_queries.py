"""RuntimeDataResource process rows over HTTP in JSON, JAXB and XSTREAM on SQLite and PostgreSQL:
process instances (status / initiator / processName filters, by process id, by container + count, by
correlation key, by variable with % wildcards, one instance withVars), node instances, variable
instances, process definitions; paging and jBPM's sort names."""
import pytest

from marshallers.types import process as P
from marshallers.types.queries import CountDefinition

from .conftest import FORMATS, JOHN

PI = "/queries/processes/instances"


def pids(env, path, fmt="json", **params):
    lst = env.get(path, fmt, P.ProcessInstanceList, params={k: v for k, v in params.items() if v is not None})
    return [i.id for i in lst.items]


def named(env, ids):
    rev = {v: k for k, v in env.pids.items()}
    return [rev.get(i, i) for i in ids]


# ---------------------------------------------------------------------------------------------
# instance lists

@pytest.mark.parametrize("fmt", FORMATS)
def test_all_instances_default_active_sorted_by_id(env, fmt):
    assert named(env, pids(env, PI, fmt)) == ["u1", "u2", "u3", "g1", "v1", "v2", "w1", "o1"]


def test_instances_status_filter(env):
    assert named(env, pids(env, PI, status="2")) == ["s2"]
    assert named(env, pids(env, PI, status="3")) == ["v3"]
    assert named(env, pids(env, PI, status=["2", "3"])) == ["v3", "s2"]
    assert pids(env, PI, status="4") == []
    env.get(PI, params={"status": "x"}, status=404)


def test_instances_initiator_and_process_name(env):
    assert named(env, pids(env, PI, initiator="john")) == ["u1", "u2", "u3"]
    assert named(env, pids(env, PI, initiator="yoda")) == ["g1"]
    assert named(env, pids(env, PI, processName="UserTask")) == ["u1", "u2", "u3"]
    assert named(env, pids(env, PI, processName="%Task")) == ["u1", "u2", "u3", "g1"]
    assert named(env, pids(env, PI, processName="%Task", initiator="yoda")) == ["g1"]
    assert named(env, pids(env, PI, processName="Variables", status=["1", "3"])) == ["v1", "v2", "v3", "o1"]
    assert pids(env, PI, processName="nope") == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_instances_paging(env, fmt):
    assert named(env, pids(env, PI, fmt, pageSize="3")) == ["u1", "u2", "u3"]
    assert named(env, pids(env, PI, fmt, page="1", pageSize="3")) == ["g1", "v1", "v2"]
    assert named(env, pids(env, PI, fmt, page="2", pageSize="3")) == ["w1", "o1"]
    assert pids(env, PI, fmt, page="3", pageSize="3") == []
    assert len(pids(env, PI, fmt, status=["1", "2", "3"])) == 10       # default page size 10
    assert len(pids(env, PI, fmt, status=["1", "2", "3"], pageSize="4")) == 4
    env.get(PI, fmt, params={"page": "x"}, status=404)


def test_instances_sorting(env):
    assert named(env, pids(env, PI, sortOrder="false")) == ["o1", "w1", "v2", "v1", "g1", "u3", "u2", "u1"]
    # ProcessName: GroupTask < UserTask < Variables < WorkItem, ties by instance id
    assert named(env, pids(env, PI, sort="ProcessName")) == ["g1", "u1", "u2", "u3", "v1", "v2", "o1", "w1"]
    assert named(env, pids(env, PI, sort="ProcessName", sortOrder="false")) == \
        ["w1", "o1", "v2", "v1", "u3", "u2", "u1", "g1"]
    assert named(env, pids(env, PI, sort="Initiator", pageSize="4")) == ["u1", "u2", "u3", "v1"]
    assert named(env, pids(env, PI, sort="State", status=["1", "2", "3"], sortOrder="false", pageSize="2")) == \
        ["v3", "s2"]
    assert named(env, pids(env, PI, sort="StartDate")) == ["u1", "u2", "u3", "g1", "v1", "v2", "w1", "o1"]
    assert named(env, pids(env, PI, sort="ProcessVersion", pageSize="2")) == ["u1", "u2"]
    # anything else is a JPQL path of ProcessInstanceLog
    assert named(env, pids(env, PI, sort="log.processId")) == ["g1", "u1", "u2", "u3", "v1", "v2", "o1", "w1"]
    assert named(env, pids(env, PI, sort="log.externalId", sortOrder="false", pageSize="1")) == ["o1"]
    r = env.get(PI, params={"sort": "bogus"}, status=500)
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text.startswith('"Unexpected error during processing: ') and "bogus" in r.text
    # the adaptOrderBy names are exact-case: 'processname' is the JPQL attribute, which also works
    assert named(env, pids(env, PI, sort="processName", pageSize="1")) == ["g1"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_instances_by_process_id(env, fmt):
    path = "/queries/processes/demo.variables/instances"
    assert named(env, pids(env, path, fmt)) == ["v1", "v2", "o1"]
    assert named(env, pids(env, path, fmt, status="3")) == ["v3"]
    assert named(env, pids(env, path, fmt, initiator="kieserver", sortOrder="false")) == ["o1", "v2", "v1"]
    assert pids(env, path, fmt, initiator="john") == []
    assert pids(env, "/queries/processes/nope/instances", fmt) == []
    one = env.get(path, fmt, P.ProcessInstanceList).items[0]
    assert (one.process_id, one.process_name, one.process_version, one.container_id, one.state,
            one.correlation_key, one.initiator) == ("demo.variables", "Variables", "1.0", "demo", 1, "order:1",
                                                    "kieserver")
    assert one.date is not None


@pytest.mark.parametrize("fmt", FORMATS)
def test_instances_by_container_and_count(env, fmt):
    C = "/queries/containers/{}/process/instances"
    assert named(env, pids(env, C.format("demo"), fmt)) == ["u1", "u2", "u3", "g1", "v1", "v2", "w1"]
    assert named(env, pids(env, C.format("demo"), fmt, status=["2", "3"], sort="ProcessName")) == ["s2", "v3"]
    assert named(env, pids(env, C.format("other"), fmt)) == ["o1"]
    assert pids(env, C.format("unknown"), fmt) == []        # not validated
    assert env.get(C.format("demo") + "/count", fmt, CountDefinition).count == 7
    assert env.get(C.format("demo") + "/count", fmt, CountDefinition, params={"status": ["1", "2", "3"]}).count == 9
    assert env.get(C.format("unknown") + "/count", fmt, CountDefinition).count == 0


def test_count_wire_forms(env):
    assert env.get("/queries/containers/other/process/instances/count", "json").text.replace(" ", "") == \
        '{\n"count":1\n}'
    assert "<count>\n    <count>1</count>\n</count>" in env.get("/queries/containers/other/process/instances/count",
                                                                  "jaxb").text
    assert "<org.kie.server.api.model.definition.CountDefinition>" in \
        env.get("/queries/containers/other/process/instances/count", "xstream").text


@pytest.mark.parametrize("fmt", FORMATS)
def test_instance_by_correlation_key(env, fmt):
    r = env.get("/queries/processes/instance/correlation/order:1", fmt)
    assert r.headers["content-type"].endswith(";aggregatable=false")
    from marshallers import unmarshal
    from .conftest import FMT
    pi = unmarshal(r.text, FMT[fmt], P.ProcessInstance)
    assert (pi.id, pi.correlation_key, pi.state) == (env.pids["v1"], "order:1", 1)
    # only active instances; not found is a 404 naming the key
    r = env.get("/queries/processes/instance/correlation/other-key", fmt, status=404)
    assert r.text == '"Could not find process instance with id "other-key""'
    env.get("/queries/processes/instance/correlation/order", fmt, status=404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_instances_by_correlation_key_prefix(env, fmt):
    path = PI + "/correlation/{}"
    assert named(env, pids(env, path.format("order"), fmt)) == ["v1", "v2"]
    assert named(env, pids(env, path.format("order:2"), fmt)) == ["v2"]
    assert named(env, pids(env, path.format("order"), fmt, sortOrder="false", pageSize="1")) == ["v2"]
    assert named(env, pids(env, path.format("other-key"), fmt)) == ["v3"]      # any status
    assert pids(env, path.format("nope"), fmt) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_instances_by_variable(env, fmt):
    path = PI + "/variables/{}"
    assert named(env, pids(env, path.format("s"), fmt)) == ["v1", "v2", "o1"]
    assert named(env, pids(env, path.format("s"), fmt, status=["1", "3"])) == ["v1", "v2", "v3", "o1"]
    # the value is matched against the *current* value with LIKE
    assert pids(env, path.format("s"), fmt, varValue="hello") == []
    assert named(env, pids(env, path.format("s"), fmt, varValue="hello%")) == ["v1"]
    assert named(env, pids(env, path.format("s"), fmt, varValue="hello", status="3")) == ["v3"]
    assert named(env, pids(env, path.format("s"), fmt, varValue="%o%")) == ["v1", "v2", "o1"]
    assert named(env, pids(env, path.format("s"), fmt, varValue="w_rld")) == ["v2"]
    # the name is a LIKE pattern too (without a value)
    assert named(env, pids(env, path.format("na%"), fmt)) == ["u1", "u2", "u3", "g1"]
    assert named(env, pids(env, path.format("name"), fmt, varValue="BOB")) == ["u2"]
    assert named(env, pids(env, path.format("s"), fmt, sort="ProcessName", sortOrder="false", pageSize="2")) == \
        ["o1", "v2"]
    assert pids(env, path.format("nope"), fmt) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_instance_with_vars_and_active_tasks(env, fmt):
    from marshallers import unmarshal
    from .conftest import FMT
    r = env.get(f"{PI}/{env.pids['u2']}", fmt)
    assert r.headers["content-type"].endswith(";aggregatable=false")
    pi = unmarshal(r.text, FMT[fmt], P.ProcessInstance)
    assert pi.variables is None or pi.variables == {}
    tasks = pi.active_user_tasks.items
    assert [(t.name, t.status, t.actual_owner) for t in tasks] == [("Review", "Reserved", "john")]
    pi = env.get(f"{PI}/{env.pids['u2']}", fmt, P.ProcessInstance, params={"withVars": "true"})
    assert pi.variables == {"name": "BOB", "age": "40", "initiator": "john"}   # jBPM logs the initiator too
    # completed instances are found too (audit log), without active tasks
    pi = env.get(f"{PI}/{env.pids['s2']}", fmt, P.ProcessInstance, params={"withVars": "true"})
    assert (pi.state, pi.variables, pi.active_user_tasks) == (2, {"x": "42", "initiator": "kieserver"}, None)


def test_one_instance_not_found(env):
    r = env.get(f"{PI}/12345", status=404)
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text == '"Could not find process instance with id "12,345""'
    env.get(f"{PI}/abc", status=404)


# ---------------------------------------------------------------------------------------------
# node and variable instances

def _work_item_of(env, pid):
    r = env.c.get(f"/containers/demo/processes/instances/{pid}/workitems", fmt="json")
    assert r.status_code == 200, r.text
    from marshallers import unmarshal
    from .conftest import FMT
    return unmarshal(r.text, FMT["json"], P.WorkItemInstanceList).items[0].id


@pytest.mark.parametrize("fmt", FORMATS)
def test_node_instances(env, fmt):
    pid = env.pids["u1"]
    path = f"{PI}/{pid}/nodes/instances"
    full = env.get(path, fmt, P.NodeInstanceList).items
    # newest first: Review entered, Prepare left and entered, Start left and entered
    assert [(n.name, n.completed) for n in full] == [("Review", False), ("Prepare", True), ("Prepare", False),
                                                     ("Start", True), ("Start", False)]
    active = env.get(path, fmt, P.NodeInstanceList, params={"activeOnly": "true"}).items
    assert [(n.name, n.node_type, n.completed, n.container_id) for n in active] == \
        [("Review", "HumanTaskNode", False, "demo")]
    assert active[0].work_item_id is not None and active[0].process_instance_id == pid
    done = env.get(path, fmt, P.NodeInstanceList, params={"completedOnly": "true"}).items
    assert [n.name for n in done] == ["Start", "Prepare"]
    both = env.get(path, fmt, P.NodeInstanceList, params={"activeOnly": "true", "completedOnly": "true"}).items
    assert len(both) == 5
    assert env.get(path, fmt, P.NodeInstanceList, params={"activeOnly": "false"}).items == []
    paged = env.get(path, fmt, P.NodeInstanceList, params={"page": "1", "pageSize": "2"}).items
    assert [(n.name, n.completed) for n in paged] == [("Prepare", False), ("Start", True)]
    assert env.get(f"{PI}/99999/nodes/instances", fmt, P.NodeInstanceList).items == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_node_instance_for_work_item(env, fmt):
    pid = env.pids["w1"]
    wid = _work_item_of(env, pid)
    n = env.get(f"{PI}/{pid}/wi-nodes/instances/{wid}", fmt, P.NodeInstance)
    assert (n.name, n.work_item_id, n.process_instance_id, n.completed) == ("Call service", wid, pid, False)
    r = env.get(f"{PI}/{pid}/wi-nodes/instances/4242", fmt, status=404)
    assert r.text == f'"Could not find node instance with id "4,242" within process instance with id "{pid}""'


@pytest.mark.parametrize("fmt", FORMATS)
def test_variable_instances(env, fmt):
    pid = env.pids["v1"]
    cur = env.get(f"{PI}/{pid}/variables/instances", fmt, P.VariableInstanceList).items
    assert sorted((v.name, v.value) for v in cur) == [("i", "1"), ("initiator", "kieserver"), ("s", "hello2")]
    assert all(v.process_instance_id == pid and v.date is not None for v in cur)
    hist = env.get(f"{PI}/{pid}/variables/instances/s", fmt, P.VariableInstanceList).items
    assert [(v.old_value, v.value) for v in hist] == [("hello", "hello2"), ("", "hello")]
    assert [v.value for v in env.get(f"{PI}/{pid}/variables/instances/s", fmt, P.VariableInstanceList,
                                     params={"page": "1", "pageSize": "1"}).items] == ["hello"]
    assert env.get(f"{PI}/{pid}/variables/instances/nope", fmt, P.VariableInstanceList).items == []
    assert env.get(f"{PI}/99999/variables/instances", fmt, P.VariableInstanceList).items == []


# ---------------------------------------------------------------------------------------------
# process definitions

def defs(env, path, fmt="json", **params):
    return [(d.container_id, d.id) for d in env.get(path, fmt, P.ProcessDefinitionList, params=params).items]


@pytest.mark.parametrize("fmt", FORMATS)
def test_definitions_filter_and_sort(env, fmt):
    D = "/queries/processes/definitions"
    # default sort ProcessName (case-insensitive): GroupTask, Straight, UserTask, Variables x2, WorkItem
    assert defs(env, D, fmt) == [("demo", "demo.grouptask"), ("demo", "demo.straight"), ("demo", "demo.usertask"),
                                 ("demo", "demo.variables"), ("other", "demo.variables"), ("demo", "demo.workitem")]
    assert defs(env, D, fmt, filter="task") == [("demo", "demo.grouptask"), ("demo", "demo.usertask")]
    assert defs(env, D, fmt, filter="VARIABLES") == [("demo", "demo.variables"), ("other", "demo.variables")]
    assert defs(env, D, fmt, filter="Work.*") == [("demo", "demo.workitem")]
    assert defs(env, D, fmt, filter="nope") == []
    assert defs(env, D, fmt, sort="Project", sortOrder="false", pageSize="1") == [("other", "demo.variables")]
    assert defs(env, D, fmt, page="1", pageSize="4") == [("other", "demo.variables"), ("demo", "demo.workitem")]
    first = env.get(D, fmt, P.ProcessDefinitionList, params={"pageSize": "1"}).items[0]
    assert (first.name, first.version, first.package, first.dynamic) == ("GroupTask", "1.0", "org.example", False)


@pytest.mark.parametrize("fmt", FORMATS)
def test_definitions_by_container_and_id(env, fmt):
    C = "/queries/containers/{}/processes/definitions"
    assert [i for _, i in defs(env, C.format("demo"), fmt)] == \
        ["demo.grouptask", "demo.straight", "demo.usertask", "demo.variables", "demo.workitem"]
    assert [i for _, i in defs(env, C.format("demo"), fmt, sortOrder="false", pageSize="2")] == \
        ["demo.workitem", "demo.variables"]
    assert defs(env, C.format("unknown"), fmt) == []
    assert sorted(defs(env, "/queries/processes/definitions/demo.variables", fmt)) == \
        [("demo", "demo.variables"), ("other", "demo.variables")]
    assert defs(env, "/queries/processes/definitions/nope", fmt) == []
    d = env.get(C.format("other") + "/demo.variables", fmt, P.ProcessDefinition)
    assert (d.id, d.name, d.container_id) == ("demo.variables", "Variables", "other")
    r = env.get(C.format("other") + "/demo.usertask", fmt, status=404)
    assert r.text == '"Could not find process definition "demo.usertask" in container "other""'
    r = env.get(C.format("unknown") + "/demo.usertask", fmt, status=404)
    assert r.text == '"Could not find process definition "demo.usertask" in container "unknown""'


def test_conversation_id_echoed(env):
    r = env.c.get("/queries/processes/instances", fmt="json", headers={"X-KIE-ConversationId": "abc"})
    assert r.headers.get("X-KIE-ConversationId") == "abc"


def test_user_sees_the_same_instances(env):
    # the runtime queries are not filtered by user (no deployment roles)
    r = env.c.get(PI, fmt="json", auth=JOHN)
    assert r.status_code == 200
