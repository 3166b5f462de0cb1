"""HTTP basic authentication against ``basic_auth_users``' bcrypt hashes, without stalling the event loop.

exporter-toolkit (``web/internal/authentication/basicauth``) checks a password with bcrypt once per
(user, hash, password) and caches the outcome, good or bad, under the key ``hex(user):hex(hash):
hex(password)`` in a map of 100 entries with random eviction; bcrypt runs under a mutex, one at a time;
an unknown user is checked against a fixed dummy hash, so that timing does not tell which users exist.

Here, the same idea with these differences:

- bcrypt runs in a small thread pool of its own (:data:`BCRYPT_THREADS`; bcrypt releases the GIL), never
  on the event loop, so a scrape with already-verified credentials is answered while a burst of logins is
  being checked;
- concurrent checks of the same (user, hash, password) share one bcrypt call;
- no password is kept: the cache holds HMAC-SHA256 digests of (user, hash, password) under a key drawn
  at random per process. A user's verified digest is compared with :func:`hmac.compare_digest`; failed
  digests sit in a separate LRU of :data:`DENIED_CACHE` entries, so a flood of wrong passwords can neither
  evict the verified entries nor make bcrypt run twice for the same wrong password;
- at most :data:`MAX_PENDING` distinct checks wait for the pool; beyond that a login is answered "busy"
  (503) instead of queueing without bound;
- passwords longer than 72 bytes are refused without bcrypt (bcrypt reads only 72 bytes of a password,
  and the bcrypt package rejects longer ones);
- the caches are emptied whenever the users change (the web config file is re-read).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import secrets
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from hashlib import sha256

import bcrypt

__all__ = [
    "BCRYPT_THREADS",
    "DENIED_CACHE",
    "MAX_PENDING",
    "BasicAuthVerifier",
    "Busy",
    "parse_basic_authorization",
]

BCRYPT_THREADS = 2
DENIED_CACHE = 1024
MAX_PENDING = 1024
MAX_PASSWORD_BYTES = 72


class Busy(Exception):
    """Too many distinct logins are waiting for bcrypt."""


def parse_basic_authorization(header: str | None) -> tuple[str, bytes] | None:
    """``Authorization: Basic base64(user:password)`` -> (user, password), as Go's Request.BasicAuth reads
    it: the scheme case-insensitively, standard base64, split at the first colon. None when it is not that
    (or the user name is not UTF-8, which no configured user can be)."""
    if not header or len(header) < 6 or header[:6].lower() != "basic ":
        return None
    encoded = header[6:]
    if len(encoded) % 4:  # padded to whole quanta, as Go's StdEncoding requires
        return None
    try:
        decoded = base64.b64decode(encoded.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    user, colon, password = decoded.partition(b":")
    if not colon:
        return None
    try:
        return user.decode("utf-8"), password
    except UnicodeDecodeError:
        return None


def _check(password: bytes, hashed: bytes) -> bool:
    """bcrypt's verdict (in a pool thread)."""
    try:
        return bcrypt.checkpw(password, hashed)
    except ValueError:
        return False


def _dummy_hash(users: Mapping[str, bytes]) -> bytes:
    """A well-formed hash no password matches, at the highest cost among the users, so that checking an
    unknown user takes as long as checking a known one (exporter-toolkit uses a fixed cost-10 hash)."""
    cost = max((int(hashed[4:6]) for hashed in users.values()), default=10)
    # A real hash of a random password at the cheapest cost (a millisecond), its cost then raised: the
    # salt and hash stay well-formed, and a check against it takes as long as one at ``cost``.
    cheap = bcrypt.hashpw(secrets.token_bytes(16).hex().encode("ascii"), bcrypt.gensalt(4))
    return b"$2b$" + f"{cost:02d}".encode("ascii") + cheap[6:]


class BasicAuthVerifier:
    """Checks credentials against a users map; the map is replaced with :meth:`set_users`."""

    def __init__(self, users: Mapping[str, bytes], *, threads: int = BCRYPT_THREADS) -> None:
        self._key = secrets.token_bytes(32)
        self._threads = threads
        self._executor: ThreadPoolExecutor | None = None
        self._verified: dict[str, bytes] = {}
        self._denied: OrderedDict[bytes, None] = OrderedDict()
        self._pending: dict[bytes, asyncio.Future[bool]] = {}
        self._generation = 0
        self.bcrypt_calls = 0
        self.set_users(users)

    def set_users(self, users: Mapping[str, bytes]) -> None:
        if dict(users) == getattr(self, "_users", None):
            return
        self._users = dict(users)
        self._dummy = _dummy_hash(self._users)
        self._verified.clear()
        self._denied.clear()
        self._generation += 1  # checks still running for the old users are not cached

    def _digest(self, user: str, hashed: bytes, password: bytes) -> bytes:
        mac = hmac.new(self._key, digestmod=sha256)
        for part in (user.encode("utf-8"), hashed, password):
            mac.update(len(part).to_bytes(4, "big"))
            mac.update(part)
        return mac.digest()

    async def verify(self, user: str, password: bytes) -> bool:
        """Whether ``password`` is ``user``'s. Raises :class:`Busy` when too many checks are queued."""
        hashed = self._users.get(user)
        known = hashed is not None
        if hashed is None:
            hashed = self._dummy
        if len(password) > MAX_PASSWORD_BYTES:
            return False
        digest = self._digest(user, hashed, password)
        if known and hmac.compare_digest(self._verified.get(user, b""), digest):
            return True
        if digest in self._denied:
            self._denied.move_to_end(digest)
            return False
        pending = self._pending.get(digest)
        if pending is None:
            if len(self._pending) >= MAX_PENDING:
                raise Busy
            pending = self._start(user, known, hashed, password, digest)
        # shield: a client that hangs up must not cancel the check the others wait for
        return await asyncio.shield(pending) and known

    def _start(
        self, user: str, known: bool, hashed: bytes, password: bytes, digest: bytes
    ) -> asyncio.Future[bool]:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._threads, thread_name_prefix="eocexporter-bcrypt")
        self.bcrypt_calls += 1
        generation = self._generation
        future = asyncio.get_running_loop().run_in_executor(self._executor, _check, password, hashed)
        self._pending[digest] = future

        def settle(done: asyncio.Future[bool]) -> None:
            self._pending.pop(digest, None)
            if done.cancelled() or done.exception() is not None or generation != self._generation:
                return
            if done.result() and known:
                self._verified[user] = digest
            else:
                self._denied[digest] = None
                while len(self._denied) > DENIED_CACHE:
                    self._denied.popitem(last=False)

        future.add_done_callback(settle)
        return future

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
