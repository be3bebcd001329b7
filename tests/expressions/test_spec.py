"""The expression language checked feature by feature against its specification (the project issue).

Complements test_expressions.py.  The gaps found in review are fixed; each such test names the
behaviour it pins down.
"""
import datetime as dt
import decimal

import pytest

from containers.expressions import (ExpressionError, ExpressionRuntimeError, JavaException, coerce,
                                    compile_block, compile_expression, java_equals)
from containers.expressions import parser as parser_module
from containers.values import BigInteger, Char, FieldDef, Float, JavaSet, Long, TypeRegistry



@pytest.fixture(scope="module")
def types():
    reg = TypeRegistry()
    reg.define("org.acme.Address", [FieldDef("city", "String")])
    reg.define("org.acme.Person", [FieldDef("name", "String"), FieldDef("age", "int", 0),
                                   FieldDef("address", "org.acme.Address"), FieldDef("salary", "double", 0.0),
                                   FieldDef("active", "boolean", False)])
    reg.define("org.acme.Pair", [FieldDef("right", "String", position=1), FieldDef("left", "String", position=0)])
    return reg


def ev(src, env=None, **kw):
    return compile_expression(src, **kw)(env if env is not None else {})


def run(src, env=None, **kw):
    return compile_block(src, **kw)(env if env is not None else {})


def same(value, expected):
    """Equal and of the same Python type (Long is not int, Float is not float)."""
    return value == expected and type(value) is type(expected)


# ---------------------------------------------------------------------------------------------
# literals and arithmetic

@pytest.mark.parametrize("src,expected", [
    ("10", 10), ("10L", Long(10)), ("1.5", 1.5), ("1.5d", 1.5), ("1.5f", Float(1.5)), ("10B", decimal.Decimal(10)),
    ("10I", BigInteger(10)), ("0xFF", 255), ("0x10L", Long(16)), ("1_000", 1000), (".5", 0.5), ("1e3", 1000.0),
    ('"a\\tb\\n\\"q\\"\\u0041"', 'a\tb\n"q"A'), ("null", None), ("true", True), ("false", False),
    ("'ab'", "ab"),  # MVEL: single quotes make strings
])
def test_literals(src, expected):
    assert same(ev(src), expected)


def test_char_literal_in_java_dialect():
    c = ev("'c'", dialect="java")
    assert isinstance(c, Char) and c == "c"
    assert ev("'a' + 1", dialect="java") == 98


@pytest.mark.parametrize("src,expected", [
    ("7 / 2", 3), ("-7 / 2", -3), ("7 / -2", -3), ("-7 / -2", 3), ("7 % 3", 1), ("-7 % 3", -1), ("7 % -3", 1),
    ("-7 % -3", -1), ("7.5 % 2", 1.5), ("2147483647 + 1", -2147483648), ("Integer.MIN_VALUE - 1", 2147483647),
    ("65536 * 65536", 0), ("9223372036854775807L + 1", Long(-2 ** 63)), ("1 + 2L", Long(3)), ("2L * 3", Long(6)),
    ("7L / 2", Long(3)), ("1 + 1.5", 2.5), ("1.5f + 1", Float(2.5)), ("1.5f + 1.0", 2.5), ("10B * 2", decimal.Decimal(20)),
    ("10B + 1.5", decimal.Decimal("11.5")), ("10 - 2 - 3", 5), ("2 + 3 * 4", 14), ("(2 + 3) * 4", 20), ("2 * 3 % 4", 2),
    ("1 << 3", 8), ("-8 >> 1", -4), ("-1 >>> 28", 15), ("5 & 3", 1), ("5 | 3", 7), ("5 ^ 3", 6), ("~5", -6),
    ("-(3)", -3), ("10 / 4.0", 2.5), ("1.0 / 0", float("inf")),
])
def test_arithmetic(src, expected):
    assert same(ev(src), expected)


@pytest.mark.parametrize("src", ["1 / 0", "1L / 0", "5 % 0", "10B / 0"])
def test_integer_division_by_zero(src):
    with pytest.raises(JavaException) as e:
        ev(src)
    assert e.value.java_class == "java.lang.ArithmeticException"


