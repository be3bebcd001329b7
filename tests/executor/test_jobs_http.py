"""/jobs over HTTP in three formats, on SQLite and PostgreSQL, with the executor driven by hand."""
import datetime as dt
import time

import pytest

from containers.values import Long
from kieserver.executor.commands import register_command
from marshallers import JAXB, JSON, XSTREAM, marshal, unmarshal
from marshallers.types import jobs as J
from tests.traffic import captured_requests

FMT = {"json": JSON, "jaxb": JAXB, "xstream": XSTREAM}
FORMATS = list(FMT)
PRINT = "org.jbpm.executor.commands.PrintOutCommand"
CALLS = []


def _record(ctx):
    CALLS.append(ctx.data.get("tag"))
    return {"echo": ctx.data.get("tag"), "n": Long(7)}


def _boom(ctx):
    raise RuntimeError("boom " + str(ctx.data.get("tag")))


register_command("test.Record", _record)
register_command("test.Boom", _boom)


def schedule(client, fmt, command, data=None, when=None, **params):
    body = marshal(J.JobRequestInstance(command=command, scheduled_date=when, data=data or {}), FMT[fmt])
    r = client.post("/jobs", body=body, fmt=fmt, params=params or None)
    assert r.status_code == 201, r.text
    return unmarshal(r.text, FMT[fmt], Long) if fmt != "json" else int(r.text)


def job(client, fmt, job_id, **params):
    r = client.get(f"/jobs/{job_id}", fmt=fmt, params=params or None)
    assert r.status_code == 200, r.text
    return unmarshal(r.text, FMT[fmt], J.RequestInfoInstance)


def jobs(client, fmt, path="/jobs", **params):
    r = client.get(path, fmt=fmt, params=params or None)
    assert r.status_code == 200, r.text
    return unmarshal(r.text, FMT[fmt], J.RequestInfoInstanceList).items


def drain(client):
    svc = client.app.kie_server.executor
    n = 0
    while svc.run_once():
        n += 1
    return n


@pytest.mark.parametrize("fmt", FORMATS)
def test_schedule_run_and_read(client, fmt):
    jid = schedule(client, fmt, "test.Record", {"tag": "a", "businessKey": "bk-a", "when": dt.datetime(2020, 1, 2, tzinfo=dt.timezone.utc)})
    j = job(client, fmt, jid)
    assert (j.status, j.message, j.retries, j.executions, j.business_key) == ("QUEUED", "Ready to execute", 3, 0, "bk-a")
    assert [x.id for x in jobs(client, fmt)] == [jid]
    assert drain(client) == 1
    j = job(client, fmt, jid, withData="true", withErrors="true")
    assert j.status == "DONE" and j.executions == 1
    assert j.data["tag"] == "a" and j.data["when"].year == 2020
    assert j.response_data == {"echo": "a", "n": 7}
    assert jobs(client, fmt) == []
    assert [x.id for x in jobs(client, fmt, status="DONE")] == [jid]


@pytest.mark.parametrize("fmt", FORMATS)
def test_future_job_waits(client, fmt):
    when = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    jid = schedule(client, fmt, PRINT, {"businessKey": "later"}, when)
    assert drain(client) == 0
    j = job(client, fmt, jid)
    assert j.status == "QUEUED" and abs((j.scheduled_date - when).total_seconds()) < 0.01


@pytest.mark.parametrize("fmt", FORMATS)
def test_retries_end_in_error_then_requeue(client, fmt):
    jid = schedule(client, fmt, "test.Boom", {"tag": "x", "retries": 2, "retryDelay": "0ms"})
    assert drain(client) == 3
    j = job(client, fmt, jid, withErrors="true")
    assert j.status == "ERROR" and j.executions == 3 and j.retries == 0
    assert [e.message for e in j.errors.items] == ["boom x"] * 3
    assert "RuntimeError: boom x" in j.errors.items[0].stacktrace
    assert [x.id for x in jobs(client, fmt, status="ERROR")] == [jid]
    r = client.put(f"/jobs/{jid}", fmt=fmt)
    assert r.status_code == 201
    assert job(client, fmt, jid).status == "QUEUED"


