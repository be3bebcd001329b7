"""Concurrent changes to one process instance from two server instances (two 'nodes') on one store are
serialized: every change lands, none is lost."""
import threading

from tests.bpm import bpmn
from tests.bpm.conftest import deploy, make_bpm_server
from tests.bpm.helpers import call, start, variables

I = "/containers/demo/processes/instances"


def test_two_nodes_changing_one_instance_lose_nothing(bpm_store, tmp_path):
    a = make_bpm_server(bpm_store, tmp_path / "a")
    b = make_bpm_server(bpm_store, tmp_path / "b")
    try:
        deploy(a, {"org/example/v.bpmn2": bpmn.VARIABLES})
        pid = start(a, "demo.variables", {"i": 0})
        errors = []

        def worker(client, name, n):
            for k in range(n):
                r = call(client, "PUT", f"{I}/{pid}/variable/{name}{k}", "json", body=k)
                if r.status_code != 201:
                    errors.append((name, k, r.status_code, r.text))

        threads = [threading.Thread(target=worker, args=(a, "x", 10)), threading.Thread(target=worker, args=(b, "y", 10)),
                   threading.Thread(target=worker, args=(a, "z", 10))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        got = variables(b, pid)
        assert all(got.get(f"{n}{k}") == k for n in "xyz" for k in range(10)), got
        logs = call(a, "GET", f"{I}/{pid}/variables/instances", "json", status=200).json["variable-instance"]
        assert len(logs) == 32      # i, initiator + 30 new variables, each logged once
    finally:
        a.close()
        b.close()
