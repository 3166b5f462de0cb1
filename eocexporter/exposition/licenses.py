"""Licence usage, limits, features and expiry per server (``webapi/license``; the licenses collector)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from eocexporter.exposition.family import SeriesSet, bool_value, gauge
from eocexporter.exposition.labels import feature_label, module_label
from eocexporter.model import LicenseSection

LICENSE_INFO = gauge(
    "eocortex_license_info",
    "Always 1; the licence's ProductType from webapi/license.",
    ("target", "server_id", "product_type"),
    polled_by="licenses",
)
LICENSE_LIMIT = gauge(
    "eocortex_license_channels_limit",
    "Channels the licence allows for the module (webapi/license <Module>Channels.Total).",
    ("target", "server_id", "module"),
    polled_by="licenses",
)
LICENSE_USED = gauge(
    "eocortex_license_channels_used",
    "Channels using the module across the installation (webapi/license <Module>Channels.Used).",
    ("target", "server_id", "module"),
    polled_by="licenses",
)
LICENSE_USED_ON_SERVER = gauge(
    "eocortex_license_channels_used_on_server",
    "Channels using the module on this server (webapi/license <Module>Channels.OnServer).",
    ("target", "server_id", "module"),
    polled_by="licenses",
)
LICENSE_FEATURE = gauge(
    "eocortex_license_feature_enabled",
    "1 if the licence enables the feature (webapi/license Is...Enabled flags and VideoAnalystServer),"
    " 0 if not.",
    ("target", "server_id", "feature"),
    polled_by="licenses",
)
LICENSE_EXPIRY = gauge(
    "eocortex_license_expiry_timestamp_seconds",
    "Unix time the time-limited licence expires (webapi/license TimeLimit); absent for a licence"
    " without a time limit.",
    ("target", "server_id"),
    polled_by="licenses",
)

LICENSE_MAX_CLIENTS = gauge(
    "eocortex_license_max_clients",
    "Client connections the licence allows (webapi/license MaxClients); absent when the licence does not"
    " limit them (IsMaxClientsLimited false).",
    ("target", "server_id"),
    polled_by="licenses",
)
LICENSE_MAX_CLIENTS_LIMITED = gauge(
    "eocortex_license_max_clients_limited",
    "1 if the licence limits the number of client connections, 0 if not (webapi/license"
    " IsMaxClientsLimited).",
    ("target", "server_id"),
    polled_by="licenses",
)

FAMILIES = (
    LICENSE_INFO,
    LICENSE_LIMIT,
    LICENSE_USED,
    LICENSE_USED_ON_SERVER,
    LICENSE_FEATURE,
    LICENSE_EXPIRY,
    LICENSE_MAX_CLIENTS,
    LICENSE_MAX_CLIENTS_LIMITED,
)


def render(series: SeriesSet, target: str, sections: Mapping[str, LicenseSection]) -> None:
    for server_id, section in sorted(sections.items()):
        license_ = section.license
        if license_ is None:
            continue  # the server has no webapi/license
        series.add(LICENSE_INFO, (target, server_id, license_.product_type), 1)
        for name, module in sorted(license_.modules.items()):
            module_labels = (target, server_id, module_label(name))
            series.add(LICENSE_LIMIT, module_labels, module.total)
            series.add(LICENSE_USED, module_labels, module.used)
            series.add(LICENSE_USED_ON_SERVER, module_labels, module.on_server)
        for name, enabled in sorted(license_.features.items()):
            series.add(LICENSE_FEATURE, (target, server_id, feature_label(name)), bool_value(enabled))
        if license_.is_time_limited and license_.time_limit is not None:
            series.add(LICENSE_EXPIRY, (target, server_id), _unix_seconds(license_.time_limit))
        series.add(LICENSE_MAX_CLIENTS_LIMITED, (target, server_id), bool_value(license_.max_clients_limited))
        # An unlimited licence's MaxClients (0 in the reference's example) is no limit: no series.
        if license_.max_clients_limited is not False:
            series.add(LICENSE_MAX_CLIENTS, (target, server_id), license_.max_clients)


def _unix_seconds(moment: datetime) -> float:
    # The model promises aware UTC; a naive value is read as UTC rather than as the exporter's local time.
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).timestamp()
