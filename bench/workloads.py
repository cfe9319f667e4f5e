"""Workload definitions shared by the runner, the workers and the report.

Every participant runs the same workload with the same parameters. A workload
function lives in each participant's adapter module and returns the metrics
named here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Size = Literal["full", "quick", "tiny"]
SIZES: tuple[Size, ...] = ("full", "quick", "tiny")


@dataclass(frozen=True)
class Metric:
    """One number that a workload reports."""

    key: str
    label: str
    unit: str
    higher_is_better: bool


@dataclass(frozen=True)
class Params:
    """Parameters of one workload run.

    ``n`` counts messages, round trips, actors or kills, as the workload's
    summary states. ``actors`` and ``per_actor`` are used by the fan-out workload
    only, where ``n == actors * per_actor``.
    """

    n: int
    actors: int = 1
    per_actor: int = 0

    def to_json(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Params:
        return cls(**{key: int(value) for key, value in data.items()})


@dataclass(frozen=True)
class Workload:
    """A workload: what is measured, at which sizes, and how long a run may take.

    ``time_bound_s`` is the wall-clock limit in seconds for one run at full size,
    process start-up included. A run that exceeds it is killed and recorded as a
    timeout. Quick and tiny runs get ``min(time_bound_s, 30)``.
    """

    key: str
    name: str
    summary: str
    metrics: tuple[Metric, ...]
    sizes: dict[Size, Params]
    repeats: int
    time_bound_s: float

    def params(self, size: Size) -> Params:
        return self.sizes[size]

    def bound_s(self, size: Size) -> float:
        if size == "full":
            return self.time_bound_s
        return min(self.time_bound_s, 30.0)

    def metric(self, key: str) -> Metric:
        for metric in self.metrics:
            if metric.key == key:
                return metric
        raise KeyError(f"workload {self.key} has no metric {key!r}")

    @property
    def title(self) -> str:
        return f"{self.key} {self.name}"


MSGS_PER_S = Metric("msgs_per_s", "messages/s", "msg/s", higher_is_better=True)
ROUND_TRIPS_PER_S = Metric(
    "round_trips_per_s", "round trips/s", "rt/s", higher_is_better=True
)
SPAWN_PER_S = Metric("spawn_per_s", "spawned actors/s", "actors/s", True)
BYTES_PER_ACTOR = Metric(
    "bytes_per_actor", "RSS bytes per idle actor", "B", higher_is_better=False
)
STOP_PER_S = Metric("stop_per_s", "stopped actors/s", "actors/s", True)
DETECT_S = Metric(
    "detect_s", "seconds to termination notice", "s", higher_is_better=False
)

W1 = Workload(
    key="W1",
    name="tell",
    summary=(
        "One producer sends N small ints to one actor that counts them. Time runs"
        " from the first send until a final count request returns N."
    ),
    metrics=(MSGS_PER_S,),
    sizes={"full": Params(200_000), "quick": Params(20_000), "tiny": Params(50)},
    repeats=3,
    time_bound_s=90.0,
)
W2 = Workload(
    key="W2",
    name="ask",
    summary="N sequential request-reply round trips to one actor.",
    metrics=(ROUND_TRIPS_PER_S,),
    sizes={"full": Params(20_000), "quick": Params(2_000), "tiny": Params(50)},
    repeats=3,
    time_bound_s=90.0,
)
W3 = Workload(
    key="W3",
    name="spawn",
    summary=(
        "Start N actors and keep them alive, measure RSS growth per live idle"
        " actor, then stop them all and wait until every one has stopped."
    ),
    metrics=(SPAWN_PER_S, BYTES_PER_ACTOR, STOP_PER_S),
    sizes={"full": Params(10_000), "quick": Params(1_000), "tiny": Params(50)},
    repeats=3,
    time_bound_s=120.0,
)
W4 = Workload(
    key="W4",
    name="fan-out",
    summary=(
        "Each of `actors` actors is sent `per_actor` messages, round-robin. Time"
        " runs from the first send until every actor has reported its full count."
    ),
    metrics=(MSGS_PER_S,),
    sizes={
        "full": Params(100_000, actors=1_000, per_actor=100),
        "quick": Params(10_000, actors=200, per_actor=50),
        "tiny": Params(50, actors=10, per_actor=5),
    },
    repeats=3,
    time_bound_s=120.0,
)
W5 = Workload(
    key="W5",
    name="remote ping-pong",
    summary=(
        "Two OS processes on 127.0.0.1. N sequential request-reply round trips"
        " from process A to an actor in process B."
    ),
    metrics=(ROUND_TRIPS_PER_S,),
    sizes={"full": Params(20_000), "quick": Params(500), "tiny": Params(50)},
    repeats=3,
    time_bound_s=150.0,
)
W6 = Workload(
    key="W6",
    name="remote tell",
    summary=(
        "Process A sends N small messages to an actor in process B. Time runs from"
        " the first send until A learns that B has received all N."
    ),
    metrics=(MSGS_PER_S,),
    sizes={"full": Params(200_000), "quick": Params(5_000), "tiny": Params(50)},
    repeats=3,
    time_bound_s=90.0,
)
W7 = Workload(
    key="W7",
    name="failure detection",
    summary=(
        "Node A watches an actor on node B, then node B is killed with SIGKILL."
        " Seconds from the kill until the watcher receives the termination notice."
    ),
    metrics=(DETECT_S,),
    sizes={"full": Params(1), "quick": Params(1), "tiny": Params(1)},
    repeats=5,
    time_bound_s=60.0,
)

WORKLOADS: dict[str, Workload] = {
    workload.key: workload for workload in (W1, W2, W3, W4, W5, W6, W7)
}
