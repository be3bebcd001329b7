"""The contract between the process service (BPM extension) and the human task service.

The BPM extension creates tasks when a process reaches a user task and exits them when the
process or node goes away; the task service reports completion back so the process continues.
Each side installs itself on the KieServer at construction:

    server.human_tasks = TaskService(...)          # by the tasks extension
    server.process_callbacks = ProcessService(...) # by the BPM extension

Either may be None when its extension is disabled.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class HumanTaskSpec:
    """What a user task node asks for (jBPM's Human Task work item parameters, resolved)."""
    container_id: str                      # deployment id
    process_instance_id: int
    process_id: str
    work_item_id: int
    node_instance_id: int | None = None
    node_name: str | None = None
    name: str | None = None                # TaskName / node name
    subject: str | None = None
    description: str | None = None         # Description / Comment
    form_name: str | None = None           # TaskName (jBPM uses it as form name)
    priority: int = 0
    skippable: bool = True
    actor_ids: list[str] = field(default_factory=list)        # ActorId, comma-separated in BPMN
    group_ids: list[str] = field(default_factory=list)        # GroupId
    business_admins: list[str] = field(default_factory=list)  # BusinessAdministratorId (users)
    business_admin_groups: list[str] = field(default_factory=list)  # BusinessAdministratorGroupId
    excluded_owners: list[str] = field(default_factory=list)  # ExcludedOwnerId
    created_by: str | None = None          # CreatedBy (default: the process initiator)
    expiration_date: object = None         # datetime or None
    due_date: object = None
    parent_id: int = -1
    correlation_key: str | None = None
    process_type: int | None = None
    inputs: dict = field(default_factory=dict)   # task input data (Java-typed values)


class HumanTasks(Protocol):
    def create_task(self, spec: HumanTaskSpec) -> int:
        """Create and persist the task (in the caller's transaction); return its id."""

    def exit_tasks_of_process(self, process_instance_id: int, user: str | None = None) -> None:
        """The process was aborted: every open task of it goes to Exited."""

    def exit_task_of_work_item(self, work_item_id: int) -> None:
        """The node was cancelled (boundary event, terminate...): its task goes to Exited."""


class ProcessCallbacks(Protocol):
    def complete_work_item(self, container_id: str, process_instance_id: int, work_item_id: int,
                           results: dict, user: str | None = None) -> None:
        """A task was completed (or skipped): complete its work item with the task's outputs."""

    def abort_work_item(self, container_id: str, process_instance_id: int, work_item_id: int,
                        user: str | None = None) -> None:
        """A task failed or was exited: abort its work item."""
