"""Supervision: decisions, defaults, restart limits, escalation, suspension."""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.task import Clock

from spinoff.actor import Actor, Node, Ref
from spinoff.actor.events import (
    Error,
    RestartLimitReached,
    UnhandledError,
)
from spinoff.actor.supervision import (
    Decision,
    Default,
    Escalate,
    Restart,
    Resume,
    Stop,
)
from spinoff.actor.testing import Probe

from .conftest import of_type


class Boom(Exception):
    pass


class Worker(Actor):
    """Counts messages in its state; fails on 'fail' and 'assert'."""

    def pre_start(self, log: list[Any]) -> None:
        self.log = log
        self.count = 0
        log.append("start")

    def receive(self, message: Any) -> None:
        if message == "fail":
            raise Boom("failed on purpose")
        if message == "assert":
            raise AssertionError("broken invariant")
        if isinstance(message, tuple) and message[0] == "count?":
            message[1] << self.count
            return
        self.count += 1
        self.log.append(message)

    def post_stop(self) -> None:
        self.log.append("stop")


def supervisor(decision: Decision | None, log: list[Any]) -> type[Actor]:
    class Supervisor(Actor):
        def pre_start(self) -> None:
            self.child = self.spawn(Worker.using(log), name="child")

        def receive(self, message: Any) -> None:
            self.child << message

        def supervise(self, exc: BaseException) -> Decision | None:
            log.append(("supervise", type(exc).__name__))
            return decision

    return Supervisor


def ask_count(node: Node, ref: Ref) -> Any:
    seen: list[Any] = []
    probe = node.spawn(Probe.using(seen))
    ref << ("count?", probe)
    return seen[0] if seen else None


def test_resume_keeps_state(node: Node) -> None:
    log: list[Any] = []
    parent = node.spawn(supervisor(Resume, log))
    child = parent / "child"

    child << "a" << "fail" << "b"

    assert ask_count(node, child) == 2
    assert log == ["start", "a", ("supervise", "Boom"), "b"]


def test_restart_builds_fresh_instance(node: Node) -> None:
    log: list[Any] = []
    parent = node.spawn(supervisor(Restart, log))
    child = parent / "child"

    child << "a" << "fail" << "b"

    assert ask_count(node, child) == 1
    assert log == ["start", "a", ("supervise", "Boom"), "stop", "start", "b"]


def test_restart_keeps_queued_messages_in_order(node: Node) -> None:
    log: list[Any] = []

    class Batch(Actor):
        def pre_start(self) -> None:
            self.child = self.spawn(Worker.using(log), name="child")

        def receive(self, message: Any) -> None:
            # Queue all three in the child's mailbox before it runs.
            for item in message:
                self.child << item

        def supervise(self, exc: BaseException) -> Decision:
            return Restart

    node.spawn(Batch) << ["a", "fail", "b", "c"]

    assert log == ["start", "a", "stop", "start", "b", "c"]


def test_stop_decision_stops_child(node: Node) -> None:
    log: list[Any] = []
    parent = node.spawn(supervisor(Stop, log))
    child = parent / "child"
    joined = child.join()

    child << "fail"

    assert joined.called
    assert log == ["start", ("supervise", "Boom"), "stop"]


def test_escalate_fails_the_parent(node: Node, events: list[Any]) -> None:
    log: list[Any] = []
    parent = node.spawn(supervisor(Escalate, log), name="parent")
    joined = parent.join()

    parent << "fail"

    unhandled = of_type(events, UnhandledError)
    assert [str(event.ref.uri) for event in unhandled] == ["/parent"]
    assert isinstance(unhandled[0].exc, Boom)
    assert joined.called  # the guardian's default decision is Stop


def test_default_restarts_on_ordinary_exception(node: Node) -> None:
    log: list[Any] = []
    parent = node.spawn(supervisor(Default, log))

    parent << "fail"

    assert log == ["start", ("supervise", "Boom"), "stop", "start"]


def test_default_escalates_assertion_error(node: Node, events: list[Any]) -> None:
    log: list[Any] = []
    parent = node.spawn(supervisor(Default, log), name="parent")

    parent << "assert"

    assert [str(e.ref.uri) for e in of_type(events, UnhandledError)] == ["/parent"]


def test_default_stops_on_constructor_failure(node: Node) -> None:
    log: list[Any] = []

    class BadInit(Actor):
        def __init__(self) -> None:
            raise Boom("cannot build")

    class Parent(Actor):
        def pre_start(self) -> None:
            self.child = self.spawn(BadInit, name="child")

        def supervise(self, exc: BaseException) -> Decision:
            log.append(type(exc).__name__)
            return Default

    parent = node.spawn(Parent)
    joined = (parent / "child").join()

    assert log == ["Boom"]
    assert joined.called


