"""The composition API: `NodeRunner` and `NodeService` on a virtual clock."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock

from spinoff.actor import Actor, Node, set_default_node, supervision
from spinoff.node import ExitStatus, NodeRunner, NodeService
from tests.node.actors import Crashes, FailsToStart, QuitsSoon, Recorder
from tests.node.processes import ROOT, node_env


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(autouse=True)
def reset_default_node() -> Iterator[None]:
    yield
    set_default_node(None)


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="tests.node.actors")


def outcomes(runner: NodeRunner) -> list[ExitStatus]:
    results: list[ExitStatus] = []
    runner.wait().addCallback(results.append)
    return results


def progress(caplog: pytest.LogCaptureFixture, fragment: str) -> int:
    return sum(
        fragment in record.getMessage()
        for record in caplog.records
        if record.name == "tests.node.actors"
    )


def test_runner_finishes_when_actor_returns(clock: Clock) -> None:
    node = Node(clock=clock)
    runner = NodeRunner(node, QuitsSoon, name="quitter")
    results = outcomes(runner)

    ref = runner.start()
    clock.advance(0.1)

    assert str(ref.uri) == "/quitter"
    assert results == [ExitStatus.OK]
    assert runner.exit_status is ExitStatus.OK
    with pytest.raises(RuntimeError, match="is stopped"):
        node.spawn(QuitsSoon)


def test_runner_reports_failure(clock: Clock) -> None:
    runner = NodeRunner(Node(clock=clock), Crashes)
    results = outcomes(runner)

    runner.start()
    clock.advance(0.1)

    assert results == [ExitStatus.ACTOR_FAILED]


def test_runner_reports_start_failure(clock: Clock) -> None:
    node = Node(clock=clock, supervision=supervision.Restart(max=2, within=60.0))
    runner = NodeRunner(node, FailsToStart, name="fails")
    results = outcomes(runner)

    runner.start()

    assert results == [ExitStatus.ACTOR_FAILED]


def test_runner_restart_limit_stops_actor(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    node = Node(clock=clock, supervision=supervision.Restart(max=2, within=60.0))
    runner = NodeRunner(node, Crashes)
    results = outcomes(runner)

    runner.start()
    for _ in range(3):
        clock.advance(0.1)

    assert progress(caplog, "started") == 3
    assert results == [ExitStatus.ACTOR_FAILED]


def test_runner_respawns_with_keep_running(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    runner = NodeRunner(
        Node(clock=clock),
        QuitsSoon,
        name="quitter",
        keep_running=True,
        respawn_delay=0.5,
    )
    results = outcomes(runner)

    runner.start()
    for _ in range(3):
        clock.advance(0.1)  # the process returns
        clock.advance(0.5)  # the respawn delay passes

    assert runner.spawn_count == 4
    assert progress(caplog, "started") == 4
    assert results == []

    runner.stop()

    assert results == [ExitStatus.OK]


def test_runner_respawns_after_failure(clock: Clock) -> None:
    runner = NodeRunner(Node(clock=clock), Crashes, keep_running=True, respawn_delay=1)
    results = outcomes(runner)

    runner.start()
    clock.advance(0.1)
    clock.advance(1.0)

    assert runner.spawn_count == 2
    assert results == []
    runner.stop()
    assert results == [ExitStatus.OK]


def test_runner_sends_first_message(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    runner = NodeRunner(Node(clock=clock), Recorder, message=("hello", 1))

    runner.start()

    assert progress(caplog, "received ('hello', 1)") == 1


def test_runner_stop_runs_post_stop(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    runner = NodeRunner(Node(clock=clock), Recorder.using(mode="test"))
    runner.start()

    results: list[ExitStatus] = []
    runner.stop().addCallback(results.append)

    assert progress(caplog, "started with {'mode': 'test'}") == 1
    assert progress(caplog, "post_stop ran") == 1
    assert results == [ExitStatus.OK]
    assert runner.stop() is not None  # a second stop changes nothing
    assert runner.exit_status is ExitStatus.OK


class HangsInPostStop(Actor):
    def post_stop(self) -> Deferred[None]:
        return Deferred()


def test_runner_stop_times_out(clock: Clock) -> None:
    runner = NodeRunner(Node(clock=clock), HangsInPostStop, stop_timeout=2.0)
    runner.start()
    results = outcomes(runner)

    runner.stop()
    clock.advance(1.9)
    assert results == []
    clock.advance(0.1)

    assert results == [ExitStatus.STOP_TIMED_OUT]


def test_runner_rejects_bad_timings(clock: Clock) -> None:
    with pytest.raises(ValueError, match="respawn_delay"):
        NodeRunner(Node(clock=clock), Recorder, respawn_delay=-1)
    with pytest.raises(ValueError, match="stop_timeout"):
        NodeRunner(Node(clock=clock), Recorder, stop_timeout=0)


def test_runner_starts_once(clock: Clock) -> None:
    runner = NodeRunner(Node(clock=clock), Recorder)
    runner.start()

    with pytest.raises(RuntimeError, match="was started before"):
        runner.start()


class FakeReactor:
    def __init__(self) -> None:
        self.stopped = 0

    def stop(self) -> None:
        self.stopped += 1

    def run(self) -> None:
        raise AssertionError("not used")

    def callWhenRunning(self, callable: Any) -> None:
        callable()

    def addSystemEventTrigger(self, phase: str, event: str, callable: Any) -> None:
        raise AssertionError("not used")


def test_service_builds_runner_on_start(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    reactor = FakeReactor()
    built: list[NodeRunner] = []

    def build() -> NodeRunner:
        built.append(NodeRunner(Node(clock=clock), Recorder, name="recorder"))
        return built[0]

    service = NodeService(build, reactor=reactor)
    assert built == []

    service.startService()
    assert len(built) == 1
    assert progress(caplog, "started with {}") == 1

    stopped = service.stopService()

    assert stopped is not None
    assert progress(caplog, "post_stop ran") == 1
    assert reactor.stopped == 0


def test_service_stops_reactor_when_actor_stops(clock: Clock) -> None:
    reactor = FakeReactor()
    runner = NodeRunner(Node(clock=clock), Recorder, message="stop")
    service = NodeService(runner, reactor=reactor)

    service.startService()

    assert runner.exit_status is ExitStatus.OK
    assert reactor.stopped == 1


def docs_snippet() -> str:
    text = (ROOT / "docs" / "node.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    runnable = [block for block in blocks if "serve(" in block]
    assert runnable, "docs/node.md has no runnable snippet that calls serve()"
    snippet: str = runnable[0]
    return snippet


@pytest.mark.timeout(60)
def test_docs_snippet_runs() -> None:
    """The composition example of docs/node.md runs to its end with status 0."""
    result = subprocess.run(
        [sys.executable, "-c", docs_snippet()],
        cwd=ROOT,
        env=node_env(),
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "got 'ack'" in result.stderr
    assert "Traceback" not in result.stderr
