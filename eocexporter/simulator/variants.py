"""Readings of the ambiguous reference; each field selects one reading (docs/simulator.md, "Variants")."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_CHOICES: dict[str, tuple[Any, ...]] = {
    "status_ok": ("Ok", "OK"),
    "time_limit_fraction_digits": (7, 3),
    "unlimited_time_limit": ("min_value", "null"),
    "visitor_distribution_basis": ("unique", "documented"),
    "listed_addresses": ("actual", "lan", "unreachable"),
    "time_limit_style": ("iso_z", "iso_no_zone", "iso_offset", "dotnet_text"),
    "page_echo": ("zero_based", "one_based"),
    "v2_cars_shape": ("faces", "plates"),
}


@dataclass(frozen=True)
class Variants:
    # L533 example "Ok" vs L558 text "OK" (Q9).
    status_ok: str = "Ok"
    # Q37: without channelId, a single camera's answer as the bare object the reference prints.
    single_counting_camera_as_object: bool = False
    # Q15: "true"/"false" strings for api/channels Disabled, status AltEnabled and licence flags.
    booleans_as_strings: bool = False
    # Q42: whole-valued floats printed as ints (`0`, as L531) rather than `0.0`.
    whole_numbers_as_int: bool = True
    # Q36: the example's `"ChannelId": null` row although aggregate=false.
    visitor_channel_id_null: bool = False
    # Q19: carconfig's `auto_modules` as one object instead of an array.
    carconfig_as_object: bool = False
    # Q33: TimeLimit with 7 fractional digits (.NET) or milliseconds (L7922).
    time_limit_fraction_digits: int = 7
    # Q33: TimeLimit of a licence that is not time limited: .NET DateTime.MinValue or null.
    unlimited_time_limit: str = "min_value"
    # Q10 and friends: fields the reference does not document (StreamsStatuses, ...).
    extra_fields: bool = False
    # Q36: distributions sum to UniqueVisitors always (the example) or, when uniqueonly=false, to
    # TotalVisitors (the parameter table, L7845-7849).
    visitor_distribution_basis: str = "unique"
    # Q27: configure/servers/{id} without PeopleCounterChannels, as its example.
    server_detail_without_people_counter: bool = False
    # What configure/servers lists as each server's Hostname/Port: where it listens ("actual"), LAN
    # names ("lan": the main server at an address never to be contacted) or refused ports ("unreachable").
    listed_addresses: str = "actual"
    # Q42: nulls and missing fields, placed by simple index rules (docs/simulator.md, "Nulls").
    nulls: bool = False
    # Values the reference does not list: a "Reconnecting" status, a "Polygon" zone, a future licence module.
    unknown_values: bool = False
    # Q33: the form of a time-limited licence's TimeLimit (the unlimited form is `unlimited_time_limit`).
    time_limit_style: str = "iso_z"
    # `{}` instead of `[]` for a counting list without cameras (Q37's object-or-array, taken to the end).
    empty_object_bodies: bool = False
    # configure/channels items also carry ArchiveSettings and AnalyzeSettings as configure/channels/{id}.
    channel_list_settings: bool = False
    # Q16: archive export State/Error as the example's "1 - InQueue" / "0 - None" instead of integers.
    enums_as_text: bool = False
    # Q28: pages are asked 1-based (L7756-7758); the echo is the page asked minus one, as both examples
    # (L7740/L7791, L7187/L7244), or the page asked.
    page_echo: str = "zero_based"
    # Q29: api/v2/cars items face-shaped as its example (L7764-7793) or as api/cars plates.
    v2_cars_shape: str = "faces"

    def updated(self, changes: Mapping[str, Any]) -> Variants:
        """A copy with `changes` applied; ValueError names the first invalid entry."""
        fields = {field.name: field for field in dataclasses.fields(self)}
        for name, value in changes.items():
            if name not in fields:
                raise ValueError(f"unknown variant {name!r}; known: {', '.join(sorted(fields))}")
            default = fields[name].default
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ValueError(f"variant {name!r} takes true or false")
            elif value not in _CHOICES[name]:
                raise ValueError(f"variant {name!r} takes one of {list(_CHOICES[name])}")
        return dataclasses.replace(self, **dict(changes))

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# What each profile switches on (docs/simulator.md, "Profiles"); the legacy server and the refused
# visitor cameras of "real-world" are picked by the installation.
PROFILES: dict[str, dict[str, Any]] = {
    "reference": {},
    "real-world": {
        "listed_addresses": "lan",
        "nulls": True,
        "unknown_values": True,
        "time_limit_style": "dotnet_text",
        "empty_object_bodies": True,
    },
}


def with_profile(variants: Variants, profile: str) -> Variants:
    """The profile's readings, except where `variants` already chose one other than the default."""
    default = Variants()
    changes = {
        name: value
        for name, value in PROFILES[profile].items()
        if getattr(variants, name) == getattr(default, name)
    }
    return variants.updated(changes)
