"""The process service: process instances of a container's BPMN2 processes, stored and driven as jBPM does.

Every change to an instance is one database transaction: the instance row is locked (PostgreSQL
`SELECT ... FOR UPDATE`; SQLite `BEGIN IMMEDIATE`, one writer at a time) and its version (OPTLOCK) is
checked when it is written back, so concurrent requests on one instance serialize across workers and
nodes.  Inside the transaction the engine (containers/bpmn, a pure state machine) runs and reports
events; this service turns them into jBPM's audit rows (ProcessInstanceLog, NodeInstanceLog,
VariableInstanceLog), work item rows, human tasks (server.human_tasks), timer jobs (server.executor) and
the event types the instance waits for (EventTypes, for container-wide signals).  A completed or aborted
instance leaves the runtime tables (as in jBPM) and lives on in the audit log.

Errors are ProcessServiceError subclasses named after the jBPM exception KIE maps to a status; the REST
resources (kieserver/resources/processes.py) pick the status and wording per endpoint.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading

import peewee

from containers.values import Long, to_java_string
from kieserver.extensions import ContainerSetupError, Extension
from kieserver.services.bridge import HumanTaskSpec
from kieserver.store.db import database, is_postgres, model_from_row
from kieserver.store.jbpm import (ENTRY_TYPES, NODE_ENTER, NODE_EXIT, CorrelationKeyInfo,
                                  CorrelationPropertyInfo, EventTypes, NodeInstanceLog, ProcessInstanceInfo,
                                  ProcessInstanceLog, VariableInstanceLog, WorkItemInfo, clip, db_time,
                                  fast_execute, fast_insert, fast_insert_many)
from kieserver.store.values import dump_state, load_state
from marshallers.dates import UTC
from marshallers.types import process as P

log = logging.getLogger("kieserver.processes")

PENDING, ACTIVE, COMPLETED, ABORTED, SUSPENDED = 0, 1, 2, 3, 4
HUMAN_TASK = "Human Task"
TIMER_COMMAND = "org.kie.server.services.jbpm.ProcessTimerCommand"
ASYNC_COMMAND = "org.jbpm.process.core.async.AsyncSignalEventCommand"    # jBPM's async continuation job
START_TIMER_COMMAND = "org.kie.server.services.jbpm.ProcessStartTimerCommand"
_LIVE_JOBS = ("QUEUED", "RETRYING", "RUNNING")


# ==============================================================================================
# errors (named after the jBPM exceptions KIE's resources map)

class ProcessServiceError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ContainerNotFound(ProcessServiceError):
    """KieServerRegistry.getContainerId: IllegalArgumentException (an id that is neither a container
    nor an alias)."""

    def __init__(self, container_id):
        super().__init__(f"Container '{container_id}' is not instantiated or cannot find container for alias "
                         f"'{container_id}'")
        self.container_id = container_id


class DeploymentNotFound(ProcessServiceError):
    """jBPM DeploymentNotFoundException: a known container without a process deployment."""

    def __init__(self, container_id):
        super().__init__(f"No deployments available for {container_id}")
        self.container_id = container_id


class DeploymentNotActive(ProcessServiceError):
    def __init__(self, container_id):
        super().__init__(f"Deployment {container_id} is not active")
        self.container_id = container_id


class ProcessDefinitionNotFound(ProcessServiceError):
    def __init__(self, process_id, container_id):
        super().__init__(f"No process available with given id : {process_id}")
        self.process_id = process_id
        self.container_id = container_id


class ProcessInstanceNotFound(ProcessServiceError):
    def __init__(self, pid):
        super().__init__(f"Process instance with id {pid} was not found")
        self.pid = pid


class WorkItemNotFound(ProcessServiceError):
    def __init__(self, wid):
        super().__init__(f"Work item with id {wid} was not found")
        self.wid = wid


class CorrelationKeyExists(ProcessServiceError):
    pass


class IllegalState(ProcessServiceError):
    """IllegalStateException in KIE's service layer (e.g. an unknown instance on GET): a 500."""


class EngineError(ProcessServiceError):
    """The engine refused or failed (script error, no outgoing flow...): a 500."""


class _VersionConflict(Exception):
    pass


