"""No call depth that grows with queued messages, and per-sender FIFO order."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from spinoff.actor import Actor, Node, Ref
from spinoff.actor.testing import Probe


def test_burst_of_100000_messages(node: Node) -> None:
    seen: list[Any] = []

    class Burst(Actor):
        def receive(self, message: Any) -> None:
            target = message
            for index in range(100_000):
                target << index

    probe = node.spawn(Probe.using(seen))
    node.spawn(Burst) << probe

    assert seen == list(range(100_000))


def test_chain_of_10000_forwarding_actors(node: Node) -> None:
    seen: list[Any] = []

    class Forwarder(Actor):
        def pre_start(self, next_ref: Ref) -> None:
            self.next_ref = next_ref

        def receive(self, message: Any) -> None:
            self.next_ref << message + 1

    head = node.spawn(Probe.using(seen))
    for _ in range(10_000):
        head = node.spawn(Forwarder.using(head))

    head << 0

    assert seen == [10_000]


def test_chain_of_10000_nested_spawns(node: Node) -> None:
    depth: list[int] = []

    class Nested(Actor):
        def pre_start(self, remaining: int) -> None:
            if remaining:
                self.spawn(Nested.using(remaining - 1))
            else:
                depth.append(len(str(self.ref.uri).split("/")))

    node.spawn(Nested.using(10_000))

    assert depth == [10_002]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.booleans()), max_size=60))
def test_per_sender_order_with_interleaved_senders(
    plan: list[tuple[int, bool]],
) -> None:
    """Each sender's messages arrive in the order sent, however sends interleave."""
    node = Node()
    seen: list[Any] = []
    receiver = node.spawn(Probe.using(seen))

    class Sender(Actor):
        def pre_start(self, name: int) -> None:
            self.name = name
            self.sent = 0

        def receive(self, burst: bool) -> None:
            for _ in range(3 if burst else 1):
                receiver << (self.name, self.sent)
                self.sent += 1

    senders = [node.spawn(Sender.using(name)) for name in range(4)]

    class Driver(Actor):
        def receive(self, message: Any) -> None:
            for name, burst in plan:
                senders[name] << burst

    node.spawn(Driver) << "go"

    for name in range(4):
        numbers = [number for sender, number in seen if sender == name]
        assert numbers == list(range(len(numbers)))
    assert len(seen) == sum(3 if burst else 1 for _, burst in plan)
    node.stop()
