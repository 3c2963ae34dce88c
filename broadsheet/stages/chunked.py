"""A large value's bytes compressed in chunks, read back while the next chunk is inflated.

The kept plan of a large site is hundreds of megabytes of pickle (212 MB at 100,000 articles). In
one zlib stream, inflating it took 1.2 s before unpickling could start, and unpickling (3.5 s)
cannot use a second core. In chunks, a helper thread inflates the next chunk while the unpickler
reads the current one (zlib lets go of the interpreter's lock while it works), so loading costs
about the unpickling alone. Saving compresses each chunk as soon as it is written, two at a time
(see :class:`Compressor`).

Layout after the caller's header: for each chunk, its compressed length (4 bytes, little-endian)
then its zlib stream. Anything else (a cut file, a bad length) raises ``ValueError`` or
``zlib.error`` on reading.
"""

from __future__ import annotations

import queue
import threading
import zlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

#: Uncompressed bytes per chunk: small enough that the first one is quickly ready, large enough
#: that each costs little besides its bytes.
CHUNK_BYTES = 4 << 20
#: Chunks inflated ahead of the reader, at most (bounds the memory held besides the file).
AHEAD = 3
_LENGTH = 4


def pack_chunks(data: bytes | bytearray | memoryview, level: int = 1) -> bytes:
    """``data`` as zlib chunks, each preceded by its length (see :class:`ChunkWriter`)."""
    packer = ChunkWriter(level)
    try:
        packer.write(data)
    finally:
        packer.close()
    return b"".join(packer.pieces)


class Compressor:
    """Pieces of data compressed as they are handed in, by two threads, kept in order.

    zlib lets go of the interpreter's lock: two threads compress while the caller makes the next
    piece (pickles it). At most :data:`PENDING` wait: compressed only once all were made, the
    uncompressed pieces would be held at once (five times the result: hundreds of megabytes of a
    large site's kept plan, at the end of the build, where its memory peaks). Closed, whatever
    happened, to end the threads.
    """

    def __init__(self, level: int) -> None:
        self.level = level
        self.done: list[bytes | memoryview] = []
        """The pieces, compressed, in order (complete once closed)."""
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pack")
        self._pending: deque[tuple[int, Future[bytes]]] = deque()

    def add(self, data: bytes) -> None:
        """A piece to compress (in a thread)."""
        self.done.append(b"")
        self._pending.append((len(self.done) - 1, self._pool.submit(zlib.compress, data, self.level)))
        while len(self._pending) > PENDING:
            self._take()

    def add_compressed(self, data: bytes | memoryview) -> None:
        """A piece compressed already."""
        self.done.append(data)

    def _take(self) -> None:
        i, future = self._pending.popleft()
        self.done[i] = future.result()

    def close(self) -> None:
        """Wait for the pieces being compressed; end the threads."""
        try:
            while self._pending:
                self._take()
        finally:
            self._pool.shutdown(cancel_futures=True)


#: Most pieces waiting to be compressed (see :class:`Compressor`).
PENDING = 8


class ChunkWriter:
    """A stream to write into (a pickler's file) that packs what it is given as :func:`pack_chunks`
    does, a chunk at a time (see :class:`Compressor`): the value's whole bytes are never held (the
    kept plan's head: 100 MB of pickle at 100,000 articles, at the end of the build, where its
    memory peaks). Closed, whatever happened, to end the compressing threads."""

    def __init__(self, level: int = 1) -> None:
        self._chunks = Compressor(level)
        self._buffer = bytearray()

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Take ``data``; hand a chunk to compress once :data:`CHUNK_BYTES` are waiting."""
        self._buffer += data
        while len(self._buffer) >= CHUNK_BYTES:
            self._chunks.add(bytes(self._buffer[:CHUNK_BYTES]))
            del self._buffer[:CHUNK_BYTES]
        return len(data)

    def close(self) -> None:
        """Hand what is left to compress, and wait for every chunk."""
        if self._buffer:
            self._chunks.add(bytes(self._buffer))
            self._buffer = bytearray()
        self._chunks.close()

    @property
    def pieces(self) -> list[bytes | memoryview]:
        """The packed bytes in pieces, each chunk's length then the chunk (complete once closed)."""
        return [piece for chunk in self._chunks.done for piece in (len(chunk).to_bytes(_LENGTH, "little"), chunk)]


def _chunks(data: memoryview) -> Iterator[memoryview]:
    pos = 0
    while pos < len(data):
        if pos + _LENGTH > len(data):
            raise ValueError("a chunk's length is cut")
        size = int.from_bytes(data[pos : pos + _LENGTH], "little")
        pos += _LENGTH
        if pos + size > len(data):
            raise ValueError("a chunk is cut")
        yield data[pos : pos + size]
        pos += size


class ChunkReader:
    """A read-only stream over :func:`pack_chunks`' bytes, inflated by a helper thread a few chunks
    ahead of the reader: what :class:`pickle.Unpickler` needs (``read``, ``readinto``, ``readline``).

    Use it as a context manager, so that the helper stops when the reader does."""

    def __init__(self, data: bytes | memoryview) -> None:
        self._ready: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=AHEAD)
        self._stop = threading.Event()
        self._buffer = b""
        self._pos = 0
        self._done = False
        self._thread = threading.Thread(target=self._inflate, args=(memoryview(data),), daemon=True)
        self._thread.start()

    def _inflate(self, data: memoryview) -> None:
        try:
            for chunk in _chunks(data):
                if not self._hand(zlib.decompress(chunk)):
                    return
            self._hand(None)
        except BaseException as exc:  # handed to the reader, which raises it: never left waiting
            self._hand(exc)

    def _hand(self, item: bytes | BaseException | None) -> bool:
        """Queue ``item`` for the reader once there is room; False when the reader has stopped."""
        while not self._stop.is_set():
            try:
                self._ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _fill(self) -> bool:
        """Make the next chunk current; False at the end of the data."""
        if self._done:
            return False
        item = self._ready.get()
        if item is None:
            self._done = True
            return False
        if isinstance(item, BaseException):
            self._done = True
            raise item
        self._buffer, self._pos = item, 0
        return True

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when negative); fewer only at the end."""
        parts: list[bytes] = []
        want = size
        while want != 0:
            if self._pos >= len(self._buffer) and not self._fill():
                break
            end = len(self._buffer) if want < 0 else min(len(self._buffer), self._pos + want)
            parts.append(self._buffer[self._pos : end])
            if want > 0:
                want -= end - self._pos
            self._pos = end
        return b"".join(parts)

    def readinto(self, target: bytearray | memoryview) -> int:
        """Fill ``target`` as far as the data goes; the number of bytes put in."""
        data = self.read(len(target))
        memoryview(target)[: len(data)] = data
        return len(data)

    def readline(self, size: int = -1) -> bytes:
        """Bytes up to and including the next newline (or the end)."""
        parts: list[bytes] = []
        while True:
            if self._pos >= len(self._buffer) and not self._fill():
                break
            end = self._buffer.find(b"\n", self._pos)
            stop = len(self._buffer) if end < 0 else end + 1
            parts.append(self._buffer[self._pos : stop])
            self._pos = stop
            if end >= 0:
                break
        line = b"".join(parts)
        return line if size < 0 else line[:size]

    def close(self) -> None:
        """Stop the helper thread (it may be waiting to hand over a chunk)."""
        self._stop.set()
        while True:  # let a helper blocked on a full queue see the stop
            try:
                self._ready.get_nowait()
            except queue.Empty:
                break
        self._thread.join()

    def __enter__(self) -> ChunkReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
