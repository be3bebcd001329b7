"""BatchExecutionCommand and ExecutionResults in the three formats (wire-formats.md §6).

Drools' command names and members are irregular per format (camelCase here, kebab-case there,
attributes in XML, `retract` vs `delete`...), so these two types carry hand-written codecs on top
of the generic value codecs.  A command is a `Command(name, **members)` with members named as in
the JSON form, snake_cased (`out_identifier`, `return_object`, `entry_point`...).
"""
from __future__ import annotations

from containers.values import JavaBean
from marshallers import codec_jaxb as J
from marshallers import codec_json as JS
from marshallers import codec_xstream as X
from marshallers.common import MarshallingError
from marshallers.jsonwriter import Raw, json_string, pretty
from marshallers.model import Model
from marshallers.xmltree import XSI_TYPE, XNode, local

FACT_HANDLE_CLASS = "org.drools.core.common.DefaultFactHandle"
EVENT_HANDLE_CLASS = "org.drools.core.common.EventFactHandle"     # format version 5
DISCONNECTED_HANDLE_CLASS = "org.drools.core.common.DisconnectedFactHandle"
HANDLE_CLASSES = (FACT_HANDLE_CLASS, EVENT_HANDLE_CLASS, DISCONNECTED_HANDLE_CLASS)


def _json_handle_class(ref):
    return EVENT_HANDLE_CLASS if ref.external_form.startswith("5:") else FACT_HANDLE_CLASS


def _is_json_handle(v):
    return isinstance(v, dict) and len(v) == 1 and next(iter(v)) in HANDLE_CLASSES

# X-KIE-ClassType values naming a single command
COMMAND_CLASSES = {
    "org.drools.core.command.runtime.rule.InsertObjectCommand": "insert",
    "org.drools.core.command.runtime.rule.InsertElementsCommand": "insert-elements",
    "org.drools.core.command.runtime.rule.FireAllRulesCommand": "fire-all-rules",
    "org.drools.core.command.runtime.rule.GetObjectsCommand": "get-objects",
    "org.drools.core.command.runtime.rule.QueryCommand": "query",
    "org.drools.core.command.runtime.SetGlobalCommand": "set-global",
    "org.drools.core.command.runtime.GetGlobalCommand": "get-global",
    "org.drools.core.command.runtime.rule.DeleteCommand": "retract",
    "org.drools.core.command.runtime.rule.ModifyCommand": "modify",
    "org.drools.core.command.runtime.rule.UpdateCommand": "update",
    "org.drools.core.command.runtime.rule.GetObjectCommand": "get-object",
    "org.drools.core.command.runtime.rule.GetFactHandlesCommand": "get-fact-handles",
    "org.drools.core.command.runtime.rule.AgendaGroupSetFocusCommand": "set-focus",
    "org.drools.core.command.runtime.rule.ClearAgendaCommand": "clear-agenda",
    "org.drools.core.command.runtime.rule.ClearAgendaGroupCommand": "clear-agenda-group",
    "org.drools.core.command.runtime.rule.ClearActivationGroupCommand": "clear-activation-group",
    "org.drools.core.command.runtime.rule.ClearRuleFlowGroupCommand": "clear-ruleflow-group",
    "org.drools.core.command.runtime.DisposeCommand": "dispose",
    "org.drools.core.command.runtime.process.StartProcessCommand": "start-process",
    "org.drools.core.command.runtime.process.SignalEventCommand": "signal-event",
    "org.drools.core.command.runtime.process.CompleteWorkItemCommand": "complete-work-item",
    "org.drools.core.command.runtime.process.AbortWorkItemCommand": "abort-work-item",
    "org.drools.core.command.runtime.rule.FireUntilHaltCommand": "fire-until-halt",
}
# JAXB root elements of the command classes (their own @XmlRootElement, used when a command is sent
# alone); JAXB picks the class from the root element, whatever X-KIE-ClassType says
JAXB_SINGLE_ROOTS = {
    "insert-object-command": "insert", "update-command": "update", "fireAllRulesCommand": "fire-all-rules",
    "setGlobalCommand": "set-global", "getGlobalCommand": "get-global", "deleteCommand": "delete",
    "modifyCommand": "modify", "getObjectCommand": "get-object", "agendaGroupSetFocusCommand": "set-focus",
    "clearAgendaCommand": "clear-agenda", "clearAgendaGroupCommand": "clear-agenda-group",
    "clearActivationGroupCommand": "clear-activation-group", "clearRuleFlowGroupCommand": "clear-ruleflow-group",
    "disposeCommand": "dispose", "startProcessCommand": "start-process", "signalEventCommand": "signal-event",
    "completeWorkItemCommand": "complete-work-item", "abortWorkItemCommand": "abort-work-item",
    "fireUntilHaltCommand": "fire-until-halt",
}
BATCH_CLASSES = {"org.drools.core.command.runtime.BatchExecutionCommandImpl",
                 "org.kie.api.command.BatchExecutionCommand", "BatchExecutionCommandImpl"}
KNOWN = set(COMMAND_CLASSES.values()) | {"delete"}


class Command:
    def __init__(self, name, **members):
        self.name = name
        self.m = members

    def get(self, key, default=None):
        v = self.m.get(key)
        return default if v is None else v

    def __repr__(self):
        return f"Command({self.name!r}, {self.m!r})"


class FactHandleRef:
    """A fact handle on the wire: its external form."""

    def __init__(self, external_form):
        self.external_form = external_form

    @property
    def id(self):
        try:
            return int(self.external_form.split(":")[1])
        except (IndexError, ValueError):
            raise MarshallingError(f"Invalid fact handle '{self.external_form}'") from None

    def __eq__(self, other):
        return isinstance(other, FactHandleRef) and other.external_form == self.external_form

    def __repr__(self):
        return f"{type(self).__name__}({self.external_form!r})"


class DisconnectedFactHandleRef(FactHandleRef):
    """A DisconnectedFactHandle (FlatQueryResults.newFrom, JaxbUnknownAdapter): the handle's
    fields without the object, so its external form is `0:…:NON_TRAIT:null` whatever the handle
    was.  JSON and JAXB write its fields; XStream only the external form."""

    def __init__(self, external_form):
        super().__init__(disconnected_form(external_form))


def disconnected_form(external_form):
    """DisconnectedFactHandle.toExternalForm of a handle given by its external form: version 0,
    trait type NON_TRAIT when absent, class name null."""
    parts = (external_form.split(":") + [""] * 8)[:8]
    return ":".join(["0"] + parts[1:6] + [parts[6] or "NON_TRAIT", "null"])


