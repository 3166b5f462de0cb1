"""The gzip twin made of kept deflate pieces: valid gzip of the body, and deflating only what changed."""

from __future__ import annotations

import gzip
import random
import subprocess
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from eocexporter.exposition.gzip_parts import KEEP_FROM_BYTES, GzipParts


def _text(seed: int, size: int) -> bytes:
    """Exposition-like lines: compressible, but not one repeated byte."""
    rng = random.Random(seed)
    lines = []
    while sum(map(len, lines)) < size:
        lines.append(f'eocortex_camera_up{{camera_id="{rng.getrandbits(64):x}"}} {rng.random()}\n'.encode())
    return b"".join(lines)[:size]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 3 * KEEP_FROM_BYTES)), max_size=8))
def test_the_pieces_put_together_are_the_gzip_of_the_body(specs: list[tuple[int, int]]) -> None:
    chunks = [_text(seed, size) for seed, size in specs]
    parts = GzipParts(3)
    for _ in range(2):  # the second time from kept pieces
        zipped = parts.compress(chunks)
        assert gzip.decompress(zipped) == b"".join(chunks)
        assert zlib.decompress(zipped, wbits=31) == b"".join(chunks)  # one member, nothing after it


def test_a_render_deflates_only_the_chunks_that_are_new() -> None:
    big = [_text(seed, 2 * KEEP_FROM_BYTES) for seed in range(4)]
    small = [b"# HELP x y\n", b"# TYPE x gauge\n"]
    parts = GzipParts(3)
    first = parts.compress([small[0], big[0], small[1], big[1], big[2], big[3]])
    assert parts.deflated_bytes == sum(map(len, big + small))
    changed = _text(99, 2 * KEEP_FROM_BYTES)
    second = parts.compress([small[0], big[0], small[1], changed, big[2], big[3]])
    # The new chunk and the small ones (deflated together with their neighbours each time); no kept one.
    assert parts.deflated_bytes == len(changed) + sum(map(len, small))
    assert gzip.decompress(second) == b"".join([small[0], big[0], small[1], changed, big[2], big[3]])
    assert gzip.decompress(first) != gzip.decompress(second)
    # Kept pieces are the same bytes as a fresh compression would make, and the pieces compress nearly
    # as well as one stream.
    body = [small[0], big[0], small[1], changed, big[2], big[3]]
    assert second == GzipParts(3).compress(body)
    assert len(second) <= 1.02 * len(gzip.compress(b"".join(body), compresslevel=3))


def test_a_whole_render_forgets_chunks_gone_and_a_partial_one_keeps_them() -> None:
    a, b = _text(1, 2 * KEEP_FROM_BYTES), _text(2, 2 * KEEP_FROM_BYTES)
    parts = GzipParts(3)
    parts.compress([a, b])
    parts.compress([a], prune=False)  # a probe's render of one target
    parts.compress([a, b])
    assert parts.deflated_bytes == 0
    parts.compress([a])  # b's target left the configuration
    parts.compress([a, b])
    assert parts.deflated_bytes == len(b)


def test_the_system_gzip_reads_it(tmp_path) -> None:
    body = [_text(seed, KEEP_FROM_BYTES + seed) for seed in range(3)]
    path = tmp_path / "exposition.gz"
    path.write_bytes(GzipParts(3).compress(body))
    out = subprocess.run(["gzip", "-dc", "-t", str(path)], capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert subprocess.run(["gzip", "-dc", str(path)], capture_output=True, timeout=30).stdout == b"".join(
        body
    )
