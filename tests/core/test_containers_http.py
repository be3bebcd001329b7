"""Core API over HTTP in JSON, JAXB and XSTREAM, on SQLite and PostgreSQL."""
import pytest

from marshallers import JAXB, JSON, XSTREAM, marshal, unmarshal
from marshallers.types import core as C
from tests.kjars import build_kjar

FMT = {"json": JSON, "jaxb": JAXB, "xstream": XSTREAM}
FORMATS = ["json", "jaxb", "xstream"]
BIN = {"Content-Type": "application/java-archive"}


def sr(resp, fmt):
    """Parse a ServiceResponse the way the Java client does (with its configured format)."""
    return unmarshal(resp.text, FMT[fmt], C.ServiceResponse)


def upload_maven(client, group="org.example", artifact="demo-kjar", version="1.0.0", **kw):
    data = build_kjar(group, artifact, version, **kw)
    path = f"/kie-server/maven2/{group.replace('.', '/')}/{artifact}/{version}/{artifact}-{version}.jar"
    r = client.put(path, body=data, headers={"Content-Type": "application/java-archive"})
    assert r.status_code in (200, 201), r.text
    return data


def create_body(fmt, cid, group="org.example", artifact="demo-kjar", version="1.0.0", alias=None):
    res = C.KieContainerResource(container_id=cid, release_id=C.ReleaseId(group_id=group, artifact_id=artifact, version=version),
                                 container_alias=alias)
    return marshal(res, FMT[fmt])


@pytest.mark.parametrize("fmt", FORMATS)
def test_server_info(client, fmt):
    r = client.get("", fmt=fmt)
    assert r.status_code == 200
    resp = sr(r, fmt)
    assert resp.type == "SUCCESS" and resp.msg == "Kie Server info"
    info = resp.result
    assert isinstance(info, C.KieServerInfo)
    assert info.server_id == "default-kieserver" and info.capabilities[0] == "KieServer"
    assert info.mode == "DEVELOPMENT" and info.version == "7.74.1.Final"
    assert info.messages[0].severity == "INFO"
    assert r.headers["content-type"].startswith("application/json" if fmt == "json" else "application/xml")


def test_default_format_is_xml_and_content_type_wins(client):
    r = client.get("")
    assert r.text.startswith("<?xml") and r.headers["content-type"] == "application/xml"
    r = client.get("", headers={"Accept": "*/*"})
    assert r.text.startswith("<?xml")
    r = client.get("", headers={"Accept": "application/json"})
    assert r.text.startswith("{")
    r = client.get("", headers={"Accept": "application/json, application/xml"})
    assert r.text.startswith("<?xml")
    # Content-Type overrides Accept for the body, Accept labels the response
    r = client.get("", headers={"Accept": "application/xml", "Content-Type": "application/json"})
    assert r.text.startswith("{") and r.headers["content-type"] == "application/xml"
    r = client.get("", headers={"X-KIE-ContentType": "xstream"})
    assert r.text.startswith("<response")
    r = client.get("", headers={"Accept": "application/json;strict=true;fields=not_null"})
    assert "\"result\"" in r.text and ": null" not in r.text


