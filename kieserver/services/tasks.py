"""The human task service: WS-HumanTask as jBPM 7 implements it.

Lifecycle rules are jBPM's operations-dsl.mvel table evaluated the way MVELLifeCycleManager does:
for each command of an operation whose status list holds the task's current status, the user must
be allowed (Owner / Initiator / PotentialOwner / BusinessAdministrator; excluded owners are never
Owner, Initiator or PotentialOwner), then the command's effects apply; no status match at all is a
"no 'current status' match" error.  Events are what jBPM's audit listener (JPATaskLifeCycleEventListener)
logs, the audit row (AuditTaskImpl) follows the task, input/output variables are indexed into
TaskVariableImpl.

Every operation runs in one database transaction with the task row locked (SELECT ... FOR UPDATE on
PostgreSQL, BEGIN IMMEDIATE on SQLite) and bumps the row's OPTLOCK; completing/skipping/failing/exiting
a task of a process calls the process service (server.process_callbacks) inside that transaction.

Errors: TaskNotFound (REST 404), PermissionDenied (403 or, for the operations jBPM's UserTaskServiceImpl
converts, 404), anything else (REST 500).
"""
from __future__ import annotations

import datetime as dt
import logging
import re

import peewee

from containers.values import Long, TypeRegistry, java_type_name, to_java_string
from kieserver.services.bridge import HumanTaskSpec
from kieserver.store import db
from kieserver.store.db import database
from kieserver.store.tasks import (ACTIVE_STATUSES, STATUSES, Attachment, AuditTask, BusinessAdmin, Comment,
                                   Content, ExcludedOwner, OrganizationalEntity, PotOwner, Task, TaskEvent,
                                   TaskVariable, sql)
from marshallers import ANY, MAP, XSTREAM, MarshallingError, marshal, unmarshal
from marshallers.types.tasks import (TaskAttachment, TaskComment, TaskEventInstance, TaskEventInstanceList,
                                     TaskInstance, TaskSummary, TaskSummaryList)

log = logging.getLogger("kieserver.tasks")

ADMIN_USER = "Administrator"      # org.jbpm.ht.admin.user
ADMIN_GROUP = "Administrators"    # org.jbpm.ht.admin.group
USER, GROUP = "User", "Group"

# variables jBPM does not index into TaskVariableImpl (TaskLifeCycleEventConstants.SKIPPED_TASK_VARIABLES)
SKIPPED_TASK_VARIABLES = frozenset((
    "ActorId", "TaskName", "NodeName", "GroupId", "Skippable", "NotStartedReassign", "NotStartedNotify",
    "NotCompletedReassign", "NotCompletedNotify", "BusinessAdministratorId", "BusinessAdministratorGroupId",
    "TaskStakeholderId", "ExcludedOwnerId", "RecipientId"))
MESSAGE_LENGTH = 255              # org.jbpm.ht.task.description.length


# =============================================================================================
# errors

class TaskServiceError(Exception):
    """Base: REST answers 500 "Unexpected error during processing: <message>"."""


class TaskNotFound(TaskServiceError):
    """jBPM TaskNotFoundException: REST 404 "Could not find task instance with id "{id}""."""


class PermissionDenied(TaskServiceError):
    """jBPM PermissionDeniedException."""


class ContainerNotFound(TaskServiceError):
    """KieServerRegistry: unknown container id or alias (IllegalArgumentException, REST 500)."""


class ConcurrentUpdate(TaskServiceError):
    """The task row changed under us (OPTLOCK mismatch)."""


def grouped(n) -> str:
    """A number as java.text.MessageFormat prints it ({0} of a Long): 1234 -> 1,234."""
    try:
        return f"{int(n):,}"
    except (TypeError, ValueError):
        return str(n)


def not_found_message(task_id) -> str:
    return f'Could not find task instance with id "{grouped(task_id)}"'


# =============================================================================================
# operations-dsl.mvel

class _Cmd:
    __slots__ = ("status", "allowed", "new_status", "to_previous", "owner_to_user", "owner_to_null",
                 "add_target", "remove_user", "group_target_allowed", "skipable", "exec")

    def __init__(self, status, allowed, new_status=None, *, to_previous=False, owner_to_user=False,
                 owner_to_null=False, add_target=False, remove_user=False, group_target_allowed=True,
                 skipable=False, exec=None):
        self.status = tuple(status)
        self.allowed = tuple(allowed)
        self.new_status = new_status
        self.to_previous = to_previous
        self.owner_to_user = owner_to_user
        self.owner_to_null = owner_to_null
        self.add_target = add_target
        self.remove_user = remove_user
        self.group_target_allowed = group_target_allowed
        self.skipable = skipable
        self.exec = exec


PO, BA, OWNER, INITIATOR, STAKEHOLDER = "PotentialOwner", "BusinessAdministrator", "Owner", "Initiator", "TaskStakeholders"
_ALL = STATUSES

OPERATIONS = {
    "Claim": [_Cmd(["Ready"], [PO, BA], "Reserved", owner_to_user=True)],
    "Start": [_Cmd(["Ready"], [PO, BA], "InProgress", owner_to_user=True),
              _Cmd(["Reserved"], [OWNER], "InProgress")],
    "Stop": [_Cmd(["InProgress"], [OWNER, BA], "Reserved")],
    "Release": [_Cmd(["Reserved", "InProgress"], [OWNER, BA], "Ready", owner_to_null=True)],
    "Suspend": [_Cmd(["Ready"], [PO, BA], "Suspended"),
                _Cmd(["Reserved", "InProgress"], [OWNER, BA], "Suspended")],
    "Resume": [_Cmd(["Suspended"], [PO, BA], to_previous=True),
               _Cmd(["Suspended"], [OWNER, BA], to_previous=True)],
    "Skip": [_Cmd(["Created"], [INITIATOR, BA], "Obsolete", skipable=True),
             _Cmd(["Ready"], [PO, BA], "Obsolete", skipable=True),
             _Cmd(["Reserved", "InProgress"], [OWNER, BA], "Obsolete", skipable=True)],
    "Delegate": [_Cmd(["Ready"], [PO, BA], "Ready", add_target=True, exec="Claim"),
                 _Cmd(["Reserved", "InProgress"], [OWNER, BA], "Ready", add_target=True, exec="Claim")],
    "Forward": [_Cmd(["Ready"], [PO, BA], "Ready", add_target=True, remove_user=True,
                     group_target_allowed=False, owner_to_null=True),
                _Cmd(["Reserved", "InProgress"], [OWNER, BA], "Ready", add_target=True, remove_user=True,
                     group_target_allowed=False, owner_to_null=True)],
    "Complete": [_Cmd(["InProgress"], [OWNER, BA], "Completed")],
    "Fail": [_Cmd(["InProgress"], [OWNER, BA], "Failed")],
    "Activate": [_Cmd(["Created"], [BA], "Ready")],
    "Nominate": [_Cmd(["Created"], [BA], exec="Nominate")],
    "Exit": [_Cmd(["Created", "Ready", "Reserved", "InProgress", "Suspended"], [BA], "Exited")],
    "Modify": [_Cmd(["Created", "Ready", "Reserved", "InProgress", "Suspended"], [OWNER, INITIATOR, PO, BA, STAKEHOLDER])],
    "View": [_Cmd(_ALL, [OWNER, INITIATOR, PO, BA, STAKEHOLDER])],
}