def test_min_int_literal():
    assert ev("-2147483648") == -2147483648
    with pytest.raises(ExpressionError):
        compile_expression("2147483648")


def test_remainder_of_large_longs():
    assert same(ev("-9223372036854775807L % 10"), Long(-7))
    assert same(ev("9007199254740993L % 2"), Long(1))


def test_types_survive_arithmetic_in_variables():
    env = {"a": Long(5), "b": 2, "f": Float(1.5), "d": decimal.Decimal("1.10")}
    assert same(ev("a + b", env), Long(7)) and same(ev("b * b", env), 4) and same(ev("f * b", env), Float(3.0))
    assert same(ev("d * b", env), decimal.Decimal("2.20"))


@pytest.mark.parametrize("src,expected", [
    ('"sum=" + 65.5', "sum=65.5"), ('"min=" + 10.0', "min=10.0"), ('"x" + null', "xnull"), ('"n=" + 5L', "n=5"),
    ('"b=" + true', "b=true"), ('"e=" + 1e10', "e=1.0E10"), ('"s=" + 0.0001', "s=1.0E-4"), ('"f=" + 1.5f', "f=1.5"),
    ('"d=" + 1.10B', "d=1.10"), ('1 + 2 + "a"', "3a"), ('"a" + 1 + 2', "a12"), ('"l=" + [1, 2]', "l=[1, 2]"),
    ('"m=" + ["a": 1]', "m={a=1}"), ("null + \"x\"", "nullx"),
])
def test_string_concatenation_uses_java_tostring(src, expected):
    assert ev(src) == expected


def test_float_concatenation_uses_float_digits():
    assert ev('"" + (1.0f / 3)') == "0.33333334"


@pytest.mark.parametrize("src,expected", [
    ("1 == 1L", True), ("1 == 1.0", True), ("1L == 1.0f", True), ("10B == 10", True), ("1 != 2", True),
    ('"a" == "a"', True), ('"a" != "b"', True), ("null == null", True), ("null != 1", True), ("1 < 2 && 2 < 3", True),
    ("1 <= 1 && 2 >= 3", False), ('"a" < "b"', True), ("false || true", True), ("!true", False),
    ("1 > 0 ? \"y\" : \"n\"", "y"), ("false ? 1 : true ? 2 : 3", 2), ("1L < 2.5", True), ("5 > 10B", False),
])
def test_comparison_and_logic(src, expected):
    assert ev(src) == expected


def test_equals_semantics_for_objects_and_strings_in_java_dialect(types):
    P = types.get("Person")
    assert run('String a = "ab"; String b = "a" + "b"; return a == b;', dialect="java") is True
    p = P(name="x")
    assert ev("p == q", {"p": p, "q": p}) is True and ev("p == q", {"p": p, "q": P(name="x")}) is False


def test_short_circuit():
    calls = []
    env = {"f": lambda: calls.append(1) or True}
    assert ev("false && f()", env) is False and ev("true || f()", env) is True and calls == []


@pytest.mark.parametrize("src,expected", [
    ("(int) 3.9", 3), ("(int) -3.9", -3), ("(long) 5", Long(5)), ("(double) 5", 5.0), ("(float) 5", Float(5.0)),
    ('(String) "s"', "s"), ("(Integer) 5", 5), ("(int) 7 / 2", 3), ("(double) 7 / 2", 3.5),
])
def test_casts(src, expected):
    assert same(ev(src), expected)


def test_narrowing_casts_wrap():
    assert ev("(int) 3000000000L") == -1294967296 and ev("(byte) 200") == -56 and ev("(int) 3.9e10") == 2147483647


def test_instanceof(types):
    P = types.get("Person")
    env = {"p": P(), "s": "x", "i": 5, "l": Long(5), "lst": [], "m": {}}
    for src in ["p instanceof Person", "p instanceof org.acme.Person", "!(p instanceof Address)", "s instanceof String",
                "s instanceof java.lang.String", "i instanceof Integer", "l instanceof Long", "!(l instanceof Integer)",
                "lst instanceof java.util.List", "m instanceof Map", "p instanceof Object", "!(null instanceof Object)"]:
        assert ev(src, env, types=types) is True, src


