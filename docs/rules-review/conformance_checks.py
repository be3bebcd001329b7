"""Drools 7.x (Phreak) behaviours read from the kiegroup/drools 7.x sources, as executable checks
against containers.rules.  Each test names the Java code its expectation comes from.

Key fact behind most of the ordering tests (drools-core/.../common/TupleSetsImpl.java, 7.x):
addInsert/addUpdate/addDelete PREPEND to the staged list ("insertFirst = tuple").  Every stage is
therefore LIFO:
  * LeftInputAdapterNode.doInsertSegmentMemory stages new left tuples with addInsert (newest first);
  * a BetaMemory's staged right tuples are newest first, and PhreakJoinNode.doRightInserts appends
    them to the right memory in that (newest-first) order;
  * every beta node (join, not, exists, eval, from, accumulate) emits children with
    trgLeftTuples.addInsert, i.e. the output list is the REVERSE of the order it produced them;
  * PhreakRuleTerminalNode.doLeftInserts walks its staged inserts from the first and appends them to
    RuleExecutor.tupleList; RuleExecutor.fire() takes tupleList.removeFirst().
Net effect for facts inserted in one batch (no firing in between): a one-pattern rule fires them
newest-first; a two-pattern rule fires in "natural" nested-loop order; a three-pattern rule reverses
again on the first pattern; a `from` over a list fires the list's elements last-to-first.
Facts of an @role(event) type are flushed into the rule at once (AddRemoveRule.findPathToFlush:
forceFlush for events), so events keep insertion order.
Drools' own PhreakJoinNodeTest.testInsertDelete (test-compiler-integration, 7.x) encodes this order:
its expected results only hold with prepending staged lists.

Within one evaluation: PhreakJoinNode.doNode runs right deletes, left deletes, right updates, left
updates, right inserts, THEN left inserts; PhreakRuleTerminalNode.doNode runs deletes, updates, then
inserts (a re-activated, already fired match is appended before new matches).
"""
import pytest

from containers.rules import build_kbase
from containers.values import TypeRegistry

HEADER = """package org.test
global java.util.List list
declare Person
    name : String
    age : int
end
declare Item
    name : String
    price : double
end
declare Flag
    name : String @key
end
declare Tagged
    name : String
    tags : java.util.List
end
"""


def session(rules):
    types = TypeRegistry()
    kb = build_kbase([("t.drl", HEADER + rules)], types)
    s = kb.new_session()
    out = []
    s.set_global("list", out)
    return s, out, types


def ins(s, types, cls, *args):
    o = types.get(cls)(*args)
    s.insert(o)
    return o


# -- ordering of one rule's matches -------------------------------------------------------------

def test_one_pattern_batch_fires_newest_first():
    """LIA staging is LIFO (TupleSetsImpl.addInsert prepends); RTN appends in staged order."""
    s, out, t = session('rule r when Person($n : name) then list.add($n); end')
    for n in ("ann", "bob", "cyd"):
        ins(s, t, "Person", n, 1)
    s.fire_all_rules()
    assert out == ["cyd", "bob", "ann"]


def test_one_pattern_fired_between_inserts_keeps_insertion_order():
    s, out, t = session('rule r when Person($n : name) then list.add($n); end')
    for n in ("ann", "bob", "cyd"):
        ins(s, t, "Person", n, 1)
        s.fire_all_rules()
    assert out == ["ann", "bob", "cyd"]


def test_two_patterns_batch_natural_order():
    """Two reversals (LIA staging, join output) cancel out."""
    s, out, t = session('rule r when Person($n : name) Item($i : name) then list.add($n + "-" + $i); end')
    ins(s, t, "Person", "ann", 1)
    ins(s, t, "Item", "x", 1.0)
    ins(s, t, "Person", "bob", 1)
    ins(s, t, "Item", "y", 1.0)
    s.fire_all_rules()
    assert out == ["ann-x", "ann-y", "bob-x", "bob-y"]


