"""PROTOTYPE (review material, not in the repo): a Phreak-faithful matcher and agenda on top of
containers.rules' parser/compiler and RuleSession API.

Reproduces Drools 7.x orderings read from the 7.x sources:
  * staged tuple lists PREPEND (TupleSetsImpl.addInsert/addUpdate/addDelete), so every stage is LIFO;
  * a rule's nodes run in order; per node: (join) right deletes, left deletes, reorder updated
    right/left tuples to the memory end, right updates, left updates, right inserts, left inserts;
  * the terminal node takes deletes, then updates (a fired match re-queued at the end), then inserts,
    appending to the rule's match list; the rule fires its list from the front (dynamic salience:
    a heap by salience);
  * lazy rules: a rule is queued in its agenda group when linked (LIA has tuples, every join/exists
    has right facts) and notified; evaluated when it reaches the top of the focused group;
    eager rules (auto-focus, activation-group, dynamic salience) are evaluated before each pick;
  * a firing rule yields when the focused group's best rule is another group or has higher
    (salience, -load order, -branch) priority (RuleExecutor.haltRuleFiring);
  * no-loop / lock-on-active with propagation-context origin and fact recency, activation groups,
    clear commands keeping the focus stack, accumulate re-firing on every source change and not
    propagating a single null result.
Simplifications: no node sharing between rules; multi-pattern not/exists/accumulate/collect
re-evaluate per left tuple on any change of their pattern types (as the current engine does).
"""
from __future__ import annotations

import heapq
import itertools

from containers.expressions import JavaException
from containers.expressions.runtime import getprop, truth
from containers.rules.session import (Activation, ConsequenceError, FactHandle, RuleSession, _Drools,
                                      _FromItem, _freeze)

INS, UPD, DEL = 1, 2, 3
_ERR = (JavaException, KeyError, TypeError, AttributeError)


class TSets:
    """Staged inserts/updates/deletes; iteration newest-first (Drools prepends)."""
    __slots__ = ("ins", "upd", "dele")

    def __init__(self):
        self.ins, self.upd, self.dele = {}, {}, {}

    def add_insert(self, t):
        if t.staged == UPD:
            return
        t.staged = INS
        self.ins[id(t)] = t

    def add_update(self, t):
        if t.staged:
            return
        t.staged = UPD
        self.upd[id(t)] = t

    def add_delete(self, t):
        if t.staged == INS:
            del self.ins[id(t)]
            t.staged = 0
            return
        if t.staged == UPD:
            del self.upd[id(t)]
        t.staged = DEL
        self.dele[id(t)] = t

    def take(self):
        out = TSets()
        out.ins, out.upd, out.dele = self.ins, self.upd, self.dele
        self.ins, self.upd, self.dele = {}, {}, {}
        return out

    @staticmethod
    def each(d):
        for t in reversed(list(d.values())):
            t.staged = 0
            yield t

    def __bool__(self):
        return bool(self.ins or self.upd or self.dele)


class LT:
    """A left tuple: the facts matched so far and their bindings."""
    __slots__ = ("parent", "handle", "obj", "env", "staged", "kids", "right", "blocker", "acc",
                 "depth", "queued", "fired", "salience", "seq", "act", "rkey", "in_group", "rec")

    def __init__(self, parent, handle, obj, env):
        self.parent, self.handle, self.obj, self.env = parent, handle, obj, env
        self.staged = 0
        self.kids = {}          # child key -> child LT (at the next node)
        self.right = None       # the RT that made this tuple (join/from children)
        self.blocker = None
        self.acc = None
        self.queued = False
        self.fired = False
        self.salience = 0
        self.seq = 0
        self.act = None
        self.in_group = False
        self.rec = _CTX0

    def handles(self):
        out = []
        t = self
        while t is not None:
            if t.handle is not None:
                out.append(t.handle)
            t = t.parent
        out.reverse()
        return out


_CTX0 = (0, None)
_CTX = {}    # handle id -> (recency, origin rule) of its last propagated change (per session: set below)


class RT:
    """A right tuple: one fact in a node's right memory."""
    __slots__ = ("handle", "staged", "kids", "blocked")

    def __init__(self, handle):
        self.handle = handle
        self.staged = 0
        self.kids = {}          # id(left tuple) -> child
        self.blocked = []       # left tuples blocked by this fact (newest first)


def _bind(cp, env, obj):
    """Bindings and beta constraints of pattern cp for obj under env (env is restored)."""
    env["this"] = obj
    added = []
    try:
        for var, c in cp.binders:
            env[var] = c.fn(env)
            added.append(var)
        for c in cp.beta:
            if not truth(c.fn(env)):
                return None
        out = {var: env[var] for var in added}
        if cp.binding:
            out[cp.binding] = obj
        return out
    except _ERR:
        return None
    finally:
        del env["this"]
        for var in added:
            env.pop(var, None)


def _test(cp, env, obj):
    """Beta constraints only (not/exists: bindings inside are local)."""
    env["this"] = obj
    added = []
    try:
        for var, c in cp.binders:
            env[var] = c.fn(env)
            added.append(var)
        for c in cp.beta:
            if not truth(c.fn(env)):
                return False
        return True
    except _ERR:
        return False
    finally:
        del env["this"]
        for var in added:
            env.pop(var, None)



