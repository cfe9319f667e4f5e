"""Fixtures for the remoting tests: nodes in their own OS processes.

Every node is ``python -m tests.remoting.nodeproc`` bound to 127.0.0.1 on a
port the OS picks, so parallel runs cannot collide. The `start_node` fixture
kills every process it started when the test ends, whatever happened.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

Event = dict[str, Any]


class NodeProcess:
    """A node process and the JSON events it printed, in order."""

    def __init__(self, args: list[str], label: str) -> None:
        self.label = label
        env = dict(os.environ)
        # The child imports what this interpreter imports, installed or not.
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *sys.path])
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.remoting.nodeproc", *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.events: list[Event] = []
        self.stderr: list[str] = []
        self._taken: set[int] = set()
        self._changed = threading.Condition()
        self._address: str | None = None
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def __repr__(self) -> str:
        return f"<node {self.label} {self._address or '(starting)'}>"

    @property
    def address(self) -> str:
        """The node's ``host:port``; waits until the node has bound it."""
        if self._address is None:
            self._address = self.wait_for("ready", timeout=60)["address"]
        return self._address

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                event = {"event": "output", "line": line.rstrip()}
            with self._changed:
                self.events.append(event)
                self._changed.notify_all()
        with self._changed:
            self.events.append({"event": "exited"})
            self._changed.notify_all()

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)

    def command(self, op: str, **fields: Any) -> None:
        """Send one command to the node (see ``nodeproc.Commands``)."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self.process.stdin.flush()

    def find(self, name: str, **match: Any) -> list[Event]:
        """Return every event so far named `name` whose fields equal `match`."""
        with self._changed:
            return [
                event
                for event in self.events
                if event.get("event") == name
                and all(event.get(key) == value for key, value in match.items())
            ]

    def wait_for(self, name: str, timeout: float = 15.0, **match: Any) -> Event:
        """Return the next event named `name` matching `match` not returned before.

        Raises:
            AssertionError: none arrived within `timeout` seconds, or the
                process exited first.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for index, event in enumerate(self.events):
                    if index in self._taken or event.get("event") != name:
                        continue
                    if all(event.get(key) == value for key, value in match.items()):
                        self._taken.add(index)
                        return event
                exited = any(event.get("event") == "exited" for event in self.events)
                remaining = deadline - time.monotonic()
                if exited or remaining <= 0:
                    break
                self._changed.wait(remaining)
        raise AssertionError(
            f"{self!r}: no {name!r} event matching {match} within {timeout} s "
            f"(exited: {exited}); last events: {self.events[-15:]}; "
            f"stderr: {''.join(self.stderr)[-3000:]}"
        )

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the node cleanly and wait for the process to exit."""
        self.command("exit")
        self.wait_for("stopped", timeout=timeout)
        self.process.wait(timeout)

    def kill(self) -> None:
        """Kill the process with SIGKILL, if it still runs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


StartNode = Callable[..., NodeProcess]


def unused_address() -> str:
    """Return ``127.0.0.1:PORT`` for a port that no socket is bound to right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return f"127.0.0.1:{port}"


def assert_echo(sender: NodeProcess, target: NodeProcess, text: str) -> None:
    """Send `text` to the target's ``/echo`` and wait for the sender's ``/probe``."""
    sender.command(
        "tell",
        to=f"{target.address}/echo",
        message=[text, {"ref": f"{sender.address}/probe"}],
    )
    assert sender.wait_for("probe", timeout=15)["message"] == ["echo", text]


@pytest.fixture
def start_node() -> Iterator[StartNode]:
    """Start node processes: ``start_node(*nodeproc_args, label='a')``.

    Starting returns at once, so nodes started one after another boot in
    parallel; reading `NodeProcess.address` waits for the node to be ready.
    """
    started: list[NodeProcess] = []

    def start(*args: str, label: str = "node") -> NodeProcess:
        node = NodeProcess(list(args), label)
        started.append(node)
        return node

    yield start
    for node in started:
        node.kill()
        for stream in (node.process.stdin, node.process.stdout, node.process.stderr):
            if stream is not None:
                stream.close()
