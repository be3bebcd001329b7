"""Container lifecycle as KieServerImpl implements it: create, get, list, dispose, activate,
deactivate, scanner, release id.  Answers are ServiceResponse objects; HTTP lives in resources."""
from __future__ import annotations

import datetime
import json
import logging
import threading

import peewee

from containers.container import KieContainer
from containers.kjar import GAV, KjarError, read_kjar
from kieserver.extensions import ContainerSetupError
from kieserver.store.db import PkLookup, write_transaction
from kieserver.store.models import ContainerRecord
from marshallers.dates import from_millis, now, to_millis
from marshallers.types.core import (KieContainerResource, KieContainerResourceList,
                                    KieScannerResource, KieServerConfigItem, Message, ReleaseId,
                                    ServiceResponse)

log = logging.getLogger("kieserver.containers")

_by_id = PkLookup(ContainerRecord)

STATUSES = ("CREATING", "STARTED", "FAILED", "DISPOSING", "STOPPED", "DEACTIVATED")
SCANNER_STATUSES = ("UNKNOWN", "CREATED", "STARTED", "SCANNING", "STOPPED", "DISPOSED")


class StatusFilterError(ValueError):
    """An unknown KieContainerStatus name in a list filter."""


def _msg(severity, *content):
    return Message(severity=severity, timestamp=now(), content=list(content))


def _gav(rid: ReleaseId) -> GAV:
    return GAV(rid.group_id, rid.artifact_id, rid.version)


