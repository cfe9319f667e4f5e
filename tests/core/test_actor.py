"""Actors: receive, hooks, context, spawning and naming."""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock

from spinoff.actor import (
    Actor,
    InvalidActorName,
    NameConflict,
    Node,
    NotAnActor,
    Unhandled,
    spawn,
)
from spinoff.actor.events import Error, UnhandledError, UnhandledMessage
from spinoff.actor.testing import Probe
from spinoff.util.async_ import sleep

from .conftest import of_type


class Echo(Actor):
    def receive(self, message: Any) -> None:
        if message == "ping":
            raise Unhandled(message)
        reply_to, payload = message
        reply_to << payload


def test_receive_unhandled_message_becomes_event(node: Node, events: list[Any]) -> None:
    seen: list[Any] = []
    probe = node.spawn(Probe.using(seen))
    echo = node.spawn(Echo)

    echo << "ping"
    echo << (probe, "still alive")

    assert of_type(events, UnhandledMessage)[0].message == "ping"
    assert of_type(events, Error) == []
    assert seen == ["still alive"]


def test_pre_start_gets_using_arguments(node: Node) -> None:
    got: list[Any] = []

    class Greeter(Actor):
        def pre_start(self, greeting: str, punctuation: str = ".") -> None:
            got.append(greeting + punctuation)

    node.spawn(Greeter.using("hi", punctuation="!"))

    assert got == ["hi!"]


def test_hooks_as_plain_generator_and_coroutine(node: Node, clock: Clock) -> None:
    log: list[str] = []

    class Plain(Actor):
        def pre_start(self) -> None:
            log.append("plain start")

        def receive(self, message: Any) -> None:
            log.append(f"plain {message}")

        def post_stop(self) -> None:
            log.append("plain stop")

    class Generator(Actor):
        def pre_start(self) -> Any:
            yield sleep(1)
            log.append("generator start")

        def receive(self, message: Any) -> Any:
            yield sleep(1)
            log.append(f"generator {message}")

        def post_stop(self) -> Any:
            yield sleep(1)
            log.append("generator stop")

    class Coroutine(Actor):
        async def pre_start(self) -> None:
            await sleep(1)
            log.append("coroutine start")

        async def receive(self, message: Any) -> None:
            await sleep(1)
            log.append(f"coroutine {message}")

        async def post_stop(self) -> None:
            await sleep(1)
            log.append("coroutine stop")

    for cls in (Plain, Generator, Coroutine):
        ref = node.spawn(cls)
        ref << "m"
        clock.advance(1)
        clock.advance(1)
        ref.stop()
        clock.advance(1)

    assert log == [
        "plain start",
        "plain m",
        "plain stop",
        "generator start",
        "generator m",
        "generator stop",
        "coroutine start",
        "coroutine m",
        "coroutine stop",
    ]


def test_async_receive_takes_one_message_at_a_time(node: Node, clock: Clock) -> None:
    log: list[str] = []

    class Slow(Actor):
        async def receive(self, message: Any) -> None:
            log.append(f"begin {message}")
            await sleep(1)
            log.append(f"end {message}")

    slow = node.spawn(Slow)
    slow << 1 << 2
    clock.advance(1)
    clock.advance(1)

    assert log == ["begin 1", "end 1", "begin 2", "end 2"]


def test_messages_wait_for_async_pre_start(node: Node, clock: Clock) -> None:
    log: list[str] = []

    class SlowStart(Actor):
        def pre_start(self) -> Any:
            yield sleep(5)
            log.append("started")

        def receive(self, message: Any) -> None:
            log.append(message)

    ref = node.spawn(SlowStart)
    ref << "first"
    clock.advance(4)
    assert log == []

    clock.advance(1)

    assert log == ["started", "first"]


def test_context_inside_actor(node: Node) -> None:
    seen: dict[str, Any] = {}

    class Child(Actor):
        pass

    class Parent(Actor):
        def pre_start(self) -> None:
            self.spawn(Child, name="a")
            self.spawn(Child, name="b")
            seen["ref"] = self.ref
            seen["parent"] = self.parent
            seen["children"] = self.children
            seen["node"] = self.node

    ref = node.spawn(Parent, name="parent")

    assert seen["ref"] == ref
    assert seen["parent"] == node.guardian.ref
    assert [str(child.uri) for child in seen["children"]] == ["/parent/a", "/parent/b"]
    assert seen["node"] is node


def test_spawn_accepts_class_props_and_callable(node: Node) -> None:
    seen: list[Any] = []

    refs = [
        node.spawn(Probe),
        node.spawn(Probe.using(seen)),
        node.spawn(lambda: Probe()),
    ]
    refs[1] << "via props"

    assert len({ref.uri for ref in refs}) == 3
    assert seen == ["via props"]


def test_spawn_rejects_duplicate_name(node: Node) -> None:
    node.spawn(Probe, name="x")

    with pytest.raises(NameConflict) as info:
        node.spawn(Probe, name="x")

    assert info.value.name == "x"


@pytest.mark.parametrize("name", ["a/b", "", "$reserved", 7])
def test_spawn_rejects_invalid_name(node: Node, name: Any) -> None:
    with pytest.raises(InvalidActorName) as info:
        node.spawn(Probe, name=name)

    assert info.value.name == name


def test_unnamed_children_get_distinct_generated_names(node: Node) -> None:
    first = node.spawn(Probe)
    second = node.spawn(Probe)

    assert first.uri.name.startswith("$")
    assert first.uri != second.uri


def test_name_is_free_again_after_stop(node: Node) -> None:
    node.spawn(Probe, name="x").stop()

    again = node.spawn(Probe, name="x")

    assert str(again.uri) == "/x"


def test_actor_class_cannot_be_called_directly() -> None:
    with pytest.raises(TypeError, match=r"^Probe is an actor: start it with spawn"):
        Probe()


def test_factory_that_returns_non_actor_is_stopped(
    node: Node, events: list[Any]
) -> None:
    ref = node.spawn(lambda: "not an actor")
    joined = ref.join()

    errors = of_type(events, UnhandledError)
    assert isinstance(errors[0].exc, NotAnActor)
    assert errors[0].decision == "Stop"
    assert joined.called


def test_module_level_spawn_uses_default_node(node: Node) -> None:
    ref = spawn(Probe, name="top")

    assert node.lookup("/top") is ref


def test_self_stop_inside_receive(node: Node) -> None:
    class Quitter(Actor):
        def receive(self, message: Any) -> None:
            self.stop()

    ref = node.spawn(Quitter)
    joined: Deferred[None] = ref.join()
    ref << "bye"

    assert joined.called
