"""The BRM extension: kjar rules compiled per kbase, ksessions, and batch commands.

Stateless ksessions run each batch on a fresh session and fire at the end, as Drools'
StatelessKieSession.execute does.  A stateful ksession's working memory lives in the store
(BrmSessionState) so every worker and node sees the same one: each batch loads it under a row
lock (PostgreSQL) or the single-writer lock (SQLite), runs, and saves it; a failing batch saves
nothing, so the working memory stays as it was before the batch.
"""
from __future__ import annotations

import logging
import threading

import falcon
import peewee

from containers.expressions import JavaException, compile_expression
from containers.rules import DrlError, build_kbase
from containers.rules.session import ConsequenceError, RuleSession
from containers.values import Long, TypeRegistry
from kieserver.extensions import ContainerSetupError, Extension
from kieserver.resources.base import read_raw, set_conversation_id
from kieserver.store.db import BaseModel, is_postgres, register, write_transaction
from marshallers import (MAP, XSTREAM, Format, MarshallingError, MarshallingFormat, marshal,
                         parse_format, unmarshal)
from marshallers.common import Ctx
from marshallers.types.batch import (BATCH_CLASSES, COMMAND_CLASSES, BatchExecutionCommand, Command,
                                     ExecutionResults, FactHandleRef, QueryResults, single_command)
from marshallers.types.core import ServiceResponse

log = logging.getLogger("kieserver.brm")


@register
class BrmSessionState(BaseModel):
    container_id = peewee.CharField(max_length=255)
    ksession = peewee.CharField(max_length=255)
    data = peewee.BlobField()
    version = peewee.IntegerField(default=1)

    class Meta:
        table_name = "kie_brm_session"
        primary_key = peewee.CompositeKey("container_id", "ksession")


class BatchError(Exception):
    pass


class BrmRuntime:
    """A container's compiled kbases (by kbase name)."""

    def __init__(self, kie_container):
        self.kc = kie_container
        self.kjar = kie_container.kjar
        self.kbases = {}
        errors = []
        for kb in self.kjar.kbases:
            sources = [(p, self.kjar.text(p)) for p in kb.resources if p.lower().endswith(".drl")]
            try:
                self.kbases[kb.name] = build_kbase(sources, kie_container.types)
            except DrlError as e:
                errors.extend(e.errors)
            except UnicodeDecodeError as e:
                errors.append(f"{kb.name}: a DRL file is not UTF-8 ({e})")
        if errors:
            raise ContainerSetupError(["Error while creating KieBase"] + errors)
        self.live = {}          # ksession name -> (version, RuleSession)
        self.lock = threading.RLock()

    def close(self):
        self.live.clear()