def _bool(v, default):
    if v is None:
        return default
    if isinstance(v, str):
        return v.strip().lower() == "true"
    return bool(v)


def _int(v, default=None):
    if v is None or v == "":
        return default
    try:
        return int(v)
    except (TypeError, ValueError):
        raise MarshallingError(f"Invalid number '{v}'") from None


# =============================================================================================
# JSON

def _json_handle(v):
    if v is None:
        return None
    if isinstance(v, str):
        return FactHandleRef(v)
    if isinstance(v, dict):
        cls = FactHandleRef
        if _is_json_handle(v) and isinstance(next(iter(v.values())), dict):
            if next(iter(v)) == DISCONNECTED_HANDLE_CLASS:
                cls = DisconnectedFactHandleRef
            v = next(iter(v.values()))
        ef = v.get("external-form")
        if ef:
            return cls(ef)
    raise MarshallingError(f"Invalid fact handle {v!r}")


def _json_pairs(v, ctx):
    """[{"value":..,"key":..}] -> dict (a plain map is silently ignored, as Jackson does)."""
    out = {}
    if isinstance(v, list):
        for item in v:
            if isinstance(item, dict) and "key" in item:
                out[item["key"]] = JS.decode_any(item.get("value"), ctx)
    return out


# Drools' four rule-name agenda filters: JAXB root / JSON key, XStream class, the pattern member.
# `accept` is a plain boolean field set by the two-argument constructor; the no-argument constructor
# that JAXB, Jackson and XStream use leaves it false when the payload omits it (the filter inverts).
AGENDA_FILTERS = {
    "rule-name-equals-agenda-filter": ("org.drools.core.base.RuleNameEqualsAgendaFilter", "name"),
    "rule-name-starts-with-agenda-filter": ("org.drools.core.base.RuleNameStartsWithAgendaFilter", "prefix"),
    "rule-name-ends-with-agenda-filter": ("org.drools.core.base.RuleNameEndsWithAgendaFilter", "suffix"),
    "rule-name-matches-agenda-filter": ("org.drools.core.base.RuleNameMatchesAgendaFilter", "regexp"),
}
_FILTER_BY_CLASS = {cls: name for name, (cls, _) in AGENDA_FILTERS.items()}


class AgendaFilterSpec:
    """kind (the JAXB root name), pattern, accept."""

    def __init__(self, kind, pattern, accept=False):
        self.kind = kind
        self.pattern = pattern
        self.accept = accept

    def __eq__(self, other):
        return isinstance(other, AgendaFilterSpec) and (other.kind, other.pattern, other.accept) == \
            (self.kind, self.pattern, self.accept)

    def __repr__(self):
        return f"AgendaFilterSpec({self.kind!r}, {self.pattern!r}, accept={self.accept!r})"


def _filter_spec(kind, get):
    if kind not in AGENDA_FILTERS:
        raise MarshallingError(f"Unknown agenda filter '{kind}'")
    member = AGENDA_FILTERS[kind][1]
    return AgendaFilterSpec(kind, get(member), _bool(get("accept"), False))


def _json_filter(v):
    if v is None:
        return None
    if not isinstance(v, dict) or len(v) != 1:
        raise MarshallingError("Error unmarshalling input: agendaFilter must be an object naming one filter type")
    kind, body = next(iter(v.items()))
    if kind in _FILTER_BY_CLASS:
        kind = _FILTER_BY_CLASS[kind]
    if kind not in AGENDA_FILTERS:
        raise MarshallingError(f"Error unmarshalling input: Could not resolve type id '{kind}' as a subtype of "
                               "`org.kie.api.runtime.rule.AgendaFilter`")
    body = body if isinstance(body, dict) else {}
    return _filter_spec(kind, body.get)


def command_from_json(name, body, ctx) -> Command:
    if name not in KNOWN or name == "delete":
        raise MarshallingError(f"Error unmarshalling input: Could not resolve type id '{name}' as a subtype of "
                               "`org.kie.api.command.Command`")
    b = body if isinstance(body, dict) else {}
    g = b.get
    if name == "insert":
        return Command(name, object=JS.decode_any(g("object"), ctx), out_identifier=g("out-identifier"),
                       return_object=_bool(g("return-object"), True), entry_point=g("entry-point") or "DEFAULT")
    if name == "insert-elements":
        lst = g("list")
        if lst is not None and not isinstance(lst, dict):
            # Jackson reads `list` through JaxbUnknownAdapter: only a {"type","componentType","element"} wrapper
            raise MarshallingError("Error unmarshalling input: Cannot deserialize value of type "
                                   "`org.kie.server.api.model.type.JaxbList` from "
                                   f"{'Array' if isinstance(lst, list) else type(lst).__name__} value "
                                   "(insert-elements `list`)")
        objects = JS.decode_any(lst, ctx) if isinstance(lst, dict) else []
        return Command(name, objects=list(objects or []), out_identifier=g("outIdentifier") or g("out-identifier"),
                       return_objects=_bool(g("return-objects"), True), entry_point=g("entry-point") or "DEFAULT")
    if name == "fire-all-rules":
        return Command(name, max=_int(g("max"), -1), out_identifier=g("out-identifier"),
                       agenda_filter=_json_filter(g("agendaFilter")))
    if name == "get-objects":
        f = g("class-object-filter")
        return Command(name, out_identifier=g("out-identifier"),
                       class_name=f.get("string") if isinstance(f, dict) else None)
    if name == "query":
        return Command(name, query_name=g("name"), arguments=[JS.decode_any(a, ctx) for a in (g("arguments") or [])],
                       out_identifier=g("out-identifier"))
    if name == "set-global":
        # SetGlobalCommand has no `out` member for Jackson (only XStream's converter reads out="true")
        return Command(name, identifier=g("identifier"), object=JS.decode_any(g("object"), ctx),
                       out_identifier=g("out-identifier"))
    if name == "get-global":
        return Command(name, identifier=g("identifier"), out_identifier=g("out-identifier"))
    if name == "retract":
        return Command("delete", handle=_json_handle(g("fact-handle") or g("handle")))
    if name == "modify":
        setters = [(s.get("accessor"), s.get("value")) for s in (g("setters") or []) if isinstance(s, dict)]
        return Command(name, handle=_json_handle(g("fact-handle")), setters=setters,
                       allow_modify_expr=_bool(g("allow-modify-expr"), True))
    if name == "update":
        mp = g("modifiedProperties")
        return Command(name, handle=_json_handle(g("fact-handle")), object=JS.decode_any(g("object"), ctx),
                       entry_point=g("entryPoint") or "DEFAULT",
                       modified_properties=[str(x) for x in mp] if isinstance(mp, list) else None)
    if name == "get-object":
        return Command(name, handle=_json_handle(g("fact-handle")), out_identifier=g("out-identifier"))
    if name == "get-fact-handles":
        return Command(name, out_identifier=g("out-identifier"), disconnected=_bool(g("disconnected"), False))
    if name in ("set-focus", "clear-agenda-group", "clear-activation-group", "clear-ruleflow-group"):
        return Command(name, group=g("name"))
    if name == "start-process":
        data = g("data")      # facts inserted into the ksession before the process starts
        return Command(name, process_id=g("processId"), parameters=_json_pairs(g("parameter"), ctx),
                       out_identifier=g("out-identifier"),
                       data=[JS.decode_any(x, ctx) for x in data] if isinstance(data, list) else [])
    if name == "signal-event":
        return Command(name, process_instance_id=_int(g("process-instance-id"), -1), event_type=g("event-type"),
                       event=JS.decode_any(g("event"), ctx), correlation_key=g("correlation-key"))
    if name == "complete-work-item":
        return Command(name, id=_int(g("id")), results=_json_pairs(g("result"), ctx))
    if name == "abort-work-item":
        return Command(name, id=_int(g("id")))
    return Command(name)