class Mem:
    """A node memory: insertion order with move-to-end on update (as Drools' TupleList and
    doUpdatesReorder*Memory), optionally hash-bucketed on an equality index; a bucket keeps the
    same relative order, so iterating a bucket equals filtering the whole memory."""
    __slots__ = ("all", "buckets", "keyof", "keyfn")

    def __init__(self, keyfn=None):
        self.all = {}
        self.keyfn = keyfn
        self.buckets = {} if keyfn is not None else None
        self.keyof = {}

    def __len__(self):
        return len(self.all)

    def __bool__(self):
        return bool(self.all)

    def values(self):
        return self.all.values()

    def get(self, k):
        return self.all.get(k)

    def __contains__(self, k):
        return k in self.all

    def add(self, k, item):
        """Add at the end; returns the index key (or _NOK without an index)."""
        self.all[k] = item
        if self.buckets is not None:
            try:
                key = self.keyfn(item)
                hash(key)
            except Exception:  # noqa: BLE001 - unhashable or failing key: stop indexing
                self.buckets = None
                return _NOK
            self.keyof[k] = key
            b = self.buckets.get(key)
            if b is None:
                b = self.buckets[key] = {}
            b[k] = item
            return key
        return _NOK

    def remove(self, k):
        item = self.all.pop(k, None)
        if self.buckets is not None:
            key = self.keyof.pop(k, _NOK)
            if key is not _NOK:
                b = self.buckets.get(key)
                if b is not None:
                    b.pop(k, None)
                    if not b:
                        del self.buckets[key]
        return item

    def move_end(self, k, item):
        self.remove(k)
        self.add(k, item)

    def bucket(self, probe):
        """Items that may match the probe key (all of them without an index)."""
        if self.buckets is None or probe is _NOK:
            return list(self.all.values())
        b = self.buckets.get(probe)
        if b is None:
            if isinstance(probe, tuple) and any(isinstance(x, float) for x in probe):
                return list(self.all.values())
            return []
        return list(b.values())


_NOK = object()


def _right_key(fields):
    if len(fields) == 1:
        f0 = fields[0]

        def key(rt):
            o = rt.handle.obj
            d = getattr(o, "__dict__", None)
            if d is not None and f0 in d:
                return (d[f0],)
            return (getprop(o, f0),)
        return key

    def key(rt):
        o = rt.handle.obj
        d = getattr(o, "__dict__", None)
        if d is not None:
            try:
                return tuple([d[f] for f in fields])
            except KeyError:
                pass
        return tuple([getprop(o, f) for f in fields])
    return key


def _left_key(probes):
    fns = [p.fn for p in probes]
    if len(fns) == 1:
        f0 = fns[0]
        return lambda lt: (f0(lt.env),)
    if len(fns) == 2:
        f0, f1 = fns
        return lambda lt: (f0(lt.env), f1(lt.env))
    return lambda lt: tuple([f(lt.env) for f in fns])


def _probe(fn, item):
    if fn is None:
        return _NOK
    try:
        k = fn(item)
        hash(k)
        return k
    except Exception:  # noqa: BLE001
        return _NOK


# -- nodes -------------------------------------------------------------------------------------------

class Node:
    right_input = None      # CompiledPattern whose facts feed the right memory
    links = True            # node memory always linked

    def __init__(self, path, idx, cp=None):
        self.path, self.idx = path, idx
        self.staged_right = TSets()
        self.rts = {}          # handle id -> RT (also staged ones)
        idx_ = getattr(cp, "index", None) if cp is not None else None
        if idx_:
            self.lkey, self.rkey = _left_key(idx_[1]), _right_key(idx_[0])
        else:
            self.lkey = self.rkey = None
        self.ltm = Mem(self.lkey)   # id(lt) -> lt, in memory order
        self.rtm = Mem(self.rkey)   # handle id -> RT

    def linked(self):
        return True

    # child helpers
    def new_child(self, parent, handle, obj, extra):
        env = dict(parent.env)
        if extra:
            env.update(extra)
        c = LT(parent, handle, obj, env)
        rec = parent.rec
        if handle is not None:
            hc = self.path.sess._ctx.get(handle.id, _CTX0)
            if hc[0] > rec[0]:
                rec = hc
        c.rec = rec
        return c


class JoinNode(Node):
    def __init__(self, path, idx, cp):
        super().__init__(path, idx, cp)
        self.cp = cp
        self.right_input = cp

    def linked(self):
        return bool(self.rts)

    def _match(self, lt, rt):
        return _bind(self.cp, lt.env, rt.handle.obj)

    def do(self, src, trg, sess):
        right = self.staged_right.take()
        ltm, rtm = self.ltm, self.rtm
        for rt in TSets.each(right.dele):
            rtm.remove(rt.handle.id)
            for lid, child in list(rt.kids.items()):
                child.parent.kids.pop(rt.handle.id, None)
                trg.add_delete(child)
            rt.kids.clear()
        for lt in TSets.each(src.dele):
            ltm.remove(id(lt))
            for key, child in list(lt.kids.items()):
                rt = child.right
                if rt is not None:
                    rt.kids.pop(id(lt), None)
                trg.add_delete(child)
            lt.kids.clear()
        rupd = list(reversed(list(right.upd.values())))
        lupd = list(reversed(list(src.upd.values())))
        for rt in rupd:            # doUpdatesReorderRightMemory
            rtm.move_end(rt.handle.id, rt)
        for lt in lupd:            # doUpdatesReorderLeftMemory
            ltm.move_end(id(lt), lt)
        for rt in rupd:
            rt.staged = 0
            cand = ltm.bucket(_probe(self.rkey, rt))
            ids = {id(x) for x in cand}
            for lid, child in list(rt.kids.items()):
                if lid not in ids:
                    self._reconcile(child.parent, rt, trg)
            for lt in cand:
                self._reconcile(lt, rt, trg)
        for lt in lupd:
            lt.staged = 0
            cand = rtm.bucket(_probe(self.lkey, lt))
            ids = {x.handle.id for x in cand}
            for hid, child in list(lt.kids.items()):
                if hid not in ids:
                    self._reconcile(lt, child.right, trg)
            for rt in cand:
                self._reconcile(lt, rt, trg)
        cp = self.cp
        for rt in TSets.each(right.ins):
            key = rtm.add(rt.handle.id, rt)
            obj = rt.handle.obj
            for lt in ltm.bucket(key):
                extra = _bind(cp, lt.env, obj)
                if extra is not None:
                    self._insert_child(lt, rt, extra, trg)
        for lt in TSets.each(src.ins):
            key = ltm.add(id(lt), lt)
            env = lt.env
            for rt in rtm.bucket(key):
                extra = _bind(cp, env, rt.handle.obj)
                if extra is not None:
                    self._insert_child(lt, rt, extra, trg)

    def _insert_child(self, lt, rt, extra, trg):
        c = self.new_child(lt, rt.handle, rt.handle.obj, extra)
        c.right = rt
        lt.kids[rt.handle.id] = c
        rt.kids[id(lt)] = c
        trg.add_insert(c)

    def _reconcile(self, lt, rt, trg):
        child = lt.kids.get(rt.handle.id)
        extra = self._match(lt, rt)
        if child is not None:
            if extra is None:
                del lt.kids[rt.handle.id]
                rt.kids.pop(id(lt), None)
                trg.add_delete(child)
            else:
                child.env = dict(lt.env)
                child.env.update(extra)
                rec = lt.rec
                hc = self.path.sess._ctx.get(rt.handle.id, _CTX0)
                child.rec = hc if hc[0] > rec[0] else rec
                trg.add_update(child)
        elif extra is not None:
            self._insert_child(lt, rt, extra, trg)


