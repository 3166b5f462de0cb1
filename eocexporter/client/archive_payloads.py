"""Tolerant reading of the archive's own endpoints: ``webapi/cameras/{id}/archive_days`` and
``webapi/archive_export/tasks``."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Any

from eocexporter import model
from eocexporter.client.fields import Fields, Parsed, Repeats, SkipItem, document, items, kind
from eocexporter.client.times import UnreadableTime, parse_api_time
from eocexporter.model import EXPORT_ERRORS, EXPORT_STATES

_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_archive_days(payload: Any, camera_id: str, server_zone: tzinfo) -> Parsed[model.CameraArchiveDays]:
    """``{ChannelId, ChannelName, ArchiveDays: [date-time]}`` (L676-698). Each value names a day that
    holds archive; it is read as an instant and taken as a date in the server's zone (a date printed
    without a time is that date). A value that is not a time is skipped and a problem: it costs one day,
    not the camera."""
    problems: list[str] = []
    fields = Fields(document(payload, frozenset({"ArchiveDays", "ChannelId"})), "", problems)
    raw_days = fields.raw("ArchiveDays")
    days: set[date] = set()
    if raw_days is not None and not isinstance(raw_days, list):
        problems.append(f"ArchiveDays: expected a list, got {kind(raw_days)}")
        raw_days = None
    for index, value in enumerate(raw_days or ()):
        day = _day(value, server_zone)
        if isinstance(day, str):
            problems.append(f"ArchiveDays[{index}]: {day}")
        elif day is not None:
            days.add(day)
    return Parsed(model.CameraArchiveDays(camera_id, tuple(sorted(days))), tuple(problems))


def _day(value: Any, server_zone: tzinfo) -> date | str | None:
    """The day, None for "never" (.NET's MinValue), or a text saying why it is unreadable."""
    if not isinstance(value, str):
        return f"expected a date, got {kind(value)}"
    day = _read_day(value, server_zone)
    return _shared_date(day) if isinstance(day, date) else day


# A server that prints each day as its midnight lists the same few hundred texts for every camera: each is
# read once per zone.
@functools.lru_cache(maxsize=8192)
def _read_day(value: str, server_zone: tzinfo) -> date | str | None:
    text = value.strip()
    if _DATE_ONLY.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return f"not a date: {text[:40]!r}"
    try:
        instant = parse_api_time(text, server_zone)
    except UnreadableTime as exc:
        return str(exc)
    return None if instant is None else instant.astimezone(server_zone).date()


# A server that prints each day as the instant its first recording began (the reference's example,
# "2024-08-20T08:51:12.732Z") gives every camera texts of its own, but the days are the same few hundred:
# the section holds one date object per distinct day, not one per camera and day (at 10,000 cameras with
# 110 days each, 1.1 million date objects, 33 MB, measured with tracemalloc).
@functools.lru_cache(maxsize=8192)
def _shared_date(day: date) -> date:
    """The first date object equal to ``day`` still remembered."""
    return day


@dataclass(frozen=True, slots=True)
class TaskPage:
    """One page of ``webapi/archive_export/tasks``: its tasks and the total it claims."""

    tasks: list[model.ExportTask]
    items_on_page: int  # items the page held, readable or not: a short page is the last one
    total: int | None  # TotalItems; the reference's example claims 0 beside one item (Q28)


def parse_export_tasks(payload: Any) -> Parsed[TaskPage]:
    """``{Items: [Task], Page, TotalItems}`` (L7208-7308); also a bare list of tasks."""
    problems: list[str] = []
    if isinstance(payload, list):
        raw_items: Any = payload
        total = None
    else:
        fields = Fields(document(payload, frozenset({"Items", "TotalItems", "Page"})), "", problems)
        raw_items = fields.raw("Items") or []
        total = fields.count("TotalItems")
    tasks = []
    repeats = Repeats(problems)
    count = len(raw_items) if isinstance(raw_items, list) else 1
    for where, item in items(raw_items, "Items", problems):
        task_fields = Fields(item, where, problems)
        try:
            task_id = task_fields.identifier("Id")
        except SkipItem as exc:
            problems.append(f"task skipped: {exc}")
            continue
        if repeats.repeated(task_id, f"task {task_id}"):
            continue
        params = item.get("Params")
        params_fields = Fields(params if isinstance(params, dict) else {}, f"{where}Params.", problems)
        if params is not None and not isinstance(params, dict):
            problems.append(f"{where}Params: expected an object, got {kind(params)}")
        tasks.append(
            model.ExportTask(
                task_id=task_id,
                camera_id=params_fields.optional_id("ChannelId"),
                state=task_fields.enum("State", EXPORT_STATES),
                error=task_fields.enum("Error", EXPORT_ERRORS),
            )
        )
    return Parsed(TaskPage(tasks, count, total), tuple(problems))