# =============================================================================================
# JAXB

def _jaxb_handle(el):
    if el is None:
        return None
    ef = el.attrib.get("external-form")
    if ef:
        return FactHandleRef(ef)
    if (el.text or "").strip():
        return FactHandleRef(el.text.strip())
    for c in el:
        if local(c.tag) == "external-form" and c.text:
            return FactHandleRef(c.text.strip())
    raise MarshallingError("Invalid fact handle element")


def _child(el, name):
    for c in el:
        if local(c.tag) == name:
            return c
    return None


def _children(el, name):
    return [c for c in el if local(c.tag) == name]


def _jaxb_items(el, ctx):
    out = {}
    if el is None:
        return out
    for item in el:
        if local(item.tag) == "item":
            v = _child(item, "value")
            out[item.attrib.get("key")] = J.decode_any(v, ctx) if v is not None else None
    return out


def command_from_jaxb(el, ctx, single=False) -> Command:
    """A command element of a batch, or (single) a command sent alone under its own root element."""
    name = local(el.tag)
    if single:
        if name not in JAXB_SINGLE_ROOTS:
            raise MarshallingError(f"Can't unmarshall input string: unexpected element (uri:\"\", local:\"{name}\")")
        name = JAXB_SINGLE_ROOTS[name]
    a = el.attrib
    if name == "query" and XSI_TYPE in a:
        raise MarshallingError(f"Command {a[XSI_TYPE]} is not supported")
    if name not in KNOWN:
        raise MarshallingError(f"Can't unmarshall input string: unexpected element (uri:\"\", local:\"{name}\")")
    if name == "insert":
        o = _child(el, "object")
        return Command(name, object=J.decode_any(o, ctx) if o is not None else None,
                       out_identifier=a.get("out-identifier"), return_object=_bool(a.get("return-object"), True),
                       entry_point=a.get("entry-point") or "DEFAULT")
    if name == "insert-elements":
        lst = _child(el, "list")
        objects = [J.decode_any(e, ctx) for e in _children(lst, "element")] if lst is not None else []
        return Command(name, objects=objects, out_identifier=a.get("outIdentifier") or a.get("out-identifier"),
                       return_objects=_bool(a.get("return-objects"), True), entry_point=a.get("entry-point") or "DEFAULT")
    if name == "fire-all-rules":
        f = None
        for c in el:     # @XmlAnyElement(lax=true): the first known filter element
            if local(c.tag) in AGENDA_FILTERS:
                f = _filter_spec(local(c.tag), c.attrib.get)
                break
        return Command(name, max=_int(a.get("max"), -1), out_identifier=a.get("out-identifier"), agenda_filter=f)
    if name == "get-objects":
        f = _child(el, "class-object-filter")
        return Command(name, out_identifier=a.get("out-identifier"),
                       class_name=f.attrib.get("string") if f is not None else None)
    if name == "query":
        return Command(name, query_name=a.get("name"), out_identifier=a.get("out-identifier"),
                       arguments=[J.decode_any(x, ctx) for x in _children(el, "arguments")])
    if name == "set-global":
        o = _child(el, "object")     # JAXB: no `out` attribute on SetGlobalCommand, only out-identifier
        return Command(name, identifier=a.get("identifier"), object=J.decode_any(o, ctx) if o is not None else None,
                       out_identifier=a.get("out-identifier"))
    if name == "get-global":
        return Command(name, identifier=a.get("identifier"), out_identifier=a.get("out-identifier"))
    if name in ("retract", "delete"):
        h = _child(el, "fact-handle") if _child(el, "fact-handle") is not None else _child(el, "handle")
        return Command("delete", handle=FactHandleRef(a["fact-handle"]) if a.get("fact-handle") else _jaxb_handle(h))
    if name == "modify":
        setters = [(s.attrib.get("accessor"), s.attrib.get("value")) for s in _children(el, "setters")]
        return Command(name, handle=_jaxb_handle(_child(el, "fact-handle")), setters=setters,
                       allow_modify_expr=_bool(a.get("allow-modify-expr"), True))
    if name == "update":
        o = _child(el, "object")
        ep = _child(el, "entryPoint")
        mp = [(m.text or "") for m in _children(el, "modifiedProperties")]
        return Command(name, handle=_jaxb_handle(_child(el, "fact-handle")),
                       object=J.decode_any(o, ctx) if o is not None else None,
                       entry_point=(ep.text if ep is not None else None) or "DEFAULT",
                       modified_properties=mp or None)
    if name == "get-object":
        return Command(name, handle=_jaxb_handle(_child(el, "fact-handle")), out_identifier=a.get("out-identifier"))
    if name == "get-fact-handles":
        return Command(name, out_identifier=a.get("out-identifier"), disconnected=_bool(a.get("disconnected"), False))
    if name in ("set-focus", "clear-agenda-group", "clear-activation-group", "clear-ruleflow-group"):
        return Command(name, group=a.get("name"))
    if name == "start-process":
        d = _child(el, "data")    # @XmlElementWrapper(name="data"): one child element per fact
        return Command(name, process_id=a.get("processId"), parameters=_jaxb_items(_child(el, "parameter"), ctx),
                       out_identifier=a.get("out-identifier"), data=[J.decode_any(x, ctx) for x in d] if d is not None else [])
    if name == "signal-event":
        ev = _child(el, "event")
        ck = _child(el, "correlation-key")      # an element (CorrelationKeyXmlAdapter: the key as text)
        return Command(name, process_instance_id=_int(a.get("process-instance-id"), -1), event_type=a.get("event-type"),
                       event=J.decode_any(ev, ctx) if ev is not None else None,
                       correlation_key=(ck.text or "").strip() if ck is not None else a.get("correlation-key"))
    if name == "complete-work-item":
        return Command(name, id=_int(a.get("id")), results=_jaxb_items(_child(el, "result"), ctx))
    if name == "abort-work-item":
        return Command(name, id=_int(a.get("id")))
    return Command(name)


