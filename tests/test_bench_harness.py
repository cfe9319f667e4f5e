"""Checks that the benchmark harness still runs; no timing is asserted.

Each workload runs once at its tiny size (N=50) for the raw limits, spinoff
and, when installed, Pykka. Thespian is left out to keep the file fast.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.cli import build_parser
from bench.participants import PARTICIPANTS
from bench.procs import Isolation, probe_isolation, run_bounded
from bench.report import render
from bench.runner import run_sample
from bench.targets import evaluate
from bench.workloads import WORKLOADS

pytestmark = pytest.mark.timeout(60)

CASES = [
    (participant, workload)
    for participant in ("raw", "spinoff", "pykka")
    for workload in WORKLOADS
    if PARTICIPANTS[participant].supports(workload)
]


@pytest.fixture(scope="module")
def isolation() -> Isolation:
    return probe_isolation()


@pytest.mark.parametrize(
    ("participant", "workload"), CASES, ids=[f"{p}-{w}" for p, w in CASES]
)
def test_workload_runs_at_tiny_size(
    participant: str, workload: str, isolation: Isolation, tmp_path: Path
) -> None:
    availability = PARTICIPANTS[participant].availability(workload)
    if availability != "ok":
        needed = ", ".join(PARTICIPANTS[participant].variants[workload].requires)
        pytest.skip(f"{participant} on {workload} is {availability} (needs {needed})")
    spec = WORKLOADS[workload]

    sample, stderr = run_sample(
        participant,
        spec,
        spec.params("tiny"),
        isolation=isolation,
        time_bound_s=20.0,
        log_dir=tmp_path,
    )

    assert sample.status == "ok", f"{sample.error}\n{stderr}"
    assert sorted(sample.metrics) == sorted(m.key for m in spec.metrics)
    for metric in spec.metrics:
        assert math.isfinite(sample.metrics[metric.key]), metric.key
    for metric in spec.metrics:
        if metric.higher_is_better:
            assert sample.metrics[metric.key] > 0, metric.key
    assert sample.leftovers == []


def test_cli_size_defaults_to_full() -> None:
    parser = build_parser()

    assert parser.parse_args([]).size == "full"
    assert parser.parse_args(["--quick"]).size == "quick"
    assert parser.parse_args(["--size", "tiny"]).size == "tiny"


def test_run_bounded_kills_on_timeout(tmp_path: Path) -> None:
    completed = run_bounded(
        [sys.executable, "-c", "import time; time.sleep(30)"],
        time_bound_s=0.5,
        marker="test-timeout",
        cwd=tmp_path,
        env=dict(os.environ),
        log_dir=tmp_path,
    )

    assert completed.timed_out
    assert completed.returncode is None
    assert completed.wall_s < 10


def test_run_bounded_kills_daemonized_leftover(tmp_path: Path) -> None:
    # The grandchild starts a session of its own, so a process group kill misses
    # it and only the environment marker finds it.
    script = (
        "import os, subprocess, time\n"
        "child = subprocess.Popen(['setsid', 'sleep', '60'])\n"
        "while os.getsid(child.pid) != child.pid:\n"
        "    time.sleep(0.01)\n"
        "print(child.pid)\n"
    )

    completed = run_bounded(
        [sys.executable, "-c", script],
        time_bound_s=10.0,
        marker="test-leftover",
        cwd=tmp_path,
        env=dict(os.environ),
        log_dir=tmp_path,
    )

    leftover = int(completed.stdout.strip())
    assert completed.returncode == 0
    assert leftover in completed.leftovers
    assert not Path(f"/proc/{leftover}/cmdline").exists() or _is_zombie(leftover)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def _cell(
    workload: str, participant: str, status: str, median: dict[str, float]
) -> dict[str, Any]:
    return {
        "workload": workload,
        "participant": participant,
        "variant": "test",
        "params": WORKLOADS[workload].params("tiny").to_json(),
        "status": status,
        "time_bound_s": 10.0,
        "samples": [{"status": status, "metrics": median}],
        "median": median,
        "error": None,
    }


def _document(cells: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "command": "python -m bench --size tiny",
        "size": "tiny",
        "started_at": "2026-01-01T00:00:00+00:00",
        "duration_s": 1.0,
        "isolation": {"netns": True, "notice": "test"},
        "machine": {
            "lscpu": {"Model name": "test CPU"},
            "nproc": 2,
            "memory_total": "1Gi",
            "os": "test",
        },
        "software": {
            "python": "CPython 3.11",
            "libzmq": None,
            "packages": {"pykka": "4.5.0", "thespian": None},
            "commit": None,
            "worktree_modified": False,
        },
        "participants": {
            key: {
                "title": PARTICIPANTS[key].title,
                "is_peer": PARTICIPANTS[key].is_peer,
            }
            for key in PARTICIPANTS
        },
        "results": cells,
        "leftover_processes": [],
    }


def test_targets_compare_with_best_peer() -> None:
    document = _document(
        [
            _cell("W1", "spinoff", "ok", {"msgs_per_s": 2_000_000.0}),
            _cell("W1", "pykka", "ok", {"msgs_per_s": 100_000.0}),
            _cell("W1", "thespian", "ok", {"msgs_per_s": 300_000.0}),
            _cell("W2", "spinoff", "ok", {"round_trips_per_s": 30_000.0}),
            _cell("W2", "pykka", "ok", {"round_trips_per_s": 20_000.0}),
            _cell("W5", "spinoff", "pending", {}),
            _cell("W5", "raw", "ok", {"round_trips_per_s": 5_000.0}),
        ]
    )

    verdicts = {verdict.workload: verdict for verdict in evaluate(document)}

    assert verdicts["W1"].outcome == "met"
    assert "Thespian" in verdicts["W1"].measured
    assert verdicts["W2"].outcome == "missed"
    assert verdicts["W5"].outcome == "pending"
    assert "W3" not in verdicts


def test_report_shows_timeout_ceiling() -> None:
    document = _document(
        [
            _cell("W6", "spinoff", "ok", {"msgs_per_s": 10_000.0}),
            _cell("W6", "thespian", "timeout", {}),
            _cell("W6", "raw", "ok", {"msgs_per_s": 90_000.0}),
        ]
    )

    page = render(document)

    assert "timeout (< 5)" in page
    assert "> 2000.0x" in page
    assert "90.0k" in page
    assert "| W6 remote tell | N=50 |" in page
