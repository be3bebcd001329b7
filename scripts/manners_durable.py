"""durable_rules' own classic formulation of Miss Manners, timed on the same guests as our run (peer figure).

The rules follow the statechart durable_rules ships as its Manners benchmark (states ready -> start -> assign ->
make -> check -> end; the seat counter lives in the state, `make_path` takes up to 1000 matches per firing with
`cap`, `path_done` has priority over it). Only the guests and the last seat of mannersN.json are used: the
`Context` and `Count` facts of the Drools form have no place in this formulation (the statechart is the context,
the state holds the count).

What is timed: the guests are asserted first (untimed; this also registers and compiles the ruleset in durable's C
engine, and durable's host, with its background threads, is started on first use). Nothing fires while the chart
is in `ready`. The timed part is the single `assert_fact` of the `last_seat` fact: in durable_rules that call runs
the whole benchmark synchronously (every action, until the chart reaches `end`) before it returns - the same span
durable_rules' own example measures (from the `last_seat` match to `done`).

Ruleset names are global in a durable_rules process and cannot be registered twice, so every run uses a fresh
name (`manners_durable_<pid>_<n>`); the run's session is deleted afterwards (the ruleset itself cannot be dropped).
"""
import itertools
import os
import time
from collections import Counter

_runs = itertools.count(1)


def _define(name, fired, result):
    """Define the statechart `name`; `fired` counts actions per rule, `result` gets the final seating id."""
    from durable.lang import c, cap, m, none, pri, state, statechart, to, when_all

    with statechart(name):
        with state("ready"):
            @to("start")
            @when_all(m.t == "last_seat")
            def start(c):
                fired["start"] += 1

        with state("start"):
            @to("assign")
            @when_all(m.t == "guest")
            def assign_first_seat(c):
                fired["assign_first_seat"] += 1
                c.s.count = 0
                c.assert_fact({"t": "seating", "s_id": c.s.count, "p_id": 0, "path": True,
                               "left_seat": 1, "left_guest_name": c.m.name,
                               "right_seat": 1, "right_guest_name": c.m.name})
                c.assert_fact({"t": "path", "p_id": c.s.count, "seat": 1, "guest_name": c.m.name})
                c.s.count += 1

        with state("assign"):
            @to("make")
            @when_all(c.seating << (m.t == "seating") & (m.path == True),  # noqa: E712 (a durable expression)
                      c.right_guest << (m.t == "guest") & (m.name == c.seating.right_guest_name),
                      c.left_guest << (m.t == "guest") & (m.sex != c.right_guest.sex)
                      & (m.hobby == c.right_guest.hobby),
                      none((m.t == "path") & (m.p_id == c.seating.s_id) & (m.guest_name == c.left_guest.name)),
                      none((m.t == "chosen") & (m.c_id == c.seating.s_id) & (m.guest_name == c.left_guest.name)
                           & (m.hobby == c.right_guest.hobby)))
            def find_seating(c):
                fired["find_seating"] += 1
                seat = c.seating.right_seat + 1
                c.assert_fact({"t": "seating", "s_id": c.s.count, "p_id": c.seating.s_id, "path": False,
                               "left_seat": c.seating.right_seat, "left_guest_name": c.seating.right_guest_name,
                               "right_seat": seat, "right_guest_name": c.left_guest.name})
                c.assert_fact({"t": "path", "p_id": c.s.count, "seat": seat, "guest_name": c.left_guest.name})
                c.assert_fact({"t": "chosen", "c_id": c.seating.s_id, "guest_name": c.left_guest.name,
                               "hobby": c.right_guest.hobby})
                c.s.count += 1

        with state("make"):
            @to("check")
            @when_all(pri(1), (m.t == "seating") & (m.path == False))  # noqa: E712
            def path_done(c):
                fired["path_done"] += 1
                c.retract_fact(c.m)
                c.m.path = True
                c.assert_fact(c.m)

            @to("make")
            @when_all(cap(1000),
                      c.seating << (m.t == "seating") & (m.path == False),  # noqa: E712
                      c.path << (m.t == "path") & (m.p_id == c.seating.p_id),
                      none((m.t == "path") & (m.p_id == c.seating.s_id) & (m.guest_name == c.path.guest_name)))
            def make_path(c):
                fired["make_path"] += 1
                for frame in c.m:
                    fired["make_path (matches)"] += 1
                    c.assert_fact({"t": "path", "p_id": frame.seating.s_id, "seat": frame.path.seat,
                                   "guest_name": frame.path.guest_name})

        with state("check"):
            @to("end")
            @when_all(c.last_seat << (m.t == "last_seat"),
                      c.seating << (m.t == "seating") & (m.right_seat == c.last_seat.seat))
            def done(c):
                fired["done"] += 1
                result["s_id"] = c.seating.s_id

            @to("assign")
            @when_all(pri(1))
            def assign(c):
                fired["continue"] += 1

        state("end")


