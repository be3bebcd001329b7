"""The BRM extension: kjar rules compiled per kbase, ksessions, and batch commands.

Stateless ksessions run each batch on a fresh session and fire at the end, as Drools'
StatelessKieSession.execute does.  A stateful ksession's working memory lives in the store
(BrmSessionState) so every worker and node sees the same one: each batch loads it under a row
lock (PostgreSQL) or the single-writer lock (SQLite), runs, and saves it; a failing batch saves
nothing, so the working memory stays as it was before the batch.
"""
from __future__ import annotations

import decimal
import logging
import threading

import falcon
import peewee

from containers.expressions import JavaException
from containers.rules import DrlError, build_kbase
from containers.rules.session import ConsequenceError, RuleSession
from containers.values import JavaSet, Long, TypeRegistry, java_type_name
from kieserver.extensions import ContainerSetupError, Extension
from kieserver.resources.base import read_raw, set_conversation_id
from kieserver.store.db import BaseModel, is_postgres, register, write_transaction
from kieserver.store.values import dump_state, load_state
from marshallers import (MAP, XSTREAM, Format, MarshallingError, MarshallingFormat, marshal,
                         parse_format, unmarshal)
from marshallers.common import Ctx
from marshallers.types.batch import (BATCH_CLASSES, COMMAND_CLASSES, BatchExecutionCommand, Command,
                                     DisconnectedFactHandleRef, ExecutionResults, FactHandleRef, QueryResults,
                                     command_from_jaxb, command_from_xstream, single_command)
