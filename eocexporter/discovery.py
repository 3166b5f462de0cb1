"""Which servers make up an installation, which of them is the main server, and where to reach each.

The main server's ``configure/servers`` lists every server with the ``Hostname:Port`` it is configured
with: addresses as seen inside the installation (LAN names, addresses behind NAT or a reverse proxy), not
necessarily the one in the target's ``url``. So the main server is recognised by evidence, in this order:

1. **its address**: the entry listed at the target URL's host and port, or whose ``server_addresses``
   override is the target URL;
2. **its cameras**: ``api/channels`` of the main server lists the cameras it serves, each naming its
   ``OwnerServerId`` and ``ReservedServerId`` (Q49): the server asked is, for every camera, its owner or
   (while the owner is down) its reserve. The entry that is so for the most cameras is the main server,
   remembered while the list of servers stays the same;
3. otherwise it is not known: one warning says so and names the ``server_addresses`` entry that settles it.

The main server is always polled at the target URL. Every other server is polled at its
``server_addresses`` override, or else at its listed ``Hostname:Port`` with the target's scheme; a server
listed without an address cannot be polled until it has an override. A user without configuration rights
gets 403 on ``configure/servers``: the exporter then polls the main server's own api/ only.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence

from eocexporter.client import endpoints
from eocexporter.client.errors import ApiError, ApiForbidden
from eocexporter.client.http import EocortexClient
from eocexporter.client.payloads import parse_channels, parse_servers
from eocexporter.client.reading import read_body, read_payload
from eocexporter.model import Camera, Server, Topology
from eocexporter.options import TargetConfig

log = logging.getLogger(__name__)

# Names the main server when the exporter may not read configure/servers and the main server lists no
# camera whose OwnerServerId would tell its id.
UNKNOWN_MAIN_SERVER_ID = "main"

BY_ADDRESS = "address"
BY_CAMERAS = "cameras"
NOT_FOUND = ""

WarnOnce = Callable[[str, str], None]


async def discover(client: EocortexClient, previous: Topology | None, warn_once: WarnOnce) -> Topology:
    """Read the topology; raises the client's errors when the main server cannot be used at all."""
    target = client.target
    try:
        payload = await client.get_json(target.url, endpoints.CONFIGURE_SERVERS, endpoints.CONFIGURE_SERVERS)
    except ApiForbidden:
        warn_once(
            f"configure-forbidden:{target.name}",
            f"target {target.name}: user {target.username!r} may not read configure/servers (403); "
            "polling only the main server's api/",
        )
        return await _main_server_only(client)
    servers = sorted(
        read_payload(client, endpoints.CONFIGURE_SERVERS, "main", parse_servers, payload),
        key=lambda server: server.server_id,
    )
    main_id, found_by = _main_by_address(target, servers)
    if not main_id and previous is not None and _still_known_by_cameras(previous, servers):
        main_id, found_by = previous.main_server_id, BY_CAMERAS
    if not main_id:
        main_id = await _main_by_cameras(client, [server.server_id for server in servers])
        found_by = BY_CAMERAS if main_id else NOT_FOUND
        if main_id:
            main = next(server for server in servers if server.server_id == main_id)
            log.info(
                "target %s: the main server is %s (%r, listed at %s:%s), recognised by its cameras",
                target.name,
                main_id,
                main.name,
                main.hostname,
                main.port,
                extra={"target": target.name, "server_id": main_id, "collector": "discovery"},
            )
        elif servers:
            warn_once(f"main-unknown:{target.name}", _main_unknown_message(target, servers))
    return Topology(
        servers=tuple(servers), configure_access=True, main_server_id=main_id, main_found_by=found_by
    )


def _still_known_by_cameras(previous: Topology, servers: Sequence[Server]) -> bool:
    """The previous discovery found the main server by its cameras, and the list of servers is the same:
    the answer stands without asking again."""
    return previous.main_found_by == BY_CAMERAS and {server.server_id for server in previous.servers} == {
        server.server_id for server in servers
    }


