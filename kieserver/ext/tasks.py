"""The human task extension: the task service (server.human_tasks) and its REST resources."""
from __future__ import annotations

import kieserver.store.tasks  # noqa: F401 - registers the tables
from kieserver.extensions import Extension
from kieserver.resources.tasks import routes
from kieserver.services.tasks import RESUME_COMMAND, TaskService


class TasksExtension(Extension):
    name = "Tasks"
    capability = None      # KIE lists the task endpoints under BPM (the process extension's capability)
    start_order = 25

    def __init__(self, server):
        super().__init__(server)
        self.service = TaskService(server)
        server.human_tasks = self.service

    def routes(self):
        return routes(self.server, self.service)

    def start(self):
        # tasks suspended with suspendUntil are resumed by a job when the executor runs
        try:
            from kieserver.executor.commands import register_command
        except ImportError:  # pragma: no cover - executor not installed
            return
        service = self.service

        def resume(ctx):
            return {"resumed": service.resume_due()}
        register_command(RESUME_COMMAND, resume)
