#!/usr/bin/env python3
"""Requests per second of rule batches, POST /containers/instances/{id}, against a bare falcon POST.

The server and the bare endpoint (scripts/bare_app.py) run under the same gunicorn settings as in
scripts/bench_core.py; the load comes from keep-alive HTTP clients in separate processes, each sending
its scenario's bodies in turn and counting every answer that is not HTTP 200 as an error (a FAILURE
envelope is HTTP 500).

The kjar (built in memory) declares Item and Summary with three rules: one fires per Item with
amount > 50, one creates the Summary, one keeps the Summary's total with an accumulate (sum).  Its
kmodule has a stateless ksession ("stateless") and a stateful one ("stateful").

Scenarios:
  stateless JSON / JAXB / XSTREAM   10 inserts + fire-all-rules + get-objects on the stateless session
  stateful, N preloaded             a stateful session holding N Items, a probe Item and the Summary;
                                    every batch is `modify` of the probe's amount (90 and 10 in turn)
                                    + fire-all-rules, so the working memory keeps its size: the table
                                    shows the fact count read back after the run

    python scripts/bench_batch.py [--seconds 5] [--workers 2] [--threads 4] [--clients 4]
                                  [--preload 0,1000,10000] [--database URL]

Where a stateful batch spends its time (in-process, cProfile, no HTTP server):

    python scripts/bench_batch.py --profile [--profile-preload 10000] [--profile-batches 20]
"""
import argparse
import http.client
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from scripts.bench_core import AUTH, gunicorn, server_env, wait_ready  # noqa: E402

REST = "/kie-server/services/rest/server"
PACKAGE = "org.bench"
ITEM = f"{PACKAGE}.Item"

DRL = """package org.bench

declare Item
    id : int
    group : String
    amount : int
    big : boolean
end

declare Summary
    total : long
end

rule "flag big items"
when
    $i : Item(amount > 50)
then
    $i.setBig(true);
end

rule "start summary" salience 10
when
    not Summary()
then
    insert(new Summary(0));
end

rule "total amount"
when
    $s : Summary()
    accumulate(Item($a : amount); $t : sum($a))
then
    $s.setTotal($t.longValue());
end
"""

KMODULE = """<kmodule xmlns="http://www.drools.org/xsd/kmodule">
  <kbase name="bench" packages="org.bench" default="true">
    <ksession name="stateless" type="stateless"/>
    <ksession name="stateful" default="true"/>
  </kbase>
</kmodule>"""

FORMATS = ("json", "jaxb", "xstream")
STATELESS_FIRED = 6     # the 4 Items over 50, "start summary", "total amount"


# -- scenario builders (also used by tests/brm/test_bench_batch.py) ---------------------------------

def kjar_bytes(cid="bench"):
    from tests.kjars import build_kjar
    return build_kjar(group="org.bench", artifact=f"{cid}-kjar", kmodule=KMODULE,
                      files={"org/bench/rules.drl": DRL})


def bench_types():
    """The DRL's declared classes, compiled here as the server compiles them, to write the bodies."""
    from containers.rules import build_kbase
    from containers.values import TypeRegistry
    types = TypeRegistry()
    build_kbase([("org/bench/rules.drl", DRL)], types)
    return types


def headers(fmt):
    """What the Java client sends with a batch in each format."""
    return {"Authorization": AUTH,
            "Content-Type": "application/json" if fmt == "json" else "application/xml",
            "Accept": "application/json" if fmt == "json" else "application/xml",
            "X-KIE-ContentType": fmt.upper(),
            "X-KIE-ClassType": "org.drools.core.command.runtime.BatchExecutionCommandImpl"}


def _body(fmt, lookup, commands, types):
    from tests.brm.brmkit import batch_body
    return batch_body(fmt, lookup, commands, types)


def _item(types, i, amount, group=None):
    return types.get(ITEM)(id=i, group=group or f"g{i % 3}", amount=amount, big=False)


def stateless_body(fmt, types):
    """10 inserts + fire-all-rules + get-objects (out-identifiers "fired" and "objects")."""
    from marshallers.types.batch import Command
    commands = [Command("insert", object=_item(types, i, i * 10)) for i in range(10)]
    commands += [Command("fire-all-rules", out_identifier="fired"), Command("get-objects", out_identifier="objects")]
    return _body(fmt, "stateless", commands, types)


