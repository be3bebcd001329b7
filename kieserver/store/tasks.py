"""Human task tables, shaped like jBPM 7's (jbpm-human-task-jpa Taskorm / jbpm-human-task-audit).

Table and column names are jBPM's in lower case, so SQL written for jBPM with unquoted names
(`select t.id, t.name from Task t join PeopleAssignments_PotOwners po on po.task_id = t.id ...`)
runs unchanged on PostgreSQL (which folds unquoted identifiers to lower case) and on SQLite.

  task                          the runtime task (TaskImpl + TaskData): id, name, subject, description,
                                priority, skipable, formName, status, previousStatus (Status ordinal),
                                actualOwner_id, createdBy_id, taskInitiator_id, createdOn, activationTime,
                                expirationTime, processInstanceId, processId, processSessionId, deploymentId,
                                workItemId, parentId, documentContentId / outputContentId / faultContentId
                                (-1 when none), archived, taskType, OPTLOCK (bumped on every change)
  peopleassignments_potowners   task_id, entity_id  (+ id: keeps assignment order)
  peopleassignments_bas         task_id, entity_id
  peopleassignments_exclowners  task_id, entity_id
  organizationalentity          id, dtype ('User' | 'Group')
  content                       id, content (the serialized value: XStream text, UTF-8)
  attachment                    id, name, contentType, attachment_size, attachedAt, attachedBy_id,
                                attachmentContentId, accessType, TaskData_Attachments_Id (the task)
  task_comment                  id, text, addedAt, addedBy_id, TaskData_Comments_Id (the task)
  audittaskimpl                 the audit view of a task (AuditTaskImpl): taskId, status, actualOwner ('' when
                                none), name, description, priority, createdBy, createdOn, activationTime,
                                dueDate, processInstanceId, processId, processSessionId, deploymentId,
                                parentId, workItemId, lastModificationDate
  taskevent                     TaskEventImpl: taskId, type, userId, logTime, processInstanceId, workItemId,
                                message, correlationKey, processType, currentOwner, OPTLOCK
  taskvariableimpl              TaskVariableImpl: taskId, processInstanceId, processId, name, value
                                (toString, at most 4000 chars), type (0 INPUT, 1 OUTPUT), modificationDate

Extra columns beyond jBPM's (ignored by jBPM-style SQL): task.suspendUntil (auto-resume time of a
task suspended with `suspendUntil`).  Dates are naive UTC.
"""
from __future__ import annotations

import peewee

from kieserver.store.db import BaseModel, register

# org.kie.api.task.model.Status in declaration order (previousStatus stores the ordinal)
STATUSES = ("Created", "Ready", "Reserved", "InProgress", "Suspended", "Completed", "Failed", "Error",
            "Exited", "Obsolete")
ACTIVE_STATUSES = ("Created", "Ready", "Reserved", "InProgress", "Suspended")


@register
class Task(BaseModel):
    id = peewee.BigAutoField()
    archived = peewee.SmallIntegerField(default=0, index=True)
    allowedtodelegate = peewee.CharField(max_length=255, null=True, column_name="allowedtodelegate")
    description = peewee.CharField(max_length=255, null=True)
    formname = peewee.CharField(max_length=255, null=True)
    name = peewee.CharField(max_length=255, null=True)
    priority = peewee.IntegerField(default=0)
    subtaskstrategy = peewee.CharField(max_length=255, null=True)
    subject = peewee.CharField(max_length=255, null=True)
    activationtime = peewee.DateTimeField(null=True)
    createdon = peewee.DateTimeField(null=True)
    deploymentid = peewee.CharField(max_length=255, null=True)
    documentaccesstype = peewee.IntegerField(null=True)
    documentcontentid = peewee.BigIntegerField(default=-1)
    documenttype = peewee.CharField(max_length=255, null=True)
    expirationtime = peewee.DateTimeField(null=True)
    faultaccesstype = peewee.IntegerField(null=True)
    faultcontentid = peewee.BigIntegerField(default=-1)
    faultname = peewee.CharField(max_length=255, null=True)
    faulttype = peewee.CharField(max_length=255, null=True)
    outputaccesstype = peewee.IntegerField(null=True)
    outputcontentid = peewee.BigIntegerField(default=-1)
    outputtype = peewee.CharField(max_length=255, null=True)
    parentid = peewee.BigIntegerField(default=-1)
    previousstatus = peewee.IntegerField(null=True)
    processid = peewee.CharField(max_length=255, null=True, index=True)
    processinstanceid = peewee.BigIntegerField(default=-1, index=True)
    processsessionid = peewee.BigIntegerField(default=-1)
    skipable = peewee.BooleanField(default=False)
    status = peewee.CharField(max_length=255, null=True, index=True)
    workitemid = peewee.BigIntegerField(default=-1, index=True)
    tasktype = peewee.CharField(max_length=255, null=True)
    optlock = peewee.IntegerField(default=0, column_name="optlock")
    taskinitiator_id = peewee.CharField(max_length=255, null=True, index=True)
    actualowner_id = peewee.CharField(max_length=255, null=True, index=True)
    createdby_id = peewee.CharField(max_length=255, null=True, index=True)
    suspenduntil = peewee.DateTimeField(null=True, index=True)

    class Meta:
        table_name = "task"


