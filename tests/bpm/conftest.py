"""Servers running the process service (kieserver.services.processes:BpmExtension) on SQLite and
PostgreSQL, with helpers to deploy kjars holding BPMN2 processes."""
import time

import pytest

from tests.conftest import Client, drop_pg_schema, pg_schema_url
from tests.kjars import build_kjar

BPM_EXTENSION = "kieserver.services.processes:BpmExtension"
EXTENSIONS = ["KieServer", "BRM", BPM_EXTENSION, "Tasks", "Jobs"]
KMODULE = ('<kmodule xmlns="http://www.drools.org/xsd/kmodule"><kbase name="kbase" default="true" packages="*">'
           '<ksession name="ksession" default="true"/></kbase></kmodule>')
USERS = {
    "kieserver": {"password": "plain$kieserver1!", "roles": ["kie-server", "admin", "Administrators"]},
    "wbadmin": {"password": "plain$wbadmin", "roles": ["kie-server", "admin", "Administrators"]},
    "john": {"password": "plain$john1", "roles": ["kie-server", "PM", "HR"]},
    "yoda": {"password": "plain$yoda1", "roles": ["kie-server", "PM"]},
}


def make_bpm_server(url, home, *, executor=False, extensions=None, **server):
    from kieserver.app import create_app
    from kieserver.config import load_config
    overrides = {"database": {"url": url}, "home": str(home), "server": server, "users": USERS,
                 "extensions": list(extensions or EXTENSIONS),
                 "executor": {"enabled": bool(executor), "interval": 0.05, "threads": 1, "retries": 3,
                              "retry_delays": [0.2]}}
    return Client(create_app(load_config(overrides=overrides, environ={})))


@pytest.fixture(params=["sqlite", "postgresql"])
def bpm_store(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/kie.db"
    else:
        url, schema = pg_schema_url("t_bpm")
        yield url
        drop_pg_schema(schema)


@pytest.fixture
def bpm_factory(bpm_store, tmp_path):
    made = []

    def make(**kw):
        c = make_bpm_server(bpm_store, tmp_path, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        try:
            c.close()
        except Exception:  # noqa: BLE001 - a server closed by the test itself
            pass


@pytest.fixture
def bpm(bpm_factory):
    return bpm_factory()


def deploy(client, processes, container="demo", version="1.0.0", artifact="bpm-kjar", extra=None):
    """Upload a kjar with the given {path: bpmn xml} and create a container for it."""
    files = dict(processes)
    files.update(extra or {})
    data = build_kjar(artifact=artifact, version=version, kmodule=KMODULE, files=files)
    body = {"container-id": container, "release-id": {"group-id": "org.example", "artifact-id": artifact,
                                                      "version": version}}
    # With the executor polling every 50 ms, SQLite's deferred read-then-write transactions of the Maven
    # repository and container services can meet "database is locked" (they do not take the write lock
    # up front); retry those two core calls rather than fail the process tests on it.
    for _ in range(10):
        r = client.put(f"/kie-server/maven2/org/example/{artifact}/{version}/{artifact}-{version}.jar", body=data)
        if "database is locked" not in r.text:
            break
        time.sleep(0.1)
    assert r.status_code in (200, 201), r.text
    for _ in range(10):
        r = client.put(f"/containers/{container}", body=body, fmt="json")
        if "database is locked" not in r.text:
            break
        client.delete(f"/containers/{container}")
        time.sleep(0.1)
    assert r.status_code == 201, r.text
    return r
