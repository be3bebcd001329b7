"""Calls 12-15 of the real kie-server-client (findTasks, findTasksAssignedAsPotentialOwner, startTask,
completeTask), replayed byte for byte as it sent them, in each format; and the bypass variant
(?user=john with org.kie.server.bypass.auth.user=true)."""
import pytest

from marshallers import JAXB, JSON, XSTREAM, unmarshal
from marshallers.types.tasks import TaskSummaryList
from tests.traffic import captured_requests

from .conftest import Env, make_client

REQUESTS = captured_requests()
FMT = {"JSON": JSON, "JAXB": JAXB, "XSTREAM": XSTREAM}


@pytest.fixture
def traffic_env(tmp_path):
    envs = []

    def make(bypass=False):
        env = Env(make_client(f"sqlite:///{tmp_path}/kie{len(envs)}.db", tmp_path, bypass))
        envs.append(env)
        # tasks 1-4 give the queries something to list; task 5 is the one the client drives
        t1 = env.task(actors=("wbadmin",), name="Done by wbadmin")
        env.svc.start("demo", t1, "wbadmin")
        env.svc.complete("demo", t1, "wbadmin", {})
        env.task(actors=("wbadmin", "john"), name="Open for wbadmin")
        env.task(actors=("mary",), name="Mary's")
        env.task(actors=(), name="Not activated")
        assert env.task(actors=("john", "mary"), name="The one") == 5
        return env
    yield make
    for e in envs:
        e.client.close()


def replay(env, fmt, n, extra_query=None, headers=None):
    method, path, h, body = REQUESTS[fmt][n]
    if extra_query:
        base, _, query = path.partition("?")
        path = base + "?" + extra_query + ("&" + query if query else "")
    h = dict(h)
    h.update(headers or {})
    return env.client.request(method, path, headers=h, body=body or None, auth=False)


@pytest.mark.parametrize("fmt", ["JSON", "JAXB", "XSTREAM"])
def test_calls_12_to_15(traffic_env, fmt):
    env = traffic_env()
    r = replay(env, fmt, 12)
    assert r.status_code == 200, r.text
    found = unmarshal(r.text, FMT[fmt], TaskSummaryList).items
    assert [(t.id, t.name, t.status, t.actual_owner) for t in found] == [(1, "Done by wbadmin", "Completed", "wbadmin")]
    r = replay(env, fmt, 13)
    assert r.status_code == 200, r.text
    found = unmarshal(r.text, FMT[fmt], TaskSummaryList).items
    assert [(t.id, t.status, t.skipable, t.container_id) for t in found] == [(2, "Ready", True, "demo")]
    # wbadmin (group Administrators: a business administrator of every task) starts and completes task 5
    r = replay(env, fmt, 14)
    assert (r.status_code, r.text) == (201, "")
    assert (env.status(5), env.owner(5)) == ("InProgress", "wbadmin")
    r = replay(env, fmt, 15)
    assert (r.status_code, r.text) == (201, ""), r.text
    assert env.status(5) == "Completed"
    assert env.svc.output_content("demo", 5) == {"approved": True}
    assert [e for e, _ in env.events(5)] == ["ADDED", "ACTIVATED", "STARTED", "UPDATED", "COMPLETED"]
    assert env.events(5)[-1] == ("COMPLETED", "wbadmin")


def test_bypass_variant(traffic_env):
    env = traffic_env(bypass=True)
    conv = {"X-KIE-ConversationId": "'demo':'local-server':'org.example:demo-kjar:1.0.0':abc123"}
    r = replay(env, "JSON", 12, "user=john", conv)
    assert r.status_code == 200 and r.headers.get("X-KIE-ConversationId") == conv["X-KIE-ConversationId"]
    assert unmarshal(r.text, JSON, TaskSummaryList).items == []          # john owns nothing yet
    r = replay(env, "JSON", 13, "user=john", conv)
    assert [t.id for t in unmarshal(r.text, JSON, TaskSummaryList).items] == [5, 2]
    r = replay(env, "JSON", 14, "user=john", conv)
    assert r.status_code == 201 and (env.status(5), env.owner(5)) == ("InProgress", "john")
    assert r.headers.get("X-KIE-ConversationId") == conv["X-KIE-ConversationId"]
    r = replay(env, "JSON", 15, "user=john", conv)
    assert r.status_code == 201 and env.status(5) == "Completed"
    assert env.events(5)[-1] == ("COMPLETED", "john")
    r = replay(env, "JSON", 12, "user=john", conv)
    assert [t.id for t in unmarshal(r.text, JSON, TaskSummaryList).items] == [5]
    # an empty ?user= on a task operation is used as is (UserTaskServiceBase), not the principal
    tid = env.task(actors=("john", "mary"))
    r = env.client.request("PUT", f"/containers/demo/tasks/{tid}/states/claimed?user=", fmt="json",
                           headers={"Authorization": REQUESTS["JSON"][14][2]["Authorization"]}, auth=False)
    assert r.status_code == 403 and "[UserImpl:'']" in r.text


def test_without_bypass_the_principal_acts(traffic_env):
    env = traffic_env()
    # task 5 belongs to john and mary; wbadmin asking as ?user=john is still wbadmin
    env.svc.claim("demo", 5, "john")
    r = replay(env, "JSON", 14, "user=john")
    assert r.status_code == 404        # Reserved: only the owner (john) may start, and wbadmin acts
    assert (env.status(5), env.owner(5)) == ("Reserved", "john")
