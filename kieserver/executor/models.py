"""The executor's tables, named as jBPM names them (RequestInfo, ErrorInfo).

Table and column names are lower case so that SQL written for jBPM with unquoted names
(`select * from RequestInfo where status = 'ERROR'`) finds them on PostgreSQL, which folds unquoted
identifiers to lower case, as well as on SQLite.  Columns as in jBPM 7's entities: id, timestamp
(the due time), status, commandName, message, businessKey, retries, executions, deploymentId,
owner, priority, processInstanceId, requestData, responseData; plus startedOn (when a worker
claimed it, for the RUNNING timeout).  ErrorInfo: id, message, stacktrace, timestamp, REQUEST_ID.
"""
from __future__ import annotations

import peewee

from kieserver.store.db import BaseModel, register

STATUSES = ("QUEUED", "DONE", "CANCELLED", "ERROR", "RETRYING", "RUNNING")


@register
class RequestInfo(BaseModel):
    id = peewee.BigAutoField()
    timestamp = peewee.DateTimeField(index=True)             # due time
    status = peewee.CharField(max_length=16, index=True)
    commandname = peewee.CharField(max_length=255, index=True)
    message = peewee.CharField(max_length=255, null=True)
    businesskey = peewee.CharField(max_length=255, null=True, index=True)
    retries = peewee.IntegerField(default=0)
    executions = peewee.IntegerField(default=0)
    deploymentid = peewee.CharField(max_length=255, null=True, index=True)
    owner = peewee.CharField(max_length=255, null=True, index=True)
    priority = peewee.IntegerField(default=5)
    processinstanceid = peewee.BigIntegerField(null=True, index=True)
    requestdata = peewee.BlobField(null=True)
    responsedata = peewee.BlobField(null=True)
    startedon = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "requestinfo"


@register
class ErrorInfo(BaseModel):
    id = peewee.BigAutoField()
    message = peewee.CharField(max_length=255, null=True)
    stacktrace = peewee.TextField(null=True)
    timestamp = peewee.DateTimeField()
    request = peewee.ForeignKeyField(RequestInfo, column_name="request_id", backref="errors",
                                     on_delete="CASCADE", index=True)

    class Meta:
        table_name = "errorinfo"
