"""DRL forms users write beyond the basics: `or` under not/exists, @watch, @classReactive, entry
points from consequences, declared subtypes."""
from containers.rules import build_kbase
from containers.values import TypeRegistry

HEADER = """package org.test
global java.util.List list
declare P
    name : String
    age : int
end
"""


def run(rules, facts=(), header=HEADER):
    types = TypeRegistry()
    kb = build_kbase([("t.drl", header + rules)], types)
    s = kb.new_session()
    out = []
    s.set_global("list", out)
    for name, age in facts:
        s.insert(types.get("org.test.P")(name, age))
    fired = s.fire_all_rules()
    return out, fired, s


OR_UNDER = """
rule none when not (P(age == 1) or P(age == 2)) then list.add("none"); end
rule some when exists (P(age == 1) or P(age == 5)) then list.add("some"); end
rule top when
    $p : P()
    not (P(age > $p.age) or (P(name == $p.name, $a : age) and P(this != $p, name == $p.name, age == $a)))
then
    list.add("top " + $p.getName());
end
"""


def test_not_over_or_is_a_not_per_branch():
    assert run(OR_UNDER)[0] == ["none"]
    assert run(OR_UNDER, [("x", 3), ("x", 3)])[0] == ["none"]          # same name: no top
    assert run(OR_UNDER, [("x", 2)])[0] == ["top x"]                    # P(age == 2) exists


def test_exists_over_or_fires_once():
    # exists(a or b) is not(not(a) and not(b)): one firing even when both branches hold
    out, fired, _ = run(OR_UNDER, [("x", 1), ("y", 5)])
    assert out == ["some", "top y"] and fired == 2
    assert run(OR_UNDER, [("x", 5)])[0] == ["none", "some", "top x"]


MODIFY_AGE = """
rule bump when $p : P(age < 3) then modify($p) { setAge($p.getAge() + 1) } end
"""


def test_watch_adds_and_removes_properties():
    # a pattern reads `age`: every bump re-activates it
    out, *_ = run("""
rule a when $p : P(age > 0) @watch(name) then list.add("a " + $p.getAge()); end
""" + MODIFY_AGE, [("x", 1)])
    assert out == ["a 1", "a 2", "a 3"]
    # @watch(!age): the bumps no longer reach it
    out, *_ = run("""
rule a when $p : P(age > 0) @watch(!age) then list.add("a " + $p.getAge()); end
""" + MODIFY_AGE, [("x", 1)])
    assert out == ["a 1"]
    # no constraint reads anything: only the watched name brings it back
    out, *_ = run("""
rule a when $p : P() @watch(name) then list.add("a " + $p.getName()); end
rule rename when $p : P(age < 2) then modify($p) { setName($p.getName() + "!"), setAge(5) } end
rule older when $p : P(age == 5) then modify($p) { setAge(6) } end
""", [("x", 1)])
    assert out == ["a x", "a x!"]


def test_watch_star_and_class_reactive_types_react_to_every_modify():
    out, *_ = run("""
rule a when $p : P() @watch(*) then list.add("a " + $p.getAge()); end
""" + MODIFY_AGE, [("x", 1)])
    assert out == ["a 1", "a 2", "a 3"]
    out, *_ = run("""
rule a when $p : P() then list.add("a " + $p.getAge()); end
""" + MODIFY_AGE, [("x", 1)], header=HEADER.replace("declare P", "declare P @classReactive"))
    assert out == ["a 1", "a 2", "a 3"]
    # property reactive by default: an unconstrained pattern ignores the bumps
    out, *_ = run("""
rule a when $p : P() then list.add("a " + $p.getAge()); end
""" + MODIFY_AGE, [("x", 1)])
    assert out == ["a 1"]


