"""Executor commands: the KIE command class names users send, mapped to Python callables.

A command is `callable(ctx: CommandContext) -> dict | None`; what it returns becomes the job's
response data.  An exception fails the execution (retried while retries remain, then ERROR).
Register more with `register_command(name, fn)` or, from configuration, `executor.commands:
{name: "package.module:function"}` (or `package.module.function`).
"""
from __future__ import annotations

import datetime as dt
import importlib
import logging
import re
import threading

log = logging.getLogger("kieserver.executor.commands")


class UnknownCommand(ValueError):
    pass


class CommandContext:
    """What a command sees: the job's data map plus who and where it runs for."""

    def __init__(self, data, job_id=None, container_id=None, process_instance_id=None,
                 business_key=None, server=None, executor=None):
        self.data = data
        self.job_id = job_id
        self.container_id = container_id
        self.process_instance_id = process_instance_id
        self.business_key = business_key
        self.server = server
        self.executor = executor

    def get(self, key, default=None):
        v = self.data.get(key)
        return default if v is None else v


_registry: dict[str, object] = {}
_lock = threading.Lock()


def register_command(name: str, fn):
    with _lock:
        _registry[name] = fn
    return fn


def resolve_command(name: str, extra: dict | None = None):
    """The callable for a command name; raises UnknownCommand."""
    fn = _registry.get(name)
    if fn is not None:
        return fn
    target = (extra or {}).get(name)
    if target:
        return _load(target, name)
    raise UnknownCommand(f"Invalid command type {name}")


def _load(target, name):
    module, sep, attr = str(target).partition(":")
    if not sep:
        module, _, attr = str(target).rpartition(".")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError) as e:
        raise UnknownCommand(f"Invalid command type {name}: cannot load {target} ({e})") from None
    return register_command(name, fn)


def known_commands(extra=None):
    return sorted(set(_registry) | set(extra or {}))


_DURATION = re.compile(r"(\d+)\s*(ms|s|m|h|d)", re.I)


def parse_duration(text) -> float:
    """jBPM time expressions ('1s', '500ms', '1m 30s', '2h', '1d') in seconds; a bare number is ms."""
    if text is None:
        return 0.0
    if isinstance(text, (int, float)):
        return float(text) / 1000.0
    s = str(text).strip()
    if re.fullmatch(r"\d+", s):
        return int(s) / 1000.0
    total = 0.0
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    for n, u in _DURATION.findall(s):
        total += int(n) * units[u.lower()]
    return total


# ---------------------------------------------------------------------------------------------
# built-in commands (the names jBPM users schedule)

def print_out(ctx: CommandContext):
    print(f"Command executed on executor with data {ctx.data}", flush=True)
    return {}


def log_cleanup(ctx: CommandContext):
    """Deletes finished jobs (and their errors) older than OlderThan / OlderThanPeriod."""
    from kieserver.executor.models import ErrorInfo, RequestInfo
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    older = ctx.get("OlderThanPeriod")
    cutoff = now - dt.timedelta(seconds=parse_duration(older)) if older else now
    if ctx.get("OlderThan"):
        try:
            cutoff = dt.datetime.strptime(str(ctx.get("OlderThan")), "%Y-%m-%d")
        except ValueError:
            pass
    statuses = ("DONE", "CANCELLED", "ERROR") if not ctx.get("SkipExecutorLog") else ()
    removed = 0
    if statuses:
        ids = [r.id for r in RequestInfo.select(RequestInfo.id).where(
            RequestInfo.status.in_(statuses) & (RequestInfo.timestamp < cutoff) & (RequestInfo.id != (ctx.job_id or -1)))]
        if ids:
            ErrorInfo.delete().where(ErrorInfo.request.in_(ids)).execute()
            removed = RequestInfo.delete().where(RequestInfo.id.in_(ids)).execute()
    return {"ErrorInfoLogRemoved": 0, "RequestInfoLogRemoved": removed}


def requeue_running(ctx: CommandContext):
    """Puts RUNNING jobs older than MaxRunningTime (ms or a time expression) back to QUEUED."""
    from kieserver.executor.models import RequestInfo
    max_running = parse_duration(ctx.get("MaxRunningTime", "600000"))
    cutoff = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(seconds=max_running)
    n = RequestInfo.update(status="QUEUED", owner=None, startedon=None).where(
        (RequestInfo.status == "RUNNING") & (RequestInfo.startedon < cutoff) & (RequestInfo.id != (ctx.job_id or -1))).execute()
    return {"RequeuedJobs": n}


def execute_errors(ctx: CommandContext):
    """Re-runs jobs in ERROR (jBPM's ExecuteErrorsCommand re-triggers failed executions)."""
    from kieserver.executor.models import RequestInfo
    n = RequestInfo.update(status="QUEUED").where(RequestInfo.status == "ERROR").execute()
    return {"RequeuedErrors": n}


for _name, _fn in {
    "org.jbpm.executor.commands.PrintOutCommand": print_out,
    "org.jbpm.executor.commands.ReoccurringPrintOutCommand": print_out,
    "org.jbpm.executor.commands.LogCleanupCommand": log_cleanup,
    "org.jbpm.executor.commands.JobCleanupCommand": log_cleanup,
    "org.jbpm.executor.commands.RequeueRunningJobsCommand": requeue_running,
    "org.jbpm.executor.commands.ExecuteErrorsCommand": execute_errors,
    "org.jbpm.executor.commands.error.ExecuteErrorsCommand": execute_errors,
}.items():
    register_command(_name, _fn)
