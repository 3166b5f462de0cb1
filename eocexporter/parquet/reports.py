"""Fetching one closed interval of a report dataset from one server, as an Arrow table.

``api/objects_counting/report`` takes server-local times (L6779-6793) and, without ``channelId``,
answers for every camera running the module on the server asked (Q37). ``api/unique_visitor/report``
is asked about the server's enabled cameras in chunks (see the visitors collector).
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

import pyarrow as pa

from eocexporter.client import endpoints
from eocexporter.client.http import EocortexClient
from eocexporter.client.payloads import parse_object_report
from eocexporter.client.spellings import PathSpellings
from eocexporter.collectors.base import ServerTarget, list_cameras, read_payload
from eocexporter.collectors.visitors import VisitorReportReader
from eocexporter.parquet import tables
from eocexporter.parquet.intervals import OBJECT_REPORT_TIME_FORMAT, Interval, local_text
from eocexporter.parquet.schemas import OBJECT_COUNTS, VISITOR_REPORTS

VISITOR_CAMERAS_PER_REQUEST = 50


class ReportFetcher:
    """Keeps what it learns per server (path spelling, visitor report quirks) across intervals."""

    def __init__(self, warn_once: Callable[[str, str], None]) -> None:
        self._spellings = PathSpellings()
        self._visitors = VisitorReportReader()
        self._warn_once = warn_once

    async def fetch(
        self, dataset: str, client: EocortexClient, target: ServerTarget, interval: Interval
    ) -> pa.Table:
        """The interval's rows (an empty table when the server has no such module)."""
        if dataset == OBJECT_COUNTS:
            return await self._object_counts(client, target, interval)
        if dataset == VISITOR_REPORTS:
            return await self._visitor_reports(client, target, interval)
        raise ValueError(f"{dataset} is not a report dataset")

    async def _object_counts(
        self, client: EocortexClient, target: ServerTarget, interval: Interval
    ) -> pa.Table:
        zone = ZoneInfo(client.target.timezone)
        server_id = target.server.server_id
        params = {
            "startTime": local_text(interval.start, zone, OBJECT_REPORT_TIME_FORMAT),
            "endTime": local_text(interval.end, zone, OBJECT_REPORT_TIME_FORMAT),
        }
        answer = await self._spellings.get_json(
            client, target.base_url, server_id, endpoints.OBJECT_REPORT, params
        )
        if answer is None:
            self._warn_once(
                f"object_report:{client.target.name}:{server_id}",
                f"target {client.target.name}, server {server_id}: no object counting report API (404); "
                "no object_counts rows from this server",
            )
            return tables.object_counts(client.target.name, server_id, interval, [])
        endpoint, payload = answer
        lines = read_payload(client, endpoint, server_id, parse_object_report, payload)
        return tables.object_counts(client.target.name, server_id, interval, lines)

    async def _visitor_reports(
        self, client: EocortexClient, target: ServerTarget, interval: Interval
    ) -> pa.Table:
        server_id = target.server.server_id
        cameras = [camera for camera in await list_cameras(client, target) if not camera.disabled]
        rows = await self._visitors.read(
            client,
            target,
            [camera.camera_id for camera in cameras],
            interval.start,
            interval.end,
            VISITOR_CAMERAS_PER_REQUEST,
            self._warn_once,
        )
        names = {camera.camera_id: camera.name for camera in cameras}
        return tables.visitor_reports(client.target.name, server_id, interval, rows or (), names)
