"""QueryDataResource: /queries/definitions (advanced query definitions and their data).

Status codes and texts as KIE's QueryDataResource: 201 on register/replace, 409 'Query definition
with name "X" already exists', 404 'Could not find query definition with name "X"', 204 on delete,
400 'The request could not be understood by the server due to malformed syntax: <cause>' for a bad
filter (filtered-data only), 500 'Unexpected error during processing: <cause>' otherwise.  A query
expression that is not a single read-only SELECT is refused with 400 at registration.
"""
from __future__ import annotations

import logging

import falcon
import peewee

import kieserver.store.querydefs  # noqa: F401 - registers the tables
from kieserver.resources.base import BodyError, read_body, send, set_conversation_id, text_error
from kieserver.services.querydefs import (Q_ASCENDING, Q_COLUMN_MAPPING, Q_ORDER_BY, Q_ORDER_BY_CLAUSE, BadRequest,
                                          NotReadOnly, QueryAlreadyRegistered, QueryDefinitionService, QueryError,
                                          QueryNotFound, parse_sort)
from marshallers import MAP
from marshallers.types.querydefs import QueryDefinition, QueryFilterSpec

log = logging.getLogger("kieserver.resources.querydefs")

BAD_REQUEST = "The request could not be understood by the server due to malformed syntax: {0}"
UNEXPECTED = "Unexpected error during processing: {0}\n"
NOT_FOUND = 'Could not find query definition with name "{0}"'
EXISTS = 'Query definition with name "{0}" already exists'


def service(server) -> QueryDefinitionService:
    svc = getattr(server, "query_definitions", None)
    if svc is None:
        svc = QueryDefinitionService(server, server.config.get("queries") or {})
        server.query_definitions = svc
    return svc


def _paging(req):
    out = []
    for name, default in (("page", 0), ("pageSize", 10)):
        v = req.get_param(name)
        try:
            out.append(int(v) if v not in (None, "") else default)
        except ValueError:
            raise _Fail(falcon.HTTP_400, BAD_REQUEST.format(f'For input string: "{v}"')) from None
    return tuple(out)


class _Fail(Exception):
    def __init__(self, status, text):
        super().__init__(text)
        self.status = status
        self.text = text


def _unexpected(resp, e):
    text_error(resp, falcon.HTTP_500, UNEXPECTED.format(e))


def _not_read_only(resp, name, e):
    text_error(resp, falcon.HTTP_400, f"Query definition \"{name}\" is refused: {e}")


class _Base:
    def __init__(self, server):
        self.server = server
        self.svc = service(server)


class QueriesResource(_Base):
    def on_get(self, req, resp):
        try:
            page, size = _paging(req)
        except _Fail as f:
            return text_error(resp, f.status, f.text)
        send(req, resp, self.svc.list(page, size))


class QueryResource(_Base):
    def _read(self, req, name):
        d = read_body(req, QueryDefinition)
        return d

    def _save(self, req, resp, name, replace):
        try:
            d = self._read(req, name)
            fn = self.svc.replace if replace else self.svc.register
            out = fn(name, d.source, d.expression, d.target)
        except QueryAlreadyRegistered:
            return text_error(resp, falcon.HTTP_409, EXISTS.format(name))
        except NotReadOnly as e:
            return _not_read_only(resp, name, e)
        except (BodyError, QueryError, peewee.DatabaseError) as e:
            return _unexpected(resp, e)
        send(req, resp, out, falcon.HTTP_201)

    def on_post(self, req, resp, query_name):
        self._save(req, resp, query_name, replace=False)

    def on_put(self, req, resp, query_name):
        self._save(req, resp, query_name, replace=True)

    def on_delete(self, req, resp, query_name):
        try:
            self.svc.unregister(query_name)
        except QueryNotFound:
            return text_error(resp, falcon.HTTP_404, NOT_FOUND.format(query_name))
        resp.status = falcon.HTTP_204

    def on_get(self, req, resp, query_name):
        try:
            out = self.svc.get(query_name)
        except QueryNotFound:
            return text_error(resp, falcon.HTTP_404, NOT_FOUND.format(query_name))
        except (QueryError, peewee.DatabaseError) as e:
            return _unexpected(resp, e)
        send(req, resp, out)


class QueryDataResource(_Base):
    """GET .../{queryName}/data: KIE has no error mapping here, so every failure is a 500."""

    def on_get(self, req, resp, query_name):
        try:
            page, size = _paging(req)
            order_by = req.get_param("orderBy")
            if order_by and len(order_by.split(",")) > 1:
                sort = parse_sort(clause=order_by)
            else:
                sort = parse_sort(order_by=order_by, ascending=True)
            out = self.svc.query(query_name, req.get_param("mapper"), page=page, page_size=size, sort=sort,
                                 identity=req.context.identity)
        except _Fail as f:
            return text_error(resp, f.status, f.text)
        except NotReadOnly as e:
            return _not_read_only(resp, query_name, e)
        except (QueryError, peewee.DatabaseError) as e:
            return _unexpected(resp, e)
        send(req, resp, out)


