"""BPM commands in a batch (start-process, signal-event, complete-work-item, abort-work-item) on a
server running the process service, in JSON, JAXB and XSTREAM, on SQLite and PostgreSQL."""
import pytest

from marshallers.types import process as P
from tests.bpm import bpmn
from tests.bpm.conftest import bpm, bpm_factory, bpm_store, deploy  # noqa: F401 - fixtures
from tests.bpm.helpers import call as rest
from tests.bpm.helpers import instance

from .brmkit import FORMATS, Command, call, results

PROCESSES = {"org/example/signal.bpmn2": bpmn.SIGNAL, "org/example/workitem.bpmn2": bpmn.WORK_ITEM}
I = "/containers/demo/processes/instances"


@pytest.fixture
def procs(bpm):    # noqa: F811 - the fixture imported above
    deploy(bpm, PROCESSES)
    return bpm


def _work_item(client, pid):
    [wi] = rest(client, "GET", f"{I}/{pid}/workitems", "json", expected=P.WorkItemInstanceList, status=200).items
    return wi.id


@pytest.mark.parametrize("fmt", FORMATS)
def test_process_commands_in_a_batch(procs, fmt):
    r = results(procs, "demo", fmt, [Command("start-process", process_id="demo.workitem", parameters={},
                                             out_identifier="a"),
                                     Command("start-process", process_id="demo.workitem", parameters={},
                                             out_identifier="b"),
                                     Command("start-process", process_id="demo.signal", parameters={},
                                             out_identifier="s")])
    a, b, s = (int(r.results[k]) for k in ("a", "b", "s"))
    assert len({a, b, s}) == 3 and all(instance(procs, p).state == 1 for p in (a, b, s))
    results(procs, "demo", fmt, [Command("complete-work-item", id=_work_item(procs, a), results={"Output": "x"}),
                                 Command("abort-work-item", id=_work_item(procs, b)),
                                 Command("signal-event", process_instance_id=s, event_type="go", event="now")])
    assert [instance(procs, p).state for p in (a, b, s)] == [2, 2, 2]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_failing_process_command_fails_the_batch(procs, fmt):
    sr, _ = call(procs, "demo", fmt, [Command("start-process", process_id="demo.workitem", parameters={},
                                              out_identifier="a"),
                                      Command("start-process", process_id="no.such.process", parameters={})],
                 status=500)
    assert sr.type == "FAILURE" and "[start-process]" in sr.msg and "no.such.process" in sr.msg
    active = rest(procs, "GET", "/containers/demo/processes/instances?status=1", "json",
                  expected=P.ProcessInstanceList, status=200).items
    assert active == []          # the batch's start-process went back with it


@pytest.mark.parametrize("fmt", FORMATS)
def test_signal_event_by_correlation_key_and_to_missing_instances(procs, fmt):
    from tests.bpm.helpers import start
    pid = start(procs, "demo.signal", {}, key=f"order-{fmt}")
    # SignalEventCommand: an instance that is not there is silently skipped
    results(procs, "demo", fmt, [Command("signal-event", process_instance_id=987654, event_type="go", event="x")])
    assert instance(procs, pid).state == 1
    if fmt == "xstream":     # SignalEventConverter reads no correlation key: the signal is broadcast
        results(procs, "demo", fmt, [Command("signal-event", event_type="go", event="x")])
    else:
        results(procs, "demo", fmt, [Command("signal-event", correlation_key=f"order-{fmt}", event_type="go",
                                             event="x")])
    assert instance(procs, pid).state == 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_work_items_that_are_not_there_are_skipped(procs, fmt):
    """DefaultWorkItemManager / JPAWorkItemManager complete or abort nothing for an unknown id."""
    pid = int(results(procs, "demo", fmt, [Command("start-process", process_id="demo.workitem", parameters={},
                                                   out_identifier="a")]).results["a"])
    wid = _work_item(procs, pid)
    results(procs, "demo", fmt, [Command("complete-work-item", id=987654, results={}),
                                 Command("abort-work-item", id=987655)])
    results(procs, "demo", fmt, [Command("complete-work-item", id=wid, results={"Output": "x"}),
                                 Command("complete-work-item", id=wid, results={"Output": "again"})])
    assert instance(procs, pid).state == 2


def test_start_process_data_goes_into_the_ksession(procs):
    """StartProcessCommand inserts its `data` into the ksession before starting the process."""
    body = ('{"lookup":"ksession","commands":[{"start-process":{"processId":"demo.workitem","data":["fact-1"],'
            '"out-identifier":"pi"}},{"get-objects":{"out-identifier":"o"}}]}')
    r = procs.post("/containers/instances/demo", body=body, fmt="json")
    assert r.status_code == 200, r.text
    assert '"fact-1"' in r.text and '"pi"' in r.text