class _Assignment(BaseModel):
    id = peewee.BigAutoField()
    task_id = peewee.BigIntegerField()
    entity_id = peewee.CharField(max_length=255)


@register
class PotOwner(_Assignment):
    class Meta:
        table_name = "peopleassignments_potowners"
        indexes = ((("task_id", "entity_id"), False), (("entity_id",), False))


@register
class BusinessAdmin(_Assignment):
    class Meta:
        table_name = "peopleassignments_bas"
        indexes = ((("task_id",), False), (("entity_id",), False))


@register
class ExcludedOwner(_Assignment):
    class Meta:
        table_name = "peopleassignments_exclowners"
        indexes = ((("task_id",), False), (("entity_id",), False))


@register
class OrganizationalEntity(BaseModel):
    id = peewee.CharField(max_length=255, primary_key=True)
    dtype = peewee.CharField(max_length=31)     # 'User' or 'Group'

    class Meta:
        table_name = "organizationalentity"


@register
class Content(BaseModel):
    id = peewee.BigAutoField()
    content = peewee.BlobField(null=True)

    class Meta:
        table_name = "content"


@register
class Attachment(BaseModel):
    id = peewee.BigAutoField()
    accesstype = peewee.IntegerField(null=True)
    attachedat = peewee.DateTimeField(null=True)
    attachmentcontentid = peewee.BigIntegerField(default=-1)
    contenttype = peewee.CharField(max_length=255, null=True)
    name = peewee.CharField(max_length=255, null=True)
    attachment_size = peewee.IntegerField(null=True)
    attachedby_id = peewee.CharField(max_length=255, null=True, index=True)
    taskdata_attachments_id = peewee.BigIntegerField(null=True, index=True)

    class Meta:
        table_name = "attachment"


@register
class Comment(BaseModel):
    id = peewee.BigAutoField()
    addedat = peewee.DateTimeField(null=True)
    text = peewee.TextField(null=True)
    addedby_id = peewee.CharField(max_length=255, null=True, index=True)
    taskdata_comments_id = peewee.BigIntegerField(null=True, index=True)

    class Meta:
        table_name = "task_comment"


@register
class AuditTask(BaseModel):
    id = peewee.BigAutoField()
    activationtime = peewee.DateTimeField(null=True)
    actualowner = peewee.CharField(max_length=255, null=True, index=True)
    createdby = peewee.CharField(max_length=255, null=True)
    createdon = peewee.DateTimeField(null=True)
    deploymentid = peewee.CharField(max_length=255, null=True)
    description = peewee.CharField(max_length=255, null=True)
    duedate = peewee.DateTimeField(null=True)
    lastmodificationdate = peewee.DateTimeField(null=True)
    name = peewee.CharField(max_length=255, null=True, index=True)
    parentid = peewee.BigIntegerField(default=-1)
    priority = peewee.IntegerField(default=0)
    processid = peewee.CharField(max_length=255, null=True, index=True)
    processinstanceid = peewee.BigIntegerField(default=-1, index=True)
    processsessionid = peewee.BigIntegerField(default=-1)
    status = peewee.CharField(max_length=255, null=True, index=True)
    taskid = peewee.BigIntegerField(null=True, unique=True)
    workitemid = peewee.BigIntegerField(null=True, index=True)

    class Meta:
        table_name = "audittaskimpl"


