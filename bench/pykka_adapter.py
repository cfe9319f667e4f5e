"""Pykka participant: ``pykka.ThreadingActor``, one thread per actor.

Usage follows Pykka's documentation: ``tell`` for one-way messages, ``ask``
with ``block=True`` for request-reply, and ``stop(block=False)`` futures to stop
many actors at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pykka

from bench.measure import RunContext, bytes_per_item, rate, settled_rss_bytes

Metrics = dict[str, float]
_TIMEOUT_S = 60.0
_COUNT = "count"


class Counter(pykka.ThreadingActor):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def on_receive(self, message: Any) -> Any:
        if message == _COUNT:
            return self.count
        self.count += 1
        return None


class Echo(pykka.ThreadingActor):
    def on_receive(self, message: Any) -> Any:
        return message


class Idle(pykka.ThreadingActor):
    def on_receive(self, message: Any) -> Any:
        return None


def tell(context: RunContext) -> Metrics:
    n = context.params.n
    counter = Counter.start()
    try:
        with context.timed() as span:
            for i in range(n):
                counter.tell(i)
            count = counter.ask(_COUNT, timeout=_TIMEOUT_S)
    finally:
        counter.stop()
    if count != n:
        raise AssertionError(f"actor counted {count} of {n} messages")
    return {"msgs_per_s": rate(n, span)}


def ask(context: RunContext) -> Metrics:
    n = context.params.n
    echo = Echo.start()
    try:
        echo.ask(-1, timeout=_TIMEOUT_S)
        with context.timed() as span:
            for i in range(n):
                if echo.ask(i, timeout=_TIMEOUT_S) != i:
                    raise AssertionError(f"reply to request {i} did not match")
    finally:
        echo.stop()
    return {"round_trips_per_s": rate(n, span)}


def spawn(context: RunContext) -> Metrics:
    n = context.params.n
    Idle.start().stop()  # load every code path once before measuring RSS
    before = settled_rss_bytes()
    with context.timed() as spawn_span:
        refs = [Idle.start() for _ in range(n)]
    after = settled_rss_bytes()
    with context.timed() as stop_span:
        futures = [ref.stop(block=False) for ref in refs]
        for future in futures:
            future.get(timeout=_TIMEOUT_S)
    alive = sum(1 for ref in refs if ref.is_alive())
    if alive:
        raise AssertionError(f"{alive} actors still alive after stop")
    return {
        "spawn_per_s": rate(n, spawn_span),
        "bytes_per_actor": bytes_per_item(before, after, n),
        "stop_per_s": rate(n, stop_span),
    }


def fan_out(context: RunContext) -> Metrics:
    params = context.params
    refs = [Counter.start() for _ in range(params.actors)]
    try:
        with context.timed() as span:
            for round_number in range(params.per_actor):
                for ref in refs:
                    ref.tell(round_number)
            futures = [ref.ask(_COUNT, block=False) for ref in refs]
            counts = [future.get(timeout=_TIMEOUT_S) for future in futures]
    finally:
        pykka.ActorRegistry.stop_all()
    short = [count for count in counts if count != params.per_actor]
    if short:
        raise AssertionError(
            f"{len(short)} actors counted less than {params.per_actor}"
        )
    return {"msgs_per_s": rate(params.n, span)}


WORKLOADS: dict[str, Callable[[RunContext], Metrics]] = {
    "W1": tell,
    "W2": ask,
    "W3": spawn,
    "W4": fan_out,
}
SERVERS: dict[str, Callable[[RunContext], None]] = {}
