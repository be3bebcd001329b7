"""RuntimeDataResource (/queries/...): the runtime data queries over process instances, node and
variable instances, process definitions and tasks, with KIE Server's status codes and error bodies.

The task rows already served by kieserver/resources/tasks.py (pot-owners, owners, admins, all tasks of a
user, tasks of a process instance, one task, by work item, task events) stay there; this module adds the
process rows, tasks by variable and the advanced variable search (POST /queries/variables/...).

Lists are bare (no ServiceResponse); paging `page`/`pageSize` (0/10), `sort`/`sortOrder` (true); the
advanced search uses `orderBy`/`asc`.  A query parameter JAX-RS cannot convert (a non-number page,
status or id) is a 404 without body, as RESTEasy answers it.
"""
from __future__ import annotations

import logging

import falcon

from kieserver.resources.base import BodyError, read_body, send, set_conversation_id, text_error
from kieserver.services.queries import NotFound, QueryError, RuntimeQueries, ensure_indexes
from marshallers.types.queries import SearchQueryFilterSpec

log = logging.getLogger("kieserver.queries")


class _BadParam(Exception):
    pass


def _int(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        raise _BadParam() from None


def _paging(req):
    return _int(req.get_param("page") or 0), _int(req.get_param("pageSize") or 10)


def _sort(req):
    return req.get_param("sort") or None, _bool(req, "sortOrder", True)


def _bool(req, name, default):
    """A primitive boolean @QueryParam with a @DefaultValue: Boolean.valueOf of what is given."""
    v = req.get_param(name)
    return default if v is None else v.strip().lower() == "true"


def _int_list(req, name):
    return [_int(v) for v in (req.get_param_as_list(name) or []) if str(v).strip() != ""]


def _opt_bool(req, name):
    """A Boolean @QueryParam: absent -> None, otherwise Boolean.valueOf."""
    v = req.get_param(name)
    if v is None:
        return None
    return v.strip().lower() == "true"


def _unexpected(resp, e):
    text_error(resp, falcon.HTTP_500, f"Unexpected error during processing: {e}\n")


class _Base:
    def __init__(self, server, queries: RuntimeQueries):
        self.server = server
        self.q = queries

    def answer(self, req, resp, fn, *, single_instance=False):
        try:
            value = fn()
        except _BadParam:
            resp.status = falcon.HTTP_404
            resp.content_type = "text/plain"
            resp.text = ""
            return
        except NotFound as e:
            text_error(resp, falcon.HTTP_404, str(e))
            return
        except (QueryError, BodyError) as e:
            _unexpected(resp, e)
            return
        except Exception as e:  # noqa: BLE001 - KIE answers any other failure with a 500
            log.exception("Unexpected error during processing")
            _unexpected(resp, e)
            return
        send(req, resp, value)
        if single_instance:
            # RestUtils: a non-aggregatable entity (ProcessInstance) gets `aggregatable=false` as its only
            # media type parameter
            resp.content_type = req.context.media.split(";")[0].strip() + ";aggregatable=false"

    # identity as RuntimeDataServiceBase.getUser: a non-empty ?user= only with the bypass flag
    def _bypass(self):
        return str(self.server.config.server.get("bypass_auth_user", False)).lower() in ("true", "1", "yes")

    def query_user(self, req):
        param = req.get_param("user")
        if self._bypass() and param:
            return param
        ident = req.context.identity
        return ident.user if ident is not None else None

    def groups(self, req, user):
        tasks = getattr(self.server, "human_tasks", None)
        known = list(tasks.groups_of(user)) if tasks is not None and hasattr(tasks, "groups_of") else []
        ident = req.context.identity
        if ident is not None and ident.user == user:
            merged = list(ident.roles or [])
            for g in known:
                if g not in merged:
                    merged.append(g)
            return merged
        return known


# ---------------------------------------------------------------------------------------------
# process instances

class ProcessInstancesResource(_Base):
    def on_get(self, req, resp):
        def run():
            page, size = _paging(req)
            sort, asc = _sort(req)
            return self.q.process_instances(_int_list(req, "status"), req.get_param("initiator"),
                                            req.get_param("processName"), page, size, sort, asc)
        self.answer(req, resp, run)


class ProcessInstancesByProcessIdResource(_Base):
    def on_get(self, req, resp, process_id):
        def run():
            page, size = _paging(req)
            sort, asc = _sort(req)
            return self.q.process_instances_by_process_id(process_id, _int_list(req, "status"),
                                                          req.get_param("initiator"), page, size, sort, asc)
        self.answer(req, resp, run)


class ContainerInstancesResource(_Base):
    def on_get(self, req, resp, container_id):
        def run():
            page, size = _paging(req)
            sort, asc = _sort(req)
            return self.q.process_instances_by_container(container_id, _int_list(req, "status"), page, size,
                                                         sort, asc)
        self.answer(req, resp, run)


class ContainerInstancesCountResource(_Base):
    def on_get(self, req, resp, container_id):
        self.answer(req, resp, lambda: self.q.count_by_container(container_id, _int_list(req, "status")))


class InstanceByCorrelationKeyResource(_Base):
    def on_get(self, req, resp, key):
        def run():
            found = self.q.process_instance_by_correlation_key(key)
            if found is None:
                raise NotFound(f'Could not find process instance with id "{key}"')
            return found
        self.answer(req, resp, run, single_instance=True)


class InstancesByCorrelationKeyResource(_Base):
    def on_get(self, req, resp, key):
        def run():
            page, size = _paging(req)
            sort, asc = _sort(req)
            return self.q.process_instances_by_correlation_key(key, page, size, sort, asc)
        self.answer(req, resp, run)


class InstancesByVariableResource(_Base):
    def on_get(self, req, resp, var_name):
        def run():
            page, size = _paging(req)
            sort, asc = _sort(req)
            return self.q.process_instances_by_variable(var_name, req.get_param("varValue"),
                                                        _int_list(req, "status"), page, size, sort, asc)
        self.answer(req, resp, run)


class InstanceResource(_Base):
    def on_get(self, req, resp, pid):
        self.answer(req, resp, lambda: self.q.process_instance(
            _int(pid), (req.get_param("withVars") or "").strip().lower() == "true"), single_instance=True)


class WorkItemNodeResource(_Base):
    def on_get(self, req, resp, pid, work_item_id):
        self.answer(req, resp, lambda: self.q.node_instance_for_work_item(_int(pid), _int(work_item_id)))


class NodeInstancesResource(_Base):
    def on_get(self, req, resp, pid):
        def run():
            page, size = _paging(req)
            return self.q.node_instances(_int(pid), _opt_bool(req, "activeOnly"), _opt_bool(req, "completedOnly"),
                                         page, size)
        self.answer(req, resp, run)


class VariablesResource(_Base):
    def on_get(self, req, resp, pid):
        self.answer(req, resp, lambda: self.q.variables_current(_int(pid)))


class VariableHistoryResource(_Base):
    def on_get(self, req, resp, pid, var_name):
        def run():
            page, size = _paging(req)
            return self.q.variable_history(_int(pid), var_name, page, size)
        self.answer(req, resp, run)


# ---------------------------------------------------------------------------------------------
# process definitions

class ContainerDefinitionsResource(_Base):
    def on_get(self, req, resp, container_id):
        def run():
            page, size = _paging(req)
            sort, asc = _sort(req)
            return self.q.definitions_by_container(container_id, page, size, sort, asc)
        self.answer(req, resp, run)


class DefinitionsResource(_Base):
    def on_get(self, req, resp):
        def run():
            page, size = _paging(req)
            sort, asc = _sort(req)
            return self.q.definitions(req.get_param("filter"), page, size, sort, asc)
        self.answer(req, resp, run)


class DefinitionsByIdResource(_Base):
    def on_get(self, req, resp, process_id):
        self.answer(req, resp, lambda: self.q.definitions_by_id(process_id))


class ContainerDefinitionResource(_Base):
    def on_get(self, req, resp, container_id, process_id):
        set_conversation_id(req, resp, self.server, container_id)
        self.answer(req, resp, lambda: self.q.definition(container_id, process_id))


# ---------------------------------------------------------------------------------------------
# tasks by variable and the advanced variable search

class TasksByVariableResource(_Base):
    def on_get(self, req, resp, var_name):
        def run():
            page, size = _paging(req)
            sort, asc = _sort(req)
            user = self.query_user(req)
            return self.q.tasks_by_variable(user, self.groups(req, user), var_name, req.get_param("varValue"),
                                            req.get_param_as_list("status") or None, page, size, sort, asc)
        self.answer(req, resp, run)


class VariableSearchResource(_Base):
    def __init__(self, server, queries, tasks):
        super().__init__(server, queries)
        self.tasks = tasks

    def on_post(self, req, resp):
        def run():
            page, size = _paging(req)
            order_by = req.get_param("orderBy") or None
            asc = _bool(req, "asc", True)
            try:
                spec = read_body(req, SearchQueryFilterSpec, optional=True)
            except BodyError as e:
                raise QueryError(f"Unable to unmarshal payload: {e}") from None
            spec = spec or SearchQueryFilterSpec()
            if self.tasks:
                return self.q.search_tasks(spec, page, size, order_by, asc)
            return self.q.search_processes(spec, page, size, order_by, asc)
        self.answer(req, resp, run)


def routes(server):
    q = RuntimeQueries(server)
    pi = "/queries/processes/instances"
    return [
        (pi, ProcessInstancesResource(server, q)),
        ("/queries/processes/{process_id}/instances", ProcessInstancesByProcessIdResource(server, q)),
        ("/queries/containers/{container_id}/process/instances", ContainerInstancesResource(server, q)),
        ("/queries/containers/{container_id}/process/instances/count", ContainerInstancesCountResource(server, q)),
        ("/queries/processes/instance/correlation/{key}", InstanceByCorrelationKeyResource(server, q)),
        (pi + "/correlation/{key}", InstancesByCorrelationKeyResource(server, q)),
        (pi + "/variables/{var_name}", InstancesByVariableResource(server, q)),
        (pi + "/{pid}", InstanceResource(server, q)),
        (pi + "/{pid}/wi-nodes/instances/{work_item_id}", WorkItemNodeResource(server, q)),
        (pi + "/{pid}/nodes/instances", NodeInstancesResource(server, q)),
        (pi + "/{pid}/variables/instances", VariablesResource(server, q)),
        (pi + "/{pid}/variables/instances/{var_name}", VariableHistoryResource(server, q)),
        ("/queries/containers/{container_id}/processes/definitions", ContainerDefinitionsResource(server, q)),
        ("/queries/processes/definitions", DefinitionsResource(server, q)),
        ("/queries/processes/definitions/{process_id}", DefinitionsByIdResource(server, q)),
        ("/queries/containers/{container_id}/processes/definitions/{process_id}",
         ContainerDefinitionResource(server, q)),
        ("/queries/tasks/instances/variables/{var_name}", TasksByVariableResource(server, q)),
        ("/queries/variables/processes", VariableSearchResource(server, q, tasks=False)),
        ("/queries/variables/processes/tasks", VariableSearchResource(server, q, tasks=True)),
    ]


def start(server):
    ensure_indexes()