def _rid(gav) -> ReleaseId:
    return ReleaseId(group_id=gav.group_id, artifact_id=gav.artifact_id, version=gav.version)


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class ContainerService:
    def __init__(self, server):
        self.server = server
        self._cache: dict[str, KieContainer] = {}
        self._lock = threading.RLock()

    @property
    def maven(self):
        return self.server.maven

    @property
    def config(self):
        return self.server.config

    # -------------------------------------------------------------------------------- records
    @staticmethod
    def _messages(rec):
        return [Message(severity=s, timestamp=from_millis(t), content=list(c)) for s, t, c in json.loads(rec.messages or "[]")]

    @staticmethod
    def _encode_messages(messages):
        return json.dumps([[m.severity, to_millis(m.timestamp), list(m.content or [])] for m in messages])

    def resource(self, rec) -> KieContainerResource:
        resolved = None
        if rec.resolved_version:
            resolved = ReleaseId(group_id=rec.resolved_group_id, artifact_id=rec.resolved_artifact_id,
                                 version=rec.resolved_version)
        items = [KieServerConfigItem(name=n, value=v, type=t) for n, v, t in json.loads(rec.config_items or "[]")]
        return KieContainerResource(
            container_id=rec.container_id,
            release_id=ReleaseId(group_id=rec.group_id, artifact_id=rec.artifact_id, version=rec.version),
            resolved_release_id=resolved,
            status=rec.status,
            scanner=KieScannerResource(status=rec.scanner_status or "DISPOSED", poll_interval=rec.scanner_interval),
            config_items=items,
            messages=self._messages(rec),
            container_alias=rec.alias,
        )

    def find(self, container_id):
        return _by_id.get(container_id)

    def resolve(self, id_or_alias):
        """The record for a container id, or for the newest container carrying that alias."""
        rec = self.find(id_or_alias)
        if rec is None:
            rec = (ContainerRecord.select().where(ContainerRecord.alias == id_or_alias)
                   .order_by(ContainerRecord.created_on.desc()).first())
        return rec

    # -------------------------------------------------------------------------------- runtime
    def runtime(self, id_or_alias, *, statuses=("STARTED",)):
        """The in-memory KieContainer of a container (built or rebuilt from the store as needed),
        or None when there is no such container in one of `statuses`."""
        rec = self.resolve(id_or_alias)
        if rec is None or rec.status not in statuses:
            return None
        with self._lock:
            kc = self._cache.get(rec.container_id)
            if kc is not None and kc.revision == rec.revision:
                return kc
        kc = self._build(rec.container_id, GAV(rec.resolved_group_id or rec.group_id,
                                               rec.resolved_artifact_id or rec.artifact_id,
                                               rec.resolved_version or rec.version), rec.revision)
        with self._lock:
            old = self._cache.get(rec.container_id)
            if old is not None and old is not kc:
                old.close()
            self._cache[rec.container_id] = kc
        return kc

    def _build(self, container_id, gav, revision):
        found = self.maven.resolve_kjar(gav)
        if found is None:
            raise KjarError(f"KieContainer could not be found for release id {gav}")
        data, _, _ = found
        kjar = read_kjar(data)
        kc = KieContainer(container_id, kjar, revision)
        for ext in self.server.extensions:
            ext.container_created(kc)
        return kc

    def _forget(self, container_id):
        with self._lock:
            kc = self._cache.pop(container_id, None)
        if kc is not None:
            kc.close()

    # -------------------------------------------------------------------------------- queries
    def list(self, group_id=None, artifact_id=None, version=None, status=None) -> ServiceResponse:
        wanted = None
        if status:
            wanted = set()
            for s in status.split(","):
                s = s.strip().upper()
                if not s:
                    continue
                if s not in STATUSES:
                    raise StatusFilterError(f"No enum constant org.kie.server.api.model.KieContainerStatus.{s}")
                wanted.add(s)
        out = []
        for rec in ContainerRecord.select().order_by(ContainerRecord.created_on, ContainerRecord.container_id):
            g = rec.resolved_group_id or rec.group_id
            a = rec.resolved_artifact_id or rec.artifact_id
            v = rec.resolved_version or rec.version
            if group_id and g != group_id or artifact_id and a != artifact_id or version and v != version:
                continue
            if wanted and rec.status not in wanted:
                continue
            out.append(self.resource(rec))
        return ServiceResponse.success("List of created containers", KieContainerResourceList(containers=out))

    def get(self, container_id) -> ServiceResponse:
        rec = self.find(container_id)
        if rec is None:
            return ServiceResponse.failure(f"Container {container_id} is not instantiated.")
        return ServiceResponse.success(f"Info for container {container_id}", self.resource(rec))

    # -------------------------------------------------------------------------------- create
    def _mgmt_disabled(self):
        if self.config.server.get("mgmt_api_disabled"):
            return ServiceResponse.failure("KIE Server management api is disabled")
        return None

    def _validate_release(self, prefix, rid):
        if rid is None or not (rid.group_id and rid.artifact_id and rid.version):
            return ServiceResponse.failure(f"{prefix} Release Id is null")
        if self.config.mode == "PRODUCTION" and rid.version.endswith("SNAPSHOT"):
            return ServiceResponse.failure(
                f"{prefix} Kie Server running on PRODUCTION mode doesn't allow deploying SNAPSHOT modules.")
        return None

    def create(self, container_id, resource: KieContainerResource | None) -> ServiceResponse:
        denied = self._mgmt_disabled()
        if denied:
            return denied
        if resource is None:
            return ServiceResponse.failure("Error creating container. Container is null")
        bad = self._validate_release("Error creating container.", resource.release_id)
        if bad:
            return bad
        rid = resource.release_id
        gav = _gav(rid)
        existing = self.find(container_id)
        if existing is not None and existing.status != "FAILED":
            self._append_message(existing, _msg("ERROR", f"Container {container_id} already exists."))
            return ServiceResponse.failure(f"Container {container_id} already exists.", self.resource(self.find(container_id)))
        items = [[i.name, i.value, i.type] for i in (resource.config_items or [])]
        rec_fields = dict(group_id=rid.group_id, artifact_id=rid.artifact_id, version=rid.version,
                          alias=resource.container_alias, config_items=json.dumps(items),
                          scanner_status="DISPOSED", scanner_interval=None)
        # reserve the id (CREATING) so that two concurrent creates cannot both win
        try:
            with write_transaction():
                if existing is not None:
                    ContainerRecord.delete().where((ContainerRecord.container_id == container_id)
                                                   & (ContainerRecord.status == "FAILED")).execute()
                ContainerRecord.create(container_id=container_id, status="CREATING", messages="[]", **rec_fields)
        except peewee.IntegrityError:
            rec = self.find(container_id)
            return ServiceResponse.failure(f"Container {container_id} already exists.",
                                           self.resource(rec) if rec else None)
        self._forget(container_id)
        try:
            found = self.maven.resolve_kjar(gav)
            if found is None:
                return self._fail(container_id, [f"KieContainer could not be found for release id {gav}"],
                                  f"Failed to create container {container_id} with module {gav}.")
            data, sha1, resolved = found
            kjar = read_kjar(data)
            kc = KieContainer(container_id, kjar, 0)
            for ext in self.server.extensions:
                ext.container_created(kc)
        except (KjarError, ContainerSetupError) as e:
            return self._fail(container_id, e.messages, f"Failed to create container {container_id} with module {gav}.")
        except Exception as e:  # noqa: BLE001 - any build failure fails the container, not the server
            log.exception("Error creating container %s", container_id)
            return self._fail(container_id,
                              [f"Error creating container '{container_id}' for module '{gav}' due to {e}"],
                              f"Failed to create container {container_id} with module {gav}: {type(e).__name__}: {e}")
        if resolved is not None and kjar.gav is not None and str(kjar.gav) != str(resolved):
            log.warning("kjar %s declares GAV %s", resolved, kjar.gav)
        messages = [_msg("INFO", f"Container {container_id} successfully created with module {gav}.")]
        for w in kjar.warnings:
            messages.append(_msg("WARN", w))
        ContainerRecord.update(status="STARTED", resolved_group_id=resolved.group_id,
                               resolved_artifact_id=resolved.artifact_id, resolved_version=resolved.version,
                               kjar_sha1=sha1, messages=self._encode_messages(messages),
                               revision=ContainerRecord.revision + 1, updated_on=_utcnow()).where(
            ContainerRecord.container_id == container_id).execute()
        rec = self.find(container_id)
        kc.revision = rec.revision
        with self._lock:
            self._cache[container_id] = kc
        scanner = resource.scanner
        if scanner is not None and scanner.status and scanner.status not in ("DISPOSED", "UNKNOWN"):
            sr = self.update_scanner(container_id, scanner)
            if not sr.ok:
                return ServiceResponse.failure(f"Failed to create scanner for container {container_id} with module {gav}.")
            rec = self.find(container_id)
        return ServiceResponse.success(f"Container {container_id} successfully deployed with module {gav}.",
                                       self.resource(rec))

    def _fail(self, container_id, errors, msg):
        messages = [_msg("ERROR", *errors)]
        ContainerRecord.update(status="FAILED", messages=self._encode_messages(messages),
                               revision=ContainerRecord.revision + 1, updated_on=_utcnow()).where(
            ContainerRecord.container_id == container_id).execute()
        self._forget(container_id)
        return ServiceResponse.failure(msg)

    def _append_message(self, rec, message, replace=False):
        msgs = [] if replace else self._messages(rec)
        msgs.append(message)
        ContainerRecord.update(messages=self._encode_messages(msgs)).where(
            ContainerRecord.container_id == rec.container_id).execute()

    # -------------------------------------------------------------------------------- dispose
    def dispose(self, container_id, abort_instances=False) -> ServiceResponse:
        denied = self._mgmt_disabled()
        if denied:
            return denied
        rec = self.find(container_id)
        if rec is None:
            return ServiceResponse.success(f"Container {container_id} was not instantiated.")
        for ext in self.server.extensions:
            reason = ext.container_disposing(container_id, bool(abort_instances))
            if reason:
                self._append_message(rec, _msg("WARN", f"Error disposing container '{container_id}' due to {reason}, container is running"))
                return ServiceResponse.failure(
                    f"Container {container_id} failed to dispose, exception was raised: java.lang.IllegalStateException: {reason}")
        deleted = ContainerRecord.delete().where(ContainerRecord.container_id == container_id).execute()
        self._forget(container_id)
        if not deleted:
            return ServiceResponse.success(f"Container {container_id} was not instantiated.")
        for ext in self.server.extensions:
            try:
                ext.container_disposed(container_id)
            except Exception:  # noqa: BLE001
                log.exception("Extension %s failed after disposing %s", ext.name, container_id)
        return ServiceResponse.success(f"Container {container_id} successfully disposed.")

    # -------------------------------------------------------------------------------- (de)activate
    def _switch(self, container_id, from_status, to_status, verb):
        denied = self._mgmt_disabled()
        if denied:
            return denied
        n = ContainerRecord.update(status=to_status, revision=ContainerRecord.revision + 1,
                                   updated_on=_utcnow()).where(
            (ContainerRecord.container_id == container_id) & (ContainerRecord.status == from_status)).execute()
        word = "deactivated" if from_status == "DEACTIVATED" else "started"
        if not n:
            return ServiceResponse.failure(f"Container {container_id} not found or not in {word} status.")
        rec = self.find(container_id)
        self._append_message(rec, _msg("INFO", f"Container {container_id} {verb} successfully."), replace=True)
        return ServiceResponse.success(f"Container {container_id} {verb} successfully.", self.resource(self.find(container_id)))

    def activate(self, container_id):
        return self._switch(container_id, "DEACTIVATED", "STARTED", "activated")

    def deactivate(self, container_id):
        return self._switch(container_id, "STARTED", "DEACTIVATED", "deactivated")

    # -------------------------------------------------------------------------------- scanner
    def get_scanner(self, container_id):
        rec = self.find(container_id)
        if rec is None:
            return ServiceResponse.failure(f"Unknown container {container_id}.")
        return ServiceResponse.success("Scanner info successfully retrieved",
                                       KieScannerResource(status=rec.scanner_status or "DISPOSED",
                                                          poll_interval=rec.scanner_interval))

    def update_scanner(self, container_id, scanner: KieScannerResource | None):
        denied = self._mgmt_disabled()
        if denied:
            return denied
        status = (scanner.status or "").upper() if scanner is not None else ""
        if not status:
            return ServiceResponse.failure(
                f"Error updating scanner for container {container_id}. Status is null: {_scanner_str(scanner)}")
        rec = self.find(container_id)
        if rec is None:
            return ServiceResponse.failure(f"Unknown container {container_id}.")
        current = rec.scanner_status or "DISPOSED"
        interval = scanner.poll_interval
        exists = current != "DISPOSED"

        def done(new_status, new_interval, msg, ok=True, note=None):
            ContainerRecord.update(scanner_status=new_status, scanner_interval=new_interval,
                                   updated_on=_utcnow()).where(ContainerRecord.container_id == container_id).execute()
            self._append_message(rec, _msg("INFO" if ok else "WARN", note or msg), replace=True)
            res = KieScannerResource(status=new_status, poll_interval=new_interval)
            return ServiceResponse(type="SUCCESS" if ok else "FAILURE", msg=msg, result=res)

        if status == "CREATED":
            if exists:
                return ServiceResponse.failure(
                    f"Error creating the scanner for container {container_id}. Scanner already exists.")
            return done("CREATED", None, "Kie scanner successfully created.")
        if status == "STARTED":
            cur = current if exists else "STOPPED"   # a new scanner is created stopped
            if cur not in ("STOPPED", "CREATED"):
                return done(cur, rec.scanner_interval, f"Invalid kie scanner status: {cur}", ok=False)
            if interval is None:
                return done(cur, None, "Invalid polling interval: null", ok=False)
            return done("STARTED", interval, "Kie scanner successfully created.",
                        note=f"Kie scanner successfully started with interval {interval}")
        if status == "STOPPED":
            if not exists:
                return ServiceResponse.success("Scanner is not started. ",
                                               KieScannerResource(status="DISPOSED"))
            if current in ("STARTED", "SCANNING"):
                return done("STOPPED", None, "Kie scanner successfully stopped.")
            return done(current, rec.scanner_interval, f"Invalid kie scanner status: {current}", ok=False)
        if status == "SCANNING":
            if current in ("DISPOSED", "STOPPED", "CREATED", "STARTED"):
                self.scan_now(container_id)
                new = "STOPPED" if current in ("DISPOSED", "CREATED") else current
                return done(new, rec.scanner_interval, "Scan successfully executed.",
                            note="Kie scanner successfully invoked.")
            return done(current, rec.scanner_interval, f"Invalid kie scanner status: {current}", ok=False)
        if status == "DISPOSED":
            if not exists:
                return ServiceResponse.success("Invalid call. Scanner already disposed.",
                                               KieScannerResource(status="DISPOSED"))
            return done("DISPOSED", None, "Kie scanner successfully disposed (shut down).")
        return ServiceResponse.failure(f"Unknown status '{status}' for scanner on container {container_id}.")

    def scan_now(self, container_id):
        """Redeploy the container if its kjar changed in the repository (same SNAPSHOT re-uploaded,
        or a newer version for LATEST/RELEASE/ranges)."""
        rec = self.find(container_id)
        if rec is None:
            return False
        found = self.maven.resolve_kjar(GAV(rec.group_id, rec.artifact_id, rec.version))
        if found is None:
            return False
        _, sha1, resolved = found
        if sha1 == rec.kjar_sha1 and resolved.version == (rec.resolved_version or rec.version):
            return False
        result = self.update_release_id(container_id, ReleaseId(group_id=rec.group_id, artifact_id=rec.artifact_id,
                                                                version=rec.version), force=True)
        return result.ok

    def poll_scanners(self):
        """One pass of the scanner thread: scan containers whose scanner is STARTED and due."""
        now_ = _utcnow()
        for rec in ContainerRecord.select().where(ContainerRecord.scanner_status == "STARTED"):
            interval = (rec.scanner_interval or 0) / 1000.0
            last = getattr(self, "_last_scan", {}).get(rec.container_id)
            if last is not None and (now_ - last).total_seconds() < interval:
                continue
            self.__dict__.setdefault("_last_scan", {})[rec.container_id] = now_
            try:
                self.scan_now(rec.container_id)
            except Exception:  # noqa: BLE001
                log.exception("Scanner failed for container %s", rec.container_id)

    # -------------------------------------------------------------------------------- release id
    def get_release_id(self, container_id):
        rec = self.find(container_id)
        if rec is None:
            return ServiceResponse.failure(f"Container {container_id} is not instantiated.")
        return ServiceResponse.success(f"ReleaseId for container {container_id}",
                                       ReleaseId(group_id=rec.group_id, artifact_id=rec.artifact_id, version=rec.version))

    def update_release_id(self, container_id, rid: ReleaseId | None, reset_before_update=False, force=False):
        if not force:
            denied = self._mgmt_disabled()
            if denied:
                return denied
        bad = self._validate_release(f"Error updating releaseId for container '{container_id}'.", rid)
        if bad:
            return bad
        rec = self.find(container_id)
        if rec is None or rec.status not in ("STARTED", "DEACTIVATED"):
            return ServiceResponse.failure(f"Container {container_id} is not instantiated.")
        gav = _gav(rid)
        found = self.maven.resolve_kjar(gav)
        if found is None:
            self._append_message(rec, _msg("WARN", f"Error updating releaseId for container {container_id} to version {gav}",
                                           f"KieContainer could not be found for release id {gav}"), replace=True)
            return ServiceResponse.failure(f"Error updating release id on container {container_id} to {gav}",
                                           ReleaseId(group_id=rec.group_id, artifact_id=rec.artifact_id, version=rec.version))
        data, sha1, resolved = found
        for ext in self.server.extensions:
            veto = getattr(ext, "container_update_allowed", None)
            if veto:
                reason = veto(container_id, resolved, reset_before_update)
                if reason:
                    self._append_message(rec, _msg("WARN", reason), replace=True)
                    return ServiceResponse.failure(reason)
        try:
            kjar = read_kjar(data)
            kc = KieContainer(container_id, kjar, 0)
            for ext in self.server.extensions:
                ext.container_created(kc)
        except (KjarError, ContainerSetupError) as e:
            self._append_message(rec, _msg("WARN", f"Error updating releaseId for container {container_id} to version {gav}",
                                           *e.messages), replace=True)
            return ServiceResponse.failure(f"Error updating release id on container {container_id} to {gav}",
                                           ReleaseId(group_id=rec.group_id, artifact_id=rec.artifact_id, version=rec.version))
        messages = [_msg("INFO", f"Release id successfully updated for container {container_id}")]
        ContainerRecord.update(group_id=rid.group_id, artifact_id=rid.artifact_id, version=rid.version,
                               resolved_group_id=resolved.group_id, resolved_artifact_id=resolved.artifact_id,
                               resolved_version=resolved.version, kjar_sha1=sha1,
                               messages=self._encode_messages(messages), revision=ContainerRecord.revision + 1,
                               updated_on=_utcnow()).where(ContainerRecord.container_id == container_id).execute()
        rec = self.find(container_id)
        kc.revision = rec.revision
        with self._lock:
            old = self._cache.get(container_id)
            if old is not None:
                old.close()
            self._cache[container_id] = kc
        return ServiceResponse.success("Release id successfully updated.",
                                       ReleaseId(group_id=rid.group_id, artifact_id=rid.artifact_id, version=rid.version))

    # -------------------------------------------------------------------------------- start-up
    def restore(self):
        """Warm the runtimes of stored STARTED containers (each process, on start)."""
        for rec in ContainerRecord.select().where(ContainerRecord.status.in_(("STARTED", "DEACTIVATED"))):
            try:
                self.runtime(rec.container_id, statuses=("STARTED", "DEACTIVATED"))
            except Exception as e:  # noqa: BLE001 - a broken stored container must not stop the server
                log.error("Container %s could not be restored: %s", rec.container_id, e)


def _scanner_str(s):
    if s is None:
        return "null"
    return f"KieScannerResource [status={s.status}, pollInterval={s.poll_interval}]"
