"""Latency of the main runtime queries over 100,000 process instances, on SQLite and PostgreSQL.

    PYTHONPATH=. python scripts/bench_queries.py [--instances 100000] [--runs 20] [--backend sqlite|postgresql|both]
                                                  [--pg postgresql://postgres@127.0.0.1:5432/test]

Loads the jBPM tables directly (bulk INSERTs, one transaction per batch): per instance one
ProcessInstanceLog row, three VariableInstanceLog rows (customer, amount, region), one human task (Task +
AuditTaskImpl rows, two potential owners: a user and a group, one TaskVariableImpl input).  Then it calls
the REST endpoints in process through falcon's test client (marshalling included) and prints the median
of N runs of:
  pot-owners page        GET /queries/tasks/instances/pot-owners (user with 2 groups, page 0, size 10)
  pot-owners page 50     the same, page 50
  instances by variable  GET /queries/processes/instances/variables/customer?varValue=customer-<40% of n>
  instances by var LIKE  GET /queries/processes/instances/variables/region?varValue=north%  (first page)
  instances, status      GET /queries/processes/instances?status=1&sort=StartDate&page=100
  tasks by variable      GET /queries/tasks/instances/variables/customer?varValue=customer-<40% of n + 6>
  variable search        POST /queries/variables/processes (process variable amount > 990, page 0)
  custom filtered query  POST /queries/definitions/{q}/filtered-data (when kieserver.resources.querydefs
                         exists: a PROCESS query over ProcessInstanceLog with a QueryFilterSpec)
The PostgreSQL run uses a fresh schema dropped at the end.
"""
from __future__ import annotations

import argparse
import base64
import datetime as dt
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
import uuid

ROOT = "/kie-server/services/rest/server"
USERS = {"kieserver": {"password": "plain$kieserver1!", "roles": ["kie-server", "admin"]},
         "user7": {"password": "plain$user7", "roles": ["kie-server", "G3", "G11"]}}