from marshallers.types.core import ServiceResponse
from marshallers.xmltree import local

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
        # a pattern on a type nothing provides fails the build as in Drools ("Unable to resolve
        # ObjectType"), but only when the kjar's class path is all we see: a pom with jar
        # dependencies (or a parent) may bring classes we cannot read, so those stay lenient
        strict = self.kjar.runtime_dependencies() == []
        for kb in self.kjar.kbases:
            sources = [(p, self.kjar.text(p)) for p in kb.resources if p.lower().endswith(".drl")]
            try:
                self.kbases[kb.name] = build_kbase(sources, kie_container.types, strict_types=strict,
                                                   known_classes=self.kjar.classes)
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
        kbase_model, ksession = _lookup(kc.kjar, batch.lookup)
        if ksession is None:
            # RulesExecutionService / KieServerUtils.getDefaultKieSession
            return ServiceResponse.failure(
                f"Error calling container {container_id}: Session '{batch.lookup}' not found on container "
                f"'{container_id}'." if batch.lookup is not None else
                f"Error calling container {container_id}: No default KieSession found on container '{container_id}'.")
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
                # FOR UPDATE locks nothing while the row does not exist: create an empty one first (a
                # concurrent first batch waits on the unique key, then finds it), then lock it
                BrmSessionState.insert(container_id=kc.container_id, ksession=ksession, data=b"",
                                       version=0).on_conflict_ignore().execute()
                q = q.for_update()
            row = q.first()
            if row is not None and not bytes(row.data or b""):
                row = None          # the placeholder: no session stored yet
            version = row.version if row else 0
            live = rt.live.get(ksession)
            if live is not None and live[0] == version and not live[1].disposed:
                session = live[1]
            elif row is not None:
                session = RuleSession.restore(kbase, _load_session(bytes(row.data), kc.types))
            else:
                session = kbase.new_session()
            rt.live.pop(ksession, None)   # a failing batch must not leave a half-changed session cached
            results = self._run(session, commands, kc, stateless=False)
            if session.disposed:
                BrmSessionState.delete().where(key).execute()
                return results
            blob = dump_state(session.snapshot())
            if row is None:
                BrmSessionState.insert(container_id=kc.container_id, ksession=ksession, data=blob, version=1) \
                    .on_conflict(conflict_target=[BrmSessionState.container_id, BrmSessionState.ksession],
                                 update={BrmSessionState.data: blob, BrmSessionState.version: 1}).execute()
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
            except BatchError as e:
                raise e if str(e).startswith("[") else BatchError(f"[{cmd.name}] {e}") from None
            except Exception as e:      # any failure of a command: the FAILURE envelope, never a bare 500
                raise BatchError(f"[{cmd.name}] {_cause(e)}") from None
        # StatelessKieSession.execute fires at the end unless the batch took control of firing
        if stateless and not any(c.name == "fire-all-rules" for c in commands):
            try:
                session.fire_all_rules()
            except Exception as e:
                raise BatchError(_cause(e)) from None
        return results

    def _handle(self, session, ref: FactHandleRef, required=True):
        """The live handle a wire fact handle names (same id and entry point), or None / BatchError."""
        if ref is None:
            raise BatchError("a fact handle is required")
        h = session.facts.get(ref.id)
        if h is not None:
            parts = ref.external_form.split(":")
            if len(parts) > 5 and parts[5] not in ("", "null") and parts[5] != h.entry_point:
                h = None
        if h is None and required:
            raise BatchError(f"Fact handle {ref.external_form} does not exist in the working memory")
        return h

    def _command(self, session: RuleSession, cmd: Command, results: ExecutionResults, kc):
        """One command, as its Drools 7 ExecutableCommand.execute does it."""
        n = cmd.name
        out = cmd.get("out_identifier")
        if n == "insert":
            h = session.insert(cmd.get("object"), cmd.get("entry_point", "DEFAULT"))
            if out:
                if cmd.get("return_object", True):
                    results.results[out] = h.obj
                results.facts[out] = _ref(h)
        elif n == "insert-elements":
            handles = [session.insert(o, cmd.get("entry_point", "DEFAULT")) for o in cmd.get("objects", [])]
            if out:
                if cmd.get("return_objects", True):
                    results.results[out] = [h.obj for h in handles]
                results.facts[out] = [_ref(h) for h in handles]
        elif n == "fire-all-rules":
            fired = session.fire_all_rules(cmd.get("max", -1), _agenda_filter(cmd.get("agenda_filter")))
            if out:
                results.results[out] = fired
        elif n == "get-objects":
            # KieSession.getObjects(filter) reads the DEFAULT entry point; a result only under out-identifier
            objs = [h.obj for h in _default_handles(session) if _class_filter(cmd.get("class_name"), h.obj, kc)]
            if out:
                results.results[out] = objs
        elif n == "query":
            name = cmd.get("query_name")
            res = session.query_results(name, *cmd.get("arguments", []))
            if out:
                results.results[out] = _flat_query_results(res)
        elif n == "set-global":
            if out:
                results.results[out] = cmd.get("object")
            session.set_global(cmd.get("identifier"), cmd.get("object"))
        elif n == "get-global":
            results.results[out or cmd.get("identifier")] = session.get_global(cmd.get("identifier"))
        elif n == "delete":
            h = self._handle(session, cmd.get("handle"), required=False)
            if h is not None:        # NamedEntryPoint.delete: an unknown handle is logged and ignored
                session.delete(h)
        elif n == "modify":
            h = self._handle(session, cmd.get("handle"))
            _apply_setters(h.obj, cmd.get("setters", []), cmd.m.get("allow_modify_expr", True) is not False)
            session.update(h)
        elif n == "update":
            h = self._handle(session, cmd.get("handle"))
            if cmd.get("object") is None:
                raise BatchError("java.lang.NullPointerException: the object of an update is null")
            # with modifiedProperties, only the patterns reading them react (property reactivity)
            session.update(h, cmd.get("object"), modified=cmd.m.get("modified_properties"))
        elif n == "get-object":
            h = self._handle(session, cmd.get("handle"), required=False) if cmd.get("handle") else None
            if out:
                results.results[out] = h.obj if h else None
        elif n == "get-fact-handles":
            if out:
                results.results[out] = [_ref(h) for h in _default_handles(session)]
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
        elif n in ("start-process", "signal-event", "complete-work-item", "abort-work-item"):
            if n == "start-process":
                for fact in cmd.get("data") or []:      # StartProcessCommand inserts its data first
                    session.insert(fact)
            self._process_command(kc, cmd, results)
        elif n == "fire-until-halt":
            raise BatchError(f"[{n}] is not supported on the REST batch endpoint (it would never return)")
        else:
            raise BatchError(f"[{n}] unknown command")

    def _process_command(self, kc, cmd, results):
        """BPM commands in a batch run on the container's process runtime (server.process_callbacks)."""
        svc = getattr(self.server, "process_callbacks", None)
        n = cmd.name
        needed = {"start-process": "start_process", "signal-event": "signal_event",
                  "complete-work-item": "complete_work_item_by_id", "abort-work-item": "abort_work_item_by_id"}[n]
        if svc is None or not callable(getattr(svc, needed, None)):
            raise BatchError(f"[{n}] is not supported: the process runtime (BPM capability) is not enabled")
        cid = kc.container_id
        if n == "start-process":
            pid = svc.start_process(cid, cmd.get("process_id"), dict(cmd.get("parameters") or {}))
            if cmd.get("out_identifier"):
                results.results[cmd.get("out_identifier")] = Long(pid)
        elif n == "signal-event":
            # SignalEventCommand: broadcast without instance id and correlation key, else the one
            # instance, silently nothing when there is no such instance
            pid = cmd.get("process_instance_id", -1)
            key = cmd.get("correlation_key")
            try:
                if key and callable(getattr(svc, "signal_by_correlation_key", None)):
                    svc.signal_by_correlation_key(cid, str(key), cmd.get("event_type"), cmd.get("event"))
                else:
                    svc.signal_event(cid, cmd.get("event_type"), cmd.get("event"), pid if pid and pid > 0 else None)
            except Exception as e:
                if type(e).__name__ != "ProcessInstanceNotFound":
                    raise
        else:
            # the work item managers (DefaultWorkItemManager, JPAWorkItemManager) skip an id they do
            # not hold (already completed or aborted, or never there)
            try:
                if n == "complete-work-item":
                    svc.complete_work_item_by_id(cid, cmd.get("id"), dict(cmd.get("results") or {}))
                else:
                    svc.abort_work_item_by_id(cid, cmd.get("id"))
            except Exception as e:
                if type(e).__name__ not in ("WorkItemNotFound", "ProcessInstanceNotFound"):
                    raise

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


