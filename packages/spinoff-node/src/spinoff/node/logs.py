"""Logging set-up of the launcher.

Level policy: application loggers, including those of the examples, log at
DEBUG by default, so that the ``dbg`` progress lines of actors are visible as
they were in the original spinoff. The framework loggers (`FRAMEWORK_LOGGERS`)
log at INFO by default, which keeps lifecycle chatter out and still shows
warnings such as dead letters and errors such as unhandled failures.

Each line shows the time, the node (its remoting address, or ``local``), the
level and the logger. The `spinoff.util.logging` helpers also put the address
of the running actor in the message itself.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO, cast

from twisted.logger import (
    ILogObserver,
    Logger,
    LogLevel,
    STDLibLogObserver,
    globalLogBeginner,
)

__all__ = [
    "DEFAULT_FRAMEWORK_LOG_LEVEL",
    "DEFAULT_LOG_LEVEL",
    "FRAMEWORK_LOGGERS",
    "LOG_FORMAT",
    "configure_logging",
    "forward_to_twisted",
]

DEFAULT_LOG_LEVEL = logging.DEBUG
DEFAULT_FRAMEWORK_LOG_LEVEL = logging.INFO

FRAMEWORK_LOGGERS = (
    "spinoff.actor",
    "spinoff.node",
    "spinoff.remoting",
    "spinoff.util",
    "twisted",
)
"""Loggers that get the framework level instead of the application level."""

LOG_FORMAT = "%(asctime)s.%(msecs)03d %(node)s %(levelname)s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

_HANDLER_NAME = "spinoff-node"

_twisted_routed = False


class NodeFilter(logging.Filter):
    """Add the ``node`` attribute, used by `LOG_FORMAT`, to every record."""

    def __init__(self, node: str) -> None:
        super().__init__()
        self.node = node

    def filter(self, record: logging.LogRecord) -> bool:
        record.node = self.node
        return True


def configure_logging(
    node: str = "local",
    level: int = DEFAULT_LOG_LEVEL,
    framework_level: int = DEFAULT_FRAMEWORK_LOG_LEVEL,
    stream: TextIO | None = None,
    twisted: bool = True,
) -> logging.Handler:
    """Send log records to `stream` (stderr by default) in `LOG_FORMAT`.

    Args:
        node: the node label that each line shows.
        level: the level of the root logger, which application loggers
            inherit.
        framework_level: the level of each of `FRAMEWORK_LOGGERS`.
        stream: where lines go; ``sys.stderr`` when None.
        twisted: also route Twisted's own log events, such as unhandled
            errors in Deferreds, into the ``twisted`` logger. Only the
            first call in a process does this.

    Returns:
        The installed handler. Calling this again replaces it.
    """
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == _HANDLER_NAME:
            root.removeHandler(existing)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(logging.Formatter(LOG_FORMAT, DATE_FORMAT))
    handler.addFilter(NodeFilter(node))
    root.addHandler(handler)
    root.setLevel(level)
    for name in FRAMEWORK_LOGGERS:
        logging.getLogger(name).setLevel(framework_level)
    global _twisted_routed
    if twisted and not _twisted_routed:
        # Twisted accepts one set of initial observers per process.
        _twisted_routed = True
        globalLogBeginner.beginLoggingTo(
            [cast(ILogObserver, STDLibLogObserver(name="twisted"))],
            redirectStandardIO=False,
        )
    return handler


_TWISTED_LEVELS = (
    (logging.CRITICAL, LogLevel.critical),
    (logging.ERROR, LogLevel.error),
    (logging.WARNING, LogLevel.warn),
    (logging.INFO, LogLevel.info),
)


class _TwistedHandler(logging.Handler):
    """A `logging` handler that emits each record as a Twisted log event.

    The event's namespace is the logger name and its level the record's, so
    twistd's ``[namespace#level]`` prefix replaces both in the message.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:
            self.handleError(record)
            return
        level = LogLevel.debug
        for threshold, twisted_level in _TWISTED_LEVELS:
            if record.levelno >= threshold:
                level = twisted_level
                break
        Logger(namespace=record.name).emit(level, "{text}", text=text)


def forward_to_twisted(
    node: str = "local",
    level: int = DEFAULT_LOG_LEVEL,
    framework_level: int = DEFAULT_FRAMEWORK_LOG_LEVEL,
) -> logging.Handler:
    """Send `logging` records to Twisted's log, as under ``twistd``.

    twistd owns the log destination (``--logfile``, ``--syslog`` or stdout
    with ``--nodaemon``) and adds the time, logger and level, so the text of
    an event is only the node and the message. The levels follow the same
    policy as `configure_logging`.
    """
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == _HANDLER_NAME:
            root.removeHandler(existing)
    handler = _TwistedHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(logging.Formatter("%(node)s %(message)s"))
    handler.addFilter(NodeFilter(node))
    root.addHandler(handler)
    root.setLevel(level)
    for name in FRAMEWORK_LOGGERS:
        if name != "twisted":
            logging.getLogger(name).setLevel(framework_level)
    return handler
