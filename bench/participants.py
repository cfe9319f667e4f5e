"""The participants of the suite: spinoff, its peers and the raw limits.

A participant maps each workload it supports to a variant. The variant names
the flavour of the participant that runs the workload and lists the modules
that must be importable for it to run. The adapter module
``bench.<key>_adapter`` implements the workloads.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Literal

Availability = Literal["ok", "pending", "not installed"]


@dataclass(frozen=True)
class Variant:
    """Flavour of a participant used for one workload, and the modules it needs."""

    description: str
    requires: tuple[str, ...]


@dataclass(frozen=True)
class Participant:
    """A framework or raw baseline that runs some of the workloads.

    ``is_peer`` marks the third-party frameworks that the targets compare
    spinoff against. ``unavailable`` is the status recorded when a required
    module is missing: spinoff's own packages are still being written, so their
    absence means "pending", while a missing peer means "not installed".
    """

    key: str
    title: str
    variants: dict[str, Variant]
    distributions: tuple[str, ...]
    is_peer: bool
    unavailable: Availability

    @property
    def adapter_module(self) -> str:
        return f"bench.{self.key}_adapter"

    def supports(self, workload: str) -> bool:
        return workload in self.variants

    def availability(self, workload: str) -> Availability:
        """Return whether every module that ``workload`` needs is importable."""
        for module in self.variants[workload].requires:
            if not module_available(module):
                return self.unavailable
        return "ok"


def module_available(name: str) -> bool:
    """Return whether ``name`` can be imported, without importing it.

    A bare folder found as a namespace package does not count, because a
    package that is still being written may have its folder but no code.
    """
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        # find_spec imports parent packages, and a missing parent raises.
        return False
    return spec is not None and spec.origin is not None


_SPINOFF_LOCAL = Variant("local Node", ("twisted", "spinoff.actor"))
_SPINOFF_REMOTE = Variant(
    "two nodes with remoting", ("twisted", "zmq", "spinoff.actor", "spinoff.remoting")
)
_PYKKA = Variant("ThreadingActor", ("pykka",))
_THESPIAN_SIMPLE = Variant("simpleSystemBase", ("thespian",))
_THESPIAN_TCP = Variant("multiprocTCPBase", ("thespian",))
_DEQUE = Variant("deque + bound method", ())
_PYZMQ = Variant("pyzmq DEALER/ROUTER", ("zmq",))

PARTICIPANTS: dict[str, Participant] = {
    participant.key: participant
    for participant in (
        Participant(
            key="spinoff",
            title="spinoff",
            variants={
                "W1": _SPINOFF_LOCAL,
                "W2": _SPINOFF_LOCAL,
                "W3": _SPINOFF_LOCAL,
                "W4": _SPINOFF_LOCAL,
                "W5": _SPINOFF_REMOTE,
                "W6": _SPINOFF_REMOTE,
                "W7": _SPINOFF_REMOTE,
            },
            distributions=("spinoff-core", "spinoff-remoting"),
            is_peer=False,
            unavailable="pending",
        ),
        Participant(
            key="pykka",
            title="Pykka",
            variants={"W1": _PYKKA, "W2": _PYKKA, "W3": _PYKKA, "W4": _PYKKA},
            distributions=("pykka",),
            is_peer=True,
            unavailable="not installed",
        ),
        Participant(
            key="thespian",
            title="Thespian",
            variants={
                "W1": _THESPIAN_SIMPLE,
                "W2": _THESPIAN_SIMPLE,
                "W3": _THESPIAN_SIMPLE,
                "W4": _THESPIAN_SIMPLE,
                "W5": _THESPIAN_TCP,
                "W6": _THESPIAN_TCP,
            },
            distributions=("thespian",),
            is_peer=True,
            unavailable="not installed",
        ),
        Participant(
            key="raw",
            title="raw limit",
            variants={
                "W1": _DEQUE,
                "W2": _DEQUE,
                "W3": _DEQUE,
                "W4": _DEQUE,
                "W5": _PYZMQ,
                "W6": _PYZMQ,
            },
            distributions=("pyzmq",),
            is_peer=False,
            unavailable="not installed",
        ),
    )
}
