"""Cameras of a server (``api/channels``) and the status of each (``api/channels/{id}/status``)."""

from __future__ import annotations

from urllib.parse import quote

from eocexporter.client import endpoints
from eocexporter.client.errors import ApiNotFound, ApiShapeError
from eocexporter.client.payloads import parse_status
from eocexporter.client.reading import read_body
from eocexporter.collectors.base import CollectContext, ServerTarget, list_cameras, per_camera_until
from eocexporter.model import Camera, CamerasSection, CameraStatus
from eocexporter.options import CollectorConfig, Duration


class CamerasConfig(CollectorConfig):
    interval: Duration = 15.0
    # A disabled camera streams nothing, so its status is skipped unless asked for.
    status_of_disabled: bool = False


class CamerasCollector:
    """A run that its deadline stops keeps the statuses it got (the runtime completes the section with the
    previous run's, :meth:`CamerasSection.with_previous`), and the next run on that server polls the
    cameras it did not reach first (``ctx.unreached_before``), so that an exporter short of time still goes
    round every camera."""

    async def collect(self, ctx: CollectContext[CamerasConfig], target: ServerTarget) -> CamerasSection:
        cameras = await list_cameras(ctx.client, target)
        include_disabled = ctx.config.status_of_disabled
        polled = [camera for camera in cameras if include_disabled or not camera.disabled]
        first = ctx.unreached_before.get(target.server.server_id, frozenset())
        if first:
            polled.sort(key=lambda camera: camera.camera_id not in first)  # stable: listing order otherwise
        statuses, unreached = await per_camera_until(
            ctx.client, polled, lambda camera: self._status(ctx, target, camera), ctx.stop_by
        )
        return CamerasSection(
            cameras=tuple(sorted(cameras, key=lambda camera: camera.camera_id)),
            statuses=tuple(sorted(statuses, key=lambda status: status.camera_id)),
            unreached=unreached,
        )

    async def _status(
        self, ctx: CollectContext[CamerasConfig], target: ServerTarget, camera: Camera
    ) -> CameraStatus | None:
        endpoint = endpoints.API_CHANNEL_STATUS
        try:
            body = await ctx.client.get_body(
                target.base_url, endpoint, f"api/channels/{quote(camera.camera_id, safe='')}/status"
            )
        except ApiNotFound:
            # Removed between the listing and this request: it will be gone from the next listing.
            return None
        try:
            # Decoded and parsed in one step, timed once: 10,000 answers a cycle.
            return await read_body(
                ctx.client, endpoint, target.server.server_id, parse_status, body, camera.camera_id
            )
        except ApiShapeError:
            # Counted and logged; it costs this camera's status, not its server's section.
            return None
