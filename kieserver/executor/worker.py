"""Worker threads that poll the store for due jobs, in every server process."""
from __future__ import annotations

import logging
import threading
import time

from kieserver.executor.service import ExecutorService

log = logging.getLogger("kieserver.executor")


class Executor:
    def __init__(self, service: ExecutorService):
        self.service = service
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def running(self):
        return any(t.is_alive() for t in self._threads)

    def start(self):
        if self.running:
            return
        self._stop.clear()
        n = max(1, int(self.service.settings.get("threads") or 1))
        for i in range(n):
            t = threading.Thread(target=self._loop, name=f"kie-executor-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout=10):
        self._stop.set()
        for t in self._threads:
            t.join(timeout)
        self._threads = []

    def _loop(self):
        interval = float(self.service.settings.get("interval") or 1.0)
        last_recovery = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() - last_recovery > max(interval, 5.0):
                    last_recovery = time.monotonic()
                    self.service.recover_stale()
                worked = self.service.run_once()
            except Exception:  # noqa: BLE001 - a store hiccup must not kill the worker
                log.exception("Executor worker error")
                worked = False
            if not worked:
                self._stop.wait(interval)