# ---------------------------------------------------------------------------------------------
# library methods and statics

@pytest.mark.parametrize("src,expected", [
    ('"abc".length()', 3), ('"abc".equals("abc")', True), ('"abc".equals(null)', False),
    ('"ABC".equalsIgnoreCase("abc")', True), ('"abc".startsWith("ab")', True), ('"abc".endsWith("c")', True),
    ('"abc".contains("b")', True), ('"abc".indexOf("c")', 2), ('"abc".indexOf("z")', -1), ('"abc".substring(1)', "bc"),
    ('"abc".substring(1, 2)', "b"), ('"abc".toUpperCase()', "ABC"), ('"ABC".toLowerCase()', "abc"), ('"  a ".trim()', "a"),
    ('"".isEmpty()', True), ('"aXa".replace("X", "-")', "a-a"), ('"a1b".matches("a\\\\db")', True),
    ('"a".compareTo("b")', -1), ('"a".concat("b")', "ab"), ('"a,b,,".split(",")', ["a", "b"]),
    ('String.format("%s=%d %.2f", "x", 5, 1.5)', "x=5 1.50"), ('String.format("%5s|%-3s|%03d", "a", "b", 7)', "    a|b  |007"),
    ("5.intValue()", 5), ("5L.intValue()", 5), ("5.longValue()", Long(5)), ("5.doubleValue()", 5.0),
    ("5.compareTo(3)", 1), ("5.equals(5)", True), ("5.toString()", "5"), ("2.5.toString()", "2.5"),
    ('Integer.parseInt("-12")', -12), ('Integer.valueOf("12")', 12), ('Long.parseLong("12")', Long(12)),
    ('Double.parseDouble("1.5")', 1.5), ("String.valueOf(5)", "5"), ("String.valueOf(1.0)", "1.0"),
    ("Math.max(1, 2)", 2), ("Math.min(1, 2)", 1), ("Math.abs(-2)", 2), ("Math.abs(-2.5)", 2.5),
    ("Math.round(2.4)", Long(2)), ("Math.round(2.5)", Long(3)), ("Math.round(-2.5)", Long(-2)), ("Math.floor(2.5)", 2.0),
    ("Math.ceil(2.1)", 3.0), ("Math.pow(2, 3)", 8.0), ("Math.sqrt(4)", 2.0), ('Boolean.parseBoolean("TRUE")', True),
    ('Objects.equals("a", "a")', True), ("Objects.equals(null, 1)", False), ("Arrays.asList(1, 2)", [1, 2]),
    ("Collections.emptyList()", []), ("Integer.MAX_VALUE", 2147483647), ("Long.MAX_VALUE", Long(2 ** 63 - 1)),
    ("10B.add(5)", decimal.Decimal(15)), ("10B.subtract(1B)", decimal.Decimal(9)), ("10B.multiply(2B)", decimal.Decimal(20)),
    ("10B.divide(4B)", decimal.Decimal("2.5")), ("10B.compareTo(5B)", 1),
])
def test_library(src, expected):
    assert same(ev(src), expected)


def test_char_at_and_string_number_conversion_errors():
    assert ev('"abc".charAt(1)') == Char("b")
    with pytest.raises(JavaException) as e:
        ev('Integer.parseInt("x1")')
    assert e.value.java_class == "java.lang.NumberFormatException"


def test_fully_qualified_statics():
    assert ev("java.util.Collections.emptyList()") == [] and ev("java.lang.Math.max(1, 2)") == 2
    assert ev("java.lang.Integer.MAX_VALUE") == 2147483647


def test_format_rounds_half_up():
    assert ev('String.format("%.2f", 1.005)') == "1.01" and ev('String.format("%.1f", 2.25)') == "2.3"