def test_unknown_format_and_unacceptable(client):
    r = client.get("", headers={"X-KIE-ContentType": "foo"})
    assert r.status_code == 500 and "Invalid marshalling format [foo]" in r.text
    r = client.get("", headers={"Accept": "text/plain"})
    assert r.status_code == 406
    r = client.put("/containers/x", body="<a/>", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415


def test_authentication(client):
    r = client.get("", auth=False)
    assert r.status_code == 401 and r.headers["www-authenticate"] == 'Basic realm="KIE Server"'
    from tests.conftest import basic
    assert client.get("", auth=basic("kieserver", "wrong")).status_code == 401
    assert client.get("", auth="Basic !!!notbase64").status_code == 401
    assert client.get("", auth=basic("nobody", "nobody1")).status_code == 403
    assert client.get("", auth=basic("wbadmin", "wbadmin")).status_code == 200
    assert client.get("/readycheck", auth=False).status_code == 200
    assert client.get("/healthcheck", auth=False).status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_create_from_maven_upload_get_list_dispose(client, fmt):
    upload_maven(client)
    r = client.put("/containers/demo", body=create_body(fmt, "ignored-body-id", alias="demo-alias"), fmt=fmt)
    assert r.status_code == 201, r.text
    assert "X-KIE-ConversationId" in r.headers or "x-kie-conversationid" in r.headers
    resp = sr(r, fmt)
    assert resp.type == "SUCCESS"
    assert resp.msg == "Container demo successfully deployed with module org.example:demo-kjar:1.0.0."
    c = resp.result
    assert c.container_id == "demo" and c.status == "STARTED" and c.container_alias == "demo-alias"
    assert c.resolved_release_id.version == "1.0.0"
    assert c.messages[0].content == ["Container demo successfully created with module org.example:demo-kjar:1.0.0."]

    r = client.get("/containers/demo", fmt=fmt)
    assert r.status_code == 200
    got = sr(r, fmt)
    assert got.msg == "Info for container demo" and got.result.status == "STARTED"

    lst = sr(client.get("/containers", fmt=fmt), fmt)
    assert lst.msg == "List of created containers"
    assert [x.container_id for x in lst.result.containers] == ["demo"]

    r = client.delete("/containers/demo", fmt=fmt)
    assert r.status_code == 200
    assert sr(r, fmt).msg == "Container demo successfully disposed."
    assert sr(client.get("/containers", fmt=fmt), fmt).result.containers == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_create_by_direct_upload(client, fmt):
    r = client.put("/containers/up", body=build_kjar(version="2.0.0"),
                   headers={**BIN, **({"Accept": "application/json"} if fmt == "json" else {}),
                            "X-KIE-ContentType": fmt.upper()})
    assert r.status_code == 201, r.text
    resp = sr(r, fmt)
    assert resp.result.release_id.gav() == "org.example:demo-kjar:2.0.0"
    # the jar is now in the Maven repository too
    r = client.get("/kie-server/maven2/org/example/demo-kjar/2.0.0/demo-kjar-2.0.0.jar")
    assert r.status_code == 200 and r.content[:2] == b"PK"


@pytest.mark.parametrize("fmt", FORMATS)
def test_create_failures_are_400_failure(client, fmt):
    upload_maven(client)
    assert client.put("/containers/a", body=create_body(fmt, "a"), fmt=fmt).status_code == 201
    r = client.put("/containers/a", body=create_body(fmt, "a"), fmt=fmt)
    assert r.status_code == 400
    resp = sr(r, fmt)
    assert resp.type == "FAILURE" and resp.msg == "Container a already exists."
    assert resp.result.container_id == "a"

    r = client.put("/containers/b", body=create_body(fmt, "b", version="9.9"), fmt=fmt)
    assert r.status_code == 400
    assert sr(r, fmt).msg == "Failed to create container b with module org.example:demo-kjar:9.9."
    failed = sr(client.get("/containers/b", fmt=fmt), fmt).result
    assert failed.status == "FAILED" and failed.messages[0].severity == "ERROR"
    # a FAILED container may be created again once the module exists
    upload_maven(client, version="9.9")
    assert client.put("/containers/b", body=create_body(fmt, "b", version="9.9"), fmt=fmt).status_code == 201

    bad_body = {"json": '{"container-id": "c"', "jaxb": "<kie-container container-id=", "xstream": "<kie-container><x"}[fmt]
    r = client.put("/containers/c", body=bad_body, fmt=fmt)
    assert r.status_code == 400 and sr(r, fmt).type == "FAILURE"
    assert client.get("/containers/a", fmt=fmt).status_code == 200  # nothing else affected


def test_release_id_missing_and_production_snapshot(server_factory):
    client = server_factory(mode="PRODUCTION")
    r = client.put("/containers/x", body='{"container-id":"x"}', fmt="json")
    assert r.status_code == 400 and sr(r, "json").msg == "Error creating container. Release Id is null"
    r = client.put("/containers/x", body=create_body("json", "x", version="1.0-SNAPSHOT"), fmt="json")
    assert r.status_code == 400
    assert "PRODUCTION mode doesn't allow deploying SNAPSHOT modules" in sr(r, "json").msg


def test_hostile_xml_is_refused(client):
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            '<kie-container container-id="x"><release-id><group-id>&lol2;</group-id></release-id></kie-container>')
    r = client.put("/containers/x", body=bomb, fmt="jaxb")
    assert r.status_code == 400
    assert "DTDs and entities are not allowed" in sr(r, "jaxb").msg
    xxe = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           '<kie-container><container-id>&x;</container-id></kie-container>')
    r = client.put("/containers/x", body=xxe, fmt="xstream")
    assert r.status_code == 400
    deep = "<kie-container>" + "<a>" * 500 + "</a>" * 500 + "</kie-container>"
    assert client.put("/containers/x", body=deep, fmt="jaxb").status_code == 400
    assert sr(client.get("/containers", fmt="jaxb"), "jaxb").result.containers == []


