"""Server extensions: a small kernel plus extensions (BRM, BPM, DMN, jobs...) as KIE Server has.

An extension contributes a capability string to GET /, REST resources, peewee models, and hooks
into the container lifecycle.  Enable it by name in conf/kieserver.yaml `extensions:`.
"""
from __future__ import annotations

import importlib
import logging

log = logging.getLogger("kieserver.extensions")


class ContainerSetupError(Exception):
    """Raised by an extension's container_created hook: the container becomes FAILED with these
    messages (each a string shown in the container's ERROR message)."""

    def __init__(self, messages):
        if isinstance(messages, str):
            messages = [messages]
        super().__init__("; ".join(messages))
        self.messages = list(messages)


class Extension:
    name = "extension"
    capability: str | None = None     # e.g. "BRM"; None contributes nothing to GET /
    start_order = 100
    models: tuple = ()                # peewee models (registered with kieserver.store.db.register)

    def __init__(self, server):
        self.server = server

    def routes(self):
        """[(uri template relative to /kie-server/services/rest/server, falcon resource), ...]"""
        return []

    def start(self):
        """Called in every server process once the store is open."""

    def stop(self):
        """Called on shutdown."""

    def container_created(self, container):
        """Build this extension's runtime for a KieContainer (compile rules, parse processes).
        Raise ContainerSetupError to fail the container.  Called when a container is created and
        when a process (re)loads it from the store."""

    def container_disposing(self, container_id: str, abort_instances: bool):
        """Return a reason string to refuse the dispose (e.g. active process instances)."""
        return None

    def container_disposed(self, container_id: str):
        """The container is gone: drop its durable state if the extension owns any."""

    def health(self):
        """A list of marshallers.types.core.Message describing problems (ERROR makes it 503)."""
        return []


# name in config -> "module:Class"; a module that is not importable yet is skipped
KNOWN = {
    "BRM": "kieserver.ext.brm:BrmExtension",
    "BPM": "kieserver.services.processes:BpmExtension",
    "DMN": "kieserver.ext.dmn:DmnExtension",
    "Jobs": "kieserver.executor.extension:JobsExtension",
    "Tasks": "kieserver.ext.tasks:TasksExtension",
    "Queries": "kieserver.ext.queries:QueriesExtension",
}


def load_extensions(server, names):
    out = []
    for name in names:
        if name == "KieServer":
            continue
        target = KNOWN.get(name, name if ":" in str(name) else None)
        if target is None:
            log.warning("Unknown extension %r ignored", name)
            continue
        module, _, cls = target.partition(":")
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name and module.startswith(e.name):
                log.info("Extension %s not available (%s)", name, e)
                continue
            raise
        out.append(getattr(mod, cls)(server))
    out.sort(key=lambda e: e.start_order)
    return out
