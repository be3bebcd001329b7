"""Calling /queries/definitions in JSON, JAXB and XSTREAM and reading the answers back."""
from datetime import datetime, timedelta, timezone

from marshallers import JAXB, JSON, XSTREAM, marshal, unmarshal
from marshallers.types.querydefs import QueryDefinition, QueryFilterSpec, QueryParam

FMTS = {"json": JSON, "jaxb": JAXB, "xstream": XSTREAM}
FORMATS = ("json", "jaxb", "xstream")
DS = "java:jboss/datasources/ExampleDS"
Q = "/queries/definitions"
T0 = datetime(2024, 1, 1, 10, 0, 0, tzinfo=timezone.utc)


def qdef(name, expression, target="CUSTOM", source=DS):
    return QueryDefinition(name=name, source=source, expression=expression, target=target)


def register(client, d, fmt="json", status=201, method="POST"):
    r = client.request(method, f"{Q}/{d.name}", fmt=fmt, body=marshal(d, FMTS[fmt]))
    assert r.status_code == status, (r.status_code, r.text)
    return unmarshal(r.text, FMTS[fmt], QueryDefinition) if status == 201 else r


def data(client, name, mapper, expected, fmt="json", status=200, **params):
    params = {k: v for k, v in params.items() if v is not None}
    r = client.get(f"{Q}/{name}/data", fmt=fmt, params=dict(mapper=mapper, **params))
    assert r.status_code == status, (r.status_code, r.text)
    return unmarshal(r.text, FMTS[fmt], expected) if status == 200 else r


def filtered(client, name, mapper, spec, expected, fmt="json", status=200, container=None, **params):
    params = {k: v for k, v in params.items() if v is not None}
    path = f"{Q}/containers/{container}/query/{name}/filtered-data" if container else f"{Q}/{name}/filtered-data"
    body = marshal(spec, FMTS[fmt]) if spec is not None else None
    r = client.post(path, fmt=fmt, body=body, params=dict(mapper=mapper, **params))
    assert r.status_code == status, (r.status_code, r.text)
    return unmarshal(r.text, FMTS[fmt], expected) if status == 200 else r


def p(column, operator, *values):
    return QueryParam(column=column, operator=operator, value=list(values))


def spec(*params, order_by=None, asc=False, clause=None, mapping=None):
    return QueryFilterSpec(order_by=order_by, ascending=asc, parameters=list(params) or None, order_by_clause=clause,
                           column_mapping=mapping)


def insert_instances(n=6):
    """Rows straight into processinstancelog / variableinstancelog (no engine)."""
    from kieserver.store.jbpm import ProcessInstanceLog, VariableInstanceLog
    naive = T0.replace(tzinfo=None)
    users = ["john", "mary", None]
    for i in range(1, n + 1):
        ProcessInstanceLog.create(
            processinstanceid=i, processid="p.a" if i % 2 else "p.b", processname="Proc A" if i % 2 else "Proc B",
            processversion="1.0", status=(i % 3) + 1, externalid="c1" if i <= 4 else "c2",
            user_identity=users[i % 3], start_date=naive + timedelta(hours=i), correlationkey=None if i == 6 else str(i),
            processinstancedescription=f"Instance {i}", parentprocessinstanceid=-1, processtype=1)
        VariableInstanceLog.create(processinstanceid=i, processid="p.a", variableid="amount", value=str(i * 10),
                                   variableinstanceid="amount", log_date=naive)
        VariableInstanceLog.create(processinstanceid=i, processid="p.a", variableid="name", value=f"n{i}",
                                   variableinstanceid="name", log_date=naive)


def ids(lst):
    return [int(x.id) for x in lst.items]
