"""The ``backfill`` command: discovery on the chosen targets, then report history into Parquet.

It checks the request (a Parquet root, report datasets only, known targets), runs discovery on each
chosen target, and hands :func:`eocexporter.parquet.backfill.backfill_reports` the snapshot of what it
found and the targets' report readers, so the history is fetched with the same options as the live
collectors (``collectors.visitors.cameras_per_request``) and written under the live sink's names.

A request it cannot carry out as given (no Parquet root, a dataset without history, an unknown target)
raises :class:`BackfillUsageError` before any server is asked (the command exits 2). A target whose
discovery fails is left out and named in the result, and the others are backfilled; only when no target
can be reached, or the store cannot be listed, does it raise :class:`BackfillError` (exit 1). Intervals
that fail are counted in the result.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TextIO

from eocexporter.config import Settings
from eocexporter.exporter import RuntimeReportSource, exporter_snapshot
from eocexporter.logs import without_credentials
from eocexporter.parquet.backfill import (
    BackfillError,
    BackfillResult,
    BackfillUsageError,
    backfill_reports,
)
from eocexporter.parquet.schemas import REPORT_DATASETS
from eocexporter.parquet.storage import ParquetStore, StoreError
from eocexporter.runtime import TargetRuntime, system_now

__all__ = ["BackfillError", "BackfillResult", "BackfillUsageError", "backfill"]


async def backfill(
    settings: Settings,
    start: datetime,
    end: datetime,
    datasets: list[str] | None = None,
    targets: list[str] | None = None,
    now: Callable[[], datetime] = system_now,
    progress_stream: TextIO | None = sys.stderr,
) -> BackfillResult:
    config = settings.parquet
    if not config.enabled:
        raise BackfillUsageError("parquet.root is not set: nowhere to write")
    chosen_datasets = datasets or [d for d in REPORT_DATASETS if getattr(config.datasets, d).enabled]
    for dataset in chosen_datasets:
        if dataset not in REPORT_DATASETS:
            raise BackfillUsageError(
                f"{dataset} has no history in the Eocortex API; only {', '.join(REPORT_DATASETS)}"
            )
    known = {target.name for target in settings.targets}
    for name in targets or []:
        if name not in known:
            raise BackfillUsageError(f"no target named {name!r} in the configuration")
    # Never ask about an interval that has not closed yet: its numbers would still change.
    end = min(end, now())
    runtimes = [TargetRuntime(t, settings, now) for t in settings.targets if not targets or t.name in targets]
    try:
        found = await asyncio.gather(*(runtime.run_discovery() for runtime in runtimes))
        reached = [runtime for runtime, ok in zip(runtimes, found, strict=True) if ok]
        # One installation down must not cost the others their history: it is named in the summary.
        unreached = [
            f"target {runtime.target.name}: {runtime.last_error}"
            for runtime, ok in zip(runtimes, found, strict=True)
            if not ok
        ]
        if not reached:
            raise BackfillError("; ".join(unreached))
        store = ParquetStore(config)
        try:
            result = await backfill_reports(
                store,
                exporter_snapshot(reached),
                RuntimeReportSource(reached),
                chosen_datasets,
                start,
                end,
                config.report_interval,
                progress_stream,
                # A configured URL cannot hold credentials; an address from configure/servers is the
                # server's say, so it is shown without any.
                addresses={
                    (runtime.target.name, server_id): without_credentials(url)
                    for runtime in reached
                    for server_id, url in runtime.urls.items()
                    if url
                },
            )
        except StoreError as exc:  # the store cannot even be listed (one interval's write is counted)
            raise BackfillError(f"parquet: {exc}") from None
        result.unreached_targets.extend(unreached)
        return result
    finally:
        await asyncio.gather(*(runtime.close() for runtime in runtimes))
