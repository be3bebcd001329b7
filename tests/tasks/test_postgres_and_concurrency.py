"""The task service on PostgreSQL (row locks, LIKE, the jBPM-shaped tables for raw SQL) and concurrent
operations on one task: exactly one of two racing claims wins, on SQLite and PostgreSQL."""
import threading

import pytest

from marshallers import unmarshal
from marshallers.types.tasks import TaskSummaryList

from .conftest import FMT, FORMATS


@pytest.mark.parametrize("fmt", FORMATS)
def test_walk_on_both_stores(any_env, fmt):
    env = any_env
    tid = env.task(actors=("yoda", "john"), name=f"Walk {fmt}")
    assert env.state(tid, "claimed", "john", fmt).status_code == 201
    assert env.state(tid, "started", "john", fmt).status_code == 201
    assert env.state(tid, "suspended", "john", fmt).status_code == 201
    assert env.state(tid, "resumed", "Administrator", fmt).status_code == 201
    assert env.state(tid, "completed", "yoda", fmt).status_code == 403
    assert env.state(tid, "completed", "john", fmt, body=None).status_code == 201
    assert [e for e, _ in env.events(tid)] == ["ADDED", "ACTIVATED", "CLAIMED", "STARTED", "SUSPENDED", "RESUMED",
                                               "COMPLETED"]
    r = env.req("GET", "/queries/tasks/instances/pot-owners", "john", fmt,
                params={"status": "Completed", "filter": f"Walk {fmt[:2]}%"})
    assert [t.id for t in unmarshal(r.text, FMT[fmt], TaskSummaryList).items] == [tid]


def test_race_claims(any_env):
    env = any_env
    for _ in range(3):
        tid = env.task(actors=("yoda", "john"))
        barrier = threading.Barrier(2)
        results = {}

        def claim(user):
            barrier.wait()
            results[user] = env.state(tid, "claimed", user).status_code

        threads = [threading.Thread(target=claim, args=(u,)) for u in ("yoda", "john")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results.values()) == [201, 403], results
        winner = [u for u, c in results.items() if c == 201][0]
        assert env.owner(tid) == winner
        assert [e for e, _ in env.events(tid)].count("CLAIMED") == 1


def test_jbpm_sql_runs_on_the_tables(any_env):
    """Advanced queries written for jBPM (unquoted, mixed-case names) find our tables and columns."""
    from kieserver.store.db import database
    env = any_env
    tid = env.task(actors=("yoda",), groups=("HR",), name="SQL task", inputs={"TaskName": "SQL task", "city": "Brno"})
    sql = ("select t.id, t.name, t.status, t.actualOwner_id, t.processInstanceId, t.deploymentId, po.entity_id, "
           "oe.DTYPE from Task t join PeopleAssignments_PotOwners po on po.task_id = t.id "
           "join OrganizationalEntity oe on oe.id = po.entity_id where t.id = %s order by po.entity_id")
    rows = database.execute_sql(sql.replace("%s", database.param), (tid,)).fetchall()
    assert [tuple(r[:3]) + (r[6], r[7]) for r in rows] == [(tid, "SQL task", "Ready", "HR", "Group"),
                                                           (tid, "SQL task", "Ready", "yoda", "User")]
    rows = database.execute_sql(
        "select ti.taskId, ti.status, ti.actualOwner, ti.deploymentId, v.name, v.value from AuditTaskImpl ti "
        "join TaskVariableImpl v on v.taskId = ti.taskId where ti.taskId = " + database.param, (tid,)).fetchall()
    assert [(r[0], r[1], r[4], r[5]) for r in rows] == [(tid, "Ready", "city", "Brno")]
    rows = database.execute_sql("select type, userId, currentOwner from TaskEvent where taskId = " + database.param
                                + " order by id", (tid,)).fetchall()
    assert [tuple(r) for r in rows] == [("ADDED", "yoda", ""), ("ACTIVATED", "yoda", "")]
    for table in ("PeopleAssignments_BAs", "PeopleAssignments_ExclOwners", "Content", "Attachment", "task_comment"):
        database.execute_sql(f"select * from {table} where 1 = 0")
