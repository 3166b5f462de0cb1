"""Access control for the exporter's HTTP endpoints: the Prometheus web configuration file.

``--web.config.file`` names a YAML file in the format of Prometheus' exporter-toolkit
(``tls_server_config``, ``http_server_config``, ``basic_auth_users``; docs/security.md):

- :mod:`.config` reads and validates it strictly (one-line errors that never echo a hash);
- :mod:`.tls` turns ``tls_server_config`` into an :class:`ssl.SSLContext`;
- :mod:`.basic_auth` checks passwords against bcrypt hashes off the event loop, with a cache;
- :mod:`.guard` is the running side: the listener's TLS context and the middleware (authentication,
  security headers), both following changes of the files within a second.

This package imports nothing else of the exporter.
"""

from __future__ import annotations

from eocexporter.web.config import WebConfig, WebConfigError, load_web_config
from eocexporter.web.guard import WebGuard

__all__ = ["WebConfig", "WebConfigError", "WebGuard", "load_web_config"]
