"""Advanced queries: jBPM's QueryService as KIE Server's QueryDataServiceBase drives it.

A query definition is a name, a data source, a SQL expression written against jBPM's table and
column names, and a target (PROCESS, TASK, BA_TASK, PO_TASK, JOBS, CUSTOM, FILTERED_PROCESS,
FILTERED_BA_TASK, FILTERED_PO_TASK, USER_GROUPS_TASK).  Running one:

    SELECT * FROM (<user SQL>) q WHERE <filters as bound parameters> ORDER BY ... LIMIT ? OFFSET ?

in a read-only transaction (PostgreSQL: SET TRANSACTION READ ONLY; SQLite: PRAGMA query_only), after
a lexical check that the expression is one SELECT/WITH statement.  Column names in filters and
sorting are matched case-insensitively against the query's result columns (as dashbuilder's
DataSet does) and then quoted, never pasted from the request.  The rows are handed to a mapper
(ProcessInstances, UserTasks, RawList, ... or a user mapper by name or dotted Python path) that
builds the KIE result list.
"""
from __future__ import annotations

import datetime as _dt
import importlib
import json
import logging
import re
import threading
from contextlib import contextmanager
from decimal import Decimal

import peewee

from containers.values import Long
from kieserver.store import db as store_db
from kieserver.store.querydefs import QueryDefinitionStore
from marshallers.dates import UTC
from marshallers.types.process import ProcessInstance, ProcessInstanceList
from marshallers.types.querydefs import (ExecutionErrorInstance, ExecutionErrorInstanceList, QueryDefinition,
                                         QueryDefinitionList, QueryParam, ProcessInstanceCustomVars,
                                         ProcessInstanceCustomVarsList, TaskWithProcessDescription,
                                         TaskWithProcessDescriptionList, to_query_param)
from marshallers.types.tasks import TaskInstance, TaskInstanceList, TaskSummary, TaskSummaryList

log = logging.getLogger("kieserver.services.querydefs")

TARGETS = ("PROCESS", "TASK", "BA_TASK", "PO_TASK", "JOBS", "CUSTOM", "FILTERED_PROCESS", "FILTERED_BA_TASK",
           "FILTERED_PO_TASK", "USER_GROUPS_TASK")
DEFAULT_SOURCES = ("java:jboss/datasources/ExampleDS", "java:jboss/datasources/jbpmDS")
ADMIN_USER = "Administrator"
ADMIN_GROUP = "Administrators"

# KieServerConstants keys a builder's parameter map may carry
Q_ORDER_BY, Q_ASCENDING, Q_ORDER_BY_CLAUSE, Q_COLUMN_MAPPING = ("q_order_by", "q_ascending", "q_order_by_clause",
                                                                 "q_column_mapping")


# ---------------------------------------------------------------------------------------------- errors

class QueryError(Exception):
    """Base class; `status` is the HTTP status the resources answer with."""
    status = 500


class QueryAlreadyRegistered(QueryError):
    status = 409


class QueryNotFound(QueryError):
    status = 404


class NotReadOnly(QueryError):
    """The expression is not a single SELECT, or tried to write (refused, data unchanged)."""
    status = 400


class BadRequest(QueryError):
    """Bad column, operator, value or mapper in a filtered query (KIE: DataSetLookupException,
    IllegalArgumentException -> 400 'The request could not be understood...')."""
    status = 400


class MetadataError(QueryError):
    status = 500


# ---------------------------------------------------------------------------------------------- SQL text

_WORD = re.compile(r"[A-Za-z_]+")


def _scan(sql: str):
    """Yield (index, char) of the characters outside string literals, quoted identifiers and
    comments; raises NotReadOnly for an unterminated literal or comment."""
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"`":
            j = i + 1
            while True:
                k = sql.find(c, j)
                if k < 0:
                    raise NotReadOnly("the query expression has an unterminated quoted text")
                if k + 1 < n and sql[k + 1] == c:      # doubled quote inside the literal
                    j = k + 2
                    continue
                break
            i = k + 1
            continue
        if sql.startswith("--", i):
            k = sql.find("\n", i)
            i = n if k < 0 else k + 1
            continue
        if sql.startswith("/*", i):
            k = sql.find("*/", i + 2)
            if k < 0:
                raise NotReadOnly("the query expression has an unterminated comment")
            i = k + 2
            continue
        yield i, c
        i += 1


def check_read_only(sql) -> str:
    """The expression cleaned for wrapping as a subquery (a trailing ';' dropped), or NotReadOnly:
    it must be one statement that starts with SELECT or WITH."""
    if sql is None or not str(sql).strip():
        raise NotReadOnly("the query expression is empty")
    sql = str(sql).strip()
    visible = []
    end = None
    for i, c in _scan(sql):
        if c == ";":
            end = i
            break
        visible.append(c)
    if end is not None:
        rest = "".join(c for _, c in _scan(sql[end + 1:]))
        if rest.strip():
            raise NotReadOnly("the query expression must be a single SQL statement")
        sql = sql[:end].rstrip()
    text = "".join(visible).lstrip(" \t\r\n(")
    m = _WORD.match(text)
    first = m.group(0).lower() if m else ""
    if first not in ("select", "with"):
        raise NotReadOnly("only SELECT queries (optionally starting with WITH) can be registered as query "
                          f"definitions, not '{first or text[:20]}'")
    # defence in depth (the database runs the query read-only anyway): no data-changing keyword and no
    # function with side effects outside literals
    for w in _WORD.findall("".join(visible)):
        lw = w.lower()
        if lw in _WRITE_WORDS:
            raise NotReadOnly(f"the query expression contains '{w}': query definitions are read-only")
        if lw in _DENIED_FUNCTIONS or lw.startswith("lo_"):
            raise NotReadOnly(f"the function '{w}' is not allowed in a query definition")
    return sql


