"""The BPM extension lives in kieserver.services.processes (the process service with jBPM's runtime
and audit tables); this name stays importable for configurations that used it."""
from kieserver.services.processes import BpmExtension  # noqa: F401
