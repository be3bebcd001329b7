"""Latency of advanced queries over 100,000 process instances (not a test: run it by hand).

    PYTHONPATH=$PWD python -m tests.querydefs.bench_querydefs [sqlite|postgresql] [instances]

Loads ProcessInstanceLog, VariableInstanceLog (2 variables per instance), AuditTaskImpl and
PeopleAssignments_PotOwners rows directly, registers query definitions over HTTP, and prints the
median latency of filtered-data / data calls through the falcon test client."""
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta

from tests.querydefs.conftest import make_query_server
from tests.conftest import basic, drop_pg_schema, pg_schema_url

DS = "java:jboss/datasources/ExampleDS"


def load(n):
    from kieserver.store import db
    from kieserver.store.jbpm import ProcessInstanceLog, VariableInstanceLog
    from kieserver.store.tasks import AuditTask, PotOwner
    t0 = datetime(2024, 1, 1)
    batch = 2000
    with db.database.atomic():
        for start in range(1, n + 1, batch):
            ids = range(start, min(n + 1, start + batch))
            ProcessInstanceLog.insert_many([dict(
                processinstanceid=i, processid=f"proc.{i % 20}", processname=f"Proc {i % 20}", processversion="1.0",
                status=1 if i % 4 else 2, externalid=f"c{i % 5}", user_identity=f"user{i % 50}",
                start_date=t0 + timedelta(seconds=i), correlationkey=str(i), parentprocessinstanceid=-1)
                for i in ids]).execute()
            VariableInstanceLog.insert_many(
                [dict(processinstanceid=i, processid=f"proc.{i % 20}", variableid="customer", value=f"cust{i % 1000}",
                      variableinstanceid="customer", log_date=t0) for i in ids] +
                [dict(processinstanceid=i, processid=f"proc.{i % 20}", variableid="amount", value=str(i % 997),
                      variableinstanceid="amount", log_date=t0) for i in ids]).execute()
            AuditTask.insert_many([dict(
                taskid=i, name=f"Task {i % 7}", status="Ready" if i % 3 else "Reserved", priority=i % 10,
                actualowner=None if i % 3 else f"user{i % 50}", createdby="admin", createdon=t0, activationtime=t0,
                deploymentid=f"c{i % 5}", processid=f"proc.{i % 20}", processinstanceid=i, workitemid=i)
                for i in ids]).execute()
            PotOwner.insert_many([dict(task_id=i, entity_id=f"group{i % 10}") for i in ids]).execute()


QUERIES = {
    "instances": ("select * from ProcessInstanceLog", "CUSTOM"),
    "withVars": ("select pil.*, v.variableId, v.value from ProcessInstanceLog pil inner join VariableInstanceLog v "
                 "on v.processInstanceId = pil.processInstanceId", "CUSTOM"),
    "poTasks": ("select ti.taskId, ti.activationTime, ti.actualOwner, ti.createdBy, ti.createdOn, ti.deploymentId, "
                "ti.description, ti.dueDate, ti.name, ti.parentId, ti.priority, ti.processId, ti.processInstanceId, "
                "ti.processSessionId, ti.status, ti.workItemId, po.entity_id as id, eo.entity_id from AuditTaskImpl ti "
                "left join PeopleAssignments_PotOwners po on ti.taskId = po.task_id left join "
                "PeopleAssignments_ExclOwners eo on ti.taskId = eo.task_id", "PO_TASK"),
}

CALLS = [
    ("filtered custom query: processId = proc.7 and status IN (1), newest first, page 0/10",
     "instances", "ProcessInstances",
     {"order-by": "processInstanceId", "order-asc": False, "query-params": [
         {"cond-column": "processId", "cond-operator": "EQUALS_TO", "cond-values": ["proc.7"]},
         {"cond-column": "status", "cond-operator": "IN", "cond-values": [1]}]}),
    ("instances by variable: variableId = customer and value = cust42 (ProcessInstancesWithVariables)",
     "withVars", "ProcessInstancesWithVariables",
     {"query-params": [{"cond-column": "variableId", "cond-operator": "EQUALS_TO", "cond-values": ["customer"]},
                       {"cond-column": "value", "cond-operator": "EQUALS_TO", "cond-values": ["cust42"]}]}),
    ("PO_TASK page for user7 in group3 (one row per task), page 0/10 by taskId",
     "poTasks", "UserTasks", {"order-by": "taskId", "order-asc": True}),
    ("range + LIKE: processInstanceId BETWEEN 50000 AND 50100 and user_identity LIKE user1%",
     "instances", "RawList",
     {"query-params": [{"cond-column": "processInstanceId", "cond-operator": "BETWEEN", "cond-values": [50000, 50100]},
                       {"cond-column": "user_identity", "cond-operator": "LIKE_TO", "cond-values": ["user1%"]}]}),
]


def main():
    kind = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    home = tempfile.mkdtemp()
    schema = None
    if kind == "sqlite":
        url = f"sqlite:///{home}/bench.db"
    else:
        url, schema = pg_schema_url("bench_qd")
    from tests.querydefs.conftest import USERS
    users = dict(USERS, user7={"password": "plain$user7", "roles": ["kie-server", "group3"]})
    c = make_query_server(url, home, users=users)
    try:
        t = time.perf_counter()
        load(n)
        from kieserver.store import db
        db.database.execute_sql("ANALYZE")
        print(f"{kind}: loaded {n} instances in {time.perf_counter() - t:.1f} s")
        for name, (sql, target) in QUERIES.items():
            r = c.put(f"/queries/definitions/{name}", fmt="json",
                      body=json.dumps({"query-source": DS, "query-expression": sql, "query-target": target}))
            assert r.status_code == 201, r.text
        user = basic("user7", "user7")
        for label, q, mapper, spec in CALLS:
            times = []
            for _ in range(7):
                t = time.perf_counter()
                r = c.post(f"/queries/definitions/{q}/filtered-data", fmt="json", body=json.dumps(spec),
                           params={"mapper": mapper, "page": 0, "pageSize": 10}, auth=user)
                times.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
            print(f"  {statistics.median(times) * 1000:8.1f} ms  {label}")
    finally:
        c.close()
        if schema:
            drop_pg_schema(schema)


if __name__ == "__main__":
    main()
