"""Face and licence plate databases (api/faces, api/faces-groups, api/cars, api/cars-groups and their
api/v2 twins, L4969-6657, L7714-7811): sizes per (server, kind, module) and records generated one by one
from the seed, so asking for one record of a 50,000-record database costs one record
(docs/simulator.md, "Face and plate databases")."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from .seeded import derived_uuid, rng, unit
from .timefmt import MIN_VALUE

KINDS = ("faces", "faces-groups", "cars", "cars-groups")
FACE_KINDS = ("faces", "faces-groups")
# The module whose databases have records by default: faceconfig's `complete` (L7820) and carconfig's
# `complete` (the enabled one of L5819-5830). Other modules start empty.
DEFAULT_MODULE = "complete"
# v1 `portion` default (L5016-5018) and the most any request gets (v1 portion, v2 size).
DEFAULT_PORTION = 1000
MAX_PORTION = 1000
INT32_MAX = 2_147_483_647

# Records of the timeline start at the reference's first face (L5078) and are spaced about an hour.
_FIRST_RECORD = datetime(2019, 5, 28, 5, 58, 17, 994000, tzinfo=UTC)
_RECORD_SPACING = timedelta(hours=1)
_FIRST_NAMES = ("John", "William", "Lucas", "Анна", "Мария", "Jean-Luc", "O'Brien", "Zoë", "Иван", "Ahmed")
_PATRONYMICS = ("B.", "W.", "Hades", "Иванович", "Petrovna", "", "J.")
_SECOND_NAMES = ("Smith", "Woodman", "Johnson", "Петров", "Кузнецова", "de la Cruz", "Müller", "Ng")
_INFOS = ('"Sacred Motors" CEO', "", "Trusted", "Visitor\nbadge 12", "Подрядчик \\ contractor", "")
_PLATE_LETTERS = "ABEKMHOPCTYX"  # the Latin letters that also read as Cyrillic ones
_PLATE_INFOS = ("Custom additional note", "No", "", "Delivery", "Такси")
FACE_GROUP_NAMES = ("Employess", "Thieves", "VIP", "Contractors", "Посетители", 'Staff "night"')
CAR_GROUP_NAMES = ("White list", "Interception", " Open barrier gate", "Delivery", "Такси")
# nulls: face records whose index % NULL_PATRONYMIC_MOD == NULL_PATRONYMIC_MOD - 1 have a null patronymic.
NULL_PATRONYMIC_MOD = 5


def seeded_size(seed: int, server_id: str, kind: str, module: str) -> int:
    """Database sizes drawn from the seed: faces log-uniform 200-30,000 and 2-11 face groups on every
    server; plates 0 on about a third of the servers, else log-uniform 20-3,000; 3-6 plate groups."""
    if module != DEFAULT_MODULE:
        return 0
    draw = unit(seed, server_id, "db-size", kind)
    if kind == "faces":
        return int(math.exp(math.log(200) + draw * (math.log(30_000) - math.log(200))))
    if kind == "faces-groups":
        return 2 + int(draw * 10)
    if kind == "cars":
        if draw < 0.34:
            return 0
        return int(math.exp(math.log(20) + (draw - 0.34) / 0.66 * (math.log(3000) - math.log(20))))
    return 3 + int(draw * 4)


def record(seed: int, server_id: str, kind: str, module: str, index: int, *, v2: bool, nulls: bool):
    """Record `index` (0-based, database order) as api/{kind} (v1) or api/v2/{kind} serves it."""
    draw = rng(seed, "db-record", server_id, kind, module, index)
    record_id = derived_uuid(seed, "db-record-id", server_id, kind, module, index)
    created = _FIRST_RECORD + index * _RECORD_SPACING + timedelta(seconds=draw.uniform(0, 3000))
    modified = created + timedelta(seconds=draw.uniform(0, 30 * 86400))
    if kind == "faces":
        return _face(record_id, index, draw, created, modified, v2=v2, nulls=nulls)
    if kind == "cars":
        return _plate(record_id, index, draw, created, modified, v2=v2)
    names = FACE_GROUP_NAMES if kind == "faces-groups" else CAR_GROUP_NAMES
    group: dict[str, Any] = {
        "id": record_id,
        "external_id": str(index) if kind == "faces-groups" else "",
        "name": names[index] if index < len(names) else f"Group {index + 1}",
        "intercept": index % len(names) == 1,
    }
    if kind == "cars-groups":
        group["open_barrier"] = index % len(names) == 2
    group["modification_time"] = _ms(modified)
    group["external_sys_id"] = ""
    return group


def _face(record_id, index, draw, created, modified, *, v2: bool, nulls: bool) -> dict[str, Any]:
    face: dict[str, Any] = {"id": record_id}
    if v2:
        face["external_sys_id"] = ""
    face.update(
        {
            "external_id": str(index),
            "first_name": draw.choice(_FIRST_NAMES),
            "patronymic": draw.choice(_PATRONYMICS),
            "second_name": draw.choice(_SECOND_NAMES),
            "additional_info": draw.choice(_INFOS),
            "modification_time": _ms(modified),
        }
    )
    if nulls and index % NULL_PATRONYMIC_MOD == NULL_PATRONYMIC_MOD - 1:
        face["patronymic"] = None
    if v2:
        face["creation_time"] = _ms(created)
        face["force"] = draw.random() < 0.05
    return face


def _plate(record_id, index, draw, created, modified, *, v2: bool) -> dict[str, Any]:
    letters = [draw.choice(_PLATE_LETTERS) for _ in range(3)]
    number = (
        f"{letters[0]}{draw.randint(1, 999):03d}{letters[1]}{letters[2]}{draw.choice((70, 77, 99, 177, 750))}"
    )
    info = draw.choice(_PLATE_INFOS)
    owner = (draw.choice(_FIRST_NAMES), draw.choice(_PATRONYMICS), draw.choice(_SECOND_NAMES))
    # Every third plate predates 3.4 and has .NET's MinValue as its time (L5978, L5985).
    old = index % 3 == 0
    modification = MIN_VALUE if old else _ms(modified)
    if not v2:
        return {
            "id": record_id,
            "external_id": "",
            "license_plate_number": number,
            "additional_info": info,
            "modification_time": modification,
        }
    # api/v2/cars as its example (L7764-7793, Q29): face-shaped, the owner's names, "{}" when the plate
    # has no owner (every fourth).
    ownerless = index % 4 == 0
    return {
        "id": record_id,
        "external_sys_id": "",
        "external_id": "",
        "first_name": "{}" if ownerless else owner[0],
        "patronymic": "{}" if ownerless else owner[1],
        "second_name": "{}" if ownerless else owner[2],
        "additional_info": info,
        "modification_time": modification,
        "creation_time": MIN_VALUE if old else _ms(created),
        "force": False,
    }


def _ms(moment: datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