@pytest.mark.parametrize("src,expected", [
    ("new java.util.ArrayList()", []), ("new ArrayList<>()", []), ("new java.util.ArrayList<String>()", []),
    ("new HashMap()", {}), ("new java.util.HashMap<String, Object>()", {}), ("[1, 2]", [1, 2]),
    ('["a": 1, "b": 2]', {"a": 1, "b": 2}), ("[]", []), ("[:]", {}), ("new int[]{1, 2}", [1, 2]),
    ('new String[] {"a"}', ["a"]), ("new int[2]", [0, 0]), ("[1, 2].size()", 2), ('["a": 1]["a"]', 1),
])
def test_collections_and_creators(src, expected):
    assert ev(src) == expected


def test_new_of_library_and_custom_classes(types):
    assert isinstance(ev("new java.util.Date()"), dt.datetime)
    assert ev("new java.util.Date(0L)") == dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    assert isinstance(ev("new HashSet()"), JavaSet)
    p = ev('new Person("john", 42)', types=types)
    assert (p.name, p.age, p.address) == ("john", 42, None)
    assert ev('new org.acme.Person("ann", 3).age', types=types) == 3
    assert ev("new Person().age", types=types) == 0
    pair = ev('new Pair("l", "r")', types=types)   # @position order, not declaration order
    assert (pair.left, pair.right) == ("l", "r")
    assert ev('new Person("x", 1)', types=types, imports={"Person": "org.acme.Person"}).name == "x"


# ---------------------------------------------------------------------------------------------
# property access

@pytest.fixture()
def env(types):
    P, A = types.get("Person"), types.get("Address")
    return {"p": P(name="john", age=42, address=A(city="Brno")), "m": {"k": 1, "x": "y"}, "l": [1, 2, 3],
            "n": None, "q": P(name="q")}


@pytest.mark.parametrize("src,expected", [
    ("p.name", "john"), ("p.getName()", "john"), ("p.isActive()", False), ("p.active", False), ("p.address.city", "Brno"),
    ("p.getAddress().getCity()", "Brno"), ("p!.address!.city", "Brno"), ("n!.address", None), ("q.address!.city", None),
    ("m.k", 1), ('m["k"]', 1), ('m.get("k")', 1), ('m.containsKey("k")', True), ("m.size()", 2), ("m.isEmpty()", False),
    ("m.keySet()", ["k", "x"]), ("m.values()", [1, "y"]), ("m.missing", None), ("l.size()", 3), ("l.get(0)", 1),
    ("l[1]", 2), ("l.contains(2)", True), ("l.isEmpty()", False), ("l.indexOf(3)", 2), ("p.age + 1", 43),
    ("p.age / 5", 8), ('"s=" + p.salary', "s=0.0"), ("p.address.city.length()", 4), ('p.name == "john"', True),
])
def test_property_access(env, src, expected):
    assert ev(src, env) == expected


def test_null_dereference_is_a_null_pointer_exception(env):
    with pytest.raises(JavaException) as e:
        ev("q.address.city", env)
    assert e.value.java_class == "java.lang.NullPointerException"


def test_setters_and_collection_mutation(env):
    run('p.setName("z"); p.age = 7; p.age += 1; m.put("new", 1); m["k"] = 2; l.add(4); l.remove(0);', env)
    assert (env["p"].name, env["p"].age) == ("z", 8)
    assert env["m"] == {"k": 2, "x": "y", "new": 1} and env["l"] == [2, 3, 4]


def test_setter_coerces_to_the_field_type(env):
    run("p.salary = 5; p.age = 3L;", env)
    assert same(env["p"].salary, 5.0) and same(env["p"].age, 3)


def test_python_objects_methods_and_getters():
    class Rule:
        def getName(self):
            return "r1"

    class Drools:
        halted = False

        def getRule(self):
            return Rule()

        def halt(self):
            self.halted = True

    class Instance:
        id = 7

    class KContext:
        def __init__(self):
            self.vars = {}

        def setVariable(self, k, v):
            self.vars[k] = v

        def getVariable(self, k):
            return self.vars.get(k)

        def getProcessInstance(self):
            return Instance()

    d, kc = Drools(), KContext()
    env = {"drools": d, "kcontext": kc}
    assert run('kcontext.setVariable("n", 5); drools.halt(); return drools.getRule().getName() + '
               'kcontext.getVariable("n") + kcontext.getProcessInstance().getId() + drools.rule.name;', env) == "r157r1"
    assert d.halted and kc.vars == {"n": 5}


