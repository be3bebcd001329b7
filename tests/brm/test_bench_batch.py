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


def test_stateful_modify_keeps_the_working_memory_size(bench):
    types = bb.bench_types()
    for body in bb.preload_bodies(12, types, chunk=5):
        text = post(bench, "json", body)
    assert fired(text) == 2       # "start summary", then "total amount": no Item is over 50
    bodies = bb.modify_bodies(bb.probe_handle(text), types)
    assert [fired(post(bench, "json", b)) for b in bodies * 2] == [2, 1, 2, 1]
    assert bb.handle_count(post(bench, "json", bb.count_body(types))) == 12 + 2
