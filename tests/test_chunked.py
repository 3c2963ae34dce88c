"""Chunked compression of the kept plan: read back whole, in order, across chunk boundaries."""

from __future__ import annotations

import pickle
import random
import threading
import zlib

import pytest

from broadsheet.stages import chunked
from broadsheet.stages.chunked import ChunkReader, ChunkWriter, pack_chunks


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chunked, "CHUNK_BYTES", 257)  # many chunks, boundaries everywhere


def test_pickles_read_back_across_chunks(small_chunks: None) -> None:
    rng = random.Random(7)
    value = {f"/story-{i}/": ("headline\n" * rng.randint(0, 9), rng.random(), list(range(i % 50))) for i in range(400)}
    other = ["second", b"value\n\n", 3]
    data = pickle.dumps(value, protocol=5) + pickle.dumps(other, protocol=5)
    packed = pack_chunks(data)
    assert len(list(chunked._chunks(memoryview(packed)))) > 10 and len(packed) < len(data)
    with ChunkReader(packed) as stream:
        unpickler = pickle.Unpickler(stream)
        assert unpickler.load() == value
        assert unpickler.load() == other
        assert stream.read() == b""


def test_a_pickle_packed_as_it_is_written_is_the_pickle_packed_whole(small_chunks: None) -> None:
    """Packed as the pickler writes (the kept plan's head), the chunks are those of the pickle packed
    whole, and no more than a chunk's bytes ever waits unpacked."""
    value = [(f"/story-{i}/", "headline " * (i % 7), i * 0.5) for i in range(500)]
    packer = ChunkWriter()
    waiting: list[int] = []
    real = packer.write

    def write(data: bytes) -> int:
        n = real(data)
        waiting.append(len(packer._buffer))
        return n

    packer.write = write  # type: ignore[method-assign]
    pickle.Pickler(packer, protocol=5).dump(value)
    packer.close()
    packed = b"".join(packer.pieces)
    assert packed == pack_chunks(pickle.dumps(value, protocol=5))
    assert len(list(chunked._chunks(memoryview(packed)))) > 10 and max(waiting) < chunked.CHUNK_BYTES
    with ChunkReader(packed) as stream:
        assert pickle.Unpickler(stream).load() == value


def test_reads_and_lines_give_the_bytes_in_order(small_chunks: None) -> None:
    data = b"".join(b"line %d of the kept plan\n" % i for i in range(300)) + b"no newline at the end"
    with ChunkReader(pack_chunks(data)) as stream:
        got = [stream.readline() for _ in range(300)]
        assert b"".join(got) == data[: data.rindex(b"\n") + 1]
        buf = bytearray(5)
        assert stream.readinto(buf) == 5 and bytes(buf) == b"no ne"
        assert stream.read(3) == b"wli" and stream.read() == b"ne at the end"
        assert stream.readline() == b"" and stream.read(10) == b""


def test_a_cut_or_damaged_file_raises(small_chunks: None) -> None:
    packed = pack_chunks(bytes(range(256)) * 20)
    with ChunkReader(packed[:-10]) as stream, pytest.raises(ValueError):
        stream.read()
    damaged = bytearray(packed)
    damaged[10] ^= 0xFF
    with ChunkReader(bytes(damaged)) as stream, pytest.raises(zlib.error):
        stream.read()


def test_a_reader_stopped_early_stops_its_helper(small_chunks: None) -> None:
    before = threading.active_count()
    with ChunkReader(pack_chunks(b"x" * 100_000)) as stream:
        assert stream.read(10) == b"x" * 10  # the helper is blocked, chunks ahead of the reader
    assert threading.active_count() == before


def test_a_failure_in_the_helper_reaches_the_reader(small_chunks: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_memory(data: object) -> bytes:
        raise MemoryError

    packed = pack_chunks(b"y" * 10_000)
    monkeypatch.setattr(chunked.zlib, "decompress", no_memory)
    with ChunkReader(packed) as stream, pytest.raises(MemoryError):
        stream.read()
