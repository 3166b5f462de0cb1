"""The ``configure/channels`` list: every camera of the installation in one request to the main server.

Two collectors read it (bindings, and archiving where the list carries the settings); they share one
request per round through the client's :class:`~eocexporter.client.shared.SharedDocuments`.
"""

from __future__ import annotations

from eocexporter.client import endpoints
from eocexporter.client.channel_payloads import ListedChannel, parse_channel_list
from eocexporter.client.http import EocortexClient
from eocexporter.client.reading import read_body

ENDPOINT = endpoints.CONFIGURE_CHANNELS


async def channel_list(client: EocortexClient, since: float) -> list[ListedChannel]:
    """The list as fetched since ``since`` (a run's start, time.monotonic()), by this run or another."""

    async def fetch() -> list[ListedChannel]:
        body = await client.get_body(client.target.url, ENDPOINT, ENDPOINT)
        return await read_body(client, ENDPOINT, "main", parse_channel_list, body)

    listed: list[ListedChannel] = await client.shared.get(ENDPOINT, since, fetch)
    return listed
