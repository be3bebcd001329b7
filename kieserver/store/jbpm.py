"""jBPM's runtime and audit tables, named as jBPM 7 names them, and the process state codec.

Table and column names are jBPM's (jbpm-db-scripts postgresql-jbpm-schema.sql, jbpm-audit entities) in
lower case, as the executor's tables are, so that SQL written for jBPM with unquoted identifiers
(`select processInstanceId from ProcessInstanceLog where status = 1`) runs on PostgreSQL, which folds them
to lower case, and on SQLite.

Runtime (rows live while the instance / work item / key is active, as in jBPM):
  ProcessInstanceInfo   one row per active instance: state blob, optimistic version (OPTLOCK); plus the
                        columns the service filters on (deploymentId, initiator, correlationKey)
  WorkItemInfo          one row per active work item (id allocation, lookups by id)
  CorrelationKeyInfo / CorrelationPropertyInfo   business keys of active instances (unique name)
  EventTypes            (InstanceId, element): event types an active instance waits for
Audit (kept after completion):
  ProcessInstanceLog, NodeInstanceLog, VariableInstanceLog (jBPM's columns, externalId = container id)

The state blob is typed JSON (see dump_state/load_state): JSON with Java values that JSON cannot tell
apart (Long, Float, BigDecimal, Date, custom objects...) tagged, so a variable keeps its Java type across
transactions, workers and restarts.
"""
from __future__ import annotations

import peewee

from kieserver.store.db import BaseModel, register

# ----------------------------------------------------------------------------------------------
# runtime
#
# ProcessInstanceInfo and WorkItemInfo are declared with exactly the columns and indexes the first
# slice of kieserver/ext/bpm.py declares for the same tables, so both definitions can coexist in one
# process until that module imports these (see docs/NEEDS-processes.md).


@register
class ProcessInstanceInfo(BaseModel):
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
    workitemid = peewee.BigAutoField()
    name = peewee.CharField(max_length=255)
    processinstanceid = peewee.BigIntegerField(index=True)
    state = peewee.IntegerField(default=0)
    creationdate = peewee.DateTimeField()

    class Meta:
        table_name = "workiteminfo"


@register
class CorrelationKeyInfo(BaseModel):
    keyid = peewee.BigAutoField()
    name = peewee.CharField(max_length=255, unique=True)
    processinstanceid = peewee.BigIntegerField(index=True)
    optlock = peewee.IntegerField(default=0)

    class Meta:
        table_name = "correlationkeyinfo"


@register
class CorrelationPropertyInfo(BaseModel):
    propertyid = peewee.BigAutoField()
    name = peewee.CharField(max_length=255, null=True)
    value = peewee.CharField(max_length=255, null=True)
    optlock = peewee.IntegerField(default=0)
    correlationkey_keyid = peewee.BigIntegerField(index=True)

    class Meta:
        table_name = "correlationpropertyinfo"


@register
class EventTypes(BaseModel):
    instanceid = peewee.BigIntegerField(index=True)
    element = peewee.CharField(max_length=255, null=True, index=True)

    class Meta:
        table_name = "eventtypes"
        primary_key = False


# ----------------------------------------------------------------------------------------------
# audit

@register
class ProcessInstanceLog(BaseModel):
    id = peewee.BigAutoField()
    correlationkey = peewee.CharField(max_length=255, null=True, index=True)
    duration = peewee.BigIntegerField(null=True)
    end_date = peewee.DateTimeField(null=True)
    externalid = peewee.CharField(max_length=255, null=True)
    user_identity = peewee.CharField(max_length=255, null=True, index=True)
    outcome = peewee.CharField(max_length=255, null=True)
    parentprocessinstanceid = peewee.BigIntegerField(null=True, index=True)
    processid = peewee.CharField(max_length=255, null=True, index=True)
    processinstancedescription = peewee.CharField(max_length=255, null=True)
    processinstanceid = peewee.BigIntegerField(unique=True)
    processname = peewee.CharField(max_length=255, null=True)
    processtype = peewee.IntegerField(null=True)
    processversion = peewee.CharField(max_length=255, null=True)
    sla_due_date = peewee.DateTimeField(null=True)
    slacompliance = peewee.IntegerField(null=True)
    start_date = peewee.DateTimeField(null=True, index=True)
    status = peewee.IntegerField(null=True, index=True)

    class Meta:
        table_name = "processinstancelog"
        indexes = ((("externalid", "status"), False),)


