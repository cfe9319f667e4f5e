"""A link: this node's DEALER socket to one peer, with its queues.

Entries sent to a peer take one path, so they arrive in the order sent:

1. ``pending``, while the link waits for the peer's WELCOME; bounded by
   ``send_queue_size`` entries;
2. ``batch``, the DATA frame being filled during the current reactor turn;
   it is sent when it reaches `BATCH_BYTES` or when the turn ends;
3. ``backlog``, frames that ZeroMQ did not take because the socket is at
   its high-water mark; sent as soon as the socket is writable again;
4. ZeroMQ's own queue and the TCP connection.
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from typing import TYPE_CHECKING, Any

import zmq
from zmq.utils.monitor import recv_monitor_message

from spinoff.remoting import _wire
from spinoff.remoting._inbox import fault
from spinoff.remoting._transport import POLLIN, POLLOUT, SocketReader, events, more

if TYPE_CHECKING:
    from spinoff.actor import Ref
    from spinoff.remoting._hub import Hub
    from spinoff.remoting._peer import Peer

__all__ = ["BATCH_BYTES", "CONNECTING", "UP", "Link"]

CONNECTING = 0
UP = 1
CLOSED = 2

BATCH_BYTES = 64 * 1024
"""Bytes of entries after which a DATA frame is sent without waiting."""

REPLY_LIMIT = 64 * 1024
"""Largest frame a link accepts from its peer; replies are a few bytes."""

_DATA = bytes((_wire.DATA,))
_ZERO_COPY = 64 * 1024

_MONITOR_EVENTS = (
    zmq.EVENT_HANDSHAKE_SUCCEEDED
    | zmq.EVENT_DISCONNECTED
    | zmq.EVENT_CLOSED
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
)
_monitor_numbers = itertools.count(1)

# (ref, message) of a user message, or (None, None) for a control entry, then
# the entry's header and body.
PendingEntry = tuple["Ref | None", Any, bytes, bytes]


class Link:
    """The DEALER socket that carries this node's frames to one peer.

    The hub owns links: it opens one when it first sends to a peer and closes
    it when the peer is dropped.
    """

    def __init__(self, hub: Hub, peer: Peer, endpoint: str) -> None:
        self.hub = hub
        self.peer = peer
        self.link_id = os.urandom(_wire.LINK_ID_SIZE)
        self.state = CONNECTING
        self.opened = hub.reactor.seconds()
        self.reconnecting = False
        self.handshake_error: str | None = None
        self.pending: deque[PendingEntry] = deque()
        self.batch: list[bytes] = []
        self.batch_bytes = 0
        self.batch_count = 0
        self.backlog: deque[tuple[bytes, int]] = deque()
        self.backlog_count = 0
        self.dirty = False

        self.socket, self.monitor = _open_socket(hub, peer, endpoint, self.link_id)
        self._reader = SocketReader(self.socket, self.on_readable)
        self._monitor_reader = SocketReader(self.monitor, self.on_monitor)
        hub.reactor.addReader(self._reader)
        hub.reactor.addReader(self._monitor_reader)
        # The descriptors may have signalled before the reactor watched them,
        # and they do not signal twice; look once by hand.
        hub.reactor.callLater(0, self.on_monitor)
        self.send_hello()

    def __repr__(self) -> str:
        return f"<Link to {self.peer.address} state={self.state}>"

    def send_hello(self) -> None:
        hub = self.hub
        self.send_frame(_wire.hello(hub.incarnation, self.link_id, hub.address), 0)

    # -- queueing ---------------------------------------------------------------

    def enqueue(self, kind: int, body: bytes, ref: Ref | None, message: Any) -> bool:
        """Queue an entry; return False if the send queue is full."""
        header = _wire.ENTRY_HEADER.pack(kind, len(body))
        limit = self.hub.settings.send_queue_size
        if self.state == CONNECTING:
            if len(self.pending) >= limit:
                return False
            self.pending.append((ref, message, header, body))
            return True
        if self.backlog_count >= limit:
            return False
        self._append(header, body)
        return True

    def _append(self, header: bytes, body: bytes) -> None:
        batch = self.batch
        if not batch:
            batch.append(_DATA)
        batch.append(header)
        batch.append(body)
        self.batch_count += 1
        self.batch_bytes += len(body) + len(header)
        if self.batch_bytes >= BATCH_BYTES:
            self.flush()
        elif not self.dirty:
            self.hub.mark_dirty(self)

    def open(self) -> None:
        """Mark the link up after the WELCOME and queue its pending entries."""
        self.state = UP
        pending, self.pending = self.pending, deque()
        for _, _, header, body in pending:
            self._append(header, body)
        self.flush()

    def flush(self) -> None:
        """Send the batch as one DATA frame."""
        batch = self.batch
        if not batch or self.state == CLOSED:
            return
        frame = b"".join(batch)
        count = self.batch_count
        self.batch = []
        self.batch_bytes = 0
        self.batch_count = 0
        self.send_frame(frame, count)

    def send_frame(self, frame: bytes, count: int) -> None:
        """Hand a frame of `count` entries to ZeroMQ, or to the backlog."""
        if self.state == CLOSED:
            return
        if self.backlog:
            self.backlog.append((frame, count))
            self.backlog_count += count
            return
        socket = self.socket
        try:
            socket.send(frame, zmq.NOBLOCK, copy=len(frame) < _ZERO_COPY)
        except zmq.Again:
            self.backlog.append((frame, count))
            self.backlog_count += count
            self.hub.reactor.callLater(0, self.on_readable)
            return
        # The send may have consumed the descriptor's signal of a reply that
        # arrived meanwhile, so read ZMQ_EVENTS again.
        if events(socket) & POLLIN:
            self.hub.reactor.callLater(0, self.on_readable)

    def _send_backlog(self) -> None:
        backlog = self.backlog
        socket = self.socket
        while backlog:
            frame, count = backlog[0]
            try:
                socket.send(frame, zmq.NOBLOCK, copy=len(frame) < _ZERO_COPY)
            except zmq.Again:
                return
            backlog.popleft()
            self.backlog_count -= count

    # -- input ------------------------------------------------------------------

    def on_readable(self) -> None:
        """Read the peer's replies and send the backlog while the socket allows."""
        for _ in range(1000):
            if self.state == CLOSED:
                return
            socket = self.socket
            state = events(socket)
            progressed = False
            if state & POLLIN:
                progressed = True
                self._read()
            if self.state != CLOSED and state & POLLOUT and self.backlog:
                progressed = True
                self._send_backlog()
            if not progressed:
                return

    def _read(self) -> None:
        socket = self.socket
        hub = self.hub
        while self.state != CLOSED and events(socket) & POLLIN:
            frame = socket.recv(zmq.NOBLOCK)
            if more(socket):
                while more(socket):
                    socket.recv(zmq.NOBLOCK)
                fault(self.peer.address, "a reply of more than one frame")
                continue
            hub.link_frame(self, frame)

    def on_monitor(self) -> None:
        """Pass the socket's connection events to the hub."""
        while self.state != CLOSED:
            try:
                event = recv_monitor_message(self.monitor, zmq.NOBLOCK)
            except zmq.Again:
                return
            self.hub.link_event(self, event["event"])

    # -- closing ----------------------------------------------------------------

    def close(self, linger_ms: int = 0) -> list[PendingEntry]:
        """Close the sockets; return the entries that never left `pending`.

        Frames in the batch and the backlog are discarded. With `linger_ms`
        above 0, ZeroMQ keeps trying to send what it already holds for that
        many milliseconds.
        """
        if self.state == CLOSED:
            return []
        self.state = CLOSED
        reactor = self.hub.reactor
        reactor.removeReader(self._reader)
        reactor.removeReader(self._monitor_reader)
        socket = self.socket
        socket.disable_monitor()
        self.monitor.close(linger=0)
        socket.close(linger=linger_ms)
        pending = list(self.pending)
        self.pending.clear()
        self.batch = []
        self.batch_count = 0
        self.backlog.clear()
        self.backlog_count = 0
        return pending

    @property
    def unsent(self) -> int:
        """Entries in the batch and the backlog that ZeroMQ does not hold yet."""
        return self.batch_count + self.backlog_count


