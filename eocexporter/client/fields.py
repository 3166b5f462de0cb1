"""Reading one JSON document field by field: the primitives every payload parser shares.

A null or missing field is ``None`` without a problem (the reference prints nulls and leaves fields
out); a field of the wrong type is ``None`` and a problem; an item without its id is skipped and a
problem; only a document that is not what the endpoint returns raises :class:`PayloadError`. The
parsers of each API area (:mod:`eocexporter.client.payloads` and its siblings) are built from these.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Generic, TypeVar

from eocexporter.client.times import UnreadableTime, parse_api_time

T = TypeVar("T")

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
# Beyond 2**53 count_of reads an integer through a float, as every other number: the same count either way.
_EXACT_FLOAT_INTEGER = 2**53


class PayloadError(ValueError):
    """A document that is not what the endpoint returns; the message names what was found."""


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    """What a parser read, and one line per item skipped or field dropped (``where: what``)."""

    value: T
    problems: tuple[str, ...] = ()


class SkipItem(Exception):
    """The item cannot be read at all (no id); the message says why."""


class Fields:
    """Typed reads of one JSON object's fields: null or missing is None; a wrong type is None and a
    problem, never an exception."""

    def __init__(self, document: dict[str, Any], where: str, problems: list[str]) -> None:
        self._document = document
        self._where = where
        self._problems = problems

    def problem(self, key: str, what: str) -> None:
        self._problems.append(f"{self._where}{key}: {what}")

    def raw(self, key: str) -> Any:
        return self._document.get(key)

    def raw_object(self) -> dict[str, Any]:
        return self._document

    def identifier(self, key: str) -> str:
        """A required id, lower-cased (GUIDs are compared as lower case); a missing one skips the item."""
        value = self._document.get(key)
        if not isinstance(value, str) or not value.strip():
            raise SkipItem(f"{self._where}{key}: " + ("missing" if value is None else "not an id"))
        return value.strip().lower()

    def optional_id(self, key: str) -> str | None:
        """An id that may be unset: null, empty or the all-zero GUID (Q42) is None."""
        value = self._document.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(key, "not an id")
            return None
        value = value.strip().lower()
        return None if value in ("", ZERO_GUID) else value

    def text(self, key: str) -> str | None:
        value = self._document.get(key)
        if value is None or isinstance(value, str):
            return value
        self.problem(key, f"expected text, got {kind(value)}")
        return None

    def flag(self, key: str) -> bool | None:
        value = self._document.get(key)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        self.problem(key, f"expected true or false, got {kind(value)}")
        return None

    def number(self, key: str) -> float | None:
        return number_of(self._document.get(key), lambda what: self.problem(key, what))

    def count(self, key: str) -> int | None:
        return count_of(self._document.get(key), lambda what: self.problem(key, what))

    def counts(self, key: str) -> dict[str, int | None]:
        """An open-ended ``{name: count}`` map (Q37): null or missing is empty; a null count stays None."""
        value = self._document.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(key, f"expected an object of counts, got {kind(value)}")
            return {}
        result: dict[str, int | None] = {}
        for name, raw in value.items():
            # A JSON integer is the count as it is (what count_of would make of it, without a closure and
            # two calls per count: 20,000 counts a counting run at 10,000 cameras).
            if type(raw) is int and -_EXACT_FLOAT_INTEGER <= raw <= _EXACT_FLOAT_INTEGER:
                result[str(name)] = raw
            else:
                result[str(name)] = count_of(raw, lambda what, name=name: self.problem(f"{key}.{name}", what))
        return result

    def objects(self, key: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """The objects of a nested list (one object tolerated, Q37); null or missing is none."""
        value = self._document.get(key)
        if value is None:
            return iter(())
        return items(value, f"{self._where}{key}", self._problems)

    def enum(self, key: str, names: Mapping[int, str]) -> str | None:
        """An integer enum in any of the forms the API prints (Q16): ``1``, ``"1"``, ``"1 - InQueue"`` or
        ``"InQueue"``. Known values are their documented name (matched without regard to case); an
        unknown number or name is kept as sent (the caller counts it as an unknown value)."""
        value = self._document.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            self.problem(key, f"expected an enum value, got {kind(value)}")
            return None
        if isinstance(value, int):
            return names.get(value, str(value))
        number, dash, name = value.partition("-")
        if dash and number.strip().isdigit() and name.strip():
            return names.get(int(number), name.strip())
        stripped = value.strip()
        if stripped.isdigit():
            return names.get(int(stripped), stripped)
        if not stripped:
            return None
        by_folded = {known.casefold(): known for known in names.values()}
        return by_folded.get(stripped.casefold(), stripped)

    def time(self, key: str, server_zone: tzinfo) -> datetime | None:
        value = self._document.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(key, f"expected a time, got {kind(value)}")
            return None
        try:
            return parse_api_time(value, server_zone)
        except UnreadableTime as exc:
            self.problem(key, str(exc))
            return None


def kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return f"text {value[:20]!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def number_of(value: Any, problem: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            problem(f"expected a number, got {kind(value)}")
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        problem(f"expected a number, got {kind(value)}")
        return None
    return float(value)


def count_of(value: Any, problem: Any) -> int | None:
    number = number_of(value, problem)
    if number is None:
        return None
    if not number.is_integer():
        problem(f"expected a whole number, got {number:g}")
        return None
    return int(number)


def items(value: Any, where: str, problems: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(prefix, object)`` for each object of a list, or of one object given for a list (Q37); the prefix
    names the item in problems (``Zones[2].``)."""
    if isinstance(value, dict):
        if value:  # `{}` where a list is expected: an empty list
            yield (f"{where}." if where else ""), value
        return
    if not isinstance(value, list):
        problems.append(f"{where or 'document'}: expected a list, got {kind(value)}")
        return
    for index, item in enumerate(value):
        if isinstance(item, dict):
            yield f"{where}[{index}].", item
        else:
            problems.append(f"{where}[{index}]: expected an object, got {kind(item)}")