@register
class NodeInstanceLog(BaseModel):
    id = peewee.BigAutoField()
    connection = peewee.CharField(max_length=255, null=True)
    log_date = peewee.DateTimeField(null=True)
    externalid = peewee.CharField(max_length=255, null=True)
    nodeid = peewee.CharField(max_length=255, null=True)
    nodeinstanceid = peewee.CharField(max_length=255, null=True)
    nodename = peewee.CharField(max_length=255, null=True)
    nodetype = peewee.CharField(max_length=255, null=True)
    processid = peewee.CharField(max_length=255, null=True)
    processinstanceid = peewee.BigIntegerField(index=True)
    sla_due_date = peewee.DateTimeField(null=True)
    slacompliance = peewee.IntegerField(null=True)
    type = peewee.IntegerField()
    workitemid = peewee.BigIntegerField(null=True, index=True)
    nodecontainerid = peewee.CharField(max_length=255, null=True)
    referenceid = peewee.BigIntegerField(null=True)
    observation = peewee.CharField(max_length=255, null=True)

    class Meta:
        table_name = "nodeinstancelog"


@register
class VariableInstanceLog(BaseModel):
    id = peewee.BigAutoField()
    log_date = peewee.DateTimeField(null=True)
    externalid = peewee.CharField(max_length=255, null=True)
    oldvalue = peewee.CharField(max_length=255, null=True)
    processid = peewee.CharField(max_length=255, null=True)
    processinstanceid = peewee.BigIntegerField()
    value = peewee.CharField(max_length=255, null=True)
    variableid = peewee.CharField(max_length=255, null=True, index=True)
    variableinstanceid = peewee.CharField(max_length=255, null=True)

    class Meta:
        table_name = "variableinstancelog"
        indexes = ((("processinstanceid", "variableid"), False),)


RUNTIME_MODELS = (ProcessInstanceInfo, WorkItemInfo, CorrelationKeyInfo, CorrelationPropertyInfo, EventTypes)
AUDIT_MODELS = (ProcessInstanceLog, NodeInstanceLog, VariableInstanceLog)

# NodeInstanceLog.type (jBPM's NodeInstanceLog.TYPE_*) and the EntryType names of the REST filter
NODE_ENTER, NODE_EXIT, NODE_ABORTED, NODE_SKIPPED, NODE_OBSOLETE, NODE_ERROR = 0, 1, 2, 3, 4, 5
ENTRY_TYPES = {"START": 0, "END": 1, "ABORTED": 2, "SKIPPED": 3, "OBSOLETE": 4, "ERROR": 5}

LOG_LENGTH = 255


def clip(text, n=LOG_LENGTH):
    """jBPM trims logged strings to org.jbpm.var.log.length (255)."""
    if text is not None and len(text) > n:
        return text[:n]
    return text


# ----------------------------------------------------------------------------------------------
# hot-path SQL: statements built once per database (peewee's query building costs more than the query)

_stmt_cache: dict = {}


def _ph():
    from kieserver.store.db import is_postgres
    return "%s" if is_postgres() else "?"


def fast_insert(model, row: dict):
    """INSERT one row (keys: field names); returns the new primary key when the key is generated."""
    from kieserver.store.db import database, is_postgres
    cols = tuple(row)
    key = ("i", model, cols, is_postgres())
    ent = _stmt_cache.get(key)
    if ent is None:
        fields = [model._meta.fields[c] for c in cols]
        pk = model._meta.primary_key
        ph = _ph()
        sql = (f'INSERT INTO "{model._meta.table_name}" ({", ".join(chr(34) + f.column_name + chr(34) for f in fields)}) '
               f'VALUES ({", ".join([ph] * len(fields))})')
        returning = bool(pk) and pk.name not in cols and isinstance(pk, peewee.AutoField)
        if returning and is_postgres():
            sql += f' RETURNING "{pk.column_name}"'
        ent = _stmt_cache[key] = (sql, fields, returning)
    sql, fields, returning = ent
    cur = database.execute_sql(sql, [f.db_value(row[f.name]) for f in fields])
    if not returning:
        return None
    return cur.fetchone()[0] if is_postgres() else cur.lastrowid


def fast_insert_many(model, rows):
    """INSERT several rows with the same keys."""
    if not rows:
        return
    from kieserver.store.db import database
    if len(rows) == 1:
        fast_insert(model, rows[0])
        return
    cols = tuple(rows[0])
    fields = [model._meta.fields[c] for c in cols]
    ph = _ph()
    one = f'({", ".join([ph] * len(fields))})'
    sql = (f'INSERT INTO "{model._meta.table_name}" ({", ".join(chr(34) + f.column_name + chr(34) for f in fields)}) '
           f'VALUES {", ".join([one] * len(rows))}')
    params = [f.db_value(r[f.name]) for r in rows for f in fields]
    database.execute_sql(sql, params)


def fast_execute(sql, params=()):
    """A hand-written statement with '?' placeholders (rewritten for PostgreSQL); returns the cursor."""
    from kieserver.store.db import database
    key = ("x", sql, _ph())
    text = _stmt_cache.get(key)
    if text is None:
        text = _stmt_cache[key] = sql.replace("?", _ph())
    return database.execute_sql(text, params)


def db_time(value):
    """A naive UTC datetime as the DateTimeField columns store it."""
    return ProcessInstanceLog.start_date.db_value(value)
