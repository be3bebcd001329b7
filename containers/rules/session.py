"""A rule session: working memory, alpha memories, lazy rule evaluation and Phreak's agenda.

Facts go into per-pattern alpha memories as they are inserted, updated or deleted; a rule is
re-evaluated only when one of its memories changed (lazily, when the agenda needs it), and its
new matches are appended to its activation list in network order.  The agenda picks the rule of
the focused agenda group with the highest salience, then the lowest load order (declaration
order), and fires its activations in order, yielding as soon as a rule with a higher priority
becomes active, as Drools 7's RuleExecutor does.
"""
from __future__ import annotations

import decimal
import itertools
import re
import time

from containers.expressions import JavaException
from containers.expressions.runtime import getprop, truth
from containers.rules.kbase import CAccumulate, CompiledPattern, CompiledRule, KieBase
from containers.values import BigInteger, JavaBean, JavaSet, Long, java_hash_order, java_type_name


class ConsequenceError(Exception):
    def __init__(self, rule, cause):
        self.rule = rule
        self.cause = cause
        super().__init__(f"Exception executing consequence for rule \"{rule}\": {cause}")


class FactHandle:
    """A fact's handle (Drools' DefaultFactHandle).  A fact whose type is declared an event
    (`@role(event)`) gets an EventFactHandle: the kind is fixed when the handle is made (Drools
    asks the type's ObjectTypeConf on insert) and shows as the external form's format version,
    5 instead of 0; every other field is the same (DefaultFactHandle.toExternalForm is final:
    version:id:identityHashCode:objectHashCode:recency:entryPoint:traitType:className)."""
    __slots__ = ("id", "obj", "version", "recency", "entry_point", "logical", "modified_by", "event")

    def __init__(self, hid, obj, entry_point="DEFAULT", logical=False, event=None):
        self.id = hid
        self.obj = obj
        self.version = 0
        self.recency = hid
        self.entry_point = entry_point
        self.logical = logical
        self.modified_by = None
        self.event = _is_event_type(obj) if event is None else bool(event)

    def _fields(self):
        o = self.obj
        return f"{self.id}:{id(o) & 0x7fffffff}:{_java_hash(o)}:{self.recency}:{self.entry_point}:NON_TRAIT"

    @property
    def external_form(self):
        return f"{5 if self.event else 0}:{self._fields()}:{_java_class_name(self.obj)}"

    @property
    def disconnected_form(self):
        """The external form of DisconnectedFactHandle.newFrom(this handle): version 0 whatever the
        kind, and no class name (the object is not carried).  Query results hold these."""
        return f"0:{self._fields()}:null"

    def __repr__(self):
        return f"FactHandle({self.id}, {self.obj!r})"


def _is_event_type(obj):
    """Whether the fact's type is declared `@role(event)` (EventFactHandle)."""
    meta = getattr(type(obj), "_meta", None)
    return bool(meta) and str(meta.get("role") or "").strip().strip('"').lower() == "event"


class DroolsQuery:
    """The object a query run inserts (org.drools.core.base.DroolsQuery): its name and arguments.
    It never enters the working memory; its handle owns the query's parameters in the results."""
    JAVA = "org.drools.core.base.DroolsQuery"
    __slots__ = ("name", "elements")

    def __init__(self, name, elements):
        self.name = name
        self.elements = list(elements)

    def java_hash(self):
        """DroolsQuery.hashCode (over ArrayElements.hashCode): elements, name, open (false) and the
        Variable[] (all null here: Arrays.hashCode gives 31^n), in Java int arithmetic."""
        h = 1
        for e in self.elements:
            h = (31 * h + (0 if e is None else _java_hash(e))) & 0xFFFFFFFF
        h = (31 + h) & 0xFFFFFFFF
        h = (31 * h + _java_hash(self.name)) & 0xFFFFFFFF
        h = (31 * h + 1237) & 0xFFFFFFFF
        h = (31 * h + pow(31, len(self.elements), 1 << 32)) & 0xFFFFFFFF
        return h - 2 ** 32 if h > 0x7FFFFFFF else h

    def __repr__(self):
        return f"DroolsQuery({self.name!r}, {self.elements!r})"


def _java_class_name(o):
    return DroolsQuery.JAVA if isinstance(o, DroolsQuery) else java_type_name(o)


def _java_hash(o):
    if isinstance(o, DroolsQuery):
        return o.java_hash()
    if isinstance(o, str):
        h = 0
        for c in o:
            h = (31 * h + ord(c)) & 0xFFFFFFFF
        return h - 2 ** 32 if h > 0x7FFFFFFF else h
    if isinstance(o, bool):
        return 1231 if o else 1237
    if isinstance(o, int):
        return o if -2 ** 31 <= o < 2 ** 31 else (o ^ (o >> 32)) & 0xFFFFFFFF
    try:
        return hash(o) & 0x7FFFFFFF
    except TypeError:
        return id(o) & 0x7FFFFFFF


class QueryRow:
    """One row of a query: `env` (every binding, parameters included), `values` and `handles` of
    the declarations of the row's branch (subrule) and the parameters, and the branch's index."""
    __slots__ = ("env", "values", "handles", "branch")

    def __init__(self, env, values, handles, branch=0):
        self.env = env
        self.values = values
        self.handles = handles
        self.branch = branch

    def __repr__(self):
        return f"QueryRow({self.values!r})"


class QueryResults:
    """What KieSession.getQueryResults gives (QueryResultsImpl): the parameters' names, the
    identifiers (the parameters, then the first branch's declarations), the rows, and the handle
    of the query run's DroolsQuery."""
    __slots__ = ("name", "parameters", "identifiers", "rows", "handle")

    def __init__(self, name, parameters, identifiers, rows, handle):
        self.name = name
        self.parameters = list(parameters)
        self.identifiers = list(identifiers)
        self.rows = list(rows)
        self.handle = handle

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)


def _query_declarations(branch):
    """(name, pattern) of every declaration a query branch makes visible (the subrule's outer
    declarations): pattern bindings, field bindings, accumulate results; nothing from inside
    not/exists/eval or a source's own patterns."""
    out = []
    for kind, ce in branch:
        if kind == "pattern":
            if ce.binding:
                out.append((ce.binding, ce))
            out.extend((var, ce) for var, _c in ce.binders)
        elif kind == "accumulate":
            out.extend((b, ce) for b, _n, _f in ce.functions if b)
    return out


class Activation:
    __slots__ = ("rule", "key", "env", "salience", "seq", "facts", "due", "batch")

    def __init__(self, rule, key, env, salience, seq, facts, due=0.0, batch=0):
        self.rule, self.key, self.env, self.salience, self.seq, self.facts = rule, key, env, salience, seq, facts
        self.due = due
        self.batch = batch


class _RuleState:
    __slots__ = ("rule", "matches", "pending", "dirty", "locked", "changes", "initialized", "top", "not_pats",
                 "split", "blocks", "lazy")

    def __init__(self, rule):
        self.rule = rule
        self.matches = {}     # key -> [env, versions, fired, facts]
        self.pending = {}     # key -> Activation (insertion ordered)
        self.dirty = True
        self.locked = False
        self.changes = {}     # id(pattern) -> {handle id: "ins" | "upd" | "del"} since the last evaluation
        self.initialized = False
        # pattern ids joined at the top level, and those directly inside a top-level `not`
        self.top = set()
        self.not_pats = set()
        for branch in rule.branches:
            for kind, ce in branch:
                if kind == "pattern" and ce.source is None:
                    self.top.add(id(ce))
                elif kind == "not":
                    for k2, ce2 in ce:
                        if k2 == "pattern" and ce2.source is None:
                            self.not_pats.add(id(ce2))
        # (head, tail) partial matches when the rule's leading patterns share no variable with the rest
        self.split = None
        self.blocks = {}      # head key -> _Block: activations of a split rule not made yet
        self.lazy = False
        if len(rule.branches) == 1 and not getattr(rule, "is_query", False):
            k = _split_point(rule.branches[0])
            if k:
                self.split = (_Partial(rule.branches[0][:k]), _Partial(rule.branches[0][k:]))
                # a dynamic salience read from the tail's own bindings: a new head's activations (one
                # per tail match) are made when the agenda picks one, not all at once (_Block)
                sal = rule.salience
                names = getattr(sal, "names", None)
                if not isinstance(sal, int) and names is not None and not rule.delay_ms \
                        and rule.enabled is not False:
                    tail_vars = _bound_vars(rule.branches[0][k:])
                    head_vars = _bound_vars(rule.branches[0][:k])
                    if not (names & head_vars) and names & tail_vars:
                        self.lazy = True

    def exposed(self):
        """Patterns of a split rule whose fact other CEs of the same part read through its binding
        (`$b.k`): a modify hidden from the pattern by property reactivity can still change their
        matches, which only joining again (the unsplit evaluation) sees."""
        out = set()
        for part in self.split or ():
            read = _names_read(part.ces) or set()
            if self.lazy and part is self.split[1]:
                # a lazy rule's salience, worked out when the tail match is made
                read = read | self.rule.salience.names
            _bound_patterns(part.ces, read, out)
        return out


class _Block:
    """The activations of a split rule for one new head match: one per key the tail had then and
    still has (made into an Activation when the agenda picks it or something needs them all:
    _materialize).  They share the evaluation that created them; their data and salience are the
    tail's.  Held keys are the tail's keys not in `out`, so making a block costs nothing per key."""
    __slots__ = ("hk", "batch", "out", "n", "max")

    def __init__(self, hk, batch, n):
        self.hk = hk            # the head's partial key
        self.batch = batch
        self.out = set()        # tail keys it does not hold: made, removed, or come after it
        self.n = n              # how many it holds
        self.max = None         # highest salience among them (None: to work out)


def _bound_vars(ces):
    out = set()
    for kind, ce in ces:
        if kind == "pattern":
            if ce.binding:
                out.add(ce.binding)
            out.update(var for var, _ in ce.binders)
        elif kind == "accumulate":
            out.update(b for b, _n, _f in ce.functions if b)
    return out


class _Partial:
    """The matches of a list of CEs that reads no variable bound outside it, kept between evaluations
    (the memory of a join): a rule whose first patterns are independent of the rest (Manners'
    `Context(state == 1)`) joins them with this memory instead of joining the rest again each time
    they change.  Only the changes of its own patterns reach it."""
    __slots__ = ("ces", "matches", "initialized", "pids", "top", "not_pats", "by_hid", "nots", "changed", "sal",
                 "by_sal", "salfn")

    def __init__(self, ces):
        self.ces = ces
        self.matches = {}          # key (handle ids by position) -> (versions, env, facts)
        self.initialized = False
        self.pids = set()          # every pattern inside
        self.top = set()           # patterns joined at the top level
        self.not_pats = set()      # patterns directly inside a top-level `not`
        self.by_hid = {}           # handle id at a top-level pattern -> keys of the matches holding it
        # top-level nots over one indexed pattern without bindings: [pattern, probe, {probe value: keys}, keys
        # to recheck by scanning (unindexable probe values)]
        self.nots = []
        self.changed = set()       # keys of the last update's added matches that were there before
        self.sal = None            # a lazy rule's tail: {key: salience}, {salience: {key: None}}
        self.by_sal = None
        self.salfn = None          # and the function giving a match's salience from its bindings
        _pattern_ids(ces, self.pids)
        for kind, ce in ces:
            if kind == "pattern" and ce.source is None:
                self.top.add(id(ce))
            elif kind == "not":
                for k2, ce2 in ce:
                    if k2 == "pattern" and ce2.source is None:
                        self.not_pats.add(id(ce2))
                if len(ce) == 1 and ce[0][0] == "pattern" and ce[0][1].source is None \
                        and ce[0][1].index is not None and not ce[0][1].binders:
                    p = ce[0][1]
                    self.nots.append([p, _probe_tuple(tuple(_fast_fn(c) for c in p.index[1])), {}, set()])

    def add(self, key, vers, env, facts):
        self.matches[key] = (vers, env, facts)
        if self.salfn is not None:
            v = self.sal[key] = self.salfn(env)
            b = self.by_sal.get(v)
            if b is None:
                self.by_sal[v] = {key: None}
            else:
                b[key] = None
        i = 0
        for kind, ce in self.ces:
            if kind == "pattern" or kind == "accumulate":
                if kind == "pattern" and ce.source is None:
                    s = self.by_hid.get(key[i])
                    if s is None:
                        self.by_hid[key[i]] = {key}
                    else:
                        s.add(key)
                i += 1
        for entry in self.nots:
            try:
                value = entry[1](env)
                hash(value)
            except Exception:  # noqa: BLE001 - unhashable: rechecked by a scan
                value = _UNHASHABLE
            if value is _UNHASHABLE or _hasfloat(value):
                entry[3].add(key)
            else:
                s = entry[2].get(value)
                if s is None:
                    entry[2][value] = {key}
                else:
                    s.add(key)

    def remove(self, key):
        vers, env, facts = self.matches.pop(key)
        if self.salfn is not None:
            v = self.sal.pop(key)
            b = self.by_sal[v]
            del b[key]
            if not b:
                del self.by_sal[v]
        for hid in key:
            s = self.by_hid.get(hid)
            if s is not None:
                s.discard(key)
                if not s:
                    del self.by_hid[hid]
        for entry in self.nots:
            if key in entry[3]:
                entry[3].discard(key)
                continue
            try:
                s = entry[2].get(entry[1](env))
            except Exception:  # noqa: BLE001
                s = None
            if s is not None:
                s.discard(key)
        return vers

    def reset(self):
        self.matches = {}
        self.by_hid = {}
        if self.salfn is not None:
            self.sal = {}
            self.by_sal = {}
        for entry in self.nots:
            entry[2] = {}
            entry[3] = set()