# =============================================================================================
# XStream

def _first_value(el, ctx, skip=()):
    for c in el:
        if local(c.tag) not in skip:
            return X.decode_any(c, ctx)
    return None


def command_from_xstream(el, ctx) -> Command:
    name = local(el.tag)
    a = el.attrib
    if name not in KNOWN and name not in ("get-session-time", "advance-session-time"):
        raise MarshallingError(f"Cannot resolve command '{name}'")
    if name == "insert":
        return Command(name, object=_first_value(el, ctx), out_identifier=a.get("out-identifier"),
                       return_object=_bool(a.get("return-object"), True), entry_point=a.get("entry-point") or "DEFAULT")
    if name == "insert-elements":
        return Command(name, objects=[X.decode_any(c, ctx) for c in el], out_identifier=a.get("out-identifier"),
                       return_objects=_bool(a.get("return-objects"), True), entry_point=a.get("entry-point") or "DEFAULT")
    if name == "fire-all-rules":
        f = None
        first = next(iter(el), None)   # only one child is read: an AgendaFilter, by class attribute or alias
        if first is not None:
            kind = _FILTER_BY_CLASS.get(first.attrib.get("class") or local(first.tag)) or \
                (local(first.tag) if local(first.tag) in AGENDA_FILTERS else None)
            if kind is not None:
                values = {local(c.tag): (c.text or "") for c in first}
                f = _filter_spec(kind, values.get)
        return Command(name, max=_int(a.get("max"), -1), out_identifier=a.get("out-identifier"), agenda_filter=f)
    if name == "get-objects":
        return Command(name, out_identifier=a.get("out-identifier"), class_name=None)
    if name == "query":
        return Command(name, query_name=a.get("name"), out_identifier=a.get("out-identifier"),
                       arguments=[X.decode_any(c, ctx) for c in el])
    if name == "set-global":
        out = a.get("out-identifier") or (a.get("identifier") if _bool(a.get("out"), False) else None)
        return Command(name, identifier=a.get("identifier"), object=_first_value(el, ctx), out_identifier=out)
    if name == "get-global":
        return Command(name, identifier=a.get("identifier"), out_identifier=a.get("out-identifier"))
    if name in ("retract", "delete"):
        return Command("delete", handle=FactHandleRef(a.get("fact-handle") or ""))
    if name == "modify":
        setters = [(s.attrib.get("accessor"), s.attrib.get("value")) for s in _children(el, "set")]
        return Command(name, handle=FactHandleRef(a.get("fact-handle") or ""), setters=setters,
                       allow_modify_expr=True)
    if name == "update":
        # UpdateConverter always passes an array (empty without <modifiedProperty>): an empty mask
        return Command(name, handle=FactHandleRef(a.get("fact-handle") or ""),
                       object=_first_value(el, ctx, skip=("modifiedProperty",)), entry_point=a.get("entryPoint") or "DEFAULT",
                       modified_properties=[m.attrib.get("value") or "" for m in _children(el, "modifiedProperty")])
    if name == "get-object":
        return Command(name, handle=FactHandleRef(a.get("fact-handle") or ""), out_identifier=a.get("out-identifier"))
    if name == "get-fact-handles":
        return Command(name, out_identifier=a.get("out-identifier"), disconnected=_bool(a.get("disconnected"), False))
    if name in ("set-focus", "clear-agenda-group", "clear-activation-group", "clear-ruleflow-group"):
        return Command(name, group=a.get("name"))
    if name == "start-process":
        params = {p.attrib.get("identifier"): _first_value(p, ctx) for p in _children(el, "parameter")}
        return Command(name, process_id=a.get("processId"), parameters=params, out_identifier=a.get("out-identifier"),
                       data=[])     # StartProcessConvert reads no data
    if name == "signal-event":
        return Command(name, process_instance_id=_int(a.get("process-instance-id"), -1), event_type=a.get("event-type"),
                       event=_first_value(el, ctx), correlation_key=None)   # SignalEventConverter: no key
    if name == "complete-work-item":
        results = {r.attrib.get("identifier"): _first_value(r, ctx) for r in _children(el, "result")}
        return Command(name, id=_int(a.get("id")), results=results)
    if name == "abort-work-item":
        return Command(name, id=_int(a.get("id")))
    if name in ("get-session-time", "advance-session-time"):
        raise MarshallingError(f"Command {name} is not supported")
    return Command(name)


# =============================================================================================
# the two types

