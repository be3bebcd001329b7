import base64
import os
import uuid

import pytest
from falcon import testing

PG_BASE = os.environ.get("KIESERVER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def pg_schema_url(prefix):
    """A fresh PostgreSQL schema (dropped by the caller via drop_pg_schema)."""
    import psycopg2
    schema = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    conn = psycopg2.connect(PG_BASE)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE SCHEMA "{schema}"')
    conn.close()
    return f"{PG_BASE}?options=-csearch_path%3D{schema}", schema


def drop_pg_schema(schema):
    import psycopg2
    conn = psycopg2.connect(PG_BASE)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    conn.close()


def basic(user="kieserver", password="kieserver1!"):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/kie.db"
    else:
        url, schema = pg_schema_url("t_core")
        yield url
        drop_pg_schema(schema)


def make_server(url, home, **server_overrides):
    from kieserver.app import create_app
    from kieserver.config import load_config
    overrides = {"database": {"url": url}, "home": str(home), "executor": {"enabled": False},
                 "server": server_overrides}
    overrides["users"] = {
        "kieserver": {"password": "plain$kieserver1!", "roles": ["kie-server", "admin"]},
        "wbadmin": {"password": "plain$wbadmin", "roles": ["kie-server", "admin"]},
        "nobody": {"password": "plain$nobody1", "roles": ["guest"]},
    }
    cfg = load_config(overrides=overrides, environ={})
    return create_app(cfg)


class Client:
    """falcon's testing client with KIE defaults (auth, paths relative to the REST root)."""

    ROOT = "/kie-server/services/rest/server"

    def __init__(self, app):
        self.app = app
        self.sim = testing.TestClient(app)

    def request(self, method, path, *, body=None, headers=None, auth=True, params=None, fmt=None):
        h = {}
        if auth:
            h["Authorization"] = basic() if auth is True else auth
        if fmt == "json":
            h.update({"Accept": "application/json", "X-KIE-ContentType": "JSON"})
        elif fmt == "jaxb":
            h.update({"Accept": "application/xml", "X-KIE-ContentType": "JAXB"})
        elif fmt == "xstream":
            h.update({"Accept": "application/xml", "X-KIE-ContentType": "XSTREAM"})
        if body is not None and fmt and "Content-Type" not in (headers or {}):
            h["Content-Type"] = "application/json" if fmt == "json" else "application/xml"
        h.update(headers or {})
        url = path if path.startswith("/kie-server") else self.ROOT + path
        kwargs = {"headers": h, "params": params}
        if body is not None:
            kwargs["body" if isinstance(body, (bytes, str)) else "json"] = body
        return self.sim.simulate_request(method, url, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def close(self):
        self.app.kie_server.close()


@pytest.fixture
def server_factory(store_url, tmp_path):
    made = []

    def make(**overrides):
        c = Client(make_server(store_url, tmp_path, **overrides))
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture
def client(server_factory):
    return server_factory()