class NotNode(Node):
    """not / exists over one pattern."""

    def __init__(self, path, idx, cp, exists=False):
        super().__init__(path, idx, cp)
        self.cp = cp
        self.right_input = cp
        self.exists = exists

    def linked(self):
        return bool(self.rts) if self.exists else True

    def _find_blocker(self, lt):
        for rt in self.rtm.bucket(_probe(self.lkey, lt)):
            if _test(self.cp, lt.env, rt.handle.obj):
                return rt
        return None

    def _emit(self, lt, trg):
        c = self.new_child(lt, None, None, None)
        lt.kids[0] = c
        trg.add_insert(c)

    def _retract(self, lt, trg):
        c = lt.kids.pop(0, None)
        if c is not None:
            trg.add_delete(c)

    def _block(self, lt, rt, trg):
        lt.blocker = rt
        rt.blocked.insert(0, lt)
        self.ltm.remove(id(lt))
        if self.exists:
            self._emit(lt, trg)
        else:
            self._retract(lt, trg)

    def _unblock(self, lt, trg):
        lt.blocker = None
        self.ltm.add(id(lt), lt)
        if self.exists:
            self._retract(lt, trg)
        else:
            self._emit(lt, trg)

    def do(self, src, trg, sess):
        right = self.staged_right.take()
        for lt in TSets.each(src.dele):
            if lt.blocker is not None:
                if lt in lt.blocker.blocked:
                    lt.blocker.blocked.remove(lt)
                lt.blocker = None
            self.ltm.remove(id(lt))
            c = lt.kids.pop(0, None)
            if c is not None:
                trg.add_delete(c)
        lupd = list(reversed(list(src.upd.values())))
        for lt in lupd:
            if lt.blocker is None:
                self.ltm.move_end(id(lt), lt)
        rupd = list(reversed(list(right.upd.values())))
        for rt in rupd:
            self.rtm.move_end(rt.handle.id, rt)
        for rt in TSets.each(right.ins):
            self.rtm.add(rt.handle.id, rt)
            for lt in self.ltm.bucket(_probe(self.rkey, rt)):
                if lt.staged == UPD:
                    continue
                if _test(self.cp, lt.env, rt.handle.obj):
                    self._block(lt, rt, trg)
        for rt in rupd:
            rt.staged = 0
            for lt in list(rt.blocked):          # blocked tuples that no longer match
                if not _test(self.cp, lt.env, rt.handle.obj):
                    rt.blocked.remove(lt)
                    lt.blocker = None
                    nb = self._find_blocker(lt)
                    if nb is not None:
                        lt.blocker = nb
                        nb.blocked.insert(0, lt)
                    else:
                        self._unblock(lt, trg)
            for lt in self.ltm.bucket(_probe(self.rkey, rt)):   # free tuples it now blocks
                if lt.staged == UPD:
                    continue
                if _test(self.cp, lt.env, rt.handle.obj):
                    self._block(lt, rt, trg)
        for rt in TSets.each(right.dele):
            self.rtm.remove(rt.handle.id)
            for lt in list(rt.blocked):
                lt.blocker = None
                if lt.staged == UPD:
                    continue
                nb = self._find_blocker(lt)
                if nb is not None:
                    lt.blocker = nb
                    nb.blocked.insert(0, lt)
                else:
                    self._unblock(lt, trg)
            rt.blocked = []
        for lt in lupd:
            lt.staged = 0
            old = lt.blocker
            if old is not None and _test(self.cp, lt.env, old.handle.obj):
                if self.exists:
                    c = lt.kids.get(0)
                    if c is not None:
                        c.env = dict(lt.env)
                        trg.add_update(c)
                continue
            if old is not None:
                if lt in old.blocked:
                    old.blocked.remove(lt)
                lt.blocker = None
            nb = self._find_blocker(lt)
            if nb is not None:
                if old is None:
                    self._block(lt, nb, trg)
                else:
                    lt.blocker = nb
                    nb.blocked.insert(0, lt)
                    c = lt.kids.get(0)
                    if c is not None:
                        c.env = dict(lt.env)
                        trg.add_update(c)
            else:
                if old is not None:
                    self._unblock(lt, trg)
                else:
                    c = lt.kids.get(0)
                    if c is not None:
                        c.env = dict(lt.env)
                        trg.add_update(c)
                    elif not self.exists:
                        self._emit(lt, trg)
        for lt in TSets.each(src.ins):
            nb = self._find_blocker(lt)
            if nb is not None:
                lt.blocker = nb
                nb.blocked.insert(0, lt)
                if self.exists:
                    self._emit(lt, trg)
            else:
                self.ltm.add(id(lt), lt)
                if not self.exists:
                    self._emit(lt, trg)