class BrmExtension(Extension):
    name = "BRM"
    capability = "BRM"
    start_order = 10
    models = (BrmSessionState,)

    def routes(self):
        return [("/containers/instances/{container_id}", BatchResource(self.server, self))]

    def container_created(self, kc):
        kc.runtimes["brm"] = BrmRuntime(kc)

    def container_disposed(self, container_id):
        BrmSessionState.delete().where(BrmSessionState.container_id == container_id).execute()

    # -- batches ---------------------------------------------------------------------------------
    def execute(self, container_id, batch: BatchExecutionCommand) -> ServiceResponse:
        kc = self.server.containers.runtime(container_id)
        if kc is None:
            rec = self.server.containers.resolve(container_id)
            if rec is None:
                return ServiceResponse.failure(
                    f"Error calling container {container_id}: Container '{container_id}' is not instantiated "
                    f"or cannot find container for alias '{container_id}'")
            return ServiceResponse.failure(f"Container {container_id} is not instantiated.")
        if not batch.commands:
            return ServiceResponse.failure("Bad request, no commands to be executed - either wrong format or no data")
        rt: BrmRuntime = kc.runtimes.get("brm")
        kbase_model, ksession = kc.kjar.ksession(batch.lookup)
        if ksession is None:
            what = f"'{batch.lookup}'" if batch.lookup else "default"
            return ServiceResponse.failure(f"Error calling container {container_id}: Cannot find KieSession {what}"
                                           if batch.lookup else
                                           f"Error calling container {container_id}: Cannot find a default KieSession")
        kbase = rt.kbases[kbase_model.name]
        try:
            if ksession.type == "stateless":
                session = kbase.new_session()
                results = self._run(session, batch.commands, kc, stateless=True)
            else:
                results = self._run_stateful(kc, rt, kbase, ksession.name, batch.commands)
        except BatchError as e:
            return ServiceResponse.failure(f"Error calling container {container_id}: {e}")
        return ServiceResponse.success(f"Container {container_id} successfully called.", results)

    def _run_stateful(self, kc, rt, kbase, ksession, commands):
        key = (BrmSessionState.container_id == kc.container_id) & (BrmSessionState.ksession == ksession)
        with rt.lock, write_transaction():
            q = BrmSessionState.select().where(key)
            if is_postgres():
                q = q.for_update()
            row = q.first()
            version = row.version if row else 0
            live = rt.live.get(ksession)
            if live is not None and live[0] == version and not live[1].disposed:
                session = live[1]
            elif row is not None:
                data = unmarshal(bytes(row.data), XSTREAM, MAP, types=kc.types)
                session = RuleSession.restore(kbase, data)
            else:
                session = kbase.new_session()
            rt.live.pop(ksession, None)   # a failing batch must not leave a half-changed session cached
            results = self._run(session, commands, kc, stateless=False)
            if session.disposed:
                BrmSessionState.delete().where(key).execute()
                return results
            blob = marshal(session.snapshot(), XSTREAM, types=kc.types).encode("utf-8")
            if row is None:
                BrmSessionState.insert(container_id=kc.container_id, ksession=ksession, data=blob, version=1).execute()
                version = 1
            else:
                version += 1
                BrmSessionState.update(data=blob, version=version).where(key).execute()
            rt.live[ksession] = (version, session)
            return results

    def _run(self, session: RuleSession, commands, kc, stateless):
        results = ExecutionResults()
        for cmd in commands:
            try:
                self._command(session, cmd, results, kc)
            except BatchError:
                raise
            except ConsequenceError as e:
                raise BatchError(f"[{cmd.name}] {e}") from None
            except (JavaException, KeyError, ValueError, TypeError, AttributeError, MarshallingError) as e:
                raise BatchError(f"[{cmd.name}] {type(e).__name__ if not isinstance(e, JavaException) else e.java_class}: "
                                 f"{e.message if isinstance(e, JavaException) else e}") from None
        if stateless:
            try:
                session.fire_all_rules()
            except ConsequenceError as e:
                raise BatchError(str(e)) from None
        return results

    def _handle(self, session, ref: FactHandleRef):
        if ref is None:
            raise BatchError("a fact handle is required")
        h = session.facts.get(ref.id)
        if h is None:
            raise BatchError(f"Fact handle {ref.external_form} does not exist in the working memory")
        return h

    def _command(self, session: RuleSession, cmd: Command, results: ExecutionResults, kc):
        n = cmd.name
        out = cmd.get("out_identifier")
        if n == "insert":
            h = session.insert(cmd.get("object"), cmd.get("entry_point", "DEFAULT"))
            if out:
                if cmd.get("return_object", True):
                    results.results[out] = h.obj
                results.facts[out] = FactHandleRef(h.external_form)
        elif n == "insert-elements":
            handles = [session.insert(o, cmd.get("entry_point", "DEFAULT")) for o in cmd.get("objects", [])]
            if out:
                if cmd.get("return_objects", True):
                    results.results[out] = [h.obj for h in handles]
                results.facts[out] = [FactHandleRef(h.external_form) for h in handles]
        elif n == "fire-all-rules":
            fired = session.fire_all_rules(cmd.get("max", -1), _agenda_filter(cmd.get("agenda_filter")))
            if out:
                results.results[out] = fired
        elif n == "get-objects":
            objs = session.get_objects(cmd.get("class_name"))
            results.results[out or "objects"] = objs
        elif n == "query":
            name = cmd.get("query_name")
            rows = session.query(name, *cmd.get("arguments", []))
            params = {p for _, p in session.kbase.queries[name].params}
            identifiers = []
            flat = []
            for row in rows:
                cells = {}
                for var, value in row.items():
                    if var in params or var.startswith("__"):
                        continue
                    if var not in identifiers:
                        identifiers.append(var)
                    h = session.get_fact_handle(value)
                    cells[var] = (value, FactHandleRef(h.external_form) if h is not None else None)
                flat.append(cells)
            results.results[out or name] = QueryResults(identifiers, flat)
        elif n == "set-global":
            session.set_global(cmd.get("identifier"), cmd.get("object"))
            if out:
                results.results[out] = cmd.get("object")
        elif n == "get-global":
            results.results[out or cmd.get("identifier")] = session.get_global(cmd.get("identifier"))
        elif n == "delete":
            session.delete(self._handle(session, cmd.get("handle")))
        elif n == "modify":
            h = self._handle(session, cmd.get("handle"))
            for accessor, value in cmd.get("setters", []):
                v = compile_expression(str(value), types=kc.types)({})
                from containers.expressions.runtime import setprop
                setprop(h.obj, accessor, v)
            session.update(h)
        elif n == "update":
            h = self._handle(session, cmd.get("handle"))
            session.update(h, cmd.get("object"))
        elif n == "get-object":
            h = session.facts.get(cmd.get("handle").id) if cmd.get("handle") else None
            results.results[out or "object"] = h.obj if h else None
        elif n == "get-fact-handles":
            results.results[out or "fact-handles"] = [FactHandleRef(h.external_form) for h in session.get_fact_handles()]
        elif n == "set-focus":
            session.set_focus(cmd.get("group"))
        elif n == "clear-agenda":
            session.clear_agenda()
        elif n == "clear-agenda-group":
            session.clear_agenda_group(cmd.get("group"))
        elif n == "clear-activation-group":
            session.clear_activation_group(cmd.get("group"))
        elif n == "clear-ruleflow-group":
            session.clear_ruleflow_group(cmd.get("group"))
        elif n == "dispose":
            session.dispose()
        elif n in ("start-process", "signal-event", "complete-work-item", "abort-work-item", "fire-until-halt"):
            raise BatchError(f"[{n}] is not supported by this server yet")
        else:
            raise BatchError(f"[{n}] unknown command")

    def call_container(self, container_id, payload, fmt):
        """The call-container script command: the batch and its results as text."""
        kc = self.server.containers.runtime(container_id)
        types = kc.types if kc is not None else None
        try:
            batch = unmarshal(payload or "", fmt.bare, BatchExecutionCommand, types=types)
        except MarshallingError as e:
            return ServiceResponse.failure(f"Error calling container {container_id}: {e}")
        sr = self.execute(container_id, batch)
        if sr.ok:
            sr.result = marshal(sr.result, fmt.bare, types=types)
        return sr


