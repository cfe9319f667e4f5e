"""The remoting hub: a node's ZeroMQ sockets and its view of every peer.

Sessions. A peer is another node, identified by the IP address and port it
listens on and by its incarnation, 8 random bytes chosen when its hub starts.
A link (see `_link`) carries this node's frames to the peer and starts with a
HELLO; entries wait until the peer's WELCOME arrives. The peer's own link
carries its frames to this node's ROUTER. Every frame from the peer, on
either path, proves it alive.

Failure detection. Every `heartbeat_interval` the hub first reads every
frame that arrived (so a reactor that was blocked here does not count
against peers), then judges each peer, then PINGs the peers on its links. A
peer is connected once a handshake in either direction has completed, and a
connected peer that has been silent for `heartbeat_timeout` is dropped. A
link still waiting for its handshake after `connect_timeout` drops its peer
too: that bound is long because the peer may not be started yet, and ZeroMQ
keeps dialing it meanwhile. A peer replies to PING, and at most once per
interval also to DATA, with PONG. A link whose connection broke and whose
reconnection was refused drops its peer at once: nothing listens on the
port, so the node is gone. A ZeroMQ handshake that fails with a protocol
error, such as CURVE on one side only, and a BYE also drop the peer at once.
A frame from an unknown link gets a REJECT, which drops the peer on the
other side: that is how a node learns that the peer restarted or declared it
dead. Dropping a peer tells every watcher of its actors, with `NodeDown`.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

import zmq
from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall

from spinoff.actor import Node, NodeDown, Ref
from spinoff.actor._cell import TerminationCallback
from spinoff.remoting import _wire
from spinoff.remoting._address import Resolver, parse_bind_address, zmq_endpoint
from spinoff.remoting._curve import CurveKeys, start_authenticator
from spinoff.remoting._exceptions import MessageTooLarge
from spinoff.remoting._inbox import Inbox, dead_letter, fault
from spinoff.remoting._link import BATCH_BYTES, CONNECTING, UP, Link
from spinoff.remoting._peer import Peer, notify
from spinoff.remoting._serialization import Codec
from spinoff.remoting._settings import (
    CACHE_SIZE,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_HEARTBEAT_INTERVAL,
    DEFAULT_HEARTBEAT_TIMEOUT,
    DEFAULT_HWM,
    DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_SEND_QUEUE_SIZE,
    Settings,
    check_settings,
)
from spinoff.remoting._transport import (
    POLLIN,
    SocketReader,
    bind_router,
    events,
    more,
)

__all__ = ["Hub"]

logger = logging.getLogger("spinoff.remoting")

READ_BUDGET = 0.02
"""Seconds of work after which a read lets the reactor run other events."""

BYE_LINGER_MS = 200
"""Milliseconds ZeroMQ keeps trying to deliver the BYE_ACK to a peer's BYE."""

_PING = bytes((_wire.PING,))
_PONG = bytes((_wire.PONG,))
_BYE = bytes((_wire.BYE,))
_BYE_ACK = bytes((_wire.BYE_ACK,))


