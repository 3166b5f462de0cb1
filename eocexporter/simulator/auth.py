"""Authentication as the reference describes it (L237-326, digest Q14)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence

from .config import SimUser


class AuthFailed(Exception):
    """401: no or wrong credentials."""


def md5_hex(password: str) -> str:
    return hashlib.md5(password.encode()).hexdigest()


def authenticate(headers: Mapping[str, str], query: Mapping[str, str], users: Sequence[SimUser]) -> SimUser:
    """`query` has lower-cased parameter names. Query credentials win when `login` is present,
    otherwise HTTP Basic is used."""
    if "login" in query:
        login = query["login"]
        user_type = query.get("usertype", "internal").lower()
        if user_type not in ("internal", "activedirectory"):
            raise AuthFailed("unknown usertype")
        active_directory = user_type == "activedirectory"
        secret = query.get("password", "")
        if active_directory:
            try:
                secret = base64.b64decode(secret, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError) as exc:
                raise AuthFailed("password is not Base64") from exc
        return _check(users, login, secret, active_directory)
    authorization = headers.get("Authorization", "")
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise AuthFailed("authorization required")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise AuthFailed("malformed Basic credentials") from exc
    login, _, secret = decoded.partition(":")
    active_directory = headers.get("UserType", "").lower() == "activedirectory"
    return _check(users, login, secret, active_directory)


def _check(users: Sequence[SimUser], login: str, secret: str, active_directory: bool) -> SimUser:
    """Internal users send MD5 hex of the password (nothing, when it is empty); AD users the password."""
    wanted_type = "ActiveDirectory" if active_directory else "internal"
    for user in users:
        if user.login != login or user.user_type != wanted_type:
            continue
        if active_directory:
            if secret == user.password:
                return user
        elif secret.lower() == md5_hex(user.password) or (user.password == "" and secret == ""):
            return user
    raise AuthFailed("wrong login or password")
