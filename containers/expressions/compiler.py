"""AST -> Python source -> one compiled function per expression or block (no tree walking at run time)."""
from __future__ import annotations

import itertools

from containers.values import Char, JavaEnum
from containers.expressions import runtime as R
from containers.expressions import statics as S
from containers.expressions.convert import coerce
from containers.expressions.lexer import ExpressionError
from containers.expressions.parser import PRIMITIVES, N, Parser

_BIN = {"+": "_add", "-": "_sub", "*": "_mul", "/": "_div", "%": "_mod", "==": "_eq", "!=": "_ne",
        "<": "_lt", "<=": "_le", ">": "_gt", ">=": "_ge"}
_BITS = {"&", "|", "^", "<<", ">>", ">>>"}
_PRIM_DEFAULT = {"int": 0, "long": 0, "short": 0, "byte": 0, "double": 0.0, "float": 0.0, "boolean": False,
                 "char": "\x00"}
_COERCED_DECL = PRIMITIVES | {"Integer", "Long", "Double", "Float", "Short", "Byte", "Boolean", "String",
                              "BigDecimal", "java.math.BigDecimal", "java.lang.Integer", "java.lang.Long",
                              "java.lang.Double", "java.lang.String"}

# typed locals whose assigned values may need widening (`double d; d = 5;` keeps 5.0, `long n = ...; n = 1` a Long)
_WIDENED_DECL = {"long", "double", "float", "short", "byte", "Long", "Double", "Float", "java.lang.Long",
                 "java.lang.Double", "java.lang.Float", "BigDecimal", "java.math.BigDecimal"}

_BASE_GLOBALS = {
    "_add": R.add, "_sub": R.sub, "_mul": R.mul, "_div": R.div, "_mod": R.mod, "_neg": R.neg,
    "_eq": R.eq, "_ne": R.ne, "_lt": R.lt, "_le": R.le, "_gt": R.gt, "_ge": R.ge, "_truth": R.truth,
    "_bitop": R.bitop, "_get": R.getprop_fast, "_get_safe": R.getprop_safe, "_set": R.setprop, "_index": R.index,
    "_setindex": R.setindex, "_call": R.call, "_wordop": R.wordop, "_strop": R.strop, "_in": R.in_,
    "_iter": R.iterate, "_JavaException": R.JavaException, "_coerce": coerce, "_S": S.STATICS,
    "_SF": S.STATIC_FIELDS, "_NODICT": {}, "_construct": S.construct, "_instanceof": S.instance_of, "_Char": Char,
}


class Compiled:
    """A compiled expression or block: call it with an env dict."""

    __slots__ = ("fn", "names", "this_properties", "assigned", "source", "source_name", "line", "column", "python")

    def __init__(self, fn, names, this_properties, assigned, source, source_name, line, column, python):
        self.fn = fn
        self.names = frozenset(names)
        self.this_properties = frozenset(this_properties)
        self.assigned = frozenset(assigned)
        self.source = source
        self.source_name = source_name
        self.line = line
        self.column = column
        self.python = python

    def __call__(self, env):
        try:
            return self.fn(env)
        except R.JavaException as e:
            if getattr(e, "source_name", None) is None:  # where it happened, without changing the Java message
                e.source_name, e.line, e.column = self.source_name, self.line, self.column
                e.add_note(f"at {self.source_name} [{self.line}:{self.column}]: {self.source.strip()[:120]}")
            raise
        except KeyError as e:
            raise ExpressionRuntimeError(f"unresolved variable '{e.args[0]}'", self) from None
        except ExpressionRuntimeError:
            raise
        except (TypeError, AttributeError, ValueError, ZeroDivisionError, OverflowError) as e:
            raise ExpressionRuntimeError(str(e), self) from e

    def __repr__(self):
        return f"Compiled({self.source!r})"