@pytest.mark.parametrize("kjar,why", [
    (b"not a zip at all", "not a valid jar"),
    (build_kjar(kmodule=None), "kmodule.xml is missing"),
    (build_kjar(kmodule="<kmodule><kbase name='a'/><kbase name='a'/></kmodule>"), "duplicate kbase"),
    (build_kjar(kmodule="<kmodule><kbase"), "Malformed XML"),
])
def test_broken_kjar_upload(client, kjar, why):
    r = client.put("/containers/broken", body=kjar, headers={**BIN, "Accept": "application/json"})
    assert r.status_code == 400
    assert why in sr(r, "json").msg
    assert sr(client.get("/containers", fmt="json"), "json").result.containers == []


def test_broken_kjar_from_maven_is_failed_container(client):
    client.put("/kie-server/maven2/org/x/bad/1/bad-1.jar", body=build_kjar("org.x", "bad", "1", kmodule="<kmodule><kbase/></kmodule>"))
    r = client.put("/containers/bad", body=create_body("json", "bad", "org.x", "bad", "1"), fmt="json")
    assert r.status_code == 400
    c = sr(client.get("/containers/bad", fmt="json"), "json").result
    assert c.status == "FAILED" and "a kbase has no name" in c.messages[0].content[0]


def test_zip_slip_is_refused(client):
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("META-INF/kmodule.xml", "<kmodule/>")
        z.writestr("../../evil.drl", "rule x when then end")
    r = client.put("/containers/evil", body=buf.getvalue(), headers={**BIN, "Accept": "application/json"})
    assert r.status_code == 400 and "Unsafe path" in sr(r, "json").msg


@pytest.mark.parametrize("fmt", FORMATS)
def test_list_filters(client, fmt):
    upload_maven(client, "org.a", "one", "1.0")
    upload_maven(client, "org.a", "two", "1.0")
    upload_maven(client, "org.b", "one", "2.0")
    for cid, g, a, v in [("c1", "org.a", "one", "1.0"), ("c2", "org.a", "two", "1.0"), ("c3", "org.b", "one", "2.0")]:
        assert client.put(f"/containers/{cid}", body=create_body(fmt, cid, g, a, v), fmt=fmt).status_code == 201
    client.put("/containers/c4", body=create_body(fmt, "c4", "org.a", "missing", "1"), fmt=fmt)  # FAILED
    client.put("/containers/c2/status/deactivated", fmt=fmt)

    def ids(**params):
        r = client.get("/containers", params=params, fmt=fmt)
        assert r.status_code == 200
        return sorted(c.container_id for c in sr(r, fmt).result.containers)

    assert ids() == ["c1", "c2", "c3", "c4"]
    assert ids(groupId="org.a") == ["c1", "c2", "c4"]
    assert ids(artifactId="one") == ["c1", "c3"]
    assert ids(version="2.0") == ["c3"]
    assert ids(groupId="org.a", artifactId="one", version="1.0") == ["c1"]
    assert ids(status="started") == ["c1", "c3"]
    assert ids(status="FAILED,deactivated") == ["c2", "c4"]
    assert client.get("/containers", params={"status": "bogus"}, fmt=fmt).status_code == 500


