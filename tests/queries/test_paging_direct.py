"""Paging and sorting on rows inserted straight into the jBPM tables (25 instances with controlled start
dates, versions and initiators), plus unit tests of the SQL building blocks (sort mapping, correlation
key external form, search operators, task wildcards).  SQLite and PostgreSQL."""
import datetime as dt

import pytest

from kieserver.services import queries as Q
from marshallers.types import process as P
from marshallers.types.queries import CountDefinition, SearchQueryParam
from tests.bpm.conftest import make_bpm_server
from tests.conftest import drop_pg_schema, pg_schema_url

from .conftest import EXTENSIONS, FMT, FORMATS


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def rows(request, tmp_path_factory):
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path_factory.mktemp('d')}/kie.db", None
    else:
        url, schema = pg_schema_url("t_qd")
    client = make_bpm_server(url, tmp_path_factory.mktemp("h"), extensions=EXTENSIONS)
    from kieserver.store.db import database
    from kieserver.store.jbpm import ProcessInstanceLog, VariableInstanceLog
    base = dt.datetime(2024, 5, 1, 12, 0, 0)
    pil, vil = [], []
    for i in range(1, 26):
        # start dates run backwards, versions cycle, initiators alternate
        pil.append({"processinstanceid": 1000 + i, "processid": "bulk.p", "processname": f"Bulk {i % 3}",
                    "processversion": f"1.{i % 4}", "status": 1 if i <= 20 else 2, "externalid": "bulk",
                    "start_date": base - dt.timedelta(minutes=i), "user_identity": "ann" if i % 2 else "bob",
                    "correlationkey": f"bulk-{i:02d}", "processtype": 1, "parentprocessinstanceid": -1})
        vil.append({"processinstanceid": 1000 + i, "processid": "bulk.p", "variableid": "n",
                    "variableinstanceid": "n", "value": str(i), "oldvalue": "", "log_date": base,
                    "externalid": "bulk"})
    with database.atomic():
        ProcessInstanceLog.insert_many(pil).execute()
        VariableInstanceLog.insert_many(vil).execute()
    yield client
    client.close()
    if schema:
        drop_pg_schema(schema)


def ids(client, path, fmt="json", **params):
    r = client.get(path, fmt=fmt, params=params)
    assert r.status_code == 200, r.text
    from marshallers import unmarshal
    return [i.id - 1000 for i in unmarshal(r.text, FMT[fmt], P.ProcessInstanceList).items]


C = "/queries/containers/bulk/process/instances"


@pytest.mark.parametrize("fmt", FORMATS)
def test_pages_cover_every_row_once(rows, fmt):
    seen = []
    for page in range(3):
        seen += ids(rows, C, fmt, page=str(page), pageSize="7")
    assert seen == list(range(1, 21))
    assert ids(rows, C, fmt, page="3", pageSize="7") == []


def test_sort_start_date_version_initiator(rows):
    assert ids(rows, C, sort="StartDate", pageSize="3") == [20, 19, 18]
    assert ids(rows, C, sort="StartDate", sortOrder="false", pageSize="3") == [1, 2, 3]
    assert ids(rows, C, sort="ProcessVersion", pageSize="6") == [4, 8, 12, 16, 20, 1]
    assert ids(rows, C, sort="Initiator", sortOrder="false", pageSize="3") == [20, 18, 16]
    # sortOrder is a Boolean.valueOf: anything but "true" is descending
    assert ids(rows, C, sortOrder="no", pageSize="2") == [20, 19]
    assert ids(rows, C, status=["1", "2"], sort="State", sortOrder="false", pageSize="2") == [25, 24]
    assert ids(rows, C, status=["2"], sort="log.correlationKey", sortOrder="false") == [25, 24, 23, 22, 21]


def test_count_and_variable_paging(rows):
    r = rows.get(C + "/count", fmt="json", params={"status": ["1", "2"]})
    from marshallers import unmarshal
    assert unmarshal(r.text, FMT["json"], CountDefinition).count == 25
    assert ids(rows, "/queries/processes/instances/variables/n", varValue="1%", pageSize="20") == \
        [1, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]
    assert ids(rows, "/queries/processes/instances/variables/n", varValue="2_", status="2") == [21, 22, 23, 24, 25]
    assert ids(rows, "/queries/processes/instances/correlation/bulk-2", pageSize="3", sortOrder="false") == \
        [25, 24, 23]


# ---------------------------------------------------------------------------------------------
# building blocks

def test_correlation_external_form():
    assert Q.correlation_external_form("a:b") == "a:b"
    assert Q.correlation_external_form("a:b::") == "a:b"
    assert Q.correlation_external_form("key") == "key"


def test_process_instance_sort_mapping():
    assert Q._pi_order(None, True) == " ORDER BY processinstanceid ASC"
    assert Q._pi_order("ProcessName", False) == " ORDER BY processname DESC, processinstanceid DESC"
    assert Q._pi_order("Initiator", True).startswith(" ORDER BY user_identity ASC")
    assert Q._pi_order("log.start", True).startswith(" ORDER BY start_date ASC")
    with pytest.raises(Q.QueryError):
        Q._pi_order("1; drop table task", True)
    with pytest.raises(Q.QueryError):
        Q._pi_order("initiator_x", True)


def test_search_operators_bind_values():
    assert Q._expr("IN", "c", [1, 2]) == ("c IN (?, ?)", [1, 2])
    assert Q._expr("NOT_IN", "c", []) == ("1 = 1", [])
    assert Q._expr("BETWEEN", "c", [1, 5]) == ("c >= ? AND c <= ?", [1, 5])
    assert Q._expr("LIKE_TO", "c", ["a%"]) == ("c LIKE ?", ["a%"])
    assert Q._expr("IS_NULL", "c", []) == ("c IS NULL", [])
    with pytest.raises(Q.QueryError):
        Q._expr("BETWEEN", "c", [1])
    with pytest.raises(Q.QueryError):
        Q._expr("DROP", "c", [1])
    assert Q._column("PROCESS_INSTANCE_ID") == "pil.processinstanceid"
    assert Q._column("TASK_OWNER", history=True) == "task.actualowner"
    assert Q._column("pil.processId") == "pil.processid"
    with pytest.raises(Q.QueryError):
        Q._column("pil.x; delete from task")
    text, args, n = Q._variable_block([SearchQueryParam(column="a", operator="EQUALS_TO", value=[1]),
                                       SearchQueryParam(column="b", operator="LIKE_TO", value=["x%"])],
                                      "name", "value")
    assert (text, args, n) == ("(name = ? AND value = ?) OR (name = ? AND value LIKE ?)", ["a", "1", "b", "x%"], 2)


def test_task_wildcards():
    assert Q.RuntimeQueries._wildcard("abc") == ("= ?", "abc")
    assert Q.RuntimeQueries._wildcard("a*c?") == ("LIKE ? ESCAPE '\\'", "a%c_")
    assert Q.RuntimeQueries._wildcard("5%*") == ("LIKE ? ESCAPE '\\'", "5\\%%")
