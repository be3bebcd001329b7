"""filtered-data over direct inserts: every operator, AND/OR groups, ordering, paging, column
mapping, in JSON, JAXB and XSTREAM, on SQLite and PostgreSQL."""
from datetime import timedelta

import pytest

from marshallers.types.process import ProcessInstanceList
from tests.querydefs.helpers import (FORMATS, T0, data, filtered, ids, insert_instances, p, qdef, register,
                                     spec)

ALL = "select * from ProcessInstanceLog"


@pytest.fixture
def loaded(qserver):
    insert_instances()
    register(qserver, qdef("all", ALL))
    return qserver


CASES = [
    (p("processInstanceId", "EQUALS_TO", 3), [3]),
    (p("processinstanceid", "EQUALS_TO", 3, 4), [3, 4]),
    (p("PROCESSINSTANCEID", "NOT_EQUALS_TO", 3), [1, 2, 4, 5, 6]),
    (p("processInstanceId", "IN", 1, 5, 9), [1, 5]),
    (p("processInstanceId", "NOT_IN", 1, 5), [2, 3, 4, 6]),
    (p("processId", "LIKE_TO", "p.%"), [1, 2, 3, 4, 5, 6]),
    (p("processName", "LIKE_TO", "%A"), [1, 3, 5]),
    (p("processName", "LIKE_TO", "proc%"), []),                 # case-sensitive by default, as dashbuilder
    (p("processName", "LIKE_TO", "proc b", False), [2, 4, 6]),  # caseSensitive=false
    (p("processInstanceId", "BETWEEN", 2, 4), [2, 3, 4]),
    (p("processInstanceId", "GREATER_THAN", 4), [5, 6]),
    (p("processInstanceId", "GREATER_OR_EQUALS_TO", 4), [4, 5, 6]),
    (p("processInstanceId", "LOWER_THAN", 3), [1, 2]),
    (p("processInstanceId", "LOWER_OR_EQUALS_TO", 3), [1, 2, 3]),
    (p("user_identity", "IS_NULL"), [2, 5]),
    (p("correlationKey", "NOT_NULL"), [1, 2, 3, 4, 5]),
    (p("status", "EQUALS_TO", 2), [1, 4]),
    (p(None, "OR", p("processInstanceId", "EQUALS_TO", 1), p("processInstanceId", "EQUALS_TO", 6)), [1, 6]),
    (p(None, "AND", p("externalId", "EQUALS_TO", "c1"), p("processId", "EQUALS_TO", "p.b")), [2, 4]),
    (p(None, "OR", p(None, "AND", p("status", "EQUALS_TO", 2), p("externalId", "EQUALS_TO", "c2")),
       p("user_identity", "EQUALS_TO", "mary")), [1, 4]),
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_operator(loaded, fmt):
    for param, expected in CASES:
        got = filtered(loaded, "all", "ProcessInstances", spec(param, order_by="processInstanceId", asc=True),
                       ProcessInstanceList, fmt=fmt)
        assert ids(got) == expected, (param, fmt)


def test_dates_compare_as_dates(loaded):
    for fmt in FORMATS:
        s = spec(p("start_date", "GREATER_THAN", T0 + timedelta(hours=4)), order_by="processInstanceId", asc=True)
        assert ids(filtered(loaded, "all", "ProcessInstances", s, ProcessInstanceList, fmt=fmt)) == [5, 6]
        s = spec(p("start_date", "BETWEEN", T0 + timedelta(hours=2), T0 + timedelta(hours=3)))
        assert sorted(ids(filtered(loaded, "all", "ProcessInstances", s, ProcessInstanceList, fmt=fmt))) == [2, 3]


def test_several_params_are_anded_and_order_and_paging(loaded):
    s = spec(p("processInstanceId", "GREATER_THAN", 1), p("externalId", "EQUALS_TO", "c1"),
             order_by="processInstanceId", asc=False)
    assert ids(filtered(loaded, "all", "ProcessInstances", s, ProcessInstanceList)) == [4, 3, 2]
    s = spec(order_by="processInstanceId", asc=False)           # order-asc defaults to false
    got = filtered(loaded, "all", "ProcessInstances", s, ProcessInstanceList, page=1, pageSize=2)
    assert ids(got) == [4, 3]
    s = spec(clause="processId desc, processInstanceId asc")
    assert ids(filtered(loaded, "all", "ProcessInstances", s, ProcessInstanceList)) == [2, 4, 6, 1, 3, 5]
    # no spec at all: every row
    assert sorted(ids(filtered(loaded, "all", "ProcessInstances", None, ProcessInstanceList))) == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("fmt", FORMATS)
def test_data_paging_and_order_by(loaded, fmt):
    assert ids(data(loaded, "all", "ProcessInstances", ProcessInstanceList, fmt=fmt, orderBy="processInstanceId",
                    page=0, pageSize=4)) == [1, 2, 3, 4]
    assert ids(data(loaded, "all", "ProcessInstances", ProcessInstanceList, fmt=fmt, orderBy="processInstanceId",
                    page=1, pageSize=4)) == [5, 6]
    # a comma list is an order-by clause
    assert ids(data(loaded, "all", "ProcessInstances", ProcessInstanceList, fmt=fmt,
                    orderBy="processId desc, processInstanceId desc")) == [6, 4, 2, 5, 3, 1]
    # defaults page=0, pageSize=10
    assert len(data(loaded, "all", "ProcessInstances", ProcessInstanceList, fmt=fmt).items) == 6


def test_mapped_fields(loaded):
    [pi] = filtered(loaded, "all", "ProcessInstances", spec(p("processInstanceId", "EQUALS_TO", 4)),
                    ProcessInstanceList).items
    assert (pi.process_id, pi.process_name, pi.process_version, pi.state, pi.container_id, pi.initiator,
            pi.description, pi.correlation_key, int(pi.parent_id)) == \
        ("p.b", "Proc B", "1.0", 2, "c1", "mary", "Instance 4", "4", -1)
    assert pi.date == T0 + timedelta(hours=4)


BAD = [
    (p("nosuchcolumn", "EQUALS_TO", 1), "Column 'nosuchcolumn' not found"),
    (p("processInstanceId", "WHATEVER", 1), "Unknown filter operator 'WHATEVER'"),
    (p("processInstanceId", "BETWEEN", 1), "BETWEEN"),
    (p("processInstanceId", "GREATER_THAN"), "GREATER_THAN"),
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_filters_are_400(loaded, fmt):
    for param, text in BAD:
        r = filtered(loaded, "all", "ProcessInstances", spec(param), None, fmt=fmt, status=400)
        assert r.text.startswith('"The request could not be understood by the server due to malformed syntax: ')
        assert text in r.text
    r = filtered(loaded, "all", "ProcessInstances", spec(order_by="nosuch"), None, fmt=fmt, status=400)
    assert "Column 'nosuch' not found" in r.text
    r = filtered(loaded, "all", "NoSuchMapper", spec(), None, fmt=fmt, status=400)
    assert r.text == ('"The request could not be understood by the server due to malformed syntax: '
                      'No mapper found with name NoSuchMapper"')


def test_unknown_query_and_mapper_on_data_are_500(loaded):
    r = data(loaded, "nope", "ProcessInstances", None, status=500)
    assert r.text == '"Unexpected error during processing: Query nope not found\n"'
    r = data(loaded, "all", "Nope", None, status=500)
    assert r.text == '"Unexpected error during processing: No mapper found with name Nope\n"'
    r = filtered(loaded, "nope", "ProcessInstances", spec(), None, status=500)
    assert "Query nope not found" in r.text


def test_filter_values_are_bound_not_pasted(loaded):
    from kieserver.store.jbpm import ProcessInstanceLog
    evil = "x'; delete from processinstancelog; --"
    got = filtered(loaded, "all", "ProcessInstances", spec(p("processId", "EQUALS_TO", evil)), ProcessInstanceList)
    assert got.items == []
    got = filtered(loaded, "all", "ProcessInstances", spec(p("processId", "LIKE_TO", "%' or '1'='1")),
                   ProcessInstanceList)
    assert got.items == []
    # a column name is matched against the query's columns, never pasted
    r = filtered(loaded, "all", "ProcessInstances", spec(p('status" = 1 or "1', "EQUALS_TO", 1)), None, status=400)
    assert "not found" in r.text
    assert ProcessInstanceLog.select().count() == 6
