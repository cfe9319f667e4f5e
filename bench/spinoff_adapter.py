"""spinoff participant: local nodes for W1-W4, two nodes with remoting for W5-W7.

Each workload runs as a coroutine inside the Twisted reactor, which the worker
starts once per process. A send from outside any actor is processed before
``<<`` returns, and an ask returns a Deferred that may already have fired, so
the coroutines await only what has not happened yet.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from twisted.internet import defer
from twisted.python.failure import Failure

from bench.measure import RunContext, bytes_per_item, rate, settled_rss_bytes
from spinoff.actor import Actor, Node

Metrics = dict[str, float]
T = TypeVar("T")
_TIMEOUT_S = 60.0
_COUNT = "count"


def _reactor() -> Any:
    """Return the global reactor, installing the default one on first use."""
    from twisted.internet import reactor

    return reactor


def run_in_reactor(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``main`` in the global reactor, stop the reactor and return the result."""
    reactor = _reactor()
    outcome: list[T | Failure] = []

    def finish(result: T | Failure) -> None:
        outcome.append(result)
        reactor.stop()

    def start() -> None:
        defer.ensureDeferred(main()).addBoth(finish)

    reactor.callWhenRunning(start)
    reactor.run(installSignalHandlers=False)
    if not outcome:
        raise RuntimeError("the reactor stopped before the workload finished")
    result = outcome[0]
    if isinstance(result, Failure):
        result.raiseException()
    return result


async def settle(result: Any) -> Any:
    """Await ``result`` if it is a Deferred, otherwise return it unchanged."""
    if isinstance(result, defer.Deferred):
        return await result
    return result


class Counter(Actor):
    """Actor that counts int messages and replies to ``("count", reply_ref)``."""

    def pre_start(self) -> None:
        self.count = 0

    def receive(self, message: Any) -> None:
        if type(message) is int:
            self.count += 1
            return
        request, reply_to = message
        if request == _COUNT:
            reply_to << self.count


class Echo(Actor):
    """Actor that replies to ``(value, reply_ref)`` with ``value``."""

    def receive(self, message: Any) -> None:
        value, reply_to = message
        reply_to << value


class Idle(Actor):
    def receive(self, message: Any) -> None:
        pass


async def _ask(ref: Any, message: Any) -> Any:
    return await settle(ref.ask(message, timeout=_TIMEOUT_S))


async def _stop_node(node: Any) -> None:
    await settle(node.stop())


def tell(context: RunContext) -> Metrics:
    n = context.params.n

    async def main() -> Metrics:
        node = Node()
        counter = node.spawn(Counter, name="counter")
        await _ask(counter, _COUNT)
        with context.timed() as span:
            for i in range(n):
                counter << i
            count = await _ask(counter, _COUNT)
        await _stop_node(node)
        if count != n:
            raise AssertionError(f"actor counted {count} of {n} messages")
        return {"msgs_per_s": rate(n, span)}

    return run_in_reactor(main)


def ask(context: RunContext) -> Metrics:
    n = context.params.n

    async def main() -> Metrics:
        node = Node()
        echo = node.spawn(Echo, name="echo")
        await _ask(echo, -1)
        with context.timed() as span:
            for i in range(n):
                if await _ask(echo, i) != i:
                    raise AssertionError(f"reply to request {i} did not match")
        await _stop_node(node)
        return {"round_trips_per_s": rate(n, span)}

    return run_in_reactor(main)


def spawn(context: RunContext) -> Metrics:
    n = context.params.n

    async def main() -> Metrics:
        node = Node()
        warm_up = node.spawn(Idle)
        warm_up.stop()
        await warm_up.join()
        before = settled_rss_bytes()
        with context.timed() as spawn_span:
            refs = [node.spawn(Idle) for _ in range(n)]
        after = settled_rss_bytes()
        with context.timed() as stop_span:
            for ref in refs:
                ref.stop()
            pending = [ref.join() for ref in refs]
            await defer.gatherResults(
                [d for d in pending if isinstance(d, defer.Deferred)]
            )
        await _stop_node(node)
        return {
            "spawn_per_s": rate(n, spawn_span),
            "bytes_per_actor": bytes_per_item(before, after, n),
            "stop_per_s": rate(n, stop_span),
        }

    return run_in_reactor(main)


def fan_out(context: RunContext) -> Metrics:
    params = context.params

    async def main() -> Metrics:
        node = Node()
        counters = [node.spawn(Counter) for _ in range(params.actors)]
        with context.timed() as span:
            for round_number in range(params.per_actor):
                for counter in counters:
                    counter << round_number
            counts = [await _ask(counter, _COUNT) for counter in counters]
        await _stop_node(node)
        short = [count for count in counts if count != params.per_actor]
        if short:
            raise AssertionError(
                f"{len(short)} actors counted less than {params.per_actor}"
            )
        return {"msgs_per_s": rate(params.n, span)}

    return run_in_reactor(main)


