"""Run the suite: one worker process per participant, workload and repeat."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.machine import describe_machine, describe_software
from bench.participants import PARTICIPANTS, Participant
from bench.procs import (
    Isolation,
    descendant_pids,
    kill_pids,
    run_bounded,
)
from bench.worker import RESULT_PREFIX
from bench.workloads import WORKLOADS, Params, Size, Workload

REPOSITORY = Path(__file__).resolve().parent.parent
SCHEMA_VERSION = 1


@dataclass
class Sample:
    """Outcome of one worker run."""

    status: str
    metrics: dict[str, float] = field(default_factory=dict)
    wall_s: float = 0.0
    error: str | None = None
    leftovers: list[int] = field(default_factory=list)


@dataclass
class Cell:
    """All runs of one participant on one workload, with the median per metric.

    ``status`` is ``ok`` when at least one run succeeded, otherwise the status
    of the first run: ``timeout``, ``error``, ``pending`` or ``not installed``.
    ``time_bound_s`` is the per-run limit, which gives a rate bound on timeout.
    """

    workload: str
    participant: str
    variant: str
    params: dict[str, int]
    status: str
    time_bound_s: float
    samples: list[Sample] = field(default_factory=list)
    median: dict[str, float] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class SuiteOptions:
    """Selection and limits of one suite run.

    ``repeats`` and ``time_bound_s`` override the workload defaults when set.
    """

    size: Size
    workloads: Sequence[str]
    participants: Sequence[str]
    isolation: Isolation
    repeats: int | None = None
    time_bound_s: float | None = None
    log_dir: Path = Path("/tmp/bench-logs")


def worker_command(
    participant: str,
    workload: str,
    params: Params,
    extra: Sequence[str] = (),
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bench.worker",
        "--participant",
        participant,
        "--workload",
        workload,
        "--params",
        json.dumps(params.to_json()),
        *extra,
    ]


def worker_environment() -> dict[str, str]:
    env = dict(os.environ)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(REPOSITORY) + (os.pathsep + path if path else "")
    return env


def run_sample(
    participant: str,
    workload: Workload,
    params: Params,
    *,
    isolation: Isolation,
    time_bound_s: float,
    log_dir: Path,
    extra: Sequence[str] = (),
) -> tuple[Sample, str]:
    """Run one worker under the time bound; return its sample and its stderr."""
    command = isolation.wrap(worker_command(participant, workload.key, params, extra))
    completed = run_bounded(
        command,
        time_bound_s=time_bound_s,
        marker=f"{participant}-{workload.key}-{uuid.uuid4().hex[:12]}",
        cwd=REPOSITORY,
        env=worker_environment(),
        log_dir=log_dir,
    )
    if completed.timed_out:
        sample = Sample("timeout", error=f"exceeded the {time_bound_s:g} s bound")
    else:
        sample = _parse_result(completed.stdout, completed.stderr, completed.returncode)
    sample.wall_s = completed.wall_s
    sample.leftovers = completed.leftovers
    return sample, completed.stderr


def _parse_result(stdout: str, stderr: str, returncode: int | None) -> Sample:
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            data: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return Sample(
                status=str(data["status"]),
                metrics={
                    key: float(value) for key, value in data.get("metrics", {}).items()
                },
                error=data.get("error"),
            )
    last_lines = " | ".join(stderr.strip().splitlines()[-3:])
    return Sample(
        "error",
        error=f"worker exited with code {returncode} and no result: {last_lines}",
    )


def _median(samples: Sequence[Sample]) -> dict[str, float]:
    ok = [sample.metrics for sample in samples if sample.status == "ok"]
    if not ok:
        return {}
    return {key: statistics.median(metrics[key] for metrics in ok) for key in ok[0]}


def _finish(cell: Cell) -> None:
    cell.median = _median(cell.samples)
    if cell.median:
        cell.status = "ok"
    elif cell.samples:
        cell.status = cell.samples[0].status
        cell.error = cell.samples[0].error


Progress = Callable[[str], None]


def _print_progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_suite(
    options: SuiteOptions, progress: Progress = _print_progress
) -> list[Cell]:
    """Run every selected participant on every selected workload it supports.

    Repeats are interleaved across participants, so slow drift of the machine
    affects all of them alike. After a timeout or an error, the remaining
    repeats of that participant on that workload are skipped.
    """
    cells: list[Cell] = []
    for workload_key in options.workloads:
        workload = WORKLOADS[workload_key]
        params = workload.params(options.size)
        bound = options.time_bound_s or workload.bound_s(options.size)
        repeats = options.repeats or (workload.repeats if options.size == "full" else 1)
        active: list[tuple[Participant, Cell]] = []
        for key in options.participants:
            participant = PARTICIPANTS[key]
            if not participant.supports(workload_key):
                continue
            cell = Cell(
                workload=workload_key,
                participant=key,
                variant=participant.variants[workload_key].description,
                params=params.to_json(),
                status="ok",
                time_bound_s=bound,
            )
            cells.append(cell)
            availability = participant.availability(workload_key)
            if availability != "ok":
                cell.status = availability
                progress(f"{workload.title:24} {key:9} {availability}")
                continue
            active.append((participant, cell))
        for repeat in range(repeats):
            for participant, cell in active:
                if any(sample.status != "ok" for sample in cell.samples):
                    continue
                sample, _ = run_sample(
                    participant.key,
                    workload,
                    params,
                    isolation=options.isolation,
                    time_bound_s=bound,
                    log_dir=options.log_dir,
                )
                cell.samples.append(sample)
                progress(
                    _describe_sample(workload, participant, repeat, repeats, sample)
                )
        for _, cell in active:
            _finish(cell)
    return cells


def _describe_sample(
    workload: Workload,
    participant: Participant,
    repeat: int,
    repeats: int,
    sample: Sample,
) -> str:
    head = f"{workload.title:24} {participant.key:9} run {repeat + 1}/{repeats}"
    if sample.status != "ok":
        return f"{head}  {sample.status}: {sample.error}  ({sample.wall_s:.1f} s)"
    values = ", ".join(
        f"{workload.metric(key).label} {value:,.1f}"
        for key, value in sample.metrics.items()
    )
    return f"{head}  {values}  ({sample.wall_s:.1f} s)"


def collect_leftovers() -> list[int]:
    """Kill and return any descendant of this process that is still alive."""
    return kill_pids(descendant_pids(os.getpid()), grace_s=1.0)


def results_document(
    cells: Sequence[Cell],
    *,
    options: SuiteOptions,
    command: str,
    started_at: datetime,
    duration_s: float,
    leftovers: Sequence[int],
    load_before: list[float],
) -> dict[str, Any]:
    """Build the JSON document that ``--out`` writes and ``bench.report`` reads."""
    return {
        "schema": SCHEMA_VERSION,
        "command": command,
        "size": options.size,
        "started_at": started_at.isoformat(timespec="seconds"),
        "duration_s": round(duration_s, 1),
        "isolation": {
            "netns": options.isolation.netns,
            "notice": options.isolation.notice,
        },
        "machine": describe_machine(load_before),
        "software": describe_software(REPOSITORY),
        "participants": {
            key: {
                "title": PARTICIPANTS[key].title,
                "is_peer": PARTICIPANTS[key].is_peer,
            }
            for key in options.participants
        },
        "results": [asdict(cell) for cell in cells],
        "leftover_processes": list(leftovers),
    }


def now() -> tuple[datetime, float]:
    return datetime.now(UTC), time.monotonic()
