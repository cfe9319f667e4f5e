"""Run one top-level actor on a node, and stop the node when the actor stops.

`NodeRunner` is the part that the ``spinoff-node`` command, the ``twistd
startnode`` plugin and custom launchers share: it spawns the actor, sends it
an optional first message, respawns it when asked to, and stops the node
(and with it the remoting hub, which tells the peers) when the actor is gone
or when `NodeRunner.stop` is called. `serve` runs the reactor around a runner
and returns its exit status; `NodeService` wraps a runner for a Twisted
application.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from typing import Any, Protocol

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from spinoff.actor import NameConflict, Node, Ref, set_default_node
from spinoff.actor.events import Events, UnhandledError

__all__ = ["NO_MESSAGE", "ExitStatus", "NodeRunner", "NodeService", "serve"]

logger = logging.getLogger("spinoff.node")


class Reactor(Protocol):
    """The part of a Twisted reactor that `serve` and `NodeService` use.

    A structural type, because mypy cannot check calls through Twisted's
    zope.interface declarations such as ``IReactorCore``.
    """

    def run(self) -> None: ...

    def stop(self) -> None: ...

    def callWhenRunning(self, callable: Callable[[], object]) -> object: ...

    def addSystemEventTrigger(
        self, phase: str, eventType: str, callable: Callable[[], object]
    ) -> object: ...


def _global_reactor() -> Reactor:
    from twisted.internet import reactor

    return reactor


class ExitStatus(enum.IntEnum):
    """Process exit statuses of the launcher."""

    OK = 0
    """The actor stopped normally, or the node was stopped from outside."""
    ACTOR_FAILED = 1
    """The actor stopped because of a failure that its supervision did not handle."""
    BAD_INPUT = 2
    """The command line was invalid; nothing was started."""
    STOP_TIMED_OUT = 3
    """The node did not finish stopping within the stop timeout."""


class _NoMessage:
    def __repr__(self) -> str:
        return "NO_MESSAGE"


NO_MESSAGE: Any = _NoMessage()
"""Default of `NodeRunner`'s ``message``: send nothing after spawning."""


