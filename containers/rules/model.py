"""The parsed form of a DRL package: rules, queries, functions, globals, declared types."""
from __future__ import annotations


class DrlError(Exception):
    """Every problem found while building a knowledge base, with file/line/column."""

    def __init__(self, errors):
        if isinstance(errors, str):
            errors = [errors]
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


class Src:
    """A snippet of source with its position in the file."""
    __slots__ = ("text", "file", "line", "col")

    def __init__(self, text, file, line, col):
        self.text, self.file, self.line, self.col = text, file, line, col

    def __repr__(self):
        return f"Src({self.text!r} @{self.line}:{self.col})"


class Pattern:
    kind = "pattern"

    def __init__(self, type_name, binding=None, constraints=(), bindings=(), positional=(), source=None,
                 entry_point=None, src=None):
        self.type_name = type_name
        self.binding = binding            # $p
        self.constraints = list(constraints)   # [Src]
        self.bindings = list(bindings)    # [(var, Src of the bound expression)]
        self.positional = list(positional)  # [Src]  (value or unbound variable)
        self.source = source              # None | ("from", Src) | ("collect", CE) | ("accumulate", Accumulate)
        self.entry_point = entry_point
        self.src = src
        self.watch = []                   # @watch(...) items: "name", "!name", "*", "!*"
        self.pull = False                 # ?name(...): a query call that does not react to changes
        self.unify = False                # $v := P(...): unification with $v when it is bound
        self.unify_vars = set()           # v := field inside the pattern: the same for a field
        # filled by the compiler
        self.java_type = None
        self.alpha = []
        self.beta = []
        self.binders = []


class Not:
    kind = "not"

    def __init__(self, ce):
        self.ce = ce


class Exists:
    kind = "exists"

    def __init__(self, ce):
        self.ce = ce


class Eval:
    kind = "eval"

    def __init__(self, expr: Src):
        self.expr = expr
        self.compiled = None


class And:
    kind = "and"

    def __init__(self, items):
        self.items = list(items)


class Or:
    kind = "or"

    def __init__(self, items):
        self.items = list(items)


class Forall:
    kind = "forall"

    def __init__(self, items):
        self.items = list(items)


class Accumulate:
    kind = "accumulate"

    def __init__(self, source, functions=(), constraints=(), inline=None):
        self.source = source              # a CE
        self.functions = list(functions)  # [(binding or None, function name, Src arg or None)]
        self.constraints = list(constraints)  # [Src] on the results (Drools 6 form)
        self.inline = inline              # {"init": Src, "action": Src, "reverse": Src, "result": Src}


class NamedConsequence:
    """do[name] / break[name] in a rule's conditions, maybe behind if (cond) ... else ...: the named
    consequence fires for the match so far; after break[name] the rest is not matched for it."""
    kind = "named"

    def __init__(self, name, is_break, cond: Src | None = None, orelse=None, src=None):
        self.name = name              # None for an `if` whose branch has no action (not in DRL)
        self.is_break = is_break
        self.cond = cond              # if (cond): a constraint on the last pattern's fact
        self.orelse = orelse          # the else part: another NamedConsequence (an `else if`) or None
        self.src = src


class Rule:
    def __init__(self, name, package, load_order, file, line):
        self.name = name
        self.package = package
        self.load_order = load_order
        self.file = file
        self.line = line
        self.attributes = {}
        self.lhs = And([])
        self.rhs: Src | None = None
        self.named_rhs = {}    # then[name] consequences: name -> Src
        self.params = []       # queries: [(type, name)]
        self.is_query = False
        self.dialect = "java"

    @property
    def salience(self):
        return self.attributes.get("salience", 0)

    @property
    def agenda_group(self):
        return self.attributes.get("ruleflow-group") or self.attributes.get("agenda-group") or "MAIN"

    def __repr__(self):
        return f"Rule({self.name!r})"


class Function:
    def __init__(self, name, return_type, params, body: Src):
        self.name, self.return_type, self.params, self.body = name, return_type, params, body


class TypeDeclaration:
    def __init__(self, name, fields, annotations, superclass=None, line=0, file=""):
        self.name = name
        self.fields = fields          # [(name, type, default Src or None, annotations)]
        self.annotations = annotations
        self.superclass = superclass
        self.line = line
        self.file = file
        self.constants = None         # declare enum: [(name, Src of the constructor arguments or None)]


class Package:
    def __init__(self, name="defaultpkg"):
        self.name = name
        self.imports = {}             # simple -> fqcn
        self.function_imports = []
        self.globals = {}             # name -> type
        self.functions = []
        self.declarations = []
        self.rules = []               # rules and queries in file order
        self.dialect = "java"
