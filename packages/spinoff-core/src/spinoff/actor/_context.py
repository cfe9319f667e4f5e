"""Context variables that tell helper functions which actor is running.

The dispatcher sets `current_cell` while it runs actor code, and Twisted's
`inlineCallbacks` and `Deferred.fromCoroutine` copy the context when a
generator or coroutine starts, so every later step of that generator runs as the
same actor.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from spinoff.actor._cell import Cell

current_cell: ContextVar[Cell | None] = ContextVar("spinoff_current_cell", default=None)
constructing: Cell | None = None
"""The cell whose actor the runtime is constructing; `Actor.__new__` reads it.

Construction never nests, because `spawn` only queues the start of a child, so
a plain module attribute is enough here.
"""


class ReactorTime(Protocol):
    """The part of Twisted's `IReactorTime` the runtime uses.

    The global reactor and `twisted.internet.task.Clock` both provide it.
    `callLater` returns an `IDelayedCall`, typed `Any` because mypy cannot
    check zope interfaces.
    """

    def seconds(self) -> float: ...

    def callLater(
        self, delay: float, callable: Callable[..., object], *args: object, **kw: object
    ) -> Any: ...
