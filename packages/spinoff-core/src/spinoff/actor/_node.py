"""Nodes: a guardian, a dispatcher, a clock and optionally a remoting hub."""

from __future__ import annotations

import heapq
import itertools
from typing import Any, Protocol

from twisted.internet.defer import Deferred

from spinoff.actor import supervision
from spinoff.actor._actor import Actor
from spinoff.actor._cell import RUNNING, STOPPED, Cell, Dispatcher, TerminationCallback
from spinoff.actor._context import ReactorTime, current_cell
from spinoff.actor._ref import Ref, Uri
from spinoff.actor.events import DeadLetter, Events, RemoteDeadLetter
from spinoff.actor.exceptions import ActorTerminated, InvalidAddress, Timeout

__all__ = ["Hub", "Node", "current_node", "lookup", "spawn"]

TEMP = "$temp"


class Hub(Protocol):
    """The interface a node calls on its remoting transport (``spinoff.remoting``)."""

    address: str
    """This node's canonical ``host:port``."""

    def attach(self, node: Node) -> None:
        """Called once by the node that owns the hub."""

    def is_local(self, address: str) -> bool:
        """Return whether ``host:port`` names this node."""

    def send(self, ref: Ref, message: Any) -> None:
        """Send to an actor on another node; never raises for delivery problems."""

    def watch(self, ref: Ref, callback: TerminationCallback) -> None:
        """Call ``callback(ref, reason)`` once when the actor or its node dies."""

    def unwatch(self, ref: Ref, callback: TerminationCallback) -> None:
        """Withdraw a `watch`; callbacks are matched with ``==``."""

    def stop_actor(self, ref: Ref) -> None:
        """Ask the node of a remote actor to stop it."""

    def stop(self) -> Deferred[None]:
        """Tell peers this node is going away and close the sockets."""


class _Guardian(Actor):
    """Supervisor of a node's top-level actors."""

    __slots__ = ()

    def receive(self, message: Any) -> None:
        from spinoff.actor.exceptions import Unhandled

        raise Unhandled(message)

    def supervise(self, exc: BaseException) -> supervision.Decision:
        return self._cell.node.supervision


class _Promise:
    """The receiving end of an `ask`: a one-shot mailbox under ``/$temp``."""

    __slots__ = ("d", "name", "node", "ref", "state", "target", "timeout", "watch")

    def __init__(self, node: Node, name: str, timeout: float) -> None:
        self.node = node
        self.name = name
        self.timeout = timeout
        self.state = RUNNING
        self.d: Deferred[Any] = Deferred(self._cancel)
        self.ref = Ref(node, None, self)  # type: ignore[arg-type]
        self.target: Ref | None = None
        self.watch: TerminationCallback | None = None

    def _cancel(self, d: Deferred[Any]) -> None:
        self.close()

    def time_out(self) -> None:
        self.fail(Timeout(self.timeout))

    @property
    def path(self) -> str:
        return f"/{TEMP}/{self.name}"

    def deliver(self, message: Any) -> None:
        if self.state != RUNNING:
            Events.publish(DeadLetter(self.ref, message))
            return
        self.close()
        self.d.callback(message)

    def fail(self, exc: BaseException) -> None:
        if self.state == RUNNING:
            self.close()
            self.d.errback(exc)

    def stop(self) -> None:
        self.fail(ActorTerminated(self.ref))

    def close(self) -> None:
        if self.state == STOPPED:
            return
        self.state = STOPPED
        node = self.node
        node.temps.pop(self.name, None)
        node.deadlines.discard()
        if self.watch is not None:
            assert self.target is not None
            node.forget_termination(self.target, self.watch)


class _Deadlines:
    """The timeouts of a node's pending asks, served by one timer.

    A timer per ask would cost a `callLater` and a `cancel` on every round
    trip. Here an ask costs a heap push, and entries of finished asks are
    dropped when they make up more than half of the heap. The timer is left
    to fire even when no ask is pending, because sequential asks would
    otherwise cancel and schedule it once each.
    """

    __slots__ = ("at", "call", "clock", "heap", "live")

    def __init__(self, clock: ReactorTime) -> None:
        self.clock = clock
        self.heap: list[tuple[float, int, _Promise]] = []
        self.live = 0
        self.call: Any = None
        self.at = 0.0

    def add(self, promise: _Promise, number: int) -> None:
        deadline = self.clock.seconds() + promise.timeout
        heapq.heappush(self.heap, (deadline, number, promise))
        self.live += 1
        if self.call is None or deadline < self.at:
            self._schedule(deadline)

    def discard(self) -> None:
        """Account for one ask that finished, however it finished."""
        self.live -= 1
        heap = self.heap
        if self.live == 0:
            heap.clear()
        elif len(heap) > 64 and len(heap) > 2 * self.live:
            self.heap = [entry for entry in heap if entry[2].state == RUNNING]
            heapq.heapify(self.heap)

    def cancel(self) -> None:
        """Cancel the timer; the node is stopping."""
        if self.call is not None:
            self.call.cancel()
            self.call = None

    def _schedule(self, deadline: float) -> None:
        if self.call is not None:
            self.call.cancel()
        self.at = deadline
        self.call = self.clock.callLater(
            max(0.0, deadline - self.clock.seconds()), self._expire
        )

    def _expire(self) -> None:
        self.call = None
        now = self.clock.seconds()
        while self.heap and self.heap[0][0] <= now:
            promise = heapq.heappop(self.heap)[2]
            if promise.state == RUNNING:
                promise.time_out()
        if self.heap and self.call is None:
            self._schedule(self.heap[0][0])


