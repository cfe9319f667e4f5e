"""The local examples run in one process on a virtual clock."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from twisted.internet.task import Clock

from spinoff.actor import Node
from spinoff.actor.events import UnhandledError
from spinoff.actor.testing import capture_events
from spinoff.examples.example1 import ExampleProcess
from spinoff.examples.example2_local import LocalApp
from spinoff.util.async_ import Timeout


@pytest.fixture
def node(clock: Clock) -> Iterator[Node]:
    node = Node(clock=clock)
    yield node
    node.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def progress_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("spinoff.examples")
    ]


def count(lines: list[str], fragment: str) -> int:
    return sum(fragment in line for line in lines)


def test_example1_exchanges_greetings_and_acks(
    node: Node, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="spinoff.examples")
    node.spawn(ExampleProcess, name="example")

    for _ in range(3):
        clock.advance(1.0)

    lines = progress_lines(caplog)
    assert count(lines, "sending greeting to") == 4
    assert count(lines, "'hello!' from <ref /example>") == 4
    assert count(lines, "got 'ack' from") == 4
    assert lines[0].startswith("[/example] sending greeting to <ref /example/$")


def test_example2_local_exchanges_greetings_and_acks(
    node: Node, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="spinoff.examples")
    node.spawn(LocalApp, name="app")

    for _ in range(3):
        clock.advance(1.0)

    lines = progress_lines(caplog)
    assert count(lines, "spawning ExampleActor") == 1
    assert count(lines, "'hello!' from") == 4
    assert count(lines, "got 'ack' from") == 4


def test_example1_fails_with_timeout_when_ack_is_missing(
    node: Node, clock: Clock
) -> None:
    with capture_events(UnhandledError) as errors:
        ref = node.spawn(ExampleProcess, name="example")
        assert ref._cell is not None
        assert ref._cell.children is not None
        (child,) = ref._cell.children.values()
        child.ref.stop()
        clock.advance(1.0)  # the greeting after this sleep gets no ack

        clock.advance(5.0)

    assert [type(error.exc) for error in errors] == [Timeout]
    assert ref.join().called
