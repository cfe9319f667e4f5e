"""Thespian participant.

In-process workloads use ``simpleSystemBase``, where every actor runs in the
caller's thread and ``tell`` delivers before it returns. Remote workloads use
``multiprocTCPBase``: each actor is its own OS process, and the worker process
talks to it over TCP through the ``ActorSystem`` API.

Network settings: ``THESPIAN_BASE_IPADDR=127.0.0.1`` makes Thespian advertise
loopback addresses instead of probing for a public one, and the admin listens
on a free port picked on 127.0.0.1. Thespian 4.0 binds its listening sockets
to all interfaces, so the runner starts workers in a network namespace that
has only loopback.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from thespian.actors import (
    Actor,
    ActorExitRequest,
    ActorSystem,
)

from bench.measure import RunContext, bytes_per_item, rate, settled_rss_bytes
from bench.procs import become_subreaper, descendant_pids, kill_pids
from bench.remote import LOOPBACK, free_port

Metrics = dict[str, float]
_TIMEOUT_S = 60.0
_COUNT = "count"
_SHUTDOWN_GRACE_S = 5.0


class Counter(Actor):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def receiveMessage(self, message: Any, sender: Any) -> None:
        if isinstance(message, int):
            self.count += 1
        elif message == _COUNT:
            self.send(sender, self.count)


class Echo(Actor):  # type: ignore[misc]
    def receiveMessage(self, message: Any, sender: Any) -> None:
        if isinstance(message, int):
            self.send(sender, message)


class Idle(Actor):  # type: ignore[misc]
    def receiveMessage(self, message: Any, sender: Any) -> None:
        pass


@contextmanager
def actor_system(base: str) -> Iterator[Any]:
    """Start a Thespian actor system on 127.0.0.1, then shut it down completely.

    Shutdown is ``ActorSystem.shutdown()``. Any admin, logger or actor process
    still alive ``_SHUTDOWN_GRACE_S`` seconds later is killed by pid. The
    worker adopts orphans first, because the admin process daemonizes into a
    session of its own and would otherwise escape the descendant scan.
    """
    os.environ["THESPIAN_BASE_IPADDR"] = LOOPBACK
    capabilities: dict[str, Any] = {}
    if base != "simpleSystemBase":
        become_subreaper()
        capabilities["Admin Port"] = free_port()
    system = ActorSystem(base, capabilities)
    try:
        yield system
    finally:
        system.shutdown()
        if base != "simpleSystemBase":
            _stop_helpers()


def _stop_helpers() -> None:
    deadline = time.monotonic() + _SHUTDOWN_GRACE_S
    remaining = descendant_pids(os.getpid())
    while remaining and time.monotonic() < deadline:
        time.sleep(0.1)
        remaining = descendant_pids(os.getpid())
    killed = kill_pids(remaining)
    if killed:
        print(f"killed Thespian processes left after shutdown: {killed}")


def _ask(system: Any, address: Any, message: Any) -> Any:
    reply = system.ask(address, message, _TIMEOUT_S)
    if reply is None:
        raise TimeoutError(f"no reply to {message!r} within {_TIMEOUT_S} s")
    return reply


def _tell_and_count(context: RunContext, base: str) -> Metrics:
    n = context.params.n
    with actor_system(base) as system:
        counter = system.createActor(Counter)
        _ask(system, counter, _COUNT)
        with context.timed() as span:
            for i in range(n):
                system.tell(counter, i)
            count = _ask(system, counter, _COUNT)
    if count != n:
        raise AssertionError(f"actor counted {count} of {n} messages")
    return {"msgs_per_s": rate(n, span)}


def _ping_pong(context: RunContext, base: str) -> Metrics:
    n = context.params.n
    with actor_system(base) as system:
        echo = system.createActor(Echo)
        _ask(system, echo, -1)
        with context.timed() as span:
            for i in range(n):
                if _ask(system, echo, i) != i:
                    raise AssertionError(f"reply to request {i} did not match")
    return {"round_trips_per_s": rate(n, span)}


def tell(context: RunContext) -> Metrics:
    return _tell_and_count(context, "simpleSystemBase")


def ask(context: RunContext) -> Metrics:
    return _ping_pong(context, "simpleSystemBase")


def spawn(context: RunContext) -> Metrics:
    n = context.params.n
    with actor_system("simpleSystemBase") as system:
        system.tell(system.createActor(Idle), ActorExitRequest())  # warm-up
        before = settled_rss_bytes()
        with context.timed() as spawn_span:
            addresses = [system.createActor(Idle) for _ in range(n)]
        after = settled_rss_bytes()
        # simpleSystemBase delivers each tell before it returns, so every actor
        # has processed its exit request when the loop ends.
        with context.timed() as stop_span:
            for address in addresses:
                system.tell(address, ActorExitRequest())
    return {
        "spawn_per_s": rate(n, spawn_span),
        "bytes_per_actor": bytes_per_item(before, after, n),
        "stop_per_s": rate(n, stop_span),
    }


def fan_out(context: RunContext) -> Metrics:
    params = context.params
    with actor_system("simpleSystemBase") as system:
        counters = [system.createActor(Counter) for _ in range(params.actors)]
        with context.timed() as span:
            for round_number in range(params.per_actor):
                for counter in counters:
                    system.tell(counter, round_number)
            counts = [_ask(system, counter, _COUNT) for counter in counters]
    short = [count for count in counts if count != params.per_actor]
    if short:
        raise AssertionError(
            f"{len(short)} actors counted less than {params.per_actor}"
        )
    return {"msgs_per_s": rate(params.n, span)}


def remote_ping_pong(context: RunContext) -> Metrics:
    return _ping_pong(context, "multiprocTCPBase")


def remote_tell(context: RunContext) -> Metrics:
    return _tell_and_count(context, "multiprocTCPBase")


WORKLOADS: dict[str, Callable[[RunContext], Metrics]] = {
    "W1": tell,
    "W2": ask,
    "W3": spawn,
    "W4": fan_out,
    "W5": remote_ping_pong,
    "W6": remote_tell,
}
SERVERS: dict[str, Callable[[RunContext], None]] = {}