def _lookup(kjar, name):
    """(kbase, ksession): by name, else the default stateful ksession, else the default stateless one
    (KieServerUtils.getDefaultKieSession)."""
    if name is not None:
        return kjar.ksession(name)
    kb, ks = kjar.ksession(None)
    if ks is None:
        for kbm in kjar.kbases:
            for k in kbm.ksessions:
                if k.default and k.type == "stateless":
                    return kbm, k
    return kb, ks


def _cause(e):
    """The failure's cause as a Java exception would print it."""
    if isinstance(e, ConsequenceError):
        return str(e)
    if isinstance(e, JavaException):
        return f"{e.java_class}: {e.message}"
    text = str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e)
    if isinstance(e, ValueError) and text.startswith("For input string"):
        return f"java.lang.NumberFormatException: {text}"
    java = {ValueError: "java.lang.IllegalArgumentException", KeyError: "java.lang.IllegalArgumentException",
            TypeError: "java.lang.ClassCastException", MarshallingError: "java.lang.IllegalArgumentException"}
    for cls, name in java.items():
        if isinstance(e, cls):
            break
    else:
        name = "java.lang.RuntimeException"
    log.warning("batch command failed: %s", text, exc_info=True)
    return f"{name}: {text}"


def _ref(h):
    """A live handle on the wire (an event's is an EventFactHandle: FactHandle.external_form)."""
    return FactHandleRef(h.external_form)


def _default_handles(session):
    """The DEFAULT entry point's handles as ClassAwareObjectStore iterates them: one store per
    concrete class, in the order the stores arose (here: by the class's oldest fact), and within a
    class (an IdentityHashMap in Drools, no stable order) by handle id."""
    handles = [h for h in session.get_fact_handles() if (h.entry_point or "DEFAULT") == "DEFAULT"]
    first = {}
    for h in handles:
        first.setdefault(java_type_name(h.obj), h.id)
    return sorted(handles, key=lambda h: (first[java_type_name(h.obj)], h.id))


_JDK_SUPERTYPES = {
    "java.lang.Object": lambda o: True,
    "java.lang.Number": lambda o: isinstance(o, (int, float, decimal.Decimal)) and not isinstance(o, bool),
    "java.lang.CharSequence": lambda o: isinstance(o, str),
    "java.util.Collection": lambda o: isinstance(o, (list, set, tuple)),
    "java.util.List": lambda o: isinstance(o, (list, tuple)) and not isinstance(o, JavaSet),
    "java.util.Set": lambda o: isinstance(o, (set, JavaSet)),
    "java.util.Map": lambda o: isinstance(o, dict),
}


def _class_filter(class_name, obj, kc):
    """ClassObjectSerializationFilter.accept: Class.forName from Drools' own class loader, so a JDK
    class filters by isAssignableFrom, and a kjar or DRL-declared class (not loadable there) by its
    canonical name only."""
    if not class_name:
        return True
    if java_type_name(obj).replace("$", ".") == class_name:
        return True
    test = _JDK_SUPERTYPES.get(class_name)
    return bool(test and test(obj))


