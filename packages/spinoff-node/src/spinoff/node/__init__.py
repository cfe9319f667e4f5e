"""Start spinoff nodes from the command line, from twistd or from Python.

The pieces, which ``spinoff-node run`` and ``twistd startnode`` are built
from:

- `NodeRunner` spawns one top-level actor on a `spinoff.actor.Node`, sends it
  an optional first message, respawns it if asked to, and stops the node when
  the actor stops.
- `serve` runs the reactor around a runner until it finishes, stopping it on
  SIGINT or SIGTERM, and returns the `ExitStatus`.
- `NodeService` runs a runner inside a Twisted application instead.
- `NodeSettings` validates option values given as text and builds the hub,
  node and runner from them; `LaunchError` reports invalid input.
- `configure_logging` applies the launcher's log format and level policy.

See docs/node.md for examples.
"""

from spinoff.node.launch import NodeSettings as NodeSettings
from spinoff.node.logs import configure_logging as configure_logging
from spinoff.node.runner import NO_MESSAGE as NO_MESSAGE
from spinoff.node.runner import ExitStatus as ExitStatus
from spinoff.node.runner import NodeRunner as NodeRunner
from spinoff.node.runner import NodeService as NodeService
from spinoff.node.runner import serve as serve
from spinoff.node.settings import LaunchError as LaunchError
from spinoff.node.settings import parse_address as parse_address
from spinoff.node.settings import parse_message as parse_message
from spinoff.node.settings import parse_params as parse_params

__all__ = [
    "NO_MESSAGE",
    "ExitStatus",
    "LaunchError",
    "NodeRunner",
    "NodeService",
    "NodeSettings",
    "configure_logging",
    "parse_address",
    "parse_message",
    "parse_params",
    "serve",
]