class RecomputeNode(Node):
    """eval, from, accumulate, collect and multi-pattern not/exists: the outcome for a left tuple
    is recomputed from the session (alpha memories) whenever its inputs may have changed."""

    def __init__(self, path, idx, kind, ce, types):
        super().__init__(path, idx)
        self.kind, self.ce = kind, ce
        self.watch = types          # patterns whose changes make every left tuple dirty
        self.dirty_all = False

    def outcome(self, lt, sess):
        """[(key, handle, obj, extra)] in emission order."""
        kind, ce, env = self.kind, self.ce, dict(lt.env)
        if kind == "eval":
            try:
                return [("e", None, None, None)] if truth(ce.fn(env)) else []
            except _ERR:
                return []
        if kind in ("not", "exists"):
            found = sess._any(ce, env)
            return [("e", None, None, None)] if found == (kind == "exists") else []
        if kind == "accumulate":     # CE form: results bound into env
            res = sess._accumulate(ce, env)
            if res is None:
                return []
            if len(ce.functions) == 1 and list(res.values())[0] is None:
                return []
            e2 = dict(env)
            e2.update(res)
            try:
                if not all(truth(c.fn(e2)) for c in ce.constraints):
                    return []
            except _ERR:
                return []
            return [("acc", None, None, res)]
        # pattern with a source
        cp = ce
        sk, val = cp.source
        if sk == "accumulate":
            value = sess._accumulate(val, env, single=True)
            if value is None:
                return []
            items = [value]
        elif sk == "collect":
            items = [[e2.get("__last__") for _k, _v, e2, _f in sess._matches(val, 0, dict(env), [], [], [])]]
        else:
            try:
                v = val.fn(env)
            except _ERR:
                return []
            if v is None:
                return []
            if isinstance(v, dict):
                v = list(v.values())
            items = list(v) if isinstance(v, (list, tuple, set)) else [v]
        out = []
        for i, obj in enumerate(items):
            if not cp.matcher(obj):
                continue
            env["this"] = obj
            try:
                ok = all(truth(c.fn(env)) for c in cp.alpha)
            except _ERR:
                ok = False
            del env["this"]
            if not ok:
                continue
            extra = _bind(cp, env, obj)
            if extra is None:
                continue
            key = ("f", i, id(obj)) if sk == "from" else ("acc",)
            out.append((key, None, obj, extra))
        return out

    def _apply(self, lt, sess, trg, fresh):
        new = self.outcome(lt, sess)
        seen = set()
        for key, h, obj, extra in new:
            seen.add(key)
            c = lt.kids.get(key)
            if c is None:
                c = self.new_child(lt, h, obj, extra)
                c.rkey = key
                lt.kids[key] = c
                trg.add_insert(c)
            elif not fresh:
                c.env = dict(lt.env)
                if extra:
                    c.env.update(extra)
                c.obj = obj
                trg.add_update(c)
        for key in [k for k in lt.kids if k not in seen]:
            trg.add_delete(lt.kids.pop(key))

    def do(self, src, trg, sess):
        right = self.staged_right.take()
        for lt in TSets.each(src.dele):
            self.ltm.remove(id(lt))
            for c in list(lt.kids.values()):
                trg.add_delete(c)
            lt.kids.clear()
        lupd = list(reversed(list(src.upd.values())))
        for lt in lupd:
            self.ltm.move_end(id(lt), lt)
        changed = bool(right) or self.dirty_all
        self.dirty_all = False
        if changed and self.kind != "eval":
            upd_ids = {id(x) for x in lupd}
            for lt in list(self.ltm.values()):
                if id(lt) not in upd_ids and lt.staged != INS:
                    self._apply(lt, sess, trg, False)
        for lt in lupd:
            lt.staged = 0
            self._apply(lt, sess, trg, False)
        for lt in TSets.each(src.ins):
            self.ltm.add(id(lt), lt)
            self._apply(lt, sess, trg, True)


# -- rule paths -----------------------------------------------------------------------------------------

