"""The original spelling: ``twistd -n startnode ...`` from the installed twistd."""

from __future__ import annotations

import signal
from pathlib import Path

from spinoff.node.twistd import Options
from tests.node.conftest import StartNode
from tests.node.processes import TWISTD, free_ports, run_command

ACK = "got 'ack' from"


def test_twistd_long_options_run_example1(
    start_node: StartNode, tmp_path: Path
) -> None:
    node = start_node(
        "--pidfile", str(tmp_path / "node.pid"), "--nodaemon", "startnode",
        "--actor", "spinoff.examples.example1.ExampleProcess",
        twistd=True, cwd=tmp_path,
    )  # fmt: skip

    node.wait_for(ACK, times=3)
    assert (tmp_path / "node.pid").exists()
    node.signal(signal.SIGTERM)
    status = node.wait_exit()

    # twistd ends itself with the signal it received after a clean shutdown.
    assert status == -signal.SIGTERM, node.output
    assert node.count("] stopping") == 1
    assert node.count("Server Shut Down.") == 1
    assert not (tmp_path / "node.pid").exists()


def test_twistd_local_example2(start_node: StartNode, tmp_path: Path) -> None:
    node = start_node(
        "--pidfile", "", "-n", "startnode",
        "-a", "spinoff.examples.example2_local.LocalApp",
        twistd=True, cwd=tmp_path,
    )  # fmt: skip

    node.wait_for(ACK, times=3)
    node.signal(signal.SIGINT)

    assert node.wait_exit() == -signal.SIGINT, node.output
    assert node.count("] stopping") == 1


def test_twistd_two_nodes_short_options(start_node: StartNode, tmp_path: Path) -> None:
    """The README's commands, with free ports instead of 9700 and 9701."""
    responder_port, greeter_port = free_ports(2)
    responder = start_node(
        "--pidfile", "node1.pid", "-n", "startnode", "-r", f":{responder_port}",
        "-a", "spinoff.examples.example2.ExampleActor", "-n", "other",
        twistd=True, cwd=tmp_path,
    )  # fmt: skip
    greeter = start_node(
        "--pidfile", "node2.pid", "-n", "startnode", "-r", f":{greeter_port}",
        "-a", "spinoff.examples.example2.ExampleProcess",
        "-i", f"other_actor='localhost:{responder_port}/other'",
        twistd=True, cwd=tmp_path,
    )  # fmt: skip

    greeter.wait_for(ACK, times=3)

    assert responder.count(f"[localhost:{responder_port}/other] 'hello!' from") >= 3
    for node in (greeter, responder):
        node.signal(signal.SIGTERM)
        assert node.wait_exit() == -signal.SIGTERM, node.output


def test_twistd_timeout_options_parsed() -> None:
    actor = ["-a", "spinoff.examples.example1.ExampleProcess"]
    timeouts = ["--heartbeat-timeout", "2", "--connect-timeout", "12.5"]
    defaults = Options()
    configured = Options()

    defaults.parseOptions(actor)  # type: ignore[no-untyped-call]
    configured.parseOptions([*actor, *timeouts])  # type: ignore[no-untyped-call]

    assert defaults.settings is not None
    assert defaults.settings.remoting.heartbeat_timeout == 1.0
    assert defaults.settings.remoting.connect_timeout == 30.0
    assert configured.settings is not None
    assert configured.settings.remoting.heartbeat_timeout == 2.0
    assert configured.settings.remoting.connect_timeout == 12.5


def test_twistd_exits_when_actor_stops(start_node: StartNode, tmp_path: Path) -> None:
    node = start_node(
        "--pidfile", "", "-n", "startnode",
        "-a", "tests.node.actors.Recorder", "-m", "'stop'",
        twistd=True,
    )  # fmt: skip

    assert node.wait_exit() == 0, node.output
    assert node.count("received 'stop'") == 1
    assert node.count("post_stop ran") == 1


def test_twistd_bad_input_one_line(tmp_path: Path) -> None:
    result = run_command(
        str(TWISTD), "--pidfile", "", "-n", "startnode",
        "-a", "spinoff.examples.example2.ExampleProcess", "-i", "other_actor=f()",
        cwd=tmp_path,
    )  # fmt: skip

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "twistd startnode: error: invalid --params 'other_actor=f()': the value of "
        "'other_actor' (f()) is not a Python literal; expected comma-separated "
        "key=literal pairs such as \"name='x', count=3\"; quote strings"
    ]
    assert result.stdout == ""


def test_twistd_requires_actor(tmp_path: Path) -> None:
    result = run_command(str(TWISTD), "--pidfile", "", "-n", "startnode", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "twistd startnode: error: missing option --actor (-a); expected module.Class"
    ]
