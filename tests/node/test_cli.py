"""End-to-end tests of the installed ``spinoff-node`` command."""

from __future__ import annotations

import signal
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.node.conftest import StartNode
from tests.node.processes import ROOT, SPINOFF_NODE, free_port, run_command

EXAMPLE1 = "spinoff.examples.example1.ExampleProcess"


def run_node(*arguments: str, cwd: Path = ROOT) -> tuple[int, list[str], str]:
    """Run ``spinoff-node run ARGS``; return the status, stderr lines and stdout."""
    result = run_command(str(SPINOFF_NODE), "run", *arguments, cwd=cwd)
    return result.returncode, result.stderr.splitlines(), result.stdout


# -- invalid input --------------------------------------------------------------------

BAD_INPUT = [
    (
        ["-a", "no_such_module_x.Actor"],
        "invalid --actor 'no_such_module_x.Actor': module",
    ),
    (["-a", "spinoff.examples.example1.Nope"], "has no attribute 'Nope'"),
    (["-a", "spinoff.examples.example1"], "names a module, not a class"),
    (
        ["-a", "spinoff.examples.example1.dbg"],
        "'dbg' is a function that is not an actor",
    ),
    (["-a", "tests.node.actors.NotAnActor"], "'NotAnActor' is a class that is not an"),
    (["-a", EXAMPLE1, "-i", "x=f()"], "the value of 'x' (f()) is not a Python literal"),
    (["-a", "tests.node.actors.NeedsParams"], "missing a required argument: 'text'"),
    (
        ["-a", EXAMPLE1, "-m", "hello"],
        "invalid --message 'hello': not a Python literal",
    ),
    (["-a", EXAMPLE1, "-r", "9700"], "invalid --remoting '9700': the port is missing"),
    (["-a", EXAMPLE1, "-r", ":70000"], "the port 70000 is out of range"),
    (["-a", EXAMPLE1, "-r", ":http"], "the port 'http' is not a number"),
    (["-a", EXAMPLE1, "-n", "a/b"], "invalid --name 'a/b': not a valid actor name"),
    (["-a", EXAMPLE1, "-s", "sometimes"], "invalid --supervise 'sometimes'"),
    (["-a", EXAMPLE1, "--heartbeat-timeout", "0.1"], "invalid --heartbeat-timeout"),
    (["-a", EXAMPLE1, "--connect-timeout", "0"], "invalid --connect-timeout 0.0"),
    (["-a", EXAMPLE1, "--allow", "nope_x.Cls"], "invalid --allow 'nope_x.Cls'"),
    (["-a", EXAMPLE1, "--bogus"], "No such option: --bogus"),
    (["-r", ":9700"], "Missing option '-a' / '--actor'"),
]


