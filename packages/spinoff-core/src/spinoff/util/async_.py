"""Timing helpers on Twisted Deferreds.

This module is the Python 3 home of the original ``spinoff.util.async``
(``async`` is a keyword now). Each helper takes an optional `clock`, any
`IReactorTime` such as `twisted.internet.task.Clock`. Without one it uses the
clock of the node whose actor is running, and outside actor code the global
reactor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from twisted.internet.defer import CancelledError, Deferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.python.failure import Failure

from spinoff.actor._context import ReactorTime, current_cell
from spinoff.actor.exceptions import Timeout

__all__ = [
    "Timeout",
    "after",
    "call_when_idle",
    "current_clock",
    "sleep",
    "with_timeout",
]

T = TypeVar("T")


def current_clock(clock: ReactorTime | None = None) -> ReactorTime:
    """Return `clock`, else the running actor's node clock, else the reactor."""
    if clock is not None:
        return clock
    cell = current_cell.get()
    if cell is not None:
        return cell.node.clock
    from twisted.internet import reactor

    return cast(ReactorTime, reactor)


def sleep(seconds: float, clock: ReactorTime | None = None) -> Deferred[None]:
    """Return a Deferred that fires with None after `seconds`.

    Cancelling the Deferred cancels the timer.
    """
    clock = current_clock(clock)
    d: Deferred[None] = Deferred(lambda _: call.cancel())
    call = clock.callLater(seconds, d.callback, None)
    return d


def with_timeout(
    seconds: float, d: Deferred[T], clock: ReactorTime | None = None
) -> Deferred[T]:
    """Fail `d` with `Timeout` unless it fires within `seconds`.

    On timeout `d` is cancelled first, so whatever it waits for is released:
    a `Process.get` that timed out leaves no waiter behind. Returns `d`.
    """
    clock = current_clock(clock)

    def on_timeout(result: Any, timeout: float) -> Any:
        if isinstance(result, Failure) and isinstance(result.value, CancelledError):
            raise Timeout(seconds)
        return result

    return d.addTimeout(seconds, cast(IReactorTime, clock), onTimeoutCancel=on_timeout)


class _After(Deferred[None]):
    """A Deferred returned by `after`, with `do` to attach the action."""

    def do(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> _After:
        """Call `function(*args, **kwargs)` when the delay has passed."""
        self.addCallback(lambda _: function(*args, **kwargs))
        return self


def after(seconds: float, clock: ReactorTime | None = None) -> _After:
    """Return a Deferred that fires after `seconds`; ``after(1).do(fn)`` calls fn."""
    clock = current_clock(clock)
    d = _After(lambda _: call.cancel())
    call = clock.callLater(seconds, d.callback, None)
    return d


def call_when_idle(
    function: Callable[..., Any], *args: Any, clock: ReactorTime | None = None
) -> IDelayedCall:
    """Call `function(*args)` on the next reactor iteration, after current work."""
    call: IDelayedCall = current_clock(clock).callLater(0, function, *args)
    return call
