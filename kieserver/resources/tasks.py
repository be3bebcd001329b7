"""UserTaskResource (/containers/{containerId}/tasks/...) and the task queries of RuntimeDataResource
(/queries/tasks/instances/...), with KIE Server's status codes and error bodies.

Route field names (shared with anyone adding routes at the same levels): {container_id},
{task_instance_id}, {process_instance_id}, {work_item_id}, {attachment_id}, {comment_id}, {content_id};
no converters (ids are parsed here; a non-number is a 404 as in JAX-RS).
"""
from __future__ import annotations

import datetime as dt
import logging

import falcon

from containers.values import Long
from kieserver.resources.base import BodyError, read_body, send, set_conversation_id, text_error
from kieserver.services.tasks import (PermissionDenied, TaskNotFound, TaskService,
                                      TaskServiceError, not_found_message)
from marshallers import ANY, MAP
from marshallers.dates import from_millis, parse_date
from marshallers.types.tasks import TaskComment, TaskInstance

log = logging.getLogger("kieserver.tasks")

# operations whose PermissionDeniedException jBPM's UserTaskServiceImpl turns into TaskNotFoundException
_CONVERTED = {"activated", "exited", "failed", "resumed", "skipped", "started", "stopped", "suspended"}
# operations whose REST handler answers PermissionDeniedException with 403
_FORBIDDEN = {"claimed", "completed", "delegated", "forwarded", "released", "nominated", "output"}


class _NotFound(Exception):
    """A path id that is not a number: JAX-RS answers 404."""


