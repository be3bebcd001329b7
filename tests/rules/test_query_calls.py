"""Queries called from rules (backward chaining): positional arguments, unbound variables the query
binds, recursion, reactive calls and ?pull calls, := unification.  The house example is Drools'
own (its manual's backward-chaining section); firing sets are compared, since the order in which
Drools propagates a recursive query's rows is not modelled."""
from containers.rules import build_kbase
from containers.rules import session as session_mod
from containers.values import TypeRegistry

HOUSE = """package org.acme
global java.util.List list
declare Location
    thing : String
    location : String
end
query isContainedIn( String x, String y )
  Location( x, y; )
  or
  ( Location( z, y; ) and isContainedIn( x, z; ) )
end
rule "go" salience 10 when $s : String( ) then list.add($s); end
rule "go1" when String( this == "go1" ) isContainedIn("Office", "House"; ) then list.add("office is in the house"); end
rule "go2" when String( this == "go2" ) isContainedIn("Draw", "House"; ) then list.add("Draw in the House"); end
rule "go3" when String( this == "go3" ) isContainedIn("Key", "Office"; ) then list.add("Key in the Office"); end
rule "go3pull" when String( this == "go3" ) ?isContainedIn("Key", "Office"; ) then list.add("pulled"); end
rule "go4" when String( this == "go4" ) isContainedIn(thing, "Office"; ) then list.add("thing " + thing + " is in the Office"); end
rule "go5" when String( this == "go5" ) isContainedIn(thing, location; ) then list.add(thing + " in " + location); end
"""

PLACES = [("Office", "House"), ("Kitchen", "House"), ("Knife", "Kitchen"), ("Cheese", "Kitchen"), ("Desk", "Office"),
          ("Chair", "Office"), ("Computer", "Desk"), ("Draw", "Desk")]


def _house():
    types = TypeRegistry()
    s = build_kbase([("house.drl", HOUSE)], types).new_session()
    out = []
    s.set_global("list", out)
    loc = types.get("org.acme.Location")
    for t, place in PLACES:
        s.insert(loc(t, place))
    return s, out, loc


def test_recursive_query_with_bound_arguments_and_reactive_calls():
    s, out, loc = _house()
    for g in ["go1", "go2", "go3"]:
        s.insert(g)
        s.fire_all_rules()
    assert out == ["go1", "office is in the house", "go2", "Draw in the House", "go3"]
    # the key arrives later: the reactive call sees it, the ?pull call does not
    s.insert(loc("Key", "Draw"))
    s.fire_all_rules()
    assert out[5:] == ["Key in the Office"]


def test_unbound_arguments_are_bound_by_the_query():
    s, out, loc = _house()
    s.insert(loc("Key", "Draw"))
    s.insert("go4")
    s.fire_all_rules()
    assert out[0] == "go4"
    assert sorted(out[1:]) == sorted(f"thing {t} is in the Office" for t in ["Chair", "Desk", "Key", "Computer", "Draw"])
    del out[:]
    s.insert("go5")
    s.fire_all_rules()
    # the twenty (thing, location) pairs of Drools' manual
    assert out[0] == "go5" and len(out) == 21
    assert set(out[1:]) == {
        "Chair in Office", "Desk in Office", "Draw in Desk", "Key in Draw", "Kitchen in House", "Cheese in Kitchen",
        "Knife in Kitchen", "Computer in Desk", "Office in House", "Key in Office", "Draw in House",
        "Computer in House", "Key in House", "Desk in House", "Chair in House", "Knife in House", "Cheese in House",
        "Computer in Office", "Draw in Office", "Key in Desk"}


def test_a_retracted_fact_takes_its_rows_away():
    s, out, loc = _house()
    key = s.insert(loc("Key", "Draw"))
    s.insert("go3")
    s.delete(key)
    s.fire_all_rules()
    assert out == ["go3"]


def test_query_call_matches_survive_a_snapshot_without_refiring():
    types = TypeRegistry()
    kb = build_kbase([("house.drl", HOUSE)], types)
    s = kb.new_session()
    out = []
    s.set_global("list", out)
    loc = types.get("org.acme.Location")
    for t, place in PLACES:
        s.insert(loc(t, place))
    s.insert("go4")
    s.fire_all_rules()
    fired = len(out)
    s2 = session_mod.RuleSession.restore(kb, s.snapshot())
    s2.set_global("list", out)
    assert s2.fire_all_rules() == 0 and len(out) == fired


UNIFY = """package org.acme
global java.util.List list
declare P
    name : String
    age : int
end
query adult(P $p) $p := P(age >= 18) end
query named(String n, int a) P(n, a;) end
rule "adult given" when $p : P(name == "ann") adult($p;) then list.add("adult " + $p.getName()); end
rule "adult found" when adult($who;) then list.add("found " + $who.getName()); end
rule "age of bob" when named("bob", $a;) then list.add("bob is " + $a); end
rule "no minors" when not adult($x;) then list.add("nobody"); end
"""


def test_unification_and_output_variables():
    types = TypeRegistry()
    s = build_kbase([("u.drl", UNIFY)], types).new_session()
    out = []
    s.set_global("list", out)
    s.fire_all_rules()
    assert out == ["nobody"]
    p = types.get("org.acme.P")
    s.insert(p("ann", 30))
    s.insert(p("bob", 12))
    s.fire_all_rules()
    assert sorted(out[1:]) == ["adult ann", "bob is 12", "found ann"]


FAMILY = """package org.acme
global java.util.List list
declare Parent parent : String child : String end
declare Man name : String end
# queries written with := unification inside the patterns
query father(String father, String child) Parent(father := parent, child := child) and Man(father := name) end
query grandparent(String gp, String gs) Parent(gp := parent, x := child) and Parent(x := parent, gs := child) end
rule f when father(f, c;) then list.add(f + " father of " + c); end
rule g when grandparent(g, s;) then list.add(g + " grandparent of " + s); end
rule g2 when grandparent("abe", s;) then list.add("abe's grandchild " + s); end
rule mk when not Parent() then
    insert(new Parent("abe", "homer")); insert(new Parent("homer", "bart")); insert(new Parent("marge", "bart"));
    insert(new Man("abe")); insert(new Man("homer"));
end
"""


def test_unification_inside_patterns():
    s = build_kbase([("f.drl", FAMILY)], TypeRegistry()).new_session()
    out = []
    s.set_global("list", out)
    assert s.fire_all_rules() == 5
    assert sorted(out) == ["abe father of homer", "abe grandparent of bart", "abe's grandchild bart",
                           "homer father of bart"]
