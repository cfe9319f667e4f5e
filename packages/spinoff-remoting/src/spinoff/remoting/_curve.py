"""CURVE keys: authentication and encryption of the links between nodes.

With `CurveKeys`, a hub's ROUTER socket is a CURVE server that accepts only
clients whose public key is authorized, checked by pyzmq's ZAP authenticator
in a background thread; every link is a CURVE client that must know the
public key of the node it dials. ZeroMQ refuses a connection whose key is
not authorized during the handshake, before any frame reaches the hub.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator
from zmq.utils import z85

__all__ = ["CurveKeys", "generate_keys", "load_public_keys", "start_authenticator"]

ZAP_DOMAIN = "spinoff"


def _key(value: bytes | str, what: str) -> bytes:
    """Return a Z85-encoded 32-byte key as bytes; raises ValueError otherwise."""
    key = value.encode("ascii") if isinstance(value, str) else bytes(value)
    try:
        valid = len(key) == 40 and len(z85.decode(key)) == 32
    except (ValueError, KeyError, IndexError):
        valid = False
    if not valid:
        raise ValueError(
            f"invalid CURVE {what}: expected 40 Z85 characters as written by "
            "generate_keys (zmq.curve_keypair), got a value of "
            f"{len(key)} characters"
        )
    return key


class CurveKeys:
    """The CURVE key pair of a node and the keys of the nodes it trusts.

    Args:
        public_key: this node's Z85 public key (40 characters).
        secret_key: this node's Z85 secret key (40 characters).
        authorized_keys: public keys of the nodes allowed to connect to this
            one. Default: only `public_key`, for a cluster whose nodes share
            one key pair.
        server_keys: the public key of each peer, by ``host:port``, used to
            dial it. The key ``"*"`` gives the key for every peer that is not
            listed. Without either, a peer is dialed with `public_key`,
            which again fits a cluster sharing one key pair.

    Raises:
        ValueError: a key is not a Z85-encoded 32-byte key.

    The secret key never appears in ``repr`` or in log lines.
    """

    def __init__(
        self,
        public_key: bytes | str,
        secret_key: bytes | str,
        *,
        authorized_keys: Iterable[bytes | str] | None = None,
        server_keys: Mapping[str, bytes | str] | None = None,
    ) -> None:
        self.public_key = _key(public_key, "public key")
        self.secret_key = _key(secret_key, "secret key")
        if authorized_keys is None:
            self.authorized_keys = frozenset({self.public_key})
        else:
            self.authorized_keys = frozenset(
                _key(key, "authorized key") for key in authorized_keys
            )
        self.server_keys = {
            address: _key(key, f"server key of {address}")
            for address, key in (server_keys or {}).items()
        }

    @classmethod
    def load(
        cls,
        secret_key_file: str | os.PathLike[str],
        *,
        authorized_keys: str | os.PathLike[str] | Iterable[bytes | str] | None = None,
        server_keys: Mapping[str, bytes | str] | None = None,
    ) -> CurveKeys:
        """Read this node's key pair from a ``.key_secret`` file.

        Args:
            secret_key_file: a file written by `generate_keys`.
            authorized_keys: a folder of ``.key`` public key files (see
                `load_public_keys`) or the keys themselves; see `CurveKeys`.
            server_keys: see `CurveKeys`.

        Raises:
            OSError: a file or folder cannot be read.
            ValueError: the file contains no secret key, or a key is invalid.
        """
        public_key, secret_key = zmq.auth.load_certificate(secret_key_file)
        if secret_key is None:
            raise ValueError(
                f"{os.fspath(secret_key_file)!r} holds no secret key; pass the "
                ".key_secret file that generate_keys wrote, not the .key file"
            )
        if isinstance(authorized_keys, (str, os.PathLike)):
            authorized_keys = load_public_keys(authorized_keys)
        return cls(
            public_key,
            secret_key,
            authorized_keys=authorized_keys,
            server_keys=server_keys,
        )

    def server_key(self, address: str, canonical: Callable[[str], str | None]) -> bytes:
        """Return the public key to dial `address` (``host:port``) with."""
        key = self.server_keys.get(address)
        if key is not None:
            return key
        for listed, listed_key in self.server_keys.items():
            if listed != "*" and canonical(listed) == address:
                return listed_key
        return self.server_keys.get("*", self.public_key)

    def __repr__(self) -> str:
        public = self.public_key.decode("ascii")
        return (
            f"CurveKeys(public_key={public!r}, secret_key=<hidden>, "
            f"{len(self.authorized_keys)} authorized keys, "
            f"{len(self.server_keys)} server keys)"
        )


def generate_keys(directory: str | os.PathLike[str], name: str) -> tuple[Path, Path]:
    """Write a new CURVE key pair as ``NAME.key`` and ``NAME.key_secret``.

    The ``.key`` file holds only the public key and may be copied to every
    node that should accept this one. The ``.key_secret`` file contains
    both keys, is created readable only by its owner and must stay on this node.
    Both use the certificate format of ``zmq.auth``, so `CurveKeys.load` and
    `load_public_keys` read them.

    Args:
        directory: the folder for the two files, created if missing.
        name: the base name of the files.

    Returns:
        The paths of the public and the secret key file.

    Raises:
        FileExistsError: one of the files exists already; keys are never
            overwritten.
        OSError: the folder cannot be created or written.
        RuntimeError: libzmq was built without CURVE support.
    """
    if not zmq.has("curve"):
        raise RuntimeError("this libzmq has no CURVE support; install a pyzmq wheel")
    public_key, secret_key = (key.decode("ascii") for key in zmq.curve_keypair())
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    public_file = folder / f"{name}.key"
    secret_file = folder / f"{name}.key_secret"
    header = "#   ZeroMQ CURVE {} certificate written by spinoff.remoting\n\n"
    body = f'metadata\ncurve\n    public-key = "{public_key}"\n'
    _write_new(public_file, 0o644, header.format("public") + body)
    _write_new(
        secret_file,
        0o600,
        header.format("secret") + body + f'    secret-key = "{secret_key}"\n',
    )
    return public_file, secret_file


def _write_new(path: Path, mode: int, text: str) -> None:
    """Create `path` with `mode` from the start, so no other user can open it."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(text)