def test_consequence_inserts_into_a_named_entry_point():
    out, _, s = run("""
rule a when $p : P(age < 5) then
    drools.getEntryPoint("late").insert(new P($p.getName() + "+", 9));
    kcontext.getKieRuntime().getEntryPoint("late").insert(new P($p.getName() + "++", 9));
end
rule b when $p : P(age == 9) from entry-point "late" then list.add("late " + $p.getName()); end
rule c when $p : P(age == 9) then list.add("default " + $p.getName()); end
""", [("x", 1)])
    assert out == ["late x++", "late x+"]
    assert sorted(h.entry_point for h in s.get_fact_handles()) == ["DEFAULT", "late", "late"]


def test_declared_subtype_takes_inherited_fields_first():
    out, *_ = run("""
declare Q extends P
    extra : String
end
rule mk salience 10 when not Q() then insert(new Q("q", 5, "e")); end
rule q when $q : Q(age > 1) then list.add($q.getName() + $q.getExtra() + $q.getAge()); end
rule p when $p : P() then list.add("p " + $p.getName()); end
""", [("x", 1)])
    assert out[0] == "qe5"
    assert sorted(out[1:]) == ["p q", "p x"]


ENUM = """
declare enum Color
    RED("r", 1), GREEN("g", 2), BLUE("b", 3);
    code : String
    weight : int
end
declare Shirt
    owner : String
    color : Color
end
"""


def test_declare_enum_in_patterns():
    types = TypeRegistry()
    kb = build_kbase([("t.drl", HEADER + ENUM + """
rule red when $s : Shirt(color == Color.RED) then list.add("red " + $s.getColor() + " " + $s.getColor().getCode()); end
rule heavy when $s : Shirt(color.weight > 1, $c : color) then
    list.add("heavy " + $c.name() + $c.ordinal() + " " + $c.compareTo(Color.RED) + " " + $s);
end
rule all salience -1 when Shirt(owner == "a") then
    list.add(Color.values().length + " " + Color.valueOf("BLUE").getWeight());
end
""")], types)
    color, shirt = types.get("org.test.Color"), types.get("org.test.Shirt")
    assert [c.name() for c in color.values()] == ["RED", "GREEN", "BLUE"]
    s = kb.new_session()
    out = []
    s.set_global("list", out)
    s.insert(shirt("a", color.of("RED")))
    s.insert(shirt("b", color.of("GREEN")))
    s.fire_all_rules()
    assert out == ["red RED r", "heavy GREEN1 1 Shirt( owner=b, color=GREEN )", "3 3"]


def test_consequence_update_forms_and_the_agenda_from_the_runtime():
    out, fired, s = run("""
rule bump when $p : P(age < 3) then
    $p.setAge($p.getAge() + 1);
    update(drools.getWorkingMemory().getFactHandle($p), $p);
end
rule five when $p : P(age == 3) then
    $p.setAge(5);
    update($p);
    kcontext.getKieRuntime().getAgenda().getAgendaGroup("later").setFocus();
end
rule later agenda-group "later" when $p : P(age == 5) then
    list.add("later " + $p.getName());
    retract(kcontext.getKieRuntime().getFactHandle($p));
end
""", [("x", 1)])
    assert out == ["later x"] and fired == 4
    assert s.get_fact_handles() == []


def test_file_level_attributes_declare_type_and_entry_point_declarations():
    out, fired, _ = run("""
agenda-group "g"
no-loop true
declare type Q
    n : String
end
declare entry-point "late" end
rule a when $p : P(age < 5) then modify($p) { setAge($p.getAge() + 1) } list.add("a"); end
rule b agenda-group "MAIN" when P() then list.add("b"); drools.setFocus("g"); end
""", [("x", 1)])
    # a sits in agenda group g (the file's attribute) and is no-loop; b overrides the group
    assert out == ["b", "a"] and fired == 2


def test_accumulate_over_from_with_a_comma():
    out, *_ = run("""
declare O items : java.util.List end
rule a when $o : O($items : items) Number( $n : intValue < 10 ) from accumulate( String( ) from $items, count( 1 ) ) then
    list.add("n=" + $n);
end
rule mk when not O() then insert(new O(java.util.Arrays.asList("ab", "c", "de"))); end
""")
    assert out == ["n=3"]


