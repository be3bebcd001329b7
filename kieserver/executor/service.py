"""The job executor's service: schedule, cancel, requeue, query, and the claim/run cycle workers use.

Claiming is one atomic UPDATE ... RETURNING: on PostgreSQL the candidate row is chosen with
FOR UPDATE SKIP LOCKED, so many workers in many processes on many hosts never claim the same job;
SQLite serializes writers, so the same statement is atomic there.  A job is RUNNING from its
claim until its outcome is written under the same claim; a RUNNING job whose worker died is
put back to QUEUED after `running_timeout`.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import traceback
import uuid

from containers.values import TypeRegistry
from kieserver.executor.commands import CommandContext, UnknownCommand, parse_duration, resolve_command
from kieserver.executor.models import STATUSES, ErrorInfo, RequestInfo
from kieserver.store.db import database, is_postgres, model_from_row
from marshallers import MAP, XSTREAM, MarshallingError, marshal, unmarshal

log = logging.getLogger("kieserver.executor")

DEFAULTS = {"enabled": True, "threads": 1, "interval": 1.0, "retries": 3, "retry_delays": [1],
            "running_timeout": 300, "commands": {}}


class JobNotFound(LookupError):
    pass


class JobStateError(Exception):
    pass


def utcnow():
    n = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return n.replace(microsecond=n.microsecond // 1000 * 1000)


def to_naive_utc(d):
    if d is None:
        return None
    if d.tzinfo is not None:
        d = d.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return d


def encode_data(data) -> bytes | None:
    if data is None:
        return None
    return marshal(dict(data), XSTREAM).encode("utf-8")


def decode_data(blob, types=None) -> dict:
    if not blob:
        return {}
    try:
        return unmarshal(bytes(blob), XSTREAM, MAP, types=types or TypeRegistry()) or {}
    except MarshallingError as e:
        log.warning("Unreadable job data: %s", e)
        return {}


_FIELDS = list(RequestInfo._meta.sorted_fields)
_COLUMNS = ", ".join(f.column_name for f in _FIELDS)


def _row_to_job(row):
    return model_from_row(RequestInfo, _FIELDS, row)


class ExecutorService:
    def __init__(self, settings: dict | None = None, server=None):
        self.settings = {**DEFAULTS, **(settings or {})}
        self.server = server
        self.node_id = f"{socket.gethostname()}:{os.getpid()}"

    # -- scheduling --------------------------------------------------------------------------
    def validate_command(self, command):
        if not command:
            raise UnknownCommand("Invalid command type null")
        resolve_command(command, self.settings.get("commands"))

    def schedule(self, command, data=None, scheduled_date=None, container_id=None) -> int:
        """Persist a job (QUEUED, due now or at scheduled_date); returns its id."""
        self.validate_command(command)
        data = dict(data or {})
        if container_id:
            data["deploymentId"] = container_id
        retries = data.get("retries")
        try:
            retries = int(str(retries)) if retries is not None else int(self.settings["retries"])
        except ValueError:
            raise JobStateError(f"Invalid retries value '{retries}'") from None
        priority = data.get("priority")
        priority = 5 if priority is None else max(0, min(9, int(priority)))
        pid = data.get("processInstanceId")
        job = RequestInfo.create(
            timestamp=to_naive_utc(scheduled_date) or utcnow(), status="QUEUED", commandname=command,
            message="Ready to execute", businesskey=data.get("businessKey"), retries=retries, executions=0,
            deploymentid=data.get("deploymentId"), owner=data.get("owner"), priority=priority,
            processinstanceid=int(pid) if pid is not None else None, requestdata=encode_data(data))
        return job.id

    def get(self, job_id) -> RequestInfo:
        job = RequestInfo.get_or_none(RequestInfo.id == job_id)
        if job is None:
            raise JobNotFound(f"Request with id: {job_id} doesn't exist")
        return job

    def errors(self, job_id):
        return list(ErrorInfo.select().where(ErrorInfo.request == job_id).order_by(ErrorInfo.id))

    def cancel(self, job_id):
        self.get(job_id)
        RequestInfo.update(status="CANCELLED").where(
            (RequestInfo.id == job_id) & RequestInfo.status.in_(("QUEUED", "RETRYING"))).execute()

    def requeue(self, job_id):
        self.get(job_id)
        RequestInfo.update(status="QUEUED", owner=None, startedon=None).where(
            (RequestInfo.id == job_id) & RequestInfo.status.not_in(("CANCELLED", "DONE"))).execute()

    def update_data(self, job_id, data):
        with database.atomic():
            job = self.get(job_id)
            if job.status in ("CANCELLED", "DONE", "RUNNING"):
                raise JobStateError(f"Request data can't be updated when request is in status {job.status}")
            merged = decode_data(job.requestdata)
            merged.update(data or {})
            RequestInfo.update(requestdata=encode_data(merged)).where(RequestInfo.id == job_id).execute()

    # -- queries -----------------------------------------------------------------------------
    def find(self, statuses=None, page=0, page_size=10, *, command=None, business_key=None,
             container_id=None, process_instance_id=None):
        q = RequestInfo.select()
        if statuses:
            bad = [s for s in statuses if s not in STATUSES]
            if bad:
                raise JobStateError(f"No enum constant org.kie.api.executor.STATUS.{bad[0]}")
            q = q.where(RequestInfo.status.in_(list(statuses)))
        if command is not None:
            q = q.where(RequestInfo.commandname == command)
        if business_key is not None:
            q = q.where(RequestInfo.businesskey == business_key)
        if container_id is not None:
            q = q.where(RequestInfo.deploymentid == container_id)
        if process_instance_id is not None:
            q = q.where(RequestInfo.processinstanceid == process_instance_id)
        page, page_size = max(0, int(page)), max(0, int(page_size))
        return list(q.order_by(RequestInfo.id).offset(page * page_size).limit(page_size))

    # -- the claim / run cycle ---------------------------------------------------------------
    def claim(self):
        """Atomically take one due job (QUEUED/RETRYING, due now) and mark it RUNNING; or None."""
        now = utcnow()
        token = f"{self.node_id}:{uuid.uuid4().hex[:8]}"
        ts = RequestInfo.timestamp.db_value(now)
        lock = " FOR UPDATE SKIP LOCKED" if is_postgres() else ""
        ph = "%s" if is_postgres() else "?"
        sql = (f"UPDATE requestinfo SET status = 'RUNNING', owner = {ph}, startedon = {ph} "
               f"WHERE id = (SELECT id FROM requestinfo WHERE status IN ('QUEUED', 'RETRYING') "
               f"AND timestamp <= {ph} ORDER BY priority DESC, timestamp, id LIMIT 1{lock}) "
               f"AND status IN ('QUEUED', 'RETRYING') RETURNING {_COLUMNS}")
        with database.atomic():
            row = database.execute_sql(sql, (token, ts, ts)).fetchone()
        if row is None:
            return None
        return _row_to_job(row), token

    def run_once(self) -> bool:
        claimed = self.claim()
        if claimed is None:
            return False
        job, token = claimed
        self._execute(job, token)
        return True

    def _container_types(self, container_id):
        if self.server is None or not container_id:
            return None
        try:
            kc = self.server.containers.runtime(container_id)
        except Exception:  # noqa: BLE001 - a broken container leaves data readable as dynamic beans
            return None
        return kc.types if kc is not None else None

    def _execute(self, job, token):
        executions = job.executions + 1
        data = decode_data(job.requestdata, self._container_types(job.deploymentid))
        ctx = CommandContext(data, job.id, job.deploymentid, job.processinstanceid, job.businesskey,
                             self.server, self)
        mine = (RequestInfo.id == job.id) & (RequestInfo.status == "RUNNING") & (RequestInfo.owner == token)
        try:
            fn = resolve_command(job.commandname, self.settings.get("commands"))
            result = fn(ctx)
            result = dict(result or {})
        except Exception as e:  # noqa: BLE001 - any failure of a command is recorded on the job
            self._failed(job, token, executions, data, e)
            return
        ph = "%s" if is_postgres() else "?"
        n = database.execute_sql(
            f"UPDATE requestinfo SET status = 'DONE', executions = {ph}, responsedata = {ph} "
            f"WHERE id = {ph} AND status = 'RUNNING' AND owner = {ph}",
            (executions, RequestInfo.responsedata.db_value(encode_data(result)), job.id, token)).rowcount
        if n and isinstance(result.get("NextScheduleTime"), dt.datetime):
            nxt = to_naive_utc(result["NextScheduleTime"])
            if nxt > utcnow():
                new_id = self.schedule(job.commandname, data, nxt)
                RequestInfo.update(message="Rescheduled reoccurring job").where(RequestInfo.id == new_id).execute()

    def _failed(self, job, token, executions, data, exc):
        log.warning("Job %s (%s) failed: %s", job.id, job.commandname, exc)
        mine = (RequestInfo.id == job.id) & (RequestInfo.status == "RUNNING") & (RequestInfo.owner == token)
        msg = str(exc) or type(exc).__name__
        stack = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[:5000]
        with database.atomic():
            ErrorInfo.create(message=msg[:255], stacktrace=stack, timestamp=utcnow(), request=job.id)
            if job.retries > 0:
                delay = self._retry_delay(data, executions)
                RequestInfo.update(status="RETRYING", retries=job.retries - 1, executions=executions,
                                   owner=None, startedon=None, message=msg[:255],
                                   timestamp=utcnow() + dt.timedelta(seconds=delay)).where(mine).execute()
            else:
                RequestInfo.update(status="ERROR", executions=executions, message=msg[:255]).where(mine).execute()

    def _retry_delay(self, data, executions):
        spec = data.get("retryDelay")
        delays = ([parse_duration(x) for x in str(spec).split(",")] if spec is not None
                  else [float(x) for x in (self.settings.get("retry_delays") or [0])])
        if not delays:
            return 0.0
        return delays[min(executions - 1, len(delays) - 1)]

    def recover_stale(self) -> int:
        """RUNNING jobs claimed longer than running_timeout ago (their worker died) go back to QUEUED."""
        timeout = self.settings.get("running_timeout")
        cutoff = utcnow() - dt.timedelta(seconds=float(300 if timeout is None else timeout))
        return RequestInfo.update(status="QUEUED", owner=None, startedon=None).where(
            (RequestInfo.status == "RUNNING") & (RequestInfo.startedon < cutoff)).execute()