class Path:
    """One `or` branch of a rule: LIA, nodes, terminal node and the RuleExecutor state."""

    def __init__(self, sess, rule, bi, branch):
        self.sess, self.rule, self.bi = sess, rule, bi
        self.staged = TSets()        # LIA output
        self.lia_cp = None
        self.lia_tuples = {}         # handle id -> root LT
        self.nodes = []
        self.dirty = False
        self.queued = False
        self.was_linked = False
        self.tuples = {}             # id(lt) -> lt (RuleExecutor.tupleList)
        self.heap = [] if not isinstance(rule.salience, int) else None
        self.dynamic = self.heap is not None
        self.eager = bool(rule.auto_focus or rule.activation_group or self.dynamic)
        self.group = rule.agenda_group
        ces = list(branch)
        if ces and ces[0][0] == "pattern" and ces[0][1].source is None:
            self.lia_cp = ces.pop(0)[1]
        for kind, ce in ces:
            i = len(self.nodes)
            if kind == "pattern" and ce.source is None:
                self.nodes.append(JoinNode(self, i, ce))
            elif kind in ("not", "exists") and len(ce) == 1 and ce[0][0] == "pattern" and ce[0][1].source is None:
                self.nodes.append(NotNode(self, i, ce[0][1], exists=(kind == "exists")))
            else:
                watch = set()
                _watch(kind, ce, watch)
                self.nodes.append(RecomputeNode(self, i, kind, ce, watch))
        self.initial = self.lia_cp is None   # InitialFact LIA

    @property
    def salience(self):
        if not self.dynamic:
            return self.rule.salience
        h = self.heap
        while h and (not h[0][2].queued or h[0][2].seq != h[0][1]):
            heapq.heappop(h)     # stale entries (cancelled or re-queued matches)
        return -h[0][0] if h else 0

    def priority(self):
        return (self.salience, -self.rule.load_order, -self.bi)

    def linked(self):
        if not self.lia_tuples:
            return False
        return all(n.linked() for n in self.nodes)

    def notify(self):
        """PathMemory.queueRuleAgendaItem (linked rule notified, or just linked) and doUnlinkRule
        (just unlinked): dirty and queued in its group (and the eager list)."""
        self.dirty = True
        now = self.linked()
        if now or self.was_linked or self.tuples:
            self.sess._queue(self)
        self.was_linked = now

    def evaluate(self):
        self.dirty = False
        src = self.staged.take()
        for node in self.nodes:
            trg = TSets()
            node.do(src, trg, self.sess)
            src = trg
        self.sess._terminal(self, src)


def _watch(kind, ce, out):
    if kind == "pattern":
        out.add(id(ce))
        if ce.source is not None:
            sk, val = ce.source
            if sk == "collect":
                for k, c in val:
                    _watch(k, c, out)
            elif sk == "accumulate":
                for k, c in val.source:
                    _watch(k, c, out)
    elif kind in ("not", "exists"):
        for k, c in ce:
            _watch(k, c, out)
    elif kind == "accumulate":
        for k, c in ce.source:
            _watch(k, c, out)



# -- property reactivity (Drools 7 default: PropertySpecificOption.ALWAYS) --------------------------------

ALL = None   # modification mask "every property"


def _prop_of_call(name):
    for pre in ("get", "is", "set"):
        if name.startswith(pre) and len(name) > len(pre) and name[len(pre)].isupper():
            rest = name[len(pre):]
            return rest[0].lower() + rest[1:]
    return None


def listened_properties(cp):
    """Properties a pattern reacts to: those read by its constraints and bindings
    (PatternBuilder's listened properties; @watch is not modelled)."""
    out = set()
    fns = list(cp.alpha) + list(cp.beta) + [c for _v, c in cp.binders]
    for c in fns:
        out |= set(getattr(c, "this_properties", ()) or ())
        for n in getattr(c, "names", ()) or ():
            prop = _prop_of_call(n)
            if prop:
                out.add(prop)
    return frozenset(out)


import re as _re

_MODIFY = _re.compile(r"modify\s*\(\s*([$\w]+)\s*\)\s*\{", _re.S)
_SETTER = r"(?<![\w$]){var}\s*\.\s*((?:set|get|is)[A-Z]\w*|\w+)\s*(\(|=[^=])"


def _block_props(text):
    """Properties a modify block's expressions change: setX(..) -> x, x = .. -> x, getX().m() -> x."""
    props = set()
    depth, cur, parts = 0, "", []
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    for part in parts:
        part = part.strip()
        m = _re.match(r"([A-Za-z_]\w*)\s*(\(|=)", part)
        if not m:
            if part:
                return ALL
            continue
        name = m.group(1)
        if m.group(2) == "=":
            props.add(name)
            continue
        prop = _prop_of_call(name)
        if prop is None:
            return ALL
        props.add(prop)
    return props


def _statements(text):
    """Statements of a consequence, split on ';' and braces at any depth (splitStatementsAcrossBlocks)."""
    out, cur, depth = [], "", 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if depth == 0 and ch in ";{}":
            if cur.strip():
                out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def consequence_masks(rhs_text):
    """var -> set of modified properties (or ALL) for modify(var){..} / update(var) in a consequence,
    as AsmUtil.rewriteModifyDescr / rewriteUpdateDescr compute them."""
    masks = {}
    if not rhs_text:
        return masks

    statements = _statements(rhs_text)

    def outside_setters(var):
        """Statements that start with `var.` (AsmUtil.getModificationMask)."""
        props = set()
        for st in statements:
            m = _re.match(_re.escape(var) + r"\s*\.\s*", st)
            if not m:
                continue
            rest = st[m.end():]
            mm = _re.match(r"(\w+)\s*(\()?", rest)
            if not mm:
                return ALL
            name = mm.group(1)
            if mm.group(2):
                depth, i = 0, mm.end() - 1
                while i < len(rest):
                    depth += {"(": 1, ")": -1}.get(rest[i], 0)
                    i += 1
                    if depth == 0:
                        break
                prop = _prop_of_call(name) if name.startswith("set") else None
                if prop is None and rest[i:].lstrip().startswith("."):
                    prop = _prop_of_call(name)
                if prop is None:
                    return ALL
                props.add(prop)
            else:
                props.add(name)
        return props

    for m in _MODIFY.finditer(rhs_text):
        var = m.group(1)
        depth, i = 1, m.end()
        while i < len(rhs_text) and depth:
            depth += {"{": 1, "}": -1}.get(rhs_text[i], 0)
            i += 1
        bp = _block_props(rhs_text[m.end():i - 1])
        out = outside_setters(var)
        mask = ALL if bp is ALL or out is ALL else bp | out
        prev = masks.get(var, set())
        masks[var] = ALL if mask is ALL or prev is ALL else prev | mask
    for m in _re.finditer(r"(?<![\w.])update\s*\(\s*([$\w]+)\s*\)", rhs_text):
        var = m.group(1)
        out = outside_setters(var)
        mask = out if out else ALL
        prev = masks.get(var, set())
        masks[var] = ALL if mask is ALL or prev is ALL else prev | mask
    return masks


