"""Task queries over HTTP in JSON, JAXB and XSTREAM: pot-owners (status, groups, filter, paging,
sort), owners, admins, all tasks of a user, tasks of a process instance, one task, by work item,
and ?user= honoured only with the bypass flag."""
import pytest

from marshallers import unmarshal
from marshallers.types.tasks import TaskInstance, TaskSummaryList

from .conftest import FMT, FORMATS


@pytest.fixture(scope="module")
def data(env):
    """Tasks of process instance 500: a (yoda only, Reserved), b (yoda+john, Ready), c (group HR, Ready),
    d (yoda, InProgress), e (yoda, Completed), f (john only, Reserved), g (group HR, yoda excluded)."""
    svc = env.svc
    t = {}
    with env.no_process():
        _make(env, svc, t)
    return t


def _make(env, svc, t):
    t["a"] = env.task(actors=("yoda",), name="Alpha", priority=5, process_instance_id=500)
    t["b"] = env.task(actors=("yoda", "john"), name="Beta", priority=1, process_instance_id=500)
    t["c"] = env.task(actors=(), groups=("HR",), name="Gamma", priority=9, process_instance_id=500)
    t["d"] = env.task(actors=("yoda",), name="Delta", priority=3, process_instance_id=500)
    svc.start("demo", t["d"], "yoda")
    t["e"] = env.task(actors=("yoda",), name="Epsilon", priority=2, process_instance_id=500)
    svc.start("demo", t["e"], "yoda")
    svc.complete("demo", t["e"], "yoda", {})
    t["f"] = env.task(actors=("john",), name="Zeta", process_instance_id=501)
    t["g"] = env.task(actors=(), groups=("HR",), name="Eta", excluded_owners=["yoda"], process_instance_id=501)


def ids(env, path, fmt="json", user="yoda", **params):
    r = env.req("GET", path, user, fmt, params={k: v for k, v in params.items() if v is not None})
    assert r.status_code == 200, r.text
    return [s.id for s in unmarshal(r.text, FMT[fmt], TaskSummaryList).items]


def only(data, result):
    """The ids in `result` that belong to this module's data, in order."""
    known = {v: k for k, v in data.items()}
    return [known[i] for i in result if i in known]


@pytest.mark.parametrize("fmt", FORMATS)
def test_pot_owners(env, data, fmt):
    P = "/queries/tasks/instances/pot-owners"
    assert only(data, ids(env, P, fmt, pageSize="100")) == ["d", "c", "b", "a"]      # newest first
    assert only(data, ids(env, P, fmt, status="Ready", pageSize="100")) == ["c", "b"]
    assert only(data, ids(env, P, fmt, status=["Reserved", "InProgress"], pageSize="100")) == ["d", "a"]
    assert only(data, ids(env, P, fmt, status="Completed", pageSize="100")) == ["e"]
    assert only(data, ids(env, P, fmt, user="john", pageSize="100")) == ["g", "f", "c", "b"]
    assert only(data, ids(env, P, fmt, user="mary", pageSize="100")) == ["g", "c"]
    # extra groups
    assert "c" not in only(data, ids(env, P, fmt, user="nobody", pageSize="100"))
    assert only(data, ids(env, P, fmt, user="nobody", groups="HR", pageSize="100")) == ["g", "c"]
    # name filter (LIKE)
    assert only(data, ids(env, P, fmt, filter="%ta", pageSize="100")) == ["d", "b"]
    # sort and paging
    assert only(data, ids(env, P, fmt, sort="Priority", sortOrder="true", pageSize="100")) == ["b", "d", "a", "c"]
    assert only(data, ids(env, P, fmt, sort="Task", sortOrder="false", pageSize="100")) == ["c", "d", "b", "a"]
    everything = ids(env, P, fmt, pageSize="100")
    assert ids(env, P, fmt, page="1", pageSize="2") == everything[2:4]
    r = env.req("GET", P, "yoda", fmt, params={"status": "Bogus"})
    assert r.status_code == 500


@pytest.mark.parametrize("fmt", FORMATS)
def test_owners_admins_all_and_process(env, data, fmt):
    assert only(data, ids(env, "/queries/tasks/instances/owners", fmt, pageSize="100")) == ["d", "a"]
    assert only(data, ids(env, "/queries/tasks/instances/owners", fmt, status="Completed", pageSize="100")) == ["e"]
    assert only(data, ids(env, "/queries/tasks/instances/owners", fmt, user="john", pageSize="100")) == ["f"]
    # business administrators: Administrator and the Administrators group (wbadmin), not yoda
    assert only(data, ids(env, "/queries/tasks/instances/admins", fmt, user="Administrator", pageSize="100")) == \
        ["g", "f", "d", "c", "b", "a"]
    assert only(data, ids(env, "/queries/tasks/instances/admins", fmt, user="wbadmin", status="Completed",
                          pageSize="100")) == ["e"]
    assert ids(env, "/queries/tasks/instances/admins", fmt, pageSize="100") == []
    # all tasks of a user: the audit rows it owns, newest first, any status
    assert only(data, ids(env, "/queries/tasks/instances", fmt, pageSize="100")) == ["e", "d", "a"]
    # tasks of a process instance: Ready, Reserved, InProgress by default
    assert only(data, ids(env, "/queries/tasks/instances/process/500", fmt)) == ["a", "b", "c", "d"]
    assert only(data, ids(env, "/queries/tasks/instances/process/500", fmt, status="Completed")) == ["e"]
    assert ids(env, "/queries/tasks/instances/process/999", fmt) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_task_and_by_work_item(env, data, fmt):
    tid = data["d"]
    r = env.req("GET", f"/queries/tasks/instances/{tid}", fmt=fmt)
    t = unmarshal(r.text, FMT[fmt], TaskInstance)
    assert (t.id, t.name, t.status, t.actual_owner, t.process_instance_id, t.container_id) == \
        (tid, "Delta", "InProgress", "yoda", 500, "demo")
    r = env.req("GET", f"/queries/tasks/instances/workitem/{t.work_item_id}", fmt=fmt)
    assert unmarshal(r.text, FMT[fmt], TaskInstance).id == tid
    r = env.req("GET", "/queries/tasks/instances/4242", fmt=fmt)
    assert (r.status_code, r.text) == (404, '"Could not find task instance with id "4,242"\n"')
    r = env.req("GET", "/queries/tasks/instances/workitem/4242", fmt=fmt)
    assert r.status_code == 404


def test_user_param_ignored_without_bypass(env, data):
    P = "/queries/tasks/instances/pot-owners"
    r = env.req("GET", P, "yoda", params={"user": "john", "pageSize": "100"})
    got = [s.id for s in unmarshal(r.text, FMT["json"], TaskSummaryList).items]
    assert data["f"] not in got and data["a"] in got
    # task operations ignore ?user= too: yoda acts, not john
    tid = env.task(actors=("yoda", "john"))
    assert env.state(tid, "claimed", "yoda", params={"user": "john"}).status_code == 201
    assert env.owner(tid) == "yoda"


def test_active_tasks_of_process(env, data):
    """What the process service puts in ProcessInstance.active-user-tasks."""
    got = env.svc.active_tasks_of_process(500)
    assert [(t.id, t.status) for t in got] == [(data["a"], "Reserved"), (data["b"], "Ready"), (data["c"], "Ready"),
                                               (data["d"], "InProgress")]
    assert got[1].actual_owner == "" and got[0].container_id == "demo" and got[0].skipable is None
