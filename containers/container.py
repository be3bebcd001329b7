"""A deployed KIE container: its kjar, its custom classes and the runtimes extensions build on it."""
from __future__ import annotations

import threading

from containers.kjar import Kjar
from containers.values import TypeRegistry


class KieContainer:
    """Everything a container's requests need in memory.  Built from the stored kjar; rebuilt when
    the stored container changes (its revision), so every worker and node serves the same thing.

    Extensions keep their per-container runtime in ``runtimes[name]`` (rules kbases, process
    definitions, DMN models...)."""

    def __init__(self, container_id: str, kjar: Kjar, revision: int = 0):
        self.container_id = container_id
        self.kjar = kjar
        self.release_id = kjar.gav
        self.revision = revision
        self.types = TypeRegistry()
        kjar.define_types(self.types)
        self.runtimes: dict[str, object] = {}
        self.lock = threading.RLock()

    def close(self):
        for rt in self.runtimes.values():
            close = getattr(rt, "close", None)
            if close:
                try:
                    close()
                except Exception:  # noqa: BLE001 - closing must not fail a dispose
                    pass
        self.runtimes.clear()
