"""The web configuration file, read as strictly as exporter-toolkit reads it (Go's ``yaml.UnmarshalStrict``).

Field names, defaults and checks follow exporter-toolkit's ``web/tls_config.go`` and ``web/handler.go``:
unknown keys and duplicate keys are errors, ``basic_auth_users`` must hold bcrypt hashes, only five
response headers may be configured (two of them with fixed values), relative file names are read next to
the configuration file. Where Python's ssl module cannot do what Go's crypto/tls does, the difference is
an error or a warning here, never silent (docs/security.md lists them).

Every problem is one line naming the file and the option. Values of ``basic_auth_users`` (the hashes) are
never part of a message.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["ALLOWED_HEADERS", "TLSServerConfig", "WebConfig", "WebConfigError", "load_web_config"]


class WebConfigError(Exception):
    """A web configuration that cannot be used; the message is one line and free of secrets."""


# exporter-toolkit's extraHTTPHeaders: the headers a web config may set, and the only values allowed
# where the header is an enumeration (None: any value).
ALLOWED_HEADERS: dict[str, tuple[str, ...] | None] = {
    "Strict-Transport-Security": None,
    "X-Content-Type-Options": ("nosniff",),
    "X-Frame-Options": ("deny", "sameorigin"),
    "X-XSS-Protection": None,
    "Content-Security-Policy": None,
}

# exporter-toolkit options eocexporter cannot honour, and why: rejected by name rather than as unknown.
UNSUPPORTED = {
    "rate_limit": "rate_limit is not supported by eocexporter",
    "tls_server_config.cert": "inline certificates are not supported by eocexporter; use cert_file",
    "tls_server_config.key": "inline keys are not supported by eocexporter; use key_file",
    "tls_server_config.client_ca": "inline client CAs are not supported by eocexporter; use client_ca_file",
    "tls_server_config.curve_preferences": (
        "curve_preferences is not supported by eocexporter (Python's ssl module sets no curve list)"
    ),
}

TOP_LEVEL = ("tls_server_config", "http_server_config", "basic_auth_users")
TLS_KEYS = (
    "cert_file",
    "key_file",
    "client_auth_type",
    "client_ca_file",
    "client_allowed_sans",
    "min_version",
    "max_version",
    "cipher_suites",
    "prefer_server_cipher_suites",
)
HTTP_KEYS = ("http2", "headers")

# A bcrypt hash as Go's golang.org/x/crypto/bcrypt and Python's bcrypt both read it: $2a$, $2b$, $2x$ or
# $2y$, a two-digit cost from 4 to 31, then 22 characters of salt and 31 of hash.
BCRYPT_HASH = re.compile(r"\$2[abxy]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}")


@dataclass(frozen=True)
class TLSServerConfig:
    """``tls_server_config``, with file names made absolute."""

    cert_file: Path
    key_file: Path
    client_auth_type: str = "NoClientCert"
    client_ca_file: Path | None = None
    # None: no SAN check; an empty tuple, as in Go, admits no certificate at all.
    client_allowed_sans: tuple[str, ...] | None = None
    min_version: str = "TLS12"
    max_version: str = "TLS13"
    cipher_suites: tuple[str, ...] = ()
    prefer_server_cipher_suites: bool = True

    @property
    def files(self) -> tuple[Path, ...]:
        return (self.cert_file, self.key_file, *((self.client_ca_file,) if self.client_ca_file else ()))


@dataclass(frozen=True)
class WebConfig:
    """One successfully read web configuration, ready to serve with."""

    path: Path
    tls: TLSServerConfig | None = None
    # Accepted for compatibility and ignored: aiohttp serves HTTP/1.1 only.
    http2: bool = True
    # The headers to add to every response, blank values left out ("unset if blank").
    headers: tuple[tuple[str, str], ...] = ()
    # user -> bcrypt hash
    users: Mapping[str, bytes] = field(default_factory=dict)
    ssl_context: ssl.SSLContext | None = field(default=None, compare=False, repr=False)
    # What the file asks that Python's ssl does differently (logged, not fatal).
    warnings: tuple[str, ...] = ()

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file this configuration was read from: the file itself and the TLS files it names."""
        return (self.path, *(self.tls.files if self.tls else ()))

    def summary(self) -> str:
        tls = "TLS" if self.tls else "no TLS"
        if self.tls and self.tls.client_auth_type not in ("NoClientCert", "RequestClientCert"):
            tls += f" ({self.tls.client_auth_type})"
        auth = f"basic auth for {len(self.users)} user(s)" if self.users else "no basic auth"
        return f"{tls}, {auth}"


