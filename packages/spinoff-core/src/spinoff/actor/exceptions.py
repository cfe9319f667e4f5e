"""Exceptions raised by the actor runtime.

Each exception is named after the condition it reports and carries the objects
involved as attributes, so that callers and tests can inspect them without
parsing the message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spinoff.actor._ref import Ref

__all__ = [
    "ActorTerminated",
    "InvalidActorName",
    "InvalidAddress",
    "NameConflict",
    "NodeDown",
    "NotAnActor",
    "Timeout",
    "Unhandled",
    "UnhandledTermination",
]


class Unhandled(Exception):
    """Raised by `Actor.receive` for a message it does not handle.

    The runtime turns it into an `UnhandledMessage` event instead of a failure,
    except for a ``('terminated', ref)`` message of a watched actor, which
    fails the watcher with `UnhandledTermination`.
    """


class UnhandledTermination(Exception):
    """A watcher's `receive` did not handle ``('terminated', ref)``."""

    def __init__(self, watcher: Ref, watched: Ref) -> None:
        super().__init__(watcher, watched)
        self.watcher = watcher
        self.watched = watched

    def __str__(self) -> str:
        return (
            f"{self.watcher!r} watches {self.watched!r} but its receive raised "
            "Unhandled for ('terminated', ref); handle that message or unwatch"
        )


class NameConflict(ValueError):
    """A sibling with the requested name already exists."""

    def __init__(self, parent: Ref, name: str) -> None:
        super().__init__(parent, name)
        self.parent = parent
        self.name = name

    def __str__(self) -> str:
        return (
            f"{self.parent!r} already has a child named {self.name!r}; "
            "pick another name or omit it to get a generated one"
        )


class InvalidActorName(ValueError):
    """An actor name is empty, not a string, contains ``/`` or starts with ``$``."""

    def __init__(self, name: object) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return (
            f"invalid actor name {self.name!r}: expected a non-empty string "
            "without '/' that does not start with '$'"
        )


class InvalidAddress(ValueError):
    """An actor address does not have the form ``[host:port]/path``."""

    def __init__(self, address: object, reason: str) -> None:
        super().__init__(address, reason)
        self.address = address
        self.reason = reason

    def __str__(self) -> str:
        return (
            f"invalid actor address {self.address!r}: {self.reason}; "
            "expected 'host:port/path/to/actor' or '/path/to/actor'"
        )


class NotAnActor(TypeError):
    """A factory given to ``spawn`` did not produce an `Actor`."""

    def __init__(self, factory: object, produced: object) -> None:
        super().__init__(factory, produced)
        self.factory = factory
        self.produced = produced

    def __str__(self) -> str:
        return (
            f"spawn expects an Actor subclass, Props or a callable returning an "
            f"Actor; {self.factory!r} produced {type(self.produced).__name__}"
        )


class ActorTerminated(RuntimeError):
    """The actor stopped, or was already dead, before it replied."""

    def __init__(self, ref: Ref, message: Any = None) -> None:
        super().__init__(ref, message)
        self.ref = ref
        self.message = message

    def __str__(self) -> str:
        return f"{self.ref!r} is terminated and cannot answer {self.message!r}"


class NodeDown(ConnectionError):
    """The link to a remote actor's node broke; the transport error is the cause."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(address, reason)
        self.address = address
        self.reason = reason

    def __str__(self) -> str:
        return f"node {self.address} is down: {self.reason}"


class Timeout(Exception):
    """A Deferred given to `with_timeout`, or an `ask`, did not fire in time."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds

    def __str__(self) -> str:
        return f"timed out after {self.seconds} s"
