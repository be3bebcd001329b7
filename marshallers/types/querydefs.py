"""Advanced query payloads (QueryDataResource): QueryDefinition(List), QueryFilterSpec, QueryParam, and
the result lists some query mappers produce that no other area defines: ProcessInstanceCustomVars(List),
TaskWithProcessDescription(List), ExecutionErrorInstance(List).

Names from kie-server-api (org.kie.server.api.model.definition / instance / admin): field-access JAXB
classes, so JSON keys are the @XmlElement names, XStream writes Java field names under the FQCN, and
JAXB names Map members after the Java field (`<columns>`, `<columnMapping>`, `<variables>`...).
"""
from __future__ import annotations

from datetime import datetime

from containers.values import Long
from marshallers.model import ANY, MAP, Field, ListOf, Model
from marshallers.types.tasks import TaskSummaryList

DEF = "org.kie.server.api.model.definition"
INST = "org.kie.server.api.model.instance"
ADMIN = "org.kie.server.api.model.admin"


class QueryDefinition(Model):
    java_class = f"{DEF}.QueryDefinition"
    jaxb_root = "query-definition"
    jaxb_type = "queryDefinition"
    fields = (
        Field("name", "query-name", xstream="name"),
        Field("source", "query-source", xstream="source"),
        Field("expression", "query-expression", xstream="expression"),
        Field("target", "query-target", xstream="target"),
        Field("columns", "query-columns", MAP, jaxb="columns", xstream="columns", xstream_class="hash-map"),
    )


class QueryDefinitionList(Model):
    java_class = f"{DEF}.QueryDefinitionList"
    jaxb_root = "query-definitions"
    fields = (
        Field("items", "queries", ListOf(QueryDefinition), default=list, xstream="queries"),
    )


class QueryParam(Model):
    java_class = f"{DEF}.QueryParam"
    jaxb_root = "query-param"
    jaxb_type = "queryParam"
    fields = (
        Field("column", "cond-column", xstream="column"),
        Field("operator", "cond-operator", xstream="operator"),
        Field("value", "cond-values", ListOf(ANY), xstream="value"),
    )


class QueryFilterSpec(Model):
    java_class = f"{DEF}.QueryFilterSpec"
    jaxb_root = "query-filter-spec"
    fields = (
        Field("order_by", "order-by", xstream="orderBy"),
        Field("ascending", "order-asc", bool, xstream="ascending", default=False),
        Field("parameters", "query-params", ListOf(QueryParam), xstream="parameters"),
        Field("column_mapping", "result-column-mapping", MAP, jaxb="columnMapping", xstream="columnMapping",
              xstream_class="hash-map"),
        Field("order_by_clause", "order-by-clause", xstream="orderByClause"),
    )


class ProcessInstanceCustomVars(Model):
    java_class = f"{INST}.ProcessInstanceCustomVars"
    jaxb_root = "process-instance-custom"
    fields = (
        Field("id", "process-instance-id", Long, xstream="id"),
        Field("process_id", "process-id", xstream="processId"),
        Field("process_name", "process-name", xstream="processName"),
        Field("process_version", "process-version", xstream="processVersion"),
        Field("state", "process-instance-state", int, xstream="state"),
        Field("container_id", "container-id", xstream="containerId"),
        Field("initiator", xstream="initiator"),
        Field("date", "start-date", datetime, xstream="date"),
        Field("description", "process-instance-desc", xstream="processInstanceDescription"),
        Field("correlation_key", "correlation-key", xstream="correlationKey"),
        Field("parent_id", "parent-instance-id", Long, xstream="parentId"),
        Field("last_modification_date", "last-modification-date", datetime, xstream="lastModificationDate"),
        Field("active_user_tasks", "active-user-tasks", TaskSummaryList, xstream="activeUserTasks"),
        Field("variables", "process-instance-variables", MAP, jaxb="variables", xstream="variables",
              xstream_class="hash-map"),
    )


class ProcessInstanceCustomVarsList(Model):
    java_class = f"{INST}.ProcessInstanceCustomVarsList"
    jaxb_root = "process-instance-custom-list"
    fields = (
        Field("items", "process-instance-vars", ListOf(ProcessInstanceCustomVars), default=list,
              xstream="processInstances"),
    )


