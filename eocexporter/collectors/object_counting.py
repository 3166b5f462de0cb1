"""Object counting lines and areas of a server (``api/objects_counting/current_counters``).

The path is spelt two ways in the reference (see :mod:`eocexporter.client.spellings`). A server where
neither exists (older than 4.0, or without the module) has no counters: an empty section, not a failure.
"""

from __future__ import annotations

from eocexporter.client import endpoints
from eocexporter.client.payloads import parse_counters
from eocexporter.client.reading import read_payload
from eocexporter.client.spellings import PathSpellings
from eocexporter.collectors.base import CollectContext, ServerTarget
from eocexporter.model import ObjectCountingSection
from eocexporter.options import CollectorConfig, Duration


class ObjectCountingConfig(CollectorConfig):
    interval: Duration = 15.0


class ObjectCountingCollector:
    def __init__(self) -> None:
        self._spellings = PathSpellings()

    async def collect(
        self, ctx: CollectContext[ObjectCountingConfig], target: ServerTarget
    ) -> ObjectCountingSection:
        client, server_id = ctx.client, target.server.server_id
        answer = await self._spellings.get_json(client, target.base_url, server_id, endpoints.OBJECT_COUNTERS)
        if answer is None:
            ctx.warn_once(
                f"object_counting:{client.target.name}:{server_id}",
                f"target {client.target.name}, server {server_id}: no object counting API (404); "
                "no counters from this server",
            )
            return ObjectCountingSection(zones=())
        endpoint, payload = answer
        zones = read_payload(client, endpoint, server_id, parse_counters, payload)
        zones.sort(key=lambda zone: (zone.camera_id, zone.zone_id))
        return ObjectCountingSection(zones=tuple(zones))
