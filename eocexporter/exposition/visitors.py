"""Unique-visitor counts since local midnight (``api/unique_visitor/report``; the visitors collector)."""

from __future__ import annotations

from collections.abc import Mapping

from eocexporter.exposition.family import SeriesSet, counter
from eocexporter.model import VisitorsSection

VISITORS = counter(
    "eocortex_visitors",
    "Visitors the camera counted since local midnight (api/unique_visitor/report TotalVisitors).",
    ("target", "camera_id"),
    polled_by="visitors",
)
UNIQUE_VISITORS = counter(
    "eocortex_unique_visitors",
    "Unique visitors the camera counted since local midnight (UniqueVisitors).",
    ("target", "camera_id"),
    polled_by="visitors",
)
VISITORS_BY_GENDER = counter(
    "eocortex_visitors_by_gender",
    "Visitors since local midnight by gender (GenderDistribution).",
    ("target", "camera_id", "gender"),
    polled_by="visitors",
)
VISITORS_BY_AGE = counter(
    "eocortex_visitors_by_age",
    "Visitors since local midnight by age group (AgeDistribution).",
    ("target", "camera_id", "age_group"),
    polled_by="visitors",
)
VISITORS_BY_EMOTION = counter(
    "eocortex_visitors_by_emotion",
    "Visitors since local midnight by emotion (EmotionDistribution).",
    ("target", "camera_id", "emotion"),
    polled_by="visitors",
)

FAMILIES = (VISITORS, UNIQUE_VISITORS, VISITORS_BY_GENDER, VISITORS_BY_AGE, VISITORS_BY_EMOTION)


def render(series: SeriesSet, target: str, sections: Mapping[str, VisitorsSection]) -> None:
    seen: set[str] = set()
    for section in sections.values():  # the servers of the latest run first, as for the cameras
        for row in section.visitors:
            camera_id = row.camera_id
            if camera_id in seen:
                continue
            seen.add(camera_id)
            series.add(VISITORS, (target, camera_id), row.total)
            series.add(UNIQUE_VISITORS, (target, camera_id), row.unique)
            for gender, count in sorted(row.gender.items()):
                series.add(VISITORS_BY_GENDER, (target, camera_id, gender), count)
            for age_group, count in sorted(row.age.items()):
                series.add(VISITORS_BY_AGE, (target, camera_id, age_group), count)
            for emotion, count in sorted(row.emotion.items()):
                series.add(VISITORS_BY_EMOTION, (target, camera_id, emotion), count)
