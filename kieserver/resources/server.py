"""KieServerRestImpl: server info, containers, scanner, release id, state, probes, command scripts."""
from __future__ import annotations

import falcon

from containers.kjar import KjarError, read_kjar
from kieserver.resources.base import (BINARY_TYPES, BodyError, bool_param, read_body, read_raw, send,
                                      send_failure, send_service_response, set_conversation_id)
from kieserver.services.containers import StatusFilterError
from marshallers.types import core as C


class ServerInfoResource:
    def __init__(self, server):
        self.server = server

    def on_get(self, req, resp):
        send(req, resp, self.server.get_info())


class ContainersResource:
    def __init__(self, server):
        self.server = server

    def on_get(self, req, resp):
        try:
            sr = self.server.containers.list(req.get_param("groupId"), req.get_param("artifactId"),
                                             req.get_param("version"), req.get_param("status"))
        except StatusFilterError as e:
            # KIE lets the IllegalArgumentException escape (500); say what was wrong
            resp.status = falcon.HTTP_500
            resp.content_type = "text/plain"
            resp.text = str(e)
            return
        send(req, resp, sr)


class ContainerResource:
    def __init__(self, server):
        self.server = server

    def on_get(self, req, resp, container_id):
        set_conversation_id(req, resp, self.server, container_id)
        send(req, resp, self.server.containers.get(container_id))

    def on_put(self, req, resp, container_id):
        ctype = (req.content_type or "").split(";")[0].strip().lower()
        if ctype in BINARY_TYPES:
            sr = self._create_from_kjar(req, container_id)
        else:
            try:
                resource = read_body(req, C.KieContainerResource, optional=True)
            except BodyError as e:
                return send_failure(req, resp, f"Error creating container {container_id}: {e}")
            if resource is not None:
                resource.container_id = container_id
            sr = self.server.containers.create(container_id, resource)
        if sr.ok:
            set_conversation_id(req, resp, self.server, container_id)
        send_service_response(req, resp, sr, ok_status=falcon.HTTP_201, fail_status=falcon.HTTP_400)

    def _create_from_kjar(self, req, container_id):
        data = read_raw(req)
        if not data:
            return C.ServiceResponse.failure("Error creating container. Container is null")
        try:
            kjar = read_kjar(data)
        except KjarError as e:
            return C.ServiceResponse.failure(f"Error creating container {container_id}: {e}")
        if kjar.gav is None:
            return C.ServiceResponse.failure(
                f"Error creating container {container_id}: the kjar has no pom.xml or pom.properties naming its release id")
        if self.server.config.server.get("mgmt_api_disabled"):
            return C.ServiceResponse.failure("KIE Server management api is disabled")
        self.server.maven.put(kjar.gav.jar_path(), data)
        pom = next((kjar.files[p] for p in kjar.files if p.endswith("/pom.xml") and p.startswith("META-INF/maven/")), None)
        if pom is not None and not self.server.maven.exists(kjar.gav.pom_path()):
            self.server.maven.put(kjar.gav.pom_path(), pom)
        rid = C.ReleaseId(group_id=kjar.gav.group_id, artifact_id=kjar.gav.artifact_id, version=kjar.gav.version)
        alias = req.get_param("alias") or req.get_param("container-alias")
        resource = C.KieContainerResource(container_id=container_id, release_id=rid, container_alias=alias)
        return self.server.containers.create(container_id, resource)

    def on_delete(self, req, resp, container_id):
        set_conversation_id(req, resp, self.server, container_id)
        sr = self.server.containers.dispose(container_id, bool_param(req, "abortProcessInstances"))
        status = falcon.HTTP_400 if sr.msg == "KIE Server management api is disabled" else falcon.HTTP_200
        send(req, resp, sr, status)


class ContainerStatusResource:
    def __init__(self, server, target):
        self.server = server
        self.target = target

    def on_put(self, req, resp, container_id):
        svc = self.server.containers
        sr = svc.activate(container_id) if self.target == "activated" else svc.deactivate(container_id)
        if sr.ok:
            set_conversation_id(req, resp, self.server, container_id)
        send_service_response(req, resp, sr, ok_status=falcon.HTTP_201, fail_status=falcon.HTTP_400)


def _mgmt_status(sr):
    return falcon.HTTP_400 if sr.msg == "KIE Server management api is disabled" else falcon.HTTP_200