def _pattern_ids(ces, out):
    for kind, ce in ces:
        if kind == "pattern":
            out.add(id(ce))
            if ce.source is not None and ce.source[0] == "collect":
                _pattern_ids(ce.source[1], out)
            elif ce.source is not None and ce.source[0] == "accumulate":
                _pattern_ids(ce.source[1].source, out)
        elif kind in ("not", "exists"):
            _pattern_ids(ce, out)
        elif kind == "accumulate":
            _pattern_ids(ce.source, out)


def _bound_patterns(ces, names, out):
    for kind, ce in ces:
        if kind == "pattern":
            if ce.binding and ce.binding in names:
                out.add(id(ce))
            if ce.source is not None and ce.source[0] == "collect":
                _bound_patterns(ce.source[1], names, out)
            elif ce.source is not None and ce.source[0] == "accumulate":
                _bound_patterns(ce.source[1].source, names | (_acc_names(ce.source[1]) or set()), out)
        elif kind in ("not", "exists"):
            _bound_patterns(ce, names | (_names_read(ce) or set()), out)
        elif kind == "accumulate":
            _bound_patterns(ce.source, names | (_acc_names(ce) or set()), out)


def _names_read(ces):
    """Every variable name the CEs read, or None when one of them cannot tell."""
    out = set()
    fns = []
    for kind, ce in ces:
        if kind == "pattern":
            fns.extend(ce.alpha)
            fns.extend(ce.beta)
            fns.extend(c for _, c in ce.binders)
            if ce.index is not None:
                fns.extend(ce.index[1])
            if ce.source is not None:
                sk, sv = ce.source
                if sk == "from":
                    fns.append(sv)
                else:
                    sub = _names_read(sv) if sk == "collect" else _acc_names(sv)
                    if sub is None:
                        return None
                    out |= sub
        elif kind in ("not", "exists"):
            sub = _names_read(ce)
            if sub is None:
                return None
            out |= sub
        elif kind == "eval":
            fns.append(ce)
        elif kind == "accumulate":
            sub = _acc_names(ce)
            if sub is None:
                return None
            out |= sub
        else:
            return None
    for f in fns:
        names = getattr(f, "names", None)
        if names is None:
            return None
        out |= names
    return out


def _acc_names(acc):
    out = _names_read(acc.source)
    if out is None:
        return None
    fns = [fn for _, _, fn in acc.functions if fn is not None] + list(acc.constraints)
    if acc.inline:
        fns += [v for k, v in acc.inline.items() if k != "__vars__" and v is not None]
    for f in fns:
        names = getattr(f, "names", None)
        if names is None:
            return None
        out |= names
    return out


def _split_point(branch):
    """How many leading patterns of a branch bind only variables the rest never reads (the rest
    starting with a plain pattern), the most there are; 0 when there is no such split."""
    plain = 0
    while plain < len(branch) and branch[plain][0] == "pattern" and branch[plain][1].source is None:
        plain += 1
    for k in range(plain - 1, 0, -1):
        bound = set()
        for _kind, p in branch[:k]:
            if p.binding:
                bound.add(p.binding)
            bound.update(var for var, _ in p.binders)
        read = _names_read(branch[k:])
        if read is not None and not (bound & read):
            return k
    return 0


class _Rule:
    """drools.getRule()"""

    def __init__(self, rule: CompiledRule):
        self._r = rule

    def getName(self):
        return self._r.name

    def getPackageName(self):
        return self._r.package

    def getId(self):
        return self._r.name

    def getMetaData(self):
        return {}


class _Drools:
    """The `drools` / `kcontext` helper visible in consequences."""

    def __init__(self, session, rule, activation):
        self._s = session
        self._rule = rule
        self._act = activation

    def getRule(self):
        return _Rule(self._rule)

    def halt(self):
        self._s.halt()

    def getKieRuntime(self):
        return self._s

    getWorkingMemory = getKieRuntime
    getKnowledgeRuntime = getKieRuntime

    def getMatch(self):
        return self

    def getObjects(self):
        return list(self._act.facts)

    def insert(self, o):
        return self._s.insert(o)

    def insertLogical(self, o):
        return self._s._insert_logical(o)

    def update(self, o, *rest):
        return self._s._rhs_update(o, *rest)

    def delete(self, o):
        return self._s._delete_object(o)

    retract = delete

    def setFocus(self, g):
        self._s.set_focus(g)

    def getEntryPoint(self, name):
        return self._s.getEntryPoint(name)

    def getFactHandle(self, o):
        return self._s.get_fact_handle(o)

    def getVariable(self, name):
        return self._s.globals.get(name)