class ExpressionRuntimeError(Exception):
    def __init__(self, message, compiled=None):
        where = f"{compiled.source_name} [{compiled.line}:{compiled.column}]: " if compiled else ""
        self.message = message
        super().__init__(f"{where}{message} (in: {compiled.source.strip()[:120] if compiled else ''})")


class _Gen:
    def __init__(self, parser, *, types, imports, constraint, known_names, block, dialect="mvel"):
        self.p = parser
        self.dialect = dialect
        self.types = types
        self.imports = dict(imports or {})
        self.constraint = constraint
        self.known = set(known_names or ())
        self.block = block
        self.scopes = [{}]
        self.local_types = {}     # python local -> declared Java type whose values need widening on assignment
        self.loops = []           # innermost loop last: None, ("for", updates) or ("do", condition)
        self.with_target = None   # the temp holding x while compiling the items of modify (x) { ... }
        self.counter = itertools.count()
        self.names = set()
        self.this_props = set()
        self.bare = set()         # undeclared names assigned in the block (env-or-local)
        self.consts = {}
        self.uses_this = False
        self.uses_this_dict = False
        self.lines = []
        self.indent = 1

    # -- helpers -------------------------------------------------------------------------------
    def error(self, msg, node):
        self.p.error(msg, node.tok)

    def const(self, value):
        key = (type(value), value)
        name = self.consts.get(key)
        if name is None:
            name = f"_K{len(self.consts)}"
            self.consts[key] = name
        return name

    def local(self, name):
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    def declare(self, name):
        py = f"l_{name.replace('$', '_S_')}_{next(self.counter)}"
        self.scopes[-1][name] = py
        return py

    def emit(self, line):
        self.lines.append("    " * self.indent + line)

    def resolve_type(self, name):
        base = name.split("<", 1)[0]
        return self.imports.get(base, base)

    def static_class(self, node):
        """The simple name of a known Java library class written as `Math` or `java.lang.Math`, else None."""
        if node.kind == "name":
            return node.a[0] if self.is_static_class(node) else None
        parts = []
        while node.kind == "prop" and not node.a[2]:
            parts.append(node.a[1])
            node = node.a[0]
        if node.kind != "name" or node.a[0] not in ("java", "javax") or self.local(node.a[0]) is not None \
                or node.a[0] in self.known or len(parts) < 2:
            return None
        simple = parts[0]
        return simple if simple in S.STATIC_CLASSES else None

    def enum_class(self, node):
        """The container's enum class a name (`Color`, `org.x.Color`) stands for, else None."""
        if self.types is None:
            return None
        if node.kind == "name":
            name = node.a[0]
            if self.local(name) is not None or name in self.known or name.startswith("$") or name in self.bare:
                return None
            full = self.resolve_type(name)
        else:
            parts = []
            while node.kind == "prop" and not node.a[2]:
                parts.append(node.a[1])
                node = node.a[0]
            if node.kind != "name" or self.local(node.a[0]) is not None or node.a[0] in self.known:
                return None
            full = ".".join([node.a[0]] + parts[::-1])
        cls = self.types.get(full)
        return cls if cls is not None and issubclass(cls, JavaEnum) else None

    def is_static_class(self, node):
        return (node.kind == "name" and node.a[0] in S.STATIC_CLASSES and self.local(node.a[0]) is None
                and node.a[0] not in self.known)

    # -- expressions ---------------------------------------------------------------------------
    _BOOL_OPS = frozenset(("&&", "||", "==", "!=", "<", "<=", ">", ">="))
    _BOOL_KINDS = frozenset(("not", "instanceof", "in", "wordop", "strop"))

    def test(self, n: N) -> str:
        """A condition: nodes that always yield a Python bool skip the _truth() call."""
        if n.kind in self._BOOL_KINDS or (n.kind == "bin" and n.a[0] in self._BOOL_OPS) \
                or (n.kind == "lit" and isinstance(n.a[0], bool)):
            return self.expr(n)
        return f"_truth({self.expr(n)})"

    def expr(self, n: N) -> str:
        k = n.kind
        a = n.a
        if k == "lit":
            v = a[0]
            if v is None or v is True or v is False:
                return repr(v)
            if type(v) in (int, float, str):
                return repr(v)
            return self.const(v)
        if k == "char":
            return self.const(Char(a[0]))
        if k == "name":
            return self.name(a[0], n)
        if k == "this":
            self.uses_this = True
            return "_this"
        if k == "bin":
            op, left, right = a
            if op == "&&":
                return f"({self.test(left)} and {self.test(right)})"
            if op == "||":
                return f"({self.test(left)} or {self.test(right)})"
            if op in _BITS:
                return f"_bitop({op!r}, {self.expr(left)}, {self.expr(right)})"
            return f"{_BIN[op]}({self.expr(left)}, {self.expr(right)})"
        if k == "not":
            return f"(not {self.test(a[0])})"
        if k == "neg":
            return f"_neg({self.expr(a[0])})"
        if k == "bitnot":
            return f"(~{self.expr(a[0])})"
        if k == "cond":
            return f"({self.expr(a[1])} if {self.test(a[0])} else {self.expr(a[2])})"
        if k == "prop":
            target, name, safe = a
            cls = self.static_class(target)
            if cls is not None:
                key = f"{cls}.{name}"
                if key in S.STATIC_FIELDS:
                    return f"_SF[{key!r}]"
                if key == "System.out" or key == "System.err":
                    return "None"
            ecls = self.enum_class(target) if target.kind in ("name", "prop") else None
            if ecls is not None:
                if name not in ecls._constants:
                    self.error(f"{ecls._java_name} has no constant {name}", n)
                return self.const(ecls._constants[name])
            if target.kind == "this":
                self.this_props.add(name)
                if not safe:
                    self.uses_this = True
                    return self.this_get(name)
            t = self.expr(target)
            return f"{'_get_safe' if safe else '_get'}({t}, {name!r})"
        if k == "call":
            return self.call(n)
        if k == "fcall":
            name, args = a
            loc = self.local(name)
            argl = ", ".join(self.expr(x) for x in args)
            if loc is not None:
                return f"{loc}({argl})"
            if self.constraint and name not in self.known:
                # a function from env (DRL function, helper) or else a method of the implicit `this`
                self.uses_this = True
                if name.startswith(("get", "is")) and not args:
                    prop = name[3:] if name.startswith("get") else name[2:]
                    if prop:
                        self.this_props.add(prop[:1].lower() + prop[1:])
                return f"_fcall_this(env, _this, {name!r}, [{argl}])"
            self.names.add(name)
            return f"env[{name!r}]({argl})"
        if k == "index":
            return f"_index({self.expr(a[0])}, {self.expr(a[1])})"
        if k == "list":
            return "[" + ", ".join(self.expr(x) for x in a[0]) + "]"
        if k == "map":
            return "{" + ", ".join(f"{self.expr(kk)}: {self.expr(vv)}" for kk, vv in a[0]) + "}"
        if k == "new":
            typ, args = a
            return f"_construct({self.resolve_type(typ)!r}, [{', '.join(self.expr(x) for x in args)}], _types)"
        if k == "newarray":
            typ, size = a
            default = _PRIM_DEFAULT.get(typ.split("[")[0])
            return f"[{default!r}] * ({self.expr(size)})" if size is not None else "[]"
        if k == "instanceof":
            return f"_instanceof({self.expr(a[0])}, {self.resolve_type(a[1])!r}, _types)"
        if k == "cast":
            typ = a[0]
            inner = self.expr(a[1])
            base = typ.split("<")[0]
            if base in PRIMITIVES or base in _COERCED_DECL:
                return f"_cast({inner}, {base!r})"
            return inner
        if k == "in":
            return f"_in({self.expr(a[0])}, [{', '.join(self.expr(x) for x in a[1])}])"
        if k == "wordop":
            op, left, right = a
            return f"_wordop({op!r}, {self.expr(left)}, {self.expr(right)})"
        if k == "strop":
            which, left, right = a
            return f"_strop({which!r}, {self.expr(left)}, {self.expr(right)})"
        if k in ("assign", "incr"):
            self.error("assignments and ++/-- are only allowed as statements here", n)
        self.error(f"unsupported expression ({k})", n)

    def this_get(self, name):
        """A property of the fact: read straight from its attribute dict (JavaBean fields), else _get()."""
        self.uses_this_dict = True
        return f"(_td[{name!r}] if {name!r} in _td else _get(_this, {name!r}))"

    def name(self, name, node):
        loc = self.local(name)
        if loc is not None:
            return loc
        if self.with_target is not None and name not in self.bare and not name.startswith("$") \
                and name not in self.known:
            # MVEL `with` semantics inside modify (x) { ... }: a bare name is a property of x if x has it
            return f"_with_get({self.with_target}, {name!r}, env)"
        if name in self.bare:
            self.names.add(name)
            return f"(_loc[{name!r}] if {name!r} in _loc else env[{name!r}])"
        if self.constraint and name not in self.known and not name.startswith("$"):
            self.uses_this = True
            self.this_props.add(name)
            return self.this_get(name)
        self.names.add(name)
        return f"env[{name!r}]"

    def call(self, n):
        target, name, args, safe = n.a
        argl = ", ".join(self.expr(x) for x in args)
        if target.kind == "prop" and target.a[1] in ("out", "err") and self.static_class(target.a[0]) == "System":
            if name in ("println", "print", "printf", "format"):
                self.names.discard("System")
                nl = name == "println"
                return f"_print(env, [{argl}], {nl!r}, {target.a[1]!r}, {name in ('printf', 'format')!r})"
        cls = self.static_class(target)
        if cls is not None:
            key = f"{cls}.{name}"
            if key in S.STATICS:
                return f"_S[{key!r}]({argl})"
            self.error(f"unknown static method {key}()", n)
        ecls = self.enum_class(target) if target.kind in ("name", "prop") else None
        if ecls is not None:
            return f"_call({self.const(ecls)}, {name!r}, [{argl}])"
        t = self.expr(target)
        if target.kind == "this" and name.startswith(("get", "is")) and not args:
            prop = name[3:] if name.startswith("get") else name[2:]
            self.this_props.add(prop[:1].lower() + prop[1:])
        if safe:
            tmp = f"_t{next(self.counter)}"
            return f"(None if ({tmp} := {t}) is None else _call({tmp}, {name!r}, [{argl}]))"
        return f"_call({t}, {name!r}, [{argl}])"

    # -- statements ----------------------------------------------------------------------------
    def stmts(self, nodes):
        for s in nodes:
            self.stmt(s)

    def body(self, node):
        """A nested statement in its own scope; always emits at least `pass`."""
        self.indent += 1
        self.scopes.append({})
        before = len(self.lines)
        if node.kind == "block":
            self.stmts(node.a[0])
        else:
            self.stmt(node)
        if len(self.lines) == before:
            self.emit("pass")
        self.scopes.pop()
        self.indent -= 1

    def stmt(self, n: N):
        k = n.kind
        a = n.a
        if k == "block":
            self.scopes.append({})
            self.stmts(a[0])
            self.scopes.pop()
        elif k == "expr_stmt":
            self.expr_stmt(a[0])
        elif k == "decl":
            typ, decls = a
            base = typ.split("<")[0]
            for name, init, _tok in decls:
                value = self.expr(init) if init is not None else repr(_PRIM_DEFAULT.get(base))
                if init is not None and base in _COERCED_DECL and base != "var":
                    if init.kind == "lit":   # `int i = 0;`: converted once, here
                        value = self.expr(N("lit", init.tok, coerce(init.a[0], base)))
                    else:
                        value = f"_coerce({value}, {base!r})"
                py = self.declare(name)
                if base in _WIDENED_DECL:
                    self.local_types[py] = base
                self.emit(f"{py} = {value}")
        elif k == "if":
            self.emit(f"if {self.test(a[0])}:")
            self.body(a[1])
            other = a[2]
            while other is not None and other.kind == "if":
                self.emit(f"elif {self.test(other.a[0])}:")
                self.body(other.a[1])
                other = other.a[2]
            if other is not None:
                self.emit("else:")
                self.body(other)
        elif k == "while":
            self.emit(f"while {self.test(a[0])}:")
            self.loops.append(None)
            self.body(a[1])
            self.loops.pop()
        elif k == "dowhile":
            self.emit("while True:")
            self.indent += 1
            self.scopes.append({})
            self.loops.append(("do", a[1]))
            inner = a[0].a[0] if a[0].kind == "block" else [a[0]]
            self.stmts(inner)
            self.loops.pop()
            self.emit(f"if not {self.test(a[1])}:")
            self.emit("    break")
            self.scopes.pop()
            self.indent -= 1
        elif k == "for":
            init, cond, update, body = a
            self.scopes.append({})
            for s in init:
                self.stmt(s)
            self.emit(f"while {self.test(cond) if cond is not None else 'True'}:")
            self.loops.append(("for", update))
            self.body(body)
            self.loops.pop()
            self.indent += 1
            for s in update:   # `continue` runs the update too (see the continue statement); `break` does not
                self.stmt(s)
            self.indent -= 1
            self.scopes.pop()
        elif k == "foreach":
            var, it, body = a
            self.scopes.append({})
            py = self.declare(var)
            self.emit(f"for {py} in _iter({self.expr(it)}):")
            self.loops.append(None)
            self.body(body)
            self.loops.pop()
            self.scopes.pop()
        elif k == "return":
            self.emit(f"return {self.expr(a[0]) if a[0] is not None else 'None'}")
        elif k == "break":
            self.emit("break")
        elif k == "continue":
            loop = self.loops[-1] if self.loops else None
            if loop is not None and loop[0] == "for":
                for s in loop[1]:
                    self.stmt(s)
            elif loop is not None and loop[0] == "do":
                self.emit(f"if not {self.test(loop[1])}: break")
            self.emit("continue")
        elif k == "throw":
            self.emit(f"_throw({self.expr(a[0])})")
        elif k == "try":
            body, catches, final = a
            self.emit("try:")
            self.body(body)
            for typ, name, cbody in catches:
                simple = (typ or "Exception").rsplit(".", 1)[-1]
                self.scopes.append({})
                py = self.declare(name)
                self.emit(f"except Exception as {py}:")
                self.indent += 1
                if simple not in ("Exception", "Throwable", "RuntimeException"):
                    self.emit(f"if not _catches({py}, {simple!r}): raise")
                self.indent -= 1
                self.body(cbody)
                self.scopes.pop()
            if final is not None:
                self.emit("finally:")
                self.body(final)
            if not catches and final is None:
                self.emit("finally:")
                self.emit("    pass")
        elif k == "modify":
            target, items = a
            tmp = f"_m{next(self.counter)}"
            self.emit(f"{tmp} = {self.expr(target)}")
            props = []
            for it in items:
                if it.kind == "assign" and it.a[1].kind == "name":
                    props.append(it.a[1].a[0])
                elif it.kind == "fcall" and it.a[0].startswith("set") and len(it.a[0]) > 3:
                    props.append(it.a[0][3].lower() + it.a[0][4:])
                else:
                    props = None
                    break
            self.with_target = tmp if self.dialect != "java" else None
            for it in items:
                if it.kind == "assign" and it.a[1].kind == "name":
                    op, tgt, val = it.a
                    prop = tgt.a[0]
                    value = self.expr(val)
                    if op != "=":
                        value = f"{_BIN[op[:-1]]}(_get({tmp}, {prop!r}), {value})"
                    self.emit(f"_set({tmp}, {prop!r}, {value})")
                elif it.kind == "fcall":
                    fname, args = it.a
                    self.emit(f"_call({tmp}, {fname!r}, [{', '.join(self.expr(x) for x in args)}])")
                elif it.kind == "assign":
                    self.expr_stmt(it)
                else:
                    self.emit(self.expr(it))
            self.with_target = None
            self.emit(f"_modified(env, {tmp}, {tuple(props) if props is not None else None!r})")
        else:
            self.error(f"unsupported statement ({k})", n)

    def expr_stmt(self, e: N):
        if e.kind == "assign":
            op, target, value = e.a
            rhs = self.expr(value)
            if op != "=":
                rhs = (f"_bitop({op[:-1]!r}, {self.expr(target)}, {rhs})" if op[:-1] in _BITS
                       else f"{_BIN[op[:-1]]}({self.expr(target)}, {rhs})")
            self.store(target, rhs)
        elif e.kind == "incr":
            op, target, _prefix = e.a
            fn = "_add" if op == "++" else "_sub"
            self.store(target, f"{fn}({self.expr(target)}, 1)")
        else:
            self.emit(self.expr(e))

    def store(self, target, rhs):
        if target.kind == "name":
            name = target.a[0]
            loc = self.local(name)
            if loc is not None:
                typ = self.local_types.get(loc)
                self.emit(f"{loc} = _coerce({rhs}, {typ!r})" if typ else f"{loc} = {rhs}")
                return
            self.bare.add(name)
            self.emit(f"_v = {rhs}")
            self.emit(f"if {name!r} in env: env[{name!r}] = _v")
            self.emit(f"else: _loc[{name!r}] = _v")
        elif target.kind == "prop":
            obj, name, _safe = target.a
            if obj.kind == "this":
                self.this_props.add(name)
            self.emit(f"_set({self.expr(obj)}, {name!r}, {rhs})")
        elif target.kind == "index":
            self.emit(f"_setindex({self.expr(target.a[0])}, {self.expr(target.a[1])}, {rhs})")
        else:
            self.error("invalid assignment target", target)