@register
class TaskEvent(BaseModel):
    id = peewee.BigAutoField()
    correlationkey = peewee.CharField(max_length=255, null=True)
    logtime = peewee.DateTimeField(null=True)
    message = peewee.CharField(max_length=255, null=True)
    processinstanceid = peewee.BigIntegerField(null=True, index=True)
    processtype = peewee.IntegerField(null=True)
    taskid = peewee.BigIntegerField(null=True, index=True)
    type = peewee.CharField(max_length=255, null=True)
    userid = peewee.CharField(max_length=255, null=True)
    optlock = peewee.IntegerField(default=0)
    workitemid = peewee.BigIntegerField(null=True)
    currentowner = peewee.CharField(max_length=255, null=True)

    class Meta:
        table_name = "taskevent"


@register
class TaskVariable(BaseModel):
    id = peewee.BigAutoField()
    modificationdate = peewee.DateTimeField(null=True)
    name = peewee.CharField(max_length=255, null=True, index=True)
    processid = peewee.CharField(max_length=255, null=True, index=True)
    processinstanceid = peewee.BigIntegerField(null=True, index=True)
    taskid = peewee.BigIntegerField(null=True, index=True)
    type = peewee.IntegerField(null=True)          # 0 INPUT, 1 OUTPUT (org.kie.internal.task.api.model.TaskVariable.VariableType)
    value = peewee.CharField(max_length=4000, null=True)

    class Meta:
        table_name = "taskvariableimpl"


# ---------------------------------------------------------------------------------------------
# hot-path SQL built once per dialect (peewee's query building costs more than the statements)

class Sql:
    """INSERT / UPDATE / SELECT-by-column statements on a model, cached per dialect and column set."""

    def __init__(self):
        self._cache = {}

    @staticmethod
    def _db():
        from kieserver.store.db import database
        return database

    def _key(self, *parts):
        # the text depends only on the dialect (placeholder style, RETURNING), not on the connection
        return (type(self._db().obj).__name__,) + parts

    def insert(self, model, values: dict, ignore=False) -> int | None:
        """INSERT a row; returns the new id (None with ignore=True: ON CONFLICT DO NOTHING)."""
        db = self._db()
        cols = tuple(values)
        key = self._key("i", model, cols, ignore)
        sql = self._cache.get(key)
        fields = model._meta.fields
        if sql is None:
            p = db.param
            names = ", ".join(f'"{fields[c].column_name}"' for c in cols)
            sql = f'INSERT INTO "{model._meta.table_name}" ({names}) VALUES ({", ".join([p] * len(cols))})'
            from kieserver.store.db import is_postgres
            if ignore:
                sql += " ON CONFLICT DO NOTHING"
            elif is_postgres():
                sql += ' RETURNING "id"'
            self._cache[key] = sql
        cur = db.execute_sql(sql, tuple(fields[c].db_value(values[c]) for c in cols))
        if ignore:
            return None
        if sql.endswith('RETURNING "id"'):
            return cur.fetchone()[0]
        return cur.lastrowid

    def update(self, model, values: dict, where: dict) -> int:
        """UPDATE ... SET values WHERE col = ? AND ...; returns the row count."""
        db = self._db()
        cols, wcols = tuple(values), tuple(where)
        key = self._key("u", model, cols, wcols)
        sql = self._cache.get(key)
        fields = model._meta.fields
        if sql is None:
            p = db.param
            sets = ", ".join(f'"{fields[c].column_name}" = {p}' for c in cols)
            conds = " AND ".join(f'"{fields[c].column_name}" = {p}' for c in wcols)
            sql = f'UPDATE "{model._meta.table_name}" SET {sets} WHERE {conds}'
            self._cache[key] = sql
        params = tuple(fields[c].db_value(values[c]) for c in cols) + \
            tuple(fields[c].db_value(where[c]) for c in wcols)
        return db.execute_sql(sql, params).rowcount

    def get(self, model, column, value, for_update=False):
        """The first row whose `column` equals value (by primary key order), or None."""
        from kieserver.store.db import model_from_row
        db = self._db()
        key = self._key("g", model, column, for_update)
        hit = self._cache.get(key)
        if hit is None:
            fields = list(model._meta.sorted_fields)
            cols = ", ".join(f'"{f.column_name}"' for f in fields)
            col = model._meta.fields[column].column_name
            sql = (f'SELECT {cols} FROM "{model._meta.table_name}" WHERE "{col}" = {db.param} '
                   f'ORDER BY "id" LIMIT 1' + (" FOR UPDATE" if for_update else ""))
            hit = self._cache[key] = (sql, fields)
        sql, fields = hit
        row = db.execute_sql(sql, (model._meta.fields[column].db_value(value),)).fetchone()
        return None if row is None else model_from_row(model, fields, row)


sql = Sql()