def _utcnow():
    n = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return n.replace(microsecond=n.microsecond // 1000 * 1000)


def _aware(d):
    return d.replace(tzinfo=UTC) if d is not None and d.tzinfo is None else d


def _naive(d):
    if d is None:
        return None
    if d.tzinfo is not None:
        d = d.astimezone(UTC).replace(tzinfo=None)
    return d


def _log_str(v):
    """VariableInstanceLog value: Java's toString, "" for null, trimmed to 255."""
    return clip("" if v is None else to_java_string(v))


def _split_ids(v):
    if v is None:
        return []
    if isinstance(v, (list, tuple)):
        return [str(x).strip() for x in v if str(x).strip()]
    return [x.strip() for x in str(v).split(",") if x.strip()]


# ==============================================================================================
# the engine (containers/bpmn: jBPM 7 node instance semantics), seen through one small adapter

from containers import bpmn as engine  # noqa: E402
from containers.bpmn import SubProcessResult  # noqa: E402
from containers.bpmn import engine as bpmn_engine  # noqa: E402
from containers.bpmn.model import (BoundaryEventNode, HumanTaskNode, StartNode, SubProcessNode,  # noqa: E402
                                   TimerNode, WorkItemNode)


def _parse(text, source_name):
    return engine.parse_processes(text, source_name)


def _nodes(defn):
    """Every node (embedded ones too), in jBPM's order."""
    return list(defn.node_list) if defn.node_list else list(defn.all_nodes.values())


def _node(defn, node_id):
    return defn.node(node_id) if node_id is not None else None


def _jbpm_type(node, kind=None):
    return node.jbpm_type if node is not None else (kind or "Node")


def _java_simple(t):
    """jBPM's ProcessDescriptor reports variable types as declared (structureRef)."""
    return t or "java.lang.Object"


def _variables_of(defn):
    """name -> declared type, as jBPM's ProcessDescriptor.getInputs (the itemDefinition structureRef)."""
    return {v.name: _java_simple(v.type) for v in defn.variables}


def _signal_starts(defn):
    """[(event type, start node)] for signal/message start events of the process level."""
    return list(defn.signal_start_events().items())


class _Hooks:
    """What the service lends the engine while an instance runs (its Environment)."""

    def __init__(self, service, rt, pid):
        self.service, self.rt, self.kc, self.pid = service, rt, rt.kc, pid

    def new_work_item_id(self):
        given = _next_id("workitemid", _WI_MAX)
        made = fast_insert(WorkItemInfo, {**given, "name": "", "processinstanceid": self.pid, "state": 0,
                                          "creationdate": _utcnow()})
        return given.get("workitemid") or made

    def allocate(self, kind):
        if kind == "work_item":
            return self.new_work_item_id()
        return None      # timers: per-instance counters; process instances: the service gives the id

    def start_subprocess(self, parent, ni, process_id, variables, independent, wait, correlation_key):
        """Call activity: the child starts in this transaction (its own row, parent id set)."""
        defn = self.rt.definitions.get(process_id)
        if defn is None:
            raise engine.ProcessRuntimeError(f"Could not find process {process_id}", parent, ni)
        child = self.service._start(self.rt, defn, variables, parent.initiator, None, None, parent.id,
                                    parent_niid=ni.id, signal_completion=bool(wait))
        inst = child.inst
        if inst.state in (COMPLETED, ABORTED):
            return SubProcessResult(child.pid, inst.state, dict(inst.variables), inst.outcome, inst.fault_data)
        return SubProcessResult(child.pid)

    def abort_subprocess(self, parent, child_id):
        try:
            self.service.abort(self.kc.container_id, int(child_id))
        except ProcessServiceError as e:
            log.info("Sub-process %s of %s not aborted: %s", child_id, parent.id, e.message)

    def fire_ruleflow_group(self, group, inst, ni, inputs):
        """Business rule task (jBPM RuleSetNodeInstance): the data inputs are inserted as facts into a
        session of the container's default kbase, the ruleflow group is activated and the rules fire;
        the facts (changed by the rules) come back as outputs by input name.  The session lives for
        this one task (jBPM uses the runtime's ksession, whose other facts stay out of reach here)."""
        brm = self.kc.runtimes.get("brm")
        if brm is None or not getattr(brm, "kbases", None):
            return None
        kb = self.kc.kjar.kbase()
        kbase = brm.kbases.get(kb.name) if kb is not None else None
        if kbase is None:
            kbase = next(iter(brm.kbases.values()))
        session = kbase.new_session()
        try:
            limit = -1
            for k, v in (inputs or {}).items():
                if k == "FireRuleLimit":
                    limit = _int(v, -1)
                elif v is not None:
                    session.insert(v)
            session.activate_ruleflow_group(group)
            session.fire_all_rules(limit)
        finally:
            try:
                session.dispose()
            except Exception:  # noqa: BLE001 - nothing to release
                pass
        return {k: v for k, v in (inputs or {}).items() if k != "FireRuleLimit"}

    def environment(self):
        return engine.Environment(handlers=self.rt.handlers, allocate_id=self.allocate,
                                  start_subprocess=self.start_subprocess, abort_subprocess=self.abort_subprocess,
                                  fire_ruleflow_group=self.fire_ruleflow_group,
                                  deployment_id=self.kc.container_id,
                                  async_enabled=self.service.server.executor is not None)


_PII_FIELDS = list(ProcessInstanceInfo._meta.sorted_fields)
_PII_COLUMNS = ", ".join(f'"{f.column_name}"' for f in _PII_FIELDS)
_LOCK_SQLITE = f'SELECT {_PII_COLUMNS} FROM "processinstanceinfo" WHERE "instanceid" = ?'
_LOCK_PG = _LOCK_SQLITE + " FOR UPDATE"

# Ids are never reused (a task or a log refers to them forever).  PostgreSQL's sequences guarantee it;
# SQLite reuses the largest rowid once its row is deleted, so there the next id is computed from
# everything that ever used one, under the write lock (BEGIN IMMEDIATE) the transaction holds.
_PI_MAX = ("SELECT MAX(m) FROM (SELECT MAX(instanceid) AS m FROM processinstanceinfo "
           "UNION ALL SELECT MAX(processinstanceid) FROM processinstancelog)")
_WI_MAX = ("SELECT MAX(m) FROM (SELECT MAX(workitemid) AS m FROM workiteminfo "
           "UNION ALL SELECT MAX(workitemid) FROM nodeinstancelog)")


def _next_id(column, sql):
    """{column: id} to insert explicitly on SQLite; {} on PostgreSQL (the sequence decides)."""
    if is_postgres():
        return {}
    row = database.execute_sql(sql).fetchone()
    return {column: (row[0] or 0) + 1 if row else 1}


def _restore_instance(rt, defn, pid, state, hooks):
    if not state:
        raise EngineError(f"Process instance {pid} has no saved state")
    return engine.ProcessInstance.from_state(defn, state, env=hooks.environment())


def _drain(inst):
    return inst.drain_events()


def _engine_call(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except engine.ProcessRuntimeError as e:
        raise EngineError(str(e)) from None
    except KeyError as e:
        raise EngineError(str(e.args[0]) if e.args else "not found") from None


_INTERNAL_EVENTS = ("Timer-", "Error-", "Escalation-", "Compensation", "Condition-", "timerTriggered")


def _event_types(inst):
    """Every signal or message type the instance listens to at any level (jBPM's EventTypes rows, used for
    container-wide signals): waiting event nodes, signal/message boundary events of active nodes, and
    signal/message starts of event sub-processes.  (GET .../signals reports less, as jBPM does.)"""
    out = set(inst.available_signals())
    for ni in inst._all_node_instances(inst):
        node = ni.node
        t = getattr(node, "event_type", None)
        if t and isinstance(ni, bpmn_engine.EventNodeInstance):
            out.add(inst._resolve(t, ni))
        for b in getattr(node, "boundary_events", None) or ():
            if b.event_type and not b.event_type.startswith(_INTERNAL_EVENTS):
                out.add(inst._resolve(b.event_type, ni))
        for t in getattr(node, "event_types", None) or ():
            if t and not t.startswith(_INTERNAL_EVENTS):
                out.add(inst._resolve(t, ni))
    return sorted(x for x in out if x)


# ==============================================================================================
# per-container runtime

class BpmRuntime:
    """A container's process definitions (parsed once per container build) and work item handlers."""

    def __init__(self, kc):
        self.kc = kc
        self.definitions = {}
        errors = []
        for path in kc.kjar.resources(".bpmn", ".bpmn2"):
            try:
                text = kc.kjar.text(path)
                for d in _parse(text, path):
                    if d.id in self.definitions:
                        errors.append(f"{path}: process id {d.id} is defined twice")
                    d.types = kc.types
                    self.definitions[d.id] = d
            except engine.ProcessParseError as e:
                errors.append(str(e))
            except UnicodeDecodeError as e:
                errors.append(f"{path}: not UTF-8 ({e})")
        if errors:
            raise ContainerSetupError(["Error while creating process definitions"] + errors)
        self.handlers = engine.default_handlers(out=_stdout)
        self.handlers.update(_descriptor_handlers(kc.kjar, self.handlers))
        self.signal_starts = {}
        for d in self.definitions.values():
            for name, node in _signal_starts(d):
                self.signal_starts.setdefault(name, []).append((d, node))
        self._described = {}

    @property
    def has_processes(self):
        return bool(self.definitions)

    def describe(self, defn):
        got = self._described.get(defn.id)
        if got is None:
            got = self._described[defn.id] = _describe(defn)
        return got

    def close(self):
        self._described.clear()


def _stdout(text):
    log.info("%s", text)


# work item handler classes of jBPM whose behaviour the engine's built-in handlers reproduce
_KNOWN_HANDLER_CLASSES = {"SystemOutWorkItemHandler": "SystemOut", "DoNothingWorkItemHandler": "DoNothing",
                          "RESTWorkItemHandler": "Rest", "EmailWorkItemHandler": "Email"}


def _descriptor_handlers(kjar, builtins):
    """Work item handlers named in META-INF/kie-deployment-descriptor.xml that this server can run
    (SystemOut/Log, DoNothing, Rest, Email); any other handler class leaves its work items pending, to be
    completed over REST."""
    data = getattr(kjar, "descriptor", None) or kjar.files.get("META-INF/kie-deployment-descriptor.xml")
    if not data:
        return {}
    from marshallers.xmltree import XmlError, local, parse_xml
    try:
        root = parse_xml(data)
    except XmlError as e:
        log.warning("Unreadable deployment descriptor: %s", e)
        return {}
    out = {}
    for el in root.iter():
        if local(el.tag) != "work-item-handler":
            continue
        name = ident = None
        for c in el:
            if local(c.tag) == "name":
                name = (c.text or "").strip()
            elif local(c.tag) == "identifier":
                ident = (c.text or "").strip()
        if not name or not ident:
            continue
        cls = ident.split("(")[0].replace("new ", "").strip().rsplit(".", 1)[-1]
        builtin = _KNOWN_HANDLER_CLASSES.get(cls)
        if builtin and builtin in builtins:
            out[name] = builtins[builtin]
        else:
            log.info("Work item handler %s (%s) is not available here: its work items stay pending", name, cls)
    return out


def _describe(defn):
    """What the definition endpoints report (jBPM's ProcessDescriptor)."""
    user_tasks, entities, service_tasks, subprocesses, nodes, timers = [], {}, {}, [], [], []
    for n in _nodes(defn):
        jtype = _jbpm_type(n)
        num = n.num
        nodes.append(P.NodeDefinition(id=Long(num or 0), name=n.name or "", unique_id=n.id, type=jtype))
        params = _static_params(n)
        if isinstance(n, HumanTaskNode):
            actors = _split_ids(params.get("ActorId")) + _split_ids(params.get("GroupId"))
            entities[n.name or ""] = actors
            user_tasks.append(P.UserTaskDefinition(
                id=n.id, name=n.name or "", priority=_int(params.get("Priority"), 0),
                comment=str(params.get("Comment") or ""), created_by=str(params.get("CreatedBy") or ""),
                skippable=str(params.get("Skippable")).lower() == "true", form_name=params.get("TaskName"),
                associated_entities=actors, task_inputs=_io_types(n, "in"), task_outputs=_io_types(n, "out")))
        elif isinstance(n, WorkItemNode):
            if n.work_name:
                service_tasks[n.name or ""] = n.work_name
        elif isinstance(n, SubProcessNode):
            called = n.called_element or n.process_name
            if called and called not in subprocesses:
                subprocesses.append(called)
        timer = getattr(n, "timer", None)
        if timer is not None and isinstance(n, (TimerNode, BoundaryEventNode, StartNode)):
            timers.append(P.TimerDefinition(id=Long(len(timers) + 1), node_name=n.name or "", unique_id=n.id,
                                            node_id=Long(num or 0)))
    tags = {}
    for v in defn.variables:
        if v.tags:
            tags[v.name] = list(v.tags)
    return {"variables": _variables_of(defn), "user_tasks": user_tasks, "entities": entities,
            "service_tasks": service_tasks, "subprocesses": subprocesses, "nodes": nodes, "timers": timers,
            "tags": tags}


def _int(v, default):
    try:
        return int(str(v).strip())
    except (TypeError, ValueError):
        return default


def _static_params(node):
    """Constant work item parameters of a node (assignments), by data input name."""
    return dict(getattr(node, "parameters", None) or {})


def _io_types(node, direction):
    got = node.data_inputs if direction == "in" else node.data_outputs
    return {k: str(v or "Object") for k, v in (got or {}).items()}


# ==============================================================================================
# the service

class _Run:
    """One transaction on one instance: the row, the engine instance and the service's envelope."""
    __slots__ = ("rt", "defn", "row", "inst", "env", "pid", "version", "new", "user", "hooks", "tasks", "ended")

    def __init__(self, rt, defn, row, inst, env, hooks, user, new=False):
        self.rt, self.defn, self.row, self.inst, self.env = rt, defn, row, inst, env
        self.pid = row.instanceid
        self.version = row.optlock
        self.new = new
        self.user = user
        self.hooks = hooks
        self.tasks = {}        # work item id -> True for human task work items created in this run
        self.ended = False


class ProcessService:
    """Process instances over the store.  Also the task service's ProcessCallbacks."""

    def __init__(self, server):
        self.server = server
        self._lock = threading.RLock()
        self._local = threading.local()

    # ------------------------------------------------------------------------------ lifecycle
    def start(self):
        from kieserver.executor.commands import register_command
        register_command(TIMER_COMMAND, _timer_command)
        register_command(ASYNC_COMMAND, _async_command)
        register_command(START_TIMER_COMMAND, _start_timer_command)

    def container_created(self, kc):
        rt = kc.runtimes["bpm"] = BpmRuntime(kc)
        self._schedule_start_timers(rt)

    # ------------------------------------------------------------------------------ timer start events
    @staticmethod
    def _start_timer_key(cid, defn, node):
        return clip(f"StartTimer:{cid}:{defn.id}:{node.id}")

    def _schedule_start_timers(self, rt):
        """Timer start events (jBPM schedules them when the deployment is activated): one executor job per
        timer start node, unless one is already waiting (another worker, an earlier boot)."""
        ex = self._executor()
        starts = [(d, n) for d in rt.definitions.values() for n in d.timer_start_events()]
        if not starts:
            return
        if ex is None:
            log.warning("No job executor: the timer start events of container %s will not fire", rt.kc.container_id)
            return
        cid = rt.kc.container_id
        rec = self.server.containers.find(cid)
        since = getattr(rec, "created_on", None)      # None: the container is being created now
        for defn, node in starts:
            key = self._start_timer_key(cid, defn, node)
            if ex.find(_LIVE_JOBS, 0, 1, command=START_TIMER_COMMAND, business_key=key):
                continue
            if since is not None and any(j.timestamp >= since for j in ex.find(
                    ("DONE",), 0, 1000, command=START_TIMER_COMMAND, business_key=key)):
                continue        # a one-shot timer of this deployment already fired
            try:
                delay, _period, _limit, _cron = self._start_timer_spec(rt, defn, node)
            except EngineError as e:
                log.warning("Timer start event %s of %s: %s", node.id, defn.id, e.message)
                continue
            self._schedule_start_timer(ex, cid, defn, node, key, delay, 0)

    def _start_timer_spec(self, rt, defn, node):
        probe = engine.ProcessInstance(defn, engine.Environment(handlers=rt.handlers, deployment_id=rt.kc.container_id))
        return _engine_call(probe._timer_spec, node.timer, None)

    @staticmethod
    def _schedule_start_timer(ex, cid, defn, node, key, delay_ms, fired):
        due = dt.datetime.now(dt.timezone.utc) + dt.timedelta(milliseconds=float(delay_ms or 0))
        return ex.schedule(START_TIMER_COMMAND, {"processId": defn.id, "nodeId": node.id, "fired": fired,
                                                 "businessKey": key, "retries": 3},
                           scheduled_date=due, container_id=cid)

    def fire_start_timer(self, container_id, process_id, node_id, fired):
        """A timer start event fired (executor thread): start an instance there, schedule the next firing."""
        try:
            cid = self.resolve_container(container_id)
            rt = self.runtime(cid)
        except ProcessServiceError:
            return {"started": None}
        defn = rt.definitions.get(process_id)
        node = _node(defn, node_id) if defn is not None else None
        if node is None or getattr(node, "timer", None) is None or self._record(cid).status != "STARTED":
            return {"started": None}
        with self._tx():
            run = self._start(rt, defn, None, None, None, [node_id], None)
        delay, period, limit, cron = self._start_timer_spec(rt, defn, node)
        fired += 1
        ex = self._executor()
        if ex is not None and (period or cron) and (limit is None or fired < limit):
            self._schedule_start_timer(ex, cid, defn, node, self._start_timer_key(cid, defn, node),
                                       delay if cron else period, fired)
        return {"started": Long(run.pid)}

    def container_disposing(self, container_id, abort_instances):
        active = [r.instanceid for r in ProcessInstanceInfo.select(ProcessInstanceInfo.instanceid).where(
            ProcessInstanceInfo.deploymentid == container_id).order_by(ProcessInstanceInfo.instanceid)]
        if not active:
            return None
        if not abort_instances:
            # jBPM's KModuleDeploymentService.undeploy refuses while instances are active
            return f"Undeploy forbidden - there are active processes instances for deployment {container_id}"
        for pid in active:
            try:
                self.abort(container_id, pid)
            except ProcessServiceError as e:
                log.warning("Could not abort process instance %s of %s: %s", pid, container_id, e)
        return None

    def container_update_allowed(self, container_id, release_id=None, reset_before_update=False):
        """JbpmKieServerExtension.isUpdateContainerAllowed / prepareContainerUpdate: PRODUCTION refuses an
        update while instances are active; DEVELOPMENT allows it, aborting them with resetBeforeUpdate."""
        active = [r.instanceid for r in ProcessInstanceInfo.select(ProcessInstanceInfo.instanceid).where(
            ProcessInstanceInfo.deploymentid == container_id).order_by(ProcessInstanceInfo.instanceid)]
        if not active:
            return None
        if self.server.config.mode != "DEVELOPMENT":
            return f"Update of container forbidden - there are active process instances for container {container_id}"
        if reset_before_update:
            for pid in active:
                try:
                    self.abort(container_id, pid)
                except ProcessServiceError as e:
                    log.warning("Could not abort process instance %s of %s: %s", pid, container_id, e)
        return None

    def container_disposed(self, container_id):
        """Runtime rows of a disposed container go; the audit log stays (as jBPM keeps it); its timer
        start events stop."""
        ex = self._executor()
        if ex is not None:
            for job in ex.find(_LIVE_JOBS, 0, 1000, command=START_TIMER_COMMAND, container_id=container_id):
                self._cancel_job(job.id)
        pids = [r.instanceid for r in ProcessInstanceInfo.select(ProcessInstanceInfo.instanceid).where(
            ProcessInstanceInfo.deploymentid == container_id)]
        if pids:
            with database.atomic():
                self._delete_runtime(pids)

    # ------------------------------------------------------------------------------ containers
    def _record(self, container_id):
        rec = self.server.containers.find(container_id)
        if rec is not None and rec.status in ("STARTED", "DEACTIVATED"):
            return rec
        return None

    def resolve_container(self, container_id, pid=None):
        """KieServerRegistry.getContainerId with a container locator: an id as is; an alias to the
        container of the instance (when given) or the newest container with that alias."""
        rec = self._record(container_id)
        if rec is not None:
            return rec.container_id
        if pid is not None:
            row = ProcessInstanceLog.select(ProcessInstanceLog.externalid).where(
                ProcessInstanceLog.processinstanceid == pid).first()
            if row is not None:
                owner = self._record(row.externalid)
                if owner is not None and owner.alias == container_id:
                    return owner.container_id
        rec = self.server.containers.resolve(container_id)
        if rec is not None and rec.status in ("STARTED", "DEACTIVATED"):
            return rec.container_id
        raise ContainerNotFound(container_id)

    def runtime(self, container_id) -> BpmRuntime:
        """The process runtime of a resolved container id (DeploymentNotFound when it has none)."""
        kc = self.server.containers.runtime(container_id, statuses=("STARTED", "DEACTIVATED"))
        rt = kc.runtimes.get("bpm") if kc is not None else None
        if rt is None or not rt.has_processes:
            raise DeploymentNotFound(container_id)
        return rt

    def definition(self, rt, process_id):
        d = rt.definitions.get(process_id)
        if d is None:
            raise ProcessDefinitionNotFound(process_id, rt.kc.container_id)
        return d

    def types_for(self, container_id):
        """The container's TypeRegistry for unmarshalling bodies (None when unknown)."""
        try:
            cid = self.resolve_container(container_id)
        except ContainerNotFound:
            return None
        kc = self.server.containers.runtime(cid, statuses=("STARTED", "DEACTIVATED"))
        return kc.types if kc is not None else None

    # ------------------------------------------------------------------------------ transactions
    def _tx(self):
        if is_postgres() or database.transaction_depth() > 0:
            return database.atomic()
        return database.atomic(lock_type="IMMEDIATE")

    def _lock_row(self, pid):
        sql = _LOCK_PG if is_postgres() else _LOCK_SQLITE
        row = fast_execute(sql, (pid,)).fetchone()
        return None if row is None else model_from_row(ProcessInstanceInfo, _PII_FIELDS, row)

    def _open(self, cid, pid, user=None, lock=True):
        row = self._lock_row(pid) if lock else ProcessInstanceInfo.get_or_none(ProcessInstanceInfo.instanceid == pid)
        if row is None or row.deploymentid != cid:
            raise ProcessInstanceNotFound(pid)
        rt = self.runtime(cid)
        defn = rt.definitions.get(row.processid)
        if defn is None:
            raise EngineError(f"Process definition {row.processid} is no longer in container {cid}")
        blob = load_state(row.processinstancebytearray, rt.kc.types)
        hooks = _Hooks(self, rt, pid)
        inst = _restore_instance(rt, defn, pid, blob.get("engine") or {}, hooks)
        env = blob.get("svc") or {}
        return _Run(rt, defn, row, inst, env, hooks, user)

    def _operate(self, container_id, pid, fn, user=None):
        """Run fn(run) on a locked instance and store the outcome, in one transaction."""
        cid = self.resolve_container(container_id, pid)
        for attempt in range(3):
            try:
                busy = self._busy()
                mine = pid not in busy
                busy.add(pid)
                try:
                    with self._tx():
                        run = self._open(cid, pid, user)
                        if run.inst.state != ACTIVE and run.inst.state != SUSPENDED:
                            raise ProcessInstanceNotFound(pid)
                        result = _engine_call(fn, run)
                        self._flush(run)
                        return result
                finally:
                    if mine:
                        busy.discard(pid)
            except _VersionConflict:
                if attempt == 2:
                    raise EngineError(f"Process instance {pid} was changed concurrently") from None

    def _read(self, container_id, pid):
        cid = self.resolve_container(container_id, pid)
        return self._open(cid, pid, lock=False)

    # ------------------------------------------------------------------------------ events -> rows
    def _flush(self, run: _Run):
        """Turn the engine's events into rows, then store the instance (or drop it when it ended)."""
        now = _utcnow()
        inst, rt = run.inst, run.rt
        cid = rt.kc.container_id
        defn = run.defn
        node_logs, var_logs = [], []
        while True:
            events = _drain(inst)
            if not events:
                break
            for e in events:
                k = e.get("type")
                if k == "node":
                    node_logs.append({
                        "connection": e.get("connection"), "log_date": now, "externalid": cid,
                        "nodeid": e.get("node_id"), "nodeinstanceid": str(e.get("node_instance_id")),
                        "nodename": e.get("node_name") or "", "nodetype": e.get("node_type") or "Node",
                        "processid": defn.id, "processinstanceid": run.pid, "slacompliance": 0,
                        "type": e.get("log_type"), "workitemid": e.get("work_item_id"),
                        "nodecontainerid": e.get("node_container_id"), "referenceid": e.get("reference_id")})
                elif k == "variable":
                    var_logs.append({"log_date": now, "externalid": cid, "oldvalue": _log_str(e.get("old_value")),
                                     "processid": defn.id, "processinstanceid": run.pid,
                                     "value": _log_str(e.get("new_value")), "variableid": e.get("variable_id"),
                                     "variableinstanceid": e.get("variable_instance_id")})
                elif k == "work_item_created":
                    wi = e["work_item"]
                    wid = wi["id"]
                    fast_execute('UPDATE "workiteminfo" SET "name" = ? WHERE "workitemid" = ?',
                                 (clip(wi.get("name") or ""), wid))
                    if wi.get("name") == HUMAN_TASK and wid in inst.work_items:
                        self._create_task(run, wid, wi, e)
                elif k == "work_item_completed":
                    fast_execute('DELETE FROM "workiteminfo" WHERE "workitemid" = ?', (e["work_item_id"],))
                elif k in ("work_item_aborted", "work_item_cancelled"):
                    wid = e["work_item_id"]
                    fast_execute('DELETE FROM "workiteminfo" WHERE "workitemid" = ?', (wid,))
                    tasks = self.server.human_tasks
                    if tasks is not None and not run.ended:
                        tasks.exit_task_of_work_item(wid)
                elif k == "timer_scheduled":
                    self._schedule_timer(run, e)
                elif k == "timer_cancelled":
                    self._cancel_timer(run, e.get("timer_id"))
                elif k == "async":
                    self._schedule_async(run, e)
                elif k == "process_state":
                    self._state_changed(run, e.get("status"), now, e.get("outcome"))
                elif k == "signal":
                    scope = (e.get("scope") or "").lower()
                    if scope in ("default", "project", "external"):
                        run.env.setdefault("broadcast", []).append([e.get("signal"), e.get("data")])
        if node_logs:
            fast_insert_many(NodeInstanceLog, node_logs)
        if var_logs:
            fast_insert_many(VariableInstanceLog, var_logs)
        if run.ended:
            self._after_end(run)
            return
        waiting = _event_types(inst)
        if waiting != run.env.get("events", [] if run.new else None):
            if not run.new:
                fast_execute('DELETE FROM "eventtypes" WHERE "instanceid" = ?', (run.pid,))
            fast_insert_many(EventTypes, [{"instanceid": run.pid, "element": clip(w)} for w in waiting])
            run.env["events"] = waiting
        broadcast = run.env.pop("broadcast", None)
        blob = dump_state({"engine": inst.to_state(), "svc": run.env})
        n = fast_execute('UPDATE "processinstanceinfo" SET "processinstancebytearray" = ?, "state" = ?, '
                         '"lastmodificationdate" = ?, "optlock" = ? WHERE "instanceid" = ? AND "optlock" = ?',
                         (ProcessInstanceInfo.processinstancebytearray.db_value(blob), inst.state, db_time(now),
                          run.version + 1, run.pid, run.version)).rowcount
        if n != 1:
            raise _VersionConflict()
        run.version += 1
        if broadcast:
            for name, event in broadcast:
                self._signal_container(cid, name, event, exclude=run.pid)

    def _after_end(self, run: _Run):
        """The instance ended in this transaction: broadcast what it threw, then tell a waiting parent."""
        cid = run.rt.kc.container_id
        for name, event in run.env.pop("broadcast", None) or []:
            self._signal_container(cid, name, event, exclude=run.pid)
        inst = run.inst
        parent = inst.parent_instance_id
        if inst.signal_completion and parent not in (None, -1) and parent not in self._busy():
            state, variables, outcome, fault = inst.state, dict(inst.variables), inst.outcome, inst.fault_data

            def notify(prun):
                prun.inst.subprocess_completed(run.pid, state, variables, outcome, fault)
            try:
                self._operate(cid, parent, notify)
            except ProcessInstanceNotFound:
                pass

    def _busy(self):
        """Ids of the instances this thread is running now (a parent waiting on its child's hook)."""
        b = getattr(self._local, "busy", None)
        if b is None:
            b = self._local.busy = set()
        return b

    def _state_changed(self, run: _Run, state, now, outcome=None):
        if state is None:
            return
        fields = {"status": state}
        if state in (COMPLETED, ABORTED):
            start = run.row.startdate
            fields.update(end_date=now, duration=int((now - start).total_seconds() * 1000) if start else None)
            if outcome is not None:
                fields["outcome"] = clip(str(outcome))
        if len(fields) == 1:
            fast_execute('UPDATE "processinstancelog" SET "status" = ? WHERE "processinstanceid" = ?', (state, run.pid))
        else:
            ProcessInstanceLog.update(**fields).where(ProcessInstanceLog.processinstanceid == run.pid).execute()
        if state in (COMPLETED, ABORTED) and not run.ended:
            run.ended = True
            if state == ABORTED and self.server.human_tasks is not None:
                self.server.human_tasks.exit_tasks_of_process(run.pid, run.user)
            for job in (run.env.get("timers") or {}).values():
                self._cancel_job(job)
            self._delete_runtime([run.pid], keys=bool(run.row.correlationkey))

    def _delete_runtime(self, pids, keys=True):
        if keys:
            key_ids = [r.keyid for r in CorrelationKeyInfo.select(CorrelationKeyInfo.keyid).where(
                CorrelationKeyInfo.processinstanceid.in_(pids))]
            if key_ids:
                CorrelationPropertyInfo.delete().where(
                    CorrelationPropertyInfo.correlationkey_keyid.in_(key_ids)).execute()
                CorrelationKeyInfo.delete().where(CorrelationKeyInfo.keyid.in_(key_ids)).execute()
        for pid in pids:
            fast_execute('DELETE FROM "eventtypes" WHERE "instanceid" = ?', (pid,))
            fast_execute('DELETE FROM "workiteminfo" WHERE "processinstanceid" = ?', (pid,))
            fast_execute('DELETE FROM "processinstanceinfo" WHERE "instanceid" = ?', (pid,))

    # ------------------------------------------------------------------------------ human tasks
    def _create_task(self, run: _Run, wid, wi, e):
        tasks = self.server.human_tasks
        if tasks is None:
            return     # no task service: the work item stays pending, completable over REST
        params = dict(wi.get("parameters") or {})
        node_name = wi.get("node_name")
        inst = run.inst
        comment = params.get("Comment")
        description = params.get("Description")
        skippable = params.get("Skippable")
        spec = HumanTaskSpec(
            container_id=run.rt.kc.container_id, process_instance_id=run.pid, process_id=run.defn.id,
            work_item_id=wid, node_instance_id=e.get("node_instance_id"),
            node_name=params.get("NodeName") or node_name,
            name=params.get("NodeName") or node_name,
            subject=str(comment) if comment is not None else None,
            description=str(description if description is not None else comment) if (description or comment) is not None else None,
            form_name=params.get("TaskName"),
            priority=_int(params.get("Priority"), 0),
            skippable=not (isinstance(skippable, str) and skippable == "false") and skippable is not False,
            actor_ids=_split_ids(params.get("ActorId")), group_ids=_split_ids(params.get("GroupId")),
            business_admins=_split_ids(params.get("BusinessAdministratorId")),
            business_admin_groups=_split_ids(params.get("BusinessAdministratorGroupId")),
            excluded_owners=_split_ids(params.get("ExcludedOwnerId")),
            created_by=str(params.get("CreatedBy")) if params.get("CreatedBy") else getattr(inst, "initiator", None),
            parent_id=_int(params.get("ParentId"), -1),
            correlation_key=getattr(inst, "correlation_key", None) or str(run.pid),
            process_type=1, inputs=params)
        tasks.create_task(spec)

    # ------------------------------------------------------------------------------ timers and jobs
    def _executor(self):
        return self.server.executor

    def _schedule_timer(self, run: _Run, e):
        ex = self._executor()
        tid = str(e.get("timer_id"))
        if ex is None:
            log.warning("No job executor: timer %s of process instance %s will not fire", tid, run.pid)
            return
        due = e.get("due")
        if due is None:
            delay = e.get("delay_ms", e.get("delay", 0)) or 0
            due = dt.datetime.now(dt.timezone.utc) + dt.timedelta(milliseconds=float(delay))
        old = (run.env.get("timers") or {}).get(tid)
        if old is not None:
            self._cancel_job(old)
        raw = e.get("timer_id")
        job = ex.schedule(TIMER_COMMAND, {"processInstanceId": Long(run.pid),
                                          "timerId": Long(raw) if isinstance(raw, int) else tid,
                                          "businessKey": f"{run.pid}:{tid}", "retries": 3},
                          scheduled_date=due, container_id=run.rt.kc.container_id)
        run.env.setdefault("timers", {})[tid] = job

    def _cancel_timer(self, run: _Run, tid):
        job = (run.env.get("timers") or {}).pop(str(tid), None)
        if job is not None:
            self._cancel_job(job)

    def _cancel_job(self, job_id):
        ex = self._executor()
        if ex is None:
            return
        try:
            ex.cancel(job_id)
        except Exception:  # noqa: BLE001 - a job that is gone or running is left alone
            pass

    def _schedule_async(self, run: _Run, e):
        ex = self._executor()
        if ex is None:
            raise EngineError("Async continuations need the job executor (extension Jobs)")
        ex.schedule(ASYNC_COMMAND, {"processInstanceId": Long(run.pid), "Signal": e.get("token"), "Event": None,
                                    "retries": 3}, container_id=run.rt.kc.container_id)

    def trigger_timer(self, container_id, pid, timer_id):
        """A timer job fired (executor thread): run the timer if the instance still has it."""
        def fire(run):
            timers = run.env.get("timers") or {}
            if str(timer_id) not in timers:
                return False
            timers.pop(str(timer_id), None)
            return run.inst.trigger_timer(_int(timer_id, timer_id))
        try:
            return self._operate(container_id, pid, fire)
        except ProcessInstanceNotFound:
            return False

    def continue_async(self, container_id, pid, token):
        try:
            return self._operate(container_id, pid, lambda run: run.inst.continue_async(token))
        except ProcessInstanceNotFound:
            return False

    # ------------------------------------------------------------------------------ start
    def start_process(self, container_id, process_id, variables=None, initiator=None, correlation_key=None,
                      node_ids=None, parent_id=None):
        cid = self.resolve_container(container_id)
        rt = self.runtime(cid)
        defn = self.definition(rt, process_id)
        if self._record(cid).status != "STARTED":
            raise DeploymentNotActive(cid)
        if node_ids:
            for n in node_ids:
                if _node(defn, n) is None:
                    raise EngineError(f"Node with id {n} not found in process {process_id}")
        try:
            with self._tx():
                return self._start(rt, defn, variables, initiator, correlation_key, node_ids, parent_id).pid
        except peewee.IntegrityError as e:
            if correlation_key:
                raise CorrelationKeyExists(_key_conflict_message(correlation_key)) from None
            raise EngineError(f"Could not store process instance: {e}") from None

    def _start(self, rt, defn, variables, initiator, correlation_key, node_ids, parent_id, parent_niid=None,
               signal_completion=False, trigger=None, trigger_event=None):
        """Create, start and store one instance (in the caller's transaction); the _Run."""
        now = _utcnow()
        cid = rt.kc.container_id
        given = _next_id("instanceid", _PI_MAX)
        pid = fast_insert(ProcessInstanceInfo, {**given, "processid": defn.id,
                                                "deploymentid": cid, "state": ACTIVE, "startdate": now,
                                                "lastmodificationdate": now, "initiator": initiator,
                                                "correlationkey": correlation_key, "optlock": 0})
        pid = given.get("instanceid") or pid
        if correlation_key:
            key_id = CorrelationKeyInfo.insert(name=correlation_key, processinstanceid=pid, optlock=0).execute()
            CorrelationPropertyInfo.insert_many([{"name": None, "value": clip(p), "optlock": 0,
                                                  "correlationkey_keyid": key_id}
                                                 for p in correlation_key.split(":")]).execute()
        fast_insert(ProcessInstanceLog, dict(
            correlationkey=clip(correlation_key or str(pid)), externalid=cid, user_identity=initiator,
            parentprocessinstanceid=parent_id if parent_id is not None else -1, processid=defn.id,
            processinstancedescription=clip(defn.name or defn.id), processinstanceid=pid,
            processname=defn.name, processtype=1, processversion=defn.version, slacompliance=0,
            start_date=now, status=ACTIVE))
        row = ProcessInstanceInfo(instanceid=pid, processid=defn.id, deploymentid=cid, state=ACTIVE,
                                  startdate=now, lastmodificationdate=now, initiator=initiator,
                                  correlationkey=correlation_key, optlock=0)
        hooks = _Hooks(self, rt, pid)
        busy = self._busy()
        busy.add(pid)
        try:
            inst = _engine_call(engine.start_process, defn, dict(variables or {}), initiator=initiator,
                                correlation_key=correlation_key, start_node_ids=list(node_ids or []) or None,
                                env=hooks.environment(), instance_id=pid,
                                parent_instance_id=parent_id if parent_id is not None else -1,
                                parent_node_instance_id=parent_niid, signal_completion=signal_completion,
                                trigger=trigger, trigger_event=trigger_event)
            if inst.description and inst.description != (defn.name or defn.id):
                fast_execute('UPDATE "processinstancelog" SET "processinstancedescription" = ? '
                             'WHERE "processinstanceid" = ?', (clip(str(inst.description)), pid))
            run = _Run(rt, defn, row, inst, {}, hooks, initiator, new=True)
            self._flush(run)
        finally:
            busy.discard(pid)
        return run

    def compute_process_outcome(self, container_id, process_id, variables=None, initiator=None):
        """Run a straight-through process in memory and return its variables (nothing is stored)."""
        cid = self.resolve_container(container_id)
        rt = self.runtime(cid)
        defn = self.definition(rt, process_id)
        if self._record(cid).status != "STARTED":
            raise DeploymentNotActive(cid)
        env = engine.Environment(handlers=rt.handlers, deployment_id=cid)
        inst = _engine_call(engine.start_process, defn, dict(variables or {}), initiator=initiator, env=env,
                            instance_id=-1)
        if inst.state != COMPLETED:
            raise EngineError(f"Process {process_id} is not a straight-through process: it stopped in a wait state")
        return {k: v for k, v in inst.variables.items() if v is not None}

    # ------------------------------------------------------------------------------ abort
    def abort(self, container_id, pid, user=None):
        self._operate(container_id, pid, lambda run: run.inst.abort(), user)

    def abort_many(self, container_id, pids, user=None):
        """jBPM's abortProcessInstances(deploymentId, ids): each id is aborted in the container it belongs
        to; unknown or finished instances are skipped (logged)."""
        for pid in pids:
            row = ProcessInstanceLog.get_or_none(ProcessInstanceLog.processinstanceid == pid)
            try:
                if row is None or row.status != ACTIVE:
                    raise ProcessInstanceNotFound(pid)
                self.abort(row.externalid, pid, user)
            except ProcessInstanceNotFound:
                log.warning("Process instance with id %s was not found", pid)

    # ------------------------------------------------------------------------------ signals
    def signal_instance(self, container_id, pid, name, event=None):
        self._operate(container_id, pid, lambda run: run.inst.signal(name, event))

    def signal_instances(self, container_id, pids, name, event=None):
        for pid in pids:
            self.signal_instance(container_id, pid, name, event)

    def _pid_by_key(self, key):
        row = CorrelationKeyInfo.get_or_none(CorrelationKeyInfo.name == key)
        if row is None:
            raise ProcessInstanceNotFound(key)
        return row.processinstanceid

    def signal_by_correlation_key(self, container_id, key, name, event=None):
        pid = self._pid_by_key(key)
        self.signal_instance(container_id, pid, name, event)

    def signal_by_correlation_keys(self, container_id, keys, name, event=None):
        for key in keys:
            self.signal_by_correlation_key(container_id, key, name, event)

    def signal_container(self, container_id, name, event=None):
        """RuntimeManager.signalEvent: every active instance of the container waiting for the event,
        then the processes whose start event listens to it."""
        cid = self.resolve_container(container_id)
        self.runtime(cid)
        self._signal_container(cid, name, event)

    def _signal_container(self, cid, name, event, exclude=None):
        q = (EventTypes.select(EventTypes.instanceid)
             .join(ProcessInstanceInfo, on=(ProcessInstanceInfo.instanceid == EventTypes.instanceid))
             .where((EventTypes.element == name) & (ProcessInstanceInfo.deploymentid == cid))
             .order_by(EventTypes.instanceid))
        for r in list(q):
            if r.instanceid == exclude:
                continue
            try:
                self._operate(cid, r.instanceid, lambda run: run.inst.signal(name, event))
            except ProcessInstanceNotFound:
                pass
        rt = self.runtime(cid)
        if self._record(cid).status != "STARTED":
            return
        for defn, _node_ in rt.signal_starts.get(name, []):
            with self._tx():
                self._start(rt, defn, None, None, None, None, None, trigger=name, trigger_event=event)

    def available_signals(self, container_id, pid):
        run = self._read(container_id, pid)
        if run.inst.state != ACTIVE:
            raise ProcessInstanceNotFound(pid)
        return list(run.inst.available_signals())

    # ------------------------------------------------------------------------------ variables
    def get_variables(self, container_id, pid):
        run = self._read(container_id, pid)
        return {k: v for k, v in run.inst.variables.items() if v is not None}

    def get_variable(self, container_id, pid, name):
        run = self._read(container_id, pid)
        value = run.inst.variables.get(name)
        if value is None:
            raise IllegalState(f"Unable to find variable '{name}' within process instance with id {pid}")
        return value

    def set_variable(self, container_id, pid, name, value):
        self._operate(container_id, pid, lambda run: run.inst.set_variable(name, value))

    def set_variables(self, container_id, pid, values):
        def set_all(run):
            for k, v in (values or {}).items():
                run.inst.set_variable(k, v)
        self._operate(container_id, pid, set_all)

    # ------------------------------------------------------------------------------ work items
    def _work_item_model(self, run, wid):
        wi = run.inst.work_items[wid]
        return P.WorkItemInstance(
            id=Long(wid), name=wi.name, state=int(wi.state or 0), parameters=dict(wi.parameters),
            process_instance_id=Long(run.pid), container_id=run.rt.kc.container_id,
            node_instance_id=Long(int(wi.node_instance_id or 0)), node_id=Long(int(wi.node_id or 0)))

    def work_items(self, container_id, pid):
        run = self._read(container_id, pid)
        return P.WorkItemInstanceList(items=[self._work_item_model(run, w) for w in sorted(run.inst.work_items)])

    def get_work_item(self, container_id, pid, wid):
        run = self._read(container_id, pid)
        if wid not in run.inst.work_items:
            raise WorkItemNotFound(wid)
        return self._work_item_model(run, wid)

    def complete_work_item(self, container_id, process_instance_id, work_item_id, results=None, user=None):
        def complete(run):
            if work_item_id not in run.inst.work_items:
                raise WorkItemNotFound(work_item_id)
            run.inst.complete_work_item(work_item_id, dict(results or {}))
        self._operate(container_id, process_instance_id, complete, user)

    def abort_work_item(self, container_id, process_instance_id, work_item_id, user=None):
        def abort(run):
            if work_item_id not in run.inst.work_items:
                raise WorkItemNotFound(work_item_id)
            run.inst.abort_work_item(work_item_id)
        self._operate(container_id, process_instance_id, abort, user)

    # ------------------------------------------------------------------------------ batch commands
    # (start-process, signal-event, complete-work-item, abort-work-item on POST /containers/instances/{id})

    def _pid_of_work_item(self, wid):
        row = WorkItemInfo.get_or_none(WorkItemInfo.workitemid == wid)
        if row is None:
            raise WorkItemNotFound(wid)
        return row.processinstanceid

    def complete_work_item_by_id(self, container_id, work_item_id, results=None, user=None):
        """CompleteWorkItemCommand: the work item id alone names the instance."""
        self.complete_work_item(container_id, self._pid_of_work_item(work_item_id), work_item_id, results, user)

    def abort_work_item_by_id(self, container_id, work_item_id, user=None):
        """AbortWorkItemCommand."""
        self.abort_work_item(container_id, self._pid_of_work_item(work_item_id), work_item_id, user)

    def signal_event(self, container_id, name, event=None, process_instance_id=None):
        """SignalEventCommand: one instance when an id is given, else the whole container."""
        if process_instance_id is not None and int(process_instance_id) > 0:
            self.signal_instance(container_id, int(process_instance_id), name, event)
        else:
            self.signal_container(container_id, name, event)

    # ------------------------------------------------------------------------------ instance views
    def _instance_model(self, row: ProcessInstanceLog, tasks=None):
        return P.ProcessInstance(
            id=Long(row.processinstanceid), process_id=row.processid, process_name=row.processname,
            process_version=row.processversion, state=row.status, container_id=row.externalid,
            initiator=row.user_identity, date=_aware(row.start_date), description=row.processinstancedescription,
            correlation_key=row.correlationkey,
            parent_id=Long(row.parentprocessinstanceid) if row.parentprocessinstanceid is not None else None,
            sla_compliance=row.slacompliance, sla_due_date=_aware(row.sla_due_date), active_user_tasks=tasks)

    def get_instance(self, container_id, pid, with_vars=False):
        row = ProcessInstanceLog.get_or_none(ProcessInstanceLog.processinstanceid == pid)
        if row is None:
            raise IllegalState(f"Unable to find process instance with id {pid}")
        cid = self.resolve_container(container_id, pid)
        tasks = None
        finder = getattr(self.server.human_tasks, "active_tasks_of_process", None)
        if finder is not None and row.status == ACTIVE:
            found = finder(pid)
            if found:
                tasks = P.TaskSummaryList(items=list(found))
        model = self._instance_model(row, tasks)
        if with_vars and row.status == ACTIVE:
            model.variables = self.get_variables(cid, pid)
        return model

    def _instance_list(self, where, statuses, page, page_size, sort, ascending):
        statuses = [int(s) for s in statuses] if statuses else [ACTIVE]
        col = _PI_SORT.get((sort or "ProcessInstanceId").lower(), ProcessInstanceLog.processinstanceid)
        q = (ProcessInstanceLog.select().where(where & ProcessInstanceLog.status.in_(statuses))
             .order_by(col.asc() if ascending else col.desc(), ProcessInstanceLog.processinstanceid)
             .offset(max(0, page) * max(0, page_size)).limit(max(0, page_size)))
        return P.ProcessInstanceList(items=[self._instance_model(r) for r in q])

    def instances_by_container(self, container_id, statuses=None, page=0, page_size=10, sort=None, ascending=True):
        return self._instance_list(ProcessInstanceLog.externalid == container_id, statuses, page, page_size, sort,
                                   ascending)

    def instances_by_parent(self, parent_pid, statuses=None, page=0, page_size=10, sort=None, ascending=True):
        return self._instance_list(ProcessInstanceLog.parentprocessinstanceid == parent_pid, statuses, page,
                                   page_size, sort, ascending)

    def node_history(self, container_id, pid, active=None, completed=None, entry_type=None, page=0, page_size=10):
        # RuntimeDataServiceBase reads the audit log by instance id only (no container check)
        cid = container_id
        L = NodeInstanceLog
        base = L.select().where(L.processinstanceid == pid)
        if entry_type is not None:
            if entry_type not in ENTRY_TYPES:
                raise IllegalState(f"No enum constant org.jbpm.services.api.RuntimeDataService.EntryType.{entry_type}")
            q = base.where(L.type == ENTRY_TYPES[entry_type]).order_by(L.log_date.desc(), L.id.desc())
        elif (active and completed) or (active is None and completed is None):
            q = base.order_by(L.log_date.desc(), L.id.desc())
        elif active:
            finished = L.select(L.nodeinstanceid).where((L.processinstanceid == pid) & (L.type != NODE_ENTER))
            q = base.where((L.type == NODE_ENTER) & L.nodeinstanceid.not_in(finished)).order_by(L.id.asc())
        elif completed:
            q = base.where(L.type == NODE_EXIT).order_by(L.id.asc())
        else:
            return P.NodeInstanceList(items=[])
        q = q.offset(max(0, page) * max(0, page_size)).limit(max(0, page_size))
        return P.NodeInstanceList(items=[_node_model(r, cid) for r in q])

    def variables_current(self, container_id, pid):
        V = VariableInstanceLog
        latest = V.select(peewee.fn.MAX(V.id)).where(V.processinstanceid == pid).group_by(V.variableid)
        q = V.select().where((V.processinstanceid == pid) & V.id.in_(latest)).order_by(V.id)
        return P.VariableInstanceList(items=[_var_model(r) for r in q])

    def variable_history(self, container_id, pid, name, page=0, page_size=10):
        V = VariableInstanceLog
        q = (V.select().where((V.processinstanceid == pid) & (V.variableid == name)).order_by(V.id.desc())
             .offset(max(0, page) * max(0, page_size)).limit(max(0, page_size)))
        return P.VariableInstanceList(items=[_var_model(r) for r in q])

    # ------------------------------------------------------------------------------ definitions
    def _definition_model(self, rt, defn, full=True):
        m = P.ProcessDefinition(id=defn.id, name=defn.name, version=defn.version,
                                package=getattr(defn, "package", None) or getattr(defn, "package_name", None),
                                container_id=rt.kc.container_id, dynamic=bool(getattr(defn, "dynamic", False)))
        if full:
            info = rt.describe(defn)
            m.associated_entities = dict(info["entities"])
            m.service_tasks = dict(info["service_tasks"])
            m.process_variables = dict(info["variables"])
            m.reusable_sub_processes = list(info["subprocesses"])
            m.nodes = list(info["nodes"])
            m.timers = list(info["timers"])
            m.tags = dict(info["tags"])
        return m

    def definitions(self, container_id, page=0, page_size=10, sort=None, ascending=True):
        try:
            cid = self.resolve_container(container_id)
        except ContainerNotFound:
            raise DeploymentNotFound(container_id) from None
        kc = self.server.containers.runtime(cid, statuses=("STARTED", "DEACTIVATED"))
        rt = kc.runtimes.get("bpm") if kc is not None else None
        defs = list(rt.definitions.values()) if rt is not None else []
        key = {"processid": lambda d: d.id or "", "processversion": lambda d: d.version or "",
               "project": lambda d: rt.kc.container_id}.get((sort or "").lower(), lambda d: d.name or "")
        defs.sort(key=key, reverse=not ascending)
        page, page_size = max(0, page), max(0, page_size)
        return P.ProcessDefinitionList(items=[self._definition_model(rt, d, full=False)
                                              for d in defs[page * page_size:(page + 1) * page_size]])

    def _defn(self, container_id, process_id):
        cid = self.resolve_container(container_id)
        rt = self.runtime(cid)
        return rt, self.definition(rt, process_id)

    def definition_model(self, container_id, process_id):
        rt, d = self._defn(container_id, process_id)
        return self._definition_model(rt, d)

    def definition_variables(self, container_id, process_id):
        rt, d = self._defn(container_id, process_id)
        return P.VariablesDefinition(variables=dict(rt.describe(d)["variables"]))

    def definition_subprocesses(self, container_id, process_id):
        rt, d = self._defn(container_id, process_id)
        return P.SubProcessesDefinition(sub_processes=list(rt.describe(d)["subprocesses"]))

    def definition_service_tasks(self, container_id, process_id):
        rt, d = self._defn(container_id, process_id)
        return P.ServiceTasksDefinition(service_tasks=dict(rt.describe(d)["service_tasks"]))

    def definition_entities(self, container_id, process_id):
        rt, d = self._defn(container_id, process_id)
        return P.AssociatedEntitiesDefinition(associated_entities=dict(rt.describe(d)["entities"]))

    def definition_user_tasks(self, container_id, process_id):
        rt, d = self._defn(container_id, process_id)
        return P.UserTaskDefinitionList(items=list(rt.describe(d)["user_tasks"]))

    def _user_task(self, container_id, process_id, task_name):
        rt, d = self._defn(container_id, process_id)
        for t in rt.describe(d)["user_tasks"]:
            if t.name == task_name:
                return t
        return None

    def definition_task_inputs(self, container_id, process_id, task_name):
        t = self._user_task(container_id, process_id, task_name)
        return P.TaskInputsDefinition(task_inputs=dict(t.task_inputs) if t else {})

    def definition_task_outputs(self, container_id, process_id, task_name):
        t = self._user_task(container_id, process_id, task_name)
        return P.TaskOutputsDefinition(task_outputs=dict(t.task_outputs) if t else {})


_PI_SORT = {
    "processinstanceid": ProcessInstanceLog.processinstanceid, "processid": ProcessInstanceLog.processid,
    "processname": ProcessInstanceLog.processname, "processversion": ProcessInstanceLog.processversion,
    "status": ProcessInstanceLog.status, "state": ProcessInstanceLog.status,
    "start_date": ProcessInstanceLog.start_date, "startdate": ProcessInstanceLog.start_date,
    "user_identity": ProcessInstanceLog.user_identity, "initiator": ProcessInstanceLog.user_identity,
    "correlationkey": ProcessInstanceLog.correlationkey, "externalid": ProcessInstanceLog.externalid,
}


def _node_model(r, cid):
    ref = r.referenceid
    return P.NodeInstance(
        id=Long(_int(r.nodeinstanceid, 0)), name=r.nodename, process_instance_id=Long(r.processinstanceid),
        work_item_id=Long(r.workitemid) if r.workitemid is not None else None, container_id=r.externalid or cid,
        date=_aware(r.log_date), node_id=r.nodeid, node_type=r.nodetype, connection=r.connection,
        completed=(r.type == NODE_EXIT), reference_id=Long(ref) if ref is not None else None,
        sla_compliance=r.slacompliance, sla_due_date=_aware(r.sla_due_date))


def _var_model(r):
    return P.VariableInstance(name=r.variableid, old_value=r.oldvalue, value=r.value,
                              process_instance_id=Long(r.processinstanceid), date=_aware(r.log_date))


def _key_conflict_message(key):
    props = ", ".join(f"CorrelationPropertyInfo [name=null, value={p}]" for p in (key or "").split(":"))
    return f"CorrelationKey [name={key}, properties=[{props}]] failed to persist"


# ==============================================================================================
# executor commands

def _service_of(ctx) -> ProcessService:
    svc = getattr(ctx.server, "process_callbacks", None) if ctx.server is not None else None
    if not isinstance(svc, ProcessService):
        raise RuntimeError("The process service is not running in this process")
    return svc


def _timer_command(ctx):
    svc = _service_of(ctx)
    fired = svc.trigger_timer(ctx.container_id, int(ctx.process_instance_id), ctx.get("timerId"))
    return {"fired": bool(fired)}


def _start_timer_command(ctx):
    svc = _service_of(ctx)
    return svc.fire_start_timer(ctx.container_id, ctx.get("processId"), ctx.get("nodeId"), _int(ctx.get("fired"), 0))


def _async_command(ctx):
    svc = _service_of(ctx)
    svc.continue_async(ctx.container_id, int(ctx.process_instance_id), ctx.get("Signal") or ctx.get("token"))
    return {}


# ==============================================================================================
# the extension

class BpmExtension(Extension):
    """Capability BPM: process definitions per container, process instances, definition endpoints."""
    name = "BPM"
    capability = "BPM"
    start_order = 30

    def __init__(self, server):
        super().__init__(server)
        self.service = ProcessService(server)
        server.process_callbacks = self.service

    def routes(self):
        from kieserver.resources.processes import routes
        return routes(self.server, self.service)

    def start(self):
        self.service.start()

    def container_created(self, kc):
        self.service.container_created(kc)

    def container_disposing(self, container_id, abort_instances):
        return self.service.container_disposing(container_id, abort_instances)

    def container_disposed(self, container_id):
        self.service.container_disposed(container_id)

    def container_update_allowed(self, container_id, release_id, reset_before_update):
        return self.service.container_update_allowed(container_id, release_id, reset_before_update)