# Remote workloads: node B runs in a partner process, node A in the worker.
# Both hubs use spinoff.remoting's default settings.


def _remote_node() -> Node:
    """Return a node whose hub listens on a free port of 127.0.0.1."""
    from spinoff.remoting import Hub

    return Node(hub=Hub("127.0.0.1:0"))


def _with_partner(
    workload: str, actor: str, client: Callable[[Any], Coroutine[Any, Any, Metrics]]
) -> Metrics:
    """Start node B serving ``actor``, run ``client`` on node A with a ref to it.

    Node B stops when its actor receives ``("stop", None)``. If it has not
    exited 10 s after the client finished, it is killed.
    """
    from bench.remote import Partner

    partner = Partner("spinoff", workload, ["--option", f"actor={actor}"])
    try:
        address = partner.wait_ready()

        async def main() -> Metrics:
            node = _remote_node()
            metrics = await client(node.lookup(address))
            await _stop_node(node)
            return metrics

        return run_in_reactor(main)
    finally:
        partner.stop()


def remote_ping_pong(context: RunContext) -> Metrics:
    n = context.params.n

    async def client(echo: Any) -> Metrics:
        await _ask(echo, -1)
        with context.timed() as span:
            for i in range(n):
                if await _ask(echo, i) != i:
                    raise AssertionError(f"reply to request {i} did not match")
        echo << ("stop", None)
        return {"round_trips_per_s": rate(n, span)}

    return _with_partner("W5", "echo", client)


def remote_tell(context: RunContext) -> Metrics:
    n = context.params.n

    async def client(counter: Any) -> Metrics:
        await _ask(counter, _COUNT)
        with context.timed() as span:
            for i in range(n):
                counter << i
            count = await _ask(counter, _COUNT)
        counter << ("stop", None)
        if count != n:
            raise AssertionError(f"process B counted {count} of {n} messages")
        return {"msgs_per_s": rate(n, span)}

    return _with_partner("W6", "counter", client)


class _Watcher(Actor):
    """Actor that watches one ref and fires ``notified`` at its termination notice.

    ``notified`` gets the ``time.monotonic()`` reading of the notice.
    """

    def pre_start(self, target: Any, notified: defer.Deferred[float]) -> None:
        self.notified = notified
        self.watch(target)

    def receive(self, message: Any) -> None:
        is_termination = isinstance(message, tuple) and message[0] == "terminated"
        if is_termination and not self.notified.called:
            self.notified.callback(time.monotonic())


def failure_detection(context: RunContext) -> Metrics:
    from bench.remote import Partner

    partner = Partner("spinoff", "W7", ["--option", "actor=target"])
    try:
        address = partner.wait_ready()

        async def main() -> Metrics:
            node = _remote_node()
            target = node.lookup(address)
            await _ask(target, _COUNT)  # the link to node B is up
            notified: defer.Deferred[float] = defer.Deferred()
            node.spawn(_Watcher.using(target, notified), name="watcher")
            await _sleep(0.2)  # NOTE: assumes the watch is in place within 0.2 s
            killed_at = time.monotonic()
            partner.kill()
            notified_at = await notified
            await _stop_node(node)
            return {"detect_s": notified_at - killed_at}

        return run_in_reactor(main)
    finally:
        if partner.process.poll() is None:
            partner.kill()


async def _sleep(seconds: float) -> None:
    from twisted.internet import task

    await task.deferLater(_reactor(), seconds)


class _Served(Actor):
    """Actor of process B that counts ints, echoes requests and stops its node.

    ``("stop", None)`` fires ``stopped``, and the node stops after that.
    """

    def pre_start(self, stopped: defer.Deferred[None]) -> None:
        self.count = 0
        self.stopped = stopped

    def receive(self, message: Any) -> None:
        if type(message) is int:
            self.count += 1
            return
        request, reply_to = message
        if request == "stop":
            if not self.stopped.called:
                self.stopped.callback(None)
        elif request == _COUNT:
            reply_to << self.count
        else:
            reply_to << request


def serve(context: RunContext) -> None:
    """Run node B with one actor, named by ``--option actor=NAME``, until stopped."""
    from bench.remote import announce_ready

    name = context.options.get("actor", "served")

    async def main() -> None:
        node = _remote_node()
        stopped: defer.Deferred[None] = defer.Deferred()
        node.spawn(_Served.using(stopped), name=name)
        announce_ready(f"{node.address}/{name}")
        await stopped
        await _stop_node(node)

    run_in_reactor(main)


WORKLOADS: dict[str, Callable[[RunContext], Metrics]] = {
    "W1": tell,
    "W2": ask,
    "W3": spawn,
    "W4": fan_out,
    "W5": remote_ping_pong,
    "W6": remote_tell,
    "W7": failure_detection,
}
SERVERS: dict[str, Callable[[RunContext], None]] = {
    "W5": serve,
    "W6": serve,
    "W7": serve,
}