_WRITE_WORDS = frozenset("""insert update delete drop alter create truncate merge grant revoke attach detach pragma
vacuum reindex copy call execute lock into upsert replace_into""".split())
_DENIED_FUNCTIONS = frozenset("""pg_read_file pg_read_binary_file pg_ls_dir pg_stat_file pg_terminate_backend
pg_cancel_backend pg_sleep pg_reload_conf pg_rotate_logfile set_config dblink dblink_exec load_extension readfile
writefile fts3_tokenizer pg_advisory_lock pg_advisory_xact_lock pg_notify nextval setval""".split())


def resolve_placeholders(text, props):
    """${name} replaced from the configured properties (as KIE resolves system properties)."""
    if not text or "${" not in text:
        return text
    return re.sub(r"\$\{([^}]+)\}", lambda m: str(props.get(m.group(1), m.group(0))), text)


# ---------------------------------------------------------------------------------------------- running SQL

_PG_TYPES = {16: "LABEL", 20: "NUMBER", 21: "NUMBER", 23: "NUMBER", 26: "NUMBER", 700: "NUMBER", 701: "NUMBER",
             1700: "NUMBER", 1042: "LABEL", 1043: "LABEL", 25: "LABEL", 18: "LABEL", 19: "LABEL",
             1082: "DATE", 1083: "DATE", 1114: "DATE", 1184: "DATE", 1266: "DATE"}
_PG_INT4 = {21, 23}
_DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?$")

_name_kinds_cache = {}


def _name_kinds():
    """column name (lower case) -> (column type, small int?) from the registered peewee models, for
    SQLite, whose cursor does not say what a column is."""
    models = tuple(store_db._models)
    hit = _name_kinds_cache.get(len(models))
    if hit is not None:
        return hit
    out = {}
    for m in models:
        for f in m._meta.sorted_fields:
            name = f.column_name.lower()
            if isinstance(f, peewee.DateTimeField):
                kind = ("DATE", False)
            elif isinstance(f, (peewee.IntegerField, peewee.FloatField, peewee.DecimalField, peewee.AutoField)):
                small = type(f) in (peewee.IntegerField, peewee.SmallIntegerField)
                kind = ("NUMBER", small)
            elif isinstance(f, peewee.TextField):
                kind = ("TEXT", False)
            else:
                kind = ("LABEL", False)
            if name not in out or kind[0] == "DATE":
                out[name] = kind
    _name_kinds_cache.clear()
    _name_kinds_cache[len(models)] = out
    return out


class Column:
    __slots__ = ("name", "type", "small")

    def __init__(self, name, type_, small=False):
        self.name = name
        self.type = type_
        self.small = small


def _value_type(v):
    if isinstance(v, bool):
        return "LABEL"
    if isinstance(v, (int, float, Decimal)):
        return "NUMBER"
    if isinstance(v, (_dt.datetime, _dt.date)):
        return "DATE"
    return "LABEL"


def _columns_from(description, first_row):
    pg = store_db.is_postgres()
    kinds = None if pg else _name_kinds()
    cols = []
    for i, d in enumerate(description):
        name = d[0]
        if pg:
            code = d[1]
            cols.append(Column(name, _PG_TYPES.get(code, "LABEL"), code in _PG_INT4))
            continue
        known = kinds.get(name.lower())
        v = first_row[i] if first_row is not None else None
        if known and (v is None or known[0] in ("DATE", "TEXT") or _value_type(v) == known[0]):
            cols.append(Column(name, known[0], known[1]))
        elif v is not None:
            cols.append(Column(name, _value_type(v)))
        else:
            cols.append(Column(name, "LABEL"))
    return cols


def _to_python(v, col):
    """A database value as the mappers expect it: dates as aware UTC datetimes, integral numbers as
    Long (bigint) or int (integer columns)."""
    if v is None:
        return None
    if isinstance(v, _dt.datetime):
        return v.replace(tzinfo=UTC) if v.tzinfo is None else v
    if isinstance(v, str) and col.type == "DATE" and _DATE_TEXT.match(v):
        try:
            d = _dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            return v
        return d.replace(tzinfo=UTC) if d.tzinfo is None else d
    if isinstance(v, Decimal):
        return Long(int(v)) if v == v.to_integral_value() else float(v)
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return int(v) if col.small else Long(v)
    if isinstance(v, (bytes, memoryview)):
        return bytes(v).decode("utf-8", "replace")
    return v


def _db_param(v):
    """A filter value as the driver binds it (plain Python types; dates as the store writes them)."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v)
    if isinstance(v, _dt.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(UTC).replace(tzinfo=None)
        return v if store_db.is_postgres() else str(v)
    if v is None or isinstance(v, str):
        return v
    return str(v)


def _is_read_only_violation(e) -> bool:
    code = getattr(getattr(e, "orig", None), "pgcode", None) or getattr(e, "pgcode", None)
    if code == "25006":
        return True
    text = str(e).lower()
    return "read-only transaction" in text or "readonly database" in text or "read only" in text


@contextmanager
def read_only(timeout_ms=60000):
    """A transaction in which the database itself refuses any write."""
    db = store_db.database
    if store_db.is_postgres():
        with db.atomic() as txn:
            db.execute_sql("SET TRANSACTION READ ONLY")
            db.execute_sql(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
            try:
                yield db
            finally:
                txn.rollback()
    else:
        db.execute_sql("PRAGMA query_only = 1")
        try:
            yield db
        finally:
            db.execute_sql("PRAGMA query_only = 0")


def _run(sql, params=()):
    """(columns, rows) of a read-only SELECT; NotReadOnly when the database refused a write."""
    db = store_db.database
    try:
        with read_only():
            cur = db.execute_sql(sql, params)
            description = cur.description or ()
            rows = cur.fetchall()
    except peewee.DatabaseError as e:
        if _is_read_only_violation(e):
            raise NotReadOnly(f"the query tried to change data and was refused: {_first_line(e)}") from None
        raise
    return description, rows


def _first_line(e):
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


def _user_sql(expression):
    """The user's SQL ready to embed in a statement with bound parameters."""
    sql = check_read_only(expression)
    if store_db.is_postgres():
        sql = sql.replace("%", "%%")     # psycopg2 reads % as a placeholder once parameters are bound
    return sql + "\n"                     # a trailing -- comment must not swallow the closing parenthesis


