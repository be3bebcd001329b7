"""The bench's peer formulations (scripts/manners_durable.py) and the peer columns of scripts/bench_rules.py."""
import json
import os
import subprocess
import sys

import pytest

from scripts import manners_durable

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = next((d for d in (os.path.join(ROOT, "..", "shared", "bench", "manners"), "/work/shared/bench/manners")
              if os.path.isdir(d)), None)
needs_bench = pytest.mark.skipif(BENCH is None, reason="../shared/bench/manners is not here")


def facts(n):
    with open(os.path.join(BENCH, f"manners{n}.json"), encoding="utf-8") as f:
        return json.load(f)["facts"]


@needs_bench
def test_durable_seats_16_guests_validly_twice_in_one_process():
    pytest.importorskip("durable")
    for _ in range(2):  # ruleset names are global in durable_rules: each run registers its own
        fired, seconds, ok, why = manners_durable.run(facts(16))
        assert ok, why
        assert why == "16 seats"
        assert seconds < 10
        by_rule = manners_durable.run.last_by_rule
        # durable's own formulation walks the same search as Drools' 167 firings (make_path in batches)
        assert by_rule["find_seating"] == 15 and by_rule["make_path (matches)"] == 120
        assert fired == sum(v for k, v in by_rule.items() if "(" not in k)


def test_check_seating_rejects_bad_seatings():
    guests = {"a": ("m", {"h1"}), "b": ("f", {"h1", "h2"}), "c": ("m", {"h2"}), "d": ("m", {"h1"})}

    def paths(*names, s_id=7):
        return [{"t": "path", "p_id": s_id, "seat": i, "guest_name": g} for i, g in enumerate(names, 1)]

    assert manners_durable.check_seating(paths("a", "b", "c"), guests, 3, 7) == (True, "3 seats")
    assert not manners_durable.check_seating(paths("a", "b", "c", s_id=6), guests, 3, 7)[0]  # another seating's path
    assert not manners_durable.check_seating(paths("a", "b"), guests, 3, 7)[0]  # a seat is missing
    assert manners_durable.check_seating(paths("a", "b", "a"), guests, 3, 7) == (False, "a guest is seated twice")
    assert manners_durable.check_seating(paths("a", "d", "b"), guests, 3, 7)[1] == "a and d have the same sex"
    assert manners_durable.check_seating(paths("c", "b", "a"), guests, 3, 7)[0]
    guests["b"] = ("f", {"h3"})
    assert manners_durable.check_seating(paths("a", "b", "c"), guests, 3, 7)[1] == "a and b share no hobby"
    assert manners_durable.check_seating([], guests, 3, None) == (False, "no final seating")


def bench(*args, block=()):
    """Run scripts/bench_rules.py, optionally with some modules made unimportable."""
    code = ("import runpy, sys\n"
            f"for m in {list(block)!r}: sys.modules[m] = None\n"
            f"sys.argv = ['bench_rules.py', *{list(args)!r}]\n"
            "runpy.run_path('scripts/bench_rules.py', run_name='__main__')\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": ROOT})
    return out.returncode, out.stdout, out.stderr


@needs_bench
def test_bench_prints_the_durable_columns():
    pytest.importorskip("durable")
    rc, out, err = bench("--sizes", "16", "--peers", "durable")
    assert rc == 0, err
    header, row = out.splitlines()[:2]
    assert "durable ms" in header and "vs durable" in header and "clips" not in header
    assert row.split()[:4] == ["16", "167", "167", "yes"]
    assert "durable valid" in row


@needs_bench
def test_bench_prints_na_for_peers_that_are_not_installed():
    rc, out, err = bench("--sizes", "16", block=("clips", "durable", "durable.lang"))
    assert rc == 0, err
    header, row = out.splitlines()[:2]
    assert "clips ms" in header and "durable ms" in header
    assert row.count("n/a") == 2


def test_bench_rejects_an_unknown_peer():
    rc, out, err = bench("--peers", "clips,drools")
    assert rc == 2 and "unknown peer(s) drools" in err
