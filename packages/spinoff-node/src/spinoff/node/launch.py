"""Validated launcher settings, shared by ``spinoff-node run`` and ``twistd startnode``.

`NodeSettings.parse` turns the option values of either front end into Python
objects and raises `LaunchError` on the first invalid one, before anything
binds a socket or spawns an actor. `NodeSettings.build_runner` then creates
the hub, the node and the `NodeRunner` from them.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from spinoff.actor import Actor, Node, Props, supervision
from spinoff.node.logs import DEFAULT_FRAMEWORK_LOG_LEVEL, DEFAULT_LOG_LEVEL
from spinoff.node.remoting_options import RemotingOptions
from spinoff.node.runner import NO_MESSAGE, NodeRunner
from spinoff.node.settings import (
    LaunchError,
    check_actor_arguments,
    load_actor,
    parse_actor_name,
    parse_address,
    parse_log_level,
    parse_message,
    parse_params,
    parse_supervision,
)

if TYPE_CHECKING:
    from spinoff.actor import Hub

__all__ = ["DEFAULTS", "NodeSettings", "check_port_free"]


@dataclass(frozen=True)
class _Defaults:
    supervise: str = "stop"
    max_restarts: int = 10
    restart_window: float = 60.0
    respawn_delay: float = 1.0
    stop_timeout: float = 5.0
    log_level: str = "DEBUG"
    framework_log_level: str = "INFO"


DEFAULTS = _Defaults()
"""Defaults of the options that both front ends share."""


@dataclass(frozen=True)
class NodeSettings:
    """Everything needed to start a node, already validated.

    Attributes:
        actor: the actor class to run.
        params: keyword arguments for its ``pre_start``, or ``run`` for a
            `Process`.
        name: the actor's name; generated when None.
        message: the first message, or `NO_MESSAGE`.
        address: ``host:port`` to bind the remoting hub to; None for a node
            without remoting.
        supervision: the node guardian's decision for a failed actor.
        keep_running: respawn the actor whenever it stops.
        respawn_delay: seconds between a stop and the respawn.
        stop_timeout: seconds to wait for the node to stop.
        log_level: level of the application loggers.
        framework_log_level: level of the framework loggers.
        remoting: heartbeat and handshake timings, allowed classes and CURVE
            keys of the hub; unused without `address`.
    """

    actor: type[Actor]
    params: dict[str, Any] = field(default_factory=dict)
    name: str | None = None
    message: Any = NO_MESSAGE
    address: str | None = None
    supervision: supervision.Decision = supervision.Stop
    keep_running: bool = False
    respawn_delay: float = DEFAULTS.respawn_delay
    stop_timeout: float = DEFAULTS.stop_timeout
    log_level: int = DEFAULT_LOG_LEVEL
    framework_log_level: int = DEFAULT_FRAMEWORK_LOG_LEVEL
    remoting: RemotingOptions = field(default_factory=RemotingOptions)

    @classmethod
    def parse(
        cls,
        *,
        actor: str,
        remoting: str | None = None,
        name: str | None = None,
        params: str | None = None,
        message: str | None = None,
        supervise: str = DEFAULTS.supervise,
        max_restarts: int = DEFAULTS.max_restarts,
        restart_window: float = DEFAULTS.restart_window,
        keep_running: bool = False,
        respawn_delay: float = DEFAULTS.respawn_delay,
        stop_timeout: float = DEFAULTS.stop_timeout,
        log_level: str = DEFAULTS.log_level,
        framework_log_level: str = DEFAULTS.framework_log_level,
        heartbeat_interval: float = RemotingOptions.DEFAULT_HEARTBEAT_INTERVAL,
        heartbeat_timeout: float = RemotingOptions.DEFAULT_HEARTBEAT_TIMEOUT,
        connect_timeout: float = RemotingOptions.DEFAULT_CONNECT_TIMEOUT,
        allow: Sequence[str] = (),
        curve_secret_key: str | None = None,
        curve_authorized_keys: str | None = None,
        curve_server_keys: Sequence[str] = (),
    ) -> NodeSettings:
        """Validate option values given as text, in the order a user reads them.

        ``supervise="restart"`` becomes ``Restart(max=max_restarts,
        within=restart_window)``: an actor that keeps failing is stopped
        instead of being restarted in a tight loop.

        Raises:
            LaunchError: the first invalid value.
        """
        address = parse_address(remoting) if remoting is not None else None
        actor_class = load_actor(actor)
        parsed_params = parse_params(params or "")
        check_actor_arguments(actor_class, parsed_params, params or "")
        first_message = parse_message(message) if message is not None else NO_MESSAGE
        if name is not None:
            parse_actor_name(name)
        decision = parse_supervision(supervise)
        if decision is supervision.Restart:
            _require(max_restarts >= 1, "--max-restarts", max_restarts, "1 or more")
            _require(restart_window > 0, "--restart-window", restart_window, "> 0 s")
            decision = supervision.Restart(max=max_restarts, within=restart_window)
        _require(respawn_delay >= 0, "--respawn-delay", respawn_delay, "0 s or more")
        _require(stop_timeout > 0, "--stop-timeout", stop_timeout, "> 0 s")
        remoting_options = RemotingOptions.parse(
            heartbeat_interval=heartbeat_interval,
            heartbeat_timeout=heartbeat_timeout,
            connect_timeout=connect_timeout,
            allow=allow,
            curve_secret_key=curve_secret_key,
            curve_authorized_keys=curve_authorized_keys,
            curve_server_keys=curve_server_keys,
        )
        return cls(
            actor=actor_class,
            params=parsed_params,
            name=name,
            message=first_message,
            address=address,
            supervision=decision,
            keep_running=keep_running,
            respawn_delay=respawn_delay,
            stop_timeout=stop_timeout,
            log_level=parse_log_level(log_level),
            framework_log_level=parse_log_level(
                framework_log_level, "--framework-log-level"
            ),
            remoting=remoting_options,
        )

    @property
    def factory(self) -> type[Actor] | Props:
        """The actor class, with `params` attached when there are any."""
        return self.actor.using(**self.params) if self.params else self.actor

    @property
    def node_label(self) -> str:
        """The node as log lines show it: its address, or ``local``."""
        return self.address or "local"

    def check_port(self) -> None:
        """Raise `LaunchError` unless the remoting address can be bound now."""
        if self.address is not None:
            check_port_free(self.address)

    def build_hub(self) -> Hub | None:
        """Bind and return the remoting hub; None without an address.

        Raises:
            LaunchError: the address cannot be bound.
        """
        if self.address is None:
            return None
        from spinoff.node._remoting import create_hub

        return create_hub(self.address, self.remoting.hub_options())

    def build_runner(self) -> NodeRunner:
        """Create the hub (binding its port), the node and the runner."""
        hub = self.build_hub()
        node = Node(hub=hub, supervision=self.supervision)
        return NodeRunner(
            node,
            self.factory,
            name=self.name,
            message=self.message,
            keep_running=self.keep_running,
            respawn_delay=self.respawn_delay,
            stop_timeout=self.stop_timeout,
        )


def _require(valid: bool, option: str, value: float, expected: str) -> None:
    if not valid:
        raise LaunchError(option, value, "out of range", f"expected {expected}")


def check_port_free(address: str, option: str = "--remoting") -> None:
    """Bind `address` (``host:port``) with a throw-away TCP socket, then close it.

    The probe sets ``SO_REUSEADDR`` as ZeroMQ does, so a port that only has
    connections in TIME_WAIT counts as free. Another process can still take
    the port between this check and the real bind.

    Raises:
        LaunchError: the host does not resolve or is not local, or the port
            is in use.
    """
    host, _, port_text = address.rpartition(":")
    port = int(port_text)
    host = host.strip("[]")
    try:
        infos = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise LaunchError(
            option,
            address,
            f"the host {host!r} does not resolve ({exc.strerror})",
            "expected a host name or IP address of this machine",
        ) from None
    # ZeroMQ binds the first IPv4 address of a name unless IPv6 is enabled.
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    family, kind, proto, _, sockaddr = infos[0]
    probe = socket.socket(family, kind, proto)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(sockaddr)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise LaunchError(
                option,
                address,
                f"the port {port} is already in use",
                "stop the process that uses it or choose another port",
            ) from None
        if exc.errno == errno.EADDRNOTAVAIL:
            problem = f"{host!r} is not an address of this machine"
        else:
            problem = f"binding failed: {exc.strerror or exc}"
        raise LaunchError(
            option, address, problem, "expected a local host name or IP address"
        ) from None
    finally:
        probe.close()
