"""Death watch across nodes: actors that stop, nodes that stop, die or restart.

Each watch in these tests is made twice on the watching node: by a `Watcher`
actor (``terminated`` events) and by a termination callback (``termination``
events, which carry the `NodeDown` reason). Each must fire exactly once.
"""

from __future__ import annotations

import socket
import time

import pytest

from tests.remoting.conftest import (
    Event,
    NodeProcess,
    StartNode,
    assert_echo,
    unused_address,
)

# Failure detection bound of the nodes in these tests, in seconds.
TIMEOUT = 1.0


def watch(watcher: NodeProcess, target: str, tag: str) -> None:
    """Watch `target` from `watcher` and wait until the watch is in place."""
    watcher.command("watch", target=target, tag=tag)
    # An answered ask proves the WATCH entry, sent before it, has arrived.
    watcher.command("ask", to=target, message="ping", tag=f"{tag}-ready")
    watcher.wait_for("answer", tag=f"{tag}-ready")


def assert_told_once(watcher: NodeProcess, tag: str, settle: float = 0.5) -> Event:
    """Wait for both notifications of watch `tag`, then check there are no more."""
    for name in ("terminated", "termination"):
        if not watcher.find(name, tag=tag):
            watcher.wait_for(name, timeout=15, tag=tag)
    termination = watcher.find("termination", tag=tag)[0]
    time.sleep(settle)
    assert len(watcher.find("terminated", tag=tag)) == 1
    assert len(watcher.find("termination", tag=tag)) == 1
    return termination


@pytest.mark.timeout(60)
def test_actor_stop_reaches_watcher(start_node: StartNode) -> None:
    a = start_node(label="a")
    b = start_node("--spawn", "echo=Echo", label="b")
    target = f"{b.address}/echo"
    watch(a, target, "w")

    b.command("stop_actor", to="/echo")

    termination = assert_told_once(a, "w")
    assert termination["ref"] == target
    assert termination["reason"] is None


@pytest.mark.timeout(60)
def test_remote_stop_request(start_node: StartNode) -> None:
    a = start_node(label="a")
    b = start_node("--spawn", "echo=Echo", label="b")
    target = f"{b.address}/echo"
    watch(a, target, "w")

    a.command("stop_actor", to=target)

    termination = assert_told_once(a, "w")
    assert termination["reason"] is None


@pytest.mark.timeout(60)
def test_watching_dead_actor(start_node: StartNode) -> None:
    a = start_node(label="a")
    b = start_node(label="b")

    a.command("watch", target=f"{b.address}/nobody", tag="w")

    termination = assert_told_once(a, "w")
    assert termination["reason"] is None


@pytest.mark.timeout(60)
def test_node_stop_reaches_watcher(start_node: StartNode) -> None:
    a = start_node("--heartbeat-timeout", "30", label="a")
    b = start_node("--spawn", "echo=Echo", "--spawn", "other=Echo", label="b")
    watch(a, f"{b.address}/echo", "actor")
    watch(a, f"{b.address}/other", "other")

    b.stop()

    # The actors stop before the hub, so the watchers hear of the actors.
    assert assert_told_once(a, "actor")["reason"] is None
    assert assert_told_once(a, "other", settle=0)["reason"] is None


@pytest.mark.timeout(60)
def test_ask_fails_on_node_stop(start_node: StartNode) -> None:
    # With a 30 s heartbeat timeout, only the stopping node's notices can end
    # the ask within the test's time.
    a = start_node("--heartbeat-timeout", "30", label="a")
    b = start_node("--spawn", "probe=Probe", label="b")
    a.command("ask", to=f"{b.address}/probe", message="never answered", tag="ask")
    b.wait_for("probe")

    b.stop()

    failed = a.wait_for("ask_failed", timeout=15, tag="ask")
    assert failed["error"] in ("ActorTerminated", "NodeDown")


@pytest.mark.timeout(60)
def test_node_kill_reaches_watcher(start_node: StartNode) -> None:
    a = start_node(label="a")
    b = start_node("--spawn", "echo=Echo", label="b")
    watch(a, f"{b.address}/echo", "w")

    killed_at = time.monotonic()
    b.kill()

    a.wait_for("termination", timeout=15, tag="w")
    detected_after = time.monotonic() - killed_at
    termination = assert_told_once(a, "w")
    assert termination["reason"].startswith(f"node {b.address} is down")
    # The failure detection bound, plus a generous margin for a loaded machine.
    assert detected_after < TIMEOUT + 1.5


