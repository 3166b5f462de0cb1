"""A lost cancellation does not keep a run past its deadline (eocexporter.cancelling)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from eocexporter.cancelling import cancel_until_done
from eocexporter.collectors.base import per_camera


async def _swallows_once(swallowed: list[int], index: int) -> int:
    """Sleeps; takes back the first cancellation (what aiohttp does when its timeout lands with it) and
    sleeps again."""
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        assert task is not None
        task.uncancel()
        swallowed.append(index)
    await asyncio.sleep(30)
    return index


async def test_a_task_that_takes_back_its_cancellation_is_cancelled_again() -> None:
    swallowed: list[int] = []
    tasks = [asyncio.create_task(_swallows_once(swallowed, index)) for index in range(3)]
    await asyncio.sleep(0)
    await asyncio.wait_for(cancel_until_done(tasks), 5)
    assert sorted(swallowed) == [0, 1, 2]
    assert all(task.cancelled() for task in tasks)


async def test_cancelled_meanwhile_it_still_waits_for_its_tasks_then_is_cancelled() -> None:
    swallowed: list[int] = []
    tasks = [asyncio.create_task(_swallows_once(swallowed, index)) for index in range(2)]
    canceller = asyncio.create_task(cancel_until_done(tasks))
    await asyncio.sleep(0.01)
    for _ in range(3):  # as the runtime's own re-cancelling would
        canceller.cancel()
        await asyncio.sleep(0.01)
    done, _ = await asyncio.wait([canceller], timeout=5)
    assert canceller in done and canceller.cancelled()
    assert all(task.cancelled() for task in tasks), "nothing left running"


async def test_failures_of_the_cancelled_tasks_are_retrieved(caplog: pytest.LogCaptureFixture) -> None:
    async def fails_when_cancelled() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            raise ValueError("cleanup failed") from None

    task = asyncio.create_task(fails_when_cancelled())
    await asyncio.sleep(0)
    await cancel_until_done([task])
    assert isinstance(task.exception(), ValueError)
    del task
    assert "exception was never retrieved" not in caplog.text


async def test_per_camera_ends_when_cancelled_even_if_a_fetch_takes_the_cancellation_back() -> None:
    swallowed: list[int] = []
    client: Any = SimpleNamespace(target=SimpleNamespace(max_concurrency=2))
    run = asyncio.create_task(
        per_camera(client, [1, 2, 3, 4], lambda camera: _swallows_once(swallowed, camera))
    )
    await asyncio.sleep(0.01)
    run.cancel()
    done, _ = await asyncio.wait([run], timeout=5)
    assert run in done and run.cancelled()
    assert sorted(swallowed) == [1, 2]  # the two cameras in flight; the others were never asked


async def test_per_camera_stops_at_the_first_failure_and_raises_it() -> None:
    asked: list[int] = []

    async def fetch(camera: int) -> int:
        asked.append(camera)
        if camera == 2:
            raise ValueError("camera 2")
        await asyncio.sleep(0 if camera == 1 else 30)
        return camera

    client: Any = SimpleNamespace(target=SimpleNamespace(max_concurrency=2))
    with pytest.raises(ValueError, match="camera 2"):
        await asyncio.wait_for(per_camera(client, [1, 2, 3, 4, 5], fetch), 5)
    assert 5 not in asked


async def test_per_camera_of_no_cameras_asks_nothing() -> None:
    client: Any = SimpleNamespace(target=SimpleNamespace(max_concurrency=2))
    assert await per_camera(client, [], lambda camera: _swallows_once([], camera)) == []
