"""Object counting lines and areas of a server (``api/objects_counting/current_counters``).

The path is spelt two ways in the reference (see :mod:`eocexporter.client.spellings`). A server where
neither exists (older than 4.0, or without the module) has no counters: an empty section, not a failure,
and the endpoint is asked again hourly (:mod:`eocexporter.client.support`). A zone of a ``Type`` the
reference does not document is counted (``eocortex_api_unknown_values_total``) and logged once; it has no
series, since neither a counter nor an occupancy is known to be right for it.
"""

from __future__ import annotations

from operator import attrgetter

from eocexporter.client import endpoints
from eocexporter.client.payloads import parse_counters
from eocexporter.client.reading import read_body
from eocexporter.client.spellings import PathSpellings
from eocexporter.collectors.base import CollectContext, ServerTarget
from eocexporter.model import KNOWN_ZONE_KINDS, ObjectCountingSection
from eocexporter.options import CollectorConfig, Duration

ENDPOINT = endpoints.OBJECT_COUNTERS[0]


class ObjectCountingConfig(CollectorConfig):
    interval: Duration = 15.0


class ObjectCountingCollector:
    def __init__(self) -> None:
        self._spellings = PathSpellings()

    async def collect(
        self, ctx: CollectContext[ObjectCountingConfig], target: ServerTarget
    ) -> ObjectCountingSection:
        client, server_id = ctx.client, target.server.server_id
        if not client.support.due(server_id, ENDPOINT):
            return ObjectCountingSection(zones=())
        answer = await self._spellings.get_body(client, target.base_url, server_id, endpoints.OBJECT_COUNTERS)
        client.support.record(server_id, ENDPOINT, supported=answer is not None)
        if answer is None:
            ctx.warn_once(
                f"object_counting:{client.target.name}:{server_id}",
                f"target {client.target.name}, server {server_id}: no object counting API (404); "
                "no counters from this server, asked again hourly",
            )
            return ObjectCountingSection(zones=())
        endpoint, body = answer
        zones = await read_body(client, endpoint, server_id, parse_counters, body)
        for zone in zones:
            if zone.kind not in KNOWN_ZONE_KINDS:
                client.stats.unknown_value(endpoint, "Type")
                ctx.warn_once(
                    f"zone-type:{client.target.name}:{zone.camera_id}:{zone.zone_id}",
                    f"target {client.target.name}, server {server_id}: camera {zone.camera_id} zone "
                    f"{zone.zone_id} ({zone.zone!r}) has Type {zone.kind!r}, which the reference does not "
                    "document; it is not exported",
                )
        zones.sort(key=attrgetter("camera_id", "zone_id"))  # C-level key: 10,000s of zones
        return ObjectCountingSection(zones=tuple(zones))