class Node:
    """An actor system: top-level actors under one guardian.

    Args:
        hub: a remoting hub (``spinoff.remoting.Hub``) that gives the node an
            address and carries messages to other nodes; None for a local
            node, whose remote refs turn every message into a dead letter.
        clock: the `IReactorTime` for every timer of the node's actors; the
            global reactor by default, a `twisted.internet.task.Clock` in tests.
        supervision: the guardian's decision for a failed top-level actor:
            `Stop` (default), `Restart` or `Resume`. An escalation from a
            top-level actor gets the same decision, so the node never crashes.

    Several nodes can live in one process; each has its own guardian.
    """

    def __init__(
        self,
        hub: Hub | None = None,
        clock: ReactorTime | None = None,
        supervision: supervision.Decision = supervision.Stop,
    ) -> None:
        if clock is None:
            from twisted.internet import reactor

            clock = reactor
        assert clock is not None
        self.clock: ReactorTime = clock
        self.supervision = supervision
        self.hub = hub
        self.address: str | None = hub.address if hub is not None else None
        self.dispatcher = Dispatcher(self)
        self.temps: dict[str, _Promise] = {}
        self.deadlines = _Deadlines(clock)
        self._temp_names = itertools.count(1)
        self.guardian = Cell(self, None, "", _Guardian, None)
        self.guardian.send_system("start")
        self._stopped: Deferred[None] | None = None
        if hub is not None:
            hub.attach(self)

    def __repr__(self) -> str:
        return f"<Node {self.address or 'local'}>"

    # -- spawning and lookup -----------------------------------------------------

    def spawn(self, factory: Any, name: str | None = None) -> Ref:
        """Start a top-level actor supervised by the guardian; see `Actor.spawn`."""
        if self._stopped is not None:
            raise RuntimeError(f"{self!r} is stopped; start a new node to spawn actors")
        return self.guardian.spawn(factory, name)

    def lookup(self, address: str | Uri) -> Ref:
        """Return a ref for ``[host:port]/path``.

        A ref to a local actor that does not exist (yet) resolves its path on
        every send and turns messages into dead letters while nothing lives
        there. Raises `InvalidAddress` for a malformed address.
        """
        uri = address if isinstance(address, Uri) else Uri.parse(address)
        if not self.is_local_address(uri.node):
            return Ref(self, uri)
        cell = self._resolve(uri.path)
        if cell is not None:
            ref: Ref = cell.ref
            return ref
        return Ref(self, uri.with_node(self.address))

    def is_local_address(self, address: str | None) -> bool:
        if address is None or address == self.address:
            return True
        return self.hub is not None and self.hub.is_local(address)

    def _resolve(self, path: str) -> Any:
        uri_steps = [] if path == "/" else path[1:].split("/")
        if uri_steps and uri_steps[0] == TEMP:
            return self.temps.get(uri_steps[1]) if len(uri_steps) == 2 else None
        cell: Cell | None = self.guardian
        for step in uri_steps:
            assert cell is not None
            children = cell.children
            cell = children.get(step) if children else None
            if cell is None:
                return None
        return cell

    def child_ref(self, ref: Ref, name: str) -> Ref:
        if not isinstance(name, str) or not name.strip("/"):
            raise InvalidAddress(name, "a descendant name must be a non-empty string")
        return self.lookup(ref.uri.child(name))

    # -- routing ------------------------------------------------------------------

    def route(self, ref: Ref, message: Any) -> None:
        """Deliver a message addressed by path (a remote or not yet resolved ref)."""
        uri = ref.uri
        if self.is_local_address(uri.node):
            cell = self._resolve(uri.path)
            if cell is None:
                Events.publish(DeadLetter(ref, message))
            else:
                cell.deliver(message)
        elif self.hub is None:
            Events.publish(
                RemoteDeadLetter(ref, message, "this node has no remoting hub")
            )
        else:
            self.hub.send(ref, message)

    def stop_remote(self, ref: Ref) -> None:
        if self.is_local_address(ref.uri.node):
            cell = self._resolve(ref.uri.path)
            if cell is not None:
                cell.stop()
            return
        if self.hub is None:
            Events.publish(
                RemoteDeadLetter(ref, "stop", "this node has no remoting hub")
            )
        else:
            self.hub.stop_actor(ref)

    # -- watching -----------------------------------------------------------------

    def watch(self, ref: Ref, watcher: Ref) -> None:
        """Deliver ``('terminated', ref)`` to `watcher` once `ref` stops."""
        cell = ref._cell if ref._cell is not None else self._local_cell(ref)
        if isinstance(cell, Cell):
            cell.add_watcher(watcher)
        elif self.is_local_address(ref.uri.node) or self.hub is None:
            watcher << ("terminated", ref)
        else:
            self.hub.watch(ref, _RemoteWatch(watcher))

    def unwatch(self, ref: Ref, watcher: Ref) -> None:
        cell = ref._cell if ref._cell is not None else self._local_cell(ref)
        if isinstance(cell, Cell):
            cell.remove_watcher(watcher)
        elif self.hub is not None and not self.is_local_address(ref.uri.node):
            self.hub.unwatch(ref, _RemoteWatch(watcher))

    def on_termination(self, ref: Ref, callback: TerminationCallback) -> None:
        """Call ``callback(ref, reason)`` once when `ref` stops or is found dead."""
        cell = ref._cell if ref._cell is not None else self._local_cell(ref)
        if isinstance(cell, Cell):
            cell.add_callback(callback)
        elif self.is_local_address(ref.uri.node) or self.hub is None:
            callback(ref, None)
        else:
            self.hub.watch(ref, callback)

    def forget_termination(self, ref: Ref, callback: TerminationCallback) -> None:
        cell = ref._cell if ref._cell is not None else self._local_cell(ref)
        if isinstance(cell, Cell):
            cell.remove_callback(callback)
        elif self.hub is not None and not self.is_local_address(ref.uri.node):
            self.hub.unwatch(ref, callback)

    def _local_cell(self, ref: Ref) -> Any:
        if self.is_local_address(ref.uri.node):
            return self._resolve(ref.uri.path)
        return None

    # -- request-reply ------------------------------------------------------------

    def ask(self, ref: Ref, message: Any, timeout: float) -> Deferred[Any]:
        """See `Ref.ask`."""
        number = next(self._temp_names)
        name = str(number)
        promise = _Promise(self, name, timeout)
        self.temps[name] = promise
        self.deadlines.add(promise, number)
        request = message(promise.ref) if callable(message) else (message, promise.ref)
        d = promise.d
        ref << request
        if d.called:
            return d

        def terminated(_ref: Ref, reason: BaseException | None) -> None:
            promise.fail(
                reason if reason is not None else ActorTerminated(ref, message)
            )

        promise.target = ref
        promise.watch = terminated
        self.on_termination(ref, terminated)
        return d

    # -- stopping -----------------------------------------------------------------

    def stop(self) -> Deferred[None]:
        """Stop every actor (children first), then the hub; fires when done."""
        if self._stopped is not None:
            return self._stopped
        d: Deferred[None] = Deferred()
        self._stopped = d
        guardian = self.guardian

        def stop_hub() -> None:
            self.deadlines.cancel()
            if self.hub is None:
                d.callback(None)
            else:
                self.hub.stop().chainDeferred(d)

        guardian._stop_children(stop_hub)
        return d