class RuleSession:
    def __init__(self, kbase: KieBase):
        self.kbase = kbase
        self.facts: dict[int, FactHandle] = {}
        self._by_obj: dict[int, FactHandle] = {}
        self._ids = itertools.count(1)
        self._recency = 0        # the handle factory's recency counter: inserts and updates advance it
        self.globals = {}
        self._memories: dict[int, dict] = {}      # id(CompiledPattern) -> {handle id: handle}
        self._indexes: dict[int, tuple] = {}      # id(CompiledPattern) -> ({value: {hid: handle}}, {hid: value})
        self._pver: dict[int, dict] = {}          # id(pattern) -> {handle id: fact version that pattern last saw}
        self._patterns_by_type: dict[type, list] = {}
        self._all_patterns = []
        self._rules_of_pattern = {}
        self.states = {r.name: _RuleState(r) for r in kbase.rules}
        self._order = [self.states[r.name] for r in kbase.rules]
        self.focus = ["MAIN"]
        self._halt = False
        self._seq = itertools.count()
        self._firing = None
        self._justified: dict[int, set] = {}       # logical fact handle id -> {(rule, key)}
        self._justifies: dict[tuple, set] = {}     # (rule, key) -> {handle ids}
        self._logical_index: dict = {}
        self._pinfo: dict[int, tuple] = {}          # id(pattern) -> what _bucket needs
        self._anyfns: dict[int, object] = {}        # id(pattern) -> _any_fn(pattern)
        # compiled joins and not/exists shapes live as long as the knowledge base (shared by its sessions)
        caches = kbase.__dict__.setdefault("_session_caches", ({}, {}, {}))
        self._salience_fns: dict[int, object] = caches[2]   # id(rule) -> its dynamic salience function
        self._joiners: dict[int, tuple] = caches[0]   # id(CE list) -> (the list, its compiled join or None)
        self._single: dict[int, tuple] = caches[1]    # id(not/exists CE list) -> (the list, its pattern or False)
        self._pos: dict[int, dict] = {}           # id(pattern) -> {handle id: (evaluation, rank)}
        self._evalno = 0
        self.listeners = []
        self.out = None
        self.disposed = False
        for r in kbase.rules + list(kbase.queries.values()):
            for branch in r.branches:
                self._collect_patterns(branch, r)
        for st in self._order:
            if st.lazy:
                tail = st.split[1]
                tail.sal, tail.by_sal = {}, {}
                tail.salfn = self._salience_of(st.rule)
        self._exposed: dict[int, list] = {}      # id(pattern) -> split rule states reading its fact elsewhere
        for st in self._order:
            for pid in st.exposed():
                self._exposed.setdefault(pid, []).append(st)

    # -- network shape ---------------------------------------------------------------------------
    def _collect_patterns(self, ces, rule, reactive=True, seen=None):
        for kind, ce in ces:
            if kind == "pattern":
                if ce.source is None:
                    if id(ce) not in self._memories:
                        self._memories[id(ce)] = {}
                        if ce.index is not None:
                            self._indexes[id(ce)] = ({}, {})
                        self._all_patterns.append(ce)
                    rules = self._rules_of_pattern.setdefault(id(ce), set())
                    if reactive:
                        rules.add(rule.name)
                elif ce.source[0] == "collect":
                    self._collect_patterns(ce.source[1], rule, reactive, seen)
                elif ce.source[0] == "accumulate":
                    self._collect_patterns(ce.source[1].source, rule, reactive, seen)
            elif kind in ("not", "exists"):
                self._collect_patterns(ce, rule, reactive, seen)
            elif kind == "accumulate":
                self._collect_patterns(ce.source, rule, reactive, seen)
            elif kind == "query" and ce.variant is not None:
                # the called query's patterns (a variant shared by its callers, maybe recursive):
                # their changes reach the calling rule unless the call is ?name(...)
                seen = set() if seen is None else seen
                if (id(ce.variant), reactive and not ce.pull) in seen:
                    continue
                seen.add((id(ce.variant), reactive and not ce.pull))
                for branch in ce.variant.branches:
                    self._collect_patterns(branch, rule, reactive and not ce.pull, seen)

    def _patterns_for(self, obj):
        t = type(obj)
        pats = self._patterns_by_type.get(t)
        if pats is None:
            pats = [p for p in self._all_patterns if p.matcher(obj)]
            if isinstance(obj, JavaBean) and t._dynamic:
                return pats   # dynamic beans may gain properties: do not cache by class
            self._patterns_by_type[t] = pats
        return pats

    def _alpha_ok(self, p: CompiledPattern, obj):
        if not p.alpha:
            return True
        env = {"this": obj}
        env.update(self.globals)
        try:
            for c in p.alpha:
                if not truth(c.fn(env)):
                    return False
        except (JavaException, KeyError, TypeError, AttributeError):
            return False
        return True

    def _touch(self, p, handle, present):
        mem = self._memories[id(p)]
        changed = False
        idx = self._indexes.get(id(p)) if p.index is not None else None
        was = handle.id in mem
        if was:
            del mem[handle.id]   # an updated fact moves to the end, as in Phreak's memories
            changed = True
            if idx is not None:
                old = idx[1].pop(handle.id, _NOKEY)
                bucket = idx[0].get(old) if old is not _NOKEY else None
                if bucket is not None:
                    bucket.pop(handle.id, None)
        if present:
            mem[handle.id] = handle
            changed = True
            if idx is not None:
                try:
                    value = tuple(getprop(handle.obj, f) for f in p.index[0])
                    hash(value)
                except Exception:  # noqa: BLE001 - unindexable value: the pattern falls back to a scan
                    value = _UNHASHABLE
                idx[1][handle.id] = value
                idx[0].setdefault(value, {})[handle.id] = handle
        if not changed:
            return None
        return ("upd" if present else "del") if was else "ins"

    def _propagate(self, handle, deleted=False, modified=None):
        obj = handle.obj
        for p in self._patterns_for(obj):
            if p.entry_point != handle.entry_point:
                continue
            if modified is not None and not (p.reads & modified):
                # property reactive: this pattern reads none of the changed properties
                if id(p) in self._exposed:
                    self._unsplit(id(p))
                continue
            pv = self._pver.get(id(p))
            if pv is None:
                pv = self._pver[id(p)] = {}
            if deleted:
                pv.pop(handle.id, None)
            else:
                pv[handle.id] = handle.version
            present = not deleted and self._alpha_ok(p, obj)
            change = self._touch(p, handle, present)
            for name in self._rules_of_pattern.get(id(p), ()):
                st = self.states.get(name)
                if st is not None:
                    st.dirty = True
                    if change is not None:
                        per = st.changes.setdefault(id(p), {})
                        prev = per.get(handle.id)
                        per[handle.id] = "ins" if prev == "ins" and change != "del" else change

    def _unsplit(self, pid):
        """A split rule joins everything again from now on: a change of a fact it reads through a
        binding reached none of its memories (see _RuleState.exposed)."""
        for st in self._exposed.pop(pid, ()):
            self._materialize(st)
            st.split = None

    # -- working memory API ------------------------------------------------------------------------
    def _new_handle(self, obj, entry_point="DEFAULT", event=None):
        """A fact handle with the next id and recency: Drools' handle factory counters, shared by
        inserted facts and the DroolsQuery of every query run (an update advances the recency only:
        increaseFactHandleRecency)."""
        h = FactHandle(next(self._ids), obj, entry_point, event=event)
        self._recency += 1
        h.recency = self._recency
        return h

    def insert(self, obj, entry_point="DEFAULT"):
        h = self._by_obj.get(id(obj))
        if h is not None and h.obj is obj:
            return h
        h = self._new_handle(obj, entry_point or "DEFAULT")
        self.facts[h.id] = h
        self._by_obj[id(obj)] = h
        if self._firing is not None:
            h.modified_by = self._firing.name
        self._propagate(h)
        for lst in self.listeners:
            cb = getattr(lst, "object_inserted", None)
            if cb:
                cb(h)
        return h

    def update(self, handle, obj=None, modified=None):
        """Re-evaluate a changed fact.  `modified` names the changed properties (a modify block):
        patterns that read none of them do not see the change (Drools 7's property reactivity)."""
        h = self._handle(handle)
        if obj is not None and obj is not h.obj:
            self._by_obj.pop(id(h.obj), None)
            h.obj = obj
            self._by_obj[id(obj)] = h
        h.version += 1
        self._recency += 1
        h.recency = self._recency
        h.modified_by = self._firing.name if self._firing is not None else None
        self._propagate(h, modified=frozenset(modified) if modified is not None else None)
        for lst in self.listeners:
            cb = getattr(lst, "object_updated", None)
            if cb:
                cb(h)
        return h

    def delete(self, handle):
        h = self._handle(handle)
        if h.id not in self.facts:
            return
        del self.facts[h.id]
        self._by_obj.pop(id(h.obj), None)
        self._propagate(h, deleted=True)
        self._justified.pop(h.id, None)
        for k, v in list(self._logical_index.items()):
            if v is h:
                del self._logical_index[k]
        for lst in self.listeners:
            cb = getattr(lst, "object_deleted", None)
            if cb:
                cb(h)

    retract = delete

    def _handle(self, handle):
        if isinstance(handle, FactHandle):
            h = self.facts.get(handle.id)
            if h is None:
                raise KeyError(f"Fact handle {handle.external_form} is not in the working memory")
            return h
        if isinstance(handle, int):
            h = self.facts.get(handle)
            if h is None:
                raise KeyError(f"No fact with handle id {handle}")
            return h
        if isinstance(handle, str):
            try:
                hid = int(handle.split(":")[1])
            except (IndexError, ValueError):
                raise KeyError(f"Invalid fact handle '{handle}'") from None
            return self._handle(hid)
        return self._handle_of(handle)

    def _handle_of(self, obj):
        h = self._by_obj.get(id(obj))
        if h is None or h.obj is not obj:
            raise KeyError(f"Object {obj!r} is not in the working memory")
        return h

    def get_fact_handle(self, obj):
        h = self._by_obj.get(id(obj))
        return h if h is not None and h.obj is obj else None

    def _update_object(self, obj, modified=None):
        if isinstance(obj, FactHandle):
            return self.update(obj, modified=modified)
        return self.update(self._handle_of(obj), modified=modified)

    def _rhs_update(self, target, *rest):
        """update(...) in a consequence: update(obj), update(obj, "prop", ...), update(handle, obj)."""
        if isinstance(target, FactHandle):
            h = self._handle(target)
            obj = rest[0] if rest else None
            props = rest[1:]
            return self.update(h, obj if obj is not None and obj is not h.obj else None,
                               modified=set(props) if props else None)
        props = [p for p in rest if isinstance(p, str)]
        return self._update_object(target, set(props) if props else None)

    def _delete_object(self, obj):
        if isinstance(obj, FactHandle):
            return self.delete(obj)
        return self.delete(self._handle_of(obj))

    def get_object(self, handle):
        try:
            return self._handle(handle).obj
        except KeyError:
            return None

    def get_objects(self, class_name=None):
        out = []
        for h in sorted(self.facts.values(), key=lambda x: x.id):
            if class_name is None or java_type_name(h.obj) == class_name or \
                    java_type_name(h.obj).rsplit(".", 1)[-1] == class_name:
                out.append(h.obj)
        return out

    def get_fact_handles(self):
        return sorted(self.facts.values(), key=lambda x: x.id)

    def set_global(self, name, value):
        self.globals[name] = value

    def get_global(self, name):
        return self.globals.get(name)

    # -- truth maintenance -------------------------------------------------------------------------
    def _insert_logical(self, obj):
        act = self._current_activation
        try:
            key = obj
            hash(key)
        except TypeError:
            key = id(obj)
        h = self._logical_index.get(key)
        if h is None or h.id not in self.facts:
            h = self.insert(obj)
            h.logical = True
            self._logical_index[key] = h
        if act is not None:
            just = (act.rule.name, act.key)
            self._justified.setdefault(h.id, set()).add(just)
            self._justifies.setdefault(just, set()).add(h.id)
        return h

    def _unjustify(self, rule_name, key):
        if not self._justifies:
            return
        hids = self._justifies.pop((rule_name, key), None)
        if not hids:
            return
        for hid in hids:
            js = self._justified.get(hid)
            if js is None:
                continue
            js.discard((rule_name, key))
            if not js and hid in self.facts:
                self.delete(self.facts[hid])

    # -- matching ----------------------------------------------------------------------------------
    def _info(self, p: CompiledPattern):
        """(index buckets or None, memory, index key function, constraints, constraints an index
        bucket leaves to check) of a pattern without a source."""
        info = self._pinfo.get(id(p))
        if info is None:
            idx = self._indexes.get(id(p))
            probe = _probe_tuple(tuple(_fast_fn(c) for c in p.index[1])) if idx is not None else None
            info = self._pinfo[id(p)] = (idx[0] if idx is not None else None, self._memories[id(p)], probe,
                                         p.beta, p.beta_unindexed,
                                         [c.fn for c in p.beta], [c.fn for c in p.beta_unindexed])
        return info

    def _bucket(self, p: CompiledPattern, env):
        """(facts, constraints still to check) of a pattern without a source: an index bucket
        needs only the constraints the index does not answer."""
        info = self._pinfo.get(id(p))
        if info is None:
            info = self._info(p)
        buckets, mem, probe, beta, beta_rest = info[:5]
        if buckets is not None and _UNHASHABLE not in buckets:
            try:
                key = probe(env)
                bucket = buckets.get(key)
            except Exception:  # noqa: BLE001 - an unhashable probe: scan the memory
                return mem.values(), beta
            if bucket is None:
                for k in key:
                    if isinstance(k, float):
                        return mem.values(), beta   # 1 == 1.0 across types: scan
                return (), beta
            return bucket.values(), beta_rest
        return mem.values(), beta

    def _candidates(self, p: CompiledPattern, env):
        if p.source is None:
            idx = self._indexes.get(id(p))
            # matching does not change the memories: their views are iterated as they are
            if idx is not None and _UNHASHABLE not in idx[0]:
                try:
                    key = tuple([fn.fn(env) for fn in p.index[1]])
                    bucket = idx[0].get(key)
                except Exception:  # noqa: BLE001 - an unhashable probe: scan the memory
                    return self._memories[id(p)].values()
                if bucket is None:
                    for k in key:
                        if isinstance(k, float):
                            return self._memories[id(p)].values()   # 1 == 1.0 across types: scan
                    return ()
                return bucket.values()
            return self._memories[id(p)].values()
        kind, val = p.source
        if kind == "from":
            try:
                v = val.fn(env)
            except KeyError as e:
                raise JavaException("java.lang.RuntimeException", f"unresolved variable {e}") from None
            if v is None:
                return []
            if isinstance(v, dict):
                v = list(v.values())
            if not isinstance(v, (list, tuple, JavaSet, set)):
                v = [v]
            return [_FromItem(x, i) for i, x in enumerate(v)]
        # a collect or accumulate result is one tuple of its node, updated (not replaced) when its
        # source changes: a stable key, and a version that changes with the matched source
        if kind == "collect":
            items = []
            sig = []
            for key, v, e2, _f in self._all(val, dict(env)):
                items.append(e2.get("__last__"))
                sig.append((key, v))
            item = _FromItem(items, 0)
            item.version = (tuple(sig),)
            return [item]
        if kind == "accumulate":
            sig = []
            result = self._accumulate(val, env, single=True, sig=sig)
            # a null result is not propagated (PhreakAccumulateNode.propagateResult)
            if result is None:
                return []
            item = _FromItem(result, 0)
            item.version = (_freeze(result), tuple(sig))
            return [item]
        return []

    def _pattern_ok(self, p: CompiledPattern, obj, env):
        env["this"] = obj
        for var, c in p.binders:
            env[var] = c.fn(env)
        for c in p.beta:
            if not truth(c.fn(env)):
                return False
        return True

    def _join(self, ces, i, env, key, vers, facts, restrict, out):
        """Append (key tuple, versions, env, facts) for every match of ces[i:] under env to out,
        in network order (the list form of _matches, without a generator per level)."""
        if i == len(ces):
            out.append((tuple(key), tuple(vers), dict(env), list(facts)))
            return
        kind, ce = ces[i]
        nxt = i + 1
        if kind == "pattern":
            is_source = ce.source is not None
            matcher = ce.matcher
            if not is_source and not matcher:
                return
            binders = ce.binders
            binding = ce.binding
            if is_source:
                cands, beta = self._candidates(ce, env), ce.beta
            else:
                cands, beta = self._bucket(ce, env)
            if restrict is not None and id(ce) in restrict:
                mode, ids = restrict[id(ce)]
                only = mode == "only"
                cands = [c for c in cands if (c.id in ids) == only]
            pvd = self._pver.get(id(ce)) or {}
            join = self._join
            for cand in cands:
                obj = cand.obj
                if is_source and not matcher(obj):
                    continue
                env["this"] = obj
                ok = True
                try:
                    for var, c in binders:
                        env[var] = c.fn(env)
                    for c in beta:
                        r = c.fn(env)
                        if r is not True and not truth(r):
                            ok = False
                            break
                except (JavaException, KeyError, TypeError, AttributeError):
                    ok = False
                del env["this"]
                if ok:
                    if binding:
                        env[binding] = obj
                    env["__last__"] = obj
                    if is_source:
                        v = cand.version
                        key.append(("f", cand.id, id(obj)) if v is None else ("f", cand.id))
                        vers.append(v)
                    else:
                        key.append(cand.id)
                        vers.append(pvd.get(cand.id, 0))
                    facts.append(obj)
                    join(ces, nxt, env, key, vers, facts, restrict, out)
                    key.pop()
                    vers.pop()
                    facts.pop()
                    if binding:
                        env.pop(binding, None)
                for var, _c in binders:
                    env.pop(var, None)
        elif kind == "not":
            if not self._any(ce, env):
                self._join(ces, nxt, env, key, vers, facts, restrict, out)
        elif kind == "exists":
            if self._any(ce, env):
                self._join(ces, nxt, env, key, vers, facts, restrict, out)
        elif kind == "eval":
            try:
                ok = truth(ce.fn(env))
            except (JavaException, KeyError, TypeError, AttributeError):
                ok = False
            if ok:
                self._join(ces, nxt, env, key, vers, facts, restrict, out)
        elif kind == "accumulate":
            for m in self._matches(ces, i, env, key, vers, facts, restrict):
                out.append(m)
        elif kind == "query":
            for qkey, qvers, outs in self._query_rows(ce, env):
                env.update(outs)
                key.append(qkey)
                vers.append(qvers)
                self._join(ces, nxt, env, key, vers, facts, restrict, out)
                key.pop()
                vers.pop()
                for var in outs:
                    env.pop(var, None)

    def _query_rows(self, call, env):
        """The rows a query call gives under env: (key entry, versions, {variable: value}); the
        key entry names the query's branch and facts."""
        variant = call.variant
        if variant is None:
            return []
        qenv = dict(self.globals)
        try:
            for pname, fn in call.inputs:
                qenv[pname] = fn(env)
        except (JavaException, KeyError, TypeError, AttributeError):
            return []
        if self._query_depth > 200:
            raise JavaException("java.lang.StackOverflowError", f"query {call.name} recursed too deeply")
        self._query_depth += 1
        try:
            rows = []
            for bi, branch in enumerate(variant.branches):
                for key, vers, e, _facts in self._all(branch, dict(qenv)):
                    outs = {var: e.get(pname) for pname, var in call.outputs}
                    rows.append((("q", bi) + key, vers, outs))
            return rows
        finally:
            self._query_depth -= 1

    _query_depth = 0

    def _all(self, ces, env, restrict=None):
        out = []
        fn = self._joiners.get(id(ces))
        if fn is None:
            fn = self._joiners[id(ces)] = (ces, _compile_join(ces))
        if fn[1] is not None:
            fn[1](self, env, out, restrict)
        else:
            self._join(ces, 0, env, [], [], [], restrict, out)
        return out

    def _matches(self, ces, i, env, key, vers, facts, restrict=None):
        """Yield (key tuple, versions, env, facts) for every match of ces[i:] under env, in network
        order.  `restrict` maps a pattern id to ("only" | "exclude", handle ids) (delta joins)."""
        if i == len(ces):
            yield tuple(key), tuple(vers), dict(env), list(facts)
            return
        kind, ce = ces[i]
        if kind == "pattern":
            is_source = ce.source is not None
            if not is_source and not ce.matcher:
                return
            binders = ce.binders
            beta = ce.beta
            cands = self._candidates(ce, env)
            if restrict is not None and id(ce) in restrict:
                mode, ids = restrict[id(ce)]
                cands = [c for c in cands if (c.id in ids) == (mode == "only")]
            for cand in cands:
                obj = cand.obj
                if is_source and not ce.matcher(obj):
                    continue
                env["this"] = obj
                ok = True
                try:
                    for var, c in binders:
                        env[var] = c.fn(env)
                    for c in beta:
                        if not truth(c.fn(env)):
                            ok = False
                            break
                except (JavaException, KeyError, TypeError, AttributeError):
                    ok = False
                del env["this"]
                if ok:
                    if ce.binding:
                        env[ce.binding] = obj
                    env["__last__"] = obj
                    if is_source:
                        key.append(("f", cand.id, id(obj)) if cand.version is None else ("f", cand.id))
                        vers.append(cand.version)
                    else:
                        key.append(cand.id)
                        vers.append((self._pver.get(id(ce)) or {}).get(cand.id, 0))
                    facts.append(obj)
                    yield from self._matches(ces, i + 1, env, key, vers, facts, restrict)
                    key.pop()
                    vers.pop()
                    facts.pop()
                    if ce.binding:
                        env.pop(ce.binding, None)
                for var, _c in binders:
                    env.pop(var, None)
        elif kind == "not":
            if not self._any(ce, env):
                yield from self._matches(ces, i + 1, env, key, vers, facts, restrict)
        elif kind == "exists":
            if self._any(ce, env):
                yield from self._matches(ces, i + 1, env, key, vers, facts, restrict)
        elif kind == "eval":
            try:
                ok = truth(ce.fn(env))
            except (JavaException, KeyError, TypeError, AttributeError):
                ok = False
            if ok:
                yield from self._matches(ces, i + 1, env, key, vers, facts, restrict)
        elif kind == "accumulate":
            sig = []
            results = self._accumulate(ce, env, sig=sig)
            if results is None:
                return
            saved = dict(env)
            env.update(results)
            if all(truth(c.fn(env)) for c in ce.constraints):
                key.append("acc")
                # any change of the accumulated set re-propagates the result, even an equal one
                # (PhreakAccumulateNode.propagateResult): the version is the source's matches
                vers.append((tuple(_freeze(v) for v in results.values()), tuple(sig)))
                yield from self._matches(ces, i + 1, env, key, vers, facts, restrict)
                key.pop()
                vers.pop()
            env.clear()
            env.update(saved)
        elif kind == "query":
            for qkey, qvers, outs in self._query_rows(ce, env):
                env.update(outs)
                key.append(qkey)
                vers.append(qvers)
                yield from self._matches(ces, i + 1, env, key, vers, facts, restrict)
                key.pop()
                vers.pop()
                for var in outs:
                    env.pop(var, None)

    def _any(self, ces, env):
        single = self._single.get(id(ces))
        if single is None:
            single = self._single[id(ces)] = (ces, ces[0][1] if len(ces) == 1 and ces[0][0] == "pattern"
                                         and ces[0][1].source is None else False)
        if single[1] is not False:
            return self._any_fn(single[1])(env)
        for _ in self._matches(ces, 0, dict(env), [], [], []):
            return True
        return False

    def _any_fn(self, p):
        """A function env -> whether one fact satisfies pattern p (a not/exists over one pattern
        without bindings), reading the index bucket directly when the pattern has one."""
        fn = self._anyfns.get(id(p))
        if fn is not None:
            return fn
        anyp = self._any_pattern
        idx = self._indexes.get(id(p))
        if idx is None or p.binders:
            fn = lambda env: anyp(p, env)  # noqa: E731
        else:
            buckets = idx[0]
            probe = _probe_tuple(tuple(_fast_fn(c) for c in p.index[1]))
            rest = p.beta_unindexed

            def fn(env):
                if _UNHASHABLE in buckets:
                    return anyp(p, env)
                try:
                    key = probe(env)
                    b = buckets.get(key)
                except Exception:  # noqa: BLE001 - unhashable probe: the generic scan
                    return anyp(p, env)
                if b is None:
                    for k in key:
                        if isinstance(k, float):
                            return anyp(p, env)
                    return False
                if not rest:
                    return bool(b)
                return _any_satisfies(b.values(), rest, env)
        self._anyfns[id(p)] = fn
        return fn

    def _any_pattern(self, p, env):
        """Fast path of not/exists over one pattern: is there a fact satisfying it under env?"""
        binders = p.binders
        if not binders:
            cands, beta = self._bucket(p, env)
            return _any_satisfies(cands, beta, env)
        env = dict(env)
        beta = p.beta
        for cand in self._candidates(p, env):
            env["this"] = cand.obj
            try:
                for var, c in binders:
                    env[var] = c.fn(env)
                for c in beta:
                    if not truth(c.fn(env)):
                        break
                else:
                    return True
            except (JavaException, KeyError, TypeError, AttributeError):
                continue
        return False

    def _accumulate(self, acc: CAccumulate, env, single=False, sig=None):
        matches = []
        for k, v, e, _f in self._all(acc.source, dict(env)):
            matches.append(e)
            if sig is not None:
                sig.append((k, v))
        if acc.inline:
            ctx = dict(env)
            ctx.update(self.globals)
            ctx.update(dict.fromkeys(acc.inline.get("__vars__", ())))
            init, action, result = acc.inline.get("init"), acc.inline.get("action"), acc.inline.get("result")
            if init is not None:
                init(ctx)
            for m in matches:
                local = dict(ctx)
                local.update(m)
                if action is not None:
                    action(local)
                for k in ctx:
                    ctx[k] = local.get(k, ctx[k])
                for k in (action.assigned if action is not None else ()):
                    if k in local:
                        ctx[k] = local[k]
            return result(ctx) if result is not None else None
        out = {}
        for binding, name, fn in acc.functions:
            values = []
            for m in matches:
                if fn is None:
                    values.append(1)
                    continue
                e = dict(self.globals)
                e.update(m)
                values.append(fn.fn(e))
            value = _ACC[name](values) if name in _ACC else _raise_unknown(name)
            if single:
                return value
            if value is None and len(acc.functions) == 1:
                # PhreakAccumulateNode.propagateResult: a single null result is not propagated
                return None
            out[binding or f"__acc{len(out)}"] = value
        return out

    # -- agenda ------------------------------------------------------------------------------------
    def _salience(self, rule, env):
        s = rule.salience
        if isinstance(s, int):
            return s
        try:
            return int(s.fn(env))    # a match's bindings already carry the globals
        except Exception:  # noqa: BLE001
            pass
        try:
            e = dict(self.globals)
            e.update(env)
            return int(s.fn(e))
        except Exception:  # noqa: BLE001
            return 0

    def _evaluate(self, st: _RuleState):
        st.dirty = False
        rule = st.rule
        changes, st.changes = st.changes, {}
        self._cur_changes = changes
        self._evalno += 1
        ev = self._evalno
        for pid, per in changes.items():
            # a node memory takes one evaluation's staged facts newest-first (TupleSetsImpl prepends)
            posd = self._pos.get(pid)
            if posd is None:
                posd = self._pos[pid] = {}
            # (updated facts move to the memory's end before the inserts join it; they keep the
            # evaluation that created their tuples)
            ins, upd = [], []
            for hid, k in per.items():
                if k == "del":
                    posd.pop(hid, None)
                elif k == "ins" or hid not in posd:
                    ins.append(hid)
                else:
                    upd.append(hid)
            rank = 0
            for hid in reversed(upd):
                posd[hid] = (ev, rank, posd[hid][2])
                rank += 1
            for hid in reversed(ins):
                posd[hid] = (ev, rank, ev)
                rank += 1
        dropped = None
        made_block = False
        if st.split is not None:
            self._block_made = False
            found, dropped = self._factored(st)
            made_block = self._block_made
        elif st.initialized and self._incremental(st, changes):
            found, dropped = self._delta(st, changes)
        else:
            found = []
            for bi, branch in enumerate(rule.branches):
                env = dict(self.globals)
                for key, vers, env2, facts in self._all(branch, env):
                    found.append(((bi,) + key, vers, env2, facts))
        # (a split rule's found and dropped matches never share a key: nothing to remember)
        disjoint = dropped is not None and st.split is not None
        st.initialized = True
        seen = set()
        new_acts = False
        new = []
        again = []
        matches = st.matches
        seen_add = seen.add
        locked = st.locked
        for key, vers, env2, facts in found:
            if not disjoint:
                seen_add(key)
            prev = matches.get(key)
            if prev is None:
                matches[key] = [env2, vers, False, facts]
                if not locked:
                    new.append((key, env2, facts))
            elif prev[1] != vers:
                prev[0], prev[1], prev[3] = env2, vers, facts
                if key in st.pending:
                    act = st.pending[key]
                    act.env, act.facts = env2, facts
                    act.salience = self._salience(rule, env2)
                elif not st.locked and not (rule.no_loop and self._modified_by_self(rule, facts)):
                    prev[2] = False
                    again.append((key, env2, facts))
        if again:
            # re-activated matches (updates) go before new ones, in the order they were staged
            if len(again) > 1 and isinstance(rule.salience, int):
                okey = self._order_key
                cache = {}
                again.sort(key=lambda m: okey(rule, m[0], cache, m[1]))
            self._activate_all(st, again)
            new_acts = True
        if new:
            # the terminal node takes updates before inserts, and the inserts in the order the
            # network staged them (see _order_key)
            if len(new) > 1 and isinstance(rule.salience, int):
                # (dynamic salience: matches are picked by salience, the staged order only breaks
                # ties, so it is worked out when one is picked: _first_key)
                okey = self._order_key
                cache = {}
                new.sort(key=lambda m: okey(rule, m[0], cache, m[1]))
            self._activate_all(st, new)
            new_acts = True
        if disjoint:
            gone = dropped
        elif dropped is None:
            gone = [k for k in st.matches if k not in seen]
        else:
            gone = [k for k in dropped if k not in seen]
        pending_pop = st.pending.pop
        justifies = self._justifies
        for key in gone:
            del matches[key]
            pending_pop(key, None)
            if justifies:
                self._unjustify(rule.name, key)
        if (new_acts or made_block) and rule.auto_focus and rule.agenda_group not in self.focus[-1:]:
            self.set_focus(rule.agenda_group)

    def _newly_passing(self, ce, env):
        """Whether a tuple passes an `exists` only thanks to facts of the current evaluation (the
        exists node emits it now, as a new tuple, though its own facts are older)."""
        if len(ce) != 1 or ce[0][0] != "pattern" or ce[0][1].source is not None:
            return False
        p = ce[0][1]
        if not self._cur_changes.get(id(p)):
            return False
        ev = self._evalno
        pd = self._pos.get(id(p)) or {}
        e = dict(env)
        cands, beta = self._bucket(p, e)
        for cand in cands:
            if pd.get(cand.id, _POS0)[0] >= ev:
                continue
            e["this"] = cand.obj
            try:
                for var, c in p.binders:
                    e[var] = c.fn(e)
                if all(truth(c.fn(e)) for c in beta):
                    return False
            except (JavaException, KeyError, TypeError, AttributeError):
                continue
        return True

    _cur_changes = {}

    def _unblocked(self, rule, key, ce):
        """A new match made only of older facts, behind a `not` whose facts were deleted or
        changed in this evaluation: that not node unblocked it now."""
        changed = False
        for kind, p in ce:
            if kind == "pattern":
                per = self._cur_changes.get(id(p))
                if per and any(k != "ins" for k in per.values()):
                    changed = True
        if not changed:
            return False
        ev = self._evalno
        i = 1
        for kind, p in rule.branches[key[0]]:
            if kind == "pattern" or kind == "accumulate" or kind == "query":
                entry = key[i]
                i += 1
                if kind == "pattern" and p.source is None:
                    pd = self._pos.get(id(p))
                    if pd is not None and pd.get(entry, _POS0)[0] >= ev:
                        return False
        return True

    def _order_key(self, rule, key, cache=None, env=None):
        """Sort key giving the order in which Phreak stages a rule's new match at its terminal node.

        Every staged list is LIFO (TupleSetsImpl.addInsert prepends): a node memory holds each
        evaluation's facts newest-first; a join node produces right inserts (new right fact x
        old left tuples in memory order) before left inserts (new left tuples in staged order x
        the right memory), and its output list is the reverse of what it produced; not, exists,
        eval, accumulate and from nodes reverse their input likewise.  A fact's position is
        (evaluation, rank in that evaluation's staged list); a tuple was created in the latest
        evaluation of its facts."""
        # keys are flat int tuples: reversing a list negates its key (a nested key starts with a
        # phase tag, so flattening keeps the lexicographic order)
        branch = rule.branches[key[0]]
        pos_all = self._pos
        i = 1
        lk = None      # this tuple's place in its node's output list
        mk = None      # its place in the next node's left memory
        ep = 0         # evaluation that created it
        if cache is None:
            cache = {}
        for kind, ce in branch:
            if kind == "accumulate" or kind == "pattern" or kind == "query":
                i += 1
            kp = (id(ce), key[:i])      # the tuple so far: shared by many matches
            hit = cache.get(kp)
            if hit is not None:
                lk, mk, ep = hit
                continue
            if kind == "pattern":
                entry = key[i - 1]
                if ce.source is None:
                    pd = pos_all.get(id(ce))
                    pos = pd.get(entry, _POS0) if pd is not None else _POS0
                    if lk is None:
                        lk = mk = pos
                        ep = pos[2]
                        cache[kp] = (lk, mk, ep)
                        continue
                    er = pos[2]
                    if ep < er:
                        prod = (1,) + pos + mk      # right insert joined with an older left tuple
                        ep = er
                    else:
                        prod = (2,) + lk + pos      # left insert joined with the right memory
                else:
                    if lk is None:
                        lk = mk = _POS0
                    prod = (2,) + lk + ((entry[1] if isinstance(entry, tuple) else 0),)
            else:
                if lk is None:
                    lk = mk = _POS0
                if kind == "exists" and env is not None and ep < self._evalno and self._newly_passing(ce, env):
                    ep = self._evalno
                elif kind == "not" and env is not None and ep < self._evalno and \
                        self._unblocked(rule, key, ce):
                    # unblocked by a deleted or changed fact: emitted last, in blocking order
                    ep = self._evalno
                    lk = (-1,) + mk
                    mk = (ep,) + lk
                    cache[kp] = (lk, mk, ep)
                    continue
                prod = (2,) + lk
            lk = tuple([-x for x in prod])
            mk = (ep,) + lk
            cache[kp] = (lk, mk, ep)
        return lk if lk is not None else _POS0

    def _incremental(self, st, changes):
        """Whether only the changed facts need joining: every change is on a top-level pattern,
        or an insertion into a pattern directly under a top-level `not` (it can only remove matches)."""
        for pid, per in changes.items():
            if pid in st.top:
                continue
            if pid in st.not_pats and all(k == "ins" for k in per.values()):
                continue
            return False
        return True

    def _delta(self, st, changes):
        """Existing matches not touched by the changes, then the new matches that use a changed
        fact (semi-naive: changed facts at one position, unchanged ones before it)."""
        touched = set()
        for pid, per in changes.items():
            if pid in st.top:
                touched.update(per)
        recheck = None
        if any(pid in st.not_pats for pid in changes):
            # per branch, the top-level nots whose facts changed (only they can block a match now)
            recheck = [[ce for kind, ce in branch if kind == "not"
                        and any(k2 == "pattern" and id(ce2) in changes for k2, ce2 in ce)]
                       for branch in st.rule.branches]
        found = []
        dropped = []
        if touched or recheck:
            anyf = self._any
            for key, (env, vers, _fired, facts) in st.matches.items():
                if touched and not touched.isdisjoint(key[1:]):
                    dropped.append(key)
                    continue
                if recheck:
                    for ce in recheck[key[0]]:
                        if anyf(ce, env):
                            dropped.append(key)
                            break
        # (untouched matches stay as they are: only the dropped ones and the new ones are returned)
        for bi, branch in enumerate(st.rule.branches):
            before = {}
            for kind, ce in branch:
                if kind != "pattern" or ce.source is not None:
                    continue
                live = {h for h, k in changes.get(id(ce), {}).items() if k != "del"}
                if live:
                    restrict = dict(before)
                    restrict[id(ce)] = ("only", live)
                    for key, vers, env2, facts in self._all(branch, dict(self.globals), restrict):
                        found.append(((bi,) + key, vers, env2, facts))
                    before[id(ce)] = ("exclude", live)
        return found, dropped

    def _update_partial(self, part, changes):
        """Bring a partial memory up to date with the changes of its patterns: (matches added or
        changed as (key, versions, env, facts), keys removed)."""
        ch = None
        for pid in changes:
            if pid in part.pids:
                if ch is None:
                    ch = {}
                ch[pid] = changes[pid]
        part.changed = set()
        if part.initialized and ch is None:
            return (), ()
        incremental = part.initialized
        if incremental:
            for pid, per in ch.items():
                if pid in part.top:
                    continue
                if pid in part.not_pats and all(k == "ins" for k in per.values()):
                    continue
                incremental = False
                break
        if not incremental:
            old = part.matches
            part.reset()
            added = []
            for key, vers, env, facts in self._all(part.ces, dict(self.globals)):
                part.add(key, vers, env, facts)
                prev = old.get(key)
                if prev is None or prev[0] != vers:
                    added.append((key, vers, env, facts))
                    if prev is not None:
                        part.changed.add(key)
            part.initialized = True
            return added, [k for k in old if k not in part.matches]
        matches = part.matches
        dropped = set()
        for pid, per in ch.items():
            if pid in part.top:
                by_hid = part.by_hid
                for hid in per:
                    keys = by_hid.get(hid)
                    if keys:
                        dropped.update(keys)
        for kind, ce in part.ces:
            if kind != "not":
                continue
            news = None
            for k2, ce2 in ce:
                if k2 == "pattern" and ce2.source is None and ch.get(id(ce2)):
                    news = True
            if news is None:
                continue
            entry = None
            if len(ce) == 1:
                p = ce[0][1]
                entry = next((e for e in part.nots if e[0] is p), None)
            if entry is not None:
                # an inserted fact blocks the matches whose probe equals its index value
                mem = self._memories[id(p)]
                values = self._indexes[id(p)][1]
                cands = [mem[hid] for hid in ch[id(p)] if hid in mem]
                vals = [values.get(h.id, _UNHASHABLE) for h in cands]
                if not any(v is _UNHASHABLE or _hasfloat(v) for v in vals):
                    rest = p.beta_unindexed
                    for h, v in zip(cands, vals):
                        for key in entry[2].get(v, ()):
                            if key not in dropped and _any_satisfies((h,), rest, matches[key][1]):
                                dropped.add(key)
                    anyf = self._any
                    for key in entry[3]:
                        if key not in dropped and anyf(ce, matches[key][1]):
                            dropped.add(key)
                    continue
            anyf = self._any
            for key, m in matches.items():
                if key not in dropped and anyf(ce, m[1]):
                    dropped.add(key)
        old = {key: part.remove(key) for key in dropped}
        added = []
        before = {}
        for kind, ce in part.ces:
            if kind != "pattern" or ce.source is not None:
                continue
            live = {h for h, k in ch.get(id(ce), {}).items() if k != "del"}
            if live:
                restrict = dict(before)
                restrict[id(ce)] = ("only", live)
                for key, vers, env, facts in self._all(part.ces, dict(self.globals), restrict):
                    part.add(key, vers, env, facts)
                    prev = old.pop(key, None)
                    if prev != vers:
                        added.append((key, vers, env, facts))
                        if prev is not None:
                            part.changed.add(key)
                before[id(ce)] = ("exclude", live)
        return added, list(old)

    def _factored(self, st):
        """found and dropped matches (as _delta gives them) of a rule split into a head and a tail
        partial memory: the changed head matches with every tail match, the changed tail matches
        with every other head match.  A lazy rule's new head gets a _Block instead of its matches."""
        head, tail = st.split
        changes = self._cur_changes
        h_add, h_rem = self._update_partial(head, changes)
        t_add, t_rem = self._update_partial(tail, changes)
        found = []
        tmatches = tail.matches
        extend = found.extend
        if not st.initialized:
            lazy = st.lazy and not st.locked and tmatches
            for hk, (hv, he, hf) in head.matches.items():
                if lazy:
                    st.blocks[hk] = _Block(hk, self._evalno, len(tmatches))
                    self._block_made = True
                    continue
                hk = (0,) + hk
                extend([(hk + tk, hv + tv, {**he, **te}, hf + tf) for tk, (tv, te, tf) in tmatches.items()])
            return found, None
        blocks = st.blocks
        if blocks:
            for hk in h_rem:
                blocks.pop(hk, None)
            if t_rem:
                for hk, b in list(blocks.items()):
                    out = b.out
                    for tk in t_rem:
                        if tk not in out:
                            out.add(tk)
                            b.n -= 1
                    b.max = None
                    if not b.n:
                        del blocks[hk]
            if t_add:
                # a tail match new since a block was made is not held by it (a changed one stays)
                new = [a[0] for a in t_add if a[0] not in tail.changed]
                for b in blocks.values():
                    b.out.update(new)
                    b.max = None
        for hk, hv, he, hf in h_add:
            block = blocks.get(hk)
            if block is None and st.lazy and not st.locked and hk not in head.changed and tmatches:
                # a new head: its activations are the tail's matches, made when picked
                blocks[hk] = _Block(hk, self._evalno, len(tmatches))
                self._block_made = True
                continue
            hk = (0,) + hk
            if block is None:
                extend([(hk + tk, hv + tv, {**he, **te}, hf + tf) for tk, (tv, te, tf) in tmatches.items()])
            else:
                # a changed head: what the block holds stays where it was on the agenda (as a
                # pending activation whose match is updated does)
                out = block.out
                extend([(hk + tk, hv + tv, {**he, **te}, hf + tf) for tk, (tv, te, tf) in tmatches.items()
                        if tk in out])
        if t_add:
            fresh = {a[0] for a in h_add}
            for hk, (hv, he, hf) in head.matches.items():
                if hk in fresh:
                    continue
                block = blocks.get(hk) if blocks else None
                hk = (0,) + hk
                if block is None:
                    extend([(hk + tk, hv + tv, {**he, **te}, hf + tf) for tk, tv, te, tf in t_add])
                else:
                    # a tail match of the block that changed stays in it (its data is read from the tail)
                    out = block.out
                    extend([(hk + tk, hv + tv, {**he, **te}, hf + tf) for tk, tv, te, tf in t_add
                            if tk in out])
        dropped = []
        have = st.matches
        if h_rem and len(have) < len(tmatches) * len(h_rem):
            # few matches made (the rest were held by blocks): look them up by their head
            gone = {(0,) + hk for hk in h_rem}
            n = len(next(iter(gone)))
            dropped.extend([k for k in have if k[:n] in gone])
        elif h_rem:
            tkeys = list(tmatches)
            tkeys.extend(t_rem)
            for hk in h_rem:
                hk = (0,) + hk
                dropped.extend([k for k in [hk + tk for tk in tkeys] if k in have])
        if t_rem:
            for hk in head.matches:
                hk = (0,) + hk
                dropped.extend([k for k in [hk + tk for tk in t_rem] if k in have])
        return found, dropped

    _block_made = False

    def _salience_of(self, rule):
        """A function giving a match's dynamic salience from its bindings."""
        fn = self._salience_fns.get(id(rule))
        if fn is None:
            fn = self._salience_fns[id(rule)] = _fast_getter_fn(rule.salience)

        def salience(env):
            try:
                return int(fn(env))
            except Exception:  # noqa: BLE001
                return self._salience(rule, env)
        return salience

    def _block_max(self, st, block):
        if block.max is None:
            by_sal = st.split[1].by_sal
            out = block.out
            for v in sorted(by_sal, reverse=True):
                if not out or any(k not in out for k in by_sal[v]):
                    block.max = v
                    break
        return block.max

    def _make_activation(self, st, block, tk):
        """Turn one of a block's activations into a real match and Activation."""
        head, tail = st.split
        hv, he, hf = head.matches[block.hk]
        tv, te, tf = tail.matches[tk]
        key = (0,) + block.hk + tk
        env = {**he, **te}
        facts = hf + tf
        st.matches[key] = [env, hv + tv, False, facts]
        st.pending[key] = Activation(st.rule, key, env, tail.sal[tk], next(self._seq), facts, 0.0, block.batch)
        block.out.add(tk)
        block.n -= 1
        block.max = None
        if not block.n:
            del st.blocks[block.hk]
        return key

    def _materialize(self, st):
        """Make every activation still held in a block (before anything that reads them all)."""
        if not st.blocks:
            return
        tmatches = st.split[1].matches
        for block in list(st.blocks.values()):
            out = block.out
            for tk in [tk for tk in tmatches if tk not in out]:
                self._make_activation(st, block, tk)
        st.blocks.clear()

    def _first_key(self, st):
        """The next activation of a rule: in order, or the highest salience for dynamic salience
        (ties: the earlier evaluation, then the order the network staged them in)."""
        if st.rule.delay_ms:
            now = time.time()
            return next(k for k, a in st.pending.items() if a.due <= now)
        if isinstance(st.rule.salience, int):
            return next(iter(st.pending))
        if st.blocks:
            return self._first_key_blocks(st)
        best = None
        ties = None
        for k, a in st.pending.items():
            if best is None or a.salience > best.salience:
                best = a
                ties = None
            elif a.salience == best.salience:
                if ties is None:
                    ties = [best]
                ties.append(a)
        if ties is None:
            return best.key
        first = min(a.batch for a in ties)
        ties = [a for a in ties if a.batch == first]
        if len(ties) == 1:
            return ties[0].key
        cache = {}
        return min(ties, key=lambda a: self._order_key(st.rule, a.key, cache)).key

    def _first_key_blocks(self, st):
        """_first_key of a rule holding blocks: the same choice over its activations and the ones
        its blocks hold (those share their block's evaluation), making the chosen one."""
        top = None
        for a in st.pending.values():
            if top is None or a.salience > top:
                top = a.salience
        for b in st.blocks.values():
            m = self._block_max(st, b)
            if top is None or m > top:
                top = m
        cands = [(a.batch, a.key, None, None) for a in st.pending.values() if a.salience == top]
        for b in st.blocks.values():
            if b.max == top:
                out = b.out
                cands.extend((b.batch, (0,) + b.hk + tk, b, tk) for tk in st.split[1].by_sal[top] if tk not in out)
        if len(cands) > 1:
            first = min(c[0] for c in cands)
            cands = [c for c in cands if c[0] == first]
        if len(cands) > 1:
            cache = {}
            best = min(cands, key=lambda c: self._order_key(st.rule, c[1], cache))
        else:
            best = cands[0]
        if best[2] is not None:
            return self._make_activation(st, best[2], best[3])
        return best[1]

    def _modified_by_self(self, rule, facts):
        for f in facts:
            h = self._by_obj.get(id(f))
            if h is not None and h.modified_by == rule.name:
                return True
        return False

    def _activate(self, st, key, env, facts):
        rule = st.rule
        if rule.enabled is False:
            return
        due = time.time() + rule.delay_ms / 1000.0 if rule.delay_ms else 0.0
        act = st.pending[key] = Activation(rule, key, env, self._salience(rule, env), next(self._seq), facts, due)
        act.batch = self._evalno

    def _activate_all(self, st, items):
        """_activate for each (key, env, facts), in order."""
        rule = st.rule
        if rule.enabled is False:
            return
        if rule.delay_ms:
            for key, env, facts in items:
                self._activate(st, key, env, facts)
            return
        pending = st.pending
        seq = self._seq
        batch = self._evalno
        s = rule.salience
        if isinstance(s, int):
            for key, env, facts in items:
                pending[key] = Activation(rule, key, env, s, next(seq), facts, 0.0, batch)
            return
        salience = self._salience_of(rule)
        for key, env, facts in items:
            pending[key] = Activation(rule, key, env, salience(env), next(seq), facts, 0.0, batch)

    def _linked(self, st):
        for branch in st.rule.branches:
            ok = True
            for kind, ce in branch:
                if kind == "pattern" and ce.source is None and not self._memories[id(ce)]:
                    ok = False
                    break
                if kind == "exists" and len(ce) == 1 and ce[0][0] == "pattern" and ce[0][1].source is None \
                        and not self._memories[id(ce[0][1])]:
                    ok = False    # an exists node with an empty right memory unlinks its segment
                    break
            if ok:
                return True
        return False

    def _priority(self, st):
        if st.pending:
            sal = max(a.salience for a in st.pending.values())
        elif not st.blocks:
            s = st.rule.salience
            sal = s if isinstance(s, int) else 0
        else:
            sal = None
        for b in st.blocks.values():
            m = self._block_max(st, b)
            if sal is None or m > sal:
                sal = m
        return (sal, -st.rule.load_order)

    def _candidates_in_focus(self, exclude=None):
        group = self.focus[-1] if self.focus else "MAIN"
        best = None
        best_p = None
        for st in self._order:
            if st.rule.agenda_group != group or st is exclude:
                continue
            if not (st.dirty and self._linked(st)) and not self._fireable(st):
                continue
            p = self._priority(st)
            if best is None or p > best_p:
                best, best_p = st, p
        return best

    def _eager(self):
        """Rules evaluated before the agenda is consulted: auto-focus rules (their activation
        moves the focus) and rules that justify logical facts (their lost matches retract them)."""
        justifying = {j[0] for j in self._justifies} if self._justifies else ()
        for st in self._order:
            if st.dirty and ((st.rule.auto_focus and self._linked(st)) or st.rule.name in justifying):
                self._evaluate(st)

    def _fireable(self, st):
        """Pending activations that may fire now (timers due, rule effective)."""
        if not st.pending and not st.blocks:
            return False
        rule = st.rule
        if rule.effective is not None or rule.expires is not None:
            import datetime as _dt
            now = _dt.datetime.now()
            if (rule.effective is not None and now < rule.effective) or (rule.expires is not None and now > rule.expires):
                return False
        if rule.delay_ms:
            now = time.time()
            return any(a.due <= now for a in st.pending.values())
        return True

    def _next_rule(self):
        self._eager()
        while True:
            st = self._candidates_in_focus()
            if st is None:
                if len(self.focus) > 1:
                    self._pop_focus()
                    continue
                return None
            if st.dirty:
                self._evaluate(st)
                if not self._fireable(st):
                    continue
            return st

    def _pop_focus(self):
        g = self.focus.pop()
        for st in self._order:
            if st.rule.agenda_group == g and st.locked:
                st.locked = False

    def set_focus(self, group):
        if self.focus and self.focus[-1] == group:
            return
        self.focus.append(group)
        for st in self._order:
            if st.rule.agenda_group == group and st.rule.lock_on_active:
                if st.dirty:
                    self._evaluate(st)
                st.locked = True

    def activate_ruleflow_group(self, group):
        self.set_focus(group)

    def fire_all_rules(self, max=-1, agenda_filter=None):
        """Fire until the agenda is empty, `max` activations fired, or halt(); returns the count."""
        if self.disposed:
            raise JavaException("java.lang.IllegalStateException",
                                "Illegal method call. This session was previously disposed.")
        self._halt = False
        fired = 0
        limit = max
        active = set()
        try:
            fired = self._fire_loop(limit, agenda_filter, active)
        finally:
            for st in self._order:   # groups deactivate when firing stops: lock-on-active locks lift
                if st.locked and st.rule.agenda_group in active and st.rule.agenda_group not in self.focus[1:]:
                    st.locked = False
        return fired

    def _activate_group(self, group, active):
        """A group starts firing: its lock-on-active rules take no new activations while it fires."""
        active.add(group)
        for st in self._order:
            if st.rule.agenda_group == group and st.rule.lock_on_active and not st.locked:
                if st.dirty:
                    self._evaluate(st)
                st.locked = True

    def _fire_loop(self, limit, agenda_filter, active):
        fired = 0
        while not self._halt and (limit < 0 or fired < limit):
            st = self._next_rule()
            if st is None:
                break
            group = st.rule.agenda_group
            if group not in active:
                self._activate_group(group, active)
            while self._fireable(st) and not self._halt and (limit < 0 or fired < limit):
                key = self._first_key(st)
                act = st.pending.pop(key)
                if agenda_filter is not None and not agenda_filter(st.rule.name):
                    continue
                self._fire(st, act)
                fired += 1
                if self._halt or (limit >= 0 and fired >= limit):
                    break
                if (self.focus[-1] if self.focus else "MAIN") != group:
                    break
                nxt = self._candidates_in_focus(exclude=st)
                if nxt is not None and self._priority(nxt) > self._priority(st):
                    break   # a rule with higher priority became active: it goes first
                if st.dirty:
                    self._evaluate(st)
                self._eager()
        self._eager()
        return fired

    def _fire(self, st, act: Activation):
        rule = st.rule
        m = st.matches.get(act.key)
        if m is not None:
            m[2] = True
        group = rule.activation_group
        if group:
            self.clear_activation_group(group)
        old_just = self._justifies.pop((rule.name, act.key), set())
        env = dict.fromkeys(self.kbase.globals)
        env.update(self.globals)
        env.update(self.kbase.functions)
        env.update(act.env)
        env.pop("this", None)
        env.pop("__last__", None)
        drools = _Drools(self, rule, act)
        env["drools"] = drools
        env["kcontext"] = drools
        env["insert"] = self.insert
        env["insertLogical"] = self._insert_logical
        env["update"] = self._rhs_update
        env["__modify__"] = self._update_object
        env["delete"] = env["retract"] = self._delete_object
        if self.out is not None:
            env["__out__"] = self.out
        prev_firing, prev_act = self._firing, self._current_activation
        self._firing, self._current_activation = rule, act
        try:
            consequence = rule.consequence
            if rule.branch_consequences:
                consequence = rule.branch_consequences.get(act.key[0], consequence)   # then[name]
            if consequence is not None:
                consequence(env)
        except Exception as e:
            raise ConsequenceError(rule.name, e) from e
        finally:
            self._firing, self._current_activation = prev_firing, prev_act
        # justifications of the previous firing that were not re-asserted go away
        new_just = self._justifies.get((rule.name, act.key), set())
        for hid in old_just - new_just:
            js = self._justified.get(hid)
            if js is not None:
                js.discard((rule.name, act.key))
                if not js and hid in self.facts:
                    self.delete(self.facts[hid])
        for lst in self.listeners:
            cb = getattr(lst, "after_match_fired", None)
            if cb:
                cb(rule.name, list(act.facts))

    _current_activation = None

    def halt(self):
        self._halt = True

    # -- agenda commands ---------------------------------------------------------------------------
    def clear_agenda(self):
        """Cancel every activation; the focus stack is kept (DefaultAgenda.clearAndCancel)."""
        for st in self._order:
            self._evaluate_if_dirty(st)
            self._materialize(st)
            st.pending.clear()

    def _evaluate_if_dirty(self, st):
        if st.dirty:
            self._evaluate(st)

    def clear_agenda_group(self, group):
        for st in self._order:
            if st.rule.agenda_group == group:
                self._evaluate_if_dirty(st)
                self._materialize(st)
                st.pending.clear()

    clear_ruleflow_group = clear_agenda_group

    def clear_activation_group(self, group):
        for st in self._order:
            if st.rule.activation_group == group:
                self._evaluate_if_dirty(st)
                self._materialize(st)
                st.pending.clear()

    # -- queries -------------------------------------------------------------------------------------
    def query(self, name, *args):
        """The query's rows as dicts of bindings (parameters included); see query_results()."""
        return [row.env for row in self.query_results(name, *args).rows]

    def query_results(self, name, *args) -> "QueryResults":
        """KieSession.getQueryResults (StatefulKnowledgeSessionImpl.internalGetQueryResult): the
        arguments travel in a DroolsQuery that gets a new fact handle (an id and a recency from the
        session's counters: the next inserted fact's id skips one; the handle never enters the
        working memory), then the query's network is evaluated.  Each row knows, per declaration,
        the handle of the pattern that declared it (QueryResultsRowImpl.getFactHandle): a binding of
        a fact or of one of its fields the fact's handle, a parameter the DroolsQuery's handle, a
        `from` the fact's handle when the object is in the working memory, else (and for an
        accumulate or collect result) a handle made for it (FromNode.createFactHandle,
        AccumulateNode.createResultFactHandle) with the next id."""
        qh = self._new_handle(DroolsQuery(name, args), "DEFAULT", event=False)
        q = self.kbase.queries.get(name)
        if q is None:
            raise JavaException("java.lang.RuntimeException", f"Query '{name}' does not exist")
        if len(args) != len(q.params):
            raise JavaException("java.lang.RuntimeException",
                                f"Query '{name}' has been invoked with a wrong number of arguments. "
                                f"Expected {len(q.params)}, actual {len(args)}")
        from containers.expressions import coerce
        params = [pname for _, pname in q.params]
        decls = [_query_declarations(branch) for branch in q.branches]
        identifiers = list(dict.fromkeys(params + [n for n, _ in decls[0]] if decls else params))
        made = {}      # (pattern, left tuple, object) -> the handle made for a from/accumulate result
        rows = []
        for bi, branch in enumerate(q.branches):
            env = dict(self.globals)
            for (ptype, pname), a in zip(q.params, args):
                env[pname] = coerce(a, ptype)
            for key, _v, e, facts in self._all(branch, env):
                handles = dict.fromkeys(params, qh)
                for var, h in self._declaration_handles(branch, key, facts, e, made):
                    handles.setdefault(var, h)
                e.pop("this", None)
                e.pop("__last__", None)
                for g in self.globals:
                    if e.get(g) is self.globals[g]:
                        e.pop(g, None)
                rows.append(QueryRow(e, {var: e.get(var) for var in handles}, handles, bi))
        return QueryResults(name, params, identifiers, rows, qh)

    def _declaration_handles(self, branch, key, facts, env, made):
        """(declaration, owning handle) for one match of a query branch.  `_all` gives one key entry
        per top-level pattern (a handle id, or ("f", i, id(obj)) for a pattern over a source) and per
        accumulate ("acc"), and one object per top-level pattern, in the branch's order."""
        ki = fi = 0
        for kind, ce in branch:
            if kind == "pattern":
                k, obj = key[ki], facts[fi]
                ki += 1
                fi += 1
                if ce.source is None:
                    h = self.facts.get(k)
                else:
                    h = self.get_fact_handle(obj) or self._made_handle(made, (id(ce), key[:ki - 1], id(obj)), obj)
                if ce.binding:
                    yield ce.binding, h
                for var, _c in ce.binders:
                    yield var, h
            elif kind == "accumulate":
                ki += 1
                names = [b for b, _n, _f in ce.functions if b]
                result = env.get(names[0]) if len(names) == 1 else [env.get(n) for n in names]
                h = self._made_handle(made, (id(ce), key[:ki - 1]), result)
                for var in names:
                    yield var, h
            elif kind == "query":
                ki += 1        # what a nested query call binds has no handle of its own here

    def _made_handle(self, made, at, obj):
        h = made.get(at)
        if h is None:
            h = made[at] = self._new_handle(obj, "DEFAULT", event=False)
        return h

    # -- persistence -------------------------------------------------------------------------------
    def snapshot(self) -> dict:
        """Plain data (lists, dicts, Java values) from which restore() rebuilds this session: the
        facts with their handle ids, globals, the activations still pending (everything else
        already fired: refraction), the focus stack and the truth-maintenance justifications."""
        peek = next(self._ids)
        self._ids = itertools.count(peek)
        for st in self._order:
            self._materialize(st)
        pindex = {id(p): i for i, p in enumerate(self._all_patterns)}
        return {
            # where each fact sits in the node memories (orders matches of later evaluations)
            "positions": [[pindex[pid], hid, e, r, c] for pid, posd in self._pos.items() if pid in pindex
                          for hid, (e, r, c) in posd.items()],
            "eval_no": self._evalno,
            # changes a rule has not evaluated yet (it is evaluated lazily, when the agenda needs it)
            "unevaluated": {st.rule.name: [[pindex[pid], hid, kind] for pid, per in st.changes.items()
                                            if pid in pindex for hid, kind in per.items()]
                            for st in self._order if st.changes},
            # rules never evaluated yet: restore leaves them so (their first evaluation makes activations)
            "never_evaluated": [st.rule.name for st in self._order if not st.initialized],
            "next_id": peek,
            "recency": self._recency,
            "facts": [[h.id, h.entry_point, h.logical, h.version, h.obj, h.recency] for h in self.get_fact_handles()],
            "globals": dict(self.globals),
            "pending": {st.rule.name: [_listify(k) for k in st.pending] for st in self._order if st.pending},
            "focus": list(self.focus),
            "justified": [[hid, r, _listify(k)] for hid, js in self._justified.items() for r, k in js],
        }

    @classmethod
    def restore(cls, kbase, data: dict) -> "RuleSession":
        s = cls(kbase)
        for row in data.get("facts") or []:
            hid, ep, logical, version, obj = row[:5]
            h = FactHandle(int(hid), obj, ep or "DEFAULT", bool(logical))
            h.version = int(version or 0)
            if len(row) > 5 and row[5] is not None:
                h.recency = int(row[5])
            s.facts[h.id] = h
            s._by_obj[id(obj)] = h
            if h.logical:
                try:
                    s._logical_index[obj] = h
                except TypeError:
                    s._logical_index[id(obj)] = h
            s._propagate(h)
        s._ids = itertools.count(int(data.get("next_id") or 1))
        s._recency = int(data["recency"]) if data.get("recency") is not None else int(data.get("next_id") or 1) - 1
        s.globals = dict(data.get("globals") or {})
        pending = {r: [_tuplify(k) for k in keys] for r, keys in (data.get("pending") or {}).items()}
        pats = s._all_patterns
        unevaluated = data.get("unevaluated")
        if data.get("positions") is not None:
            for row in data["positions"]:
                pi, hid, e, r = row[:4]
                c = row[4] if len(row) > 4 else e
                if 0 <= int(pi) < len(pats) and int(hid) in s.facts:
                    s._pos.setdefault(id(pats[int(pi)]), {})[int(hid)] = (int(e), int(r), int(c))
            s._evalno = int(data.get("eval_no") or 0)
        never = set(data.get("never_evaluated") or ())
        for st in s._order:
            if st.rule.name in never:
                # as in the stored session: evaluated lazily, when the agenda needs it, every match
                # of its first evaluation an activation (the facts stay staged as propagated above)
                st.dirty = True
                continue
            fresh = set()
            later = {}
            if unevaluated is not None:
                # only the changes the rule had not seen are new to it: inserts it had not seen
                # stay staged (the rule is evaluated later, lazily); matches of updated facts
                # are re-activated
                changes = {}
                for pi, hid, kind in unevaluated.get(st.rule.name) or []:
                    hid = int(hid)
                    if kind == "del" or hid not in s.facts or not 0 <= int(pi) < len(pats):
                        continue
                    p = pats[int(pi)]
                    if kind == "ins" and hid in s._memories[id(p)]:
                        later.setdefault(id(p), {})[hid] = p
                        s._touch(p, s.facts[hid], False)
                    else:
                        changes.setdefault(id(p), {})[hid] = kind
                        fresh.add(hid)
                st.changes = changes
            s._evaluate(st)
            s._materialize(st)      # the saved activations are matched by key below
            if later:
                for pid, per in later.items():
                    for hid, p in per.items():
                        s._touch(p, s.facts[hid], True)
                        st.changes.setdefault(pid, {})[hid] = "ins"
                st.dirty = True
            keep = pending.get(st.rule.name, [])
            keep_set = set(keep)
            for key in list(st.pending):
                if key not in keep_set and not any(k in fresh for k in key[1:] if isinstance(k, int)):
                    del st.pending[key]
                    st.matches[key][2] = True
            if len(st.pending) > 1:   # the saved activations first, in their order
                order = [k for k in keep if k in st.pending]
                order += [k for k in st.pending if k not in keep_set]
                st.pending = {k: st.pending[k] for k in order}
        s.focus = list(data.get("focus") or ["MAIN"])
        for hid, rule, key in data.get("justified") or []:
            just = (rule, _tuplify(key))
            s._justified.setdefault(int(hid), set()).add(just)
            s._justifies.setdefault(just, set()).add(int(hid))
        return s

    def dispose(self):
        self.disposed = True
        self.facts.clear()
        self._by_obj.clear()

    # -- KieSession-style aliases (used from consequences through drools.getKieRuntime()) ----------
    def getGlobal(self, name):
        return self.get_global(name)

    def setGlobal(self, name, value):
        self.set_global(name, value)

    def getObjects(self):
        return self.get_objects()

    def getFactCount(self):
        return Long(len(self.facts))

    def getEntryPoint(self, name):
        return _EntryPoint(self, str(name))

    def getAgenda(self):
        return _Agenda(self)

    def getEntryPointId(self):
        return "DEFAULT"

    def getFactHandle(self, obj):
        return self.get_fact_handle(obj)


