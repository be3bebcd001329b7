"""A query definition can never change data: the expression must be one SELECT/WITH statement
(checked at registration and at run time, 400), and the database itself runs it read-only
(PostgreSQL: SET TRANSACTION READ ONLY; SQLite: PRAGMA query_only)."""
import pytest

from marshallers.types.process import ProcessInstanceList
from tests.querydefs.helpers import Q, data, insert_instances, qdef, register
from kieserver.services.querydefs import NotReadOnly, _run, check_read_only

WRITES = [
    "delete from ProcessInstanceLog",
    "DELETE FROM processinstancelog where 1=1",
    "select 1; drop table ProcessInstanceLog",
    "select * from ProcessInstanceLog; delete from ProcessInstanceLog",
    "select * from ProcessInstanceLog ; drop table processinstancelog ;",
    "update ProcessInstanceLog set status = 3",
    "insert into ProcessInstanceLog (processinstanceid) values (99)",
    "drop table ProcessInstanceLog",
    "/* harmless */ delete from ProcessInstanceLog",
    "-- comment\ntruncate ProcessInstanceLog",
    "with x as (delete from processinstancelog returning *) select * from x",
    "select * into stolen from processinstancelog",
    "select * from processinstancelog for update",
    "pragma query_only = 0",
    "attach database '/tmp/x.db' as x",
    "create table evil as select * from processinstancelog",
    "select pg_sleep(10)",
    "select set_config('transaction_read_only', 'off', true)",
    "select nextval('processinstancelog_id_seq')",
    "vacuum",
]


def _count():
    from kieserver.store.jbpm import ProcessInstanceLog
    return ProcessInstanceLog.select().count()


@pytest.mark.parametrize("fmt", ["json", "jaxb", "xstream"])
def test_writes_are_refused_at_registration(qserver, fmt):
    insert_instances()
    for i, sql in enumerate(WRITES):
        for method in ("POST", "PUT"):
            r = register(qserver, qdef(f"w{i}", sql), fmt, status=400, method=method)
            assert r.text.startswith(f'"Query definition "w{i}" is refused: '), (sql, r.text)
            assert qserver.get(f"{Q}/w{i}", fmt=fmt).status_code == 404
    assert _count() == 6


def test_literals_and_comments_do_not_count(qserver):
    insert_instances()
    ok = ["select * from ProcessInstanceLog where processName <> 'delete; drop table x'",
          "select * from ProcessInstanceLog -- delete from x;\n",
          "select * from ProcessInstanceLog /* ; update */",
          "(select * from ProcessInstanceLog)",
          "with x as (select * from ProcessInstanceLog) select * from x",
          "select * from ProcessInstanceLog;"]
    for i, sql in enumerate(ok):
        register(qserver, qdef(f"ok{i}", sql))
        got = data(qserver, f"ok{i}", "ProcessInstances", ProcessInstanceList)
        assert len(got.items) == 6, sql


def test_a_stored_write_is_refused_at_run_time(qserver):
    """Even a definition that reached the store some other way never runs a write."""
    insert_instances()
    from kieserver.store.querydefs import QueryDefinitionStore
    QueryDefinitionStore.create(qname="sneaky", qsource="java:jboss/datasources/ExampleDS",
                                qexpression="delete from ProcessInstanceLog", qtarget="CUSTOM")
    r = data(qserver, "sneaky", "RawList", None, status=400)
    assert "refused" in r.text
    r = qserver.post(f"{Q}/sneaky/filtered-data", fmt="json", params={"mapper": "RawList"}, body="{}")
    assert r.status_code == 400 and "refused" in r.text
    assert _count() == 6


def test_the_database_enforces_read_only(qserver):
    """Below the lexical check: statements run by the query runner cannot write."""
    insert_instances()
    for sql in ("delete from processinstancelog", "update processinstancelog set status = 9",
                "insert into processinstancelog (processinstanceid, status) values (77, 1)"):
        with pytest.raises(NotReadOnly):
            _run(sql)
    assert _count() == 6
    # and the connection is writable again afterwards
    from kieserver.store.jbpm import ProcessInstanceLog
    ProcessInstanceLog.create(processinstanceid=100, status=1)
    assert _count() == 7


def test_check_read_only_unit():
    assert check_read_only("select 1;  ") == "select 1"
    assert check_read_only("  WITH a AS (select 1) select * from a") == "WITH a AS (select 1) select * from a"
    for bad in ("", "   ", "select 'unterminated", "select /* open", "explain select 1", "values (1)",
                "select 1; select 2"):
        with pytest.raises(NotReadOnly):
            check_read_only(bad)
