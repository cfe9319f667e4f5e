"""The hub's settings: defaults and validation."""

from __future__ import annotations

from dataclasses import dataclass

from spinoff.remoting._curve import CurveKeys

__all__ = [
    "CACHE_SIZE",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_HEARTBEAT_INTERVAL",
    "DEFAULT_HEARTBEAT_TIMEOUT",
    "DEFAULT_HWM",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "DEFAULT_SEND_QUEUE_SIZE",
    "Settings",
    "check_settings",
]

DEFAULT_HEARTBEAT_INTERVAL = 0.1
DEFAULT_HEARTBEAT_TIMEOUT = 1.0
# Long enough for an operator to start the peer by hand after this node, and
# short enough that messages to a wrong address fail within half a minute.
DEFAULT_CONNECT_TIMEOUT = 30.0
DEFAULT_SEND_QUEUE_SIZE = 100_000
DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024
DEFAULT_HWM = 1000

CACHE_SIZE = 4096
"""Entries after which a lookup cache of the hub is cleared."""


@dataclass(frozen=True)
class Settings:
    """The tunables of a hub; see `Hub` for their meaning."""

    heartbeat_interval: float
    heartbeat_timeout: float
    connect_timeout: float
    send_queue_size: int
    max_message_size: int
    send_hwm: int
    receive_hwm: int
    curve: CurveKeys | None


def check_settings(settings: Settings) -> None:
    """Raise `ValueError` naming the first setting that is out of range."""
    if not settings.heartbeat_interval > 0:
        raise ValueError(
            f"heartbeat_interval={settings.heartbeat_interval!r}: expected seconds > 0"
        )
    if not settings.heartbeat_timeout > 2 * settings.heartbeat_interval:
        raise ValueError(
            f"heartbeat_timeout={settings.heartbeat_timeout!r}: expected more than "
            f"twice heartbeat_interval ({settings.heartbeat_interval} s), so that one "
            "late heartbeat does not make a live peer look dead"
        )
    if not settings.connect_timeout > 0:
        raise ValueError(
            f"connect_timeout={settings.connect_timeout!r}: expected seconds > 0"
        )
    for name in ("send_queue_size", "max_message_size"):
        value = getattr(settings, name)
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}={value!r}: expected an integer >= 1")
    for name in ("send_hwm", "receive_hwm"):
        value = getattr(settings, name)
        if not isinstance(value, int) or value < 0:
            raise ValueError(
                f"{name}={value!r}: expected an integer >= 0 (0: no limit)"
            )