class Group:
    def __init__(self, name):
        self.name = name
        self.items = set()
        self.active = False
        self.activated_for = 0
        self.cleared_for = -1


class PhreakSession(RuleSession):
    def __init__(self, kbase):
        super().__init__(kbase)
        self.paths = []
        for r in kbase.rules:
            for bi, branch in enumerate(r.branches):
                self.paths.append(Path(self, r, bi, branch))
        self.groups = {}
        self.focus_stack = [self._group("MAIN")]
        self.eager_list = []
        self.recency = itertools.count(1)
        self._ctx = {}                 # handle id -> (recency, origin rule name)
        self._lia_by_pat = {}
        self._right_by_pat = {}
        self._watch_by_pat = {}
        for p in self.paths:
            if p.lia_cp is not None:
                self._lia_by_pat.setdefault(id(p.lia_cp), []).append(p)
            for n in p.nodes:
                if n.right_input is not None:
                    self._right_by_pat.setdefault(id(n.right_input), []).append(n)
                if isinstance(n, RecomputeNode):
                    for pid in n.watch:
                        self._watch_by_pat.setdefault(pid, []).append(n)
        self._act_group = {}
        self._listened = {}
        self._masks = {r.name: consequence_masks(r.rule.rhs.text if r.rule.rhs is not None else "")
                       for r in kbase.rules}
        self._mask = ALL
        self._triggered = {}
        self._fseq = itertools.count()
        self.halted = False
        # InitialFact for rules without a leading pattern
        init = FactHandle(0, None)
        self._ctx[0] = (0, None)
        for p in self.paths:
            if p.initial:
                lt = LT(None, init, None, dict(self.globals))
                lt.depth = 0
                p.lia_tuples[0] = lt
                p.staged.add_insert(lt)
                p.notify()

    # -- agenda groups ------------------------------------------------------------------------------
    def _group(self, name):
        g = self.groups.get(name)
        if g is None:
            g = self.groups[name] = Group(name)
        return g

    def _queue(self, p):
        g = self._group(p.group)
        if not p.queued:
            p.queued = True
            g.items.add(p)
        if p.eager and p not in self.eager_list:
            self.eager_list.append(p)

    def _dequeue(self, p):
        if p.queued:
            p.queued = False
            self._group(p.group).items.discard(p)

    def _peek(self, g):
        best = None
        for p in g.items:
            if best is None or p.priority() > best.priority():
                best = p
        return best

    def _next_focus(self):
        while True:
            g = self.focus_stack[-1]
            if not g.items and len(self.focus_stack) > 1:
                g.active = False
                self.focus_stack.pop()
                continue
            if not g.items:
                return None
            if not g.active:
                g.activated_for = self._current_recency()
                g.active = True
            return g

    def _current_recency(self):
        n = next(self.recency)
        self.recency = itertools.count(n)
        return n - 1

    def set_focus(self, group):
        g = self._group(group)
        if self.focus_stack[-1] is g:
            return
        self.focus_stack[-1].active = False
        self.focus_stack.append(g)
        g.active = True
        g.activated_for = self._current_recency()

    def activate_ruleflow_group(self, group):
        self.set_focus(group)

    # -- propagation -----------------------------------------------------------------------------------
    def _propagate(self, handle, deleted=False):
        # alpha memories of the base class (queries, from/collect/accumulate sources)
        obj = handle.obj
        mask, self._mask = self._mask, ALL
        updating = not deleted and handle.version > 0 and self._ctx.get(handle.id) is not None
        touched = []
        for cp in self._patterns_for(obj):
            if cp.entry_point != handle.entry_point:
                continue
            if updating and mask is not ALL:
                lp = self._listened.get(id(cp))
                if lp is None:
                    lp = self._listened[id(cp)] = listened_properties(cp)
                if not (lp & mask):
                    continue       # property reactivity: this pattern ignores the modification
            present = not deleted and self._alpha_ok(cp, obj)
            change = self._touch(cp, handle, present)
            touched.append((cp, present, change))
        if not deleted:
            self._ctx[handle.id] = (next(self.recency), self._firing.name if self._firing is not None else None)
            handle.recency = self._ctx[handle.id][0]
        for cp, present, change in touched:
            for p in self._lia_by_pat.get(id(cp), ()):
                lt = p.lia_tuples.get(handle.id)
                extra = _bind(cp, dict(self.globals), obj) if present else None
                if lt is None and extra is not None:
                    env = dict(self.globals)
                    env.update(extra)
                    lt = LT(None, handle, obj, env)
                    lt.rec = self._ctx.get(handle.id, _CTX0)
                    p.lia_tuples[handle.id] = lt
                    p.staged.add_insert(lt)
                elif lt is not None and extra is None:
                    del p.lia_tuples[handle.id]
                    p.staged.add_delete(lt)
                elif lt is not None:
                    lt.env = dict(self.globals)
                    lt.env.update(extra)
                    lt.rec = self._ctx.get(handle.id, _CTX0)
                    p.staged.add_update(lt)
                else:
                    continue
                p.notify()
            for n in self._right_by_pat.get(id(cp), ()):
                rt = n.rts.get(handle.id)
                if rt is None and present:
                    rt = n.rts[handle.id] = RT(handle)
                    n.staged_right.add_insert(rt)
                elif rt is not None and not present:
                    del n.rts[handle.id]
                    n.staged_right.add_delete(rt)
                elif rt is not None:
                    n.staged_right.add_update(rt)
                else:
                    continue
                n.path.notify()
            if change is not None:
                for n in self._watch_by_pat.get(id(cp), ()):
                    n.dirty_all = True
                    n.path.notify()

    # -- terminal node ------------------------------------------------------------------------------------
    def _most_recent(self, lt):
        return lt.rec

    def _blocked_lock(self, p, recency):
        g = self._group(p.group)
        if g.active and g.activated_for < recency:
            return True
        return g.cleared_for != -1 and g.cleared_for >= recency

    def _key(self, p, lt):
        out = [p.bi]
        t = lt
        chain = []
        while t is not None:
            if t.handle is not None:
                chain.append(t.handle.id)
            elif getattr(t, "rkey", None) is not None:
                chain.append(_freeze(t.rkey))
            t = t.parent
        out.extend(reversed(chain))
        return tuple(out)

    def _terminal(self, p, src):
        rule = p.rule
        for lt in TSets.each(src.dele):
            self._cancel(p, lt)
            if lt.act is not None:
                self._unjustify(rule.name, lt.act.key)
        for lt in TSets.each(src.upd):
            rec, origin = self._most_recent(lt)
            if rule.no_loop and origin == rule.name:
                continue
            if rule.lock_on_active and self._blocked_lock(p, rec):
                continue
            if not lt.queued:
                self._add_tuple(p, lt)
            elif p.dynamic:
                self._add_tuple(p, lt, requeue=True)
        for lt in TSets.each(src.ins):
            if rule.auto_focus and not self._group(p.group).active:
                self.set_focus(p.group)
            rec, origin = self._most_recent(lt)
            if rule.no_loop and origin == rule.name:
                continue
            if rule.lock_on_active and self._blocked_lock(p, rec):
                continue
            if rule.enabled is False:
                continue
            ag = rule.activation_group
            lt.in_group = False
            if ag:
                trig = self._triggered.get(ag, 0)
                if not (trig and trig >= rec):
                    lt.in_group = True
            self._add_tuple(p, lt)

    def _add_tuple(self, p, lt, requeue=False):
        env = lt.env
        lt.salience = self._salience(p.rule, env) if p.dynamic else p.rule.salience
        lt.queued = True
        lt.seq = next(self._fseq)
        p.tuples.pop(id(lt), None)
        p.tuples[id(lt)] = lt
        if p.dynamic:
            heapq.heappush(p.heap, (-lt.salience, lt.seq, lt))
        self._queue(p)

    def _cancel(self, p, lt):
        if lt.queued:
            lt.queued = False
            p.tuples.pop(id(lt), None)

    def _pop_tuple(self, p):
        if p.dynamic:
            while p.heap:
                _s, q, lt = heapq.heappop(p.heap)
                if lt.queued and lt.seq == q and id(lt) in p.tuples:
                    break
            else:
                return None
        else:
            if not p.tuples:
                return None
            lt = p.tuples[next(iter(p.tuples))]
        del p.tuples[id(lt)]
        lt.queued = False
        return lt

    # -- firing -------------------------------------------------------------------------------------------
    def _eval_eager(self):
        while self.eager_list:
            p = self.eager_list.pop(0)
            if p.dirty:
                p.evaluate()

    def _peek_next(self):
        return self._peek(self.focus_stack[-1])

    def fire_all_rules(self, max=-1, agenda_filter=None):
        if self.disposed:
            raise JavaException("java.lang.IllegalStateException",
                                "Illegal method call. This session was previously disposed.")
        self._halt = False
        fired = 0
        while not self._halt and (max < 0 or fired < max):
            self._eval_eager()
            g = self._next_focus()
            if g is None:
                break
            p = self._peek(g)
            if p.dirty:
                p.evaluate()
            if not p.tuples:
                if not p.dirty:
                    self._dequeue(p)
                continue
            fired += self._fire_rule(p, agenda_filter, fired, max)
        main = self.groups["MAIN"]
        if len(self.focus_stack) == 1 and not main.items:
            main.active = False
        return fired

    def _fire_rule(self, p, agenda_filter, fired_before, limit):
        local = 0
        while p.tuples:
            lt = self._pop_tuple(p)
            if lt is None:
                break
            if not self._effective(p.rule) or (agenda_filter is not None and not agenda_filter(p.rule.name)):
                lt.fired = True      # RuleExecutor.cancelAndContinue: consumed, not fired
                continue
            self._fire_tuple(p, lt)
            local += 1
            if self._halt or (limit >= 0 and fired_before + local >= limit):
                break
            self._eval_eager()
            nxt = self._peek_next()
            if nxt is not None and nxt is not p and (nxt.group != p.group or nxt.priority() > p.priority()):
                break
            if p.dirty:
                p.evaluate()
        if not p.dirty and not p.tuples:
            self._dequeue(p)
        return local

    @staticmethod
    def _effective(rule):
        eff, exp = getattr(rule, "effective", None), getattr(rule, "expires", None)
        if eff is None and exp is None:
            return True
        import datetime as _dt
        now = _dt.datetime.now(_dt.timezone.utc)
        try:
            if eff is not None and now < eff:
                return False
            if exp is not None and now > exp:
                return False
        except TypeError:
            now = now.replace(tzinfo=None)
            if eff is not None and now < eff:
                return False
            if exp is not None and now > exp:
                return False
        return True

    def _fire_tuple(self, p, lt):
        rule = p.rule
        lt.fired = True
        ag = rule.activation_group
        if ag and lt.in_group:
            self.clear_activation_group(ag)
            self._triggered[ag] = self._current_recency()
        key = self._key(p, lt)
        facts = [h.obj for h in lt.handles() if h.obj is not None]
        act = Activation(rule, key, lt.env, lt.salience, lt.seq, facts)
        lt.act = act
        old_just = self._justifies.pop((rule.name, key), set())
        env = dict.fromkeys(self.kbase.globals)
        env.update(self.globals)
        env.update(self.kbase.functions)
        env.update(lt.env)
        env.pop("this", None)
        drools = _Drools(self, rule, act)
        env["drools"] = env["kcontext"] = drools
        env["insert"] = self.insert
        env["insertLogical"] = self._insert_logical
        masks = self._masks.get(rule.name, {})
        bound = lt.env

        def masked_update(o, _masks=masks, _bound=bound):
            mask = ALL
            for var, m in _masks.items():
                if _bound.get(var) is o or env.get(var) is o:
                    mask = m
                    break
            self._mask = mask
            try:
                return self._update_object(o)
            finally:
                self._mask = ALL
        env["update"] = env["__modify__"] = masked_update
        env["delete"] = env["retract"] = self._delete_object
        if self.out is not None:
            env["__out__"] = self.out
        prev = self._firing, self._current_activation
        self._firing, self._current_activation = rule, act
        try:
            if rule.consequence is not None:
                rule.consequence(env)
        except Exception as e:
            raise ConsequenceError(rule.name, e) from e
        finally:
            self._firing, self._current_activation = prev
        new_just = self._justifies.get((rule.name, key), set())
        for hid in old_just - new_just:
            js = self._justified.get(hid)
            if js is not None:
                js.discard((rule.name, key))
                if not js and hid in self.facts:
                    self.delete(self.facts[hid])
        for lst in self.listeners:
            cb = getattr(lst, "after_match_fired", None)
            if cb:
                cb(rule.name, facts)

    # -- agenda commands ------------------------------------------------------------------------------------
    def _clear_paths(self, paths, group=None):
        for p in paths:
            if p.dirty:
                p.evaluate()
            while p.tuples:
                self._pop_tuple(p)
        if group is not None:
            group.cleared_for = self._current_recency()

    def clear_agenda(self):
        for name, g in list(self.groups.items()):
            self._clear_paths([p for p in self.paths if p.group == name], g)

    def clear_agenda_group(self, group):
        self._clear_paths([p for p in self.paths if p.group == group], self._group(group))

    clear_ruleflow_group = clear_agenda_group

    def clear_activation_group(self, group):
        for p in self.paths:
            if p.rule.activation_group == group:
                for lt in list(p.tuples.values()):
                    if lt.in_group:
                        self._cancel(p, lt)


