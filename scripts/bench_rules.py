#!/usr/bin/env python3
"""Miss Manners on our rule engine (the form Drools 7 runs: ../shared/bench/manners/).

Checks the firing counts equal Drools' (16: 167, 32: 591, 64: 2,207, 128: 8,511) and that the
seating is valid, and prints the fire time beside the real engine's figures. The peers, when installed
(`pip install clipspy durable_rules`, or the `bench` extra), are timed in the same run on their own classic
formulation: CLIPS through clipspy (scripts/manners_clips.py) and durable_rules (scripts/manners_durable.py, whose
seating is checked too); a peer that is not installed shows "n/a".

    python scripts/bench_rules.py [--sizes 16,32,64] [--runs 3] [--peers clips,durable] [--bench-dir ../shared/bench/manners]

Each engine runs --runs times per size in this process, on fresh facts, and the fastest fire time is
reported (the Drools figures are warm ones too).
"""
import argparse
import gc
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


PEERS = {"clips": "clips", "durable": "durable"}


def run_peer(name, facts):
    """(seconds, valid or None when the peer's seating is not checked, seating detail, note) of a peer's own
    formulation, or None when it is not installed."""
    if name == "clips":
        from scripts import manners_clips
        out = manners_clips.run(facts)
        return out and (out[1], None, "", f"{out[0]} fired")
    from scripts import manners_durable
    out = manners_durable.run(facts)
    if out is None:
        return None
    by_rule = manners_durable.run.last_by_rule
    matches = sum(v for k, v in by_rule.items() if k != "make_path")
    return out[1], out[2], out[3], f"{out[0]} actions fired ({matches} matches: make_path takes them in batches); " \
        f"per rule {by_rule}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="16,32,64")
    ap.add_argument("--bench-dir", default=os.path.join(ROOT, "..", "shared", "bench", "manners"))
    ap.add_argument("--runs", type=int, default=3,
                    help="runs per engine and size, each on fresh facts; the fastest is reported (warm figures)")
    ap.add_argument("--peers", default="clips,durable",
                    help="peers to time on their own formulation, comma-separated from: clips, durable ('' for none)")
    args = ap.parse_args()
    bench_dir = args.bench_dir if os.path.isdir(args.bench_dir) else "/work/shared/bench/manners"
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = [p for p in peers if p not in PEERS]
    if unknown:
        ap.error(f"unknown peer(s) {', '.join(unknown)}; choose from {', '.join(PEERS)}")
    header = f"{'guests':>6} {'fired':>6} {'drools':>6} {'ok':>3} {'ours ms':>9} {'drools warm':>11} {'ratio':>6}"
    for p in peers:
        header += f" {p + ' ms':>{max(9, len(p) + 3)}} {'vs ' + p:>{max(8, len(p) + 3)}}"
    print(header + "  seating")
    notes = []
    for n in [int(x) for x in args.sizes.split(",")]:
        elapsed = None
        for _ in range(max(1, args.runs)):
            gc.collect()
            fired, t, build, by_rule, session, types = run_manners(bench_dir, n)
            elapsed = t if elapsed is None else min(elapsed, t)
        expect, warm, _cold = DROOLS[n]
        ok, why = valid_seating(session, types)
        line = (f"{n:>6} {fired:>6} {expect:>6} {'yes' if fired == expect else 'NO':>3} {elapsed * 1000:>9.0f} "
                f"{warm:>11} {elapsed * 1000 / warm:>6.1f}")
        seating = [f"ours {'valid' if ok else 'INVALID'} ({why})"]
        notes.append(f"{n:>6} ours: per rule {dict(by_rule)}")
        with open(os.path.join(bench_dir, f"manners{n}.json"), encoding="utf-8") as f:
            facts = json.load(f)["facts"]
        for p in peers:
            peer = None
            for _ in range(max(1, args.runs)):
                gc.collect()
                r = run_peer(p, facts)
                if r is not None and (peer is None or r[0] < peer[0]):
                    peer = r
            w_ms, w_ratio = max(9, len(p) + 3), max(8, len(p) + 3)
            if peer is None:
                line += f" {'n/a':>{w_ms}} {'':>{w_ratio}}"
                continue
            seconds, peer_ok, peer_why, note = peer
            line += f" {seconds * 1000:>{w_ms}.0f} {elapsed / seconds:>{w_ratio}.1f}"
            if peer_ok is not None:
                seating.append(f"{p} valid" if peer_ok else f"{p} INVALID ({peer_why})")
            notes.append(f"{n:>6} {p}: {note}")
        print(f"{line}  {', '.join(seating)}")
    print("\nratio: ours / Drools 7 warm; vs <peer>: ours / the peer's time on its own classic formulation")
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
