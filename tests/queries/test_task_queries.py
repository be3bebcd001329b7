"""RuntimeDataResource task rows over HTTP (JSON, JAXB, XSTREAM; SQLite and PostgreSQL) on tasks created
by real processes: tasks by variable (name / value, * and ? wildcards, status, user limit, sort names),
the advanced variable search (POST /queries/variables/processes[/tasks] with SearchQueryFilterSpec in all
three formats), and the task rows served by kieserver/resources/tasks.py (pot-owners, owners, admins,
all tasks, one task, by work item, by process instance, events)."""
import pytest

from marshallers import marshal
from marshallers.types.queries import (ProcessInstanceCustomVarsList, ProcessInstanceUserTaskWithVariablesList,
                                       SearchQueryFilterSpec, SearchQueryParam)
from marshallers.types.tasks import TaskEventInstanceList, TaskInstance, TaskSummaryList

from .conftest import FMT, FORMATS, JOHN, YODA

TV = "/queries/tasks/instances/variables/{}"


def task_pids(env, path, fmt="json", auth=True, **params):
    lst = env.get(path, fmt, TaskSummaryList, auth=auth, params=params)
    rev = {v: k for k, v in env.pids.items()}
    return [rev.get(t.process_instance_id, t.process_instance_id) for t in lst.items]


# ---------------------------------------------------------------------------------------------
# tasks by variable

@pytest.mark.parametrize("fmt", FORMATS)
def test_tasks_by_variable_name_and_value(env, fmt):
    assert task_pids(env, TV.format("Who"), fmt, auth=JOHN) == ["u1", "u2", "u3", "g1"]
    assert task_pids(env, TV.format("Who"), fmt, auth=JOHN, varValue="BOB") == ["u2"]
    assert task_pids(env, TV.format("Who"), fmt, auth=JOHN, varValue="B*") == ["u2"]
    assert task_pids(env, TV.format("Who"), fmt, auth=JOHN, varValue="?OB") == ["u2"]
    assert task_pids(env, TV.format("Who"), fmt, auth=JOHN, varValue="*A*") == ["u1", "u3", "g1"]
    assert task_pids(env, TV.format("W*"), fmt, auth=JOHN, pageSize="2") == ["u1", "u2"]
    assert task_pids(env, TV.format("Who"), fmt, auth=JOHN, varValue="bob") == []
    assert task_pids(env, TV.format("nope"), fmt, auth=JOHN) == []
    s = env.get(TV.format("Who"), fmt, TaskSummaryList, auth=JOHN, params={"varValue": "BOB"}).items[0]
    assert (s.name, s.status, s.actual_owner, s.process_id, s.container_id) == \
        ("Review", "Reserved", "john", "demo.usertask", "demo")


def test_tasks_by_variable_status_user_and_sort(env):
    assert task_pids(env, TV.format("Who"), auth=JOHN, status="Ready") == ["g1"]
    assert task_pids(env, TV.format("Who"), auth=JOHN, status=["Reserved", "Ready"], page="1", pageSize="3") == \
        ["g1"]
    assert task_pids(env, TV.format("Who"), auth=JOHN, status="Completed") == []
    # yoda: creator of g1's task, no role that is a potential owner of the others
    assert task_pids(env, TV.format("Who"), auth=YODA) == ["g1"]
    assert task_pids(env, TV.format("Who"), auth=JOHN, sort="processInstanceId", sortOrder="false") == \
        ["g1", "u3", "u2", "u1"]
    assert task_pids(env, TV.format("Who"), auth=JOHN, sort="TASKSTATUS") == ["g1", "u1", "u2", "u3"]
    r = env.get(TV.format("Who"), auth=JOHN, params={"sort": "Bogus"}, status=500)
    assert r.text == '"Unexpected error during processing: Unsupported QueryContext.orderBy value: "bogus"\n"'
    r = env.get(TV.format("Who"), auth=JOHN, params={"status": "Nope"}, status=500)
    assert "Status.Nope" in r.text


def test_tasks_by_variable_user_param_needs_bypass(env):
    # without the bypass flag ?user= is ignored: kieserver (no task group) sees nothing of john's
    assert task_pids(env, TV.format("Who"), user="john") == task_pids(env, TV.format("Who"))


# ---------------------------------------------------------------------------------------------
# advanced variable search

def qp(column, op, *values):
    return SearchQueryParam(column=column, operator=op, value=list(values))


def search(env, fmt, spec, tasks=False, **params):
    path = "/queries/variables/processes" + ("/tasks" if tasks else "")
    body = marshal(spec, FMT[fmt])
    expected = ProcessInstanceUserTaskWithVariablesList if tasks else ProcessInstanceCustomVarsList
    lst = env.post(path, body, fmt, expected, params=params)
    rev = {v: k for k, v in env.pids.items()}
    key = (lambda x: x.process_instance_id) if tasks else (lambda x: x.id)
    return [rev.get(key(x), key(x)) for x in lst.items], lst.items