# -- accumulate functions as Drools 7.x (drools-core/.../base/accumulators) ------------------------------

def _jhash(v):
    import struct
    from containers.values import JavaBean
    if v is None:
        return 0
    if isinstance(v, bool):
        return 1231 if v else 1237
    if isinstance(v, str):
        h = 0
        for ch in v:
            h = (31 * h + ord(ch)) & 0xFFFFFFFF
        return h
    if isinstance(v, float):
        bits = struct.unpack(">q", struct.pack(">d", v))[0] & 0xFFFFFFFFFFFFFFFF
        return (bits ^ (bits >> 32)) & 0xFFFFFFFF
    if isinstance(v, int):
        from containers.values import Long
        if isinstance(v, Long) or not -2 ** 31 <= v < 2 ** 31:
            u = v & 0xFFFFFFFFFFFFFFFF
            return (u ^ (u >> 32)) & 0xFFFFFFFF
        return v & 0xFFFFFFFF
    if isinstance(v, JavaBean) and type(v)._key_fields:
        h = 1
        for k in type(v)._key_fields:
            h = (31 * h + _jhash(getattr(v, k))) & 0xFFFFFFFF
        return h
    return id(v) & 0x7FFFFFFF


def java_hashset_order(values):
    """Iteration order of a java.util.HashSet built by adding values in order (Java 8+ HashMap:
    spread hash, power-of-two table from 16 doubling past 0.75 load; bucket order, then insertion)."""
    seen = []
    for v in values:
        if v not in seen:
            seen.append(v)
    cap = 16
    while len(seen) > cap * 0.75:
        cap *= 2

    def index(v):
        h = _jhash(v)
        return (h ^ (h >> 16)) & (cap - 1)
    return sorted(seen, key=index)   # sorted() is stable: insertion order within a bucket


def _vals(values):
    return [v for v in values if v is not None]


def _acc_sum(values):
    return float(sum(float(v) for v in _vals(values)))


def _acc_avg(values):
    vals = _vals(values)
    return (sum(float(v) for v in vals) / len(vals)) if vals else None


def _acc_min(values):
    vals = _vals(values)
    return min(vals) if vals else None      # the Comparable itself: Integer stays Integer


def _acc_max(values):
    vals = _vals(values)
    return max(vals) if vals else None


def _acc_collect_set(values):
    from containers.values import JavaSet
    return JavaSet(java_hashset_order(values))


def _acc_count(values):
    from containers.values import Long
    return Long(len(values))


ACC7 = {"sum": _acc_sum, "average": _acc_avg, "min": _acc_min, "max": _acc_max, "count": _acc_count,
        "collectList": list, "collectSet": _acc_collect_set}


def _accumulate7(self, acc, env, single=False):
    from containers.rules import session as _s
    saved = dict(_s._ACC)
    _s._ACC.update(ACC7)
    try:
        return RuleSession._accumulate(self, acc, env, single)
    finally:
        _s._ACC.clear()
        _s._ACC.update(saved)


PhreakSession._accumulate = _accumulate7