def test_pre_start_failure_hits_restart_limit(node: Node, events: list[Any]) -> None:
    attempts: list[int] = []

    class Flaky(Actor):
        def pre_start(self) -> None:
            attempts.append(1)
            raise Boom("cannot start")

    class Parent(Actor):
        def pre_start(self) -> None:
            self.spawn(Flaky, name="flaky")

        def supervise(self, exc: BaseException) -> Decision:
            return Restart(max=3)

    parent = node.spawn(Parent)
    joined = (parent / "flaky").join()

    assert len(attempts) == 4  # the first start and three restarts
    assert joined.called
    limit = of_type(events, RestartLimitReached)
    assert [(event.max, str(event.ref.uri)) for event in limit] == [
        (3, str((parent / "flaky").uri))
    ]


def test_restart_window_resets_after_it_elapses(node: Node, clock: Clock) -> None:
    log: list[Any] = []

    class Parent(Actor):
        def pre_start(self) -> None:
            self.child = self.spawn(Worker.using(log), name="child")

        def supervise(self, exc: BaseException) -> Decision:
            return Restart(max=2, within=10)

    parent = node.spawn(Parent)
    child = parent / "child"
    child << "fail"
    clock.advance(6)
    child << "fail"
    clock.advance(6)  # the first restart is now outside the window

    child << "fail"
    alive_after_window = not child.join().called
    clock.advance(1)
    child << "fail"  # third within 10 s: over the limit

    assert alive_after_window
    assert child.join().called


def test_supervise_returning_garbage_fails_parent(
    node: Node, events: list[Any]
) -> None:
    class Parent(Actor):
        def pre_start(self) -> None:
            self.spawn(Worker.using([]), name="child")

        def supervise(self, exc: BaseException) -> Any:
            return "restart please"

    parent = node.spawn(Parent, name="parent")
    (parent / "child") << "fail"

    unhandled = of_type(events, UnhandledError)
    assert isinstance(unhandled[-1].exc, TypeError)
    assert "returned 'restart please'" in str(unhandled[-1].exc)


def test_escalation_past_top_level_sibling_keeps_answering(
    node: Node, events: list[Any]
) -> None:
    log: list[Any] = []
    failing = node.spawn(supervisor(Escalate, log), name="failing")
    sibling = node.spawn(Worker.using(log), name="sibling")

    failing << "fail"
    sibling << "still here"

    assert failing.join().called
    assert ask_count(node, sibling) == 1
    assert log[-1] == "still here"
    assert [str(e.ref.uri) for e in of_type(events, UnhandledError)] == ["/failing"]


def test_guardian_policy_restart(clock: Clock) -> None:
    log: list[Any] = []
    node = Node(clock=clock, supervision=Restart)
    ref = node.spawn(Worker.using(log))

    ref << "fail" << "after"

    assert log == ["start", "stop", "start", "after"]
    node.stop()


def test_failing_subtree_is_suspended_until_decision(node: Node) -> None:
    log: list[Any] = []

    class Middle(Actor):
        def pre_start(self) -> None:
            self.spawn(Worker.using(log), name="leaf")

        def receive(self, message: Any) -> None:
            raise Boom("middle failed")

    class Top(Actor):
        def pre_start(self) -> None:
            self.spawn(Middle, name="middle")

        def supervise(self, exc: BaseException) -> Decision:
            log.append("deciding")
            return Resume

    class Sender(Actor):
        def receive(self, message: Any) -> None:
            # Both land in the run queue before Top gets the failure report,
            # so an unsuspended leaf would run first.
            middle, leaf = message
            middle << "fail"
            leaf << "queued"

    top = node.spawn(Top)
    node.spawn(Sender) << (top / "middle", top / "middle" / "leaf")

    assert log == ["start", "deciding", "queued"]


def test_error_event_names_decision(node: Node, events: list[Any]) -> None:
    parent = node.spawn(supervisor(Resume, []))

    (parent / "child") << "fail"

    errors = of_type(events, Error)
    assert [(type(e.exc), e.decision) for e in errors] == [(Boom, "Resume")]
    assert "Boom: failed on purpose" in errors[0].traceback


def test_restart_rejects_bad_limits() -> None:
    with pytest.raises(ValueError, match=r"^Restart max must be"):
        Restart(max=-1)
    with pytest.raises(ValueError, match=r"^Restart within must be"):
        Restart(max=1, within=0)


class NeverStarts(Actor):
    attempts = 0

    def pre_start(self) -> None:
        NeverStarts.attempts += 1
        raise Boom("cannot start")


def test_resume_after_start_failure_stops(clock: Clock, events: list[Any]) -> None:
    node = Node(clock=clock, supervision=Resume)
    NeverStarts.attempts = 0

    ref = node.spawn(NeverStarts)

    assert ref.join().called
    assert NeverStarts.attempts == 1
    assert [e.decision for e in of_type(events, UnhandledError)] == ["Stop"]
    node.stop()


def test_endless_restarts_still_yield_to_reactor(clock: Clock) -> None:
    clock.running = True  # type: ignore[attr-defined]
    node = Node(clock=clock, supervision=Restart)
    NeverStarts.attempts = 0

    node.spawn(NeverStarts)

    assert 0 < NeverStarts.attempts < 1000
    assert len(clock.getDelayedCalls()) == 1  # the dispatcher resumes next turn
