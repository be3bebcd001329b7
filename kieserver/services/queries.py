"""The runtime data queries (KIE's RuntimeDataServiceBase over jBPM's RuntimeDataServiceImpl and
AdvanceRuntimeDataServiceImpl): process instances, node and variable instances, process definitions,
tasks by variable and the advanced variable search, read from the jBPM-named audit and task tables.

Every list is one parameterised SQL statement with ORDER BY / LIMIT / OFFSET in the database (never a
Python loop over the table); the statements are the ones jBPM's named queries (Servicesorm.xml) and
native queries run, written for SQLite and PostgreSQL.  Sorting follows jBPM exactly:

  process instance lists  `sort` goes through QueryManager.adaptOrderBy: ProcessInstanceId, ProcessName,
                          Initiator, ProcessVersion, State, StartDate (exact case); anything else is pasted
                          into the JPQL ORDER BY, so a `log.<attribute>` (or bare attribute) path of
                          ProcessInstanceLog works and an unknown one fails (QueryError, a 500)
  tasks by variable       TaskSummaryQueryBuilder.OrderBy, case-insensitive: taskId, processInstanceId,
                          taskName, taskStatus, createdOn, createdBy; others fail with
                          'Unsupported QueryContext.orderBy value: "<lower-cased>"'
  process definitions     in memory as jBPM does: ProcessName (case-insensitive), ProcessVersion, Project
  variable search (POST)  `orderBy` is a column of the main statement (default pil.processInstanceId /
                          task.id); only jBPM's column names are accepted (never pasted)
Errors a resource maps are QueryError (-> 500 "Unexpected error during processing: ...") and
NotFound (-> the endpoint's 404 text).
"""
from __future__ import annotations

import datetime as dt
import re

from containers.values import Long
from kieserver.store.db import database, is_postgres
from marshallers.types import process as P
from marshallers.types.queries import (CountDefinition, ProcessInstanceCustomVars, ProcessInstanceCustomVarsList,
                                       ProcessInstanceUserTaskWithVariables,
                                       ProcessInstanceUserTaskWithVariablesList)
from marshallers.types.tasks import TaskSummary, TaskSummaryList

UTC = dt.timezone.utc
ACTIVE = 1
TASK_STATUSES = ("Created", "Ready", "Reserved", "InProgress", "Suspended", "Completed", "Failed", "Error",
                 "Exited", "Obsolete")
ACTIVE_TASK_STATUSES = ("Ready", "Reserved", "InProgress")


class QueryError(Exception):
    """A query jBPM would fail (bad sort column, bad operator...): the resources answer 500."""


class NotFound(Exception):
    pass


# ----------------------------------------------------------------------------------------------
# SQL helpers

def _sql(text):
    return text.replace("?", "%s") if is_postgres() else text


def _rows(text, params=()):
    return database.execute_sql(_sql(text), tuple(params)).fetchall()


def _in(values):
    return "(" + ", ".join("?" for _ in values) + ")"


def _limit(page, size):
    """LIMIT/OFFSET as jBPM's QueryContext(page*pageSize, pageSize): a non-positive size means no limit."""
    page = max(int(page or 0), 0)
    size = int(size if size is not None else 10)
    if size <= 0:
        return "", ()
    return " LIMIT ? OFFSET ?", (size, page * size)


def _date(v):
    """A stored naive-UTC timestamp (datetime, or text on SQLite) -> aware UTC datetime."""
    if v is None:
        return None
    if isinstance(v, str):
        s = v.strip()
        try:
            v = dt.datetime.fromisoformat(s)
        except ValueError:
            for f in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
                try:
                    v = dt.datetime.strptime(s, f)
                    break
                except ValueError:
                    continue
            else:
                return None
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
    return None


def _long(v):
    return None if v is None else Long(int(v))


def _has_wildcard(pattern):
    return "%" in pattern or "_" in pattern


def grouped(v):
    """MessageFormat's rendering of a number argument (1234 -> 1,234)."""
    return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v)


# ----------------------------------------------------------------------------------------------
# process instances

_PI_COLS = ("processinstanceid, processid, processname, processversion, status, externalid, start_date, "
            "user_identity, processinstancedescription, correlationkey, parentprocessinstanceid, sla_due_date, "
            "slacompliance")

# QueryManager.adaptOrderBy (exact case)
_PI_NAMED_SORT = {"ProcessInstanceId": "processinstanceid", "ProcessName": "processname",
                  "Initiator": "user_identity", "ProcessVersion": "processversion", "State": "status",
                  "StartDate": "start_date"}
# ProcessInstanceLog's JPA attributes (what `log.<attr>` names in the pasted JPQL) -> columns
_PI_ATTRS = {"id": "id", "processinstanceid": "processinstanceid", "processid": "processid",
             "processname": "processname", "processversion": "processversion", "status": "status",
             "externalid": "externalid", "start": "start_date", "end": "end_date", "identity": "user_identity",
             "processinstancedescription": "processinstancedescription", "correlationkey": "correlationkey",
             "parentprocessinstanceid": "parentprocessinstanceid", "duration": "duration", "outcome": "outcome",
             "sladuedate": "sla_due_date", "slacompliance": "slacompliance", "processtype": "processtype"}


