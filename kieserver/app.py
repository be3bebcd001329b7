"""The falcon application: middleware (authentication, format negotiation), routes, error mapping."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import threading

import falcon

from kieserver.config import Config, load_config, verify_password
from kieserver.resources import maven, server as core
from kieserver.resources.base import BINARY_TYPES, REST_ROOT
from kieserver.server import KieServer
from marshallers import FormatError, JAXB, MarshallingFormat, select_format
from marshallers.formats import negotiate_accept

log = logging.getLogger("kieserver.http")

REALM = 'Basic realm="KIE Server"'
UNAUTHENTICATED = {REST_ROOT + "/readycheck", REST_ROOT + "/healthcheck"}


class Identity:
    __slots__ = ("user", "roles")

    def __init__(self, user, roles):
        self.user = user
        self.roles = roles


class AuthMiddleware:
    """HTTP Basic (realm "KIE Server") or a bearer token; role kie-server (or user) required."""

    ALLOWED_ROLES = ("kie-server", "user")

    def __init__(self, config: Config):
        self.config = config
        self._cache: dict[str, Identity | None] = {}
        self._lock = threading.Lock()

    def _authenticate(self, header):
        key = hashlib.sha256(header.encode("utf-8", "surrogateescape")).hexdigest()
        ident = self._cache.get(key)
        if ident is not None:
            return ident
        ident = self._check(header)
        if ident is not None:
            with self._lock:
                if len(self._cache) > 1000:
                    self._cache.clear()
                self._cache[key] = ident
        return ident

    def _check(self, header):
        scheme, _, value = header.partition(" ")
        users = self.config.get("users") or {}
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None
            user, sep, password = decoded.partition(":")
            if not sep:
                return None
            u = users.get(user)
            if not u or not verify_password(password, str(u.get("password") or "")):
                return None
            return Identity(user, self.config.user_groups(user))
        if scheme.lower() == "bearer":
            tokens = self.config.get("tokens") or {}
            for token, user in tokens.items():
                if hmac.compare_digest(str(token), value.strip()):
                    return Identity(user, self.config.user_groups(user))
        return None

    def process_request(self, req, resp):
        if req.method == "OPTIONS" or req.path in UNAUTHENTICATED:
            req.context.identity = None
            return
        header = req.get_header("Authorization")
        ident = self._authenticate(header) if header else None
        if ident is None:
            raise falcon.HTTPUnauthorized(title="Unauthorized", description="Authentication required",
                                          challenges=[REALM])
        if not any(r in ident.roles for r in self.ALLOWED_ROLES):
            raise falcon.HTTPForbidden(title="Forbidden",
                                       description=f"User '{ident.user}' does not have role kie-server")
        req.context.identity = ident


class FormatMiddleware:
    """Chooses the marshalling format exactly as KIE Server's RestUtils does."""

    def __init__(self, config: Config):
        self.max_body = int(config.server.get("max_body_bytes") or 100 * 1024 * 1024)

    def process_request(self, req, resp):
        req.context.max_body = self.max_body
        if not req.path.startswith(REST_ROOT):
            return
        ctype = req.get_header("Content-Type")
        if ctype and ctype.split(";")[0].strip().lower() in BINARY_TYPES:
            ctype = None  # a kjar upload: the answer's format comes from Accept
        accept = req.get_header("Accept")
        try:
            fmt, media = select_format(accept, ctype, req.get_header("X-KIE-ContentType"))
        except FormatError as e:
            if req.get_header("X-KIE-ContentType"):
                raise falcon.HTTPInternalServerError(title="Invalid format", description=str(e)) from None
            if req.content_length and req.method in ("POST", "PUT"):
                raise falcon.HTTPUnsupportedMediaType(
                    description=f"Content-Type '{ctype}' is not supported: use application/json or application/xml")
            fmt, media = JAXB, "application/xml"
        if accept and negotiate_accept(accept) is None and "*/*" not in accept and req.path not in UNAUTHENTICATED:
            if not (req.get_header("X-KIE-ContentType") or ctype):
                raise falcon.HTTPNotAcceptable(description=f"None of the accepted types '{accept}' can be produced")
        req.context.fmt = fmt
        req.context.media = media if fmt.kind is not MarshallingFormat.XSTREAM or media.startswith("application/xml") \
            else "application/xml"

    def process_response(self, req, resp, resource, req_succeeded):
        conv = req.get_header("X-KIE-ConversationId")
        if conv:
            resp.set_header("X-KIE-ConversationId", conv)


def _error_serializer(req, resp, exc: falcon.HTTPError):
    resp.content_type = "text/plain"
    resp.text = exc.description or exc.title or ""


def _unexpected(req, resp, ex, params):
    if isinstance(ex, falcon.HTTPError):
        raise ex
    log.exception("Unexpected error on %s %s", req.method, req.path)
    resp.status = falcon.HTTP_500
    resp.content_type = "text/plain"
    resp.text = f'"Unexpected error during processing: {ex}\n"'


class KieApp(falcon.App):
    """falcon.App that keeps a reference to its KieServer (``app.kie_server``)."""


def create_app(config: Config | None = None, server: KieServer | None = None, *, start=True) -> falcon.App:
    config = config or load_config()
    server = server or KieServer(config)
    if start and not server.ready:
        server.open()
    app = KieApp(middleware=[FormatMiddleware(config), AuthMiddleware(config)])
    app.req_options.strip_url_path_trailing_slash = True
    app.req_options.auto_parse_qs_csv = False
    app.req_options.keep_blank_qs_values = True
    app.set_error_serializer(_error_serializer)
    app.add_error_handler(Exception, _unexpected)
    app.kie_server = server

    r = REST_ROOT
    app.add_route(r, core.ServerInfoResource(server))
    app.add_route(r + "/containers", core.ContainersResource(server))
    app.add_route(r + "/containers/{container_id}", core.ContainerResource(server))
    app.add_route(r + "/containers/{container_id}/status/activated", core.ContainerStatusResource(server, "activated"))
    app.add_route(r + "/containers/{container_id}/status/deactivated", core.ContainerStatusResource(server, "deactivated"))
    app.add_route(r + "/containers/{container_id}/scanner", core.ScannerResource(server))
    app.add_route(r + "/containers/{container_id}/release-id", core.ReleaseIdResource(server))
    app.add_route(r + "/state", core.StateResource(server))
    app.add_route(r + "/readycheck", core.ReadyResource(server))
    app.add_route(r + "/healthcheck", core.HealthResource(server))
    app.add_route(r + "/config", core.ConfigResource(server))
    mvn = maven.MavenResource(server)
    app.add_route("/kie-server/maven2", mvn)
    app.add_route("/kie-server/maven2/{path:path}", mvn)
    for ext in server.extensions:
        for template, resource in ext.routes():
            app.add_route(r + template, resource)
    return app
