#!/usr/bin/env python3
"""Job executor throughput and scheduling latency on PostgreSQL, with 1 and with 2 processes.

Schedules N no-op jobs (due now) into a fresh schema, starts P worker processes
(`python -m kieserver.executor.runner`, the same workers a server process runs), and reports jobs
completed per second and the latency from due time to start (p50/p95/max).

    python scripts/bench_jobs.py [--jobs 2000] [--threads 2] [--database postgresql://postgres@127.0.0.1:5432/test]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from kieserver.executor.commands import register_command  # noqa: E402
from kieserver.executor.models import RequestInfo  # noqa: E402
from kieserver.executor.service import ExecutorService  # noqa: E402
from kieserver.store import db  # noqa: E402


def noop(ctx):
    return {}


register_command("bench.Noop", noop)


def run(base, n_jobs, processes, threads):
    import psycopg2
    schema = f"bench_jobs_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    conn = psycopg2.connect(base)
    conn.autocommit = True
    conn.cursor().execute(f'CREATE SCHEMA "{schema}"')
    url = f"{base}?options=-csearch_path%3D{schema}"
    try:
        db.open_store(url)
        svc = ExecutorService({"retries": 0})
        with db.database.atomic():
            for i in range(n_jobs):
                svc.schedule("bench.Noop", {"i": i})
        db.close_store()
        env = dict(os.environ, PYTHONPATH=ROOT)
        t0 = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-m", "kieserver.executor.runner", url, "--threads", str(threads),
                                   "--interval", "0.05", "--until-idle", "0.3", "--import", "scripts.bench_jobs"],
                                  cwd=ROOT, env=env) for _ in range(processes)]
        db.open_store(url)
        while RequestInfo.select().where(RequestInfo.status != "DONE").count():
            time.sleep(0.02)
        elapsed = time.perf_counter() - t0
        rows = list(RequestInfo.select(RequestInfo.timestamp, RequestInfo.startedon))
        for p in procs:
            p.wait(60)
        first_start = min(r.startedon for r in rows)
        # latency of the first wave: jobs were all due before the workers started, so measure
        # start time relative to the first start to see queueing, and due->start for a trickle run
        waits = sorted((r.startedon - first_start).total_seconds() for r in rows)
        return n_jobs / elapsed, waits
    finally:
        db.close_store()
        conn.cursor().execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.close()


def latency(base, threads, n=50, gap=0.05):
    """Due->start latency when jobs arrive over time (one worker process already running)."""
    import psycopg2
    schema = f"bench_lat_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    conn = psycopg2.connect(base)
    conn.autocommit = True
    conn.cursor().execute(f'CREATE SCHEMA "{schema}"')
    url = f"{base}?options=-csearch_path%3D{schema}"
    try:
        db.open_store(url)
        env = dict(os.environ, PYTHONPATH=ROOT)
        svc = ExecutorService({"retries": 0})
        svc.schedule("bench.Noop", {"warmup": True})
        proc = subprocess.Popen([sys.executable, "-m", "kieserver.executor.runner", url, "--threads", str(threads),
                                 "--interval", "0.05", "--until-idle", "1.0", "--import", "scripts.bench_jobs"],
                                cwd=ROOT, env=env)
        time.sleep(1.0)
        for i in range(n):
            svc.schedule("bench.Noop", {"i": i})
            time.sleep(gap)
        while RequestInfo.select().where(RequestInfo.status != "DONE").count():
            time.sleep(0.02)
        proc.wait(60)
        lat = sorted((r.startedon - r.timestamp).total_seconds() * 1000 for r in
                     RequestInfo.select().where(RequestInfo.id > 1))
        return lat
    finally:
        db.close_store()
        conn.cursor().execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/test")
    args = ap.parse_args()
    print(f"{args.jobs} no-op jobs on PostgreSQL, {args.threads} threads per process, poll interval 50 ms")
    results = {}
    for procs in (1, 2):
        rate, _ = run(args.database, args.jobs, procs, args.threads)
        results[procs] = rate
        print(f"  {procs} process(es): {rate:8.0f} jobs/s")
    print(f"  scaling 2 vs 1 process: {results[2] / results[1]:.2f}x")
    lat = latency(args.database, args.threads)
    print(f"  due->start latency (jobs arriving every 50 ms, 1 process): p50 {statistics.median(lat):.0f} ms, "
          f"p95 {lat[int(len(lat) * 0.95) - 1]:.0f} ms, max {lat[-1]:.0f} ms")


if __name__ == "__main__":
    main()
