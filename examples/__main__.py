"""Run the three original examples, each in its own ``spinoff-node`` process.

``python -m spinoff.examples`` (what ``make run`` does) runs, one after the
other:

1. example 1: a process and its child exchanging greetings in one node;
2. the local variant of example 2: the actors of example 2 wired in one node;
3. example 2 across two nodes: two ``spinoff-node run`` processes with
   remoting on free ports of 127.0.0.1, one running ``ExampleActor`` named
   ``other`` and one running ``ExampleProcess`` that greets it.

Each demo streams the nodes' log lines, prefixed with the node's role, until
the greeting side has logged `ACKS_PER_DEMO` acks. Then every node gets
SIGTERM, stops its actors and exits. The command exits with 0 when every demo
reached its acks and every node exited with 0, else with 1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ACKS_PER_DEMO = 3
"""Greeting/ack exchanges each demo shows before it stops its nodes."""

ACK_MARKER = "got 'ack' from"
"""Text of the log line that ExampleProcess writes for each ack."""

DEMO_TIMEOUT = 30.0
"""Seconds a demo may take to reach its acks, node start-up included."""

STOP_TIMEOUT = 10.0
"""Seconds a node may take to exit after SIGTERM before it is killed."""


def node_command() -> list[str]:
    """Return the command that starts a node: the installed ``spinoff-node``.

    Falls back to ``python -m spinoff.node``, the same program, when the
    script is not next to this interpreter.
    """
    script = Path(sys.executable).parent / "spinoff-node"
    if script.exists():
        return [str(script)]
    found = shutil.which("spinoff-node")
    if found is not None:
        return [found]
    return [sys.executable, "-m", "spinoff.node"]


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that is free at the time of the call."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class NodeProcess:
    """A running ``spinoff-node`` whose output is copied to stdout with a prefix."""

    label: str
    process: subprocess.Popen[str]
    acks: int = 0
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None


_print_lock = threading.Lock()


def start_node(label: str, arguments: list[str]) -> NodeProcess:
    """Start ``spinoff-node run ARGUMENTS`` and stream its output."""
    command = [*node_command(), "run", *arguments]
    with _print_lock:
        print(f"[{label}] $ {' '.join(command)}", flush=True)
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    node = NodeProcess(label, process)
    node.reader = threading.Thread(target=_copy_output, args=(node,), daemon=True)
    node.reader.start()
    return node


def _copy_output(node: NodeProcess) -> None:
    stream = node.process.stdout
    assert stream is not None
    for line in stream:
        line = line.rstrip("\n")
        node.lines.append(line)
        if ACK_MARKER in line:
            node.acks += 1
        with _print_lock:
            print(f"[{node.label}] {line}", flush=True)


def stop_nodes(nodes: list[NodeProcess]) -> bool:
    """Send SIGTERM to each node in order; return whether all exited with 0.

    A node that is still running `STOP_TIMEOUT` seconds later is killed.
    """
    for node in nodes:
        if node.process.poll() is None:
            node.process.send_signal(signal.SIGTERM)
    clean = True
    for node in nodes:
        try:
            status = node.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            node.process.kill()
            status = node.process.wait()
            _report(f"{node.label} did not exit within {STOP_TIMEOUT} s; killed it")
        if node.reader is not None:
            node.reader.join(timeout=STOP_TIMEOUT)
        if status != 0:
            _report(f"{node.label} exited with status {status}")
            clean = False
    return clean


def _report(text: str) -> None:
    with _print_lock:
        print(f"*** {text}", flush=True)


def run_demo(title: str, nodes_to_start: list[tuple[str, list[str]]]) -> bool:
    """Start the nodes, wait for the acks of the last one, then stop them all.

    Returns whether the demo reached `ACKS_PER_DEMO` acks and every node
    exited with 0.
    """
    _report(title)
    nodes: list[NodeProcess] = []
    try:
        for label, arguments in nodes_to_start:
            nodes.append(start_node(label, arguments))
        greeter = nodes[-1]
        deadline = time.monotonic() + DEMO_TIMEOUT
        while greeter.acks < ACKS_PER_DEMO and time.monotonic() < deadline:
            if any(node.process.poll() is not None for node in nodes):
                break
            time.sleep(0.1)
        reached = greeter.acks >= ACKS_PER_DEMO
        if not reached:
            _report(
                f"{greeter.label} logged {greeter.acks} of {ACKS_PER_DEMO} acks "
                f"within {DEMO_TIMEOUT} s"
            )
    finally:
        # Signal the greeting side first, so that it stops before the
        # responder is gone instead of waiting for an ack that cannot come.
        clean = stop_nodes(list(reversed(nodes)))
    return reached and clean


Demo = tuple[str, list[tuple[str, list[str]]]]


def demos() -> list[Demo]:
    """Return each demo's title and its nodes' labels and options."""
    responder_port = free_port()
    greeter_port = free_port()
    while greeter_port == responder_port:
        greeter_port = free_port()
    responder = f"127.0.0.1:{responder_port}"
    responder_options = [
        "-r", responder, "-a", "spinoff.examples.example2.ExampleActor", "-n", "other",
    ]  # fmt: skip
    greeter_options = [
        "-r", f"127.0.0.1:{greeter_port}",
        "-a", "spinoff.examples.example2.ExampleProcess",
        "-i", f"other_actor='{responder}/other'",
    ]  # fmt: skip
    return [
        (
            "example 1: a process greets its child in one node",
            [("example1", ["-a", "spinoff.examples.example1.ExampleProcess"])],
        ),
        (
            "example 2, local: the distributed code in one node without remoting",
            [("example2_local", ["-a", "spinoff.examples.example2_local.LocalApp"])],
        ),
        (
            "example 2: two nodes in two processes, connected over ZeroMQ",
            [("node1", responder_options), ("node2", greeter_options)],
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the three demos; return 0 if all of them succeeded."""
    parser = argparse.ArgumentParser(
        prog="python -m spinoff.examples",
        description="Run the original spinoff examples with spinoff-node.",
    )
    parser.parse_args(argv)

    try:
        failed = [title for title, nodes in demos() if not run_demo(title, nodes)]
    except KeyboardInterrupt:
        # Ctrl-C reaches the nodes too, and run_demo has stopped them.
        _report("interrupted")
        return 130

    if failed:
        _report(f"failed: {'; '.join(failed)}")
        return 1
    _report(f"all examples ran; each showed {ACKS_PER_DEMO} greeting/ack exchanges")
    return 0


if __name__ == "__main__":
    sys.exit(main())
