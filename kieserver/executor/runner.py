"""Run executor workers alone against a store: `python -m kieserver.executor.runner URL [--threads N]
[--until-idle SECONDS] [--import MODULE ...]`.  Used by the multi-process tests and benchmarks (a
server process runs the same workers through the Jobs extension)."""
from __future__ import annotations

import argparse
import importlib
import time

from kieserver.executor.models import RequestInfo
from kieserver.executor.service import ExecutorService
from kieserver.executor.worker import Executor
from kieserver.store import db


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("database")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--until-idle", type=float, default=2.0, help="stop after this many seconds with nothing due")
    ap.add_argument("--import", dest="imports", action="append", default=[])
    args = ap.parse_args(argv)
    for m in args.imports:
        importlib.import_module(m)
    db.open_store(args.database)
    svc = ExecutorService({"threads": args.threads, "interval": args.interval, "retries": 0})
    ex = Executor(svc)
    ex.start()
    idle_since = None
    try:
        while True:
            time.sleep(0.1)
            pending = RequestInfo.select().where(RequestInfo.status.in_(("QUEUED", "RETRYING", "RUNNING"))).count()
            if pending:
                idle_since = None
            elif idle_since is None:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > args.until_idle:
                break
    finally:
        ex.stop()
        db.close_store()


if __name__ == "__main__":
    main()
