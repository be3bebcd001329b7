"""What KIE Server's own integration tests (kie-server-integ-tests-drools) assert on the batch
endpoint, replayed over HTTP in JSON, JAXB and XSTREAM with small kjars of the same shape:
StatefulSessionUsage, StatelessSessionUsage, DisposeCommand, AgendaGroup, Agenda, ActivationGroup,
KieServerDrools (lookup error, command script).

Each test once marked xfail named a gap of kieserver/ext/brm.py or
marshallers/types/batch.py against KIE; docs/notes/brm-gaps.md says how each was closed."""
import pytest

from marshallers import unmarshal
from marshallers.types.batch import FactHandleRef, QueryResults
from marshallers.types.core import ServiceResponsesList

from .brmkit import FMT, FORMATS, Command, batch_body, bean, call, deploy, post, types_of

VADER_DRL = """package org.kie.server.testing

declare Person
    firstname : String
    surname : String
    duplicated : boolean
end

rule "Set lastname for Darth"
    no-loop true
when
    $person : Person(firstname == "Darth")
then
    modify($person) {
        setSurname("Vader")
    }
end

rule "Mark duplicated Vaders"
    no-loop true
when
    $vader1 : Person(firstname == "Darth", surname == "Vader", duplicated == false)
    $vader2 : Person(firstname == "Darth", surname == "Vader", duplicated == false, this != $vader1)
then
    modify($vader1) { setDuplicated(true) }
    modify($vader2) { setDuplicated(true) }
end

rule "Rule with agenda group"
    agenda-group "ag1"
    lock-on-active
when
    $p : Person(firstname == "Bob")
then
    modify($p) { setSurname("Sponge") }
end

query "get people"()
    person : Person()
end
"""

VADER_KMODULE = """<kmodule xmlns="http://www.drools.org/xsd/kmodule">
  <kbase name="kbase1" packages="org.kie.server.testing">
    <ksession name="kbase1.stateful" type="stateful" default="true"/>
    <ksession name="kbase1.stateful2" type="stateful"/>
    <ksession name="kbase1.stateless" type="stateless"/>
  </kbase>
</kmodule>"""

PERSON = "org.kie.server.testing.Person"

GROUPS_DRL = """package org.kie.server.testing.groups
import java.util.List;
global List list

rule "Rule in first agenda group" @Propagation(IMMEDIATE)
    agenda-group "first-agenda"
    salience 10
when
then
    list.add("Rule in first agenda group executed");
end

rule "Rule without agenda group" @Propagation(IMMEDIATE)
    salience 100
when
then
    list.add("Rule without agenda group executed");
end
"""

ACTIVATION_DRL = """package org.kie.server.testing.activation
import java.util.List;
global List list

rule "First rule in first activation group" @Propagation(IMMEDIATE)
    activation-group "first-group"
    salience 10
when
then
    list.add("First rule in first activation group executed");
end

rule "Second rule in first activation group" @Propagation(IMMEDIATE)
    activation-group "first-group"
    salience 5
when
then
    list.add("Second rule in first activation group executed");
end

rule "Rule without activation group" @Propagation(IMMEDIATE)
    salience 2
when
then
    list.add("Rule without activation group executed");
end
"""

STATELESS_ONLY = """<kmodule xmlns="http://www.drools.org/xsd/kmodule">
  <kbase name="kbase1"><ksession name="ksession1" type="stateless"/></kbase>
</kmodule>"""


@pytest.fixture
def vader(client):
    deploy(client, "stateful-session", {"org/kie/server/testing/rules.drl": VADER_DRL}, VADER_KMODULE)
    return client


def darth(client, surname=""):
    return bean(client, "stateful-session", PERSON, firstname="Darth", surname=surname)


def run(client, fmt, commands, lookup="kbase1.stateful", cid="stateful-session", status=200):
    sr, text = call(client, cid, fmt, commands, lookup, status)
    return sr.result if status == 200 else sr


