"""Servers with the BPM, Tasks and Queries extensions on SQLite and PostgreSQL, and the
query-definition-project kjar of KIE's integration tests (its BPMN2 files and query-definitions.json
read from the droolsjbpm-integration mirror at test time; skipped when the mirror is absent)."""
import os
import subprocess

import pytest

from tests.bpm.conftest import BPM_EXTENSION

EXTENSIONS = ["KieServer", "BRM", BPM_EXTENSION, "Tasks", "Queries", "Jobs"]
MIRROR = "/work/.mirror/kiegroup+droolsjbpm-integration/repo"
BASE = ("kie-server-parent/kie-server-tests/kie-server-integ-tests-jbpm/src/test/filtered-resources/kjars-sources/"
        "query-definition-project/src/main/resources/")
PROJECT = "query-definition-project"
DS = "java:jboss/datasources/ExampleDS"


def mirror_file(name):
    if not os.path.isdir(MIRROR):
        return None
    r = subprocess.run(["git", "-C", MIRROR, "show", f"HEAD:{BASE}{name}"], capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else None


USERS = {
    "kieserver": {"password": "plain$kieserver1!", "roles": ["kie-server", "admin", "Administrators"]},
    "yoda": {"password": "plain$yoda1", "roles": ["kie-server", "PM", "HR"]},
    "john": {"password": "plain$john1", "roles": ["kie-server", "PM", "engineering"]},
}
QUERIES = {"mappers": {"CustomMapper": "tests.querydefs.custom:CustomMapper"},
           "builders": {"test": "tests.querydefs.custom:test_builder",
                        "oneshot": "tests.querydefs.custom:OneShotBuilder"}}


def make_query_server(url, home, queries=None, executor=False, users=None):
    from kieserver.app import create_app
    from kieserver.config import load_config
    from tests.conftest import Client
    overrides = {"database": {"url": url}, "home": str(home), "users": users or USERS, "extensions": EXTENSIONS,
                 "queries": queries if queries is not None else QUERIES,
                 "executor": {"enabled": bool(executor), "interval": 0.05, "threads": 1}}
    return Client(create_app(load_config(overrides=overrides, environ={})))


@pytest.fixture
def qfactory(store_url, tmp_path):
    made = []

    def make(**kw):
        c = make_query_server(store_url, tmp_path, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        try:
            c.close()
        except Exception:  # noqa: BLE001
            pass


@pytest.fixture
def qserver(qfactory):
    return qfactory()


def project_files():
    files = {}
    for f in ("usertask.bpmn2", "signal-process.bpmn2", "usertask-double-group.bpmn2",
              "META-INF/kie-deployment-descriptor.xml"):
        text = mirror_file(f)
        if text is None:
            pytest.skip(f"{f} not in the droolsjbpm-integration mirror")
        files[f] = text
    qd = mirror_file("query-definitions.json")
    if qd is None:
        pytest.skip("query-definitions.json not in the mirror")
    # Maven filters the kjar's resources: ${org.kie.server.persistence.ds} is resolved at build time
    files["query-definitions.json"] = qd.replace("${org.kie.server.persistence.ds}", DS)
    return files


@pytest.fixture
def project(qserver):
    from tests.bpm.conftest import deploy
    deploy(qserver, project_files(), container=PROJECT, artifact=PROJECT)
    return qserver