class TaskWithProcessDescription(Model):
    java_class = f"{INST}.TaskWithProcessDescription"
    jaxb_root = "task-instance-custom"
    fields = (
        Field("id", "task-id", Long, xstream="id"),
        Field("priority", "task-priority", int, xstream="priority"),
        Field("name", "task-name", xstream="name"),
        Field("subject", "task-subject", xstream="subject"),
        Field("description", "task-description", xstream="description"),
        Field("task_type", "task-type", xstream="taskType"),
        Field("form_name", "task-form", xstream="formName"),
        Field("status", "task-status", xstream="status"),
        Field("actual_owner", "task-actual-owner", xstream="actualOwner"),
        Field("created_by", "task-created-by", xstream="createdBy"),
        Field("created_on", "task-created-on", datetime, xstream="createdOn"),
        Field("activation_time", "task-activation-time", datetime, xstream="activationTime"),
        Field("expiration_date", "task-expiration-time", datetime, xstream="expirationDate"),
        Field("process_instance_id", "task-process-instance-id", Long, xstream="processInstanceId"),
        Field("parent_id", "task-parent-id", Long, xstream="parentId"),
        Field("process_id", "task-process-id", xstream="processId"),
        Field("container_id", "task-container-id", xstream="containerId"),
        Field("process_instance_description", "process-instance-desc", xstream="processInstanceDescription"),
        Field("last_modification_user", "task-last-modification-user", xstream="lastModificationUser"),
        Field("last_modification_date", "task-last-modificaiton-date", datetime, xstream="lastModificationDate"),
        Field("correlation_key", "task-correlation-key", xstream="correlationKey"),
        Field("potential_owners", "task-pot-owners", ListOf(str), xstream="potentialOwners"),
        Field("excluded_owners", "task-excl-owners", ListOf(str), xstream="excludedOwners"),
        Field("business_admins", "task-business-admins", ListOf(str), xstream="businessAdmins"),
        Field("input_data", "task-input-data", MAP, jaxb="inputData", xstream="inputData",
              xstream_class="hash-map"),
        Field("output_data", "task-output-data", MAP, jaxb="outputData", xstream="outputData",
              xstream_class="hash-map"),
    )


class TaskWithProcessDescriptionList(Model):
    java_class = f"{INST}.TaskWithProcessDescriptionList"
    jaxb_root = "task-instance-custom-list"
    fields = (
        Field("items", "task-instance-custom", ListOf(TaskWithProcessDescription), default=list, xstream="tasks"),
    )


class ExecutionErrorInstance(Model):
    java_class = f"{ADMIN}.ExecutionErrorInstance"
    jaxb_root = "execution-error"
    fields = (
        Field("error_id", "id", xstream="errorId"),
        Field("type", "type", xstream="type"),
        Field("container_id", "container-id", xstream="containerId"),
        Field("process_instance_id", "process-instance-id", Long, xstream="processInstanceId"),
        Field("process_id", "process-id", xstream="processId"),
        Field("activity_id", "activity-id", Long, xstream="activityId"),
        Field("activity_name", "activity-name", xstream="activityName"),
        Field("job_id", "job-id", Long, xstream="jobId"),
        Field("error_message", "error-msg", xstream="errorMessage"),
        Field("error", "error", xstream="error"),
        Field("acknowledged", "acknowledged", bool, xstream="acknowledged", default=False),
        Field("acknowledged_by", "acknowledged-by", xstream="acknowledgedBy"),
        Field("acknowledged_at", "acknowledged-at", datetime, xstream="acknowledgedAt"),
        Field("error_date", "error-date", datetime, xstream="errorDate"),
    )


class ExecutionErrorInstanceList(Model):
    java_class = f"{ADMIN}.ExecutionErrorInstanceList"
    jaxb_root = "execution-error-list"
    fields = (
        Field("items", "error-instance", ListOf(ExecutionErrorInstance), default=list, xstream="errorInstances"),
    )


def to_query_param(value):
    """A cond-values item read back as a nested QueryParam when it is one (JSON gives a map with a
    `cond-operator` key; XML gives the model already)."""
    if isinstance(value, QueryParam):
        value.value = [to_query_param(v) for v in (value.value or [])]
        return value
    if isinstance(value, dict) and "cond-operator" in value:
        return QueryParam(column=value.get("cond-column"), operator=value.get("cond-operator"),
                          value=[to_query_param(v) for v in (value.get("cond-values") or [])])
    return value