# -- StatefulSessionUsageIntegrationTest ------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_state_is_kept_between_calls(vader, fmt):
    r = run(vader, fmt, [Command("insert", object=darth(vader), out_identifier="person1"), Command("fire-all-rules")])
    p1 = r.results["person1"]
    assert type(p1).java_name() == PERSON and p1.surname == "Vader" and p1.duplicated is False
    r = run(vader, fmt, [Command("insert", object=darth(vader), out_identifier="person2"), Command("fire-all-rules")])
    assert r.results["person2"].duplicated is True


@pytest.mark.parametrize("fmt", FORMATS)
def test_insert_fire_query_multiple_results(vader, fmt):
    r = run(vader, fmt, [Command("insert", object=darth(vader), out_identifier="person1"),
                         Command("insert", object=darth(vader), out_identifier="person2"),
                         Command("fire-all-rules"),
                         Command("query", query_name="get people", arguments=[], out_identifier="query-result")])
    assert r.results["person1"].duplicated is True and r.results["person2"].duplicated is True
    q = r.results["query-result"]
    assert isinstance(q, QueryResults) and len(q) == 2 and q.identifiers == ["person"]
    for row in q.rows:
        person, handle = row["person"]
        assert person.surname == "Vader" and isinstance(handle, FactHandleRef)
    assert sorted(row["person"][1].id for row in q.rows) == sorted(h.id for h in r.facts.values())


@pytest.mark.parametrize("fmt", FORMATS)
def test_fact_handles_get_objects_and_delete(vader, fmt):
    run(vader, fmt, [Command("insert", object=darth(vader), out_identifier="person1"), Command("fire-all-rules")])
    r = run(vader, fmt, [Command("get-fact-handles", out_identifier="facts")])
    handles = r.results["facts"]
    assert len(handles) == 1 and isinstance(handles[0], FactHandleRef)
    r = run(vader, fmt, [Command("get-object", handle=handles[0], out_identifier="get-object"),
                         Command("get-objects", out_identifier="get-objects")])
    assert r.results["get-object"].surname == "Vader" and len(r.results["get-objects"]) == 1
    r = run(vader, fmt, [Command("delete", handle=handles[0]), Command("get-fact-handles", out_identifier="facts")])
    assert r.results["facts"] == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_modify_with_setters_is_literal(vader, fmt):
    r = run(vader, fmt, [Command("insert", object=darth(vader), out_identifier="person1"), Command("fire-all-rules")])
    h = r.facts["person1"]
    r = run(vader, fmt, [Command("modify", handle=h, setters=[("surname", "Lord Vader")]),
                         Command("get-fact-handles", out_identifier="facts"),
                         Command("get-objects", out_identifier="get-objects")])
    assert len(r.results["facts"]) == 1
    assert r.results["get-objects"][0].surname == "Lord Vader"


@pytest.mark.parametrize("fmt", FORMATS)
def test_update_replaces_the_object(vader, fmt):
    r = run(vader, fmt, [Command("insert", object=darth(vader), out_identifier="person1"), Command("fire-all-rules")])
    h = r.facts["person1"]
    run(vader, fmt, [Command("update", handle=h, object=darth(vader, "Lord Vader"))])
    r = run(vader, fmt, [Command("get-object", handle=h, out_identifier="get-object")])
    assert r.results["get-object"].surname == "Lord Vader"


@pytest.mark.parametrize("fmt", FORMATS)
def test_stateful_default_session_and_dispose(vader, fmt):
    r = run(vader, fmt, [Command("insert", object=darth(vader), out_identifier="person1"), Command("fire-all-rules")],
            lookup=None)
    assert r.results["person1"].surname == "Vader"
    r = run(vader, fmt, [Command("get-objects", out_identifier="o")], lookup="kbase1.stateful")
    assert len(r.results["o"]) == 1            # the default session is kbase1.stateful
    run(vader, fmt, [Command("dispose")], lookup=None)
    assert run(vader, fmt, [Command("get-objects", out_identifier="o")], lookup=None).results["o"] == []


