"""ZeroMQ remoting for spinoff: the public face of ``spinoff-remoting``.

Give a node a `Hub` to let its actors exchange messages with actors on other
nodes::

    from spinoff.actor import Node
    from spinoff.remoting import Hub

    node = Node(hub=Hub("127.0.0.1:9700"))
    node.lookup("127.0.0.1:9701/other") << ("hello!", some_ref)

Public names:

- `Hub`: binds a node's address and carries its messages; every tunable is
  a constructor argument.
- `CurveKeys`, `generate_keys`, `load_public_keys`: optional CURVE
  authentication and encryption of the links between nodes.
- `UnserializableMessage`, `MessageTooLarge`, `AddressInUse`: raised for
  mistakes the caller can fix.

Delivery problems never raise; they are published on
`spinoff.actor.events.Events` as `RemoteDeadLetter`, `RemotingFault` and
`MessageRejected`. The hub logs under ``spinoff.remoting``: peers connecting
and lost at INFO, dropped input at WARNING. ``python -m spinoff.remoting
keygen DIR NAME`` writes a CURVE key pair. Everything else lives in modules
whose names start with an underscore.
"""

import logging

from spinoff.remoting._curve import CurveKeys as CurveKeys
from spinoff.remoting._curve import generate_keys as generate_keys
from spinoff.remoting._curve import load_public_keys as load_public_keys
from spinoff.remoting._exceptions import AddressInUse as AddressInUse
from spinoff.remoting._exceptions import MessageTooLarge as MessageTooLarge
from spinoff.remoting._exceptions import (
    UnserializableMessage as UnserializableMessage,
)
from spinoff.remoting._hub import Hub as Hub

__all__ = [
    "AddressInUse",
    "CurveKeys",
    "Hub",
    "MessageTooLarge",
    "UnserializableMessage",
    "generate_keys",
    "load_public_keys",
]

logging.getLogger("spinoff.remoting").addHandler(logging.NullHandler())
