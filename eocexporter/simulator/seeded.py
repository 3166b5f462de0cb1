"""Seeded hashing: every pseudo-random choice is a pure function of the seed and a key."""

from __future__ import annotations

import hashlib
import random
import uuid


def _digest(parts: tuple[object, ...]) -> bytes:
    key = "\x1f".join(str(part) for part in parts).encode()
    return hashlib.blake2b(key, digest_size=16).digest()


def unit(*parts: object) -> float:
    """A uniform float in [0, 1) determined by `parts`."""
    return int.from_bytes(_digest(parts)[:8], "big") / 2**64


def derived_uuid(*parts: object) -> str:
    return str(uuid.UUID(bytes=_digest(parts), version=4))


def rng(*parts: object) -> random.Random:
    """An independent stream per key, so adding a camera never changes the others."""
    return random.Random(int.from_bytes(_digest(parts), "big"))
