"""ProcessResource and DefinitionResource: every /containers/{id}/processes... row of endpoints.tsv.

Thin falcon resources over kieserver.services.processes.ProcessService.  Status codes and the text/plain
error bodies (message in double quotes) follow KIE's resources endpoint by endpoint: the same service
error is a 404 on one endpoint and a 500 on another (see endpoints.tsv notes and endpoints.md §4-5).
"""
from __future__ import annotations

import urllib.parse

import falcon

from containers.values import Long
from kieserver.resources.base import BodyError, bool_param, read_body, send, set_conversation_id, text_error
from kieserver.services import processes as S
from marshallers import ANY, MAP
from marshallers.types import process as P

CONTAINER_NOT_FOUND = 'Could not find container "{0}"'
PROCESS_DEFINITION_NOT_FOUND = 'Could not find process definition "{0}" in container "{1}"'
PROCESS_INSTANCE_NOT_FOUND = 'Could not find process instance with id "{0}"'
WORK_ITEM_NOT_FOUND = 'Could not find work item instance with id "{0}"'
CREATE_RESPONSE_ERROR = "Unable to create response: {0}"


def grouped(v):
    """MessageFormat's rendering of a Number argument: 1234 -> 1,234; lists as Java prints them."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(str(x) for x in v) + "]"
    return str(v)


def unexpected(message):
    """RestUtils.errorMessage(e): "Unexpected error during processing: <msg>" and a line break."""
    return f"Unexpected error during processing: {message}\n"


class _NotFound(Exception):
    """A path or query parameter JAX-RS could not convert (404, no body)."""


def _long(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        raise _NotFound() from None


def _page(req):
    try:
        page = int(req.get_param("page") or 0)
        size = int(req.get_param("pageSize") or 10)
    except ValueError:
        raise _NotFound() from None
    return page, size


def _sort(req):
    return req.get_param("sort") or None, bool_param(req, "sortOrder", True)


def _statuses(req):
    values = req.get_param_as_list("status") or []
    try:
        return [int(v) for v in values if str(v).strip() != ""]
    except ValueError:
        raise _NotFound() from None


def _empty(req, resp, status):
    """createResponse("", variant, status): an empty entity in the negotiated media type (none on 204)."""
    resp.status = status
    if status == falcon.HTTP_204:
        return
    resp.content_type = req.context.media
    resp.text = ""


def _user(req):
    ident = getattr(req.context, "identity", None)
    return ident.user if ident is not None else None


def _handle(kind):
    """Wrap a responder: conversation id, then KIE's mapping of errors for this kind of endpoint."""
    def deco(fn):
        def wrapper(self, req, resp, **kw):
            cid = kw.get("container_id")
            set_conversation_id(req, resp, self.server, cid)
            try:
                return fn(self, req, resp, **kw)
            except _NotFound:
                resp.status = falcon.HTTP_404
                resp.content_type = "text/plain"
                resp.text = ""
            except (S.ProcessServiceError, BodyError) as e:
                status, message = _map_error(kind, e, kw)
                text_error(resp, status, message)
        return wrapper
    return deco


def _map_error(kind, e, kw):
    cid = kw.get("container_id")
    msg = e.message if isinstance(e, S.ProcessServiceError) else f"Unable to unmarshal payload: {e}"
    if kind == "start":
        if isinstance(e, S.DeploymentNotActive):
            return falcon.HTTP_400, e.message
        if isinstance(e, S.DeploymentNotFound):
            return falcon.HTTP_404, CONTAINER_NOT_FOUND.format(cid)
        if isinstance(e, S.ProcessDefinitionNotFound):
            return falcon.HTTP_404, PROCESS_DEFINITION_NOT_FOUND.format(kw.get("process_id"), cid)
        if isinstance(e, S.CorrelationKeyExists):
            return falcon.HTTP_409, e.message + "\n"
        return falcon.HTTP_500, CREATE_RESPONSE_ERROR.format(msg)
    if kind == "definition":
        if isinstance(e, S.ProcessDefinitionNotFound):
            return falcon.HTTP_404, PROCESS_DEFINITION_NOT_FOUND.format(kw.get("process_id"), cid)
        return falcon.HTTP_500, unexpected(msg)
    if kind == "definitions":
        if isinstance(e, (S.DeploymentNotFound, S.ContainerNotFound)):
            return falcon.HTTP_404, CONTAINER_NOT_FOUND.format(cid)
        return falcon.HTTP_500, unexpected(msg)
    # instance-scoped endpoints
    if isinstance(e, S.ProcessInstanceNotFound):
        what = kw.get("_instance_label")
        if what is None:
            what = grouped(_maybe_int(kw.get("pid")))
        return falcon.HTTP_404, PROCESS_INSTANCE_NOT_FOUND.format(what)
    if isinstance(e, S.DeploymentNotFound) or (kind == "abort" and isinstance(e, S.ContainerNotFound)):
        return falcon.HTTP_404, CONTAINER_NOT_FOUND.format(cid)
    if isinstance(e, S.WorkItemNotFound) and kind == "work_item":
        return falcon.HTTP_404, WORK_ITEM_NOT_FOUND.format(grouped(_maybe_int(kw.get("wid"))))
    return falcon.HTTP_500, unexpected(msg)