class QueryResults:
    """Drools' FlatQueryResults: per row, each identifier's object and its fact handle (if a fact)."""

    JAVA = "org.drools.core.runtime.rule.impl.FlatQueryResults"

    def __init__(self, identifiers, rows):
        self.identifiers = list(identifiers)
        self.rows = list(rows)          # [{identifier: (object, FactHandleRef or None)}]

    def __len__(self):
        return len(self.rows)

    def _ids(self):
        return java_hashmap_order(self.identifiers)

    def _row(self, row):
        return [(k, row[k]) for k in java_hashmap_order(row, len(self.identifiers))]

    def __eq__(self, other):
        return isinstance(other, QueryResults) and other.identifiers == self.identifiers and \
            [{k: v[0] for k, v in r.items()} for r in other.rows] == [{k: v[0] for k, v in r.items()} for r in self.rows]

    __hash__ = object.__hash__

    def column(self, identifier):
        return [r[identifier][0] for r in self.rows if identifier in r]

    # -- formats ---------------------------------------------------------------------------------
    def to_json_raw(self, ctx):
        def pairs(row, which):
            out = []
            for k, (obj, fh) in self._row(row):
                v = fh if which == "fh" else obj
                if which == "fh":
                    if v is None:
                        continue
                    if isinstance(v, DisconnectedFactHandleRef):
                        value = _json_disconnected(v, ctx)
                    else:
                        value = Raw("{" + json_string(_json_handle_class(v)) + ":" +
                                    pretty({"external-form": v.external_form}) + "}")
                else:
                    value = JS.encode_any_b(v, ctx)
                out.append({"value": value, "key": k})
            return {"type": "MAP", "componentType": None, "element": out}

        body = {
            "idFactHandleMaps": {"type": "LIST", "componentType": None, "element": [pairs(r, "fh") for r in self.rows]},
            "idResultMaps": {"type": "LIST", "componentType": None, "element": [pairs(r, "obj") for r in self.rows]},
            "identifiers": {"type": "SET", "componentType": None, "element": self._ids()},
        }
        return Raw("{" + json_string(self.JAVA) + ":" + pretty(body) + "}")

    def to_jaxb(self, tag, ctx):
        node = XNode(tag, [("xsi:type", "query-results")])
        for name, which in (("idFactHandleMaps", "fh"), ("idResultMaps", "obj")):
            outer = node.add(XNode(name, children=[XNode("type", text="LIST")]))
            for row in self.rows:
                m = outer.add(XNode("element", [("xsi:type", "jaxbListWrapper")], [XNode("type", text="MAP")]))
                for k, (obj, fh) in self._row(row):
                    e = m.add(XNode("element", [("xsi:type", "jaxbStringObjectPair"), ("key", k)]))
                    if which == "fh":
                        if isinstance(fh, DisconnectedFactHandleRef):
                            e.add(_jaxb_disconnected("value", fh))
                        elif fh is not None:
                            e.add(XNode("value", [("xsi:type", "defaultFactHandle"), ("external-form", fh.external_form)]))
                    elif obj is not None:
                        e.add(J.encode_any("value", obj, ctx))
        ids = node.add(XNode("identifiers", children=[XNode("type", text="SET")]))
        for i in self._ids():
            ids.add(J.encode_any("element", i, ctx))
        return node

    def to_xstream(self, ctx):
        # QueryResultsConverter collects the identifiers while iterating the rows: none without rows
        node = XNode("query-results")
        ids = node.add(XNode("identifiers"))
        for i in (self._ids() if self.rows else ()):
            ids.add(XNode("identifier", text=i))
        for row in self.rows:
            r = node.add(XNode("row"))
            for k, (obj, fh) in [(k, row[k]) for k in self._ids() if k in row]:   # QueryResultsConverter
                ident = r.add(XNode("identifier", [("id", k)]))
                ident.add(X.encode_any(None, obj, ctx))
                if fh is not None:
                    ident.add(XNode("fact-handle", [("external-form", fh.external_form)]))
        return node

    @classmethod
    def from_json(cls, body, ctx):
        ids = list((body.get("identifiers") or {}).get("element") or [])
        objs = [(m.get("element") or []) for m in (body.get("idResultMaps") or {}).get("element") or []]
        fhs = [(m.get("element") or []) for m in (body.get("idFactHandleMaps") or {}).get("element") or []]
        rows = []
        for i, pairs in enumerate(objs):
            handles = {p["key"]: _json_handle(p.get("value")) for p in (fhs[i] if i < len(fhs) else [])}
            rows.append({p["key"]: (JS.decode_any(p.get("value"), ctx), handles.get(p["key"])) for p in pairs})
        return cls(ids, rows)

    @classmethod
    def from_jaxb(cls, el, ctx):
        ids_el = _child(el, "identifiers")
        ids = [J.decode_any(e, ctx) for e in _children(ids_el, "element")] if ids_el is not None else []

        def maps(name):
            outer = _child(el, name)
            return [[(p.attrib.get("key"), _child(p, "value")) for p in _children(m, "element")]
                    for m in _children(outer, "element")] if outer is not None else []
        objs, fhs = maps("idResultMaps"), maps("idFactHandleMaps")
        rows = []
        for i, pairs in enumerate(objs):
            handles = {k: (DisconnectedFactHandleRef if v.attrib.get(XSI_TYPE) == "disconnectedFactHandle"
                           else FactHandleRef)(v.attrib.get("external-form"))
                       for k, v in (fhs[i] if i < len(fhs) else []) if v is not None}
            rows.append({k: (J.decode_any(v, ctx) if v is not None else None, handles.get(k)) for k, v in pairs})
        return cls(ids, rows)

    @classmethod
    def from_xstream(cls, el, ctx):
        ids_el = _child(el, "identifiers")
        ids = [(i.text or "") for i in ids_el] if ids_el is not None else []
        rows = []
        for r in _children(el, "row"):
            row = {}
            for ident in _children(r, "identifier"):
                obj = None
                fh = None
                for c in ident:
                    if local(c.tag) == "fact-handle":
                        fh = FactHandleRef(c.attrib.get("external-form"))
                    else:
                        obj = X.decode_any(c, ctx)
                row[ident.attrib.get("id")] = (obj, fh)
            rows.append(row)
        return cls(ids, rows)


class BatchExecutionCommand(Model):
    java_class = "org.drools.core.command.runtime.BatchExecutionCommandImpl"
    jaxb_root = "batch-execution"
    xstream_root = "batch-execution"
    fields = ()

    def __init__(self, lookup=None, commands=None):
        self.lookup = lookup
        self.commands = list(commands or [])

    # -- writers (what the Java client sends; used by tests and the call-container command) -----
    def encode_jaxb(self, tag, ctx):
        node = XNode(tag, [("lookup", self.lookup)] if self.lookup else [])
        for c in self.commands:
            node.add(_jaxb_command(c, ctx))
        return node

    def fill_xstream(self, node, ctx):
        if self.lookup:
            node.attrs.append(("lookup", self.lookup))
        for c in self.commands:
            node.add(_xstream_command(c, ctx))

    @classmethod
    def decode_json(cls, data, ctx):
        cmds = data.get("commands")
        if isinstance(cmds, dict):
            cmds = [cmds]
        out = []
        for item in cmds or []:
            if not isinstance(item, dict) or len(item) != 1:
                raise MarshallingError("Error unmarshalling input: each command must be an object with one key")
            name, body = next(iter(item.items()))
            out.append(command_from_json(name, body, ctx))
        return cls(data.get("lookup"), out)

    @classmethod
    def decode_jaxb(cls, el, ctx):
        return cls(el.attrib.get("lookup"), [command_from_jaxb(c, ctx) for c in el])

    @classmethod
    def decode_xstream(cls, el, ctx):
        return cls(el.attrib.get("lookup"), [command_from_xstream(c, ctx) for c in el])


def single_command(body_value, class_name, fmt_kind, ctx):
    """The body of a request whose X-KIE-ClassType names one command class."""
    name = COMMAND_CLASSES.get(class_name)
    if name is None:
        raise MarshallingError(f"Unknown command class {class_name}")
    if fmt_kind == "json":
        return command_from_json(name, body_value, ctx)
    if fmt_kind == "jaxb":
        return command_from_jaxb(body_value, ctx, single=True)
    return command_from_xstream(body_value, ctx)


