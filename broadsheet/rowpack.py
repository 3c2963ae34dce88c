"""Compression of the build cache's rows: zlib, with a window no larger than the row.

Most rows are small (a parse's fields, a body of a few kilobytes) and are compressed one by one,
tens of thousands in a cold build. ``zlib.compress`` sets up its full state for each call (a
32 KB window and hash tables, about 256 KB), which is larger than the C library's threshold for
taking memory straight from the system: every call then maps fresh pages and faults them in. A
window sized to the row (and hash tables to match) stays under that threshold and reuses the
heap's memory: a 1.3 KB parse row packs in about 40 µs instead of 75, an 8 KB body in 130 µs
instead of 230, for the same bytes within 0.1 %. Rows of 16 KB and more keep the full window.

The output is an ordinary zlib stream: ``zlib.decompress`` reads it (its header names the window),
so rows packed before and after this module read the same way.

**Preset dictionaries.** A row of a few kilobytes compresses poorly on its own: zlib starts every
row knowing nothing, while the rows of one site share most of their strings (HTML tags, the
front matter's field names, the site's own vocabulary). A dictionary made from a sample of the
site's rows (:func:`make_dictionary`) primes each row's window with them: at 100,000 generated
articles the parse rows shrink by two fifths and the bodies by a fifth; on 750 real blog posts,
the parse rows by a third and the bodies (longer, and less alike) by a tenth.
A row packed with a dictionary names it in its header (its Adler-32), so :func:`unpack` with
another dictionary fails rather than read wrong bytes.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

#: The smallest and largest window zlib takes (as a power of two).
_MIN_BITS, _MAX_BITS = 9, 15


def window_bits(size: int) -> int:
    """The smallest zlib window (as a power of two, 9 to 15) that covers ``size`` bytes."""
    return max(_MIN_BITS, min(_MAX_BITS, (size - 1).bit_length()))


#: The size of a preset dictionary: 8 KB gets nearly all a 32 KB one does on parse and body rows,
#: and zlib primes each row's window with the whole dictionary (a larger one packs slower).
DICTIONARY_BYTES = 8192
#: How many rows a dictionary is made from, spread over the sample given.
DICTIONARY_ROWS = 64


def make_dictionary(rows: Sequence[bytes]) -> bytes:
    """A preset dictionary for rows like ``rows``: the last :data:`DICTIONARY_BYTES` of some of them
    joined, spread over the whole sample (zlib finds a match in any part of its window, and whole
    rows keep their structure: tried against pieces of more rows, this packed as well or better)."""
    step = max(1, len(rows) // DICTIONARY_ROWS)
    return b"".join(rows[::step][:DICTIONARY_ROWS])[-DICTIONARY_BYTES:]


def pack(data: bytes | bytearray | memoryview, level: int, dictionary: bytes = b"") -> bytes:
    """``data`` compressed at ``level``, with a window no larger than it needs (see the module),
    primed with ``dictionary`` when one is given (see :func:`make_dictionary`)."""
    bits = window_bits(len(data) + len(dictionary))
    # memLevel 7 halves the hash tables: with a small window they would otherwise outweigh it.
    mem = 7 if bits < _MAX_BITS else 8
    if dictionary:
        packer = zlib.compressobj(level, zlib.DEFLATED, bits, mem, zlib.Z_DEFAULT_STRATEGY, dictionary)
    else:
        packer = zlib.compressobj(level, zlib.DEFLATED, bits, mem)
    return packer.compress(data) + packer.flush()


def unpack(value: bytes | bytearray | memoryview, dictionary: bytes = b"") -> bytes:
    """The bytes :func:`pack` packed into ``value`` with ``dictionary``; raises ``zlib.error`` for
    anything else (another dictionary, a cut row)."""
    if not dictionary:
        return zlib.decompress(value)
    unpacker = zlib.decompressobj(zdict=dictionary)
    data = unpacker.decompress(value)
    if not unpacker.eof or unpacker.unused_data:
        raise zlib.error("not one whole packed row")
    return data


def pack_hash(text: str) -> bytes | str:
    """A hash kept in a row: a lowercase hexadecimal one as its bytes (half the size; the cache's
    tables hold hundreds of thousands), anything else as it is."""
    try:
        value = bytes.fromhex(text)
    except ValueError:
        return text
    return value if value.hex() == text else text


def unpack_hash(value: bytes | str) -> str:
    """The hash :func:`pack_hash` kept as ``value``, as text again."""
    return value.hex() if isinstance(value, bytes) else value