class Hub:
    """Carries messages between this node and other nodes over ZeroMQ.

    The hub binds a ROUTER socket at `address` as soon as it is built. Give
    it to a node with ``Node(hub=hub)``; the node then sends to refs of other
    nodes through it and stops it in `Node.stop`.

    Args:
        address: ``host:port`` to listen on; an empty host means localhost
            and port 0 picks a free port (see `address` afterwards). Peers
            dial this address, so a wildcard host such as 0.0.0.0 is refused.
        heartbeat_interval: seconds between heartbeats to each peer.
        heartbeat_timeout: seconds of silence after which a connected peer
            is declared dead: its actors' watchers receive
            ``('terminated', ref)`` and pending asks fail with `NodeDown`.
            Must be more than twice `heartbeat_interval`. Default 1.0.
        connect_timeout: seconds a new link waits for the peer's handshake
            while ZeroMQ keeps dialing it. Until then, messages to the peer
            wait (up to `send_queue_size`) and are delivered in order once it
            answers, so the peer may start up to this long after the sender.
            A peer that does not answer in time is declared dead as above,
            and its queued messages become `RemoteDeadLetter` events. Must
            be > 0. The hub checks it once per `heartbeat_interval`. Default
            30.0.
        send_queue_size: entries held for one peer before ZeroMQ takes
            them: while the handshake runs, and while ZeroMQ's queue is full.
            A message beyond it becomes a `RemoteDeadLetter` event.
        max_message_size: largest serialized message in bytes, checked
            when sending (raising `MessageTooLarge`) and when receiving
            (dropping it with a `RemotingFault` event). Set the same value on
            every node.
        send_hwm: ZeroMQ send high-water mark, in frames per link. A frame
            holds up to 64 KiB of batched messages.
        receive_hwm: ZeroMQ receive high-water mark, in frames per socket.
        allowed_classes: classes whose instances may travel, in addition to
            plain data and refs, and any function that such a class's
            ``__reduce__`` names; both sender and receiver must allow them.
        curve: CURVE keys to authenticate and encrypt every link; None for
            plain TCP.
        reactor: the reactor (`IReactorFDSet` and `IReactorTime`); the
            global one by default.

    Raises:
        InvalidAddress: `address` is not ``host:port``.
        AddressInUse: another socket is bound to the port.
        OSError: binding failed for another reason, such as a host that is
            not an address of this machine.
        ValueError: a setting is out of range.
        TypeError: `allowed_classes` contains something other than classes.
    """

    def __init__(
        self,
        address: str,
        *,
        heartbeat_interval: float = DEFAULT_HEARTBEAT_INTERVAL,
        heartbeat_timeout: float = DEFAULT_HEARTBEAT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        send_queue_size: int = DEFAULT_SEND_QUEUE_SIZE,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        send_hwm: int = DEFAULT_HWM,
        receive_hwm: int = DEFAULT_HWM,
        allowed_classes: Iterable[Callable[..., object]] = (),
        curve: CurveKeys | None = None,
        reactor: Any = None,
    ) -> None:
        host, port = parse_bind_address(address)
        self.settings = Settings(
            heartbeat_interval=heartbeat_interval,
            heartbeat_timeout=heartbeat_timeout,
            connect_timeout=connect_timeout,
            send_queue_size=send_queue_size,
            max_message_size=max_message_size,
            send_hwm=send_hwm,
            receive_hwm=receive_hwm,
            curve=curve,
        )
        check_settings(self.settings)
        self._codec = Codec(allowed_classes)
        if reactor is None:
            from twisted.internet import reactor as global_reactor

            reactor = global_reactor
        self.reactor: Any = reactor
        self.incarnation = os.urandom(_wire.INCARNATION_SIZE)
        self._resolver = Resolver()
        self._max_frame = max_message_size + BATCH_BYTES + 64
        self._inbox = Inbox(
            self._codec, max_message_size, self._max_frame, self._send_control
        )
        self.context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
        self._authenticator: Any = None
        try:
            if curve is not None:
                self._authenticator = start_authenticator(
                    self.context, curve, self._key_denied_in_thread
                )
            # Frames up to twice the limit reach the hub, which reports them;
            # ZeroMQ cuts the connection of a peer that sends anything larger.
            self._router, self._port = bind_router(
                self.context, host, port, self.settings, 2 * self._max_frame
            )
        except BaseException:
            self._close_context()
            raise
        self.address = f"{host}:{self._port}"
        local_ip = self._resolver.host_ip(host)
        self._local_ips = {local_ip} if local_ip is not None else set()
        self._local_cache: dict[str, bool] = {}
        self._node: Node | None = None
        self._peers: dict[str, Peer] = {}
        self._aliases: dict[str, Peer] = {}
        self._by_routing_id: dict[bytes, Peer] = {}
        self._rejected: dict[bytes, float] = {}
        self._dirty: list[Link] = []
        self._flush_call: Any = None
        self._read_call: Any = None
        self._reading = False
        self._stopping: Deferred[None] | None = None
        self._stop_waiting: set[Peer] = set()
        self._stop_timer: Any = None
        self._closed = False
        self._router_reader = SocketReader(self._router, self._on_router_readable)
        reactor.addReader(self._router_reader)
        # The descriptor may have signalled before the reactor watched it.
        self._read_call = reactor.callLater(0, self._read_router)
        self._last_tick = reactor.seconds()
        self._heartbeat = LoopingCall(self._tick)
        self._heartbeat.clock = reactor
        self._heartbeat.start(heartbeat_interval, now=False)
        logger.info(
            "remoting hub listening on %s (incarnation %s)",
            self.address,
            self.incarnation.hex(),
        )

    def __repr__(self) -> str:
        return f"<Hub {self.address}>"

    # -- CURVE ----------------------------------------------------------------------

    def _key_denied_in_thread(self, key: bytes) -> None:
        self.reactor.callFromThread(self._key_denied, key)

    def _key_denied(self, key: bytes) -> None:
        fault(
            f"a client with CURVE public key {key.decode('ascii', 'replace')}",
            "refused the connection: its public key is not authorized",
        )

    # -- the Hub protocol of spinoff.actor ----------------------------------------

    def attach(self, node: Node) -> None:
        """Deliver received messages to `node`; called by ``Node(hub=...)``."""
        if self._node is not None and self._node is not node:
            raise RuntimeError(f"{self!r} already belongs to {self._node!r}")
        self._node = node
        self._codec.node = node
        self._inbox.node = node

    def is_local(self, address: str) -> bool:
        """Return whether ``host:port`` names this node.

        Hosts are compared by IP address, so ``localhost:9700`` names a hub
        bound to ``127.0.0.1:9700``.
        """
        if address == self.address:
            return True
        known = self._local_cache.get(address)
        if known is not None:
            return known
        host, colon, port = address.rpartition(":")
        local = (
            bool(colon)
            and port.isdigit()
            and int(port) == self._port
            and self._resolver.host_ip(host or "localhost") in self._local_ips
        )
        if len(self._local_cache) >= CACHE_SIZE:
            self._local_cache.clear()
        self._local_cache[address] = local
        return local

    def canonical(self, address: str) -> str | None:
        """Return ``ip:port`` for ``host:port``; None if the host does not resolve."""
        return self._resolver.canonical(address)

    def send(self, ref: Ref, message: Any) -> None:
        """Send `message` to the actor of `ref` on another node.

        The message is serialized at once; delivery problems become
        `RemoteDeadLetter` events.

        Raises:
            UnserializableMessage: the message contains an object that may
                not travel (see `allowed_classes`).
            MessageTooLarge: the serialized message exceeds `max_message_size`.
        """
        uri = ref.uri
        body = self._codec.encode(uri.path, message, str(uri))
        if len(body) > self.settings.max_message_size:
            raise MessageTooLarge(str(uri), len(body), self.settings.max_message_size)
        if self._stopping is not None:
            dead_letter(ref, message, "this node's hub is stopped")
            return
        assert uri.node is not None
        peer = self._peer_for(uri.node)
        if peer is None:
            dead_letter(ref, message, f"the host of {uri.node} does not resolve")
            return
        link = peer.link or self._open_link(peer)
        if not link.enqueue(_wire.MESSAGE, body, ref, message):
            dead_letter(
                ref,
                message,
                f"{self.settings.send_queue_size} messages to {peer.address} are "
                "already waiting (send_queue_size)",
            )

    def watch(self, ref: Ref, callback: TerminationCallback) -> None:
        """Call ``callback(ref, reason)`` once when the remote actor or its node dies.

        `reason` is None when the actor stopped or was not there, and a
        `NodeDown` when its node stopped, died, restarted or never replied to
        the handshake.
        A callback equal (``==``) to one already watching the same actor is
        ignored.
        """
        assert ref.uri.node is not None
        if self._stopping is not None:
            callback(ref, NodeDown(ref.uri.node, "this node's hub is stopped"))
            return
        peer = self._peer_for(ref.uri.node)
        if peer is None:
            callback(ref, NodeDown(ref.uri.node, "its host does not resolve"))
            return
        if peer.add_watcher(ref, callback):
            self._send_control(peer, _wire.WATCH, ref.uri.path)

    def unwatch(self, ref: Ref, callback: TerminationCallback) -> None:
        """Withdraw a `watch`; callbacks are matched with ``==``.

        The peer is sent UNWATCH at the next heartbeat if no other watch of
        the same actor is left, so a watch renewed in between costs no traffic.
        """
        assert ref.uri.node is not None
        peer = self._aliases.get(ref.uri.node)
        if peer is not None:
            peer.remove_watcher(ref, callback)

    def stop_actor(self, ref: Ref) -> None:
        """Ask the node of a remote actor to stop it; no answer is expected."""
        assert ref.uri.node is not None
        if self._stopping is not None:
            return
        peer = self._peer_for(ref.uri.node)
        if peer is not None:
            self._send_control(peer, _wire.STOP, ref.uri.path)

    def stop(self) -> Deferred[None]:
        """Tell every peer that this node is going away, then close the sockets.

        Waits at most `heartbeat_timeout` seconds for each connected peer to
        acknowledge the BYE, so that what was sent before arrives. A peer
        silent for longer would be declared dead anyway.
        Messages still waiting for a handshake become `RemoteDeadLetter`
        events, and watches of remote actors fire with `NodeDown`. The
        returned Deferred fires once the port is free again. Calling `stop`
        again returns the same Deferred.
        """
        if self._stopping is not None:
            return self._stopping
        d: Deferred[None] = Deferred()
        self._stopping = d
        if self._heartbeat.running:
            self._heartbeat.stop()
        for peer in list(self._peers.values()):
            link = peer.link
            if link is not None and link.state == UP:
                link.flush()
                link.send_frame(_BYE, 0)
                self._stop_waiting.add(peer)
            for routing_id in peer.inbound:
                self._reply(routing_id, _BYE)
                self._stop_waiting.add(peer)
            notify(peer.take_all_watchers(), "this node's hub stopped")
        logger.info(
            "stopping remoting hub %s; waiting for %d peers to acknowledge",
            self.address,
            len(self._stop_waiting),
        )
        if self._stop_waiting:
            self._stop_timer = self.reactor.callLater(
                self.settings.heartbeat_timeout, self._finish_stop
            )
        else:
            self._finish_stop()
        return d

    # -- peers and links ----------------------------------------------------------

    def _peer_for(self, address: str) -> Peer | None:
        peer = self._aliases.get(address)
        if peer is not None:
            return peer
        canonical = self._resolver.canonical(address)
        if canonical is None:
            return None
        peer = self._peers.get(canonical)
        if peer is None:
            peer = self._add_peer(canonical)
        peer.aliases.add(address)
        self._aliases[address] = peer
        return peer

    def _add_peer(self, canonical: str) -> Peer:
        peer = Peer(canonical, self.reactor.seconds())
        peer.aliases.add(canonical)
        self._peers[canonical] = peer
        self._aliases[canonical] = peer
        return peer

    def _open_link(self, peer: Peer) -> Link:
        host, _, port = peer.address.rpartition(":")
        link = Link(self, peer, zmq_endpoint(host, int(port)))
        peer.link = link
        return link

    def _send_control(self, peer: Peer, kind: int, path: str) -> None:
        if self._closed:
            return
        link = peer.link or self._open_link(peer)
        if not link.enqueue(kind, path.encode(), None, None):
            logger.warning(
                "dropped a %s entry for %s: send_queue_size is reached",
                _ENTRY_NAMES[kind],
                peer.address,
            )

    def mark_dirty(self, link: Link) -> None:
        """Send the link's batch at the end of this reactor turn."""
        link.dirty = True
        self._dirty.append(link)
        if not self._reading and self._flush_call is None:
            self._flush_call = self.reactor.callLater(0, self._flush)

    def _flush(self) -> None:
        call, self._flush_call = self._flush_call, None
        if call is not None and call.active():
            call.cancel()
        dirty, self._dirty = self._dirty, []
        for link in dirty:
            link.dirty = False
            link.flush()

    def _drop(self, peer: Peer, reason: str, linger_ms: int = 0) -> None:
        """Forget `peer` and tell the watchers of its actors."""
        if peer.dropped:
            return
        peer.dropped = True
        if self._peers.get(peer.address) is peer:
            del self._peers[peer.address]
        for alias in peer.aliases:
            if self._aliases.get(alias) is peer:
                del self._aliases[alias]
        for routing_id in peer.inbound:
            if self._by_routing_id.get(routing_id) is peer:
                del self._by_routing_id[routing_id]
        link, peer.link = peer.link, None
        if link is not None:
            unsent = link.unsent
            for ref, message, _, _ in link.close(linger_ms):
                if ref is not None:
                    dead_letter(ref, message, f"{peer.address} is down: {reason}")
            if unsent:
                logger.warning(
                    "%d messages to %s were still queued when it went down",
                    unsent,
                    peer.address,
                )
        logger.info("lost peer %s: %s", peer.address, reason)
        notify(peer.take_all_watchers(), reason)
        self._inbox.forget(peer)
        if self._stopping is not None:
            self._acknowledged(peer)

    # -- heartbeats -----------------------------------------------------------------

    def _tick(self) -> None:
        if self._closed:
            return
        # Drop no peer while input is still waiting, because it may be theirs.
        drained = self._read_router()
        for peer in list(self._peers.values()):
            if peer.link is not None:
                peer.link.on_readable()
        now = self.reactor.seconds()
        self._discount_lag(now)
        for peer in list(self._peers.values()):
            if drained and self._judge(peer, now):
                continue
            link = peer.link
            if link is not None and link.state == UP:
                self._send_unwatches(peer, link)
                link.flush()
                link.send_frame(_PING, 0)

    def _judge(self, peer: Peer, now: float) -> bool:
        """Drop `peer` if it is silent or unreachable too long; return True if so."""
        settings = self.settings
        link = peer.link
        # Only a peer that completed a handshake in either direction has a
        # heartbeat to miss. Before that, its silence is bounded by
        # connect_timeout, because it may not be started yet.
        connected = bool(peer.inbound) or (link is not None and link.state == UP)
        if connected and now - peer.last_seen > settings.heartbeat_timeout:
            reason = f"no heartbeat for {settings.heartbeat_timeout} s"
        elif (
            link is not None
            and link.state == CONNECTING
            and now - link.opened > settings.connect_timeout
        ):
            detail = f" ({link.handshake_error})" if link.handshake_error else ""
            reason = (
                f"no answer to the handshake within {settings.connect_timeout} s"
                f"{detail}"
            )
        elif link is None and not peer.inbound:
            reason = "no link left in either direction"
        else:
            return False
        self._drop(peer, reason)
        return True

    def _discount_lag(self, now: float) -> None:
        """Do not count time this node's reactor was blocked as peers' silence.

        While the reactor is blocked this node sends no PING, so peers send
        no PONG; without this a long block here would drop every peer.
        """
        lag = now - self._last_tick - self.settings.heartbeat_interval
        self._last_tick = now
        if lag <= self.settings.heartbeat_interval:
            return
        for peer in self._peers.values():
            peer.last_seen = min(peer.last_seen + lag, now)
            if peer.link is not None:
                peer.link.opened = min(peer.link.opened + lag, now)

    def _send_unwatches(self, peer: Peer, link: Link) -> None:
        for path in peer.due_unwatches():
            link.enqueue(_wire.UNWATCH, path.encode(), None, None)

    # -- input on the ROUTER socket -----------------------------------------------

    def _on_router_readable(self) -> None:
        self._read_router()

    def _read_router(self) -> bool:
        """Handle every waiting frame; return False if the budget ran out first."""
        if self._closed or self._reading:
            return not self._closed
        call, self._read_call = self._read_call, None
        if call is not None and call.active():
            call.cancel()
        reactor = self.reactor
        now = reactor.seconds()
        deadline = now + READ_BUDGET
        self._reading = True
        drained = False
        try:
            parts = self._receive(first=True)
            while parts is not None:
                self._handle_inbound(parts, now)
                now = reactor.seconds()
                if now > deadline or self._closed:
                    break
                parts = self._receive(first=False)
            else:
                drained = True
        finally:
            self._reading = False
            self._flush()

        if not drained and not self._closed:
            self._read_call = reactor.callLater(0, self._read_router)
        return drained

    def _receive(self, first: bool) -> list[bytes] | None:
        """Return the frames of the next message on the ROUTER, or None.

        A wake-up usually means a message, so the first read just tries.
        Later ones read ZMQ_EVENTS first, which costs less than zmq.Again.
        """
        router = self._router
        if first:
            try:
                parts = [router.recv(zmq.NOBLOCK)]
            except zmq.Again:
                return None
        elif events(router) & POLLIN:
            parts = [router.recv(zmq.NOBLOCK)]
        else:
            return None
        while more(router):
            parts.append(router.recv(zmq.NOBLOCK))
        return parts

    def _handle_inbound(self, parts: list[bytes], now: float) -> None:
        if len(parts) != 2 or not parts[1]:
            fault(
                _describe_link(parts[0]),
                f"a message of {len(parts) - 1} frames, expected one non-empty frame",
            )
            return
        routing_id, frame = parts
        kind = frame[0]
        peer = self._by_routing_id.get(routing_id)
        if kind == _wire.DATA:
            if peer is None:
                self._unknown_link(routing_id, "DATA")
                return
            peer.last_seen = now
            if now - peer.last_pong >= self.settings.heartbeat_interval:
                peer.last_pong = now
                self._reply(routing_id, _PONG)
            self._inbox.receive(peer, frame)
        elif kind == _wire.PING:
            if peer is None:
                self._unknown_link(routing_id, "PING")
                return
            peer.last_seen = now
            peer.last_pong = now
            self._reply(routing_id, _PONG)
        elif kind == _wire.HELLO:
            self._receive_hello(routing_id, frame, now)
        elif kind == _wire.BYE:
            self._reply(routing_id, _BYE_ACK)
            if peer is not None:
                self._drop(peer, "it stopped")
        elif kind == _wire.BYE_ACK:
            if peer is not None and self._stopping is not None:
                self._acknowledged(peer)
        else:
            fault(
                peer.address if peer is not None else _describe_link(routing_id),
                f"a frame of unknown kind {kind}",
            )

    def _reply(self, routing_id: bytes, frame: bytes) -> None:
        # A reply is best effort: the peer's queue may be full or it may be gone.
        with contextlib.suppress(zmq.ZMQError):
            self._router.send_multipart([routing_id, frame], zmq.NOBLOCK)

    def _unknown_link(self, routing_id: bytes, what: str) -> None:
        """Reply REJECT to a frame from a link without a session, rate-limited."""
        now = self.reactor.seconds()
        last = self._rejected.get(routing_id)
        if last is not None and now - last < self.settings.heartbeat_interval:
            return
        if len(self._rejected) >= CACHE_SIZE:
            self._rejected.clear()
        self._rejected[routing_id] = now
        self._reply(
            routing_id,
            _wire.reject(
                "this node has no session with the link; it restarted or "
                "declared the sender dead"
            ),
        )
        fault(_describe_link(routing_id), f"a {what} frame before any HELLO")

    def _receive_hello(self, routing_id: bytes, frame: bytes, now: float) -> None:
        accepted = self._check_hello(routing_id, frame)
        if accepted is None:
            return
        hello, canonical = accepted
        peer = self._peers.get(canonical)
        if peer is not None and routing_id not in peer.inbound:
            if peer.incarnation is not None and peer.incarnation != hello.incarnation:
                self._drop(peer, "it restarted")
                peer = None
            elif peer.inbound:
                # The same incarnation opened another link: it dropped this
                # node, together with the watches this node had there.
                self._drop(peer, "it dropped this node and linked again")
                peer = None
        if peer is None:
            peer = self._add_peer(canonical)
            logger.info("peer %s linked to this node", canonical)
        peer.incarnation = hello.incarnation
        peer.inbound.add(routing_id)
        peer.last_seen = now
        self._by_routing_id[routing_id] = peer
        self._reply(routing_id, _wire.welcome(self.incarnation, self.address))

    def _check_hello(
        self, routing_id: bytes, frame: bytes
    ) -> tuple[_wire.Hello, str] | None:
        """Parse a HELLO; return it and the sender's ``ip:port``, or reject it."""
        try:
            hello = _wire.parse_hello(frame)
        except _wire.FrameError as exc:
            fault(_describe_link(routing_id), f"a malformed HELLO: {exc}")
            return None
        if hello.version != _wire.VERSION:
            reason = (
                f"protocol version {hello.version} is not supported; "
                f"this node speaks {_wire.VERSION}"
            )
            self._reply(routing_id, _wire.reject(reason))
            fault(hello.address, reason)
            return None
        if hello.incarnation == self.incarnation:
            self._reply(routing_id, _wire.reject("a node cannot link to itself"))
            logger.warning(
                "a link of this node reached itself through %s; messages to that "
                "address are dropped",
                hello.address,
            )
            return None
        canonical = self._resolver.canonical(hello.address)
        if canonical is None:
            self._reply(routing_id, _wire.reject("the address in HELLO is invalid"))
            fault(_describe_link(routing_id), f"a HELLO from {hello.address!r}")
            return None
        if self._stopping is not None:
            self._reply(routing_id, _BYE)
            return None
        return hello, canonical

    # -- replies on links -----------------------------------------------------------

    def link_frame(self, link: Link, frame: bytes) -> None:
        """Handle a frame that a peer sent back over this node's link."""
        peer = link.peer
        if not frame or peer.dropped:
            return
        kind = frame[0]
        now = self.reactor.seconds()
        if kind == _wire.PONG:
            peer.last_seen = now
        elif kind == _wire.WELCOME:
            self._welcomed(link, frame, now)
        elif kind == _wire.REJECT:
            self._drop(
                peer, f"it rejected this node's link: {_wire.parse_reject(frame)}"
            )
        elif kind == _wire.BYE:
            link.send_frame(_BYE_ACK, 0)
            self._drop(peer, "it stopped", BYE_LINGER_MS)
        elif kind == _wire.BYE_ACK:
            if self._stopping is not None:
                self._acknowledged(peer)
        else:
            fault(peer.address, f"a reply of unknown kind {kind}")

    def _welcomed(self, link: Link, frame: bytes, now: float) -> None:
        peer = link.peer
        try:
            welcome = _wire.parse_welcome(frame)
        except _wire.FrameError as exc:
            fault(peer.address, f"a malformed WELCOME: {exc}")
            return
        if welcome.version != _wire.VERSION:
            self._drop(peer, f"it speaks protocol version {welcome.version}")
            return
        if peer.incarnation is not None and peer.incarnation != welcome.incarnation:
            self._drop(peer, "it restarted")
            return
        peer.incarnation = welcome.incarnation
        peer.last_seen = now
        if link.state == CONNECTING:
            logger.info("connected to peer %s", peer.address)
            link.open()

    def link_event(self, link: Link, event: int) -> None:
        """Handle a connection event of a link's socket monitor."""
        if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            if link.reconnecting and link.state == CONNECTING:
                link.send_hello()  # the first HELLO may have died with the connection
            link.reconnecting = False
        elif event == zmq.EVENT_DISCONNECTED:
            link.reconnecting = True
        elif event == zmq.EVENT_CLOSED:
            if link.reconnecting and link.state == UP:
                self._drop(
                    link.peer,
                    "its connection broke and its port refused a new one",
                )
        elif event == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            self._drop(link.peer, "it refused this node's CURVE key")
        elif event == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL:
            # A protocol error, such as CURVE on one side only, repeats on
            # every reconnection, so waiting for connect_timeout gains nothing.
            self._drop(link.peer, f"its {_HANDSHAKE_FAILED}")
        elif event == zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL:
            # A connection lost during the handshake also ends up here, so
            # the link keeps dialing until connect_timeout.
            if link.handshake_error is None:
                logger.warning(
                    "ZeroMQ handshake with %s failed; the link keeps dialing for "
                    "up to connect_timeout (%s s). Check that both nodes use "
                    "CURVE with matching keys, or neither",
                    link.peer.address,
                    self.settings.connect_timeout,
                )
            link.handshake_error = f"the {_HANDSHAKE_FAILED}"

    # -- stopping -------------------------------------------------------------------

    def _acknowledged(self, peer: Peer) -> None:
        waiting = self._stop_waiting
        if peer in waiting:
            waiting.discard(peer)
            if not waiting:
                self._finish_stop()

    def _finish_stop(self) -> None:
        if self._closed:
            return
        self._closed = True
        timer, self._stop_timer = self._stop_timer, None
        if timer is not None and timer.active():
            timer.cancel()
        for call in (self._flush_call, self._read_call):
            if call is not None and call.active():
                call.cancel()
        for peer in list(self._peers.values()):
            link, peer.link = peer.link, None
            if link is not None:
                for ref, message, _, _ in link.close():
                    if ref is not None:
                        dead_letter(ref, message, "this node's hub stopped first")
        self._peers.clear()
        self._aliases.clear()
        self._by_routing_id.clear()
        self.reactor.removeReader(self._router_reader)
        self._router.close(linger=0)
        self._close_context()
        logger.info("remoting hub %s stopped", self.address)
        stopping = self._stopping
        assert stopping is not None
        stopping.callback(None)

    def _close_context(self) -> None:
        if self._authenticator is not None:
            self._authenticator.stop()
            self._authenticator = None
        # destroy() closes any socket still open, so termination cannot hang.
        self.context.destroy(linger=0)


_HANDSHAKE_FAILED = (
    "ZeroMQ handshake failed; check that both nodes use CURVE with matching "
    "keys, or neither"
)

_ENTRY_NAMES = {
    _wire.MESSAGE: "MESSAGE",
    _wire.WATCH: "WATCH",
    _wire.UNWATCH: "UNWATCH",
    _wire.TERMINATED: "TERMINATED",
    _wire.STOP: "STOP",
}


def _describe_link(routing_id: bytes) -> str:
    """Name a link that has no session, by its routing id."""
    return f"an unknown link {routing_id[:24].hex()}"