@pytest.mark.parametrize("fmt", FORMATS)
def test_activate_deactivate(client, fmt):
    upload_maven(client)
    client.put("/containers/demo", body=create_body(fmt, "demo"), fmt=fmt)
    r = client.put("/containers/demo/status/activated", fmt=fmt)
    assert r.status_code == 400
    assert sr(r, fmt).msg == "Container demo not found or not in deactivated status."
    r = client.put("/containers/demo/status/deactivated", fmt=fmt)
    assert r.status_code == 201
    assert sr(r, fmt).result.status == "DEACTIVATED"
    assert sr(r, fmt).msg == "Container demo deactivated successfully."
    r = client.put("/containers/demo/status/deactivated", fmt=fmt)
    assert r.status_code == 400 and sr(r, fmt).msg == "Container demo not found or not in started status."
    r = client.put("/containers/demo/status/activated", fmt=fmt)
    assert r.status_code == 201 and sr(r, fmt).result.status == "STARTED"
    assert client.put("/containers/nope/status/activated", fmt=fmt).status_code == 400


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_container_answers(client, fmt):
    r = client.get("/containers/nope", fmt=fmt)
    assert r.status_code == 200 and sr(r, fmt).type == "FAILURE"
    assert sr(r, fmt).msg == "Container nope is not instantiated."
    r = client.delete("/containers/nope", fmt=fmt)
    assert r.status_code == 200 and sr(r, fmt).type == "SUCCESS"
    assert sr(r, fmt).msg == "Container nope was not instantiated."
    assert sr(client.get("/containers/nope/scanner", fmt=fmt), fmt).msg == "Unknown container nope."
    assert sr(client.get("/containers/nope/release-id", fmt=fmt), fmt).msg == "Container nope is not instantiated."


@pytest.mark.parametrize("fmt", FORMATS)
def test_update_release_id(client, fmt):
    upload_maven(client, version="1.0.0")
    upload_maven(client, version="1.1.0")
    client.put("/containers/demo", body=create_body(fmt, "demo"), fmt=fmt)
    r = client.get("/containers/demo/release-id", fmt=fmt)
    assert sr(r, fmt).result.version == "1.0.0"
    body = marshal(C.ReleaseId(group_id="org.example", artifact_id="demo-kjar", version="1.1.0"), FMT[fmt])
    r = client.post("/containers/demo/release-id", body=body, fmt=fmt)
    assert r.status_code == 200
    resp = sr(r, fmt)
    assert resp.type == "SUCCESS" and resp.msg == "Release id successfully updated." and resp.result.version == "1.1.0"
    c = sr(client.get("/containers/demo", fmt=fmt), fmt).result
    assert c.release_id.version == "1.1.0" and c.resolved_release_id.version == "1.1.0"
    body = marshal(C.ReleaseId(group_id="org.example", artifact_id="demo-kjar", version="7"), FMT[fmt])
    r = client.post("/containers/demo/release-id", body=body, fmt=fmt)
    assert r.status_code == 200 and sr(r, fmt).type == "FAILURE"
    assert sr(client.get("/containers/demo", fmt=fmt), fmt).result.release_id.version == "1.1.0"


