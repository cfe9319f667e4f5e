"""Command line of the suite: ``python -m bench``."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.machine import load_average
from bench.participants import PARTICIPANTS
from bench.procs import become_subreaper, probe_isolation
from bench.report import render, update_page
from bench.runner import (
    SuiteOptions,
    collect_leftovers,
    now,
    results_document,
    run_sample,
)
from bench.runner import run_suite as run_cells
from bench.targets import evaluate
from bench.workloads import SIZES, WORKLOADS, Size


def _split(values: Sequence[str] | None, known: Sequence[str], kind: str) -> list[str]:
    if not values:
        return list(known)
    chosen: list[str] = []
    for value in values:
        for item in value.split(","):
            item = item.strip()
            if item not in known:
                raise SystemExit(
                    f"unknown {kind} {item!r}; choose from {', '.join(known)}"
                )
            if item not in chosen:
                chosen.append(item)
    # Keep the canonical order, so tables read the same whatever the flags.
    return [item for item in known if item in chosen]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Run spinoff, Pykka, Thespian and raw limits on identical workloads,"
            " each run in its own process, and print the medians and targets."
        ),
    )
    _add_selection_options(parser)
    _add_output_options(parser)
    _add_profile_options(parser)
    parser.add_argument(
        "--list",
        action="store_true",
        help="list workloads and participants with their availability, then exit",
    )
    return parser


def _add_selection_options(parser: argparse.ArgumentParser) -> None:
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--quick",
        action="store_const",
        const="quick",
        dest="size",
        help="smaller N and one run each; finishes in under two minutes",
    )
    size.add_argument("--size", choices=SIZES, help="workload size (default: full)")
    # Set here because the first action's default would win for a shared dest.
    parser.set_defaults(size="full")

    parser.add_argument(
        "-w",
        "--workloads",
        action="append",
        metavar="LIST",
        help=f"comma-separated workloads to run (default: {','.join(WORKLOADS)})",
    )
    parser.add_argument(
        "-f",
        "--frameworks",
        action="append",
        metavar="LIST",
        help=(
            "comma-separated participants to run (default: all of"
            f" {','.join(PARTICIPANTS)})"
        ),
    )

    parser.add_argument(
        "--repeats",
        type=int,
        help="runs per participant and workload (default: 3, W7 5; quick and tiny 1)",
    )
    parser.add_argument(
        "--time-bound",
        type=float,
        metavar="SECONDS",
        help="per-run time limit in seconds for every workload (default: per workload)",
    )
    parser.add_argument(
        "--no-netns",
        action="store_true",
        help="do not run workers in a network namespace that has only loopback",
    )


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, help="write the results JSON to this file")
    parser.add_argument(
        "--markdown",
        type=Path,
        metavar="PAGE",
        help="replace the generated section of this page, e.g. docs/benchmarks.md",
    )


def _add_profile_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        metavar="WORKLOAD",
        choices=sorted(WORKLOADS),
        help="run one workload once under a profiler instead of the suite",
    )
    parser.add_argument(
        "--profiler",
        choices=("cprofile", "pyinstrument"),
        default="cprofile",
        help="profiler for --profile (default: cprofile)",
    )
    parser.add_argument(
        "--profile-out",
        type=Path,
        metavar="FILE",
        help="profile output file (default: profile-<WORKLOAD>-<framework>.prof/.html)",
    )


def _list() -> int:
    for workload in WORKLOADS.values():
        print(f"{workload.title}: {workload.summary}")
        for participant in PARTICIPANTS.values():
            if participant.supports(workload.key):
                variant = participant.variants[workload.key].description
                availability = participant.availability(workload.key)
                print(f"    {participant.key:9} {variant:28} {availability}")
    return 0


def _profile(args: argparse.Namespace, size: Size) -> int:
    workload = WORKLOADS[args.profile]
    participant = "spinoff"
    if args.frameworks:
        chosen = _split(args.frameworks, list(PARTICIPANTS), "framework")
        if len(chosen) != 1:
            raise SystemExit(f"--profile takes one framework, got {','.join(chosen)}")
        participant = chosen[0]
    if not PARTICIPANTS[participant].supports(workload.key):
        runners = [key for key, p in PARTICIPANTS.items() if p.supports(workload.key)]
        raise SystemExit(
            f"framework {participant!r} does not run {workload.key};"
            f" choose one of {', '.join(runners)}"
        )

    suffix = ".prof" if args.profiler == "cprofile" else ".html"
    output: Path = args.profile_out or Path(
        f"profile-{workload.key}-{participant}{suffix}"
    )
    extra = ["--profile", str(output.resolve()), "--profiler", args.profiler]
    isolation = probe_isolation(not args.no_netns)
    with tempfile.TemporaryDirectory(prefix="bench-") as log_dir:
        sample, stderr = run_sample(
            participant,
            workload,
            workload.params(size),
            isolation=isolation,
            time_bound_s=args.time_bound or workload.bound_s(size) * 3,
            log_dir=Path(log_dir),
            extra=extra,
        )
    sys.stderr.write(stderr)

    if sample.status != "ok":
        print(f"{workload.title} {participant}: {sample.status}: {sample.error}")
        return 1
    print(f"{workload.title} {participant}: {sample.metrics}")
    print(f"profile written to {output}")
    if args.profiler == "cprofile":
        print(f"inspect it with: python -m pstats {output}")
    return 0


def _run_suite(args: argparse.Namespace, size: Size, arguments: list[str]) -> int:
    isolation = probe_isolation(not args.no_netns)
    print(f"isolation: {isolation.notice}", file=sys.stderr)
    started_at, started = now()
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="bench-") as log_dir:
        options = SuiteOptions(
            size=size,
            workloads=_split(args.workloads, list(WORKLOADS), "workload"),
            participants=_split(args.frameworks, list(PARTICIPANTS), "framework"),
            isolation=isolation,
            repeats=args.repeats,
            time_bound_s=args.time_bound,
            log_dir=Path(log_dir),
        )
        cells = run_cells(options)
    leftovers = collect_leftovers()
    if leftovers:
        print(f"killed leftover processes: {leftovers}", file=sys.stderr)
    _, finished = now()

    document = results_document(
        cells,
        options=options,
        command=shlex.join(["python", "-m", "bench", *arguments]),
        started_at=started_at,
        duration_s=finished - started,
        leftovers=leftovers,
        load_before=load_before,
    )
    _write_outputs(args, document)
    return 0


def _write_outputs(args: argparse.Namespace, document: dict[str, Any]) -> None:
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(document, indent=1) + "\n")
        print(f"results written to {args.out}", file=sys.stderr)
    section = render(document)
    if args.markdown is not None:
        update_page(args.markdown, section)
        print(f"updated {args.markdown}", file=sys.stderr)
    print(section)
    for verdict in evaluate(document):
        print(
            f"target {verdict.workload} {verdict.target}: {verdict.outcome}"
            f" ({verdict.measured})"
        )


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(arguments)
    size: Size = args.size
    if args.list:
        return _list()
    become_subreaper()
    if args.profile:
        return _profile(args, size)
    return _run_suite(args, size, arguments)