def _maybe_int(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return v


class _R:
    def __init__(self, server, service: S.ProcessService):
        self.server = server
        self.svc = service

    def types(self, container_id):
        return self.svc.types_for(container_id)


# ----------------------------------------------------------------------------------------------
# start

class StartResource(_R):
    """POST .../processes/{processId}/instances[/correlation/{key}]"""

    @_handle("start")
    def on_post(self, req, resp, container_id, process_id, key=None):
        variables = read_body(req, MAP, types=self.types(container_id), optional=True) or {}
        pid = self.svc.start_process(container_id, process_id, variables, _user(req), key or None)
        send(req, resp, Long(pid), falcon.HTTP_201, types=self.types(container_id))


class StartFromNodesResource(_R):
    """POST .../processes/{processId}/instances[/correlation/{key}]/fromNodes (ProcessStartSpec)"""

    @_handle("start")
    def on_post(self, req, resp, container_id, process_id, key=None):
        spec = read_body(req, P.ProcessStartSpec, types=self.types(container_id), optional=True)
        variables = (spec.variables if spec else None) or {}
        nodes = (spec.node_ids if spec else None) or []
        pid = self.svc.start_process(container_id, process_id, variables, _user(req), key or None, node_ids=nodes)
        send(req, resp, Long(pid), falcon.HTTP_201, types=self.types(container_id))


class ComputedInstancesResource(_R):
    """POST .../processes/{processId}/computedInstances: the outcome of a straight-through process."""

    @_handle("start")
    def on_post(self, req, resp, container_id, process_id):
        variables = read_body(req, MAP, types=self.types(container_id), optional=True) or {}
        outcome = self.svc.compute_process_outcome(container_id, process_id, variables, _user(req))
        send(req, resp, outcome, falcon.HTTP_201, types=self.types(container_id))


# ----------------------------------------------------------------------------------------------
# instances

class InstancesResource(_R):
    """GET .../processes/instances (by container) and DELETE (abort several)."""

    @_handle("list")
    def on_get(self, req, resp, container_id):
        page, size = _page(req)
        sort, asc = _sort(req)
        send(req, resp, self.svc.instances_by_container(container_id, _statuses(req), page, size, sort, asc),
             types=self.types(container_id))

    @_handle("abort")
    def on_delete(self, req, resp, container_id):
        pids = [_long(x) for x in (req.get_param_as_list("instanceId") or []) if str(x).strip()]
        self.svc.abort_many(container_id, pids, _user(req))
        _empty(req, resp, falcon.HTTP_204)


class InstanceResource(_R):
    @_handle("get")
    def on_get(self, req, resp, container_id, pid):
        pid = _long(pid)
        try:
            model = self.svc.get_instance(container_id, pid, bool_param(req, "withVars"))
        except S.ProcessInstanceNotFound as e:
            raise S.IllegalState(f"Unable to find process instance with id {pid}") from e
        send(req, resp, model, types=self.types(container_id))

    @_handle("abort")
    def on_delete(self, req, resp, container_id, pid):
        self.svc.abort(container_id, _long(pid), _user(req))
        _empty(req, resp, falcon.HTTP_204)


class ChildInstancesResource(_R):
    """GET .../processes/instances/{pid}/processes"""

    @_handle("list")
    def on_get(self, req, resp, container_id, pid):
        page, size = _page(req)
        sort, asc = _sort(req)
        send(req, resp, self.svc.instances_by_parent(_long(pid), _statuses(req), page, size, sort, asc),
             types=self.types(container_id))


# ----------------------------------------------------------------------------------------------
# signals

class SignalResource(_R):
    @_handle("instance")
    def on_post(self, req, resp, container_id, pid, signal):
        pid = _long(pid)
        event = read_body(req, ANY, types=self.types(container_id), optional=True)
        self.svc.signal_instance(container_id, pid, signal, event)
        resp.status = falcon.HTTP_200
        resp.content_type = req.context.media


class SignalByKeyResource(_R):
    def on_post(self, req, resp, container_id, key, signal):
        return self._post(req, resp, container_id=container_id, key=key, signal=signal, _instance_label=key)

    @_handle("instance")
    def _post(self, req, resp, container_id, key, signal, _instance_label=None):
        event = read_body(req, ANY, types=self.types(container_id), optional=True)
        self.svc.signal_by_correlation_key(container_id, key, signal, event)
        resp.status = falcon.HTTP_200
        resp.content_type = req.context.media


class SignalManyResource(_R):
    """POST .../processes/instances/signal/{signal}?instanceId=..|correlationKey=..|(container-wide)"""

    def on_post(self, req, resp, container_id, signal):
        ids = req.get_param_as_list("instanceId") or []
        return self._post(req, resp, container_id=container_id, signal=signal,
                          _instance_label=grouped([x for x in ids]))

    @_handle("instance")
    def _post(self, req, resp, container_id, signal, _instance_label=None):
        event = read_body(req, ANY, types=self.types(container_id), optional=True)
        ids = [_long(x) for x in (req.get_param_as_list("instanceId") or []) if str(x).strip()]
        keys = [k for k in (req.get_param_as_list("correlationKey") or []) if k]
        if ids:
            self.svc.signal_instances(container_id, ids, signal, event)
        elif keys:
            self.svc.signal_by_correlation_keys(container_id, keys, signal, event)
        else:
            self.svc.signal_container(container_id, signal, event)
        _empty(req, resp, falcon.HTTP_200)


class SignalsResource(_R):
    @_handle("instance")
    def on_get(self, req, resp, container_id, pid):
        send(req, resp, list(self.svc.available_signals(container_id, _long(pid))), types=self.types(container_id))


# ----------------------------------------------------------------------------------------------
# variables

class VariablesResource(_R):
    @_handle("instance")
    def on_get(self, req, resp, container_id, pid):
        send(req, resp, self.svc.get_variables(container_id, _long(pid)), types=self.types(container_id))

    @_handle("instance")
    def on_post(self, req, resp, container_id, pid):
        pid = _long(pid)
        values = read_body(req, MAP, types=self.types(container_id), optional=True) or {}
        self.svc.set_variables(container_id, pid, values)
        _empty(req, resp, falcon.HTTP_201)


class VariableResource(_R):
    @_handle("instance")
    def on_get(self, req, resp, container_id, pid, name):
        send(req, resp, self.svc.get_variable(container_id, _long(pid), name), types=self.types(container_id))

    @_handle("instance")
    def on_put(self, req, resp, container_id, pid, name):
        pid = _long(pid)
        value = read_body(req, ANY, types=self.types(container_id), optional=True)
        self.svc.set_variable(container_id, pid, name, value)
        _empty(req, resp, falcon.HTTP_201)


class VariableInstancesResource(_R):
    """GET .../instances/{pid}/variables/instances[/{name}] (from the audit log)"""

    @_handle("list")
    def on_get(self, req, resp, container_id, pid, name=None):
        pid = _long(pid)
        if name is None:
            value = self.svc.variables_current(container_id, pid)
        else:
            page, size = _page(req)
            value = self.svc.variable_history(container_id, pid, name, page, size)
        send(req, resp, value, types=self.types(container_id))


class NodeInstancesResource(_R):
    @_handle("list")
    def on_get(self, req, resp, container_id, pid):
        pid = _long(pid)
        page, size = _page(req)
        active = _opt_bool(req, "activeOnly")
        completed = _opt_bool(req, "completedOnly")
        entry = req.get_param("processInstanceHistoryType")
        send(req, resp, self.svc.node_history(container_id, pid, active, completed, entry, page, size),
             types=self.types(container_id))


def _opt_bool(req, name):
    v = req.get_param(name)
    if v is None:
        return None
    return v.strip().lower() == "true"


# ----------------------------------------------------------------------------------------------
# work items

class WorkItemsResource(_R):
    @_handle("instance")
    def on_get(self, req, resp, container_id, pid):
        send(req, resp, self.svc.work_items(container_id, _long(pid)), types=self.types(container_id))


class WorkItemResource(_R):
    @_handle("work_item")
    def on_get(self, req, resp, container_id, pid, wid):
        send(req, resp, self.svc.get_work_item(container_id, _long(pid), _long(wid)), types=self.types(container_id))


class WorkItemCompleteResource(_R):
    @_handle("instance")
    def on_put(self, req, resp, container_id, pid, wid):
        pid, wid = _long(pid), _long(wid)
        results = read_body(req, MAP, types=self.types(container_id), optional=True) or {}
        self.svc.complete_work_item(container_id, pid, wid, results, _user(req))
        _empty(req, resp, falcon.HTTP_201)


class WorkItemAbortResource(_R):
    @_handle("work_item")
    def on_put(self, req, resp, container_id, pid, wid):
        self.svc.abort_work_item(container_id, _long(pid), _long(wid), _user(req))
        _empty(req, resp, falcon.HTTP_201)


# ----------------------------------------------------------------------------------------------
# definitions

class DefinitionsResource(_R):
    """GET /containers/{id}/processes: the container's process definitions."""

    @_handle("definitions")
    def on_get(self, req, resp, container_id):
        page, size = _page(req)
        sort, asc = _sort(req)
        send(req, resp, self.svc.definitions(container_id, page, size, sort, asc), types=self.types(container_id))


class DefinitionResource(_R):
    _views = {
        None: "definition_model", "subprocesses": "definition_subprocesses", "variables": "definition_variables",
        "service": "definition_service_tasks", "entities": "definition_entities", "users": "definition_user_tasks",
    }

    def __init__(self, server, service, view=None):
        super().__init__(server, service)
        self.view = view

    @_handle("definition")
    def on_get(self, req, resp, container_id, process_id):
        value = getattr(self.svc, self._views[self.view])(container_id, process_id)
        send(req, resp, value, types=self.types(container_id))


class TaskMappingsResource(_R):
    def __init__(self, server, service, direction):
        super().__init__(server, service)
        self.direction = direction

    @_handle("definition")
    def on_get(self, req, resp, container_id, process_id, task_name):
        name = urllib.parse.unquote(task_name)
        if self.direction == "inputs":
            value = self.svc.definition_task_inputs(container_id, process_id, name)
        else:
            value = self.svc.definition_task_outputs(container_id, process_id, name)
        send(req, resp, value, types=self.types(container_id))


# ----------------------------------------------------------------------------------------------

def routes(server, service):
    """[(template relative to the REST root, resource)] for the BPM extension."""
    s, v = server, service
    c = "/containers/{container_id}/processes"
    i = c + "/instances"
    d = c + "/definitions/{process_id}"
    start = StartResource(s, v)
    from_nodes = StartFromNodesResource(s, v)
    return [
        (c, DefinitionsResource(s, v)),
        (c + "/{process_id}/instances", start),
        (c + "/{process_id}/instances/correlation/{key}", start),
        (c + "/{process_id}/instances/fromNodes", from_nodes),
        (c + "/{process_id}/instances/correlation/{key}/fromNodes", from_nodes),
        (c + "/{process_id}/computedInstances", ComputedInstancesResource(s, v)),
        (i, InstancesResource(s, v)),
        (i + "/signal/{signal}", SignalManyResource(s, v)),
        (i + "/correlation/{key}/signal/{signal}", SignalByKeyResource(s, v)),
        (i + "/{pid}", InstanceResource(s, v)),
        (i + "/{pid}/signal/{signal}", SignalResource(s, v)),
        (i + "/{pid}/signals", SignalsResource(s, v)),
        (i + "/{pid}/variables", VariablesResource(s, v)),
        (i + "/{pid}/variable/{name}", VariableResource(s, v)),
        (i + "/{pid}/variables/instances", VariableInstancesResource(s, v)),
        (i + "/{pid}/variables/instances/{name}", VariableInstancesResource(s, v)),
        (i + "/{pid}/nodes/instances", NodeInstancesResource(s, v)),
        (i + "/{pid}/processes", ChildInstancesResource(s, v)),
        (i + "/{pid}/workitems", WorkItemsResource(s, v)),
        (i + "/{pid}/workitems/{wid}", WorkItemResource(s, v)),
        (i + "/{pid}/workitems/{wid}/completed", WorkItemCompleteResource(s, v)),
        (i + "/{pid}/workitems/{wid}/aborted", WorkItemAbortResource(s, v)),
        (d, DefinitionResource(s, v)),
        (d + "/subprocesses", DefinitionResource(s, v, "subprocesses")),
        (d + "/variables", DefinitionResource(s, v, "variables")),
        (d + "/tasks/service", DefinitionResource(s, v, "service")),
        (d + "/entities", DefinitionResource(s, v, "entities")),
        (d + "/tasks/users", DefinitionResource(s, v, "users")),
        (d + "/tasks/users/{task_name}/inputs", TaskMappingsResource(s, v, "inputs")),
        (d + "/tasks/users/{task_name}/outputs", TaskMappingsResource(s, v, "outputs")),
    ]
