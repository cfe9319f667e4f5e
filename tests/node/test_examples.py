"""The original examples, run as separate ``spinoff-node`` processes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from spinoff.remoting import generate_keys
from tests.node.conftest import StartNode
from tests.node.processes import ROOT, NodeProcess, free_ports, node_env

ACK = "got 'ack' from"
GREETING = "'hello!' from"
RESPONDER = "spinoff.examples.example2.ExampleActor"
GREETER = "spinoff.examples.example2.ExampleProcess"


def stop_cleanly(*nodes: NodeProcess) -> None:
    for node in nodes:
        node.signal(signal.SIGTERM)
    for node in nodes:
        status = node.wait_exit()
        assert status == 0, node.output


def test_example1_exchanges_acks(start_node: StartNode) -> None:
    node = start_node("-a", "spinoff.examples.example1.ExampleProcess")

    node.wait_for(ACK, times=3)

    assert node.count(GREETING) >= 3
    assert node.count("] starting") == 1
    stop_cleanly(node)
    assert node.count("] stopping") == 1


def test_example2_local_exchanges_acks(start_node: StartNode) -> None:
    node = start_node("-a", "spinoff.examples.example2_local.LocalApp")

    node.wait_for(ACK, times=3)

    assert node.count("spawning ExampleActor") == 1
    assert node.count("spawning ExampleProcess") == 1
    assert node.count(GREETING) >= 3
    stop_cleanly(node)


def start_pair(
    start_node: StartNode, responder_first: bool, *extra: str
) -> tuple[NodeProcess, NodeProcess, str]:
    responder_port, greeter_port = free_ports(2)
    responder_address = f"127.0.0.1:{responder_port}"

    def start_responder() -> NodeProcess:
        return start_node(
            "-r", responder_address, "-a", RESPONDER, "-n", "other", *extra
        )

    def start_greeter() -> NodeProcess:
        return start_node(
            "-r", f"127.0.0.1:{greeter_port}", "-a", GREETER,
            "-i", f"other_actor='{responder_address}/other'", *extra,
        )  # fmt: skip

    if responder_first:
        responder = start_responder()
        responder.wait_for("] starting")
        greeter = start_greeter()
    else:
        greeter = start_greeter()
        greeter.wait_for("waiting for ack from")
        responder = start_responder()
    return responder, greeter, responder_address


@pytest.mark.parametrize("responder_first", [True, False], ids=["responder", "greeter"])
def test_example2_two_nodes(start_node: StartNode, responder_first: bool) -> None:
    responder, greeter, responder_address = start_pair(start_node, responder_first)

    greeter.wait_for(ACK, times=3)

    assert greeter.count(f"{ACK} <ref {responder_address}/other>") >= 3
    # The responder's log line can reach the test after the greeter's ack.
    responder.wait_for(f"[{responder_address}/other] {GREETING} <ref 127.0.0.1:", 3)
    stop_cleanly(greeter, responder)


def test_example2_over_curve(start_node: StartNode, tmp_path: Path) -> None:
    _, secret_file = generate_keys(tmp_path, "cluster")
    responder, greeter, _ = start_pair(
        start_node, True, "--curve-secret-key", str(secret_file)
    )

    greeter.wait_for(ACK, times=3)

    assert responder.count(GREETING) >= 3
    stop_cleanly(greeter, responder)


def test_stopped_responder_times_out(start_node: StartNode) -> None:
    responder, greeter, _ = start_pair(start_node, responder_first=True)
    greeter.wait_for(ACK)

    responder.signal(signal.SIGTERM)
    assert responder.wait_exit() == 0, responder.output
    started = time.monotonic()
    status = greeter.wait_exit(timeout=15.0)

    assert status == 1, greeter.output
    assert greeter.count("Timeout: timed out after 5.0 s") >= 1
    assert time.monotonic() - started < 12.0


@pytest.mark.timeout(120)
def test_main_job_runs_all_examples() -> None:
    """``python -m spinoff.examples``, the command behind ``make run``."""
    result = subprocess.run(
        [sys.executable, "-m", "spinoff.examples"],
        cwd=ROOT,
        env=node_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    lines = result.stdout.splitlines()

    assert result.returncode == 0, result.stdout + result.stderr
    for label in ("example1", "example2_local", "node2"):
        acks = [line for line in lines if line.startswith(f"[{label}]") and ACK in line]
        assert len(acks) >= 3, label
    assert sum(line.startswith("[node1]") and GREETING in line for line in lines) >= 3
    assert lines[-1] == ("*** all examples ran; each showed 3 greeting/ack exchanges")
