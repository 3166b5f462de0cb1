"""Eocortex / Licences: modules used / limit per server, server channel allocations, expiry, clients."""

from __future__ import annotations

from grafana_foundation_sdk.builders import bargauge, stat, table, timeseries
from grafana_foundation_sdk.models.common import BigValueGraphMode, BigValueTextMode

from .common import (
    SERVER,
    SERVER_NAME,
    Dashboard,
    T,
    merge,
    organize,
    panel,
    query,
    steps,
    value_mappings,
)

FILE = "eocortex-licences.json"


def dashboard() -> Dashboard:
    d = Dashboard(
        "eocortex-licences",
        "Eocortex / Licences",
        "Licence modules used / limit per server, server channel allocations and expiry.",
        ["datasource", "target", "server"],
    )
    limited = f"(eocortex_license_channels_limit{{{SERVER}}} > 0)"
    d.row("Modules (webapi/license)")
    d.add(
        panel(
            bargauge.Panel,
            "Use per module and server",
            "eocortex_license_channels_used / eocortex_license_channels_limit, modules with a limit only.",
            [
                query(
                    f"eocortex_license_channels_used{{{SERVER}}} / {limited} {SERVER_NAME}",
                    "{{server}}: {{module}}",
                    instant=True,
                )
            ],
            unit="percentunit",
        )
        .min(0)
        .max(1)
        .thresholds(steps("green", ("orange", 0.9), ("red", 1)))
    )
    d.add(
        panel(
            table.Panel,
            "Used / limit per module and server",
            "Channels in use (across the installation and on the server) and licensed, modules with a limit only.",
            [
                query(
                    f"(eocortex_license_channels_used{{{SERVER}}} and {limited}) {SERVER_NAME}", table=True
                ),
                query(
                    f"(eocortex_license_channels_used_on_server{{{SERVER}}} and {limited}) {SERVER_NAME}",
                    table=True,
                ),
                query(f"{limited} {SERVER_NAME}", table=True),
            ],
            unit="none",
        ).transformations(
            [
                merge(),
                organize(
                    ["server", "module", "Value #A", "Value #B", "Value #C"],
                    {
                        "server": "Server",
                        "module": "Module",
                        "target": "Installation",
                        "Value #A": "Used",
                        "Value #B": "Used on server",
                        "Value #C": "Limit",
                    },
                ),
            ]
        )
    )
    d.add(
        panel(
            timeseries.Panel,
            "Use per module over time",
            "Share of each module in use per installation (recording rule "
            "target_module:eocortex_license_channels_used:ratio).",
            [query(f"target_module:eocortex_license_channels_used:ratio{{{T}}}", "{{target}}: {{module}}")],
            unit="percentunit",
        ).min(0)
    )
    d.add(
        panel(
            bargauge.Panel,
            "Server channel allocation",
            "Channels of each server in use by kind, from configure/servers (UsedLicParams / TotalLicParams).",
            [
                query(
                    f"eocortex_server_license_channels_used{{{SERVER}}} / (eocortex_server_license_channels_limit{{{SERVER}}} > 0) {SERVER_NAME}",
                    "{{server}}: {{kind}}",
                    instant=True,
                )
            ],
            unit="percentunit",
        )
        .min(0)
        .max(1)
        .thresholds(steps("green", ("orange", 0.9), ("red", 1)))
    )
    d.row("Expiry (time-limited licences only)")
    d.add(
        panel(
            stat.Panel,
            "Days until expiry",
            "Days until the time-limited licence reported by each server expires; no value for unlimited "
            "licences.",
            [
                query(
                    f"(eocortex_license_expiry_timestamp_seconds{{{SERVER}}} - time()) / 86400 {SERVER_NAME}",
                    "{{server}}",
                )
            ],
            unit="d",
        )
        .decimals(1)
        .thresholds(steps("red", ("orange", 7), ("green", 30)))
    )
    d.add(
        panel(
            stat.Panel,
            "Expiry date",
            "When the time-limited licence reported by each server expires.",
            [
                query(
                    f"eocortex_license_expiry_timestamp_seconds{{{SERVER}}} * 1000 {SERVER_NAME}",
                    "{{server}}",
                )
            ],
            unit="dateTimeAsIso",
        )
        .text_mode(BigValueTextMode.VALUE_AND_NAME)
        .graph_mode(BigValueGraphMode.NONE)
    )
    d.row("Client connections")
    d.add(
        panel(
            stat.Panel,
            "Client connections allowed",
            'Client connections the licence of each server allows (webapi/license MaxClients); "unlimited" for '
            "a licence that does not limit them (IsMaxClientsLimited false).",
            [
                query(
                    f"""(eocortex_license_max_clients{{{SERVER}}}
                    or (eocortex_license_max_clients_limited{{{SERVER}}} == 0) - 1) {SERVER_NAME}""",
                    "{{server}}",
                )
            ],
            unit="none",
            width=24,
            height=5,
        )
        .text_mode(BigValueTextMode.VALUE_AND_NAME)
        .graph_mode(BigValueGraphMode.NONE)
        .mappings(value_mappings(("-1", "unlimited", None)))
    )
    return d