def _agenda_filter(spec):
    if not spec:
        return None
    kind, pattern = spec
    kind = (kind or "").lower()
    if pattern is None:
        return None
    if "starts-with" in kind or "startswith" in kind:
        return lambda name: name.startswith(pattern)
    if "ends-with" in kind or "endswith" in kind:
        return lambda name: name.endswith(pattern)
    if "matches" in kind:
        import re
        rx = re.compile(pattern)
        return lambda name: rx.fullmatch(name) is not None
    return lambda name: name == pattern


class BatchResource:
    """POST /containers/instances/{containerId}: every FAILURE is HTTP 500 with the envelope."""

    def __init__(self, server, ext: BrmExtension):
        self.server = server
        self.ext = ext

    def on_post(self, req, resp, container_id):
        fmt: Format = req.context.fmt.bare   # strict/fields are ignored on this endpoint
        kc = self.server.containers.runtime(container_id)
        types = kc.types if kc is not None else TypeRegistry()
        set_conversation_id(req, resp, self.server, container_id)
        data = read_raw(req)
        if kc is None:   # the container is resolved before the payload is read
            return self._send(req, resp, self.ext.execute(container_id, BatchExecutionCommand(None, [])), fmt, types)
        if not data.strip():
            return self._send(req, resp, ServiceResponse.failure(
                f"Error calling container {container_id}. Empty payload. "), fmt, types)
        class_type = req.get_header("X-KIE-ClassType")
        try:
            if class_type and class_type not in BATCH_CLASSES:
                if class_type not in COMMAND_CLASSES:
                    raise MarshallingError(f"Unknown command class {class_type}")
                batch = BatchExecutionCommand(None, [self._single(data, class_type, fmt, types)])
            else:
                batch = unmarshal(data, fmt, BatchExecutionCommand, types=types)
        except MarshallingError as e:
            return self._send(req, resp, ServiceResponse.failure(f"Error calling container {container_id}: {e}"),
                              fmt, types)
        sr = self.ext.execute(container_id, batch)
        self._send(req, resp, sr, fmt, types)

    def _single(self, data, class_type, fmt, types):
        from marshallers import codec_json
        from marshallers.xmltree import XmlError, parse_xml
        ctx = Ctx(types)
        if fmt.kind is MarshallingFormat.JSON:
            return single_command(codec_json.loads(data), class_type, "json", ctx)
        try:
            root = parse_xml(data)
        except XmlError as e:
            raise MarshallingError(str(e)) from None
        return single_command(root, class_type, "jaxb" if fmt.kind is MarshallingFormat.JAXB else "xstream", ctx)

    @staticmethod
    def _send(req, resp, sr, fmt, types):
        resp.status = falcon.HTTP_200 if sr.ok else falcon.HTTP_500
        resp.content_type = req.context.media
        resp.text = marshal(sr, fmt, types=types)


__all__ = ["BrmExtension", "Long", "parse_format"]
