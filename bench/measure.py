"""Timing, memory and profiling helpers used inside a worker process."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from bench.workloads import Params

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class Profiler(Protocol):
    """The subset of cProfile.Profile and pyinstrument's Profiler in use."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class Span:
    """Wall-clock duration of one timed section, in seconds."""

    seconds: float = 0.0


@dataclass
class RunContext:
    """Parameters and measuring tools handed to a workload function.

    Only the sections inside ``timed()`` are measured and profiled, so set-up
    and tear-down stay out of the numbers.
    """

    params: Params
    profiler: Profiler | None = None
    options: dict[str, str] = field(default_factory=dict)

    @contextmanager
    def timed(self) -> Iterator[Span]:
        span = Span()
        if self.profiler is not None:
            self.profiler.start()
        started = time.perf_counter()
        try:
            yield span
        finally:
            span.seconds = time.perf_counter() - started
            if self.profiler is not None:
                self.profiler.stop()


def rate(count: int, span: Span) -> float:
    """Return ``count`` per second of ``span``."""
    if span.seconds <= 0:
        raise ValueError(f"timed section took {span.seconds} s; cannot form a rate")
    return count / span.seconds


def rss_bytes() -> int:
    """Return the resident set size of this process in bytes (Linux only)."""
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * _PAGE_SIZE


def settled_rss_bytes() -> int:
    """Collect garbage, then return the resident set size in bytes."""
    gc.collect()
    return rss_bytes()


def bytes_per_item(before: int, after: int, count: int) -> float:
    """Return the RSS growth per item. Growth can be negative after a collection."""
    return (after - before) / count