def _string_hash(s):
    """java.lang.String.hashCode over UTF-16 code units, as an unsigned 32-bit value."""
    h = 0
    data = s.encode("utf-16-be", "surrogatepass")
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
    return h


def java_hashmap_order(keys, initial_capacity=16):
    """`keys` (strings, in insertion order) as a java.util.HashMap of them iterates: by bucket
    ((h ^ h >>> 16) & (capacity - 1)), then in insertion order within a bucket (a resize splits
    buckets keeping their relative order).  The capacity starts at the power of two >=
    initial_capacity and doubles while size > (int) (capacity * 0.75)."""
    keys = list(keys)
    n = 1
    while n < max(1, initial_capacity):
        n *= 2
    while len(keys) > n * 3 // 4:
        n *= 2

    def bucket(k):
        h = _string_hash(str(k))
        return (h ^ (h >> 16)) & (n - 1)
    return sorted(keys, key=bucket)


class ExecutionResults(Model):
    java_class = "org.drools.core.runtime.impl.ExecutionResultImpl"
    jaxb_root = "execution-results"
    xstream_root = "execution-results"
    fields = ()

    def __init__(self, results=None, facts=None):
        self.results = dict(results or {})
        self.facts = dict(facts or {})

    def __eq__(self, other):
        return isinstance(other, ExecutionResults) and other.results == self.results and other.facts == self.facts

    __hash__ = object.__hash__

    @staticmethod
    def _ordered(d):
        """ExecutionResultImpl keeps results and fact handles in HashMaps: written in their order."""
        return [(k, d[k]) for k in java_hashmap_order(d)]

    # -- JSON ---------------------------------------------------------------------------------
    def encode_json(self, ctx):
        def handle(h):
            if isinstance(h, DisconnectedFactHandleRef):
                return _json_disconnected(h, ctx)
            return Raw("{" + json_string(_json_handle_class(h)) + ":" + pretty({"external-form": h.external_form}) + "}")

        facts = []
        for k, v in self._ordered(self.facts):
            value = Raw("[" + ",".join(handle(h) for h in v) + "]") if isinstance(v, list) else handle(v)
            facts.append({"value": value, "key": k})
        def value(v):
            if isinstance(v, QueryResults):
                return v.to_json_raw(ctx)
            if isinstance(v, FactHandleRef):
                return handle(v)
            if isinstance(v, list) and v and all(isinstance(x, FactHandleRef) for x in v):
                return Raw("[" + ",".join(handle(h) for h in v) + "]")
            return JS.encode_any_b(v, ctx)

        return {"results": [{"value": value(v), "key": k} for k, v in self._ordered(self.results)], "facts": facts}

    @classmethod
    def decode_json(cls, data, ctx):
        results = {}
        for i in data.get("results") or []:
            if not isinstance(i, dict):
                continue
            v = i.get("value")
            if isinstance(v, dict) and QueryResults.JAVA in v:
                results[i["key"]] = QueryResults.from_json(v[QueryResults.JAVA], ctx)
            elif _is_json_handle(v):
                results[i["key"]] = _json_handle(v)
            elif isinstance(v, list) and v and all(_is_json_handle(x) for x in v):
                results[i["key"]] = [_json_handle(x) for x in v]
            else:
                results[i["key"]] = JS.decode_any(v, ctx)
        facts = {}
        for i in data.get("facts") or []:
            v = i.get("value")
            facts[i["key"]] = [_json_handle(x) for x in v] if isinstance(v, list) else _json_handle(v)
        return cls(results, facts)

    # -- JAXB ---------------------------------------------------------------------------------
    def encode_jaxb(self, tag, ctx):
        node = XNode(tag)
        results = node.add(XNode("results"))
        for k, v in self._ordered(self.results):
            item = results.add(XNode("item", [("key", str(k))]))
            if isinstance(v, QueryResults):
                item.add(v.to_jaxb("value", ctx))
            elif v is not None:
                item.add(_jaxb_wrapped("value", v, ctx))
        facts = node.add(XNode("facts"))
        for k, v in self._ordered(self.facts):
            item = facts.add(XNode("item", [("key", str(k))]))
            if isinstance(v, list):
                w = item.add(XNode("value", [("xsi:type", "jaxbListWrapper")], [XNode("type", text="LIST")]))
                for h in v:
                    w.add(_jaxb_disconnected("element", h))
            else:
                item.add(XNode("value", [("xsi:type", "defaultFactHandle"), ("external-form", v.external_form)]))
        return node

    @classmethod
    def decode_jaxb(cls, el, ctx):
        results, facts = {}, {}
        r = _child(el, "results")
        for item in (r if r is not None else []):
            v = _child(item, "value")
            if v is not None and v.attrib.get(XSI_TYPE) == "query-results":
                results[item.attrib.get("key")] = QueryResults.from_jaxb(v, ctx)
            elif v is not None and v.attrib.get(XSI_TYPE) in ("defaultFactHandle", "disconnectedFactHandle"):
                results[item.attrib.get("key")] = FactHandleRef(v.attrib.get("external-form"))
            elif v is not None and v.attrib.get(XSI_TYPE) == "jaxbListWrapper" and _children(v, "element") and all(
                    e.attrib.get(XSI_TYPE) in ("defaultFactHandle", "disconnectedFactHandle") for e in _children(v, "element")):
                results[item.attrib.get("key")] = [FactHandleRef(e.attrib.get("external-form"))
                                                   for e in _children(v, "element")]
            else:
                results[item.attrib.get("key")] = J.decode_any(v, ctx) if v is not None else None
        f = _child(el, "facts")
        for item in (f if f is not None else []):
            v = _child(item, "value")
            if v is None:
                continue
            if v.attrib.get(XSI_TYPE) == "jaxbListWrapper":
                facts[item.attrib.get("key")] = [FactHandleRef(e.attrib.get("external-form")) for e in _children(v, "element")]
            else:
                facts[item.attrib.get("key")] = FactHandleRef(v.attrib.get("external-form"))
        return cls(results, facts)

    # -- XStream ------------------------------------------------------------------------------
    def fill_xstream(self, node, ctx):
        for k, v in self._ordered(self.results):
            r = node.add(XNode("result", [("identifier", str(k))]))
            if isinstance(v, QueryResults):
                r.add(v.to_xstream(ctx))
            elif isinstance(v, FactHandleRef):
                r.add(XNode("fact-handle", [("external-form", v.external_form)]))
            elif isinstance(v, list) and v and all(isinstance(x, FactHandleRef) for x in v):
                r.add(XNode("list", children=[XNode("fact-handle", [("external-form", h.external_form)]) for h in v]))
            else:
                r.add(X.encode_any(None, v, ctx))
        for k, v in self._ordered(self.facts):
            if isinstance(v, list):
                fh = node.add(XNode("fact-handles", [("identifier", str(k))]))
                for h in v:
                    fh.add(XNode("fact-handle", [("external-form", h.external_form)]))
            else:
                node.add(XNode("fact-handle", [("identifier", str(k)), ("external-form", v.external_form)]))

    @classmethod
    def decode_xstream(cls, el, ctx):
        results, facts = {}, {}
        for c in el:
            n = local(c.tag)
            if n == "result":
                first = next(iter(c), None)
                if first is not None and local(first.tag) == "query-results":
                    results[c.attrib.get("identifier")] = QueryResults.from_xstream(first, ctx)
                elif first is not None and local(first.tag) == "fact-handle":
                    results[c.attrib.get("identifier")] = FactHandleRef(first.attrib.get("external-form"))
                elif first is not None and local(first.tag) == "list" and len(first) and all(
                        local(h.tag) == "fact-handle" for h in first):
                    results[c.attrib.get("identifier")] = [FactHandleRef(h.attrib.get("external-form")) for h in first]
                else:
                    results[c.attrib.get("identifier")] = _first_value(c, ctx)
            elif n == "fact-handle":
                facts[c.attrib.get("identifier")] = FactHandleRef(c.attrib.get("external-form"))
            elif n == "fact-handles":
                facts[c.attrib.get("identifier")] = [FactHandleRef(h.attrib.get("external-form")) for h in c]
        return cls(results, facts)