def _print(env, args, newline, stream, fmt):
    from containers.values import to_java_string
    if fmt:
        text = R._str_format(args[0], *args[1:])
    else:
        text = to_java_string(args[0]) if args else ""
    hook = env.get("__out__")
    if hook is not None:
        hook(text + ("\n" if newline else ""))
    else:
        import sys
        (sys.stderr if stream == "err" else sys.stdout).write(text + ("\n" if newline else ""))


_CAST_BITS = {"int": 32, "long": 64, "short": 16, "byte": 8}


def _cast(v, typ):
    """A cast: narrowing primitive conversions wrap (long -> int) or saturate (double -> int) as in Java."""
    bits = _CAST_BITS.get(typ)
    if bits is not None and isinstance(v, (int, float)) and not isinstance(v, bool):
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        if isinstance(v, float):
            if v != v:
                v = 0
            else:
                v = int(max(min(v, 9.3e18), -9.3e18))
                v = max(min(v, hi if bits >= 32 else (1 << 31) - 1), lo if bits >= 32 else -(1 << 31))
        v = ((int(v) - lo) % (1 << bits)) + lo
    return coerce(v, typ)


def _with_get(obj, name, env):
    if isinstance(obj, R.JavaBean):
        if name in type(obj)._field_names or (type(obj)._dynamic and name in obj.__dict__):
            return getattr(obj, name)
    elif isinstance(obj, dict):
        if name in obj:
            return obj[name]
    return env[name]


