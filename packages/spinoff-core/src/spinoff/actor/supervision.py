"""Supervision decisions returned by `Actor.supervise`.

A parent's ``supervise(exc)`` returns one of `Resume`, `Restart`,
``Restart(max=N, within=T)``, `Stop`, `Escalate` or `Default`. `Default` picks
`Stop` for a failure to construct or start the child, `Escalate` for an
`AssertionError` and `Restart` for any other exception.
"""

from __future__ import annotations

__all__ = ["Decision", "Default", "Escalate", "Restart", "Resume", "Stop"]


class Decision:
    """A supervision decision; use the module constants rather than building one."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


class RestartDecision(Decision):
    """`Restart`, optionally limited to `max` restarts within `within` seconds.

    Without `within`, the limit counts every restart since the child was
    spawned. Exceeding the limit stops the child.
    """

    __slots__ = ("max", "within")

    def __init__(self, max: int | None = None, within: float | None = None) -> None:
        super().__init__("Restart")
        if max is not None and (not isinstance(max, int) or max < 0):
            raise ValueError(f"Restart max must be a non-negative int, got {max!r}")
        if within is not None and (not isinstance(within, int | float) or within <= 0):
            raise ValueError(f"Restart within must be positive seconds, got {within!r}")
        self.max = max
        self.within = within

    def __call__(
        self, max: int | None = None, within: float | None = None
    ) -> RestartDecision:
        return RestartDecision(max=max, within=within)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RestartDecision) and (other.max, other.within) == (
            self.max,
            self.within,
        )

    def __hash__(self) -> int:
        return hash((self.max, self.within))

    def __repr__(self) -> str:
        if self.max is None and self.within is None:
            return "Restart"
        return f"Restart(max={self.max!r}, within={self.within!r})"


Resume = Decision("Resume")
Stop = Decision("Stop")
Escalate = Decision("Escalate")
Default = Decision("Default")
Restart = RestartDecision()