@pytest.mark.parametrize("fmt", FORMATS)
def test_scanner(client, fmt):
    upload_maven(client, version="1.0-SNAPSHOT")
    client.put("/containers/demo", body=create_body(fmt, "demo", version="1.0-SNAPSHOT"), fmt=fmt)
    r = client.get("/containers/demo/scanner", fmt=fmt)
    assert sr(r, fmt).result.status == "DISPOSED"

    def post(status, interval=None):
        body = marshal(C.KieScannerResource(status=status, poll_interval=interval), FMT[fmt])
        r = client.post("/containers/demo/scanner", body=body, fmt=fmt)
        assert r.status_code == 200
        return sr(r, fmt)

    bad = post("STARTED")
    assert bad.type == "FAILURE" and bad.msg == "Invalid polling interval: null"
    ok = post("STARTED", 10000)
    assert ok.type == "SUCCESS" and ok.result.status == "STARTED" and ok.result.poll_interval == 10000
    assert sr(client.get("/containers/demo/scanner", fmt=fmt), fmt).result.poll_interval == 10000
    assert post("STOPPED").result.status == "STOPPED"
    # a new SNAPSHOT build is picked up by a scan
    upload_maven(client, version="1.0-SNAPSHOT", files={"org/example/other.drl": "package org.example\n"})
    scan = post("SCANNING")
    assert scan.type == "SUCCESS" and scan.msg == "Scan successfully executed."
    assert post("DISPOSED").result.status == "DISPOSED"
    r = client.post("/containers/demo/scanner", body="{}" if fmt == "json" else "<kie-scanner/>", fmt=fmt)
    assert sr(r, fmt).type == "FAILURE" and "Status is null" in sr(r, fmt).msg


@pytest.mark.parametrize("fmt", FORMATS)
def test_state_and_health(client, fmt):
    upload_maven(client)
    client.put("/containers/demo", body=create_body(fmt, "demo"), fmt=fmt)
    r = client.get("/state", fmt=fmt)
    assert r.status_code == 200
    state = sr(r, fmt)
    assert state.msg == "Successfully loaded server state for server id default-kieserver"
    assert [c.container_id for c in state.result.containers] == ["demo"]
    names = [i.name for i in state.result.configuration.config_items]
    assert "org.kie.server.location" in names and not any("pwd" in n for n in names)
    r = client.get("/healthcheck", params={"report": "true"}, fmt=fmt, auth=False)
    assert r.status_code == 200


def test_healthcheck_503_on_failed_container_when_mgmt_disabled(server_factory):
    c = server_factory()
    c.put("/containers/bad", body=create_body("json", "bad", version="404"), fmt="json")
    assert c.get("/healthcheck", auth=False).status_code == 200  # only a WARN
    c2 = server_factory(mgmt_api_disabled=True)
    assert c2.get("/healthcheck", auth=False).status_code == 503
    r = c2.put("/containers/x", body=create_body("json", "x"), fmt="json")
    assert r.status_code == 400 and sr(r, "json").msg == "KIE Server management api is disabled"
    assert c2.delete("/containers/bad", fmt="json").status_code == 400


@pytest.mark.parametrize("fmt", FORMATS)
def test_command_script(client, fmt):
    upload_maven(client)
    script = C.CommandScript(commands=[
        C.CreateContainerCommand(container=C.KieContainerResource(
            container_id="cs", release_id=C.ReleaseId(group_id="org.example", artifact_id="demo-kjar", version="1.0.0"))),
        C.GetContainerInfoCommand(container_id="cs"),
        C.ListContainersCommand(filter=C.KieContainerResourceFilter(
            release_id_filter=C.ReleaseIdFilter(),
            status_filter=C.KieContainerStatusFilter(accepted_status=["STARTED"]))),
        C.GetServerInfoCommand(),
        C.DeactivateContainerCommand(container_id="cs"),
        C.ActivateContainerCommand(container_id="cs"),
        C.GetReleaseIdCommand(container_id="cs"),
        C.GetScannerInfoCommand(container_id="cs"),
        C.GetServerStateCommand(),
        C.DisposeContainerCommand(container_id="cs"),
        C.DisposeContainerCommand(container_id="cs"),
    ])
    r = client.post("/config", body=marshal(script, FMT[fmt]), fmt=fmt)
    assert r.status_code == 200, r.text
    out = unmarshal(r.text, FMT[fmt], C.ServiceResponsesList).responses
    assert [x.type for x in out] == ["SUCCESS"] * 11
    assert out[0].msg == "Container cs successfully deployed with module org.example:demo-kjar:1.0.0."
    assert [c.container_id for c in out[2].result.containers] == ["cs"]
    assert isinstance(out[3].result, C.KieServerInfo)
    assert out[9].msg == "Container cs successfully disposed."
    assert out[10].msg == "Container cs was not instantiated."


