"""Which analytics plugins run on which camera (``webapi/cameras/analytics``).

One request per server, without ``channelIds`` (optional, L712-716): every camera the server reports
on. The answer names plugin ids only, no names or kinds (L762). A server of a version without webapi
answers 404: no plugin series from it, not a failure, asked again hourly.
"""

from __future__ import annotations

from eocexporter.client import endpoints
from eocexporter.client.analytics_payloads import parse_plugins
from eocexporter.client.errors import ApiNotFound
from eocexporter.client.reading import read_body
from eocexporter.collectors.base import CollectContext, ServerTarget, unsupported
from eocexporter.model import AnalyticsSection
from eocexporter.options import CollectorConfig, Duration

ENDPOINT = endpoints.CAMERA_ANALYTICS
NOTHING = AnalyticsSection(cameras=())


class AnalyticsPluginsConfig(CollectorConfig):
    interval: Duration = 600.0


class AnalyticsPluginsCollector:
    async def collect(
        self, ctx: CollectContext[AnalyticsPluginsConfig], target: ServerTarget
    ) -> AnalyticsSection:
        client, server_id = ctx.client, target.server.server_id
        if not client.support.due(server_id, ENDPOINT):
            return NOTHING
        try:
            body = await client.get_body(target.base_url, ENDPOINT, ENDPOINT)
        except ApiNotFound:
            unsupported(ctx, target, ENDPOINT, "404: a version without webapi", "analytics plugin series")
            return NOTHING
        client.support.record(server_id, ENDPOINT, supported=True)
        cameras = await read_body(client, ENDPOINT, server_id, parse_plugins, body)
        return AnalyticsSection(cameras=tuple(sorted(cameras, key=lambda camera: camera.camera_id)))
