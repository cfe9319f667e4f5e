"""Refs and addresses: sending, lookup, equality, pickling, ask and join."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from twisted.internet.task import Clock
from twisted.python.failure import Failure

from spinoff.actor import (
    Actor,
    ActorTerminated,
    InvalidAddress,
    Node,
    Uri,
    lookup,
)
from spinoff.actor.events import DeadLetter, RemoteDeadLetter
from spinoff.actor.testing import Probe, failure_of, result_of
from spinoff.util.async_ import Timeout, sleep

from .conftest import of_type


class Replier(Actor):
    def receive(self, message: Any) -> None:
        question, reply_to = message
        reply_to << f"re: {question}"


def test_lshift_returns_ref_so_sends_chain(node: Node) -> None:
    seen: list[Any] = []
    ref = node.spawn(Probe.using(seen))

    result = ref << 1 << 2
    ref.send(3)

    assert result is ref
    assert seen == [1, 2, 3]


def test_child_lookup_with_slash(node: Node) -> None:
    class Parent(Actor):
        def pre_start(self) -> None:
            self.spawn(Probe, name="kid")

    parent = node.spawn(Parent, name="p")

    assert parent / "kid" == node.lookup("/p/kid")
    assert (parent / "kid").is_local


def test_refs_compare_and_hash_by_address(node: Node) -> None:
    ref = node.spawn(Probe, name="x")
    same = node.lookup("/x")

    assert ref == same
    assert hash(ref) == hash(same)
    assert ref != node.spawn(Probe, name="y")


def test_pickled_ref_comes_back_local(node: Node) -> None:
    seen: list[Any] = []
    ref = node.spawn(Probe.using(seen), name="x")

    restored = pickle.loads(pickle.dumps(ref))
    restored << "hello"

    assert restored == ref
    assert restored._cell is ref._cell
    assert seen == ["hello"]


def test_lookup_of_missing_actor_gives_dead_letters(
    node: Node, events: list[Any]
) -> None:
    ref = lookup("/nobody")

    ref << "anyone?"

    assert [(e.ref, e.message) for e in of_type(events, DeadLetter)] == [
        (ref, "anyone?")
    ]


def test_lookup_ref_resolves_actor_spawned_later(node: Node) -> None:
    seen: list[Any] = []
    early = node.lookup("/late")
    node.spawn(Probe.using(seen), name="late")

    early << "found you"

    assert seen == ["found you"]


def test_remote_ref_without_hub_is_remote_dead_letter(
    node: Node, events: list[Any]
) -> None:
    ref = node.lookup("localhost:9999/far")

    ref << "hello"

    assert not ref.is_local
    assert [e.reason for e in of_type(events, RemoteDeadLetter)] == [
        "this node has no remoting hub"
    ]


@pytest.mark.parametrize(
    ("text", "node_address", "path"),
    [
        ("/a/b", None, "/a/b"),
        ("localhost:9700/other", "localhost:9700", "/other"),
        (":9700/other", "localhost:9700", "/other"),
        ("10.0.0.1:1/x/", "10.0.0.1:1", "/x"),
        ("/", None, "/"),
    ],
)
def test_uri_parse(text: str, node_address: str | None, path: str) -> None:
    uri = Uri.parse(text)

    assert (uri.node, uri.path) == (node_address, path)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("other", "the actor path is missing"),
        ("localhost/x", "the node address has no port"),
        ("localhost:http/x", "the port 'http' is not a number"),
        ("localhost:70000/x", "the port 70000 is out of range 1-65535"),
        ("/a//b", "the path has an empty segment"),
    ],
)
def test_uri_parse_rejects(text: str, reason: str) -> None:
    with pytest.raises(InvalidAddress) as info:
        Uri.parse(text)

    assert info.value.reason == reason
    assert str(info.value).startswith(f"invalid actor address {text!r}")


def test_ask_returns_reply(node: Node) -> None:
    ref = node.spawn(Replier)

    reply = ref.ask("ping")

    assert result_of(reply) == "re: ping"


def test_ask_with_callable_builds_message(node: Node) -> None:
    class Adder(Actor):
        def receive(self, message: Any) -> None:
            _, a, b, reply_to = message
            reply_to << a + b

    reply = node.spawn(Adder).ask(lambda reply_to: ("add", 1, 2, reply_to))

    assert result_of(reply) == 3


def test_ask_times_out(node: Node, clock: Clock) -> None:
    reply = node.spawn(Probe).ask("hello?", timeout=2.0)
    clock.advance(1.9)
    assert not reply.called

    clock.advance(0.1)

    assert isinstance(failure_of(reply).value, Timeout)


def test_asks_time_out_in_deadline_order(node: Node, clock: Clock) -> None:
    silent = node.spawn(Probe)
    order: list[float] = []

    def record(failure: Failure) -> None:
        assert isinstance(failure.value, Timeout)
        order.append(failure.value.seconds)

    for timeout in (3.0, 1.0, 2.0):
        silent.ask("hello?", timeout=timeout).addErrback(record)

    for _ in range(3):
        clock.advance(1.0)

    assert order == [1.0, 2.0, 3.0]
    assert clock.getDelayedCalls() == []


def test_answered_asks_leave_no_timer(node: Node, clock: Clock) -> None:
    replier = node.spawn(Replier)

    replies = [replier.ask(index) for index in range(1000)]

    assert [result_of(reply) for reply in replies[:2]] == ["re: 0", "re: 1"]
    assert node.deadlines.heap == []
    assert len(clock.getDelayedCalls()) <= 1  # one timer serves every ask


def test_ask_dead_actor_fails_at_once(node: Node) -> None:
    ref = node.spawn(Probe)
    ref.stop()

    reply = ref.ask("hello?", timeout=60)

    assert isinstance(failure_of(reply).value, ActorTerminated)


def test_ask_fails_when_actor_stops_before_answering(node: Node, clock: Clock) -> None:
    class Slow(Actor):
        async def receive(self, message: Any) -> None:
            await sleep(10)

    ref = node.spawn(Slow)
    reply = ref.ask("hello?", timeout=60)
    assert not reply.called

    ref.stop()

    assert isinstance(failure_of(reply).value, ActorTerminated)
    assert node.deadlines.heap == []


def test_late_reply_to_finished_ask_is_dead_letter(
    node: Node, clock: Clock, events: list[Any]
) -> None:
    replies: list[Any] = []

    class Keeper(Actor):
        def receive(self, message: Any) -> None:
            replies.append(message[1])

    ref = node.spawn(Keeper)
    failure_of_timeout = ref.ask("q", timeout=1)
    clock.advance(1)
    failure_of(failure_of_timeout)

    replies[0] << "too late"

    assert [e.message for e in of_type(events, DeadLetter)] == ["too late"]


def test_join_fires_for_dead_actor(node: Node) -> None:
    ref = node.spawn(Probe)
    ref.stop()

    assert ref.join().called


def test_several_nodes_in_one_process_are_independent(clock: Clock) -> None:
    first, second = Node(clock=clock), Node(clock=clock)
    a = first.spawn(Probe, name="same")
    b = second.spawn(Probe, name="same")

    first.stop()

    assert a.join().called
    assert not b.join().called
    assert first.guardian is not second.guardian
    second.stop()
