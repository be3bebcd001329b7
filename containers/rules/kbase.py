"""Building a knowledge base: DRL packages compiled into patterns, constraints and consequences."""
from __future__ import annotations

import copy
import re

from containers.expressions import ExpressionError, compile_block, compile_expression
from containers.expressions.runtime import truth
from containers.rules.model import (Accumulate, And, DrlError, Eval, Exists, Forall, NamedConsequence, Not, Or,
                                    Package, Pattern, Src)
from containers.rules.parser import parse_drl
from containers.values import FieldDef, JavaBean, TypeRegistry

_DECL = re.compile(r"(?<![\w.])(?:[A-Za-z_][\w.]*(?:<[^;=]*>)?(?:\[\])*)\s+([A-Za-z_]\w*)\s*=(?!=)")
_EQ_JOIN = re.compile(r"^\s*([A-Za-z_$][\w$]*)\s*==\s*(.+?)\s*$", re.S)
_JAVA_LANG = {"Object", "String", "Integer", "Long", "Double", "Float", "Short", "Byte", "Boolean", "Number",
              "Character", "BigDecimal", "BigInteger", "List", "ArrayList", "Map", "HashMap", "Set", "HashSet",
              "Collection", "Date", "LinkedList", "LinkedHashMap"}
# simple names a DRL resolves without an import (java.lang.*, ClassTypeResolver.defaultClass), and the
# JDK names above (a strict build stays lenient about them)
_IMPLICIT_TYPES = _JAVA_LANG | {
    "CharSequence", "Comparable", "Iterable", "Runnable", "Cloneable", "AutoCloseable", "Appendable",
    "Readable", "Enum", "Class", "ClassLoader", "Math", "StrictMath", "System", "Runtime", "Thread",
    "ThreadGroup", "ThreadLocal", "InheritableThreadLocal", "StringBuilder", "StringBuffer", "Void",
    "Process", "ProcessBuilder", "Package", "StackTraceElement", "SecurityManager", "Throwable",
    "Exception", "Error", "RuntimeException", "IllegalArgumentException", "IllegalStateException",
    "NullPointerException", "ArithmeticException", "ClassCastException", "IndexOutOfBoundsException",
    "ArrayIndexOutOfBoundsException", "StringIndexOutOfBoundsException", "UnsupportedOperationException",
    "NumberFormatException", "ClassNotFoundException", "InterruptedException", "CloneNotSupportedException",
    "SecurityException", "AssertionError", "OutOfMemoryError", "StackOverflowError", "Record", "Override",
    "Deprecated", "FunctionalInterface", "SuppressWarnings", "SafeVarargs"}
# packages whose classes a KIE Server always has on its class path (the JDK and the server's own libraries)
_SERVER_PACKAGES = ("java.", "javax.", "jakarta.", "jdk.", "sun.", "com.sun.", "org.w3c.", "org.xml.",
                    "org.kie.", "org.drools.", "org.jbpm.", "org.optaplanner.", "org.mvel2.", "org.apache.",
                    "org.slf4j.", "com.fasterxml.", "com.thoughtworks.xstream.", "org.hibernate.",
                    "org.jboss.", "org.appformer.", "org.uberfire.", "org.dashbuilder.")
_WILDCARD_IMPORT = re.compile(r"^\s*import\s+(?!function\b|static\b)([A-Za-z_][\w.]*)\.\*", re.M)


class CompiledPattern:
    def __init__(self, pattern: Pattern, matcher, alpha, beta, binders, binding, source, entry_point):
        self.pattern = pattern
        self.matcher = matcher        # obj -> bool (type check)
        self.alpha = alpha            # [compiled fn(env)] needing only `this` and globals
        self.beta = beta              # [compiled fn(env)] needing bound variables
        self.binders = binders        # [(var, compiled fn(env))]
        self.binding = binding
        self.source = source          # None | ("from", fn) | ("collect", [CE]) | ("accumulate", CAccumulate)
        self.entry_point = entry_point or "DEFAULT"
        self.type_name = pattern.java_type
        self.index = None             # ((field, ...), (compiled fn(env) of the other side, ...)) for `field == expr` joins
        self.beta_unindexed = beta    # beta without the `field == expr` constraints the index answers
        self.reads = frozenset()      # properties the pattern reads: a modify of others does not reach it


