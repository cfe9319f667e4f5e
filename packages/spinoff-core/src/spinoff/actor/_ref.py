"""Actor addresses (`Uri`) and references (`Ref`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred

from spinoff.actor.exceptions import InvalidAddress

if TYPE_CHECKING:
    from spinoff.actor._cell import Cell
    from spinoff.actor._node import Node

__all__ = ["Ref", "Uri"]

_PORT = re.compile(r"[0-9]{1,5}")


def parse_node_address(text: str) -> str:
    """Validate ``host:port`` and return it with an empty host read as localhost.

    Raises `InvalidAddress` naming the problem.
    """
    host, colon, port = text.rpartition(":")
    if not colon:
        raise InvalidAddress(text, "the node address has no port")
    if not _PORT.fullmatch(port):
        raise InvalidAddress(text, f"the port {port!r} is not a number")
    if not 0 < int(port) < 65536:
        raise InvalidAddress(text, f"the port {port} is out of range 1-65535")
    if "/" in host:
        raise InvalidAddress(text, f"the host {host!r} contains '/'")
    return f"{host or 'localhost'}:{int(port)}"


class Uri:
    """The address of an actor: an optional node address and a path.

    ``Uri.parse('localhost:9700/app/worker')`` has node ``'localhost:9700'`` and
    path ``'/app/worker'``; ``Uri.parse('/app/worker')`` has no node and means
    the local node. Uris are immutable and compare by value.
    """

    __slots__ = ("node", "path")

    node: str | None
    path: str

    def __init__(self, node: str | None, path: str) -> None:
        object.__setattr__(self, "node", node)
        object.__setattr__(self, "path", path)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Uri is immutable")

    @classmethod
    def parse(cls, address: str) -> Uri:
        """Parse ``[host:port]/path``; raises `InvalidAddress` on anything else."""
        if not isinstance(address, str):
            raise InvalidAddress(
                address, f"expected a string, got {type(address).__name__}"
            )
        slash = address.find("/")
        if slash == -1:
            raise InvalidAddress(address, "the actor path is missing")
        try:
            node = parse_node_address(address[:slash]) if slash else None
        except InvalidAddress as error:
            raise InvalidAddress(address, error.reason) from None
        path = address[slash:]
        if path != "/":
            path = path.rstrip("/")
            if "" in path.split("/")[1:]:
                raise InvalidAddress(address, "the path has an empty segment")
        return cls(node, path)

    @property
    def name(self) -> str:
        """The last segment of the path; empty for the root."""
        return self.path.rsplit("/", 1)[1]

    @property
    def steps(self) -> list[str]:
        """The path segments, outermost first."""
        return [] if self.path == "/" else self.path[1:].split("/")

    def child(self, name: str) -> Uri:
        """Return the address of the descendant `name`, which may contain ``/``."""
        base = "" if self.path == "/" else self.path
        return Uri(self.node, f"{base}/{name.strip('/')}")

    def with_node(self, node: str | None) -> Uri:
        return Uri(node, self.path)

    def __str__(self) -> str:
        return f"{self.node}{self.path}" if self.node else self.path

    def __repr__(self) -> str:
        return f"Uri({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Uri)
            and self.path == other.path
            and self.node == other.node
        )

    def __hash__(self) -> int:
        return hash((self.node, self.path))


class Ref:
    """A reference to an actor, local or on another node.

    Refs are created by the runtime (`spawn`, `lookup`, `self.ref`) and never by
    users. They compare and hash by address, and pickle to their address: a
    ref unpickled on another node sends back over the network, and a ref that
    comes back home becomes local again.
    """

    __slots__ = ("__weakref__", "_cell", "_node", "_uri")

    def __init__(
        self, node: Node, uri: Uri | None = None, cell: Cell | None = None
    ) -> None:
        self._node = node
        self._uri = uri
        self._cell = cell

    @property
    def uri(self) -> Uri:
        """The full address, including the node address when the node has one."""
        uri = self._uri
        if uri is None:
            assert self._cell is not None
            uri = self._uri = Uri(self._node.address, self._cell.path)
        return uri

    @property
    def node(self) -> Node:
        """The local node through which this ref sends."""
        return self._node

    @property
    def is_local(self) -> bool:
        """Whether the actor lives on this ref's own node."""
        return self._cell is not None or self._node.is_local_address(self.uri.node)

    def __lshift__(self, message: Any) -> Ref:
        cell = self._cell
        if cell is not None:
            cell.deliver(message)
        else:
            self._node.route(self, message)
        return self

    def send(self, message: Any) -> None:
        """Send `message` without waiting. Never raises for a dead actor.

        A message to a stopped or unknown actor becomes a `DeadLetter` event.
        For an actor on another node, the hub raises at once when the message
        cannot travel (``spinoff.remoting.UnserializableMessage`` or
        ``MessageTooLarge``); delivery problems become events.
        """
        self << message

    tell = send

    def stop(self) -> None:
        """Ask the actor to stop; its children stop first, then `post_stop` runs.

        Messages still in its mailbox become dead letters. Use `join` to wait.
        """
        cell = self._cell
        if cell is not None:
            cell.stop()
        else:
            self._node.stop_remote(self)

    def join(self) -> Deferred[None]:
        """Return a Deferred that fires with None once the actor has stopped.

        It fires at once for an actor that is already dead. For a remote actor
        it also fires when its node is found dead.
        """
        d: Deferred[None] = Deferred()
        self._node.on_termination(self, lambda _ref, _reason: d.callback(None))
        return d

    def ask(self, message: Any, timeout: float = 5.0) -> Deferred[Any]:
        """Send a request and return a Deferred of the reply.

        The actor receives ``(message, reply_ref)`` and replies with
        ``reply_ref << reply``; if `message` is callable it is called with
        the reply ref instead and its result is sent. The Deferred fails with
        `Timeout` after `timeout` seconds, with `ActorTerminated` as soon as
        the actor is found dead or stops before answering, and with `NodeDown`
        when the actor's node is found dead.
        """
        return self._node.ask(self, message, timeout)

    def __truediv__(self, name: str) -> Ref:
        """Return a ref to the descendant `name` (which may contain ``/``)."""
        return self._node.child_ref(self, name)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return isinstance(other, Ref) and self.uri == other.uri

    def __hash__(self) -> int:
        return hash(self.uri)

    def __repr__(self) -> str:
        return f"<ref {self.uri}>"

    def __reduce__(self) -> tuple[Callable[[str], Ref], tuple[str]]:
        return (_restore_ref, (str(self.uri),))


def _restore_ref(address: str) -> Ref:
    from spinoff.actor._node import current_node

    return current_node().lookup(address)