class ScannerResource:
    def __init__(self, server):
        self.server = server

    def on_get(self, req, resp, container_id):
        set_conversation_id(req, resp, self.server, container_id)
        send(req, resp, self.server.containers.get_scanner(container_id))

    def on_post(self, req, resp, container_id):
        try:
            scanner = read_body(req, C.KieScannerResource, optional=True)
        except BodyError as e:
            return send_failure(req, resp, f"Error updating scanner for container {container_id}: {e}")
        set_conversation_id(req, resp, self.server, container_id)
        sr = self.server.containers.update_scanner(container_id, scanner)
        send(req, resp, sr, _mgmt_status(sr))


class ReleaseIdResource:
    def __init__(self, server):
        self.server = server

    def on_get(self, req, resp, container_id):
        set_conversation_id(req, resp, self.server, container_id)
        send(req, resp, self.server.containers.get_release_id(container_id))

    def on_post(self, req, resp, container_id):
        try:
            rid = read_body(req, C.ReleaseId, optional=True)
        except BodyError as e:
            return send_failure(req, resp, f"Error updating releaseId for container {container_id}: {e}")
        set_conversation_id(req, resp, self.server, container_id)
        sr = self.server.containers.update_release_id(container_id, rid, bool_param(req, "resetBeforeUpdate"))
        send(req, resp, sr, _mgmt_status(sr))


class StateResource:
    def __init__(self, server):
        self.server = server

    def on_get(self, req, resp):
        send(req, resp, self.server.state())


class ReadyResource:
    def __init__(self, server):
        self.server = server

    def on_get(self, req, resp):
        resp.content_type = "text/plain"
        resp.status = falcon.HTTP_200 if self.server.ready else falcon.HTTP_503
        resp.text = ""


class HealthResource:
    def __init__(self, server):
        self.server = server

    def on_get(self, req, resp):
        report = bool_param(req, "report")
        healthy, messages = self.server.health(include_messages=report)
        status = falcon.HTTP_200 if healthy else falcon.HTTP_503
        if report:
            send(req, resp, messages, status)
        else:
            resp.status = status
            resp.content_type = "text/plain"
            resp.text = ""


class ConfigResource:
    """POST /config: a CommandScript, answered with a ServiceResponsesList."""

    def __init__(self, server):
        self.server = server

    def on_post(self, req, resp):
        try:
            script = read_body(req, C.CommandScript)
        except BodyError as e:
            return send_failure(req, resp, f"Error reading command script: {e}")
        out = [self._run(cmd, req) for cmd in script.commands]
        send(req, resp, C.ServiceResponsesList(responses=out))

    def _run(self, cmd, req):
        svc = self.server.containers
        if isinstance(cmd, C.GetServerInfoCommand):
            return self.server.get_info()
        if isinstance(cmd, C.CreateContainerCommand):
            res = cmd.container
            return svc.create(res.container_id if res else None, res)
        if isinstance(cmd, C.GetContainerInfoCommand):
            return svc.get(cmd.container_id)
        if isinstance(cmd, C.ListContainersCommand):
            f = cmd.filter
            rf = f.release_id_filter if f else None
            statuses = ",".join(f.status_filter.accepted_status) if f and f.status_filter else None
            try:
                return svc.list(rf.group_id if rf else None, rf.artifact_id if rf else None,
                                rf.version if rf else None, statuses)
            except StatusFilterError as e:
                return C.ServiceResponse.failure(f"Error listing containers: {e}")
        if isinstance(cmd, C.DisposeContainerCommand):
            return svc.dispose(cmd.container_id)
        if isinstance(cmd, C.ActivateContainerCommand):
            return svc.activate(cmd.container_id)
        if isinstance(cmd, C.DeactivateContainerCommand):
            return svc.deactivate(cmd.container_id)
        if isinstance(cmd, C.GetScannerInfoCommand):
            return svc.get_scanner(cmd.container_id)
        if isinstance(cmd, C.UpdateScannerCommand):
            return svc.update_scanner(cmd.container_id, cmd.scanner)
        if isinstance(cmd, C.GetReleaseIdCommand):
            return svc.get_release_id(cmd.container_id)
        if isinstance(cmd, C.UpdateReleaseIdCommand):
            return svc.update_release_id(cmd.container_id, cmd.release_id, bool(cmd.reset_before_update))
        if isinstance(cmd, C.GetServerStateCommand):
            return self.server.state()
        if isinstance(cmd, C.CallContainerCommand):
            return self.server.call_container(cmd.container_id, cmd.payload, req.context.fmt)
        return C.ServiceResponse.failure(f"Command {type(cmd).java_class} is not supported by this server")