def _pi_order(sort, asc, alias=""):
    sort = sort or "ProcessInstanceId"
    col = _PI_NAMED_SORT.get(sort)
    if col is None:
        key = sort.strip()
        if key.lower().startswith("log."):
            key = key[4:]
        col = _PI_ATTRS.get(key.lower())
        if col is None:
            raise QueryError(f"org.hibernate.QueryException: could not resolve property: {sort} of: "
                             f"org.jbpm.process.audit.ProcessInstanceLog")
    direction = "ASC" if asc else "DESC"
    out = f" ORDER BY {alias}{col} {direction}"
    if col != "processinstanceid":
        out += f", {alias}processinstanceid {direction}"
    return out


def _pi_model(r, tasks=None):
    return P.ProcessInstance(
        id=_long(r[0]), process_id=r[1], process_name=r[2], process_version=r[3], state=r[4], container_id=r[5],
        date=_date(r[6]), initiator=r[7], description=r[8], correlation_key=r[9], parent_id=_long(r[10]),
        sla_due_date=_date(r[11]), sla_compliance=r[12], active_user_tasks=tasks)


def _int_statuses(statuses):
    return [int(s) for s in statuses] if statuses else [ACTIVE]


def correlation_external_form(key):
    """RuntimeDataServiceBase: key.split(":") into a CorrelationKey, then toExternalForm (properties
    joined with ':'; Java's split drops trailing empty strings)."""
    parts = key.split(":")
    while parts and parts[-1] == "":
        parts.pop()
    return ":".join(parts)