# ---------------------------------------------------------------------------------------------
# statements

def test_locals_and_env_assignment():
    env = {"total": 1, "r": None}
    block = compile_block("""
        int x = 1; String s; var y = 2L; z = 3;   // typed, untyped, var, MVEL bare local
        List<String> names = new ArrayList<>();
        Map<String, List<Integer>> nested = new HashMap<>();
        total = total + x;                        /* env variable */
        r = "" + s + y + z;
    """)
    assert block(env) is None
    assert env == {"total": 2, "r": "null23"}
    assert "z" not in env and "total" in block.assigned and "x" not in block.assigned
    assert "total" in block.names and "x" not in block.names and "names" not in block.names


def test_control_flow():
    assert run("""
        int t = 0;
        for (int i = 0; i < 10; i++) { if (i == 2) continue; if (i == 5) break; t += i; }   // 0+1+3+4
        int k = 0;
        while (true) { k++; if (k >= 3) break; }
        int d = 0;
        do { d += 10; } while (d < 25);
        String kind;
        if (t > 100) kind = "big"; else if (t > 5) kind = "mid"; else kind = "small";
        for (String s : ["a", "b"]) { kind += s; }
        return kind + t + k + d;
    """) == "midab8330"


def test_return_inside_loop_and_bare_return():
    assert run("for (int i = 0; i < 10; i++) { if (i == 4) { return i * 2; } } return -1;") == 8
    assert run("x = 1; return;", {"x": 0}) is None


def test_break_does_not_run_the_for_update():
    assert run("int i; for (i = 0; i < 10; i++) { if (i == 3) break; } return i;") == 3


def test_continue_in_do_while_checks_the_condition():
    assert run("int k = 0; int n = 0; do { k++; if (k == 1) continue; n++; } while (k < 1); return n;") == 0


def test_assignment_to_typed_local_widens():
    assert run('double d; d = 5; return "d=" + d;') == "d=5.0"
    assert same(run("long n = 0; n = 7; return n;"), Long(7))


def test_print_hooks(capsys):
    out = []
    run('System.out.println("a" + 1); System.out.print(2.0); System.err.println("e"); System.out.println();',
        {"__out__": out.append})
    assert out == ["a1\n", "2.0", "e\n", "\n"]
    run('System.out.println("to stdout"); System.err.println("to stderr");')
    captured = capsys.readouterr()
    assert captured.out == "to stdout\n" and captured.err == "to stderr\n"


def test_throw_and_try_catch():
    with pytest.raises(JavaException) as e:
        run('throw new RuntimeException("boom " + 1);')
    assert (e.value.java_class, e.value.message) == ("java.lang.RuntimeException", "boom 1")
    with pytest.raises(JavaException) as e:
        run('throw new org.acme.MyException("x");')
    assert e.value.java_class == "org.acme.MyException"
    assert run('try { int a = 1 / 0; } catch (ArithmeticException e) { return "c:" + e.getMessage(); } return "no";') \
        == "c:/ by zero"
    assert run('try { String s = null; s.length(); } catch (NullPointerException e) { return "npe"; } return "no";') \
        == "npe"
    assert run('String r = ""; try { r += "t"; } finally { r += "f"; } return r;') == "tf"


def test_modify_calls_the_modify_hook_with_changed_properties(types):
    p = types.get("Person")(name="a", age=1)
    seen = []
    block = compile_block('modify (p) { setAge(3), name = "y" }; modify (p) { setAge(4); }', types=types)
    block({"p": p, "__modify__": lambda o, props: seen.append((o, props))})
    assert (p.age, p.name) == (4, "y") and seen == [(p, ("age", "name")), (p, ("age",))]


