"""ExecutorResource: /jobs (schedule, cancel, requeue, data, queries)."""
from __future__ import annotations

import falcon

from kieserver.executor.commands import UnknownCommand
from kieserver.executor.service import JobNotFound, JobStateError
from kieserver.resources.base import BodyError, bool_param, read_body, send, text_error
from marshallers import MAP
from marshallers.dates import UTC
from marshallers.types.jobs import (ErrorInfoInstance, ErrorInfoInstanceList, JobRequestInstance,
                                    RequestInfoInstance, RequestInfoInstanceList)


def _aware(d):
    return d.replace(tzinfo=UTC) if d is not None and d.tzinfo is None else d


def to_instance(svc, job, with_errors=False, with_data=False, types=None):
    from kieserver.executor.service import decode_data
    inst = RequestInfoInstance(id=job.id, status=job.status, business_key=job.businesskey, message=job.message,
                               retries=job.retries, executions=job.executions, command=job.commandname,
                               scheduled_date=_aware(job.timestamp), container_id=job.deploymentid)
    if with_errors:
        inst.errors = ErrorInfoInstanceList(items=[
            ErrorInfoInstance(id=e.id, request_id=job.id, message=e.message, stacktrace=e.stacktrace,
                              error_date=_aware(e.timestamp)) for e in svc.errors(job.id)])
    if with_data:
        inst.data = decode_data(job.requestdata, types)
        inst.response_data = decode_data(job.responsedata, types)
    return inst


def _paging(req):
    try:
        return int(req.get_param("page") or 0), int(req.get_param("pageSize") or 10)
    except ValueError:
        raise falcon.HTTPBadRequest(description="page and pageSize must be numbers") from None


class _Base:
    def __init__(self, server, executor_service):
        self.server = server
        self.svc = executor_service

    def _types(self, container_id):
        if not container_id:
            return None
        kc = self.server.containers.runtime(container_id)
        return kc.types if kc is not None else None

    def _list(self, req, resp, default_statuses, **filters):
        statuses = req.get_param_as_list("status") or default_statuses
        page, size = _paging(req)
        try:
            jobs = self.svc.find(statuses, page, size, **filters)
        except JobStateError as e:
            return text_error(resp, falcon.HTTP_500, f"Unexpected error during processing: {e}\n")
        send(req, resp, RequestInfoInstanceList(items=[to_instance(self.svc, j) for j in jobs]))


class JobsResource(_Base):
    def on_get(self, req, resp):
        self._list(req, resp, ["QUEUED"])

    def on_post(self, req, resp):
        container_id = req.get_param("containerId") or None
        types = self._types(container_id)
        if container_id and types is None:
            return text_error(resp, falcon.HTTP_500, f"Container '{container_id}' is not instantiated or "
                                                     f"cannot find container for alias '{container_id}'")
        try:
            job = read_body(req, JobRequestInstance, types=types)
            job_id = self.svc.schedule(job.command, job.data, job.scheduled_date, container_id)
        except BodyError as e:
            return text_error(resp, falcon.HTTP_400, f"Unable to read the job request: {e}")
        except (UnknownCommand, JobStateError) as e:
            return text_error(resp, falcon.HTTP_400, str(e))
        from containers.values import Long
        send(req, resp, Long(job_id), falcon.HTTP_201)


class JobResource(_Base):
    def on_get(self, req, resp, job_id):
        try:
            job = self.svc.get(int(job_id))
        except (JobNotFound, ValueError):
            return text_error(resp, falcon.HTTP_404, f"Request with id: {job_id} doesn't exist")
        types = self._types(job.deploymentid)
        send(req, resp, to_instance(self.svc, job, bool_param(req, "withErrors"), bool_param(req, "withData"), types),
             types=types)

    def on_delete(self, req, resp, job_id):
        try:
            self.svc.cancel(int(job_id))
        except (JobNotFound, ValueError):
            return text_error(resp, falcon.HTTP_404, f"Request with id: {job_id} doesn't exist")
        resp.status = falcon.HTTP_204

    def on_put(self, req, resp, job_id):
        try:
            self.svc.requeue(int(job_id))
        except (JobNotFound, ValueError):
            return text_error(resp, falcon.HTTP_404, f"Request with id: {job_id} doesn't exist")
        _empty(req, resp)


class JobDataResource(_Base):
    def on_post(self, req, resp, job_id):
        container_id = req.get_param("containerId") or None
        try:
            data = read_body(req, MAP, types=self._types(container_id))
            self.svc.update_data(int(job_id), data)
        except BodyError as e:
            return text_error(resp, falcon.HTTP_400, f"Unable to read the job data: {e}")
        except (JobNotFound, ValueError):
            return text_error(resp, falcon.HTTP_404, f"Request with id: {job_id} doesn't exist")
        except JobStateError as e:
            return text_error(resp, falcon.HTTP_400, str(e))
        _empty(req, resp)


def _empty(req, resp):
    """KIE's createResponse("", ...): 201 with an empty string marshalled (JSON `""`)."""
    resp.status = falcon.HTTP_201
    resp.content_type = req.context.media
    resp.text = '""' if req.context.media.startswith("application/json") else ""


class JobsByCommandResource(_Base):
    def on_get(self, req, resp, command):
        self._list(req, resp, None, command=command)


class JobsByKeyResource(_Base):
    def on_get(self, req, resp, key):
        self._list(req, resp, None, business_key=key)


class JobsByContainerResource(_Base):
    def on_get(self, req, resp, container_id):
        self._list(req, resp, ["QUEUED"], container_id=container_id)


class JobsByProcessInstanceResource(_Base):
    def on_get(self, req, resp, pid):
        try:
            pid = int(pid)
        except ValueError:
            return text_error(resp, falcon.HTTP_400, f"Invalid process instance id '{pid}'")
        self._list(req, resp, ["QUEUED"], process_instance_id=pid)
