"""Received DATA frames: decoding their entries and applying them to the node."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spinoff.actor import Node, Ref, Uri
from spinoff.actor._cell import STOPPED
from spinoff.actor._node import TEMP
from spinoff.actor.events import (
    Events,
    MessageRejected,
    RemoteDeadLetter,
    RemotingFault,
)
from spinoff.actor.exceptions import InvalidAddress
from spinoff.remoting import _wire
from spinoff.remoting._peer import Peer, PeerWatch, notify
from spinoff.remoting._serialization import Codec, Decoder, Rejected
from spinoff.remoting._settings import CACHE_SIZE

__all__ = ["Inbox", "dead_letter", "fault"]

_TEMP_PREFIX = f"/{TEMP}/"

SendControl = Callable[[Peer, int, str], None]


def fault(peer: str, reason: str) -> None:
    """Publish a `RemotingFault`: input from `peer` was dropped."""
    Events.publish(RemotingFault(peer, reason))


def dead_letter(ref: Ref | str, message: Any, reason: str) -> None:
    """Publish a `RemoteDeadLetter`."""
    Events.publish(RemoteDeadLetter(ref, message, reason))


class Inbox:
    """Applies the entries of DATA frames from peers to the local node.

    Args:
        codec: decodes the messages.
        max_message_size: the largest entry accepted, in bytes.
        max_frame: the largest DATA frame accepted, in bytes.
        send_control: sends a control entry (WATCH, TERMINATED, ...) to a peer.
    """

    def __init__(
        self,
        codec: Codec,
        max_message_size: int,
        max_frame: int,
        send_control: SendControl,
    ) -> None:
        self.node: Node | None = None
        self._codec = codec
        self._max_message_size = max_message_size
        self._max_frame = max_frame
        self._send_control = send_control
        self._local_refs: dict[str, Ref] = {}

    def receive(self, peer: Peer, frame: bytes) -> None:
        """Apply every valid entry of a DATA frame, in order; report the others.

        All entries are decoded before any is applied, so actor code run by a
        delivery never runs while the frame is half decoded.
        """
        if self.node is None:
            fault(peer.address, "a DATA frame before the hub was given to a node")
            return
        if len(frame) > self._max_frame:
            fault(
                peer.address,
                f"a frame of {len(frame)} bytes, above the limit of "
                f"{self._max_frame} bytes that max_message_size implies",
            )
            return
        for kind, path, message in self._decode(peer, frame):
            if kind == _wire.MESSAGE:
                self._deliver(peer, path, message)
            elif kind == _wire.WATCH:
                self._watch_for_peer(peer, path)
            elif kind == _wire.UNWATCH:
                self._unwatch_for_peer(peer, path)
            elif kind == _wire.TERMINATED:
                notify(peer.take_watchers(path), None)
            elif kind == _wire.STOP:
                self._stop_for_peer(peer, path)

    def _decode(self, peer: Peer, frame: bytes) -> list[tuple[int, str, Any]]:
        received: list[tuple[int, str, Any]] = []
        decoder: Decoder | None = None
        try:
            for kind, start, end in _wire.entries(frame, self._max_message_size):
                if kind != _wire.MESSAGE:
                    try:
                        received.append((kind, frame[start:end].decode(), None))
                    except UnicodeDecodeError:
                        fault(peer.address, "an actor path that is not UTF-8")
                    continue
                if decoder is None:
                    decoder = self._codec.decoder(frame)
                try:
                    path, message = decoder.load(start, end)
                except Rejected as exc:
                    Events.publish(
                        MessageRejected(
                            peer.address,
                            f"a message containing {exc.type_name}, which is not "
                            "in allowed_classes",
                            exc.type_name,
                        )
                    )
                    continue
                except Exception as exc:
                    fault(peer.address, f"a malformed message: {exc!r}")
                    continue
                received.append((kind, path, message))
        except _wire.FrameError as exc:
            fault(peer.address, f"a malformed DATA frame: {exc}")
        finally:
            if decoder is not None:
                decoder.close()
        return received

    def local_ref(self, path: str) -> Ref:
        """Return the ref of a path on this node; raises `InvalidAddress`.

        Refs of live actors are cached by path. A cached ref whose actor has
        stopped is looked up again, because a new actor may have taken the
        name. A restarted actor keeps its cell and its ref.
        """
        cached = self._local_refs.get(path)
        if cached is not None:
            cell = cached._cell
            if cell is not None and cell.state != STOPPED:
                return cached
        node = self.node
        assert node is not None
        if not path.startswith("/"):
            raise InvalidAddress(path, "a received actor path must start with '/'")
        ref = node.lookup(Uri.parse(path))
        # Replies to asks go to a new temporary path each time; skip those.
        if ref._cell is not None and not path.startswith(_TEMP_PREFIX):
            if len(self._local_refs) >= CACHE_SIZE:
                self._local_refs.clear()
            self._local_refs[path] = ref
        return ref

    def _deliver(self, peer: Peer, path: str, message: Any) -> None:
        try:
            ref = self.local_ref(path)
        except InvalidAddress as exc:
            dead_letter(path, message, f"sent by {peer.address} to {exc}")
            return
        if ref._cell is None:
            dead_letter(
                ref, message, f"no actor at {path} on this node; sent by {peer.address}"
            )
        ref << message

    def _watch_for_peer(self, peer: Peer, path: str) -> None:
        if path in peer.watched:
            return
        try:
            local = self.local_ref(path)
        except InvalidAddress:
            self._send_control(peer, _wire.TERMINATED, path)
            return
        callback = PeerWatch(peer, path, self._report_termination)
        peer.watched[path] = (local, callback)
        assert self.node is not None
        self.node.on_termination(local, callback)

    def _unwatch_for_peer(self, peer: Peer, path: str) -> None:
        entry = peer.watched.pop(path, None)
        if entry is not None and self.node is not None:
            self.node.forget_termination(*entry)

    def _report_termination(self, peer: Peer, path: str, callback: PeerWatch) -> None:
        entry = peer.watched.get(path)
        if entry is None or entry[1] is not callback:
            return
        del peer.watched[path]
        if not peer.dropped:
            self._send_control(peer, _wire.TERMINATED, path)

    def _stop_for_peer(self, peer: Peer, path: str) -> None:
        if path == "/":
            fault(peer.address, "a request to stop the node's guardian")
            return
        try:
            ref = self.local_ref(path)
        except InvalidAddress:
            return
        if ref._cell is not None:
            ref.stop()

    def forget(self, peer: Peer) -> None:
        """Withdraw every watch that `peer` had on actors of this node."""
        watched, peer.watched = peer.watched, {}
        if self.node is not None:
            for local, callback in watched.values():
                self.node.forget_termination(local, callback)