def _fcall_this(env, this, name, args):
    f = env.get(name)
    if f is not None:
        return f(*args)
    return R.call(this, name, args)


def _throw(e):
    if isinstance(e, BaseException):
        raise e
    raise R.JavaException("java.lang.RuntimeException", str(e))


def _catches(exc, simple):
    if isinstance(exc, R.JavaException):
        return exc.java_class.rsplit(".", 1)[-1] == simple
    return simple in ("ArithmeticException", "NullPointerException") and False


def _modified(env, obj, props=None):
    """After a modify block: the rule engine learns which properties changed (property reactivity)."""
    hook = env.get("__modify__")
    if hook is not None:
        hook(obj, props)
        return
    hook = env.get("update")
    if hook is not None:
        hook(obj)


_BASE_GLOBALS.update({"_print": _print, "_throw": _throw, "_catches": _catches, "_modified": _modified,
                      "_with_get": _with_get, "_cast": _cast, "_fcall_this": _fcall_this})


def _prescan_bare(node, out):
    """Names assigned without a declaration anywhere in the block (so reads see _loc first)."""
    if isinstance(node, N):
        if node.kind == "modify":   # `name = v` inside modify(x){...} sets x.name
            for it in node.a[1]:
                _prescan_bare(it.a[2] if it.kind == "assign" else it.a, out)
            return
        if node.kind == "assign" and node.a[1].kind == "name":
            out.add(node.a[1].a[0])
        if node.kind == "incr" and node.a[1].kind == "name":
            out.add(node.a[1].a[0])
        for x in node.a:
            _prescan_bare(x, out)
    elif isinstance(node, (list, tuple)):
        for x in node:
            _prescan_bare(x, out)