# operation -> event type logged after it (Release is logged before, as jBPM does)
_EVENT = {"Activate": "ACTIVATED", "Claim": "CLAIMED", "Complete": "COMPLETED", "Delegate": "DELEGATED",
          "Exit": "EXITED", "Fail": "FAILED", "Forward": "FORWARDED", "Nominate": "NOMINATED",
          "Resume": "RESUMED", "Skip": "SKIPPED", "Start": "STARTED", "Stop": "STOPPED",
          "Suspend": "SUSPENDED"}


# =============================================================================================
# helpers

def _now():
    n = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return n.replace(microsecond=n.microsecond // 1000 * 1000)


def _naive(d):
    if d is None:
        return None
    if isinstance(d, (int, float)):
        d = dt.datetime.fromtimestamp(d / 1000.0, dt.timezone.utc)
    if d.tzinfo is not None:
        d = d.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return d.replace(microsecond=d.microsecond // 1000 * 1000)


def _aware(d):
    if d is None:
        return None
    if isinstance(d, str):  # SQLite may hand back text
        d = dt.datetime.fromisoformat(d)
    return d.replace(tzinfo=dt.timezone.utc) if d.tzinfo is None else d


def _ids(values):
    """ActorId-style values: a list or a comma-separated string -> trimmed non-empty ids, in order."""
    out = []
    for v in values or []:
        for part in str(v).split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def _user_str(user):
    return f"[UserImpl:'{user}']"


def _date_string(d):
    return to_java_string(_aware(d)) if d is not None else None


_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$", re.I)
_SHORT = re.compile(r"^(\d+)\s*(ms|s|m|h|d)$", re.I)


def _parse_until(value, now):
    """suspendUntil: an ISO-8601 duration (PT3S), a jBPM short duration (3s, 500ms) or a date."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return _naive(value)
    text = str(value).strip()
    m = _DURATION.match(text)
    if m and any(m.groups()):
        d, h, mi, s = m.groups()
        return now + dt.timedelta(days=int(d or 0), hours=int(h or 0), minutes=int(mi or 0), seconds=float(s or 0))
    m = _SHORT.match(text)
    if m:
        n, unit = int(m.group(1)), m.group(2).lower()
        secs = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[unit] * n
        return now + dt.timedelta(seconds=secs)
    try:
        return _naive(dt.datetime.fromisoformat(text))
    except ValueError:
        return None


class _Loaded:
    """A task row with its people assignments ([(entity id, 'User'|'Group')] in assignment order)."""
    __slots__ = ("row", "pot", "bas", "excl", "pot_changed")

    def __init__(self, row, pot, bas, excl):
        self.row = row
        self.pot = pot
        self.bas = bas
        self.excl = excl
        self.pot_changed = False

    @property
    def id(self):
        return self.row.id

    @property
    def status(self):
        return self.row.status

    def set_status(self, status):
        # TaskDataImpl.setStatus keeps the previous one
        self.row.previousstatus = STATUSES.index(self.row.status) if self.row.status in STATUSES else None
        self.row.status = status

    @property
    def previous_status(self):
        p = self.row.previousstatus
        return STATUSES[p] if p is not None and 0 <= p < len(STATUSES) else None


# =============================================================================================
# the service

class TaskService:
    """Implements kieserver.services.bridge.HumanTasks plus every task operation and query."""

    def __init__(self, server=None, config=None):
        self.server = server
        self.config = config if config is not None else (server.config if server is not None else None)

    # -- identity --------------------------------------------------------------------------------
    def groups_of(self, user) -> list:
        """The user-group callback: roles of the configured user plus `groups:` memberships."""
        if self.config is None or user is None:
            return []
        return list(self.config.user_groups(user))

    # -- transactions ----------------------------------------------------------------------------
    def _tx(self):
        obj = database.obj
        if isinstance(obj, peewee.SqliteDatabase) and not obj.in_transaction():
            return obj.atomic(lock_type="IMMEDIATE")
        return database.atomic()

    def _lock_row(self, task_id):
        return sql.get(Task, "id", task_id, for_update=db.is_postgres())

    def _load(self, task_id, lock=True) -> _Loaded:
        try:
            task_id = int(task_id)
        except (TypeError, ValueError):
            raise TaskNotFound(f"Task with id {task_id} was not found") from None
        row = self._lock_row(task_id) if lock else sql.get(Task, "id", task_id)
        if row is None:
            raise TaskNotFound(f"Task with id {task_id} was not found")
        pot, bas, excl = self._assignments(task_id)
        return _Loaded(row, pot, bas, excl)

    def _assignments(self, task_id):
        text = ("SELECT 0, a.id, a.entity_id, e.dtype FROM peopleassignments_potowners a "
                "LEFT JOIN organizationalentity e ON e.id = a.entity_id WHERE a.task_id = {p} "
                "UNION ALL SELECT 1, a.id, a.entity_id, e.dtype FROM peopleassignments_bas a "
                "LEFT JOIN organizationalentity e ON e.id = a.entity_id WHERE a.task_id = {p} "
                "UNION ALL SELECT 2, a.id, a.entity_id, e.dtype FROM peopleassignments_exclowners a "
                "LEFT JOIN organizationalentity e ON e.id = a.entity_id WHERE a.task_id = {p} "
                "ORDER BY 1, 2")
        p = database.param
        out = ([], [], [])
        for kind, _, eid, dtype in database.execute_sql(text.format(p=p), (task_id, task_id, task_id)).fetchall():
            out[kind].append((eid, dtype or USER))
        return out

    def _entity(self, eid, dtype):
        sql.insert(OrganizationalEntity, {"id": eid, "dtype": dtype}, ignore=True)

    def _entity_type(self, eid, default=USER):
        row = sql.get(OrganizationalEntity, "id", eid)
        return row.dtype if row is not None else default

    # -- content ---------------------------------------------------------------------------------
    def _types(self, container_id):
        if self.server is not None and container_id:
            try:
                kc = self.server.containers.runtime(container_id)
                if kc is not None and getattr(kc, "types", None) is not None:
                    return kc.types
            except Exception:  # noqa: BLE001 - a broken container still lets us read data
                log.debug("No runtime for container %s", container_id, exc_info=True)
        return TypeRegistry()

    def types_for(self, container_id):
        return self._types(container_id)

    @staticmethod
    def _serialize(value, types=None) -> bytes:
        return marshal(value, XSTREAM, types=types).encode("utf-8")

    def _store_content(self, value, types=None, content_id=None) -> tuple[int, int]:
        data = self._serialize(value, types)
        if content_id is not None and content_id > 0:
            if sql.update(Content, {"content": data}, {"id": content_id}):
                return content_id, len(data)
        return sql.insert(Content, {"content": data}), len(data)

    def _read_content(self, content_id, container_id, expected=MAP, types=None):
        if content_id is None or content_id <= 0:
            return None
        row = sql.get(Content, "id", content_id)
        if row is None or row.content is None:
            return None
        try:
            return unmarshal(bytes(row.content), XSTREAM, expected, types=types or self._types(container_id))
        except MarshallingError as e:
            log.warning("Unreadable content %s: %s", content_id, e)
            return None

    def _read_map(self, content_id, container_id, types=None):
        v = self._read_content(content_id, container_id, ANY, types)
        if v is None:
            return None
        return v if isinstance(v, dict) else {"Content": v}

    # -- events and audit ------------------------------------------------------------------------
    def _event(self, t: _Loaded, etype, user, message=None, owner=None, when=None):
        if message is not None and len(message) > MESSAGE_LENGTH:
            message = message[:MESSAGE_LENGTH]
        r = t.row
        sql.insert(TaskEvent, {"taskid": r.id, "type": etype, "userid": user, "logtime": when or _now(),
                               "processinstanceid": r.processinstanceid, "workitemid": r.workitemid,
                               "message": message, "optlock": 0,
                               "currentowner": owner if owner is not None else (r.actualowner_id or "")})

    def _audit_sync(self, t: _Loaded, when):
        r = t.row
        sql.update(AuditTask, {"status": r.status, "actualowner": r.actualowner_id or "", "name": r.name,
                               "description": r.description, "priority": r.priority, "duedate": r.expirationtime,
                               "activationtime": r.activationtime, "lastmodificationdate": when},
                   {"taskid": r.id})

    def _updated_events(self, t: _Loaded, user, when):
        """afterTaskUpdatedEvent: one UPDATED event per changed field, compared with the audit row."""
        r = t.row
        a = sql.get(AuditTask, "taskid", r.id)
        if a is None:
            return

        def log_field(field, before, after):
            return f"Updated {field} {{From: '{before if before is not None else ''}' to: '{after if after is not None else ''}'}}"

        if r.description != a.description:
            msg = log_field("Description", a.description, r.description)
            if len(msg) > MESSAGE_LENGTH:
                msg = msg[:MESSAGE_LENGTH - 2] + "'}"
            self._event(t, "UPDATED", user, msg, when=when)
        if r.name != a.name:
            self._event(t, "UPDATED", user, log_field("Name", a.name, r.name), when=when)
        if (a.priority or 0) != (r.priority or 0):
            self._event(t, "UPDATED", user, log_field("Priority", str(a.priority or 0), str(r.priority or 0)), when=when)
        before, after = _naive(_aware(a.duedate)), _naive(_aware(r.expirationtime))
        if before != after:
            self._event(t, "UPDATED", user, log_field("DueDate", _date_string(before),
                                                      _date_string(after) or ""), when=when)

    def _variables(self, t: _Loaded, values: dict, vtype: int, when, replace=False):
        r = t.row
        if replace:
            TaskVariable.delete().where((TaskVariable.taskid == r.id) & (TaskVariable.type == vtype)).execute()
        rows = []
        for k, v in (values or {}).items():
            if k in SKIPPED_TASK_VARIABLES or v is None:
                continue
            text = to_java_string(v)
            rows.append({"taskid": r.id, "processinstanceid": r.processinstanceid, "processid": r.processid,
                         "name": k, "value": text[:4000], "type": vtype, "modificationdate": when})
        for row in rows:
            sql.insert(TaskVariable, row)

    # -- persistence of a changed task -----------------------------------------------------------
    def _save(self, t: _Loaded):
        r = t.row
        fields = dict(status=r.status, previousstatus=r.previousstatus, actualowner_id=r.actualowner_id,
                      name=r.name, description=r.description, subject=r.subject, priority=r.priority,
                      formname=r.formname, skipable=r.skipable, expirationtime=r.expirationtime,
                      documentcontentid=r.documentcontentid, outputcontentid=r.outputcontentid,
                      faultcontentid=r.faultcontentid, faultname=r.faultname, faulttype=r.faulttype,
                      activationtime=r.activationtime, suspenduntil=r.suspenduntil, optlock=(r.optlock or 0) + 1)
        n = sql.update(Task, fields, {"id": r.id, "optlock": r.optlock or 0})
        if n != 1:
            raise ConcurrentUpdate(f"Task {r.id} was modified concurrently")
        r.optlock = (r.optlock or 0) + 1
        if t.pot_changed:
            PotOwner.delete().where(PotOwner.task_id == r.id).execute()
            for eid, dtype in t.pot:
                self._entity(eid, dtype)
                sql.insert(PotOwner, {"task_id": r.id, "entity_id": eid})
            t.pot_changed = False

    # =========================================================================================
    # bridge.HumanTasks

    def create_task(self, spec: HumanTaskSpec) -> int:
        """Create and persist the task (nested in the caller's transaction when there is one)."""
        with self._tx():
            return self._create(spec)

    def _create(self, spec: HumanTaskSpec) -> int:
        when = _now()
        pot = [(u, USER) for u in _ids(spec.actor_ids)]
        for g in _ids(spec.group_ids):
            if g not in [e for e, _ in pot]:
                pot.append((g, GROUP))
        bas = [(ADMIN_USER, USER), (ADMIN_GROUP, GROUP)]
        for u in _ids(spec.business_admins):
            if u not in [e for e, _ in bas]:
                bas.append((u, USER))
        for g in _ids(spec.business_admin_groups):
            if g not in [e for e, _ in bas]:
                bas.append((g, GROUP))
        excl = [(u, USER) for u in _ids(spec.excluded_owners)]
        created_by = spec.created_by or None
        # AddTaskCommand.initializeTask: one potential owner user -> Reserved, else Ready
        status, owner = "Created", None
        if len(pot) == 1:
            if pot[0][1] == USER:
                status, owner = "Reserved", pot[0][0]
            else:
                status = "Ready"
        elif len(pot) > 1:
            status = "Ready"
        for eid, dtype in pot + bas + excl:
            self._entity(eid, dtype)
        if created_by:
            self._entity(created_by, USER)
        types = self._types(spec.container_id)
        name = spec.name if spec.name is not None else spec.node_name
        inputs = dict(spec.inputs or {})
        content_id, _ = self._store_content(inputs, types)
        pid = int(spec.process_instance_id if spec.process_instance_id is not None else -1)
        wid = int(spec.work_item_id if spec.work_item_id is not None else -1)
        parent = int(spec.parent_id if spec.parent_id is not None else -1)
        due = _naive(spec.expiration_date or spec.due_date)
        priority = int(spec.priority or 0)
        task_id = sql.insert(Task, {
            "name": name, "subject": spec.subject, "description": spec.description, "formname": spec.form_name,
            "priority": priority, "skipable": bool(spec.skippable), "status": status,
            "previousstatus": 0 if status != "Created" else None, "actualowner_id": owner,
            "createdby_id": created_by, "taskinitiator_id": created_by, "createdon": when, "activationtime": when,
            "expirationtime": due, "deploymentid": spec.container_id, "processinstanceid": pid,
            "processid": spec.process_id, "processsessionid": -1, "workitemid": wid, "parentid": parent,
            "archived": 0, "optlock": 0, "documentcontentid": content_id, "documenttype": "java.util.HashMap",
            "documentaccesstype": 0, "outputcontentid": -1, "faultcontentid": -1})
        for model, entities in ((PotOwner, pot), (BusinessAdmin, bas), (ExcludedOwner, excl)):
            for e, _ in entities:
                sql.insert(model, {"task_id": task_id, "entity_id": e})
        sql.insert(AuditTask, {
            "taskid": task_id, "name": name, "status": status, "activationtime": when, "actualowner": owner or "",
            "description": spec.description, "priority": priority, "createdby": created_by or "", "createdon": when,
            "duedate": due, "processinstanceid": pid, "processid": spec.process_id, "processsessionid": -1,
            "deploymentid": spec.container_id, "parentid": parent, "workitemid": wid, "lastmodificationdate": when})
        t = _Loaded(Task(id=task_id, processinstanceid=pid, processid=spec.process_id, workitemid=wid,
                         actualowner_id=owner), pot, bas, excl)
        self._variables(t, inputs, 0, when)
        # ADDED is logged with the task seen as Created, ACTIVATED follows when it is not
        self._event(t, "ADDED", created_by, owner="" if status == "Created" else None, when=when)
        if status != "Created":
            self._event(t, "ACTIVATED", created_by, when=when)
        return task_id

    def exit_tasks_of_process(self, process_instance_id: int, user: str | None = None) -> None:
        """The process was aborted: every open task of it goes to Exited (no callback)."""
        with self._tx():
            ids = [r.id for r in Task.select(Task.id).where(
                (Task.processinstanceid == int(process_instance_id)) & (Task.status.in_(ACTIVE_STATUSES)))
                .order_by(Task.id)]
            for tid in ids:
                self._system_exit(tid)

    def exit_task_of_work_item(self, work_item_id: int) -> None:
        """The node was cancelled (boundary event, terminate...): its task goes to Exited."""
        with self._tx():
            row = Task.select(Task.id).where(Task.workitemid == int(work_item_id)).order_by(Task.id.desc()).first()
            if row is not None:
                self._system_exit(row.id)

    def _system_exit(self, task_id):
        # LocalHTWorkItemHandler.abortWorkItem: taskService.exit(taskId, "Administrator"); a task that
        # is no longer active is left alone
        t = self._load(task_id)
        if t.status not in ACTIVE_STATUSES:
            return
        when = _now()
        t.set_status("Exited")
        self._save(t)
        self._event(t, "EXITED", ADMIN_USER, when=when)
        self._audit_sync(t, when)

    # =========================================================================================
    # containers and tasks

    def resolve_container(self, container_id, task_id=None):
        """KieServerRegistry.getContainerId with a ByTaskIdContainerLocator: an id or an alias."""
        if self.server is None:
            return container_id
        cs = self.server.containers
        if cs.find(container_id) is not None:
            return container_id
        if task_id is not None:
            try:
                row = Task.select(Task.deploymentid).where(Task.id == int(task_id)).first()
            except (TypeError, ValueError):
                row = None
            if row is not None and row.deploymentid:
                rec = cs.find(row.deploymentid)
                if rec is not None and rec.alias == container_id:
                    return rec.container_id
        rec = cs.resolve(container_id)
        if rec is not None:
            return rec.container_id
        raise ContainerNotFound(f"Container '{container_id}' is not instantiated or cannot find container "
                                f"for alias '{container_id}'")

    def _validate(self, t: _Loaded, container_id):
        if container_id is not None and t.row.deploymentid != container_id:
            raise TaskNotFound(f"Task with id {t.id} is not associated with {container_id}")

    def _open(self, task_id, container_id, lock=True) -> _Loaded:
        t = self._load(task_id, lock=lock)
        self._validate(t, container_id)
        return t

    # =========================================================================================
    # lifecycle

    def _allowed(self, cmd: _Cmd, t: _Loaded, user, groups) -> bool:
        excluded = any(e == user and d != GROUP for e, d in t.excl)

        def member(entities):
            for e, d in entities:
                if d == GROUP:
                    if e in groups:
                        return True
                elif e == user:
                    return True
            return False

        ok = False
        r = t.row
        for a in cmd.allowed:
            if ok:
                break
            if a == OWNER:
                ok = not excluded and r.actualowner_id is not None and r.actualowner_id == user
            elif a == INITIATOR:
                ok = not excluded and r.createdby_id is not None and (r.createdby_id == user or r.createdby_id in groups)
            elif a == PO:
                ok = not excluded and member(t.pot)
            elif a == BA:
                ok = member(t.bas)
            elif a == STAKEHOLDER:
                ok = False
        if ok and cmd.skipable:
            ok = bool(r.skipable)
        return ok

    def _apply(self, cmd: _Cmd, t: _Loaded, user, target, entities):
        r = t.row
        if cmd.new_status is not None:
            t.set_status(cmd.new_status)
        elif cmd.to_previous:
            t.set_status(t.previous_status)
        if cmd.add_target and target is not None and target[0] not in [e for e, _ in t.pot]:
            t.pot.append(target)
            t.pot_changed = True
        if cmd.remove_user:
            kept = [(e, d) for e, d in t.pot if not (e == user and d != GROUP)]
            if len(kept) != len(t.pot):
                t.pot = kept
                t.pot_changed = True
        if cmd.owner_to_user:
            r.actualowner_id = user
        if cmd.owner_to_null:
            r.actualowner_id = None
        if cmd.exec == "Claim":
            r.actualowner_id = target[0] if target is not None else None
        elif cmd.exec == "Nominate" and entities:
            t.pot = list(entities)
            t.pot_changed = True
            if t.status != "Created":
                raise PermissionDenied("Can only assign task owner if status is Created!")
            if len(entities) == 1:
                if entities[0][1] == USER:
                    r.actualowner_id = entities[0][0]
                    t.set_status("Reserved")
                else:
                    t.set_status("Ready")
            elif len(entities) > 1:
                t.set_status("Ready")

    def _eval(self, op, t: _Loaded, user, groups, target=None, entities=None):
        matched = False
        for cmd in OPERATIONS[op]:
            if t.status in cmd.status:
                matched = True
                if not self._allowed(cmd, t, user, groups):
                    raise PermissionDenied(f"User '{_user_str(user)}' does not have permissions to execute "
                                           f"operation '{op}' on task id {t.id}")
                self._apply(cmd, t, user, target, entities)
            if not cmd.group_target_allowed and target is not None and target[1] == GROUP:
                raise PermissionDenied(f"User '{_user_str(user)}' was unable to execute operation '{op}' on "
                                       f"task id {t.id} due to 'target entity cannot be group'")
        if not matched:
            raise PermissionDenied(f"User '{_user_str(user)}' was unable to execute operation '{op}' on task id "
                                   f"{t.id} due to a no 'current status' match")

    def _operation(self, op, t: _Loaded, user, groups, *, target_id=None, data=None, entities=None, when=None):
        """MVELLifeCycleManager.taskOperation on a loaded, locked task (caller holds the transaction)."""
        when = when or _now()
        r = t.row
        target = None
        if target_id is not None and target_id != "":
            target = (target_id, self._entity_type(target_id))
            self._entity(target_id, target[1])
        owner_before = r.actualowner_id or ""
        if op == "Forward" and any(d == GROUP for _, d in t.pot):
            raise PermissionDenied("Task forward operation not allowed for task with group assignment")
        if op == "Fail" and data is not None:
            cid, _ = self._store_content(data, self._types(r.deploymentid))
            r.faultcontentid = cid
            r.faultname = str(data.get("faultName")) if data.get("faultName") is not None else None
            r.faulttype = str(data.get("faultType")) if data.get("faultType") is not None else None
        self._eval(op, t, user, groups, target, entities)
        if op == "Delegate":
            t.set_status("Reserved")   # "a really bad hack to execute the correct behavior" (jBPM)
        if op == "Suspend":
            r.suspenduntil = _parse_until((data or {}).get("suspendUntil"), when) if data else None
        elif op in ("Resume", "Exit", "Complete", "Fail", "Skip", "Release", "Start", "Stop"):
            r.suspenduntil = None
        self._save(t)
        if op == "Release":
            self._event(t, "RELEASED", user, owner=owner_before, when=when)
        elif op == "Forward":
            self._event(t, "FORWARDED", user, "Forward to [" + ",".join(e for e, _ in t.pot) + "]", when=when)
        elif op != "Complete":
            self._event(t, _EVENT[op], user, when=when)
        self._audit_sync(t, when)

    def _callback(self, kind, t: _Loaded, user, results=None):
        r = t.row
        cb = self.server.process_callbacks if self.server is not None else None
        if cb is None or r.processinstanceid is None or r.processinstanceid <= 0:
            return
        if kind == "complete":
            cb.complete_work_item(r.deploymentid, r.processinstanceid, r.workitemid, results or {}, user)
        else:
            cb.abort_work_item(r.deploymentid, r.processinstanceid, r.workitemid, user)

    def _simple(self, op, container_id, task_id, user, groups=None, **kw):
        if groups is None:
            groups = self.groups_of(user)
        with self._tx():
            t = self._open(task_id, container_id)
            self._operation(op, t, user, groups, **kw)
            return t

    # -- the operations ------------------------------------------------------------------------
    def activate(self, container_id, task_id, user, groups=None):
        self._simple("Activate", container_id, task_id, user, groups)

    def claim(self, container_id, task_id, user, groups=None):
        self._simple("Claim", container_id, task_id, user, groups)

    def claim_bulk(self, container_id, task_ids, user, groups=None):
        """UserTaskServiceImpl.claim(Collection): tasks that are missing or refused are skipped."""
        for tid in task_ids:
            try:
                self.claim(container_id, tid, user, groups)
            except (TaskNotFound, PermissionDenied) as e:
                log.warning("Problem claiming task id %s: %s", tid, e)

    def start(self, container_id, task_id, user, groups=None):
        self._simple("Start", container_id, task_id, user, groups)

    def stop(self, container_id, task_id, user, groups=None):
        self._simple("Stop", container_id, task_id, user, groups)

    def release(self, container_id, task_id, user, groups=None):
        self._simple("Release", container_id, task_id, user, groups)

    def suspend(self, container_id, task_id, user, data=None, groups=None):
        t = self._simple("Suspend", container_id, task_id, user, groups, data=data or {})
        if t.row.suspenduntil is not None:
            self._schedule_resume(t.row)

    def resume(self, container_id, task_id, user, groups=None):
        self._simple("Resume", container_id, task_id, user, groups)

    def delegate(self, container_id, task_id, user, target_user, groups=None):
        if target_user is None:
            raise TaskServiceError("User null was not found in callback")
        self._simple("Delegate", container_id, task_id, user, groups, target_id=target_user)

    def forward(self, container_id, task_id, user, target_entity, groups=None):
        if target_entity is None:
            raise TaskServiceError("User null was not found in callback")
        self._simple("Forward", container_id, task_id, user, groups, target_id=target_entity)

    def nominate(self, container_id, task_id, user, pot_owners, groups=None):
        entities = []
        for p in pot_owners or []:
            if p not in [e for e, _ in entities]:
                entities.append((p, USER))
        self._simple("Nominate", container_id, task_id, user, groups, entities=entities)

    def exit(self, container_id, task_id, user, groups=None):
        with self._tx():
            t = self._open(task_id, container_id)
            self._operation("Exit", t, user, self.groups_of(user) if groups is None else groups)
            self._callback("abort", t, user)

    def fail(self, container_id, task_id, user, fault=None, groups=None):
        with self._tx():
            t = self._open(task_id, container_id)
            self._operation("Fail", t, user, self.groups_of(user) if groups is None else groups, data=fault)
            self._callback("abort", t, user)

    def skip(self, container_id, task_id, user, groups=None):
        with self._tx():
            t = self._open(task_id, container_id)
            self._operation("Skip", t, user, self.groups_of(user) if groups is None else groups)
            outputs = self._read_map(t.row.outputcontentid, t.row.deploymentid) or {}
            self._callback("complete", t, user, dict(outputs))

    def complete(self, container_id, task_id, user, data=None, groups=None, auto_progress=False):
        groups = self.groups_of(user) if groups is None else groups
        with self._tx():
            t = self._open(task_id, container_id)
            when = _now()
            if auto_progress:
                # UserTaskServiceImpl.completeAutoProgress: Ready -> claim + start, Reserved -> start
                if t.status == "Ready":
                    self._operation("Claim", t, user, groups, when=when)
                    self._operation("Start", t, user, groups, when=when)
                elif t.status == "Reserved":
                    self._operation("Start", t, user, groups, when=when)
            r = t.row
            types = self._types(r.deploymentid)
            outputs = self._read_map(r.outputcontentid, r.deploymentid, types)
            if outputs is not None:
                if data is not None:
                    outputs.update(data)
                data = outputs
            self._operation("Complete", t, user, groups, when=when)
            if data is not None:
                self._add_output(t, data, user, types, when, merged=True)
            self._event(t, "COMPLETED", user, when=when)
            results = dict(data or {})
            results["ActorId"] = r.actualowner_id
            self._callback("complete", t, user, results)

    # -- content operations -------------------------------------------------------------------
    def _add_output(self, t: _Loaded, params, user, types, when, merged=False) -> int:
        """TaskContentServiceImpl.addOutputContent: merge into the output content (one per task)."""
        r = t.row
        current = None if merged else self._read_map(r.outputcontentid, r.deploymentid, types)
        value = dict(params)
        if current is not None:
            current.update(params)
            value = current
        cid, _ = self._store_content(value, types, r.outputcontentid)
        if cid != r.outputcontentid:
            r.outputcontentid = cid
            r.outputtype = "java.util.HashMap"
            self._save(t)
        self._variables(t, params, 1, when, replace=True)
        if params:
            self._event(t, "UPDATED", user, "Task output data updated", when=when)
            AuditTask.update(lastmodificationdate=when).where(AuditTask.taskid == r.id).execute()
        return cid

    def save_output(self, container_id, task_id, user, params, groups=None) -> int:
        """PUT contents/output: Modify permission, then merge into the output content; its id."""
        groups = self.groups_of(user) if groups is None else groups
        with self._tx():
            t = self._open(task_id, container_id)
            self._eval("Modify", t, user, groups)
            return self._add_output(t, params or {}, user, self._types(t.row.deploymentid), _now())

    def input_content(self, container_id, task_id) -> dict:
        t = self._open(task_id, container_id, lock=False)
        return self._read_map(t.row.documentcontentid, t.row.deploymentid) or {}

    def output_content(self, container_id, task_id) -> dict:
        t = self._open(task_id, container_id, lock=False)
        r = t.row
        if r.outputcontentid is None or r.outputcontentid <= 0:
            return {}
        return self._read_map(r.outputcontentid, r.deploymentid) or {}

    def delete_content(self, container_id, task_id, content_id):
        """DeleteContentCommand -> TaskContentService.deleteDocumentContent: the content row goes and the
        task's *document* (input) content id is reset to -1, exactly as jBPM does."""
        with self._tx():
            t = self._open(task_id, container_id)
            t.row.documentcontentid = -1
            self._save(t)
            Content.delete().where(Content.id == int(content_id)).execute()

    # -- properties -----------------------------------------------------------------------------
    def _set(self, container_id, task_id, user, fn, event=True):
        with self._tx():
            t = self._open(task_id, container_id)
            when = _now()
            fn(t.row)
            self._save(t)
            if event:
                self._updated_events(t, user, when)
                self._audit_sync(t, when)

    def set_priority(self, container_id, task_id, priority, user=None):
        self._set(container_id, task_id, user, lambda r: setattr(r, "priority", int(priority)))

    def set_name(self, container_id, task_id, name, user=None):
        self._set(container_id, task_id, user, lambda r: setattr(r, "name", name))

    def set_description(self, container_id, task_id, description, user=None):
        self._set(container_id, task_id, user, lambda r: setattr(r, "description", description))

    def set_expiration_date(self, container_id, task_id, date, user=None):
        self._set(container_id, task_id, user, lambda r: setattr(r, "expirationtime", _naive(date)))

    def set_skipable(self, container_id, task_id, skipable, user=None):
        self._set(container_id, task_id, user, lambda r: setattr(r, "skipable", bool(skipable)), event=False)

    def update(self, container_id, task_id, user, *, name=None, description=None, priority=None,
               expiration_date=None, form_name=None, inputs=None, outputs=None, groups=None):
        """UpdateTaskCommand: business administrators and potential owners (or the owner) only."""
        groups = self.groups_of(user) if groups is None else groups
        with self._tx():
            t = self._open(task_id, container_id)
            r = t.row

            def member(entities):
                return any((e in groups) if d == GROUP else (e == user) for e, d in entities)

            if not member(t.bas) and not (r.actualowner_id == user or member(t.pot)):
                raise PermissionDenied(f"User {user} is not business admin or potential owner of task {t.id}")
            when = _now()
            if form_name is not None:
                r.formname = form_name
            if name is not None:
                r.name = name
            if description is not None:
                r.description = description
            if priority is not None:
                r.priority = int(priority)
            if expiration_date is not None:
                r.expirationtime = _naive(expiration_date)
            types = self._types(r.deploymentid)
            if inputs is not None:
                current = self._read_map(r.documentcontentid, r.deploymentid, types)
                merged = dict(current or {})
                merged.update(inputs)
                cid, _ = self._store_content(merged, types, r.documentcontentid if current is not None else None)
                r.documentcontentid = cid
                self._variables(t, inputs, 0, when)
            self._save(t)
            if outputs is not None:
                self._add_output(t, outputs, user, types, when)
            self._updated_events(t, user, when)
            self._audit_sync(t, when)

    # -- comments --------------------------------------------------------------------------------
    def add_comment(self, container_id, task_id, text, added_by, added_at=None) -> int:
        with self._tx():
            t = self._open(task_id, container_id, lock=False)
            if added_by:
                self._entity(added_by, USER)
            return Comment.insert(text=text, addedby_id=added_by, addedat=_naive(added_at),
                                  taskdata_comments_id=t.id).execute()

    def delete_comment(self, container_id, task_id, comment_id):
        with self._tx():
            t = self._open(task_id, container_id, lock=False)
            Comment.delete().where((Comment.id == int(comment_id)) & (Comment.taskdata_comments_id == t.id)).execute()

    def comments(self, container_id, task_id) -> list:
        t = self._open(task_id, container_id, lock=False)
        return [self._comment(c) for c in Comment.select().where(Comment.taskdata_comments_id == t.id)
                .order_by(Comment.id)]

    def comment(self, container_id, task_id, comment_id):
        t = self._open(task_id, container_id, lock=False)
        c = Comment.get_or_none((Comment.id == int(comment_id)) & (Comment.taskdata_comments_id == t.id))
        if c is None:
            raise TaskServiceError(f"No comment found with id {comment_id} on task {task_id}")
        return self._comment(c)

    @staticmethod
    def _comment(c):
        return TaskComment(id=Long(c.id), text=c.text, added_by=c.addedby_id, added_at=_aware(c.addedat))

    # -- attachments ---------------------------------------------------------------------------
    def add_attachment(self, container_id, task_id, user, name, value) -> int:
        with self._tx():
            t = self._open(task_id, container_id, lock=False)
            types = self._types(t.row.deploymentid)
            cid, size = self._store_content(value, types)
            if user:
                self._entity(user, USER)
            return Attachment.insert(name=name, accesstype=0, attachedat=_now(), attachedby_id=user,
                                     contenttype=java_type_name(value), attachment_size=size,
                                     attachmentcontentid=cid, taskdata_attachments_id=t.id).execute()

    def delete_attachment(self, container_id, task_id, attachment_id):
        with self._tx():
            t = self._open(task_id, container_id, lock=False)
            a = Attachment.get_or_none((Attachment.id == int(attachment_id)) & (Attachment.taskdata_attachments_id == t.id))
            if a is None:
                raise TaskServiceError(f"Attachment with id {attachment_id} was not found on task {task_id}")
            Attachment.delete().where(Attachment.id == a.id).execute()
            Content.delete().where(Content.id == a.attachmentcontentid).execute()

    def attachments(self, container_id, task_id) -> list:
        t = self._open(task_id, container_id, lock=False)
        return [self._attachment(a) for a in Attachment.select()
                .where(Attachment.taskdata_attachments_id == t.id).order_by(Attachment.id)]

    def attachment(self, container_id, task_id, attachment_id):
        t = self._open(task_id, container_id, lock=False)
        a = Attachment.get_or_none((Attachment.id == int(attachment_id)) & (Attachment.taskdata_attachments_id == t.id))
        if a is None:
            raise TaskServiceError('Cannot invoke "org.kie.api.task.model.Attachment.getId()" because '
                                   '"attachment" is null')
        return self._attachment(a)

    def attachment_content(self, container_id, task_id, attachment_id):
        t = self._open(task_id, container_id, lock=False)
        a = Attachment.get_or_none((Attachment.id == int(attachment_id)) & (Attachment.taskdata_attachments_id == t.id))
        value = None
        if a is not None:
            value = self._read_content(a.attachmentcontentid, t.row.deploymentid, ANY)
        if value is None:
            raise TaskServiceError(f"No attachment found for id {attachment_id} for task {task_id}")
        return value

    @staticmethod
    def _attachment(a):
        return TaskAttachment(id=Long(a.id), name=a.name, added_by=a.attachedby_id, added_at=_aware(a.attachedat),
                              content_type=a.contenttype, size=a.attachment_size,
                              attachment_content_id=Long(a.attachmentcontentid))

    # =========================================================================================
    # reads

    def task_instance(self, container_id, task_id, with_input=False, with_output=False,
                      with_assignments=False) -> TaskInstance:
        """UserTaskServiceBase.getTask (GET /containers/{c}/tasks/{id})."""
        t = self._open(task_id, container_id, lock=False)
        r = t.row
        ti = TaskInstance(
            id=Long(r.id), name=r.name, subject=r.subject, description=r.description, priority=r.priority,
            task_type=r.tasktype, form_name=r.formname, status=r.status, actual_owner=r.actualowner_id or "",
            created_by=r.createdby_id or "", created_on=_aware(r.createdon), activation_time=_aware(r.activationtime),
            expiration_date=_aware(r.expirationtime), skipable=bool(r.skipable), work_item_id=Long(r.workitemid),
            process_instance_id=Long(r.processinstanceid), parent_id=Long(r.parentid), process_id=r.processid,
            container_id=r.deploymentid)
        types = None
        if with_input:
            types = self._types(r.deploymentid)
            ti.input_data = self._read_map(r.documentcontentid, r.deploymentid, types) or {}
        if with_output:
            types = types or self._types(r.deploymentid)
            ti.output_data = (self._read_map(r.outputcontentid, r.deploymentid, types) or {}) \
                if r.outputcontentid and r.outputcontentid > 0 else {}
        if with_assignments:
            ti.potential_owners = [e for e, _ in t.pot]
            ti.excluded_owners = [e for e, _ in t.excl]
            ti.business_admins = [e for e, _ in t.bas]
        return ti

    def task_by_id(self, task_id) -> TaskInstance:
        """RuntimeDataService.getTaskById (GET /queries/tasks/instances/{id}): the audit view."""
        row = self._query_one(Task.id == int(task_id))
        if row is None:
            raise TaskNotFound(f"No task found with id {task_id}")
        return self._desc(row)

    def task_by_work_item(self, work_item_id) -> TaskInstance:
        row = self._query_one(Task.workitemid == int(work_item_id))
        if row is None:
            raise TaskNotFound(f"No task found with work item id {work_item_id}")
        return self._desc(row)

    def _query_one(self, cond):
        return Task.select().where(cond).order_by(Task.id.desc()).first()

    def _desc(self, r) -> TaskInstance:
        a = AuditTask.get_or_none(AuditTask.taskid == r.id)
        return TaskInstance(
            id=Long(r.id), name=a.name if a else r.name, subject=r.subject,
            description=a.description if a else r.description, priority=a.priority if a else r.priority,
            form_name=r.formname, status=a.status if a else r.status,
            actual_owner=(a.actualowner if a else r.actualowner_id) or "",
            created_by=(a.createdby if a else r.createdby_id) or "", created_on=_aware(r.createdon),
            activation_time=_aware(a.activationtime if a else r.activationtime),
            expiration_date=_aware(a.duedate if a else r.expirationtime), work_item_id=Long(r.workitemid),
            process_instance_id=Long(r.processinstanceid), process_id=r.processid, container_id=r.deploymentid,
            sla_compliance=None, sla_due_date=None)

    def task_ids_for_process(self, process_instance_id, statuses=None) -> list:
        q = Task.select(Task.id).where(Task.processinstanceid == int(process_instance_id))
        if statuses:
            q = q.where(Task.status.in_(list(statuses)))
        return [r.id for r in q.order_by(Task.id)]

    # -- queries ------------------------------------------------------------------------------
    _SORT = {"task": "name", "description": "description", "taskid": "id", "priority": "priority",
             "status": "status", "createdon": "createdon", "createdby": "createdby_id", "dueon": "expirationtime",
             "id": "id", "name": "name", "subject": "subject", "actualowner": "actualowner_id",
             "processinstanceid": "processinstanceid", "processid": "processid", "deploymentid": "deploymentid",
             "activationtime": "activationtime", "expirationtime": "expirationtime", "workitemid": "workitemid",
             "parentid": "parentid", "skipable": "skipable", "formname": "formname"}

    @classmethod
    def _order(cls, model, sort, asc, default):
        if sort:
            key = sort.strip().lower()
            for prefix in ("t.taskdata.", "t.", "log."):
                if key.startswith(prefix):
                    key = key[len(prefix):]
            key = key.replace(".id", "").replace("_", "")
            col = cls._SORT.get(key) if model is Task else None
            if col is None:
                col = key if key in model._meta.fields else None
            if col is not None:
                f = model._meta.fields[col]
                return [f.asc() if asc else f.desc(), model.id.asc() if asc else model.id.desc()]
        return default

    @staticmethod
    def _page(q, page, page_size):
        page = max(int(page or 0), 0)
        size = int(page_size if page_size is not None else 10)
        if size <= 0:
            return q
        return q.offset(page * size).limit(size)

    @staticmethod
    def summary(r) -> TaskSummary:
        return TaskSummary(
            id=Long(r.id), name=r.name, subject=r.subject, description=r.description, status=r.status,
            priority=r.priority, skipable=bool(r.skipable), actual_owner=r.actualowner_id,
            created_by=r.createdby_id, created_on=_aware(r.createdon), activation_time=_aware(r.activationtime),
            expiration_time=_aware(r.expirationtime), process_instance_id=Long(r.processinstanceid),
            process_id=r.processid, container_id=r.deploymentid, parent_id=Long(r.parentid))

    def _summaries(self, q, page, page_size, sort, asc):
        q = q.where(Task.archived == 0).order_by(*self._order(Task, sort, asc, [Task.id.desc()]))
        return TaskSummaryList(items=[self.summary(r) for r in self._page(q, page, page_size)])

    @staticmethod
    def _statuses(statuses, default):
        if not statuses:
            return list(default)
        for s in statuses:
            if s not in STATUSES:
                raise TaskServiceError(f"No enum constant org.kie.api.task.model.Status.{s}")
        return list(statuses)

    def pot_owner_tasks(self, user, statuses=None, groups=None, name_filter=None, page=0, page_size=10,
                        sort=None, asc=True) -> TaskSummaryList:
        """Tasks where the user (or one of its groups) is a potential owner and nobody else owns it
        (jBPM NewTasksAssignedAsPotentialOwner / TasksAssignedAsPotentialOwnerWithGroups)."""
        ids = [user] + [g for g in dict.fromkeys(list(groups or []) + self.groups_of(user)) if g != user]
        sts = self._statuses(statuses, ACTIVE_STATUSES)
        po = PotOwner.alias("po")
        ex = ExcludedOwner.alias("ex")
        q = (Task.select().where(
            ((Task.actualowner_id == user) | Task.actualowner_id.is_null()) & Task.status.in_(sts)
            & fn_exists(po.select(po.id).where((po.task_id == Task.id) & po.entity_id.in_(ids)))
            & ~fn_exists(ex.select(ex.id).where((ex.task_id == Task.id) & (ex.entity_id == user)))))
        if name_filter:
            q = q.where(peewee.NodeList((Task.name, peewee.SQL("LIKE"), name_filter)))
        return self._summaries(q, page, page_size, sort, asc)

    def owned_tasks(self, user, statuses=None, page=0, page_size=10, sort=None, asc=True) -> TaskSummaryList:
        sts = self._statuses(statuses, ACTIVE_STATUSES)
        q = Task.select().where((Task.actualowner_id == user) & Task.status.in_(sts))
        return self._summaries(q, page, page_size, sort, asc)

    def admin_tasks(self, user, statuses=None, page=0, page_size=10, sort=None, asc=True) -> TaskSummaryList:
        ids = [user] + [g for g in self.groups_of(user) if g != user]
        sts = self._statuses(statuses, ACTIVE_STATUSES)
        ba = BusinessAdmin.alias("ba")
        q = Task.select().where(Task.status.in_(sts) & fn_exists(
            ba.select(ba.id).where((ba.task_id == Task.id) & ba.entity_id.in_(ids))))
        return self._summaries(q, page, page_size, sort, asc)

    def process_tasks(self, process_instance_id, statuses=None, page=0, page_size=10, sort=None,
                      asc=True) -> TaskSummaryList:
        sts = self._statuses(statuses, ("Ready", "Reserved", "InProgress"))
        q = Task.select().where((Task.processinstanceid == int(process_instance_id)) & Task.status.in_(sts))
        q = q.where(Task.archived == 0).order_by(*self._order(Task, sort, asc, [Task.id.asc()]))
        return TaskSummaryList(items=[self.summary(r) for r in self._page(q, page, page_size)])

    def active_tasks_of_process(self, process_instance_id) -> list:
        """ProcessInstance.active-user-tasks: the Ready/Reserved/InProgress tasks of an instance, with the
        fields KIE's ConvertUtils copies (id, name, description, status, priority, actual owner, created
        by/on, activation time, container, process id and instance id, subject)."""
        q = (Task.select().where((Task.processinstanceid == int(process_instance_id))
                                 & Task.status.in_(("Ready", "Reserved", "InProgress"))).order_by(Task.id))
        return [TaskSummary(id=Long(r.id), name=r.name, description=r.description, status=r.status,
                            priority=r.priority, actual_owner=r.actualowner_id or "", created_by=r.createdby_id or "",
                            created_on=_aware(r.createdon), activation_time=_aware(r.activationtime),
                            container_id=r.deploymentid, process_id=r.processid,
                            process_instance_id=Long(r.processinstanceid), subject=r.subject) for r in q]

    def audit_tasks(self, user, page=0, page_size=10, sort=None, asc=True) -> TaskSummaryList:
        """getAllAuditTasksByUser: the audit rows of tasks the user owns (GET /queries/tasks/instances)."""
        q = AuditTask.select().where(AuditTask.actualowner == user)
        q = q.order_by(*self._order(AuditTask, sort, asc, [AuditTask.taskid.desc()]))
        items = []
        for a in self._page(q, page, page_size):
            items.append(TaskSummary(
                id=Long(a.taskid), name=a.name, description=a.description, status=a.status, priority=a.priority,
                actual_owner=a.actualowner, created_by=a.createdby, created_on=_aware(a.createdon),
                activation_time=_aware(a.activationtime), expiration_time=_aware(a.duedate),
                process_instance_id=Long(a.processinstanceid), process_id=a.processid,
                container_id=a.deploymentid, parent_id=Long(a.parentid)))
        return TaskSummaryList(items=items)

    def task_events(self, task_id, page=0, page_size=10, sort=None, asc=True) -> TaskEventInstanceList:
        """RuntimeDataServiceBase.getTaskEvents (sorted by Id by default; the event id it reports is the
        task id, as KIE Server's builder does)."""
        if not Task.select(Task.id).where(Task.id == int(task_id)).exists():
            raise TaskNotFound(f"No task found with id {task_id}")
        q = TaskEvent.select().where(TaskEvent.taskid == int(task_id))
        q = q.order_by(*self._order(TaskEvent, sort or "Id", asc, [TaskEvent.id.asc()]))
        items = [TaskEventInstance(
            id=Long(e.taskid), task_id=Long(e.taskid), type=e.type, user_id=e.userid, log_time=_aware(e.logtime),
            process_instance_id=Long(e.processinstanceid) if e.processinstanceid is not None else None,
            work_item_id=Long(e.workitemid) if e.workitemid is not None else None, message=e.message,
            correlation_key=e.correlationkey, process_type=e.processtype, assigned_owner=e.currentowner)
            for e in self._page(q, page, page_size)]
        return TaskEventInstanceList(items=items)

    # =========================================================================================
    # suspendUntil

    def _schedule_resume(self, row):
        ex = getattr(self.server, "executor", None) if self.server is not None else None
        if ex is None:
            return
        try:
            ex.schedule(RESUME_COMMAND, {"TaskId": Long(row.id)}, scheduled_date=_aware(row.suspenduntil),
                        container_id=row.deploymentid)
        except Exception:  # noqa: BLE001 - resume_due() still picks it up
            log.warning("Could not schedule the resume of task %s", row.id, exc_info=True)

    def resume_due(self, now=None) -> int:
        """Resume every task whose suspendUntil has passed (as its business administrator would)."""
        now = _naive(now) if now is not None else _now()
        due = [r.id for r in Task.select(Task.id).where((Task.status == "Suspended") & Task.suspenduntil.is_null(False)
                                                        & (Task.suspenduntil <= now))]
        n = 0
        for tid in due:
            with self._tx():
                t = self._load(tid)
                if t.status != "Suspended" or t.row.suspenduntil is None or _naive(_aware(t.row.suspenduntil)) > now:
                    continue
                when = _now()
                t.set_status(t.previous_status)
                t.row.suspenduntil = None
                self._save(t)
                self._event(t, "RESUMED", ADMIN_USER, when=when)
                self._audit_sync(t, when)
                n += 1
        return n


RESUME_COMMAND = "org.jbpm.services.task.commands.ResumeTaskCommand"


def fn_exists(query):
    return peewee.fn.EXISTS(query)