def test_retry_delay_from_config(server_factory):
    c = server_factory()
    jid = schedule(c, "json", "test.Boom", {"tag": "d", "retries": 1, "retryDelay": "1h"})
    assert drain(c) == 1
    j = job(c, "json", jid)
    assert j.status == "RETRYING" and j.retries == 0
    assert j.scheduled_date > dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=59)


@pytest.mark.parametrize("fmt", FORMATS)
def test_cancel(client, fmt):
    jid = schedule(client, fmt, PRINT)
    r = client.delete(f"/jobs/{jid}", fmt=fmt)
    assert r.status_code == 204
    assert job(client, fmt, jid).status == "CANCELLED"
    assert drain(client) == 0
    client.put(f"/jobs/{jid}", fmt=fmt)  # a cancelled job is not requeued
    assert job(client, fmt, jid).status == "CANCELLED"


@pytest.mark.parametrize("fmt", FORMATS)
def test_update_data(client, fmt):
    jid = schedule(client, fmt, "test.Record", {"tag": "old"})
    r = client.post(f"/jobs/{jid}/data", body=marshal({"tag": "new"}, FMT[fmt]), fmt=fmt)
    assert r.status_code == 201, r.text
    drain(client)
    assert job(client, fmt, jid, withData="true").response_data["echo"] == "new"
    r = client.post(f"/jobs/{jid}/data", body=marshal({"tag": "x"}, FMT[fmt]), fmt=fmt)
    assert r.status_code == 400 and "can't be updated when request is in status DONE" in r.text


@pytest.mark.parametrize("fmt", FORMATS)
def test_queries(client, fmt):
    a = schedule(client, fmt, PRINT, {"businessKey": "k1", "processInstanceId": Long(42)})
    b = schedule(client, fmt, "test.Record", {"businessKey": "k1", "tag": "b"})
    c = schedule(client, fmt, "test.Record", {"businessKey": "k2", "tag": "c"})
    assert [x.id for x in jobs(client, fmt, "/jobs/keys/k1")] == [a, b]
    assert [x.id for x in jobs(client, fmt, "/jobs/commands/test.Record")] == [b, c]
    assert [x.id for x in jobs(client, fmt, "/jobs/processes/instances/42")] == [a]
    assert [x.id for x in jobs(client, fmt, "/jobs", page="1", pageSize="2")] == [c]
    assert [x.id for x in jobs(client, fmt, "/jobs", status=["QUEUED", "DONE"], pageSize="1")] == [a]
    assert jobs(client, fmt, "/jobs/containers/none") == []


def test_job_for_a_container(client):
    from tests.kjars import build_kjar
    client.put("/containers/demo", body=build_kjar(), headers={"Content-Type": "application/java-archive"})
    jid = schedule(client, "json", PRINT, {"businessKey": "c"}, containerId="demo")
    assert job(client, "json", jid).container_id == "demo"
    assert [x.id for x in jobs(client, "json", "/jobs/containers/demo")] == [jid]
    r = client.post("/jobs", body='{"job-command":"%s"}' % PRINT, fmt="json", params={"containerId": "nope"})
    assert r.status_code == 500


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_requests(client, fmt):
    body = marshal(J.JobRequestInstance(command="com.acme.NoSuchCommand", data={}), FMT[fmt])
    r = client.post("/jobs", body=body, fmt=fmt)
    assert r.status_code == 400 and r.text == '"Invalid command type com.acme.NoSuchCommand"'
    assert client.post("/jobs", body="{not json" if fmt == "json" else "<job-request-instance", fmt=fmt).status_code == 400
    r = client.get("/jobs/999999", fmt=fmt)
    assert r.status_code == 404 and r.text == '"Request with id: 999999 doesn\'t exist"'
    assert client.delete("/jobs/999999", fmt=fmt).status_code == 404
    assert client.get("/jobs", params={"status": "BOGUS"}, fmt=fmt).status_code == 500