def preload_bodies(n, types, chunk=5000):
    """JSON batches that load n Items into the stateful session (insert-elements in chunks), the last one
    inserting the probe Item (out-identifier "probe").  Every batch fires: the first one, which creates
    the session, must fire "start summary" whichever worker runs the next one (see
    docs/notes/bench-batch.md: a session read back from the store loses a never-evaluated `not` rule's
    activation)."""
    from marshallers.types.batch import Command
    bodies = []
    for start in range(0, n, chunk):
        items = [_item(types, i, i % 100) for i in range(start, min(n, start + chunk))]
        bodies.append(_body("json", "stateful", [Command("insert-elements", objects=items, return_objects=False),
                                                 Command("fire-all-rules", out_identifier="fired")], types))
    probe = _item(types, -1, 10, group="probe")
    bodies.append(_body("json", "stateful", [Command("insert", object=probe, out_identifier="probe",
                                                     return_object=False),
                                             Command("fire-all-rules", out_identifier="fired")], types))
    return bodies


def probe_handle(response_text):
    """The probe's fact handle (external form) in the JSON answer of the last preload batch."""
    facts = json.loads(response_text)["result"]["execution-results"]["facts"]
    for entry in facts:
        if entry["key"] == "probe":
            return next(iter(entry["value"].values()))["external-form"]
    raise ValueError("no probe fact handle in the answer")


def modify_bodies(handle, types):
    """The two measured stateful batches: modify the probe's amount to 90 / to 10, then fire-all-rules.
    90 fires "flag big items" and "total amount"; 10 fires "total amount" alone."""
    from marshallers.types.batch import Command, FactHandleRef
    return [_body("json", "stateful", [Command("modify", handle=FactHandleRef(handle), setters=[("amount", str(v))]),
                                       Command("fire-all-rules", out_identifier="fired")], types)
            for v in (90, 10)]


def count_body(types):
    """A batch that reads the stateful session's fact handles (out-identifier "handles")."""
    from marshallers.types.batch import Command
    return _body("json", "stateful", [Command("get-fact-handles", out_identifier="handles")], types)


def handle_count(response_text):
    for entry in json.loads(response_text)["result"]["execution-results"]["results"]:
        if entry["key"] == "handles":
            return len(entry["value"])
    raise ValueError("no handles in the answer")


# -- load -------------------------------------------------------------------------------------------

def _client(port, path, hdrs, bodies, seconds, q):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    n = 0
    errors = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        conn.request("POST", path, body=bodies[n % len(bodies)], headers=hdrs)
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            errors += 1
        n += 1
    conn.close()
    q.put((n, errors))


