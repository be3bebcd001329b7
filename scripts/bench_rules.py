#!/usr/bin/env python3
"""Miss Manners on our rule engine (the form Drools 7 runs: ../shared/bench/manners/).

Checks the firing counts equal Drools' (16: 167, 32: 591, 64: 2,207, 128: 8,511) and that the
seating is valid, and prints the fire time beside the real engine's figures; if a peer is installed
(`pip install clipspy`) its own classic formulation (scripts/manners_clips.py) is timed in the same run.

    python scripts/bench_rules.py [--sizes 16,32,64] [--bench-dir ../shared/bench/manners]
"""
import argparse
import json
import os
import sys
import time
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from containers.rules import build_kbase  # noqa: E402
from containers.values import TypeRegistry  # noqa: E402

DROOLS = {16: (167, 54, 257), 32: (591, 73, 467), 64: (2207, 185, 1234), 128: (8511, 1264, 4588)}


class Counting:
    def __init__(self):
        self.by_rule = Counter()

    def after_match_fired(self, rule, objects):
        self.by_rule[rule] += 1


def run_manners(bench_dir, n):
    with open(os.path.join(bench_dir, "manners-salience.drl"), encoding="utf-8") as f:
        drl = f.read()
    with open(os.path.join(bench_dir, f"manners{n}.json"), encoding="utf-8") as f:
        facts = json.load(f)["facts"]
    types = TypeRegistry()
    t0 = time.perf_counter()
    kb = build_kbase([("manners-salience.drl", drl)], types)
    build = time.perf_counter() - t0
    session = kb.new_session()
    counter = Counting()
    session.listeners.append(counter)
    for fact in facts:
        fact = dict(fact)
        cls = types.get("manners." + fact.pop("_type"))
        session.insert(cls(**fact))
    t0 = time.perf_counter()
    fired = session.fire_all_rules()
    elapsed = time.perf_counter() - t0
    return fired, elapsed, build, counter.by_rule, session, types


def valid_seating(session, types):
    guests = {}
    for g in session.get_objects("manners.Guest"):
        guests.setdefault(g.name, []).append(g)
    seats = sorted((s for s in session.get_objects("manners.Seating")), key=lambda s: s.id)
    last = max(seats, key=lambda s: s.id)
    # follow the path of the final seating
    paths = sorted((p for p in session.get_objects("manners.Path") if p.id == last.id), key=lambda p: p.seat)
    names = [p.guestName for p in paths]
    if len(set(names)) != len(names):
        return False, "a guest is seated twice"
    for a, b in zip(names, names[1:]):
        ga, gb = guests[a], guests[b]
        if ga[0].sex == gb[0].sex:
            return False, f"{a} and {b} have the same sex"
        if not {g.hobby for g in ga} & {g.hobby for g in gb}:
            return False, f"{a} and {b} share no hobby"
    return True, f"{len(names)} seats"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="16,32,64")
    ap.add_argument("--bench-dir", default=os.path.join(ROOT, "..", "shared", "bench", "manners"))
    args = ap.parse_args()
    bench_dir = args.bench_dir if os.path.isdir(args.bench_dir) else "/work/shared/bench/manners"
    from scripts import manners_clips
    print(f"{'guests':>6} {'fired':>6} {'drools':>6} {'ok':>3} {'ours ms':>9} {'drools warm':>11} {'ratio':>6} "
          f"{'clips ms':>9} {'vs clips':>8}  seating")
    for n in [int(x) for x in args.sizes.split(",")]:
        fired, elapsed, build, by_rule, session, types = run_manners(bench_dir, n)
        expect, warm, _cold = DROOLS[n]
        ok, why = valid_seating(session, types)
        with open(os.path.join(bench_dir, f"manners{n}.json"), encoding="utf-8") as f:
            peer = manners_clips.run(json.load(f)["facts"])
        peer_ms = f"{peer[1] * 1000:9.0f}" if peer else f"{'n/a':>9}"
        peer_ratio = f"{elapsed / peer[1]:8.1f}" if peer else f"{'':>8}"
        print(f"{n:>6} {fired:>6} {expect:>6} {'yes' if fired == expect else 'NO':>3} {elapsed * 1000:>9.0f} "
              f"{warm:>11} {elapsed * 1000 / warm:>6.1f} {peer_ms} {peer_ratio}  {'valid' if ok else 'INVALID'} "
              f"({why}); per rule {dict(by_rule)}")


if __name__ == "__main__":
    main()
