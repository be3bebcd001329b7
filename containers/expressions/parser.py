"""Recursive-descent (precedence climbing) parser for the Java/MVEL subset -> a small AST."""
from __future__ import annotations

from containers.expressions.lexer import ExpressionError, Lexer, Token


class N:
    """An AST node: kind, the token it starts at, and positional children/values."""
    __slots__ = ("kind", "tok", "a")

    def __init__(self, kind, tok, *a):
        self.kind = kind
        self.tok = tok
        self.a = list(a)

    def __repr__(self):
        return f"N({self.kind}, {self.a!r})"


PRIMITIVES = {"int", "long", "double", "float", "boolean", "char", "byte", "short", "void"}
ASSIGN_OPS = {"=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", ">>>="}
REL_OPS = {"<", ">", "<=", ">="}
WORD_OPS = {"matches", "contains", "memberOf", "soundslike", "in", "excludes", "str"}
STATEMENT_KEYWORDS = {"if", "for", "while", "do", "return", "break", "continue", "throw", "try", "modify"}


class Parser:
    def __init__(self, source, source_name="<expr>", line=1, column=1, dialect="mvel", constraint=False):
        self.lexer = Lexer(source, source_name, line, column, dialect)
        self.toks = self.lexer.tokens()
        self.i = 0
        self.constraint = constraint

    # -- token helpers -----------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def peek(self, k=1) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self) -> Token:
        t = self.toks[self.i]
        if self.i < len(self.toks) - 1:
            self.i += 1
        return t

    def error(self, msg, tok=None):
        tok = tok or self.tok
        line, col = self.lexer.position(tok.line, tok.col)
        raise ExpressionError(msg, line, col, self.lexer.name)

    def paren_expression(self):
        self.expect_op("(")
        e = self.expression()
        self.expect_op(")")
        return e

    def in_items(self):
        """`( a, b, c )` after `in` / `not in`."""
        self.expect_op("(")
        items = []
        while not self.tok.is_op(")"):
            items.append(self.expression())
            if not self.accept_op(","):
                break
        self.expect_op(")")
        return items

    def expect_op(self, op):
        if not self.tok.is_op(op):
            self.error(f"expected '{op}' but found {self._desc(self.tok)}")
        return self.next()

    def accept_op(self, op):
        if self.tok.is_op(op):
            return self.next()
        return None

    @staticmethod
    def _desc(t):
        if t.kind == "eof":
            return "end of input"
        return f"'{t.text or t.value}'"

    # -- entry points --------------------------------------------------------------------------
    def parse_expression(self):
        e = self.expression()
        if self.tok.kind != "eof":
            self.error(f"unexpected token {self._desc(self.tok)}")
        return e

    def parse_block(self):
        stmts = []
        while self.tok.kind != "eof":
            if self.accept_op(";"):
                continue
            stmts.append(self.statement())
        return N("block", self.toks[0], stmts)

    # -- statements ----------------------------------------------------------------------------
    def statement(self):
        t = self.tok
        if t.is_op("{"):
            self.next()
            stmts = []
            while not self.tok.is_op("}"):
                if self.tok.kind == "eof":
                    self.error("missing '}'")
                if self.accept_op(";"):
                    continue
                stmts.append(self.statement())
            self.next()
            return N("block", t, stmts)
        if t.kind == "id" and t.value in STATEMENT_KEYWORDS:
            handler = getattr(self, "stmt_" + t.value)
            if t.value != "modify" or self.peek().is_op("("):
                return handler()
        decl = self.try_declaration()
        if decl is not None:
            return decl
        e = self.expression(allow_assign=True)
        self.end_statement()
        return N("expr_stmt", t, e)

    def end_statement(self):
        if self.accept_op(";"):
            return
        if self.tok.kind == "eof" or self.tok.is_op("}"):
            return  # MVEL allows a missing final semicolon
        # MVEL: statements may be separated by newlines only
        prev = self.toks[self.i - 1]
        if self.tok.line > prev.line:
            return
        self.error(f"expected ';' but found {self._desc(self.tok)}")

    def try_declaration(self):
        """`Type name [= init] (, name [= init])*;` or `var name = init;`"""
        start = self.i
        t = self.tok
        if t.kind != "id":
            return None
        typ = self.try_type()
        if typ is None or self.tok.kind != "id" or not (self.peek().is_op("=", ";", ",", ":") or self.peek().kind == "eof"):
            self.i = start
            return None
        if typ in ("return", "new", "throw"):
            self.i = start
            return None
        decls = []
        while True:
            name_tok = self.next()
            init = None
            if self.accept_op("="):
                init = self.array_init() if self.tok.is_op("{") else self.expression()
            decls.append((name_tok.value, init, name_tok))
            if not self.accept_op(","):
                break
            if self.tok.kind != "id":
                self.error("expected a variable name")
        self.end_statement()
        return N("decl", t, typ, decls)

    def try_type(self):
        """A type name: dotted identifiers, optional generics and array brackets; None if not."""
        t = self.tok
        if t.kind != "id":
            return None
        parts = [self.next().value]
        while self.tok.is_op(".") and self.peek().kind == "id":
            self.next()
            parts.append(self.next().value)
        name = ".".join(parts)
        if self.tok.is_op("<"):
            depth = 0
            save = self.i
            while True:
                tk = self.next()
                if tk.is_op("<"):
                    depth += 1
                elif tk.is_op(">"):
                    depth -= 1
                elif tk.is_op(">>"):
                    depth -= 2
                elif tk.is_op(">>>"):
                    depth -= 3
                elif not (tk.kind == "id" or tk.is_op(",", ".", "?", "[", "]")):
                    self.i = save
                    return None
                if depth <= 0:
                    break
            if depth < 0:
                self.i = save
                return None
        while self.tok.is_op("[") and self.peek().is_op("]"):
            self.next()
            self.next()
            name += "[]"
        return name

    def array_init(self):
        t = self.expect_op("{")
        items = []
        while not self.tok.is_op("}"):
            items.append(self.array_init() if self.tok.is_op("{") else self.expression())
            if not self.accept_op(","):
                break
        self.expect_op("}")
        return N("list", t, items)

    def stmt_if(self):
        t = self.next()
        cond = self.paren_expression()
        then = self.statement()
        other = None
        if self.tok.is_id("else"):
            self.next()
            other = self.statement()
        return N("if", t, cond, then, other)

    def stmt_while(self):
        t = self.next()
        cond = self.paren_expression()
        return N("while", t, cond, self.statement())

    def stmt_do(self):
        t = self.next()
        body = self.statement()
        if not self.tok.is_id("while"):
            self.error("expected 'while'")
        self.next()
        cond = self.paren_expression()
        self.end_statement()
        return N("dowhile", t, body, cond)

    def stmt_for(self):
        t = self.next()
        self.expect_op("(")
        # for-each: for (Type x : expr) / for (x : expr)
        save = self.i
        typ = self.try_type()
        if typ is not None and self.tok.kind == "id" and self.peek().is_op(":"):
            var = self.next().value
            self.next()
            it = self.expression()
            self.expect_op(")")
            return N("foreach", t, var, it, self.statement())
        self.i = save
        if self.tok.kind == "id" and self.peek().is_op(":"):
            var = self.next().value
            self.next()
            it = self.expression()
            self.expect_op(")")
            return N("foreach", t, var, it, self.statement())
        init = []
        if not self.tok.is_op(";"):
            decl = self.try_declaration()
            if decl is not None:
                init.append(decl)
                self.i -= 1  # try_declaration consumed the ';'
            else:
                init.append(N("expr_stmt", self.tok, self.expression(allow_assign=True)))
                while self.accept_op(","):
                    init.append(N("expr_stmt", self.tok, self.expression(allow_assign=True)))
        self.expect_op(";")
        cond = None if self.tok.is_op(";") else self.expression()
        self.expect_op(";")
        update = []
        if not self.tok.is_op(")"):
            update.append(N("expr_stmt", self.tok, self.expression(allow_assign=True)))
            while self.accept_op(","):
                update.append(N("expr_stmt", self.tok, self.expression(allow_assign=True)))
        self.expect_op(")")
        return N("for", t, init, cond, update, self.statement())

    def stmt_return(self):
        t = self.next()
        value = None
        if not (self.tok.is_op(";", "}") or self.tok.kind == "eof"):
            value = self.expression()
        self.end_statement()
        return N("return", t, value)

    def stmt_break(self):
        t = self.next()
        self.end_statement()
        return N("break", t)

    def stmt_continue(self):
        t = self.next()
        self.end_statement()
        return N("continue", t)

    def stmt_throw(self):
        t = self.next()
        e = self.expression()
        self.end_statement()
        return N("throw", t, e)

    def stmt_try(self):
        t = self.next()
        body = self.statement()
        catches = []
        final = None
        while self.tok.is_id("catch"):
            self.next()
            self.expect_op("(")
            typ = self.try_type()
            while self.accept_op("|"):
                self.try_type()
            name = self.next().value
            self.expect_op(")")
            catches.append((typ, name, self.statement()))
        if self.tok.is_id("finally"):
            self.next()
            final = self.statement()
        return N("try", t, body, catches, final)

    def stmt_modify(self):
        t = self.next()
        target = self.paren_expression()
        self.expect_op("{")
        items = []
        while not self.tok.is_op("}"):
            if self.tok.kind == "eof":
                self.error("missing '}' of modify block")
            items.append(self.expression(allow_assign=True))
            if not (self.accept_op(",") or self.accept_op(";")):
                if not self.tok.is_op("}"):
                    self.error(f"expected ',' or '}}' in modify block but found {self._desc(self.tok)}")
        self.next()
        self.accept_op(";")
        return N("modify", t, target, items)

    # -- expressions ---------------------------------------------------------------------------
    def expression(self, allow_assign=False):
        left = self.ternary()
        if self.tok.kind == "op" and self.tok.value in ASSIGN_OPS:
            t = self.next()
            if not allow_assign:
                self.error("assignment is not allowed here", t)
            if left.kind not in ("name", "prop", "index", "this_prop"):
                self.error("invalid assignment target", t)
            right = self.expression(allow_assign=True) if t.value == "=" else self.expression()
            return N("assign", t, t.value, left, right)
        return left

    def ternary(self):
        cond = self.binary(0)
        if self.tok.is_op("?"):
            t = self.next()
            a = self.expression()
            self.expect_op(":")
            b = self.expression()
            return N("cond", t, cond, a, b)
        return cond

    _LEVELS = [("||",), ("&&",), ("|",), ("^",), ("&",), ("==", "!="), ("<", ">", "<=", ">="),
               ("<<", ">>", ">>>"), ("+", "-"), ("*", "/", "%")]

    def binary(self, level):
        if level >= len(self._LEVELS):
            return self.unary()
        ops = self._LEVELS[level]
        left = self.binary(level + 1)
        while True:
            t = self.tok
            if t.kind == "op" and t.value in ops:
                if t.value in ("<", ">") and level == 6 and self._looks_like_generic_close(t):
                    break
                self.next()
                if self.constraint and t.value in ("&&", "||") and self._restriction_follows():
                    right = self._restriction(left)
                else:
                    right = self.binary(level + 1)
                left = N("bin", t, t.value, left, right)
                continue
            if level == 6:
                word = self._word_operator()
                if word is not None:
                    op, negate, wt = word
                    if op == "instanceof":
                        typ = self.try_type()
                        left = N("instanceof", wt, left, typ)
                    elif op == "in":
                        left = N("in", wt, left, self.in_items())
                    elif op == "str":
                        self.expect_op("[")
                        which = self.next().value
                        self.expect_op("]")
                        left = N("strop", wt, which, left, self.binary(level + 1))
                    else:
                        left = N("wordop", wt, op, left, self.binary(level + 1))
                    if negate:
                        left = N("not", wt, left)
                    continue
            break
        return left

    def _looks_like_generic_close(self, t):
        return False

    def _word_operator(self):
        t = self.tok
        if t.kind != "id":
            return None
        if t.value == "instanceof":
            self.next()
            return "instanceof", False, t
        if t.value == "not" and self.peek().kind == "id" and self.peek().value in WORD_OPS:
            self.next()
            w = self.next()
            return w.value, True, w
        if t.value in WORD_OPS and (self.constraint or t.value in ("contains", "matches", "soundslike")):
            if t.value == "in" and not self.peek().is_op("("):
                return None
            if t.value == "str" and not self.peek().is_op("["):
                return None
            self.next()
            return t.value, False, t
        return None

    def _restriction_follows(self):
        t = self.tok
        if t.kind == "op" and t.value in REL_OPS | {"==", "!="}:
            return True
        if t.kind == "id" and (t.value in ("matches", "contains", "memberOf", "soundslike", "in", "excludes")
                               or (t.value == "not" and self.peek().kind == "id" and self.peek().value in WORD_OPS)):
            return True
        return False

    def _restriction(self, left):
        """`age > 10 && < 20`: the right side repeats the left operand of the last comparison."""
        subject = self._last_subject(left)
        if subject is None:
            self.error("a restriction needs a left operand")
        t = self.tok
        if t.kind == "op":
            self.next()
            node = N("bin", t, t.value, subject, self.binary(7))
        else:
            op, negate, wt = self._word_operator()
            if op == "in":
                node = N("in", wt, subject, self.in_items())
            else:
                node = N("wordop", wt, op, subject, self.binary(7))
            if negate:
                node = N("not", wt, node)
        # further `&& < x` chains are handled by the caller's loop
        return node

    def _last_subject(self, node):
        while True:
            if node.kind == "bin" and node.a[0] in ("&&", "||"):
                node = node.a[2]
                continue
            if node.kind == "not":
                node = node.a[0]
                continue
            if node.kind == "bin" and node.a[0] in REL_OPS | {"==", "!="}:
                return node.a[1]
            if node.kind in ("wordop",):
                return node.a[1]
            if node.kind == "in":
                return node.a[0]
            return None

    def unary(self):
        t = self.tok
        if t.is_op("!"):
            self.next()
            return N("not", t, self.unary())
        if t.is_op("-"):
            self.next()
            operand = self.unary()
            if operand.kind == "lit" and isinstance(operand.a[0], (int, float)) and not isinstance(operand.a[0], bool):
                return N("lit", t, type(operand.a[0])(-operand.a[0]))
            return N("neg", t, operand)
        if t.is_op("+"):
            self.next()
            return self.unary()
        if t.is_op("~"):
            self.next()
            return N("bitnot", t, self.unary())
        if t.is_op("++", "--"):
            self.next()
            target = self.unary()
            return N("incr", t, t.value, target, True)
        if t.is_op("(") and self._is_cast():
            self.next()
            typ = self.try_type()
            self.expect_op(")")
            return N("cast", t, typ, self.unary())
        return self.postfix(self.primary())

    def _is_cast(self):
        save = self.i
        try:
            self.next()
            typ = self.try_type()
            if typ is None or not self.tok.is_op(")"):
                return False
            nxt = self.peek()
            base = typ.rstrip("[]").split("<")[0]
            last = base.rsplit(".", 1)[-1]
            if base in PRIMITIVES:
                return True
            if not last[:1].isupper():
                return False
            return nxt.kind in ("id", "num", "str", "char") or nxt.is_op("(", "!", "~")
        finally:
            self.i = save

    def postfix(self, e):
        while True:
            t = self.tok
            if t.is_op(".", "!."):
                self.next()
                if self.tok.kind != "id":
                    self.error(f"expected a name after '{t.value}'")
                name = self.next().value
                if self.tok.is_op("("):
                    args = self.arguments()
                    e = N("call", t, e, name, args, t.value == "!.")
                else:
                    e = N("prop", t, e, name, t.value == "!.")
                continue
            if t.is_op("["):
                self.next()
                idx = self.expression()
                self.expect_op("]")
                e = N("index", t, e, idx)
                continue
            if t.is_op("++", "--"):
                self.next()
                e = N("incr", t, t.value, e, False)
                continue
            return e

    def arguments(self):
        self.expect_op("(")
        args = []
        while not self.tok.is_op(")"):
            args.append(self.expression())
            if not self.accept_op(","):
                break
        self.expect_op(")")
        return args

    def primary(self):
        t = self.tok
        if t.kind == "num":
            self.next()
            return N("lit", t, t.value)
        if t.kind == "str":
            self.next()
            return N("lit", t, t.value)
        if t.kind == "char":
            self.next()
            return N("char", t, t.value)
        if t.is_op("("):
            self.next()
            e = self.expression()
            self.expect_op(")")
            return e
        if t.is_op("["):
            return self.inline_collection()
        if t.is_op("{"):
            return self.array_init()
        if t.kind == "id":
            v = t.value
            if v in ("true", "false"):
                self.next()
                return N("lit", t, v == "true")
            if v == "null":
                self.next()
                return N("lit", t, None)
            if v == "this":
                self.next()
                return N("this", t)
            if v == "new":
                return self.creator()
            self.next()
            if self.tok.is_op("(") and self.constraint and self._restriction_group_follows():
                # age ((> 30 && < 40) || (> 10 && < 20)): restrictions on one field, grouped
                return self._restriction_group(N("name", t, v))
            if self.tok.is_op("("):
                return N("fcall", t, v, self.arguments())
            return N("name", t, v)
        self.error(f"unexpected token {self._desc(t)}")

    def _restriction_group_follows(self):
        j = 1
        while self.peek(j).is_op("("):
            j += 1
        nxt = self.peek(j)
        return (nxt.kind == "op" and nxt.value in REL_OPS | {"==", "!="}) or \
            (nxt.kind == "id" and nxt.value in ("matches", "contains", "memberOf", "soundslike", "in", "excludes"))

    def _restriction_group(self, subject):
        """'(' restrictions joined by && and || ')' on subject."""
        self.expect_op("(")
        node = self._restriction_or(subject)
        self.expect_op(")")
        return node

    def _restriction_or(self, subject):
        left = self._restriction_and(subject)
        while self.tok.is_op("||"):
            t = self.next()
            left = N("bin", t, "||", left, self._restriction_and(subject))
        return left

    def _restriction_and(self, subject):
        left = self._restriction_term(subject)
        while self.tok.is_op("&&"):
            t = self.next()
            left = N("bin", t, "&&", left, self._restriction_term(subject))
        return left

    def _restriction_term(self, subject):
        if self.tok.is_op("("):
            return self._restriction_group(subject)
        return self._restriction(N("bin", self.tok, "==", subject, subject))

    def inline_collection(self):
        t = self.expect_op("[")
        if self.tok.is_op(":") and self.peek().is_op("]"):
            self.next()
            self.next()
            return N("map", t, [])
        if self.accept_op("]"):
            return N("list", t, [])
        first = self.expression()
        if self.accept_op(":"):
            entries = [(first, self.expression())]
            while self.accept_op(","):
                k = self.expression()
                self.expect_op(":")
                entries.append((k, self.expression()))
            self.expect_op("]")
            return N("map", t, entries)
        items = [first]
        while self.accept_op(","):
            items.append(self.expression())
        self.expect_op("]")
        return N("list", t, items)

    def creator(self):
        t = self.next()  # 'new'
        typ = self.try_type()
        if typ is None:
            self.error("expected a type after 'new'")
        if self.tok.is_op("["):
            # new int[3] / new String[]{...}
            self.next()
            size = None if self.tok.is_op("]") else self.expression()
            self.expect_op("]")
            while self.tok.is_op("[") and self.peek().is_op("]"):
                self.next()
                self.next()
            if self.tok.is_op("{"):
                return self.array_init()
            return N("newarray", t, typ, size)
        if typ.endswith("[]"):
            if self.tok.is_op("{"):
                return self.array_init()
            self.error("array creation needs a size or an initializer")
        args = self.arguments()
        if self.tok.is_op("{"):
            # anonymous class bodies are not supported
            self.error("anonymous classes are not supported")
        return N("new", t, typ, args)
