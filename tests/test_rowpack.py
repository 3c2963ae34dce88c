"""The cache's row compression: ordinary zlib streams, a window sized to the row."""

from __future__ import annotations

import random
import zlib

import pytest

from broadsheet.rowpack import pack, window_bits


@pytest.mark.parametrize("size", [0, 1, 511, 512, 513, 1300, 8192, 8193, 20_000, 200_000])
def test_packed_rows_read_back_with_plain_zlib(size: int) -> None:
    rng = random.Random(size)
    words = [b"court", b"minister", b"<p>", b"</p>\n", b"harvest", b"\xc3\xa9lection", b" "]
    data = b"".join(rng.choice(words) for _ in range(size))[:size]
    packed = pack(data, 6)
    assert zlib.decompress(packed) == data
    # Within a few bytes of zlib's own, whatever the window.
    assert len(packed) <= len(zlib.compress(data, 6)) * 1.02 + 8


def test_the_window_covers_the_row_and_stays_within_zlib_bounds() -> None:
    assert window_bits(0) == 9
    assert window_bits(512) == 9
    assert window_bits(513) == 10
    assert window_bits(8192) == 13
    assert window_bits(8193) == 14
    assert window_bits(1 << 20) == 15
    # The stream's header names the window it was packed with (what lets zlib read it back).
    assert pack(b"x" * 1000, 1)[0] >> 4 == window_bits(1000) - 8
    assert pack(b"x" * 100_000, 1)[0] >> 4 == 15 - 8
