"""Which servers make up an installation, and where to reach each one's api/.

The main server's ``configure/servers`` lists every server with the ``Hostname:Port`` it is configured
with. Those addresses are as seen inside the installation; ``server_addresses`` in the target's config
maps a server id or ``hostname:port`` to the URL the exporter should use instead. A user without
configuration rights gets 403 there: the exporter then polls the main server's own api/ only.
"""

from __future__ import annotations

import logging
from collections import Counter

from eocexporter.client import endpoints
from eocexporter.client.errors import ApiForbidden
from eocexporter.client.http import EocortexClient
from eocexporter.client.payloads import owner_server_ids, parse_servers
from eocexporter.client.reading import read_payload
from eocexporter.model import Server, Topology
from eocexporter.options import TargetConfig

log = logging.getLogger(__name__)

# Names the main server when the exporter may not read configure/servers and the main server lists no
# camera whose OwnerServerId would tell its id.
UNKNOWN_MAIN_SERVER_ID = "main"


async def discover(client: EocortexClient, warned_forbidden: bool = False) -> Topology:
    """Read the topology; raises the client's errors when the main server cannot be used at all."""
    target = client.target
    try:
        payload = await client.get_json(target.url, endpoints.CONFIGURE_SERVERS, endpoints.CONFIGURE_SERVERS)
    except ApiForbidden:
        if not warned_forbidden:
            log.warning(
                "target %s: user %r may not read configure/servers (403); "
                "polling only the main server's api/",
                target.name,
                target.username,
            )
        return await _main_server_only(client)
    servers = read_payload(client, endpoints.CONFIGURE_SERVERS, "main", parse_servers, payload)
    main_id = _main_server_id(target, servers)
    return Topology(
        servers=tuple(sorted(servers, key=lambda server: server.server_id)),
        configure_access=True,
        main_server_id=main_id,
    )


async def _main_server_only(client: EocortexClient) -> Topology:
    target = client.target
    payload = await client.get_json(target.url, endpoints.API_CHANNELS, endpoints.API_CHANNELS)
    owners = read_payload(client, endpoints.API_CHANNELS, "main", owner_server_ids, payload)
    main_id = Counter(owners).most_common(1)[0][0] if owners else UNKNOWN_MAIN_SERVER_ID
    main = Server(server_id=main_id, name="", hostname=target.host, port=target.port)
    return Topology(servers=(main,), configure_access=False, main_server_id=main_id)


def _main_server_id(target: TargetConfig, servers: list[Server]) -> str:
    """The server configure/servers describes at the address the exporter uses for the main server."""
    wanted = target.host, target.port
    for server in servers:
        if (server.hostname.lower(), server.port) == wanted or _override(target, server) == target.url:
            return server.server_id
    return ""


def server_urls(target: TargetConfig, topology: Topology) -> dict[str, str]:
    """Where to send each server's api/ requests: an override, the target URL for the main server, or
    ``Hostname:Port`` from configure/servers with the target's scheme."""
    scheme = target.scheme
    urls = {}
    for server in topology.servers:
        url = _override(target, server)
        if url is None and (server.server_id == topology.main_server_id or not server.hostname):
            url = target.url
        if url is None:
            host = f"[{server.hostname}]" if ":" in server.hostname else server.hostname
            url = f"{scheme}://{host}:{server.port}"
        urls[server.server_id] = url
    return urls


def _override(target: TargetConfig, server: Server) -> str | None:
    overrides = target.server_addresses
    for key in (server.server_id, f"{server.hostname}:{server.port}", server.hostname):
        if key in overrides:
            return overrides[key]
    return None
