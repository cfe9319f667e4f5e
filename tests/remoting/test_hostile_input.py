"""Malformed, hostile and unroutable input from a raw ZeroMQ socket.

A pyzmq DEALER in the test process plays a peer that breaks the protocol. The
node under test must drop each bad frame with an event and keep serving a
well-behaved node in another process.
"""

from __future__ import annotations

import os
import pickle
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq

from spinoff.remoting import _wire
from tests.remoting.conftest import NodeProcess, StartNode, assert_echo

INCARNATION = b"\x01" * 8
LINK_ID = b"\x02" * 8
CLAIMED_ADDRESS = "127.0.0.1:9"


class _RunsCommand:
    """Unpickling this runs ``touch PATH`` through os.system."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.path}",))


@pytest.fixture
def raw_dealer() -> Iterator[zmq.Socket[bytes]]:
    context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.ROUTING_ID, _wire.routing_id(INCARNATION, LINK_ID))
    socket.setsockopt(zmq.RCVTIMEO, 10_000)
    yield socket
    socket.close()
    context.term()


def data_frame(*entries: tuple[int, bytes]) -> bytes:
    parts = [bytes((_wire.DATA,))]
    for kind, body in entries:
        parts.append(struct.pack("<BI", kind, len(body)) + body)
    return b"".join(parts)


def say_hello(socket: zmq.Socket[bytes], node: NodeProcess) -> None:
    socket.connect(f"tcp://{node.address}")
    socket.send(_wire.hello(INCARNATION, LINK_ID, CLAIMED_ADDRESS))
    assert socket.recv()[0] == _wire.WELCOME


@pytest.mark.timeout(60)
def test_garbage_frames_are_dropped(
    start_node: StartNode, raw_dealer: zmq.Socket[bytes]
) -> None:
    target = start_node("--spawn", "echo=Echo", label="target")
    good = start_node("--spawn", "probe=Probe", label="good")
    raw_dealer.connect(f"tcp://{target.address}")

    raw_dealer.send(os.urandom(64))
    raw_dealer.send_multipart([b"D", b"two", b"three"])
    raw_dealer.send(b"")
    raw_dealer.send(data_frame((_wire.MESSAGE, pickle.dumps(("/echo", 1)))))

    faults = [target.wait_for("RemotingFault") for _ in range(4)]
    assert "3 frames" in faults[1]["reason"]
    assert "before any HELLO" in faults[3]["reason"]
    assert_echo(good, target, "after garbage")


@pytest.mark.timeout(60)
def test_command_pickle_rejected(
    start_node: StartNode, raw_dealer: zmq.Socket[bytes], tmp_path: Path
) -> None:
    target = start_node("--spawn", "echo=Echo", label="target")
    good = start_node("--spawn", "probe=Probe", label="good")
    marker = tmp_path / "command-ran"
    say_hello(raw_dealer, target)

    payload = pickle.dumps(("/echo", _RunsCommand(marker)), protocol=5)
    raw_dealer.send(data_frame((_wire.MESSAGE, payload)))

    rejected = target.wait_for("MessageRejected")
    assert rejected["type_name"] == "posix.system"
    assert rejected["peer"] == CLAIMED_ADDRESS
    assert_echo(good, target, "after the hostile pickle")
    assert not marker.exists()


@pytest.mark.timeout(60)
def test_malformed_entries_are_dropped(
    start_node: StartNode, raw_dealer: zmq.Socket[bytes]
) -> None:
    target = start_node(
        "--max-message-size", "1000", "--spawn", "echo=Echo", label="target"
    )
    good = start_node("--spawn", "probe=Probe", label="good")
    say_hello(raw_dealer, target)

    raw_dealer.send(data_frame((_wire.MESSAGE, b"\x80\x05not a pickle")))
    raw_dealer.send(
        bytes((_wire.DATA,)) + struct.pack("<BI", _wire.MESSAGE, 500) + b"x"
    )
    raw_dealer.send(data_frame((99, b"")))
    raw_dealer.send(data_frame((_wire.MESSAGE, b"x" * 2000)))
    raw_dealer.send(bytes((_wire.DATA,)) + b"\x00" * 100_000)
    raw_dealer.send(data_frame((_wire.WATCH, b"\xff\xfe")))

    reasons = [target.wait_for("RemotingFault")["reason"] for _ in range(6)]
    assert "malformed message" in reasons[0]
    assert "truncated" in reasons[1]
    assert "unknown kind 99" in reasons[2]
    assert "above max_message_size=1000" in reasons[3]
    assert "a frame of 100001 bytes" in reasons[4]
    assert "not UTF-8" in reasons[5]
    assert_echo(good, target, "after malformed entries")


@pytest.mark.timeout(60)
def test_unroutable_paths_dead_letters(
    start_node: StartNode, raw_dealer: zmq.Socket[bytes]
) -> None:
    target = start_node("--spawn", "echo=Echo", label="target")
    good = start_node("--spawn", "probe=Probe", label="good")
    say_hello(raw_dealer, target)

    raw_dealer.send(
        data_frame(
            (_wire.MESSAGE, pickle.dumps(("/nobody", "lost"), protocol=5)),
            (_wire.MESSAGE, pickle.dumps(("elsewhere:1/echo", "forward"), protocol=5)),
            (_wire.MESSAGE, pickle.dumps(("/a//b", "empty segment"), protocol=5)),
        )
    )

    dead = [target.wait_for("RemoteDeadLetter") for _ in range(3)]
    assert dead[0]["ref"] == f"{target.address}/nobody"
    assert CLAIMED_ADDRESS in dead[0]["reason"]
    assert dead[1]["ref"] == "elsewhere:1/echo"
    assert dead[2]["ref"] == "/a//b"
    assert_echo(good, target, "after unroutable paths")
