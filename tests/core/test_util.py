"""Events, pattern matching, logging helpers and timing helpers."""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any

import pytest
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock

from spinoff.actor import Actor, Node
from spinoff.actor.events import DeadLetter, Event, Events, UnhandledMessage
from spinoff.actor.testing import failure_of, result_of
from spinoff.util.async_ import Timeout, after, call_when_idle, sleep, with_timeout
from spinoff.util.logging import dbg
from spinoff.util.pattern_matching import AND, ANY, IN, IS_INSTANCE, NOT, OR, match


def test_events_subscribe_and_unsubscribe(node: Node) -> None:
    seen: list[Event] = []
    Events.subscribe(DeadLetter, seen.append)
    ref = node.lookup("/nobody")

    ref << 1
    Events.unsubscribe(DeadLetter, seen.append)
    ref << 2

    assert [event.message for event in seen] == [1]  # type: ignore[attr-defined]


def test_events_subscriber_of_base_class_sees_subclasses(node: Node) -> None:
    seen: list[Event] = []
    Events.subscribe(Event, seen.append)

    node.lookup("/nobody") << "x"
    Events.unsubscribe(Event, seen.append)

    assert [type(event) for event in seen] == [DeadLetter]


def test_events_unsubscribe_unknown_raises() -> None:
    with pytest.raises(ValueError, match=r"is not subscribed to DeadLetter$"):
        Events.unsubscribe(DeadLetter, print)


def test_events_failing_subscriber_does_not_reach_publisher(node: Node) -> None:
    def broken(event: Event) -> None:
        raise RuntimeError("subscriber bug")

    Events.subscribe(DeadLetter, broken)
    try:
        node.lookup("/nobody") << "x"
    finally:
        Events.unsubscribe(DeadLetter, broken)


def test_events_consume_one(node: Node) -> None:
    next_unhandled = Events.consume_one(UnhandledMessage)

    node.spawn(Actor) << "nobody handles this"

    assert result_of(next_unhandled).message == "nobody handles this"


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        (("ack", ANY), ("ack", 5), True),
        (("ack", ANY), ("nak", 5), False),
        (("ack", ANY), ("ack", 5, 6), False),
        (IS_INSTANCE(int), 3, True),
        (IS_INSTANCE(int), "3", False),
        (IN([1, 2]), 2, True),
        (IN([1, 2]), 3, False),
        (OR("a", "b"), "b", True),
        (OR("a", "b"), "c", False),
        (AND(IS_INSTANCE(int), NOT(0)), 5, True),
        (AND(IS_INSTANCE(int), NOT(0)), 0, False),
        ((IS_INSTANCE(str), [ANY, 2]), ("x", [1, 2]), True),
    ],
)
def test_pattern_matching(pattern: Any, value: Any, expected: bool) -> None:
    assert match(pattern, value) is expected
    assert (pattern == value) is expected


def test_matchers_work_on_the_right_of_comparison() -> None:
    message: Any = ("ack", 5)

    assert message == ("ack", ANY)
    assert message != ("ack", NOT(5))


def test_dbg_prefixes_running_actor(
    node: Node, caplog: pytest.LogCaptureFixture
) -> None:
    class Chatty(Actor):
        def receive(self, message: Any) -> None:
            dbg("got", message)

    caplog.set_level(logging.DEBUG)
    node.spawn(Chatty, name="chatty") << "hi"
    dbg("outside")

    lines = [
        record.getMessage() for record in caplog.records if record.name == __name__
    ]
    assert lines == ["[/chatty] got hi", "outside"]


def test_sleep_fires_after_delay(clock: Clock) -> None:
    d = sleep(2, clock=clock)
    clock.advance(1.9)
    assert not d.called

    clock.advance(0.1)

    assert d.called


def test_sleep_uses_node_clock_inside_actor(node: Node, clock: Clock) -> None:
    log: list[str] = []

    class Sleeper(Actor):
        async def receive(self, message: Any) -> None:
            await sleep(3)
            log.append("woke")

    node.spawn(Sleeper) << "go"
    clock.advance(3)

    assert log == ["woke"]


def test_with_timeout_fails_and_cancels(clock: Clock) -> None:
    cancelled: list[bool] = []
    inner: Deferred[None] = Deferred(lambda _: cancelled.append(True))

    outer = with_timeout(1.0, inner, clock=clock)
    clock.advance(1.0)

    failure = failure_of(outer)
    assert isinstance(failure.value, Timeout)
    assert cancelled == [True]
    assert str(failure.value) == "timed out after 1.0 s"


def test_with_timeout_passes_result(clock: Clock) -> None:
    inner: Deferred[str] = Deferred()

    outer = with_timeout(1.0, inner, clock=clock)
    inner.callback("done")
    clock.advance(5)

    assert result_of(outer) == "done"


def test_after_do_calls_function(clock: Clock) -> None:
    calls: list[int] = []

    after(1.0, clock=clock).do(calls.append, 7)
    clock.advance(1.0)

    assert calls == [7]


def test_call_when_idle_runs_on_next_iteration(clock: Clock) -> None:
    calls: list[str] = []

    call_when_idle(calls.append, "idle", clock=clock)
    assert calls == []
    clock.advance(0)

    assert calls == ["idle"]


def test_event_log_is_rate_limited(
    node: Node, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[Event] = []
    Events.subscribe(DeadLetter, seen.append)
    caplog.set_level(logging.WARNING, logger="spinoff.actor")
    Events._limiter.windows.clear()  # earlier tests may have used this second
    ref = node.lookup("/nobody")

    for index in range(100):
        ref << index
    Events.unsubscribe(DeadLetter, seen.append)

    logged = [r for r in caplog.records if r.name == "spinoff.actor"]
    assert len(seen) == 100
    assert 0 < len(logged) <= 20


@pytest.mark.parametrize(
    "module",
    [
        "spinoff.util.async_",
        "spinoff.util.logging",
        "spinoff.util.pattern_matching",
        "spinoff.actor.process",
        "spinoff.actor.events",
        "spinoff.actor.supervision",
        "spinoff.actor.testing",
    ],
)
def test_module_imports_first_in_fresh_interpreter(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
