"""The event stream: what the runtime reports but cannot raise to anyone.

`Events` is the process-wide stream. Every published event is also logged
at the level of its class (see `Event.level`) under the logger its class
names (`Event.logger_name`: ``spinoff.actor``, or ``spinoff.remoting`` for
events about other nodes), so that an application that subscribes to nothing
still sees it. Subscribers are called synchronously, in subscription order; an exception
raised by a subscriber is logged and does not reach the publisher.

Level policy: lifecycle at DEBUG, errors handled by a supervisor at WARNING,
dropped or unhandled messages at WARNING, failures no supervisor handled at
ERROR.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from spinoff.actor._ref import Ref

__all__ = [
    "DeadLetter",
    "Error",
    "ErrorIgnored",
    "Event",
    "EventStream",
    "Events",
    "HighWaterMarkReached",
    "MessageRejected",
    "RemoteDeadLetter",
    "RemotingFault",
    "RestartLimitReached",
    "TopLevelActorTerminated",
    "UnhandledError",
    "UnhandledMessage",
]

logger = logging.getLogger("spinoff.actor")

E = TypeVar("E", bound="Event")


@dataclass(frozen=True)
class Event:
    """Base of all events."""

    level = logging.DEBUG
    logger_name = "spinoff.actor"

    def describe(self) -> str:
        return repr(self)


@dataclass(frozen=True)
class DeadLetter(Event):
    """A message was sent to an actor that is stopped or was never there."""

    level = logging.WARNING
    ref: Ref
    message: Any

    def describe(self) -> str:
        return f"dead letter to {self.ref!r}: {self.message!r}"


@dataclass(frozen=True)
class UnhandledMessage(Event):
    """An actor's `receive` raised `Unhandled` for a message; it was dropped."""

    level = logging.WARNING
    ref: Ref
    message: Any

    def describe(self) -> str:
        return f"{self.ref!r} did not handle {self.message!r}; it was dropped"


@dataclass(frozen=True)
class Error(Event):
    """An actor failed and its supervisor decided what to do about it."""

    level = logging.WARNING
    ref: Ref
    exc: BaseException
    traceback: str = field(repr=False)
    decision: str = ""

    def describe(self) -> str:
        return (
            f"{self.ref!r} failed with {self.exc!r}; supervisor decided "
            f"{self.decision}\n{self.traceback}"
        )


@dataclass(frozen=True)
class UnhandledError(Event):
    """A top-level actor failed and the node's guardian applied its policy."""

    level = logging.ERROR
    ref: Ref
    exc: BaseException
    traceback: str = field(repr=False)
    decision: str = ""

    def describe(self) -> str:
        return (
            f"{self.ref!r} failed with {self.exc!r} and no supervisor of the "
            f"application handled it; the node decided {self.decision}\n"
            f"{self.traceback}"
        )


@dataclass(frozen=True)
class ErrorIgnored(Event):
    """An error that could not change the outcome, such as one in `post_stop`."""

    level = logging.WARNING
    ref: Ref
    exc: BaseException
    traceback: str = field(repr=False)
    context: str = ""

    def describe(self) -> str:
        return (
            f"{self.ref!r} raised {self.exc!r} in {self.context}; ignored and "
            f"carried on\n{self.traceback}"
        )


@dataclass(frozen=True)
class RestartLimitReached(Event):
    """A child failed more often than `Restart(max, within)` allows and was stopped."""

    level = logging.ERROR
    ref: Ref
    exc: BaseException
    max: int | None
    within: float | None

    def describe(self) -> str:
        window = f" within {self.within} s" if self.within is not None else ""
        return (
            f"{self.ref!r} failed with {self.exc!r} after {self.max} restarts"
            f"{window}; stopped it"
        )


@dataclass(frozen=True)
class TopLevelActorTerminated(Event):
    """A top-level actor of a node stopped."""

    level = logging.DEBUG
    ref: Ref

    def describe(self) -> str:
        return f"top-level actor {self.ref!r} terminated"


