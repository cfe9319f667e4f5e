"""Messages between nodes in separate processes: delivery, order, refs, sizes."""

from __future__ import annotations

import hashlib
import time

import pytest

from tests.remoting.conftest import StartNode, assert_echo, unused_address

ALLOW_GREETING = ("--allow", "tests.remoting.actors:Greeting")


@pytest.mark.timeout(60)
def test_example2_greetings_and_acks(start_node: StartNode) -> None:
    other = start_node("--log", "examples", label="other")
    other.command("spawn_example", name="other", actor="ExampleActor", params={})
    greeter = start_node("--log", "examples", label="greeter")

    greeter.command(
        "spawn_example",
        name="greeter",
        actor="ExampleProcess",
        params={"other_actor": f"{other.address}/other"},
    )

    for _ in range(3):
        received = other.wait_for("log", timeout=15, logger="examples.example2")
        while not received["message"].endswith(f"from <ref {greeter.address}/greeter>"):
            received = other.wait_for("log", timeout=15, logger="examples.example2")
        assert "'hello!'" in received["message"]
        acked = greeter.wait_for("log", timeout=15, logger="examples.example2")
        while "got 'ack'" not in acked["message"]:
            acked = greeter.wait_for("log", timeout=15, logger="examples.example2")
        assert f"from <ref {other.address}/other>" in acked["message"]


@pytest.mark.timeout(90)
def test_ten_thousand_each_way_in_order(start_node: StartNode) -> None:
    a = start_node("--spawn", "echo=Echo", label="a")
    b = start_node("--spawn", "echo=Echo", label="b")

    a.command("sender", name="a-to-b", to=f"{b.address}/echo", count=10_000)
    b.command("sender", name="b-to-a", to=f"{a.address}/echo", count=10_000)

    done_a = a.wait_for("done", timeout=60, tag="a-to-b")
    done_b = b.wait_for("done", timeout=60, tag="b-to-a")
    assert done_a["replies"] == 10_000
    assert done_a["in_order"] is True
    assert done_b["replies"] == 10_000
    assert done_b["in_order"] is True


@pytest.mark.timeout(60)
def test_ref_comes_home_local(start_node: StartNode) -> None:
    a = start_node("--spawn", "hopper=Hopper", "--spawn", "probe=Probe", label="a")
    b = start_node("--spawn", "hopper=Hopper", label="b")
    c = start_node("--spawn", "hopper=Hopper", label="c")
    probe = f"{a.address}/probe"

    a.command(
        "tell",
        to=f"{b.address}/hopper",
        message=["hop", [f"{c.address}/hopper", f"{a.address}/hopper"], {"ref": probe}],
    )

    at_b = b.wait_for("hop")
    at_c = c.wait_for("hop")
    at_a = a.wait_for("hop")
    assert at_b["ref"] == probe
    assert at_b["local"] is False
    assert at_c["ref"] == probe
    assert at_c["local"] is False
    assert at_a["ref"] == probe
    assert at_a["local"] is True
    home = a.wait_for("probe")
    assert home["message"] == ["home", a.address]


@pytest.mark.timeout(120)
def test_fresh_links_lose_no_messages(start_node: StartNode) -> None:
    receiver = start_node("--spawn", "collector=Collector", label="receiver")
    senders = start_node(label="senders")

    senders.command(
        "fresh_nodes", count=20, to=f"{receiver.address}/collector", messages=100
    )

    senders.wait_for("fresh_done", timeout=100)
    results = senders.find("fresh")
    assert len(results) == 20
    for result in results:
        assert result.get("received") == 100, result
        assert result.get("in_order") is True, result
    assert receiver.find("RemoteDeadLetter") == []


@pytest.mark.timeout(60)
def test_fifty_megabyte_message_delivered(start_node: StartNode) -> None:
    limit = ("--max-message-size", str(64 * 1024 * 1024))
    a = start_node(*limit, label="a")
    b = start_node(*limit, "--spawn", "collector=Collector", label="b")
    size = 50 * 1000 * 1000

    a.command("send_big", to=f"{b.address}/collector", size=size, tag="big")

    answer = a.wait_for("answer", timeout=50, tag="big")["answer"]
    expected = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    assert answer[0] == size
    assert answer[1] == hashlib.sha256(expected).hexdigest()


@pytest.mark.timeout(60)
def test_oversized_message_fails_at_sender(start_node: StartNode) -> None:
    a = start_node("--max-message-size", "100000", label="a")
    b = start_node("--spawn", "collector=Collector", label="b")

    a.command("send_big", to=f"{b.address}/collector", size=200_000, tag="big")

    failed = a.wait_for("command_failed", op="send_big")
    assert failed["error"] == "MessageTooLarge"
    assert "max_message_size=100000" in failed["text"]


