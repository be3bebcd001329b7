"""Payloads of the runtime data queries (RuntimeDataResource) that marshallers/types/process.py and
marshallers/types/tasks.py do not already describe: CountDefinition, the advanced variable search body
(SearchQueryFilterSpec with its QueryParams) and its two answers (ProcessInstanceCustomVarsList,
ProcessInstanceUserTaskWithVariablesList).

Names from kie-server-api (org.kie.server.api.model.definition / .instance), field-access JAXB classes:
JSON key = @XmlElement name, XStream = Java field name under the FQCN, Map members under the Java field
name in JAXB (`<variables>`, `<inputVariables>`, `<processVariables>`).
"""
from __future__ import annotations

from containers.values import Long
from marshallers.model import MAP, Field, ListOf, Model
# one model per Java class: these are shared with the advanced queries
from marshallers.types.querydefs import (ProcessInstanceCustomVars, ProcessInstanceCustomVarsList,  # noqa: F401
                                         QueryParam)

PKG = "org.kie.server.api.model.instance"
DEF = "org.kie.server.api.model.definition"


class CountDefinition(Model):
    java_class = f"{DEF}.CountDefinition"
    jaxb_root = "count"
    fields = (Field("count", "count", Long, xstream="count"),)


# The variable search and the advanced queries read one Java class, QueryParam: one model for both.
SearchQueryParam = QueryParam


class SearchQueryFilterSpec(Model):
    java_class = f"{DEF}.SearchQueryFilterSpec"
    jaxb_root = "variable-filter-spec"
    fields = (
        Field("attributes", "attributes-query-params", ListOf(SearchQueryParam), default=list,
              xstream="attributesQueryParams"),
        Field("task_variables", "task-query-params", ListOf(SearchQueryParam), default=list,
              xstream="taskVariablesQueryParams"),
        Field("process_variables", "process-query-params", ListOf(SearchQueryParam), default=list,
              xstream="processVariablesQueryParams"),
        Field("case_variables", "case-query-params", ListOf(SearchQueryParam), default=list,
              xstream="caseVariablesQueryParams"),
        Field("owners_param", "pot-owners-query-param", SearchQueryParam, xstream="ownersQueryParam"),
        Field("owners", "pot-owners", ListOf(str), xstream="owners"),
    )


class ProcessInstanceUserTaskWithVariables(Model):
    java_class = f"{PKG}.ProcessInstanceUserTaskWithVariables"
    jaxb_root = "process-instance-task-with-vars"
    fields = (
        Field("id", "id", Long, xstream="id"),
        Field("name", "name", xstream="name"),
        Field("description", "description", xstream="description"),
        Field("actual_owner", "actual-owner", xstream="actualOwner"),
        Field("correlation_key", "correlation-key", xstream="correlationKey"),
        Field("potential_owners", "potential-owners", ListOf(str), xstream="potentialOwners"),
        Field("process_definition_id", "process-definition-id", xstream="processDefinitionId"),
        Field("process_instance_id", "process-instance-id", Long, xstream="processInstanceId"),
        Field("input_variables", "task-instance-input-variables", MAP, jaxb="inputVariables",
              xstream="inputVariables", xstream_class="hash-map"),
        Field("process_variables", "process-variables", MAP, jaxb="processVariables",
              xstream="processVariables", xstream_class="hash-map"),
        Field("status", "status", xstream="status"),
    )


class ProcessInstanceUserTaskWithVariablesList(Model):
    java_class = f"{PKG}.ProcessInstanceUserTaskWithVariablesList"
    jaxb_root = "user-task-variable-instance-list"
    fields = (
        Field("items", "user-task-with-vars-instance", ListOf(ProcessInstanceUserTaskWithVariables), default=list,
              xstream="userTaskWithVariables"),
    )
