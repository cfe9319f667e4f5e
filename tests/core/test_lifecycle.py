"""Stopping, death watch and dead letters."""

from __future__ import annotations

from typing import Any

from twisted.internet.task import Clock

from spinoff.actor import Actor, Node, Ref, UnhandledTermination
from spinoff.actor.events import (
    DeadLetter,
    ErrorIgnored,
    TopLevelActorTerminated,
    UnhandledError,
)
from spinoff.actor.testing import Probe
from spinoff.util.async_ import sleep

from .conftest import of_type


class Watcher(Actor):
    def pre_start(self, target: Ref, log: list[Any]) -> None:
        self.log = log
        self.watch(target)

    def receive(self, message: Any) -> None:
        self.log.append(message)


def test_watcher_told_when_actor_stops(node: Node) -> None:
    log: list[Any] = []
    target = node.spawn(Probe)
    node.spawn(Watcher.using(target, log))

    target.stop()

    assert log == [("terminated", target)]


def test_watching_dead_actor_tells_at_once(node: Node) -> None:
    log: list[Any] = []
    target = node.spawn(Probe)
    target.stop()

    node.spawn(Watcher.using(target, log))

    assert log == [("terminated", target)]


def test_watching_never_existing_actor_tells_at_once(node: Node) -> None:
    log: list[Any] = []
    ghost = node.lookup("/ghost")

    node.spawn(Watcher.using(ghost, log))

    assert log == [("terminated", ghost)]


def test_unwatch_stops_notifications(node: Node) -> None:
    log: list[Any] = []

    class Fickle(Actor):
        def pre_start(self, target: Ref) -> None:
            self.watch(target)
            self.unwatch(target)

        def receive(self, message: Any) -> None:
            log.append(message)

    target = node.spawn(Probe)
    node.spawn(Fickle.using(target))

    target.stop()

    assert log == []


def test_unhandled_termination_fails_watcher(node: Node, events: list[Any]) -> None:
    class Careless(Actor):
        def pre_start(self, target: Ref) -> None:
            self.watch(target)

        def receive(self, message: Any) -> None:
            raise Unhandled_(message)

    Unhandled_ = __import__("spinoff.actor", fromlist=["Unhandled"]).Unhandled
    target = node.spawn(Probe)
    careless = node.spawn(Careless.using(target), name="careless")

    target.stop()

    unhandled = of_type(events, UnhandledError)
    assert [type(event.exc) for event in unhandled] == [UnhandledTermination]
    assert unhandled[0].exc.watcher == careless
    assert unhandled[0].exc.watched == target


def test_stop_order_children_first(node: Node, clock: Clock) -> None:
    log: list[str] = []

    class Node_(Actor):
        def pre_start(self, name: str, depth: int) -> None:
            self.name = name
            if depth:
                self.spawn(Node_.using(f"{name}.1", depth - 1))
                self.spawn(Node_.using(f"{name}.2", depth - 1))

        async def post_stop(self) -> None:
            await sleep(0.1)  # children must wait even for a slow post_stop
            log.append(self.name)

    root = node.spawn(Node_.using("r", 2))
    root.stop()
    for _ in range(5):
        clock.advance(0.1)

    assert log.index("r.1.1") < log.index("r.1")
    assert log.index("r.1.2") < log.index("r.1")
    assert log.index("r.2.1") < log.index("r.2")
    assert log[-1] == "r"
    assert len(log) == 7


def test_messages_left_in_mailbox_become_dead_letters(
    node: Node, clock: Clock, events: list[Any]
) -> None:
    class Slow(Actor):
        async def receive(self, message: Any) -> None:
            await sleep(1)

    ref = node.spawn(Slow)
    ref << 1 << 2 << 3

    ref.stop()
    ref << 4

    assert [event.message for event in of_type(events, DeadLetter)] == [2, 3, 4]


def test_send_to_stopped_actor_never_raises(node: Node, events: list[Any]) -> None:
    ref = node.spawn(Probe)
    ref.stop()

    ref << "late"

    assert [(e.ref, e.message) for e in of_type(events, DeadLetter)] == [(ref, "late")]


def test_actor_stopping_itself_in_pre_start(node: Node, events: list[Any]) -> None:
    log: list[str] = []

    class Quitter(Actor):
        def pre_start(self) -> None:
            log.append("pre_start")
            self.stop()

        def receive(self, message: Any) -> None:
            log.append("received")

        def post_stop(self) -> None:
            log.append("post_stop")

    class Spawner(Actor):
        def receive(self, message: Any) -> None:
            child = self.spawn(Quitter)
            child << "too late"

    node.spawn(Spawner) << "go"

    assert log == ["pre_start", "post_stop"]
    assert [event.message for event in of_type(events, DeadLetter)] == ["too late"]


def test_post_stop_error_is_ignored_event(node: Node, events: list[Any]) -> None:
    class Sloppy(Actor):
        def post_stop(self) -> None:
            raise RuntimeError("cleanup failed")

    ref = node.spawn(Sloppy)
    ref.stop()

    ignored = of_type(events, ErrorIgnored)
    assert [(event.context, str(event.exc)) for event in ignored] == [
        ("post_stop", "cleanup failed")
    ]
    assert ref.join().called


def test_node_stop_stops_everything_and_reports(
    clock: Clock, events: list[Any]
) -> None:
    node = Node(clock=clock)
    refs = [node.spawn(Probe, name=name) for name in ("a", "b")]

    stopped = node.stop()

    assert stopped.called
    assert all(ref.join().called for ref in refs)
    terminated = of_type(events, TopLevelActorTerminated)
    assert sorted(str(e.ref.uri) for e in terminated) == ["/a", "/b"]
