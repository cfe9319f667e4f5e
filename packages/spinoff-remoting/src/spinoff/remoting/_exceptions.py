"""Exceptions raised by the remoting hub.

Delivery problems never raise: they become `RemoteDeadLetter` events. What
raises is a mistake the caller can fix at once: a message that cannot travel,
a message above the size limit, or an address that cannot be bound.
"""

from __future__ import annotations

import errno

__all__ = ["AddressInUse", "MessageTooLarge", "UnserializableMessage"]

PLAIN_TYPES = "None, bool, int, float, str, bytes, tuple, list, dict, set, frozenset"


class UnserializableMessage(TypeError):
    """A message contains an object that is not allowed to travel between nodes.

    Raised by ``ref << message`` for a ref to an actor on another node.

    Attributes:
        target: the address of the actor the message was sent to.
        type_name: ``module.qualname`` of the offending type.
        reason: what is wrong with it.
    """

    def __init__(self, target: str, type_name: str, reason: str) -> None:
        super().__init__(target, type_name, reason)
        self.target = target
        self.type_name = type_name
        self.reason = reason

    def __str__(self) -> str:
        return (
            f"cannot send a message to {self.target}: {self.reason}; only plain "
            f"data ({PLAIN_TYPES}), refs and the classes given to "
            f"Hub(allowed_classes=[...]) travel between nodes, so add "
            f"{self.type_name} to allowed_classes on both nodes or send plain data"
        )


class MessageTooLarge(ValueError):
    """A serialized message is larger than the hub's ``max_message_size``.

    Attributes:
        target: the address of the actor the message was sent to.
        size: the serialized size in bytes.
        maximum: the configured maximum in bytes.
    """

    def __init__(self, target: str, size: int, maximum: int) -> None:
        super().__init__(target, size, maximum)
        self.target = target
        self.size = size
        self.maximum = maximum

    def __str__(self) -> str:
        return (
            f"cannot send a message to {self.target}: it serializes to "
            f"{self.size} bytes, above max_message_size={self.maximum}; raise "
            "max_message_size on both nodes or send the data in parts"
        )


class AddressInUse(OSError):
    """Another socket is already bound to the hub's ``host:port``.

    Attributes:
        address: the ``host:port`` that could not be bound.
    """

    def __init__(self, address: str) -> None:
        super().__init__(
            errno.EADDRINUSE,
            f"cannot bind the remoting hub to {address}: the port is already "
            "in use; stop the process that holds it or choose another port",
        )
        self.address = address
