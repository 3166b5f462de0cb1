"""The Grafana dashboards of dashboards/, one module per dashboard, built with grafana-foundation-sdk.

Each module has ``FILE`` (its name in dashboards/) and ``dashboard()``, which returns the SDK's dashboard
builder (``common.Dashboard``, a subclass); ``render_all()`` serialises them all with the SDK's encoder.
"""

from __future__ import annotations

import json
from types import ModuleType

from grafana_foundation_sdk.cog.encoder import JSONEncoder

from . import archive, cameras, counting, exporter, licences, overview

MODULES: tuple[ModuleType, ...] = (overview, cameras, counting, licences, archive, exporter)


def render(module: ModuleType) -> str:
    """The JSON of one dashboard module, as committed: 2-space indent, UTF-8, a final newline."""
    return json.dumps(module.dashboard().build(), cls=JSONEncoder, indent=2, ensure_ascii=False) + "\n"


def render_all() -> dict[str, str]:
    return {module.FILE: render(module) for module in MODULES}