class _Agenda:
    """kcontext.getKieRuntime().getAgenda() in consequences."""

    def __init__(self, session):
        self._s = session

    def getAgendaGroup(self, name):
        return _Group(self._s, str(name), "agenda")

    def getActivationGroup(self, name):
        return _Group(self._s, str(name), "activation")

    def getRuleFlowGroup(self, name):
        return _Group(self._s, str(name), "ruleflow")

    def clear(self):
        self._s.clear_agenda()


class _Group:
    def __init__(self, session, name, kind):
        self._s, self._name, self._kind = session, name, kind

    def getName(self):
        return self._name

    def setFocus(self):
        self._s.set_focus(self._name)

    def activate(self):
        self._s.activate_ruleflow_group(self._name)

    def clear(self):
        if self._kind == "activation":
            self._s.clear_activation_group(self._name)
        else:
            self._s.clear_agenda_group(self._name)


class _EntryPoint:
    """kcontext.getKieRuntime().getEntryPoint(name) / drools.getEntryPoint(name) in consequences."""

    def __init__(self, session, name):
        self._s = session
        self._name = name

    def getEntryPointId(self):
        return self._name

    def insert(self, obj):
        return self._s.insert(obj, self._name)

    def update(self, handle, obj=None):
        h = self._s._handle(handle)
        return self._s.update(h, obj)

    def delete(self, handle):
        self._s.delete(self._s._handle(handle))

    retract = delete

    def getObjects(self):
        return [h.obj for h in self._s.get_fact_handles() if h.entry_point == self._name]

    def getFactHandle(self, obj):
        h = self._s.get_fact_handle(obj)
        return h if h is not None and h.entry_point == self._name else None

    def getFactCount(self):
        return Long(len(self.getObjects()))





