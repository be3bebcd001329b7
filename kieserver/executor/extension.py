"""The job executor as a server extension: its REST resources and its worker threads."""
from __future__ import annotations

import kieserver.executor.models  # noqa: F401 - registers the tables
from kieserver.executor.service import ExecutorService
from kieserver.executor.worker import Executor
from kieserver.extensions import Extension
from kieserver.resources import jobs as r


class JobsExtension(Extension):
    name = "Jobs"
    capability = None   # KIE lists the executor under BPM; the BPM extension adds that capability
    start_order = 20

    def __init__(self, server):
        super().__init__(server)
        self.settings = dict(server.config.get("executor") or {})
        self.service = ExecutorService(self.settings, server)
        self.executor = Executor(self.service)
        server.executor = self.service

    def routes(self):
        s, e = self.server, self.service
        return [
            ("/jobs", r.JobsResource(s, e)),
            ("/jobs/{job_id}", r.JobResource(s, e)),
            ("/jobs/{job_id}/data", r.JobDataResource(s, e)),
            ("/jobs/commands/{command}", r.JobsByCommandResource(s, e)),
            ("/jobs/keys/{key}", r.JobsByKeyResource(s, e)),
            ("/jobs/containers/{container_id}", r.JobsByContainerResource(s, e)),
            ("/jobs/processes/instances/{pid}", r.JobsByProcessInstanceResource(s, e)),
        ]

    def start(self):
        if str(self.service.settings.get("enabled", True)).lower() not in ("false", "0", "no"):
            self.executor.start()

    def stop(self):
        self.executor.stop()
