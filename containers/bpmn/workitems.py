"""Work items and the built-in work item handlers (jBPM's Log/SystemOut, DoNothing, Rest, Email).

A handler is any object with execute(work_item, manager) and abort(work_item, manager); `manager` has
complete_work_item(id, results) and abort_work_item(id) (the process instance itself).  Handlers are
registered per container: {"Rest": RestWorkItemHandler(), ...} passed in the engine Environment.
"""
from __future__ import annotations

import json
import logging
import sys

from containers.values import to_java_string

log = logging.getLogger("containers.bpmn.workitems")

PENDING, ACTIVE, COMPLETED, ABORTED = 0, 1, 2, 3

__all__ = ["WorkItem", "WorkItemHandler", "LogWorkItemHandler", "SystemOutWorkItemHandler",
           "DoNothingWorkItemHandler", "RestWorkItemHandler", "EmailWorkItemHandler", "default_handlers",
           "PENDING", "ACTIVE", "COMPLETED", "ABORTED"]


class WorkItem:
    """org.kie.api.runtime.process.WorkItem: id, name (handler type), parameters, results, state."""

    __slots__ = ("id", "name", "parameters", "results", "state", "node_instance_id", "node_id",
                 "process_instance_id", "deployment_id", "process_id", "node_name")

    def __init__(self, id, name, parameters=None, node_instance_id=None, node_id=None, process_instance_id=None,
                 deployment_id=None, process_id=None, node_name=None):
        self.id = id
        self.name = name
        self.parameters = dict(parameters or {})
        self.results = {}
        self.state = PENDING
        self.node_instance_id = node_instance_id
        self.node_id = node_id
        self.process_instance_id = process_instance_id
        self.deployment_id = deployment_id
        self.process_id = process_id
        self.node_name = node_name

    # Java-style accessors (handlers written against the KIE API)
    def getId(self):
        return self.id

    def getName(self):
        return self.name

    def getParameter(self, name):
        return self.parameters.get(name)

    def getParameters(self):
        return self.parameters

    def getResults(self):
        return self.results

    def getResult(self, name):
        return self.results.get(name)

    def getState(self):
        return self.state

    def getProcessInstanceId(self):
        return self.process_instance_id

    def getNodeInstanceId(self):
        return self.node_instance_id

    def getNodeId(self):
        return self.node_id

    def getDeploymentId(self):
        return self.deployment_id

    def setParameter(self, name, value):
        self.parameters[name] = value

    def setResult(self, name, value):
        self.results[name] = value

    def to_dict(self):
        return {"id": self.id, "name": self.name, "parameters": dict(self.parameters), "results": dict(self.results),
                "state": self.state, "node_instance_id": self.node_instance_id, "node_id": self.node_id,
                "process_instance_id": self.process_instance_id, "deployment_id": self.deployment_id,
                "process_id": self.process_id, "node_name": self.node_name}

    @classmethod
    def from_dict(cls, d):
        wi = cls(d["id"], d["name"], d.get("parameters"), d.get("node_instance_id"), d.get("node_id"),
                 d.get("process_instance_id"), d.get("deployment_id"), d.get("process_id"), d.get("node_name"))
        wi.results = dict(d.get("results") or {})
        wi.state = d.get("state", PENDING)
        return wi

    def __repr__(self):
        return f"WorkItem({self.id}, {self.name!r}, state={self.state})"


class WorkItemHandler:
    def execute(self, work_item, manager):  # pragma: no cover - interface
        raise NotImplementedError

    def abort(self, work_item, manager):
        pass


class SystemOutWorkItemHandler(WorkItemHandler):
    """jBPM SystemOutWorkItemHandler: prints the work item and completes it."""

    def __init__(self, out=None):
        self.out = out

    def execute(self, work_item, manager):
        text = f"Executing work item {_java_work_item_str(work_item)}"
        (self.out or (lambda s: sys.stdout.write(s + "\n")))(text)
        manager.complete_work_item(work_item.id, None)

    def abort(self, work_item, manager):
        text = f"Aborting work item {_java_work_item_str(work_item)}"
        (self.out or (lambda s: sys.stdout.write(s + "\n")))(text)


class LogWorkItemHandler(SystemOutWorkItemHandler):
    """The "Log" handler KIE workbench registers (SystemOutWorkItemHandler)."""


