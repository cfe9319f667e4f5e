"""Processes: actors written as one long-running generator or coroutine."""

from __future__ import annotations

import sys
from typing import Any

from twisted.internet.defer import Deferred, succeed

from spinoff.actor._actor import Actor
from spinoff.actor._cell import find_match

__all__ = ["Process"]


class Process(Actor):
    """An actor whose behaviour is `run`, a generator or ``async def``.

    ``MyProcess.using(*args, **kwargs)`` passes the arguments to `run`.
    Messages wait in the mailbox until `get` requests them. When `run`
    returns, the process stops; when it raises, the supervisor decides.
    """

    __slots__ = ()
    _is_process = True

    def run(self, *args: Any, **kwargs: Any) -> Any:
        """Run the body of the process; subclasses override it."""
        raise NotImplementedError(f"{type(self).__name__} must define run()")

    def get(self, *patterns: Any) -> Deferred[Any]:
        """Return a Deferred of the first message equal to any of `patterns`.

        Without patterns any message matches. A queued message that matches is
        returned at once; messages that do not match stay queued in arrival
        order. Cancelling the Deferred, for example through `with_timeout`,
        withdraws the request so that no later message is lost to it.
        """
        cell = self._cell
        mailbox = cell.mailbox
        checked = 0
        if mailbox:
            index = find_match(mailbox, patterns)
            if index >= 0:
                message = mailbox[index]
                del mailbox[index]
                return succeed(message)
            checked = len(mailbox)
        if cell.waiter is not None:
            raise RuntimeError(
                f"{self!r} called get() while an earlier get() is still waiting; "
                "yield or await each get() before the next"
            )

        def withdraw(d: Deferred[Any]) -> None:
            if cell.waiter is not None and cell.waiter[1] is d:
                cell.waiter = None

        d: Deferred[Any] = Deferred(withdraw)
        cell.waiter = (patterns, d, checked)
        cell.wake()
        return d

    def flush(self) -> list[Any]:
        """Remove and return every queued message."""
        mailbox = self._cell.mailbox
        if not mailbox:
            return []
        messages = list(mailbox)
        mailbox.clear()
        return messages

    def escalate(self, exc: BaseException | None = None) -> Deferred[Any]:
        """Report `exc`, or the exception being handled, to the supervisor.

        The process is suspended and its supervisor decides as for any
        failure. The returned Deferred never fires: ``yield self.escalate()``
        parks `run` until the supervisor restarts or stops the process.
        """
        import traceback

        if exc is None:
            exc = sys.exc_info()[1]
            if exc is None:
                raise RuntimeError(
                    "escalate() needs an exception or an active except block"
                )
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self._cell.fail(exc, tb)
        return Deferred()