def _apply_setters(obj, setters, allow_expr=True):
    """ModifyCommand: MVEL `with (this) { accessor = 'value', ... }` - the value is a string literal
    that MVEL coerces to the property's type (nested accessors a.b = 'v' walk the getters); with
    allow-modify-expr false the value's double quotes are removed first."""
    from containers.expressions.runtime import getprop, setprop
    for accessor, value in setters:
        if not accessor:
            raise ValueError("a setter needs an accessor")
        target = obj
        path = accessor.strip().split(".")
        for part in path[:-1]:
            target = getprop(target, part)
        value = "null" if value is None else str(value)      # "accessor = '" + value + "'"
        if not allow_expr:
            value = value.replace('"', "")
        setprop(target, path[-1], value)


def _flat_query_results(res):
    """QueryCommand's `new FlatQueryResults(queryResults)`: the identifiers are the query's
    parameters and the first branch's declarations; a row holds each identifier its own branch
    declares, with the value and the handle of the pattern that declared it (a parameter: the
    query run's DroolsQuery handle) as FlatQueryResults.newFrom makes it, a DisconnectedFactHandle."""
    rows = []
    for row in res.rows:
        cells = {}
        for ident in res.identifiers:
            h = row.handles.get(ident)
            if h is not None:
                cells[ident] = (row.values.get(ident), DisconnectedFactHandleRef(h.external_form))
        rows.append(cells)
    return QueryResults(res.identifiers, rows)


def _agenda_filter(spec):
    """Drools' RuleName*AgendaFilter.accept: a match passes when the test equals `accept`."""
    if not spec:
        return None
    pattern = spec.pattern or ""
    if spec.kind == "rule-name-starts-with-agenda-filter":
        test = lambda name: name.startswith(pattern)   # noqa: E731
    elif spec.kind == "rule-name-ends-with-agenda-filter":
        test = lambda name: name.endswith(pattern)     # noqa: E731
    elif spec.kind == "rule-name-matches-agenda-filter":
        import re
        rx = re.compile(pattern)
        test = lambda name: rx.fullmatch(name) is not None   # noqa: E731
    else:
        test = lambda name: name == pattern            # noqa: E731
    accept = bool(spec.accept)
    return lambda name: test(name) == accept


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
            if class_type and class_type not in BATCH_CLASSES and class_type not in COMMAND_CLASSES:
                # the container's class loader cannot load it: ClassNotFoundException's message
                raise MarshallingError(class_type)
            batch = self._read(data, class_type, fmt, types)
        except MarshallingError as e:
            return self._send(req, resp, ServiceResponse.failure(f"Error calling container {container_id}: {e}"),
                              fmt, types)
        sr = self.ext.execute(container_id, batch)
        self._send(req, resp, sr, fmt, types)

    def _read(self, data, class_type, fmt, types):
        """The batch.  JSON (Jackson) reads the class X-KIE-ClassType names; JAXB and XStream pick the
        class from the root element whatever the header says; a lone command runs as a batch of one
        on the default session."""
        from marshallers import codec_json
        from marshallers.xmltree import XmlError, parse_xml
        if fmt.kind is MarshallingFormat.JSON:
            if class_type and class_type not in BATCH_CLASSES:
                return BatchExecutionCommand(None, [single_command(codec_json.loads(data), class_type, "json",
                                                                   Ctx(types))])
            return unmarshal(data, fmt, BatchExecutionCommand, types=types)
        try:
            root = parse_xml(data)
        except XmlError as e:
            raise MarshallingError(str(e)) from None
        if local(root.tag) == "batch-execution":
            return unmarshal(data, fmt, BatchExecutionCommand, types=types)
        kind = "jaxb" if fmt.kind is MarshallingFormat.JAXB else "xstream"
        if kind == "jaxb":
            return BatchExecutionCommand(None, [command_from_jaxb(root, Ctx(types), single=True)])
        return BatchExecutionCommand(None, [command_from_xstream(root, Ctx(types))])

    @staticmethod
    def _send(req, resp, sr, fmt, types):
        resp.status = falcon.HTTP_200 if sr.ok else falcon.HTTP_500
        resp.content_type = req.context.media
        resp.text = marshal(sr, fmt, types=types)


def _load_session(blob: bytes, types):
    """A stored session: typed JSON (kieserver/store/values.py), or the XStream map written before."""
    if blob.lstrip()[:1] == b"<":
        return unmarshal(blob, XSTREAM, MAP, types=types)
    return load_state(blob, types)


__all__ = ["BrmExtension", "Long", "parse_format"]