def _attrs(c, *pairs):
    out = []
    for attr, key in pairs:
        v = c.m.get(key)
        if v is not None:
            out.append((attr, "true" if v is True else "false" if v is False else str(v)))
    return out


def _jaxb_handle_el(tag, ref):
    return XNode(tag, text=ref.external_form)


def _jaxb_command(c, ctx):
    n = c.name
    if n == "insert":
        node = XNode(n, _attrs(c, ("out-identifier", "out_identifier"), ("return-object", "return_object"),
                               ("entry-point", "entry_point")))
        node.add(J.encode_any("object", c.m["object"], ctx))
        return node
    if n == "insert-elements":
        node = XNode(n, _attrs(c, ("outIdentifier", "out_identifier"), ("return-objects", "return_objects")))
        lst = node.add(XNode("list", children=[XNode("type", text="LIST")]))
        for o in c.m.get("objects", []):
            lst.add(J.encode_any("element", o, ctx))
        return node
    if n == "fire-all-rules":
        return XNode(n, [("max", str(c.m.get("max", -1)))] + _attrs(c, ("out-identifier", "out_identifier")))
    if n == "get-objects":
        node = XNode(n, _attrs(c, ("out-identifier", "out_identifier")))
        if c.m.get("class_name"):
            node.add(XNode("class-object-filter", [("string", c.m["class_name"])]))
        return node
    if n == "query":
        node = XNode(n, _attrs(c, ("out-identifier", "out_identifier"), ("name", "query_name")))
        for a in c.m.get("arguments", []):
            node.add(J.encode_any("arguments", a, ctx))
        return node
    if n == "set-global":
        node = XNode(n, _attrs(c, ("identifier", "identifier"), ("out-identifier", "out_identifier")))
        if c.m.get("object") is not None:
            node.add(_jaxb_wrapped("object", c.m.get("object"), ctx))
        return node
    if n == "get-global":
        return XNode(n, _attrs(c, ("identifier", "identifier"), ("out-identifier", "out_identifier")))
    if n == "delete":
        return XNode("retract", children=[_jaxb_handle_el("fact-handle", c.m["handle"])])
    if n == "modify":
        node = XNode(n, children=[_jaxb_handle_el("fact-handle", c.m["handle"])])
        for a, v in c.m.get("setters", []):
            node.add(XNode("setters", [("accessor", a), ("value", str(v))]))
        return node
    if n == "get-object":
        return XNode(n, _attrs(c, ("out-identifier", "out_identifier")), [_jaxb_handle_el("fact-handle", c.m["handle"])])
    if n == "get-fact-handles":
        return XNode(n, _attrs(c, ("disconnected", "disconnected"), ("out-identifier", "out_identifier")))
    if n == "update":
        node = XNode(n, children=[_jaxb_handle_el("fact-handle", c.m["handle"])])
        node.add(J.encode_any("object", c.m["object"], ctx))
        node.add(XNode("entryPoint", text=c.m.get("entry_point") or "DEFAULT"))
        for p in c.m.get("modified_properties") or []:
            node.add(XNode("modifiedProperties", text=p))
        return node
    if n in ("set-focus", "clear-agenda-group", "clear-activation-group", "clear-ruleflow-group"):
        return XNode(n, [("name", c.m["group"])])
    if n == "start-process":
        node = XNode(n, _attrs(c, ("processId", "process_id"), ("out-identifier", "out_identifier")))
        items = node.add(XNode("parameter"))
        for k, v in (c.m.get("parameters") or {}).items():
            item = items.add(XNode("item", [("key", str(k))]))
            if v is not None:
                item.add(J.encode_any("value", v, ctx))
        return node
    if n == "signal-event":
        node = XNode(n, _attrs(c, ("process-instance-id", "process_instance_id"), ("event-type", "event_type")))
        if c.m.get("correlation_key") is not None:
            node.add(XNode("correlation-key", text=str(c.m["correlation_key"])))
        if c.m.get("event") is not None:
            node.add(J.encode_any("event", c.m["event"], ctx))
        return node
    if n == "complete-work-item":
        node = XNode(n, _attrs(c, ("id", "id")))
        items = node.add(XNode("result"))
        for k, v in (c.m.get("results") or {}).items():
            item = items.add(XNode("item", [("key", str(k))]))
            if v is not None:
                item.add(J.encode_any("value", v, ctx))
        return node
    if n == "abort-work-item":
        return XNode(n, _attrs(c, ("id", "id")))
    return XNode(n)


