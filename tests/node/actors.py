"""Actors that the launcher tests run with ``-a tests.node.actors.NAME``.

Each logs its progress with `dbg`, which the launcher shows by default, so
the tests can follow it in the node's output.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from spinoff.actor import Actor
from spinoff.actor.process import Process
from spinoff.util.async_ import sleep
from spinoff.util.logging import dbg


class Recorder(Actor):
    """Logs every message; stops on ``'stop'``; logs when post_stop runs."""

    def pre_start(self, **params: Any) -> None:
        dbg(f"started with {params!r}")

    def receive(self, message: Any) -> None:
        dbg(f"received {message!r}")
        if message == "stop":
            self.stop()

    def post_stop(self) -> None:
        dbg("post_stop ran")


class QuitsSoon(Process):
    """Runs for a tenth of a second, then returns, which stops it normally."""

    def run(self) -> Generator[Any, Any, None]:
        dbg("started")
        yield sleep(0.1)
        dbg("returning")


class Crashes(Process):
    """Raises a RuntimeError a tenth of a second after each start."""

    def run(self) -> Generator[Any, Any, None]:
        dbg("started")
        yield sleep(0.1)
        raise RuntimeError("planned failure")


class FailsToStart(Actor):
    """Raises in pre_start, so that every start fails."""

    def pre_start(self) -> None:
        dbg("starting")
        raise RuntimeError("planned start failure")


class NeedsParams(Actor):
    """Takes two required keyword arguments in pre_start."""

    def pre_start(self, text: str, count: int) -> None:
        dbg(f"params text={text!r} count={count!r}")


class NotAnActor:
    """A plain class, which the launcher rejects."""
