"""``tls_server_config`` -> :class:`ssl.SSLContext`, as exporter-toolkit's ``ConfigToTLSConfig`` builds Go's.

What Python's ssl module (OpenSSL) does differently from Go's crypto/tls, and how it is handled:

- ``client_auth_type``: OpenSSL verifies every client certificate it asks for, so ``RequestClientCert``
  (ask, never verify, never require) is served as ``NoClientCert`` (the exporter would not use the
  certificate either way), and ``RequireAnyClientCert`` (require one, verify none) as
  ``RequireAndVerifyClientCert`` against ``client_ca_file``, which it then needs. Both are logged as
  warnings. The verifying types need ``client_ca_file``: Go would fall back to the system's public CAs,
  which admit anyone with a certificate from any public CA.
- ``cipher_suites`` takes Go's names (those of Go's ``tls.CipherSuites()``, as exporter-toolkit does),
  mapped to OpenSSL's through their IANA code; an unknown name or one this OpenSSL lacks is an error.
  They apply to TLS 1.0-1.2 only: TLS 1.3 suites can be configured neither in Go nor through Python's
  ssl, so the three TLS 1.3 names are accepted and have no effect (a list of only those is an error).
- ``min_version`` ``TLS10``/``TLS11`` is passed on, but OpenSSL 3 refuses TLS 1.0 and 1.1 at its default
  security level, which is not lowered: a warning says so.
- ``client_allowed_sans`` is checked per request (a 403) rather than during the handshake: Python's ssl
  has no hook into certificate verification.
"""

from __future__ import annotations

import functools
import ipaddress
import ssl
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eocexporter.web.config import TLSServerConfig, WebConfigError

__all__ = [
    "CLIENT_AUTH_TYPES",
    "GO_CIPHER_SUITES",
    "TLS_VERSIONS",
    "build_server_context",
    "reloading_context",
    "san_allowed",
]

TLS_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}

# Go's tls.CipherSuites() (Go 1.21): the names exporter-toolkit accepts, and their IANA codes.
GO_CIPHER_SUITES = {
    "TLS_RSA_WITH_AES_128_CBC_SHA": 0x002F,
    "TLS_RSA_WITH_AES_256_CBC_SHA": 0x0035,
    "TLS_RSA_WITH_AES_128_GCM_SHA256": 0x009C,
    "TLS_RSA_WITH_AES_256_GCM_SHA384": 0x009D,
    "TLS_AES_128_GCM_SHA256": 0x1301,
    "TLS_AES_256_GCM_SHA384": 0x1302,
    "TLS_CHACHA20_POLY1305_SHA256": 0x1303,
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": 0xC009,
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": 0xC00A,
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": 0xC013,
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": 0xC014,
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": 0xC02B,
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": 0xC02C,
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": 0xC02F,
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": 0xC030,
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": 0xCCA8,
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": 0xCCA9,
}
TLS13_SUITES = frozenset({0x1301, 0x1302, 0x1303})

# client_auth_type -> (how OpenSSL is asked to verify, whether client_ca_file is needed, what it becomes)
CLIENT_AUTH_TYPES: dict[str, tuple[ssl.VerifyMode, bool, str | None]] = {
    "NoClientCert": (ssl.CERT_NONE, False, None),
    "RequestClientCert": (ssl.CERT_NONE, False, "NoClientCert"),
    "RequireAnyClientCert": (ssl.CERT_REQUIRED, True, "RequireAndVerifyClientCert"),
    # exporter-toolkit keeps this old spelling of RequireAnyClientCert.
    "RequireClientCert": (ssl.CERT_REQUIRED, True, "RequireAndVerifyClientCert"),
    "VerifyClientCertIfGiven": (ssl.CERT_OPTIONAL, True, None),
    "RequireAndVerifyClientCert": (ssl.CERT_REQUIRED, True, None),
}


class _PasswordAsked(Exception):
    """OpenSSL asked for the key's passphrase: the key is encrypted."""


def _refuse_password() -> bytes:
    # Without a callback OpenSSL would prompt on the terminal and block the start-up.
    raise _PasswordAsked


