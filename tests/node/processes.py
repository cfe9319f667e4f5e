"""Run the installed ``spinoff-node`` and ``twistd`` as subprocesses.

Every process starts in its own process group with the repository root as
its working directory, so ``-a tests.node.actors.X`` imports, and a finalizer
kills the group of any process a test leaves running. Nodes bind only
127.0.0.1 ports that were free when the test asked for them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SPINOFF_NODE = BIN / "spinoff-node"
TWISTD = BIN / "twistd"

# Seconds to wait for a line that a running node should print.
LINE_TIMEOUT = 20.0
# Seconds a node may take to exit after a signal or a stop.
EXIT_TIMEOUT = 10.0

# A shell that starts jobs in the background ignores SIGINT for them, and
# children inherit that, so without this the SIGINT tests would test nothing.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def node_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


class NodeProcess:
    """A running node whose output (stdout and stderr, merged) is collected."""

    def __init__(self, command: list[str], cwd: Path) -> None:
        self.command = command
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env=node_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            process_group=0,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        for line in stream:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def output(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    def count(self, fragment: str) -> int:
        with self._changed:
            return sum(fragment in line for line in self.lines)

    def wait_for(
        self, fragment: str, times: int = 1, timeout: float = LINE_TIMEOUT
    ) -> None:
        """Wait until `times` output lines contain `fragment`; fail the test if not."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while sum(fragment in line for line in self.lines) < times:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (
                    self.process.poll() is not None and not self._reader.is_alive()
                ):
                    pytest.fail(
                        f"{times} lines with {fragment!r} expected within {timeout} s;"
                        f" exit status {self.process.poll()}; output:\n"
                        + "\n".join(self.lines)
                    )
                self._changed.wait(min(remaining, 0.2))

    def signal(self, number: int) -> None:
        self.process.send_signal(number)

    def wait_exit(self, timeout: float = EXIT_TIMEOUT) -> int:
        """Wait for the process to exit and its output to be read; return the status."""
        try:
            status = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"the node did not exit within {timeout} s; output:\n{self.output}"
            )
        self._reader.join(timeout)
        return status

    def kill(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=EXIT_TIMEOUT)
        if self.process.stdout is not None:
            self._reader.join(EXIT_TIMEOUT)
            self.process.stdout.close()


def run_command(
    *arguments: str, timeout: float = 30.0, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion with separate stdout and stderr."""
    return subprocess.run(
        list(arguments),
        cwd=cwd,
        env=node_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
