"""Creation of the remoting hub, kept apart so that local nodes never import it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spinoff.actor import InvalidAddress
from spinoff.node.settings import LaunchError

if TYPE_CHECKING:
    from spinoff.actor import Hub


def create_hub(address: str, options: dict[str, Any]) -> Hub:
    """Bind a ``spinoff.remoting.Hub`` to `address` (``host:port``).

    Raises:
        LaunchError: spinoff-remoting is missing, the port is in use, or the
            address or a setting is invalid.
    """
    try:
        from spinoff.remoting import AddressInUse
        from spinoff.remoting import Hub as RemotingHub
    except ImportError as exc:
        raise LaunchError(
            "--remoting",
            address,
            f"remoting is not available ({exc})",
            "install spinoff-remoting",
        ) from None
    try:
        hub: Hub = RemotingHub(address, **options)
    except AddressInUse:
        port = address.rpartition(":")[2]
        raise LaunchError(
            "--remoting",
            address,
            f"the port {port} is already in use",
            "stop the process that uses it or choose another port",
        ) from None
    except InvalidAddress as exc:
        raise LaunchError(
            "--remoting", address, exc.reason, "expected [host]:port"
        ) from None
    except OSError as exc:
        raise LaunchError(
            "--remoting",
            address,
            f"binding failed: {exc.strerror or exc}",
            "expected a host name or IP address of this machine",
        ) from None
    except ValueError as exc:
        raise LaunchError(
            "--remoting",
            address,
            f"invalid hub setting: {exc}",
            "check the remoting options",
        ) from None
    return hub