@pytest.mark.parametrize("fmt", ["JSON", "JAXB", "XSTREAM"])
def test_java_client_calls_18_19(client, fmt):
    reqs = captured_requests()[fmt]
    method, path, headers, body = reqs[18]
    r = client.request(method, path, headers=headers, body=body, auth=False)
    assert r.status_code == 201, r.text
    kind = {"JSON": JSON, "JAXB": JAXB, "XSTREAM": XSTREAM}[fmt]
    jid = unmarshal(r.text, kind, Long) if fmt != "JSON" else int(r.text)
    method, path, headers, body = reqs[19]
    r = client.request(method, path, headers=headers, body=body or None, auth=False)
    assert r.status_code == 200
    items = unmarshal(r.text, kind, J.RequestInfoInstanceList).items
    assert [i.id for i in items] == [jid] and items[0].business_key == "bk1"


def test_restart_with_pending_jobs(store_url, tmp_path):
    from tests.conftest import Client, make_server
    c = Client(make_server(store_url, tmp_path))
    ids = [schedule(c, "json", "test.Record", {"tag": f"r{i}"}) for i in range(5)]
    c.close()
    c = Client(make_server(store_url, tmp_path))
    try:
        CALLS.clear()
        assert drain(c) == 5
        assert sorted(CALLS) == [f"r{i}" for i in range(5)]
        assert {job(c, "json", i).status for i in ids} == {"DONE"}
        assert drain(c) == 0
    finally:
        c.close()


def test_dead_worker_job_is_recovered(client):
    svc = client.app.kie_server.executor
    jid = schedule(client, "json", "test.Record", {"tag": "dead"})
    claimed, _ = svc.claim()          # a worker claims it ... and dies
    assert claimed.id == jid and job(client, "json", jid).status == "RUNNING"
    assert svc.run_once() is False
    svc.settings["running_timeout"] = 0
    time.sleep(0.01)
    assert svc.recover_stale() == 1
    assert drain(client) == 1 and job(client, "json", jid).status == "DONE"


def test_worker_threads_run_jobs(server_factory):
    c = server_factory()
    from kieserver.executor.worker import Executor
    svc = c.app.kie_server.executor
    svc.settings.update(threads=2, interval=0.05)
    ex = Executor(svc)
    CALLS.clear()
    ids = [schedule(c, "json", "test.Record", {"tag": i}) for i in range(10)]
    ex.start()
    try:
        deadline = time.time() + 20
        while time.time() < deadline and any(job(c, "json", i).status != "DONE" for i in ids):
            time.sleep(0.05)
    finally:
        ex.stop()
    assert sorted(CALLS) == list(range(10))


def _again(ctx):
    n = int(ctx.data.get("n", 0))
    CALLS.append(("again", n))
    if n < 2:
        ctx.data["n"] = n + 1
        return {"NextScheduleTime": dt.datetime.now(dt.timezone.utc) + dt.timedelta(milliseconds=5)}
    return {}


register_command("test.Again", _again)


def test_reoccurring_job_reschedules_itself(client):
    CALLS.clear()
    first = schedule(client, "json", "test.Again", {"n": 0, "businessKey": "cron"})
    deadline = time.time() + 5
    while time.time() < deadline and len(CALLS) < 3:
        drain(client)
        time.sleep(0.01)
    assert CALLS == [("again", 0), ("again", 1), ("again", 2)]
    chain = jobs(client, "json", "/jobs/keys/cron")
    assert chain[0].id == first and [j.status for j in chain] == ["DONE"] * 3
    assert chain[1].message == "Rescheduled reoccurring job"