def build_server_context(tls: TLSServerConfig) -> tuple[ssl.SSLContext, list[str]]:
    """The server context ``tls`` asks for, and warnings where OpenSSL does something else."""
    notes: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _load_certificate(context, tls)

    minimum = _version(tls.min_version, "min_version")
    maximum = _version(tls.max_version, "max_version")
    if minimum > maximum:
        raise WebConfigError(
            f"tls_server_config: min_version {tls.min_version} is above max_version {tls.max_version}"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # ssl deprecates TLSv1 and TLSv1_1 themselves
        context.minimum_version = minimum
        context.maximum_version = maximum
    if minimum < ssl.TLSVersion.TLSv1_2 and context.security_level >= 1 and ssl.OPENSSL_VERSION_INFO >= (3,):
        notes.append(
            f"tls_server_config.min_version {tls.min_version}: {ssl.OPENSSL_VERSION} refuses TLS 1.0 and "
            f"1.1 at its security level {context.security_level}, which eocexporter does not lower: "
            "clients still need TLS 1.2"
        )

    if tls.cipher_suites:
        context.set_ciphers(_openssl_cipher_list(tls.cipher_suites))
    if tls.prefer_server_cipher_suites:
        context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    else:
        context.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE

    if tls.client_auth_type not in CLIENT_AUTH_TYPES:
        raise WebConfigError(
            f"tls_server_config.client_auth_type: invalid ClientAuth {tls.client_auth_type!r} "
            f"(one of {', '.join(name for name in CLIENT_AUTH_TYPES if name != 'RequireClientCert')})"
        )
    verify_mode, needs_ca, served_as = CLIENT_AUTH_TYPES[tls.client_auth_type]
    if tls.client_ca_file is not None and tls.client_auth_type == "NoClientCert":
        raise WebConfigError(
            "tls_server_config: client_ca_file is set but client_auth_type is NoClientCert "
            "(a client CA without a client auth policy)"
        )
    if needs_ca and tls.client_ca_file is None:
        raise WebConfigError(
            f"tls_server_config.client_ca_file: required with client_auth_type {tls.client_auth_type} "
            "(client certificates are verified against it, never against the system's public CAs)"
        )
    if tls.client_allowed_sans is not None and verify_mode != ssl.CERT_REQUIRED:
        raise WebConfigError(
            "tls_server_config.client_allowed_sans: requires client_auth_type to be one of "
            "RequireAnyClientCert or RequireAndVerifyClientCert"
        )
    if tls.client_ca_file is not None and verify_mode != ssl.CERT_NONE:
        _load_client_ca(context, tls.client_ca_file)
    context.verify_mode = verify_mode
    if served_as is not None:
        why = (
            "Python's ssl cannot ask for a certificate without verifying it, and the exporter does not use it"
            if served_as == "NoClientCert"
            else "Python's ssl verifies every client certificate it asks for"
        )
        notes.append(
            f"tls_server_config.client_auth_type {tls.client_auth_type} is served as {served_as}: {why}"
        )
    return context, notes


def _version(name: str, option: str) -> ssl.TLSVersion:
    try:
        return TLS_VERSIONS[name]
    except KeyError:
        raise WebConfigError(
            f"tls_server_config.{option}: unknown TLS version {name!r} (one of {', '.join(TLS_VERSIONS)})"
        ) from None


def _read(path: Path, option: str) -> str:
    try:
        return path.read_bytes().decode("latin-1")
    except OSError as exc:
        raise WebConfigError(
            f"tls_server_config.{option}: cannot read {path}: {exc.strerror or exc}"
        ) from None


def _load_certificate(context: ssl.SSLContext, tls: TLSServerConfig) -> None:
    if "-----BEGIN CERTIFICATE-----" not in _read(tls.cert_file, "cert_file"):
        raise WebConfigError(f"tls_server_config.cert_file: no PEM certificate in {tls.cert_file}")
    if "PRIVATE KEY-----" not in _read(tls.key_file, "key_file"):
        raise WebConfigError(f"tls_server_config.key_file: no PEM private key in {tls.key_file}")
    try:
        context.load_cert_chain(tls.cert_file, tls.key_file, password=_refuse_password)
    except _PasswordAsked:
        raise WebConfigError(
            f"tls_server_config.key_file: {tls.key_file} is encrypted; give an unencrypted key"
        ) from None
    except ssl.SSLError as exc:
        if exc.reason in ("KEY_VALUES_MISMATCH", "NO_CERTIFICATE_ASSIGNED"):
            raise WebConfigError(
                f"tls_server_config: key_file {tls.key_file} does not match cert_file {tls.cert_file}"
            ) from None
        raise WebConfigError(
            f"tls_server_config: cannot load cert_file {tls.cert_file} with key_file {tls.key_file}: "
            f"{exc.reason or exc}"
        ) from None
    except OSError as exc:
        raise WebConfigError(
            f"tls_server_config: cannot read the certificate: {exc.strerror or exc}"
        ) from None


def _load_client_ca(context: ssl.SSLContext, path: Path) -> None:
    if "-----BEGIN CERTIFICATE-----" not in _read(path, "client_ca_file"):
        raise WebConfigError(f"tls_server_config.client_ca_file: no PEM certificate in {path}")
    try:
        context.load_verify_locations(cafile=path)
    except (ssl.SSLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        raise WebConfigError(f"tls_server_config.client_ca_file: cannot load {path}: {reason}") from None


@functools.cache
def _openssl_names() -> dict[int, str]:
    """IANA code -> OpenSSL's name, for every suite this OpenSSL implements."""
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    probe.set_ciphers("ALL:@SECLEVEL=0")
    return {cipher["id"] & 0xFFFF: cipher["name"] for cipher in probe.get_ciphers()}


def _openssl_cipher_list(names: tuple[str, ...]) -> str:
    available = _openssl_names()
    chosen = []
    for name in names:
        code = GO_CIPHER_SUITES.get(name)
        if code is None:
            raise WebConfigError(
                f"tls_server_config.cipher_suites: unknown cipher {name!r} (Go's names, as exporter-toolkit "
                "takes them, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)"
            )
        if code in TLS13_SUITES:
            continue  # TLS 1.3 suites are not configurable, in Go as here
        if code not in available:
            raise WebConfigError(
                f"tls_server_config.cipher_suites: {name} is not available in {ssl.OPENSSL_VERSION}"
            )
        chosen.append(available[code])
    if not chosen:
        raise WebConfigError(
            "tls_server_config.cipher_suites: lists only TLS 1.3 suites, which cannot be configured; "
            "list TLS 1.2 suites or leave cipher_suites out"
        )
    return ":".join(chosen)


def san_allowed(peercert: dict[str, Any] | None, allowed: tuple[str, ...]) -> bool:
    """Whether a verified client certificate has a DNS, IP, e-mail or URI SAN equal to one of ``allowed``
    (exporter-toolkit's VerifyPeerCertificate; IP addresses written as Go writes them)."""
    if not peercert:
        return False
    for kind, value in peercert.get("subjectAltName", ()):
        if kind == "IP Address":
            value = _go_ip(value)
        elif kind not in ("DNS", "email", "URI"):
            continue
        if value in allowed:
            return True
    return False


def _go_ip(text: str) -> str:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return text
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


class _ReloadingContext(ssl.SSLContext):
    """The listener's context. asyncio asks it for an SSL object per accepted connection (``wrap_bio``);
    it hands out one of the latest configuration's context instead, so certificates, CAs, versions,
    ciphers and client authentication all follow the file for new connections, as exporter-toolkit's
    GetConfigForClient makes them follow it for each ClientHello."""

    current: Callable[[], ssl.SSLContext]

    def wrap_bio(self, incoming: Any, outgoing: Any, *args: Any, **kwargs: Any) -> ssl.SSLObject:  # type: ignore[override]
        return self.current().wrap_bio(incoming, outgoing, *args, **kwargs)

    def wrap_socket(self, sock: Any, *args: Any, **kwargs: Any) -> ssl.SSLSocket:  # type: ignore[override]
        return self.current().wrap_socket(sock, *args, **kwargs)


def reloading_context(current: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
    """A context for the listening socket that defers every connection to ``current()``."""
    context = _ReloadingContext(ssl.PROTOCOL_TLS_SERVER)
    context.current = current
    return context
