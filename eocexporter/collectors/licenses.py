"""Licence usage of a server (``webapi/license``).

``webapi/`` is undocumented as a base and unversioned (Q2): a server of an older version answers 404.
That server has no licence series, the collector succeeds, and the endpoint is asked again hourly
(:mod:`eocexporter.client.support`).
"""

from __future__ import annotations

from eocexporter.client import endpoints
from eocexporter.client.errors import ApiNotFound
from eocexporter.client.payloads import parse_license
from eocexporter.client.reading import read_payload
from eocexporter.collectors.base import CollectContext, ServerTarget, unsupported
from eocexporter.model import LicenseSection
from eocexporter.options import CollectorConfig, Duration

ENDPOINT = endpoints.WEBAPI_LICENSE


class LicensesConfig(CollectorConfig):
    interval: Duration = 300.0


class LicensesCollector:
    async def collect(self, ctx: CollectContext[LicensesConfig], target: ServerTarget) -> LicenseSection:
        client, server_id = ctx.client, target.server.server_id
        if not client.support.due(server_id, ENDPOINT):
            return LicenseSection(license=None)
        try:
            payload = await client.get_json(target.base_url, ENDPOINT, ENDPOINT)
        except ApiNotFound:
            unsupported(ctx, target, ENDPOINT, "404: a version without webapi", "licence series")
            return LicenseSection(license=None)
        client.support.record(server_id, ENDPOINT, supported=True)
        license_ = read_payload(
            client, ENDPOINT, server_id, parse_license, payload, server_id, client.target.timezone
        )
        return LicenseSection(license=license_)
