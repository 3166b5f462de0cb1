"""Which servers each camera is bound to, and where it is on the map (the ``configure/channels`` list).

One request per installation, to the main server: each camera's owner, reserve, replication and video
analytics server (``ServerBindingsSettings``) and its map position (``MapSettings``). The collector
returns the list on the main server's section and nothing on the others, so the replica that polls the
main server reports every camera once. Which server serves a camera now is not here: that is the server
whose ``api/channels`` lists it (the cameras collector; ``eocortex_camera_on_reserve``).

A user without configuration rights gets 403, an old server 404: no binding series, not a failure,
asked again hourly.
"""

from __future__ import annotations

from eocexporter.client.errors import ApiForbidden, ApiNotFound
from eocexporter.collectors.base import CollectContext, ServerTarget
from eocexporter.collectors.channel_list import ENDPOINT, channel_list
from eocexporter.model import BindingsSection
from eocexporter.options import CollectorConfig, Duration

NOTHING = BindingsSection(cameras=())


class BindingsConfig(CollectorConfig):
    interval: Duration = 300.0


class BindingsCollector:
    async def collect(self, ctx: CollectContext[BindingsConfig], target: ServerTarget) -> BindingsSection:
        client, server_id = ctx.client, target.server.server_id
        if not target.main or not client.support.due(server_id, ENDPOINT):
            return NOTHING
        try:
            listed = await channel_list(client, ctx.started)
        except (ApiForbidden, ApiNotFound) as exc:
            client.support.record(server_id, ENDPOINT, supported=False)
            ctx.warn_once(
                f"bindings:{client.target.name}",
                f"target {client.target.name}: no {ENDPOINT} for user {client.target.username!r} "
                f"(HTTP {exc.status}); no camera bindings or map positions, asked again hourly",
            )
            return NOTHING
        client.support.record(server_id, ENDPOINT, supported=True)
        bindings = sorted((item.binding for item in listed), key=lambda binding: binding.camera_id)
        return BindingsSection(cameras=tuple(bindings))
