"""The ``twistd startnode`` plugin: start a spinoff node under twistd.

The options and the service live in `spinoff.node.twistd`, which twistd
imports only when ``startnode`` is used.
"""

from twisted.application.service import ServiceMaker

startnode = ServiceMaker(  # type: ignore[no-untyped-call]
    "spinoff node",
    "spinoff.node.twistd",
    "Start a spinoff node that runs one actor (the options of spinoff-node run).",
    "startnode",
)
