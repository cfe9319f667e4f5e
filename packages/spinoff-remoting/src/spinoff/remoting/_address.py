"""Node addresses: parsing, ZeroMQ endpoints and host name resolution.

A node address is ``host:port``. Two addresses name the same node when their
hosts resolve to the same IP address and their ports are equal, so
``localhost:9700`` and ``127.0.0.1:9700`` reach one node over one link.
"""

from __future__ import annotations

import ipaddress
import socket

from spinoff.actor.exceptions import InvalidAddress

__all__ = ["Resolver", "parse_bind_address", "zmq_endpoint"]

_WILDCARD_HOSTS = frozenset({"*", "0.0.0.0", "::", "[::]"})
_CACHE_SIZE = 4096


def parse_bind_address(text: str) -> tuple[str, int]:
    """Split ``host:port`` into its host and port; port 0 means any free port.

    An empty host means ``localhost``.

    Raises:
        InvalidAddress: `text` is not ``host:port``, the port is not in
            0-65535, or the host is a wildcard that peers could not dial.
    """
    if not isinstance(text, str):
        raise InvalidAddress(text, f"expected a string, got {type(text).__name__}")
    host, colon, port_text = text.rpartition(":")
    if not colon:
        raise InvalidAddress(text, "the node address has no port")
    if not port_text.isdigit() or int(port_text) > 65535:
        raise InvalidAddress(text, f"the port {port_text!r} is not a number in 0-65535")
    if "/" in host:
        raise InvalidAddress(text, f"the host {host!r} contains '/'")
    if host in _WILDCARD_HOSTS:
        raise InvalidAddress(
            text,
            f"the host {host!r} binds every interface but peers cannot dial it; "
            "give the host name or IP address that peers use",
        )
    return host or "localhost", int(port_text)


def zmq_endpoint(host: str, port: int) -> str:
    """Return the ZeroMQ TCP endpoint for `host` and `port` (0 for any port)."""
    return f"tcp://{host}:{port if port else '*'}"


def is_ipv6(host: str) -> bool:
    """Return whether `host` is a bracketed IPv6 literal such as ``[::1]``."""
    return host.startswith("[")


class Resolver:
    """Resolve host names to IP addresses, caching each result.

    NOTE: resolving a host name other than an IP literal calls
    `socket.getaddrinfo`, which blocks the reactor on the first use of each
    name: 45 microseconds for ``localhost`` on the development machine, and
    as long as a DNS query takes for other names.
    """

    def __init__(self) -> None:
        self._ips: dict[str, str | None] = {}

    def host_ip(self, host: str) -> str | None:
        """Return the IP address of `host` (bracketed for IPv6), or None."""
        try:
            return self._ips[host]
        except KeyError:
            pass
        ip = _resolve(host)
        if len(self._ips) >= _CACHE_SIZE:
            self._ips.clear()
        self._ips[host] = ip
        return ip

    def canonical(self, address: str) -> str | None:
        """Return ``ip:port`` for ``host:port``; None if the host does not resolve."""
        host, colon, port_text = address.rpartition(":")
        if not colon or not port_text.isdigit():
            return None
        ip = self.host_ip(host or "localhost")
        if ip is None:
            return None
        return f"{ip}:{int(port_text)}"


def _resolve(host: str) -> str | None:
    literal = host[1:-1] if is_ipv6(host) and host.endswith("]") else host
    try:
        ip = ipaddress.ip_address(literal)
    except ValueError:
        pass
    else:
        return f"[{ip}]" if ip.version == 6 else str(ip)
    try:
        infos = socket.getaddrinfo(literal, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return None
    # ZeroMQ dials the first IPv4 address of a name unless IPv6 is enabled.
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    for family, _, _, _, sockaddr in infos:
        if family == socket.AF_INET:
            return str(sockaddr[0])
        if family == socket.AF_INET6:
            return f"[{ipaddress.ip_address(sockaddr[0])}]"
    return None