@pytest.mark.parametrize("fmt", FORMATS)
def test_search_processes_by_variables_and_attributes(env, fmt):
    S = SearchQueryFilterSpec
    assert search(env, fmt, S(process_variables=[qp("s", "EQUALS_TO", "world")]))[0] == ["v2"]
    names, items = search(env, fmt, S(process_variables=[qp("s", "LIKE_TO", "hello%"), qp("i", "EQUALS_TO", 1)]))
    assert names == ["v1"]
    assert items[0].variables == {"s": "hello2", "i": "1", "initiator": "kieserver"}
    assert (items[0].process_id, items[0].container_id, items[0].state, items[0].correlation_key) == \
        ("demo.variables", "demo", 1, "order:1")
    # no status filter: the aborted v3 is found too
    assert search(env, fmt, S(attributes=[qp("PROCESS_DEFINITION_ID", "EQUALS_TO", "demo.variables")]))[0] == \
        ["v1", "v2", "v3", "o1"]
    assert search(env, fmt, S(attributes=[qp("PROCESS_DEFINITION_ID", "EQUALS_TO", "demo.variables"),
                                          qp("PROCESS_DEPLOYMENT_ID", "NOT_EQUALS_TO", "demo")]))[0] == ["o1"]
    assert search(env, fmt, S(attributes=[qp("PROCESS_CORRELATION_KEY", "IN", "order:1", "order:2")]))[0] == \
        ["v1", "v2"]
    assert search(env, fmt, S(attributes=[qp("PROCESS_INSTANCE_ID", "BETWEEN", env.pids["u2"], env.pids["g1"])]))[0] \
        == ["u2", "u3", "g1"]
    assert search(env, fmt, S(attributes=[qp("PROCESS_CORRELATION_KEY", "IS_NULL")]))[0] == []
    # a variable condition on two different variables needs both
    assert search(env, fmt, S(process_variables=[qp("s", "EQUALS_TO", "world"), qp("i", "EQUALS_TO", 1)]))[0] == []


def test_search_processes_paging_order_and_task_side(env):
    S = SearchQueryFilterSpec
    spec = S(attributes=[qp("PROCESS_DEFINITION_ID", "EQUALS_TO", "demo.variables")])
    assert search(env, "json", spec, pageSize="2")[0] == ["v1", "v2"]
    assert search(env, "json", spec, page="1", pageSize="2")[0] == ["v3", "o1"]
    assert search(env, "json", spec, asc="false", pageSize="1")[0] == ["o1"]
    assert search(env, "json", spec, orderBy="pil.externalId", asc="false", pageSize="1")[0] == ["o1"]
    # a task attribute switches to the statement over tasks
    assert search(env, "json", S(attributes=[qp("TASK_NAME", "EQUALS_TO", "Review")]))[0] == ["u1", "u2", "u3", "g1"]
    assert search(env, "json", S(attributes=[qp("TASK_STATUS", "EQUALS_TO", "Ready")]))[0] == ["g1"]
    assert search(env, "json", S(task_variables=[qp("Who", "EQUALS_TO", "CAROL")]))[0] == ["u3"]
    # excluding the variables collection
    names, items = search(env, "json", S(attributes=[qp("PROCESS_INSTANCE_ID", "EQUALS_TO", env.pids["v2"]),
                                                     qp("ATTR_COLLECTION_VARIABLES", "EXCLUDE")]))
    assert names == ["v2"] and items[0].variables == {}
    # empty body: every process instance
    r = env.post("/queries/variables/processes", "", "json", ProcessInstanceCustomVarsList, params={"pageSize": "100"})
    assert len(r.items) == 10


def test_search_errors_are_500(env):
    S = SearchQueryFilterSpec
    for spec in (S(process_variables=[qp("s", "SOMETHING", "x")]),
                 S(attributes=[qp("PROCESS_INSTANCE_ID", "BETWEEN", 1)]),
                 S(attributes=[qp("no_such_column; drop table task", "EQUALS_TO", 1)])):
        r = env.post("/queries/variables/processes", marshal(spec, FMT["json"]), "json", status=500)
        assert r.text.startswith('"Unexpected error during processing: ')
    r = env.post("/queries/variables/processes", "{not json", "json", status=500)
    r = env.post("/queries/variables/processes", marshal(S(), FMT["json"]), "json",
                 params={"orderBy": "1; drop table task"}, status=500)
    # data unchanged
    assert len(env.post("/queries/variables/processes/tasks", "", "json",
                        ProcessInstanceUserTaskWithVariablesList).items) == 4