def test_grouped_restrictions_on_one_field():
    out, *_ = run("""
rule m when $p : P( age ((> 30 && < 40) || (> 10 && < 20)), name == "a" || == "b" ) then list.add("m " + $p.getName() + $p.getAge()); end
rule n when $p : P( age (> 1 && < 3 || == 50) ) then list.add("n " + $p.getName()); end
""", [("a", 35), ("b", 15), ("c", 35), ("a", 25), ("b", 2), ("z", 50)])
    assert sorted(out) == ["m a35", "m b15", "n b", "n z"]


NAMED = """
declare Customer name : String age : int type : String discount : double end
declare Car owner : Customer freeParking : boolean end
rule "discounts"
when
    $customer : Customer( age > 60 )
    if ( type == "Golden" ) do[giveDiscount10]
    else if ( type == "Silver" ) break[giveDiscount5]
    $car : Car( owner == $customer )
then
    modify($car) { setFreeParking( true ) };
    list.add("parking " + $customer.getName() + " " + drools.getRule().getName());
then[giveDiscount10]
    modify($customer) { setDiscount( 0.1 ) };
    list.add("10% " + $customer.getName());
then[giveDiscount5]
    modify($customer) { setDiscount( 0.05 ) };
    list.add("5% " + $customer.getName() + " " + drools.getRule().getName());
end
rule cars salience 10 when $c : Customer() not Car(owner == $c) then insert(new Car($c, false)); end
rule plain when $c : Customer(age < 30) do[young] then list.add("main " + $c.getName()); then[young] list.add("young " + $c.getName()); end
"""


def test_named_consequences_do_break_and_conditions():
    types = TypeRegistry()
    s = build_kbase([("t.drl", HEADER + NAMED)], types).new_session()
    out = []
    s.set_global("list", out)
    cust = types.get("org.test.Customer")
    for name, age, kind in [("gold", 70, "Golden"), ("silver", 65, "Silver"), ("bronze", 61, "Bronze"), ("kid", 10, "x")]:
        s.insert(cust(name, age, kind, 0.0))
    s.fire_all_rules()
    # gold: do[] then the rule's own consequence; silver: break[] stops it; bronze: no branch taken
    assert sorted(out) == ["10% gold", "5% silver discounts", "main kid", "parking bronze discounts",
                           "parking gold discounts", "young kid"]
    assert {c.name: c.discount for c in s.get_objects("org.test.Customer")} == \
        {"gold": 0.1, "silver": 0.05, "bronze": 0.0, "kid": 0.0}


def test_hash_maps_and_sets_made_in_consequences_iterate_in_java_order():
    # "a", "b", "c" hash to buckets 1, 2, 3 of a java.util.HashMap whatever the insertion order;
    # a LinkedHashMap keeps insertion order
    out, *_ = run("""
rule a when P() then
    java.util.Map m = new java.util.HashMap();
    m.put("c", 3); m.put("a", 1); m.put("b", 2);
    list.add("" + m);
    for (Object k : m.keySet()) { list.add("k" + k); }
    list.add(m.entrySet().toString());
    java.util.Set s = new java.util.HashSet(); s.add("c"); s.add("a"); s.add("b"); s.add("a");
    list.add("" + s + s.size());
    java.util.Map lm = new java.util.LinkedHashMap(); lm.put("c", 3); lm.put("a", 1);
    list.add("" + lm);
    java.util.Map tm = new java.util.TreeMap(); tm.put("zz", 1); tm.put("ab", 2); tm.put("b", 3);
    java.util.Set ts = new java.util.TreeSet(); ts.add(30); ts.add(4); ts.add(100);
    list.add("" + tm + ts);
end
""", [("x", 1)])
    assert out == ["{a=1, b=2, c=3}", "ka", "kb", "kc", "[a=1, b=2, c=3]", "[a, b, c]3", "{c=3, a=1}",
                   "{ab=2, b=3, zz=1}[4, 30, 100]"]