def _main_by_address(target: TargetConfig, servers: Sequence[Server]) -> tuple[str, str]:
    for server in servers:
        listed = (server.hostname.strip().lower().strip("[]"), server.port)
        if listed == (target.host, target.port) or _override(target, server) == target.url:
            return server.server_id, BY_ADDRESS
    return NOT_FOUND, NOT_FOUND


async def _main_by_cameras(client: EocortexClient, listed: Sequence[str]) -> str:
    """The listed server that the cameras of the main server's api/channels name, or "" (no evidence)."""
    target = client.target
    try:
        body = await client.get_body(target.url, endpoints.API_CHANNELS, endpoints.API_CHANNELS)
        cameras = await read_body(client, endpoints.API_CHANNELS, "main", parse_channels, body, "main")
    except ApiError as exc:
        log.debug(
            "target %s: cannot ask the main server for its cameras: %s",
            target.name,
            exc,
            extra={"target": target.name, "collector": "discovery"},
        )
        return NOT_FOUND
    return serving_server(cameras, listed) or NOT_FOUND


def serving_server(cameras: Sequence[Camera], listed: Sequence[str] | None = None) -> str | None:
    """The server whose api/channels listed ``cameras``, by their bindings: for each camera it is its owner
    or its reserve. The candidate that is so for the most cameras wins; among equals, the one that owns
    the most; None without a camera that names a (listed) server."""
    either: Counter[str] = Counter()
    owned: Counter[str] = Counter()
    for camera in cameras:
        candidates = {camera.owner_server_id, camera.reserve_server_id} - {None}
        if listed is not None:
            candidates &= set(listed)
        either.update(candidates)  # type: ignore[arg-type]
        if camera.owner_server_id in candidates:
            owned[camera.owner_server_id] += 1  # type: ignore[index]
    if not either:
        return None
    return max(sorted(either), key=lambda server_id: (either[server_id], owned[server_id]))


def _main_unknown_message(target: TargetConfig, servers: Sequence[Server]) -> str:
    listed = ", ".join(
        f"{server.server_id} ({server.name!r} at {server.hostname}:{server.port})" for server in servers
    )
    return (
        f"target {target.name}: cannot tell which server is the main one: none is listed at "
        f"{target.host}:{target.port} and none of its cameras names its server; every server is polled at "
        f"its listed address. Name it with server_addresses: {{<its id>: {target.url}}}. Listed: {listed}"
    )


async def _main_server_only(client: EocortexClient) -> Topology:
    target = client.target
    body = await client.get_body(target.url, endpoints.API_CHANNELS, endpoints.API_CHANNELS)
    cameras = await read_body(client, endpoints.API_CHANNELS, "main", parse_channels, body, "main")
    main_id = serving_server(cameras) or UNKNOWN_MAIN_SERVER_ID
    main = Server(server_id=main_id, name="", hostname=target.host, port=target.port)
    return Topology(servers=(main,), configure_access=False, main_server_id=main_id, main_found_by=BY_CAMERAS)


def server_urls(target: TargetConfig, topology: Topology) -> dict[str, str | None]:
    """Where to send each server's api/ requests: the target URL for the main server; an override, or
    ``Hostname:Port`` from configure/servers with the target's scheme, for the others; None for a server
    listed without an address and without an override."""
    urls: dict[str, str | None] = {}
    for server in topology.servers:
        url = target.url if server.server_id == topology.main_server_id else _override(target, server)
        if url is None and server.hostname.strip() and server.port:
            hostname = server.hostname.strip()
            host = f"[{hostname}]" if ":" in hostname and not hostname.startswith("[") else hostname
            url = f"{target.scheme}://{host}:{server.port}"
        urls[server.server_id] = url
    return urls


def _override(target: TargetConfig, server: Server) -> str | None:
    overrides = target.server_addresses
    for key in (server.server_id, f"{server.hostname}:{server.port}", server.hostname):
        if key in overrides:
            return overrides[key]
    return None
