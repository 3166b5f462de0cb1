"""What can go wrong talking to an Eocortex server, as exceptions whose text is safe to log.

Messages name the endpoint template and the server, never a URL with its query string (query
authentication puts the password hash there) and never a credential.
"""

from __future__ import annotations


class ApiError(Exception):
    """Base of every client failure; ``str()`` is one line without secrets."""

    def __init__(self, endpoint: str, message: str) -> None:
        super().__init__(f"{endpoint}: {message}")
        self.endpoint = endpoint


class ApiUnavailable(ApiError):
    """No usable answer: connection refused or reset, timeout, or 5xx/409 after every retry. ``answered``
    tells the last two apart: the server answered (a status), or gave no answer at all."""

    def __init__(self, endpoint: str, message: str, *, answered: bool = False) -> None:
        super().__init__(endpoint, message)
        self.answered = answered


class ApiHttpError(ApiError):
    """The server answered with an error status that retrying cannot fix (400, 401, 403, 404, ...)."""

    def __init__(self, endpoint: str, status: int, detail: str | None) -> None:
        text = f"HTTP {status}" + (f" ({detail})" if detail else "")
        super().__init__(endpoint, text)
        self.status = status
        self.detail = detail


class ApiAuthError(ApiHttpError):
    """401: the credentials were refused."""


class ApiForbidden(ApiHttpError):
    """403: the user lacks the rights (configure/ needs a Senior Administrator)."""


class ApiNotFound(ApiHttpError):
    """404: the resource does not exist on this server (or this server's version lacks it)."""


class ApiParseError(ApiError):
    """The answer could not be read: not JSON, or not the document the endpoint returns."""


class ApiShapeError(ApiParseError):
    """Valid JSON, but not the document the endpoint returns (``null`` or a list for an object...)."""


def http_error(endpoint: str, status: int, detail: str | None) -> ApiHttpError:
    kind = {401: ApiAuthError, 403: ApiForbidden, 404: ApiNotFound}.get(status, ApiHttpError)
    return kind(endpoint, status, detail)