@pytest.mark.parametrize("fmt", FORMATS)
def test_search_tasks(env, fmt):
    S = SearchQueryFilterSpec
    names, items = search(env, fmt, S(process_variables=[qp("age", "GREATER_THAN", 35)]), tasks=True)
    assert names == ["u2", "u3", "g1"]
    t = items[0]
    assert (t.name, t.status, t.actual_owner, t.potential_owners, t.process_definition_id) == \
        ("Review", "Reserved", "john", ["john"], "demo.usertask")
    assert t.input_variables == {"Who": "BOB"} and t.process_variables == {"name": "BOB", "age": "40", "initiator": "john"}
    assert search(env, fmt, S(process_variables=[qp("age", "GREATER_THAN", 35)], owners=["john"]), tasks=True)[0] == \
        ["u2", "u3"]
    assert search(env, fmt, S(owners_param=qp(None, "ANY", "john", "HR")), tasks=True)[0] == ["u1", "u2", "u3", "g1"]
    assert search(env, fmt, S(owners_param=qp(None, "ALL", "john", "HR")), tasks=True)[0] == []
    assert search(env, fmt, S(attributes=[qp("TASK_STATUS", "EQUALS_TO", "Ready")]), tasks=True)[0] == ["g1"]
    assert search(env, fmt, S(attributes=[qp("TASK_OWNER", "EQUALS_TO", "john")]), tasks=True, asc="false")[0] == \
        ["u3", "u2", "u1"]
    assert search(env, fmt, S(task_variables=[qp("Who", "LIKE_TO", "%O%")]), tasks=True)[0] == ["u2", "u3"]
    # history mode reads the audit view
    hist = S(attributes=[SearchQueryParam(column="MODE", operator="MODE", value=["HISTORY"]),
                         qp("TASK_OWNER", "EQUALS_TO", "john")])
    assert search(env, fmt, hist, tasks=True, pageSize="2")[0] == ["u1", "u2"]


# ---------------------------------------------------------------------------------------------
# the task rows served by the Tasks extension (kieserver/resources/tasks.py)

@pytest.mark.parametrize("fmt", FORMATS)
def test_existing_task_rows(env, fmt):
    assert sorted(task_pids(env, "/queries/tasks/instances/pot-owners", fmt, auth=JOHN)) == ["g1", "u1", "u2", "u3"]
    assert task_pids(env, "/queries/tasks/instances/pot-owners", fmt, auth=JOHN, status="Ready") == ["g1"]
    assert task_pids(env, "/queries/tasks/instances/pot-owners", fmt, auth=JOHN, sort="TaskId", pageSize="2") == \
        ["u1", "u2"]
    assert sorted(task_pids(env, "/queries/tasks/instances/pot-owners", fmt, auth=JOHN, filter="Rev%")) == \
        ["g1", "u1", "u2", "u3"]
    assert task_pids(env, "/queries/tasks/instances/pot-owners", fmt, auth=JOHN, filter="X%") == []
    assert task_pids(env, "/queries/tasks/instances/pot-owners", fmt) == []
    assert task_pids(env, "/queries/tasks/instances/pot-owners", fmt, groups="HR") == ["g1"]
    assert sorted(task_pids(env, "/queries/tasks/instances/owners", fmt, auth=JOHN)) == ["u1", "u2", "u3"]
    assert task_pids(env, "/queries/tasks/instances/owners", fmt, auth=YODA) == []
    assert sorted(task_pids(env, "/queries/tasks/instances", fmt, auth=JOHN)) == ["u1", "u2", "u3"]
    env.get("/queries/tasks/instances/admins", fmt, TaskSummaryList)
    pid = env.pids["u2"]
    tasks = env.get(f"/queries/tasks/instances/process/{pid}", fmt, TaskSummaryList).items
    assert [(t.name, t.status) for t in tasks] == [("Review", "Reserved")]
    tid = tasks[0].id
    ti = env.get(f"/queries/tasks/instances/{tid}", fmt, TaskInstance)
    assert (ti.id, ti.name, ti.process_instance_id, ti.container_id) == (tid, "Review", pid, "demo")
    assert env.get(f"/queries/tasks/instances/{tid}", fmt, TaskInstance, params={"withSLA": "true"}).id == tid
    by_wi = env.get(f"/queries/tasks/instances/workitem/{ti.work_item_id}", fmt, TaskInstance)
    assert by_wi.id == tid
    events = env.get(f"/queries/tasks/instances/{tid}/events", fmt, TaskEventInstanceList).items
    assert events and events[0].task_id == tid
    r = env.get("/queries/tasks/instances/98765", fmt, status=404)
    assert r.headers["content-type"].startswith("text/plain")
    env.get("/queries/tasks/instances/workitem/98765", fmt, status=404)