class RuntimeQueries:
    def __init__(self, server):
        self.server = server

    # -- helpers ------------------------------------------------------------------------------
    def _latest_container(self, container_id):
        """jBPM getLatestDeploymentId: an alias names its newest container; anything else as given."""
        containers = getattr(self.server, "containers", None)
        if containers is None or container_id is None:
            return container_id
        try:
            rec = containers.resolve(container_id)
        except Exception:  # noqa: BLE001 - an unreadable registry answers as "no such container"
            rec = None
        return rec.container_id if rec is not None else container_id

    def _pi_list(self, where, params, page, size, sort, asc):
        lim, lp = _limit(page, size)
        rows = _rows(f"SELECT {_PI_COLS} FROM processinstancelog WHERE {where}{_pi_order(sort, asc)}{lim}",
                     tuple(params) + lp)
        return P.ProcessInstanceList(items=[_pi_model(r) for r in rows])

    def _active_tasks(self, pid):
        finder = getattr(getattr(self.server, "human_tasks", None), "active_tasks_of_process", None)
        if finder is None:
            return None
        found = finder(int(pid))
        return TaskSummaryList(items=list(found)) if found else None

    # -- process instances --------------------------------------------------------------------
    def process_instances(self, statuses=None, initiator=None, process_name=None, page=0, size=10, sort=None,
                          asc=True):
        st = _int_statuses(statuses)
        where, params = f"status IN {_in(st)}", list(st)
        if process_name:
            where += " AND processname LIKE ?"
            params.append(process_name)
        if initiator:
            where += " AND user_identity = ?"
            params.append(initiator)
        return self._pi_list(where, params, page, size, sort, asc)

    def process_instances_by_process_id(self, process_id, statuses=None, initiator=None, page=0, size=10,
                                        sort=None, asc=True):
        st = _int_statuses(statuses)
        where, params = f"processid = ? AND status IN {_in(st)}", [process_id] + st
        if initiator:
            where += " AND user_identity = ?"
            params.append(initiator)
        return self._pi_list(where, params, page, size, sort, asc)

    def process_instances_by_container(self, container_id, statuses=None, page=0, size=10, sort=None, asc=True):
        st = _int_statuses(statuses)
        cid = self._latest_container(container_id)
        return self._pi_list(f"externalid = ? AND status IN {_in(st)}", [cid] + st, page, size, sort, asc)

    def count_by_container(self, container_id, statuses=None):
        st = _int_statuses(statuses)
        cid = self._latest_container(container_id)
        n = _rows(f"SELECT COUNT(*) FROM processinstancelog WHERE externalid = ? AND status IN {_in(st)}",
                  [cid] + st)[0][0]
        return CountDefinition(count=Long(int(n or 0)))

    def process_instance_by_correlation_key(self, key):
        ext = correlation_external_form(key)
        rows = _rows(f"SELECT {_PI_COLS} FROM processinstancelog WHERE correlationkey = ? AND status = 1 "
                     f"ORDER BY id LIMIT 1", (ext,))
        if not rows:
            return None
        return _pi_model(rows[0], self._active_tasks(rows[0][0]))

    def process_instances_by_correlation_key(self, key, page=0, size=10, sort=None, asc=True):
        return self._pi_list("correlationkey LIKE ?", [correlation_external_form(key) + "%"], page, size, sort, asc)

    def process_instances_by_variable(self, name, value=None, statuses=None, page=0, size=10, sort=None,
                                      asc=True):
        """jBPM's getProcessInstancesByVariable[NameAndValue]: the name (alone) and the value are LIKE
        patterns, the value is matched against the variable's latest value.  A pattern without wildcards
        is compared with '=' (what LIKE does then on PostgreSQL and H2; lets the index answer); an exact
        value drives the statement from the variable index, a wildcard one walks the instances in order."""
        st = _int_statuses(statuses)
        latest = ("NOT EXISTS (SELECT 1 FROM variableinstancelog v2 WHERE v2.variableid = v.variableid AND "
                  "v2.processinstanceid = v.processinstanceid AND v2.id > v.id)")
        if value:
            if _has_wildcard(value):
                where = (f"status IN {_in(st)} AND EXISTS (SELECT 1 FROM variableinstancelog v WHERE "
                         f"v.processinstanceid = processinstancelog.processinstanceid AND v.variableid = ? AND "
                         f"v.value LIKE ? AND {latest})")
            else:
                where = (f"status IN {_in(st)} AND processinstanceid IN (SELECT v.processinstanceid FROM "
                         f"variableinstancelog v WHERE v.variableid = ? AND v.value = ? AND {latest})")
            params = st + [name, value]
        else:
            op = "LIKE" if _has_wildcard(name) else "="
            where = (f"status IN {_in(st)} AND EXISTS (SELECT 1 FROM variableinstancelog v WHERE "
                     f"v.processinstanceid = processinstancelog.processinstanceid AND v.variableid {op} ?)")
            params = st + [name]
        return self._pi_list(where, params, page, size, sort, asc)

    def process_instance(self, pid, with_vars=False):
        rows = _rows(f"SELECT {_PI_COLS} FROM processinstancelog WHERE processinstanceid = ?", (int(pid),))
        if not rows:
            raise NotFound(f'Could not find process instance with id "{grouped(int(pid))}"')
        model = _pi_model(rows[0], self._active_tasks(pid))
        if with_vars:
            model.variables = {v.name: v.value for v in self.variables_current(pid).items}
        return model

    # -- node instances -----------------------------------------------------------------------
    _NI_COLS = ("nodeinstanceid, nodeid, nodename, nodetype, externalid, processinstanceid, log_date, connection, "
                "type, workitemid, referenceid, nodecontainerid, sla_due_date, slacompliance")

    @staticmethod
    def _ni_model(r):
        try:
            nid = Long(int(r[0]))
        except (TypeError, ValueError):
            nid = None
        return P.NodeInstance(
            id=nid, node_id=r[1], name=r[2], node_type=r[3], container_id=r[4], process_instance_id=_long(r[5]),
            date=_date(r[6]), connection=r[7], completed=(r[8] == 1), work_item_id=_long(r[9]),
            reference_id=_long(r[10]), sla_due_date=_date(r[12]), sla_compliance=r[13])

    def node_instance_for_work_item(self, pid, work_item_id):
        rows = _rows(f"SELECT {self._NI_COLS} FROM nodeinstancelog WHERE workitemid = ? AND type = 0 "
                     f"ORDER BY nodeinstanceid, id LIMIT 1", (int(work_item_id),))
        if not rows:
            raise NotFound(f'Could not find node instance with id "{grouped(int(work_item_id))}" within process '
                           f'instance with id "{grouped(int(pid))}"')
        return self._ni_model(rows[0])

    def node_instances(self, pid, active=None, completed=None, page=0, size=10):
        pid = int(pid)
        lim, lp = _limit(page, size)
        base = f"SELECT {self._NI_COLS} FROM nodeinstancelog"
        if (active is True and completed is True) or (active is None and completed is None):
            rows = _rows(f"{base} WHERE processinstanceid = ? ORDER BY log_date DESC, id DESC{lim}", (pid,) + lp)
        elif active is True:
            rows = _rows(f"{base} WHERE nodeinstanceid IN (SELECT nil.nodeinstanceid FROM nodeinstancelog nil "
                         f"WHERE nil.processinstanceid = ? GROUP BY nil.nodeinstanceid HAVING SUM(nil.type) = 0) "
                         f"AND type = 0 AND processinstanceid = ? ORDER BY id ASC{lim}", (pid, pid) + lp)
        elif completed is True:
            rows = _rows(f"{base} WHERE type = 1 AND processinstanceid = ? ORDER BY id ASC{lim}", (pid,) + lp)
        else:
            rows = []
        return P.NodeInstanceList(items=[self._ni_model(r) for r in rows])

    # -- variables ----------------------------------------------------------------------------
    @staticmethod
    def _var_model(r):
        return P.VariableInstance(name=r[0], old_value=r[1], value=r[2], process_instance_id=_long(r[3]),
                                  date=_date(r[4]))

    def variables_current(self, pid):
        pid = int(pid)
        rows = _rows("SELECT variableid, oldvalue, value, processinstanceid, log_date FROM variableinstancelog "
                     "WHERE processinstanceid = ? AND id IN (SELECT MAX(vss.id) FROM variableinstancelog vss "
                     "WHERE vss.processinstanceid = ? GROUP BY vss.variableid) ORDER BY id", (pid, pid))
        return P.VariableInstanceList(items=[self._var_model(r) for r in rows])

    def variable_history(self, pid, name, page=0, size=10):
        lim, lp = _limit(page, size)
        rows = _rows("SELECT variableid, oldvalue, value, processinstanceid, log_date FROM variableinstancelog "
                     f"WHERE processinstanceid = ? AND variableid = ? ORDER BY id DESC{lim}", (int(pid), name) + lp)
        return P.VariableInstanceList(items=[self._var_model(r) for r in rows])

    # -- process definitions (in memory, as jBPM's availableProcesses) -----------------------
    def _definitions(self, container_ids=None, statuses=("STARTED",)):
        """(container id, definition) of the deployed containers, in deployment order."""
        from kieserver.store.models import ContainerRecord
        containers = getattr(self.server, "containers", None)
        if containers is None:
            return []
        q = ContainerRecord.select(ContainerRecord.container_id).order_by(ContainerRecord.created_on,
                                                                         ContainerRecord.container_id)
        if container_ids is not None:
            q = q.where(ContainerRecord.container_id.in_(list(container_ids)))
        out = []
        for rec in q:
            try:
                kc = containers.runtime(rec.container_id, statuses=statuses)
            except Exception:  # noqa: BLE001 - a container that cannot be built has no processes
                kc = None
            rt = getattr(kc, "runtimes", {}).get("bpm") if kc is not None else None
            if rt is None:
                continue
            for d in getattr(rt, "definitions", {}).values():
                out.append((rec.container_id, d))
        return out

    @staticmethod
    def _def_model(cid, d):
        return P.ProcessDefinition(id=d.id, name=d.name, version=d.version,
                                   package=getattr(d, "package", None) or getattr(d, "package_name", None),
                                   container_id=cid, dynamic=bool(getattr(d, "dynamic", False)))

    @staticmethod
    def _sort_defs(defs, sort, asc):
        sort = sort or "ProcessName"
        key = {"ProcessName": lambda x: (x[1].name or "").lower(),
               "ProcessVersion": lambda x: x[1].version or "",
               "Project": lambda x: x[0].lower()}.get(sort)
        if key is not None:
            defs.sort(key=key)
        if not asc:
            defs.reverse()
        return defs

    @staticmethod
    def _page_list(items, page, size):
        page = max(int(page or 0), 0)
        size = int(size if size is not None else 10)
        if size <= 0:
            return items
        return items[page * size:(page + 1) * size]

    def definitions_by_container(self, container_id, page=0, size=10, sort=None, asc=True):
        cid = self._latest_container(container_id)
        defs = self._definitions([cid], statuses=("STARTED", "DEACTIVATED"))
        defs = self._page_list(self._sort_defs(defs, sort, asc), page, size)
        return P.ProcessDefinitionList(items=[self._def_model(c, d) for c, d in defs])

    def definitions(self, filter_=None, page=0, size=10, sort=None, asc=True):
        defs = self._definitions()
        if filter_:
            try:
                pattern = re.compile("^.*" + filter_ + ".*$", re.IGNORECASE | re.DOTALL)
            except re.error as e:
                raise QueryError(f"Illegal regular expression '{filter_}': {e}") from None
            defs = [(c, d) for c, d in defs if pattern.match(d.id or "") or pattern.match(d.name or "")]
        defs = self._page_list(self._sort_defs(defs, sort, asc), page, size)
        return P.ProcessDefinitionList(items=[self._def_model(c, d) for c, d in defs])

    def definitions_by_id(self, process_id):
        return P.ProcessDefinitionList(items=[self._def_model(c, d) for c, d in self._definitions()
                                              if d.id == process_id])

    def definition(self, container_id, process_id):
        cid = self._latest_container(container_id)
        for c, d in self._definitions([cid], statuses=("STARTED", "DEACTIVATED")):
            if d.id == process_id:
                return self._def_model(c, d)
        raise NotFound(f'Could not find process definition "{process_id}" in container "{container_id}"')

    # -- tasks by variable --------------------------------------------------------------------
    _TASK_SORT = {"taskid": "t.id", "processinstanceid": "t.processinstanceid", "taskname": "t.name",
                  "taskstatus": "t.status", "createdon": "t.createdon", "createdby": "t.createdby_id"}
    _TS_COLS = ("t.id, t.name, t.subject, t.description, t.status, t.priority, t.skipable, t.actualowner_id, "
                "t.createdby_id, t.createdon, t.activationtime, t.expirationtime, t.processinstanceid, t.processid, "
                "t.deploymentid, t.parentid")

    @staticmethod
    def _ts_model(r):
        return TaskSummary(
            id=_long(r[0]), name=r[1], subject=r[2], description=r[3], status=r[4], priority=r[5],
            skipable=bool(r[6]), actual_owner=r[7], created_by=r[8], created_on=_date(r[9]),
            activation_time=_date(r[10]), expiration_time=_date(r[11]), process_instance_id=_long(r[12]),
            process_id=r[13], container_id=r[14], parent_id=_long(r[15]))

    @staticmethod
    def _wildcard(text):
        """TaskSummaryQueryBuilder: a value with * or ? is a regex (* any run, ? one character)."""
        if "*" in text or "?" in text:
            esc = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            return "LIKE ? ESCAPE '\\'", esc.replace("*", "%").replace("?", "_")
        return "= ?", text

    def tasks_by_variable(self, user, groups, name, value=None, statuses=None, page=0, size=10, sort=None,
                          asc=True):
        sts = list(statuses) if statuses else list(ACTIVE_TASK_STATUSES)
        for s in sts:
            if s not in TASK_STATUSES:
                raise QueryError(f"No enum constant org.kie.api.task.model.Status.{s}")
        order = " ORDER BY t.id ASC"
        if sort is not None:
            col = self._TASK_SORT.get(sort.lower())
            if col is None:
                raise QueryError(f'Unsupported QueryContext.orderBy value: "{sort.lower()}"')
            d = "ASC" if asc else "DESC"
            order = f" ORDER BY {col} {d}" + (f", t.id {d}" if col != "t.id" else "")
        name_op, name_v = self._wildcard(name)
        cond = f"tv.name {name_op}"
        params = [name_v]
        if value:
            value_op, value_v = self._wildcard(value)
            cond += f" AND tv.value {value_op}"
            params.append(value_v)
        where = [f"t.status IN {_in(sts)}", f"t.id IN (SELECT tv.taskid FROM taskvariableimpl tv WHERE {cond})"]
        params = sts + params
        # the user limit of TaskSummaryQueryCriteriaUtil: actual owner, creator, or (when the user has
        # groups) a potential owner / business administrator by user or group
        ids = [user] + [g for g in (groups or []) if g != user]
        limit = "(t.actualowner_id = ? OR t.createdby_id = ?"
        lparams = [user, user]
        if groups:
            limit += (f" OR EXISTS (SELECT 1 FROM peopleassignments_potowners po WHERE po.task_id = t.id AND "
                      f"po.entity_id IN {_in(ids)}) OR EXISTS (SELECT 1 FROM peopleassignments_bas ba WHERE "
                      f"ba.task_id = t.id AND ba.entity_id IN {_in(ids)})")
            lparams += ids + ids
        limit += ")"
        where.append(limit)
        params += lparams
        lim, lp = _limit(page, size)
        rows = _rows(f"SELECT {self._TS_COLS} FROM task t WHERE {' AND '.join(where)}{order}{lim}",
                     tuple(params) + lp)
        return TaskSummaryList(items=[self._ts_model(r) for r in rows])

    # -- advanced variable search (POST /queries/variables/processes[/tasks]) -----------------
    def search_processes(self, spec, page=0, size=10, order_by=None, asc=True):
        return variable_search(spec, tasks=False, page=page, size=size, order_by=order_by, asc=asc)

    def search_tasks(self, spec, page=0, size=10, order_by=None, asc=True):
        return variable_search(spec, tasks=True, page=page, size=size, order_by=order_by, asc=asc)


