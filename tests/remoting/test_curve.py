"""CURVE: nodes with an authorized key talk; a node without one delivers nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import zmq
import zmq.auth

from spinoff.remoting import generate_keys
from tests.remoting.conftest import StartNode

pytestmark = pytest.mark.skipif(not zmq.has("curve"), reason="libzmq without CURVE")


def curve_args(
    secret_file: Path, authorized: Path | None = None, server_key: Path | None = None
) -> tuple[str, ...]:
    args = ["--curve-secret", str(secret_file)]
    if authorized is not None:
        args += ["--curve-authorized", str(authorized)]
    if server_key is not None:
        args += ["--curve-server-key", str(server_key)]
    return tuple(args)


@pytest.mark.timeout(60)
def test_unauthorized_key_refused(start_node: StartNode, tmp_path: Path) -> None:
    cluster = tmp_path / "cluster"
    stranger = tmp_path / "stranger"
    cluster.mkdir()
    stranger.mkdir()
    cluster_public, cluster_secret = generate_keys(cluster, "cluster")
    _, stranger_secret = generate_keys(stranger, "stranger")
    b = start_node(*curve_args(cluster_secret), "--spawn", "collector=Collector")
    member = start_node(*curve_args(cluster_secret), label="member")
    # The outsider has the cluster's public key but its own key pair.
    outsider = start_node(
        *curve_args(stranger_secret, cluster, cluster_public), label="outsider"
    )
    target = f"{b.address}/collector"

    outsider.command("tell_many", to=target, sender="outsider", count=5)
    member.command("tell_many", to=target, sender="member", count=5)

    member.command("count", to=target, sender="member", tag="member")
    assert member.wait_for("answer", tag="member")["answer"] == [5, True]
    refused = outsider.wait_for("RemoteDeadLetter", timeout=15)
    assert refused["message"] == "('seq', 'outsider', 0)"
    assert "CURVE" in refused["reason"]
    fault = b.wait_for("RemotingFault")
    assert "not authorized" in fault["reason"]
    secret_keys = [
        zmq.auth.load_certificate(path)[1] for path in (cluster_secret, stranger_secret)
    ]
    for node in (b, member, outsider):
        output = repr(node.events) + "".join(node.stderr)
        for secret_key in secret_keys:
            assert secret_key is not None
            assert secret_key.decode() not in output
    member.command("count", to=target, sender="outsider", tag="outsider")
    assert member.wait_for("answer", tag="outsider")["answer"] == [0, True]


@pytest.mark.timeout(60)
def test_plain_node_cannot_deliver(start_node: StartNode, tmp_path: Path) -> None:
    _, secret = generate_keys(tmp_path, "cluster")
    b = start_node(*curve_args(secret), "--spawn", "collector=Collector", label="b")
    member = start_node(*curve_args(secret), label="member")
    plain = start_node(label="plain")
    target = f"{b.address}/collector"

    plain.command("tell_many", to=target, sender="plain", count=3)

    # Far sooner than connect_timeout (30 s): the handshake's protocol error
    # drops the peer at once.
    dead = plain.wait_for("RemoteDeadLetter", timeout=10)
    assert "ZeroMQ handshake failed" in dead["reason"]
    member.command("count", to=target, sender="plain", tag="plain")
    assert member.wait_for("answer", tag="plain")["answer"] == [0, True]
