"""Calling the process endpoints in any of the three formats and reading the answers back."""
import time

from marshallers import ANY, JAXB, JSON, MAP, XSTREAM, marshal, unmarshal

FMTS = {"json": JSON, "jaxb": JAXB, "xstream": XSTREAM}
BASE = "/containers/{c}/processes"


def body_for(value, fmt):
    if value is None:
        return None
    return marshal(value, FMTS[fmt])


def call(client, method, path, fmt="json", body=None, expected=None, status=None, **kw):
    r = client.request(method, path, fmt=fmt, body=body_for(body, fmt), **kw)
    if status is not None:
        assert r.status_code == status, (method, path, r.status_code, r.text)
    if expected is not None:
        return unmarshal(r.text, FMTS[fmt], expected)
    return r


def start(client, process_id, variables=None, fmt="json", container="demo", key=None, status=201, **kw):
    path = f"/containers/{container}/processes/{process_id}/instances"
    if key:
        path += f"/correlation/{key}"
    r = call(client, "POST", path, fmt, body=variables if variables is not None else {}, status=status, **kw)
    if status == 201:
        return int(unmarshal(r.text, FMTS[fmt], ANY))
    return r


def instance(client, pid, fmt="json", container="demo", with_vars=False):
    from marshallers.types.process import ProcessInstance
    q = "?withVars=true" if with_vars else ""
    return call(client, "GET", f"/containers/{container}/processes/instances/{pid}{q}", fmt, expected=ProcessInstance,
                status=200)


def variables(client, pid, fmt="json", container="demo"):
    return call(client, "GET", f"/containers/{container}/processes/instances/{pid}/variables", fmt, expected=MAP,
                status=200)


def task_of_work_item(client, wid):
    from marshallers.types.tasks import TaskInstance
    return call(client, "GET", f"/queries/tasks/instances/workitem/{wid}", "json", expected=TaskInstance, status=200)


def wait_for(predicate, timeout=15.0, interval=0.05):
    """Poll until predicate() is truthy (timers and jobs run on executor threads)."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(interval)