def _open_socket(
    hub: Hub, peer: Peer, endpoint: str, link_id: bytes
) -> tuple[zmq.Socket[bytes], zmq.Socket[bytes]]:
    """Create a link's DEALER socket and its monitor, and start connecting.

    Both sockets are closed again if any step fails, because a socket left
    open would make the context's termination wait for ever.
    """
    settings = hub.settings
    socket = hub.context.socket(zmq.DEALER)
    monitor: zmq.Socket[bytes] | None = None
    try:
        socket.setsockopt(zmq.LINGER, 0)
        socket.setsockopt(zmq.SNDHWM, settings.send_hwm)
        socket.setsockopt(zmq.RCVHWM, settings.receive_hwm)
        socket.setsockopt(zmq.MAXMSGSIZE, REPLY_LIMIT)
        socket.setsockopt(zmq.ROUTING_ID, _wire.routing_id(hub.incarnation, link_id))
        if endpoint.startswith("tcp://["):
            socket.setsockopt(zmq.IPV6, 1)
        curve = settings.curve
        if curve is not None:
            socket.setsockopt(zmq.CURVE_PUBLICKEY, curve.public_key)
            socket.setsockopt(zmq.CURVE_SECRETKEY, curve.secret_key)
            socket.setsockopt(
                zmq.CURVE_SERVERKEY, curve.server_key(peer.address, hub.canonical)
            )
        monitor_endpoint = f"inproc://spinoff.link-monitor.{next(_monitor_numbers)}"
        monitor = socket.get_monitor_socket(_MONITOR_EVENTS, monitor_endpoint)
        socket.connect(endpoint)
    except BaseException:
        if monitor is not None:
            monitor.close(linger=0)
        socket.close(linger=0)
        raise
    return socket, monitor