@pytest.mark.timeout(90)
def test_eight_node_mesh(start_node: StartNode) -> None:
    nodes = [
        start_node("--spawn", "collector=Collector", label=f"n{index}")
        for index in range(8)
    ]
    addresses = [node.address for node in nodes]

    for node in nodes:
        others = [address for address in addresses if address != node.address]
        node.command("mesh", peers=others, count=500)

    for node in nodes:
        for _ in range(7):
            result = node.wait_for("mesh", timeout=60)
            assert result.get("received") == 500, (node, result)
            assert result.get("in_order") is True, (node, result)


@pytest.mark.timeout(60)
def test_allowed_class_travels(start_node: StartNode) -> None:
    a = start_node(*ALLOW_GREETING, "--spawn", "probe=Probe", label="a")
    b = start_node(*ALLOW_GREETING, "--spawn", "collector=Collector", label="b")

    a.command(
        "greet", to=f"{b.address}/collector", text="hi", reply_to=f"{a.address}/probe"
    )

    greeting = b.wait_for("greeting")
    assert greeting["text"] == "hi"
    assert greeting["sender"] == f"{a.address}/probe"
    assert greeting["sender_type"] == "Ref"
    assert a.wait_for("probe")["message"] == ["ack", "hi"]


@pytest.mark.timeout(60)
def test_receiver_rejects_unallowed_class(start_node: StartNode) -> None:
    a = start_node(*ALLOW_GREETING, "--spawn", "probe=Probe", label="a")
    b = start_node("--spawn", "collector=Collector", "--spawn", "echo=Echo", label="b")

    a.command(
        "greet", to=f"{b.address}/collector", text="hi", reply_to=f"{a.address}/probe"
    )

    rejected = b.wait_for("MessageRejected")
    assert rejected["type_name"] == "tests.remoting.actors.Greeting"
    assert rejected["peer"] == a.address
    assert_echo(a, b, "after")
    assert b.find("greeting") == []


@pytest.mark.timeout(60)
def test_unserializable_message_fails_at_sender(start_node: StartNode) -> None:
    a = start_node(label="a")
    b = start_node("--spawn", "collector=Collector", label="b")

    a.command("send_unserializable", to=f"{b.address}/collector")

    failed = a.wait_for("send_failed")
    assert failed["error"] == "UnserializableMessage"
    assert "builtins.complex" in failed["text"]
    assert "allowed_classes" in failed["text"]


@pytest.mark.timeout(60)
def test_unknown_actor_dead_letter(start_node: StartNode) -> None:
    a = start_node("--spawn", "probe=Probe", label="a")
    b = start_node("--spawn", "echo=Echo", label="b")

    a.command("tell", to=f"{b.address}/nobody", message="lost")

    dead = b.wait_for("RemoteDeadLetter")
    assert dead["ref"] == f"{b.address}/nobody"
    assert a.address in dead["reason"]
    assert b.wait_for("DeadLetter")["message"] == "'lost'"
    assert_echo(a, b, "after")


@pytest.mark.timeout(60)
def test_absent_node_dead_letters(start_node: StartNode) -> None:
    absent = start_node(label="absent")
    address = absent.address
    absent.stop()
    a = start_node("--connect-timeout", "0.5", label="a")

    a.command("tell", to=f"{address}/anyone", message="first")
    a.command("tell", to=f"{address}/anyone", message="second")

    first = a.wait_for("RemoteDeadLetter", timeout=10)
    second = a.wait_for("RemoteDeadLetter", timeout=10)
    assert first["message"] == "'first'"
    assert second["message"] == "'second'"
    assert "no answer to the handshake within 0.5 s" in first["reason"]


@pytest.mark.timeout(60)
def test_peer_started_later_gets_messages(start_node: StartNode) -> None:
    # Default settings: the peer starts well after heartbeat_timeout (1 s) but
    # within connect_timeout (30 s), so the messages wait for it.
    address = unused_address()
    a = start_node(label="a")
    assert a.address
    sent_at = time.monotonic()

    a.command("tell_many", to=f"{address}/collector", sender="a", count=100)
    time.sleep(2.0)
    b = start_node("--address", address, "--spawn", "collector=Collector", label="b")
    assert b.address == address
    a.command("count", to=f"{address}/collector", sender="a", tag="count")

    assert a.wait_for("answer", timeout=15, tag="count")["answer"] == [100, True]
    assert time.monotonic() - sent_at > 2.0
    assert a.find("RemoteDeadLetter") == []
    assert b.find("DeadLetter") == []


@pytest.mark.timeout(60)
def test_send_queue_bound(start_node: StartNode) -> None:
    absent = start_node(label="absent")
    address = absent.address
    absent.stop()
    a = start_node("--send-queue-size", "10", "--connect-timeout", "1", label="a")

    a.command("tell_many", to=f"{address}/anyone", sender="a", count=15)

    overflow = [a.wait_for("RemoteDeadLetter") for _ in range(5)]
    assert [event["message"] for event in overflow] == [
        f"('seq', 'a', {number})" for number in range(10, 15)
    ]
    assert "send_queue_size" in overflow[0]["reason"]
    waited = [a.wait_for("RemoteDeadLetter", timeout=10) for _ in range(10)]
    assert [event["message"] for event in waited] == [
        f"('seq', 'a', {number})" for number in range(10)
    ]
