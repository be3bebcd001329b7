"""A server with the BPM, Tasks and Queries extensions on SQLite and PostgreSQL, one data set per module:
two containers of processes started over HTTP (as clients do), user tasks for john / yoda / group HR."""
import pytest

from marshallers import JAXB, JSON, XSTREAM, unmarshal
from tests.bpm import bpmn
from tests.bpm.conftest import deploy, make_bpm_server
from tests.bpm.helpers import start
from tests.conftest import basic, drop_pg_schema, pg_schema_url

EXTENSIONS = ["KieServer", "BRM", "BPM", "Tasks", "Queries", "Jobs"]
FMT = {"json": JSON, "jaxb": JAXB, "xstream": XSTREAM}
FORMATS = ["json", "jaxb", "xstream"]
JOHN = basic("john", "john1")
YODA = basic("yoda", "yoda1")

PROCS = {"org/example/usertask.bpmn2": bpmn.user_task_process(),
         "org/example/usertask2.bpmn2": bpmn.user_task_process("demo.grouptask", "GroupTask", actor="", groups="HR"),
         "org/example/variables.bpmn2": bpmn.VARIABLES, "org/example/workitem.bpmn2": bpmn.WORK_ITEM,
         "org/example/straight.bpmn2": bpmn.SCRIPT_ONLY}
OTHER = {"org/example/variables.bpmn2": bpmn.VARIABLES}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def qstore(request, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('q')}/kie.db"
    else:
        url, schema = pg_schema_url("t_q")
        yield url
        drop_pg_schema(schema)


class Env:
    def __init__(self, client):
        self.c = client
        self.pids = {}

    def get(self, path, fmt="json", expected=None, status=200, auth=True, params=None):
        r = self.c.get(path, fmt=fmt, auth=auth, params=params)
        assert r.status_code == status, (path, r.status_code, r.text)
        if expected is not None:
            return unmarshal(r.text, FMT[fmt], expected)
        return r

    def post(self, path, body, fmt="json", expected=None, status=200, params=None):
        r = self.c.post(path, fmt=fmt, body=body, params=params)
        assert r.status_code == status, (path, r.status_code, r.text)
        if expected is not None:
            return unmarshal(r.text, FMT[fmt], expected)
        return r


@pytest.fixture(scope="module")
def env(qstore, tmp_path_factory):
    """Container demo (alias 'demo-alias' not set): 
      u1..u3  demo.usertask  name=alice/bob/carol (upper-cased by the script), age 30/40/50, task Review for john
      g1      demo.grouptask name=dave, task for group HR
      v1, v2  demo.variables s=hello/world i=1/2 (waiting on signal 'go'), key 'order:1' / 'order:2'
      v3      demo.variables s=hello aborted; s2 completed (demo.straight, x=21)
      w1      demo.workitem (pending work item)
    Container other: o1 demo.variables s=other."""
    home = tmp_path_factory.mktemp("home")
    client = make_bpm_server(qstore, home, extensions=EXTENSIONS)
    deploy(client, PROCS)
    deploy(client, OTHER, container="other", artifact="other-kjar")
    e = Env(client)
    p = e.pids
    for k, name, age in (("u1", "alice", 30), ("u2", "bob", 40), ("u3", "carol", 50)):
        p[k] = start(client, "demo.usertask", {"name": name, "age": age}, auth=JOHN)
    p["g1"] = start(client, "demo.grouptask", {"name": "dave", "age": 60}, auth=YODA)
    p["v1"] = start(client, "demo.variables", {"s": "hello", "i": 1}, key="order:1")
    p["v2"] = start(client, "demo.variables", {"s": "world", "i": 2}, key="order:2")
    p["v3"] = start(client, "demo.variables", {"s": "hello", "i": 3}, key="other-key")
    r = client.delete(f"/containers/demo/processes/instances/{p['v3']}")
    assert r.status_code == 204, r.text
    p["s2"] = start(client, "demo.straight", {"x": 21})
    p["w1"] = start(client, "demo.workitem", {})
    p["o1"] = start(client, "demo.variables", {"s": "other", "i": 9}, container="other")
    # a later value of s for v1: the history has two entries, the current value is 'hello2'
    r = client.put(f"/containers/demo/processes/instances/{p['v1']}/variable/s", fmt="json", body='"hello2"')
    assert r.status_code == 201, r.text
    yield e
    client.close()