AGENDA_FILTER = {
    "json": '{"lookup":"kbase1.stateful","commands":[{"insert":{"object":{"%s":{"firstname":"Darth","surname":""}},'
            '"out-identifier":"person1"}},{"fire-all-rules":{"max":-1,"agendaFilter":{"rule-name-ends-with-agenda-filter":'
            '{"suffix":"Darth","accept":false}},"out-identifier":"fired"}}]}' % PERSON,
    "jaxb": '<batch-execution lookup="kbase1.stateful"><insert out-identifier="person1"><object xsi:type="person" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><firstname>Darth</firstname><surname></surname>'
            '</object></insert><fire-all-rules max="-1" out-identifier="fired"><rule-name-ends-with-agenda-filter '
            'suffix="Darth" accept="false"/></fire-all-rules></batch-execution>',
    "xstream": '<batch-execution lookup="kbase1.stateful"><insert out-identifier="person1"><%s><firstname>Darth'
               '</firstname><surname></surname></%s></insert><fire-all-rules out-identifier="fired"><agendaFilter '
               'class="org.drools.core.base.RuleNameEndsWithAgendaFilter"><suffix>Darth</suffix><accept>false</accept>'
               '</agendaFilter></fire-all-rules></batch-execution>' % (PERSON, PERSON),
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_agenda_filter_with_accept_false(vader, fmt):
    sr, _ = post(vader, "stateful-session", fmt, AGENDA_FILTER[fmt], 200)
    assert sr.result.results["fired"] == 0 and sr.result.results["person1"].surname == ""


@pytest.mark.parametrize("fmt", FORMATS)
def test_agenda_filter_accepting(vader, fmt):
    body = AGENDA_FILTER[fmt].replace('"accept":false', '"accept":true').replace('accept="false"', 'accept="true"') \
        .replace("<accept>false</accept>", "<accept>true</accept>")
    sr, _ = post(vader, "stateful-session", fmt, body, 200)
    assert sr.result.results["fired"] == 1 and sr.result.results["person1"].surname == "Vader"


@pytest.mark.parametrize("fmt", FORMATS)
def test_error_when_container_is_disposed_between_calls(vader, fmt):
    cmds = [Command("insert", object=darth(vader), out_identifier="person1"), Command("fire-all-rules")]
    body = batch_body(fmt, "kbase1.stateful", cmds, types_of(vader, "stateful-session"))
    post(vader, "stateful-session", fmt, body, 200)
    assert vader.delete("/containers/stateful-session").status_code == 200
    sr, _ = post(vader, "stateful-session", fmt, body, 500)
    assert sr.type == "FAILURE" and "Container 'stateful-session' is not instantiated" in sr.msg


SINGLE_INSERT = {
    "json": '{"object":{"%s":{"firstname":"Darth","surname":""}},"out-identifier":"person1","return-object":true,'
            '"entry-point":"DEFAULT","disconnected":false}' % PERSON,
    "jaxb": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<insert-object-command out-identifier="person1" '
            'return-object="true" entry-point="DEFAULT" disconnected="false"><object xsi:type="person" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><firstname>Darth</firstname><surname></surname>'
            '</object></insert-object-command>',
    "xstream": '<insert out-identifier="person1" return-object="true" entry-point="DEFAULT"><%s><firstname>Darth'
               '</firstname><surname></surname></%s></insert>' % (PERSON, PERSON),
}
SINGLE = "org.drools.core.command.runtime.rule.InsertObjectCommand"


@pytest.mark.parametrize("fmt", ["json", "xstream"])
def test_single_command_class_type(vader, fmt):
    sr, _ = post(vader, "stateful-session", fmt, SINGLE_INSERT[fmt], 200, headers={"X-KIE-ClassType": SINGLE})
    assert sr.result.results["person1"].firstname == "Darth" and "person1" in sr.result.facts
    # the default session got it (no lookup in a single command)
    r = run(vader, fmt, [Command("get-objects", out_identifier="o")], lookup=None)
    assert len(r.results["o"]) == 1


def test_single_command_class_type_jaxb(vader):
    sr, _ = post(vader, "stateful-session", "jaxb", SINGLE_INSERT["jaxb"], 200, headers={"X-KIE-ClassType": SINGLE})
    assert sr.result.results["person1"].firstname == "Darth"


@pytest.mark.parametrize("fmt", FORMATS)
def test_insert_dispose_delete(vader, fmt):
    r = run(vader, fmt, [Command("insert", object=darth(vader), out_identifier="person1")], lookup=None)
    h = r.facts["person1"]
    run(vader, fmt, [Command("dispose")], lookup=None)
    run(vader, fmt, [Command("delete", handle=h)], lookup=None)


# -- StatelessSessionUsageIntegrationTest -----------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_stateless_call_fires_at_the_end(vader, fmt):
    r = run(vader, fmt, [Command("insert", object=darth(vader), out_identifier="person1")], lookup="kbase1.stateless")
    assert r.results["person1"].surname == "Vader"
    r = run(vader, fmt, [Command("get-objects", out_identifier="o")], lookup="kbase1.stateless")
    assert r.results["o"] == []               # a fresh session each time


@pytest.mark.parametrize("fmt", FORMATS)
def test_stateless_default_session(client, fmt):
    km = ('<kmodule xmlns="http://www.drools.org/xsd/kmodule"><kbase name="kbase1" packages="org.kie.server.testing">'
          '<ksession name="kbase1.stateless" type="stateless" default="true"/></kbase></kmodule>')
    deploy(client, "stateless-kjar1", {"org/kie/server/testing/rules.drl": VADER_DRL}, km)
    p = bean(client, "stateless-kjar1", PERSON, firstname="Darth", surname="")
    r = run(client, fmt, [Command("insert", object=p, out_identifier="person1")], lookup="kbase1.stateless",
            cid="stateless-kjar1")
    assert r.results["person1"].surname == "Vader"


@pytest.mark.parametrize("fmt", FORMATS)
def test_stateless_default_session_without_lookup(client, fmt):
    km = ('<kmodule xmlns="http://www.drools.org/xsd/kmodule"><kbase name="kbase1" packages="org.kie.server.testing">'
          '<ksession name="kbase1.stateless" type="stateless" default="true"/></kbase></kmodule>')
    deploy(client, "stateless-kjar1", {"org/kie/server/testing/rules.drl": VADER_DRL}, km)
    p = bean(client, "stateless-kjar1", PERSON, firstname="Darth", surname="")
    r = run(client, fmt, [Command("insert", object=p, out_identifier="person1")], lookup=None, cid="stateless-kjar1")
    assert r.results["person1"].surname == "Vader"


@pytest.mark.parametrize("fmt", FORMATS)
def test_stateless_query(vader, fmt):
    r = run(vader, fmt, [Command("insert", object=darth(vader), out_identifier="person1"),
                         Command("query", query_name="get people", arguments=[], out_identifier="personQueryResult")],
            lookup="kbase1.stateless")
    q = r.results["personQueryResult"]
    assert len(q) == 1 and all(row["person"][0] is not None for row in q.rows)


@pytest.mark.parametrize("fmt", FORMATS)
def test_stateless_explicit_fire_all_rules_is_not_repeated(vader, fmt):
    r = run(vader, fmt, [Command("insert", object=darth(vader), out_identifier="person1"),
                         Command("fire-all-rules", max=0, out_identifier="fired"),
                         Command("insert", object=darth(vader), out_identifier="person2")],
            lookup="kbase1.stateless")
    assert r.results["fired"] == 0
    assert r.results["person1"].surname == "" and r.results["person2"].surname == ""


# -- DisposeCommandIntegrationTest ------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_dispose_one_of_two_sessions(vader, fmt):
    p = darth(vader)
    run(vader, fmt, [Command("insert", object=p, out_identifier="person1"), Command("fire-all-rules")])
    run(vader, fmt, [Command("insert", object=p, out_identifier="person1"), Command("fire-all-rules")],
        lookup="kbase1.stateful2")
    run(vader, fmt, [Command("dispose")], lookup="kbase1.stateful2")
    assert len(run(vader, fmt, [Command("get-objects", out_identifier="myobjects")]).results["myobjects"]) == 1
    assert run(vader, fmt, [Command("get-objects", out_identifier="myobjects")],
               lookup="kbase1.stateful2").results["myobjects"] == []


# -- AgendaGroup / Agenda / ActivationGroup integration tests (stateless ksession1) ------------------

@pytest.fixture
def groups(client):
    deploy(client, "agenda", {"org/kie/server/testing/groups/rules.drl": GROUPS_DRL}, STATELESS_ONLY)
    deploy(client, "activation", {"org/kie/server/testing/activation/rules.drl": ACTIVATION_DRL}, STATELESS_ONLY)
    return client


def _list(client, cid, fmt, middle):
    cmds = [Command("set-global", identifier="list", object=[], out_identifier="output-list")] + middle + \
        [Command("fire-all-rules"), Command("get-global", identifier="list", out_identifier="output-list")]
    return run(client, fmt, cmds, lookup="ksession1", cid=cid).results["output-list"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_agenda_group_focus(groups, fmt):
    assert _list(groups, "agenda", fmt, [Command("set-focus", group="first-agenda")]) == \
        ["Rule in first agenda group executed", "Rule without agenda group executed"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_clear_agenda_group(groups, fmt):
    assert _list(groups, "agenda", fmt, [Command("set-focus", group="first-agenda"),
                                         Command("clear-agenda-group", group="first-agenda")]) == \
        ["Rule without agenda group executed"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_clear_agenda(groups, fmt):
    assert _list(groups, "agenda", fmt, [Command("clear-agenda")]) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_activation_group(groups, fmt):
    assert _list(groups, "activation", fmt, []) == \
        ["First rule in first activation group executed", "Rule without activation group executed"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_clear_activation_group(groups, fmt):
    assert _list(groups, "activation", fmt, [Command("clear-activation-group", group="first-group")]) == \
        ["Rule without activation group executed"]


# -- KieServerDroolsIntegrationTest ---------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_lookup_error_and_empty_batch(vader, fmt):
    sr = run(vader, fmt, [], lookup="xyz", status=500)
    assert sr.msg == "Bad request, no commands to be executed - either wrong format or no data"
    sr = run(vader, fmt, [Command("fire-all-rules")], lookup="xyz", status=500)
    assert sr.type == "FAILURE" and "xyz" in sr.msg


SCRIPT = {
    "json": '{"commands":[{"call-container":{"container-id":"stateful-session","payload":%s}}]}',
    "jaxb": '<script><call-container container-id="stateful-session"><payload>%s</payload></call-container></script>',
    "xstream": '<script><commands><call-container><containerId>stateful-session</containerId><payload>%s</payload>'
               '</call-container></commands></script>',
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_command_script_call_container(vader, fmt):
    """call-container: the payload is a batch in the script's format; the answer's result is the
    ExecutionResults already marshalled to a string in that format."""
    import json
    from xml.sax.saxutils import escape

    payload = batch_body(fmt, "kbase1.stateful", [Command("insert", object=darth(vader), out_identifier="person1"),
                                                  Command("fire-all-rules", out_identifier="fired")],
                         types_of(vader, "stateful-session"))
    body = SCRIPT[fmt] % (json.dumps(payload) if fmt == "json" else escape(payload))
    r = vader.post("/config", body=body, fmt=fmt)
    assert r.status_code == 200, r.text
    out = unmarshal(r.text, FMT[fmt], ServiceResponsesList)
    (sr,) = out.responses
    assert sr.type == "SUCCESS" and isinstance(sr.result, str), r.text
    from marshallers.types.batch import ExecutionResults
    res = unmarshal(sr.result, FMT[fmt], ExecutionResults, types=types_of(vader, "stateful-session"))
    assert res.results["fired"] == 1 and res.results["person1"].surname == "Vader"