def document(payload: Any, fields: frozenset[str]) -> dict[str, Any]:
    """The top-level object of an endpoint that returns one. ``null``, a list, text, or an object with
    none of the endpoint's ``fields`` (``{}`` included) is not that document: read as "every field
    missing", it would empty the server's data with nothing counted."""
    if not isinstance(payload, dict):
        raise PayloadError(f"expected an object, got {kind(payload) if payload is not None else 'null'}")
    if not fields & payload.keys():
        raise PayloadError(
            f"expected an object with {', '.join(sorted(fields)[:3])}..., got one with none of them"
        )
    return payload


def each(
    payload: Any, problems: list[str], *, empty_object_is_empty: bool = False
) -> Iterator[tuple[str, Fields]]:
    """The objects of a top-level list, each with its field reader. Anything but a list or an object is
    not the document the endpoint returns: ``null`` is not an empty list, and neither is ``{}`` unless the
    endpoint is known to answer so when nothing is configured (object counting, Q37)."""
    if not isinstance(payload, (list, dict)):
        raise PayloadError(f"expected a list, got {kind(payload) if payload is not None else 'null'}")
    if payload == {} and not empty_object_is_empty:
        raise PayloadError("expected a list, got an empty object")
    for where, item in items(payload, "", problems):
        yield where, Fields(item, where, problems)


class Repeats:
    """Items already read, by key: a repeated one is skipped and noted (a camera listed twice would be
    two rows in Parquet and one series twice)."""

    def __init__(self, problems: list[str]) -> None:
        self._seen: set[object] = set()
        self._problems = problems

    def repeated(self, key: object, what: str) -> bool:
        if key in self._seen:
            self._problems.append(f"{what} repeated, skipped")
            return True
        self._seen.add(key)
        return False


def identified(payload: Any, key: str, what: str, problems: list[str]) -> Iterator[tuple[str, str, Fields]]:
    """``(id, prefix, fields)`` of each item of a top-level list (see :func:`each`) that has its id under
    ``key``: an item without one is skipped, one listed again is read once, and each is a problem naming
    the ``what`` ("camera", "server")."""
    repeats = Repeats(problems)
    for where, fields in each(payload, problems):
        try:
            item_id = fields.identifier(key)
        except SkipItem as exc:
            problems.append(f"{what} skipped: {exc}")
            continue
        if not repeats.repeated(item_id, f"{what} {item_id}"):
            yield item_id, where, fields