def test_modify_falls_back_to_update(types):
    p = types.get("Person")(name="a")
    seen = []
    run('modify (p) { setAge(3) }', {"p": p, "update": seen.append})
    assert seen == [p] and p.age == 3


def test_modify_reads_properties_of_its_target(types):
    p = types.get("Person")(age=1)
    run("modify (p) { setAge(age + 1) }", {"p": p, "update": lambda o: None})
    assert p.age == 2


def test_free_functions_resolve_to_env_callables():
    calls = []
    env = {name: (lambda n: lambda x: calls.append((n, x)))(name)
           for name in ("insert", "insertLogical", "update", "delete", "retract")}
    env["double"] = lambda a: a * 2
    env["x"] = 1
    block = compile_block("insert(x); insertLogical(x); update(x); delete(x); retract(x); return double(21);")
    assert block(env) == 42
    assert [c[0] for c in calls] == ["insert", "insertLogical", "update", "delete", "retract"]
    assert {"insert", "double", "x"} <= block.names


# ---------------------------------------------------------------------------------------------
# DRL constraints

@pytest.fixture()
def fact(types):
    return types.get("Person")(name="john", age=15, address=types.get("Address")(city="Brno"))


@pytest.mark.parametrize("src,expected", [
    ("age > 10 && < 20", True), ("age > 10 && < 12", False), ('name == "a" || == "john"', True),
    ('name == "a" || == "b"', False), ("age < 10 || > 12", True), ('age > 10 && < 20 && name == "john"', True),
    ("age > 10 && < 20 || == 99", True), ('name matches "jo.*"', True), ('name matches "jo"', False),
    ('name not matches "x.*"', True), ('name matches "\\\\w+"', True), ('name contains "oh"', True),
    ('name not contains "x"', True), ("$l contains 2", True), ("$l not contains 15", True), ("age memberOf $l", False),
    ("age not memberOf $l", True), ('name in ("a", "john")', True), ('name not in ("a", "b")', True),
    ("age in (1, 15L)", True), ('name soundslike "jon"', True), ('name soundslike "mary"', False),
    ('name str[startsWith] "jo"', True), ('name str[endsWith] "hn"', True), ("name str[length] 4", True),
    ("age > null", False), ("age < null", False), ("age == null", False), ("age != null", True),
    ('address.city == "Brno"', True), ('address!.city == "Brno"', True), ("address.city.length() == 4", True),
    ("this == this", True), ("this.age == 15", True), ("this instanceof Person", True), ("$x == 15", True),
    ("age == $x", True), ("age == 15L", True), ("age == 15.0", True), ("(age > 10 && < 20)", True),
    ("age > 10 && (age < 20 || age > 30)", True), ("$l.size() == 2", True), ("name != null && name.length() > 2", True),
])
def test_constraints(types, fact, src, expected):
    c = compile_expression(src, constraint=True, known_names={"$x", "$l"}, types=types)
    assert c({"this": fact, "$x": 15, "$l": [1, 2]}) is expected


def test_constraint_on_null_property_and_dict_facts():
    c = compile_expression("age > 3 && name == null", constraint=True)
    assert c({"this": {"age": None, "name": None}}) is False
    assert c({"this": {"age": 4, "name": None}}) is True


def test_constraint_analysis():
    c = compile_expression('age > $min && address.city == x && this.name != "y"', constraint=True,
                           known_names={"x", "$min"})
    assert c.names == {"x", "$min"} and c.this_properties == {"age", "address", "name"}
    assert c.source.startswith("age >")


def test_constraint_calls_methods_of_this(fact):
    c = compile_expression("getAge() == 15 && !isActive()", constraint=True)
    assert c({"this": fact}) is True and "age" in c.this_properties


def test_compiled_constraint_does_not_reparse(fact, monkeypatch):
    c = compile_expression('name == "john" && age > 10 && < 20', constraint=True)
    fn, code = c.fn, c.fn.__code__

    def no_parsing(*a, **k):
        raise AssertionError("parsed again")

    monkeypatch.setattr(parser_module.Parser, "__init__", no_parsing)
    env = {"this": fact}
    assert all(c(env) for _ in range(100_000))
    assert c.fn is fn and c.fn.__code__ is code