class CQueryCall:
    """A query called from a rule (or a query): values for its bound parameters, the variables its
    unbound ones bind."""
    def __init__(self, name, variant, inputs, outputs, pull):
        self.name = name
        self.variant = variant        # CQueryVariant (None when the query is unknown)
        self.inputs = inputs          # [(parameter, compiled fn(env))]
        self.outputs = outputs        # [(parameter, variable of the caller)]
        self.pull = pull              # ?name(...): later changes of its facts do not reach the caller


class CQueryVariant:
    """A query compiled for one set of unbound parameters (they are bound by its patterns)."""
    def __init__(self, name):
        self.name = name
        self.branches = []            # [[compiled CE]]


class CAccumulate:
    def __init__(self, source, functions, constraints, inline):
        self.source = source          # [compiled CE]
        self.functions = functions    # [(binding, name, arg fn or None)]
        self.constraints = constraints  # [fn(env)]
        self.inline = inline          # dict of compiled blocks / expression


class CompiledRule:
    def __init__(self, rule, branches, consequence, salience, attrs):
        self.rule = rule
        self.name = rule.name
        self.package = rule.package
        self.load_order = rule.load_order
        self.branches = branches      # [[compiled CE]] (one per `or` branch)
        self.consequence = consequence
        self.branch_consequences = {}   # branch index -> then[name] of a do[name]/break[name] branch
        self.salience = salience      # int or compiled fn(env)
        self.attrs = attrs
        self.no_loop = bool(attrs.get("no-loop"))
        self.lock_on_active = bool(attrs.get("lock-on-active"))
        self.auto_focus = bool(attrs.get("auto-focus"))
        self.activation_group = attrs.get("activation-group")
        self.agenda_group = rule.agenda_group
        self.enabled = attrs.get("enabled", True)
        self.is_query = rule.is_query
        self.params = rule.params
        self.types = set()            # fact type names its patterns read
        self.effective = _drools_date(attrs.get("date-effective"))
        self.expires = _drools_date(attrs.get("date-expires"))
        self.delay_ms = _timer_delay(attrs.get("timer") if attrs.get("timer") is not None else attrs.get("duration"))

    def __repr__(self):
        return f"CompiledRule({self.name!r})"


