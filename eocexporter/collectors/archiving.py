"""How each camera is recorded (``configure/channels/{id}``, ``ArchiveSettings``).

A camera that records on motion, on schedule or by hand legitimately writes nothing most of the time;
the NotRecording alert needs to know which cameras are meant to record always. The settings live in
``configure/``, on the main server, one request per camera, and change rarely: the default interval is
ten minutes. A user without configuration rights gets 403: no archiving series, not a failure, and the
endpoint is asked again hourly (:mod:`eocexporter.client.support`).

The collector runs per server like the others (so sharded replicas split the work): it lists the server's
cameras from the server's own ``api/channels`` and asks the main server about each.
"""

from __future__ import annotations

from urllib.parse import quote

from eocexporter.client import endpoints
from eocexporter.client.errors import ApiForbidden, ApiNotFound, ApiShapeError
from eocexporter.client.payloads import parse_archiving
from eocexporter.client.reading import read_payload
from eocexporter.collectors.base import CollectContext, ServerTarget, list_cameras, per_camera
from eocexporter.model import ArchivingSection, Camera, CameraArchiving
from eocexporter.options import CollectorConfig, Duration

ENDPOINT = endpoints.CONFIGURE_CHANNEL


class ArchivingConfig(CollectorConfig):
    interval: Duration = 600.0


class ArchivingCollector:
    async def collect(self, ctx: CollectContext[ArchivingConfig], target: ServerTarget) -> ArchivingSection:
        client, server_id = ctx.client, target.server.server_id
        if not client.support.due(server_id, ENDPOINT):
            return ArchivingSection(cameras=())
        cameras = [camera for camera in await list_cameras(client, target) if not camera.disabled]
        try:
            settings = await per_camera(client, cameras, lambda camera: self._settings(ctx, target, camera))
        except ApiForbidden:
            client.support.record(server_id, ENDPOINT, supported=False)
            ctx.warn_once(
                f"archiving:{client.target.name}",
                f"target {client.target.name}: user {client.target.username!r} may not read "
                "configure/channels (403); no archiving settings, asked again hourly",
            )
            return ArchivingSection(cameras=())
        client.support.record(server_id, ENDPOINT, supported=True)
        return ArchivingSection(cameras=tuple(sorted(settings, key=lambda item: item.camera_id)))

    async def _settings(
        self, ctx: CollectContext[ArchivingConfig], target: ServerTarget, camera: Camera
    ) -> CameraArchiving | None:
        path = f"configure/channels/{quote(camera.camera_id, safe='')}"
        try:
            payload = await ctx.client.get_json(ctx.client.target.url, ENDPOINT, path)
        except ApiNotFound:
            return None  # removed since the listing
        try:
            return read_payload(
                ctx.client, ENDPOINT, target.server.server_id, parse_archiving, payload, camera.camera_id
            )
        except ApiShapeError:
            return None  # counted and logged; it costs this camera's settings only