def _xstream_command(c, ctx):
    n = c.name
    if n == "insert":
        node = XNode(n, _attrs(c, ("out-identifier", "out_identifier"), ("return-object", "return_object"),
                               ("entry-point", "entry_point")))
        node.add(X.encode_any(None, c.m["object"], ctx))
        return node
    if n == "insert-elements":
        node = XNode(n)
        if c.m.get("out_identifier") is not None:      # InsertElementsConverter writes the three together
            node.attrs.extend([("out-identifier", c.m["out_identifier"]),
                               ("return-objects", "false" if c.m.get("return_objects") is False else "true"),
                               ("entry-point", c.m.get("entry_point") or "DEFAULT")])
        node.children.extend(X.encode_any(None, o, ctx) for o in c.m.get("objects", []))
        return node
    if n == "fire-all-rules":
        attrs = _attrs(c, ("out-identifier", "out_identifier"))
        if c.m.get("max", -1) != -1:
            attrs.insert(0, ("max", str(c.m["max"])))
        return XNode(n, attrs)
    if n == "get-objects":
        return XNode(n, _attrs(c, ("out-identifier", "out_identifier")))
    if n == "query":
        node = XNode(n, _attrs(c, ("out-identifier", "out_identifier"), ("name", "query_name")))
        node.children.extend(X.encode_any(None, a, ctx) for a in c.m.get("arguments", []))
        return node
    if n == "set-global":
        node = XNode(n, _attrs(c, ("identifier", "identifier"), ("out-identifier", "out_identifier")))
        node.add(X.encode_any(None, c.m.get("object"), ctx))
        return node
    if n == "get-global":
        return XNode(n, _attrs(c, ("identifier", "identifier"), ("out-identifier", "out_identifier")))
    if n == "delete":
        return XNode("delete", [("fact-handle", c.m["handle"].external_form)])
    if n == "modify":
        node = XNode(n, [("fact-handle", c.m["handle"].external_form)])
        for a, v in c.m.get("setters", []):
            node.add(XNode("set", [("accessor", a), ("value", str(v))]))
        return node
    if n == "get-object":
        return XNode(n, [("fact-handle", c.m["handle"].external_form)] + _attrs(c, ("out-identifier", "out_identifier")))
    if n == "get-fact-handles":
        return XNode(n, _attrs(c, ("disconnected", "disconnected"), ("out-identifier", "out_identifier")))
    if n == "update":
        node = XNode(n, [("fact-handle", c.m["handle"].external_form), ("entryPoint", c.m.get("entry_point") or "DEFAULT")],
                     [X.encode_any(None, c.m["object"], ctx)])
        for p in c.m.get("modified_properties") or []:
            node.add(XNode("modifiedProperty", [("value", p)]))
        return node
    if n in ("set-focus", "clear-agenda-group", "clear-activation-group", "clear-ruleflow-group"):
        return XNode(n, [("name", c.m["group"])])
    if n == "start-process":
        node = XNode(n, _attrs(c, ("processId", "process_id"), ("out-identifier", "out_identifier")))
        for k, v in (c.m.get("parameters") or {}).items():
            node.add(XNode("parameter", [("identifier", str(k))], [X.encode_any(None, v, ctx)]))
        return node
    if n == "signal-event":
        node = XNode(n, _attrs(c, ("process-instance-id", "process_instance_id"), ("event-type", "event_type")))
        if c.m.get("event") is not None:
            node.add(X.encode_any(None, c.m["event"], ctx))
        return node
    if n == "complete-work-item":
        node = XNode(n, _attrs(c, ("id", "id")))
        for k, v in (c.m.get("results") or {}).items():
            node.add(XNode("result", [("identifier", str(k))], [X.encode_any(None, v, ctx)]))
        return node
    if n == "abort-work-item":
        return XNode(n, _attrs(c, ("id", "id")))
    return XNode(n)


def _jaxb_disconnected(tag, h):
    """A fact handle inside a collection: JaxbUnknownAdapter turns it into a DisconnectedFactHandle,
    written with its fields (the object itself is not carried: class name null; version 0, an
    event's handle too)."""
    ef = disconnected_form(h.external_form)
    parts = ef.split(":")
    return XNode(tag, [("xsi:type", "disconnectedFactHandle"), ("external-form", ef)], [
        XNode("id", text=parts[1]), XNode("identityHashCode", text=parts[2]),
        XNode("objectHashCode", text=parts[3]), XNode("recency", text=parts[4]),
        XNode("entryPointId", text=parts[5]), XNode("traitType", text=parts[6] or "NON_TRAIT")])


def _json_disconnected(h, ctx):
    """A DisconnectedFactHandle in JSON: kie-server's WrappingObjectSerializer wraps it in its class
    name; Jackson writes its @XmlElement fields in declaration order (the object is never carried:
    null), then the external-form attribute."""
    parts = disconnected_form(h.external_form).split(":")

    def num(x):
        try:
            return int(x)
        except ValueError:
            return 0
    body = {"id": num(parts[1]), "identityHashCode": num(parts[2]), "objectHashCode": num(parts[3]),
            "recency": num(parts[4]), "object": None,
            "entryPointId": None if parts[5] in ("", "null") else parts[5],
            "traitType": parts[6], "external-form": h.external_form}
    if ctx.not_null:
        body = {k: v for k, v in body.items() if v is not None}
    return Raw("{" + json_string(DISCONNECTED_HANDLE_CLASS) + ":" + pretty(body) + "}")


def _jaxb_wrapped(tag, v, ctx):
    """JaxbUnknownAdapter slots: collections become jaxbListWrapper, maps jaxbListWrapper MAP."""
    if isinstance(v, DisconnectedFactHandleRef):
        return _jaxb_disconnected(tag, v)
    if isinstance(v, FactHandleRef):
        return XNode(tag, [("xsi:type", "defaultFactHandle"), ("external-form", v.external_form)])
    if isinstance(v, (list, tuple, set)):
        node = XNode(tag, [("xsi:type", "jaxbListWrapper")], [XNode("type", text="SET" if isinstance(v, set) else "LIST")])
        for x in v:
            if isinstance(x, FactHandleRef):
                node.add(_jaxb_disconnected("element", x))
            elif x is not None:
                node.add(J.encode_any("element", x, ctx))
        return node
    if isinstance(v, dict):
        node = XNode(tag, [("xsi:type", "jaxbListWrapper")], [XNode("type", text="MAP")])
        for k, x in v.items():
            e = node.add(XNode("element", [("xsi:type", "jaxbStringObjectPair"), ("key", str(k))]))
            if x is not None:
                e.add(J.encode_any("value", x, ctx))
        return node
    return J.encode_any(tag, v, ctx)


__all__ = ["BatchExecutionCommand", "ExecutionResults", "Command", "FactHandleRef", "DisconnectedFactHandleRef",
           "disconnected_form", "QueryResults", "single_command",
           "COMMAND_CLASSES", "BATCH_CLASSES", "JAXB_SINGLE_ROOTS", "AGENDA_FILTERS", "AgendaFilterSpec",
           "java_hashmap_order", "JavaBean"]
