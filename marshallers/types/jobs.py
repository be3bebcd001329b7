"""Job executor payloads: RequestInfoInstance(List), ErrorInfoInstance(List), JobRequestInstance."""
from __future__ import annotations

from datetime import datetime

from containers.values import Long
from marshallers.model import MAP, Field, ListOf, Model

PKG = "org.kie.server.api.model.instance"


class ErrorInfoInstance(Model):
    java_class = f"{PKG}.ErrorInfoInstance"
    jaxb_root = "error-info-instance"
    fields = (
        Field("id", "error-instance-id", Long, xstream="id"),
        Field("request_id", "request-instance-id", Long, xstream="requestInfoId"),
        Field("message", "error-message", xstream="message"),
        Field("stacktrace", "error-stacktrace", xstream="stacktrace"),
        Field("error_date", "error-date", datetime, xstream="errorDate"),
    )


class ErrorInfoInstanceList(Model):
    java_class = f"{PKG}.ErrorInfoInstanceList"
    jaxb_root = "error-info-instance-list"
    fields = (
        Field("items", "error-info-instance", ListOf(ErrorInfoInstance), default=list,
              xstream="errorInfoInstances"),
    )


class RequestInfoInstance(Model):
    java_class = f"{PKG}.RequestInfoInstance"
    jaxb_root = "request-info-instance"
    fields = (
        Field("id", "request-instance-id", Long, xstream="id"),
        Field("status", "request-status", xstream="status"),
        Field("business_key", "request-business-key", xstream="businessKey"),
        Field("message", "request-message", xstream="message"),
        Field("retries", "request-retries", int, xstream="retries"),
        Field("executions", "request-executions", int, xstream="executions"),
        Field("command", "request-command", xstream="commandName"),
        Field("scheduled_date", "request-scheduled-date", datetime, xstream="scheduledDate"),
        Field("data", "request-data", MAP, jaxb="data", xstream="data", xstream_class="hash-map"),
        Field("response_data", "response-data", MAP, jaxb="responseData", xstream="responseData",
              xstream_class="hash-map"),
        Field("errors", "request-errors", ErrorInfoInstanceList, xstream="errors"),
        Field("container_id", "request-container-id", xstream="containerId"),
    )


class RequestInfoInstanceList(Model):
    java_class = f"{PKG}.RequestInfoInstanceList"
    jaxb_root = "request-info-instance-list"
    fields = (
        Field("items", "request-info-instance", ListOf(RequestInfoInstance), default=list,
              xstream="requestInfoInstances"),
    )


class JobRequestInstance(Model):
    java_class = f"{PKG}.JobRequestInstance"
    jaxb_root = "job-request-instance"
    fields = (
        Field("command", "job-command", xstream="command"),
        Field("scheduled_date", "scheduled-date", datetime, xstream="scheduledDate"),
        Field("data", "request-data", MAP, jaxb="data", xstream="data", xstream_class="linked-hash-map",
              default=dict),
    )
