"""Archive export tasks and their failures (``webapi/archive_export/tasks``).

The listing is a POST without a body (L7182-7199, Q7); a server that answers 404 or 405 to the POST is
asked with GET. It pages with ``page``/``size`` whose base the reference contradicts (Q28): the
collector starts at page 0 (page 1 if 0 is refused with 400), collects tasks by id, and stops when it
has ``TotalItems`` tasks (or, without a total above 0, at a page shorter than ``size``), after two pages
that add no task (a 1-based server's page 0 repeats page 1), or at :data:`MAX_PAGES`.

The history is the **calling user's** (L7186): the exporter sees the tasks of the user it logs in as.
Task states and errors are counted per server; a task seen failing (an ``Error`` other than ``None``, or
the state ``Error``) is counted once in a counter, so an alert on new failures survives the task's
expiry from the history. Tasks failed before the exporter started are counted on its first read (the
counter starts there; ``increase()`` sees only what comes after).
"""

from __future__ import annotations

from collections import Counter, OrderedDict

from pydantic import Field

from eocexporter.client import endpoints
from eocexporter.client.archive_payloads import parse_export_tasks
from eocexporter.client.errors import ApiHttpError, ApiNotFound
from eocexporter.client.reading import read_payload
from eocexporter.collectors.base import CollectContext, ServerTarget, unsupported
from eocexporter.model import EXPORT_ERRORS, EXPORT_STATES, NO_ERROR, ArchiveExportSection, ExportTask
from eocexporter.options import CollectorConfig, Duration

ENDPOINT = endpoints.ARCHIVE_EXPORT_TASKS
MAX_PAGES = 50
FAILED_STATE = "Error"
UNKNOWN_ERROR = "unknown"  # the state says Error, the Error field says nothing (or None)
# Task ids remembered as counted, per server; beyond this the oldest are forgotten (a task that old has
# left the history long ago).
MAX_REMEMBERED = 100_000
NOTHING = ArchiveExportSection(tasks=(), failures={})
NO_LISTING = object()  # a server without the listing (404 or 405 to both methods); a body can be null


class ArchiveExportConfig(CollectorConfig):
    interval: Duration = 300.0
    page_size: int = Field(500, ge=1, le=100_000)


class ArchiveExportCollector:
    def __init__(self) -> None:
        # (target, server_id) -> ids of the tasks counted as failed, oldest first; failures by error
        self._counted: dict[tuple[str, str], OrderedDict[str, None]] = {}
        self._failures: dict[tuple[str, str], Counter[str]] = {}
        self._method: dict[tuple[str, str], str] = {}  # the method the server answered: POST or GET

    async def collect(
        self, ctx: CollectContext[ArchiveExportConfig], target: ServerTarget
    ) -> ArchiveExportSection:
        client, server_id = ctx.client, target.server.server_id
        if not client.support.due(server_id, ENDPOINT):
            return NOTHING
        key = (client.target.name, server_id)
        tasks = await self._tasks(ctx, target, key)
        if tasks is None:
            unsupported(ctx, target, ENDPOINT, "404: a version without webapi", "archive export series")
            return NOTHING
        client.support.record(server_id, ENDPOINT, supported=True)
        for task in tasks:
            if task.state not in (*EXPORT_STATES.values(), None):
                client.stats.unknown_value(ENDPOINT, "State")
            if task.error not in (*EXPORT_ERRORS.values(), None):
                client.stats.unknown_value(ENDPOINT, "Error")
        failures = self._count_failures(key, tasks)
        return ArchiveExportSection(
            tasks=tuple(sorted(tasks, key=lambda task: task.task_id)), failures=failures
        )

    async def _tasks(
        self, ctx: CollectContext[ArchiveExportConfig], target: ServerTarget, key: tuple[str, str]
    ) -> list[ExportTask] | None:
        """Every task of the history, or None when the server has no such listing."""
        client, server_id, size = ctx.client, target.server.server_id, ctx.config.page_size
        found: dict[str, ExportTask] = {}
        fruitless = 0
        for page in range(MAX_PAGES):
            params = {"page": str(page), "size": str(size)}
            try:
                payload = await self._page(ctx, target, key, params)
            except ApiHttpError as exc:
                if page == 0 and exc.status == 400:
                    continue  # a server whose pages start at 1 may refuse page 0
                raise
            if payload is NO_LISTING:
                return None
            listed = read_payload(client, ENDPOINT, server_id, parse_export_tasks, payload)
            before = len(found)
            for task in listed.tasks:
                found.setdefault(task.task_id, task)
            fruitless = fruitless + 1 if len(found) == before else 0
            if fruitless >= 2:
                break
            if listed.total is not None and listed.total > 0:
                # A server that caps the page below `size` answers short pages before the end: trust the
                # total where there is one (the example's 0 beside one item is none, Q28).
                if len(found) >= listed.total:
                    break
            elif listed.items_on_page < size:
                break
        return list(found.values())

    async def _page(
        self,
        ctx: CollectContext[ArchiveExportConfig],
        target: ServerTarget,
        key: tuple[str, str],
        params: dict[str, str],
    ) -> object:
        """The page's document (which may be JSON null), or NO_LISTING when the server has none."""
        client = ctx.client
        methods = [self._method[key]] if key in self._method else ["POST", "GET"]
        for method in methods:
            try:
                payload = await client.get_json(target.base_url, ENDPOINT, ENDPOINT, params, method=method)
            except ApiHttpError as exc:
                if exc.status in (404, 405) and method != methods[-1]:
                    continue  # POST as printed was not it: GET
                if isinstance(exc, ApiNotFound) or exc.status == 405:
                    self._method.pop(key, None)
                    return NO_LISTING
                raise
            self._method[key] = method
            return payload
        return NO_LISTING

    def _count_failures(self, key: tuple[str, str], tasks: list[ExportTask]) -> dict[str, int]:
        counted = self._counted.setdefault(key, OrderedDict())
        failures = self._failures.setdefault(key, Counter({error: 0 for error in _FAILURE_ERRORS}))
        for task in tasks:
            error = _failure(task)
            if error is None or task.task_id in counted:
                continue
            counted[task.task_id] = None
            failures[error] += 1
            if len(counted) > MAX_REMEMBERED:
                counted.popitem(last=False)
        return dict(sorted(failures.items()))


# Every documented error but None: each has its failure counter from the first read, at 0, so the
# first failure of a kind is an increase and not a new series.
_FAILURE_ERRORS = tuple(error for error in EXPORT_ERRORS.values() if error != NO_ERROR)


def _failure(task: ExportTask) -> str | None:
    """The error a failed task failed with; None for a task that did not fail."""
    if task.error not in (None, NO_ERROR):
        return task.error
    if task.state == FAILED_STATE:
        return UNKNOWN_ERROR
    return None
