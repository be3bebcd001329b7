"""Register, replace, get, list and drop query definitions over HTTP (KIE's QueryDataResource status
codes and texts), in JSON, JAXB and XSTREAM, on SQLite and PostgreSQL; definitions survive a restart."""
import pytest

from marshallers import JAXB, JSON, XSTREAM
from marshallers.types.querydefs import QueryDefinition, QueryDefinitionList
from tests.querydefs.helpers import DS, FMTS, FORMATS, Q, qdef, register
from marshallers import unmarshal

PIL = "select * from ProcessInstanceLog where status = 1"
PIL_COLUMNS = ["id", "correlationkey", "duration", "end_date", "externalid", "user_identity", "outcome",
               "parentprocessinstanceid", "processid", "processinstancedescription", "processinstanceid",
               "processname", "processtype", "processversion", "sla_due_date", "slacompliance", "start_date",
               "status"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_register_get_list_replace_delete(qserver, fmt):
    F = FMTS[fmt]
    q = qdef("allProcessInstances", PIL, "PROCESS")
    got = register(qserver, q, fmt)
    assert (got.name, got.source, got.expression, got.target) == ("allProcessInstances", DS, PIL, "PROCESS")
    # 18 columns of ProcessInstanceLog, as in QueryDataServiceIntegrationTest
    assert sorted(c.lower() for c in got.columns) == sorted(PIL_COLUMNS)
    assert got.columns["start_date"] == "DATE" and got.columns["processid"] == "LABEL"
    assert got.columns["processinstanceid"] == "NUMBER"

    r = qserver.post(f"{Q}/allProcessInstances", fmt=fmt, body=r_body(q, fmt))
    assert r.status_code == 409
    assert r.text == '"Query definition with name "allProcessInstances" already exists"'

    r = qserver.get(Q, fmt=fmt, params={"page": 0, "pageSize": 100})
    assert r.status_code == 200
    lst = unmarshal(r.text, F, QueryDefinitionList)
    [mine] = [d for d in lst.items if d.name == "allProcessInstances"]
    assert (mine.source, mine.expression, mine.target) == (DS, PIL, "PROCESS")

    r = qserver.get(f"{Q}/allProcessInstances", fmt=fmt)
    assert r.status_code == 200
    one = unmarshal(r.text, F, QueryDefinition)
    assert one.expression == PIL and len(one.columns) == 18

    # PUT replaces (201) ...
    q2 = qdef("allProcessInstances", "select * from AuditTaskImpl where status = 'InProgress'", "CUSTOM")
    rep = register(qserver, q2, fmt, method="PUT")
    assert rep.expression == q2.expression and rep.target == "CUSTOM" and len(rep.columns) == 18
    # ... or creates
    rep = register(qserver, qdef("other", "select processInstanceId from ProcessInstanceLog"), fmt, method="PUT")
    assert list(rep.columns) in (["processInstanceId"], ["processinstanceid"])

    r = qserver.delete(f"{Q}/allProcessInstances", fmt=fmt)
    assert r.status_code == 204 and r.text == ""
    r = qserver.delete(f"{Q}/allProcessInstances", fmt=fmt)
    assert r.status_code == 404
    assert r.text == '"Could not find query definition with name "allProcessInstances""'
    r = qserver.get(f"{Q}/allProcessInstances", fmt=fmt)
    assert r.status_code == 404
    assert r.text == '"Could not find query definition with name "allProcessInstances""'


def r_body(d, fmt):
    from marshallers import marshal
    return marshal(d, FMTS[fmt])


def test_name_comes_from_the_path(qserver):
    d = qdef("bodyname", PIL)
    r = qserver.post(f"{Q}/pathname", fmt="json", body=r_body(d, "json"))
    assert r.status_code == 201 and '"query-name" : "pathname"' in r.text


def test_list_paging_in_registration_order(qserver):
    for i in range(5):
        register(qserver, qdef(f"q{i}", PIL))
    r = qserver.get(Q, fmt="json", params={"page": 1, "pageSize": 2})
    names = [d.name for d in unmarshal(r.text, JSON, QueryDefinitionList).items]
    assert names == ["q2", "q3"]
    r = qserver.get(Q, fmt="json")        # defaults 0/10
    assert [d.name for d in unmarshal(r.text, JSON, QueryDefinitionList).items] == [f"q{i}" for i in range(5)]
    assert '"query-columns" : { }' in r.text


def test_invalid_query_is_500_and_not_registered(qserver):
    r = qserver.post(f"{Q}/invalidQuery", fmt="json",
                     body=r_body(qdef("invalidQuery", "select * from NoSuchTable"), "json"))
    assert r.status_code == 500
    assert r.text == '"Unexpected error during processing: Can\'t get metadata on specified data set: invalidQuery\n"'
    r = qserver.get(f"{Q}/invalidQuery", fmt="json")
    assert r.status_code == 404 and r.text == '"Could not find query definition with name "invalidQuery""'


def test_unknown_source_and_target(qserver):
    r = qserver.post(f"{Q}/q", fmt="json", body=r_body(qdef("q", PIL, source="java:jboss/datasources/Nope"), "json"))
    assert r.status_code == 500 and "Can't get metadata on specified data set: q" in r.text
    r = qserver.post(f"{Q}/q", fmt="json", body=r_body(qdef("q", PIL, target="NOPE"), "json"))
    assert r.status_code == 500
    assert "No enum constant org.jbpm.services.api.query.model.QueryDefinition.Target.NOPE" in r.text
    # the KIE default names and ${org.kie.server.persistence.ds} answer from the store; the source is kept as given
    for src in ("java:jboss/datasources/jbpmDS", "${org.kie.server.persistence.ds}"):
        got = register(qserver, qdef("q", PIL, source=src), "json", method="PUT")
        assert got.source == src


def test_configured_alias(qfactory):
    c = qfactory(queries={"datasources": ["jdbc/jbpm-ds"]})
    got = register(c, qdef("aliased", PIL, source="jdbc/jbpm-ds"), "json")
    assert got.source == "jdbc/jbpm-ds"
    r = c.post(f"{Q}/x", fmt="json", body=r_body(qdef("x", PIL, source="jdbc/other"), "json"))
    assert r.status_code == 500


def test_definitions_survive_a_restart(qfactory):
    a = qfactory()
    register(a, qdef("kept", PIL, "PROCESS"))
    a.close()
    b = qfactory()
    r = b.get(f"{Q}/kept", fmt="xstream")
    assert r.status_code == 200
    got = unmarshal(r.text, XSTREAM, QueryDefinition)
    assert (got.name, got.expression, got.target) == ("kept", PIL, "PROCESS")


def test_golden_wire_forms(qserver):
    """The reference samples read back and written again by the endpoint."""
    base = "/work/shared/reference/wire-formats-samples/"
    import os
    if not os.path.isdir(base):
        pytest.skip("reference samples not available")
    for fmt, ext, F in (("json", "json", JSON), ("jaxb", "jaxb.xml", JAXB), ("xstream", "xstream.xml", XSTREAM)):
        body = open(base + "query_definition." + ext).read()
        r = qserver.put(f"{Q}/allProcessInstances", fmt=fmt, body=body)
        assert r.status_code == 201, r.text
        got = unmarshal(r.text, F, QueryDefinition)
        assert (got.name, got.source, got.expression, got.target) == (
            "allProcessInstances", DS, "select * from ProcessInstanceLog", "PROCESS")
    r = qserver.get(f"{Q}/allProcessInstances", fmt="xstream")
    assert r.text.startswith("<org.kie.server.api.model.definition.QueryDefinition>\n  <name>allProcessInstances</name>")
    assert '<columns class="hash-map">' in r.text
    r = qserver.get(f"{Q}/allProcessInstances", fmt="jaxb")
    assert "<query-definition>" in r.text and "<columns>" in r.text and "<key>processinstanceid</key>" in r.text


@pytest.mark.parametrize("fmt", FORMATS)
def test_unreadable_bodies_are_answered_not_tracebacks(qserver, fmt):
    bodies = {"json": ["{", "[1, 2]", '{"query-name": 5, "nope": {}}'],
              "jaxb": ["<query-definition>", "<other/>", "not xml"],
              "xstream": ["<org.kie.server.api.model.definition.QueryDefinition>", "<x/>", "nope"]}[fmt]
    for body in bodies:
        r = qserver.post(f"{Q}/bad", fmt=fmt, body=body)
        assert r.status_code in (400, 500), (body, r.status_code)
        assert r.text.startswith('"') and "Traceback" not in r.text
        r = qserver.post(f"{Q}/bad/filtered-data", fmt=fmt, body=body, params={"mapper": "RawList"})
        assert r.status_code in (400, 500) and "Traceback" not in r.text
        r = qserver.post(f"{Q}/bad/filtered-data", fmt=fmt, body=body, params={"mapper": "RawList", "builder": "test"})
        assert r.status_code in (400, 500) and "Traceback" not in r.text
    r = qserver.post(f"{Q}/bad", fmt=fmt, body=r_body(QueryDefinition(source=DS, expression="select 1"), fmt))
    assert r.status_code == 500 and r.text == '"Unexpected error during processing: Name is null\n"'
