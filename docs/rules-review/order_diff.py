"""Differential check of firing orders: the repo engine (containers.rules) against the Phreak
prototype (phreak_session.py) on random scripts of inserts, updates, deletes and fires over
joins, not and exists.  Usage: PYTHONPATH=$PWD python docs/rules-review/order_diff.py [N seeds]
(prints the first mismatches and their count; 0 expected)."""
import random, sys
import os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from containers.rules import build_kbase
from containers.values import TypeRegistry
import phreak_session
_orig = phreak_session.PhreakSession._propagate
def _prop(self, handle, deleted=False, modified=None):
    return _orig(self, handle, deleted)
phreak_session.PhreakSession._propagate = _prop

HEADER = """package org.test
global java.util.List list
declare A
    n : String
    k : int
end
declare B
    n : String
    k : int
end
declare C
    n : String
    k : int
end
"""
RULES = [
 'rule r1 when A($a : n) then list.add("r1 " + $a); end',
 'rule r2 when A($a : n, $k : k) B($b : n, k == $k) then list.add("r2 " + $a + $b); end',
 'rule r3 when A($a : n) B($b : n) C($c : n) then list.add("r3 " + $a + $b + $c); end',
 'rule r4 when A($a : n, $k : k) not B(k == $k) then list.add("r4 " + $a); end',
 'rule r5 when B($b : n) A($a : n) then list.add("r5 " + $b + $a); end',
 'rule r6 salience 5 when C($c : n) A($a : n, k > 1) then list.add("r6 " + $c + $a); end',
 'rule r7 when A($a : n, $k : k) exists C(k == $k) B($b : n) then list.add("r7 " + $a + $b); end',
 'rule r8 when A($a : n) $x : String() from ["p", "q"] then list.add("r8 " + $a + $x); end',
 'rule r9 when A($a : n, k == 2) then insertLogical(new C("L" + $a, 9)); list.add("r9 " + $a); end\n'
 'rule r10 salience 10 when C($c : n, k == 9) then list.add("r10 " + $c); end',
 'rule r11 when B($b : n, $k : k) not C(k == $k) A($a : n, k == $k) then list.add("r11 " + $b + $a); end',
 'rule r12 salience 3 when B($b : n) then list.add("r12 " + $b); end',
]

def run(maker, rules, script):
    t = TypeRegistry()
    kb = build_kbase([("t.drl", HEADER + "\n".join(rules))], t)
    s = maker(kb)
    out = []
    s.set_global("list", out)
    objs = []
    for op in script:
        if op[0] == "ins":
            o = t.get(op[1])(op[2], op[3])
            objs.append(o)
            s.insert(o)
        elif op[0] == "del":
            if op[1] < len(objs) and s.get_fact_handle(objs[op[1]]) is not None:
                s.delete(s.get_fact_handle(objs[op[1]]))
        elif op[0] == "upd":
            if op[1] < len(objs) and s.get_fact_handle(objs[op[1]]) is not None:
                objs[op[1]].k = op[2]
                s.update(s.get_fact_handle(objs[op[1]]))
        else:
            s.fire_all_rules()
    s.fire_all_rules()
    return out

bad = 0
for seed in range(int(sys.argv[1]) if len(sys.argv) > 1 else 300):
    rnd = random.Random(seed)
    rules = rnd.sample(RULES, rnd.randint(1, 3))
    script = []
    for i in range(rnd.randint(2, 9)):
        x = rnd.random()
        if x < 0.2:
            script.append(("fire",))
        elif x < 0.3:
            script.append(("del", rnd.randint(0, i)))
        elif x < 0.4:
            script.append(("upd", rnd.randint(0, i), rnd.randint(0, 2)))
        else:
            script.append(("ins", rnd.choice("ABC"), f"{rnd.choice('ABC').lower()}{i}", rnd.randint(0, 2)))
    a = run(lambda kb: kb.new_session(), rules, script)
    b = run(lambda kb: phreak_session.PhreakSession(kb), rules, script)
    if a != b:
        bad += 1
        if bad <= 5:
            print("seed", seed, [r.split()[1] for r in rules], script)
            print("  ours ", a)
            print("  proto", b)
print("mismatches", bad)
