"""Process control: time bounds, process groups, leftover cleanup and isolation.

Every worker starts in a new session, so its process group can be killed as a
whole. Some frameworks daemonize helper processes into sessions of their own
(Thespian's admin does), so each worker also carries a marker in its
environment. Any process that still has the marker after the worker exits is a
leftover and is killed by pid. Linux only: the scan reads ``/proc``.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("bench.procs")

MARKER_VARIABLE = "BENCH_RUN_MARKER"
_PR_SET_CHILD_SUBREAPER = 36

# Runs the worker command inside the new network namespace once loopback is up.
# The worker command follows as "$0" "$@", so no quoting is needed.
_NETNS_SCRIPT = 'ip link set lo up && exec "$0" "$@"'


@dataclass(frozen=True)
class Isolation:
    """Whether workers run in a network namespace that has only loopback."""

    netns: bool
    notice: str

    def wrap(self, command: Sequence[str]) -> list[str]:
        if not self.netns:
            return list(command)
        return ["unshare", "--net", "--", "sh", "-c", _NETNS_SCRIPT, *command]


def probe_isolation(enabled: bool = True) -> Isolation:
    """Check whether ``unshare --net`` works here and return the isolation to use."""
    if not enabled:
        return Isolation(False, "network namespace disabled by --no-netns")
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return Isolation(False, "unshare or ip not found; running without netns")
    try:
        probe = subprocess.run(
            ["unshare", "--net", "--", "sh", "-c", "ip link set lo up"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return Isolation(
            False, f"unshare --net failed ({error}); running without netns"
        )
    if probe.returncode != 0:
        reason = probe.stderr.strip() or f"exit code {probe.returncode}"
        return Isolation(
            False, f"unshare --net is not allowed ({reason}); running without netns"
        )
    return Isolation(True, "each worker runs in its own network namespace (lo only)")


def become_subreaper() -> bool:
    """Adopt orphaned descendants, so daemonized helpers stay visible to us."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def reap_zombies() -> None:
    """Collect the exit status of any finished child without blocking."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def marked_pids(marker: str, variable: str = MARKER_VARIABLE) -> list[int]:
    """Return the pids of live processes, except this one, that have ``marker``.

    A process has the marker when its environment sets ``variable`` to it.
    """
    needle = f"{variable}={marker}".encode()
    own = os.getpid()
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == own:
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z" and needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def descendant_pids(root: int) -> list[int]:
    """Return the pids of live descendants of ``root``, read from ``/proc``."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    found: list[int] = []
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found.extend(children)
        frontier.extend(children)
    return found


def kill_pids(pids: Sequence[int], grace_s: float = 0.0) -> list[int]:
    """Stop ``pids`` and return those that were alive.

    With ``grace_s`` > 0 they get SIGTERM and that many seconds to exit before
    SIGKILL, otherwise SIGKILL at once.
    """
    alive = [pid for pid in pids if _alive(pid)]
    if grace_s > 0:
        for pid in alive:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and any(_alive(pid) for pid in alive):
            time.sleep(0.05)
            reap_zombies()
    for pid in alive:
        if _alive(pid):
            _signal(pid, signal.SIGKILL)
    reap_zombies()
    return alive


def _signal(pid: int, signum: int) -> bool:
    try:
        os.kill(pid, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@dataclass(frozen=True)
class Completed:
    """Outcome of one bounded subprocess run."""

    returncode: int | None
    timed_out: bool
    stdout: str
    stderr: str
    wall_s: float
    leftovers: list[int]


def run_bounded(
    command: Sequence[str],
    *,
    time_bound_s: float,
    marker: str,
    cwd: Path,
    env: Mapping[str, str],
    log_dir: Path,
) -> Completed:
    """Run ``command`` in a new session, kill it after ``time_bound_s`` seconds.

    Output goes to files in ``log_dir`` rather than pipes, because a daemonized
    grandchild that inherits a pipe would keep it open after the worker exits.
    After the run the whole process group is killed, then every process that
    still carries ``marker``. Their pids are returned in ``leftovers``.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    out_path = log_dir / f"{marker}.out"
    err_path = log_dir / f"{marker}.err"
    full_env = {**env, MARKER_VARIABLE: marker}
    started = time.perf_counter()
    with out_path.open("wb") as out_file, err_path.open("wb") as err_file:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=out_file,
            stderr=err_file,
            start_new_session=True,
        )
        timed_out = False
        try:
            returncode: int | None = process.wait(timeout=time_bound_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            # Kill without reaping, so that wait() below collects the worker.
            _kill_group(process.pid, reap=False)
            process.wait()
            returncode = None
    wall_s = time.perf_counter() - started
    _kill_group(process.pid)
    leftovers = kill_pids(marked_pids(marker), grace_s=1.0)
    if leftovers:
        log.warning("killed leftover processes %s of %s", leftovers, command)
    stdout = out_path.read_text(errors="replace")
    stderr = err_path.read_text(errors="replace")
    out_path.unlink()
    err_path.unlink()
    return Completed(returncode, timed_out, stdout, stderr, wall_s, leftovers)


def _kill_group(pgid: int, reap: bool = True) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    if reap:
        reap_zombies()