def test_restart_keeps_containers(store_url, tmp_path):
    from tests.conftest import Client, make_server
    c = Client(make_server(store_url, tmp_path))
    upload_maven(c)
    c.put("/containers/demo", body=create_body("json", "demo"), fmt="json")
    c.put("/containers/off", body=create_body("json", "off"), fmt="json")
    c.put("/containers/off/status/deactivated", fmt="json")
    c.put("/containers/bad", body=create_body("json", "bad", version="0"), fmt="json")
    c.close()
    c = Client(make_server(store_url, tmp_path))
    try:
        got = {x.container_id: x.status for x in sr(c.get("/containers", fmt="json"), "json").result.containers}
        assert got == {"demo": "STARTED", "off": "DEACTIVATED", "bad": "FAILED"}
        assert c.app.kie_server.containers.runtime("demo") is not None
    finally:
        c.close()


def test_alias_resolves_to_newest_container(client):
    upload_maven(client, version="1.0.0")
    upload_maven(client, version="1.1.0")
    client.put("/containers/v1", body=create_body("json", "v1", alias="app"), fmt="json")
    client.put("/containers/v2", body=create_body("json", "v2", version="1.1.0", alias="app"), fmt="json")
    kc = client.app.kie_server.containers.runtime("app")
    assert kc.container_id == "v2"


def test_maven_repository(client):
    data = build_kjar()
    base = "/kie-server/maven2/org/example/demo-kjar/1.0.0/"
    assert client.put(base + "demo-kjar-1.0.0.jar", body=data).status_code == 201
    assert client.put(base + "demo-kjar-1.0.0.jar", body=data).status_code == 200  # redeploy
    assert client.put(base + "demo-kjar-1.0.0.jar.sha1", body=b"abc").status_code == 201
    assert client.put(base + "demo-kjar-1.0.0.pom", body=b"<project/>").status_code == 201
    assert client.get(base + "demo-kjar-1.0.0.jar").content == data
    meta = client.get("/kie-server/maven2/org/example/demo-kjar/maven-metadata.xml")
    assert meta.status_code == 200 and b"<version>1.0.0</version>" in meta.content
    assert client.get(base + "nothing.jar").status_code == 404
    assert client.put("/kie-server/maven2/org/../../etc/passwd", body=b"x").status_code in (400, 404)
    assert client.get("/kie-server/maven2/org/example/demo-kjar/", auth=False).status_code == 401


def test_conversation_id(client):
    upload_maven(client)
    client.put("/containers/demo", body=create_body("json", "demo"), fmt="json")
    r = client.get("/containers/demo", fmt="json")
    conv = r.headers.get("X-KIE-ConversationId")
    assert conv and conv.startswith("%27default-kieserver%27%3A%27demo%27")
    r = client.get("/containers/demo", fmt="json", headers={"X-KIE-ConversationId": "abc"})
    assert r.headers.get("X-KIE-ConversationId") == "abc"
    assert client.get("/containers/nope", fmt="json").headers.get("X-KIE-ConversationId") is None
