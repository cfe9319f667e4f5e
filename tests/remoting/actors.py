"""Actors and message classes that the remoting tests run in node processes.

Node processes import this module as ``tests.remoting.actors``, so a class
defined here has the same ``module.qualname`` on every node.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from spinoff.actor import Actor, Ref, lookup

Report = Callable[..., None]
"""Writes one JSON event line to the test; set by the node process."""


def _no_report(**fields: Any) -> None:
    raise RuntimeError("the node process did not set actors.report")


report: Report = _no_report


@dataclass(frozen=True)
class Greeting:
    """A message class that tests add to ``allowed_classes``."""

    text: str
    sender: Ref


class Echo(Actor):
    """Replies to ``(payload, reply_to)`` with ``('echo', payload)``."""

    def receive(self, message: Any) -> None:
        payload, reply_to = message
        reply_to << ("echo", payload)


class Collector(Actor):
    """Counts ``('seq', sender, n)`` per sender and checks their order.

    ``('count', sender, reply_to)`` replies ``(received, in_order)`` for that
    sender; ``('big', data, reply_to)`` replies with the length and SHA-256 of
    `data`; a `Greeting` is reported; anything else is reported as
    ``received``.
    """

    def pre_start(self) -> None:
        self.received: dict[str, int] = {}
        self.in_order: dict[str, bool] = {}

    def receive(self, message: Any) -> None:
        if isinstance(message, Greeting):
            report(
                event="greeting",
                text=message.text,
                sender=str(message.sender.uri),
                sender_type=type(message.sender).__name__,
            )
            message.sender << ("ack", message.text)
            return
        kind = message[0] if isinstance(message, tuple) and message else None
        if kind == "seq":
            _, sender, number = message
            expected = self.received.get(sender, 0)
            if number != expected:
                self.in_order[sender] = False
            self.in_order.setdefault(sender, True)
            self.received[sender] = expected + 1
        elif kind == "count":
            _, sender, reply_to = message
            reply_to << (self.received.get(sender, 0), self.in_order.get(sender, True))
        elif kind == "big":
            _, data, reply_to = message
            reply_to << (len(data), hashlib.sha256(data).hexdigest())
        else:
            report(event="received", path=self.ref.uri.path, message=repr(message))


class Hopper(Actor):
    """Forwards ``('hop', route, ref)`` along `route`, reporting the ref at each hop.

    At the end of the route it sends ``('home', here)`` to the ref.
    """

    def receive(self, message: Any) -> None:
        _, route, ref = message
        report(
            event="hop",
            node=self.node.address,
            ref=str(ref.uri),
            local=ref._cell is not None,
        )
        if route:
            lookup(route[0]) << ("hop", route[1:], ref)
        else:
            ref << ("home", self.node.address)


class Probe(Actor):
    """Reports every message it receives."""

    def receive(self, message: Any) -> None:
        report(event="probe", path=self.ref.uri.path, message=_jsonable(message))


class Watcher(Actor):
    """Watches one ref and reports every ``('terminated', ref)`` it receives."""

    def pre_start(self, target: str, tag: str) -> None:
        self.tag = tag
        self.watch(lookup(target))

    def receive(self, message: Any) -> None:
        if isinstance(message, tuple) and message[0] == "terminated":
            report(event="terminated", tag=self.tag, ref=str(message[1].uri))


class Sender(Actor):
    """Sends `count` requests to an `Echo` at once and checks the replies.

    Reports ``done`` with the number of replies and whether they came in
    order, as soon as the last reply arrives.
    """

    def pre_start(self, target: str, count: int, tag: str) -> None:
        self.count = count
        self.tag = tag
        self.next = 0
        self.in_order = True
        echo = lookup(target)
        for number in range(count):
            echo << (number, self.ref)

    def receive(self, message: Any) -> None:
        _, number = message
        if number != self.next:
            self.in_order = False
        self.next += 1
        if self.next == self.count:
            report(
                event="done", tag=self.tag, replies=self.next, in_order=self.in_order
            )


def _jsonable(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [_jsonable(item) for item in value]
    if isinstance(value, Ref):
        return {"ref": str(value.uri), "local": value._cell is not None}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)