# ---------------------------------------------------------------------------------------------- filters

def _quote(name):
    return '"' + name.replace('"', '""') + '"'


class _Compiler:
    def __init__(self, columns, query_name):
        self.by_lower = {}
        for c in columns:
            self.by_lower.setdefault(c.name.lower(), c)
        self.query_name = query_name
        self.params = []
        self.p = store_db.database.param

    def column(self, name):
        if name is None or str(name) == "":
            raise BadRequest("a filter has no column")
        c = self.by_lower.get(str(name).lower())
        if c is None:
            raise BadRequest(f"Column '{name}' not found in data set '{self.query_name}'")
        return c

    def ref(self, name):
        return "q." + _quote(self.column(name).name)

    def bind(self, v, column=None):
        """A placeholder for v, coerced to the column's kind where the databases would not (a number
        compared with a text column, an ISO text compared with a date column)."""
        kind = column.type if column is not None else None
        if kind in ("LABEL", "TEXT") and isinstance(v, (int, float)) and not isinstance(v, bool):
            v = java_string(v)
        elif kind == "DATE" and isinstance(v, str) and _DATE_TEXT.match(v.strip()):
            try:
                d = _dt.datetime.fromisoformat(v.strip().replace("Z", "+00:00"))
                v = d if d.tzinfo is not None else d.replace(tzinfo=UTC)
            except ValueError:
                pass
        self.params.append(_db_param(v))
        return self.p

    def compile(self, param, inherited=None):
        column, op, values = _parts(param)
        column = column if column not in (None, "") else inherited
        op = (op or "").upper()
        values = list(values or [])
        if op in ("AND", "OR", "NOT"):
            subs = [self.compile(v, column) for v in values]
            if not subs:
                return "1=1"
            if op == "NOT":
                return "NOT (" + " AND ".join(subs) + ")"
            return "(" + f" {op} ".join(subs) + ")"
        meta = self.column(column)
        col = "q." + _quote(meta.name)
        if op == "IS_NULL":
            return f"{col} IS NULL"
        if op == "NOT_NULL":
            return f"{col} IS NOT NULL"
        if op in ("EQUALS_TO", "NOT_EQUALS_TO", "IN", "NOT_IN"):
            if isinstance(values[0] if len(values) == 1 else None, (list, tuple)):
                values = list(values[0])
            neg = op in ("NOT_EQUALS_TO", "NOT_IN")
            if not values:
                return "1=1" if neg else "1=0"
            if len(values) == 1 and op in ("EQUALS_TO", "NOT_EQUALS_TO"):
                return f"{col} {'<>' if neg else '='} {self.bind(values[0], meta)}"
            marks = ", ".join(self.bind(v, meta) for v in values)
            return f"{col} {'NOT IN' if neg else 'IN'} ({marks})"
        if op == "LIKE_TO":
            if not values or values[0] is None:
                raise BadRequest(f"LIKE_TO on column '{column}' needs a pattern")
            pattern = str(values[0])
            case_sensitive = True if len(values) < 2 else str(values[1]).lower() != "false"
            if meta.type not in ("LABEL", "TEXT"):
                col = f"CAST({col} AS VARCHAR(255))"     # LIKE on a number or date column: its text
            if not case_sensitive:
                return f"LOWER({col}) LIKE LOWER({self.bind(pattern)})"
            if store_db.is_postgres():
                return f"{col} LIKE {self.bind(pattern)}"
            # SQLite's LIKE ignores case: GLOB with the same pattern keeps jBPM's case-sensitive match
            return f"({col} LIKE {self.bind(pattern)} AND {col} GLOB {self.bind(_like_to_glob(pattern))})"
        if op == "BETWEEN":
            if len(values) < 2:
                raise BadRequest(f"BETWEEN on column '{column}' needs two values")
            return f"{col} BETWEEN {self.bind(values[0], meta)} AND {self.bind(values[1], meta)}"
        cmp = {"GREATER_THAN": ">", "GREATER_OR_EQUALS_TO": ">=", "LOWER_THAN": "<",
               "LOWER_OR_EQUALS_TO": "<="}.get(op)
        if cmp:
            if not values:
                raise BadRequest(f"{op} on column '{column}' needs a value")
            return f"{col} {cmp} {self.bind(values[0], meta)}"
        raise BadRequest(f"Unknown filter operator '{op}' on column '{column}'")


def _like_to_glob(pattern):
    out = []
    for ch in pattern:
        if ch == "%":
            out.append("*")
        elif ch == "_":
            out.append("?")
        elif ch in "*?[":
            out.append(f"[{ch}]")
        else:
            out.append(ch)
    return "".join(out)


