"""The ``backfill`` command: discovery on the chosen targets, then report history into Parquet.

It checks the request (a Parquet root, report datasets only, known targets), runs discovery on each
chosen target, and hands :func:`eocexporter.parquet.backfill.backfill_reports` the snapshot of what it
found and the targets' report readers, so the history is fetched with the same options as the live
collectors (``collectors.visitors.cameras_per_request``) and written under the live sink's names.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TextIO

from eocexporter.config import Settings
from eocexporter.exporter import RuntimeReportSource, exporter_snapshot
from eocexporter.parquet.backfill import BackfillError, BackfillResult, backfill_reports
from eocexporter.parquet.schemas import REPORT_DATASETS
from eocexporter.parquet.storage import ParquetStore
from eocexporter.runtime import TargetRuntime, system_now

__all__ = ["BackfillError", "BackfillResult", "backfill"]


async def backfill(
    settings: Settings,
    start: datetime,
    end: datetime,
    datasets: list[str] | None = None,
    targets: list[str] | None = None,
    now: Callable[[], datetime] = system_now,
    progress_stream: TextIO = sys.stderr,
) -> BackfillResult:
    config = settings.parquet
    if not config.enabled:
        raise BackfillError("parquet.root is not set: nowhere to write")
    chosen_datasets = datasets or [d for d in REPORT_DATASETS if getattr(config.datasets, d).enabled]
    for dataset in chosen_datasets:
        if dataset not in REPORT_DATASETS:
            raise BackfillError(
                f"{dataset} has no history in the Eocortex API; only {', '.join(REPORT_DATASETS)}"
            )
    known = {target.name for target in settings.targets}
    for name in targets or []:
        if name not in known:
            raise BackfillError(f"no target named {name!r} in the configuration")
    # Never ask about an interval that has not closed yet: its numbers would still change.
    end = min(end, now())
    runtimes = [TargetRuntime(t, settings, now) for t in settings.targets if not targets or t.name in targets]
    try:
        for runtime in runtimes:
            if not await runtime.run_discovery():
                raise BackfillError(f"target {runtime.target.name}: {runtime.last_error}")
        return await backfill_reports(
            ParquetStore(config),
            exporter_snapshot(runtimes),
            RuntimeReportSource(runtimes),
            chosen_datasets,
            start,
            end,
            config.report_interval,
            progress_stream,
        )
    finally:
        await asyncio.gather(*(runtime.close() for runtime in runtimes))