class FilteredDataResource(_Base):
    def on_post(self, req, resp, query_name, container_id=None):
        types = None
        if container_id is not None:
            set_conversation_id(req, resp, self.server, container_id)
            kc = self.server.containers.runtime(container_id)
            if kc is None:
                return text_error(resp, falcon.HTTP_400, BAD_REQUEST.format(
                    f"No container found for id {container_id} or unknown marshalling format "
                    f"{req.context.fmt.kind.name}"))
            types = kc.types
        try:
            page, size = _paging(req)
            builder = req.get_param("builder")
            mapper = req.get_param("mapper")
            if builder:
                out = self._with_builder(req, query_name, mapper, builder, page, size, types)
            else:
                out = self._with_spec(req, query_name, mapper, page, size, types)
        except _Fail as f:
            return text_error(resp, f.status, f.text)
        except BadRequest as e:
            return text_error(resp, falcon.HTTP_400, BAD_REQUEST.format(e))
        except NotReadOnly as e:
            return _not_read_only(resp, query_name, e)
        except peewee.DatabaseError as e:
            # a filter the database cannot apply (wrong value type for a column...): dashbuilder's
            # DataSetLookupException, a 400 in KIE
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            return text_error(resp, falcon.HTTP_400, BAD_REQUEST.format(msg))
        except (BodyError, QueryError) as e:
            return _unexpected(resp, e)
        send(req, resp, out, types=types)

    def _with_spec(self, req, name, mapper, page, size, types):
        spec = read_body(req, QueryFilterSpec, types=types, optional=True) or QueryFilterSpec()
        if spec.order_by_clause is not None:
            sort = parse_sort(clause=spec.order_by_clause)
        else:
            sort = parse_sort(order_by=spec.order_by, ascending=spec.ascending)
        mapping = _str_map(spec.column_mapping)
        return self.svc.query(name, mapper, page=page, page_size=size, sort=sort, filters=spec.parameters or [],
                              column_mapping=mapping, identity=req.context.identity)

    def _with_builder(self, req, name, mapper, builder_id, page, size, types):
        params = read_body(req, MAP, types=types, optional=True) or {}
        order_by = params.pop(Q_ORDER_BY, None)
        ascending = params.pop(Q_ASCENDING, None)
        clause = params.pop(Q_ORDER_BY_CLAUSE, None)
        mapping = _str_map(params.pop(Q_COLUMN_MAPPING, None))
        self.svc.mapper_for(mapper)              # KIE's order: mapper, builder, then the query itself
        factory = self.svc.builder_for(builder_id)
        self.svc.definition(name)
        filters = _build_filters(factory, params)
        if clause:
            sort = parse_sort(clause=str(clause))
        else:
            sort = parse_sort(order_by=order_by, ascending=True if ascending is None else bool(ascending))
        return self.svc.query(name, mapper, page=page, page_size=size, sort=sort, filters=filters,
                              column_mapping=mapping, identity=req.context.identity)


def _str_map(m):
    if not m:
        return m
    return {str(k): str(v) for k, v in dict(m).items()}


def _build_filters(factory, params):
    """A builder is called with the request's parameter map.  It returns the filters (QueryParam
    models, dicts with column/operator/values, or (column, operator, values) tuples), or an object
    whose build() returns one filter per call and None at the end, as jBPM's QueryParamBuilder."""
    if isinstance(factory, type) or (callable(factory) and not hasattr(factory, "build")):
        made = factory(params)
    else:
        made = factory
    build = getattr(made, "build", None)
    if build is None:
        return list(made or [])
    out = []
    for _ in range(10000):
        f = build()
        if f is None:
            break
        out.append(f)
    return out


def routes(server):
    p = "/queries/definitions"
    filtered = FilteredDataResource(server)
    return [
        (p, QueriesResource(server)),
        (p + "/{query_name}", QueryResource(server)),
        (p + "/{query_name}/data", QueryDataResource(server)),
        (p + "/{query_name}/filtered-data", filtered),
        (p + "/containers/{container_id}/query/{query_name}/filtered-data", filtered),
    ]


def container_created(server, kie_container):
    """KIE registers a kjar's query-definitions.json when the container is created (or updated): the
    ContainerService builds those KieContainers with revision 0; later rebuilds of a stored container
    (another worker, a restart) find the queries in the store already."""
    if getattr(kie_container, "revision", 0):
        return
    data = kie_container.kjar.files.get("query-definitions.json")
    if data:
        service(server).load_container_queries(kie_container.container_id, data)


def container_disposed(server, container_id):
    service(server).drop_container_queries(container_id)
