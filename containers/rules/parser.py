"""DRL parser (hand-written recursive descent, as Drools 7's DRL6Parser): structure only.

Constraints, expressions and consequences are kept as source snippets with their position in the
file; the compiler hands them to containers.expressions.
"""
from __future__ import annotations

from containers.expressions.lexer import ExpressionError, Lexer, Token
from containers.rules.model import (Accumulate, And, DrlError, Eval, Exists, Forall, Function, NamedConsequence,
                                    Not, Or, Package, Pattern, Rule, Src, TypeDeclaration)

RULE_ATTRIBUTES = {"salience", "no-loop", "lock-on-active", "agenda-group", "activation-group",
                   "ruleflow-group", "auto-focus", "enabled", "dialect", "date-effective", "date-expires",
                   "duration", "timer", "calendars", "refract", "direct"}


class DrlParser:
    def __init__(self, text, file_name="rules.drl", load_order_start=0):
        self.text = text
        self.file = file_name
        try:
            self.toks = Lexer(text, file_name, dialect="java", hash_comments=True).tokens()
        except ExpressionError as e:
            raise DrlError([str(e)]) from None
        self.i = 0
        self.order = load_order_start
        self.file_attributes = {}      # rule attributes written at the top of the file
        lines = [0]
        for idx, ch in enumerate(text):
            if ch == "\n":
                lines.append(idx + 1)
        self.line_starts = lines

    # -- tokens ---------------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def peek(self, k=1):
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self):
        t = self.toks[self.i]
        if self.i < len(self.toks) - 1:
            self.i += 1
        return t

    def error(self, msg, tok=None):
        tok = tok or self.tok
        raise DrlError([f"{self.file} [{tok.line}:{tok.col}]: {msg}"])

    def offset(self, tok):
        if tok.kind == "eof":
            return len(self.text)
        return self.line_starts[tok.line - 1] + tok.col - 1

    def end_offset(self, tok):
        return self.offset(tok) + len(tok.text or str(tok.value))

    def src_between(self, start_tok, end_tok):
        """Source text from start_tok (inclusive) to end_tok (exclusive)."""
        a, b = self.offset(start_tok), self.offset(end_tok)
        return Src(self.text[a:b], self.file, start_tok.line, start_tok.col)

    def expect_op(self, op):
        if not self.tok.is_op(op):
            self.error(f"expected '{op}' but found '{self.tok.text or self.tok.value or 'end of file'}'")
        return self.next()

    def expect_id(self, *names):
        if self.tok.kind != "id" or (names and self.tok.value not in names):
            self.error(f"expected {' or '.join(names) or 'a name'} but found '{self.tok.text or 'end of file'}'")
        return self.next()

    def qualified_name(self):
        parts = [self.expect_id().value]
        while self.tok.is_op(".") and (self.peek().kind == "id" or self.peek().is_op("*")):
            self.next()
            t = self.next()
            parts.append(t.value)
        return ".".join(parts)

    def string_or_name(self):
        t = self.tok
        if t.kind == "str":
            self.next()
            return t.value
        return self.qualified_name()

    def skip_balanced(self, open_op, close_op):
        """From an open bracket token to just after its matching close; returns (first inner, close)."""
        start = self.expect_op(open_op)
        depth = 1
        first = self.tok
        while True:
            t = self.tok
            if t.kind == "eof":
                self.error(f"missing '{close_op}'", start)
            if t.is_op(open_op):
                depth += 1
            elif t.is_op(close_op):
                depth -= 1
                if depth == 0:
                    self.next()
                    return first, t
            self.next()

    # -- package level ------------------------------------------------------------------------
    def parse(self, pkg: Package | None = None) -> Package:
        pkg = pkg or Package()
        errors = []
        while self.tok.kind != "eof":
            start = self.i
            try:
                self.member(pkg)
            except DrlError as e:
                errors.extend(e.errors)
                self.i = max(self.i, start + 1)
                self.recover()
        if errors:
            raise DrlError(errors)
        return pkg

    def recover(self):
        while self.tok.kind != "eof" and not (self.tok.kind == "id" and self.tok.value in
                                              ("rule", "query", "function", "declare", "global", "import")
                                              and self.tok.col == 1):
            self.next()

    def member(self, pkg):
        t = self.tok
        if t.is_op(";"):
            self.next()
            return
        if t.kind != "id":
            self.error(f"unexpected '{t.text}'")
        kw = t.value
        if kw == "package":
            self.next()
            pkg.name = self.qualified_name()
        elif kw == "import":
            self.next()
            if self.tok.is_id("function", "static"):
                self.next()
                name = self.qualified_name()
                pkg.function_imports.append(name)
            else:
                name = self.qualified_name()
                if not name.endswith("*"):
                    pkg.imports[name.rsplit(".", 1)[-1]] = name
        elif kw == "global":
            self.next()
            typ = self.type_name()
            name = self.expect_id().value
            pkg.globals[name] = typ
        elif kw == "dialect":
            self.next()
            pkg.dialect = self.string_or_name()
        elif kw == "function":
            self.next()
            pkg.functions.append(self.function())
        elif kw == "declare":
            self.next()
            decl = self.declare()
            if decl is not None:
                pkg.declarations.append(decl)
        elif kw == "rule":
            self.next()
            pkg.rules.append(self.rule(pkg, t))
        elif kw == "query":
            self.next()
            pkg.rules.append(self.query(pkg, t))
        elif kw in ("attributes", "template"):
            self.error(f"'{kw}' is not supported")
        else:
            # attributes written before the rules apply to every rule of this file (a rule's own
            # attributes win)
            holder = Rule("", pkg.name, -1, self.file, t.line)
            self.attributes(holder)
            if not holder.attributes:
                self.error(f"unexpected '{kw}'")
            self.file_attributes.update(holder.attributes)
            if "dialect" in holder.attributes:
                pkg.dialect = holder.attributes["dialect"]
        if self.tok.is_op(";"):
            self.next()

    def type_name(self):
        name = self.qualified_name()
        if self.tok.is_op("<"):
            first, close = self.skip_balanced("<", ">")
            name += "<" + self.text[self.offset(first):self.offset(close)] + ">"
        while self.tok.is_op("[") and self.peek().is_op("]"):
            self.next()
            self.next()
            name += "[]"
        return name

    def function(self):
        ret = self.type_name()
        if self.tok.kind == "id" and self.peek().is_op("("):
            name = self.next().value
        else:
            name, ret = ret, "void"
        self.expect_op("(")
        params = []
        while not self.tok.is_op(")"):
            ptype = self.type_name()
            pname = self.expect_id().value
            params.append((ptype, pname))
            if not self.tok.is_op(")"):
                self.expect_op(",")
        self.next()
        first, close = self.skip_balanced("{", "}")
        return Function(name, ret, params, self.src_between(first, close))

    def annotations(self):
        out = {}
        while self.tok.is_op("@"):
            self.next()
            name = self.expect_id().value
            value = None
            if self.tok.is_op("("):
                first, close = self.skip_balanced("(", ")")
                value = self.text[self.offset(first):self.offset(close)].strip().strip('"')
            out[name] = value
        return out

    def declare(self):
        start = self.tok
        is_enum = self.tok.is_id("enum") and self.peek().kind == "id"
        if is_enum or (self.tok.is_id("type") and self.peek().kind == "id"):
            self.next()         # declare enum X / declare type X
        elif self.tok.is_id("entry") and self.peek().is_op("-"):
            # declare entry-point "name" end: entry points need no declaration here
            self.next()
            self.next()
            self.expect_id("point")
            self.string_or_name()
            self.annotations()
            self.expect_id("end")
            return None
        elif self.tok.is_id("trait", "window"):
            self.error(f"declare {self.tok.value} is not supported")
        name = self.qualified_name()
        superclass = None
        if self.tok.is_id("extends"):
            self.next()
            superclass = self.qualified_name()
        annotations = self.annotations()
        constants = None
        if is_enum:
            # CONST, CONST("arg", 1), ... ;  then the fields
            constants = []
            while self.tok.kind == "id" and not self.tok.is_id("end") and not self.peek().is_op(":"):
                const = self.expect_id()
                args = None
                if self.tok.is_op("("):
                    first, close = self.skip_balanced("(", ")")
                    args = Src(self.text[self.offset(first):self.offset(close)], self.file, first.line, first.col)
                constants.append((const.value, args))
                if self.tok.is_op(","):
                    self.next()
                    continue
                if self.tok.is_op(";"):
                    self.next()
                break
        fields = []
        while not self.tok.is_id("end"):
            if self.tok.kind == "eof":
                self.error("missing 'end' of declare", start)
            fname = self.expect_id().value
            self.expect_op(":")
            ftype = self.type_name()
            default = None
            if self.tok.is_op("="):
                self.next()
                first = self.tok
                while not (self.tok.is_op("@", ";") or self.tok.kind == "eof" or self.tok.is_id("end")
                           or (self.tok.kind == "id" and self.peek().is_op(":") and self.tok.line > first.line)):
                    self.next()
                default = self.src_between(first, self.tok)
            fann = self.annotations()
            if self.tok.is_op(";"):
                self.next()
            fields.append((fname, ftype, default, fann))
        self.next()
        decl = TypeDeclaration(name, fields, annotations, superclass, start.line, self.file)
        decl.constants = constants
        return decl

    # -- rules ----------------------------------------------------------------------------------
    def rule(self, pkg, kw_tok):
        name = self.string_or_name()
        rule = Rule(name, pkg.name, self.order, self.file, kw_tok.line)
        self.order += 1
        rule.dialect = pkg.dialect
        rule.attributes.update(self.file_attributes)
        if self.tok.is_id("extends"):
            self.next()
            rule.attributes["extends"] = self.string_or_name()
        self.annotations()
        self.attributes(rule)
        if self.tok.is_id("when"):
            self.next()
            if self.tok.is_op(":"):
                self.next()
            rule.lhs = And(self.lhs_until(("then",)))
        self.expect_id("then")
        then_tok = self.toks[self.i - 1]
        start_i = self.i
        end_tok = self.find_rule_end()
        # then[name] ... : named consequences after the default one
        cuts = []
        depth = 0
        for j in range(start_i, self.i):
            t = self.toks[j]
            if t.is_op("{", "(", "["):
                depth += 1
            elif t.is_op("}", ")", "]"):
                depth -= 1
            elif depth == 0 and t.is_id("then") and self.toks[j + 1].is_op("[") and self.toks[j + 2].kind == "id" \
                    and self.toks[j + 3].is_op("]"):
                cuts.append((j, self.toks[j + 2].value, self.toks[j + 3]))
        a = self.end_offset(then_tok)
        b = self.offset(self.toks[cuts[0][0]]) if cuts else self.offset(end_tok)
        rule.rhs = Src(self.text[a:b], self.file, then_tok.line, then_tok.col + 4)
        for n, (j, name, close) in enumerate(cuts):
            stop = self.offset(self.toks[cuts[n + 1][0]]) if n + 1 < len(cuts) else self.offset(end_tok)
            rule.named_rhs[name] = Src(self.text[self.end_offset(close):stop], self.file, close.line, close.col + 1)
        self.next()  # 'end'
        return rule

    def find_rule_end(self):
        """The `end` that closes a consequence: an `end` word at depth 0, followed by a rule-level token."""
        depth = 0
        while True:
            t = self.tok
            if t.kind == "eof":
                self.error("missing 'end' of rule")
            if t.is_op("{", "(", "["):
                depth += 1
            elif t.is_op("}", ")", "]"):
                depth -= 1
            elif t.is_id("end") and depth <= 0:
                prev = self.toks[self.i - 1]
                nxt = self.peek()
                if not prev.is_op(".") and not nxt.is_op("(", ".", "=", ";") or nxt.kind == "eof" \
                        or (nxt.kind == "id" and nxt.value in ("rule", "query", "function", "declare", "import", "global")):
                    return t
            self.next()

    def attributes(self, rule):
        while True:
            t = self.tok
            if t.kind != "id":
                break
            name = t.value
            # attribute names with dashes arrive as id - id (- id)
            j = self.i
            while self.toks[j + 1].is_op("-") and self.toks[j + 2].kind == "id" and any(
                    a.startswith(f"{name}-{self.toks[j + 2].value}") for a in RULE_ATTRIBUTES):
                name = f"{name}-{self.toks[j + 2].value}"
                j += 2
            if name not in RULE_ATTRIBUTES:
                break
            self.i = j + 1
            if name in ("no-loop", "lock-on-active", "auto-focus", "enabled", "refract", "direct"):
                value = True
                if self.tok.is_id("true", "false"):
                    value = self.next().value == "true"
                elif name == "enabled" and self.tok.is_op("("):
                    first, close = self.skip_balanced("(", ")")
                    value = self.src_between(first, close)
                rule.attributes[name] = value
            elif name == "salience":
                if self.tok.kind == "num" or (self.tok.is_op("-") and self.peek().kind == "num"):
                    neg = self.accept_minus()
                    rule.attributes["salience"] = -self.next().value if neg else self.next().value
                elif self.tok.is_op("("):
                    first, close = self.skip_balanced("(", ")")
                    rule.attributes["salience"] = self.src_between(first, close)
                else:
                    t0 = self.tok
                    self.next()
                    rule.attributes["salience"] = self.src_between(t0, self.tok)
            elif name in ("duration", "timer", "calendars"):
                if self.tok.is_op("("):
                    first, close = self.skip_balanced("(", ")")
                    rule.attributes[name] = self.text[self.offset(first):self.offset(close)]
                else:
                    rule.attributes[name] = self.next().value
            else:
                v = self.tok
                if v.kind in ("str", "num", "id"):
                    self.next()
                    rule.attributes[name] = v.value
                else:
                    self.error(f"bad value for attribute {name}")
            if name == "dialect":
                rule.dialect = rule.attributes["dialect"]
            if self.tok.is_op(","):
                self.next()

    def accept_minus(self):
        if self.tok.is_op("-"):
            self.next()
            return True
        return False

    def query(self, pkg, kw_tok):
        name = self.string_or_name()
        rule = Rule(name, pkg.name, self.order, self.file, kw_tok.line)
        self.order += 1
        rule.is_query = True
        if self.tok.is_op("("):
            self.next()
            while not self.tok.is_op(")"):
                ptype = self.type_name()
                if self.tok.kind == "id":
                    pname = self.next().value
                else:
                    ptype, pname = "Object", ptype
                rule.params.append((ptype, pname))
                if not self.tok.is_op(")"):
                    self.expect_op(",")
            self.next()
        self.annotations()
        rule.lhs = And(self.lhs_until(("end",)))
        self.expect_id("end")
        return rule

    # -- LHS --------------------------------------------------------------------------------------
    def lhs_until(self, stops):
        items = []
        while not (self.tok.kind == "id" and self.tok.value in stops) and not self.tok.is_op(")"):
            if self.tok.kind == "eof":
                self.error(f"expected {' or '.join(stops)}")
            if self.tok.is_op(";"):
                self.next()
                continue
            items.append(self.lhs_or())
        return items

    def lhs_or(self):
        left = self.lhs_and()
        items = [left]
        while self.tok.is_id("or") or self.tok.is_op("||"):
            self.next()
            items.append(self.lhs_and())
        return items[0] if len(items) == 1 else Or(items)

    def lhs_and(self):
        left = self.lhs_unary()
        items = [left]
        while self.tok.is_id("and") or self.tok.is_op("&&"):
            self.next()
            items.append(self.lhs_unary())
        return items[0] if len(items) == 1 else And(items)

    def named_consequence(self):
        """do[x] | break[x] | if (cond) do[x]|break[x] [else ...]"""
        t = self.tok
        if t.is_id("if"):
            self.next()
            first, close = self.skip_balanced("(", ")")
            cond = self.src_between(first, close)
            action = self.named_consequence()
            if action.cond is not None:
                self.error("expected do[...] or break[...] after if (...)", t)
            node = NamedConsequence(action.name, action.is_break, cond, src=Src("if", self.file, t.line, t.col))
            if self.tok.is_id("else"):
                self.next()
                node.orelse = self.named_consequence()
            return node
        is_break = t.value == "break"
        self.next()
        self.expect_op("[")
        name = self.expect_id().value
        self.expect_op("]")
        return NamedConsequence(name, is_break, src=Src(t.value, self.file, t.line, t.col))

    def lhs_unary(self):
        t = self.tok
        if (t.is_id("do", "break") and self.peek().is_op("[")) or (t.is_id("if") and self.peek().is_op("(")):
            return self.named_consequence()
        if t.is_op("("):
            self.next()
            if self.tok.is_id("or", "and") and not self.peek().is_op("(", ":") or \
                    (self.tok.is_id("or", "and") and self.peek().is_op("(") and self.peek(2).kind == "id"
                     and self.peek(3).is_op("(", ":", ".")):
                op = self.next().value
                items = []
                while not self.tok.is_op(")"):
                    items.append(self.lhs_unary())
                self.next()
                return Or(items) if op == "or" else And(items)
            inner = self.lhs_or()
            self.expect_op(")")
            return inner
        if t.is_id("not"):
            self.next()
            return Not(self.lhs_group())
        if t.is_id("exists"):
            self.next()
            return Exists(self.lhs_group())
        if t.is_id("eval"):
            self.next()
            first, close = self.skip_balanced("(", ")")
            return Eval(self.src_between(first, close))
        if t.is_id("forall"):
            self.next()
            self.expect_op("(")
            items = []
            while not self.tok.is_op(")"):
                items.append(self.lhs_unary())
                if self.tok.is_op(","):
                    self.next()
            self.next()
            return Forall(items)
        if t.is_id("accumulate") and self.peek().is_op("("):
            self.next()
            return self.accumulate_ce()
        return self.pattern()

    def lhs_group(self):
        if self.tok.is_op("("):
            self.next()
            inner = self.lhs_or() if not self.tok.is_op(")") else And([])
            items = [inner]
            while not self.tok.is_op(")"):
                items.append(self.lhs_or())
            self.next()
            return items[0] if len(items) == 1 else And(items)
        return self.lhs_unary()

    def accumulate_ce(self):
        """accumulate( CE ; $v : fn(expr), ... ; constraints )   (Drools 6+ form)"""
        self.expect_op("(")
        source = self.lhs_or_seq((";", ","))
        functions, inline = self.accumulate_functions()
        constraints = []
        if self.tok.is_op(";"):
            self.next()
            constraints = self.split_constraints_until_close()
        else:
            self.expect_op(")")
        return Accumulate(source, functions, constraints, inline)

    def lhs_or_seq(self, stops):
        items = []
        while not any(self.tok.is_op(s) for s in stops):
            if self.tok.kind == "eof":
                self.error("unterminated accumulate/collect")
            items.append(self.lhs_or())
        return items[0] if len(items) == 1 else And(items)

    def accumulate_functions(self):
        self.next()  # ';' or ','
        if self.tok.is_id("init"):
            parts = {}
            for kw in ("init", "action", "reverse", "result"):
                if self.tok.is_id(kw):
                    self.next()
                    first, close = self.skip_balanced("(", ")")
                    parts[kw] = self.src_between(first, close)
                    if self.tok.is_op(","):
                        self.next()
            return [], parts
        functions = []
        while True:
            binding = None
            if self.tok.kind == "id" and self.peek().is_op(":"):
                binding = self.next().value
                self.next()
            fname = self.expect_id().value
            first, close = self.skip_balanced("(", ")")
            arg = self.src_between(first, close) if self.offset(close) > self.offset(first) else None
            functions.append((binding, fname, arg))
            if self.tok.is_op(","):
                self.next()
                continue
            break
        return functions, None

    def split_constraints_until_close(self):
        """Top-level comma-separated snippets up to the closing ')' (consumed)."""
        out = []
        depth = 0
        start = self.tok
        while True:
            t = self.tok
            if t.kind == "eof":
                self.error("missing ')'")
            if t.is_op("(", "[", "{"):
                depth += 1
            elif t.is_op(")", "]", "}"):
                if depth == 0:
                    if self.offset(t) > self.offset(start):
                        out.append(self.src_between(start, t))
                    self.next()
                    return out
                depth -= 1
            elif t.is_op(",") and depth == 0:
                out.append(self.src_between(start, t))
                self.next()
                start = self.tok
                continue
            self.next()

    def pattern(self):
        pull = False
        if self.tok.is_op("?") and self.peek().kind == "id":
            # ?query(args;): a query called without reacting to later changes of its facts
            self.next()
            pull = True
        t = self.tok
        binding = None
        unify = False
        if t.kind == "id" and self.peek().is_op(":"):
            binding = self.next().value
            self.next()
            if self.tok.is_op("=") and self.tok.col == self.toks[self.i - 1].col + 1:
                self.next()     # $p := P(...): bind, or constrain to $p's value when it is bound
                unify = True
        if self.tok.is_op("("):   # $b : ( A() or B() )
            self.next()
            inner = self.lhs_or()
            self.expect_op(")")
            return inner
        type_tok = self.tok
        type_name = self.type_name()
        pat = Pattern(type_name, binding, src=Src(type_name, self.file, type_tok.line, type_tok.col))
        pat.pull = pull
        pat.unify = unify
        if self.tok.is_op("("):
            self.next()
            parts, positional = self.pattern_constraints()
            pat.positional = positional
            for part in parts:
                self.classify(pat, part)
        else:
            self.error(f"expected '(' after pattern type {type_name}")
        while self.tok.is_op("@"):
            # pattern annotations: @watch(p, !q, *, !*) changes the properties it reacts to
            self.next()
            name = self.expect_id().value
            if not self.tok.is_op("("):
                self.error(f"expected '(' after @{name}")
            first, close = self.skip_balanced("(", ")")
            if name == "watch":
                text = self.text[self.offset(first):self.offset(close)]
                pat.watch = [w.strip() for w in text.split(",") if w.strip()]
        if self.tok.is_id("over"):
            self.error("sliding windows (over window:...) are not supported")
        if self.tok.is_id("from"):
            self.next()
            if self.tok.is_id("entry") and self.peek().is_op("-"):
                self.next()
                self.next()
                self.expect_id("point")
                pat.entry_point = self.string_or_name()
            elif self.tok.is_id("collect") and self.peek().is_op("("):
                self.next()
                self.expect_op("(")
                src = self.lhs_or()
                self.expect_op(")")
                pat.source = ("collect", src)
            elif self.tok.is_id("accumulate") and self.peek().is_op("("):
                self.next()
                self.expect_op("(")
                source = self.lhs_or_seq((",", ";"))
                functions, inline = self.accumulate_functions()
                self.expect_op(")")
                pat.source = ("accumulate", Accumulate(source, functions, [], inline))
            else:
                start = self.tok
                depth = 0
                while True:
                    x = self.tok
                    if x.kind == "eof":
                        break
                    if x.is_op("(", "[", "{"):
                        depth += 1
                    elif x.is_op(")", "]", "}"):
                        if depth == 0:
                            break
                        depth -= 1
                    elif depth == 0 and x.is_op(",", ";"):
                        break       # the end of an accumulate's source: `X() from $items, count(1)`
                    elif depth == 0 and x.line > start.line and x.kind == "id" and \
                            (self.peek().is_op("(", ":") or x.value in ("not", "exists", "eval", "then", "end",
                                                                         "and", "or", "forall", "accumulate")):
                        break
                    elif depth == 0 and x.kind == "id" and x.value in ("then", "and", "or") and x.line == start.line:
                        break
                    self.next()
                pat.source = ("from", self.src_between(start, self.tok))
        return pat

    def pattern_constraints(self):
        """Constraint snippets of a pattern up to its ')' and the positional ones before a ';'."""
        parts = []
        positional = []
        depth = 0
        start = self.tok
        while True:
            t = self.tok
            if t.kind == "eof":
                self.error("missing ')' of pattern")
            if t.is_op("(", "[", "{"):
                depth += 1
            elif t.is_op(")", "]", "}"):
                if depth == 0:
                    if self.offset(t) > self.offset(start):
                        parts.append(self.src_between(start, t))
                    self.next()
                    return parts, positional
                depth -= 1
            elif t.is_op(";") and depth == 0:
                if self.offset(t) > self.offset(start):
                    parts.append(self.src_between(start, t))
                positional.extend(parts)
                parts = []
                self.next()
                start = self.tok
                continue
            elif t.is_op(",") and depth == 0:
                parts.append(self.src_between(start, t))
                self.next()
                start = self.tok
                continue
            self.next()

    def classify(self, pat, part: Src):
        """`$x : expr` binds, `$x : expr <op> ...` binds and constrains, anything else constrains."""
        text = part.text
        stripped = text.lstrip()
        lead = len(text) - len(stripped)
        col = part.col + lead
        if stripped.startswith("$") or (stripped[:1].isalpha() and ":" in stripped):
            name_end = 0
            while name_end < len(stripped) and (stripped[name_end].isalnum() or stripped[name_end] in "_$"):
                name_end += 1
            rest = stripped[name_end:]
            if rest.lstrip().startswith(":") and not rest.lstrip().startswith("::"):
                var = stripped[:name_end]
                after = rest.lstrip()[1:]
                if after.startswith("="):
                    # var := field: unification (binds, or compares when var is bound)
                    after = after[1:]
                    pat.unify_vars.add(var)
                expr_text = after.lstrip()
                ecol = col + (len(stripped) - len(expr_text))
                bound, constraint = _split_binding(expr_text)
                pat.bindings.append((var, Src(bound, part.file, part.line, ecol)))
                if constraint is not None:
                    pat.constraints.append(Src(expr_text, part.file, part.line, ecol))
                return
        pat.constraints.append(Src(stripped, part.file, part.line, col))


_CMP = ("==", "!=", "<=", ">=", "<", ">", " matches ", " contains ", " memberOf ", " in ", " not ", " soundslike ",
        " excludes ")


def _split_binding(expr):
    """`age > 10` -> ("age", constraint); `age` -> ("age", None)."""
    depth = 0
    quote = None
    for i, c in enumerate(expr):
        if quote:
            if c == quote and expr[i - 1] != "\\":
                quote = None
            continue
        if c in "\"'":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0:
            for op in _CMP:
                if expr.startswith(op, i) and not (op in ("<", ">") and expr.startswith(op * 2, i)):
                    return expr[:i].strip(), expr
            if expr.startswith("&&", i) or expr.startswith("||", i):
                return expr[:i].strip(), expr
    return expr.strip(), None


def parse_drl(text, file_name="rules.drl", load_order_start=0) -> Package:
    return DrlParser(text, file_name, load_order_start).parse()
