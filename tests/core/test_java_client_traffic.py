"""Calls 1-5 and 20 of the real kie-server-client, byte for byte as it sent them, in each format."""
import pytest

from marshallers import JAXB, JSON, XSTREAM, unmarshal
from marshallers.types import core as C
from tests.kjars import build_kjar
from tests.traffic import captured_requests

REQUESTS = captured_requests()
FMT = {"JSON": JSON, "JAXB": JAXB, "XSTREAM": XSTREAM}
# what the client accepts (AbstractKieServicesClientImpl) for each call
EXPECT = {1: (200, C.KieServerInfo), 2: (200, C.KieServerInfo), 3: (200, C.KieContainerResourceList),
          4: (201, C.KieContainerResource), 5: (200, C.KieContainerResource), 20: (200, type(None))}


@pytest.mark.parametrize("fmt", ["JSON", "JAXB", "XSTREAM"])
def test_java_client_sequence(client, fmt):
    client.put("/kie-server/maven2/org/example/demo-kjar/1.0.0/demo-kjar-1.0.0.jar", body=build_kjar())
    for n in (1, 2, 3, 4, 5, 20):
        method, path, headers, body = REQUESTS[fmt][n]
        r = client.request(method, path, headers=headers, body=body or None, auth=False)
        status, rtype = EXPECT[n]
        assert r.status_code == status, (n, r.text)
        resp = unmarshal(r.text, FMT[fmt], C.ServiceResponse)
        assert resp.type == "SUCCESS", (n, resp.msg)
        assert isinstance(resp.result, rtype), (n, resp.result)
        if n == 3:
            assert resp.result.containers == []
        if n == 5:
            assert resp.result.container_id == "demo" and resp.result.status == "STARTED"
