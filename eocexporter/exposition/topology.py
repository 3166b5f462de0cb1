"""The servers of each installation as discovery found them (``configure/servers``)."""

from __future__ import annotations

from eocexporter.exposition.family import SeriesSet, bool_value, gauge
from eocexporter.exposition.labels import module_label
from eocexporter.snapshot import TargetSnapshot

SERVER_INFO = gauge(
    "eocortex_server_info",
    "Always 1; one series per server of the installation from configure/servers, with its name and"
    " address as configured.",
    ("target", "server_id", "server", "hostname", "port"),
    polled_by="discovery",
)
SERVER_MAIN = gauge(
    "eocortex_server_main",
    "1 for the main server the exporter talks to (the one configured as the target's url), 0 for the others.",
    ("target", "server_id"),
    polled_by="discovery",
)
SERVER_REPLICATION = gauge(
    "eocortex_server_replication",
    "1 if configure/servers marks the server as a replication server (IsReplicationServer), 0 if not.",
    ("target", "server_id"),
    polled_by="discovery",
)
SERVER_LICENSE_LIMIT = gauge(
    "eocortex_server_license_channels_limit",
    "Licensed channels of the server by kind, from configure/servers TotalLicParams.",
    ("target", "server_id", "kind"),
    polled_by="discovery",
)
SERVER_LICENSE_USED = gauge(
    "eocortex_server_license_channels_used",
    "Channels of the server in use by kind, from configure/servers UsedLicParams.",
    ("target", "server_id", "kind"),
    polled_by="discovery",
)

FAMILIES = (SERVER_INFO, SERVER_MAIN, SERVER_REPLICATION, SERVER_LICENSE_LIMIT, SERVER_LICENSE_USED)


def render(series: SeriesSet, snapshot: TargetSnapshot) -> None:
    topology = snapshot.topology
    if topology is None:
        return
    target = snapshot.target
    for server in sorted(topology.servers, key=lambda server: server.server_id):
        server_id = server.server_id
        port = "" if server.port is None else str(server.port)
        series.add(SERVER_INFO, (target, server_id, server.name, server.hostname, port), 1)
        series.add(SERVER_MAIN, (target, server_id), bool_value(server_id == topology.main_server_id))
        series.add(SERVER_REPLICATION, (target, server_id), bool_value(server.is_replication))
        for kind, channels in sorted(server.license_total.items()):
            series.add(SERVER_LICENSE_LIMIT, (target, server_id, module_label(kind)), channels)
        for kind, channels in sorted(server.license_used.items()):
            series.add(SERVER_LICENSE_USED, (target, server_id, module_label(kind)), channels)
