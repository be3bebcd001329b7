"""The query extension: runtime data queries (KIE's RuntimeDataResource, `/queries/...`) and advanced
query definitions (QueryDataResource, `/queries/definitions/...`) over the jBPM-named tables.

KIE Server ships both inside its jBPM extension, so this one adds no capability to GET /; it needs
the BPM and Tasks extensions' tables.  Each half lives in its own resource module, which contributes a
`routes(server)` function, optionally `start(server)`, `container_created(server, container)` and
`container_disposed(server, container_id)`; peewee models of its own are registered at
import with kieserver.store.db.register, like every other store module.
"""
from __future__ import annotations

import importlib
import logging

from kieserver.extensions import Extension

log = logging.getLogger("kieserver.ext.queries")

PARTS = ("kieserver.resources.queries", "kieserver.resources.querydefs")


def _parts():
    out = []
    for name in PARTS:
        try:
            out.append(importlib.import_module(name))
        except ModuleNotFoundError as e:
            if e.name and name.startswith(e.name):
                continue
            raise
    return out


class QueriesExtension(Extension):
    name = "Queries"
    capability = None
    start_order = 300          # after BPM and Tasks: their tables exist first

    def __init__(self, server):
        super().__init__(server)
        self._modules = _parts()

    def routes(self):
        out = []
        for mod in self._modules:
            out.extend(mod.routes(self.server))
        return out

    def _each(self, hook, *args):
        for mod in self._modules:
            fn = getattr(mod, hook, None)
            if fn:
                fn(self.server, *args)

    def start(self):
        self._each("start")

    def container_created(self, container):
        self._each("container_created", container)

    def container_disposed(self, container_id):
        self._each("container_disposed", container_id)