@dataclass(frozen=True)
class HighWaterMarkReached(Event):
    """A mailbox grew past its high-water mark."""

    level = logging.WARNING
    ref: Ref
    count: int

    def describe(self) -> str:
        return f"mailbox of {self.ref!r} holds {self.count} messages"


@dataclass(frozen=True)
class RemoteDeadLetter(Event):
    """A message to or from another node could not be delivered."""

    level = logging.WARNING
    logger_name = "spinoff.remoting"
    ref: Ref | str
    message: Any
    reason: str

    def describe(self) -> str:
        return f"remote dead letter to {self.ref!r}: {self.message!r} ({self.reason})"


@dataclass(frozen=True)
class RemotingFault(Event):
    """A peer sent something the node could not use; the node dropped it."""

    level = logging.WARNING
    logger_name = "spinoff.remoting"
    peer: str
    reason: str

    def describe(self) -> str:
        return f"dropped input from {self.peer}: {self.reason}"


@dataclass(frozen=True)
class MessageRejected(RemotingFault):
    """A received message contained a type that is not allowed to travel."""

    type_name: str = ""


Subscriber = Callable[[Any], object]


class _LogLimiter:
    """Lets at most `burst` log lines of one event class through per second.

    Subscribers still get every event, because only the log is thinned. The
    next line that passes states how many were left out.
    """

    def __init__(self, burst: int = 20) -> None:
        self.burst = burst
        self.windows: dict[type[Event], tuple[float, int, int]] = {}

    def admit(self, event_type: type[Event]) -> tuple[bool, int]:
        """Return whether to log now, and how many lines were left out before."""
        now = time.monotonic()
        start, logged, skipped = self.windows.get(event_type, (now, 0, 0))
        if now - start >= 1.0:
            start, logged = now, 0
        if logged < self.burst:
            self.windows[event_type] = (start, logged + 1, 0)
            return True, skipped
        self.windows[event_type] = (start, logged, skipped + 1)
        return False, 0


class EventStream:
    """A synchronous publish/subscribe stream of `Event` instances.

    Each event is logged under its class's `Event.logger_name` at its class's
    level, with at most 20 lines per event class per second.
    """

    def __init__(self) -> None:
        self._subscribers: dict[type[Event], list[Subscriber]] = {}
        self._limiter = _LogLimiter()

    def subscribe(self, event_type: type[E], callback: Callable[[E], object]) -> None:
        """Call `callback` with every published instance of `event_type`."""
        self._subscribers.setdefault(event_type, []).append(callback)

    def unsubscribe(self, event_type: type[E], callback: Callable[[E], object]) -> None:
        """Undo `subscribe`; raises `ValueError` if `callback` is not subscribed."""
        callbacks = self._subscribers.get(event_type, [])
        try:
            callbacks.remove(callback)
        except ValueError:
            raise ValueError(
                f"{callback!r} is not subscribed to {event_type.__name__}"
            ) from None

    def consume_one(self, event_type: type[E]) -> Deferred[E]:
        """Return a Deferred that fires with the next published `event_type`."""
        d: Deferred[E] = Deferred()

        def fire(event: E) -> None:
            self.unsubscribe(event_type, fire)
            d.callback(event)

        self.subscribe(event_type, fire)
        return d

    def publish(self, event: Event) -> None:
        """Log `event` and call every subscriber of its class or a base class."""
        event_logger = logging.getLogger(event.logger_name)
        if event_logger.isEnabledFor(event.level):
            admitted, skipped = self._limiter.admit(type(event))
            if admitted and skipped:
                event_logger.log(
                    event.level,
                    "%s (%d more %s events were not logged)",
                    event.describe(),
                    skipped,
                    type(event).__name__,
                )
            elif admitted:
                event_logger.log(event.level, "%s", event.describe())
        for event_type in type(event).__mro__:
            for callback in list(self._subscribers.get(event_type, ())):
                try:
                    callback(event)
                except Exception:
                    logger.exception(
                        "event subscriber %r raised on %r; ignored", callback, event
                    )

    log = publish

    def reset(self) -> None:
        """Remove every subscriber."""
        self._subscribers.clear()


Events = EventStream()
"""The process-wide event stream."""
