"""The days each camera's archive holds (``webapi/cameras/{id}/archive_days``).

One request per camera, to the server that serves it (the archive is where the camera records), asking
for the days within the look-back window. The time parameters are sent as the reference's example does,
UTC to the minute (``2024-08-20T08:20``, Q34). The answer changes once a day, so the default interval is
an hour: at 10,000 cameras about three requests a second, spread over the hour by ``max_concurrency``.

What the days say (oldest, how many, gaps) is derived in the exposition. A server of a version without
webapi answers 404 for every camera: the endpoint is unsupported there, asked again hourly. A camera the
server refuses (400, 403: no rights on it) is skipped and asked again hourly; one that answered 404 while
others did not was removed since the listing.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Annotated
from urllib.parse import quote

from pydantic import Field

from eocexporter.client import endpoints
from eocexporter.client.archive_payloads import parse_archive_days
from eocexporter.client.errors import ApiHttpError, ApiNotFound, ApiShapeError
from eocexporter.client.reading import read_payload
from eocexporter.collectors.base import CollectContext, ServerTarget, list_cameras, per_camera, unsupported
from eocexporter.model import ArchiveDepthSection, Camera, CameraArchiveDays
from eocexporter.options import CollectorConfig, Duration

ENDPOINT = endpoints.ARCHIVE_DAYS
# UTC to the minute, as the reference's example sends them (L642-643).
REQUEST_TIME_FORMAT = "%Y-%m-%dT%H:%M"
REFUSALS = (400, 403)
MAX_LOOKBACK = 36500 * 86400.0
NOTHING = ArchiveDepthSection(cameras=())


class ArchiveDepthConfig(CollectorConfig):
    interval: Duration = 3600.0
    # How far back to ask: an archive deeper than this shows as this deep. Above the reference's example
    # maximum depth (365 days) with room to spare; raise it for longer retention.
    # At most a century: far beyond any retention, and far from the date range's end.
    lookback: Annotated[Duration, Field(le=MAX_LOOKBACK)] = 400 * 86400.0


class _Missing:
    """A camera the server answered 404 for."""


class ArchiveDepthCollector:
    async def collect(
        self, ctx: CollectContext[ArchiveDepthConfig], target: ServerTarget
    ) -> ArchiveDepthSection:
        client, server_id = ctx.client, target.server.server_id
        if not client.support.due(server_id, ENDPOINT):
            return NOTHING
        cameras = await list_cameras(client, target)
        asked = set(client.support.cameras_due(server_id, ENDPOINT, [camera.camera_id for camera in cameras]))
        polled = [camera for camera in cameras if camera.camera_id in asked]
        now = ctx.now().astimezone(UTC)
        window = {
            "startTimeUtc": (now - timedelta(seconds=ctx.config.lookback)).strftime(REQUEST_TIME_FORMAT),
            "endTimeUtc": now.strftime(REQUEST_TIME_FORMAT),
        }
        answers = await per_camera(client, polled, lambda camera: self._days(ctx, target, camera, window))
        days = [answer for answer in answers if isinstance(answer, CameraArchiveDays)]
        if polled and len(answers) == len(polled) and all(isinstance(answer, _Missing) for answer in answers):
            why = "404 for every camera: a version without webapi"
            unsupported(ctx, target, ENDPOINT, why, "archive depth")
            return NOTHING
        client.support.record(server_id, ENDPOINT, supported=True)
        cameras = tuple(sorted(days, key=lambda item: item.camera_id))
        return ArchiveDepthSection(cameras=cameras, zone=client.target.timezone)

    async def _days(
        self,
        ctx: CollectContext[ArchiveDepthConfig],
        target: ServerTarget,
        camera: Camera,
        window: dict[str, str],
    ) -> CameraArchiveDays | _Missing | None:
        client, server_id = ctx.client, target.server.server_id
        path = f"webapi/cameras/{quote(camera.camera_id, safe='')}/archive_days"
        try:
            payload = await client.get_json(target.base_url, ENDPOINT, path, window)
        except ApiNotFound:
            return _Missing()
        except ApiHttpError as exc:
            if exc.status not in REFUSALS:
                raise
            client.support.record_cameras(server_id, ENDPOINT, [camera.camera_id], supported=False)
            return None
        client.support.record_cameras(server_id, ENDPOINT, [camera.camera_id], supported=True)
        try:
            return read_payload(
                client,
                ENDPOINT,
                server_id,
                parse_archive_days,
                payload,
                camera.camera_id,
                client.target.timezone,
            )
        except ApiShapeError:
            return None  # counted and logged; it costs this camera's days only
