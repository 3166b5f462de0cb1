"""Object counting lines and areas of a server (``api/objects_counting/current_counters``).

The reference spells the path ``objects_counting`` and ``object_counting`` (digest Q1). The first is
tried first; on 404 the other; the spelling that answered is remembered per server. A server where
neither exists (older than 4.0, or without the module) has no counters: an empty section, not a failure.
"""

from __future__ import annotations

from eocexporter.client import endpoints
from eocexporter.client.errors import ApiNotFound
from eocexporter.client.payloads import parse_counters
from eocexporter.collectors.base import CollectContext, ServerTarget, read_payload
from eocexporter.model import ObjectCountingSection


class ObjectCountingCollector:
    name = "object_counting"

    def __init__(self) -> None:
        self._spelling: dict[tuple[str, str], str] = {}  # (target, server_id) -> endpoint that answered

    async def collect(self, ctx: CollectContext, target: ServerTarget) -> ObjectCountingSection:
        client, server_id = ctx.client, target.server.server_id
        key = (client.target.name, server_id)
        known = self._spelling.get(key)
        candidates = (known,) if known else endpoints.OBJECT_COUNTERS
        for endpoint in candidates:
            try:
                payload = await client.get_json(target.base_url, endpoint, endpoint)
            except ApiNotFound:
                if known:
                    # The server changed (upgrade or downgrade): look again next run.
                    del self._spelling[key]
                continue
            self._spelling[key] = endpoint
            zones = read_payload(client, endpoint, server_id, parse_counters, payload)
            zones.sort(key=lambda zone: (zone.camera_id, zone.zone_id))
            return ObjectCountingSection(zones=tuple(zones))
        ctx.warn_once(
            f"object_counting:{key}",
            f"target {client.target.name}, server {server_id}: no object counting API (404); "
            "no counters from this server",
        )
        return ObjectCountingSection(zones=())