def _parts(param):
    if isinstance(param, QueryParam):
        return param.column, param.operator, [to_query_param(v) for v in (param.value or [])]
    if isinstance(param, dict):
        return (param.get("column", param.get("cond-column")), param.get("operator", param.get("cond-operator")),
                [to_query_param(v) for v in (param.get("values", param.get("cond-values")) or [])])
    if isinstance(param, (tuple, list)) and len(param) >= 2:
        vals = param[2] if len(param) > 2 else []
        return param[0], param[1], [to_query_param(v) for v in (vals if isinstance(vals, (list, tuple)) else [vals])]
    raise BadRequest(f"Unsupported filter {param!r}")


def parse_sort(order_by=None, ascending=True, clause=None):
    """[(column, ascending)] from an order-by clause ('a asc, b desc') or a column list."""
    out = []
    if clause:
        for item in clause.split(","):
            parts = item.strip().split()
            if not parts:
                continue
            direction = parts[1].lower() if len(parts) > 1 else "asc"
            if direction not in ("asc", "desc"):
                raise BadRequest(f"Unknown sort order '{parts[1]}'")
            out.append((parts[0], direction == "asc"))
    elif order_by:
        for item in order_by.split(","):
            if item.strip():
                out.append((item.strip(), bool(ascending)))
    return out


# ---------------------------------------------------------------------------------------------- data set

class DataSet:
    """Query rows with case-insensitive column lookup (dashbuilder's DataSet.getColumnById)."""

    def __init__(self, columns, rows):
        self.columns = columns
        self.rows = rows
        self._idx = {}
        for i, c in enumerate(columns):
            self._idx.setdefault(c.name.lower(), i)

    def __len__(self):
        return len(self.rows)

    def has(self, name):
        return name.lower() in self._idx

    def value(self, row, name):
        i = self._idx.get(name.lower())
        return None if i is None else self.rows[row][i]

    def long(self, row, name):
        v = self.value(row, name)
        if v is None:
            return None
        if isinstance(v, str):
            try:
                return Long(int(v))
            except ValueError:
                raise BadRequest(f"Column '{name}' holds '{v}', not a number") from None
        return Long(int(v))

    def int(self, row, name):
        if not self.has(name):
            return -1
        v = self.value(row, name)
        if v is None:
            return -1
        try:
            return int(v)
        except (TypeError, ValueError):
            raise BadRequest(f"Column '{name}' holds '{v}', not a number") from None

    def float(self, row, name):
        v = self.value(row, name)
        return None if v is None else float(v)

    def str(self, row, name):
        v = self.value(row, name)
        return None if v is None else java_string(v)

    def date(self, row, name):
        v = self.value(row, name)
        return v if isinstance(v, _dt.datetime) else None

    def raw_row(self, row):
        return list(self.rows[row])

    def read_variables(self, row, mapping):
        out = {}
        for name, kind in (mapping or {}).items():
            k = str(kind).lower()
            if k == "long":
                out[name] = self.long(row, name)
            elif k == "integer":
                out[name] = self.int(row, name)
            elif k == "date":
                out[name] = self.date(row, name)
            elif k == "double":
                out[name] = self.float(row, name)
            else:
                out[name] = self.str(row, name)
        return out