class NodeRunner:
    """Keep one top-level actor running on `node`; stop the node when it ends.

    Args:
        node: the node to spawn on. Its ``supervision`` decides what happens
            to the actor when it fails, and its hub, if any, is stopped with
            it.
        factory: an `Actor` subclass, `Props` (``Actor.using(...)``) or a
            callable that returns an actor.
        name: the actor's name under the node's root; generated when None.
        message: sent to the actor right after each spawn, unless
            `NO_MESSAGE`.
        keep_running: respawn the actor `respawn_delay` seconds after it
            stops, instead of stopping the node.
        respawn_delay: seconds between a stop and the respawn.
        stop_timeout: seconds `stop` waits for the node to stop before it
            gives up with `ExitStatus.STOP_TIMED_OUT`.

    The runner finishes once the node has stopped; `wait` returns a Deferred
    of the `ExitStatus`. Without `keep_running` that happens when the actor
    stops: with `ExitStatus.ACTOR_FAILED` if the node's supervision stopped it
    after a failure, else with `ExitStatus.OK`. `stop` always finishes with
    `ExitStatus.OK` unless the node does not stop in time.
    """

    def __init__(
        self,
        node: Node,
        factory: Any,
        *,
        name: str | None = None,
        message: Any = NO_MESSAGE,
        keep_running: bool = False,
        respawn_delay: float = 1.0,
        stop_timeout: float = 5.0,
    ) -> None:
        if respawn_delay < 0:
            raise ValueError(f"respawn_delay must be >= 0 seconds, got {respawn_delay}")
        if stop_timeout <= 0:
            raise ValueError(f"stop_timeout must be > 0 seconds, got {stop_timeout}")
        self.node = node
        self.factory = factory
        self.name = name
        self.message = message
        self.keep_running = keep_running
        self.respawn_delay = respawn_delay
        self.stop_timeout = stop_timeout
        self.actor: Ref | None = None
        """The ref of the actor's current incarnation; None before `start`."""
        self.spawn_count = 0
        """How many times the actor was spawned, the first time included."""
        self.exit_status: ExitStatus | None = None
        """The outcome, once the runner has finished."""
        self._started = False
        self._stopping = False
        self._failed: set[Ref] = set()
        # An IDelayedCall, typed Any for the reason given in `Reactor`.
        self._respawn_call: Any = None
        self._waiters: list[Deferred[ExitStatus]] = []

    def start(self) -> Ref:
        """Make the node the default node, spawn the actor and return its ref.

        Raises:
            RuntimeError: the runner was started before.
            NameConflict: a top-level actor with `name` already exists.
        """
        if self._started:
            raise RuntimeError(f"{self!r} was started before; create a new runner")
        self._started = True
        set_default_node(self.node)
        Events.subscribe(UnhandledError, self._on_unhandled_error)
        try:
            return self._spawn()
        except BaseException:
            Events.unsubscribe(UnhandledError, self._on_unhandled_error)
            raise

    def wait(self) -> Deferred[ExitStatus]:
        """Return a Deferred that fires with the `ExitStatus` once finished."""
        if self.exit_status is not None:
            d: Deferred[ExitStatus] = Deferred()
            d.callback(self.exit_status)
            return d
        d = Deferred()
        self._waiters.append(d)
        return d

    def stop(self) -> Deferred[ExitStatus]:
        """Stop respawning, stop the node (actors, then the hub) and finish.

        Returns the same as `wait`. Calling it again, or after the runner
        finished on its own, changes nothing.
        """
        self._finish(ExitStatus.OK)
        return self.wait()

    def __repr__(self) -> str:
        return f"<NodeRunner {self.factory!r} on {self.node!r}>"

    # -- the actor's lifecycle ------------------------------------------------

    def _spawn(self) -> Ref:
        # Logged before the spawn because a node outside a running dispatcher
        # starts the actor inside spawn(), and its first lines come first.
        logger.info(
            "spawning %s%s on %r",
            _describe(self.factory),
            f" as {self.name!r}" if self.name is not None else "",
            self.node,
        )
        ref = self.node.spawn(self.factory, self.name)
        self.actor = ref
        self.spawn_count += 1
        if self.message is not NO_MESSAGE:
            ref << self.message
        ref.join().addCallback(lambda _: self._on_actor_stopped(ref))
        return ref

    def _on_unhandled_error(self, event: UnhandledError) -> None:
        # The actor may fail inside node.spawn(), before `self.actor` is set,
        # so failures are recorded for every top-level actor of the node.
        if (
            event.decision == "Stop"
            and event.ref.node is self.node
            and len(event.ref.uri.steps) == 1
        ):
            self._failed.add(event.ref)

    def _on_actor_stopped(self, ref: Ref) -> None:
        failed = ref in self._failed
        self._failed.discard(ref)
        if self._stopping or ref != self.actor:
            return
        cause = "after a failure" if failed else "normally"
        if self.keep_running:
            logger.info(
                "%s stopped %s; respawning it in %s s",
                ref.uri,
                cause,
                self.respawn_delay,
            )
            self._schedule_respawn()
            return
        logger.info("%s stopped %s; stopping the node", ref.uri, cause)
        self._finish(ExitStatus.ACTOR_FAILED if failed else ExitStatus.OK)

    def _schedule_respawn(self) -> None:
        self._respawn_call = self.node.clock.callLater(
            self.respawn_delay, self._respawn
        )

    def _respawn(self) -> None:
        self._respawn_call = None
        if self._stopping:
            return
        try:
            self._spawn()
        except NameConflict:
            # The node has not yet removed the previous incarnation.
            logger.info("%s is still registered; retrying the respawn", self.name)
            self._schedule_respawn()
        except Exception:
            logger.exception("respawning %r failed; stopping the node", self.factory)
            self._finish(ExitStatus.ACTOR_FAILED)

    # -- stopping ---------------------------------------------------------------

    def _finish(self, status: ExitStatus) -> None:
        if self._stopping:
            return
        self._stopping = True
        if self._respawn_call is not None and self._respawn_call.active():
            self._respawn_call.cancel()
        self._respawn_call = None
        if self._started:
            Events.unsubscribe(UnhandledError, self._on_unhandled_error)
        stopped = self.node.stop()
        stopped.addTimeout(self.stop_timeout, self.node.clock)  # type: ignore[arg-type]

        def done(result: object) -> None:
            outcome = status
            if isinstance(result, Failure):
                logger.error(
                    "%r did not stop within %s s (%s); exiting anyway",
                    self.node,
                    self.stop_timeout,
                    result.getErrorMessage() or repr(result.value),
                )
                outcome = ExitStatus.STOP_TIMED_OUT
            self.exit_status = outcome
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                waiter.callback(outcome)

        stopped.addBoth(done)


