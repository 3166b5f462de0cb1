"""What a metric family is, and the series one render collects for each.

A :class:`Family` is declared once, in the module of the API area it reports on; the catalogue of every
family the exporter can emit (:func:`eocexporter.exposition.render.catalogue`) is assembled from those
declarations, and docs/metrics.md and the tests read it from there.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from eocexporter.snapshot import HistogramData

Kind = Literal["gauge", "counter", "histogram"]

_CLIENT_NOTE = (
    " Counted by the exporter's client since it started; published when a background collector run ends."
)


@dataclass(frozen=True, slots=True, eq=False)  # compared and hashed by identity: each is declared once
class Family:
    name: str  # as declared; prometheus-client exposes a counter's samples as name + "_total"
    kind: Kind
    description: str
    labels: tuple[str, ...]
    polled_by: str | None = None  # the collector whose background runs feed it
    counted_by_client: bool = False  # kept by the exporter's HTTP client

    @property
    def exposed_name(self) -> str:
        """The name in the exposition and in PromQL."""
        return self.name + "_total" if self.kind == "counter" else self.name

    @property
    def help(self) -> str:
        """The HELP text: the description, plus where a cached value comes from."""
        if self.polled_by is not None:
            return (
                f"{self.description} Polled in the background by the {self.polled_by} collector; see"
                f' eocortex_collector_last_success_timestamp_seconds{{collector="{self.polled_by}"}}.'
            )
        if self.counted_by_client:
            return self.description + _CLIENT_NOTE
        return self.description


def gauge(name: str, description: str, labels: tuple[str, ...], polled_by: str | None = None) -> Family:
    return Family(name, "gauge", description, labels, polled_by)


def counter(name: str, description: str, labels: tuple[str, ...], polled_by: str | None = None) -> Family:
    """``name`` without ``_total``: prometheus-client appends it to a counter's samples."""
    return Family(name, "counter", description, labels, polled_by)


def bool_value(flag: bool | None) -> float | None:
    return None if flag is None else 1.0 if flag else 0.0


def bool_label(flag: bool | None) -> str:
    """``"true"``, ``"false"``, or ``""`` when the API did not say (a label cannot be absent)."""
    return "" if flag is None else "true" if flag else "false"


class SeriesSet:
    """The series of every family of one render, keyed by label values, in catalogue order.

    When a snapshot reports one thing twice (the same camera listed by two servers, a label value two API
    names map to) the first value given wins, so no series is ever emitted twice.
    """

    def __init__(self, families: Iterable[Family]) -> None:
        self._series: dict[Family, dict[tuple[str, ...], float | HistogramData]] = {}
        for family in families:
            if family in self._series:
                raise ValueError(f"{family.name} is listed twice")
            self._series[family] = {}

    def add(self, family: Family, labels: tuple[str, ...], value: float | None) -> None:
        """A series, unless ``value`` is None: what the API left out has no series, never a 0."""
        if value is not None:
            self._series[family].setdefault(labels, float(value))

    def add_histogram(self, family: Family, labels: tuple[str, ...], data: HistogramData) -> None:
        self._series[family].setdefault(labels, data)

    def merge(self, other: SeriesSet) -> None:
        """Add ``other``'s series (of the same families); as with :meth:`add`, the first value wins."""
        for family, by_labels in other._series.items():
            into = self._series[family]
            for labels, value in by_labels.items():
                into.setdefault(labels, value)

    def items(self) -> Iterator[tuple[Family, Mapping[tuple[str, ...], float | HistogramData]]]:
        """Every family in catalogue order with its series: floats, or HistogramData for a histogram."""
        return iter(self._series.items())
