"""The runtime side of an actor: mailbox, lifecycle, supervision and dispatch.

A `Cell` owns one actor instance and survives its restarts. A node's
`Dispatcher` runs cells one batch at a time from a FIFO run queue. Sends and
spawns made while actor code runs are queued instead of nested, so no call
depth grows with the number of queued messages or chained sends.
"""

from __future__ import annotations

import itertools
import traceback
from collections import deque
from collections.abc import Callable, Generator
from types import CoroutineType, GeneratorType
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import CancelledError, Deferred, inlineCallbacks
from twisted.python.failure import Failure

from spinoff.actor import _context, supervision
from spinoff.actor._actor import Actor, to_factory
from spinoff.actor._context import current_cell
from spinoff.actor._ref import Ref
from spinoff.actor.events import (
    DeadLetter,
    Error,
    ErrorIgnored,
    Events,
    HighWaterMarkReached,
    RestartLimitReached,
    TopLevelActorTerminated,
    UnhandledError,
    UnhandledMessage,
)
from spinoff.actor.exceptions import (
    InvalidActorName,
    NameConflict,
    NotAnActor,
    Unhandled,
    UnhandledTermination,
)

if TYPE_CHECKING:
    from spinoff.actor._node import Node

# Cell states, in lifecycle order.
NEW = 0  # spawned; construction and pre_start are queued
STARTING = 1  # pre_start is running (possibly asynchronously)
RUNNING = 2
FAILED = 3  # suspended, waiting for the supervisor's decision
RESTARTING = 4
STOPPING = 5
STOPPED = 6

THROUGHPUT = 1000
"""Messages one cell processes before the dispatcher moves to the next cell."""

YIELD_EVERY = 20000
"""Messages a dispatcher processes before it lets a running reactor do I/O."""

SYSTEM_WEIGHT = 100
"""Messages that one batch of system messages counts for against `YIELD_EVERY`."""

HIGH_WATER_MARK = 10000
"""Queued messages at which a `HighWaterMarkReached` event is published."""

TerminationCallback = Callable[[Ref, BaseException | None], object]

_names = itertools.count(1)
_default_pre_start = Actor.pre_start


