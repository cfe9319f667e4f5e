"""Processes: run styles, selective receive, timeouts, stop and failure."""

from __future__ import annotations

from typing import Any

from twisted.internet.task import Clock

from spinoff.actor import Actor, Node
from spinoff.actor.events import HighWaterMarkReached, UnhandledError
from spinoff.actor.process import Process
from spinoff.actor.supervision import Decision, Restart
from spinoff.util.async_ import Timeout, with_timeout
from spinoff.util.pattern_matching import ANY

from .conftest import of_type


def test_generator_run_receives_in_order(node: Node) -> None:
    got: list[Any] = []

    class Collector(Process):
        def run(self) -> Any:
            while True:
                got.append((yield self.get()))

    ref = node.spawn(Collector)
    ref << 1 << 2 << 3

    assert got == [1, 2, 3]


def test_async_run_receives(node: Node) -> None:
    got: list[Any] = []

    class Collector(Process):
        async def run(self, prefix: str) -> None:
            while True:
                got.append(prefix + await self.get())

    ref = node.spawn(Collector.using(prefix="> "))
    ref << "a" << "b"

    assert got == ["> a", "> b"]


def test_selective_receive_keeps_others_in_arrival_order(node: Node) -> None:
    got: list[Any] = []

    class Picky(Process):
        def run(self) -> Any:
            got.append((yield self.get(("wanted", ANY))))
            while True:
                got.append((yield self.get()))

    ref = node.spawn(Picky)
    ref << "x" << ("other", 1) << ("wanted", 2) << "y"

    assert got == [("wanted", 2), "x", ("other", 1), "y"]


def test_get_with_several_patterns(node: Node) -> None:
    got: list[Any] = []

    class Picky(Process):
        def run(self) -> Any:
            got.append((yield self.get("b", "c")))

    node.spawn(Picky) << "a" << "c" << "b"

    assert got == ["c"]


def test_timed_out_get_leaves_no_waiter(node: Node, clock: Clock) -> None:
    got: list[Any] = []

    class Patient(Process):
        def run(self) -> Any:
            try:
                yield with_timeout(1.0, self.get("never"))
            except Timeout:
                got.append("timed out")
            yield self.get("nothing")  # the next get waits for something else

    ref = node.spawn(Patient)
    clock.advance(1.0)
    ref << "never"

    assert got == ["timed out"]
    assert ref._cell is not None
    assert list(ref._cell.mailbox or []) == ["never"]


def test_run_returning_stops_process(node: Node) -> None:
    class Once(Process):
        def run(self) -> Any:
            yield self.get()

    ref = node.spawn(Once)
    joined = ref.join()
    ref << "go"

    assert joined.called


def test_run_raising_goes_to_supervisor(node: Node) -> None:
    decisions: list[str] = []
    starts: list[int] = []

    class Fragile(Process):
        def run(self) -> Any:
            starts.append(1)
            message = yield self.get()
            raise ValueError(message)

    class Parent(Actor):
        def pre_start(self) -> None:
            self.spawn(Fragile, name="fragile")

        def supervise(self, exc: BaseException) -> Decision:
            decisions.append(str(exc))
            return Restart

    parent = node.spawn(Parent)
    parent / "fragile" << "bad"

    assert decisions == ["bad"]
    assert len(starts) == 2


def test_high_water_mark_event(node: Node, events: list[Any]) -> None:
    class Idle(Process):
        def run(self) -> Any:
            yield self.get("never")

    ref = node.spawn(Idle)
    for index in range(10001):
        ref << index

    reached = of_type(events, HighWaterMarkReached)
    assert [(event.ref, event.count) for event in reached] == [(ref, 10000)]


def test_flush_returns_and_removes_queued(node: Node) -> None:
    flushed: list[Any] = []

    class Flusher(Process):
        def run(self) -> Any:
            yield self.get("go")
            flushed.extend(self.flush())
            flushed.append((yield self.get()))

    ref = node.spawn(Flusher)
    ref << 1 << 2

    ref << "go"
    ref << 3

    assert flushed == [1, 2, 3]


def test_escalate_reports_current_exception(node: Node, events: list[Any]) -> None:
    class Escalator(Process):
        def run(self) -> Any:
            yield self.get()
            try:
                raise KeyError("lost")
            except KeyError:
                yield self.escalate()

    ref = node.spawn(Escalator, name="escalator")
    ref << "go"

    unhandled = of_type(events, UnhandledError)
    assert [type(event.exc) for event in unhandled] == [KeyError]
    assert ref.join().called
