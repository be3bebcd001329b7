"""Tokens of the Java/MVEL subset."""
from __future__ import annotations

import decimal

from containers.values import BigInteger, Float, Long


class ExpressionError(Exception):
    """A syntax or compile error, positioned in the original source file."""

    def __init__(self, message, line=1, column=1, source_name="<expr>"):
        self.message = message
        self.line = line
        self.column = column
        self.source_name = source_name
        super().__init__(f"{source_name} [{line}:{column}]: {message}")


class Token:
    __slots__ = ("kind", "value", "line", "col", "text")

    def __init__(self, kind, value, line, col, text=""):
        self.kind = kind      # 'id', 'num', 'str', 'char', 'op', 'eof'
        self.value = value
        self.line = line
        self.col = col
        self.text = text

    def __repr__(self):
        return f"Token({self.kind}, {self.value!r}, {self.line}:{self.col})"

    def is_op(self, *ops):
        return self.kind == "op" and self.value in ops

    def is_id(self, *names):
        return self.kind == "id" and (not names or self.value in names)


OPS = sorted(""">>>= <<= >>= >>> == != <= >= && || ++ -- += -= *= /= %= &= |= ^= !. -> :: << >>
+ - * / % < > = ! & | ^ ~ ? : ; , . ( ) [ ] { } @ #""".split(), key=len, reverse=True)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "0": "\0", "\\": "\\", "'": "'", '"': '"'}


class Lexer:
    def __init__(self, source, source_name="<expr>", line=1, column=1, dialect="mvel", hash_comments=False):
        self.src = source
        self.name = source_name
        self.base_line = line
        self.base_col = column
        self.dialect = dialect
        self.hash_comments = hash_comments   # DRL files: `# ...` is a line comment too
        self._after_minus = False

    def error(self, msg, line, col):
        raise ExpressionError(msg, *self.position(line, col), self.name)

    def position(self, line, col):
        if line == 1:
            return self.base_line, self.base_col + col - 1
        return self.base_line + line - 1, col

    def tokens(self):
        s = self.src
        n = len(s)
        i = 0
        line, col = 1, 1
        out = []
        while i < n:
            c = s[i]
            if c == "\n":
                i += 1
                line += 1
                col = 1
                continue
            if c in " \t\r\f":
                i += 1
                col += 1
                continue
            if s.startswith("//", i) or (c == "#" and self.hash_comments):
                while i < n and s[i] != "\n":
                    i += 1
                continue
            if s.startswith("/*", i):
                end = s.find("*/", i + 2)
                if end < 0:
                    self.error("unterminated comment", line, col)
                chunk = s[i:end + 2]
                nl = chunk.count("\n")
                if nl:
                    line += nl
                    col = len(chunk) - chunk.rfind("\n")
                else:
                    col += len(chunk)
                i = end + 2
                continue
            start_line, start_col = line, col
            if c.isalpha() or c in "_$":
                j = i + 1
                while j < n and (s[j].isalnum() or s[j] in "_$"):
                    j += 1
                out.append(Token("id", s[i:j], start_line, start_col, s[i:j]))
                col += j - i
                i = j
                continue
            if c.isdigit() or (c == "." and i + 1 < n and s[i + 1].isdigit()):
                self._after_minus = bool(out) and out[-1].is_op("-")
                j, value = self._number(i, start_line, start_col)
                out.append(Token("num", value, start_line, start_col, s[i:j]))
                col += j - i
                i = j
                continue
            if c in "\"'":
                j, value = self._string(i, c, start_line, start_col)
                text = s[i:j]
                nl = text.count("\n")
                if nl:
                    line += nl
                    col = len(text) - text.rfind("\n")
                else:
                    col += j - i
                i = j
                if c == "'" and self.dialect == "java" and len(value) == 1:
                    out.append(Token("char", value, start_line, start_col, text))
                else:
                    out.append(Token("str", value, start_line, start_col, text))
                continue
            for op in OPS:
                if s.startswith(op, i):
                    out.append(Token("op", op, start_line, start_col, op))
                    i += len(op)
                    col += len(op)
                    break
            else:
                self.error(f"unexpected character '{c}'", line, col)
        out.append(Token("eof", None, line, col))
        return out

    def _number(self, i, line, col):
        s = self.src
        n = len(s)
        if s.startswith(("0x", "0X"), i):
            j = i + 2
            while j < n and (s[j] in "0123456789abcdefABCDEF_"):
                j += 1
            value = int(s[i + 2:j].replace("_", ""), 16)
            if j < n and s[j] in "lL":
                return j + 1, Long(value)
            return j, value
        j = i
        is_float = False
        while j < n and (s[j].isdigit() or s[j] == "_"):
            j += 1
        if j < n and s[j] == "." and j + 1 < n and s[j + 1].isdigit():
            is_float = True
            j += 1
            while j < n and s[j].isdigit():
                j += 1
        elif j < n and s[j] == "." and not (j + 1 < n and (s[j + 1].isalpha() or s[j + 1] == "_")):
            is_float = True
            j += 1
        if j < n and s[j] in "eE":
            k = j + 1
            if k < n and s[k] in "+-":
                k += 1
            if k < n and s[k].isdigit():
                is_float = True
                j = k
                while j < n and s[j].isdigit():
                    j += 1
        text = s[i:j].replace("_", "")
        suffix = s[j] if j < n else ""
        if suffix in ("l", "L") and not is_float:
            return j + 1, Long(int(text))
        if suffix in ("d", "D"):
            return j + 1, float(text)
        if suffix in ("f", "F"):
            return j + 1, Float(float(text))
        if suffix == "B":
            return j + 1, decimal.Decimal(text)
        if suffix == "I":
            return j + 1, BigInteger(int(text))
        if is_float:
            return j, float(text)
        value = int(text)
        if value > 2 ** 31 - 1 and not (value == 2 ** 31 and self._after_minus):  # -2147483648 is legal
            self.error(f"integer number too large: {text}", line, col)
        return j, value

    def _string(self, i, quote, line, col):
        s = self.src
        n = len(s)
        j = i + 1
        out = []
        while j < n:
            c = s[j]
            if c == quote:
                return j + 1, "".join(out)
            if c == "\\":
                j += 1
                if j >= n:
                    break
                e = s[j]
                if e == "u" and j + 4 < n:
                    out.append(chr(int(s[j + 1:j + 5], 16)))
                    j += 5
                    continue
                out.append(_ESCAPES.get(e, e))
                j += 1
                continue
            if c == "\n" and quote == '"':
                break
            out.append(c)
            j += 1
        self.error("unterminated string literal", line, col)
