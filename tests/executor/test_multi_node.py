"""Several worker processes on one PostgreSQL database: each job runs exactly once."""
import os
import subprocess
import sys

from kieserver.executor.service import ExecutorService
from kieserver.store import db
from tests.conftest import drop_pg_schema, pg_schema_url
from tests.executor import marks

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_two_processes_each_job_once():
    url, schema = pg_schema_url("t_exec")
    try:
        db.open_store(url)
        marks.ensure_table()
        svc = ExecutorService({"retries": 0})
        ids = [svc.schedule("test.Mark", {"i": i}) for i in range(300)]
        db.close_store()
        env = dict(os.environ, PYTHONPATH=ROOT)
        procs = [subprocess.Popen([sys.executable, "-m", "kieserver.executor.runner", url, "--threads", "3",
                                   "--until-idle", "1", "--import", "tests.executor.marks"], cwd=ROOT, env=env)
                 for _ in range(2)]
        for p in procs:
            assert p.wait(120) == 0
        db.open_store(url)
        rows = db.database.execute_sql("SELECT job_id, COUNT(*), MIN(pid) FROM job_marks GROUP BY job_id").fetchall()
        counts = {r[0]: r[1] for r in rows}
        assert sorted(counts) == ids and set(counts.values()) == {1}
        pids = {r[0] for r in db.database.execute_sql("SELECT DISTINCT pid FROM job_marks").fetchall()}
        assert len(pids) == 2, "both processes took jobs"
        statuses = db.database.execute_sql("SELECT status, COUNT(*) FROM requestinfo GROUP BY status").fetchall()
        assert statuses == [("DONE", 300)]
    finally:
        db.close_store()
        drop_pg_schema(schema)
