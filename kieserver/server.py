"""The server kernel: configuration, store, container service, extensions."""
from __future__ import annotations

import logging
import threading
import urllib.parse
import uuid

from kieserver.config import Config
from kieserver.extensions import load_extensions
from kieserver.services.containers import ContainerService
from kieserver.services.maven import MavenRepository
from kieserver.store import db
from marshallers.dates import now
from marshallers.types.core import (KieServerConfig, KieServerConfigItem, KieServerInfo,
                                    KieServerStateInfo, Message, ServiceResponse)

log = logging.getLogger("kieserver")

_SECRET_ITEMS = {"org.kie.server.pwd", "org.kie.server.token", "org.kie.server.controller.pwd",
                 "org.kie.server.controller.token"}


class KieServer:
    def __init__(self, config: Config):
        self.config = config
        self.maven = MavenRepository()
        self.containers = ContainerService(self)
        self.human_tasks = None          # kieserver.services.bridge.HumanTasks, set by the tasks extension
        self.process_callbacks = None    # kieserver.services.bridge.ProcessCallbacks, set by the BPM extension
        self.executor = None             # kieserver.executor.service.ExecutorService, set by the Jobs extension
        self.extensions = load_extensions(self, config.get("extensions") or [])
        self.ready = False
        self.started_on = None
        self._scanner_stop = threading.Event()
        self._scanner_thread = None

    # -- lifecycle ---------------------------------------------------------------------------
    def open(self, start_background=True):
        db.open_store(self.config.database_url or None, self.config.home)
        for ext in self.extensions:
            ext.start()
        self.containers.restore()
        self.started_on = now()
        self.ready = True
        if start_background:
            self._scanner_thread = threading.Thread(target=self._scan_loop, name="kie-scanner", daemon=True)
            self._scanner_thread.start()
        log.info("KIE Server %s started (%s)", self.config.server_id, ", ".join(self.capabilities()))
        return self

    def close(self):
        self.ready = False
        self._scanner_stop.set()
        for ext in reversed(self.extensions):
            try:
                ext.stop()
            except Exception:  # noqa: BLE001
                log.exception("Extension %s failed to stop", ext.name)
        db.close_store()

    def _scan_loop(self):
        while not self._scanner_stop.wait(1.0):
            try:
                self.containers.poll_scanners()
            except Exception:  # noqa: BLE001
                log.exception("Scanner pass failed")

    # -- identity ----------------------------------------------------------------------------
    def capabilities(self):
        caps = ["KieServer"]
        for ext in self.extensions:
            if ext.capability and ext.capability not in caps:
                caps.append(ext.capability)
        return caps

    def info(self) -> KieServerInfo:
        s = self.config.server
        info = KieServerInfo(server_id=self.config.server_id, version=str(s.get("version")),
                             name=str(s.get("name") or self.config.server_id), location=s.get("location"),
                             capabilities=self.capabilities(), mode=self.config.mode)
        started = self.started_on or now()
        summary = (f"Server KieServerInfo{{serverId='{info.server_id}', version='{info.version}', "
                   f"name='{info.name}', location='{info.location}', capabilities={info.capabilities}', "
                   f"messages=null', mode={info.mode}}}started successfully at "
                   f"{started.strftime('%a %b %d %H:%M:%S UTC %Y')}")
        info.messages = [Message(severity="INFO", timestamp=started, content=[summary])]
        return info

    def get_info(self) -> ServiceResponse:
        return ServiceResponse.success("Kie Server info", self.info())

    def state(self) -> ServiceResponse:
        s = self.config.server
        items = [
            KieServerConfigItem(name="org.kie.server.id", value=self.config.server_id, type="java.lang.String"),
            KieServerConfigItem(name="org.kie.server.location", value=s.get("location"), type="java.lang.String"),
            KieServerConfigItem(name="org.kie.server.mode", value=self.config.mode, type="java.lang.String"),
        ]
        for name in self.capabilities():
            disabled = {"BRM": "org.drools.server.ext.disabled", "BPM": "org.jbpm.server.ext.disabled",
                        "DMN": "org.kie.dmn.server.ext.disabled"}.get(name)
            if disabled:
                items.append(KieServerConfigItem(name=disabled, value="false", type="java.lang.String"))
        items = [i for i in items if i.name not in _SECRET_ITEMS]
        from kieserver.store.models import ContainerRecord
        containers = [self.containers.resource(r) for r in ContainerRecord.select().order_by(ContainerRecord.created_on)]
        info = KieServerStateInfo(server_id=self.config.server_id, location=s.get("location"),
                                  controllers=list(s.get("controllers") or []),
                                  configuration=KieServerConfig(config_items=items), containers=containers)
        return ServiceResponse.success(f"Successfully loaded server state for server id {self.config.server_id}", info)

    def health(self, include_messages=False):
        """(healthy, messages) as /healthcheck reports them."""
        msgs = []
        if not self.ready:
            msgs.append(Message(severity="ERROR", timestamp=now(), content=["KIE Server is not ready to serve requests"]))
        from kieserver.store.models import ContainerRecord
        failed = [r.container_id for r in ContainerRecord.select().where(ContainerRecord.status == "FAILED")]
        sev = "ERROR" if self.config.server.get("mgmt_api_disabled") else "WARN"
        for cid in failed:
            msgs.append(Message(severity=sev, timestamp=now(), content=[f"KIE Container '{cid}' is in FAILED state"]))
        for ext in self.extensions:
            msgs.extend(ext.health() or [])
        healthy = not any(m.severity == "ERROR" for m in msgs)
        if healthy and include_messages:
            msgs.insert(0, Message(severity="INFO", timestamp=now(), content=["KIE Server is healthy"]))
        return healthy, msgs

    def call_container(self, container_id, payload, fmt) -> ServiceResponse:
        """The call-container script command: a batch given as text, answered as text."""
        for ext in self.extensions:
            call = getattr(ext, "call_container", None)
            if call is not None:
                return call(container_id, payload, fmt)
        return ServiceResponse.failure(f"Error calling container {container_id}: no rule runtime (BRM) is enabled")

    def conversation_id(self, container_id):
        rec = self.containers.find(container_id)
        if rec is None or rec.status != "STARTED":
            return None
        raw = (f"'{self.config.server_id}':'{container_id}':"
               f"'{rec.group_id}:{rec.artifact_id}:{rec.version}':'{uuid.uuid4()}'")
        return urllib.parse.quote(raw, safe="")
