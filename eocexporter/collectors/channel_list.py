"""The ``configure/channels`` list: every camera of the installation in one request to the main server.

Two collectors read it (bindings, and archiving where the list carries the settings); they share one
request per round through the client's :class:`~eocexporter.client.shared.SharedDocuments`.
"""

from __future__ import annotations

from eocexporter.client import endpoints
from eocexporter.client.channel_payloads import ListedChannel, parse_channel_list
from eocexporter.client.http import EocortexClient
from eocexporter.client.reading import read_payload

ENDPOINT = endpoints.CONFIGURE_CHANNELS


async def channel_list(client: EocortexClient, since: float) -> list[ListedChannel]:
    """The list as fetched since ``since`` (a run's start, time.monotonic()), by this run or another."""

    async def fetch() -> list[ListedChannel]:
        payload = await client.get_json(client.target.url, ENDPOINT, ENDPOINT)
        return read_payload(client, ENDPOINT, "main", parse_channel_list, payload)

    listed: list[ListedChannel] = await client.shared.get(ENDPOINT, since, fetch)
    return listed