def _describe(factory: Any) -> str:
    if isinstance(factory, type):
        return f"{factory.__module__}.{factory.__qualname__}"
    return repr(factory)


def serve(runner: NodeRunner, reactor: Reactor | None = None) -> ExitStatus:
    """Run the reactor until `runner` finishes; return its exit status.

    The runner starts once the reactor runs. SIGINT and SIGTERM, which the
    reactor turns into a shutdown, stop the runner, and the reactor waits for
    the node to stop before it exits. A runner that finishes on its own stops
    the reactor.
    """
    if reactor is None:
        reactor = _global_reactor()
    shutting_down = False
    start_failed = False

    def start() -> None:
        nonlocal start_failed
        try:
            runner.start()
        except Exception:
            logger.exception("starting %r failed", runner)
            start_failed = True
            runner.stop()

    def before_shutdown() -> Deferred[ExitStatus]:
        nonlocal shutting_down
        shutting_down = True
        return runner.stop()

    def finished(status: ExitStatus) -> None:
        if not shutting_down:
            reactor.stop()

    reactor.callWhenRunning(start)
    reactor.addSystemEventTrigger("before", "shutdown", before_shutdown)
    runner.wait().addCallback(finished)
    reactor.run()
    if start_failed:
        return ExitStatus.ACTOR_FAILED
    return runner.exit_status if runner.exit_status is not None else ExitStatus.OK


class NodeService(Service):
    """A Twisted service that starts a `NodeRunner` and stops it with the app.

    Args:
        runner: the runner, or a callable that builds it when the service
            starts. A callable lets twistd fork into the background before
            anything opens a ZeroMQ socket, which does not survive a fork.
        reactor: stopped when the runner finishes on its own; the global
            reactor by default.
    """

    def __init__(
        self,
        runner: NodeRunner | Callable[[], NodeRunner],
        reactor: Reactor | None = None,
    ) -> None:
        self._build = runner
        self.runner: NodeRunner | None = (
            runner if isinstance(runner, NodeRunner) else None
        )
        self._reactor = reactor

    def startService(self) -> None:
        """Build the runner if needed and start it."""
        super().startService()  # type: ignore[no-untyped-call]
        if self.runner is None:
            build = self._build
            assert callable(build)
            self.runner = build()
        self.runner.start()
        self.runner.wait().addCallback(self._finished)

    def stopService(self) -> Deferred[ExitStatus] | None:
        """Stop the runner; the Deferred fires once the node has stopped."""
        super().stopService()  # type: ignore[no-untyped-call]
        if self.runner is None:
            return None
        return self.runner.stop()

    def _finished(self, status: ExitStatus) -> None:
        if not self.running:
            return  # the application is stopping the service
        reactor = self._reactor if self._reactor is not None else _global_reactor()
        logger.info(
            "the node has stopped (exit status %d); stopping the reactor", status
        )
        # The runner can finish inside startService, before the reactor runs,
        # and stopping a reactor that has not started raises.
        reactor.callWhenRunning(reactor.stop)
