"""Closed report intervals of one target's servers, as plain rows (for the Parquet sink and backfill).

``api/objects_counting/report`` takes server-local times (L6779-6793) and, without ``channelId``,
answers for every camera running the module on the server asked (Q37). ``api/unique_visitor/report``
is asked about the server's enabled cameras in chunks of ``collectors.visitors.cameras_per_request``,
exactly as the visitors collector asks it (see :mod:`eocexporter.collectors.visitors`). A server without
either module (404) has no rows, which is not a failure.

Server-local times cannot name an instant in the hour a daylight-saving change repeats: 02:15 on the
autumn night in Berlin happens twice, and the report cannot be told which. An interval that starts or ends
there (in Berlin with 15-minute intervals: 01:45-02:00 and the eight quarters of the two 02:00-03:00) is
:class:`UnaskableInterval`; the sink gives it up, counted, instead of writing one pass's counts twice or
asking for an interval whose local end comes before its start.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from eocexporter.client import endpoints
from eocexporter.client.http import EocortexClient
from eocexporter.client.payloads import parse_object_report
from eocexporter.client.reading import read_body
from eocexporter.client.spellings import PathSpellings
from eocexporter.collectors.base import ServerTarget, list_cameras
from eocexporter.collectors.visitors import VisitorReportReader, VisitorsConfig
from eocexporter.model import CameraVisitors, LineReport

OBJECT_REPORT = endpoints.OBJECT_REPORT[0]
# The object counting report takes server-local times as dd.MM.yyyy HH:mm:ss.fff (L6789-6793).
OBJECT_REPORT_TIME_FORMAT = "%d.%m.%Y %H:%M:%S.000"


class UnaskableInterval(Exception):
    """An interval the report's parameters cannot express; the message is one line."""


def local_report_time(moment: datetime, zone: ZoneInfo) -> str:
    """``moment`` as the object counting report takes it; raises :class:`UnaskableInterval` when the
    local wall time it shows is shown twice (the hour a daylight-saving change repeats)."""
    local = moment.astimezone(zone)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        raise UnaskableInterval(
            f"{local:%d.%m.%Y %H:%M} local time happens twice in {zone.key} (a daylight-saving change): "
            "the object counting report, which takes local times, cannot be asked about it"
        )
    return local.strftime(OBJECT_REPORT_TIME_FORMAT)


class ReportReader:
    """One target's report reader; keeps what it learns per server (path spelling, visitor report
    quirks) across intervals."""

    def __init__(
        self, client: EocortexClient, visitors: VisitorsConfig, warn_once: Callable[[str, str], None]
    ) -> None:
        self._client = client
        self._visitors_config = visitors
        self._warn_once = warn_once
        self._spellings = PathSpellings()
        self._visitors = VisitorReportReader()

    async def object_lines(self, target: ServerTarget, start: datetime, end: datetime) -> list[LineReport]:
        """Every counting line's counts for ``[start, end)``; raises an ApiError when it cannot now, and
        :class:`UnaskableInterval` when it never can."""
        client, server_id = self._client, target.server.server_id
        zone = client.target.timezone
        params = {"startTime": local_report_time(start, zone), "endTime": local_report_time(end, zone)}
        if not client.support.due(server_id, OBJECT_REPORT):
            return []
        answer = await self._spellings.get_body(
            client, target.base_url, server_id, endpoints.OBJECT_REPORT, params
        )
        client.support.record(server_id, OBJECT_REPORT, supported=answer is not None)
        if answer is None:
            self._warn_once(
                f"object_report:{client.target.name}:{server_id}",
                f"target {client.target.name}, server {server_id}: no object counting report API (404); "
                "no object_counts rows from this server, asked again hourly",
            )
            return []
        endpoint, body = answer
        return await read_body(client, endpoint, server_id, parse_object_report, body)

    async def visitor_rows(
        self, target: ServerTarget, start: datetime, end: datetime
    ) -> list[CameraVisitors]:
        """Each enabled camera's visitors for ``[start, end)`` with its name; raises an ApiError when it
        cannot."""
        cameras = [camera for camera in await list_cameras(self._client, target) if not camera.disabled]
        rows = await self._visitors.read(
            self._client,
            target,
            [camera.camera_id for camera in cameras],
            start,
            end,
            self._visitors_config.cameras_per_request,
            self._warn_once,
        )
        names = {camera.camera_id: camera.name for camera in cameras}
        return [CameraVisitors(camera=names.get(row.camera_id, ""), counts=row) for row in rows]
