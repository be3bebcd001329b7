"""The Java/MVEL expression language subset shared by rules (DRL) and processes (BPMN2 scripts).

Source is parsed once and compiled to a Python function; calling it costs no parsing.

    from containers.expressions import compile_expression, compile_block, ExpressionError
    expr = compile_expression('age > 10 && < 20', constraint=True, known_names={"$p"})
    expr(env)              # env: dict of variables; in constraint mode env["this"] is the fact
    expr.names             # free variables read from env
    expr.this_properties   # properties read from the implicit/explicit `this`
    expr.fn                # the raw compiled function (hot paths call it directly)

    block = compile_block('int x = 7 / 2; total = total + x; System.out.println("x=" + x);')
    block(env)             # returns the value of a `return`, or None
    block.assigned         # env variables the block assigns (new undeclared ones stay local)

env hooks: bare calls `insert(x)`, `update(x)`... call env["insert"] etc.; `modify (x) { ... }`
calls env["__modify__"](x) (or env["update"]); `System.out.println` writes through env["__out__"]
when present.  Errors: ExpressionError (syntax, with the line/column in the caller's file) and
ExpressionRuntimeError / runtime.JavaException at run time.
"""
from containers.expressions.compiler import (Compiled, ExpressionRuntimeError, compile_block,
                                             compile_expression)
from containers.expressions.convert import coerce, java_equals
from containers.expressions.lexer import ExpressionError
from containers.expressions.runtime import JavaException, NullPointerException

__all__ = ["compile_expression", "compile_block", "ExpressionError", "ExpressionRuntimeError",
           "JavaException", "NullPointerException", "Compiled", "coerce", "java_equals"]