def _id(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        raise _NotFound() from None


def _empty(req, resp, status=falcon.HTTP_201):
    resp.status = status
    if status == falcon.HTTP_204:   # no body, no content type
        return
    resp.content_type = req.context.media
    resp.text = ""


def _unexpected(resp, e):
    text_error(resp, falcon.HTTP_500, f"Unexpected error during processing: {e}\n")


class _Base:
    def __init__(self, server, service: TaskService):
        self.server = server
        self.svc = service

    # identity ---------------------------------------------------------------------------------
    def _bypass(self):
        return str(self.server.config.server.get("bypass_auth_user", False)).lower() in ("true", "1", "yes")

    def task_user(self, req):
        """UserTaskServiceBase.getUser: ?user= (even empty) only with bypass; else the principal."""
        param = req.get_param("user")
        if self._bypass() and param is not None:
            return param
        ident = req.context.identity
        return ident.user if ident is not None else None

    def query_user(self, req):
        """RuntimeDataServiceBase.getUser: a non-empty ?user= only with bypass."""
        param = req.get_param("user")
        if self._bypass() and param:
            return param
        ident = req.context.identity
        return ident.user if ident is not None else None

    def groups(self, req, user):
        ident = req.context.identity
        if ident is not None and ident.user == user:
            merged = list(ident.roles or [])
            for g in self.svc.groups_of(user):
                if g not in merged:
                    merged.append(g)
            return merged
        return self.svc.groups_of(user)

    # error mapping ----------------------------------------------------------------------------
    def run(self, req, resp, container_id, task_instance_id, fn, kind=None):
        """Resolve the container, call fn(container_id, task_id), map the errors as the resource does."""
        set_conversation_id(req, resp, self.server, container_id)
        try:
            task_id = _id(task_instance_id)
        except _NotFound:
            resp.status = falcon.HTTP_404
            return None, False
        try:
            cid = self.svc.resolve_container(container_id, task_id)
            return fn(cid, task_id), True
        except TaskNotFound:
            text_error(resp, falcon.HTTP_404, not_found_message(task_id) + "\n")
        except PermissionDenied as e:
            if kind in _FORBIDDEN:
                text_error(resp, falcon.HTTP_403, f"{e}\n")
            elif kind in _CONVERTED:
                text_error(resp, falcon.HTTP_404, not_found_message(task_id) + "\n")
            else:
                _unexpected(resp, e)
        except (TaskServiceError, BodyError) as e:
            _unexpected(resp, e)
        except Exception as e:  # noqa: BLE001 - KIE's handlers answer any other exception with 500
            log.exception("Unexpected error during processing of task %s", task_id)
            _unexpected(resp, getattr(e, "message", None) or e)
        return None, False

    def body(self, req, container_id, expected, optional=True):
        return read_body(req, expected, types=self.svc.types_for(container_id), optional=optional)


# =============================================================================================
# task state operations

class TaskStateResource(_Base):
    """PUT /containers/{c}/tasks/{id}/states/{state}: 201 with an empty body."""

    def on_put(self, req, resp, container_id, task_instance_id, state):
        user = self.task_user(req)
        groups = self.groups(req, user)
        svc = self.svc

        def op(cid, tid):
            if state == "activated":
                svc.activate(cid, tid, user, groups)
            elif state == "claimed":
                svc.claim(cid, tid, user, groups)
            elif state == "started":
                svc.start(cid, tid, user, groups)
            elif state == "stopped":
                svc.stop(cid, tid, user, groups)
            elif state == "released":
                svc.release(cid, tid, user, groups)
            elif state == "suspended":
                svc.suspend(cid, tid, user, self.body(req, cid, MAP) or {}, groups)
            elif state == "resumed":
                svc.resume(cid, tid, user, groups)
            elif state == "skipped":
                svc.skip(cid, tid, user, groups)
            elif state == "exited":
                svc.exit(cid, tid, user, groups)
            elif state == "failed":
                svc.fail(cid, tid, user, self.body(req, cid, MAP), groups)
            elif state == "completed":
                auto = (req.get_param("auto-progress") or "").lower() == "true"
                svc.complete(cid, tid, user, self.body(req, cid, MAP), groups, auto_progress=auto)
            elif state == "delegated":
                svc.delegate(cid, tid, user, req.get_param("targetUser"), groups)
            elif state == "forwarded":
                svc.forward(cid, tid, user, req.get_param("targetUser"), groups)
            else:
                svc.nominate(cid, tid, user, req.get_param_as_list("potOwner") or [], groups)
            return True

        if state not in _CONVERTED | _FORBIDDEN - {"output"} | {"activated"}:
            resp.status = falcon.HTTP_404
            return
        _, ok = self.run(req, resp, container_id, task_instance_id, op, state)
        if ok:
            _empty(req, resp)


class BulkClaimResource(_Base):
    """POST /containers/{c}/tasks/states/claimed?taskId=..: 200 with an empty body."""

    def on_post(self, req, resp, container_id):
        set_conversation_id(req, resp, self.server, container_id)
        user = self.task_user(req)
        try:
            ids = [int(x) for x in (req.get_param_as_list("taskId") or [])]
        except ValueError:
            resp.status = falcon.HTTP_404
            return
        try:
            cid = self.svc.resolve_container(container_id, ids[0] if ids else None)
            self.svc.claim_bulk(cid, ids, user, self.groups(req, user))
        except PermissionDenied as e:
            return text_error(resp, falcon.HTTP_403, f"{e}\n")
        except (TaskServiceError, IndexError) as e:
            return _unexpected(resp, e)
        _empty(req, resp, falcon.HTTP_200)


# =============================================================================================
# the task itself

class TaskResource(_Base):
    def on_get(self, req, resp, container_id, task_instance_id):
        def get(cid, tid):
            return self.svc.task_instance(cid, tid, _flag(req, "withInputData"), _flag(req, "withOutputData"),
                                          _flag(req, "withAssignments"))
        ti, ok = self.run(req, resp, container_id, task_instance_id, get)
        if ok:
            send(req, resp, ti, types=self.svc.types_for(ti.container_id))

    def on_put(self, req, resp, container_id, task_instance_id):
        user = self.task_user(req)

        def update(cid, tid):
            t = self.body(req, cid, TaskInstance, optional=False)
            self.svc.update(cid, tid, user, name=t.name, description=t.description, priority=t.priority,
                            expiration_date=t.expiration_date, form_name=t.form_name, inputs=t.input_data,
                            outputs=t.output_data, groups=self.groups(req, user))
            return True
        _, ok = self.run(req, resp, container_id, task_instance_id, update, "update")
        if ok:
            _empty(req, resp)


def _flag(req, name):
    return (req.get_param(name) or "").lower() == "true"


class TaskPropertyResource(_Base):
    """PUT /tasks/{id}/{priority|expiration|skipable|name|description} with a bare value body."""

    def __init__(self, server, service, prop):
        super().__init__(server, service)
        self.prop = prop

    def on_put(self, req, resp, container_id, task_instance_id):
        user = self.task_user(req)

        def set_(cid, tid):
            v = self.body(req, cid, ANY, optional=True)
            svc = self.svc
            if self.prop == "priority":
                if v is None or isinstance(v, bool):
                    raise TaskServiceError(f"Cannot read a priority from '{v}'")
                svc.set_priority(cid, tid, int(v), user)
            elif self.prop == "expiration":
                svc.set_expiration_date(cid, tid, _as_date(v), user)
            elif self.prop == "skipable":
                svc.set_skipable(cid, tid, v if isinstance(v, bool) else str(v).lower() == "true", user)
            elif self.prop == "name":
                svc.set_name(cid, tid, None if v is None else str(v), user)
            else:
                svc.set_description(cid, tid, None if v is None else str(v), user)
            return True
        _, ok = self.run(req, resp, container_id, task_instance_id, set_, self.prop)
        if ok:
            _empty(req, resp)


def _as_date(v):
    if v is None or isinstance(v, dt.datetime):
        return v
    if isinstance(v, bool):
        raise TaskServiceError(f"Cannot read a date from '{v}'")
    if isinstance(v, (int, float)):
        return from_millis(int(v))
    try:
        return parse_date(str(v))
    except Exception:  # noqa: BLE001
        raise TaskServiceError(f"Cannot read a date from '{v}'") from None


class TaskEventsResource(_Base):
    """GET /containers/{c}/tasks/{id}/events and /queries/tasks/instances/{id}/events."""

    def on_get(self, req, resp, task_instance_id, container_id=None):
        try:
            tid = _id(task_instance_id)
            page, size, sort, asc = _paging(req)
        except _NotFound:
            resp.status = falcon.HTTP_404
            return
        try:
            result = self.svc.task_events(tid, page, size, sort, asc)
        except TaskNotFound:
            return text_error(resp, falcon.HTTP_404, not_found_message(tid) + "\n")
        except TaskServiceError as e:
            return _unexpected(resp, e)
        send(req, resp, result)


# =============================================================================================
# contents

class InputContentResource(_Base):
    def on_get(self, req, resp, container_id, task_instance_id):
        v, ok = self.run(req, resp, container_id, task_instance_id, lambda c, t: (c, self.svc.input_content(c, t)))
        if ok:
            send(req, resp, v[1], types=self.svc.types_for(v[0]))


class OutputContentResource(_Base):
    def on_get(self, req, resp, container_id, task_instance_id):
        v, ok = self.run(req, resp, container_id, task_instance_id, lambda c, t: (c, self.svc.output_content(c, t)))
        if ok:
            send(req, resp, v[1], types=self.svc.types_for(v[0]))

    def on_put(self, req, resp, container_id, task_instance_id):
        user = self.task_user(req)

        def save(cid, tid):
            params = self.body(req, cid, MAP, optional=True) or {}
            return self.svc.save_output(cid, tid, user, params, self.groups(req, user))
        cid, ok = self.run(req, resp, container_id, task_instance_id, save, "output")
        if ok:
            send(req, resp, Long(cid), falcon.HTTP_201)


class ContentResource(_Base):
    def on_delete(self, req, resp, container_id, task_instance_id, content_id):
        def delete(cid, tid):
            self.svc.delete_content(cid, tid, _id(content_id))
            return True
        try:
            _, ok = self.run(req, resp, container_id, task_instance_id, delete)
        except _NotFound:
            resp.status = falcon.HTTP_404
            return
        if ok:
            _empty(req, resp, falcon.HTTP_204)


# =============================================================================================
# comments

class CommentsResource(_Base):
    def on_get(self, req, resp, container_id, task_instance_id):
        from marshallers.types.tasks import TaskCommentList
        v, ok = self.run(req, resp, container_id, task_instance_id, lambda c, t: self.svc.comments(c, t))
        if ok:
            send(req, resp, TaskCommentList(items=v))

    def on_post(self, req, resp, container_id, task_instance_id):
        def add(cid, tid):
            c = self.body(req, cid, TaskComment, optional=False)
            return self.svc.add_comment(cid, tid, c.text, c.added_by, c.added_at)
        cid, ok = self.run(req, resp, container_id, task_instance_id, add)
        if ok:
            send(req, resp, Long(cid), falcon.HTTP_201)


class CommentResource(_Base):
    def on_get(self, req, resp, container_id, task_instance_id, comment_id):
        try:
            n = _id(comment_id)
        except _NotFound:
            resp.status = falcon.HTTP_404
            return
        v, ok = self.run(req, resp, container_id, task_instance_id, lambda c, t: self.svc.comment(c, t, n))
        if ok:
            send(req, resp, v)

    def on_delete(self, req, resp, container_id, task_instance_id, comment_id):
        try:
            n = _id(comment_id)
        except _NotFound:
            resp.status = falcon.HTTP_404
            return
        _, ok = self.run(req, resp, container_id, task_instance_id,
                         lambda c, t: self.svc.delete_comment(c, t, n) or True)
        if ok:
            _empty(req, resp, falcon.HTTP_204)


# =============================================================================================
# attachments

class AttachmentsResource(_Base):
    def on_get(self, req, resp, container_id, task_instance_id):
        from marshallers.types.tasks import TaskAttachmentList
        v, ok = self.run(req, resp, container_id, task_instance_id, lambda c, t: self.svc.attachments(c, t))
        if ok:
            send(req, resp, TaskAttachmentList(items=v))

    def on_post(self, req, resp, container_id, task_instance_id):
        user = self.task_user(req)
        name = req.get_param("name")

        def add(cid, tid):
            value = self.body(req, cid, ANY, optional=True)
            if value is None:
                raise TaskServiceError('Cannot invoke "Object.getClass()" because "attachment" is null')
            return self.svc.add_attachment(cid, tid, user, name, value)
        aid, ok = self.run(req, resp, container_id, task_instance_id, add)
        if ok:
            send(req, resp, Long(aid), falcon.HTTP_201)


class AttachmentResource(_Base):
    def on_get(self, req, resp, container_id, task_instance_id, attachment_id):
        try:
            n = _id(attachment_id)
        except _NotFound:
            resp.status = falcon.HTTP_404
            return
        v, ok = self.run(req, resp, container_id, task_instance_id, lambda c, t: self.svc.attachment(c, t, n))
        if ok:
            send(req, resp, v)

    def on_delete(self, req, resp, container_id, task_instance_id, attachment_id):
        try:
            n = _id(attachment_id)
        except _NotFound:
            resp.status = falcon.HTTP_404
            return
        _, ok = self.run(req, resp, container_id, task_instance_id,
                         lambda c, t: self.svc.delete_attachment(c, t, n) or True)
        if ok:
            _empty(req, resp, falcon.HTTP_204)


class AttachmentContentResource(_Base):
    def on_get(self, req, resp, container_id, task_instance_id, attachment_id):
        try:
            n = _id(attachment_id)
        except _NotFound:
            resp.status = falcon.HTTP_404
            return
        v, ok = self.run(req, resp, container_id, task_instance_id,
                         lambda c, t: (c, self.svc.attachment_content(c, t, n)))
        if ok:
            send(req, resp, v[1], types=self.svc.types_for(v[0]))


# =============================================================================================
# queries (RuntimeDataResource task rows)

def _paging(req):
    try:
        page = int(req.get_param("page") or 0)
        size = int(req.get_param("pageSize") or 10)
    except ValueError:
        raise _NotFound() from None
    sort = req.get_param("sort") or None
    asc = (req.get_param("sortOrder") or "true").lower() != "false"
    return page, size, sort, asc


class _Query(_Base):
    def answer(self, req, resp, fn):
        try:
            page, size, sort, asc = _paging(req)
        except _NotFound:
            resp.status = falcon.HTTP_404
            return
        try:
            result = fn(page, size, sort, asc)
        except TaskServiceError as e:
            return _unexpected(resp, e)
        send(req, resp, result)


class PotOwnerTasksResource(_Query):
    def on_get(self, req, resp):
        user = self.query_user(req)
        groups = req.get_param_as_list("groups") or []
        self.answer(req, resp, lambda p, s, o, a: self.svc.pot_owner_tasks(
            user, req.get_param_as_list("status"), groups, req.get_param("filter"), p, s, o, a))


class OwnedTasksResource(_Query):
    def on_get(self, req, resp):
        user = self.query_user(req)
        self.answer(req, resp, lambda p, s, o, a: self.svc.owned_tasks(user, req.get_param_as_list("status"),
                                                                         p, s, o, a))


class AdminTasksResource(_Query):
    def on_get(self, req, resp):
        user = self.query_user(req)
        self.answer(req, resp, lambda p, s, o, a: self.svc.admin_tasks(user, req.get_param_as_list("status"),
                                                                         p, s, o, a))


class AllTasksResource(_Query):
    """GET /queries/tasks/instances (findTasks): the audit rows of the tasks the user owns."""

    def on_get(self, req, resp):
        user = self.query_user(req)
        self.answer(req, resp, lambda p, s, o, a: self.svc.audit_tasks(user, p, s, o, a))


class ProcessTasksResource(_Query):
    def on_get(self, req, resp, process_instance_id):
        try:
            pid = _id(process_instance_id)
        except _NotFound:
            resp.status = falcon.HTTP_404
            return
        self.answer(req, resp, lambda p, s, o, a: self.svc.process_tasks(pid, req.get_param_as_list("status"),
                                                                           p, s, o, a))


class QueryTaskResource(_Base):
    def on_get(self, req, resp, task_instance_id):
        try:
            tid = _id(task_instance_id)
        except _NotFound:
            resp.status = falcon.HTTP_404
            return
        try:
            ti = self.svc.task_by_id(tid)
        except TaskNotFound:
            return text_error(resp, falcon.HTTP_404, not_found_message(tid) + "\n")
        except TaskServiceError as e:
            return _unexpected(resp, e)
        send(req, resp, ti)


class WorkItemTaskResource(_Base):
    def on_get(self, req, resp, work_item_id):
        try:
            wid = _id(work_item_id)
        except _NotFound:
            resp.status = falcon.HTTP_404
            return
        try:
            ti = self.svc.task_by_work_item(wid)
        except TaskNotFound:
            return text_error(resp, falcon.HTTP_404,
                              f'Could not find task instance for work item with id "{wid:,}"\n')
        send(req, resp, ti)


def routes(server, service):
    base = "/containers/{container_id}/tasks"
    one = base + "/{task_instance_id}"
    out = [
        (base + "/states/claimed", BulkClaimResource(server, service)),
        (one, TaskResource(server, service)),
        (one + "/states/{state}", TaskStateResource(server, service)),
        (one + "/events", TaskEventsResource(server, service)),
        (one + "/contents/input", InputContentResource(server, service)),
        (one + "/contents/output", OutputContentResource(server, service)),
        (one + "/contents/{content_id}", ContentResource(server, service)),
        (one + "/comments", CommentsResource(server, service)),
        (one + "/comments/{comment_id}", CommentResource(server, service)),
        (one + "/attachments", AttachmentsResource(server, service)),
        (one + "/attachments/{attachment_id}", AttachmentResource(server, service)),
        (one + "/attachments/{attachment_id}/content", AttachmentContentResource(server, service)),
        ("/queries/tasks/instances", AllTasksResource(server, service)),
        ("/queries/tasks/instances/pot-owners", PotOwnerTasksResource(server, service)),
        ("/queries/tasks/instances/owners", OwnedTasksResource(server, service)),
        ("/queries/tasks/instances/admins", AdminTasksResource(server, service)),
        ("/queries/tasks/instances/process/{process_instance_id}", ProcessTasksResource(server, service)),
        ("/queries/tasks/instances/workitem/{work_item_id}", WorkItemTaskResource(server, service)),
        ("/queries/tasks/instances/{task_instance_id}", QueryTaskResource(server, service)),
        ("/queries/tasks/instances/{task_instance_id}/events", TaskEventsResource(server, service)),
    ]
    for prop in ("priority", "expiration", "skipable", "name", "description"):
        out.append((one + "/" + prop, TaskPropertyResource(server, service, prop)))
    return out
