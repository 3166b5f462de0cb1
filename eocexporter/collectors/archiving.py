"""How each camera is recorded and analysed (``ArchiveSettings``, ``AnalyzeSettings``).

A camera that records on motion, on schedule or by hand legitimately writes nothing most of the time;
the NotRecording alert needs to know which cameras are meant to record always, and the archive depth
alert the configured minimum depth. The settings live in ``configure/``, on the main server, and change
rarely: the default interval is ten minutes.

Where the ``configure/channels`` list carries the settings (full channel objects), one request for the
whole installation gives them; the reference prints the list without them (brief items), and then each
camera costs one ``configure/channels/{id}`` request. The collector reads the list first and asks per
camera only for the cameras whose item lacks them; when the list carries none at all it is not asked
for settings again for an hour. A user without configuration rights gets 403: no archiving series, not
a failure, and the endpoint is asked again hourly (:mod:`eocexporter.client.support`).

The collector runs per server like the others (so sharded replicas split the work): it lists the server's
cameras from the server's own ``api/channels`` and reads the settings of those.
"""

from __future__ import annotations

import time
from urllib.parse import quote

from eocexporter.client import endpoints
from eocexporter.client.channel_payloads import parse_archiving
from eocexporter.client.errors import ApiError, ApiForbidden, ApiNotFound, ApiShapeError
from eocexporter.client.reading import read_payload
from eocexporter.client.support import RECHECK_SECONDS
from eocexporter.collectors.base import CollectContext, ServerTarget, list_cameras, per_camera
from eocexporter.collectors.channel_list import channel_list
from eocexporter.model import ArchivingSection, Camera, CameraArchiving
from eocexporter.options import CollectorConfig, Duration

ENDPOINT = endpoints.CONFIGURE_CHANNEL


class ArchivingConfig(CollectorConfig):
    interval: Duration = 600.0


class ArchivingCollector:
    def __init__(self) -> None:
        # target name -> when its list was last found to carry no settings (time.monotonic())
        self._list_without_settings: dict[str, float] = {}

    async def collect(self, ctx: CollectContext[ArchivingConfig], target: ServerTarget) -> ArchivingSection:
        client, server_id = ctx.client, target.server.server_id
        if not client.support.due(server_id, ENDPOINT):
            return ArchivingSection(cameras=())
        cameras = [camera for camera in await list_cameras(client, target) if not camera.disabled]
        try:
            listed = await self._listed_settings(ctx)
            missing = [camera for camera in cameras if camera.camera_id not in listed]
            fetched = await per_camera(client, missing, lambda camera: self._settings(ctx, target, camera))
        except ApiForbidden:
            client.support.record(server_id, ENDPOINT, supported=False)
            ctx.warn_once(
                f"archiving:{client.target.name}",
                f"target {client.target.name}: user {client.target.username!r} may not read "
                "configure/channels (403); no archiving settings, asked again hourly",
            )
            return ArchivingSection(cameras=())
        client.support.record(server_id, ENDPOINT, supported=True)
        settings = [listed[camera.camera_id] for camera in cameras if camera.camera_id in listed]
        settings.extend(fetched)
        return ArchivingSection(cameras=tuple(sorted(settings, key=lambda item: item.camera_id)))

    async def _listed_settings(self, ctx: CollectContext[ArchivingConfig]) -> dict[str, CameraArchiving]:
        """Camera id -> settings, from the list where it carries them; empty when it carries none."""
        name = ctx.client.target.name
        found_without = self._list_without_settings.get(name)
        if found_without is not None and time.monotonic() - found_without < RECHECK_SECONDS:
            return {}
        try:
            listed = await channel_list(ctx.client, ctx.started)
        except ApiForbidden:
            raise  # no configuration rights: the per-camera requests would be refused too
        except ApiError:
            # No list (an older server), one that could not be read (counted and logged), or one that
            # failed (a 5xx, a timeout: the bindings collector reports it): the per-camera requests,
            # which may well work, say the rest.
            listed = []
        settings = {item.binding.camera_id: item.settings for item in listed if item.settings is not None}
        if settings:
            self._list_without_settings.pop(name, None)
        else:
            self._list_without_settings[name] = time.monotonic()
        return settings

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
