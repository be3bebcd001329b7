"""KIE Server core model: server info, containers, release ids, scanners, state, command scripts."""
from __future__ import annotations

from datetime import datetime

from containers.values import Long
from marshallers.model import ANY, Field, ListOf, Model, OneOf, RESULT

PKG = "org.kie.server.api.model"


class ReleaseId(Model):
    java_class = f"{PKG}.ReleaseId"
    jaxb_root = "release-id"
    xstream_root = "release-id"
    fields = (
        Field("group_id", "group-id"),
        Field("artifact_id", "artifact-id"),
        Field("version"),
    )
    jaxb_order = ("artifact_id", "group_id", "version")

    def gav(self):
        return f"{self.group_id}:{self.artifact_id}:{self.version}"


class Message(Model):
    java_class = f"{PKG}.Message"
    jaxb_root = "kie-message"
    xstream_root = "kie-message"
    fields = (
        Field("severity"),
        Field("timestamp", type=datetime),
        Field("content", type=ListOf(str), xstream="messages", default=list),
    )
    jaxb_order = ("content", "severity", "timestamp")


class KieScannerResource(Model):
    java_class = f"{PKG}.KieScannerResource"
    jaxb_root = "kie-scanner"
    xstream_root = "kie-scanner"
    fields = (
        Field("status", jaxb_attr=True),
        Field("poll_interval", "poll-interval", Long, jaxb_attr=True),
    )
    jaxb_order = ("poll_interval", "status")


class KieServerConfigItem(Model):
    java_class = f"{PKG}.KieServerConfigItem"
    jaxb_root = "kie-server-config-item"
    fields = (
        Field("name", "itemName", xstream="name"),
        Field("value", "itemValue", xstream="value"),
        Field("type", "itemType", xstream="type"),
    )


class KieContainerResource(Model):
    java_class = f"{PKG}.KieContainerResource"
    jaxb_root = "kie-container"
    xstream_root = "kie-container"
    fields = (
        Field("container_id", "container-id", jaxb_attr=True),
        Field("release_id", "release-id", ReleaseId),
        Field("resolved_release_id", "resolved-release-id", ReleaseId),
        Field("status", jaxb_attr=True),
        Field("scanner", type=KieScannerResource),
        Field("config_items", "config-items", ListOf(KieServerConfigItem), default=list,
              xstream_implicit=True),
        Field("messages", type=ListOf(Message), default=list, xstream_implicit=True),
        Field("container_alias", "container-alias", jaxb_attr=True),
    )
    jaxb_order = ("container_alias", "container_id", "status", "config_items", "messages",
                  "release_id", "resolved_release_id", "scanner")


class KieContainerResourceList(Model):
    java_class = f"{PKG}.KieContainerResourceList"
    jaxb_root = "kie-containers"
    xstream_root = "kie-containers"
    fields = (
        Field("containers", "kie-container", ListOf(KieContainerResource), default=list,
              xstream_implicit=True),
    )


class KieServerInfo(Model):
    java_class = f"{PKG}.KieServerInfo"
    jaxb_root = "kie-server-info"
    xstream_root = "kie-server-info"
    fields = (
        Field("server_id", "id", xstream="serverId"),
        Field("version"),
        Field("name"),
        Field("location"),
        Field("capabilities", type=ListOf(str), default=list),
        Field("messages", type=ListOf(Message), default=list),
        Field("mode"),
    )
    jaxb_order = ("capabilities", "location", "messages", "mode", "name", "server_id", "version")


class KieServerConfig(Model):
    java_class = f"{PKG}.KieServerConfig"
    jaxb_root = "kie-server-config"
    fields = (
        Field("config_items", "config-items", ListOf(KieServerConfigItem), default=list,
              xstream="configItems"),
    )


class KieServerStateInfo(Model):
    java_class = f"{PKG}.KieServerStateInfo"
    jaxb_root = "kie-server-state-info"
    fields = (
        Field("server_id", "server-id", xstream="serverId"),
        Field("location", "server-location", xstream="location"),
        Field("controllers", "controller", ListOf(str), default=list, xstream="controllers",
              xstream_class="linked-hash-set"),
        Field("configuration", "config", KieServerConfig, xstream="configuration"),
        Field("containers", type=ListOf(KieContainerResource), default=list,
              xstream_class="linked-hash-set"),
    )


class ServiceResponse(Model):
    java_class = f"{PKG}.ServiceResponse"
    jaxb_root = "response"
    xstream_root = "response"
    fields = (
        Field("type", jaxb_attr=True, xstream_attr=True),
        Field("msg", jaxb_attr=True, xstream_attr=True),
        Field("result", type=RESULT),
    )

    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    NO_RESPONSE = "NO_RESPONSE"

    @classmethod
    def success(cls, msg, result=None):
        return cls(type="SUCCESS", msg=msg, result=result)

    @classmethod
    def failure(cls, msg, result=None):
        return cls(type="FAILURE", msg=msg, result=result)

    @property
    def ok(self):
        return self.type == "SUCCESS"


class ServiceResponsesList(Model):
    java_class = f"{PKG}.ServiceResponsesList"
    jaxb_root = "responses"
    xstream_root = "responses"
    fields = (
        Field("responses", "response", ListOf(ServiceResponse), default=list, xstream_implicit=True,
              xstream_item="response"),
    )


