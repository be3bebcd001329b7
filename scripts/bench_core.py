#!/usr/bin/env python3
"""Requests per second of GET / and GET /containers/{id} against a bare falcon endpoint.

Both run under the same gunicorn settings (workers, threads) on this machine; the load comes from
keep-alive HTTP clients in separate processes.  Prints requests/s for each and the ratio to bare.

    python scripts/bench_core.py [--seconds 5] [--workers 2] [--threads 4] [--clients 4] [--database URL]
"""
import argparse
import base64
import http.client
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
AUTH = "Basic " + base64.b64encode(b"kieserver:kieserver1!").decode()


def _client(port, path, headers, seconds, q):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    n = 0
    errors = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            errors += 1
        n += 1
    conn.close()
    q.put((n, errors))


def load(port, path, headers, seconds, clients):
    q = mp.Queue()
    procs = [mp.Process(target=_client, args=(port, path, headers, seconds, q)) for _ in range(clients)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    results = [q.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - t0
    total = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    return total / max(elapsed, 1e-9), errors


def wait_ready(port, path, headers=None, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path, headers=headers or {})
            if c.getresponse().status in (200, 401):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start")


def gunicorn(app, port, args, env):
    cmd = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
           "--threads", str(args.threads), "--access-logfile", "/dev/null", "--log-level", "warning", app]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def server_env(args, prefix):
    """A fresh server home and the environment for the server under test (executor off, the
    --database URL if any), its store created once here (tables of the loaded extensions too)."""
    home = tempfile.mkdtemp(prefix=prefix)
    env = dict(os.environ, KIESERVER_HOME=home, KIESERVER_EXECUTOR_ENABLED="false",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if args.database:
        env["KIESERVER_DATABASE_URL"] = args.database
    from kieserver.config import load_config
    from kieserver.store import db
    import kieserver.store.models  # noqa: F401
    cfg = load_config(environ=env)
    db.open_store(cfg.database_url or None, cfg.home)
    db.close_store()
    return home, env


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--database", default="")
    args = ap.parse_args()

    home, env = server_env(args, "kie-bench-")
    kie = gunicorn("kieserver.wsgi:application", 8181, args, env)
    bare = gunicorn("scripts.bare_app:app", 8182, args, env)
    try:
        wait_ready(8181, "/kie-server/services/rest/server/readycheck")
        wait_ready(8182, "/bare")
        from tests.kjars import build_kjar
        c = http.client.HTTPConnection("127.0.0.1", 8181, timeout=60)
        c.request("PUT", "/kie-server/services/rest/server/containers/bench", body=build_kjar(),
                  headers={"Authorization": AUTH, "Content-Type": "application/java-archive"})
        status = c.getresponse().status
        assert status == 201, status
        json_h = {"Authorization": AUTH, "Accept": "application/json"}
        rows = []
        bare_rps, _ = load(8182, "/bare", {}, args.seconds, args.clients)
        rows.append(("bare falcon GET /bare", bare_rps, 0))
        for label, path in (("GET / (server info)", "/kie-server/services/rest/server"),
                            ("GET /containers/bench", "/kie-server/services/rest/server/containers/bench")):
            rps, errors = load(8181, path, json_h, args.seconds, args.clients)
            rows.append((label, rps, errors))
        xml_rps, errors = load(8181, "/kie-server/services/rest/server/containers/bench",
                               {"Authorization": AUTH, "Accept": "application/xml"}, args.seconds, args.clients)
        rows.append(("GET /containers/bench (JAXB)", xml_rps, errors))
        print(f"gunicorn: {args.workers} workers x {args.threads} threads; {args.clients} keep-alive clients; "
              f"{args.seconds:.0f}s each; store: {args.database or 'SQLite'}")
        print(f"{'endpoint':34} {'req/s':>10} {'ratio to bare':>14} {'errors':>7}")
        for label, rps, errors in rows:
            print(f"{label:34} {rps:10.0f} {rps / bare_rps:14.2f} {errors:7d}")
    finally:
        for p in (kie, bare):
            p.terminate()
        for p in (kie, bare):
            p.wait(10)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