def test_two_patterns_incremental_right_then_left_inserts():
    """After the first evaluation the left memory is [bob, ann] and the right memory [y, x]
    (both filled newest-first).  New right facts z, w (staged [w, z]): doRightInserts takes w then
    z, each joined with the left memory [bob, ann], children prepended -> ann-z, bob-z, ann-w,
    bob-w.  Then a new left fact cyd joins the right memory [y, x, w, z], children prepended ->
    cyd-z, cyd-w, cyd-x, cyd-y."""
    s, out, t = session('rule r when Person($n : name) Item($i : name) then list.add($n + "-" + $i); end')
    ins(s, t, "Person", "ann", 1)
    ins(s, t, "Person", "bob", 1)
    ins(s, t, "Item", "x", 1.0)
    ins(s, t, "Item", "y", 1.0)
    s.fire_all_rules()
    del out[:]
    ins(s, t, "Item", "z", 1.0)
    ins(s, t, "Item", "w", 1.0)
    s.fire_all_rules()
    assert out == ["ann-z", "bob-z", "ann-w", "bob-w"]
    del out[:]
    ins(s, t, "Person", "cyd", 1)
    s.fire_all_rules()
    assert out == ["cyd-z", "cyd-w", "cyd-x", "cyd-y"]


def test_same_batch_right_inserts_before_left_inserts():
    """PhreakJoinNode.doNode runs doRightInserts before doLeftInserts.  Memories after the first
    evaluation: left [ann], right [x].  New y, bob in one batch:
      right inserts: y joins left [ann]            -> trg = [ann-y]
      left inserts : bob joins right [x, y]: bob-x -> [bob-x, ann-y]; bob-y -> [bob-y, bob-x, ann-y]
    The terminal node appends in list order."""
    s, out, t = session('rule r when Person($n : name) Item($i : name) then list.add($n + "-" + $i); end')
    ins(s, t, "Person", "ann", 1)
    ins(s, t, "Item", "x", 1.0)
    s.fire_all_rules()
    del out[:]
    ins(s, t, "Person", "bob", 1)
    ins(s, t, "Item", "y", 1.0)
    s.fire_all_rules()
    assert out == ["bob-y", "bob-x", "ann-y"]


def test_three_patterns_batch_reverses_first_pattern():
    s, out, t = session('rule r when Person($n : name) Item() Flag() then list.add($n); end')
    ins(s, t, "Person", "ann", 1)
    ins(s, t, "Person", "bob", 1)
    ins(s, t, "Item", "x", 1.0)
    ins(s, t, "Flag", "f")
    s.fire_all_rules()
    assert out == ["bob", "ann"]


def test_not_node_counts_as_a_reversal():
    """PhreakNotNode.doLeftInserts emits unblocked tuples with addInsert (prepend)."""
    s, out, t = session('rule r when Person($n : name) not Item(name == $n) then list.add($n); end')
    for n in ("ann", "bob", "cyd"):
        ins(s, t, "Person", n, 1)
    s.fire_all_rules()
    assert out == ["ann", "bob", "cyd"]


def test_from_list_fires_last_element_first():
    """PhreakFromNode.doLeftInserts iterates the collection and prepends each child."""
    s, out, t = session('rule r when Tagged($tags : tags) $s : String() from $tags then list.add($s); end')
    ins(s, t, "Tagged", "t", ["a", "b", "c"])
    s.fire_all_rules()
    assert out == ["c", "b", "a"]


def test_rtn_updates_before_inserts():
    """PhreakRuleTerminalNode.doNode: doLeftUpdates (x re-activated) before doLeftInserts (y)."""
    s, out, t = session('rule r when Person($n : name) Item($i : name, price > 10) '
                        'then list.add($n + "-" + $i); end')
    ins(s, t, "Person", "ann", 1)
    x = ins(s, t, "Item", "x", 20.0)
    s.fire_all_rules()
    ins(s, t, "Item", "y", 30.0)
    x.price = 25.0
    s.update(s.get_fact_handle(x))
    s.fire_all_rules()
    assert out == ["ann-x", "ann-x", "ann-y"]


def test_dynamic_salience_orders_matches():
    s, out, t = session('rule r salience $a when Person($n : name, $a : age) then list.add($n); end')
    ins(s, t, "Person", "ten", 10)
    ins(s, t, "Person", "thirty", 30)
    ins(s, t, "Person", "twenty", 20)
    s.fire_all_rules()
    assert out == ["thirty", "twenty", "ten"]


# -- agenda ----------------------------------------------------------------------------------------

