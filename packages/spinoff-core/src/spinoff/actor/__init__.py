"""Actors, refs, nodes and supervision: the public face of ``spinoff-core``.

Everything listed in ``__all__`` is documented and stable. Modules whose
names start with an underscore are the implementation.

The runtime logs under ``spinoff.actor``. As a library it adds only a
`logging.NullHandler`, so an application that wants to see dead letters and
failures configures logging itself (the ``spinoff-node`` launcher does).
"""

import logging as _logging

from spinoff.actor._actor import Actor as Actor
from spinoff.actor._actor import Props as Props
from spinoff.actor._node import Hub as Hub
from spinoff.actor._node import Node as Node
from spinoff.actor._node import current_node as current_node
from spinoff.actor._node import default_node as default_node
from spinoff.actor._node import lookup as lookup
from spinoff.actor._node import set_default_node as set_default_node
from spinoff.actor._node import spawn as spawn
from spinoff.actor._ref import Ref as Ref
from spinoff.actor._ref import Uri as Uri
from spinoff.actor.exceptions import ActorTerminated as ActorTerminated
from spinoff.actor.exceptions import InvalidActorName as InvalidActorName
from spinoff.actor.exceptions import InvalidAddress as InvalidAddress
from spinoff.actor.exceptions import NameConflict as NameConflict
from spinoff.actor.exceptions import NodeDown as NodeDown
from spinoff.actor.exceptions import NotAnActor as NotAnActor
from spinoff.actor.exceptions import Unhandled as Unhandled
from spinoff.actor.exceptions import UnhandledTermination as UnhandledTermination

__all__ = [
    "Actor",
    "ActorTerminated",
    "Hub",
    "InvalidActorName",
    "InvalidAddress",
    "NameConflict",
    "Node",
    "NodeDown",
    "NotAnActor",
    "Props",
    "Ref",
    "Unhandled",
    "UnhandledTermination",
    "Uri",
    "current_node",
    "default_node",
    "lookup",
    "set_default_node",
    "spawn",
]

_logging.getLogger("spinoff.actor").addHandler(_logging.NullHandler())
