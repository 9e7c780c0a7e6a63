"""The SFTP channel's receive buffer: same behaviour as paramiko's, without moving data."""

from __future__ import annotations

import threading

import pytest
from paramiko.buffered_pipe import BufferedPipe, PipeTimeout

from ingestd.sftp.channel_buffer import ChunkedPipe


@pytest.fixture(params=[BufferedPipe, ChunkedPipe], ids=["paramiko", "chunked"])
def pipe(request):
    # Every behaviour below holds for paramiko's pipe too: ChunkedPipe is a drop-in.
    return request.param()


def test_reads_return_the_fed_bytes_in_order_whatever_the_read_sizes(pipe):
    pieces = [bytes([n]) * size for n, size in enumerate([5, 1, 300, 7, 64, 2])]
    for piece in pieces:
        pipe.feed(piece)
    expected = b"".join(pieces)
    got = b""
    for size in [4, 1, 1, 200, 3, 150, 1000]:
        got += pipe.read(size)
    assert got == expected
    assert len(pipe) == 0


def test_a_read_never_returns_more_than_asked(pipe):
    pipe.feed(b"abcdef")
    pipe.feed(b"ghij")
    assert pipe.read(4) == b"abcd"
    assert pipe.read(3) == b"efg"
    assert len(pipe) == 3
    assert pipe.read(10) == b"hij"


def test_a_whole_chunk_is_handed_out_without_a_copy():
    pipe = ChunkedPipe()
    packet = b"x" * 262144
    pipe.feed(packet)
    assert pipe.read(300000) is packet


def test_read_waits_for_data_fed_from_another_thread(pipe):
    feeder = threading.Timer(0.05, pipe.feed, args=[b"late"])
    feeder.start()
    assert pipe.read(10, timeout=5) == b"late"
    feeder.join()


def test_read_times_out_when_nothing_arrives(pipe):
    with pytest.raises(PipeTimeout):
        pipe.read(10, timeout=0.05)
    with pytest.raises(PipeTimeout):
        pipe.read(10, timeout=0.0)


def test_a_closed_pipe_returns_what_is_left_then_empty(pipe):
    pipe.feed(b"tail")
    pipe.close()
    assert pipe.read(2) == b"ta"
    assert pipe.read(10) == b"il"
    assert pipe.read(10) == b""


def test_close_wakes_a_waiting_reader(pipe):
    closer = threading.Timer(0.05, pipe.close)
    closer.start()
    assert pipe.read(10, timeout=5) == b""
    closer.join()


def test_event_is_set_while_data_waits_and_cleared_when_drained(pipe):
    event = threading.Event()
    pipe.set_event(event)
    assert not event.is_set()
    pipe.feed(b"ab")
    assert event.is_set() and pipe.read_ready()
    pipe.read(1)
    assert event.is_set()
    pipe.read(1)
    assert not event.is_set() and not pipe.read_ready()


def test_empty_returns_everything_buffered(pipe):
    pipe.feed(b"abc")
    pipe.read(1)
    pipe.feed(b"def")
    assert pipe.empty() == b"bcdef"
    assert len(pipe) == 0
