"""Helpers for workloads that span two OS processes on 127.0.0.1."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import IO

from bench.procs import kill_pids

LOOPBACK = "127.0.0.1"
READY_PREFIX = "BENCH-READY "


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def announce_ready(detail: str) -> None:
    """Tell the parent process that this partner is serving, with ``detail``."""
    print(f"{READY_PREFIX}{detail}", flush=True)


class Partner:
    """Process B of a two-process workload: a worker started in the server role.

    The partner stays in the caller's process group, so the runner's group kill
    also ends it if the caller is killed.
    """

    def __init__(
        self, participant: str, workload: str, extra: Sequence[str] = ()
    ) -> None:
        command = [
            sys.executable,
            "-m",
            "bench.worker",
            "--participant",
            participant,
            "--workload",
            workload,
            "--role",
            "server",
            *extra,
        ]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        assert self.process.stdout is not None
        self._reader = threading.Thread(
            target=self._read_lines, args=(self.process.stdout,), daemon=True
        )
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read_lines(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def wait_ready(self, timeout_s: float = 30.0) -> str:
        """Wait for the partner's ready line and return its detail text.

        Raises:
            RuntimeError: the partner exited or printed nothing ready in time.
        """
        while True:
            try:
                line = self._lines.get(timeout=timeout_s)
            except queue.Empty:
                raise RuntimeError(
                    f"partner pid {self.pid} was not ready within {timeout_s} s"
                ) from None
            if line is None:
                raise RuntimeError(
                    f"partner pid {self.pid} exited before it was ready"
                    f" (exit code {self.process.wait()})"
                )
            if line.startswith(READY_PREFIX):
                return line[len(READY_PREFIX) :]
            print(line, file=sys.stderr)

    def kill(self) -> None:
        """Kill the partner with SIGKILL, as a crash would."""
        os.kill(self.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout_s: float = 10.0) -> int | None:
        """Wait up to ``timeout_s`` seconds for the partner to exit, then kill it.

        Returns the exit code, or None when the partner had to be killed.
        """
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            kill_pids([self.pid], grace_s=1.0)
            self.process.wait()
            return None