# ==============================================================================================
# advanced variable search (AbstractAdvanceRuntimeDataServiceImpl)

TASK_ATTRS = ("TASK_NAME", "TASK_OWNER", "TASK_STATUS")
_ATTR_COLUMNS = {"PROCESS_CORRELATION_KEY": "pil.correlationkey", "PROCESS_DEFINITION_ID": "pil.processid",
                 "PROCESS_INSTANCE_ID": "pil.processinstanceid", "TASK_NAME": "task.name",
                 "TASK_OWNER": "task.actualowner_id", "TASK_STATUS": "task.status",
                 "PROCESS_DEPLOYMENT_ID": "pil.externalid"}
# columns a raw attribute (or orderBy) may name: jBPM pastes them into its native SQL
_RAW_COLUMNS = {
    "pil": ("id", "processinstanceid", "processid", "processname", "processversion", "status", "externalid",
            "start_date", "end_date", "user_identity", "correlationkey", "parentprocessinstanceid",
            "processinstancedescription", "duration", "outcome", "processtype", "sla_due_date", "slacompliance"),
    "task": ("id", "taskid", "name", "description", "status", "actualowner_id", "actualowner", "createdby_id",
             "createdby", "createdon", "priority", "processinstanceid", "processid", "deploymentid", "workitemid",
             "expirationtime", "activationtime", "formname", "subject", "parentid"),
}
_OPS = ("IS_NULL", "NOT_NULL", "IN", "NOT_IN", "TYPE", "EQUALS_TO", "NOT_EQUALS_TO", "LIKE_TO", "GREATER_THAN",
        "GREATER_OR_EQUALS_TO", "LOWER_THAN", "LOWER_OR_EQUALS_TO", "BETWEEN")