def test_equal_salience_earlier_rule_interrupts_later_one():
    """RuleExecutor.haltRuleFiring + PhreakConflictResolver.doCompare (load order breaks ties)."""
    s, out, t = session("""
rule "first" when Item($n : name) then list.add("first:" + $n); end
rule "second" when Person($n : name) then insert(new Item($n, 1.0)); list.add("second:" + $n); end
""")
    ins(s, t, "Person", "a", 1)
    ins(s, t, "Person", "b", 1)
    s.fire_all_rules()
    assert out == ["second:b", "first:b", "second:a", "first:a"]


def test_lock_on_active_in_main_group():
    """MAIN becomes active in getNextFocus (activatedForRecency = current recency), so an update
    made while it fires is blocked by PhreakRuleTerminalNode.blockedByLockOnActive."""
    s, out, t = session('rule "raise" lock-on-active when $p : Person(age < 100) '
                        'then modify($p) { setAge($p.getAge() + 10) }; list.add($p.getAge()); end')
    ins(s, t, "Person", "a", 1)
    s.fire_all_rules()
    assert out == [11]


def test_clear_agenda_keeps_focus_stack():
    """DefaultAgenda.clearAndCancel only cancels activations; the focus stack is kept."""
    s, out, t = session("""
rule "g" agenda-group "g" when Person($n : name) then list.add("g:" + $n); end
rule "m" when Person($n : name) then list.add("m:" + $n); end
""")
    ins(s, t, "Person", "a", 1)
    s.set_focus("g")
    s.clear_agenda()
    ins(s, t, "Person", "b", 1)
    s.fire_all_rules()
    assert out == ["g:b", "m:b"]


def test_agenda_filter_consumes_rejected_matches():
    """RuleExecutor.cancelAndContinue: a filtered match is taken off the list, not kept."""
    s, out, t = session("""
rule "r" when Person($n : name) then list.add("r:" + $n); end
rule "s" when Person($n : name) then list.add("s:" + $n); end
""")
    ins(s, t, "Person", "a", 1)
    assert s.fire_all_rules(agenda_filter=lambda name: name == "s") == 1
    assert s.fire_all_rules() == 0
    assert out == ["s:a"]


# -- accumulate --------------------------------------------------------------------------------------

def test_accumulate_refires_on_any_change_even_same_result():
    """PhreakAccumulateNode.propagateResult: an already propagated result is always re-staged as
    an update (no comparison of old and new result)."""
    s, out, t = session('rule r when accumulate(Item($p : price); $s : sum($p)) then list.add("sum=" + $s); end')
    ins(s, t, "Item", "a", 10.0)
    ins(s, t, "Item", "b", 20.0)
    s.fire_all_rules()
    ins(s, t, "Item", "c", 0.0)
    s.fire_all_rules()
    assert out == ["sum=30.0", "sum=30.0"]


def test_accumulate_single_null_result_does_not_fire():
    """propagateResult: `!allowNullPropagation && result == null` -> nothing propagated
    (min/max/average of no values are null)."""
    s, out, t = session("""
rule "min" when accumulate(Person($a : age); $m : min($a)) then list.add("min=" + $m); end
rule "avg" when accumulate(Person($a : age); $m : average($a)) then list.add("avg=" + $m); end
rule "sum" when accumulate(Person($a : age); $m : sum($a)) then list.add("sum=" + $m); end
rule "count" when accumulate(Person($a : age); $m : count($a)) then list.add("count=" + $m); end
""")
    s.fire_all_rules()
    # sum over an int expression is IntegerSumAccumulateFunction ("sumI", AccumulateUtil), so 0
    assert out == ["sum=0", "count=0"]


def test_accumulate_multi_function_empty_fires_with_nulls():
    s, out, t = session('rule r when accumulate(Person($a : age); $s : sum($a), $c : count($a), '
                        '$mn : min($a), $mx : max($a), $av : average($a)) '
                        'then list.add($s + " " + $c + " " + $mn + " " + $mx + " " + $av); end')
    s.fire_all_rules()
    assert out == ["0 0 null null null"]  # sumI: Integer 0


