"""Options and service of ``twistd startnode``, the original spinoff spelling.

``twistd -n startnode -a module.Class -r :9700 -n other`` takes the options
of ``spinoff-node run``; the ``-n`` before ``startnode`` is twistd's
``--nodaemon`` and the one after it is ``--name``. twistd's own options
(``--pidfile``, ``--logfile``, ``--nodaemon``...) go before ``startnode``.

Differences from ``spinoff-node run``, all of them twistd's behaviour:

- Log lines go to twistd's log: stdout with ``--nodaemon``, else
  ``twistd.log`` or ``--logfile``.
- After SIGINT or SIGTERM, twistd ends the process with that signal instead
  of exiting with status 0.
- After the actor stops, the exit status is 0 even when a failure stopped it.
  The log reports the failure.
"""

from __future__ import annotations

import sys
from typing import Any, ClassVar, NoReturn

from twisted.python import usage

from spinoff.node.launch import DEFAULTS, NodeSettings
from spinoff.node.logs import forward_to_twisted
from spinoff.node.remoting_options import RemotingOptions
from spinoff.node.runner import ExitStatus, NodeRunner, NodeService
from spinoff.node.settings import LaunchError, add_working_directory_to_path

__all__ = ["Options", "makeService"]


def _fail(message: str) -> NoReturn:
    sys.stderr.write(f"twistd startnode: error: {message}\n")
    sys.stderr.flush()
    raise SystemExit(ExitStatus.BAD_INPUT)


class Options(usage.Options):
    """Command-line options of ``twistd startnode``."""

    synopsis = "[twistd options] startnode -a MODULE.CLASS [options]"
    longdesc = (
        "Start a spinoff node, spawn the actor on it and run until the actor "
        "stops. Application loggers log at --log-level, the spinoff.* loggers "
        "at --framework-log-level."
    )

    optFlags: ClassVar[list[list[Any]]] = [
        ["keep-running", "k", "Respawn the actor whenever it stops."],
    ]
    optParameters: ClassVar[list[list[Any]]] = [
        ["actor", "a", None, "Actor class to spawn, as module.Class."],
        ["remoting", "r", None, "Enable remoting on [host]:port (host: localhost)."],
        ["name", "n", None, "Name of the actor."],
        ["params", "i", None, "Keyword arguments as Python literals: \"k='v', n=1\"."],
        ["message", "m", None, "Python literal sent to the actor after each spawn."],
        [
            "supervise",
            "s",
            DEFAULTS.supervise,
            "stop, restart or resume a failed actor.",
        ],
        [
            "max-restarts",
            None,
            DEFAULTS.max_restarts,
            "With -s restart: restarts allowed per --restart-window.",
            int,
        ],
        ["restart-window", None, DEFAULTS.restart_window, "Seconds.", float],
        [
            "respawn-delay",
            None,
            DEFAULTS.respawn_delay,
            "With -k: seconds before a respawn.",
            float,
        ],
        [
            "stop-timeout",
            None,
            DEFAULTS.stop_timeout,
            "Seconds to wait for the node to stop.",
            float,
        ],
        [
            "heartbeat-interval",
            None,
            RemotingOptions.DEFAULT_HEARTBEAT_INTERVAL,
            "Seconds between heartbeats.",
            float,
        ],
        [
            "heartbeat-timeout",
            None,
            RemotingOptions.DEFAULT_HEARTBEAT_TIMEOUT,
            "Seconds of silence after which a connected peer counts as dead.",
            float,
        ],
        [
            "connect-timeout",
            None,
            RemotingOptions.DEFAULT_CONNECT_TIMEOUT,
            "Seconds that messages wait for a new peer to answer.",
            float,
        ],
        ["curve-secret-key", None, None, "This node's CURVE .key_secret file."],
        [
            "curve-authorized-keys",
            None,
            None,
            "Folder of .key files of the nodes allowed to connect.",
        ],
        ["log-level", None, DEFAULTS.log_level, "Level of application loggers."],
        [
            "framework-log-level",
            None,
            DEFAULTS.framework_log_level,
            "Level of the spinoff.* loggers.",
        ],
    ]

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self["allow"] = []
        self["curve-server-key"] = []
        self.settings: NodeSettings | None = None

    def opt_allow(self, path: str) -> None:
        """Class that messages from other nodes may contain (repeatable)."""
        self["allow"].append(path)

    def opt_curve_server_key(self, text: str) -> None:
        """HOST:PORT=FILE: the .key file of a peer with another key pair."""
        self["curve-server-key"].append(text)

    def postOptions(self) -> None:
        """Validate everything and check the port; exit with one line if invalid."""
        if self["actor"] is None:
            _fail("missing option --actor (-a); expected module.Class")
        add_working_directory_to_path()
        try:
            self.settings = _parse(self)
            self.settings.check_port()
        except LaunchError as exc:
            _fail(str(exc))


def _parse(options: Options) -> NodeSettings:
    return NodeSettings.parse(
        actor=options["actor"],
        remoting=options["remoting"],
        name=options["name"],
        params=options["params"],
        message=options["message"],
        supervise=options["supervise"],
        max_restarts=options["max-restarts"],
        restart_window=options["restart-window"],
        keep_running=bool(options["keep-running"]),
        respawn_delay=options["respawn-delay"],
        stop_timeout=options["stop-timeout"],
        log_level=options["log-level"],
        framework_log_level=options["framework-log-level"],
        heartbeat_interval=options["heartbeat-interval"],
        heartbeat_timeout=options["heartbeat-timeout"],
        connect_timeout=options["connect-timeout"],
        allow=options["allow"],
        curve_secret_key=options["curve-secret-key"],
        curve_authorized_keys=options["curve-authorized-keys"],
        curve_server_keys=options["curve-server-key"],
    )


def makeService(options: Any) -> NodeService:
    """Return the service that twistd starts after it has daemonized.

    The hub binds its port when the service starts, not here, because a
    ZeroMQ context does not survive the fork into the background.
    """
    settings = options.settings
    assert isinstance(settings, NodeSettings)
    forward_to_twisted(
        settings.node_label, settings.log_level, settings.framework_log_level
    )

    def build() -> NodeRunner:
        return settings.build_runner()

    return NodeService(build)
