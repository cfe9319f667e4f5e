"""Entry point of one measurement: ``python -m bench.worker``.

The runner starts one worker process per participant, workload and repeat, so
no two measurements share memory, garbage collector state or an event loop.
The worker prints exactly one result line that starts with ``BENCH-RESULT``.
Two-process workloads start a second worker in the ``server`` role.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import json
import logging
import pstats
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.measure import Profiler, RunContext
from bench.participants import PARTICIPANTS
from bench.workloads import WORKLOADS, Params

RESULT_PREFIX = "BENCH-RESULT "

Metrics = dict[str, float]
WorkloadFunction = Callable[[RunContext], Metrics]
ServerFunction = Callable[[RunContext], None]


class _CProfiler:
    """cProfile behind the start/stop interface of ``bench.measure.Profiler``."""

    def __init__(self) -> None:
        self.profile = cProfile.Profile()

    def start(self) -> None:
        self.profile.enable()

    def stop(self) -> None:
        self.profile.disable()

    def save(self, path: Path) -> None:
        self.profile.dump_stats(str(path))
        stats = pstats.Stats(self.profile, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)


class _PyinstrumentProfiler:
    """pyinstrument behind the same interface. Sessions of all spans are merged.

    pyinstrument is optional, so it is imported by name and stays untyped here.
    """

    def __init__(self) -> None:
        self._pyinstrument: Any = importlib.import_module("pyinstrument")
        self._current: Any = None
        self.session: Any = None

    def start(self) -> None:
        self._current = self._pyinstrument.Profiler(async_mode="disabled")
        self._current.start()

    def stop(self) -> None:
        session = self._current.stop()
        if self.session is None:
            self.session = session
        else:
            self.session = session.combine(self.session, session)

    def save(self, path: Path) -> None:
        renderers: Any = importlib.import_module("pyinstrument.renderers")
        if self.session is None:
            raise RuntimeError("the workload ran no timed section to profile")
        path.write_text(renderers.HTMLRenderer().render(self.session))
        text = renderers.ConsoleRenderer(unicode=True).render(self.session)
        print(text, file=sys.stderr)


def _load(participant: str, table: str, workload: str) -> Callable[..., Any]:
    if participant not in PARTICIPANTS:
        known = ", ".join(PARTICIPANTS)
        raise SystemExit(f"unknown participant {participant!r}; choose from {known}")
    module = importlib.import_module(PARTICIPANTS[participant].adapter_module)
    functions: dict[str, Callable[..., Any]] = getattr(module, table)
    try:
        return functions[workload]
    except KeyError:
        raise SystemExit(
            f"participant {participant!r} has no {table} entry for {workload}"
        ) from None


def _emit(result: dict[str, Any]) -> None:
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("--participant", required=True)
    parser.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    parser.add_argument(
        "--params", default=None, help="workload parameters as a JSON object"
    )
    parser.add_argument("--role", choices=("client", "server"), default="client")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="participant-specific setting passed to the workload",
    )
    parser.add_argument("--profile", type=Path, help="write a profile to this file")
    parser.add_argument(
        "--profiler", choices=("cprofile", "pyinstrument"), default="cprofile"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    workload = WORKLOADS[args.workload]
    if args.params is None:
        params = workload.params("full")
    else:
        params = Params.from_json(json.loads(args.params))
    options = dict(item.split("=", 1) for item in args.option)

    if args.role == "server":
        server: ServerFunction = _load(args.participant, "SERVERS", workload.key)
        server(RunContext(params, options=options))
        return 0

    profiler: _CProfiler | _PyinstrumentProfiler | None = None
    if args.profile is not None:
        profiler = (
            _CProfiler() if args.profiler == "cprofile" else (_PyinstrumentProfiler())
        )
    active: Profiler | None = profiler
    context = RunContext(params, profiler=active, options=options)
    try:
        function: WorkloadFunction = _load(args.participant, "WORKLOADS", workload.key)
        metrics = function(context)
    except Exception as error:  # reported to the runner, which records "error"
        traceback.print_exc()
        _emit({"status": "error", "error": f"{type(error).__name__}: {error}"})
        return 1
    if profiler is not None and args.profile is not None:
        profiler.save(args.profile)
    _emit({"status": "ok", "metrics": metrics})
    return 0


if __name__ == "__main__":
    sys.exit(main())
