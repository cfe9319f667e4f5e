"""Fixtures of the launcher tests; the helpers live in `tests.node.processes`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.node.processes import ROOT, SPINOFF_NODE, TWISTD, NodeProcess

StartNode = Callable[..., NodeProcess]


@pytest.fixture
def start_node() -> Iterator[StartNode]:
    """Return a function that starts ``spinoff-node run ARGS`` (or twistd)."""
    started: list[NodeProcess] = []

    def start(*arguments: str, twistd: bool = False, cwd: Path = ROOT) -> NodeProcess:
        if twistd:
            command = [str(TWISTD), *arguments]
        else:
            command = [str(SPINOFF_NODE), "run", *arguments]
        node = NodeProcess(command, cwd)
        started.append(node)
        return node

    yield start
    for node in started:
        node.kill()