# --------------------------------------------------------------------------------------------
# Container list filter (used by the list-containers command)

class ReleaseIdFilter(Model):
    java_class = f"{PKG}.ReleaseIdFilter"
    jaxb_root = "release-id-filter"
    xstream_root = "release-id-filter"
    fields = (
        Field("group_id", "group-id"),
        Field("artifact_id", "artifact-id"),
        Field("version"),
    )


class KieContainerStatusFilter(Model):
    java_class = f"{PKG}.KieContainerStatusFilter"
    jaxb_root = "kie-container-status-filter"
    xstream_root = "kie-container-status-filter"
    fields = (
        Field("accepted_status", "accepted-status", ListOf(str), default=list,
              xstream_item=f"{PKG}.KieContainerStatus"),
    )


class KieContainerResourceFilter(Model):
    java_class = f"{PKG}.KieContainerResourceFilter"
    jaxb_root = "kie-container-filter"
    xstream_root = "kie-container-filter"
    fields = (
        Field("release_id_filter", "release-id-filter", ReleaseIdFilter),
        Field("status_filter", "container-status-filter", KieContainerStatusFilter),
    )


# --------------------------------------------------------------------------------------------
# Command scripts (POST /config)

CMD = "org.kie.server.api.commands"


def _container_id_field():
    return Field("container_id", "container-id", jaxb_attr=True)


class CreateContainerCommand(Model):
    java_class = f"{CMD}.CreateContainerCommand"
    jaxb_root = xstream_root = "create-container"
    fields = (Field("container", type=KieContainerResource, xstream="kie-container"),)


class DisposeContainerCommand(Model):
    java_class = f"{CMD}.DisposeContainerCommand"
    jaxb_root = xstream_root = "dispose-container"
    fields = (_container_id_field(),)


class ListContainersCommand(Model):
    java_class = f"{CMD}.ListContainersCommand"
    jaxb_root = xstream_root = "list-containers"
    fields = (Field("filter", "kie-container-filter", KieContainerResourceFilter),)


class CallContainerCommand(Model):
    java_class = f"{CMD}.CallContainerCommand"
    jaxb_root = xstream_root = "call-container"
    fields = (_container_id_field(), Field("payload"))


class GetContainerInfoCommand(Model):
    java_class = f"{CMD}.GetContainerInfoCommand"
    jaxb_root = xstream_root = "get-container-info"
    fields = (_container_id_field(),)


class GetScannerInfoCommand(Model):
    java_class = f"{CMD}.GetScannerInfoCommand"
    jaxb_root = xstream_root = "get-scanner-info"
    fields = (_container_id_field(),)


class UpdateScannerCommand(Model):
    java_class = f"{CMD}.UpdateScannerCommand"
    jaxb_root = xstream_root = "update-scanner"
    fields = (_container_id_field(), Field("scanner", type=KieScannerResource))


class GetReleaseIdCommand(Model):
    java_class = f"{CMD}.GetReleaseIdCommand"
    jaxb_root = xstream_root = "get-release-id"
    fields = (_container_id_field(),)


class UpdateReleaseIdCommand(Model):
    java_class = f"{CMD}.UpdateReleaseIdCommand"
    jaxb_root = xstream_root = "update-release-id"
    fields = (_container_id_field(),
              Field("release_id", "releaseId", ReleaseId, xstream="release-id"),
              Field("reset_before_update", "resetBeforeUpdate", bool, xstream="reset-before-update"))


class GetServerInfoCommand(Model):
    java_class = f"{CMD}.GetServerInfoCommand"
    jaxb_root = xstream_root = "get-server-info"
    fields = ()


class GetServerStateCommand(Model):
    java_class = f"{CMD}.GetServerStateCommand"
    jaxb_root = xstream_root = "get-server-state"
    fields = ()


class ActivateContainerCommand(Model):
    java_class = f"{CMD}.ActivateContainerCommand"
    jaxb_root = xstream_root = "activate-container"
    fields = (_container_id_field(),)


class DeactivateContainerCommand(Model):
    java_class = f"{CMD}.DeactivateContainerCommand"
    jaxb_root = xstream_root = "deactivate-container"
    fields = (_container_id_field(),)


class DescriptorCommand(Model):
    java_class = f"{CMD}.DescriptorCommand"
    jaxb_root = xstream_root = "descriptor-command"
    fields = (Field("service"), Field("method"), Field("arguments", type=ListOf(ANY), default=list),
              Field("payload"), Field("marshaller_format", "marshallerFormat"))


SCRIPT_COMMANDS = OneOf(
    GetServerInfoCommand, CreateContainerCommand, GetContainerInfoCommand, ListContainersCommand,
    DisposeContainerCommand, ActivateContainerCommand, DeactivateContainerCommand,
    GetScannerInfoCommand, UpdateScannerCommand, GetReleaseIdCommand, UpdateReleaseIdCommand,
    CallContainerCommand, DescriptorCommand, GetServerStateCommand,
)


class CommandScript(Model):
    java_class = f"{CMD}.CommandScript"
    jaxb_root = xstream_root = "script"
    fields = (Field("commands", type=ListOf(SCRIPT_COMMANDS), default=list),)