def test_accumulate_min_max_keep_the_input_type():
    """drools-compiler AccumulateUtil.getFunctionName (7.x) picks sumI/minI/maxI for an int
    expression: sum, min and max stay Integer; average is Double, count is Long."""
    s, out, t = session('rule r when accumulate(Person($a : age); $s : sum($a), $c : count($a), '
                        '$mn : min($a), $mx : max($a), $av : average($a)) '
                        'then list.add("sum=" + $s + " count=" + $c + " min=" + $mn + " max=" + $mx + " avg=" + $av); end')
    ins(s, t, "Person", "a", 10)
    ins(s, t, "Person", "b", 20)
    s.fire_all_rules()
    assert out == ["sum=30 count=2 min=10 max=20 avg=15.0"]


def test_collect_set_iterates_like_a_java_hashset():
    """CollectSetAccumulateFunction.getResult: Collections.unmodifiableSet(HashMap.keySet())."""
    s, out, t = session('rule r when accumulate(Person($n : name); $s : collectSet($n)) then list.add("" + $s); end')
    for n in ("bob", "ann", "cyd", "dan"):
        ins(s, t, "Person", n, 1)
    s.fire_all_rules()
    assert out == ["[ann, dan, bob, cyd]"]


# -- truth maintenance -------------------------------------------------------------------------------

def test_logical_fact_survives_while_one_justification_remains():
    s, out, t = session("""
rule "flag" when Person(age > 18) then insertLogical(new Flag("adult")); end
""")
    a = ins(s, t, "Person", "a", 30)
    b = ins(s, t, "Person", "b", 40)
    s.fire_all_rules()
    assert len(s.get_objects("Flag")) == 1
    a.age = 5
    s.update(s.get_fact_handle(a))
    s.fire_all_rules()
    assert len(s.get_objects("Flag")) == 1
    b.age = 5
    s.update(s.get_fact_handle(b))
    s.fire_all_rules()
    assert s.get_objects("Flag") == []


# -- property reactivity (KnowledgeBuilderConfigurationImpl: DEFAULT_PROP_SPEC_OPT = ALWAYS) -------------
# A pattern reacts to a modification only if the modified properties intersect the properties its
# constraints/bindings read.  modify(x){...}: mask = properties set in the block plus `x.setY(..)`
# statements; update(x): `x.setY(..)` statements before it, else every property
# (drools-mvel AsmUtil.rewriteModifyDescr / rewriteUpdateDescr / getModificationMask).

ORDER = """
declare Order
    total : int
    discount : int
end
"""


def test_modify_of_an_unwatched_property_does_not_refire():
    s, out, t = session(ORDER + """
rule "discount" when $o : Order(total > 100) then modify($o) { setDiscount(10) }; list.add("d"); end
rule "seen" when Order(discount > 0, $d : discount) then list.add("seen " + $d); end
""")
    ins(s, t, "Order", 200, 0)
    assert s.fire_all_rules(max=20) == 2
    assert out == ["d", "seen 10"]


def test_pattern_without_constraints_ignores_modifications():
    s, out, t = session('rule r when $p : Person() then modify($p) { setAge($p.getAge() + 1) }; list.add($p.getAge()); end')
    ins(s, t, "Person", "a", 1)
    assert s.fire_all_rules(max=20) == 1
    assert out == [2]


def test_setter_then_update_uses_the_setter_mask():
    s, out, t = session("""
rule "older" when $p : Person(age < 3) then $p.setAge($p.getAge() + 1); update($p); list.add("age " + $p.getAge()); end
rule "named" when Person($n : name) then list.add("name " + $n); end
""")
    ins(s, t, "Person", "a", 0)
    s.fire_all_rules()
    assert out == ["age 1", "age 2", "age 3", "name a"]


def test_plain_update_refires_every_pattern():
    s, out, t = session('rule r when $p : Person(age > 0) then update($p); list.add("x"); end')
    ins(s, t, "Person", "a", 1)
    assert s.fire_all_rules(max=5) == 5


def test_date_effective_and_expires_are_checked_when_firing():
    s, out, t = session("""
rule "future" date-effective "01-Jan-2999" when Person() then list.add("future"); end
rule "past" date-expires "01-Jan-2000" when Person() then list.add("past"); end
rule "now" date-effective "01-Jan-2000" when Person() then list.add("now"); end
""")
    ins(s, t, "Person", "a", 1)
    s.fire_all_rules()
    assert out == ["now"]