def _listify(v):
    return [_listify(x) for x in v] if isinstance(v, tuple) else v


def _tuplify(v):
    return tuple(_tuplify(x) for x in v) if isinstance(v, list) else v


_POS0 = (0, 0, 0)   # (evaluation that put it at its memory place, rank there, evaluation that created it)


_VAR_PROP = re.compile(r"\s*(\$?[A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*")


def _fast_fn(c):
    """The function of a compiled expression; `$var.field` reads the bean's field directly (the
    compiled code is the fallback for anything else: other objects, null, static fields)."""
    m = _VAR_PROP.fullmatch(c.source or "")
    if m is None:
        return c.fn
    var, field = m.group(1), m.group(2)
    orig = c.fn

    def fast(env):
        try:
            return env[var].__dict__[field]
        except (KeyError, AttributeError, TypeError):
            return orig(env)
    return fast


_VAR_GETTER = re.compile(r"\s*\(?\s*(\$?[A-Za-z_]\w*)\.(get|is)([A-Z]\w*)\(\s*\)\s*\)?\s*")


def _fast_getter_fn(c):
    """Like _fast_fn, for `$var.getField()` (a bean getter the class does not define itself)."""
    m = _VAR_GETTER.fullmatch(c.source or "")
    if m is None:
        return _fast_fn(c)
    var, method = m.group(1), m.group(2) + m.group(3)
    field = m.group(3)[0].lower() + m.group(3)[1:]
    orig = c.fn
    plain = {}   # class -> whether the method is a plain field read

    def fast(env):
        try:
            o = env[var]
            t = type(o)
            ok = plain.get(t)
            if ok is None:
                ok = plain[t] = not hasattr(t, method)
            if ok:
                return o.__dict__[field]
        except (KeyError, AttributeError, TypeError):
            pass
        return orig(env)
    return fast