class _RemoteWatch:
    """A hub callback that turns a remote termination into a message."""

    __slots__ = ("watcher",)

    def __init__(self, watcher: Ref) -> None:
        self.watcher = watcher

    def __call__(self, ref: Ref, reason: BaseException | None) -> None:
        self.watcher << ("terminated", ref)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _RemoteWatch) and other.watcher == self.watcher

    def __hash__(self) -> int:
        return hash(self.watcher)


_default_node: Node | None = None


def current_node() -> Node:
    """Return the node of the running actor, else the process-wide default node."""
    cell = current_cell.get()
    if cell is not None:
        return cell.node
    return default_node()


def default_node() -> Node:
    """Return the process-wide default node, creating a local one on first use."""
    global _default_node
    if _default_node is None or _default_node._stopped is not None:
        _default_node = Node()
    return _default_node


def set_default_node(node: Node | None) -> None:
    """Make `node` the default of `spawn` and `lookup` outside actor code."""
    global _default_node
    _default_node = node


def spawn(factory: Any, name: str | None = None) -> Ref:
    """Spawn on the current node: see `Node.spawn` and `Actor.spawn`."""
    cell = current_cell.get()
    if cell is not None:
        return cell.spawn(factory, name)
    return default_node().spawn(factory, name)


def lookup(address: str | Uri) -> Ref:
    """Look up an address on the current node: see `Node.lookup`."""
    return current_node().lookup(address)
