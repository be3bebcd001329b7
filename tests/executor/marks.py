"""A command that records each execution in a table, to count executions across processes."""
import os

from kieserver.executor.commands import register_command
from kieserver.store.db import database


def ensure_table():
    database.execute_sql("CREATE TABLE IF NOT EXISTS job_marks (job_id BIGINT NOT NULL, pid INTEGER NOT NULL)")


def mark(ctx):
    database.execute_sql("INSERT INTO job_marks (job_id, pid) VALUES (%s, %s)" if database.obj.__class__.__name__.startswith("Postgres")
                         else "INSERT INTO job_marks (job_id, pid) VALUES (?, ?)", (ctx.job_id, os.getpid()))
    return {}


register_command("test.Mark", mark)