class _StrictLoader(yaml.SafeLoader):
    """safe_load that refuses duplicate keys, as Go's yaml.UnmarshalStrict does."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise WebConfigError(f"line {key_node.start_mark.line + 1}: duplicate key {key!r}")
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_web_config(path: Path | str) -> WebConfig:
    """Read and check the file, and build its TLS context; :class:`WebConfigError` on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WebConfigError(f"web config {path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise WebConfigError(f"web config {path}: not UTF-8 text") from None
    try:
        return _parse(path, text)
    except WebConfigError as exc:
        raise WebConfigError(f"web config {path}: {exc}") from None


def _parse(path: Path, text: str) -> WebConfig:
    try:
        document = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        # PyYAML's own message may quote the document, hashes included: only the line is shown.
        raise WebConfigError(f"not valid YAML{where}") from None
    if document is None:
        document = {}
    root = _mapping(document, "the top level")
    _known_keys(root, "", TOP_LEVEL)

    tls = _tls(root.get("tls_server_config"), path.parent)
    http = _mapping(root.get("http_server_config"), "http_server_config")
    _known_keys(http, "http_server_config.", HTTP_KEYS)
    http2 = _bool(http.get("http2", True), "http_server_config.http2")
    headers = _headers(http.get("headers"))
    users = _users(root.get("basic_auth_users"))

    config = WebConfig(path=path, tls=tls, http2=http2, headers=headers, users=users)
    if tls is None:
        return config
    from eocexporter.web.tls import build_server_context

    context, warnings = build_server_context(tls)
    return WebConfig(
        path=path,
        tls=tls,
        http2=http2,
        headers=headers,
        users=users,
        ssl_context=context,
        warnings=tuple(warnings),
    )


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise WebConfigError(f"{where}: expected a mapping")
    for key in value:
        if not isinstance(key, str):
            raise WebConfigError(f"{where}: keys must be strings")
    return value


def _known_keys(mapping: dict[str, Any], prefix: str, known: tuple[str, ...]) -> None:
    for key in mapping:
        name = prefix + key
        if name in UNSUPPORTED:
            raise WebConfigError(f"{name}: {UNSUPPORTED[name]}")
        if key not in known:
            raise WebConfigError(f"{name}: unknown option (known: {', '.join(known)})")


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise WebConfigError(f"{where}: expected true or false")
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise WebConfigError(f"{where}: expected a string")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise WebConfigError(f"{where}: expected a list of strings")
    return tuple(_string(item, f"{where}[{index}]") for index, item in enumerate(value))


def _file(value: Any, where: str, directory: Path) -> Path | None:
    """A file name; relative ones are read next to the web config file (exporter-toolkit's SetDirectory)."""
    if value is None or value == "":
        return None
    return directory / _string(value, where)


def _tls(value: Any, directory: Path) -> TLSServerConfig | None:
    section = _mapping(value, "tls_server_config")
    if not section:
        return None
    _known_keys(section, "tls_server_config.", TLS_KEYS)
    cert = _file(section.get("cert_file"), "tls_server_config.cert_file", directory)
    key = _file(section.get("key_file"), "tls_server_config.key_file", directory)
    # exporter-toolkit serves plain HTTP when none of the TLS files is given, whatever else the section
    # says; a section that is there but cannot serve TLS is far more likely a mistake, so it is one here.
    if cert is None:
        raise WebConfigError("tls_server_config.cert_file: required to serve TLS")
    if key is None:
        raise WebConfigError("tls_server_config.key_file: required to serve TLS")
    sans = section.get("client_allowed_sans")
    return TLSServerConfig(
        cert_file=cert,
        key_file=key,
        client_auth_type=_string(
            section.get("client_auth_type") or "NoClientCert", "tls_server_config.client_auth_type"
        ),
        client_ca_file=_file(section.get("client_ca_file"), "tls_server_config.client_ca_file", directory),
        client_allowed_sans=(
            None if sans is None else _strings(sans, "tls_server_config.client_allowed_sans")
        ),
        min_version=_string(section.get("min_version") or "TLS12", "tls_server_config.min_version"),
        max_version=_string(section.get("max_version") or "TLS13", "tls_server_config.max_version"),
        cipher_suites=_strings(section.get("cipher_suites"), "tls_server_config.cipher_suites"),
        prefer_server_cipher_suites=_bool(
            section.get("prefer_server_cipher_suites", True), "tls_server_config.prefer_server_cipher_suites"
        ),
    )


def _headers(value: Any) -> tuple[tuple[str, str], ...]:
    """exporter-toolkit's validateHeaderConfig: five names, exact spelling; fixed values where enumerated."""
    headers = _mapping(value, "http_server_config.headers")
    result = []
    for name, raw in headers.items():
        where = f"http_server_config.headers.{name}"
        if name not in ALLOWED_HEADERS:
            raise WebConfigError(
                f"{where}: HTTP header {name!r} can not be configured (allowed: {', '.join(ALLOWED_HEADERS)})"
            )
        header_value = "" if raw is None else _string(raw, where)
        allowed = ALLOWED_HEADERS[name]
        if allowed is not None and header_value not in allowed:
            raise WebConfigError(
                f"{where}: invalid value {header_value!r}, expected one of {', '.join(allowed)}"
            )
        if any(ord(char) < 0x20 or ord(char) == 0x7F for char in header_value):
            raise WebConfigError(f"{where}: control characters are not allowed in a header value")
        if header_value:
            result.append((name, header_value))
    return tuple(result)


def _users(value: Any) -> dict[str, bytes]:
    users = _mapping(value, "basic_auth_users")
    result = {}
    for user, hashed in users.items():
        # The message names the user, never the value (a hash is a secret).
        if not isinstance(hashed, str) or not BCRYPT_HASH.fullmatch(hashed):
            raise WebConfigError(
                f"basic_auth_users: the password hash of user {user!r} is not a bcrypt hash "
                "($2a$, $2b$ or $2y$, cost 04-31, 60 characters)"
            )
        if ":" in user:
            raise WebConfigError(f"basic_auth_users: user {user!r}: a user name cannot contain ':'")
        result[user] = hashed.encode("ascii")
    return result