class DoNothingWorkItemHandler(WorkItemHandler):
    """jBPM DoNothingWorkItemHandler: does nothing - the work item stays pending."""

    def execute(self, work_item, manager):
        pass


class EmailWorkItemHandler(WorkItemHandler):
    """Mail sending is out of scope: log the message and complete, as a configured EmailWorkItemHandler."""

    def execute(self, work_item, manager):
        p = work_item.parameters
        log.info("Email work item %s: from=%s to=%s subject=%s", work_item.id, p.get("From"), p.get("To"),
                 p.get("Subject"))
        manager.complete_work_item(work_item.id, None)


class RestWorkItemHandler(WorkItemHandler):
    """jBPM RESTWorkItemHandler subset: Url, Method, ContentType, Content, ConnectTimeout, ReadTimeout,
    Username/Password (basic auth), Headers ("a=b;c=d"), AcceptHeader; completes with Result, Status,
    StatusMsg.  Non-2xx answers complete normally unless HandleResponseErrors is true (then abort)."""

    def __init__(self, session=None, username=None, password=None):
        self.session = session
        self.username = username
        self.password = password

    def execute(self, work_item, manager):
        import requests
        p = work_item.parameters
        url = p.get("Url")
        if not url:
            raise ValueError("Url is a required parameter")
        method = (p.get("Method") or "GET").upper()
        content_type = p.get("ContentType") or p.get("Content-Type")
        content = p.get("Content")
        if content is None:
            content = p.get("ContentData")
        headers = {}
        hdrs = p.get("Headers")
        if isinstance(hdrs, str) and hdrs:
            for part in hdrs.split(";"):
                if "=" in part:
                    k, v = part.split("=", 1)
                    headers[k.strip()] = v.strip()
        if content_type:
            headers["Content-Type"] = content_type
        if p.get("AcceptHeader"):
            headers["Accept"] = p.get("AcceptHeader")
        data = None
        if content is not None and method in ("POST", "PUT", "PATCH", "DELETE"):
            if isinstance(content, (str, bytes)):
                data = content
            else:
                data = json.dumps(_plain(content))
                headers.setdefault("Content-Type", "application/json")
        auth = None
        user = p.get("Username") or self.username
        if user:
            auth = (user, p.get("Password") or self.password or "")

        def _timeout(name, default):
            v = p.get(name)
            try:
                return int(v) / 1000.0 if v not in (None, "") else default
            except (TypeError, ValueError):
                return default
        timeout = (_timeout("ConnectTimeout", 60.0), _timeout("ReadTimeout", 60.0))
        sess = self.session or requests
        resp = sess.request(method, url, data=data, headers=headers, auth=auth, timeout=timeout)
        status = resp.status_code
        results = {"Status": status, "StatusMsg": f"request to endpoint {url} successfully completed {resp.reason or ''}".rstrip()
                   if 200 <= status < 300 else f"endpoint {url} could not be reached: {resp.text}"}
        body = resp.text
        result = body
        result_class = p.get("ResultClass")
        if result_class and body:
            try:
                result = json.loads(body)
            except ValueError:
                result = body
        results["Result"] = result
        handle_errors = str(p.get("HandleResponseErrors") or "false").lower() == "true"
        if handle_errors and not (200 <= status < 300):
            manager.abort_work_item(work_item.id)
            return
        manager.complete_work_item(work_item.id, results)


def _plain(v):
    from containers.values import JavaBean
    if isinstance(v, JavaBean):
        return {k: _plain(x) for k, x in v.properties().items()}
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def _java_work_item_str(wi):
    params = ", ".join(f"{k}={to_java_string(v)}" for k, v in wi.parameters.items())
    return (f"WorkItem {wi.id} [name={wi.name}, state={wi.state}, processInstanceId={wi.process_instance_id}, "
            f"parameters{{{params}}}]")


def default_handlers(out=None):
    """The handlers a KIE Server container has unless its deployment descriptor says otherwise."""
    return {"Log": LogWorkItemHandler(out), "SystemOut": SystemOutWorkItemHandler(out),
            "DoNothing": DoNothingWorkItemHandler(), "Rest": RestWorkItemHandler(), "Email": EmailWorkItemHandler()}