@pytest.fixture(scope="module")
def bad_input_results() -> dict[int, tuple[int, list[str], str]]:
    """Run every case of `BAD_INPUT` at once, because each start takes seconds."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            index: pool.submit(run_node, *arguments)
            for index, (arguments, _) in enumerate(BAD_INPUT)
        }
        return {index: future.result() for index, future in futures.items()}


@pytest.mark.parametrize(
    ("index", "expected"),
    list(enumerate(text for _, text in BAD_INPUT)),
    ids=[text for _, text in BAD_INPUT],
)
def test_bad_input_one_line(
    bad_input_results: dict[int, tuple[int, list[str], str]], index: int, expected: str
) -> None:
    status, errors, output = bad_input_results[index]

    assert status == 2
    assert len(errors) == 1, errors
    assert errors[0].startswith("spinoff-node: error: ")
    assert expected in errors[0]
    assert "Traceback" not in errors[0]
    assert output == ""


def test_bad_import_names_dependency(tmp_path: Path) -> None:
    (tmp_path / "needs_dependency.py").write_text("import missing_dependency_x\n")

    status, errors, _ = run_node("-a", "needs_dependency.Actor", cwd=tmp_path)

    assert status == 2
    assert errors == [
        "spinoff-node: error: invalid --actor 'needs_dependency.Actor': importing "
        "module 'needs_dependency' failed: No module named 'missing_dependency_x'; "
        "install the missing module"
    ]


def test_port_in_use_rejected() -> None:
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()

        status, errors, _ = run_node("-a", EXAMPLE1, "-r", f"127.0.0.1:{port}")

    assert status == 2
    assert errors == [
        f"spinoff-node: error: invalid --remoting '127.0.0.1:{port}': the port "
        f"{port} is already in use; stop the process that uses it or choose "
        "another port"
    ]


def test_port_of_running_node_rejected(start_node: StartNode) -> None:
    port = free_port()
    first = start_node("-a", "tests.node.actors.Recorder", "-r", f"127.0.0.1:{port}")
    first.wait_for("started with {}")

    status, errors, _ = run_node("-a", EXAMPLE1, "-r", f"127.0.0.1:{port}")

    assert status == 2
    assert len(errors) == 1
    assert f"the port {port} is already in use" in errors[0]


def test_version_and_help() -> None:
    version = run_command(str(SPINOFF_NODE), "--version")
    help_text = run_command(str(SPINOFF_NODE), "run", "--help")

    assert version.returncode == 0
    assert version.stdout.startswith("spinoff-node 0.")
    assert help_text.returncode == 0
    for fragment in ("--actor", "--remoting", "--params", "--keep-running"):
        assert fragment in help_text.stdout
    assert "[default: stop]" in help_text.stdout
    assert "[default: DEBUG]" in help_text.stdout
    # Click wraps the help column, so compare with the whitespace collapsed.
    flat_help = " ".join(help_text.stdout.split())
    assert "--heartbeat-timeout SECONDS" in flat_help
    assert "twice --heartbeat-interval. [default: 1.0]" in flat_help
    assert "--connect-timeout SECONDS" in flat_help
    assert "within this time. [default: 30.0]" in flat_help


def test_no_arguments_prints_help() -> None:
    result = run_command(str(SPINOFF_NODE))

    assert result.returncode == 2
    assert result.stderr.startswith("Usage: spinoff-node [OPTIONS] COMMAND")
    assert "run  Start a node" in result.stderr


# -- running and stopping ----------------------------------------------------------


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_node_cleanly(start_node: StartNode, number: int) -> None:
    node = start_node("-a", EXAMPLE1, "-r", f"127.0.0.1:{free_port()}")
    node.wait_for("got 'ack' from")

    node.signal(number)
    status = node.wait_exit()

    assert status == 0, node.output
    assert node.count("] stopping") == 1  # ExampleActor.post_stop ran
    assert node.count("remoting hub") >= 1
    assert "Traceback" not in node.output


def test_actor_stop_exits_zero(start_node: StartNode) -> None:
    node = start_node("-a", "tests.node.actors.Recorder", "-n", "rec", "-m", "'stop'")

    status = node.wait_exit()

    assert status == 0, node.output
    assert node.count("[/rec] received 'stop'") == 1
    assert node.count("[/rec] post_stop ran") == 1
    assert node.count("/rec stopped normally; stopping the node") == 1


def test_actor_failure_exits_one(start_node: StartNode) -> None:
    node = start_node("-a", "tests.node.actors.Crashes")

    status = node.wait_exit()

    assert status == 1, node.output
    assert node.count("RuntimeError: planned failure") >= 1
    assert node.count("stopped after a failure; stopping the node") == 1


def test_message_delivered_first(start_node: StartNode) -> None:
    node = start_node(
        "-a", "tests.node.actors.Recorder", "-n", "rec", "-m", "('hello', [1, 'a=b'])"
    )
    node.wait_for("received ('hello', [1, 'a=b'])")

    node.signal(signal.SIGTERM)

    assert node.wait_exit() == 0
    assert node.count("received") == 1


def test_params_reach_pre_start(start_node: StartNode) -> None:
    node = start_node(
        "-a", "tests.node.actors.NeedsParams", "-i", "text='x=1, y=2', count=-3"
    )
    node.wait_for("params text='x=1, y=2' count=-3")

    node.signal(signal.SIGTERM)

    assert node.wait_exit() == 0


def test_keep_running_respawns(start_node: StartNode) -> None:
    node = start_node(
        "-a", "tests.node.actors.QuitsSoon", "-n", "q", "-k", "--respawn-delay", "0.2"
    )
    node.wait_for("[/q] started", times=3)

    node.signal(signal.SIGTERM)

    assert node.wait_exit() == 0
    assert node.count("/q stopped normally; respawning it in 0.2 s") >= 2


def test_restart_supervision_restarts(start_node: StartNode) -> None:
    node = start_node(
        "-a", "tests.node.actors.Crashes", "-n", "c", "-s", "restart",
        "--max-restarts", "2",
    )  # fmt: skip

    status = node.wait_exit()

    assert status == 1, node.output
    assert node.count("[/c] started") == 3
    assert node.count("after 2 restarts within 60.0 s; stopped it") == 1


def test_restart_limit_stops_start_failures(start_node: StartNode) -> None:
    node = start_node("-a", "tests.node.actors.FailsToStart", "-s", "restart")

    status = node.wait_exit()

    assert status == 1, node.output
    assert node.count("starting") == 11


def test_log_levels_apply(start_node: StartNode) -> None:
    node = start_node(
        "-a", "tests.node.actors.Recorder", "-m", "'stop'", "--log-level", "INFO",
        "--framework-log-level", "WARNING",
    )  # fmt: skip

    assert node.wait_exit() == 0
    assert node.count("received 'stop'") == 0
    assert node.count("spinoff.node") == 0