def _hasfloat(key):
    for k in key:
        if isinstance(k, float):
            return True
    return False


def _probe_tuple(fns):
    """One function computing an index key (a tuple of the probes' values)."""
    if len(fns) == 1:
        f0 = fns[0]
        return lambda env: (f0(env),)
    if len(fns) == 2:
        f0, f1 = fns
        return lambda env: (f0(env), f1(env))
    if len(fns) == 3:
        f0, f1, f2 = fns
        return lambda env: (f0(env), f1(env), f2(env))
    return lambda env: tuple([f(env) for f in fns])
_ERRS = (JavaException, KeyError, TypeError, AttributeError)


def _compile_join(ces):
    """Python source for the nested loops of a CE list made of patterns (no source), not, exists
    and eval: the same matches, in the same order, as RuleSession._join, without its per-level
    calls.  None when the list has other elements (the generic join handles those)."""
    consts = {"truth": truth, "ERRS": _ERRS, "UNH": _UNHASHABLE, "hasfloat": _hasfloat}
    lines = ["def joiner(sess, env, out, restrict):",
             "    bucket = sess._bucket",
             "    pver = sess._pver",
             "    anyf = sess._any",
             "    anyp = sess._any_pattern"]
    pats = []
    ind = "    "
    body = []
    for i, (kind, ce) in enumerate(ces):
        if kind == "pattern":
            if ce.source is not None:
                return None
            if not ce.matcher:
                return lambda sess, env, out, restrict: None
            n = len(pats)
            pats.append(ce)
            consts[f"P{n}"] = ce
            lines.append(f"    R{n} = restrict.get({id(ce)}) if restrict is not None else None")
            lines.append(f"    bk{n}, mem{n}, probe{n}, _ba, _br, ba{n}, br{n} = sess._info(P{n})")
            lines.append(f"    pv{n} = pver.get({id(ce)}) or {{}}")
            if ce.index is None:
                body.append(f"{ind}cands{n}, beta{n} = mem{n}.values(), ba{n}")
            else:
                # the index bucket (as RuleSession._bucket)
                body.append(f"{ind}cands{n} = None")
                body.append(f"{ind}if UNH not in bk{n}:")
                body.append(f"{ind}    try:")
                body.append(f"{ind}        k = probe{n}(env)")
                body.append(f"{ind}        b = bk{n}.get(k)")
                body.append(f"{ind}        if b is not None:")
                body.append(f"{ind}            cands{n}, beta{n} = b.values(), br{n}")
                body.append(f"{ind}        elif not hasfloat(k):")
                body.append(f"{ind}            cands{n}, beta{n} = (), ba{n}")
                body.append(f"{ind}    except Exception:")
                body.append(f"{ind}        cands{n} = None")
                body.append(f"{ind}if cands{n} is None:")
                body.append(f"{ind}    cands{n}, beta{n} = mem{n}.values(), ba{n}")
            body.append(f"{ind}if R{n} is not None:")
            body.append(f"{ind}    cands{n} = [c for c in cands{n} if (c.id in R{n}[1]) == (R{n}[0] == 'only')]")
            body.append(f"{ind}for c{n} in cands{n}:")
            ind += "    "
            body.append(f"{ind}o{n} = c{n}.obj")
            body.append(f"{ind}env['this'] = o{n}")
            body.append(f"{ind}ok = True")
            body.append(f"{ind}try:")
            for j, (var, c) in enumerate(ce.binders):
                consts[f"B{n}_{j}"] = c.fn
                body.append(f"{ind}    env[{var!r}] = B{n}_{j}(env)")
            body.append(f"{ind}    for c in beta{n}:")
            body.append(f"{ind}        r = c(env)")
            body.append(f"{ind}        if r is not True and not truth(r):")
            body.append(f"{ind}            ok = False")
            body.append(f"{ind}            break")
            body.append(f"{ind}except ERRS:")
            body.append(f"{ind}    ok = False")
            body.append(f"{ind}del env['this']")
            body.append(f"{ind}if not ok:")
            for var, _c in ce.binders:
                body.append(f"{ind}    env.pop({var!r}, None)")
            body.append(f"{ind}    continue")
            if ce.binding:
                body.append(f"{ind}env[{ce.binding!r}] = o{n}")
            body.append(f"{ind}env['__last__'] = o{n}")
        elif kind in ("not", "exists"):
            single = len(ce) == 1 and ce[0][0] == "pattern" and ce[0][1].source is None
            if single:
                consts[f"N{i}"] = ce[0][1]
                lines.append(f"    any{i} = sess._any_fn(N{i})")
                test = f"any{i}(env)"
            else:
                consts[f"N{i}"] = ce
                test = f"anyf(N{i}, env)"
            body.append(f"{ind}if {'' if kind == 'not' else 'not '}{test}:")
            body.append(f"{ind}    pass")
            body.append(f"{ind}else:")
            ind += "    "
        elif kind == "eval":
            consts[f"E{i}"] = ce.fn
            body.append(f"{ind}try:")
            body.append(f"{ind}    ok = truth(E{i}(env))")
            body.append(f"{ind}except ERRS:")
            body.append(f"{ind}    ok = False")
            body.append(f"{ind}if ok:")
            ind += "    "
        else:
            return None
    keys = "".join(f"c{n}.id, " for n in range(len(pats)))
    vers = "".join(f"pv{n}.get(c{n}.id, 0), " for n in range(len(pats)))
    objs = "".join(f"o{n}, " for n in range(len(pats)))
    body.append(f"{ind}out.append((({keys}), ({vers}), dict(env), [{objs}]))")
    # after the loops: drop the bindings the loops left (the generic join pops them per candidate)
    tail = []
    for p in pats:
        for var, _c in p.binders:
            tail.append(f"    env.pop({var!r}, None)")
        if p.binding:
            tail.append(f"    env.pop({p.binding!r}, None)")
    if pats:
        tail.append("    env.pop('__last__', None)")
    src = "\n".join(lines + body + tail) + "\n"
    ns = dict(consts)
    exec(compile(src, "<rule join>", "exec"), ns)
    return ns["joiner"]


