"""Licence usage of a server (``webapi/license``)."""

from __future__ import annotations

from eocexporter.client import endpoints
from eocexporter.client.payloads import parse_license
from eocexporter.client.reading import read_payload
from eocexporter.collectors.base import CollectContext, ServerTarget
from eocexporter.model import LicenseSection
from eocexporter.options import CollectorConfig, Duration


class LicensesConfig(CollectorConfig):
    interval: Duration = 300.0


class LicensesCollector:
    async def collect(self, ctx: CollectContext[LicensesConfig], target: ServerTarget) -> LicenseSection:
        server_id = target.server.server_id
        payload = await ctx.client.get_json(
            target.base_url, endpoints.WEBAPI_LICENSE, endpoints.WEBAPI_LICENSE
        )
        license_ = read_payload(
            ctx.client, endpoints.WEBAPI_LICENSE, server_id, parse_license, payload, server_id
        )
        return LicenseSection(license=license_)
