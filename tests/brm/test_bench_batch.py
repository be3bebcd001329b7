"""Smoke test of scripts/bench_batch.py: its scenarios' batches run in-process (not timed) and succeed,
with the answers the benchmark relies on (rules fired, the probe's handle, a working memory of fixed size)."""
import json

import pytest

from marshallers import unmarshal
from marshallers.types.core import ServiceResponse
from scripts import bench_batch as bb

from .brmkit import FMT, types_of

PATH = "/containers/instances/bench"


@pytest.fixture
def bench(client):
    r = client.put("/containers/bench", body=bb.kjar_bytes(), headers={"Content-Type": "application/java-archive"})
    assert r.status_code == 201, r.text
    return client


def post(client, fmt, body):
    r = client.post(PATH, body=body, headers=bb.headers(fmt))
    assert r.status_code == 200, r.text
    return r.text


def fired(text):
    return {e["key"]: e["value"] for e in json.loads(text)["result"]["execution-results"]["results"]}["fired"]


@pytest.mark.parametrize("fmt", bb.FORMATS)
def test_stateless_batch(bench, fmt):
    text = post(bench, fmt, bb.stateless_body(fmt, bb.bench_types()))
    sr = unmarshal(text, FMT[fmt], ServiceResponse, types=types_of(bench, "bench"))
    assert sr.type == "SUCCESS"
    assert sr.result.results["fired"] == bb.STATELESS_FIRED
    assert len(sr.result.results["objects"]) == 11          # the 10 Items and the Summary


@pytest.mark.parametrize("workers", ["one", "alternating"])
def test_stateful_modify_keeps_the_working_memory_size(bench, workers):
    """With "alternating", every batch reads the session back from the store, as when gunicorn's
    workers take turns."""
    types = bb.bench_types()
    rt = bench.app.kie_server.containers.runtime("bench").runtimes["brm"]

    def run(body):
        if workers == "alternating":
            rt.live.clear()
        return post(bench, "json", body)

    texts = [run(body) for body in bb.preload_bodies(120, types, chunk=50)]
    # Items 0..49 (amounts 0..49): "start summary", "total amount"; 50..99 (amounts 50..99): 49 x
    # "flag big items" (amount > 50) and the total; 100..119 (amounts 0..19): the total; the probe (10): the total
    assert [fired(t) for t in texts] == [2, 50, 1, 1]
    bodies = bb.modify_bodies(bb.probe_handle(texts[-1]), types)
    assert [fired(run(b)) for b in bodies * 2] == [2, 1, 2, 1]
    assert bb.handle_count(run(bb.count_body(types))) == 120 + 2


RESTORE_DRL = """package org.r
declare Item
    amount : int
end
declare Flag
    n : int
end
rule "none yet" when not Flag() then insert(new Flag(1)); end
"""
RESTORE_KMODULE = """<kmodule xmlns="http://www.drools.org/xsd/kmodule"><kbase name="kb" packages="org.r" default="true">
<ksession name="ks" default="true"/></kbase></kmodule>"""


# found by bench_batch (docs/notes/bench-batch.md): a rule never evaluated when the session was stored, whose
# activation rests on no fact (`not Flag()`), lost it when another worker read the session back
@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_never_evaluated_not_rule_fires_after_the_session_is_read_back(client):
    from .brmkit import Command, bean, call, deploy
    deploy(client, "r", {"org/r/r.drl": RESTORE_DRL}, RESTORE_KMODULE)
    call(client, "r", "json", [Command("insert", object=bean(client, "r", "org.r.Item", amount=1))])  # no fire
    client.app.kie_server.containers.runtime("r").runtimes["brm"].live.clear()   # the other worker
    sr, _ = call(client, "r", "json", [Command("fire-all-rules", out_identifier="fired")])
    assert sr.result.results["fired"] == 1