def _format_exception(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def failure_value(failure: Failure) -> BaseException:
    """Return the exception inside `failure`, which a Deferred's Failure always has."""
    value = failure.value
    assert value is not None
    return value


def _ignore_cancellation(failure: Failure) -> None:
    if not isinstance(failure.value, CancelledError):
        failure.raiseException()


def as_deferred(result: object) -> Deferred[Any] | None:
    """Wrap what a hook returned: a generator, a coroutine or a Deferred.

    Returns None for a plain return value, which means the hook is done.
    """
    if result is None:
        return None
    if type(result) is GeneratorType:
        gen: Generator[Any, Any, Any] = result
        return inlineCallbacks(lambda: gen)()
    if type(result) is CoroutineType:
        return Deferred.fromCoroutine(result)
    if isinstance(result, Deferred):
        return result
    return None


class Dispatcher:
    """Runs the ready cells of one node in FIFO order, without recursion."""

    __slots__ = ("draining", "node", "queue", "yield_call")

    def __init__(self, node: Node) -> None:
        self.node = node
        self.queue: deque[Cell] = deque()
        self.draining = False
        self.yield_call: Any = None

    def schedule(self, cell: Cell) -> None:
        cell.scheduled = True
        if self.draining:
            self.queue.append(cell)
            return
        # Nothing is running: run this cell at once, then whatever it queued.
        self.draining = True
        try:
            cell.scheduled = False
            cell.run_batch()
        except Exception as exc:
            Events.publish(
                ErrorIgnored(cell.ref, exc, _format_exception(exc), "dispatch")
            )
        finally:
            self.draining = False
        if self.queue:
            self.drain()

    def drain(self) -> None:
        """Run queued cells until none is left.

        Under a running reactor it stops after `YIELD_EVERY` messages and
        resumes on the next reactor iteration, so that I/O and timers are not
        starved by actors that keep each other busy.
        """
        self.yield_call = None
        self.draining = True
        queue = self.queue
        clock = self.node.clock
        processed = 0
        try:
            while queue:
                cell = queue.popleft()
                cell.scheduled = False
                try:
                    processed += cell.run_batch()
                except Exception as exc:
                    # Only a bug in the runtime gets here; keep the node alive.
                    Events.publish(
                        ErrorIgnored(cell.ref, exc, _format_exception(exc), "dispatch")
                    )
                if (
                    processed >= YIELD_EVERY
                    and queue
                    and getattr(clock, "running", False)
                ):
                    self.yield_call = clock.callLater(0, self.drain)
                    break
        finally:
            self.draining = False


class Cell:
    """The runtime state of one actor; owned by the framework."""

    __slots__ = (
        "actor",
        "busy",
        "callbacks",
        "children",
        "deferred_failures",
        "dispatcher",
        "factory",
        "hwm_reported",
        "is_process",
        "mailbox",
        "name",
        "node",
        "parent",
        "pending",
        "ref",
        "restarts",
        "scheduled",
        "started",
        "state",
        "suspended",
        "system",
        "waiter",
        "watchers",
        "watching",
    )

    def __init__(
        self,
        node: Node,
        parent: Cell | None,
        name: str,
        factory: Callable[[], Actor],
        args: tuple[tuple[Any, ...], dict[str, Any]] | None,
    ) -> None:
        self.node = node
        self.dispatcher = node.dispatcher
        self.parent = parent
        self.name = name
        self.factory: Any = (factory, args)
        self.actor: Any = None
        self.ref = Ref(node, None, self)
        self.state = NEW
        self.scheduled = False
        self.suspended = False
        self.started = False
        self.is_process = False
        self.hwm_reported = False
        self.busy: Deferred[Any] | None = None
        self.waiter: tuple[tuple[Any, ...], Deferred[Any], int] | None = None
        self.mailbox: deque[Any] | None = None
        self.system: list[tuple[Any, ...]] | None = None
        self.children: dict[str, Cell] | None = None
        self.watchers: dict[Ref, None] | None = None
        self.watching: set[Ref] | None = None
        self.callbacks: list[TerminationCallback] | None = None
        self.restarts: deque[float] | None = None
        self.pending: Callable[[], None] | None = None
        self.deferred_failures: list[tuple[Any, ...]] | None = None

    # -- addressing ---------------------------------------------------------

    @property
    def path(self) -> str:
        names = []
        cell: Cell | None = self
        while cell is not None and cell.parent is not None:
            names.append(cell.name)
            cell = cell.parent
        if cell is not None and cell.name:
            names.append(cell.name)  # a root other than the guardian, e.g. $temp
        return "/" + "/".join(reversed(names))

    def __repr__(self) -> str:
        return f"<cell {self.path} state={self.state}>"

    # -- message intake -----------------------------------------------------

    def deliver(self, message: Any) -> None:
        """Queue a user message; a dead cell turns it into a dead letter."""
        state = self.state
        if state >= STOPPING:
            Events.publish(DeadLetter(self.ref, message))
            return
        mailbox = self.mailbox
        dispatcher = self.dispatcher
        if (
            not dispatcher.draining
            and not mailbox
            and state == RUNNING
            and self.busy is None
            and not self.suspended
            and not self.scheduled
            and not self.is_process
        ):
            # Nothing runs and nothing waits: handle the message right here.
            # This is the same step as one turn of `run_batch`, written out
            # because it is the hot path of every send from outside actors.
            dispatcher.draining = True
            token = current_cell.set(self)
            try:
                result = self.actor.receive(message)
            except Unhandled:
                self._unhandled(message)
            except Exception as exc:
                self.fail(exc, _format_exception(exc))
            else:
                if result is not None:
                    self._await_receive(result)
            finally:
                current_cell.reset(token)
                dispatcher.draining = False
            if dispatcher.queue:
                dispatcher.drain()
            return
        if mailbox is None:
            mailbox = self.mailbox = deque()
        mailbox.append(message)
        if len(mailbox) >= HIGH_WATER_MARK and not self.hwm_reported:
            self.hwm_reported = True
            Events.publish(HighWaterMarkReached(self.ref, len(mailbox)))
        if not self.scheduled and self.ready():
            self.dispatcher.schedule(self)

    def send_system(self, *message: Any) -> None:
        system = self.system
        if system is None:
            self.system = [message]
        else:
            system.append(message)
        if not self.scheduled:
            self.dispatcher.schedule(self)

    def ready(self) -> bool:
        """Return whether the cell can take its next user message now."""
        if self.state != RUNNING or self.suspended:
            return False
        if self.is_process:
            return self.waiter is not None
        return self.busy is None

    def can_supervise(self) -> bool:
        return self.state in (RUNNING, STARTING) and not self.suspended

    def wake(self) -> None:
        """Schedule the cell if it has work it can do now."""
        if self.deferred_failures and self.can_supervise():
            deferred_failures, self.deferred_failures = self.deferred_failures, None
            for message in deferred_failures:
                self.send_system(*message)
        if not self.scheduled and (self.system or (self.mailbox and self.ready())):
            self.dispatcher.schedule(self)

    # -- dispatch -----------------------------------------------------------

    def run_batch(self) -> int:
        """Process system messages, then up to `THROUGHPUT` user messages.

        Returns the number of messages processed, counting a batch of system
        messages as `SYSTEM_WEIGHT` because a start or a restart costs about as
        much as that many messages. A dispatcher busy with nothing but
        restarts thus still yields to the reactor.
        """
        system_work = 0
        if self.system:
            self._process_system()
            system_work = SYSTEM_WEIGHT
        mailbox = self.mailbox
        if not mailbox or not self.ready():
            if self.system and not self.scheduled:
                self.scheduled = True
                self.dispatcher.queue.append(self)
            return system_work
        if self.is_process:
            return self._feed_waiters(mailbox)
        receive = self.actor.receive
        token = current_cell.set(self)
        count = 0
        try:
            while mailbox:
                message = mailbox.popleft()
                count += 1
                try:
                    result = receive(message)
                except Unhandled:
                    self._unhandled(message)
                except Exception as exc:
                    self.fail(exc, _format_exception(exc))
                    break
                else:
                    if result is not None and self._await_receive(result):
                        break
                if self.state != RUNNING or self.system or count >= THROUGHPUT:
                    break
        finally:
            current_cell.reset(token)
        if not self.scheduled and (self.system or (mailbox and self.ready())):
            self.scheduled = True
            self.dispatcher.queue.append(self)
        if not mailbox:
            self.hwm_reported = False
        return count + system_work

    def _feed_waiters(self, mailbox: deque[Any]) -> int:
        count = 0
        while mailbox and self.waiter is not None and self.ready():
            patterns, d, checked = self.waiter
            index = find_match(mailbox, patterns, checked)
            if index < 0:
                # Remember how far the mailbox was searched, so that a long
                # queue of unwanted messages is not searched again per arrival.
                self.waiter = (patterns, d, len(mailbox))
                break
            message = mailbox[index]
            del mailbox[index]
            self.waiter = None
            count += 1
            d.callback(message)
        return count

    def _unhandled(self, message: Any) -> None:
        if (
            type(message) is tuple
            and len(message) == 2
            and message[0] == "terminated"
            and self.watching
            and message[1] in self.watching
        ):
            self.watching.discard(message[1])
            exc = UnhandledTermination(self.ref, message[1])
            self.fail(exc, _format_exception(exc))
        else:
            Events.publish(UnhandledMessage(self.ref, message))

    def _await_receive(self, result: object) -> bool:
        """Track an asynchronous `receive`; return whether it is still running."""
        d = as_deferred(result)
        if d is None:
            return False
        self.busy = d
        d.addBoth(self._receive_done, d)
        return self.busy is d

    def _receive_done(self, result: object, d: Deferred[Any]) -> None:
        if self.busy is not d:
            return None  # cancelled by a stop or restart; the outcome no longer matters
        self.busy = None
        if isinstance(result, Failure):
            if self.state == RUNNING and not isinstance(result.value, CancelledError):
                self.fail(failure_value(result), result.getTraceback())
            return None
        self.wake()
        return None

    # -- system messages ----------------------------------------------------

    def _process_system(self) -> None:
        # Messages that arrive meanwhile wait for the next turn, so that a
        # failure loop between a parent and a child cannot hold the dispatcher.
        batch, self.system = self.system, None
        for message in batch or ():
            self._handle_system(message)

    def _handle_system(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "start":
            self._create_and_start()
        elif kind == "stop":
            self._stop_now()
        elif kind == "child_terminated":
            self._child_terminated(message[1])
        elif kind == "failed":
            if self.can_supervise():
                self._supervise(*message[1:])
            elif self.state < STOPPING:
                # Decide once this cell runs again; a restart or stop of
                # this cell stops the failed child and makes this moot.
                if self.deferred_failures is None:
                    self.deferred_failures = []
                self.deferred_failures.append(message)

    # -- lifecycle ------------------------------------------------------------

    def call_hook(
        self, hook: Callable[..., object], *args: Any, **kwargs: Any
    ) -> Deferred[Any] | None:
        """Call an actor hook with this cell as the running actor.

        Returns None when the hook has finished, else a Deferred of its end.
        A generator or coroutine starts inside the same context, so its later
        steps also run as this actor.
        """
        token = current_cell.set(self)
        try:
            return as_deferred(hook(*args, **kwargs))
        finally:
            current_cell.reset(token)

    def _create_and_start(self) -> None:
        if self.state >= STOPPING:
            return
        self.state = STARTING
        self.started = False
        factory, args = self.factory
        positional, keywords = args if args is not None else ((), {})
        token = current_cell.set(self)
        try:
            _context.constructing = self
            try:
                actor = factory()
            finally:
                _context.constructing = None
            if not isinstance(actor, Actor):
                raise NotAnActor(factory, actor)
            actor._cell = self
            self.actor = actor
            self.is_process = is_process = actor._is_process
            if is_process:
                d = as_deferred(actor.pre_start())
            elif (
                keywords
                or positional
                or type(actor).pre_start is not _default_pre_start
            ):
                d = as_deferred(actor.pre_start(*positional, **keywords))
            else:
                d = None
        except Exception as exc:
            self.fail(exc, _format_exception(exc), in_start=True)
            return
        finally:
            current_cell.reset(token)
        if d is None:
            self._started(positional, keywords)
        else:
            self.busy = d
            d.addBoth(self._pre_start_done, d, positional, keywords)

    def _pre_start_done(
        self,
        result: object,
        d: Deferred[Any],
        positional: tuple[Any, ...],
        keywords: dict[str, Any],
    ) -> None:
        if self.busy is not d:
            return None
        self.busy = None
        if isinstance(result, Failure):
            if not isinstance(result.value, CancelledError) and self.state == STARTING:
                self.fail(failure_value(result), result.getTraceback(), in_start=True)
            return None
        if self.state == STARTING:
            self._started(positional, keywords)
        return None

    def _started(self, positional: tuple[Any, ...], keywords: dict[str, Any]) -> None:
        self.started = True
        if self.state != STARTING:
            return  # stopped itself in pre_start
        self.state = RUNNING
        if self.is_process:
            try:
                d = self.call_hook(self.actor.run, *positional, **keywords)
            except Exception as exc:
                self.fail(exc, _format_exception(exc))
                return
            if d is None:
                self.stop()
                return
            self.busy = d
            d.addBoth(self._run_done, d)
        self.wake()

    def _run_done(self, result: object, d: Deferred[Any]) -> None:
        if self.busy is not d:
            return None
        self.busy = None
        self.waiter = None
        if isinstance(result, Failure):
            if self.state == RUNNING and not isinstance(result.value, CancelledError):
                self.fail(failure_value(result), result.getTraceback())
            return None
        if self.state == RUNNING:
            self.stop()
        return None

    # -- failure and supervision ----------------------------------------------

    def fail(self, exc: BaseException, tb: str, in_start: bool = False) -> None:
        """Suspend this cell and its subtree and report `exc` to the parent."""
        if self.state >= STOPPING:
            Events.publish(ErrorIgnored(self.ref, exc, tb, "stopping"))
            return
        self.state = FAILED
        self._cancel_busy()
        self._suspend_children(True)
        parent = self.parent
        assert parent is not None, "the guardian never fails"
        parent.send_system("failed", self, exc, tb, in_start)

    def _cancel_busy(self) -> None:
        busy, self.busy = self.busy, None
        self.waiter = None
        if busy is not None and not busy.called:
            busy.addErrback(_ignore_cancellation)
            busy.cancel()

    def _suspend_children(self, suspended: bool) -> None:
        stack = list(self.children.values()) if self.children else []
        while stack:
            cell = stack.pop()
            cell.suspended = suspended
            if not suspended:
                cell.wake()
            if cell.children:
                stack.extend(cell.children.values())

    def _supervise(
        self, child: Cell, exc: BaseException, tb: str, in_start: bool
    ) -> None:
        if child.parent is not self or child.state != FAILED:
            return
        token = current_cell.set(self)
        try:
            decision = self.actor.supervise(exc)
        except Exception as error:
            self.fail(error, _format_exception(error))
            return
        finally:
            current_cell.reset(token)
        if decision is None or decision is supervision.Default:
            decision = default_decision(exc, in_start)
        if decision is supervision.Resume and not child.started:
            # Nothing to resume after a failure in construction or pre_start.
            decision = supervision.Stop
        is_guardian = self.parent is None
        if is_guardian and decision is supervision.Escalate:
            decision = supervision.Stop
        if isinstance(
            decision, supervision.RestartDecision
        ) and child._restart_limit_reached(decision):
            Events.publish(
                RestartLimitReached(child.ref, exc, decision.max, decision.within)
            )
            decision = supervision.Stop
        event = UnhandledError if is_guardian else Error
        Events.publish(event(child.ref, exc, tb, repr(decision)))
        if decision is supervision.Resume:
            child._resume()
        elif isinstance(decision, supervision.RestartDecision):
            child._restart()
        elif decision is supervision.Stop:
            child.stop()
        elif decision is supervision.Escalate:
            self.fail(exc, tb)
        else:
            invalid = TypeError(
                f"supervise() of {self.ref!r} returned {decision!r}; expected Resume, "
                "Restart, Restart(max=N, within=T), Stop, Escalate or Default"
            )
            child.stop()
            self.fail(invalid, _format_exception(invalid))

    def _restart_limit_reached(self, decision: supervision.RestartDecision) -> bool:
        if decision.max is None:
            return False
        now = self.node.clock.seconds()
        restarts = self.restarts
        if restarts is None:
            restarts = self.restarts = deque()
        if decision.within is not None:
            while restarts and restarts[0] <= now - decision.within:
                restarts.popleft()
        if len(restarts) >= decision.max:
            return True
        restarts.append(now)
        return False

    def _resume(self) -> None:
        if self.state != FAILED:
            return
        self._suspend_children(False)
        if not self.started:
            # Nothing to resume after a failure in construction or pre_start;
            # starting again would fail again at once, so stop instead.
            self.stop()
            return
        if self.is_process:
            # The run() generator ended with the failure; run it again on the
            # same instance.
            self.state = STARTING
            self._started(*self._arguments())
            return
        self.state = RUNNING
        self.wake()

    def _arguments(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        args = self.factory[1]
        return args if args is not None else ((), {})

    def _restart(self) -> None:
        self.state = RESTARTING
        self._stop_children(self._restart_after_children)

    def _restart_after_children(self) -> None:
        self._run_post_stop(self._restart_fresh)

    def _restart_fresh(self) -> None:
        if self.state == STOPPING:
            self._finish_stop()
            return
        if self.state != RESTARTING:
            return
        self.actor = None
        self.waiter = None
        self._create_and_start()

    # -- stopping -------------------------------------------------------------

    def stop(self) -> None:
        """Request a stop; the work happens after the running message, if any."""
        if self.state >= STOPPING:
            return
        self.state = STOPPING
        self.send_system("stop")

    def _stop_now(self) -> None:
        if self.pending is not None or self.state == STOPPED:
            return  # already stopping its children
        self.state = STOPPING
        self._cancel_busy()
        self._stop_children(self._after_children_stopped)

    def _stop_children(self, then: Callable[[], None]) -> None:
        if not self.children:
            then()
            return
        self.pending = then
        for child in list(self.children.values()):
            child.stop()

    def _child_terminated(self, child: Cell) -> None:
        children = self.children
        if children is not None and children.get(child.name) is child:
            del children[child.name]
        if not children and self.pending is not None:
            then, self.pending = self.pending, None
            then()

    def _after_children_stopped(self) -> None:
        self._run_post_stop(self._finish_stop)

    def _run_post_stop(self, then: Callable[[], None]) -> None:
        actor = self.actor
        if actor is None or not self.started:
            then()
            return
        self.started = False
        try:
            d = self.call_hook(actor.post_stop)
        except Exception as exc:
            Events.publish(
                ErrorIgnored(self.ref, exc, _format_exception(exc), "post_stop")
            )
            then()
            return
        if d is None:
            then()
            return

        def done(outcome: object) -> None:
            if isinstance(outcome, Failure):
                Events.publish(
                    ErrorIgnored(
                        self.ref,
                        failure_value(outcome),
                        outcome.getTraceback(),
                        "post_stop",
                    )
                )
            then()

        d.addBoth(done)

    def _finish_stop(self) -> None:
        self.state = STOPPED
        ref = self.ref
        node = self.node
        if self.watching:
            for watched in self.watching:
                node.unwatch(watched, ref)
            self.watching = None
        mailbox, self.mailbox = self.mailbox, None
        if mailbox:
            for message in mailbox:
                Events.publish(DeadLetter(ref, message))
        self.actor = None
        parent = self.parent
        if parent is not None:
            parent.send_system("child_terminated", self)
            if parent is node.guardian:
                Events.publish(TopLevelActorTerminated(ref))
        watchers, self.watchers = self.watchers, None
        if watchers:
            for watcher in watchers:
                watcher << ("terminated", ref)
        callbacks, self.callbacks = self.callbacks, None
        if callbacks:
            for callback in callbacks:
                callback(ref, None)

    # -- children and watching ------------------------------------------------

    def spawn(self, factory: Any, name: str | None) -> Ref:
        if self.state >= STOPPING:
            raise RuntimeError(f"{self.ref!r} is stopping and cannot spawn children")
        build, args = to_factory(factory)
        if name is None:
            name = f"${next(_names)}"
        elif not isinstance(name, str) or not name or "/" in name or name[0] == "$":
            raise InvalidActorName(name)
        children = self.children
        if children is None:
            children = self.children = {}
        elif name in children:
            raise NameConflict(self.ref, name)
        child = Cell(self.node, self, name, build, args)
        children[name] = child
        child.send_system("start")
        return child.ref

    def add_callback(self, callback: TerminationCallback) -> None:
        if self.state == STOPPED:
            callback(self.ref, None)
            return
        if self.callbacks is None:
            self.callbacks = []
        self.callbacks.append(callback)

    def remove_callback(self, callback: TerminationCallback) -> None:
        if self.callbacks and callback in self.callbacks:
            self.callbacks.remove(callback)

    def add_watcher(self, watcher: Ref) -> None:
        if self.state == STOPPED:
            watcher << ("terminated", self.ref)
            return
        if self.watchers is None:
            self.watchers = {}
        self.watchers[watcher] = None

    def remove_watcher(self, watcher: Ref) -> None:
        if self.watchers:
            self.watchers.pop(watcher, None)


def default_decision(exc: BaseException, in_start: bool) -> supervision.Decision:
    """Stop on a start failure, escalate an `AssertionError`, else restart."""
    if in_start:
        return supervision.Stop
    if isinstance(exc, AssertionError):
        return supervision.Escalate
    return supervision.Restart


def find_match(mailbox: deque[Any], patterns: tuple[Any, ...], start: int = 0) -> int:
    """Return the index of the first message from `start` equal to any pattern.

    Returns -1 when none matches. Without patterns every message matches.
    """
    if not patterns:
        return start if len(mailbox) > start else -1
    for index in range(start, len(mailbox)):
        message = mailbox[index]
        for pattern in patterns:
            if pattern == message:
                return index
    return -1