@pytest.mark.timeout(60)
def test_ask_fails_on_node_kill(start_node: StartNode) -> None:
    a = start_node(label="a")
    b = start_node("--spawn", "probe=Probe", label="b")
    a.command("ask", to=f"{b.address}/probe", message="never answered", tag="ask")
    b.wait_for("probe")

    b.kill()

    failed = a.wait_for("ask_failed", timeout=15, tag="ask")
    assert failed["error"] == "NodeDown"


@pytest.mark.timeout(60)
def test_unanswered_handshake_tells_watcher(start_node: StartNode) -> None:
    address = unused_address()
    target = f"{address}/anyone"
    a = start_node("--connect-timeout", "0.5", label="a")

    a.command("tell", to=target, message="first")
    a.command("watch", target=target, tag="w")
    a.command("tell", to=target, message="second")

    dead = [a.wait_for("RemoteDeadLetter", timeout=10) for _ in range(2)]
    assert [event["message"] for event in dead] == ["'first'", "'second'"]
    assert "no answer to the handshake within 0.5 s" in dead[0]["reason"]
    termination = assert_told_once(a, "w")
    assert termination["ref"] == target
    assert termination["reason"].startswith(f"node {address} is down")
    assert "no answer to the handshake" in termination["reason"]


@pytest.mark.timeout(90)
def test_restart_on_same_port(start_node: StartNode) -> None:
    a = start_node("--spawn", "probe=Probe", label="a")
    b = start_node("--spawn", "echo=Echo", label="b")
    address = b.address
    watch(a, f"{address}/echo", "first")
    watch(a, f"{address}/echo", "second")

    b.kill()
    restarted = start_node("--address", address, "--spawn", "echo=Echo", label="b2")
    assert restarted.address == address

    for tag in ("first", "second"):
        termination = assert_told_once(a, tag, settle=0)
        assert termination["reason"].startswith(f"node {address} is down")
    assert_echo(a, restarted, "again")
    time.sleep(0.5)
    assert len(a.find("terminated")) == 2


@pytest.mark.timeout(60)
def test_dropped_peer_relinks(start_node: StartNode) -> None:
    # b is blocked for longer than a's detection bound, so a drops it. b's own
    # bound is long, so b learns it was dropped only from a's REJECT.
    a = start_node("--spawn", "probe=Probe", "--spawn", "echo=Echo", label="a")
    b = start_node(
        *("--heartbeat-timeout", "30"),
        *("--spawn", "probe=Probe", "--spawn", "echo=Echo"),
        label="b",
    )
    watch(a, f"{b.address}/echo", "a-watches-b")
    watch(b, f"{a.address}/echo", "b-watches-a")

    b.command("block", seconds=TIMEOUT * 2.5)
    b.wait_for("unblocked", timeout=15)

    assert "no heartbeat" in assert_told_once(a, "a-watches-b")["reason"]
    assert "rejected" in assert_told_once(b, "b-watches-a")["reason"]
    assert_echo(a, b, "a")
    assert_echo(b, a, "b")


@pytest.mark.timeout(60)
def test_blocked_peer_stays_alive(start_node: StartNode) -> None:
    a = start_node("--spawn", "probe=Probe", label="a")
    b = start_node("--spawn", "echo=Echo", label="b")
    watch(a, f"{b.address}/echo", "w")

    b.command("block", seconds=TIMEOUT / 2)
    b.wait_for("unblocked", timeout=10)

    assert_echo(a, b, "after")
    time.sleep(TIMEOUT * 2)
    assert a.find("terminated") == []
    assert a.find("termination") == []


@pytest.mark.timeout(60)
def test_blocked_watcher_keeps_peer(start_node: StartNode) -> None:
    # a's reactor is blocked for twice its detection bound. b's bound is long,
    # so b keeps the session, and a must not blame b for its own silence.
    a = start_node("--spawn", "probe=Probe", label="a")
    b = start_node("--heartbeat-timeout", "30", "--spawn", "echo=Echo", label="b")
    watch(a, f"{b.address}/echo", "w")

    a.command("block", seconds=TIMEOUT * 2)
    a.wait_for("unblocked", timeout=10)

    assert_echo(a, b, "after")
    assert a.find("terminated") == []
    assert a.find("termination") == []


@pytest.mark.timeout(60)
def test_port_free_after_stop(start_node: StartNode) -> None:
    b = start_node("--spawn", "echo=Echo", label="b")
    a = start_node(label="a")
    watch(a, f"{b.address}/echo", "w")
    host, port = b.address.rsplit(":", 1)

    b.stop()

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, int(port)))