def auth(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def make_app(url, home):
    from kieserver.app import create_app
    from kieserver.config import load_config
    cfg = load_config(overrides={"database": {"url": url}, "home": str(home), "executor": {"enabled": False},
                                 "users": USERS,
                                 "extensions": ["KieServer", "BPM", "Tasks", "Queries"]}, environ={})
    return create_app(cfg)


def load(n, batch=2000):
    """Bulk-load n instances with variables and tasks straight into the tables."""
    from kieserver.store.db import database
    from kieserver.store.jbpm import ProcessInstanceLog, VariableInstanceLog
    from kieserver.store.tasks import AuditTask, PotOwner, Task, TaskVariable
    base = dt.datetime(2024, 1, 1)
    regions = ("north", "south", "east", "west", "northeast")
    statuses = ("Ready", "Reserved", "InProgress", "Completed")
    t0 = time.perf_counter()
    for start in range(1, n + 1, batch):
        ids = range(start, min(n, start + batch - 1) + 1)
        pil, vil, tasks, audit, pots, tvars = [], [], [], [], [], []
        for i in ids:
            when = base + dt.timedelta(seconds=i)
            status = 1 if i % 10 else 2
            pil.append({"processinstanceid": i, "processid": f"proc.p{i % 5}", "processname": f"Process {i % 5}",
                        "processversion": "1.0", "status": status, "externalid": f"c{i % 3}", "start_date": when,
                        "user_identity": f"user{i % 50}", "correlationkey": f"key-{i}", "processtype": 1,
                        "parentprocessinstanceid": -1, "slacompliance": 0})
            for name, value in (("customer", f"customer-{i}"), ("amount", str(i % 1000)),
                                ("region", regions[i % 5])):
                vil.append({"processinstanceid": i, "processid": f"proc.p{i % 5}", "variableid": name,
                            "variableinstanceid": name, "value": value, "oldvalue": "", "log_date": when,
                            "externalid": f"c{i % 3}"})
            tstatus = statuses[i % 4] if status == 1 else "Completed"
            owner = f"user{i % 50}" if tstatus in ("Reserved", "InProgress", "Completed") else None
            tasks.append({"id": i, "name": f"Task {i % 7}", "status": tstatus, "actualowner_id": owner,
                          "createdby_id": f"user{i % 50}", "createdon": when, "activationtime": when,
                          "processinstanceid": i, "processid": f"proc.p{i % 5}", "deploymentid": f"c{i % 3}",
                          "workitemid": i, "priority": i % 10, "skipable": False})
            audit.append({"taskid": i, "name": f"Task {i % 7}", "status": tstatus, "actualowner": owner or "",
                          "createdby": f"user{i % 50}", "createdon": when, "activationtime": when,
                          "processinstanceid": i, "processid": f"proc.p{i % 5}", "deploymentid": f"c{i % 3}",
                          "workitemid": i, "priority": i % 10})
            pots.append({"task_id": i, "entity_id": f"user{i % 50}"})
            pots.append({"task_id": i, "entity_id": f"G{i % 20}"})
            tvars.append({"taskid": i, "processinstanceid": i, "processid": f"proc.p{i % 5}", "name": "customer",
                          "value": f"customer-{i}", "type": 0, "modificationdate": when})
        with database.atomic():
            ProcessInstanceLog.insert_many(pil).execute()
            VariableInstanceLog.insert_many(vil).execute()
            Task.insert_many(tasks).execute()
            AuditTask.insert_many(audit).execute()
            PotOwner.insert_many(pots).execute()
            TaskVariable.insert_many(tvars).execute()
    from kieserver.store.db import is_postgres
    if is_postgres():
        database.execute_sql("SELECT setval(pg_get_serial_sequence('task', 'id'), (SELECT MAX(id) FROM task))")
        database.execute_sql("ANALYZE")
    else:
        database.execute_sql("ANALYZE")
    return time.perf_counter() - t0


def median_ms(fn, runs):
    fn()  # warm up (statement caches, container builds)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def bench(url, n, runs):
    from falcon import testing
    home = tempfile.mkdtemp(prefix="benchq")
    app = make_app(url, home)
    sim = testing.TestClient(app)
    h_admin = dict(auth("kieserver", "kieserver1!"), Accept="application/json")
    h_user = dict(auth("user7", "user7"), Accept="application/json")
    secs = load(n)
    print(f"  loaded {n:,} instances (+{3 * n:,} variables, {n:,} tasks, {2 * n:,} pot owners) in {secs:.1f} s")

    def get(path, headers, expect=None, **params):
        def call():
            r = sim.simulate_get(ROOT + path, headers=headers, params=params)
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
            if expect is not None:
                got = len(next(iter(json.loads(r.text).values())))
                assert got == expect, (path, got)
        return call

    def post(path, body, headers, **params):
        def call():
            r = sim.simulate_post(ROOT + path, headers=dict(headers, **{"Content-Type": "application/json"}),
                                  params=params, body=json.dumps(body))
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
        return call

    k = (n * 4) // 10 + 1      # an active instance (k % 10 != 0)
    cases = [
        ("pot-owners page", get("/queries/tasks/instances/pot-owners", h_user, 10)),
        ("pot-owners page 50", get("/queries/tasks/instances/pot-owners", h_user, None, page="50")),
        ("instances by variable", get("/queries/processes/instances/variables/customer", h_admin, 1,
                                      varValue=f"customer-{k}")),
        ("instances by var LIKE", get("/queries/processes/instances/variables/region", h_admin, 10,
                                      varValue="north%")),
        ("instances, status, sort", get("/queries/processes/instances", h_admin, 10, status="1",
                                        sort="StartDate", page="100")),
        ("tasks by variable", get("/queries/tasks/instances/variables/customer", h_user, None,
                                  varValue=f"customer-{k + 6}")),
        ("variable search (POST)", post("/queries/variables/processes",
                                        {"process-query-params": [{"cond-column": "amount",
                                                                   "cond-operator": "EQUALS_TO",
                                                                   "cond-values": ["990"]}]}, h_admin)),
    ]
    if importlib.util.find_spec("kieserver.resources.querydefs") is not None:
        qname = "benchProcesses"
        r = sim.simulate_post(ROOT + f"/queries/definitions/{qname}",
                              headers=dict(h_admin, **{"Content-Type": "application/json"}),
                              body=json.dumps({"query-name": qname,
                                               "query-source": "java:jboss/datasources/ExampleDS",
                                               "query-expression": "select * from ProcessInstanceLog",
                                               "query-target": "PROCESS"}))
        if r.status_code in (200, 201):
            cases.append(("custom filtered query", post(
                f"/queries/definitions/{qname}/filtered-data",
                {"order-by": "processInstanceId", "order-asc": False,
                 "query-params": [{"cond-column": "processId", "cond-operator": "EQUALS_TO",
                                   "cond-values": ["proc.p3"]},
                                  {"cond-column": "status", "cond-operator": "IN", "cond-values": [1]}]},
                h_admin, mapper="ProcessInstances", page="0", pageSize="10")))
        else:
            print(f"  (custom query not registered: {r.status_code} {r.text[:200]})")
    else:
        print("  (kieserver.resources.querydefs not present: no custom filtered query)")
    out = {}
    for name, fn in cases:
        out[name] = median_ms(fn, runs)
        print(f"  {name:<26} {out[name]:8.2f} ms (median of {runs})")
    app.kie_server.close()
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--pg", default=os.environ.get("KIESERVER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"))
    args = ap.parse_args(argv)
    sys.setrecursionlimit(10000)
    if args.backend in ("sqlite", "both"):
        print("SQLite")
        bench(f"sqlite:///{tempfile.mkdtemp(prefix='benchq')}/kie.db", args.instances, args.runs)
        from kieserver.store.db import close_store
        close_store()
    if args.backend in ("postgresql", "both"):
        import psycopg2
        schema = f"benchq_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        conn = psycopg2.connect(args.pg)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE SCHEMA "{schema}"')
        sep = "&" if "?" in args.pg else "?"
        try:
            print("PostgreSQL")
            bench(f"{args.pg}{sep}options=-csearch_path%3D{schema}", args.instances, args.runs)
        finally:
            from kieserver.store.db import close_store
            close_store()
            with conn.cursor() as cur:
                cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.close()


if __name__ == "__main__":
    main()