def _column(name, history=False):
    """A column named by a search attribute or orderBy: jBPM's names, `pil.x` / `task.x`, or bare."""
    if name is None:
        raise QueryError("A query parameter needs a column")
    key = name.strip()
    if key in _ATTR_COLUMNS:
        col = _ATTR_COLUMNS[key]
        if history and key == "TASK_OWNER":
            col = "task.actualowner"
        return col
    low = key.lower()
    if "." in low:
        alias, col = low.split(".", 1)
    else:
        alias, col = None, low
    for a in ((alias,) if alias else ("pil", "task")):
        if a in _RAW_COLUMNS and col in _RAW_COLUMNS[a]:
            if a == "task" and history:
                col = {"id": "taskid", "actualowner_id": "actualowner", "createdby_id": "createdby"}.get(col, col)
            return f"{a}.{col}"
    raise QueryError(f"Unknown column '{name}' in the variable search")


def _values(p):
    v = p.value
    if v is None:
        return []
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _plain(v):
    if isinstance(v, dt.datetime):
        return v.astimezone(UTC).replace(tzinfo=None) if v.tzinfo else v
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v)
    return v if v is None or isinstance(v, (str, bytes)) else str(v)


def _expr(op, left, values):
    """computeExpression with bound parameters: (sql, params)."""
    vals = [_plain(v) for v in values]
    first = vals[0] if vals else None
    if op == "IS_NULL":
        return f"{left} IS NULL", []
    if op == "NOT_NULL":
        return f"{left} IS NOT NULL", []
    if op in ("IN", "NOT_IN"):
        if not vals:
            return ("1 = 0", []) if op == "IN" else ("1 = 1", [])
        return f"{left} {'NOT ' if op == 'NOT_IN' else ''}IN {_in(vals)}", vals
    if op == "TYPE":
        return "type = ?", [first]
    simple = {"EQUALS_TO": "=", "NOT_EQUALS_TO": "<>", "LIKE_TO": "LIKE", "GREATER_THAN": ">",
              "GREATER_OR_EQUALS_TO": ">=", "LOWER_THAN": "<", "LOWER_OR_EQUALS_TO": "<="}
    if op in simple:
        return f"{left} {simple[op]} ?", [first]
    if op == "BETWEEN":
        if len(vals) != 2:
            raise QueryError(f"BETWEEN operator requires 2 values. Received: {len(vals)}")
        return f"{left} >= ? AND {left} <= ?", vals
    raise QueryError(f"Queryparam: {op} not supported")


