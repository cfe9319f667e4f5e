"""Deterministic helpers for testing actors.

Sends from outside actor code are processed before ``<<`` returns, so a test
needs no event loop: it sends, then checks. Timers run on a
`twisted.internet.task.Clock` that the test advances.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.python.failure import Failure

from spinoff.actor._actor import Actor
from spinoff.actor._node import Node
from spinoff.actor.events import Event, Events

__all__ = ["Probe", "capture_events", "failure_of", "local_node", "result_of"]

T = TypeVar("T")


class _Pending:
    pass


def result_of(d: Deferred[T]) -> T:
    """Return the result of a Deferred that has already fired successfully.

    Raises `AssertionError` if it has not fired, and re-raises its failure.
    """
    outcome: list[Any] = []
    d.addBoth(outcome.append)
    if not outcome:
        raise AssertionError(f"{d!r} has not fired yet")
    result = outcome[0]
    d.addBoth(lambda _: result)  # keep the result for later callbacks
    if isinstance(result, Failure):
        result.raiseException()
    return result  # type: ignore[no-any-return]


def failure_of(d: Deferred[Any]) -> Failure:
    """Return the `Failure` of a Deferred that has already failed.

    Raises `AssertionError` if it has not fired or succeeded. The failure is
    consumed, so it is not logged as unhandled.
    """
    outcome: list[Any] = []
    d.addBoth(outcome.append)
    if not outcome:
        raise AssertionError(f"{d!r} has not fired yet")
    if not isinstance(outcome[0], Failure):
        raise AssertionError(f"{d!r} succeeded with {outcome[0]!r}")
    return outcome[0]


@contextmanager
def capture_events(event_type: type[Event] = Event) -> Iterator[list[Any]]:
    """Collect events of `event_type` published while the block runs."""
    captured: list[Any] = []
    Events.subscribe(event_type, captured.append)
    try:
        yield captured
    finally:
        Events.unsubscribe(event_type, captured.append)


@contextmanager
def local_node(**kwargs: Any) -> Iterator[tuple[Node, Clock]]:
    """Yield a node on a fresh `Clock`, stopping it afterwards."""
    clock = Clock()
    node = Node(clock=clock, **kwargs)
    try:
        yield node, clock
    finally:
        node.stop()


class Probe(Actor):
    """An actor that appends every message it receives to a list.

    ``spawn(Probe.using(seen))`` records into the caller's list `seen`.
    """

    def pre_start(self, into: list[Any] | None = None) -> None:
        self.messages: list[Any] = into if into is not None else []

    def receive(self, message: Any) -> None:
        self.messages.append(message)
