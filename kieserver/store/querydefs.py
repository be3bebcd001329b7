"""Tables of the advanced queries (QueryDataResource).

QueryDefinitionStore keeps the registered query definitions as jBPM's QueryDefinitionEntity does
(name, source, expression, target), plus the container that brought it (a kjar's
query-definitions.json), so that a dispose removes them.

ExecutionErrorInfo is jBPM's table of execution errors (org.jbpm.runtime.manager.impl.jpa.
ExecutionErrorInfo), with jBPM's column names in lower case, so that queries written for jBPM
(`select * from ExecutionErrorInfo where ERROR_ACK = 0`, the default `jbpmProcessInstances` query's
error count) run unchanged on SQLite and PostgreSQL.  Nothing else in this server defines it yet.
"""
from __future__ import annotations

import peewee

from kieserver.store.db import BaseModel, register


@register
class QueryDefinitionStore(BaseModel):
    id = peewee.BigAutoField()
    qname = peewee.CharField(max_length=255, unique=True)
    qsource = peewee.CharField(max_length=255, null=True)
    qexpression = peewee.TextField(null=True)
    qtarget = peewee.CharField(max_length=255, null=True)
    containerid = peewee.CharField(max_length=255, null=True, index=True)

    class Meta:
        table_name = "querydefinitionstore"


@register
class ExecutionErrorInfo(BaseModel):
    id = peewee.BigAutoField()
    error_ack = peewee.SmallIntegerField(null=True, default=0)
    error_ack_at = peewee.DateTimeField(null=True)
    error_ack_by = peewee.CharField(max_length=255, null=True)
    activity_id = peewee.BigIntegerField(null=True)
    activity_name = peewee.CharField(max_length=255, null=True)
    deployment_id = peewee.CharField(max_length=255, null=True, index=True)
    error_info = peewee.TextField(null=True)
    error_date = peewee.DateTimeField(null=True)
    error_id = peewee.CharField(max_length=255, null=True, index=True)
    error_msg = peewee.CharField(max_length=255, null=True)
    init_activity_id = peewee.BigIntegerField(null=True)
    job_id = peewee.BigIntegerField(null=True)
    process_id = peewee.CharField(max_length=255, null=True)
    process_inst_id = peewee.BigIntegerField(null=True, index=True)
    error_type = peewee.CharField(max_length=255, null=True)
    optlock = peewee.IntegerField(null=True, default=0)

    class Meta:
        table_name = "executionerrorinfo"