def _var_value(v):
    """Variable values are stored as text: compare with the text form of the given value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, Long)) or v is None:
        return None if v is None else str(v)
    return _plain(v)


def _variable_block(params, name_col, value_col):
    """computeVariableExpression: per variable name (name = ? AND its conditions), OR-ed; the caller
    requires as many matching rows as there are distinct names (HAVING COUNT)."""
    names = []
    for p in params:
        if p.column not in names:
            names.append(p.column)
    parts, args = [], []
    for n in names:
        cond, cargs = f"({name_col} = ?", [n]
        for p in params:
            if p.column != n:
                continue
            op = p.operator
            if op not in _OPS:
                raise QueryError(f"Queryparam: {op} not supported")
            text, a = _expr(op, value_col, [_var_value(v) for v in _values(p)])
            cond += f" AND {text}"
            cargs += a
        parts.append(cond + ")")
        args += cargs
    return " OR ".join(parts), args, len(names)


def variable_search(spec, *, tasks, page=0, size=10, order_by=None, asc=True):
    attributes = list(spec.attributes or [])
    pvars = list(spec.process_variables or [])
    tvars = list(spec.task_variables or [])
    owners_param = spec.owners_param
    if owners_param is None and spec.owners:
        from marshallers.types.queries import SearchQueryParam
        owners_param = SearchQueryParam(column=None, operator="ALL", value=list(spec.owners))
    mode = next((p for p in attributes if p.operator == "MODE"), None)
    history = mode is not None and _values(mode)[:1] == ["HISTORY"]
    exclude_vars = any(p.operator == "EXCLUDE" and p.column == "ATTR_COLLECTION_VARIABLES" for p in attributes)

    if not tasks:
        # queryProcessesByVariables: without task attributes and task variables, the process-only statement
        task_side = bool(tvars) or any(p.column in TASK_ATTRS for p in attributes)
        if not task_side:
            owners_param = None
        id_col, default_order = "pil.processinstanceid", "pil.processinstanceid"
        if task_side:
            base = ("FROM audittaskimpl task INNER JOIN processinstancelog pil ON pil.processinstanceid = "
                    "task.processinstanceid " if history else
                    "FROM task task INNER JOIN processinstancelog pil ON pil.processinstanceid = task.processinstanceid ")
        else:
            base = "FROM processinstancelog pil "
    else:
        task_side = True
        if history:
            id_col = default_order = "task.taskid"
            base = ("FROM audittaskimpl task INNER JOIN processinstancelog pil ON pil.processinstanceid = "
                    "task.processinstanceid ")
        else:
            id_col = default_order = "task.id"
            base = "FROM task task INNER JOIN processinstancelog pil ON pil.processinstanceid = task.processinstanceid "
    task_key = "task.taskid" if history else "task.id"

    joins, jargs = [], []
    if tvars:
        if not task_side:
            raise QueryError("Task variables need the task statement")
        cond, a, n = _variable_block(tvars, "name", "value")
        joins.append(f"INNER JOIN (SELECT taskid FROM taskvariableimpl WHERE {cond} GROUP BY taskid "
                     f"HAVING COUNT(*) >= ?) table_task_var ON table_task_var.taskid = {task_key} ")
        jargs += a + [n]
    if pvars:
        cond, a, n = _variable_block(pvars, "a1.variableid", "a1.value")
        joins.append("INNER JOIN (SELECT a1.processinstanceid FROM variableinstancelog a1 LEFT JOIN variableinstancelog a2 "
                     "ON a1.processid = a2.processid AND a1.processinstanceid = a2.processinstanceid AND "
                     "a1.variableinstanceid = a2.variableinstanceid AND a2.id > a1.id "
                     f"WHERE a2.id IS NULL AND ({cond}) GROUP BY a1.processinstanceid HAVING COUNT(*) = ?) "
                     "table_proc_var ON table_proc_var.processinstanceid = pil.processinstanceid ")
        jargs += a + [n]
    if owners_param is not None and task_side:
        if owners_param.operator not in ("ALL", "ANY"):
            raise QueryError(f"QueryParam Operator for pot-owners: {owners_param.operator} not supported")
        owners = list(dict.fromkeys(str(o) for o in _values(owners_param)))
        if owners:
            having = " GROUP BY po.task_id HAVING COUNT(po.entity_id) = ?" if owners_param.operator == "ALL" else ""
            joins.append(f"INNER JOIN (SELECT DISTINCT po.task_id FROM peopleassignments_potowners po WHERE "
                         f"po.entity_id IN {_in(owners)}{having}) pot ON pot.task_id = {task_key} ")
            jargs += owners + ([len(owners)] if having else [])

    where, wargs = ["pil.processtype = ?"], [1]
    for p in attributes:
        if p.operator in ("MODE", "EXCLUDE"):
            continue
        if p.operator not in _OPS:
            raise QueryError(f"Queryparam: {p.operator} not supported")
        col = _column(p.column, history)
        if col.startswith("task.") and not task_side:
            raise QueryError(f"Unknown column '{p.column}' in the variable search")
        text, a = _expr(p.operator, col, _values(p))
        where.append(text)
        wargs += a

    order_col = _column(order_by, history) if order_by else default_order
    if order_col.startswith("task.") and not task_side:
        raise QueryError(f"Unknown column '{order_by}' in the variable search")
    select = f"SELECT DISTINCT {id_col}" + (f", {order_col}" if order_col != id_col else "")
    d = "ASC" if asc else "DESC"
    order = f" ORDER BY {order_col} {d}" + (f", {id_col} {d}" if order_col != id_col else "")
    lim, lp = _limit(page, size)
    sql = f"{select} {base}{''.join(joins)}WHERE {' AND '.join(where)}{order}{lim}"
    ids = [int(r[0]) for r in _rows(sql, tuple(jargs + wargs) + lp)]
    if not tasks:
        return _collect_processes(ids, exclude_vars)
    return _collect_tasks(ids, history, exclude_vars)


def _collect_processes(ids, exclude_vars):
    if not ids:
        return ProcessInstanceCustomVarsList(items=[])
    rows = _rows("SELECT processinstanceid, processid, processname, processversion, status, externalid, start_date, "
                 f"user_identity, correlationkey FROM processinstancelog WHERE processinstanceid IN {_in(ids)}", ids)
    variables = {i: {} for i in ids}
    if not exclude_vars:
        for pid, name, value in _current_vars_of(ids):
            variables.setdefault(pid, {})[name] = value
    by_id = {}
    for r in rows:
        by_id[int(r[0])] = ProcessInstanceCustomVars(
            id=_long(r[0]), process_id=r[1], process_name=r[2], process_version=r[3], state=r[4], container_id=r[5],
            date=_date(r[6]), initiator=r[7], correlation_key=r[8], variables=variables.get(int(r[0]), {}))
    return ProcessInstanceCustomVarsList(items=[by_id[i] for i in ids if i in by_id])


def _current_vars_of(pids):
    return [(int(a), b, c) for a, b, c in _rows(
        "SELECT a1.processinstanceid, a1.variableid, a1.value FROM variableinstancelog a1 LEFT JOIN variableinstancelog a2 "
        "ON a1.processid = a2.processid AND a1.processinstanceid = a2.processinstanceid AND "
        "a1.variableinstanceid = a2.variableinstanceid AND a2.id > a1.id "
        f"WHERE a2.id IS NULL AND a1.processinstanceid IN {_in(pids)} ORDER BY a1.id", pids)]


def _collect_tasks(ids, history, exclude_vars):
    if not ids:
        return ProcessInstanceUserTaskWithVariablesList(items=[])
    if history:
        rows = _rows("SELECT task.taskid, task.name, task.description, task.actualowner, pil.correlationkey, "
                     "task.status, pil.processinstanceid, pil.processid FROM audittaskimpl task INNER JOIN "
                     "processinstancelog pil ON pil.processinstanceid = task.processinstanceid "
                     f"WHERE task.taskid IN {_in(ids)}", ids)
    else:
        rows = _rows("SELECT task.id, task.name, task.description, task.actualowner_id, pil.correlationkey, "
                     "task.status, pil.processinstanceid, pil.processid FROM task task INNER JOIN "
                     "processinstancelog pil ON pil.processinstanceid = task.processinstanceid "
                     f"WHERE task.id IN {_in(ids)}", ids)
    inputs, pots, pvars = {}, {}, {}
    for tid, vtype, name, value in _rows("SELECT taskid, type, name, value FROM taskvariableimpl "
                                         f"WHERE taskid IN {_in(ids)} ORDER BY id", ids):
        if vtype == 0:
            inputs.setdefault(int(tid), {})[name] = value
    for tid, entity in _rows("SELECT task_id, entity_id FROM peopleassignments_potowners "
                             f"WHERE task_id IN {_in(ids)} ORDER BY id", ids):
        pots.setdefault(int(tid), []).append(entity)
    if not exclude_vars:
        by_pid = {}
        for r in rows:
            by_pid.setdefault(int(r[6]), []).append(int(r[0]))
        if by_pid:
            for pid, name, value in _current_vars_of(list(by_pid)):
                for tid in by_pid.get(pid, ()):
                    pvars.setdefault(tid, {})[name] = value
    by_id = {}
    for r in rows:
        tid = int(r[0])
        by_id[tid] = ProcessInstanceUserTaskWithVariables(
            id=Long(tid), name=r[1], description=r[2], actual_owner=r[3], correlation_key=r[4],
            potential_owners=pots.get(tid, []), process_definition_id=r[7], process_instance_id=_long(r[6]),
            input_variables=inputs.get(tid, {}), process_variables=pvars.get(tid, {}), status=r[5])
    return ProcessInstanceUserTaskWithVariablesList(items=[by_id[i] for i in ids if i in by_id])


# ==============================================================================================
# indexes the queries need beyond the ones the BPM and Tasks stores declare

INDEXES = (
    # instances by variable (name [and value]): the sub-select and its MAX(id) per (instance, variable)
    ("ix_q_vil_var_pi_id", "variableinstancelog", "variableid, processinstanceid, id"),
    # variable search: latest value per variable instance (LEFT JOIN a2.id > a1.id)
    ("ix_q_vil_pi_varinst_id", "variableinstancelog", "processinstanceid, variableinstanceid, id"),
    # instance lists by process id / name with status, sorted by instance id
    ("ix_q_pil_status_pid", "processinstancelog", "status, processinstanceid"),
    ("ix_q_pil_processid_status", "processinstancelog", "processid, status"),
    # exact variable values (instances by variable and value, variable search)
    ("ix_q_vil_var_value", "variableinstancelog", "variableid, value"),
    # tasks by variable / variable search on task variables
    ("ix_q_tvi_taskid_name", "taskvariableimpl", "taskid, name"),
    ("ix_q_tvi_name_value", "taskvariableimpl", "name, value"),
    # active nodes: GROUP BY nodeinstanceid per process instance
    ("ix_q_nil_pi_niid", "nodeinstancelog", "processinstanceid, nodeinstanceid"),
)


# PostgreSQL only: LIKE 'prefix%' on the values can use a pattern index whatever the collation
PG_INDEXES = (
    ("ix_q_vil_var_value_pat", "variableinstancelog", "variableid, value text_pattern_ops"),
    ("ix_q_tvi_name_value_pat", "taskvariableimpl", "name, value text_pattern_ops"),
)


def ensure_indexes():
    """CREATE INDEX IF NOT EXISTS for INDEXES (idempotent; several workers may race, which is harmless)."""
    for name, table, cols in INDEXES + (PG_INDEXES if is_postgres() else ()):
        try:
            with database.atomic():
                database.execute_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({cols})")
        except Exception as e:  # noqa: BLE001 - a missing table (extension off) or a concurrent creation
            import logging
            logging.getLogger("kieserver.queries").debug("index %s not created: %s", name, e)