def _declared(node, out):
    if isinstance(node, N):
        if node.kind == "decl":
            for name, _i, _t in node.a[1]:
                out.add(name)
        if node.kind == "foreach":
            out.add(node.a[0])
        for x in node.a:
            _declared(x, out)
    elif isinstance(node, (list, tuple)):
        for x in node:
            _declared(x, out)


def _build(gen, body_lines, source, source_name, line, column, assigned):
    prologue = []
    if gen.uses_this:
        prologue.append("    _this = env.get('this')")
        if gen.uses_this_dict:
            prologue.append("    _td = getattr(_this, '__dict__', None) or _NODICT")
    if assigned or gen.bare:
        prologue.append("    _loc = {}")
    src = "def _compiled(env):\n" + "\n".join(prologue + body_lines) + "\n"
    g = dict(_BASE_GLOBALS)
    g["_types"] = gen.types
    for (_t, value), name in gen.consts.items():
        g[name] = value
    try:
        code = compile(src, f"<{source_name}:{line}>", "exec")
    except SyntaxError as e:  # a bug in the generator, not in the user's code
        raise ExpressionError(f"internal compile error: {e.msg}", line, column, source_name) from None
    exec(code, g)
    return Compiled(g["_compiled"], gen.names, gen.this_props, assigned, source, source_name, line, column, src)


def compile_expression(source, *, source_name="<expr>", line=1, column=1, types=None, imports=None,
                       constraint=False, known_names=None, dialect="mvel"):
    p = Parser(source, source_name, line, column, dialect, constraint)
    if p.tok.kind == "eof":
        raise ExpressionError("empty expression", line, column, source_name)
    tree = p.parse_expression()
    gen = _Gen(p, types=types, imports=imports, constraint=constraint, known_names=known_names, block=False)
    body = gen.expr(tree)
    return _build(gen, [f"    return {body}"], source, source_name, line, column, ())


def compile_block(source, *, source_name="<block>", line=1, column=1, types=None, imports=None,
                  constraint=False, known_names=None, dialect="mvel"):
    p = Parser(source, source_name, line, column, dialect, False)
    tree = p.parse_block()
    gen = _Gen(p, types=types, imports=imports, constraint=False, known_names=known_names, block=True,
               dialect=dialect)
    declared = set()
    _declared(tree, declared)
    bare = set()
    _prescan_bare(tree, bare)
    gen.bare = {b for b in bare if b not in declared}
    gen.stmt(tree)
    body = gen.lines or ["    pass"]
    return _build(gen, body, source, source_name, line, column, gen.bare)
