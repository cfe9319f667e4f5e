"""The hub's construction, settings, addresses and helpers, in one process.

These tests bind real sockets but run no reactor: the hub gets Twisted's
`MemoryReactorClock`, and nothing crosses a process boundary.
"""

from __future__ import annotations

import inspect
import logging
import re
import socket
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zmq
from twisted.internet.testing import MemoryReactorClock

import spinoff.remoting
from spinoff.actor import InvalidAddress, Node, NodeDown, Ref
from spinoff.actor.events import Events, RemoteDeadLetter, RemotingFault
from spinoff.remoting import AddressInUse, CurveKeys, Hub, _wire, generate_keys
from spinoff.remoting.__main__ import main as remoting_main

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parent.parent.parent
DOC = ROOT / "docs" / "remoting.md"


def fake_reactor() -> Any:
    """Return Twisted's fake reactor: file descriptors and a clock, never run."""
    return MemoryReactorClock()  # type: ignore[no-untyped-call]


@pytest.fixture
def make_hub() -> Iterator[Any]:
    hubs: list[Hub] = []

    def make(address: str = "127.0.0.1:0", **options: Any) -> Hub:
        hub = Hub(address, reactor=fake_reactor(), **options)
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        hub.stop()


def test_port_zero_binds_a_free_port(make_hub: Any) -> None:
    hub = make_hub("127.0.0.1:0")

    host, port = hub.address.rsplit(":", 1)

    assert host == "127.0.0.1"
    assert int(port) > 0


def test_empty_host_means_localhost(make_hub: Any) -> None:
    hub = make_hub(":0")

    assert hub.address.startswith("localhost:")


def test_port_in_use(make_hub: Any) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]

        with pytest.raises(AddressInUse) as raised:
            make_hub(f"127.0.0.1:{port}")

    assert raised.value.address == f"127.0.0.1:{port}"
    assert "already in use" in str(raised.value)
    assert isinstance(raised.value, OSError)


def test_foreign_host_fails_to_bind(make_hub: Any) -> None:
    # 192.0.2.0/24 is reserved for documentation and is never local.
    with pytest.raises(OSError, match=r"cannot bind the remoting hub to 192\.0\.2\.1"):
        make_hub("192.0.2.1:0")


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "has no port"),
        ("127.0.0.1:http", "not a number"),
        ("127.0.0.1:70000", "not a number in 0-65535"),
        ("0.0.0.0:9700", "peers cannot dial it"),
        ("*:9700", "peers cannot dial it"),
    ],
)
def test_invalid_address_is_rejected(address: str, reason: str) -> None:
    with pytest.raises(InvalidAddress, match=re.escape(reason)):
        Hub(address, reactor=fake_reactor())


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"heartbeat_interval": 0}, "heartbeat_interval=0"),
        ({"heartbeat_timeout": 0.2}, "more than twice heartbeat_interval"),
        ({"connect_timeout": 0}, "connect_timeout=0: expected seconds > 0"),
        ({"connect_timeout": float("nan")}, "connect_timeout=nan"),
        ({"send_queue_size": 0}, "send_queue_size=0"),
        ({"max_message_size": -1}, "max_message_size=-1"),
        ({"send_hwm": -1}, "send_hwm=-1"),
    ],
)
def test_invalid_settings_are_rejected(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Hub("127.0.0.1:0", reactor=fake_reactor(), **options)


def test_connect_timeout_default() -> None:
    defaults = inspect.signature(Hub).parameters

    assert defaults["heartbeat_timeout"].default == 1.0
    assert defaults["connect_timeout"].default == 30.0


def test_handshake_waits_for_connect_timeout(make_hub: Any) -> None:
    hub = make_hub(connect_timeout=3.0)
    clock = hub.reactor
    node = Node(hub=hub, clock=clock)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = node.lookup(f"127.0.0.1:{port}/anyone")
    dead: list[RemoteDeadLetter] = []
    told: list[BaseException | None] = []

    def terminated(ref: Ref, reason: BaseException | None) -> None:
        told.append(reason)

    Events.subscribe(RemoteDeadLetter, dead.append)
    try:
        target << "waiting"
        node.on_termination(target, terminated)
        # 2.9 s: well past heartbeat_timeout (1 s), within connect_timeout.
        clock.pump([0.1] * 29)
        assert dead == []
        assert told == []

        clock.pump([0.1] * 3)
    finally:
        Events.unsubscribe(RemoteDeadLetter, dead.append)

    assert [event.message for event in dead] == ["waiting"]
    assert "no answer to the handshake within 3.0 s" in dead[0].reason
    assert len(told) == 1
    assert isinstance(told[0], NodeDown)


def test_is_local_compares_ip_addresses(make_hub: Any) -> None:
    hub = make_hub("localhost:0")
    port = hub.address.rsplit(":", 1)[1]

    assert hub.is_local(f"localhost:{port}")
    assert hub.is_local(f"127.0.0.1:{port}")
    assert not hub.is_local(f"127.0.0.1:{int(port) + 1}")
    assert not hub.is_local(f"192.0.2.1:{port}")


def test_stop_frees_the_port_at_once(make_hub: Any) -> None:
    hub = make_hub()
    host, port = hub.address.rsplit(":", 1)
    stopped: list[object] = []

    hub.stop().addCallback(stopped.append)

    assert stopped == [None]
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, int(port)))


