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


def test_container_scoped_filtered_data(loaded):
    # unknown container: KIE's MarshallerHelper IllegalArgumentException -> 400
    r = filtered(loaded, "all", "ProcessInstances", spec(), None, container="nope", status=400)
    assert r.text.startswith('"The request could not be understood by the server due to malformed syntax: '
                             'No container found for id nope')


def test_bad_paging_and_missing_mapper(loaded):
    r = loaded.get("/queries/definitions/all/data", fmt="json", params={"mapper": "RawList", "page": "x"})
    assert r.status_code == 400 and 'For input string: "x"' in r.text
    r = loaded.get("/queries/definitions/all/data", fmt="json")
    assert r.status_code == 500 and r.text == '"Unexpected error during processing: No mapper found with name null\n"'
    # the mapper is resolved before the query, as in KIE
    r = loaded.get("/queries/definitions/nope/data", fmt="json", params={"mapper": "Nope"})
    assert "No mapper found with name Nope" in r.text


@pytest.mark.parametrize("fmt", FORMATS)
def test_task_mappers_on_direct_rows(qserver, fmt):
    """UserTasks, UserTasksWithVariables, UserTasksWithCustomVariables and TaskSummaries read the
    AuditTaskImpl / TaskVariableImpl columns."""
    from kieserver.store.tasks import AuditTask, TaskVariable
    from marshallers.types.tasks import TaskInstanceList, TaskSummaryList
    naive = T0.replace(tzinfo=None)
    for i in (1, 2):
        AuditTask.create(taskid=i, name=f"Task {i}", status="Ready" if i == 1 else "Reserved", priority=i,
                         actualowner=None if i == 1 else "john", createdby="admin", createdon=naive,
                         activationtime=naive, deploymentid="c1", processid="p.a", processinstanceid=10 + i,
                         workitemid=20 + i, description=f"d{i}", duedate=naive + timedelta(days=1))
        TaskVariable.create(taskid=i, name="in1", value=f"v{i}", type=0, processinstanceid=10 + i)
        TaskVariable.create(taskid=i, name="in2", value=f"w{i}", type=0, processinstanceid=10 + i)
    register(qserver, qdef("tasks", "select * from AuditTaskImpl"), fmt)
    register(qserver, qdef("taskvars", "select t.*, v.name as tvname, v.value as tvvalue from AuditTaskImpl t "
                                       "inner join TaskVariableImpl v on v.taskId = t.taskId"), fmt)
    got = data(qserver, "tasks", "UserTasks", TaskInstanceList, fmt=fmt, orderBy="taskId")
    assert [(int(t.id), t.status, t.priority, t.actual_owner, int(t.work_item_id), t.container_id)
            for t in got.items] == [(1, "Ready", 1, None, 21, "c1"), (2, "Reserved", 2, "john", 22, "c1")]
    assert got.items[0].expiration_date == T0 + timedelta(days=1) and got.items[0].created_on == T0
    got = data(qserver, "taskvars", "UserTasksWithVariables", TaskInstanceList, fmt=fmt, orderBy="taskId")
    assert [t.input_data for t in got.items] == [{"in1": "v1", "in2": "w1"}, {"in1": "v2", "in2": "w2"}]
    got = filtered(qserver, "taskvars", "UserTasksWithCustomVariables",
                   spec(p("tvname", "EQUALS_TO", "in2"), mapping={"tvvalue": "String", "processInstanceId": "Long"}),
                   TaskInstanceList, fmt=fmt, order_by=None)
    assert sorted((int(t.id), t.input_data["tvvalue"], int(t.input_data["processInstanceId"])) for t in got.items) \
        == [(1, "w1", 11), (2, "w2", 12)]
    got = data(qserver, "tasks", "TaskSummaries", TaskSummaryList, fmt=fmt, orderBy="taskId")
    assert [(int(t.id), t.name, t.status, int(t.process_instance_id), int(t.parent_id)) for t in got.items] == \
        [(1, "Task 1", "Ready", 11, -1), (2, "Task 2", "Reserved", 12, -1)]


def test_values_follow_the_column_kind(loaded):
    """A number against a text column, an ISO text against a date column, LIKE on a number column."""
    got = filtered(loaded, "all", "ProcessInstances", spec(p("correlationKey", "EQUALS_TO", 3)), ProcessInstanceList)
    assert ids(got) == [3]
    got = filtered(loaded, "all", "ProcessInstances", spec(p("start_date", "GREATER_OR_EQUALS_TO",
                                                             "2024-01-01T15:00:00Z"), order_by="processInstanceId",
                                                           asc=True), ProcessInstanceList)
    assert ids(got) == [5, 6]
    got = filtered(loaded, "all", "ProcessInstances", spec(p("processInstanceId", "LIKE_TO", "%5")),
                   ProcessInstanceList)
    assert ids(got) == [5]
