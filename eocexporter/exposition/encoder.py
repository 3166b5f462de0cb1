"""Series -> the text exposition (format 0.0.4), written directly, and the same through prometheus-client.

:func:`encode` writes the bytes itself: at 10,000 cameras it takes a fraction of the time of building a
prometheus-client sample object per series and handing them to ``generate_latest``
(docs/benchmarks.md). It is kept only because it is exact: :func:`reference_encode` runs the same series
through prometheus-client's own classes and ``generate_latest``, and a property test
(tests/exposition/test_exposition_encoder.py) holds the two byte-equal over arbitrary names, label values
and floats.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.utils import floatToGoString

from eocexporter.exposition.family import Family, SeriesSet
from eocexporter.snapshot import HistogramData

# floatToGoString of the values that recur in an exposition (0, 1, small counts), up to this many.
_FLOAT_TEXT_CACHE_SIZE = 4096


class _FloatTexts(dict[float, str]):
    """``floatToGoString`` of each value looked up, remembered for the values that recur: a hit is one
    C-level dict lookup, not a Python call, in the loop that writes every series.

    Zeros are not looked up here: -0.0 == 0.0, so a dict keyed by value cannot tell them apart, and they
    print differently (:data:`_ZERO_TEXTS`)."""

    def __missing__(self, value: float) -> str:
        text = floatToGoString(value)
        if len(self) < _FLOAT_TEXT_CACHE_SIZE and value == value:  # NaN never equals a key
            self[value] = text
        return text


_float_texts = _FloatTexts()
# A zero's text by math.copysign(1.0, zero): "0.0" and "-0.0".
_ZERO_TEXTS = {1.0: floatToGoString(0.0), -1.0: floatToGoString(-0.0)}


def _escape_help(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n")


class _EscapedLabels(dict[str, str]):
    """Label values escaped as generate_latest does, each remembered: ids recur in many families, and a
    hit is one C-level dict lookup."""

    def __missing__(self, value: str) -> str:
        escaped = value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
        self[value] = escaped
        return escaped


def encode(series: SeriesSet) -> bytes:
    """The text exposition of ``series``: byte for byte what :func:`reference_encode` makes of it."""
    out: list[bytes] = []
    for family, lines in encode_lines(series).items():
        out.append(header(family))
        out.append(lines)
    return b"".join(out)


def encode_lines(series: SeriesSet) -> dict[Family, bytes]:
    """Each family's series lines (sorted by label values, without HELP and TYPE), for the families that
    have series: what :func:`encode` writes under each family's :func:`header`. The renderer keeps these
    per part of the exposition and puts parts together without encoding them again."""
    escaped = _EscapedLabels()
    encoded: dict[Family, bytes] = {}
    for family, by_labels in series.items():
        if not by_labels:
            continue  # a family with nothing to say is left out, HELP and TYPE included
        if family.kind == "histogram":
            # Few series (one per endpoint): the generic path through generate_latest costs nothing here.
            # generate_latest writes the HELP and TYPE lines first: the lines are what follows them.
            encoded[family] = reference_encode([(family, by_labels)]).split(b"\n", 2)[2]
        else:
            encoded[family] = _family_lines(family, by_labels, escaped).encode("utf-8")  # type: ignore[arg-type]
    return encoded


def help_line(family: Family) -> str:
    """The family's ``# HELP`` line, as generate_latest writes it."""
    return f"# HELP {family.exposed_name} {_escape_help(family.help)}\n"


def header(family: Family) -> bytes:
    """The family's ``# HELP`` and ``# TYPE`` lines."""
    return f"{help_line(family)}# TYPE {family.exposed_name} {family.kind}\n".encode()


def _family_lines(family: Family, by_labels: Mapping[tuple[str, ...], float], escaped: _EscapedLabels) -> str:
    write = _lines_writer(family.exposed_name, family.labels)
    return write(by_labels, escaped.__getitem__, _float_texts, _ZERO_TEXTS, math.copysign)


_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_LinesWriter = Callable[
    [
        Mapping[tuple[str, ...], float],
        Callable[[str], str],
        Mapping[float, str],
        Mapping[float, str],
        Callable[[float, float], float],
    ],
    str,
]


@functools.cache
def _lines_writer(name: str, labels: tuple[str, ...]) -> _LinesWriter:
    """A function writing one family's series lines, generated for its name and label names (as
    :mod:`dataclasses` generates ``__init__``): an f-string literal per series, with the label values
    unpacked into locals, is the cheapest line CPython can build, 40% below a format template's call
    (the cameras' 105,000 series at 10,000 cameras: 98 against 162 ms). Only the names, which the
    exposition format restricts to ``[a-zA-Z0-9_:]`` and which are checked against that here, are part
    of the generated code; label values and values are its arguments."""
    if not _METRIC_NAME.fullmatch(name) or not all(_LABEL_NAME.fullmatch(label) for label in labels):
        raise ValueError(f"not a metric name and label names the text format allows: {name} {labels}")
    # generate_latest writes labels sorted by name; the series stay sorted by their values.
    order = sorted(range(len(labels)), key=lambda index: labels[index])
    pairs = ",".join(f'{labels[index]}="{{escape(v{index})}}"' for index in order)
    head = f"{name}{{{{{pairs}}}}}" if pairs else name
    unpacked = "".join(f"v{index}," for index in range(len(labels)))
    source = (
        "lambda series, escape, texts, zeros, copysign: ''.join(["
        f"f'{head} {{texts[value] if value else zeros[copysign(1.0, value)]}}\\n'"
        " for key in sorted(series)"  # sorting the keys alone is a third of sorting the items
        " for value in (series[key],)"
        f" for ({unpacked}) in (key,)])"
    )
    return eval(source)  # type: ignore[no-any-return]


def metric_families(
    families: Iterable[tuple[Family, Mapping[tuple[str, ...], float | HistogramData]]],
) -> list[Metric]:
    """The same series as prometheus-client's own family objects, families without series left out."""
    built = []
    for family, by_labels in families:
        if by_labels:
            built.append(_metric_family(family, by_labels))
    return built


def _metric_family(family: Family, by_labels: Mapping[tuple[str, ...], float | HistogramData]) -> Metric:
    if family.kind == "histogram":
        histogram = HistogramMetricFamily(family.name, family.help, labels=family.labels)
        for values in sorted(by_labels):
            data = by_labels[values]
            assert isinstance(data, HistogramData)
            buckets = [
                (floatToGoString(bound), float(count))
                for bound, count in zip(data.bounds, data.bucket_counts, strict=True)
                if bound != math.inf  # +Inf is always the total count, added below
            ]
            buckets.append(("+Inf", float(data.count)))
            histogram.add_metric(values, buckets, sum_value=float(data.sum))
        return histogram
    kind = CounterMetricFamily if family.kind == "counter" else GaugeMetricFamily
    metric = kind(family.name, family.help, labels=family.labels)
    for values in sorted(by_labels):
        metric.add_metric(values, by_labels[values])
    return metric


class _FixedFamilies:
    """The smallest collector generate_latest accepts: its collect() yields families built beforehand."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


def render_families(families: Iterable[Metric]) -> bytes:
    """prometheus-client's own encoder over ``families``."""
    return generate_latest(_FixedFamilies(families))  # type: ignore[arg-type]


def reference_encode(
    families: Iterable[tuple[Family, Mapping[tuple[str, ...], float | HistogramData]]],
) -> bytes:
    """What prometheus-client's classes and ``generate_latest`` make of the series."""
    return render_families(metric_families(families))
