"""The run command's heap policy (eocexporter.heap): collections skip what the last publish left behind,
and a cycle among frozen objects is still collected by the periodic full collection."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest
from conftest import make_settings

from eocexporter.exporter import Exporter
from eocexporter.heap import HeapFreezer


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Leave the test process's collector as it was: nothing frozen, and its count of long-lived objects
    taken over the whole heap again. (A collection while frozen counts only what is not frozen; without a
    full collection here, the next automatic one would come soon, over the whole test process, and hold
    the loop of whatever test runs then for a second.)"""
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.collect()


def _cycle() -> weakref.ref[_Node]:
    """A reference cycle only the collector can free; a weak reference to watch it."""
    first, second = _Node(), _Node()
    first.other, second.other = second, first
    return weakref.ref(first)


def test_after_publish_freezes_what_exists_so_collections_skip_it(unfrozen: None) -> None:
    freezer = HeapFreezer(clock=_Clock())
    watched = _cycle()
    freezer.after_publish()
    assert gc.get_freeze_count() > 0
    gc.collect()
    assert watched() is not None, "a collection traversed a frozen object"
    assert freezer.full_collections == 0


def test_the_full_collection_frees_cycles_among_frozen_objects(unfrozen: None) -> None:
    clock = _Clock()
    freezer = HeapFreezer(full_every=3600.0, clock=clock)
    watched = _cycle()
    freezer.after_publish()
    clock.now += 3599.0
    freezer.after_publish()
    assert watched() is not None
    clock.now += 1.0
    freezer.after_publish()
    assert watched() is None
    assert freezer.full_collections == 1
    assert gc.get_freeze_count() > 0, "frozen again after the full collection"


def test_frozen_objects_are_still_freed_by_reference_counting(unfrozen: None) -> None:
    freezer = HeapFreezer(clock=_Clock())
    node = _Node()
    watched = weakref.ref(node)
    freezer.after_publish()
    del node
    assert watched() is None


async def test_the_running_exporter_calls_after_publish_after_each_publish(small) -> None:
    published = asyncio.Event()
    calls: list[int] = []

    def after_publish() -> None:
        calls.append(exporter.version)
        published.set()

    exporter = Exporter(make_settings(small.main_url), after_publish=after_publish)
    try:
        exporter.start()
        await asyncio.wait_for(published.wait(), 10)
    finally:
        await exporter.stop()
    assert calls and calls[0] >= 1, "called after a publish, with the new exposition swapped in"


async def test_publish_now_alone_does_not_call_after_publish(small) -> None:
    calls: list[None] = []
    exporter = Exporter(make_settings(small.main_url), after_publish=lambda: calls.append(None))
    try:
        await exporter.collect_once()
    finally:
        await exporter.stop()
    assert calls == []