_NOKEY = object()


def _any_satisfies(cands, constraints, env):
    """Whether one candidate fact passes every constraint with `this` bound to it (a constraint that
    throws counts as false, as in Drools); env's own `this` is left as it was."""
    saved = env.get("this", _NOKEY)
    try:
        for cand in cands:
            env["this"] = cand.obj
            try:
                for c in constraints:
                    if not truth(c.fn(env)):
                        break
                else:
                    return True
            except (JavaException, KeyError, TypeError, AttributeError):
                continue
        return False
    finally:
        if saved is _NOKEY:
            env.pop("this", None)
        else:
            env["this"] = saved
_UNHASHABLE = object()


class _FromItem:
    __slots__ = ("obj", "id", "version")

    def __init__(self, obj, i):
        self.obj = obj
        self.id = i
        self.version = None


def _freeze(v):
    if isinstance(v, list):
        return tuple(_freeze(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((str(k), _freeze(x)) for k, x in v.items()))
    if isinstance(v, JavaBean):
        return id(v)
    return v


def _raise_unknown(name):
    raise JavaException("java.lang.RuntimeException", f"Unknown accumulate function: {name}")


def _num(values):
    return [v for v in values if v is not None]


def _wrap(total, bits):
    """Java's two's-complement overflow of an int (32) or long (64) sum."""
    half = 1 << (bits - 1)
    return (total + half) % (1 << bits) - half


def _sum(values):
    """Drools 7 picks the sum by the expression's type (AccumulateUtil): Integer and Long sums stay
    integral (and overflow like Java), BigInteger/BigDecimal stay exact, anything else is a Double.
    Here the kind is read from the values themselves; an empty sum is 0.0."""
    vals = _num(values)
    kinds = {type(v) for v in vals}
    if kinds == {int}:
        return _wrap(sum(vals), 32)
    if kinds == {Long}:
        return Long(_wrap(sum(vals), 64))
    if kinds == {BigInteger}:
        return BigInteger(sum(vals))
    if kinds == {decimal.Decimal}:
        return sum(vals, decimal.Decimal(0))
    total = 0.0
    for v in vals:
        total += float(v)
    return total


def _avg(values):
    """AverageAccumulateFunction: a Double, null when nothing was accumulated."""
    vals = _num(values)
    return (sum(float(v) for v in vals) / len(vals)) if vals else None


def _min(values):
    """Min/Max keep the value they found (an Integer stays an Integer); null when empty.
    Ties keep the first value seen."""
    vals = _num(values)
    return min(vals) if vals else None


def _max(values):
    vals = _num(values)
    if not vals:
        return None
    best = vals[0]
    for v in vals[1:]:
        if best < v:
            best = v
    return best


_ACC = {
    "sum": _sum,
    "sumI": lambda values: _wrap(sum(int(v) for v in _num(values)), 32),
    "sumL": lambda values: Long(_wrap(sum(int(v) for v in _num(values)), 64)), "average": _avg, "min": _min, "max": _max,
    "count": lambda values: Long(len(values)),
    "collectList": lambda values: list(values), "collectSet": lambda values: JavaSet(java_hash_order(values)),
    "countDistinct": lambda values: Long(len(set(values))),
}


__all__ = ["RuleSession", "FactHandle", "ConsequenceError", "decimal", "re"]
