"""The three ways Eocortex accepts credentials (reference L237-326, digest Q14).

- Basic, internal user: ``base64(login:md5hex(password))``.
- Basic, Active Directory user: ``base64(login:password)`` plus the header ``UserType: ActiveDirectory``.
- Query parameters ``login``, ``password`` (MD5 hex for internal users, Base64 for AD users) and
  ``usertype=ActiveDirectory`` for AD users.

For an internal user with an empty password the reference says the password "can be omitted", which
is what its own examples do (``login=root&password=``); we send it empty rather than as MD5("").
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

from eocexporter.options import TargetConfig


@dataclass(frozen=True, slots=True, repr=False)
class Credentials:
    """Headers and query parameters to add to every request. ``repr`` hides them."""

    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return "Credentials(<secret>)"

    def secrets(self) -> tuple[str, ...]:
        """Every form in which these credentials could come back in a server's error message (a message
        that quotes the request): the password parameter and the Authorization token, as sent and
        percent-encoded, hex in either case. Longest first, so no form is left half replaced."""
        values = [self.params.get("password", "")]
        for name, value in self.headers.items():
            if name.lower() == "authorization":
                values.append(value.partition(" ")[2])
        forms = set()
        for value in filter(None, values):
            for form in (value, quote(value, safe=""), quote_plus(value), value.lower(), value.upper()):
                forms.add(form)
        return tuple(sorted(forms, key=len, reverse=True))


def credentials_for(target: TargetConfig) -> Credentials:
    login = target.username
    active_directory = target.user_type == "active_directory"
    if active_directory:
        password = target.secret()
    else:
        password = target.password_md5() if target.secret() else ""
    if target.auth == "basic":
        token = base64.b64encode(f"{login}:{password}".encode()).decode("ascii")
        headers = {"Authorization": f"Basic {token}"}
        if active_directory:
            headers["UserType"] = "ActiveDirectory"
        return Credentials(headers=headers)
    params = {"login": login}
    if active_directory:
        params["password"] = base64.b64encode(password.encode()).decode("ascii")
        params["usertype"] = "ActiveDirectory"
    elif password:
        params["password"] = password
    return Credentials(params=params)
