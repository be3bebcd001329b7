"""A task test server: users and groups like KIE Server's integration tests, one container `demo`
(alias `demo-alias`) and a second one `other`, tasks made through the service API."""
import base64

import pytest

from kieserver.services.bridge import HumanTaskSpec
from marshallers import JAXB, JSON, XSTREAM, marshal, unmarshal
from marshallers.types import core as C
from tests.conftest import Client, drop_pg_schema, pg_schema_url
from tests.kjars import build_kjar

FMT = {"json": JSON, "jaxb": JAXB, "xstream": XSTREAM}
FORMATS = ["json", "jaxb", "xstream"]

USERS = {
    "yoda": ["kie-server", "HR", "PM"],
    "john": ["kie-server", "engineering", "HR"],
    "mary": ["kie-server", "HR"],
    "Administrator": ["kie-server", "Administrators"],
    "wbadmin": ["kie-server", "admin", "Administrators"],
    "nobody": ["kie-server"],
}


def _class(name):
    import os
    with open(os.path.join(os.path.dirname(__file__), "..", "data", name), "rb") as f:
        return f.read()


KJAR_FILES = {"org/acme/Person.class": _class("Person.class"), "org/acme/Address.class": _class("Address.class")}


def password(user):
    return "wbadmin" if user == "wbadmin" else f"{user}pw"   # the Java client captures use wbadmin:wbadmin


def auth(user):
    return "Basic " + base64.b64encode(f"{user}:{password(user)}".encode()).decode()


class Env:
    def __init__(self, client: Client):
        self.client = client
        self.server = client.app.kie_server
        self.svc = self.server.human_tasks
        self.wid = 1000

    def task(self, actors=("yoda",), groups=(), container="demo", process_instance_id=-1, **kw):
        self.wid += 1
        kw.setdefault("name", "First task")
        kw.setdefault("created_by", "yoda")
        kw.setdefault("inputs", {"TaskName": kw["name"], "NodeName": kw["name"], "ActorId": ",".join(actors)})
        spec = HumanTaskSpec(container_id=container, process_instance_id=process_instance_id,
                             process_id="usertask-process", work_item_id=kw.pop("work_item_id", self.wid),
                             actor_ids=list(actors), group_ids=list(groups), **kw)
        return self.svc.create_task(spec)

    def no_process(self):
        """Tasks with made-up process instance ids: no process service to call back."""
        import contextlib

        @contextlib.contextmanager
        def cm():
            saved, self.server.process_callbacks = self.server.process_callbacks, None
            try:
                yield
            finally:
                self.server.process_callbacks = saved
        return cm()

    def req(self, method, path, user="yoda", fmt="json", body=None, params=None, headers=None):
        h = {"Authorization": auth(user)}
        h.update(headers or {})
        return self.client.request(method, path, fmt=fmt, body=body, params=params, headers=h, auth=False)

    def state(self, tid, state, user="yoda", fmt="json", body=None, params=None, container="demo"):
        return self.req("PUT", f"/containers/{container}/tasks/{tid}/states/{state}", user, fmt, body, params)

    def get_task(self, tid, fmt="json", user="yoda", **flags):
        from marshallers.types.tasks import TaskInstance
        names = {"with_input": "withInputData", "with_output": "withOutputData", "with_assignments": "withAssignments"}
        params = {names[k]: "true" for k, v in flags.items() if v}
        r = self.req("GET", f"/containers/demo/tasks/{tid}", user, fmt, params=params)
        assert r.status_code == 200, r.text
        return unmarshal(r.text, FMT[fmt], TaskInstance, types=self.svc.types_for("demo"))

    def status(self, tid):
        from kieserver.store.tasks import Task
        return Task.get_by_id(tid).status

    def owner(self, tid):
        from kieserver.store.tasks import Task
        return Task.get_by_id(tid).actualowner_id

    def events(self, tid):
        from kieserver.store.tasks import TaskEvent
        return [(e.type, e.userid) for e in TaskEvent.select().where(TaskEvent.taskid == tid).order_by(TaskEvent.id)]


def make_client(url, home, bypass=False):
    from kieserver.app import create_app
    from kieserver.config import load_config
    overrides = {"database": {"url": url}, "home": str(home), "executor": {"enabled": False},
                 "server": {"bypass_auth_user": bypass},
                 "users": {u: {"password": "plain$" + password(u), "roles": r} for u, r in USERS.items()},
                 "groups": {"mary": ["PM"]}}
    cfg = load_config(overrides=overrides, environ={})
    client = Client(create_app(cfg))
    for artifact, cid, alias in (("demo-kjar", "demo", "demo-alias"), ("other-kjar", "other", None)):
        data = build_kjar("org.example", artifact, "1.0.0", files=KJAR_FILES if cid == "demo" else {})
        r = client.put(f"/kie-server/maven2/org/example/{artifact}/1.0.0/{artifact}-1.0.0.jar", body=data,
                       headers={"Content-Type": "application/java-archive", "Authorization": auth("wbadmin")},
                       auth=False)
        assert r.status_code in (200, 201), r.text
        res = C.KieContainerResource(container_id=cid, container_alias=alias, release_id=C.ReleaseId(
            group_id="org.example", artifact_id=artifact, version="1.0.0"))
        r = client.put(f"/containers/{cid}", body=marshal(res, JSON), fmt="json", auth=auth("wbadmin"))
        assert r.status_code == 201, r.text
    return client


def _env(request, tmp_path_factory, backend, bypass=False):
    home = tmp_path_factory.mktemp("tasks")
    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{home}/kie.db"
    else:
        url, schema = pg_schema_url("t_tasks")
    client = make_client(url, home, bypass)
    yield Env(client)
    client.close()
    if schema:
        drop_pg_schema(schema)


@pytest.fixture(scope="module")
def env(request, tmp_path_factory):
    """SQLite: the broad matrix runs here."""
    yield from _env(request, tmp_path_factory, "sqlite")


@pytest.fixture(scope="module")
def pg_env(request, tmp_path_factory):
    yield from _env(request, tmp_path_factory, "postgresql")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def any_env(request, tmp_path_factory):
    yield from _env(request, tmp_path_factory, request.param)


@pytest.fixture(scope="module")
def bypass_env(request, tmp_path_factory):
    yield from _env(request, tmp_path_factory, "sqlite", bypass=True)
