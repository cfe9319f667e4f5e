"""A hub's state about one other node, and the watches that cross to it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from spinoff.actor import NodeDown, Ref
from spinoff.actor._cell import TerminationCallback

if TYPE_CHECKING:
    from spinoff.remoting._link import Link

__all__ = ["Peer", "PeerWatch", "notify"]

logger = logging.getLogger("spinoff.remoting")

Watch = tuple[Ref, TerminationCallback]


class Peer:
    """This node's state about one other node.

    Args:
        address: the peer's ``ip:port``.
        now: the reactor time when the peer became known.
    """

    def __init__(self, address: str, now: float) -> None:
        self.address = address
        self.aliases: set[str] = set()
        self.incarnation: bytes | None = None
        self.link: Link | None = None
        self.inbound: set[bytes] = set()
        self.last_seen = now
        self.last_pong = 0.0
        self.dropped = False
        # Watches by actors of this node on actors of the peer, by path, and
        # the paths the peer has been asked to watch.
        self.watchers: dict[str, list[Watch]] = {}
        self.watching: set[str] = set()
        self.unwatch_later: set[str] = set()
        # Watches by the peer on actors of this node.
        self.watched: dict[str, tuple[Ref, PeerWatch]] = {}

    def __repr__(self) -> str:
        return f"<Peer {self.address}>"

    def add_watcher(self, ref: Ref, callback: TerminationCallback) -> bool:
        """Register a watch of `ref`; return whether the peer must be sent WATCH.

        A callback equal to one already watching `ref` is ignored.
        """
        path = ref.uri.path
        watchers = self.watchers.setdefault(path, [])
        if any(existing == callback for _, existing in watchers):
            return False
        watchers.append((ref, callback))
        self.unwatch_later.discard(path)
        if path in self.watching:
            return False
        self.watching.add(path)
        return True

    def remove_watcher(self, ref: Ref, callback: TerminationCallback) -> None:
        """Withdraw a watch; the peer is sent UNWATCH later by `due_unwatches`."""
        path = ref.uri.path
        watchers = self.watchers.get(path)
        if not watchers:
            return
        for index, (_, existing) in enumerate(watchers):
            if existing == callback:
                del watchers[index]
                break
        if not watchers:
            del self.watchers[path]
            self.unwatch_later.add(path)

    def due_unwatches(self) -> list[str]:
        """Return the paths the peer should stop watching, and forget them.

        A watch withdrawn and renewed between two calls costs no traffic.
        """
        due = [
            path
            for path in self.unwatch_later
            if path in self.watching and path not in self.watchers
        ]
        self.watching.difference_update(due)
        self.unwatch_later.clear()
        return due

    def take_watchers(self, path: str) -> list[Watch]:
        """Remove and return the watches of the actor at `path`."""
        self.watching.discard(path)
        return self.watchers.pop(path, [])

    def take_all_watchers(self) -> list[Watch]:
        """Remove and return every watch of the peer's actors."""
        watchers, self.watchers = self.watchers, {}
        self.watching.clear()
        return [watch for entries in watchers.values() for watch in entries]


class PeerWatch:
    """The termination callback that reports a local actor's end to a peer."""

    __slots__ = ("path", "peer", "report")

    def __init__(
        self, peer: Peer, path: str, report: Callable[[Peer, str, PeerWatch], None]
    ) -> None:
        self.peer = peer
        self.path = path
        self.report = report

    def __call__(self, ref: Ref, reason: BaseException | None) -> None:
        self.report(self.peer, self.path, self)


def notify(watches: Iterable[Watch], reason: str | None) -> None:
    """Call each watch's callback once: with None, or with `NodeDown(reason)`."""
    for ref, callback in watches:
        node = ref.uri.node
        assert node is not None
        try:
            callback(ref, None if reason is None else NodeDown(node, reason))
        except Exception:
            logger.exception("a termination callback of %r failed", ref)
