"""The HumanTasks contract the process service uses: create (inside its transaction), exit the open
tasks of an aborted instance, exit the task of a cancelled work item; and the callbacks the task
service makes (complete on complete/skip, abort on fail/exit)."""
import pytest

from kieserver.store.db import database
from kieserver.store.tasks import Task


class Recorder:
    def __init__(self):
        self.calls = []

    def complete_work_item(self, container_id, process_instance_id, work_item_id, results, user=None):
        self.calls.append(("complete", container_id, process_instance_id, work_item_id, dict(results), user))

    def abort_work_item(self, container_id, process_instance_id, work_item_id, user=None):
        self.calls.append(("abort", container_id, process_instance_id, work_item_id, user))


@pytest.fixture
def rec(env):
    saved = env.server.process_callbacks
    env.server.process_callbacks = r = Recorder()
    yield r
    env.server.process_callbacks = saved


def test_create_rolls_back_with_the_callers_transaction(env):
    before = Task.select().count()

    class Boom(Exception):
        pass
    with pytest.raises(Boom):
        with database.atomic():
            env.task(process_instance_id=900)
            raise Boom()
    assert Task.select().count() == before


def test_exit_tasks_of_process_and_work_item(env, rec):
    a = env.task(process_instance_id=901, work_item_id=9011)
    b = env.task(actors=("yoda", "john"), process_instance_id=901, work_item_id=9012)
    c = env.task(process_instance_id=901, work_item_id=9013)
    env.svc.start("demo", c, "yoda")
    env.svc.complete("demo", c, "yoda", {"x": 1})
    other = env.task(process_instance_id=902, work_item_id=9021)
    env.svc.exit_tasks_of_process(901, "yoda")
    assert [env.status(t) for t in (a, b, c, other)] == ["Exited", "Exited", "Completed", "Reserved"]
    assert env.events(a)[-1] == ("EXITED", "Administrator")
    env.svc.exit_task_of_work_item(9021)
    assert env.status(other) == "Exited"
    env.svc.exit_task_of_work_item(123456789)       # unknown: nothing happens
    # process-initiated exits do not call the process back; only c's completion did
    assert [x[0] for x in rec.calls] == ["complete"]


def test_callbacks(env, rec):
    t = env.task(process_instance_id=903, work_item_id=9031)
    env.svc.start("demo", t, "yoda")
    env.svc.complete("demo", t, "yoda", {"approved": True})
    assert rec.calls[-1] == ("complete", "demo", 903, 9031, {"approved": True, "ActorId": "yoda"}, "yoda")
    t = env.task(process_instance_id=903, work_item_id=9032)
    env.svc.skip("demo", t, "yoda")
    assert rec.calls[-1] == ("complete", "demo", 903, 9032, {}, "yoda")
    t = env.task(process_instance_id=903, work_item_id=9033)
    env.svc.start("demo", t, "yoda")
    env.svc.fail("demo", t, "yoda", {"reason": "x"})
    assert rec.calls[-1] == ("abort", "demo", 903, 9033, "yoda")
    t = env.task(process_instance_id=903, work_item_id=9034)
    env.svc.exit("demo", t, "Administrator")
    assert rec.calls[-1] == ("abort", "demo", 903, 9034, "Administrator")
    # a task without a process just completes
    n = len(rec.calls)
    t = env.task(work_item_id=9035)
    env.svc.start("demo", t, "yoda")
    env.svc.complete("demo", t, "yoda", {})
    assert len(rec.calls) == n and env.status(t) == "Completed"


def test_callback_failure_rolls_the_task_back(env, rec):
    def boom(*a, **k):
        raise RuntimeError("process said no")
    rec.complete_work_item = boom
    t = env.task(process_instance_id=904, work_item_id=9041)
    env.svc.start("demo", t, "yoda")
    r = env.state(t, "completed", "yoda", body='{"a": 1}')
    assert r.status_code == 500 and "process said no" in r.text
    assert env.status(t) == "InProgress" and env.events(t)[-1][0] == "STARTED"
