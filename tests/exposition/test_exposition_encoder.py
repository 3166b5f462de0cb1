"""The hand-written encoder writes exactly what prometheus-client's generate_latest would.

The property test builds prometheus-client's own family objects from the raw generated data, apart from
the exporter's code, so the oracle shares nothing with the encoder but the input.
"""

from __future__ import annotations

import math

import pytest
from exposition_snapshots import (
    awkward_snapshot,
    large_snapshot,
    metric_families,
    populated,
    render,
    snapshot_of,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.utils import floatToGoString

from eocexporter.exposition.encoder import encode, render_families
from eocexporter.exposition.family import Family, SeriesSet
from eocexporter.snapshot import HistogramData


@pytest.mark.parametrize(
    "snapshot",
    [
        populated(),
        awkward_snapshot(status='Re"connect\\ing\n', write_mbps=1e-7),
        large_snapshot(300),
        snapshot_of(),
    ],
    ids=["populated", "awkward", "three-hundred-cameras", "empty"],
)
def test_rendered_snapshots_equal_generate_latest_over_the_same_families(snapshot) -> None:
    assert render(snapshot) == render_families(metric_families(snapshot))


def test_negative_zero_is_not_printed_as_the_zero_seen_before_it() -> None:
    # floatToGoString(-0.0) is "-0.0"; the encoder remembers the texts of recurring values, and -0.0 == 0.0.
    # Series are written in the order of their label values: the +0.0 comes first and is remembered.
    family = Family("eocortex_test_zero", "gauge", "Zeros.", ("sign",))
    series = SeriesSet([family])
    series.add(family, ("a_positive",), 0.0)
    series.add(family, ("b_negative",), -0.0)
    body = encode(series)
    assert b'eocortex_test_zero{sign="a_positive"} 0.0\n' in body
    assert b'eocortex_test_zero{sign="b_negative"} -0.0\n' in body


@pytest.mark.parametrize(
    ("name", "labels"),
    [("eocortex_x'] + [__import__('os')", ()), ("eocortex_x", ("a}",)), ("eocortex x", ()), ("x", ("a-b",))],
)
def test_a_name_the_format_does_not_allow_is_refused_before_it_reaches_generated_code(name, labels) -> None:
    # The line writer is generated code with the family's names in it: only format-legal names get there.
    family = Family(name, "gauge", "Bad.", labels)
    series = SeriesSet([family])
    series.add(family, tuple("v" for _ in labels), 1.0)
    with pytest.raises(ValueError, match="not a metric name and label names the text format allows"):
        encode(series)


# ---- the property ----------------------------------------------------------------------------------------

_NAME = st.from_regex(r"\A[a-zA-Z_:][a-zA-Z0-9_:]{0,20}\Z").filter(
    lambda name: not name.endswith(("_total", "_created", "_bucket", "_count", "_sum"))
)
_LABEL_NAME = st.from_regex(r"\A[a-zA-Z_][a-zA-Z0-9_]{0,12}\Z").filter(
    lambda name: not name.startswith("__") and name != "le"
)
# Any text but lone surrogates (which cannot be encoded at all), with the characters the format escapes
# and some it does not made likely.
_TEXT = st.text(
    st.one_of(
        st.sampled_from('"\\\n\r\t ЖжΩ😀{},=#'),
        st.characters(exclude_categories=("Cs",)),
    ),
    max_size=12,
)
_FLOAT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 5e-324, -5e-324, 1e300, -1e-300, math.inf, -math.inf, math.nan]),
    st.integers(min_value=-(2**64), max_value=2**64),  # beyond 2**53 a float cannot hold every integer
)


@st.composite
def _families(draw):
    """(kind, name, help, label names, {label values: value}) for a few families with distinct names."""
    names = draw(st.lists(_NAME, min_size=1, max_size=4, unique_by=lambda name: name.lower()))
    families = []
    for name in names:
        kind = draw(st.sampled_from(["gauge", "counter", "histogram"]))
        labels = tuple(draw(st.lists(_LABEL_NAME, max_size=3, unique=True)))
        help_text = draw(_TEXT)
        values = st.tuples(*[_TEXT for _ in labels])
        if kind == "histogram":
            series = draw(st.dictionaries(values, _histograms(), max_size=3))
        else:
            series = draw(st.dictionaries(values, _FLOAT, max_size=4))
        families.append((kind, name, help_text, labels, series))
    # Exposed names must differ too: a counter's samples carry "_total".
    exposed = [name + "_total" if kind == "counter" else name for kind, name, *_ in families]
    if len(set(exposed)) != len(exposed):
        families = families[:1]
    return families


@st.composite
def _histograms(draw):
    bounds = sorted(draw(st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=3, unique=True)))
    counts = sorted(draw(st.lists(st.integers(0, 2**40), min_size=len(bounds), max_size=len(bounds))))
    count = draw(st.integers(counts[-1] if counts else 0, 2**41))
    return HistogramData(tuple(bounds), tuple(counts), count, draw(st.floats(allow_nan=False)))


def _oracle(families) -> bytes:
    """generate_latest over prometheus-client families built here from the raw data: series in the order of
    their label values, families without series left out."""
    built = []
    for kind, name, help_text, labels, series in families:
        if not series:
            continue
        if kind == "histogram":
            family = HistogramMetricFamily(name, help_text, labels=labels)
            for values in sorted(series):
                data = series[values]
                buckets = [
                    (floatToGoString(b), c) for b, c in zip(data.bounds, data.bucket_counts, strict=True)
                ]
                family.add_metric(values, [*buckets, ("+Inf", data.count)], sum_value=data.sum)
        else:
            family = (CounterMetricFamily if kind == "counter" else GaugeMetricFamily)(
                name, help_text, labels=labels
            )
            for values in sorted(series):
                family.add_metric(values, series[values])
        built.append(family)

    class Collected:
        def collect(self):
            return built

    return generate_latest(Collected())  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_families())
def test_encoder_equals_generate_latest_for_any_names_labels_and_values(families) -> None:
    declared = [Family(name, kind, help_text, labels) for kind, name, help_text, labels, _ in families]
    series = SeriesSet(declared)
    for family, (_, _, _, _, by_labels) in zip(declared, families, strict=True):
        for values, value in by_labels.items():
            if family.kind == "histogram":
                series.add_histogram(family, values, value)
            else:
                series.add(family, values, value)
    assert encode(series) == _oracle(families)
