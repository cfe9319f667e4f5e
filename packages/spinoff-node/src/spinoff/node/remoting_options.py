"""Remoting options of the launcher and their mapping to ``spinoff.remoting.Hub``.

The module imports nothing from spinoff-remoting (and so nothing from pyzmq)
until a hub is built, which keeps local nodes and ``--help`` fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from spinoff.node.settings import LaunchError, parse_address

__all__ = ["RemotingOptions"]


@dataclass(frozen=True)
class RemotingOptions:
    """Heartbeat and handshake timings, allowed classes and CURVE keys of a hub.

    Attributes:
        heartbeat_interval: seconds between heartbeats to each peer.
        heartbeat_timeout: seconds of silence after which a connected peer is
            dead.
        connect_timeout: seconds a new peer may take to reply to the
            handshake before the messages queued for it become dead letters.
        allowed_classes: classes that may travel besides plain data and refs.
        curve_secret_key: this node's ``.key_secret`` file; enables CURVE.
        curve_authorized_keys: folder of ``.key`` files of the nodes allowed
            to connect; None allows only this node's own public key.
        curve_server_keys: ``.key`` file of each peer by ``host:port``, for
            peers whose key pair differs from this node's.
    """

    # The defaults of spinoff.remoting.Hub, repeated so that --help does not
    # import pyzmq. A test checks that they agree.
    DEFAULT_HEARTBEAT_INTERVAL: ClassVar[float] = 0.1
    DEFAULT_HEARTBEAT_TIMEOUT: ClassVar[float] = 1.0
    DEFAULT_CONNECT_TIMEOUT: ClassVar[float] = 30.0

    heartbeat_interval: float = DEFAULT_HEARTBEAT_INTERVAL
    heartbeat_timeout: float = DEFAULT_HEARTBEAT_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    allowed_classes: tuple[type, ...] = ()
    curve_secret_key: str | None = None
    curve_authorized_keys: str | None = None
    curve_server_keys: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(
        cls,
        *,
        heartbeat_interval: float = DEFAULT_HEARTBEAT_INTERVAL,
        heartbeat_timeout: float = DEFAULT_HEARTBEAT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        allow: Sequence[str] = (),
        curve_secret_key: str | None = None,
        curve_authorized_keys: str | None = None,
        curve_server_keys: Sequence[str] = (),
    ) -> RemotingOptions:
        """Validate the remoting options given as text.

        Raises:
            LaunchError: a non-positive interval, a heartbeat timeout not
                longer than twice the interval, a non-positive connect
                timeout, a class that does not import, a server key not
                given as ``host:port=FILE``, or CURVE options without
                ``--curve-secret-key``.
        """
        if not heartbeat_interval > 0:
            raise LaunchError(
                "--heartbeat-interval",
                heartbeat_interval,
                "must be positive",
                "expected seconds greater than 0",
            )
        if not heartbeat_timeout > 2 * heartbeat_interval:
            raise LaunchError(
                "--heartbeat-timeout",
                heartbeat_timeout,
                "must be more than twice --heartbeat-interval "
                f"({heartbeat_interval} s), so that one late heartbeat does not "
                "make a live peer look dead",
                "raise it or lower --heartbeat-interval",
            )
        if not connect_timeout > 0:
            raise LaunchError(
                "--connect-timeout",
                connect_timeout,
                "must be positive",
                "expected seconds greater than 0",
            )
        if curve_secret_key is None:
            for option, given in (
                ("--curve-authorized-keys", curve_authorized_keys),
                ("--curve-server-key", curve_server_keys or None),
            ):
                if given is not None:
                    raise LaunchError(
                        option,
                        given,
                        "needs --curve-secret-key",
                        "give this node's .key_secret file too",
                    )
        return cls(
            heartbeat_interval=heartbeat_interval,
            heartbeat_timeout=heartbeat_timeout,
            connect_timeout=connect_timeout,
            allowed_classes=tuple(_load_class(path) for path in allow),
            curve_secret_key=curve_secret_key,
            curve_authorized_keys=curve_authorized_keys,
            curve_server_keys=dict(
                _parse_server_key(text) for text in curve_server_keys
            ),
        )

    def hub_options(self) -> dict[str, Any]:
        """Return the keyword arguments for ``spinoff.remoting.Hub``.

        Reads the CURVE key files, if any.

        Raises:
            LaunchError: a key file or folder cannot be read or contains no key.
        """
        options: dict[str, Any] = {
            "heartbeat_interval": self.heartbeat_interval,
            "heartbeat_timeout": self.heartbeat_timeout,
            "connect_timeout": self.connect_timeout,
        }
        if self.allowed_classes:
            options["allowed_classes"] = self.allowed_classes
        if self.curve_secret_key is not None:
            options["curve"] = self._load_curve_keys(self.curve_secret_key)
        return options

    def _load_curve_keys(self, secret_key_file: str) -> Any:
        import zmq.auth

        from spinoff.remoting import CurveKeys

        server_keys: dict[str, bytes] = {}
        for address, path in self.curve_server_keys.items():
            try:
                server_keys[address] = zmq.auth.load_certificate(path)[0]
            except (OSError, ValueError) as exc:
                raise LaunchError(
                    "--curve-server-key",
                    f"{address}={path}",
                    f"reading the public key failed: {exc}",
                    "expected a .key file written by python -m spinoff.remoting keygen",
                ) from None
        try:
            return CurveKeys.load(
                secret_key_file,
                authorized_keys=self.curve_authorized_keys,
                server_keys=server_keys,
            )
        except (OSError, ValueError) as exc:
            raise LaunchError(
                "--curve-secret-key",
                secret_key_file,
                f"loading the CURVE keys failed: {' '.join(str(exc).split())}",
                "expected a .key_secret file and a folder of .key files written "
                "by python -m spinoff.remoting keygen",
            ) from None


def _parse_server_key(text: str) -> tuple[str, str]:
    address, equals, path = text.partition("=")
    if not equals or not path:
        raise LaunchError(
            "--curve-server-key",
            text,
            "no '=' between the address and the file",
            "expected HOST:PORT=FILE",
        )
    return parse_address(address, "--curve-server-key"), path


def _load_class(path: str) -> type:
    module_name, dot, attribute = path.rpartition(".")
    if not dot or not module_name:
        raise LaunchError("--allow", path, "no module part", "expected module.Class")
    try:
        module = importlib.import_module(module_name)
        found = getattr(module, attribute)
    except Exception as exc:
        raise LaunchError(
            "--allow",
            path,
            f"importing it failed: {type(exc).__name__}: {' '.join(str(exc).split())}",
            "expected module.Class of an importable module",
        ) from None
    if not isinstance(found, type):
        raise LaunchError(
            "--allow", path, f"is a {type(found).__name__}", "expected a class"
        )
    return found
