"""What every REST resource shares: reading bodies in the negotiated format and writing answers.

Resources stay thin: parse (these helpers), call a service, marshal (these helpers).
"""
from __future__ import annotations

import falcon

from marshallers import (MarshallingError, MarshallingFormat, marshal, unmarshal)
from marshallers.types.core import ServiceResponse

REST_ROOT = "/kie-server/services/rest/server"

BINARY_TYPES = ("application/java-archive", "application/zip", "application/octet-stream",
                "application/x-java-archive", "application/x-zip-compressed")


class BodyError(Exception):
    """A request body that could not be read: the resource answers it in its own error style."""


def read_raw(req) -> bytes:
    limit = req.context.max_body
    if req.content_length is not None and req.content_length > limit:
        raise falcon.HTTPPayloadTooLarge(description=f"Request body larger than {limit} bytes")
    data = req.bounded_stream.read(limit + 1)
    if len(data) > limit:
        raise falcon.HTTPPayloadTooLarge(description=f"Request body larger than {limit} bytes")
    return data


def read_body(req, expected, *, types=None, optional=False):
    """The request body unmarshalled as `expected` in the request's format.

    Returns None for an empty body when optional; raises BodyError with a clear message otherwise."""
    data = read_raw(req)
    if not data.strip():
        if optional:
            return None
        raise BodyError("Request body is empty")
    try:
        return unmarshal(data, req.context.fmt, expected, types=types)
    except MarshallingError as e:
        raise BodyError(str(e)) from None
    except UnicodeDecodeError:
        raise BodyError("Request body is not valid UTF-8") from None


def media_for(req) -> str:
    return req.context.media


def send(req, resp, value, status=falcon.HTTP_200, *, types=None, fmt=None):
    """Marshal a value in the negotiated format (with the negotiated response media type)."""
    fmt = fmt or req.context.fmt
    resp.status = status
    resp.content_type = req.context.media
    resp.text = marshal(value, fmt, types=types)


def send_service_response(req, resp, sr: ServiceResponse, status=None, *, ok_status=falcon.HTTP_200,
                          fail_status=falcon.HTTP_200):
    if status is None:
        status = ok_status if sr.type == "SUCCESS" else fail_status
    send(req, resp, sr, status)


def send_failure(req, resp, msg, status=falcon.HTTP_400):
    send(req, resp, ServiceResponse.failure(msg), status)


def quoted(message: str) -> str:
    """jBPM resources' text/plain error body: the message in double quotes, nothing escaped."""
    return f'"{message}"'


def text_error(resp, status, message, quote=True):
    resp.status = status
    resp.content_type = "text/plain"
    resp.text = quoted(message) if quote else message


def bool_param(req, name, default=False):
    v = req.get_param(name)
    if v is None or v == "":
        return default
    return v.strip().lower() == "true"


def is_json(req):
    return req.context.fmt.kind is MarshallingFormat.JSON


def set_conversation_id(req, resp, server, container_id):
    """X-KIE-ConversationId as RestUtils.buildConversationIdHeader: the client's value is echoed
    (by the middleware); otherwise a new one when the URL names a STARTED container."""
    if req.get_header("X-KIE-ConversationId"):
        return
    conv = server.conversation_id(container_id)
    if conv:
        resp.set_header("X-KIE-ConversationId", conv)
