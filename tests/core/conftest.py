"""Fixtures for the core tests: a node on a virtual clock, recorded events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from twisted.internet.task import Clock

from spinoff.actor import Node, set_default_node
from spinoff.actor.events import Event, Events


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def node(clock: Clock) -> Iterator[Node]:
    node = Node(clock=clock)
    set_default_node(node)
    yield node
    node.stop()
    set_default_node(None)


@pytest.fixture
def events() -> Iterator[list[Any]]:
    """Every event published during the test, in order."""
    captured: list[Any] = []
    Events.subscribe(Event, captured.append)
    yield captured
    Events.reset()


def of_type(events: list[Any], event_type: type) -> list[Any]:
    return [event for event in events if isinstance(event, event_type)]
