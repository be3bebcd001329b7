"""Human task payloads: TaskInstance(List), TaskSummary(List), TaskEventInstance(List),
TaskComment(List), TaskAttachment(List).

Names from kie-server-api's org.kie.server.api.model.instance classes.  Copy the irregular ones
verbatim: TaskSummary says `task-is-skipable`, TaskInstance `task-skippable`; TaskInstance's
expiration JSON key is `task-expiration-time` but its Java (XStream) field is `expirationDate`.
JAXB names Map members after the Java field (`<inputData>`, `<outputData>`).
"""
from __future__ import annotations

from datetime import datetime

from containers.values import Long
from marshallers.model import MAP, Field, ListOf, Model

PKG = "org.kie.server.api.model.instance"


class TaskSummary(Model):
    java_class = f"{PKG}.TaskSummary"
    jaxb_root = "task-summary"
    fields = (
        Field("id", "task-id", Long, xstream="id"),
        Field("name", "task-name", xstream="name"),
        Field("subject", "task-subject", xstream="subject"),
        Field("description", "task-description", xstream="description"),
        Field("status", "task-status", xstream="status"),
        Field("priority", "task-priority", int, xstream="priority"),
        Field("skipable", "task-is-skipable", bool, xstream="skipable"),
        Field("actual_owner", "task-actual-owner", xstream="actualOwner"),
        Field("created_by", "task-created-by", xstream="createdBy"),
        Field("created_on", "task-created-on", datetime, xstream="createdOn"),
        Field("activation_time", "task-activation-time", datetime, xstream="activationTime"),
        Field("expiration_time", "task-expiration-time", datetime, xstream="expirationTime"),
        Field("process_instance_id", "task-proc-inst-id", Long, xstream="processInstanceId"),
        Field("process_id", "task-proc-def-id", xstream="processId"),
        Field("container_id", "task-container-id", xstream="containerId"),
        Field("parent_id", "task-parent-id", Long, xstream="parentId"),
        Field("correlation_key", "correlation-key", xstream="correlationKey"),
        Field("process_type", "process-type", int, xstream="processType"),
    )


class TaskSummaryList(Model):
    java_class = f"{PKG}.TaskSummaryList"
    jaxb_root = "task-summary-list"
    fields = (
        Field("items", "task-summary", ListOf(TaskSummary), default=list, xstream="tasks"),
    )


class TaskInstance(Model):
    java_class = f"{PKG}.TaskInstance"
    jaxb_root = "task-instance"
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
        Field("skipable", "task-skippable", bool, xstream="skipable"),
        Field("work_item_id", "task-workitem-id", Long, xstream="workItemId"),
        Field("process_instance_id", "task-process-instance-id", Long, xstream="processInstanceId"),
        Field("parent_id", "task-parent-id", Long, xstream="parentId"),
        Field("process_id", "task-process-id", xstream="processId"),
        Field("container_id", "task-container-id", xstream="containerId"),
        Field("sla_compliance", "sla-compliance", int, xstream="slaCompliance"),
        Field("sla_due_date", "sla-due-date", datetime, xstream="slaDueDate"),
        Field("potential_owners", "task-pot-owners", ListOf(str), jaxb="potential-owners",
              jaxb_item="task-pot-owners", xstream="potentialOwners"),
        Field("excluded_owners", "task-excl-owners", ListOf(str), jaxb="excluded-owners",
              jaxb_item="task-excl-owners", xstream="excludedOwners"),
        Field("business_admins", "task-business-admins", ListOf(str), jaxb="business-admins",
              jaxb_item="task-business-admins", xstream="businessAdmins"),
        Field("input_data", "task-input-data", MAP, jaxb="inputData", xstream="inputData",
              xstream_class="linked-hash-map"),
        Field("output_data", "task-output-data", MAP, jaxb="outputData", xstream="outputData",
              xstream_class="linked-hash-map"),
        Field("correlation_key", "correlation-key", xstream="correlationKey"),
        Field("process_type", "process-type", int, xstream="processType"),
    )


class TaskInstanceList(Model):
    java_class = f"{PKG}.TaskInstanceList"
    jaxb_root = "task-instance-list"
    fields = (
        Field("items", "task-instance", ListOf(TaskInstance), default=list, xstream="tasks"),
    )


class TaskEventInstance(Model):
    java_class = f"{PKG}.TaskEventInstance"
    jaxb_root = "task-event-instance"
    fields = (
        Field("id", "task-event-id", Long, xstream="id"),
        Field("task_id", "task-id", Long, xstream="taskId"),
        Field("type", "task-event-type", xstream="type"),
        Field("user_id", "task-event-user", xstream="userId"),
        Field("log_time", "task-event-date", datetime, xstream="logTime"),
        Field("process_instance_id", "task-process-instance-id", Long, xstream="processInstanceId"),
        Field("work_item_id", "task-work-item-id", Long, xstream="workItemId"),
        Field("message", "task-event-message", xstream="message"),
        Field("correlation_key", "correlation-key", xstream="correlationKey"),
        Field("process_type", "process-type", int, xstream="processType"),
        Field("assigned_owner", "assigned-owner", xstream="assignedOwner"),
    )


class TaskEventInstanceList(Model):
    java_class = f"{PKG}.TaskEventInstanceList"
    jaxb_root = "task-event-instance-list"
    fields = (
        Field("items", "task-event-instance", ListOf(TaskEventInstance), default=list, xstream="taskEvents"),
    )


class TaskComment(Model):
    java_class = f"{PKG}.TaskComment"
    jaxb_root = "task-comment"
    fields = (
        Field("id", "comment-id", Long, xstream="id"),
        Field("text", "comment", xstream="text"),
        Field("added_by", "comment-added-by", xstream="addedBy"),
        Field("added_at", "comment-added-at", datetime, xstream="addedAt"),
    )


class TaskCommentList(Model):
    java_class = f"{PKG}.TaskCommentList"
    jaxb_root = "task-comment-list"
    fields = (
        Field("items", "task-comment", ListOf(TaskComment), default=list, xstream="taskComments"),
    )


class TaskAttachment(Model):
    java_class = f"{PKG}.TaskAttachment"
    jaxb_root = "task-attachment"
    fields = (
        Field("id", "attachment-id", Long, xstream="id"),
        Field("name", "attachment-name", xstream="name"),
        Field("added_by", "attachment-added-by", xstream="addedBy"),
        Field("added_at", "attachment-added-at", datetime, xstream="addedAt"),
        Field("content_type", "attachment-type", xstream="contentType"),
        Field("size", "attachment-size", int, xstream="size"),
        Field("attachment_content_id", "attachment-content-id", Long, xstream="attachmentContentId"),
    )


class TaskAttachmentList(Model):
    java_class = f"{PKG}.TaskAttachmentList"
    jaxb_root = "task-attachment-list"
    fields = (
        Field("items", "task-attachment", ListOf(TaskAttachment), default=list, xstream="taskAttachments"),
    )