def test_stop_twice_same_deferred(make_hub: Any) -> None:
    hub = make_hub()

    assert hub.stop() is hub.stop()


def test_hub_belongs_to_one_node(make_hub: Any) -> None:
    hub = make_hub()
    reactor = fake_reactor()
    Node(hub=hub, clock=reactor)

    with pytest.raises(RuntimeError, match="already belongs to"):
        Node(hub=hub, clock=reactor)


def test_events_log_under_remoting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="spinoff.remoting")
    Events._limiter.windows.clear()

    Events.publish(RemotingFault("127.0.0.1:1", "a test fault"))

    names = [record.name for record in caplog.records]
    assert names == ["spinoff.remoting"]


def test_generate_keys_private_secret(tmp_path: Path) -> None:
    public_file, secret_file = generate_keys(tmp_path, "node")

    keys = CurveKeys.load(secret_file, authorized_keys=tmp_path)

    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert keys.authorized_keys == {keys.public_key}
    assert keys.public_key.decode() in public_file.read_text()
    assert keys.secret_key.decode() not in public_file.read_text()
    assert keys.secret_key.decode() not in repr(keys)


def test_generate_keys_never_overwrites(tmp_path: Path) -> None:
    generate_keys(tmp_path, "node")

    with pytest.raises(FileExistsError):
        generate_keys(tmp_path, "node")


def test_keygen_command_writes_both_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = remoting_main(["keygen", str(tmp_path), "node"])

    assert status == 0
    assert (tmp_path / "node.key").exists()
    assert (tmp_path / "node.key_secret").exists()
    assert "keep it private" in capsys.readouterr().out


def test_keygen_command_creates_missing_folder(tmp_path: Path) -> None:
    folder = tmp_path / "keys" / "cluster"

    status = remoting_main(["keygen", str(folder), "node"])

    assert status == 0
    assert (folder / "node.key").exists()


def test_keygen_command_keeps_existing_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    remoting_main(["keygen", str(tmp_path), "node"])

    status = remoting_main(["keygen", str(tmp_path), "node"])

    assert status == 1
    assert capsys.readouterr().err.startswith(
        "python -m spinoff.remoting keygen: error: cannot write the key pair:"
    )


def test_curve_keys_reject_invalid_keys() -> None:
    public = zmq.curve_keypair()[0]

    with pytest.raises(ValueError, match="invalid CURVE secret key"):
        CurveKeys(public, "too short")


def test_server_key_by_address() -> None:
    public, secret = zmq.curve_keypair()
    other, _ = zmq.curve_keypair()
    fallback, _ = zmq.curve_keypair()
    keys = CurveKeys(
        public, secret, server_keys={"localhost:9700": other, "*": fallback}
    )

    def canonical(address: str) -> str:
        return address.replace("localhost", "127.0.0.1")

    assert keys.server_key("127.0.0.1:9700", canonical) == other
    assert keys.server_key("127.0.0.1:9701", canonical) == fallback


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (b"D\x01\x05\x00", "truncated entry header"),
        (b"D" + struct.pack("<BI", 1, 10) + b"abc", "truncated"),
        (b"D" + struct.pack("<BI", 42, 0), "unknown kind 42"),
        (b"D" + struct.pack("<BI", 1, 2000) + b"x" * 2000, "above max_message_size"),
    ],
)
def test_malformed_data_frames(frame: bytes, reason: str) -> None:
    with pytest.raises(_wire.FrameError, match=reason):
        list(_wire.entries(frame, max_entry=1000))


def test_hello_round_trips() -> None:
    frame = _wire.hello(b"i" * 8, b"l" * 8, "127.0.0.1:9700")

    hello = _wire.parse_hello(frame)

    assert hello.version == _wire.VERSION
    assert hello.incarnation == b"i" * 8
    assert hello.link_id == b"l" * 8
    assert hello.address == "127.0.0.1:9700"


def test_settings_are_documented() -> None:
    table = DOC.read_text().split("## Settings", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE))

    assert documented == set(inspect.signature(Hub).parameters) - {"address"}


def test_public_names_are_documented() -> None:
    table = DOC.read_text()
    row = r"^\| `(\w+)` \| (?:class|function|exception) \|"
    documented = set(re.findall(row, table, re.MULTILINE))

    assert set(spinoff.remoting.__all__) == documented
