"""Description of the machine and software that produced a set of results."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

# Distributions whose versions the results page lists.
DISTRIBUTIONS = (
    "spinoff-core",
    "spinoff-remoting",
    "twisted",
    "pyzmq",
    "pykka",
    "thespian",
)

_LSCPU_FIELDS = (
    "Architecture",
    "Model name",
    "CPU(s)",
    "Thread(s) per core",
    "Core(s) per socket",
    "CPU max MHz",
    "Hypervisor vendor",
    "L2 cache",
    "L3 cache",
)


def _command_output(command: list[str]) -> str | None:
    if shutil.which(command[0]) is None:
        return None
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout.strip()


def _lscpu() -> dict[str, str]:
    output = _command_output(["lscpu"]) or ""
    fields: dict[str, str] = {}
    for line in output.splitlines():
        name, _, value = line.partition(":")
        if name.strip() in _LSCPU_FIELDS:
            fields[name.strip()] = value.strip()
    return fields


def _memory_total() -> str | None:
    output = _command_output(["free", "-h"])
    if output is None:
        return None
    for line in output.splitlines():
        if line.startswith("Mem:"):
            return line.split()[1]
    return None


def load_average() -> list[float]:
    """Return the 1, 5 and 15 minute load averages, rounded to two decimals."""
    return [round(value, 2) for value in os.getloadavg()]


def describe_machine(load_before: list[float]) -> dict[str, object]:
    """Return CPU (lscpu), core count (nproc), memory (free -h) and OS facts.

    ``load_before`` is the load average at the start of the run. The load at
    the end is read here, so a busy machine shows up next to the results.
    """
    nproc = _command_output(["nproc"])
    return {
        "lscpu": _lscpu(),
        "nproc": int(nproc) if nproc and nproc.isdigit() else os.cpu_count(),
        "memory_total": _memory_total(),
        "kernel": platform.release(),
        "os": platform.platform(terse=True),
        "load_before": load_before,
        "load_after": load_average(),
    }


def describe_software(repository: Path) -> dict[str, object]:
    """Return the Python, libzmq and package versions and the repository commit."""
    versions: dict[str, str | None] = {}
    for name in DISTRIBUTIONS:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    libzmq: str | None = None
    try:
        import zmq

        libzmq = zmq.zmq_version()
    except ImportError:
        pass
    commit = _command_output(["git", "-C", str(repository), "rev-parse", "HEAD"])
    status = _command_output(["git", "-C", str(repository), "status", "--porcelain"])
    return {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "python_executable": sys.executable,
        "libzmq": libzmq,
        "packages": versions,
        "commit": commit,
        "worktree_modified": bool(status),
    }
