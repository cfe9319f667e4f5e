"""spinoff's performance targets, checked against one results document."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bench.workloads import WORKLOADS

Outcome = Literal["met", "missed", "pending", "not measured"]


@dataclass(frozen=True)
class Verdict:
    """Whether one target was met, with the numbers it was judged on."""

    workload: str
    target: str
    measured: str
    outcome: Outcome


class Results:
    """Lookup of median values in a results document."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.cells: dict[tuple[str, str], Mapping[str, Any]] = {
            (cell["workload"], cell["participant"]): cell
            for cell in document["results"]
        }

    def status(self, workload: str, participant: str) -> str | None:
        cell = self.cells.get((workload, participant))
        return None if cell is None else str(cell["status"])

    def value(self, workload: str, participant: str, metric: str) -> float | None:
        cell = self.cells.get((workload, participant))
        if cell is None or cell["status"] != "ok":
            return None
        median: Mapping[str, float] = cell["median"]
        return median.get(metric)

    def best_peer(self, workload: str, metric: str) -> tuple[str, float] | None:
        """Return the title and value of the best peer on ``metric``, if any ran."""
        higher_is_better = WORKLOADS[workload].metric(metric).higher_is_better
        best: tuple[str, float] | None = None
        for key, info in self.document["participants"].items():
            if not info["is_peer"]:
                continue
            value = self.value(workload, key, metric)
            if value is None:
                continue
            better = best is None or (
                value > best[1] if higher_is_better else value < best[1]
            )
            if better:
                best = (str(info["title"]), value)
        return best


def _missing(results: Results, workload: str) -> Outcome:
    status = results.status(workload, "spinoff")
    return "pending" if status in (None, "pending") else "not measured"


def _spinoff_status_text(results: Results, workload: str) -> str:
    return f"spinoff {results.status(workload, 'spinoff') or 'not run'}"


def _versus_peers(
    workload: str, factor: float, floor: float | None
) -> Callable[[Results], Verdict]:
    metric = WORKLOADS[workload].metrics[0]
    text = f"≥ {factor:g}x best peer"
    if floor is not None:
        text += f" and ≥ {floor:,.0f} {metric.unit}"

    def check(results: Results) -> Verdict:
        spinoff = results.value(workload, "spinoff", metric.key)
        best = results.best_peer(workload, metric.key)
        if spinoff is None:
            measured = _spinoff_status_text(results, workload)
            return Verdict(workload, text, measured, _missing(results, workload))
        if best is None:
            return Verdict(workload, text, "no peer result", "not measured")
        ratio = spinoff / best[1]
        measured = f"{ratio:.2f}x {best[0]}, {spinoff:,.0f} {metric.unit}"
        met = ratio >= factor and (floor is None or spinoff >= floor)
        return Verdict(workload, text, measured, "met" if met else "missed")

    return check


def _versus_raw(workload: str, share: float) -> Callable[[Results], Verdict]:
    metric = WORKLOADS[workload].metrics[0]
    text = f"≥ {share:.0%} of raw pyzmq"

    def check(results: Results) -> Verdict:
        spinoff = results.value(workload, "spinoff", metric.key)
        raw = results.value(workload, "raw", metric.key)
        if spinoff is None:
            measured = _spinoff_status_text(results, workload)
            return Verdict(workload, text, measured, _missing(results, workload))
        if raw is None:
            return Verdict(workload, text, "no raw pyzmq result", "not measured")
        ratio = spinoff / raw
        outcome: Outcome = "met" if ratio >= share else "missed"
        return Verdict(workload, text, f"{ratio:.0%} of raw pyzmq", outcome)

    return check


def _spawn(results: Results) -> Verdict:
    text = "≥ 100,000 actors/s and ≤ 512 B per idle actor"
    spawn_rate = results.value("W3", "spinoff", "spawn_per_s")
    per_actor = results.value("W3", "spinoff", "bytes_per_actor")
    if spawn_rate is None or per_actor is None:
        measured = _spinoff_status_text(results, "W3")
        return Verdict("W3", text, measured, _missing(results, "W3"))
    measured = f"{spawn_rate:,.0f} actors/s, {per_actor:,.0f} B"
    met = spawn_rate >= 100_000 and per_actor <= 512
    return Verdict("W3", text, measured, "met" if met else "missed")


def _detection(results: Results) -> Verdict:
    text = "≤ 1 s median"
    seconds = results.value("W7", "spinoff", "detect_s")
    if seconds is None:
        measured = _spinoff_status_text(results, "W7")
        return Verdict("W7", text, measured, _missing(results, "W7"))
    outcome: Outcome = "met" if seconds <= 1.0 else "missed"
    return Verdict("W7", text, f"{seconds:.2f} s", outcome)


CHECKS: tuple[Callable[[Results], Verdict], ...] = (
    _versus_peers("W1", 5, 1_000_000),
    _versus_peers("W2", 2, None),
    _spawn,
    _versus_peers("W4", 5, 1_000_000),
    _versus_raw("W5", 0.8),
    _versus_raw("W6", 0.5),
    _detection,
)


def evaluate(document: Mapping[str, Any]) -> list[Verdict]:
    """Return a verdict for every target whose workload is in ``document``."""
    results = Results(document)
    present = {cell["workload"] for cell in document["results"]}
    verdicts = [check(results) for check in CHECKS]
    return [verdict for verdict in verdicts if verdict.workload in present]
