"""Logging helpers of the original API on top of the standard `logging` module.

Each helper logs to the logger named after the calling module and prefixes the
line with the address of the actor whose code is running, for example
``[127.0.0.1:9700/other] 'hello!' from ...``. Outside actor code there is no
prefix. Arguments are joined with spaces, like `print`.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from spinoff.actor._context import current_cell

__all__ = ["dbg", "err", "fail", "log", "panic", "warn"]


def _emit(level: int, args: tuple[Any, ...], exc_info: bool = False) -> None:
    caller = sys._getframe(2).f_globals.get("__name__", "spinoff")
    logger = logging.getLogger(caller)
    if not logger.isEnabledFor(level):
        return
    text = " ".join(arg if isinstance(arg, str) else repr(arg) for arg in args)
    cell = current_cell.get()
    if cell is not None:
        text = f"[{cell.ref.uri}] {text}"
    logger.log(level, "%s", text, exc_info=exc_info, stacklevel=3)


def dbg(*args: Any) -> None:
    """Log at DEBUG: progress that helps while developing."""
    _emit(logging.DEBUG, args)


def log(*args: Any) -> None:
    """Log at INFO."""
    _emit(logging.INFO, args)


def warn(*args: Any) -> None:
    """Log at WARNING."""
    _emit(logging.WARNING, args)


def err(*args: Any) -> None:
    """Log at ERROR."""
    _emit(logging.ERROR, args)


def fail(*args: Any) -> None:
    """Log at ERROR with the traceback of the exception being handled, if any."""
    _emit(logging.ERROR, args, exc_info=sys.exc_info()[0] is not None)


def panic(*args: Any) -> None:
    """Log at CRITICAL: the application cannot go on."""
    _emit(logging.CRITICAL, args)
