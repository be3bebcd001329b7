"""/kie-server/maven2/: a Maven repository to `mvn deploy` kjars to (and to read them back)."""
from __future__ import annotations

import falcon

from kieserver.resources.base import read_raw
from kieserver.services.maven import MavenPathError


class MavenResource:
    def __init__(self, server):
        self.server = server

    def on_get(self, req, resp, path=""):
        repo = self.server.maven
        got = repo.get(path) if path and not path.endswith("/") else None
        if got is None:
            names = repo.list_dir(path)
            if not names:
                raise falcon.HTTPNotFound(description=f"No artifact at {path or '/'}")
            resp.content_type = "text/html; charset=utf-8"
            links = "".join(f'<a href="{n}">{n}</a>\n' for n in names)
            resp.text = f"<html><body><pre>\n{links}</pre></body></html>\n"
            return
        data, sha1 = got
        resp.content_type = _content_type(path)
        resp.set_header("ETag", f'"{sha1}"')
        resp.data = data

    def on_head(self, req, resp, path=""):
        self.on_get(req, resp, path)
        resp.data = b""

    def on_put(self, req, resp, path=""):
        data = read_raw(req)
        try:
            created = self.server.maven.put(path, data)
        except MavenPathError as e:
            raise falcon.HTTPBadRequest(description=str(e)) from None
        resp.status = falcon.HTTP_201 if created else falcon.HTTP_200
        resp.content_type = "text/plain"
        resp.text = ""

    on_post = on_put


def _content_type(path):
    if path.endswith((".jar", ".zip")):
        return "application/java-archive"
    if path.endswith((".pom", ".xml")):
        return "application/xml"
    if path.endswith((".sha1", ".md5", ".sha256", ".sha512")):
        return "text/plain"
    return "application/octet-stream"
