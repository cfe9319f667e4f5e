"""The frames that hubs exchange.

Each node binds one ROUTER socket and opens one DEALER socket, a *link*, to
every peer it sends to. A DEALER message has exactly one frame; the ROUTER
prepends the link's routing id. The first byte of the frame is its kind:

Sent on a link (DEALER to ROUTER):

- ``H`` HELLO: protocol version, incarnation and link id of the sender, then
  its address. The first frame of every link.
- ``D`` DATA: a batch of entries (below), in the order they were sent.
- ``P`` PING: the sender is alive; the receiver replies with PONG.
- ``B`` BYE: the sender is stopping; the receiver answers BYE_ACK.
- ``A`` BYE_ACK: answer to a BYE that arrived on the receiver's link.

Sent back over a link (ROUTER to DEALER):

- ``W`` WELCOME: answer to HELLO with the receiver's version, incarnation
  and address. Entries wait on the sender's side until it arrives.
- ``O`` PONG: answer to PING.
- ``R`` REJECT: the receiver does not know this link (it restarted or
  declared the sender dead) or cannot talk its protocol; UTF-8 reason.
- ``B`` BYE and ``A`` BYE_ACK as above.

A DATA frame holds entries, each a 5-byte header (kind, little-endian
length) and a body: a pickle of ``(path, message)`` for MESSAGE, or a UTF-8
actor path for WATCH, UNWATCH, TERMINATED and STOP.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

__all__ = [
    "BYE",
    "BYE_ACK",
    "DATA",
    "ENTRY_HEADER",
    "HELLO",
    "MESSAGE",
    "PING",
    "PONG",
    "REJECT",
    "STOP",
    "TERMINATED",
    "UNWATCH",
    "VERSION",
    "WATCH",
    "WELCOME",
    "FrameError",
    "Hello",
    "entries",
    "hello",
    "parse_hello",
    "parse_welcome",
    "welcome",
]

VERSION = 1

# Frame kinds, as the first byte of a frame.
HELLO = ord("H")
WELCOME = ord("W")
DATA = ord("D")
PING = ord("P")
PONG = ord("O")
BYE = ord("B")
BYE_ACK = ord("A")
REJECT = ord("R")

# Entry kinds inside a DATA frame.
MESSAGE = 1
WATCH = 2
UNWATCH = 3
TERMINATED = 4
STOP = 5
ENTRY_KINDS = frozenset({MESSAGE, WATCH, UNWATCH, TERMINATED, STOP})

ENTRY_HEADER = struct.Struct("<BI")
_HELLO = struct.Struct("!BB8s8s")
_WELCOME = struct.Struct("!BB8s")

INCARNATION_SIZE = 8
LINK_ID_SIZE = 8
MAX_ADDRESS = 1024


class FrameError(ValueError):
    """A frame is malformed or truncated."""


class Hello:
    """The parsed content of a HELLO or WELCOME frame."""

    __slots__ = ("address", "incarnation", "link_id", "version")

    def __init__(
        self, version: int, incarnation: bytes, link_id: bytes, address: str
    ) -> None:
        self.version = version
        self.incarnation = incarnation
        self.link_id = link_id
        self.address = address


def routing_id(incarnation: bytes, link_id: bytes) -> bytes:
    """Return a link's ZeroMQ routing id; it never starts with a zero byte."""
    return b"L" + incarnation + link_id


def hello(incarnation: bytes, link_id: bytes, address: str) -> bytes:
    """Return a HELLO frame."""
    return _HELLO.pack(HELLO, VERSION, incarnation, link_id) + address.encode()


def welcome(incarnation: bytes, address: str) -> bytes:
    """Return a WELCOME frame."""
    return _WELCOME.pack(WELCOME, VERSION, incarnation) + address.encode()


def reject(reason: str) -> bytes:
    """Return a REJECT frame."""
    return bytes((REJECT,)) + reason.encode()[:MAX_ADDRESS]


def parse_hello(frame: bytes) -> Hello:
    """Parse a HELLO frame; raises `FrameError` if it is malformed."""
    if len(frame) < _HELLO.size or len(frame) > _HELLO.size + MAX_ADDRESS:
        raise FrameError(f"a HELLO frame of {len(frame)} bytes")
    _, version, incarnation, link_id = _HELLO.unpack_from(frame)
    return Hello(version, incarnation, link_id, _text(frame[_HELLO.size :]))


def parse_welcome(frame: bytes) -> Hello:
    """Parse a WELCOME frame; raises `FrameError` if it is malformed."""
    if len(frame) < _WELCOME.size or len(frame) > _WELCOME.size + MAX_ADDRESS:
        raise FrameError(f"a WELCOME frame of {len(frame)} bytes")
    _, version, incarnation = _WELCOME.unpack_from(frame)
    return Hello(version, incarnation, b"", _text(frame[_WELCOME.size :]))


def parse_reject(frame: bytes) -> str:
    """Return the reason carried by a REJECT frame."""
    return frame[1 : 1 + MAX_ADDRESS].decode("utf-8", "replace")


def _text(data: bytes) -> str:
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise FrameError("an address that is not UTF-8") from None


def entries(frame: bytes, max_entry: int) -> Iterator[tuple[int, int, int]]:
    """Yield ``(kind, start, end)`` for each entry of a DATA frame.

    Raises:
        FrameError: an entry is truncated, of an unknown kind or larger than
            `max_entry` bytes. Entries before it have been yielded.
    """
    position = 1
    size = len(frame)
    unpack = ENTRY_HEADER.unpack_from
    header = ENTRY_HEADER.size
    while position < size:
        if size - position < header:
            raise FrameError(f"a truncated entry header at byte {position}")
        kind, length = unpack(frame, position)
        if kind not in ENTRY_KINDS:
            raise FrameError(f"an entry of unknown kind {kind} at byte {position}")
        if length > max_entry:
            raise FrameError(
                f"an entry of {length} bytes, above max_message_size={max_entry}"
            )
        start = position + header
        end = start + length
        if end > size:
            raise FrameError(f"an entry of {length} bytes truncated at {size - start}")
        yield kind, start, end
        position = end
