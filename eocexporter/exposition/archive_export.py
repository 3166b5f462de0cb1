"""Archive export tasks and their failures (``webapi/archive_export/tasks``; the archive_export
collector). The history is that of the user the exporter logs in as (L7186)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from eocexporter.exposition.family import SeriesSet, counter, gauge
from eocexporter.model import EXPORT_ERRORS, EXPORT_STATES, NO_ERROR, ArchiveExportSection

EXPORT_TASKS = gauge(
    "eocortex_archive_export_tasks",
    "Archive export tasks in the history of the exporter's user by State (webapi/archive_export/tasks:"
    " InQueue, InProcess, Cancelled, Error, Done, Expired; any other value as reported).",
    ("target", "server_id", "state"),
    polled_by="archive_export",
)
EXPORT_TASK_ERRORS = gauge(
    "eocortex_archive_export_task_errors",
    "Archive export tasks in the history of the exporter's user by Error other than None"
    " (InternalServerFailure, NotEnoughSpace, FileLocked; any other value as reported).",
    ("target", "server_id", "error"),
    polled_by="archive_export",
)
EXPORT_FAILURES = counter(
    "eocortex_archive_export_failures",
    "Archive export tasks seen failing since the exporter started, by Error (a task counted once;"
    " error=unknown for the state Error without one). Tasks that had failed before the start are counted"
    " on the first read.",
    ("target", "server_id", "error"),
    polled_by="archive_export",
)

FAMILIES = (EXPORT_TASKS, EXPORT_TASK_ERRORS, EXPORT_FAILURES)


def render(series: SeriesSet, target: str, sections: Mapping[str, ArchiveExportSection]) -> None:
    for server_id, section in sorted(sections.items()):
        if not section.tasks and not section.failures:
            continue  # the server has no such listing
        states = Counter(task.state for task in section.tasks if task.state is not None)
        errors = Counter(task.error for task in section.tasks if task.error not in (None, NO_ERROR))
        # Every documented state and error has a series, at 0 when no task has it: "no failed task" is a
        # value, and an alert's for: clock needs the series before the first failure.
        for state in sorted({*EXPORT_STATES.values(), *states}):
            series.add(EXPORT_TASKS, (target, server_id, state), states[state])
        for error in sorted({*EXPORT_ERRORS.values(), *errors} - {NO_ERROR}):
            series.add(EXPORT_TASK_ERRORS, (target, server_id, error), errors[error])
        for error, count in sorted(section.failures.items()):
            series.add(EXPORT_FAILURES, (target, server_id, error), count)