def check_seating(facts, guests, last_seat, s_id):
    """(valid, detail) for the seating `s_id`: its path facts in `facts` seat every seat once, no guest twice,
    and neighbours have opposite sexes and a common hobby (`guests`: name -> (sex, {hobbies}))."""
    if s_id is None:
        return False, "no final seating"
    path = sorted((f for f in facts if f.get("t") == "path" and f.get("p_id") == s_id), key=lambda f: f["seat"])
    names = [f["guest_name"] for f in path]
    if [f["seat"] for f in path] != list(range(1, last_seat + 1)):
        return False, f"seats {[f['seat'] for f in path]} instead of 1..{last_seat}"
    if len(set(names)) != len(names):
        return False, "a guest is seated twice"
    for a, b in zip(names, names[1:]):
        if guests[a][0] == guests[b][0]:
            return False, f"{a} and {b} have the same sex"
        if not guests[a][1] & guests[b][1]:
            return False, f"{a} and {b} share no hobby"
    return True, f"{len(names)} seats"


def run(facts):
    """(actions fired, seconds, valid, detail) or None when durable_rules is not installed.

    `facts` is the `facts` list of mannersN.json. "Actions fired" counts durable_rules' action invocations (one
    `make_path` firing handles up to 1000 matches, so this is well below the Drools count); the per-rule counts,
    with the matches `make_path` handled, are in `run.last_by_rule` after a call."""
    try:
        import durable.lang as dl
    except ImportError:
        return None
    guests, last_seat = {}, None
    for f in facts:
        if f["_type"] == "Guest":
            sex, hobbies = guests.setdefault(f["name"], (f["sex"], set()))
            hobbies.add(f["hobby"])
        elif f["_type"] == "LastSeat":
            last_seat = f["seat"]
    name = f"manners_durable_{os.getpid()}_{next(_runs)}"
    fired, result = Counter(), {}
    _define(name, fired, result)
    try:
        for f in facts:
            if f["_type"] == "Guest":
                dl.assert_fact(name, {"t": "guest", "name": f["name"], "sex": f["sex"], "hobby": f["hobby"]})
        t0 = time.perf_counter()
        dl.assert_fact(name, {"t": "last_seat", "seat": last_seat})
        elapsed = time.perf_counter() - t0
        session, wm = dl.get_state(name), dl.get_facts(name)
        if session.get("exception"):
            ok, why = False, f"an action failed: {session['exception'][:200]}"
        elif fired["done"] != 1:
            ok, why = False, "the chart did not reach `end`"
        else:
            ok, why = check_seating(wm, guests, last_seat, result.get("s_id"))
    finally:
        try:
            dl.delete_state(name)
        except Exception:
            pass
    run.last_by_rule = dict(fired)
    return sum(v for k, v in fired.items() if "(" not in k), elapsed, ok, why


run.last_by_rule = {}


if __name__ == "__main__":
    import json
    import sys
    bench = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "bench",
                         "manners")
    for n in sys.argv[1:] or ["16"]:
        with open(os.path.join(bench, f"manners{n}.json"), encoding="utf-8") as fh:
            out = run(json.load(fh)["facts"])
        print(n, out and (out[0], f"{out[1] * 1000:.0f} ms", *out[2:]), run.last_by_rule)