def java_string(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


# ---------------------------------------------------------------------------------------------- mappers

def _pi_fields(ds, i):
    return dict(id=ds.long(i, "PROCESSINSTANCEID"), process_id=ds.str(i, "PROCESSID"),
                process_name=ds.str(i, "PROCESSNAME"), process_version=ds.str(i, "PROCESSVERSION"),
                state=ds.int(i, "STATUS"), container_id=ds.str(i, "EXTERNALID"), date=ds.date(i, "START_DATE"),
                initiator=ds.str(i, "USER_IDENTITY"), description=ds.str(i, "PROCESSINSTANCEDESCRIPTION"),
                correlation_key=ds.str(i, "CORRELATIONKEY"), parent_id=ds.long(i, "PARENTPROCESSINSTANCEID"))


def map_process_instances(ds, mapping=None):
    return ProcessInstanceList(items=[
        ProcessInstance(**_pi_fields(ds, i), sla_due_date=ds.date(i, "SLA_DUE_DATE"),
                        sla_compliance=ds.int(i, "SLACOMPLIANCE")) for i in range(len(ds))])


def _grouped(ds, key, build, each):
    out, seen = [], {}
    for i in range(len(ds)):
        k = ds.long(i, key)
        obj = seen.get(k)
        if obj is None:
            obj = seen[k] = build(i)
            out.append(obj)
        each(obj, i)
    return out


def map_process_instances_with_vars(ds, mapping=None):
    def build(i):
        return ProcessInstance(**_pi_fields(ds, i), sla_due_date=ds.date(i, "SLA_DUE_DATE"),
                               sla_compliance=ds.int(i, "SLACOMPLIANCE"))

    def each(pi, i):
        if pi.variables is None:
            pi.variables = {}
        pi.variables[ds.str(i, "VARIABLEID")] = ds.str(i, "VALUE")
    return ProcessInstanceList(items=_grouped(ds, "PROCESSINSTANCEID", build, each))


def map_process_instances_with_custom_vars(ds, mapping=None):
    def build(i):
        return ProcessInstance(**_pi_fields(ds, i), sla_due_date=ds.date(i, "SLA_DUE_DATE"),
                               sla_compliance=ds.int(i, "SLACOMPLIANCE"))

    def each(pi, i):
        pi.variables = ds.read_variables(i, mapping)
    return ProcessInstanceList(items=_grouped(ds, "PROCESSINSTANCEID", build, each))


def map_process_instances_custom(ds, mapping=None):
    def build(i):
        f = _pi_fields(ds, i)
        return ProcessInstanceCustomVars(**f, last_modification_date=ds.date(i, "LASTMODIFICATIONDATE"))

    def each(pi, i):
        name = ds.str(i, "VARIABLEID")
        if name is not None:
            if pi.variables is None:
                pi.variables = {}
            pi.variables[name] = ds.str(i, "VALUE")
    return ProcessInstanceCustomVarsList(items=_grouped(ds, "PROCESSINSTANCEID", build, each))


def _task(ds, i, full=True):
    t = TaskInstance(id=ds.long(i, "TASKID"), status=ds.str(i, "STATUS"), activation_time=ds.date(i, "ACTIVATIONTIME"),
                     name=ds.str(i, "NAME"), description=ds.str(i, "DESCRIPTION"), priority=ds.int(i, "PRIORITY"),
                     actual_owner=ds.str(i, "ACTUALOWNER"), created_by=ds.str(i, "CREATEDBY"),
                     container_id=ds.str(i, "DEPLOYMENTID"), process_id=ds.str(i, "PROCESSID"),
                     process_instance_id=ds.long(i, "PROCESSINSTANCEID"), created_on=ds.date(i, "CREATEDON"),
                     expiration_date=ds.date(i, "DUEDATE"))
    if full:
        t.work_item_id = ds.long(i, "WORKITEMID")
        t.form_name = ds.str(i, "FORMNAME")
        t.subject = ds.str(i, "SUBJECT")
        t.correlation_key = ds.str(i, "CORRELATIONKEY")
        t.process_type = ds.int(i, "PROCESSTYPE")
        t.sla_due_date = ds.date(i, "SLA_DUE_DATE")
        t.sla_compliance = ds.int(i, "SLACOMPLIANCE")
    return t


def map_user_tasks(ds, mapping=None):
    return TaskInstanceList(items=[_task(ds, i) for i in range(len(ds))])


def map_user_tasks_with_vars(ds, mapping=None):
    def each(t, i):
        if t.input_data is None:
            t.input_data = {}
        t.input_data[ds.str(i, "TVNAME")] = ds.str(i, "TVVALUE")
    return TaskInstanceList(items=_grouped(ds, "TASKID", lambda i: _task(ds, i, full=False), each))


def map_user_tasks_with_custom_vars(ds, mapping=None):
    def each(t, i):
        t.input_data = ds.read_variables(i, mapping)
    return TaskInstanceList(items=_grouped(ds, "TASKID", lambda i: _task(ds, i), each))


def _task_po(ds, i, modif=False):
    t = TaskWithProcessDescription(
        id=ds.long(i, "TASKID"), name=ds.str(i, "NAME"), description=ds.str(i, "DESCRIPTION"),
        form_name=ds.str(i, "FORMNAME"), subject=ds.str(i, "SUBJECT"), actual_owner=ds.str(i, "ACTUALOWNER"),
        potential_owners=[ds.str(i, "POTOWNER")], correlation_key=ds.str(i, "CORRELATIONKEY"),
        created_on=ds.date(i, "CREATEDON"), created_by=ds.str(i, "CREATEDBY"),
        expiration_date=ds.date(i, "EXPIRATIONDATE"), priority=ds.int(i, "PRIORITY"), status=ds.str(i, "STATUS"),
        process_instance_id=ds.long(i, "PROCESSINSTANCEID"), process_id=ds.str(i, "PROCESSID"),
        container_id=ds.str(i, "DEPLOYMENTID"),
        process_instance_description=ds.str(i, "PROCESSINSTANCEDESCRIPTION"))
    if modif:
        t.last_modification_date = ds.date(i, "LASTMODIFICATIONDATE")
        t.last_modification_user = ds.str(i, "LASTMODIFICATIONUSER")
    return t


def map_user_tasks_with_pot_owners(ds, mapping=None):
    out, seen = [], {}
    for i in range(len(ds)):
        k = ds.long(i, "TASKID")
        t = seen.get(k)
        if t is None:
            t = seen[k] = _task_po(ds, i)
            out.append(t)
        elif ds.str(i, "POTOWNER") is not None:
            t.potential_owners.append(ds.str(i, "POTOWNER"))
    return TaskWithProcessDescriptionList(items=out)


def map_user_tasks_with_modifications(ds, mapping=None):
    out, seen = [], {}
    for i in range(len(ds)):
        k = ds.long(i, "TASKID")
        t = seen.get(k)
        po = ds.str(i, "POTOWNER")
        if t is None:
            t = seen[k] = _task_po(ds, i, modif=True)
            out.append(t)
        elif po not in t.potential_owners:
            t.potential_owners.append(po)
        name, value = ds.str(i, "TVNAME"), ds.str(i, "TVVALUE")
        if ds.int(i, "TVTYPE") == 0:
            t.input_data = t.input_data if t.input_data is not None else {}
            t.input_data[name] = value
        else:
            t.output_data = t.output_data if t.output_data is not None else {}
            t.output_data[name] = value
    return TaskWithProcessDescriptionList(items=out)


def map_task_summaries(ds, mapping=None):
    out = []
    for i in range(len(ds)):
        status = ds.str(i, "STATUS")
        if status is None:
            raise BadRequest("The TaskSummaries mapper needs a STATUS column with a task status")
        out.append(TaskSummary(
            id=ds.long(i, "TASKID"), name=ds.str(i, "NAME"), subject=ds.str(i, "SUBJECT"),
            description=ds.str(i, "DESCRIPTION"), status=status, priority=ds.int(i, "PRIORITY"),
            actual_owner=ds.str(i, "ACTUALOWNER"), created_by=ds.str(i, "CREATEDBY"),
            created_on=ds.date(i, "CREATEDON"), activation_time=ds.date(i, "ACTIVATIONTIME"),
            expiration_time=ds.date(i, "DUEDATE"), process_id=ds.str(i, "PROCESSID"),
            process_instance_id=ds.long(i, "PROCESSINSTANCEID"), parent_id=Long(-1),
            container_id=ds.str(i, "DEPLOYMENTID"), skipable=False, correlation_key=ds.str(i, "CORRELATIONKEY"),
            process_type=ds.int(i, "PROCESSTYPE")))
    return TaskSummaryList(items=out)


def map_raw_list(ds, mapping=None):
    return [ds.raw_row(i) for i in range(len(ds))]


def map_execution_errors(ds, mapping=None):
    return ExecutionErrorInstanceList(items=[
        ExecutionErrorInstance(
            error_id=ds.str(i, "ERROR_ID"), type=ds.str(i, "ERROR_TYPE"), container_id=ds.str(i, "DEPLOYMENT_ID"),
            process_instance_id=ds.long(i, "PROCESS_INST_ID"), process_id=ds.str(i, "PROCESS_ID"),
            activity_id=ds.long(i, "ACTIVITY_ID"), activity_name=ds.str(i, "ACTIVITY_NAME"),
            job_id=ds.long(i, "JOB_ID"), error_message=ds.str(i, "ERROR_MSG"),
            acknowledged=ds.int(i, "ERROR_ACK") == 1, acknowledged_by=ds.str(i, "ERROR_ACK_BY"),
            acknowledged_at=ds.date(i, "ERROR_ACK_AT"), error_date=ds.date(i, "ERROR_DATE"))
        for i in range(len(ds))])


MAPPERS = {
    "ProcessInstances": map_process_instances,
    "ProcessInstancesWithVariables": map_process_instances_with_vars,
    "ProcessInstancesWithCustomVariables": map_process_instances_with_custom_vars,
    "ProcessInstancesCustom": map_process_instances_custom,
    "UserTasks": map_user_tasks,
    "UserTasksWithVariables": map_user_tasks_with_vars,
    "UserTasksWithCustomVariables": map_user_tasks_with_custom_vars,
    "UserTasksWithPotOwners": map_user_tasks_with_pot_owners,
    "UserTasksWithModifications": map_user_tasks_with_modifications,
    "TaskSummaries": map_task_summaries,
    "RawList": map_raw_list,
    "ExecutionErrors": map_execution_errors,
}

_LISTS = ((ProcessInstance, ProcessInstanceList), (TaskInstance, TaskInstanceList), (TaskSummary, TaskSummaryList),
          (ProcessInstanceCustomVars, ProcessInstanceCustomVarsList),
          (TaskWithProcessDescription, TaskWithProcessDescriptionList),
          (ExecutionErrorInstance, ExecutionErrorInstanceList))


def transform(result):
    """A user mapper's list of KIE instances wrapped in its KIE list type (QueryDataServiceBase.transform)."""
    if isinstance(result, (list, tuple)) and result:
        for item_type, list_type in _LISTS:
            if all(isinstance(x, item_type) for x in result):
                return list_type(items=list(result))
    return list(result) if isinstance(result, tuple) else result


def load_object(path):
    """'package.module:attr' or 'package.module.attr'."""
    if ":" in path:
        mod, attr = path.split(":", 1)
    else:
        mod, _, attr = path.rpartition(".")
    if not mod or not attr:
        raise ImportError(path)
    obj = importlib.import_module(mod)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


# ---------------------------------------------------------------------------------------------- service

class _Def:
    __slots__ = ("name", "source", "expression", "target", "container_id")

    def __init__(self, name, source, expression, target, container_id=None):
        self.name, self.source, self.expression, self.target = name, source, expression, target
        self.container_id = container_id


class QueryDefinitionService:
    """Register, replace, drop, list and run query definitions (the store is the truth: every
    worker and node sees the same definitions)."""

    def __init__(self, server=None, config=None):
        self.server = server
        cfg = dict(config or {})
        self.properties = {"org.kie.server.persistence.ds": DEFAULT_SOURCES[0]}
        self.properties.update(cfg.get("properties") or {})
        self.sources = set(DEFAULT_SOURCES) | {self.properties["org.kie.server.persistence.ds"]}
        self.sources |= set(cfg.get("datasources") or [])
        self.mappers = dict(MAPPERS)
        self._mapper_paths = dict(cfg.get("mappers") or {})
        self.builders = {}
        self._builder_paths = dict(cfg.get("builders") or {})
        self.timeout_ms = int(cfg.get("statement_timeout_ms", 60000))
        self._meta = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ registries
    def register_mapper(self, name, mapper):
        self.mappers[name] = mapper

    def register_builder(self, builder_id, factory):
        self.builders[builder_id] = factory

    def mapper_for(self, name):
        if not name:
            raise BadRequest("No mapper found with name null")
        m = self.mappers.get(name)
        if m is None and name in self._mapper_paths:
            m = self._load(self._mapper_paths[name])
        if m is None and "." in name:
            try:
                m = self._load(name)
            except (ImportError, AttributeError, ValueError):
                m = None
        if m is None:
            raise BadRequest(f"No mapper found with name {name}")
        return m

    def builder_for(self, builder_id):
        b = self.builders.get(builder_id)          # a factory: called with the parameter map
        if b is None and builder_id in self._builder_paths:
            b = load_object(self._builder_paths[builder_id])
        if b is None and "." in builder_id:
            try:
                b = load_object(builder_id)
            except (ImportError, AttributeError, ValueError):
                b = None
        if b is None:
            raise QueryError(f"No query param builder found for {builder_id}")
        return b

    @staticmethod
    def _load(path):
        obj = load_object(path)
        return obj() if isinstance(obj, type) else obj

    # ------------------------------------------------------------------ definitions
    def _check(self, d: _Def):
        if d.target is None:
            raise QueryError("Name is null")           # Target.valueOf(null)
        if d.target not in TARGETS:
            raise QueryError(f"No enum constant org.jbpm.services.api.query.model.QueryDefinition.Target.{d.target}")
        check_read_only(d.expression)
        source = resolve_placeholders(d.source, self.properties)
        if source not in self.sources:
            raise MetadataError(f"Can't get metadata on specified data set: {d.name}")
        try:
            return self.describe(d)
        except (NotReadOnly, QueryError):
            raise
        except peewee.DatabaseError as e:
            log.info("Query %s does not run: %s", d.name, e)
            raise MetadataError(f"Can't get metadata on specified data set: {d.name}") from None

    def describe(self, d: _Def):
        """The result columns of a definition (and remembers them for filters and sorting)."""
        sql = _user_sql(d.expression)
        description, rows = _run(f"SELECT * FROM ({sql}) q LIMIT 1")
        cols = _columns_from(description, rows[0] if rows else None)
        with self._lock:
            self._meta[(d.expression, type(store_db.database.obj).__name__)] = cols
        return cols

    def _columns(self, d: _Def):
        hit = self._meta.get((d.expression, type(store_db.database.obj).__name__))
        return hit if hit is not None else self.describe(d)

    @staticmethod
    def _row(name):
        return QueryDefinitionStore.get_or_none(QueryDefinitionStore.qname == name)

    def register(self, name, source, expression, target, container_id=None):
        d = _Def(name, source, expression, target, container_id)
        if self._row(name) is not None:
            raise QueryAlreadyRegistered(name)
        cols = self._check(d)
        try:
            with store_db.database.atomic():
                QueryDefinitionStore.create(qname=name, qsource=source, qexpression=expression, qtarget=target,
                                            containerid=container_id)
        except peewee.IntegrityError:
            raise QueryAlreadyRegistered(name) from None
        return self._to_model(d, cols)

    def replace(self, name, source, expression, target, container_id=None):
        d = _Def(name, source, expression, target, container_id)
        cols = self._check(d)
        with store_db.database.atomic():
            n = (QueryDefinitionStore.update(qsource=source, qexpression=expression, qtarget=target,
                                             containerid=container_id)
                 .where(QueryDefinitionStore.qname == name).execute())
            if not n:
                try:
                    with store_db.database.atomic():
                        QueryDefinitionStore.create(qname=name, qsource=source, qexpression=expression,
                                                    qtarget=target, containerid=container_id)
                except peewee.IntegrityError:
                    QueryDefinitionStore.update(qsource=source, qexpression=expression, qtarget=target,
                                                containerid=container_id).where(
                        QueryDefinitionStore.qname == name).execute()
        return self._to_model(d, cols)

    def unregister(self, name):
        n = QueryDefinitionStore.delete().where(QueryDefinitionStore.qname == name).execute()
        if not n:
            raise QueryNotFound(f"Query {name} not found")

    def definition(self, name) -> _Def:
        row = self._row(name)
        if row is None:
            raise QueryNotFound(f"Query {name} not found")
        return _Def(row.qname, row.qsource, row.qexpression, row.qtarget, row.containerid)

    def get(self, name):
        d = self.definition(name)
        return self._to_model(d, self.describe(d))

    def list(self, page=0, page_size=10):
        q = QueryDefinitionStore.select().order_by(QueryDefinitionStore.id)
        if page_size is not None and page_size > 0:
            q = q.offset(max(page, 0) * page_size).limit(page_size)
        return QueryDefinitionList(items=[
            QueryDefinition(name=r.qname, source=r.qsource, expression=r.qexpression, target=r.qtarget, columns={})
            for r in q])

    @staticmethod
    def _to_model(d, cols):
        return QueryDefinition(name=d.name, source=d.source, expression=d.expression, target=d.target,
                               columns={c.name: c.type for c in cols})

    # ------------------------------------------------------------------ containers
    def load_container_queries(self, container_id, data: bytes):
        """A kjar's query-definitions.json (a JSON array of QueryDefinition): each one replaces any
        query of that name, remembered as the container's so that a dispose drops it."""
        return self._load_queries(container_id, data)

    def _load_queries(self, container_id, data):
        try:
            items = json.loads(data.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            log.error("Unreadable query-definitions.json in container %s: %s", container_id, e)
            return []
        names = []
        for it in items if isinstance(items, list) else []:
            if not isinstance(it, dict) or not it.get("query-name"):
                continue
            name = it["query-name"]
            row = self._row(name)
            same = row is not None and (row.qsource, row.qexpression, row.qtarget, row.containerid) == (
                it.get("query-source"), it.get("query-expression"), it.get("query-target"), container_id)
            if not same:
                try:
                    self.replace(name, it.get("query-source"), it.get("query-expression"), it.get("query-target"),
                                 container_id)
                except (QueryError, peewee.DatabaseError) as e:
                    log.error("Query %s from container %s not registered: %s", name, container_id, e)
                    continue
            names.append(name)
        return names

    def drop_container_queries(self, container_id):
        QueryDefinitionStore.delete().where(QueryDefinitionStore.containerid == container_id).execute()

    # ------------------------------------------------------------------ running
    def query(self, name, mapper_name, *, page=0, page_size=10, sort=(), filters=(), column_mapping=None,
              identity=None):
        mapper = self.mapper_for(mapper_name)      # KIE resolves the mapper before it looks the query up
        d = self.definition(name)
        ds = self.rows(d, page=page, page_size=page_size, sort=sort, filters=filters, identity=identity)
        fn = getattr(mapper, "map", mapper)
        try:
            result = fn(ds, column_mapping)
        except TypeError:
            result = fn(ds)
        return transform(result)

    def rows(self, d: _Def, *, page=0, page_size=10, sort=(), filters=(), identity=None) -> DataSet:
        cols = self._columns(d)
        comp = _Compiler(cols, d.name)
        conds = [comp.compile(f) for f in filters]
        conds.extend(self._target_filters(d, comp, identity))
        user_sql = _user_sql(d.expression)
        where = (" WHERE " + " AND ".join(conds)) if conds else ""
        taskid = comp.by_lower.get("taskid")
        if d.target in ("PO_TASK", "FILTERED_PO_TASK", "BA_TASK", "FILTERED_BA_TASK", "USER_GROUPS_TASK") \
                and taskid is not None:
            # jBPM groups the task rows by TASKID (one row per task; the PO targets drop the org entity
            # column ID): the first row of each task, numbered before paging
            keep = [c for c in cols if not (d.target in ("PO_TASK", "FILTERED_PO_TASK") and c.name.lower() == "id")]
            tid = "q." + _quote(taskid.name)
            sql = (f"SELECT {', '.join('q.' + _quote(c.name) for c in keep)} FROM ("
                   f"SELECT q.*, ROW_NUMBER() OVER (PARTITION BY {tid} ORDER BY {tid}) AS kie_group_row "
                   f"FROM ({user_sql}) q{where}) q WHERE q.kie_group_row = 1")
            cols = keep
        else:
            sql = f"SELECT * FROM ({user_sql}) q{where}"
        if sort:
            sql += " ORDER BY " + ", ".join(f"{comp.ref(c)} {'ASC' if asc else 'DESC'}" for c, asc in sort)
        params = list(comp.params)
        p = store_db.database.param
        if page_size is not None and page_size > 0:
            sql += f" LIMIT {p} OFFSET {p}"
            params += [int(page_size), int(max(page, 0)) * int(page_size)]
        description, rows = _run(sql, tuple(params))
        if len(description) != len(cols) or any(dd[0] != c.name for dd, c in zip(description, cols)):
            cols = _columns_from(description, rows[0] if rows else None)
        return DataSet(cols, [tuple(_to_python(v, c) for v, c in zip(r, cols)) for r in rows])

    def _target_filters(self, d, comp, identity):
        t = d.target
        if identity is None or t in ("PROCESS", "TASK", "JOBS", "CUSTOM"):
            return []
        user = identity.user
        groups = [g for g in (identity.roles or []) if g]
        ents = groups + [user]
        if t in ("PO_TASK", "FILTERED_PO_TASK"):
            return [comp.compile(QueryParam(operator="AND", value=[
                QueryParam(operator="OR", value=[
                    QueryParam(column="ENTITY_ID", operator="IS_NULL", value=[]),
                    QueryParam(column="ENTITY_ID", operator="NOT_EQUALS_TO", value=[user])]),
                QueryParam(operator="OR", value=[
                    QueryParam(operator="AND", value=[
                        QueryParam(column="ID", operator="IN", value=ents),
                        QueryParam(operator="OR", value=[
                            QueryParam(column="ACTUALOWNER", operator="EQUALS_TO", value=[""]),
                            QueryParam(column="ACTUALOWNER", operator="IS_NULL", value=[])])]),
                    QueryParam(column="ACTUALOWNER", operator="EQUALS_TO", value=[user])])]))]
        if t in ("BA_TASK", "FILTERED_BA_TASK"):
            if user == ADMIN_USER or ADMIN_GROUP in groups:
                return []
            return [comp.compile(QueryParam(column="ID", operator="IN", value=ents))]
        if t == "USER_GROUPS_TASK":
            return [comp.compile(QueryParam(column="POTOWNER", operator="IN", value=ents))]
        if t == "FILTERED_PROCESS":
            deployments = self.deployments_for(identity)
            if deployments:
                return [comp.compile(QueryParam(column="EXTERNALID", operator="IN", value=deployments))]
            return [comp.compile(QueryParam(column="PROCESSINSTANCEID", operator="EQUALS_TO", value=[-1]))]
        return []

    def deployments_for(self, identity):
        """jBPM's DeploymentRolesManager: the containers whose deployment descriptor's required roles
        (view:ROLE or ROLE) include one of the user's roles, or that require none."""
        if self.server is None:
            return []
        from kieserver.store.models import ContainerRecord
        roles = set(identity.roles or [])
        out, secured = [], False
        for rec in ContainerRecord.select().where(ContainerRecord.status == "STARTED"):
            try:
                kc = self.server.containers.runtime(rec.container_id)
            except Exception:  # noqa: BLE001 - a broken container grants nothing
                kc = None
            required = required_roles(kc.kjar) if kc is not None else []
            if required:
                secured = True
            if not required or roles & set(required):
                out.append(rec.container_id)
        if secured and not out:
            out.append("deployments-are-secured")
        return out


def required_roles(kjar):
    data = getattr(kjar, "descriptor", None) or kjar.files.get("META-INF/kie-deployment-descriptor.xml")
    if not data:
        return []
    from marshallers.xmltree import XmlError, local, parse_xml
    try:
        root = parse_xml(data)
    except XmlError:
        return []
    out = []
    for node in root.iter():
        if isinstance(node.tag, str) and local(node.tag) == "required-role":
            text = (node.text or "").strip()
            if ":" in text:
                kind, _, role = text.partition(":")
                if kind == "view":
                    out.append(role)
            elif text:
                out.append(text)
    return out
