"""The BPM extension (first slice): process definitions per container, process instances stored in
the database and driven over REST (start, get, abort, signal, variables, work items, definitions).

Each operation on an instance loads its state under a row lock (PostgreSQL) or the single-writer
lock (SQLite), runs the engine and stores the new state in the same transaction, so concurrent
requests on one instance serialize across workers and nodes.
"""
from __future__ import annotations

import datetime as dt
import logging

import falcon
import peewee

from containers.processes import (ACTIVE, BUILTIN_HANDLERS, ProcessError, ProcessInstance,
                                  ProcessParseError, parse_processes)
from containers.values import Long
from kieserver.extensions import ContainerSetupError, Extension
from kieserver.resources.base import (BodyError, bool_param, read_body, send, set_conversation_id,
                                      text_error)
from kieserver.store.db import BaseModel, is_postgres, register, write_transaction
from marshallers import ANY, MAP, XSTREAM, marshal, unmarshal
from marshallers.dates import UTC
from marshallers.types import process as P

log = logging.getLogger("kieserver.bpm")


def _now():
    n = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return n.replace(microsecond=n.microsecond // 1000 * 1000)


@register
class ProcessInstanceInfo(BaseModel):
    """Runtime state of a process instance (jBPM's ProcessInstanceInfo, plus its container)."""
    instanceid = peewee.BigAutoField()
    processid = peewee.CharField(max_length=255, index=True)
    deploymentid = peewee.CharField(max_length=255, index=True)
    state = peewee.IntegerField(index=True)
    startdate = peewee.DateTimeField()
    lastmodificationdate = peewee.DateTimeField()
    initiator = peewee.CharField(max_length=255, null=True)
    correlationkey = peewee.CharField(max_length=255, null=True, unique=True)
    processinstancebytearray = peewee.BlobField(null=True)
    optlock = peewee.IntegerField(default=0)

    class Meta:
        table_name = "processinstanceinfo"


@register
class WorkItemInfo(BaseModel):
    """Work item id allocation and lookup (jBPM's WorkItemInfo)."""
    workitemid = peewee.BigAutoField()
    name = peewee.CharField(max_length=255)
    processinstanceid = peewee.BigIntegerField(index=True)
    state = peewee.IntegerField(default=0)
    creationdate = peewee.DateTimeField()

    class Meta:
        table_name = "workiteminfo"


TIMER_COMMAND = "org.jbpm.process.core.timer.impl.GlobalTimerService$ProcessJobCommand"


class BpmError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class BpmRuntime:
    def __init__(self, kc):
        self.definitions = {}
        errors = []
        for path in kc.kjar.resources(".bpmn", ".bpmn2"):
            try:
                for d in parse_processes(kc.kjar.files[path], path):
                    self.definitions[d.id] = d
            except ProcessParseError as e:
                errors.append(str(e))
        if errors:
            raise ContainerSetupError(["Error while creating process definitions"] + errors)


class ProcessService:
    def __init__(self, server):
        self.server = server

    # -- helpers ----------------------------------------------------------------------------------
    def container(self, container_id):
        kc = self.server.containers.runtime(container_id)
        if kc is None:
            rec = self.server.containers.resolve(container_id)
            if rec is not None and rec.status == "DEACTIVATED":
                raise BpmError(falcon.HTTP_400, f"Deployment {container_id} is not active")
            raise BpmError(falcon.HTTP_500, f"Unexpected error during processing: Container '{container_id}' is not "
                                            f"instantiated or cannot find container for alias '{container_id}'\n")
        return kc

    def definition(self, kc, process_id):
        rt = kc.runtimes.get("bpm")
        d = rt.definitions.get(process_id) if rt else None
        if d is None:
            raise BpmError(falcon.HTTP_404, f'Could not find process definition "{process_id}" in container '
                                            f'"{kc.container_id}"')
        return d

    def _handlers(self):
        return dict(BUILTIN_HANDLERS)

    def _new_wid(self, pid):
        return lambda: WorkItemInfo.create(name="", processinstanceid=pid, creationdate=_now()).workitemid

    def _save(self, rec, inst, kc):
        blob = marshal(inst.to_state(), XSTREAM, types=kc.types).encode("utf-8")
        ProcessInstanceInfo.update(processinstancebytearray=blob, state=inst.state, lastmodificationdate=_now(),
                                   optlock=ProcessInstanceInfo.optlock + 1).where(
            ProcessInstanceInfo.instanceid == rec.instanceid).execute()
        tasks = self.server.human_tasks
        for e in inst.events:
            if e["kind"] == "work_item":
                WorkItemInfo.update(name=e["name"]).where(WorkItemInfo.workitemid == e["work_item_id"]).execute()
                if e["name"] == "Human Task" and tasks is not None:
                    tasks.create_task(_task_spec(kc.container_id, rec, inst, e))
            elif e["kind"] == "work_item_aborted" and tasks is not None:
                tasks.exit_task_of_work_item(e["work_item_id"])
            elif e["kind"] == "state" and e["state"] == 3 and tasks is not None:
                tasks.exit_tasks_of_process(rec.instanceid)
            elif e["kind"] == "timer_scheduled":
                self._schedule_timer(kc.container_id, rec.instanceid, e)
        inst.events.clear()

    def _schedule_timer(self, container_id, pid, e):
        """Timers run through the job executor, so they survive restarts and fire on any node."""
        executor = self.server.executor
        if executor is None:
            log.warning("No job executor: the timer of process instance %s will not fire", pid)
            return
        due = dt.datetime.now(dt.timezone.utc) + dt.timedelta(milliseconds=e["delay_ms"])
        executor.schedule(TIMER_COMMAND, {"containerId": container_id, "processInstanceId": Long(pid),
                                          "timerId": Long(e["timer_id"]), "businessKey": f"timer-{pid}-{e['timer_id']}",
                                          "retries": 0}, due, container_id)

    def trigger_timer(self, container_id, pid, timer_id):
        try:
            self.operate(container_id, pid, lambda i: i.trigger_timer(timer_id))
        except BpmError as e:
            if e.status != falcon.HTTP_404:   # the instance is gone: the timer has nothing to do
                raise RuntimeError(e.message) from None

    def _load(self, kc, pid, lock=True):
        q = ProcessInstanceInfo.select().where((ProcessInstanceInfo.instanceid == pid) &
                                               (ProcessInstanceInfo.deploymentid == kc.container_id))
        if lock and is_postgres():
            q = q.for_update()
        rec = q.first()
        if rec is None:
            raise BpmError(falcon.HTTP_404, f'Could not find process instance with id "{pid:,}"')
        d = self.definition(kc, rec.processid)
        state = unmarshal(bytes(rec.processinstancebytearray or b"<map/>"), XSTREAM, MAP, types=kc.types) or {}
        inst = ProcessInstance.from_state(d, rec.instanceid, state, kc.types, self._handlers())
        inst.new_work_item_id = self._new_wid(rec.instanceid)
        return rec, inst

    # -- operations -------------------------------------------------------------------------------
    def start(self, container_id, process_id, variables, initiator, correlation_key=None):
        kc = self.container(container_id)
        d = self.definition(kc, process_id)
        try:
            with write_transaction():
                rec = ProcessInstanceInfo.create(processid=d.id, deploymentid=kc.container_id, state=ACTIVE,
                                                 startdate=_now(), lastmodificationdate=_now(), initiator=initiator,
                                                 correlationkey=correlation_key)
                inst = ProcessInstance(d, rec.instanceid, kc.types, self._handlers())
                inst.new_work_item_id = self._new_wid(rec.instanceid)
                inst.start(variables or {}, initiator, correlation_key)
                self._save(rec, inst, kc)
        except peewee.IntegrityError:
            raise BpmError(falcon.HTTP_409, f"Correlation key {correlation_key} already exists") from None
        except ProcessError as e:
            raise BpmError(falcon.HTTP_500, f"Unable to create response: {e}") from None
        return rec.instanceid

    def operate(self, container_id, pid, fn):
        kc = self.container(container_id)
        try:
            with write_transaction():
                rec, inst = self._load(kc, pid)
                if inst.state != ACTIVE:
                    raise BpmError(falcon.HTTP_404, f'Could not find process instance with id "{pid:,}"')
                result = fn(inst)
                self._save(rec, inst, kc)
                return result
        except ProcessError as e:
            raise BpmError(falcon.HTTP_500, f"Unexpected error during processing: {e}\n") from None

    def get(self, container_id, pid, with_vars=False):
        kc = self.container(container_id)
        rec, inst = self._load(kc, pid, lock=False)
        return self.to_model(rec, inst, kc, with_vars)

    def to_model(self, rec, inst, kc, with_vars=False):
        d = inst.definition
        return P.ProcessInstance(
            id=Long(rec.instanceid), process_id=d.id, process_name=d.name, process_version=d.version,
            state=rec.state, container_id=rec.deploymentid, initiator=rec.initiator,
            date=rec.startdate.replace(tzinfo=UTC), description=d.name, correlation_key=rec.correlationkey or str(rec.instanceid),
            parent_id=Long(inst.parent_id if inst.parent_id is not None else -1), sla_compliance=0,
            variables=dict(inst.variables) if with_vars and rec.state == ACTIVE else None)

    def list(self, container_id, statuses, page, size):
        q = ProcessInstanceInfo.select().where((ProcessInstanceInfo.deploymentid == container_id) &
                                               ProcessInstanceInfo.state.in_(statuses))
        out = []
        kc = self.server.containers.runtime(container_id)
        for rec in q.order_by(ProcessInstanceInfo.instanceid).offset(page * size).limit(size):
            if kc is None:
                continue
            try:
                _, inst = self._load(kc, rec.instanceid, lock=False)
            except BpmError:
                continue
            out.append(self.to_model(rec, inst, kc))
        return P.ProcessInstanceList(items=out)

    def active_in(self, container_id):
        return ProcessInstanceInfo.select().where((ProcessInstanceInfo.deploymentid == container_id) &
                                                  (ProcessInstanceInfo.state == ACTIVE)).count()

    def work_item_model(self, inst, wid, container_id):
        wi = inst.work_items[wid]
        return P.WorkItemInstance(id=Long(wid), name=wi["name"], state=wi["state"], parameters=dict(wi["params"]),
                                  process_instance_id=Long(inst.id), container_id=container_id,
                                  node_instance_id=Long(wi["niid"]), node_id=Long(list(inst.definition.nodes).index(wi["node"]) + 1))

    # -- ProcessCallbacks for the task service ------------------------------------------------------
    def complete_work_item(self, container_id, process_instance_id, work_item_id, results, user=None):
        self.operate(container_id, process_instance_id, lambda i: i.complete_work_item(work_item_id, results))

    def abort_work_item(self, container_id, process_instance_id, work_item_id, user=None):
        self.operate(container_id, process_instance_id, lambda i: i.abort_work_item(work_item_id))


def _split_ids(v):
    if v is None:
        return []
    return [x.strip() for x in str(v).split(",") if x.strip()]


def _task_spec(container_id, rec, inst, e):
    """The Human Task work item's parameters as the task service needs them."""
    from kieserver.services.bridge import HumanTaskSpec
    p = e["params"]
    try:
        priority = int(p.get("Priority") or 0)
    except (TypeError, ValueError):
        priority = 0
    node = inst.definition.nodes[e["node_id"]]
    return HumanTaskSpec(
        container_id=container_id, process_instance_id=rec.instanceid, process_id=inst.definition.id,
        work_item_id=e["work_item_id"], node_instance_id=e["niid"], node_name=node.name,
        name=p.get("TaskName") or node.name, subject=p.get("Comment"), description=p.get("Description") or p.get("Comment"),
        form_name=p.get("TaskName"), priority=priority,
        skippable=str(p.get("Skippable", "true")).lower() != "false",
        actor_ids=_split_ids(p.get("ActorId")), group_ids=_split_ids(p.get("GroupId")),
        business_admins=_split_ids(p.get("BusinessAdministratorId")),
        business_admin_groups=_split_ids(p.get("BusinessAdministratorGroupId")),
        excluded_owners=_split_ids(p.get("ExcludedOwnerId")),
        created_by=p.get("CreatedBy") or inst.initiator, correlation_key=inst.correlation_key,
        inputs={k: v for k, v in p.items()})


class BpmExtension(Extension):
    name = "BPM"
    capability = "BPM"
    start_order = 30
    models = (ProcessInstanceInfo, WorkItemInfo)

    def __init__(self, server):
        super().__init__(server)
        self.service = ProcessService(server)
        server.process_callbacks = self.service
        from kieserver.executor.commands import register_command
        service = self.service

        def timer_command(ctx):
            service.trigger_timer(ctx.get("containerId"), int(ctx.get("processInstanceId")), int(ctx.get("timerId")))
            return {}
        register_command(TIMER_COMMAND, timer_command)

    def container_created(self, kc):
        kc.runtimes["bpm"] = BpmRuntime(kc)

    def container_disposing(self, container_id, abort_instances):
        if self.service.active_in(container_id) and not abort_instances:
            return f"Container {container_id} has active process instances"
        if abort_instances:
            ProcessInstanceInfo.update(state=3).where((ProcessInstanceInfo.deploymentid == container_id) &
                                                      (ProcessInstanceInfo.state == ACTIVE)).execute()
        return None

    def routes(self):
        s, svc = self.server, self.service
        base = "/containers/{container_id}/processes"
        return [
            (base, DefinitionsResource(s, svc)),
            (base + "/definitions/{process_id}", DefinitionResource(s, svc)),
            (base + "/definitions/{process_id}/variables", DefinitionVariablesResource(s, svc)),
            (base + "/{process_id}/instances", StartResource(s, svc)),
            (base + "/{process_id}/instances/correlation/{key}", StartResource(s, svc)),
            (base + "/instances", InstancesResource(s, svc)),
            (base + "/instances/{pid}", InstanceResource(s, svc)),
            (base + "/instances/{pid}/signal/{signal}", SignalResource(s, svc)),
            (base + "/instances/signal/{signal}", ContainerSignalResource(s, svc)),
            (base + "/instances/{pid}/signals", SignalsResource(s, svc)),
            (base + "/instances/{pid}/variables", VariablesResource(s, svc)),
            (base + "/instances/{pid}/variable/{name}", VariableResource(s, svc)),
            (base + "/instances/{pid}/workitems", WorkItemsResource(s, svc)),
            (base + "/instances/{pid}/workitems/{wid}", WorkItemResource(s, svc)),
            (base + "/instances/{pid}/workitems/{wid}/completed", WorkItemCompleteResource(s, svc)),
            (base + "/instances/{pid}/workitems/{wid}/aborted", WorkItemAbortResource(s, svc)),
        ]


# ---------------------------------------------------------------------------------------------
# resources

def _guard(fn):
    def wrapper(self, req, resp, **kw):
        set_conversation_id(req, resp, self.server, kw.get("container_id"))
        try:
            return fn(self, req, resp, **kw)
        except BpmError as e:
            text_error(resp, e.status, e.message)
        except BodyError as e:
            text_error(resp, falcon.HTTP_400, f"The request could not be understood by the server due to "
                                              f"malformed syntax: {e}")
    return wrapper


def _int(v, what):
    try:
        return int(v)
    except (TypeError, ValueError):
        raise BpmError(falcon.HTTP_400, f"Invalid {what} '{v}'") from None


def _empty(req, resp, status=falcon.HTTP_201):
    resp.status = status
    resp.content_type = req.context.media
    resp.text = '""' if req.context.media.startswith("application/json") else ""


class _R:
    def __init__(self, server, service: ProcessService):
        self.server = server
        self.svc = service

    def types(self, container_id):
        kc = self.server.containers.runtime(container_id)
        return kc.types if kc else None


class StartResource(_R):
    @_guard
    def on_post(self, req, resp, container_id, process_id, key=None):
        kc = self.svc.container(container_id)
        self.svc.definition(kc, process_id)
        variables = read_body(req, MAP, types=kc.types, optional=True) or {}
        user = req.context.identity.user if req.context.identity else None
        pid = self.svc.start(container_id, process_id, variables, user, key)
        send(req, resp, Long(pid), falcon.HTTP_201, types=kc.types)


class InstancesResource(_R):
    @_guard
    def on_get(self, req, resp, container_id):
        statuses = [int(s) for s in (req.get_param_as_list("status") or ["1"])]
        page, size = int(req.get_param("page") or 0), int(req.get_param("pageSize") or 10)
        send(req, resp, self.svc.list(container_id, statuses, page, size), types=self.types(container_id))

    @_guard
    def on_delete(self, req, resp, container_id):
        for pid in req.get_param_as_list("instanceId") or []:
            self.svc.operate(container_id, _int(pid, "process instance id"), lambda i: i.abort())
        resp.status = falcon.HTTP_204


class InstanceResource(_R):
    @_guard
    def on_get(self, req, resp, container_id, pid):
        pid = _int(pid, "process instance id")
        try:
            model = self.svc.get(container_id, pid, bool_param(req, "withVars"))
        except BpmError as e:
            if e.status == falcon.HTTP_404:
                raise BpmError(falcon.HTTP_500, f"Unexpected error during processing: Unable to find process "
                                                f"instance with id {pid}\n") from None
            raise
        send(req, resp, model, types=self.types(container_id))
        resp.content_type = req.context.media + ";aggregatable=false"   # a hint KIE gives the router

    @_guard
    def on_delete(self, req, resp, container_id, pid):
        if self.server.containers.runtime(container_id) is None:
            raise BpmError(falcon.HTTP_404, f'Could not find container "{container_id}"')
        self.svc.operate(container_id, _int(pid, "process instance id"), lambda i: i.abort())
        resp.status = falcon.HTTP_204


class SignalResource(_R):
    @_guard
    def on_post(self, req, resp, container_id, pid, signal):
        event = read_body(req, ANY, types=self.types(container_id), optional=True)
        self.svc.operate(container_id, _int(pid, "process instance id"), lambda i: i.signal(signal, event))
        resp.status = falcon.HTTP_200


class ContainerSignalResource(_R):
    @_guard
    def on_post(self, req, resp, container_id, signal):
        kc = self.svc.container(container_id)
        event = read_body(req, ANY, types=kc.types, optional=True)
        ids = [_int(x, "process instance id") for x in (req.get_param_as_list("instanceId") or [])]
        if not ids:
            ids = [r.instanceid for r in ProcessInstanceInfo.select(ProcessInstanceInfo.instanceid).where(
                (ProcessInstanceInfo.deploymentid == container_id) & (ProcessInstanceInfo.state == ACTIVE))]
        for pid in ids:
            self.svc.operate(container_id, pid, lambda i: i.signal(signal, event))
        _empty(req, resp, falcon.HTTP_200)


class SignalsResource(_R):
    @_guard
    def on_get(self, req, resp, container_id, pid):
        kc = self.svc.container(container_id)
        _, inst = self.svc._load(kc, _int(pid, "process instance id"), lock=False)
        send(req, resp, inst.available_signals(), types=kc.types)


class VariablesResource(_R):
    @_guard
    def on_get(self, req, resp, container_id, pid):
        kc = self.svc.container(container_id)
        _, inst = self.svc._load(kc, _int(pid, "process instance id"), lock=False)
        send(req, resp, {k: v for k, v in inst.variables.items() if v is not None}, types=kc.types)

    @_guard
    def on_post(self, req, resp, container_id, pid):
        kc = self.svc.container(container_id)
        values = read_body(req, MAP, types=kc.types) or {}

        def set_all(inst):
            for k, v in values.items():
                inst.set_variable(k, v)
        self.svc.operate(container_id, _int(pid, "process instance id"), set_all)
        _empty(req, resp)


class VariableResource(_R):
    @_guard
    def on_get(self, req, resp, container_id, pid, name):
        kc = self.svc.container(container_id)
        _, inst = self.svc._load(kc, _int(pid, "process instance id"), lock=False)
        if inst.variables.get(name) is None:
            raise BpmError(falcon.HTTP_500, f"Unexpected error during processing: Unable to find variable '{name}' "
                                            f"within process instance with id {pid}\n")
        send(req, resp, inst.variables[name], types=kc.types)

    @_guard
    def on_put(self, req, resp, container_id, pid, name):
        kc = self.svc.container(container_id)
        value = read_body(req, ANY, types=kc.types, optional=True)
        self.svc.operate(container_id, _int(pid, "process instance id"), lambda i: i.set_variable(name, value))
        _empty(req, resp)


class WorkItemsResource(_R):
    @_guard
    def on_get(self, req, resp, container_id, pid):
        kc = self.svc.container(container_id)
        _, inst = self.svc._load(kc, _int(pid, "process instance id"), lock=False)
        items = [self.svc.work_item_model(inst, w, container_id) for w in sorted(inst.work_items)]
        send(req, resp, P.WorkItemInstanceList(items=items), types=kc.types)


class WorkItemResource(_R):
    @_guard
    def on_get(self, req, resp, container_id, pid, wid):
        kc = self.svc.container(container_id)
        _, inst = self.svc._load(kc, _int(pid, "process instance id"), lock=False)
        wid = _int(wid, "work item id")
        if wid not in inst.work_items:
            raise BpmError(falcon.HTTP_404, f'Could not find work item instance with id "{wid:,}"')
        send(req, resp, self.svc.work_item_model(inst, wid, container_id), types=kc.types)


class WorkItemCompleteResource(_R):
    @_guard
    def on_put(self, req, resp, container_id, pid, wid):
        kc = self.svc.container(container_id)
        results = read_body(req, MAP, types=kc.types, optional=True) or {}
        wid = _int(wid, "work item id")

        def complete(inst):
            if wid not in inst.work_items:
                raise BpmError(falcon.HTTP_404, f'Could not find work item instance with id "{wid:,}"')
            inst.complete_work_item(wid, results)
        self.svc.operate(container_id, _int(pid, "process instance id"), complete)
        _empty(req, resp)


class WorkItemAbortResource(_R):
    @_guard
    def on_put(self, req, resp, container_id, pid, wid):
        wid = _int(wid, "work item id")

        def abort(inst):
            if wid not in inst.work_items:
                raise BpmError(falcon.HTTP_404, f'Could not find work item instance with id "{wid:,}"')
            inst.abort_work_item(wid)
        self.svc.operate(container_id, _int(pid, "process instance id"), abort)
        _empty(req, resp)


def _definition_model(d, container_id):
    return P.ProcessDefinition(id=d.id, name=d.name, version=d.version, package=d.package, container_id=container_id,
                               dynamic=d.dynamic, process_variables=dict(d.variables),
                               service_tasks={n.name: n.task_name for n in d.nodes.values()
                                              if n.kind in ("serviceTask", "task") and n.task_name},
                               associated_entities={}, reusable_sub_processes=[], nodes=[], timers=[], tags={})


class DefinitionsResource(_R):
    @_guard
    def on_get(self, req, resp, container_id):
        kc = self.server.containers.runtime(container_id)
        if kc is None:
            raise BpmError(falcon.HTTP_404, f'Could not find container "{container_id}"')
        rt = kc.runtimes.get("bpm")
        defs = sorted(rt.definitions.values(), key=lambda d: d.name or d.id) if rt else []
        page, size = int(req.get_param("page") or 0), int(req.get_param("pageSize") or 10)
        items = [_definition_model(d, container_id) for d in defs[page * size:(page + 1) * size]]
        send(req, resp, P.ProcessDefinitionList(items=items), types=kc.types)


class DefinitionResource(_R):
    @_guard
    def on_get(self, req, resp, container_id, process_id):
        kc = self.svc.container(container_id)
        send(req, resp, _definition_model(self.svc.definition(kc, process_id), container_id), types=kc.types)


class DefinitionVariablesResource(_R):
    @_guard
    def on_get(self, req, resp, container_id, process_id):
        kc = self.svc.container(container_id)
        d = self.svc.definition(kc, process_id)
        send(req, resp, P.VariablesDefinition(variables=dict(d.variables)), types=kc.types)
