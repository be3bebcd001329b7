"""Task payloads against the real marshallers' golden files (round trip in every format)."""
import pytest

from containers.values import TypeRegistry
from marshallers import JAXB, JSON, XSTREAM, marshal, parse_format, unmarshal
from marshallers.types import tasks as T
from tests.marshallers.golden import has_sample, same_json, same_xml, sample

FMT = {"json": JSON, "jaxb": JAXB, "xstream": XSTREAM,
       "strict": parse_format("application/json;strict=true;fields=not_null")}
CASES = {"task_instance": T.TaskInstance, "task_summary_list": T.TaskSummaryList}


def _types():
    reg = TypeRegistry()
    reg.define("org.test.Person", [("name", "java.lang.String"), ("age", "int"),
                                    ("birth", "java.util.Date"), ("tags", "java.util.List")])
    return reg


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("kind", list(FMT))
def test_golden_round_trip(name, kind):
    if not has_sample(name, kind):
        pytest.skip("no sample")
    gold = sample(name, kind)
    types = _types()
    out = marshal(unmarshal(gold, FMT[kind], CASES[name], types=types), FMT[kind], types=types)
    assert (same_json if kind in ("json", "strict") else same_xml)(out, gold), out


@pytest.mark.parametrize("kind", ["json", "jaxb", "xstream"])
def test_summary_list_byte_exact(kind):
    gold = sample("task_summary_list", kind)
    out = marshal(unmarshal(gold, FMT[kind], T.TaskSummaryList), FMT[kind])
    assert out.rstrip("\n") == gold.rstrip("\n")


@pytest.mark.parametrize("kind", ["json", "jaxb", "xstream"])
def test_other_task_types_round_trip(kind):
    import datetime as dt
    from containers.values import Long
    when = dt.datetime(2018, 10, 8, 10, 56, 39, 184000, tzinfo=dt.timezone.utc)
    values = [
        T.TaskEventInstanceList(items=[T.TaskEventInstance(
            id=Long(1), task_id=Long(10), type="ADDED", user_id="yoda", log_time=when,
            process_instance_id=Long(4), work_item_id=Long(3), message=None, assigned_owner="")]),
        T.TaskCommentList(items=[T.TaskComment(id=Long(2), text="hi", added_by="yoda", added_at=when)]),
        T.TaskAttachmentList(items=[T.TaskAttachment(id=Long(3), name="doc", added_by="yoda", added_at=when,
                                                     content_type="java.lang.String", size=5,
                                                     attachment_content_id=Long(7))]),
        T.TaskComment(id=Long(2), text="hi", added_by="yoda", added_at=when),
        T.TaskInstance(id=Long(5), potential_owners=["a", "b"], excluded_owners=[], business_admins=["Administrator"],
                       output_data={"x": Long(1)}),
    ]
    for v in values:
        text = marshal(v, FMT[kind])
        back = unmarshal(text, FMT[kind], type(v))
        assert marshal(back, FMT[kind]) == text
