#!/usr/bin/env python3
"""Process instances per second: start -> script -> user task -> complete -> end.

Over HTTP (gunicorn, the process service + human task service) on SQLite and on PostgreSQL, each
instance being three requests: POST .../processes/{id}/instances, GET /queries/tasks/instances/process/{pid}
(the task the instance created) and PUT .../tasks/{tid}/states/completed?auto-progress=true (john completes
it; the task service completes the work item and the process ends).  Beside them, the engine alone
(containers/bpmn, no store; the instance state saved and restored between the two calls) running the
same definition in memory.

    python scripts/bench_processes.py [--seconds 5] [--workers 2] [--threads 4] [--clients 4]
                                      [--postgres postgresql://postgres@127.0.0.1:5432/test] [--no-postgres]
"""
import argparse
import base64
import http.client
import json
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.bpm.bpmn import user_task_process  # noqa: E402

ADMIN = "Basic " + base64.b64encode(b"kieserver:kieserver1!").decode()
JOHN = "Basic " + base64.b64encode(b"john:john1").decode()
REST = "/kie-server/services/rest/server"
PROCESS = user_task_process(pid="bench.usertask", name="BenchUserTask")
KMODULE = ('<kmodule xmlns="http://www.drools.org/xsd/kmodule"><kbase name="kbase" default="true" packages="*">'
           '<ksession name="ksession" default="true"/></kbase></kmodule>')


def _client(port, seconds, q):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    json_h = {"Accept": "application/json", "Content-Type": "application/json"}
    done = errors = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        try:
            conn.request("POST", f"{REST}/containers/bench/processes/bench.usertask/instances",
                         body=b'{"name": "ann", "age": 42}', headers={**json_h, "Authorization": ADMIN})
            r = conn.getresponse()
            body = r.read()
            if r.status != 201:
                if not errors:
                    print(f"first error: start {r.status} {body[:300]!r}", file=sys.stderr)
                errors += 1
                continue
            pid = int(body)
            conn.request("GET", f"{REST}/queries/tasks/instances/process/{pid}",
                         headers={**json_h, "Authorization": JOHN})
            r = conn.getresponse()
            tasks = json.loads(r.read())["task-summary"]
            tid = tasks[0]["task-id"]
            conn.request("PUT", f"{REST}/containers/bench/tasks/{tid}/states/completed?auto-progress=true",
                         body=b'{"Approved": true}', headers={**json_h, "Authorization": JOHN})
            r = conn.getresponse()
            r.read()
            if r.status != 201:
                errors += 1
                continue
            done += 1
        except (OSError, ValueError, KeyError, IndexError, http.client.HTTPException) as e:
            if not errors:
                print(f"first error: {type(e).__name__}: {e}", file=sys.stderr)
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.close()
    q.put((done, errors))


def load(port, seconds, clients):
    q = mp.Queue()
    procs = [mp.Process(target=_client, args=(port, seconds, q)) for _ in range(clients)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    results = [q.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - t0
    return sum(r[0] for r in results) / max(elapsed, 1e-9), sum(r[1] for r in results)


def wait_ready(port, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", f"{REST}/readycheck")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start")


def config_file(home, database):
    import yaml
    cfg = {
        "server": {"id": "bench", "mode": "DEVELOPMENT"},
        "database": {"url": database},
        "home": home,
        "extensions": ["KieServer", "BRM", "kieserver.services.processes:BpmExtension", "Tasks", "Jobs"],
        "executor": {"enabled": False},
        "users": {"kieserver": {"password": "plain$kieserver1!", "roles": ["kie-server", "admin"]},
                  "john": {"password": "plain$john1", "roles": ["kie-server", "HR"]}},
    }
    path = os.path.join(home, "bench.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(cfg, f)
    return path


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_figure(label, database, args, port=None):
    port = port or free_port()
    home = tempfile.mkdtemp(prefix="kie-bench-bpm-")
    env = dict(os.environ, KIESERVER_CONFIG=config_file(home, database),
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for k in [k for k in env if k.startswith("KIESERVER_") and k != "KIESERVER_CONFIG"]:
        env.pop(k)
    # create the tables once, before the workers race to do it
    # one server start in this process creates every table before the workers race to do it
    from kieserver.app import create_app
    from kieserver.config import load_config
    create_app(load_config(environ=env)).kie_server.close()
    cmd = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
           "--threads", str(args.threads), "--access-logfile", "/dev/null", "--log-level", "warning",
           "kieserver.wsgi:application"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(tempfile.gettempdir(), "bench_processes.log"), "w"))
    try:
        wait_ready(port)
        from tests.kjars import build_kjar
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request("PUT", f"{REST}/containers/bench", body=build_kjar(
            artifact="bench-bpm", kmodule=KMODULE, files={"org/example/bench.bpmn2": PROCESS}),
            headers={"Authorization": ADMIN, "Content-Type": "application/java-archive"})
        r = c.getresponse()
        r.read()
        assert r.status == 201, r.status
        load(port, min(1.0, args.seconds), 1)          # warm every worker's container cache
        return label, *load(port, args.seconds, args.clients)
    finally:
        proc.terminate()
        proc.wait(20)
        shutil.rmtree(home, ignore_errors=True)


def engine_figure(seconds):
    from containers import bpmn as engine
    [defn] = engine.parse_processes(PROCESS, "bench.bpmn2")
    env = engine.Environment(handlers=engine.default_handlers(out=lambda s: None), stdout=lambda s: None)
    n = 0
    end = time.perf_counter() + seconds
    t0 = time.perf_counter()
    while time.perf_counter() < end:
        inst = engine.start_process(defn, {"name": "ann", "age": 42}, initiator="kieserver", env=env,
                                    instance_id=n + 1)
        [wid] = list(inst.work_items)
        # the service's round trip: the state is saved after the start and read back for the completion
        inst = engine.ProcessInstance.from_state(defn, inst.to_state(), env=env)
        inst.complete_work_item(wid, {"Approved": True})
        assert inst.state == engine.STATE_COMPLETED
        n += 1
    return n / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    ap.add_argument("--no-postgres", action="store_true")
    args = ap.parse_args()
    rows = []
    rows.append(http_figure("HTTP, SQLite", "", args))
    if not args.no_postgres:
        import psycopg2
        schema = f"bench_bpm_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        conn = psycopg2.connect(args.postgres)
        conn.autocommit = True
        conn.cursor().execute(f'CREATE SCHEMA "{schema}"')
        try:
            sep = "&" if "?" in args.postgres else "?"
            rows.append(http_figure("HTTP, PostgreSQL", f"{args.postgres}{sep}options=-csearch_path%3D{schema}",
                                    args))
        finally:
            conn.cursor().execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.close()
    engine_rate = engine_figure(args.seconds)
    print(f"start -> script -> user task -> complete -> end; gunicorn {args.workers} workers x {args.threads} "
          f"threads; {args.clients} keep-alive clients; {args.seconds:.0f}s each; 3 requests per instance")
    print(f"{'run':20} {'instances/s':>12} {'errors':>7}")
    for label, rate, errors in rows:
        print(f"{label:20} {rate:12.1f} {errors:7d}")
    print(f"{'engine only':20} {engine_rate:12.1f} {0:7d}")


if __name__ == "__main__":
    main()