def load_public_keys(directory: str | os.PathLike[str]) -> frozenset[bytes]:
    """Return the public keys of every ``*.key`` file in `directory`.

    Raises:
        OSError: `directory` is not a folder.
    """
    return frozenset(zmq.auth.load_certificates(directory))


def start_authenticator(
    context: zmq.Context[zmq.Socket[bytes]],
    keys: CurveKeys,
    on_denied: Callable[[bytes], None],
) -> ThreadAuthenticator:
    """Start a ZAP authenticator thread that accepts only `keys.authorized_keys`.

    `on_denied` is called on the authenticator thread with each rejected
    Z85 public key. Stop the authenticator before terminating `context`.
    """
    authenticator = ThreadAuthenticator(
        context, log=logging.getLogger("spinoff.remoting.auth")
    )
    authenticator.start()
    authenticator.configure_curve_callback(
        ZAP_DOMAIN, KeyCheck(keys.authorized_keys, on_denied)
    )
    return authenticator


class KeyCheck:
    """The ZAP credentials provider: accepts only authorized client keys.

    It runs on the authenticator thread. `on_denied` is called there with the
    rejected Z85 public key and must hand over to the reactor thread itself.
    """

    def __init__(
        self, authorized: frozenset[bytes], on_denied: Callable[[bytes], None]
    ) -> None:
        self._authorized = authorized
        self._on_denied = on_denied

    def callback(self, domain: str, key: bytes) -> bool:
        if key in self._authorized:
            return True
        try:
            self._on_denied(key)
        except Exception:
            logging.getLogger("spinoff.remoting").exception(
                "reporting a rejected CURVE key failed"
            )
        return False