def load(port, path, hdrs, bodies, seconds, clients):
    bodies = [b.encode("utf-8") if isinstance(b, str) else b for b in bodies]
    q = mp.Queue()
    procs = [mp.Process(target=_client, args=(port, path, hdrs, bodies, seconds, q)) for _ in range(clients)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    results = [q.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - t0
    total = sum(r[0] for r in results)
    return total / max(elapsed, 1e-9), sum(r[1] for r in results), total


def _request(method, path, body=None, hdrs=None, timeout=600):
    c = http.client.HTTPConnection("127.0.0.1", 8181, timeout=timeout)
    c.request(method, REST + path, body=body, headers=dict(hdrs or {"Authorization": AUTH}))
    r = c.getresponse()
    text = r.read().decode("utf-8", "replace")
    c.close()
    return r.status, text


def _deploy(cid):
    _request("DELETE", f"/containers/{cid}")       # a stored container from an earlier run (PostgreSQL)
    status, text = _request("PUT", f"/containers/{cid}", kjar_bytes(cid),
                            {"Authorization": AUTH, "Content-Type": "application/java-archive"})
    if status != 201:
        raise SystemExit(f"deploying {cid} failed: {status} {text[:500]}")


def _post_ok(cid, body):
    status, text = _request("POST", f"/containers/instances/{cid}", body.encode("utf-8"), headers("json"))
    if status != 200:
        raise SystemExit(f"batch on {cid} failed: {status} {text[:500]}")
    return text


def run_load(args):
    import kieserver.ext.brm  # noqa: F401  (its table, created with the store)
    home, env = server_env(args, "kie-bench-batch-")
    preloads = [int(x) for x in args.preload.split(",") if x.strip()]
    kie = gunicorn("kieserver.wsgi:application", 8181, args, env)
    bare = gunicorn("scripts.bare_app:app", 8182, args, env)
    deployed = []
    try:
        wait_ready(8181, REST + "/readycheck")
        wait_ready(8182, "/bare")
        types = bench_types()
        _deploy("bench")
        deployed.append("bench")
        rows = []
        stateless = {fmt: stateless_body(fmt, types) for fmt in FORMATS}
        bare_rps, bare_err, _ = load(8182, "/bare", {"Content-Type": "application/json"}, [stateless["json"]],
                                  args.seconds, args.clients)
        rows.append(("bare falcon POST /bare", bare_rps, bare_err, ""))
        for fmt in FORMATS:
            rps, errors, _ = load(8181, f"{REST}/containers/instances/bench", headers(fmt), [stateless[fmt]],
                               args.seconds, args.clients)
            rows.append((f"stateless {fmt.upper()}", rps, errors, "10 inserts + fire + get-objects"))
        for n in preloads:
            cid = f"bench-s{n}"
            _deploy(cid)
            deployed.append(cid)
            t0 = time.perf_counter()
            for body in preload_bodies(n, types):
                text = _post_ok(cid, body)
            setup = time.perf_counter() - t0
            bodies = modify_bodies(probe_handle(text), types)
            rps, errors, total = load(8181, f"{REST}/containers/instances/{cid}", headers("json"), bodies,
                               args.seconds, args.clients)
            facts = handle_count(_post_ok(cid, count_body(types)))
            check = "" if facts == n + 2 else f" - EXPECTED {n + 2}"
            rows.append((f"stateful, {n} preloaded (JSON)", rps, errors,
                         f"modify + fire, {total} requests; {facts} facts after{check} (preload {setup:.1f}s)"))
        print(f"gunicorn: {args.workers} workers x {args.threads} threads; {args.clients} keep-alive clients; "
              f"{args.seconds:g}s each; store: {args.database or 'SQLite'}")
        print(f"{'scenario':34} {'req/s':>9} {'ratio to bare':>14} {'errors':>7}  notes")
        for label, rps, errors, note in rows:
            print(f"{label:34} {rps:9.1f} {rps / bare_rps:14.3g} {errors:7d}  {note}")
    finally:
        for cid in deployed:
            try:
                _request("DELETE", f"/containers/{cid}", timeout=60)
            except OSError:
                pass
        for p in (kie, bare):
            p.terminate()
        for p in (kie, bare):
            p.wait(10)
        shutil.rmtree(home, ignore_errors=True)


# -- profile ----------------------------------------------------------------------------------------

def phases(client, path, bodies, rt, preload, batches=5):
    """Wall-clock split of whole stateful batches (no profiler), timed inside the real calls: the batch
    endpoint's marshal / unmarshal, RuleSession.snapshot / restore and the commands are wrapped for the
    duration (the code itself is not changed)."""
    import contextlib
    from containers.rules.session import RuleSession
    from kieserver.ext import brm
    from marshallers import MAP
    spent = {}

    def timed(fn, name_of):
        def wrapper(*a, **kw):
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                key = name_of(*a)
                spent[key] = spent.get(key, 0.0) + time.perf_counter() - t0
        return wrapper

    @contextlib.contextmanager
    def patched():
        saved = [(brm, "marshal", brm.marshal), (brm, "unmarshal", brm.unmarshal),
                 (RuleSession, "snapshot", RuleSession.__dict__["snapshot"]),
                 (RuleSession, "restore", RuleSession.__dict__["restore"]),
                 (brm.BrmExtension, "_run", brm.BrmExtension._run)]
        brm.marshal = timed(brm.marshal, lambda v, *a: "marshal the snapshot (XStream)" if isinstance(v, dict)
                            else "marshal the response")
        brm.unmarshal = timed(brm.unmarshal, lambda text, fmt, cls=None, *a: "unmarshal the stored snapshot (XStream)"
                              if cls is MAP else "unmarshal the request")
        RuleSession.snapshot = timed(RuleSession.snapshot, lambda *a: "session.snapshot()")
        RuleSession.restore = classmethod(timed(RuleSession.restore.__func__, lambda *a: "RuleSession.restore()"))
        brm.BrmExtension._run = timed(brm.BrmExtension._run, lambda *a: "the commands (modify, fire-all-rules)")
        try:
            yield
        finally:
            for owner, name, value in saved:
                setattr(owner, name, value)

    print(f"\n=== wall clock, no profiler, {preload + 2} facts: mean of {batches} batches, ms ===")
    for label, drop_cache in (("cached session", False), ("session read from the store", True)):
        spent.clear()
        whole = 0.0
        with patched():
            for i in range(batches):
                if drop_cache:
                    rt.live.clear()
                t0 = time.perf_counter()
                r = client.post(path, body=bodies[i % 2], headers=headers("json"))
                whole += time.perf_counter() - t0
                assert r.status_code == 200, r.text
        print(f"{label:44} {whole / batches * 1000:8.0f}")
        for key, t in sorted(spent.items(), key=lambda kv: -kv[1]):
            print(f"  {key:42} {t / batches * 1000:8.0f}   {t / whole:4.0%}")
        rest = whole - sum(spent.values())
        print(f"  {'the rest (SQL, falcon, routing)':42} {rest / batches * 1000:8.0f}   {rest / whole:4.0%}")


def run_profile(args):
    """cProfile of stateful batches in-process (falcon's test client, SQLite): first with the worker's
    cached session (one worker), then with the cache dropped before every batch, as when another worker
    wrote the session last and this one must read the stored snapshot back."""
    import cProfile
    import io
    import pstats
    from tests.conftest import Client, make_server
    home = tempfile.mkdtemp(prefix="kie-bench-batch-prof-")
    client = Client(make_server(f"sqlite:///{home}/kie.db", home))
    try:
        r = client.put("/containers/bench", body=kjar_bytes(), headers={"Content-Type": "application/java-archive"})
        assert r.status_code == 201, r.text
        types = bench_types()
        path = "/containers/instances/bench"
        t0 = time.perf_counter()
        for body in preload_bodies(args.profile_preload, types):
            r = client.post(path, body=body, headers=headers("json"))
            assert r.status_code == 200, r.text
        print(f"preloaded {args.profile_preload} Items in {time.perf_counter() - t0:.1f}s")
        bodies = modify_bodies(probe_handle(r.text), types)
        rt = client.app.kie_server.containers.runtime("bench").runtimes["brm"]
        phases(client, path, bodies, rt, args.profile_preload)
        for label, drop_cache in (("cached session (one worker)", False),
                                  ("session read back from the store before every batch", True)):
            prof = cProfile.Profile()
            t0 = time.perf_counter()
            for i in range(args.profile_batches):
                if drop_cache:
                    rt.live.clear()
                prof.enable()
                r = client.post(path, body=bodies[i % 2], headers=headers("json"))
                prof.disable()
                assert r.status_code == 200, r.text
            per = (time.perf_counter() - t0) / args.profile_batches
            out = io.StringIO()
            st = pstats.Stats(prof, stream=out).strip_dirs()
            st.sort_stats("cumulative").print_stats(args.profile_top)
            st.sort_stats("tottime").print_stats(args.profile_top)
            print(f"\n=== {label}: {args.profile_batches} batches, {per * 1000:.0f} ms per batch "
                  f"({args.profile_preload + 2} facts) ===")
            print(out.getvalue())
    finally:
        client.close()
        shutil.rmtree(home, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--database", default="", help="store URL (default: SQLite in a temporary home)")
    ap.add_argument("--preload", default="0,1000,10000",
                    help="comma-separated sizes of the stateful scenarios' preloaded working memory")
    ap.add_argument("--profile", action="store_true", help="profile stateful batches in-process instead")
    ap.add_argument("--profile-preload", type=int, default=10000)
    ap.add_argument("--profile-batches", type=int, default=20)
    ap.add_argument("--profile-top", type=int, default=25)
    args = ap.parse_args()
    if args.profile:
        run_profile(args)
    else:
        run_load(args)


if __name__ == "__main__":
    main()