def test_dates_in_code_and_constraints():
    utc = dt.timezone.utc
    d = dt.datetime(2021, 1, 1, tzinfo=utc)
    env = {"this": {"birth": d, "day": d.date()}, "$x": dt.datetime(2020, 1, 1, tzinfo=utc)}
    for src in ['birth > "01-Jan-2020"', 'birth == "01-Jan-2021"', '!(birth < "01-Jan-2020")', 'day == "2021-01-01"',
                "birth.time == 1609459200000L", "birth.getTime() > 0", "birth.after($x)", "!birth.before($x)"]:
        assert compile_expression(src, constraint=True, known_names={"$x"})(env) is True, src


# ---------------------------------------------------------------------------------------------
# errors

@pytest.mark.parametrize("src,line,column,pos", [
    ("x = (1 + );", 12, 5, (12, 14)),                 # first line: offset by the snippet's column
    ("int a = 1;\n  b = = 2;", 3, 9, (4, 7)),          # later lines: columns are the file's columns
    ('s = "abc;', 1, 1, (1, 5)),                       # unterminated string
    ("x = 1 # 2;", 2, 3, (2, 9)),
    ("if (a) { b = 1;", 5, 1, (5, 16)),
])
def test_syntax_error_positions(src, line, column, pos):
    with pytest.raises(ExpressionError) as e:
        compile_block(src, source_name="rules.drl", line=line, column=column)
    err = e.value
    assert (err.line, err.column) == pos and err.source_name == "rules.drl"
    assert str(err).startswith(f"rules.drl [{pos[0]}:{pos[1]}]: ") and err.message in str(err)
    assert isinstance(err, Exception)


def test_error_message_names_the_token():
    with pytest.raises(ExpressionError) as e:
        compile_expression("foo(1 + )", source_name="rules.drl", line=12, column=5)
    assert str(e.value) == "rules.drl [12:13]: unexpected token ')'"


def test_runtime_error_names_the_source():
    with pytest.raises(ExpressionRuntimeError) as e:
        compile_expression("missing * 2", source_name="p.bpmn2", line=40)({})
    assert "p.bpmn2 [40:" in str(e.value) and "missing" in str(e.value)


def test_java_exception_carries_the_source_position():
    with pytest.raises(JavaException) as e:
        compile_expression("a.b", source_name="r.drl", line=7, column=3)({"a": None})
    assert (e.value.source_name, e.value.line, e.value.column) == ("r.drl", 7, 3)


# ---------------------------------------------------------------------------------------------
# helpers

@pytest.mark.parametrize("value,typ,expected", [
    ("5", "int", 5), (5, "java.lang.Integer", 5), (5.7, "int", 5), (5, "long", Long(5)), (5, "Long", Long(5)),
    ("1.5", "double", 1.5), (1, "float", Float(1.0)), (5, "String", "5"), (1.0, "java.lang.String", "1.0"),
    ("true", "boolean", True), ("1.50", "java.math.BigDecimal", decimal.Decimal("1.50")), ([1], "java.util.List", [1]),
    ({"a": 1}, "java.util.Map", {"a": 1}), (5, "org.acme.Unknown", 5), (None, "int", None), (5, "java.lang.Object", 5),
])
def test_coerce(value, typ, expected):
    assert same(coerce(value, typ), expected)


def test_coerce_dates():
    utc = dt.timezone.utc
    assert coerce(0, "java.util.Date") == dt.datetime(1970, 1, 1, tzinfo=utc)
    assert coerce("2018-10-08T10:56:39.184Z", "java.util.Date") == dt.datetime(2018, 10, 8, 10, 56, 39, 184000, utc)


def test_java_equals():
    assert java_equals(1, Long(1)) and java_equals(1, 1.0) and java_equals(None, None) and java_equals("a", "a")
    assert not java_equals(None, 1) and not java_equals("1", None) and java_equals(decimal.Decimal("1.0"), 1)
