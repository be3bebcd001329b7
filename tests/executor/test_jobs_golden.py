import pytest

from marshallers import JAXB, JSON, XSTREAM, marshal, unmarshal
from marshallers.types import jobs as J
from tests.marshallers.golden import has_sample, same_json, same_xml, sample

FMT = {"json": JSON, "jaxb": JAXB, "xstream": XSTREAM}
CASES = {"request_info_instance": J.RequestInfoInstance, "request_info_instance_list": J.RequestInfoInstanceList,
         "job_request_instance": J.JobRequestInstance}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("kind", list(FMT))
def test_golden_round_trip(name, kind):
    if not has_sample(name, kind):
        pytest.skip("no sample")
    gold = sample(name, kind)
    out = marshal(unmarshal(gold, FMT[kind], CASES[name]), FMT[kind])
    assert (same_json if kind == "json" else same_xml)(out, gold), out