def _drools_date(v):
    """date-effective / date-expires values: Drools' default format dd-MMM-yyyy [HH:mm[:ss]]."""
    if v is None:
        return None
    import datetime as _dt
    text = str(v).strip().strip('"')
    for fmt in ("%d-%b-%Y %H:%M:%S", "%d-%b-%Y %H:%M", "%d-%b-%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return _dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise DrlError(f"Invalid date '{text}' (expected dd-MMM-yyyy)")


def _timer_delay(v):
    """`timer (int: 5s)`, `timer (5s)`, `duration 5000`: the delay before an activation may fire (ms)."""
    if v is None:
        return 0
    text = str(v).strip()
    if text.startswith("int:"):
        text = text[4:].strip()
    if text.startswith(("cron:", "expr:")):
        return 0
    text = text.split()[0] if text else "0"
    if re.fullmatch(r"\d+", text):
        return int(text)
    total = 0
    for n, unit in re.findall(r"(\d+)\s*(ms|s|m|h|d)", text):
        total += int(n) * {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000}[unit]
    return total


class KieBase:
    def __init__(self, types: TypeRegistry):
        self.types = types
        self.rules = []               # CompiledRule in load order (queries excluded)
        self.queries = {}
        self.globals = {}
        self.functions = {}
        self.imports = {}
        self.packages = []

    def new_session(self):
        from containers.rules.session import RuleSession
        return RuleSession(self)

    @property
    def rule_names(self):
        return [r.name for r in self.rules]


class _EveryProperty(frozenset):
    """The properties a class-reactive pattern (or `@watch(*)`) reads: every modify reaches it."""

    def __and__(self, other):
        return frozenset(("*",))

    __rand__ = __and__


EVERY_PROPERTY = _EveryProperty()


def _class_reactive(cls):
    """A type that opted out of property reactivity (DRL `@classReactive`, Java @ClassReactive)."""
    meta = getattr(cls, "_meta", None) or {}
    return "classReactive" in meta or any(a.endswith(".ClassReactive") for a in meta.get("annotations", ()))


class _Guard:
    """In a branch made for a named consequence: the `if` conditions before it were false and its
    own (cond) is true; negated, the rule's own branch after a break[...]."""
    kind = "guard"

    def __init__(self, prev, cond, negate=False):
        self.prev, self.cond, self.negate = prev, cond, negate


class _GuardFn:
    def __init__(self, fn, names):
        self.fn = fn
        self.names = names


def _named_branches(items):
    """A branch's conditions with do[x] / break[x] (maybe behind if/else) as the branches they make:
    [(conditions, consequence name or None for the rule's own)].  A named consequence fires for the
    match so far (its branch ends there); after a break the rule's own branch needs that branch's
    condition false (Drools' ConditionalBranch / NamedConsequence nodes)."""
    if not any(isinstance(it, NamedConsequence) for it in items):
        return [(items, None)]
    out = []
    main = []
    for it in items:
        if not isinstance(it, NamedConsequence):
            main.append(it)
            continue
        prev = []
        node = it
        while node is not None:
            if node.cond is None and not prev:
                out.append((list(main), node.name))
                if node.is_break:
                    main.append(_Guard([], None, negate=True))
            else:
                out.append((list(main) + [_Guard(list(prev), node.cond)], node.name))
                if node.is_break:
                    main.append(_Guard(list(prev), node.cond, negate=True))
            if node.cond is not None:
                prev.append(node.cond)
            node = node.orelse
    out.append((main, None))
    return out


def _unbound_name(text, known):
    """Whether an argument is a variable not bound yet (a positional argument or a query call binds it)."""
    return bool(re.fullmatch(r"\$?[A-Za-z_]\w*", text)) and text not in known and \
        text not in ("true", "false", "null", "this")


def _copy_ces(ces):
    """A fresh copy of model CEs (compiling a pattern records its positional arguments on it)."""
    return copy.deepcopy(ces)


def _split_dnf(ce):
    """Expand `or` into branches (Drools compiles one sub-rule per branch)."""
    if isinstance(ce, Or):
        out = []
        for item in ce.items:
            out.extend(_split_dnf(item))
        return out
    if isinstance(ce, And):
        branches = [[]]
        for item in ce.items:
            alts = _split_dnf(item)
            branches = [b + (a if isinstance(a, list) else [a]) for b in branches for a in alts]
        return branches
    return [[ce]]


class _Builder:
    def __init__(self, kbase: KieBase, strict_types=False, known_classes=()):
        self.kb = kbase
        self.errors = []
        self.strict_types = strict_types
        self.known_classes = {c.replace("$", ".") for c in known_classes}
        self.query_names = set()
        self.query_models = {}        # query name -> (its model, its package)
        self.query_variants = {}      # (query name, parameters left unbound) -> CQueryVariant
        self.wildcards = {}           # id(Package) -> packages imported with `import p.*;`

    def err(self, src, msg):
        if src is None:
            self.errors.append(msg)
        else:
            self.errors.append(f"{src.file} [{src.line}:{src.col}]: {msg}")

    def expr(self, src: Src, known, constraint=True, dialect="mvel"):
        try:
            return compile_expression(src.text, source_name=src.file, line=src.line, column=src.col,
                                      types=self.kb.types, imports=self.kb.imports, constraint=constraint,
                                      known_names=known, dialect=dialect)
        except ExpressionError as e:
            self.errors.append(str(e))
            return None

    def block(self, src: Src, known=(), dialect="mvel"):
        try:
            return compile_block(src.text, source_name=src.file, line=src.line, column=src.col,
                                 types=self.kb.types, imports=self.kb.imports, known_names=known, dialect=dialect)
        except ExpressionError as e:
            self.errors.append(str(e))
            return None

    # -- types -----------------------------------------------------------------------------------
    def resolve(self, name, pkg: Package):
        base = name.split("<", 1)[0]
        if base in pkg.imports:
            return pkg.imports[base]
        if self.kb.types.get(f"{pkg.name}.{base}") is not None:
            return f"{pkg.name}.{base}"
        cls = self.kb.types.get(base)
        if cls is not None:
            return cls._java_name
        for full in self.kb.imports.values():
            if full.rsplit(".", 1)[-1] == base:
                return full
        return base

    def declare(self, pkg: Package):
        for d in pkg.declarations:
            full = d.name if "." in d.name else f"{pkg.name}.{d.name}"
            existing = self.kb.types.get(d.name) or self.kb.types.get(full)
            if not d.fields and existing is not None:
                existing._meta.update({k: v for k, v in d.annotations.items()})
                continue
            fields = []
            for i, (fname, ftype, default, ann) in enumerate(d.fields):
                dv = None
                if default is not None:
                    c = self.expr(default, (), constraint=False)
                    if c is not None:
                        try:
                            dv = c({})
                        except Exception as e:  # noqa: BLE001
                            self.err(default, f"bad default value for {d.name}.{fname}: {e}")
                elif ftype in ("int", "long", "short", "byte", "double", "float"):
                    dv = 0 if ftype not in ("double", "float") else 0.0
                elif ftype == "boolean":
                    dv = False
                pos = ann.get("position")
                fields.append(FieldDef(fname, ftype, dv, key="key" in ann,
                                       position=int(pos) if pos not in (None, "") else None))
            meta = {"declared": True, "jaxb_access": "field", **d.annotations}
            if d.constants is not None:
                self._declare_enum(d, full, fields, meta)
                pkg.imports.setdefault(d.name.rsplit(".", 1)[-1], full)
                continue
            sup = self.kb.types.get(self.resolve(d.superclass, pkg)) if d.superclass else None
            if not any(f.position is not None for f in fields):
                # a subtype's own fields come after the inherited ones (its constructor takes the
                # supertype's fields first)
                inherited = [f for f in sup._fields if f.name not in {g.name for g in fields}] if sup else []
                base = 1 + max((f.position for f in inherited if f.position is not None), default=-1)
                for i, f in enumerate(fields):
                    f.position = base + i
            self.kb.types.define(full, fields, superclass=sup, meta=meta)
            pkg.imports.setdefault(d.name.rsplit(".", 1)[-1], full)

    def _declare_enum(self, d, full, fields, meta):
        """declare enum Name CONST(args), ...; fields end: each constant built with its arguments."""
        for i, f in enumerate(fields):
            f.position = i
        constants = []
        for cname, args in d.constants:
            values = []
            if args is not None and args.text.strip():
                c = self.expr(Src("[" + args.text + "]", args.file, args.line, args.col - 1), (), constraint=False)
                if c is not None:
                    try:
                        values = list(c({}))
                    except Exception as e:  # noqa: BLE001
                        self.err(args, f"bad arguments for {d.name}.{cname}: {e}")
                if len(values) > len(fields):
                    self.err(args, f"{d.name}.{cname} has {len(values)} arguments for {len(fields)} fields")
                    values = values[:len(fields)]
            constants.append((cname, values))
        self.kb.types.define_enum(full, constants, fields, meta)

    # -- patterns ----------------------------------------------------------------------------------
    def type_matcher(self, java_type):
        simple = java_type.rsplit(".", 1)[-1]
        if simple in _JAVA_LANG and self.kb.types.get(java_type) is None:
            from containers.expressions.statics import instance_of
            if simple == "Object":
                return lambda o: True
            return lambda o: instance_of(o, simple)
        names = {java_type}

        def match(o, _names=names, _simple=simple):
            if not isinstance(o, JavaBean):
                return False
            cls = type(o)
            while cls is not JavaBean:
                jn = cls._java_name
                if jn in _names:
                    return True
                cls = cls.__bases__[0]
            return False
        return match

    def type_resolvable(self, p: Pattern, pkg: Package):
        """Whether Drools' ClassTypeResolver could find the pattern's type on a class path made of
        the server's libraries and the kjar alone (or the pattern calls a query: PatternBuilder)."""
        written = p.type_name.split("<", 1)[0].strip()
        if written in self.query_names:
            return True
        full = p.java_type.split("<", 1)[0]
        if self.kb.types.get(full) is not None or full in self.known_classes:
            return True
        if "." not in written:
            if written in _IMPLICIT_TYPES or f"{pkg.name}.{written}" in self.known_classes:
                return True
            for wild in self.wildcards.get(id(pkg), ()):
                if (wild + ".").startswith(_SERVER_PACKAGES) or f"{wild}.{written}" in self.known_classes:
                    return True
            return written != full and full.startswith(_SERVER_PACKAGES)    # an explicit import
        if written.split(".", 1)[0][:1].isupper():
            return True               # Outer.Inner: a nested class, not looked up here
        return full.startswith(_SERVER_PACKAGES)

    def pattern(self, p: Pattern, pkg, known: set, rule_types: set, dialect):
        p.java_type = self.resolve(p.type_name, pkg)
        if self.strict_types and not self.type_resolvable(p, pkg):
            self.err(p.src, f"Unable to resolve ObjectType '{p.type_name}'")
        rule_types.add(p.java_type)
        matcher = self.type_matcher(p.java_type)
        alpha, beta, binders = [], [], []
        cls = self.kb.types.get(p.java_type)
        # positional arguments: field at position i == value, or an unbound $var binds it
        if p.positional:
            fields = sorted((f for f in cls._fields if f.position is not None), key=lambda f: f.position) \
                if cls is not None else []
            for i, src in enumerate(p.positional):
                if i >= len(fields):
                    self.err(src, f"{p.type_name} has no field at position {i}")
                    continue
                text = src.text.strip()
                if _unbound_name(text, known):
                    # an unbound variable in a positional argument is bound to that field
                    c = self.expr(Src(fields[i].name, src.file, src.line, src.col), known)
                    if c is not None:
                        binders.append((text, c))
                    known.add(text)
                else:
                    p.constraints.append(Src(f"{fields[i].name} == ({text})", src.file, src.line, src.col))
        unified = [(var, src) for var, src in p.bindings if var in p.unify_vars and var in known]
        for var, src in unified:
            # v := field with v already bound: a constraint, not a binding
            p.constraints.append(Src(f"{src.text} == {var}", src.file, src.line, src.col))
        bindings = [(var, src) for var, src in p.bindings if (var, src) not in unified]
        for var, src in bindings:
            c = self.expr(src, known)
            if c is not None:
                binders.append((var, c))
        for var, _ in bindings:
            known.add(var)
        compiled_of = {}
        for src in p.constraints:
            c = self.expr(src, known)
            if c is None:
                continue
            compiled_of[id(src)] = c
            if c.names & known:
                beta.append(c)
            else:
                alpha.append(c)
        fields, probes = [], []
        indexed = set()
        for src in p.constraints if p.source is None else ():
            m = _EQ_JOIN.match(src.text)
            if m is None or "&&" in src.text or "||" in src.text:
                continue
            field, other = m.group(1), m.group(2)
            if field.startswith("$") or field in known or field == "this" or field in fields:
                continue
            right = self.expr(Src(other, src.file, src.line, src.col + m.start(2)), known, constraint=False)
            if right is not None and right.names and right.names <= known:
                fields.append(field)
                probes.append(right)
                if id(src) in compiled_of:
                    indexed.add(id(compiled_of[id(src)]))
        index = (tuple(fields), tuple(probes)) if fields else None
        # bindings may be used by later constraints of the same pattern: evaluate binders first
        source = None
        if p.source is not None:
            kind, val = p.source
            if kind == "from":
                source = ("from", self.expr(val, known, constraint=False))
            elif kind == "collect":
                source = ("collect", self.ces([val], pkg, set(known), rule_types, dialect))
            elif kind == "accumulate":
                source = ("accumulate", self.accumulate(val, pkg, set(known), rule_types, dialect))
            # a pattern over a computed source checks every constraint per element
            beta = alpha + beta
            alpha = []
        if p.binding:
            known.add(p.binding)
        cp = CompiledPattern(p, matcher, alpha, beta, binders, p.binding, source, p.entry_point)
        cp.index = index
        # the constraints an index bucket already guarantees (a hit is Python-equal on every field)
        cp.beta_unindexed = [c for c in beta if id(c) not in indexed] if index and source is None else beta
        # property reactivity: the properties this pattern reads (its constraints and bindings)
        reads = set()
        for c in alpha + beta + [c for _, c in binders]:
            reads |= set(c.this_properties)
        if index:
            reads |= set(index[0])
        if cls is not None and _class_reactive(cls):
            reads = EVERY_PROPERTY
        for w in p.watch:
            if w == "*":
                reads = EVERY_PROPERTY
            elif w == "!*":
                reads = set()
            elif reads is EVERY_PROPERTY:
                if w.startswith("!"):
                    self.err(p.src, f"@watch({w}) after * is not supported")
            elif w.startswith("!"):
                reads.discard(w[1:].strip())
            else:
                reads.add(w)
        cp.reads = reads if reads is EVERY_PROPERTY else frozenset(reads)
        return cp

    def query_call(self, p: Pattern, pkg, known, dialect):
        """name(args;) / ?name(args;) in a rule or query: each argument is an expression of what is
        bound (the query gets its value) or a variable not bound yet (it gets the query's value)."""
        entry = self.query_models.get(p.type_name)
        if entry is None:
            self.err(p.src, f"Unable to resolve query '{p.type_name}'")
            return CQueryCall(p.type_name, None, [], [], p.pull)
        q, qpkg = entry
        if len(p.positional) != len(q.params):
            self.err(p.src, f"query '{q.name}' takes {len(q.params)} arguments, not {len(p.positional)}")
        inputs, outputs = [], []
        for (_t, pname), arg in zip(q.params, p.positional):
            text = arg.text.strip()
            if _unbound_name(text, known):
                outputs.append((pname, text))    # a variable not bound yet: the query binds it
            else:
                c = self.expr(arg, known, constraint=False, dialect=dialect)
                if c is not None:
                    inputs.append((pname, c))
        free = frozenset(pname for pname, _v in outputs)
        variant = self.query_variant(q, qpkg, free)
        known.update(v for _p, v in outputs)
        return CQueryCall(q.name, variant, inputs, outputs, p.pull)

    def query_variant(self, q, qpkg, free):
        """The query compiled with the parameters in `free` unbound (their positional uses bind
        them); made once per shape, before its body, so recursive queries refer to themselves."""
        key = (q.name, free)
        variant = self.query_variants.get(key)
        if variant is not None:
            return variant
        variant = self.query_variants[key] = CQueryVariant(q.name)
        # the unbound parameters are not known inside: their positional uses bind them
        base = set(self.kb.globals) | set(self.kb.functions) | {n for _, n in q.params if n not in free}
        for branch in _split_dnf(q.lhs if isinstance(q.lhs, And) else And([q.lhs])):
            variant.branches.append(self.ces(_copy_ces(branch), qpkg, set(base), set(), q.dialect))
        return variant

    def _guard(self, g, known):
        """The condition of a named consequence's branch as an eval: `if (cond)`s are constraints on
        the last pattern's fact."""
        prev = [c for c in (self.expr(x, known) for x in g.prev) if c is not None]
        cond = self.expr(g.cond, known) if g.cond is not None else None
        negate = g.negate

        def fn(env):
            e = dict(env)
            e["this"] = env.get("__last__")
            ok = not any(truth(c(e)) for c in prev) and (cond is None or truth(cond(e)))
            return ok != negate
        return _GuardFn(fn, set().union(*[getattr(c, "names", set()) for c in prev + ([cond] if cond else [])]))

    def accumulate(self, acc: Accumulate, pkg, known, rule_types, dialect):
        inner_known = set(known)
        source = self.ces([acc.source], pkg, inner_known, rule_types, dialect)
        functions = []
        for binding, name, arg in acc.functions:
            fn = self.expr(arg, inner_known, constraint=False) if arg is not None else None
            if name == "sum" and arg is not None:
                name = self._typed_sum(acc.source, arg.text.strip())
            functions.append((binding, name, fn))
            if binding:
                known.add(binding)
        constraints = [c for c in (self.expr(s, known | {b for b, _, _ in acc.functions if b}, constraint=False)
                                   for s in acc.constraints) if c is not None]
        inline = None
        if acc.inline:
            # variables declared in init() live in the accumulate context shared by action/result
            names = []
            parts = dict(acc.inline)
            if "init" in parts:
                src = parts["init"]
                names = _DECL.findall(src.text)
                parts["init"] = Src(_DECL.sub(lambda m: m.group(1) + " =", src.text), src.file, src.line, src.col)
            ctx_known = inner_known | set(names)
            inline = {k: (self.expr(v, ctx_known, constraint=False) if k == "result"
                          else self.block(v, ctx_known, dialect)) for k, v in parts.items()}
            inline["__vars__"] = names
        return CAccumulate(source, functions, constraints, inline)

    def _typed_sum(self, source, var):
        """Drools picks sumI/sumL for an int/long expression (AccumulateUtil.getFunctionName); the
        type is known here when the argument is a variable bound to a declared field."""
        if getattr(source, "kind", None) != "pattern":
            return "sum"
        cls = self.kb.types.get(source.type_name)
        field = next((b.text.strip() for v, b in source.bindings if v == var), None)
        fdef = next((f for f in getattr(cls, "_fields", ()) if f.name == field), None)
        kind = getattr(fdef, "type", None)
        if kind in ("int", "java.lang.Integer"):
            return "sumI"
        if kind in ("long", "java.lang.Long"):
            return "sumL"
        return "sum"

    def ces(self, items, pkg, known, rule_types, dialect):
        out = []
        for ce in items:
            if isinstance(ce, Pattern) and ce.source is None and (ce.pull or ce.type_name in self.query_models) \
                    and not ce.constraints and not ce.bindings:
                out.append(("query", self.query_call(ce, pkg, known, dialect)))
            elif isinstance(ce, Pattern):
                if ce.unify and ce.binding in known:
                    # $v := P(...) with $v bound: the fact must be $v
                    ce.constraints.append(Src(f"this == {ce.binding}", ce.src.file, ce.src.line, ce.src.col))
                    ce.binding = None
                out.append(("pattern", self.pattern(ce, pkg, known, rule_types, dialect)))
            elif isinstance(ce, (Not, Exists)):
                # an `or` inside moves up as Drools' LogicTransformer moves it: not(a or b) is
                # not(a) and not(b); exists(a or b) is not(not(a) and not(b))
                alts = _split_dnf(ce.ce)
                kind = "not" if isinstance(ce, Not) else "exists"
                if len(alts) == 1:
                    out.append((kind, self.ces(_flat(ce.ce), pkg, set(known), rule_types, dialect)))
                else:
                    nots = [("not", self.ces(alt, pkg, set(known), rule_types, dialect)) for alt in alts]
                    if kind == "not":
                        out.extend(nots)
                    else:
                        out.append(("not", nots))
            elif isinstance(ce, Eval):
                c = self.expr(ce.expr, known, constraint=False, dialect=dialect)
                if c is not None:
                    out.append(("eval", c))
            elif isinstance(ce, Forall):
                first, rest = ce.items[0], ce.items[1:]
                inner_known = set(known)
                first_c = self.ces([first], pkg, inner_known, rule_types, dialect)
                if not rest:   # forall(P) == not(exists P that fails) -> P matches all: treat as true
                    continue
                rest_c = self.ces(rest, pkg, inner_known, rule_types, dialect)
                out.append(("not", first_c + [("not", rest_c)]))
            elif isinstance(ce, Accumulate):
                out.append(("accumulate", self.accumulate(ce, pkg, known, rule_types, dialect)))
            elif isinstance(ce, And):
                out.extend(self.ces(ce.items, pkg, known, rule_types, dialect))
            elif isinstance(ce, _Guard):
                out.append(("eval", self._guard(ce, known)))
            elif isinstance(ce, NamedConsequence):
                self.err(ce.src, "do[...] and break[...] belong at the top of a rule's conditions")
            elif isinstance(ce, Or):
                self.err(None, "'or' inside forall or accumulate is not supported")
            else:
                self.err(None, f"unsupported conditional element {ce!r}")
        return out

    def rule(self, rule, pkg):
        from containers.rules.model import And as _And
        branches = []
        rule_types = set()
        base_known = set(self.kb.globals) | set(self.kb.functions) | {n for _, n in rule.params}
        named = []        # the consequence each branch fires: None for the rule's own
        for branch in _split_dnf(rule.lhs if isinstance(rule.lhs, _And) else _And([rule.lhs])):
            for items, name in _named_branches(branch):
                known = set(base_known)
                branches.append((self.ces(_copy_ces(items) if name else items, pkg, known, rule_types,
                                          rule.dialect), known))
                named.append(name)
        known_all = set().union(*(k for _, k in branches)) if branches else base_known
        consequence = None
        if rule.rhs is not None and rule.rhs.text.strip():
            consequence = self.block(rule.rhs, known_all, rule.dialect)
        branch_consequences = {}
        for bi, name in enumerate(named):
            if name is None:
                continue
            src = rule.named_rhs.get(name)
            if src is None:
                self.err(None, f"Rule \"{rule.name}\": unknown consequence {name}")
                continue
            branch_consequences[bi] = self.block(src, branches[bi][1], rule.dialect) if src.text.strip() else None
        sal = rule.attributes.get("salience", 0)
        if isinstance(sal, Src):
            text = sal.text.strip()
            if re.fullmatch(r"-?\d+", text):
                sal = int(text)
            else:
                sal = self.expr(sal, known_all, constraint=False)
        attrs = dict(rule.attributes)
        if isinstance(attrs.get("enabled"), Src):
            c = self.expr(attrs["enabled"], known_all, constraint=False)
            attrs["enabled"] = bool(c({})) if c is not None else True
        cr = CompiledRule(rule, [b for b, _ in branches], consequence, sal, attrs)
        cr.types = rule_types
        cr.branch_consequences = branch_consequences
        return cr


def _flat(ce):
    return ce.items if isinstance(ce, And) else [ce]


def build_kbase(drl_sources, types: TypeRegistry | None = None, *, strict_types=False,
                known_classes=()) -> KieBase:
    """Compile [(file name, DRL text)] into a KieBase; raises DrlError listing every problem.

    strict_types: a pattern on a type nothing can provide fails the build with Drools' "Unable to
    resolve ObjectType 'X'" (PatternBuilder).  Known are the registry's classes (the kjar's and the
    DRL's declared types), `known_classes` (names of every class the caller can see, e.g. the kjar's
    interfaces and enums), java.lang, and the packages of the JDK and of the server's libraries.  Off
    by default: a caller that cannot see the whole class path (a kjar with jar dependencies, or
    DRL alone) compiles such a pattern, which then matches nothing."""
    types = types if types is not None else TypeRegistry()
    kb = KieBase(types)
    b = _Builder(kb, strict_types, known_classes)
    packages = []
    order = 0
    for name, text in drl_sources:
        try:
            pkg = parse_drl(text, name, order)
        except DrlError as e:
            b.errors.extend(e.errors)
            continue
        order += len(pkg.rules)
        packages.append(pkg)
        b.wildcards[id(pkg)] = _WILDCARD_IMPORT.findall(text)
        b.query_names.update(r.name for r in pkg.rules if r.is_query)
        # a copy as parsed: compiling a query records its positional arguments on its patterns
        b.query_models.update((r.name, (copy.deepcopy(r), pkg)) for r in pkg.rules if r.is_query)
    for pkg in packages:
        kb.imports.update(pkg.imports)
    for pkg in packages:
        b.declare(pkg)
        kb.imports.update(pkg.imports)
        for g, t in pkg.globals.items():
            kb.globals[g] = t
    for pkg in packages:
        for fn in pkg.functions:
            block = b.block(fn.body, {p for _, p in fn.params} | set(kb.globals), pkg.dialect)
            if block is not None:
                kb.functions[fn.name] = _make_function(fn, block, kb)
    for pkg in packages:
        for rule in pkg.rules:
            cr = b.rule(rule, pkg)
            if rule.is_query:
                kb.queries[rule.name] = cr
            else:
                kb.rules.append(cr)
    names = [r.name for r in kb.rules]
    for n in set(names):
        if names.count(n) > 1:
            b.errors.append(f"Duplicate rule name: {n}")
    if b.errors:
        raise DrlError(b.errors)
    kb.packages = packages
    return kb


def _make_function(fn, block, kb):
    from containers.expressions import coerce
    params = [p for _, p in fn.params]
    ptypes = [t for t, _ in fn.params]

    def call(*args):
        env = dict(kb.functions)
        env.update(zip(params, (coerce(a, t) for a, t in zip(args, ptypes))))
        return block(env)
    call.__name__ = fn.name
    return call
