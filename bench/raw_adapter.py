"""Raw limits: what plain Python and plain pyzmq do with no framework at all.

In-process workloads use a ``collections.deque`` as mailbox and dispatch each
item to a bound method, one message at a time. That is the least work any
actor framework in CPython has to do per message, so no framework should beat
these numbers. The remote workloads use a pyzmq DEALER socket in process A and
a ROUTER socket in process B, both on 127.0.0.1.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from bench.measure import (
    RunContext,
    bytes_per_item,
    rate,
    settled_rss_bytes,
)
from bench.remote import LOOPBACK, Partner, announce_ready

if TYPE_CHECKING:
    import zmq

Metrics = dict[str, float]


class RawActor:
    """A mailbox and a handler: the smallest thing that behaves like an actor."""

    __slots__ = ("count", "mailbox")

    def __init__(self) -> None:
        self.mailbox: deque[object] = deque()
        self.count = 0

    def receive(self, message: object) -> None:
        self.count += 1

    def deliver(self, message: object) -> None:
        """Enqueue ``message`` and process the mailbox, as a synchronous send does."""
        self.mailbox.append(message)
        self.receive(self.mailbox.popleft())


def tell(context: RunContext) -> Metrics:
    n = context.params.n
    actor = RawActor()
    append = actor.mailbox.append
    popleft = actor.mailbox.popleft
    receive = actor.receive
    with context.timed() as span:
        for i in range(n):
            append(i)
            receive(popleft())
    if actor.count != n:
        raise AssertionError(f"actor counted {actor.count} of {n} messages")
    return {"msgs_per_s": rate(n, span)}


class _Echo:
    __slots__ = ("mailbox", "replies")

    def __init__(self, replies: deque[object]) -> None:
        self.mailbox: deque[object] = deque()
        self.replies = replies

    def receive(self, message: object) -> None:
        self.replies.append(message)


def ask(context: RunContext) -> Metrics:
    """Send a request through one deque and take the reply from a second one."""
    n = context.params.n
    replies: deque[object] = deque()
    echo = _Echo(replies)
    append = echo.mailbox.append
    popleft = echo.mailbox.popleft
    receive = echo.receive
    take_reply = replies.popleft
    with context.timed() as span:
        for i in range(n):
            append(i)
            receive(popleft())
            if take_reply() != i:
                raise AssertionError(f"reply to request {i} did not match")
    return {"round_trips_per_s": rate(n, span)}


def spawn(context: RunContext) -> Metrics:
    """Create and register N mailbox objects, then unregister them."""
    n = context.params.n
    registry: dict[int, RawActor] = {}
    RawActor()  # warm up the allocator for this class
    before = settled_rss_bytes()
    with context.timed() as spawn_span:
        for i in range(n):
            registry[i] = RawActor()
    after = settled_rss_bytes()
    with context.timed() as stop_span:
        for i in range(n):
            registry.pop(i).mailbox.clear()
    if registry:
        raise AssertionError(f"{len(registry)} actors were not stopped")
    return {
        "spawn_per_s": rate(n, spawn_span),
        "bytes_per_actor": bytes_per_item(before, after, n),
        "stop_per_s": rate(n, stop_span),
    }


def fan_out(context: RunContext) -> Metrics:
    params = context.params
    actors = [RawActor() for _ in range(params.actors)]
    deliveries: list[Callable[[object], None]] = [actor.deliver for actor in actors]
    with context.timed() as span:
        for round_number in range(params.per_actor):
            for deliver in deliveries:
                deliver(round_number)
    for actor in actors:
        if actor.count != params.per_actor:
            raise AssertionError(f"actor counted {actor.count} of {params.per_actor}")
    return {"msgs_per_s": rate(params.n, span)}


# Remote limits with pyzmq. Process A owns a DEALER socket, process B a ROUTER.
# zmq is imported inside the functions so that the in-process limits run
# without pyzmq installed.

_STOP = b"stop"
_DONE = b"done"


def _run_remote(
    context: RunContext, workload: str, client: Callable[[zmq.Socket[bytes]], Metrics]
) -> Metrics:
    """Start process B, connect a DEALER socket to it and run ``client`` on it."""
    import zmq

    params_json = json.dumps(context.params.to_json())
    partner = Partner("raw", workload, ["--params", params_json])
    try:
        endpoint = partner.wait_ready()
        zmq_context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
        dealer = zmq_context.socket(zmq.DEALER)
        dealer.setsockopt(zmq.LINGER, 1000)
        dealer.connect(endpoint)
        try:
            metrics = client(dealer)
            dealer.send(_STOP)
        finally:
            dealer.close()
            zmq_context.term()
        if partner.stop() != 0:
            raise RuntimeError("the pyzmq partner process did not exit cleanly")
        return metrics
    finally:
        if partner.process.poll() is None:
            partner.kill()


def remote_ping_pong(context: RunContext) -> Metrics:
    n = context.params.n

    def client(socket: zmq.Socket[bytes]) -> Metrics:
        socket.send(b"warm-up")
        socket.recv()
        with context.timed() as span:
            for i in range(n):
                payload = i.to_bytes(4, "little")
                socket.send(payload)
                if socket.recv() != payload:
                    raise AssertionError(f"reply to round trip {i} did not match")
        return {"round_trips_per_s": rate(n, span)}

    return _run_remote(context, "W5", client)


def remote_tell(context: RunContext) -> Metrics:
    n = context.params.n
    expected = _DONE + b" %d" % n

    def client(socket: zmq.Socket[bytes]) -> Metrics:
        socket.send(b"warm-up")
        socket.recv()
        with context.timed() as span:
            for i in range(n):
                socket.send(i.to_bytes(4, "little"))
            done = socket.recv()
        if done != expected:
            raise AssertionError(f"process B reported {done!r}, expected {expected!r}")
        return {"msgs_per_s": rate(n, span)}

    return _run_remote(context, "W6", client)


def _serve(count_only: bool, context: RunContext) -> None:
    """Serve process B: echo every frame, or count frames and report at N."""
    import zmq

    n = context.params.n
    zmq_context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    router = zmq_context.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 1000)
    port = router.bind_to_random_port(f"tcp://{LOOPBACK}")
    announce_ready(f"tcp://{LOOPBACK}:{port}")
    received = 0
    try:
        identity, body = router.recv_multipart()
        router.send_multipart([identity, body])  # warm-up round trip
        while True:
            identity, body = router.recv_multipart()
            if body == _STOP:
                break
            if not count_only:
                router.send_multipart([identity, body])
                continue
            received += 1
            if received == n:
                router.send_multipart([identity, _DONE + b" %d" % received])
    finally:
        router.close()
        zmq_context.term()


def serve_ping_pong(context: RunContext) -> None:
    _serve(count_only=False, context=context)


def serve_tell(context: RunContext) -> None:
    _serve(count_only=True, context=context)


WORKLOADS: dict[str, Callable[[RunContext], Metrics]] = {
    "W1": tell,
    "W2": ask,
    "W3": spawn,
    "W4": fan_out,
    "W5": remote_ping_pong,
    "W6": remote_tell,
}
SERVERS: dict[str, Callable[[RunContext], None]] = {
    "W5": serve_ping_pong,
    "W6": serve_tell,
}
