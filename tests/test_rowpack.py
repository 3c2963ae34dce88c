"""The cache's row compression: ordinary zlib streams, a window sized to the row."""

from __future__ import annotations

import random
import zlib

import pytest

from broadsheet.rowpack import DICTIONARY_BYTES, make_dictionary, pack, pack_hash, unpack, unpack_hash, window_bits


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


def _rows(seed: int, count: int) -> list[bytes]:
    """Rows like a site's bodies: each its own words, all from one vocabulary and one markup."""
    rng = random.Random(seed)
    words = [b"court", b"minister", b"harvest", b"\xc3\xa9lection", b"budget", b"talks", b"province", b"striker"]
    return [
        b'<p class="lede">' + b" ".join(rng.choice(words) for _ in range(rng.randrange(150, 400))) + b"</p>\n"
        for _ in range(count)
    ]


@pytest.mark.parametrize("size", [0, 1, 700, 1300, 8192, 40_000])
def test_rows_packed_with_a_dictionary_read_back_with_it_only(size: int) -> None:
    dictionary = make_dictionary(_rows(1, 200))
    assert 0 < len(dictionary) <= DICTIONARY_BYTES
    data = b"".join(_rows(size, 40))[:size]
    packed = pack(data, 1, dictionary)
    assert unpack(packed, dictionary) == data
    with pytest.raises(zlib.error):
        unpack(packed, make_dictionary(_rows(2, 200)))  # another file's dictionary
    if size:
        with pytest.raises(zlib.error):
            unpack(packed)  # none: the stream's header asks for one
        with pytest.raises(zlib.error):
            unpack(packed[:-3], dictionary)  # a cut row


def test_a_dictionary_made_from_a_sample_shrinks_rows_it_never_saw() -> None:
    sample, rows = _rows(3, 500), _rows(4, 300)
    dictionary = make_dictionary(sample)
    alone = sum(len(pack(row, 1)) for row in rows)
    primed = sum(len(pack(row, 1, dictionary)) for row in rows)
    assert primed < 0.88 * alone
    # Taken from rows spread over the sample (a sample sorted by path keeps its sections apart),
    # not from its last rows alone.
    step = len(sample) // 64
    assert dictionary.endswith(sample[step * 63]) and not dictionary.endswith(sample[-1])
    # A site of one article, or none, still gets a dictionary it can pack with.
    assert unpack(pack(rows[0], 1, make_dictionary(sample[:1])), make_dictionary(sample[:1])) == rows[0]
    assert make_dictionary([]) == b"" and unpack(pack(rows[0], 1, b""), b"") == rows[0]


@pytest.mark.parametrize(
    "text", ["9f86d081884c7d659a2feaa0c55ad015", "", "9F86D081884C7D659A2FEAA0C55AD015", "not a hash", "abc", "0a 1b"]
)
def test_hashes_are_kept_as_bytes_when_that_gives_them_back_exactly(text: str) -> None:
    kept = pack_hash(text)
    assert unpack_hash(kept) == text
    assert isinstance(kept, bytes) == (text == "9f86d081884c7d659a2feaa0c55ad015" or text == "")
